/*
 * fuzz_listener: the connection table (ptcp/listener.h: listeners, SYN
 * queues, SYN cookies, server Fast Open, the accept queue, the 4-tuple
 * hash, the timer heap) under floods of SYNs, cookie ACKs, RSTs and Fast
 * Open requests.
 *
 * Input: 8 configuration bytes (table flags, pool, SYN queue, listeners,
 * backlog cap, core flags, challenge-ACK limit, Fast Open pending limit and
 * action array size), then operations of a few bytes each (see the op_*
 * functions; lp_ops.h documents the encoding for the seed generator).  The
 * harness plays 32 remote peers and remembers the last segment the table
 * sent each of them, so that a peer can answer a SYN-ACK with the right
 * numbers (a valid SYN cookie, a Fast Open cookie the table gave out) or
 * miss them by one, a window or 2^31.
 *
 * Checked after every step: return values are 0 or documented PTCP_E*
 * codes; the action array within its capacity; every tag names a
 * connection block of the pool and a listener id; every emitted segment
 * has both addresses of one family, builds into a packet that parses back
 * with a correct checksum and the same fields (the shared checker,
 * ptcp_check_emit); PTCP_ACT_STATE actions of a connection chain from its
 * state before the step to its state after; the table within every bound
 * (connections, SYN-queue entries, listeners, pending Fast Open, timers,
 * hash load); blocks in use = the usage count; every handle the
 * application holds stays valid; per listener, SYN queue and accept queue
 * within the backlog and the SYN queues adding up to the table's count;
 * pending timers imply a deadline.  At the end every held connection is
 * aborted, every listener closed and time run on: the table must then hold
 * no connection, no SYN-queue entry, no timer and nothing hashed (no
 * leaked entries).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lp_ops.h"
#include "ptcp/listener.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_listener: " __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                                             \
		abort();                                                                           \
	} while (0)
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(__VA_ARGS__);                                                         \
	} while (0)

#define MAXCONN   16
#define MAXLSN    4
#define NPEERS    32
#define ACTS_MAX  256
#define MAX_OPS   400
#define PAYLOAD   256
#define START_US  1000000u
#define DRAIN_CAP (4 * 3600 * (ptcp_time_t)1000000) /* virtual time allowed to drain */

typedef struct reader {
	const uint8_t *p;
	size_t n;
} reader;

static unsigned byte(reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint32_t u32(reader *r)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | byte(r);
	return v;
}

/* What the harness knows of one remote peer: the last segment the table sent it. */
typedef struct peer {
	int seen;
	ptcp_addr laddr; /* the table's side of that segment */
	uint16_t lport;
	uint32_t seq, ack, seqlen, tsval;
	uint8_t flags;
	uint32_t isn; /* the peer's ISN of its last SYN */
} peer;

typedef struct world {
	ptcp_table t;
	ptcp_table_config cfg;
	ptcp_time_t now;
	peer peers[NPEERS];
	uint8_t tfo_len[NPEERS / 4]; /* a Fast Open cookie the table gave each client address */
	uint8_t tfo_cookie[NPEERS / 4][PTCP_TFO_COOKIE_MAX];
	int lsn[MAXLSN]; /* listener ids, -1 when closed */
	ptcp_handle owned[MAXCONN];
	unsigned nowned;
	int live[MAXCONN];         /* block in use after the last step */
	ptcp_state state[MAXCONN]; /* its state after the last step */
	ptcp_check_conn chk[MAXCONN];
	ptcp_action acts[ACTS_MAX];
	ptcp_table_tag tags[ACTS_MAX];
	ptcp_table_actions out;
	ptcp_seg last; /* the last segment given to the table (DUP) */
	ptcp_addr last_src, last_dst;
	uint8_t last_payload[PAYLOAD];
	int have_last;
	uint32_t spoof; /* flood source counter */
	uint8_t payload[PAYLOAD];
} world;

static uint8_t mem[4u << 20];
static world W;

/* ---- addresses ------------------------------------------------------------------------ */
static void peer_addr(unsigned i, ptcp_addr *a, uint16_t *port)
{
	unsigned host = i / 4;
	if (host < 6) {
		ptcp_addr_v4(a, 10, 0, 1, (uint8_t)(1 + host));
	} else {
		memset(a, 0, sizeof *a);
		a->family = 6;
		a->bytes[0] = 0x20, a->bytes[1] = 0x01, a->bytes[2] = 0x0d, a->bytes[3] = 0xb8;
		a->bytes[14] = 1;
		a->bytes[15] = (uint8_t)host;
	}
	*port = (uint16_t)(40000 + i % 4);
}

static void server_addr(unsigned sel, int family, ptcp_addr *a)
{
	if (family == 4) {
		ptcp_addr_v4(a, 10, 0, 0, (uint8_t)(2 + sel % 2));
	} else {
		memset(a, 0, sizeof *a);
		a->family = 6;
		a->bytes[0] = 0x20, a->bytes[1] = 0x01, a->bytes[2] = 0x0d, a->bytes[3] = 0xb8;
		a->bytes[15] = (uint8_t)(2 + sel % 2);
	}
}

static const uint16_t ports[3] = {80, 443, 8080};

