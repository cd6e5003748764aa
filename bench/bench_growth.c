/*
 * ptcp-bench growth: how the cost per segment grows with the number of
 * out-of-order holes, SACKed ranges, connections in the table, and
 * simulated connections.
 *
 * IMPLEMENTATION NOTES
 * Each point is the median of several timed batches, as in percase.
 *   holes   one receiver; h segments arrive each one segment beyond the
 *           last (so each opens a new hole), then a duplicate of a queued
 *           segment (the cost at h holes), then the holes are filled in
 *           order.  The connection has a reassembly pool of h ranges in
 *           caller memory (ptcp_conn_set_ooo_pool), so nothing is dropped;
 *           drops (PTCP_DROP_OOO_FULL) are counted all the same.
 *   sack    the dupack case with 1 .. 12 SACKed ranges in the scoreboard.
 *   table   N established connections in a ptcp_table (64-byte buffers),
 *           made through the listener (SYN, SYN-ACK, ACK, accept); then
 *           lookups and pure ACKs through ptcp_table_step, to one
 *           connection ("hot") and to uniformly random ones ("random").
 *   sim     ptcp-sim bulk transfers (64 MiB in all, at least 64 KiB per
 *           connection), K connections sharing the links, checker off:
 *           segments per second of process CPU time.
 */
#define _DEFAULT_SOURCE /* madvise */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "bench.h"
#include "ptcp/listener.h"
#ifdef PTCP_BENCH_HAVE_SIM
#include "sim.h"
#endif

#define HS                                                                                         \
	64u /* payload of the holes sweep: small, so the ring stays in cache and the list shows */

static double median_of(double *v, size_t n)
{
	return bench_summarise(v, n).med;
}

/* ---- Out-of-order holes -------------------------------------------------------- */
typedef struct holes_st {
	unsigned h;
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	ptcp_action acts[BENCH_ACTS];
	ptcp_actions out;
	uint8_t *sbuf, *rbuf;
	uint32_t *fillseq;   /* the segments a fill sends, in order */
	ptcp_ooo_node *pool; /* h ranges */
	bench_peer p;
	ptcp_seg seg;
	ptcp_input in;
	double held, dropped;
	double *ins, *dup, *fill; /* per trial */
} holes_st;

#define HOLES_NDUP 64u

static holes_st *holes_new(unsigned h, unsigned trials)
{
	holes_st *st = calloc(1, sizeof(*st));
	size_t rcap = 65536;
	if (!st)
		bench_die("out of memory");
	while (rcap < (size_t)(2 * h + 4) * HS)
		rcap *= 2;
	st->h = h;
	st->out.v = st->acts;
	st->out.cap = BENCH_ACTS;
	st->sbuf = malloc(65536);
	st->rbuf = calloc(1, rcap);
	st->fillseq = malloc(2 * (size_t)h * sizeof(uint32_t));
	st->pool = malloc((size_t)h * sizeof(ptcp_ooo_node));
	st->ins = calloc(trials, sizeof(double));
	st->dup = calloc(trials, sizeof(double));
	st->fill = calloc(trials, sizeof(double));
	if (!st->sbuf || !st->rbuf || !st->fillseq || !st->pool || !st->ins || !st->dup ||
	    !st->fill)
		bench_die("out of memory");
	bench_establish(&st->c, &st->loss, st->sbuf, 65536, st->rbuf, rcap, &st->p, st->acts);
	memset(&st->st, 0, sizeof(*&st->st));
	ptcp_conn_set_stats(&st->c, &st->st);
	if (h > PTCP_OOO_MAX && ptcp_conn_set_ooo_pool(&st->c, st->pool, h) != 0)
		bench_die("holes: a pool of %u ranges was refused", h);
	bench_peer_seg(&st->p, &st->c, &st->seg, PTCP_ACK, bench_zeros, HS);
	st->in.kind = PTCP_IN_SEGMENT;
	st->in.segment.seg = &st->seg;
	ptcp_addr_v4(&st->in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&st->in.segment.dst, 10, 0, 0, 1);
	/* a first segment, whose ACK announces the whole buffer */
	st->p.now += 1;
	st->seg.seq = st->p.seq;
	ptcp_step(&st->c, &st->in, st->p.now, &st->out);
	st->p.seq += HS;
	return st;
}

static void holes_free(holes_st *st)
{
	free(st->sbuf);
	free(st->rbuf);
	free(st->fillseq);
	free(st->pool);
	free(st->ins);
	free(st->dup);
	free(st->fill);
	free(st);
}

