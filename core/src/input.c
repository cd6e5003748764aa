/*
 * Segment arrival (RFC 9293 3.10.7) and ICMP errors (RFC 5927, RFC 1122 4.2.3.9).
 *
 * IMPLEMENTATION NOTES
 * input_segment() dispatches on the state: CLOSED (3.10.7.1), LISTEN
 * (3.10.7.2), SYN-SENT (3.10.7.3), and the rest (3.10.7.4), which runs the
 * RFC's steps in order: sequence acceptability and trimming, RST, SYN, ACK,
 * text, FIN.  The segment is never modified; trimming works on local copies
 * of the sequence number, flags and payload offset.  Sending is left to
 * output_flush() through F_ACK_NOW and SND.NXT, except for RSTs.
 */
#include "internal.h"

static void drop(ptcp_conn *c, ptcp_drop why)
{
	STAT_ADD(c, drops[why], 1);
}

static void set_reply_addrs(step_ctx *x, const ptcp_input *in, size_t n_before)
{
	if (x->out->n > n_before) {
		ptcp_action *a = &x->out->v[x->out->n - 1];
		a->emit.src = in->segment.dst;
		a->emit.dst = in->segment.src;
	}
}

/* Record what the peer's SYN offered (RFC 9293 3.7.1, RFC 7323, RFC 2018). */
static void syn_options(ptcp_conn *c, const ptcp_seg *seg, const ptcp_input *in)
{
	const ptcp_tcp_opts *o = &seg->opts;
	int v6 = in->segment.src.family == 6 || c->raddr.family == 6;
	/* RFC 9293 3.7.1: without the option assume 536 (IPv4) or 1220 (IPv6). */
	c->peer_mss = (o->present & PTCP_OPT_MSS) ? o->mss : (uint16_t)(v6 ? 1220 : 536);
	if (o->present & PTCP_OPT_WSCALE) {
		c->flags |= F_PEER_WS;
		/* RFC 7323 2.3: a shift over 14 is used as 14. */
		c->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
	}
	if (o->present & PTCP_OPT_SACK_PERM)
		c->flags |= F_PEER_SACK;
	/* RFC 3168 6.1.1: ECN-setup SYN has ECE and CWR; ECN-setup SYN-ACK ECE only. */
	if ((seg->flags & PTCP_ACK) ? (seg->flags & (PTCP_ECE | PTCP_CWR)) == PTCP_ECE
	                            : (seg->flags & (PTCP_ECE | PTCP_CWR)) == (PTCP_ECE | PTCP_CWR))
		c->flags |= F_PEER_ECN;
	if (o->present & PTCP_OPT_TS) {
		c->flags |= F_PEER_TS;
		c->ts_recent = o->ts_val;
	}
}

/* Settle the options both SYNs agreed on and the initial windows. */
void input_negotiate(ptcp_conn *c)
{
	uint32_t mss;
	if ((c->cfg.flags & PTCP_CFG_WSCALE) && (c->flags & F_PEER_WS)) {
		c->flags |= F_WS;
		c->rcv_wscale = c->cfg.wscale;
	} else {
		c->snd_wscale = c->rcv_wscale = 0;
	}
	if ((c->cfg.flags & PTCP_CFG_TIMESTAMPS) && (c->flags & F_PEER_TS))
		c->flags |= F_TS;
	if ((c->cfg.flags & PTCP_CFG_SACK) && (c->flags & F_PEER_SACK))
		c->flags |= c->loss ? F_SACK | F_SACK_SND : F_SACK;
	if ((c->cfg.flags & PTCP_CFG_ECN) && (c->flags & F_PEER_ECN))
		c->flags |= F_ECN;
	/* RFC 9293 3.7.1 / RFC 6691: the MSS less the options every segment carries. */
	mss = min_u32(c->peer_mss, c->cfg.mss);
	if (c->flags & F_TS)
		mss = mss > 12 ? mss - 12 : 0; /* a tiny MSS option must not wrap around */
	c->snd_mss = mss < 32 ? 32 : mss;
	/* RFC 5681 3.1 with RFC 6928 initial window. */
	c->cwnd = c->cfg.init_cwnd * c->snd_mss;
	c->ssthresh = 0x7fffffff;
	c->cfg.cc->init(c);
	mtup_init(c);
}

/* RFC 5961 7: a challenge ACK, within the configured rate. */
static void challenge_ack(step_ctx *x)
{
	ptcp_conn *c = x->c;
	uint32_t limit = c->cfg.challenge_ack_limit;
	if (x->in && x->in->kind == PTCP_IN_SEGMENT && x->in->segment.challenge_limited) {
		STAT_ADD(c, challenge_acks_limited, 1); /* the caller's shared budget is spent */
		return;
	}
	if (limit) {
		if (limit > UINT16_MAX)
			limit = UINT16_MAX; /* chack_count is 16 bits */
		if ((uint32_t)x->now - c->chack_start >= PTCP_SEC(1)) {
			c->chack_start = (uint32_t)x->now; /* low 32 bits: see ptcp_conn */
			c->chack_count = 0;
		}
		if (c->chack_count >= limit) {
			STAT_ADD(c, challenge_acks_limited, 1);
			return;
		}
		c->chack_count++;
	}
	STAT_ADD(c, challenge_acks, 1);
	c->flags |= F_ACK_NOW;
}

/* RFC 2883: report a duplicate segment in the first SACK block of the next ACK. */
static void note_dsack(ptcp_conn *c, uint32_t left, uint32_t right)
{
	if (!(c->flags & F_SACK))
		return;
	c->dsack.left = left;
	c->dsack.right = right;
	c->flags |= F_DSACK;
}

