/*
 * Property family: emitted segments.
 *
 *   emit/wire        every emitted segment builds into a packet that parses
 *                    back with the same header fields and payload; its TCP
 *                    checksum, recomputed HERE (RFC 1071 over the RFC 9293
 *                    3.1 pseudo-header, not the codec's code), is right; the
 *                    options fit the header (data offset 5..15, options a
 *                    multiple of 4 bytes, at most 40); the addresses and
 *                    ports are the connection's;
 *   emit/options     MSS, window scale and SACK-permitted only on a SYN; the
 *                    MSS we advertise is the configured one, the shift at
 *                    most 14 (RFC 7323 2.3); SACK blocks only when both
 *                    agreed, timestamps on every segment (RSTs aside) once
 *                    both agreed (RFC 7323 3.2) and never otherwise after
 *                    the handshake;
 *   emit/timestamps  TSval never goes backwards and ticks at most once per
 *                    millisecond of virtual time (RFC 7323 5.4), TSecr is a
 *                    TSval the peer sent.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"

/* ---- our own Internet checksum ------------------------------------------------ */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* 0 when the TCP checksum of the IP packet pkt is right; -1 when it is not TCP/IP. */
static int tcp_csum(const uint8_t *pkt, size_t len, uint16_t *got)
{
	uint32_t s = 0;
	size_t hl, tl;
	if (len < 20)
		return -1;
	if ((pkt[0] >> 4) == 4) {
		hl = (size_t)(pkt[0] & 15) * 4;
		tl = (size_t)pkt[2] << 8 | pkt[3];
		if (tl > len || hl < 20 || tl < hl || pkt[9] != 6)
			return -1;
		s = sum16(s, pkt + 12, 8);
		s += 6 + (uint32_t)(tl - hl);
	} else if ((pkt[0] >> 4) == 6) {
		hl = 40;
		tl = 40 + ((size_t)pkt[4] << 8 | pkt[5]);
		if (tl > len || pkt[6] != 6)
			return -1;
		s = sum16(s, pkt + 8, 32);
		s += 6 + (uint32_t)(tl - hl);
	} else {
		return -1;
	}
	s = sum16(s, pkt + hl, tl - hl);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	*got = (uint16_t)~s;
	return 0;
}

static int synchronized(unsigned s)
{
	return s >= PTCP_SYN_RECEIVED && s <= PTCP_TIME_WAIT;
}

/* ---- emit/wire -------------------------------------------------------------------- */
static void wire_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	(void)vs;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		uint8_t pkt[65535 + 128];
		ptcp_ip ip, ip2;
		ptcp_seg back;
		memset(&ip, 0, sizeof ip);
		ip.src = a->emit.src;
		ip.dst = a->emit.dst;
		ip.ttl = 64;
		ip.tos = a->emit.ecn & 3u;
		if (!ptcp_addr_eq(&a->emit.src, &s->local_addr) ||
		    !ptcp_addr_eq(&a->emit.dst, &s->peer_addr)) {
			ptcp_prop_failf(f, 1,
			                "a segment from/to addresses that are not the "
			                "connection's");
			return;
		}
		if (g->sport != s->local_port || g->dport != s->peer_port) {
			/* a RST answering a segment to another port may carry its ports */
			if (!(g->flags & PTCP_RST))
				ptcp_prop_failf(f, 2, "ports %u -> %u, the connection is %u -> %u",
				                g->sport, g->dport, s->local_port, s->peer_port);
		}
		int len = ptcp_wire_build_packet(pkt, sizeof pkt, &ip, g);
		if (len < 0) {
			ptcp_prop_failf(f, 3, "an emitted segment does not build: %s",
			                ptcp_strerror(len));
			return;
		}
		uint16_t c;
		if (tcp_csum(pkt, (size_t)len, &c) != 0 || c != 0) {
			ptcp_prop_failf(f, 4, "the TCP checksum of an emitted segment is wrong");
			return;
		}
		size_t ihl = pkt[0] >> 4 == 4 ? (size_t)(pkt[0] & 15) * 4 : 40;
		unsigned doff = pkt[ihl + 12] >> 4;
		if (doff < 5 || doff > 15 || ihl + doff * 4u > (size_t)len) {
			ptcp_prop_failf(f, 5, "data offset %u", doff);
			return;
		}
		int e = ptcp_wire_parse_packet(pkt, (size_t)len, &ip2, &back);
		if (e) {
			ptcp_prop_failf(f, 6, "an emitted segment does not parse back: %s",
			                ptcp_strerror(e));
			return;
		}
		size_t plen = ptcp_seg_len(g);
		if (back.seq != g->seq || back.ack != g->ack || back.flags != g->flags ||
		    back.wnd != g->wnd || back.sport != g->sport || back.dport != g->dport ||
		    back.payload_len != plen) {
			ptcp_prop_failf(f, 7, "the parsed segment differs from the emitted one");
			return;
		}
		if ((plen && g->payload_len && memcmp(back.payload, g->payload, g->payload_len)) ||
		    (g->payload2_len &&
		     memcmp(back.payload + g->payload_len, g->payload2, g->payload2_len))) {
			ptcp_prop_failf(f, 8, "the parsed payload differs");
			return;
		}
		if (back.opts.present != (g->opts.present & ~(uint32_t)PTCP_OPT_EOL) ||
		    ((g->opts.present & PTCP_OPT_TS) &&
		     (back.opts.ts_val != g->opts.ts_val || back.opts.ts_ecr != g->opts.ts_ecr)) ||
		    ((g->opts.present & PTCP_OPT_MSS) && back.opts.mss != g->opts.mss) ||
		    ((g->opts.present & PTCP_OPT_SACK) &&
		     (back.opts.sack_count != g->opts.sack_count ||
		      memcmp(back.opts.sack, g->opts.sack,
		             g->opts.sack_count * sizeof(ptcp_sack_block)) != 0))) {
			ptcp_prop_failf(f, 9, "the parsed options differ from the emitted ones");
			return;
		}
	}
}

