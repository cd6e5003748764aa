/*
 * The script runner (see run.h).
 *
 * IMPLEMENTATION NOTES
 * One ptcp_run holds the core, its buffers (grown to the largest scenario
 * seen and reused, so that a fuzzer does not allocate per input), the
 * action array, the packet scratch buffers and the expect pool.
 * ptcp_run_exec() walks the events; every ptcp_step() goes through
 * do_step(), which applies all the oracles, tells the observer and fills
 * the pool and the recording.  Timer steps the runner feeds for due
 * deadlines also go through do_step() (timer = 1).  A failure is written
 * once (the first one) into the result; r->stop ends the walk unless
 * PTCP_RUN_F_KEEP_GOING.
 */
#include "run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKT_CAP (65535u + 128u)

struct ptcp_run {
	ptcp_conn conn;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;  /* its counters (ptcp_conn_set_stats) */
	uint8_t *sbuf, *rbuf;
	size_t sbuf_cap, rbuf_cap;
	ptcp_action *acts;
	size_t acts_cap;
	uint8_t *io; /* send / read data */
	size_t io_cap;
	uint8_t pkt_in[PKT_CAP];
	uint8_t pkt_out[PKT_CAP];
	/* the application's byte stream of this incarnation (sent[k] = offset k) */
	uint8_t *sent;
	size_t sent_len, sent_cap;
	int sent_lost; /* the stream grew too large to keep: emitted bytes not checked */
	ptcp_check_conn chk;
	/* expect pool: actions since the last input event, as expect events */
	ptcp_script pool;
	uint8_t *used;
	size_t used_cap;
	ptcp_time_t *pool_time;
	size_t pool_time_cap;

	/* the run in progress */
	const ptcp_script *s;
	const ptcp_run_config *cfg;
	ptcp_run_result *res;
	uint32_t flags;
	int expects; /* expect lines are checked */
	int stop;
	ptcp_time_t now;      /* time of the last step */
	ptcp_time_t deadline; /* as reported by the actions */
	ptcp_time_t rec_time; /* time of the last recorded event */
	size_t ev_idx;
	const ptcp_script_event *ev;
	int last_ret;
	uint64_t read_off;     /* bytes read in this incarnation */
	int peer_tainted;      /* an injected payload was not the pattern */
	int more;              /* the last accepted send asked for MORE */
	ptcp_check_code check; /* of the check failure being reported */
};

#define SENT_MAX ((size_t)64 << 20)

void ptcp_run_config_default(ptcp_run_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->action_cap = 64;
}

const char *ptcp_run_status_name(ptcp_run_status s)
{
	switch (s) {
	case PTCP_RUN_PASS:
		return "pass";
	case PTCP_RUN_FAIL:
		return "fail";
	case PTCP_RUN_INVALID:
		return "invalid";
	case PTCP_RUN_NOMEM:
		return "out of memory";
	}
	return "unknown";
}

const char *ptcp_run_fail_name(ptcp_run_fail f)
{
	static const char *const names[PTCP_RUN_FAIL_COUNT] = {
	    [PTCP_RUN_FAIL_NONE] = "none",
	    [PTCP_RUN_FAIL_EXPECT] = "expect",
	    [PTCP_RUN_FAIL_UNEXPECTED] = "unexpected",
	    [PTCP_RUN_FAIL_CHECK] = "check",
	    [PTCP_RUN_FAIL_PACKET] = "packet",
	    [PTCP_RUN_FAIL_RET] = "ret",
	    [PTCP_RUN_FAIL_DEADLINE] = "deadline",
	    [PTCP_RUN_FAIL_DATA] = "data",
	};
	return (unsigned)f < PTCP_RUN_FAIL_COUNT ? names[f] : "unknown";
}

/* The index of check code (check != 0) or failure kind name p[0..n), or 0. */
static unsigned ignore_name(const char *p, size_t n, int *check)
{
	for (unsigned k = 1; k < PTCP_CHECK_CODE_COUNT && k < 32; k++) {
		const char *name = ptcp_check_code_name((ptcp_check_code)k);
		if (name && strlen(name) == n && strncmp(name, p, n) == 0) {
			*check = 1;
			return k;
		}
	}
	for (unsigned k = 1; k < PTCP_RUN_FAIL_COUNT; k++) {
		const char *name = ptcp_run_fail_name((ptcp_run_fail)k);
		if (k != PTCP_RUN_FAIL_CHECK && strlen(name) == n && strncmp(name, p, n) == 0) {
			*check = 0;
			return k;
		}
	}
	return 0;
}

