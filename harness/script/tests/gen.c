/* Test helpers: PRNG and random scenarios. */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t gen_next(gen_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t gen_below(gen_rng *r, uint64_t n)
{
	return gen_next(r) % n;
}

static int coin(gen_rng *r, unsigned percent)
{
	return gen_below(r, 100) < percent;
}

/* A number in 0..max, biased towards small and boundary values. */
static uint64_t num(gen_rng *r, uint64_t max)
{
	switch (gen_below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return gen_below(r, 10) % (max + 1);
	case 3:
		return gen_below(r, 1000) % (max + 1);
	default:
		return max == UINT64_MAX ? gen_next(r) : gen_below(r, max + 1);
	}
}

static uint64_t dur(gen_rng *r)
{
	switch (gen_below(r, 5)) {
	case 0:
		return 0;
	case 1:
		return gen_below(r, 1000) * 1000000;
	case 2:
		return gen_below(r, 100000) * 1000;
	case 3:
		return gen_below(r, 100000);
	default:
		return gen_below(r, PTCP_SCRIPT_TIME_MAX + 1);
	}
}

static uint8_t *rand_bytes(gen_rng *r, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)gen_next(r);
	return b;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t gen_opts(gen_rng *r, uint8_t *o)
{
	size_t n = 0;
	if (coin(r, 20)) {
		n = (size_t)gen_below(r, PTCP_TCP_OPT_MAX + 1);
		for (size_t i = 0; i < n; i++)
			o[i] = (uint8_t)(coin(r, 50) ? gen_below(r, 10) : gen_next(r));
		return n;
	}
	unsigned items = (unsigned)gen_below(r, 8);
	for (unsigned it = 0; it < items; it++) {
		uint8_t tmp[PTCP_TCP_OPT_MAX];
		size_t k = 0;
		switch (gen_below(r, 11)) {
		case 0:
			tmp[k++] = 1;
			break;
		case 1:
			tmp[k++] = 0;
			break;
		case 2:
			tmp[k++] = 2, tmp[k++] = 4;
			tmp[k++] = (uint8_t)gen_next(r), tmp[k++] = (uint8_t)gen_next(r);
			break;
		case 3:
			tmp[k++] = 3, tmp[k++] = 3, tmp[k++] = (uint8_t)gen_below(r, 20);
			break;
		case 4:
			tmp[k++] = 4, tmp[k++] = 2;
			break;
		case 5: {
			unsigned nb = (unsigned)gen_below(r, 5);
			tmp[k++] = 5, tmp[k++] = (uint8_t)(2 + 8 * nb);
			for (unsigned b = 0; b < 2 * nb; b++, k += 4)
				put32(tmp + k, (uint32_t)num(r, UINT32_MAX));
			break;
		}
		case 6:
			tmp[k++] = 8, tmp[k++] = 10;
			put32(tmp + k, (uint32_t)gen_next(r));
			put32(tmp + k + 4, (uint32_t)num(r, UINT32_MAX));
			k += 8;
			break;
		case 7: {
			unsigned cl = (unsigned)gen_below(r, 17);
			tmp[k++] = 34, tmp[k++] = (uint8_t)(2 + cl);
			for (unsigned i = 0; i < cl; i++)
				tmp[k++] = (uint8_t)gen_next(r);
			break;
		}
		case 8: {
			unsigned cl = (unsigned)gen_below(r, 9);
			tmp[k++] = 254, tmp[k++] = (uint8_t)(4 + cl), tmp[k++] = 0xf9,
			tmp[k++] = 0x89;
			for (unsigned i = 0; i < cl; i++)
				tmp[k++] = (uint8_t)gen_next(r);
			break;
		}
		case 9: {
			unsigned cl = (unsigned)gen_below(r, 6);
			tmp[k++] = (uint8_t)gen_next(r), tmp[k++] = (uint8_t)(2 + cl);
			for (unsigned i = 0; i < cl; i++)
				tmp[k++] = (uint8_t)gen_next(r);
			break;
		}
		default: {
			/* malformed tail: a kind with a bad length */
			tmp[k++] = (uint8_t)(2 + gen_below(r, 40));
			tmp[k++] = (uint8_t)gen_below(r, 2);
			break;
		}
		}
		if (n + k > PTCP_TCP_OPT_MAX)
			break;
		memcpy(o + n, tmp, k);
		n += k;
	}
	return n;
}

static int gen_seg(gen_rng *r, ptcp_script_seg *g, int expect)
{
	g->flags = (uint8_t)(coin(r, 70) ? (gen_next(r) & 0x1f) : gen_next(r));
	g->reserved = coin(r, 80) ? 0 : (uint8_t)gen_below(r, 16);
	g->ecn = coin(r, 80) ? 0 : (uint8_t)gen_below(r, 4);
	g->seq = (uint32_t)num(r, UINT32_MAX);
	g->ack = (uint32_t)num(r, UINT32_MAX);
	g->win = (uint16_t)num(r, 65535);
	g->urp = coin(r, 80) ? 0 : (uint16_t)num(r, 65535);
	g->opt_len = (uint8_t)gen_opts(r, g->opt);
	g->len = coin(r, 95) ? (uint32_t)gen_below(r, 64)
	                     : (uint32_t)num(r, PTCP_SCRIPT_SEG_PAYLOAD_MAX);
	if (coin(r, 20)) {
		g->has_ports = 1;
		g->sport = (uint16_t)num(r, 65535);
		g->dport = (uint16_t)num(r, 65535);
	}
	if (expect && coin(r, 40)) {
		g->wild = (uint8_t)gen_below(r, PTCP_SCRIPT_WILD_ALL + 1);
		if (g->wild & PTCP_SCRIPT_WILD_SEQ)
			g->seq = 0;
		if (g->wild & PTCP_SCRIPT_WILD_ACK)
			g->ack = 0;
		if (g->wild & PTCP_SCRIPT_WILD_WIN)
			g->win = 0;
		if (g->wild & PTCP_SCRIPT_WILD_OPTS)
			g->opt_len = 0;
		if (g->wild & PTCP_SCRIPT_WILD_LEN)
			g->len = 0;
	}
	if (!(g->wild & PTCP_SCRIPT_WILD_LEN) && g->len <= 256 && coin(r, 25)) {
		g->payload = rand_bytes(r, g->len);
		if (!g->payload)
			return -1;
	}
	return 0;
}

int gen_scenario(gen_rng *r, ptcp_script *s, size_t max_events)
{
	ptcp_script_init(s);
	s->role = coin(r, 50) ? PTCP_SCRIPT_SERVER : PTCP_SCRIPT_CLIENT;
	if (coin(r, 50))
		s->cfg.flags = (uint32_t)gen_next(r) & PTCP_SCRIPT_CFG_FLAGS_ALL;
	if (coin(r, 30))
		s->cfg.mss = (uint16_t)(1 + gen_below(r, 65535));
	if (coin(r, 30))
		s->cfg.wscale = coin(r, 20) ? PTCP_SCRIPT_WSCALE_AUTO : (uint8_t)gen_below(r, 15);
	if (coin(r, 20))
		s->cfg.syn_retries = (uint8_t)gen_next(r);
	if (coin(r, 20))
		s->cfg.synack_retries = (uint8_t)gen_next(r);
	if (coin(r, 20))
		s->cfg.max_retries = (uint8_t)gen_next(r);
	if (coin(r, 20))
		s->cfg.init_cwnd = (uint16_t)(1 + gen_below(r, 65535));
	if (coin(r, 20))
		s->cfg.rto_initial = dur(r);
	if (coin(r, 20))
		s->cfg.rto_min = dur(r);
	if (coin(r, 20))
		s->cfg.rto_max = dur(r);
	if (coin(r, 20))
		s->cfg.msl = dur(r);
	if (coin(r, 20))
		s->cfg.fin_wait2_timeout = dur(r);
	if (coin(r, 20))
		s->cfg.user_timeout = dur(r);
	if (coin(r, 20))
		s->cfg.ts_offset = (uint32_t)gen_next(r);
	if (coin(r, 30))
		s->cfg.sndbuf = (uint32_t)(1 + gen_below(r, PTCP_SCRIPT_BUF_MAX));
	if (coin(r, 30))
		s->cfg.rcvbuf = (uint32_t)(1 + gen_below(r, PTCP_SCRIPT_BUF_MAX));
	if (coin(r, 20))
		s->cfg.start = dur(r);
	if (coin(r, 20))
		s->cfg.delack = dur(r);
	if (coin(r, 20))
		s->cfg.quickack = (uint16_t)num(r, 65535);
	if (coin(r, 20))
		s->cfg.keepalive_idle = dur(r);
	if (coin(r, 20))
		s->cfg.keepalive_intvl = dur(r);
	if (coin(r, 20))
		s->cfg.keepalive_cnt = (uint8_t)gen_next(r);
	if (coin(r, 20))
		s->cfg.cc = (uint8_t)gen_below(r, PTCP_SCRIPT_CC_COUNT);
	s->isn_local = (uint32_t)num(r, UINT32_MAX);
	s->isn_peer = (uint32_t)num(r, UINT32_MAX);
	ptcp_script_default_addr(s, s->role, coin(r, 30) ? 6 : 4);
	if (coin(r, 40)) {
		size_t n = s->local_addr.family == 6 ? 16 : 4;
		for (size_t i = 0; i < n; i++) {
			/* runs of zeros exercise the IPv6 "::" formatting */
			s->local_addr.bytes[i] = coin(r, 50) ? 0 : (uint8_t)gen_next(r);
			s->peer_addr.bytes[i] = coin(r, 50) ? 0 : (uint8_t)gen_next(r);
		}
		s->local_port = (uint16_t)num(r, 65535);
		s->peer_port = (uint16_t)num(r, 65535);
	}
	size_t n = (size_t)gen_below(r, max_events + 1);
	for (size_t i = 0; i < n; i++) {
		ptcp_script_kind k = (ptcp_script_kind)gen_below(r, PTCP_SCRIPT_KIND_COUNT);
		ptcp_script_event *e = ptcp_script_push(s, k);
		if (!e)
			return -1;
		e->delta = coin(r, 50) ? 0 : dur(r);
		switch (k) {
		case PTCP_SCRIPT_SEGMENT:
		case PTCP_SCRIPT_EXPECT_SEG:
			if (gen_seg(r, &e->seg, k == PTCP_SCRIPT_EXPECT_SEG))
				return -1;
			break;
		case PTCP_SCRIPT_RAW:
			e->raw.len = coin(r, 10) ? 0 : (uint32_t)gen_below(r, 120);
			if (e->raw.len && !(e->raw.data = rand_bytes(r, e->raw.len)))
				return -1;
			break;
		case PTCP_SCRIPT_ICMP:
			e->icmp.type = (uint8_t)(1 + gen_below(r, PTCP_ICMP_KIND_COUNT - 1));
			e->icmp.mtu = coin(r, 50) ? 0 : (uint32_t)num(r, UINT32_MAX);
			e->icmp.seq = (uint32_t)num(r, UINT32_MAX);
			break;
		case PTCP_SCRIPT_LISTEN:
			e->listen.any = (uint8_t)gen_below(r, 2);
			break;
		case PTCP_SCRIPT_CONNECT:
			if (coin(r, 50)) {
				e->connect.tfo = 1;
				e->connect.tfo_len = (uint8_t)gen_below(r, PTCP_TFO_COOKIE_MAX + 1);
				for (unsigned k = 0; k < e->connect.tfo_len; k++)
					e->connect.tfo_cookie[k] = (uint8_t)gen_next(r);
				e->connect.tfo_mss = coin(r, 50) ? 0 : (uint16_t)num(r, 65535);
			}
			if (coin(r, 50))
				e->connect.len = (uint32_t)num(r, PTCP_SCRIPT_IO_MAX);
			break;
		case PTCP_SCRIPT_SETOPT:
			e->setopt.flags = (coin(r, 50) ? PTCP_CFG_NODELAY : 0u) |
			                  (coin(r, 50) ? PTCP_CFG_CORK : 0u);
			e->setopt.keepalive_cnt = (uint8_t)gen_below(r, 256);
			e->setopt.challenge_ack_limit = (uint32_t)num(r, UINT32_MAX);
			e->setopt.keepalive_idle = coin(r, 30) ? 0 : dur(r);
			e->setopt.keepalive_intvl = coin(r, 30) ? 0 : dur(r);
			e->setopt.user_timeout = coin(r, 30) ? 0 : dur(r);
			e->setopt.delack = coin(r, 30) ? 0 : dur(r);
			break;
		case PTCP_SCRIPT_SEND:
			e->send.len = (uint32_t)num(r, PTCP_SCRIPT_IO_MAX);
			e->send.more = (uint8_t)gen_below(r, 2);
			if (coin(r, 30)) {
				e->send.len = (uint32_t)gen_below(r, 100);
				if (!(e->send.data = rand_bytes(r, e->send.len)))
					return -1;
			}
			break;
		case PTCP_SCRIPT_READ:
			e->read.len = (uint32_t)num(r, PTCP_SCRIPT_IO_MAX);
			e->read.discard = (uint8_t)gen_below(r, 2);
			break;
		case PTCP_SCRIPT_SHUTDOWN:
			e->shutdown.how = (uint8_t)(1 + gen_below(r, 3));
			break;
		case PTCP_SCRIPT_EXPECT_STATE:
			e->state.to = (uint8_t)gen_below(r, PTCP_STATE_COUNT);
			e->state.from = coin(r, 30) ? PTCP_SCRIPT_STATE_ANY
			                            : (uint8_t)gen_below(r, PTCP_STATE_COUNT);
			break;
		case PTCP_SCRIPT_EXPECT_EVENT:
			e->event.ev = (uint8_t)(1 + gen_below(r, PTCP_EV_COUNT - 1));
			e->event.err =
			    coin(r, 50) ? 0 : (int8_t) - (int)gen_below(r, -PTCP_ERR_MIN + 1);
			break;
		case PTCP_SCRIPT_EXPECT_READABLE:
			e->readable = (uint32_t)num(r, UINT32_MAX);
			break;
		case PTCP_SCRIPT_EXPECT_WRITABLE:
			e->writable = (uint32_t)num(r, UINT32_MAX);
			break;
		case PTCP_SCRIPT_EXPECT_DEADLINE:
			e->deadline = coin(r, 20) ? PTCP_SCRIPT_DEADLINE_NEVER : dur(r);
			break;
		case PTCP_SCRIPT_EXPECT_RET:
			e->ret = coin(r, 30) ? -(int32_t)gen_below(r, 30)
			                     : (int32_t)(uint32_t)num(r, UINT32_MAX);
			break;
		default:
			break;
		}
	}
	return 0;
}

char *gen_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap + 1);
	while (b) {
		size_t k = fread(b + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		char *nb = realloc(b, 2 * cap + 1);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		cap *= 2;
	}
	fclose(f);
	if (b) {
		b[n] = 0;
		*len = n;
	}
	return b;
}
