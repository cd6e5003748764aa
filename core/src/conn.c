/*
 * The connection block, the step entry point and the application calls
 * (RFC 9293 3.10.1 - 3.10.6).
 *
 * IMPLEMENTATION NOTES
 * ptcp_step() validates its arguments, dispatches the input, then lets
 * output_flush() send what the new state allows and reports the next
 * deadline when it changed.  Every state change goes through
 * conn_set_state() so that each one is reported as an action.
 */
#include "internal.h"

void ptcp_config_default(ptcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK | PTCP_CFG_SS_IDLE |
	             PTCP_CFG_LIMITED_TX | PTCP_CFG_TLP | PTCP_CFG_RACK | PTCP_CFG_PRR;
	cfg->mss = 1460;
	cfg->wscale = 0xff;
	cfg->syn_retries = 6;
	cfg->synack_retries = 5;
	cfg->max_retries = 15;
	cfg->init_cwnd = 10;
	cfg->rto_initial = PTCP_SEC(1);
	cfg->rto_min = PTCP_MS(200);
	cfg->rto_max = PTCP_SEC(120);
	cfg->msl = PTCP_SEC(30);
	cfg->fin_wait2_timeout = PTCP_SEC(60);
	cfg->delack = PTCP_MS(40);
	cfg->quickack = 16;
	cfg->keepalive_intvl = PTCP_SEC(75);
	cfg->keepalive_cnt = 9;
	cfg->challenge_ack_limit = 1000;
	cfg->abc = 2;
	cfg->mtu_probe_base = 1024;
}

void ptcp_config_linux(ptcp_config *cfg)
{
	ptcp_config_default(cfg);
	cfg->wscale = 8;
	cfg->flags &= ~(uint32_t)PTCP_CFG_SS_IDLE; /* tcp_slow_start_after_idle=0 */
	cfg->flags |= PTCP_CFG_RST_KEEP_DATA;      /* tcp_reset() keeps the receive queue */
	cfg->abc = 0;                              /* tcp_slow_start: cwnd += segments acked */
	/* tcp_cwnd_reduction (PRR) and tcp_cong_control (growth by delivered) */
	cfg->flags |= PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX | PTCP_CFG_DELIVERED;
	cfg->flags |= PTCP_CFG_ACK_UNSENT_SILENT | PTCP_CFG_CLOSED_DATA_RST_REPLY;
	cfg->flags |= PTCP_CFG_ZWP_NO_DATA;
	cfg->flags |= PTCP_CFG_ABORT_RST_ACK;     /* tcp_send_active_reset: RST|ACK */
	cfg->flags |= PTCP_CFG_ICMP_SYNRECV_HARD; /* tcp_v4_err: tcp_req_err(fatal) */
	cfg->flags |= PTCP_CFG_RTO_LINUX;         /* __tcp_set_rto: srtt + max(mdev, rto_min) */
	cfg->flags |= PTCP_CFG_PUSH_LINUX;        /* tcp_push: MSG_MORE per call, PSH marks */
	cfg->flags |= PTCP_CFG_RCV_CLAMP;         /* rcv_ssthresh, tcp_grow_window */
	cfg->flags |= PTCP_CFG_SACK_WHOLE_SEG;    /* tcp_match_skb_to_sack: whole segments */
	cfg->flags |= PTCP_CFG_REO_TIMER_LINUX;   /* tcp_rack_mark_lost: + TCP_TIMEOUT_MIN */
	cfg->flags |= PTCP_CFG_CWND_LIMITED;      /* tcp_is_cwnd_limited */
	cfg->flags |= PTCP_CFG_NAGLE_MINSHALL;    /* tcp_nagle_check: tcp_minshall_check */
	cfg->syn_retries = 5;
	cfg->synack_retries = 5;
	cfg->msl = PTCP_SEC(30);
}

