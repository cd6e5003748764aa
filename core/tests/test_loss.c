/*
 * The loss area (ptcp_loss): lent with ptcp_conn_set_loss, taken back with
 * ptcp_conn_take_loss, and lent among a table's connections
 * (ptcp_table_config.loss_areas).  A connection without one drops
 * out-of-order data and recovers by duplicate ACKs and NewReno (RFC 6582).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"
#include "tconv.h"

#define ISS  1000u
#define PISS 5000u

static const uint8_t data[4000];

/* A SACK + RACK client with its RTT measured (conv_rtt_client); with
 * area 0 its loss area is taken back before anything else happens. */
static void client(conv *t, int area)
{
	conv_rtt_client(t, 0, ISS, PISS);
	if (!area)
		cr_assert_eq(ptcp_conn_take_loss(&t->c), &t->loss, "quiet: the area comes back");
	cr_assert_eq(ptcp_conn_loss(&t->c), area ? &t->loss : NULL);
}

static ptcp_tcp_opts sack1(uint32_t l, uint32_t r)
{
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK, .sack_count = 1};
	o.sack[0].left = l;
	o.sack[0].right = r;
	return o;
}

Test(loss, api)
{
	conv t;
	ptcp_loss other;
	conv_init(&t, NULL, 4096, 4096);
	cr_assert_eq(ptcp_conn_set_loss(NULL, &other), PTCP_EINVAL);
	cr_assert_eq(ptcp_conn_set_loss(&t.c, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &other), PTCP_ESTATE, "it has one (conv_init)");
	cr_assert_eq(ptcp_conn_loss(&t.c), &t.loss);
	cr_assert_null(ptcp_conn_take_loss(NULL));
	cr_assert_null(ptcp_conn_loss(NULL));
	cr_assert_eq(ptcp_conn_take_loss(&t.c), &t.loss);
	cr_assert_null(ptcp_conn_take_loss(&t.c), "none left");
	cr_assert_null(ptcp_conn_loss(&t.c));
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &other), 0);
	cr_assert_eq(ptcp_conn_loss(&t.c), &other);
	/* a caller pool cannot go back to no pool with ranges queued: tested
	 * with the ranges in ooo below */
	conv_fini(&t);
}

/* Out of order, then the hole: with an area the range is held and SACKed;
 * without, the segment is dropped (counted) and only the hole's data comes. */
static void ooo_then_hole(int area)
{
	conv t;
	client(&t, area);
	conv_seg(&t, "P.", PISS + 1001, ISS + 1001, 60000, data, 500);
	const ptcp_seg *s = expect_seg(&t, ".", ISS + 1001, PISS + 1, 0);
	if (area) {
		cr_assert(s->opts.present & PTCP_OPT_SACK, "the range is SACKed");
		cr_assert_eq(s->opts.sack[0].left, PISS + 1001);
		cr_assert_eq(s->opts.sack[0].right, PISS + 1501);
		cr_assert_eq(t.st.drops[PTCP_DROP_OOO_FULL], 0);
	} else {
		cr_assert_not(s->opts.present & PTCP_OPT_SACK, "nothing held, nothing SACKed");
		cr_assert_eq(t.st.drops[PTCP_DROP_OOO_FULL], 1, "dropped with its reason");
	}
	conv_seg(&t, "P.", PISS + 1, ISS + 1001, 60000, data, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1 + (area ? 1500 : 1000), 0);
	cr_assert_eq(ptcp_conn_recv_avail(&t.c), area ? 1500u : 1000u);
	conv_fini(&t);
}

Test(loss, out_of_order_held_with_an_area)
{
	ooo_then_hole(1);
}

Test(loss, out_of_order_dropped_without_an_area)
{
	ooo_then_hole(0);
}

/* Five segments out; the first is lost.  One duplicate ACK SACKing the
 * three after it: RFC 6675 IsLost (DupThresh segments SACKed above) makes
 * the hole lost at once with an area; without one the SACK is ignored and
 * fast retransmit waits for the third duplicate ACK (RFC 5681 3.2), then
 * NewReno resends the next hole on a partial ACK (RFC 6582 3.2 step 5). */
