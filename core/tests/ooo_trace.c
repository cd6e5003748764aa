/*
 * Trace of seeded receive scenarios, for the differential test ooo_diff:
 * built once with the core's reassembly (ooo.c, a tree) and once with the
 * list it replaced (ooo_list.c); the two traces must be identical.  Each
 * scenario is an established connection (timestamps on or off, delayed
 * ACKs on or off, receive buffers of 2 to 32 KiB, the block's own pool of
 * PTCP_OOO_MAX ranges or one of 8 in caller memory: at most 8 holes) fed
 * in-order, out-of-order, overlapping and old segments, pure ACKs, reads,
 * sends, timers and FINs.  Every step prints its return value and every
 * action (segments with all header fields, options, SACK blocks and a sum
 * of the payload); the end prints the counters.
 * Usage: ooo_trace [SEEDS]   (default 400)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptcp/ptcp.h"

#define ISS  1000u
#define PISS 5000u
#define ACTS 256

typedef struct rng {
	uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (uint32_t)(r->s >> 33) % n : 0;
}

typedef struct peer {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_action act[ACTS];
	ptcp_actions out;
	ptcp_time_t now;
	ptcp_tcp_opts opts;
	unsigned long sack_acks;
	uint32_t snd_max; /* the highest sequence number sent (from the segments) */
} peer;

static void dump(peer *p, int ret, int step)
{
	printf("%d: ret %d, %zu actions\n", step, ret, p->out.n);
	for (size_t i = 0; i < p->out.n; i++) {
		const ptcp_action *a = &p->act[i];
		switch (a->kind) {
		case PTCP_ACT_EMIT: {
			const ptcp_seg *g = &a->emit.seg;
			unsigned long sum = 0;
			for (size_t j = 0; j < g->payload_len; j++)
				sum = sum * 31 + g->payload[j];
			for (size_t j = 0; j < g->payload2_len; j++)
				sum = sum * 31 + g->payload2[j];
			printf(
			    "  emit %u>%u seq %u ack %u flags %02x wnd %u len %zu sum %lu ecn %u "
			    "opts %x mss %u ws %u ts %u/%u",
			    g->sport, g->dport, g->seq, g->ack, g->flags, g->wnd, ptcp_seg_len(g),
			    sum, a->emit.ecn, g->opts.present, g->opts.mss, g->opts.wscale,
			    g->opts.ts_val, g->opts.ts_ecr);
			if (ptcp_seq_gt(g->seq + ptcp_seg_seqlen(g), p->snd_max))
				p->snd_max = g->seq + ptcp_seg_seqlen(g);
			if (g->opts.present & PTCP_OPT_SACK) {
				printf(" sack");
				for (unsigned k = 0; k < g->opts.sack_count; k++)
					printf(" %u-%u", g->opts.sack[k].left,
					       g->opts.sack[k].right);
				p->sack_acks++;
			}
			printf("\n");
			break;
		}
		case PTCP_ACT_READABLE:
			printf("  readable %zu\n", a->readable.avail);
			break;
		case PTCP_ACT_WRITABLE:
			printf("  writable %zu\n", a->writable.space);
			break;
		case PTCP_ACT_STATE:
			printf("  state %d>%d\n", a->state.from, a->state.to);
			break;
		case PTCP_ACT_EVENT:
			printf("  event %d err %d\n", a->event.ev, a->event.err);
			break;
		case PTCP_ACT_DEADLINE:
			printf("  deadline %llu\n", (unsigned long long)a->deadline);
			break;
		default:
			printf("  action %d\n", a->kind);
			break;
		}
	}
}

static int step(peer *p, const ptcp_input *in)
{
	return ptcp_step(&p->c, in, p->now, &p->out);
}

static int seg(peer *p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
               const ptcp_tcp_opts *o, const uint8_t *data, size_t len)
{
	ptcp_seg s;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	memset(&s, 0, sizeof(s));
	s.sport = 80;
	s.dport = 40000;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.wnd = wnd;
	s.opts = *o;
	s.payload = data;
	s.payload_len = len;
	in.segment.seg = &s;
	ptcp_addr_v4(&in.segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&in.segment.dst, 10, 0, 0, 1);
	return step(p, &in);
}

