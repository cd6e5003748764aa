/*
 * ptcp-replay: a time-sequence diagram as a self-contained SVG (the
 * Stevens graph of Wireshark, tcptrace's time-sequence plot).
 *
 * One panel per direction that carried data (the core's data first): x is
 * the virtual time, y the sequence number relative to the sender's ISN.
 *   data segment       a vertical bar from SEQ to SEQ+LEN (blue; red and
 *                      marked R when it resends sequence space already sent;
 *                      grey and dashed when the network dropped it)
 *   SYN / FIN / RST    a letter at the segment's sequence number
 *   ACK line           the receiver's cumulative ACK over time (green steps)
 *   window edge        ACK + the advertised (scaled) window (orange steps)
 *   SACK blocks        purple bars at the time of the ACK that carried them
 *   failed step        a red dashed vertical line
 * Every mark has a <title>, so a browser shows the numbers on hover.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define W  1000.0
#define PH 560.0 /* panel height */
#define ML 90.0
#define MR 30.0
#define MT 56.0
#define MB 64.0

typedef struct seg_mark {
	uint64_t t;
	uint32_t seq, len; /* relative */
	uint8_t flags, rtx, dropped;
} seg_mark;

typedef struct ack_mark {
	uint64_t t;
	uint32_t ack, edge; /* relative */
	uint8_t nsack, dropped;
	uint32_t sack[PTCP_SACK_MAX][2];
} ack_mark;

typedef struct panel {
	int dir; /* the data sender: PTCP_REPLAY_OUT = the core */
	seg_mark *seg;
	size_t nseg;
	ack_mark *ack;
	size_t nack;
	uint64_t bytes;
	uint32_t ymin, ymax;
	uint64_t t0, t1;
} panel;

static int parse(const ptcp_replay_rec *r, const ptcp_replay_pkt *p, ptcp_ip *ip, ptcp_seg *seg)
{
	const uint8_t *l4;
	size_t l4len;
	if (ptcp_wire_parse_ip(p->data, p->len, ip, &l4, &l4len) < 0)
		return -1;
	/* Show segments with a bad checksum too: they were on the wire. */
	if (ptcp_wire_parse_tcp(l4, l4len, NULL, NULL, 0, seg) < 0)
		return -1;
	/* several connections in the record: draw the record's own (4-tuple) */
	if (r->multi_conn && r->have_conn) {
		int out = p->dir == PTCP_REPLAY_OUT;
		if (seg->sport != (out ? r->local_port : r->peer_port) ||
		    seg->dport != (out ? r->peer_port : r->local_port) ||
		    !ptcp_addr_eq(&ip->src, out ? &r->local : &r->peer) ||
		    !ptcp_addr_eq(&ip->dst, out ? &r->peer : &r->local))
			return -1;
	}
	return 0;
}

/* The ISN of each direction's sender and the window shift of its receiver. */
static void bases(const ptcp_replay_rec *r, uint32_t isn[2], uint8_t ws[2])
{
	int have[2] = {0, 0}, wsopt[2] = {0, 0};
	uint8_t shift[2] = {0, 0};
	for (size_t i = 0; i < r->npkt; i++) {
		ptcp_ip ip;
		ptcp_seg g;
		int d = r->pkt[i].dir;
		if (parse(r, &r->pkt[i], &ip, &g))
			continue;
		if ((g.flags & PTCP_SYN) && !have[d]) {
			isn[d] = g.seq;
			have[d] = 2;
			if (g.opts.present & PTCP_OPT_WSCALE) {
				wsopt[d] = 1;
				shift[d] = g.opts.wscale > 14 ? 14 : g.opts.wscale;
			}
		} else if (!have[d]) {
			isn[d] = g.seq - 1;
			have[d] = 1;
		}
	}
	if (r->have_isn) {
		isn[PTCP_REPLAY_OUT] = r->isn_local;
		isn[PTCP_REPLAY_IN] = r->isn_peer;
	}
	/* windows sent by d are scaled by d's own shift, when both offered it */
	for (int d = 0; d < 2; d++)
		ws[d] = (wsopt[0] && wsopt[1]) ? shift[d] : 0;
}

