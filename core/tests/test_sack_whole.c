/*
 * PTCP_CFG_SACK_WHOLE_SEG (Linux's tcp_match_skb_to_sack): a SACK block
 * marks only the whole segments it covers.  Each test runs the same
 * conversation with the flag off (RFC 2018 / RFC 6675: every SACKed octet
 * counts) and on, and looks at the segments the core sends afterwards.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u
#define B    (ISS + 1001u) /* the first octet after the RTT-sampling segment */

/* SACK + RACK + TLP (+ flags), MSS 1000, an RTT of 100 ms measured on a first segment. */
static void client(conv *t, uint32_t flags)
{
	conv_rtt_client(t, PTCP_CFG_TLP | flags, ISS, PISS);
}

/* One burst of len octets at B, sent as MSS segments (the last one shorter). */
static void send_burst(conv *t, uint32_t len)
{
	conv_sendn(t, len);
	for (uint32_t off = 0; off < len; off += 1000) {
		uint32_t n = len - off < 1000 ? len - off : 1000;
		expect_seg(t, off + n == len ? "P." : ".", B + off, PISS + 1, n);
	}
	expect_nothing(t);
}

static void sack_ack(conv *t, uint32_t ack, uint32_t l, uint32_t r)
{
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	o.sack[0].left = l;
	o.sack[0].right = r;
	conv_seg_opts(t, ".", PISS + 1, ack, 60000, &o, NULL, 0);
}

/* A client (flags), a burst of four segments, then 100 ms later an ACK of B
 * with the block [l, B + 4000): nothing goes out at once; then the next
 * deadline fires (the probe's or RACK's timer). */
static void burst_sacked_from(conv *t, uint32_t flags, uint32_t l)
{
	client(t, flags);
	send_burst(t, 4000);
	t->now += PTCP_MS(100);
	sack_ack(t, B, l, B + 4000);
	expect_nothing(t);
	conv_to_deadline(t);
}

/* The SACK of the last octet of the last (full) segment: off, the tail loss
 * probe resends the segment without that octet; on, the block marks nothing
 * and the probe is the whole last segment, PSH as sent (RFC 8985 7.3). */
static void last_octet(uint32_t flags, const char *probe_flags, uint32_t probe_len)
{
	conv t;
	/* the probe timeout: no RACK loss from a part of a segment */
	burst_sacked_from(&t, flags, B + 3999);
	expect_seg(&t, probe_flags, B + 3000, PISS + 1, probe_len);
	expect_nothing(&t);
	conv_fini(&t);
}

Test(sack_whole, off_last_octet_counts)
{
	last_octet(0, ".", 999);
}

Test(sack_whole, on_last_octet_ignored)
{
	last_octet(PTCP_CFG_SACK_WHOLE_SEG, "P.", 1000);
}

/* A block starting in the middle of segment 3 (of 4): on, its left edge is
 * rounded up to segment 4, so when RACK's timer marks the ones sent before
 * lost (RFC 8985 6.3), segment 3 goes again whole; off, only its unSACKed
 * first half goes. */
static void mid_segment_edge(uint32_t flags, uint32_t third_len)
{
	conv t;
	burst_sacked_from(&t, flags, B + 2500); /* then RACK's reordering timer */
	expect_seg(&t, ".", B, PISS + 1, 1000);
	expect_seg(&t, ".", B + 1000, PISS + 1, 1000);
	expect_seg(&t, ".", B + 2000, PISS + 1, third_len);
	expect_nothing(&t);
	conv_fini(&t);
}

Test(sack_whole, off_partial_block_trims_resend)
{
	mid_segment_edge(0, 500);
}

Test(sack_whole, on_partial_block_rounded_to_segments)
{
	mid_segment_edge(PTCP_CFG_SACK_WHOLE_SEG, 1000);
}

/* A burst's last segment may be shorter than the MSS: a block covering all
 * of it is a whole segment, so RACK counts it delivered and its timer marks
 * the three before it lost min_RTT / 4 later (25 ms), with the flag on too. */
Test(sack_whole, on_short_last_segment_counts)
{
	conv t;
	client(&t, PTCP_CFG_SACK_WHOLE_SEG);
	send_burst(&t, 3500);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 3000, B + 3500);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(25), "timer at +%lld us",
	             (long long)(last_deadline(&t) - t.now));
	conv_to_deadline(&t);
	expect_seg(&t, ".", B, PISS + 1, 1000);
	conv_fini(&t);
}

/* The Linux profile turns it on. */
Test(sack_whole, linux_profile_sets_it)
{
	expect_linux_profile_flag(PTCP_CFG_SACK_WHOLE_SEG);
}
