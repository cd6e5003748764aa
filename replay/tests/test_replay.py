#!/usr/bin/env python3
"""Tests of ptcp-replay (meson suite 'replay').

usage: test_replay.py CASE PTCP_REPLAY SOURCE_ROOT [FUZZ_LISTENER]

Cases:
  pcap-fuzz_wire, pcap-fuzz_conn, pcap-fuzz_drill, pcap-script
      every sample input of the target (corpus/<target>/, for scripts the
      example scripts) becomes a pcap that tshark reads with TCP and IP
      checksum validation on: as many frames as the trace has packets, and
      no malformed packet or bad checksum except on packets the input itself
      carried malformed (the trace marks them "[rejected by the codec]");
      fuzz_wire: 2 frames when the packet parses (it and its rebuild), else 1
  pcap-fuzz_sim   corpus/fuzz_sim and ptcp-sim command lines (every link
                  verdict): host A's capture has as many frames as the trace
                  has packets not dropped, none flagged by tshark; the drops
                  pcap as many as the simulator dropped, flagged only when
                  the link corrupted them; the SVG is well-formed
  pcap-fuzz_listener  corpus/fuzz_listener and corpus/regressions/fuzz_listener:
                  the pcap has as many frames as the trace has packets, none
                  flagged by tshark (the table takes parsed segments: every
                  packet is built by the codec); and the frames are, in order,
                  with the same times and TCP fields, the segments the target
                  itself reports giving to and getting from the table when run
                  alone with PTCP_FUZZ_LISTENER_TRACE=1 (argv[4], a plain build
                  of fuzzers/fuzz_listener.c) - except the RSTs of
                  ptcp_table_unlisten, which the target's trace does not print
                  (counted apart); a crash (PTCP_REPLAY_CRASH_AT) keeps the
                  packets up to it
  roundtrip-fuzz_listener  each of those pcaps -> --import (the connection of the
                  first packet: one of the many the table served) -> replay of
                  the imported script against a single core gives the same
                  frames (times, bytes) for that connection as the table's
                  replay had (except the inputs in roundtrip-known.txt)
  roundtrip       replay -> pcap -> --import -> replay gives the same packets
                  (trace lines: times, directions, every header field); the
                  example scripts, the loss example, corpus/fuzz_conn and the
                  event scripts of corpus/fuzz_drill (except the inputs listed
                  in roundtrip-known.txt, with why).  fuzz_wire inputs are one
                  packet, not a connection: nothing to import
  roundtrip-fuzz_sim  corpus/fuzz_sim: host A's capture -> --import -> replay
                  gives the same frames (times, bytes) for the imported
                  connection (except the inputs in roundtrip-known.txt)
  import          pcapng input, --flow, non-TCP and truncated frames counted,
                  Linux cooked and raw-IP link types, --header
  bad-inputs      not a capture, truncated captures, unknown scenario format,
                  a capture given without --import, empty input, bad --flow,
                  missing files: a clear message and exit status 2
  svg             every SVG the tool writes is well-formed XML (python's
                  parser) with axes, labels and marks; the loss example has
                  retransmissions and SACK blocks; also the fuzz_sim samples;
                  docs/replay-sim-example.svg is the tool's picture of
                  replay/examples/sim-loss.txt (drops and retransmissions)
  failure         a failing scenario: exit 1, the failing step and the
                  message in the output, "!!" lines in the trace, the FAILED
                  mark in the SVG; a crash input still gives the outputs; a
                  failing simulator scenario too, and a crash in a fuzz_sim run
  determinism     two replays give identical traces and pcaps; the child
                  process and --no-fork give the same trace; simulator runs
Exit status 0 pass, 1 fail, 77 skip (tshark missing).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.dom.minidom

CASE, TOOL, SRC = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
TMP = tempfile.mkdtemp(prefix="ptcp-replay-test-")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(*args, check=None):
    r = subprocess.run([TOOL, *args], capture_output=True, text=True, errors="replace")
    if check is not None and r.returncode != check:
        fail("%s: exit %d (wanted %d)\n%s%s" % (" ".join(args), r.returncode, check, r.stdout, r.stderr))
    return r


def out(name):
    return os.path.join(TMP, name)


def samples(target):
    if target == "fuzz_listener":
        # the seeds and the crash regressions
        fs = []
        for d in (os.path.join(SRC, "corpus", target),
                  os.path.join(SRC, "corpus", "regressions", target)):
            if os.path.isdir(d):
                fs += [os.path.join(d, f) for f in sorted(os.listdir(d))]
        return fs
    if target == "script":
        d = os.path.join(SRC, "harness", "script", "examples")
        files = [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".txt")]
        return files + [os.path.join(SRC, "replay", "examples", "loss.txt")]
    d = os.path.join(SRC, "corpus", target)
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, f) for f in sorted(os.listdir(d))]


def trace_packets(path):
    """The packet lines of a trace: (text without the event and state, rejected)."""
    pk = []
    for line in open(path, errors="replace"):
        if line.startswith("#") or line.startswith("!! FAILED"):
            continue
        m = re.match(r"^(?:!!|  ) +(\d+\.\d+) +(?:#\d+ +)?([<>] .*?)(?: -- .*?)?(?: \| .*)?$",
                     line.rstrip("\n"))
        if m and m.group(2)[:2] in ("< ", "> "):
            pk.append((m.group(1) + " " + m.group(2), "[rejected by the codec]" in line))
    return pk


def need_tshark():
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (apt-get install tshark)")
        sys.exit(77)


def tshark_frames(pcap):
    """Per frame: (malformed, bad checksum)."""
    # TCP stream reassembly off: with it, a retransmission that overlaps a PDU Wireshark
    # guessed is reported as a "Reassembly error" (malformed) even when its bytes are the
    # same as the original's (seen on simulator runs); that is not the packet's fault.
    r = subprocess.run(["tshark", "-r", pcap, "-o", "tcp.check_checksum:TRUE", "-o",
                        "ip.check_checksum:TRUE", "-o", "tcp.desegment_tcp_streams:FALSE",
                        "--disable-protocol", "http", "-T", "fields", "-E", "separator=|",
                        "-e", "frame.number", "-e", "_ws.malformed", "-e", "ip.checksum.status",
                        "-e", "tcp.checksum.status", "-e", "icmp.checksum.status",
                        "-e", "icmpv6.checksum.status"],
                       capture_output=True, text=True, errors="replace")
    if r.returncode != 0:
        fail("tshark -r %s: exit %d: %s" % (pcap, r.returncode, r.stderr.strip()[-300:]))
        return []
    frames = []
    for line in r.stdout.splitlines():
        f = line.split("|")
        if len(f) < 6 or not f[0].isdigit():
            continue
        bad_sum = any("0" in x.split(",") for x in f[2:6])
        frames.append((bool(f[1].strip()), bad_sum))
    return frames


def pcap_case(target):
    need_tshark()
    files = samples(target)
    if not files:
        print("SKIP: no samples in corpus/%s" % target)
        sys.exit(77)
    total = flagged = 0
    for i, f in enumerate(files):
        base = out("%s-%d" % (target, i))
        args = ["--target", target] if target != "script" else []
        r = run(*args, f, "-o", base + ".pcap", "--trace", base + ".txt")
        if r.returncode not in (0, 1):
            fail("%s: exit %d: %s" % (f, r.returncode, r.stderr.strip()))
            continue
        pk = trace_packets(base + ".txt")
        frames = tshark_frames(base + ".pcap")
        if len(frames) != len(pk):
            fail("%s: tshark reads %d frames, the trace has %d packets" % (f, len(frames), len(pk)))
            continue
        if target == "fuzz_wire":
            want = 1 if pk and pk[0][1] else 2
            if len(frames) != want:
                fail("%s: %d frames, expected %d" % (f, len(frames), want))
        for n, ((malformed, bad), (text, rejected)) in enumerate(zip(frames, pk)):
            if (malformed or bad) and not rejected:
                fail("%s: frame %d: %s%s, but the input did not carry it: %s" %
                     (f, n + 1, "malformed" if malformed else "",
                      " bad checksum" if bad else "", text))
            flagged += malformed or bad
        total += len(frames)
    print("%s: %d samples, %d frames, %d flagged by tshark (all on packets the input carried "
          "malformed)" % (target, len(files), total, flagged))


# ---- simulator runs -------------------------------------------------------------------
# Simulator scenarios given as ptcp-sim command lines: every kind of link verdict.
SIM_SCENARIOS = [
    "ptcp-sim --seed 3 --bytes 60k --loss 3 --dup 2 --reorder 3 --corrupt 2 --mtu 1200",
    "ptcp-sim --seed 5 --bytes 200k --bw 2 --queue 4 --conns 2",
    "ptcp-sim --seed 7 --app echo --bytes 40k --ipv6 --loss 2 --corrupt 3 --dup 2",
]


def sim_inputs():
    """(path, target) of the fuzz_sim samples and the ptcp-sim scenarios."""
    ins = [(f, "fuzz_sim") for f in samples("fuzz_sim")]
    for i, line in enumerate(SIM_SCENARIOS):
        p = out("scenario-%d.txt" % i)
        open(p, "w").write("# a simulator scenario\n" + line + "\n")
        ins.append((p, None))
    return ins


def sim_note_drops(stdout):
    m = re.search(r"(\d+) dropped by the network", stdout)
    return int(m.group(1)) if m else -1


def pcap_sim_case():
    """fuzz_sim inputs and ptcp-sim scenarios: host A's capture and the drops pcap."""
    need_tshark()
    n = frames = drops = flagged = 0
    for i, (f, target) in enumerate(sim_inputs()):
        base = out("sim-%d" % i)
        args = ["--target", target] if target else []
        r = run(*args, f, "-o", base + ".pcap", "--drops", base + ".drops.pcap", "--trace",
                base + ".txt", "--svg", base + ".svg", check=0)
        if r.returncode != 0:
            continue
        trace = open(base + ".txt").read()
        pk = trace_packets(base + ".txt")
        dropped = [(t, rej) for (t, rej), line in zip(pk, [l for l in trace.splitlines()
                   if re.match(r"^(?:!!|  ) +\d+\.\d+ +(?:#\d+ +)?[<>] ", l)])
                   if "[dropped by the network]" in line]
        kept = len(pk) - len(dropped)
        main = tshark_frames(base + ".pcap")
        if len(main) != kept:
            fail("%s: tshark reads %d frames, the trace has %d packets not dropped" %
                 (f, len(main), kept))
        for k, (malformed, bad) in enumerate(main):
            if malformed or bad:
                fail("%s: frame %d of the capture is %s" % (f, k + 1,
                     "malformed" if malformed else "a bad checksum"))
        want = sim_note_drops(r.stdout)
        if want < 0:
            fail("%s: no drop count in the output:\n%s" % (f, r.stdout))
        if want != len(dropped):
            fail("%s: the simulator dropped %d, the trace marks %d" % (f, want, len(dropped)))
        if want > 0:
            d = tshark_frames(base + ".drops.pcap")
            if len(d) != want:
                fail("%s: the drops pcap has %d frames, the simulator dropped %d" %
                     (f, len(d), want))
            for k, ((malformed, bad), (text, rejected)) in enumerate(zip(d, dropped)):
                # the link corrupted these: the receiver's codec rejected them
                if (malformed or bad) and not rejected:
                    fail("%s: drop %d flagged but not corrupted: %s" % (f, k + 1, text))
                flagged += malformed or bad
            drops += len(d)
        elif os.path.exists(base + ".drops.pcap"):
            fail("%s: a drops pcap without drops" % f)
        check_svg(base + ".svg")
        n += 1
        frames += len(main)
    print("pcap-fuzz_sim: %d runs, %d frames in host A's captures, %d in the drops pcaps "
          "(%d flagged by tshark, all corrupted by the link)" % (n, frames, drops, flagged))


