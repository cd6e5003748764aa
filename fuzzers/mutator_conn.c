/*
 * The structure-aware mutator of fuzz_conn (LLVMFuzzerCustomMutator,
 * LLVMFuzzerCustomCrossOver; AFL++ through afl_mutator_conn.c).
 *
 * IMPLEMENTATION NOTES
 * An input is a harness binary script plus byte 0's spare bits (the
 * prefix, see ptcp_run_fuzz_prepare).  A mutation decodes it, changes the
 * scenario and encodes it again (byte 0's spare bits kept, or mutated by
 * their own operation).  Many mutations want the numbers a run reaches:
 * the mutator then runs the input once through the runner with an observer
 * and keeps, for every event, the core's variables just before it
 * (RCV.NXT, RCV.WND, SND.UNA, SND.NXT, SND.MAX, SND.WND, the MSS, the
 * last TSval the core sent), as relative numbers of the script (not with
 * PTCP_MUTATOR_NO_RUN set: scripts/fuzz sets it to minimize crashes).
 *
 * Operations (one or a few per call, weighted):
 *   seq      a segment's seq at RCV.NXT, RCV.NXT + RCV.WND, +-1 around
 *            them, RCV.NXT - 1 (keep-alive), 2^31 and 2^32 away, 0, random
 *   ack      at SND.UNA / SND.NXT / SND.MAX, +-1, SND.UNA - 2^31, random
 *   flags    flip one bit, or an interesting combination
 *   window   0, 1, 65535, the scaled edges, random
 *   options  insert (MSS, WS, SACK-permitted, SACK blocks at the send
 *            window's interesting places, TS with a fresh TSval and the
 *            core's TSval as ECR, TFO, NOP, EOL, unknown kinds), remove,
 *            duplicate, swap, corrupt a kind or length byte, truncate
 *   length   payload length 0, 1, MSS - 1, MSS, MSS + 1, the window, random;
 *            explicit payload bytes on or off
 *   delta    a time delta at, just before and just after the timer values
 *            (RTO 200 ms / 1 s / the configured ones, delayed ACK 40 ms,
 *            TIME-WAIT 2 MSL, FIN-WAIT-2, keep-alive idle and interval),
 *            or doubled / halved / random
 *   events   insert a plausible segment (the next one the core expects,
 *            with the right ack and TS) or an app / ICMP / time event,
 *            remove, duplicate, swap two, move one
 *   raw      turn a segment into a raw packet, or mutate a raw packet's
 *            IP / TCP header fields, truncate or extend it; the checksums
 *            are fixed afterwards in 7 mutations out of 8
 *   config   a configuration field at an interesting value, one of the 32
 *            config flags, a flag profile (ptcp_config_linux()'s flags, PRR
 *            alone / as Linux / with DeliveredData), the role, the prefix
 *            bits, IPv6
 *   app      send / read lengths, shutdown how, ICMP type / mtu / seq
 * and in 1 call out of 8 LLVMFuzzerMutate() on the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t ptcp_fuzz_conn_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                             size_t (*byte_mutate)(uint8_t *, size_t, size_t));
size_t ptcp_fuzz_conn_crossover(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                uint8_t *out, size_t max_out, unsigned int seed);

/* ---- Random numbers --------------------------------------------------------- */
struct rng {
	uint64_t s;
};

static uint32_t rnd32(struct rng *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return (uint32_t)(g->s >> 16);
}

/* 0..n-1 (n > 0) */
static uint32_t rnd(struct rng *g, uint32_t n)
{
	return n ? rnd32(g) % n : 0;
}

static int chance(struct rng *g, uint32_t one_in)
{
	return rnd(g, one_in) == 0;
}

/* ---- What a run reaches -------------------------------------------------------- */
struct snap {
	uint8_t valid, synced, ts_ok;
	uint32_t rcv_nxt, rcv_wnd;                   /* relative to the peer ISN */
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd; /* relative to the local ISN */
	uint32_t mss;
	uint32_t ts_out; /* the last TSval the core sent */
};

struct analysis {
	struct snap *v; /* per prepared event, the state just before it */
	size_t n;
	size_t next; /* first event index not filled yet */
	struct snap cur;
	const ptcp_script *s;
	size_t prefix; /* events the prefix added */
	size_t kept;
};

static void an_fill(struct analysis *a, size_t upto)
{
	for (; a->next <= upto && a->next < a->n; a->next++)
		a->v[a->next] = a->cur;
}

static void an_observe(void *arg, const ptcp_run_note *n)
{
	struct analysis *a = arg;
	if (n->kind == PTCP_RUN_NOTE_STEP) {
		an_fill(a, n->event);
		const ptcp_info *i = n->info;
		a->cur.valid = 1;
		a->cur.synced = i->state >= PTCP_SYN_SENT;
		a->cur.rcv_nxt = i->rcv_nxt - a->s->isn_peer;
		a->cur.rcv_wnd = i->rcv_wnd;
		a->cur.snd_una = i->snd_una - a->s->isn_local;
		a->cur.snd_nxt = i->snd_nxt - a->s->isn_local;
		a->cur.snd_max = i->snd_max - a->s->isn_local;
		a->cur.snd_wnd = i->snd_wnd;
		a->cur.mss = i->mss;
	} else if (n->kind == PTCP_RUN_NOTE_PACKET_OUT) {
		ptcp_ip ip;
		ptcp_seg seg;
		if (ptcp_wire_parse_packet(n->pkt, n->len, &ip, &seg) == 0 &&
		    (seg.opts.present & PTCP_OPT_TS)) {
			a->cur.ts_ok = 1;
			a->cur.ts_out = seg.opts.ts_val;
		}
	}
}

