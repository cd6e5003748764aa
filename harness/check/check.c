/*
 * The invariant checker (see check.h).
 *
 * IMPLEMENTATION NOTES
 * The state table below is written from RFC 9293, not from the core: the
 * 3.3.2 diagram, plus the arrows the 3.10 event processing text adds (RST,
 * ABORT, user timeout / R2 to CLOSED from every state, SYN-RECEIVED back to
 * LISTEN, SYN-RECEIVED to CLOSE-WAIT and FIN-WAIT-1 to TIME-WAIT on a FIN).
 * Only the first violation of a call is reported.  A connection
 * "incarnation" ends when it passes through CLOSED or LISTEN: the
 * monotonicity checks (SND.UNA, RCV.NXT, right edges) restart then.
 */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(s) (1u << (s))

/* allowed[from] = the set of "to" states (RFC 9293 3.3.2 Figure 5 and 3.10). */
static const uint16_t allowed[PTCP_STATE_COUNT] = {
    /* passive OPEN, active OPEN */
    [PTCP_CLOSED] = BIT(PTCP_LISTEN) | BIT(PTCP_SYN_SENT),
    /* rcv SYN; SEND; CLOSE */
    [PTCP_LISTEN] = BIT(PTCP_SYN_RECEIVED) | BIT(PTCP_SYN_SENT) | BIT(PTCP_CLOSED),
    /* rcv SYN (simultaneous open); rcv SYN,ACK; CLOSE, RST, timeout */
    [PTCP_SYN_SENT] = BIT(PTCP_SYN_RECEIVED) | BIT(PTCP_ESTABLISHED) | BIT(PTCP_CLOSED),
    /* rcv ACK of SYN; CLOSE; RST (passive open) back to LISTEN; RST / abort /
     * timeout; FIN (3.10.7.4 eighth: "SYN-RECEIVED STATE ... enter CLOSE-WAIT") */
    [PTCP_SYN_RECEIVED] = BIT(PTCP_ESTABLISHED) | BIT(PTCP_FIN_WAIT_1) | BIT(PTCP_LISTEN) |
                          BIT(PTCP_CLOSED) | BIT(PTCP_CLOSE_WAIT),
    /* CLOSE; rcv FIN; RST / abort / timeout */
    [PTCP_ESTABLISHED] = BIT(PTCP_FIN_WAIT_1) | BIT(PTCP_CLOSE_WAIT) | BIT(PTCP_CLOSED),
    /* rcv ACK of FIN; rcv FIN; FIN with our FIN acked (3.10.7.4 eighth); RST ... */
    [PTCP_FIN_WAIT_1] =
        BIT(PTCP_FIN_WAIT_2) | BIT(PTCP_CLOSING) | BIT(PTCP_TIME_WAIT) | BIT(PTCP_CLOSED),
    /* rcv FIN; RST / abort / timeout */
    [PTCP_FIN_WAIT_2] = BIT(PTCP_TIME_WAIT) | BIT(PTCP_CLOSED),
    /* CLOSE; RST / abort / timeout */
    [PTCP_CLOSE_WAIT] = BIT(PTCP_LAST_ACK) | BIT(PTCP_CLOSED),
    /* rcv ACK of FIN; RST / timeout */
    [PTCP_CLOSING] = BIT(PTCP_TIME_WAIT) | BIT(PTCP_CLOSED),
    /* rcv ACK of FIN; RST / timeout */
    [PTCP_LAST_ACK] = BIT(PTCP_CLOSED),
    /* 2 MSL timeout; RST */
    [PTCP_TIME_WAIT] = BIT(PTCP_CLOSED),
};

int ptcp_check_arrow_ok(ptcp_state from, ptcp_state to)
{
	if ((unsigned)from >= PTCP_STATE_COUNT || (unsigned)to >= PTCP_STATE_COUNT)
		return 0;
	return (allowed[from] & BIT(to)) != 0;
}

