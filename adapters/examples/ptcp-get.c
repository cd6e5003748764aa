/*
 * ptcp-get: a tiny HTTP/1.1 client on the ptcp core.
 *
 *   ptcp-get LINK-OPTIONS http://10.213.0.1:8000/file [-o FILE]
 *
 * The host must be an IP literal (no DNS).  Sends one GET with
 * "Connection: close", writes the body to stdout or FILE, and understands
 * Content-Length, chunked transfer coding and bodies delimited by the close.
 * Exit status 0 for a complete 2xx body, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ptcp_app.h"

enum { HDR, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILER, DONE };

typedef struct get {
	char req[1024];
	size_t req_len, req_off;
	int phase;
	char hdr[16384];
	size_t hdr_len;
	int status;
	long long content_length; /* -1: none */
	int chunked;
	uint64_t body, chunk_left;
	char line[128];
	size_t line_len;
	int out_fd;
	int eof, closed, done, failed;
	ptcp_time_t t0;
} get;

static get G;

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

static void body_out(const uint8_t *p, size_t n)
{
	if (write_all(G.out_fd, p, n) != 0) {
		fprintf(stderr, "ptcp-get: write: %s\n", strerror(errno));
		G.failed = 1;
	}
	G.body += n;
}

static void parse_headers(void)
{
	char *p = G.hdr, *eol;
	G.content_length = -1;
	if (sscanf(p, "HTTP/%*d.%*d %d", &G.status) != 1) {
		fprintf(stderr, "ptcp-get: not an HTTP response\n");
		G.failed = 1;
		return;
	}
	while ((eol = strstr(p, "\r\n")) != NULL && eol != p) {
		*eol = 0;
		if (!strncasecmp(p, "Content-Length:", 15))
			G.content_length = strtoll(p + 15, NULL, 10);
		else if (!strncasecmp(p, "Transfer-Encoding:", 18) && strstr(p + 18, "chunked"))
			G.chunked = 1;
		p = eol + 2;
	}
	fprintf(stderr, "ptcp-get: HTTP %d, %s%lld\n", G.status, G.chunked ? "chunked" : "length ",
	        G.chunked ? 0 : G.content_length);
	G.phase = G.chunked ? CHUNK_SIZE : BODY;
	if (!G.chunked && G.content_length == 0)
		G.phase = DONE;
}

/* A line of the chunked coding; returns 1 when complete. */
static int take_line(const uint8_t **p, size_t *n)
{
	while (*n) {
		char c = (char)**p;
		(*p)++;
		(*n)--;
		if (c == '\n') {
			G.line[G.line_len] = 0;
			G.line_len = 0;
			return 1;
		}
		if (c != '\r' && G.line_len < sizeof G.line - 1)
			G.line[G.line_len++] = c;
	}
	return 0;
}

static void consume(const uint8_t *p, size_t n)
{
	while (n && G.phase != DONE && !G.failed) {
		switch (G.phase) {
		case HDR:
			while (n && G.phase == HDR) {
				if (G.hdr_len >= sizeof G.hdr - 1) {
					fprintf(stderr, "ptcp-get: header too long\n");
					G.failed = 1;
					return;
				}
				G.hdr[G.hdr_len++] = (char)*p++;
				n--;
				G.hdr[G.hdr_len] = 0;
				if (G.hdr_len >= 4 && !memcmp(G.hdr + G.hdr_len - 4, "\r\n\r\n", 4))
					parse_headers();
			}
			break;
		case BODY: {
			size_t take = n;
			if (G.content_length >= 0 &&
			    (uint64_t)take > (uint64_t)G.content_length - G.body)
				take = (size_t)((uint64_t)G.content_length - G.body);
			body_out(p, take);
			p += take;
			n -= take;
			if (G.content_length >= 0 && G.body == (uint64_t)G.content_length)
				G.phase = DONE;
			break;
		}
		case CHUNK_SIZE:
			if (take_line(&p, &n)) {
				G.chunk_left = strtoull(G.line, NULL, 16);
				G.phase = G.chunk_left ? CHUNK_DATA : TRAILER;
			}
			break;
		case CHUNK_DATA: {
			size_t take = n < G.chunk_left ? n : (size_t)G.chunk_left;
			body_out(p, take);
			p += take;
			n -= take;
			G.chunk_left -= take;
			if (!G.chunk_left)
				G.phase = CHUNK_CRLF;
			break;
		}
		case CHUNK_CRLF:
			if (take_line(&p, &n))
				G.phase = CHUNK_SIZE;
			break;
		case TRAILER:
			if (take_line(&p, &n) && G.line[0] == 0)
				G.phase = DONE;
			break;
		default:
			return;
		}
	}
}

