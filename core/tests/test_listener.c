/*
 * Conversations with the connection table: SipHash vectors, RFC 6528 ISNs,
 * the listener's SYN-ACK, the SYN queue and its retransmissions, both
 * accept-queue overflow policies, SYN cookies with every option
 * combination, Fast Open (server), the RST of RFC 9293 3.10.7.1, resource
 * limits and the demultiplexer's bookkeeping.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/internal.h" /* white box: F_ECN */
#include "conv.h"
#include "tconv.h"

#define PISS 5000u /* the peer's ISS */

/* ---- SipHash-2-4 --------------------------------------------------------- */

/* The reference vectors of the SipHash paper (Appendix A) and its reference
 * implementation: key 00..0f, messages 00, 00 01, ..., of 0..63 bytes. */
static const uint64_t sip_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
    0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
    0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
    0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
    0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
    0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
    0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

Test(siphash, reference_vectors)
{
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 64; n++)
		cr_assert_eq(ptcp_siphash(key, msg, n), sip_vectors[n], "vector %zu: %016llx", n,
		             (unsigned long long)ptcp_siphash(key, msg, n));
}

/* ---- RFC 6528 ISNs --------------------------------------------------------- */

Test(isn, clock_plus_keyed_hash)
{
	uint8_t key[16] = {1, 2, 3};
	ptcp_tuple k, k2;
	memset(&k, 0, sizeof(k));
	ptcp_addr_v4(&k.laddr, 10, 0, 0, 1);
	ptcp_addr_v4(&k.raddr, 10, 0, 0, 2);
	k.lport = 80;
	k.rport = 40000;
	k2 = k;
	k2.rport = 40001;
	uint32_t a = ptcp_isn(key, &k, 1000000);
	/* M ticks every 4 microseconds */
	cr_assert_eq(ptcp_isn(key, &k, 1000004), a + 1);
	cr_assert_eq(ptcp_isn(key, &k, 1000000 + 4 * 1000), a + 1000);
	/* F differs per 4-tuple and per key */
	cr_assert_neq(ptcp_isn(key, &k2, 1000000), a);
	key[0] = 9;
	cr_assert_neq(ptcp_isn(key, &k, 1000000), a);
}

/* ---- SYN, SYN-ACK, final ACK ---------------------------------------------- */

static const ptcp_tcp_opts syn_opts = {.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE |
                                                  PTCP_OPT_SACK_PERM | PTCP_OPT_TS,
                                       .mss = 1400,
                                       .wscale = 7,
                                       .ts_val = 100};

/* A SYN with syn_opts; returns our ISS from the SYN-ACK. */
static uint32_t syn(tconv *c, uint32_t piss)
{
	tconv_seg(c, "S", piss, 0, 65535, &syn_opts, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, piss + 1);
	return s->seq;
}

static ptcp_tcp_opts ts_opt(uint32_t val, uint32_t ecr)
{
	ptcp_tcp_opts o = {.present = PTCP_OPT_TS, .ts_val = val, .ts_ecr = ecr};
	return o;
}

/* SYN ... final ACK; returns the new (not yet accepted) handle. */
static ptcp_handle handshake(tconv *c, uint32_t piss)
{
	uint32_t iss = syn(c, piss);
	ptcp_tcp_opts o = ts_opt(101, 1);
	tconv_seg(c, ".", piss + 1, iss + 1, 1000, &o, NULL, 0);
	texpect_nothing(c);
	return tconnected(c);
}

Test(listen, syn_ack_has_the_agreed_options)
{
	tconv c;
	tconv_init(&c, NULL);
	cr_assert_geq(tconv_listen(&c, 16), 0);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn_opts, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, PISS + 1);
	cr_assert_eq(s->sport, SPORT);
	cr_assert_eq(s->dport, CPORT);
	cr_assert_eq(s->wnd, 16384, "min(buffer, 65535), not scaled");
	cr_assert_eq(s->opts.present,
	             PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM | PTCP_OPT_TS);
	cr_assert_eq(s->opts.mss, 1460);
	cr_assert_eq(s->opts.wscale, 0, "a 16 KiB buffer needs no shift");
	cr_assert_eq(s->opts.ts_ecr, 100);
	cr_assert_eq(c.act[c.cursor - 1].emit.dst.bytes[3], 2, "to the peer");
	cr_assert_eq(c.tag[c.cursor - 1].conn, PTCP_NO_HANDLE, "no connection yet");
	cr_assert_eq(tusage(&c).requests, 1);
	cr_assert_eq(tusage(&c).conns, 0);
	/* a SYN without options gets only our MSS */
	c.cport = CPORT + 1;
	tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
	s = tnext(&c);
	cr_assert_eq(s->opts.present, PTCP_OPT_MSS);
	tconv_fini(&c);
}

Test(listen, final_ack_puts_the_connection_in_the_accept_queue)
{
	tconv c;
	ptcp_handle h, a;
	tconv_init(&c, NULL);
	int lid = tconv_listen(&c, 16);
	h = handshake(&c, PISS);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	for (size_t i = 0; i < c.out.n; i++)
		if (c.act[i].kind == PTCP_ACT_EVENT)
			cr_assert_eq(c.tag[i].listener, (uint32_t)lid, "not yet accepted");
	ptcp_listener_info li;
	ptcp_table_listener_info(&c.t, (uint32_t)lid, &li);
	cr_assert_eq(li.accept_queue, 1);
	cr_assert_eq(li.syn_queue, 0);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &a), 0);
	cr_assert_eq(a, h);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &a), PTCP_EAGAIN);
	ptcp_info i;
	ptcp_conn_info(ptcp_table_conn(&c.t, h), &i);
	cr_assert_eq(i.state, PTCP_ESTABLISHED);
	cr_assert_eq(i.snd_wscale, 7);
	cr_assert_eq(i.mss, 1400 - 12);
	cr_assert(i.ts_on && i.sack_on);
	cr_assert_eq(i.snd_wnd, 1000u << 7, "the ACK's window, scaled");
	/* data both ways through the handle */
	ptcp_tcp_opts o = ts_opt(102, 1);
	tconv_seg(&c, "P.", PISS + 1, i.iss + 1, 1000, &o, "hello", 5);
	char buf[16];
	cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(tsend(&c, h, "world", 5), 5);
	texpect(&c, "P.", i.iss + 1, PISS + 6, 5);
	cr_assert_eq(c.tag[c.cursor - 1].conn, h);
	cr_assert_eq(ptcp_table_lookup(&c.t, &(ptcp_tuple){.laddr = c.server,
	                                                   .raddr = c.client,
	                                                   .lport = SPORT,
	                                                   .rport = CPORT}),
	             h);
	tconv_fini(&c);
}