static inline void holes_send(holes_st *st, uint32_t seq)
{
	st->p.now += 1;
	st->seg.seq = seq;
	st->seg.opts.ts_val = (uint32_t)(st->p.now / 1000u) + 77777u;
	ptcp_step(&st->c, &st->in, st->p.now, &st->out);
}

/* One cycle: h hole-opening segments, duplicates, the fill; adds the time of each part. */
static void holes_cycle(holes_st *st, uint64_t *ti, uint64_t *td, uint64_t *tf, unsigned *nf)
{
	unsigned h = st->h, held, nfill = 0;
	uint32_t base = st->p.seq;
	uint64_t d0 = bench_drops(&st->c), t0, t1;
	ptcp_info i;
	t0 = bench_now_ns();
	for (unsigned j = 0; j < h; j++)
		holes_send(st, base + (2 * j + 1) * HS);
	t1 = bench_now_ns();
	*ti += t1 - t0;
	st->dropped = (double)(bench_drops(&st->c) - d0);
	st->held = h - st->dropped;
	held = (unsigned)st->held;
	/* duplicates of queued segments: the list's cost at h holes */
	t0 = bench_now_ns();
	for (unsigned k = 0; k < HOLES_NDUP; k++)
		holes_send(st, base + (2 * (k % held) + 1) * HS);
	t1 = bench_now_ns();
	*td += t1 - t0;
	/* fill in order: the queued odd segments (the first `held`) come in with the holes
	 * below them; the dropped ones are sent again */
	for (unsigned j = 0; j < h; j++) {
		st->fillseq[nfill++] = base + 2 * j * HS;
		if (j >= held)
			st->fillseq[nfill++] = base + (2 * j + 1) * HS;
	}
	t0 = bench_now_ns();
	for (unsigned k = 0; k < nfill; k++)
		holes_send(st, st->fillseq[k]);
	t1 = bench_now_ns();
	*tf += t1 - t0;
	*nf += nfill;
	ptcp_conn_info(&st->c, &i);
	if (i.rcv_nxt != base + 2 * h * HS)
		bench_die("holes: the fill did not complete (h = %u)", h);
	st->p.seq = base + 2 * h * HS;
	st->p.now += 1;
	bench_step_read(&st->c, NULL, ptcp_conn_recv_avail(&st->c), st->p.now, &st->out);
}

/* One trial: enough cycles for at least 64 hole-opening segments; each timing window's
 * own cost (the clock) is taken off. */
static void holes_trial(holes_st *st, unsigned t)
{
	unsigned reps = (64 + st->h - 1) / st->h, nf = 0;
	uint64_t ti = 0, td = 0, tf = 0;
	double w = bench_clock_ns() * reps;
	for (unsigned r = 0; r < reps; r++)
		holes_cycle(st, &ti, &td, &tf, &nf);
	st->ins[t] = ((double)ti - w) / ((double)reps * st->h);
	st->dup[t] = ((double)td - w) / ((double)reps * HOLES_NDUP);
	st->fill[t] = ((double)tf - w) / nf;
}

static void growth_holes(const bench_opts *o)
{
	static const unsigned hs[] = {1, 2, 4, 8, 16, 64, 256, 1000, 4000, 10000, 30000};
	size_t n = sizeof(hs) / sizeof(hs[0]);
	unsigned trials = o->quick ? 9u : 31u;
	double x[16], ins[16], dup[16], fill[16];
	holes_st *st[16];
	char path[512];
	if (o->quick)
		n -= 3; /* up to 1000 */
	printf("\n### Out-of-order holes\n\n");
	printf("A receiver gets h segments of %u bytes, each one segment beyond the last (h "
	       "holes), then %u duplicates of queued segments, then every missing segment in "
	       "order (a cycle; a trial repeats it for at least 64 hole-opening segments). The "
	       "reassembly pool holds h ranges (caller memory; the block's own %u for h <= %u). "
	       "ns per segment (the clock's own cost taken off each timing window), median of "
	       "%u trials (round robin over h).\n\n",
	       HS, HOLES_NDUP, PTCP_OOO_MAX, PTCP_OOO_MAX, trials);
	for (size_t k = 0; k < n; k++)
		st[k] = holes_new(hs[k], trials);
	for (unsigned t = 0; t < trials; t++)
		for (size_t k = 0; k < n; k++)
			holes_trial(st[k], t);
	printf("| holes h | ranges held | segments dropped (OOO_FULL) | ns per hole-opening "
	       "segment | ns per duplicate at h | ns per filling segment |\n");
	printf("|---:|---:|---:|---:|---:|---:|\n");
	for (size_t k = 0; k < n; k++) {
		x[k] = hs[k];
		ins[k] = median_of(st[k]->ins, trials);
		dup[k] = median_of(st[k]->dup, trials);
		fill[k] = median_of(st[k]->fill, trials);
		printf("| %u | %.0f | %.0f | %.1f | %.1f | %.1f |\n", hs[k], st[k]->held,
		       st[k]->dropped, ins[k], dup[k], fill[k]);
		holes_free(st[k]);
	}
	{
		svg_series s[3] = {{"hole-opening segment", x, ins, n},
		                   {"duplicate at h holes", x, dup, n},
		                   {"filling segment", x, fill, n}};
		svg_plot(bench_svg_path(o, "bench-holes.svg", path, sizeof(path)),
		         "Out-of-order segment cost vs holes (reassembly tree, pool of h ranges)",
		         "holes in the receive sequence space", "ns per segment (median)", 1, 0, s,
		         3);
	}
}

