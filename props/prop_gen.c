/*
 * Scenario generators: event scripts (a model peer against a shadow core)
 * and simulated networks.
 *
 * IMPLEMENTATION NOTES
 * The script generator appends one event at a time and runs it at once on
 * its shadow core (prop_int.h), so that the model peer can answer what the
 * core really emitted: the SYN's options, the data and its sequence
 * numbers, the window, the timestamps.  The peer keeps, relative to the
 * ISNs as scripts write them: its own next sequence number and the highest
 * ACK the core gave it, the next in-order byte of the core (its ACK) and
 * up to 4 out-of-order ranges (its SACK blocks), the core's window edge,
 * the options both sides agreed on.  Hostile moves read the shadow core's
 * variables (ptcp_conn_info) to hit boundaries exactly: RCV.NXT, the
 * window's last byte and the byte after it, SND.UNA - 1, SND.MAX + 1.
 * Whatever the core does, the script stays a valid scenario; the property
 * is judged on the runner's execution of the script, not on the shadow.
 */
#include <stdlib.h>
#include <string.h>

#include "prop_int.h"

/* ---- Shadow core ------------------------------------------------------ */
#define SHADOW_STEPS_MAX 100000u

int shadow_init(shadow *sh, const ptcp_script *s)
{
	ptcp_config pc;
	memset(sh, 0, offsetof(shadow, pkt));
	sh->s = s;
	ptcp_config_default(&pc);
	uint32_t unknown = pc.flags & ~(uint32_t)PTCP_SCRIPT_CFG_FLAGS_ALL;
	ptcp_script_apply_config(s, &pc);
	pc.flags |= unknown;
	sh->sbuf = malloc(s->cfg.sndbuf);
	sh->rbuf = malloc(s->cfg.rcvbuf);
	sh->io_cap = 1u << 16;
	sh->io = malloc(sh->io_cap);
	sh->now = s->cfg.start;
	sh->deadline = PTCP_TIME_NEVER;
	if (!sh->sbuf || !sh->rbuf || !sh->io ||
	    ptcp_conn_init(&sh->c, &pc, sh->sbuf, s->cfg.sndbuf, sh->rbuf, s->cfg.rcvbuf) != 0) {
		sh->broken = 1;
		return -1;
	}
	ptcp_conn_set_loss(&sh->c, &sh->loss);
	memset(&sh->st, 0, sizeof(sh->st));
	ptcp_conn_set_stats(&sh->c, &sh->st);
	return 0;
}

void shadow_free(shadow *sh)
{
	free(sh->sbuf);
	free(sh->rbuf);
	free(sh->io);
	sh->sbuf = sh->rbuf = sh->io = NULL;
}

static int shadow_step(shadow *sh, const ptcp_input *in, ptcp_time_t t)
{
	ptcp_actions out = {.v = sh->acts, .cap = 64, .n = 0};
	if (sh->broken)
		return 0;
	if (++sh->steps > SHADOW_STEPS_MAX) {
		sh->broken = 1;
		return 0;
	}
	int ret = ptcp_step(&sh->c, in, t, &out);
	sh->now = t;
	size_t n = out.n < out.cap ? out.n : out.cap;
	for (size_t i = 0; i < n; i++)
		if (out.v[i].kind == PTCP_ACT_STATE && out.v[i].state.from == PTCP_CLOSED)
			sh->sent_off = 0;
	if (in->kind == PTCP_IN_SEND && ret > 0)
		sh->sent_off += (uint32_t)ret;
	for (size_t i = 0; i < n; i++) {
		const ptcp_action *a = &out.v[i];
		if (a->kind == PTCP_ACT_DEADLINE) {
			sh->deadline = a->deadline;
		} else if (a->kind == PTCP_ACT_EMIT && sh->nq < SHADOW_QMAX) {
			const ptcp_seg *g = &a->emit.seg;
			shadow_seg *q = &sh->q[sh->nq++];
			q->flags = g->flags;
			q->ecn = a->emit.ecn;
			q->wnd = g->wnd;
			q->seq = g->seq;
			q->ack = g->ack;
			q->len = (uint32_t)ptcp_seg_len(g);
			q->present = g->opts.present;
			q->mss = g->opts.mss;
			q->wscale = g->opts.wscale;
			q->tsval = g->opts.ts_val;
			q->tsecr = g->opts.ts_ecr;
		}
	}
	return ret;
}

static void shadow_fire(shadow *sh, ptcp_time_t t, int at_t)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_TIME;
	while (!sh->broken && sh->deadline != PTCP_TIME_NEVER &&
	       (sh->deadline < t || (at_t && sh->deadline == t) || sh->deadline <= sh->now))
		shadow_step(sh, &in, sh->deadline > sh->now ? sh->deadline : sh->now);
}

void shadow_event(shadow *sh, const ptcp_script_event *e, ptcp_time_t t)
{
	const ptcp_script *s = sh->s;
	ptcp_input in;
	ptcp_ip ip;
	ptcp_seg seg;
	if (sh->broken)
		return;
	shadow_fire(sh, t, 0);
	sh->now = t;
	if (e->kind == PTCP_SCRIPT_SEGMENT || e->kind == PTCP_SCRIPT_RAW) {
		int n;
		const uint8_t *p = sh->pkt;
		if (e->kind == PTCP_SCRIPT_SEGMENT) {
			n = ptcp_script_seg_to_packet(s, &e->seg, PTCP_SCRIPT_IN, sh->pkt,
			                              sizeof sh->pkt);
		} else {
			n = (int)e->raw.len;
			p = e->raw.data;
		}
		if (n <= 0 || ptcp_wire_parse_packet(p, (size_t)n, &ip, &seg) != 0)
			return;
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_SEGMENT;
		in.segment.seg = &seg;
		in.segment.src = ip.src;
		in.segment.dst = ip.dst;
		in.segment.ecn = ip.tos & 3u;
		shadow_step(sh, &in, t);
		return;
	}
	size_t need = 1;
	if (e->kind == PTCP_SCRIPT_SEND && !e->send.data)
		need = e->send.len;
	if (e->kind == PTCP_SCRIPT_READ && !e->read.discard)
		need = e->read.len;
	if (need > sh->io_cap) {
		uint8_t *b = realloc(sh->io, need);
		if (!b) {
			sh->broken = 1;
			return;
		}
		sh->io = b;
		sh->io_cap = need;
	}
	if (ptcp_script_event_to_input(s, e, sh->sent_off, sh->io, sh->io_cap, &in) != 0)
		return;
	int ret = shadow_step(sh, &in, t);
	if (e->kind != PTCP_SCRIPT_TIME && e->kind != PTCP_SCRIPT_ICMP)
		sh->last_ret = ret;
}

