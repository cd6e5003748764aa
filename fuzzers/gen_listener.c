/*
 * ptcp-gen-listener-seeds OUTDIR: writes the seed corpus of fuzz_listener
 * into OUTDIR/fuzz_listener/ (the checked-in corpus/fuzz_listener is this
 * program's output).  Each seed is one scenario of the table, in the
 * operation encoding of lp_ops.h: handshakes and data, SYN cookies (on a
 * full queue, always, with and without timestamps), floods of SYNs, guessed
 * cookie ACKs and RSTs, Fast Open (cookie request, the cookie given, a wrong
 * one), RSTs to SYN-queue entries, accept-queue overflow, SYN-ACK timeouts,
 * closing a listener with connections waiting, active opens, challenge-ACK
 * limits, TIME-WAIT reuse, IPv6, a tiny pool and the minimum action array.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lp_ops.h"
#include "ptcp/listener.h"

static const char *outdir;
static int failures;

typedef struct seed {
	uint8_t b[1024];
	size_t n;
} seed;

static void put(seed *s, int count, ...)
{
	va_list ap;
	va_start(ap, count);
	for (int i = 0; i < count && s->n < sizeof s->b; i++)
		s->b[s->n++] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

/* cfg: table flags, pool, SYN-queue entries, listeners, backlog cap, core byte, limit byte,
 * Fast Open byte (see lp_ops.h) */
static seed cfg(unsigned flags, unsigned pool, unsigned reqs, unsigned lsn, unsigned backlog,
                unsigned core, unsigned limit, unsigned tfo)
{
	seed s = {.n = 0};
	put(&s, 8, flags, pool - 1, reqs - 1, lsn - 1, backlog - 1, core, limit, tfo);
	return s;
}

static void listen_(seed *s, unsigned addr, unsigned port, unsigned backlog)
{
	put(s, 4, LP_LISTEN, addr, port, backlog);
}
static void syn(seed *s, unsigned peer, unsigned dst, unsigned opt, unsigned val, unsigned len)
{
	put(s, 6, LP_SYN, peer, dst, opt, val, len);
}
static void reply(seed *s, unsigned peer, unsigned var, unsigned len)
{
	put(s, 4, LP_REPLY, peer, var, len);
}
static void rst(seed *s, unsigned peer, unsigned var, unsigned len)
{
	put(s, 4, LP_RST, peer, var, len);
}
static void app(seed *s, unsigned h, unsigned what, unsigned len)
{
	put(s, 4, LP_APP, h, what, len);
}
static void accept_(seed *s, unsigned slot)
{
	put(s, 2, LP_ACCEPT, slot);
}
static void time_(seed *s, unsigned v)
{
	put(s, 2, LP_TIME, v);
}
static void drain(seed *s, unsigned k)
{
	put(s, 2, LP_DRAIN, k);
}
static void flood(seed *s, unsigned n, unsigned kind)
{
	put(s, 3, LP_FLOOD, n, kind);
}

/* A client's handshake (SYN with every option, its ACK) and the accept. */
static void connect_peer(seed *s, unsigned peer, unsigned opt)
{
	syn(s, peer, 0, opt, 0, 0);
	reply(s, peer, 0, 0);
	accept_(s, 0);
}

static void write_seed(const char *name, const seed *s)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof path, "%s/fuzz_listener", outdir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		failures++;
		return;
	}
	snprintf(path, sizeof path, "%s/fuzz_listener/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n) {
		perror(path);
		failures++;
	}
	if (f)
		fclose(f);
}

#define ALL_OPTS 0x0f /* MSS, WS, SACK-permitted, TS */
#define NO_TS    0x07
#define FO_REQ   0x10
#define FO_GIVEN 0x20
#define FO_WRONG 0x30
#define NEW_ISN  0x80
#define A_SEND   0
#define A_SEND16 1
#define A_READ   2
#define A_SHUT   3
#define A_CLOSE  4
#define A_ABORT  5
#define A_ICMP   6
#define R_FIN    0x10
#define R_PSH    0x20
#define R_NOTS   0x40
#define R_SYN    0x80