static int peer_of(const ptcp_addr *a, uint16_t port)
{
	for (unsigned i = 0; i < NPEERS; i++) {
		ptcp_addr b;
		uint16_t p;
		peer_addr(i, &b, &p);
		if (p == port && ptcp_addr_eq(a, &b))
			return (int)i;
	}
	return -1;
}

/* ---- checks after every step ----------------------------------------------------------- */
static int documented(int r)
{
	return r >= PTCP_ERR_MIN;
}

static int is_owned(ptcp_handle h)
{
	for (unsigned i = 0; i < W.nowned; i++)
		if (W.owned[i] == h)
			return 1;
	return 0;
}

static void give_up(ptcp_handle h)
{
	for (unsigned i = 0; i < W.nowned; i++)
		if (W.owned[i] == h) {
			W.owned[i] = W.owned[--W.nowned];
			return;
		}
}

static void own(ptcp_handle h)
{
	CHECK(h < W.cfg.max_conns, "handle %u outside the pool of %u", h, W.cfg.max_conns);
	CHECK(!is_owned(h), "handle %u given out twice", h);
	CHECK(W.nowned < MAXCONN, "more handles held than blocks");
	W.owned[W.nowned++] = h;
}

static void remember_emit(const ptcp_action *a)
{
	const ptcp_seg *s = &a->emit.seg;
	int i = peer_of(&a->emit.dst, s->dport);
	if (i < 0)
		return; /* a spoofed source of a flood, or a peer of an active open we do not play
		         */
	peer *p = &W.peers[i];
	p->seen = 1;
	p->laddr = a->emit.src;
	p->lport = s->sport;
	p->seq = s->seq;
	p->ack = s->ack;
	p->flags = s->flags;
	p->seqlen = ptcp_seg_seqlen(s);
	p->tsval = (s->opts.present & PTCP_OPT_TS) ? s->opts.ts_val : 0;
	if ((s->flags & PTCP_SYN) && (s->opts.present & PTCP_OPT_TFO) && s->opts.tfo_len) {
		W.tfo_len[i / 4] = s->opts.tfo_len;
		memcpy(W.tfo_cookie[i / 4], s->opts.tfo_cookie, s->opts.tfo_len);
	}
}

static void check_emit(const ptcp_action *a, ptcp_handle h)
{
	ptcp_check_violation v;
	ptcp_check_conn scratch, *k = &scratch;
	CHECK(a->emit.src.family == a->emit.dst.family &&
	          (a->emit.src.family == 4 || a->emit.src.family == 6),
	      "emitted segment %u>%u with address families %u and %u", a->emit.seg.sport,
	      a->emit.seg.dport, a->emit.src.family, a->emit.dst.family);
	ptcp_conn *c = h == PTCP_NO_HANDLE ? NULL : ptcp_table_conn(&W.t, h);
	if (c && W.live[h]) {
		k = &W.chk[h];
		ptcp_conn_info(c, &k->prev);
	} else {
		ptcp_check_init(k);
		if (c)
			ptcp_conn_info(c, &k->prev);
	}
	if (ptcp_check_emit(k, a, NULL, 0, &v) != PTCP_CHECK_OK)
		FAIL("emit check %s (conn %d, %u>%u flags 0x%02x): %s",
		     ptcp_check_code_name(v.code), h == PTCP_NO_HANDLE ? -1 : (int)h,
		     a->emit.seg.sport, a->emit.seg.dport, a->emit.seg.flags, v.msg);
	remember_emit(a);
}