Test(listen, close_returns_the_block_to_the_pool)
{
	tconv c;
	ptcp_handle h;
	tconv_init(&c, NULL);
	int lid = tconv_listen(&c, 16);
	handshake(&c, PISS);
	ptcp_table_accept(&c.t, (uint32_t)lid, &h);
	uint32_t iss = ptcp_table_conn(&c.t, h)->iss;
	ptcp_tcp_opts o = ts_opt(200, 1);
	tclose(&c, h);
	texpect(&c, "F.", iss + 1, PISS + 1, 0);
	tconv_seg(&c, "F.", PISS + 1, iss + 2, 1000, &o, NULL, 0);
	texpect(&c, ".", iss + 2, PISS + 2, 0); /* TIME-WAIT */
	cr_assert_eq(tusage(&c).conns, 1);
	tconv_time(&c, c.now + PTCP_SEC(61));
	cr_assert(tsaw_event(&c, h, PTCP_EV_CLOSED));
	cr_assert_eq(tusage(&c).conns, 0);
	cr_assert_eq(tusage(&c).hashed, 0);
	cr_assert_eq(tusage(&c).timers, 0);
	cr_assert_null(ptcp_table_conn(&c.t, h));
	cr_assert_eq(ptcp_table_next_deadline(&c.t), PTCP_TIME_NEVER);
	tconv_fini(&c);
}

Test(listen, reset_before_accept_frees_the_block)
{
	tconv c;
	tconv_init(&c, NULL);
	int lid = tconv_listen(&c, 16);
	ptcp_handle h = handshake(&c, PISS);
	ptcp_tcp_opts o = ts_opt(101, 1);
	tconv_seg(&c, "R", PISS + 1, 0, 0, &o, NULL, 0);
	cr_assert(tsaw_event(&c, h, PTCP_EV_CLOSED));
	cr_assert_eq(tusage(&c).conns, 0);
	ptcp_handle a;
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &a), PTCP_EAGAIN);
	tconv_fini(&c);
}

/* ---- SYN-ACK retransmission ------------------------------------------------ */

Test(synq, synack_retransmitted_with_backoff_then_given_up)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.conn.synack_retries = 3;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	ptcp_time_t t0 = c.now;
	uint32_t iss = syn(&c, PISS);
	cr_assert_eq(ptcp_table_next_deadline(&c.t), t0 + PTCP_SEC(1));
	ptcp_time_t at = t0, gap = PTCP_SEC(1);
	for (int i = 0; i < 3; i++) {
		at += gap;
		tconv_time(&c, at);
		const ptcp_seg *s = texpect(&c, "S.", iss, PISS + 1, 0);
		cr_assert_eq(s->opts.ts_ecr, 100);
		gap *= 2;
		cr_assert_eq(ptcp_table_next_deadline(&c.t), at + gap, "retry %d", i);
	}
	tconv_time(&c, at + gap);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_SYNACK_TIMEOUT), 1);
	cr_assert_eq(tusage(&c).requests, 0);
	cr_assert_eq(tusage(&c).hashed, 0);
	cr_assert_eq(tstats(&c).synack_rexmits, 3);
	cr_assert_eq(ptcp_table_next_deadline(&c.t), PTCP_TIME_NEVER);
	/* the late ACK finds only the listener (no cookies in use): RST */
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	texpect(&c, "R", iss + 1, 0, 0);
	tconv_fini(&c);
}

Test(synq, retransmitted_syn_gets_the_synack_again)
{
	tconv c;
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	uint32_t iss = syn(&c, PISS);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn_opts, NULL, 0);
	texpect(&c, "S.", iss, PISS + 1, 0);
	cr_assert_eq(tusage(&c).requests, 1);
	tconv_fini(&c);
}

Test(synq, request_segments_follow_rfc9293_syn_received)
{
	tconv c;
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	uint32_t iss = syn(&c, PISS);
	ptcp_tcp_opts o = ts_opt(101, 1);
	/* an unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>, the entry stays */
	tconv_seg(&c, ".", PISS + 1, iss + 7, 1000, &o, NULL, 0);
	texpect(&c, "R", iss + 7, 0, 0);
	cr_assert_eq(tusage(&c).requests, 1);
	/* out of window: an ACK */
	tconv_seg(&c, ".", PISS + 100000, iss + 1, 1000, &o, NULL, 0);
	texpect(&c, ".", iss + 1, PISS + 1, 0);
	/* RST not exactly at RCV.NXT: a challenge ACK (RFC 5961 3.2) */
	tconv_seg(&c, "R", PISS + 2, 0, 0, NULL, NULL, 0);
	texpect(&c, ".", iss + 1, PISS + 1, 0);
	cr_assert_eq(tusage(&c).requests, 1);
	/* RST at RCV.NXT: back to LISTEN */
	tconv_seg(&c, "R", PISS + 1, 0, 0, NULL, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tusage(&c).requests, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_REQUEST_RESET), 1);
	tconv_fini(&c);
}

/* ---- Accept-queue overflow --------------------------------------------------- */

/*
 * Backlog 2: A and B send SYNs, A completes, C sends a SYN, B completes
 * (the accept queue is full), then C's final ACK overflows.  Returns C's
 * ISS from its SYN-ACK.
 */
static uint32_t overflow_setup(tconv *c)
{
	uint32_t iss_a, iss_b, iss_c;
	ptcp_tcp_opts o = ts_opt(101, 1);
	c->cport = 1001;
	iss_a = syn(c, PISS);
	c->cport = 1002;
	iss_b = syn(c, PISS);
	c->cport = 1001;
	tconv_seg(c, ".", PISS + 1, iss_a + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(c), PTCP_NO_HANDLE);
	c->cport = 1003;
	iss_c = syn(c, PISS);
	c->cport = 1002;
	tconv_seg(c, ".", PISS + 1, iss_b + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(c), PTCP_NO_HANDLE);
	c->cport = 1003;
	tconv_seg(c, ".", PISS + 1, iss_c + 1, 1000, &o, NULL, 0);
	return iss_c;
}

Test(overflow, drop_policy_keeps_the_request_and_resends_the_synack)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = 0; /* no cookies: the SYN queue is the only way */
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 2);
	uint32_t iss_c = overflow_setup(&c);
	texpect_nothing(&c);
	cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ACCEPT_QUEUE_FULL), 1);
	cr_assert_eq(tusage(&c).requests, 1, "the request stays");
	/* a new SYN is dropped while the accept queue is full (as Linux) */
	c.cport = 1004;
	tconv_seg(&c, "S", PISS, 0, 65535, &syn_opts, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ACCEPT_QUEUE_FULL), 2);
	/* the application accepts one; the SYN-ACK is sent again; the ACK now fits */
	ptcp_handle h;
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0);
	tconv_to_deadline(&c);
	texpect(&c, "S.", iss_c, PISS + 1, 0);
	ptcp_tcp_opts o = ts_opt(102, 1);
	c.cport = 1003;
	tconv_seg(&c, ".", PISS + 1, iss_c + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tusage(&c).requests, 0);
	tconv_fini(&c);
}

