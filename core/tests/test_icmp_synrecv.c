/*
 * ICMP net/host unreachable (and time exceeded) for a passive connection in
 * SYN-RECEIVED, with and without PTCP_CFG_ICMP_SYNRECV_HARD.  Off (default):
 * a soft error (RFC 1122 4.2.3.9, RFC 5461 4.1), the handshake completes.
 * On (ptcp_config_linux): the connection is dropped (Linux's tcp_req_err)
 * and the peer's final ACK then meets a CLOSED block; ptcp_tfo_icmp() does
 * the same for a Fast Open connection nobody accepted yet, and
 * ptcp_table_icmp() for the table's SYN-queue entries and connections.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"
#include "ptcp/listener.h"
#include "tconv.h"

#define ISS  1000u
#define PISS 5000u /* the peer's ISS */
#define BUFS 16384u

static const ptcp_tcp_opts mss1460 = {.present = PTCP_OPT_MSS, .mss = 1460};

/* A passive open that sent its SYN-ACK. */
static void syn_received(conv *t, uint32_t extra)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY | extra;
	conv_init(t, &cfg, BUFS, BUFS);
	cr_assert_eq(conv_listen(t, ISS), 0);
	conv_seg_opts(t, "S", PISS, 0, 8192, &mss1460, NULL, 0);
	expect_seg(t, "S.", ISS, PISS + 1, 0);
	cr_assert_eq(ptcp_conn_state(&t->c), PTCP_SYN_RECEIVED);
}

Test(icmp_synrecv, default_soft_error_handshake_goes_on)
{
	conv t;
	int err = 0;
	syn_received(&t, 0);
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_HOST_UNREACH, 0, ISS), 0);
	expect_nothing(&t);
	cr_assert(saw_event(&t, PTCP_EV_SOFT_ERROR, &err));
	cr_assert_eq(err, PTCP_EUNREACH);
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_SYN_RECEIVED);
	conv_seg(&t, ".", PISS + 1, ISS + 1, 8192, NULL, 0);
	cr_assert(saw_state(&t, PTCP_ESTABLISHED));
	conv_fini(&t);
}

static void hard(ptcp_icmp_kind kind)
{
	conv t;
	int err = 0;
	syn_received(&t, PTCP_CFG_ICMP_SYNRECV_HARD);
	cr_assert_eq(conv_icmp(&t, kind, 0, ISS), 0);
	expect_nothing(&t); /* no RST: the request just goes */
	cr_assert(saw_event(&t, PTCP_EV_ERROR, &err));
	cr_assert_eq(err, PTCP_EUNREACH);
	cr_assert(saw_state(&t, PTCP_CLOSED));
	/* the final ACK meets a CLOSED block: RFC 9293 3.10.7.1 reset */
	conv_seg(&t, ".", PISS + 1, ISS + 1, 8192, NULL, 0);
	expect_seg(&t, "R", ISS + 1, 0, 0);
	conv_fini(&t);
}

Test(icmp_synrecv, flag_host_unreachable_drops_the_connection)
{
	hard(PTCP_ICMP_HOST_UNREACH);
}

Test(icmp_synrecv, flag_net_unreachable_drops_the_connection)
{
	hard(PTCP_ICMP_NET_UNREACH);
}

Test(icmp_synrecv, flag_time_exceeded_drops_the_connection)
{
	hard(PTCP_ICMP_TIME_EXCEEDED);
}

Test(icmp_synrecv, flag_out_of_window_or_port_unreachable_change_nothing)
{
	conv t;
	int err = 0;
	syn_received(&t, PTCP_CFG_ICMP_SYNRECV_HARD);
	/* RFC 5927 4.1: an error quoting a sequence number we never sent is not believed */
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_HOST_UNREACH, 0, ISS + 5000), 0);
	cr_assert_not(saw_event(&t, PTCP_EV_ERROR, &err));
	ptcp_stats st;
	ptcp_conn_stats(&t.c, &st);
	cr_assert_eq(st.drops[PTCP_DROP_ICMP_INVALID], 1);
	/* RFC 5461 4.1: port unreachable is soft for a passive open (flag or not) */
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_PORT_UNREACH, 0, ISS), 0);
	cr_assert(saw_event(&t, PTCP_EV_SOFT_ERROR, &err));
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_SYN_RECEIVED);
	conv_fini(&t);
}

Test(icmp_synrecv, flag_established_connection_stays_soft)
{
	conv t;
	int err = 0;
	syn_received(&t, PTCP_CFG_ICMP_SYNRECV_HARD);
	conv_seg(&t, ".", PISS + 1, ISS + 1, 8192, NULL, 0);
	cr_assert_eq(conv_sendn(&t, 100), 100);
	expect_seg(&t, "P.", ISS + 1, PISS + 1, 100);
	cr_assert_eq(conv_icmp(&t, PTCP_ICMP_HOST_UNREACH, 0, ISS + 1), 0);
	cr_assert(saw_event(&t, PTCP_EV_SOFT_ERROR, &err));
	cr_assert_eq(ptcp_conn_state(&t.c), PTCP_ESTABLISHED);
	conv_fini(&t);
}

