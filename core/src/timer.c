/*
 * Timers and the RTT estimator.
 *
 * IMPLEMENTATION NOTES
 * Each timer is one absolute deadline in the block (0 = off): the
 * retransmission/persist timer, TIME-WAIT and FIN-WAIT-2.  timer_next()
 * returns the earliest, which ptcp_step() reports; the caller feeds a
 * PTCP_IN_TIME input at or after it and timer_fire() runs what is due.
 * There is no periodic tick.
 */
#include "internal.h"

/* timer_tsval(): internal.h (inline: every ACK takes it). */

/* RFC 6298 2.4 / 2.5: rto_min <= RTO <= rto_max (< 2^32 us: the block's 32 bits). */
static uint32_t clamp_rto(const ptcp_conn *c, ptcp_time_t rto)
{
	if (rto < c->cfg.rto_min)
		rto = c->cfg.rto_min;
	if (rto > c->cfg.rto_max)
		rto = c->cfg.rto_max;
	return (uint32_t)rto;
}

/* RFC 6298 2.3: RTO = SRTT + max(G, K*RTTVAR) with G = 1 ms, K = 4, then
 * 2.4's minimum on the sum; with PTCP_CFG_RTO_LINUX the minimum bounds the
 * variance term instead (Linux), so RTO >= SRTT + rto_min. */
static uint32_t rto_of(const ptcp_conn *c)
{
	ptcp_time_t var = 4 * (ptcp_time_t)c->rttvar, floor = PTCP_MS(1);
	if (c->cfg.flags & PTCP_CFG_RTO_LINUX)
		floor = c->cfg.rto_min;
	return clamp_rto(c, c->srtt + (var > floor ? var : floor));
}

/* RFC 6298 2.2 and 2.3 (G = 1 ms). */
void timer_rtt_sample(ptcp_conn *c, ptcp_time_t r)
{
	/* 64-bit arithmetic on the block's 32-bit values: each result stays
	 * below 2^32 (a mean of values below 2^32) */
	ptcp_time_t srtt = c->srtt, rttvar = c->rttvar;
	if (r > UINT32_MAX)
		r = UINT32_MAX;
	if (r < 0xffffffffu && (!c->rtt_min || r < c->rtt_min))
		c->rtt_min = (uint32_t)(r ? r : 1); /* RACK.min_RTT (RFC 8985 6.2) */
	if (srtt == 0) {
		srtt = r ? r : 1;
		rttvar = r / 2;
	} else {
		ptcp_time_t d = srtt > r ? srtt - r : r - srtt;
		rttvar = (3 * rttvar + d) / 4;
		srtt = (7 * srtt + r) / 8;
		if (srtt == 0)
			srtt = 1;
	}
	c->srtt = (uint32_t)srtt;
	c->rttvar = (uint32_t)rttvar;
	c->rto = rto_of(c);
}

/* RFC 8985 7.2: may a tail loss probe be scheduled instead of the RTO? */
static int tlp_eligible(const ptcp_conn *c)
{
	return (c->cfg.flags & PTCP_CFG_TLP) && (c->flags & F_SACK_SND) && c->srtt &&
	       !(c->flags & F_INRECOVERY) && !c->tlp_end_seq && !c->retries &&
	       c->snd_una != c->snd_max &&
	       (c->state == PTCP_ESTABLISHED || c->state == PTCP_CLOSE_WAIT ||
	        c->state == PTCP_FIN_WAIT_1 || c->state == PTCP_CLOSING ||
	        c->state == PTCP_LAST_ACK);
}

/* The retransmission timer from now: the probe timeout when a TLP may be sent
 * and it comes before the RTO (RFC 8985 7.2), else the RTO (RFC 6298 5.1). */
static void rexmit_schedule(step_ctx *x)
{
	ptcp_conn *c = x->c;
	c->flags &= ~(uint32_t)F_TLP_ARMED;
	c->t_rexmit = x->now + c->rto;
	/* RFC 5482: the user timeout is not overshot by a long backed-off RTO */
	if (c->cfg.user_timeout && c->t_first_rexmit &&
	    c->t_first_rexmit + c->cfg.user_timeout < c->t_rexmit &&
	    c->t_first_rexmit + c->cfg.user_timeout > x->now)
		c->t_rexmit = c->t_first_rexmit + c->cfg.user_timeout;
	if (tlp_eligible(c)) {
		/* PTO = 2 SRTT, plus the worst delayed ACK when one segment is out,
		 * else a 2 ms margin (as Linux); never later than the RTO: the probe
		 * then replaces the RTO's first expiry (RFC 8985 7.2) */
		ptcp_time_t pto = 2 * (ptcp_time_t)c->srtt;
		pto += c->snd_max - c->snd_una <= c->snd_mss ? PTCP_MS(200) : PTCP_MS(2);
		if (pto > c->rto)
			pto = c->rto;
		c->t_rexmit = x->now + pto;
		c->flags |= F_TLP_ARMED;
	}
}

