/*
 * mtup.c - packetization-layer path MTU discovery (RFC 4821) for the sender,
 * PTCP_CFG_MTU_PROBE (as Linux's tcp_mtu_probing = 2).
 *
 * IMPLEMENTATION NOTES
 * The search range is kept as MSS values without options (mtu_low, mtu_high:
 * RFC 4821 7.2 search_low and search_high less the IP and TCP headers, which
 * do not change on a connection), so the block needs no address family.  It
 * starts at [mtu_probe_base, the peer's MSS] when the connection is
 * synchronized; the send MSS itself starts as always (the smaller of the
 * peer's MSS and ours, RFC 9293 3.7.1) and only a probe's success raises it.
 * A probe is the next new segment sent at the middle of the range (RFC 4821
 * 7.4, binary search) when the sender is calm (no recovery, timeout, tail
 * probe, duplicate ACKs or out-of-order data to report), cwnd is at least 11
 * segments and the window and the send queue hold the probe plus 4 segments
 * behind it, so that its loss is found by duplicate ACKs (Linux's
 * tcp_mtu_probe makes the same checks).  While a probe is in flight the hot
 * flag F_MTU_PROBE is set, so that the ACK path reads these cold fields only
 * then.  RFC 4821 7.6.1: an ACK that covers the probe makes its size the send
 * MSS and search_low; 7.6.2: a retransmission of any of its bytes (fast
 * retransmit, RACK, the RTO, a tail loss probe), or an ICMP "fragmentation
 * needed" below it, makes search_high its size less one.  The lost bytes are
 * resent by the usual loss recovery, at the current MSS and with its
 * congestion response.  The search ends when the range is narrower than 8
 * bytes (Linux's tcp_probe_threshold) or its middle is not above the send MSS;
 * it restarts 10 minutes later (tcp_probe_interval) from the send MSS to the
 * peer's MSS.  cwnd is in bytes, so a larger MSS changes no window.
 */
#include "internal.h"

#define PROBE_NEED_SEGS 4u      /* segments queued behind a probe: dupthresh + 1 */
#define PROBE_MIN_CWND  11u     /* segments of cwnd before probing */
#define PROBE_THRESHOLD 8u      /* bytes: a narrower range ends the search */
#define REPROBE_MS      600000u /* the search restarts 10 minutes after it ended */

static uint32_t opt_len(const ptcp_conn *c)
{
	return (c->flags & F_TS) ? 12u : 0u;
}

void mtup_init(ptcp_conn *c)
{
	if (!(c->cfg.flags & PTCP_CFG_MTU_PROBE))
		return;
	/* RFC 4821 7.2: search_low from the configuration (Linux's tcp_base_mss),
	 * search_high the largest segment the peer accepts */
	c->mtu_low = c->mtu_base;
	c->mtu_high = c->peer_mss;
	c->mtu_probe = 0;
	c->mtu_probe_end = 0;
	c->flags &= ~(uint32_t)F_MTU_PROBE;
}

/* The first octet of the probe in flight. */
static uint32_t probe_start(const ptcp_conn *c)
{
	return c->mtu_probe_end - (c->mtu_probe - opt_len(c));
}

/* The search is over (for now): restart it REPROBE_MS after that. */
static int search_over(ptcp_conn *c, ptcp_time_t now)
{
	uint32_t ms = (uint32_t)(now / 1000u) | 1u; /* 0: not stamped yet */
	uint32_t cur = c->snd_mss + opt_len(c);
	if (!c->mtu_probe_end) {
		c->mtu_probe_end = ms;
		return 1;
	}
	if (ms - c->mtu_probe_end < REPROBE_MS || c->peer_mss <= cur + PROBE_THRESHOLD)
		return 1;
	/* RFC 4821 7.7 (periodic re-probing for an increase), as Linux's
	 * tcp_mtu_check_reprobe: from the MSS in use to the peer's */
	c->mtu_low = (uint16_t)cur;
	c->mtu_high = c->peer_mss;
	c->mtu_probe_end = ms;
	return 0;
}

