/*
 * The receive window with and without PTCP_CFG_RCV_CLAMP.
 * Off (the default): RFC 9293 3.8.6.2, the window offers the free buffer
 * from the first segment on.  On (ptcp_config_linux): the window starts at
 * min(buffer, 65535) rounded up to the scale unit (Linux's
 * tcp_select_initial_window and rcv_ssthresh), opens by 2 * max(MSS,
 * segment) with each in-order data segment (tcp_grow_window) and never
 * offers more than the free buffer (to within the unit of the scale).
 * Every check reads the window field of a segment the core emitted.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */
#define WS   4u    /* our window scale: the unit is 16 bytes */
#define MSS  1460u /* the MSS we advertise (cfg.mss) */

/* An established client with an rcap-byte receive buffer, an ACK for every
 * segment (no delayed ACK), window scaling on both sides. */
static void client(conv *t, uint32_t extra, size_t rcap)
{
	ptcp_config cfg;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE, .mss = 1460, .wscale = 0};
	const ptcp_seg *s;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_WSCALE | PTCP_CFG_NODELAY | extra;
	cfg.wscale = WS;
	cfg.mss = MSS;
	cfg.delack = 0;
	conv_init(t, &cfg, 16384, rcap);
	cr_assert_eq(conv_connect(t, ISS), 0);
	s = expect_seg(t, "S", ISS, 0, 0);
	/* RFC 7323 2.2: unscaled in the SYN, at most 65535 (both settings) */
	cr_assert_eq(s->wnd, rcap < 65535 ? rcap : 65535, "SYN window %u", (unsigned)s->wnd);
	conv_seg_opts(t, "S.", PISS, ISS + 1, 65535, &o, NULL, 0);
	cr_assert(saw_state(t, PTCP_ESTABLISHED));
}

/* The window field of the ACK of the handshake. */
static uint16_t handshake_ack_wnd(conv *t)
{
	return expect_seg(t, ".", ISS + 1, PISS + 1, 0)->wnd;
}

/* The peer sends len bytes in order at *pseq; returns the window field of our ACK. */
static uint16_t data(conv *t, uint32_t *pseq, size_t len)
{
	static uint8_t buf[4096];
	const ptcp_seg *s;
	cr_assert(len <= sizeof(buf));
	conv_seg(t, ".", *pseq, ISS + 1, 4096, buf, len);
	*pseq += (uint32_t)len;
	s = expect_seg(t, ".", ISS + 1, *pseq, 0);
	return s->wnd;
}

static uint32_t align_unit(uint32_t v)
{
	return (v + (1u << WS) - 1) & ~((1u << WS) - 1);
}

Test(rcv_clamp, default_offers_the_free_buffer)
{
	conv t;
	uint32_t seq = PISS + 1, rcap = 200000, edge = PISS + 1 + rcap;
	client(&t, 0, rcap);
	cr_assert_eq(handshake_ack_wnd(&t), rcap >> WS, "RFC 9293 3.8.6.2: the whole free buffer");
	for (unsigned i = 1; i <= 5; i++) {
		uint16_t w = data(&t, &seq, 1000);
		/* unread data: the right edge stays where the buffer ends, the window
		 * rounded up to the unit so as not to pull it left (RFC 7323 2.4) */
		cr_assert_eq(w, (edge - seq + (1u << WS) - 1) >> WS, "segment %u: window %u", i,
		             (unsigned)w);
		edge = seq + ((uint32_t)w << WS);
	}
	conv_fini(&t);
}

Test(rcv_clamp, linux_starts_at_64k)
{
	conv t;
	client(&t, PTCP_CFG_RCV_CLAMP, 200000);
	/* min(buffer, 65535) = 65535, rounded up to the unit: 65536 */
	cr_assert_eq(handshake_ack_wnd(&t), 65536 >> WS);
	conv_fini(&t);
}