/* ---- The model peer ---------------------------------------------------- */
#define OOO_MAX 16 /* out-of-order ranges the peer keeps (4 when it may renege) */

typedef struct peer {
	int syn_sent, syn_seen; /* our SYN sent, the core's SYN received */
	int my_ws_offer, my_ts_offer, my_sack_offer, my_ecn_offer;
	int core_ws_offer, core_ts_offer, core_sack_offer, core_ecn_offer;
	int ws_on, ts_on, sack_on, ecn_on;
	uint8_t my_ws, core_ws;
	uint16_t my_mss, core_mss;
	uint32_t nxt;     /* our next sequence number (relative to isn_peer) */
	uint32_t una;     /* the core's highest ACK of our data */
	uint32_t fin_seq; /* our FIN's sequence number */
	int fin_sent;
	uint32_t rcv; /* the core's next in-order byte (relative to isn_local): our ACK */
	uint32_t ooo_l[OOO_MAX], ooo_r[OOO_MAX];
	unsigned nooo;
	int core_fin;     /* the core's FIN received in order */
	int core_fin_ooo; /* ... received beyond a hole at core_fin_seq */
	uint32_t core_fin_seq;
	uint32_t core_edge; /* the core's receive window edge (relative to isn_peer) */
	int have_edge;
	uint32_t core_tsval;
	int have_tsval;
	uint32_t wnd; /* our receive window, bytes */
	uint32_t max_wnd;
	uint32_t ts_base;
	unsigned loss_pct;
	unsigned need_ack;
	int dead;    /* the core reset the connection */
	int simopen; /* we answered the core's SYN with a SYN */
	int ce_pending;
} peer;

typedef struct gen {
	ptcp_prop_rng r;
	const ptcp_prop_gen *o;
	ptcp_script *s;
	shadow *sh;
	ptcp_time_t t;    /* absolute time of the last event */
	uint64_t pending; /* delta for the next event */
	int oom;
	int opened; /* an open event was given */
	peer p;
} gen;

static uint64_t R(gen *g, uint64_t lo, uint64_t hi)
{
	return ptcp_prop_range(&g->r, lo, hi);
}

static int P(gen *g, unsigned pct)
{
	return ptcp_prop_chance(&g->r, pct);
}

static ptcp_script_event *push(gen *g, ptcp_script_kind k)
{
	ptcp_script_event *e = ptcp_script_push(g->s, k);
	if (!e) {
		g->oom = 1;
		return NULL;
	}
	e->delta = g->pending;
	g->pending = 0;
	return e;
}

static void take(gen *g, const shadow_seg *q);

static void commit(gen *g, ptcp_script_event *e)
{
	g->t += e->delta;
	shadow_event(g->sh, e, g->t);
}

static ptcp_time_t next_time(const gen *g)
{
	return g->t + g->pending;
}

static uint32_t tsval_now(const gen *g)
{
	return g->p.ts_base + (uint32_t)(next_time(g) / 1000u);
}

static ptcp_info info_of(const gen *g)
{
	ptcp_info i;
	ptcp_conn_info(&g->sh->c, &i);
	return i;
}

/* Option bytes: each option in its own 4-byte-aligned slot. */
static unsigned opt_mss(uint8_t *o, uint16_t mss)
{
	o[0] = 2;
	o[1] = 4;
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
	return 4;
}

static unsigned opt_ts(uint8_t *o, uint32_t val, uint32_t ecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	for (int i = 0; i < 4; i++) {
		o[4 + i] = (uint8_t)(val >> (24 - 8 * i));
		o[8 + i] = (uint8_t)(ecr >> (24 - 8 * i));
	}
	return 12;
}

static unsigned opt_ws(uint8_t *o, uint8_t ws)
{
	o[0] = 1;
	o[1] = 3;
	o[2] = 3;
	o[3] = ws;
	return 4;
}

static unsigned opt_sackok(uint8_t *o)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 4;
	o[3] = 2;
	return 4;
}

static unsigned opt_sack(uint8_t *o, const uint32_t *l, const uint32_t *r, unsigned n)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	o[3] = (uint8_t)(2 + 8 * n);
	for (unsigned k = 0; k < n; k++)
		for (int i = 0; i < 4; i++) {
			o[4 + 8 * k + (unsigned)i] = (uint8_t)(l[k] >> (24 - 8 * i));
			o[8 + 8 * k + (unsigned)i] = (uint8_t)(r[k] >> (24 - 8 * i));
		}
	return 4 + 8 * n;
}

static uint16_t win_field(const gen *g, int syn)
{
	uint32_t w = g->p.wnd;
	if (!syn && g->p.ws_on)
		w >>= g->p.my_ws;
	return (uint16_t)(w > 65535 ? 65535 : w);
}

/* A segment from the peer.  opt NULL: the usual options (TS, SACK). */
static ptcp_script_event *seg_ev(gen *g, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	ptcp_script_event *e = push(g, PTCP_SCRIPT_SEGMENT);
	if (!e)
		return NULL;
	ptcp_script_seg *s = &e->seg;
	s->flags = flags;
	s->seq = seq;
	s->ack = (flags & PTCP_ACK) ? ack : 0;
	s->len = len > PTCP_SCRIPT_SEG_PAYLOAD_MAX ? PTCP_SCRIPT_SEG_PAYLOAD_MAX : len;
	s->win = win_field(g, (flags & PTCP_SYN) != 0);
	if (g->p.ecn_on && len && !(flags & PTCP_SYN))
		s->ecn = PTCP_SCRIPT_ECN_ECT0;
	unsigned n = 0;
	if (g->p.ts_on && !(flags & PTCP_SYN))
		n += opt_ts(s->opt + n, tsval_now(g), g->p.have_tsval ? g->p.core_tsval : 0);
	if (g->p.sack_on && (flags & PTCP_ACK) && g->p.nooo) {
		unsigned k = g->p.nooo;
		unsigned room = (PTCP_TCP_OPT_MAX - n - 4) / 8;
		if (k > room)
			k = room;
		if (k)
			n += opt_sack(s->opt + n, g->p.ooo_l, g->p.ooo_r, k);
	}
	s->opt_len = (uint8_t)n;
	if ((g->o->avoid & PTCP_PROP_AVOID_OLD_ACK) && (flags & PTCP_ACK) &&
	    ptcp_seq_lt(g->s->isn_local + s->ack, g->sh->c.snd_una))
		s->win = 0; /* an old ACK: its window must not open anything */
	return e;
}