/* The live options (PTCP_IN_SETOPT, ptcp_conn_setopt) into c's copy. */
static int opts_copy(ptcp_conn *c, const ptcp_config *n)
{
	const uint32_t live = PTCP_CFG_NODELAY | PTCP_CFG_CORK;
	/* RFC 9293 3.8.6.3: delack < 500 ms; the copy keeps 32 bits of us */
	if (n->delack > UINT32_MAX || n->fin_wait2_timeout > UINT32_MAX)
		return PTCP_EINVAL;
	c->cfg.flags = (c->cfg.flags & ~live) | (n->flags & live);
	c->cfg.keepalive_idle = n->keepalive_idle;
	c->cfg.keepalive_intvl = n->keepalive_intvl;
	c->cfg.keepalive_cnt = n->keepalive_cnt;
	c->cfg.user_timeout = n->user_timeout;
	c->cfg.delack = (uint32_t)n->delack;
	c->cfg.challenge_ack_limit = n->challenge_ack_limit;
	c->cfg.syn_retries = n->syn_retries;
	c->cfg.fin_wait2_timeout = (uint32_t)n->fin_wait2_timeout;
	return 0;
}

int ptcp_conn_init(ptcp_conn *c, const ptcp_config *cfg, uint8_t *sbuf, size_t scap, uint8_t *rbuf,
                   size_t rcap)
{
	ptcp_config d;
	if (!c || !sbuf || !rbuf || scap == 0 || rcap == 0 || scap > (1u << 30) ||
	    rcap > (1u << 30))
		return PTCP_EINVAL;
	if (!cfg) {
		ptcp_config_default(&d);
		cfg = &d;
	}
	if (cfg->mss < 64 || cfg->init_cwnd == 0 || cfg->rto_min == 0 || cfg->rto_initial == 0 ||
	    cfg->rto_max < cfg->rto_min || (cfg->wscale != 0xff && cfg->wscale > 14) ||
	    cfg->rto_initial > UINT32_MAX || cfg->rto_max > UINT32_MAX || cfg->msl > UINT32_MAX ||
	    cfg->fin_wait2_timeout > UINT32_MAX || cfg->delack > UINT32_MAX ||
	    ((cfg->flags & PTCP_CFG_MTU_PROBE) && cfg->mtu_probe_base < 64))
		return PTCP_EINVAL;
	memset(c, 0, sizeof(*c));
	c->mtu_base = cfg->mtu_probe_base;
	c->cfg.cc = cfg->cc ? cfg->cc : &ptcp_cc_cubic;
	c->cfg.flags = cfg->flags;
	opts_copy(c, cfg);
	c->cfg.rto_initial = (uint32_t)cfg->rto_initial;
	c->cfg.rto_min = (uint32_t)cfg->rto_min;
	c->cfg.rto_max = (uint32_t)cfg->rto_max;
	c->cfg.msl = (uint32_t)cfg->msl;
	c->cfg.ts_offset = cfg->ts_offset;
	c->cfg.mss = cfg->mss;
	c->cfg.init_cwnd = cfg->init_cwnd;
	c->cfg.quickack = cfg->quickack;
	c->cfg.wscale = cfg->wscale;
	c->cfg.synack_retries = cfg->synack_retries;
	c->cfg.max_retries = cfg->max_retries;
	c->cfg.abc = cfg->abc;
	if (c->cfg.wscale == 0xff) {
		/* RFC 7323 2.3: the smallest shift that lets the window cover the buffer. */
		uint8_t s = 0;
		while (s < 14 && (rcap >> s) > 65535)
			s++;
		c->cfg.wscale = s;
	}
	c->sbuf = sbuf;
	c->scap = (uint32_t)scap;
	c->rbuf = rbuf;
	c->rcap = (uint32_t)rcap;
	c->rcv_clamp = min_u32(c->rcap, 65535);
	c->state = PTCP_CLOSED;
	c->rto = c->cfg.rto_initial;
	return 0;
}

int ptcp_conn_setopt(ptcp_conn *c, const ptcp_config *cfg)
{
	if (!c || !cfg)
		return PTCP_EINVAL;
	return opts_copy(c, cfg);
}