/* ---- SACK scoreboard ---------------------------------------------------------------- */
static void growth_sack(const bench_opts *o)
{
	static const unsigned rs[] = {1, 2, 3, 4, 5, 6, 7, 8, 12};
	size_t n = sizeof(rs) / sizeof(rs[0]);
	unsigned R = o->quick ? 21 : 101, B = o->batch;
	double x[16], y[16], iy[16];
	char path[512];
	printf("\n### SACK scoreboard\n\n");
	printf("The dupack case with r SACKed ranges above SND.UNA (r - 1 fixed one-segment "
	       "ranges, each above a lost hole, and the growing top range; each dup ACK "
	       "carries the top block and up to two others). Median of %u batches of %u, round "
	       "robin over r.\n\n",
	       R, B);
	printf("| ranges r | ns per dup ACK | p10-p90 | instructions | new segments per dup ACK "
	       "|\n|---:|---:|---:|---:|---:|\n");
	{
		void *st[16];
		double *v = calloc(n * R, sizeof(double));
		if (!v)
			bench_die("out of memory");
		for (size_t k = 0; k < n; k++) {
			st[k] = calloc(1, bench_dupack_size());
			if (!st[k])
				bench_die("out of memory");
			bench_dupack_init(st[k], B, rs[k]);
		}
		/* round robin over r, as percase */
		for (unsigned r = 0; r < R + 2; r++)
			for (size_t k = 0; k < n; k++) {
				uint64_t t0, t1;
				bench_dupack_prepare(st[k], B);
				t0 = bench_now_ns();
				bench_dupack_run(st[k], B);
				t1 = bench_now_ns();
				bench_dupack_check(st[k], B);
				if (r >= 2)
					v[k * R + r - 2] = (double)(t1 - t0) / B;
			}
		for (size_t k = 0; k < n; k++) {
			bench_stat bs = bench_summarise(v + k * R, R);
			double rel = bench_dupack_released(st[k]), ir;
			char id[32], irs[32] = "-";
			snprintf(id, sizeof(id), "dupack:%u", rs[k]);
			ir = bench_icount(o, id, "bench_dupack_run");
			if (ir >= 0)
				snprintf(irs, sizeof(irs), "%.0f", ir);
			x[k] = rs[k];
			y[k] = bs.med;
			iy[k] = ir;
			printf("| %u | %.1f | %.1f-%.1f | %s | %.2f |\n", rs[k], y[k], bs.p10,
			       bs.p90, irs, rel);
			bench_dupack_fini(st[k]);
			free(st[k]);
		}
		free(v);
	}
	{
		svg_series s[2] = {{"ns per dup ACK (median)", x, y, n},
		                   {"instructions / 10", x, iy, n}};
		for (size_t k = 0; k < n; k++)
			iy[k] = iy[k] >= 0 ? iy[k] / 10 : 0;
		svg_plot(bench_svg_path(o, "bench-sack.svg", path, sizeof(path)),
		         "Dup ACK cost vs SACK scoreboard ranges (PTCP_SB_MAX caps it)",
		         "SACKed ranges above SND.UNA (the scoreboard keeps PTCP_SB_MAX)",
		         "ns, or instructions / 10", 0, 0, s, iy[0] > 0 ? 2 : 1);
	}
}

/* ---- Connection table ----------------------------------------------------------------- */
#define TBL_ACTS 256

#define ORDER_LEN_HINTS 16u /* > PF_SLOT */
#define PF_SLOT         4u  /* packets ahead: ptcp_table_prefetch (hash slot) */
#define PF_CONN         2u  /* packets ahead: ptcp_table_prefetch_conn (block) */

