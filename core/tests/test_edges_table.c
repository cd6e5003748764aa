/*
 * Edges of the connection table (listeners, SYN queue, SYN cookies, Fast
 * Open, the pool) the property generators rarely reach, each pinned by a
 * conversation (found by mutation testing, scripts/mutate: a fault in these
 * lines survived every suite).  They assert on emitted segments, events,
 * public API results and the table's public counters.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tconv.h"

#define PISS 5000u /* the peer's ISS */

/* A SYN cookie carries the MSS index (0..3) in its low bits: an ACK whose
 * cookie decodes to index 4 is no cookie (dropped, counted), while the
 * right one opens the connection. */
Test(edges_table, cookie_mss_index_out_of_range_is_invalid)
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

/* The table's documented limits: up to 65535 listeners. */
Test(edges_table, table_max_listeners_limit)
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
Test(edges_table, accept_queue_holds_backlog_connections)
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

/* A table's active open needs both ports (listener.h: PTCP_EINVAL); the
 * connection block alone would accept a local port 0. */
Test(edges_table, table_connect_needs_both_ports)
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
Test(edges_table, syn_queue_challenge_ack_has_timestamps_and_a_limit)
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

/* A cookie table listening with backlog 4 answers a SYN carrying syn with a
 * SYN-ACK (a cookie); returns that SYN-ACK. */
static const ptcp_seg *cookie_synack(tconv *c, const ptcp_tcp_opts *syn)
{
	cookie_table(c);
	tconv_listen(c, 4);
	tconv_seg(c, "S", PISS, 0, 65535, syn, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	return s;
}

/* The cookie's counter (one per minute, RFC 4987 3.6) is kept in its top 8
 * bits and compared modulo 256: a cookie made late in the clock (minute
 * 300) is still good a minute later. */
Test(edges_table, cookie_at_a_late_clock_is_good_a_minute_later)
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
Test(edges_table, cookie_mss_over_ipv6)
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

/* RFC 6528: the ISN's keyed function covers the whole 4-tuple, every bit of
 * the local port included: the same client to ports 80 and 80 + 32768 at
 * the same time gets two different ISNs. */
Test(edges_table, isn_depends_on_every_bit_of_the_local_port)
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
Test(edges_table, tfo_cookie_is_bound_to_the_whole_client_address)
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

/* A table whose every connection block is taken completes no further
 * handshake: the final ACK of a second one makes no connection (and
 * nothing breaks); the first connection is unaffected. */
Test(edges_table, handshake_with_the_pool_full_makes_no_connection)
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

/* RFC 7323 2.3: a window scale over 14 is used as 14, also when a SYN
 * cookie carries it (the cookie's option bits hold 0..14). */
Test(edges_table, cookie_window_scale_over_14_is_14)
{
	tconv c;
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_TS | PTCP_OPT_WSCALE,
	                     .mss = 1460,
	                     .ts_val = 100,
	                     .wscale = 15};
	const ptcp_seg *s = cookie_synack(&c, &syn);
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

/* RFC 9293 3.5, 3.10.7.2: an old duplicate must not open a connection.  A
 * later segment of a cookie connection (here the client's ACK after 100
 * bytes each way, delayed past the connection's end) has SEQ and ACK both
 * moved on by 100: the cookie's check covers the IRS, so it is no cookie
 * (dropped, counted, no connection), while the true final ACK still is
 * (the x10 table/echo failure at seed 0x1ea440199de35b67: such an ACK took
 * the pool's only block for a connection no client had). */
Test(edges_table, cookie_does_not_take_an_old_duplicate_ack)
{
	tconv c;
	static const ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS, .mss = 1460};
	const ptcp_seg *s = cookie_synack(&c, &syn);
	cr_assert_eq(tstats(&c).cookies_sent, 1);
	uint32_t iss = s->seq;
	for (uint32_t d = 1; d <= 100; d += 99) {
		tconv_seg(&c, ".", PISS + 1 + d, iss + 1 + d, 1000, NULL, NULL, 0);
		cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE, "moved on by %u", d);
		cr_assert_eq(tusage(&c).conns, 0);
	}
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 2);
	cr_assert_eq(tstats(&c).cookies_ok, 0);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE, "the true final ACK");
	cr_assert_eq(tstats(&c).cookies_ok, 1);
	tconv_fini(&c);
}

/* A table's active open: the connection is hashed (a second connect to the
 * same 4-tuple is PTCP_ESTATE), its SYN timer is the table's deadline (the
 * SYN goes again there), and once closed it leaves the hash (the same
 * 4-tuple can be connected again). */