/* Forget everything about a previous connection, keep config, buffers and stats. */
static void tcb_reset(ptcp_conn *c)
{
	ptcp_conn keep = *c;
	memset(c, 0, sizeof(*c));
	c->cfg = keep.cfg;
	c->sbuf = keep.sbuf;
	c->scap = keep.scap;
	c->rbuf = keep.rbuf;
	c->rcap = keep.rcap;
	c->rcv_clamp = min_u32(c->rcap, 65535); /* PTCP_CFG_RCV_CLAMP starts at 64 KiB */
	c->ooo_pool = keep.ooo_pool;
	c->ooo_cap = keep.ooo_cap;
	c->loss = keep.loss;
	if (c->loss)
		c->loss->high_rxt = 0; /* as the rest of the block */
	c->stats = keep.stats;
	c->mtu_base = keep.mtu_base;
	c->deadline_reported = keep.deadline_reported;
	c->rto = c->cfg.rto_initial;
}

static ptcp_action *push(step_ctx *x, ptcp_action_kind k)
{
	ptcp_action *a;
	if (x->out->n >= x->out->cap)
		return NULL; /* cannot happen: RESERVE keeps room for these */
	a = &x->out->v[x->out->n++];
	act_zero(a, k);
	a->kind = k;
	return a;
}

void conn_set_state(step_ctx *x, ptcp_state to)
{
	ptcp_action *a;
	if (x->c->state == to)
		return;
	a = push(x, PTCP_ACT_STATE);
	if (a) {
		a->state.from = (ptcp_state)x->c->state;
		a->state.to = to;
	}
	x->c->state = (uint8_t)to;
}

void conn_event(step_ctx *x, ptcp_event ev, int err)
{
	ptcp_action *a = push(x, PTCP_ACT_EVENT);
	if (a) {
		a->event.ev = ev;
		a->event.err = err;
	}
}

ptcp_seg *conn_emit(step_ctx *x)
{
	ptcp_action *a;
	if (x->out->n + RESERVE >= x->out->cap) {
		x->c->flags |= F_PENDING;
		return NULL;
	}
	a = push(x, PTCP_ACT_EMIT);
	a->emit.src = x->c->laddr;
	a->emit.dst = x->c->raddr;
	a->emit.seg.sport = x->c->lport;
	a->emit.seg.dport = x->c->rport;
	STAT_ADD(x->c, segs_out, 1);
	return &a->emit.seg;
}

void conn_closed(step_ctx *x, int err)
{
	ptcp_conn *c = x->c;
	if (c->state == PTCP_CLOSED)
		return;
	c->t_rexmit = c->t_close = c->t_delack = c->t_keepalive = c->t_reo = 0;
	c->flags &= ~(uint32_t)(F_ACK_NOW | F_PENDING | F_FORCE1 | F_FASTRETX);
	if (err)
		c->err = (int16_t)err;
	conn_set_state(x, PTCP_CLOSED);
	conn_event(x, PTCP_EV_CLOSED, err);
}

void conn_established(step_ctx *x)
{
	ptcp_conn *c = x->c;
	conn_set_state(x, PTCP_ESTABLISHED);
	conn_event(x, PTCP_EV_CONNECTED, 0);
	c->quickacks = c->cfg.quickack;
	c->rcv_mss = 536; /* RFC 9293 3.7.1 default until larger segments arrive */
	c->last_rcv = x->now;
	/* RFC 9293 3.10.4: a CLOSE queued in SYN-RECEIVED takes effect now. */
	if (c->flags & F_FIN_QUEUED)
		conn_set_state(x, PTCP_FIN_WAIT_1);
}

