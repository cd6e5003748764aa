/*
 * Shrinking: a failing scenario made smaller while it fails the same way.
 *
 * IMPLEMENTATION NOTES
 * Scripts: passes run in turn until a whole round changes nothing or the
 * budget of property runs is spent:
 *   1. delete runs of events: chunk sizes n/2, n/4, ... 1 (a deleted
 *      event's delta goes to the event after it, so the others keep their
 *      times);
 *   2. per event, the simpler variants of it (payload 0 / halved, options
 *      gone, flags PSH/URG/ECE/CWR/ECN cleared, window 65535 or halved,
 *      delta 0 / halved, send / read lengths halved or 1, MORE cleared);
 *   3. the header: configuration fields back to their defaults (all at
 *      once first, then one by one), ISNs 0, IPv4.
 * A candidate is kept when the property fails on it with the same class.
 * Sims: the same idea on the network (fewer connections, smaller
 * transfer, each fault off then halved, plain links, default buffers and
 * core options).
 */
#include <stdlib.h>
#include <string.h>

#include "prop_int.h"

static unsigned budget_runs(void)
{
	const char *e = getenv("PTCP_PROP_SHRINK_RUNS");
	if (e && *e)
		return (unsigned)strtoul(e, NULL, 0);
	return 4000;
}

typedef struct sctx {
	const ptcp_prop_script *p;
	unsigned cls;
	unsigned runs, budget;
	void *st;
	ptcp_run *r;
} sctx;

static int still_fails(sctx *x, const ptcp_script *cand)
{
	ptcp_prop_fail f;
	if (x->runs >= x->budget)
		return 0;
	x->runs++;
	return ptcp_prop_check_script(x->p, cand, &f) && f.cls == x->cls;
}

/* A deep copy of s without events [at, at + k). */
static int without(const ptcp_script *s, size_t at, size_t k, ptcp_script *out)
{
	if (ptcp_script_copy(out, s) != 0)
		return -1;
	uint64_t moved = 0;
	for (size_t i = at; i < at + k && i < out->n; i++) {
		moved += out->ev[i].delta;
		ptcp_script_event_clear(&out->ev[i]);
	}
	size_t end = at + k < out->n ? at + k : out->n;
	memmove(&out->ev[at], &out->ev[end], (out->n - end) * sizeof out->ev[0]);
	out->n -= end - at;
	if (at < out->n) {
		uint64_t d = out->ev[at].delta + moved;
		out->ev[at].delta = d > PTCP_SCRIPT_TIME_MAX ? PTCP_SCRIPT_TIME_MAX : d;
	}
	return 0;
}

static void replace(ptcp_script *s, ptcp_script *by)
{
	ptcp_script_free(s);
	*s = *by;
	memset(by, 0, sizeof *by);
}

static int pass_delete(sctx *x, ptcp_script *s)
{
	int changed = 0;
	for (size_t chunk = s->n / 2 ? s->n / 2 : 1; chunk >= 1; chunk /= 2) {
		size_t at = 0;
		while (at < s->n && x->runs < x->budget) {
			ptcp_script c;
			if (without(s, at, chunk, &c) != 0)
				return changed;
			if (still_fails(x, &c)) {
				replace(s, &c);
				changed = 1;
			} else {
				ptcp_script_free(&c);
				at += chunk;
			}
		}
		if (chunk == 1)
			break;
	}
	return changed;
}

