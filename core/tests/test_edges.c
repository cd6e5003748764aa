/*
 * Edges the property generators rarely reach, each pinned by a conversation
 * (found by mutation testing, scripts/mutate: a fault in these lines survived
 * every suite).  They assert on emitted segments, events, ptcp_conn_read()
 * and the public counters (ptcp_conn_stats).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"
#include "tconv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */
#define RBUF 16384u
#define SBUF 16384u

static ptcp_stats stats(const conv *t)
{
	ptcp_stats st;
	ptcp_conn_stats(&t->c, &st);
	return st;
}

/* An established client; options: SACK if sack, the peer's MSS mss. */
static void client(conv *t, ptcp_config cfg, int sack, uint16_t mss)
{
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = mss};
	if (sack) {
		cfg.flags |= PTCP_CFG_SACK;
		o.present |= PTCP_OPT_SACK_PERM;
	}
	conv_init(t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(t, ISS), 0);
	conv_seg_opts(t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(t, ".", ISS + 1, PISS + 1, 0);
	cr_assert(saw_state(t, PTCP_ESTABLISHED));
}

static ptcp_config plain(void)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY;
	return cfg;
}

/* A segment from the peer whose payload is in two parts (ptcp_seg allows it). */
static int seg2(conv *t, uint32_t seq, const char *a, size_t na, const char *b, size_t nb)
{
	ptcp_seg s;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	memset(&s, 0, sizeof(s));
	s.sport = t->rport;
	s.dport = t->lport;
	s.flags = PTCP_ACK;
	s.seq = seq;
	s.ack = ISS + 1;
	s.wnd = 60000;
	s.payload = (const uint8_t *)a;
	s.payload_len = na;
	s.payload2 = (const uint8_t *)b;
	s.payload2_len = nb;
	in.segment.seg = &s;
	ptcp_addr_v4(&in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&in.segment.dst, 10, 0, 0, 1);
	return conv_step(t, &in);
}

/* The two parts of a received payload are both copied, in order, also from
 * an offset inside the second part (a segment that overlaps RCV.NXT). */
Test(edges, two_part_payload_is_read_in_order)
{
	conv t;
	char got[16] = {0};
	/* the second part sits in a larger array: a wrong offset reads other bytes */
	static const char part2[] = "defghXXXXXXXXXXXXXXXX";
	client(&t, plain(), 0, 1000);
	seg2(&t, PISS + 1, "abc", 3, part2, 5);
	cr_assert_eq(conv_read(&t, got, sizeof got), 8);
	cr_assert_str_eq(got, "abcdefgh");
	/* 6 bytes again from PISS + 3 ("cd" + "efgh" old, then "ij" new): offset 6 is in part 2 */
	memset(got, 0, sizeof got);
	seg2(&t, PISS + 3, "cdef", 4, "ghijXXXXXXXXXXXX", 4);
	cr_assert_eq(conv_read(&t, got, sizeof got), 2);
	cr_assert_str_eq(got, "ij");
	conv_fini(&t);
}

/* RFC 2883: a duplicate segment is answered with a D-SACK block, and counted. */
Test(edges, dsack_sent_is_counted)
{
	conv t;
	client(&t, plain(), 1, 1000);
	cr_assert_eq(stats(&t).dsacks_out, 0);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "abcd", 4);
	cr_assert_eq(stats(&t).dsacks_out, 0);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "abcd", 4);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 5, 0);
	cr_assert_eq(s->opts.sack_count, 1);
	cr_assert_eq(stats(&t).dsacks_out, 1);
	conv_fini(&t);
}

/* Out-of-order data beyond PTCP_OOO_MAX ranges is dropped and counted as
 * ooo-full; in-order and fitting segments are not. */
Test(edges, ooo_full_is_counted_only_when_full)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "a", 1);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_OOO_FULL], 0, "in order: nothing dropped");
	for (uint32_t k = 0; k < PTCP_OOO_MAX; k++) {
		conv_seg(&t, "P.", PISS + 4 + 2 * k, ISS + 1, 60000, "x", 1);
		cr_assert_eq(stats(&t).drops[PTCP_DROP_OOO_FULL], 0, "range %u fits", k);
	}
	conv_seg(&t, "P.", PISS + 4 + 2 * PTCP_OOO_MAX, ISS + 1, 60000, "x", 1);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_OOO_FULL], 1, "one range too many");
	conv_fini(&t);
}