static void check_after(int what)
{
	const ptcp_table_actions *o = &W.out;
	ptcp_table_usage u;
	int reported[MAXCONN] = {0};
	ptcp_state last_to[MAXCONN];

	CHECK(o->n <= o->cap, "%zu actions in an array of %zu", o->n, o->cap);
	for (size_t i = 0; i < o->n; i++) {
		const ptcp_action *a = &o->v[i];
		ptcp_table_tag g = o->tag[i];
		CHECK(a->kind >= PTCP_ACT_EMIT && a->kind < PTCP_ACT_KIND_COUNT,
		      "action %zu of unknown kind %d", i, (int)a->kind);
		CHECK(g.conn == PTCP_NO_HANDLE || g.conn < W.cfg.max_conns,
		      "action tagged with connection %u outside the pool", g.conn);
		CHECK(g.listener == PTCP_NO_LISTENER || g.listener < W.cfg.max_listeners,
		      "action tagged with listener %u", g.listener);
		if (a->kind == PTCP_ACT_EMIT)
			check_emit(a, g.conn);
		if (a->kind == PTCP_ACT_STATE && g.conn != PTCP_NO_HANDLE) {
			ptcp_handle h = g.conn;
			ptcp_state from = reported[h] ? last_to[h] : W.state[h];
			/* a block new in this step starts CLOSED (an active open) or in
			 * SYN-RECEIVED: the SYN-queue entry it grows from held that state
			 * (RFC 9293 3.10.7.2), the block reports SYN-RECEIVED -> ESTABLISHED */
			int fresh = !reported[h] && !W.live[h];
			/* ... also a block given back and taken again in one step (a SYN
			 * that ends TIME-WAIT, RFC 6191, makes the new connection at once) */
			if (from == PTCP_CLOSED && (reported[h] || W.live[h]))
				fresh = 1;
			if (fresh && a->state.from == PTCP_SYN_RECEIVED)
				from = PTCP_SYN_RECEIVED;
			else if (fresh)
				from = PTCP_CLOSED;
			CHECK(a->state.from == from,
			      "conn %u: state change %s -> %s, but it was %s", h,
			      ptcp_state_name(a->state.from), ptcp_state_name(a->state.to),
			      ptcp_state_name(from));
			CHECK(ptcp_check_arrow_ok(a->state.from, a->state.to) ||
			          (a->state.from == PTCP_CLOSED && a->state.to == PTCP_ESTABLISHED),
			      "conn %u: %s -> %s is not an RFC 9293 arrow", h,
			      ptcp_state_name(a->state.from), ptcp_state_name(a->state.to));
			reported[h] = 1;
			last_to[h] = a->state.to;
		}
	}

	ptcp_table_get_usage(&W.t, &u);
	CHECK(u.conns <= u.conns_max, "%u connections, pool %u", u.conns, u.conns_max);
	CHECK(u.requests <= u.requests_max, "%u SYN-queue entries, max %u", u.requests,
	      u.requests_max);
	CHECK(u.listeners <= u.listeners_max, "%u listeners, max %u", u.listeners, u.listeners_max);
	CHECK(u.tfo_pending <= u.tfo_max, "%u pending Fast Open, max %u", u.tfo_pending, u.tfo_max);
	CHECK(u.timers <= u.timers_max, "%u timers, max %u", u.timers, u.timers_max);
	CHECK(2 * (uint64_t)u.hashed <= u.hash_slots, "%u hashed in %u slots", u.hashed,
	      u.hash_slots);
	CHECK(u.timers == 0 || ptcp_table_next_deadline(&W.t) != PTCP_TIME_NEVER,
	      "%u timers pending and no deadline", u.timers);

	unsigned live = 0, lent = 0;
	const ptcp_loss *areas[MAXCONN];
	CHECK(u.loss_areas <= u.loss_areas_max, "%u loss areas lent, the table has %u",
	      u.loss_areas, u.loss_areas_max);
	for (ptcp_handle h = 0; h < W.cfg.max_conns; h++) {
		ptcp_conn *c = ptcp_table_conn(&W.t, h);
		const ptcp_loss *a = c ? ptcp_conn_loss(c) : NULL;
		if (a) {
			for (unsigned j = 0; j < lent; j++)
				CHECK(areas[j] != a, "conn %u's loss area is lent to another too",
				      h);
			areas[lent++] = a;
		}
		if (!c) {
			CHECK(!is_owned(h), "handle %u held by the application is gone (after %s)",
			      h, lp_op_name(what));
			W.live[h] = 0;
			continue;
		}
		live++;
		ptcp_info info;
		ptcp_conn_info(c, &info);
		if (reported[h])
			CHECK(info.state == last_to[h],
			      "conn %u is %s, its last state action said %s", h,
			      ptcp_state_name(info.state), ptcp_state_name(last_to[h]));
		else if (W.live[h])
			CHECK(info.state == W.state[h],
			      "conn %u went %s -> %s with no state action", h,
			      ptcp_state_name(W.state[h]), ptcp_state_name(info.state));
		if (!W.live[h]) {
			ptcp_check_init_conn(&W.chk[h], c);
			W.chk[h].flags |= PTCP_CHECK_F_ESTABLISH;
		}
		W.live[h] = 1;
		W.state[h] = info.state;
	}
	CHECK(live == u.conns, "%u blocks in use, usage says %u", live, u.conns);
	CHECK(lent == u.loss_areas, "%u blocks hold a loss area, usage says %u", lent,
	      u.loss_areas);

	uint32_t syn_queued = 0;
	for (unsigned l = 0; l < MAXLSN; l++) {
		ptcp_listener_info li;
		if (W.lsn[l] < 0)
			continue;
		CHECK(ptcp_table_listener_info(&W.t, (uint32_t)W.lsn[l], &li) == 0,
		      "listener %d has no info", W.lsn[l]);
		CHECK(li.syn_queue <= li.backlog, "listener %d: SYN queue %u over backlog %u",
		      W.lsn[l], li.syn_queue, li.backlog);
		CHECK(li.accept_queue <= li.backlog, "listener %d: accept queue %u over backlog %u",
		      W.lsn[l], li.accept_queue, li.backlog);
		CHECK(li.backlog >= 1 && li.backlog <= W.cfg.max_backlog,
		      "listener %d: backlog %u outside 1..%u", W.lsn[l], li.backlog,
		      W.cfg.max_backlog);
		syn_queued += li.syn_queue;
	}
	CHECK(syn_queued == u.requests, "SYN queues hold %u, the table counts %u requests",
	      syn_queued, u.requests);
}

/* PTCP_FUZZ_LISTENER_TRACE=1: every step and its actions on stderr */
static int trace_on(void)
{
	static int on = -1;
	if (on < 0)
		on = getenv("PTCP_FUZZ_LISTENER_TRACE") != NULL;
	return on;
}

