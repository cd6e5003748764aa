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
 * closed, no CE mark, the connection's own ports.  It runs before
 * input_segment() (ptcp_step calls it first) and counts the segment itself;
 * then fastpath_output() stands in for output_flush() when the step has
 * nothing to send but the ACK.  PTCP_CFG_NO_FASTPATH
 * turns it off, so a test can run both paths on the same inputs and compare what they emit.
 */
#include "internal.h"

int fastpath_segment(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_seg *seg = in->segment.seg;
	uint32_t seq = seg->seq, ack = seg->ack, tlen, rcv_wnd, wnd;
	int ts = (seg->opts.present & PTCP_OPT_TS) != 0;

	if (c->state != PTCP_ESTABLISHED || (c->cfg.flags & PTCP_CFG_NO_FASTPATH) ||
	    seg->dport != c->lport || seg->sport != c->rport ||
	    (seg->flags & (uint8_t)~PTCP_PSH) != PTCP_ACK ||
	    (seg->opts.present & (uint32_t)~PTCP_OPT_TS) || seq != c->rcv_nxt || ack != c->snd_una)
		return 0;
	tlen = (uint32_t)ptcp_seg_len(seg);
	rcv_wnd = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (tlen == 0 || tlen > rcv_wnd || tlen > rbuf_free(c) || c->nooo || c->nsb ||
	    (c->flags & (F_INRECOVERY | F_WND_PROBE | F_RFIN | F_RFIN_OOO | F_APP_CLOSED)))
		return 0;
	/* RFC 3168 6.1.3: a CE mark needs the ECE echo: full path. */
	if ((c->flags & F_ECN) && (in->segment.ecn & 3) == 3)
		return 0;
	/* RFC 7323 5.3 R1: PAWS; a segment that fails it goes to the full path,
	 * which drops it. */
	if ((c->flags & F_TS) && ts && ptcp_seq_lt(seg->opts.ts_val + 1, c->ts_recent))
		return 0;

	STAT_ADD(c, segs_in, 1);
	/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
	if ((c->flags & F_TS) && ts && ptcp_seq_le(seq, c->last_ack_sent) &&
	    ptcp_seq_ge(seg->opts.ts_val, c->ts_recent))
		c->ts_recent = seg->opts.ts_val;
	/* RFC 1122 4.2.3.6: the peer is alive. */
	c->last_rcv = x->now;
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

	/* RFC 9293 3.10.7.4 seventh: the text, in order, fits: straight into
	 * the ring behind the unread bytes (no reassembly queue to pull in). */
	{
		uint32_t pos = c->rhead + c->rlen, added = tlen, first;
		if (pos >= c->rcap)
			pos -= c->rcap;
		first = c->rcap - pos;
		if (seg->payload2_len) {
			rbuf_copy(c, pos, seg, 0, tlen);
		} else if (tlen <= first) {
			memcpy(c->rbuf + pos, seg->payload, tlen);
		} else {
			memcpy(c->rbuf + pos, seg->payload, first);
			memcpy(c->rbuf, seg->payload + first, tlen - first);
		}
		c->rcv_nxt += tlen;
		c->rlen += tlen;
		rcv_clamp_grow(c, tlen);
		/* RFC 9293 3.8.6.3, RFC 5681 4.2: the delayed-ACK policy for plain
		 * in-order data (as input.c's ack_policy) */
		if (tlen > c->rcv_mss)
			c->rcv_mss = (uint16_t)(tlen < 65535 ? tlen : 65535);
		c->rcv_unacked += added;
		if (c->cfg.delack == 0 || c->quickacks > 0 || c->rcv_unacked > c->rcv_mss) {
			c->flags |= F_ACK_NOW;
			if (c->quickacks)
				c->quickacks--;
		} else if (!c->t_delack) {
			c->t_delack = x->now + c->cfg.delack;
		}
		STAT_ADD(c, bytes_in, added);
		if (!(c->flags & F_SHUT_RD) && x->out->n < x->out->cap) {
			ptcp_action *a = &x->out->v[x->out->n];
			act_zero(a, PTCP_ACT_READABLE);
			a->kind = PTCP_ACT_READABLE;
			a->readable.avail = c->rlen;
			x->out->n++;
		}
	}
	return 1;
}

int fastpath_output(step_ctx *x)
{
	ptcp_conn *c = x->c;
	/* output_flush() in ESTABLISHED (the fast path's state, never in
	 * recovery) sends or resends only with one of these flags or unsent
	 * bytes (SND.NXT below the data's end or SND.MAX); else just the ACK. */
	if ((c->flags & (F_FASTRETX | F_TLP_PROBE | F_FIN_QUEUED | F_FORCE1)) ||
	    c->snd_nxt != c->snd_max || c->snd_nxt != c->sbuf_seq + c->slen)
		return 0;
	if (c->flags & F_ACK_NOW)
		output_ack(x);
	return 1;
}