/* RFC 5681 4.2: a segment that fills part of a gap is acknowledged at once
 * (not delayed), even past the quick-ACK phase. */
Test(edges, partial_gap_fill_is_acked_at_once)
{
	conv t;
	ptcp_config cfg = plain();
	cfg.delack = PTCP_MS(40);
	cfg.quickack = 0;
	client(&t, cfg, 0, 1000);
	conv_seg(&t, "P.", PISS + 11, ISS + 1, 60000, "0123456789", 10);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0); /* out of order: a duplicate ACK */
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "abcde", 5);
	expect_seg(&t, ".", ISS + 1, PISS + 6, 0);
	conv_fini(&t);
}

/* RFC 9293 3.10.5: ABORT in ESTABLISHED reports the connection aborted. */
Test(edges, abort_in_established_reports_eaborted)
{
	conv t;
	int err = 0;
	client(&t, plain(), 0, 1000);
	conv_abort(&t);
	expect_seg(&t, "R", ISS + 1, 0, 0);
	cr_assert(saw_event(&t, PTCP_EV_CLOSED, &err));
	cr_assert_eq(err, PTCP_EABORTED);
	conv_fini(&t);
}

/* A peer MSS below 32 (no timestamps): segments of the 32-byte floor (31,
 * just below it, tells a floor of 31 or 33 apart). */
Test(edges, tiny_peer_mss_floor)
{
	conv t;
	client(&t, plain(), 0, 31);
	conv_sendn(&t, 40);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 32);
	expect_seg(&t, "P.", ISS + 33, PISS + 1, 8);
	conv_fini(&t);
}

/* RFC 1191: an ICMP MTU whose MSS is below the floor (71 - 40 = 31) gives
 * segments of 32 bytes. */
Test(edges, icmp_mtu_floor)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_sendn(&t, 100);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 100);
	conv_icmp(&t, PTCP_ICMP_FRAG_NEEDED, 71, ISS + 1);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 32);
	conv_fini(&t);
}

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

/* A SYN cookie carries the MSS index (0..3) in its low bits: an ACK whose
 * cookie decodes to index 4 is no cookie (dropped, counted), while the
 * right one opens the connection. */
Test(edges, cookie_mss_index_out_of_range_is_invalid)
{
	tconv c;
	ptcp_table_config cfg;
	static const ptcp_tcp_opts syn = {
	    .present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS, .mss = 536, .ts_val = 100};
	tconv_cfg(&cfg);
	cfg.flags = PTCP_TBL_SYNCOOKIES_ALWAYS;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	uint32_t iss = s->seq;
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = s->opts.ts_val};
	/* MSS 536 is index 0: the cookie + 4 names index 4 */
	tconv_seg(&c, ".", PISS + 1, iss + 1 + 4, 1000, &o, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 1);
	cr_assert_eq(tusage(&c).conns, 0);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	tconv_fini(&c);
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

/* RFC 9293 3.10.7.2: in LISTEN an ACK gets <SEQ=SEG.ACK><CTL=RST> and a RST
 * is ignored; both are dropped segments, counted as such. */
Test(edges, listen_drops_are_counted)
{
	conv t;
	ptcp_config cfg = plain();
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_listen(&t, ISS), 0);
	conv_seg(&t, ".", PISS, 777, 8192, NULL, 0);
	expect_seg(&t, "R", 777, 0, 0);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_LISTEN], 1);
	conv_seg(&t, "R", PISS, 0, 0, NULL, 0);
	expect_nothing(&t);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_LISTEN], 2);
	conv_fini(&t);
}

