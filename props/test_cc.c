/*
 * Property family: congestion control (Reno, RFC 5681, and CUBIC, RFC
 * 9438, both as the scenario's configuration picks).
 *
 *   cc/growth      one ACK grows cwnd by at most min(bytes acknowledged,
 *                  2 SMSS) in slow start (RFC 5681 3.1 with RFC 3465 L = 2),
 *                  one SMSS for a duplicate ACK (inflation in fast
 *                  recovery), and in congestion avoidance one SMSS plus half
 *                  the bytes acknowledged (Reno SMSS^2/cwnd per ACK, CUBIC
 *                  at most half an SMSS per segment, RFC 9438 4.2); in
 *                  loss recovery only the bounds below apply, and leaving it
 *                  sets cwnd to at most ssthresh + 1 SMSS (RFC 6582 3.2);
 *   cc/loss        entering loss recovery sets ssthresh to at most
 *                  max(2 SMSS, beta x max(FlightSize, cwnd) + 1 SMSS) (beta 1/2 for Reno,
 *                  0.7 for CUBIC) and at least 2 SMSS, cwnd to at most
 *                  ssthresh + 3 SMSS; a retransmission timeout leaves cwnd at
 *                  the loss window of 1 SMSS (RFC 5681 3.1, eq. 4); an ECN
 *                  echo reduces like a loss, once (RFC 3168 6.1.2);
 *   cc/floor       cwnd never drops below 1 SMSS once the connection is
 *                  established, ssthresh never below 2 SMSS once set.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"

typedef struct cc_st {
	ptcp_info prev;
	ptcp_stats stats;
	int have;
	int in_rec;   /* in loss recovery (fast recovery entered) ... */
	uint32_t rec; /* ... until SND.UNA reaches this */
} cc_st;

static int started(const ptcp_run_note *n)
{
	for (size_t i = 0; i < n->actions->n; i++)
		if (n->actions->v[i].kind == PTCP_ACT_STATE &&
		    (n->actions->v[i].state.from == PTCP_CLOSED ||
		     n->actions->v[i].state.to == PTCP_ESTABLISHED))
			return 1;
	return 0;
}

static void cc_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	cc_st *st = vs;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_info *i = n->info, *p = &st->prev;
	ptcp_stats stats;
	ptcp_conn_stats(n->conn, &stats);
	int live = i->state >= PTCP_ESTABLISHED && i->state <= PTCP_LAST_ACK &&
	           p->state >= PTCP_ESTABLISHED && p->state <= PTCP_LAST_ACK;
	if (!st->have || started(n) || !live || i->mss != p->mss) {
		st->prev = *i;
		st->stats = stats;
		st->have = 1;
		st->in_rec = 0;
		return;
	}
	uint32_t mss = i->mss;
	int loss = stats.fast_recoveries != st->stats.fast_recoveries;
	int rto = stats.rto_fired != st->stats.rto_fired;
	int ecn = stats.ecn_reductions != st->stats.ecn_reductions;
	double beta = s->cfg.cc == PTCP_SCRIPT_CC_RENO ? 0.5 : 0.7;
	uint32_t flight = p->snd_max - p->snd_una;
	uint32_t base = flight > p->cwnd ? flight : p->cwnd;
	int exits = 0;
	if (st->in_rec && (rto || !ptcp_seq_lt(i->snd_una, st->rec))) {
		st->in_rec = 0;
		exits = 1;
	}
	if (loss) {
		st->in_rec = 1;
		st->rec = p->snd_max;
	}
	/* leaving recovery: cwnd = ssthresh or min(ssthresh, FlightSize + SMSS) (RFC 6582 3.2) */
	if (exits && !loss && !rto && i->cwnd > (i->ssthresh > mss ? i->ssthresh : mss) + mss)
		ptcp_prop_failf(f, 9, "leaving loss recovery: cwnd %u above ssthresh %u", i->cwnd,
		                i->ssthresh);
	if (!loss && !rto && !ecn && !st->in_rec && !exits && i->cwnd > p->cwnd) {
		uint32_t acked = i->snd_una - p->snd_una;
		uint32_t grow = i->cwnd - p->cwnd;
		/* congestion avoidance: Reno adds SMSS^2 / cwnd per ACK, CUBIC at most
		 * (1.5 cwnd - cwnd) / cwnd SMSS per segment acknowledged (RFC 9438 4.2) */
		uint32_t max =
		    p->cwnd < p->ssthresh ? (acked < 2 * mss ? acked : 2 * mss) : mss + acked / 2;
		if (p->cwnd < p->ssthresh && !acked)
			max = mss; /* a duplicate ACK (inflation) */
		if (grow > max)
			ptcp_prop_failf(
			    f, 1,
			    "cwnd grew by %u (from %u, ssthresh %u) on an ACK of %u bytes; "
			    "at most %u",
			    grow, p->cwnd, p->ssthresh, acked, max);
	}
	if (loss || ecn) {
		double hi = beta * (double)base + mss;
		if (hi < 2.0 * mss)
			hi = 2.0 * mss;
		if (i->ssthresh > hi + 1 || i->ssthresh < 2 * mss)
			ptcp_prop_failf(
			    f, 2,
			    "%s: ssthresh %u, want 2 SMSS (%u) .. %.0f (beta %.1f of max(flight "
			    "%u, cwnd %u) + SMSS)",
			    loss ? "loss recovery" : "ECN echo", i->ssthresh, 2 * mss, hi, beta,
			    flight, p->cwnd);
		if (i->cwnd > i->ssthresh + 3 * mss)
			ptcp_prop_failf(f, 3, "loss recovery: cwnd %u above ssthresh %u + 3 SMSS",
			                i->cwnd, i->ssthresh);
	}
	if (rto && i->cwnd != mss)
		ptcp_prop_failf(f, 4, "a retransmission timeout left cwnd at %u, not 1 SMSS (%u)",
		                i->cwnd, mss);
	if (rto && stats.rto_fired == st->stats.rto_fired + 1 && p->ssthresh == 0x7fffffffu &&
	    (i->ssthresh < 2 * mss ||
	     (i->ssthresh > beta * (double)base + mss + 1 && i->ssthresh != 2 * mss)))
		ptcp_prop_failf(f, 5, "the first timeout set ssthresh %u (flight %u, cwnd %u)",
		                i->ssthresh, flight, p->cwnd);
	if (ecn && stats.ecn_reductions > st->stats.ecn_reductions + 1)
		ptcp_prop_failf(
		    f, 6, "%llu ECN reductions in one step",
		    (unsigned long long)(stats.ecn_reductions - st->stats.ecn_reductions));
	if (i->cwnd < mss)
		ptcp_prop_failf(f, 7, "cwnd %u below 1 SMSS (%u)", i->cwnd, mss);
	if (i->ssthresh < 2 * mss)
		ptcp_prop_failf(f, 8, "ssthresh %u below 2 SMSS (%u)", i->ssthresh, 2 * mss);
	st->prev = *i;
	st->stats = stats;
}

static const ptcp_prop_script ccp = {
    .name = "cc-growth-loss-floor",
    .state_size = sizeof(cc_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = cc_note,
};

static ptcp_prop_gen cc_gen;

Test(cc, growth_loss_floor, .timeout = 280)
{
	ptcp_prop_report rep;
	ptcp_prop_script p = ccp;
	ptcp_prop_gen_default(&cc_gen);
	cc_gen.loss_pct_max = 25;
	cc_gen.max_events = 200;
	p.gen = &cc_gen;
	int rc = ptcp_prop_for_scripts(&p, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}
