/*
 * RACK: time-based loss detection (RFC 8985 section 6).
 *
 * IMPLEMENTATION NOTES
 * RACK needs the send time of every segment in flight.  The block keeps it
 * compactly as a send-time log: c->loss->rack_log[0..nrack) are ranges sorted by
 * sequence, entry i covering [seq_i, seq_{i+1}) and the last one up to
 * SND.MAX; each has the (truncated, 32-bit) microsecond time of its latest
 * transmission and two flags in the time's low bits: RTX (the range was
 * retransmitted: the copy in flight is a retransmission) and LOST (RACK
 * marked it lost; it is not in flight until it is sent again).  A burst sent
 * in one step is one entry.  When the log is full, the two neighbours whose
 * times are closest merge and keep the later time (RACK then waits a little
 * longer for the older octets: never a spurious loss, at most a later one).
 *
 * RACK's own state (RFC 8985 6.1): RACK.xmit_ts / end_seq / rtt, RACK.fack,
 * reordering_seen, the DSACK round and the reo_wnd multiplier.  RACK.min_RTT
 * is c->rtt_min (timer.c).  Delivery is taken from what an ACK newly
 * acknowledges or SACKs; a SACK of less than a segment of a range does not
 * count as a delivered segment (Linux SACKs whole segments only).
 */
#include "internal.h"

#define DUPTHRESH 3u
#define T_LOST    1u /* low bits of rack_log[].ts */
#define T_RTX     2u
#define T_FLAGS   3u

#define REO_TIMER_PAD 2000u /* us: Linux's TCP_TIMEOUT_MIN (2 ms at HZ=1000) */

enum {
	RK_VALID = 1u << 0,       /* RACK.xmit_ts / end_seq hold a delivered segment */
	RK_FACK = 1u << 1,        /* RACK.fack is set */
	RK_REORD = 1u << 2,       /* RACK.reordering_seen */
	RK_DSACK_ROUND = 1u << 3, /* RACK.dsack_round is set */
};

/* the log entry time, flags stripped (32-bit microseconds, wrapping) */
static uint32_t ts_of(uint32_t t)
{
	return t & ~T_FLAGS;
}

/* signed difference a - b of two wrapping 32-bit microsecond times */
static int32_t ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(ts_of(a) - ts_of(b));
}

static uint32_t entry_end(const ptcp_conn *c, unsigned i)
{
	return i + 1 < c->nrack ? c->loss->rack_log[i + 1].seq : c->snd_max;
}

/* RFC 8985 6.2 RACK_sent_after(t1, seq1, t2, seq2) */
static int sent_after(uint32_t t1, uint32_t seq1, uint32_t t2, uint32_t seq2)
{
	int32_t d = ts_diff(t1, t2);
	return d > 0 || (d == 0 && ptcp_seq_gt(seq1, seq2));
}

static void remove_at(ptcp_conn *c, unsigned i)
{
	memmove(&c->loss->rack_log[i], &c->loss->rack_log[i + 1],
	        (c->nrack - i - 1) * sizeof(c->loss->rack_log[0]));
	c->nrack--;
}

/* Neighbours with the same time and flags are one range. */
static void coalesce_equal(ptcp_conn *c)
{
	for (unsigned i = 0; i + 1 < c->nrack;) {
		if (c->loss->rack_log[i].ts == c->loss->rack_log[i + 1].ts)
			remove_at(c, i + 1);
		else
			i++;
	}
}

/* Merge the two neighbours whose times are closest (same flags first). */
static void merge_closest(ptcp_conn *c)
{
	unsigned best = 0;
	uint32_t best_cost = 0xffffffffu;
	for (unsigned i = 0; i + 1 < c->nrack; i++) {
		uint32_t a = c->loss->rack_log[i].ts, b = c->loss->rack_log[i + 1].ts;
		int32_t d = ts_diff(a, b);
		uint32_t cost = d < 0 ? (uint32_t) - (int64_t)d : (uint32_t)d;
		if ((a & T_FLAGS) != (b & T_FLAGS))
			cost = cost > 0x7fffffffu ? 0xffffffffu : cost | 0x80000000u;
		if (cost < best_cost) {
			best_cost = cost;
			best = i;
		}
	}
	{
		uint32_t a = c->loss->rack_log[best].ts, b = c->loss->rack_log[best + 1].ts;
		/* the later time; LOST only if both were, RTX if either was */
		uint32_t t = ts_diff(a, b) >= 0 ? ts_of(a) : ts_of(b);
		c->loss->rack_log[best].ts = t | (a & b & T_LOST) | ((a | b) & T_RTX);
		remove_at(c, best + 1);
	}
}

