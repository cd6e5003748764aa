/*
 * More edges pinned by conversations, found by the mutation run on 1e508f3
 * (scripts/mutate --count 230 --seed 1): a fault in each of these lines
 * survived every suite.  They assert on emitted segments, events, the
 * public counters and ptcp_conn_info() only.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ptcp/listener.h"
#include "test_edges.h"

/* Header prediction (the fast path) only takes a segment of this
 * connection: in-order data from the wrong source port is dropped and
 * counted, as the full path does (RFC 9293 3.10.7.4: the 4-tuple names the
 * connection). */
Test(edges, fast_path_drops_data_from_another_port)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "ab", 2); /* in order, fast path */
	expect_seg(&t, ".", ISS + 1, PISS + 3, 0);
	uint16_t rport = t.rport;
	t.rport = (uint16_t)(rport + 1);
	conv_seg(&t, "P.", PISS + 3, ISS + 1, 60000, "cd", 2);
	t.rport = rport;
	expect_nothing(&t);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_WRONG_PORT], 1);
	char buf[8];
	cr_assert_eq(conv_read(&t, buf, sizeof buf), 2, "only the first two bytes");
	cr_assert_eq(memcmp(buf, "ab", 2), 0);
	conv_fini(&t);
}

/* RFC 2883 4.1: a segment that starts below RCV.NXT and brings new data
 * after it is acknowledged with a D-SACK block for its duplicate front. */
Test(edges, overlapping_segment_reports_its_duplicate_front)
{
	conv t;
	client(&t, plain(), 1, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "abcd", 4);
	expect_seg(&t, ".", ISS + 1, PISS + 5, 0);
	conv_seg(&t, "P.", PISS + 3, ISS + 1, 60000, "cdef", 4);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 7, 0);
	cr_assert_eq(s->opts.sack_count, 1);
	cr_assert_eq(s->opts.sack[0].left, PISS + 3);
	cr_assert_eq(s->opts.sack[0].right, PISS + 5);
	cr_assert_eq(stats(&t).dsacks_out, 1);
	conv_fini(&t);
}

/* SACK loss recovery (RFC 6675 5 step 4: HighRxt = SND.UNA on entry, then
 * NextSeg rule 1 resends the first hole at once) must not depend on where
 * the ISN lies in sequence space: the same conversation with an ISS in the
 * lower and in the upper half resends the first segment on the ACK that
 * makes it lost. */
static void sack_recovery_from(uint32_t iss)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_SACK;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1000};
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(&t, iss), 0);
	conv_seg_opts(&t, "S.", PISS, iss + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", iss + 1, PISS + 1, 0);
	for (uint32_t k = 0; k < 5; k++) {
		cr_assert_eq(conv_sendn(&t, 1000), 1000);
		expect_seg(&t, "P.", iss + 1 + 1000 * k, PISS + 1, 1000);
	}
	ptcp_tcp_opts s = {.present = PTCP_OPT_SACK, .sack_count = 1};
	s.sack[0].left = iss + 1001;
	s.sack[0].right = iss + 4001; /* three segments above the first */
	conv_seg_opts(&t, ".", PISS + 1, iss + 1, 60000, &s, NULL, 0);
	expect_seg(&t, ".", iss + 1, PISS + 1, 1000);
	cr_assert_eq(stats(&t).fast_recoveries, 1, "ISS %u", iss);
	conv_fini(&t);
}

Test(edges, sack_recovery_resends_at_once_whatever_the_isn)
{
	sack_recovery_from(ISS);
	sack_recovery_from(0x80000000u + ISS);
	sack_recovery_from(0xfffff000u);
}

/* RFC 7323 2.3: a window scale above 14 is used as 14, also for a
 * connection made from a listener's handshake (ptcp_conn_establish). */
Test(edges, establish_uses_a_peer_window_scale_above_14_as_14)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_WSCALE;
	conv_init(&t, &cfg, SBUF, RBUF);
	ptcp_handshake h = conv_handshake(ISS, PISS);
	h.peer_mss = 1000;
	h.peer_wscale = 15;
	h.snd_wnd = 4;
	cr_assert_eq(conv_establish(&t, &h), 0);
	conv_seg(&t, ".", PISS + 1, ISS + 1, 1, NULL, 0); /* the completing ACK: window 1 << 14 */
	ptcp_info i;
	ptcp_conn_info(&t.c, &i);
	cr_assert_eq(i.snd_wscale, 14);
	cr_assert_eq(i.snd_wnd, 1u << 14);
	conv_fini(&t);
}

