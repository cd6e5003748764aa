/*
 * Header prediction (after Van Jacobson's): the common in-order data segment
 * in ESTABLISHED takes a short path that does exactly what RFC 9293 3.10.7.4's
 * full processing in input.c would do for it, and nothing else.  Any segment
 * that does not match every condition below goes to the full path.
 *
 * The prediction: only ACK (and maybe PSH) set, no option but timestamps,
 * SEG.SEQ == RCV.NXT, SEG.ACK == SND.UNA (nothing newly acknowledged, so no
 * SACK, RTT, congestion or retransmission-timer work), the payload fits the
 * receive window and buffer, no reassembly queue, no SACK scoreboard, not in
 * recovery, no zero-window probe out, no FIN seen, the application has not
 * closed, no CE mark, the connection's own ports.  ptcp_step() hands every
 * segment to fastpath_step(); a segment that fails the prediction goes on,
 * untouched, to conn_step() (input_segment(), then conn_step_end()).  A
 * segment that passes is counted and taken here; when the step then has
 * nothing to send but the ACK it may owe, the step ends here too, as
 * conn_step_end() would end it: the ACK, the keepalive deadline and the
 * DEADLINE action; else conn_step_end() ends it.  PTCP_CFG_NO_FASTPATH turns
 * it off, so a test can run both paths on the same inputs and compare what
 * they emit (core/tests/test_fastpath.c).
 *
 * IMPLEMENTATION NOTES
 * Room in the action array: ptcp_step() accepts no array below
 * PTCP_ACTIONS_MIN entries and the step starts at out->n == 0, so the
 * READABLE, the ACK (conn_emit() keeps RESERVE slots free below the end) and
 * the DEADLINE always fit, and F_PENDING (cleared when the step starts) stays
 * clear: the full path's capacity checks cannot fail here.  The ACK is
 * written into its action directly rather than through conn_emit() and
 * fill_common(), with the same window code (window_field(), internal.h).
 */
#include "internal.h"

/* The prediction holds for most segments of a stream: saying so (UNLIKELY,
 * internal.h) keeps gcc from taking the code behind a dozen checks for rare
 * and compiling it for size (its constant memsets became rep stos, slow to start).  take() is
 * kept out of line so that a segment the prediction refuses goes to
 * conn_step() without paying for the taken path's stack frame. */

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

_Static_assert(PTCP_ACTIONS_MIN >= RESERVE + 2, "the fast path's actions always fit");

/* Nothing to send or resend but an ACK: output_flush() in ESTABLISHED (the
 * fast path's state, never in recovery) sends or resends only with one of
 * these flags or unsent bytes (SND.NXT below the data's end or SND.MAX). */
static inline int only_ack(const ptcp_conn *c, uint32_t flags)
{
	return !(flags & (F_FASTRETX | F_TLP_PROBE | F_FIN_QUEUED | F_FORCE1)) &&
	       c->snd_nxt == c->snd_max && c->snd_nxt == c->sbuf_seq + c->slen;
}

/* output_flush()'s ACK (send_ack(): conn_emit() then fill_common()) for the
 * fast path, where it carries no SACK block (no reassembly queue, no DSACK
 * owed: checked by the caller), written into action a directly. */
static inline void ack_in_place(step_ctx *x, ptcp_action *a, uint32_t flags)
{
	ptcp_conn *c = x->c;
	ptcp_seg *s = &a->emit.seg;
	act_zero(a, PTCP_ACT_EMIT);
	a->kind = PTCP_ACT_EMIT;
	a->emit.src = c->laddr;
	a->emit.dst = c->raddr;
	s->sport = c->lport;
	s->dport = c->rport;
	/* RFC 9293 3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, SND.MAX as
	 * send_ack() says (here SND.NXT == SND.MAX) */
	s->seq = c->snd_max;
	s->ack = c->rcv_nxt;
	s->wnd = window_field(c, 0);
	s->flags = PTCP_ACK;
	if (flags & F_ECE)
		s->flags |= PTCP_ECE; /* RFC 3168 6.1.3: until the peer's CWR */
	if (flags & F_TS) {
		/* RFC 7323 3.2: TSval, and TSecr = TS.Recent */
		s->opts.present = PTCP_OPT_TS;
		s->opts.ts_val = timer_tsval(c, x->now);
		s->opts.ts_ecr = c->ts_recent;
	}
	c->last_ack_sent = c->rcv_nxt;
	c->flags = flags & ~(uint32_t)F_ACK_NOW;
	c->t_delack = 0; /* this segment carries the ACK */
	c->rcv_unacked = 0;
}

/* The segment passed the prediction (tlen bytes of text; flags: c->flags
 * without F_PENDING): the rest of fastpath_step(). */