/* RFC 6191: a newer SYN ends TIME-WAIT; that is no error (err 0). */
Test(edges, time_wait_reuse_is_no_error)
{
	conv t;
	int err = -1;
	client(&t, plain(), 0, 1000);
	conv_close(&t);
	expect_seg(&t, "F.", ISS + 1, PISS + 1, 0);
	conv_seg(&t, ".", PISS + 1, ISS + 2, 8192, NULL, 0);
	conv_seg(&t, "F.", PISS + 1, ISS + 2, 8192, NULL, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_TIME_WAIT);
	conv_seg(&t, "S", PISS + 100000, 0, 8192, NULL, 0);
	cr_assert(saw_event(&t, PTCP_EV_TW_REUSE, &err));
	cr_assert_eq(err, 0);
	conv_fini(&t);
}

/* After TIME-WAIT ends (2 MSL), the closed connection reports no deadline. */
Test(edges, no_deadline_after_time_wait)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_close(&t);
	expect_seg(&t, "F.", ISS + 1, PISS + 1, 0);
	conv_seg(&t, ".", PISS + 1, ISS + 2, 8192, NULL, 0);
	conv_seg(&t, "F.", PISS + 1, ISS + 2, 8192, NULL, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_TIME_WAIT);
	cr_assert_neq(last_deadline(&t), PTCP_TIME_NEVER);
	conv_to_deadline(&t);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_CLOSED);
	cr_assert_eq(last_deadline(&t), PTCP_TIME_NEVER,
	             "closed: no timer left (deadline %llu, now %llu)",
	             (unsigned long long)last_deadline(&t), (unsigned long long)t.now);
	conv_fini(&t);
}

/* The table's documented limits: up to 65535 listeners. */
Test(edges, table_max_listeners_limit)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_listeners = 65535;
	cr_assert_gt(ptcp_table_mem_size(&cfg), 0);
	cfg.max_listeners = 65536;
	cr_assert_eq(ptcp_table_mem_size(&cfg), 0);
}

/* A listener with backlog 1 holds one established connection not yet
 * accepted: of two handshakes answered while it was empty, the second
 * final ACK finds the accept queue full. */
Test(edges, accept_queue_holds_backlog_connections)
{
	tconv c;
	static const ptcp_tcp_opts syn = {
	    .present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};
	uint32_t iss[2], tsv[2];
	tconv_init(&c, NULL);
	tconv_listen(&c, 1);
	for (int k = 0; k < 2; k++) {
		c.cport = (uint16_t)(1000 + k);
		tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
		const ptcp_seg *s = tnext(&c);
		cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
		iss[k] = s->seq;
		tsv[k] = s->opts.ts_val;
	}
	for (int k = 0; k < 2; k++) {
		c.cport = (uint16_t)(1000 + k);
		ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = tsv[k]};
		tconv_seg(&c, ".", PISS + 1, iss[k] + 1, 1000, &o, NULL, 0);
		if (k == 0) {
			cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE, "the first fits");
			cr_assert_eq(tdrops(&c, PTCP_TDROP_ACCEPT_QUEUE_FULL), 0);
		} else {
			cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE, "the second does not");
			cr_assert_eq(tdrops(&c, PTCP_TDROP_ACCEPT_QUEUE_FULL), 1);
		}
	}
	tconv_fini(&c);
}

/* RFC 9293 3.10.5 ABORT: queued receive data is flushed; a RECEIVE after it
 * reports the abort, not the bytes that had arrived before. */
Test(edges, read_after_abort_gets_no_data)
{
	conv t;
	char got[8];
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "abc", 3);
	cr_assert_eq(conv_abort(&t), 0);
	expect_seg(&t, "R", ISS + 1, 0, 0);
	cr_assert_eq(conv_read(&t, got, sizeof got), PTCP_EABORTED);
	conv_fini(&t);
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

/* A table's active open needs both ports (listener.h: PTCP_EINVAL); the
 * connection block alone would accept a local port 0. */
Test(edges, table_connect_needs_both_ports)
{
	tconv c;
	ptcp_input in;
	tconv_init(&c, NULL);
	for (int k = 0; k < 2; k++) {
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_CONNECT;
		in.connect.local = c.server;
		in.connect.remote = c.client;
		in.connect.lport = k ? 40000 : 0;
		in.connect.rport = k ? 0 : 80;
		cr_assert_eq(tconv_step(&c, PTCP_NO_HANDLE, &in), PTCP_EINVAL, "ports %u %u",
		             in.connect.lport, in.connect.rport);
		cr_assert_eq(tusage(&c).conns, 0);
	}
	tconv_fini(&c);
}

