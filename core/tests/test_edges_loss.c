/*
 * Edges of loss recovery and timing the property generators rarely reach:
 * SACK scoreboard and recovery (RFC 6675, RFC 2018), RACK (RFC 8985 6), the
 * tail loss probe (RFC 8985 7), the RTO (RFC 6298, RFC 5482) and CUBIC
 * (RFC 9438).  Found by mutation testing (scripts/mutate); each asserts on
 * emitted segments, deadlines, public counters, or the congestion-control
 * interface's cwnd.  Criterion suite edges, meson test edges_loss.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "test_edges.h"

/* RFC 5482: a backed-off RTO does not overshoot the user timeout: the
 * connection times out when the data has been unacknowledged for the user
 * timeout (here between two RTO expiries), and no deadline lies beyond it. */
Test(edges, user_timeout_caps_the_backed_off_rto)
{
	conv t;
	int err = 0, done = 0;
	ptcp_config cfg = plain();
	cfg.user_timeout = PTCP_MS(2500);
	client(&t, cfg, 0, 1000);
	conv_sendn(&t, 10);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 10);
	ptcp_time_t first = t.now;
	for (int k = 0; k < 30 && !done; k++) {
		cr_assert_leq(last_deadline(&t), first + PTCP_MS(2500));
		conv_to_deadline(&t);
		done = saw_event(&t, PTCP_EV_TIMEDOUT, &err);
	}
	cr_assert(done);
	cr_assert_eq(err, PTCP_ETIMEDOUT);
	cr_assert_eq(t.now, first + PTCP_MS(2500));
	conv_fini(&t);
}

/* RFC 2018 4: after an in-order segment removed a range from the middle of
 * the list, the most recently received range is still reported first. */
Test(edges, sack_most_recent_first_after_a_range_goes)
{
	conv t;
	client(&t, plain(), 1, 1000);
	conv_seg(&t, "P.", PISS + 301, ISS + 1, 60000, NULL, 100); /* X */
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	conv_seg(&t, "P.", PISS + 101, ISS + 1, 60000, NULL, 100); /* Y */
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	conv_seg(&t, "P.", PISS + 501, ISS + 1, 60000, NULL, 100); /* Z, the latest */
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	cr_assert_eq(s->opts.sack[0].left, PISS + 501);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, NULL, 100); /* fills up to Y's end */
	s = expect_seg(&t, ".", ISS + 1, PISS + 201, 0);
	cr_assert_eq(s->opts.sack_count, 2);
	cr_assert_eq(s->opts.sack[0].left, PISS + 501, "Z, the most recent, first");
	cr_assert_eq(s->opts.sack[1].left, PISS + 301);
	conv_fini(&t);
}

/* RFC 9438 4.2: after a reduction, W_cubic starts at cwnd_epoch and K =
 * cbrt((W_max - cwnd_epoch) / C): one RTT later the target is W_cubic(2 RTT)
 * = W_max - C (K - 0.1)^3, 5.3 segments above cwnd_epoch here (fast
 * convergence: W_max 680, cwnd 560 segments, K 6.69 s); a wrong K moves that
 * start (K 6.25 s: 27 segments). */
Test(edges, cubic_first_rtt_after_a_reduction)
{
	enum { SEG = 1000 };
	ptcp_conn c;
	memset(&c, 0, sizeof(c));
	c.snd_mss = SEG;
	c.cwnd = 1000 * SEG;
	c.ssthresh = 0x7fffffff;
	c.srtt = PTCP_MS(100);
	ptcp_cc_cubic.init(&c);
	ptcp_cc_cubic.ssthresh(&c, 0); /* W_last_max 1000 */
	c.cwnd = 800 * SEG;
	c.ssthresh = ptcp_cc_cubic.ssthresh(&c, 0);
	cr_assert_eq(c.ssthresh, 560 * SEG);
	c.cwnd = c.ssthresh;
	ptcp_time_t now = PTCP_SEC(5);
	for (uint32_t i = 0; i < 560; i++)
		ptcp_cc_cubic.on_ack(&c, SEG, now);
	cr_assert_gt(c.cwnd, 560 * SEG, "concave growth starts");
	cr_assert_leq(c.cwnd, 560 * SEG + 5300,
	              "grew %u bytes in the first RTT; W_cubic allows 5300", c.cwnd - 560 * SEG);
}

