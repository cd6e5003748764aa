/*
 * Edges the property generators rarely reach, each pinned by a conversation
 * (found by mutation testing, scripts/mutate: a fault in these lines survived
 * every suite).  They assert on emitted segments, events, ptcp_conn_read()
 * and the public counters (ptcp_conn_stats).  Loss recovery, RTO, RACK, TLP
 * and CUBIC edges are in test_edges_loss.c (same Criterion suite, edges).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "test_edges.h"

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

/* RFC 9293 3.8.6.2.2 (receiver SWS avoidance): a read announces the opened
 * window only when it grew by a full segment (the largest seen, here 1400)
 * beyond what the peer could still send.  2000-byte buffer, 1400 bytes in:
 * 600 left; reading 1000 opens it to 1600 (+1000: no update), reading the
 * last 400 to 2000 (+1400: an ACK announcing it). */
Test(edges, window_update_after_a_read_needs_a_full_segment_more)
{
	conv t;
	static char data[1400], got[1400];
	ptcp_config cfg = plain();
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1000};
	conv_init(&t, &cfg, SBUF, 2000);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, data, sizeof data);
	cr_assert_eq(conv_read(&t, got, 1000), 1000);
	expect_nothing(&t);
	cr_assert_eq(conv_read(&t, got, 1000), 400);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1, PISS + 1401, 0);
	cr_assert_eq(s->wnd, 2000);
	conv_fini(&t);
}

/* RFC 9293 3.10.3: RECEIVE on a connection that is gone and had no error
 * (closed by the application while in SYN-SENT) ends the stream: 0, never
 * PTCP_EAGAIN (nothing can come any more). */
Test(edges, read_after_close_in_syn_sent_is_end_of_stream)
{
	conv t;
	char got[8];
	ptcp_config cfg = plain();
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	cr_assert_eq(conv_close(&t), 0);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	cr_assert_eq(conv_read(&t, got, sizeof got), 0);
	conv_fini(&t);
}

/* RFC 1122 4.2.2.13: closing with unread data sends a RST, not a FIN -
 * even when only one byte is unread. */
Test(edges, close_with_one_unread_byte_resets)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "a", 1);
	cr_assert_eq(conv_close(&t), 0);
	expect_seg(&t, "R.", ISS + 1, PISS + 2, 0);
	expect_nothing(&t);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	conv_fini(&t);
}

/* A Fast Open connect with a cookie and one byte of data in the SYN. */
static void tfo_one_byte(conv *t)
{
	ptcp_config cfg = plain();
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	conv_init(t, &cfg, SBUF, RBUF);
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = t->lport;
	in.connect.rport = t->rport;
	in.connect.iss = ISS;
	in.connect.tfo = 1;
	in.connect.tfo_len = 8;
	memset(in.connect.tfo_cookie, 7, 8);
	in.connect.tfo_mss = 1000;
	in.connect.data = (const uint8_t *)"h";
	in.connect.len = 1;
	cr_assert_eq(conv_step(t, &in), 0);
	expect_seg(t, "S", ISS, 0, 1);
}

/* RFC 7413 4.2: a SYN-ACK that acknowledges the SYN's data counts it as
 * accepted, one that acknowledges the SYN only as refused (the byte goes
 * again) - also for a single byte of data. */
Test(edges, tfo_one_byte_of_syn_data_is_counted)
{
	conv t;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = 1460};
	tfo_one_byte(&t);
	conv_seg_opts(&t, "S.", PISS, ISS + 2, 8192, &o, NULL, 0);
	cr_assert_eq(stats(&t).tfo_data_acked, 1);
	cr_assert_eq(stats(&t).tfo_data_refused, 0);
	conv_fini(&t);
	tfo_one_byte(&t);
	conv_seg_opts(&t, "S.", PISS, ISS + 1, 8192, &o, NULL, 0);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 1);
	cr_assert_eq(stats(&t).tfo_data_acked, 0);
	cr_assert_eq(stats(&t).tfo_data_refused, 1);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 fifth, SND.WL1/SND.WL2: an acceptable pure ACK ahead
 * of RCV.NXT (SEQ = RCV.NXT + 100) updates the window and SND.WL1; a data
 * segment at RCV.NXT after it (on the fast path: in order, nothing queued)
 * has an older SEQ and must not: its window of 100 is ignored and 1000
 * bytes go out in one segment. */
Test(edges, in_order_data_after_a_later_ack_keeps_the_window)
{
	conv t;
	client(&t, plain(), 0, 1000);
	conv_seg(&t, ".", PISS + 101, ISS + 1, 60000, NULL, 0);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 100, "a", 1);
	cr_assert_eq(conv_sendn(&t, 1000), 1000);
	expect_seg(&t, "P.", ISS + 1, PISS + 2, 1000);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 fourth: a SYN in the window of a SYN-RECEIVED
 * connection that came from a passive OPEN (not the SYN sent again: a new
 * SEQ) returns it to LISTEN, silently; a later SYN opens a new one. */
Test(edges, syn_in_syn_received_from_listen_returns_to_listen)
{
	conv t;
	ptcp_config cfg = plain();
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_listen(&t, ISS), 0);
	conv_seg(&t, "S", PISS, 0, 60000, NULL, 0);
	expect_seg(&t, "S.", ISS, PISS + 1, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_SYN_RECEIVED);
	conv_seg(&t, "S", PISS + 10, 0, 60000, NULL, 0);
	expect_nothing(&t);
	cr_assert(saw_state(&t, PTCP_LISTEN));
	conv_seg(&t, "S", PISS + 500, 0, 60000, NULL, 0);
	expect_seg(&t, "S.", ISS, PISS + 501, 0);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 fourth / RFC 5961 4.2: in SYN-RECEIVED reached by a
 * simultaneous open (an active OPEN, so no return to LISTEN), a new SYN in
 * the window gets a challenge ACK and is dropped, counted as unacceptable. */
Test(edges, syn_in_simultaneous_open_syn_received_is_a_counted_drop)
{
	conv t;
	ptcp_config cfg = plain();
	conv_init(&t, &cfg, SBUF, RBUF);
	cr_assert_eq(conv_connect(&t, ISS), 0);
	expect_seg(&t, "S", ISS, 0, 0);
	conv_seg(&t, "S", PISS, 0, 60000, NULL, 0);
	expect_seg(&t, "S.", ISS, PISS + 1, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_SYN_RECEIVED);
	conv_seg(&t, "S", PISS + 10, 0, 60000, NULL, 0);
	cr_assert_eq(stats(&t).drops[PTCP_DROP_UNACCEPTABLE], 1);
	cr_assert_eq(stats(&t).challenge_acks, 1);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_SYN_RECEIVED);
	conv_fini(&t);
}

/* RFC 9293 3.10.7.4 eighth: a FIN that arrives ahead of a gap is kept and
 * taken once the gap fills - also in FIN-WAIT-1 (our FIN not yet acked):
 * the ACK then covers the data and the FIN, and the state is CLOSING. */
Test(edges, out_of_order_fin_in_fin_wait_1_is_taken_after_the_gap)
{
	conv t;
	client(&t, plain(), 0, 1000);
	cr_assert_eq(conv_shutdown(&t, PTCP_SHUT_WR), 0);
	expect_seg(&t, "F.", ISS + 1, PISS + 1, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_FIN_WAIT_1);
	conv_seg(&t, "F.", PISS + 2, ISS + 1, 60000, "bc", 2);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 60000, "a", 1);
	expect_seg(&t, ".", ISS + 2, PISS + 5, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_CLOSING);
	conv_fini(&t);
}