/* RFC 9293 3.10.7.4 / RFC 5961 7: an unacceptable segment for a SYN-queue
 * entry gets an ACK, with timestamps when the SYN had them (RFC 7323 3.2:
 * TSecr echoes TS.Recent); the table-wide challenge-ACK limit (here 1 per
 * second) suppresses the next one and counts it. */
Test(edges, syn_queue_challenge_ack_has_timestamps_and_a_limit)
{
	tconv c;
	ptcp_table_config cfg;
	static const ptcp_tcp_opts syn = {
	    .present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};
	tconv_cfg(&cfg);
	cfg.challenge_ack_limit = 1;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 4);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	uint32_t iss = s->seq;
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = s->opts.ts_val};
	tconv_seg(&c, ".", PISS + 1 + 1000000, iss + 1, 1000, &o, NULL, 0);
	s = texpect(&c, ".", iss + 1, PISS + 1, 0);
	cr_assert(s->opts.present & PTCP_OPT_TS, "the ACK carries timestamps");
	cr_assert_eq(s->opts.ts_ecr, 100);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_CHALLENGE_LIMIT), 0);
	tconv_seg(&c, ".", PISS + 1 + 2000000, iss + 1, 1000, &o, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_CHALLENGE_LIMIT), 1);
	cr_assert_eq(tstats(&c).challenge_acks, 1);
	tconv_fini(&c);
}

/* A SYN cookie answered by the final ACK; returns the accepted connection's
 * handle (PTCP_NO_HANDLE if the cookie was refused).  The peer's MSS mss. */
static ptcp_handle cookie_round_trip(tconv *c, uint16_t mss, ptcp_time_t later)
{
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = mss, .ts_val = 100};
	tconv_seg(c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(tstats(c).cookies_sent, 1);
	uint32_t iss = s->seq;
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = s->opts.ts_val};
	c->now += later;
	tconv_seg(c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	return tconnected(c);
}

static void cookie_table(tconv *c)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = PTCP_TBL_SYNCOOKIES_ALWAYS;
	tconv_init(c, &cfg);
}

/* The cookie's counter (one per minute, RFC 4987 3.6) is kept in its top 8
 * bits and compared modulo 256: a cookie made late in the clock (minute
 * 300) is still good a minute later. */
Test(edges, cookie_at_a_late_clock_is_good_a_minute_later)
{
	tconv c;
	cookie_table(&c);
	tconv_listen(&c, 4);
	c.now = PTCP_SEC(60) * 300 + PTCP_SEC(5);
	cr_assert_neq(cookie_round_trip(&c, 1460, PTCP_SEC(60)), PTCP_NO_HANDLE);
	cr_assert_eq(tstats(&c).cookies_ok, 1);
	tconv_fini(&c);
}

/* Over IPv6 the cookie's MSS comes from the IPv6 table (1220, 1420, 1440,
 * 8940): a peer MSS of 1300 is remembered as 1220, never as more than the
 * peer offered. */
