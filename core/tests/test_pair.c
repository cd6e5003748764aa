/*
 * Two cores talking: a client and a server exchange segments through the
 * wire codec (build -> bytes -> parse) over a lossy link run by the test.
 * Both move 1 MiB, then close; every byte is checked.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptcp/ptcp.h"

#define MAXQ 4096
#define PKT  1600

typedef struct pkt {
	ptcp_time_t at;
	int to;
	size_t len;
	uint8_t b[PKT];
} pkt;

typedef struct end {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	uint8_t *sbuf, *rbuf;
	size_t total;   /* bytes to send */
	size_t written; /* queued so far */
	size_t got;     /* read so far */
	uint8_t seed;
	int closed_write, eof, done;
} end;

typedef struct net {
	pkt *q;
	size_t n;
	uint64_t rng;
	unsigned loss_pct;
	ptcp_time_t delay, now;
	uint64_t sent, dropped;
	end e[2];
	ptcp_action act[256];
} net;

static uint32_t rnd(net *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return (uint32_t)(t->rng >> 11);
}

static uint8_t pattern(uint8_t seed, size_t off)
{
	return (uint8_t)(off * 31 + seed + (off >> 9));
}

static void handle(net *t, int who, const ptcp_actions *out);

static void step(net *t, int who, ptcp_input *in)
{
	ptcp_actions out = {.v = t->act, .cap = 256};
	int r = ptcp_step(&t->e[who].c, in, t->now, &out);
	cr_assert_geq(r, PTCP_EAGAIN < 0 ? PTCP_ERR_MIN : 0);
	handle(t, who, &out);
}

static void pump_app(net *t, int who)
{
	end *e = &t->e[who];
	uint8_t buf[8192];
	ptcp_input in;
	ptcp_actions out = {.v = t->act, .cap = 256};
	/* write what fits */
	while (e->written < e->total && ptcp_conn_send_space(&e->c) > 0 &&
	       ptcp_conn_state(&e->c) >= PTCP_ESTABLISHED) {
		size_t n = e->total - e->written;
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(e->seed, e->written + i);
		memset(&in, 0, sizeof(in));
		in.kind = PTCP_IN_SEND;
		in.send.data = buf;
		in.send.len = n;
		int r = ptcp_step(&e->c, &in, t->now, &out);
		if (r <= 0)
			break;
		e->written += (size_t)r;
		handle(t, who, &out);
	}
	if (e->written == e->total && !e->closed_write &&
	    ptcp_conn_state(&e->c) >= PTCP_ESTABLISHED) {
		e->closed_write = 1;
		memset(&in, 0, sizeof(in));
		in.kind = PTCP_IN_SHUTDOWN;
		in.shutdown.how = PTCP_SHUT_WR;
		step(t, who, &in);
	}
	/* read what arrived */
	while (ptcp_conn_recv_avail(&e->c) > 0) {
		memset(&in, 0, sizeof(in));
		in.kind = PTCP_IN_READ;
		in.read.buf = buf;
		in.read.len = sizeof(buf);
		int r = ptcp_step(&e->c, &in, t->now, &out);
		cr_assert_gt(r, 0);
		for (int i = 0; i < r; i++)
			cr_assert_eq(buf[i], pattern(t->e[!who].seed, e->got + (size_t)i),
			             "side %d byte %zu differs", who, e->got + (size_t)i);
		e->got += (size_t)r;
		handle(t, who, &out);
	}
	if (ptcp_conn_eof(&e->c))
		e->eof = 1;
}

static void handle(net *t, int who, const ptcp_actions *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const ptcp_action *a = &out->v[i];
		if (getenv("PAIR_TRACE")) {
			if (a->kind == PTCP_ACT_EMIT)
				fprintf(stderr, "%.6f %d> fl=%02x seq=%u ack=%u wnd=%u len=%zu\n",
				        (double)t->now / 1e6, who, a->emit.seg.flags,
				        a->emit.seg.seq, a->emit.seg.ack, a->emit.seg.wnd,
				        ptcp_seg_len(&a->emit.seg));
			else if (a->kind == PTCP_ACT_STATE)
				fprintf(stderr, "%.6f %d state %s\n", (double)t->now / 1e6, who,
				        ptcp_state_name(a->state.to));
			else if (a->kind == PTCP_ACT_DEADLINE)
				fprintf(stderr, "%.6f %d deadline %.6f\n", (double)t->now / 1e6,
				        who,
				        a->deadline == PTCP_TIME_NEVER ? -1.0
				                                       : (double)a->deadline / 1e6);
			else if (a->kind == PTCP_ACT_EVENT)
				fprintf(stderr, "%.6f %d event %s %d\n", (double)t->now / 1e6, who,
				        ptcp_event_name(a->event.ev), a->event.err);
		}
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		ptcp_ip ip;
		memset(&ip, 0, sizeof(ip));
		ip.src = a->emit.src;
		ip.dst = a->emit.dst;
		ip.ttl = 64;
		pkt *p = &t->q[t->n];
		cr_assert_lt(t->n, (size_t)MAXQ, "network queue overflow");
		int len = ptcp_wire_build_packet(p->b, PKT, &ip, &a->emit.seg);
		cr_assert_gt(len, 0, "build failed: %s", ptcp_strerror(len));
		t->sent++;
		if (rnd(t) % 100 < t->loss_pct) {
			t->dropped++;
			continue;
		}
		p->len = (size_t)len;
		p->to = !who;
		/* a little jitter reorders some packets */
		p->at = t->now + t->delay + (rnd(t) % 2000);
		t->n++;
	}
}