/* ---- What the core sent, as the peer sees it ---------------------------- */
static void negotiate(peer *p)
{
	if (!p->syn_sent || !p->syn_seen)
		return;
	p->ws_on = p->my_ws_offer && p->core_ws_offer;
	p->ts_on = p->my_ts_offer && p->core_ts_offer;
	p->sack_on = p->my_sack_offer && p->core_sack_offer;
	p->ecn_on = p->my_ecn_offer && p->core_ecn_offer;
}

static void ooo_add(peer *p, unsigned cap, uint32_t l, uint32_t r)
{
	/* merge with the ranges it touches, most recent first (RFC 2018) */
	for (unsigned i = 0; i < p->nooo;) {
		if (ptcp_seq_le(l, p->ooo_r[i]) && ptcp_seq_ge(r, p->ooo_l[i])) {
			if (ptcp_seq_lt(p->ooo_l[i], l))
				l = p->ooo_l[i];
			if (ptcp_seq_gt(p->ooo_r[i], r))
				r = p->ooo_r[i];
			memmove(&p->ooo_l[i], &p->ooo_l[i + 1],
			        (p->nooo - i - 1) * sizeof(uint32_t));
			memmove(&p->ooo_r[i], &p->ooo_r[i + 1],
			        (p->nooo - i - 1) * sizeof(uint32_t));
			p->nooo--;
		} else {
			i++;
		}
	}
	if (p->nooo >= cap)
		p->nooo = cap - 1; /* forget the oldest: reneging (RFC 2018 8) */
	memmove(&p->ooo_l[1], &p->ooo_l[0], p->nooo * sizeof(uint32_t));
	memmove(&p->ooo_r[1], &p->ooo_r[0], p->nooo * sizeof(uint32_t));
	p->ooo_l[0] = l;
	p->ooo_r[0] = r;
	p->nooo++;
}

/* Advance rcv over the out-of-order ranges it reaches. */
static void ooo_pull(peer *p)
{
	int again = 1;
	while (again) {
		again = 0;
		for (unsigned i = 0; i < p->nooo; i++) {
			if (ptcp_seq_le(p->ooo_l[i], p->rcv)) {
				if (ptcp_seq_gt(p->ooo_r[i], p->rcv))
					p->rcv = p->ooo_r[i];
				memmove(&p->ooo_l[i], &p->ooo_l[i + 1],
				        (p->nooo - i - 1) * sizeof(uint32_t));
				memmove(&p->ooo_r[i], &p->ooo_r[i + 1],
				        (p->nooo - i - 1) * sizeof(uint32_t));
				p->nooo--;
				again = 1;
				break;
			}
		}
	}
	if (p->core_fin_ooo && p->rcv == p->core_fin_seq) {
		p->rcv++;
		p->core_fin = 1;
		p->core_fin_ooo = 0;
	}
}

static void take(gen *g, const shadow_seg *q)
{
	peer *p = &g->p;
	uint32_t seq = q->seq - g->s->isn_local;
	uint32_t ack = q->ack - g->s->isn_peer;
	if (q->flags & PTCP_RST) {
		p->dead = 1;
		return;
	}
	if (q->present & PTCP_OPT_TS) {
		p->core_tsval = q->tsval;
		p->have_tsval = 1;
	}
	if (q->flags & PTCP_SYN) {
		p->syn_seen = 1;
		p->core_ws_offer = (q->present & PTCP_OPT_WSCALE) != 0;
		p->core_ws = q->wscale > 14 ? 14 : q->wscale;
		p->core_ts_offer = (q->present & PTCP_OPT_TS) != 0;
		p->core_sack_offer = (q->present & PTCP_OPT_SACK_PERM) != 0;
		p->core_mss = (q->present & PTCP_OPT_MSS) ? q->mss : 536;
		p->core_ecn_offer = (q->flags & PTCP_ACK) ? (q->flags & PTCP_ECE) != 0
		                                          : (q->flags & (PTCP_ECE | PTCP_CWR)) ==
		                                                (PTCP_ECE | PTCP_CWR);
		p->rcv = seq + 1;
		p->nooo = 0;
		p->need_ack++;
		negotiate(p);
	}
	uint32_t start = seq + ((q->flags & PTCP_SYN) ? 1u : 0u);
	uint32_t end = start + q->len;
	if (q->len) {
		if (ptcp_seq_le(start, p->rcv) && ptcp_seq_gt(end, p->rcv))
			p->rcv = end;
		else if (ptcp_seq_gt(start, p->rcv))
			ooo_add(p, (g->o->avoid & PTCP_PROP_AVOID_RENEGE) ? OOO_MAX : 4, start,
			        end);
		ooo_pull(p);
		p->need_ack++;
		if (q->ecn == 3)
			p->ce_pending = 1;
	}
	if ((q->flags & PTCP_FIN) && !p->core_fin) {
		if (end == p->rcv) {
			p->rcv++;
			p->core_fin = 1;
		} else if (ptcp_seq_gt(end, p->rcv)) {
			p->core_fin_ooo = 1;
			p->core_fin_seq = end;
		}
		p->need_ack++;
	}
	if (q->flags & PTCP_ACK) {
		if (ptcp_seq_gt(ack, p->una) && ptcp_seq_le(ack, p->nxt))
			p->una = ack;
		uint32_t w = q->wnd;
		if (!(q->flags & PTCP_SYN) && p->ws_on)
			w <<= p->core_ws;
		if (ptcp_seq_ge(ack, p->una)) {
			p->core_edge = ack + w;
			p->have_edge = 1;
		}
	}
}

/* The peer reads the segments the core emitted (some are lost). */
static void deliver(gen *g)
{
	shadow *sh = g->sh;
	size_t n = sh->nq;
	if (!n)
		return;
	/* sometimes out of order */
	if (n > 1 && P(g, 10)) {
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)R(g, 0, i);
			shadow_seg t = sh->q[i];
			sh->q[i] = sh->q[j];
			sh->q[j] = t;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!P(g, g->p.loss_pct))
			take(g, &sh->q[i]);
	sh->nq = 0;
}

