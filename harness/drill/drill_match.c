/*
 * drill_match.c - the script's segments: '<' lines built and injected, '>' lines checked
 * against what the core emitted.
 *
 * IMPLEMENTATION NOTES
 * Sequence spaces, as upstream packetdrill maps them:
 *  - the remote end's sequence numbers are the script's as written (the first '<' SYN's seq is
 *    the remote ISN, live and script alike);
 *  - ours are relative to the seq of the script's '> S' / '> S.' line: live = script +
 *    (ISS - script ISN).  We choose the ISS (it is given to PTCP_IN_CONNECT / PTCP_IN_LISTEN),
 *    so the live ISN is known before the SYN goes out;
 *  - '<' ACK fields and SACK blocks are mapped into our live space, '>' seq back into script
 *    space.
 * Timestamps: a '>' line with TS remembers script TS val -> live TS val; a '<' line's TS ecr
 * is mapped through it (or, with --tcp_ts_ecr_scaled, interpolated from the first mapping;
 * otherwise an unknown ecr is an error, as upstream).  The TS val of '>' lines is checked only
 * with --tcp_ts_tick_usecs (as upstream: |live - script| * tick <= tolerance, after mapping
 * the first TS val seen onto the script's); TS ecr of '>' lines is not checked by upstream
 * and is checked here only with --check-ts-ecr (own scripts).
 * A '>' line with a payload of N bytes accepts a run of segments that together carry exactly
 * N bytes (Linux TSO/GSO sends one large segment where the core sends MSS-sized ones), as
 * upstream does outside --strict_segments: consecutive segments with equal ACK and window,
 * contiguous sequence numbers, all but the last of equal length; the seq and CWR of the first
 * and the rest of the header of the last are checked, except PSH: where Linux puts PSH on
 * a TSO segment follows its TSO sizing (forced pushes within one write), which a run of
 * MSS-sized segments cannot mirror; a single segment's PSH is checked.  Payload bytes are
 * not compared (the script's writes are zeros, so are ours).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

/* ---- Formatting ------------------------------------------------------------------------ */

static size_t append(char *buf, size_t size, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (at >= size)
		return at;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : at + (size_t)n;
}

static void flags_text(uint8_t f, char *out)
{
	/* packetdrill's order: F S R P . U E W */
	static const struct {
		uint8_t bit;
		char ch;
	} order[] = {{PTCP_FIN, 'F'}, {PTCP_SYN, 'S'}, {PTCP_RST, 'R'}, {PTCP_PSH, 'P'},
	             {PTCP_ACK, '.'}, {PTCP_URG, 'U'}, {PTCP_ECE, 'E'}, {PTCP_CWR, 'W'}};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (f & order[i].bit)
			out[n++] = order[i].ch;
	if (n == 0)
		out[n++] = '-';
	out[n] = '\0';
}

/* Our sequence numbers: a SYN's as the script wrote its ISN, the others relative to it. */
static uint32_t local_offset(const struct flow *f, bool syn)
{
	return f ? f->live_isn - (syn ? f->script_isn : 0) : 0;
}

/*
 * The peer's sequence numbers: a SYN's are absolute (the first one is the remote ISN); in
 * other segments, '<' seq and '>' ack (and SACK blocks) are relative to the remote ISN, as
 * upstream scripts write them ("< S 1428932:1428932(0)", then "< . 1:1(0)").
 */
static uint32_t remote_offset(const struct flow *f, bool syn)
{
	return f && !syn ? f->remote_isn : 0;
}

static uint32_t ts_to_script(const struct flow *f, uint32_t live)
{
	if (f && f->found_first_ts)
		return f->first_script_ts + (live - f->first_live_ts);
	return live;
}

