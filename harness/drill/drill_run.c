/*
 * drill_run.c - the packetdrill runner's event loop (see drill_run.h).
 *
 * IMPLEMENTATION NOTES
 * Upstream packetdrill's semantics, on a virtual clock instead of the wall clock:
 *  - A relative time ("+0.1") is relative to the clock when the event starts (after the
 *    previous event completed, e.g. when its '>' packet was seen), except that consecutive
 *    '<' packets are anchored to the previous one's scheduled time.  A blocking call written
 *    "+0...T call()" lets the script go on at once; its end time T has the start's base.
 *  - '<' packets and system calls wait for their time (the core's timers fire meanwhile) and
 *    fail if the clock is already later than their time plus the tolerance.
 *  - A '>' line takes the next segment the connection under test emitted (earlier ones
 *    included: upstream sniffs a queue); if there is none yet, time runs until the core emits
 *    one.  Fields are checked first, then the time: tolerance is max(tolerance_usecs,
 *    tolerance_percent of the time since the previous event), as upstream.
 *  - Segments never matched by a '>' line are not an error unless they come before the
 *    segment a '>' line expects (upstream semantics); --strict (own scripts) makes any
 *    unmatched segment of the connection under test an "unexpected packet".
 *  - `../common/defaults.sh` as the init command is the Linux profile (always applied);
 *    sysctls are applied (drill_env.c), other shell commands are UNSUPPORTED; the cleanup
 *    command is not run.  %{ python }% blocks are UNSUPPORTED, but the rest
 *    of the script still runs, so that a later packet mismatch is reported as a FAIL.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

/* ---- Results --------------------------------------------------------------------------- */

const char *ptcp_drill_verdict_name(enum ptcp_drill_verdict v)
{
	switch (v) {
	case PTCP_DRILL_PASS:
		return "PASS";
	case PTCP_DRILL_FAIL:
		return "FAIL";
	case PTCP_DRILL_UNSUPPORTED:
		return "UNSUPPORTED";
	case PTCP_DRILL_ERROR:
		return "ERROR";
	}
	return "?";
}

void ptcp_drill_run_config_default(struct ptcp_drill_run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tolerance_usecs = -1;
	cfg->tolerance_percent = -1;
}

static void vreport(struct runner *r, enum ptcp_drill_verdict v, int line, const char *fmt,
                    va_list ap)
{
	char *m = r->res->message;
	size_t size = sizeof(r->res->message);
	int n;
	if (r->stopped)
		return;
	r->stopped = true;
	r->res->verdict = v;
	r->res->line = line;
	n = snprintf(m, size, "%s:%d: ", r->script->file, line);
	if (n > 0 && (size_t)n < size)
		vsnprintf(m + n, size - (size_t)n, fmt, ap);
	drill_trace(r, "%s", m);
}

int drill_fail(struct runner *r, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(r, PTCP_DRILL_FAIL, line, fmt, ap);
	va_end(ap);
	return -1;
}

int drill_unsupported(struct runner *r, int line, const char *feature, const char *fmt, ...)
{
	va_list ap;
	bool was = r->stopped;
	va_start(ap, fmt);
	vreport(r, PTCP_DRILL_UNSUPPORTED, line, fmt, ap);
	va_end(ap);
	if (!was)
		snprintf(r->res->feature, sizeof(r->res->feature), "%s", feature);
	return -1;
}

void drill_trace(struct runner *r, const char *fmt, ...)
{
	va_list ap;
	char t[32];
	if (!r->cfg.trace)
		return;
	fprintf(r->cfg.trace, "%10s ", drill_usecs(r->now, t, sizeof(t)));
	va_start(ap, fmt);
	vfprintf(r->cfg.trace, fmt, ap);
	va_end(ap);
	fputc('\n', r->cfg.trace);
}

const char *drill_usecs(int64_t us, char *buf, size_t size)
{
	const char *sign = us < 0 ? "-" : "";
	uint64_t a = us < 0 ? (uint64_t)(-(us + 1)) + 1 : (uint64_t)us;
	snprintf(buf, size, "%s%" PRIu64 ".%06" PRIu64, sign, a / 1000000, a % 1000000);
	return buf;
}