/* ---- Peer moves ----------------------------------------------------------- */
static void peer_syn(gen *g, int with_ack)
{
	peer *p = &g->p;
	int weird = P(g, 4);
	ptcp_script_event *e;
	if (!p->syn_sent) {
		p->my_mss = (uint16_t)(P(g, 70) ? 1460 : R(g, 64, 9000));
		p->my_ws = (uint8_t)(P(g, 50) ? 7 : R(g, 0, 14));
		if (with_ack) {
			/* answer the core's offers (mostly as the RFCs say) */
			p->my_ws_offer = p->core_ws_offer ? P(g, 90) : P(g, 5);
			p->my_ts_offer = p->core_ts_offer ? P(g, 90) : P(g, 5);
			p->my_sack_offer = p->core_sack_offer ? P(g, 90) : P(g, 5);
			p->my_ecn_offer = p->core_ecn_offer && P(g, 60);
		} else {
			p->my_ws_offer = P(g, 80);
			p->my_ts_offer = P(g, 80);
			p->my_sack_offer = P(g, 80);
			p->my_ecn_offer = P(g, 20);
		}
		p->syn_sent = 1;
		p->nxt = 1;
		p->una = 0;
		negotiate(p);
	}
	uint8_t flags = PTCP_SYN;
	if (with_ack)
		flags |= PTCP_ACK;
	if (p->my_ecn_offer)
		flags |= with_ack ? PTCP_ECE : (PTCP_ECE | PTCP_CWR);
	e = seg_ev(g, flags, 0, p->rcv, 0);
	if (!e)
		return;
	ptcp_script_seg *s = &e->seg;
	unsigned n = 0;
	uint16_t mss = p->my_mss;
	uint8_t ws = p->my_ws;
	if (weird) {
		static const uint16_t mss_odd[] = {64, 65535, 536, 0, 1, 12, 40};
		static const uint8_t ws_odd[] = {15, 16, 255, 14};
		mss = mss_odd[R(g, 0, (g->o->avoid & PTCP_PROP_AVOID_TINY_MSS) ? 2 : 6)];
		ws = ws_odd[R(g, 0, 3)];
	}
	if (P(g, 95))
		n += opt_mss(s->opt + n, mss);
	if (p->my_sack_offer)
		n += opt_sackok(s->opt + n);
	if (p->my_ts_offer)
		n += opt_ts(s->opt + n, tsval_now(g), p->have_tsval ? p->core_tsval : 0);
	if (p->my_ws_offer)
		n += opt_ws(s->opt + n, ws);
	s->opt_len = (uint8_t)n;
	commit(g, e);
}

static void peer_ack(gen *g)
{
	peer *p = &g->p;
	uint8_t flags = PTCP_ACK;
	if (p->ecn_on && p->ce_pending) {
		flags |= PTCP_ECE;
		if (P(g, 50))
			p->ce_pending = 0;
	}
	ptcp_script_event *e = seg_ev(g, flags, p->nxt, p->rcv, 0);
	if (!e)
		return;
	p->need_ack = 0;
	commit(g, e);
}

static uint32_t core_room(const gen *g)
{
	const peer *p = &g->p;
	if (!p->have_edge)
		return 0;
	return ptcp_seq_gt(p->core_edge, p->nxt) ? p->core_edge - p->nxt : 0;
}

static void peer_data(gen *g)
{
	peer *p = &g->p;
	uint32_t room = core_room(g);
	uint32_t mss = p->core_mss ? p->core_mss : 536;
	uint32_t len;
	if (room == 0 && !P(g, 5))
		return;
	if (room == 0)
		room = (uint32_t)R(g, 1, 3000);
	if (P(g, 50))
		len = room < mss ? room : mss;
	else
		len = (uint32_t)R(g, 1, room < 3000 ? room : 3000);
	if (len > mss && P(g, 90))
		len = mss;
	uint8_t flags = PTCP_ACK | (P(g, 50) ? PTCP_PSH : 0);
	int lost = P(g, 8);
	if (lost) {
		p->nxt += len;
		return;
	}
	ptcp_script_event *e = seg_ev(g, flags, p->nxt, p->rcv, len);
	if (!e)
		return;
	if (p->ecn_on && P(g, 5))
		e->seg.ecn = PTCP_SCRIPT_ECN_CE;
	p->nxt += len;
	p->need_ack = 0;
	commit(g, e);
}

static void peer_syn(gen *g, int with_ack);

static void peer_rexmit(gen *g)
{
	peer *p = &g->p;
	if (p->una == p->nxt)
		return;
	if (p->una == 0) { /* our SYN is not acknowledged: it goes again */
		int ack = p->syn_seen && g->s->role == PTCP_SCRIPT_CLIENT;
		if (p->simopen && (g->o->avoid & PTCP_PROP_AVOID_SIMOPEN_SYNACK))
			ack = 0;
		peer_syn(g, ack);
		return;
	}
	uint32_t data_end = p->fin_sent ? p->fin_seq : p->nxt;
	uint32_t mss = p->core_mss ? p->core_mss : 536;
	uint32_t len = ptcp_seq_lt(p->una, data_end) ? data_end - p->una : 0;
	if (len > mss)
		len = mss;
	uint8_t flags = PTCP_ACK;
	if (p->fin_sent && p->una + len == p->fin_seq)
		flags |= PTCP_FIN;
	ptcp_script_event *e = seg_ev(g, flags, p->una, p->rcv, len);
	if (e)
		commit(g, e);
}

static void peer_window(gen *g)
{
	static const uint32_t w[] = {0, 1, 100, 1000, 2920, 8192, 65535, 131072, 1u << 20};
	uint32_t v = P(g, 25) ? 0 : w[R(g, 0, sizeof w / sizeof w[0] - 1)];
	if ((g->o->avoid & PTCP_PROP_AVOID_SMALL_WND) && v && v < g->p.max_wnd / 2)
		v = g->p.max_wnd;
	g->p.wnd = v;
	if (v > g->p.max_wnd)
		g->p.max_wnd = v;
	peer_ack(g);
}

static void peer_fin(gen *g)
{
	peer *p = &g->p;
	if (p->fin_sent)
		return;
	uint32_t len = 0;
	uint32_t room = core_room(g);
	if (room && P(g, 30))
		len = (uint32_t)R(g, 1, room < 1000 ? room : 1000);
	ptcp_script_event *e = seg_ev(g, PTCP_FIN | PTCP_ACK, p->nxt, p->rcv, len);
	if (!e)
		return;
	p->fin_seq = p->nxt + len;
	p->nxt += len + 1;
	p->fin_sent = 1;
	commit(g, e);
}