/* A packet of the random stream as a receiver has it in hand: whose it is
 * and the sequence numbers in its header (read sequentially, not from a
 * per-connection array, so the bench adds no random miss of its own). */
typedef struct tbl_pkt {
	uint32_t i, seq, ack;
} tbl_pkt;

typedef struct tbl_bench {
	ptcp_table t;
	void *mem;
	size_t memlen;
	uint32_t n;
	uint32_t *peer_seq, *our_ack; /* per connection (index = handle) */
	uint32_t hot_seq, hot_ack;    /* connection 0's, as the packets carry them */
	ptcp_handle *h;
	ptcp_action acts[TBL_ACTS];
	ptcp_table_tag tags[TBL_ACTS];
	ptcp_table_actions out;
	ptcp_seg seg;
	ptcp_input in;
	ptcp_time_t now;
	const ptcp_conn **conn; /* the blocks, by connection number */
	tbl_pkt *order;         /* the random packets: connection numbers, seq, ack */
	uint32_t pos;
	uint32_t hint[ORDER_LEN_HINTS]; /* ptcp_table_prefetch's hashes, by order position */
} tbl_bench;

#define ORDER_LEN (1u << 16)

static void peer_addr(uint32_t i, ptcp_addr *a, uint16_t *port)
{
	ptcp_addr_v4(a, 10, 1, (uint8_t)(i / 60000u), 2);
	*port = (uint16_t)(1024u + i % 60000u);
}

static void tbl_tuple(uint32_t i, ptcp_tuple *tu)
{
	memset(tu, 0, sizeof(*tu));
	ptcp_addr_v4(&tu->laddr, 10, 0, 0, 1);
	peer_addr(i, &tu->raddr, &tu->rport);
	tu->lport = BENCH_LPORT;
}

static void tbl_seg(tbl_bench *b, uint32_t i, uint8_t flags, uint32_t seq, uint32_t ack)
{
	ptcp_seg *s = &b->seg;
	s->sport = 0;
	peer_addr(i, &b->in.segment.src, &s->sport);
	s->dport = BENCH_LPORT;
	s->seq = seq;
	s->ack = ack;
	s->flags = flags;
	s->wnd = 65535;
	s->opts.ts_val = (uint32_t)(b->now / 1000u) + 77777u;
	s->opts.ts_ecr = 0;
}

