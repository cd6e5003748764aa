/*
 * The reset an ABORT sends, with and without PTCP_CFG_ABORT_RST_ACK.
 * Off (the default): RFC 9293 3.10.5, <SEQ=SND.NXT><CTL=RST>.  On
 * (ptcp_config_linux): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as Linux's
 * tcp_send_active_reset.  Also through a table whose listener is closed
 * with a connection nobody accepted.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"
#include "tconv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */

/* An established client, options off, with flags extra; the peer sent 5 bytes. */
static void client(conv *t, uint32_t extra)
{
	conv_client(t, PTCP_CFG_NODELAY | extra, ISS, PISS, 1460, 8192);
	conv_seg(t, "P.", PISS + 1, ISS + 1, 8192, "hello", 5);
}

Test(abort, default_sends_a_bare_rst)
{
	conv t;
	client(&t, 0);
	cr_assert_eq(conv_abort(&t), 0);
	const ptcp_seg *s = expect_seg(&t, "R", ISS + 1, 0, 0);
	cr_assert_eq(s->ack, 0, "RFC 9293 3.10.5: no ACK field");
	cr_assert(saw_state(&t, PTCP_CLOSED));
	conv_fini(&t);
}

Test(abort, rst_ack_flag_acknowledges_rcv_nxt)
{
	conv t;
	client(&t, PTCP_CFG_ABORT_RST_ACK);
	cr_assert_eq(conv_sendn(&t, 100), 100);
	expect_seg(&t, "P.", ISS + 1, PISS + 6, 100);
	cr_assert_eq(conv_abort(&t), 0);
	expect_seg(&t, "R.", ISS + 101, PISS + 6, 0); /* SEQ=SND.NXT, ACK=RCV.NXT */
	expect_nothing(&t);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	conv_fini(&t);
}

Test(abort, rst_ack_flag_in_close_wait_covers_the_fin)
{
	conv t;
	client(&t, PTCP_CFG_ABORT_RST_ACK);
	conv_seg(&t, "F.", PISS + 6, ISS + 1, 8192, NULL, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_CLOSE_WAIT);
	t.cursor = t.out.n; /* past the ACK of the FIN */
	cr_assert_eq(conv_abort(&t), 0);
	expect_seg(&t, "R.", ISS + 1, PISS + 7, 0);
	conv_fini(&t);
}

Test(abort, nothing_sent_in_time_wait_either_way)
{
	conv t;
	char b[8];
	client(&t, PTCP_CFG_ABORT_RST_ACK);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), 5);
	cr_assert_eq(conv_close(&t), 0);
	expect_seg(&t, "F.", ISS + 1, PISS + 6, 0);
	conv_seg(&t, "F.", PISS + 6, ISS + 2, 8192, NULL, 0);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_TIME_WAIT);
	cr_assert_eq(conv_abort(&t), 0);
	expect_nothing(&t); /* RFC 9293 3.10.5: TIME-WAIT just deletes the TCB */
	conv_fini(&t);
}

/* A table listener with one established connection nobody accepted; closing it aborts that. */
static void unlisten_one(uint32_t conn_flags, uint8_t want_flags)
{
	tconv c;
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.conn.flags |= conn_flags;
	tconv_init(&c, &cfg);
	int l = tconv_listen(&c, 4);
	cr_assert_geq(l, 0);
	tconv_seg(&c, "S", PISS, 0, 65535, NULL, NULL, 0);
	const ptcp_seg *sa = tnext(&c);
	uint32_t iss = sa->seq;
	tconv_seg(&c, "P.", PISS + 1, iss + 1, 1000, NULL, "abc", 3);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(ptcp_table_unlisten(&c.t, (uint32_t)l, c.now, &c.out), 0);
	c.cursor = 0;
	const ptcp_seg *r = tnext(&c);
	cr_assert_eq(r->flags, want_flags);
	cr_assert_eq(r->seq, iss + 1);
	cr_assert_eq(r->ack, want_flags & PTCP_ACK ? PISS + 4 : 0u, "ACK = RCV.NXT past the data");
	tconv_fini(&c);
}

Test(abort, table_unlisten_default_bare_rst)
{
	unlisten_one(0, PTCP_RST);
}

Test(abort, table_unlisten_rst_ack_flag)
{
	unlisten_one(PTCP_CFG_ABORT_RST_ACK, PTCP_RST | PTCP_ACK);
}
