/*
 * The reassembly list that core/src/ooo.c replaced (core/src/buf.c before
 * it): an unsorted array of ranges, a linear scan for the ranges a segment
 * touches, swap-remove, and a pull-in loop that restarts after each range it
 * takes.  Kept, on the new block's fields (the pool's left/right; the links
 * unused), only as the reference of the differential test ooo_diff: the
 * library built with it instead of ooo.c must emit the same actions.
 */
#include "internal.h"

static void ooo_remove(ptcp_conn *c, ptcp_ooo_node *o, unsigned i)
{
	unsigned last = c->nooo - 1u;
	o[i] = o[last];
	c->nooo--;
	if (c->ooo_last == last)
		c->ooo_last = (uint16_t)i;
	else if (c->ooo_last == i)
		c->ooo_last = 0;
	if (c->ooo_last >= c->nooo)
		c->ooo_last = 0;
}

uint32_t rbuf_place(ptcp_conn *c, uint32_t seq, const ptcp_seg *seg, uint32_t off, uint32_t len,
                    int *ooo_dropped)
{
	uint32_t start = c->rhead + c->rlen + (seq - c->rcv_nxt);
	uint32_t added = 0;
	unsigned i, cap = c->ooo_pool ? c->ooo_cap : PTCP_OOO_MAX;
	ptcp_ooo_node *ooo = ooo_nodes(c);
	*ooo_dropped = 0;
	if (len == 0)
		return 0;
	if (seq != c->rcv_nxt) {
		ptcp_ooo_node b = {seq, seq + len, 0, 0};
		int overlaps = 0;
		for (i = 0; i < c->nooo; i++)
			if (ptcp_seq_le(ooo[i].left, b.right) && ptcp_seq_le(b.left, ooo[i].right))
				overlaps = 1;
		if (!overlaps && c->nooo >= cap) {
			unsigned hi = 0;
			for (i = 1; i < c->nooo; i++)
				if (ptcp_seq_gt(ooo[i].left, ooo[hi].left))
					hi = i;
			*ooo_dropped = 1;
			if (!ptcp_seq_lt(b.left, ooo[hi].left))
				return 0;
			ooo_remove(c, ooo, hi);
		}
		for (i = 0; i < c->nooo;) {
			ptcp_ooo_node *o = &ooo[i];
			if (ptcp_seq_le(o->left, b.right) && ptcp_seq_le(b.left, o->right)) {
				if (ptcp_seq_lt(o->left, b.left))
					b.left = o->left;
				if (ptcp_seq_gt(o->right, b.right))
					b.right = o->right;
				ooo_remove(c, ooo, i);
				continue;
			}
			i++;
		}
		rbuf_copy(c, start, seg, off, len);
		ooo[c->nooo] = b;
		c->ooo_last = c->nooo;
		c->nooo++;
		return 0;
	}
	rbuf_copy(c, start, seg, off, len);
	c->rcv_nxt += len;
	c->rlen += len;
	added = len;
	for (i = 0; i < c->nooo;) {
		ptcp_ooo_node *o = &ooo[i];
		if (ptcp_seq_le(o->left, c->rcv_nxt)) {
			if (ptcp_seq_gt(o->right, c->rcv_nxt)) {
				uint32_t more = o->right - c->rcv_nxt;
				c->rcv_nxt += more;
				c->rlen += more;
				added += more;
			}
			ooo_remove(c, ooo, i);
			i = 0;
			continue;
		}
		i++;
	}
	return added;
}