/* ---- Application moves --------------------------------------------------- */
static void app_simple(gen *g, ptcp_script_kind k)
{
	ptcp_script_event *e = push(g, k);
	if (e)
		commit(g, e);
}

static void app_send(gen *g)
{
	ptcp_script_event *e = push(g, PTCP_SCRIPT_SEND);
	if (!e)
		return;
	unsigned c = (unsigned)R(g, 0, 9);
	e->send.len = (uint32_t)(c < 4   ? R(g, 1, 100)
	                         : c < 8 ? R(g, 1, 20000)
	                                 : R(g, 20000, 200000));
	e->send.more = (uint8_t)P(g, 5);
	commit(g, e);
}

static void app_read(gen *g)
{
	ptcp_script_event *e = push(g, PTCP_SCRIPT_READ);
	if (!e)
		return;
	size_t avail = ptcp_conn_recv_avail(&g->sh->c);
	uint32_t len;
	if (avail && P(g, 70))
		len = (uint32_t)(P(g, 70) ? avail : R(g, 1, avail));
	else
		len = (uint32_t)R(g, 1, 70000);
	if (len > PTCP_SCRIPT_IO_MAX)
		len = PTCP_SCRIPT_IO_MAX;
	e->read.len = len;
	e->read.discard = (uint8_t)P(g, 10);
	commit(g, e);
}

static void app_shutdown(gen *g)
{
	ptcp_script_event *e = push(g, PTCP_SCRIPT_SHUTDOWN);
	if (!e)
		return;
	unsigned c = (unsigned)R(g, 0, 9);
	e->shutdown.how = c < 6 ? PTCP_SHUT_WR : c < 8 ? PTCP_SHUT_RD : PTCP_SHUT_RDWR;
	commit(g, e);
}

static uint64_t draw_delta(gen *g)
{
	unsigned c = (unsigned)R(g, 0, 99);
	if (c < 55)
		return 0;
	if (c < 80)
		return R(g, 1, PTCP_MS(10));
	if (c < 93)
		return R(g, PTCP_MS(10), PTCP_MS(500));
	return R(g, PTCP_MS(500), PTCP_SEC(3));
}

static void app_time(gen *g)
{
	unsigned c = (unsigned)R(g, 0, 99);
	uint64_t d;
	if (c < 40)
		d = R(g, PTCP_MS(1), PTCP_MS(50));
	else if (c < 70)
		d = R(g, PTCP_MS(50), PTCP_MS(1500));
	else if (c < 90)
		d = R(g, PTCP_MS(1500), PTCP_SEC(10));
	else
		d = R(g, PTCP_SEC(10), PTCP_SEC(200));
	g->pending += d;
	app_simple(g, PTCP_SCRIPT_TIME);
}

static void open_conn(gen *g)
{
	memset(&g->p, 0, sizeof g->p);
	g->p.ts_base = (uint32_t)R(g, 0, UINT32_MAX);
	g->p.loss_pct = g->o->loss_pct_max ? (unsigned)R(g, 0, g->o->loss_pct_max) : 0;
	static const uint32_t w[] = {65535, 65535, 1000, 8192, 29200, 262144, 1u << 20, 3000};
	g->p.wnd = g->p.max_wnd = w[R(g, 0, sizeof w / sizeof w[0] - 1)];
	g->sh->nq = 0;
	g->opened = 1;
	app_simple(g, g->s->role == PTCP_SCRIPT_SERVER ? PTCP_SCRIPT_LISTEN : PTCP_SCRIPT_CONNECT);
}

/* ---- Hostile moves --------------------------------------------------------- */
static uint32_t pick_rcv_seq(gen *g, const ptcp_info *i)
{
	uint32_t isn = g->s->isn_peer;
	uint32_t w = i->rcv_wnd;
	switch (R(g, 0, 7)) {
	case 0:
	case 1:
		return i->rcv_nxt - isn;
	case 2:
		return i->rcv_nxt + 1 - isn;
	case 3:
		return i->rcv_nxt - 1 - isn;
	case 4:
		return i->rcv_nxt + (w ? w - 1 : 0) - isn;
	case 5:
		return i->rcv_nxt + w - isn;
	case 6:
		return i->rcv_nxt + (uint32_t)R(g, 0, w ? w : 1) - isn;
	default:
		return ptcp_prop_u32(&g->r);
	}
}

static uint32_t pick_ack(gen *g, const ptcp_info *i)
{
	uint32_t isn = g->s->isn_local;
	switch (R(g, 0, 7)) {
	case 0:
		return i->snd_una - isn;
	case 1:
		return i->snd_max - isn;
	case 2:
		return i->snd_max + (uint32_t)R(g, 1, 3000) - isn;
	case 3:
		return i->snd_una - (uint32_t)R(g, 1, 3000) - isn;
	case 4:
		if (g->o->avoid & PTCP_PROP_AVOID_HUGE_SACK)
			return i->snd_una - 0x20000000u - isn;
		return i->snd_una - 0x80000000u - isn;
	case 5:
		return i->snd_una + (uint32_t)R(g, 0, i->snd_max - i->snd_una) - isn;
	case 6:
		return i->snd_nxt - isn;
	default:
		return ptcp_prop_u32(&g->r);
	}
}