/* RFC 9293 3.10.1 OPEN (active). */
static int app_connect(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	if (c->state != PTCP_CLOSED)
		return PTCP_ESTATE;
	if (in->connect.rport == 0)
		return PTCP_EINVAL;
	/* RFC 7413 4.1.1: a cookie is 4 to 16 bytes, even (0: a cookie request) */
	if (in->connect.tfo && in->connect.tfo_len &&
	    (in->connect.tfo_len < 4 || in->connect.tfo_len > PTCP_TFO_COOKIE_MAX ||
	     (in->connect.tfo_len & 1)))
		return PTCP_EINVAL;
	tcb_reset(c);
	c->laddr = in->connect.local;
	c->raddr = in->connect.remote;
	c->lport = in->connect.lport;
	c->rport = in->connect.rport;
	c->iss = in->connect.iss;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->sbuf_seq = c->iss + 1;
	c->snd_mss = 536; /* RFC 9293 3.7.1 default until the peer's MSS is known */
	if (in->connect.len) {
		/* data to send: with Fast Open some of it rides in the SYN */
		if (!in->connect.data)
			return PTCP_EINVAL;
		sbuf_write(c, in->connect.data,
		           in->connect.len > c->scap ? c->scap : (uint32_t)in->connect.len);
	}
	conn_set_state(x, PTCP_SYN_SENT);
	return 0;
}

/* RFC 9293 3.10.1 OPEN (passive). */
static int app_listen(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	if (c->state != PTCP_CLOSED)
		return PTCP_ESTATE;
	tcb_reset(c);
	c->laddr = in->listen.local;
	c->lport = in->listen.lport;
	c->iss = in->listen.iss; /* kept in LISTEN for the SYN (and after a return to LISTEN) */
	c->flags |= F_PASSIVE;
	conn_set_state(x, PTCP_LISTEN);
	return 0;
}

int ptcp_conn_establish(ptcp_conn *c, const ptcp_handshake *h, ptcp_time_t now, ptcp_actions *out)
{
	step_ctx x;
	if (!c || !h || !out || !out->v || out->cap < PTCP_ACTIONS_MIN || h->rport == 0)
		return PTCP_EINVAL;
	if (c->state != PTCP_CLOSED)
		return PTCP_ESTATE;
	step_begin(&x, c, NULL, now, out);
	tcb_reset(c);
	c->laddr = h->laddr;
	c->raddr = h->raddr;
	c->lport = h->lport;
	c->rport = h->rport;
	c->flags |= F_PASSIVE;
	c->iss = h->iss;
	c->irs = h->irs;
	/* RFC 9293 3.10.7.4: the ACK of our SYN is what completed the handshake */
	c->snd_una = c->snd_nxt = c->snd_max = h->iss + 1;
	c->sbuf_seq = h->iss + 1;
	c->rcv_nxt = h->irs + 1;
	/* the SYN-ACK announced min(buffer, 65535), unscaled (RFC 7323 2.2) */
	c->rcv_adv = c->rcv_nxt + min_u32(c->rcap, 65535);
	c->last_ack_sent = c->rcv_nxt; /* what the SYN-ACK acknowledged (RFC 7323 4.3) */
	c->peer_mss = h->peer_mss ? h->peer_mss : (uint16_t)(h->raddr.family == 6 ? 1220 : 536);
	if (h->peer_wscale != 0xff) {
		c->flags |= F_PEER_WS;
		c->snd_wscale = h->peer_wscale > 14 ? 14 : h->peer_wscale;
	}
	if (h->sack_ok)
		c->flags |= F_PEER_SACK;
	if (h->ts_ok) {
		c->flags |= F_PEER_TS;
		c->ts_recent = h->ts_recent;
	}
	if (h->ecn_ok)
		c->flags |= F_PEER_ECN;
	input_negotiate(c);
	/* the listener's SYN-ACK went out at most a few RTOs ago */
	c->ts_low = timer_tsval(c, now) - 600000u;
	c->snd_wnd = c->max_sndwnd = h->snd_wnd;
	c->snd_wl1 = h->irs; /* the completing ACK sets the scaled window */
	c->snd_wl2 = h->iss;
	/* The SYN-RECEIVED part was spent in the listener: report that arrow. */
	c->state = PTCP_SYN_RECEIVED;
	conn_established(&x);
	{
		ptcp_time_t dl = timer_next(c);
		if (dl != c->deadline_reported) {
			ptcp_action *a = push(&x, PTCP_ACT_DEADLINE);
			if (a)
				a->deadline = dl;
			c->deadline_reported = dl;
		}
	}
	return 0;
}

