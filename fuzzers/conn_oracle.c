/* fuzz_conn's extra oracles: see conn_oracle.h. */
#include "conn_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ptcp/wire.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(why, cap, __VA_ARGS__);                                                   \
		return 1;                                                                          \
	} while (0)

/* Scratch space (the fuzzer runs one input at a time). */
static uint8_t out[65536 + 128];
static uint8_t joined[65536];
static ptcp_conn copy;
static ptcp_action acts[PTCP_ACTIONS_MIN];

static int err_named(int err)
{
	return err < 0 && err >= PTCP_ERR_MIN && strcmp(ptcp_strerror(err), "unknown error") != 0;
}

static int state_named(ptcp_state s)
{
	const char *n = ptcp_state_name(s);
	return n && strcmp(n, "?") != 0;
}

/* An address of the other family than a (both ends distinct). */
static void other_family(const ptcp_addr *a, int end, ptcp_addr *o)
{
	if (a->family == 6) {
		ptcp_addr_v4(o, 192, 0, 2, (uint8_t)(1 + end));
	} else {
		memset(o, 0, sizeof(*o));
		o->family = 6;
		o->bytes[0] = 0x20;
		o->bytes[1] = 0x01;
		o->bytes[2] = 0x0d;
		o->bytes[3] = 0xb8;
		o->bytes[15] = (uint8_t)(1 + end);
	}
}

/* a (payload possibly in two spans) against b (parsed: one span). */
static int same_payload(const ptcp_seg *a, const ptcp_seg *b)
{
	size_t n = ptcp_seg_len(a);
	if (n != ptcp_seg_len(b) || n > sizeof(joined))
		return 0;
	if (a->payload_len)
		memcpy(joined, a->payload, a->payload_len);
	if (a->payload2_len)
		memcpy(joined + a->payload_len, a->payload2, a->payload2_len);
	return n == 0 || memcmp(joined, b->payload, n) == 0;
}

/* Fields and option values equal; with layout, the item layout too. */
static int same_seg(const ptcp_seg *a, const ptcp_seg *b, int layout, char *why, size_t cap)
{
	const ptcp_tcp_opts *x = &a->opts, *y = &b->opts;
	if (a->sport != b->sport || a->dport != b->dport || a->seq != b->seq || a->ack != b->ack)
		FAIL("ports or seq/ack differ after a round trip");
	if (a->flags != b->flags || a->reserved != b->reserved || a->wnd != b->wnd ||
	    a->urp != b->urp)
		FAIL("flags, window or urgent pointer differ after a round trip");
	if ((x->present & ~PTCP_OPT_EOL) != (y->present & ~PTCP_OPT_EOL))
		FAIL("options present %#x != %#x after a round trip", x->present, y->present);
	if (((x->present & PTCP_OPT_MSS) && x->mss != y->mss) ||
	    ((x->present & PTCP_OPT_WSCALE) && x->wscale != y->wscale))
		FAIL("mss/wscale differ after a round trip");
	if ((x->present & PTCP_OPT_SACK) &&
	    (x->sack_count != y->sack_count ||
	     memcmp(x->sack, y->sack, sizeof(x->sack[0]) * x->sack_count) != 0))
		FAIL("SACK blocks differ after a round trip");
	if ((x->present & PTCP_OPT_TS) && (x->ts_val != y->ts_val || x->ts_ecr != y->ts_ecr))
		FAIL("timestamps differ after a round trip");
	if ((x->present & PTCP_OPT_TFO) &&
	    (x->tfo_len != y->tfo_len || memcmp(x->tfo_cookie, y->tfo_cookie, x->tfo_len) != 0))
		FAIL("Fast Open cookie differs after a round trip");
	if (layout) {
		if (x->nitems != y->nitems)
			FAIL("option layout: %u items != %u", x->nitems, y->nitems);
		for (unsigned i = 0; i < x->nitems; i++)
			if (x->items[i].kind != y->items[i].kind ||
			    x->items[i].len != y->items[i].len)
				FAIL("option item %u differs after a round trip", i);
		if (x->unknown_len != y->unknown_len ||
		    memcmp(x->unknown, y->unknown, x->unknown_len) != 0)
			FAIL("unknown options differ after a round trip");
		if (x->pad_len != y->pad_len || memcmp(x->pad, y->pad, x->pad_len) != 0)
			FAIL("bytes after EOL differ after a round trip");
	}
	if (!same_payload(a, b))
		FAIL("payload differs after a round trip");
	return 0;
}

