/*
 * TCP Fast Open, server side (RFC 7413).
 *
 * IMPLEMENTATION NOTES
 * The cookie is SipHash-2-4 of the client's address with the table's Fast
 * Open key, 8 bytes (RFC 7413 4.1.2).  A SYN with a valid cookie and data
 * makes the connection at once: ptcp_conn_establish() on a new block, then
 * the SYN's text fed to it as if it followed the handshake, so the data is
 * readable before the SYN-ACK is even answered.  Until the peer
 * acknowledges our SYN-ACK the table keeps the connection "pending": it
 * retransmits the SYN-ACK (with backoff, synack_retries times, then aborts)
 * and answers a retransmitted SYN with it; the core sees an ordinary
 * ESTABLISHED connection.  Pending connections are bounded by
 * tfo_max_pending (RFC 7413 5.1).
 */
#include "table_int.h"

void ptcp_tfo_cookie(const uint8_t key[16], const ptcp_addr *client,
                     uint8_t cookie[PTCP_TFO_COOKIE_LEN])
{
	uint8_t b[17];
	size_t n = client->family == 4 ? 4u : client->family == 6 ? 16u : 0u;
	uint64_t v;
	b[0] = client->family;
	memcpy(b + 1, client->bytes, n);
	v = ptcp_siphash(key, b, n + 1);
	for (int i = 0; i < PTCP_TFO_COOKIE_LEN; i++)
		cookie[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t lid_of(const ptcp_table *t, uint32_t idx)
{
	return (t->conns[idx].flags & M_ACCEPTQ) ? t->meta[idx].listener : PTCP_NO_LISTENER;
}

void ptcp_tfo_synack(const ptcp_conn *c, ptcp_time_t now, ptcp_seg *g)
{
	uint32_t wnd = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	memset(g, 0, sizeof(*g));
	g->sport = c->lport;
	g->dport = c->rport;
	/* RFC 9293 3.10.7.2: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; RFC 7413 4.2.2:
	 * RCV.NXT is past the SYN's data, so the SYN-ACK acknowledges it */
	g->seq = c->iss;
	g->ack = c->rcv_nxt;
	g->flags = PTCP_SYN | PTCP_ACK;
	g->wnd = (uint16_t)(wnd < 65535 ? wnd : 65535); /* RFC 7323 2.2: never scaled in a SYN */
	g->opts.present = PTCP_OPT_MSS;                 /* RFC 9293 3.7.1 */
	g->opts.mss = c->cfg.mss;
	if (c->flags & F_SACK)
		g->opts.present |= PTCP_OPT_SACK_PERM; /* RFC 2018 2 */
	if (c->flags & F_TS) {
		/* RFC 7323 3.2: TSecr echoes the SYN's TSval */
		g->opts.present |= PTCP_OPT_TS;
		g->opts.ts_val = timer_tsval(c, now);
		g->opts.ts_ecr = c->ts_recent;
	}
	if (c->flags & F_WS) {
		g->opts.present |= PTCP_OPT_WSCALE; /* RFC 7323 2.2: only if the SYN had it */
		g->opts.wscale = c->rcv_wscale;
	}
	if (c->flags & F_ECN)
		g->flags |= PTCP_ECE; /* RFC 3168 6.1.1: an ECN-setup SYN-ACK */
}

/*
 * Give c the text of SYN seg (its data, FIN and PSH) as the segment after the
 * handshake would carry it.  RFC 7413 4.2.2: the SYN-ACK acknowledges the
 * data, so the pure ACKs this step emits are left out of v.
 */
static void syn_text(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *v)
{
	const ptcp_seg *seg = in->segment.seg;
	const ptcp_tcp_opts *o = &seg->opts;
	ptcp_seg d = *seg;
	ptcp_input din = *in;
	size_t j = 0;
	/* PTCP_CFG_RCV_CLAMP: SYN text does not open the clamp (as Linux's), and
	 * the edge the left-out ACKs would have announced was never sent. */
	uint32_t clamp = c->rcv_clamp, adv = c->rcv_adv;
	d.flags = (uint8_t)(PTCP_ACK | (seg->flags & (PTCP_FIN | PTCP_PSH)));
	d.seq = seg->seq + 1;
	d.ack = c->iss + 1;
	d.wnd = (uint16_t)(seg->wnd >> c->snd_wscale);
	memset(&d.opts, 0, sizeof(d.opts));
	if (o->present & PTCP_OPT_TS) {
		d.opts.present = PTCP_OPT_TS;
		d.opts.ts_val = o->ts_val;
		d.opts.ts_ecr = 0; /* no RTT sample from it */
	}
	din.segment.seg = &d;
	if (ptcp_step(c, &din, now, v) != 0) {
		v->n = 0;
		return;
	}
	if (c->cfg.flags & PTCP_CFG_RCV_CLAMP) {
		c->rcv_clamp = clamp;
		c->rcv_adv = adv;
	}
	/* RFC 7323 2.2: the SYN's window is not scaled; the made-up segment's scaled one
	 * would round it down */
	c->snd_wnd = seg->wnd;
	if (c->max_sndwnd < seg->wnd)
		c->max_sndwnd = seg->wnd;
	for (size_t i = 0; i < v->n; i++) {
		const ptcp_action *a = &v->v[i];
		if (a->kind == PTCP_ACT_EMIT && a->emit.seg.flags == PTCP_ACK &&
		    ptcp_seg_len(&a->emit.seg) == 0)
			continue;
		v->v[j++] = *a;
	}
	v->n = j;
}

int ptcp_tfo_server_open(ptcp_conn *c, const ptcp_input *syn, uint32_t iss, ptcp_time_t now,
                         ptcp_actions *out)
{
	const ptcp_seg *seg;
	const ptcp_tcp_opts *o;
	ptcp_handshake h;
	ptcp_actions rest;
	ptcp_action *sa;
	size_t n0;
	int r;
	if (!c || !syn || !out || !out->v || out->cap < 2 * PTCP_ACTIONS_MIN ||
	    syn->kind != PTCP_IN_SEGMENT || !syn->segment.seg)
		return PTCP_EINVAL;
	seg = syn->segment.seg;
	o = &seg->opts;
	if ((seg->flags & (PTCP_SYN | PTCP_ACK | PTCP_RST)) != PTCP_SYN)
		return PTCP_EINVAL;
	memset(&h, 0, sizeof(h));
	h.laddr = syn->segment.dst;
	h.raddr = syn->segment.src;
	h.lport = seg->dport;
	h.rport = seg->sport;
	h.iss = iss;
	h.irs = seg->seq;
	/* RFC 9293 3.7.1: 0 = absent; RFC 7323 2.3: a shift over 14 is used as 14 */
	h.peer_mss = (o->present & PTCP_OPT_MSS) ? o->mss : 0;
	h.peer_wscale = (o->present & PTCP_OPT_WSCALE) ? (o->wscale > 14 ? 14 : o->wscale) : 0xff;
	h.sack_ok = (o->present & PTCP_OPT_SACK_PERM) != 0;
	h.ts_ok = (o->present & PTCP_OPT_TS) != 0;
	h.ts_recent = o->ts_val;
	h.snd_wnd = seg->wnd; /* RFC 7323 2.2: not scaled in a SYN */
	/* RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR */
	h.ecn_ok = (c->cfg.flags & PTCP_CFG_ECN) &&
	           (seg->flags & (PTCP_ECE | PTCP_CWR)) == (PTCP_ECE | PTCP_CWR);
	r = ptcp_conn_establish(c, &h, now, out);
	if (r != 0)
		return r;
	/* the SYN-ACK goes before anything the SYN's text makes us send */
	n0 = out->n; /* a few: the state change, the event, the deadline */
	rest.v = out->v + n0 + 1;
	rest.cap = out->cap - n0 - 1;
	rest.n = 0;
	if (ptcp_seg_len(seg) > 0 || (seg->flags & PTCP_FIN))
		syn_text(c, syn, now, &rest);
	sa = &out->v[n0];
	memset(sa, 0, sizeof(*sa));
	sa->kind = PTCP_ACT_EMIT;
	sa->emit.src = c->laddr;
	sa->emit.dst = c->raddr;
	ptcp_tfo_synack(c, now, &sa->emit.seg);
	out->n = n0 + 1 + rest.n;
	return 0;
}

int ptcp_tfo_icmp(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out)
{
	step_ctx x;
	if (!c || !in || !out || !out->v || out->cap < PTCP_ACTIONS_MIN)
		return PTCP_EINVAL;
	/* RFC 1122 4.2.3.9: soft errors by default.  The Linux profile: the
	 * connection is still SYN_RECV there (our SYN-ACK unacknowledged), and an
	 * unreachable quoting that SYN-ACK (RFC 5927 4.1: our ISS) ends it. */
	if (in->kind != PTCP_IN_ICMP || !(c->cfg.flags & PTCP_CFG_ICMP_SYNRECV_HARD) ||
	    !(c->flags & F_PASSIVE) || c->state == PTCP_CLOSED || in->icmp.seq != c->iss ||
	    (in->icmp.type != PTCP_ICMP_NET_UNREACH && in->icmp.type != PTCP_ICMP_HOST_UNREACH &&
	     in->icmp.type != PTCP_ICMP_TIME_EXCEEDED))
		return ptcp_step(c, in, now, out);
	step_begin(&x, c, in, now, out);
	conn_event(&x, PTCP_EV_ERROR, PTCP_EUNREACH);
	conn_closed(&x, PTCP_EUNREACH);
	return 1;
}

/* Our SYN-ACK for pending connection idx, from its block. */
static void tfo_synack(tstep *x, uint32_t idx, ptcp_action *a)
{
	const ptcp_conn *c = &x->t->conns[idx].c;
	a->kind = PTCP_ACT_EMIT;
	a->emit.src = c->laddr;
	a->emit.dst = c->raddr;
	ptcp_tfo_synack(c, x->now, &a->emit.seg);
}

void tfo_clear(ptcp_table *t, uint32_t idx)
{
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	if (!(e->flags & M_TFO))
		return;
	e->flags &= (uint8_t)~M_TFO;
	m->tfo_deadline = PTCP_TIME_NEVER;
	t->tfo_pending--;
}

int tfo_syn(tstep *x, const tseg *s, uint32_t lid, const uint8_t **cookie, uint8_t *buf)
{
	ptcp_table *t = x->t;
	const ptcp_seg *seg = s->seg;
	const ptcp_tcp_opts *o = &seg->opts;
	ptcp_handshake h;
	ptcp_actions v;
	ptcp_action *sa;
	size_t sa_at;
	uint32_t idx;
	ptcp_conn *c;
	int ecn;
	*cookie = NULL;
	if (!(t->cfg.flags & PTCP_TBL_TFO) || !(o->present & PTCP_OPT_TFO))
		return 0;
	ptcp_tfo_cookie(t->k_tfo, &s->k.raddr, buf);
	if (o->tfo_len == 0) {
		/* RFC 7413 4.2.1: a cookie request: the SYN-ACK carries the cookie */
		*cookie = buf;
		t->stats.tfo_cookies_sent++;
		return 0;
	}
	if (o->tfo_len != PTCP_TFO_COOKIE_LEN || memcmp(o->tfo_cookie, buf, PTCP_TFO_COOKIE_LEN)) {
		/* RFC 7413 4.2.2: an invalid cookie: the data is not accepted, the
		 * SYN-ACK acknowledges the SYN only (and brings a valid cookie) */
		t->stats.drops[PTCP_TDROP_TFO_COOKIE_INVALID]++;
		*cookie = buf;
		t->stats.tfo_cookies_sent++;
		return 0;
	}
	if (ptcp_seg_len(seg) == 0)
		return 0; /* a valid cookie without data: the usual handshake */
	if (t->tfo_pending >= t->cfg.tfo_max_pending) {
		/* RFC 7413 5.1: too many pending Fast Open requests: plain handshake */
		t->stats.drops[PTCP_TDROP_TFO_PENDING_FULL]++;
		return 0;
	}
	if (t->free_conn == NONE32) {
		t->stats.drops[PTCP_TDROP_TABLE_FULL]++;
		return 0;
	}
	/* RFC 7413 4.2.2: a valid cookie: the connection, the data accepted */
	sa = tbl_push(x, PTCP_ACT_EMIT, PTCP_NO_HANDLE, lid);
	if (!sa)
		return 0;
	sa_at = x->out->n - 1;
	if (!tbl_view(x, &v)) {
		x->out->n--;
		return 0;
	}
	syn_handshake(t, s, &h, &ecn);
	h.iss = s->tw ? s->tw_isn : ptcp_isn(t->k_isn, &s->k, x->now);
	idx = tbl_conn_adopt(x, &h, s->hash, lid, ecn, &v);
	if (idx == NONE32) {
		x->out->n--;
		return 0;
	}
	tbl_absorb(x, idx, &v, 0);
	c = &t->conns[idx].c;
	t->conns[idx].flags |= M_TFO;
	t->conns[idx].tfo_retries = 0;
	t->meta[idx].tfo_deadline = x->now + tbl_rto_backoff(t, 0);
	t->tfo_pending++;
	if (tbl_view(x, &v)) {
		syn_text(c, s->in, x->now, &v);
		tbl_absorb(x, idx, &v, 1);
	}
	tfo_synack(x, idx, &x->out->v[sa_at]);
	x->out->tag[sa_at].conn = idx;
	x->out->tag[sa_at].listener = lid_of(t, idx);
	t->stats.tfo_accepted++;
	t->stats.synacks++;
	tbl_conn_after(x, idx);
	return 1;
}

int tfo_segment(tstep *x, const tseg *s, uint32_t idx)
{
	ptcp_table *t = x->t;
	const ptcp_conn *c = &t->conns[idx].c;
	const ptcp_seg *seg = s->seg;
	uint8_t f = seg->flags;
	if ((f & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN && seg->seq == c->irs) {
		/* the peer has not seen our SYN-ACK: send it again */
		ptcp_action *a = tbl_push(x, PTCP_ACT_EMIT, idx, lid_of(t, idx));
		if (a) {
			tfo_synack(x, idx, a);
			t->stats.synack_rexmits++;
		}
		return 1;
	}
	/* RFC 9293 3.10.7.4: an acceptable ACK of our SYN ends the pending state */
	if ((f & PTCP_ACK) && !(f & (PTCP_SYN | PTCP_RST)) && ptcp_seq_gt(seg->ack, c->iss) &&
	    ptcp_seq_le(seg->ack, c->snd_max))
		tfo_clear(t, idx);
	return 0;
}

void tfo_timer(tstep *x, uint32_t idx)
{
	ptcp_table *t = x->t;
	tbl_meta *m = &t->meta[idx];
	tbl_ent *e = &t->conns[idx];
	ptcp_action *a;
	if (e->tfo_retries >= t->cfg.conn.synack_retries) {
		ptcp_input ab = {.kind = PTCP_IN_ABORT};
		t->stats.drops[PTCP_TDROP_SYNACK_TIMEOUT]++;
		tfo_clear(t, idx);
		tbl_run_step(x, idx, &ab);
		return;
	}
	a = tbl_push(x, PTCP_ACT_EMIT, idx, lid_of(t, idx));
	if (!a)
		return;
	e->tfo_retries++;
	m->tfo_deadline = x->now + tbl_rto_backoff(t, e->tfo_retries);
	tfo_synack(x, idx, a);
	t->stats.synack_rexmits++;
}
