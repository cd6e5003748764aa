/*
 * drill_tfo.c - TCP Fast Open, server side, in the runner's simulated Linux listener.
 *
 * IMPLEMENTATION NOTES
 * The runner keeps its own listeners (one ptcp_conn per SYN, drill_stack.c), so the
 * listener's Fast Open policy lives here, as Linux's tcp_try_fastopen() has it, and the
 * connection side is the core's ptcp_tfo_server_open() (RFC 7413 4.2.2):
 *
 *  - net.ipv4.tcp_fastopen bit 0x2 enables the server side; a listener takes part when it
 *    has TCP_FASTOPEN (its queue length) or bit 0x400 (TFO_SERVER_WO_SOCKOPT1, then the
 *    queue length is the backlog).  Bit 0x200 (TFO_SERVER_COOKIE_NOT_REQD) accepts data in
 *    a SYN without a cookie.  Other bits are client-side or not modelled.
 *  - The cookie is Linux's: SipHash-2-4 of the SYN's source and destination addresses
 *    (network order) keyed with the listener's TCP_FASTOPEN_KEY or the sysctl key, the
 *    64-bit result little-endian.  The sysctl's words "a-b-c-d" are stored little-endian,
 *    as Linux does, so the socket option's 16 bytes and the sysctl name the same key.
 *  - A SYN with a valid cookie (data or not) or, with 0x200, with data makes a Fast Open
 *    child at once: ESTABLISHED in the core, the SYN's data readable, in the accept queue,
 *    "pending" until our SYN-ACK is acknowledged (SYN-ACK sent again on a retransmitted
 *    SYN and on a timer from rto_initial with backoff, synack_retries times, then the
 *    child is aborted).  At most the queue length of children are pending (RFC 7413 5.1);
 *    beyond it the SYN gets a plain handshake.
 *  - A cookie request, or a wrong cookie: a plain handshake whose SYN-ACK carries the valid
 *    cookie, in the encoding the SYN used; the SYN's data is not acknowledged.
 *  - The script symbol TFO_COOKIE is the valid cookie for the script's remote address.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"
#include "ptcp/listener.h"

#define TFO_CLIENT_ENABLE          0x1u
#define TFO_SERVER_ENABLE          0x2u
#define TFO_SERVER_COOKIE_NOT_REQD 0x200u
#define TFO_SERVER_WO_SOCKOPT1     0x400u

/* The words of "a-b-c-d" (hex) into key, each little-endian.  0 or -1 (malformed). */
static int parse_key(const char *v, uint8_t key[16])
{
	const char *p = v;
	for (int i = 0; i < 4; i++) {
		char *e;
		unsigned long w;
		if (!isxdigit((unsigned char)*p))
			return -1;
		w = strtoul(p, &e, 16);
		if (e == p || w > 0xffffffffUL || (i < 3 && *e != '-') ||
		    (i == 3 && *e != '\0' && *e != ','))
			return -1;
		for (int j = 0; j < 4; j++)
			key[4 * i + j] = (uint8_t)(w >> (8 * j));
		p = e + 1;
	}
	return 0;
}

void tfo_env_init(struct runner *r)
{
	/* defaults.sh: tcp_fastopen=0x70403, tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4
	 */
	r->tfo_sysctl = 0x70403u;
	(void)parse_key("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", r->tfo_key);
}

int tfo_sysctl(struct runner *r, int line, const char *name, const char *v)
{
	if (strcmp(name, "tcp_fastopen") == 0) {
		char *e;
		unsigned long f = strtoul(v, &e, 0);
		if (e == v || *e)
			return drill_fail(r, line, "sysctl tcp_fastopen=%s: not a number", v);
		r->tfo_sysctl = (uint32_t)f;
		return 0;
	}
	if (strcmp(name, "tcp_fastopen_key") == 0) {
		if (parse_key(v, r->tfo_key) != 0)
			return drill_fail(r, line,
			                  "sysctl tcp_fastopen_key=%s: expected "
			                  "xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx",
			                  v);
		return 0;
	}
	return 1; /* not ours */
}

