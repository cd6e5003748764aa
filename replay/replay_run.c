/*
 * ptcp-replay: re-running an input with the checks of the target that found
 * the failure, recorded into a ptcp_replay_rec.
 *
 * IMPLEMENTATION NOTES
 * Event scripts and fuzz_conn inputs run through harness/run (ptcp_run_exec,
 * the same runner and oracles the fuzzer and the property tests use) with
 * an observer that records every injected and emitted packet and every
 * step.  fuzz_wire inputs run through the fuzz_wire target's own code
 * (fuzzers/fuzz_wire.c, compiled in with its entry point renamed), which
 * aborts on a violation.
 *
 * The run normally happens in a child process (fork) that streams what it
 * observes to the parent over a pipe: when the core crashes (a sanitizer
 * report, a segfault, an abort), the parent still has everything up to the
 * crash, and the crash becomes the verdict (with the key line of the
 * child's stderr).  Both modes record through the same messages.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"
#include "replay_int.h"
#include "run.h"

/* The fuzz targets' LLVMFuzzerTestOneInput, renamed by the build (oracles.def). */
#define PTCP_REPLAY_ORACLE(n, passed, packets)                                                     \
	int ptcp_replay_##n##_oracle(const uint8_t *, size_t);
#include "oracles.def"
#undef PTCP_REPLAY_ORACLE

static const ptcp_replay_oracle oracles[] = {
#define PTCP_REPLAY_ORACLE(n, passed, packets) {#n, ptcp_replay_##n##_oracle, passed, packets},
#include "oracles.def"
#undef PTCP_REPLAY_ORACLE
};
#define NORACLES (sizeof oracles / sizeof oracles[0])

static const char *const target_names[PTCP_REPLAY_TARGET_COUNT] = {
    "auto", "script", "fuzz_conn", "fuzz_wire", "fuzz_drill", "sim", "fuzz_sim"};

/* Targets past PTCP_REPLAY_TARGET_COUNT are oracles[t - PTCP_REPLAY_TARGET_COUNT]. */
const char *ptcp_replay_target_name(ptcp_replay_target t)
{
	if ((unsigned)t < PTCP_REPLAY_TARGET_COUNT)
		return target_names[t];
	if ((unsigned)t - PTCP_REPLAY_TARGET_COUNT < NORACLES)
		return oracles[t - PTCP_REPLAY_TARGET_COUNT].name;
	return "?";
}

int ptcp_replay_target_parse(const char *name)
{
	for (int i = 0; i < PTCP_REPLAY_TARGET_COUNT; i++)
		if (strcmp(name, target_names[i]) == 0)
			return i;
	for (size_t i = 0; i < NORACLES; i++)
		if (strcmp(name, oracles[i].name) == 0)
			return PTCP_REPLAY_TARGET_COUNT + (int)i;
	return -1;
}

const ptcp_replay_oracle *ptcp_replay_oracle_of(ptcp_replay_target t)
{
	const char *n = ptcp_replay_target_name(t);
	for (size_t i = 0; i < NORACLES; i++)
		if (strcmp(n, oracles[i].name) == 0)
			return &oracles[i];
	return NULL;
}

void ptcp_replay_target_list(char *buf, size_t cap)
{
	size_t l = 0;
	buf[0] = 0;
	for (int i = 1; i < PTCP_REPLAY_TARGET_COUNT + (int)NORACLES; i++) {
		const char *n = ptcp_replay_target_name((ptcp_replay_target)i);
		if (i >= PTCP_REPLAY_TARGET_COUNT && ptcp_replay_target_parse(n) != i)
			continue; /* built in already */
		if (l < cap)
			l += (size_t)snprintf(buf + l, cap - l, "%s%s", l ? ", " : "", n);
	}
}

static int oracle_target(ptcp_replay_target t)
{
	return ptcp_replay_oracle_of(t) != NULL;
}

/* ---- Detection ------------------------------------------------------------ */
static int is_text(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((d[i] >= 0x20 && d[i] < 0x7f) || d[i] == '\n' || d[i] == '\t' ||
		      d[i] == '\r'))
			return 0;
	return n > 0;
}

static int has(const uint8_t *d, size_t n, const char *w)
{
	size_t k = strlen(w);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(d + i, w, k) == 0)
			return 1;
	return 0;
}

int ptcp_replay_capture_magic(const uint8_t *d, size_t n)
{
	static const uint8_t m[5][4] = {{0xa1, 0xb2, 0xc3, 0xd4},
	                                {0xd4, 0xc3, 0xb2, 0xa1},
	                                {0xa1, 0xb2, 0x3c, 0x4d},
	                                {0x4d, 0x3c, 0xb2, 0xa1},
	                                {0x0a, 0x0d, 0x0d, 0x0a}};
	for (int i = 0; n >= 4 && i < 5; i++)
		if (memcmp(d, m[i], 4) == 0)
			return 1;
	return 0;
}