/* Run the input once; a->v[k] = the state before decoded event k. */
static int analyse(const uint8_t *data, size_t size, const ptcp_script *dec, struct snap *out)
{
	static ptcp_run *runner;
	ptcp_script s;
	ptcp_run_config cfg;
	ptcp_run_result res;
	struct analysis a;
	if (!runner && !(runner = ptcp_run_new()))
		return -1;
	if (ptcp_run_fuzz_prepare(data, size, &s, &cfg))
		return -1;
	memset(&a, 0, sizeof a);
	a.n = s.n + 1;
	a.v = calloc(a.n, sizeof *a.v);
	if (!a.v) {
		ptcp_script_free(&s);
		return -1;
	}
	a.s = &s;
	size_t nonexp = 0;
	for (size_t i = 0; i < dec->n; i++)
		nonexp += !ptcp_script_is_expect(dec->ev[i].kind);
	a.kept = nonexp < PTCP_RUN_FUZZ_EVENTS ? nonexp : PTCP_RUN_FUZZ_EVENTS;
	a.prefix = s.n - a.kept;
	cfg.observe = an_observe;
	cfg.arg = &a;
	/* only the numbers are wanted: no oracle work */
	cfg.flags |= PTCP_RUN_F_KEEP_GOING | PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA;
	ptcp_run_exec(runner, &s, &cfg, &res);
	an_fill(&a, a.n - 1);
	/* decoded event i -> prepared event prefix + (non-expect events before i) */
	size_t k = 0;
	for (size_t i = 0; i < dec->n; i++) {
		size_t p = a.prefix + k;
		out[i] = p < a.n ? a.v[p] : a.cur;
		k += !ptcp_script_is_expect(dec->ev[i].kind);
	}
	out[dec->n] = a.cur;
	free(a.v);
	ptcp_script_free(&s);
	return 0;
}

/* ---- Interesting values ------------------------------------------------------------ */
static uint32_t seq_near(struct rng *g, const struct snap *t)
{
	uint32_t nxt = t->valid ? t->rcv_nxt : 1, wnd = t->valid ? t->rcv_wnd : 65535;
	switch (rnd(g, 14)) {
	case 0:
		return nxt;
	case 1:
		return nxt - 1;
	case 2:
		return nxt + 1;
	case 3:
		return nxt + wnd;
	case 4:
		return nxt + wnd - 1;
	case 5:
		return nxt + wnd + 1;
	case 6:
		return nxt - wnd;
	case 7:
		return nxt + 0x80000000u;
	case 8:
		return nxt + 0x7fffffffu;
	case 9:
		return 0;
	case 10:
		return 0xffffffffu;
	case 11:
		return nxt + (t->mss ? t->mss : 1460) * (1 + rnd(g, 4));
	case 12:
		return nxt + rnd(g, wnd + 1);
	default:
		return rnd32(g);
	}
}

static uint32_t ack_near(struct rng *g, const struct snap *t)
{
	uint32_t una = t->valid ? t->snd_una : 1, nxt = t->valid ? t->snd_nxt : 1;
	uint32_t max = t->valid ? t->snd_max : 1;
	switch (rnd(g, 13)) {
	case 0:
		return una;
	case 1:
		return nxt;
	case 2:
		return max;
	case 3:
		return una - 1;
	case 4:
		return max + 1;
	case 5:
		return una + 1;
	case 6:
		return una - 0x80000000u;
	case 7:
		return una + 0x7fffffffu;
	case 8:
		return una + (max - una) / 2;
	case 9:
		return 0;
	case 10:
		return una + (t->mss ? t->mss : 1460);
	case 11:
		return 1;
	default:
		return rnd32(g);
	}
}

static uint64_t delta_value(struct rng *g, const ptcp_script_config *c, uint64_t old)
{
	static const uint64_t fixed[] = {0,
	                                 1,
	                                 PTCP_MS(40),
	                                 PTCP_MS(200),
	                                 PTCP_SEC(1),
	                                 PTCP_SEC(3),
	                                 PTCP_SEC(60),
	                                 PTCP_SEC(120),
	                                 PTCP_MS(500),
	                                 PTCP_SEC(75),
	                                 PTCP_SEC(7200)};
	uint64_t base;
	switch (rnd(g, 12)) {
	case 0:
		base = c->rto_initial;
		break;
	case 1:
		base = c->rto_min;
		break;
	case 2:
		base = c->delack;
		break;
	case 3:
		base = 2 * c->msl;
		break;
	case 4:
		base = c->fin_wait2_timeout;
		break;
	case 5:
		base = c->keepalive_idle;
		break;
	case 6:
		base = c->keepalive_intvl;
		break;
	case 7:
		return old * 2;
	case 8:
		return old / 2;
	case 9:
		return rnd32(g) % (1u << rnd(g, 28));
	default:
		base = fixed[rnd(g, sizeof fixed / sizeof fixed[0])];
		break;
	}
	switch (rnd(g, 3)) {
	case 0:
		return base ? base - 1 : 0;
	case 1:
		return base + 1;
	default:
		return base;
	}
}