/* A C string literal's text with \xHH, \ooo and \n-style escapes decoded; its length or -1. */
static int unescape(const char *s, uint8_t *out, int cap)
{
	int n = 0;
	while (*s) {
		unsigned v;
		if (*s != '\\') {
			v = (unsigned char)*s++;
		} else if (s[1] == 'x' && isxdigit((unsigned char)s[2])) {
			char *e;
			v = (unsigned)strtoul(s + 2, &e, 16);
			if (e - (s + 2) > 2)
				return -1;
			s = e;
		} else if (s[1] >= '0' && s[1] <= '7') {
			int k = 0;
			v = 0;
			s++;
			while (k < 3 && *s >= '0' && *s <= '7') {
				v = v * 8 + (unsigned)(*s++ - '0');
				k++;
			}
		} else if (s[1]) {
			static const char from[] = "nrt0\\\"'", to[] = "\n\r\t\0\\\"'";
			const char *q = strchr(from, s[1]);
			if (!q)
				return -1;
			v = (unsigned char)to[q - from];
			s += 2;
		} else {
			return -1;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)v;
	}
	return n;
}

int tfo_setsockopt_key(struct runner *r, struct sock *sk, const char *str, int64_t len)
{
	uint8_t b[64];
	int n = unescape(str, b, (int)sizeof(b));
	(void)r;
	/* Linux: the key is 16 bytes (a backup key makes 32); anything else is EINVAL */
	if (len != 16 || n < 16)
		return -1;
	memcpy(sk->tfo_key, b, 16);
	sk->tfo_key_set = true;
	return 0;
}

static struct sock *listener_on(struct runner *r, uint16_t lport)
{
	for (struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->kind == SK_LISTEN && sk->lport == lport)
			return sk;
	return NULL;
}

/* Linux __tcp_fastopen_cookie_gen_cipher(): SipHash of saddr, daddr (the client's first). */
static void linux_cookie(const struct runner *r, const struct sock *lsk, uint8_t cookie[8])
{
	uint8_t b[32];
	size_t n = r->ipv6 ? 16 : 4;
	uint64_t v;
	memcpy(b, r->remote.bytes, n);
	memcpy(b + n, r->local.bytes, n);
	v = ptcp_siphash(lsk && lsk->tfo_key_set ? lsk->tfo_key : r->tfo_key, b, 2 * n);
	for (int i = 0; i < 8; i++)
		cookie[i] = (uint8_t)(v >> (8 * i));
}

int tfo_script_cookie(struct runner *r, int line, const char *blob, uint16_t lport,
                      uint8_t cookie[16], uint8_t *len)
{
	size_t n;
	*len = 0;
	if (!blob)
		return 0;
	if (strcmp(blob, "TFO_COOKIE") == 0) {
		linux_cookie(r, listener_on(r, lport), cookie);
		*len = 8;
		return 0;
	}
	n = strlen(blob);
	if (n % 2 || n < 8 || n > 32)
		return drill_fail(r, line, "Fast Open cookie '%s': expected 4..16 bytes in hex",
		                  blob);
	for (size_t i = 0; i < n; i += 2) {
		char h[3] = {blob[i], blob[i + 1], 0};
		if (!isxdigit((unsigned char)h[0]) || !isxdigit((unsigned char)h[1]))
			return drill_fail(r, line, "Fast Open cookie '%s': not hex", blob);
		cookie[i / 2] = (uint8_t)strtoul(h, NULL, 16);
	}
	*len = (uint8_t)(n / 2);
	return 0;
}

/* The listener's Fast Open queue length (0: Fast Open off on it). */
static int tfo_qlen(const struct runner *r, const struct sock *lsk)
{
	if (!(r->tfo_sysctl & TFO_SERVER_ENABLE))
		return 0;
	if (lsk->tfo_qlen > 0)
		return lsk->tfo_qlen;
	return (r->tfo_sysctl & TFO_SERVER_WO_SOCKOPT1) ? (lsk->backlog > 0 ? lsk->backlog : 1) : 0;
}

static int pending_children(const struct runner *r, const struct sock *lsk)
{
	int n = 0;
	for (const struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->parent == lsk && sk->tfo_pending)
			n++;
	return n;
}

static bool syn_exp(const ptcp_seg *seg)
{
	for (size_t i = 0; i < seg->opts.nitems; i++)
		if (seg->opts.items[i].kind == PTCP_OPTKIND_EXP && seg->opts.items[i].len == 0)
			return true;
	return false;
}