static void hostile(gen *g)
{
	ptcp_info i = info_of(g);
	peer *p = &g->p;
	ptcp_script_event *e;
	unsigned c = (unsigned)R(g, 0, 99);
	if (c < g->o->icmp_pct) {
		e = push(g, PTCP_SCRIPT_ICMP);
		if (!e)
			return;
		static const uint32_t mtus[] = {0, 68, 576, 1000, 1280, 1500, 65535, 40};
		e->icmp.type = (uint8_t)R(g, 1, PTCP_ICMP_KIND_COUNT - 1);
		e->icmp.mtu = P(g, 80) ? mtus[R(g, 0, 7)] : (uint32_t)R(g, 0, 70000);
		e->icmp.seq = P(g, 80) ? pick_ack(g, &i) : ptcp_prop_u32(&g->r);
		commit(g, e);
		return;
	}
	c = (unsigned)R(g, 0, 11);
	uint8_t flags;
	uint32_t seq = pick_rcv_seq(g, &i), ack = pick_ack(g, &i), len = 0;
	switch (c) {
	case 0:
	case 1:
	case 2: /* RST */
		flags = P(g, 50) ? PTCP_RST : (PTCP_RST | PTCP_ACK);
		break;
	case 3: /* SYN in a synchronized state */
		flags = P(g, 60) ? PTCP_SYN : (PTCP_SYN | PTCP_ACK);
		if ((g->o->avoid & PTCP_PROP_AVOID_ZWND_SYN) && i.rcv_wnd == 0 &&
		    seq == i.rcv_nxt - g->s->isn_peer)
			seq++;
		break;
	case 4: /* an ACK of something odd */
	case 5:
		flags = PTCP_ACK;
		seq = i.rcv_nxt - g->s->isn_peer;
		break;
	case 6: /* data at the window's edges */
		flags = PTCP_ACK | PTCP_PSH;
		len = (uint32_t)R(g, 1, 3000);
		ack = p->rcv;
		break;
	case 7: /* FIN at an odd place */
		flags = PTCP_ACK | PTCP_FIN;
		ack = p->rcv;
		if (g->o->avoid & PTCP_PROP_AVOID_FIN_HOLE)
			seq = i.rcv_nxt - g->s->isn_peer;
		break;
	case 8: /* random flags */
		flags = (uint8_t)R(g, 0, 255);
		if ((g->o->avoid & PTCP_PROP_AVOID_ZWND_SYN) && i.rcv_wnd == 0 &&
		    seq == i.rcv_nxt - g->s->isn_peer)
			flags &= (uint8_t)~PTCP_SYN;
		if (g->o->avoid & PTCP_PROP_AVOID_FIN_HOLE)
			flags &= (uint8_t)~PTCP_FIN;
		if ((g->o->avoid & PTCP_PROP_AVOID_RST_TRIM) && (flags & PTCP_RST)) {
			flags &= (uint8_t)~PTCP_SYN;
			len = 0;
		}
		len = P(g, 50) ? 0 : (uint32_t)R(g, 1, 2000);
		break;
	default: { /* the usual ACK with odd options: old timestamp, strange SACK blocks */
		e = seg_ev(g, PTCP_ACK, p->nxt, p->rcv, 0);
		if (!e)
			return;
		ptcp_script_seg *s = &e->seg;
		unsigned n = 0;
		if (P(g, 50) || !p->ts_on) {
			uint32_t tv = tsval_now(g) - (uint32_t)R(g, 1, 0x90000000u);
			n += opt_ts(s->opt + n, tv, p->core_tsval);
		} else if (!(g->o->avoid & PTCP_PROP_AVOID_BOGUS_ECR) && P(g, 50)) {
			/* a TSecr we never sent */
			n += opt_ts(s->opt + n, tsval_now(g), ptcp_prop_u32(&g->r));
		} else {
			n += opt_ts(s->opt + n, tsval_now(g), p->core_tsval);
		}
		uint32_t l[3], r[3];
		unsigned k = (unsigned)R(g, 1, 3);
		for (unsigned j = 0; j < k; j++) {
			l[j] = pick_ack(g, &i);
			r[j] = P(g, 70) ? l[j] + (uint32_t)R(g, 1, 3000) : pick_ack(g, &i);
			if ((g->o->avoid & PTCP_PROP_AVOID_HUGE_SACK) &&
			    (r[j] - l[j] >= 0x40000000u ||
			     l[j] + g->s->isn_local - i.snd_una + 0x40000000u >= 0x80000000u ||
			     r[j] + g->s->isn_local - i.snd_una + 0x40000000u >= 0x80000000u)) {
				/* both edges within 2^30 of SND.UNA: no 2^31 ambiguity */
				l[j] = i.snd_una - g->s->isn_local;
				r[j] = l[j] + (uint32_t)R(g, 1, 3000);
			}
		}
		n += opt_sack(s->opt + n, l, r, k);
		s->opt_len = (uint8_t)n;
		if (P(g, 20))
			s->win = (uint16_t)(P(g, 50) ? 0 : 65535);
		commit(g, e);
		return;
	}
	}
	if ((flags & PTCP_RST) && (g->o->avoid & PTCP_PROP_AVOID_RST_TRIM))
		len = 0;
	if (len && (g->o->avoid & PTCP_PROP_AVOID_FIN_HOLE)) {
		/* no data beyond what the peer sent: its FIN must stay the end of its stream */
		int32_t room = (int32_t)(p->nxt - seq);
		if (p->fin_sent)
			room = (int32_t)(p->fin_seq - seq);
		len = room <= 0 ? 0 : (uint32_t)room < len ? (uint32_t)room : len;
	}
	e = seg_ev(g, flags, seq, ack, len);
	if (!e)
		return;
	if (P(g, 10)) {
		e->seg.urp = (uint16_t)R(g, 0, 65535);
		e->seg.flags |= PTCP_URG;
	}
	commit(g, e);
}

/* ---- Configuration ------------------------------------------------------------ */
static uint32_t log_uniform(gen *g, uint32_t lo, uint32_t hi)
{
	/* pick a bit length, then a value of that length inside [lo, hi] */
	unsigned blo = 0, bhi = 0;
	while ((lo >> blo) > 1)
		blo++;
	while ((hi >> bhi) > 1)
		bhi++;
	unsigned b = (unsigned)R(g, blo, bhi);
	uint64_t a = (uint64_t)1 << b, z = ((uint64_t)1 << (b + 1)) - 1;
	if (a < lo)
		a = lo;
	if (z > hi)
		z = hi;
	return (uint32_t)R(g, a, z);
}