int ptcp_replay_detect(const uint8_t *d, size_t n, const char *name, char *why, size_t cap)
{
	if (n == 0) {
		snprintf(why, cap, "empty input (give --target fuzz_conn or fuzz_wire)");
		return -1;
	}
	if (ptcp_replay_capture_magic(d, n)) {
		snprintf(why, cap,
		         "a pcap/pcapng capture: use --import to turn it into a scenario");
		return -1;
	}
	if (name && strstr(name, "fuzz_sim")) {
		snprintf(why, cap, "the name says fuzz_sim (a fuzz_sim input)");
		return PTCP_REPLAY_FUZZ_SIM;
	}
	/* binary inputs nothing in their bytes tells apart: by the name (corpus/<target>/...) */
	if (name && strstr(name, "fuzz_listener") &&
	    ptcp_replay_target_parse("fuzz_listener") > 0) {
		snprintf(why, cap, "the name says fuzz_listener (a fuzz_listener input)");
		return ptcp_replay_target_parse("fuzz_listener");
	}
	if (is_text(d, n) && ptcp_replay_is_sim_scenario(d, n)) {
		snprintf(why, cap, "a ptcp-sim command line (a simulator scenario)");
		return PTCP_REPLAY_SIM;
	}
	if (is_text(d, n)) {
		ptcp_script s;
		ptcp_script_error e;
		int r = ptcp_script_parse_text(name, (const char *)d, n, &s, &e);
		if (r == 0) {
			ptcp_script_free(&s);
			snprintf(why, cap, "a text event script");
			return PTCP_REPLAY_SCRIPT;
		}
		if (has(d, n, "socket(") || has(d, n, "accept(") || has(d, n, "connect(") ||
		    has(d, n, "bind(")) {
			snprintf(why, cap, "a packetdrill script (system calls)");
			return PTCP_REPLAY_FUZZ_DRILL;
		}
		if (r == PTCP_SCRIPT_ESYNTAX) {
			char m[256];
			ptcp_script_error_format(&e, m, sizeof m);
			snprintf(why, cap, "text, but not an event script: %s", m);
		} else {
			snprintf(why, cap, "out of memory");
		}
		return -1;
	}
	if ((d[0] >> 4) == 4 && n >= 20 && (d[0] & 15) >= 5 && ((size_t)d[2] << 8 | d[3]) <= n &&
	    ((size_t)d[2] << 8 | d[3]) >= 20) {
		snprintf(why, cap, "an IPv4 packet (version 4, total length %u of %zu bytes)",
		         (unsigned)(d[2] << 8 | d[3]), n);
		return PTCP_REPLAY_FUZZ_WIRE;
	}
	if ((d[0] >> 4) == 6 && n >= 40 && ((size_t)d[4] << 8 | d[5]) + 40 <= n) {
		snprintf(why, cap, "an IPv6 packet (payload length %u of %zu bytes)",
		         (unsigned)(d[4] << 8 | d[5]), n);
		return PTCP_REPLAY_FUZZ_WIRE;
	}
	snprintf(why, cap, "binary, not an IP packet: a fuzz_conn input");
	return PTCP_REPLAY_FUZZ_CONN;
}

/* ---- Messages from the run to the record ---------------------------------------- */
enum { OP_META = 1, OP_PKT, OP_STEP, OP_FAIL, OP_END, OP_NOTE };

struct msg_meta {
	ptcp_addr local, peer;
	uint16_t local_port, peer_port;
	uint32_t isn_local, isn_peer;
	uint8_t role, have_isn, multi_conn;
};

struct msg_pkt {
	uint64_t t;
	uint8_t dir, dropped;
	char label[40];
};

struct msg_step {
	uint64_t t;
	uint32_t event;
	uint8_t has_info;
	ptcp_info info;
	char what[128];
};

struct msg_end {
	int ran;
};

typedef struct ptcp_replay_sink {
	int fd;               /* >= 0: the child's end of the pipe */
	ptcp_replay_rec *rec; /* else: record directly */
	int oom;
	const ptcp_script *s; /* the scenario being run (for ICMP packets) */
	unsigned long crash_at, steps;
	/* the packets a step emitted, held until the step is known (an ICMP
	 * error's packet goes before them) */
	uint8_t *held;
	size_t held_len, held_cap;
	uint64_t held_t;
	/* the child side's view, for the crash report */
	size_t last_event;
	uint64_t last_t;
} sink;