/* Leave room for n more entries. */
static void make_room_for(ptcp_conn *c, unsigned n)
{
	while (c->nrack > PTCP_RACK_LOG - n)
		merge_closest(c);
}

static void make_room(ptcp_conn *c)
{
	make_room_for(c, 1);
}

/* Make seq the start of an entry (seq strictly inside the logged span). */
static void split_at(ptcp_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->nrack; i++) {
		uint32_t l = c->loss->rack_log[i].seq, r = entry_end(c, i);
		if (ptcp_seq_gt(seq, l) && ptcp_seq_lt(seq, r)) {
			make_room(c);
			/* make_room may have merged entry i with a neighbour: look again */
			for (i = 0; i < c->nrack; i++) {
				l = c->loss->rack_log[i].seq;
				r = entry_end(c, i);
				if (ptcp_seq_gt(seq, l) && ptcp_seq_lt(seq, r))
					break;
			}
			memmove(&c->loss->rack_log[i + 2], &c->loss->rack_log[i + 1],
			        (c->nrack - i - 1) * sizeof(c->loss->rack_log[0]));
			c->loss->rack_log[i + 1].seq = seq;
			c->loss->rack_log[i + 1].ts = c->loss->rack_log[i].ts;
			c->nrack++;
			return;
		}
	}
}

/* Forget what SND.UNA passed. */
static void trim(ptcp_conn *c)
{
	while (c->nrack && ptcp_seq_le(entry_end(c, 0), c->snd_una) &&
	       ptcp_seq_lt(c->snd_una, c->snd_max))
		remove_at(c, 0);
	if (c->nrack && ptcp_seq_lt(c->loss->rack_log[0].seq, c->snd_una))
		c->loss->rack_log[0].seq = c->snd_una;
	if (c->snd_una == c->snd_max)
		c->nrack = 0;
}

void rack_sent(ptcp_conn *c, uint32_t seq, uint32_t len, ptcp_time_t now, int rtx)
{
	uint32_t t = ((uint32_t)now & ~T_FLAGS) | (rtx ? T_RTX : 0u), r = seq + len;
	unsigned i;
	if (!len)
		return;
	trim(c);
	if (ptcp_seq_lt(c->snd_una, c->snd_max) &&
	    (!c->nrack || ptcp_seq_lt(c->snd_una, c->loss->rack_log[0].seq))) {
		/* flight not logged (RACK came on later): taken as sent now, so
		 * that RACK judges it only after a full RACK.rtt + reo_wnd */
		make_room(c);
		memmove(&c->loss->rack_log[1], &c->loss->rack_log[0],
		        c->nrack * sizeof(c->loss->rack_log[0]));
		c->loss->rack_log[0].seq = c->snd_una;
		c->loss->rack_log[0].ts = (uint32_t)now & ~T_FLAGS;
		c->nrack++;
	}
	/* RFC 8985 6.1: Segment.xmit_ts and Segment.retransmitted */
	if (!ptcp_seq_lt(seq, c->snd_max)) {
		/* new data at SND.MAX: extends the last range or starts one */
		if (c->nrack && c->loss->rack_log[c->nrack - 1].ts == t)
			return;
		make_room(c);
		c->loss->rack_log[c->nrack].seq = seq;
		c->loss->rack_log[c->nrack].ts = t;
		c->nrack++;
		return;
	}
	if (ptcp_seq_lt(seq, c->loss->rack_log[0].seq))
		return;      /* below SND.UNA */
	make_room_for(c, 2); /* the two splits below must not merge each other away */
	split_at(c, seq);
	if (ptcp_seq_lt(r, c->snd_max))
		split_at(c, r);
	for (i = 0; i < c->nrack && c->loss->rack_log[i].seq != seq; i++)
		;
	if (i == c->nrack)
		return; /* cannot happen: split_at made the boundary */
	c->loss->rack_log[i].ts = t;
	/* drop the entries the new range covers */
	while (i + 1 < c->nrack && ptcp_seq_lt(c->loss->rack_log[i + 1].seq, r))
		remove_at(c, i + 1);
	coalesce_equal(c);
}

/*
 * The transmission unit around seq: the logged range holding it (a burst
 * sent in one step, cut where parts were sent again), else [SND.UNA,
 * SND.MAX) when the log does not cover seq.  Segments of a unit start at
 * its start, one SMSS apart (output.c sends MSS-sized segments).
 */
