/*
 * ptcp-replay: the text trace, one line per event, tcpdump-like.
 *
 *   TIME #EVENT WHAT | STATE una U nxt N max M wnd W | rcv.nxt R rcv.wnd V | cwnd C ssthresh S
 *   TIME        > SRC.PORT > DST.PORT: Flags [..], seq A:B, ack K, win W, options [...], length L
 *
 * A step's line carries the core's variables after the step (ptcp_info;
 * sequence numbers relative to the ISNs); an injected segment is printed on
 * its step's line (then " -- " and the event when it is not a plain
 * segment), the segments the step emitted follow on their own lines
 * ('>').  The failing step's lines start with "!!" and a line "!! FAILED:"
 * follows with the message.  Nothing in the trace depends on the host (no
 * wall-clock times, no pointers), so two replays of the same scenario give
 * the same trace.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "replay.h"

struct sb {
	char *buf;
	size_t cap, len;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(b->len < b->cap ? b->buf + b->len : NULL,
	              b->len < b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void fmt_addr(struct sb *b, const ptcp_addr *a, unsigned port)
{
	char s[64];
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, s, sizeof s))
		strcpy(s, "?");
	sb_printf(b, "%s.%u", s, port);
}

static void fmt_flags(struct sb *b, uint8_t f)
{
	/* tcpdump's letters and order */
	static const struct {
		uint8_t bit;
		char c;
	} order[8] = {{PTCP_SYN, 'S'}, {PTCP_FIN, 'F'}, {PTCP_PSH, 'P'}, {PTCP_RST, 'R'},
	              {PTCP_URG, 'U'}, {PTCP_ECE, 'E'}, {PTCP_CWR, 'W'}, {PTCP_ACK, '.'}};
	sb_printf(b, "Flags [");
	if (!f)
		sb_printf(b, "none");
	for (int i = 0; i < 8; i++)
		if (f & order[i].bit)
			sb_printf(b, "%c", order[i].c);
	sb_printf(b, "]");
}

/* Option bytes with the SACK blocks made relative to base. */
static void fmt_opts(struct sb *b, const uint8_t *opt, size_t len, int rel, uint32_t base)
{
	uint8_t o[PTCP_TCP_OPT_MAX];
	char t[512];
	size_t i = 0;
	if (len > sizeof o)
		len = sizeof o;
	memcpy(o, opt, len);
	while (rel && i < len) {
		uint8_t kind = o[i], l;
		if (kind == PTCP_OPTKIND_EOL)
			break;
		if (kind == PTCP_OPTKIND_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || (l = o[i + 1]) < 2 || i + l > len)
			break;
		if (kind == PTCP_OPTKIND_SACK && (l - 2) % 8 == 0)
			for (size_t k = i + 2; k + 4 <= i + l; k += 4)
				put32(o + k, get32(o + k) - base);
		i += l;
	}
	ptcp_script_format_opts(o, len, t, sizeof t);
	sb_printf(b, ", options [%s]", t);
}

static const char *const ecn_name[4] = {"not-ect", "ect1", "ect0", "ce"};

static const char *ip_err(int err)
{
	return ptcp_strerror(err);
}