def pcap_frames(path):
    d = open(path, "rb").read()
    off, res = 24, []
    while off + 16 <= len(d):
        s, us, cl, _ = struct.unpack("<IIII", d[off:off + 16])
        res.append((s * 1000000 + us, d[off + 16:off + 16 + cl]))
        off += 16 + cl
    return res


def frame_flow(fr):
    """The sorted port pair of a TCP frame, or of the TCP header an ICMP error quotes."""
    ip = fr[14:]
    if not ip:
        return None
    if ip[0] >> 4 == 4:
        proto, l4 = ip[9], ip[(ip[0] & 15) * 4:]
        if proto == 1 and len(l4) >= 28:
            inner = l4[8:]
            l4, proto = inner[(inner[0] & 15) * 4:], 6
    elif ip[0] >> 4 == 6:
        proto, l4 = ip[6], ip[40:]
        if proto == 58 and len(l4) >= 52:
            l4, proto = l4[48:], 6
    else:
        return None
    if proto != 6 or len(l4) < 4:
        return None
    return tuple(sorted(struct.unpack(">HH", l4[:4])))


def roundtrip_sim():
    """fuzz_sim: host A's capture -> --import -> replay gives the same frames (times and bytes)
    for the connection the import picked."""
    known = known_roundtrip()
    same = 0
    files = samples("fuzz_sim")
    for i, f in enumerate(files):
        name = "fuzz_sim/" + os.path.basename(f)
        base = out("rts-%d" % i)
        run("--target", "fuzz_sim", f, "-o", base + ".pcap", check=0)
        r = run("--import", base + ".pcap", "-o", base + ".imp.txt")
        why = None
        if r.returncode != 0:
            why = "import failed: " + r.stderr.strip()
        else:
            run(base + ".imp.txt", "-o", base + ".rt.pcap")
            a, b = pcap_frames(base + ".pcap"), pcap_frames(base + ".rt.pcap")
            flow = frame_flow(b[0][1]) if b else None
            a = [x for x in a if frame_flow(x[1]) == flow]
            b = [x for x in b if frame_flow(x[1]) == flow]
            if a != b:
                k = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                why = "%d frames, after the import %d; first difference at frame %d" % (
                    len(a), len(b), k + 1)
        if why is None:
            same += 1
            if name in known:
                print("note: %s now round-trips (remove it from roundtrip-known.txt)" % name)
        elif name in known:
            print("known difference: %s (%s): %s" % (name, known[name], why))
        else:
            fail("%s: round trip differs: %s" % (name, why))
    print("roundtrip-fuzz_sim: %d of %d simulator runs give the same frames after pcap -> "
          "import -> replay" % (same, len(files)))