static int dead_error(const ptcp_conn *c)
{
	return c->err ? c->err : PTCP_ENOTCONN;
}

/* RFC 9293 3.10.2 SEND. */
static int app_send(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	uint32_t n;
	switch (c->state) {
	case PTCP_CLOSED:
		return dead_error(c);
	case PTCP_LISTEN:
		return PTCP_ENOTCONN;
	case PTCP_SYN_SENT:
	case PTCP_SYN_RECEIVED:
	case PTCP_ESTABLISHED:
	case PTCP_CLOSE_WAIT:
		if (c->flags & F_FIN_QUEUED)
			return PTCP_ECLOSING;
		break;
	default:
		return PTCP_ECLOSING;
	}
	if (in->send.len == 0) {
		if (!(in->send.flags & PTCP_SEND_MORE))
			c->flags &= ~(uint32_t)F_MORE; /* an empty send pushes held data */
		return 0;
	}
	if (!in->send.data)
		return PTCP_EINVAL;
	n = sbuf_write(c, in->send.data,
	               in->send.len > (1u << 30) ? (1u << 30) : (uint32_t)in->send.len);
	if (n == 0)
		return PTCP_EAGAIN;
	if (in->send.flags & PTCP_SEND_MORE)
		c->flags |= F_MORE;
	else
		c->flags &= ~(uint32_t)F_MORE;
	return (int)n;
}

/* RFC 9293 3.10.3 RECEIVE. */
static int app_read(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	uint32_t n;
	if (c->state == PTCP_LISTEN)
		return PTCP_ENOTCONN;
	if (c->rlen == 0) {
		/* RFC 9293 3.10.7.4: after a reset, RECEIVE gets "reset", not a clean
		 * end of stream, even if a FIN had arrived before. */
		if (c->err && c->state == PTCP_CLOSED)
			return c->err;
		if ((c->flags & (F_RFIN | F_SHUT_RD)))
			return 0;
		if (c->state == PTCP_CLOSED)
			return c->err ? c->err : 0;
		return PTCP_EAGAIN;
	}
	n = rbuf_read(c, in->read.buf,
	              in->read.len > (1u << 30) ? (1u << 30) : (uint32_t)in->read.len);
	/* RFC 9293 3.8.6.2.2: announce the window once it opened usefully: when
	 * what the peer may send had fallen to half the buffer or less and it at
	 * least doubles (and by a full segment); no update storm on every read. */
	if (c->state >= PTCP_ESTABLISHED && !(c->flags & F_RFIN)) {
		uint32_t cur = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
		uint32_t now_w = rcv_window(c);
		uint32_t max_w = 65535u << c->rcv_wscale; /* what a window field can say */
		if (now_w > max_w)
			now_w = max_w;
		if (2 * (uint64_t)cur <= c->rcap && now_w >= 2 * cur && now_w - cur >= c->rcv_mss)
			c->flags |= F_ACK_NOW;
	}
	return (int)n;
}

/* Queue our FIN behind the data (RFC 9293 3.10.4). */
static void queue_fin(step_ctx *x)
{
	ptcp_conn *c = x->c;
	if (c->flags & F_FIN_QUEUED)
		return;
	c->flags |= F_FIN_QUEUED;
	c->fin_seq = c->sbuf_seq + c->slen;
	switch (c->state) {
	case PTCP_ESTABLISHED:
		conn_set_state(x, PTCP_FIN_WAIT_1);
		break;
	case PTCP_CLOSE_WAIT:
		conn_set_state(x, PTCP_LAST_ACK);
		break;
	default: /* SYN-RECEIVED: takes effect in conn_established() */
		break;
	}
}

static int app_shutdown(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	if (in->shutdown.how < PTCP_SHUT_RD || in->shutdown.how > PTCP_SHUT_RDWR)
		return PTCP_EINVAL;
	if (c->state == PTCP_CLOSED || c->state == PTCP_LISTEN)
		return PTCP_ENOTCONN;
	if (in->shutdown.how & PTCP_SHUT_RD)
		c->flags |= F_SHUT_RD;
	if (in->shutdown.how & PTCP_SHUT_WR) {
		if (c->state == PTCP_SYN_SENT) {
			conn_closed(x, 0);
			return 0;
		}
		queue_fin(x);
	}
	return 0;
}