int ptcp_run_parse_ignore(const char *list, ptcp_run_config *cfg)
{
	const char *p = list;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *slash = memchr(p, '/', n);
		int check = 0;
		unsigned k = ignore_name(p, slash ? (size_t)(slash - p) : n, &check);
		if (!k && n)
			return -1;
		if (slash)
			cfg->ignore_match = list;
		else if (k)
			*(check ? &cfg->ignore_check : &cfg->ignore_fail) |= 1u << k;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* A NAME/TEXT item of cfg->ignore_match names this violation. */
static int ignore_matches(const char *list, int check, unsigned code, const char *msg)
{
	const char *p = list;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *slash = memchr(p, '/', n);
		int c = 0;
		if (slash && ignore_name(p, (size_t)(slash - p), &c) == code && c == check) {
			char text[256];
			size_t tl = n - (size_t)(slash + 1 - p);
			if (tl >= sizeof text)
				tl = sizeof text - 1;
			memcpy(text, slash + 1, tl);
			text[tl] = 0;
			if (strstr(msg, text))
				return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

ptcp_run *ptcp_run_new(void)
{
	ptcp_run *r = calloc(1, sizeof *r);
	if (r)
		ptcp_script_init(&r->pool);
	return r;
}

void ptcp_run_free(ptcp_run *r)
{
	if (!r)
		return;
	free(r->sbuf);
	free(r->rbuf);
	free(r->acts);
	free(r->io);
	free(r->sent);
	ptcp_script_free(&r->pool);
	free(r->used);
	free(r->pool_time);
	free(r);
}

const ptcp_conn *ptcp_run_conn(const ptcp_run *r)
{
	return &r->conn;
}

/* Grow *p to at least n bytes (elements of size sz); 0 or -1. */
static int grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp;
	if (n <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < n)
		c *= 2;
	void *q = realloc(*p, c * sz);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int fmt_time(ptcp_time_t t, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%llu.%06llu s", (unsigned long long)(t / 1000000u),
	                (unsigned long long)(t % 1000000u));
}

int ptcp_run_result_format(const ptcp_run_result *res, char *buf, size_t cap)
{
	char t[40];
	fmt_time(res->time, t, sizeof t);
	switch (res->status) {
	case PTCP_RUN_PASS:
		return snprintf(buf, cap, "pass: %zu events, %llu steps%s%s", res->events,
		                (unsigned long long)res->steps,
		                res->truncated ? " (truncated)" : "",
		                res->ignored ? " (violations ignored)" : "");
	case PTCP_RUN_FAIL:
		if (res->line)
			return snprintf(buf, cap, "event %zu (line %u) at %s: %s", res->event,
			                res->line, t, res->msg);
		return snprintf(buf, cap, "event %zu at %s: %s", res->event, t, res->msg);
	default:
		return snprintf(buf, cap, "%s: %s", ptcp_run_status_name(res->status), res->msg);
	}
}

/* ---- Failures ------------------------------------------------------------ */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
fail(ptcp_run *r, ptcp_run_fail kind, const char *fmt, ...)
{
	ptcp_run_result *res = r->res;
	char msg[sizeof res->msg];
	if (kind != PTCP_RUN_FAIL_CHECK && kind < 32 && (r->cfg->ignore_fail & (1u << kind))) {
		res->ignored++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->cfg->ignore_match &&
	    ignore_matches(r->cfg->ignore_match, kind == PTCP_RUN_FAIL_CHECK,
	                   kind == PTCP_RUN_FAIL_CHECK ? (unsigned)r->check : (unsigned)kind,
	                   msg)) {
		res->ignored++;
		return;
	}
	if (!(r->flags & PTCP_RUN_F_KEEP_GOING))
		r->stop = 1;
	if (res->status == PTCP_RUN_FAIL)
		return; /* keep the first */
	res->status = PTCP_RUN_FAIL;
	res->fail = kind;
	res->check = kind == PTCP_RUN_FAIL_CHECK ? r->check : PTCP_CHECK_OK;
	res->event = r->ev_idx;
	res->line = r->ev ? r->ev->line : 0;
	res->time = r->now;
	memcpy(res->msg, msg, sizeof msg);
	if (r->cfg->observe) {
		ptcp_run_note n;
		memset(&n, 0, sizeof n);
		n.kind = PTCP_RUN_NOTE_FAIL;
		n.time = r->now;
		n.event = r->ev_idx;
		n.line = res->line;
		n.ev = r->ev;
		n.msg = res->msg;
		r->cfg->observe(r->cfg->arg, &n);
	}
}

static void fail_check(ptcp_run *r, const ptcp_check_violation *v)
{
	if ((unsigned)v->code < 32 && (r->cfg->ignore_check & (1u << v->code))) {
		r->res->ignored++;
		return;
	}
	r->check = v->code;
	fail(r, PTCP_RUN_FAIL_CHECK, "check %s: %s", ptcp_check_code_name(v->code), v->msg);
}

static void nomem(ptcp_run *r)
{
	if (r->res->status == PTCP_RUN_PASS) {
		r->res->status = PTCP_RUN_NOMEM;
		snprintf(r->res->msg, sizeof r->res->msg, "the runner ran out of memory");
	}
	r->stop = 1;
}

static void note_init(ptcp_run *r, ptcp_run_note *n, ptcp_run_note_kind kind)
{
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->time = r->now;
	n->event = r->ev_idx;
	n->ev = r->ev;
	n->line = r->ev ? r->ev->line : 0;
}

/* ---- Recording ------------------------------------------------------------ */
static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* Append a copy of e (at time t) to the recording. */
static void record_event(ptcp_run *r, const ptcp_script_event *e, ptcp_time_t t)
{
	ptcp_script *rec = r->cfg->record;
	if (!rec)
		return;
	ptcp_script_event *d = ptcp_script_push(rec, e->kind);
	if (!d) {
		nomem(r);
		return;
	}
	*d = *e;
	d->delta = t - r->rec_time;
	if (d->delta > PTCP_SCRIPT_TIME_MAX)
		d->delta = PTCP_SCRIPT_TIME_MAX;
	r->rec_time = t;
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT:
	case PTCP_SCRIPT_EXPECT_SEG:
		if (e->seg.payload && !(d->seg.payload = dup_bytes(e->seg.payload, e->seg.len)))
			nomem(r);
		break;
	case PTCP_SCRIPT_RAW:
		if (e->raw.len && !(d->raw.data = dup_bytes(e->raw.data, e->raw.len)))
			nomem(r);
		break;
	case PTCP_SCRIPT_SEND:
		if (e->send.data && !(d->send.data = dup_bytes(e->send.data, e->send.len)))
			nomem(r);
		break;
	default:
		break;
	}
}

/* ---- Oracles ---------------------------------------------------------------- */
static int ret_ok(const ptcp_input *in, int ret)
{
	if (ret < PTCP_ERR_MIN)
		return 0;
	switch (in->kind) {
	case PTCP_IN_SEGMENT:
	case PTCP_IN_ICMP:
	case PTCP_IN_TIME:
	case PTCP_IN_ABORT:
		return ret == 0;
	case PTCP_IN_SEND:
		if (ret >= 0)
			return (size_t)ret <= in->send.len && (ret > 0 || in->send.len == 0);
		return ret != PTCP_EINVAL;
	case PTCP_IN_READ:
		if (ret >= 0)
			return (size_t)ret <= in->read.len;
		return ret != PTCP_EINVAL;
	case PTCP_IN_CONNECT:
	case PTCP_IN_LISTEN:
		return ret == 0 || ret == PTCP_ESTATE || ret == PTCP_EINVAL;
	case PTCP_IN_SHUTDOWN:
	case PTCP_IN_CLOSE:
		return ret <= 0 && ret != PTCP_EINVAL;
	case PTCP_IN_SETOPT:
		/* the runner always gives a configuration; the block keeps delack and
		 * the FIN-WAIT-2 timeout in 32 bits of microseconds (ptcp.h) */
		if (in->setopt.cfg && (in->setopt.cfg->delack > UINT32_MAX ||
		                       in->setopt.cfg->fin_wait2_timeout > UINT32_MAX))
			return ret == PTCP_EINVAL;
		return ret == 0;
	default:
		return 0;
	}
}

static const char *in_name(ptcp_input_kind k)
{
	static const char *const names[PTCP_IN_KIND_COUNT] = {
	    [PTCP_IN_SEGMENT] = "segment",   [PTCP_IN_ICMP] = "icmp",
	    [PTCP_IN_CONNECT] = "connect",   [PTCP_IN_LISTEN] = "listen",
	    [PTCP_IN_SEND] = "send",         [PTCP_IN_READ] = "read",
	    [PTCP_IN_SHUTDOWN] = "shutdown", [PTCP_IN_CLOSE] = "close",
	    [PTCP_IN_ABORT] = "abort",       [PTCP_IN_TIME] = "time",
	    [PTCP_IN_SETOPT] = "setopt",
	};
	return (unsigned)k < PTCP_IN_KIND_COUNT && names[k] ? names[k] : "?";
}

/* The payload of an emitted segment against the application's stream. */
static void check_emit_data(ptcp_run *r, const ptcp_seg *g, const ptcp_info *info)
{
	size_t len = ptcp_seg_len(g);
	if (!len || r->sent_lost)
		return;
	uint32_t first = g->seq + ((g->flags & PTCP_SYN) ? 1u : 0u);
	uint32_t off = first - (info->iss + 1u);
	if ((size_t)off > r->sent_len || len > r->sent_len - off) {
		fail(r, PTCP_RUN_FAIL_DATA,
		     "emitted %zu bytes at stream offset %u (seq %u), but the application wrote "
		     "%zu bytes",
		     len, off, g->seq, r->sent_len);
		return;
	}
	const uint8_t *want = r->sent + off;
	size_t n1 = g->payload_len;
	if ((n1 && memcmp(g->payload, want, n1) != 0) ||
	    (g->payload2_len && memcmp(g->payload2, want + n1, g->payload2_len) != 0)) {
		size_t k = 0;
		for (; k < len; k++) {
			uint8_t b = k < n1 ? g->payload[k] : g->payload2[k - n1];
			if (b != want[k])
				break;
		}
		fail(r, PTCP_RUN_FAIL_DATA,
		     "emitted byte at stream offset %llu is 0x%02x, the application wrote 0x%02x",
		     (unsigned long long)off + k,
		     k < n1 ? g->payload[k] : g->payload2[k < len ? k - n1 : 0],
		     want[k < len ? k : 0]);
	}
}

static void sent_append(ptcp_run *r, const uint8_t *p, size_t n)
{
	if (r->sent_lost || !n)
		return;
	if (r->sent_len + n > SENT_MAX) {
		r->sent_lost = 1;
		return;
	}
	if (grow(&r->sent, &r->sent_cap, r->sent_len + n, 1)) {
		nomem(r);
		return;
	}
	memcpy(r->sent + r->sent_len, p, n);
	r->sent_len += n;
}

/* One emitted segment: build, parse back, check, tell. */
static void emitted(ptcp_run *r, const ptcp_action *a, const ptcp_info *info)
{
	ptcp_ip ip, ip2;
	ptcp_seg back;
	ptcp_check_violation v;
	memset(&ip, 0, sizeof ip);
	ip.src = a->emit.src;
	ip.dst = a->emit.dst;
	ip.ttl = 64;
	ip.df = 1;
	ip.tos = a->emit.ecn & 3u;
	r->res->pkts_out++;
	int n = ptcp_wire_build_packet(r->pkt_out, sizeof r->pkt_out, &ip, &a->emit.seg);
	if (n < 0) {
		fail(r, PTCP_RUN_FAIL_PACKET, "an emitted segment does not build: %s",
		     ptcp_strerror(n));
		return;
	}
	int e = ptcp_wire_parse_packet(r->pkt_out, (size_t)n, &ip2, &back);
	if (e) {
		fail(r, PTCP_RUN_FAIL_PACKET, "an emitted segment does not parse back: %s",
		     ptcp_strerror(e));
		return;
	}
	if (r->cfg->observe) {
		ptcp_run_note note;
		note_init(r, &note, PTCP_RUN_NOTE_PACKET_OUT);
		note.pkt = r->pkt_out;
		note.len = (size_t)n;
		r->cfg->observe(r->cfg->arg, &note);
	}
	if (!(r->flags & PTCP_RUN_F_NO_CHECK) &&
	    ptcp_check_emit(&r->chk, a, r->pkt_out, (size_t)n, &v) != PTCP_CHECK_OK) {
		fail_check(r, &v);
		return;
	}
	if (!(r->flags & PTCP_RUN_F_NO_DATA))
		check_emit_data(r, &a->emit.seg, info);
}

/* ---- The checked step ------------------------------------------------------ */
/*
 * An action as an expect event appended to s: ptcp_script_push_action(),
 * then an emitted segment without ACK whose ack field is 0 gets relative
 * ack 0 (as the text writes such segments), and an empty payload none.
 * Returns as ptcp_script_push_action().
 */
static int push_action(ptcp_script *s, const ptcp_action *a, ptcp_time_t t, uint64_t delta)
{
	int rc = ptcp_script_push_action(s, a, t, delta, 1);
	if (rc || a->kind != PTCP_ACT_EMIT)
		return rc;
	ptcp_script_seg *g = &s->ev[s->n - 1].seg;
	if (!(a->emit.seg.flags & PTCP_ACK) && a->emit.seg.ack == 0)
		g->ack = 0;
	if (g->len == 0) {
		free(g->payload);
		g->payload = NULL;
	}
	return 0;
}

static void pool_add(ptcp_run *r, const ptcp_action *a, ptcp_time_t t)
{
	size_t k = r->pool.n;
	int rc = push_action(&r->pool, a, t, 0);
	if (rc == PTCP_SCRIPT_ENOMEM) {
		nomem(r);
		return;
	}
	if (rc) /* not representable (e.g. options the codec cannot build): checked elsewhere */
		return;
	if (grow(&r->used, &r->used_cap, k + 1, 1) ||
	    grow(&r->pool_time, &r->pool_time_cap, k + 1, sizeof(ptcp_time_t))) {
		nomem(r);
		return;
	}
	r->used[k] = 0;
	r->pool_time[k] = t;
}

static void pool_clear(ptcp_run *r)
{
	for (size_t i = 0; i < r->pool.n; i++)
		ptcp_script_event_clear(&r->pool.ev[i]);
	r->pool.n = 0;
}

static int do_step(ptcp_run *r, const ptcp_input *in, ptcp_time_t t, int timer)
{
	ptcp_actions out = {.v = r->acts, .cap = r->cfg->action_cap, .n = 0};
	ptcp_check_violation v;
	ptcp_info info;
	int ret;
	if ((r->cfg->flags & PTCP_RUN_F_LOSS_LEND) ||
	    ((r->cfg->flags & PTCP_RUN_F_LOSS_SCARCE) && (r->res->steps & 1)))
		ptcp_conn_set_loss(&r->conn, &r->loss); /* fails while one is lent or mid-episode */
	ret = ptcp_step(&r->conn, in, t, &out);
	if (r->cfg->flags & (PTCP_RUN_F_LOSS_LEND | PTCP_RUN_F_LOSS_SCARCE))
		ptcp_conn_take_loss(&r->conn); /* NULL while in use */
	r->now = t;
	r->res->steps++;
	if (timer)
		r->res->timers++;
	ptcp_conn_info(&r->conn, &info);
	if (!ret_ok(in, ret))
		fail(r, PTCP_RUN_FAIL_RET, "ptcp_step(%s) returned %d (%s)", in_name(in->kind), ret,
		     ptcp_strerror(ret));
	if (out.n > out.cap)
		fail(r, PTCP_RUN_FAIL_RET, "ptcp_step wrote %zu actions into %zu", out.n, out.cap);
	if (!(r->flags & PTCP_RUN_F_NO_CHECK) &&
	    ptcp_check_state(&r->chk, &info, out.v, out.n, &v) != PTCP_CHECK_OK)
		fail_check(r, &v);
	/* a new incarnation (after CLOSED or LISTEN) starts new byte streams */
	for (size_t i = 0; i < out.n; i++)
		if (out.v[i].kind == PTCP_ACT_STATE &&
		    (out.v[i].state.from == PTCP_CLOSED || out.v[i].state.to == PTCP_LISTEN)) {
			r->sent_len = 0;
			r->sent_lost = 0;
			r->read_off = 0;
			r->more = 0;
		}
	/* data given with the connect starts the new stream (the core keeps what fits) */
	if (in->kind == PTCP_IN_CONNECT && ret == 0 && in->connect.len)
		sent_append(r, in->connect.data,
		            in->connect.len < r->s->cfg.sndbuf ? in->connect.len
		                                               : r->s->cfg.sndbuf);
	if (in->kind == PTCP_IN_SEND && ret > 0) {
		sent_append(r, in->send.data, (size_t)ret);
		r->more = (in->send.flags & PTCP_SEND_MORE) != 0;
	}
	if (in->kind == PTCP_IN_READ && ret > 0) {
		if (in->read.buf && !r->peer_tainted && !(r->flags & PTCP_RUN_F_NO_DATA)) {
			uint32_t base = info.irs - r->s->isn_peer + (uint32_t)r->read_off;
			for (int k = 0; k < ret; k++)
				if (in->read.buf[k] != ptcp_script_pattern(base + (uint32_t)k)) {
					fail(
					    r, PTCP_RUN_FAIL_DATA,
					    "read byte %llu of the stream is 0x%02x, the peer sent "
					    "0x%02x",
					    (unsigned long long)r->read_off + (unsigned)k,
					    in->read.buf[k],
					    ptcp_script_pattern(base + (uint32_t)k));
					break;
				}
		}
		r->read_off += (uint64_t)ret;
	}
	size_t n = out.n > out.cap ? out.cap : out.n;
	for (size_t i = 0; i < n && !r->stop; i++) {
		const ptcp_action *a = &out.v[i];
		if (a->kind == PTCP_ACT_EMIT)
			emitted(r, a, &info);
		else if (a->kind == PTCP_ACT_DEADLINE)
			r->deadline = a->deadline;
	}
	ptcp_time_t dl = ptcp_conn_next_deadline(&r->conn);
	if (!r->stop && dl != r->deadline)
		fail(r, PTCP_RUN_FAIL_DEADLINE,
		     "the deadline reported by the actions (%llu) differs from "
		     "ptcp_conn_next_deadline() (%llu)",
		     (unsigned long long)r->deadline, (unsigned long long)dl);
	if (!r->stop && timer && out.n == 0 && r->deadline <= t)
		fail(r, PTCP_RUN_FAIL_DEADLINE,
		     "a timer step at %llu did nothing and left the deadline due (%llu)",
		     (unsigned long long)t, (unsigned long long)r->deadline);
	if (!r->stop && !(r->flags & (PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_LIVENESS)) &&
	    !(r->more && info.snd_una == info.snd_max) &&
	    ptcp_check_liveness(&info, r->deadline, 0, 1, &v) != PTCP_CHECK_OK)
		fail_check(r, &v);
	if (r->cfg->observe) {
		ptcp_run_note note;
		note_init(r, &note, PTCP_RUN_NOTE_STEP);
		note.input = in;
		note.ret = ret;
		note.actions = &out;
		note.info = &info;
		note.conn = &r->conn;
		note.timer = timer;
		r->cfg->observe(r->cfg->arg, &note);
	}
	if (r->expects)
		for (size_t i = 0; i < n; i++)
			pool_add(r, &out.v[i], t);
	if (r->cfg->record) {
		if (timer) {
			ptcp_script_event te;
			memset(&te, 0, sizeof te);
			te.kind = PTCP_SCRIPT_TIME;
			record_event(r, &te, t);
		}
		for (size_t i = 0; i < n; i++) {
			int rc = push_action(r->cfg->record, &out.v[i], t, 0);
			if (rc == PTCP_SCRIPT_ENOMEM)
				nomem(r);
		}
	}
	return ret;
}

static int limit_hit(ptcp_run *r)
{
	if (r->cfg->max_steps && r->res->steps >= r->cfg->max_steps) {
		r->res->truncated = 1;
		r->stop = 1;
		return 1;
	}
	return 0;
}

/* Fire the deadlines before t (or at t with at_t), and (with due_now) those already due now. */
static void fire_timers(ptcp_run *r, ptcp_time_t t, int at_t, int due_now)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_TIME;
	while (
	    !r->stop && r->deadline != PTCP_TIME_NEVER &&
	    (r->deadline < t || (at_t && r->deadline == t) || (due_now && r->deadline <= r->now))) {
		if (limit_hit(r))
			return;
		ptcp_time_t when = r->deadline > r->now ? r->deadline : r->now;
		do_step(r, &in, when, 1);
	}
}

