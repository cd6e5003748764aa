/*
 * Property family: acknowledgment and retransmission.
 *
 *   ack/no_unsent       an ACK we emit never acknowledges a sequence number
 *                       the peer has not sent (SEG.ACK at most the end of
 *                       the highest segment it injected, SYN and FIN
 *                       counted);
 *   ack/never_resent    data the peer acknowledged is never sent again: every
 *                       emitted payload starts at or above SND.UNA (a
 *                       keep-alive probe, one byte below SND.UNA, aside);
 *   ack/una_monotone    SND.UNA only moves forward, and only on a segment
 *                       whose ACK covers the new value;
 *   ack/rto             the RTO stays within [rto_min, rto_max] (or at the
 *                       initial value when that is configured outside), starts
 *                       at the configured initial value, and every expiry
 *                       doubles it up to rto_max (RFC 6298 2.1, 2.4-2.5, 5.5);
 *   ack/sack_blocks     the SACK blocks we emit lie inside the window we
 *                       announce with them (above SEG.ACK, at most SEG.ACK +
 *                       window), are non-empty and disjoint, at most 4 (3
 *                       with timestamps); a first block may be a D-SACK
 *                       (RFC 2883: at or below SEG.ACK, or inside the
 *                       second block).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"

static int new_incarnation(const ptcp_run_note *n)
{
	for (size_t i = 0; i < n->actions->n; i++)
		if (n->actions->v[i].kind == PTCP_ACT_STATE &&
		    n->actions->v[i].state.from == PTCP_CLOSED)
			return 1;
	return 0;
}

static int synchronized(unsigned s)
{
	return s >= PTCP_SYN_RECEIVED && s <= PTCP_TIME_WAIT;
}

#define NOTE_STEP(n)                                                                               \
	do {                                                                                       \
		if ((n)->kind != PTCP_RUN_NOTE_STEP)                                               \
			return;                                                                    \
	} while (0)

/* ---- ack/no_unsent -------------------------------------------------------- */
typedef struct unsent_st {
	int have;
	uint32_t irs;
	uint32_t top; /* highest end the peer sent, as an offset from IRS */
} unsent_st;

static void unsent_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	unsent_st *st = vs;
	(void)s;
	NOTE_STEP(n);
	const ptcp_info *i = n->info;
	if (new_incarnation(n))
		st->have = 0;
	if (!synchronized(i->state))
		return;
	if (!st->have || st->irs != i->irs) {
		st->have = 1;
		st->irs = i->irs;
		st->top = 1; /* the SYN */
	}
	if (n->input->kind == PTCP_IN_SEGMENT) {
		const ptcp_seg *g = n->input->segment.seg;
		uint32_t end = g->seq + ptcp_seg_seqlen(g) - st->irs;
		if (end < 0x80000000u && end > st->top)
			st->top = end;
	}
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		if (!(g->flags & PTCP_ACK) || (g->flags & PTCP_RST))
			continue;
		uint32_t off = g->ack - st->irs;
		if (off > st->top && off < 0x80000000u)
			ptcp_prop_failf(
			    f, 1,
			    "we acknowledge %u (IRS + %u), but the peer sent only up to IRS "
			    "+ %u",
			    g->ack, off, st->top);
	}
}