static void tbl_build(tbl_bench *b, uint32_t n, int hugepages)
{
	ptcp_table_config cfg;
	int lid;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	ptcp_table_config_default(&cfg);
	cfg.max_conns = n;
	cfg.sndbuf = cfg.rcvbuf = 64;
	for (int i = 0; i < 16; i++)
		cfg.secret[i] = (uint8_t)(i * 37 + 1);
	b->n = n;
	b->memlen = ptcp_table_mem_size(&cfg);
	if (hugepages) {
		/* the caller owns the table's memory: 2 MiB-aligned, on huge pages
		 * where the kernel gives them (fewer TLB misses at random) */
		size_t huge = 2u << 20, len = (b->memlen + huge - 1) / huge * huge;
		b->mem = aligned_alloc(huge, len);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
		if (b->mem && madvise(b->mem, len, MADV_HUGEPAGE) != 0)
			bench_die("madvise(MADV_HUGEPAGE) failed");
#else
		bench_die("--hugepages: no MADV_HUGEPAGE on this system");
#endif
	} else {
		b->mem = malloc(b->memlen);
	}
	b->peer_seq = malloc(n * sizeof(uint32_t));
	b->our_ack = malloc(n * sizeof(uint32_t));
	b->h = malloc(n * sizeof(ptcp_handle));
	b->order = malloc(ORDER_LEN * sizeof(b->order[0]));
	b->conn = malloc(n * sizeof(b->conn[0]));
	if (!b->mem || !b->peer_seq || !b->our_ack || !b->h || !b->order || !b->conn)
		bench_die("out of memory for a table of %u connections", n);
	if (ptcp_table_init(&b->t, &cfg, b->mem, b->memlen))
		bench_die("ptcp_table_init failed");
	b->out.v = b->acts;
	b->out.tag = b->tags;
	b->out.cap = TBL_ACTS;
	b->now = PTCP_SEC(1);
	memset(&b->seg, 0, sizeof(b->seg));
	b->seg.opts.present = PTCP_OPT_TS;
	memset(&b->in, 0, sizeof(b->in));
	b->in.kind = PTCP_IN_SEGMENT;
	b->in.segment.seg = &b->seg;
	ptcp_addr_v4(&b->in.segment.dst, 10, 0, 0, 1);
	{
		ptcp_addr l;
		ptcp_addr_v4(&l, 10, 0, 0, 1);
		lid = ptcp_table_listen(&b->t, &l, BENCH_LPORT, 4096);
		if (lid < 0)
			bench_die("listen failed");
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t irs = 1000u + i * 7919u, iss = 0;
		int found = 0;
		ptcp_handle h;
		ptcp_info info;
		b->now += 10;
		tbl_seg(b, i, PTCP_SYN, irs, 0);
		b->seg.opts.present =
		    PTCP_OPT_TS | PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_WSCALE;
		b->seg.opts.mss = 1460;
		b->seg.opts.wscale = 7;
		ptcp_table_step(&b->t, PTCP_NO_HANDLE, &b->in, b->now, &b->out);
		b->seg.opts.present = PTCP_OPT_TS;
		for (size_t k = 0; k < b->out.n; k++)
			if (b->acts[k].kind == PTCP_ACT_EMIT &&
			    b->acts[k].emit.seg.flags == (PTCP_SYN | PTCP_ACK)) {
				iss = b->acts[k].emit.seg.seq;
				found = 1;
			}
		if (!found)
			bench_die("table: no SYN-ACK for connection %u", i);
		b->now += 10;
		tbl_seg(b, i, PTCP_ACK, irs + 1, iss + 1);
		ptcp_table_step(&b->t, PTCP_NO_HANDLE, &b->in, b->now, &b->out);
		if (ptcp_table_accept(&b->t, (uint32_t)lid, &h) != 0)
			bench_die("table: connection %u not established", i);
		ptcp_conn_info(ptcp_table_conn(&b->t, h), &info);
		if (info.state != PTCP_ESTABLISHED)
			bench_die("table: connection %u in state %d", i, (int)info.state);
		b->h[i] = h;
		b->conn[i] = ptcp_table_conn(&b->t, h);
		b->peer_seq[i] = info.rcv_nxt;
		b->our_ack[i] = info.snd_una;
	}
	for (uint32_t k = 0; k < ORDER_LEN; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b->order[k].i = (uint32_t)(x % n);
		b->order[k].seq = b->peer_seq[b->order[k].i];
		b->order[k].ack = b->our_ack[b->order[k].i];
	}
	b->hot_seq = b->peer_seq[0];
	b->hot_ack = b->our_ack[0];
	b->pos = 0;
}

static void tbl_free(tbl_bench *b)
{
	free(b->mem);
	free(b->peer_seq);
	free(b->our_ack);
	free(b->h);
	free(b->order);
	free(b->conn);
}

static tbl_pkt pick(tbl_bench *b, int random)
{
	tbl_pkt p = {0, b->hot_seq, b->hot_ack};
	if (!random)
		return p;
	p = b->order[b->pos];
	b->pos = (b->pos + 1) & (ORDER_LEN - 1);
	return p;
}

static void tbl_lookup_run(tbl_bench *b, unsigned n, int random, uint32_t *sink)
{
	for (unsigned k = 0; k < n; k++) {
		tbl_pkt p = pick(b, random);
		ptcp_tuple tu;
		tbl_tuple(p.i, &tu);
		*sink += ptcp_table_lookup(&b->t, &tu);
	}
}

static void tbl_step_run(tbl_bench *b, unsigned n, int random)
{
	for (unsigned k = 0; k < n; k++) {
		tbl_pkt p = pick(b, random);
		b->now += 1;
		tbl_seg(b, p.i, PTCP_ACK, p.seq, p.ack);
		ptcp_table_step(&b->t, PTCP_NO_HANDLE, &b->in, b->now, &b->out);
	}
}

/* The batched receiver's two stages for the packet at order position q:
 * its hash slot (the hash kept for its step), then its block. */
static void prefetch_slot(tbl_bench *b, uint32_t q)
{
	ptcp_tuple tu;
	q &= ORDER_LEN - 1;
	tbl_tuple(b->order[q].i, &tu);
	b->hint[q % ORDER_LEN_HINTS] = ptcp_table_prefetch(&b->t, &tu);
}

static void prefetch_block(tbl_bench *b, uint32_t q)
{
	q &= ORDER_LEN - 1;
	ptcp_table_prefetch_conn(&b->t, b->hint[q % ORDER_LEN_HINTS]);
}

/* L random packets as a batched receiver steps them, the hash slot of the
 * packet PF_SLOT ahead and the block of the one PF_CONN ahead prefetched, the
 * step given the hash.  The pipeline starts with the call; with look_past
 * (the main table's batches) it runs on past the last packet, as it could in
 * a stream whose order is known ahead; without (a burst: a receiver cannot
 * look past the packets it has in hand) it drains at the end.  Whatever the
 * other columns did between two calls is counted in the first packets'
 * time. */