static void trace(ptcp_handle h, const ptcp_input *in, int what, int r)
{
	fprintf(stderr, "%12llu %-8s conn %d input %d -> %d\n", (unsigned long long)W.now,
	        lp_op_name(what), h == PTCP_NO_HANDLE ? -1 : (int)h, (int)in->kind, r);
	if (in->kind == PTCP_IN_SEGMENT) {
		const ptcp_seg *g = in->segment.seg;
		fprintf(stderr, "%12s in  %u>%u flags 0x%02x seq %u ack %u win %u len %zu\n", "",
		        g->sport, g->dport, g->flags, g->seq, g->ack, g->wnd, ptcp_seg_len(g));
	}
	for (size_t i = 0; i < W.out.n; i++) {
		const ptcp_action *a = &W.out.v[i];
		int c = W.out.tag[i].conn == PTCP_NO_HANDLE ? -1 : (int)W.out.tag[i].conn;
		if (a->kind == PTCP_ACT_EMIT)
			fprintf(
			    stderr,
			    "%12s out %u>%u flags 0x%02x seq %u ack %u win %u len %zu (conn %d)\n",
			    "", a->emit.seg.sport, a->emit.seg.dport, a->emit.seg.flags,
			    a->emit.seg.seq, a->emit.seg.ack, a->emit.seg.wnd,
			    ptcp_seg_len(&a->emit.seg), c);
		else if (a->kind == PTCP_ACT_STATE)
			fprintf(stderr, "%12s conn %d %s -> %s\n", "", c,
			        ptcp_state_name(a->state.from), ptcp_state_name(a->state.to));
		else if (a->kind == PTCP_ACT_EVENT)
			fprintf(stderr, "%12s conn %d event %s (%d)\n", "", c,
			        ptcp_event_name(a->event.ev), a->event.err);
	}
}

static int step(ptcp_handle h, const ptcp_input *in, int what)
{
	const char *fn = "ptcp_table_step";
	uint32_t hash = 0;
	int hashed = 0, r;
	W.out.n = 0;
	if (in->kind == PTCP_IN_SEGMENT && in->segment.seg) {
		/* the batched-receive hints run on every segment (they change nothing:
		 * check_after still holds), with the right hash and a wrong one */
		ptcp_tuple k;
		memset(&k, 0, sizeof k);
		k.laddr = in->segment.dst;
		k.raddr = in->segment.src;
		k.lport = in->segment.seg->dport;
		k.rport = in->segment.seg->sport;
		uint32_t hh = ptcp_table_prefetch(&W.t, &k);
		uint32_t wrong = hh * 2654435761u + in->segment.seg->seq;
		ptcp_table_prefetch_conn(&W.t, hh);
		ptcp_table_prefetch_conn(&W.t, wrong);
		/* 3 in 4 go through ptcp_table_step_hashed, with the right hash or a
		 * wrong one: both must do what ptcp_table_step does */
		if (h == PTCP_NO_HANDLE && (in->segment.seg->seq & 3)) {
			fn = "ptcp_table_step_hashed";
			hash = (in->segment.seg->seq & 1) ? hh : wrong;
			hashed = 1;
		}
	}
	if (hashed)
		r = ptcp_table_step_hashed(&W.t, hash, in, W.now, &W.out);
	else
		r = ptcp_table_step(&W.t, h, in, W.now, &W.out);
	if (trace_on())
		trace(h, in, what, r);
	CHECK(documented(r), "%s (%s) returned undocumented %d", fn, lp_op_name(what), r);
	if (h == PTCP_NO_HANDLE && in->kind != PTCP_IN_CONNECT)
		CHECK(r == 0, "%s (%s) returned %d", fn, lp_op_name(what), r);
	check_after(what);
	return r;
}

static void feed(const ptcp_seg *s, const ptcp_addr *src, const ptcp_addr *dst, unsigned ecn,
                 int what)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_SEGMENT;
	in.segment.seg = s;
	in.segment.src = *src;
	in.segment.dst = *dst;
	in.segment.ecn = (uint8_t)(ecn & 3);
	W.last = *s;
	if (s->payload_len) {
		memcpy(W.last_payload, s->payload, s->payload_len);
		W.last.payload = W.last_payload;
	}
	W.last_src = *src;
	W.last_dst = *dst;
	W.have_last = 1;
	step(PTCP_NO_HANDLE, &in, what);
}

static void fire_timers(void)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_TIME;
	step(PTCP_NO_HANDLE, &in, LP_TIME);
}

/* ---- operations ------------------------------------------------------------------------ */
static void op_listen(reader *r)
{
	unsigned a = byte(r), p = byte(r), backlog = byte(r);
	ptcp_addr local;
	memset(&local, 0, sizeof local);
	if (a % 4)
		server_addr(a % 4 == 3 ? 0 : a % 4 - 1, a % 4 == 3 ? 6 : 4, &local);
	int id = ptcp_table_listen(&W.t, &local, ports[p % 3], backlog);
	CHECK(documented(id), "ptcp_table_listen returned undocumented %d", id);
	CHECK(backlog != 0 || id < 0, "backlog 0 accepted");
	if (id >= 0) {
		CHECK((uint32_t)id < W.cfg.max_listeners, "listener id %d >= max %u", id,
		      W.cfg.max_listeners);
		for (unsigned l = 0; l < MAXLSN; l++)
			CHECK(W.lsn[l] != id, "listener id %d given out twice", id);
		for (unsigned l = 0; l < MAXLSN; l++)
			if (W.lsn[l] < 0) {
				W.lsn[l] = id;
				break;
			}
	}
	W.out.n = 0;
	check_after(LP_LISTEN);
}