/* RFC 6298 2.3: after a second sample R' the RTO is SRTT + 4 * RTTVAR, and
 * it is again once an ACK ends a backoff (5.7).  SYN
 * answered after 1 s: SRTT 1 s, RTTVAR 0.5 s; data acked after 1 s again:
 * RTTVAR 3/4 * 0.5 + 1/4 * 0 = 0.375 s, SRTT 1 s, so RTO 2.5 s: the next
 * segment is retransmitted 2.5 s after it is sent, not later. */
Test(edges, rto_is_srtt_plus_four_rttvar)
{
	conv t;
	ptcp_config cfg = plain();
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1000};
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	t.now += 1000000;
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	cr_assert_eq(conv_send(&t, "0123456789", 10), 10);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 10);
	t.now += 1000000;
	conv_seg(&t, ".", PISS + 1, ISS + 11, 60000, NULL, 0);
	expect_nothing(&t);
	cr_assert_eq(conv_send(&t, "abcde", 5), 5);
	expect_seg(&t, "P.", ISS + 11, PISS + 1, 5);
	ptcp_time_t sent = t.now;
	cr_assert_eq(last_deadline(&t), sent + 2500000, "deadline %llu after the send",
	             (unsigned long long)(last_deadline(&t) - sent));
	conv_to_deadline(&t);
	expect_seg(&t, "P.", ISS + 11, PISS + 1, 5);
	/* RFC 6298 5.5 backed the RTO off to 5 s; the ACK of the retransmitted
	 * segment gives no sample (Karn) but acks everything: the timer stops and
	 * the RTO is SRTT + 4 * RTTVAR = 2.5 s again for the next segment. */
	t.now += 100000;
	conv_seg(&t, ".", PISS + 1, ISS + 16, 60000, NULL, 0);
	cr_assert_eq(conv_send(&t, "fg", 2), 2);
	expect_seg(&t, "P.", ISS + 16, PISS + 1, 2);
	sent = t.now;
	cr_assert_eq(last_deadline(&t), sent + 2500000, "deadline %llu after the send",
	             (unsigned long long)(last_deadline(&t) - sent));
	conv_fini(&t);
}

/* RFC 6298 2.2/2.3 with G = 1 ms: RTO = SRTT + max(G, 4 * RTTVAR).  With
 * rto_min 1 us and a SYN answered after 480 us (SRTT 480, RTTVAR 240, so
 * 4 * RTTVAR = 960 < G) the RTO is 1480 us, before a backoff and again after
 * the ACK that ends it (5.7; no sample from a retransmitted segment). */
Test(edges, rto_granularity_term_after_a_backoff)
{
	conv t;
	ptcp_config cfg = plain();
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1000};
	cfg.rto_min = 1;
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	t.now += 480;
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	cr_assert_eq(conv_send(&t, "0123456789", 10), 10);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 10);
	cr_assert_eq(last_deadline(&t), t.now + 1480, "RTO %llu",
	             (unsigned long long)(last_deadline(&t) - t.now));
	conv_to_deadline(&t);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 10);
	t.now += 100;
	conv_seg(&t, ".", PISS + 1, ISS + 11, 60000, NULL, 0);
	cr_assert_eq(conv_send(&t, "ab", 2), 2);
	expect_seg(&t, "P.", ISS + 11, PISS + 1, 2);
	cr_assert_eq(last_deadline(&t), t.now + 1480, "RTO %llu",
	             (unsigned long long)(last_deadline(&t) - t.now));
	conv_fini(&t);
}

/* RFC 6675 4 IsLost: a hole is lost once DupThresh (3) discontiguous SACKed
 * ranges lie above it, however few bytes they hold: one ACK SACKing the
 * second, fourth and sixth of seven small segments starts loss recovery and
 * the first segment goes again at once. */