static const ptcp_prop_script wire = {
    .name = "emit-wire",
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = wire_note,
};

Test(emit, wire, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&wire, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- emit/options ------------------------------------------------------------------ */
static void opts_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	(void)vs;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_info *i = n->info;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		const ptcp_tcp_opts *o = &g->opts;
		int syn = (g->flags & PTCP_SYN) != 0;
		if (!syn && (o->present & (PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM)))
			ptcp_prop_failf(f, 1,
			                "MSS / window scale / SACK-permitted on a non-SYN "
			                "segment");
		if (syn && (o->present & PTCP_OPT_MSS) && o->mss != s->cfg.mss)
			ptcp_prop_failf(f, 2, "our SYN advertises MSS %u, configured %u", o->mss,
			                s->cfg.mss);
		if (syn && !(g->flags & PTCP_RST) && !(o->present & PTCP_OPT_MSS))
			ptcp_prop_failf(f, 3, "our SYN has no MSS option");
		if ((o->present & PTCP_OPT_WSCALE) && o->wscale > 14)
			ptcp_prop_failf(f, 4, "window scale %u > 14", o->wscale);
		if (syn && (o->present & PTCP_OPT_WSCALE) && !(s->cfg.flags & PTCP_CFG_WSCALE))
			ptcp_prop_failf(f, 5, "window scale offered, not configured");
		if (syn && (o->present & PTCP_OPT_SACK_PERM) && !(s->cfg.flags & PTCP_CFG_SACK))
			ptcp_prop_failf(f, 6, "SACK-permitted offered, not configured");
		if (syn && (o->present & PTCP_OPT_TS) && !(s->cfg.flags & PTCP_CFG_TIMESTAMPS))
			ptcp_prop_failf(f, 7, "timestamps offered, not configured");
		if (syn && s->cfg.wscale != PTCP_SCRIPT_WSCALE_AUTO &&
		    (o->present & PTCP_OPT_WSCALE) && o->wscale != s->cfg.wscale)
			ptcp_prop_failf(f, 8, "window scale %u offered, configured %u", o->wscale,
			                s->cfg.wscale);
		if ((o->present & PTCP_OPT_SACK) && !i->sack_on)
			ptcp_prop_failf(f, 9, "SACK blocks without SACK agreed");
		if (!syn && synchronized(i->state) && !(g->flags & PTCP_RST)) {
			if (i->ts_on && !(o->present & PTCP_OPT_TS))
				ptcp_prop_failf(f, 10,
				                "no timestamp on a segment after both agreed "
				                "(RFC 7323 3.2)");
			if (!i->ts_on && (o->present & PTCP_OPT_TS))
				ptcp_prop_failf(f, 11,
				                "a timestamp, but the SYNs did not agree on them");
		}
		int w = ptcp_wire_opts_len(o);
		if (w < 0 || w > 40 || (w & 3))
			ptcp_prop_failf(f, 12, "the options take %d bytes", w);
	}
}