const char *ptcp_check_code_name(ptcp_check_code code)
{
	switch (code) {
	case PTCP_CHECK_OK:
		return "ok";
	case PTCP_CHECK_SND_ORDER:
		return "snd-order";
	case PTCP_CHECK_SND_UNA_BACK:
		return "snd-una-back";
	case PTCP_CHECK_RCV_NXT_BACK:
		return "rcv-nxt-back";
	case PTCP_CHECK_RCV_EDGE:
		return "rcv-edge";
	case PTCP_CHECK_STATE_ARROW:
		return "state-arrow";
	case PTCP_CHECK_STATE_REPORT:
		return "state-report";
	case PTCP_CHECK_BUILD:
		return "build";
	case PTCP_CHECK_PARSE:
		return "parse";
	case PTCP_CHECK_ROUNDTRIP:
		return "roundtrip";
	case PTCP_CHECK_OPTIONS:
		return "options";
	case PTCP_CHECK_SACK:
		return "sack";
	case PTCP_CHECK_ACK_UNSENT:
		return "ack-unsent";
	case PTCP_CHECK_PEER_WINDOW:
		return "peer-window";
	case PTCP_CHECK_STREAM_DATA:
		return "stream-data";
	case PTCP_CHECK_STREAM_EXTRA:
		return "stream-extra";
	case PTCP_CHECK_STREAM_SHORT:
		return "stream-short";
	case PTCP_CHECK_STUCK:
		return "stuck";
	case PTCP_CHECK_NOMEM:
		return "nomem";
	default:
		return "unknown";
	}
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static ptcp_check_code
fail(ptcp_check_violation *v, ptcp_check_code code, const char *fmt, ...)
{
	va_list ap;
	if (!v)
		return code;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	return code;
}

static const char *sname(ptcp_state s)
{
	return (unsigned)s < PTCP_STATE_COUNT ? ptcp_state_name(s) : "?";
}

/* States with a sequence space of their own (an ISS). */
static int has_seq(ptcp_state s)
{
	return s >= PTCP_SYN_SENT && s < PTCP_STATE_COUNT;
}

/* States with RCV.NXT set (the peer's SYN seen). */
static int has_rcv(ptcp_state s)
{
	return s >= PTCP_SYN_RECEIVED && s < PTCP_STATE_COUNT;
}

/* Synchronized states (RFC 9293 3.5: after the handshake). */
static int synced(ptcp_state s)
{
	return s >= PTCP_ESTABLISHED && s < PTCP_STATE_COUNT;
}

void ptcp_check_init(ptcp_check_conn *k)
{
	memset(k, 0, sizeof(*k));
	k->prev.state = PTCP_CLOSED;
}

void ptcp_check_init_conn(ptcp_check_conn *k, const ptcp_conn *c)
{
	ptcp_check_init(k);
	ptcp_conn_info(c, &k->prev);
	k->active = (uint8_t)has_seq(k->prev.state);
}

ptcp_check_code ptcp_check_state(ptcp_check_conn *k, const ptcp_info *after,
                                 const ptcp_action *acts, size_t n, ptcp_check_violation *v)
{
	ptcp_check_code rc = PTCP_CHECK_OK;
	const ptcp_info *b = &k->prev;
	ptcp_state cur = b->state;
	int reset = 0, same;
	size_t i;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		if (rc == PTCP_CHECK_OK)                                                           \
			rc = fail(v, __VA_ARGS__);                                                 \
	} while (0)

	k->steps++;
	/* State changes: a chain of reported arrows from the old state to the new. */
	for (i = 0; i < n; i++) {
		const ptcp_action *a = &acts[i];
		if (a->kind != PTCP_ACT_STATE)
			continue;
		if (a->state.from != cur)
			FAIL(PTCP_CHECK_STATE_REPORT, "state action %s -> %s but the state was %s",
			     sname(a->state.from), sname(a->state.to), sname(cur));
		if (!ptcp_check_arrow_ok(a->state.from, a->state.to) &&
		    !((k->flags & PTCP_CHECK_F_ESTABLISH) && a->state.from == PTCP_CLOSED &&
		      a->state.to == PTCP_ESTABLISHED))
			FAIL(PTCP_CHECK_STATE_ARROW, "%s -> %s is not an RFC 9293 arrow",
			     sname(a->state.from), sname(a->state.to));
		if (a->state.from == PTCP_CLOSED || a->state.from == PTCP_LISTEN ||
		    a->state.to == PTCP_CLOSED || a->state.to == PTCP_LISTEN)
			reset = 1;
		cur = a->state.to;
	}
	if (cur != after->state)
		FAIL(PTCP_CHECK_STATE_REPORT, "state went %s -> %s but the actions say %s",
		     sname(b->state), sname(after->state), sname(cur));

	/* The send sequence space. */
	if (has_seq(after->state) && !(ptcp_seq_le(after->snd_una, after->snd_nxt) &&
	                               ptcp_seq_le(after->snd_nxt, after->snd_max)))
		FAIL(PTCP_CHECK_SND_ORDER,
		     "%s: not SND.UNA %u <= SND.NXT %u <= SND.MAX %u (ISS %u)", sname(after->state),
		     after->snd_una, after->snd_nxt, after->snd_max, after->iss);
	same = !reset && after->iss == b->iss;
	if (same && has_seq(b->state) && has_seq(after->state) &&
	    ptcp_seq_lt(after->snd_una, b->snd_una))
		FAIL(PTCP_CHECK_SND_UNA_BACK, "%s: SND.UNA moved back from %u to %u (ISS %u)",
		     sname(after->state), b->snd_una, after->snd_una, after->iss);
	if (same && has_rcv(b->state) && has_rcv(after->state) && after->irs == b->irs &&
	    ptcp_seq_lt(after->rcv_nxt, b->rcv_nxt))
		FAIL(PTCP_CHECK_RCV_NXT_BACK, "%s: RCV.NXT moved back from %u to %u (IRS %u)",
		     sname(after->state), b->rcv_nxt, after->rcv_nxt, after->irs);

	/* The advertised right edge (RFC 9293 3.8.6: the window must not shrink). */
	if (reset || !same)
		k->edge_ok = k->seg_edge_ok = 0;
	if (synced(after->state)) {
		uint32_t e = after->rcv_nxt + after->rcv_wnd;
		if (k->edge_ok && ptcp_seq_lt(e, k->edge))
			FAIL(PTCP_CHECK_RCV_EDGE,
			     "%s: right edge RCV.NXT %u + RCV.WND %u = %u moved left of %u",
			     sname(after->state), after->rcv_nxt, after->rcv_wnd, e, k->edge);
		if (!k->edge_ok || ptcp_seq_gt(e, k->edge))
			k->edge = e;
		k->edge_ok = 1;
	}

	/* Which incarnation the variables describe (for ptcp_check_pair()). */
	if (after->state == PTCP_LISTEN)
		k->active = 0;
	else if (has_seq(after->state))
		k->active = 1;
	/* else CLOSED: keep the last incarnation's numbers for late segments */
	k->prev = *after;
#undef FAIL
	return rc;
}