/* RFC 8985 7.2: after sending new data, the probe timeout starts again. */
void timer_pto_restart(step_ctx *x)
{
	if (tlp_eligible(x->c))
		rexmit_schedule(x);
}

void timer_rexmit_arm(step_ctx *x)
{
	ptcp_conn *c = x->c;
	if (!c->t_rexmit)
		rexmit_schedule(x);
	if (!c->t_first_rexmit)
		c->t_first_rexmit = x->now;
}

void timer_rexmit_restart(step_ctx *x)
{
	ptcp_conn *c = x->c;
	/* RFC 6298 5.3, and 5.7: a new ACK ends the backoff. */
	if (c->srtt)
		c->rto = rto_of(c);
	rexmit_schedule(x);
	if (!c->t_first_rexmit)
		c->t_first_rexmit = x->now;
}

void timer_rexmit_stop(ptcp_conn *c)
{
	c->t_rexmit = 0;
	c->flags &= ~(uint32_t)F_TLP_ARMED;
	c->t_first_rexmit = 0;
	if (c->srtt)
		c->rto = rto_of(c);
}

void timer_timewait(step_ctx *x)
{
	ptcp_conn *c = x->c;
	/* RFC 9293 3.10.7.4: TIME-WAIT lasts 2 MSL; other timers stop. */
	c->t_rexmit = 0;
	c->t_close = x->now + 2 * (ptcp_time_t)c->cfg.msl; /* replaces FIN-WAIT-2's */
	conn_set_state(x, PTCP_TIME_WAIT);
}

static void keepalive_fire(step_ctx *x);

static void rexmit_fire(step_ctx *x)
{
	ptcp_conn *c = x->c;
	uint32_t data_end = c->sbuf_seq + c->slen;
	unsigned limit;
	int in_recovery;
	c->t_rexmit = 0;
	/* RFC 9293 3.8.6.1: the persist timer, when the peer's window is zero. */
	if (c->state >= PTCP_ESTABLISHED && c->snd_una == c->snd_max &&
	    ptcp_seq_lt(c->snd_nxt, data_end)) {
		/* nothing in flight but data waits: a closed window, or a window
		 * too small to send without SWS (RFC 1122 4.2.3.4 override) */
		c->flags |= F_FORCE1;
		c->rto = clamp_rto(c, 2 * (ptcp_time_t)c->rto);
		return;
	}
	if (c->snd_una == c->snd_max)
		return; /* nothing outstanding */
	if (c->flags & F_TLP_ARMED) {
		/* RFC 8985 7.3: the probe; the RTO follows if it is not answered */
		c->flags &= ~(uint32_t)F_TLP_ARMED;
		c->flags |= F_TLP_PROBE;
		STAT_ADD(c, tlp_probes, 1);
		c->t_rexmit = x->now + c->rto;
		return;
	}
	limit = c->state == PTCP_SYN_SENT       ? c->cfg.syn_retries
	        : c->state == PTCP_SYN_RECEIVED ? c->cfg.synack_retries
	                                        : c->cfg.max_retries;
	/* RFC 9293 3.8.3 (R2) and the user timeout (RFC 5482). */
	if (c->retries >= limit ||
	    (c->cfg.user_timeout && x->now - c->t_first_rexmit >= c->cfg.user_timeout)) {
		c->slen = 0;
		conn_event(x, PTCP_EV_TIMEDOUT, PTCP_ETIMEDOUT);
		conn_closed(x, PTCP_ETIMEDOUT);
		return;
	}
	c->retries++;
	STAT_ADD(c, rto_fired, 1);
	c->rto = clamp_rto(c, 2 * (ptcp_time_t)c->rto); /* RFC 6298 5.5 */
	in_recovery = (c->flags & F_INRECOVERY) != 0;
	c->flags &= ~(uint32_t)(F_RTT | F_INRECOVERY); /* Karn */
	c->t_reo = 0;
	rack_reset(c); /* go-back-N sends the flight again */
	c->dupacks = 0;
	if (c->state == PTCP_SYN_SENT || c->state == PTCP_SYN_RECEIVED) {
		c->snd_nxt = c->iss; /* the SYN or SYN-ACK again */
		return;
	}
	/* RFC 5681 3.1 eq. 4 and the loss window; ssthresh is held on a second
	 * timeout of the same data (RFC 5681 3.1). */
	/* RFC 5681 3.1 / RFC 6675 5.1: a timeout in fast recovery is the same
	 * loss episode, whose entry already set ssthresh; recomputing it from
	 * the cwnd that recovery shrank (PRR, RFC 9937 4) would cut it twice
	 * for one congestion event - CUBIC's W_max (RFC 9438 4.6) fell to a few
	 * segments after every burst loss.  Linux's tcp_enter_loss likewise
	 * keeps ssthresh when the timeout hits during Recovery. */
	if (c->retries == 1 && !in_recovery)
		c->ssthresh = c->cfg.cc->ssthresh(c, x->now);
	c->cfg.cc->on_rto(c, x->now);
	c->cwnd = c->snd_mss;
	/* RFC 6675 5.1 / RFC 6582 3.2 (4): after a timeout, recover is the highest
	 * octet sent, and no new fast recovery starts before it is acknowledged:
	 * the holes below it are this episode's losses, already paid for. */
	if (!(c->flags & F_RTO_LOSS) || ptcp_seq_gt(c->snd_max, c->recover))
		c->recover = c->snd_max;
	c->flags |= F_RTO_LOSS;
	if (c->loss) /* the scoreboard is kept: go-back-N skips SACKed data */
		c->loss->high_rxt = c->snd_una;
	/* RFC 6298 5.4: the timeout resends the earliest unacknowledged data even
	 * when the peer's window has closed meanwhile (then as a 1-byte probe,
	 * RFC 9293 3.8.6.1). */
	c->flags |= F_FORCE1;
	c->snd_nxt = c->snd_una;
}