int ptcp_replay_format_pkt(const uint8_t *data, size_t len, int rel, uint32_t isn_src,
                           uint32_t isn_dst, char *buf, size_t cap)
{
	struct sb b = {buf, cap, 0};
	ptcp_ip ip;
	ptcp_seg seg;
	const uint8_t *l4 = NULL;
	size_t l4len = 0, hlen, plen;
	static const uint8_t empty[1] = {0};
	int r = ptcp_wire_parse_ip(len ? data : empty, len, &ip, &l4, &l4len);
	int tr = 0;
	uint8_t flags;
	uint32_t seq, ack;

	if (cap)
		buf[0] = 0;
	if (r < 0 && !(r == PTCP_ENOTTCP || (r == PTCP_EFRAG && l4))) {
		sb_printf(&b, "malformed packet, %zu bytes [%s]", len, ip_err(r));
		return (int)b.len;
	}
	if (r == PTCP_ENOTTCP) {
		ptcp_replay_icmp ic;
		fmt_addr(&b, &ip.src, 0);
		b.len -= b.len >= 2 ? 2 : 0; /* no port */
		sb_printf(&b, " > ");
		fmt_addr(&b, &ip.dst, 0);
		b.len -= b.len >= 2 ? 2 : 0;
		if (b.len < cap)
			buf[b.len] = 0;
		if (ptcp_replay_icmp_parse(data, len, &ic) == 0) {
			sb_printf(&b, ": %s %s", ip.src.family == 6 ? "ICMP6" : "ICMP",
			          ptcp_replay_icmp_name(ic.kind));
			if (ic.kind == PTCP_ICMP_FRAG_NEEDED)
				sb_printf(&b, " mtu %lu", (unsigned long)ic.mtu);
			sb_printf(&b, " for ");
			fmt_addr(&b, &ic.src, ic.sport);
			sb_printf(&b, " > ");
			fmt_addr(&b, &ic.dst, ic.dport);
			sb_printf(&b, " seq %lu, length %zu",
			          (unsigned long)(ic.seq - (rel ? isn_dst : 0)), l4len);
		} else {
			sb_printf(&b, ": ip-proto-%u, length %zu [%s]", ip.proto, l4len, ip_err(r));
		}
		return (int)b.len;
	}
	if (r == PTCP_EFRAG) {
		sb_printf(&b, "IP fragment, %zu bytes [%s]", len, ip_err(r));
		return (int)b.len;
	}
	if (l4len < PTCP_TCP_HDR_MIN) {
		sb_printf(&b, "truncated TCP header, %zu bytes of %zu [%s]", l4len, len,
		          ip_err(PTCP_ESHORT));
		return (int)b.len;
	}
	tr = ptcp_wire_parse_tcp(l4, l4len, &ip.src, &ip.dst, 1, &seg);
	hlen = (size_t)(l4[12] >> 4) * 4u;
	fmt_addr(&b, &ip.src, get16(l4));
	sb_printf(&b, " > ");
	fmt_addr(&b, &ip.dst, get16(l4 + 2));
	sb_printf(&b, ": ");
	flags = l4[13];
	seq = get32(l4 + 4) - (rel ? isn_src : 0);
	ack = get32(l4 + 8) - (rel ? isn_dst : 0);
	plen = hlen >= PTCP_TCP_HDR_MIN && hlen <= l4len ? l4len - hlen : 0;
	fmt_flags(&b, flags);
	if (plen || (flags & (PTCP_SYN | PTCP_FIN | PTCP_RST)) || !(flags & PTCP_ACK)) {
		if (plen)
			sb_printf(&b, ", seq %lu:%lu", (unsigned long)seq,
			          (unsigned long)(uint32_t)(seq + plen));
		else
			sb_printf(&b, ", seq %lu", (unsigned long)seq);
	}
	if (flags & PTCP_ACK)
		sb_printf(&b, ", ack %lu", (unsigned long)ack);
	sb_printf(&b, ", win %u", get16(l4 + 14));
	if (flags & PTCP_URG)
		sb_printf(&b, ", urg %u", get16(l4 + 18));
	if (hlen > PTCP_TCP_HDR_MIN && hlen <= l4len)
		fmt_opts(&b, l4 + PTCP_TCP_HDR_MIN, hlen - PTCP_TCP_HDR_MIN, rel,
		         rel ? isn_dst : 0);
	sb_printf(&b, ", length %zu", plen);
	if (ip.tos & 3)
		sb_printf(&b, " (%s)", ecn_name[ip.tos & 3u]);
	if (l4[12] & 0x0f)
		sb_printf(&b, " res=%u", l4[12] & 0x0fu);
	if (tr == PTCP_ECSUM)
		sb_printf(&b, " [bad tcp cksum %04x]", get16(l4 + 16));
	else if (tr < 0)
		sb_printf(&b, " [%s]", ip_err(tr));
	return (int)b.len;
}

static int synced(ptcp_state s)
{
	return s != PTCP_CLOSED && s != PTCP_LISTEN && s != PTCP_SYN_SENT;
}

static void fmt_big(struct sb *b, const char *name, uint32_t v)
{
	if (v >= 0x7fffffffu)
		sb_printf(b, " %s max", name);
	else
		sb_printf(b, " %s %lu", name, (unsigned long)v);
}

