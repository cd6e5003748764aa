/*
 * Property family: sequence-number arithmetic (ptcp_seq_* in ptcp.h,
 * RFC 9293 3.4: modulo 2^32).
 *
 *   seq/strict_order    on any window shorter than 2^31, lt / le / gt / ge
 *                       order its points as the integers 0..w order them
 *                       (irreflexive, antisymmetric, transitive, total);
 *   seq/wraparound      the order does not depend on where the window
 *                       sits: comparing a + k with b + k is comparing a with
 *                       b, across 2^31 and 2^32;
 *   seq/lengths         adding or subtracting a length commutes with the
 *                       comparison (a < a + len for 0 < len < 2^31; a < b
 *                       iff a + len < b + len iff a - len < b - len);
 *   seq/in              ptcp_seq_in(x, lo, hi) is lo <= x < hi on windows
 *                       shorter than 2^31;
 *   seq/seg_len         a segment's sequence length is its payload plus
 *                       one for SYN and one for FIN.
 * Cases are triples of numbers biased toward 0, 2^31 and 2^32 (see
 * ptcp_prop_u32).  A counterexample is shrunk (each number toward 0 by
 * halving, then by one) and printed with its seed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "prop.h"

#define W31 0x80000000u

/* A property over three numbers: 0 when it holds, else a message in why. */
typedef int (*prop3)(uint32_t a, uint32_t b, uint32_t c, char *why, size_t cap);

static int holds(prop3 p, const uint32_t v[3])
{
	char why[200];
	return p(v[0], v[1], v[2], why, sizeof why) == 0;
}

static void shrink3(prop3 p, uint32_t v[3])
{
	int changed = 1;
	while (changed) {
		changed = 0;
		for (int i = 0; i < 3; i++) {
			uint32_t tries[4] = {0, v[i] / 2, v[i] - 1, v[i] ^ W31};
			for (int k = 0; k < 4; k++) {
				uint32_t w[3] = {v[0], v[1], v[2]};
				if (tries[k] >= v[i])
					continue; /* only toward smaller numbers */
				w[i] = tries[k];
				if (!holds(p, w)) {
					memcpy(v, w, sizeof w);
					changed = 1;
					break;
				}
			}
		}
	}
}

static void check3(const char *name, prop3 p, unsigned dflt)
{
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(dflt);
	for (unsigned i = 0; i < n; i++) {
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_prop_rng r;
		uint32_t v[3];
		char why[200];
		ptcp_prop_rng_seed(&r, seed);
		for (int k = 0; k < 3; k++)
			v[k] = ptcp_prop_u32(&r);
		if (p(v[0], v[1], v[2], why, sizeof why) == 0)
			continue;
		shrink3(p, v);
		p(v[0], v[1], v[2], why, sizeof why);
		cr_assert_fail("PROPERTY FAILED: %s\n  case %u, seed 0x%016llx (reproduce: "
		               "PTCP_PROP_SEED=0x%016llx PTCP_PROP_CASES=1)\n  shrunk "
		               "counterexample: a=%u b=%u c=%u: %s",
		               name, i, (unsigned long long)seed, (unsigned long long)seed, v[0],
		               v[1], v[2], why);
	}
	fprintf(stderr, "property %s: %u cases passed\n", name, n);
}

#define FAIL(...) return (snprintf(why, cap, __VA_ARGS__), 1)

/* Window [a, a + w) with w = b mod 2^31; points a + x, a + y with x = c mod w. */
static int strict_order(uint32_t a, uint32_t b, uint32_t c, char *why, size_t cap)
{
	uint32_t w = b % W31;
	if (w < 2)
		w = 2;
	uint32_t x = c % w, y = (c / w + x + 1) % w; /* two points of the window */
	uint32_t z = (x + y) / 2;
	uint32_t p = a + x, q = a + y, m = a + z;
	int lt = x<y, eq = x == y, gt = x> y;
	if (ptcp_seq_lt(p, q) != lt || ptcp_seq_gt(p, q) != gt || ptcp_seq_le(p, q) != (lt || eq) ||
	    ptcp_seq_ge(p, q) != (gt || eq))
		FAIL("points %u and %u of the window at %u order as offsets %u, %u do not", p, q, a,
		     x, y);
	if (ptcp_seq_lt(p, p) || ptcp_seq_gt(p, p) || !ptcp_seq_le(p, p) || !ptcp_seq_ge(p, p))
		FAIL("%u is not equal to itself", p);
	if (ptcp_seq_lt(p, q) && ptcp_seq_lt(q, p))
		FAIL("%u < %u and %u < %u", p, q, q, p);
	if (ptcp_seq_lt(p, q) + ptcp_seq_lt(q, p) + (p == q) != 1)
		FAIL("%u and %u: not exactly one of <, =, >", p, q);
	/* transitivity through a third point of the same window */
	if (ptcp_seq_le(p, m) && ptcp_seq_le(m, q) && !ptcp_seq_le(p, q))
		FAIL("%u <= %u <= %u but not %u <= %u", p, m, q, p, q);
	return 0;
}

