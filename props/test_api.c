/*
 * Property family: the documented interface (ptcp.h, listener.h).
 *
 *   api/defaults      ptcp_config_default(), ptcp_config_linux() and
 *                     ptcp_table_config_default() give the values their
 *                     comments document;
 *   api/init_domain   ptcp_conn_init() takes buffers of 1 byte .. 1 GiB and
 *                     a configuration with MSS >= 64, init_cwnd >= 1, a
 *                     non-zero rto_min and rto_initial, rto_max >= rto_min
 *                     and a shift of 0..14 or 0xff, and refuses anything
 *                     else with PTCP_EINVAL (random values around every
 *                     bound);
 *   api/auto_wscale   with wscale 0xff the SYN offers the smallest shift
 *                     that lets a 16-bit window cover the receive buffer
 *                     (RFC 7323 2.3), at most 14;
 *   api/step_args     ptcp_step() refuses NULL arguments, an unknown input
 *                     kind and an action array below PTCP_ACTIONS_MIN.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"
#include "ptcp/listener.h"

Test(api, defaults)
{
	ptcp_config c;
	ptcp_config_default(&c);
	uint32_t want = PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK;
	cr_expect((c.flags & want) == want, "default flags 0x%x lack TS|WS|SACK", c.flags);
	cr_expect_eq(c.mss, 1460);
	cr_expect_eq(c.wscale, 0xff);
	cr_expect_eq(c.syn_retries, 6);
	cr_expect_eq(c.synack_retries, 5);
	cr_expect_eq(c.max_retries, 15);
	cr_expect_eq(c.init_cwnd, 10);
	cr_expect_eq(c.rto_initial, PTCP_SEC(1));
	cr_expect_eq(c.rto_min, PTCP_MS(200));
	cr_expect_eq(c.rto_max, PTCP_SEC(120));
	cr_expect_eq(c.msl, PTCP_SEC(30));
	cr_expect_eq(c.fin_wait2_timeout, PTCP_SEC(60));
	cr_expect_eq(c.user_timeout, 0);
	cr_expect_eq(c.delack, PTCP_MS(40));
	cr_expect_eq(c.quickack, 16);
	cr_expect_eq(c.keepalive_idle, 0);
	cr_expect_eq(c.keepalive_intvl, PTCP_SEC(75));
	cr_expect_eq(c.keepalive_cnt, 9);
	cr_expect(c.cc == NULL || c.cc == &ptcp_cc_cubic, "default congestion control is CUBIC");
	cr_expect_eq(c.challenge_ack_limit, 1000);

	/* packetdrill's defaults.sh Linux */
	ptcp_config l;
	ptcp_config_linux(&l);
	cr_expect_eq(l.wscale, 8);
	cr_expect(l.flags & PTCP_CFG_TIMESTAMPS);
	cr_expect(l.flags & PTCP_CFG_SACK);
	cr_expect_eq(l.init_cwnd, 10);
	cr_expect_eq(l.rto_min, PTCP_MS(200));
	cr_expect_eq(l.rto_max, PTCP_SEC(120));
	cr_expect_eq(l.rto_initial, PTCP_SEC(1));
	cr_expect_eq(l.syn_retries, 5);
	cr_expect_eq(l.synack_retries, 5);
	cr_expect_eq(l.delack, PTCP_MS(40));
	cr_expect_eq(l.quickack, 16);
	cr_expect_eq(2 * l.msl, PTCP_SEC(60), "TIME-WAIT 60 s");

	ptcp_table_config t;
	ptcp_table_config_default(&t);
	cr_expect_eq(t.flags, PTCP_TBL_SYNCOOKIES);
	cr_expect_eq(t.max_conns, 64);
	cr_expect_eq(t.max_requests, 256);
	cr_expect_eq(t.max_listeners, 8);
	cr_expect_eq(t.max_backlog, 4096);
	cr_expect_eq(t.sndbuf, 65536);
	cr_expect_eq(t.rcvbuf, 65536);
	cr_expect_eq(t.challenge_ack_limit, 1000);
	cr_expect_eq(t.tfo_max_pending, 64);
	cr_expect_eq(memcmp(&t.conn, &c, sizeof c), 0, "the table's connections use the defaults");
}

