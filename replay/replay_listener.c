/*
 * ptcp-replay: fuzz_listener inputs (the connection table) recorded through
 * hooks on the table's calls.
 *
 * IMPLEMENTATION NOTES
 * The build compiles the fuzz_listener target (fuzzers/fuzz_listener.c) with
 * ptcp_table_step, ptcp_table_step_hashed, ptcp_table_unlisten,
 * ptcp_table_listen and ptcp_table_accept renamed ptcp_replay_table_*_hook: the target's own code
 * decodes the input, plays its peers and applies its own oracle (it aborts
 * on a violation), and the hooks below call the real functions and report
 * to the runner's sink (replay_int.h).
 *
 * What is recorded: every call is a step ("conn 3 send 100 -> 100",
 * "time (timers)", "listen 10.0.0.2:80 backlog 4 -> 0", ...), with the
 * state of the connection it concerns after it when that connection has a
 * block (a SYN-queue entry has none).  A segment given to the table is an
 * injected packet, built with the core's codec from the segment and its
 * src/dst addresses (the table never sees bytes: every injected packet is
 * well formed, with correct checksums; a segment the codec cannot put on
 * the wire is reported in its step instead); it is reported before the
 * real call, so that a crash in the table still shows it.  Every
 * PTCP_ACT_EMIT action of the call is an emitted packet, built the same
 * way.  Times are the virtual clock the target passes.
 *
 * The record's connection: the first one that reaches ESTABLISHED on a
 * segment (its 4-tuple is that segment's), else the first 4-tuple seen.  As
 * soon as a second 4-tuple shows up the record says multi_conn (the SVG
 * draws the record's connection only) and sequence numbers stay absolute;
 * with one connection they are relative to its ISNs.
 */
#include <stdio.h>
#include <string.h>

#include "ptcp/listener.h"
#include "replay_int.h"

/* The renamed table calls of the fuzz_listener target (replay/meson.build). */
int ptcp_replay_table_step_hook(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                                ptcp_table_actions *out);
int ptcp_replay_table_step_hashed_hook(ptcp_table *t, uint32_t hash, const ptcp_input *in,
                                       ptcp_time_t now, ptcp_table_actions *out);
int ptcp_replay_table_unlisten_hook(ptcp_table *t, uint32_t listener, ptcp_time_t now,
                                    ptcp_table_actions *out);
int ptcp_replay_table_listen_hook(ptcp_table *t, const ptcp_addr *local, uint16_t port,
                                  uint32_t backlog);
int ptcp_replay_table_accept_hook(ptcp_table *t, uint32_t listener, ptcp_handle *h);

/* A connection seen from the table's side. */
typedef struct tuple {
	ptcp_addr core, peer;
	uint16_t core_port, peer_port;
} tuple;

typedef struct lrec {
	uint64_t steps;
	uint64_t last_t;
	int have;        /* conn is set */
	int established; /* conn reached ESTABLISHED (the choice is final) */
	int multi;       /* another 4-tuple was seen */
	tuple conn;
	int role; /* PTCP_SCRIPT_SERVER: the peer sent the first SYN */
	uint32_t isn_core, isn_peer;
	int have_isn_core, have_isn_peer;
	int sent_meta; /* what the sink was told last: have, multi, isn, established */
	int sent_multi, sent_isn, sent_est;
} lrec;

static lrec L;
static uint8_t pktbuf[65536 + 128];

static int tuple_eq(const tuple *a, const tuple *b)
{
	return a->core_port == b->core_port && a->peer_port == b->peer_port &&
	       ptcp_addr_eq(&a->core, &b->core) && ptcp_addr_eq(&a->peer, &b->peer);
}

/* Tell the sink the record's connection when what it knows changed. */
static void meta(ptcp_replay_sink *k)
{
	int isn = !L.multi && L.have_isn_core && L.have_isn_peer;
	if (!L.have || (L.sent_meta && L.sent_multi == L.multi && L.sent_isn == isn &&
	                L.sent_est == L.established))
		return;
	ptcp_replay_sink_conn(k, &L.conn.core, L.conn.core_port, &L.conn.peer, L.conn.peer_port,
	                      L.role, L.isn_core, L.isn_peer, isn, L.multi);
	L.sent_meta = 1;
	L.sent_multi = L.multi;
	L.sent_isn = isn;
	L.sent_est = L.established;
}

