#include "conv.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conv_init(conv *t, const ptcp_config *cfg, size_t scap, size_t rcap)
{
	memset(t, 0, sizeof(*t));
	t->sbuf = malloc(scap);
	t->rbuf = malloc(rcap);
	cr_assert(t->sbuf && t->rbuf);
	cr_assert_eq(ptcp_conn_init(&t->c, cfg, t->sbuf, scap, t->rbuf, rcap), 0);
	cr_assert_eq(ptcp_conn_set_loss(&t->c, &t->loss), 0);
	memset(&t->st, 0, sizeof(*&t->st));
	ptcp_conn_set_stats(&t->c, &t->st);
	t->out.v = t->act;
	t->out.cap = CONV_ACTS;
	t->now = 1000000;
	t->lport = LPORT;
	t->rport = RPORT;
}

void conv_fini(conv *t)
{
	free(t->sbuf);
	free(t->rbuf);
}

int conv_step(conv *t, const ptcp_input *in)
{
	t->ret = ptcp_step(&t->c, in, t->now, &t->out);
	t->cursor = 0;
	return t->ret;
}

ptcp_handshake conv_handshake(uint32_t iss, uint32_t irs)
{
	ptcp_handshake h;
	memset(&h, 0, sizeof h);
	h.lport = RPORT;
	h.rport = LPORT;
	h.iss = iss;
	h.irs = irs;
	ptcp_addr_v4(&h.laddr, 10, 0, 0, 1);
	ptcp_addr_v4(&h.raddr, 10, 0, 0, 2);
	return h;
}

int conv_establish(conv *t, const ptcp_handshake *h)
{
	t->lport = h->lport;
	t->rport = h->rport;
	t->out.n = 0;
	t->cursor = 0;
	return t->ret = ptcp_conn_establish(&t->c, h, t->now, &t->out);
}

int conv_connect(conv *t, uint32_t iss)
{
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	ptcp_addr_v4(&in.connect.local, 10, 0, 0, 1);
	ptcp_addr_v4(&in.connect.remote, 10, 0, 0, 2);
	in.connect.lport = t->lport;
	in.connect.rport = t->rport;
	in.connect.iss = iss;
	return conv_step(t, &in);
}

void conv_client(conv *t, uint32_t flags, uint32_t iss, uint32_t piss, uint16_t mss, uint16_t wnd)
{
	ptcp_config cfg;
	ptcp_tcp_opts o = {.present = PTCP_OPT_MSS, .mss = mss};
	ptcp_config_default(&cfg);
	cfg.flags = flags;
	conv_init(t, &cfg, 16384, 16384);
	cr_assert_eq(conv_connect(t, iss), 0);
	expect_seg(t, "S", iss, 0, 0);
	conv_seg_opts(t, "S.", piss, iss + 1, wnd, &o, NULL, 0);
	expect_seg(t, ".", iss + 1, piss + 1, 0);
}

void conv_rtt_client(conv *t, uint32_t flags, uint32_t iss, uint32_t piss)
{
	ptcp_config cfg;
	ptcp_tcp_opts o = {.present = PTCP_OPT_SACK_PERM | PTCP_OPT_MSS, .mss = 1000};
	ptcp_config_default(&cfg);
	cfg.flags = PTCP_CFG_NODELAY | PTCP_CFG_SACK | PTCP_CFG_RACK | flags;
	conv_init(t, &cfg, 65536, 16384);
	conv_connect(t, iss);
	t->now += PTCP_MS(100); /* the handshake's RTT sample: 100 ms */
	conv_seg_opts(t, "S.", piss, iss + 1, 60000, &o, NULL, 0);
	expect_seg(t, ".", iss + 1, piss + 1, 0);
	conv_sendn(t, 1000);
	expect_seg(t, "P.", iss + 1, piss + 1, 1000);
	t->now += PTCP_MS(100);
	conv_seg(t, ".", piss + 1, iss + 1001, 60000, NULL, 0);
}

void expect_linux_profile_flag(uint32_t flag)
{
	ptcp_config cfg;
	ptcp_config_default(&cfg);
	cr_assert_eq(cfg.flags & flag, 0u, "flag %#x on by default", flag);
	ptcp_config_linux(&cfg);
	cr_assert_neq(cfg.flags & flag, 0u, "flag %#x off in the Linux profile", flag);
}

int conv_listen(conv *t, uint32_t iss)
{
	ptcp_input in = {.kind = PTCP_IN_LISTEN};
	in.listen.lport = t->lport;
	in.listen.iss = iss;
	return conv_step(t, &in);
}

int conv_send(conv *t, const void *data, size_t len)
{
	ptcp_input in = {.kind = PTCP_IN_SEND};
	in.send.data = data;
	in.send.len = len;
	return conv_step(t, &in);
}

int conv_sendn(conv *t, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	int r;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)i;
	r = conv_send(t, b, len);
	free(b);
	return r;
}

int conv_read(conv *t, void *buf, size_t len)
{
	ptcp_input in = {.kind = PTCP_IN_READ};
	in.read.buf = buf;
	in.read.len = len;
	return conv_step(t, &in);
}

int conv_close(conv *t)
{
	ptcp_input in = {.kind = PTCP_IN_CLOSE};
	return conv_step(t, &in);
}

int conv_shutdown(conv *t, int how)
{
	ptcp_input in = {.kind = PTCP_IN_SHUTDOWN};
	in.shutdown.how = how;
	return conv_step(t, &in);
}

int conv_abort(conv *t)
{
	ptcp_input in = {.kind = PTCP_IN_ABORT};
	return conv_step(t, &in);
}