/* RFC 9293 3.8.6.2.2 (as the read path applies it): a window update goes out
 * once the window the peer may use has at least doubled, by a full segment,
 * from half the buffer or less: with 4,000 of 16,384 bytes advertised,
 * reading 3,999 bytes sends nothing, the 4,000th opens the window to
 * exactly twice what the peer had and is announced at once. */
Test(edges, window_update_when_the_window_exactly_doubles)
{
	conv t;
	client(&t, plain(), 0, 1000);
	uint32_t got = 0;
	for (int k = 0; k < 12; k++, got += 1032) /* 12,384 bytes: 4,000 left free */
		conv_seg(&t, ".", PISS + 1 + got, ISS + 1, 60000, NULL, 1032);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 1 + got, 0); /* every 2nd */
	cr_assert_eq(s->wnd, 4000);
	char buf[4000];
	cr_assert_eq(conv_read(&t, buf, 3999), 3999);
	expect_nothing(&t);
	cr_assert_eq(conv_read(&t, buf, 1), 1);
	s = expect_seg(&t, ".", ISS + 1, PISS + 1 + got, 0);
	cr_assert_eq(s->wnd, 8000);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 (reassembly): with every range of the block's pool in
 * use, a segment that ends exactly where a queued range begins joins that
 * range: nothing is dropped or evicted. */
Test(edges, segment_touching_a_range_joins_it_when_the_pool_is_full)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "a", 1);
	for (uint32_t k = 0; k < PTCP_OOO_MAX; k++)
		conv_seg(&t, "P.", PISS + 4 + 2 * k, ISS + 1, 60000, "x", 1);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_OOO_FULL], 0);
	conv_seg(&t, "P.", PISS + 3, ISS + 1, 60000, "y", 1); /* ends at the first range */
	cr_assert_eq(stats(&t).drops[PTCP_DROP_OOO_FULL], 0, "joined, not dropped");
	conv_seg(&t, "P.", PISS + 2, ISS + 1, 60000, "b", 1); /* the hole at RCV.NXT */
	char buf[8];
	cr_assert_eq(conv_read(&t, buf, sizeof buf), 4, "a, b, y and the first range");
	cr_assert_eq(memcmp(buf, "abyx", 4), 0);
	conv_fini(&t);
}

/* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): with one byte of window
 * left, reading 100 bytes does not move the advertised edge (less than a
 * segment): the ACK of an old duplicate still says 1. */
Test(edges, one_byte_window_is_held_until_a_segment_fits)
{
	conv t;
	client(&t, plain(), 0, 1000);
	uint32_t got = 0;
	for (; got + 1000 < RBUF; got += 1000)
		conv_seg(&t, ".", PISS + 1 + got, ISS + 1, 60000, NULL, 1000);
	conv_seg(&t, ".", PISS + 1 + got, ISS + 1, 60000, NULL, RBUF - 1 - got);
	got = RBUF - 1;
	conv_to_deadline(&t);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 1 + got, 0);
	cr_assert_eq(s->wnd, 1);
	char buf[100];
	cr_assert_eq(conv_read(&t, buf, sizeof buf), 100);
	expect_nothing(&t);
	conv_seg(&t, ".", PISS + got, ISS + 1, 60000, NULL, 1); /* an old duplicate byte */
	s = expect_seg(&t, ".", ISS + 1, PISS + 1 + got, 0);
	cr_assert_eq(s->wnd, 1, "held at 1, not %u", s->wnd);
	conv_fini(&t);
}

/* The MSS less SACK blocks never goes below 64 bytes of payload: a peer MSS
 * of 64 with a SACK block to report still sends 64-byte segments. */
