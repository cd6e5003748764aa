/*
 * Reassembly (core/src/ooo.c) against a bitmap model: random segments land
 * at random places of the window (many holes, a pool in caller memory large
 * enough for all of them), now and then one at RCV.NXT fills; after each the
 * ACK the core sends must carry the model's first missing byte, and its SACK
 * blocks must be maximal filled runs of the model above it, the first one
 * holding the segment (RFC 2018 4), as many as the option has room for; the
 * bytes read back are the bytes sent.  Then the pool API.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

#define ISS   1000u
#define PISS  5000u
#define SPAN  8192u   /* segments land within this far beyond RCV.NXT */
#define TOTAL 400000u /* bytes of the stream the model covers */
#define POOL  (SPAN / 2u)

typedef struct rng {
	uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)(r->s >> 33) % n : 0;
}

static uint8_t pat(uint32_t off)
{
	return (uint8_t)(off * 131u + 7u);
}

/* An established connection (SACK, window scaling, no timestamps: four SACK
 * blocks an ACK), receive buffer 64 KiB, delayed ACK off. */
static void setup(conv *t, int ts)
{
	ptcp_config cf;
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_WSCALE,
	                     .mss = 1460,
	                     .wscale = 7};
	ptcp_config_default(&cf);
	if (!ts)
		cf.flags &= ~(uint32_t)PTCP_CFG_TIMESTAMPS;
	cf.delack = 0;
	conv_init(t, &cf, 4096, 65536);
	if (ts) {
		syn.present |= PTCP_OPT_TS;
		syn.ts_val = 1;
	}
	conv_listen(t, ISS);
	conv_seg_opts(t, "S", PISS, 0, 65535, &syn, NULL, 0);
	if (ts) {
		t->peer_opts.present = PTCP_OPT_TS;
		t->peer_opts.ts_val = 1;
	}
	conv_seg(t, ".", PISS + 1, ISS + 1, 65535, NULL, 0);
	cr_assert_eq(ptcp_conn_state(&t->c), PTCP_ESTABLISHED);
}

static const ptcp_seg *last_ack(const conv *t)
{
	const ptcp_seg *g = NULL;
	for (size_t i = 0; i < t->out.n; i++)
		if (t->act[i].kind == PTCP_ACT_EMIT)
			g = &t->act[i].emit.seg;
	return g;
}

/* Offset (from the stream's first byte) of the end of the filled run holding o. */
static uint32_t run_end(const uint8_t *have, uint32_t o)
{
	while (o < TOTAL && have[o])
		o++;
	return o;
}

static void run_seed(unsigned seed, int ts, uint64_t *max_ranges)
{
	rng r = {seed * 0x9e3779b97f4a7c15ull + 1};
	uint8_t *have = calloc(TOTAL + 1, 1), buf[1500], rd[65536];
	ptcp_ooo_node *pool = malloc(POOL * sizeof(*pool));
	uint32_t nxt = 0, rdoff = 0, max_blocks = ts ? 3 : 4;
	ptcp_stats st;
	conv t;
	cr_assert(have && pool);
	setup(&t, ts);
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, pool, POOL), 0);
	while (nxt + SPAN + 1500 < TOTAL) {
		uint32_t len = 1 + rnd(&r, 64), o, ranges = 0, n = 0, i, x;
		const ptcp_seg *g;
		int in_order = rnd(&r, 8) == 0;
		o = in_order ? nxt : nxt + 1 + rnd(&r, SPAN);
		for (i = 0; i < len; i++)
			buf[i] = pat(o + i);
		if (ts)
			t.peer_opts.ts_val++;
		conv_seg(&t, "P.", PISS + 1 + o, ISS + 1, 65535, buf, len);
		memset(have + o, 1, len);
		while (have[nxt])
			nxt++;
		g = last_ack(&t);
		cr_assert(g, "seed %u: no ACK for %u+%u", seed, o, len);
		cr_assert_eq(g->ack, PISS + 1 + nxt, "seed %u: ack %u, model %u", seed,
		             g->ack - PISS - 1, nxt);
		/* the model's ranges above RCV.NXT */
		for (x = nxt; x < nxt + SPAN + 64;) {
			if (have[x]) {
				ranges++;
				x = run_end(have, x);
			} else {
				x++;
			}
		}
		if (ranges > *max_ranges)
			*max_ranges = ranges;
		n = (g->opts.present & PTCP_OPT_SACK) ? g->opts.sack_count : 0;
		cr_assert_eq(n, ranges < max_blocks ? ranges : max_blocks,
		             "seed %u: %u SACK blocks for %u ranges", seed, n, ranges);
		for (i = 0; i < n; i++) {
			uint32_t l = g->opts.sack[i].left - PISS - 1,
			         rt = g->opts.sack[i].right - PISS - 1;
			cr_assert(l > nxt && l < rt && rt <= TOTAL && have[l] && !have[l - 1] &&
			              run_end(have, l) == rt,
			          "seed %u: SACK block %u [%u, %u) is not a filled run", seed, i, l,
			          rt);
			for (uint32_t j = 0; j < i; j++)
				cr_assert_neq(g->opts.sack[j].left, g->opts.sack[i].left);
		}
		if (!in_order && o > nxt)
			cr_assert(n && o >= g->opts.sack[0].left - PISS - 1 &&
			              o + len <= g->opts.sack[0].right - PISS - 1,
			          "seed %u: the first block must hold the segment", seed);
		/* read what is in order and compare */
		for (;;) {
			int k = conv_read(&t, rd, sizeof(rd));
			if (k <= 0)
				break;
			for (int j = 0; j < k; j++)
				cr_assert_eq(rd[j], pat(rdoff + (uint32_t)j),
				             "seed %u: byte %u read", seed, rdoff + (uint32_t)j);
			rdoff += (uint32_t)k;
		}
		cr_assert_eq(rdoff, nxt, "seed %u: bytes readable", seed);
	}
	ptcp_conn_stats(&t.c, &st);
	cr_assert_eq(st.drops[PTCP_DROP_OOO_FULL], 0, "seed %u: the pool suffices", seed);
	conv_fini(&t);
	free(have);
	free(pool);
}