static void gen_config(gen *g)
{
	ptcp_script_config *c = &g->s->cfg;
	if (g->o->default_config)
		return;
	c->flags = 0;
	if (P(g, 80))
		c->flags |= PTCP_CFG_TIMESTAMPS;
	if (P(g, 80))
		c->flags |= PTCP_CFG_WSCALE;
	if (P(g, 80))
		c->flags |= PTCP_CFG_SACK;
	if (P(g, 30))
		c->flags |= PTCP_CFG_NODELAY;
	if (P(g, 50))
		c->flags |= PTCP_CFG_SS_IDLE;
	if (P(g, 20))
		c->flags |= PTCP_CFG_ECN;
	if (P(g, 50))
		c->flags |= PTCP_CFG_LIMITED_TX;
	if (P(g, 60))
		c->flags |= PTCP_CFG_TLP & PTCP_SCRIPT_CFG_FLAGS_ALL;
	if (P(g, 40)) {
		static const uint16_t m[] = {536, 1000, 1200, 64, 100, 9000};
		c->mss = m[R(g, 0, 5)];
	}
	if (P(g, 40))
		c->wscale = (uint8_t)R(g, 0, 14);
	uint32_t maxb = g->o->max_buf ? g->o->max_buf : (1u << 18);
	if (P(g, 70)) {
		c->sndbuf = log_uniform(g, 64, maxb);
		c->rcvbuf = log_uniform(g, 64, maxb);
	}
	if (P(g, 40))
		c->init_cwnd = (uint16_t)R(g, 1, 10);
	if (P(g, 30))
		c->rto_initial = R(g, PTCP_MS(100), PTCP_SEC(3));
	if (P(g, 30))
		c->rto_min = R(g, PTCP_MS(1), PTCP_SEC(1));
	if (P(g, 30))
		c->rto_max = R(g, PTCP_SEC(1), PTCP_SEC(60));
	if (c->rto_max < c->rto_min)
		c->rto_max = c->rto_min;
	if (P(g, 50))
		c->msl = R(g, PTCP_MS(100), PTCP_SEC(10));
	if (P(g, 30))
		c->fin_wait2_timeout = P(g, 30) ? 0 : R(g, PTCP_SEC(1), PTCP_SEC(30));
	if (P(g, 50))
		c->max_retries = (uint8_t)R(g, 1, 8);
	if (P(g, 40))
		c->syn_retries = (uint8_t)R(g, 0, 5);
	if (P(g, 40))
		c->synack_retries = (uint8_t)R(g, 0, 5);
	if (P(g, 30))
		c->delack = P(g, 30) ? 0 : R(g, PTCP_MS(1), PTCP_MS(200));
	if (P(g, 30))
		c->quickack = (uint16_t)R(g, 0, 4);
	if (P(g, 20)) {
		c->keepalive_idle = R(g, PTCP_SEC(1), PTCP_SEC(30));
		c->keepalive_intvl = R(g, PTCP_MS(500), PTCP_SEC(10));
		c->keepalive_cnt = (uint8_t)R(g, 1, 5);
	}
	if (P(g, 15))
		c->user_timeout = R(g, PTCP_SEC(1), PTCP_SEC(60));
	if (P(g, 50))
		c->cc = PTCP_SCRIPT_CC_RENO;
	c->ts_offset = (uint32_t)R(g, 0, UINT32_MAX);
	if (P(g, 20))
		c->start = R(g, 0, PTCP_SEC(100000));
}

void ptcp_prop_gen_default(ptcp_prop_gen *o)
{
	memset(o, 0, sizeof *o);
	o->min_events = 8;
	o->max_events = 120;
	o->hostile_pct = 6;
	o->loss_pct_max = 15;
	o->server_pct = 40;
	o->close_pct = 50;
	o->icmp_pct = 15;
	o->reopen_pct = 20;
	o->max_buf = 1u << 18;
	o->avoid = PTCP_PROP_AVOID_ALL;
}

/* One move of the established (or opening) connection. */
static void move(gen *g)
{
	peer *p = &g->p;
	shadow *sh = g->sh;
	ptcp_state st = ptcp_conn_state(&sh->c);
	g->pending = draw_delta(g);

	if (!g->opened) {
		open_conn(g);
		return;
	}
	if (st == PTCP_CLOSED) {
		if (P(g, (unsigned)g->o->reopen_pct)) {
			open_conn(g);
			return;
		}
		if (P(g, 50))
			hostile(g);
		else
			app_time(g);
		return;
	}
	if (sh->nq && P(g, 60)) {
		deliver(g);
		if (p->need_ack && p->syn_sent && P(g, 60))
			peer_ack(g);
		return;
	}
	if (P(g, g->o->hostile_pct) &&
	    !(st == PTCP_SYN_RECEIVED && (g->o->avoid & PTCP_PROP_AVOID_SYNRCVD))) {
		hostile(g);
		return;
	}
	if (!p->syn_sent) {
		if (g->s->role == PTCP_SCRIPT_SERVER || p->syn_seen) {
			unsigned c = (unsigned)R(g, 0, 99);
			if (c < 85)
				peer_syn(g, g->s->role == PTCP_SCRIPT_CLIENT);
			else if (c < 90 && g->s->role == PTCP_SCRIPT_CLIENT) {
				peer_syn(g, 0); /* simultaneous open */
				p->simopen = 1;
			} else if (c < 93 && g->s->role == PTCP_SCRIPT_CLIENT) {
				ptcp_script_event *e = seg_ev(g, PTCP_RST | PTCP_ACK, 0, p->rcv, 0);
				if (e)
					commit(g, e);
			} else
				app_time(g);
		} else {
			app_time(g);
		}
		return;
	}
	if (!p->syn_seen) {
		if (p->nxt == 1 && P(g, 20))
			peer_syn(g, g->s->role == PTCP_SCRIPT_CLIENT); /* retransmitted */
		else
			app_time(g);
		return;
	}
	/* weights: ack data rexmit window fin send read close shutdown abort time */
	static const unsigned w[] = {12, 14, 4, 3, 2, 14, 9, 2, 1, 1, 8};
	unsigned total = 0, k;
	for (k = 0; k < sizeof w / sizeof w[0]; k++)
		total += w[k];
	unsigned x = (unsigned)R(g, 0, total - 1);
	for (k = 0; x >= w[k]; k++)
		x -= w[k];
	switch (k) {
	case 0:
		peer_ack(g);
		break;
	case 1:
		if (!p->fin_sent)
			peer_data(g);
		break;
	case 2:
		peer_rexmit(g);
		break;
	case 3:
		peer_window(g);
		break;
	case 4:
		peer_fin(g);
		break;
	case 5:
		if (!((st == PTCP_LISTEN || st == PTCP_SYN_RECEIVED) &&
		      (g->o->avoid & PTCP_PROP_AVOID_EARLY_SEND)))
			app_send(g);
		break;
	case 6:
		app_read(g);
		break;
	case 7:
		app_simple(g, PTCP_SCRIPT_CLOSE);
		break;
	case 8:
		app_shutdown(g);
		break;
	case 9:
		if (P(g, 30))
			app_simple(g, PTCP_SCRIPT_ABORT);
		break;
	default:
		app_time(g);
		break;
	}
}

