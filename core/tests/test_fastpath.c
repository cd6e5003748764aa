/*
 * Differential test of header prediction (core/src/fastpath.c): the same
 * seeded scenario runs through a connection with the fast path and one with
 * PTCP_CFG_NO_FASTPATH; every step must return the same value and emit the
 * same actions (segments field by field with their payload bytes, READABLE,
 * WRITABLE, states, events, deadlines), and the stats and the data read must
 * match at the end.  A count checks that the fast path did take segments.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u

typedef struct rng {
	uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)(r->s >> 33) % n : 0;
}

static void same_action(const ptcp_action *a, const ptcp_action *b, unsigned seed, int step,
                        size_t i)
{
	cr_assert_eq(a->kind, b->kind, "seed %u step %d action %zu: kind %d vs %d", seed, step, i,
	             a->kind, b->kind);
	switch (a->kind) {
	case PTCP_ACT_EMIT: {
		const ptcp_seg *x = &a->emit.seg, *y = &b->emit.seg;
		size_t n = ptcp_seg_len(x);
		cr_assert(
		    x->flags == y->flags && x->seq == y->seq && x->ack == y->ack &&
		        x->wnd == y->wnd && n == ptcp_seg_len(y),
		    "seed %u step %d: emitted segments differ (seq %u/%u ack %u/%u wnd %u/%u)",
		    seed, step, x->seq, y->seq, x->ack, y->ack, x->wnd, y->wnd);
		cr_assert(x->opts.present == y->opts.present && x->opts.ts_val == y->opts.ts_val &&
		              x->opts.ts_ecr == y->opts.ts_ecr &&
		              x->opts.sack_count == y->opts.sack_count &&
		              !memcmp(x->opts.sack, y->opts.sack,
		                      sizeof(x->opts.sack[0]) * x->opts.sack_count),
		          "seed %u step %d: options differ", seed, step);
		cr_assert(
		    x->payload_len == y->payload_len &&
		        (!x->payload_len || !memcmp(x->payload, y->payload, x->payload_len)) &&
		        x->payload2_len == y->payload2_len &&
		        (!x->payload2_len || !memcmp(x->payload2, y->payload2, x->payload2_len)),
		    "seed %u step %d: payloads differ", seed, step);
		cr_assert_eq(a->emit.ecn, b->emit.ecn);
		/* byte for byte: the action as the core writes it (all but the
		 * option layout arrays, unused when nitems == 0, and the payload
		 * pointers, into each connection's own buffer), and the segment
		 * on the wire, checksum included */
		cr_assert_eq(x->opts.nitems, 0);
		cr_assert_eq(y->opts.nitems, 0);
		cr_assert(!memcmp(a, b, offsetof(ptcp_action, emit.seg.opts.items)) &&
		              !memcmp(&a->emit.src, &b->emit.src,
		                      sizeof(*a) - offsetof(ptcp_action, emit.src)),
		          "seed %u step %d: action bytes differ", seed, step);
		{
			static uint8_t wa[1600], wb[1600];
			int la = ptcp_wire_build_tcp(wa, sizeof(wa), x, &a->emit.src, &a->emit.dst);
			int lb = ptcp_wire_build_tcp(wb, sizeof(wb), y, &b->emit.src, &b->emit.dst);
			cr_assert(la > 0 && la == lb && !memcmp(wa, wb, (size_t)la),
			          "seed %u step %d: wire bytes differ (%d vs %d)", seed, step, la,
			          lb);
		}
		break;
	}
	case PTCP_ACT_READABLE:
		cr_assert_eq(a->readable.avail, b->readable.avail, "seed %u step %d", seed, step);
		break;
	case PTCP_ACT_WRITABLE:
		cr_assert_eq(a->writable.space, b->writable.space, "seed %u step %d", seed, step);
		break;
	case PTCP_ACT_STATE:
		cr_assert(a->state.from == b->state.from && a->state.to == b->state.to);
		break;
	case PTCP_ACT_EVENT:
		cr_assert(a->event.ev == b->event.ev && a->event.err == b->event.err);
		break;
	case PTCP_ACT_DEADLINE:
		cr_assert_eq(a->deadline, b->deadline, "seed %u step %d: deadline", seed, step);
		break;
	default:
		cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "seed %u step %d", seed, step);
		break;
	}
}