void rack_unit(const ptcp_conn *c, uint32_t seq, uint32_t *l, uint32_t *r)
{
	*l = c->snd_una;
	*r = c->snd_max;
	if (!rack_on(c))
		return;
	for (unsigned i = 0; i < c->nrack; i++) {
		uint32_t el = c->loss->rack_log[i].seq, er = entry_end(c, i);
		if (ptcp_seq_ge(seq, el) && ptcp_seq_lt(seq, er)) {
			*l = el;
			*r = er;
			return;
		}
	}
}

void rack_reset(ptcp_conn *c)
{
	for (unsigned i = 0; i < c->nrack; i++)
		c->loss->rack_log[i].ts &= ~T_LOST;
	coalesce_equal(c);
}

/* RFC 8985 6.2 steps 2 and 3 for a delivered segment [.., end) sent at ts. */
static void delivered(ptcp_conn *c, uint32_t ts, uint32_t end, ptcp_time_t now)
{
	int rtx = (ts & T_RTX) != 0;
	int32_t rtt = ts_diff((uint32_t)now, ts);
	if (rtt < 0)
		rtt = 0;
	/* RFC 8985 6.2 step 2: a retransmitted segment acknowledged within
	 * min_RTT was likely the original: ambiguous, not used */
	if (rtx && c->rtt_min && (uint32_t)rtt < c->rtt_min)
		return;
	c->rack_rtt = (uint32_t)rtt;
	if (!(c->rack_flags & RK_VALID) || sent_after(ts, end, c->rack_ts, c->rack_end)) {
		c->rack_ts = ts_of(ts);
		c->rack_end = end;
		c->rack_flags |= RK_VALID;
	}
	/* RFC 8985 6.2 step 3: delivered below the highest delivered, never
	 * retransmitted: the network reorders */
	if (!(c->rack_flags & RK_FACK) || ptcp_seq_gt(end, c->rack_fack)) {
		c->rack_fack = end;
		c->rack_flags |= RK_FACK;
	} else if (ptcp_seq_lt(end, c->rack_fack) && !rtx) {
		c->rack_flags |= RK_REORD;
	}
}

/* [l, r) was newly delivered: each logged range in it is a delivered segment. */
static void deliver_piece(ptcp_conn *c, uint32_t l, uint32_t r, int cumulative, ptcp_time_t now)
{
	for (unsigned i = 0; i < c->nrack; i++) {
		uint32_t el = c->loss->rack_log[i].seq, er = entry_end(c, i);
		uint32_t a = ptcp_seq_gt(el, l) ? el : l, b = ptcp_seq_lt(er, r) ? er : r;
		if (!ptcp_seq_lt(a, b))
			continue;
		/* a SACK of less than a segment of the range is not a segment
		 * delivered (with PTCP_CFG_SACK_WHOLE_SEG the scoreboard holds
		 * whole segments only, a burst's short last one too) */
		if (!cumulative && !(c->cfg.flags & PTCP_CFG_SACK_WHOLE_SEG) &&
		    b - a < min_u32(c->snd_mss, er - el))
			continue;
		delivered(c, c->loss->rack_log[i].ts, b, now);
	}
}

/* Call deliver_piece for the parts of [l, r) outside the old scoreboard. */
static void deliver_new(ptcp_conn *c, uint32_t l, uint32_t r, const ptcp_sack_block *osb,
                        unsigned onsb, int cumulative, ptcp_time_t now)
{
	for (unsigned k = 0; k < onsb && ptcp_seq_lt(l, r); k++) {
		if (ptcp_seq_le(osb[k].right, l))
			continue;
		if (ptcp_seq_ge(osb[k].left, r))
			break;
		if (ptcp_seq_lt(l, osb[k].left))
			deliver_piece(c, l, osb[k].left, cumulative, now);
		l = osb[k].right;
	}
	if (ptcp_seq_lt(l, r))
		deliver_piece(c, l, r, cumulative, now);
}