static unsigned long run_seed(unsigned seed, peer *p, uint64_t *full)
{
	rng r = {seed * 2654435761u + 7};
	ptcp_config cf;
	ptcp_ooo_node pool[8];
	uint8_t *sbuf = malloc(16384), *rbuf, data[1460], rd[4096];
	size_t rcap = 2048u << rnd(&r, 5);
	int ts = (int)rnd(&r, 2), s, ret, own;
	uint32_t pseq = PISS + 1, una = ISS + 1, tsval = 100;
	ptcp_tcp_opts syn = {.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM, .mss = 1460};
	ptcp_input in;
	ptcp_stats st;

	rbuf = malloc(rcap);
	memset(p, 0, sizeof(*p));
	p->out.v = p->act;
	p->out.cap = ACTS;
	p->now = 1000000;
	p->snd_max = ISS + 1;
	ptcp_config_default(&cf);
	if (!ts)
		cf.flags &= ~(uint32_t)PTCP_CFG_TIMESTAMPS;
	cf.delack = rnd(&r, 3) ? PTCP_MS(40) : 0;
	if (!sbuf || !rbuf || ptcp_conn_init(&p->c, &cf, sbuf, 16384, rbuf, rcap)) {
		fprintf(stderr, "ooo_trace: setup failed\n");
		exit(2);
	}
	ptcp_conn_set_loss(&p->c, &p->loss);
	memset(&st, 0, sizeof(st));
	ptcp_conn_set_stats(&p->c, &st);
	own = rnd(&r, 2);
	if (!own && ptcp_conn_set_ooo_pool(&p->c, pool, 8)) {
		fprintf(stderr, "ooo_trace: pool refused\n");
		exit(2);
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + seed);
	printf("seed %u ts %d rcap %zu delack %d pool %s\n", seed, ts, rcap, cf.delack != 0,
	       own ? "own" : "8");
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_LISTEN;
	in.listen.lport = 40000;
	in.listen.iss = ISS;
	dump(p, step(p, &in), -3);
	if (ts) {
		syn.present |= PTCP_OPT_TS;
		syn.ts_val = tsval;
	}
	dump(p, seg(p, PTCP_SYN, PISS, 0, 65535, &syn, NULL, 0), -2);
	if (ts) {
		p->opts.present = PTCP_OPT_TS;
		p->opts.ts_val = tsval;
	}
	dump(p, seg(p, PTCP_ACK, PISS + 1, ISS + 1, 65535, &p->opts, NULL, 0), -1);
	for (s = 0; s < 500 && ptcp_conn_state(&p->c) != PTCP_CLOSED; s++) {
		uint32_t op = rnd(&r, 100), len = 1 + rnd(&r, rnd(&r, 4) ? 400 : 1460), ack = una;
		uint8_t fl = rnd(&r, 2) ? (PTCP_ACK | PTCP_PSH) : PTCP_ACK;
		if (ts) {
			tsval += rnd(&r, 3);
			p->opts.ts_val = rnd(&r, 30) ? tsval : tsval - 100;
		}
		if (rnd(&r, 4) == 0 && ptcp_seq_gt(p->snd_max, una)) {
			ack = una + 1 + rnd(&r, p->snd_max - una);
			una = ack;
		}
		if (op < 30) { /* in order */
			ret = seg(p, fl, pseq, ack, 65535, &p->opts, data, len);
			pseq += len;
		} else if (op < 62) { /* out of order, often overlapping what is queued */
			uint32_t q = pseq + 1 + rnd(&r, rnd(&r, 2) ? 1500 : 6000);
			ret = seg(p, fl, q, ack, 65535, &p->opts, data, len);
		} else if (op < 68) { /* old data, or a go-back */
			uint32_t q = pseq - rnd(&r, 3000);
			ret = seg(p, fl, q, ack, 65535, &p->opts, data, len);
			pseq = q + len;
		} else if (op < 74) { /* a pure ACK */
			ret = seg(p, PTCP_ACK, pseq, ack, 65535, &p->opts, NULL, 0);
		} else if (op < 80) { /* the application sends */
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_SEND;
			in.send.data = data;
			in.send.len = 1 + rnd(&r, sizeof(data));
			ret = step(p, &in);
		} else if (op < 92) { /* the application reads */
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_READ;
			in.read.buf = rd;
			in.read.len = 1 + rnd(&r, sizeof(rd));
			ret = step(p, &in);
			if (ret > 0) {
				unsigned long sum = 0;
				for (int i = 0; i < ret; i++)
					sum = sum * 31 + rd[i];
				printf("  read sum %lu\n", sum);
			}
		} else if (op < 99) { /* time passes */
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_TIME;
			p->now += rnd(&r, 2) ? rnd(&r, PTCP_MS(60)) : PTCP_MS(250);
			ret = step(p, &in);
		} else { /* a FIN */
			ret = seg(p, PTCP_ACK | PTCP_FIN, pseq, ack, 65535, &p->opts, data, len);
			pseq += len + 1;
		}
		dump(p, ret, s);
	}
	ptcp_conn_stats(&p->c, &st);
	printf("stats");
	for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
		printf(" %llu", (unsigned long long)((const uint64_t *)&st)[i]);
	printf("\n");
	*full += st.drops[PTCP_DROP_OOO_FULL];
	free(sbuf);
	free(rbuf);
	return p->sack_acks;
}

int main(int argc, char **argv)
{
	static peer p;
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 400;
	unsigned long sack_acks = 0;
	uint64_t full = 0;
	for (unsigned seed = 1; seed <= n; seed++)
		sack_acks += run_seed(seed, &p, &full);
	/* the summary line the test checks: the scenarios did queue ranges and fill pools */
	printf("summary: %u seeds, %lu segments with SACK blocks, %llu ooo-full drops\n", n,
	       sack_acks, (unsigned long long)full);
	return 0;
}