static uint8_t again[65536 + 128];
static ptcp_seg lay;

/* The build of m (an explicit layout derived from a good one) returns want. */
static int build_is(const ptcp_seg *m, int want, const char *what, char *why, size_t cap)
{
	int r = ptcp_wire_build_tcp(again, sizeof(again), m, NULL, NULL);
	int l = ptcp_wire_opts_len(&m->opts);
	if (r != want || l != want)
		FAIL("option layout with %s: build %d, opts_len %d, not %s", what, r, l,
		     ptcp_strerror(want));
	return 0;
}

/*
 * The derived-layout checks below depend only on the layout's shape (items,
 * present bits, SACK count, the Fast Open cookie, unknown and padding
 * bytes), not on the values (MSS, timestamps, SACK edges) that change with
 * every segment: a shape already checked is not checked again.  Returns 1
 * for a shape seen before (a small direct-mapped cache), else records it.
 */
#define SHAPE_MAX (4 + 2 * PTCP_OPT_ITEMS_MAX + 1 + PTCP_TFO_COOKIE_MAX + 3 * PTCP_TCP_OPT_MAX)
static struct {
	size_t n;
	uint8_t b[SHAPE_MAX];
} shapes[64];

static int shape_seen(const ptcp_tcp_opts *o)
{
	uint8_t k[SHAPE_MAX];
	size_t n = 0;
	uint32_t h = 2166136261u;
	k[n++] = o->nitems;
	k[n++] = (uint8_t)o->present;
	k[n++] = o->sack_count;
	k[n++] = o->tfo_len;
	for (unsigned i = 0; i < o->nitems && i < PTCP_OPT_ITEMS_MAX; i++) {
		k[n++] = o->items[i].kind;
		k[n++] = o->items[i].len;
	}
	memcpy(k + n, o->tfo_cookie, o->tfo_len <= PTCP_TFO_COOKIE_MAX ? o->tfo_len : 0);
	n += o->tfo_len <= PTCP_TFO_COOKIE_MAX ? o->tfo_len : 0;
	k[n++] = o->unknown_len;
	memcpy(k + n, o->unknown, o->unknown_len <= PTCP_TCP_OPT_MAX ? o->unknown_len : 0);
	n += o->unknown_len <= PTCP_TCP_OPT_MAX ? o->unknown_len : 0;
	k[n++] = o->pad_len;
	memcpy(k + n, o->pad, o->pad_len <= PTCP_TCP_OPT_MAX ? o->pad_len : 0);
	n += o->pad_len <= PTCP_TCP_OPT_MAX ? o->pad_len : 0;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	h %= sizeof(shapes) / sizeof(shapes[0]);
	if (shapes[h].n == n && memcmp(shapes[h].b, k, n) == 0)
		return 1;
	shapes[h].n = n;
	memcpy(shapes[h].b, k, n);
	return 0;
}

/*
 * The explicit option layouts of ptcp_wire.h, from a segment b that parsed
 * from the n bytes tcp (so b.opts.items is the wire layout): the layout
 * rebuilds the same bytes and ptcp_wire_opts_len() is the option area; the
 * inconsistent layouts the build documents are refused: a known item
 * without its present bit or twice, an item after EOL, padding without
 * EOL, an unknown item that is a known kind or too short, too many items
 * (PTCP_EINVAL), no SACK block, a bad Fast Open cookie length
 * (PTCP_EOPTSIZE); Fast Open in the experimental encoding (kind 254, RFC
 * 6994) builds and parses back as the same cookie.
 */
