/*
 * ptcp-bulk: bulk transfer both ways on the ptcp core (chargen / discard /
 * file copy / a one-file HTTP server).
 *
 *   ptcp-bulk LINK-OPTIONS (--listen PORT | --connect IP:PORT)
 *             [--send FILE | --send-bytes N] [--recv FILE] [--http]
 *
 * One connection.  What it sends (a file, or N bytes of a fixed pseudo-random
 * pattern, "chargen") goes out and is followed by a FIN; what it receives
 * goes to --recv FILE ("-" = stdout) or is discarded ("discard").  With
 * --http (and --listen), it reads an HTTP request first and answers with a
 * 200 response carrying the file.  The program ends when both directions
 * are closed and our FIN is acknowledged, and prints a summary line:
 * bytes, seconds, MiB/s, CPU seconds per MiB, retransmissions.
 * Exit status 0 on a clean close, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptcp_app.h"

typedef struct bulk {
	/* sending */
	int src_fd;
	uint64_t send_total; /* bytes to send (file size or --send-bytes) */
	uint64_t sent;       /* queued into ptcp so far */
	uint8_t chunk[65536];
	size_t chunk_off, chunk_len;
	int fin_sent;
	int http;
	char http_hdr[256];
	size_t hdr_len, hdr_off;
	char req[4096];
	size_t req_len;
	int req_done;
	/* receiving */
	int dst_fd;
	uint64_t received;
	int eof;
	/* life */
	ptcp_sock *k;
	int done, failed;
	ptcp_time_t t_start, t_end;
	ptcp_stats st;
	int have_st;
} bulk;

static bulk B;

/* "chargen": a pseudo-random pattern, the same bytes for the same offset. */
static void pattern(uint8_t *p, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) / 8 + 0x9e3779b97f4a7c15ull;
		x ^= x >> 33;
		x *= 0xff51afd7ed558ccdull;
		x ^= x >> 33;
		p[i] = (uint8_t)(x >> (((off + i) % 8) * 8));
	}
}

static int fill_chunk(void)
{
	size_t want = sizeof B.chunk;
	uint64_t left = B.send_total - B.sent;
	if (B.chunk_off < B.chunk_len)
		return 1;
	if (left == 0)
		return 0;
	if (want > left)
		want = (size_t)left;
	if (B.src_fd >= 0) {
		ssize_t r = read(B.src_fd, B.chunk, want);
		if (r <= 0) {
			fprintf(stderr, "ptcp-bulk: read: %s\n",
			        r ? strerror(errno) : "short file");
			B.send_total = B.sent;
			return 0;
		}
		B.chunk_len = (size_t)r;
	} else {
		pattern(B.chunk, want, B.sent);
		B.chunk_len = want;
	}
	B.chunk_off = 0;
	return 1;
}