/* A size near one of the bounds, or anywhere. */
static size_t near(ptcp_prop_rng *r)
{
	static const size_t pts[] = {0, 1, 2, 65535, 65536, (size_t)1 << 30};
	size_t p = pts[ptcp_prop_below(r, sizeof pts / sizeof pts[0])];
	switch (ptcp_prop_below(r, 4)) {
	case 0:
		return p;
	case 1:
		return p + 1;
	case 2:
		return p ? p - 1 : 0;
	default:
		return (size_t)ptcp_prop_range(r, 0, ((size_t)1 << 30) + 100);
	}
}

Test(api, init_domain)
{
	static uint8_t dummy[16]; /* ptcp_conn_init only records the buffers */
	static ptcp_conn c;
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(20000);
	for (unsigned i = 0; i < n; i++) {
		ptcp_prop_rng r;
		ptcp_prop_rng_seed(&r, ptcp_prop_case_seed(base, i));
		ptcp_config cfg;
		ptcp_config_default(&cfg);
		size_t s = near(&r), q = near(&r);
		int snull = ptcp_prop_chance(&r, 5), rnull = ptcp_prop_chance(&r, 5);
		switch (ptcp_prop_below(&r, 8)) {
		case 0:
			cfg.mss = (uint16_t)ptcp_prop_range(&r, 0, 200);
			break;
		case 1:
			cfg.init_cwnd = (uint16_t)ptcp_prop_range(&r, 0, 3);
			break;
		case 2:
			cfg.rto_min = ptcp_prop_range(&r, 0, 3);
			cfg.rto_max = ptcp_prop_range(&r, 0, 3);
			break;
		case 3:
			cfg.rto_initial = ptcp_prop_range(&r, 0, 3);
			break;
		case 4:
			cfg.wscale = (uint8_t)ptcp_prop_range(&r, 0, 255);
			break;
		case 5: { /* the block keeps these in 32 bits of us: 2^32 - 1 at most */
			ptcp_time_t v = (ptcp_time_t)UINT32_MAX + ptcp_prop_range(&r, 0, 1);
			ptcp_time_t *f[] = {&cfg.rto_initial, &cfg.rto_max, &cfg.msl,
			                    &cfg.fin_wait2_timeout, &cfg.delack};
			*f[ptcp_prop_below(&r, 5)] = v;
			break;
		}
		case 6: /* RFC 4821 probing needs a base MSS of 64 or more */
			cfg.flags |= PTCP_CFG_MTU_PROBE;
			cfg.mtu_probe_base = (uint16_t)ptcp_prop_range(&r, 0, 100);
			break;
		default:
			break;
		}
		int ok = !snull && !rnull && s >= 1 && s <= ((size_t)1 << 30) && q >= 1 &&
		         q <= ((size_t)1 << 30) && cfg.mss >= 64 && cfg.init_cwnd >= 1 &&
		         cfg.rto_min > 0 && cfg.rto_initial > 0 && cfg.rto_max >= cfg.rto_min &&
		         (cfg.wscale <= 14 || cfg.wscale == 0xff) &&
		         cfg.rto_initial <= UINT32_MAX && cfg.rto_max <= UINT32_MAX &&
		         cfg.msl <= UINT32_MAX && cfg.fin_wait2_timeout <= UINT32_MAX &&
		         cfg.delack <= UINT32_MAX &&
		         (!(cfg.flags & PTCP_CFG_MTU_PROBE) || cfg.mtu_probe_base >= 64);
		int rc = ptcp_conn_init(&c, &cfg, snull ? NULL : dummy, s, rnull ? NULL : dummy, q);
		cr_assert_eq(
		    rc, ok ? 0 : PTCP_EINVAL,
		    "case %u: ptcp_conn_init(send %zu%s, receive %zu%s, mss %u, init_cwnd %u, "
		    "rto %llu..%llu initial %llu, wscale %u) returned %d",
		    i, s, snull ? " NULL" : "", q, rnull ? " NULL" : "", cfg.mss, cfg.init_cwnd,
		    (unsigned long long)cfg.rto_min, (unsigned long long)cfg.rto_max,
		    (unsigned long long)cfg.rto_initial, cfg.wscale, rc);
		if (ok)
			cr_assert_eq(ptcp_conn_state(&c), PTCP_CLOSED);
	}
}