static int layout_checks(const ptcp_seg *b, const uint8_t *tcp, int n, char *why, size_t cap)
{
	int olen = ((tcp[12] >> 4) * 4) - PTCP_TCP_HDR_MIN, r, eol = -1, unk = -1, known = -1;
	const ptcp_tcp_opts *o = &b->opts;
	if (ptcp_wire_opts_len(o) != olen)
		FAIL("opts_len %d != the %d option bytes the segment parsed from",
		     ptcp_wire_opts_len(o), olen);
	if (!o->nitems && olen)
		FAIL("%d option bytes parsed into no layout items", olen);
	r = ptcp_wire_build_tcp(again, sizeof(again), b, NULL, NULL);
	if (r != n || memcmp(again + PTCP_TCP_HDR_MIN, tcp + PTCP_TCP_HDR_MIN, (size_t)olen) != 0)
		FAIL("the parsed option layout does not rebuild the same %d bytes (build %d)", olen,
		     r);
	if (shape_seen(o))
		return 0;
	for (int i = 0; i < o->nitems; i++) {
		const ptcp_opt_item *it = &o->items[i];
		if (it->kind == PTCP_OPTKIND_EOL && !it->len)
			eol = i;
		else if (it->len)
			unk = i;
		else if (it->kind != PTCP_OPTKIND_NOP)
			known = i;
	}
	memcpy(&lay, b, sizeof(lay));
	lay.payload_len = lay.payload2_len = 0;
	if (known >= 0) {
		uint8_t k = o->items[known].kind;
		uint32_t bit = k == PTCP_OPTKIND_MSS         ? PTCP_OPT_MSS
		               : k == PTCP_OPTKIND_WSCALE    ? PTCP_OPT_WSCALE
		               : k == PTCP_OPTKIND_SACK_PERM ? PTCP_OPT_SACK_PERM
		               : k == PTCP_OPTKIND_SACK      ? PTCP_OPT_SACK
		               : k == PTCP_OPTKIND_TS        ? PTCP_OPT_TS
		                                             : PTCP_OPT_TFO;
		lay.opts.present &= ~bit;
		if (build_is(&lay, PTCP_EINVAL, "a known item without its present bit", why, cap))
			return 1;
		lay.opts.present = o->present;
		if (o->nitems < PTCP_OPT_ITEMS_MAX) {
			lay.opts.items[o->nitems] = o->items[known];
			lay.opts.nitems = (uint8_t)(o->nitems + 1);
			if (eol < 0 && build_is(&lay, PTCP_EINVAL, "a known item twice", why, cap))
				return 1;
			lay.opts.nitems = o->nitems;
		}
		if (k == PTCP_OPTKIND_TFO && eol < 0) {
			ptcp_seg back;
			lay.opts.items[known].kind = PTCP_OPTKIND_EXP;
			r = ptcp_wire_build_tcp(again, sizeof(again), &lay, NULL, NULL);
			if (r < 0 && r != PTCP_EOPTSIZE)
				FAIL("Fast Open as kind 254 does not build: %s", ptcp_strerror(r));
			if (r >= 0) {
				r = ptcp_wire_parse_tcp(again, (size_t)r, NULL, NULL, 0, &back);
				if (r || !(back.opts.present & PTCP_OPT_TFO) ||
				    back.opts.tfo_len != o->tfo_len ||
				    memcmp(back.opts.tfo_cookie, o->tfo_cookie, o->tfo_len) != 0)
					FAIL("Fast Open as kind 254 does not parse back (%d)", r);
			}
			lay.opts.items[known].kind = k;
		}
	}
	if (eol >= 0 && o->nitems < PTCP_OPT_ITEMS_MAX) {
		lay.opts.items[o->nitems].kind = PTCP_OPTKIND_NOP;
		lay.opts.items[o->nitems].len = 0;
		lay.opts.nitems = (uint8_t)(o->nitems + 1);
		if (build_is(&lay, PTCP_EINVAL, "an item after EOL", why, cap))
			return 1;
		lay.opts.nitems = o->nitems;
	} else if (eol < 0 && o->nitems) {
		lay.opts.pad_len = 1;
		if (build_is(&lay, PTCP_EINVAL, "padding without EOL", why, cap))
			return 1;
		lay.opts.pad_len = 0;
	}
	if (unk >= 0) {
		ptcp_opt_item keep = o->items[unk];
		lay.opts.items[unk].kind = PTCP_OPTKIND_MSS;
		if (build_is(&lay, PTCP_EINVAL, "an unknown item of a known kind", why, cap))
			return 1;
		lay.opts.items[unk] = keep;
		lay.opts.items[unk].len = 1;
		if (build_is(&lay, PTCP_EINVAL, "an unknown item of length 1", why, cap))
			return 1;
		lay.opts.items[unk] = keep;
	}
	lay.opts.nitems = PTCP_OPT_ITEMS_MAX + 1;
	if (build_is(&lay, PTCP_EINVAL, "too many items", why, cap))
		return 1;
	lay.opts.nitems = o->nitems;
	if (o->present & PTCP_OPT_SACK) {
		lay.opts.sack_count = 0;
		if (build_is(&lay, PTCP_EOPTSIZE, "no SACK block", why, cap))
			return 1;
		lay.opts.nitems = 0;
		if (build_is(&lay, PTCP_EOPTSIZE, "no SACK block (own layout)", why, cap))
			return 1;
		lay.opts.nitems = o->nitems;
		lay.opts.sack_count = o->sack_count;
	}
	if (o->present & PTCP_OPT_TFO) {
		lay.opts.tfo_len = 3;
		if (build_is(&lay, PTCP_EOPTSIZE, "a 3-byte Fast Open cookie", why, cap))
			return 1;
		lay.opts.tfo_len = o->tfo_len;
	}
	return 0;
}

