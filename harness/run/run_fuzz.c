/*
 * The fuzz_conn input (see run.h, ptcp_run_fuzz_prepare): binary script,
 * a prefix chosen by byte 0, bounded work.
 *
 * IMPLEMENTATION NOTES
 * The prefixes are plain script events in front of the decoded ones, so
 * that a recording or a text dump of the prepared scenario shows exactly
 * what ran.  They use the scenario's own ISNs, addresses and configuration;
 * peer segments carry MSS 1460, SACK-permitted, timestamps and window
 * scale 7 on the SYN, and timestamps after it; the peer's window is 64 KiB
 * throughout (512 << 7, or 65535 when the core does not scale).
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t syn_opts[20] = {
    2, 4,  0x05, 0xb4,                     /* mss 1460 */
    4, 2,                                  /* sackOK */
    8, 10, 0,    0,    0, 100, 0, 0, 0, 0, /* TS val 100 ecr 0 */
    1,                                     /* nop */
    3, 3,  7                               /* wscale 7 */
};

struct pb {
	ptcp_script *s;
	uint32_t tsval;
	int oom;
};

static ptcp_script_event *add(struct pb *b, ptcp_script_kind k, uint64_t delta)
{
	ptcp_script_event *e = ptcp_script_push(b->s, k);
	if (!e) {
		b->oom = 1;
		return NULL;
	}
	e->delta = delta;
	return e;
}

/* < flags seq:seq+len(len) ack ack win w <nop,nop,TS val .. ecr 0> */
static void seg(struct pb *b, uint64_t delta, uint8_t flags, uint32_t seq, uint32_t ack,
                uint32_t len)
{
	ptcp_script_event *e = add(b, PTCP_SCRIPT_SEGMENT, delta);
	if (!e)
		return;
	ptcp_script_seg *g = &e->seg;
	g->flags = flags;
	g->seq = seq;
	g->ack = ack;
	g->len = len;
	b->tsval++;
	if (flags & PTCP_SYN) {
		g->win = 65535;
		g->opt_len = sizeof syn_opts;
		memcpy(g->opt, syn_opts, sizeof syn_opts);
		g->opt[8] = (uint8_t)(b->tsval >> 24);
		g->opt[9] = (uint8_t)(b->tsval >> 16);
		g->opt[10] = (uint8_t)(b->tsval >> 8);
		g->opt[11] = (uint8_t)b->tsval;
	} else {
		/* 64 KiB: 512 << 7 with window scaling, else the SYN's 65535 */
		g->win = (b->s->cfg.flags & PTCP_CFG_WSCALE) ? 512 : 65535;
		g->opt_len = 12;
		g->opt[0] = g->opt[1] = 1;
		g->opt[2] = 8;
		g->opt[3] = 10;
		g->opt[4] = (uint8_t)(b->tsval >> 24);
		g->opt[5] = (uint8_t)(b->tsval >> 16);
		g->opt[6] = (uint8_t)(b->tsval >> 8);
		g->opt[7] = (uint8_t)b->tsval;
	}
}

static void prefix(struct pb *b, unsigned mode)
{
	int server = b->s->role == PTCP_SCRIPT_SERVER;
	if (mode == 0)
		return;
	if (server) {
		add(b, PTCP_SCRIPT_LISTEN, 0);
		if (mode == 1)
			return;
		seg(b, PTCP_MS(1), PTCP_SYN, 0, 0, 0);
		seg(b, PTCP_MS(10), PTCP_ACK, 1, 1, 0);
	} else {
		add(b, PTCP_SCRIPT_CONNECT, 0);
		if (mode == 1)
			return;
		seg(b, PTCP_MS(10), PTCP_SYN | PTCP_ACK, 0, 1, 0);
	}
	ptcp_script_event *e;
	switch (mode) {
	case 3: /* 3000 bytes out, unacknowledged */
		if ((e = add(b, PTCP_SCRIPT_SEND, PTCP_MS(1))))
			e->send.len = 3000;
		break;
	case 4: /* 3000 bytes in after a 1000-byte hole */
		seg(b, PTCP_MS(1), PTCP_ACK | PTCP_PSH, 1001, 1, 1000);
		seg(b, 0, PTCP_ACK | PTCP_PSH, 2001, 1, 1000);
		seg(b, 0, PTCP_ACK | PTCP_PSH, 3001, 1, 1000);
		break;
	case 5: /* CLOSE-WAIT */
		seg(b, PTCP_MS(1), PTCP_ACK | PTCP_FIN, 1, 1, 0);
		break;
	case 6: /* FIN-WAIT-1 */
		add(b, PTCP_SCRIPT_CLOSE, PTCP_MS(1));
		break;
	case 7: /* TIME-WAIT */
		add(b, PTCP_SCRIPT_CLOSE, PTCP_MS(1));
		if (server) { /* simultaneous close: CLOSING, then TIME-WAIT */
			seg(b, PTCP_MS(1), PTCP_ACK | PTCP_FIN, 1, 1, 0);
			seg(b, PTCP_MS(1), PTCP_ACK, 2, 2, 0);
		} else { /* FIN-WAIT-2, then TIME-WAIT */
			seg(b, PTCP_MS(1), PTCP_ACK, 1, 2, 0);
			seg(b, PTCP_MS(1), PTCP_ACK | PTCP_FIN, 1, 2, 0);
		}
		break;
	default:
		break;
	}
}