static void same(conv *f, conv *s, int rf, int rs, unsigned seed, int step)
{
	cr_assert_eq(rf, rs, "seed %u step %d: returns %d vs %d", seed, step, rf, rs);
	cr_assert_eq(f->out.n, s->out.n, "seed %u step %d: %zu vs %zu actions", seed, step,
	             f->out.n, s->out.n);
	for (size_t i = 0; i < f->out.n; i++)
		same_action(&f->act[i], &s->act[i], seed, step, i);
}

/* Highest sequence number the connection has sent (from the emitted segments). */
static void note_sent(const conv *t, uint32_t *snd_max)
{
	for (size_t i = 0; i < t->out.n; i++)
		if (t->act[i].kind == PTCP_ACT_EMIT) {
			const ptcp_seg *g = &t->act[i].emit.seg;
			uint32_t end = g->seq + (uint32_t)ptcp_seg_seqlen(g);
			if (ptcp_seq_gt(end, *snd_max))
				*snd_max = end;
		}
}

static unsigned run_seed(unsigned seed)
{
	rng r = {seed * 2654435761u + 1};
	ptcp_config cf, cs;
	conv f, s;
	int ts = rnd(&r, 2), step;
	uint32_t pseq = PISS + 1, una = ISS + 1, snd_max = ISS + 1, tsval = 100;
	uint8_t data[1460], rd_f[4096], rd_s[4096];
	size_t rcap = 1024u << rnd(&r, 5);
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1460};
	ptcp_stats stf, sts;
	uint64_t taken = 0;

	ptcp_config_default(&cf);
	if (!ts)
		cf.flags &= ~(uint32_t)PTCP_CFG_TIMESTAMPS;
	cf.delack = rnd(&r, 3) ? PTCP_MS(40) : 0;
	{
		/* keep-alive, whose deadline the fast path re-arms, from its own
		 * generator (the scenarios' draws stay as they were) */
		rng rc = {seed * 0x9e3779b97f4a7c15ull + 7};
		if (rnd(&rc, 3) == 0) {
			cf.keepalive_idle = PTCP_MS(100 + rnd(&rc, 400));
			cf.keepalive_intvl = PTCP_MS(50);
			cf.keepalive_cnt = 3;
		}
	}
	cs = cf;
	cs.flags |= PTCP_CFG_NO_FASTPATH;
	conv_init(&f, &cf, 16384, rcap);
	conv_init(&s, &cs, 16384, rcap);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + seed);
	if (ts) {
		syn.present |= PTCP_OPT_TS;
		syn.ts_val = tsval;
	}
	same(&f, &s, conv_listen(&f, ISS), conv_listen(&s, ISS), seed, -3);
	same(&f, &s, conv_seg_opts(&f, "S", PISS, 0, 65535, &syn, NULL, 0),
	     conv_seg_opts(&s, "S", PISS, 0, 65535, &syn, NULL, 0), seed, -2);
	if (ts) {
		f.peer_opts.present = s.peer_opts.present = PTCP_OPT_TS;
		f.peer_opts.ts_val = s.peer_opts.ts_val = tsval;
	}
	same(&f, &s, conv_seg(&f, ".", PISS + 1, ISS + 1, 65535, NULL, 0),
	     conv_seg(&s, ".", PISS + 1, ISS + 1, 65535, NULL, 0), seed, -1);
	cr_assert_eq(ptcp_conn_state(&f.c), PTCP_ESTABLISHED, "seed %u", seed);
	for (step = 0; step < 400; step++) {
		uint32_t op = rnd(&r, 100), len = 1 + rnd(&r, 1460), ack = una;
		uint16_t wnd = rnd(&r, 8) ? 65535 : (uint16_t)(1000 + rnd(&r, 60000));
		const char *fl = rnd(&r, 2) ? "P." : ".";
		int rf, rs;
		if (ts) {
			tsval += rnd(&r, 3);
			f.peer_opts.ts_val = s.peer_opts.ts_val = rnd(&r, 20) ? tsval : tsval - 100;
			f.peer_opts.ts_ecr = s.peer_opts.ts_ecr = 0;
		}
		if (rnd(&r, 4) == 0 && snd_max != una) {
			ack = una + 1 + rnd(&r, snd_max - una);
			una = ack;
		}
		if (op < 55) { /* in order */
			rf = conv_seg(&f, fl, pseq, ack, wnd, data, len);
			rs = conv_seg(&s, fl, pseq, ack, wnd, data, len);
			pseq += len;  /* beyond the window: the peer resends later (below) */
		} else if (op < 62) { /* out of order */
			uint32_t q = pseq + 1 + rnd(&r, 3000);
			rf = conv_seg(&f, fl, q, ack, wnd, data, len);
			rs = conv_seg(&s, fl, q, ack, wnd, data, len);
		} else if (op < 68) { /* old data, or a go-back from pseq's drift */
			uint32_t q = pseq - rnd(&r, 4000);
			rf = conv_seg(&f, fl, q, ack, wnd, data, len);
			rs = conv_seg(&s, fl, q, ack, wnd, data, len);
			pseq = q + len;
		} else if (op < 76) { /* a pure ACK */
			rf = conv_seg(&f, ".", pseq, ack, wnd, NULL, 0);
			rs = conv_seg(&s, ".", pseq, ack, wnd, NULL, 0);
		} else if (op < 83) { /* the application sends */
			uint32_t n = 1 + rnd(&r, 3000);
			rf = conv_send(&f, data, n < sizeof(data) ? n : sizeof(data));
			rs = conv_send(&s, data, n < sizeof(data) ? n : sizeof(data));
		} else if (op < 92) { /* the application reads */
			uint32_t n = 1 + rnd(&r, sizeof(rd_f));
			rf = conv_read(&f, rd_f, n);
			rs = conv_read(&s, rd_s, n);
			cr_assert_eq(rf, rs);
			if (rf > 0)
				cr_assert_eq(memcmp(rd_f, rd_s, (size_t)rf), 0,
				             "seed %u: data read", seed);
		} else if (op < 97) {
			ptcp_time_t dt = rnd(&r, PTCP_MS(60));
			rf = conv_advance(&f, dt);
			rs = conv_advance(&s, dt);
		} else if (op < 99) {
			rf = conv_advance(&f, PTCP_MS(250)); /* past RTOs and delayed ACKs */
			rs = conv_advance(&s, PTCP_MS(250));
		} else { /* a CE mark or a FIN now and then: the full path's cases */
			rf = conv_seg(&f, "F.", pseq, ack, wnd, data, len);
			rs = conv_seg(&s, "F.", pseq, ack, wnd, data, len);
			pseq += len + 1;
		}
		same(&f, &s, rf, rs, seed, step);
		note_sent(&f, &snd_max);
		if (ptcp_conn_state(&f.c) == PTCP_CLOSED)
			break;
	}
	ptcp_conn_stats(&f.c, &stf);
	ptcp_conn_stats(&s.c, &sts);
	cr_assert_eq(memcmp(&stf, &sts, sizeof(stf)), 0, "seed %u: stats differ", seed);
	taken = stf.segs_in;
	conv_fini(&f);
	conv_fini(&s);
	return (unsigned)taken;
}

/* 300 seeded scenarios: timestamps on or off, delayed ACKs on or off,
 * keep-alive on or off, receive buffers of 1 to 16 KiB (full buffers, zero
 * windows). */
Test(fastpath, same_actions_as_full_path)
{
	uint64_t segs = 0;
	for (unsigned seed = 1; seed <= 300; seed++)
		segs += run_seed(seed);
	cr_assert_gt(segs, 300u * 100u);
}