/* A segment of tuple c went by (from the peer when in): learn connections and ISNs. */
static void learn(const tuple *c, const ptcp_seg *s, int in)
{
	if (!L.have) {
		L.conn = *c;
		L.have = 1;
		/* the core is the client when its SYN opens the connection */
		L.role = !in && (s->flags & PTCP_SYN) && !(s->flags & PTCP_ACK)
		             ? PTCP_SCRIPT_CLIENT
		             : PTCP_SCRIPT_SERVER;
	} else if (!tuple_eq(c, &L.conn)) {
		L.multi = 1;
		return;
	}
	if (!(s->flags & PTCP_SYN))
		return;
	if (in && !L.have_isn_peer) {
		L.isn_peer = s->seq;
		L.have_isn_peer = 1;
	} else if (!in && !L.have_isn_core) {
		L.isn_core = s->seq;
		L.have_isn_core = 1;
	}
}

/* The first connection that reaches ESTABLISHED on a segment becomes the record's. */
static void choose(const tuple *c, const ptcp_table_actions *out)
{
	if (L.established)
		return;
	for (size_t i = 0; i < out->n; i++) {
		const ptcp_action *a = &out->v[i];
		if (a->kind != PTCP_ACT_STATE || a->state.to != PTCP_ESTABLISHED)
			continue;
		if (L.have && !tuple_eq(c, &L.conn)) {
			/* a new choice: its ISNs are learnt from the packets that follow (the
			 * handshake's are before: absolute numbers for it) */
			L.conn = *c;
			L.multi = 1;
			L.have_isn_core = L.have_isn_peer = 0;
			L.role = a->state.from == PTCP_SYN_SENT ? PTCP_SCRIPT_CLIENT
			                                        : PTCP_SCRIPT_SERVER;
		}
		L.have = 1;
		L.established = 1;
		return;
	}
}

static void put_pkt(ptcp_replay_sink *k, uint64_t t, ptcp_replay_dir dir, const ptcp_seg *s,
                    const ptcp_addr *src, const ptcp_addr *dst, unsigned ecn, char *why,
                    size_t whycap)
{
	ptcp_ip ip;
	int n;
	memset(&ip, 0, sizeof ip);
	ip.src = *src;
	ip.dst = *dst;
	ip.ttl = 64;
	ip.tos = (uint8_t)(ecn & 3);
	ip.df = 1; /* id 0 (RFC 6864 4.1: atomic datagrams), as harness/run and the simulator */
	ip.proto = 6;
	n = ptcp_wire_build_packet(pktbuf, sizeof pktbuf, &ip, s);
	if (n < 0) {
		/* the table takes segments, not bytes: say which one the wire cannot carry */
		if (why)
			snprintf(why, whycap, " [%s segment %u>%u not representable: %s]",
			         dir == PTCP_REPLAY_IN ? "injected" : "emitted", s->sport, s->dport,
			         ptcp_strerror(n));
		return;
	}
	ptcp_replay_sink_pkt(k, t, dir, pktbuf, (size_t)n, 0, NULL);
}

static void conn_info(ptcp_table *t, ptcp_handle h, ptcp_info *info, int *has)
{
	ptcp_conn *c = h == PTCP_NO_HANDLE ? NULL : ptcp_table_conn(t, h);
	*has = c != NULL;
	if (c)
		ptcp_conn_info(c, info);
}

static const char *ret_name(int r, char *buf, size_t cap)
{
	if (r < 0)
		return ptcp_strerror(r);
	snprintf(buf, cap, "%d", r);
	return buf;
}

static void fmt_addr(const ptcp_addr *a, uint16_t port, char *buf, size_t cap)
{
	if (a->family == 4)
		snprintf(buf, cap, "%u.%u.%u.%u:%u", a->bytes[0], a->bytes[1], a->bytes[2],
		         a->bytes[3], port);
	else if (a->family == 6)
		snprintf(buf, cap, "[%x:%x:%x:...:%x]:%u", a->bytes[0] << 8 | a->bytes[1],
		         a->bytes[2] << 8 | a->bytes[3], a->bytes[4] << 8 | a->bytes[5],
		         a->bytes[14] << 8 | a->bytes[15], port);
	else
		snprintf(buf, cap, "*:%u", port);
}

