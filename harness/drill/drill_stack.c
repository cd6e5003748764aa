/*
 * drill_stack.c - the simulated kernel of the packetdrill runner.
 *
 * IMPLEMENTATION NOTES
 * Every socket with a connection owns one ptcp_conn block (malloc'd) and its buffers.  A
 * listening socket owns a spare block in LISTEN; an incoming SYN for its port is given to a
 * fresh block (the listener's options, PTCP_IN_LISTEN, then the SYN) which the core turns into
 * SYN-RECEIVED: that child waits in the accept queue once it leaves SYN-RECEIVED.  Segments are
 * demultiplexed by port pair to the block that owns them; a segment nobody owns goes to a
 * scratch block in CLOSED, which answers with the RFC 9293 3.10.7.1 reset, as a kernel does.
 *
 * Every ptcp_step() goes through stack_step(): emitted segments are rebuilt with the wire codec
 * and parsed back (so the options have their wire layout) into the output queue with their
 * emission time; events set the socket's pending error (Linux sk_err).
 *
 * Linux's socket layer is modelled here, not in the core: SO_SNDBUF limits what write() may
 * queue (the core's send ring is larger), SO_RCVBUF / 2 is the core's receive ring (Linux
 * advertises about half of sk_rcvbuf), the backlog bounds the accept queue.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

int stack_init(struct runner *r)
{
	ptcp_config cfg;
	r->out.v = r->acts;
	r->out.cap = DRILL_ACTS;
	r->scratch = calloc(1, sizeof(*r->scratch));
	r->zeros_len = 1 << 16;
	r->zeros = calloc(1, r->zeros_len);
	if (!r->scratch || !r->zeros)
		return -1;
	ptcp_config_linux(&cfg);
	if (ptcp_conn_init(r->scratch, &cfg, r->scratch_buf[0], sizeof(r->scratch_buf[0]),
	                   r->scratch_buf[1], sizeof(r->scratch_buf[1])) != 0)
		return -1;
	r->next_rport = 40000; /* the remote end's ports for passive connections */
	r->next_lport = 50000; /* our ephemeral ports for connect() */
	r->next_iss = 100000000u;
	return 0;
}

static void sock_free(struct sock *sk)
{
	if (!sk->in_table) /* a table's block belongs to the table */
		free(sk->conn);
	free(sk->sbuf);
	free(sk->rbuf);
	free(sk);
}

void stack_free(struct runner *r)
{
	struct sock *sk = r->socks;
	struct flow *f = r->flows;
	struct pkt *p = r->outq;
	while (sk) {
		struct sock *n = sk->next;
		sock_free(sk);
		sk = n;
	}
	while (f) {
		struct flow *n = f->next;
		free(f->ts);
		free(f);
		f = n;
	}
	while (p) {
		struct pkt *n = p->next;
		free(p);
		p = n;
	}
	free(r->scratch);
	free(r->zeros);
	dtbl_free(r);
	r->socks = NULL;
	r->flows = NULL;
	r->outq = r->outq_tail = NULL;
	r->scratch = NULL;
	r->zeros = NULL;
}

struct sock *sock_new(struct runner *r)
{
	struct sock *sk = calloc(1, sizeof(*sk));
	if (!sk)
		return NULL;
	sk->fd = -1;
	sk->kind = SK_NEW;
	sk->cfg = r->base_cfg;
	sk->sndbuf = r->def_sndbuf;
	sk->rcvbuf = r->def_rcvbuf;
	sk->keepidle = 7200;
	sk->keepintvl = 75;
	sk->keepcnt = 9;
	sk->next = r->socks;
	r->socks = sk;
	return sk;
}

void sock_release(struct runner *r, struct sock *sk)
{
	struct sock **pp;
	for (pp = &r->socks; *pp; pp = &(*pp)->next) {
		if (*pp == sk) {
			*pp = sk->next;
			break;
		}
	}
	sock_free(sk);
}

struct sock *sock_by_fd(struct runner *r, int fd)
{
	struct sock *sk;
	if (fd < 0)
		return NULL;
	for (sk = r->socks; sk; sk = sk->next)
		if (sk->fd == fd)
			return sk;
	return NULL;
}

int lowest_free_fd(struct runner *r)
{
	int fd = 3;
	while (sock_by_fd(r, fd))
		fd++;
	return fd;
}

