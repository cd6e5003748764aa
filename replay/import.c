/*
 * ptcp-replay --import: one TCP connection of a capture as the event script
 * that replays the peer's side against the core.
 *
 * IMPLEMENTATION NOTES
 * libpcap reads pcap and pcapng (pcap_open_offline).  Link types: Ethernet
 * (VLAN tags skipped), raw IP, IPv4, IPv6, BSD loopback, Linux cooked v1/v2.
 * Frames shorter on disk than on the wire, or than their IP/TCP headers,
 * are skipped and counted as truncated; non-IP, non-TCP and fragments as
 * not TCP.
 *
 * Which end is the core: the source of --flow; else, in a capture written
 * by ptcp-replay, the end whose frames carry PTCP_REPLAY_MAC_CORE; else the
 * end that sent the first SYN.  The role is client when the core sent the
 * first SYN, else server.  ISNs are the SYNs' sequence numbers.
 *
 * The script:
 *   header   role, ISNs, addresses; configuration from the core's SYN (MSS,
 *            window scale, SACK-permitted, timestamps with the offset its
 *            TSval implies, ECN) and its first window (receive buffer), or
 *            all of it from --header; a send buffer that holds the stream;
 *   '<'      every peer segment, relative, with its payload when it is not
 *            the script pattern; a segment the codec rejects (bad checksum,
 *            bad options, malformed) as a raw event, byte for byte;
 *   '>'      every core segment, flags, seq, ack and length exact, window and
 *            options '*' (they depend on buffers and clocks the capture
 *            does not show);
 *   app      inferred: connect / listen first; before the first core
 *            segment carrying new data, a send up to the next PSH boundary
 *            (the core sets PSH when a segment empties its send buffer, so
 *            the application had written exactly that much); close (or
 *            shutdown wr when the peer's data is still accepted afterwards)
 *            before the core's FIN; abort before a RST nothing provoked; a
 *            read of everything after the peer segment that delivered data
 *            when a later window of the core is larger than it could be
 *            without one.
 * Timer-driven segments need no event: the runner fires the core's timers
 * when an expect line's time passes them.
 */
#define _DEFAULT_SOURCE /* u_int, u_char for pcap.h under -std=c11 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "run.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

typedef struct fpkt {
	uint64_t t;
	uint8_t out;    /* sent by the core */
	uint8_t parsed; /* seg valid (checksum ignored) */
	uint8_t good;   /* the codec accepts it as it is (checksum included) */
	uint8_t ecn;
	uint32_t len;
	uint8_t *ip; /* the IP packet */
	ptcp_ip iph;
	ptcp_seg seg; /* payload points into ip */
	uint16_t sport, dport;
	uint8_t tuple; /* addresses and ports known */
	uint8_t mac;   /* 1: core's marker MAC as source, 2: peer's, 0: none */
	uint8_t is_icmp;
	ptcp_replay_icmp ic; /* an ICMP error quoting a TCP segment */
} fpkt;

typedef struct endpoint {
	ptcp_addr a;
	uint16_t port;
} endpoint;

static int ep_eq(const endpoint *x, const ptcp_addr *a, uint16_t port)
{
	return x->port == port && ptcp_addr_eq(&x->a, a);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* "10.0.0.1:40000" or "[fd00::1]:80" */
static int parse_ep(const char *s, size_t n, endpoint *e)
{
	char buf[80];
	const char *colon;
	char *end;
	unsigned long port;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(e, 0, sizeof *e);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = 0;
		if (inet_pton(AF_INET6, buf + 1, e->a.bytes) != 1)
			return -1;
		e->a.family = 6;
		colon = close + 1;
	} else {
		char *c = strrchr(buf, ':');
		if (!c)
			return -1;
		*c = 0;
		if (inet_pton(AF_INET, buf, e->a.bytes) != 1)
			return -1;
		e->a.family = 4;
		colon = c;
	}
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return -1;
	e->port = (uint16_t)port;
	return 0;
}

static int parse_flow(const char *s, endpoint *core, endpoint *peer)
{
	/* split at the '-' that follows a port */
	for (const char *p = s; *p; p++)
		if (*p == '-' && p > s && p[-1] >= '0' && p[-1] <= '9' &&
		    parse_ep(s, (size_t)(p - s), core) == 0 &&
		    parse_ep(p + 1, strlen(p + 1), peer) == 0)
			return core->a.family == peer->a.family ? 0 : -1;
	return -1;
}

static void fmt_ep(char *b, size_t cap, const ptcp_addr *a, uint16_t port)
{
	char s[64];
	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, s, sizeof s);
	if (a->family == 6)
		snprintf(b, cap, "[%s]:%u", s, port);
	else
		snprintf(b, cap, "%s:%u", s, port);
}

/* The IP packet inside a frame; NULL when the link header says it is not IP. */
static const uint8_t *link_strip(int dlt, const uint8_t *f, size_t n, size_t *len, int *mac)
{
	static const uint8_t core[6] = PTCP_REPLAY_MAC_CORE, peer[6] = PTCP_REPLAY_MAC_PEER;
	size_t off;
	unsigned type;
	*mac = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return NULL;
		if (memcmp(f + 6, core, 6) == 0)
			*mac = 1;
		else if (memcmp(f + 6, peer, 6) == 0)
			*mac = 2;
		type = get16(f + 12);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8) && n >= off + 4) {
			type = get16(f + off + 2);
			off += 4;
		}
		if (type != 0x0800 && type != 0x86dd)
			return NULL;
		break;
	case DLT_RAW:
#if defined(DLT_RAW) && DLT_RAW != 14
	case 14:
#endif
	case 101:
	case DLT_IPV4:
	case DLT_IPV6:
		off = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		off = 4;
		break;
	case DLT_LINUX_SLL:
		if (n < 16 || (get16(f + 14) != 0x0800 && get16(f + 14) != 0x86dd))
			return NULL;
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20 || (get16(f) != 0x0800 && get16(f) != 0x86dd))
			return NULL;
		off = 20;
		break;
	default:
		return NULL;
	}
	if (n < off)
		return NULL;
	*len = n - off;
	return f + off;
}

static int dlt_known(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_RAW || dlt == 14 || dlt == 101 || dlt == DLT_IPV4 ||
	       dlt == DLT_IPV6 || dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_LINUX_SLL ||
	       dlt == DLT_LINUX_SLL2;
}

/* ---- The event list being built ------------------------------------------------- */
typedef struct ev {
	uint64_t t;
	ptcp_script_event e;
	uint8_t input;    /* an input event (not an expect line) */
	uint8_t opens;    /* a peer segment that acknowledged new data or opened its window */
	uint8_t inferred; /* an application call the capture does not show (may be moved) */
} ev;

typedef struct build {
	ev *v;
	size_t n, cap;
	int oom;
} build;