/* The step's description of an application input on connection h. */
static void app_what(const ptcp_input *in, ptcp_handle h, int r, char *w, size_t cap)
{
	char rb[16], a[64], b[64];
	const char *rs = ret_name(r, rb, sizeof rb);
	switch (in->kind) {
	case PTCP_IN_CONNECT:
		fmt_addr(&in->connect.local, in->connect.lport, a, sizeof a);
		fmt_addr(&in->connect.remote, in->connect.rport, b, sizeof b);
		snprintf(w, cap, "connect %s -> %s%s (%zu bytes) -> %s%s", a, b,
		         in->connect.tfo ? " fast open" : "", in->connect.len,
		         r >= 0 ? "conn " : "", rs);
		return;
	case PTCP_IN_SEND:
		snprintf(w, cap, "conn %u send %zu%s -> %s", h, in->send.len,
		         (in->send.flags & PTCP_SEND_MORE) ? " more" : "", rs);
		return;
	case PTCP_IN_READ:
		snprintf(w, cap, "conn %u read %zu%s -> %s", h, in->read.len,
		         in->read.buf ? "" : " (discard)", rs);
		return;
	case PTCP_IN_SHUTDOWN:
		snprintf(w, cap, "conn %u shutdown %d -> %s", h, in->shutdown.how, rs);
		return;
	case PTCP_IN_CLOSE:
		snprintf(w, cap, "conn %u close -> %s", h, rs);
		return;
	case PTCP_IN_ABORT:
		snprintf(w, cap, "conn %u abort -> %s", h, rs);
		return;
	case PTCP_IN_ICMP:
		snprintf(w, cap, "conn %u icmp %s mtu=%lu seq=%lu -> %s", h,
		         ptcp_replay_icmp_name(in->icmp.type), (unsigned long)in->icmp.mtu,
		         (unsigned long)in->icmp.seq, rs);
		return;
	case PTCP_IN_TIME:
		if (h == PTCP_NO_HANDLE)
			snprintf(w, cap, "time (timers) -> %s", rs);
		else
			snprintf(w, cap, "conn %u time -> %s", h, rs);
		return;
	default:
		snprintf(w, cap, "conn %u input %d -> %s", h, (int)in->kind, rs);
		return;
	}
}

/* The emitted segments of a call, then its step. */
static void finish(ptcp_replay_sink *k, ptcp_table *t, uint64_t now, const ptcp_table_actions *out,
                   const char *what, ptcp_handle info_h)
{
	char w[384], why[96] = "";
	ptcp_info info;
	int has = 0;
	for (size_t i = 0; out && i < out->n && i < out->cap; i++) {
		const ptcp_action *a = &out->v[i];
		tuple c;
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		c.core = a->emit.src;
		c.peer = a->emit.dst;
		c.core_port = a->emit.seg.sport;
		c.peer_port = a->emit.seg.dport;
		learn(&c, &a->emit.seg, 0);
		put_pkt(k, now, PTCP_REPLAY_OUT, &a->emit.seg, &a->emit.src, &a->emit.dst,
		        a->emit.ecn, why[0] ? NULL : why, sizeof why);
	}
	meta(k);
	conn_info(t, info_h, &info, &has);
	snprintf(w, sizeof w, "%s%s", what, why);
	ptcp_replay_sink_step(k, now, L.steps++, w, has ? &info : NULL);
	L.last_t = now;
}

/* The real step: ptcp_table_step, or ptcp_table_step_hashed with *hash. */
static int real_step(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                     ptcp_table_actions *out, const uint32_t *hash)
{
	return hash ? ptcp_table_step_hashed(t, *hash, in, now, out)
	            : ptcp_table_step(t, h, in, now, out);
}