static void first_loss(int area)
{
	conv t;
	client(&t, area);
	conv_sendn(&t, 5000);
	cr_assert_eq(count_emits(&t), 5);
	ptcp_tcp_opts o = sack1(ISS + 2001, ISS + 5001);
	t.now += PTCP_MS(100);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1001, 60000, &o, NULL, 0);
	if (area) {
		expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
		cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), PTCP_ESTATE);
		cr_assert_null(ptcp_conn_take_loss(&t.c), "in recovery: the area is in use");
		conv_fini(&t);
		return;
	}
	expect_nothing(&t);
	o = sack1(ISS + 2001, ISS + 5001);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1001, 60000, &o, NULL, 0);
	expect_nothing(&t);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1001, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	/* an area cannot join the episode */
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), PTCP_EAGAIN);
	/* a partial ACK: NewReno resends what it acknowledges up to */
	t.now += PTCP_MS(100);
	conv_seg(&t, ".", PISS + 1, ISS + 2001, 60000, NULL, 0);
	expect_seg(&t, ".", ISS + 2001, PISS + 1, 1000);
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), PTCP_EAGAIN);
	/* the episode ends: the area joins, and the next loss is SACK-driven */
	conv_seg(&t, ".", PISS + 1, ISS + 6001, 60000, NULL, 0);
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), 0);
	conv_sendn(&t, 5000);
	cr_assert_eq(count_emits(&t), 5);
	o = sack1(ISS + 7001, ISS + 10001);
	t.now += PTCP_MS(100);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 6001, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 6001, PISS + 1, 1000);
	conv_fini(&t);
}

Test(loss, sack_recovery_with_an_area)
{
	first_loss(1);
}

Test(loss, newreno_without_an_area)
{
	first_loss(0);
}

/* An area lent to a connection that did not negotiate SACK leaves it a
 * NewReno sender: the peer's SACK blocks are still ignored. */
Test(loss, lent_without_sack_negotiated)
{
	conv t;
	ptcp_tcp_opts o = sack1(ISS + 1001, ISS + 4001);
	conv_client(&t, PTCP_CFG_NODELAY | PTCP_CFG_SACK | PTCP_CFG_RACK, ISS, PISS, 1000, 60000);
	cr_assert_eq(ptcp_conn_take_loss(&t.c), &t.loss);
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), 0, "lent after the handshake");
	conv_sendn(&t, 5000);
	cr_assert_eq(count_emits(&t), 5);
	t.now += PTCP_MS(50);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_nothing(&t);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	conv_seg(&t, ".", PISS + 1, ISS + 1001, 60000, NULL, 0);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	conv_fini(&t);
}

/* An area lent while data is in flight (whatever it held before: it needs
 * no initialisation) takes over at the next loss: the first duplicate ACK
 * that SACKs three segments above the hole resends it (RFC 6675 IsLost). */
Test(loss, lent_with_data_in_flight)
{
	conv t;
	client(&t, 0);
	conv_sendn(&t, 5000);
	cr_assert_eq(count_emits(&t), 5);
	memset(&t.loss, 0x7f, sizeof t.loss); /* another connection's leftovers */
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), 0);
	ptcp_tcp_opts o = sack1(ISS + 2001, ISS + 5001);
	t.now += PTCP_MS(100);
	conv_seg_opts(&t, ".", PISS + 1, ISS + 1001, 60000, &o, NULL, 0);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_nothing(&t);
	t.now += PTCP_MS(100);
	conv_seg(&t, ".", PISS + 1, ISS + 5001, 60000, NULL, 0);
	cr_assert_eq(t.st.retransmits, 1, "only the hole was resent");
	conv_seg(&t, ".", PISS + 1, ISS + 6001, 60000, NULL, 0);
	cr_assert_eq(ptcp_conn_take_loss(&t.c), &t.loss, "all acknowledged: back");
	conv_fini(&t);
}

/* Taken back when quiet, lent again later: a range queued in the area keeps
 * it; a range in the caller's own pool does not. */