static uint32_t len_value(struct rng *g, const struct snap *t)
{
	uint32_t mss = t->valid && t->mss ? t->mss : 1460;
	switch (rnd(g, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return mss - 1;
	case 3:
		return mss;
	case 4:
		return mss + 1;
	case 5:
		return t->valid ? t->rcv_wnd : 65535;
	case 6:
		return t->valid && t->rcv_wnd ? t->rcv_wnd + 1 : 2;
	case 7:
		return 2 * mss;
	default:
		return rnd(g, 4000);
	}
}

/* ---- Options --------------------------------------------------------------------------- */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Option boundaries: starts[] of at most 40 items; returns the count. */
static size_t opt_items(const uint8_t *o, size_t n, uint8_t *starts)
{
	size_t i = 0, k = 0;
	while (i < n && k < PTCP_TCP_OPT_MAX) {
		starts[k++] = (uint8_t)i;
		if (o[i] <= PTCP_OPTKIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2)
			break;
		i += o[i + 1];
	}
	return k;
}

static size_t item_len(const uint8_t *o, size_t n, size_t at)
{
	if (o[at] <= PTCP_OPTKIND_NOP || at + 1 >= n || o[at + 1] < 2)
		return 1;
	return at + o[at + 1] > n ? n - at : o[at + 1];
}

/* A fresh option into buf; returns its length. */
static size_t make_opt(struct rng *g, uint8_t *b, const struct snap *t, uint32_t ts_peer)
{
	static const uint16_t mss[] = {0, 1, 63, 64, 88, 536, 1220, 1440, 1460, 9000, 65535};
	static const uint8_t ws[] = {0, 1, 2, 7, 8, 14, 15, 255};
	uint32_t una = t->valid ? t->snd_una : 1, max = t->valid ? t->snd_max : 1;
	uint32_t m = t->valid && t->mss ? t->mss : 1460;
	switch (rnd(g, 12)) {
	case 0: {
		uint16_t v = mss[rnd(g, sizeof mss / sizeof mss[0])];
		b[0] = 2, b[1] = 4, b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
		return 4;
	}
	case 1:
		b[0] = 3, b[1] = 3, b[2] = ws[rnd(g, sizeof ws)];
		return 3;
	case 2:
		b[0] = 4, b[1] = 2;
		return 2;
	case 3:
	case 4: { /* SACK blocks around the send window */
		unsigned nb = 1 + rnd(g, 4);
		b[0] = 5;
		b[1] = (uint8_t)(2 + 8 * nb);
		for (unsigned i = 0; i < nb; i++) {
			uint32_t l, r;
			switch (rnd(g, 6)) {
			case 0: /* D-SACK below SND.UNA */
				l = una - m;
				r = una;
				break;
			case 1: /* the segment after a hole */
				l = una + m * (1 + i);
				r = l + m;
				break;
			case 2: /* up to SND.MAX */
				l = una + (max - una) / 2;
				r = max;
				break;
			case 3: /* beyond SND.MAX */
				l = max;
				r = max + m;
				break;
			case 4: /* empty or inverted */
				l = una + m;
				r = l - rnd(g, 2);
				break;
			default:
				l = rnd32(g);
				r = l + rnd(g, 70000);
				break;
			}
			put32(b + 2 + 8 * i, l);
			put32(b + 6 + 8 * i, r);
		}
		return b[1];
	}
	case 5:
	case 6: { /* timestamps: a fresh TSval, the core's as ECR */
		uint32_t val = ts_peer + rnd(g, 3), ecr = t->ts_ok ? t->ts_out : 0;
		if (chance(g, 6))
			val = ts_peer - 1 - rnd(g, 0x80000000u); /* old: PAWS */
		if (chance(g, 6))
			ecr = rnd32(g);
		b[0] = 8, b[1] = 10;
		put32(b + 2, val);
		put32(b + 6, ecr);
		return 10;
	}
	case 7: { /* TFO: request, or a cookie */
		uint8_t l = (uint8_t)(chance(g, 2) ? 2 : 2 + 2 * (2 + rnd(g, 7)));
		b[0] = 34, b[1] = l;
		for (uint8_t i = 2; i < l; i++)
			b[i] = (uint8_t)rnd32(g);
		return l;
	}
	case 8:
		b[0] = 1;
		return 1;
	case 9:
		b[0] = 0;
		return 1;
	case 10: /* experimental TFO */
		b[0] = 254, b[1] = 6, b[2] = 0xf9, b[3] = 0x89, b[4] = (uint8_t)rnd32(g),
		b[5] = (uint8_t)rnd32(g);
		return 6;
	default: { /* unknown kinds (MD5, AO, MPTCP, ...), odd lengths */
		static const uint8_t kinds[] = {6, 7, 19, 27, 28, 29, 30, 69, 99, 253};
		uint8_t l = (uint8_t)(2 + rnd(g, 10));
		b[0] = kinds[rnd(g, sizeof kinds)];
		b[1] = l;
		for (uint8_t i = 2; i < l; i++)
			b[i] = (uint8_t)rnd32(g);
		return l;
	}
	}
}

static void mutate_opts(struct rng *g, ptcp_script_seg *sg, const struct snap *t, uint32_t ts_peer)
{
	uint8_t starts[PTCP_TCP_OPT_MAX];
	size_t n = opt_items(sg->opt, sg->opt_len, starts);
	uint8_t b[PTCP_TCP_OPT_MAX];
	switch (rnd(g, 8)) {
	case 0:
	case 1:
	case 2: { /* insert at a boundary */
		size_t l = make_opt(g, b, t, ts_peer);
		size_t at = n ? starts[rnd(g, (uint32_t)n)] : 0;
		if (chance(g, 2))
			at = sg->opt_len;
		if (sg->opt_len + l > PTCP_TCP_OPT_MAX) {
			sg->opt_len = (uint8_t)at; /* make room: drop the tail */
			if (at + l > PTCP_TCP_OPT_MAX)
				return;
		}
		memmove(sg->opt + at + l, sg->opt + at, sg->opt_len - at);
		memcpy(sg->opt + at, b, l);
		sg->opt_len = (uint8_t)(sg->opt_len + l);
		return;
	}
	case 3: /* remove one */
		if (n) {
			size_t at = starts[rnd(g, (uint32_t)n)],
			       l = item_len(sg->opt, sg->opt_len, at);
			memmove(sg->opt + at, sg->opt + at + l, sg->opt_len - at - l);
			sg->opt_len = (uint8_t)(sg->opt_len - l);
		}
		return;
	case 4: /* duplicate one */
		if (n) {
			size_t at = starts[rnd(g, (uint32_t)n)],
			       l = item_len(sg->opt, sg->opt_len, at);
			if (sg->opt_len + l <= PTCP_TCP_OPT_MAX) {
				memmove(sg->opt + at + l, sg->opt + at, sg->opt_len - at);
				sg->opt_len = (uint8_t)(sg->opt_len + l);
			}
		}
		return;
	case 5: /* swap two (move the last one first) */
		if (n >= 2) {
			size_t at = starts[n - 1], l = item_len(sg->opt, sg->opt_len, at);
			memcpy(b, sg->opt + at, l);
			memmove(sg->opt + l, sg->opt, at);
			memcpy(sg->opt, b, l);
		}
		return;
	case 6: { /* corrupt a kind or length byte */
		static const uint8_t v[] = {0, 1, 2, 3, 4, 5, 8, 10, 18, 34, 39, 40, 41, 255};
		if (sg->opt_len) {
			size_t at = n ? starts[rnd(g, (uint32_t)n)] : 0;
			if (chance(g, 2) && at + 1 < sg->opt_len)
				at++;
			sg->opt[at] = chance(g, 3) ? (uint8_t)rnd32(g) : v[rnd(g, sizeof v)];
		}
		return;
	}
	default: /* truncate or clear */
		sg->opt_len = (uint8_t)(chance(g, 3) ? 0 : rnd(g, (uint32_t)sg->opt_len + 1));
		return;
	}
}

/* ---- Segments ------------------------------------------------------------------------ */
static uint8_t flags_value(struct rng *g, uint8_t old)
{
	static const uint8_t combos[] = {
	    PTCP_SYN,
	    PTCP_SYN | PTCP_ACK,
	    PTCP_ACK,
	    PTCP_ACK | PTCP_PSH,
	    PTCP_FIN | PTCP_ACK,
	    PTCP_FIN | PTCP_PSH | PTCP_ACK,
	    PTCP_RST,
	    PTCP_RST | PTCP_ACK,
	    PTCP_SYN | PTCP_FIN,
	    PTCP_SYN | PTCP_RST,
	    PTCP_SYN | PTCP_ECE | PTCP_CWR,
	    PTCP_SYN | PTCP_ACK | PTCP_ECE,
	    PTCP_ACK | PTCP_ECE,
	    PTCP_ACK | PTCP_CWR,
	    PTCP_ACK | PTCP_URG,
	    PTCP_FIN,
	    0,
	    0xff,
	};
	if (chance(g, 2))
		return (uint8_t)(old ^ (1u << rnd(g, 8)));
	return combos[rnd(g, sizeof combos)];
}

static void set_len(struct rng *g, ptcp_script_seg *sg, uint32_t len)
{
	if (len > PTCP_SCRIPT_SEG_PAYLOAD_MAX)
		len = PTCP_SCRIPT_SEG_PAYLOAD_MAX;
	if (sg->payload) {
		uint8_t *p = realloc(sg->payload, len ? len : 1);
		if (!p) {
			free(sg->payload);
			sg->payload = NULL;
		} else {
			for (uint32_t i = sg->len; i < len; i++)
				p[i] = (uint8_t)rnd32(g);
			sg->payload = p;
		}
	}
	sg->len = len;
}

static uint32_t ts_peer_max(const ptcp_script *s, size_t upto)
{
	uint32_t best = 100;
	for (size_t i = 0; i < upto && i < s->n; i++) {
		const ptcp_script_event *e = &s->ev[i];
		if (e->kind != PTCP_SCRIPT_SEGMENT)
			continue;
		const uint8_t *o = e->seg.opt;
		for (size_t k = 0; k + 9 < e->seg.opt_len; k++)
			if (o[k] == 8 && o[k + 1] == 10) {
				uint32_t v = (uint32_t)o[k + 2] << 24 | (uint32_t)o[k + 3] << 16 |
				             (uint32_t)o[k + 4] << 8 | o[k + 5];
				if (ptcp_seq_gt(v, best))
					best = v;
				break;
			}
	}
	return best + 1;
}

/* The segment the core would take next: in window, right ack, options. */
static void plausible_seg(struct rng *g, ptcp_script_seg *sg, const struct snap *t,
                          uint32_t ts_peer)
{
	memset(sg, 0, sizeof *sg);
	static const uint8_t fl[] = {PTCP_ACK, PTCP_ACK | PTCP_PSH, PTCP_ACK | PTCP_FIN,
	                             PTCP_RST, PTCP_SYN | PTCP_ACK, PTCP_SYN,
	                             PTCP_ACK};
	sg->flags = fl[rnd(g, sizeof fl)];
	sg->seq = (sg->flags & PTCP_SYN) ? 0 : (t->valid && t->synced ? t->rcv_nxt : 1);
	sg->ack = (sg->flags & PTCP_ACK) ? (t->valid ? t->snd_nxt : 1) : 0;
	sg->win = chance(g, 4) ? (uint16_t)rnd32(g) : 512;
	if (sg->flags & PTCP_SYN) {
		sg->win = 65535;
		uint8_t o[] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
		put32(o + 8, ts_peer);
		memcpy(sg->opt, o, sizeof o);
		sg->opt_len = sizeof o;
	} else if (t->ts_ok || chance(g, 3)) {
		uint8_t o[] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
		put32(o + 4, ts_peer);
		put32(o + 8, t->ts_out);
		memcpy(sg->opt, o, sizeof o);
		sg->opt_len = sizeof o;
	}
	if (!(sg->flags & (PTCP_SYN | PTCP_RST)) && chance(g, 2))
		sg->len = len_value(g, t) % 3000;
}

/* ---- Raw packets ------------------------------------------------------------------------ */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Recompute the IPv4 header checksum and the TCP checksum where they can be found. */
static void fix_checksums(uint8_t *p, size_t len)
{
	ptcp_addr src, dst;
	size_t hl, l4len;
	memset(&src, 0, sizeof src);
	memset(&dst, 0, sizeof dst);
	if (len >= 20 && p[0] >> 4 == 4) {
		hl = (size_t)(p[0] & 15) * 4;
		if (hl < 20 || hl > len)
			return;
		wr16(p + 10, 0);
		wr16(p + 10, ptcp_csum_fold(ptcp_csum_add(0, p, hl)));
		size_t tot = rd16(p + 2);
		if (tot > len || tot < hl || p[9] != 6)
			return;
		src.family = dst.family = 4;
		memcpy(src.bytes, p + 12, 4);
		memcpy(dst.bytes, p + 16, 4);
		l4len = tot - hl;
	} else if (len >= 40 && p[0] >> 4 == 6) {
		hl = 40;
		size_t pl = rd16(p + 4);
		if (p[6] != 6 || 40 + pl > len)
			return;
		src.family = dst.family = 6;
		memcpy(src.bytes, p + 8, 16);
		memcpy(dst.bytes, p + 24, 16);
		l4len = pl;
	} else {
		return;
	}
	if (l4len < 18)
		return;
	uint8_t *t = p + hl;
	wr16(t + 16, 0);
	uint32_t sum = ptcp_csum_pseudo(&src, &dst, 6, (uint32_t)l4len);
	wr16(t + 16, ptcp_csum_fold(sum + ptcp_csum_add(0, t, l4len)));
}

static void mutate_raw(struct rng *g, ptcp_script_event *e)
{
	uint8_t *p = e->raw.data;
	size_t len = e->raw.len;
	int v6 = len && p[0] >> 4 == 6;
	size_t hl = v6 ? 40 : (len ? (size_t)(p[0] & 15) * 4 : 20);
	if (hl < 20)
		hl = 20;
	switch (rnd(g, 10)) {
	case 0: /* truncate */
		if (len)
			e->raw.len = rnd(g, (uint32_t)len);
		break;
	case 1: { /* extend with bytes (link padding, or beyond the IP length) */
		uint32_t add = 1 + rnd(g, 64);
		uint8_t *q = realloc(p, len + add);
		if (!q)
			return;
		for (uint32_t i = 0; i < add; i++)
			q[len + i] = (uint8_t)(chance(g, 2) ? 0 : rnd32(g));
		e->raw.data = p = q;
		e->raw.len = (uint32_t)(len + add);
		len = e->raw.len;
		if (chance(g, 2) && !v6 && len >= 4)
			wr16(p + 2, (uint16_t)len);
		break;
	}
	case 2: /* IP version / header length */
		if (len)
			p[0] = chance(g, 2) ? (uint8_t)((rnd(g, 16) << 4) | (p[0] & 15))
			                    : (uint8_t)((p[0] & 0xf0) | rnd(g, 16));
		break;
	case 3: /* IP length */
		if (len >= 6)
			wr16(v6 ? p + 4 : p + 2,
			     (uint16_t)(chance(g, 2) ? rnd32(g) : len - rnd(g, 3)));
		break;
	case 4: /* fragments, protocol, TTL */
		if (!v6 && len >= 10) {
			if (chance(g, 2))
				wr16(p + 6, (uint16_t)(chance(g, 2) ? 0x2000 : rnd32(g) & 0x3fff));
			else
				p[9] = chance(g, 2) ? (uint8_t)rnd32(g) : 1;
		} else if (v6 && len >= 8) {
			static const uint8_t nh[] = {0, 43, 44, 60, 6, 17, 58};
			p[6] = nh[rnd(g, sizeof nh)];
		}
		break;
	case 5: /* TCP data offset */
		if (len > hl + 12)
			p[hl + 12] = (uint8_t)((rnd(g, 16) << 4) | (p[hl + 12] & 15));
		break;
	case 6: /* a TCP header byte */
		if (len > hl)
			p[hl + rnd(g, (uint32_t)(len - hl < 60 ? len - hl : 60))] =
			    (uint8_t)rnd32(g);
		break;
	default: /* any byte */
		if (len)
			p[rnd(g, (uint32_t)len)] ^= (uint8_t)(1u << rnd(g, 8));
		break;
	}
	if (!chance(g, 8))
		fix_checksums(e->raw.data, e->raw.len);
}

/* Turn segment event e into a raw packet event. */
static int to_raw(const ptcp_script *s, ptcp_script_event *e)
{
	static uint8_t pkt[65535 + 64];
	int n = ptcp_script_seg_to_packet(s, &e->seg, PTCP_SCRIPT_IN, pkt, sizeof pkt);
	if (n < 0)
		return -1;
	uint8_t *d = malloc((size_t)n);
	if (!d)
		return -1;
	memcpy(d, pkt, (size_t)n);
	free(e->seg.payload);
	uint64_t delta = e->delta;
	uint32_t line = e->line;
	memset(e, 0, sizeof *e);
	e->kind = PTCP_SCRIPT_RAW;
	e->delta = delta;
	e->line = line;
	e->raw.data = d;
	e->raw.len = (uint32_t)n;
	return 0;
}

/* ---- Events ---------------------------------------------------------------------------- */
/* A random event index of kind k (or any non-expect when k < 0); n if none. */
static size_t pick(struct rng *g, const ptcp_script *s, int k)
{
	size_t cnt = 0, want;
	for (size_t i = 0; i < s->n; i++)
		cnt += k < 0 ? !ptcp_script_is_expect(s->ev[i].kind) : s->ev[i].kind == (unsigned)k;
	if (!cnt)
		return s->n;
	want = rnd(g, (uint32_t)cnt);
	for (size_t i = 0; i < s->n; i++)
		if (k < 0 ? !ptcp_script_is_expect(s->ev[i].kind) : s->ev[i].kind == (unsigned)k) {
			if (!want--)
				return i;
		}
	return s->n;
}

/* Insert an empty event of kind k at index at; NULL when out of memory. */
static ptcp_script_event *insert_at(ptcp_script *s, size_t at, ptcp_script_kind k)
{
	if (!ptcp_script_push(s, k))
		return NULL;
	ptcp_script_event tmp = s->ev[s->n - 1];
	memmove(&s->ev[at + 1], &s->ev[at], (s->n - 1 - at) * sizeof tmp);
	s->ev[at] = tmp;
	return &s->ev[at];
}

static void remove_at(ptcp_script *s, size_t at)
{
	ptcp_script_event_clear(&s->ev[at]);
	memmove(&s->ev[at], &s->ev[at + 1], (s->n - at - 1) * sizeof s->ev[0]);
	s->n--;
}

/* A deep copy; on failure -1 and d owns nothing (its buffer emptied). */
static int copy_event(ptcp_script_event *d, const ptcp_script_event *e)
{
	*d = *e;
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT:
	case PTCP_SCRIPT_EXPECT_SEG:
		d->seg.payload = NULL;
		if (e->seg.payload) {
			if (!(d->seg.payload = malloc(e->seg.len ? e->seg.len : 1)))
				return -1;
			memcpy(d->seg.payload, e->seg.payload, e->seg.len);
		}
		break;
	case PTCP_SCRIPT_RAW:
		d->raw.data = NULL;
		if (e->raw.len) {
			if (!(d->raw.data = malloc(e->raw.len))) {
				d->raw.len = 0;
				return -1;
			}
			memcpy(d->raw.data, e->raw.data, e->raw.len);
		}
		break;
	case PTCP_SCRIPT_SEND:
		d->send.data = NULL;
		if (e->send.data) {
			if (!(d->send.data = malloc(e->send.len ? e->send.len : 1)))
				return -1;
			memcpy(d->send.data, e->send.data, e->send.len);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void random_app_event(struct rng *g, ptcp_script_event *e, const struct snap *t)
{
	static const uint32_t io[] = {0, 1, 100, 536, 1000, 1460, 1461, 3000, 10000, 65535, 65536};
	static const ptcp_script_kind kinds[] = {
	    PTCP_SCRIPT_SEND,  PTCP_SCRIPT_SEND,     PTCP_SCRIPT_READ,    PTCP_SCRIPT_READ,
	    PTCP_SCRIPT_CLOSE, PTCP_SCRIPT_SHUTDOWN, PTCP_SCRIPT_ABORT,   PTCP_SCRIPT_TIME,
	    PTCP_SCRIPT_TIME,  PTCP_SCRIPT_ICMP,     PTCP_SCRIPT_CONNECT, PTCP_SCRIPT_LISTEN,
	    PTCP_SCRIPT_SETOPT};
	uint64_t delta = e->delta;
	memset(e, 0, sizeof *e);
	e->delta = delta;
	e->kind = kinds[rnd(g, sizeof kinds / sizeof kinds[0])];
	switch (e->kind) {
	case PTCP_SCRIPT_SEND:
		e->send.len = io[rnd(g, sizeof io / sizeof io[0])];
		e->send.more = chance(g, 5);
		break;
	case PTCP_SCRIPT_READ:
		e->read.len = io[rnd(g, sizeof io / sizeof io[0])];
		e->read.discard = chance(g, 4);
		break;
	case PTCP_SCRIPT_SHUTDOWN:
		e->shutdown.how = (uint8_t)(1 + rnd(g, 3));
		break;
	case PTCP_SCRIPT_ICMP: {
		static const uint32_t mtu[] = {0, 68, 296, 576, 1200, 1280, 1500, 9000, 65535};
		e->icmp.type = (uint8_t)(1 + rnd(g, PTCP_ICMP_KIND_COUNT - 1));
		e->icmp.mtu = mtu[rnd(g, sizeof mtu / sizeof mtu[0])];
		e->icmp.seq = ack_near(g, t);
		break;
	}
	case PTCP_SCRIPT_LISTEN:
		e->listen.any = chance(g, 2);
		break;
	case PTCP_SCRIPT_CONNECT: {
		/* Fast Open (RFC 7413 4.1.1: cookies of 4..16 bytes, even; odd or
		 * over-long ones now and then) and data given with the connect */
		static const uint8_t clen[] = {0, 4, 8, 16, 0, 3, 15};
		if (chance(g, 2)) {
			e->connect.tfo = 1;
			e->connect.tfo_len = clen[rnd(g, sizeof clen / sizeof clen[0])];
			for (unsigned k = 0; k < e->connect.tfo_len; k++)
				e->connect.tfo_cookie[k] = (uint8_t)rnd(g, 256);
			e->connect.tfo_mss = chance(g, 2) ? 0 : (uint16_t)(64 + rnd(g, 9000));
		}
		if (chance(g, 2))
			e->connect.len = io[rnd(g, sizeof io / sizeof io[0])];
		break;
	}
	case PTCP_SCRIPT_SETOPT: {
		static const uint64_t times[] = {
		    0, 1, PTCP_MS(1), PTCP_MS(40), PTCP_MS(200), PTCP_SEC(1), PTCP_SEC(75)};
#define PICK_TIME() times[rnd(g, sizeof times / sizeof times[0])]
		e->setopt.flags =
		    (chance(g, 2) ? PTCP_CFG_NODELAY : 0u) | (chance(g, 2) ? PTCP_CFG_CORK : 0u);
		e->setopt.keepalive_idle = chance(g, 2) ? 0 : PICK_TIME();
		e->setopt.keepalive_intvl = PICK_TIME();
		e->setopt.keepalive_cnt = (uint8_t)rnd(g, 10);
		e->setopt.user_timeout = chance(g, 2) ? 0 : PICK_TIME();
		e->setopt.delack = PICK_TIME();
		e->setopt.challenge_ack_limit = chance(g, 2) ? 0 : (uint32_t)rnd(g, 3);
#undef PICK_TIME
		break;
	}
	default:
		break;
	}
}

/* ---- Configuration ----------------------------------------------------------------------- */
static void mutate_config(struct rng *g, ptcp_script *s, uint8_t *b0)
{
	ptcp_script_config *c = &s->cfg;
	static const uint16_t mss[] = {64, 88, 536, 1220, 1460, 9000, 65535};
	static const uint32_t bufs[] = {1, 100, 1460, 4096, 65535, 65536, 262144, 1u << 20};
	static const uint64_t times[] = {
	    0, 1, PTCP_MS(1), PTCP_MS(40), PTCP_MS(200), PTCP_SEC(1), PTCP_SEC(3), PTCP_SEC(60)};
	switch (rnd(g, 15)) {
	case 0:
		c->mss = mss[rnd(g, sizeof mss / sizeof mss[0])];
		break;
	case 1:
		c->wscale = chance(g, 3) ? PTCP_SCRIPT_WSCALE_AUTO : (uint8_t)rnd(g, 15);
		break;
	case 2:
		c->sndbuf = bufs[rnd(g, sizeof bufs / sizeof bufs[0])];
		break;
	case 3:
		c->rcvbuf = bufs[rnd(g, sizeof bufs / sizeof bufs[0])];
		break;
	case 4:
		for (int k = 0; k < 32; k++) { /* one of the flags the format knows */
			uint32_t bit = 1u << rnd(g, 32);
			if (bit & PTCP_SCRIPT_CFG_FLAGS_ALL) {
				c->flags ^= bit;
				break;
			}
		}
		break;
	case 5:
		c->init_cwnd = (uint16_t)(chance(g, 2) ? 1 : 1 + rnd(g, 100));
		break;
	case 6:
		c->delack = times[rnd(g, sizeof times / sizeof times[0])];
		c->quickack = (uint16_t)rnd(g, 20);
		break;
	case 7:
		c->keepalive_idle = times[rnd(g, sizeof times / sizeof times[0])];
		c->keepalive_intvl = times[rnd(g, sizeof times / sizeof times[0])] + 1;
		c->keepalive_cnt = (uint8_t)rnd(g, 10);
		break;
	case 8:
		c->rto_min = times[1 + rnd(g, sizeof times / sizeof times[0] - 1)];
		c->rto_initial = times[rnd(g, sizeof times / sizeof times[0])];
		c->max_retries = (uint8_t)rnd(g, 16);
		c->syn_retries = (uint8_t)rnd(g, 7);
		c->synack_retries = (uint8_t)rnd(g, 6);
		break;
	case 9:
		c->msl = times[rnd(g, sizeof times / sizeof times[0])];
		c->fin_wait2_timeout = times[rnd(g, sizeof times / sizeof times[0])];
		c->user_timeout = chance(g, 2) ? 0 : times[rnd(g, sizeof times / sizeof times[0])];
		break;
	case 10:
		c->cc = (uint8_t)rnd(g, PTCP_SCRIPT_CC_COUNT);
		break;
	case 13: { /* a profile: Linux's flags, PRR in either form, or all recovery options */
		ptcp_config lx;
		ptcp_config_linux(&lx);
		static const uint32_t prr[] = {PTCP_CFG_PRR, PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX,
		                               PTCP_CFG_PRR | PTCP_CFG_DELIVERED,
		                               PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX |
		                                   PTCP_CFG_DELIVERED | PTCP_CFG_RACK};
		if (chance(g, 2))
			c->flags = lx.flags & PTCP_SCRIPT_CFG_FLAGS_ALL;
		else
			c->flags |= prr[rnd(g, sizeof prr / sizeof prr[0])] | PTCP_CFG_SACK;
		break;
	}
	case 11: /* role */
		*b0 ^= 1;
		break;
	case 12: /* prefix, drain, small action array */
		*b0 = (uint8_t)((*b0 & 1) | (rnd32(g) & 0x3e));
		break;
	default: /* the ISNs near the wrap */
		if (chance(g, 2))
			s->isn_local = chance(g, 2) ? 0xffffffffu - rnd(g, 3000) : rnd32(g);
		else
			s->isn_peer = chance(g, 2) ? 0x7fffffffu - rnd(g, 3000) : rnd32(g);
		break;
	}
}

/* ---- One mutation ------------------------------------------------------------------------ */
enum {
	M_SEQ,
	M_ACK,
	M_FLAGS,
	M_WIN,
	M_OPTS,
	M_LEN,
	M_DELTA,
	M_INSERT,
	M_REMOVE,
	M_DUP,
	M_SWAP,
	M_RAW,
	M_CONFIG,
	M_APP,
	M_COUNT
};

static const uint8_t weight[M_COUNT] = {
    [M_SEQ] = 14, [M_ACK] = 10,   [M_FLAGS] = 8,   [M_WIN] = 5,    [M_OPTS] = 12,
    [M_LEN] = 7,  [M_DELTA] = 10, [M_INSERT] = 12, [M_REMOVE] = 5, [M_DUP] = 4,
    [M_SWAP] = 4, [M_RAW] = 5,    [M_CONFIG] = 4,  [M_APP] = 4,
};

static unsigned pick_op(struct rng *g)
{
	unsigned total = 0, x;
	for (unsigned i = 0; i < M_COUNT; i++)
		total += weight[i];
	x = rnd(g, total);
	for (unsigned i = 0; i < M_COUNT; i++) {
		if (x < weight[i])
			return i;
		x -= weight[i];
	}
	return M_SEQ;
}

/* Apply one operation; 0 when something changed. */
static int mutate_once(struct rng *g, ptcp_script *s, uint8_t *b0, const struct snap *snaps)
{
	static const struct snap none;
	unsigned op = pick_op(g);
	size_t i;
	const struct snap *t;
	switch (op) {
	case M_SEQ:
	case M_ACK:
	case M_FLAGS:
	case M_WIN:
	case M_OPTS:
	case M_LEN:
		i = pick(g, s, PTCP_SCRIPT_SEGMENT);
		if (i == s->n)
			goto insert;
		t = snaps ? &snaps[i] : &none;
		ptcp_script_seg *sg = &s->ev[i].seg;
		switch (op) {
		case M_SEQ:
			sg->seq = chance(g, 5) ? sg->seq + (uint32_t)(int32_t)(rnd(g, 9) - 4)
			                       : seq_near(g, t);
			break;
		case M_ACK:
			sg->ack = chance(g, 5) ? sg->ack + (uint32_t)(int32_t)(rnd(g, 9) - 4)
			                       : ack_near(g, t);
			if (chance(g, 3))
				sg->flags |= PTCP_ACK;
			break;
		case M_FLAGS:
			sg->flags = flags_value(g, sg->flags);
			if (chance(g, 6))
				sg->reserved = (uint8_t)rnd(g, 16);
			if (chance(g, 6))
				sg->ecn = (uint8_t)rnd(g, 4);
			if (chance(g, 8))
				sg->urp = (uint16_t)rnd32(g);
			break;
		case M_WIN: {
			static const uint16_t w[] = {0,   1,    2,     511,   512,
			                             513, 1024, 32768, 65534, 65535};
			sg->win =
			    chance(g, 4) ? (uint16_t)rnd32(g) : w[rnd(g, sizeof w / sizeof w[0])];
			if (chance(g, 10)) {
				sg->has_ports = 1;
				sg->sport = (uint16_t)(chance(g, 2) ? rnd32(g) : s->peer_port);
				sg->dport = (uint16_t)(chance(g, 2) ? rnd32(g)
				                                    : (uint32_t)s->local_port + 1u);
			}
			break;
		}
		case M_OPTS:
			mutate_opts(g, sg, t, ts_peer_max(s, i));
			break;
		default:
			set_len(g, sg, len_value(g, t));
			if (chance(g, 8)) { /* explicit payload on / off */
				if (sg->payload) {
					free(sg->payload);
					sg->payload = NULL;
				} else {
					sg->payload = malloc(sg->len ? sg->len : 1);
					if (sg->payload)
						for (uint32_t k = 0; k < sg->len; k++)
							sg->payload[k] = (uint8_t)rnd32(g);
				}
			}
			break;
		}
		return 0;
	case M_DELTA:
		i = pick(g, s, -1);
		if (i == s->n)
			goto insert;
		s->ev[i].delta = delta_value(g, &s->cfg, s->ev[i].delta);
		if (s->ev[i].delta > PTCP_SCRIPT_TIME_MAX)
			s->ev[i].delta = PTCP_SCRIPT_TIME_MAX;
		return 0;
	case M_REMOVE:
		if (!s->n)
			goto insert;
		remove_at(s, rnd(g, (uint32_t)s->n));
		return 0;
	case M_DUP:
		if (!s->n)
			goto insert;
		i = rnd(g, (uint32_t)s->n);
		{
			ptcp_script_event copy;
			if (copy_event(&copy, &s->ev[i]))
				return -1;
			ptcp_script_event *d = insert_at(s, i + 1, copy.kind);
			if (!d) {
				ptcp_script_event_clear(&copy);
				return -1;
			}
			*d = copy;
			if (chance(g, 2))
				d->delta = delta_value(g, &s->cfg, d->delta);
		}
		return 0;
	case M_SWAP:
		if (s->n < 2)
			goto insert;
		{
			size_t a = rnd(g, (uint32_t)s->n), b = rnd(g, (uint32_t)s->n);
			if (chance(g, 2))
				b = a + 1 < s->n ? a + 1 : a - 1;
			ptcp_script_event tmp = s->ev[a];
			s->ev[a] = s->ev[b];
			s->ev[b] = tmp;
		}
		return 0;
	case M_RAW:
		i = pick(g, s, PTCP_SCRIPT_RAW);
		if (i == s->n || chance(g, 3)) {
			size_t j = pick(g, s, PTCP_SCRIPT_SEGMENT);
			if (j == s->n)
				goto insert;
			if (to_raw(s, &s->ev[j]))
				return -1;
			i = j;
		}
		mutate_raw(g, &s->ev[i]);
		return 0;
	case M_CONFIG:
		mutate_config(g, s, b0);
		return 0;
	case M_APP: {
		static const uint32_t io[] = {0, 1, 1000, 1460, 4096, 65535, 65536, 1u << 20};
		i = pick(g, s, -1);
		if (i == s->n)
			goto insert;
		ptcp_script_event *e = &s->ev[i];
		switch (e->kind) {
		case PTCP_SCRIPT_SEND:
			if (!e->send.data)
				e->send.len = io[rnd(g, sizeof io / sizeof io[0])];
			e->send.more = chance(g, 3);
			break;
		case PTCP_SCRIPT_READ:
			e->read.len = io[rnd(g, sizeof io / sizeof io[0])];
			e->read.discard = chance(g, 3);
			break;
		case PTCP_SCRIPT_SHUTDOWN:
			e->shutdown.how = (uint8_t)(1 + rnd(g, 3));
			break;
		case PTCP_SCRIPT_ICMP:
			e->icmp.type = (uint8_t)(1 + rnd(g, PTCP_ICMP_KIND_COUNT - 1));
			e->icmp.seq = ack_near(g, snaps ? &snaps[i] : &none);
			e->icmp.mtu = rnd32(g) % 10000;
			break;
		case PTCP_SCRIPT_SEGMENT:
		case PTCP_SCRIPT_RAW:
			goto insert;
		default:
			random_app_event(g, e, snaps ? &snaps[i] : &none);
			break;
		}
		return 0;
	}
	default:
	insert : {
		size_t at = rnd(g, (uint32_t)s->n + 1);
		t = snaps ? &snaps[at] : &none;
		if (chance(g, 3)) {
			ptcp_script_event *e = insert_at(s, at, PTCP_SCRIPT_TIME);
			if (!e)
				return -1;
			random_app_event(g, e, t);
			if (chance(g, 2))
				e->delta = delta_value(g, &s->cfg, 0);
		} else {
			ptcp_script_seg sg;
			plausible_seg(g, &sg, t, ts_peer_max(s, at));
			ptcp_script_event *e = insert_at(s, at, PTCP_SCRIPT_SEGMENT);
			if (!e)
				return -1;
			e->seg = sg;
			if (chance(g, 4))
				e->delta = delta_value(g, &s->cfg, 0);
		}
		return 0;
	}
	}
}

/* Encode s with byte 0's spare bits b0 into data (max bytes); 0 if it does not fit. */
static size_t encode_into(ptcp_script *s, uint8_t b0, uint8_t *data, size_t max)
{
	for (int tries = 0; tries < 8; tries++) {
		uint8_t *buf;
		size_t n;
		if (ptcp_script_encode_binary(s, &buf, &n))
			return 0;
		if (n <= max && n > 0) {
			buf[0] = (uint8_t)((buf[0] & 1) | (b0 & 0xfe));
			memcpy(data, buf, n);
			free(buf);
			return n;
		}
		free(buf);
		/* too long: drop events from the end */
		size_t drop = s->n / 4 + 1;
		while (drop-- && s->n)
			remove_at(s, s->n - 1);
		if (!s->n && n > max)
			return 0;
	}
	return 0;
}

static size_t byte_fallback(uint8_t *data, size_t size, size_t max, struct rng *g)
{
	if (!size) {
		if (!max)
			return 0;
		data[0] = (uint8_t)rnd32(g);
		return 1;
	}
	switch (rnd(g, 3)) {
	case 0:
		data[rnd(g, (uint32_t)size)] ^= (uint8_t)(1u << rnd(g, 8));
		return size;
	case 1:
		data[rnd(g, (uint32_t)size)] = (uint8_t)rnd32(g);
		return size;
	default:
		if (size < max) {
			data[size] = (uint8_t)rnd32(g);
			return size + 1;
		}
		return size - 1 > 0 ? size - 1 : size;
	}
}

size_t ptcp_fuzz_conn_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                             size_t (*byte_mutate)(uint8_t *, size_t, size_t))
{
	struct rng g = {((uint64_t)seed << 17) ^ 0x9e3779b97f4a7c15u ^ size};
	ptcp_script s;
	struct snap *snaps = NULL;
	if (chance(&g, 8) || max_size < 16) {
		if (byte_mutate)
			return byte_mutate(data, size, max_size);
		return byte_fallback(data, size, max_size, &g);
	}
	uint8_t b0 = size ? data[0] : 0;
	if (ptcp_script_decode_binary(data, size, &s))
		return byte_fallback(data, size, max_size, &g);
	/* PTCP_MUTATOR_NO_RUN=1: no analysis run (crash minimization mutates the
	 * crashing input itself; running it inside the mutator would crash there) */
	static int no_run = -1;
	if (no_run < 0)
		no_run = getenv("PTCP_MUTATOR_NO_RUN") != NULL;
	if (!no_run && !chance(&g, 4)) {
		snaps = calloc(s.n + 1, sizeof *snaps);
		if (snaps && analyse(data, size, &s, snaps)) {
			free(snaps);
			snaps = NULL;
		}
	}
	unsigned nops = 1 + (chance(&g, 3) ? rnd(&g, 4) : 0);
	for (unsigned k = 0; k < nops; k++) {
		/* the snapshots index events: only the first operation may use them
		 * when an earlier one moved events */
		if (mutate_once(&g, &s, &b0, k == 0 ? snaps : NULL))
			break;
		if (s.n > 4 * PTCP_RUN_FUZZ_EVENTS)
			break;
	}
	free(snaps);
	size_t n = encode_into(&s, b0, data, max_size);
	ptcp_script_free(&s);
	if (!n)
		return byte_fallback(data, size, max_size, &g);
	return n;
}

size_t ptcp_fuzz_conn_crossover(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                uint8_t *out, size_t max_out, unsigned int seed)
{
	struct rng g = {((uint64_t)seed << 21) ^ 0xc2b2ae3d27d4eb4fu ^ s1 ^ (s2 << 32)};
	ptcp_script a, b;
	size_t n = 0;
	if (ptcp_script_decode_binary(d1, s1, &a))
		return 0;
	if (ptcp_script_decode_binary(d2, s2, &b)) {
		ptcp_script_free(&a);
		return 0;
	}
	/* a's header and first events, then b's events from a random point */
	size_t cut = rnd(&g, (uint32_t)a.n + 1), from = rnd(&g, (uint32_t)b.n + 1);
	while (a.n > cut)
		remove_at(&a, a.n - 1);
	int ok = 1;
	for (size_t i = from; i < b.n && ok; i++) {
		ptcp_script_event *d = ptcp_script_push(&a, b.ev[i].kind);
		if (!d || copy_event(d, &b.ev[i]))
			ok = 0;
	}
	if (ok)
		n = encode_into(&a, s1 ? d1[0] : 0, out, max_out);
	ptcp_script_free(&a);
	ptcp_script_free(&b);
	return n;
}

#ifndef PTCP_MUTATOR_NO_LIBFUZZER
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return ptcp_fuzz_conn_mutate(data, size, max_size, seed, LLVMFuzzerMutate);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
	return ptcp_fuzz_conn_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
#endif