static size_t format_opts(const struct flow *f, const ptcp_tcp_opts *o, char *buf, size_t size,
                          size_t at)
{
	if (o->nitems == 0)
		return at;
	at = append(buf, size, at, " <");
	for (size_t i = 0; i < o->nitems; i++) {
		if (i)
			at = append(buf, size, at, ",");
		switch (o->items[i].kind) {
		case PTCP_OPTKIND_EOL:
			at = append(buf, size, at, "eol");
			break;
		case PTCP_OPTKIND_NOP:
			at = append(buf, size, at, "nop");
			break;
		case PTCP_OPTKIND_MSS:
			at = append(buf, size, at, "mss %u", (unsigned)o->mss);
			break;
		case PTCP_OPTKIND_WSCALE:
			at = append(buf, size, at, "wscale %u", (unsigned)o->wscale);
			break;
		case PTCP_OPTKIND_SACK_PERM:
			at = append(buf, size, at, "sackOK");
			break;
		case PTCP_OPTKIND_SACK:
			at = append(buf, size, at, "sack");
			for (size_t k = 0; k < o->sack_count; k++)
				at = append(buf, size, at, " %" PRIu32 ":%" PRIu32, o->sack[k].left,
				            o->sack[k].right);
			break;
		case PTCP_OPTKIND_TS:
			at = append(buf, size, at, "TS val %" PRIu32 " ecr %" PRIu32,
			            ts_to_script(f, o->ts_val), o->ts_ecr);
			break;
		default:
			at = append(buf, size, at, "kind%u", (unsigned)o->items[i].kind);
			break;
		}
	}
	return append(buf, size, at, ">");
}

void format_pkt(const struct runner *r, const struct flow *f, const struct pkt *p, char *buf,
                size_t size)
{
	char fl[12];
	size_t at = 0;
	uint32_t seq = p->seg.seq - local_offset(f, (p->seg.flags & PTCP_SYN) != 0);
	uint32_t len = (uint32_t)p->seg.payload_len;
	(void)r;
	flags_text(p->seg.flags, fl);
	at = append(buf, size, at, "%s %" PRIu32 ":%" PRIu32 "(%" PRIu32 ")", fl, seq, seq + len,
	            len);
	if (p->seg.flags & PTCP_ACK)
		at = append(buf, size, at, " ack %" PRIu32,
		            p->seg.ack - remote_offset(f, (p->seg.flags & PTCP_SYN) != 0));
	at = append(buf, size, at, " win %u", (unsigned)p->seg.wnd);
	if (p->seg.urp)
		at = append(buf, size, at, " urg %u", (unsigned)p->seg.urp);
	format_opts(f, &p->seg.opts, buf, size, at);
}

/* ---- The output queue ------------------------------------------------------------------ */

static bool pkt_is_sut(const struct runner *r, const struct pkt *p)
{
	const struct flow *f = r->sut;
	return f && p->seg.sport == f->lport && p->seg.dport == f->rport;
}

void outq_remove(struct runner *r, struct pkt *p)
{
	struct pkt **pp, *prev = NULL;
	for (pp = &r->outq; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			if (r->outq_tail == p)
				r->outq_tail = prev;
			free(p);
			return;
		}
	}
}

struct pkt *outq_first_sut(struct runner *r)
{
	/* Like upstream's sniffer: segments of other connections are passed over and lost. */
	struct pkt *p = r->outq;
	while (p) {
		struct pkt *n = p->next;
		if (!pkt_is_sut(r, p)) {
			char buf[512];
			format_pkt(r, NULL, p, buf, sizeof(buf));
			drill_trace(r, "  (ignoring a segment of another connection: %s [%u>%u])",
			            buf, (unsigned)p->seg.sport, (unsigned)p->seg.dport);
			outq_remove(r, p);
		}
		p = n;
	}
	return r->outq;
}

/* ---- '<' lines ------------------------------------------------------------------------- */