void sock_config(const struct runner *r, const struct sock *sk, ptcp_config *cfg)
{
	(void)r;
	*cfg = sk->cfg;
	if (sk->user_mss > 0)
		cfg->mss = (uint16_t)sk->user_mss;
	cfg->keepalive_idle = sk->keepalive ? PTCP_SEC((ptcp_time_t)sk->keepidle) : 0;
	cfg->keepalive_intvl = PTCP_SEC((ptcp_time_t)sk->keepintvl);
	cfg->keepalive_cnt = (uint8_t)sk->keepcnt;
	cfg->user_timeout = PTCP_MS((ptcp_time_t)sk->user_timeout_ms);
}

int sock_make_conn(struct runner *r, struct sock *sk)
{
	ptcp_config cfg;
	bool listener = sk->kind == SK_LISTEN;
	free(sk->conn);
	free(sk->sbuf);
	free(sk->rbuf);
	sk->scap = listener ? 256 : DRILL_SNDBUF_CAP;
	sk->rcap = listener ? 256 : (size_t)(sk->rcvbuf / 2 > 0 ? sk->rcvbuf / 2 : 1);
	sk->conn = calloc(1, sizeof(struct drill_conn_mem)); /* the block, then its loss area */
	sk->sbuf = malloc(sk->scap);
	sk->rbuf = malloc(sk->rcap);
	if (!sk->conn || !sk->sbuf || !sk->rbuf)
		return drill_fail(r, r->ev ? r->ev->line : 0, "out of memory");
	sock_config(r, sk, &cfg);
	if (ptcp_conn_init(sk->conn, &cfg, sk->sbuf, sk->scap, sk->rbuf, sk->rcap) != 0)
		return drill_fail(r, r->ev ? r->ev->line : 0,
		                  "ptcp_conn_init rejected the socket's configuration (mss %u)",
		                  (unsigned)cfg.mss);
	sock_lend_loss(sk);
	return 0;
}

void sock_lend_loss(struct sock *sk)
{
	ptcp_conn_set_loss(sk->conn, &((struct drill_conn_mem *)(void *)sk->conn)->loss);
}

void sock_refresh_conn(struct runner *r, struct sock *sk)
{
	ptcp_config cfg;
	ptcp_input in = {.kind = PTCP_IN_SETOPT};
	if (!sk->conn)
		return;
	/*
	 * The core copies its configuration at ptcp_conn_init(); options set on a live
	 * connection (TCP_NODELAY, TCP_CORK, SO_KEEPALIVE, TCP_USER_TIMEOUT, TCP_SYNCNT,
	 * TCP_LINGER2) go in with ptcp_conn_setopt() (checked), then a PTCP_IN_SETOPT step
	 * with the same options lets the core act on them (send what Nagle, the cork or
	 * MSG_MORE held back, as Linux's setsockopt pushes pending frames; arm the
	 * keep-alive timer).
	 */
	sock_config(r, sk, &cfg);
	if (ptcp_conn_setopt(sk->conn, &cfg) != 0) {
		drill_fail(r, r->ev ? r->ev->line : 0,
		           "ptcp_conn_setopt rejected the socket's options (TCP_LINGER2 %llu us)",
		           (unsigned long long)cfg.fin_wait2_timeout);
		return;
	}
	in.setopt.cfg = &cfg;
	stack_step(r, sk, &in);
}

/* ---- Steps and actions ---------------------------------------------------------------- */

static int errno_of_event(int err)
{
	return drill_errno(err);
}

/*
 * The listener grants a Fast Open cookie (RFC 7413 4.1.2): the cookie option goes at the end
 * of the child's SYN-ACK, in the encoding of the SYN's request (kind 34, or 254 with the
 * experiment ID as Linux answers a FOEXP request).  Returns the segment to send.
 */
