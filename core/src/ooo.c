/*
 * Reassembly: the ranges of data received beyond RCV.NXT (RFC 9293 3.10.7.4
 * seventh), in a balanced tree, at most logarithmic in the number of ranges.
 *
 * IMPLEMENTATION NOTES
 * The bytes themselves sit in the receive ring at their offset from RCV.NXT
 * (buf.c); this file keeps which ranges [left, right) are filled: disjoint
 * and never touching (a range that touches another is merged into it).
 *
 * The ranges live in a node pool, the loss area's (PTCP_OOO_MAX) or the
 * caller's (ptcp_conn_set_ooo_pool), dense: pool[0 .. nooo-1].  A new range
 * is appended; a removed one is replaced by the last (swap-remove).  This is
 * the order of the unsorted list this file replaces, and output.c's SACK
 * blocks follow it (the most recent range first, RFC 2018 4, then the pool
 * in slot order), so the wire is unchanged.  When a segment takes several
 * ranges, the list removed them in slot order; that order is kept for up to
 * EXACT ranges (beyond that, lowest first: the list never held more).
 *
 * Over the slots, an AVL tree ordered by left: lc/rc hold a child's slot in
 * their low 15 bits (NIL: none) and the balance in their top bits (lc's:
 * the left subtree is one taller; rc's: the right one).  No parent links:
 * a node that moves is found again from the root by its key.  Every step
 * works in O(log n); the usual out-of-order segment, one that extends the
 * range the previous one went to (ooo_last), is O(1): ooo_succ caches the
 * slot of the next range above it.  Keys compare in sequence space: every
 * range lies within the receive buffer (at most 1 GiB) above RCV.NXT.
 */
#include "internal.h"

#define NIL   0x7fffu
#define IDX   0x7fffu
#define HEAVY 0x8000u
/* c->ooo_succ: 0 = not known, SUCC_NONE = no range above, else slot + 1 */
#define SUCC_NONE 0xffffu
/* ranges taken by one segment that are removed in the list's order */
#define EXACT 8u

typedef ptcp_ooo_node node;

static inline unsigned lft(const node *p, unsigned t)
{
	return p[t].lc & IDX;
}
static inline unsigned rgt(const node *p, unsigned t)
{
	return p[t].rc & IDX;
}
static inline void set_lft(node *p, unsigned t, unsigned v)
{
	p[t].lc = (uint16_t)((p[t].lc & HEAVY) | v);
}
static inline void set_rgt(node *p, unsigned t, unsigned v)
{
	p[t].rc = (uint16_t)((p[t].rc & HEAVY) | v);
}
/* -1: left subtree taller, 0: even, 1: right taller */
static inline int bal(const node *p, unsigned t)
{
	return (p[t].rc & HEAVY) ? 1 : (p[t].lc & HEAVY) ? -1 : 0;
}
static inline void set_bal(node *p, unsigned t, int b)
{
	p[t].lc = (uint16_t)((p[t].lc & IDX) | (b < 0 ? HEAVY : 0u));
	p[t].rc = (uint16_t)((p[t].rc & IDX) | (b > 0 ? HEAVY : 0u));
}

static inline unsigned root(const ptcp_conn *c)
{
	return c->nooo ? c->ooo_root : NIL;
}

static unsigned rot_left(node *p, unsigned t)
{
	unsigned r = rgt(p, t);
	set_rgt(p, t, lft(p, r));
	set_lft(p, r, t);
	return r;
}

static unsigned rot_right(node *p, unsigned t)
{
	unsigned l = lft(p, t);
	set_lft(p, t, rgt(p, l));
	set_rgt(p, l, t);
	return l;
}

/* t's right subtree is two taller: rotate.  *lower: the result is one lower
 * than t was (always after an insertion, which never leaves the child even). */
static unsigned fix_right(node *p, unsigned t, int *lower)
{
	unsigned r = rgt(p, t), m;
	int b = bal(p, r);
	if (b >= 0) {
		rot_left(p, t);
		set_bal(p, t, b == 0 ? 1 : 0);
		set_bal(p, r, b == 0 ? -1 : 0);
		*lower = b != 0;
		return r;
	}
	m = lft(p, r);
	b = bal(p, m);
	set_rgt(p, t, rot_right(p, r));
	rot_left(p, t);
	set_bal(p, t, b > 0 ? -1 : 0);
	set_bal(p, r, b < 0 ? 1 : 0);
	set_bal(p, m, 0);
	*lower = 1;
	return m;
}

static unsigned fix_left(node *p, unsigned t, int *lower)
{
	unsigned l = lft(p, t), m;
	int b = bal(p, l);
	if (b <= 0) {
		rot_right(p, t);
		set_bal(p, t, b == 0 ? -1 : 0);
		set_bal(p, l, b == 0 ? 1 : 0);
		*lower = b != 0;
		return l;
	}
	m = rgt(p, l);
	b = bal(p, m);
	set_lft(p, t, rot_left(p, l));
	rot_right(p, t);
	set_bal(p, t, b < 0 ? 1 : 0);
	set_bal(p, l, b > 0 ? -1 : 0);
	set_bal(p, m, 0);
	*lower = 1;
	return m;
}