int ptcp_run_fuzz_prepare(const uint8_t *data, size_t len, ptcp_script *out, ptcp_run_config *cfg)
{
	ptcp_script dec;
	uint8_t b0 = len ? data[0] : 0;
	int rc = ptcp_script_decode_binary(data, len, &dec);
	if (rc) {
		ptcp_script_init(out);
		return rc;
	}
	/* the header, with the configuration clamped into what the core takes */
	ptcp_script_init(out);
	out->role = dec.role;
	out->cfg = dec.cfg;
	out->isn_local = dec.isn_local;
	out->isn_peer = dec.isn_peer;
	out->local_addr = dec.local_addr;
	out->peer_addr = dec.peer_addr;
	out->local_port = dec.local_port;
	out->peer_port = dec.peer_port;
	ptcp_script_config *c = &out->cfg;
	if (c->mss < 64)
		c->mss = 64;
	if (c->rto_initial == 0)
		c->rto_initial = 1;
	if (c->rto_min == 0)
		c->rto_min = 1;
	if (c->rto_max < c->rto_min)
		c->rto_max = c->rto_min;
	if (c->init_cwnd == 0)
		c->init_cwnd = 1;
	if (c->sndbuf > PTCP_RUN_FUZZ_BUF)
		c->sndbuf = PTCP_RUN_FUZZ_BUF;
	if (c->rcvbuf > PTCP_RUN_FUZZ_BUF)
		c->rcvbuf = PTCP_RUN_FUZZ_BUF;

	struct pb b = {out, 100, 0};
	prefix(&b, (b0 >> 1) & 7u);
	/* the decoded events, expect lines dropped, at most PTCP_RUN_FUZZ_EVENTS */
	size_t kept = 0;
	uint64_t carry = 0; /* deltas of dropped expect lines still count */
	for (size_t i = 0; i < dec.n && !b.oom; i++) {
		ptcp_script_event *e = &dec.ev[i];
		if (ptcp_script_is_expect(e->kind) || kept >= PTCP_RUN_FUZZ_EVENTS) {
			carry += e->delta;
			continue;
		}
		ptcp_script_event *d = ptcp_script_push(out, e->kind);
		if (!d) {
			b.oom = 1;
			break;
		}
		*d = *e; /* moves the owned buffers */
		if (d->kind == PTCP_SCRIPT_SEGMENT && d->seg.len > PTCP_RUN_FUZZ_SEG)
			d->seg.len = PTCP_RUN_FUZZ_SEG; /* an explicit payload keeps its head */
		e->kind = PTCP_SCRIPT_CLOSE;
		d->delta = e->delta + carry > PTCP_SCRIPT_TIME_MAX ? PTCP_SCRIPT_TIME_MAX
		                                                   : e->delta + carry;
		carry = 0;
		kept++;
	}
	ptcp_script_free(&dec);
	if (b.oom) {
		ptcp_script_free(out);
		ptcp_script_init(out);
		return PTCP_SCRIPT_ENOMEM;
	}
	if (cfg) {
		ptcp_run_config_default(cfg);
		cfg->flags = PTCP_RUN_F_NO_EXPECT;
		cfg->max_time = PTCP_RUN_FUZZ_TIME;
		cfg->max_steps = PTCP_RUN_FUZZ_STEPS;
		cfg->max_io = PTCP_RUN_FUZZ_IO;
		cfg->drain = (b0 & 0x10) ? PTCP_RUN_FUZZ_DRAIN : 0;
		cfg->action_cap = (b0 & 0x20) ? PTCP_ACTIONS_MIN : 64;
		static const uint32_t loss_mode[4] = {0, PTCP_RUN_F_LOSS_NONE, PTCP_RUN_F_LOSS_LEND,
		                                      PTCP_RUN_F_LOSS_SCARCE};
		cfg->flags |= loss_mode[b0 >> 6];
	}
	return 0;
}