static void on_event(ptcp_stack *s, ptcp_sock *k, unsigned ev)
{
	static uint8_t buf[262144];
	ptcp_state st;
	if (ev & (PTCP_SOCK_CONNECTED | PTCP_SOCK_WRITABLE)) {
		while (G.req_off < G.req_len) {
			int r = ptcp_sock_send(s, k, G.req + G.req_off, G.req_len - G.req_off, 0);
			if (r <= 0)
				break;
			G.req_off += (size_t)r;
		}
	}
	if (ev & PTCP_SOCK_READABLE) {
		while (!G.eof) {
			int r = ptcp_sock_read(s, k, buf, sizeof buf);
			if (r == PTCP_EAGAIN)
				break;
			if (r <= 0) {
				if (r < 0) {
					fprintf(stderr, "ptcp-get: %s\n", ptcp_strerror(r));
					G.failed = 1;
				}
				G.eof = 1;
				break;
			}
			consume(buf, (size_t)r);
		}
	}
	if ((G.eof || G.phase == DONE || G.failed) && !G.closed) {
		G.closed = 1;
		/* closing with unread data would reset: read the rest away */
		while (ptcp_sock_read(s, k, NULL, 1u << 30) > 0)
			;
		ptcp_sock_close(s, k);
	}
	st = ptcp_conn_state(&k->conn);
	if (G.closed && (st == PTCP_TIME_WAIT || st == PTCP_CLOSED))
		G.done = 1;
	if (ev & PTCP_SOCK_CLOSED) {
		if (k->err) {
			fprintf(stderr, "ptcp-get: connection failed: %s\n", ptcp_strerror(k->err));
			G.failed = 1;
		}
		G.done = 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ptcp-get LINK-OPTIONS http://IP[:PORT]/PATH [-o FILE]\n%s",
	        PTCP_APP_USAGE);
}

int main(int argc, char **argv)
{
	ptcp_app app;
	const char *url = NULL, *out = NULL;
	char host[128], path[768];
	const char *p, *slash;
	ptcp_addr remote;
	long port = 80;
	double secs;
	ptcp_app_init(&app, "ptcp-get");
	for (int i = 1; i < argc; i++) {
		int r = ptcp_app_option(&app, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!url && !strncmp(argv[i], "http://", 7)) {
			url = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!url) {
		usage(stderr);
		return 2;
	}
	/* http://HOST[:PORT][/PATH], HOST an IPv4 literal or [IPv6] */
	p = url + 7;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	if ((size_t)(slash - p) >= sizeof host || strlen(slash) >= sizeof path - 1) {
		fprintf(stderr, "ptcp-get: URL too long\n");
		return 2;
	}
	memcpy(host, p, (size_t)(slash - p));
	host[slash - p] = 0;
	snprintf(path, sizeof path, "%s", *slash ? slash : "/");
	{
		char addr[128];
		char *colon;
		snprintf(addr, sizeof addr, "%s", host);
		if (addr[0] == '[') {
			char *close = strchr(addr, ']');
			if (!close) {
				fprintf(stderr, "ptcp-get: bad host %s\n", host);
				return 2;
			}
			*close = 0;
			if (close[1] == ':')
				port = strtol(close + 2, NULL, 10);
			memmove(addr, addr + 1, strlen(addr));
		} else if ((colon = strchr(addr, ':')) != NULL) {
			*colon = 0;
			port = strtol(colon + 1, NULL, 10);
		}
		if (ptcp_stack_addr_parse(&remote, addr) != 0 || port <= 0 || port > 65535) {
			fprintf(stderr, "ptcp-get: the host must be an IP address: %s\n", host);
			return 2;
		}
	}
	G.req_len = (size_t)snprintf(G.req, sizeof G.req,
	                             "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ptcp-get\r\n"
	                             "Accept: */*\r\nConnection: close\r\n\r\n",
	                             path, host);
	G.out_fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;
	if (G.out_fd < 0) {
		fprintf(stderr, "ptcp-get: %s: %s\n", out, strerror(errno));
		return 1;
	}
	if (ptcp_app_start(&app) != 0)
		return 1;
	G.t0 = ptcp_stack_now();
	if (!ptcp_stack_connect(app.stack, &remote, (uint16_t)port, 0, on_event, NULL)) {
		fprintf(stderr, "ptcp-get: connect: %s\n", strerror(errno));
		ptcp_app_stop(&app);
		return 1;
	}
	while (!ptcp_app_quit && !G.done) {
		int r = ptcp_stack_poll(app.stack, PTCP_TIME_NEVER, -1);
		if (r < 0) {
			fprintf(stderr, "ptcp-get: link: %s\n", strerror(-r));
			G.failed = 1;
			break;
		}
	}
	secs = (double)(ptcp_stack_now() - G.t0) / 1e6;
	if (G.phase != DONE && !(G.phase == BODY && G.content_length < 0 && G.eof)) {
		if (!G.failed)
			fprintf(stderr, "ptcp-get: incomplete body (%llu bytes)\n",
			        (unsigned long long)G.body);
		G.failed = 1;
	}
	if (G.status < 200 || G.status > 299)
		G.failed = 1;
	fprintf(stderr, "ptcp-get: %llu bytes in %.3f s (%.1f MiB/s)%s\n",
	        (unsigned long long)G.body, secs, secs > 0 ? (double)G.body / 1048576.0 / secs : 0,
	        G.failed ? " FAILED" : "");
	if (out)
		close(G.out_fd);
	ptcp_app_stop(&app);
	return G.failed ? 1 : 0;
}
