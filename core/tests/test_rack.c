/*
 * RACK (RFC 8985 6), one mechanism per test, as conversations: time-based
 * loss marking on an ACK (also of a lost retransmission), the reordering
 * window (min_RTT / 4; 0 once DupThresh segments are SACKed; kept when
 * reordering was seen), the reordering timer, and the DSACK-widened window.
 * The tests look at the segments emitted and the deadline reported only.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u
#define B    (ISS + 1001u) /* the first octet after the RTT-sampling segment */

/* An ACK of ack with up to two SACK blocks (l2 == 0: one). */
static void sack_ack(conv *t, uint32_t ack, uint32_t l1, uint32_t r1, uint32_t l2, uint32_t r2)
{
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = l2 ? 2 : 1};
	o.sack[0].left = l1;
	o.sack[0].right = r1;
	o.sack[1].left = l2;
	o.sack[1].right = r2;
	conv_seg_opts(t, ".", PISS + 1, ack, 60000, &o, NULL, 0);
}

static void send_segs(conv *t, uint32_t from, int n)
{
	conv_sendn(t, (size_t)n * 1000);
	for (int i = 0; i < n; i++)
		expect_seg(t, i == n - 1 ? "P." : ".", from + 1000 * (uint32_t)i, PISS + 1, 1000);
	expect_nothing(t);
}

static ptcp_stats stats(const conv *t)
{
	ptcp_stats st;
	ptcp_conn_stats(&t->c, &st);
	return st;
}

/* RFC 8985 6.2/6.3: one SACKed segment is not enough to call the ones sent
 * before it lost at once; they are lost RACK.rtt + reo_wnd after they were
 * sent, reo_wnd = min_RTT / 4 = 25 ms; the reordering timer fires then. */
Test(rack, reordering_timer_marks_after_min_rtt_over_4)
{
	conv t;
	conv_rtt_client(&t, 0, ISS, PISS);
	send_segs(&t, B, 4);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 3000, B + 4000, 0, 0); /* only the last one arrived */
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(25), "timer at +%lld us",
	             (long long)(last_deadline(&t) - t.now));
	t.now += PTCP_MS(24);
	conv_advance(&t, 0);
	expect_nothing(&t);
	conv_to_deadline(&t);
	expect_seg(&t, ".", B, PISS + 1, 1000); /* 1:1001 lost by RACK: resent */
	cr_assert_eq(stats(&t).rack_losses, 1);
	cr_assert_eq(stats(&t).fast_recoveries, 1);
	cr_assert_eq(stats(&t).rto_fired, 0);
	conv_fini(&t);
}

/* With RACK off the same SACK waits for more duplicates (or the RTO). */
Test(rack, off_no_reordering_timer)
{
	conv t;
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY | PTCP_CFG_SACK;
	conv_init(&t, &cfg, 65536, 16384);
	conv_connect(&t, ISS);
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK_PERM | PTCP_OPT_MSS, .mss = 1000};
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	send_segs(&t, ISS + 1, 4);
	t.now += PTCP_MS(100);
	sack_ack(&t, ISS + 1, ISS + 3001, ISS + 4001, 0, 0);
	ptcp_info i;
	ptcp_conn_info(&t.c, &i);
	conv_to_deadline(&t);
	cr_assert_eq(stats(&t).rto_fired, 1, "only the RTO resends");
	cr_assert_eq(stats(&t).rack_losses, 0);
	conv_fini(&t);
}

/* RFC 8985 6.2 step 4: no reordering seen and DupThresh segments SACKed:
 * reo_wnd is 0, the segments sent before are lost on this ACK. */
Test(rack, reo_wnd_zero_after_dupthresh_sacked)
{
	conv t;
	conv_rtt_client(&t, 0, ISS, PISS);
	send_segs(&t, B, 10);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 7000, B + 10000, 0, 0); /* 3 segments in one ACK */
	expect_seg(&t, ".", B, PISS + 1, 1000);
	cr_assert_eq(stats(&t).fast_recoveries, 1);
	/* all sent before is lost now: no reordering timer is left to wait for */
	cr_assert_neq(last_deadline(&t), t.now + PTCP_MS(25));
	conv_fini(&t);
}

