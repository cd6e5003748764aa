/*
 * The SACK scoreboard and SACK-based loss recovery (RFC 2018, RFC 6675),
 * and duplicate-SACK reports (RFC 2883).
 *
 * IMPLEMENTATION NOTES
 * c->loss->sb holds the SACKed ranges above SND.UNA, sorted and disjoint, at most
 * PTCP_SB_MAX (when full, the lowest range is forgotten: the high ones prove
 * the holes below them lost and keep growing during recovery).  The holes between SND.UNA and the
 * ranges are what may need resending.  A hole is lost (RFC 6675 IsLost) when at least DupThresh
 * ranges, or more than (DupThresh - 1) * SMSS bytes, are SACKed above it.  HighRxt is
 * c->loss->high_rxt.
 */
#include "internal.h"

#define DUPTHRESH 3u

static int block_valid(const ptcp_conn *c, ptcp_sack_block b, uint32_t ack)
{
	/* RFC 2018 4 / RFC 6675 4: only octets above the cumulative ACK (of this
	 * segment, and of the newest we had: an old ACK's blocks may be stale)
	 * and already sent. */
	uint32_t floor = ptcp_seq_gt(ack, c->snd_una) ? ack : c->snd_una;
	/* offsets from the floor: a block far away (near 2^31) cannot pass as
	 * "above and below" at once through modular comparison */
	uint32_t lo = b.left - floor, hi = b.right - floor, span = c->snd_max - floor;
	if (ptcp_seq_lt(c->snd_max, floor))
		return 0;
	return lo < hi && hi <= span;
}

static void insert(ptcp_conn *c, ptcp_sack_block b)
{
	unsigned i = 0, j;
	/* skip ranges wholly below b */
	while (i < c->nsb && ptcp_seq_lt(c->loss->sb[i].right, b.left))
		i++;
	/* merge every range that touches b */
	j = i;
	while (j < c->nsb && ptcp_seq_le(c->loss->sb[j].left, b.right)) {
		if (ptcp_seq_lt(c->loss->sb[j].left, b.left))
			b.left = c->loss->sb[j].left;
		if (ptcp_seq_gt(c->loss->sb[j].right, b.right))
			b.right = c->loss->sb[j].right;
		j++;
	}
	if (j > i) {
		/* replace sb[i..j) by b */
		c->loss->sb[i] = b;
		memmove(&c->loss->sb[i + 1], &c->loss->sb[j],
		        (c->nsb - j) * sizeof(c->loss->sb[0]));
		c->nsb = (uint8_t)(c->nsb - (j - i - 1));
		return;
	}
	if (c->nsb == PTCP_SB_MAX) {
		/* Full: keep the highest ranges - they prove the holes below lost and
		 * are the ones the peer keeps extending; forgetting the lowest only
		 * risks resending data the peer holds. */
		if (i == 0)
			return; /* lower than everything kept */
		memmove(&c->loss->sb[0], &c->loss->sb[1], (c->nsb - 1) * sizeof(c->loss->sb[0]));
		c->nsb--;
		i--;
	}
	memmove(&c->loss->sb[i + 1], &c->loss->sb[i], (c->nsb - i) * sizeof(c->loss->sb[0]));
	c->loss->sb[i] = b;
	c->nsb++;
}

/*
 * PTCP_CFG_SACK_WHOLE_SEG: keep only the whole segments b covers, as Linux
 * does (tcp_match_skb_to_sack: a SACK splits a sent burst at segment
 * boundaries, and a part of one segment marks nothing).  A segment is SMSS
 * octets from the start of its transmission unit (rack_unit), the unit's
 * last one possibly shorter.  Returns 0 when nothing whole is left.
 * Where the log merged bursts (it keeps PTCP_RACK_LOG ranges) the
 * boundaries are approximate: a SACKed segment may be ignored, never one
 * invented.  RFC 2018 4 lets the sender use SACK information as it likes;
 * ignoring a part only means that part may be sent again.
 */