static const ptcp_seg *grant_cookie(struct runner *r, const ptcp_seg *sg, ptcp_seg *g,
                                    const ptcp_addr *src, const ptcp_addr *dst)
{
	int n;
	if (!r->grant_on || (sg->flags & (PTCP_SYN | PTCP_ACK)) != (PTCP_SYN | PTCP_ACK))
		return sg;
	r->grant_on = false;
	*g = *sg;
	g->opts.present |= PTCP_OPT_TFO;
	g->opts.tfo_len = 8;
	memcpy(g->opts.tfo_cookie, r->grant, 8);
	if (!r->grant_exp || g->opts.nitems)
		return g;
	n = ptcp_wire_build_tcp(r->wirebuf, sizeof(r->wirebuf), g, src, dst);
	if (n < 0 || ptcp_wire_parse_tcp(r->wirebuf, (size_t)n, src, dst, 1, g) != 0)
		return sg;
	g->payload = NULL;
	for (size_t i = 0; i < g->opts.nitems; i++) {
		if (g->opts.items[i].kind == PTCP_OPTKIND_TFO) {
			g->opts.items[i].kind = PTCP_OPTKIND_EXP;
			g->opts.nitems = (uint8_t)(i + 1); /* its NOP padding goes */
			break;
		}
	}
	return g;
}

static void take_emit(struct runner *r, const ptcp_action *a)
{
	struct pkt *p;
	int n, e;
	ptcp_addr src = a->emit.src, dst = a->emit.dst;
	ptcp_seg gs;
	const ptcp_seg *sg;
	if (!src.family)
		src = r->local;
	if (!dst.family)
		dst = r->remote;
	sg = grant_cookie(r, &a->emit.seg, &gs, &src, &dst);
	n = ptcp_wire_build_tcp(r->wirebuf, sizeof(r->wirebuf), sg, &src, &dst);
	if (n < 0) {
		drill_fail(r, r->ev ? r->ev->line : 0,
		           "the core emitted a segment the codec cannot build: %s",
		           ptcp_strerror(n));
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		drill_fail(r, 0, "out of memory");
		return;
	}
	e = ptcp_wire_parse_tcp(r->wirebuf, (size_t)n, &src, &dst, 1, &p->seg);
	if (e != 0) {
		free(p);
		drill_fail(r, r->ev ? r->ev->line : 0,
		           "the core emitted a segment that does not parse back: %s",
		           ptcp_strerror(e));
		return;
	}
	p->seg.payload = NULL; /* only the length is kept: packetdrill writes zeros */
	p->src = src;
	p->dst = dst;
	p->ecn = a->emit.ecn;
	p->t = r->now;
	if (r->outq_tail)
		r->outq_tail->next = p;
	else
		r->outq = p;
	r->outq_tail = p;
	if (r->cfg.trace) {
		char buf[512];
		format_pkt(r, r->sut, p, buf, sizeof(buf));
		drill_trace(r, "  > %s  [%u>%u]", buf, (unsigned)p->seg.sport,
		            (unsigned)p->seg.dport);
	}
}

void stack_emit(struct runner *r, const ptcp_action *a)
{
	take_emit(r, a);
}

void stack_take_actions(struct runner *r, struct sock *sk)
{
	for (size_t i = 0; i < r->out.n && !r->stopped; i++)
		stack_take_action(r, sk, &r->out.v[i]);
}

void stack_take_action(struct runner *r, struct sock *sk, const ptcp_action *a)
{
	{
		switch (a->kind) {
		case PTCP_ACT_EMIT:
			take_emit(r, a);
			break;
		case PTCP_ACT_STATE:
			if (r->cfg.trace)
				drill_trace(r, "  state %s -> %s", ptcp_state_name(a->state.from),
				            ptcp_state_name(a->state.to));
			if (sk && sk->parent && a->state.from == PTCP_SYN_RECEIVED &&
			    a->state.to != PTCP_CLOSED && a->state.to != PTCP_LISTEN &&
			    !sk->established_order)
				sk->established_order = ++r->establish_seq;
			break;
		case PTCP_ACT_EVENT:
			if (r->cfg.trace)
				drill_trace(r, "  event %s %s", ptcp_event_name(a->event.ev),
				            a->event.err ? ptcp_strerror(a->event.err) : "");
			if (!sk)
				break;
			switch (a->event.ev) {
			case PTCP_EV_PEER_CLOSED:
				sk->peer_fin = true;
				break;
			case PTCP_EV_RESET:
			case PTCP_EV_TIMEDOUT:
			case PTCP_EV_ERROR:
				if (a->event.err) {
					sk->err = errno_of_event(a->event.err);
					sk->err_seen = false;
				}
				break;
			default:
				break;
			}
			break;
		default:
			break;
		}
	}
}