/* RFC 8985 6.2 step 3: a segment never retransmitted delivered below
 * RACK.fack is reordering; then reo_wnd stays min_RTT / 4 even with
 * DupThresh segments SACKed (without it, reo_wnd would be 0). */
Test(rack, reordering_seen_keeps_the_window)
{
	conv t;
	conv_rtt_client(&t, 0, ISS, PISS);
	send_segs(&t, B, 10);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 3000, B + 4000, 0, 0); /* segment 3 first ... */
	expect_nothing(&t);
	t.now += PTCP_MS(1);
	sack_ack(&t, B, B + 1000, B + 4000, 0, 0); /* ... then 1 and 2: reordering */
	t.now += PTCP_MS(1);
	sack_ack(&t, B, B + 1000, B + 4000, B + 8000, B + 9000); /* 4 SACKed, 8 above 4-7 */
	/* 4-7 were sent with 8 (same burst, lower): RACK calls them lost only
	 * 25 ms from now (reo_wnd 0 would have marked them now, no timer) */
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(25), "timer at +%lld us",
	             (long long)(last_deadline(&t) - t.now));
	conv_fini(&t);
}

/* RFC 8985 6.2 step 4: a DSACK widens reo_wnd to 2 * min_RTT / 4. */
Test(rack, dsack_widens_the_window)
{
	conv t;
	conv_rtt_client(&t, 0, ISS, PISS);
	send_segs(&t, B, 4);
	t.now += PTCP_MS(100);
	conv_seg(&t, ".", PISS + 1, B + 1000, 60000, NULL, 0);
	sack_ack(&t, B + 1000, B, B + 1000, 0, 0); /* D-SACK: 0 arrived twice */
	cr_assert_eq(stats(&t).dsacks_in, 1);
	sack_ack(&t, B + 1000, B + 3000, B + 4000, 0, 0);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(50), "timer at +%lld us",
	             (long long)(last_deadline(&t) - t.now));
	conv_to_deadline(&t);
	expect_seg(&t, ".", B + 1000, PISS + 1, 1000);
	conv_fini(&t);
}

/* RFC 8985 2.2 / 6.2: RACK sees a lost retransmission - once a segment sent
 * after it is delivered - where RFC 6675 would wait for the RTO. */
Test(rack, lost_retransmission_is_sent_again)
{
	conv t;
	conv_rtt_client(&t, 0, ISS, PISS);
	send_segs(&t, B, 10);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 2000, B + 10000, 0, 0); /* 0 and 1 lost */
	expect_seg(&t, ".", B, PISS + 1, 1000);
	expect_seg(&t, ".", B + 1000, PISS + 1, 1000);
	expect_nothing(&t);
	/* the resent 1 arrives (SACKed), the resent 0 does not */
	t.now += PTCP_MS(105);
	sack_ack(&t, B, B + 1000, B + 10000, 0, 0);
	expect_seg(&t, ".", B, PISS + 1, 1000);
	cr_assert_eq(stats(&t).rto_fired, 0);
	cr_assert_eq(stats(&t).retransmits, 3);
	conv_fini(&t);
}

/* PTCP_CFG_REO_TIMER_LINUX: the reordering timer is armed 2 ms after the
 * earliest loss time, as Linux's tcp_rack_mark_lost (RACK.rtt 100 ms +
 * reo_wnd 25 ms - 100 ms elapsed + 2 ms); the resend comes then, not before. */
Test(rack, linux_timer_two_ms_late)
{
	conv t;
	conv_rtt_client(&t, PTCP_CFG_REO_TIMER_LINUX, ISS, PISS);
	send_segs(&t, B, 4);
	t.now += PTCP_MS(100);
	sack_ack(&t, B, B + 3000, B + 4000, 0, 0);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(27), "timer at +%lld us",
	             (long long)(last_deadline(&t) - t.now));
	t.now += PTCP_MS(26);
	conv_advance(&t, 0);
	expect_nothing(&t);
	conv_to_deadline(&t);
	expect_seg(&t, ".", B, PISS + 1, 1000);
	cr_assert_eq(stats(&t).rack_losses, 1);
	conv_fini(&t);
}
