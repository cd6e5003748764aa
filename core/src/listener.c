/*
 * Listeners: LISTEN (RFC 9293 3.10.7.2), the SYN queue of SYN-RECEIVED
 * entries (3.10.7.4 for that state), SYN cookies when it is full
 * (RFC 4987 3.6), the accept queue and its overflow policy.
 *
 * IMPLEMENTATION NOTES
 * A SYN makes a small request entry (no connection block) that sends the
 * SYN-ACK and retransmits it with backoff from the table's heap, up to
 * synack_retries times.  The final ACK turns it into a connection block
 * through ptcp_conn_establish(), then the ACK itself is fed to the block.
 * When the SYN queue is full (or always, by configuration) the SYN-ACK's
 * ISS is a SYN cookie instead and no state is kept; a valid cookie ACK
 * rebuilds the handshake.  Both backlog queues are bounded by the listen()
 * backlog; an accept queue that is full when the final ACK arrives either
 * drops the ACK (the request stays and its SYN-ACK is sent again) or
 * answers RST (Linux tcp_abort_on_overflow).
 */
#include "table_int.h"

static int addr_same(const ptcp_addr *a, const ptcp_addr *b)
{
	size_t n = a->family == 4 ? 4u : a->family == 6 ? 16u : 0u;
	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

static int outputs_ok(const ptcp_table_actions *out)
{
	return out && out->v && out->tag && out->cap >= PTCP_TABLE_ACTIONS_MIN;
}

/* ---- Listener management ------------------------------------------------- */

uint32_t lsn_find(const ptcp_table *t, const ptcp_addr *addr, uint16_t port)
{
	uint32_t wild = NONE32;
	for (uint32_t i = 0; i < t->cfg.max_listeners; i++) {
		const tbl_lsn *l = &t->lsn[i];
		if (!l->used || l->port != port)
			continue;
		if (l->addr.family == 0)
			wild = i;
		else if (addr_same(&l->addr, addr))
			return i;
	}
	return wild;
}

int ptcp_table_listen(ptcp_table *t, const ptcp_addr *local, uint16_t port, uint32_t backlog)
{
	ptcp_addr any;
	uint32_t i, slot = NONE32;
	tbl_lsn *l;
	memset(&any, 0, sizeof(any));
	if (!local)
		local = &any;
	if (!t || port == 0 || backlog == 0 ||
	    (local->family != 0 && local->family != 4 && local->family != 6))
		return PTCP_EINVAL;
	for (i = 0; i < t->cfg.max_listeners; i++) {
		l = &t->lsn[i];
		if (!l->used) {
			if (slot == NONE32)
				slot = i;
			continue;
		}
		if (l->port == port && addr_same(&l->addr, local))
			return PTCP_ESTATE;
	}
	if (slot == NONE32)
		return PTCP_ENOBUFS;
	l = &t->lsn[slot];
	memset(l, 0, sizeof(*l));
	l->used = 1;
	l->addr = *local;
	l->port = port;
	l->backlog = backlog < t->cfg.max_backlog ? backlog : t->cfg.max_backlog;
	l->aq_head = l->aq_tail = NONE32;
	t->nlisteners++;
	return (int)slot;
}

int ptcp_table_unlisten(ptcp_table *t, uint32_t lid, ptcp_time_t now, ptcp_table_actions *out)
{
	tstep x;
	tbl_lsn *l;
	if (!t || lid >= t->cfg.max_listeners || !t->lsn[lid].used || !outputs_ok(out))
		return PTCP_EINVAL;
	tstep_begin(&x, t, out, now, NULL);
	l = &t->lsn[lid];
	/* Rare: a scan of the SYN-queue entries is fine here. */
	for (uint32_t i = 0; i < t->cfg.max_requests && l->synq; i++)
		if ((t->reqs[i].opt & R_USED) && t->reqs[i].listener == lid)
			req_free(t, i);
	/* RFC 9293 3.10.5: connections nobody accepted are aborted. */
	while (l->aq_head != NONE32) {
		uint32_t idx = l->aq_head;
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		tbl_aq_unlink(t, idx);
		t->conns[idx].flags |= M_ACCEPTED | M_RELEASED;
		if (tbl_run_step(&x, idx, &ab) == PTCP_ENOSPC) {
			/* no room left to report: abort with the actions discarded */
			ptcp_action scratch[PTCP_ACTIONS_MIN];
			ptcp_actions v = {.v = scratch, .cap = PTCP_ACTIONS_MIN, .n = 0};
			ptcp_step(&t->conns[idx].c, &ab, now, &v);
			tbl_conn_after(&x, idx);
		}
	}
	l->used = 0;
	t->nlisteners--;
	tbl_report_deadline(&x);
	return 0;
}

int ptcp_table_accept(ptcp_table *t, uint32_t lid, ptcp_handle *h)
{
	tbl_lsn *l;
	uint32_t idx;
	if (!t || !h || lid >= t->cfg.max_listeners || !t->lsn[lid].used)
		return PTCP_EINVAL;
	l = &t->lsn[lid];
	if (l->aq_head == NONE32)
		return PTCP_EAGAIN;
	idx = l->aq_head;
	tbl_aq_unlink(t, idx);
	t->conns[idx].flags |= M_ACCEPTED;
	t->stats.accepted++;
	*h = idx;
	return 0;
}

int ptcp_table_listener_info(const ptcp_table *t, uint32_t lid, ptcp_listener_info *info)
{
	const tbl_lsn *l;
	if (!t || !info || lid >= t->cfg.max_listeners || !t->lsn[lid].used)
		return PTCP_EINVAL;
	l = &t->lsn[lid];
	memset(info, 0, sizeof(*info));
	info->addr = l->addr;
	info->port = l->port;
	info->backlog = l->backlog;
	info->syn_queue = l->synq;
	info->accept_queue = l->acceptq;
	return 0;
}

/* ---- Segments the table sends itself ------------------------------------ */

uint16_t synack_wnd(const ptcp_table *t)
{
	return (uint16_t)(t->cfg.rcvbuf < 65535 ? t->cfg.rcvbuf : 65535);
}

void synack_emit(tstep *x, const ptcp_tuple *k, const synack *sa, ptcp_action *a)
{
	const ptcp_config *cfg = &x->t->cfg.conn;
	ptcp_seg *g = &a->emit.seg;
	a->kind = PTCP_ACT_EMIT;
	a->emit.src = k->laddr;
	a->emit.dst = k->raddr;
	memset(g, 0, sizeof(*g));
	g->sport = k->lport;
	g->dport = k->rport;
	/* RFC 9293 3.10.7.2: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	g->seq = sa->seq;
	g->ack = sa->ack;
	g->flags = PTCP_SYN | PTCP_ACK;
	g->wnd = sa->wnd; /* RFC 7323 2.2: never scaled in a SYN */
	/* RFC 9293 3.7.1: our MSS */
	g->opts.present = PTCP_OPT_MSS;
	g->opts.mss = cfg->mss;
	if (sa->sack_ok)
		g->opts.present |= PTCP_OPT_SACK_PERM; /* RFC 2018 2 */
	if (sa->ts_ok) {
		g->opts.present |= PTCP_OPT_TS; /* RFC 7323 3.2: TSecr echoes the SYN's TSval */
		g->opts.ts_val = sa->tsval;
		g->opts.ts_ecr = sa->tsecr;
	}
	if (sa->ws_ok) {
		g->opts.present |= PTCP_OPT_WSCALE; /* RFC 7323 2.2: only if the SYN had it */
		g->opts.wscale = x->t->wscale;
	}
	if (sa->ecn_ok)
		g->flags |= PTCP_ECE; /* RFC 3168 6.1.1: an ECN-setup SYN-ACK */
	if (sa->tfo_cookie) {
		g->opts.present |= PTCP_OPT_TFO; /* RFC 7413 4.1.1 */
		g->opts.tfo_len = PTCP_TFO_COOKIE_LEN;
		memcpy(g->opts.tfo_cookie, sa->tfo_cookie, PTCP_TFO_COOKIE_LEN);
	}
}

void rst_reply(tstep *x, const tseg *s)
{
	const ptcp_seg *seg = s->seg;
	ptcp_action *a;
	ptcp_seg *g;
	/* RFC 9293 3.10.7.1: an incoming RST is discarded, never answered */
	if (seg->flags & PTCP_RST)
		return;
	a = tbl_push(x, PTCP_ACT_EMIT, PTCP_NO_HANDLE, PTCP_NO_LISTENER);
	if (!a)
		return;
	a->emit.src = s->k.laddr;
	a->emit.dst = s->k.raddr;
	g = &a->emit.seg;
	g->sport = seg->dport;
	g->dport = seg->sport;
	if (seg->flags & PTCP_ACK) {
		g->seq = seg->ack; /* <SEQ=SEG.ACK><CTL=RST> */
		g->flags = PTCP_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		g->ack = seg->seq + ptcp_seg_seqlen(seg);
		g->flags = PTCP_RST | PTCP_ACK;
	}
	x->t->stats.rsts++;
}

static uint32_t tsval_at(ptcp_time_t now, uint32_t off)
{
	/* RFC 7323 5.4: the 1 ms clock of the connection's timer_tsval(), with its offset */
	return (uint32_t)(now / 1000u) + off;
}

static void req_synack(tstep *x, const tbl_req *r)
{
	ptcp_table *t = x->t;
	uint8_t cookie[PTCP_TFO_COOKIE_LEN];
	synack sa;
	ptcp_action *a = tbl_push(x, PTCP_ACT_EMIT, PTCP_NO_HANDLE, PTCP_NO_LISTENER);
	if (!a)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.seq = r->iss;
	sa.ack = r->irs + 1;
	sa.wnd = synack_wnd(t);
	sa.ws_ok = (r->opt & R_WS) != 0;
	sa.sack_ok = (r->opt & R_SACK) != 0;
	sa.ecn_ok = (r->opt & R_ECN) != 0;
	sa.ts_ok = (r->opt & R_TS) != 0;
	sa.tsval = tsval_at(x->now, r->ts_off);
	sa.tsecr = r->ts_recent;
	if (r->opt & R_TFOC) {
		ptcp_tfo_cookie(t->k_tfo, &r->k.raddr, cookie);
		sa.tfo_cookie = cookie;
	}
	synack_emit(x, &r->k, &sa, a);
}

/* An ACK from a SYN-queue entry: <SEQ=ISS+1><ACK=IRS+1> (its window scaled, RFC 7323 2.2). */
static void req_ack(tstep *x, const tbl_req *r)
{
	ptcp_action *a = tbl_push(x, PTCP_ACT_EMIT, PTCP_NO_HANDLE, PTCP_NO_LISTENER);
	ptcp_seg *g;
	if (!a)
		return;
	a->emit.src = r->k.laddr;
	a->emit.dst = r->k.raddr;
	g = &a->emit.seg;
	g->sport = r->k.lport;
	g->dport = r->k.rport;
	g->seq = r->iss + 1;
	g->ack = r->irs + 1;
	g->flags = PTCP_ACK;
	g->wnd = (uint16_t)(synack_wnd(x->t) >> ((r->opt & R_WS) ? x->t->wscale : 0));
	if (r->opt & R_TS) {
		g->opts.present = PTCP_OPT_TS;
		g->opts.ts_val = tsval_at(x->now, r->ts_off);
		g->opts.ts_ecr = r->ts_recent;
	}
}

/* ---- SYN-queue entries --------------------------------------------------- */

void req_free(ptcp_table *t, uint32_t ri)
{
	tbl_req *r = &t->reqs[ri];
	tbl_hash_remove(t, REF_REQ | ri, r->hash);
	tbl_timer_set(t, REF_REQ | ri, PTCP_TIME_NEVER);
	t->lsn[r->listener].synq--;
	t->nreqs--;
	r->opt = 0;
	r->next = t->free_req;
	t->free_req = ri;
}

void syn_handshake(const ptcp_table *t, const tseg *s, ptcp_handshake *h, int *ecn)
{
	const ptcp_seg *seg = s->seg;
	const ptcp_tcp_opts *o = &seg->opts;
	memset(h, 0, sizeof(*h));
	h->laddr = s->k.laddr;
	h->raddr = s->k.raddr;
	h->lport = s->k.lport;
	h->rport = s->k.rport;
	h->irs = seg->seq;
	/* RFC 9293 3.7.1: 0 = absent (ptcp_conn_establish assumes 536 / 1220) */
	h->peer_mss = (o->present & PTCP_OPT_MSS) ? o->mss : 0;
	/* RFC 7323 2.3: a shift over 14 is used as 14 */
	h->peer_wscale = (o->present & PTCP_OPT_WSCALE) ? (o->wscale > 14 ? 14 : o->wscale) : 0xff;
	h->sack_ok = (o->present & PTCP_OPT_SACK_PERM) != 0;
	h->ts_ok = (o->present & PTCP_OPT_TS) != 0;
	h->ts_recent = o->ts_val;
	h->snd_wnd = seg->wnd; /* RFC 7323 2.2: not scaled in a SYN */
	/* RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR */
	*ecn = (t->cfg.conn.flags & PTCP_CFG_ECN) &&
	       (seg->flags & (PTCP_ECE | PTCP_CWR)) == (PTCP_ECE | PTCP_CWR);
}

/* What both sides agree on for a SYN-ACK (ours from the configuration). */
static void agree(const ptcp_table *t, const ptcp_handshake *h, int ecn, synack *sa)
{
	uint32_t f = t->cfg.conn.flags;
	memset(sa, 0, sizeof(*sa));
	sa->ws_ok = (f & PTCP_CFG_WSCALE) && h->peer_wscale != 0xff;
	sa->sack_ok = (f & PTCP_CFG_SACK) && h->sack_ok;
	sa->ts_ok = (f & PTCP_CFG_TIMESTAMPS) && h->ts_ok;
	sa->ecn_ok = (uint8_t)ecn;
}

/*
 * The accept queue is full, or no block is free, when the handshake
 * completes: Linux's tcp_abort_on_overflow.  Off: drop the ACK, keep the
 * request (its SYN-ACK goes again and the peer's next ACK retries).  On:
 * <SEQ=SEG.ACK><CTL=RST> and forget the request.
 */
static void overflow(tstep *x, const tseg *s, uint32_t ri, ptcp_table_drop why)
{
	ptcp_table *t = x->t;
	t->stats.drops[why]++;
	if (!(t->cfg.flags & PTCP_TBL_ABORT_ON_OVERFLOW))
		return;
	rst_reply(x, s);
	if (ri != NONE32)
		req_free(t, ri);
}

/* The handshake h completed with segment s: a connection, then the segment. */
static void complete(tstep *x, const tseg *s, uint32_t lid, const ptcp_handshake *h, int ecn)
{
	ptcp_actions v;
	uint32_t idx;
	if (!tbl_view(x, &v))
		return;
	idx = tbl_conn_adopt(x, h, s->hash, lid, ecn, &v);
	if (idx == NONE32)
		return;
	tbl_absorb(x, idx, &v, 0);
	/* RFC 9293 3.10.7.4 fifth: the ACK (and any text) is processed in ESTABLISHED */
	tbl_run_step(x, idx, s->in);
}

void req_input(tstep *x, const tseg *s, uint32_t ri)
{
	ptcp_table *t = x->t;
	tbl_req *r = &t->reqs[ri];
	const ptcp_seg *seg = s->seg;
	uint8_t f = seg->flags;
	uint32_t rcv_nxt = r->irs + 1, wnd = synack_wnd(t), seq = seg->seq;
	uint32_t seqlen = ptcp_seg_seqlen(seg);
	uint32_t lid = r->listener;
	ptcp_handshake h;
	int ok;
	/* A retransmitted SYN: the SYN-ACK again (as the core does in SYN-RECEIVED). */
	if ((f & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN && seq == r->irs) {
		t->stats.synack_rexmits++;
		req_synack(x, r);
		return;
	}
	/* RFC 9293 3.10.7.4 first: the four acceptability cases (RCV.WND > 0) */
	if (seqlen == 0)
		ok = ptcp_seq_in(seq, rcv_nxt, rcv_nxt + wnd);
	else
		ok = ptcp_seq_in(seq, rcv_nxt, rcv_nxt + wnd) ||
		     ptcp_seq_in(seq + seqlen - 1, rcv_nxt, rcv_nxt + wnd);
	if (!ok) {
		/* not acceptable: an ACK in reply unless it is a RST (rate limited as
		 * RFC 5961 7 asks of challenge ACKs) */
		t->stats.drops[PTCP_TDROP_REQUEST]++;
		if (!(f & PTCP_RST) && tbl_ca_allow(x))
			req_ack(x, r);
		return;
	}
	/* second: RST (RFC 5961 3.2: exactly RCV.NXT, else a challenge ACK) */
	if (f & PTCP_RST) {
		if (seq == rcv_nxt) {
			t->stats.drops[PTCP_TDROP_REQUEST_RESET]++;
			req_free(t, ri); /* passive open: back to LISTEN */
		} else if (tbl_ca_allow(x)) {
			req_ack(x, r);
		}
		return;
	}
	/* fourth: SYN in SYN-RECEIVED after a passive OPEN: back to LISTEN */
	if (f & PTCP_SYN) {
		t->stats.drops[PTCP_TDROP_REQUEST_RESET]++;
		req_free(t, ri);
		return;
	}
	/* fifth: no ACK, drop */
	if (!(f & PTCP_ACK)) {
		t->stats.drops[PTCP_TDROP_REQUEST]++;
		return;
	}
	/* SND.UNA < SEG.ACK =< SND.NXT, else <SEQ=SEG.ACK><CTL=RST> */
	if (seg->ack != r->iss + 1) {
		t->stats.drops[PTCP_TDROP_REQUEST]++;
		rst_reply(x, s);
		return;
	}
	if (t->lsn[lid].acceptq >= t->lsn[lid].backlog) {
		overflow(x, s, ri, PTCP_TDROP_ACCEPT_QUEUE_FULL);
		return;
	}
	if (t->free_conn == NONE32) {
		overflow(x, s, ri, PTCP_TDROP_TABLE_FULL);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.laddr = r->k.laddr;
	h.raddr = r->k.raddr;
	h.lport = r->k.lport;
	h.rport = r->k.rport;
	h.iss = r->iss;
	h.irs = r->irs;
	h.peer_mss = r->peer_mss;
	h.peer_wscale = (r->opt & R_WS) ? r->peer_wscale : 0xff;
	h.sack_ok = (r->opt & R_SACK) != 0;
	h.ts_ok = (r->opt & R_TS) != 0;
	h.ts_recent = r->ts_recent;
	h.snd_wnd = r->snd_wnd;
	{
		int ecn = (r->opt & R_ECN) != 0;
		req_free(t, ri); /* the connection takes its place in the hash */
		complete(x, s, lid, &h, ecn);
	}
}

void req_timer(tstep *x, uint32_t ri)
{
	ptcp_table *t = x->t;
	tbl_req *r = &t->reqs[ri];
	if (r->retries >= t->cfg.conn.synack_retries) {
		t->stats.drops[PTCP_TDROP_SYNACK_TIMEOUT]++;
		req_free(t, ri);
		return;
	}
	/* RFC 9293 3.8.1 / RFC 6298 5.5: the SYN-ACK again, the timeout doubled */
	r->retries++;
	t->stats.synack_rexmits++;
	req_synack(x, r);
	r->deadline = x->now + tbl_rto_backoff(t, r->retries);
	tbl_timer_set(t, REF_REQ | ri, r->deadline);
}

/* ---- SYN cookies ---------------------------------------------------------- */

static void cookie_synack(tstep *x, const tseg *s, const ptcp_handshake *h, int ecn)
{
	ptcp_table *t = x->t;
	int v6 = s->k.raddr.family == 6;
	unsigned mi = cookie_mss_index(h->peer_mss ? h->peer_mss : (uint16_t)(v6 ? 1220 : 536), v6);
	synack sa;
	uint8_t ob = 0;
	ptcp_action *a = tbl_push(x, PTCP_ACT_EMIT, PTCP_NO_HANDLE, PTCP_NO_LISTENER);
	if (!a)
		return;
	agree(t, h, ecn, &sa);
	if (sa.ts_ok) {
		/* the options live in the TSval's low bits, echoed back in TSecr */
		ob = cookie_opts(sa.ws_ok, h->peer_wscale, sa.sack_ok, sa.ecn_ok);
		sa.tsval = cookie_tsval(tsval_at(x->now, tbl_ts_off(t, &s->k)), ob);
		sa.tsecr = h->ts_recent;
	} else {
		/* without timestamps a cookie cannot remember options: offer none */
		sa.ws_ok = sa.sack_ok = sa.ecn_ok = 0;
	}
	sa.seq = cookie_make(t, &s->k, h->irs, x->now, mi, ob);
	sa.ack = h->irs + 1;
	sa.wnd = synack_wnd(t);
	synack_emit(x, &s->k, &sa, a);
	t->stats.synacks++;
	t->stats.cookies_sent++;
}

/* An ACK to a listener whose SYN cookies are in use. */
static void cookie_ack(tstep *x, const tseg *s, uint32_t lid)
{
	ptcp_table *t = x->t;
	const ptcp_seg *seg = s->seg;
	const tbl_lsn *l = &t->lsn[lid];
	uint32_t f = t->cfg.conn.flags;
	uint8_t ob = 0, ws;
	int mi, ts, sack, ecn;
	ptcp_handshake h;
	if ((seg->opts.present & PTCP_OPT_TS) && seg->opts.ts_ecr != 0)
		ob = (uint8_t)(0x40u | (seg->opts.ts_ecr & 0x3fu));
	mi = cookie_check(t, &s->k, seg->seq - 1, seg->ack - 1, x->now, ob);
	ts = (ob & 0x40) != 0;
	ws = ob & 0x0f;
	sack = (ob & 0x10) != 0;
	ecn = (ob & 0x20) != 0;
	/* our configuration must still allow what the cookie promised */
	if (mi < 0 || (ts && !(f & PTCP_CFG_TIMESTAMPS)) || (sack && !(f & PTCP_CFG_SACK)) ||
	    (ws != 0x0f && (!(f & PTCP_CFG_WSCALE) || ws > 14)) || (ecn && !(f & PTCP_CFG_ECN))) {
		t->stats.drops[PTCP_TDROP_COOKIE_INVALID]++;
		return;
	}
	if (l->acceptq >= l->backlog) {
		overflow(x, s, NONE32, PTCP_TDROP_ACCEPT_QUEUE_FULL);
		return;
	}
	if (t->free_conn == NONE32) {
		overflow(x, s, NONE32, PTCP_TDROP_TABLE_FULL);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.laddr = s->k.laddr;
	h.raddr = s->k.raddr;
	h.lport = s->k.lport;
	h.rport = s->k.rport;
	h.iss = seg->ack - 1;
	h.irs = seg->seq - 1;
	h.peer_mss = cookie_mss((unsigned)mi, s->k.raddr.family == 6);
	h.peer_wscale = (ts && ws != 0x0f) ? ws : 0xff;
	h.sack_ok = (uint8_t)(ts && sack);
	h.ts_ok = (uint8_t)ts;
	h.ts_recent = seg->opts.ts_val;
	h.snd_wnd = seg->wnd; /* the SYN's is unknown; the ACK sets the scaled window */
	t->stats.cookies_ok++;
	complete(x, s, lid, &h, ts && ecn);
}

/* Cookies are checked while the listener's SYN queue overflowed recently
 * (within a cookie's lifetime, as Linux), or always by configuration. */
static int cookies_now(const ptcp_table *t, const tbl_lsn *l, ptcp_time_t now)
{
	if (t->cfg.flags & PTCP_TBL_SYNCOOKIES_ALWAYS)
		return 1;
	return (t->cfg.flags & PTCP_TBL_SYNCOOKIES) && l->overflowed &&
	       now - l->last_overflow < COOKIE_MAX_AGE * COOKIE_PERIOD;
}

/* ---- LISTEN ---------------------------------------------------------------- */

static void syn_in(tstep *x, const tseg *s, uint32_t lid)
{
	ptcp_table *t = x->t;
	tbl_lsn *l = &t->lsn[lid];
	const ptcp_seg *seg = s->seg;
	ptcp_handshake h;
	synack sa;
	const uint8_t *cookie = NULL;
	uint8_t cbuf[PTCP_TFO_COOKIE_LEN];
	int ecn, full, want_cookie;
	uint32_t ri;
	tbl_req *r;
	t->stats.syns++;
	full = l->synq >= l->backlog || t->free_req == NONE32;
	if (full) {
		l->overflowed = 1;
		l->last_overflow = x->now;
	}
	/* RFC 4987 3.6: SYN cookies instead of state when the queue is full */
	want_cookie = !s->tw && ((t->cfg.flags & PTCP_TBL_SYNCOOKIES_ALWAYS) ||
	                         (full && (t->cfg.flags & PTCP_TBL_SYNCOOKIES)));
	if (full && !want_cookie) {
		t->stats.drops[PTCP_TDROP_SYN_QUEUE_FULL]++;
		return;
	}
	/* As Linux: no new handshakes while the accept queue is full. */
	if (l->acceptq >= l->backlog) {
		t->stats.drops[PTCP_TDROP_ACCEPT_QUEUE_FULL]++;
		return;
	}
	syn_handshake(t, s, &h, &ecn);
	if (want_cookie) {
		if (ptcp_seg_len(seg) > 0)
			t->stats.syn_data_ignored++;
		cookie_synack(x, s, &h, ecn); /* no Fast Open with cookies (as Linux) */
		return;
	}
	if (tfo_syn(x, s, lid, &cookie, cbuf))
		return;
	/* RFC 7413 4.2.2 / RFC 9293 3.10.7.2: data not taken by Fast Open waits for a
	 * retransmission */
	if (ptcp_seg_len(seg) > 0)
		t->stats.syn_data_ignored++;
	/* RFC 9293 3.10.7.2 third: a SYN-RECEIVED entry, ISS from RFC 6528 */
	ri = t->free_req;
	r = &t->reqs[ri];
	t->free_req = r->next;
	agree(t, &h, ecn, &sa);
	memset(r, 0, sizeof(*r));
	r->k = s->k;
	r->hash = s->hash;
	r->listener = lid;
	r->heap_pos = NONE32;
	r->iss = s->tw ? s->tw_isn : ptcp_isn(t->k_isn, &s->k, x->now);
	r->irs = seg->seq;
	r->ts_recent = h.ts_recent;
	r->ts_off = tbl_ts_off(t, &s->k);
	r->peer_mss = h.peer_mss;
	r->snd_wnd = (uint16_t)h.snd_wnd;
	r->peer_wscale = h.peer_wscale;
	r->opt = (uint8_t)(R_USED | (sa.ws_ok ? R_WS : 0) | (sa.sack_ok ? R_SACK : 0) |
	                   (sa.ts_ok ? R_TS : 0) | (sa.ecn_ok ? R_ECN : 0) | (cookie ? R_TFOC : 0));
	r->deadline = x->now + tbl_rto_backoff(t, 0);
	tbl_hash_insert(t, REF_REQ | ri, s->hash);
	tbl_timer_set(t, REF_REQ | ri, r->deadline);
	l->synq++;
	t->nreqs++;
	/* Text in the SYN is not accepted without Fast Open: the SYN-ACK
	 * acknowledges the SYN only and the peer sends the text again. */
	req_synack(x, r);
	t->stats.synacks++;
}

void lsn_input(tstep *x, const tseg *s, uint32_t lid)
{
	ptcp_table *t = x->t;
	uint8_t f = s->seg->flags;
	/* RFC 9293 3.10.7.2 first: an incoming RST is ignored */
	if (f & PTCP_RST) {
		t->stats.drops[PTCP_TDROP_LISTEN]++;
		return;
	}
	/* second: any ACK is bad: <SEQ=SEG.ACK><CTL=RST> - unless it completes a
	 * SYN-cookie handshake (RFC 4987 3.6) */
	if (f & PTCP_ACK) {
		if (!(f & PTCP_SYN) && cookies_now(t, &t->lsn[lid], x->now)) {
			cookie_ack(x, s, lid);
			return;
		}
		t->stats.drops[PTCP_TDROP_LISTEN]++;
		rst_reply(x, s);
		return;
	}
	/* fourth: other text or control: drop */
	if (!(f & PTCP_SYN)) {
		t->stats.drops[PTCP_TDROP_LISTEN]++;
		return;
	}
	/* third: SYN */
	syn_in(x, s, lid);
}