static int step_hook(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                     ptcp_table_actions *out, const uint32_t *hash)
{
	ptcp_replay_sink *k = ptcp_replay_cur_sink();
	char what[256], why[96] = "";
	int r;
	if (!k)
		return real_step(t, h, in, now, out, hash);
	ptcp_replay_sink_crash_point(k);
	if (in && in->kind == PTCP_IN_SEGMENT && in->segment.seg) {
		const ptcp_seg *s = in->segment.seg;
		tuple c;
		ptcp_tuple key;
		ptcp_handle found;
		c.core = in->segment.dst;
		c.peer = in->segment.src;
		c.core_port = s->dport;
		c.peer_port = s->sport;
		learn(&c, s, 1);
		put_pkt(k, now, PTCP_REPLAY_IN, s, &in->segment.src, &in->segment.dst,
		        in->segment.ecn, why, sizeof why);
		r = real_step(t, h, in, now, out, hash);
		choose(&c, out);
		/* the connection the segment concerns, when it has a block */
		memset(&key, 0, sizeof key);
		key.laddr = c.core;
		key.raddr = c.peer;
		key.lport = c.core_port;
		key.rport = c.peer_port;
		found = ptcp_table_lookup(t, &key);
		if (found != PTCP_NO_HANDLE)
			snprintf(what, sizeof what, "table: conn %u%s", found, why);
		else
			snprintf(what, sizeof what, "table: no connection block%s", why);
		finish(k, t, now, out, what, found);
		return r;
	}
	r = real_step(t, h, in, now, out, hash);
	if (in)
		app_what(in, h, r, what, sizeof what);
	else
		snprintf(what, sizeof what, "no input -> %d", r);
	finish(k, t, now, out, what,
	       in && in->kind == PTCP_IN_CONNECT && r >= 0 ? (ptcp_handle)r : h);
	return r;
}

int ptcp_replay_table_step_hook(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                                ptcp_table_actions *out)
{
	return step_hook(t, h, in, now, out, NULL);
}

int ptcp_replay_table_step_hashed_hook(ptcp_table *t, uint32_t hash, const ptcp_input *in,
                                       ptcp_time_t now, ptcp_table_actions *out)
{
	return step_hook(t, PTCP_NO_HANDLE, in, now, out, &hash);
}

int ptcp_replay_table_unlisten_hook(ptcp_table *t, uint32_t listener, ptcp_time_t now,
                                    ptcp_table_actions *out)
{
	ptcp_replay_sink *k = ptcp_replay_cur_sink();
	char what[256], rb[16];
	int r;
	if (!k)
		return ptcp_table_unlisten(t, listener, now, out);
	ptcp_replay_sink_crash_point(k);
	r = ptcp_table_unlisten(t, listener, now, out);
	snprintf(what, sizeof what, "unlisten listener %lu -> %s", (unsigned long)listener,
	         ret_name(r, rb, sizeof rb));
	finish(k, t, now, r == 0 ? out : NULL, what, PTCP_NO_HANDLE);
	return r;
}

int ptcp_replay_table_listen_hook(ptcp_table *t, const ptcp_addr *local, uint16_t port,
                                  uint32_t backlog)
{
	ptcp_replay_sink *k = ptcp_replay_cur_sink();
	char what[256], rb[16], a[64];
	int r;
	if (!k)
		return ptcp_table_listen(t, local, port, backlog);
	ptcp_replay_sink_crash_point(k);
	r = ptcp_table_listen(t, local, port, backlog);
	fmt_addr(local, port, a, sizeof a);
	snprintf(what, sizeof what, "listen %s backlog %lu -> %s%s", a, (unsigned long)backlog,
	         r >= 0 ? "listener " : "", ret_name(r, rb, sizeof rb));
	/* no time argument: the time of the last call */
	finish(k, t, L.last_t, NULL, what, PTCP_NO_HANDLE);
	return r;
}

int ptcp_replay_table_accept_hook(ptcp_table *t, uint32_t listener, ptcp_handle *h)
{
	ptcp_replay_sink *k = ptcp_replay_cur_sink();
	char what[256], rb[16];
	int r;
	if (!k)
		return ptcp_table_accept(t, listener, h);
	ptcp_replay_sink_crash_point(k);
	r = ptcp_table_accept(t, listener, h);
	if (r == 0)
		snprintf(what, sizeof what, "accept listener %lu -> conn %u",
		         (unsigned long)listener, *h);
	else
		snprintf(what, sizeof what, "accept listener %lu -> %s", (unsigned long)listener,
		         ret_name(r, rb, sizeof rb));
	finish(k, t, L.last_t, NULL, what, r == 0 ? *h : PTCP_NO_HANDLE);
	return r;
}
