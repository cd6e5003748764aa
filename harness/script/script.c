/*
 * ptcp event scripts: the in-memory scenario, comparison, validation, names,
 * the payload pattern and segment -> packet building.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

/* ---- Configuration ------------------------------------------------------ */
const struct ptcp_script_cfg_field ptcp_script__cfg[CFG_COUNT] = {
    [CFG_MSS] = {"mss", CFGT_UINT, 1, 65535},
    [CFG_WSCALE] = {"wscale", CFGT_WSCALE, 0, PTCP_SCRIPT_WSCALE_AUTO},
    [CFG_SYN_RETRIES] = {"syn_retries", CFGT_UINT, 0, 255},
    [CFG_SYNACK_RETRIES] = {"synack_retries", CFGT_UINT, 0, 255},
    [CFG_MAX_RETRIES] = {"max_retries", CFGT_UINT, 0, 255},
    [CFG_INIT_CWND] = {"init_cwnd", CFGT_UINT, 1, 65535},
    [CFG_RTO_INITIAL] = {"rto_initial", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_RTO_MIN] = {"rto_min", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_RTO_MAX] = {"rto_max", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_MSL] = {"msl", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_FIN_WAIT2] = {"fin_wait2", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_USER_TIMEOUT] = {"user_timeout", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_TS_OFFSET] = {"ts_offset", CFGT_UINT, 0, UINT32_MAX},
    [CFG_SNDBUF] = {"sndbuf", CFGT_UINT, 1, PTCP_SCRIPT_BUF_MAX},
    [CFG_RCVBUF] = {"rcvbuf", CFGT_UINT, 1, PTCP_SCRIPT_BUF_MAX},
    [CFG_START] = {"start", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_DELACK] = {"delack", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_QUICKACK] = {"quickack", CFGT_UINT, 0, 65535},
    [CFG_KEEPALIVE_IDLE] = {"keepalive_idle", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_KEEPALIVE_INTVL] = {"keepalive_intvl", CFGT_TIME, 0, PTCP_SCRIPT_TIME_MAX},
    [CFG_KEEPALIVE_CNT] = {"keepalive_cnt", CFGT_UINT, 0, 255},
    [CFG_CC] = {"cc", CFGT_CC, 0, PTCP_SCRIPT_CC_COUNT - 1},
    [CFG_CHALLENGE_ACK_LIMIT] = {"challenge_ack_limit", CFGT_UINT, 0, UINT32_MAX},
};

const char *const ptcp_script__cc_name[PTCP_SCRIPT_CC_COUNT] = {"cubic", "reno"};

/* clang-format off */
const char *const ptcp_script__flag_name[PTCP_SCRIPT_NFLAGS] = {
    "ts", "ws", "sack", "nodelay", "ss_idle", "ecn", "limited_tx", "tlp", "cork", "rack",
    "rst_keep_data", "prr", "prr_linux", "delivered", "no_fastpath", "ack_unsent_silent",
    "closed_data_rst_reply", "zwp_no_data", "abort_rst_ack", "icmp_synrecv_hard", "rto_linux",
    "push_linux", "rcv_clamp", "mtu_probe", "nagle_minshall"};
const uint32_t ptcp_script__flag_bit[PTCP_SCRIPT_NFLAGS] = {
    PTCP_CFG_TIMESTAMPS, PTCP_CFG_WSCALE, PTCP_CFG_SACK, PTCP_CFG_NODELAY, PTCP_CFG_SS_IDLE,
    PTCP_CFG_ECN, PTCP_CFG_LIMITED_TX, PTCP_CFG_TLP, PTCP_CFG_CORK, PTCP_CFG_RACK,
    PTCP_CFG_RST_KEEP_DATA, PTCP_CFG_PRR, PTCP_CFG_PRR_LINUX, PTCP_CFG_DELIVERED,
    PTCP_CFG_NO_FASTPATH, PTCP_CFG_ACK_UNSENT_SILENT, PTCP_CFG_CLOSED_DATA_RST_REPLY,
    PTCP_CFG_ZWP_NO_DATA, PTCP_CFG_ABORT_RST_ACK, PTCP_CFG_ICMP_SYNRECV_HARD, PTCP_CFG_RTO_LINUX,
    PTCP_CFG_PUSH_LINUX, PTCP_CFG_RCV_CLAMP, PTCP_CFG_MTU_PROBE, PTCP_CFG_NAGLE_MINSHALL};
/* clang-format on */

void ptcp_script_config_default(ptcp_script_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->flags = PTCP_SCRIPT_CFG_FLAGS_DEFAULT;
	cfg->mss = 1460;
	cfg->wscale = PTCP_SCRIPT_WSCALE_AUTO;
	cfg->syn_retries = 6;
	cfg->synack_retries = 5;
	cfg->max_retries = 15;
	cfg->init_cwnd = 10;
	cfg->rto_initial = PTCP_SEC(1);
	cfg->rto_min = PTCP_MS(200);
	cfg->rto_max = PTCP_SEC(120);
	cfg->msl = PTCP_SEC(30);
	cfg->fin_wait2_timeout = PTCP_SEC(60);
	cfg->user_timeout = 0;
	cfg->ts_offset = 0;
	cfg->sndbuf = 65536;
	cfg->rcvbuf = 65536;
	cfg->start = 0;
	cfg->delack = PTCP_MS(40);
	cfg->quickack = 16;
	cfg->keepalive_idle = 0;
	cfg->keepalive_intvl = PTCP_SEC(75);
	cfg->keepalive_cnt = 9;
	cfg->challenge_ack_limit = 1000;
}