static void fmt_info(struct sb *b, const ptcp_info *i)
{
	sb_printf(b, " | %s", ptcp_state_name(i->state));
	if (i->state == PTCP_CLOSED && i->snd_max == i->iss && i->snd_una == i->iss)
		return;
	if (i->state == PTCP_LISTEN)
		return;
	sb_printf(b, " una %lu nxt %lu max %lu wnd %lu",
	          (unsigned long)(uint32_t)(i->snd_una - i->iss),
	          (unsigned long)(uint32_t)(i->snd_nxt - i->iss),
	          (unsigned long)(uint32_t)(i->snd_max - i->iss), (unsigned long)i->snd_wnd);
	if (synced(i->state) || i->rcv_nxt != i->irs)
		sb_printf(b, " | rcv.nxt %lu rcv.wnd %lu",
		          (unsigned long)(uint32_t)(i->rcv_nxt - i->irs),
		          (unsigned long)i->rcv_wnd);
	sb_printf(b, " |");
	fmt_big(b, "cwnd", i->cwnd);
	fmt_big(b, "ssthresh", i->ssthresh);
	if (i->send_queued)
		sb_printf(b, " queued %zu", i->send_queued);
	if (i->recv_ready)
		sb_printf(b, " ready %zu", i->recv_ready);
}

static void fmt_time(struct sb *b, uint64_t t)
{
	sb_printf(b, "%4llu.%06llu", (unsigned long long)(t / 1000000u),
	          (unsigned long long)(t % 1000000u));
}

/* The packet belongs to the record's connection (always, with one connection in the record). */
static int of_conn(const ptcp_replay_rec *r, const ptcp_replay_pkt *p, const ptcp_ip *ip,
                   const ptcp_seg *g)
{
	int out = p->dir == PTCP_REPLAY_OUT;
	if (!r->multi_conn || !r->have_conn)
		return 1;
	return g->sport == (out ? r->local_port : r->peer_port) &&
	       g->dport == (out ? r->peer_port : r->local_port) &&
	       ptcp_addr_eq(&ip->src, out ? &r->local : &r->peer) &&
	       ptcp_addr_eq(&ip->dst, out ? &r->peer : &r->local);
}

/* The receive windows each end announced, to tell segments sent beyond them (of the record's
 * connection only, when the record holds several). */
struct wins {
	uint8_t ws[2];    /* shift of the windows sent by each direction */
	uint32_t edge[2]; /* right edge announced by the sender of each direction */
	uint8_t known[2];
};

static void wins_init(struct wins *w, const ptcp_replay_rec *r)
{
	int wsopt[2] = {0, 0}, seen[2] = {0, 0};
	uint8_t shift[2] = {0, 0};
	memset(w, 0, sizeof *w);
	for (size_t i = 0; i < r->npkt; i++) {
		ptcp_ip ip;
		ptcp_seg g;
		int d = r->pkt[i].dir;
		if (r->pkt[i].err || seen[d] ||
		    ptcp_wire_parse_packet(r->pkt[i].data, r->pkt[i].len, &ip, &g) ||
		    !(g.flags & PTCP_SYN) || !of_conn(r, &r->pkt[i], &ip, &g))
			continue;
		seen[d] = 1;
		if (g.opts.present & PTCP_OPT_WSCALE) {
			wsopt[d] = 1;
			shift[d] = g.opts.wscale > 14 ? 14 : g.opts.wscale;
		}
	}
	for (int d = 0; d < 2; d++)
		w->ws[d] = wsopt[0] && wsopt[1] ? shift[d] : 0;
}

/* " [beyond the peer's window ...]" for data past the receiver's announced edge. */
static void wins_note(struct wins *w, const ptcp_replay_rec *r, const ptcp_replay_pkt *p,
                      struct sb *b)
{
	ptcp_ip ip;
	ptcp_seg g;
	int d = p->dir;
	if (p->err || p->dropped || ptcp_wire_parse_packet(p->data, p->len, &ip, &g) ||
	    !of_conn(r, p, &ip, &g))
		return;
	if (!(g.flags & (PTCP_SYN | PTCP_RST)) && w->known[!d]) {
		uint32_t len = (uint32_t)ptcp_seg_len(&g);
		uint32_t end = g.seq + len;
		if (len && ptcp_seq_gt(end, w->edge[!d]) && !(len == 1 && g.seq == w->edge[!d]))
			sb_printf(b, " [%lu bytes beyond the %s's window]",
			          (unsigned long)(ptcp_seq_gt(g.seq, w->edge[!d])
			                              ? len
			                              : end - w->edge[!d]),
			          d == PTCP_REPLAY_IN ? "core" : "peer");
	}
	if ((g.flags & PTCP_ACK) && !(g.flags & PTCP_RST)) {
		uint32_t e = g.ack + ((uint32_t)g.wnd << ((g.flags & PTCP_SYN) ? 0 : w->ws[d]));
		if (!w->known[d] || ptcp_seq_gt(e, w->edge[d]))
			w->edge[d] = e;
		w->known[d] = 1;
	}
}

