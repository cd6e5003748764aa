/*
 * What READ returns after a RST, with and without PTCP_CFG_RST_KEEP_DATA.
 * Off (the default): RFC 9293 3.10.7.4 flushes the segment queues, so READ
 * reports the reset at once.  On (ptcp_config_linux): the in-order bytes
 * received before the RST are read first, then the reset; out-of-order
 * bytes are gone either way.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */

/* An established client, options off, with flags extra. */
static void client(conv *t, uint32_t extra)
{
	conv_client(t, PTCP_CFG_NODELAY | extra, ISS, PISS, 1460, 8192);
	cr_assert(saw_state(t, PTCP_ESTABLISHED));
}

/* The peer sends "hello", then a RST exactly at RCV.NXT. */
static void data_then_rst(conv *t)
{
	int err = 0;
	conv_seg(t, "P.", PISS + 1, ISS + 1, 8192, "hello", 5);
	cr_assert_eq(ptcp_conn_recv_avail(&t->c), 5);
	conv_seg(t, "R", PISS + 6, 0, 0, NULL, 0);
	expect_nothing(t);
	cr_assert(saw_state(t, PTCP_CLOSED));
	cr_assert(saw_event(t, PTCP_EV_RESET, &err));
	cr_assert_eq(err, PTCP_ECONNRESET);
}

Test(rst_data, default_flushes_received_data)
{
	conv t;
	char b[16];
	client(&t, 0);
	data_then_rst(&t);
	cr_assert_eq(ptcp_conn_recv_avail(&t.c), 0);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_ECONNRESET,
	             "RFC 9293 3.10.7.4: the queues are flushed, RECEIVE gets reset");
	cr_assert_eq(count_emits(&t), 0);
	conv_fini(&t);
}

Test(rst_data, keep_data_reads_it_then_the_reset)
{
	conv t;
	char b[16];
	client(&t, PTCP_CFG_RST_KEEP_DATA);
	data_then_rst(&t);
	cr_assert_eq(ptcp_conn_recv_avail(&t.c), 5);
	cr_assert_eq(conv_read(&t, b, 2), 2);
	cr_assert_eq(memcmp(b, "he", 2), 0);
	cr_assert_eq(count_emits(&t), 0, "no window update from a closed connection");
	cr_assert_eq(conv_read(&t, b, sizeof(b)), 3);
	cr_assert_eq(memcmp(b, "llo", 3), 0);
	cr_assert_eq(count_emits(&t), 0);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_ECONNRESET);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_ECONNRESET, "the error stays");
	cr_assert_not(ptcp_conn_eof(&t.c));
	conv_fini(&t);
}

Test(rst_data, keep_data_drops_out_of_order_bytes)
{
	conv t;
	char b[16];
	client(&t, PTCP_CFG_RST_KEEP_DATA);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 8192, "abc", 3);
	conv_seg(&t, "P.", PISS + 10, ISS + 1, 8192, "xyz", 3); /* a hole at 4..9 */
	expect_seg(&t, ".", ISS + 1, PISS + 4, 0);              /* duplicate ACK */
	conv_seg(&t, "R", PISS + 4, 0, 0, NULL, 0);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	cr_assert_eq(conv_read(&t, b, sizeof(b)), 3);
	cr_assert_eq(memcmp(b, "abc", 3), 0);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_ECONNRESET);
	conv_fini(&t);
}

Test(rst_data, keep_data_after_fin_still_ends_in_reset)
{
	conv t;
	char b[16];
	client(&t, PTCP_CFG_RST_KEEP_DATA);
	conv_seg(&t, "FP.", PISS + 1, ISS + 1, 8192, "abc", 3); /* -> CLOSE-WAIT */
	conv_seg(&t, "R", PISS + 5, 0, 0, NULL, 0);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	cr_assert_eq(conv_read(&t, b, sizeof(b)), 3);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_ECONNRESET, "a reset, not a clean end");
	cr_assert_not(ptcp_conn_eof(&t.c));
	conv_fini(&t);
}

Test(rst_data, keep_data_ignores_an_inexact_rst)
{
	conv t;
	char b[16];
	client(&t, PTCP_CFG_RST_KEEP_DATA);
	conv_seg(&t, "P.", PISS + 1, ISS + 1, 8192, "hello", 5);
	conv_seg(&t, "R", PISS + 7, 0, 0, NULL, 0); /* in window, not RCV.NXT */
	expect_seg(&t, ".", ISS + 1, PISS + 6, 0);  /* RFC 5961 3.2 challenge ACK */
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_ESTABLISHED);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), 5);
	cr_assert_eq(conv_read(&t, b, sizeof(b)), PTCP_EAGAIN);
	conv_fini(&t);
}

Test(rst_data, linux_profile_keeps_data)
{
	ptcp_config cfg;
	ptcp_config_linux(&cfg);
	cr_assert(cfg.flags & PTCP_CFG_RST_KEEP_DATA);
	ptcp_config_default(&cfg);
	cr_assert_not(cfg.flags & PTCP_CFG_RST_KEEP_DATA);
}