static const ptcp_prop_script options = {
    .name = "emit-options",
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = opts_note,
};

Test(emit, options, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&options, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- emit/timestamps ------------------------------------------------------------------ */
#define ECR_SEEN 64

typedef struct ts_st {
	int have;
	uint32_t last;
	ptcp_time_t last_t;
	uint32_t seen[ECR_SEEN]; /* TSvals the peer sent (a ring) */
	unsigned nseen;
} ts_st;

static int peer_sent(const ts_st *st, uint32_t v)
{
	unsigned n = st->nseen < ECR_SEEN ? st->nseen : ECR_SEEN;
	for (unsigned k = 0; k < n; k++)
		if (st->seen[k] == v)
			return 1;
	return 0;
}

static void ts_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	ts_st *st = vs;
	(void)s;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_input *in = n->input;
	if (in->kind == PTCP_IN_SEGMENT && (in->segment.seg->opts.present & PTCP_OPT_TS))
		st->seen[st->nseen++ % ECR_SEEN] = in->segment.seg->opts.ts_val;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_tcp_opts *o = &a->emit.seg.opts;
		if (!(o->present & PTCP_OPT_TS))
			continue;
		if (st->have) {
			uint32_t d = o->ts_val - st->last;
			uint64_t ms = (n->time - st->last_t) / 1000u;
			if (ptcp_seq_lt(o->ts_val, st->last))
				ptcp_prop_failf(f, 1, "TSval went back from %u to %u", st->last,
				                o->ts_val);
			else if ((uint64_t)d > ms + 1)
				ptcp_prop_failf(
				    f, 2,
				    "TSval advanced by %u in %llu ms (more than one tick "
				    "per ms)",
				    d, (unsigned long long)ms);
		}
		st->have = 1;
		st->last = o->ts_val;
		st->last_t = n->time;
		/* TSecr: 0 in a SYN (or an echo of the peer's SYN), else a value the peer sent */
		if (o->ts_ecr && !peer_sent(st, o->ts_ecr) && st->nseen < ECR_SEEN)
			ptcp_prop_failf(f, 3, "TSecr %u is no TSval the peer sent", o->ts_ecr);
	}
}

static const ptcp_prop_script timestamps = {
    .name = "emit-timestamps",
    .state_size = sizeof(ts_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = ts_note,
};

Test(emit, timestamps, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&timestamps, 2500, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/* ---- emit/stats ---------------------------------------------------------------------- */
/*
 * The counters (ptcp_conn_stats) count what happened: per step, segs_out
 * grows by the segments emitted, bytes_out by their payload, retransmits
 * by the emitted segments that resend sequence space sent before (below
 * SND.MAX), dsacks_out by the D-SACK blocks emitted (RFC 2883), segs_in by
 * one for a segment input the core took (none otherwise), bytes_in by the
 * bytes RCV.NXT advanced over (less the FIN), and every other counter by
 * at most one event per step.
 */
typedef struct stats_st {
	ptcp_stats s;
	ptcp_info prev;
	int have;
} stats_st;

static void stats_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	stats_st *st = vs;
	(void)s;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	ptcp_stats now;
	ptcp_conn_stats(n->conn, &now);
	const ptcp_info *i = n->info, *p = &st->prev;
	if (!st->have) {
		memset(&st->s, 0, sizeof st->s);
		st->have = 1;
	}
	uint64_t segs = 0, bytes = 0, rtx = 0, dsack = 0;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT)
			continue;
		const ptcp_seg *g = &a->emit.seg;
		uint32_t len = (uint32_t)ptcp_seg_len(g);
		segs++;
		bytes += len;
		if ((len || (g->flags & (PTCP_SYN | PTCP_FIN))) && !(g->flags & PTCP_RST) &&
		    p->state >= PTCP_SYN_SENT && ptcp_seq_lt(g->seq, p->snd_max) &&
		    !(len <= 1 && !(g->flags & (PTCP_SYN | PTCP_FIN)) && g->seq == p->snd_una - 1))
			rtx++;
		const ptcp_tcp_opts *o = &g->opts;
		if ((o->present & PTCP_OPT_SACK) && o->sack_count &&
		    (ptcp_seq_le(o->sack[0].right, g->ack) ||
		     (o->sack_count > 1 && ptcp_seq_ge(o->sack[0].left, o->sack[1].left) &&
		      ptcp_seq_le(o->sack[0].right, o->sack[1].right))))
			dsack++;
	}