static int build_options(struct runner *r, const struct ptcp_drill_event *ev, const struct flow *f,
                         bool ack, ptcp_tcp_opts *o)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	memset(o, 0, sizeof(*o));
	if (pk->options_kind == PTCP_DRILL_OPTIONS_ANY)
		return drill_fail(r, ev->line, "'<...>' options in an inbound packet");
	for (size_t i = 0; i < pk->n_options; i++) {
		const struct ptcp_drill_tcp_option *op = &pk->options[i];
		uint8_t kind;
		if (o->nitems >= PTCP_OPT_ITEMS_MAX)
			return drill_fail(r, ev->line, "too many TCP options");
		switch (op->kind) {
		case PTCP_DRILL_OPT_NOP:
			kind = PTCP_OPTKIND_NOP;
			break;
		case PTCP_DRILL_OPT_EOL:
			kind = PTCP_OPTKIND_EOL;
			o->present |= PTCP_OPT_EOL;
			break;
		case PTCP_DRILL_OPT_MSS:
			kind = PTCP_OPTKIND_MSS;
			o->present |= PTCP_OPT_MSS;
			o->mss = (uint16_t)op->value;
			break;
		case PTCP_DRILL_OPT_WSCALE:
			kind = PTCP_OPTKIND_WSCALE;
			o->present |= PTCP_OPT_WSCALE;
			o->wscale = (uint8_t)op->value;
			break;
		case PTCP_DRILL_OPT_SACK_OK:
			kind = PTCP_OPTKIND_SACK_PERM;
			o->present |= PTCP_OPT_SACK_PERM;
			break;
		case PTCP_DRILL_OPT_SACK:
			kind = PTCP_OPTKIND_SACK;
			if (op->n_sack == 0 || op->n_sack > PTCP_SACK_MAX)
				return drill_fail(r, ev->line, "%zu SACK blocks", op->n_sack);
			o->present |= PTCP_OPT_SACK;
			o->sack_count = (uint8_t)op->n_sack;
			for (size_t k = 0; k < op->n_sack; k++) {
				o->sack[k].left = op->sack[k].left + local_offset(f, false);
				o->sack[k].right = op->sack[k].right + local_offset(f, false);
			}
			break;
		case PTCP_DRILL_OPT_TS:
			kind = PTCP_OPTKIND_TS;
			o->present |= PTCP_OPT_TS;
			o->ts_val = op->ts_val;
			o->ts_ecr = op->ts_ecr;
			if (ack) {
				uint32_t live;
				if (flow_ts_get(f, op->ts_ecr, &live))
					o->ts_ecr = live;
				else if (r->ts_ecr_scaled && f->found_first_ts)
					o->ts_ecr =
					    op->ts_ecr - f->first_script_ts + f->first_live_ts;
				else
					return drill_fail(
					    r, ev->line,
					    "unable to infer live TS ecr for script TS ecr %" PRIu32
					    "; no matching or preceding outbound TS val",
					    op->ts_ecr);
			}
			break;
		case PTCP_DRILL_OPT_MD5:
			return drill_unsupported(r, ev->line, "TCP MD5 option",
			                         "TCP MD5 signature option");
		case PTCP_DRILL_OPT_FO:
		case PTCP_DRILL_OPT_FO_EXP:
			/* RFC 7413 4.1.1; kind 254 + 0xF989 for FOEXP (the item's len 0) */
			kind = op->kind == PTCP_DRILL_OPT_FO ? PTCP_OPTKIND_TFO : PTCP_OPTKIND_EXP;
			o->present |= PTCP_OPT_TFO;
			if (tfo_script_cookie(r, ev->line, op->blob,
			                      pk->has_ports ? pk->dst_port : f->lport,
			                      o->tfo_cookie, &o->tfo_len))
				return -1;
			break;
		default:
			return drill_fail(r, ev->line, "unknown TCP option");
		}
		o->items[o->nitems++].kind = kind;
	}
	return 0;
}

static int ecn_bits(enum ptcp_drill_ecn e)
{
	switch (e) {
	case PTCP_DRILL_ECN_ECT0:
		return 2;
	case PTCP_DRILL_ECN_ECT1:
		return 1;
	case PTCP_DRILL_ECN_CE:
		return 3;
	default:
		return 0;
	}
}

static int packet_supported(struct runner *r, const struct ptcp_drill_event *ev)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	if (pk->proto == PTCP_DRILL_UDP)
		return drill_unsupported(r, ev->line, "UDP packets", "UDP packet");
	if (pk->proto == PTCP_DRILL_ICMP)
		return drill_unsupported(r, ev->line, "ICMP packets", "ICMP packet");
	if (pk->n_layers)
		return drill_unsupported(r, ev->line, "encapsulation",
		                         "encapsulated packet (outer IP/GRE/MPLS header)");
	return 0;
}