int main(int argc, char **argv)
{
	seed s;
	if (argc != 2) {
		fprintf(stderr, "usage: ptcp-gen-listener-seeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];

	/* handshake, data both ways, the client's FIN, close */
	s = cfg(0, 8, 8, 2, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	connect_peer(&s, 0, ALL_OPTS);
	reply(&s, 0, R_PSH, 100);
	app(&s, 0, A_READ, 50);
	app(&s, 0, A_SEND, 100);
	reply(&s, 0, 0, 0);
	reply(&s, 0, R_FIN, 0);
	app(&s, 0, A_CLOSE, 0);
	reply(&s, 0, 0, 0);
	drain(&s, 7);
	write_seed("handshake-data-close", &s);

	/* SYN cookies for every SYN, with timestamps and without */
	s = cfg(PTCP_TBL_SYNCOOKIES | PTCP_TBL_SYNCOOKIES_ALWAYS, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	connect_peer(&s, 0, ALL_OPTS);
	reply(&s, 0, R_PSH, 20);
	app(&s, 0, A_READ, 10);
	write_seed("cookies-always-ts", &s);
	s = cfg(PTCP_TBL_SYNCOOKIES | PTCP_TBL_SYNCOOKIES_ALWAYS, 8, 8, 1, 8, 1, 0, 0);
	listen_(&s, 0, 0, 8);
	syn(&s, 1, 0, 0x01, 0, 0);
	reply(&s, 1, R_NOTS, 0);
	accept_(&s, 0);
	reply(&s, 1, R_NOTS | R_PSH, 30);
	app(&s, 0, A_SEND, 30);
	app(&s, 0, A_CLOSE, 0);
	drain(&s, 7);
	write_seed("cookies-always-no-ts", &s);
	/* a cookie ACK off by one, and one after the cookie's lifetime */
	s = cfg(PTCP_TBL_SYNCOOKIES | PTCP_TBL_SYNCOOKIES_ALWAYS, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	syn(&s, 2, 0, ALL_OPTS, 0, 0);
	reply(&s, 2, 0x04, 0);
	reply(&s, 2, 0x01, 0);
	time_(&s, 3 | 0x80 | (60 << 2));
	reply(&s, 2, 0, 0);
	write_seed("cookies-bad-and-late", &s);

	/* a SYN flood fills the queue; a genuine client gets in with a cookie */
	s = cfg(PTCP_TBL_SYNCOOKIES, 8, 2, 1, 4, 0, 0, 0);
	listen_(&s, 0, 0, 4);
	flood(&s, 63, 0);
	connect_peer(&s, 4, ALL_OPTS);
	reply(&s, 4, R_PSH, 64);
	app(&s, 0, A_READ, 64);
	drain(&s, 7);
	write_seed("flood-syn-cookie-client", &s);
	/* the same without cookies: SYNs dropped */
	s = cfg(0, 4, 2, 1, 2, 0, 0, 0);
	listen_(&s, 0, 0, 2);
	flood(&s, 40, 0);
	syn(&s, 5, 0, ALL_OPTS, 0, 0);
	drain(&s, 7);
	write_seed("flood-syn-no-cookies", &s);
	/* floods of guessed cookie ACKs and of RSTs, then of Fast Open SYNs */
	s = cfg(PTCP_TBL_SYNCOOKIES | PTCP_TBL_TFO, 8, 4, 1, 4, 0, 0, 2);
	listen_(&s, 0, 0, 4);
	flood(&s, 63, 1);
	flood(&s, 63, 2);
	flood(&s, 63, 3);
	connect_peer(&s, 6, ALL_OPTS);
	write_seed("flood-acks-rsts-tfo", &s);

	/* Fast Open: a cookie request, then the cookie with data, then a wrong one */
	s = cfg(PTCP_TBL_TFO, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	syn(&s, 8, 0, ALL_OPTS | FO_REQ, 0, 0);
	reply(&s, 8, 0, 0);
	accept_(&s, 0);
	app(&s, 0, A_CLOSE, 0);
	reply(&s, 8, R_FIN, 0);
	syn(&s, 9, 0, ALL_OPTS | FO_GIVEN | NEW_ISN, 0, 40);
	accept_(&s, 0);
	app(&s, 0, A_READ, 40);
	reply(&s, 9, R_PSH, 10);
	syn(&s, 10, 0, ALL_OPTS | FO_WRONG | NEW_ISN, 3, 40);
	reply(&s, 10, 0, 0);
	drain(&s, 7);
	write_seed("tfo-request-cookie-wrong", &s);
	/* Fast Open with the pending limit 1 */
	s = cfg(PTCP_TBL_TFO, 8, 8, 1, 8, 0, 0, 1);
	listen_(&s, 0, 0, 8);
	syn(&s, 12, 0, ALL_OPTS | FO_REQ, 0, 0);
	reply(&s, 12, 0, 0);
	syn(&s, 13, 0, ALL_OPTS | FO_GIVEN | NEW_ISN, 0, 20);
	syn(&s, 14, 0, ALL_OPTS | FO_GIVEN | NEW_ISN, 0, 20);
	accept_(&s, 0);
	drain(&s, 7);
	write_seed("tfo-pending-limit", &s);

	/* RSTs to a SYN-queue entry: exact, off by one (challenge ACK), far */
	s = cfg(0, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	syn(&s, 16, 0, ALL_OPTS, 0, 0);
	rst(&s, 16, 0x01, 0);
	rst(&s, 16, 0x20, 200);
	rst(&s, 16, 0, 0);
	syn(&s, 16, 0, ALL_OPTS | NEW_ISN, 0, 0);
	reply(&s, 16, R_SYN, 0);
	reply(&s, 16, 0x04, 0);
	write_seed("rst-syn-queue", &s);

	/* the accept queue overflows (backlog 1), with and without RSTs */
	for (int abort_on = 0; abort_on < 2; abort_on++) {
		s = cfg(abort_on ? PTCP_TBL_ABORT_ON_OVERFLOW : 0, 8, 8, 1, 1, 0, 0, 0);
		listen_(&s, 0, 0, 1);
		for (unsigned p = 0; p < 3; p++) {
			syn(&s, p, 0, ALL_OPTS, 0, 0);
			reply(&s, p, 0, 0);
		}
		time_(&s, 0);
		reply(&s, 2, 0, 0);
		accept_(&s, 0);
		write_seed(abort_on ? "accept-overflow-rst" : "accept-overflow-drop", &s);
	}

	/* SYN-ACKs retransmitted until the entry gives up */
	s = cfg(0, 8, 8, 1, 8, 0x20, 0, 0);
	listen_(&s, 0, 0, 8);
	syn(&s, 3, 0, ALL_OPTS, 0, 0);
	time_(&s, 1);
	time_(&s, 2);
	drain(&s, 7);
	drain(&s, 7);
	write_seed("synack-timeout", &s);

	/* closing a listener with entries and connections waiting */
	s = cfg(0, 8, 8, 2, 8, 0, 0, 0);
	listen_(&s, 1, 0, 8);
	listen_(&s, 0, 0, 8);
	syn(&s, 0, 0, ALL_OPTS, 0, 0);
	reply(&s, 0, 0, 0);
	syn(&s, 1, 0, ALL_OPTS, 0, 0);
	syn(&s, 2, 1, ALL_OPTS, 0, 0);
	put(&s, 2, LP_UNLISTEN, 0);
	reply(&s, 1, 0, 0);
	listen_(&s, 1, 0, 8);
	write_seed("unlisten-waiting", &s);

	/* an active open through the table, answered with a SYN-ACK */
	s = cfg(0, 8, 8, 1, 8, 0, 0, 0);
	put(&s, 3, LP_CONNECT, 20, 0);
	reply(&s, 20, R_SYN, 0);
	app(&s, 0, A_SEND16, 40);
	reply(&s, 20, 0, 0);
	put(&s, 3, LP_CONNECT, 20, 0);
	app(&s, 0, A_ABORT, 0);
	write_seed("active-open", &s);

	/* in-window SYNs and RSTs against the challenge-ACK limit of 1 per second */
	s = cfg(0, 8, 8, 1, 8, 0, 2, 0);
	listen_(&s, 0, 0, 8);
	connect_peer(&s, 0, ALL_OPTS);
	reply(&s, 0, R_SYN, 0);
	rst(&s, 0, 0x01, 0);
	rst(&s, 0, 0x11, 0);
	reply(&s, 0, 0x08, 0);
	time_(&s, 3 | (100 << 2));
	rst(&s, 0, 0x01, 0);
	rst(&s, 0, 0, 0);
	write_seed("challenge-ack-limit", &s);

	/* TIME-WAIT, then a new SYN of the same 4-tuple (RFC 6191) */
	s = cfg(0, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 0, 0, 8);
	connect_peer(&s, 0, ALL_OPTS);
	app(&s, 0, A_CLOSE, 0);
	reply(&s, 0, 0, 0);
	reply(&s, 0, R_FIN, 0);
	syn(&s, 0, 0, ALL_OPTS | NEW_ISN, 0, 0);
	reply(&s, 0, 0, 0);
	accept_(&s, 0);
	write_seed("time-wait-reuse", &s);

	/* IPv6 listener and clients */
	s = cfg(PTCP_TBL_SYNCOOKIES, 8, 8, 1, 8, 0, 0, 0);
	listen_(&s, 3, 0, 8);
	connect_peer(&s, 28, ALL_OPTS);
	reply(&s, 28, R_PSH, 100);
	syn(&s, 29, 0, ALL_OPTS, 0, 0);
	write_seed("ipv6", &s);

	/* a pool of one block, and the minimum action array */
	s = cfg(PTCP_TBL_SYNCOOKIES, 1, 4, 1, 4, 0, 0, 0x80);
	listen_(&s, 0, 0, 4);
	for (unsigned p = 0; p < 3; p++) {
		syn(&s, p, 0, ALL_OPTS, 0, 0);
		reply(&s, p, 0, 0);
	}
	accept_(&s, 0);
	flood(&s, 63, 0);
	time_(&s, 0);
	write_seed("pool-one-min-actions", &s);

	/* the application: sends, shutdown, ICMP, a handle it does not hold */
	s = cfg(0, 8, 8, 1, 8, 0x08, 0, 0);
	listen_(&s, 0, 0, 8);
	connect_peer(&s, 0, ALL_OPTS | 0x40);
	app(&s, 0, A_SEND16, 200);
	app(&s, 0, A_SHUT, 1);
	app(&s, 0, A_ICMP, 100);
	app(&s, 0x85, 0, 0);
	time_(&s, 0);
	reply(&s, 0, 0, 0);
	app(&s, 0, A_SEND, 10);
	drain(&s, 7);
	write_seed("app-misc", &s);

	if (failures)
		fprintf(stderr, "ptcp-gen-listener-seeds: %d seeds failed\n", failures);
	return failures ? 1 : 0;
}
