/*
 * The invariant checker against deliberately broken sequences (each must
 * give the right violation) and against a healthy two-core conversation
 * (which must give none).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static ptcp_info est_info(void)
{
	ptcp_info i;
	memset(&i, 0, sizeof(i));
	i.state = PTCP_ESTABLISHED;
	i.iss = 1000;
	i.irs = 5000;
	i.snd_una = i.snd_nxt = i.snd_max = 1001;
	i.rcv_nxt = 5001;
	i.rcv_wnd = 65535;
	return i;
}

static ptcp_action state_act(ptcp_state from, ptcp_state to)
{
	ptcp_action a;
	memset(&a, 0, sizeof(a));
	a.kind = PTCP_ACT_STATE;
	a.state.from = from;
	a.state.to = to;
	return a;
}

/* A checker that has seen the connection established at info i. */
static void start(ptcp_check_conn *k, const ptcp_info *i)
{
	ptcp_check_violation v;
	ptcp_action acts[2] = {state_act(PTCP_CLOSED, PTCP_SYN_SENT),
	                       state_act(PTCP_SYN_SENT, PTCP_ESTABLISHED)};
	ptcp_check_init(k);
	cr_assert_eq(ptcp_check_state(k, i, acts, 2, &v), PTCP_CHECK_OK, "%s", v.msg);
}

Test(arrows, rfc9293_table)
{
	/* the diagram */
	cr_assert(ptcp_check_arrow_ok(PTCP_CLOSED, PTCP_LISTEN));
	cr_assert(ptcp_check_arrow_ok(PTCP_CLOSED, PTCP_SYN_SENT));
	cr_assert(ptcp_check_arrow_ok(PTCP_LISTEN, PTCP_SYN_RECEIVED));
	cr_assert(ptcp_check_arrow_ok(PTCP_LISTEN, PTCP_SYN_SENT));
	cr_assert(ptcp_check_arrow_ok(PTCP_SYN_SENT, PTCP_SYN_RECEIVED));
	cr_assert(ptcp_check_arrow_ok(PTCP_SYN_SENT, PTCP_ESTABLISHED));
	cr_assert(ptcp_check_arrow_ok(PTCP_SYN_RECEIVED, PTCP_ESTABLISHED));
	cr_assert(ptcp_check_arrow_ok(PTCP_SYN_RECEIVED, PTCP_FIN_WAIT_1));
	cr_assert(ptcp_check_arrow_ok(PTCP_SYN_RECEIVED, PTCP_LISTEN));
	cr_assert(ptcp_check_arrow_ok(PTCP_ESTABLISHED, PTCP_FIN_WAIT_1));
	cr_assert(ptcp_check_arrow_ok(PTCP_ESTABLISHED, PTCP_CLOSE_WAIT));
	cr_assert(ptcp_check_arrow_ok(PTCP_FIN_WAIT_1, PTCP_FIN_WAIT_2));
	cr_assert(ptcp_check_arrow_ok(PTCP_FIN_WAIT_1, PTCP_CLOSING));
	cr_assert(ptcp_check_arrow_ok(PTCP_FIN_WAIT_2, PTCP_TIME_WAIT));
	cr_assert(ptcp_check_arrow_ok(PTCP_CLOSING, PTCP_TIME_WAIT));
	cr_assert(ptcp_check_arrow_ok(PTCP_CLOSE_WAIT, PTCP_LAST_ACK));
	cr_assert(ptcp_check_arrow_ok(PTCP_LAST_ACK, PTCP_CLOSED));
	cr_assert(ptcp_check_arrow_ok(PTCP_TIME_WAIT, PTCP_CLOSED));
	/* RST / abort / timeout: every state but CLOSED may go to CLOSED */
	for (int s = PTCP_LISTEN; s < PTCP_STATE_COUNT; s++)
		cr_assert(ptcp_check_arrow_ok((ptcp_state)s, PTCP_CLOSED), "%s -> CLOSED",
		          ptcp_state_name((ptcp_state)s));
	/* not arrows */
	cr_assert_not(ptcp_check_arrow_ok(PTCP_CLOSED, PTCP_CLOSED));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_CLOSED, PTCP_ESTABLISHED));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_LISTEN, PTCP_ESTABLISHED));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_ESTABLISHED, PTCP_LISTEN));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_ESTABLISHED, PTCP_SYN_SENT));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_CLOSE_WAIT, PTCP_FIN_WAIT_1));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_FIN_WAIT_2, PTCP_CLOSING));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_TIME_WAIT, PTCP_ESTABLISHED));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_LAST_ACK, PTCP_TIME_WAIT));
	cr_assert_not(ptcp_check_arrow_ok(PTCP_STATE_COUNT, PTCP_CLOSED));
}