static int opts_equal(const ptcp_tcp_opts *a, const ptcp_tcp_opts *b, char *why, size_t cap)
{
	uint32_t pa = a->present & ~PTCP_OPT_EOL, pb = b->present & ~PTCP_OPT_EOL;
	if (pa != pb) {
		snprintf(why, cap, "options present 0x%x, parsed 0x%x", (unsigned)pa, (unsigned)pb);
		return 0;
	}
	if ((pa & PTCP_OPT_MSS) && a->mss != b->mss) {
		snprintf(why, cap, "MSS %u, parsed %u", a->mss, b->mss);
		return 0;
	}
	if ((pa & PTCP_OPT_WSCALE) && a->wscale != b->wscale) {
		snprintf(why, cap, "wscale %u, parsed %u", a->wscale, b->wscale);
		return 0;
	}
	if ((pa & PTCP_OPT_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)) {
		snprintf(why, cap, "TS %u/%u, parsed %u/%u", a->ts_val, a->ts_ecr, b->ts_val,
		         b->ts_ecr);
		return 0;
	}
	if (pa & PTCP_OPT_SACK) {
		if (a->sack_count != b->sack_count) {
			snprintf(why, cap, "%u SACK blocks, parsed %u", a->sack_count,
			         b->sack_count);
			return 0;
		}
		for (unsigned i = 0; i < a->sack_count && i < PTCP_SACK_MAX; i++)
			if (a->sack[i].left != b->sack[i].left ||
			    a->sack[i].right != b->sack[i].right) {
				snprintf(why, cap, "SACK block %u differs", i);
				return 0;
			}
	}
	if ((pa & PTCP_OPT_TFO) &&
	    (a->tfo_len != b->tfo_len || memcmp(a->tfo_cookie, b->tfo_cookie, a->tfo_len) != 0)) {
		snprintf(why, cap, "TFO cookie differs");
		return 0;
	}
	return 1;
}