/* Insert slot n under t; *grew: the subtree is one taller. */
static unsigned ins(node *p, unsigned t, unsigned n, int *grew)
{
	int lower;
	if (t == NIL) {
		p[n].lc = NIL;
		p[n].rc = NIL;
		*grew = 1;
		return n;
	}
	if (ptcp_seq_lt(p[n].left, p[t].left)) {
		set_lft(p, t, ins(p, lft(p, t), n, grew));
		if (*grew) {
			int b = bal(p, t);
			if (b >= 0) {
				set_bal(p, t, b - 1);
				*grew = b == 0;
			} else {
				t = fix_left(p, t, &lower);
				*grew = 0;
			}
		}
	} else {
		set_rgt(p, t, ins(p, rgt(p, t), n, grew));
		if (*grew) {
			int b = bal(p, t);
			if (b <= 0) {
				set_bal(p, t, b + 1);
				*grew = b == 0;
			} else {
				t = fix_right(p, t, &lower);
				*grew = 0;
			}
		}
	}
	return t;
}

/* t's left subtree became one lower; *lower: so did t. */
static unsigned left_lower(node *p, unsigned t, int *lower)
{
	int b = bal(p, t);
	if (b < 0) {
		set_bal(p, t, 0);
		*lower = 1;
		return t;
	}
	if (b == 0) {
		set_bal(p, t, 1);
		*lower = 0;
		return t;
	}
	return fix_right(p, t, lower);
}

static unsigned right_lower(node *p, unsigned t, int *lower)
{
	int b = bal(p, t);
	if (b > 0) {
		set_bal(p, t, 0);
		*lower = 1;
		return t;
	}
	if (b == 0) {
		set_bal(p, t, -1);
		*lower = 0;
		return t;
	}
	return fix_left(p, t, lower);
}

/* Detach the lowest node of t into *m; returns the rest. */
static unsigned del_min(node *p, unsigned t, unsigned *m, int *lower)
{
	if (lft(p, t) == NIL) {
		*m = t;
		*lower = 1;
		return rgt(p, t);
	}
	set_lft(p, t, del_min(p, lft(p, t), m, lower));
	return *lower ? left_lower(p, t, lower) : t;
}

/* Detach slot x (in t) from the tree; the slot's range is untouched. */
static unsigned del(node *p, unsigned t, unsigned x, int *lower)
{
	if (t == x) {
		unsigned l = lft(p, t), r = rgt(p, t), m;
		if (l == NIL || r == NIL) {
			*lower = 1;
			return l == NIL ? r : l;
		}
		/* the next range up takes x's place (nodes move, not ranges:
		 * a slot keeps its range) */
		r = del_min(p, r, &m, lower);
		p[m].lc = p[t].lc;
		p[m].rc = p[t].rc;
		set_rgt(p, m, r);
		return *lower ? right_lower(p, m, lower) : m;
	}
	if (ptcp_seq_lt(p[x].left, p[t].left)) {
		set_lft(p, t, del(p, lft(p, t), x, lower));
		return *lower ? left_lower(p, t, lower) : t;
	}
	set_rgt(p, t, del(p, rgt(p, t), x, lower));
	return *lower ? right_lower(p, t, lower) : t;
}

/* The lowest range whose right edge is at or above x (the first that can touch [x, ...)). */
static unsigned first_reaching(const ptcp_conn *c, const node *p, uint32_t x)
{
	unsigned t = root(c), best = NIL;
	while (t != NIL) {
		if (ptcp_seq_ge(p[t].right, x)) {
			best = t;
			t = lft(p, t);
		} else {
			t = rgt(p, t);
		}
	}
	return best;
}

/* The lowest range that starts above x. */
static unsigned next_above(const ptcp_conn *c, const node *p, uint32_t x)
{
	unsigned t = root(c), best = NIL;
	while (t != NIL) {
		if (ptcp_seq_lt(x, p[t].left)) {
			best = t;
			t = lft(p, t);
		} else {
			t = rgt(p, t);
		}
	}
	return best;
}

/* Remove slot i: out of the tree, and the last slot moves into it (with the
 * link to it); ooo_last follows the most recent range as the list's did, or
 * falls back to 0. */
static void remove_at(ptcp_conn *c, node *p, unsigned i)
{
	unsigned last = c->nooo - 1u;
	int lower;
	c->ooo_root = (uint16_t)del(p, c->ooo_root, i, &lower);
	if (i != last) {
		unsigned t = c->ooo_root;
		if (t == last) {
			c->ooo_root = (uint16_t)i;
		} else {
			for (;;) {
				if (lft(p, t) == last) {
					set_lft(p, t, i);
					break;
				}
				if (rgt(p, t) == last) {
					set_rgt(p, t, i);
					break;
				}
				t = ptcp_seq_lt(p[last].left, p[t].left) ? lft(p, t) : rgt(p, t);
			}
		}
		p[i] = p[last];
	}
	c->nooo--;
	if (c->ooo_last == last)
		c->ooo_last = (uint16_t)i;
	else if (c->ooo_last == i)
		c->ooo_last = 0;
	if (c->ooo_last >= c->nooo)
		c->ooo_last = 0;
	c->ooo_succ = 0;
}