Test(ooo, against_bitmap_model)
{
	uint64_t max_ranges = 0;
	for (unsigned seed = 1; seed <= 6; seed++)
		run_seed(seed, seed & 1, &max_ranges);
	/* the scenarios do reach many holes (far beyond the block's own pool) */
	cr_assert_gt(max_ranges, 100u, "only %llu ranges at most", (unsigned long long)max_ranges);
}

/* ptcp_conn_set_ooo_pool: arguments, and ranges moving between pools. */
Test(ooo, pool_api)
{
	ptcp_ooo_node big[PTCP_OOO_MAX + 12], small[5];
	uint8_t d[1] = {'x'};
	ptcp_stats st;
	conv t;
	setup(&t, 0);
	cr_assert_eq(ptcp_conn_set_ooo_pool(NULL, big, PTCP_OOO_MAX + 12), PTCP_EINVAL);
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, big, 0), PTCP_EINVAL);
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, big, PTCP_OOO_POOL_MAX + 1u), PTCP_EINVAL);
	/* the block's own pool: PTCP_OOO_MAX ranges, then one more is dropped */
	for (uint32_t k = 0; k <= PTCP_OOO_MAX; k++)
		conv_seg(&t, "P.", PISS + 2 + 2 * k, ISS + 1, 65535, d, 1);
	ptcp_conn_stats(&t.c, &st);
	cr_assert_eq(st.drops[PTCP_DROP_OOO_FULL], 1);
	/* into a larger pool, ranges kept: 10 more fit */
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, big, PTCP_OOO_MAX + 12), 0);
	for (uint32_t k = PTCP_OOO_MAX; k < PTCP_OOO_MAX + 10; k++)
		conv_seg(&t, "P.", PISS + 2 + 2 * k, ISS + 1, 65535, d, 1);
	ptcp_conn_stats(&t.c, &st);
	cr_assert_eq(st.drops[PTCP_DROP_OOO_FULL], 1, "no drop with room in the pool");
	/* too small for what is queued; and not back to the block's own */
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, small, 5), PTCP_EINVAL);
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, NULL, 0), PTCP_EINVAL);
	/* fill every hole: one ACK for all, the ranges all taken in */
	for (uint32_t k = 0; k < PTCP_OOO_MAX + 10; k++)
		conv_seg(&t, "P.", PISS + 1 + 2 * k, ISS + 1, 65535, d, 1);
	cr_assert_eq(last_ack(&t)->ack, PISS + 1 + 2 * (PTCP_OOO_MAX + 10));
	cr_assert_eq(last_ack(&t)->opts.present & PTCP_OPT_SACK, 0);
	cr_assert_eq(ptcp_conn_recv_avail(&t.c), 2 * (PTCP_OOO_MAX + 10));
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, NULL, 0), 0, "empty: back to the block's pool");
	conv_fini(&t);
}
