/*
 * drill_table.c - listeners hosted by the core's connection table (ptcp_table).
 *
 * IMPLEMENTATION NOTES
 * By default the runner keeps its own listeners (one block per SYN, drill_stack.c).  A script
 * that sets net.ipv4.tcp_syncookies or net.ipv4.tcp_abort_on_overflow asks about what the
 * core's table does instead (SYN queue, SYN cookies, accept-queue overflow): from then on
 * listen() puts the socket in one ptcp_table of the runner (created at the first such
 * listen(), with the listener's options as every connection's configuration), and every
 * segment to a port with a table socket goes to ptcp_table_step(), which demultiplexes.
 * Actions come back tagged with their connection; a connection the runner has not seen yet
 * becomes a child socket of its listener (its block stays the table's).  accept() is
 * ptcp_table_accept(), close() of the listener ptcp_table_unlisten(), the table's deadline
 * joins the runner's clock.  The table's secret is fixed (runs are deterministic); its ISNs
 * and timestamp offsets are its own (RFC 6528, RFC 7323 5.4), the runner maps them.
 *
 * Sysctls: tcp_syncookies 0 (none), 1 (when the SYN queue is full), 2 (always);
 * tcp_abort_on_overflow 0 (drop the final ACK, the SYN-ACK goes again) or 1 (RST).
 */
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

#define TBL_ACTS 1024

int dtbl_sysctl(struct runner *r, int line, const char *name, const char *v)
{
	char *e;
	long n = strtol(v, &e, 0);
	if (e == v || *e || n < 0 || n > 2)
		return drill_fail(r, line, "sysctl %s=%s: expected 0, 1 or 2", name, v);
	if (!r->tbl_mode) {
		r->tbl_mode = true;
		r->tbl_flags = PTCP_TBL_SYNCOOKIES; /* Linux's default tcp_syncookies=1 */
	}
	if (strcmp(name, "tcp_syncookies") == 0) {
		r->tbl_flags &= ~(uint32_t)(PTCP_TBL_SYNCOOKIES | PTCP_TBL_SYNCOOKIES_ALWAYS);
		if (n >= 1)
			r->tbl_flags |= PTCP_TBL_SYNCOOKIES;
		if (n == 2)
			r->tbl_flags |= PTCP_TBL_SYNCOOKIES_ALWAYS;
		return 0;
	}
	if (n > 1)
		return drill_fail(r, line, "sysctl %s=%s: expected 0 or 1", name, v);
	if (n)
		r->tbl_flags |= PTCP_TBL_ABORT_ON_OVERFLOW;
	else
		r->tbl_flags &= ~(uint32_t)PTCP_TBL_ABORT_ON_OVERFLOW;
	return 0;
}

static int table_make(struct runner *r, const struct sock *lsk)
{
	ptcp_table_config cfg;
	size_t len;
	int e;
	ptcp_table_config_default(&cfg);
	sock_config(r, lsk, &cfg.conn);
	cfg.flags = r->tbl_flags;
	cfg.max_conns = 16;
	cfg.max_requests = 64;
	cfg.max_listeners = 4;
	cfg.sndbuf = 1u << 20;
	cfg.rcvbuf = (uint32_t)(lsk->rcvbuf / 2 > 0 ? lsk->rcvbuf / 2 : 1);
	if (r->base_cfg.challenge_ack_limit)
		cfg.challenge_ack_limit = r->base_cfg.challenge_ack_limit;
	for (int i = 0; i < 16; i++)
		cfg.secret[i] = (uint8_t)(0x5a + 7 * i);
	len = ptcp_table_mem_size(&cfg);
	if (!len)
		return drill_fail(r, r->ev ? r->ev->line : 0,
		                  "ptcp_table_mem_size: bad configuration");
	r->tbl = calloc(1, sizeof(*r->tbl));
	r->tbl_mem = malloc(len);
	r->tacts = calloc(TBL_ACTS, sizeof(*r->tacts));
	r->ttags = calloc(TBL_ACTS, sizeof(*r->ttags));
	if (!r->tbl || !r->tbl_mem || !r->tacts || !r->ttags)
		return drill_fail(r, 0, "out of memory");
	e = ptcp_table_init(r->tbl, &cfg, r->tbl_mem, len);
	if (e)
		return drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_table_init: %s",
		                  ptcp_strerror(e));
	return 0;
}

void dtbl_free(struct runner *r)
{
	free(r->tbl);
	free(r->tbl_mem);
	free(r->tacts);
	free(r->ttags);
	r->tbl = NULL;
	r->tbl_mem = NULL;
	r->tacts = NULL;
	r->ttags = NULL;
}

int dtbl_listen(struct runner *r, struct sock *lsk)
{
	int lid;
	if (!r->tbl && table_make(r, lsk) != 0)
		return -1;
	lid = ptcp_table_listen(r->tbl, &r->local, lsk->lport,
	                        (uint32_t)(lsk->backlog > 0 ? lsk->backlog : 1));
	if (lid < 0)
		return drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_table_listen: %s",
		                  ptcp_strerror(lid));
	lsk->in_table = true;
	lsk->lid = (uint32_t)lid;
	return 0;
}

bool dtbl_owns(const struct runner *r, uint16_t lport)
{
	if (!r->tbl)
		return false;
	for (const struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->in_table && sk->lport == lport)
			return true;
	return false;
}