static void apply(ptcp_replay_rec *r, unsigned op, const uint8_t *p, size_t len)
{
	switch (op) {
	case OP_META: {
		struct msg_meta m;
		if (len < sizeof m)
			return;
		memcpy(&m, p, sizeof m);
		r->local = m.local;
		r->peer = m.peer;
		r->local_port = m.local_port;
		r->peer_port = m.peer_port;
		r->isn_local = m.isn_local;
		r->isn_peer = m.isn_peer;
		r->role = m.role;
		r->have_isn = m.have_isn;
		r->multi_conn = m.multi_conn;
		r->have_conn = 1;
		return;
	}
	case OP_NOTE: {
		size_t k = len < sizeof r->note - 1 ? len : sizeof r->note - 1;
		memcpy(r->note, p, k);
		r->note[k] = 0;
		return;
	}
	case OP_PKT: {
		struct msg_pkt m;
		if (len < sizeof m)
			return;
		memcpy(&m, p, sizeof m);
		if (ptcp_replay_add_pkt(r, m.t, m.dir, p + sizeof m, len - sizeof m, m.dropped) ==
		    0)
			memcpy(r->pkt[r->npkt - 1].label, m.label, sizeof m.label);
		return;
	}
	case OP_STEP: {
		struct msg_step m;
		ptcp_replay_step *s;
		if (len < sizeof m)
			return;
		memcpy(&m, p, sizeof m);
		s = ptcp_replay_add_step(r, m.t, m.event);
		if (!s)
			return;
		s->has_info = m.has_info;
		s->info = m.info;
		memcpy(s->what, m.what, sizeof s->what);
		s->what[sizeof s->what - 1] = 0;
		return;
	}
	case OP_FAIL: {
		char m[640];
		size_t k = len < sizeof m - 1 ? len : sizeof m - 1;
		memcpy(m, p, k);
		m[k] = 0;
		ptcp_replay_rec_fail(r, m);
		return;
	}
	case OP_END: {
		struct msg_end m;
		if (len < sizeof m)
			return;
		memcpy(&m, p, sizeof m);
		r->ran = m.ran;
		if (!r->failed && len > sizeof m) {
			size_t k = len - sizeof m;
			if (k > sizeof r->verdict - 1)
				k = sizeof r->verdict - 1;
			memcpy(r->verdict, p + sizeof m, k);
			r->verdict[k] = 0;
		}
		return;
	}
	default:
		return;
	}
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		len -= (size_t)k;
	}
}

static void send_op(sink *k, unsigned op, const void *a, size_t alen, const void *b, size_t blen)
{
	if (k->fd >= 0) {
		uint32_t h[2] = {op, (uint32_t)(alen + blen)};
		write_all(k->fd, h, sizeof h);
		write_all(k->fd, a, alen);
		if (blen)
			write_all(k->fd, b, blen);
		return;
	}
	uint8_t *p = malloc(alen + blen + 1);
	if (!p) {
		k->oom = 1;
		return;
	}
	memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	apply(k->rec, op, p, alen + blen);
	free(p);
}

static void sink_meta(sink *k, const ptcp_script *s, int have_isn)
{
	struct msg_meta m;
	memset(&m, 0, sizeof m);
	m.local = s->local_addr;
	m.peer = s->peer_addr;
	m.local_port = s->local_port;
	m.peer_port = s->peer_port;
	m.isn_local = s->isn_local;
	m.isn_peer = s->isn_peer;
	m.role = (uint8_t)s->role;
	m.have_isn = (uint8_t)have_isn;
	send_op(k, OP_META, &m, sizeof m, NULL, 0);
}

static void sink_pkt(sink *k, uint64_t t, int dir, const uint8_t *d, size_t len, int dropped,
                     const char *label)
{
	struct msg_pkt m;
	memset(&m, 0, sizeof m);
	m.t = t;
	m.dir = (uint8_t)dir;
	m.dropped = (uint8_t)dropped;
	if (label)
		snprintf(m.label, sizeof m.label, "%s", label);
	send_op(k, OP_PKT, &m, sizeof m, d, len);
}

static void sink_step(sink *k, uint64_t t, size_t event, const char *what, const ptcp_info *info)
{
	struct msg_step m;
	memset(&m, 0, sizeof m);
	m.t = t;
	m.event = (uint32_t)event;
	if (info) {
		m.has_info = 1;
		m.info = *info;
	}
	snprintf(m.what, sizeof m.what, "%s", what);
	k->last_event = event;
	k->last_t = t;
	send_op(k, OP_STEP, &m, sizeof m, NULL, 0);
}

static void sink_fail(sink *k, const char *msg)
{
	send_op(k, OP_FAIL, msg, strlen(msg), NULL, 0);
}

static void sink_end(sink *k, int ran, const char *verdict)
{
	struct msg_end m = {ran};
	send_op(k, OP_END, &m, sizeof m, verdict, strlen(verdict));
}

/* ---- For the targets' recorders (replay_int.h) ------------------------------------ */
static sink *cur_sink;

ptcp_replay_sink *ptcp_replay_cur_sink(void)
{
	return cur_sink;
}

void ptcp_replay_sink_conn(ptcp_replay_sink *k, const ptcp_addr *local, uint16_t local_port,
                           const ptcp_addr *peer, uint16_t peer_port, int role, uint32_t isn_local,
                           uint32_t isn_peer, int have_isn, int multi_conn)
{
	struct msg_meta m;
	memset(&m, 0, sizeof m);
	m.local = *local;
	m.peer = *peer;
	m.local_port = local_port;
	m.peer_port = peer_port;
	m.isn_local = isn_local;
	m.isn_peer = isn_peer;
	m.role = (uint8_t)role;
	m.have_isn = (uint8_t)have_isn;
	m.multi_conn = (uint8_t)multi_conn;
	send_op(k, OP_META, &m, sizeof m, NULL, 0);
}