static void seg_str(const ptcp_seg *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "seg %s%s%s%s%s seq %u ack %u win %u len %zu",
	         (s->flags & PTCP_SYN) ? "S" : "", (s->flags & PTCP_FIN) ? "F" : "",
	         (s->flags & PTCP_RST) ? "R" : "", (s->flags & PTCP_PSH) ? "P" : "",
	         (s->flags & PTCP_ACK) ? "." : "", s->seq, s->ack, s->wnd, ptcp_seg_len(s));
}

ptcp_check_code ptcp_check_emit(ptcp_check_conn *k, const ptcp_action *emit, const uint8_t *pkt,
                                size_t len, ptcp_check_violation *v)
{
	const ptcp_seg *s;
	uint8_t buf[65535 + 64];
	char ss[96];
	ptcp_ip ip;
	ptcp_seg ps;
	int r;

	if (emit->kind != PTCP_ACT_EMIT)
		return PTCP_CHECK_OK;
	s = &emit->emit.seg;
	/* Builds, parses back with a correct checksum, the same segment. */
	if (!pkt) {
		memset(&ip, 0, sizeof(ip));
		ip.src = emit->emit.src;
		ip.dst = emit->emit.dst;
		ip.ttl = 64;
		ip.df = 1;
		ip.tos = emit->emit.ecn & 3u;
		r = ptcp_wire_build_packet(buf, sizeof(buf), &ip, s);
		if (r < 0) {
			k->segs++;
			seg_str(s, ss, sizeof(ss));
			return fail(v, PTCP_CHECK_BUILD, "%s does not build: %s", ss,
			            ptcp_strerror(r));
		}
		pkt = buf;
		len = (size_t)r;
	}
	r = ptcp_wire_parse_packet(pkt, len, &ip, &ps);
	if (r < 0) {
		k->segs++;
		seg_str(s, ss, sizeof(ss));
		return fail(v, PTCP_CHECK_PARSE, "%s does not parse back: %s", ss,
		            ptcp_strerror(r));
	}
	return ptcp_check_emit_parsed(k, emit, &ip, &ps, v);
}