int drill_check_time(struct runner *r, int line, const char *what, int64_t lo, int64_t hi, bool any,
                     int64_t actual, int64_t last)
{
	int64_t tol = r->tolerance_usecs;
	char a[32], b[32], c[32], d[32];
	if (any)
		return 0;
	if (lo > last) {
		int64_t dyn = (int64_t)(r->tolerance_percent / 100.0 * (double)(lo - last));
		if (dyn > tol)
			tol = dyn;
	}
	if (actual >= lo - tol && actual <= hi + tol)
		return 0;
	{
		char what_s[160];
		snprintf(what_s, sizeof(what_s), "%s expected at %s, the core's at %s", what,
		         drill_usecs(lo, a, sizeof(a)), drill_usecs(actual, c, sizeof(c)));
		if (drill_known(r, line, PTCP_DRILL_KNOWN_TIME, actual, what_s))
			return 0;
	}
	if (hi != lo)
		return drill_fail(r, line,
		                  "timing error: expected %s in time range %s~%s sec but happened "
		                  "at %s sec; tolerance %s sec",
		                  what, drill_usecs(lo, a, sizeof(a)),
		                  drill_usecs(hi, b, sizeof(b)), drill_usecs(actual, c, sizeof(c)),
		                  drill_usecs(tol, d, sizeof(d)));
	return drill_fail(r, line,
	                  "timing error: expected %s at %s sec but happened at %s sec; tolerance "
	                  "%s sec",
	                  what, drill_usecs(lo, a, sizeof(a)), drill_usecs(actual, c, sizeof(c)),
	                  drill_usecs(tol, d, sizeof(d)));
}

/* ---- Options and commands -------------------------------------------------------------- */

static int parse_addr(struct runner *r, int line, const char *text, ptcp_addr *a)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n >= sizeof(buf))
		return drill_fail(r, line, "bad address %s", text);
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->bytes) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->bytes) == 1) {
		a->family = 6;
		return 0;
	}
	return drill_fail(r, line, "bad address %s", text);
}

static int apply_options(struct runner *r)
{
	const struct ptcp_drill_script *s = r->script;
	bool local_set = false, remote_set = false;
	r->tolerance_usecs = 4000;
	r->tolerance_percent = 12.5;
	r->bind_port = 8080;
	r->connect_port = 8080;
	for (size_t i = 0; i < s->n_options; i++) {
		const struct ptcp_drill_option *o = &s->options[i];
		const char *v = o->value ? o->value : "";
		if (strcmp(o->name, "tolerance_usecs") == 0) {
			r->tolerance_usecs = strtoll(v, NULL, 10);
		} else if (strcmp(o->name, "tolerance_percent") == 0) {
			r->tolerance_percent = strtod(v, NULL);
		} else if (strcmp(o->name, "strict_segments") == 0) {
			r->strict_segments = true;
		} else if (strcmp(o->name, "tcp_ts_tick_usecs") == 0) {
			r->ts_tick_usecs = (uint32_t)strtoul(v, NULL, 10);
		} else if (strcmp(o->name, "tcp_ts_ecr_scaled") == 0) {
			r->ts_ecr_scaled = true;
		} else if (strcmp(o->name, "ip_version") == 0) {
			if (strcmp(v, "ipv6") == 0)
				r->ipv6 = true;
			else if (strcmp(v, "ipv4") != 0 && strcmp(v, "ipv4-mapped-ipv6") != 0)
				return drill_fail(r, o->line, "bad --ip_version %s", v);
		} else if (strcmp(o->name, "local_ip") == 0) {
			if (parse_addr(r, o->line, v, &r->local))
				return -1;
			local_set = true;
		} else if (strcmp(o->name, "remote_ip") == 0) {
			if (parse_addr(r, o->line, v, &r->remote))
				return -1;
			remote_set = true;
		} else if (strcmp(o->name, "gateway_ip") == 0 ||
		           strcmp(o->name, "netmask_ip") == 0 || strcmp(o->name, "verbose") == 0 ||
		           strcmp(o->name, "debug") == 0) {
			/* irrelevant without a tun device */
		} else if (strcmp(o->name, "bind_port") == 0) {
			r->bind_port = (uint16_t)strtoul(v, NULL, 10);
		} else if (strcmp(o->name, "connect_port") == 0) {
			r->connect_port = (uint16_t)strtoul(v, NULL, 10);
		} else {
			char feat[96];
			snprintf(feat, sizeof(feat), "option --%s", o->name);
			return drill_unsupported(r, o->line, feat, "script option --%s", o->name);
		}
	}
	if (r->cfg.tolerance_usecs >= 0)
		r->tolerance_usecs = r->cfg.tolerance_usecs;
	if (r->cfg.tolerance_percent >= 0)
		r->tolerance_percent = r->cfg.tolerance_percent;
	if (!local_set) {
		if (r->ipv6)
			parse_addr(r, 0, "fd3d:fa7b:d17d::1", &r->local);
		else
			ptcp_addr_v4(&r->local, 192, 168, 0, 1);
	}
	if (!remote_set) {
		if (r->ipv6)
			parse_addr(r, 0, "2001:db8::1", &r->remote);
		else
			ptcp_addr_v4(&r->remote, 192, 0, 2, 1);
	}
	if (r->local.family != r->remote.family)
		return drill_fail(r, 0, "--local_ip and --remote_ip of different families");
	r->ipv6 = r->local.family == 6;
	ptcp_config_linux(&r->base_cfg);
	if (r->ipv6)
		r->base_cfg.mss = 1440; /* tun MTU 1500 - 40 - 20 */
	r->def_sndbuf = DRILL_DEF_SNDBUF;
	r->def_rcvbuf = DRILL_DEF_RCVBUF;
	tfo_env_init(r);
	return 0;
}

