/*
 * Congestion controllers against their RFC formulas: Reno (RFC 5681) and
 * CUBIC (RFC 9438).  The controllers are a public interface over the
 * block's cwnd / ssthresh, so the tests drive them directly.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ptcp/ptcp.h"

#define MSS 1000u

static void setup(ptcp_conn *c, const ptcp_cc_ops *cc, uint32_t cwnd_segs)
{
	memset(c, 0, sizeof(*c));
	c->snd_mss = MSS;
	c->cwnd = cwnd_segs * MSS;
	c->ssthresh = 0x7fffffff;
	c->srtt = PTCP_MS(100);
	cc->init(c);
}

/* One RTT: a whole window acknowledged, one MSS per ACK. */
static void rtt_of_acks(ptcp_conn *c, const ptcp_cc_ops *cc, ptcp_time_t *now)
{
	uint32_t w = c->cwnd;
	for (uint32_t i = 0; i < w / MSS; i++)
		cc->on_ack(c, MSS, *now);
	if (w % MSS)
		cc->on_ack(c, w % MSS, *now);
	*now += PTCP_MS(100);
}

Test(reno, slow_start_doubles_then_linear)
{
	ptcp_conn c;
	ptcp_time_t now = PTCP_SEC(1);
	setup(&c, &ptcp_cc_reno, 10);
	rtt_of_acks(&c, &ptcp_cc_reno, &now);
	cr_assert_eq(c.cwnd, 20 * MSS, "slow start doubles per RTT");
	c.ssthresh = 20 * MSS;
	rtt_of_acks(&c, &ptcp_cc_reno, &now);
	cr_assert_eq(c.cwnd, 21 * MSS, "congestion avoidance: +1 MSS per RTT");
	rtt_of_acks(&c, &ptcp_cc_reno, &now);
	cr_assert_eq(c.cwnd, 22 * MSS);
}

Test(reno, ssthresh_is_half_the_flight)
{
	ptcp_conn c;
	setup(&c, &ptcp_cc_reno, 40);
	c.snd_una = 1000;
	c.snd_max = 1000 + 30 * MSS;
	cr_assert_eq(ptcp_cc_reno.ssthresh(&c, 0), 15 * MSS); /* RFC 5681 eq. 4 */
	c.snd_max = 1000 + 2 * MSS;
	cr_assert_eq(ptcp_cc_reno.ssthresh(&c, 0), 2 * MSS, "never below 2 MSS");
}

Test(cubic, beta_and_recovery_to_wmax_at_k)
{
	ptcp_conn c;
	ptcp_time_t now = PTCP_SEC(1), t0;
	setup(&c, &ptcp_cc_cubic, 100);
	c.ssthresh = ptcp_cc_cubic.ssthresh(&c, now);
	cr_assert_eq(c.ssthresh, 70 * MSS, "RFC 9438 4.6: beta_cubic = 0.7");
	c.cwnd = c.ssthresh;
	t0 = now;
	/* K = cbrt((W_max - cwnd_epoch) / C) = cbrt(30 / 0.4) = 4.217 s */
	while (c.cwnd < 100 * MSS && now - t0 < PTCP_SEC(20))
		rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	double secs = (double)(now - t0) / 1e6;
	cr_log_info("cwnd back at W_max after %.2f s (K = 4.22 s)", secs);
	/* The target uses t + RTT, and the window is updated once per RTT here. */
	cr_assert(secs > 3.6 && secs < 4.8, "W_max reached after %.2f s, expected about K", secs);
	/* Concave then convex: growth accelerates beyond W_max. */
	uint32_t w1 = c.cwnd;
	rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	uint32_t d1 = c.cwnd - w1;
	for (int i = 0; i < 20; i++)
		rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	uint32_t w2 = c.cwnd;
	rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	cr_assert_gt(c.cwnd - w2, d1, "convex region grows faster");
}