static const ptcp_prop_script no_unsent = {
    .name = "ack-no-unsent",
    .state_size = sizeof(unsent_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = unsent_note,
};

Test(ack, no_unsent, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&no_unsent, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- ack/never_resent and ack/una_monotone --------------------------------- */
static void resent_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	ptcp_info *prev = vs;
	(void)s;
	NOTE_STEP(n);
	const ptcp_info *i = n->info;
	int fresh = new_incarnation(n);
	for (size_t k = 0; k < n->actions->n && i->state >= PTCP_ESTABLISHED; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		size_t len = ptcp_seg_len(g);
		if (!len && !(g->flags & PTCP_FIN))
			continue;
		if (g->flags & (PTCP_SYN | PTCP_RST))
			continue;
		if (len <= 1 && !(g->flags & PTCP_FIN) && g->seq == i->snd_una - 1)
			continue; /* a keep-alive probe (RFC 1122 4.2.3.6) */
		if (ptcp_seq_lt(g->seq, i->snd_una))
			ptcp_prop_failf(f, 1,
			                "%zu bytes%s sent again at %u, below SND.UNA %u: the peer "
			                "acknowledged them",
			                len, (g->flags & PTCP_FIN) ? " and FIN" : "", g->seq,
			                i->snd_una);
	}
	if (!fresh && prev->state >= PTCP_SYN_SENT && i->state >= PTCP_SYN_SENT &&
	    i->iss == prev->iss) {
		if (ptcp_seq_lt(i->snd_una, prev->snd_una))
			ptcp_prop_failf(f, 2, "SND.UNA moved back from %u to %u", prev->snd_una,
			                i->snd_una);
		if (i->snd_una != prev->snd_una) {
			const ptcp_input *in = n->input;
			if (in->kind != PTCP_IN_SEGMENT || !(in->segment.seg->flags & PTCP_ACK) ||
			    ptcp_seq_lt(in->segment.seg->ack, i->snd_una))
				ptcp_prop_failf(
				    f, 3,
				    "SND.UNA moved from %u to %u on input kind %d, not on "
				    "an ACK covering it",
				    prev->snd_una, i->snd_una, (int)in->kind);
		}
	}
	*prev = *i;
}

static const ptcp_prop_script never_resent = {
    .name = "ack-never-resent",
    .state_size = sizeof(ptcp_info),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = resent_note,
};

Test(ack, never_resent_and_una, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&never_resent, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- ack/rto ------------------------------------------------------------------ */
typedef struct rto_st {
	ptcp_info prev;
	uint64_t fired;
} rto_st;

static ptcp_time_t clamp(const ptcp_script *s, ptcp_time_t t)
{
	if (t < s->cfg.rto_min)
		t = s->cfg.rto_min;
	if (t > s->cfg.rto_max)
		t = s->cfg.rto_max;
	return t;
}

static void rto_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	rto_st *st = vs;
	NOTE_STEP(n);
	const ptcp_info *i = n->info;
	ptcp_stats stats;
	ptcp_conn_stats(n->conn, &stats);
	/* an initial RTO configured outside [rto_min, rto_max] is taken as it is */
	ptcp_time_t lo = s->cfg.rto_min < s->cfg.rto_initial ? s->cfg.rto_min : s->cfg.rto_initial;
	ptcp_time_t hi = s->cfg.rto_max > s->cfg.rto_initial ? s->cfg.rto_max : s->cfg.rto_initial;
	if (i->state >= PTCP_SYN_SENT && i->state <= PTCP_TIME_WAIT && (i->rto < lo || i->rto > hi))
		ptcp_prop_failf(
		    f, 1, "RTO %llu us outside [%llu, %llu] (rto_min, rto_max, initial)",
		    (unsigned long long)i->rto, (unsigned long long)lo, (unsigned long long)hi);
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind == PTCP_ACT_STATE && a->state.from == PTCP_CLOSED &&
		    a->state.to == PTCP_SYN_SENT && i->state == PTCP_SYN_SENT &&
		    i->rto != s->cfg.rto_initial)
			ptcp_prop_failf(f, 2, "a new connection's RTO is %llu us, configured %llu",
			                (unsigned long long)i->rto,
			                (unsigned long long)s->cfg.rto_initial);
	}
	if (stats.rto_fired == st->fired + 1 && n->timer && st->prev.state == i->state) {
		ptcp_time_t want = clamp(s, 2 * st->prev.rto);
		if (i->rto != want)
			ptcp_prop_failf(
			    f, 3,
			    "a retransmission timeout took the RTO from %llu to %llu us, "
			    "not to %llu (RFC 6298 5.5)",
			    (unsigned long long)st->prev.rto, (unsigned long long)i->rto,
			    (unsigned long long)want);
	} else if (stats.rto_fired > st->fired + 1) {
		ptcp_prop_failf(f, 4, "%llu retransmission timeouts in one step",
		                (unsigned long long)(stats.rto_fired - st->fired));
	} else if (stats.rto_fired > st->fired && !n->timer && n->input->kind != PTCP_IN_TIME) {
		ptcp_prop_failf(f, 5, "a retransmission timeout on input kind %d, not a timer",
		                (int)n->input->kind);
	}
	if (stats.rto_fired < st->fired)
		st->fired = 0;
	st->fired = stats.rto_fired;
	st->prev = *i;
}