Test(overflow, abort_policy_answers_rst)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = PTCP_TBL_ABORT_ON_OVERFLOW;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 2);
	uint32_t iss_c = overflow_setup(&c);
	texpect(&c, "R", iss_c + 1, 0, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ACCEPT_QUEUE_FULL), 1);
	cr_assert_eq(tusage(&c).requests, 0, "the request is gone");
	cr_assert_eq(tusage(&c).conns, 2);
	tconv_fini(&c);
}

Test(overflow, syn_queue_full_without_cookies_drops)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = 0;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 2);
	for (uint16_t p = 1; p <= 3; p++) {
		c.cport = p;
		tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
		if (p <= 2)
			tnext(&c);
		else
			texpect_nothing(&c);
	}
	cr_assert_eq(tdrops(&c, PTCP_TDROP_SYN_QUEUE_FULL), 1);
	cr_assert_eq(tusage(&c).requests, 2);
	tconv_fini(&c);
}

Test(overflow, table_full_counted)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_conns = 1;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 8);
	c.cport = 1;
	cr_assert_neq(handshake(&c, PISS), PTCP_NO_HANDLE);
	c.cport = 2;
	cr_assert_eq(handshake(&c, PISS), PTCP_NO_HANDLE);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TABLE_FULL), 1);
	cr_assert_eq(tusage(&c).conns, 1);
	cr_assert_eq(tusage(&c).requests, 1, "drop policy: the request waits for a block");
	/* an active open finds no block either */
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	in.connect.local = c.server;
	in.connect.remote = c.client;
	in.connect.lport = 5555;
	in.connect.rport = 80;
	cr_assert_eq(tconv_step(&c, PTCP_NO_HANDLE, &in), PTCP_ENOBUFS);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TABLE_FULL), 2);
	tconv_fini(&c);
}

/* ---- SYN cookies ------------------------------------------------------------- */

/* Every combination of the client's timestamps, window scale, SACK and ECN. */
Test(cookie, round_trip_with_each_option_combination)
{
	static const uint32_t opt[4] = {PTCP_CFG_TIMESTAMPS, PTCP_CFG_WSCALE, PTCP_CFG_SACK,
	                                PTCP_CFG_ECN};
	for (unsigned combo = 0; combo < 16; combo++) {
		tconv c;
		tclient k;
		ptcp_table_config cfg;
		ptcp_config ccfg;
		tconv_cfg(&cfg);
		cfg.flags = PTCP_TBL_SYNCOOKIES_ALWAYS;
		cfg.conn.flags |= PTCP_CFG_ECN;
		cfg.rcvbuf = 1 << 20; /* our shift: 5 */
		tconv_init(&c, &cfg);
		int lid = tconv_listen(&c, 16);
		ptcp_config_default(&ccfg);
		ccfg.flags = PTCP_CFG_NODELAY;
		for (int b = 0; b < 4; b++)
			if (combo & (1u << b))
				ccfg.flags |= opt[b];
		ccfg.mss = 1400;
		ccfg.wscale = 3;
		tclient_init(&k, &ccfg, 7, 33000);
		int ts = (combo & 1) != 0, ws = (combo & 2) != 0, sack = (combo & 4) != 0,
		    ecn = (combo & 8) != 0;
		tclient_connect(&k, &c, 777);
		tshuttle(&k, &c, 0);
		cr_assert_eq(ptcp_conn_state(&k.c), PTCP_ESTABLISHED, "combo %u", combo);
		cr_assert_eq(tstats(&c).cookies_sent, 1);
		cr_assert_eq(tstats(&c).cookies_ok, 1, "combo %u", combo);
		cr_assert_eq(tusage(&c).requests, 0, "cookies keep no state");
		ptcp_handle h;
		cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0, "combo %u", combo);
		ptcp_conn *sc = ptcp_table_conn(&c.t, h);
		ptcp_info si, ci;
		ptcp_conn_info(sc, &si);
		ptcp_conn_info(&k.c, &ci);
		cr_assert_eq(si.state, PTCP_ESTABLISHED);
		cr_assert_eq(si.ts_on, ts, "combo %u", combo);
		cr_assert_eq(ci.ts_on, ts, "combo %u", combo);
		/* without timestamps a cookie carries no options */
		cr_assert_eq(si.sack_on, ts && sack, "combo %u", combo);
		cr_assert_eq(ci.sack_on, ts && sack, "combo %u", combo);
		cr_assert_eq(si.snd_wscale, ts && ws ? 3 : 0, "combo %u", combo);
		cr_assert_eq(si.rcv_wscale, ts && ws ? 5 : 0, "combo %u", combo);
		cr_assert_eq(ci.snd_wscale, ts && ws ? 5 : 0, "combo %u", combo);
		cr_assert_eq((sc->flags & F_ECN) != 0, ts && ecn, "combo %u", combo);
		cr_assert_eq((k.c.flags & F_ECN) != 0, ts && ecn, "combo %u", combo);
		/* MSS 1400 is remembered as the table's 1300 */
		cr_assert_eq(si.mss, ts ? 1300 - 12 : 1300, "combo %u", combo);
		/* data flows both ways */
		ptcp_input in = {.kind = PTCP_IN_SEND};
		in.send.data = (const uint8_t *)"ping";
		in.send.len = 4;
		tclient_step(&k, &in, c.now);
		tshuttle(&k, &c, 0);
		char buf[8];
		cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 4, "combo %u", combo);
		cr_assert_eq(memcmp(buf, "ping", 4), 0);
		tsend(&c, h, "pong", 4);
		tshuttle(&k, &c, 1);
		cr_assert_eq(ptcp_conn_recv_avail(&k.c), 4, "combo %u", combo);
		tclient_fini(&k);
		tconv_fini(&c);
	}
}