static void deliver(net *t, pkt *p)
{
	ptcp_ip ip;
	ptcp_seg seg;
	int r = ptcp_wire_parse_packet(p->b, p->len, &ip, &seg);
	cr_assert_eq(r, 0, "emitted packet does not parse: %s", ptcp_strerror(r));
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	if (getenv("PAIR_TRACE"))
		fprintf(stderr, "%.6f ->%d fl=%02x seq=%u ack=%u wnd=%u len=%zu\n",
		        (double)t->now / 1e6, p->to, seg.flags, seg.seq, seg.ack, seg.wnd,
		        ptcp_seg_len(&seg));
	in.segment.seg = &seg;
	in.segment.src = ip.src;
	in.segment.dst = ip.dst;
	step(t, p->to, &in);
}

static void run_pair_limit(uint64_t seed, unsigned loss, size_t bytes, size_t bufsz,
                           ptcp_time_t limit)
{
	net *t = calloc(1, sizeof(*t));
	ptcp_config cfg;
	ptcp_input in;
	t->q = calloc(MAXQ, sizeof(pkt));
	t->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	t->loss_pct = loss;
	t->delay = PTCP_MS(10);
	t->now = PTCP_SEC(1);
	ptcp_config_default(&cfg);
	for (int i = 0; i < 2; i++) {
		end *e = &t->e[i];
		e->sbuf = malloc(bufsz);
		e->rbuf = malloc(bufsz);
		cfg.ts_offset = (uint32_t)(i * 7777);
		cr_assert_eq(ptcp_conn_init(&e->c, &cfg, e->sbuf, bufsz, e->rbuf, bufsz), 0);
		cr_assert_eq(ptcp_conn_set_loss(&e->c, &e->loss), 0);
		memset(&e->st, 0, sizeof(*&e->st));
		ptcp_conn_set_stats(&e->c, &e->st);
		e->total = bytes;
		e->seed = (uint8_t)(17 + i * 100);
	}
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_LISTEN;
	in.listen.lport = 80;
	in.listen.iss = 0xFFFFF000u; /* wraps during the transfer */
	step(t, 1, &in);
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_CONNECT;
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = 40000;
	in.connect.rport = 80;
	in.connect.iss = 0x7FFFF000u;
	step(t, 0, &in);

	for (uint64_t iter = 0;; iter++) {
		cr_assert_lt(iter, 50000000ull, "no progress (seed %llu)",
		             (unsigned long long)seed);
		cr_assert_lt(t->now, limit, "transfer took over %llu s of virtual time",
		             (unsigned long long)(limit / 1000000));
		for (int i = 0; i < 2; i++)
			pump_app(t, i);
		/* done: everything read, and both ends closed (TIME-WAIT runs out) */
		if (t->e[0].eof && t->e[1].eof && t->e[0].got == bytes && t->e[1].got == bytes &&
		    ptcp_conn_state(&t->e[0].c) == PTCP_CLOSED &&
		    ptcp_conn_state(&t->e[1].c) == PTCP_CLOSED)
			break;
		/* next event: a packet or a deadline */
		ptcp_time_t next = PTCP_TIME_NEVER;
		size_t pi = SIZE_MAX;
		for (size_t i = 0; i < t->n; i++)
			if (t->q[i].at < next) {
				next = t->q[i].at;
				pi = i;
			}
		int ti = -1;
		for (int i = 0; i < 2; i++) {
			ptcp_time_t d = ptcp_conn_next_deadline(&t->e[i].c);
			if (d < next) {
				next = d;
				ti = i;
				pi = SIZE_MAX;
			}
		}
		cr_assert_neq(next, PTCP_TIME_NEVER,
		              "stuck: no packet and no deadline (states %s / %s, read %zu / %zu, "
		              "eof %d / %d, seed %llu)",
		              ptcp_state_name(ptcp_conn_state(&t->e[0].c)),
		              ptcp_state_name(ptcp_conn_state(&t->e[1].c)), t->e[0].got,
		              t->e[1].got, t->e[0].eof, t->e[1].eof, (unsigned long long)seed);
		if (next > t->now)
			t->now = next;
		if (ti >= 0) {
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_TIME;
			step(t, ti, &in);
		} else {
			pkt p = t->q[pi];
			t->q[pi] = t->q[--t->n];
			deliver(t, &p);
		}
	}
	cr_assert_eq(t->e[0].got, bytes);
	cr_assert_eq(t->e[1].got, bytes);
	cr_log_info("seed %llu loss %u%%: %llu packets, %llu dropped, %.1f s virtual",
	            (unsigned long long)seed, loss, (unsigned long long)t->sent,
	            (unsigned long long)t->dropped, (double)t->now / 1e6);
	for (int i = 0; i < 2; i++) {
		free(t->e[i].sbuf);
		free(t->e[i].rbuf);
	}
	free(t->q);
	free(t);
}

static void run_pair(uint64_t seed, unsigned loss, size_t bytes, size_t bufsz)
{
	run_pair_limit(seed, loss, bytes, bufsz, PTCP_SEC(3600));
}

Test(pair, one_mib_each_way_clean)
{
	run_pair(1, 0, 1 << 20, 65536);
}
Test(pair, one_mib_each_way_ten_percent_loss)
{
	run_pair(2, 10, 1 << 20, 65536);
}
Test(pair, ten_percent_loss_many_seeds)
{
	for (uint64_t s = 10; s < 30; s++)
		run_pair(s, 10, 64 << 10, 16384);
}
/* 30% loss with 3 KB buffers: recovery is mostly by timeout, with backoff. */
Test(pair, small_buffers_heavy_loss)
{
	run_pair_limit(3, 30, 100 << 10, 3000, PTCP_SEC(86400));
}