Test(edges, sack_blocks_leave_at_least_64_bytes_of_payload)
{
	conv t;
	client(&t, plain(), 1, 64);
	conv_seg(&t, "P.", PISS + 2, ISS + 1, 60000, "z", 1); /* a hole: one SACK block */
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	cr_assert_eq(s->opts.sack_count, 1);
	cr_assert_eq(conv_sendn(&t, 200), 200);
	s = expect_seg(&t, ".", ISS + 1, PISS + 1, 64);
	cr_assert_eq(s->opts.sack_count, 1);
	conv_fini(&t);
}

/* RFC 6298 5.2: when all outstanding data has been acknowledged the
 * retransmission timer is off; a step that then finds nothing to send (an
 * ACK, a read, a zero-length send) does not start it again. */
Test(edges, no_retransmission_timer_with_nothing_outstanding)
{
	conv t;
	client(&t, plain(), 0, 1000);
	cr_assert_eq(conv_sendn(&t, 100), 100);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 100);
	cr_assert_neq(last_deadline(&t), PTCP_TIME_NEVER, "the RTO runs");
	t.now += PTCP_MS(50);
	conv_seg(&t, ".", PISS + 1, ISS + 101, 60000, NULL, 0);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER);
	conv_seg(&t, "P.", PISS + 1, ISS + 101, 60000, "hi", 2);
	char buf[4];
	cr_assert_eq(conv_read(&t, buf, sizeof buf), 2);
	if (last_deadline(&t) != PTCP_TIME_NEVER)
		conv_to_deadline(&t); /* a delayed ACK */
	cr_assert_eq(conv_sendn(&t, 0), 0);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER, "nothing outstanding, no timer");
	cr_assert_eq(stats(&t).rto_fired, 0);
	conv_fini(&t);
}

/* RFC 3042 2: limited transmit sends new data on the first two duplicate
 * ACKs only.  After a timeout no fast retransmit starts before the recovery
 * point (RFC 6582 3.2), so a third duplicate ACK below it is neither a
 * fast retransmit nor a third limited transmit. */
Test(edges, limited_transmit_stops_at_the_third_duplicate_after_a_timeout)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_LIMITED_TX;
	client(&t, cfg, 0, 1000);
	conv_sendn(&t, 4000);
	cr_assert_eq(count_emits(&t), 4);
	conv_to_deadline(&t);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000); /* the timeout: go-back-N */
	conv_sendn(&t, 10000);
	expect_nothing(&t);
	t.now += PTCP_MS(10);
	conv_seg(&t, ".", PISS + 1, ISS + 1001, 60000, NULL, 0);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 2001, PISS + 1, 1000);
	t.now += PTCP_MS(10);
	conv_seg(&t, ".", PISS + 1, ISS + 2001, 60000, NULL, 0);
	expect_seg(&t, ".", ISS + 3001, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 4001, PISS + 1, 1000); /* new data: SND.NXT = SND.MAX */
	for (uint32_t k = 1; k <= 3; k++) {
		conv_seg(&t, ".", PISS + 1, ISS + 2001, 60000, NULL, 0);
		if (k < 3)
			expect_seg(&t, ".", ISS + 4001 + 1000 * k, PISS + 1, 1000);
		expect_nothing(&t);
	}
	cr_assert_eq(stats(&t).fast_recoveries, 0);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 (FIN-WAIT-2): once our FIN is acknowledged nothing is
 * outstanding, and a half-closed connection (shutdown of the write side)
 * may wait in FIN-WAIT-2 for as long as the peer sends: no timer runs, also
 * after the peer's data there is acknowledged; no retransmission timer
 * starts again. */
Test(edges, half_closed_fin_wait_2_runs_no_timer)
{
	conv t;
	client(&t, plain(), 0, 1000);
	cr_assert_eq(conv_shutdown(&t, PTCP_SHUT_WR), 0);
	expect_seg(&t, "F.", ISS + 1, PISS + 1, 0);
	t.now += PTCP_MS(30);
	conv_seg(&t, ".", PISS + 1, ISS + 2, 60000, NULL, 0);
	cr_assert(saw_state(&t, PTCP_FIN_WAIT_2));
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER);
	t.now += PTCP_MS(30);
	conv_seg(&t, "P.", PISS + 1, ISS + 2, 60000, "ab", 2);
	if (count_emits(&t) == 0)
		conv_to_deadline(&t); /* a delayed ACK */
	expect_seg(&t, ".", ISS + 2, PISS + 3, 0);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER);
	char buf[4];
	cr_assert_eq(conv_read(&t, buf, sizeof buf), 2);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER);
	cr_assert_eq(stats(&t).rto_fired, 0);
	conv_fini(&t);
}

