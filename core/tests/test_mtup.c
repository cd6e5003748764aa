/*
 * Packetization-layer path MTU discovery (RFC 4821, PTCP_CFG_MTU_PROBE):
 * the probe and its sizes, success, loss, an ICMP below it, the conditions
 * for sending one, and the search's restart.  Criterion suite mtup.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u

/* A client that sends 800-byte segments (our MSS) to a peer that takes 1400;
 * the search starts at base; an initial window of iw segments. */
static void client_iw(conv *t, uint32_t flags, uint16_t base, uint16_t iw)
{
	ptcp_config cfg;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1400};
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY | flags;
	cfg.mss = 800;
	cfg.init_cwnd = iw;
	cfg.mtu_probe_base = base;
	conv_init(t, &cfg, 65536, 16384);
	cr_assert_eq(conv_connect(t, ISS), 0);
	conv_seg_opts(t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(t, ".", ISS + 1, PISS + 1, 0);
}

/* The same with cwnd 20 segments. */
static void client(conv *t, uint32_t flags, uint16_t base)
{
	client_iw(t, flags, base, 20);
}

static void ack(conv *t, uint32_t a)
{
	conv_seg(t, ".", PISS + 1, a, 60000, NULL, 0);
}

/* Expect segments of the given lengths from seq on; the last with PSH. */
static uint32_t expect_run(conv *t, uint32_t seq, const size_t *len, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		expect_seg(t, i + 1 == n ? "P." : ".", seq, PISS + 1, len[i]);
		seq += (uint32_t)len[i];
	}
	return seq;
}

static uint64_t probes(const conv *t)
{
	return t->st.mtu_probes;
}

/* RFC 4821 7.4, 7.6.1: the middle of 600 .. 1400 goes first; once acked it
 * is the MSS, and the next probe (1200) waits for enough data behind it. */
Test(mtup, probe_then_its_size_is_the_mss)
{
	conv t;
	static const size_t first[] = {1000, 800, 800, 800, 800, 800};
	static const size_t second[] = {1000, 500};
	client(&t, PTCP_CFG_MTU_PROBE, 600);
	cr_assert_eq(conv_sendn(&t, 5000), 5000);
	uint32_t end = expect_run(&t, ISS + 1, first, 6);
	expect_nothing(&t);
	ack(&t, end);
	cr_assert_eq(conv_sendn(&t, 1500), 1500);
	end = expect_run(&t, end, second, 2);
	cr_assert_eq(probes(&t), 1);
	cr_assert_eq(t.st.mtu_probe_failures, 0);
	conv_fini(&t);
}

/* Off (the default): the same data goes at the MSS the SYNs agreed on. */
Test(mtup, off_by_default)
{
	conv t;
	static const size_t segs[] = {800, 800, 800, 800, 800, 800, 200};
	client(&t, 0, 600);
	cr_assert_eq(conv_sendn(&t, 5000), 5000);
	expect_run(&t, ISS + 1, segs, 7);
	cr_assert_eq(probes(&t), 0);
	conv_fini(&t);
}

/* RFC 4821 7.5: a probe needs 4 full segments queued behind it (its loss
 * then shows as duplicate ACKs) and a cwnd of 11 segments. */
Test(mtup, needs_data_behind_it_and_cwnd)
{
	conv t;
	static const size_t short_by_one[] = {800, 800, 800, 800, 800, 199};
	static const size_t enough[] = {1000, 800, 800, 800, 800};
	client(&t, PTCP_CFG_MTU_PROBE, 600);
	cr_assert_eq(conv_sendn(&t, 1000 + 4 * 800 - 1), 4199);
	uint32_t end = expect_run(&t, ISS + 1, short_by_one, 6);
	ack(&t, end);
	cr_assert_eq(conv_sendn(&t, 1000 + 4 * 800), 4200);
	expect_run(&t, end, enough, 5);
	conv_fini(&t);

	/* cwnd of 10 segments: no probe */
	client_iw(&t, PTCP_CFG_MTU_PROBE, 600, 10);
	cr_assert_eq(conv_sendn(&t, 5000), 5000);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 800);
	cr_assert_eq(probes(&t), 0);
	conv_fini(&t);
}

/* RFC 4821 7.6.2: the probe (1100, the middle of 800 .. 1400) is lost:
 * three duplicate ACKs, and the fast retransmission resends from it at the
 * MSS in use.  The top of the search comes down to 1099, so the next probe is
 * the middle of 800 .. 1099: 949. */
