/*
 * ptcp event scripts: segment events <-> ptcp_seg through the wire codec.
 * Kept apart from script.c: these are the only functions that need wire.c,
 * so programs that do not call them link without it.
 */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

int ptcp_script_seg_to_ptcp(const ptcp_script *s, const ptcp_script_seg *g, ptcp_script_dir dir,
                            uint8_t *buf, size_t cap, ptcp_ip *ip, ptcp_seg *seg)
{
	int n = ptcp_script_seg_to_packet(s, g, dir, buf, cap);
	if (n < 0)
		return n;
	return ptcp_wire_parse_packet(buf, (size_t)n, ip, seg);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ptcp_script_seg_from_ptcp(const ptcp_script *s, const ptcp_seg *seg, ptcp_script_dir dir,
                              int keep_payload, ptcp_script_seg *out)
{
	uint32_t seqbase = dir == PTCP_SCRIPT_IN ? s->isn_peer : s->isn_local;
	uint32_t ackbase = dir == PTCP_SCRIPT_IN ? s->isn_local : s->isn_peer;
	uint16_t sport = dir == PTCP_SCRIPT_IN ? s->peer_port : s->local_port;
	uint16_t dport = dir == PTCP_SCRIPT_IN ? s->local_port : s->peer_port;
	memset(out, 0, sizeof *out);
	/* The options as the codec lays them out: build the bare header. */
	ptcp_seg hdr = *seg;
	hdr.payload = hdr.payload2 = NULL;
	hdr.payload_len = hdr.payload2_len = 0;
	uint8_t tmp[PTCP_TCP_HDR_MIN + PTCP_TCP_OPT_MAX];
	int n = ptcp_wire_build_tcp(tmp, sizeof tmp, &hdr, NULL, NULL);
	if (n < 0)
		return n;
	size_t hl = (size_t)(tmp[12] >> 4) * 4;
	if (hl < PTCP_TCP_HDR_MIN || hl > (size_t)n)
		return PTCP_EOPTSIZE;
	out->opt_len = (uint8_t)(hl - PTCP_TCP_HDR_MIN);
	memcpy(out->opt, tmp + PTCP_TCP_HDR_MIN, out->opt_len);
	/* SACK blocks relative to the ack base */
	for (size_t i = 0; i < out->opt_len;) {
		uint8_t k = out->opt[i];
		if (k <= PTCP_OPTKIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= out->opt_len || out->opt[i + 1] < 2 ||
		    i + out->opt[i + 1] > out->opt_len)
			break;
		size_t l = out->opt[i + 1];
		if (k == PTCP_OPTKIND_SACK && (l - 2) % 8 == 0)
			for (size_t j = i + 2; j < i + l; j += 4)
				wr32(out->opt + j, rd32(out->opt + j) - ackbase);
		i += l;
	}
	out->flags = seg->flags;
	out->reserved = seg->reserved & 0x0f;
	out->seq = seg->seq - seqbase;
	out->ack = seg->ack - ackbase;
	out->win = seg->wnd;
	out->urp = seg->urp;
	if (seg->sport != sport || seg->dport != dport) {
		out->has_ports = 1;
		out->sport = seg->sport;
		out->dport = seg->dport;
	}
	size_t len = ptcp_seg_len(seg);
	if (len > PTCP_SCRIPT_SEG_PAYLOAD_MAX)
		return PTCP_EINVAL;
	out->len = (uint32_t)len;
	if (keep_payload) {
		out->payload = malloc(len ? len : 1);
		if (!out->payload)
			return PTCP_SCRIPT_ENOMEM;
		if (seg->payload_len)
			memcpy(out->payload, seg->payload, seg->payload_len);
		if (seg->payload2_len)
			memcpy(out->payload + seg->payload_len, seg->payload2, seg->payload2_len);
	}
	return 0;
}

int ptcp_script_push_action(ptcp_script *s, const ptcp_action *a, ptcp_time_t now, uint64_t delta,
                            int keep_payload)
{
	static const ptcp_script_kind kind_of[PTCP_ACT_KIND_COUNT] = {
	    [PTCP_ACT_EMIT] = PTCP_SCRIPT_EXPECT_SEG,
	    [PTCP_ACT_READABLE] = PTCP_SCRIPT_EXPECT_READABLE,
	    [PTCP_ACT_WRITABLE] = PTCP_SCRIPT_EXPECT_WRITABLE,
	    [PTCP_ACT_STATE] = PTCP_SCRIPT_EXPECT_STATE,
	    [PTCP_ACT_EVENT] = PTCP_SCRIPT_EXPECT_EVENT,
	    [PTCP_ACT_DEADLINE] = PTCP_SCRIPT_EXPECT_DEADLINE,
	};
	if (a->kind < PTCP_ACT_EMIT || a->kind >= PTCP_ACT_KIND_COUNT)
		return PTCP_EINVAL;
	if (a->kind == PTCP_ACT_STATE && ((unsigned)a->state.to >= PTCP_STATE_COUNT ||
	                                  (unsigned)a->state.from >= PTCP_STATE_COUNT))
		return PTCP_EINVAL;
	if (a->kind == PTCP_ACT_EVENT && (a->event.ev < 1 || a->event.ev >= PTCP_EV_COUNT ||
	                                  a->event.err > 0 || a->event.err < PTCP_ERR_MIN))
		return PTCP_EINVAL;
	ptcp_script_seg g;
	if (a->kind == PTCP_ACT_EMIT) {
		int r =
		    ptcp_script_seg_from_ptcp(s, &a->emit.seg, PTCP_SCRIPT_OUT, keep_payload, &g);
		if (r) {
			free(g.payload);
			return r;
		}
		g.ecn = a->emit.ecn & 3;
	}
	ptcp_script_event *e = ptcp_script_push(s, kind_of[a->kind]);
	if (!e) {
		if (a->kind == PTCP_ACT_EMIT)
			free(g.payload);
		return PTCP_SCRIPT_ENOMEM;
	}
	e->delta = delta > PTCP_SCRIPT_TIME_MAX ? PTCP_SCRIPT_TIME_MAX : delta;
	switch (a->kind) {
	case PTCP_ACT_EMIT:
		e->seg = g;
		break;
	case PTCP_ACT_READABLE:
		e->readable =
		    a->readable.avail > UINT32_MAX ? UINT32_MAX : (uint32_t)a->readable.avail;
		break;
	case PTCP_ACT_WRITABLE:
		e->writable =
		    a->writable.space > UINT32_MAX ? UINT32_MAX : (uint32_t)a->writable.space;
		break;
	case PTCP_ACT_STATE:
		e->state.from = (uint8_t)a->state.from;
		e->state.to = (uint8_t)a->state.to;
		break;
	case PTCP_ACT_EVENT:
		e->event.ev = (uint8_t)a->event.ev;
		e->event.err = (int8_t)a->event.err;
		break;
	case PTCP_ACT_DEADLINE:
		if (a->deadline == PTCP_TIME_NEVER)
			e->deadline = PTCP_SCRIPT_DEADLINE_NEVER;
		else if (a->deadline <= now)
			e->deadline = 0;
		else
			e->deadline = a->deadline - now > PTCP_SCRIPT_TIME_MAX
			                  ? PTCP_SCRIPT_TIME_MAX
			                  : a->deadline - now;
		break;
	default:
		break;
	}
	return 0;
}