/* RFC 9293 3.10.4 CLOSE. */
static int app_close(step_ctx *x)
{
	ptcp_conn *c = x->c;
	switch (c->state) {
	case PTCP_CLOSED:
		return PTCP_ENOTCONN;
	case PTCP_LISTEN:
	case PTCP_SYN_SENT:
		conn_closed(x, 0);
		return 0;
	default:
		break;
	}
	c->flags |= F_APP_CLOSED | F_SHUT_RD;
	/* RFC 1122 4.2.2.13: closing with unread data sends RST, not FIN. */
	if (c->rlen > 0 && c->state != PTCP_TIME_WAIT) {
		if (c->state != PTCP_SYN_RECEIVED)
			output_rst(x, c->snd_max, 1, c->rcv_nxt);
		conn_closed(x, 0);
		return 0;
	}
	queue_fin(x);
	if (c->state == PTCP_FIN_WAIT_2 && c->cfg.fin_wait2_timeout)
		c->t_close = x->now + c->cfg.fin_wait2_timeout; /* FIN-WAIT-2 timeout */
	return 0;
}

/* Options that may change while the connection lives (setsockopt). */
static int app_setopt(step_ctx *x, const ptcp_input *in)
{
	ptcp_conn *c = x->c;
	const ptcp_config *n = in->setopt.cfg;
	if (!n || opts_copy(c, n) != 0)
		return PTCP_EINVAL;
	/* setting NODELAY pushes what is held; with PTCP_CFG_PUSH_LINUX F_MORE
	 * holds nothing on this step and stays to keep PSH off the data */
	if ((n->flags & PTCP_CFG_NODELAY) && !(c->cfg.flags & PTCP_CFG_PUSH_LINUX))
		c->flags &= ~(uint32_t)F_MORE;
	if (c->cfg.keepalive_idle == 0)
		c->t_keepalive = 0;
	return 0; /* output_flush() then sends what NODELAY or uncorking released */
}

/* RFC 9293 3.10.5 ABORT. */
static void app_abort(step_ctx *x)
{
	ptcp_conn *c = x->c;
	switch (c->state) {
	case PTCP_SYN_RECEIVED:
	case PTCP_ESTABLISHED:
	case PTCP_FIN_WAIT_1:
	case PTCP_FIN_WAIT_2:
	case PTCP_CLOSE_WAIT:
		/* RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST>; the Linux profile adds
		 * ACK=RCV.NXT (PTCP_CFG_ABORT_RST_ACK), acceptable either way
		 * (RFC 9293 3.10.7.4: a RST is checked by its sequence number). */
		if (c->cfg.flags & PTCP_CFG_ABORT_RST_ACK)
			output_rst(x, c->snd_max, 1, c->rcv_nxt);
		else
			output_rst(x, c->snd_max, 0, 0);
		break;
	default:
		break;
	}
	c->slen = 0;
	c->rlen = 0;
	/* RFC 9293 3.10.5: in CLOSING, LAST-ACK and TIME-WAIT (and LISTEN) ABORT
	 * just deletes the connection: no error to report. */
	conn_closed(x, (c->state == PTCP_CLOSED || c->state == PTCP_LISTEN ||
	                c->state == PTCP_CLOSING || c->state == PTCP_LAST_ACK ||
	                c->state == PTCP_TIME_WAIT)
	                   ? 0
	                   : PTCP_EABORTED);
}

/* The end of every step: output, the keepalive deadline, and the DEADLINE
 * action when the next deadline changed.  Returns ret. */
static inline int step_end(step_ctx *x, int ret)
{
	ptcp_conn *c = x->c;
	ptcp_time_t dl;
	output_flush(x);
	timer_keepalive_arm(x);
	dl = (c->flags & F_PENDING) ? x->now : timer_next(c);
	if (dl != c->deadline_reported) {
		ptcp_action *a = push(x, PTCP_ACT_DEADLINE);
		if (a)
			a->deadline = dl;
		c->deadline_reported = dl;
	}
	return ret;
}