/* Variant v of event e (in place); 0 when there is no such variant or it changes nothing. */
static int variant(ptcp_script_event *e, unsigned v)
{
	/* the time first: delta 0, delta / 2 */
	if (v == 0)
		return e->delta ? (e->delta = 0, 1) : 0;
	if (v == 1)
		return e->delta > 1 ? (e->delta /= 2, 1) : 0;
	v -= 2;
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT: {
		ptcp_script_seg *g = &e->seg;
		switch (v) {
		case 0:
			if (!g->len)
				return 0;
			g->len = 0;
			free(g->payload);
			g->payload = NULL;
			return 1;
		case 1:
			if (g->len < 2 || g->payload)
				return 0;
			g->len /= 2;
			return 1;
		case 2:
			return g->opt_len ? (g->opt_len = 0, memset(g->opt, 0, sizeof g->opt), 1)
			                  : 0;
		case 3:
			return (g->flags & (PTCP_PSH | PTCP_URG)) || g->urp
			           ? (g->flags &= (uint8_t) ~(PTCP_PSH | PTCP_URG), g->urp = 0, 1)
			           : 0;
		case 4:
			return (g->flags & (PTCP_ECE | PTCP_CWR)) || g->ecn || g->reserved
			           ? (g->flags &= (uint8_t) ~(PTCP_ECE | PTCP_CWR), g->ecn = 0,
			              g->reserved = 0, 1)
			           : 0;
		case 5:
			return g->win != 65535 ? (g->win = 65535, 1) : 0;
		case 6:
			return g->win > 1 ? (g->win /= 2, 1) : 0;
		case 7:
			return g->has_ports ? (g->has_ports = 0, g->sport = g->dport = 0, 1) : 0;
		default:
			return -1;
		}
	}
	case PTCP_SCRIPT_SEND:
		switch (v) {
		case 0:
			return e->send.len > 1 && !e->send.data ? (e->send.len = 1, 1) : 0;
		case 1:
			return e->send.len > 1 && !e->send.data ? (e->send.len /= 2, 1) : 0;
		case 2:
			return e->send.more ? (e->send.more = 0, 1) : 0;
		default:
			return -1;
		}
	case PTCP_SCRIPT_READ:
		switch (v) {
		case 0:
			return e->read.len > 1 ? (e->read.len /= 2, 1) : 0;
		case 1:
			return e->read.discard ? (e->read.discard = 0, 1) : 0;
		default:
			return -1;
		}
	case PTCP_SCRIPT_ICMP:
		switch (v) {
		case 0:
			return e->icmp.seq ? (e->icmp.seq = 0, 1) : 0;
		default:
			return -1;
		}
	default:
		return -1;
	}
}

static int pass_events(sctx *x, ptcp_script *s)
{
	int changed = 0;
	for (size_t i = 0; i < s->n && x->runs < x->budget; i++) {
		for (unsigned v = 0; x->runs < x->budget; v++) {
			ptcp_script c;
			if (ptcp_script_copy(&c, s) != 0)
				return changed;
			int k = variant(&c.ev[i], v);
			if (k < 0) {
				ptcp_script_free(&c);
				break;
			}
			if (k > 0 && still_fails(x, &c)) {
				replace(s, &c);
				changed = 1;
				v--; /* the same variant again (halving) */
				continue;
			}
			ptcp_script_free(&c);
		}
	}
	return changed;
}

/* Header variant v; 0: nothing to do, -1: no more. */
static int header_variant(ptcp_script *s, unsigned v)
{
	ptcp_script_config d;
	ptcp_script_config_default(&d);
	ptcp_script_config *c = &s->cfg;
#define FIELD(f)                                                                                   \
	if (v-- == 0)                                                                              \
		return c->f != d.f ? (c->f = d.f, 1) : 0;
	if (v-- == 0)
		return memcmp(c, &d, sizeof d) != 0 ? (*c = d, 1) : 0;
	FIELD(flags)
	FIELD(mss)
	FIELD(wscale)
	FIELD(syn_retries)
	FIELD(synack_retries)
	FIELD(max_retries)
	FIELD(init_cwnd)
	FIELD(rto_initial)
	FIELD(rto_min)
	FIELD(rto_max)
	FIELD(msl)
	FIELD(fin_wait2_timeout)
	FIELD(user_timeout)
	FIELD(ts_offset)
	FIELD(sndbuf)
	FIELD(rcvbuf)
	FIELD(start)
	FIELD(delack)
	FIELD(quickack)
	FIELD(keepalive_cnt)
	FIELD(keepalive_idle)
	FIELD(keepalive_intvl)
	FIELD(cc)
#undef FIELD
	/* single flags off */
	for (uint32_t b = 1; b && b <= PTCP_SCRIPT_CFG_FLAGS_ALL; b <<= 1)
		if ((b & PTCP_SCRIPT_CFG_FLAGS_ALL) && v-- == 0)
			return (c->flags & b) ? (c->flags &= ~b, 1) : 0;
	if (v-- == 0)
		return s->isn_local ? (s->isn_local = 0, 1) : 0;
	if (v-- == 0)
		return s->isn_peer ? (s->isn_peer = 0, 1) : 0;
	if (v-- == 0) {
		if (s->local_addr.family == 4)
			return 0;
		ptcp_script_default_addr(s, s->role, 4);
		return 1;
	}
	return -1;
}