Test(edges, three_sacked_ranges_make_a_hole_lost)
{
	conv t;
	client(&t, plain(), 1, 1000);
	for (int k = 0; k < 7; k++) {
		cr_assert_eq(conv_sendn(&t, 100), 100);
		expect_seg(&t, "P.", ISS + 1 + 100 * (uint32_t)k, PISS + 1, 100);
	}
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 3};
	for (int b = 0; b < 3; b++) {
		o.sack[b].left = ISS + 1 + 100 * (uint32_t)(1 + 2 * b);
		o.sack[b].right = o.sack[b].left + 100;
	}
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 100);
	conv_fini(&t);
}

/* RFC 6675 2/4: SACKed ranges that touch are one range for IsLost: blocks
 * for the third and then the (adjacent) second segment plus the fifth make
 * two ranges above the hole, not three, so the second duplicate ACK starts
 * no recovery; the third does (DupThresh). */
Test(edges, adjacent_sack_blocks_merge)
{
	conv t;
	client(&t, plain(), 1, 1000);
	for (int k = 0; k < 7; k++) {
		cr_assert_eq(conv_sendn(&t, 100), 100);
		expect_seg(&t, "P.", ISS + 1 + 100 * (uint32_t)k, PISS + 1, 100);
	}
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	o.sack[0].left = ISS + 201;
	o.sack[0].right = ISS + 301;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	o.sack_count = 2;
	o.sack[0].left = ISS + 101; /* touches [ISS + 201, ISS + 301) from below */
	o.sack[0].right = ISS + 201;
	o.sack[1].left = ISS + 401;
	o.sack[1].right = ISS + 501;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 100);
	conv_fini(&t);
}

/* A SACK and RACK client whose handshake took 40 ms (RACK.min_RTT 40 ms). */
static void rack_client(conv *t)
{
	ptcp_config cfg = plain();
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1000};
	cfg.flags |= PTCP_CFG_SACK | PTCP_CFG_RACK;
	conv_init(t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(t, ISS), 0);
	t->now += PTCP_MS(40);
	conv_seg_opts(t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(t, ".", ISS + 1, PISS + 1, 0);
	for (int k = 0; k < 4; k++) { /* full segments: RACK counts whole ones */
		cr_assert_eq(conv_sendn(t, 1000), 1000);
		expect_seg(t, "P.", ISS + 1 + 1000 * (uint32_t)k, PISS + 1, 1000);
	}
}

/* RFC 8985 6.2/6.3: a hole that one SACKed range reveals (no DupThresh yet)
 * is lost after a reordering window of RACK.min_RTT / 4: the 40 ms
 * handshake's sample gives 10 ms; sent 20 ms before the SACK that took
 * RACK.rtt = 20 ms, the hole's deadline is 20 + 10 - 20 = 10 ms away; once a
 * cumulative ACK closes the hole (and acks all) the window is gone: no
 * deadline at all, and nothing is resent when it would have expired. */
Test(edges, rack_window_is_a_quarter_of_the_min_rtt_and_goes_with_the_hole)
{
	conv t;
	rack_client(&t);
	t.now += PTCP_MS(20);
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	o.sack[0].left = ISS + 2001;
	o.sack[0].right = ISS + 3001;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t.now + PTCP_MS(10), "deadline %llu, now %llu",
	             (unsigned long long)last_deadline(&t), (unsigned long long)t.now);
	t.now += PTCP_MS(5);
	conv_seg(&t, ".", PISS + 1, ISS + 4001, 60000, NULL, 0);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER, "deadline %llu, now %llu",
	             (unsigned long long)last_deadline(&t), (unsigned long long)t.now);
	cr_assert_eq(stats(&t).rack_losses, 0);
	conv_fini(&t);
}

/* RFC 9438 4.2 W_cubic(t) = C (t - K)^3 + W_max, with t - K held at 100 s
 * (the core's bound that keeps the cube in 64 bits): 100 s and 300 s after
 * an epoch that starts at W_max (K = 0) give the same target, W_max + 0.4 *
 * 100^3 segments, and one ACK of a whole window at either moves cwnd
 * (1e9 bytes, where 1.5 cwnd does not cap the target) to exactly 1.4e9. */