static const ptcp_prop_script rto = {
    .name = "ack-rto",
    .state_size = sizeof(rto_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(3600),
    .note = rto_note,
};

Test(ack, rto, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&rto, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- ack/sack_blocks -------------------------------------------------------------- */
static void sack_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	(void)vs;
	(void)s;
	NOTE_STEP(n);
	const ptcp_info *i = n->info;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		const ptcp_tcp_opts *o = &g->opts;
		if (!(o->present & PTCP_OPT_SACK))
			continue;
		if (!i->sack_on)
			ptcp_prop_failf(f, 1,
			                "SACK blocks on a connection that did not agree on SACK");
		if (!(g->flags & PTCP_ACK) || (g->flags & PTCP_SYN)) {
			ptcp_prop_failf(f, 2, "SACK blocks on a segment with flags 0x%02x",
			                g->flags);
			return;
		}
		unsigned max = (o->present & PTCP_OPT_TS) ? 3u : 4u;
		if (o->sack_count == 0 || o->sack_count > max)
			ptcp_prop_failf(f, 3, "%u SACK blocks (at most %u fit)", o->sack_count,
			                max);
		uint32_t edge = g->ack + ((uint32_t)g->wnd << i->rcv_wscale);
		for (unsigned b = 0; b < o->sack_count && b < PTCP_SACK_MAX; b++) {
			ptcp_sack_block x = o->sack[b];
			if (!ptcp_seq_lt(x.left, x.right)) {
				ptcp_prop_failf(f, 4, "SACK block %u [%u, %u) is empty", b, x.left,
				                x.right);
				return;
			}
			int dsack =
			    b == 0 && (ptcp_seq_le(x.right, g->ack) ||
			               (o->sack_count > 1 && ptcp_seq_ge(x.left, o->sack[1].left) &&
			                ptcp_seq_le(x.right, o->sack[1].right)));
			if (dsack)
				continue;
			if (!ptcp_seq_gt(x.left, g->ack) || ptcp_seq_gt(x.right, edge))
				ptcp_prop_failf(
				    f, 5,
				    "SACK block %u [%u, %u) outside the window (ACK %u, edge "
				    "%u]",
				    b, x.left, x.right, g->ack, edge);
			for (unsigned c = b + 1; c < o->sack_count && c < PTCP_SACK_MAX; c++) {
				ptcp_sack_block y = o->sack[c];
				if (ptcp_seq_lt(x.left, y.right) && ptcp_seq_lt(y.left, x.right))
					ptcp_prop_failf(f, 6,
					                "SACK blocks %u [%u, %u) and %u [%u, %u) "
					                "overlap",
					                b, x.left, x.right, c, y.left, y.right);
			}
		}
	}
}

static const ptcp_prop_script sack_blocks = {
    .name = "ack-sack-blocks",
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = sack_note,
};

static ptcp_prop_gen lossy_gen;

Test(ack, sack_blocks, .timeout = 280)
{
	ptcp_prop_report rep;
	ptcp_prop_script p = sack_blocks;
	ptcp_prop_gen_default(&lossy_gen);
	lossy_gen.loss_pct_max = 30; /* more holes */
	p.gen = &lossy_gen;
	int rc = ptcp_prop_for_scripts(&p, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}