uint64_t ptcp_script__cfg_get(const ptcp_script_config *c, unsigned id)
{
	switch (id) {
	case CFG_MSS:
		return c->mss;
	case CFG_WSCALE:
		return c->wscale;
	case CFG_SYN_RETRIES:
		return c->syn_retries;
	case CFG_SYNACK_RETRIES:
		return c->synack_retries;
	case CFG_MAX_RETRIES:
		return c->max_retries;
	case CFG_INIT_CWND:
		return c->init_cwnd;
	case CFG_RTO_INITIAL:
		return c->rto_initial;
	case CFG_RTO_MIN:
		return c->rto_min;
	case CFG_RTO_MAX:
		return c->rto_max;
	case CFG_MSL:
		return c->msl;
	case CFG_FIN_WAIT2:
		return c->fin_wait2_timeout;
	case CFG_USER_TIMEOUT:
		return c->user_timeout;
	case CFG_TS_OFFSET:
		return c->ts_offset;
	case CFG_SNDBUF:
		return c->sndbuf;
	case CFG_RCVBUF:
		return c->rcvbuf;
	case CFG_START:
		return c->start;
	case CFG_DELACK:
		return c->delack;
	case CFG_QUICKACK:
		return c->quickack;
	case CFG_KEEPALIVE_IDLE:
		return c->keepalive_idle;
	case CFG_KEEPALIVE_INTVL:
		return c->keepalive_intvl;
	case CFG_KEEPALIVE_CNT:
		return c->keepalive_cnt;
	case CFG_CHALLENGE_ACK_LIMIT:
		return c->challenge_ack_limit;
	case CFG_CC:
		return c->cc;
	default:
		return 0;
	}
}

void ptcp_script__cfg_set(ptcp_script_config *c, unsigned id, uint64_t v)
{
	if (id >= CFG_COUNT)
		return;
	const struct ptcp_script_cfg_field *f = &ptcp_script__cfg[id];
	if (f->type == CFGT_WSCALE) {
		if (v > 14)
			v = PTCP_SCRIPT_WSCALE_AUTO;
	} else if (v < f->min) {
		v = f->min;
	} else if (v > f->max) {
		v = f->max;
	}
	switch (id) {
	case CFG_MSS:
		c->mss = (uint16_t)v;
		break;
	case CFG_WSCALE:
		c->wscale = (uint8_t)v;
		break;
	case CFG_SYN_RETRIES:
		c->syn_retries = (uint8_t)v;
		break;
	case CFG_SYNACK_RETRIES:
		c->synack_retries = (uint8_t)v;
		break;
	case CFG_MAX_RETRIES:
		c->max_retries = (uint8_t)v;
		break;
	case CFG_INIT_CWND:
		c->init_cwnd = (uint16_t)v;
		break;
	case CFG_RTO_INITIAL:
		c->rto_initial = v;
		break;
	case CFG_RTO_MIN:
		c->rto_min = v;
		break;
	case CFG_RTO_MAX:
		c->rto_max = v;
		break;
	case CFG_MSL:
		c->msl = v;
		break;
	case CFG_FIN_WAIT2:
		c->fin_wait2_timeout = v;
		break;
	case CFG_USER_TIMEOUT:
		c->user_timeout = v;
		break;
	case CFG_TS_OFFSET:
		c->ts_offset = (uint32_t)v;
		break;
	case CFG_SNDBUF:
		c->sndbuf = (uint32_t)v;
		break;
	case CFG_RCVBUF:
		c->rcvbuf = (uint32_t)v;
		break;
	case CFG_START:
		c->start = v;
		break;
	case CFG_DELACK:
		c->delack = v;
		break;
	case CFG_QUICKACK:
		c->quickack = (uint16_t)v;
		break;
	case CFG_KEEPALIVE_IDLE:
		c->keepalive_idle = v;
		break;
	case CFG_KEEPALIVE_INTVL:
		c->keepalive_intvl = v;
		break;
	case CFG_KEEPALIVE_CNT:
		c->keepalive_cnt = (uint8_t)v;
		break;
	case CFG_CHALLENGE_ACK_LIMIT:
		c->challenge_ack_limit = (uint32_t)v;
		break;
	case CFG_CC:
		c->cc = (uint8_t)v;
		break;
	default:
		break;
	}
}

void ptcp_script_apply_config(const ptcp_script *s, ptcp_config *cfg)
{
	const ptcp_script_config *c = &s->cfg;
	ptcp_config_default(cfg); /* fields a scenario does not carry keep their defaults */
	cfg->flags = (cfg->flags & ~(uint32_t)PTCP_SCRIPT_CFG_FLAGS_ALL) | c->flags;
	cfg->mss = c->mss;
	cfg->wscale = c->wscale;
	cfg->syn_retries = c->syn_retries;
	cfg->synack_retries = c->synack_retries;
	cfg->max_retries = c->max_retries;
	cfg->init_cwnd = c->init_cwnd;
	cfg->rto_initial = c->rto_initial;
	cfg->rto_min = c->rto_min;
	cfg->rto_max = c->rto_max;
	cfg->msl = c->msl;
	cfg->fin_wait2_timeout = c->fin_wait2_timeout;
	cfg->user_timeout = c->user_timeout;
	cfg->ts_offset = c->ts_offset;
	cfg->delack = c->delack;
	cfg->quickack = c->quickack;
	cfg->keepalive_idle = c->keepalive_idle;
	cfg->keepalive_intvl = c->keepalive_intvl;
	cfg->keepalive_cnt = c->keepalive_cnt;
	cfg->challenge_ack_limit = c->challenge_ack_limit;
	cfg->cc = c->cc == PTCP_SCRIPT_CC_RENO ? &ptcp_cc_reno : NULL;
}