uint32_t mtup_probe_len(step_ctx *x, uint32_t len)
{
	ptcp_conn *c = x->c;
	uint32_t unsent = snd_unsent(c), cur, probe, plen, need;
	if (c->snd_nxt != c->snd_max || unsent <= len || c->nsb ||
	    (c->flags &
	     (F_MTU_PROBE | F_INRECOVERY | F_RTO_LOSS | F_DSACK | F_WND_PROBE | F_FORCE1)) ||
	    c->dupacks || c->tlp_end_seq || c->nooo ||
	    (c->state != PTCP_ESTABLISHED && c->state != PTCP_CLOSE_WAIT))
		return len;
	cur = c->snd_mss + opt_len(c);
	probe = ((uint32_t)c->mtu_low + c->mtu_high) / 2u;
	/* RFC 4821 7.4: the middle of the range; nothing left to find when it is
	 * narrow or its middle is not above the MSS in use */
	if (c->mtu_high < (uint32_t)c->mtu_low + PROBE_THRESHOLD || probe <= cur) {
		if (search_over(c, x->now))
			return len;
		probe = ((uint32_t)c->mtu_low + c->mtu_high) / 2u;
		if (probe <= cur)
			return len;
	}
	plen = probe - opt_len(c);
	need = plen + PROBE_NEED_SEGS * c->snd_mss;
	/* RFC 4821 7.5: only when the probe's loss would be found quickly and
	 * the windows let it and the segments behind it go */
	if (c->cwnd < PROBE_MIN_CWND * c->snd_mss || unsent < need || snd_by_wnd(c) < need ||
	    c->snd_wnd < need || snd_by_cwnd(c, c->cwnd) < plen)
		return len;
	return plen;
}

void mtup_probe_sent(ptcp_conn *c, uint32_t seq, uint32_t len)
{
	c->mtu_probe = (uint16_t)(len + opt_len(c));
	c->mtu_probe_end = seq + len;
	c->flags |= F_MTU_PROBE;
	STAT_ADD(c, mtu_probes, 1);
}

/* RFC 4821 7.6.2: the probe is lost (or too big): search_high below it. */
static void probe_failed(ptcp_conn *c)
{
	c->mtu_high = (uint16_t)(c->mtu_probe - 1u);
	c->mtu_probe = 0;
	c->mtu_probe_end = 0;
	c->flags &= ~(uint32_t)F_MTU_PROBE;
	STAT_ADD(c, mtu_probe_failures, 1);
}

void mtup_on_ack(ptcp_conn *c, uint32_t ack)
{
	if (!ptcp_seq_ge(ack, c->mtu_probe_end))
		return;
	/* RFC 4821 7.6.1: the path carries the probe's size */
	c->mtu_low = c->mtu_probe;
	c->snd_mss = c->mtu_probe - opt_len(c);
	c->mtu_probe = 0;
	c->mtu_probe_end = 0;
	c->flags &= ~(uint32_t)F_MTU_PROBE;
}

void mtup_resent(ptcp_conn *c, uint32_t seq, uint32_t len)
{
	if (ptcp_seq_lt(seq, c->mtu_probe_end) && ptcp_seq_gt(seq + len, probe_start(c)))
		probe_failed(c);
}

void mtup_icmp(ptcp_conn *c, uint32_t mss)
{
	if (!(c->cfg.flags & PTCP_CFG_MTU_PROBE))
		return;
	if ((c->flags & F_MTU_PROBE) && mss < c->mtu_probe) {
		/* the probe was dropped: send again from it at once (RFC 1191 6.5) */
		uint32_t start = probe_start(c);
		probe_failed(c);
		if (ptcp_seq_ge(start, c->snd_una) && ptcp_seq_lt(start, c->snd_nxt)) {
			c->snd_nxt = start;
			c->flags &= ~(uint32_t)F_RTT;
		}
	}
	/* RFC 4821 7.6.2 with RFC 1191: the top of the search is what the
	 * network says fits */
	if (mss < c->mtu_high)
		c->mtu_high = (uint16_t)mss;
}