Test(state, shrinking_edge)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	start(&k, &i);
	/* data arrives: RCV.NXT + 1000, window - 1000: same edge, fine */
	i.rcv_nxt += 1000;
	i.rcv_wnd -= 1000;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* the window opens: fine */
	i.rcv_wnd += 4000;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* the window shrinks by one byte: the right edge moves left */
	i.rcv_wnd -= 1;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_RCV_EDGE);
	cr_assert_eq(v.code, PTCP_CHECK_RCV_EDGE);
	cr_assert(strstr(v.msg, "right edge") != NULL, "%s", v.msg);
}

Test(state, edge_across_wraparound)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	i.rcv_nxt = 0xFFFFFF00u;
	start(&k, &i);
	i.rcv_nxt += 0x200; /* wraps */
	i.rcv_wnd -= 0x200;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	i.rcv_wnd -= 0x10;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_RCV_EDGE);
}

Test(state, bad_arrow)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = state_act(PTCP_ESTABLISHED, PTCP_SYN_SENT);
	start(&k, &i);
	i.state = PTCP_SYN_SENT;
	cr_assert_eq(ptcp_check_state(&k, &i, &a, 1, &v), PTCP_CHECK_STATE_ARROW);
	cr_assert(strstr(v.msg, "ESTABLISHED") && strstr(v.msg, "SYN-SENT"), "%s", v.msg);
}

Test(state, good_chain)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a[2] = {state_act(PTCP_FIN_WAIT_1, PTCP_FIN_WAIT_2),
	                    state_act(PTCP_FIN_WAIT_2, PTCP_TIME_WAIT)};
	ptcp_action b = state_act(PTCP_ESTABLISHED, PTCP_FIN_WAIT_1);
	start(&k, &i);
	i.state = PTCP_FIN_WAIT_1;
	cr_assert_eq(ptcp_check_state(&k, &i, &b, 1, &v), PTCP_CHECK_OK, "%s", v.msg);
	i.state = PTCP_TIME_WAIT;
	cr_assert_eq(ptcp_check_state(&k, &i, a, 2, &v), PTCP_CHECK_OK, "%s", v.msg);
}

Test(state, establish_flag)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = state_act(PTCP_CLOSED, PTCP_ESTABLISHED);
	ptcp_check_init(&k);
	cr_assert_eq(ptcp_check_state(&k, &i, &a, 1, &v), PTCP_CHECK_STATE_ARROW);
	ptcp_check_init(&k);
	k.flags = PTCP_CHECK_F_ESTABLISH;
	cr_assert_eq(ptcp_check_state(&k, &i, &a, 1, &v), PTCP_CHECK_OK, "%s", v.msg);
}

Test(state, silent_change_and_broken_chain)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = state_act(PTCP_FIN_WAIT_1, PTCP_FIN_WAIT_2);
	start(&k, &i);
	/* no action, but the state changed */
	i.state = PTCP_CLOSE_WAIT;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_STATE_REPORT);
	/* an action whose "from" is not the state we were in */
	i.state = PTCP_FIN_WAIT_2;
	cr_assert_eq(ptcp_check_state(&k, &i, &a, 1, &v), PTCP_CHECK_STATE_REPORT);
}