static void op_unlisten(reader *r)
{
	unsigned l = byte(r) % MAXLSN;
	if (W.lsn[l] < 0)
		return;
	W.out.n = 0;
	int rc = ptcp_table_unlisten(&W.t, (uint32_t)W.lsn[l], W.now, &W.out);
	CHECK(rc == 0, "ptcp_table_unlisten of listener %d returned %d", W.lsn[l], rc);
	W.lsn[l] = -1;
	check_after(LP_UNLISTEN);
}

static void op_accept(reader *r)
{
	unsigned l = byte(r) % MAXLSN;
	ptcp_handle h;
	if (W.lsn[l] < 0)
		return;
	while (W.nowned < MAXCONN) {
		int rc = ptcp_table_accept(&W.t, (uint32_t)W.lsn[l], &h);
		CHECK(rc == 0 || rc == PTCP_EAGAIN, "ptcp_table_accept returned %d", rc);
		if (rc)
			break;
		CHECK(ptcp_table_conn(&W.t, h) != NULL, "accepted handle %u not in use", h);
		own(h);
	}
	W.out.n = 0;
	check_after(LP_ACCEPT);
}

static void fill(uint8_t *b, size_t n, unsigned salt)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + salt);
}

static void op_syn(reader *r)
{
	unsigned pi = byte(r) % NPEERS, d = byte(r), opt = byte(r), val = byte(r);
	unsigned len = byte(r) % 80;
	peer *p = &W.peers[pi];
	ptcp_addr src, dst;
	ptcp_seg s;
	memset(&s, 0, sizeof s);
	peer_addr(pi, &src, &s.sport);
	server_addr(d, src.family, &dst);
	s.dport = ports[(d >> 1) % 3];
	if ((opt & 0x80) || !p->isn)
		p->isn = 0x1000u * (pi + 1) + W.spoof++ * 0x10001u;
	s.seq = p->isn;
	s.flags = PTCP_SYN | ((opt & 0x40) ? PTCP_ECE | PTCP_CWR : 0);
	s.wnd = (uint16_t)(1024 + val * 256);
	if (opt & 1) {
		static const uint16_t mss[8] = {1460, 536, 1220, 64, 1, 0, 9000, 65535};
		s.opts.present |= PTCP_OPT_MSS;
		s.opts.mss = mss[val % 8];
	}
	if (opt & 2) {
		s.opts.present |= PTCP_OPT_WSCALE;
		s.opts.wscale = (uint8_t)((val >> 3) % 16);
	}
	if (opt & 4)
		s.opts.present |= PTCP_OPT_SACK_PERM;
	if (opt & 8) {
		s.opts.present |= PTCP_OPT_TS;
		s.opts.ts_val = (uint32_t)(W.now / 1000) + val;
	}
	switch ((opt >> 4) & 3) {
	case 1: /* a Fast Open cookie request */
		s.opts.present |= PTCP_OPT_TFO;
		break;
	case 2: /* the cookie the table gave this address, if any */
		s.opts.present |= PTCP_OPT_TFO;
		s.opts.tfo_len = W.tfo_len[pi / 4];
		memcpy(s.opts.tfo_cookie, W.tfo_cookie[pi / 4], PTCP_TFO_COOKIE_MAX);
		break;
	case 3: /* a wrong cookie */
		s.opts.present |= PTCP_OPT_TFO;
		s.opts.tfo_len = (uint8_t)(4 + 2 * (val % 7));
		memset(s.opts.tfo_cookie, (int)val, PTCP_TFO_COOKIE_MAX);
		break;
	}
	fill(W.payload, len, val);
	s.payload = W.payload;
	s.payload_len = len;
	feed(&s, &src, &dst, 0, LP_SYN);
}