static int step_conn(struct runner *r, ptcp_conn *c, struct sock *sk, const ptcp_input *in)
{
	int ret;
	if (++r->steps > 2000000) {
		drill_fail(r, r->ev ? r->ev->line : 0, "the core does not settle (livelock?)");
		return PTCP_EINVAL;
	}
	if (sk && sk->in_table)
		return dtbl_step(r, sk->h, in);
	ret = ptcp_step(c, in, (ptcp_time_t)(DRILL_BASE_US + r->now), &r->out);
	if (ret == PTCP_EINVAL && in->kind != PTCP_IN_CONNECT && in->kind != PTCP_IN_LISTEN &&
	    in->kind != PTCP_IN_SHUTDOWN && in->kind != PTCP_IN_SEND && in->kind != PTCP_IN_READ) {
		drill_fail(r, r->ev ? r->ev->line : 0, "ptcp_step rejected its input (kind %d)",
		           (int)in->kind);
		return ret;
	}
	stack_take_actions(r, sk);
	return ret;
}

int stack_step(struct runner *r, struct sock *sk, const ptcp_input *in)
{
	return step_conn(r, sk->conn, sk, in);
}

static bool conn_alive(const struct sock *sk)
{
	ptcp_state st;
	if (sk->kind != SK_CONN || !sk->conn || sk->in_table)
		return false;
	st = ptcp_conn_state(sk->conn);
	return st != PTCP_CLOSED && st != PTCP_LISTEN;
}

static int accept_queue_len(const struct runner *r, const struct sock *lsk)
{
	int n = 0;
	if (lsk->in_table)
		return dtbl_accept_queue(r, lsk);
	for (const struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->parent == lsk && !sk->accepted && sk->established_order)
			n++;
	return n;
}

struct sock *stack_child(struct runner *r, struct sock *lsk, const ptcp_seg *seg)
{
	struct sock *sk = sock_new(r);
	if (!sk) {
		drill_fail(r, 0, "out of memory");
		return NULL;
	}
	/* Linux children inherit the listener's socket options. */
	sk->cfg = lsk->cfg;
	sk->sndbuf = lsk->sndbuf;
	sk->rcvbuf = lsk->rcvbuf;
	sk->rcvbuf_set = lsk->rcvbuf_set;
	sk->user_mss = lsk->user_mss;
	sk->keepalive = lsk->keepalive;
	sk->keepidle = lsk->keepidle;
	sk->keepintvl = lsk->keepintvl;
	sk->keepcnt = lsk->keepcnt;
	sk->user_timeout_ms = lsk->user_timeout_ms;
	sk->linger_on = lsk->linger_on;
	sk->linger_secs = lsk->linger_secs;
	sk->kind = SK_CONN;
	sk->parent = lsk;
	sk->lport = seg->dport;
	sk->rport = seg->sport;
	sk->ss = SS_CONNECTED;
	if (sock_make_conn(r, sk) != 0)
		return NULL;
	sk->iss = r->next_iss;
	r->next_iss += 100000000u;
	sk->flow = r->sut;
	if (r->sut && r->sut->state == FLOW_PASSIVE_SYN)
		r->sut->live_isn = sk->iss;
	return sk;
}

static struct sock *new_child(struct runner *r, struct sock *lsk, const ptcp_seg *seg)
{
	struct sock *sk = stack_child(r, lsk, seg);
	ptcp_input in = {.kind = PTCP_IN_LISTEN};
	if (!sk)
		return NULL;
	in.listen.local = r->local;
	in.listen.lport = sk->lport;
	in.listen.iss = sk->iss;
	if (stack_step(r, sk, &in) != 0)
		drill_fail(r, r->ev ? r->ev->line : 0, "PTCP_IN_LISTEN failed on a fresh block");
	return sk;
}