Test(state, snd_una_backwards_and_order)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	start(&k, &i);
	i.snd_nxt = i.snd_max = 3001;
	i.snd_una = 2001;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	i.snd_una = 1501;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_SND_UNA_BACK);
	i.snd_una = 2001;
	i.snd_nxt = 3002; /* beyond SND.MAX */
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_SND_ORDER);
	i.snd_nxt = 2000; /* below SND.UNA */
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_SND_ORDER);
}

Test(state, rcv_nxt_backwards)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	start(&k, &i);
	i.rcv_nxt -= 1;
	i.rcv_wnd += 1;
	cr_assert_eq(ptcp_check_state(&k, &i, NULL, 0, &v), PTCP_CHECK_RCV_NXT_BACK);
}

Test(state, new_incarnation_resets_monotonicity)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = state_act(PTCP_ESTABLISHED, PTCP_CLOSED);
	ptcp_action b = state_act(PTCP_CLOSED, PTCP_SYN_SENT);
	start(&k, &i);
	i.state = PTCP_CLOSED;
	cr_assert_eq(ptcp_check_state(&k, &i, &a, 1, &v), PTCP_CHECK_OK, "%s", v.msg);
	i = est_info();
	i.state = PTCP_SYN_SENT;
	i.iss = 7;
	i.snd_una = 7;
	i.snd_nxt = i.snd_max = 8;
	cr_assert_eq(ptcp_check_state(&k, &i, &b, 1, &v), PTCP_CHECK_OK, "%s", v.msg);
}

/* ---- Emitted segments --------------------------------------------------- */
static ptcp_action emit_act(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd)
{
	ptcp_action a;
	memset(&a, 0, sizeof(a));
	a.kind = PTCP_ACT_EMIT;
	ptcp_addr_v4(&a.emit.src, 10, 0, 0, 1);
	ptcp_addr_v4(&a.emit.dst, 10, 0, 0, 2);
	a.emit.seg.sport = 40000;
	a.emit.seg.dport = 80;
	a.emit.seg.flags = flags;
	a.emit.seg.seq = seq;
	a.emit.seg.ack = ack;
	a.emit.seg.wnd = wnd;
	return a;
}

Test(emit, good_segments)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	static const uint8_t data[100] = {1, 2, 3};
	ptcp_action a = emit_act(PTCP_ACK | PTCP_PSH, 1001, 5001, 1000);
	start(&k, &i);
	a.emit.seg.payload = data;
	a.emit.seg.payload_len = 60;
	a.emit.seg.payload2 = data + 60;
	a.emit.seg.payload2_len = 40;
	a.emit.seg.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
	a.emit.seg.opts.ts_val = 77;
	a.emit.seg.opts.sack_count = 2;
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){5101, 5201};
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5301, 5401};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* a SYN-ACK with every option */
	a = emit_act(PTCP_SYN | PTCP_ACK, 1000, 5001, 65535);
	a.emit.seg.opts.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM | PTCP_OPT_TS;
	a.emit.seg.opts.mss = 1460;
	a.emit.seg.opts.wscale = 14;
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
}

Test(emit, option_rules)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	start(&k, &i);
	a.emit.seg.opts.present = PTCP_OPT_MSS;
	a.emit.seg.opts.mss = 1460;
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OPTIONS);
	cr_assert(strstr(v.msg, "MSS") != NULL, "%s", v.msg);
	a.emit.seg.opts.present = PTCP_OPT_WSCALE;
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OPTIONS);
	a = emit_act(PTCP_SYN, 1000, 0, 65535);
	a.emit.seg.opts.present = PTCP_OPT_WSCALE;
	a.emit.seg.opts.wscale = 15;
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OPTIONS);
	cr_assert(strstr(v.msg, "15") != NULL, "%s", v.msg);
}

