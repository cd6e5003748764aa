/*
 * MSG_MORE (PTCP_SEND_MORE) and the PSH bit, with and without
 * PTCP_CFG_PUSH_LINUX.  Default: PTCP_SEND_MORE holds a partial segment
 * until a send without it; PSH marks the segment that empties the queue.
 * Linux (tcp_push): PTCP_SEND_MORE holds only on its own send; an ACK or an
 * option change sends the rest; PSH only where a send without MORE ended,
 * or on what the 200 ms timer releases.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u

static void client(conv *t, uint32_t flags)
{
	conv_client(t, flags, ISS, PISS, 1000, 30000); /* no options */
}

static int send_more(conv *t, size_t len)
{
	static const uint8_t zeros[4096];
	ptcp_input in = {.kind = PTCP_IN_SEND};
	in.send.data = zeros;
	in.send.len = len;
	in.send.flags = PTCP_SEND_MORE;
	return conv_step(t, &in);
}

static void ack(conv *t, uint32_t a)
{
	conv_seg(t, ".", PISS + 1, a, 30000, NULL, 0);
}

static void setopt(conv *t, uint32_t flags)
{
	ptcp_config cfg;
	ptcp_input in = {.kind = PTCP_IN_SETOPT};
	ptcp_config_default(&cfg); /* the options client() started with */
	cfg.flags = flags;
	in.setopt.cfg = &cfg;
	cr_assert_eq(conv_step(t, &in), 0);
}

/* 2500 bytes with MORE: two full segments go, 500 wait.  Default: still
 * waiting after the ACK; a send without MORE releases them with PSH. */
Test(push, default_more_holds_until_a_send_without_it)
{
	conv t;
	client(&t, PTCP_CFG_NODELAY);
	cr_assert_eq(send_more(&t, 2500), 2500);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_nothing(&t);
	ack(&t, ISS + 1001);
	expect_nothing(&t);
	cr_assert_eq(conv_send(&t, NULL, 0), 0);
	expect_seg(&t, "P.", ISS + 2001, PISS + 1, 500);
	conv_fini(&t);
}

/* Linux: the ACK sends the 500 (NODELAY), without PSH: no send ended there
 * without MORE. */
Test(push, linux_more_released_by_ack_without_psh)
{
	conv t;
	client(&t, PTCP_CFG_NODELAY | PTCP_CFG_PUSH_LINUX);
	cr_assert_eq(send_more(&t, 2500), 2500);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_nothing(&t);
	ack(&t, ISS + 1001);
	expect_seg(&t, ".", ISS + 2001, PISS + 1, 500);
	expect_nothing(&t);
	conv_fini(&t);
}

/* Linux: nothing in flight, 40 bytes with MORE wait 200 ms, then go with
 * PSH (tcp_write_wakeup). */
Test(push, linux_more_timer_sends_with_psh)
{
	conv t;
	ptcp_time_t t0;
	client(&t, PTCP_CFG_NODELAY | PTCP_CFG_PUSH_LINUX);
	t0 = t.now;
	cr_assert_eq(send_more(&t, 40), 40);
	expect_nothing(&t);
	cr_assert_eq(last_deadline(&t), t0 + PTCP_MS(200));
	conv_to_deadline(&t);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 40);
	conv_fini(&t);
}

/* Linux: PSH where a send without MORE ends: 40 with MORE then 40 without
 * go as one segment with PSH. */
Test(push, linux_psh_where_a_send_ends)
{
	conv t;
	client(&t, PTCP_CFG_NODELAY | PTCP_CFG_PUSH_LINUX);
	cr_assert_eq(send_more(&t, 40), 40);
	expect_nothing(&t);
	cr_assert_eq(conv_sendn(&t, 40), 40);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 80);
	conv_fini(&t);
}

/* Setting NODELAY sends what MORE held: default with PSH (the queue is
 * empty after it), Linux without (the last send said more follows). */
Test(push, nodelay_releases_more_data)
{
	conv t;
	client(&t, 0);
	cr_assert_eq(send_more(&t, 40), 40);
	expect_nothing(&t);
	setopt(&t, PTCP_CFG_NODELAY);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 40);
	conv_fini(&t);

	client(&t, PTCP_CFG_PUSH_LINUX);
	cr_assert_eq(send_more(&t, 40), 40);
	expect_nothing(&t);
	setopt(&t, PTCP_CFG_NODELAY | PTCP_CFG_PUSH_LINUX);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 40);
	conv_fini(&t);
}

/* The Linux profile turns it on. */
Test(push, linux_profile_sets_it)
{
	ptcp_config cfg;
	ptcp_config_linux(&cfg);
	cr_assert(cfg.flags & PTCP_CFG_PUSH_LINUX);
	ptcp_config_default(&cfg);
	cr_assert_not(cfg.flags & PTCP_CFG_PUSH_LINUX);
}

/* ---- Nagle's algorithm: RFC 9293 3.7.4 and Minshall's variant ---------------- */

/* RFC 9293 3.7.4 (default): the 500-byte tail of a 2500-byte send waits
 * until all the data sent is acknowledged, a partial ACK is not enough. */
Test(push, nagle_holds_the_tail_until_all_is_acked)
{
	conv t;
	client(&t, 0);
	cr_assert_eq(conv_sendn(&t, 2500), 2500);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_nothing(&t);
	ack(&t, ISS + 1001);
	expect_nothing(&t);
	ack(&t, ISS + 2001);
	expect_seg(&t, "P.", ISS + 2001, PISS + 1, 500);
	conv_fini(&t);
}

/* draft-minshall-nagle (PTCP_CFG_NAGLE_MINSHALL): no short segment is
 * unacknowledged, so the tail goes with the full segments. */
Test(push, minshall_sends_the_tail_at_once)
{
	conv t;
	client(&t, PTCP_CFG_NAGLE_MINSHALL);
	cr_assert_eq(conv_sendn(&t, 2500), 2500);
	expect_seg(&t, ".", ISS + 1, PISS + 1, 1000);
	expect_seg(&t, ".", ISS + 1001, PISS + 1, 1000);
	expect_seg(&t, "P.", ISS + 2001, PISS + 1, 500);
	conv_fini(&t);
}

/* Minshall: a short segment waits while an earlier short one may be
 * unacknowledged, and goes when everything sent is acknowledged. */
Test(push, minshall_holds_a_short_segment_behind_another)
{
	conv t;
	client(&t, PTCP_CFG_NAGLE_MINSHALL);
	cr_assert_eq(conv_sendn(&t, 500), 500);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 500);
	cr_assert_eq(conv_sendn(&t, 300), 300);
	expect_nothing(&t);
	/* a full segment is not held (it empties the queue: PSH) */
	cr_assert_eq(conv_sendn(&t, 700), 700);
	expect_seg(&t, "P.", ISS + 501, PISS + 1, 1000);
	expect_nothing(&t);
	ack(&t, ISS + 1501);
	expect_nothing(&t); /* nothing left to send */
	cr_assert_eq(conv_sendn(&t, 200), 200);
	expect_seg(&t, "P.", ISS + 1501, PISS + 1, 200);
	conv_fini(&t);
}

Test(push, linux_profile_sets_minshall)
{
	expect_linux_profile_flag(PTCP_CFG_NAGLE_MINSHALL);
}
