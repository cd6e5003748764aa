/*
 * The connection table: memory layout, the 4-tuple hash, the deadline
 * heap, the pool of connection blocks, demultiplexing and the step entry
 * point.
 *
 * IMPLEMENTATION NOTES
 * The hash is open addressing with linear probing over at least twice as
 * many slots as there can be entries (connections + SYN-queue entries),
 * keyed SipHash-2-4 of the 4-tuple; deletion shifts the following entries
 * back (no tombstones), so probes stay short forever.  The heap is a
 * binary min-heap of (deadline, ref); every block and entry knows its
 * position, so a move or removal is O(log n).  A connection's heap key is
 * the deadline its core reported (and, for a pending Fast Open connection,
 * the SYN-ACK retransmission).  Nothing here scans the connections.
 */
#include "table_int.h"

/* ---- Tuples ------------------------------------------------------------ */

static size_t addr_len(const ptcp_addr *a)
{
	return a->family == 4 ? 4u : a->family == 6 ? 16u : 0u;
}

size_t tbl_tuple_bytes(const ptcp_tuple *k, uint8_t *b)
{
	size_t n = 0, l;
	b[n++] = (uint8_t)(k->lport >> 8);
	b[n++] = (uint8_t)k->lport;
	b[n++] = (uint8_t)(k->rport >> 8);
	b[n++] = (uint8_t)k->rport;
	b[n++] = k->laddr.family;
	l = addr_len(&k->laddr);
	memcpy(b + n, k->laddr.bytes, l);
	n += l;
	b[n++] = k->raddr.family;
	l = addr_len(&k->raddr);
	memcpy(b + n, k->raddr.bytes, l);
	return n + l;
}

uint64_t tbl_tuple_sip(const uint8_t key[16], const ptcp_tuple *k, const uint8_t *extra,
                       size_t elen)
{
	uint8_t b[64];
	size_t n = tbl_tuple_bytes(k, b);
	if (elen)
		memcpy(b + n, extra, elen);
	return ptcp_siphash(key, b, n + elen);
}

uint32_t ptcp_isn(const uint8_t key[16], const ptcp_tuple *k, ptcp_time_t now)
{
	/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
	 * M a 4-microsecond timer. */
	if (!key || !k)
		return 0;
	return (uint32_t)(now / 4u) + (uint32_t)tbl_tuple_sip(key, k, NULL, 0);
}

uint32_t tbl_ts_off(const ptcp_table *t, const ptcp_tuple *k)
{
	/* RFC 7323 5.4 / 7.1: a random offset per connection for the TSval clock. */
	return (uint32_t)tbl_tuple_sip(t->k_ts, k, NULL, 0);
}

static uint32_t tuple_hash(const ptcp_table *t, const ptcp_tuple *k)
{
	return (uint32_t)tbl_tuple_sip(t->k_hash, k, NULL, 0);
}