Test(edges, cookie_mss_over_ipv6)
{
	tconv c;
	cookie_table(&c);
	memset(&c.server, 0, sizeof c.server);
	memset(&c.client, 0, sizeof c.client);
	c.server.family = c.client.family = 6;
	c.server.bytes[0] = c.client.bytes[0] = 0x20;
	c.server.bytes[15] = 1;
	c.client.bytes[15] = 2;
	tconv_listen(&c, 4);
	ptcp_handle h = cookie_round_trip(&c, 1300, PTCP_SEC(1));
	cr_assert_neq(h, PTCP_NO_HANDLE);
	ptcp_info si;
	ptcp_conn_info(ptcp_table_conn(&c.t, h), &si);
	cr_assert_eq(si.mss, 1220 - 12, "MSS %u (timestamps take 12)", si.mss);
	tconv_fini(&c);
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

/* RFC 7413 4.1.1: a Fast Open cookie request (an empty TFO option) carries no
 * data in the SYN, even when data was given with the connect; the data goes
 * after the handshake. */
Test(edges, tfo_cookie_request_syn_has_no_data)
{
	conv t;
	ptcp_config cfg = plain();
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	conv_init(&t, &cfg, SBUF, RBUF);
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = t.lport;
	in.connect.rport = t.rport;
	in.connect.iss = ISS;
	in.connect.tfo = 1;
	in.connect.tfo_len = 0;
	in.connect.tfo_mss = 1000;
	in.connect.data = (const uint8_t *)"hello";
	in.connect.len = 5;
	cr_assert_eq(conv_step(&t, &in), 0);
	const ptcp_seg *s = expect_seg(&t, "S", ISS, 0, 0);
	cr_assert(s->opts.present & PTCP_OPT_TFO);
	cr_assert_eq(s->opts.tfo_len, 0);
	expect_nothing(&t);
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1460};
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 8192, &o, NULL, 0);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 5);
	conv_fini(&t);
}

/* RFC 6528: the ISN's keyed function covers the whole 4-tuple, every bit of
 * the local port included: the same client to ports 80 and 80 + 32768 at
 * the same time gets two different ISNs. */
Test(edges, isn_depends_on_every_bit_of_the_local_port)
{
	tconv c;
	static const ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS, .mss = 1460};
	uint32_t iss[2];
	tconv_init(&c, NULL);
	for (int k = 0; k < 2; k++) {
		uint16_t port = (uint16_t)(k ? 80u + 32768u : 80u);
		cr_assert_geq(ptcp_table_listen(&c.t, NULL, port, 4), 0);
		ptcp_seg s;
		memset(&s, 0, sizeof s);
		s.sport = CPORT;
		s.dport = port;
		s.flags = PTCP_SYN;
		s.seq = PISS;
		s.wnd = 65535;
		s.opts = syn;
		tconv_segp(&c, &s);
		const ptcp_seg *a = tnext(&c);
		cr_assert_eq(a->flags, PTCP_SYN | PTCP_ACK);
		cr_assert_eq(a->sport, port);
		iss[k] = a->seq;
	}
	cr_assert_neq(iss[0], iss[1]);
	tconv_fini(&c);
}

/* RFC 7413 4.1.2: a Fast Open cookie is bound to the client's address, all of
 * it: the cookie 10.0.0.2 got is invalid from 10.0.0.3 (the SYN's data is
 * not accepted, the handshake goes on without it). */
Test(edges, tfo_cookie_is_bound_to_the_whole_client_address)
{
	tconv c;
	ptcp_table_config cfg;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_TFO, .mss = 1460, .tfo_len = 0};
	uint8_t cookie[8];
	tconv_cfg(&cfg);
	cfg.flags |= PTCP_TBL_TFO;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	tconv_seg(&c, "S", PISS, 0, 65535, &o, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->opts.tfo_len, 8);
	memcpy(cookie, s->opts.tfo_cookie, 8);
	ptcp_addr_v4(&c.client, 10, 0, 0, 3);
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, cookie, 8);
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "GET /", 5);
	s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, PISS + 1, "the data is not acknowledged");
	cr_assert_eq(tstats(&c).tfo_accepted, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TFO_COOKIE_INVALID), 1);
	tconv_fini(&c);
}

/* RFC 9293 3.10.7.4: with RCV.WND = 0 a zero-length segment is acceptable
 * when SEG.SEQ = RCV.NXT: the peer's pure ACK for our data is processed
 * while our receive buffer is full. */
Test(edges, pure_ack_is_taken_with_a_zero_window)
{
	conv t;
	ptcp_config cfg = plain();
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1000};
	char data[500];
	memset(data, 'x', sizeof data);
	conv_init(&t, &cfg, SBUF, 500);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, data, sizeof data);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 501, 0);
	cr_assert_eq(s->wnd, 0, "the buffer is full");
	cr_assert_eq(conv_send(&t, "hi", 2), 2);
	expect_seg(&t, "P.", ISS + 1, PISS + 501, 2);
	conv_seg(&t, ".", PISS + 501, ISS + 3, 60000, NULL, 0);
	cr_assert(saw_event(&t, PTCP_EV_ALL_ACKED, NULL), "the ACK was processed");
	expect_nothing(&t);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4: a RST in LAST-ACK just closes: no reset is reported
 * (the peer had closed cleanly), and what arrived before its FIN stays
 * readable. */
