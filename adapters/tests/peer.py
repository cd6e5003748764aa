#!/usr/bin/env python3
"""Kernel-side peer for the interop tests (plain Python sockets).

  peer.py echo HOST PORT SIZE     send SIZE random bytes to an echo server while
                                  reading them back; exit 0 if all came back intact
  peer.py recv ADDR PORT          accept one connection, read to EOF, print sha256
  peer.py send HOST PORT FILE     connect, send FILE, half-close, wait for EOF
"""
import hashlib
import os
import socket
import sys
import threading
import time


def echo(host, port, size):
    data = os.urandom(size)
    s = socket.create_connection((host, port), timeout=120)
    got = bytearray()

    def rx():
        while True:
            b = s.recv(1 << 20)
            if not b:
                return
            got.extend(b)

    t = threading.Thread(target=rx)
    t0 = time.monotonic()
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join()
    s.close()
    dt = time.monotonic() - t0
    ok = bytes(got) == data
    print(f"peer echo: sent {size} got {len(got)} bytes back in {dt:.3f} s "
          f"({size / 1048576 / dt:.1f} MiB/s each way): {'OK' if ok else 'MISMATCH'}",
          file=sys.stderr)
    return 0 if ok else 1


def recv(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(120)
    s, _ = ls.accept()
    s.settimeout(120)
    h = hashlib.sha256()
    n = 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    s.close()
    print(h.hexdigest())
    print(f"peer recv: {n} bytes", file=sys.stderr)
    return 0


def send(host, port, path):
    s = socket.create_connection((host, port), timeout=120)
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            s.sendall(b)
    s.shutdown(socket.SHUT_WR)
    while s.recv(1 << 16):
        pass
    s.close()
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "echo":
        return echo(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) >= 4 and argv[1] == "recv":
        return recv(argv[2], int(argv[3]))
    if len(argv) >= 5 and argv[1] == "send":
        return send(argv[2], int(argv[3]), argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