/* A cookie SYN-ACK for a SYN; returns its ISS (and TSval in *tsval). */
static uint32_t cookie_syn(tconv *c, uint32_t piss, uint32_t *tsval)
{
	tconv_seg(c, "S", piss, 0, 65535, &syn_opts, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	if (tsval)
		*tsval = s->opts.ts_val;
	return s->seq;
}

Test(cookie, used_when_the_syn_queue_is_full)
{
	tconv c;
	tconv_init(&c, NULL); /* cookies on overflow (the default) */
	int lid = tconv_listen(&c, 1);
	c.cport = 1;
	syn(&c, PISS); /* fills the SYN queue */
	c.cport = 2;
	uint32_t tsv, iss = cookie_syn(&c, PISS, &tsv);
	cr_assert_eq(tstats(&c).cookies_sent, 1);
	cr_assert_eq(tusage(&c).requests, 1);
	ptcp_tcp_opts o = ts_opt(101, tsv);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	texpect_nothing(&c);
	ptcp_handle h = tconnected(&c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	ptcp_info i;
	ptcp_conn_info(ptcp_table_conn(&c.t, h), &i);
	cr_assert_eq(i.snd_wscale, 7);
	cr_assert(i.sack_on && i.ts_on);
	cr_assert_eq(i.mss, 1300 - 12);
	ptcp_listener_info li;
	ptcp_table_listener_info(&c.t, (uint32_t)lid, &li);
	cr_assert_eq(li.accept_queue, 1);
	tconv_fini(&c);
}

Test(cookie, invalid_or_expired_cookies_are_dropped_and_counted)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = PTCP_TBL_SYNCOOKIES_ALWAYS;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	uint32_t tsv, iss = cookie_syn(&c, PISS, &tsv);
	ptcp_tcp_opts o = ts_opt(101, tsv);
	/* a wrong cookie (off by one would only name another MSS: 4 of 2^24 pass) */
	tconv_seg(&c, ".", PISS + 1, iss + 1 + 12345, 1000, &o, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 1);
	/* another IRS */
	tconv_seg(&c, ".", PISS + 100001, iss + 1, 1000, &o, NULL, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 2);
	/* options altered in the echoed TSval (SACK bit flipped) */
	o = ts_opt(101, tsv ^ 0x10);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 3);
	/* timestamps dropped by the ACK */
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 4);
	/* expired: more than two minutes of the cookie clock */
	ptcp_time_t t0 = c.now;
	c.now = t0 + PTCP_SEC(180);
	o = ts_opt(101, tsv);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 5);
	cr_assert_eq(tusage(&c).conns, 0);
	/* the right one, in time */
	c.now = t0 + PTCP_SEC(59);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &o, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tstats(&c).cookies_ok, 1);
	tconv_fini(&c);
}

Test(cookie, ack_without_cookies_in_use_gets_rst)
{
	tconv c;
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	/* RFC 9293 3.10.7.2: an ACK to LISTEN: <SEQ=SEG.ACK><CTL=RST> */
	tconv_seg(&c, ".", PISS + 1, 4242, 1000, NULL, NULL, 0);
	texpect(&c, "R", 4242, 0, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 0);
	/* an RST to LISTEN is ignored; other text too */
	tconv_seg(&c, "R", PISS, 0, 0, NULL, NULL, 0);
	tconv_seg(&c, "P", PISS, 0, 0, NULL, "x", 1);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_LISTEN), 3);
	tconv_fini(&c);
}

/* ---- TCP Fast Open (server) ----------------------------------------------------- */

static ptcp_table_config tfo_cfg(void)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags |= PTCP_TBL_TFO;
	return cfg;
}

/* Ask for a cookie; returns it (8 bytes into out). */
static void tfo_request(tconv *c, uint8_t *out)
{
	ptcp_tcp_opts o = syn_opts;
	o.present |= PTCP_OPT_TFO;
	o.tfo_len = 0;
	tconv_seg(c, "S", PISS, 0, 65535, &o, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, PISS + 1);
	cr_assert(s->opts.present & PTCP_OPT_TFO);
	cr_assert_eq(s->opts.tfo_len, 8);
	memcpy(out, s->opts.tfo_cookie, 8);
	cr_assert_gt(ptcp_wire_opts_len(&s->opts), 0, "the options fit");
}

Test(tfo, request_grant_and_data_with_a_valid_cookie)
{
	tconv c;
	ptcp_table_config cfg = tfo_cfg();
	uint8_t cookie[8];
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 16);
	c.cport = 1;
	tfo_request(&c, cookie);
	cr_assert_eq(tstats(&c).tfo_cookies_sent, 1);
	/* the same client, another connection, with the cookie and data */
	c.cport = 2;
	ptcp_tcp_opts o = syn_opts;
	o.present |= PTCP_OPT_TFO;
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, cookie, 8);
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "GET /", 5);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, PISS + 6, "the SYN-ACK acknowledges the data");
	cr_assert_eq(s->opts.present & PTCP_OPT_TFO, 0);
	cr_assert(s->opts.present & PTCP_OPT_TS);
	cr_assert_eq(s->opts.ts_ecr, 100);
	uint32_t iss = s->seq;
	texpect_nothing(&c); /* no separate ACK */
	ptcp_handle h = tconnected(&c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	cr_assert_eq(c.tag[0].conn, h);
	cr_assert_eq(tstats(&c).tfo_accepted, 1);
	cr_assert_eq(tstats(&c).syn_data_ignored, 0);
	cr_assert_eq(tusage(&c).tfo_pending, 1);
	cr_assert_eq(tusage(&c).requests, 1, "only the cookie request's");
	ptcp_handle a;
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &a), 0);
	cr_assert_eq(a, h);
	char buf[8];
	cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 5, "readable before the handshake ends");
	cr_assert_eq(memcmp(buf, "GET /", 5), 0);
	/* the reply may go out at once */
	cr_assert_eq(tsend(&c, h, "200", 3), 3);
	texpect(&c, "P.", iss + 1, PISS + 6, 3);
	/* the peer's ACK ends the pending state */
	ptcp_tcp_opts t = ts_opt(101, 1);
	tconv_seg(&c, ".", PISS + 6, iss + 4, 1000, &t, NULL, 0);
	cr_assert_eq(tusage(&c).tfo_pending, 0);
	cr_assert_eq(ptcp_conn_state(ptcp_table_conn(&c.t, h)), PTCP_ESTABLISHED);
	tconv_fini(&c);
}