ptcp_check_code ptcp_check_emit_parsed(ptcp_check_conn *k, const ptcp_action *emit,
                                       const ptcp_ip *pip, const ptcp_seg *pseg,
                                       ptcp_check_violation *v)
{
	const ptcp_seg *s;
	const ptcp_tcp_opts *o;
	char why[96], ss[96];
	int syn;
	uint8_t ws;
	size_t plen;

	if (emit->kind != PTCP_ACT_EMIT)
		return PTCP_CHECK_OK;
	k->segs++;
	s = &emit->emit.seg;
	o = &s->opts;
	syn = (s->flags & PTCP_SYN) != 0;
	ws = k->prev.rcv_wscale;
	plen = ptcp_seg_len(s);

	if (pseg->sport != s->sport || pseg->dport != s->dport || pseg->seq != s->seq ||
	    pseg->ack != s->ack || pseg->flags != s->flags || pseg->wnd != s->wnd ||
	    pseg->urp != s->urp || pseg->reserved != (s->reserved & 0x0fu) ||
	    ptcp_seg_len(pseg) != plen) {
		seg_str(s, ss, sizeof(ss));
		seg_str(pseg, why, sizeof(why));
		return fail(v, PTCP_CHECK_ROUNDTRIP, "%s parses back as %s", ss, why);
	}
	if (!ptcp_addr_eq(&pip->src, &emit->emit.src) || !ptcp_addr_eq(&pip->dst, &emit->emit.dst))
		return fail(v, PTCP_CHECK_ROUNDTRIP, "addresses differ after a round trip");
	if (pseg->payload2_len ||
	    (s->payload_len && memcmp(pseg->payload, s->payload, s->payload_len) != 0) ||
	    (s->payload2_len &&
	     memcmp(pseg->payload + s->payload_len, s->payload2, s->payload2_len) != 0)) {
		seg_str(s, ss, sizeof(ss));
		return fail(v, PTCP_CHECK_ROUNDTRIP, "%s: payload differs after a round trip", ss);
	}
	if (!opts_equal(o, &pseg->opts, why, sizeof(why))) {
		seg_str(s, ss, sizeof(ss));
		return fail(v, PTCP_CHECK_ROUNDTRIP, "%s: %s", ss, why);
	}

	/* Option rules (RFC 9293 3.7.1, RFC 7323 2.2-2.3, RFC 2018 2-3). */
	if (!syn && (o->present & (PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM))) {
		seg_str(s, ss, sizeof(ss));
		return fail(v, PTCP_CHECK_OPTIONS, "%s carries %s outside a SYN", ss,
		            (o->present & PTCP_OPT_MSS)      ? "MSS"
		            : (o->present & PTCP_OPT_WSCALE) ? "window scale"
		                                             : "SACK-permitted");
	}
	if ((o->present & PTCP_OPT_WSCALE) && o->wscale > 14)
		return fail(v, PTCP_CHECK_OPTIONS, "window scale %u > 14", o->wscale);
	if (o->present & PTCP_OPT_SACK) {
		unsigned nb = o->sack_count, max = (o->present & PTCP_OPT_TS) ? 3u : 4u;
		uint32_t wnd = syn ? s->wnd : (uint32_t)s->wnd << ws;
		if (syn || (s->flags & PTCP_RST) || !(s->flags & PTCP_ACK)) {
			seg_str(s, ss, sizeof(ss));
			return fail(v, PTCP_CHECK_OPTIONS, "%s carries SACK blocks", ss);
		}
		if (nb == 0 || nb > max)
			return fail(v, PTCP_CHECK_OPTIONS, "%u SACK blocks (at most %u here)", nb,
			            max);
		/* RFC 2883: the first block may be a D-SACK, reporting a duplicate:
		 * at or below SEG.ACK, or inside the second block. */
		int dsack = 0;
		if (ptcp_seq_lt(o->sack[0].left, o->sack[0].right) &&
		    (ptcp_seq_le(o->sack[0].right, s->ack) ||
		     (nb >= 2 && ptcp_seq_le(o->sack[1].left, o->sack[0].left) &&
		      ptcp_seq_le(o->sack[0].right, o->sack[1].right))))
			dsack = 1;
		for (unsigned i = dsack ? 1u : 0u; i < nb; i++) {
			uint32_t l = o->sack[i].left - s->ack, rr = o->sack[i].right - s->ack;
			/* above SEG.ACK, non-empty, at most the right edge announced */
			if (l == 0 || l >= rr || rr > wnd || l > 0x7fffffffu)
				return fail(v, PTCP_CHECK_SACK,
				            "SACK block %u [%u, %u) not inside (ACK %u, edge %u]",
				            i, o->sack[i].left, o->sack[i].right, s->ack,
				            s->ack + wnd);
			for (unsigned j = dsack ? 1u : 0u; j < i; j++) {
				uint32_t l2 = o->sack[j].left - s->ack,
				         r2 = o->sack[j].right - s->ack;
				if (l < r2 && l2 < rr)
					return fail(
					    v, PTCP_CHECK_SACK,
					    "SACK blocks %u [%u, %u) and %u [%u, %u) overlap", j,
					    o->sack[j].left, o->sack[j].right, i, o->sack[i].left,
					    o->sack[i].right);
			}
		}
	}

	/* The right edge announced in segments never moves left (RFC 9293 3.8.6). */
	if ((s->flags & PTCP_ACK) && !(s->flags & PTCP_RST) && has_rcv(k->prev.state)) {
		uint32_t e = s->ack + (syn ? (uint32_t)s->wnd : (uint32_t)s->wnd << ws);
		if (k->seg_edge_ok && ptcp_seq_lt(e, k->seg_edge)) {
			seg_str(s, ss, sizeof(ss));
			return fail(v, PTCP_CHECK_RCV_EDGE,
			            "%s announces right edge %u, left of %u announced before", ss,
			            e, k->seg_edge);
		}
		if (!k->seg_edge_ok || ptcp_seq_gt(e, k->seg_edge))
			k->seg_edge = e;
		k->seg_edge_ok = 1;
	}
	return PTCP_CHECK_OK;
}