/* The codec's argument checks: NULL buffers, segments and addresses, a payload length
 * without its bytes: PTCP_EINVAL. */
static int codec_args(const ptcp_seg *seg, const ptcp_addr *src, const ptcp_addr *dst, char *why,
                      size_t cap)
{
	ptcp_ip ip;
	ptcp_seg back;
	const uint8_t *l4;
	size_t l4len;
	int r;
	if ((r = ptcp_wire_build_tcp(NULL, sizeof(again), seg, src, dst)) != PTCP_EINVAL ||
	    (r = ptcp_wire_build_tcp(again, sizeof(again), NULL, src, dst)) != PTCP_EINVAL ||
	    (r = ptcp_wire_opts_len(NULL)) != PTCP_EINVAL ||
	    (r = ptcp_wire_build_packet(again, sizeof(again), NULL, seg)) != PTCP_EINVAL ||
	    (r = ptcp_wire_parse_packet(NULL, 0, &ip, &back)) != PTCP_EINVAL ||
	    (r = ptcp_wire_parse_ip(again, 40, NULL, &l4, &l4len)) != PTCP_EINVAL ||
	    (r = ptcp_wire_parse_tcp(NULL, 20, src, dst, 1, &back)) != PTCP_EINVAL)
		FAIL("a codec call with a NULL argument returned %d, not PTCP_EINVAL", r);
	memcpy(&lay, seg, sizeof(lay));
	lay.payload = NULL;
	lay.payload_len = 1;
	if ((r = ptcp_wire_build_tcp(again, sizeof(again), &lay, src, dst)) != PTCP_EINVAL)
		FAIL("a build with a payload length and no payload returned %d", r);
	lay.payload_len = 0;
	lay.payload2 = NULL;
	lay.payload2_len = 1;
	if ((r = ptcp_wire_build_tcp(again, sizeof(again), &lay, src, dst)) != PTCP_EINVAL)
		FAIL("a build with a second span length and no bytes returned %d", r);
	return 0;
}

/* seg as a bare TCP segment over src/dst: builds, parses and verifies back equal; one byte
 * short is PTCP_ENOBUFS. */
static int tcp_round_trip(const ptcp_seg *seg, const ptcp_addr *src, const ptcp_addr *dst,
                          int layout, char *why, size_t cap)
{
	ptcp_seg back;
	int n = ptcp_wire_build_tcp(out, sizeof(out), seg, src, dst), r;
	if (n == PTCP_EINVAL && 20 + ptcp_seg_len(seg) + 40 > 65535)
		return 0; /* too long for this family's length field: documented */
	if (n < PTCP_TCP_HDR_MIN)
		FAIL("a segment does not build over IPv%u: %s", src->family, ptcp_strerror(n));
	r = ptcp_wire_parse_tcp(out, (size_t)n, src, dst, 1, &back);
	if (r)
		FAIL("a segment built over IPv%u does not parse back: %s", src->family,
		     ptcp_strerror(r));
	if (same_seg(seg, &back, layout, why, cap))
		return 1;
	if (layout_checks(&back, out, n, why, cap))
		return 1;
	r = ptcp_wire_build_tcp(out, (size_t)n - 1, seg, src, dst);
	if (r != PTCP_ENOBUFS)
		FAIL("a build into one byte too few returned %d, not PTCP_ENOBUFS", r);
	return 0;
}