static int whole_segments(const ptcp_conn *c, ptcp_sack_block *b)
{
	uint32_t mss = c->snd_mss ? c->snd_mss : 1, l, r, k;
	rack_unit(c, b->left, &l, &r);
	if (b->left != l) {
		/* round the left edge up to the next segment start */
		k = (b->left - l + mss - 1) / mss;
		b->left = (uint64_t)k * mss >= (uint64_t)(r - l) ? r : l + k * mss;
	}
	rack_unit(c, b->right - 1, &l, &r);
	if (b->right != r) /* round the right edge down, the unit's end stays */
		b->right = l + (b->right - l) / mss * mss;
	return ptcp_seq_lt(b->left, b->right);
}

int sack_on_ack(ptcp_conn *c, const ptcp_seg *seg)
{
	const ptcp_tcp_opts *o = &seg->opts;
	unsigned n = o->sack_count > PTCP_SACK_MAX ? PTCP_SACK_MAX : o->sack_count;
	int dsacks = 0;
	if (!(c->flags & F_SACK_SND) || !(o->present & PTCP_OPT_SACK))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		ptcp_sack_block b = o->sack[i];
		/* RFC 2883 4: a first block below the cumulative ACK, or inside the
		 * second block, reports a duplicate: not a new SACK. */
		if (i == 0 && (ptcp_seq_le(b.right, seg->ack) ||
		               (n > 1 && ptcp_seq_ge(b.left, o->sack[1].left) &&
		                ptcp_seq_le(b.right, o->sack[1].right)))) {
			STAT_ADD(c, dsacks_in, 1);
			dsacks++;
			continue;
		}
		if (!block_valid(c, b, seg->ack))
			continue;
		if ((c->cfg.flags & PTCP_CFG_SACK_WHOLE_SEG) && !whole_segments(c, &b))
			continue;
		insert(c, b);
	}
	return dsacks;
}

void sack_trim(ptcp_conn *c)
{
	unsigned k = 0;
	for (unsigned i = 0; i < c->nsb; i++) {
		ptcp_sack_block b = c->loss->sb[i];
		if (ptcp_seq_le(b.right, c->snd_una))
			continue;
		if (ptcp_seq_lt(b.left, c->snd_una))
			b.left = c->snd_una;
		c->loss->sb[k++] = b;
	}
	c->nsb = (uint8_t)k;
	if (c->loss && ptcp_seq_lt(c->loss->high_rxt, c->snd_una))
		c->loss->high_rxt = c->snd_una;
}

/* Is the hole starting below range index i lost? (ranges i.. are above it) */
static int hole_lost(const ptcp_conn *c, unsigned i)
{
	uint32_t bytes = 0;
	if (c->nsb - i >= DUPTHRESH)
		return 1;
	for (unsigned k = i; k < c->nsb; k++)
		bytes += c->loss->sb[k].right - c->loss->sb[k].left;
	return bytes > (DUPTHRESH - 1) * c->snd_mss;
}

int sack_is_lost(const ptcp_conn *c, uint32_t seq)
{
	unsigned i = 0;
	while (i < c->nsb && ptcp_seq_le(c->loss->sb[i].left, seq))
		i++;
	return i < c->nsb && hole_lost(c, i);
}

/* Octets of [l, r) at or below HighRxt: retransmitted in this recovery. */
static uint32_t rexmitted(const ptcp_conn *c, uint32_t l, uint32_t r)
{
	if (!ptcp_seq_gt(c->loss->high_rxt, l))
		return 0;
	return (ptcp_seq_lt(c->loss->high_rxt, r) ? c->loss->high_rxt : r) - l;
}

/* RACK's send-time log judges the flight (RFC 8985 6) */
static int use_rack(const ptcp_conn *c)
{
	return rack_on(c) && c->nrack;
}