/* RFC 6937 3, the proportional part: sndcnt = CEIL(prr_delivered *
 * ssthresh / RecoverFS) - prr_out, in segments.  Reno, 19 segments out
 * (then two more on the first two SACKs), the first lost, the rest SACKed
 * one per ACK; recovery starts on the third with ssthresh 10.  RecoverFS
 * is the flight (21): 1, 0, 1, 0 ... segments per ACK (CEIL(1*10/21) = 1,
 * CEIL(2*10/21) = 1, CEIL(3*10/21) = 2 ...).  With PTCP_CFG_PRR_LINUX it is
 * cwnd (19): CEIL(2*10/19) = 2 already lets a segment out on the second
 * ACK.  Then the slow start reduction bound takes over (pipe <= ssthresh). */
static void prr_pattern(uint32_t linux_flag, const int *want, int n)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_PRR | PTCP_CFG_SACK | linux_flag;
	cfg.cc = &ptcp_cc_reno;
	cfg.init_cwnd = 19;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1000};
	conv_init(&t, &cfg, 65536, RBUF);
	conv_connect(&t, ISS);
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 65535, &o, NULL, 0);
	cr_assert_eq(conv_sendn(&t, 40000), 40000);
	cr_assert_eq(count_emits(&t), 19);
	o.present = PTCP_OPT_SACK;
	o.sack_count = 1;
	o.sack[0].left = ISS + 1001;
	for (int k = 0; k < n; k++) {
		o.sack[0].right = ISS + 2001 + 1000 * (uint32_t)k;
		conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 65535, &o, NULL, 0);
		cr_assert_eq((int)count_emits(&t), want[k], "%s: SACK %d sent %zu, want %d",
		             linux_flag ? "Linux" : "RFC", k + 1, count_emits(&t), want[k]);
	}
	cr_assert_eq(stats(&t).fast_recoveries, 1);
	conv_fini(&t);
}

Test(edges, prr_proportional_part_per_ack)
{
	static const int rfc[] = {1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1};
	static const int lx[] = {1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0};
	prr_pattern(0, rfc, 18);
	prr_pattern(PTCP_CFG_PRR_LINUX, lx, 18);
}

/* RFC 6675 4 IsLost counts the SACKed octets above a hole: a SACK block that
 * overlaps a known range from inside merges with all of it.  [2001, 3001)
 * then [2901, 4101) make 2,100 octets above the first segment, more than
 * (DupThresh - 1) * SMSS: it is lost on the second duplicate ACK. */
Test(edges, overlapping_sack_block_merges_with_the_whole_range)
{
	conv t;
	client(&t, plain(), 1, 1000);
	cr_assert_eq(conv_sendn(&t, 5000), 5000);
	cr_assert_eq(count_emits(&t), 5);
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	o.sack[0].left = ISS + 2001;
	o.sack[0].right = ISS + 3001;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	o.sack[0].left = ISS + 2901;
	o.sack[0].right = ISS + 4101;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	cr_assert_eq(stats(&t).fast_recoveries, 1);
	conv_fini(&t);
}

/* RFC 2883 4 (second case): a first SACK block inside the second reports a
 * duplicate (D-SACK), even above the cumulative ACK; it is counted as such. */
Test(edges, first_block_inside_the_second_is_a_dsack)
{
	conv t;
	client(&t, plain(), 1, 1000);
	cr_assert_eq(conv_sendn(&t, 5000), 5000);
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 2};
	o.sack[0].left = ISS + 2001;
	o.sack[0].right = ISS + 3001;
	o.sack[1].left = ISS + 1001;
	o.sack[1].right = ISS + 4001;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	cr_assert_eq(stats(&t).dsacks_in, 1);
	conv_fini(&t);
}

/* RFC 8985 6.1 with RFC 7413 4.2.2: data in a Fast Open SYN that the SYN-ACK
 * did not acknowledge is sent again after the handshake, before RACK ran;
 * that flight still enters RACK's send-time log, so when a later segment is
 * SACKed RACK finds it lost and it goes again before the RTO. */
