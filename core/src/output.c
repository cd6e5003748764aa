/*
 * Output: what the connection sends after each input.
 *
 * IMPLEMENTATION NOTES
 * output_flush() is the only place that sends data, SYN, FIN and ACKs; the
 * input and timer paths only change variables and set F_ACK_NOW, or move
 * SND.NXT back for a retransmission.  RSTs are sent directly where the RFC
 * says so.  The receive window never moves its right edge left
 * (RFC 9293 3.8.6), and small increases are held back (receiver SWS
 * avoidance, RFC 9293 3.8.6.2.2).  Sending follows the sender SWS and
 * Nagle rules (RFC 9293 3.7.4, RFC 1122 4.2.3.4).
 */
#include "internal.h"

static void put_ts(const step_ctx *x, ptcp_seg *s)
{
	s->opts.present |= PTCP_OPT_TS;
	s->opts.ts_val = timer_tsval(x->c, x->now);
	s->opts.ts_ecr = x->c->ts_recent;
}

/* RFC 2018 4: the block with the most recent segment first, then the others. */
static void put_sack(ptcp_conn *c, ptcp_seg *s)
{
	unsigned max = (c->flags & F_TS) ? 3 : 4, n = 0, i;
	if (!(c->flags & F_SACK) || (c->nooo == 0 && !(c->flags & F_DSACK)))
		return;
	if (c->flags & F_DSACK) {
		/* RFC 2883 4: the duplicate first, then the usual blocks */
		s->opts.sack[n++] = c->dsack;
		c->flags &= ~(uint32_t)F_DSACK;
		STAT_ADD(c, dsacks_out, 1);
	}
	if (c->nooo) {
		const ptcp_ooo_node *o = ooo_nodes(c);
		s->opts.sack[n].left = o[c->ooo_last].left;
		s->opts.sack[n++].right = o[c->ooo_last].right;
		for (i = 0; i < c->nooo && n < max; i++)
			if (i != c->ooo_last) {
				s->opts.sack[n].left = o[i].left;
				s->opts.sack[n++].right = o[i].right;
			}
	}
	s->opts.sack_count = (uint8_t)n;
	s->opts.present |= PTCP_OPT_SACK;
}

/* Header fields and options common to every non-RST segment. */
static void fill_common(step_ctx *x, ptcp_seg *s, int syn)
{
	ptcp_conn *c = x->c;
	s->ack = c->rcv_nxt;
	s->wnd = window_field(c, syn);
	if (!syn) {
		s->flags |= PTCP_ACK;
		if (c->flags & F_ECE)
			s->flags |= PTCP_ECE; /* RFC 3168 6.1.3: until the peer's CWR */
		if (c->flags & F_TS)
			put_ts(x, s);
		put_sack(c, s);
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= ~(uint32_t)F_ACK_NOW;
		c->t_delack = 0; /* this segment carries the ACK */
		c->rcv_unacked = 0;
	}
}