/* An answer from peer pi to the last segment the table sent it. */
static void op_reply(reader *r, int what)
{
	unsigned pi = byte(r) % NPEERS, var = byte(r), len = byte(r);
	peer *p = &W.peers[pi];
	ptcp_addr src;
	ptcp_seg s;
	memset(&s, 0, sizeof s);
	peer_addr(pi, &src, &s.sport);
	if (!p->seen)
		return;
	s.dport = p->lport;
	static const uint32_t dseq[4] = {0, 1, UINT32_MAX, 0x80000000u};
	s.seq = p->ack + dseq[var & 3];
	s.ack = p->seq + p->seqlen + dseq[(var >> 2) & 3];
	s.wnd = (uint16_t)(4096 + len * 64);
	if (what == LP_RST) {
		/* RFC 5961 3: exactly RCV.NXT resets, in the window draws a challenge ACK */
		s.flags = PTCP_RST | ((var & 0x10) ? PTCP_ACK : 0);
		if (var & 0x20)
			s.seq += len * 97u;
	} else {
		s.flags = PTCP_ACK | ((var & 0x10) ? PTCP_FIN : 0) | ((var & 0x20) ? PTCP_PSH : 0);
		if (var & 0x80)
			s.flags |= PTCP_SYN; /* a SYN in the window (RFC 5961 4) */
		if (!(var & 0x40) && p->tsval) {
			s.opts.present |= PTCP_OPT_TS;
			s.opts.ts_val = (uint32_t)(W.now / 1000) + 1;
			s.opts.ts_ecr = p->tsval;
		}
		fill(W.payload, len % 200, var);
		s.payload = W.payload;
		s.payload_len = len % 200;
	}
	feed(&s, &src, &p->laddr, 0, what);
}

static void op_raw(reader *r)
{
	unsigned pi = byte(r) % NPEERS, d = byte(r), flags = byte(r);
	uint32_t seq = u32(r), ack = u32(r);
	unsigned len = byte(r);
	ptcp_addr src, dst;
	ptcp_seg s;
	memset(&s, 0, sizeof s);
	peer_addr(pi, &src, &s.sport);
	server_addr(d, src.family, &dst);
	s.dport = ports[(d >> 1) % 3];
	s.flags = (uint8_t)flags;
	s.seq = seq;
	s.ack = ack;
	s.wnd = (uint16_t)(len * 257);
	if (flags & PTCP_URG)
		s.urp = (uint16_t)len;
	fill(W.payload, len % 128, (unsigned)seq);
	s.payload = W.payload;
	s.payload_len = len % 128;
	feed(&s, &src, &dst, d >> 6, LP_RAW);
}

static void op_time(reader *r)
{
	unsigned v = byte(r);
	ptcp_time_t d = ptcp_table_next_deadline(&W.t);
	switch (v % 4) {
	case 0: /* at the next deadline */
		if (d != PTCP_TIME_NEVER && d > W.now)
			W.now = d;
		break;
	case 1: /* just before it */
		if (d != PTCP_TIME_NEVER && d > W.now + 1)
			W.now = d - 1;
		break;
	case 2: /* just after it */
		if (d != PTCP_TIME_NEVER && d >= W.now)
			W.now = d + 1;
		break;
	default:
		W.now += (ptcp_time_t)(v >> 2) * 10000 * ((v & 0x80) ? 100 : 1);
		break;
	}
	fire_timers();
}

static void op_drain(reader *r)
{
	unsigned k = 1 + byte(r) % 8;
	for (unsigned i = 0; i < k; i++) {
		ptcp_time_t d = ptcp_table_next_deadline(&W.t);
		if (d == PTCP_TIME_NEVER)
			break;
		if (d > W.now)
			W.now = d;
		fire_timers();
	}
}

static void op_app(reader *r)
{
	unsigned hi = byte(r), what = byte(r), len = byte(r);
	ptcp_input in;
	ptcp_handle h;
	static uint8_t rbuf[4096];
	memset(&in, 0, sizeof in);
	if (W.nowned == 0 || (hi & 0x80)) {
		/* a handle the application does not hold: PTCP_EINVAL unless in use */
		h = hi % (W.cfg.max_conns + 1);
		if (is_owned(h) || ptcp_table_conn(&W.t, h))
			return;
		in.kind = PTCP_IN_ABORT;
		int rc = step(h, &in, LP_APP);
		CHECK(rc == PTCP_EINVAL, "a step on unused handle %u returned %d", h, rc);
		return;
	}
	h = W.owned[hi % W.nowned];
	int rc;
	switch (what % 7) {
	case 0:
	case 1:
		fill(W.payload, len, what);
		in.kind = PTCP_IN_SEND;
		in.send.data = W.payload;
		in.send.len = len * (what % 2 ? 16u : 1u) > PAYLOAD ? PAYLOAD : len;
		in.send.flags = (what & 8) ? PTCP_SEND_MORE : 0;
		rc = step(h, &in, LP_APP);
		CHECK(rc <= (int)in.send.len, "send took %d of %zu bytes", rc, in.send.len);
		break;
	case 2:
		in.kind = PTCP_IN_READ;
		in.read.buf = (what & 8) ? NULL : rbuf;
		in.read.len = 1 + len * 16u;
		rc = step(h, &in, LP_APP);
		CHECK(rc <= (int)in.read.len, "read gave %d of %zu bytes", rc, in.read.len);
		break;
	case 3:
		in.kind = PTCP_IN_SHUTDOWN;
		in.shutdown.how = 1 + (int)(len % 3);
		step(h, &in, LP_APP);
		break;
	case 4:
		in.kind = PTCP_IN_CLOSE;
		give_up(h);
		step(h, &in, LP_APP);
		break;
	case 5:
		in.kind = PTCP_IN_ABORT;
		give_up(h);
		step(h, &in, LP_APP);
		break;
	default:
		in.kind = PTCP_IN_ICMP;
		in.icmp.type = (ptcp_icmp_kind)(1 + len % (PTCP_ICMP_KIND_COUNT - 1));
		in.icmp.mtu = 68 + len * 8u;
		in.icmp.seq = W.peers[what % NPEERS].ack;
		step(h, &in, LP_APP);
		break;
	}
}