/* ---- Events ---------------------------------------------------------------------------- */

static bool is_inbound(const struct ptcp_drill_event *ev)
{
	return ev && ev->kind == PTCP_DRILL_EV_PACKET && ev->u.packet.dir == PTCP_DRILL_IN;
}

/* --strict: segments of the connection under test emitted before t, never matched. */
static int check_unexpected(struct runner *r, int line, int64_t before, bool all)
{
	struct pkt *p;
	char buf[512], t[32];
	if (!r->cfg.strict)
		return 0;
	p = outq_first_sut(r);
	if (!p || (!all && p->t >= before))
		return 0;
	format_pkt(r, r->sut, p, buf, sizeof(buf));
	return drill_fail(r, line, "unexpected packet '%s' sent at %s (no '>' line matched it)",
	                  buf, drill_usecs(p->t, t, sizeof(t)));
}

/* Features seen in the script text that the runner cannot model. */
static int prescan(struct runner *r)
{
	const struct ptcp_drill_script *s = r->script;
	for (size_t i = 0; i < s->n_events; i++) {
		const struct ptcp_drill_event *ev = &s->events[i];
		const struct ptcp_drill_packet *pk = &ev->u.packet;
		if (ev->kind != PTCP_DRILL_EV_PACKET || pk->proto != PTCP_DRILL_TCP)
			continue;
		for (size_t k = 0; k < pk->n_options; k++) {
			if (pk->options[k].kind == PTCP_DRILL_OPT_MD5)
				return drill_unsupported(r, ev->line, "TCP MD5 option",
				                         "TCP MD5 signature option");
		}
	}
	return 0;
}

static int run_event(struct runner *r, const struct ptcp_drill_event *ev)
{
	const struct ptcp_drill_time *tm = &ev->time;
	int64_t base, lo, hi, end = 0;
	bool any = tm->kind == PTCP_DRILL_TIME_ANY;
	char text[256];
	if (tm->kind == PTCP_DRILL_TIME_ABSOLUTE)
		base = 0;
	else if (is_inbound(r->last_ev) && is_inbound(ev))
		base = r->last_event_time;
	else
		base = r->now;
	lo = any ? r->now : base + tm->usecs;
	hi = any ? r->now : (tm->range ? base + tm->end_usecs : lo);
	if (ev->kind == PTCP_DRILL_EV_SYSCALL)
		end = base + ev->u.syscall.end_usecs;
	r->ev_time = lo;
	if (r->cfg.trace) {
		ptcp_drill_format_event(ev, text, sizeof(text));
		drill_trace(r, "line %d: %s", ev->line, text);
	}
	switch (ev->kind) {
	case PTCP_DRILL_EV_PACKET:
		if (ev->u.packet.dir == PTCP_DRILL_OUT)
			return match_outbound(r, ev, lo, hi, any);
		if (r->now > lo && drill_check_time(r, ev->line, "inbound packet", lo, lo, false,
		                                    r->now, r->last_event_time))
			return -1;
		if (stack_advance(r, lo) || check_unexpected(r, ev->line, lo, false))
			return -1;
		return match_inbound(r, ev, lo);
	case PTCP_DRILL_EV_SYSCALL:
		if (r->now <= lo &&
		    (stack_advance(r, lo) || check_unexpected(r, ev->line, lo, false)))
			return -1;
		return run_syscall(r, ev, lo, end);
	case PTCP_DRILL_EV_COMMAND:
		if (r->now <= lo && stack_advance(r, lo))
			return -1;
		return env_command(r, ev->line, ev->u.text);
	case PTCP_DRILL_EV_CODE:
		if (stack_advance(r, lo))
			return -1;
		if (!r->cfg.skip_python && !r->deferred_line) {
			r->deferred_line = ev->line;
			snprintf(r->deferred_feature, sizeof(r->deferred_feature), "python");
			snprintf(r->deferred_msg, sizeof(r->deferred_msg),
			         "%%{ python }%% block (the rest of the script passed)");
		}
		return 0;
	}
	return drill_fail(r, ev->line, "unknown event");
}