Test(edges, cubic_target_is_held_100_s_after_k)
{
	enum { SEG = 1000 };
	for (int k = 0; k < 2; k++) {
		ptcp_conn c;
		memset(&c, 0, sizeof(c));
		c.snd_mss = SEG;
		c.cwnd = 1000000000u;
		c.ssthresh = 0x7fffffff;
		ptcp_cc_cubic.init(&c);
		c.ssthresh = ptcp_cc_cubic.ssthresh(&c, 0); /* W_max 1e9 */
		ptcp_cc_cubic.on_ack(&c, SEG, PTCP_SEC(1)); /* the epoch starts: K = 0 */
		cr_assert_eq(c.cwnd, 1000000000u);
		ptcp_cc_cubic.on_ack(&c, 1000000000u, PTCP_SEC(1) + PTCP_SEC(k ? 300 : 100));
		cr_assert_eq(c.cwnd, 1400000000u, "%u s after K: cwnd %u", k ? 300 : 100, c.cwnd);
	}
}

/* RFC 6675 5 step C / RFC 9293 3.8.6: a retransmission in SACK recovery
 * stays inside the peer's window.  Nine segments of 100 are out when the
 * peer acks the first and shrinks its window to 250 (right edge at 351),
 * SACKing the 3rd, 5th and 7th; its duplicate ACK, also SACKing the 9th,
 * starts recovery: the 2nd segment goes again whole, the 4th only up to the
 * right edge (50 bytes), the 6th not at all. */
Test(edges, sack_recovery_resend_stays_in_the_window)
{
	conv t;
	client(&t, plain(), 1, 1000);
	for (int k = 0; k < 9; k++) {
		cr_assert_eq(conv_sendn(&t, 100), 100);
		expect_seg(&t, "P.", ISS + 1 + 100 * (uint32_t)k, PISS + 1, 100);
	}
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 3};
	for (int b = 0; b < 3; b++) {
		o.sack[b].left = ISS + 1 + 100 * (uint32_t)(2 + 2 * b);
		o.sack[b].right = o.sack[b].left + 100;
	}
	conv_seg_opts(&t, ".", PISS + 1, ISS + 101, 250, &o, NULL, 0);
	expect_nothing(&t);
	o.sack_count = 4;
	o.sack[3].left = ISS + 801;
	o.sack[3].right = ISS + 901;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 101, 250, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 101, PISS + 1, 100);
	expect_seg(&t, ".", ISS + 301, PISS + 1, 50);
	expect_nothing(&t);
	conv_fini(&t);
}

/* RFC 2018 8: a cumulative ACK that stops at the start of a SACKed range
 * means the peer reneged: the scoreboard is forgotten, and only what is
 * SACKed afterwards counts.  Ten segments of 100; the peer acks 300 bytes
 * and SACKs [301, 401) (reneged at once), [601, 701) and [801, 901); then
 * SACKs only [401, 501).  The timeout's go-back-N sends [301, 401), skips
 * [401, 501) and sends the rest, [501, 1001), in one segment: the ranges
 * forgotten do not cut it. */
Test(edges, go_back_n_ignores_forgotten_sack_ranges)
{
	conv t;
	client(&t, plain(), 1, 1000);
	for (int k = 0; k < 10; k++) {
		cr_assert_eq(conv_sendn(&t, 100), 100);
		expect_seg(&t, "P.", ISS + 1 + 100 * (uint32_t)k, PISS + 1, 100);
	}
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 3};
	for (int b = 0; b < 3; b++) {
		static const uint32_t left[3] = {301, 601, 801};
		o.sack[b].left = ISS + left[b];
		o.sack[b].right = ISS + left[b] + 100;
	}
	conv_seg_opts(&t, ".", PISS + 1, ISS + 301, 60000, &o, NULL, 0);
	expect_nothing(&t);
	cr_assert_eq(stats(&t).sack_reneging, 1);
	o.sack_count = 1;
	o.sack[0].left = ISS + 401;
	o.sack[0].right = ISS + 501;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 301, 60000, &o, NULL, 0);
	expect_nothing(&t);
	conv_to_deadline(&t);
	expect_seg(&t, ".", ISS + 301, PISS + 1, 100);
	expect_seg(&t, "P.", ISS + 501, PISS + 1, 500);
	expect_nothing(&t);
	conv_fini(&t);
}