/* Back to LISTEN after a RST or SYN in SYN-RECEIVED (RFC 9293 3.10.7.4). */
static void back_to_listen(step_ctx *x)
{
	ptcp_conn *c = x->c;
	c->flags &= F_PASSIVE;
	c->t_rexmit = 0;
	c->rport = 0;
	memset(&c->raddr, 0, sizeof(c->raddr));
	c->nooo = 0;
	c->rlen = 0;
	c->slen = 0;
	conn_set_state(x, PTCP_LISTEN);
}

static void rst_closed(step_ctx *x, int err)
{
	ptcp_conn *c = x->c;
	c->slen = 0;
	if (err) {
		/* RFC 9293 3.10.7.4: "all segment queues should be flushed"; with
		 * RST_KEEP_DATA the in-order bytes stay readable before the error. */
		if (!(c->cfg.flags & PTCP_CFG_RST_KEEP_DATA))
			c->rlen = 0;
		c->nooo = 0;
		conn_event(x, PTCP_EV_RESET, err);
	}
	conn_closed(x, err);
}

/* RFC 9293 3.10.7.1 CLOSED. */
static void in_closed(step_ctx *x, const ptcp_input *in)
{
	size_t n = x->out->n;
	drop(x->c, PTCP_DROP_CLOSED);
	output_rst_reply(x, in->segment.seg);
	set_reply_addrs(x, in, n);
}

/* RFC 9293 3.10.7.2 LISTEN. */
static void in_listen(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_seg *seg = in->segment.seg;
	if (seg->flags & PTCP_RST) {
		drop(c, PTCP_DROP_LISTEN); /* first: ignore RST */
		return;
	}
	if (seg->flags & PTCP_ACK) {
		size_t n = x->out->n;
		drop(c, PTCP_DROP_LISTEN); /* second: <SEQ=SEG.ACK><CTL=RST> */
		output_rst_reply(x, seg);
		set_reply_addrs(x, in, n);
		return;
	}
	if (!(seg->flags & PTCP_SYN)) {
		drop(c, PTCP_DROP_LISTEN); /* fourth: other text or control */
		return;
	}
	/* third: SYN.  Text in the SYN is not accepted without Fast Open; the
	 * peer will send it again after the handshake. */
	if (in->segment.src.family)
		c->raddr = in->segment.src;
	if (in->segment.dst.family)
		c->laddr = in->segment.dst;
	c->rport = seg->sport;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt; /* nothing announced yet; never a sentinel value */
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->sbuf_seq = c->iss + 1;
	syn_options(c, seg, in);
	input_negotiate(c);
	c->snd_wnd = seg->wnd; /* RFC 7323 2.2: not scaled in a SYN */
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	conn_set_state(x, PTCP_SYN_RECEIVED);
}

static void take_rtt_sample(step_ctx *x, const ptcp_seg *seg, uint32_t ack)
{
	ptcp_conn *c = x->c;
	if ((c->flags & F_TS) && (seg->opts.present & PTCP_OPT_TS) && seg->opts.ts_ecr) {
		/* RFC 7323 4.1: RTT from the echoed timestamp (1 ms clock) - only an
		 * echo of a value we sent: between our first TSval and now. */
		uint32_t now_ts = timer_tsval(c, x->now);
		uint32_t ms = now_ts - seg->opts.ts_ecr;
		if (ptcp_seq_ge(seg->opts.ts_ecr, c->ts_low) &&
		    ptcp_seq_le(seg->opts.ts_ecr, now_ts))
			timer_rtt_sample(c, (ptcp_time_t)ms * 1000u + 500u);
	} else if ((c->flags & F_RTT) && ptcp_seq_gt(ack, c->rtt_seq)) {
		timer_rtt_sample(c, (uint32_t)((uint32_t)x->now - c->rtt_start));
		c->flags &= ~(uint32_t)F_RTT;
	}
}