/* ---- Expect lines ------------------------------------------------------------ */
static int pool_match(const ptcp_run *r, const ptcp_script_event *x, const ptcp_script_event *g)
{
	if (x->kind != g->kind)
		return 0;
	switch (x->kind) {
	case PTCP_SCRIPT_EXPECT_SEG:
		return ptcp_script_seg_match(&x->seg, &g->seg);
	case PTCP_SCRIPT_EXPECT_STATE:
		return x->state.to == g->state.to &&
		       (x->state.from == PTCP_SCRIPT_STATE_ANY || x->state.from == g->state.from);
	case PTCP_SCRIPT_EXPECT_EVENT:
		return x->event.ev == g->event.ev && x->event.err == g->event.err;
	case PTCP_SCRIPT_EXPECT_READABLE:
		return x->readable == g->readable;
	case PTCP_SCRIPT_EXPECT_WRITABLE:
		return x->writable == g->writable;
	case PTCP_SCRIPT_EXPECT_DEADLINE:
		return x->deadline == g->deadline;
	default:
		(void)r;
		return 0;
	}
}

static void expect(ptcp_run *r, const ptcp_script_event *x)
{
	char want[400], got[600];
	if (x->kind == PTCP_SCRIPT_EXPECT_RET) {
		if (x->ret != r->last_ret)
			fail(r, PTCP_RUN_FAIL_EXPECT,
			     "expected \"= ret %d\", the last app call returned %d (%s)",
			     (int)x->ret, r->last_ret,
			     r->last_ret < 0 ? ptcp_strerror(r->last_ret) : "");
		else
			r->res->expects++;
		return;
	}
	for (size_t i = 0; i < r->pool.n; i++) {
		if (!r->used[i] && pool_match(r, x, &r->pool.ev[i])) {
			r->used[i] = 1;
			r->res->expects++;
			if (r->cfg->observe) {
				ptcp_run_note note;
				note_init(r, &note, PTCP_RUN_NOTE_EXPECT);
				r->cfg->observe(r->cfg->arg, &note);
			}
			return;
		}
	}
	ptcp_script_format_event(x, want, sizeof want);
	size_t gl = 0;
	got[0] = 0;
	for (size_t i = 0; i < r->pool.n && gl + 8 < sizeof got; i++) {
		if (r->used[i] || r->pool.ev[i].kind != x->kind)
			continue;
		char one[300];
		ptcp_script_format_event(&r->pool.ev[i], one, sizeof one);
		int k = snprintf(got + gl, sizeof got - gl, "%s\"%s\"", gl ? ", " : "", one);
		if (k < 0)
			break;
		gl += (size_t)k < sizeof got - gl ? (size_t)k : sizeof got - gl - 1;
	}
	fail(r, PTCP_RUN_FAIL_EXPECT, "expected \"%s\"; got %s", want,
	     gl ? got : "nothing like it");
}