int match_inbound(struct runner *r, const struct ptcp_drill_event *ev, int64_t t)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	struct flow *f = r->sut;
	ptcp_seg seg;
	bool syn = pk->flag_bits & PTCP_DRILL_FLAG_SYN, ack = pk->flag_bits & PTCP_DRILL_FLAG_ACK;
	(void)t;
	if (pk->proto == PTCP_DRILL_ICMP)
		return match_inbound_icmp(r, ev);
	if (packet_supported(r, ev))
		return -1;
	if (pk->ip.ecn != PTCP_DRILL_ECN_UNSPEC && pk->ip.ecn != PTCP_DRILL_ECN_NOECN &&
	    pk->ip.ecn != PTCP_DRILL_ECN_ECT0 && pk->ip.ecn != PTCP_DRILL_ECN_ECT1 &&
	    pk->ip.ecn != PTCP_DRILL_ECN_CE)
		return drill_fail(r, ev->line, "bad ECN codepoint for an inbound packet");
	if (!pk->has_win)
		return drill_fail(r, ev->line, "window must be specified for inbound packets");
	if (pk->has_ports) {
		/* a '<' line naming its ports speaks for that connection: it becomes the one
		 * under test again (own scripts interleave handshakes this way) */
		for (struct flow *g = r->flows; g; g = g->next) {
			if (g->state != FLOW_LISTENING && g->lport == pk->dst_port &&
			    g->rport == pk->src_port) {
				r->sut = f = g;
				break;
			}
		}
	}
	if (syn && !ack && (!f || f->state == FLOW_LISTENING)) {
		/* A SYN to the listening socket under test: a new child becomes the SUT. */
		uint16_t lport = f ? f->lport : r->bind_port;
		f = flow_new(r, FLOW_PASSIVE_SYN);
		if (!f)
			return -1;
		f->lport = lport;
		f->rport = pk->has_ports ? pk->src_port : r->next_rport++;
		f->remote_isn = pk->seq;
	} else if (f && (f->state == FLOW_SYN_SENT || f->state == FLOW_CONNECTING) && syn && ack) {
		f->state = FLOW_SYN_ACKED;
		f->remote_isn = pk->seq;
	} else if (f && f->state == FLOW_SYNACK_SENT && ack) {
		f->state = FLOW_SYNACK_ACKED;
	}
	if (!f)
		return drill_fail(r, ev->line, "no matching socket for script packet");
	memset(&seg, 0, sizeof(seg));
	seg.sport = pk->has_ports ? pk->src_port : f->rport;
	seg.dport = pk->has_ports ? pk->dst_port : f->lport;
	seg.seq = pk->seq + remote_offset(f, syn);
	seg.ack = ack ? pk->ack + local_offset(f, syn) : (pk->has_ack ? pk->ack : 0);
	seg.flags = (uint8_t)pk->flag_bits;
	seg.wnd = (uint16_t)pk->win;
	seg.urp = pk->has_urg ? (uint16_t)pk->urg : 0;
	if (build_options(r, ev, f, ack, &seg.opts))
		return -1;
	if (pk->len > r->zeros_len) {
		uint8_t *z = calloc(1, pk->len);
		if (!z)
			return drill_fail(r, ev->line, "out of memory");
		free(r->zeros);
		r->zeros = z;
		r->zeros_len = pk->len;
	}
	seg.payload = r->zeros;
	seg.payload_len = pk->len;
	if (r->cfg.trace) {
		char buf[512];
		struct pkt tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.seg = seg;
		format_pkt(r, NULL, &tmp, buf, sizeof(buf));
		drill_trace(r, "  < %s  (live values)", buf);
	}
	if (stack_inject(r, &seg, (uint8_t)ecn_bits(pk->ip.ecn)) != 0)
		return -1;
	return pending_poll(r);
}