/* RFC 8985 7.4: one tail loss probe per episode, which ends only when an
 * ACK covers the probe's tlp_end_seq (SND.MAX when it went): after the
 * probe, an ACK for the first of three segments re-arms the RTO, not
 * another probe. */
Test(edges, partial_ack_after_a_probe_arms_the_rto)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_TLP;
	client(&t, cfg, 1, 1000);
	uint32_t b = ISS + 1;
	cr_assert_eq(conv_sendn(&t, 1000), 1000);
	expect_seg(&t, "P.", b, PISS + 1, 1000);
	t.now += PTCP_MS(50);
	conv_seg(&t, ".", PISS + 1, b + 1000, 60000, NULL, 0);
	cr_assert_eq(conv_sendn(&t, 3000), 3000);
	for (int i = 0; i < 3; i++)
		expect_seg(&t, i == 2 ? "P." : ".", b + 1000 + 1000 * (uint32_t)i, PISS + 1, 1000);
	conv_to_deadline(&t);
	expect_seg(&t, "P.", b + 3000, PISS + 1, 1000); /* the probe */
	cr_assert_eq(stats(&t).tlp_probes, 1);
	t.now += PTCP_MS(10);
	conv_seg(&t, ".", PISS + 1, b + 2000, 60000, NULL, 0);
	ptcp_info i;
	ptcp_conn_info(&t.c, &i);
	cr_assert_eq(last_deadline(&t), t.now + i.rto, "deadline +%lld, rto %llu",
	             (long long)(last_deadline(&t) - t.now), (unsigned long long)i.rto);
	conv_fini(&t);
}

/* Ten segments of 1000 out with PRR (Linux's flavour or not), the first six
 * lost, the 7th to 9th SACKed one by one: the third duplicate ACK starts
 * recovery and sends the fast retransmit, checked.  o holds the last SACK. */
static void prr_recovery(conv *t, int linux_prr, ptcp_tcp_opts *o)
{
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_PRR | (linux_prr ? PTCP_CFG_PRR_LINUX : 0);
	client(t, cfg, 1, 1000);
	for (int k = 0; k < 10; k++) {
		cr_assert_eq(conv_sendn(t, 1000), 1000);
		expect_seg(t, "P.", ISS + 1 + 1000 * (uint32_t)k, PISS + 1, 1000);
	}
	memset(o, 0, sizeof(*o));
	o->present = PTCP_OPT_SACK;
	o->sack_count = 1;
	o->sack[0].left = ISS + 6001;
	for (int k = 1; k <= 3; k++) {
		o->sack[0].right = ISS + 6001 + 1000 * (uint32_t)k;
		conv_seg_opts(t, ".", PISS + 1, ISS + 1, 60000, o, NULL, 0);
	}
	cr_assert_eq(stats(t).fast_recoveries, 1);
	cr_assert_eq(count_emits(t), 1u, "duplicate ACK: %zu segments", count_emits(t));
	expect_seg(t, ".", ISS + 1, PISS + 1, 1000);
}

/* RFC 9937 4: in the reduction bound the extra segment (PRR-SSRB) comes
 * only with a SafeACK - one that moves SND.UNA and indicates no further
 * loss - in both PRR flavours (Linux's tcp_cwnd_reduction the same).
 * Ten segments out, the first six lost, the 7th to 9th SACKed one by
 * one: the third duplicate ACK starts recovery with pipe 1 (the 10th) and
 * one segment delivered: one segment (the fast retransmit; RFC 6937's
 * extra segment on any ACK sent two).  Then the retransmission is
 * acknowledged (ssthresh 5 segments; prr_delivered counts from the entry:
 * 1 there, prr_out 1):
 * - alone (a SafeACK): MAX(2 - 1, 1) + 1 = 2 segments (1 without the extra
 *   one);
 * - with a SACK of the 10th (new SACK information: not safe): pipe 0,
 *   MAX(3 - 1, 2) = 2 (3 if the extra segment came). */