Test(loss, taken_back_only_when_unused)
{
	conv t;
	ptcp_ooo_node pool[4];
	client(&t, 1);
	conv_seg(&t, "P.", PISS + 1001, ISS + 1001, 60000, data, 500);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 0);
	cr_assert_null(ptcp_conn_take_loss(&t.c), "a range sits in its pool");
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, pool, 4), 0);
	cr_assert_eq(ptcp_conn_take_loss(&t.c), &t.loss, "the range is in the caller's pool");
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, NULL, 0), PTCP_EINVAL,
	             "no area to take the range back");
	conv_seg(&t, "P.", PISS + 1, ISS + 1001, 60000, data, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1501, 0);
	cr_assert_eq(ptcp_conn_set_ooo_pool(&t.c, NULL, 0), 0, "empty now");
	/* data in flight: not taken */
	cr_assert_eq(ptcp_conn_set_loss(&t.c, &t.loss), 0);
	conv_sendn(&t, 1000);
	cr_assert_null(ptcp_conn_take_loss(&t.c));
	conv_seg(&t, ".", PISS + 1501, ISS + 2001, 60000, NULL, 0);
	cr_assert_eq(ptcp_conn_take_loss(&t.c), &t.loss);
	conv_fini(&t);
}

/* ---- A table lending one area among its connections ---------------------- */

static const ptcp_tcp_opts tsyn_opts = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1000};

/* SYN ... final ACK from port cport; returns the handle and our ISS. */
static ptcp_handle thandshake(tconv *c, uint16_t cport, uint32_t *iss)
{
	c->cport = cport;
	tconv_seg(c, "S", PISS, 0, 65535, &tsyn_opts, NULL, 0);
	*iss = tnext(c)->seq;
	tconv_seg(c, ".", PISS + 1, *iss + 1, 65535, NULL, NULL, 0);
	ptcp_handle h = tconnected(c);
	cr_assert_neq(h, PTCP_NO_HANDLE);
	return h;
}

/* B's out-of-order segment: is it SACKed (held)? */
static int b_ooo_sacked(tconv *c, uint32_t issb)
{
	c->cport = CPORT + 1;
	tconv_seg(c, "P.", PISS + 1001, issb + 1, 65535, NULL, data, 500);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->ack, PISS + 1);
	return (s->opts.present & PTCP_OPT_SACK) != 0;
}

static void table_pool(uint32_t areas)
{
	tconv c;
	ptcp_table_config cfg;
	uint32_t issa, issb;
	tconv_cfg(&cfg);
	cfg.max_conns = 4;
	cfg.loss_areas = areas;
	tconv_init(&c, &cfg);
	cr_assert_geq(tconv_listen(&c, 4), 0);
	ptcp_handle a = thandshake(&c, CPORT, &issa);
	ptcp_handle b = thandshake(&c, CPORT + 1, &issb);
	ptcp_table_usage u = tusage(&c);
	cr_assert_eq(u.loss_areas_max, areas == 1 ? 1 : 4);
	cr_assert_eq(u.loss_areas, areas == 1 ? 0 : 2, "lent: back after the handshakes' steps");
	/* A sends: it holds the area while its data is in flight */
	cr_assert_eq(tsend(&c, a, data, 3000), 3000);
	cr_assert_eq(tusage(&c).loss_areas, areas == 1 ? 1 : 2);
	/* B's out-of-order segment: dropped while A has the only area */
	cr_assert_eq(b_ooo_sacked(&c, issb), areas != 1);
	/* A's data acknowledged: its area goes back, and B gets it */
	c.cport = CPORT;
	tconv_seg(&c, ".", PISS + 1, issa + 3001, 65535, NULL, NULL, 0);
	cr_assert_eq(tusage(&c).loss_areas, areas == 1 ? 0 : 2);
	cr_assert(b_ooo_sacked(&c, issb));
	cr_assert_eq(tusage(&c).loss_areas, areas == 1 ? 1 : 2, "B keeps it while the range sits");
	(void)b;
	tconv_fini(&c);
}

Test(loss, table_one_area_for_every_connection)
{
	table_pool(0);
}

Test(loss, table_lends_one_area_between_steps)
{
	table_pool(1);
}