Test(mtup, lost_probe_lowers_the_top)
{
	conv t;
	static const size_t first[] = {1100, 800, 800, 800, 800};
	static const size_t next[] = {949, 800, 800, 800, 800};
	client(&t, PTCP_CFG_MTU_PROBE, 800);
	cr_assert_eq(conv_sendn(&t, 1100 + 4 * 800), 4300);
	uint32_t end = expect_run(&t, ISS + 1, first, 5);
	for (int i = 0; i < 3; i++)
		ack(&t, ISS + 1);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 800);
	cr_assert_eq(t.st.mtu_probe_failures, 1);
	ack(&t, ISS + 801); /* partial (RFC 6582): the next 800 from SND.UNA */
	expect_seg(&t, ".", ISS + 801, PISS + 1, 800);
	ack(&t, end);
	cr_assert_eq(conv_sendn(&t, 949 + 4 * 800), 4149);
	expect_run(&t, end, next, 5);
	cr_assert_eq(probes(&t), 2);
	conv_fini(&t);
}

/* A probe the RTO resends has failed too: the resend is at the MSS in use. */
Test(mtup, probe_resent_by_the_rto_failed)
{
	conv t;
	static const size_t first[] = {1100, 800, 800, 800, 800};
	client(&t, PTCP_CFG_MTU_PROBE, 800);
	cr_assert_eq(conv_sendn(&t, 1100 + 4 * 800), 4300);
	expect_run(&t, ISS + 1, first, 5);
	cr_assert_eq(conv_to_deadline(&t), 0); /* no ACK at all: the RTO */
	expect_seg(&t, ".", ISS + 1, PISS + 1, 800);
	cr_assert_eq(t.st.mtu_probe_failures, 1);
	conv_fini(&t);
}

/* An ICMP "fragmentation needed" quoting the probe, for 1000 bytes of
 * segment (MTU 1040): the probe failed, everything from it is sent again at
 * once at the MSS in use, and the search goes on below 1000 (next: 900). */
Test(mtup, icmp_below_the_probe)
{
	conv t;
	static const size_t first[] = {1100, 800, 800, 800, 800};
	static const size_t again[] = {800, 800, 800, 800, 800, 300};
	static const size_t next[] = {900, 800, 800, 800, 800};
	client(&t, PTCP_CFG_MTU_PROBE, 800);
	cr_assert_eq(conv_sendn(&t, 1100 + 4 * 800), 4300);
	uint32_t end = expect_run(&t, ISS + 1, first, 5);
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_FRAG_NEEDED, 1040, ISS + 1), 0);
	expect_run(&t, ISS + 1, again, 6);
	cr_assert_eq(t.st.mtu_probe_failures, 1);
	ack(&t, end);
	cr_assert_eq(conv_sendn(&t, 900 + 4 * 800), 4100);
	expect_run(&t, end, next, 5);
	conv_fini(&t);
}

/* The search ends when its range is under 8 bytes (here an ICMP brings the
 * top to 805, 5 above the MSS in use) and starts again 10 minutes later,
 * from the MSS in use to the peer's: the middle of 800 .. 1400. */
Test(mtup, search_restarts_after_ten_minutes)
{
	conv t;
	static const size_t plain[] = {800, 800, 800, 800, 800, 300};
	static const size_t probe[] = {1100, 800, 800, 800, 800};
	client(&t, PTCP_CFG_MTU_PROBE, 800);
	cr_assert_eq(conv_sendn(&t, 100), 100);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 100);
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_FRAG_NEEDED, 845, ISS + 1), 0);
	ack(&t, ISS + 101);
	cr_assert_eq(conv_sendn(&t, 4300), 4300);
	uint32_t end = expect_run(&t, ISS + 101, plain, 6);
	ack(&t, end);
	cr_assert_eq(conv_advance(&t, PTCP_SEC(599)), 0);
	cr_assert_eq(conv_sendn(&t, 4300), 4300);
	end = expect_run(&t, end, plain, 6);
	ack(&t, end);
	cr_assert_eq(conv_advance(&t, PTCP_SEC(2)), 0);
	cr_assert_eq(conv_sendn(&t, 1100 + 4 * 800), 4300);
	expect_run(&t, end, probe, 5);
	cr_assert_eq(probes(&t), 1);
	conv_fini(&t);
}

/* The configuration: a base below 64 with probing on is rejected. */
Test(mtup, base_is_checked)
{
	ptcp_conn c;
	uint8_t s[64], r[64];
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cr_assert_eq(cfg.mtu_probe_base, 1024);
	cfg.flags |= PTCP_CFG_MTU_PROBE;
	cfg.mtu_probe_base = 63;
	cr_assert_eq(ptcp_conn_init(&c, &cfg, s, sizeof s, r, sizeof r), PTCP_EINVAL);
	cfg.mtu_probe_base = 64;
	cr_assert_eq(ptcp_conn_init(&c, &cfg, s, sizeof s, r, sizeof r), 0);
}