static void finish(struct runner *r)
{
	const struct ptcp_drill_script *s = r->script;
	int last_line = s->n_events ? s->events[s->n_events - 1].line : 0;
	if (r->stopped)
		return;
	if (r->pending) {
		/* Upstream waits (up to a second) for a blocking call before it exits. */
		int64_t limit = r->now + DRILL_SEC(1);
		if (r->pending->blocking_form && r->pending->end + DRILL_SEC(1) > limit)
			limit = r->pending->end + DRILL_SEC(1);
		while (r->pending && !r->stopped && stack_advance_one(r, limit) == 1)
			;
		if (r->stopped)
			return;
		if (r->pending) {
			if (r->pending->count)
				drill_fail(r, r->pending->ev->line,
				           "exiting while the blocking %s() is still in progress "
				           "(%lld of %lld bytes done)",
				           r->pending->sc->name, (long long)r->pending->progress,
				           (long long)r->pending->count);
			else
				drill_fail(r, r->pending->ev->line,
				           "exiting while the blocking %s() is still in progress",
				           r->pending->sc->name);
			return;
		}
	}
	if (check_unexpected(r, last_line, 0, true))
		return;
	if (r->deferred_line) {
		drill_unsupported(r, r->deferred_line, r->deferred_feature, "%s", r->deferred_msg);
		return;
	}
}

int ptcp_drill_run_script(const struct ptcp_drill_script *script,
                          const struct ptcp_drill_run_config *cfg, struct ptcp_drill_result *res)
{
	struct runner *r = calloc(1, sizeof(*r));
	int ret;
	memset(res, 0, sizeof(*res));
	res->verdict = PTCP_DRILL_PASS;
	if (!r) {
		res->verdict = PTCP_DRILL_ERROR;
		snprintf(res->message, sizeof(res->message), "%s: out of memory", script->file);
		return -1;
	}
	r->script = script;
	r->cfg = *cfg;
	r->res = res;
	if (stack_init(r) != 0) {
		drill_fail(r, 0, "out of memory");
	} else if (apply_options(r) == 0) {
		if (prescan(r) == 0 && script->init_command)
			env_command(r, script->init_command->line, script->init_command->text);
		for (size_t i = 0; i < script->n_events && !r->stopped; i++) {
			const struct ptcp_drill_event *ev = &script->events[i];
			r->ev = ev;
			if (run_event(r, ev))
				break;
			/* The scheduled time of this event, for anchoring and tolerance. */
			r->last_event_time = r->ev_time;
			r->last_ev = ev;
		}
		finish(r);
	}
	if (r->pending)
		call_free(r->pending);
	stack_free(r);
	free(r);
	ret = res->verdict == PTCP_DRILL_PASS ? 0 : -1;
	return ret;
}

int ptcp_drill_run_file(const char *path, const struct ptcp_drill_run_config *cfg,
                        struct ptcp_drill_result *res)
{
	struct ptcp_drill_script *s;
	struct ptcp_drill_error err;
	int ret;
	if (ptcp_drill_parse_file(path, &s, &err) != 0) {
		memset(res, 0, sizeof(*res));
		res->verdict = PTCP_DRILL_ERROR;
		res->line = err.line;
		ptcp_drill_error_format(&err, res->message, sizeof(res->message));
		return -1;
	}
	ret = ptcp_drill_run_script(s, cfg, res);
	ptcp_drill_script_free(s);
	return ret;
}