Test(api, auto_wscale)
{
	static uint8_t dummy[16];
	static ptcp_conn c;
	ptcp_action acts[PTCP_ACTIONS_MIN];
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(5000);
	for (unsigned i = 0; i < n; i++) {
		ptcp_prop_rng r;
		ptcp_prop_rng_seed(&r, ptcp_prop_case_seed(base, i));
		size_t q = (size_t)ptcp_prop_range(&r, 1, (size_t)1 << 30);
		if (ptcp_prop_chance(&r, 50)) /* powers of two around 65535 << s */
			q = ((size_t)65535 << ptcp_prop_below(&r, 15)) + ptcp_prop_below(&r, 3) - 1;
		if (q > ((size_t)1 << 30))
			q = (size_t)1 << 30;
		ptcp_config cfg;
		ptcp_config_default(&cfg);
		cr_assert_eq(ptcp_conn_init(&c, &cfg, dummy, sizeof dummy, dummy, q), 0);
		ptcp_input in;
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_CONNECT;
		ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
		ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
		in.connect.lport = 40000;
		in.connect.rport = 80;
		ptcp_actions out = {.v = acts, .cap = PTCP_ACTIONS_MIN, .n = 0};
		cr_assert_eq(ptcp_step(&c, &in, 1, &out), 0);
		unsigned want = 0;
		while (want < 14 && (q >> want) > 65535)
			want++;
		int seen = 0;
		for (size_t k = 0; k < out.n; k++)
			if (out.v[k].kind == PTCP_ACT_EMIT &&
			    (out.v[k].emit.seg.flags & PTCP_SYN)) {
				const ptcp_tcp_opts *o = &out.v[k].emit.seg.opts;
				cr_assert(o->present & PTCP_OPT_WSCALE);
				cr_assert_eq(o->wscale, want,
				             "receive buffer %zu: shift %u, want %u", q, o->wscale,
				             want);
				cr_assert(out.v[k].emit.seg.wnd == (q > 65535 ? 65535 : q),
				          "receive buffer %zu: the SYN's window %u", q,
				          out.v[k].emit.seg.wnd);
				seen = 1;
			}
		cr_assert(seen, "no SYN emitted");
	}
}

Test(api, step_args)
{
	static uint8_t b[64];
	static ptcp_conn c;
	ptcp_action acts[PTCP_ACTIONS_MIN];
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_TIME;
	cr_assert_eq(ptcp_conn_init(&c, NULL, b, sizeof b, b, sizeof b), 0);
	ptcp_actions out = {.v = acts, .cap = PTCP_ACTIONS_MIN, .n = 0};
	cr_expect_eq(ptcp_step(NULL, &in, 0, &out), PTCP_EINVAL);
	cr_expect_eq(ptcp_step(&c, NULL, 0, &out), PTCP_EINVAL);
	cr_expect_eq(ptcp_step(&c, &in, 0, NULL), PTCP_EINVAL);
	ptcp_actions small = {.v = acts, .cap = PTCP_ACTIONS_MIN - 1, .n = 0};
	cr_expect_eq(ptcp_step(&c, &in, 0, &small), PTCP_EINVAL);
	in.kind = PTCP_IN_KIND_COUNT;
	cr_expect_eq(ptcp_step(&c, &in, 0, &out), PTCP_EINVAL);
	in.kind = (ptcp_input_kind)0;
	cr_expect_eq(ptcp_step(&c, &in, 0, &out), PTCP_EINVAL);
	in.kind = PTCP_IN_TIME;
	cr_expect_eq(ptcp_step(&c, &in, 0, &out), 0);
}
