/*
 * The RTO computed from RTT samples, with and without PTCP_CFG_RTO_LINUX.
 * Default (RFC 6298 2.3, 2.4): RTO = max(SRTT + 4*RTTVAR, rto_min).
 * Linux: RTO = SRTT + max(4*RTTVAR, rto_min).  Asserted on when the
 * retransmission of a segment comes out, after a handshake whose round
 * trip is the only sample.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u

static const ptcp_tcp_opts mss1460 = {.present = PTCP_OPT_MSS, .mss = 1460};

/* A client whose SYN-ACK comes rtt after its SYN; then 3 bytes are sent and
 * the time until their retransmission is returned (the first RTO). */
static ptcp_time_t first_rto(uint32_t extra, ptcp_time_t rtt)
{
	conv t;
	ptcp_config cfg;
	ptcp_time_t sent, rto;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY | extra; /* no SACK: no tail loss probe */
	conv_init(&t, &cfg, 16384, 16384);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	expect_seg(&t, "S", ISS, 0, 0);
	conv_advance(&t, rtt);
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 8192, &mss1460, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	conv_send(&t, "abc", 3);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 3);
	sent = t.now;
	conv_to_deadline(&t);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 3);
	rto = t.now - sent;
	conv_fini(&t);
	return rto;
}

/* RTT 50 ms: SRTT 50, RTTVAR 25.  RFC: max(50 + 100, 200) = 200 ms. */
Test(rto, rfc6298_floor_on_the_sum)
{
	cr_assert_eq(first_rto(0, PTCP_MS(50)), PTCP_MS(200));
}

/* Linux: 50 + max(100, 200) = 250 ms. */
Test(rto, linux_floor_on_the_variance)
{
	cr_assert_eq(first_rto(PTCP_CFG_RTO_LINUX, PTCP_MS(50)), PTCP_MS(250));
}

/* RTT 300 ms: 4*RTTVAR = 600 ms is above the minimum, both give 900 ms. */
Test(rto, same_when_the_variance_dominates)
{
	cr_assert_eq(first_rto(0, PTCP_MS(300)), PTCP_MS(900));
	cr_assert_eq(first_rto(PTCP_CFG_RTO_LINUX, PTCP_MS(300)), PTCP_MS(900));
}

/* The Linux profile turns it on. */
Test(rto, linux_profile_sets_it)
{
	ptcp_config cfg;
	ptcp_config_linux(&cfg);
	cr_assert(cfg.flags & PTCP_CFG_RTO_LINUX);
	ptcp_config_default(&cfg);
	cr_assert_not(cfg.flags & PTCP_CFG_RTO_LINUX);
}