Test(edges_table, table_connect_is_hashed_timed_and_unhashed)
{
	tconv c;
	ptcp_input in;
	tconv_init(&c, NULL);
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_CONNECT;
	in.connect.local = c.server;
	in.connect.remote = c.client;
	in.connect.lport = 40000;
	in.connect.rport = 80;
	int h = tconv_step(&c, PTCP_NO_HANDLE, &in);
	cr_assert_geq(h, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN);
	uint32_t iss = s->seq;
	cr_assert_eq(tusage(&c).hashed, 1);
	cr_assert_eq(tconv_step(&c, PTCP_NO_HANDLE, &in), PTCP_ESTATE);
	ptcp_time_t d = ptcp_table_next_deadline(&c.t);
	cr_assert(d > c.now && d != PTCP_TIME_NEVER, "the SYN timer is the table's deadline");
	tconv_to_deadline(&c);
	s = texpect(&c, "S", iss, 0, 0);
	cr_assert_eq(tclose(&c, (ptcp_handle)h), 0);
	cr_assert_eq(tusage(&c).conns, 0);
	cr_assert_eq(tusage(&c).hashed, 0);
	cr_assert_geq(tconv_step(&c, PTCP_NO_HANDLE, &in), 0, "the 4-tuple is free again");
	tconv_fini(&c);
}

/* A TIME step whose due timers need more actions than the array holds
 * stops early and reports its deadline as now (run again at once, not at
 * the past time of the next due timer); steps at that deadline send the
 * rest: 60 SYN-ACKs due again, an array of PTCP_TABLE_ACTIONS_MIN. */
Test(edges_table, time_step_out_of_room_reports_now)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_requests = 64;
	cfg.max_backlog = 64;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 64);
	for (int k = 0; k < 60; k++) {
		c.cport = (uint16_t)(1000 + k);
		tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
		cr_assert_eq(tnext(&c)->flags, PTCP_SYN | PTCP_ACK);
	}
	c.out.cap = PTCP_TABLE_ACTIONS_MIN;
	size_t resent = 0;
	tconv_time(&c, c.now + PTCP_SEC(5)); /* every SYN-ACK timer is due (RTO 1 s) */
	for (int steps = 0; steps < 10; steps++) {
		for (size_t a = 0; a < c.out.n; a++)
			resent += c.act[a].kind == PTCP_ACT_EMIT;
		if (resent == 60)
			break;
		cr_assert_lt(resent, 60);
		cr_assert_eq(ptcp_table_next_deadline(&c.t), c.now,
		             "%zu SYN-ACKs sent again: deadline %llu, now %llu", resent,
		             (unsigned long long)ptcp_table_next_deadline(&c.t),
		             (unsigned long long)c.now);
		tconv_time(&c, c.now);
	}
	cr_assert_eq(resent, 60);
	cr_assert_gt(ptcp_table_next_deadline(&c.t), c.now);
	tconv_fini(&c);
}

/* Listener ids are the lowest free ones (listener.h): 0, 1, and 0 again
 * once the first listener is gone. */
Test(edges_table, listener_ids_are_the_lowest_free)
{
	tconv c;
	tconv_init(&c, NULL);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 80, 4), 0);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 81, 4), 1);
	cr_assert_eq(ptcp_table_unlisten(&c.t, 0, c.now, &c.out), 0);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 82, 4), 0);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 83, 4), 2);
	tconv_fini(&c);
}

/* ptcp_table_init takes caller memory at any address (ptcp_table_mem_size
 * leaves room to align it): at each of 64 offsets the connection block a
 * handle names is aligned for a ptcp_conn, and the table stays inside its
 * len bytes (a canary after them is untouched by a connect). */
Test(edges_table, table_memory_at_any_offset_is_aligned)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	size_t n = ptcp_table_mem_size(&cfg);
	cr_assert_gt(n, 0);
	uint8_t *buf = malloc(n + 128);
	cr_assert(buf);
	for (size_t r = 0; r < 64; r++) {
		ptcp_table t;
		ptcp_table_actions out;
		ptcp_action act[TCONV_ACTS];
		ptcp_table_tag tag[TCONV_ACTS];
		ptcp_input in;
		uint8_t *mem = buf + r;
		memset(buf, 0, n + 128);
		memset(mem + n, 0xa5, 128 - r);
		cr_assert_eq(ptcp_table_init(&t, &cfg, mem, n), 0);
		out.v = act;
		out.tag = tag;
		out.cap = TCONV_ACTS;
		out.n = 0;
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_CONNECT;
		ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
		ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
		in.connect.lport = 40000;
		in.connect.rport = 80;
		int h = ptcp_table_step(&t, PTCP_NO_HANDLE, &in, 1000000, &out);
		cr_assert_geq(h, 0, "offset %zu", r);
		ptcp_conn *c = ptcp_table_conn(&t, (ptcp_handle)h);
		cr_assert(c);
		cr_assert_eq((uintptr_t)c % _Alignof(ptcp_conn), 0, "offset %zu: block at %p", r,
		             (void *)c);
		cr_assert_eq(ptcp_conn_state(c), PTCP_SYN_SENT);
		for (size_t k = n; k < n + 128 - r; k++)
			cr_assert_eq(mem[k], 0xa5, "offset %zu: byte %zu after the memory written",
			             r, k - n);
	}
	free(buf);
}