int tfo_listener_syn(struct runner *r, struct sock *lsk, const ptcp_seg *seg, const ptcp_input *in)
{
	const ptcp_tcp_opts *o = &seg->opts;
	bool has_opt = (o->present & PTCP_OPT_TFO) != 0, data = ptcp_seg_len(seg) > 0;
	int qlen = tfo_qlen(r, lsk);
	uint8_t valid[8];
	struct sock *sk;
	int ret;
	r->grant_on = false;
	if (!qlen || (!has_opt && !data))
		return 0;
	if (pending_children(r, lsk) >= qlen) {
		drill_trace(r, "  Fast Open: %d children pending, plain handshake", qlen);
		return 0; /* RFC 7413 5.1; Linux: no cookie either */
	}
	linux_cookie(r, lsk, valid);
	if (!(data && (r->tfo_sysctl & TFO_SERVER_COOKIE_NOT_REQD))) {
		if (!has_opt)
			return 0; /* data without a cookie: a plain handshake, data ignored */
		if (o->tfo_len != 8 || memcmp(o->tfo_cookie, valid, 8) != 0) {
			/* RFC 7413 4.1.2: a request, 4.2.2: a wrong cookie: a plain handshake
			 * whose SYN-ACK brings a valid cookie */
			drill_trace(r, "  Fast Open: %s, cookie granted",
			            o->tfo_len ? "invalid cookie" : "cookie request");
			r->grant_on = true;
			r->grant_exp = syn_exp(seg);
			memcpy(r->grant, valid, 8);
			return 0;
		}
	}
	sk = stack_child(r, lsk, seg);
	if (!sk)
		return -1;
	drill_trace(r, "  Fast Open: child with %u bytes of SYN data", (unsigned)ptcp_seg_len(seg));
	ret = ptcp_tfo_server_open(sk->conn, in, sk->iss, (ptcp_time_t)(DRILL_BASE_US + r->now),
	                           &r->out);
	if (ret != 0)
		return drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_tfo_server_open: %s",
		                  ptcp_strerror(ret));
	stack_take_actions(r, sk);
	sk->tfo_pending = true;
	sk->tfo_retries = 0;
	sk->tfo_deadline = r->now + (int64_t)sk->conn->cfg.rto_initial;
	return r->stopped ? -1 : 1;
}

static void resend_synack(struct runner *r, struct sock *sk)
{
	ptcp_action a;
	memset(&a, 0, sizeof(a));
	a.kind = PTCP_ACT_EMIT;
	a.emit.src = r->local;
	a.emit.dst = r->remote;
	ptcp_tfo_synack(sk->conn, (ptcp_time_t)(DRILL_BASE_US + r->now), &a.emit.seg);
	stack_emit(r, &a);
}

bool tfo_child_segment(struct runner *r, struct sock *sk, const ptcp_seg *seg)
{
	const ptcp_conn *c = sk->conn;
	uint8_t f = seg->flags;
	if (!sk->tfo_pending)
		return false;
	if ((f & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN && seg->seq == c->irs) {
		/* the peer has not seen our SYN-ACK: it goes again */
		resend_synack(r, sk);
		return true;
	}
	/* RFC 9293 3.10.7.4: an acceptable ACK of our SYN ends the pending state */
	if ((f & (PTCP_ACK | PTCP_SYN | PTCP_RST)) == PTCP_ACK && ptcp_seq_gt(seg->ack, c->iss) &&
	    ptcp_seq_le(seg->ack, c->snd_max))
		sk->tfo_pending = false;
	if (f & PTCP_RST)
		sk->tfo_pending = false;
	return false;
}

void tfo_timer(struct runner *r, struct sock *sk)
{
	ptcp_time_t rto = sk->conn->cfg.rto_initial;
	if (ptcp_conn_state(sk->conn) == PTCP_CLOSED) {
		sk->tfo_pending = false;
		return;
	}
	if (sk->tfo_retries >= sk->conn->cfg.synack_retries) {
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		sk->tfo_pending = false;
		stack_step(r, sk, &ab);
		return;
	}
	sk->tfo_retries++;
	for (int i = 0; i < sk->tfo_retries && rto < sk->conn->cfg.rto_max; i++)
		rto *= 2;
	if (rto > sk->conn->cfg.rto_max)
		rto = sk->conn->cfg.rto_max;
	sk->tfo_deadline = r->now + (int64_t)rto;
	resend_synack(r, sk);
}

bool tfo_child_icmp(struct runner *r, struct sock *sk, const ptcp_input *in)
{
	int ret;
	if (!sk->tfo_pending || sk->accepted)
		return false;
	ret = ptcp_tfo_icmp(sk->conn, in, (ptcp_time_t)(DRILL_BASE_US + r->now), &r->out);
	if (ret == PTCP_EINVAL) {
		drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_tfo_icmp rejected its input");
		return true;
	}
	stack_take_actions(r, sk);
	if (ret == 1) {
		drill_trace(r, "  Fast Open child closed by the ICMP error (not accepted yet)");
		sk->tfo_pending = false;
	}
	return true;
}