static void collect(const ptcp_replay_rec *r, panel *pn, const uint32_t isn[2], const uint8_t ws[2])
{
	int d = pn->dir;
	uint32_t hi = 0;
	int any = 0;
	pn->seg = calloc(r->npkt + 1, sizeof *pn->seg);
	pn->ack = calloc(r->npkt + 1, sizeof *pn->ack);
	if (!pn->seg || !pn->ack)
		return;
	for (size_t i = 0; i < r->npkt; i++) {
		const ptcp_replay_pkt *p = &r->pkt[i];
		ptcp_ip ip;
		ptcp_seg g;
		if (parse(r, p, &ip, &g))
			continue;
		if (p->dir == d) {
			seg_mark *m = &pn->seg[pn->nseg++];
			uint32_t sl = ptcp_seg_seqlen(&g);
			m->t = p->t;
			m->seq = g.seq - isn[d] - ((g.flags & PTCP_SYN) ? 0u : 0u);
			m->len = (uint32_t)ptcp_seg_len(&g);
			m->flags = g.flags;
			m->dropped = p->dropped;
			if (!(g.flags & PTCP_SYN) && m->len + ((g.flags & PTCP_FIN) ? 1u : 0u))
				m->rtx = any && ptcp_seq_lt(m->seq, hi);
			if (sl && (!any || ptcp_seq_gt(m->seq + sl, hi))) {
				hi = m->seq + sl;
				any = 1;
			}
			pn->bytes += m->len;
		} else if (g.flags & PTCP_ACK) {
			ack_mark *a = &pn->ack[pn->nack++];
			uint8_t shift = (g.flags & PTCP_SYN) ? 0 : ws[!d];
			a->t = p->t;
			a->ack = g.ack - isn[d];
			a->edge = a->ack + ((uint32_t)g.wnd << shift);
			a->dropped = p->dropped;
			if (g.opts.present & PTCP_OPT_SACK)
				for (unsigned k = 0; k < g.opts.sack_count && k < PTCP_SACK_MAX;
				     k++) {
					a->sack[k][0] = g.opts.sack[k].left - isn[d];
					a->sack[k][1] = g.opts.sack[k].right - isn[d];
					a->nsack++;
				}
		}
	}
}

/* Sequence values far from the data (garbage acks of a fuzz input) would
 * squash the plot: keep the range around the data. */
static void ranges(panel *pn, uint64_t t0, uint64_t t1)
{
	uint32_t lo = 0xffffffffu, hi = 0;
	uint64_t span;
	for (size_t i = 0; i < pn->nseg; i++) {
		const seg_mark *m = &pn->seg[i];
		uint32_t end = m->seq + m->len + ((m->flags & (PTCP_SYN | PTCP_FIN)) ? 1u : 0u);
		if (m->seq < lo)
			lo = m->seq;
		if (end > hi && end - m->seq < 0x40000000u)
			hi = end;
	}
	if (lo > hi)
		lo = hi = 0;
	span = (uint64_t)(hi - lo) + 1;
	for (size_t i = 0; i < pn->nack; i++) {
		const ack_mark *a = &pn->ack[i];
		if (a->ack >= lo && (uint64_t)(a->ack - lo) <= span * 2 && a->ack > hi)
			hi = a->ack;
		for (unsigned k = 0; k < a->nsack; k++)
			if (a->sack[k][1] > hi && a->sack[k][1] >= lo &&
			    (uint64_t)(a->sack[k][1] - lo) <= span * 2)
				hi = a->sack[k][1];
	}
	span = (uint64_t)(hi - lo) + 1;
	for (size_t i = 0; i < pn->nack; i++) {
		const ack_mark *a = &pn->ack[i];
		if (a->edge > hi && a->edge >= lo && (uint64_t)(a->edge - lo) <= span * 2)
			hi = a->edge;
	}
	if (hi <= lo)
		hi = lo + 1;
	pn->ymin = lo;
	pn->ymax = hi;
	pn->t0 = t0;
	pn->t1 = t1 > t0 ? t1 : t0 + 1000;
}

static double nice_step(double span, int want)
{
	double raw = span / want, p = 1;
	while (p * 10 <= raw)
		p *= 10;
	while (p > raw)
		p /= 10;
	if (p * 2 >= raw)
		return p * 2;
	if (p * 5 >= raw)
		return p * 5;
	return p * 10;
}

struct geo {
	double x0, y0, w, h; /* plot area */
	const panel *pn;
};

/* 3% of room on every side, so that marks at the ends stay visible */
static double X(const struct geo *g, uint64_t t)
{
	double w = g->w * 0.94;
	return g->x0 + g->w * 0.03 +
	       w * ((double)t - (double)g->pn->t0) / (double)(g->pn->t1 - g->pn->t0);
}

static double Y(const struct geo *g, uint32_t s)
{
	double h = g->h * 0.94;
	double v = (double)s - (double)g->pn->ymin;
	return g->y0 + g->h - g->h * 0.03 - h * v / (double)(g->pn->ymax - g->pn->ymin);
}