/* ---- '>' lines ------------------------------------------------------------------------- */

struct agg {
	struct pkt *first, *last;
	struct pkt *v[256];
	size_t n;
	size_t len;
};

/* Compare option layouts as upstream: same kinds in the same order, same lengths and values
 * for all but NOP/EOL/TS (TS val/ecr checked separately). */
static int check_options(struct runner *r, const struct ptcp_drill_event *ev, const struct flow *f,
                         const ptcp_tcp_opts *a, const char *ctx)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	size_t na = a->nitems, ns = pk->n_options;
	if (pk->options_kind == PTCP_DRILL_OPTIONS_ANY)
		return 0;
	/* trailing EOL padding after the last option is not an item upstream sees as such */
	for (size_t i = 0; i < na || i < ns; i++) {
		const struct ptcp_drill_tcp_option *s = i < ns ? &pk->options[i] : NULL;
		int skind = -1, akind = i < na ? a->items[i].kind : -1;
		if (s) {
			switch (s->kind) {
			case PTCP_DRILL_OPT_NOP:
				skind = PTCP_OPTKIND_NOP;
				break;
			case PTCP_DRILL_OPT_EOL:
				skind = PTCP_OPTKIND_EOL;
				break;
			case PTCP_DRILL_OPT_MSS:
				skind = PTCP_OPTKIND_MSS;
				break;
			case PTCP_DRILL_OPT_WSCALE:
				skind = PTCP_OPTKIND_WSCALE;
				break;
			case PTCP_DRILL_OPT_SACK_OK:
				skind = PTCP_OPTKIND_SACK_PERM;
				break;
			case PTCP_DRILL_OPT_SACK:
				skind = PTCP_OPTKIND_SACK;
				break;
			case PTCP_DRILL_OPT_TS:
				skind = PTCP_OPTKIND_TS;
				break;
			case PTCP_DRILL_OPT_MD5:
				return drill_unsupported(r, ev->line, "TCP MD5 option",
				                         "TCP MD5 signature option");
			case PTCP_DRILL_OPT_FO:
				skind = PTCP_OPTKIND_TFO;
				break;
			case PTCP_DRILL_OPT_FO_EXP:
				skind = PTCP_OPTKIND_EXP;
				break;
			}
		}
		if (skind != akind)
			return drill_fail(r, ev->line, "%s (bad outbound TCP options: option %zu)",
			                  ctx, i + 1);
		switch (skind) {
		case PTCP_OPTKIND_MSS:
			if (s->value != a->mss)
				return drill_fail(r, ev->line,
				                  "%s (option mss: expected %" PRIu32
				                  " vs actual %u)",
				                  ctx, s->value, (unsigned)a->mss);
			break;
		case PTCP_OPTKIND_WSCALE:
			if (s->value != a->wscale)
				return drill_fail(r, ev->line,
				                  "%s (option wscale: expected %" PRIu32
				                  " vs actual %u)",
				                  ctx, s->value, (unsigned)a->wscale);
			break;
		case PTCP_OPTKIND_SACK:
			if (s->n_sack != a->sack_count)
				return drill_fail(
				    r, ev->line,
				    "%s (option sack: expected %zu blocks vs actual %u)", ctx,
				    s->n_sack, (unsigned)a->sack_count);
			for (size_t k = 0; k < s->n_sack; k++)
				if (s->sack[k].left != a->sack[k].left - remote_offset(f, false) ||
				    s->sack[k].right != a->sack[k].right - remote_offset(f, false))
					return drill_fail(r, ev->line,
					                  "%s (option sack: block %zu differs)",
					                  ctx, k + 1);
			break;
		case PTCP_OPTKIND_TS: {
			uint32_t mapped = ts_to_script(f, a->ts_val);
			if (r->ts_tick_usecs) {
				int64_t d = (int64_t)(int32_t)(mapped - s->ts_val);
				if (d < 0)
					d = -d;
				if (d * (int64_t)r->ts_tick_usecs > r->tolerance_usecs)
					return drill_fail(r, ev->line,
					                  "%s (bad outbound TCP timestamp value: "
					                  "expected %" PRIu32 " vs actual %" PRIu32
					                  ", tolerance %" PRId64 " us)",
					                  ctx, s->ts_val, mapped,
					                  r->tolerance_usecs);
			}
			if (r->cfg.check_ts_ecr && s->ts_ecr != a->ts_ecr)
				return drill_fail(r, ev->line,
				                  "%s (TS ecr: expected %" PRIu32
				                  " vs actual %" PRIu32 ")",
				                  ctx, s->ts_ecr, a->ts_ecr);
			break;
		}
		case PTCP_OPTKIND_TFO:
		case PTCP_OPTKIND_EXP: {
			/* RFC 7413 4.1.1: the cookie (none: a request) */
			uint8_t want[16], wlen;
			if (tfo_script_cookie(r, ev->line, s->blob, f ? f->lport : 0, want, &wlen))
				return -1;
			if (wlen != a->tfo_len || memcmp(want, a->tfo_cookie, wlen) != 0)
				return drill_fail(
				    r, ev->line,
				    "%s (option Fast Open: expected a %u-byte cookie, "
				    "got %u bytes%s)",
				    ctx, (unsigned)wlen, (unsigned)a->tfo_len,
				    wlen == a->tfo_len ? " that differ" : "");
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

/* Upstream verify_packet_fragments(): may cur follow prev in one TSO/GSO burst? */
static bool fragment_ok(const struct pkt *prev, const struct pkt *cur, size_t sniffed,
                        size_t expected)
{
	const uint8_t same = PTCP_SYN | PTCP_RST | PTCP_ACK | PTCP_URG | PTCP_ECE;
	if ((prev->seg.flags & same) != (cur->seg.flags & same))
		return false;
	if (cur->seg.seq != prev->seg.seq + (uint32_t)prev->seg.payload_len)
		return false;
	if (cur->seg.ack != prev->seg.ack || cur->seg.wnd != prev->seg.wnd ||
	    cur->seg.urp != prev->seg.urp)
		return false;
	if (cur->seg.payload_len < expected - sniffed &&
	    cur->seg.payload_len != prev->seg.payload_len)
		return false;
	return true;
}

static struct pkt *nth_pkt(struct runner *r, size_t n)
{
	struct pkt *p = outq_first_sut(r);
	while (p && n--)
		p = p->next;
	return p;
}

static int next_sut_pkt(struct runner *r, const struct ptcp_drill_event *ev, int64_t limit,
                        struct agg *g, const char *want)
{
	/* A TSO/GSO burst leaves at one instant: a run ends with the first segment's time. */
	if (g->n > 0)
		limit = g->v[0]->t;
	for (;;) {
		struct pkt *p = nth_pkt(r, g->n);
		int k;
		if (p) {
			if (g->n == sizeof(g->v) / sizeof(g->v[0]))
				return drill_fail(r, ev->line, "too many segments for one line");
			g->v[g->n++] = p;
			return 0;
		}
		k = stack_advance_one(r, limit);
		if (k < 0)
			return -1;
		if (k == 0) {
			char t[32];
			if (g->n) {
				char got[512], t1[32];
				format_pkt(r, r->sut, g->v[0], got, sizeof(got));
				return drill_fail(
				    r, ev->line,
				    "expected '%s' but got '%s' at %s (payload: expected "
				    "%zu bytes vs actual %zu in %zu segment%s)",
				    want, got, drill_usecs(g->v[0]->t, t1, sizeof(t1)),
				    (size_t)ev->u.packet.len, g->len, g->n, g->n > 1 ? "s" : "");
			}
			return drill_fail(
			    r, ev->line,
			    "expected '%s' but the core sent nothing (no segment until "
			    "%s)",
			    want, drill_usecs(limit, t, sizeof(t)));
		}
	}
}

int match_outbound(struct runner *r, const struct ptcp_drill_event *ev, int64_t lo, int64_t hi,
                   bool any)
{
	const struct ptcp_drill_packet *pk = &ev->u.packet;
	struct flow *f = r->sut;
	struct agg g;
	char want[512], got[512], ctx[1200], t1[32];
	size_t expected = pk->len;
	int64_t limit = (any ? r->now : hi) + r->tolerance_usecs + DRILL_SEC(60);
	struct pkt a;
	uint8_t flags_s = (uint8_t)pk->flag_bits;
	if (packet_supported(r, ev))
		return -1;
	if (!f)
		return drill_fail(r, ev->line, "no socket under test for an outbound packet");
	if (f->state == FLOW_CONNECTING && (flags_s & PTCP_SYN) && !(flags_s & PTCP_ACK)) {
		f->state = FLOW_SYN_SENT;
		f->script_isn = pk->seq;
	} else if (f->state == FLOW_PASSIVE_SYN && (flags_s & PTCP_SYN) && (flags_s & PTCP_ACK)) {
		f->state = FLOW_SYNACK_SENT;
		f->script_isn = pk->seq;
	}
	ptcp_drill_format_event(ev, want, sizeof(want));
	memset(&g, 0, sizeof(g));
	do {
		struct pkt *p;
		if (next_sut_pkt(r, ev, limit, &g, want))
			return -1;
		p = g.v[g.n - 1];
		if (g.n > 1 && !fragment_ok(g.v[g.n - 2], p, g.len, expected)) {
			format_pkt(r, f, p, got, sizeof(got));
			return drill_fail(r, ev->line,
			                  "expected '%s' but got a run of segments that does not "
			                  "form it: after %zu of %zu bytes came '%s' at %s",
			                  want, g.len, expected, got,
			                  drill_usecs(p->t, t1, sizeof(t1)));
		}
		g.len += p->seg.payload_len;
	} while (g.len < expected && !r->strict_segments && g.v[0]->seg.payload_len > 0);
	g.first = g.v[0];
	g.last = g.v[g.n - 1];
	/* The aggregate: the last segment's header, the first one's seq and CWR. */
	a = *g.last;
	a.seg.seq = g.first->seg.seq;
	a.seg.flags = (uint8_t)((a.seg.flags & ~PTCP_CWR) | (g.first->seg.flags & PTCP_CWR));
	a.seg.payload_len = g.len;
	format_pkt(r, f, &a, got, sizeof(got));
	snprintf(ctx, sizeof(ctx), "expected '%s' but got '%s'%s at %s", want, got,
	         g.n > 1 ? " (several segments)" : "", drill_usecs(a.t, t1, sizeof(t1)));
	/* Header fields: every mismatch is listed (upstream stops at the first one, in the
	 * order flags, seq, ack; the seq and length say more about a root cause). */
	{
		static const struct {
			uint8_t bit;
			const char *name;
		} fl[] = {{PTCP_FIN, "tcp_fin"}, {PTCP_SYN, "tcp_syn"}, {PTCP_RST, "tcp_rst"},
		          {PTCP_PSH, "tcp_psh"}, {PTCP_ACK, "tcp_ack"}, {PTCP_URG, "tcp_urg"},
		          {PTCP_ECE, "tcp_ece"}, {PTCP_CWR, "tcp_cwr"}};
		char diff[600];
		size_t at = 0;
		uint32_t ack_s = pk->has_ack ? pk->ack : 0;
		uint32_t ack_a = (a.seg.flags & PTCP_ACK) || pk->has_ack
		                     ? a.seg.ack - remote_offset(f, (a.seg.flags & PTCP_SYN) != 0)
		                     : 0;
		int e = ecn_bits(pk->ip.ecn);
		diff[0] = '\0';
		if (g.len != expected)
			at = append(diff, sizeof(diff), at,
			            "; payload: expected %zu bytes vs actual %zu", expected, g.len);
		if (pk->seq != a.seg.seq - local_offset(f, (a.seg.flags & PTCP_SYN) != 0))
			at = append(diff, sizeof(diff), at,
			            "; tcp_seq: expected %" PRIu32 " vs actual %" PRIu32, pk->seq,
			            a.seg.seq - local_offset(f, (a.seg.flags & PTCP_SYN) != 0));
		if (ack_s != ack_a)
			at = append(diff, sizeof(diff), at,
			            "; tcp_ack_seq: expected %" PRIu32 " vs actual %" PRIu32, ack_s,
			            ack_a);
		/* a PSH or window difference that comes first: diff[0..alone_at) is
		 * it, and it is the only one when nothing follows (drill_known.c) */
		int alone = -1;
		size_t alone_at = 0;
		for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
			unsigned ws = (flags_s & fl[i].bit) != 0,
			         wa = (a.seg.flags & fl[i].bit) != 0;
			if (ws == wa || (fl[i].bit == PTCP_PSH && (r->cfg.ignore_psh || g.n > 1)))
				continue;
			if (!at && fl[i].bit == PTCP_PSH)
				alone = PTCP_DRILL_KNOWN_PSH;
			at = append(diff, sizeof(diff), at, "; %s: expected %u vs actual %u",
			            fl[i].name, ws, wa);
			if (alone >= 0 && !alone_at)
				alone_at = at;
		}
		if (a.seg.reserved)
			at = append(diff, sizeof(diff), at, "; tcp_reserved_bits: expected 0 vs %u",
			            (unsigned)a.seg.reserved);
		if (pk->has_win && pk->win != a.seg.wnd) {
			if (!at)
				alone = PTCP_DRILL_KNOWN_WIN;
			at = append(diff, sizeof(diff), at,
			            "; tcp_window: expected %" PRIu32 " vs actual %u", pk->win,
			            (unsigned)a.seg.wnd);
			if (alone == PTCP_DRILL_KNOWN_WIN)
				alone_at = at;
		}
		if ((pk->has_urg ? pk->urg : 0) != a.seg.urp)
			at = append(diff, sizeof(diff), at,
			            "; tcp_urg_ptr: expected %" PRIu32 " vs actual %u",
			            pk->has_urg ? pk->urg : 0, (unsigned)a.seg.urp);
		if (pk->ip.ecn == PTCP_DRILL_ECN_ECT01    ? (a.ecn != 1 && a.ecn != 2)
		    : pk->ip.ecn != PTCP_DRILL_ECN_UNSPEC ? (unsigned)e != a.ecn
		                                          : false)
			at = append(diff, sizeof(diff), at, "; ip_ecn: expected %s vs actual %u",
			            pk->ip.ecn == PTCP_DRILL_ECN_ECT01 ? "ECT0 or ECT1" : "",
			            (unsigned)a.ecn);
		/* PSH or the window alone differs: a listed Linux-only deviation
		 * (drill_known.c) or a failure */
		if (alone >= 0 && at == alone_at &&
		    drill_known(r, ev->line, (enum ptcp_drill_known_kind)alone, a.t, diff + 2))
			at = 0;
		if (at)
			return drill_fail(r, ev->line, "%s (%s)", ctx, diff + 2);
	}
	/* TS mapping first (upstream maps before it compares the options) */
	if (pk->options_kind == PTCP_DRILL_OPTIONS_LIST && (a.seg.opts.present & PTCP_OPT_TS)) {
		for (size_t i = 0; i < pk->n_options; i++) {
			if (pk->options[i].kind != PTCP_DRILL_OPT_TS)
				continue;
			flow_ts_set(f, pk->options[i].ts_val, a.seg.opts.ts_val);
			if (!f->found_first_ts) {
				f->found_first_ts = true;
				f->first_script_ts = pk->options[i].ts_val;
				f->first_live_ts = a.seg.opts.ts_val;
			}
		}
	}
	if (check_options(r, ev, f, &a.seg.opts, ctx))
		return -1;
	if (drill_check_time(r, ev->line, "outbound packet", lo, hi, any, a.t,
	                     r->last_event_time)) {
		size_t n = strlen(r->res->message);
		snprintf(r->res->message + n, sizeof(r->res->message) - n, "; packet '%s'", got);
		return -1;
	}
	if (a.t > r->now)
		r->now = a.t;
	for (size_t i = 0; i < g.n; i++)
		outq_remove(r, g.v[i]);
	return 0;
}