/* ---- Scenario ----------------------------------------------------------- */
void ptcp_script_default_addr(ptcp_script *s, ptcp_script_role role, int family)
{
	memset(&s->local_addr, 0, sizeof s->local_addr);
	memset(&s->peer_addr, 0, sizeof s->peer_addr);
	if (family == 6) {
		/* fd00::1 and fd00::2 */
		s->local_addr.family = s->peer_addr.family = 6;
		s->local_addr.bytes[0] = s->peer_addr.bytes[0] = 0xfd;
		s->local_addr.bytes[15] = 1;
		s->peer_addr.bytes[15] = 2;
	} else {
		ptcp_addr *a = &s->local_addr, *b = &s->peer_addr;
		a->family = b->family = 4;
		a->bytes[0] = b->bytes[0] = 10;
		a->bytes[3] = 1;
		b->bytes[3] = 2;
	}
	if (role == PTCP_SCRIPT_SERVER) {
		s->local_port = 80;
		s->peer_port = 40000;
	} else {
		s->local_port = 40000;
		s->peer_port = 80;
	}
}

void ptcp_script_init(ptcp_script *s)
{
	memset(s, 0, sizeof *s);
	s->role = PTCP_SCRIPT_CLIENT;
	ptcp_script_config_default(&s->cfg);
	ptcp_script_default_addr(s, PTCP_SCRIPT_CLIENT, 4);
}

void ptcp_script_event_clear(ptcp_script_event *e)
{
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT:
	case PTCP_SCRIPT_EXPECT_SEG:
		free(e->seg.payload);
		e->seg.payload = NULL;
		break;
	case PTCP_SCRIPT_RAW:
		free(e->raw.data);
		e->raw.data = NULL;
		break;
	case PTCP_SCRIPT_SEND:
		free(e->send.data);
		e->send.data = NULL;
		break;
	default:
		break;
	}
}

void ptcp_script_free(ptcp_script *s)
{
	for (size_t i = 0; i < s->n; i++)
		ptcp_script_event_clear(&s->ev[i]);
	free(s->ev);
	s->ev = NULL;
	s->n = s->cap = 0;
}

ptcp_script_event *ptcp_script_push(ptcp_script *s, ptcp_script_kind kind)
{
	if (s->n >= PTCP_SCRIPT_EVENTS_MAX)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		if (cap > PTCP_SCRIPT_EVENTS_MAX)
			cap = PTCP_SCRIPT_EVENTS_MAX;
		ptcp_script_event *v = realloc(s->ev, cap * sizeof *v);
		if (!v)
			return NULL;
		s->ev = v;
		s->cap = cap;
	}
	ptcp_script_event *e = &s->ev[s->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	return e;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	if (!p)
		return NULL;
	uint8_t *q = malloc(n ? n : 1);
	if (q)
		memcpy(q, p, n);
	return q;
}

int ptcp_script_copy(ptcp_script *dst, const ptcp_script *src)
{
	*dst = *src;
	dst->ev = NULL;
	dst->n = dst->cap = 0;
	if (src->n) {
		dst->ev = malloc(src->n * sizeof *dst->ev);
		if (!dst->ev)
			return PTCP_SCRIPT_ENOMEM;
		dst->cap = src->n;
	}
	for (size_t i = 0; i < src->n; i++) {
		ptcp_script_event *e = &dst->ev[i];
		*e = src->ev[i];
		dst->n = i + 1;
		int fail = 0;
		switch (e->kind) {
		case PTCP_SCRIPT_SEGMENT:
		case PTCP_SCRIPT_EXPECT_SEG:
			if (e->seg.payload) {
				e->seg.payload = dup_bytes(e->seg.payload, e->seg.len);
				fail = !e->seg.payload;
			}
			break;
		case PTCP_SCRIPT_RAW:
			if (e->raw.data) {
				e->raw.data = dup_bytes(e->raw.data, e->raw.len);
				fail = !e->raw.data;
			}
			break;
		case PTCP_SCRIPT_SEND:
			if (e->send.data) {
				e->send.data = dup_bytes(e->send.data, e->send.len);
				fail = !e->send.data;
			}
			break;
		default:
			break;
		}
		if (fail) {
			dst->n = i; /* e holds no owned buffer */
			ptcp_script_free(dst);
			return PTCP_SCRIPT_ENOMEM;
		}
	}
	return 0;
}

int ptcp_script_is_expect(ptcp_script_kind k)
{
	return k >= PTCP_SCRIPT_EXPECT_SEG && k < PTCP_SCRIPT_KIND_COUNT;
}