/* ptcp_table_listen with every listener slot in use is PTCP_ENOBUFS
 * (listener.h), and the listeners already there go on working. */
Test(edges_table, listen_beyond_max_listeners_is_enobufs)
{
	tconv c;
	ptcp_table_config cfg;
	ptcp_listener_info li;
	tconv_cfg(&cfg);
	cfg.max_listeners = 2;
	tconv_init(&c, &cfg);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 80, 4), 0);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 81, 4), 1);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 82, 4), PTCP_ENOBUFS);
	cr_assert_eq(tusage(&c).listeners, 2);
	cr_assert_eq(ptcp_table_listener_info(&c.t, 1, &li), 0);
	cr_assert_eq(li.port, 81);
	tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
	cr_assert_eq(tnext(&c)->flags, PTCP_SYN | PTCP_ACK);
	tconv_fini(&c);
}

/* RFC 7323 5.4: the table's timestamp clock ticks once per millisecond (the
 * connections' clock, timer_tsval): a SYN-ACK sent again 1 s later carries a
 * TSval 1000 higher. */
Test(edges_table, synack_timestamps_tick_per_millisecond)
{
	tconv c;
	static const ptcp_tcp_opts syn = {
	    .present = PTCP_OPT_MSS | PTCP_OPT_TS, .mss = 1460, .ts_val = 100};
	tconv_init(&c, NULL);
	tconv_listen(&c, 4);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert(s->opts.present & PTCP_OPT_TS);
	uint32_t v0 = s->opts.ts_val;
	ptcp_time_t t0 = c.now;
	tconv_to_deadline(&c);
	s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->opts.ts_val - v0, (uint32_t)((c.now - t0) / 1000),
	             "TSval moved %u in %llu us", s->opts.ts_val - v0,
	             (unsigned long long)(c.now - t0));
	tconv_fini(&c);
}

/* A SYN cookie made for a SYN without timestamps remembers no options; a
 * final ACK that carries a timestamp option with TSecr 0 (nothing echoed,
 * RFC 7323 3.2) is checked as such - the cookie is good. */
Test(edges_table, cookie_ack_with_a_zero_tsecr_has_no_options)
{
	tconv c;
	static const ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS, .mss = 1460};
	const ptcp_seg *s = cookie_synack(&c, &syn);
	cr_assert_not(s->opts.present & PTCP_OPT_TS);
	uint32_t iss = s->seq;
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = 101, .ts_ecr = 0};
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tstats(&c).cookies_ok, 1);
	tconv_fini(&c);
}

/* A good SYN cookie whose final ACK finds the pool full makes no
 * connection: counted as table-full, and with PTCP_TBL_ABORT_ON_OVERFLOW
 * answered with a reset. */
Test(edges_table, cookie_ack_with_the_pool_full_is_counted)
{
	for (int abort_on = 0; abort_on < 2; abort_on++) {
		tconv c;
		ptcp_table_config cfg;
		tconv_cfg(&cfg);
		cfg.flags =
		    PTCP_TBL_SYNCOOKIES_ALWAYS | (abort_on ? PTCP_TBL_ABORT_ON_OVERFLOW : 0);
		cfg.max_conns = 1;
		tconv_init(&c, &cfg);
		tconv_listen(&c, 4);
		uint32_t iss[2];
		for (int k = 0; k < 2; k++) {
			c.cport = (uint16_t)(1000 + k);
			tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
			const ptcp_seg *s = tnext(&c);
			cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
			iss[k] = s->seq;
		}
		c.cport = 1000;
		tconv_seg(&c, ".", PISS + 1, iss[0] + 1, 1000, NULL, NULL, 0);
		cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
		c.cport = 1001;
		tconv_seg(&c, ".", PISS + 1, iss[1] + 1, 1000, NULL, NULL, 0);
		cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE);
		cr_assert_eq(tdrops(&c, PTCP_TDROP_TABLE_FULL), 1);
		cr_assert_eq(tusage(&c).conns, 1);
		if (abort_on)
			texpect(&c, "R", iss[1] + 1, 0, 0);
		else
			texpect_nothing(&c);
		tconv_fini(&c);
	}
}

/* RFC 9293 3.10.5 (a listener closed with connections nobody accepted):
 * every such connection is aborted, also those whose RST and CLOSED event
 * no longer fit in the caller's action array (their actions are dropped,
 * the connections are not kept). */