void rack_on_ack(ptcp_conn *c, uint32_t ack, const ptcp_sack_block *osb, unsigned onsb, int dsack,
                 ptcp_time_t now)
{
	uint32_t floor = ptcp_seq_gt(ack, c->snd_una) ? ack : c->snd_una;
	/* RFC 8985 6.2 step 1 (RACK.min_RTT) is timer_rtt_sample's; steps 2-3
	 * for each segment this ACK newly delivers, in sequence order */
	if (ptcp_seq_gt(ack, c->snd_una))
		deliver_new(c, c->snd_una, ack, osb, onsb, 1, now);
	for (unsigned i = 0; i < c->nsb; i++) {
		uint32_t l = c->loss->sb[i].left, r = c->loss->sb[i].right;
		if (ptcp_seq_lt(l, floor))
			l = floor;
		if (ptcp_seq_lt(l, r))
			deliver_new(c, l, r, osb, onsb, 0, now);
	}
	/* RFC 8985 6.2 step 4: a DSACK widens reo_wnd by min_RTT / 4, once per
	 * round trip; the widening lasts 16 recoveries */
	if ((c->rack_flags & RK_DSACK_ROUND) && ptcp_seq_ge(floor, c->rack_dsack_round))
		c->rack_flags &= (uint8_t)~RK_DSACK_ROUND;
	if (dsack && !(c->rack_flags & RK_DSACK_ROUND)) {
		c->rack_dsack_round = c->snd_max;
		c->rack_flags |= RK_DSACK_ROUND;
		if (c->rack_reo_mult < 255)
			c->rack_reo_mult = (uint8_t)((c->rack_reo_mult ? c->rack_reo_mult : 1) + 1);
		c->rack_reo_persist = 16;
	}
}

void rack_recovery_done(ptcp_conn *c)
{
	/* RFC 8985 6.2 step 4: after 16 recoveries without a DSACK, back to 1 */
	if (c->rack_reo_persist && --c->rack_reo_persist == 0)
		c->rack_reo_mult = 1;
}

/* RFC 8985 6.2 step 4: RACK.reo_wnd */
uint32_t rack_reo_wnd(const ptcp_conn *c)
{
	uint32_t mult = c->rack_reo_mult ? c->rack_reo_mult : 1, w;
	if (!(c->rack_flags & RK_REORD)) {
		/* no reordering seen: aggressive in recovery, and once DupThresh
		 * segments are SACKed */
		if (c->flags & (F_INRECOVERY | F_RTO_LOSS))
			return 0;
		if (prr_sacked(c) >= DUPTHRESH * c->snd_mss)
			return 0;
	}
	w = c->rtt_min ? c->rtt_min / 4 : 1000;
	{
		uint64_t wm = (uint64_t)w * mult; /* RACK.reo_wnd_mult steps */
		w = wm > 0xffffffffu ? 0xffffffffu : (uint32_t)wm;
	}
	if (c->srtt && c->srtt < w)
		w = (uint32_t)c->srtt;
	/* a floor of 1 ms (ours, as Linux's timer floor TCP_TIMEOUT_MIN): a
	 * microsecond min_RTT (both ends on one host) would make every SACK
	 * an immediate loss, the window RFC 8985 6.2 wants gone */
	return max_u32(w, 1000);
}

/* SACKed octets of [l, r) */
static uint32_t sacked_in(const ptcp_conn *c, uint32_t l, uint32_t r)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < c->nsb; i++) {
		uint32_t a = ptcp_seq_gt(c->loss->sb[i].left, l) ? c->loss->sb[i].left : l;
		uint32_t b = ptcp_seq_lt(c->loss->sb[i].right, r) ? c->loss->sb[i].right : r;
		if (ptcp_seq_lt(a, b))
			n += b - a;
	}
	return n;
}

/*
 * RFC 8985 6.2 step 5 RACK_detect_loss: every range sent before RACK's
 * segment and not delivered is lost once RACK.rtt + reo_wnd has passed since
 * it was sent; the reordering timer waits for the longest such remainder.
 * Returns the ranges newly marked lost.
 */
static unsigned detect_loss(ptcp_conn *c, ptcp_time_t now, uint32_t *timeout)
{
	uint32_t reo = rack_reo_wnd(c), wait = 0;
	unsigned lost = 0;
	*timeout = 0;
	if (!(c->rack_flags & RK_VALID))
		return 0;
	/* the part of RACK's own range below RACK.end_seq was sent before it */
	if (ptcp_seq_lt(c->rack_end, c->snd_max))
		split_at(c, c->rack_end);
	for (unsigned i = 0; i < c->nrack; i++) {
		uint32_t t = c->loss->rack_log[i].ts, l = c->loss->rack_log[i].seq,
		         r = entry_end(c, i);
		int64_t remaining;
		if (t & T_LOST)
			continue; /* lost and not yet sent again */
		/* RACK_sent_after(RACK.xmit_ts, RACK.end_seq, xmit_ts, end_seq); a
		 * range of RACK's own send time ends at or below RACK.end_seq (split) */
		if (ts_diff(c->rack_ts, t) < 0 ||
		    (ts_diff(c->rack_ts, t) == 0 && !ptcp_seq_lt(l, c->rack_end)))
			continue;
		if (sacked_in(c, l, r) == r - l)
			continue;
		remaining = (int64_t)ts_diff(t, (uint32_t)now) + c->rack_rtt + reo;
		if (remaining <= 0) {
			c->loss->rack_log[i].ts |= T_LOST;
			lost++;
		} else if ((uint64_t)remaining > wait) {
			wait = (uint32_t)remaining;
		}
	}
	coalesce_equal(c);
	*timeout = wait;
	return lost;
}