static void op_connect(reader *r)
{
	unsigned pi = byte(r) % NPEERS, d = byte(r);
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_CONNECT;
	peer_addr(pi, &in.connect.remote, &in.connect.rport);
	server_addr(d, in.connect.remote.family, &in.connect.local);
	in.connect.lport = (uint16_t)(50000 + d % 8);
	if (d & 0x10) {
		in.connect.tfo = 1;
		in.connect.data = W.payload;
		in.connect.len = d % 64;
		fill(W.payload, in.connect.len, d);
	}
	if (W.nowned >= MAXCONN)
		return;
	int h = step(PTCP_NO_HANDLE, &in, LP_CONNECT);
	CHECK(h >= 0 || h == PTCP_ESTATE || h == PTCP_ENOBUFS || h == PTCP_EINVAL,
	      "connect returned %d", h);
	if (h >= 0) {
		CHECK(ptcp_table_conn(&W.t, (ptcp_handle)h) != NULL, "connect's handle %d unused",
		      h);
		own((ptcp_handle)h);
	}
}

/* Spoofed segments from 198.18.0.0/15 (RFC 2544 benchmark addresses): no replies tracked. */
static void op_flood(reader *r)
{
	unsigned n = 1 + byte(r) % 64, kind = byte(r);
	for (unsigned i = 0; i < n; i++) {
		uint32_t k = W.spoof++;
		ptcp_addr src, dst;
		ptcp_seg s;
		memset(&s, 0, sizeof s);
		ptcp_addr_v4(&src, 198, (uint8_t)(18 + (k >> 16) % 2), (uint8_t)(k >> 8),
		             (uint8_t)k);
		server_addr(kind >> 4, 4, &dst);
		s.sport = (uint16_t)(1024 + k * 7);
		s.dport = ports[(kind >> 2) % 3];
		s.seq = k * 2654435761u;
		s.wnd = 29200;
		switch (kind % 4) {
		case 0: /* SYN */
			s.flags = PTCP_SYN;
			s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS;
			s.opts.mss = 1460;
			s.opts.ts_val = k;
			break;
		case 1: /* an ACK with a guessed cookie */
			s.flags = PTCP_ACK;
			s.ack = k * 40503u + 1;
			break;
		case 2: /* RST */
			s.flags = (uint8_t)(PTCP_RST | (k & 1 ? PTCP_ACK : 0));
			s.ack = k;
			break;
		default: /* Fast Open: a request, or a wrong cookie with data */
			s.flags = PTCP_SYN;
			s.opts.present = PTCP_OPT_MSS | PTCP_OPT_TFO;
			s.opts.mss = 1460;
			if (k & 1) {
				s.opts.tfo_len = 8;
				memset(s.opts.tfo_cookie, (int)k, 8);
				fill(W.payload, 32, k);
				s.payload = W.payload;
				s.payload_len = 32;
			}
			break;
		}
		feed(&s, &src, &dst, 0, LP_FLOOD);
	}
}

static void op_dup(void)
{
	if (!W.have_last)
		return;
	ptcp_seg s = W.last;
	ptcp_addr src = W.last_src, dst = W.last_dst;
	uint8_t copy[PAYLOAD];
	if (s.payload_len) {
		memcpy(copy, W.last_payload, s.payload_len);
		s.payload = copy;
	}
	feed(&s, &src, &dst, 0, LP_DUP);
}

/* ---- the run ---------------------------------------------------------------------------- */
static int setup(reader *r)
{
	unsigned b[8];
	for (int i = 0; i < 8; i++)
		b[i] = byte(r);
	memset(&W, 0, sizeof W);
	ptcp_table_config_default(&W.cfg);
	W.cfg.flags = b[0] & 0x0f;
	W.cfg.max_conns = 1 + b[1] % MAXCONN;
	W.cfg.max_requests = 1 + b[2] % 16;
	W.cfg.max_listeners = 1 + b[3] % MAXLSN;
	W.cfg.max_backlog = 1 + b[4] % 16;
	uint32_t cf = 0;
	if (!(b[5] & 1))
		cf |= PTCP_CFG_TIMESTAMPS;
	if (!(b[5] & 2))
		cf |= PTCP_CFG_WSCALE;
	if (!(b[5] & 4))
		cf |= PTCP_CFG_SACK;
	if (b[5] & 8)
		cf |= PTCP_CFG_ECN;
	if (b[5] & 16)
		cf |= PTCP_CFG_NODELAY;
	W.cfg.conn.flags = cf;
	W.cfg.conn.synack_retries = (uint8_t)(1 + (b[5] >> 5));
	static const uint32_t ca[4] = {1000, 0, 1, 2};
	W.cfg.challenge_ack_limit = ca[b[6] % 4];
	W.cfg.tfo_max_pending = b[7] % 8 ? b[7] % 8 : 64;
	W.cfg.sndbuf = W.cfg.rcvbuf = 1024u << (b[6] >> 6);
	/* loss areas: one per connection (0), or a pool of 1-3 lent between steps */
	W.cfg.loss_areas = (b[7] >> 3) & 3;
	for (int i = 0; i < 16; i++)
		W.cfg.secret[i] = (uint8_t)(0x5a ^ i);
	size_t need = ptcp_table_mem_size(&W.cfg);
	CHECK(need > 0 && need <= sizeof mem, "table of %zu bytes for a valid configuration", need);
	int rc = ptcp_table_init(&W.t, &W.cfg, mem, need);
	CHECK(rc == 0, "ptcp_table_init returned %d", rc);
	W.out.v = W.acts;
	W.out.tag = W.tags;
	W.out.cap = (b[7] & 0x80) ? PTCP_TABLE_ACTIONS_MIN : ACTS_MAX;
	W.now = START_US;
	for (int l = 0; l < MAXLSN; l++)
		W.lsn[l] = -1;
	return 0;
}