static void tbl_burst(tbl_bench *b, unsigned L, int look_past)
{
	for (uint32_t d = 0; d < PF_SLOT && (look_past || d < L); d++) {
		prefetch_slot(b, b->pos + d);
		if (d < PF_CONN)
			prefetch_block(b, b->pos + d);
	}
	for (unsigned k = 0; k < L; k++) {
		uint32_t q = b->pos;
		tbl_pkt p;
		if (look_past || k + PF_SLOT < L)
			prefetch_slot(b, q + PF_SLOT);
		if (look_past || k + PF_CONN < L)
			prefetch_block(b, q + PF_CONN);
		p = pick(b, 1);
		b->now += 1;
		tbl_seg(b, p.i, PTCP_ACK, p.seq, p.ack);
		ptcp_table_step_hashed(&b->t, b->hint[q % ORDER_LEN_HINTS], &b->in, b->now,
		                       &b->out);
	}
}

#define BURST_PKTS 16384u /* packets per timed run of bursts */
#define BURST_RUNS 15u

/* Prefetched random steps by burst length: ns per step, median of
 * BURST_RUNS runs of BURST_PKTS packets in bursts of L, nothing else run
 * between the bursts of one run; then the ratio to N = 1. */
static void tbl_bursts(const bench_opts *o, tbl_bench **b, const uint32_t *ns, size_t n)
{
	static const unsigned Ls[] = {1, 4, 16, 32, 64, 256, 4096, BURST_PKTS};
	enum { NL = sizeof(Ls) / sizeof(Ls[0]) };
	double med[8][NL], x[8], y[4][8];
	char path[512];
	printf("\nPrefetched random steps by burst length L: the pipeline (slot %u packets "
	       "ahead, block %u ahead) starts with each burst and drains at its end, as a "
	       "receiver's that cannot look past the packets it has; L = %u: one stream. "
	       "Median of %u runs of %u packets, ns per step (ratio to N = 1):\n\n",
	       PF_SLOT, PF_CONN, BURST_PKTS, BURST_RUNS, BURST_PKTS);
	printf("| connections N |");
	for (unsigned j = 0; j < NL; j++)
		printf(" L = %u |", Ls[j]);
	printf("\n|---:|");
	for (unsigned j = 0; j < NL; j++)
		printf("---:|");
	printf("\n");
	for (size_t k = 0; k < n && k < 8; k++) {
		printf("| %u |", ns[k]);
		for (unsigned j = 0; j < NL; j++) {
			double t[BURST_RUNS];
			unsigned L = Ls[j], bursts = BURST_PKTS / L;
			for (unsigned r = 0; r < BURST_RUNS; r++) {
				uint64_t t0 = bench_now_ns();
				for (unsigned u = 0; u < bursts; u++)
					tbl_burst(b[k], L, 0);
				t[r] = (double)(bench_now_ns() - t0) / (bursts * L);
			}
			med[k][j] = median_of(t, BURST_RUNS);
			printf(" %.1f (%.2f) |", med[k][j], med[k][j] / med[0][j]);
		}
		printf("\n");
	}
	{
		/* bursts of 1 (nothing to prefetch), 16, 64 and one stream */
		static const unsigned pick_l[4] = {0, 2, 4, NL - 1};
		svg_series sv[4] = {{"burst of 1", x, y[0], 0},
		                    {"bursts of 16", x, y[1], 0},
		                    {"bursts of 64", x, y[2], 0},
		                    {"one stream", x, y[3], 0}};
		size_t m = n < 8 ? n : 8;
		for (size_t k = 0; k < m; k++) {
			x[k] = ns[k];
			for (int q = 0; q < 4; q++)
				y[q][k] = med[k][pick_l[q]];
		}
		for (int q = 0; q < 4; q++)
			sv[q].n = m;
		svg_plot(bench_svg_path(o, "bench-table-bursts.svg", path, sizeof(path)),
		         "ptcp_table: prefetched random pure-ACK steps by burst length",
		         "connections in the table", "ns per step (median)", 1, 0, sv, 4);
	}
}

/* The hardware's part: a random connection's block read, its address first read from
 * an array (two dependent misses, as a lookup's slot then block); each read depends on
 * the one before, as the steps of one segment do. */
static volatile uint32_t vzero, vsink;

