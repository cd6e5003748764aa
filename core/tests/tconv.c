#include "tconv.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

void tconv_cfg(ptcp_table_config *cfg)
{
	ptcp_table_config_default(cfg);
	for (int i = 0; i < 16; i++)
		cfg->secret[i] = (uint8_t)(i + 1);
	cfg->max_conns = 8;
	cfg->max_requests = 16;
	cfg->sndbuf = 16384;
	cfg->rcvbuf = 16384;
}

void tconv_init(tconv *c, const ptcp_table_config *cfg)
{
	ptcp_table_config d;
	size_t n;
	if (!cfg) {
		tconv_cfg(&d);
		cfg = &d;
	}
	memset(c, 0, sizeof(*c));
	n = ptcp_table_mem_size(cfg);
	cr_assert_gt(n, 0, "configuration rejected");
	c->mem = malloc(n);
	cr_assert(c->mem);
	cr_assert_eq(ptcp_table_init(&c->t, cfg, c->mem, n), 0);
	c->out.v = c->act;
	c->out.tag = c->tag;
	c->out.cap = TCONV_ACTS;
	c->now = 1000000;
	ptcp_addr_v4(&c->server, 10, 0, 0, 1);
	ptcp_addr_v4(&c->client, 10, 0, 0, 2);
	c->cport = CPORT;
}

void tconv_fini(tconv *c)
{
	free(c->mem);
}

int tconv_listen(tconv *c, uint32_t backlog)
{
	return ptcp_table_listen(&c->t, NULL, SPORT, backlog);
}

int tconv_step(tconv *c, ptcp_handle h, const ptcp_input *in)
{
	c->ret = ptcp_table_step(&c->t, h, in, c->now, &c->out);
	c->cursor = 0;
	return c->ret;
}

int tconv_segp(tconv *c, const ptcp_seg *s)
{
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	in.segment.seg = s;
	in.segment.src = c->client;
	in.segment.dst = c->server;
	int mode = c->hint_mode == 4 ? (int)(c->hint_turn++ % 4) : c->hint_mode;
	if (mode) {
		ptcp_tuple k = {.laddr = c->server, .raddr = c->client, .lport = s->dport};
		k.rport = (uint16_t)(s->sport + (mode == 3));
		uint32_t h = ptcp_table_prefetch(&c->t, &k) + (mode == 2);
		ptcp_table_prefetch_conn(&c->t, h);
		c->ret = ptcp_table_step_hashed(&c->t, h, &in, c->now, &c->out);
		c->cursor = 0;
		return c->ret;
	}
	return tconv_step(c, PTCP_NO_HANDLE, &in);
}

int tconv_seg(tconv *c, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd,
              const ptcp_tcp_opts *o, const void *data, size_t len)
{
	ptcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = c->cport;
	s.dport = SPORT;
	s.flags = conv_flags(flags);
	s.seq = seq;
	s.ack = ack;
	s.wnd = wnd;
	if (o)
		s.opts = *o;
	s.payload = data;
	s.payload_len = len;
	return tconv_segp(c, &s);
}

int tconv_time(tconv *c, ptcp_time_t at)
{
	ptcp_input in = {.kind = PTCP_IN_TIME};
	if (at > c->now)
		c->now = at;
	return tconv_step(c, PTCP_NO_HANDLE, &in);
}

int tconv_to_deadline(tconv *c)
{
	ptcp_time_t d = ptcp_table_next_deadline(&c->t);
	cr_assert_neq(d, PTCP_TIME_NEVER, "no deadline");
	return tconv_time(c, d);
}

const ptcp_seg *tnext(tconv *c)
{
	while (c->cursor < c->out.n && c->act[c->cursor].kind != PTCP_ACT_EMIT)
		c->cursor++;
	cr_assert_lt(c->cursor, c->out.n, "expected a segment, got none");
	return &c->act[c->cursor++].emit.seg;
}

const ptcp_seg *texpect(tconv *c, const char *flags, uint32_t seq, uint32_t ack, size_t len)
{
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, conv_flags(flags), "flags: expected %s got 0x%02x (seq %u ack %u)",
	             flags, s->flags, s->seq, s->ack);
	cr_assert_eq(s->seq, seq, "%s seq: expected %u got %u", flags, seq, s->seq);
	if (s->flags & PTCP_ACK)
		cr_assert_eq(s->ack, ack, "%s ack: expected %u got %u", flags, ack, s->ack);
	cr_assert_eq(ptcp_seg_len(s), len, "%s len: expected %zu got %zu", flags, len,
	             ptcp_seg_len(s));
	return s;
}

void texpect_nothing(tconv *c)
{
	for (size_t i = c->cursor; i < c->out.n; i++)
		if (c->act[i].kind == PTCP_ACT_EMIT)
			cr_assert_fail("expected no segment, got flags 0x%02x seq %u ack %u",
			               c->act[i].emit.seg.flags, c->act[i].emit.seg.seq,
			               c->act[i].emit.seg.ack);
}

uint64_t tdrops(const tconv *c, ptcp_table_drop d)
{
	ptcp_table_stats st;
	ptcp_table_get_stats(&c->t, &st);
	return st.drops[d];
}

ptcp_table_stats tstats(const tconv *c)
{
	ptcp_table_stats st;
	ptcp_table_get_stats(&c->t, &st);
	return st;
}

ptcp_table_usage tusage(const tconv *c)
{
	ptcp_table_usage u;
	ptcp_table_get_usage(&c->t, &u);
	return u;
}

