/*
 * ptcp-sim engine: PRNG, event heap, links, packet pool, the checked step,
 * the run loop and the summaries (see sim.h).
 *
 * IMPLEMENTATION NOTES
 * The heap holds packet deliveries (any number) and, per core, at most one
 * deadline entry and one application wake-up entry; those two are updated
 * in place (each core remembers their heap positions), so a core that
 * re-arms its retransmission timer on every ACK costs one sift, not a new
 * entry.  Every push or move takes a fresh insertion number: equal times
 * run in the order they were scheduled.  Packets live in a pool of
 * fixed-size slots (no allocation in steady state); the core's segment is
 * built straight into a slot and that buffer is what travels, is
 * corrupted, and is parsed at the far end.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_int.h"
#ifdef PTCP_SIM_HAVE_SCRIPT
#include "sim_script.h"
#endif

/* ---- PRNG --------------------------------------------------------------- */
uint64_t ptcp_sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void ptcp_sim_rng_seed(ptcp_sim_rng *r, uint64_t seed)
{
	uint64_t st = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = ptcp_sim_splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ptcp_sim_rng_next(ptcp_sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t ptcp_sim_rng_below(ptcp_sim_rng *r, uint64_t n)
{
	uint64_t x, lim;
	if (n == 0)
		return 0;
	/* reject the top partial bucket: no modulo bias */
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = ptcp_sim_rng_next(r);
	while (x >= lim);
	return x % n;
}

uint64_t ptcp_sim_pct_threshold(double pct)
{
	if (!(pct > 0))
		return 0;
	if (pct >= 100)
		return UINT64_MAX;
	return (uint64_t)(pct / 100.0 * 18446744073709551616.0);
}

/* ---- Names and defaults ------------------------------------------------- */
const char *ptcp_sim_app_name(ptcp_sim_app a)
{
	switch (a) {
	case PTCP_SIM_BULK:
		return "bulk";
	case PTCP_SIM_ECHO:
		return "echo";
	case PTCP_SIM_RR:
		return "rr";
	case PTCP_SIM_RANDOM:
		return "random";
	default:
		return "?";
	}
}

const char *ptcp_sim_drop_name(ptcp_sim_drop d)
{
	switch (d) {
	case PTCP_SIM_DROP_LOSS:
		return "loss";
	case PTCP_SIM_DROP_QUEUE:
		return "queue";
	case PTCP_SIM_DROP_MTU:
		return "mtu";
	case PTCP_SIM_DROP_CODEC:
		return "codec";
	case PTCP_SIM_DROP_NOPORT:
		return "noport";
	default:
		return "?";
	}
}

int ptcp_sim_have_script(void)
{
#ifdef PTCP_SIM_HAVE_SCRIPT
	return 1;
#else
	return 0;
#endif
}

void ptcp_sim_config_default(ptcp_sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->bytes = 1u << 20;
	cfg->app = PTCP_SIM_BULK;
	cfg->conns = 1;
	for (int i = 0; i < 2; i++)
		cfg->link[i].delay = PTCP_MS(10);
	cfg->sndbuf = 256u << 10;
	cfg->rcvbuf = 256u << 10;
	ptcp_config_default(&cfg->core);
	cfg->check = 1;
	cfg->max_time = PTCP_SEC(3600);
}

/* ---- Hash and trace ----------------------------------------------------- */
void sim_hash(sim *s, uint64_t v)
{
	uint64_t h = (s->hash ^ v) * 0x9E3779B97F4A7C15ull;
	s->hash = h ^ (h >> 32);
}

static const char *side_name(const sim_core *k)
{
	return k->side ? "server" : "client";
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
trace(sim *s, const sim_core *k, const char *fmt, ...)
{
	va_list ap;
	FILE *f = s->cfg.trace;
	if (!f)
		return;
	fprintf(f, "%llu.%06llu ", (unsigned long long)(s->now / 1000000u),
	        (unsigned long long)(s->now % 1000000u));
	if (k)
		fprintf(f, "%c%u ", k->side ? 's' : 'c', k->conn->idx);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static void seg_text(const ptcp_seg *g, char *buf, size_t cap)
{
	char fl[8];
	int n = 0, w;
	if (g->flags & PTCP_SYN)
		fl[n++] = 'S';
	if (g->flags & PTCP_FIN)
		fl[n++] = 'F';
	if (g->flags & PTCP_RST)
		fl[n++] = 'R';
	if (g->flags & PTCP_PSH)
		fl[n++] = 'P';
	if (g->flags & PTCP_ACK)
		fl[n++] = '.';
	fl[n] = 0;
	w = snprintf(buf, cap, "%s seq %u ack %u win %u len %zu", fl, g->seq, g->ack, g->wnd,
	             ptcp_seg_len(g));
	if (w < 0 || (size_t)w >= cap)
		return;
	if (g->opts.present & PTCP_OPT_SACK) {
		for (unsigned i = 0; i < g->opts.sack_count && (size_t)w < cap; i++) {
			int m = snprintf(buf + w, cap - (size_t)w, "%s%u-%u", i ? "," : " sack ",
			                 g->opts.sack[i].left, g->opts.sack[i].right);
			if (m < 0)
				return;
			w += m;
		}
	}
}

static const char *in_name(ptcp_input_kind k)
{
	switch (k) {
	case PTCP_IN_SEGMENT:
		return "segment";
	case PTCP_IN_ICMP:
		return "icmp";
	case PTCP_IN_CONNECT:
		return "connect";
	case PTCP_IN_LISTEN:
		return "listen";
	case PTCP_IN_SEND:
		return "send";
	case PTCP_IN_READ:
		return "read";
	case PTCP_IN_SHUTDOWN:
		return "shutdown";
	case PTCP_IN_CLOSE:
		return "close";
	case PTCP_IN_ABORT:
		return "abort";
	case PTCP_IN_TIME:
		return "time";
	default:
		return "?";
	}
}

/* ---- Failures ----------------------------------------------------------- */
void sim_fail(sim *s, sim_core *k, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *w = s->res->why;
	size_t cap = sizeof(s->res->why);
	if (s->failed)
		return;
	s->failed = 1;
	s->res->ok = 0;
	n = snprintf(w, cap, "seed %llu t=%llu.%06llus", (unsigned long long)s->cfg.seed,
	             (unsigned long long)(s->now / 1000000u),
	             (unsigned long long)(s->now % 1000000u));
	if (k && n > 0 && (size_t)n < cap)
		n += snprintf(w + n, cap - (size_t)n, " conn %u %s (%s)", k->conn->idx,
		              side_name(k), ptcp_state_name(ptcp_conn_state(&k->c)));
	if (n > 0 && (size_t)n + 2 < cap) {
		w[n++] = ':';
		w[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(w + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	trace(s, k, "FAIL %s", w);
	if (s->cfg.observe.fail)
		s->cfg.observe.fail(s->cfg.observe.arg, s->now, w);
}

void sim_fail_check(sim *s, sim_core *k, const ptcp_check_violation *v)
{
	sim_fail(s, k, "%s: %s", ptcp_check_code_name(v->code), v->msg);
}

/* ---- The heap ----------------------------------------------------------- */
sim_core *sim_core_by_id(sim *s, uint32_t id)
{
	return &s->conns[id >> 1].e[id & 1];
}

/* Earlier first; at the same instant a core's timer goes first (as the script
 * runner fires a due deadline before the next input), then insertion order. */
static inline int hless(const hent *a, const hent *b)
{
	int at = a->kind == EV_TIMER, bt = b->kind == EV_TIMER;
	return a->t < b->t || (a->t == b->t && (at > bt || (at == bt && a->seq < b->seq)));
}

static inline void hplace(sim *s, uint32_t i, const hent *e)
{
	s->heap[i] = *e;
	if (e->kind == EV_TIMER)
		sim_core_by_id(s, e->ref)->tpos = i;
	else if (e->kind == EV_APP)
		sim_core_by_id(s, e->ref)->apos = i;
}

static void sift_up(sim *s, uint32_t i)
{
	hent e = s->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!hless(&e, &s->heap[p]))
			break;
		hplace(s, i, &s->heap[p]);
		i = p;
	}
	hplace(s, i, &e);
}

static void sift_down(sim *s, uint32_t i)
{
	hent e = s->heap[i];
	uint32_t n = s->hn;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hless(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!hless(&s->heap[c], &e))
			break;
		hplace(s, i, &s->heap[c]);
		i = c;
	}
	hplace(s, i, &e);
}

static int heap_push(sim *s, ptcp_time_t t, uint32_t kind, uint32_t ref)
{
	hent e;
	if (s->hn == s->hcap) {
		uint32_t nc = s->hcap ? s->hcap * 2 : 1024;
		hent *nh = realloc(s->heap, sizeof(hent) * nc);
		if (!nh) {
			sim_fail(s, NULL, "out of memory (event heap)");
			return -1;
		}
		s->heap = nh;
		s->hcap = nc;
	}
	e.t = t;
	e.seq = s->hseq++;
	e.kind = kind;
	e.ref = ref;
	s->heap[s->hn++] = e;
	sift_up(s, s->hn - 1);
	return 0;
}

static void heap_clear_pos(sim *s, const hent *e)
{
	if (e->kind == EV_TIMER)
		sim_core_by_id(s, e->ref)->tpos = NOPOS;
	else if (e->kind == EV_APP)
		sim_core_by_id(s, e->ref)->apos = NOPOS;
}

static void heap_remove(sim *s, uint32_t i)
{
	hent gone = s->heap[i];
	s->hn--;
	if (i < s->hn) {
		hent last = s->heap[s->hn];
		hplace(s, i, &last);
		if (i > 0 && hless(&last, &s->heap[(i - 1) / 2]))
			sift_up(s, i);
		else
			sift_down(s, i);
	}
	heap_clear_pos(s, &gone);
}

static void heap_move(sim *s, uint32_t i, ptcp_time_t t)
{
	hent old = s->heap[i];
	s->heap[i].t = t;
	s->heap[i].seq = s->hseq++;
	if (hless(&s->heap[i], &old))
		sift_up(s, i);
	else
		sift_down(s, i);
}

static void set_timer(sim *s, sim_core *k, ptcp_time_t d)
{
	k->deadline = d;
	if (d == PTCP_TIME_NEVER) {
		if (k->tpos != NOPOS)
			heap_remove(s, k->tpos);
		return;
	}
	if (d < s->now)
		d = s->now;
	if (k->tpos == NOPOS)
		heap_push(s, d, EV_TIMER, k->id);
	else
		heap_move(s, k->tpos, d);
}

void sim_app_at(sim *s, sim_core *k, ptcp_time_t t)
{
	if (t < s->now)
		t = s->now;
	if (k->apos == NOPOS)
		heap_push(s, t, EV_APP, k->id);
	else
		heap_move(s, k->apos, t);
}

/* ---- Packets ------------------------------------------------------------ */
static uint32_t pkt_new(sim *s)
{
	if (s->nfree)
		return s->free_pkts[--s->nfree];
	if (s->npkts == s->pcap) {
		uint32_t nc = s->pcap ? s->pcap * 2 : 256;
		pkt **np = realloc(s->pkts, sizeof(pkt *) * nc);
		uint32_t *nf;
		if (!np)
			return NOPOS;
		s->pkts = np;
		nf = realloc(s->free_pkts, sizeof(uint32_t) * nc);
		if (!nf)
			return NOPOS;
		s->free_pkts = nf;
		s->pcap = nc;
	}
	s->pkts[s->npkts] = malloc(sizeof(pkt) + s->pkt_cap);
	if (!s->pkts[s->npkts])
		return NOPOS;
	return s->npkts++;
}

static void pkt_free(sim *s, uint32_t ref)
{
	s->free_pkts[s->nfree++] = ref;
}

static void push_pkt(sim *s, ptcp_time_t at, uint32_t ref)
{
	pkt *p = s->pkts[ref];
	s->conns[p->conn].inflight++;
	heap_push(s, at, EV_PKT, ref);
}

/* The bottleneck queue: departure times of the packets not yet on the wire. */
static int queue_push(sim_link *l, uint64_t depart)
{
	if (l->qn == l->qcap) {
		uint32_t nc = l->qcap ? l->qcap * 2 : 64;
		uint64_t *nq = malloc(sizeof(uint64_t) * nc);
		if (!nq)
			return -1;
		for (uint32_t i = 0; i < l->qn; i++)
			nq[i] = l->q[(l->qhead + i) % l->qcap];
		free(l->q);
		l->q = nq;
		l->qcap = nc;
		l->qhead = 0;
	}
	l->q[(l->qhead + l->qn) % l->qcap] = depart;
	l->qn++;
	return 0;
}

/* Tell the observer what became of packet p (sent by end `from`). */
static void note_pkt(sim *s, const pkt *p, uint8_t from, ptcp_sim_verdict v, ptcp_sim_drop d,
                     int err)
{
	ptcp_sim_pkt_note n;
	if (!s->cfg.observe.pkt)
		return;
	memset(&n, 0, sizeof(n));
	n.t = s->now;
	n.verdict = v;
	n.drop = d;
	n.codec_err = err;
	n.conn = p->conn;
	n.from = from;
	n.flags = (uint8_t)(((p->flags & PKT_DUP) ? PTCP_SIM_PKT_DUPLICATE : 0u) |
	                    ((p->flags & PKT_REORDER) ? PTCP_SIM_PKT_REORDERED : 0u) |
	                    ((p->flags & PKT_CORRUPT) ? PTCP_SIM_PKT_CORRUPTED : 0u));
	n.corrupt_pos = p->corrupt_pos;
	n.mtu = p->icmp_mtu;
	n.seq = p->icmp_seq;
	n.data = p->data;
	n.len = p->len;
	s->cfg.observe.pkt(s->cfg.observe.arg, &n);
}

/* A packet from core k enters its link at s->now. */
static void link_send(sim *s, sim_core *k, uint32_t ref, const ptcp_seg *seg)
{
	sim_link *l = &s->link[k->side];
	pkt *p = s->pkts[ref];
	int faults = !(s->cfg.heal && s->now >= s->cfg.heal);
	uint64_t depart_ns = s->now * 1000u;
	uint32_t dup = NOPOS;
	int copies = 1;

	if (l->cfg.mtu && p->len > l->cfg.mtu) {
		/* RFC 1191: dropped; "fragmentation needed" back to the sender */
		s->res->drops[PTCP_SIM_DROP_MTU]++;
		s->res->icmp++;
		note_pkt(s, p, k->side, PTCP_SIM_DROPPED, PTCP_SIM_DROP_MTU, 0);
		p->flags = PKT_ICMP;
		p->core = k->id;
		p->icmp_mtu = l->cfg.mtu;
		p->icmp_seq = seg->seq;
		p->to = k->side;
		sim_hash(s, 0x1c3900000000ull | p->len);
		trace(s, k, "link%d drop mtu len %u > %u: icmp frag-needed seq %u", k->side, p->len,
		      l->cfg.mtu, seg->seq);
		push_pkt(s, s->now + l->cfg.delay, ref);
		return;
	}
	if (l->cfg.bw) {
		uint64_t now_ns = depart_ns, start;
		while (l->qn && l->q[l->qhead] <= now_ns) {
			l->qhead = (l->qhead + 1) % l->qcap;
			l->qn--;
		}
		if (l->cfg.queue && l->qn >= l->cfg.queue) {
			s->res->drops[PTCP_SIM_DROP_QUEUE]++;
			sim_hash(s, 0xd0e0e000ull);
			trace(s, k, "link%d drop queue (%u queued)", k->side, l->qn);
			note_pkt(s, p, k->side, PTCP_SIM_DROPPED, PTCP_SIM_DROP_QUEUE, 0);
			pkt_free(s, ref);
			return;
		}
		start = l->busy_ns > now_ns ? l->busy_ns : now_ns;
		depart_ns = start + (uint64_t)p->len * 8000000000ull / l->cfg.bw;
		l->busy_ns = depart_ns;
		if (queue_push(l, depart_ns) < 0) {
			sim_fail(s, k, "out of memory (link queue)");
			pkt_free(s, ref);
			return;
		}
	}
	if (faults && l->loss_t && ptcp_sim_rng_next(&l->rng) < l->loss_t) {
		s->res->drops[PTCP_SIM_DROP_LOSS]++;
		sim_hash(s, 0x1055ull);
		trace(s, k, "link%d drop loss", k->side);
		note_pkt(s, p, k->side, PTCP_SIM_DROPPED, PTCP_SIM_DROP_LOSS, 0);
		pkt_free(s, ref);
		return;
	}
	if (faults && l->dup_t && ptcp_sim_rng_next(&l->rng) < l->dup_t) {
		/* the copy is taken before either copy can be corrupted */
		dup = pkt_new(s);
		if (dup == NOPOS) {
			sim_fail(s, k, "out of memory (packets)");
			pkt_free(s, ref);
			return;
		}
		p = s->pkts[ref]; /* pkt_new may have moved the table, not the packets */
		memcpy(s->pkts[dup], p, sizeof(pkt) + p->len);
		if (p->seg.payload) /* the copy's parse points into the copy */
			s->pkts[dup]->seg.payload = s->pkts[dup]->data + (p->seg.payload - p->data);
		s->pkts[dup]->flags |= PKT_DUP;
		copies = 2;
		s->res->dups++;
		trace(s, k, "link%d duplicate", k->side);
	}
	for (int c = 0; c < copies; c++) {
		uint32_t r = c ? dup : ref;
		ptcp_time_t at = (depart_ns + 999u) / 1000u + l->cfg.delay;
		pkt *q;
		q = s->pkts[r];
		if (faults && l->cfg.jitter)
			at += ptcp_sim_rng_below(&l->rng, l->cfg.jitter + 1);
		if (faults && l->reorder_t && ptcp_sim_rng_next(&l->rng) < l->reorder_t) {
			ptcp_time_t extra = l->cfg.reorder_delay
			                        ? l->cfg.reorder_delay
			                        : (l->cfg.delay > 1000 ? l->cfg.delay : 1000);
			at += 1 + ptcp_sim_rng_below(&l->rng, extra);
			s->res->reordered++;
			q->flags |= PKT_REORDER;
			trace(s, k, "link%d reorder: arrives at %llu", k->side,
			      (unsigned long long)at);
		}
		if (faults && l->corrupt_t && ptcp_sim_rng_next(&l->rng) < l->corrupt_t) {
			uint32_t pos = (uint32_t)ptcp_sim_rng_below(&l->rng, q->len);
			uint8_t x = (uint8_t)(1 + ptcp_sim_rng_below(&l->rng, 255));
			q->data[pos] ^= x;
			q->flags |= PKT_CORRUPT;
			q->corrupt_pos = pos;
			s->res->corrupted++;
			sim_hash(s, ((uint64_t)pos << 8) | x);
			trace(s, k, "link%d corrupt byte %u ^= 0x%02x", k->side, pos, x);
		}
		sim_hash(s, at);
		push_pkt(s, at, r);
	}
}

/* An emitted segment: build, check, send. */
static void emit(sim *s, sim_core *k, const ptcp_action *a)
{
	const ptcp_seg *g = &a->emit.seg;
	sim_core *peer = &k->conn->e[!k->side];
	ptcp_check_violation v;
	ptcp_ip ip;
	uint32_t ref = pkt_new(s);
	pkt *p;
	int n;
	if (ref == NOPOS) {
		sim_fail(s, k, "out of memory (packets)");
		return;
	}
	p = s->pkts[ref];
	memset(&ip, 0, sizeof(ip));
	ip.src = a->emit.src;
	ip.dst = a->emit.dst;
	ip.ttl = 64;
	ip.df = 1;
	ip.tos = a->emit.ecn & 3u;
	n = ptcp_wire_build_packet(p->data, s->pkt_cap, &ip, g);
	s->res->segs++;
	sim_hash(s, ((uint64_t)g->seq << 32) | g->ack);
	sim_hash(s, ((uint64_t)ptcp_seg_len(g) << 32) | ((uint64_t)g->wnd << 8) | g->flags);
	if (s->cfg.trace) {
		char t[200];
		seg_text(g, t, sizeof(t));
		trace(s, k, "> %s", t);
	}
	if (n < 0) {
		if (s->cfg.check && ptcp_check_emit(&k->chk, a, NULL, 0, &v) != PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
		else
			sim_fail(s, k, "segment does not build: %s", ptcp_strerror(n));
		pkt_free(s, ref);
		return;
	}
	p->len = (uint32_t)n;
	p->conn = k->conn->idx;
	p->to = (uint8_t)!k->side;
	p->flags = 0;
	p->corrupt_pos = p->icmp_mtu = p->icmp_seq = 0;
	note_pkt(s, p, k->side, PTCP_SIM_SENT, PTCP_SIM_DROP_COUNT, 0);
	/* Parse once, here: the checker compares the result with the emitted
	 * segment, and the receiver gets it unless the link corrupts the bytes. */
	n = ptcp_wire_parse_packet(p->data, p->len, &p->ip, &p->seg);
	if (n < 0) {
		if (s->cfg.check &&
		    ptcp_check_emit(&k->chk, a, p->data, p->len, &v) != PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
		else
			sim_fail(s, k, "an emitted packet does not parse: %s", ptcp_strerror(n));
		pkt_free(s, ref);
		return;
	}
	if (s->cfg.check) {
		if (ptcp_check_emit_parsed(&k->chk, a, &p->ip, &p->seg, &v) != PTCP_CHECK_OK) {
			sim_fail_check(s, k, &v);
			pkt_free(s, ref);
			return;
		}
		if (ptcp_check_pair(&peer->chk, g, &v) != PTCP_CHECK_OK) {
			/* the sender's own view helps to read the violation */
			const ptcp_info *mine = &k->chk.prev;
			size_t l = strlen(v.msg);
			snprintf(v.msg + l, sizeof(v.msg) - l,
			         "; sender SND.UNA %u SND.NXT %u SND.MAX %u SND.WND %u",
			         mine->snd_una, mine->snd_nxt, mine->snd_max, mine->snd_wnd);
			sim_fail_check(s, k, &v);
			pkt_free(s, ref);
			return;
		}
	}
	link_send(s, k, ref, g);
}

/* ---- The checked step --------------------------------------------------- */
int sim_step(sim *s, sim_core *k, ptcp_input *in)
{
	ptcp_actions out = {.v = s->act, .cap = s->act_cap, .n = 0};
	ptcp_check_violation v;
	uint64_t rto0 = k->st.rto_fired;
	int r;
	if (s->loss_pool && !ptcp_conn_loss(&k->c)) {
		/* a pooled area for the step, when one is free and the core takes it */
		if (!s->nloss_free)
			s->res->loss_empty++;
		else if (ptcp_conn_set_loss(&k->c, s->loss_free[s->nloss_free - 1]) == 0)
			s->nloss_free--;
		if (s->cfg.loss_areas - s->nloss_free > s->res->loss_peak)
			s->res->loss_peak = s->cfg.loss_areas - s->nloss_free;
	}
	r = ptcp_step(&k->c, in, s->now, &out);
	if (s->loss_pool) {
		ptcp_loss *l = ptcp_conn_take_loss(&k->c);
		if (l)
			s->loss_free[s->nloss_free++] = l;
	}
	s->res->steps++;
	sim_hash(s, ((uint64_t)k->id << 40) ^ ((uint64_t)in->kind << 32) ^ (uint32_t)r);
	sim_hash(s, s->now);
	if (s->cfg.trace && in->kind != PTCP_IN_SEGMENT && in->kind != PTCP_IN_TIME)
		trace(s, k, "%s -> %d%s%s", in_name(in->kind), r, r < 0 ? " " : "",
		      r < 0 ? ptcp_strerror(r) : "");
#ifdef PTCP_SIM_HAVE_SCRIPT
	if (s->script && k->id == 0)
		sim_script_step(s, in, r, &out);
#endif
	if (r == PTCP_EINVAL)
		sim_fail(s, k, "ptcp_step rejected a %s input: %s", in_name(in->kind),
		         ptcp_strerror(r));
	if (s->cfg.check) {
		ptcp_info info;
		ptcp_conn_info(&k->c, &info);
		if (ptcp_check_state(&k->chk, &info, out.v, out.n, &v) != PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
		/* liveness: a retransmission timeout must send something */
		if (k->st.rto_fired != rto0 &&
		    ptcp_check_rto(rto0, k->st.rto_fired, &info, out.v, out.n, &v) != PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
	}
	for (size_t i = 0; i < out.n && !s->failed; i++) {
		const ptcp_action *a = &out.v[i];
		switch (a->kind) {
		case PTCP_ACT_EMIT:
			emit(s, k, a);
			break;
		case PTCP_ACT_DEADLINE:
			set_timer(s, k, a->deadline);
			break;
		case PTCP_ACT_STATE:
			sim_hash(s, 0x57a7e000u | (a->state.from << 4) | a->state.to);
			trace(s, k, "state %s -> %s", ptcp_state_name(a->state.from),
			      ptcp_state_name(a->state.to));
			break;
		case PTCP_ACT_EVENT:
			sim_hash(s, 0xe7e00000u | ((uint32_t)a->event.ev << 8) |
			                (uint8_t)(-a->event.err));
			trace(s, k, "event %s%s%s", ptcp_event_name(a->event.ev),
			      a->event.err ? " " : "",
			      a->event.err ? ptcp_strerror(a->event.err) : "");
			break;
		default:
			break;
		}
	}
	if (s->cfg.observe.step) {
		ptcp_sim_step_note n;
		memset(&n, 0, sizeof(n));
		n.t = s->now;
		n.conn = k->conn->idx;
		n.side = k->side;
		n.input = in->kind;
		n.input_name = in_name(in->kind);
		n.ret = r;
		n.core = &k->c;
		s->cfg.observe.step(s->cfg.observe.arg, &n);
	}
	return r;
}

/* ---- Delivery ----------------------------------------------------------- */
static sim_conn *deliver(sim *s, uint32_t ref)
{
	pkt *p = s->pkts[ref];
	sim_conn *c = &s->conns[p->conn];
	ptcp_input in;
	ptcp_ip ip;
	ptcp_seg seg;
	const ptcp_ip *ipp = &ip;
	const ptcp_seg *segp = &seg;
	sim_core *k;
	unsigned idx;
	int r;

	c->inflight--;
	memset(&in, 0, sizeof(in));
	if (p->flags & PKT_ICMP) {
		k = sim_core_by_id(s, p->core);
		in.kind = PTCP_IN_ICMP;
		in.icmp.type = PTCP_ICMP_FRAG_NEEDED;
		in.icmp.mtu = p->icmp_mtu;
		in.icmp.seq = p->icmp_seq;
		trace(s, k, "< icmp frag-needed mtu %u seq %u", p->icmp_mtu, p->icmp_seq);
		note_pkt(s, p, p->to, PTCP_SIM_ICMP, PTCP_SIM_DROP_COUNT, 0);
		pkt_free(s, ref);
		sim_step(s, k, &in);
		return c;
	}
	if (!(p->flags & PKT_CORRUPT)) {
		/* intact: the bytes are those parsed when the packet was sent */
		ipp = &p->ip;
		segp = &p->seg;
		r = 0;
	} else {
		r = ptcp_wire_parse_packet(p->data, p->len, &ip, &seg);
	}
	if (r < 0) {
		s->res->drops[PTCP_SIM_DROP_CODEC]++;
		if (-r < PTCP_SIM_CODEC_COUNT)
			s->res->codec[-r]++;
		sim_hash(s, 0xc0dec000u | (uint32_t)-r);
		if (s->cfg.trace)
			trace(s, &c->e[p->to], "drop codec: %s%s", ptcp_strerror(r),
			      (p->flags & PKT_CORRUPT) ? " (corrupted)" : "");
		note_pkt(s, p, (uint8_t)!p->to, PTCP_SIM_DROPPED, PTCP_SIM_DROP_CODEC, r);
		if (!(p->flags & PKT_CORRUPT))
			sim_fail(s, &c->e[p->to], "an intact packet failed to parse: %s",
			         ptcp_strerror(r));
		pkt_free(s, ref);
		return c;
	}
	if (p->flags & PKT_CORRUPT) {
		/* IPv6 has no header checksum and the TCP pseudo-header leaves out
		 * the traffic class, the flow label and the hop limit (RFC 8200 8.1):
		 * a flip there is invisible, and legitimately so. */
		uint32_t pos = p->corrupt_pos;
		if (!(p->ip.src.family == 6 && (pos <= 3 || pos == 7))) {
			/* the receiver's codec took it: show it as delivered */
			note_pkt(s, p, (uint8_t)!p->to, PTCP_SIM_DELIVERED, PTCP_SIM_DROP_COUNT, 0);
			sim_fail(s, &c->e[p->to],
			         "a corrupted packet passed the codec (len %u, byte %u flipped)",
			         p->len, pos);
			pkt_free(s, ref);
			return c;
		}
		s->res->corrupted_harmless++;
	}
	idx = (unsigned)segp->dport - (p->to ? SERVER_PORT : CLIENT_PORT);
	if (idx >= s->nconns) {
		s->res->drops[PTCP_SIM_DROP_NOPORT]++;
		note_pkt(s, p, (uint8_t)!p->to, PTCP_SIM_DROPPED, PTCP_SIM_DROP_NOPORT, 0);
		pkt_free(s, ref);
		return c;
	}
	k = &s->conns[idx].e[p->to];
	s->res->delivered++;
	if (s->cfg.trace) {
		char t[200];
		seg_text(segp, t, sizeof(t));
		trace(s, k, "< %s", t);
	}
	in.kind = PTCP_IN_SEGMENT;
	in.segment.seg = segp;
	in.segment.src = ipp->src;
	in.segment.dst = ipp->dst;
	in.segment.ecn = ipp->tos & 3u;
	note_pkt(s, p, (uint8_t)!p->to, PTCP_SIM_DELIVERED, PTCP_SIM_DROP_COUNT, 0);
	sim_step(s, k, &in);
	pkt_free(s, ref);
	return k->conn;
}

/* ---- Stream data -------------------------------------------------------- */
void sim_fill(const sim *s, uint8_t *buf, uint64_t off, size_t len)
{
	/* pattern(k) = (k ^ k >> 8) ^ (k >> 16 ^ k >> 24), low byte: within a
	 * 64 KiB block the second half is a constant c, so a block is the
	 * table of the first half (s->pattern) XOR c. */
	while (len) {
		uint32_t x = (uint32_t)off;
		uint8_t c = (uint8_t)((x >> 16) ^ (x >> 24));
		const uint8_t *src = s->pattern + (x & 0xffffu);
		size_t n = 65536u - (x & 0xffffu), i = 0;
		if (n > len)
			n = len;
		if (c == 0) {
			memcpy(buf, src, n);
		} else {
			uint64_t cc = 0x0101010101010101ull * c, w;
			for (; i + 8 <= n; i += 8) {
				memcpy(&w, src + i, 8);
				w ^= cc;
				memcpy(buf + i, &w, 8);
			}
			for (; i < n; i++)
				buf[i] = (uint8_t)(src[i] ^ c);
		}
		buf += n;
		off += n;
		len -= n;
	}
}

/* ---- Liveness ----------------------------------------------------------- */
static void liveness(sim *s, sim_conn *c)
{
	/* Something can still happen to the connection while a packet of it is
	 * in flight, either end has a deadline or an application wake-up is due:
	 * it is stuck only when none of these holds and an end still has data
	 * unacknowledged, unsent or unread (ptcp_check_liveness). */
	if (c->inflight)
		return;
	for (int i = 0; i < 2; i++)
		if (c->e[i].deadline != PTCP_TIME_NEVER || c->e[i].apos != NOPOS)
			return;
	for (int i = 0; i < 2 && !s->failed; i++) {
		sim_core *k = &c->e[i];
		ptcp_check_violation v;
		ptcp_info info;
		ptcp_conn_info(&k->c, &info);
		if (ptcp_check_liveness(&info, k->deadline, 0, app_pending(k), &v) != PTCP_CHECK_OK)
			sim_fail_check(s, k, &v);
	}
}

/* ---- Setup and the run -------------------------------------------------- */
static int bad_pct(double p)
{
	return !(p >= 0 && p <= 100);
}

static int validate(const ptcp_sim_config *cfg, char *why, size_t cap)
{
	if (cfg->conns < 1 || cfg->conns > 20000) {
		snprintf(why, cap, "conns must be 1..20000");
		return -1;
	}
	if ((unsigned)cfg->app >= PTCP_SIM_APP_COUNT) {
		snprintf(why, cap, "unknown application model");
		return -1;
	}
	if (cfg->sndbuf < 1 || cfg->rcvbuf < 1 || cfg->sndbuf > (1u << 30) ||
	    cfg->rcvbuf > (1u << 30)) {
		snprintf(why, cap, "buffers must be 1 .. 1 GiB");
		return -1;
	}
	if (cfg->core.mss < 64 || cfg->core.mss > 9000) {
		snprintf(why, cap, "MSS must be 64 .. 9000");
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		const ptcp_sim_link *l = &cfg->link[i];
		if (bad_pct(l->loss) || bad_pct(l->dup) || bad_pct(l->reorder) ||
		    bad_pct(l->corrupt)) {
			snprintf(why, cap, "percentages must be 0 .. 100");
			return -1;
		}
		if (l->mtu && l->mtu < 68) {
			snprintf(why, cap, "MTU must be at least 68");
			return -1;
		}
	}
	return 0;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void teardown(sim *s)
{
	if (s->conns) {
		for (unsigned i = 0; i < s->nconns; i++) {
			for (int j = 0; j < 2; j++) {
				free(s->conns[i].e[j].sbuf);
				free(s->conns[i].e[j].rbuf);
				free(s->conns[i].e[j].ooo);
				ptcp_check_stream_free(&s->conns[i].st[j]);
			}
		}
	}
	for (uint32_t i = 0; i < s->npkts; i++)
		free(s->pkts[i]);
	free(s->pkts);
	free(s->free_pkts);
	free(s->heap);
	free(s->conns);
	free(s->loss_pool);
	free(s->loss_free);
	free(s->act);
	free(s->pattern);
	free(s->iobuf);
	for (int i = 0; i < 2; i++)
		free(s->link[i].q);
	free(s);
}

static int setup(sim *s)
{
	const ptcp_sim_config *cfg = &s->cfg;
	uint64_t master = cfg->seed;
	s->pkt_cap = (size_t)cfg->core.mss + 40 + 60 + 64;
	s->act_cap = 256;
	s->act = calloc(s->act_cap, sizeof(ptcp_action));
	s->pattern = malloc(256u * 256u);
	s->iobuf = malloc(IO_CHUNK);
	s->nconns = cfg->conns;
	s->conns = calloc(cfg->conns, sizeof(sim_conn));
	if (!s->act || !s->pattern || !s->iobuf || !s->conns)
		return -1;
	if (cfg->loss_areas) {
		s->loss_pool = calloc(cfg->loss_areas, sizeof(ptcp_loss));
		s->loss_free = calloc(cfg->loss_areas, sizeof(ptcp_loss *));
		if (!s->loss_pool || !s->loss_free)
			return -1;
		for (unsigned i = 0; i < cfg->loss_areas; i++)
			s->loss_free[s->nloss_free++] = &s->loss_pool[cfg->loss_areas - 1 - i];
	}
	for (unsigned i = 0; i < 65536u; i++)
		s->pattern[i] = (uint8_t)(i ^ (i >> 8));
	if (cfg->ipv6) {
		for (int h = 0; h < 2; h++) {
			memset(&s->addr[h], 0, sizeof(ptcp_addr));
			s->addr[h].family = 6;
			s->addr[h].bytes[0] = 0xfd;
			s->addr[h].bytes[15] = (uint8_t)(h + 1);
		}
	} else {
		ptcp_addr_v4(&s->addr[0], 10, 0, 0, 1);
		ptcp_addr_v4(&s->addr[1], 10, 0, 0, 2);
	}
	for (int i = 0; i < 2; i++) {
		sim_link *l = &s->link[i];
		l->cfg = cfg->link[i];
		ptcp_sim_rng_seed(&l->rng, ptcp_sim_splitmix64(&master));
		l->loss_t = ptcp_sim_pct_threshold(l->cfg.loss);
		l->dup_t = ptcp_sim_pct_threshold(l->cfg.dup);
		l->reorder_t = ptcp_sim_pct_threshold(l->cfg.reorder);
		l->corrupt_t = ptcp_sim_pct_threshold(l->cfg.corrupt);
	}
	for (unsigned i = 0; i < s->nconns; i++) {
		sim_conn *c = &s->conns[i];
		c->idx = i;
		for (int j = 0; j < 2; j++) {
			sim_core *k = &c->e[j];
			ptcp_config pc = cfg->core;
			uint64_t r = ptcp_sim_splitmix64(&master);
			k->conn = c;
			k->side = (uint8_t)j;
			k->id = i * 2u + (uint32_t)j;
			k->tpos = k->apos = NOPOS;
			k->deadline = PTCP_TIME_NEVER;
			k->iss = (uint32_t)r;
			pc.ts_offset = (uint32_t)(r >> 32);
			ptcp_sim_rng_seed(&k->rng, ptcp_sim_splitmix64(&master));
			k->sbuf = malloc(cfg->sndbuf);
			k->rbuf = malloc(cfg->rcvbuf);
			if (!k->sbuf || !k->rbuf)
				return -1;
			k->pc = pc;
			if (ptcp_conn_init(&k->c, &pc, k->sbuf, cfg->sndbuf, k->rbuf,
			                   cfg->rcvbuf) != 0)
				return -2;
			if (!cfg->loss_areas)
				ptcp_conn_set_loss(&k->c, &k->loss); /* its own, for good */
			if (cfg->ooo_ranges) {
				k->ooo = malloc(cfg->ooo_ranges * sizeof(*k->ooo));
				if (!k->ooo)
					return -1;
				if (ptcp_conn_set_ooo_pool(&k->c, k->ooo, cfg->ooo_ranges) != 0)
					return -2;
			}
			memset(&k->st, 0, sizeof(k->st));
			ptcp_conn_set_stats(&k->c, &k->st);
			ptcp_check_init_conn(&k->chk, &k->c);
			ptcp_check_stream_init(&c->st[j]);
		}
	}
	return 0;
}

static void collect(sim *s)
{
	ptcp_sim_result *res = s->res;
	for (unsigned i = 0; i < s->nconns; i++) {
		sim_conn *c = &s->conns[i];
		for (int j = 0; j < 2; j++) {
			ptcp_stats st;
			ptcp_conn_stats(&c->e[j].c, &st);
			res->retransmits += st.retransmits;
			res->rto_fired += st.rto_fired;
			for (int d = 0; d < PTCP_DROP_COUNT; d++)
				res->core_drops[d] += st.drops[d];
			res->states[ptcp_conn_state(&c->e[j].c)]++;
			if (ptcp_conn_error(&c->e[j].c))
				res->errors++;
			res->written[j] += c->st[j].written;
			res->read[j] += c->st[j].read;
		}
	}
	res->vtime = s->now;
	res->hash = s->hash;
}

int ptcp_sim_run(const ptcp_sim_config *cfg, ptcp_sim_result *res)
{
	double t0 = wall_now();
	sim *s;
	int rc;
	memset(res, 0, sizeof(*res));
	if (validate(cfg, res->why, sizeof(res->why)) < 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		return -1;
	}
	s->cfg = *cfg;
	s->res = res;
	s->hash = 0x5EED5EED5EED5EEDull ^ cfg->seed;
	rc = setup(s);
	if (rc < 0) {
		snprintf(res->why, sizeof(res->why),
		         rc == -1 ? "out of memory" : "ptcp_conn_init rejected the configuration");
		teardown(s);
		return -1;
	}
	if (cfg->script) {
#ifdef PTCP_SIM_HAVE_SCRIPT
		s->script = sim_script_new(s);
		if (!s->script) {
			snprintf(res->why, sizeof(res->why), "out of memory");
			teardown(s);
			return -1;
		}
#else
		snprintf(res->why, sizeof(res->why),
		         "event scripts are not built in (harness/script missing)");
		teardown(s);
		return -1;
#endif
	}
	res->ok = 1;
	for (unsigned i = 0; i < s->nconns && !s->failed; i++)
		app_start(s, &s->conns[i]);
	while (s->hn && !s->failed) {
		hent e = s->heap[0];
		sim_conn *c = NULL;
		if (e.t > cfg->max_time) {
			s->now = cfg->max_time;
			sim_fail(s, NULL,
			         "virtual time limit reached (%llu s) with %u events pending",
			         (unsigned long long)(cfg->max_time / 1000000u), s->hn);
			break;
		}
		s->hn--;
		if (s->hn) {
			hplace(s, 0, &s->heap[s->hn]);
			sift_down(s, 0);
		}
		heap_clear_pos(s, &e);
		s->now = e.t;
		res->events++;
		switch (e.kind) {
		case EV_PKT:
			c = deliver(s, e.ref);
			break;
		case EV_TIMER: {
			sim_core *k = sim_core_by_id(s, e.ref);
			ptcp_input in;
			memset(&in, 0, sizeof(in));
			in.kind = PTCP_IN_TIME;
			sim_step(s, k, &in);
			c = k->conn;
			break;
		}
		case EV_APP: {
			sim_core *k = sim_core_by_id(s, e.ref);
			app_wake(s, k);
			c = k->conn;
			break;
		}
		default:
			break;
		}
		if (c && !s->failed) {
			app_pump(s, &c->e[0]);
			app_pump(s, &c->e[1]);
			if (!s->failed)
				liveness(s, c);
		}
	}
	collect(s);
	if (!s->failed) {
		char why[400];
		for (unsigned i = 0; i < s->nconns; i++) {
			if (app_complete(s, &s->conns[i], why, sizeof(why)))
				res->completed++;
			else if (!s->failed)
				sim_fail(s, &s->conns[i].e[0], "connection did not complete: %s",
				         why);
		}
	}
#ifdef PTCP_SIM_HAVE_SCRIPT
	if (s->script) {
		char why[200];
		if (sim_script_finish(s, cfg->script, why, sizeof(why)) < 0)
			sim_fail(s, NULL, "event script: %s", why);
	}
#endif
	teardown(s);
	res->wall = wall_now() - t0;
	return res->ok ? 0 : 1;
}

/* ---- Summaries ---------------------------------------------------------- */
static void print_drops(FILE *f, const ptcp_sim_result *res)
{
	int any = 0;
	for (int d = 0; d < PTCP_SIM_DROP_COUNT; d++) {
		if (!res->drops[d])
			continue;
		fprintf(f, "%s%s %llu", any ? ", " : "", ptcp_sim_drop_name((ptcp_sim_drop)d),
		        (unsigned long long)res->drops[d]);
		any = 1;
		if (d == PTCP_SIM_DROP_CODEC) {
			int a2 = 0;
			fprintf(f, " (");
			for (int e = 1; e < PTCP_SIM_CODEC_COUNT; e++)
				if (res->codec[e]) {
					fprintf(f, "%s%s %llu", a2 ? ", " : "", ptcp_strerror(-e),
					        (unsigned long long)res->codec[e]);
					a2 = 1;
				}
			fprintf(f, ")");
		}
	}
	if (!any)
		fprintf(f, "none");
}

static void print_states(FILE *f, const ptcp_sim_result *res)
{
	int any = 0;
	for (int st = 0; st < PTCP_STATE_COUNT; st++)
		if (res->states[st]) {
			fprintf(f, "%s%s %u", any ? ", " : "", ptcp_state_name((ptcp_state)st),
			        res->states[st]);
			any = 1;
		}
}

void ptcp_sim_print_summary(FILE *f, const ptcp_sim_config *cfg, const ptcp_sim_result *res)
{
	int any = 0;
	fprintf(f, "seed %llu: %s\n", (unsigned long long)cfg->seed, res->ok ? "OK" : "FAILED");
	if (!res->ok)
		fprintf(f, "  failure:     %s\n", res->why);
	fprintf(f, "  app:         %s, %u connection%s, %llu bytes each, %u completed\n",
	        ptcp_sim_app_name(cfg->app), cfg->conns, cfg->conns == 1 ? "" : "s",
	        (unsigned long long)cfg->bytes, res->completed);
	fprintf(f,
	        "  delivered:   client->server %llu of %llu bytes, server->client %llu of %llu\n",
	        (unsigned long long)res->read[0], (unsigned long long)res->written[0],
	        (unsigned long long)res->read[1], (unsigned long long)res->written[1]);
	fprintf(f, "  segments:    %llu emitted, %llu delivered, %llu retransmitted, %llu RTOs\n",
	        (unsigned long long)res->segs, (unsigned long long)res->delivered,
	        (unsigned long long)res->retransmits, (unsigned long long)res->rto_fired);
	fprintf(
	    f,
	    "  link:        %llu duplicated, %llu reordered, %llu corrupted (%llu undetectable, "
	    "delivered), %llu ICMP\n",
	    (unsigned long long)res->dups, (unsigned long long)res->reordered,
	    (unsigned long long)res->corrupted, (unsigned long long)res->corrupted_harmless,
	    (unsigned long long)res->icmp);
	fprintf(f, "  link drops:  ");
	print_drops(f, res);
	fprintf(f, "\n  core drops:  ");
	for (int d = 1; d < PTCP_DROP_COUNT; d++)
		if (res->core_drops[d]) {
			fprintf(f, "%s%s %llu", any ? ", " : "", ptcp_drop_name((ptcp_drop)d),
			        (unsigned long long)res->core_drops[d]);
			any = 1;
		}
	if (!any)
		fprintf(f, "none");
	fprintf(f, "\n  final:       ");
	print_states(f, res);
	fprintf(f, "; %u died with an error\n", res->errors);
	if (cfg->loss_areas)
		fprintf(f,
		        "  loss areas:  %u of %u lent at most; %llu steps found the pool empty\n",
		        res->loss_peak, cfg->loss_areas, (unsigned long long)res->loss_empty);
	fprintf(f, "  virtual:     %.6f s, %llu events, %llu steps\n", (double)res->vtime / 1e6,
	        (unsigned long long)res->events, (unsigned long long)res->steps);
	fprintf(f, "  wall:        %.3f s (%.0f segments/s)\n", res->wall,
	        res->wall > 0 ? (double)res->segs / res->wall : 0.0);
	fprintf(f, "  trace hash:  %016llx\n", (unsigned long long)res->hash);
}

void ptcp_sim_print_line(FILE *f, const ptcp_sim_config *cfg, const ptcp_sim_result *res)
{
	fprintf(f,
	        "seed %llu %s: c->s %llu/%llu s->c %llu/%llu bytes, %llu segs, %llu rexmit, "
	        "drops ",
	        (unsigned long long)cfg->seed, res->ok ? "ok" : "FAIL",
	        (unsigned long long)res->read[0], (unsigned long long)res->written[0],
	        (unsigned long long)res->read[1], (unsigned long long)res->written[1],
	        (unsigned long long)res->segs, (unsigned long long)res->retransmits);
	print_drops(f, res);
	fprintf(f, ", %.3f s virtual, ", (double)res->vtime / 1e6);
	if (cfg->loss_areas)
		fprintf(f, "loss areas %u of %u at most, %llu steps found none, ", res->loss_peak,
		        cfg->loss_areas, (unsigned long long)res->loss_empty);
	print_states(f, res);
	fprintf(f, ", %.3f s wall, hash %016llx\n", res->wall, (unsigned long long)res->hash);
	if (!res->ok)
		fprintf(f, "  failure: %s\n", res->why);
}