Test(emit, sack_blocks)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	start(&k, &i);
	a.emit.seg.opts.present = PTCP_OPT_SACK;
	a.emit.seg.opts.sack_count = 2;
	/* overlapping */
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){5101, 5201};
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5151, 5251};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
	cr_assert(strstr(v.msg, "overlap") != NULL, "%s", v.msg);
	/* beyond the window announced (ack 5001 + 1000) */
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5901, 6002};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
	/* at or below the cumulative ACK */
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){4901, 5001};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
	/* empty */
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5501, 5501};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
	/* fine */
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5901, 6001};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
}

Test(emit, dsack_first_block)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	start(&k, &i);
	a.emit.seg.opts.present = PTCP_OPT_SACK;
	/* RFC 2883: a duplicate below the cumulative ACK, first */
	a.emit.seg.opts.sack_count = 2;
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){4001, 4501};
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5301, 5401};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* a duplicate inside the second block, first */
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){5321, 5341};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* below the ACK but not first: not a D-SACK */
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){5301, 5401};
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){4001, 4501};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
	/* a first block overlapping the second without being inside it */
	a.emit.seg.opts.sack[0] = (ptcp_sack_block){5281, 5341};
	a.emit.seg.opts.sack[1] = (ptcp_sack_block){5301, 5401};
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_SACK);
}

Test(emit, does_not_build)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	start(&k, &i);
	a.emit.seg.opts.present = PTCP_OPT_SACK; /* with sack_count 0 */
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_BUILD);
	a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	memset(&a.emit.dst, 0, sizeof(a.emit.dst)); /* no address family */
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_BUILD);
}

Test(emit, corrupted_or_foreign_packet)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000), b;
	uint8_t pkt[200];
	ptcp_ip ip;
	int n;
	start(&k, &i);
	memset(&ip, 0, sizeof(ip));
	ip.src = a.emit.src;
	ip.dst = a.emit.dst;
	ip.ttl = 64;
	n = ptcp_wire_build_packet(pkt, sizeof(pkt), &ip, &a.emit.seg);
	cr_assert_gt(n, 0);
	cr_assert_eq(ptcp_check_emit(&k, &a, pkt, (size_t)n, &v), PTCP_CHECK_OK, "%s", v.msg);
	/* a packet that is not the emitted segment */
	b = a;
	b.emit.seg.seq += 1;
	cr_assert_eq(ptcp_check_emit(&k, &b, pkt, (size_t)n, &v), PTCP_CHECK_ROUNDTRIP);
	/* a flipped bit: bad checksum */
	pkt[n - 3] ^= 0x10;
	cr_assert_eq(ptcp_check_emit(&k, &a, pkt, (size_t)n, &v), PTCP_CHECK_PARSE);
	cr_assert(strstr(v.msg, "checksum") != NULL, "%s", v.msg);
}

Test(emit, announced_edge_moves_left)
{
	ptcp_check_conn k;
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	start(&k, &i);
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_OK, "%s", v.msg);
	a.emit.seg.ack = 5501;
	a.emit.seg.wnd = 499; /* edge 6000 < 6001 */
	cr_assert_eq(ptcp_check_emit(&k, &a, NULL, 0, &v), PTCP_CHECK_RCV_EDGE);
}

