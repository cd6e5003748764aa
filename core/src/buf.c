/*
 * Send and receive rings.
 *
 * IMPLEMENTATION NOTES
 * The send ring holds bytes from SND.UNA (or the first unsent byte before
 * the SYN is acknowledged) to the last byte the app queued: byte shead has
 * sequence number sbuf_seq.  The receive ring holds rlen in-order bytes the
 * app has not read, starting at rhead; out-of-order bytes sit in the free
 * space behind them at their offset from RCV.NXT; ooo.c keeps the ranges
 * that are filled.
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
void rbuf_copy(ptcp_conn *c, uint32_t pos, const ptcp_seg *seg, uint32_t off, uint32_t len)
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

int ptcp_conn_set_ooo_pool(ptcp_conn *c, ptcp_ooo_node *nodes, size_t n)
{
	if (!c)
		return PTCP_EINVAL;
	if (!nodes) {
		if (c->nooo > (c->loss ? PTCP_OOO_MAX : 0))
			return PTCP_EINVAL;
		if (c->nooo)
			memmove(c->loss->ooo, ooo_nodes(c), c->nooo * sizeof(*nodes));
		c->ooo_pool = NULL;
		c->ooo_cap = 0;
		return 0;
	}
	if (n == 0 || n > PTCP_OOO_POOL_MAX || n < c->nooo)
		return PTCP_EINVAL;
	/* the ranges keep their slots: the tree's links stay valid */
	if (c->nooo)
		memmove(nodes, ooo_nodes(c), c->nooo * sizeof(*nodes));
	c->ooo_pool = nodes;
	c->ooo_cap = (uint16_t)n;
	return 0;
}

/* PTCP_CFG_RCV_CLAMP: an in-order segment of len bytes opens the window clamp
 * by 2 * max(our MSS, len), up to the buffer (as Linux's tcp_grow_window). */
void rcv_clamp_grow(ptcp_conn *c, uint32_t len)
{
	uint32_t incr = 2 * (len > c->cfg.mss ? len : c->cfg.mss);
	if (!(c->cfg.flags & PTCP_CFG_RCV_CLAMP) || c->rcv_clamp >= c->rcap)
		return;
	c->rcv_clamp = c->rcap - c->rcv_clamp > incr ? c->rcv_clamp + incr : c->rcap;
}