const char *ptcp_script_kind_name(ptcp_script_kind k)
{
	static const char *const names[PTCP_SCRIPT_KIND_COUNT] = {"segment",
	                                                          "raw",
	                                                          "icmp",
	                                                          "connect",
	                                                          "listen",
	                                                          "send",
	                                                          "read",
	                                                          "shutdown",
	                                                          "close",
	                                                          "abort",
	                                                          "time",
	                                                          "setopt",
	                                                          "expect-seg",
	                                                          "expect-state",
	                                                          "expect-event",
	                                                          "expect-readable",
	                                                          "expect-writable",
	                                                          "expect-deadline",
	                                                          "expect-ret"};
	return (unsigned)k < PTCP_SCRIPT_KIND_COUNT ? names[k] : "?";
}

/* ---- Names -------------------------------------------------------------- */
const char *ptcp_script_state_name(unsigned st)
{
	static const char *const names[PTCP_STATE_COUNT] = {
	    "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT"};
	return st < PTCP_STATE_COUNT ? names[st] : NULL;
}

const char *ptcp_script_event_name(unsigned ev)
{
	static const char *const names[PTCP_EV_COUNT] = {
	    NULL,    "connected",  "peer-closed", "reset",     "timedout",
	    "error", "soft-error", "closed",      "all-acked", "time-wait-reuse"};
	if (ev == 0 || ev >= PTCP_EV_COUNT)
		return NULL;
	/* an event added to the core before this table: the core's own name */
	return names[ev] ? names[ev] : ptcp_event_name((ptcp_event)ev);
}

const char *ptcp_script_err_name(int err)
{
	static const char *const names[PTCP_SCRIPT_NERR] = {
	    NULL,           "EINVAL",    "ENOBUFS",  "ESHORT",   "EBADOFF",  "EOPTLEN",
	    "EOPTSIZE",     "EOPTDUP",   "ECSUM",    "EIPVER",   "EIPHDR",   "EFRAG",
	    "ENOTTCP",      "ESTATE",    "ENOTCONN", "EAGAIN",   "ECLOSING", "ECONNRESET",
	    "ECONNREFUSED", "ETIMEDOUT", "EUNREACH", "EABORTED", "ENOSPC"};
	if (err >= 0 || err < PTCP_ERR_MIN)
		return NULL;
	return names[-err];
}

const char *ptcp_script_icmp_name(unsigned type)
{
	static const char *const names[PTCP_ICMP_KIND_COUNT] = {
	    NULL,           "net-unreach",      "host-unreach", "proto-unreach",
	    "port-unreach", "admin-prohibited", "frag-needed",  "time-exceeded"};
	return type < PTCP_ICMP_KIND_COUNT ? names[type] : NULL;
}

/* ---- Pattern ------------------------------------------------------------ */
void ptcp_script_pattern_fill(uint8_t *buf, uint32_t offset, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = ptcp_script_pattern(offset + (uint32_t)i);
}

uint32_t ptcp_script_seg_offset(const ptcp_script_seg *g)
{
	return g->seq - 1u + ((g->flags & PTCP_SYN) ? 1u : 0u);
}

/* ---- Compare and validate ------------------------------------------------ */
struct why {
	char *buf;
	size_t cap;
};

static int say(struct why *w, const char *fmt, ...)
{
	if (w->buf && w->cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->buf, w->cap, fmt, ap);
		va_end(ap);
	}
	return 1;
}

static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (!a || !b)
		return a == b;
	return n == 0 || memcmp(a, b, n) == 0;
}

static int cmp_seg(const ptcp_script_seg *a, const ptcp_script_seg *b, size_t i, struct why *w)
{
#define F(x)                                                                                       \
	if (a->x != b->x)                                                                          \
		return say(w, "event %zu: seg." #x " %llu != %llu", i, (unsigned long long)a->x,   \
		           (unsigned long long)b->x);
	F(flags)
	F(reserved)
	F(ecn)
	F(wild)
	F(has_ports)
	F(opt_len)
	F(win)
	F(urp)
	F(sport)
	F(dport)
	F(seq)
	F(ack)
	F(len)
#undef F
	if (memcmp(a->opt, b->opt, a->opt_len) != 0)
		return say(w, "event %zu: option bytes differ", i);
	if (!bytes_eq(a->payload, b->payload, a->len))
		return say(w, "event %zu: payload differs", i);
	return 0;
}