Test(edges, prr_ssrb_extra_segment_only_on_a_safe_ack)
{
	for (int v = 0; v < 4; v++) {
		int linux_prr = v & 1, sack10 = v >> 1;
		conv t;
		ptcp_tcp_opts o;
		prr_recovery(&t, linux_prr, &o);
		if (sack10)
			o.sack[0].right = ISS + 10001;
		conv_seg_opts(&t, ".", PISS + 1, ISS + 1001, 60000, &o, NULL, 0);
		cr_assert_eq(count_emits(&t), 2u, "PRR%s, %s: %zu segments",
		             linux_prr ? " (Linux)" : "",
		             sack10 ? "new SACK (not safe)" : "SafeACK", count_emits(&t));
		for (uint32_t k = 0; k < 2; k++)
			expect_seg(&t, ".", ISS + 1001 + 1000 * k, PISS + 1, 1000);
		conv_fini(&t);
	}
}

/* RFC 9937 4: an ACK that delivers nothing (a duplicate of the last one:
 * SND.UNA and the SACKed bytes as they were) leaves cwnd alone, so nothing
 * is sent on it - in both PRR flavours.  Set-up as above: the fast
 * retransmit went on the third duplicate ACK. */
Test(edges, prr_nothing_delivered_nothing_sent)
{
	for (int linux_prr = 0; linux_prr < 2; linux_prr++) {
		conv t;
		ptcp_tcp_opts o;
		prr_recovery(&t, linux_prr, &o);
		for (int k = 0; k < 3; k++) {
			conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
			cr_assert_eq(count_emits(&t), 0u, "PRR%s: %zu segments on a repeated ACK",
			             linux_prr ? " (Linux)" : "", count_emits(&t));
		}
		conv_fini(&t);
	}
}

/* RFC 6675 / RFC 2018: a full scoreboard (six SACKed ranges) keeps the
 * highest ranges - they are the ones the peer keeps extending, and prove
 * the holes below lost - and forgets the lowest.  Fourteen segments of
 * 100; the peer SACKs the 2nd, 4th, ... 14th one by one (seven ranges): the
 * timeout's go-back-N then sends the 1st to 3rd together (the 2nd's range
 * was forgotten), each other hole alone, and skips the 14th. */
Test(edges, full_scoreboard_keeps_the_highest_ranges)
{
	conv t;
	client(&t, plain(), 1, 1000);
	for (int k = 0; k < 14; k++) {
		cr_assert_eq(conv_sendn(&t, 100), 100);
		expect_seg(&t, "P.", ISS + 1 + 100 * (uint32_t)k, PISS + 1, 100);
	}
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	for (int k = 1; k <= 13; k += 2) {
		o.sack[0].left = ISS + 1 + 100 * (uint32_t)k;
		o.sack[0].right = o.sack[0].left + 100;
		conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	}
	conv_to_deadline(&t);
	static const uint32_t seq[] = {1, 401, 601, 801, 1001, 1201},
	                      len[] = {300, 100, 100, 100, 100, 100};
	size_t n = 0;
	for (size_t a = 0; a < t.out.n; a++) {
		const ptcp_seg *s = &t.act[a].emit.seg;
		if (t.act[a].kind != PTCP_ACT_EMIT)
			continue;
		cr_assert_lt(n, 6, "one segment too many: %u", s->seq - ISS);
		cr_assert_eq(s->seq, ISS + seq[n], "segment %zu at %u", n, s->seq - ISS);
		cr_assert_eq(ptcp_seg_len(s), len[n], "segment %zu: %zu bytes", n, ptcp_seg_len(s));
		n++;
	}
	cr_assert_eq(n, 6);
	conv_fini(&t);
}