Test(edges_table, unlisten_aborts_every_child_beyond_the_action_array)
{
	tconv c;
	static const ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS, .mss = 1460};
	const int n = 40; /* about three actions each: more than 64 */
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_conns = 64;
	cfg.max_requests = 64;
	cfg.sndbuf = cfg.rcvbuf = 1024;
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 64);
	cr_assert_geq(lid, 0);
	for (int k = 0; k < n; k++) {
		c.cport = (uint16_t)(2000 + k);
		tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
		const ptcp_seg *s = tnext(&c);
		uint32_t iss = s->seq;
		tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
		cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE, "child %d", k);
	}
	cr_assert_eq(tusage(&c).conns, (uint32_t)n);
	c.out.cap = PTCP_TABLE_ACTIONS_MIN;
	c.out.n = 0;
	cr_assert_eq(ptcp_table_unlisten(&c.t, (uint32_t)lid, c.now, &c.out), 0);
	/* a child's step needs PTCP_ACTIONS_MIN free entries: the array ran out */
	cr_assert_geq(c.out.n, (size_t)(PTCP_TABLE_ACTIONS_MIN - PTCP_ACTIONS_MIN), "%zu actions",
	              c.out.n);
	cr_assert_leq(c.out.n, (size_t)PTCP_TABLE_ACTIONS_MIN);
	cr_assert_eq(tusage(&c).conns, 0, "%u connections left", tusage(&c).conns);
	cr_assert_eq(tusage(&c).listeners, 0);
	tconv_fini(&c);
}

/* RFC 4987 3.6 (cookies while the SYN queue overflows): the table checks
 * cookies for a while after its latest overflow (as Linux, a cookie's
 * lifetime), counted from that overflow, not from the clock's start: ten
 * minutes into the run, the queue of a backlog-1 listener overflows, the
 * second SYN gets a cookie, and its ACK a second later opens the connection. */
Test(edges_table, cookie_after_a_late_overflow_is_checked)
{
	tconv c;
	static const ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS, .mss = 1460};
	tconv_init(&c, NULL); /* cookies on overflow only (the default) */
	tconv_listen(&c, 1);
	c.now = PTCP_SEC(600);
	c.cport = 3000;
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	cr_assert_eq(tnext(&c)->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(tstats(&c).cookies_sent, 0, "the first fits the queue");
	c.cport = 3001;
	tconv_seg(&c, "S", PISS, 0, 65535, &syn, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(tstats(&c).cookies_sent, 1, "the second gets a cookie");
	uint32_t iss = s->seq;
	c.now += PTCP_SEC(1);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tstats(&c).cookies_ok, 1);
	tconv_fini(&c);
}

/* RFC 4987 3.6: the cookie's hash covers the whole minute counter, not just
 * the 8 bits the cookie carries: a cookie presented 65,536 minutes (2^16)
 * after it was made - the same counter modulo 2^16 - opens nothing. */
Test(edges_table, cookie_is_refused_2_to_the_16_minutes_later)
{
	tconv c;
	cookie_table(&c);
	tconv_listen(&c, 4);
	c.now = PTCP_SEC(60) * 300 + PTCP_SEC(5);
	cr_assert_eq(cookie_round_trip(&c, 1460, PTCP_SEC(60) * 65536), PTCP_NO_HANDLE);
	cr_assert_eq(tstats(&c).cookies_ok, 0);
	tconv_fini(&c);
}

/* RFC 6528 3: F() is a function of the whole 4-tuple: flipping any one bit
 * of either port or either IPv4 address gives another ISN (a 32-bit keyed
 * hash: a collision among these 96 is a 2^-25 chance, and the key is fixed). */
Test(edges_table, isn_depends_on_every_bit_of_the_tuple)
{
	static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	ptcp_tuple k;
	memset(&k, 0, sizeof k);
	ptcp_addr_v4(&k.laddr, 10, 0, 0, 1);
	ptcp_addr_v4(&k.raddr, 10, 0, 0, 2);
	k.lport = 80;
	k.rport = 40000;
	const uint32_t base = ptcp_isn(key, &k, 0);
	for (int bit = 0; bit < 16; bit++) {
		ptcp_tuple m = k;
		m.lport ^= (uint16_t)(1u << bit);
		cr_assert_neq(ptcp_isn(key, &m, 0), base, "local port bit %d", bit);
		m = k;
		m.rport ^= (uint16_t)(1u << bit);
		cr_assert_neq(ptcp_isn(key, &m, 0), base, "remote port bit %d", bit);
	}
	for (int bit = 0; bit < 32; bit++) {
		ptcp_tuple m = k;
		m.laddr.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_neq(ptcp_isn(key, &m, 0), base, "local address bit %d", bit);
		m = k;
		m.raddr.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_neq(ptcp_isn(key, &m, 0), base, "remote address bit %d", bit);
	}
	cr_assert_eq(ptcp_isn(key, &k, 400), base + 100, "M: one tick per 4 us");
}