Test(cubic, fast_convergence)
{
	/* Large windows, so the cubic curve (not the Reno-friendly one) rules. */
	ptcp_conn c;
	setup(&c, &ptcp_cc_cubic, 1000);
	ptcp_cc_cubic.ssthresh(&c, 0); /* W_last_max = 1000 */
	c.cwnd = 800 * MSS;            /* a second loss below the last maximum */
	c.ssthresh = ptcp_cc_cubic.ssthresh(&c, 0);
	cr_assert_eq(c.ssthresh, 560 * MSS);
	c.cwnd = c.ssthresh;
	ptcp_time_t now = PTCP_SEC(5), t0 = now;
	/* W_max = 800 (1 + 0.7) / 2 = 680 segments, K = cbrt(120 / 0.4) = 6.69 s
	 * (without fast convergence: W_max 800, K = 8.43 s) */
	while (c.cwnd < 680 * MSS && now - t0 < PTCP_SEC(20))
		rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	double secs = (double)(now - t0) / 1e6;
	cr_log_info("W_max 680 reached after %.2f s (K = 6.69 s)", secs);
	cr_assert(secs > 6.0 && secs < 7.3, "W_max (680) reached after %.2f s, expected ~6.7",
	          secs);
}

Test(cubic, reno_friendly_region_at_small_windows)
{
	/* With a tiny W_max, the Reno-friendly estimate dominates: growth of at
	 * least alpha = 0.53 MSS per RTT. */
	ptcp_conn c;
	ptcp_time_t now = PTCP_SEC(1);
	setup(&c, &ptcp_cc_cubic, 4);
	c.ssthresh = ptcp_cc_cubic.ssthresh(&c, now);
	c.cwnd = c.ssthresh;
	uint32_t w0 = c.cwnd;
	for (int i = 0; i < 10; i++)
		rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	cr_assert_geq(c.cwnd - w0, 5 * MSS, "grew %u bytes in 10 RTTs", c.cwnd - w0);
}

/* RFC 9438 4.2 in 32 bits: however far the cubic curve runs past W_max, the
 * window stays below 2^31 bytes (more could not be told apart in sequence
 * space, RFC 9293 3.4). */
Test(cubic, window_stays_below_2_to_the_31)
{
	ptcp_conn c;
	ptcp_time_t now = PTCP_SEC(1);
	setup(&c, &ptcp_cc_cubic, 0x7fff0000u / MSS);
	c.ssthresh = c.cwnd; /* congestion avoidance from here */
	for (int i = 0; i < 64; i++) {
		ptcp_cc_cubic.on_ack(&c, 1u << 20, now);
		cr_assert_leq(c.cwnd, 0x7fffffffu, "after %d ACKs at %llu s: cwnd %u", i + 1,
		              (unsigned long long)(now / 1000000), c.cwnd);
		now += PTCP_SEC(10);
	}
	cr_assert_geq(c.cwnd, 0x7fff0000u, "and it did not shrink");
}

/* cwnd after a loss at 100 segments, one RTT of ACKs per 100 ms for 2 s,
 * from ssthresh; timeout: the loss was a retransmission timeout (with
 * data in flight), idle: on_rto for an idle restart (nothing in flight). */
static uint32_t cubic_after(int timeout, int idle)
{
	ptcp_conn c;
	ptcp_time_t now = PTCP_SEC(1);
	setup(&c, &ptcp_cc_cubic, 100);
	c.snd_una = 1000;
	c.snd_max = idle ? 1000 : 1000 + 100 * MSS;
	c.ssthresh = ptcp_cc_cubic.ssthresh(&c, now);
	if (timeout || idle)
		ptcp_cc_cubic.on_rto(&c, now);
	c.cwnd = c.ssthresh;
	for (int i = 0; i < 20; i++)
		rtt_of_acks(&c, &ptcp_cc_cubic, &now);
	return c.cwnd;
}

/* RFC 9438 4.8: the first congestion avoidance stage after a timeout has
 * K = 0 and W_max = cwnd at its start: no concave climb back to the old
 * W_max (100), only the Reno-friendly growth (about 0.53 MSS per RTT);
 * after a fast-recovery loss, or an idle restart, W_max stays 100. */
Test(cubic, timeout_epoch_starts_from_cwnd)
{
	uint32_t loss = cubic_after(0, 0), rto = cubic_after(1, 0), idle = cubic_after(0, 1);
	cr_log_info("cwnd after 2 s: loss %u, timeout %u, idle %u", loss, rto, idle);
	cr_assert_gt(loss, 90 * MSS, "concave growth toward W_max 100: %u", loss);
	cr_assert_lt(rto, 85 * MSS, "after a timeout no climb toward the old W_max: %u", rto);
	cr_assert_geq(rto, 79 * MSS, "Reno-friendly growth, ~0.53 MSS per RTT: %u", rto);
	cr_assert_eq(idle, loss, "an idle restart keeps W_max");
}