void timer_fire(step_ctx *x)
{
	ptcp_conn *c = x->c;
	if (c->t_close && x->now >= c->t_close) {
		/* TIME-WAIT's 2 MSL (RFC 9293 3.10.8) or the FIN-WAIT-2 timeout */
		c->t_close = 0;
		if (c->state == PTCP_TIME_WAIT || c->state == PTCP_FIN_WAIT_2) {
			conn_closed(x, 0);
			return;
		}
	}
	if (c->t_delack && x->now >= c->t_delack) {
		c->t_delack = 0;
		c->flags |= F_ACK_NOW;
	}
	if (c->t_keepalive && x->now >= c->t_keepalive)
		keepalive_fire(x);
	if (c->t_reo && x->now >= c->t_reo) {
		c->t_reo = 0;
		/* RFC 8985 6.3 RACK_reo_timeout: detect again; losses start recovery */
		if (rack_on(c) && c->state >= PTCP_ESTABLISHED)
			rack_step(x, 1);
	}
	if (c->t_rexmit && x->now >= c->t_rexmit)
		rexmit_fire(x);
}

/*
 * RFC 9293 3.8.4 / RFC 1122 4.2.3.6 keep-alive: after keepalive_idle without
 * a segment from the peer, send <SEQ=SND.UNA-1><ACK=RCV.NXT> every
 * keepalive_intvl; after keepalive_cnt unanswered probes, give up.
 */
static void keepalive_fire(step_ctx *x)
{
	ptcp_conn *c = x->c;
	c->t_keepalive = 0;
	if (c->state != PTCP_ESTABLISHED && c->state != PTCP_CLOSE_WAIT)
		return;
	if (x->now - c->last_rcv < c->cfg.keepalive_idle && !c->ka_probes)
		return; /* re-armed by timer_keepalive_arm */
	if (c->ka_probes >= c->cfg.keepalive_cnt) {
		conn_event(x, PTCP_EV_TIMEDOUT, PTCP_ETIMEDOUT);
		conn_closed(x, PTCP_ETIMEDOUT);
		return;
	}
	c->ka_probes++;
	output_keepalive(x);
	c->t_keepalive = x->now + c->cfg.keepalive_intvl;
}