/* An injected packet: named drop reason, or a round trip through the codec. */
static int packet_in(const ptcp_run_note *n, char *why, size_t cap)
{
	ptcp_ip ip, ip2;
	ptcp_seg seg, seg2;
	ptcp_addr s, d;
	int r, len;
	if (n->err) {
		/* RFC 9293 3.10.7: a malformed segment is dropped, with its reason */
		if (!err_named(n->err))
			FAIL("an injected packet was dropped with an unnamed reason %d", n->err);
		return 0;
	}
	r = ptcp_wire_parse_packet(n->pkt, n->len, &ip, &seg);
	if (r)
		FAIL("an injected packet the runner took does not parse: %s", ptcp_strerror(r));
	len = ptcp_wire_build_packet(out, sizeof(out), &ip, &seg);
	if (len <= 0)
		FAIL("a parsed injected packet does not build: %s", ptcp_strerror(len));
	r = ptcp_wire_parse_packet(out, (size_t)len, &ip2, &seg2);
	if (r)
		FAIL("a rebuilt injected packet does not parse: %s", ptcp_strerror(r));
	if (!ptcp_addr_eq(&ip.src, &ip2.src) || !ptcp_addr_eq(&ip.dst, &ip2.dst) ||
	    ip.ttl != ip2.ttl || ip.tos != ip2.tos)
		FAIL("IP addresses, ttl or tos differ after a round trip");
	if (ip.src.family == 4 ? (ip.id != ip2.id || ip.df != ip2.df)
	                       : (ip.flowlabel & 0xfffffu) != ip2.flowlabel)
		FAIL("IP id/df or flow label differ after a round trip");
	if (same_seg(&seg, &seg2, 1, why, cap))
		return 1;
	r = ptcp_wire_build_packet(out, (size_t)len - 1, &ip, &seg);
	if (r != PTCP_ENOBUFS)
		FAIL("a packet build into one byte too few returned %d, not PTCP_ENOBUFS", r);
	/* no room for the IP header alone: PTCP_ENOBUFS */
	r = ptcp_wire_build_packet(out, ip.src.family == 4 ? 19 : 39, &ip, &seg);
	if (r != PTCP_ENOBUFS)
		FAIL("a packet build into less than an IP header returned %d", r);
	/* the rebuilt packet cut short: RFC 791 3.1 / RFC 8200 3, its length field is past the
	 * end (PTCP_EIPHDR); under a fixed header, PTCP_ESHORT */
	len = ptcp_wire_build_packet(out, sizeof(out), &ip, &seg);
	r = ptcp_wire_parse_packet(out, (size_t)len - 1, &ip2, &seg2);
	if (r != PTCP_EIPHDR)
		FAIL("a packet one byte short parsed with %d, not PTCP_EIPHDR", r);
	r = ptcp_wire_parse_packet(out, ip.src.family == 4 ? 19 : 39, &ip2, &seg2);
	if (r != PTCP_ESHORT)
		FAIL("a packet cut inside its IP header parsed with %d, not PTCP_ESHORT", r);
	/* checksum verification over addresses of two families: PTCP_EINVAL */
	other_family(&ip.dst, 1, &d);
	r = ptcp_wire_parse_tcp(out + (ip.src.family == 4 ? 20 : 40),
	                        (size_t)len - (ip.src.family == 4 ? 20u : 40u), &ip.src, &d, 1,
	                        &seg2);
	if (r != PTCP_EINVAL)
		FAIL("a checksum check over IPv%u and IPv%u addresses returned %d", ip.src.family,
		     d.family, r);
	other_family(&ip.src, 0, &s);
	other_family(&ip.dst, 1, &d);
	if (tcp_round_trip(&seg, &s, &d, 1, why, cap))
		return 1;
	r = ptcp_wire_build_tcp(out, sizeof(out), &seg, &ip.src, &d);
	if (r != PTCP_EINVAL)
		FAIL("a build with IPv%u and IPv%u addresses returned %d, not PTCP_EINVAL",
		     ip.src.family, d.family, r);
	return 0;
}