/* ---- Pair checks -------------------------------------------------------- */
Test(pair, ack_of_unsent_data_and_window)
{
	ptcp_check_conn peer;
	ptcp_check_violation v;
	ptcp_info i = est_info(); /* the peer: SND.MAX 1001, RCV.NXT 5001 + 65535 */
	ptcp_action a = emit_act(PTCP_ACK, 5001, 1001, 1000);
	static const uint8_t data[1500];
	start(&peer, &i);
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_OK, "%s", v.msg);
	a.emit.seg.ack = 1002;
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_ACK_UNSENT);
	a.emit.seg.ack = 1000; /* the ISS: not even the SYN acknowledged */
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_ACK_UNSENT);
	/* payload up to the edge 5001 + 65535 is fine, one byte more is not */
	a.emit.seg.ack = 1001;
	a.emit.seg.seq = 5001 + 65535 - 1000;
	a.emit.seg.payload = data;
	a.emit.seg.payload_len = 1000;
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_OK, "%s", v.msg);
	a.emit.seg.payload_len = 1001;
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_PEER_WINDOW);
	/* a 1-byte zero-window probe at the edge is allowed, 2 bytes are not */
	a.emit.seg.seq = 5001 + 65535;
	a.emit.seg.payload_len = 1;
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_OK, "%s", v.msg);
	a.emit.seg.payload_len = 2;
	cr_assert_eq(ptcp_check_pair(&peer, &a.emit.seg, &v), PTCP_CHECK_PEER_WINDOW);
}

/* ---- Liveness ----------------------------------------------------------- */
Test(liveness, stuck_connection)
{
	ptcp_check_violation v;
	ptcp_info i = est_info();
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 0, 0, &v), PTCP_CHECK_OK);
	i.snd_max += 100;
	i.snd_nxt += 100;
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 0, 0, &v), PTCP_CHECK_STUCK);
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_SEC(3), 0, 0, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 1, 0, &v), PTCP_CHECK_OK);
	i = est_info();
	i.recv_ready = 10;
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 0, 1, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 0, 0, &v), PTCP_CHECK_STUCK);
	i = est_info();
	i.state = PTCP_LAST_ACK;
	cr_assert_eq(ptcp_check_liveness(&i, PTCP_TIME_NEVER, 0, 0, &v), PTCP_CHECK_STUCK);
}