int stack_inject(struct runner *r, const ptcp_seg *seg, uint8_t ecn)
{
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	struct sock *sk, *lsk = NULL;
	in.segment.seg = seg;
	in.segment.src = r->remote;
	in.segment.dst = r->local;
	in.segment.ecn = ecn;
	if (dtbl_owns(r, seg->dport))
		return dtbl_step(r, PTCP_NO_HANDLE, &in) < 0 && r->stopped ? -1 : 0;
	for (sk = r->socks; sk; sk = sk->next) {
		if (conn_alive(sk) && sk->lport == seg->dport && sk->rport == seg->sport) {
			if (!tfo_child_segment(r, sk, seg))
				stack_step(r, sk, &in);
			return 0;
		}
		if (sk->kind == SK_LISTEN && sk->lport == seg->dport && sk->conn &&
		    ptcp_conn_state(sk->conn) == PTCP_LISTEN)
			lsk = sk;
	}
	if (lsk) {
		if ((seg->flags & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN) {
			if (accept_queue_len(r, lsk) > lsk->backlog) {
				drill_trace(r, "  SYN dropped: accept queue full (backlog %d)",
				            lsk->backlog);
				return 0;
			}
			switch (tfo_listener_syn(r, lsk, seg, &in)) {
			case 1:
				return 0; /* a Fast Open child */
			case 0:
				break;
			default:
				return -1;
			}
			sk = new_child(r, lsk, seg);
			if (!sk)
				return -1;
			stack_step(r, sk, &in);
			r->grant_on = false;
			return 0;
		}
		stack_step(r, lsk, &in);
		return 0;
	}
	/* Nobody owns this 4-tuple: the kernel answers as CLOSED does. */
	step_conn(r, r->scratch, NULL, &in);
	return r->stopped ? -1 : 0;
}

/* An ICMP error about the connection lport/rport (RFC 5927): to the table's entry for that
 * 4-tuple, or to the socket's core; nobody's: ignored (as the kernel does). */
int stack_icmp(struct runner *r, uint16_t lport, uint16_t rport, const ptcp_input *in)
{
	if (dtbl_owns(r, lport)) {
		ptcp_tuple k = {
		    .laddr = r->local, .raddr = r->remote, .lport = lport, .rport = rport};
		return dtbl_icmp(r, &k, in) < 0 && r->stopped ? -1 : 0;
	}
	for (struct sock *sk = r->socks; sk; sk = sk->next) {
		if (conn_alive(sk) && sk->lport == lport && sk->rport == rport) {
			if (!tfo_child_icmp(r, sk, in))
				stack_step(r, sk, in);
			return r->stopped ? -1 : 0;
		}
	}
	drill_trace(r, "  ICMP ignored: no connection %u > %u", (unsigned)rport, (unsigned)lport);
	return 0;
}

/* ---- Time ------------------------------------------------------------------------------ */

int64_t stack_next_deadline(const struct runner *r)
{
	int64_t best = dtbl_next_deadline(r);
	for (const struct sock *sk = r->socks; sk; sk = sk->next) {
		ptcp_time_t d;
		if (!sk->conn || sk->in_table)
			continue;
		if (sk->tfo_pending && sk->tfo_deadline < best)
			best = sk->tfo_deadline;
		d = ptcp_conn_next_deadline(sk->conn);
		if (d == PTCP_TIME_NEVER)
			continue;
		if ((int64_t)d - DRILL_BASE_US < best)
			best = (int64_t)d - DRILL_BASE_US;
	}
	if (r->pending && r->pending->poll_deadline >= 0 && r->pending->poll_deadline < best)
		best = r->pending->poll_deadline;
	return best;
}

int stack_advance_one(struct runner *r, int64_t limit)
{
	int64_t d = stack_next_deadline(r);
	if (r->stopped)
		return -1;
	if (d == INT64_MAX || d > limit)
		return 0;
	if (d > r->now)
		r->now = d;
	dtbl_time(r);
	for (struct sock *sk = r->socks; sk && !r->stopped; sk = sk->next) {
		ptcp_input in = {.kind = PTCP_IN_TIME};
		ptcp_time_t cd;
		if (!sk->conn || sk->in_table)
			continue;
		if (sk->tfo_pending && sk->tfo_deadline <= r->now) {
			tfo_timer(r, sk);
			if (r->stopped || !sk->conn)
				break;
		}
		cd = ptcp_conn_next_deadline(sk->conn);
		if (cd != PTCP_TIME_NEVER && (int64_t)cd - DRILL_BASE_US <= r->now)
			stack_step(r, sk, &in);
	}
	if (!r->stopped)
		pending_poll(r);
	return r->stopped ? -1 : 1;
}

int stack_advance(struct runner *r, int64_t t)
{
	int k;
	while ((k = stack_advance_one(r, t)) == 1)
		;
	if (k < 0)
		return -1;
	if (t > r->now) {
		r->now = t;
		pending_poll(r);
	}
	return r->stopped ? -1 : 0;
}

/* ---- Socket state as the socket layer sees it ----------------------------------------- */

size_t sock_send_space(const struct sock *sk)
{
	ptcp_info info;
	size_t core, lim;
	if (!sk->conn || sk->kind != SK_CONN)
		return 0;
	ptcp_conn_info(sk->conn, &info);
	core = ptcp_conn_send_space(sk->conn);
	lim = info.send_queued < (size_t)sk->sndbuf ? (size_t)sk->sndbuf - info.send_queued : 0;
	return core < lim ? core : lim;
}

#define POLLIN_     0x001
#define POLLOUT_    0x004
#define POLLERR_    0x008
#define POLLHUP_    0x010
#define POLLRDNORM_ 0x040
#define POLLWRNORM_ 0x100
#define POLLRDHUP_  0x2000

bool sock_writeable(const struct sock *sk)
{
	ptcp_info info;
	size_t space = sock_send_space(sk);
	ptcp_conn_info(sk->conn, &info);
	/* Linux sk_stream_is_writeable(): free space >= half of what is queued */
	return space > 0 && space >= info.send_queued / 2;
}

int sock_poll_mask(const struct runner *r, const struct sock *sk)
{
	int mask = 0;
	ptcp_state st;
	bool rcv_shut, snd_shut;
	if (sk->kind == SK_LISTEN)
		return accept_queue_len(r, sk) > 0 ? (POLLIN_ | POLLRDNORM_) : 0;
	if (sk->kind == SK_NEW || !sk->conn)
		return POLLOUT_ | POLLWRNORM_ | POLLHUP_;
	st = ptcp_conn_state(sk->conn);
	/* Linux sets RCV_SHUTDOWN when the FIN arrives (data may still be queued) and both
	 * directions in tcp_done() */
	rcv_shut = sk->peer_fin || sk->shut_rd || st == PTCP_CLOSED;
	snd_shut = sk->shut_wr || st == PTCP_CLOSED;
	if ((rcv_shut && snd_shut) || st == PTCP_CLOSED)
		mask |= POLLHUP_;
	if (rcv_shut)
		mask |= POLLIN_ | POLLRDNORM_ | POLLRDHUP_;
	if (st != PTCP_SYN_SENT && st != PTCP_SYN_RECEIVED) {
		if (ptcp_conn_recv_avail(sk->conn) > 0)
			mask |= POLLIN_ | POLLRDNORM_;
		if (!snd_shut) {
			if (sock_writeable(sk))
				mask |= POLLOUT_ | POLLWRNORM_;
		} else {
			mask |= POLLOUT_ | POLLWRNORM_;
		}
	}
	if (sk->err && !sk->err_seen)
		mask |= POLLERR_;
	return mask;
}

/* ---- Flows ----------------------------------------------------------------------------- */

struct flow *flow_new(struct runner *r, enum flow_state st)
{
	struct flow *f = calloc(1, sizeof(*f));
	if (!f) {
		drill_fail(r, 0, "out of memory");
		return NULL;
	}
	f->state = st;
	f->next = r->flows;
	r->flows = f;
	r->sut = f;
	return f;
}

void flow_ts_set(struct flow *f, uint32_t script, uint32_t live)
{
	for (size_t i = 0; i < f->n_ts; i++) {
		if (f->ts[i].script == script) {
			f->ts[i].live = live;
			return;
		}
	}
	if (f->n_ts == f->cap_ts) {
		size_t cap = f->cap_ts ? 2 * f->cap_ts : 16;
		struct tsmap *n = realloc(f->ts, cap * sizeof(*n));
		if (!n)
			return;
		f->ts = n;
		f->cap_ts = cap;
	}
	f->ts[f->n_ts].script = script;
	f->ts[f->n_ts].live = live;
	f->n_ts++;
}

bool flow_ts_get(const struct flow *f, uint32_t script, uint32_t *live)
{
	for (size_t i = 0; i < f->n_ts; i++) {
		if (f->ts[i].script == script) {
			*live = f->ts[i].live;
			return true;
		}
	}
	return false;
}