/* Every action of a step: names, and emitted segments over both families. */
static int step_actions(const ptcp_run_note *n, char *why, size_t cap)
{
	ptcp_stats st;
	if (!state_named(n->info->state))
		FAIL("state %d has no name", (int)n->info->state);
	for (size_t i = 0; i < n->actions->n; i++) {
		const ptcp_action *a = &n->actions->v[i];
		ptcp_addr s, d;
		switch (a->kind) {
		case PTCP_ACT_STATE:
			if (!state_named(a->state.from) || !state_named(a->state.to))
				FAIL("state change %d -> %d without a name", (int)a->state.from,
				     (int)a->state.to);
			break;
		case PTCP_ACT_EVENT:
			if (strcmp(ptcp_event_name(a->event.ev), "?") == 0)
				FAIL("event %d has no name", (int)a->event.ev);
			if (a->event.err && !err_named(a->event.err))
				FAIL("event %s with unnamed error %d", ptcp_event_name(a->event.ev),
				     a->event.err);
			break;
		case PTCP_ACT_EMIT:
			/* the runner built it over the scenario's family; here the other */
			other_family(&a->emit.src, 0, &s);
			other_family(&a->emit.dst, 1, &d);
			if (tcp_round_trip(&a->emit.seg, &s, &d, 0, why, cap) ||
			    codec_args(&a->emit.seg, &s, &d, why, cap))
				return 1;
			break;
		case PTCP_ACT_TFO_COOKIE:
			/* RFC 7413 4.1.1: 4..16 bytes, even */
			if (a->tfo.len < 4 || a->tfo.len > PTCP_TFO_COOKIE_MAX || (a->tfo.len & 1))
				FAIL("Fast Open cookie of %u bytes", a->tfo.len);
			break;
		default:
			break;
		}
	}
	ptcp_conn_stats(n->conn, &st);
	for (int d = 1; d < PTCP_DROP_COUNT; d++)
		if (st.drops[d] && strcmp(ptcp_drop_name((ptcp_drop)d), "?") == 0)
			FAIL("drop reason %d has no name", d);
	if (n->ret < 0 && !err_named(n->ret))
		FAIL("ptcp_step returned unnamed error %d", n->ret);
	return 0;
}