static int cmp_event(const ptcp_script_event *a, const ptcp_script_event *b, size_t i,
                     struct why *w)
{
	if (a->kind != b->kind)
		return say(w, "event %zu: kind %s != %s", i, ptcp_script_kind_name(a->kind),
		           ptcp_script_kind_name(b->kind));
	if (a->delta != b->delta)
		return say(w, "event %zu: delta %llu != %llu", i, (unsigned long long)a->delta,
		           (unsigned long long)b->delta);
#define F(x)                                                                                       \
	if (a->x != b->x)                                                                          \
		return say(w, "event %zu: " #x " %lld != %lld", i, (long long)a->x,                \
		           (long long)b->x);
	switch (a->kind) {
	case PTCP_SCRIPT_SEGMENT:
	case PTCP_SCRIPT_EXPECT_SEG:
		return cmp_seg(&a->seg, &b->seg, i, w);
	case PTCP_SCRIPT_RAW:
		F(raw.len)
		if (!bytes_eq(a->raw.data, b->raw.data, a->raw.len))
			return say(w, "event %zu: raw bytes differ", i);
		return 0;
	case PTCP_SCRIPT_ICMP:
		F(icmp.type) F(icmp.mtu) F(icmp.seq) return 0;
	case PTCP_SCRIPT_LISTEN:
		F(listen.any) return 0;
	case PTCP_SCRIPT_CONNECT:
		F(connect.tfo) F(connect.tfo_len) F(connect.tfo_mss) F(connect.len);
		if (memcmp(a->connect.tfo_cookie, b->connect.tfo_cookie, PTCP_TFO_COOKIE_MAX) != 0)
			return say(w, "event %zu: Fast Open cookies differ", i);
		return 0;
	case PTCP_SCRIPT_SETOPT:
		F(setopt.flags) F(setopt.keepalive_cnt) F(setopt.challenge_ack_limit);
		F(setopt.keepalive_idle) F(setopt.keepalive_intvl) F(setopt.user_timeout);
		F(setopt.delack) return 0;
	case PTCP_SCRIPT_SEND:
		F(send.len)
		F(send.more)
		if (!bytes_eq(a->send.data, b->send.data, a->send.len))
			return say(w, "event %zu: send bytes differ", i);
		return 0;
	case PTCP_SCRIPT_READ:
		F(read.len) F(read.discard) return 0;
	case PTCP_SCRIPT_SHUTDOWN:
		F(shutdown.how) return 0;
	case PTCP_SCRIPT_EXPECT_STATE:
		F(state.from) F(state.to) return 0;
	case PTCP_SCRIPT_EXPECT_EVENT:
		F(event.ev) F(event.err) return 0;
	case PTCP_SCRIPT_EXPECT_READABLE:
		F(readable) return 0;
	case PTCP_SCRIPT_EXPECT_WRITABLE:
		F(writable) return 0;
	case PTCP_SCRIPT_EXPECT_DEADLINE:
		if (a->deadline != b->deadline)
			return say(w, "event %zu: deadline %llu != %llu", i,
			           (unsigned long long)a->deadline,
			           (unsigned long long)b->deadline);
		return 0;
	case PTCP_SCRIPT_EXPECT_RET:
		F(ret) return 0;
	default:
		return 0;
	}
#undef F
}