static NOINLINE int take(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out,
                         uint32_t tlen, uint32_t flags)
{
	const ptcp_seg *seg = in->segment.seg;
	ptcp_stats *st = c->stats;
	uint32_t seq = seg->seq, ack = seg->ack, wnd, pos, first;
	int ts = (flags & F_TS) && (seg->opts.present & PTCP_OPT_TS);
	step_ctx x;
	ptcp_time_t dl;

	/* Taken: the step starts as conn_step() starts it. */
	step_begin(&x, c, in, now, out);

	/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
	if (ts && ptcp_seq_le(seq, c->last_ack_sent) && ptcp_seq_ge(seg->opts.ts_val, c->ts_recent))
		c->ts_recent = seg->opts.ts_val;
	/* RFC 1122 4.2.3.6: the peer is alive. */
	c->last_rcv = now;
	c->ka_probes = 0;

	/* RFC 9293 3.10.7.4 fifth: SEG.ACK == SND.UNA with data is neither new
	 * nor a duplicate ACK (RFC 5681 2): it delivers nothing, so a pending
	 * RACK reordering timer (RFC 8985 6.3) keeps its deadline. */
	/* RFC 9293 3.10.7.4 fifth: the SND.WL1/SND.WL2 window update rule. */
	wnd = (uint32_t)seg->wnd << c->snd_wscale;
	if (ptcp_seq_lt(c->snd_wl1, seq) || (c->snd_wl1 == seq && ptcp_seq_le(c->snd_wl2, ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_sndwnd)
			c->max_sndwnd = wnd;
		if (wnd == 0)
			c->retries = 0; /* RFC 1122 4.2.2.17 */
	}

	/* RFC 9293 3.10.7.4 seventh: the text, in order, fits: it goes straight
	 * into the ring behind the unread bytes (no reassembly queue to pull
	 * in), at pos; copied below. */
	pos = c->rhead + c->rlen;
	if (pos >= c->rcap)
		pos -= c->rcap;
	c->rcv_nxt += tlen;
	c->rlen += tlen;
	if (c->cfg.flags & PTCP_CFG_RCV_CLAMP)
		rcv_clamp_grow(c, tlen);
	/* RFC 9293 3.8.6.3, RFC 5681 4.2: the delayed-ACK policy for plain
	 * in-order data (as input.c's ack_policy) */
	if (tlen > c->rcv_mss)
		c->rcv_mss = (uint16_t)(tlen < 65535 ? tlen : 65535);
	c->rcv_unacked += tlen;
	if (c->cfg.delack == 0 || c->quickacks > 0 || c->rcv_unacked > c->rcv_mss) {
		flags |= F_ACK_NOW;
		if (c->quickacks)
			c->quickacks--;
	} else if (!c->t_delack) {
		c->t_delack = now + c->cfg.delack;
	}
	c->flags = flags;
	if (st) {
		st->segs_in++;
		st->bytes_in += tlen;
	}
	if (!(flags & F_SHUT_RD)) {
		ptcp_action *a = &out->v[out->n++];
		act_zero(a, PTCP_ACT_READABLE);
		a->kind = PTCP_ACT_READABLE;
		a->readable.avail = c->rlen;
	}

	first = c->rcap - pos;
	if (seg->payload2_len) {
		rbuf_copy(c, pos, seg, 0, tlen);
	} else if (tlen <= first) {
		memcpy(c->rbuf + pos, seg->payload, tlen); /* one copy */
	} else {
		memcpy(c->rbuf + pos, seg->payload, first); /* two where the ring wraps */
		memcpy(c->rbuf, seg->payload + first, tlen - first);
	}

	/* The rest of the step: conn_step_end(), unless only an ACK may be owed. */
	if (!only_ack(c, flags) || ((flags & F_ACK_NOW) && (c->nooo || (flags & F_DSACK))))
		return conn_step_end(&x, 0); /* data to send, or SACK blocks */
	if (flags & F_ACK_NOW) {
		ack_in_place(&x, &out->v[out->n++], flags);
		if (st)
			st->segs_out++;
	}
	/* as conn_step_end() (F_PENDING is clear: see the notes) */
	timer_keepalive_arm(&x);
	dl = timer_next(c);
	if (dl != c->deadline_reported) {
		ptcp_action *a = &out->v[out->n++];
		act_zero(a, PTCP_ACT_DEADLINE);
		a->kind = PTCP_ACT_DEADLINE;
		a->deadline = dl;
		c->deadline_reported = dl;
	}
	return 0;
}

int fastpath_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out)
{
	const ptcp_seg *seg = in->segment.seg;
	uint32_t seq = seg->seq, tlen, rcv_wnd, flags = c->flags;
	int ts = (flags & F_TS) && (seg->opts.present & PTCP_OPT_TS);

	if (UNLIKELY(c->state != PTCP_ESTABLISHED || (c->cfg.flags & PTCP_CFG_NO_FASTPATH) ||
	             seg->dport != c->lport || seg->sport != c->rport ||
	             (seg->flags & (uint8_t)~PTCP_PSH) != PTCP_ACK ||
	             (seg->opts.present & (uint32_t)~PTCP_OPT_TS) || seq != c->rcv_nxt ||
	             seg->ack != c->snd_una))
		return conn_step(c, in, now, out);
	tlen = (uint32_t)ptcp_seg_len(seg);
	rcv_wnd = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (UNLIKELY(tlen == 0 || tlen > rcv_wnd || tlen > rbuf_free(c) || c->nooo || c->nsb ||
	             (flags & (F_INRECOVERY | F_WND_PROBE | F_RFIN | F_RFIN_OOO | F_APP_CLOSED))))
		return conn_step(c, in, now, out);
	/* RFC 3168 6.1.3: a CE mark needs the ECE echo: full path. */
	if (UNLIKELY((flags & F_ECN) && (in->segment.ecn & 3) == 3))
		return conn_step(c, in, now, out);
	/* RFC 7323 5.3 R1: PAWS; a segment that fails it goes to the full path,
	 * which drops it. */
	if (UNLIKELY(ts && ptcp_seq_lt(seg->opts.ts_val + 1, c->ts_recent)))
		return conn_step(c, in, now, out);

	return take(c, in, now, out, tlen, flags & ~(uint32_t)F_PENDING); /* as conn_step() */
}
