/*
 * PTCP_CFG_CWND_LIMITED: cwnd grows on an ACK only if the flight before it
 * used cwnd (RFC 7661; Linux's tcp_is_cwnd_limited).  Off: every ACK of
 * new data grows it (RFC 5681 3.1).  The tests count the segments a large
 * send puts out after the ACK: the initial window is 10 segments.
 */
#include <criterion/criterion.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u

static void client(conv *t, uint32_t flags)
{
	conv_client(t, PTCP_CFG_NODELAY | flags, ISS, PISS, 1000, 60000); /* no options */
}

static void ack(conv *t, uint32_t a)
{
	conv_seg(t, ".", PISS + 1, a, 60000, NULL, 0);
}

/* One segment in flight (application-limited), acknowledged; then 12000
 * bytes to send: the segments that go at once are cwnd's. */
static size_t after_app_limited_ack(uint32_t flags)
{
	conv t;
	size_t n;
	client(&t, flags);
	conv_sendn(&t, 1000);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 1000);
	t.now += PTCP_MS(100);
	ack(&t, ISS + 1001);
	expect_nothing(&t);
	conv_sendn(&t, 12000);
	n = count_emits(&t);
	conv_fini(&t);
	return n;
}

Test(cwnd_limited, off_app_limited_ack_grows_cwnd)
{
	cr_assert_eq(after_app_limited_ack(0), 11, "slow start: 10 + 1 segments");
}

Test(cwnd_limited, on_app_limited_ack_keeps_cwnd)
{
	cr_assert_eq(after_app_limited_ack(PTCP_CFG_CWND_LIMITED), 10,
	             "one segment in flight did not use a 10-segment window");
}

/* A full window in flight: the ACK of half of it grows cwnd (slow start,
 * cwnd below twice the flight) with the flag too: by 2 segments (RFC 3465
 * L = 2, the default), so with 5 still out 7 more go, the rest waits. */
Test(cwnd_limited, on_full_window_grows)
{
	conv t;
	client(&t, PTCP_CFG_CWND_LIMITED);
	conv_sendn(&t, 10000);
	cr_assert_eq(count_emits(&t), 10);
	t.now += PTCP_MS(100);
	ack(&t, ISS + 1 + 5000);
	cr_assert_eq(count_emits(&t), 0, "no data queued beyond the ten");
	conv_sendn(&t, 6000);
	cr_assert_eq(count_emits(&t), 6);
	conv_sendn(&t, 5000); /* 16000 unacknowledged: within the 16 KiB buffer */
	cr_assert_eq(count_emits(&t), 1, "cwnd 12 segments: 5 + 6 + 1 in flight, sent %zu",
	             count_emits(&t));
	conv_fini(&t);
}

Test(cwnd_limited, linux_profile_sets_it)
{
	expect_linux_profile_flag(PTCP_CFG_CWND_LIMITED);
}