def known_roundtrip():
    k = {}
    p = os.path.join(SRC, "replay", "tests", "roundtrip-known.txt")
    for line in open(p):
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, why = line.partition(" ")
            k[name] = why.strip()
    return k


def roundtrip_one(f, target, tag):
    base = out("rt-" + tag)
    args = ["--target", target] if target else []
    run(*args, f, "-o", base + ".pcap", "--trace", base + ".txt")
    r = run("--import", base + ".pcap", "-o", base + ".imp.txt")
    if r.returncode != 0:
        return "import failed: " + (r.stderr.strip() or r.stdout.strip())
    run(base + ".imp.txt", "-o", base + ".imp.pcap", "--trace", base + ".imp.txt.trace")
    a = [t for t, _ in trace_packets(base + ".txt")]
    b = [t for t, _ in trace_packets(base + ".imp.txt.trace")]
    if a == b:
        return None
    for n, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "packet %d differs:\n    %s\n    %s" % (n + 1, x, y)
    return "%d packets, after the import %d" % (len(a), len(b))


def roundtrip():
    known = known_roundtrip()
    same = 0
    cases = [(f, None) for f in samples("script")] + [(f, "fuzz_conn") for f in samples("fuzz_conn")]
    # fuzz_drill inputs that are event scripts (the packetdrill ones give no packets)
    cases += [(f, "fuzz_drill") for f in samples("fuzz_drill") if f.endswith(".txt")]
    for n, (f, target) in enumerate(cases):
        name = os.path.basename(f)
        why = roundtrip_one(f, target, "%d" % n)
        if why is None:
            same += 1
            if name in known:
                print("note: %s now round-trips (remove it from roundtrip-known.txt)" % name)
        elif name in known:
            print("known difference: %s (%s): %s" % (name, known[name], why.splitlines()[0]))
        else:
            fail("%s: round trip differs: %s" % (f, why))
    print("roundtrip: %d of %d scenarios give the same packets after pcap -> import -> replay" %
          (same, len(cases)))