void ptcp_replay_sink_pkt(ptcp_replay_sink *k, uint64_t t, ptcp_replay_dir dir, const uint8_t *d,
                          size_t len, int dropped, const char *label)
{
	sink_pkt(k, t, (int)dir, d, len, dropped, label);
}

void ptcp_replay_sink_step(ptcp_replay_sink *k, uint64_t t, size_t event, const char *what,
                           const ptcp_info *info)
{
	sink_step(k, t, event, what, info);
}

void ptcp_replay_sink_crash_point(ptcp_replay_sink *k)
{
	/* for the tests: PTCP_REPLAY_CRASH_AT=N kills the child at its Nth step */
	if (k->fd >= 0 && k->crash_at && ++k->steps == k->crash_at)
		raise(SIGSEGV);
}

void ptcp_replay_sink_fail(ptcp_replay_sink *k, const char *msg)
{
	sink_fail(k, msg);
}

void ptcp_replay_sink_note(ptcp_replay_sink *k, const char *note)
{
	send_op(k, OP_NOTE, note, strlen(note), NULL, 0);
}

/* ---- The script runner's observer ------------------------------------------------- */
static void step_what(const ptcp_run_note *n, char *buf, size_t cap)
{
	char t[1024];
	if (n->timer) {
		snprintf(buf, cap, "time (timer)");
		return;
	}
	if (!n->ev) {
		snprintf(buf, cap, "time (drain)");
		return;
	}
	switch (n->ev->kind) {
	case PTCP_SCRIPT_SEGMENT:
	case PTCP_SCRIPT_RAW:
		snprintf(buf, cap, "<");
		return;
	case PTCP_SCRIPT_ICMP:
		/* the mtu only where the packet carries one */
		if (n->ev->icmp.type == PTCP_ICMP_FRAG_NEEDED)
			snprintf(t, sizeof t, "icmp %s mtu=%lu seq=%lu",
			         ptcp_replay_icmp_name(n->ev->icmp.type),
			         (unsigned long)n->ev->icmp.mtu, (unsigned long)n->ev->icmp.seq);
		else
			snprintf(t, sizeof t, "icmp %s seq=%lu",
			         ptcp_replay_icmp_name(n->ev->icmp.type),
			         (unsigned long)n->ev->icmp.seq);
		break;
	case PTCP_SCRIPT_SEND:
		if (n->ev->send.data) {
			snprintf(t, sizeof t, "send %lu (given bytes)%s",
			         (unsigned long)n->ev->send.len, n->ev->send.more ? " more" : "");
			break;
		}
		ptcp_script_format_event(n->ev, t, sizeof t);
		break;
	default:
		ptcp_script_format_event(n->ev, t, sizeof t);
		break;
	}
	if (n->ev->kind >= PTCP_SCRIPT_CONNECT && n->ev->kind <= PTCP_SCRIPT_ABORT) {
		const char *e = n->ret < 0 ? ptcp_script_err_name(n->ret) : NULL;
		size_t l = strlen(t);
		if (e)
			snprintf(t + l, sizeof t - l, " -> %s", e);
		else
			snprintf(t + l, sizeof t - l, " -> %d", n->ret);
	}
	if (strlen(t) >= cap && cap > 4)
		memcpy(t + cap - 4, "...", 4);
	snprintf(buf, cap, "%s", t);
}

/* Hold an emitted packet (u32 length, bytes) until its step is reported. */
static void hold(sink *k, const uint8_t *p, size_t len, uint64_t t)
{
	uint32_t l = (uint32_t)len;
	if (k->held_len + 4 + len > k->held_cap) {
		size_t c = (k->held_cap + 4 + len) * 2;
		uint8_t *nb = realloc(k->held, c);
		if (!nb) {
			k->oom = 1;
			return;
		}
		k->held = nb;
		k->held_cap = c;
	}
	memcpy(k->held + k->held_len, &l, 4);
	memcpy(k->held + k->held_len + 4, p, len);
	k->held_len += 4 + len;
	k->held_t = t;
}

static void release(sink *k)
{
	size_t off = 0;
	while (off + 4 <= k->held_len) {
		uint32_t l;
		memcpy(&l, k->held + off, 4);
		sink_pkt(k, k->held_t, PTCP_REPLAY_OUT, k->held + off + 4, l, 0, NULL);
		off += 4 + l;
	}
	k->held_len = 0;
}