static struct sock *listener_of(struct runner *r, uint32_t lid)
{
	for (struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->in_table && sk->kind == SK_LISTEN && sk->lid == lid)
			return sk;
	return NULL;
}

/* The socket of connection h (made when the table first reports it), or NULL. */
static struct sock *sock_of(struct runner *r, ptcp_handle h, uint32_t lid)
{
	ptcp_conn *c = ptcp_table_conn(r->tbl, h);
	struct sock *sk, *lsk;
	if (!c)
		return NULL;
	for (sk = r->socks; sk; sk = sk->next)
		if (sk->in_table && sk->kind == SK_CONN && sk->h == h && sk->lport == c->lport &&
		    sk->rport == c->rport)
			return sk;
	lsk = lid == PTCP_NO_LISTENER ? NULL : listener_of(r, lid);
	if (!lsk)
		return NULL;
	sk = sock_new(r);
	if (!sk) {
		drill_fail(r, 0, "out of memory");
		return NULL;
	}
	sk->cfg = lsk->cfg;
	sk->sndbuf = lsk->sndbuf;
	sk->rcvbuf = lsk->rcvbuf;
	sk->keepalive = lsk->keepalive;
	sk->linger_on = lsk->linger_on;
	sk->linger_secs = lsk->linger_secs;
	sk->kind = SK_CONN;
	sk->in_table = true;
	sk->h = h;
	sk->conn = c;
	sk->parent = lsk;
	sk->lport = c->lport;
	sk->rport = c->rport;
	sk->iss = c->iss;
	sk->ss = SS_CONNECTED;
	if (r->sut && r->sut->lport == sk->lport && r->sut->rport == sk->rport)
		sk->flow = r->sut;
	return sk;
}

static void dispatch(struct runner *r, const ptcp_table_actions *o)
{
	for (size_t i = 0; i < o->n && !r->stopped; i++) {
		const ptcp_action *a = &o->v[i];
		struct sock *sk = NULL;
		if (a->kind == PTCP_ACT_DEADLINE)
			continue; /* the runner asks the table (dtbl_next_deadline) */
		if (a->kind == PTCP_ACT_EMIT &&
		    (a->emit.seg.flags & (PTCP_SYN | PTCP_ACK)) == (PTCP_SYN | PTCP_ACK)) {
			/* the table chose the ISS: the connection under test learns it */
			struct flow *f = r->sut;
			if (f && f->state == FLOW_PASSIVE_SYN && a->emit.seg.dport == f->rport)
				f->live_isn = a->emit.seg.seq;
		}
		if (o->tag[i].conn != PTCP_NO_HANDLE)
			sk = sock_of(r, o->tag[i].conn, o->tag[i].listener);
		stack_take_action(r, sk, a);
	}
}

int dtbl_step(struct runner *r, ptcp_handle h, const ptcp_input *in)
{
	ptcp_table_actions o = {.v = r->tacts, .tag = r->ttags, .cap = TBL_ACTS};
	int ret = ptcp_table_step(r->tbl, h, in, (ptcp_time_t)(DRILL_BASE_US + r->now), &o);
	if (ret == PTCP_EINVAL && h == PTCP_NO_HANDLE)
		drill_fail(r, r->ev ? r->ev->line : 0,
		           "ptcp_table_step rejected its input (kind %d)", (int)in->kind);
	dispatch(r, &o);
	return ret;
}

int dtbl_icmp(struct runner *r, const ptcp_tuple *k, const ptcp_input *in)
{
	ptcp_table_actions o = {.v = r->tacts, .tag = r->ttags, .cap = TBL_ACTS};
	int ret = ptcp_table_icmp(r->tbl, k, in, (ptcp_time_t)(DRILL_BASE_US + r->now), &o);
	if (ret == PTCP_EINVAL)
		drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_table_icmp rejected its input");
	dispatch(r, &o);
	return ret;
}

int64_t dtbl_next_deadline(const struct runner *r)
{
	ptcp_time_t d;
	if (!r->tbl)
		return INT64_MAX;
	d = ptcp_table_next_deadline(r->tbl);
	return d == PTCP_TIME_NEVER ? INT64_MAX : (int64_t)d - DRILL_BASE_US;
}

void dtbl_time(struct runner *r)
{
	ptcp_input in = {.kind = PTCP_IN_TIME};
	if (r->tbl && dtbl_next_deadline(r) <= r->now)
		dtbl_step(r, PTCP_NO_HANDLE, &in);
}

int dtbl_accept_queue(const struct runner *r, const struct sock *lsk)
{
	ptcp_listener_info info;
	if (!r->tbl || ptcp_table_listener_info(r->tbl, lsk->lid, &info) != 0)
		return 0;
	return (int)info.accept_queue;
}

struct sock *dtbl_accept(struct runner *r, struct sock *lsk)
{
	ptcp_handle h;
	if (!r->tbl || ptcp_table_accept(r->tbl, lsk->lid, &h) != 0)
		return NULL;
	return sock_of(r, h, lsk->lid);
}

int dtbl_unlisten(struct runner *r, struct sock *lsk)
{
	ptcp_table_actions o = {.v = r->tacts, .tag = r->ttags, .cap = TBL_ACTS};
	int e = ptcp_table_unlisten(r->tbl, lsk->lid, (ptcp_time_t)(DRILL_BASE_US + r->now), &o);
	dispatch(r, &o);
	lsk->in_table = false;
	return e;
}