/* The end: both sides close, everything is acknowledged, time passes. */
static void closing(gen *g)
{
	peer *p = &g->p;
	int fin_first = P(g, 25);
	if (fin_first && p->syn_sent && !p->fin_sent) {
		g->pending = draw_delta(g);
		peer_fin(g);
	}
	g->pending = draw_delta(g);
	if (P(g, 80))
		app_read(g);
	g->pending = draw_delta(g);
	app_simple(g, PTCP_SCRIPT_CLOSE);
	for (int i = 0; i < 8 && !g->oom; i++) {
		g->pending = R(g, 0, PTCP_MS(300));
		deliver(g);
		if (p->syn_sent && p->syn_seen && !p->dead) {
			if (!p->fin_sent && P(g, 50))
				peer_fin(g);
			else if (p->una != p->nxt && P(g, 50))
				peer_rexmit(g);
			else
				peer_ack(g);
		} else {
			app_time(g);
		}
	}
	g->pending = R(g, PTCP_MS(100), PTCP_SEC(5));
	app_simple(g, PTCP_SCRIPT_TIME);
}

int ptcp_prop_gen_script(const ptcp_prop_gen *o, uint64_t seed, ptcp_script *out)
{
	ptcp_prop_gen def;
	gen *g = calloc(1, sizeof *g);
	shadow *sh = malloc(sizeof *sh);
	int rc = 0;
	if (!o) {
		ptcp_prop_gen_default(&def);
		o = &def;
	}
	if (!g || !sh) {
		free(g);
		free(sh);
		return PTCP_SCRIPT_ENOMEM;
	}
	ptcp_script_init(out);
	ptcp_prop_rng_seed(&g->r, seed);
	g->o = o;
	g->s = out;
	g->sh = sh;
	if (P(g, o->server_pct)) {
		out->role = PTCP_SCRIPT_SERVER;
		ptcp_script_default_addr(out, PTCP_SCRIPT_SERVER, P(g, 20) ? 6 : 4);
	} else if (P(g, 20)) {
		ptcp_script_default_addr(out, PTCP_SCRIPT_CLIENT, 6);
	}
	out->isn_local = ptcp_prop_u32(&g->r);
	out->isn_peer = ptcp_prop_u32(&g->r);
	gen_config(g);
	if (o->avoid & PTCP_PROP_AVOID_TLP)
		out->cfg.flags &= ~(uint32_t)PTCP_CFG_TLP;
	if (shadow_init(sh, out) != 0) {
		/* a configuration the core refuses: fall back to the defaults */
		shadow_free(sh);
		ptcp_script_config_default(&out->cfg);
		shadow_init(sh, out);
	}
	g->t = out->cfg.start;
	unsigned target = (unsigned)R(g, o->min_events, o->max_events);
	int close_at_end = P(g, o->close_pct);
	while (out->n < target && !g->oom && !sh->broken) {
		size_t before = out->n;
		move(g);
		if (out->n == before) /* a move that did nothing: let time pass sometimes */
			if (P(g, 10))
				app_time(g);
	}
	if (close_at_end && !g->oom)
		closing(g);
	if (g->oom)
		rc = PTCP_SCRIPT_ENOMEM;
	shadow_free(sh);
	free(sh);
	free(g);
	if (rc)
		ptcp_script_free(out);
	return rc;
}

/* ---- Simulated networks ------------------------------------------------------ */
void ptcp_prop_simgen_default(ptcp_prop_simgen *g)
{
	memset(g, 0, sizeof *g);
	g->fault_pct = 80;
	g->loss_max = 5;
	g->bytes_max = 200000;
	g->conns_max = 3;
	g->with_corrupt = 1;
	g->with_mtu = 1;
	g->sack = -1;
	g->heal = 1;
}

void ptcp_prop_gen_sim(const ptcp_prop_simgen *o, uint64_t seed, ptcp_sim_config *cfg)
{
	ptcp_prop_simgen def;
	ptcp_prop_rng r;
	if (!o) {
		ptcp_prop_simgen_default(&def);
		o = &def;
	}
	ptcp_prop_rng_seed(&r, seed);
#define RR(lo, hi) ptcp_prop_range(&r, (lo), (hi))
#define PP(pct)    ptcp_prop_chance(&r, (pct))
	ptcp_sim_config_default(cfg);
	cfg->seed = ptcp_prop_rng_next(&r) >> 1;
	cfg->app = (ptcp_sim_app)RR(0, PTCP_SIM_APP_COUNT - 1);
	cfg->conns = (unsigned)RR(1, o->conns_max ? o->conns_max : 1);
	cfg->bytes = RR(1, o->bytes_max ? o->bytes_max : 1);
	ptcp_sim_link l;
	memset(&l, 0, sizeof l);
	l.delay = PTCP_MS(RR(0, 50));
	if (PP(30))
		l.jitter = PTCP_MS(RR(1, 20));
	if (PP(o->fault_pct)) {
		double lm = o->loss_max > 0 ? o->loss_max : 0;
		l.loss = PP(70) ? (double)RR(0, (uint64_t)(lm * 10)) / 10.0 : 0;
		l.dup = PP(30) ? (double)RR(1, 30) / 10.0 : 0;
		l.reorder = PP(30) ? (double)RR(1, 50) / 10.0 : 0;
		if (o->with_corrupt && PP(20))
			l.corrupt = (double)RR(1, 20) / 10.0;
	}
	if (PP(20)) {
		l.bw = (uint64_t)RR(1, 100) * 1000000u;
		if (PP(50))
			l.queue = (uint32_t)RR(4, 100);
	}
	if (o->with_mtu && PP(15))
		l.mtu = (uint32_t)RR(576, 1500);
	cfg->link[0] = cfg->link[1] = l;
	if (o->heal || PP(50))
		cfg->heal = PTCP_SEC(RR(1, 60));
	if (PP(30))
		cfg->sndbuf = cfg->rcvbuf = (uint32_t)RR(4096, 1u << 18);
	if (PP(20)) {
		cfg->ipv6 = 1;
		/* an IPv6 link carries at least 1280 bytes (RFC 8200 5) */
		for (int i = 0; i < 2; i++)
			if (cfg->link[i].mtu && cfg->link[i].mtu < 1280)
				cfg->link[i].mtu = 1280;
	}
	int sack = o->sack < 0 ? PP(80) : o->sack;
	if (!sack)
		cfg->core.flags &= ~(uint32_t)PTCP_CFG_SACK;
	if (PP(20))
		cfg->core.flags &= ~(uint32_t)PTCP_CFG_TIMESTAMPS;
	if (PP(20))
		cfg->core.flags &= ~(uint32_t)PTCP_CFG_WSCALE;
	if (PP(30))
		cfg->core.cc = &ptcp_cc_reno;
	cfg->max_time = PTCP_SEC(3600);
#undef RR
#undef PP
}