/* Of the ranges from slot f up that start at or below edge (f does), the
 * one in the lowest slot, when there are at most EXACT; else f. */
static unsigned lowest_slot(const ptcp_conn *c, const node *p, unsigned f, uint32_t edge)
{
	unsigned t, pick = f, k = 0;
	for (t = f; t != NIL && ptcp_seq_le(p[t].left, edge); t = next_above(c, p, p[t].left)) {
		if (++k > EXACT)
			return f;
		if (t < pick)
			pick = t;
	}
	return pick;
}

/* Out of order: record [seq, seq + len) (the bytes are at start). */
static void place_ooo(ptcp_conn *c, uint32_t start, uint32_t seq, const ptcp_seg *seg, uint32_t off,
                      uint32_t len, int *ooo_dropped)
{
	node *p = ooo_nodes(c);
	uint32_t bl = seq, br = seq + len;
	unsigned f, n, cap = ooo_capacity(c);
	int grew;

	if (cap == 0) {
		*ooo_dropped = 1; /* no pool: no loss area lent, none of the caller's */
		return;
	}

	/* The usual case: the segment starts in or at the end of the range the
	 * last one went to, the newest slot, and does not reach the next range. */
	if (c->nooo && c->ooo_last == c->nooo - 1u) {
		node *o = &p[c->ooo_last];
		if (ptcp_seq_le(o->left, bl) && ptcp_seq_le(bl, o->right)) {
			unsigned s = c->ooo_succ;
			if (ptcp_seq_le(br, o->right)) {
				rbuf_copy(c, start, seg, off, len);
				return;
			}
			if (s == 0) {
				s = next_above(c, p, o->left);
				s = s == NIL ? SUCC_NONE : s + 1u;
				c->ooo_succ = (uint16_t)s;
			}
			if (s == SUCC_NONE || ptcp_seq_lt(br, p[s - 1u].left)) {
				o->right = br;
				rbuf_copy(c, start, seg, off, len);
				return;
			}
		}
	}

	f = first_reaching(c, p, bl);
	if ((f == NIL || ptcp_seq_lt(br, p[f].left)) && c->nooo >= cap) {
		/* Full: keep the ranges nearest RCV.NXT (they fill first); a lower
		 * segment evicts the highest range - a SACK renege (RFC 2018 8),
		 * which the sender survives - a higher one is dropped. */
		unsigned hi = root(c);
		while (rgt(p, hi) != NIL)
			hi = rgt(p, hi);
		*ooo_dropped = 1;
		if (!ptcp_seq_lt(bl, p[hi].left))
			return;
		remove_at(c, p, hi);
	}
	/* Merge every range the segment touches. */
	while ((f = first_reaching(c, p, bl)) != NIL && ptcp_seq_le(p[f].left, br)) {
		unsigned t = lowest_slot(c, p, f, br);
		if (ptcp_seq_lt(p[t].left, bl))
			bl = p[t].left;
		if (ptcp_seq_gt(p[t].right, br))
			br = p[t].right;
		remove_at(c, p, t);
	}
	rbuf_copy(c, start, seg, off, len);
	n = c->nooo;
	p[n].left = bl;
	p[n].right = br;
	c->ooo_root = (uint16_t)ins(p, root(c), n, &grew);
	c->ooo_last = (uint16_t)n;
	c->ooo_succ = 0;
	c->nooo++;
}

uint32_t rbuf_place(ptcp_conn *c, uint32_t seq, const ptcp_seg *seg, uint32_t off, uint32_t len,
                    int *ooo_dropped)
{
	uint32_t start = c->rhead + c->rlen + (seq - c->rcv_nxt), added;
	node *p;
	*ooo_dropped = 0;
	if (len == 0)
		return 0;
	if (seq != c->rcv_nxt) {
		place_ooo(c, start, seq, seg, off, len, ooo_dropped);
		return 0;
	}
	rbuf_copy(c, start, seg, off, len);
	c->rcv_nxt += len;
	c->rlen += len;
	added = len;
	rcv_clamp_grow(c, len);
	/* Pull in the ranges RCV.NXT now reaches, in the list's order. */
	if (!c->nooo)
		return added;
	p = ooo_nodes(c);
	while (c->nooo) {
		unsigned f = root(c), t;
		while (lft(p, f) != NIL)
			f = lft(p, f);
		if (ptcp_seq_gt(p[f].left, c->rcv_nxt))
			break;
		t = lowest_slot(c, p, f, c->rcv_nxt);
		if (ptcp_seq_gt(p[t].right, c->rcv_nxt)) {
			uint32_t more = p[t].right - c->rcv_nxt;
			c->rcv_nxt += more;
			c->rlen += more;
			added += more;
		}
		remove_at(c, p, t);
	}
	return added;
}