ptcp_check_code ptcp_check_step(ptcp_check_conn *k, const ptcp_conn *c, const ptcp_actions *out,
                                ptcp_check_violation *v)
{
	ptcp_info after;
	ptcp_check_code rc, r;
	ptcp_conn_info(c, &after);
	rc = ptcp_check_state(k, &after, out->v, out->n, v);
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].kind != PTCP_ACT_EMIT)
			continue;
		r = ptcp_check_emit(k, &out->v[i], NULL, 0, rc == PTCP_CHECK_OK ? v : NULL);
		if (rc == PTCP_CHECK_OK)
			rc = r;
	}
	return rc;
}

ptcp_check_code ptcp_check_pair(const ptcp_check_conn *peer, const ptcp_seg *seg,
                                ptcp_check_violation *v)
{
	const ptcp_info *p = &peer->prev;
	size_t len = ptcp_seg_len(seg);
	char ss[96];

	if ((seg->flags & PTCP_ACK) && peer->active && p->state != PTCP_LISTEN &&
	    !(ptcp_seq_gt(seg->ack, p->iss) && ptcp_seq_le(seg->ack, p->snd_max))) {
		seg_str(seg, ss, sizeof(ss));
		return fail(
		    v, PTCP_CHECK_ACK_UNSENT,
		    "%s acknowledges what the peer has not sent (peer ISS %u, SND.MAX %u, %s)", ss,
		    p->iss, p->snd_max, sname(p->state));
	}
	if (len && !(seg->flags & PTCP_SYN) && peer->active && has_rcv(p->state)) {
		uint32_t edge = p->rcv_nxt + p->rcv_wnd;
		uint32_t end = seg->seq + (uint32_t)len;
		if (ptcp_seq_gt(end, edge) && !(len == 1 && seg->seq == edge)) {
			seg_str(seg, ss, sizeof(ss));
			return fail(
			    v, PTCP_CHECK_PEER_WINDOW,
			    "%s ends at %u, beyond the peer's advertised edge %u (RCV.NXT %u)", ss,
			    end, edge, p->rcv_nxt);
		}
	}
	return PTCP_CHECK_OK;
}

ptcp_check_code ptcp_check_liveness(const ptcp_info *i, ptcp_time_t deadline, size_t in_flight,
                                    int app_pending, ptcp_check_violation *v)
{
	const char *st = sname(i->state);
	if (!has_seq(i->state) || i->state == PTCP_TIME_WAIT)
		return PTCP_CHECK_OK;
	if (deadline != PTCP_TIME_NEVER || in_flight)
		return PTCP_CHECK_OK;
	if (i->snd_una != i->snd_max)
		return fail(v, PTCP_CHECK_STUCK,
		            "%s: %u sequence numbers unacknowledged (SND.UNA %u, SND.MAX %u), "
		            "no deadline, nothing in flight",
		            st, i->snd_max - i->snd_una, i->snd_una, i->snd_max);
	if (i->send_queued)
		return fail(v, PTCP_CHECK_STUCK,
		            "%s: %zu bytes queued but unsent, no deadline, nothing in flight", st,
		            i->send_queued);
	if (i->state == PTCP_SYN_SENT || i->state == PTCP_SYN_RECEIVED ||
	    i->state == PTCP_FIN_WAIT_1 || i->state == PTCP_CLOSING || i->state == PTCP_LAST_ACK)
		return fail(
		    v, PTCP_CHECK_STUCK,
		    "%s: waiting for an ACK of our SYN or FIN, no deadline, nothing in flight", st);
	if (i->recv_ready && !app_pending)
		return fail(v, PTCP_CHECK_STUCK,
		            "%s: %zu bytes unread and nobody will read them, nothing in flight", st,
		            i->recv_ready);
	return PTCP_CHECK_OK;
}

