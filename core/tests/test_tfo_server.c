/*
 * The server side of a Fast Open SYN on one connection block (RFC 7413 4.2.2):
 * ptcp_tfo_server_open() and ptcp_tfo_synack(), for callers with their own
 * listeners (the packetdrill runner).  Asserts on the emitted segments and on
 * what the application can read and send.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ptcp/listener.h"
#include "ptcp/ptcp.h"

#define IRS 5000u
#define ISS 777000u

typedef struct srv {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	uint8_t sbuf[65536], rbuf[65536];
	ptcp_action acts[64];
	ptcp_actions out;
	ptcp_seg syn;
	ptcp_input in;
} srv;

static void srv_init(srv *s, uint16_t wnd, const char *data)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cr_assert_eq(
	    ptcp_conn_init(&s->c, &cfg, s->sbuf, sizeof(s->sbuf), s->rbuf, sizeof(s->rbuf)), 0);
	cr_assert_eq(ptcp_conn_set_loss(&s->c, &s->loss), 0);
	s->out.v = s->acts;
	s->out.cap = 64;
	s->out.n = 0;
	memset(&s->syn, 0, sizeof(s->syn));
	s->syn.sport = 40000;
	s->syn.dport = 80;
	s->syn.seq = IRS;
	s->syn.flags = PTCP_SYN;
	s->syn.wnd = wnd;
	s->syn.opts.present =
	    PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE | PTCP_OPT_TFO;
	s->syn.opts.mss = 1012; /* 1000 bytes of payload beside timestamps */
	s->syn.opts.ts_val = 10;
	s->syn.opts.wscale = 7;
	s->syn.opts.tfo_len = 8;
	s->syn.payload = (const uint8_t *)data;
	s->syn.payload_len = data ? strlen(data) : 0;
	memset(&s->in, 0, sizeof(s->in));
	s->in.kind = PTCP_IN_SEGMENT;
	s->in.segment.seg = &s->syn;
	ptcp_addr_v4(&s->in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&s->in.segment.dst, 10, 0, 0, 1);
}

static size_t count_emits(const ptcp_actions *o, size_t *bytes, const ptcp_seg **first)
{
	size_t n = 0;
	*bytes = 0;
	*first = NULL;
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].kind != PTCP_ACT_EMIT)
			continue;
		if (!n)
			*first = &o->v[i].emit.seg;
		*bytes += ptcp_seg_len(&o->v[i].emit.seg);
		n++;
	}
	return n;
}

Test(tfo_server, synack_acknowledges_the_data_which_is_readable_at_once)
{
	static srv s;
	size_t bytes;
	const ptcp_seg *g;
	uint8_t buf[16];
	srv_init(&s, 65535, "GET /");
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 1000000, &s.out), 0);
	cr_assert_eq(count_emits(&s.out, &bytes, &g), 1, "the SYN-ACK, no separate ACK");
	cr_assert_eq(g->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(g->seq, ISS);
	cr_assert_eq(g->ack, IRS + 1 + 5, "RFC 7413 4.2.2: SYN and data acknowledged");
	cr_assert_eq(g->sport, 80);
	cr_assert_eq(g->dport, 40000);
	cr_assert_eq(g->opts.present & PTCP_OPT_TFO, 0, "no cookie when the cookie was valid");
	cr_assert(g->opts.present & PTCP_OPT_MSS);
	cr_assert(g->opts.present & PTCP_OPT_SACK_PERM);
	cr_assert(g->opts.present & PTCP_OPT_WSCALE);
	cr_assert(g->opts.present & PTCP_OPT_TS);
	cr_assert_eq(g->opts.ts_ecr, 10, "RFC 7323 3.2: echoes the SYN's TSval");
	cr_assert_eq(ptcp_conn_state(&s.c), PTCP_ESTABLISHED);
	cr_assert_eq(ptcp_conn_recv_avail(&s.c), 5);
	ptcp_input rd = {.kind = PTCP_IN_READ};
	rd.read.buf = buf;
	rd.read.len = sizeof(buf);
	cr_assert_eq(ptcp_step(&s.c, &rd, 1000000, &s.out), 5);
	cr_assert_eq(memcmp(buf, "GET /", 5), 0);
	/* the same SYN-ACK for a retransmission */
	ptcp_seg again;
	ptcp_tfo_synack(&s.c, 1000000, &again);
	cr_assert_eq(again.flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(again.seq, ISS);
	cr_assert_eq(again.ack, IRS + 6);
}

Test(tfo_server, reply_uses_the_whole_unscaled_window_of_the_syn)
{
	static srv s;
	static uint8_t data[15000];
	size_t bytes;
	const ptcp_seg *g;
	/* RFC 7323 2.2: 7000 is exact in a SYN; scaled by 2^7 it would be 6912 */
	srv_init(&s, 7000, "x");
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 1000000, &s.out), 0);
	ptcp_input snd = {.kind = PTCP_IN_SEND};
	snd.send.data = data;
	snd.send.len = sizeof(data);
	cr_assert_eq(ptcp_step(&s.c, &snd, 1000000, &s.out), (int)sizeof(data));
	count_emits(&s.out, &bytes, &g);
	cr_assert_eq(bytes, 7000, "sent before any ACK: the SYN's window, %zu", bytes);
	cr_assert_eq(g->seq, ISS + 1);
	cr_assert_eq(g->ack, IRS + 2);
}

Test(tfo_server, a_syn_without_data_still_opens)
{
	static srv s;
	size_t bytes;
	const ptcp_seg *g;
	srv_init(&s, 65535, NULL);
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 1000000, &s.out), 0);
	cr_assert_eq(count_emits(&s.out, &bytes, &g), 1);
	cr_assert_eq(g->ack, IRS + 1);
	cr_assert_eq(ptcp_conn_recv_avail(&s.c), 0);
}

Test(tfo_server, bad_arguments)
{
	static srv s;
	srv_init(&s, 65535, "a");
	s.syn.flags = PTCP_SYN | PTCP_ACK;
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 0, &s.out), PTCP_EINVAL, "not a SYN");
	s.syn.flags = PTCP_SYN;
	cr_assert_eq(ptcp_tfo_server_open(NULL, &s.in, ISS, 0, &s.out), PTCP_EINVAL);
	cr_assert_eq(ptcp_tfo_server_open(&s.c, NULL, ISS, 0, &s.out), PTCP_EINVAL);
	s.out.cap = PTCP_ACTIONS_MIN;
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 0, &s.out), PTCP_EINVAL,
	             "room for the SYN-ACK beside a step's actions");
	s.out.cap = 64;
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 0, &s.out), 0);
	cr_assert_eq(ptcp_tfo_server_open(&s.c, &s.in, ISS, 0, &s.out), PTCP_ESTATE,
	             "the block is no longer CLOSED");
}