Test(tfo, invalid_cookie_falls_back_to_the_handshake)
{
	tconv c;
	ptcp_table_config cfg = tfo_cfg();
	uint8_t cookie[8];
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	c.cport = 1;
	tfo_request(&c, cookie);
	c.cport = 2;
	ptcp_tcp_opts o = syn_opts;
	o.present |= PTCP_OPT_TFO;
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, cookie, 8);
	o.tfo_cookie[3] ^= 1;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "GET /", 5);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->ack, PISS + 1, "only the SYN is acknowledged");
	cr_assert_eq(s->opts.tfo_len, 8, "with a valid cookie");
	cr_assert_eq(memcmp(s->opts.tfo_cookie, cookie, 8), 0);
	uint32_t iss = s->seq;
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TFO_COOKIE_INVALID), 1);
	cr_assert_eq(tstats(&c).syn_data_ignored, 1);
	cr_assert_eq(tusage(&c).requests, 2);
	cr_assert_eq(tusage(&c).conns, 0);
	/* the client sends the data again after the handshake */
	ptcp_tcp_opts t = ts_opt(101, 1);
	tconv_seg(&c, "P.", PISS + 1, iss + 1, 1000, &t, "GET /", 5);
	ptcp_handle h = tconnected(&c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	cr_assert_eq(ptcp_conn_recv_avail(ptcp_table_conn(&c.t, h)), 5);
	tconv_fini(&c);
}

Test(tfo, off_by_configuration_and_pending_limit)
{
	tconv c;
	uint8_t cookie[8];
	ptcp_table_config cfg = tfo_cfg();
	cfg.tfo_max_pending = 1;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	c.cport = 1;
	tfo_request(&c, cookie);
	ptcp_tcp_opts o = syn_opts;
	o.present |= PTCP_OPT_TFO;
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, cookie, 8);
	c.cport = 2;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "abc", 3);
	cr_assert_eq(tnext(&c)->ack, PISS + 4);
	c.cport = 3;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "abc", 3);
	cr_assert_eq(tnext(&c)->ack, PISS + 1, "over the pending limit: a plain handshake");
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TFO_PENDING_FULL), 1);
	tconv_fini(&c);
	/* off: the option is ignored, no cookie given */
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	o.tfo_len = 0;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, NULL, 0);
	cr_assert_eq(tnext(&c)->opts.present & PTCP_OPT_TFO, 0);
	tconv_fini(&c);
}

Test(tfo, synack_retransmitted_until_acknowledged)
{
	tconv c;
	uint8_t cookie[8];
	ptcp_table_config cfg = tfo_cfg();
	cfg.conn.synack_retries = 2;
	tconv_init(&c, &cfg);
	tconv_listen(&c, 16);
	c.cport = 1;
	tfo_request(&c, cookie);
	tconv_seg(&c, "R", PISS + 1, 0, 0, NULL, NULL, 0); /* that request is done with */
	ptcp_tcp_opts o = syn_opts;
	o.present |= PTCP_OPT_TFO;
	o.tfo_len = 8;
	memcpy(o.tfo_cookie, cookie, 8);
	c.cport = 2;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "abc", 3);
	uint32_t iss = tnext(&c)->seq;
	ptcp_handle h = tconnected(&c);
	/* a retransmitted SYN gets the SYN-ACK, not a challenge ACK */
	tconv_seg(&c, "S", PISS, 0, 65535, &o, "abc", 3);
	texpect(&c, "S.", iss, PISS + 4, 0);
	/* the timer, twice, then the connection is given up */
	ptcp_time_t t0 = c.now;
	tconv_time(&c, t0 + PTCP_SEC(1));
	texpect(&c, "S.", iss, PISS + 4, 0);
	tconv_time(&c, t0 + PTCP_SEC(3));
	texpect(&c, "S.", iss, PISS + 4, 0);
	tconv_time(&c, t0 + PTCP_SEC(7));
	texpect(&c, "R", iss + 1, 0, 0);
	cr_assert(tsaw_event(&c, h, PTCP_EV_CLOSED));
	cr_assert_eq(tdrops(&c, PTCP_TDROP_SYNACK_TIMEOUT), 1);
	cr_assert_eq(tusage(&c).tfo_pending, 0);
	cr_assert_eq(tusage(&c).conns, 0);
	tconv_fini(&c);
}

/* ---- No listener, demultiplexing ------------------------------------------------ */

Test(demux, rst_for_no_connection_and_no_listener)
{
	tconv c;
	tconv_init(&c, NULL);
	/* RFC 9293 3.10.7.1 */
	tconv_seg(&c, "S", PISS, 0, 65535, NULL, "ab", 2);
	texpect(&c, "R.", 0, PISS + 3, 0);
	tconv_seg(&c, "P.", PISS, 777, 100, NULL, "ab", 2);
	texpect(&c, "R", 777, 0, 0);
	tconv_seg(&c, "R", PISS, 0, 0, NULL, NULL, 0);
	texpect_nothing(&c);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_NO_LISTENER), 3);
	cr_assert_eq(tstats(&c).rsts, 2);
	tconv_fini(&c);
}

Test(demux, specific_address_before_wildcard)
{
	tconv c;
	tconv_init(&c, NULL);
	int any = ptcp_table_listen(&c.t, NULL, SPORT, 4);
	int spec = ptcp_table_listen(&c.t, &c.server, SPORT, 4);
	cr_assert_eq(ptcp_table_listen(&c.t, &c.server, SPORT, 4), PTCP_ESTATE);
	cr_assert_neq(any, spec);
	handshake(&c, PISS);
	ptcp_listener_info li;
	ptcp_table_listener_info(&c.t, (uint32_t)spec, &li);
	cr_assert_eq(li.accept_queue, 1);
	ptcp_addr other;
	ptcp_addr_v4(&other, 10, 0, 0, 9);
	c.server = other;
	handshake(&c, PISS);
	ptcp_table_listener_info(&c.t, (uint32_t)any, &li);
	cr_assert_eq(li.accept_queue, 1);
	/* unlisten aborts what nobody accepted */
	cr_assert_eq(ptcp_table_unlisten(&c.t, (uint32_t)any, c.now, &c.out), 0);
	c.cursor = 0;
	cr_assert_eq(tnext(&c)->flags, PTCP_RST);
	cr_assert_eq(tusage(&c).conns, 1);
	cr_assert_eq(tusage(&c).listeners, 1);
	tconv_fini(&c);
}

Test(demux, active_open_through_the_table)
{
	tconv c;
	tconv_init(&c, NULL);
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	in.connect.local = c.server;
	in.connect.remote = c.client;
	in.connect.lport = 5555;
	in.connect.rport = CPORT;
	int h = tconv_step(&c, PTCP_NO_HANDLE, &in);
	cr_assert_geq(h, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN);
	ptcp_tuple k = {.laddr = c.server, .raddr = c.client, .lport = 5555, .rport = CPORT};
	cr_assert_eq(s->seq, ptcp_isn(c.t.k_isn, &k, c.now), "RFC 6528 ISN");
	cr_assert_eq(tconv_step(&c, PTCP_NO_HANDLE, &in), PTCP_ESTATE);
	/* the SYN-ACK (from port CPORT to 5555) is demultiplexed to it */
	ptcp_seg sa;
	memset(&sa, 0, sizeof(sa));
	sa.sport = CPORT;
	sa.dport = 5555;
	sa.seq = PISS;
	sa.ack = s->seq + 1;
	sa.flags = PTCP_SYN | PTCP_ACK;
	sa.wnd = 1000;
	tconv_segp(&c, &sa);
	texpect(&c, ".", sa.ack, PISS + 1, 0);
	cr_assert(tsaw_event(&c, (ptcp_handle)h, PTCP_EV_CONNECTED));
	tconv_fini(&c);
}