/* ---- ptcp_tfo_icmp: a Fast Open connection whose SYN-ACK is not acknowledged ---- */

typedef struct tfo {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	uint8_t sbuf[BUFS], rbuf[BUFS];
	ptcp_action acts[256];
	ptcp_actions out;
	ptcp_seg syn;
	ptcp_input in;
} tfo;

static void tfo_open(tfo *s, uint32_t flags)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cfg.flags = flags;
	cr_assert_eq(ptcp_conn_init(&s->c, &cfg, s->sbuf, BUFS, s->rbuf, BUFS), 0);
	cr_assert_eq(ptcp_conn_set_loss(&s->c, &s->loss), 0);
	s->out.v = s->acts;
	s->out.cap = 256;
	memset(&s->syn, 0, sizeof(s->syn));
	s->syn.sport = 40000;
	s->syn.dport = 80;
	s->syn.seq = PISS;
	s->syn.flags = PTCP_SYN;
	s->syn.wnd = 8192;
	s->syn.opts = mss1460;
	s->syn.payload = (const uint8_t *)"0123456789";
	s->syn.payload_len = 10;
	memset(&s->in, 0, sizeof(s->in));
	s->in.kind = PTCP_IN_SEGMENT;
	s->in.segment.seg = &s->syn;
	ptcp_addr_v4(&s->in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&s->in.segment.dst, 10, 0, 0, 1);
	cr_assert_eq(ptcp_tfo_server_open(&s->c, &s->in, ISS, 1000000, &s->out), 0);
}

static int tfo_icmp(tfo *s, ptcp_icmp_kind kind, uint32_t seq)
{
	ptcp_input in = {.kind = PTCP_IN_ICMP};
	in.icmp.type = kind;
	in.icmp.seq = seq;
	return ptcp_tfo_icmp(&s->c, &in, 1100000, &s->out);
}

static size_t emits(const ptcp_actions *o)
{
	size_t n = 0;
	for (size_t i = 0; i < o->n; i++)
		n += o->v[i].kind == PTCP_ACT_EMIT;
	return n;
}

Test(icmp_synrecv, tfo_flag_closes_keeps_the_syn_data_then_the_error)
{
	tfo s;
	uint8_t b[32];
	ptcp_input rd = {.kind = PTCP_IN_READ};
	tfo_open(&s, PTCP_CFG_ICMP_SYNRECV_HARD);
	cr_assert_eq(tfo_icmp(&s, PTCP_ICMP_HOST_UNREACH, ISS + 5000), 0, "not about the SYN-ACK");
	cr_assert_eq(ptcp_conn_state(&s.c), PTCP_ESTABLISHED);
	cr_assert_eq(tfo_icmp(&s, PTCP_ICMP_HOST_UNREACH, ISS), 1);
	cr_assert_eq(emits(&s.out), 0, "nothing sent");
	cr_assert_eq(ptcp_conn_state(&s.c), PTCP_CLOSED);
	rd.read.buf = b;
	rd.read.len = sizeof(b);
	cr_assert_eq(ptcp_step(&s.c, &rd, 1200000, &s.out), 10, "the SYN's data first");
	cr_assert_eq(ptcp_step(&s.c, &rd, 1200000, &s.out), PTCP_EUNREACH, "then the error");
}

Test(icmp_synrecv, tfo_default_is_a_soft_error)
{
	tfo s;
	tfo_open(&s, 0);
	cr_assert_eq(tfo_icmp(&s, PTCP_ICMP_HOST_UNREACH, ISS), 0);
	cr_assert_eq(ptcp_conn_state(&s.c), PTCP_ESTABLISHED);
	cr_assert_eq(ptcp_conn_recv_avail(&s.c), 10);
}

/* ---- ptcp_table_icmp: SYN-queue entries and pending Fast Open connections ---- */

static int ticmp(tconv *c, ptcp_icmp_kind kind, uint32_t seq)
{
	ptcp_input in = {.kind = PTCP_IN_ICMP};
	ptcp_tuple k = {.laddr = c->server, .raddr = c->client, .lport = SPORT, .rport = c->cport};
	in.icmp.type = kind;
	in.icmp.seq = seq;
	c->cursor = 0;
	c->ret = ptcp_table_icmp(&c->t, &k, &in, c->now, &c->out);
	return c->ret;
}

/* A table (connections configured with flags) and one SYN in its queue; returns our ISS. */
static uint32_t table_request(tconv *c, uint32_t flags, uint32_t tbl_flags)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	cfg.conn.flags |= flags;
	cfg.flags = tbl_flags;
	tconv_init(c, &cfg);
	cr_assert_geq(tconv_listen(c, 4), 0);
	tconv_seg(c, "S", PISS, 0, 65535, NULL, NULL, 0);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->flags, PTCP_SYN | PTCP_ACK);
	cr_assert_eq(tusage(c).requests, 1);
	return s->seq;
}