Test(rcv_clamp, linux_small_buffer_is_the_window)
{
	conv t;
	client(&t, PTCP_CFG_RCV_CLAMP, 40000);
	/* a buffer under 64 KiB: the clamp is the buffer, the window all of it */
	cr_assert_eq(handshake_ack_wnd(&t), 40000 >> WS);
	conv_fini(&t);
}

Test(rcv_clamp, linux_grows_with_in_order_data)
{
	conv t;
	uint32_t seq = PISS + 1, clamp = 65535;
	client(&t, PTCP_CFG_RCV_CLAMP, 200000);
	handshake_ack_wnd(&t);
	for (unsigned i = 1; i <= 20; i++) {
		uint16_t w = data(&t, &seq, 1000);
		clamp += 2 * MSS; /* 2 * max(MSS, 1000) */
		cr_assert_eq((uint32_t)w << WS, align_unit(clamp),
		             "segment %u: window %u, clamp %u", i, (unsigned)w, clamp);
	}
	/* a segment longer than the MSS opens it by twice its length */
	{
		uint16_t w = data(&t, &seq, 2000);
		clamp += 2 * 2000;
		cr_assert_eq((uint32_t)w << WS, align_unit(clamp));
	}
	conv_fini(&t);
}

Test(rcv_clamp, linux_out_of_order_data_does_not_grow_it)
{
	conv t;
	static uint8_t buf[1000];
	const ptcp_seg *s;
	client(&t, PTCP_CFG_RCV_CLAMP, 200000);
	handshake_ack_wnd(&t);
	/* a hole at PISS + 1: the segment beyond it is held, the clamp stays */
	conv_seg(&t, ".", PISS + 1 + 1000, ISS + 1, 4096, buf, sizeof(buf));
	s = expect_seg(&t, ".", ISS + 1, PISS + 1, 0);
	cr_assert_eq(s->wnd, 65536 >> WS);
	conv_fini(&t);
}

Test(rcv_clamp, linux_capped_at_the_buffer)
{
	conv t;
	uint32_t seq = PISS + 1, rcap = 80000, got = 0;
	uint8_t *b = malloc(rcap);
	uint32_t edge = PISS + 1, clamp = 65535, clamped = 0;
	client(&t, PTCP_CFG_RCV_CLAMP, rcap);
	edge += (uint32_t)handshake_ack_wnd(&t) << WS;
	for (unsigned i = 1; i <= 10; i++) {
		uint16_t w = data(&t, &seq, 1000);
		uint32_t e = seq + ((uint32_t)w << WS);
		uint32_t most = edge > PISS + 1 + rcap ? edge : PISS + 1 + rcap;
		got += 1000;
		clamp = clamp + 2 * MSS < rcap ? clamp + 2 * MSS : rcap;
		if (align_unit(clamp) <= rcap - got) {
			/* segments 1-3: still the clamp, below the free buffer */
			cr_assert_eq((uint32_t)w << WS, align_unit(clamp), "segment %u", i);
			clamped++;
		}
		/* the right edge goes no further than the buffer's end (or, when it
		 * is already there, the last edge announced) rounded up to the unit */
		cr_assert_lt(e, most + (1u << WS), "segment %u: edge %u, buffer end %u", i, e,
		             PISS + 1 + rcap);
		edge = e;
	}
	cr_assert_eq(clamped, 3);
	/* after reading everything, the next segment's ACK offers the free buffer
	 * (to within the unit of the scale, RFC 7323 2.3/2.4), not the clamp's
	 * 2920 more per segment: 11 segments have opened it past the buffer */
	cr_assert_eq(conv_read(&t, b, rcap), (int)got);
	{
		uint32_t w = (uint32_t)data(&t, &seq, 1000) << WS;
		cr_assert(w + (1u << WS) > rcap - 1000 && w < rcap - 1000 + (1u << WS), "window %u",
		          w);
	}
	free(b);
	conv_fini(&t);
}