Test(demux, table_deadline_is_the_earliest)
{
	tconv c;
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	ptcp_time_t t0 = c.now;
	c.cport = 1;
	syn(&c, PISS);
	c.now += 1000;
	c.cport = 2;
	syn(&c, PISS);
	cr_assert_eq(ptcp_table_next_deadline(&c.t), t0 + PTCP_SEC(1));
	tconv_time(&c, t0 + PTCP_SEC(1));
	cr_assert_eq(ptcp_table_next_deadline(&c.t), t0 + 1000 + PTCP_SEC(1));
	cr_assert_eq(c.act[c.out.n - 1].kind, PTCP_ACT_DEADLINE);
	cr_assert_eq(c.tag[c.out.n - 1].conn, PTCP_NO_HANDLE);
	tconv_fini(&c);
}

/* 300 connections from client ports 1000.., accepted; then every step-th
 * one aborted (the rest stay hashed). */
static void many_conns(tconv *c, ptcp_handle hs[300], int step)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_conns = 300;
	cfg.max_requests = 300;
	cfg.sndbuf = cfg.rcvbuf = 2048;
	tconv_init(c, &cfg);
	int lid = tconv_listen(c, 1000);
	for (int i = 0; i < 300; i++) {
		c->cport = (uint16_t)(1000 + i);
		hs[i] = handshake(c, PISS + (uint32_t)i);
		cr_assert_neq(hs[i], PTCP_NO_HANDLE, "connection %d", i);
		ptcp_handle a;
		cr_assert_eq(ptcp_table_accept(&c->t, (uint32_t)lid, &a), 0);
	}
	cr_assert_eq(tusage(c).hashed, 300);
	for (int i = 0; i < 300; i += step) {
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		tconv_step(c, hs[i], &ab);
	}
}

/* Client port 1000 + i's tuple at the server. */
static ptcp_tuple port_tuple(const tconv *c, int i)
{
	ptcp_tuple k = {
	    .laddr = c->server, .raddr = c->client, .lport = SPORT, .rport = (uint16_t)(1000 + i)};
	return k;
}

Test(demux, many_connections_hash_and_heap_stay_consistent)
{
	tconv c;
	ptcp_handle hs[300];
	/* abort every other one; the rest are still found */
	many_conns(&c, hs, 2);
	cr_assert_eq(tusage(&c).conns, 150);
	cr_assert_eq(tusage(&c).hashed, 150);
	for (int i = 0; i < 300; i++) {
		ptcp_tuple k = port_tuple(&c, i);
		cr_assert_eq(ptcp_table_lookup(&c.t, &k), i % 2 ? hs[i] : PTCP_NO_HANDLE, "%d", i);
	}
	tconv_fini(&c);
}

/* A connection's hash slot also says whether its loss area is in use (data
 * in flight), for ptcp_table_prefetch_conn; the mark comes and goes with
 * sends and ACKs and must not hide a connection from the lookup, nor keep
 * its slot when it goes.  Odd ports send (in flight), every fourth is
 * acknowledged again (idle), every third is aborted in either state. */
Test(demux, connections_in_flight_are_found_and_removed)
{
	tconv c;
	ptcp_handle hs[300];
	uint32_t una[300];
	static const uint8_t data[100] = {1};
	many_conns(&c, hs, 1000); /* aborts port 1000 only */
	for (int i = 1; i < 300; i++) {
		ptcp_info info;
		ptcp_conn_info(ptcp_table_conn(&c.t, hs[i]), &info);
		una[i] = info.snd_una;
		if (i % 2 == 1) {
			cr_assert_eq(tsend(&c, hs[i], data, sizeof data), (int)sizeof data);
			texpect(&c, "P.", una[i], PISS + (uint32_t)i + 1, sizeof data);
		}
	}
	for (int i = 1; i < 300; i += 4) {
		ptcp_tcp_opts o = ts_opt(200, 1);
		c.cport = (uint16_t)(1000 + i);
		tconv_seg(&c, ".", PISS + (uint32_t)i + 1, una[i] + sizeof data, 1000, &o, NULL, 0);
		ptcp_info info;
		ptcp_conn_info(ptcp_table_conn(&c.t, hs[i]), &info);
		cr_assert_eq(info.snd_una, una[i] + sizeof data, "%d", i);
	}
	for (int i = 3; i < 300; i += 3) {
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		tconv_step(&c, hs[i], &ab);
	}
	cr_assert_eq(tusage(&c).hashed, 300 - 100);
	for (int i = 0; i < 300; i++) {
		ptcp_tuple k = port_tuple(&c, i);
		cr_assert_eq(ptcp_table_lookup(&c.t, &k), i % 3 ? hs[i] : PTCP_NO_HANDLE, "%d", i);
		ptcp_table_prefetch_conn(&c.t, ptcp_table_prefetch(&c.t, &k));
	}
	for (int i = 1; i < 300; i++) {
		if (i % 3 == 0)
			continue;
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		tconv_step(&c, hs[i], &ab);
	}
	cr_assert_eq(tusage(&c).hashed, 0);
	cr_assert_eq(tusage(&c).conns, 0);
	for (int i = 0; i < 300; i++) {
		ptcp_tuple k = port_tuple(&c, i);
		cr_assert_eq(ptcp_table_lookup(&c.t, &k), PTCP_NO_HANDLE, "%d", i);
	}
	tconv_fini(&c);
}

/* ptcp_table_prefetch / _conn are hints: the table's memory and every
 * lookup are the same after them, for live tuples, removed ones and
 * hashes that match nothing; the same tuple gives the same hash, and the
 * 300 tuples here give 300 distinct ones. */
