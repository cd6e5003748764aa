/*
 * Shared by the edge tests (test_edges.c, test_edges_loss.c): a client
 * conversation set up in one call, and the public counters.
 */
#ifndef PTCP_TEST_EDGES_H
#define PTCP_TEST_EDGES_H

#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */
#define RBUF 16384u
#define SBUF 16384u

static inline ptcp_stats stats(const conv *t)
{
	ptcp_stats st;
	ptcp_conn_stats(&t->c, &st);
	return st;
}

/* An established client; options: SACK if sack, the peer's MSS mss. */
static inline void client(conv *t, ptcp_config cfg, int sack, uint16_t mss)
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

static inline ptcp_config plain(void)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY;
	return cfg;
}

#endif