static int in_range(const struct geo *g, uint32_t s)
{
	return s >= g->pn->ymin && s <= g->pn->ymax;
}

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
				fputc(*s, f);
			else
				fputc('?', f);
		}
	}
}

static void fmt_t(char *b, size_t cap, uint64_t t)
{
	snprintf(b, cap, "%llu.%06llu s", (unsigned long long)(t / 1000000u),
	         (unsigned long long)(t % 1000000u));
}

static void axes(FILE *f, const struct geo *g, double top, const char *title)
{
	const panel *pn = g->pn;
	double tspan = (double)(pn->t1 - pn->t0), sspan = (double)(pn->ymax - pn->ymin);
	double ts = nice_step(tspan, 10), ss = nice_step(sspan, 8);
	int ms = (double)pn->t1 < 10e6 && tspan < 2e6;
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">", W / 2, top + 24);
	esc(f, title);
	fprintf(f, "</text>\n");
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n",
	        g->x0, g->y0, g->w, g->h);
	for (double v = ts * (double)(uint64_t)((double)pn->t0 / ts); v <= (double)pn->t1 + 0.5;
	     v += ts) {
		double x;
		if (v < (double)pn->t0)
			continue;
		x = X(g, (uint64_t)v);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" class=\"xt\">%.*f</text>\n",
		        x, g->y0, x, g->y0 + g->h, x, g->y0 + g->h + 16,
		        ms ? (ts >= 1000 ? 0 : 3) : 3, ms ? v / 1000.0 : v / 1e6);
	}
	for (double v = ss * (double)(uint64_t)((double)pn->ymin / ss); v <= (double)pn->ymax + 0.5;
	     v += ss) {
		double y;
		if (v < (double)pn->ymin)
			continue;
		y = Y(g, (uint32_t)v);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" class=\"yt\">%.0f</text>\n",
		        g->x0, y, g->x0 + g->w, y, g->x0 - 6, y + 4, v);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\">time (%s)</text>\n",
	        g->x0 + g->w / 2, g->y0 + g->h + 40, ms ? "ms" : "s");
	fprintf(f,
	        "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" transform=\"rotate(-90 %.1f %.1f)\">"
	        "sequence number (bytes after the ISN)</text>\n",
	        g->x0 - 66, g->y0 + g->h / 2, g->x0 - 66, g->y0 + g->h / 2);
}

static void legend(FILE *f, double x, double y)
{
	static const struct {
		const char *cls, *name;
	} k[] = {{"data", "data"}, {"rtx", "retransmission (R)"}, {"drop", "dropped"},
	         {"ack", "ACK"},   {"edge", "window edge"},       {"sack", "SACK block"}};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		double yy = y + 16.0 * (double)i;
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" class=\"leg\">%s</text>\n",
		        x, yy, x + 22, yy, k[i].cls, x + 28, yy + 4, k[i].name);
	}
}

/* A step line (the ACK or the window edge over time), broken where it leaves the plot. */
static void steps_line(FILE *f, const struct geo *g, const panel *pn, int edge, const char *cls)
{
	int open = 0;
	double py = 0;
	for (size_t i = 0; i < pn->nack; i++) {
		const ack_mark *a = &pn->ack[i];
		uint32_t v = edge ? a->edge : a->ack;
		double x = X(g, a->t), y;
		if (a->dropped)
			continue;
		if (!in_range(g, v)) {
			if (open)
				fprintf(f, " %.1f,%.1f\"/>\n", x, py);
			open = 0;
			continue;
		}
		y = Y(g, v);
		if (!open) {
			fprintf(f, "<polyline class=\"%s\" points=\"%.1f,%.1f", cls, x, y);
			open = 1;
		} else {
			fprintf(f, " %.1f,%.1f %.1f,%.1f", x, py, x, y);
		}
		py = y;
	}
	if (open)
		fprintf(f, " %.1f,%.1f\"/>\n", g->x0 + g->w, py);
}

