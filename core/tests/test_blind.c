/*
 * The blind-injection acceptance test (RFC 5961): an attacker who knows
 * the 4-tuple of an established connection but not its sequence numbers
 * sends RSTs, SYNs and data segments with random sequence and
 * acknowledgment numbers (one million by default; PTCP_BLIND_SEGS
 * overrides), 10,000 per simulated second.  The connection must survive
 * every segment that is not an exact match (a RST exactly at RCV.NXT);
 * afterwards the genuine byte streams must be intact.  The measured
 * acceptance rates and the challenge ACKs sent and rate-limited are
 * printed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "tconv.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* A genuine client connected to the table; returns the server's handle. */
static ptcp_handle connect_pair(tconv *c, tclient *k, int lid)
{
	ptcp_handle h;
	tclient_connect(k, c, (uint32_t)rnd());
	tshuttle(k, c, 0);
	cr_assert_eq(ptcp_conn_state(&k->c), PTCP_ESTABLISHED);
	cr_assert_eq(ptcp_table_accept(&c->t, (uint32_t)lid, &h), 0);
	return h;
}

static size_t emits(const tconv *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->out.n; i++)
		n += c->act[i].kind == PTCP_ACT_EMIT;
	return n;
}

Test(blind, random_rst_syn_and_data_against_an_established_connection, .timeout = 280)
{
	tconv c;
	ptcp_stats sst = {0}; /* the server connection's counters */
	tclient k;
	ptcp_table_config cfg;
	ptcp_config ccfg;
	uint64_t nseg = 1000000;
	const char *env = getenv("PTCP_BLIND_SEGS");
	uint64_t sent[3] = {0}, accepted[3] = {0}, acks[3] = {0}, rst_in_window = 0;
	uint64_t injected_bytes = 0, reconnects = 0;
	static const uint8_t evil[16] = "INJECTED-DATA!!!";
	if (env)
		nseg = strtoull(env, NULL, 10);
	tconv_cfg(&cfg);
	cfg.challenge_ack_limit = 1000; /* Linux's tcp_challenge_ack_limit */
	cfg.sndbuf = cfg.rcvbuf = 65536;
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 16);
	ptcp_config_default(&ccfg);
	tclient_init(&k, &ccfg, 9, 41000);
	ptcp_handle h = connect_pair(&c, &k, lid);
	/* some genuine traffic first */
	{
		ptcp_input in = {.kind = PTCP_IN_SEND};
		in.send.data = (const uint8_t *)"request";
		in.send.len = 7;
		tclient_step(&k, &in, c.now);
		tshuttle(&k, &c, 0);
		char buf[16];
		cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 7);
	}
	c.cport = k.port;
	c.client = k.addr;
	for (uint64_t i = 0; i < nseg; i++) {
		ptcp_conn *sc = ptcp_table_conn(&c.t, h);
		ptcp_conn_set_stats(sc, &sst); /* the server block counts into sst */
		int type = (int)(i % 3);       /* 0 RST, 1 SYN, 2 data */
		uint32_t seq = (uint32_t)rnd(), ack = (uint32_t)rnd();
		uint32_t rcv_nxt = sc->rcv_nxt;
		uint64_t bytes0 = sst.bytes_in;
		uint32_t wnd = sc->rcv_adv - sc->rcv_nxt;
		c.now += 100; /* 10,000 segments per second */
		sent[type]++;
		if (type == 0) {
			rst_in_window += ptcp_seq_in(seq, rcv_nxt, rcv_nxt + wnd);
			tconv_seg(&c, "R", seq, 0, 0, NULL, NULL, 0);
		} else if (type == 1) {
			tconv_seg(&c, "S", seq, 0, 65535, NULL, NULL, 0);
		} else {
			ptcp_tcp_opts o = {.present = PTCP_OPT_TS,
			                   .ts_val = (uint32_t)rnd(),
			                   .ts_ecr = (uint32_t)rnd()};
			/* half of them without the timestamp the connection uses */
			tconv_seg(&c, "P.", seq, ack, 65535, (i & 1) ? &o : NULL, evil,
			          sizeof(evil));
		}
		acks[type] += emits(&c);
		sc = ptcp_table_conn(&c.t, h);
		if (!sc || ptcp_conn_state(sc) != PTCP_ESTABLISHED) {
			/* only an exact match may kill it (RFC 5961 3.2) */
			cr_assert_eq(type, 0, "a %s killed the connection",
			             type == 1 ? "SYN" : "data");
			cr_assert_eq(seq, rcv_nxt, "a RST off RCV.NXT was accepted");
			accepted[0]++;
			reconnects++;
			tclose(&c, h);
			tclient_fini(&k);
			tclient_init(&k, &ccfg, 9, (uint16_t)(41000 + reconnects));
			h = connect_pair(&c, &k, lid);
			c.cport = k.port;
			continue;
		}
		if (sst.bytes_in != bytes0) {
			accepted[2]++;
			injected_bytes += sst.bytes_in - bytes0;
		}
	}
	ptcp_table_stats st = tstats(&c);
	double secs = (double)nseg * 100 / 1e6;
	printf("blind: %llu segments with random sequence numbers against an established "
	       "connection over %.0f simulated s: %llu RST, %llu SYN, %llu data+ACK\n",
	       (unsigned long long)nseg, secs, (unsigned long long)sent[0],
	       (unsigned long long)sent[1], (unsigned long long)sent[2]);
	printf("blind: accepted RST %llu of %llu (exact match needed: 2^-32 each; %llu fell in "
	       "the window and got a challenge ACK or were rate-limited), SYN %llu of %llu, "
	       "data %llu of %llu (%llu bytes injected)\n",
	       (unsigned long long)accepted[0], (unsigned long long)sent[0],
	       (unsigned long long)rst_in_window, (unsigned long long)accepted[1],
	       (unsigned long long)sent[1], (unsigned long long)accepted[2],
	       (unsigned long long)sent[2], (unsigned long long)injected_bytes);
	printf("blind: challenge ACKs sent %llu, rate-limited %llu (limit %u/s, randomised per "
	       "second); ACKs answering RSTs %llu, SYNs %llu, data %llu (out-of-window data "
	       "is answered with a duplicate ACK, not limited, as Linux)\n",
	       (unsigned long long)st.challenge_acks,
	       (unsigned long long)st.drops[PTCP_TDROP_CHALLENGE_LIMIT], cfg.challenge_ack_limit,
	       (unsigned long long)acks[0], (unsigned long long)acks[1],
	       (unsigned long long)acks[2]);
	fflush(stdout);
	cr_assert_eq(accepted[1], 0);
	/* challenge ACKs per second stay under 1.5 x the limit */
	cr_assert_leq(st.challenge_acks, (uint64_t)(1.5 * cfg.challenge_ack_limit * (secs + 1)));
	/* SYNs are answered only by (limited) challenge ACKs; RSTs out of the
	 * window get nothing */
	cr_assert_leq(acks[1], st.challenge_acks);
	cr_assert_leq(acks[0], rst_in_window);
	/* the genuine streams are intact */
	{
		char buf[64];
		ptcp_input in = {.kind = PTCP_IN_SEND};
		in.send.data = (const uint8_t *)"after the storm";
		in.send.len = 15;
		tclient_step(&k, &in, c.now);
		tshuttle(&k, &c, 0);
		int n = tread(&c, h, buf, sizeof(buf));
		if (injected_bytes == 0) {
			cr_assert_eq(n, 15);
			cr_assert_eq(memcmp(buf, "after the storm", 15), 0);
		}
		cr_assert_eq(tsend(&c, h, "reply", 5), 5);
		tshuttle(&k, &c, 1);
		cr_assert_eq(ptcp_conn_recv_avail(&k.c), 5);
	}
	tclient_fini(&k);
	tconv_fini(&c);
}