ptcp_check_code ptcp_check_rto(uint64_t rto_before, uint64_t rto_after, const ptcp_info *after,
                               const ptcp_action *acts, size_t n, ptcp_check_violation *v)
{
	if (rto_after == rto_before || !has_seq(after->state) || after->snd_una == after->snd_max)
		return PTCP_CHECK_OK;
	for (size_t i = 0; i < n; i++)
		if (acts[i].kind == PTCP_ACT_EMIT)
			return PTCP_CHECK_OK;
	return fail(v, PTCP_CHECK_STUCK,
	            "%s: a retransmission timeout fired with %u sequence numbers unacknowledged "
	            "(SND.UNA %u, SND.NXT %u, SND.MAX %u, SND.WND %u) and sent nothing",
	            sname(after->state), after->snd_max - after->snd_una, after->snd_una,
	            after->snd_nxt, after->snd_max, after->snd_wnd);
}

/* ---- Byte streams ------------------------------------------------------- */
void ptcp_check_stream_init(ptcp_check_stream *s)
{
	memset(s, 0, sizeof(*s));
}

void ptcp_check_stream_free(ptcp_check_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static int stream_grow(ptcp_check_stream *s, size_t need)
{
	size_t cap = s->cap ? s->cap : 4096, first;
	uint8_t *nb;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if (cap == s->cap)
		return 0;
	nb = malloc(cap);
	if (!nb)
		return -1;
	/* unwrap the ring into the new buffer */
	first = s->len;
	if (s->cap && s->head + first > s->cap)
		first = s->cap - s->head;
	if (s->len) {
		memcpy(nb, s->buf + s->head, first);
		memcpy(nb + first, s->buf, s->len - first);
	}
	free(s->buf);
	s->buf = nb;
	s->cap = cap;
	s->head = 0;
	return 0;
}

ptcp_check_code ptcp_check_stream_write(ptcp_check_stream *s, const void *data, size_t len,
                                        ptcp_check_violation *v)
{
	const uint8_t *d = data;
	size_t tail, first;
	if (len == 0)
		return PTCP_CHECK_OK;
	if (s->len + len > s->cap && stream_grow(s, s->len + len) < 0)
		return fail(v, PTCP_CHECK_NOMEM, "stream checker: out of memory (%zu bytes held)",
		            s->len);
	tail = (s->head + s->len) & (s->cap - 1);
	first = s->cap - tail < len ? s->cap - tail : len;
	memcpy(s->buf + tail, d, first);
	memcpy(s->buf, d + first, len - first);
	s->len += len;
	s->written += len;
	return PTCP_CHECK_OK;
}

ptcp_check_code ptcp_check_stream_read(ptcp_check_stream *s, const void *data, size_t len,
                                       ptcp_check_violation *v)
{
	const uint8_t *d = data;
	size_t done = 0;
	if (len > s->len) {
		uint64_t extra = (uint64_t)(len - s->len);
		ptcp_check_code rc = fail(
		    v, PTCP_CHECK_STREAM_EXTRA,
		    "read %zu bytes at stream offset %llu but only %llu were written (%llu extra)",
		    len, (unsigned long long)s->read, (unsigned long long)s->written,
		    (unsigned long long)extra);
		/* check what can be checked, then consume everything */
		s->read += len;
		s->head = 0;
		s->len = 0;
		return rc;
	}
	while (done < len) {
		size_t n = s->cap - s->head;
		if (n > len - done)
			n = len - done;
		if (memcmp(s->buf + s->head, d + done, n) != 0) {
			size_t j = 0;
			while (s->buf[s->head + j] == d[done + j])
				j++;
			{
				uint64_t off = s->read + done + j;
				uint8_t want = s->buf[s->head + j], got = d[done + j];
				s->read += len;
				s->head = (s->head + (len - done)) & (s->cap - 1);
				s->len -= len - done;
				return fail(v, PTCP_CHECK_STREAM_DATA,
				            "stream offset %llu: read 0x%02x, written 0x%02x",
				            (unsigned long long)off, got, want);
			}
		}
		done += n;
		s->head = (s->head + n) & (s->cap - 1);
		s->len -= n;
	}
	s->read += len;
	return PTCP_CHECK_OK;
}

ptcp_check_code ptcp_check_stream_eof(const ptcp_check_stream *s, ptcp_check_violation *v)
{
	if (s->read != s->written)
		return fail(v, PTCP_CHECK_STREAM_SHORT,
		            "end of stream after %llu bytes, but %llu were written (%llu lost)",
		            (unsigned long long)s->read, (unsigned long long)s->written,
		            (unsigned long long)(s->written - s->read));
	return PTCP_CHECK_OK;
}