static void draw_panel(FILE *f, const ptcp_replay_rec *r, const panel *pn, double top)
{
	struct geo g = {ML, top + MT, W - ML - MR, PH - MT - MB, pn};
	char title[256], tb[32], a1[64], a2[64];
	ptcp_addr sa = pn->dir == PTCP_REPLAY_OUT ? r->local : r->peer;
	ptcp_addr da = pn->dir == PTCP_REPLAY_OUT ? r->peer : r->local;
	(void)sa;
	(void)da;
	snprintf(a1, sizeof a1, "%s", pn->dir == PTCP_REPLAY_OUT ? "core" : "peer");
	snprintf(a2, sizeof a2, "%s", pn->dir == PTCP_REPLAY_OUT ? "peer" : "core");
	uint32_t above = 0;
	size_t nrtx = 0;
	for (size_t i = 0; i < pn->nack; i++)
		if (!in_range(&g, pn->ack[i].edge) && ptcp_seq_gt(pn->ack[i].edge, pn->ymax) &&
		    ptcp_seq_gt(pn->ack[i].edge, above))
			above = pn->ack[i].edge;
	for (size_t i = 0; i < pn->nseg; i++)
		nrtx += pn->seg[i].rtx;
	snprintf(title, sizeof title, "%s -> %s: %llu payload bytes, %zu segments, %zu resent", a1,
	         a2, (unsigned long long)pn->bytes, pn->nseg, nrtx);
	if (above) {
		size_t l = strlen(title);
		snprintf(title + l, sizeof title - l, " (window edge up to %lu, above the plot)",
		         (unsigned long)above);
	}
	axes(f, &g, top, title);
	fprintf(f,
	        "<svg x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" viewBox=\"%.1f %.1f "
	        "%.1f %.1f\" overflow=\"hidden\">\n",
	        g.x0, g.y0 - 6, g.w, g.h + 12, g.x0, g.y0 - 6, g.w, g.h + 12);
	steps_line(f, &g, pn, 1, "edge");
	steps_line(f, &g, pn, 0, "ack");
	for (size_t i = 0; i < pn->nack; i++) {
		const ack_mark *a = &pn->ack[i];
		for (unsigned k = 0; k < a->nsack; k++) {
			uint32_t lo = a->sack[k][0], hi = a->sack[k][1];
			double x = X(&g, a->t) + 3;
			if (!in_range(&g, lo) || !in_range(&g, hi))
				continue;
			fmt_t(tb, sizeof tb, a->t);
			fprintf(f,
			        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			        "class=\"sack\"><title>%s SACK %lu-%lu</title></line>\n",
			        x, Y(&g, lo), x, Y(&g, hi), tb, (unsigned long)lo,
			        (unsigned long)hi);
		}
	}
	for (size_t i = 0; i < pn->nseg; i++) {
		const seg_mark *m = &pn->seg[i];
		double x = X(&g, m->t), y0, y1;
		const char *cls = m->dropped ? "drop" : m->rtx ? "rtx" : "data";
		if (!in_range(&g, m->seq))
			continue;
		fmt_t(tb, sizeof tb, m->t);
		y0 = Y(&g, m->seq);
		if (m->len && in_range(&g, m->seq + m->len)) {
			y1 = Y(&g, m->seq + m->len);
			fprintf(f,
			        "<g class=\"%s\"><title>%s seq %lu:%lu (%lu bytes)%s%s</title>"
			        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
			        cls, tb, (unsigned long)m->seq, (unsigned long)(m->seq + m->len),
			        (unsigned long)m->len, m->rtx ? ", retransmission" : "",
			        m->dropped ? ", dropped" : "", x, y0, x, y1, x - 2.5, y0, x + 2.5,
			        y0, x - 2.5, y1, x + 2.5, y1);
			if (m->rtx)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"rl\">R</text>\n",
				        x + 3, y1 - 2);
			if (m->dropped)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"dl\">x</text>\n",
				        x - 9, (y0 + y1) / 2 + 4);
		}
		if (m->flags & (PTCP_SYN | PTCP_FIN | PTCP_RST)) {
			const char *l = (m->flags & PTCP_SYN)   ? "S"
			                : (m->flags & PTCP_RST) ? "R"
			                                        : "F";
			uint32_t at = m->seq + ((m->flags & PTCP_SYN) ? 0 : m->len);
			if (in_range(&g, at))
				fprintf(f,
				        "<text x=\"%.1f\" y=\"%.1f\" class=\"fl %s\"><title>%s %s "
				        "seq %lu</title>%s</text>\n",
				        x - 4, Y(&g, at) - 3, cls, tb,
				        l[0] == 'S'   ? "SYN"
				        : l[0] == 'F' ? "FIN"
				                      : "RST",
				        (unsigned long)at, l);
		}
	}
	if (r->failed && r->fail_step >= 0 && (size_t)r->fail_step < r->nstep) {
		uint64_t t = r->step[r->fail_step].t;
		double x = X(&g, t < pn->t0 ? pn->t0 : t);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"fail\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" class=\"failt\" "
		        "text-anchor=\"%s\">FAILED</text>\n",
		        x, g.y0, x, g.y0 + g.h, x > g.x0 + g.w - 70 ? x - 4 : x + 3, g.y0 + 12,
		        x > g.x0 + g.w - 70 ? "end" : "start");
	}
	fprintf(f, "</svg>\n");
	legend(f, g.x0 + 12, g.y0 + 14);
}