Test(demux, prefetch_changes_nothing)
{
	tconv c;
	ptcp_handle hs[300];
	uint32_t hash[300];
	many_conns(&c, hs, 3);
	size_t len = ptcp_table_mem_size(&c.t.cfg);
	uint8_t *before = malloc(len);
	ptcp_table tb;
	memcpy(&tb, &c.t, sizeof tb);
	cr_assert(before);
	memcpy(before, c.mem, len);
	for (int i = 0; i < 300; i++) {
		ptcp_tuple k = port_tuple(&c, i);
		hash[i] = ptcp_table_prefetch(&c.t, &k);
		cr_assert_eq(ptcp_table_prefetch(&c.t, &k), hash[i]);
		ptcp_table_prefetch_conn(&c.t, hash[i]);
		ptcp_table_prefetch_conn(&c.t, hash[i] ^ 0x80000000u);
		for (int j = 0; j < i; j++)
			cr_assert_neq(hash[j], hash[i], "%d %d", j, i);
	}
	ptcp_table_prefetch_conn(&c.t, 0);
	ptcp_table_prefetch_conn(&c.t, 0xffffffffu);
	ptcp_table_prefetch_conn(NULL, 1);
	cr_assert_eq(ptcp_table_prefetch(NULL, NULL), 0);
	cr_assert_eq(ptcp_table_prefetch(&c.t, NULL), 0);
	cr_assert_eq(ptcp_table_lookup(NULL, NULL), PTCP_NO_HANDLE);
	cr_assert_eq(ptcp_table_lookup(&c.t, NULL), PTCP_NO_HANDLE);
	cr_assert_eq(memcmp(before, c.mem, len), 0);
	cr_assert_eq(memcmp(&tb, &c.t, sizeof tb), 0);
	for (int i = 0; i < 300; i++) {
		ptcp_tuple k = port_tuple(&c, i);
		cr_assert_eq(ptcp_table_lookup(&c.t, &k), i % 3 ? hs[i] : PTCP_NO_HANDLE, "%d", i);
	}
	free(before);
	tconv_fini(&c);
}

/* Everything a step put out, appended to a log (kinds, tags, the emitted
 * segments' fields and payload, events, states): for comparing two runs. */
static void log_out(const tconv *c, uint8_t *log, size_t *n, size_t cap)
{
#define PUT(v)                                                                                     \
	do {                                                                                       \
		uint64_t v_ = (uint64_t)(v);                                                       \
		cr_assert_leq(*n + 8, cap);                                                        \
		memcpy(log + *n, &v_, 8);                                                          \
		*n += 8;                                                                           \
	} while (0)
	PUT(c->ret);
	PUT(c->out.n);
	for (size_t i = 0; i < c->out.n; i++) {
		const ptcp_action *a = &c->act[i];
		PUT(a->kind);
		PUT(c->tag[i].conn);
		PUT(c->tag[i].listener);
		if (a->kind == PTCP_ACT_EMIT) {
			const ptcp_seg *g = &a->emit.seg;
			PUT(g->sport);
			PUT(g->dport);
			PUT(g->seq);
			PUT(g->ack);
			PUT(g->flags);
			PUT(g->wnd);
			PUT(g->payload_len + g->payload2_len);
			for (size_t b = 0; b < g->payload_len; b++)
				PUT(g->payload[b]);
		} else if (a->kind == PTCP_ACT_EVENT) {
			PUT(a->event.ev);
			PUT(a->event.err);
		} else if (a->kind == PTCP_ACT_STATE) {
			PUT(a->state.from);
			PUT(a->state.to);
		}
	}
#undef PUT
}

/* ptcp_table_step_hashed with the right hash, a wrong one, another
 * connection's, or each in turn with ptcp_table_step (so that a connection
 * is made with one and found with another) gives the same actions as
 * ptcp_table_step through a life of 40 connections: handshakes (SYN queue, accept), data both ways,
 * a segment for no connection (the RST answer), resets, FINs. */
Test(demux, step_hashed_is_step)
{
	enum { N = 40, CAP = 1 << 20 };
	uint8_t *logs[5];
	size_t len[5];
	for (int mode = 0; mode < 5; mode++) {
		tconv c;
		ptcp_handle hs[N];
		uint8_t data[300];
		ptcp_tcp_opts o = ts_opt(101, 1);
		logs[mode] = malloc(CAP);
		len[mode] = 0;
		cr_assert(logs[mode]);
		ptcp_table_config cfg;
		memset(data, 0x5a, sizeof data);
		tconv_cfg(&cfg);
		cfg.max_conns = N;
		cfg.max_requests = N;
		tconv_init(&c, &cfg);
		c.hint_mode = mode;
		int lid = tconv_listen(&c, 64);
		for (int i = 0; i < N; i++) {
			c.cport = (uint16_t)(2000 + i);
			uint32_t iss = syn(&c, PISS + 1000u * (uint32_t)i);
			log_out(&c, logs[mode], &len[mode], CAP);
			tconv_seg(&c, ".", PISS + 1000u * (uint32_t)i + 1, iss + 1, 1000, &o, NULL,
			          0);
			log_out(&c, logs[mode], &len[mode], CAP);
			ptcp_handle a;
			cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &a), 0);
			hs[i] = a;
			ptcp_info in;
			ptcp_conn_info(ptcp_table_conn(&c.t, a), &in);
			c.now += 1000;
			tconv_seg(&c, "P.", PISS + 1000u * (uint32_t)i + 1, in.snd_nxt, 1000, &o,
			          data, (size_t)(10 + i));
			log_out(&c, logs[mode], &len[mode], CAP);
		}
		/* no connection, no listener on that port: the RST answer */
		c.cport = 9;
		tconv_seg(&c, ".", 5, 6, 1000, NULL, NULL, 0);
		log_out(&c, logs[mode], &len[mode], CAP);
		for (int i = 0; i < N; i++) {
			ptcp_info in;
			ptcp_conn_info(ptcp_table_conn(&c.t, hs[i]), &in);
			c.cport = (uint16_t)(2000 + i);
			c.now += 1000;
			tconv_seg(&c, i % 3 ? "F." : "R.", in.rcv_nxt, in.snd_nxt, 1000, &o, NULL,
			          0);
			log_out(&c, logs[mode], &len[mode], CAP);
		}
		tconv_fini(&c);
	}
	for (int mode = 1; mode < 5; mode++) {
		cr_assert_eq(len[mode], len[0], "mode %d: %zu bytes of log, %zu without", mode,
		             len[mode], len[0]);
		cr_assert_eq(memcmp(logs[mode], logs[0], len[0]), 0, "mode %d differs", mode);
	}
	for (int mode = 0; mode < 5; mode++)
		free(logs[mode]);
	/* only segments */
	{
		tconv c;
		tconv_init(&c, NULL);
		ptcp_input t = {.kind = PTCP_IN_TIME};
		cr_assert_eq(ptcp_table_step_hashed(&c.t, 1, &t, 0, &c.out), PTCP_EINVAL);
		cr_assert_eq(ptcp_table_step_hashed(&c.t, 1, NULL, 0, &c.out), PTCP_EINVAL);
		tconv_fini(&c);
	}
}