static void fmt_rec_pkt(struct sb *b, const ptcp_replay_rec *r, const ptcp_replay_pkt *p,
                        struct wins *w)
{
	char t[1024];
	ptcp_replay_icmp ic;
	int in = p->dir == PTCP_REPLAY_IN;
	ptcp_replay_format_pkt(p->data, p->len, r->have_isn, in ? r->isn_peer : r->isn_local,
	                       in ? r->isn_local : r->isn_peer, t, sizeof t);
	sb_printf(b, "%c %s%s", in ? '<' : '>', t, p->dropped ? " [dropped by the network]" : "");
	if (p->label[0])
		sb_printf(b, " (%s)", p->label);
	if (p->err &&
	    !(p->err == PTCP_ENOTTCP && ptcp_replay_icmp_parse(p->data, p->len, &ic) == 0))
		sb_printf(b, " [rejected by the codec]");
	wins_note(w, r, p, b);
}

int ptcp_replay_write_trace(const ptcp_replay_rec *r, const char *title, FILE *f)
{
	char line[4096];
	size_t i = 0; /* next packet */
	struct wins w;
	wins_init(&w, r);
	fprintf(f, "# ptcp-replay trace%s%s (target %s)\n", title ? " of " : "", title ? title : "",
	        r->target[0] ? r->target : "?");
	if (r->have_conn) {
		struct sb b = {line, sizeof line, 0};
		fmt_addr(&b, &r->local, r->local_port);
		sb_printf(&b, " (%s", r->role == PTCP_SCRIPT_SERVER ? "server" : "client");
		if (r->have_isn)
			sb_printf(&b, ", ISN %lu", (unsigned long)r->isn_local);
		sb_printf(&b, ") <-> peer ");
		fmt_addr(&b, &r->peer, r->peer_port);
		if (r->have_isn)
			sb_printf(&b, " (ISN %lu)", (unsigned long)r->isn_peer);
		fprintf(f, "# core %s\n", line);
	}
	if (r->multi_conn)
		fprintf(f,
		        "# packets of other connections too: sequence numbers absolute unless the "
		        "record holds one connection; window notes and the SVG are about the one "
		        "above\n");
	if (r->have_isn)
		fprintf(f, "# sequence numbers relative to the sender's ISN, acks and SACK blocks "
		           "to the receiver's\n");
	fprintf(f, "# '<' injected into the core, '>' emitted by it; after '|': the core after the "
	           "step\n");
	for (size_t k = 0; k <= r->nstep; k++) {
		const ptcp_replay_step *s = k < r->nstep ? &r->step[k] : NULL;
		int bad = s && s->failed;
		/* the packets of step k: the injected one goes on the step's line */
		struct sb b = {line, sizeof line, 0};
		if (s) {
			sb_printf(&b, "%s", bad ? "!! " : "   ");
			fmt_time(&b, s->t);
			sb_printf(&b, " #%-4lu ", (unsigned long)s->event);
			if (i < r->npkt && r->pkt[i].step == k && r->pkt[i].dir == PTCP_REPLAY_IN) {
				fmt_rec_pkt(&b, r, &r->pkt[i], &w);
				if (s->what[0] && s->what[0] != '<')
					sb_printf(&b, " -- %s", s->what);
				i++;
			} else {
				sb_printf(&b, "%s", s->what);
			}
			if (s->has_info)
				fmt_info(&b, &s->info);
			if (b.len >= sizeof line)
				line[sizeof line - 1] = 0;
			fprintf(f, "%s\n", line);
		}
		while (i < r->npkt && (r->pkt[i].step == k || !s)) {
			b.len = 0;
			sb_printf(&b, "%s", bad ? "!! " : "   ");
			fmt_time(&b, r->pkt[i].t);
			sb_printf(&b, "       ");
			fmt_rec_pkt(&b, r, &r->pkt[i], &w);
			if (b.len >= sizeof line)
				line[sizeof line - 1] = 0;
			fprintf(f, "%s\n", line);
			i++;
		}
		if (bad)
			fprintf(f, "!! FAILED: %s\n", r->verdict);
	}
	fprintf(f, "# verdict: %s\n", r->failed ? "FAILED" : r->ran ? "passed" : "did not run");
	fprintf(f, "# %s\n", r->verdict);
	if (r->note[0])
		fprintf(f, "# note: %s\n", r->note);
	return ferror(f) ? -1 : 0;
}
