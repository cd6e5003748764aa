/*
 * Send and receive rings, and the reassembly list.
 *
 * IMPLEMENTATION NOTES
 * The send ring holds bytes from SND.UNA (or the first unsent byte before
 * the SYN is acknowledged) to the last byte the app queued: byte shead has
 * sequence number sbuf_seq.  The receive ring holds rlen in-order bytes the
 * app has not read, starting at rhead; out-of-order bytes sit in the free
 * space behind them at their offset from RCV.NXT, and c->ooo lists which
 * ranges are filled (disjoint, unsorted, at most PTCP_OOO_MAX).
 */
#include "internal.h"

/* x mod cap for x < 2 cap (positions and lengths are below cap) */
static inline uint32_t wrap(uint32_t x, uint32_t cap)
{
	return x >= cap ? x - cap : x;
}

uint32_t sbuf_space(const ptcp_conn *c)
{
	return c->scap - c->slen;
}

uint32_t sbuf_write(ptcp_conn *c, const uint8_t *data, uint32_t len)
{
	uint32_t n = min_u32(len, sbuf_space(c));
	uint32_t tail = wrap(c->shead + c->slen, c->scap);
	uint32_t first = min_u32(n, c->scap - tail);
	memcpy(c->sbuf + tail, data, first);
	memcpy(c->sbuf, data + first, n - first);
	c->slen += n;
	return n;
}

void sbuf_ack(ptcp_conn *c, uint32_t ack)
{
	uint32_t end = c->sbuf_seq + c->slen;
	uint32_t n;
	if (!ptcp_seq_gt(ack, c->sbuf_seq))
		return;
	n = ptcp_seq_lt(ack, end) ? ack - c->sbuf_seq : c->slen;
	c->shead = wrap(c->shead + n, c->scap);
	c->slen -= n;
	c->sbuf_seq += n;
}

void sbuf_spans(const ptcp_conn *c, uint32_t seq, uint32_t len, ptcp_seg *seg)
{
	uint32_t pos = wrap(c->shead + (seq - c->sbuf_seq), c->scap);
	uint32_t first = min_u32(len, c->scap - pos);
	seg->payload = len ? c->sbuf + pos : NULL;
	seg->payload_len = first;
	seg->payload2 = len > first ? c->sbuf : NULL;
	seg->payload2_len = len - first;
}

uint32_t rbuf_read(ptcp_conn *c, uint8_t *dst, uint32_t len)
{
	uint32_t n = min_u32(len, c->rlen);
	uint32_t first = min_u32(n, c->rcap - c->rhead);
	if (dst) {
		memcpy(dst, c->rbuf + c->rhead, first);
		memcpy(dst + first, c->rbuf, n - first);
	}
	c->rhead = wrap(c->rhead + n, c->rcap);
	c->rlen -= n;
	return n;
}

/* Copy len bytes of the segment payload from offset off into ring position pos. */
static void rcopy(ptcp_conn *c, uint32_t pos, const ptcp_seg *seg, uint32_t off, uint32_t len)
{
	while (len) {
		const uint8_t *src;
		uint32_t avail, n;
		if (off < seg->payload_len) {
			src = seg->payload + off;
			avail = (uint32_t)seg->payload_len - off;
		} else {
			src = seg->payload2 + (off - seg->payload_len);
			avail = (uint32_t)(seg->payload_len + seg->payload2_len) - off;
		}
		pos = pos >= c->rcap ? pos % c->rcap : pos;
		n = min_u32(min_u32(len, avail), c->rcap - pos);
		memcpy(c->rbuf + pos, src, n);
		pos += n;
		off += n;
		len -= n;
	}
}

/* Remove range i (the last one moves into its place); ooo_last follows the
 * most recent range, or falls back to 0. */
static void ooo_remove(ptcp_conn *c, unsigned i)
{
	unsigned last = c->nooo - 1u;
	c->ooo[i] = c->ooo[last];
	c->nooo--;
	if (c->ooo_last == last)
		c->ooo_last = (uint8_t)i; /* it moved to i (or was removed when i == last) */
	else if (c->ooo_last == i)
		c->ooo_last = 0; /* the most recent range is gone */
	if (c->ooo_last >= c->nooo)
		c->ooo_last = 0;
}

/* PTCP_CFG_RCV_CLAMP: an in-order segment of len bytes opens the window clamp
 * by 2 * max(our MSS, len), up to the buffer (as Linux's tcp_grow_window). */
static void rcv_clamp_grow(ptcp_conn *c, uint32_t len)
{
	uint32_t incr = 2 * (len > c->cfg.mss ? len : c->cfg.mss);
	if (!(c->cfg.flags & PTCP_CFG_RCV_CLAMP) || c->rcv_clamp >= c->rcap)
		return;
	c->rcv_clamp = c->rcap - c->rcv_clamp > incr ? c->rcv_clamp + incr : c->rcap;
}

uint32_t rbuf_place(ptcp_conn *c, uint32_t seq, const ptcp_seg *seg, uint32_t off, uint32_t len,
                    int *ooo_dropped)
{
	uint32_t start = c->rhead + c->rlen + (seq - c->rcv_nxt);
	uint32_t added = 0;
	unsigned i;
	*ooo_dropped = 0;
	if (len == 0)
		return 0;
	if (seq != c->rcv_nxt) {
		/* Out of order: merge into the list of filled ranges. */
		ptcp_sack_block b = {seq, seq + len};
		int overlaps = 0;
		for (i = 0; i < c->nooo; i++)
			if (ptcp_seq_le(c->ooo[i].left, b.right) &&
			    ptcp_seq_le(b.left, c->ooo[i].right))
				overlaps = 1;
		if (!overlaps && c->nooo == PTCP_OOO_MAX) {
			/* Full: keep the ranges nearest RCV.NXT (they fill first); a lower
			 * segment evicts the highest range - a SACK renege (RFC 2018 8),
			 * which the sender survives - a higher one is dropped. */
			unsigned hi = 0;
			for (i = 1; i < c->nooo; i++)
				if (ptcp_seq_gt(c->ooo[i].left, c->ooo[hi].left))
					hi = i;
			*ooo_dropped = 1;
			if (!ptcp_seq_lt(b.left, c->ooo[hi].left))
				return 0;
			ooo_remove(c, hi);
		}
		for (i = 0; i < c->nooo;) {
			ptcp_sack_block *o = &c->ooo[i];
			if (ptcp_seq_le(o->left, b.right) && ptcp_seq_le(b.left, o->right)) {
				if (ptcp_seq_lt(o->left, b.left))
					b.left = o->left;
				if (ptcp_seq_gt(o->right, b.right))
					b.right = o->right;
				ooo_remove(c, i);
				continue;
			}
			i++;
		}
		rcopy(c, start, seg, off, len);
		c->ooo[c->nooo] = b;
		c->ooo_last = c->nooo;
		c->nooo++;
		return 0;
	}
	rcopy(c, start, seg, off, len);
	c->rcv_nxt += len;
	c->rlen += len;
	added = len;
	rcv_clamp_grow(c, len);
	/* Pull in ranges that are now contiguous. */
	for (i = 0; i < c->nooo;) {
		ptcp_sack_block *o = &c->ooo[i];
		if (ptcp_seq_le(o->left, c->rcv_nxt)) {
			if (ptcp_seq_gt(o->right, c->rcv_nxt)) {
				uint32_t more = o->right - c->rcv_nxt;
				c->rcv_nxt += more;
				c->rlen += more;
				added += more;
			}
			ooo_remove(c, i);
			i = 0;
			continue;
		}
		i++;
	}
	return added;
}