/* Strict: every emitted segment of the pool must have been expected. */
static void pool_strict(ptcp_run *r)
{
	if (!(r->flags & PTCP_RUN_F_STRICT) || !r->expects)
		return;
	for (size_t i = 0; i < r->pool.n; i++)
		if (!r->used[i] && r->pool.ev[i].kind == PTCP_SCRIPT_EXPECT_SEG) {
			char one[300];
			ptcp_script_format_event(&r->pool.ev[i], one, sizeof one);
			fail(r, PTCP_RUN_FAIL_UNEXPECTED, "unexpected \"%s\"", one);
			return;
		}
}

/* ---- Inputs ------------------------------------------------------------------ */
static void inject(ptcp_run *r, const uint8_t *pkt, size_t len, int explicit_payload)
{
	static const uint8_t empty[1] = {0};
	ptcp_ip ip;
	ptcp_seg seg;
	int err = ptcp_wire_parse_packet(len ? pkt : empty, len, &ip, &seg);
	r->res->pkts_in++;
	if (r->cfg->observe) {
		ptcp_run_note note;
		note_init(r, &note, PTCP_RUN_NOTE_PACKET_IN);
		note.pkt = pkt;
		note.len = len;
		note.err = err;
		r->cfg->observe(r->cfg->arg, &note);
	}
	if (err) {
		if (err < 0 && err >= PTCP_ERR_MIN)
			r->res->drops[-err]++;
		else
			r->res->drops[0]++;
		return;
	}
	if (explicit_payload && seg.payload_len)
		r->peer_tainted = 1;
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_SEGMENT;
	in.segment.seg = &seg;
	in.segment.src = ip.src;
	in.segment.dst = ip.dst;
	in.segment.ecn = ip.tos & 3u;
	do_step(r, &in, r->now, 0);
}