/* RFC 6675 4 SetPipe; with RACK, its lost marks count as IsLost too (RFC 8985 6.2). */
uint32_t sack_pipe(const ptcp_conn *c)
{
	uint32_t pipe = 0, cur = c->snd_una;
	int rack = use_rack(c);
	for (unsigned i = 0; i < c->nsb; i++) {
		if (ptcp_seq_lt(cur, c->loss->sb[i].left)) {
			uint32_t l = cur, r = c->loss->sb[i].left;
			if (rack)
				pipe += rack_hole_pipe(c, l, r, hole_lost(c, i));
			else
				pipe += (hole_lost(c, i) ? 0 : r - l) + rexmitted(c, l, r);
		}
		cur = c->loss->sb[i].right;
	}
	if (ptcp_seq_lt(cur, c->snd_max)) {
		if (rack)
			pipe += rack_hole_pipe(c, cur, c->snd_max, 0);
		else
			pipe += (c->snd_max - cur) + rexmitted(c, cur, c->snd_max);
	}
	return pipe;
}

/*
 * RFC 6675 4 NextSeg, rules 1 and 3 (rule 2, new data, is the caller's):
 * the first lost octet above HighRxt, else (when no new data can go) the
 * first unSACKed octet above HighRxt below a SACKed range.  Returns 1 and
 * the range to resend, or 0.  With RACK, rule 1 takes the first octet RACK
 * marked lost (also a lost retransmission, and above the highest SACK) or
 * in an IsLost hole not retransmitted since (RFC 8985 6.2).
 */
int sack_next_seg(const ptcp_conn *c, int rule3, uint32_t *seq, uint32_t *len)
{
	uint32_t cur = c->snd_una;
	if (use_rack(c)) {
		for (unsigned i = 0; i <= c->nsb; i++) {
			uint32_t l = cur, r = i < c->nsb ? c->loss->sb[i].left : c->snd_max;
			int lost = i < c->nsb && hole_lost(c, i);
			if (i < c->nsb)
				cur = c->loss->sb[i].right;
			if (ptcp_seq_lt(l, r) && rack_next_lost(c, l, r, lost, seq, len)) {
				*len = min_u32(*len, c->snd_mss);
				return 1;
			}
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !rule3)
			break;
		if (pass == 0 && use_rack(c))
			continue;
		cur = c->snd_una;
		for (unsigned i = 0; i < c->nsb; i++) {
			uint32_t l = cur, r = c->loss->sb[i].left;
			cur = c->loss->sb[i].right;
			if (!ptcp_seq_lt(l, r))
				continue;
			if (ptcp_seq_lt(l, c->loss->high_rxt))
				l = c->loss->high_rxt;
			if (!ptcp_seq_lt(l, r))
				continue;
			if (pass == 0 && !hole_lost(c, i))
				continue;
			*seq = l;
			*len = min_u32(r - l, c->snd_mss);
			return 1;
		}
	}
	return 0;
}

/*
 * RFC 2018 8: a receiver may discard data it SACKed.  When the cumulative ACK
 * stops at the start of a SACKed range, the peer no longer holds it: forget
 * the scoreboard so that the data is sent again.  Returns 1 when it did.
 */
int sack_check_reneging(ptcp_conn *c)
{
	if (!c->nsb || c->loss->sb[0].left != c->snd_una)
		return 0;
	c->nsb = 0;
	STAT_ADD(c, sack_reneging, 1);
	return 1;
}

/* The SACKed range containing seq, if any (for go-back-N after a timeout). */
const ptcp_sack_block *sack_find(const ptcp_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->nsb; i++)
		if (ptcp_seq_in(seq, c->loss->sb[i].left, c->loss->sb[i].right))
			return &c->loss->sb[i];
	return NULL;
}

/* The first SACKed range starting above seq, if any. */
const ptcp_sack_block *sack_next_above(const ptcp_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->nsb; i++)
		if (ptcp_seq_gt(c->loss->sb[i].left, seq))
			return &c->loss->sb[i];
	return NULL;
}

/* SACKed octets below seq: not in flight any more. */
uint32_t sack_bytes_below(const ptcp_conn *c, uint32_t seq)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < c->nsb && ptcp_seq_lt(c->loss->sb[i].left, seq); i++)
		n += (ptcp_seq_lt(c->loss->sb[i].right, seq) ? c->loss->sb[i].right : seq) -
		     c->loss->sb[i].left;
	return n;
}