Test(edges, rst_in_last_ack_reports_no_reset)
{
	conv t;
	char got[8];
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "F.", PISS + 1, ISS + 1, 60000, "abc", 3);
	expect_seg(&t, ".", ISS + 1, PISS + 5, 0);
	cr_assert_eq(conv_shutdown(&t, PTCP_SHUT_WR), 0); /* a CLOSE would reset: unread data */
	expect_seg(&t, "F.", ISS + 1, PISS + 5, 0);
	cr_assert(saw_state(&t, PTCP_LAST_ACK));
	conv_seg(&t, "R", PISS + 5, 0, 0, NULL, 0);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	cr_assert_not(saw_event(&t, PTCP_EV_RESET, NULL));
	cr_assert_eq(conv_read(&t, got, sizeof got), 3);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 fifth: the send window is taken from a segment only if
 * SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK: a segment
 * older than the last update (here one that fills a gap, with the same ACK)
 * does not shrink the window back. */
Test(edges, older_segment_does_not_update_the_window)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "a", 1);
	conv_seg(&t, "P.", PISS + 5, ISS + 1, 60000, "e", 1); /* out of order: WL1 = PISS + 5 */
	conv_seg(&t, "P.", PISS + 2, ISS + 1, 100, "bcd", 3); /* fills the gap, older SEQ */
	expect_seg(&t, ".", ISS + 1, PISS + 6, 0);
	cr_assert_eq(conv_sendn(&t, 1000), 1000);
	expect_seg(&t, "P.", ISS + 1, PISS + 6, 1000); /* the window is still 60000 */
	conv_fini(&t);
}

/* A table whose every connection block is taken completes no further
 * handshake: the final ACK of a second one makes no connection (and
 * nothing breaks); the first connection is unaffected. */
Test(edges, handshake_with_the_pool_full_makes_no_connection)
{
	tconv c;
	ptcp_table_config cfg;
	static const ptcp_tcp_opts syn = {
	    .present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};
	uint32_t iss[2], tsv[2];
	tconv_cfg(&cfg);
	cfg.max_conns = 1;
	cfg.flags = 0; /* no cookies: the SYN queue */
	tconv_init(&c, &cfg);
	tconv_listen(&c, 4);
	for (int k = 0; k < 2; k++) {
		c.cport = (uint16_t)(1000 + k);
		tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
		const ptcp_seg *s = tnext(&c);
		cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
		iss[k] = s->seq;
		tsv[k] = s->opts.ts_val;
	}
	for (int k = 0; k < 2; k++) {
		c.cport = (uint16_t)(1000 + k);
		ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = tsv[k]};
		tconv_seg(&c, ".", PISS + 1, iss[k] + 1, 1000, &o, NULL, 0);
		if (k == 0)
			cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE, "the first has the block");
		else
			cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE, "no block for the second");
	}
	cr_assert_eq(tusage(&c).conns, 1);
	tconv_fini(&c);
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

/* RFC 7323 2.3: a window scale over 14 is used as 14, also when a SYN
 * cookie carries it (the cookie's option bits hold 0..14). */
Test(edges, cookie_window_scale_over_14_is_14)
{
	tconv c;
	cookie_table(&c);
	tconv_listen(&c, 4);
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_TS | PTCP_OPT_WSCALE,
	                     .mss = 1460,
	                     .ts_val = 100,
	                     .wscale = 15};
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert(s->opts.present & PTCP_OPT_WSCALE);
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = s->opts.ts_val};
	tconv_seg(&c, ".", PISS + 1, s->seq + 1, 1000, &o, NULL, 0);
	ptcp_handle h = tconnected(&c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	ptcp_info si;
	ptcp_conn_info(ptcp_table_conn(&c.t, h), &si);
	cr_assert_eq(si.snd_wscale, 14);
	tconv_fini(&c);
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