static ptcp_script_event *ins(build *b, size_t pos, ptcp_script_kind kind, uint64_t t)
{
	if (b->n == b->cap) {
		size_t c = b->cap ? b->cap * 2 : 256;
		ev *nv = realloc(b->v, c * sizeof *nv);
		if (!nv) {
			b->oom = 1;
			return NULL;
		}
		b->v = nv;
		b->cap = c;
	}
	if (pos > b->n)
		pos = b->n;
	memmove(b->v + pos + 1, b->v + pos, (b->n - pos) * sizeof *b->v);
	b->n++;
	memset(&b->v[pos], 0, sizeof b->v[pos]);
	b->v[pos].t = t;
	b->v[pos].e.kind = kind;
	b->v[pos].input = !ptcp_script_is_expect(kind);
	b->v[pos].inferred = kind == PTCP_SCRIPT_SEND || kind == PTCP_SCRIPT_READ ||
	                     kind == PTCP_SCRIPT_SHUTDOWN || kind == PTCP_SCRIPT_CLOSE ||
	                     kind == PTCP_SCRIPT_ABORT;
	return &b->v[pos].e;
}

static ptcp_script_event *push(build *b, ptcp_script_kind kind, uint64_t t)
{
	return ins(b, b->n, kind, t);
}

static void build_free(build *b)
{
	for (size_t i = 0; i < b->n; i++)
		ptcp_script_event_clear(&b->v[i].e);
	free(b->v);
	memset(b, 0, sizeof *b);
}

/* ---- Reading the capture ---------------------------------------------------------- */
typedef struct cap {
	fpkt *p;
	size_t n, cap;
} cap;

static void cap_free(cap *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->p[i].ip);
	free(c->p);
}