Test(liveness, rto_that_sends_nothing)
{
	ptcp_check_violation v;
	ptcp_info i = est_info();
	ptcp_action a = emit_act(PTCP_ACK, 1001, 5001, 1000);
	i.snd_max += 1; /* a lost zero-window probe */
	i.snd_nxt = i.snd_una;
	cr_assert_eq(ptcp_check_rto(3, 4, &i, NULL, 0, &v), PTCP_CHECK_STUCK);
	cr_assert(strstr(v.msg, "sent nothing") != NULL, "%s", v.msg);
	cr_assert_eq(ptcp_check_rto(3, 4, &i, &a, 1, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_rto(4, 4, &i, NULL, 0, &v), PTCP_CHECK_OK);
	i = est_info(); /* nothing outstanding */
	cr_assert_eq(ptcp_check_rto(3, 4, &i, NULL, 0, &v), PTCP_CHECK_OK);
}

/* ---- Streams ------------------------------------------------------------ */
Test(stream, exact_bytes)
{
	ptcp_check_stream s;
	ptcp_check_violation v;
	uint8_t *buf = malloc(100000);
	for (int j = 0; j < 100000; j++)
		buf[j] = (uint8_t)(j * 7 + (j >> 8));
	ptcp_check_stream_init(&s);
	/* interleaved writes and reads of odd sizes, through ring growth and wrap */
	size_t w = 0, r = 0;
	while (r < 100000) {
		size_t n = 1 + (w * 13) % 3000;
		if (w + n > 100000)
			n = 100000 - w;
		cr_assert_eq(ptcp_check_stream_write(&s, buf + w, n, &v), PTCP_CHECK_OK);
		w += n;
		n = 1 + (r * 7) % 2000;
		if (r + n > w)
			n = w - r;
		cr_assert_eq(ptcp_check_stream_read(&s, buf + r, n, &v), PTCP_CHECK_OK, "%s",
		             v.msg);
		r += n;
	}
	cr_assert_eq(ptcp_check_stream_eof(&s, &v), PTCP_CHECK_OK);
	ptcp_check_stream_free(&s);
	free(buf);
}

Test(stream, corrupted_byte)
{
	ptcp_check_stream s;
	ptcp_check_violation v;
	uint8_t w[5000], r[5000];
	for (int j = 0; j < 5000; j++)
		w[j] = (uint8_t)(j * 11);
	memcpy(r, w, sizeof(r));
	r[4321] ^= 0x40;
	ptcp_check_stream_init(&s);
	cr_assert_eq(ptcp_check_stream_write(&s, w, 5000, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_stream_read(&s, r, 4000, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_stream_read(&s, r + 4000, 1000, &v), PTCP_CHECK_STREAM_DATA);
	cr_assert(strstr(v.msg, "offset 4321") != NULL, "%s", v.msg);
	ptcp_check_stream_free(&s);
}

Test(stream, duplicated_and_lost_bytes)
{
	ptcp_check_stream s;
	ptcp_check_violation v;
	uint8_t w[100];
	for (int j = 0; j < 100; j++)
		w[j] = (uint8_t)(j + 1);
	ptcp_check_stream_init(&s);
	cr_assert_eq(ptcp_check_stream_write(&s, w, 100, &v), PTCP_CHECK_OK);
	cr_assert_eq(ptcp_check_stream_read(&s, w, 50, &v), PTCP_CHECK_OK);
	/* the same 10 bytes again: out of place */
	cr_assert_eq(ptcp_check_stream_read(&s, w + 40, 10, &v), PTCP_CHECK_STREAM_DATA);
	/* end of stream with bytes missing */
	cr_assert_eq(ptcp_check_stream_eof(&s, &v), PTCP_CHECK_STREAM_SHORT);
	/* more than was written */
	cr_assert_eq(ptcp_check_stream_read(&s, w, 41, &v), PTCP_CHECK_STREAM_EXTRA);
	ptcp_check_stream_free(&s);
}

/* ---- A healthy conversation gives no violation -------------------------- */
typedef struct end {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_check_conn k;
	uint8_t sbuf[8192], rbuf[8192];
} end;

static ptcp_action acts[64];

static void collect(const ptcp_actions *out, ptcp_seg *q, int *nq, uint8_t (*store)[2048])
{
	for (size_t j = 0; j < out->n; j++) {
		const ptcp_seg *g = &out->v[j].emit.seg;
		if (out->v[j].kind != PTCP_ACT_EMIT)
			continue;
		cr_assert_lt(*nq, 256);
		/* keep a copy with the payload in our storage */
		q[*nq] = *g;
		if (g->payload_len)
			memcpy(store[*nq], g->payload, g->payload_len);
		if (g->payload2_len)
			memcpy(store[*nq] + g->payload_len, g->payload2, g->payload2_len);
		q[*nq].payload = store[*nq];
		q[*nq].payload_len = ptcp_seg_len(g);
		q[*nq].payload2 = NULL;
		q[*nq].payload2_len = 0;
		(*nq)++;
	}
}

/* One checked step of e (peer: the other end); returns ptcp_step's result. */
static int run(end *e, end *peer, const ptcp_input *in, ptcp_time_t now, ptcp_seg *q, int *nq,
               uint8_t (*store)[2048])
{
	ptcp_actions out = {.v = acts, .cap = 64};
	ptcp_check_violation v;
	int r = ptcp_step(&e->c, in, now, &out);
	cr_assert_geq(r, PTCP_ERR_MIN);
	cr_assert_eq(ptcp_check_step(&e->k, &e->c, &out, &v), PTCP_CHECK_OK, "%s", v.msg);
	for (size_t j = 0; j < out.n; j++)
		if (acts[j].kind == PTCP_ACT_EMIT)
			cr_assert_eq(ptcp_check_pair(&peer->k, &acts[j].emit.seg, &v),
			             PTCP_CHECK_OK, "%s", v.msg);
	collect(&out, q, nq, store);
	return r;
}

Test(healthy, two_cores_no_violation)
{
	static end e[2];
	static ptcp_seg q[2][256];
	static uint8_t store[2][256][2048];
	static uint8_t data[20000], got[20000];
	int nq[2] = {0, 0};
	size_t sent = 0, rcvd = 0;
	ptcp_input in;
	ptcp_time_t now = PTCP_SEC(1);
	ptcp_check_stream s;
	ptcp_check_violation v;
	for (size_t j = 0; j < sizeof(data); j++)
		data[j] = (uint8_t)(j * 5 + 3);
	ptcp_check_stream_init(&s);
	for (int j = 0; j < 2; j++) {
		cr_assert_eq(ptcp_conn_init(&e[j].c, NULL, e[j].sbuf, sizeof(e[j].sbuf), e[j].rbuf,
		                            sizeof(e[j].rbuf)),
		             0);
		ptcp_check_init_conn(&e[j].k, &e[j].c);
		cr_assert_eq(ptcp_conn_set_loss(&e[j].c, &e[j].loss), 0);
	}
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_LISTEN;
	in.listen.lport = 80;
	in.listen.iss = 0xFFFFFF00u;
	run(&e[1], &e[0], &in, now, q[1], &nq[1], store[1]);
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_CONNECT;
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = 40000;
	in.connect.rport = 80;
	in.connect.iss = 12345;
	run(&e[0], &e[1], &in, now, q[0], &nq[0], store[0]);
	for (int round = 0; round < 2000; round++) {
		now += PTCP_MS(1);
		if (ptcp_conn_state(&e[0].c) == PTCP_ESTABLISHED && sent < sizeof(data)) {
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_SEND;
			in.send.data = data + sent;
			in.send.len = sizeof(data) - sent;
			int r = run(&e[0], &e[1], &in, now, q[0], &nq[0], store[0]);
			if (r > 0) {
				cr_assert_eq(
				    ptcp_check_stream_write(&s, data + sent, (size_t)r, &v),
				    PTCP_CHECK_OK);
				sent += (size_t)r;
			}
		}
		/* deliver everything queued, each direction */
		for (int d = 0; d < 2; d++) {
			static ptcp_seg cur[256];
			static uint8_t curst[256][2048];
			int n = nq[d];
			memcpy(cur, q[d], sizeof(ptcp_seg) * (size_t)n);
			for (int j = 0; j < n; j++) {
				if (q[d][j].payload_len)
					memcpy(curst[j], q[d][j].payload, q[d][j].payload_len);
				cur[j].payload = curst[j];
			}
			nq[d] = 0;
			for (int j = 0; j < n; j++) {
				memset(&in, 0, sizeof(in));
				in.kind = PTCP_IN_SEGMENT;
				in.segment.seg = &cur[j];
				ptcp_addr_v4(&in.segment.src, 10, 0, 0, d == 0 ? 1 : 2);
				ptcp_addr_v4(&in.segment.dst, 10, 0, 0, d == 0 ? 2 : 1);
				run(&e[!d], &e[d], &in, now, q[!d], &nq[!d], store[!d]);
			}
		}
		/* the server reads */
		while (ptcp_conn_recv_avail(&e[1].c) > 0) {
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_READ;
			in.read.buf = got;
			in.read.len = 3000;
			int r = run(&e[1], &e[0], &in, now, q[1], &nq[1], store[1]);
			cr_assert_gt(r, 0);
			cr_assert_eq(ptcp_check_stream_read(&s, got, (size_t)r, &v), PTCP_CHECK_OK,
			             "%s", v.msg);
			rcvd += (size_t)r;
		}
		if (rcvd == sizeof(data))
			break;
	}
	cr_assert_eq(rcvd, sizeof(data));
	cr_assert_eq(ptcp_check_stream_eof(&s, &v), PTCP_CHECK_OK);
	cr_assert_gt(e[0].k.segs, 10);
	ptcp_check_stream_free(&s);
}