int conv_advance(conv *t, ptcp_time_t dt)
{
	ptcp_input in = {.kind = PTCP_IN_TIME};
	t->now += dt;
	return conv_step(t, &in);
}

int conv_to_deadline(conv *t)
{
	ptcp_time_t d = ptcp_conn_next_deadline(&t->c);
	cr_assert_neq(d, PTCP_TIME_NEVER, "no deadline to run to");
	if (d > t->now)
		t->now = d;
	return conv_advance(t, 0);
}

int conv_icmp(conv *t, ptcp_icmp_kind type, uint32_t mtu, uint32_t seq)
{
	ptcp_input in = {.kind = PTCP_IN_ICMP};
	in.icmp.type = type;
	in.icmp.mtu = mtu;
	in.icmp.seq = seq;
	return conv_step(t, &in);
}

uint8_t conv_flags(const char *s)
{
	uint8_t f = 0;
	for (; *s; s++) {
		switch (*s) {
		case 'S':
			f |= PTCP_SYN;
			break;
		case 'F':
			f |= PTCP_FIN;
			break;
		case 'R':
			f |= PTCP_RST;
			break;
		case 'P':
			f |= PTCP_PSH;
			break;
		case '.':
			f |= PTCP_ACK;
			break;
		case 'U':
			f |= PTCP_URG;
			break;
		case 'E':
			f |= PTCP_ECE;
			break;
		case 'W':
			f |= PTCP_CWR;
			break;
		default:
			cr_assert_fail("bad flag character '%c'", *s);
		}
	}
	return f;
}

int conv_seg_opts(conv *t, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd,
                  const ptcp_tcp_opts *opts, const void *data, size_t len)
{
	ptcp_seg s;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	memset(&s, 0, sizeof(s));
	s.sport = t->rport;
	s.dport = t->lport;
	s.flags = conv_flags(flags);
	s.seq = seq;
	s.ack = ack;
	s.wnd = wnd;
	if (opts)
		s.opts = *opts;
	s.payload = data;
	s.payload_len = len;
	in.segment.seg = &s;
	ptcp_addr_v4(&in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&in.segment.dst, 10, 0, 0, 1);
	return conv_step(t, &in);
}

int conv_seg(conv *t, const char *flags, uint32_t seq, uint32_t ack, uint16_t wnd, const void *data,
             size_t len)
{
	static const uint8_t zeros[65536];
	return conv_seg_opts(t, flags, seq, ack, wnd, &t->peer_opts, data ? data : zeros, len);
}

static void flagstr(uint8_t f, char *b)
{
	if (f & PTCP_SYN)
		*b++ = 'S';
	if (f & PTCP_FIN)
		*b++ = 'F';
	if (f & PTCP_RST)
		*b++ = 'R';
	if (f & PTCP_PSH)
		*b++ = 'P';
	if (f & PTCP_URG)
		*b++ = 'U';
	if (f & PTCP_ECE)
		*b++ = 'E';
	if (f & PTCP_CWR)
		*b++ = 'W';
	if (f & PTCP_ACK)
		*b++ = '.';
	*b = 0;
}

const ptcp_seg *expect_seg(conv *t, const char *flags, uint32_t seq, uint32_t ack, size_t len)
{
	char want[16], got[16];
	while (t->cursor < t->out.n && t->act[t->cursor].kind != PTCP_ACT_EMIT)
		t->cursor++;
	cr_assert_lt(t->cursor, t->out.n, "expected a segment %s %u:%u(%zu) ack %u, got none",
	             flags, seq, (unsigned)(seq + len), len, ack);
	{
		const ptcp_seg *s = &t->act[t->cursor++].emit.seg;
		flagstr(conv_flags(flags), want);
		flagstr(s->flags, got);
		cr_assert_eq(s->flags, conv_flags(flags),
		             "flags: expected %s got %s (seq %u ack %u len %zu)", want, got, s->seq,
		             s->ack, ptcp_seg_len(s));
		cr_assert_eq(s->seq, seq, "%s seq: expected %u got %u", got, seq, s->seq);
		if (s->flags & PTCP_ACK)
			cr_assert_eq(s->ack, ack, "%s ack: expected %u got %u", got, ack, s->ack);
		cr_assert_eq(ptcp_seg_len(s), len, "%s len: expected %zu got %zu", got, len,
		             ptcp_seg_len(s));
		cr_assert_eq(s->sport, t->lport);
		return s;
	}
}

void expect_nothing(conv *t)
{
	for (size_t i = t->cursor; i < t->out.n; i++)
		if (t->act[i].kind == PTCP_ACT_EMIT) {
			const ptcp_seg *s = &t->act[i].emit.seg;
			char got[16];
			flagstr(s->flags, got);
			cr_assert_fail("expected no segment, got %s %u:%u(%zu) ack %u", got, s->seq,
			               (unsigned)(s->seq + ptcp_seg_len(s)), ptcp_seg_len(s),
			               s->ack);
		}
}

int saw_state(const conv *t, ptcp_state to)
{
	for (size_t i = 0; i < t->out.n; i++)
		if (t->act[i].kind == PTCP_ACT_STATE && t->act[i].state.to == to)
			return 1;
	return 0;
}

int saw_event(const conv *t, ptcp_event ev, int *err)
{
	for (size_t i = 0; i < t->out.n; i++)
		if (t->act[i].kind == PTCP_ACT_EVENT && t->act[i].event.ev == ev) {
			if (err)
				*err = t->act[i].event.err;
			return 1;
		}
	return 0;
}

ptcp_time_t last_deadline(const conv *t)
{
	return ptcp_conn_next_deadline(&t->c);
}

size_t count_emits(const conv *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->out.n; i++)
		n += t->act[i].kind == PTCP_ACT_EMIT;
	return n;
}