/* PTCP_FUZZ_LISTENER_STATS=1: print the table's counters of each input (what a seed reaches) */
static void print_stats(void)
{
	static int on = -1;
	if (on < 0)
		on = getenv("PTCP_FUZZ_LISTENER_STATS") != NULL;
	if (!on)
		return;
	ptcp_table_stats st;
	ptcp_table_get_stats(&W.t, &st);
	fprintf(stderr,
	        "segs %llu syns %llu synacks %llu rexmits %llu cookies sent/ok %llu/%llu tfo "
	        "cookies/accepted %llu/%llu established %llu accepted %llu challenge-acks %llu "
	        "rsts %llu; drops:",
	        (unsigned long long)st.segs_in, (unsigned long long)st.syns,
	        (unsigned long long)st.synacks, (unsigned long long)st.synack_rexmits,
	        (unsigned long long)st.cookies_sent, (unsigned long long)st.cookies_ok,
	        (unsigned long long)st.tfo_cookies_sent, (unsigned long long)st.tfo_accepted,
	        (unsigned long long)st.established, (unsigned long long)st.accepted,
	        (unsigned long long)st.challenge_acks, (unsigned long long)st.rsts);
	for (int d = 1; d < PTCP_TDROP_COUNT; d++)
		if (st.drops[d])
			fprintf(stderr, " %s %llu", ptcp_table_drop_name((ptcp_table_drop)d),
			        (unsigned long long)st.drops[d]);
	fprintf(stderr, "\n");
}

/* Give everything up and let time run: nothing may be left behind. */
static void teardown(void)
{
	ptcp_input in;
	print_stats();
	while (W.nowned) {
		ptcp_handle h = W.owned[0];
		give_up(h);
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_ABORT;
		step(h, &in, LP_APP);
	}
	for (unsigned l = 0; l < MAXLSN; l++)
		if (W.lsn[l] >= 0) {
			W.out.n = 0;
			int rc = ptcp_table_unlisten(&W.t, (uint32_t)W.lsn[l], W.now, &W.out);
			CHECK(rc == 0, "unlisten returned %d", rc);
			W.lsn[l] = -1;
			check_after(LP_UNLISTEN);
		}
	ptcp_time_t end = W.now + DRAIN_CAP;
	for (unsigned i = 0; i < 100000; i++) {
		ptcp_time_t d = ptcp_table_next_deadline(&W.t);
		if (d == PTCP_TIME_NEVER || d > end)
			break;
		if (d > W.now)
			W.now = d;
		fire_timers();
	}
	ptcp_table_usage u;
	ptcp_table_get_usage(&W.t, &u);
	CHECK(u.conns == 0 && u.requests == 0 && u.timers == 0 && u.hashed == 0 &&
	          u.tfo_pending == 0 && u.listeners == 0,
	      "leaked: with no application and no listener, 4 hours later the table holds %u "
	      "connections, %u SYN-queue entries, %u timers, %u hashed, %u pending Fast Open, "
	      "%u listeners",
	      u.conns, u.requests, u.timers, u.hashed, u.tfo_pending, u.listeners);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader r = {data, size};
	setup(&r);
	for (unsigned n = 0; r.n > 0 && n < MAX_OPS; n++) {
		unsigned op = byte(&r) % LP_OP_COUNT;
		switch (op) {
		case LP_LISTEN:
			op_listen(&r);
			break;
		case LP_UNLISTEN:
			op_unlisten(&r);
			break;
		case LP_SYN:
			op_syn(&r);
			break;
		case LP_REPLY:
		case LP_REPLY2:
		case LP_REPLY3:
			op_reply(&r, LP_REPLY);
			break;
		case LP_RST:
			op_reply(&r, LP_RST);
			break;
		case LP_RAW:
			op_raw(&r);
			break;
		case LP_TIME:
			op_time(&r);
			break;
		case LP_ACCEPT:
			op_accept(&r);
			break;
		case LP_APP:
			op_app(&r);
			break;
		case LP_CONNECT:
			op_connect(&r);
			break;
		case LP_FLOOD:
			op_flood(&r);
			break;
		case LP_DRAIN:
			op_drain(&r);
			break;
		default:
			op_dup();
			break;
		}
	}
	teardown();
	return 0;
}