/* ptcp_script_pattern_fill(), 256 bytes at a time (the high bytes of the
 * offset are constant within such a run). */
static void pattern_fill(uint8_t *buf, uint32_t off, size_t len)
{
	while (len) {
		uint32_t hi = (off >> 8) ^ (off >> 16) ^ (off >> 24);
		size_t run = 256u - (off & 255u);
		if (run > len)
			run = len;
		for (size_t i = 0; i < run; i++)
			buf[i] = (uint8_t)((off + (uint32_t)i) ^ hi);
		buf += run;
		off += (uint32_t)run;
		len -= run;
	}
}

static void run_input(ptcp_run *r, const ptcp_script_event *e, ptcp_time_t t)
{
	const ptcp_script *s = r->s;
	ptcp_script_event c = *e; /* with max_io applied */
	r->now = t;
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT: {
		record_event(r, e, t);
		int n = ptcp_script_seg_to_packet(s, &e->seg, PTCP_SCRIPT_IN, r->pkt_in,
		                                  sizeof r->pkt_in);
		if (n < 0) { /* cannot happen: the buffer holds any segment event */
			fail(r, PTCP_RUN_FAIL_PACKET, "segment event does not build: %s",
			     ptcp_strerror(n));
			return;
		}
		inject(r, r->pkt_in, (size_t)n, e->seg.payload != NULL);
		return;
	}
	case PTCP_SCRIPT_RAW:
		record_event(r, e, t);
		inject(r, e->raw.data, e->raw.len, 1);
		return;
	case PTCP_SCRIPT_SEND:
		if (r->cfg->max_io && c.send.len > r->cfg->max_io)
			c.send.len = r->cfg->max_io;
		break;
	case PTCP_SCRIPT_READ:
		if (r->cfg->max_io && c.read.len > r->cfg->max_io)
			c.read.len = r->cfg->max_io;
		break;
	case PTCP_SCRIPT_CONNECT:
		if (r->cfg->max_io && c.connect.len > r->cfg->max_io)
			c.connect.len = r->cfg->max_io;
		break;
	default:
		break;
	}
	size_t need = 0;
	if (c.kind == PTCP_SCRIPT_SEND && !c.send.data)
		need = c.send.len;
	if (c.kind == PTCP_SCRIPT_READ && !c.read.discard)
		need = c.read.len;
	if (c.kind == PTCP_SCRIPT_CONNECT)
		need = c.connect.len;
	if (c.kind == PTCP_SCRIPT_SETOPT)
		need = sizeof(ptcp_config);
	if (grow(&r->io, &r->io_cap, need ? need : 1, 1)) {
		nomem(r);
		return;
	}
	ptcp_input in;
	/* the pattern only as far as the send buffer can take it (the rest of a
	 * large send is never read: the core accepts at most the free space) */
	size_t space = ptcp_conn_send_space(&r->conn);
	ptcp_script_event cc = c;
	if (c.kind == PTCP_SCRIPT_SEND && !c.send.data) {
		if (c.send.len > space)
			cc.send.len = (uint32_t)space;
		pattern_fill(r->io, (uint32_t)r->sent_len, cc.send.len);
		cc.send.data = r->io;
	}
	int rc = ptcp_script_event_to_input(s, &cc, (uint32_t)r->sent_len, r->io, r->io_cap, &in);
	if (rc) {
		fail(r, PTCP_RUN_FAIL_RET, "event does not make an input: %s", ptcp_strerror(rc));
		return;
	}
	if (c.kind == PTCP_SCRIPT_SEND)
		in.send.len = c.send.len;
	record_event(r, &c, t);
	int ret = do_step(r, &in, t, 0);
	if (c.kind == PTCP_SCRIPT_SEND && ret > 0 && (size_t)ret > space)
		fail(r, PTCP_RUN_FAIL_RET,
		     "send accepted %d bytes, ptcp_conn_send_space() said %zu", ret, space);
	if (c.kind != PTCP_SCRIPT_TIME && c.kind != PTCP_SCRIPT_ICMP)
		r->last_ret = ret;
}