# ---- pcap writing for the import tests ------------------------------------------------
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, win=65535, payload=b"", opts=b""):
    hl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (hl // 4) << 4, flags, win, 0, 0) + opts + payload
    s = bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
    pseudo = s + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, s[:4], s[4:])
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def write_pcap(path, linktype, frames):
    """frames: (time_us, bytes, wire_len or None)"""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for t, b, wl in frames:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), wl or len(b)))
            f.write(b)


def eth(b, etype=0x0800):
    return b"\x02\x00\x00\x00\x00\x0a" + b"\x02\x00\x00\x00\x00\x0b" + struct.pack("!H", etype) + b


def linux_capture():
    """A small client connection as Linux would capture it, plus noise."""
    A, B = "192.0.2.1", "192.0.2.2"
    mss = bytes([2, 4, 0x05, 0xB4])
    P = lambda *a, **k: ipv4_tcp(*a, **k)
    conn = [
        (1000000, P(A, B, 40000, 80, 100, 0, 0x02, opts=mss)),
        (1010000, P(B, A, 80, 40000, 500, 101, 0x12, opts=mss)),
        (1010000, P(A, B, 40000, 80, 101, 501, 0x10)),
        (1010000, P(A, B, 40000, 80, 101, 501, 0x18, payload=b"GET / HTTP/1.0\r\n" * 6 + b"\r\n\r\n")),
        (1020000, P(B, A, 80, 40000, 501, 201, 0x10)),
        (1030000, P(A, B, 40000, 80, 201, 501, 0x11)),
        (1040000, P(B, A, 80, 40000, 501, 202, 0x11)),
        (1040000, P(A, B, 40000, 80, 202, 502, 0x10)),
    ]
    other = P("198.51.100.1", "198.51.100.2", 1234, 22, 7, 0, 0x02, opts=mss)
    udp = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes(4), bytes(4)) + bytes(8)
    arp = bytes(28)
    return conn, other, udp, arp