#define D(field) (now.field - st->s.field)
	if (D(segs_out) != segs)
		ptcp_prop_failf(f, 20, "segs_out grew by %llu, %llu segments emitted",
		                (unsigned long long)D(segs_out), (unsigned long long)segs);
	if (D(bytes_out) != bytes)
		ptcp_prop_failf(f, 21, "bytes_out grew by %llu, %llu payload bytes emitted",
		                (unsigned long long)D(bytes_out), (unsigned long long)bytes);
	if (D(retransmits) != rtx)
		ptcp_prop_failf(f, 22,
		                "retransmits grew by %llu, %llu segments resent sequence space",
		                (unsigned long long)D(retransmits), (unsigned long long)rtx);
	if (D(dsacks_out) != dsack)
		ptcp_prop_failf(f, 23, "dsacks_out grew by %llu, %llu D-SACK blocks emitted",
		                (unsigned long long)D(dsacks_out), (unsigned long long)dsack);
	if (n->input->kind != PTCP_IN_SEGMENT && D(segs_in) != 0)
		ptcp_prop_failf(f, 24, "segs_in grew on input kind %d", (int)n->input->kind);
	if (n->input->kind == PTCP_IN_SEGMENT && D(segs_in) > 1)
		ptcp_prop_failf(f, 25, "segs_in grew by %llu on one segment",
		                (unsigned long long)D(segs_in));
	if (n->input->kind == PTCP_IN_SEGMENT && p->state >= PTCP_ESTABLISHED &&
	    i->state >= PTCP_ESTABLISHED && i->irs == p->irs) {
		uint32_t adv = i->rcv_nxt - p->rcv_nxt;
		uint32_t fin = 0;
		for (size_t k = 0; k < n->actions->n; k++)
			if (n->actions->v[k].kind == PTCP_ACT_EVENT &&
			    n->actions->v[k].event.ev == PTCP_EV_PEER_CLOSED)
				fin = 1;
		if (adv < 0x80000000u && D(bytes_in) != adv - (adv ? fin : 0))
			ptcp_prop_failf(f, 26,
			                "bytes_in grew by %llu, RCV.NXT advanced %u (FIN %u)",
			                (unsigned long long)D(bytes_in), adv, fin);
	}
	uint64_t drops = 0;
	for (unsigned d = 0; d < PTCP_DROP_COUNT; d++)
		drops += D(drops[d]);
	/* an in-order segment cannot find the out-of-order queue full */
	if (n->input->kind == PTCP_IN_SEGMENT && D(drops[PTCP_DROP_OOO_FULL]) &&
	    n->input->segment.seg->seq == p->rcv_nxt && p->state >= PTCP_ESTABLISHED)
		ptcp_prop_failf(f, 28,
		                "an in-order segment counted as dropped for a full "
		                "out-of-order queue");
	/* (a zero window drops the text, then the segment may be dropped as a whole) */
	if (drops > 2 || D(rto_fired) > 1 || D(tlp_probes) > 1 || D(fast_recoveries) > 1)
		ptcp_prop_failf(f, 27,
		                "one step counted %llu drops, %llu RTOs, %llu probes, %llu "
		                "recoveries",
		                (unsigned long long)drops, (unsigned long long)D(rto_fired),
		                (unsigned long long)D(tlp_probes),
		                (unsigned long long)D(fast_recoveries));
#undef D
	st->s = now;
	st->prev = *i;
}

static const ptcp_prop_script statsp = {
    .name = "emit-stats",
    .state_size = sizeof(stats_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = stats_note,
};

Test(emit, stats, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&statsp, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}