static void push_send(ptcp_stack *s, ptcp_sock *k)
{
	if (B.fin_sent || (B.http && !B.req_done))
		return;
	while (B.hdr_off < B.hdr_len) {
		int r = ptcp_sock_send(s, k, B.http_hdr + B.hdr_off, B.hdr_len - B.hdr_off,
		                       PTCP_SEND_MORE);
		if (r <= 0)
			return;
		B.hdr_off += (size_t)r;
	}
	while (fill_chunk()) {
		int r = ptcp_sock_send(
		    s, k, B.chunk + B.chunk_off, B.chunk_len - B.chunk_off,
		    B.sent + (B.chunk_len - B.chunk_off) < B.send_total ? PTCP_SEND_MORE : 0);
		if (r == PTCP_EAGAIN || r == 0)
			return;
		if (r < 0) {
			fprintf(stderr, "ptcp-bulk: send: %s\n", ptcp_strerror(r));
			B.failed = 1;
			return;
		}
		B.chunk_off += (size_t)r;
		B.sent += (uint64_t)r;
	}
	if (B.sent == B.send_total && (B.send_total > 0 || B.eof || B.http)) {
		/* everything queued: FIN after it (shutdown keeps reading); with
		 * nothing to send, FIN once the peer is done */
		ptcp_sock_shutdown(s, k, PTCP_SHUT_WR);
		B.fin_sent = 1;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void pull_recv(ptcp_stack *s, ptcp_sock *k)
{
	static uint8_t buf[262144];
	while (!B.eof) {
		int r = ptcp_sock_read(s, k, buf, sizeof buf);
		size_t off = 0;
		if (r == PTCP_EAGAIN)
			return;
		if (r == 0) {
			B.eof = 1;
			break;
		}
		if (r < 0) {
			fprintf(stderr, "ptcp-bulk: read: %s\n", ptcp_strerror(r));
			B.failed = 1;
			B.eof = 1;
			break;
		}
		if (B.http && !B.req_done) {
			/* the request: up to the empty line */
			while (off < (size_t)r && !B.req_done) {
				if (B.req_len < sizeof B.req - 1)
					B.req[B.req_len++] = (char)buf[off];
				off++;
				B.req[B.req_len] = 0;
				if (B.req_len >= 4 && !memcmp(B.req + B.req_len - 4, "\r\n\r\n", 4))
					B.req_done = 1;
			}
			if (B.req_done)
				push_send(s, k);
		}
		B.received += (uint64_t)r - off;
		if (B.dst_fd >= 0 && write_all(B.dst_fd, buf + off, (size_t)r - off) != 0) {
			fprintf(stderr, "ptcp-bulk: write: %s\n", strerror(errno));
			B.failed = 1;
		}
	}
}

static void finish(ptcp_sock *k)
{
	if (B.done)
		return;
	B.done = 1;
	B.t_end = ptcp_stack_now();
	ptcp_conn_stats(&k->conn, &B.st);
	B.have_st = 1;
}

static void on_event(ptcp_stack *s, ptcp_sock *k, unsigned ev)
{
	ptcp_state st;
	if (B.k && B.k != k) { /* one connection only: refuse others */
		if (ev & PTCP_SOCK_CONNECTED)
			ptcp_sock_abort(s, k);
		return;
	}
	if (ev & PTCP_SOCK_CONNECTED) {
		B.k = k;
		B.t_start = ptcp_stack_now();
	}
	if (!B.k)
		return;
	if (ev & (PTCP_SOCK_CONNECTED | PTCP_SOCK_READABLE))
		pull_recv(s, k);
	if (ev & (PTCP_SOCK_CONNECTED | PTCP_SOCK_WRITABLE | PTCP_SOCK_READABLE))
		push_send(s, k);
	st = ptcp_conn_state(&k->conn);
	if (B.eof && B.fin_sent && (st == PTCP_TIME_WAIT || st == PTCP_CLOSED))
		finish(k);
	if (ev & PTCP_SOCK_CLOSED) {
		if (k->err) {
			fprintf(stderr, "ptcp-bulk: connection failed: %s\n",
			        ptcp_strerror(k->err));
			B.failed = 1;
		} else if (!B.eof || !B.fin_sent) {
			fprintf(stderr, "ptcp-bulk: connection closed early\n");
			B.failed = 1;
		}
		finish(k);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ptcp-bulk LINK-OPTIONS (--listen PORT | --connect IP:PORT)\n"
	        "                 [--send FILE | --send-bytes N] [--recv FILE|-] [--http]\n"
	        "                 [--timeout SECONDS]\n%s",
	        PTCP_APP_USAGE);
}

static int parse_hostport(const char *v, ptcp_addr *a, long *port)
{
	char buf[128];
	char *colon;
	if (strlen(v) >= sizeof buf)
		return -1;
	strcpy(buf, v);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = 0;
		*port = strtol(close + 2, NULL, 10);
		return ptcp_stack_addr_parse(a, buf + 1);
	}
	colon = strrchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	*port = strtol(colon + 1, NULL, 10);
	return ptcp_stack_addr_parse(a, buf);
}

int main(int argc, char **argv)
{
	ptcp_app app;
	long lport = 0, rport = 0;
	ptcp_addr remote;
	const char *send_file = NULL, *recv_file = NULL;
	double timeout = 0, cpu0, secs, cpu, mib;
	ptcp_time_t t0;
	int connect_mode = 0;
	ptcp_app_init(&app, "ptcp-bulk");
	B.src_fd = B.dst_fd = -1;
	for (int i = 1; i < argc; i++) {
		int r = ptcp_app_option(&app, argc, argv, &i);
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (r < 0)
			return 2;
		if (r)
			continue;
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--http")) {
			B.http = 1;
			continue;
		} else if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(o, "--listen")) {
			lport = strtol(v, NULL, 10);
		} else if (!strcmp(o, "--connect")) {
			if (parse_hostport(v, &remote, &rport) != 0 || rport <= 0 ||
			    rport > 65535) {
				fprintf(stderr,
				        "ptcp-bulk: bad --connect %s (IP:PORT or [IPv6]:PORT)\n",
				        v);
				return 2;
			}
			connect_mode = 1;
		} else if (!strcmp(o, "--send")) {
			send_file = v;
		} else if (!strcmp(o, "--send-bytes")) {
			B.send_total = ptcp_app_size(v);
		} else if (!strcmp(o, "--recv")) {
			recv_file = v;
		} else if (!strcmp(o, "--timeout")) {
			timeout = strtod(v, NULL);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (connect_mode == (lport > 0) || lport > 65535) {
		fprintf(stderr, "ptcp-bulk: give one of --listen PORT or --connect IP:PORT\n");
		return 2;
	}
	if (send_file) {
		struct stat sb;
		B.src_fd = open(send_file, O_RDONLY | O_CLOEXEC);
		if (B.src_fd < 0 || fstat(B.src_fd, &sb) != 0) {
			fprintf(stderr, "ptcp-bulk: %s: %s\n", send_file, strerror(errno));
			return 1;
		}
		B.send_total = (uint64_t)sb.st_size;
	}
	if (recv_file) {
		B.dst_fd = !strcmp(recv_file, "-")
		               ? 1
		               : open(recv_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (B.dst_fd < 0) {
			fprintf(stderr, "ptcp-bulk: %s: %s\n", recv_file, strerror(errno));
			return 1;
		}
	}
	if (B.http) {
		if (connect_mode) {
			fprintf(stderr, "ptcp-bulk: --http serves: use it with --listen\n");
			return 2;
		}
		B.hdr_len = (size_t)snprintf(B.http_hdr, sizeof B.http_hdr,
		                             "HTTP/1.1 200 OK\r\nContent-Type: "
		                             "application/octet-stream\r\nContent-Length: "
		                             "%llu\r\nConnection: close\r\n\r\n",
		                             (unsigned long long)B.send_total);
	}
	if (ptcp_app_start(&app) != 0)
		return 1;
	if (connect_mode) {
		if (!ptcp_stack_connect(app.stack, &remote, (uint16_t)rport, 0, on_event, NULL)) {
			fprintf(stderr, "ptcp-bulk: connect: %s\n", strerror(errno));
			ptcp_app_stop(&app);
			return 1;
		}
	} else {
		ptcp_stack_listen(app.stack, NULL, (uint16_t)lport, on_event, NULL);
		fprintf(stderr, "ptcp-bulk: listening on port %ld\n", lport);
	}
	cpu0 = ptcp_app_cpu();
	t0 = ptcp_stack_now();
	while (!ptcp_app_quit && !B.done) {
		int r = ptcp_stack_poll(app.stack, PTCP_MS(500), -1);
		if (r < 0) {
			fprintf(stderr, "ptcp-bulk: link: %s\n", strerror(-r));
			B.failed = 1;
			break;
		}
		if (timeout > 0 && (double)(ptcp_stack_now() - t0) / 1e6 > timeout) {
			fprintf(stderr,
			        "ptcp-bulk: timed out after %.0f s (sent %llu of %llu, "
			        "received %llu)\n",
			        timeout, (unsigned long long)B.sent,
			        (unsigned long long)B.send_total, (unsigned long long)B.received);
			if (B.k)
				ptcp_conn_stats(&B.k->conn, &B.st), B.have_st = 1;
			B.failed = 1;
			break;
		}
	}
	if (!B.done && !B.failed)
		B.failed = 1;
	if (!B.t_end)
		B.t_end = ptcp_stack_now();
	cpu = ptcp_app_cpu() - cpu0;
	secs = B.t_start ? (double)(B.t_end - B.t_start) / 1e6 : 0;
	mib = (double)(B.sent > B.received ? B.sent : B.received) / 1048576.0;
	fprintf(stderr,
	        "ptcp-bulk: sent %llu received %llu bytes in %.3f s, %.1f MiB/s, cpu %.3f s "
	        "(%.2f ms/MiB), retransmits %llu, rto %llu%s\n",
	        (unsigned long long)B.sent, (unsigned long long)B.received, secs,
	        secs > 0 ? mib / secs : 0, cpu, mib > 0 ? cpu * 1000 / mib : 0,
	        (unsigned long long)(B.have_st ? B.st.retransmits : 0),
	        (unsigned long long)(B.have_st ? B.st.rto_fired : 0), B.failed ? " FAILED" : "");
	if (B.have_st) {
		char d[512];
		fprintf(stderr, "ptcp-bulk: segments in %llu out %llu; drops: %s\n",
		        (unsigned long long)B.st.segs_in, (unsigned long long)B.st.segs_out,
		        ptcp_app_drops(&B.st, d, sizeof d));
	}
	if (B.dst_fd > 1)
		close(B.dst_fd);
	if (B.src_fd >= 0)
		close(B.src_fd);
	ptcp_app_stop(&app);
	return B.failed ? 1 : 0;
}