Test(icmp_synrecv, table_flag_drops_the_request_counted)
{
	tconv c;
	uint32_t iss = table_request(&c, PTCP_CFG_ICMP_SYNRECV_HARD, 0);
	cr_assert_eq(ticmp(&c, PTCP_ICMP_HOST_UNREACH, iss + 1), 0);
	cr_assert_eq(tusage(&c).requests, 1, "not about our SYN-ACK: ignored");
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ICMP_IGNORED), 1);
	cr_assert_eq(ticmp(&c, PTCP_ICMP_HOST_UNREACH, iss), 0);
	texpect_nothing(&c);
	cr_assert_eq(tusage(&c).requests, 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_REQUEST_ICMP), 1);
	/* no SYN-ACK retransmission for it any more, and its final ACK makes nothing */
	tconv_time(&c, c.now + PTCP_SEC(10));
	texpect_nothing(&c);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	cr_assert_eq(tconnected(&c), PTCP_NO_HANDLE);
	cr_assert_eq(tusage(&c).conns, 0);
	tconv_fini(&c);
}

Test(icmp_synrecv, table_default_keeps_the_request)
{
	tconv c;
	uint32_t iss = table_request(&c, 0, 0);
	cr_assert_eq(ticmp(&c, PTCP_ICMP_HOST_UNREACH, iss), 0);
	cr_assert_eq(tusage(&c).requests, 1, "RFC 1122 4.2.3.9: soft");
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ICMP_IGNORED), 1);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_REQUEST_ICMP), 0);
	tconv_seg(&c, ".", PISS + 1, iss + 1, 1000, NULL, NULL, 0);
	cr_assert_neq(tconnected(&c), PTCP_NO_HANDLE, "the handshake completes");
	/* an error about a 4-tuple the table does not know is counted */
	c.cport = CPORT + 7;
	cr_assert_eq(ticmp(&c, PTCP_ICMP_NET_UNREACH, 1), 0);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_ICMP_IGNORED), 2);
	tconv_fini(&c);
}

/* A Fast Open connection in the table, SYN-ACK unacknowledged; returns our ISS. */
static uint32_t table_tfo(tconv *c, uint32_t flags, ptcp_handle *h)
{
	ptcp_table_config cfg;
	uint8_t cookie[PTCP_TFO_COOKIE_LEN];
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS | PTCP_OPT_TFO, .mss = 1460, .tfo_len = 8};
	tconv_cfg(&cfg);
	cfg.conn.flags |= flags;
	cfg.flags |= PTCP_TBL_TFO;
	tconv_init(c, &cfg);
	cr_assert_geq(tconv_listen(c, 4), 0);
	ptcp_tfo_cookie(c->t.k_tfo, &c->client, cookie);
	memcpy(o.tfo_cookie, cookie, 8);
	tconv_seg(c, "S", PISS, 0, 65535, &o, "GET /", 5);
	const ptcp_seg *s = tnext(c);
	cr_assert_eq(s->ack, PISS + 6, "the data accepted");
	*h = tconnected(c);
	cr_assert_neq(*h, PTCP_NO_HANDLE);
	cr_assert_eq(tusage(c).tfo_pending, 1);
	return s->seq;
}

Test(icmp_synrecv, table_flag_closes_an_unaccepted_fast_open_connection)
{
	tconv c;
	ptcp_handle h;
	uint32_t iss = table_tfo(&c, PTCP_CFG_ICMP_SYNRECV_HARD, &h);
	cr_assert_eq(ticmp(&c, PTCP_ICMP_HOST_UNREACH, iss), 0);
	texpect_nothing(&c);
	cr_assert(tsaw_event(&c, h, PTCP_EV_ERROR));
	cr_assert_eq(tusage(&c).conns, 0, "never accepted: the block is free again");
	cr_assert_eq(tusage(&c).tfo_pending, 0);
	tconv_fini(&c);
}

Test(icmp_synrecv, table_accepted_fast_open_connection_is_left_alone)
{
	tconv c;
	ptcp_handle h, a;
	uint32_t iss = table_tfo(&c, PTCP_CFG_ICMP_SYNRECV_HARD, &h);
	cr_assert_eq(ptcp_table_accept(&c.t, 0, &a), 0);
	cr_assert_eq(a, h);
	cr_assert_eq(ticmp(&c, PTCP_ICMP_HOST_UNREACH, iss), 0);
	cr_assert_not(tsaw_event(&c, h, PTCP_EV_ERROR));
	cr_assert_eq(ptcp_conn_state(ptcp_table_conn(&c.t, h)), PTCP_ESTABLISHED);
	tconv_fini(&c);
}