/* ---- The walk ------------------------------------------------------------------ */
static int setup(ptcp_run *r, const ptcp_script *s)
{
	ptcp_config pc;
	ptcp_config_default(&pc);
	uint32_t unknown = pc.flags & ~(uint32_t)PTCP_SCRIPT_CFG_FLAGS_ALL;
	ptcp_script_apply_config(s, &pc);
	pc.flags |= unknown; /* flags the script format cannot set keep the core's defaults */
	if (grow(&r->sbuf, &r->sbuf_cap, s->cfg.sndbuf, 1) ||
	    grow(&r->rbuf, &r->rbuf_cap, s->cfg.rcvbuf, 1) ||
	    grow(&r->acts, &r->acts_cap, r->cfg->action_cap, sizeof(ptcp_action))) {
		nomem(r);
		return -1;
	}
	int rc = ptcp_conn_init(&r->conn, &pc, r->sbuf, s->cfg.sndbuf, r->rbuf, s->cfg.rcvbuf);
	if (rc) {
		r->res->status = PTCP_RUN_INVALID;
		snprintf(r->res->msg, sizeof r->res->msg, "ptcp_conn_init: %s", ptcp_strerror(rc));
		return -1;
	}
	if (!(r->cfg->flags & PTCP_RUN_F_LOSS_NONE))
		ptcp_conn_set_loss(&r->conn, &r->loss);
	memset(&r->st, 0, sizeof(r->st));
	ptcp_conn_set_stats(&r->conn, &r->st);
	ptcp_check_init(&r->chk);
	r->deadline = PTCP_TIME_NEVER; /* nothing reported yet */
	/* the pool converts actions with the scenario's numbers */
	pool_clear(r);
	r->pool.role = s->role;
	r->pool.cfg = s->cfg;
	r->pool.isn_local = s->isn_local;
	r->pool.isn_peer = s->isn_peer;
	r->pool.local_addr = s->local_addr;
	r->pool.peer_addr = s->peer_addr;
	r->pool.local_port = s->local_port;
	r->pool.peer_port = s->peer_port;
	if (r->cfg->record) {
		ptcp_script *rec = r->cfg->record;
		ptcp_script_free(rec);
		ptcp_script_init(rec);
		rec->role = s->role;
		rec->cfg = s->cfg;
		rec->isn_local = s->isn_local;
		rec->isn_peer = s->isn_peer;
		rec->local_addr = s->local_addr;
		rec->peer_addr = s->peer_addr;
		rec->local_port = s->local_port;
		rec->peer_port = s->peer_port;
	}
	return 0;
}