ptcp_handle tconnected(const tconv *c)
{
	for (size_t i = 0; i < c->out.n; i++)
		if (c->act[i].kind == PTCP_ACT_EVENT && c->act[i].event.ev == PTCP_EV_CONNECTED)
			return c->tag[i].conn;
	return PTCP_NO_HANDLE;
}

int tsaw_event(const tconv *c, ptcp_handle h, ptcp_event ev)
{
	for (size_t i = 0; i < c->out.n; i++)
		if (c->act[i].kind == PTCP_ACT_EVENT && c->act[i].event.ev == ev &&
		    (h == PTCP_NO_HANDLE || c->tag[i].conn == h))
			return 1;
	return 0;
}

int tsend(tconv *c, ptcp_handle h, const void *data, size_t len)
{
	ptcp_input in = {.kind = PTCP_IN_SEND};
	in.send.data = data;
	in.send.len = len;
	return tconv_step(c, h, &in);
}

int tread(tconv *c, ptcp_handle h, void *buf, size_t len)
{
	ptcp_input in = {.kind = PTCP_IN_READ};
	in.read.buf = buf;
	in.read.len = len;
	return tconv_step(c, h, &in);
}

int tclose(tconv *c, ptcp_handle h)
{
	ptcp_input in = {.kind = PTCP_IN_CLOSE};
	return tconv_step(c, h, &in);
}

void tclient_init(tclient *k, const ptcp_config *cfg, uint8_t octet, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->sb = malloc(16384);
	k->rb = malloc(16384);
	cr_assert(k->sb && k->rb);
	cr_assert_eq(ptcp_conn_init(&k->c, cfg, k->sb, 16384, k->rb, 16384), 0);
	cr_assert_eq(ptcp_conn_set_loss(&k->c, &k->loss), 0);
	memset(&k->st, 0, sizeof(*&k->st));
	ptcp_conn_set_stats(&k->c, &k->st);
	k->out.v = k->act;
	k->out.cap = 64;
	ptcp_addr_v4(&k->addr, 10, 0, 1, octet);
	k->port = port;
}

void tclient_fini(tclient *k)
{
	free(k->sb);
	free(k->rb);
}

int tclient_step(tclient *k, const ptcp_input *in, ptcp_time_t now)
{
	return ptcp_step(&k->c, in, now, &k->out);
}

int tclient_connect(tclient *k, tconv *c, uint32_t iss)
{
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	in.connect.local = k->addr;
	in.connect.remote = c->server;
	in.connect.lport = k->port;
	in.connect.rport = SPORT;
	in.connect.iss = iss;
	return tclient_step(k, &in, c->now);
}

typedef struct tpkt {
	uint8_t b[2048];
	int len;
	int to_table;
} tpkt;

#define TQ 64

static void enq(tpkt *q, int *n, const ptcp_seg *s, const ptcp_addr *src, const ptcp_addr *dst,
                int to_table)
{
	cr_assert_lt(*n, TQ, "shuttle queue full");
	q[*n].len = ptcp_wire_build_tcp(q[*n].b, sizeof(q[*n].b), s, src, dst);
	cr_assert_gt(q[*n].len, 0, "build failed: %d", q[*n].len);
	q[*n].to_table = to_table;
	(*n)++;
}

static void take_client(tclient *k, tconv *c, tpkt *q, int *n)
{
	for (size_t i = 0; i < k->out.n; i++)
		if (k->act[i].kind == PTCP_ACT_EMIT)
			enq(q, n, &k->act[i].emit.seg, &k->addr, &c->server, 1);
	k->out.n = 0;
}

static void take_table(tclient *k, tconv *c, tpkt *q, int *n)
{
	for (size_t i = 0; i < c->out.n; i++)
		if (c->act[i].kind == PTCP_ACT_EMIT &&
		    ptcp_addr_eq(&c->act[i].emit.dst, &k->addr) &&
		    c->act[i].emit.seg.dport == k->port)
			enq(q, n, &c->act[i].emit.seg, &c->server, &k->addr, 0);
}

int tshuttle(tclient *k, tconv *c, int take_tbl)
{
	static tpkt q[TQ];
	int n = 0, moved = 0;
	take_client(k, c, q, &n);
	if (take_tbl)
		take_table(k, c, q, &n);
	while (n > 0 && moved < 1000) {
		tpkt p = q[0];
		ptcp_seg s;
		ptcp_input in = {.kind = PTCP_IN_SEGMENT};
		memmove(q, q + 1, (size_t)(n - 1) * sizeof(q[0]));
		n--;
		moved++;
		if (p.to_table) {
			cr_assert_eq(
			    ptcp_wire_parse_tcp(p.b, (size_t)p.len, &k->addr, &c->server, 1, &s),
			    0);
			in.segment.seg = &s;
			in.segment.src = k->addr;
			in.segment.dst = c->server;
			tconv_step(c, PTCP_NO_HANDLE, &in);
			take_table(k, c, q, &n);
		} else {
			cr_assert_eq(
			    ptcp_wire_parse_tcp(p.b, (size_t)p.len, &c->server, &k->addr, 1, &s),
			    0);
			in.segment.seg = &s;
			in.segment.src = c->server;
			in.segment.dst = k->addr;
			tclient_step(k, &in, c->now);
			take_client(k, c, q, &n);
		}
	}
	return moved;
}