/* SYN or SYN-ACK with our options (RFC 9293 3.5; RFC 7323; RFC 2018). */
static void send_syn(step_ctx *x)
{
	ptcp_conn *c = x->c;
	int synack = c->state == PTCP_SYN_RECEIVED;
	ptcp_seg *s = conn_emit(x);
	if (!s)
		return;
	s->seq = c->iss;
	s->flags = PTCP_SYN;
	fill_common(x, s, 1);
	s->opts.present |= PTCP_OPT_MSS;
	s->opts.mss = c->cfg.mss;
	if ((c->cfg.flags & PTCP_CFG_SACK) && (!synack || (c->flags & F_PEER_SACK)))
		s->opts.present |= PTCP_OPT_SACK_PERM;
	if ((c->cfg.flags & PTCP_CFG_TIMESTAMPS) && (!synack || (c->flags & F_PEER_TS))) {
		s->opts.present |= PTCP_OPT_TS;
		s->opts.ts_val = timer_tsval(c, x->now);
		s->opts.ts_ecr = synack ? c->ts_recent : 0;
		if (c->snd_max == c->iss)
			c->ts_low = s->opts.ts_val; /* the first SYN or SYN-ACK */
	}
	if ((c->cfg.flags & PTCP_CFG_WSCALE) && (!synack || (c->flags & F_PEER_WS))) {
		s->opts.present |= PTCP_OPT_WSCALE;
		s->opts.wscale = c->cfg.wscale;
	}
	/* RFC 3168 6.1.1: an ECN-setup SYN carries ECE and CWR, the SYN-ACK ECE. */
	if (c->cfg.flags & PTCP_CFG_ECN) {
		if (!synack)
			s->flags |= PTCP_ECE | PTCP_CWR;
		else if (c->flags & F_PEER_ECN)
			s->flags |= PTCP_ECE;
	}
	/* RFC 7413 4.1: Fast Open on the first SYN only: a cookie request, or the
	 * cookie with data.  Retransmitted SYNs are plain (4.1.3 fallback). */
	if (!synack && c->snd_max == c->iss && x->in && x->in->kind == PTCP_IN_CONNECT &&
	    x->in->connect.tfo) {
		uint32_t n = 0;
		s->opts.present |= PTCP_OPT_TFO;
		s->opts.tfo_len = x->in->connect.tfo_len; /* checked by app_connect */
		memcpy(s->opts.tfo_cookie, x->in->connect.tfo_cookie, s->opts.tfo_len);
		if (s->opts.tfo_len)
			n = min_u32(c->slen, x->in->connect.tfo_mss ? x->in->connect.tfo_mss : 536);
		sbuf_spans(c, c->iss + 1, n, s);
		c->snd_nxt = c->snd_max = c->iss + 1 + n;
		count_out(x, n);
		timer_rexmit_arm(x);
		return;
	}
	if (synack) {
		s->flags |= PTCP_ACK;
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= ~(uint32_t)F_ACK_NOW;
	}
	if (c->snd_max != c->iss) {
		STAT_ADD(c, retransmits, 1);
		c->flags &= ~(uint32_t)F_RTT; /* RFC 6298 3: Karn, no sample from a resent SYN */
	} else {
		/* time the first SYN or SYN-ACK: the handshake gives the first RTT sample */
		c->flags |= F_RTT;
		c->rtt_seq = c->iss;
		c->rtt_start = (uint32_t)x->now; /* low 32 bits: see ptcp_conn */
	}
	c->snd_nxt = c->iss + 1;
	if (ptcp_seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	timer_rexmit_arm(x);
}

void output_rst(step_ctx *x, uint32_t seq, int with_ack, uint32_t ack)
{
	ptcp_seg *s = conn_emit(x);
	if (!s)
		return;
	s->seq = seq;
	s->flags = PTCP_RST;
	if (with_ack) {
		s->flags |= PTCP_ACK;
		s->ack = ack;
	}
	/* RFC 7323 3.2: once negotiated, timestamps go on every segment, RSTs of
	 * a connection included (replies from CLOSED have none to send). */
	if (x->c->flags & F_TS)
		put_ts(x, s);
}

void output_rst_reply(step_ctx *x, const ptcp_seg *seg)
{
	ptcp_seg *s;
	/* RFC 9293 3.10.7.1: never answer a RST. */
	if (seg->flags & PTCP_RST)
		return;
	s = conn_emit(x);
	if (!s)
		return;
	s->sport = seg->dport;
	s->dport = seg->sport;
	if (seg->flags & PTCP_ACK) {
		s->seq = seg->ack;
		s->flags = PTCP_RST;
	} else {
		s->seq = 0;
		s->ack = seg->seq + ptcp_seg_seqlen(seg);
		s->flags = PTCP_RST | PTCP_ACK;
	}
}

/*
 * The payload a segment may carry now: the effective send MSS less the SACK
 * blocks this segment will carry (RFC 6691: the MSS excludes options;
 * otherwise a full segment with SACK blocks exceeds the path MTU).
 */
uint32_t output_mss(const ptcp_conn *c)
{
	uint32_t blocks = 0, max = (c->flags & F_TS) ? 3 : 4;
	if (c->flags & F_SACK) {
		blocks = c->nooo + ((c->flags & F_DSACK) ? 1u : 0u);
		if (blocks > max)
			blocks = max;
	}
	if (!blocks)
		return c->snd_mss;
	/* NOP, NOP, kind, length, 8 bytes a block */
	return c->snd_mss > 4 + 8 * blocks + 64 ? c->snd_mss - (4 + 8 * blocks) : 64;
}

/* Whether the application's "more data follows" (PTCP_SEND_MORE) holds a
 * partial segment on this step.  PTCP_CFG_PUSH_LINUX: only on the step that
 * is not an ACK or an option change (Linux corks just the sendmsg that has
 * MSG_MORE; tcp_data_snd_check and setsockopt push with the socket's Nagle). */
static int more_holds(const step_ctx *x)
{
	const ptcp_conn *c = x->c;
	if (!(c->flags & F_MORE))
		return 0;
	if (!(c->cfg.flags & PTCP_CFG_PUSH_LINUX) || !x->in)
		return 1;
	return x->in->kind != PTCP_IN_SEGMENT && x->in->kind != PTCP_IN_SETOPT;
}

/* Whether the sender SWS / Nagle rules allow a segment of len < MSS now. */
static int small_ok(const step_ctx *x, uint32_t len, uint32_t unsent, int fin)
{
	const ptcp_conn *c = x->c;
	if (fin || ptcp_seq_lt(c->snd_nxt, c->snd_max))
		return 1; /* closing pushes everything; retransmissions go as they are */
	if (c->max_sndwnd && len >= c->max_sndwnd / 2)
		return 1; /* RFC 1122 4.2.3.4 (c) */
	if (len < unsent || more_holds(x) || (c->cfg.flags & PTCP_CFG_CORK))
		return 0; /* more data follows (MSG_MORE) or corked: wait for a full segment */
	/* RFC 9293 3.7.4 Nagle: no unacknowledged data, or NODELAY;
	 * draft-minshall-nagle: no unacknowledged short segment */
	return (c->cfg.flags & PTCP_CFG_NODELAY) || c->snd_nxt == c->snd_una ||
	       ((c->cfg.flags & PTCP_CFG_NAGLE_MINSHALL) && !(c->flags & F_SML));
}

/* RFC 9293 3.9.1: PSH on the segment that ends the data queued so far.
 * PTCP_CFG_PUSH_LINUX (tcp_push, tcp_write_wakeup): not when the last send
 * said more follows, always on data the persist / cork timer releases. */
static int push_flag(const ptcp_conn *c, uint32_t len, uint32_t data_end, int timer_probe)
{
	if (!len)
		return 0;
	if (!(c->cfg.flags & PTCP_CFG_PUSH_LINUX))
		return c->snd_nxt + len == data_end;
	if (timer_probe)
		return 1;
	return c->snd_nxt + len == data_end && !(c->flags & F_MORE);
}

/*
 * Send new data (and, after a timeout moved SND.NXT back, resend) as the
 * windows allow; at most max_segs segments.  In SACK recovery the caller
 * has checked the pipe against cwnd, so only the peer's window applies.
 * Returns the number of segments sent.
 */
static unsigned send_data(step_ctx *x, unsigned max_segs, int sack_recovery)
{
	ptcp_conn *c = x->c;
	unsigned sent = 0;
	for (; sent < max_segs;) {
		uint32_t data_end = c->sbuf_seq + c->slen;
		uint32_t unsent = snd_unsent(c);
		uint32_t cwnd = c->cwnd;
		/* RFC 3042 limited transmit: one new segment on each of the first two
		 * duplicate ACKs, cwnd unchanged. */
		if ((c->cfg.flags & PTCP_CFG_LIMITED_TX) && c->dupacks && c->dupacks < 3 &&
		    !(c->flags & (F_INRECOVERY | F_SACK_SND)) &&
		    !ptcp_seq_lt(c->snd_nxt, c->snd_max))
			cwnd += c->dupacks *
			        c->snd_mss; /* with SACK, SACKed data already left the flight */
		/* RFC 5681 4.1: after an idle period longer than the RTO, restart from
		 * the initial window. */
		if ((c->cfg.flags & PTCP_CFG_SS_IDLE) && c->snd_una == c->snd_max && c->last_snd &&
		    x->now - c->last_snd > c->rto) {
			uint32_t iw = c->cfg.init_cwnd * c->snd_mss;
			if (c->cwnd > iw) {
				c->cwnd = cwnd = iw;
				/* RFC 9438 5.8: no growth credit from the idle time: a
				 * new epoch (as after a timeout) */
				c->cfg.cc->on_rto(c, x->now);
			}
		}
		/* Two limits: the peer's window is an edge in sequence space
		 * (SND.UNA + SND.WND, RFC 9293 3.8.6); cwnd bounds what is in flight,
		 * SACKed data excluded (RFC 6675).  In SACK recovery the caller has
		 * checked the pipe against cwnd already. */
		uint32_t by_wnd = snd_by_wnd(c);
		uint32_t by_cwnd = snd_by_cwnd(c, cwnd);
		uint32_t usable = sack_recovery ? by_wnd : min_u32(by_wnd, by_cwnd);
		uint32_t mss = output_mss(c);
		uint32_t len = min_u32(min_u32(unsent, usable), mss);
		int fin, rtx, probe = 0;
		/* RFC 4821: an MTU probe is the one segment longer than the MSS */
		if (UNLIKELY(c->cfg.flags & PTCP_CFG_MTU_PROBE) && max_segs > 1 && !sack_recovery)
			len = mtup_probe_len(x, len);
		ptcp_seg *s;
		if ((c->flags & F_FORCE1) && unsent) {
			/* the persist / SWS-override timer fired (RFC 9293 3.8.6.1,
			 * RFC 1122 4.2.3.4 (d)): send what the window allows, at least
			 * one byte as a zero-window probe */
			probe = 1;
			if (len == 0 && !by_wnd && (c->cfg.flags & PTCP_CFG_ZWP_NO_DATA)) {
				/* RFC 9293 3.8.6.1 lets the probe be any segment that
				 * elicits an ACK: Linux sends <SEQ=SND.UNA-1>, no data,
				 * and the persist timer goes on (backed off) */
				c->flags &= ~(uint32_t)F_FORCE1;
				output_keepalive(x);
				timer_rexmit_arm(x);
				return sent + 1;
			}
			if (len == 0) {
				len = 1;
				if (!by_wnd)
					c->flags |= F_WND_PROBE;
			}
		}
		c->flags &= ~(uint32_t)F_FORCE1;
		if (ptcp_seq_lt(c->snd_nxt, c->snd_max) && c->nsb) {
			/* Going back after a timeout: skip what the peer SACKed. */
			const ptcp_sack_block *b = sack_find(c, c->snd_nxt);
			if (b) {
				c->snd_nxt =
				    ptcp_seq_lt(b->right, c->snd_max) ? b->right : c->snd_max;
				continue;
			}
			b = sack_next_above(c, c->snd_nxt);
			if (b && len > b->left - c->snd_nxt)
				len = b->left - c->snd_nxt;
		}
		fin = (c->flags & F_FIN_QUEUED) && c->snd_nxt + len == c->fin_seq &&
		      ptcp_seq_le(c->snd_nxt, c->fin_seq);
		if (len == 0 && !fin) {
			if (unsent && c->snd_nxt == c->snd_una && !c->t_rexmit)
				timer_rexmit_arm(x); /* persist timer */
			return sent;
		}
		if (len && len < mss && !probe && !small_ok(x, len, unsent, fin)) {
			/* RFC 1122 4.2.3.4: held back for SWS avoidance; with nothing in
			 * flight no ACK will come, so an override timer must */
			if (c->snd_nxt == c->snd_una && !c->t_rexmit) {
				timer_rexmit_arm(x);
				/* corked or MSG_MORE data waits at most 200 ms (as Linux) */
				if (more_holds(x) || (c->cfg.flags & PTCP_CFG_CORK)) {
					ptcp_time_t t = x->now + PTCP_MS(200);
					if (t < c->t_rexmit)
						c->t_rexmit = t;
				}
			}
			return sent;
		}
		s = conn_emit(x);
		if (!s)
			return sent;
		sent++;
		rtx = ptcp_seq_lt(c->snd_nxt, c->snd_max);
		s->seq = c->snd_nxt;
		if (fin)
			s->flags |= PTCP_FIN;
		if (push_flag(c, len, data_end, probe && !rtx))
			s->flags |= PTCP_PSH;
		sbuf_spans(c, c->snd_nxt, len, s);
		fill_common(x, s, 0);
		if (rtx) {
			STAT_ADD(c, retransmits, 1);
			if ((c->flags & F_RTT) && ptcp_seq_le(c->snd_nxt, c->rtt_seq))
				c->flags &= ~(uint32_t)F_RTT; /* RFC 6298 3: Karn */
			if (c->flags & F_MTU_PROBE)
				mtup_resent(c, c->snd_nxt, len); /* RFC 4821 7.6.2 */
		} else if (!(c->flags & (F_RTT | F_TS)) && len) {
			c->flags |= F_RTT;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = (uint32_t)x->now; /* low 32 bits: see ptcp_conn */
		}
		count_out(x, len);
		if (!rtx && len)
			c->last_snd = x->now;
		if (len < mss && !rtx && len)
			c->flags |= F_SML; /* draft-minshall-nagle: a short segment is out */
		if ((c->flags & F_ECN) && !rtx && len) {
			/* RFC 3168 6.1.2 / 6.1.5: new data is ECT(0), retransmissions are
			 * not; CWR on the first new data after a reduction. */
			x->out->v[x->out->n - 1].emit.ecn = 2;
			if (c->flags & F_CWR) {
				s->flags |= PTCP_CWR;
				c->flags &= ~(uint32_t)F_CWR;
			}
		}
		if (fin && !rtx) {
			/* the tail loss probe resends this same segment (RFC 8985 7.3) */
			if (len)
				c->flags &= ~(uint32_t)F_FIN_ALONE;
			else
				c->flags |= F_FIN_ALONE;
		}
		if (rack_on(c)) /* RFC 8985 6.1: Segment.xmit_ts */
			rack_sent(c, c->snd_nxt, len + (fin ? 1u : 0u), x->now, rtx);
		if (UNLIKELY(len > mss) && !rtx)
			mtup_probe_sent(c, c->snd_nxt, len);
		c->snd_nxt += len + (fin ? 1u : 0u);
		if (ptcp_seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		timer_rexmit_arm(x);
		if (!rtx && (len || fin)) /* a FIN is new sequence space too */
			timer_pto_restart(x);
		if (fin)
			return sent;
	}
	return sent;
}

/* Resend [seq, seq + len) during SACK recovery (RFC 6675 5 step C). */
static int resend_range(step_ctx *x, uint32_t seq, uint32_t len)
{
	ptcp_conn *c = x->c;
	uint32_t data_end = c->sbuf_seq + c->slen;
	ptcp_seg *s;
	if (len > output_mss(c))
		len = output_mss(c);
	if (ptcp_seq_gt(seq + len, data_end))
		len = ptcp_seq_gt(data_end, seq) ? data_end - seq : 0;
	/* only what was sent, and within the peer's window */
	if (ptcp_seq_gt(seq + len, c->snd_max))
		len = ptcp_seq_gt(c->snd_max, seq) ? c->snd_max - seq : 0;
	if (ptcp_seq_gt(seq + len, c->snd_una + c->snd_wnd))
		len = ptcp_seq_gt(c->snd_una + c->snd_wnd, seq) ? c->snd_una + c->snd_wnd - seq : 0;
	if (!len)
		return 0;
	s = conn_emit(x);
	if (!s)
		return 0;
	s->seq = seq;
	if (seq + len == data_end)
		s->flags |= PTCP_PSH;
	sbuf_spans(c, seq, len, s);
	fill_common(x, s, 0);
	STAT_ADD(c, retransmits, 1);
	if (c->flags & F_MTU_PROBE)
		mtup_resent(c, seq, len); /* RFC 4821 7.6.2 */
	count_out(x, len);
	c->flags &= ~(uint32_t)F_RTT; /* RFC 6298 3: Karn */
	if (c->loss)
		c->loss->high_rxt = seq + len;
	if (rack_on(c)) /* RFC 8985 6.1: Segment.xmit_ts, retransmitted */
		rack_sent(c, seq, len, x->now, 1);
	timer_rexmit_arm(x);
	return 1;
}

/*
 * RFC 8985 7.3: the tail loss probe: one new segment if the peer's window
 * allows, else the last segment sent again.  TLPRxtOut ends when an ACK
 * covers tlp_end_seq.
 */
static void tail_loss_probe(step_ctx *x)
{
	ptcp_conn *c = x->c;
	uint32_t save_cwnd = c->cwnd;
	c->flags &= ~(uint32_t)F_TLP_PROBE;
	c->cwnd = 0xffffffffu; /* the probe is not limited by cwnd */
	if (!send_data(x, 1, 0)) {
		uint32_t save = c->snd_nxt;
		uint32_t last =
		    c->snd_max - c->snd_una > c->snd_mss ? c->snd_max - c->snd_mss : c->snd_una;
		/* RFC 8985 7.3: the highest segment sent: a FIN sent on its own is
		 * probed alone (as Linux's tcp_send_loss_probe, the FIN skb) */
		if ((c->flags & (F_FIN_QUEUED | F_FIN_ALONE)) == (F_FIN_QUEUED | F_FIN_ALONE) &&
		    c->snd_max == c->fin_seq + 1 && ptcp_seq_lt(c->snd_una, c->snd_max))
			last = c->fin_seq;
		c->snd_nxt = last;
		send_data(x, 1, 0);
		if (ptcp_seq_gt(save, c->snd_nxt))
			c->snd_nxt = save;
	}
	c->cwnd = save_cwnd;
	c->tlp_end_seq = c->snd_max;
}

/* RFC 6675 5 step C: send while cwnd - pipe >= 1 SMSS, by NextSeg's rules. */
static void sack_recovery_send(step_ctx *x)
{
	ptcp_conn *c = x->c;
	for (int guard = 0; guard < 1024; guard++) {
		uint32_t pipe = sack_pipe(c), seq, len;
		if (pipe + c->snd_mss > c->cwnd)
			return;
		if (sack_next_seg(c, 0, &seq, &len)) { /* rule 1: a lost hole */
			if (!resend_range(x, seq, len))
				return;
			continue;
		}
		if (send_data(x, 1, 1)) /* rule 2: new data */
			continue;
		if (sack_next_seg(c, 1, &seq, &len) && resend_range(x, seq, len)) /* rule 3 */
			continue;
		return;
	}
}

static void sack_recovery(step_ctx *x)
{
	ptcp_conn *c = x->c;
	uint32_t out0 = x->bytes_out;
	sack_recovery_send(x);
	prr_sent(c, x->bytes_out - out0); /* RFC 9937 4: prr_out */
}

static void send_ack(step_ctx *x)
{
	ptcp_seg *s = conn_emit(x);
	if (!s)
		return;
	/* <SEQ=SND.NXT> (RFC 9293 3.10.7.4) - but after a retransmission timeout
	 * moved SND.NXT back, the highest sequence sent: the peer has seen it, so
	 * the ACK stays acceptable and two rewound ends cannot ping-pong ACKs. */
	s->seq = x->c->snd_max;
	fill_common(x, s, 0);
}

/* RFC 1122 4.2.3.6: a probe the peer must answer: one below SND.UNA, no data. */
void output_keepalive(step_ctx *x)
{
	ptcp_seg *s = conn_emit(x);
	if (!s)
		return;
	s->seq = x->c->snd_una - 1;
	fill_common(x, s, 0);
}

void output_flush(step_ctx *x)
{
	ptcp_conn *c = x->c;
	switch (c->state) {
	case PTCP_CLOSED:
	case PTCP_LISTEN:
		c->flags &= ~(uint32_t)F_ACK_NOW;
		return;
	case PTCP_SYN_SENT:
		if (c->snd_nxt == c->iss)
			send_syn(x);
		return;
	case PTCP_SYN_RECEIVED:
		if (c->snd_nxt == c->iss)
			send_syn(x);
		else if (c->flags & F_ACK_NOW)
			send_ack(x);
		return;
	case PTCP_TIME_WAIT:
		break;
	default:
		if (c->flags & F_FASTRETX) {
			/* RFC 5681 3.2: resend the first unacknowledged segment now. */
			uint32_t save_nxt = c->snd_nxt, save_cwnd = c->cwnd;
			c->flags &= ~(uint32_t)F_FASTRETX;
			c->snd_nxt = c->snd_una;
			c->cwnd = c->snd_mss;
			send_data(x, 1, 0);
			c->cwnd = save_cwnd;
			if (ptcp_seq_gt(save_nxt, c->snd_nxt))
				c->snd_nxt = save_nxt;
		}
		if (c->flags & F_TLP_PROBE)
			tail_loss_probe(x);
		if ((c->flags & (F_INRECOVERY | F_SACK_SND)) == (F_INRECOVERY | F_SACK_SND))
			sack_recovery(x);
		else if (ptcp_seq_lt(c->snd_nxt, c->sbuf_seq + c->slen) ||
		         ptcp_seq_lt(c->snd_nxt, c->snd_max) ||
		         (c->flags & (F_FIN_QUEUED | F_FORCE1)))
			send_data(x, ~0u, 0); /* nothing to send: skip */
		break;
	}
	if (c->flags & F_ACK_NOW)
		send_ack(x);
}