int conn_step_end(step_ctx *x, int ret)
{
	return step_end(x, ret);
}

int conn_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out)
{
	step_ctx x;
	int ret = 0;
	step_begin(&x, c, in, now, out);
	c->flags &= ~(uint32_t)F_PENDING;
	switch (in->kind) {
	case PTCP_IN_SEGMENT:
		if (!in->segment.seg)
			return PTCP_EINVAL;
		input_segment(&x, in);
		break;
	case PTCP_IN_ICMP:
		input_icmp(&x, in);
		break;
	case PTCP_IN_CONNECT:
		ret = app_connect(&x, in);
		break;
	case PTCP_IN_LISTEN:
		ret = app_listen(&x, in);
		break;
	case PTCP_IN_SEND:
		ret = app_send(&x, in);
		break;
	case PTCP_IN_READ:
		ret = app_read(&x, in);
		break;
	case PTCP_IN_SHUTDOWN:
		ret = app_shutdown(&x, in);
		break;
	case PTCP_IN_CLOSE:
		ret = app_close(&x);
		break;
	case PTCP_IN_ABORT:
		app_abort(&x);
		break;
	case PTCP_IN_TIME:
		timer_fire(&x);
		break;
	case PTCP_IN_SETOPT:
		ret = app_setopt(&x, in);
		break;
	default:
		return PTCP_EINVAL;
	}
	return step_end(&x, ret);
}

int ptcp_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out)
{
	if (!c || !in || !out || !out->v || out->cap < PTCP_ACTIONS_MIN)
		return PTCP_EINVAL;
	if (in->kind == PTCP_IN_SEGMENT && in->segment.seg)
		return fastpath_step(c, in, now, out); /* header prediction, else conn_step() */
	return conn_step(c, in, now, out);
}

ptcp_time_t ptcp_conn_next_deadline(const ptcp_conn *c)
{
	return c->deadline_reported;
}
ptcp_state ptcp_conn_state(const ptcp_conn *c)
{
	return (ptcp_state)c->state;
}
size_t ptcp_conn_send_space(const ptcp_conn *c)
{
	return sbuf_space(c);
}
/* After SHUT_RD what is queued can still be read, then 0 (as Linux). */
size_t ptcp_conn_recv_avail(const ptcp_conn *c)
{
	return c->rlen;
}
int ptcp_conn_eof(const ptcp_conn *c)
{
	return (c->flags & F_RFIN) && c->rlen == 0 && !c->err;
}
int ptcp_conn_error(const ptcp_conn *c)
{
	return c->err;
}
void ptcp_conn_stats(const ptcp_conn *c, ptcp_stats *st)
{
	if (c->stats)
		*st = *c->stats;
	else
		memset(st, 0, sizeof(*st));
}

void ptcp_conn_set_stats(ptcp_conn *c, ptcp_stats *st)
{
	c->stats = st;
}

void ptcp_conn_info(const ptcp_conn *c, ptcp_info *i)
{
	memset(i, 0, sizeof(*i));
	i->state = (ptcp_state)c->state;
	i->iss = c->iss;
	i->irs = c->irs;
	i->snd_una = c->snd_una;
	i->snd_nxt = c->snd_nxt;
	i->snd_max = c->snd_max;
	i->snd_wnd = c->snd_wnd;
	i->rcv_nxt = c->rcv_nxt;
	i->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	i->cwnd = c->cwnd;
	i->ssthresh = c->ssthresh;
	i->mss = c->snd_mss;
	i->snd_wscale = c->snd_wscale;
	i->rcv_wscale = c->rcv_wscale;
	i->ts_on = (c->flags & F_TS) != 0;
	i->sack_on = (c->flags & F_SACK) != 0;
	i->srtt = c->srtt;
	i->rttvar = c->rttvar;
	i->rto = c->rto;
	i->send_queued = c->slen;
	i->recv_ready = c->rlen;
}