Test(edges, rack_logs_fast_open_data_sent_again_after_the_handshake)
{
	conv t;
	static const uint8_t data[1000];
	ptcp_config cfg = plain();
	cfg.flags |= PTCP_CFG_SACK | PTCP_CFG_RACK;
	conv_init(&t, &cfg, SBUF, RBUF);
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = t.lport;
	in.connect.rport = t.rport;
	in.connect.iss = ISS;
	in.connect.tfo = 1;
	in.connect.tfo_len = 8;
	memset(in.connect.tfo_cookie, 7, 8);
	in.connect.tfo_mss = 1000;
	in.connect.data = data;
	in.connect.len = sizeof data;
	cr_assert_eq(conv_step(&t, &in), 0);
	expect_seg(&t, "S", ISS, 0, 1000);
	t.now += PTCP_MS(100);
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1000};
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0); /* the data not taken */
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 1000);
	ptcp_time_t rto = last_deadline(&t);
	t.now += PTCP_MS(10);
	cr_assert_eq(conv_sendn(&t, 1000), 1000);
	expect_seg(&t, "P.", ISS + 1001, PISS + 1, 1000);
	t.now += PTCP_MS(100);
	o.present = PTCP_OPT_SACK;
	o.sack_count = 1;
	o.sack[0].left = ISS + 1001;
	o.sack[0].right = ISS + 2001;
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	if (count_emits(&t) == 0) {
		cr_assert_lt(last_deadline(&t), rto, "a reordering timer before the RTO");
		conv_to_deadline(&t);
	}
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	cr_assert_eq(stats(&t).rack_losses, 1);
	cr_assert_eq(stats(&t).rto_fired, 0);
	conv_fini(&t);
}

/* RFC 7413 4.2.2: a Fast Open child made from the SYN alone
 * (ptcp_tfo_server_open) answers to where the SYN came from: the SYN-ACK
 * goes from the SYN's destination to its source, over IPv6 too, where a SYN
 * without an MSS option means 1220 (RFC 8200 5, RFC 9293 3.7.1). */
Test(edges, fast_open_child_answers_the_syn_source)
{
	for (int v6 = 0; v6 < 2; v6++) {
		conv t;
		ptcp_config cfg = plain();
		conv_init(&t, &cfg, SBUF, RBUF);
		ptcp_seg s;
		memset(&s, 0, sizeof s);
		s.sport = RPORT;
		s.dport = LPORT;
		s.flags = PTCP_SYN;
		s.seq = PISS;
		s.wnd = 60000;
		s.payload = (const uint8_t *)"hi";
		s.payload_len = 2;
		ptcp_input in = {.kind = PTCP_IN_SEGMENT};
		in.segment.seg = &s;
		if (v6) {
			in.segment.src.family = in.segment.dst.family = 6;
			in.segment.src.bytes[0] = in.segment.dst.bytes[0] = 0xfd;
			in.segment.src.bytes[15] = 2;
			in.segment.dst.bytes[15] = 1;
		} else {
			ptcp_addr_v4(&in.segment.src, 10, 0, 0, 2);
			ptcp_addr_v4(&in.segment.dst, 10, 0, 0, 1);
		}
		t.out.n = 0;
		cr_assert_eq(ptcp_tfo_server_open(&t.c, &in, ISS, t.now, &t.out), 0);
		t.cursor = 0;
		expect_seg(&t, "S.", ISS, PISS + 3, 0);
		const ptcp_action *a = NULL;
		for (size_t k = 0; k < t.out.n && !a; k++)
			if (t.act[k].kind == PTCP_ACT_EMIT)
				a = &t.act[k];
		cr_assert_eq(memcmp(&a->emit.dst, &in.segment.src, sizeof(ptcp_addr)), 0, "v6 %d",
		             v6);
		cr_assert_eq(memcmp(&a->emit.src, &in.segment.dst, sizeof(ptcp_addr)), 0, "v6 %d",
		             v6);
		ptcp_info i;
		ptcp_conn_info(&t.c, &i);
		cr_assert_eq(i.mss, v6 ? 1220u : 536u);
		conv_fini(&t);
	}
}