def import_case():
    need_tshark()
    # a pcap written by the tool, as pcapng: the same scenario comes back
    loss = os.path.join(SRC, "replay", "examples", "loss.txt")
    run(loss, "-o", out("loss.pcap"), "--trace", out("loss.txt"), check=0)
    r = subprocess.run(["tshark", "-r", out("loss.pcap"), "-F", "pcapng", "-w", out("loss.pcapng")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("tshark could not write pcapng: " + r.stderr)
    else:
        run("--import", out("loss.pcap"), "-o", out("a.txt"), check=0)
        run("--import", out("loss.pcapng"), "-o", out("b.txt"), check=0)
        if open(out("a.txt")).read() != open(out("b.txt")).read():
            fail("pcapng import differs from the pcap import")
    # Linux-like capture on Ethernet with noise: counts, flow choice, role
    conn, other, udp, arp = linux_capture()
    frames = [(conn[0][0] - 1000, eth(arp, 0x0806), None), (conn[0][0] - 500, eth(udp), None),
              (conn[0][0] - 100, eth(other), None)]
    frames += [(t, eth(b), None) for t, b in conn]
    frames.append((conn[-1][0] + 10, eth(conn[3][1])[:40], len(eth(conn[3][1]))))  # truncated
    write_pcap(out("linux.pcap"), 1, frames)
    r = run("--import", out("linux.pcap"), "--flow", "192.0.2.1:40000-192.0.2.2:80",
            "-o", out("linux.txt"), check=0)
    if "2 not TCP, 1 truncated" not in r.stdout:
        fail("import counts: " + r.stdout)
    if "check: replays against the core as captured" not in r.stdout:
        print("note: the Linux-made capture departs from the core: " + r.stdout.strip().splitlines()[-2])
    txt = open(out("linux.txt")).read()
    for want in ("role client", "isn local=100 peer=500", "addr local=192.0.2.1:40000 peer=192.0.2.2:80",
                 "connect", "send 100 payload=", "close", "< S. 0:0(0) ack 1", "> F. 101:101(0) ack 1"):
        if want not in txt:
            fail("linux import lacks %r:\n%s" % (want, txt))
    # without --flow: the first TCP packet's connection (the other one); its SYN's sender is the core
    r = run("--import", out("linux.pcap"), "-o", out("x.txt"), check=0)
    if "core 198.51.100.1:1234 <-> peer 198.51.100.2:22, core is the client" not in r.stdout:
        fail("first-flow import: " + r.stdout)
    # --flow the other way round: the core is the server
    r = run("--import", out("linux.pcap"), "--flow", "192.0.2.2:80-192.0.2.1:40000",
            "-o", out("server.txt"), check=0)
    if "role server" not in open(out("server.txt")).read():
        fail("--flow B-A does not make the core the server")
    # Linux cooked v1 and raw IP link types
    sll = [(t, struct.pack("!HHH8sH", 0, 1, 6, bytes(8), 0x0800) + b, None) for t, b in conn]
    write_pcap(out("sll.pcap"), 113, sll)
    write_pcap(out("raw.pcap"), 101, [(t, b, None) for t, b in conn])
    for name in ("sll", "raw"):
        run("--import", out(name + ".pcap"), "-o", out(name + ".txt"), check=0)
        if open(out(name + ".txt")).read() != open(out("linux.txt")).read():
            fail("%s import differs from the Ethernet one" % name)
    # --header: the configuration of an existing scenario
    run("--import", out("loss.pcap"), "--header", loss, "-o", out("h.txt"), check=0)
    if "sndbuf=262144" not in open(out("h.txt")).read():
        fail("--header did not take the configuration")
    print("import: pcapng, --flow both ways, counts, cooked and raw link types, --header")


def bad_inputs():
    # not a capture
    r = run("--import", os.path.join(SRC, "README.md"), "-o", out("x.txt"), check=2)
    if "not a pcap or pcapng capture" not in r.stderr:
        fail("not a pcap: " + r.stderr)
    loss = os.path.join(SRC, "replay", "examples", "loss.txt")
    run(loss, "-o", out("good.pcap"), check=0)
    data = open(out("good.pcap"), "rb").read()
    open(out("cut-header.pcap"), "wb").write(data[:10])
    r = run("--import", out("cut-header.pcap"), "-o", out("x.txt"), check=2)
    if "not a pcap or pcapng capture" not in r.stderr or "truncated" not in r.stderr:
        fail("truncated header: " + r.stderr)
    open(out("cut-record.pcap"), "wb").write(data[:24 + 16 + 30])
    r = run("--import", out("cut-record.pcap"), "-o", out("x.txt"), check=2)
    if "damaged" not in r.stderr:
        fail("truncated record: " + r.stderr)
    # unknown scenario format: text that is not an event script
    open(out("prose.txt"), "w").write("hello, this is not a scenario\n")
    r = run(out("prose.txt"), check=2)
    if "unknown scenario format" not in r.stderr or "prose.txt:1:1" not in r.stderr:
        fail("unknown format: " + r.stderr)
    # a script with a syntax error given as a script
    open(out("bad.txt"), "w").write("role client\n+0 connect\n+0 < Q 0:0(0) win 1\n")
    r = run("--target", "script", out("bad.txt"), check=2)
    if "not an event script" not in r.stderr or "bad.txt:3:" not in r.stderr:
        fail("syntax error: " + r.stderr)
    # a capture where a scenario is expected
    r = run(out("good.pcap"), check=2)
    if "use --import" not in r.stderr:
        fail("capture as input: " + r.stderr)
    open(out("empty"), "wb").close()
    r = run(out("empty"), check=2)
    if "empty input" not in r.stderr:
        fail("empty input: " + r.stderr)
    r = run("--import", out("good.pcap"), "--flow", "nonsense", "-o", out("x.txt"), check=2)
    if "bad --flow" not in r.stderr:
        fail("bad flow: " + r.stderr)
    r = run(out("no-such-file"), check=2)
    if "No such file" not in r.stderr:
        fail("missing file: " + r.stderr)
    r = run("--target", "nonsense", loss, check=2)
    if "unknown target" not in r.stderr:
        fail("unknown target: " + r.stderr)
    r = run("--target", "sim", os.path.join(SRC, "README.md"), check=2)
    if "not a ptcp-sim scenario" not in r.stderr or "ptcp-sim --seed" not in r.stderr:
        fail("sim target: " + r.stderr)
    # simulator scenarios: a bad value (ptcp-sim's own message), several runs, no options
    for text, want in (("ptcp-sim --seed 1 --loss lots\n", "--loss: bad value 'lots'"),
                       ("ptcp-sim --seed 1 --seeds 10\n", "--seeds: ptcp-replay replays one run"),
                       ("ptcp-sim --seed 1 --frobnicate 3\n", "frobnicate"),
                       ("# nothing but a comment\n", "no ptcp-sim options")):
        open(out("sim.txt"), "w").write(text)
        r = run("--target", "sim", out("sim.txt"), "-o", out("x.pcap"), check=2)
        if "not a ptcp-sim scenario" not in r.stderr or want not in r.stderr:
            fail("sim scenario %r: %s" % (text, r.stderr))
    print("bad inputs: clear messages, exit status 2")


def check_svg(path, want_rtx=False):
    try:
        doc = xml.dom.minidom.parse(path)
    except Exception as e:  # noqa: BLE001
        fail("%s: not well-formed XML: %s" % (path, e))
        return
    root = doc.documentElement
    if root.tagName != "svg" or not root.getAttribute("width") or not root.getAttribute("viewBox"):
        fail("%s: the root is not a sized <svg>" % path)
    def alltext(n):
        return "".join(c.data if c.nodeType == c.TEXT_NODE else alltext(c) for c in n.childNodes)

    text = " ".join(alltext(t) for t in doc.getElementsByTagName("text"))
    for want in ("time (", "sequence number"):
        if want not in text:
            fail("%s: no axis label %r" % (path, want))
    if want_rtx:
        classes = [g.getAttribute("class") for g in doc.getElementsByTagName("g")]
        if "rtx" not in classes:
            fail("%s: no retransmission marks" % path)
        if not [l for l in doc.getElementsByTagName("line") if l.getAttribute("class") == "sack"]:
            fail("%s: no SACK blocks" % path)


def svg_case():
    n = 0
    for target in ("script", "fuzz_conn", "fuzz_wire", "fuzz_sim"):
        for i, f in enumerate(samples(target)):
            p = out("%s-%d.svg" % (target, i))
            args = ["--target", target] if target != "script" else []
            run(*args, f, "--svg", p)
            check_svg(p, want_rtx=f.endswith("loss.txt"))
            n += 1
    # the README's simulator example: made by the tool, with drops and retransmissions
    ex = os.path.join(SRC, "replay", "examples", "sim-loss.txt")
    run(ex, "--svg", out("sim-loss.svg"), check=0)
    check_svg(out("sim-loss.svg"))
    doc = xml.dom.minidom.parse(out("sim-loss.svg"))
    classes = [g.getAttribute("class") for g in doc.getElementsByTagName("g")]
    if "drop" not in classes or "rtx" not in classes:
        fail("sim-loss.svg: no drop or retransmission marks")
    if open(out("sim-loss.svg")).read() != open(os.path.join(SRC, "docs", "replay-sim-example.svg")).read():
        fail("docs/replay-sim-example.svg is not what the tool makes of replay/examples/sim-loss.txt "
             "(regenerate it, see the README)")
    n += 1
    print("svg: %d diagrams, all well-formed" % n)


def failure_case():
    need_tshark()
    open(out("fails.txt"), "w").write(
        "role client\nisn local=1000 peer=5000\n+0 connect\n+0 > S 0:0(0) win * <*>\n"
        "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1460>\n+0 > F. 1:1(0) ack 1 win *\n")
    r = run(out("fails.txt"), "-o", out("f.pcap"), "--trace", out("f.txt"), "--svg", out("f.svg"), check=1)
    if "FAILED at step" not in r.stdout or "expected" not in r.stdout:
        fail("failure report: " + r.stdout)
    t = open(out("f.txt")).read()
    if "!! FAILED:" not in t or "\n!! " not in t:
        fail("failure not marked in the trace:\n" + t)
    if "FAILED" not in open(out("f.svg")).read():
        fail("failure not marked in the SVG")
    check_svg(out("f.svg"))
    # a crash (the child killed at its 40th step, as a core crash would): the outputs are
    # still written, with what happened up to the crash, and the crash is the verdict
    loss = os.path.join(SRC, "replay", "examples", "loss.txt")
    env = dict(os.environ, PTCP_REPLAY_CRASH_AT="40")
    r = subprocess.run([TOOL, loss, "-o", out("c.pcap"), "--trace", out("c.txt"), "--svg", out("c.svg")],
                       capture_output=True, text=True, env=env)
    if r.returncode != 1 or "crashed with signal" not in r.stdout:
        fail("crash: exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    t = open(out("c.txt")).read()
    if "!! FAILED: crashed with signal" not in t or len(trace_packets(out("c.txt"))) < 30:
        fail("crash trace:\n" + t[-2000:])
    if len(tshark_frames(out("c.pcap"))) != len(trace_packets(out("c.txt"))):
        fail("crash pcap does not hold the packets up to the crash")
    check_svg(out("c.svg"))
    # fuzz_drill oracle on a packetdrill script: runs in a child, passes
    open(out("d.pkt"), "w").write("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
    r = run(out("d.pkt"), "-o", out("d.pcap"), check=0)
    if "fuzz_drill" not in r.stdout:
        fail("packetdrill detection: " + r.stdout)
    # a failing simulator scenario (the virtual time limit): exit 1, marked, outputs written
    open(out("simfail.txt"), "w").write("ptcp-sim --seed 1 --bytes 1m --loss 1 --max-time 0.3\n")
    r = run(out("simfail.txt"), "-o", out("sf.pcap"), "--trace", out("sf.txt"), "--svg",
            out("sf.svg"), check=1)
    if "FAILED at step" not in r.stdout or "virtual time limit" not in r.stdout:
        fail("sim failure report: " + r.stdout)
    t = open(out("sf.txt")).read()
    if "!! FAILED: seed 1 t=0.300000s" not in t:
        fail("sim failure not marked in the trace:\n" + t[-1500:])
    if len(tshark_frames(out("sf.pcap"))) < 50:
        fail("sim failure: the pcap does not hold the run up to the failure")
    check_svg(out("sf.svg"))
    # a crash during a fuzz_sim run (the child killed at its 60th step): the outputs hold
    # both hosts' steps up to it, the crash is the verdict
    seed = samples("fuzz_sim")[2]
    env = dict(os.environ, PTCP_REPLAY_CRASH_AT="60")
    r = subprocess.run([TOOL, "--target", "fuzz_sim", seed, "-o", out("sc.pcap"), "--trace",
                        out("sc.txt")], capture_output=True, text=True, env=env)
    if r.returncode != 1 or "crashed with signal" not in r.stdout:
        fail("fuzz_sim crash: exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    t = open(out("sc.txt")).read()
    if "!! FAILED: crashed with signal" not in t or t.count(" c0 ") < 5 or t.count(" s0 ") < 5:
        fail("fuzz_sim crash trace:\n" + t[-2000:])
    kept = [l for l in t.splitlines() if re.match(r"^(?:!!|  ) +\d+\.\d+ +(?:#\d+ +)?[<>] ", l)
            and "[dropped by the network]" not in l]
    if len(tshark_frames(out("sc.pcap"))) != len(kept):
        fail("fuzz_sim crash: the pcap does not hold the packets up to the crash")
    print("failure: exit 1, step and message reported, marked in trace and SVG; a crash keeps "
          "the outputs up to it; a failing simulator run too")


def determinism():
    loss = os.path.join(SRC, "replay", "examples", "loss.txt")
    fc = samples("fuzz_conn")
    for i, (f, target) in enumerate([(loss, None)] + [(x, "fuzz_conn") for x in fc[:10]]):
        args = ["--target", target] if target else []
        run(*args, f, "-o", out("a.pcap"), "--trace", out("a.txt"))
        run(*args, f, "-o", out("b.pcap"), "--trace", out("b.txt"))
        run(*args, f, "--no-fork", "-o", out("c.pcap"), "--trace", out("c.txt"))
        A = open(out("a.txt")).read()
        if A != open(out("b.txt")).read() or open(out("a.pcap"), "rb").read() != open(out("b.pcap"), "rb").read():
            fail("%s: two replays differ" % f)
        if A != open(out("c.txt")).read():
            fail("%s: --no-fork gives another trace" % f)
    for i, (f, target) in enumerate(sim_inputs()):
        args = ["--target", target] if target else []
        for x in "ab":
            run(*args, f, "-o", out(x + ".pcap"), "--drops", out(x + ".d.pcap"), "--trace",
                out(x + ".txt"))
        for suf in (".pcap", ".txt"):
            if open(out("a" + suf), "rb").read() != open(out("b" + suf), "rb").read():
                fail("%s: two simulator replays differ (%s)" % (f, suf))
    print("determinism: identical traces and pcaps, with and without the child process")


# ---- fuzz_listener: the connection table ----------------------------------------------
CORE_MAC = bytes([0x02, 0x70, 0x74, 0x63, 0x70, 0x01])


def frame_tcp(fr):
    """A frame as (dir, (src, sport), (dst, dport), tcp bytes); dir '>' when the core sent it."""
    d = ">" if fr[6:12] == CORE_MAC else "<"
    ip = fr[14:]
    if ip[0] >> 4 == 4:
        hl, src, dst = (ip[0] & 15) * 4, ip[12:16], ip[16:20]
        tcp = ip[hl:(ip[2] << 8 | ip[3])]
    else:
        src, dst, tcp = ip[8:24], ip[24:40], ip[40:40 + (ip[4] << 8 | ip[5])]
    sport, dport = struct.unpack(">HH", tcp[:4])
    return d, (src, sport), (dst, dport), tcp


def tcp_fields(tcp):
    """(sport, dport, flags, seq, ack, win, payload length) as fuzz_listener's trace prints them."""
    sport, dport, seq, ack, off, flags, win = struct.unpack(">HHIIBBH", tcp[:16])
    return sport, dport, flags, seq, ack, win, len(tcp) - (off >> 4) * 4


def target_trace(exe, f):
    """The segments fuzz_listener reports, run alone: [(time, dir, fields)]."""
    env = dict(os.environ, PTCP_FUZZ_LISTENER_TRACE="1")
    r = subprocess.run([exe, f], capture_output=True, text=True, errors="replace", env=env)
    if r.returncode != 0:
        fail("%s: fuzz_listener alone: exit %d: %s" % (f, r.returncode, r.stderr[-300:]))
    res, t = [], None
    for line in r.stderr.splitlines():
        m = re.match(r"^ *(\d+) +\S+ +conn -?\d+ input \d+ -> -?\d+$", line)
        if m:
            t = int(m.group(1))
            continue
        m = re.match(r"^ +(in |out) (\d+)>(\d+) flags 0x([0-9a-f]{2}) seq (\d+) ack (\d+) "
                     r"win (\d+) len (\d+)", line)
        if m:
            res.append((t, "<" if m.group(1) == "in " else ">",
                        (int(m.group(2)), int(m.group(3)), int(m.group(4), 16), int(m.group(5)),
                         int(m.group(6)), int(m.group(7)), int(m.group(8)))))
    return res


def unlisten_packets(trace):
    """Per packet of the trace: whether it was emitted by an unlisten call."""
    res, cur = [], ""
    for line in open(trace, errors="replace"):
        m = re.match(r"^(?:!!|  ) +\d+\.\d+ +#\d+ +(.*)$", line.rstrip("\n"))
        if m:
            cur = m.group(1)
            if cur.startswith("< "):
                res.append(False)
            continue
        if re.match(r"^(?:!!|  ) +\d+\.\d+ +[<>] ", line):
            res.append(cur.startswith("unlisten "))
    return res


def pcap_listener_case():
    if len(sys.argv) < 5 or not os.path.exists(sys.argv[4]):
        fail("no plain fuzz_listener executable given (argv[4])")
        return
    exe = os.path.abspath(sys.argv[4])
    pcap_case("fuzz_listener")  # frames = trace packets, none flagged by tshark
    same = unl = pk = 0
    for i, f in enumerate(samples("fuzz_listener")):
        base = out("fuzz_listener-%d" % i)
        frames = pcap_frames(base + ".pcap")
        unlisten = unlisten_packets(base + ".txt")
        if len(unlisten) != len(frames):
            fail("%s: %d frames, %d packets in the trace" % (f, len(frames), len(unlisten)))
            continue
        got = []
        for (t, fr), u in zip(frames, unlisten):
            d, _, _, tcp = frame_tcp(fr)
            if u:
                unl += 1
                if d != ">" or not tcp[13] & 0x04:
                    fail("%s: an unlisten call emitted a non-RST: %s" % (f, tcp_fields(tcp)))
                continue
            got.append((t, d, tcp_fields(tcp)))
        want = target_trace(exe, f)
        if got != want:
            k = next((k for k, (x, y) in enumerate(zip(got, want)) if x != y),
                     min(len(got), len(want)))
            fail("%s: the pcap has %d segments of table steps, the target reports %d; first "
                 "difference at %d: %s / %s" % (f, len(got), len(want), k + 1,
                                                got[k] if k < len(got) else "-",
                                                want[k] if k < len(want) else "-"))
        else:
            same += 1
        pk += len(got)
    # a crash in the middle of a run (the child killed at its 30th call): the outputs hold
    # the packets up to it, the crash is the verdict
    seed = [f for f in samples("fuzz_listener") if f.endswith("flood-syn-cookie-client")][0]
    env = dict(os.environ, PTCP_REPLAY_CRASH_AT="30")
    r = subprocess.run([TOOL, seed, "-o", out("lc.pcap"), "--trace", out("lc.txt")],
                       capture_output=True, text=True, env=env)
    if r.returncode != 1 or "crashed with signal" not in r.stdout:
        fail("fuzz_listener crash: exit %d: %s%s" % (r.returncode, r.stdout, r.stderr))
    else:
        t = open(out("lc.txt")).read()
        n = len(trace_packets(out("lc.txt")))
        if "!! FAILED: crashed with signal" not in t or n < 20:
            fail("fuzz_listener crash trace (%d packets):\n%s" % (n, t[-2000:]))
        if len(tshark_frames(out("lc.pcap"))) != n:
            fail("fuzz_listener crash: the pcap does not hold the packets up to the crash")
    print("pcap-fuzz_listener: %d of %d inputs give the segments the target itself reports "
          "(%d segments of table steps, %d RSTs of unlisten calls); a crash keeps the outputs"
          % (same, len(samples("fuzz_listener")), pk, unl))


def frame_conn(fr):
    _, a, b, _ = frame_tcp(fr)
    return tuple(sorted((a, b)))


def roundtrip_listener():
    """fuzz_listener: the pcap -> --import (the connection of the first packet) -> replay gives
    the same frames (times, bytes) for that connection."""
    known = known_roundtrip()
    same = 0
    files = samples("fuzz_listener")
    for i, f in enumerate(files):
        name = "fuzz_listener/" + os.path.basename(f)
        base = out("rtl-%d" % i)
        run(f, "-o", base + ".pcap", check=0)
        r = run("--import", base + ".pcap", "-o", base + ".imp.txt")
        why = None
        if r.returncode != 0:
            why = "import failed: " + r.stderr.strip()
        else:
            run(base + ".imp.txt", "-o", base + ".rt.pcap")
            a, b = pcap_frames(base + ".pcap"), pcap_frames(base + ".rt.pcap")
            conn = frame_conn(a[0][1])
            a = [x for x in a if frame_conn(x[1]) == conn]
            b = [x for x in b if frame_conn(x[1]) == conn]
            if not b:
                why = "the replay of the import has no frame of the connection"
            elif a != b:
                k = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                why = "%d frames, after the import %d; first difference at frame %d" % (
                    len(a), len(b), k + 1)
        if why is None:
            same += 1
            if name in known:
                print("note: %s now round-trips (remove it from roundtrip-known.txt)" % name)
        elif name in known:
            print("known difference: %s (%s): %s" % (name, known[name], why))
        else:
            fail("%s: round trip differs: %s" % (name, why))
    print("roundtrip-fuzz_listener: %d of %d inputs give the same frames for the imported "
          "connection after pcap -> import -> replay" % (same, len(files)))


CASES = {
    "pcap-fuzz_listener": pcap_listener_case,
    "roundtrip-fuzz_listener": roundtrip_listener,
    "pcap-fuzz_wire": lambda: pcap_case("fuzz_wire"),
    "pcap-fuzz_conn": lambda: pcap_case("fuzz_conn"),
    "pcap-fuzz_drill": lambda: pcap_case("fuzz_drill"),
    "pcap-script": lambda: pcap_case("script"),
    "pcap-fuzz_sim": pcap_sim_case,
    "roundtrip-fuzz_sim": roundtrip_sim,
    "roundtrip": roundtrip,
    "import": import_case,
    "bad-inputs": bad_inputs,
    "svg": svg_case,
    "failure": failure_case,
    "determinism": determinism,
}

try:
    CASES[CASE]()
finally:
    if not failures:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print("outputs kept in", TMP)
print("%s: %s" % (CASE, "FAILED (%d)" % len(failures) if failures else "passed"))
sys.exit(1 if failures else 0)