static void tbl_floor_run(tbl_bench *b, unsigned n, uint32_t *sink)
{
	uint32_t z = vzero, v = 0;
	for (unsigned k = 0; k < n; k++) {
		uint32_t i = pick(b, 1).i ^ (v * z);
		const ptcp_conn *c = b->conn[i];
		memcpy(&v, c, sizeof(v));
		*sink += v;
	}
}

/* One timed batch of measurement `what` (0 lookup hot, 1 lookup random, 2 step hot,
 * 3 step random, 4 floor, 5 step random with prefetch); ns per operation. */
static double tbl_batch(tbl_bench *b, unsigned B, int what, uint32_t *sink)
{
	uint64_t t0 = bench_now_ns(), t1;
	switch (what) {
	case 0:
	case 1:
		tbl_lookup_run(b, B, what == 1, sink);
		break;
	case 2:
	case 3:
		tbl_step_run(b, B, what == 3);
		break;
	case 5:
		tbl_burst(b, B, 1);
		break;
	default:
		tbl_floor_run(b, B, sink);
		break;
	}
	t1 = bench_now_ns();
	return (double)(t1 - t0) / B;
}

static void growth_table(const bench_opts *o)
{
	static const uint32_t ns[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	size_t n = sizeof(ns) / sizeof(ns[0]);
	unsigned P = 3, RP = o->quick ? 11 : 34, R = P * RP, B = o->batch;
	double x[8], lh[8], lr[8], sh[8], sr[8], fl[8], sp[8];
	char path[512];
	if (o->quick)
		n--; /* up to 100,000 */
	printf("\n### Connections in the table%s\n\n",
	       o->hugepages ? " (table memory on huge pages)" : "");
	printf("N established connections in one ptcp_table (64-byte buffers), made through "
	       "the listener. Lookup = ptcp_table_lookup; step = a pure ACK (nothing new) "
	       "through ptcp_table_step; hot = always the same connection, random = uniformly "
	       "random connections (cache and TLB misses included); floor = the hardware's "
	       "part: two dependent reads (a random connection's address from an array, then "
	       "its block), each op depending on the one before; prefetched = random "
	       "connections as a batched receiver steps them: ptcp_table_prefetch for the "
	       "packet %u ahead, ptcp_table_prefetch_conn for the one %u ahead, "
	       "ptcp_table_step_hashed with the hash. "
	       "Median of %u batches of %u in %u passes over N (within a visit to one N, "
	       "the six columns in turn), ns.\n\n",
	       PF_SLOT, PF_CONN, R, B, P);
	printf(
	    "| connections N | table memory | setup s | lookup hot | lookup random | step hot "
	    "| step random | step random / N=1 | floor: 2 dependent random reads | step random / "
	    "floor | step random, prefetched | prefetched / N=1 |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	{
		tbl_bench *b[8];
		double setup[8], *v = calloc(n * 6 * R, sizeof(double)),
		                 *m[6] = {lh, lr, sh, sr, fl, sp};
		uint32_t sink = 0;
		if (!v)
			bench_die("out of memory");
		for (size_t k = 0; k < n; k++) {
			uint64_t t0, t1;
			b[k] = calloc(1, sizeof(*b[k]));
			if (!b[k])
				bench_die("out of memory");
			t0 = bench_now_ns();
			tbl_build(b[k], ns[k], o->hugepages);
			t1 = bench_now_ns();
			setup[k] = (double)(t1 - t0) / 1e9;
		}
		/* P passes over N; within a visit, the five measurements in turn (the table
		 * stays warm, as a server's does); a burst of noise hits one pass only */
		for (unsigned pass = 0; pass < P; pass++)
			for (size_t k = 0; k < n; k++)
				for (unsigned r = 0; r < RP + 2; r++)
					for (int w = 0; w < 6; w++) {
						double t = tbl_batch(b[k], B, w, &sink);
						if (r >= 2)
							v[(k * 6 + (size_t)w) * R + pass * RP + r -
							  2] = t;
					}
		vsink = sink;
		for (size_t k = 0; k < n; k++) {
			x[k] = ns[k];
			for (int w = 0; w < 6; w++)
				m[w][k] = median_of(v + (k * 6 + (size_t)w) * R, R);
			printf("| %u | %.1f MiB | %.2f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | "
			       "%.2f | %.1f | %.2f |\n",
			       ns[k], (double)b[k]->memlen / (1u << 20), setup[k], lh[k], lr[k],
			       sh[k], sr[k], sr[k] / sr[0], fl[k], sr[k] / fl[k], sp[k],
			       sp[k] / sp[0]);
		}
		tbl_bursts(o, b, ns, n);
		for (size_t k = 0; k < n; k++) {
			tbl_free(b[k]);
			free(b[k]);
		}
		free(v);
	}
	{
		svg_series s[6] = {{"lookup, same connection", x, lh, n},
		                   {"lookup, random connection", x, lr, n},
		                   {"pure ACK step, same connection", x, sh, n},
		                   {"pure ACK step, random connection", x, sr, n},
		                   {"floor: 2 dependent random reads", x, fl, n},
		                   {"pure ACK step, random, prefetched", x, sp, n}};
		svg_plot(bench_svg_path(o, "bench-table.svg", path, sizeof(path)),
		         "ptcp_table: cost per segment vs connections", "connections in the table",
		         "ns (median)", 1, 0, s, 6);
	}
}

/* ---- Simulator ---------------------------------------------------------------------------- */
#ifdef PTCP_BENCH_HAVE_SIM
static void growth_sim(const bench_opts *o)
{
	static const unsigned ks[] = {1, 10, 100, 1000, 10000};
	size_t n = sizeof(ks) / sizeof(ks[0]);
	const unsigned runs = 5;
	double x[8], y[8];
	char path[512];
	if (o->quick)
		n--;
	printf("\n### Simulated connections (ptcp-sim)\n\n");
	printf("Bulk transfers of 64 MiB in all (64 MiB / K per connection, at least 64 KiB), "
	       "K connections sharing the two links "
	       "(10 ms each way, no loss), 32 KiB buffers, invariant checker off: simulated "
	       "segments per second of CPU time (process CPU time: the machine is shared), "
	       "median of %u runs (round robin over K); a run includes setting up and freeing the "
	       "cores.\n\n",
	       runs);
	printf("| connections K | bytes each | segments | events | CPU s | segments/s | ns per "
	       "segment |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	{
		double rate[8][5], cpu[8][5];
		ptcp_sim_result res[8];
		ptcp_sim_config cfg[8];
		for (size_t k = 0; k < n; k++) {
			ptcp_sim_config_default(&cfg[k]);
			cfg[k].seed = 1;
			cfg[k].conns = ks[k];
			/* 64 MiB in all, at least 64 KiB each */
			cfg[k].bytes = (64u << 20) / ks[k];
			if (cfg[k].bytes < (64u << 10))
				cfg[k].bytes = 64u << 10;
			cfg[k].sndbuf = cfg[k].rcvbuf = 32u << 10;
			cfg[k].check = 0;
		}
		for (unsigned r = 0; r < runs; r++) /* round robin over K */
			for (size_t k = 0; k < n; k++) {
				uint64_t c0 = bench_cpu_ns(), c1;
				if (ptcp_sim_run(&cfg[k], &res[k]) < 0)
					bench_die("sim: %s", res[k].why);
				c1 = bench_cpu_ns();
				cpu[k][r] = (double)(c1 - c0) / 1e9;
				rate[k][r] = cpu[k][r] > 0 ? (double)res[k].segs / cpu[k][r] : 0;
			}
		for (size_t k = 0; k < n; k++) {
			x[k] = ks[k];
			y[k] = median_of(rate[k], runs);
			printf("| %u | %llu | %llu | %llu | %.2f | %.0f | %.0f |%s\n", ks[k],
			       (unsigned long long)cfg[k].bytes, (unsigned long long)res[k].segs,
			       (unsigned long long)res[k].events, median_of(cpu[k], runs), y[k],
			       1e9 / y[k], res[k].ok ? "" : " (run failed)");
		}
	}
	{
		svg_series s = {"segments per CPU second", x, y, n};
		svg_plot(bench_svg_path(o, "bench-sim.svg", path, sizeof(path)),
		         "ptcp-sim throughput vs simulated connections", "connections",
		         "simulated segments per CPU second (median)", 1, 0, &s, 1);
	}
}
#endif

int bench_growth_holes(const bench_opts *o)
{
	printf("\n## Growth: out-of-order holes\n");
	growth_holes(o);
	bench_ooo_models(o);
	return 0;
}

int bench_growth_table(const bench_opts *o)
{
	printf("\n## Growth: connections in the table\n");
	growth_table(o);
	return 0;
}

int bench_growth(const bench_opts *o)
{
	printf("\n## Growth\n");
	growth_holes(o);
	bench_ooo_models(o);
	growth_sack(o);
	growth_table(o);
#ifdef PTCP_BENCH_HAVE_SIM
	growth_sim(o);
#else
	printf("\n(ptcp-sim not built: no simulator sweep)\n");
#endif
	return 0;
}