static int read_capture(const char *path, cap *c, ptcp_replay_import_stats *st, char *err,
                        size_t errcap)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	struct pcap_pkthdr *h;
	const u_char *d;
	int r, dlt;

	eb[0] = 0;
	pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, eb);
	if (!pc) {
		snprintf(err, errcap, "not a pcap or pcapng capture (libpcap: %s)", eb);
		return -1;
	}
	dlt = pcap_datalink(pc);
	st->linktype = dlt;
	if (!dlt_known(dlt)) {
		snprintf(err, errcap, "link type %d (%s) has no IP packets this tool can read", dlt,
		         pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		pcap_close(pc);
		return -1;
	}
	while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
		const uint8_t *ipb;
		size_t iplen = 0;
		int mac, is_icmp;
		ptcp_replay_icmp ic;
		fpkt *p;
		ptcp_ip ip;
		const uint8_t *l4;
		size_t l4len;
		int e;
		st->frames++;
		if (h->caplen < h->len) {
			st->truncated++;
			continue;
		}
		ipb = link_strip(dlt, d, h->caplen, &iplen, &mac);
		if (!ipb) {
			st->non_tcp++;
			continue;
		}
		e = ptcp_wire_parse_ip(ipb, iplen, &ip, &l4, &l4len);
		is_icmp = e == PTCP_ENOTTCP && ptcp_replay_icmp_parse(ipb, iplen, &ic) == 0;
		if (is_icmp) {
			/* kept: an ICMP error about a TCP segment */
		} else if ((e == 0 && l4len < PTCP_TCP_HDR_MIN) || e == PTCP_ESHORT) {
			if (mac != 2) {
				st->truncated++;
				continue;
			}
		} else if (e != 0 && mac != 2) {
			st->non_tcp++;
			continue;
		}
		if (c->n == c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 1024;
			fpkt *np = realloc(c->p, nc * sizeof *np);
			if (!np) {
				snprintf(err, errcap, "out of memory");
				pcap_close(pc);
				return -1;
			}
			c->p = np;
			c->cap = nc;
		}
		p = &c->p[c->n];
		memset(p, 0, sizeof *p);
		p->ip = malloc(iplen ? iplen : 1);
		if (!p->ip) {
			snprintf(err, errcap, "out of memory");
			pcap_close(pc);
			return -1;
		}
		memcpy(p->ip, ipb, iplen);
		p->len = (uint32_t)iplen;
		p->t = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		p->mac = (uint8_t)mac;
		c->n++;
		if (is_icmp) {
			p->is_icmp = 1;
			p->ic = ic;
			continue;
		}
		if (e == 0 && l4len >= PTCP_TCP_HDR_MIN) {
			/* re-point into our copy */
			ptcp_ip ip2;
			ptcp_wire_parse_ip(p->ip, iplen, &ip2, &l4, &l4len);
			p->iph = ip2;
			p->ecn = ip2.tos & 3u;
			p->tuple = 1;
			p->sport = get16(l4);
			p->dport = get16(l4 + 2);
			p->parsed = ptcp_wire_parse_tcp(l4, l4len, NULL, NULL, 0, &p->seg) == 0;
			p->good = ptcp_wire_parse_packet(p->ip, iplen, &ip2, &p->seg) == 0;
			if (!p->good && p->parsed)
				ptcp_wire_parse_tcp(l4, l4len, NULL, NULL, 0, &p->seg);
			st->tcp++;
		}
	}
	if (r == PCAP_ERROR) {
		snprintf(err, errcap, "the capture is damaged after %lu frames (libpcap: %s)",
		         st->frames, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
}

/* ---- Building the script ----------------------------------------------------------- */
typedef struct ctx {
	ptcp_script *s;
	build b;
	fpkt **f; /* the connection's packets */
	size_t nf;
	uint64_t tbase; /* subtracted from capture times */
	/* the core's send stream */
	uint8_t *stream;
	uint8_t *known;
	uint32_t stream_len;
	uint32_t app_total; /* bytes the application wrote: the stream, and one more when its
	                       last segment has no PSH (more data was waiting) */
	uint32_t *psh;      /* PSH boundaries, ascending */
	size_t npsh;
	uint32_t app_sent;
	uint32_t peer_acked; /* stream bytes the peer acknowledged */
	uint16_t peer_wnd;   /* the peer's last window field */
	int peer_wnd_ok;
	int closed, aborted;
	int synced; /* the core sent a segment after its SYN */
	int strict; /* compare windows too (a capture written by ptcp-replay) */
	/* the core's receive side */
	uint8_t ws_core; /* the shift of the core's windows */
	uint32_t rcvbuf;
	uint64_t read_total; /* bytes the inserted reads took (estimated) */
	uint32_t edge;       /* the right edge the core announced (relative) */
	int edge_ok;
	int have_peer_fin;
	uint32_t peer_fin; /* relative seq of the peer's FIN */
} ctx;

static uint64_t T(const ctx *c, const fpkt *p)
{
	return p->t - c->tbase;
}

/* The position of the last input event at time t (the step that emitted a segment at t). */
static long trigger(const ctx *c, uint64_t t)
{
	for (size_t i = c->b.n; i-- > 0;) {
		if (c->b.v[i].t != t)
			return -1;
		if (c->b.v[i].input)
			return (long)i;
	}
	return -1;
}

static int pattern_ok(const uint8_t *d, uint32_t off, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (d[k] != ptcp_script_pattern(off + (uint32_t)k))
			return 0;
	return 1;
}

/* Sends at pos up to stream offset upto; returns the position after them. */
static size_t add_send(ctx *c, size_t pos, uint64_t t, uint32_t upto)
{
	while (c->app_sent < upto && !c->b.oom) {
		uint32_t n = upto - c->app_sent;
		ptcp_script_event *e;
		if (n > PTCP_SCRIPT_IO_MAX)
			n = PTCP_SCRIPT_IO_MAX;
		e = ins(&c->b, pos++, PTCP_SCRIPT_SEND, t);
		if (!e)
			return pos;
		e->send.len = n;
		int pat = 1;
		for (uint32_t k = 0; k < n && pat; k++) {
			uint32_t o = c->app_sent + k;
			if (o < c->stream_len && c->known[o] &&
			    c->stream[o] != ptcp_script_pattern(o))
				pat = 0;
		}
		if (!pat) {
			e->send.data = malloc(n);
			if (!e->send.data) {
				c->b.oom = 1;
				return pos;
			}
			for (uint32_t k = 0; k < n; k++) {
				uint32_t o = c->app_sent + k;
				e->send.data[k] = o < c->stream_len && c->known[o]
				                      ? c->stream[o]
				                      : ptcp_script_pattern(o);
			}
		}
		c->app_sent += n;
	}
	return pos;
}

/* After the core's FIN at time t: does the peer still send data the core accepts? */
static int peer_talks_after(const ctx *c, size_t from)
{
	int data = 0;
	for (size_t i = from; i < c->nf; i++) {
		const fpkt *p = c->f[i];
		if (!p->parsed)
			continue;
		if (p->out && (p->seg.flags & PTCP_RST))
			return 0;
		if (!p->out && ptcp_seg_len(&p->seg))
			data = 1;
	}
	return data;
}

/* In-order stream bytes the core had received when it sent g (its ACK). */
static uint32_t delivered_at(const ctx *c, const ptcp_seg *g)
{
	uint32_t rcv_nxt = g->ack - c->s->isn_peer, d;
	if (!(g->flags & PTCP_ACK))
		return (uint32_t)c->read_total;
	d = rcv_nxt ? rcv_nxt - 1 : 0;
	if (c->have_peer_fin && ptcp_seq_gt(rcv_nxt, c->peer_fin))
		d--;
	return d > (1u << 30) ? 0 : d;
}

static void core_segment(ctx *c, size_t idx)
{
	const fpkt *p = c->f[idx];
	const ptcp_seg *g = &p->seg;
	uint64_t t = T(c, p);
	long trig = trigger(c, t);
	size_t pos = c->b.n;
	uint32_t rel = g->seq - c->s->isn_local;
	size_t len = ptcp_seg_len(g);
	ptcp_script_event *e;

	/* new data: the application wrote it */
	if (!(g->flags & PTCP_SYN) && len && rel >= 1) {
		uint32_t end = rel - 1 + (uint32_t)len;
		if (end > c->app_sent) {
			uint32_t upto = c->app_total;
			for (size_t k = 0; k < c->npsh; k++)
				if (c->psh[k] >= end) {
					upto = c->psh[k];
					break;
				}
			if (upto < end)
				upto = end;
			/* data and FIN in one segment sent by a peer segment that opened the
			 * window: queued (and closed) before that step */
			int before = (g->flags & PTCP_FIN) && trig >= 0 && c->b.v[trig].opens;
			size_t from = before ? (size_t)trig : pos;
			pos = add_send(c, from, t, upto);
			/* the close follows at once: MSG_MORE held the last piece for the FIN */
			if ((g->flags & PTCP_FIN) && !before && pos > from &&
			    c->b.v[pos - 1].e.kind == PTCP_SCRIPT_SEND && !c->closed)
				c->b.v[pos - 1].e.send.more = 1;
		}
	}
	if ((g->flags & PTCP_FIN) && !c->closed && !c->aborted) {
		/* a close with unread data resets (RFC 1122 4.2.2.13): it was all read */
		uint32_t delivered = delivered_at(c, g);
		if (delivered > c->read_total) {
			e = ins(&c->b, pos++, PTCP_SCRIPT_READ, t);
			if (e)
				e->read.len = delivered - (uint32_t)c->read_total;
			c->read_total = delivered;
		}
		if (peer_talks_after(c, idx + 1)) {
			e = ins(&c->b, pos, PTCP_SCRIPT_SHUTDOWN, t);
			if (e)
				e->shutdown.how = PTCP_SHUT_WR;
		} else {
			ins(&c->b, pos, PTCP_SCRIPT_CLOSE, t);
		}
		c->closed = 1;
	}
	if ((g->flags & PTCP_RST) && trig < 0 && !c->aborted) {
		push(&c->b, PTCP_SCRIPT_ABORT, t);
		c->aborted = 1;
	}
	/* the expect line */
	e = push(&c->b, PTCP_SCRIPT_EXPECT_SEG, t);
	if (!e)
		return;
	if (ptcp_script_seg_from_ptcp(c->s, g, PTCP_SCRIPT_OUT, 0, &e->seg) != 0) {
		/* options the codec cannot lay out: leave them to the wildcard */
		memset(&e->seg, 0, sizeof e->seg);
		e->seg.flags = g->flags;
		e->seg.seq = g->seq - c->s->isn_local;
		e->seg.ack = g->ack - c->s->isn_peer;
		e->seg.len = (uint32_t)len;
		e->seg.reserved = g->reserved & 15u;
		e->seg.urp = g->urp;
	}
	e->seg.ecn = p->ecn;
	e->seg.wild = PTCP_SCRIPT_WILD_WIN | PTCP_SCRIPT_WILD_OPTS;
	e->seg.win = 0;
	e->seg.opt_len = 0;
	memset(e->seg.opt, 0, sizeof e->seg.opt);
	if (!(g->flags & PTCP_ACK))
		e->seg.ack = 0;
}

/* Payload bytes of an input event (a peer segment), 0 for the others. */
static uint32_t ev_payload(const ev *v)
{
	if (v->e.kind == PTCP_SCRIPT_SEGMENT)
		return v->e.seg.len;
	return 0;
}

/*
 * Does the core's window say that the application read?  Then add a read of
 * everything after the last peer segment with data before the step that
 * emitted this segment (the application read what had arrived).
 */
static void infer_read(ctx *c, const fpkt *p)
{
	const ptcp_seg *g = &p->seg;
	uint32_t rcv_nxt, delivered, w, held, unread, max_free;
	if ((g->flags & (PTCP_SYN | PTCP_RST)) || !(g->flags & PTCP_ACK) || !c->rcvbuf)
		return;
	rcv_nxt = g->ack - c->s->isn_peer; /* relative: 1 + data (+1 after the FIN) */
	delivered = delivered_at(c, g);
	w = (uint32_t)g->wnd << c->ws_core;
	held = c->edge_ok && ptcp_seq_gt(c->edge, rcv_nxt) ? c->edge - rcv_nxt : 0;
	unread = delivered > c->read_total ? delivered - (uint32_t)c->read_total : 0;
	max_free = c->rcvbuf > unread ? c->rcvbuf - unread : 0;
	if (held > max_free)
		max_free = held;
	if (w > max_free + (1u << c->ws_core)) {
		long trig = trigger(c, T(c, p));
		long at = trig >= 0 ? trig : (long)c->b.n;
		uint32_t fresh = trig >= 0 ? ev_payload(&c->b.v[trig]) : 0;
		/* the last peer segment with data before the step */
		while (--at >= 0 && !ev_payload(&c->b.v[at]))
			;
		if (at >= 0) {
			size_t pos = (size_t)at + 1;
			ptcp_script_event *e;
			/* after what already follows it at that time */
			while (pos < c->b.n && pos < (size_t)(trig >= 0 ? trig : (long)c->b.n) &&
			       c->b.v[pos].t == c->b.v[at].t && !ev_payload(&c->b.v[pos]) &&
			       c->b.v[pos].e.kind != PTCP_SCRIPT_SEGMENT &&
			       c->b.v[pos].e.kind != PTCP_SCRIPT_RAW)
				pos++;
			e = ins(&c->b, pos, PTCP_SCRIPT_READ, c->b.v[at].t);
			if (e)
				e->read.len =
				    c->rcvbuf < PTCP_SCRIPT_IO_MAX ? c->rcvbuf : PTCP_SCRIPT_IO_MAX;
			c->read_total = delivered > fresh ? delivered - fresh : 0;
		}
	}
	if (!c->edge_ok || ptcp_seq_gt(rcv_nxt + w, c->edge)) {
		c->edge = rcv_nxt + w;
		c->edge_ok = 1;
	}
}

static void peer_segment(ctx *c, const fpkt *p, ptcp_replay_import_stats *st)
{
	uint64_t t = T(c, p);
	ptcp_script_event *e;
	if (p->good) {
		const ptcp_seg *g = &p->seg;
		size_t len = ptcp_seg_len(g);
		uint32_t rel = g->seq - c->s->isn_peer;
		int pat = pattern_ok(g->payload, rel - 1 + ((g->flags & PTCP_SYN) ? 1u : 0u), len);
		e = push(&c->b, PTCP_SCRIPT_SEGMENT, t);
		if (!e)
			return;
		if (ptcp_script_seg_from_ptcp(c->s, g, PTCP_SCRIPT_IN, !pat, &e->seg) == 0) {
			e->seg.ecn = p->ecn;
			if ((g->flags & PTCP_FIN) && !c->have_peer_fin) {
				c->have_peer_fin = 1;
				c->peer_fin =
				    rel + (uint32_t)len + ((g->flags & PTCP_SYN) ? 1u : 0u);
			}
			if (g->flags & PTCP_ACK) {
				uint32_t a = g->ack - c->s->isn_local;
				if (a > 1 && a - 1 > c->peer_acked && a - 1 <= c->app_sent) {
					c->peer_acked = a - 1;
					c->b.v[c->b.n - 1].opens = 1;
				}
				if (c->peer_wnd_ok && g->wnd > c->peer_wnd)
					c->b.v[c->b.n - 1].opens = 1;
				c->peer_wnd = g->wnd;
				c->peer_wnd_ok = 1;
			}
			return;
		}
		ptcp_script_event_clear(e);
		c->b.n--; /* not representable as fields: raw below */
	}
	e = push(&c->b, PTCP_SCRIPT_RAW, t);
	if (!e)
		return;
	e->raw.len = p->len > PTCP_SCRIPT_RAW_MAX ? PTCP_SCRIPT_RAW_MAX : p->len;
	e->raw.data = e->raw.len ? malloc(e->raw.len) : NULL;
	if (e->raw.len && !e->raw.data) {
		c->b.oom = 1;
		return;
	}
	if (e->raw.len)
		memcpy(e->raw.data, p->ip, e->raw.len);
	st->raw++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The core's stream: bytes, length, PSH boundaries. */
static int gather_stream(ctx *c, char *err, size_t errcap)
{
	uint32_t total = 0;
	size_t np = 0;
	for (size_t i = 0; i < c->nf; i++) {
		const fpkt *p = c->f[i];
		uint32_t rel;
		size_t len;
		if (!p->out || !p->parsed || (p->seg.flags & PTCP_SYN))
			continue;
		len = ptcp_seg_len(&p->seg);
		rel = p->seg.seq - c->s->isn_local;
		if (!len || rel < 1 || rel - 1 > (1u << 30))
			continue;
		if (rel - 1 + len > total)
			total = rel - 1 + (uint32_t)len;
		np += (p->seg.flags & PTCP_PSH) != 0;
	}
	if (total > (1u << 24)) {
		snprintf(err, errcap,
		         "the core sends %lu bytes in this connection: more than an event script's "
		         "send buffer (16 MiB)",
		         (unsigned long)total);
		return -1;
	}
	c->stream_len = total;
	c->app_total = total;
	for (size_t i = 0; i < c->nf; i++) {
		const fpkt *p = c->f[i];
		uint32_t rel;
		size_t len;
		if (!p->out || !p->parsed || (p->seg.flags & PTCP_SYN))
			continue;
		len = ptcp_seg_len(&p->seg);
		rel = p->seg.seq - c->s->isn_local;
		if (len && rel >= 1 && rel - 1 + len == total)
			c->app_total = total + ((p->seg.flags & (PTCP_PSH | PTCP_FIN)) ? 0u : 1u);
	}
	c->stream = calloc(total + 1, 1);
	c->known = calloc(total + 1, 1);
	c->psh = calloc(np + 1, sizeof *c->psh);
	if (!c->stream || !c->known || !c->psh) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < c->nf; i++) {
		const fpkt *p = c->f[i];
		uint32_t rel;
		size_t len;
		if (!p->out || !p->parsed || (p->seg.flags & PTCP_SYN))
			continue;
		len = ptcp_seg_len(&p->seg);
		rel = p->seg.seq - c->s->isn_local;
		if (!len || rel < 1 || rel - 1 + len > total)
			continue;
		memcpy(c->stream + rel - 1, p->seg.payload, len);
		memset(c->known + rel - 1, 1, len);
		if (p->seg.flags & PTCP_PSH)
			c->psh[c->npsh++] = rel - 1 + (uint32_t)len;
	}
	qsort(c->psh, c->npsh, sizeof *c->psh, cmp_u32);
	return 0;
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;
	while (p < v && p < (1u << 24))
		p <<= 1;
	return p;
}

static void infer_config(ctx *c, const fpkt *syn_core, const fpkt *syn_peer,
                         const ptcp_script *header)
{
	ptcp_script_config *cfg = &c->s->cfg;
	const ptcp_tcp_opts *o = &syn_core->seg.opts;
	int ws_both = (o->present & PTCP_OPT_WSCALE) && syn_peer &&
	              (syn_peer->seg.opts.present & PTCP_OPT_WSCALE);
	if (header) {
		*cfg = header->cfg;
	} else {
		ptcp_script_config_default(cfg);
		cfg->flags &= ~(uint32_t)(PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK |
		                          PTCP_CFG_ECN);
		if (o->present & PTCP_OPT_TS) {
			cfg->flags |= PTCP_CFG_TIMESTAMPS;
			cfg->ts_offset = o->ts_val - (uint32_t)(T(c, syn_core) / 1000u);
		}
		if (o->present & PTCP_OPT_WSCALE) {
			cfg->flags |= PTCP_CFG_WSCALE;
			cfg->wscale = o->wscale > 14 ? 14 : o->wscale;
		}
		if (o->present & PTCP_OPT_SACK_PERM)
			cfg->flags |= PTCP_CFG_SACK;
		if ((syn_core->seg.flags & PTCP_ECE) &&
		    ((syn_core->seg.flags & PTCP_CWR) || (syn_core->seg.flags & PTCP_ACK)))
			cfg->flags |= PTCP_CFG_ECN;
		cfg->mss = (o->present & PTCP_OPT_MSS) && o->mss ? o->mss : 536;
		/* the receive buffer: the SYN's window when it is not capped, else the
		 * first later window, scaled */
		cfg->rcvbuf = syn_core->seg.wnd ? syn_core->seg.wnd : 65536;
		/* capped: 65535, or (ptcp) 65535 rounded down to the window scale */
		if (syn_core->seg.wnd == 65535 ||
		    (ws_both && syn_core->seg.wnd == (65535u & ~((1u << cfg->wscale) - 1u)))) {
			cfg->rcvbuf = 65536;
			for (size_t i = 0; i < c->nf; i++) {
				const fpkt *p = c->f[i];
				if (p->out && p->parsed && !(p->seg.flags & PTCP_SYN)) {
					uint32_t w = (uint32_t)p->seg.wnd
					             << (ws_both ? cfg->wscale : 0);
					if (w > 65535) /* unscaled 65535: any buffer from 64 KiB */
						cfg->rcvbuf = w > PTCP_SCRIPT_BUF_MAX
						                  ? PTCP_SCRIPT_BUF_MAX
						                  : w;
					break;
				}
			}
		}
		cfg->sndbuf = 65536;
	}
	if (c->app_total + 1 > cfg->sndbuf)
		cfg->sndbuf = pow2_at_least(c->app_total + 1);
	/* the core's later windows are scaled by the shift its SYN announced */
	c->ws_core = ws_both ? (o->wscale > 14 ? 14 : o->wscale) : 0;
	c->rcvbuf = cfg->rcvbuf;
}

/* ---- Checking against the core ----------------------------------------------------- */
#define NOT_FAILED ((size_t)-1)

typedef struct trial_ctx {
	ptcp_run *run;
	ptcp_script_event *tmp; /* shallow copies of the events */
	size_t tmp_cap;
	unsigned long trials, budget;
	ptcp_run_result res;
	/* comparing the run's packets with the capture's */
	const ctx *c;
	size_t next;      /* the next captured packet to compare */
	int diverged;     /* a packet differs (or is extra) */
	size_t div_event; /* the event it came from */
	size_t locus;     /* trial(): the event where the run departs from the capture */
	char why[400];
} trial_ctx;

static int same_pkt(const ctx *c, const fpkt *f, const ptcp_run_note *n)
{
	ptcp_ip ip;
	ptcp_seg g;
	int out = n->kind == PTCP_RUN_NOTE_PACKET_OUT;
	if (f->out != out || T(c, f) != n->time)
		return 0;
	if (!n->len || !f->good || ptcp_wire_parse_packet(n->pkt, n->len, &ip, &g) != 0)
		return f->len == n->len && (!n->len || memcmp(f->ip, n->pkt, n->len) == 0);
	if (g.flags != f->seg.flags || g.seq != f->seg.seq || g.ack != f->seg.ack ||
	    ptcp_seg_len(&g) != ptcp_seg_len(&f->seg))
		return 0;
	return !c->strict || g.wnd == f->seg.wnd;
}

static void trial_observe(void *arg, const ptcp_run_note *n)
{
	trial_ctx *tc = arg;
	const ctx *c = tc->c;
	if (tc->diverged ||
	    (n->kind != PTCP_RUN_NOTE_PACKET_IN && n->kind != PTCP_RUN_NOTE_PACKET_OUT))
		return;
	while (tc->next < c->nf && c->f[tc->next]->is_icmp)
		tc->next++;
	if (tc->next >= c->nf || !same_pkt(c, c->f[tc->next], n)) {
		char a[200];
		tc->diverged = 1;
		tc->div_event = n->event;
		ptcp_replay_format_pkt(n->pkt, n->len, 0, 0, 0, a, sizeof a);
		snprintf(tc->why, sizeof tc->why,
		         "the core's run has %s %s at %llu.%06llu s, the "
		         "capture %s",
		         n->kind == PTCP_RUN_NOTE_PACKET_OUT ? "emitted" : "injected", a,
		         (unsigned long long)(n->time / 1000000u),
		         (unsigned long long)(n->time % 1000000u),
		         tc->next >= c->nf ? "nothing more" : "another packet there");
		return;
	}
	tc->next++;
}

/*
 * Run the events as they stand (at most max_events) and compare every packet
 * with the capture (times included).  Returns a score: PERFECT when the run
 * replays the capture exactly, else (packets that matched, then the event
 * where the run departs) packed so that more is better; tc->locus is that
 * event (an expect line failed, a packet differs, is extra or missing).
 */
#define PERFECT    UINT64_MAX
#define LOCUS_BITS 24

static uint64_t trial(const ctx *c, trial_ctx *tc, size_t max_events)
{
	ptcp_script t = *c->s;
	ptcp_run_config cfg;
	uint64_t now = c->s->cfg.start;
	size_t k = NOT_FAILED;
	if (tc->tmp_cap < c->b.n) {
		ptcp_script_event *n = realloc(tc->tmp, c->b.n * sizeof *n);
		if (!n)
			return 0;
		tc->tmp = n;
		tc->tmp_cap = c->b.n;
	}
	for (size_t i = 0; i < c->b.n; i++) {
		tc->tmp[i] = c->b.v[i].e;
		tc->tmp[i].delta = c->b.v[i].t > now ? c->b.v[i].t - now : 0;
		now = c->b.v[i].t > now ? c->b.v[i].t : now;
	}
	t.ev = tc->tmp;
	t.n = t.cap = c->b.n;
	ptcp_run_config_default(&cfg);
	cfg.max_events = max_events;
	cfg.observe = trial_observe;
	cfg.arg = tc;
	tc->c = c;
	tc->next = 0;
	tc->diverged = 0;
	tc->why[0] = 0;
	tc->trials++;
	ptcp_run_exec(tc->run, &t, &cfg, &tc->res);
	if (tc->res.status == PTCP_RUN_FAIL)
		k = tc->res.event;
	else if (tc->res.status != PTCP_RUN_PASS)
		k = 0;
	if (tc->diverged && tc->div_event < k)
		k = tc->div_event;
	if (k == NOT_FAILED && tc->res.truncated)
		k = max_events; /* as far as it was asked to go */
	else if (k == NOT_FAILED) {
		while (tc->next < c->nf && c->f[tc->next]->is_icmp)
			tc->next++;
		if (tc->next < c->nf) {
			/* the capture goes on: missing packets */
			k = c->b.n ? c->b.n - 1 : 0;
			snprintf(tc->why, sizeof tc->why,
			         "the core's run ends before the capture's packet %zu",
			         tc->next + 1);
		}
	}
	tc->locus = k;
	if (k == NOT_FAILED)
		return PERFECT;
	if (k >= ((size_t)1 << LOCUS_BITS))
		k = ((size_t)1 << LOCUS_BITS) - 1;
	return ((uint64_t)tc->next << LOCUS_BITS) | k;
}

/* Move event j to position p (before the event now at p), at time t. */
static void move_ev(build *b, size_t j, size_t p, uint64_t t)
{
	ev x = b->v[j];
	x.t = t;
	if (p > j) {
		memmove(b->v + j, b->v + j + 1, (p - 1 - j) * sizeof *b->v);
		b->v[p - 1] = x;
	} else {
		memmove(b->v + p + 1, b->v + p, (j - p) * sizeof *b->v);
		b->v[p] = x;
	}
}

/* Where event j lands when moved before position p. */
static size_t landed(size_t j, size_t p)
{
	return p > j ? p - 1 : p;
}

/* How far a trial run goes: the events up to the locus and some more. */
static size_t horizon(size_t locus)
{
	return locus == NOT_FAILED ? 0 : locus + 64;
}

/* Configuration the capture does not show: try the other setting of each. */
static int try_config(ctx *c, trial_ctx *tc, uint64_t *score, size_t locus)
{
	ptcp_script_config *cfg = &c->s->cfg, save = *cfg, best_cfg = *cfg;
	uint64_t best = *score;
	for (int m = 0; m < 11 && tc->trials < tc->budget; m++) {
		*cfg = save;
		switch (m) {
		case 0:
			cfg->flags ^= PTCP_CFG_NODELAY;
			break;
		case 1:
			cfg->flags ^= PTCP_CFG_LIMITED_TX;
			break;
		case 2:
			cfg->flags ^= PTCP_CFG_SS_IDLE;
			break;
		case 3:
			cfg->flags ^= PTCP_CFG_TLP;
			break;
		case 4:
			cfg->cc = cfg->cc == PTCP_SCRIPT_CC_RENO ? PTCP_SCRIPT_CC_CUBIC
			                                         : PTCP_SCRIPT_CC_RENO;
			break;
		case 5:
			cfg->quickack = cfg->quickack ? 0 : 16;
			break;
		case 6:
			cfg->delack = cfg->delack ? 0 : PTCP_MS(40);
			break;
		case 7:
			cfg->init_cwnd = cfg->init_cwnd == 10 ? 4 : 10;
			break;
		case 8:
			cfg->init_cwnd = cfg->init_cwnd == 10 ? 2 : 10;
			break;
		case 9:
			cfg->init_cwnd = cfg->init_cwnd == 10 ? 1 : 10;
			break;
		default:
			cfg->rto_min = cfg->rto_min == PTCP_MS(200) ? PTCP_MS(1000) : PTCP_MS(200);
			break;
		}
		if (memcmp(cfg, &save, sizeof save) == 0)
			continue;
		uint64_t r = trial(c, tc, horizon(locus));
		if (r > best) {
			best = r;
			best_cfg = *cfg;
			if (r == PERFECT)
				break;
		}
	}
	*cfg = best_cfg;
	if (best == *score)
		return 0;
	*score = trial(c, tc, 0);
	return 1;
}

/* An application call the inference missed, just before the failure: a RST
 * the core sent on its own (abort, or close with data unread), a FIN (close,
 * shutdown), a window update (read), a timer the core wanted at once (time). */
static int try_calls(ctx *c, trial_ctx *tc, uint64_t *score, size_t locus)
{
	static const ptcp_script_kind kinds[5] = {PTCP_SCRIPT_ABORT, PTCP_SCRIPT_CLOSE,
	                                          PTCP_SCRIPT_SHUTDOWN, PTCP_SCRIPT_READ,
	                                          PTCP_SCRIPT_TIME};
	uint64_t best = *score, bt = 0;
	size_t bp = 0;
	int bk = -1;
	if (locus >= c->b.n)
		return 0;
	for (int n = 0; n < 5 && tc->trials < tc->budget && best != PERFECT; n++) {
		for (size_t back = 0; back < 8 && back <= locus && tc->trials < tc->budget;
		     back++) {
			size_t p = locus - back;
			uint64_t t = c->b.v[p].t;
			ptcp_script_event *e = ins(&c->b, p, kinds[n], t);
			if (!e)
				return 0;
			if (kinds[n] == PTCP_SCRIPT_SHUTDOWN)
				e->shutdown.how = PTCP_SHUT_WR;
			if (kinds[n] == PTCP_SCRIPT_READ)
				e->read.len = c->rcvbuf ? c->rcvbuf : 65536;
			uint64_t r = trial(c, tc, horizon(locus + 1));
			ptcp_script_event_clear(&c->b.v[p].e);
			memmove(c->b.v + p, c->b.v + p + 1, (c->b.n - p - 1) * sizeof *c->b.v);
			c->b.n--;
			if (r > best) {
				best = r;
				bk = n;
				bp = p;
				bt = t;
				if (r == PERFECT)
					break;
			}
		}
	}
	if (bk < 0)
		return 0;
	ptcp_script_event *e = ins(&c->b, bp, kinds[bk], bt);
	if (!e)
		return 0;
	if (kinds[bk] == PTCP_SCRIPT_SHUTDOWN)
		e->shutdown.how = PTCP_SHUT_WR;
	if (kinds[bk] == PTCP_SCRIPT_READ)
		e->read.len = c->rcvbuf ? c->rcvbuf : 65536;
	*score = trial(c, tc, 0);
	return 1;
}

/* Try the inferred calls near the locus at other places; keep the best move. */
static int try_moves(ctx *c, trial_ctx *tc, uint64_t *score, size_t locus)
{
	uint64_t best = *score, bt = 0;
	size_t bj = 0, bp = 0;
	size_t lo = locus > 24 ? locus - 24 : 0;
	int found = 0;
	for (size_t j = lo; j <= locus && j < c->b.n && tc->trials < tc->budget; j++) {
		if (!c->b.v[j].inferred)
			continue;
		size_t plo = j > 40 ? j - 40 : 0, phi = locus + 2 < c->b.n ? locus + 2 : c->b.n;
		for (size_t p = plo; p <= phi && tc->trials < tc->budget; p++) {
			uint64_t ts[2], told = c->b.v[j].t;
			if (p == j || p == j + 1)
				continue;
			/* at the time of the event before or of the event after */
			ts[0] = p > 0 ? c->b.v[p - 1].t : c->b.v[0].t;
			ts[1] = p < c->b.n ? c->b.v[p].t : ts[0];
			for (int w = 0; w < 2; w++) {
				if (w == 1 && ts[1] == ts[0])
					break;
				move_ev(&c->b, j, p, ts[w]);
				uint64_t r = trial(c, tc, horizon(locus));
				move_ev(&c->b, landed(j, p), p > j ? j : j + 1, told);
				if (r > best) {
					best = r;
					bj = j;
					bp = p;
					bt = ts[w];
					found = 1;
					if (r == PERFECT)
						goto done;
				}
			}
		}
	}
done:
	if (!found)
		return 0;
	move_ev(&c->b, bj, bp, bt);
	*score = trial(c, tc, 0);
	return 1;
}

/*
 * The inferred application calls and the configuration are guesses: run the
 * scenario against the core and, while it departs from the capture, try the
 * inferred calls near the departure at other places, the settings a capture
 * does not show, and calls the inference missed; keep whatever makes the
 * run follow the capture further.  Returns the final score.
 */
static uint64_t refine(ctx *c, trial_ctx *tc)
{
	uint64_t score = trial(c, tc, 0);
	for (int iter = 0; iter < 64 && score != PERFECT && tc->trials < tc->budget; iter++) {
		size_t locus = tc->locus;
		if (try_moves(c, tc, &score, locus))
			continue;
		if (try_config(c, tc, &score, locus))
			continue;
		if (try_calls(c, tc, &score, locus))
			continue;
		break;
	}
	return score;
}

int ptcp_replay_import(const char *path, const ptcp_replay_import_opts *o, ptcp_script *out,
                       ptcp_replay_import_stats *st, char *err, size_t errcap)
{
	cap cp = {0};
	ctx c;
	endpoint core, peer;
	int have_flow = 0, rc = -1, marked = 0;
	const fpkt *syn_core = NULL, *syn_peer = NULL, *first_syn = NULL;
	char a[72], b[72];

	memset(st, 0, sizeof *st);
	memset(&c, 0, sizeof c);
	ptcp_script_init(out);
	if (read_capture(path, &cp, st, err, errcap))
		goto done;
	if (o && o->flow) {
		if (parse_flow(o->flow, &core, &peer)) {
			snprintf(err, errcap,
			         "bad --flow '%s' (SRC:PORT-DST:PORT, IPv6 as [fd00::1]:80)",
			         o->flow);
			goto done;
		}
		have_flow = 1;
	} else {
		/* the connection of the first packet the core sent (in a ptcp-replay
		 * capture), else of the first TCP packet */
		for (size_t i = 0; i < cp.n && !have_flow; i++) {
			const fpkt *p = &cp.p[i];
			if (!p->tuple || p->mac != 1)
				continue;
			core.a = p->iph.src;
			core.port = p->sport;
			peer.a = p->iph.dst;
			peer.port = p->dport;
			have_flow = 2;
		}
		for (size_t i = 0; i < cp.n && !have_flow; i++) {
			const fpkt *p = &cp.p[i];
			if (!p->tuple)
				continue;
			core.a = p->iph.src;
			core.port = p->sport;
			peer.a = p->iph.dst;
			peer.port = p->dport;
			have_flow = 1;
		}
		if (!have_flow) {
			snprintf(
			    err, errcap,
			    "no TCP packet in the capture (%lu frames: %lu not TCP, %lu truncated)",
			    st->frames, st->non_tcp, st->truncated);
			goto done;
		}
	}
	/* a capture written by ptcp-replay: its frames say which end is the core */
	for (size_t i = 0; i < cp.n && !marked; i++)
		marked = cp.p[i].mac != 0;
	/* the connection's packets */
	c.f = calloc(cp.n + 1, sizeof *c.f);
	if (!c.f) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < cp.n; i++) {
		fpkt *p = &cp.p[i];
		if (p->is_icmp) {
			/* about a segment of this connection (either way; sorted out below) */
			if (!((ep_eq(&core, &p->ic.src, p->ic.sport) &&
			       ep_eq(&peer, &p->ic.dst, p->ic.dport)) ||
			      (ep_eq(&peer, &p->ic.src, p->ic.sport) &&
			       ep_eq(&core, &p->ic.dst, p->ic.dport))))
				continue;
		} else if (p->mac == 2 && marked &&
		           (!p->tuple || (ptcp_addr_eq(&p->iph.src, &peer.a) &&
		                          ptcp_addr_eq(&p->iph.dst, &core.a)))) {
			p->out =
			    0; /* ptcp-replay injected it into the core (even with other ports) */
		} else if (p->tuple) {
			if (ep_eq(&core, &p->iph.src, p->sport) &&
			    ep_eq(&peer, &p->iph.dst, p->dport))
				p->out = 1;
			else if (ep_eq(&peer, &p->iph.src, p->sport) &&
			         ep_eq(&core, &p->iph.dst, p->dport))
				p->out = 0;
			else
				continue;
		} else if (p->mac == 2) {
			p->out = 0; /* a malformed packet ptcp-replay injected into the core */
		} else {
			continue;
		}
		c.f[c.nf++] = p;
	}
	st->in_flow = c.nf;
	if (!c.nf) {
		snprintf(err, errcap, "no packet of the connection %s",
		         o && o->flow ? o->flow : "");
		goto done;
	}
	/* which end is the core */
	if (!(o && o->flow)) {
		int swap = 0;
		if (have_flow == 1)
			for (size_t i = 0; i < c.nf; i++)
				if (c.f[i]->parsed &&
				    (c.f[i]->seg.flags & (PTCP_SYN | PTCP_ACK)) == PTCP_SYN) {
					swap = !c.f[i]->out;
					break;
				}
		if (swap) {
			endpoint x = core;
			core = peer;
			peer = x;
			for (size_t i = 0; i < c.nf; i++)
				if (c.f[i]->tuple)
					c.f[i]->out = !c.f[i]->out;
		}
	}
	for (size_t i = 0; i < c.nf; i++) {
		const fpkt *p = c.f[i];
		if (!p->parsed || !(p->seg.flags & PTCP_SYN))
			continue;
		if (!first_syn && !(p->seg.flags & PTCP_ACK))
			first_syn = p;
		if (p->out && !syn_core)
			syn_core = p;
		if (!p->out && !syn_peer)
			syn_peer = p;
	}
	fmt_ep(a, sizeof a, &core.a, core.port);
	fmt_ep(b, sizeof b, &peer.a, peer.port);
	snprintf(st->flow, sizeof st->flow, "core %s <-> peer %s", a, b);
	if (!syn_core) {
		snprintf(err, errcap,
		         "the connection %s has no SYN from the core's end: a scenario starts "
		         "with the handshake",
		         st->flow);
		goto done;
	}
	out->role = first_syn && !first_syn->out ? PTCP_SCRIPT_SERVER : PTCP_SCRIPT_CLIENT;
	if (!first_syn && syn_peer && syn_peer->t <= syn_core->t)
		out->role = PTCP_SCRIPT_SERVER;
	out->isn_local = syn_core->seg.seq;
	out->isn_peer = syn_peer ? syn_peer->seg.seq : 0;
	out->local_addr = core.a;
	out->peer_addr = peer.a;
	out->local_port = core.port;
	out->peer_port = peer.port;
	snprintf(st->flow + strlen(st->flow), sizeof st->flow - strlen(st->flow),
	         ", core is the %s", out->role == PTCP_SCRIPT_SERVER ? "server" : "client");
	c.s = out;
	/* times: absolute when they fit (a ptcp-replay capture), else from the first packet */
	c.tbase = c.f[0]->t <= PTCP_SCRIPT_TIME_MAX ? 0 : c.f[0]->t;
	if (gather_stream(&c, err, errcap))
		goto done;
	infer_config(&c, syn_core, syn_peer, o ? o->header : NULL);
	c.strict = marked;
	out->cfg.start = T(&c, c.f[0]);

	if (out->role == PTCP_SCRIPT_SERVER)
		push(&c.b, PTCP_SCRIPT_LISTEN, T(&c, c.f[0]));
	for (size_t i = 0; i < c.nf && !c.b.oom; i++) {
		const fpkt *p = c.f[i];
		if (p->is_icmp) {
			/* an error about the core's segment reaches the core */
			ptcp_script_event *e;
			if (!ep_eq(&core, &p->ic.src, p->ic.sport))
				continue;
			e = push(&c.b, PTCP_SCRIPT_ICMP, T(&c, p));
			if (e) {
				e->icmp.type = (uint8_t)p->ic.kind;
				e->icmp.mtu = p->ic.mtu;
				e->icmp.seq = p->ic.seq - out->isn_local;
			}
			st->icmp++;
			continue;
		}
		if (!p->out) {
			peer_segment(&c, p, st);
			continue;
		}
		if (p->parsed && (p->seg.flags & (PTCP_SYN | PTCP_ACK)) == PTCP_SYN &&
		    out->role == PTCP_SCRIPT_CLIENT && (p == syn_core || c.synced)) {
			/* the first connect, or a new one after the last connection ended */
			push(&c.b, PTCP_SCRIPT_CONNECT, T(&c, p));
			c.synced = 0;
			c.closed = c.aborted = 0;
			c.app_sent = 0;
			c.read_total = 0;
			c.edge_ok = 0;
		} else if (p->parsed && !(p->seg.flags & PTCP_SYN)) {
			c.synced = 1;
		}
		if (!p->parsed)
			continue; /* never: the core's packets parse */
		infer_read(&c, p);
		core_segment(&c, i);
	}
	if (c.b.oom) {
		snprintf(err, errcap, "out of memory");
		goto done;
	}
	/* check it against the core, moving inferred calls where the capture says */
	if (!(o && o->no_check)) {
		trial_ctx tc;
		memset(&tc, 0, sizeof tc);
		/* about 2e7 events run in all: seconds, also for long captures */
		tc.budget = o && o->budget ? o->budget : 20000000ul / (c.b.n + 1);
		if (tc.budget > 20000)
			tc.budget = 20000;
		if (tc.budget < 20)
			tc.budget = 20;
		tc.run = ptcp_run_new();
		if (tc.run) {
			uint64_t score = refine(&c, &tc);
			size_t k;
			if (score != PERFECT)
				trial(&c, &tc, 0); /* the final verdict's message */
			k = tc.locus;
			st->checked = 1;
			st->trials = tc.trials;
			st->match = score == PERFECT;
			st->events = c.b.n;
			if (score == PERFECT)
				snprintf(st->check, sizeof st->check,
				         "replays against the core as captured (%zu events)",
				         c.b.n);
			else {
				char m[600];
				if (tc.res.status == PTCP_RUN_FAIL &&
				    (!tc.why[0] || tc.res.event <= k))
					ptcp_run_result_format(&tc.res, m, sizeof m);
				else
					snprintf(m, sizeof m, "%s", tc.why);
				snprintf(st->check, sizeof st->check,
				         "the core departs from the capture at event %zu of %zu "
				         "(%zu packets "
				         "match): %s",
				         k, c.b.n, tc.next, m);
			}
			ptcp_run_free(tc.run);
		}
		free(tc.tmp);
	}
	/* into the scenario, times as deltas */
	{
		uint64_t now = out->cfg.start;
		for (size_t i = 0; i < c.b.n; i++) {
			ptcp_script_event *e = ptcp_script_push(out, c.b.v[i].e.kind);
			if (!e) {
				snprintf(err, errcap, "out of memory (or over %u events)",
				         PTCP_SCRIPT_EVENTS_MAX);
				goto done;
			}
			*e = c.b.v[i].e;
			memset(&c.b.v[i].e, 0, sizeof c.b.v[i].e); /* moved */
			e->delta = c.b.v[i].t > now ? c.b.v[i].t - now : 0;
			if (e->delta > PTCP_SCRIPT_TIME_MAX)
				e->delta = PTCP_SCRIPT_TIME_MAX;
			now = c.b.v[i].t > now ? c.b.v[i].t : now;
		}
	}
	{
		char why[256];
		if (ptcp_script_validate(out, why, sizeof why)) {
			snprintf(err, errcap,
			         "internal error: the imported scenario is invalid: %s", why);
			goto done;
		}
	}
	rc = 0;
done:
	if (rc)
		ptcp_script_free(out);
	build_free(&c.b);
	free(c.f);
	free(c.stream);
	free(c.known);
	free(c.psh);
	cap_free(&cp);
	return rc;
}