unsigned rack_step(step_ctx *x, int timer)
{
	ptcp_conn *c = x->c;
	uint32_t wait;
	unsigned lost;
	trim(c);
	lost = detect_loss(c, x->now, &wait);
	/* RFC 8985 6.3: the reordering timer for the ranges still in the window;
	 * PTCP_CFG_REO_TIMER_LINUX: 2 ms later (tcp_rack_mark_lost adds
	 * TCP_TIMEOUT_MIN to the wait) */
	if (wait && (c->cfg.flags & PTCP_CFG_REO_TIMER_LINUX))
		wait += REO_TIMER_PAD;
	c->t_reo = wait ? x->now + wait : 0;
	if (lost && !(c->flags & (F_INRECOVERY | F_RTO_LOSS)) && c->state >= PTCP_ESTABLISHED) {
		/* RFC 8985 6.2: RACK's losses start recovery (RFC 6675 5 step 4) */
		ptcp_time_t reo = c->t_reo;
		input_enter_recovery(x);
		c->t_reo = reo;
		STAT_ADD(c, rack_losses, 1);
		/* RFC 9937 4: no ACK comes with the timer; recovery sends as for
		 * one segment delivered (Linux's tcp_rack_reo_timeout does the same) */
		if (timer && (c->cfg.flags & PTCP_CFG_PRR))
			prr_on_ack(c, c->snd_mss, 0);
	}
	return lost;
}

/*
 * Octets of the unSACKed hole [l, r) in the pipe (RFC 6675 4 SetPipe with
 * RACK's marks): lost ones are not; a retransmitted range once; an original
 * one unless the hole is lost by RFC 6675 IsLost (hole_lost).
 */
uint32_t rack_hole_pipe(const ptcp_conn *c, uint32_t l, uint32_t r, int hole_lost)
{
	uint32_t n = 0, cur = l;
	for (unsigned i = 0; i < c->nrack && ptcp_seq_lt(cur, r); i++) {
		uint32_t el = c->loss->rack_log[i].seq, er = entry_end(c, i),
		         t = c->loss->rack_log[i].ts;
		uint32_t a = ptcp_seq_gt(el, cur) ? el : cur, b = ptcp_seq_lt(er, r) ? er : r;
		if (!ptcp_seq_lt(a, b))
			continue;
		if (ptcp_seq_lt(cur, a) && !hole_lost)
			n += a - cur; /* not logged: an original */
		if (!(t & T_LOST) && ((t & T_RTX) || !hole_lost))
			n += b - a;
		cur = b;
	}
	if (ptcp_seq_lt(cur, r) && !hole_lost)
		n += r - cur;
	return n;
}

/*
 * RFC 6675 4 NextSeg rule 1 with RACK: the first octet of [l, r) that is
 * lost (marked by RACK, or in a hole lost by IsLost and not retransmitted
 * since).  Returns 1 and the range up to the end of its log entry.
 */
int rack_next_lost(const ptcp_conn *c, uint32_t l, uint32_t r, int hole_lost, uint32_t *seq,
                   uint32_t *len)
{
	if (hole_lost && (!c->nrack || ptcp_seq_lt(l, c->loss->rack_log[0].seq))) {
		/* below the log: not logged, an original */
		*seq = l;
		*len =
		    (c->nrack && ptcp_seq_lt(c->loss->rack_log[0].seq, r) ? c->loss->rack_log[0].seq
		                                                          : r) -
		    l;
		return 1;
	}
	for (unsigned i = 0; i < c->nrack; i++) {
		uint32_t el = c->loss->rack_log[i].seq, er = entry_end(c, i),
		         t = c->loss->rack_log[i].ts;
		uint32_t a = ptcp_seq_gt(el, l) ? el : l, b = ptcp_seq_lt(er, r) ? er : r;
		if (!ptcp_seq_lt(a, b))
			continue;
		if ((t & T_LOST) || (hole_lost && !(t & T_RTX))) {
			*seq = a;
			*len = b - a;
			return 1;
		}
	}
	return 0;
}