/* RFC 9293 3.10.7.3 SYN-SENT. */
static void in_syn_sent(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_seg *seg = in->segment.seg;
	int has_ack = (seg->flags & PTCP_ACK) != 0;
	if (has_ack) {
		/* first: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable */
		if (ptcp_seq_le(seg->ack, c->iss) || ptcp_seq_gt(seg->ack, c->snd_max)) {
			drop(c, PTCP_DROP_SYN_SENT);
			if (!(seg->flags & PTCP_RST))
				output_rst(x, seg->ack, 0, 0);
			return;
		}
	}
	if (seg->flags & PTCP_RST) {
		/* second: RST only with an acceptable ACK (RFC 9293, RFC 5961 3.2) */
		if (has_ack)
			rst_closed(x, PTCP_ECONNREFUSED);
		else
			drop(c, PTCP_DROP_SYN_SENT);
		return;
	}
	if (!(seg->flags & PTCP_SYN)) {
		drop(c, PTCP_DROP_SYN_SENT); /* fifth: neither SYN nor RST */
		return;
	}
	/* fourth: SYN */
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rcv_adv = c->rcv_nxt; /* nothing announced yet; never a sentinel value */
	syn_options(c, seg, in);
	input_negotiate(c);
	c->snd_wnd = seg->wnd;
	c->max_sndwnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (has_ack) {
		take_rtt_sample(x, seg, seg->ack);
		if (ptcp_seq_gt(c->snd_max, c->iss + 1)) {
			/* RFC 7413 4.2: data in our SYN, acknowledged or not */
			if (seg->ack == c->snd_max)
				STAT_ADD(c, tfo_data_acked, 1);
			else
				STAT_ADD(c, tfo_data_refused, 1);
		}
		if ((seg->opts.present & PTCP_OPT_TFO) && seg->opts.tfo_len &&
		    x->out->n < x->out->cap) {
			/* RFC 7413 4.1.2: a cookie for the caller's cache */
			ptcp_action *a = &x->out->v[x->out->n++];
			memset(a, 0, sizeof(*a));
			a->kind = PTCP_ACT_TFO_COOKIE;
			a->tfo.len = seg->opts.tfo_len;
			memcpy(a->tfo.cookie, seg->opts.tfo_cookie, seg->opts.tfo_len);
		}
		c->snd_una = seg->ack;
		sbuf_ack(c, seg->ack);
		c->snd_nxt = c->snd_una; /* anything of the SYN's data not acked goes again */
		c->retries = 0;
		c->t_first_rexmit = 0;
		timer_rexmit_stop(c);
		if (c->snd_una != c->snd_max)
			timer_rexmit_restart(x);
		conn_established(x);
		c->flags |= F_ACK_NOW;
		/* Text or FIN in the SYN-ACK: processing goes on at the sixth step. */
		if (ptcp_seg_len(seg) || (seg->flags & PTCP_FIN)) {
			ptcp_seg rest = *seg;
			rest.flags &= (uint8_t) ~(PTCP_SYN | PTCP_ACK);
			rest.seq = seg->seq + 1;
			rest.flags |= PTCP_ACK;
			rest.ack = c->snd_una;
			{
				ptcp_input sub = *in;
				sub.segment.seg = &rest;
				input_segment(x, &sub);
				if (c->stats)
					c->stats->segs_in--; /* the inner call counted it */
			}
		}
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	c->snd_nxt = c->iss;
	conn_set_state(x, PTCP_SYN_RECEIVED);
}

/*
 * When to acknowledge data (RFC 9293 3.8.6.3, RFC 5681 4.2, RFC 1122 4.2.3.2):
 * at once for out-of-order data, data that fills a hole, the second full
 * segment not yet acknowledged, and during the quick-ACK phase after the
 * handshake; otherwise within the delayed-ACK timeout.
 */
static void ack_policy(step_ctx *x, uint32_t tlen, uint32_t added, int plain_in_order)
{
	ptcp_conn *c = x->c;
	if (tlen > c->rcv_mss)
		c->rcv_mss = (uint16_t)min_u32(tlen, 65535);
	c->rcv_unacked += added;
	if (!plain_in_order || added != tlen || c->cfg.delack == 0 || c->quickacks > 0 ||
	    c->rcv_unacked > c->rcv_mss) {
		c->flags |= F_ACK_NOW;
		if (c->quickacks && plain_in_order)
			c->quickacks--;
	} else if (!c->t_delack) {
		c->t_delack = x->now + c->cfg.delack;
	}
}

/* RFC 9293 3.10.7.4 eighth: the peer's FIN, in order. */
static void process_fin(step_ctx *x)
{
	ptcp_conn *c = x->c;
	if (!(c->flags & F_RFIN)) {
		/* the stream ends here: out-of-order data beyond the FIN is bogus */
		c->nooo = 0;
		c->ooo_last = 0;
		c->rcv_nxt += 1;
		c->flags |= F_RFIN;
		c->flags &= ~(uint32_t)F_RFIN_OOO;
		conn_event(x, PTCP_EV_PEER_CLOSED, 0);
	}
	c->flags |= F_ACK_NOW;
	switch (c->state) {
	case PTCP_SYN_RECEIVED:
	case PTCP_ESTABLISHED:
		conn_set_state(x, PTCP_CLOSE_WAIT);
		break;
	case PTCP_FIN_WAIT_1:
		if ((c->flags & F_FIN_QUEUED) && c->snd_una == c->fin_seq + 1)
			timer_timewait(x);
		else
			conn_set_state(x, PTCP_CLOSING);
		break;
	case PTCP_FIN_WAIT_2:
	case PTCP_TIME_WAIT:
		timer_timewait(x); /* enter, or restart the 2 MSL timeout */
		break;
	default:
		break;
	}
}

/* Our FIN is acknowledged when SND.UNA is past it. */
static int fin_acked(const ptcp_conn *c)
{
	return (c->flags & F_FIN_QUEUED) && c->snd_una == c->fin_seq + 1;
}

/* Fast recovery begins: RFC 5681 3.2 steps 2-3, RFC 6582 (recover), RFC 6675 5 step 4. */
void input_enter_recovery(step_ctx *x)
{
	ptcp_conn *c = x->c;
	c->ssthresh = c->cfg.cc->ssthresh(c, x->now);
	c->recover = c->snd_max;
	c->flags |= F_INRECOVERY;
	c->flags &= ~(uint32_t)F_RTT;
	STAT_ADD(c, fast_recoveries, 1);
	/* RFC 8985 7.2: no probe during recovery: a pending PTO becomes the RTO */
	if (c->flags & F_TLP_ARMED)
		timer_rexmit_restart(x);
	if (c->flags & F_SACK_SND) {
		c->loss->high_rxt = c->snd_una;
		if (c->cfg.flags & PTCP_CFG_PRR)
			prr_enter(c); /* RFC 9937 4: cwnd follows PRR from the next ACK on */
		else
			c->cwnd = c->ssthresh; /* pipe governs (RFC 6675 5) */
	} else {
		c->cwnd = c->ssthresh + 3 * c->snd_mss;
		c->flags |= F_FASTRETX;
	}
}

/*
 * PTCP_CFG_CWND_LIMITED: did the flight before this ACK (flight octets) use
 * cwnd?  RFC 7661 (and RFC 2861 before it): a window the sender does not
 * use is not validated and should not grow.  As Linux's tcp_is_cwnd_limited:
 * in slow start while cwnd < 2 * flight, in congestion avoidance when the
 * flight filled cwnd (to within a segment).
 */
static int cwnd_used(const ptcp_conn *c, uint32_t flight)
{
	if (c->cwnd < c->ssthresh)
		return c->cwnd / 2 < flight;
	return flight + c->snd_mss > c->cwnd;
}

/* RFC 9293 3.10.7.4 fifth: the ACK field in a synchronized state. Returns 0 to drop. */
static int process_ack(step_ctx *x, const ptcp_seg *seg, uint32_t seq, uint32_t tlen, int fin)
{
	ptcp_conn *c = x->c;
	uint32_t ack = seg->ack;
	uint32_t una0 = c->snd_una; /* before this ACK */
	/* RFC 7323 2.2: the window of a segment with SYN set is never scaled
	 * (a simultaneous open's SYN-ACK comes through here) */
	uint32_t wnd = (seg->flags & PTCP_SYN) ? seg->wnd : (uint32_t)seg->wnd << c->snd_wscale;
	if (ptcp_seq_gt(ack, c->snd_max)) {
		/* acks something not yet sent: send an ACK, drop */
		drop(c, PTCP_DROP_BAD_ACK);
		c->flags |= F_ACK_NOW;
		return 0;
	}
	/* RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is dropped with an ACK. */
	if (ptcp_seq_lt(ack, c->snd_una - max_u32(c->max_sndwnd, c->snd_mss))) {
		drop(c, PTCP_DROP_BAD_ACK);
		challenge_ack(x);
		return 0;
	}
	uint32_t sacked0 = prr_sacked(c), dupacks0 = c->dupacks, acked = 0;
	uint32_t cwnd0 = c->cwnd;
	ptcp_sack_block osb[PTCP_SB_MAX];
	unsigned onsb = c->nsb;
	if (onsb)
		memcpy(osb, c->loss->sb, onsb * sizeof osb[0]);
	int dsacks = sack_on_ack(c, seg);
	if (rack_on(c)) /* RFC 8985 6.2 steps 2-4: what this ACK delivered */
		rack_on_ack(c, ack, osb, onsb, dsacks != 0, x->now);
	/* RFC 3168 6.1.2: an ECN echo halves the window, once per window of data. */
	if ((c->flags & F_ECN) && (seg->flags & PTCP_ECE) && !(seg->flags & PTCP_SYN) &&
	    ptcp_seq_gt(ack, c->ecn_recover) && !(c->flags & F_INRECOVERY)) {
		c->ssthresh = c->cfg.cc->ssthresh(c, x->now);
		c->cwnd = max_u32(c->ssthresh, c->snd_mss);
		c->ecn_recover = c->snd_max;
		c->flags |= F_CWR;
		STAT_ADD(c, ecn_reductions, 1);
	}
	if (ptcp_seq_gt(ack, c->snd_una)) {
		uint32_t space0 = (uint32_t)ptcp_conn_send_space(c);
		acked = ack - c->snd_una;
		take_rtt_sample(x, seg, ack);
		c->snd_una = ack;
		if (ptcp_seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		sbuf_ack(c, ack);
		sack_trim(c);
		if (c->flags & F_MTU_PROBE)
			mtup_on_ack(c, ack); /* RFC 4821 7.6.1 */
		if (c->tlp_end_seq && ptcp_seq_ge(ack, c->tlp_end_seq))
			c->tlp_end_seq = 0; /* RFC 8985 7.4: the probe episode is over */
		c->retries = 0;
		c->t_first_rexmit = 0;
		if ((c->flags & F_RTO_LOSS) && ptcp_seq_ge(ack, c->recover)) {
			c->flags &= ~(uint32_t)F_RTO_LOSS; /* RFC 6675 5.1: the episode is over */
			rack_recovery_done(c);
		}
		if (c->flags & F_INRECOVERY) {
			if (ptcp_seq_ge(ack, c->recover)) {
				/* RFC 5681 3.2 step 6 / RFC 6675 5: recovery ends */
				c->cwnd = c->ssthresh;
				c->flags &= ~(uint32_t)F_INRECOVERY;
				rack_recovery_done(c);
			} else if (!(c->flags & F_SACK_SND)) {
				/* RFC 6582 3.2 step 5: a partial ACK resends the next hole */
				c->flags |= F_FASTRETX;
				c->cwnd =
				    c->cwnd > acked ? c->cwnd - acked + c->snd_mss : c->snd_mss;
			}
		} else {
			/* RFC 9937 3: Linux grows cwnd by DeliveredData (data SACKed
			 * earlier already counted then, and did not grow cwnd) */
			uint32_t grow = acked;
			if (c->cfg.flags & PTCP_CFG_DELIVERED)
				grow = prr_delivered(c, acked, sacked0, prr_sacked(c), dupacks0);
			if (grow && (c->cfg.flags & PTCP_CFG_CWND_LIMITED) &&
			    !cwnd_used(c, c->snd_max - una0 - sacked0))
				grow = 0;
			if (grow)
				c->cfg.cc->on_ack(c, grow, x->now);
		}
		c->dupacks = 0;
		/* RFC 6298 5.2 / 5.3 */
		if (c->snd_una == c->snd_max) {
			c->flags &= ~(uint32_t)F_SML; /* no short segment unacked */
			timer_rexmit_stop(c);
			conn_event(x, PTCP_EV_ALL_ACKED, 0);
		} else {
			timer_rexmit_restart(x);
		}
		if (ptcp_conn_send_space(c) > space0 && !(c->flags & F_FIN_QUEUED)) {
			ptcp_action *a = &x->out->v[x->out->n];
			if (x->out->n < x->out->cap) {
				act_zero(a, PTCP_ACT_WRITABLE);
				a->kind = PTCP_ACT_WRITABLE;
				a->writable.space = ptcp_conn_send_space(c);
				x->out->n++;
			}
		}
	} else if (ack == c->snd_una && tlen == 0 && !fin && wnd == c->snd_wnd &&
	           c->snd_max != c->snd_una) {
		/* RFC 5681 2: a duplicate ACK */
		c->dupacks++;
		/* RFC 6675 5.1: not before a timeout's recover point is reached */
		if (!(c->flags & (F_INRECOVERY | F_RTO_LOSS)) &&
		    (c->dupacks == 3 || ((c->flags & F_SACK_SND) && sack_is_lost(c, c->snd_una)))) {
			input_enter_recovery(x);
		} else if (c->dupacks > 3 && (c->flags & F_INRECOVERY) &&
		           !(c->flags & F_SACK_SND)) {
			c->cwnd += c->snd_mss; /* RFC 5681 3.2 step 4: inflate */
		}
	}
	sack_check_reneging(c);
	unsigned newly_lost = 0; /* RACK's ranges this ACK marked lost */
	if (rack_on(c) && (c->flags & F_INRECOVERY)) {
		/* RFC 8985 6.2 step 5 on every ACK, and the timer (6.3) */
		newly_lost = rack_step(x, 0);
	} else if (rack_on(c)) {
		/* an ACK whose losses start recovery does not grow cwnd first
		 * (RFC 5681 3.2: ssthresh from the flight before it; as Linux) */
		uint32_t grown = c->cwnd;
		c->cwnd = min_u32(cwnd0, grown);
		newly_lost = rack_step(x, 0);
		if (!(c->flags & F_INRECOVERY))
			c->cwnd = grown;
	} else {
		c->t_reo = 0; /* no RACK: no reordering timer */
	}
	if ((c->flags & (F_INRECOVERY | F_SACK_SND)) == (F_INRECOVERY | F_SACK_SND) &&
	    (c->cfg.flags & PTCP_CFG_PRR)) {
		/* RFC 9937 4: on every ACK during recovery.  SafeACK: the ACK
		 * advanced SND.UNA and indicated no further loss (RACK marked
		 * nothing lost; without RACK, it SACKed nothing new, as any new
		 * SACK may make a hole lost by RFC 6675 IsLost) */
		uint32_t dlv = prr_delivered(c, acked, sacked0, prr_sacked(c), dupacks0);
		int safe = acked && (rack_on(c) ? !newly_lost : dlv <= acked);
		prr_on_ack(c, dlv, safe);
	}
	/* Window update: RFC 9293 3.10.7.4 fifth, SND.WL1/SND.WL2 rule; also any
	 * ACK that moved SND.UNA (as Linux does): else a retransmitted segment with
	 * an older SEQ frees data while SND.WND stays stale past the peer's edge. */
	if (ptcp_seq_ge(ack, c->snd_una) && /* RFC 9293: only when SND.UNA =< SEG.ACK */
	    (ptcp_seq_lt(c->snd_wl1, seq) || (c->snd_wl1 == seq && ptcp_seq_le(c->snd_wl2, ack)) ||
	     ptcp_seq_gt(ack, una0))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if ((c->flags & F_WND_PROBE) && wnd) {
			/* RFC 9293 3.8.6.1: the window opened; a probe byte it did not
			 * acknowledge was dropped past the old window: send from SND.UNA */
			c->flags &= ~(uint32_t)F_WND_PROBE;
			if (ptcp_seq_gt(c->snd_nxt, c->snd_una) && c->snd_max - c->snd_una <= 1)
				c->snd_nxt = c->snd_una;
			/* RFC 9293 3.8.6.1: the persist timer runs only while the
			 * window is zero; data held back now (SWS, MSG_MORE) gets its
			 * own override timer from output */
			if (c->snd_una == c->snd_max)
				c->t_rexmit = 0;
		}
		if (wnd > c->max_sndwnd)
			c->max_sndwnd = wnd;
		if (wnd == 0)
			c->retries = 0; /* RFC 1122 4.2.2.17: a peer that answers probes is alive */
	}
	switch (c->state) {
	case PTCP_FIN_WAIT_1:
		if (fin_acked(c)) {
			conn_set_state(x, PTCP_FIN_WAIT_2);
			if ((c->flags & F_APP_CLOSED) && c->cfg.fin_wait2_timeout)
				c->t_close = x->now + c->cfg.fin_wait2_timeout;
		}
		break;
	case PTCP_CLOSING:
		if (fin_acked(c))
			timer_timewait(x);
		break;
	case PTCP_LAST_ACK:
		if (fin_acked(c)) {
			conn_closed(x, 0);
			return 0;
		}
		break;
	default:
		break;
	}
	return 1;
}

/* RFC 9293 3.10.7.4: SYN-RECEIVED and the synchronized states. */
static void in_sync(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_seg *seg = in->segment.seg;
	uint8_t flags = seg->flags;
	uint32_t seq = seg->seq;
	uint32_t tlen = (uint32_t)ptcp_seg_len(seg);
	uint32_t off = 0;
	uint32_t seqlen = ptcp_seg_seqlen(seg);
	uint32_t rcv_wnd = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	int ok;

	/* A retransmitted SYN in SYN-RECEIVED: send the SYN-ACK again. */
	if (c->state == PTCP_SYN_RECEIVED && (flags & PTCP_SYN) &&
	    !(flags & (PTCP_ACK | PTCP_RST)) && seq == c->irs) {
		c->snd_nxt = c->iss;
		return;
	}
	/* RFC 6191: a SYN of a newer incarnation (a later timestamp, or without
	 * timestamps a sequence number past RCV.NXT) may end TIME-WAIT. */
	if (c->state == PTCP_TIME_WAIT && (flags & PTCP_SYN) && !(flags & (PTCP_ACK | PTCP_RST))) {
		int newer = (c->flags & F_TS) && (seg->opts.present & PTCP_OPT_TS)
		                ? ptcp_seq_gt(seg->opts.ts_val, c->ts_recent)
		                : ptcp_seq_gt(seq, c->rcv_nxt);
		if (newer) {
			conn_event(x, PTCP_EV_TW_REUSE, 0);
			conn_closed(x, 0);
			return;
		}
	}
	/* Simultaneous open (RFC 9293 3.5, Figure 8): the peer's SYN-ACK repeats its
	 * SYN; what is new in it is the ACK of ours. */
	if (c->state == PTCP_SYN_RECEIVED && !(c->flags & F_PASSIVE) && (flags & PTCP_SYN) &&
	    (flags & PTCP_ACK) && seq == c->irs) {
		flags &= (uint8_t)~PTCP_SYN;
		seq++;
		seqlen--;
		c->flags |= F_ACK_NOW;
	}
	/* RFC 5961 4.2: in a synchronized state a SYN, whatever its sequence
	 * number, gets a challenge ACK (rate limited) and is dropped. */
	if (c->state >= PTCP_ESTABLISHED && (flags & PTCP_SYN) && !(flags & PTCP_RST)) {
		drop(c, PTCP_DROP_UNACCEPTABLE);
		challenge_ack(x);
		return;
	}
	/* RFC 7323 5.3 R1: PAWS (RSTs are exempt, as in common practice). */
	if ((c->flags & F_TS) && (seg->opts.present & PTCP_OPT_TS) && !(flags & PTCP_RST) &&
	    ptcp_seq_lt(seg->opts.ts_val + 1, c->ts_recent)) { /* one tick of slack, as Linux */
		drop(c, PTCP_DROP_PAWS);
		c->flags |= F_ACK_NOW;
		return;
	}
	/* first: the four acceptability cases.  A zero-length segment exactly at
	 * the right edge is taken too (as Linux does): a peer that filled our
	 * window sends its pure ACKs there. */
	if (seqlen == 0)
		ok = rcv_wnd == 0 ? seq == c->rcv_nxt
		                  : ptcp_seq_in(seq, c->rcv_nxt, c->rcv_nxt + rcv_wnd + 1);
	else
		ok = rcv_wnd == 0
		         ? 0
		         : ptcp_seq_in(seq, c->rcv_nxt, c->rcv_nxt + rcv_wnd) ||
		               ptcp_seq_in(seq + seqlen - 1, c->rcv_nxt, c->rcv_nxt + rcv_wnd);
	if (!ok && rcv_wnd == 0 && seq == c->rcv_nxt) {
		/* Zero window: still take valid ACKs and RSTs; text and FIN are dropped
		 * and the drop is answered with an ACK. */
		if (tlen || (flags & PTCP_FIN)) {
			drop(c, PTCP_DROP_RCVBUF);
			c->flags |= F_ACK_NOW;
		}
		tlen = 0;
		flags &= (uint8_t) ~(PTCP_FIN | PTCP_SYN);
		ok = 1;
	}
	if (!ok) {
		drop(c, PTCP_DROP_UNACCEPTABLE);
		/* wholly old data: a duplicate, if it is no RST and lies within a
		 * buffer's worth below RCV.NXT (2^31 away reads as "old" too) */
		if (tlen && !(flags & PTCP_RST) && ptcp_seq_le(seq + tlen, c->rcv_nxt) &&
		    c->rcv_nxt - seq <= c->rcap)
			note_dsack(c, seq, seq + tlen);
		if (!(flags & PTCP_RST)) {
			c->flags |= F_ACK_NOW;
			if (c->state == PTCP_TIME_WAIT && (flags & PTCP_FIN))
				timer_timewait(x); /* a retransmitted FIN restarts 2 MSL */
		}
		return;
	}
	/* Trim to the window: the front below RCV.NXT ... */
	if (ptcp_seq_lt(seq, c->rcv_nxt)) {
		uint32_t dup = c->rcv_nxt - seq;
		if (flags & PTCP_SYN) {
			flags &= (uint8_t)~PTCP_SYN;
			dup--;
			seq++;
		}
		if (dup > tlen)
			dup = tlen;
		if (dup && !(flags & PTCP_RST))
			note_dsack(c, seq, seq + dup);
		off += dup;
		tlen -= dup;
		seq += dup;
	}
	/* ... and the tail beyond RCV.NXT + RCV.WND. */
	if (tlen && ptcp_seq_gt(seq + tlen, c->rcv_nxt + rcv_wnd)) {
		tlen = c->rcv_nxt + rcv_wnd - seq;
		flags &= (uint8_t)~PTCP_FIN;
	}
	/* RFC 9293 3.10.7.4 (fifth, ACK of data not yet sent), the Linux way
	 * (PTCP_CFG_ACK_UNSENT_SILENT): dropped without an answer and before its
	 * timestamp is taken, so a bogus TS val cannot poison TS.Recent.  RSTs and
	 * SYNs go on to their own checks; SYN-RECEIVED answers with a RST below. */
	if ((c->cfg.flags & PTCP_CFG_ACK_UNSENT_SILENT) && c->state >= PTCP_ESTABLISHED &&
	    (flags & PTCP_ACK) && !(flags & (PTCP_RST | PTCP_SYN)) &&
	    ptcp_seq_gt(seg->ack, c->snd_max)) {
		drop(c, PTCP_DROP_BAD_ACK);
		return;
	}
	/* RFC 7323 4.3: remember the timestamp of a segment that covers Last.ACK.sent. */
	if ((c->flags & F_TS) && (seg->opts.present & PTCP_OPT_TS) &&
	    ptcp_seq_le(seg->seq, c->last_ack_sent) && ptcp_seq_ge(seg->opts.ts_val, c->ts_recent))
		c->ts_recent = seg->opts.ts_val;

	/* RFC 3168 6.1.3: a CE mark is echoed with ECE until a CWR arrives. */
	if (c->flags & F_ECN) {
		if (flags & PTCP_CWR)
			c->flags &= ~(uint32_t)F_ECE;
		if ((in->segment.ecn & 3) == 3) {
			c->flags |= F_ECE | F_ACK_NOW;
			STAT_ADD(c, ce_received, 1);
		}
	}

	/* The peer is alive: RFC 1122 4.2.3.6 keep-alive starts over. */
	c->last_rcv = x->now;
	c->ka_probes = 0;

	/* second: RST (RFC 9293 3.10.7.4 with RFC 5961 3.2) */
	if (flags & PTCP_RST) {
		if (seq != c->rcv_nxt) {
			drop(c, PTCP_DROP_RST_INVALID);
			challenge_ack(x); /* RFC 5961 3.2 */
			return;
		}
		switch (c->state) {
		case PTCP_SYN_RECEIVED:
			/* back to LISTEN, unless the application closed it meanwhile */
			if ((c->flags & F_PASSIVE) && !(c->flags & F_APP_CLOSED))
				back_to_listen(x);
			else
				rst_closed(x, (c->flags & F_PASSIVE) ? 0 : PTCP_ECONNREFUSED);
			return;
		case PTCP_ESTABLISHED:
		case PTCP_FIN_WAIT_1:
		case PTCP_FIN_WAIT_2:
		case PTCP_CLOSE_WAIT:
			rst_closed(x, PTCP_ECONNRESET);
			return;
		default: /* CLOSING, LAST-ACK, TIME-WAIT */
			rst_closed(x, 0);
			return;
		}
	}
	/* fourth: SYN (RFC 9293 3.10.7.4 with RFC 5961 4.2) */
	if (flags & PTCP_SYN) {
		if (c->state == PTCP_SYN_RECEIVED && (c->flags & F_PASSIVE)) {
			if (c->flags & F_APP_CLOSED)
				conn_closed(x, 0);
			else
				back_to_listen(x);
			return;
		}
		drop(c, PTCP_DROP_UNACCEPTABLE);
		challenge_ack(x); /* RFC 5961 4.2 */
		return;
	}
	/* fifth: ACK */
	if (!(flags & PTCP_ACK)) {
		drop(c, PTCP_DROP_NO_ACK);
		return;
	}
	if (c->state == PTCP_SYN_RECEIVED) {
		if (!(ptcp_seq_gt(seg->ack, c->snd_una) && ptcp_seq_le(seg->ack, c->snd_max))) {
			size_t n = x->out->n;
			drop(c, PTCP_DROP_BAD_ACK);
			output_rst(x, seg->ack, 0, 0);
			set_reply_addrs(x, in, n);
			return;
		}
		c->retries = 0;
		c->snd_wl1 = seq - 1; /* let this segment set the window */
		conn_established(x);
	}
	if (!process_ack(x, seg, seq, tlen, (flags & PTCP_FIN) != 0))
		return;

	/* sixth: URG is treated as ordinary data (RFC 6093). */

	/* seventh: segment text */
	if (tlen) {
		switch (c->state) {
		case PTCP_ESTABLISHED:
		case PTCP_FIN_WAIT_1:
		case PTCP_FIN_WAIT_2: {
			uint32_t gap = seq - c->rcv_nxt, free = rbuf_free(c), added;
			int ooo_dropped;
			if (c->flags & F_APP_CLOSED) {
				/* RFC 1122 4.2.2.13: data after CLOSE is lost: reset; with
				 * PTCP_CFG_CLOSED_DATA_RST_REPLY the reset is the reply to
				 * this segment (RFC 9293 3.10.7.1 form, SEQ = SEG.ACK). */
				if (c->cfg.flags & PTCP_CFG_CLOSED_DATA_RST_REPLY)
					output_rst_reply(x, seg);
				else
					output_rst(x, c->snd_max, 1, seq + tlen);
				rst_closed(x, 0);
				return;
			}
			if (gap >= free) {
				drop(c, PTCP_DROP_RCVBUF);
				c->flags |= F_ACK_NOW;
				tlen = 0;
				flags &= (uint8_t)~PTCP_FIN;
				break;
			}
			if (tlen > free - gap) {
				tlen = free - gap;
				flags &= (uint8_t)~PTCP_FIN;
			}
			{
				int had_holes = c->nooo > 0, in_order = seq == c->rcv_nxt;
				added = rbuf_place(c, seq, seg, off, tlen, &ooo_dropped);
				if (ooo_dropped)
					drop(c, PTCP_DROP_OOO_FULL);
				ack_policy(x, tlen, added, in_order && !had_holes);
			}
			if (added) {
				STAT_ADD(c, bytes_in, added);
				if (!(c->flags & F_SHUT_RD)) {
					ptcp_action *a = &x->out->v[x->out->n];
					if (x->out->n < x->out->cap) {
						act_zero(a, PTCP_ACT_READABLE);
						a->kind = PTCP_ACT_READABLE;
						a->readable.avail = c->rlen;
						x->out->n++;
					}
				}
				if ((c->flags & F_RFIN_OOO) && c->rcv_nxt == c->rfin_seq)
					process_fin(x);
			}
			break;
		}
		default:
			break; /* after a FIN: ignore the text */
		}
	}

	/* eighth: FIN */
	if (flags & PTCP_FIN) {
		uint32_t fseq = seq + tlen;
		if (fseq == c->rcv_nxt || (c->flags & F_RFIN)) {
			process_fin(x);
		} else if (c->state == PTCP_ESTABLISHED || c->state == PTCP_FIN_WAIT_1 ||
		           c->state == PTCP_FIN_WAIT_2) {
			c->flags |= F_RFIN_OOO | F_ACK_NOW;
			c->rfin_seq = fseq;
		}
	}
}

void input_segment(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_seg *seg = in->segment.seg;
	STAT_ADD(c, segs_in, 1);
	if (c->state == PTCP_CLOSED) {
		in_closed(x, in);
		return;
	}
	if (seg->dport != c->lport || (c->state != PTCP_LISTEN && seg->sport != c->rport)) {
		drop(c, PTCP_DROP_WRONG_PORT);
		return;
	}
	switch (c->state) {
	case PTCP_LISTEN:
		in_listen(x, in);
		break;
	case PTCP_SYN_SENT:
		in_syn_sent(x, in);
		break;
	default:
		in_sync(x, in);
		break;
	}
}

void input_icmp(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	uint32_t seq = in->icmp.seq;
	if (c->state == PTCP_CLOSED || c->state == PTCP_LISTEN ||
	    !(ptcp_seq_ge(seq, c->snd_una) && ptcp_seq_lt(seq, c->snd_max))) {
		/* RFC 5927 4.1: only errors about data in flight are believed. */
		drop(c, PTCP_DROP_ICMP_INVALID);
		return;
	}
	switch (in->icmp.type) {
	case PTCP_ICMP_FRAG_NEEDED: {
		/* RFC 1191 / RFC 8201: shrink the MSS and resend at once. */
		int v6 = c->raddr.family == 6;
		uint32_t hdr = v6 ? 60 : 40;
		uint32_t mtu = in->icmp.mtu, mss;
		if (mtu < (v6 ? 1280u : 68u) || mtu <= hdr + 8)
			return;
		mtup_icmp(c, mtu - hdr); /* RFC 4821: a probe too big is resent from at once */
		mss = mtu - hdr - ((c->flags & F_TS) ? 12u : 0u);
		if (mss < c->snd_mss) {
			c->snd_mss = mss < 32 ? 32 : mss;
			if (c->state >= PTCP_ESTABLISHED) {
				c->snd_nxt = c->snd_una;
				c->flags &= ~(uint32_t)F_RTT;
			}
		}
		return;
	}
	case PTCP_ICMP_PROTO_UNREACH:
	case PTCP_ICMP_PORT_UNREACH:
	case PTCP_ICMP_ADMIN_PROHIBITED:
		/* RFC 1122 4.2.3.9 hard errors; RFC 5461: abort only while connecting. */
		if (c->state == PTCP_SYN_SENT ||
		    (c->state == PTCP_SYN_RECEIVED && !(c->flags & F_PASSIVE))) {
			conn_event(x, PTCP_EV_ERROR, PTCP_EUNREACH);
			conn_closed(x, PTCP_EUNREACH);
			return;
		}
		conn_event(x, PTCP_EV_SOFT_ERROR, PTCP_EUNREACH);
		return;
	case PTCP_ICMP_NET_UNREACH:
	case PTCP_ICMP_HOST_UNREACH:
	case PTCP_ICMP_TIME_EXCEEDED:
		/* RFC 1122 4.2.3.9, RFC 5461 4.1: soft errors, keep trying.  The Linux
		 * profile drops a passive SYN-RECEIVED connection the error is about (the
		 * quoted sequence is our SYN: checked above). */
		if ((c->cfg.flags & PTCP_CFG_ICMP_SYNRECV_HARD) && c->state == PTCP_SYN_RECEIVED &&
		    (c->flags & F_PASSIVE)) {
			conn_event(x, PTCP_EV_ERROR, PTCP_EUNREACH);
			conn_closed(x, PTCP_EUNREACH);
			return;
		}
		conn_event(x, PTCP_EV_SOFT_ERROR, PTCP_EUNREACH);
		return;
	default:
		drop(c, PTCP_DROP_ICMP_INVALID);
		return;
	}
}