static void observe(void *arg, const ptcp_run_note *n)
{
	sink *k = arg;
	char what[128], m[700];
	switch (n->kind) {
	case PTCP_RUN_NOTE_PACKET_IN:
		sink_pkt(k, n->time, PTCP_REPLAY_IN, n->pkt, n->len, 0, NULL);
		if (n->err) {
			/* the codec dropped it: no step follows */
			snprintf(what, sizeof what, "dropped by the codec: %s",
			         ptcp_strerror(n->err));
			sink_step(k, n->time, n->event, what, NULL);
		}
		return;
	case PTCP_RUN_NOTE_PACKET_OUT:
		hold(k, n->pkt, n->len, n->time);
		return;
	case PTCP_RUN_NOTE_STEP:
		/* for the tests: PTCP_REPLAY_CRASH_AT=N kills the child process at its
		 * Nth step, as a core crash would */
		if (k->fd >= 0 && k->crash_at && ++k->steps == k->crash_at)
			raise(SIGSEGV);
		if (n->input && n->input->kind == PTCP_IN_ICMP && k->s) {
			/* the ICMP error as the packet it stands for */
			uint8_t pkt[128];
			const ptcp_script *s = k->s;
			int len = ptcp_replay_icmp_build(pkt, sizeof pkt, &s->local_addr,
			                                 s->local_port, &s->peer_addr, s->peer_port,
			                                 (unsigned)n->input->icmp.type,
			                                 n->input->icmp.mtu, n->input->icmp.seq);
			if (len > 0)
				sink_pkt(k, n->time, PTCP_REPLAY_IN, pkt, (size_t)len, 0, NULL);
		}
		release(k);
		step_what(n, what, sizeof what);
		sink_step(k, n->time, n->event, what, n->info);
		return;
	case PTCP_RUN_NOTE_FAIL: {
		char l[32] = "";
		if (n->line)
			snprintf(l, sizeof l, " (line %u)", n->line);
		snprintf(m, sizeof m, "event %zu%s at %llu.%06llu s: %s", n->event, l,
		         (unsigned long long)(n->time / 1000000u),
		         (unsigned long long)(n->time % 1000000u), n->msg ? n->msg : "?");
		release(k);
		sink_fail(k, m);
		return;
	}
	default:
		return;
	}
}

/* Prepare the scenario and the run configuration of an input. */
static int prepare(ptcp_replay_target t, const uint8_t *data, size_t len, const char *name,
                   const ptcp_replay_opts *o, ptcp_script *s, ptcp_run_config *cfg, char *err,
                   size_t errcap)
{
	ptcp_run_config_default(cfg);
	if (t == PTCP_REPLAY_FUZZ_CONN) {
		if (ptcp_run_fuzz_prepare(data, len, s, cfg) != 0) {
			snprintf(err, errcap, "out of memory");
			return -1;
		}
		return 0;
	}
	ptcp_script_error e;
	int r = ptcp_script_parse_text(name, (const char *)data, len, s, &e);
	if (r == PTCP_SCRIPT_ESYNTAX) {
		char m[256];
		ptcp_script_error_format(&e, m, sizeof m);
		snprintf(err, errcap, "not an event script: %s", m);
		return -1;
	}
	if (r) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	cfg->flags = o->run_flags;
	cfg->drain = o->drain;
	return 0;
}

static void run_script(const ptcp_script *s, ptcp_run_config *cfg, sink *k)
{
	ptcp_run *run = ptcp_run_new();
	ptcp_run_result res;
	char v[700];
	if (!run) {
		sink_fail(k, "out of memory");
		sink_end(k, 0, "out of memory");
		return;
	}
	cfg->observe = observe;
	cfg->arg = k;
	k->s = s;
	sink_meta(k, s, 1);
	ptcp_run_exec(run, s, cfg, &res);
	if (res.status == PTCP_RUN_PASS)
		snprintf(v, sizeof v,
		         "passed: %zu events, %llu steps (%llu timers), %llu packets in, %llu out, "
		         "final state %s%s",
		         res.events, (unsigned long long)res.steps, (unsigned long long)res.timers,
		         (unsigned long long)res.pkts_in, (unsigned long long)res.pkts_out,
		         ptcp_state_name(res.state), res.truncated ? " (stopped by a limit)" : "");
	else
		ptcp_run_result_format(&res, v, sizeof v);
	if (res.status != PTCP_RUN_PASS && res.status != PTCP_RUN_FAIL)
		sink_fail(k, v); /* invalid configuration, out of memory */
	release(k);
	sink_end(k, res.status == PTCP_RUN_PASS || res.status == PTCP_RUN_FAIL, v);
	free(k->held);
	k->held = NULL;
	ptcp_run_free(run);
}

/* fuzz_wire: the packet, and its rebuild when it parses; the oracle in the child. */
static void wire_rec(const uint8_t *data, size_t len, ptcp_replay_rec *rec)
{
	static uint8_t out[65536 + 128];
	ptcp_ip ip;
	ptcp_seg seg;
	ptcp_replay_step *s;
	const uint8_t *l4;
	size_t l4len;
	int r = ptcp_wire_parse_packet(data, len, &ip, &seg);
	if (ptcp_wire_parse_ip(data, len, &ip, &l4, &l4len) == 0 && l4len >= 4) {
		rec->peer = ip.src;
		rec->local = ip.dst;
		rec->peer_port = (uint16_t)(l4[0] << 8 | l4[1]);
		rec->local_port = (uint16_t)(l4[2] << 8 | l4[3]);
		rec->role = PTCP_SCRIPT_SERVER;
		rec->have_conn = 1;
	}
	rec->attach_next = 0;
	s = ptcp_replay_add_step(rec, 0, 0);
	if (s)
		snprintf(s->what, sizeof s->what, "fuzz_wire: ptcp_wire_parse_packet -> %s",
		         r ? ptcp_strerror(r) : "ok");
	ptcp_replay_add_pkt(rec, 0, PTCP_REPLAY_IN, data, len, 0);
	if (r == 0) {
		ptcp_ip ip2 = ip;
		int n = ptcp_wire_build_packet(out, sizeof out, &ip2, &seg);
		if (n > 0 && ptcp_replay_add_pkt(rec, 1, PTCP_REPLAY_IN, out, (size_t)n, 0) == 0)
			snprintf(rec->pkt[rec->npkt - 1].label, sizeof rec->pkt[0].label,
			         "rebuilt by the codec");
	}
}