/* ptcp_step with bad arguments: PTCP_EINVAL, the connection untouched. */
static int misuse_step(const ptcp_run_note *n, char *why, size_t cap)
{
	ptcp_input in;
	ptcp_actions ao = {.v = acts, .cap = PTCP_ACTIONS_MIN};
	ptcp_info after;
	int r;
	memcpy(&copy, n->conn, sizeof(copy));
	memset(&in, 0, sizeof(in));
	in.kind = PTCP_IN_TIME;
	if ((r = ptcp_step(&copy, NULL, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_step(NULL input) returned %d", r);
	if ((r = ptcp_step(&copy, &in, n->time, NULL)) != PTCP_EINVAL)
		FAIL("ptcp_step(NULL actions) returned %d", r);
	ao.cap = PTCP_ACTIONS_MIN - 1;
	if ((r = ptcp_step(&copy, &in, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_step with %u actions returned %d", PTCP_ACTIONS_MIN - 1, r);
	ao.cap = PTCP_ACTIONS_MIN;
	ao.v = NULL;
	if ((r = ptcp_step(&copy, &in, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_step with a NULL action array returned %d", r);
	ao.v = acts;
	if (memcmp(&copy, n->conn, sizeof(copy)) != 0)
		FAIL("ptcp_step with bad arguments changed the connection");
	/* these two are rejected after the step began: what the caller sees is unchanged */
	in.kind = PTCP_IN_KIND_COUNT;
	if ((r = ptcp_step(&copy, &in, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_step with an unknown input kind returned %d", r);
	in.kind = PTCP_IN_SEGMENT;
	in.segment.seg = NULL;
	if ((r = ptcp_step(&copy, &in, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_step with a NULL segment returned %d", r);
	ptcp_conn_info(&copy, &after);
	if (memcmp(&after, n->info, sizeof(after)) != 0 ||
	    ptcp_conn_next_deadline(&copy) != ptcp_conn_next_deadline(n->conn))
		FAIL("a rejected input changed the connection's info or deadline");
	return 0;
}

/*
 * ptcp_conn_establish on a copy: bad arguments are PTCP_EINVAL, a connection
 * that is not CLOSED is PTCP_ESTATE (both untouched); a CLOSED one becomes
 * ESTABLISHED with the handshake's numbers, reporting the arrow and CONNECTED.
 */
static int misuse_establish(const ptcp_run_note *n, char *why, size_t cap)
{
	ptcp_actions ao = {.v = acts, .cap = PTCP_ACTIONS_MIN};
	ptcp_handshake h;
	ptcp_info info;
	int r, connected = 0, arrow = 0;
	uint32_t k = n->info->iss ^ n->info->irs ^ (uint32_t)n->time;
	memcpy(&copy, n->conn, sizeof(copy));
	memset(&h, 0, sizeof(h));
	ptcp_addr_v4(&h.laddr, 10, 0, 0, 1);
	ptcp_addr_v4(&h.raddr, 10, 0, 0, 2);
	if (k & 1) {
		other_family(&h.laddr, 0, &h.laddr);
		other_family(&h.raddr, 1, &h.raddr);
	}
	h.lport = 80;
	h.iss = n->info->iss;
	h.irs = n->info->irs ^ k;
	h.peer_mss = (k & 2) ? (uint16_t)(k >> 16) : 0;
	h.peer_wscale = (k & 4) ? (uint8_t)((k >> 8) & 15) : 0xff;
	h.sack_ok = (k >> 3) & 1;
	h.ts_ok = (k >> 4) & 1;
	h.ecn_ok = (k >> 5) & 1;
	h.ts_recent = k;
	h.snd_wnd = k & 0xffff;
	if ((r = ptcp_conn_establish(&copy, &h, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_conn_establish with port 0 returned %d", r);
	h.rport = 12345;
	if ((r = ptcp_conn_establish(&copy, NULL, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_conn_establish(NULL handshake) returned %d", r);
	ao.cap = PTCP_ACTIONS_MIN - 1;
	if ((r = ptcp_conn_establish(&copy, &h, n->time, &ao)) != PTCP_EINVAL)
		FAIL("ptcp_conn_establish with %u actions returned %d", PTCP_ACTIONS_MIN - 1, r);
	ao.cap = PTCP_ACTIONS_MIN;
	if (memcmp(&copy, n->conn, sizeof(copy)) != 0)
		FAIL("ptcp_conn_establish with bad arguments changed the connection");
	r = ptcp_conn_establish(&copy, &h, n->time, &ao);
	if (n->info->state != PTCP_CLOSED) {
		if (r != PTCP_ESTATE)
			FAIL("ptcp_conn_establish in %s returned %d, not PTCP_ESTATE",
			     ptcp_state_name(n->info->state), r);
		if (memcmp(&copy, n->conn, sizeof(copy)) != 0)
			FAIL("ptcp_conn_establish in %s changed the connection",
			     ptcp_state_name(n->info->state));
		return 0;
	}
	if (r)
		FAIL("ptcp_conn_establish on a CLOSED connection returned %d", r);
	for (size_t i = 0; i < ao.n; i++) {
		const ptcp_action *a = &ao.v[i];
		if (a->kind == PTCP_ACT_EVENT && a->event.ev == PTCP_EV_CONNECTED)
			connected = 1;
		if (a->kind == PTCP_ACT_STATE && a->state.to == PTCP_ESTABLISHED)
			arrow = 1;
		if (a->kind == PTCP_ACT_EMIT)
			FAIL("ptcp_conn_establish emitted a segment");
	}
	ptcp_conn_info(&copy, &info);
	if (!connected || !arrow || info.state != PTCP_ESTABLISHED)
		FAIL("ptcp_conn_establish: not ESTABLISHED with CONNECTED reported (state %s)",
		     ptcp_state_name(info.state));
	/* RFC 9293 3.10.7.3: SND.UNA = ISS + 1, RCV.NXT = IRS + 1 after the handshake */
	if (info.snd_una != h.iss + 1 || info.snd_nxt != h.iss + 1 || info.rcv_nxt != h.irs + 1)
		FAIL("ptcp_conn_establish: snd_una %u snd_nxt %u rcv_nxt %u for iss %u irs %u",
		     info.snd_una, info.snd_nxt, info.rcv_nxt, h.iss, h.irs);
	return 0;
}

int conn_oracle_note(const ptcp_run_note *n, char *why, size_t cap)
{
	switch (n->kind) {
	case PTCP_RUN_NOTE_PACKET_IN:
		return packet_in(n, why, cap);
	case PTCP_RUN_NOTE_STEP:
		return step_actions(n, why, cap) || misuse_step(n, why, cap) ||
		       misuse_establish(n, why, cap);
	default:
		return 0;
	}
}

/* ptcp_conn_init's argument and configuration checks on a scratch connection. */
int conn_oracle_config(const ptcp_script *s, char *why, size_t cap)
{
	static uint8_t sb[64], rb[64];
	ptcp_config pc, bad;
	int r;
	ptcp_config_default(&pc);
	{
		uint32_t unknown = pc.flags & ~(uint32_t)PTCP_SCRIPT_CFG_FLAGS_ALL;
		ptcp_script_apply_config(s, &pc);
		pc.flags |= unknown;
	}
	if ((r = ptcp_conn_init(NULL, &pc, sb, sizeof(sb), rb, sizeof(rb))) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, NULL, sizeof(sb), rb, sizeof(rb))) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, sb, sizeof(sb), NULL, sizeof(rb))) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, sb, 0, rb, sizeof(rb))) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, sb, sizeof(sb), rb, 0)) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, sb, (1u << 30) + 1, rb, sizeof(rb))) != PTCP_EINVAL ||
	    (r = ptcp_conn_init(&copy, &pc, sb, sizeof(sb), rb, (1u << 30) + 1)) != PTCP_EINVAL)
		FAIL("ptcp_conn_init with a bad argument returned %d, not PTCP_EINVAL", r);
	/* the domain ptcp_conn_init() checks (core/src/conn.c): each field out of it alone is
	 * PTCP_EINVAL */
	for (int k = 0; k < 6; k++) {
		bad = pc;
		switch (k) {
		case 0:
			bad.mss = 63;
			break;
		case 1:
			bad.init_cwnd = 0;
			break;
		case 2:
			bad.rto_min = 0;
			break;
		case 3:
			bad.rto_initial = 0;
			break;
		case 4:
			bad.rto_max = bad.rto_min - 1;
			break;
		default:
			bad.wscale = 15;
			break;
		}
		if ((r = ptcp_conn_init(&copy, &bad, sb, sizeof(sb), rb, sizeof(rb))) !=
		    PTCP_EINVAL)
			FAIL("ptcp_conn_init with bad config field %d returned %d, not PTCP_EINVAL",
			     k, r);
	}
	/* the domain ptcp.h documents: the block keeps rto_initial, rto_max, msl,
	 * fin_wait2_timeout and delack in 32 bits of microseconds */
	if ((r = ptcp_conn_init(&copy, &pc, sb, sizeof(sb), rb, sizeof(rb))) != 0 && pc.mss >= 64 &&
	    pc.init_cwnd && pc.rto_min && pc.rto_initial && pc.rto_max >= pc.rto_min &&
	    (pc.wscale == 0xff || pc.wscale <= 14) && pc.rto_initial <= UINT32_MAX &&
	    pc.rto_max <= UINT32_MAX && pc.msl <= UINT32_MAX &&
	    pc.fin_wait2_timeout <= UINT32_MAX && pc.delack <= UINT32_MAX)
		FAIL("ptcp_conn_init with the scenario's configuration returned %d", r);
	if ((r = ptcp_conn_init(&copy, NULL, sb, sizeof(sb), rb, sizeof(rb))) != 0)
		FAIL("ptcp_conn_init with the default configuration returned %d", r);
	return 0;
}