static int pass_header(sctx *x, ptcp_script *s)
{
	int changed = 0;
	for (unsigned v = 0; x->runs < x->budget; v++) {
		ptcp_script c;
		if (ptcp_script_copy(&c, s) != 0)
			return changed;
		int k = header_variant(&c, v);
		if (k < 0) {
			ptcp_script_free(&c);
			break;
		}
		if (k > 0 && still_fails(x, &c)) {
			replace(s, &c);
			changed = 1;
		} else {
			ptcp_script_free(&c);
		}
	}
	return changed;
}

unsigned ptcp_prop_shrink_script(const ptcp_prop_script *p, ptcp_script *s, unsigned cls)
{
	sctx x = {p, cls, 0, budget_runs(), NULL, NULL};
	for (int round = 0; round < 20 && x.runs < x.budget; round++) {
		int changed = pass_delete(&x, s);
		changed |= pass_events(&x, s);
		changed |= pass_header(&x, s);
		if (!changed)
			break;
	}
	return x.runs;
}

/* ---- Sims ------------------------------------------------------------------ */
static int sim_variant(ptcp_sim_config *c, unsigned v)
{
	ptcp_sim_config d;
	ptcp_sim_config_default(&d);
	ptcp_sim_link *a = &c->link[0], *b = &c->link[1];
#define LINK(cond, stmt)                                                                           \
	if (v-- == 0) {                                                                            \
		if (!(cond))                                                                       \
			return 0;                                                                  \
		ptcp_sim_link *l = a;                                                              \
		stmt;                                                                              \
		l = b;                                                                             \
		stmt;                                                                              \
		return 1;                                                                          \
	}
	if (v-- == 0)
		return c->conns > 1 ? (c->conns = 1, 1) : 0;
	if (v-- == 0)
		return c->bytes > 1 ? (c->bytes /= 2, 1) : 0;
	if (v-- == 0)
		return c->bytes > 1000 ? (c->bytes = 1000, 1) : 0;
	LINK(a->corrupt > 0 || b->corrupt > 0, l->corrupt = 0)
	LINK(a->dup > 0 || b->dup > 0, l->dup = 0)
	LINK(a->reorder > 0 || b->reorder > 0, (l->reorder = 0, l->reorder_delay = 0))
	LINK(a->jitter || b->jitter, l->jitter = 0)
	LINK(a->mtu || b->mtu, l->mtu = 0)
	LINK(a->bw || b->bw, (l->bw = 0, l->queue = 0))
	LINK(a->loss > 0 || b->loss > 0, l->loss = 0)
	LINK(a->loss > 0.1 || b->loss > 0.1, l->loss = (double)(int)(l->loss * 5) / 10.0)
	LINK(a->dup > 0.1 || b->dup > 0.1, l->dup = (double)(int)(l->dup * 5) / 10.0)
	LINK(a->reorder > 0.1 || b->reorder > 0.1,
	     l->reorder = (double)(int)(l->reorder * 5) / 10.0)
	LINK(a->delay != d.link[0].delay, l->delay = d.link[0].delay)
#undef LINK
	if (v-- == 0)
		return c->app != PTCP_SIM_BULK ? (c->app = PTCP_SIM_BULK, 1) : 0;
	if (v-- == 0)
		return c->sndbuf != d.sndbuf || c->rcvbuf != d.rcvbuf
		           ? (c->sndbuf = d.sndbuf, c->rcvbuf = d.rcvbuf, 1)
		           : 0;
	if (v-- == 0)
		return c->ipv6 ? (c->ipv6 = 0, 1) : 0;
	if (v-- == 0)
		return c->core.cc != d.core.cc ? (c->core.cc = d.core.cc, 1) : 0;
	if (v-- == 0)
		return c->core.flags != d.core.flags ? (c->core.flags = d.core.flags, 1) : 0;
	return -1;
}

unsigned ptcp_prop_shrink_sim(const ptcp_prop_sim *p, ptcp_sim_config *cfg, unsigned cls)
{
	unsigned runs = 0, budget = budget_runs() / 10 + 50;
	int changed = 1;
	while (changed && runs < budget) {
		changed = 0;
		for (unsigned v = 0; runs < budget; v++) {
			ptcp_sim_config c = *cfg;
			int k = sim_variant(&c, v);
			if (k < 0)
				break;
			if (k == 0)
				continue;
			ptcp_prop_fail f;
			runs++;
			if (ptcp_prop_check_sim(p, &c, &f) && f.cls == cls) {
				*cfg = c;
				changed = 1;
				v--; /* again: halving goes on */
			}
		}
	}
	return runs;
}