static int addr_eq(const ptcp_addr *a, const ptcp_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

int ptcp_script_compare(const ptcp_script *a, const ptcp_script *b, char *why, size_t cap)
{
	struct why w = {why, cap};
	if (why && cap)
		why[0] = 0;
	if (a->role != b->role)
		return say(&w, "role %d != %d", (int)a->role, (int)b->role);
	if (a->cfg.flags != b->cfg.flags)
		return say(&w, "config flags %#x != %#x", a->cfg.flags, b->cfg.flags);
	for (unsigned id = 0; id < CFG_COUNT; id++) {
		uint64_t x = ptcp_script__cfg_get(&a->cfg, id),
		         y = ptcp_script__cfg_get(&b->cfg, id);
		if (x != y)
			return say(&w, "config %s %llu != %llu", ptcp_script__cfg[id].name,
			           (unsigned long long)x, (unsigned long long)y);
	}
	if (a->isn_local != b->isn_local || a->isn_peer != b->isn_peer)
		return say(&w, "isn %u/%u != %u/%u", a->isn_local, a->isn_peer, b->isn_local,
		           b->isn_peer);
	if (!addr_eq(&a->local_addr, &b->local_addr) || a->local_port != b->local_port)
		return say(&w, "local address differs");
	if (!addr_eq(&a->peer_addr, &b->peer_addr) || a->peer_port != b->peer_port)
		return say(&w, "peer address differs");
	size_t n = a->n < b->n ? a->n : b->n;
	for (size_t i = 0; i < n; i++)
		if (cmp_event(&a->ev[i], &b->ev[i], i, &w))
			return 1;
	if (a->n != b->n)
		return say(&w, "event count %zu != %zu", a->n, b->n);
	return 0;
}

static int valid_seg(const ptcp_script_seg *g, int expect, size_t i, struct why *w)
{
	if (g->reserved > 15 || g->ecn > 3)
		return say(w, "event %zu: reserved/ecn out of range", i);
	if (g->opt_len > PTCP_TCP_OPT_MAX || g->len > PTCP_SCRIPT_SEG_PAYLOAD_MAX)
		return say(w, "event %zu: options or payload too long", i);
	if (!g->has_ports && (g->sport || g->dport))
		return say(w, "event %zu: ports without has_ports", i);
	if (g->has_ports > 1)
		return say(w, "event %zu: has_ports not 0/1", i);
	if (!expect && g->wild)
		return say(w, "event %zu: wildcard in an injected segment", i);
	if (g->wild & ~PTCP_SCRIPT_WILD_ALL)
		return say(w, "event %zu: unknown wildcard bits", i);
	if (((g->wild & PTCP_SCRIPT_WILD_SEQ) && g->seq) ||
	    ((g->wild & PTCP_SCRIPT_WILD_ACK) && g->ack) ||
	    ((g->wild & PTCP_SCRIPT_WILD_WIN) && g->win) ||
	    ((g->wild & PTCP_SCRIPT_WILD_OPTS) && g->opt_len) ||
	    ((g->wild & PTCP_SCRIPT_WILD_LEN) && (g->len || g->payload)))
		return say(w, "event %zu: wildcard field not zero", i);
	return 0;
}

int ptcp_script_validate(const ptcp_script *s, char *why, size_t cap)
{
	struct why w = {why, cap};
	if (why && cap)
		why[0] = 0;
	if (s->role != PTCP_SCRIPT_CLIENT && s->role != PTCP_SCRIPT_SERVER)
		return say(&w, "bad role");
	if (s->cfg.flags & ~PTCP_SCRIPT_CFG_FLAGS_ALL)
		return say(&w, "unknown config flags");
	for (unsigned id = 0; id < CFG_COUNT; id++) {
		const struct ptcp_script_cfg_field *f = &ptcp_script__cfg[id];
		uint64_t v = ptcp_script__cfg_get(&s->cfg, id);
		int ok = f->type == CFGT_WSCALE ? (v <= 14 || v == PTCP_SCRIPT_WSCALE_AUTO)
		                                : (v >= f->min && v <= f->max);
		if (!ok)
			return say(&w, "config %s out of range", f->name);
	}
	const ptcp_addr *la = &s->local_addr, *pa = &s->peer_addr;
	if ((la->family != 4 && la->family != 6) || la->family != pa->family)
		return say(&w, "bad address family");
	if (la->family == 4)
		for (int k = 4; k < 16; k++)
			if (la->bytes[k] || pa->bytes[k])
				return say(&w, "IPv4 address with trailing bytes");
	if (s->n > PTCP_SCRIPT_EVENTS_MAX || (s->n && !s->ev))
		return say(&w, "bad event array");
	for (size_t i = 0; i < s->n; i++) {
		const ptcp_script_event *e = &s->ev[i];
		if (e->delta > PTCP_SCRIPT_TIME_MAX)
			return say(&w, "event %zu: delta out of range", i);
		switch (e->kind) {
		case PTCP_SCRIPT_SEGMENT:
		case PTCP_SCRIPT_EXPECT_SEG:
			if (valid_seg(&e->seg, e->kind == PTCP_SCRIPT_EXPECT_SEG, i, &w))
				return 1;
			break;
		case PTCP_SCRIPT_RAW:
			if (e->raw.len > PTCP_SCRIPT_RAW_MAX || (!e->raw.data) != (e->raw.len == 0))
				return say(&w, "event %zu: bad raw", i);
			break;
		case PTCP_SCRIPT_ICMP:
			if (e->icmp.type < 1 || e->icmp.type >= PTCP_ICMP_KIND_COUNT)
				return say(&w, "event %zu: bad icmp type", i);
			break;
		case PTCP_SCRIPT_LISTEN:
			if (e->listen.any > 1)
				return say(&w, "event %zu: bad listen", i);
			break;
		case PTCP_SCRIPT_SEND:
			if (e->send.len > PTCP_SCRIPT_IO_MAX || e->send.more > 1)
				return say(&w, "event %zu: bad send", i);
			break;
		case PTCP_SCRIPT_READ:
			if (e->read.len > PTCP_SCRIPT_IO_MAX || e->read.discard > 1)
				return say(&w, "event %zu: bad read", i);
			break;
		case PTCP_SCRIPT_SHUTDOWN:
			if (e->shutdown.how < 1 || e->shutdown.how > 3)
				return say(&w, "event %zu: bad shutdown", i);
			break;
		case PTCP_SCRIPT_EXPECT_STATE:
			if (e->state.to >= PTCP_STATE_COUNT ||
			    (e->state.from >= PTCP_STATE_COUNT &&
			     e->state.from != PTCP_SCRIPT_STATE_ANY))
				return say(&w, "event %zu: bad state", i);
			break;
		case PTCP_SCRIPT_EXPECT_EVENT:
			if (e->event.ev < 1 || e->event.ev >= PTCP_EV_COUNT || e->event.err > 0 ||
			    e->event.err < PTCP_ERR_MIN)
				return say(&w, "event %zu: bad event", i);
			break;
		case PTCP_SCRIPT_EXPECT_DEADLINE:
			if (e->deadline > PTCP_SCRIPT_TIME_MAX &&
			    e->deadline != PTCP_SCRIPT_DEADLINE_NEVER)
				return say(&w, "event %zu: bad deadline", i);
			break;
		case PTCP_SCRIPT_CONNECT: {
			int zero = 1;
			for (size_t k = e->connect.tfo_len; k < PTCP_TFO_COOKIE_MAX; k++)
				zero &= e->connect.tfo_cookie[k] == 0;
			if (e->connect.tfo > 1 || e->connect.tfo_len > PTCP_TFO_COOKIE_MAX ||
			    !zero || e->connect.len > PTCP_SCRIPT_IO_MAX ||
			    (!e->connect.tfo && (e->connect.tfo_len || e->connect.tfo_mss)))
				return say(&w, "event %zu: bad connect", i);
			break;
		}
		case PTCP_SCRIPT_SETOPT:
			if ((e->setopt.flags & ~(uint32_t)PTCP_SCRIPT_SETOPT_FLAGS) ||
			    e->setopt.keepalive_idle > PTCP_SCRIPT_TIME_MAX ||
			    e->setopt.keepalive_intvl > PTCP_SCRIPT_TIME_MAX ||
			    e->setopt.user_timeout > PTCP_SCRIPT_TIME_MAX ||
			    e->setopt.delack > PTCP_SCRIPT_TIME_MAX)
				return say(&w, "event %zu: bad setopt", i);
			break;
		case PTCP_SCRIPT_CLOSE:
		case PTCP_SCRIPT_ABORT:
		case PTCP_SCRIPT_TIME:
		case PTCP_SCRIPT_EXPECT_READABLE:
		case PTCP_SCRIPT_EXPECT_WRITABLE:
		case PTCP_SCRIPT_EXPECT_RET:
			break;
		default:
			return say(&w, "event %zu: bad kind", i);
		}
	}
	return 0;
}

/* ---- Segments ----------------------------------------------------------- */
int ptcp_script_seg_match(const ptcp_script_seg *pat, const ptcp_script_seg *got)
{
	if (pat->flags != got->flags || pat->reserved != got->reserved || pat->ecn != got->ecn ||
	    pat->urp != got->urp)
		return 0;
	if (pat->has_ports && (pat->sport != got->sport || pat->dport != got->dport))
		return 0;
	if (!(pat->wild & PTCP_SCRIPT_WILD_SEQ) && pat->seq != got->seq)
		return 0;
	if (!(pat->wild & PTCP_SCRIPT_WILD_ACK) && pat->ack != got->ack)
		return 0;
	if (!(pat->wild & PTCP_SCRIPT_WILD_WIN) && pat->win != got->win)
		return 0;
	if (!(pat->wild & PTCP_SCRIPT_WILD_OPTS)) {
		/* as on the wire: zero-padded to a multiple of 4 */
		uint8_t a[PTCP_TCP_OPT_MAX + 3] = {0}, b[PTCP_TCP_OPT_MAX + 3] = {0};
		size_t al = ((size_t)pat->opt_len + 3) & ~(size_t)3;
		size_t bl = ((size_t)got->opt_len + 3) & ~(size_t)3;
		memcpy(a, pat->opt, pat->opt_len);
		memcpy(b, got->opt, got->opt_len);
		if (al != bl || memcmp(a, b, al) != 0)
			return 0;
	}
	if (!(pat->wild & PTCP_SCRIPT_WILD_LEN)) {
		if (pat->len != got->len)
			return 0;
		if (pat->payload) {
			if (got->payload) {
				if (pat->len && memcmp(pat->payload, got->payload, pat->len) != 0)
					return 0;
			} else {
				uint32_t off = ptcp_script_seg_offset(got);
				for (uint32_t k = 0; k < pat->len; k++)
					if (pat->payload[k] != ptcp_script_pattern(off + k))
						return 0;
			}
		}
	}
	return 1;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Add base to every SACK block of well-formed kind-5 options. */
static void sack_shift(uint8_t *o, size_t n, uint32_t base)
{
	size_t i = 0;
	while (i < n) {
		uint8_t k = o[i];
		if (k <= PTCP_OPTKIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return;
		size_t l = o[i + 1];
		if (k == PTCP_OPTKIND_SACK && (l - 2) % 8 == 0)
			for (size_t j = i + 2; j < i + l; j += 4)
				put32(o + j, get32(o + j) + base);
		i += l;
	}
}

int ptcp_script_seg_to_packet(const ptcp_script *s, const ptcp_script_seg *g, ptcp_script_dir dir,
                              uint8_t *buf, size_t cap)
{
	int v6 = s->local_addr.family == 6;
	size_t iphl = v6 ? 40 : 20;
	size_t optl = ((size_t)g->opt_len + 3) & ~(size_t)3;
	size_t thl = 20 + optl;
	size_t tot = iphl + thl + g->len;
	if (tot > cap || tot > 65535 + (v6 ? 40u : 0u))
		return PTCP_ENOBUFS;
	const ptcp_addr *src = dir == PTCP_SCRIPT_IN ? &s->peer_addr : &s->local_addr;
	const ptcp_addr *dst = dir == PTCP_SCRIPT_IN ? &s->local_addr : &s->peer_addr;
	uint16_t sport = dir == PTCP_SCRIPT_IN ? s->peer_port : s->local_port;
	uint16_t dport = dir == PTCP_SCRIPT_IN ? s->local_port : s->peer_port;
	uint32_t seqbase = dir == PTCP_SCRIPT_IN ? s->isn_peer : s->isn_local;
	uint32_t ackbase = dir == PTCP_SCRIPT_IN ? s->isn_local : s->isn_peer;
	if (g->has_ports) {
		sport = g->sport;
		dport = g->dport;
	}
	memset(buf, 0, iphl + thl);
	uint8_t *ip = buf;
	uint8_t *t = buf + iphl;
	size_t alen = v6 ? 16 : 4;
	if (v6) {
		ip[0] = (uint8_t)(0x60 | ((g->ecn >> 4) & 0x0f));
		ip[1] = (uint8_t)((g->ecn & 0x0f) << 4);
		put16(ip + 4, (uint32_t)(thl + g->len));
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, src->bytes, 16);
		memcpy(ip + 24, dst->bytes, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = g->ecn;
		put16(ip + 2, (uint32_t)tot);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, src->bytes, 4);
		memcpy(ip + 16, dst->bytes, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	}
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, g->seq + seqbase);
	put32(t + 8, g->ack + ackbase);
	t[12] = (uint8_t)((thl / 4) << 4 | (g->reserved & 0x0f));
	t[13] = g->flags;
	put16(t + 14, g->win);
	put16(t + 18, g->urp);
	memcpy(t + 20, g->opt, g->opt_len);
	sack_shift(t + 20, g->opt_len, ackbase);
	if (g->payload)
		memcpy(t + thl, g->payload, g->len);
	else
		ptcp_script_pattern_fill(t + thl, ptcp_script_seg_offset(g), g->len);
	/* TCP checksum over the pseudo-header */
	uint8_t ph[40];
	size_t phl;
	memcpy(ph, src->bytes, alen);
	memcpy(ph + alen, dst->bytes, alen);
	if (v6) {
		put32(ph + 32, (uint32_t)(thl + g->len));
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = 6;
		phl = 40;
	} else {
		ph[8] = 0;
		ph[9] = 6;
		put16(ph + 10, (uint32_t)(thl + g->len));
		phl = 12;
	}
	uint32_t sum = csum_add(0, ph, phl);
	sum = csum_add(sum, t, thl + g->len);
	put16(t + 16, csum_fold(sum));
	return (int)tot;
}

/* ---- Events -> inputs ----------------------------------------------------- */
int ptcp_script_event_to_input(const ptcp_script *s, const ptcp_script_event *e, uint32_t send_off,
                               uint8_t *buf, size_t cap, ptcp_input *in)
{
	memset(in, 0, sizeof *in);
	switch (e->kind) {
	case PTCP_SCRIPT_CONNECT:
		in->kind = PTCP_IN_CONNECT;
		in->connect.local = s->local_addr;
		in->connect.remote = s->peer_addr;
		in->connect.lport = s->local_port;
		in->connect.rport = s->peer_port;
		in->connect.iss = s->isn_local;
		in->connect.tfo = e->connect.tfo;
		in->connect.tfo_len = e->connect.tfo_len;
		memcpy(in->connect.tfo_cookie, e->connect.tfo_cookie, PTCP_TFO_COOKIE_MAX);
		in->connect.tfo_mss = e->connect.tfo_mss;
		if (e->connect.len) {
			if (e->connect.len > cap || !buf)
				return PTCP_ENOBUFS;
			ptcp_script_pattern_fill(buf, 0, e->connect.len);
			in->connect.data = buf;
			in->connect.len = e->connect.len;
		}
		return 0;
	case PTCP_SCRIPT_SETOPT: {
		ptcp_config *cfg = (ptcp_config *)(void *)buf;
		if (!buf || cap < sizeof(*cfg) || (uintptr_t)buf % _Alignof(ptcp_config))
			return PTCP_ENOBUFS;
		ptcp_config_default(cfg);
		ptcp_script_apply_config(s, cfg);
		cfg->flags = (cfg->flags & ~(uint32_t)PTCP_SCRIPT_SETOPT_FLAGS) | e->setopt.flags;
		cfg->keepalive_idle = e->setopt.keepalive_idle;
		cfg->keepalive_intvl = e->setopt.keepalive_intvl;
		cfg->keepalive_cnt = e->setopt.keepalive_cnt;
		cfg->user_timeout = e->setopt.user_timeout;
		cfg->delack = e->setopt.delack;
		cfg->challenge_ack_limit = e->setopt.challenge_ack_limit;
		in->kind = PTCP_IN_SETOPT;
		in->setopt.cfg = cfg;
		return 0;
	}
	case PTCP_SCRIPT_LISTEN:
		in->kind = PTCP_IN_LISTEN;
		if (!e->listen.any)
			in->listen.local = s->local_addr;
		in->listen.lport = s->local_port;
		in->listen.iss = s->isn_local;
		return 0;
	case PTCP_SCRIPT_SEND:
		in->kind = PTCP_IN_SEND;
		in->send.len = e->send.len;
		in->send.flags = e->send.more ? PTCP_SEND_MORE : 0;
		if (e->send.data) {
			in->send.data = e->send.data;
		} else {
			if (e->send.len > cap || (!buf && e->send.len))
				return PTCP_ENOBUFS;
			ptcp_script_pattern_fill(buf, send_off, e->send.len);
			in->send.data = buf;
		}
		return 0;
	case PTCP_SCRIPT_READ:
		in->kind = PTCP_IN_READ;
		in->read.len = e->read.len;
		if (!e->read.discard) {
			if (e->read.len > cap || !buf)
				return PTCP_ENOBUFS;
			in->read.buf = buf;
		}
		return 0;
	case PTCP_SCRIPT_SHUTDOWN:
		in->kind = PTCP_IN_SHUTDOWN;
		in->shutdown.how = e->shutdown.how;
		return 0;
	case PTCP_SCRIPT_CLOSE:
		in->kind = PTCP_IN_CLOSE;
		return 0;
	case PTCP_SCRIPT_ABORT:
		in->kind = PTCP_IN_ABORT;
		return 0;
	case PTCP_SCRIPT_TIME:
		in->kind = PTCP_IN_TIME;
		return 0;
	case PTCP_SCRIPT_ICMP:
		in->kind = PTCP_IN_ICMP;
		in->icmp.type = (ptcp_icmp_kind)e->icmp.type;
		in->icmp.mtu = e->icmp.mtu;
		in->icmp.seq = s->isn_local + e->icmp.seq;
		return 0;
	default:
		return PTCP_EINVAL;
	}
}