ptcp_run_status ptcp_run_exec(ptcp_run *r, const ptcp_script *s, const ptcp_run_config *cfg,
                              ptcp_run_result *res)
{
	ptcp_run_config def;
	if (!cfg) {
		ptcp_run_config_default(&def);
		cfg = &def;
	}
	memset(res, 0, sizeof *res);
	res->event = 0;
	r->s = s;
	r->cfg = cfg;
	r->res = res;
	r->flags = cfg->flags;
	r->stop = 0;
	r->ev_idx = 0;
	r->ev = NULL;
	r->last_ret = 0;
	r->read_off = 0;
	r->peer_tainted = 0;
	r->more = 0;
	r->sent_len = 0;
	r->sent_lost = 0;
	r->now = r->rec_time = s->cfg.start;
	if (cfg->action_cap < PTCP_ACTIONS_MIN) {
		/* a caller error, reported as an invalid run */
		res->status = PTCP_RUN_INVALID;
		snprintf(res->msg, sizeof res->msg, "action_cap %zu < PTCP_ACTIONS_MIN",
		         cfg->action_cap);
		return res->status;
	}
	r->expects = 0;
	if (!(r->flags & PTCP_RUN_F_NO_EXPECT))
		for (size_t i = 0; i < s->n && !r->expects; i++)
			r->expects = ptcp_script_is_expect(s->ev[i].kind);
	if (setup(r, s))
		return res->status;

	ptcp_time_t t = s->cfg.start;
	size_t nev = s->n;
	if (cfg->max_events && cfg->max_events < nev) {
		nev = cfg->max_events;
		res->truncated = 1;
	}
	for (size_t i = 0; i < nev && !r->stop; i++) {
		const ptcp_script_event *e = &s->ev[i];
		r->ev_idx = i;
		r->ev = e;
		t = e->delta > UINT64_MAX - t ? UINT64_MAX : t + e->delta;
		if (cfg->max_time && t - s->cfg.start > cfg->max_time) {
			res->truncated = 1;
			break;
		}
		if (limit_hit(r))
			break;
		res->events++;
		if (ptcp_script_is_expect(e->kind)) {
			if (e->delta)
				fire_timers(r, t, 1, 1);
			if (r->expects && !r->stop)
				expect(r, e);
			continue;
		}
		pool_strict(r);
		pool_clear(r);
		/* a time event fires what is due at its time itself: a recorded
		 * timer step replays as one step, not two */
		fire_timers(r, t, 0, e->kind != PTCP_SCRIPT_TIME);
		if (!r->stop && !limit_hit(r))
			run_input(r, e, t);
	}
	if (!r->stop) {
		r->ev_idx = s->n;
		r->ev = NULL;
		pool_strict(r);
		if (cfg->drain && !r->stop) {
			ptcp_time_t end = t > r->now ? t : r->now;
			fire_timers(r, end + cfg->drain, 1, 1);
		}
	}
	pool_clear(r);
	res->end = r->now;
	res->state = ptcp_conn_state(&r->conn);
	return res->status;
}