/* ---- The child process ---------------------------------------------------------- */
static const char *key_line(const char *buf, char *out, size_t cap)
{
	static const char *const keys[] = {"fuzz_wire:",     "ERROR: AddressSanitizer",
	                                   "runtime error:", "ERROR: LeakSanitizer",
	                                   "SUMMARY:",       "Assertion",
	                                   "fuzz_sim:",      "ptcp-sim:",
	                                   "fuzz_listener:"};
	const char *best = NULL;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !best; i++)
		best = strstr(buf, keys[i]);
	if (!best) {
		/* the last non-empty line */
		const char *e = buf + strlen(buf);
		while (e > buf && (e[-1] == '\n' || e[-1] == '\r'))
			e--;
		best = e;
		while (best > buf && best[-1] != '\n')
			best--;
	} else {
		while (best > buf && best[-1] != '\n')
			best--;
	}
	size_t k = strcspn(best, "\n");
	if (k >= cap)
		k = cap - 1;
	memcpy(out, best, k);
	out[k] = 0;
	return out;
}

static int child_run(ptcp_replay_target t, const uint8_t *data, size_t len, ptcp_script *s,
                     ptcp_run_config *cfg, ptcp_replay_rec *rec, const ptcp_replay_opts *o,
                     char *err, size_t errcap)
{
	int ops[2], errp[2];
	pid_t pid;
	uint8_t *buf = NULL;
	size_t blen = 0, bcap = 0;
	char ebuf[16384];
	size_t elen = 0;
	int status = 0, got_end = 0;

	(void)o;
	if (pipe(ops) || pipe(errp)) {
		snprintf(err, errcap, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errcap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sink k = {.fd = ops[1]};
		close(ops[0]);
		close(errp[0]);
		dup2(errp[1], 2);
		close(errp[1]);
		signal(SIGPIPE, SIG_IGN);
		if (getenv("PTCP_REPLAY_CRASH_AT"))
			k.crash_at = strtoul(getenv("PTCP_REPLAY_CRASH_AT"), NULL, 10);
		cur_sink = &k;
		if (oracle_target(t)) {
			const ptcp_replay_oracle *orc = ptcp_replay_oracle_of(t);
			orc->run(data, len);
			sink_end(&k, 1, orc->passed);
		} else if (t == PTCP_REPLAY_SIM) {
			/* ptcp-sim prints its summary: to the parent's stderr reader */
			dup2(2, 1);
			int st = ptcp_replay_sim_cmdline(data, len);
			fflush(NULL);
			if (st == 2)
				_exit(3); /* a bad scenario: ptcp-sim said why on stderr */
			/* the verdict came through the observer (fail) and the note */
			sink_end(&k, 1,
			         st == 0 ? "passed: the simulator's checks (stream integrity, "
			                   "invariant checker, liveness) hold"
			                 : "failed");
		} else {
			run_script(s, cfg, &k);
		}
		close(ops[1]);
		_exit(0);
	}
	close(ops[1]);
	close(errp[1]);
	ebuf[0] = 0;
	for (int open = 2; open > 0;) {
		struct pollfd p[2] = {{ops[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && p[0].fd >= 0) {
			if (blen + 65536 > bcap) {
				uint8_t *nb = realloc(buf, bcap * 2 + 65536);
				if (!nb)
					break;
				buf = nb;
				bcap = bcap * 2 + 65536;
			}
			ssize_t k = read(ops[0], buf + blen, bcap - blen);
			if (k <= 0) {
				close(ops[0]);
				ops[0] = -1;
				open--;
			} else {
				blen += (size_t)k;
				/* apply the complete messages */
				size_t off = 0;
				while (blen - off >= 8) {
					uint32_t h[2];
					memcpy(h, buf + off, sizeof h);
					if (blen - off - 8 < h[1])
						break;
					apply(rec, h[0], buf + off + 8, h[1]);
					if (h[0] == OP_END)
						got_end = 1;
					off += 8 + h[1];
				}
				memmove(buf, buf + off, blen - off);
				blen -= off;
			}
		}
		if (p[1].revents && p[1].fd >= 0) {
			char tmp[4096];
			ssize_t k = read(errp[0], tmp, sizeof tmp);
			if (k <= 0) {
				close(errp[0]);
				errp[0] = -1;
				open--;
			} else if (elen < sizeof ebuf - 1) {
				size_t c = (size_t)k < sizeof ebuf - 1 - elen
				               ? (size_t)k
				               : sizeof ebuf - 1 - elen;
				memcpy(ebuf + elen, tmp, c);
				elen += c;
				ebuf[elen] = 0;
			}
		}
	}
	if (ops[0] >= 0)
		close(ops[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	free(buf);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (t == PTCP_REPLAY_SIM && WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		char line[400];
		key_line(ebuf, line, sizeof line);
		snprintf(err, errcap, "not a ptcp-sim scenario: %s", line);
		return -1;
	}
	if (!got_end || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[400], m[640];
		uint64_t tl = rec->nstep ? rec->step[rec->nstep - 1].t : 0;
		key_line(ebuf, line, sizeof line);
		if (WIFSIGNALED(status))
			snprintf(m, sizeof m, "%s with signal %d (%s)%s%s",
			         /* a sanitizer's report ends in abort() too: that is a crash */
			         oracle_target(t) && WTERMSIG(status) == SIGABRT &&
			                 !strstr(ebuf, "Sanitizer")
			             ? "the oracle aborted"
			             : "crashed",
			         WTERMSIG(status), strsignal(WTERMSIG(status)), line[0] ? ": " : "",
			         line);
		else
			snprintf(m, sizeof m, "the run exited with status %d%s%s",
			         WIFEXITED(status) ? WEXITSTATUS(status) : -1, line[0] ? ": " : "",
			         line);
		if (!oracle_target(t) && s && rec->nstep) {
			size_t next = rec->step[rec->nstep - 1].event + 1;
			char ev[200] = "";
			if (next < s->n)
				ptcp_script_format_event(&s->ev[next], ev, sizeof ev);
			size_t l = strlen(m);
			snprintf(m + l, sizeof m - l, " (after event %zu; next event %zu%s%s%s)",
			         next - 1, next, ev[0] ? ": \"" : "", ev, ev[0] ? "\"" : "");
		}
		ptcp_replay_rec_fail(rec, m);
		if (rec->fail_next) {
			/* the step of the packets reported last (the next event's) */
			uint32_t evn = rec->nstep ? rec->step[rec->nstep - 1].event + 1 : 0;
			if (rec->npkt && rec->pkt[rec->npkt - 1].t > tl)
				tl = rec->pkt[rec->npkt - 1].t;
			ptcp_replay_step *st =
			    ptcp_replay_add_step(rec, tl, oracle_target(t) ? 0 : evn);
			if (st)
				snprintf(st->what, sizeof st->what, "%s",
				         oracle_target(t) ? "the oracle" : "crashed in this step");
		}
		rec->ran = 1;
	}
	return 0;
}

/* Append src's steps and packets to dst (for the scenario a fuzz_drill input is). */
static int rec_append(ptcp_replay_rec *dst, const ptcp_replay_rec *src)
{
	size_t base = dst->nstep;
	for (size_t i = 0; i < src->nstep; i++) {
		ptcp_replay_step *s = ptcp_replay_add_step(dst, src->step[i].t, src->step[i].event);
		if (!s)
			return -1;
		*s = src->step[i];
		s->failed = 0;
	}
	for (size_t i = 0; i < src->npkt; i++) {
		const ptcp_replay_pkt *p = &src->pkt[i];
		if (ptcp_replay_add_pkt(dst, p->t, (ptcp_replay_dir)p->dir, p->data, p->len,
		                        p->dropped))
			return -1;
		dst->pkt[dst->npkt - 1].step = (uint32_t)(base + p->step);
		memcpy(dst->pkt[dst->npkt - 1].label, p->label, sizeof p->label);
	}
	return 0;
}

/*
 * fuzz_drill: the target's own oracle (the parsers) decides; when the text is
 * an event script, its run against the core is recorded too (the packets),
 * with its outcome as a note.
 */
static int drill_run(const uint8_t *data, size_t len, const char *name, const ptcp_replay_opts *o,
                     ptcp_replay_rec *rec, char *err, size_t errcap)
{
	ptcp_replay_step *st;
	ptcp_script s;
	ptcp_script_error e;
	int is_script = 0;
	rec->attach_next = 0;
	st = ptcp_replay_add_step(rec, 0, 0);
	if (st)
		snprintf(st->what, sizeof st->what,
		         "fuzz_drill: the packetdrill and event-script parsers");
	if (child_run(PTCP_REPLAY_FUZZ_DRILL, data, len, NULL, NULL, rec, o, err, errcap))
		return -1;
	if (!rec->failed && ptcp_script_parse_text(name, (const char *)data, len, &s, &e) == 0) {
		ptcp_run_config cfg;
		ptcp_replay_rec sub;
		is_script = 1;
		ptcp_replay_rec_init(&sub);
		ptcp_run_config_default(&cfg);
		cfg.flags = o->run_flags;
		cfg.drain = o->drain;
		if (child_run(PTCP_REPLAY_SCRIPT, data, len, &s, &cfg, &sub, o, err, errcap) == 0) {
			rec_append(rec, &sub);
			rec->local = sub.local;
			rec->peer = sub.peer;
			rec->local_port = sub.local_port;
			rec->peer_port = sub.peer_port;
			rec->isn_local = sub.isn_local;
			rec->isn_peer = sub.isn_peer;
			rec->role = sub.role;
			rec->have_isn = sub.have_isn;
			rec->have_conn = sub.have_conn;
			snprintf(rec->note, sizeof rec->note,
			         "the input is also an event script; its run: %s%.500s",
			         sub.failed ? "FAILED: " : "", sub.verdict);
		}
		ptcp_replay_rec_free(&sub);
		ptcp_script_free(&s);
	}
	if (!is_script && !rec->failed)
		snprintf(
		    rec->note, sizeof rec->note,
		    "no packets: the input is not an event script (a packetdrill script's run "
		    "cannot be recorded: the packetdrill runner, harness/drill/drill_run.h, has "
		    "no packet observer)");
	return 0;
}

/*
 * sim: a ptcp-sim command line (one run: the simulator's packet observer
 * records it, replay_sim.c), or the event script ptcp-sim records of
 * connection 0's client (ptcp-sim ... --trace FILE), replayed as the
 * sim-trace-replay test does (strict: every emitted segment expected).
 */
static int sim_run(const uint8_t *data, size_t len, const char *name, const ptcp_replay_opts *o,
                   ptcp_replay_rec *rec, char *err, size_t errcap)
{
	ptcp_replay_opts so = *o;
	ptcp_script s;
	ptcp_script_error e;
	int script = !ptcp_replay_is_sim_scenario(data, len) &&
	             ptcp_script_parse_text(name, (const char *)data, len, &s, &e) == 0;
	if (script && s.n == 0) {
		/* comments only: nothing to replay either way */
		ptcp_script_free(&s);
		script = 0;
	}
	if (!script) {
		char m[400];
		if (ptcp_replay_sim_scenario_check(data, len, m, sizeof m)) {
			snprintf(err, errcap,
			         "sim: not a ptcp-sim scenario: %s (give a ptcp-sim command line, "
			         "e.g. \"ptcp-sim --seed 16 --bytes 1m --loss 2\", or the event "
			         "script ptcp-sim --trace records)",
			         m);
			return -1;
		}
		rec->attach_next = 1;
		return child_run(PTCP_REPLAY_SIM, data, len, NULL, NULL, rec, o, err, errcap);
	}
	ptcp_script_free(&s);
	so.run_flags |= PTCP_RUN_F_STRICT;
	if (ptcp_replay_run(PTCP_REPLAY_SCRIPT, data, len, name, &so, rec, err, errcap))
		return -1;
	snprintf(rec->target, sizeof rec->target, "sim");
	snprintf(rec->note, sizeof rec->note,
	         "the event script ptcp-sim recorded: the client of connection 0 (its packets "
	         "as it sent and received them); give the ptcp-sim command line instead for "
	         "both ends and the network's drops");
	return 0;
}

int ptcp_replay_run(ptcp_replay_target t, const uint8_t *data, size_t len, const char *name,
                    const ptcp_replay_opts *o, ptcp_replay_rec *rec, char *err, size_t errcap)
{
	ptcp_script s;
	ptcp_run_config cfg;
	int rc;
	snprintf(rec->target, sizeof rec->target, "%s", ptcp_replay_target_name(t));
	switch (t) {
	case PTCP_REPLAY_FUZZ_WIRE:
		wire_rec(data, len, rec);
		rec->attach_next = 0;
		return child_run(t, data, len, NULL, NULL, rec, o, err, errcap);
	case PTCP_REPLAY_SCRIPT:
	case PTCP_REPLAY_FUZZ_CONN:
		break;
	case PTCP_REPLAY_FUZZ_DRILL:
		return drill_run(data, len, name, o, rec, err, errcap);
	case PTCP_REPLAY_SIM:
		return sim_run(data, len, name, o, rec, err, errcap);
	case PTCP_REPLAY_FUZZ_SIM:
		return child_run(t, data, len, NULL, NULL, rec, o, err, errcap);
	default:
		if (oracle_target(t)) {
			/* a fuzz target known by its oracle only (oracles.def) */
			const ptcp_replay_oracle *orc = ptcp_replay_oracle_of(t);
			rc = child_run(t, data, len, NULL, NULL, rec, o, err, errcap);
			if (!orc->packets && !rec->note[0])
				snprintf(
				    rec->note, sizeof rec->note,
				    "no packets: ptcp-replay has no recorder for %s (its verdict "
				    "and crash report are its own oracle's)",
				    orc->name);
			return rc;
		}
		snprintf(err, errcap, "unknown target");
		return -1;
	}
	if (prepare(t, data, len, name, o, &s, &cfg, err, errcap))
		return -1;
	if (o->fork) {
		rc = child_run(t, data, len, &s, &cfg, rec, o, err, errcap);
	} else {
		sink k = {.fd = -1, .rec = rec};
		run_script(&s, &cfg, &k);
		rc = 0;
		if (k.oom) {
			snprintf(err, errcap, "out of memory");
			rc = -1;
		}
	}
	ptcp_script_free(&s);
	return rc;
}