static int addr_same(const ptcp_addr *a, const ptcp_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

static int conn_is(const ptcp_conn *c, const ptcp_tuple *k)
{
	return c->lport == k->lport && c->rport == k->rport && addr_same(&c->raddr, &k->raddr) &&
	       addr_same(&c->laddr, &k->laddr);
}

static int tuple_is(const ptcp_tuple *a, const ptcp_tuple *k)
{
	return a->lport == k->lport && a->rport == k->rport && addr_same(&a->raddr, &k->raddr) &&
	       addr_same(&a->laddr, &k->laddr);
}

/* ---- Hash ---------------------------------------------------------------- */

static uint32_t hash_find(const ptcp_table *t, const ptcp_tuple *k, uint32_t hash)
{
	for (uint32_t i = hash & t->hmask;; i = (i + 1) & t->hmask) {
		const struct ptcp__tbl_slot *s = &t->slots[i];
		uint32_t ref = s->ref;
		if (ref == NONE32)
			return NONE32;
		if (s->hash != hash)
			continue;
		if (ref & REF_REQ) {
			if (tuple_is(&t->reqs[ref & ~REF_REQ].k, k))
				return ref;
		} else if (conn_is(&t->conns[ref & ~REF_BUSY].c, k)) {
			return ref & ~REF_BUSY;
		}
	}
}

void tbl_hash_insert(ptcp_table *t, uint32_t ref, uint32_t hash)
{
	uint32_t i = hash & t->hmask;
	while (t->slots[i].ref != NONE32)
		i = (i + 1) & t->hmask;
	t->slots[i].ref = ref;
	t->slots[i].hash = hash;
	t->nhashed++;
}

/* The slot that holds ref (a connection's with or without REF_BUSY) on the
 * probe of hash, or NONE32. */
static uint32_t slot_of(const ptcp_table *t, uint32_t ref, uint32_t hash)
{
	for (uint32_t i = hash & t->hmask;; i = (i + 1) & t->hmask) {
		uint32_t r = t->slots[i].ref;
		if (r == NONE32)
			return NONE32;
		if ((r & ~REF_BUSY) == ref)
			return i;
	}
}

void tbl_hash_remove(ptcp_table *t, uint32_t ref, uint32_t hash)
{
	uint32_t i = slot_of(t, ref, hash), j;
	if (i == NONE32)
		return;
	/* Backward-shift deletion: move up every following entry whose home slot
	 * is not cyclically in (i, j]. */
	for (j = i;;) {
		uint32_t home;
		j = (j + 1) & t->hmask;
		if (t->slots[j].ref == NONE32)
			break;
		home = t->slots[j].hash & t->hmask;
		if (((j - home) & t->hmask) >= ((j - i) & t->hmask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].ref = NONE32;
	t->nhashed--;
}

/* ---- Heap ---------------------------------------------------------------- */

static uint32_t *heap_pos(ptcp_table *t, uint32_t ref)
{
	return (ref & REF_REQ) ? &t->reqs[ref & ~REF_REQ].heap_pos : &t->conns[ref].heap_pos;
}

static void heap_put(ptcp_table *t, uint32_t pos, struct ptcp__tbl_timer e)
{
	t->heap[pos] = e;
	*heap_pos(t, e.ref) = pos;
}

static void heap_up(ptcp_table *t, uint32_t pos)
{
	struct ptcp__tbl_timer e = t->heap[pos];
	while (pos > 0) {
		uint32_t up = (pos - 1) / 2;
		if (t->heap[up].when <= e.when)
			break;
		heap_put(t, pos, t->heap[up]);
		pos = up;
	}
	heap_put(t, pos, e);
}

static void heap_down(ptcp_table *t, uint32_t pos)
{
	struct ptcp__tbl_timer e = t->heap[pos];
	for (;;) {
		uint32_t l = 2 * pos + 1, m;
		if (l >= t->nheap)
			break;
		m = (l + 1 < t->nheap && t->heap[l + 1].when < t->heap[l].when) ? l + 1 : l;
		if (t->heap[m].when >= e.when)
			break;
		heap_put(t, pos, t->heap[m]);
		pos = m;
	}
	heap_put(t, pos, e);
}

void tbl_timer_set(ptcp_table *t, uint32_t ref, ptcp_time_t when)
{
	uint32_t *pp = heap_pos(t, ref), pos = *pp;
	if (when == PTCP_TIME_NEVER) {
		if (pos == NONE32)
			return;
		*pp = NONE32;
		if (--t->nheap != pos) {
			uint32_t moved = t->heap[t->nheap].ref;
			heap_put(t, pos, t->heap[t->nheap]);
			heap_up(t, pos);
			heap_down(t, *heap_pos(t, moved));
		}
		return;
	}
	if (pos == NONE32) {
		pos = t->nheap++;
		t->heap[pos].when = when;
		t->heap[pos].ref = ref;
		*pp = pos;
		heap_up(t, pos);
		return;
	}
	if (t->heap[pos].when == when)
		return;
	t->heap[pos].when = when;
	heap_up(t, pos);
	heap_down(t, *pp);
}

/* ---- Actions ----------------------------------------------------------- */

ptcp_action *tbl_push(tstep *x, ptcp_action_kind kind, uint32_t conn, uint32_t lid)
{
	ptcp_table_actions *o = x->out;
	ptcp_action *a;
	if (o->n + 1 >= o->cap)
		return NULL; /* the last slot is the deadline's */
	a = &o->v[o->n];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	o->tag[o->n].conn = conn;
	o->tag[o->n].listener = lid;
	o->n++;
	return a;
}

int tbl_view(tstep *x, ptcp_actions *v)
{
	size_t room = x->out->cap - x->out->n;
	if (room < PTCP_ACTIONS_MIN + 1)
		return 0;
	v->v = x->out->v + x->out->n;
	v->cap = room - 1;
	v->n = 0;
	return 1;
}

void tbl_absorb(tstep *x, uint32_t idx, const ptcp_actions *v, int no_pure_acks)
{
	ptcp_table_actions *o = x->out;
	const tbl_meta *m = &x->t->meta[idx];
	const tbl_ent *e = &x->t->conns[idx];
	uint32_t lid = (e->flags & M_ACCEPTQ) ? m->listener : PTCP_NO_LISTENER;
	size_t j = o->n;
	for (size_t i = 0; i < v->n; i++) {
		const ptcp_action *a = &v->v[i];
		if (a->kind == PTCP_ACT_DEADLINE)
			continue; /* the table keeps the connections' deadlines */
		if (no_pure_acks && a->kind == PTCP_ACT_EMIT && a->emit.seg.flags == PTCP_ACK &&
		    ptcp_seg_len(&a->emit.seg) == 0)
			continue;
		if (&o->v[j] != a)
			o->v[j] = *a;
		o->tag[j].conn = idx;
		o->tag[j].listener = lid;
		j++;
	}
	o->n = j;
}

/* ---- Blocks -------------------------------------------------------------- */

/* Pooled loss areas (ptcp_table_config.loss_areas): lend one to connection
 * idx when one is free and the block takes it (between loss episodes). */
static void loss_lend(ptcp_table *t, uint32_t idx)
{
	ptcp_conn *c = &t->conns[idx].c;
	if (!t->loss_free || c->loss || !t->nloss_free)
		return;
	if (ptcp_conn_set_loss(c, &t->loss[t->loss_free[t->nloss_free - 1]]) == 0)
		t->nloss_free--;
}

/* Take a pooled area back: when the block no longer uses it, or (dead: the
 * block is CLOSED and being freed) whatever it holds. */
static void loss_reclaim(ptcp_table *t, uint32_t idx, int dead)
{
	ptcp_conn *c = &t->conns[idx].c;
	ptcp_loss *l;
	if (!t->loss_free || !c->loss)
		return;
	l = dead ? loss_detach(c) /* CLOSED: nothing of it is needed again */
	         : ptcp_conn_take_loss(c);
	if (l)
		t->loss_free[t->nloss_free++] = (uint32_t)(l - t->loss);
}

/* Keep the slot's REF_BUSY in step with whether the connection is busy (data
 * in flight or out-of-order ranges held: its next step reads all of its
 * entry and its loss area); the slot is searched only when that changes. */
static void busy_hint(ptcp_table *t, uint32_t idx)
{
	tbl_ent *e = &t->conns[idx];
	const ptcp_conn *c = &e->c;
	int want = c->snd_una != c->snd_max || c->nooo;
	uint32_t i;
	if (want == !!(e->flags & M_BUSY) || !(e->flags & M_HASHED))
		return;
	i = slot_of(t, idx, t->meta[idx].hash);
	if (i == NONE32)
		return; /* cannot happen with M_HASHED */
	t->slots[i].ref ^= REF_BUSY;
	e->flags ^= M_BUSY;
}

static uint8_t *sbuf_of(const ptcp_table *t, uint32_t idx)
{
	return t->bufs + (size_t)idx * ((size_t)t->cfg.sndbuf + t->cfg.rcvbuf);
}

/* A fresh block for 4-tuple k, or NONE32. */
static uint32_t conn_new(ptcp_table *t, const ptcp_tuple *k)
{
	uint32_t idx = t->free_conn;
	ptcp_config cfg = t->cfg.conn;
	tbl_meta *m;
	tbl_ent *e;
	uint8_t *b;
	if (idx == NONE32)
		return NONE32;
	m = &t->meta[idx];
	e = &t->conns[idx];
	b = sbuf_of(t, idx);
	cfg.wscale = t->wscale;
	cfg.ts_offset = tbl_ts_off(t, k);
	if (ptcp_conn_init(&t->conns[idx].c, &cfg, b, t->cfg.sndbuf, b + t->cfg.sndbuf,
	                   t->cfg.rcvbuf) != 0)
		return NONE32; /* cannot happen: the configuration was checked */
	if (!t->loss_free)
		ptcp_conn_set_loss(&t->conns[idx].c, &t->loss[idx]); /* its own, for good */
	else
		loss_lend(t, idx);
	t->free_conn = m->next;
	e->flags = M_USED;
	m->next = m->prev = NONE32;
	m->listener = PTCP_NO_LISTENER;
	e->heap_pos = NONE32;
	e->tfo_retries = 0;
	m->tfo_deadline = PTCP_TIME_NEVER;
	t->nconns++;
	return idx;
}

static void conn_free(ptcp_table *t, uint32_t idx)
{
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	loss_reclaim(t, idx, 1);
	e->flags = 0;
	m->next = t->free_conn;
	t->free_conn = idx;
	t->nconns--;
}

void tbl_aq_push(ptcp_table *t, uint32_t lid, uint32_t idx)
{
	tbl_lsn *l = lsn_at(t, lid);
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	m->listener = lid;
	e->flags |= M_ACCEPTQ;
	m->next = NONE32;
	m->prev = l->aq_tail;
	if (l->aq_tail != NONE32)
		t->meta[l->aq_tail].next = idx;
	else
		l->aq_head = idx;
	l->aq_tail = idx;
	l->acceptq++;
}

void tbl_aq_unlink(ptcp_table *t, uint32_t idx)
{
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	tbl_lsn *l;
	if (!(e->flags & M_ACCEPTQ))
		return;
	l = lsn_at(t, m->listener);
	if (m->prev != NONE32)
		t->meta[m->prev].next = m->next;
	else
		l->aq_head = m->next;
	if (m->next != NONE32)
		t->meta[m->next].prev = m->prev;
	else
		l->aq_tail = m->prev;
	m->next = m->prev = NONE32;
	e->flags &= (uint8_t)~M_ACCEPTQ;
	l->acceptq--;
}

void tbl_conn_after(tstep *x, uint32_t idx)
{
	ptcp_table *t = x->t;
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	ptcp_conn *c = &e->c;
	ptcp_time_t key;
	if (!(e->flags & M_USED))
		return;
	if (c->state == PTCP_CLOSED) {
		loss_reclaim(t, idx, 1);
		tbl_aq_unlink(t, idx);
		if (e->flags & M_TFO)
			tfo_clear(t, idx);
		if (e->flags & M_HASHED) {
			tbl_hash_remove(t, idx, m->hash);
			e->flags &= (uint8_t) ~(M_HASHED | M_BUSY);
		}
		tbl_timer_set(t, idx, PTCP_TIME_NEVER);
		/* A connection the application never took, or gave up, is gone. */
		if (!(e->flags & M_ACCEPTED) || (e->flags & M_RELEASED))
			conn_free(t, idx);
		return;
	}
	loss_reclaim(t, idx, 0);
	key = ptcp_conn_next_deadline(c);
	if ((e->flags & M_TFO) && m->tfo_deadline < key)
		key = m->tfo_deadline;
	tbl_timer_set(t, idx, key);
	busy_hint(t, idx);
}

int tbl_run_step(tstep *x, uint32_t idx, const ptcp_input *in)
{
	ptcp_actions v;
	int r;
	if (!tbl_view(x, &v)) {
		x->t->again = 1;
		return PTCP_ENOSPC;
	}
	loss_lend(x->t, idx);
	r = ptcp_step(&x->t->conns[idx].c, in, x->now, &v);
	tbl_absorb(x, idx, &v, 0);
	tbl_conn_after(x, idx);
	return r;
}

uint32_t tbl_conn_adopt(tstep *x, const ptcp_handshake *h, uint32_t hash, uint32_t lid, int ecn,
                        ptcp_actions *v)
{
	ptcp_table *t = x->t;
	ptcp_tuple k;
	uint32_t idx;
	ptcp_conn *c;
	memset(&k, 0, sizeof(k));
	k.laddr = h->laddr;
	k.raddr = h->raddr;
	k.lport = h->lport;
	k.rport = h->rport;
	idx = conn_new(t, &k);
	if (idx == NONE32)
		return NONE32;
	c = &t->conns[idx].c;
	{
		ptcp_handshake hh = *h;
		hh.ecn_ok = ecn != 0; /* RFC 3168 6.1.1 agreement */
		if (ptcp_conn_establish(c, &hh, x->now, v) != 0) {
			conn_free(t, idx);
			return NONE32;
		}
	}
	t->meta[idx].hash = hash;
	t->conns[idx].flags |= M_HASHED;
	tbl_hash_insert(t, idx, hash);
	tbl_aq_push(t, lid, idx);
	t->stats.established++;
	return idx;
}

ptcp_time_t tbl_rto_backoff(const ptcp_table *t, unsigned retries)
{
	/* RFC 6298 5.5 backoff from the initial RTO (never 0: rto_min is > 0), bounded by rto_max.
	 */
	ptcp_time_t r = t->cfg.conn.rto_initial ? t->cfg.conn.rto_initial : t->cfg.conn.rto_min;
	for (unsigned i = 0; i < retries && r < t->cfg.conn.rto_max; i++)
		r *= 2;
	return r < t->cfg.conn.rto_max ? r : t->cfg.conn.rto_max;
}

/* ---- Challenge ACKs (RFC 5961 7) ---------------------------------------- */

int tbl_ca_allow(tstep *x)
{
	ptcp_table *t = x->t;
	uint32_t limit = t->cfg.challenge_ack_limit;
	uint64_t sec = x->now / PTCP_SEC(1);
	if (limit == 0) {
		t->stats.challenge_acks++;
		return 1;
	}
	if (sec != t->ca_second) {
		/* RFC 5961 7 (and CVE-2016-5696): a limit per second, its exact value
		 * drawn in [limit/2, limit*3/2) each second so that the count cannot
		 * serve as a side channel across connections. */
		uint32_t half = (limit + 1) / 2;
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(sec >> (8 * i));
		t->ca_second = sec;
		t->ca_left = half + (uint32_t)(ptcp_siphash(t->k_ca, b, 8) % limit);
	}
	if (t->ca_left == 0) {
		t->stats.drops[PTCP_TDROP_CHALLENGE_LIMIT]++;
		return 0;
	}
	t->ca_left--;
	t->stats.challenge_acks++;
	return 1;
}

/* Challenge ACKs the table's budget allows now (RFC 5961 7); charge them with
 * tbl_ca_charge() once the connection has sent them. */
static uint32_t ca_budget(tstep *x)
{
	ptcp_table *t = x->t;
	uint32_t limit = t->cfg.challenge_ack_limit;
	uint64_t sec = x->now / PTCP_SEC(1);
	if (limit == 0)
		return UINT32_MAX;
	if (sec != t->ca_second) {
		uint32_t half = (limit + 1) / 2;
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(sec >> (8 * i));
		t->ca_second = sec;
		t->ca_left = half + (uint32_t)(ptcp_siphash(t->k_ca, b, 8) % limit);
	}
	return t->ca_left;
}

static void ca_charge(tstep *x, uint64_t sent, uint64_t limited)
{
	ptcp_table *t = x->t;
	t->stats.challenge_acks += sent;
	if (t->cfg.challenge_ack_limit)
		t->ca_left -= sent < t->ca_left ? (uint32_t)sent : t->ca_left;
	t->stats.drops[PTCP_TDROP_CHALLENGE_LIMIT] += limited;
}

/* ---- Configuration and memory -------------------------------------------- */

void ptcp_table_config_default(ptcp_table_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ptcp_config_default(&cfg->conn);
	cfg->flags = PTCP_TBL_SYNCOOKIES;
	cfg->max_conns = 64;
	cfg->max_requests = 256;
	cfg->max_listeners = 8;
	cfg->max_backlog = 4096;
	cfg->sndbuf = 65536;
	cfg->rcvbuf = 65536;
	cfg->challenge_ack_limit = 1000;
	cfg->tfo_max_pending = 64;
}

typedef struct layout {
	size_t meta, conns, loss, loss_free, bufs, reqs, lsn, slots, heap, total;
	uint32_t hslots, nloss;
	int pooled; /* fewer loss areas than connections */
	uint8_t wscale;
} layout;

#define ALIGN 64u

static int add_part(size_t *off, size_t *at, size_t n, size_t size)
{
	size_t bytes;
	if (n && size > SIZE_MAX / n)
		return 0;
	bytes = n * size;
	*at = *off;
	if (bytes > SIZE_MAX - ALIGN - *off)
		return 0;
	*off += (bytes + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	return 1;
}

static int plan(const ptcp_table_config *cfg, layout *l)
{
	ptcp_conn probe;
	uint8_t dummy = 0;
	uint64_t want;
	size_t off = 0;
	if (!cfg || cfg->max_conns == 0 || cfg->max_conns >= REF_REQ / 2 ||
	    cfg->max_requests >= REF_REQ / 2 || cfg->max_listeners == 0 ||
	    cfg->max_listeners > 65535 || cfg->max_backlog == 0 || cfg->sndbuf == 0 ||
	    cfg->rcvbuf == 0 || cfg->sndbuf > (1u << 30) || cfg->rcvbuf > (1u << 30))
		return 0;
	/* The connections' configuration must be one ptcp_conn_init accepts; the
	 * probe also resolves the window shift (its buffers are never touched). */
	if (ptcp_conn_init(&probe, &cfg->conn, &dummy, cfg->sndbuf, &dummy, cfg->rcvbuf) != 0)
		return 0;
	l->wscale = probe.cfg.wscale;
	l->pooled = cfg->loss_areas && cfg->loss_areas < cfg->max_conns;
	l->nloss = l->pooled ? cfg->loss_areas : cfg->max_conns;
	want = 2 * ((uint64_t)cfg->max_conns + cfg->max_requests);
	l->hslots = 16;
	while (l->hslots < want)
		l->hslots *= 2;
	if (!add_part(&off, &l->meta, cfg->max_conns, sizeof(tbl_meta)) ||
	    !add_part(&off, &l->conns, cfg->max_conns, sizeof(tbl_ent)) ||
	    !add_part(&off, &l->loss, l->nloss, sizeof(ptcp_loss)) ||
	    !add_part(&off, &l->loss_free, l->pooled ? l->nloss : 0, sizeof(uint32_t)) ||
	    !add_part(&off, &l->bufs, cfg->max_conns, (size_t)cfg->sndbuf + cfg->rcvbuf) ||
	    !add_part(&off, &l->reqs, cfg->max_requests, sizeof(tbl_req)) ||
	    !add_part(&off, &l->lsn, cfg->max_listeners, sizeof(tbl_lsn)) ||
	    !add_part(&off, &l->slots, l->hslots, sizeof(struct ptcp__tbl_slot)) ||
	    !add_part(&off, &l->heap, (size_t)cfg->max_conns + cfg->max_requests,
	              sizeof(struct ptcp__tbl_timer)))
		return 0;
	if (off > SIZE_MAX - ALIGN)
		return 0;
	l->total = off + ALIGN - 1; /* room to align any base */
	return 1;
}

size_t ptcp_table_mem_size(const ptcp_table_config *cfg)
{
	layout l;
	return plan(cfg, &l) ? l.total : 0;
}

static void derive(const uint8_t secret[16], uint8_t label, uint8_t key[16])
{
	static const uint8_t tag[8] = {'p', 't', 'c', 'p', 'k', 'e', 'y', 0};
	uint8_t b[9];
	uint64_t a, z;
	memcpy(b, tag, 8);
	b[8] = label;
	a = ptcp_siphash(secret, b, 9);
	b[8] = (uint8_t)(label | 0x80u);
	z = ptcp_siphash(secret, b, 9);
	for (int i = 0; i < 8; i++) {
		key[i] = (uint8_t)(a >> (8 * i));
		key[8 + i] = (uint8_t)(z >> (8 * i));
	}
}

int ptcp_table_init(ptcp_table *t, const ptcp_table_config *cfg, void *mem, size_t len)
{
	layout l;
	uint8_t *base;
	uint32_t i;
	if (!t || !cfg || !mem || !plan(cfg, &l))
		return PTCP_EINVAL;
	if (len < l.total)
		return PTCP_ENOBUFS;
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->wscale = l.wscale;
	if (!t->cfg.conn.cc)
		t->cfg.conn.cc = &ptcp_cc_cubic;
	if (t->cfg.flags & PTCP_TBL_SYNCOOKIES_ALWAYS)
		t->cfg.flags |= PTCP_TBL_SYNCOOKIES;
	base = (uint8_t *)mem + ((ALIGN - ((uintptr_t)mem & (ALIGN - 1))) & (ALIGN - 1));
	t->meta = (tbl_meta *)(void *)(base + l.meta);
	t->conns = (tbl_ent *)(void *)(base + l.conns);
	t->loss = (ptcp_loss *)(void *)(base + l.loss);
	t->loss_free = l.pooled ? (uint32_t *)(void *)(base + l.loss_free) : NULL;
	t->nloss = l.nloss;
	t->nloss_free = l.pooled ? l.nloss : 0;
	for (i = 0; i < t->nloss_free; i++)
		t->loss_free[i] = t->nloss_free - 1 - i; /* area 0 on top */
	t->bufs = base + l.bufs;
	t->reqs = (tbl_req *)(void *)(base + l.reqs);
	t->lsn = (tbl_lsn *)(void *)(base + l.lsn);
	t->slots = (struct ptcp__tbl_slot *)(void *)(base + l.slots);
	t->heap = (struct ptcp__tbl_timer *)(void *)(base + l.heap);
	t->hmask = l.hslots - 1;
	t->heap_cap = cfg->max_conns + cfg->max_requests;
	derive(cfg->secret, 1, t->k_hash);
	derive(cfg->secret, 2, t->k_isn);
	derive(cfg->secret, 3, t->k_cookie);
	derive(cfg->secret, 4, t->k_tfo);
	derive(cfg->secret, 5, t->k_ts);
	derive(cfg->secret, 6, t->k_ca);
	for (i = 0; i < cfg->max_conns; i++) {
		t->conns[i].flags = 0;
		t->conns[i].heap_pos = NONE32;
		t->meta[i].next = i + 1 < cfg->max_conns ? i + 1 : NONE32;
	}
	t->free_conn = 0;
	for (i = 0; i < cfg->max_requests; i++) {
		t->reqs[i].opt = 0;
		t->reqs[i].heap_pos = NONE32;
		t->reqs[i].next = i + 1 < cfg->max_requests ? i + 1 : NONE32;
	}
	t->free_req = cfg->max_requests ? 0 : NONE32;
	memset(t->lsn, 0, (size_t)cfg->max_listeners * sizeof(tbl_lsn));
	memset(t->slots, 0xff, (size_t)l.hslots * sizeof(struct ptcp__tbl_slot));
	t->ca_second = UINT64_MAX;
	t->deadline_reported = PTCP_TIME_NEVER;
	return 0;
}

/* ---- Steps --------------------------------------------------------------- */

/* RFC 6191 / RFC 1122 4.2.2.13: a new SYN may reopen a 4-tuple in TIME-WAIT
 * when it is above the old connection's sequence space (or timestamps). */
static void segment_in(tstep *x, const ptcp_input *in)
{
	ptcp_table *t = x->t;
	tseg s;
	uint32_t ref, lid;
	s.in = in;
	s.seg = in->segment.seg;
	memset(&s.k, 0, sizeof(s.k));
	s.k.laddr = in->segment.dst;
	s.k.raddr = in->segment.src;
	s.k.lport = s.seg->dport;
	s.k.rport = s.seg->sport;
	s.tw = 0;
	s.tw_isn = 0;
	t->stats.segs_in++;
	ref = NONE32;
	if (x->hint) {
		/* ptcp_table_step_hashed: a slot found with the hint holds this very
		 * tuple (hash_find compares it), so the hint was its hash; else the
		 * hint may be wrong: hash the tuple as always */
		s.hash = *x->hint;
		ref = hash_find(t, &s.k, s.hash);
	}
	if (ref == NONE32) {
		s.hash = tuple_hash(t, &s.k);
		ref = hash_find(t, &s.k, s.hash);
	}
	if (ref != NONE32 && (ref & REF_REQ)) {
		req_input(x, &s, ref & ~REF_REQ);
		return;
	}
	if (ref != NONE32) {
		ptcp_conn *c = &t->conns[ref].c;
		if ((t->conns[ref].flags & M_TFO) && tfo_segment(x, &s, ref))
			return;
		{
			/* RFC 5961 7: the connection sends challenge ACKs within the
			 * table's shared budget; RFC 6191: a SYN that ends TIME-WAIT
			 * closes the block and goes on to the listener below. */
			ptcp_input seg_in = *in;
			int was_tw = c->state == PTCP_TIME_WAIT;
			uint32_t old_nxt = c->snd_nxt;
			/* the challenge ACKs of this step, counted in the caller's
			 * counters or, when the block has none, in a scratch block */
			ptcp_stats scratch, *own = c->stats, *st = own ? own : &scratch;
			uint64_t sent0, lim0;
			if (!own) {
				memset(&scratch, 0, sizeof(scratch));
				c->stats = &scratch;
			}
			sent0 = st->challenge_acks;
			lim0 = st->challenge_acks_limited;
			seg_in.segment.challenge_limited = ca_budget(x) == 0;
			tbl_run_step(x, ref, &seg_in);
			c->stats = own;
			if (t->conns[ref].flags & M_HASHED) {
				ca_charge(x, (uint32_t)(st->challenge_acks - sent0),
				          (uint32_t)(st->challenge_acks_limited - lim0));
				return;
			}
			if (!was_tw)
				return; /* closed by this segment (a RST): done */
			/* RFC 1122 4.2.2.13: the new incarnation's ISN is larger than
			 * any sequence number the old one used (as Linux: SND.NXT plus
			 * a maximal unscaled window and 2). */
			s.tw = 1;
			s.tw_isn = old_nxt + 65535 + 2;
		}
	}
	lid = lsn_find(t, &s.k.laddr, s.k.lport);
	if (lid != NONE32) {
		lsn_input(x, &s, lid);
		return;
	}
	/* RFC 9293 3.10.7.1: no connection, no listener: the reset answer */
	t->stats.drops[PTCP_TDROP_NO_LISTENER]++;
	rst_reply(x, &s);
}

static void timers_in(tstep *x)
{
	ptcp_table *t = x->t;
	t->again = 0;
	while (t->nheap > 0 && t->heap[0].when <= x->now) {
		uint32_t ref = t->heap[0].ref;
		if (x->out->cap - x->out->n < PTCP_ACTIONS_MIN + 8) {
			t->again = 1;
			return;
		}
		if (ref & REF_REQ) {
			req_timer(x, ref & ~REF_REQ);
		} else {
			tbl_meta *m = &t->meta[ref];
			tbl_ent *e = &t->conns[ref];
			ptcp_conn *c = &e->c;
			if ((e->flags & M_TFO) && m->tfo_deadline <= x->now)
				tfo_timer(x, ref);
			if ((e->flags & M_USED) && c->state != PTCP_CLOSED &&
			    ptcp_conn_next_deadline(c) <= x->now) {
				ptcp_input tin = {.kind = PTCP_IN_TIME};
				tbl_run_step(x, ref, &tin);
			} else {
				tbl_conn_after(x, ref);
			}
			if (e->heap_pos != NONE32 && t->heap[e->heap_pos].when <= x->now) {
				t->again = 1; /* wants to run again at once: next step */
				return;
			}
		}
	}
}

static int connect_in(tstep *x, const ptcp_input *in)
{
	ptcp_table *t = x->t;
	ptcp_tuple k;
	ptcp_input cin = *in;
	uint32_t idx, hash;
	ptcp_actions v;
	int r;
	if (in->connect.rport == 0 || in->connect.lport == 0)
		return PTCP_EINVAL;
	memset(&k, 0, sizeof(k));
	k.laddr = in->connect.local;
	k.raddr = in->connect.remote;
	k.lport = in->connect.lport;
	k.rport = in->connect.rport;
	hash = tuple_hash(t, &k);
	if (hash_find(t, &k, hash) != NONE32)
		return PTCP_ESTATE;
	if (!tbl_view(x, &v))
		return PTCP_EINVAL;
	idx = conn_new(t, &k);
	if (idx == NONE32) {
		t->stats.drops[PTCP_TDROP_TABLE_FULL]++;
		return PTCP_ENOBUFS;
	}
	/* RFC 9293 3.4.1 / RFC 6528: the ISN */
	cin.connect.iss = ptcp_isn(t->k_isn, &k, x->now);
	r = ptcp_step(&t->conns[idx].c, &cin, x->now, &v);
	if (r != 0) {
		conn_free(t, idx);
		return r;
	}
	t->conns[idx].flags |= M_ACCEPTED | M_HASHED;
	t->meta[idx].hash = hash;
	tbl_hash_insert(t, idx, hash);
	tbl_absorb(x, idx, &v, 0);
	tbl_conn_after(x, idx);
	return (int)idx;
}

void tbl_report_deadline(tstep *x)
{
	ptcp_table *t = x->t;
	ptcp_time_t d = t->again ? x->now : t->nheap ? t->heap[0].when : PTCP_TIME_NEVER;
	if (d != t->deadline_reported && x->out->n < x->out->cap) {
		ptcp_action *a = &x->out->v[x->out->n];
		memset(a, 0, sizeof(*a));
		a->kind = PTCP_ACT_DEADLINE;
		a->deadline = d;
		x->out->tag[x->out->n].conn = PTCP_NO_HANDLE;
		x->out->tag[x->out->n].listener = PTCP_NO_LISTENER;
		x->out->n++;
		t->deadline_reported = d;
	}
}

static int outputs_ok(const ptcp_table_actions *out)
{
	return out && out->v && out->tag && out->cap >= PTCP_TABLE_ACTIONS_MIN;
}

static int table_step(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                      ptcp_table_actions *out, const uint32_t *hint)
{
	tstep x;
	int ret = 0;
	if (!t || !in || !outputs_ok(out))
		return PTCP_EINVAL;
	tstep_begin(&x, t, out, now, hint);
	if (h == PTCP_NO_HANDLE) {
		switch (in->kind) {
		case PTCP_IN_SEGMENT:
			if (!in->segment.seg)
				return PTCP_EINVAL;
			segment_in(&x, in);
			break;
		case PTCP_IN_TIME:
			timers_in(&x);
			break;
		case PTCP_IN_CONNECT:
			ret = connect_in(&x, in);
			break;
		default:
			return PTCP_EINVAL;
		}
	} else {
		if (h >= t->cfg.max_conns || !(t->conns[h].flags & M_USED) ||
		    in->kind == PTCP_IN_LISTEN || in->kind == PTCP_IN_CONNECT)
			return PTCP_EINVAL;
		if (in->kind == PTCP_IN_CLOSE || in->kind == PTCP_IN_ABORT) {
			tbl_aq_unlink(t, h);
			t->conns[h].flags |= M_ACCEPTED | M_RELEASED;
		}
		ret = tbl_run_step(&x, h, in);
	}
	tbl_report_deadline(&x);
	return ret;
}

int ptcp_table_step(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                    ptcp_table_actions *out)
{
	return table_step(t, h, in, now, out, NULL);
}

int ptcp_table_step_hashed(ptcp_table *t, uint32_t hash, const ptcp_input *in, ptcp_time_t now,
                           ptcp_table_actions *out)
{
	if (in && in->kind != PTCP_IN_SEGMENT)
		return PTCP_EINVAL;
	return table_step(t, PTCP_NO_HANDLE, in, now, out, &hash);
}

/* ---- Queries ------------------------------------------------------------- */

ptcp_conn *ptcp_table_conn(ptcp_table *t, ptcp_handle h)
{
	if (!t || h >= t->cfg.max_conns || !(t->conns[h].flags & M_USED))
		return NULL;
	return &t->conns[h].c;
}

ptcp_handle ptcp_table_lookup(const ptcp_table *t, const ptcp_tuple *k)
{
	uint32_t ref;
	if (!t || !k)
		return PTCP_NO_HANDLE;
	ref = hash_find(t, k, tuple_hash(t, k));
	return (ref == NONE32 || (ref & REF_REQ)) ? PTCP_NO_HANDLE : ref;
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

uint32_t ptcp_table_prefetch(const ptcp_table *t, const ptcp_tuple *k)
{
	uint32_t hash;
	if (!t || !k)
		return 0;
	hash = tuple_hash(t, k);
	PREFETCH(&t->slots[hash & t->hmask]);
	return hash;
}

void ptcp_table_prefetch_conn(const ptcp_table *t, uint32_t hash)
{
	if (!t)
		return;
	/* the first slot of the probe with this hash: its entry (the block and
	 * the bookkeeping a step reads, whole lines: of an idle connection the
	 * first ENT_HOT_LINES, which a segment step on it reads, of a busy one
	 * all, and its own loss area) */
	for (uint32_t i = hash & t->hmask;; i = (i + 1) & t->hmask) {
		const struct ptcp__tbl_slot *s = &t->slots[i];
		uint32_t ref = s->ref;
		if (ref == NONE32)
			return;
		if (s->hash != hash)
			continue;
		if (!(ref & REF_REQ)) {
			const char *c = (const char *)&t->conns[ref & ~REF_BUSY];
			size_t end = (ref & REF_BUSY) || sizeof(tbl_ent) < ENT_HOT_LINES * 64u
			                 ? sizeof(tbl_ent)
			                 : ENT_HOT_LINES * 64u;
			for (size_t off = 0; off < end; off += 64)
				PREFETCH(c + off);
			if ((ref & REF_BUSY) && !t->loss_free) {
				/* the scoreboard and RACK's log, which every ACK
				 * and send of a SACK connection reads */
				const ptcp_loss *l = &t->loss[ref & ~REF_BUSY];
				PREFETCH(&l->sb[0]);
				PREFETCH(&l->rack_log[0]);
				PREFETCH((const char *)(l + 1) - 1);
			}
		}
		return;
	}
}

static int icmp_hard_kind(ptcp_icmp_kind k)
{
	return k == PTCP_ICMP_NET_UNREACH || k == PTCP_ICMP_HOST_UNREACH ||
	       k == PTCP_ICMP_TIME_EXCEEDED;
}

int ptcp_table_icmp(ptcp_table *t, const ptcp_tuple *k, const ptcp_input *in, ptcp_time_t now,
                    ptcp_table_actions *out)
{
	tstep x;
	uint32_t ref;
	int ret = 0;
	if (!t || !k || !in || in->kind != PTCP_IN_ICMP || !outputs_ok(out))
		return PTCP_EINVAL;
	tstep_begin(&x, t, out, now, NULL);
	ref = hash_find(t, k, tuple_hash(t, k));
	if (ref == NONE32) {
		t->stats.drops[PTCP_TDROP_ICMP_IGNORED]++;
	} else if (ref & REF_REQ) {
		const tbl_req *q = &t->reqs[ref & ~REF_REQ];
		/* RFC 5927 4.1: believed only when it quotes our SYN-ACK; RFC 1122
		 * 4.2.3.9 soft errors, except in the Linux profile (tcp_req_err) */
		if ((t->cfg.conn.flags & PTCP_CFG_ICMP_SYNRECV_HARD) && in->icmp.seq == q->iss &&
		    icmp_hard_kind(in->icmp.type)) {
			req_free(t, ref & ~REF_REQ);
			t->stats.drops[PTCP_TDROP_REQUEST_ICMP]++;
		} else {
			t->stats.drops[PTCP_TDROP_ICMP_IGNORED]++;
		}
	} else if ((t->conns[ref].flags & (M_TFO | M_ACCEPTED)) == M_TFO) {
		ptcp_actions v;
		if (!tbl_view(&x, &v)) {
			t->again = 1;
			ret = PTCP_ENOSPC;
		} else {
			ret = ptcp_tfo_icmp(&t->conns[ref].c, in, now, &v);
			ret = ret == 1 ? 0 : ret;
			tbl_absorb(&x, ref, &v, 0);
			tbl_conn_after(&x, ref);
		}
	} else {
		ret = tbl_run_step(&x, ref, in);
	}
	tbl_report_deadline(&x);
	return ret;
}

ptcp_time_t ptcp_table_next_deadline(const ptcp_table *t)
{
	return t ? t->deadline_reported : PTCP_TIME_NEVER;
}

void ptcp_table_get_stats(const ptcp_table *t, ptcp_table_stats *st)
{
	*st = t->stats;
}

void ptcp_table_get_usage(const ptcp_table *t, ptcp_table_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->conns = t->nconns;
	u->conns_max = t->cfg.max_conns;
	u->requests = t->nreqs;
	u->requests_max = t->cfg.max_requests;
	u->listeners = t->nlisteners;
	u->listeners_max = t->cfg.max_listeners;
	u->tfo_pending = t->tfo_pending;
	u->tfo_max = t->cfg.tfo_max_pending;
	u->hashed = t->nhashed;
	u->hash_slots = t->hmask + 1;
	u->timers = t->nheap;
	u->timers_max = t->heap_cap;
	u->loss_areas = t->loss_free ? t->nloss - t->nloss_free : t->nconns;
	u->loss_areas_max = t->nloss;
}

const char *ptcp_table_drop_name(ptcp_table_drop d)
{
	static const char *const names[PTCP_TDROP_COUNT] = {"none",
	                                                    "syn-queue-full",
	                                                    "accept-queue-full",
	                                                    "table-full",
	                                                    "cookie-invalid",
	                                                    "no-listener",
	                                                    "tfo-cookie-invalid",
	                                                    "tfo-pending-full",
	                                                    "synack-timeout",
	                                                    "challenge-limit",
	                                                    "listen",
	                                                    "request",
	                                                    "request-reset",
	                                                    "request-icmp",
	                                                    "icmp-ignored"};
	if ((unsigned)d >= PTCP_TDROP_COUNT)
		return "unknown";
	return names[d];
}