int ptcp_replay_write_svg(const ptcp_replay_rec *r, const char *title, FILE *f)
{
	uint32_t isn[2] = {0, 0};
	uint8_t ws[2] = {0, 0};
	panel pn[2];
	int show[2] = {0, 0}, n = 0;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	double top = 40;

	memset(pn, 0, sizeof pn);
	bases(r, isn, ws);
	for (size_t i = 0; i < r->npkt; i++) {
		if (r->pkt[i].t < t0)
			t0 = r->pkt[i].t;
		if (r->pkt[i].t > t1)
			t1 = r->pkt[i].t;
	}
	if (t0 == UINT64_MAX)
		t0 = t1 = 0;
	if (r->failed && r->fail_step >= 0 && (size_t)r->fail_step < r->nstep) {
		uint64_t t = r->step[r->fail_step].t;
		if (r->npkt == 0)
			t0 = t1 = t;
		t0 = t < t0 ? t : t0;
		t1 = t > t1 ? t : t1;
	}
	pn[0].dir = PTCP_REPLAY_OUT;
	pn[1].dir = PTCP_REPLAY_IN;
	for (int d = 0; d < 2; d++) {
		collect(r, &pn[d], isn, ws);
		ranges(&pn[d], t0, t1);
		show[d] = pn[d].bytes > 0;
	}
	if (!show[0] && !show[1])
		show[pn[0].nseg || !pn[1].nseg ? 0 : 1] = 1;
	n = show[0] + show[1];
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
	        "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
	        W, top + PH * n + 10, W, top + PH * n + 10);
	fprintf(f, "<style>\n"
	           "text{font-family:Helvetica,Arial,sans-serif;font-size:12px;fill:#222}\n"
	           ".title{font-size:14px;font-weight:bold;text-anchor:middle}\n"
	           ".head{font-size:15px;font-weight:bold}\n"
	           ".frame{fill:#fff;stroke:#444;stroke-width:1}\n"
	           ".grid{stroke:#e4e4e4;stroke-width:1}\n"
	           ".xt{text-anchor:middle;font-size:11px}.yt{text-anchor:end;font-size:11px}\n"
	           ".axis{text-anchor:middle;font-size:13px}\n"
	           ".data,.data line{stroke:#1f4fd6;stroke-width:1.6}\n"
	           ".rtx,.rtx line{stroke:#d62020;stroke-width:2}\n"
	           ".drop,.drop line{stroke:#999;stroke-width:1.4;stroke-dasharray:3 2}\n"
	           ".ack{fill:none;stroke:#169c3a;stroke-width:1.4}\n"
	           ".edge{fill:none;stroke:#e08a00;stroke-width:1.2}\n"
	           ".sack{stroke:#8a2be2;stroke-width:3;opacity:.75}\n"
	           ".fl{font-size:11px;font-weight:bold;stroke:none}\n"
	           ".fl.data{fill:#1f4fd6}.fl.rtx{fill:#d62020}.fl.drop{fill:#999}\n"
	           ".rl{fill:#d62020;font-size:10px;font-weight:bold}\n"
	           ".dl{fill:#666;font-size:12px;font-weight:bold}\n"
	           ".fail{stroke:#d62020;stroke-width:1.5;stroke-dasharray:6 4}\n"
	           ".failt{fill:#d62020;font-weight:bold}\n"
	           ".leg{font-size:11px}\n"
	           "</style>\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n");
	fprintf(f, "<text x=\"12\" y=\"24\" class=\"head\">");
	esc(f, "ptcp-replay time-sequence diagram");
	if (title) {
		esc(f, ": ");
		esc(f, title);
	}
	if (r->failed)
		esc(f, " (FAILED)");
	fprintf(f, "</text>\n");
	for (int d = 0; d < 2; d++) {
		if (!show[d])
			continue;
		draw_panel(f, r, &pn[d], top);
		top += PH;
	}
	fprintf(f, "</svg>\n");
	for (int d = 0; d < 2; d++) {
		free(pn[d].seg);
		free(pn[d].ack);
	}
	return ferror(f) ? -1 : 0;
}