/* ---- Challenge-ACK rate limit ------------------------------------------------------ */

Test(challenge, limit_per_second)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.challenge_ack_limit = 10;
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 16);
	handshake(&c, PISS);
	ptcp_handle h;
	ptcp_table_accept(&c.t, (uint32_t)lid, &h);
	size_t acks = 0;
	for (int i = 0; i < 100; i++) {
		tconv_seg(&c, "S", PISS + 1000 + (uint32_t)i, 0, 1000, NULL, NULL, 0);
		acks += c.out.n && c.act[0].kind == PTCP_ACT_EMIT;
	}
	cr_assert_geq(acks, 5);
	cr_assert_lt(acks, 15);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_CHALLENGE_LIMIT), 100 - acks);
	cr_assert_eq(tstats(&c).challenge_acks, acks);
	cr_assert_eq(ptcp_conn_state(ptcp_table_conn(&c.t, h)), PTCP_ESTABLISHED);
	/* the next second brings a new budget */
	c.now += PTCP_SEC(1);
	tconv_seg(&c, "S", PISS + 5000, 0, 1000, NULL, NULL, 0);
	cr_assert_eq(c.act[0].kind, PTCP_ACT_EMIT);
	tconv_fini(&c);
}

/* ---- More ------------------------------------------------------------------------ */

static void v6(ptcp_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	a->bytes[0] = 0x20;
	a->bytes[1] = 0x01;
	a->bytes[2] = 0x0d;
	a->bytes[3] = 0xb8;
	a->bytes[15] = last;
}

Test(cookie, ipv6_uses_the_ipv6_mss_table)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.flags = PTCP_TBL_SYNCOOKIES_ALWAYS;
	tconv_init(&c, &cfg);
	v6(&c.server, 1);
	v6(&c.client, 2);
	tconv_listen(&c, 16);
	ptcp_tcp_opts o = syn_opts;
	o.mss = 1440;
	tconv_seg(&c, "S", PISS, 0, 65535, &o, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(c.act[c.cursor - 1].emit.dst.family, 6);
	uint32_t iss = s->seq, tsv = s->opts.ts_val;
	ptcp_tcp_opts a = ts_opt(101, tsv);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &a, NULL, 0);
	ptcp_handle h = tconnected(&c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	ptcp_info i;
	ptcp_conn_info(ptcp_table_conn(&c.t, h), &i);
	cr_assert_eq(i.mss, 1440 - 12, "1440 is in the IPv6 table");
	/* the same ports from another IPv6 source are another connection */
	v6(&c.client, 3);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, &a, NULL, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_COOKIE_INVALID), 1);
	tconv_fini(&c);
}

Test(listen, text_in_a_syn_is_not_acknowledged_without_fast_open)
{
	tconv c;
	tconv_init(&c, NULL);
	tconv_listen(&c, 16);
	tconv_seg(&c, "S", PISS, 0, 65535, &syn_opts, "early", 5);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->ack, PISS + 1);
	cr_assert_eq(tstats(&c).syn_data_ignored, 1);
	tconv_fini(&c);
}

Test(listen, syn_reopens_a_time_wait_connection)
{
	tconv c;
	ptcp_handle h;
	tconv_init(&c, NULL);
	int lid = tconv_listen(&c, 16);
	handshake(&c, PISS);
	ptcp_table_accept(&c.t, (uint32_t)lid, &h);
	uint32_t iss = ptcp_table_conn(&c.t, h)->iss;
	ptcp_tcp_opts o = ts_opt(200, 1);
	tclose(&c, h);
	tconv_seg(&c, "F.", PISS + 1, iss + 2, 1000, &o, NULL, 0);
	cr_assert_eq(ptcp_conn_state(ptcp_table_conn(&c.t, h)), PTCP_TIME_WAIT);
	/* an old duplicate SYN: a challenge ACK, TIME-WAIT stays */
	ptcp_tcp_opts so = syn_opts;
	so.ts_val = 50;
	tconv_seg(&c, "S", PISS - 10, 0, 65535, &so, NULL, 0);
	texpect(&c, ".", iss + 2, PISS + 2, 0);
	cr_assert_eq(ptcp_conn_state(ptcp_table_conn(&c.t, h)), PTCP_TIME_WAIT);
	/* a new SYN, newer timestamp: the old connection goes, a new handshake starts */
	so.ts_val = 300;
	tconv_seg(&c, "S", PISS + 100000, 0, 65535, &so, NULL, 0);
	const ptcp_seg *s = tnext(&c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(s->ack, PISS + 100001);
	/* RFC 1122 4.2.2.13: the new ISS lies above the old connection's
	 * sequence space (its SND.NXT was iss + 2), by a maximal window */
	cr_assert_eq(s->seq, iss + 2 + 65535 + 2, "new ISS %u, old SND.NXT %u", s->seq, iss + 2);
	cr_assert_null(ptcp_table_conn(&c.t, h), "the released block is free again");
	cr_assert_eq(tusage(&c).requests, 1);
	tconv_fini(&c);
}

Test(api, bad_arguments)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.max_conns = 0;
	cr_assert_eq(ptcp_table_mem_size(&cfg), 0);
	tconv_cfg(&cfg);
	cfg.conn.mss = 10;
	cr_assert_eq(ptcp_table_mem_size(&cfg), 0);
	tconv_cfg(&cfg);
	uint8_t small[64];
	ptcp_table t;
	cr_assert_eq(ptcp_table_init(&t, &cfg, small, sizeof(small)), PTCP_ENOBUFS);
	tconv c;
	tconv_init(&c, NULL);
	cr_assert_eq(ptcp_table_listen(&c.t, NULL, 0, 1), PTCP_EINVAL);
	ptcp_input in = {.kind = PTCP_IN_SEND};
	cr_assert_eq(tconv_step(&c, 3, &in), PTCP_EINVAL, "a handle not in use");
	ptcp_input li = {.kind = PTCP_IN_LISTEN};
	cr_assert_eq(tconv_step(&c, PTCP_NO_HANDLE, &li), PTCP_EINVAL);
	ptcp_table_actions small_out = {.v = c.act, .tag = c.tag, .cap = 10};
	ptcp_input ti = {.kind = PTCP_IN_TIME};
	cr_assert_eq(ptcp_table_step(&c.t, PTCP_NO_HANDLE, &ti, c.now, &small_out), PTCP_EINVAL);
	cr_assert_str_eq(ptcp_table_drop_name(PTCP_TDROP_COOKIE_INVALID), "cookie-invalid");
	cr_assert_str_eq(ptcp_table_drop_name(PTCP_TDROP_COUNT), "unknown");
	tconv_fini(&c);
}