static int wraparound(uint32_t a, uint32_t b, uint32_t k, char *why, size_t cap)
{
	if (b - a == W31)
		return 0; /* the one pair the order leaves undefined */
	if (ptcp_seq_lt(a, b) != ptcp_seq_lt(a + k, b + k) ||
	    ptcp_seq_le(a, b) != ptcp_seq_le(a + k, b + k) ||
	    ptcp_seq_gt(a, b) != ptcp_seq_gt(a + k, b + k) ||
	    ptcp_seq_ge(a, b) != ptcp_seq_ge(a + k, b + k))
		FAIL("comparing %u with %u differs from comparing %u with %u (shift %u)", a, b,
		     a + k, b + k, k);
	/* the order agrees with the signed distance */
	int32_t d = (int32_t)(b - a);
	if (ptcp_seq_lt(a, b) != (d > 0) || ptcp_seq_gt(a, b) != (d < 0))
		FAIL("%u < %u disagrees with the distance %d", a, b, (int)d);
	return 0;
}

static int lengths(uint32_t a, uint32_t b, uint32_t len, char *why, size_t cap)
{
	uint32_t l = len % W31;
	if (l && (!ptcp_seq_lt(a, a + l) || !ptcp_seq_gt(a + l, a) || !ptcp_seq_lt(a - l, a)))
		FAIL("%u + %u is not after %u", a, l, a);
	if (b - a == W31)
		return 0;
	if (ptcp_seq_lt(a, b) != ptcp_seq_lt(a + l, b + l) ||
	    ptcp_seq_lt(a, b) != ptcp_seq_lt(a - l, b - l))
		FAIL("adding %u changes the order of %u and %u", l, a, b);
	/* (a + l) - l == a and the distance is the length */
	if ((uint32_t)((a + l) - a) != l || (uint32_t)((a + l) - l) != a)
		FAIL("a length %u does not come back from %u", l, a);
	/* stepping through a window by lengths keeps increasing */
	uint32_t s1 = l / 3, s2 = l / 3 + l / 5;
	if (s1 && s2 > s1 && l && (!ptcp_seq_lt(a + s1, a + s2) || !ptcp_seq_le(a + s2, a + l)))
		FAIL("%u + %u, %u + %u, %u + %u are not increasing", a, s1, a, s2, a, l);
	return 0;
}

static int in_window(uint32_t lo, uint32_t w, uint32_t x, char *why, size_t cap)
{
	uint32_t hi = lo + (w % W31);
	uint32_t off = x - lo;
	if (ptcp_seq_in(x, lo, hi) != (off < hi - lo))
		FAIL("ptcp_seq_in(%u, %u, %u): %u is offset %u of a window of %u", x, lo, hi, x,
		     off, hi - lo);
	int want = ptcp_seq_le(lo, x) && ptcp_seq_lt(x, hi);
	if (off != W31 && x - hi != W31 && ptcp_seq_in(x, lo, hi) != want)
		FAIL("ptcp_seq_in(%u, %u, %u) is %d, lo <= x < hi is %d", x, lo, hi,
		     ptcp_seq_in(x, lo, hi), want);
	if (ptcp_seq_in(lo, lo, lo))
		FAIL("an empty window [%u, %u) holds %u", lo, lo, lo);
	if (hi != lo &&
	    (!ptcp_seq_in(lo, lo, hi) || ptcp_seq_in(hi, lo, hi) || !ptcp_seq_in(hi - 1, lo, hi)))
		FAIL("the ends of [%u, %u) are wrong", lo, hi);
	return 0;
}

static int seg_len(uint32_t len, uint32_t len2, uint32_t flags, char *why, size_t cap)
{
	ptcp_seg s;
	memset(&s, 0, sizeof s);
	s.payload_len = len % 70000u;
	s.payload2_len = len2 % 70000u;
	s.flags = (uint8_t)flags;
	uint32_t want = (uint32_t)(s.payload_len + s.payload2_len) +
	                ((flags & PTCP_SYN) ? 1u : 0u) + ((flags & PTCP_FIN) ? 1u : 0u);
	if (ptcp_seg_len(&s) != s.payload_len + s.payload2_len)
		FAIL("ptcp_seg_len %zu, payload %zu + %zu", ptcp_seg_len(&s), s.payload_len,
		     s.payload2_len);
	if (ptcp_seg_seqlen(&s) != want)
		FAIL("flags 0x%02x, payload %zu + %zu: sequence length %u, want %u",
		     (unsigned)s.flags, s.payload_len, s.payload2_len, ptcp_seg_seqlen(&s), want);
	return 0;
}

Test(seq, strict_order)
{
	check3("seq-strict-order", strict_order, 400000);
}

Test(seq, wraparound)
{
	check3("seq-wraparound", wraparound, 400000);
}

Test(seq, lengths)
{
	check3("seq-lengths", lengths, 400000);
}

Test(seq, in)
{
	check3("seq-in", in_window, 400000);
}

Test(seq, seg_len)
{
	check3("seq-seg-len", seg_len, 100000);
}
