/*
 * ptcp-echo: an echo server (RFC 862) on the ptcp core.
 *
 *   ptcp-echo --tun tun0 --addr 10.213.0.2 --port 7
 *
 * Every connection gets back what it sends; when the peer closes, the
 * connection closes once everything was echoed.  Runs until SIGINT/SIGTERM,
 * or with --once until the first connection is over.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptcp_app.h"

static int once, served, closing_done;

typedef struct echo_conn {
	int closed; /* we sent our CLOSE */
} echo_conn;

static echo_conn conns[1024];

static void pump(ptcp_stack *s, ptcp_sock *k)
{
	static uint8_t buf[65536];
	echo_conn *e = &conns[(size_t)(k - s->socks) % 1024];
	while (!e->closed) {
		size_t space = ptcp_conn_send_space(&k->conn);
		size_t n = space < sizeof buf ? space : sizeof buf;
		int r;
		if (n == 0)
			break; /* WRITABLE brings us back */
		r = ptcp_sock_read(s, k, buf, n);
		if (r == PTCP_EAGAIN)
			break;
		if (r == 0) { /* end of stream, everything echoed: FIN */
			ptcp_sock_close(s, k);
			e->closed = 1;
			break;
		}
		if (r < 0) {
			ptcp_sock_abort(s, k);
			e->closed = 1;
			break;
		}
		ptcp_sock_send(s, k, buf, (size_t)r, 0);
	}
}

static void on_event(ptcp_stack *s, ptcp_sock *k, unsigned ev)
{
	echo_conn *e = &conns[(size_t)(k - s->socks) % 1024];
	if (ev & PTCP_SOCK_CONNECTED) {
		char b[64];
		e->closed = 0;
		served++;
		fprintf(stderr, "ptcp-echo: connection from %s port %u\n",
		        ptcp_stack_addr_str(&k->raddr, b, sizeof b), k->rport);
	}
	if (ev & (PTCP_SOCK_CONNECTED | PTCP_SOCK_READABLE | PTCP_SOCK_WRITABLE))
		pump(s, k);
	if ((ev & PTCP_SOCK_STATE) && e->closed && ptcp_conn_state(&k->conn) == PTCP_TIME_WAIT)
		closing_done = 1;
	if (ev & PTCP_SOCK_CLOSED) {
		char d[512];
		ptcp_stats st;
		ptcp_conn_stats(&k->conn, &st);
		fprintf(stderr,
		        "ptcp-echo: connection ended%s%s: %llu bytes echoed, segments in %llu out "
		        "%llu, retransmits %llu, rto %llu; drops: %s\n",
		        k->err ? ": " : "", k->err ? ptcp_strerror(k->err) : "",
		        (unsigned long long)st.bytes_in, (unsigned long long)st.segs_in,
		        (unsigned long long)st.segs_out, (unsigned long long)st.retransmits,
		        (unsigned long long)st.rto_fired, ptcp_app_drops(&st, d, sizeof d));
		closing_done = 1;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ptcp-echo LINK-OPTIONS --port PORT [--once]\n%s", PTCP_APP_USAGE);
}

int main(int argc, char **argv)
{
	ptcp_app app;
	long port = 7;
	ptcp_app_init(&app, "ptcp-echo");
	for (int i = 1; i < argc; i++) {
		int r = ptcp_app_option(&app, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--once")) {
			once = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "ptcp-echo: bad port\n");
		return 2;
	}
	if (ptcp_app_start(&app) != 0)
		return 1;
	ptcp_stack_listen(app.stack, NULL, (uint16_t)port, on_event, NULL);
	fprintf(stderr, "ptcp-echo: listening on port %ld\n", port);
	while (!ptcp_app_quit) {
		int r = ptcp_stack_poll(app.stack, PTCP_TIME_NEVER, -1);
		if (r < 0) {
			fprintf(stderr, "ptcp-echo: link: %s\n", strerror(-r));
			break;
		}
		if (once && served && closing_done)
			break;
	}
	ptcp_app_stop(&app);
	return 0;
}
