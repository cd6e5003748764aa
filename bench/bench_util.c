/*
 * ptcp-bench: timing, statistics, a steady connection, the environment,
 * the callgrind driver and a tiny SVG writer.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

const uint8_t bench_payload[BENCH_PAYLOAD] = {1, 2, 3, 4, 5, 6, 7, 8};
const uint8_t bench_zeros[1u << 20];

void bench_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ptcp-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- Timing and statistics ------------------------------------------------ */
uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_clock_ns(void)
{
	static double ovh = -1;
	if (ovh < 0) {
		double v[1001];
		for (int i = 0; i < 1001; i++) {
			uint64_t t0 = bench_now_ns(), t1 = bench_now_ns();
			v[i] = (double)(t1 - t0);
		}
		ovh = bench_summarise(v, 1001).med;
	}
	return ovh;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;
	double f = pos - (double)i;
	return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

bench_stat bench_summarise(double *v, size_t n)
{
	bench_stat s = {0, 0, 0, 0};
	if (!n)
		return s;
	qsort(v, n, sizeof(v[0]), cmp_double);
	s.med = pct(v, n, 0.5);
	s.p10 = pct(v, n, 0.1);
	s.p90 = pct(v, n, 0.9);
	s.min = v[0];
	return s;
}

/* ---- A steady connection ---------------------------------------------------- */
static uint32_t our_tsval(const ptcp_conn *c, ptcp_time_t now)
{
	(void)c; /* ptcp_config_default: ts_offset 0; the core's clock is now / 1000 */
	return (uint32_t)(now / 1000u);
}

void bench_peer_seg(const bench_peer *p, const ptcp_conn *c, ptcp_seg *s, uint8_t flags,
                    const uint8_t *payload, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->sport = BENCH_RPORT;
	s->dport = BENCH_LPORT;
	s->seq = p->seq;
	s->ack = p->ack;
	s->flags = flags;
	s->wnd = p->wnd;
	s->opts.present = PTCP_OPT_TS;
	s->opts.ts_val = (uint32_t)(p->now / 1000u) + 77777u;
	s->opts.ts_ecr = our_tsval(c, p->now);
	s->payload = len ? payload : NULL;
	s->payload_len = len;
}

static void addrs(ptcp_input *in)
{
	ptcp_addr_v4(&in->segment.src, 10, 0, 0, 2);
	ptcp_addr_v4(&in->segment.dst, 10, 0, 0, 1);
}

int bench_step_seg(ptcp_conn *c, const ptcp_seg *s, ptcp_time_t now, ptcp_actions *out)
{
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	in.segment.seg = s;
	addrs(&in);
	return ptcp_step(c, &in, now, out);
}

int bench_step_read(ptcp_conn *c, uint8_t *buf, size_t len, ptcp_time_t now, ptcp_actions *out)
{
	ptcp_input in = {.kind = PTCP_IN_READ};
	in.read.buf = buf;
	in.read.len = len;
	return ptcp_step(c, &in, now, out);
}

int bench_step_send(ptcp_conn *c, const uint8_t *data, size_t len, ptcp_time_t now,
                    ptcp_actions *out)
{
	ptcp_input in = {.kind = PTCP_IN_SEND};
	in.send.data = data;
	in.send.len = len;
	return ptcp_step(c, &in, now, out);
}

uint64_t bench_drops(const ptcp_conn *c)
{
	ptcp_stats st;
	uint64_t n = 0;
	ptcp_conn_stats(c, &st);
	for (int i = 1; i < PTCP_DROP_COUNT; i++)
		n += st.drops[i];
	return n;
}

void bench_establish(ptcp_conn *c, ptcp_loss *loss, uint8_t *sbuf, size_t scap, uint8_t *rbuf,
                     size_t rcap, bench_peer *p, ptcp_action *acts)
{
	ptcp_config cfg;
	ptcp_handshake h;
	ptcp_actions out = {.v = acts, .cap = BENCH_ACTS};
	ptcp_seg s;
	ptcp_config_default(&cfg);
	cfg.mss = BENCH_PAYLOAD + 12;
	if (ptcp_conn_init(c, &cfg, sbuf, scap, rbuf, rcap) || ptcp_conn_set_loss(c, loss))
		bench_die("ptcp_conn_init failed");
	memset(&h, 0, sizeof(h));
	ptcp_addr_v4(&h.laddr, 10, 0, 0, 1);
	ptcp_addr_v4(&h.raddr, 10, 0, 0, 2);
	h.lport = BENCH_LPORT;
	h.rport = BENCH_RPORT;
	h.iss = BENCH_ISS;
	h.irs = BENCH_IRS;
	h.peer_mss = BENCH_PAYLOAD + 12;
	if (!p->wshift)
		p->wshift = 7;
	h.peer_wscale = p->wshift;
	h.sack_ok = 1;
	h.ts_ok = 1;
	p->now = PTCP_SEC(1);
	h.ts_recent = (uint32_t)(p->now / 1000u) + 77777u;
	h.snd_wnd = 65535;
	if (ptcp_conn_establish(c, &h, p->now, &out))
		bench_die("ptcp_conn_establish failed");
	p->seq = BENCH_IRS + 1;
	p->ack = BENCH_ISS + 1;
	p->wnd = 65535;
	bench_peer_seg(p, c, &s, PTCP_ACK, NULL, 0);
	bench_step_seg(c, &s, p->now, &out);
	if (ptcp_conn_state(c) != PTCP_ESTABLISHED)
		bench_die("the connection did not establish");
}

void bench_ack_all(ptcp_conn *c, bench_peer *p, ptcp_actions *out)
{
	ptcp_info i;
	ptcp_seg s;
	ptcp_conn_info(c, &i);
	p->ack = i.snd_max;
	p->now += 1;
	bench_peer_seg(p, c, &s, PTCP_ACK, NULL, 0);
	bench_step_seg(c, &s, p->now, out);
}

void bench_open_cwnd(ptcp_conn *c, bench_peer *p, ptcp_actions *out, unsigned segs)
{
	for (int round = 0; round < 64; round++) {
		ptcp_info i;
		uint32_t sent;
		ptcp_seg s;
		size_t want = (size_t)segs * BENCH_PAYLOAD;
		p->now += 100;
		if (bench_step_send(c, bench_zeros, want, p->now, out) != (int)want)
			bench_die("open_cwnd: the send buffer is smaller than %u segments", segs);
		ptcp_conn_info(c, &i);
		sent = i.snd_max - i.snd_una;
		/* one ACK per segment: slow start grows cwnd by one segment per ACK */
		for (uint32_t a = i.snd_una + BENCH_PAYLOAD;; a += BENCH_PAYLOAD) {
			if (ptcp_seq_gt(a, i.snd_max))
				a = i.snd_max;
			p->ack = a;
			p->now += 1;
			bench_peer_seg(p, c, &s, PTCP_ACK, NULL, 0);
			bench_step_seg(c, &s, p->now, out);
			ptcp_conn_info(c, &i);
			if (i.snd_una == i.snd_max && i.send_queued == 0)
				break;
		}
		if (sent >= want)
			return;
	}
	bench_die("open_cwnd: cwnd did not open to %u segments", segs);
}

/* ---- Environment --------------------------------------------------------------- */
#ifndef PTCP_BENCH_BUILD
#define PTCP_BENCH_BUILD "unknown build"
#endif

void bench_print_env(FILE *f)
{
	char model[256] = "unknown", line[512];
	unsigned cpus = 0;
	FILE *ci = fopen("/proc/cpuinfo", "r");
	if (ci) {
		while (fgets(line, sizeof(line), ci)) {
			if (!strncmp(line, "model name", 10) && !strcmp(model, "unknown")) {
				const char *v = strchr(line, ':');
				if (v) {
					snprintf(model, sizeof(model), "%s", v + 2);
					model[strcspn(model, "\n")] = 0;
				}
			}
			if (!strncmp(line, "processor", 9))
				cpus++;
		}
		fclose(ci);
	}
	fprintf(f, "- machine: %s, %u logical CPUs\n", model, cpus);
#ifdef __VERSION__
	fprintf(f, "- compiler: %s\n", __VERSION__);
#endif
	fprintf(f, "- build: %s\n", PTCP_BENCH_BUILD);
}

/* ---- callgrind ------------------------------------------------------------------- */
int bench_have_valgrind(void)
{
	static int have = -1;
	if (have < 0)
		have = system("valgrind --version >/dev/null 2>&1") == 0;
	return have;
}

#define ICOUNT_WARM 2u

int bench_icount_child(const char *id, unsigned n, unsigned rounds)
{
	const bench_case *bc = bench_case_find(id);
	void *st;
	if (!strncmp(id, "dupack:", 7)) {
		/* the SACK sweep: the dupack steady state with r ranges */
		st = calloc(1, bench_dupack_size());
		if (!st)
			bench_die("out of memory");
		bench_dupack_init(st, n, (unsigned)atoi(id + 7));
		for (unsigned r = 0; r < rounds + ICOUNT_WARM; r++) {
			bench_dupack_prepare(st, n);
			bench_dupack_run(st, n);
			bench_dupack_check(st, n);
		}
		bench_dupack_fini(st);
		free(st);
		return 0;
	}
	if (!bc)
		bench_die("icount: no case %s", id);
	st = calloc(1, bc->state_size);
	if (!st)
		bench_die("out of memory");
	bc->setup(st, n);
	for (unsigned r = 0; r < rounds + ICOUNT_WARM; r++) {
		bc->prepare(st, n);
		bc->run(st, n);
		bc->check(st, n);
	}
	if (bc->fini)
		bc->fini(st);
	free(st);
	return 0;
}

double bench_icount(const bench_opts *o, const char *id, const char *runfn)
{
	char out[256], cmd[1024], line[512];
	unsigned rounds = o->quick ? 3 : 10, n = o->batch;
	double ir = -1;
	FILE *f;
	if (!o->icount || !bench_have_valgrind() || !o->self)
		return -1;
	snprintf(out, sizeof(out), "/tmp/ptcp-bench-cg.%llu.%s", (unsigned long long)bench_now_ns(),
	         id);
	snprintf(cmd, sizeof(cmd),
	         "valgrind --tool=callgrind --callgrind-out-file='%s' --toggle-collect='%s' "
	         "'%s' icount '%s' %u %u >/dev/null 2>&1",
	         out, runfn, o->self, id, n, rounds);
	if (system(cmd) != 0) {
		remove(out);
		return -1;
	}
	f = fopen(out, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))
			ir = strtod(strchr(line, ':') + 1, NULL);
	fclose(f);
	remove(out);
	return ir < 0 ? -1 : ir / ((double)(rounds + ICOUNT_WARM) * n);
}

/* ---- SVG ---------------------------------------------------------------------------- */
const char *bench_svg_path(const bench_opts *o, const char *name, char *buf, size_t cap)
{
	if (!o->svgdir)
		return NULL;
	snprintf(buf, cap, "%s/%s", o->svgdir, name);
	return buf;
}

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
#define NPAL (sizeof(palette) / sizeof(palette[0]))

static void xml_text(FILE *f, const char *s)
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
		default:
			fputc(*s, f);
		}
	}
}

static void fmt_tick(char *b, size_t cap, double v)
{
	double a = fabs(v);
	if (a >= 1e9)
		snprintf(b, cap, "%gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(b, cap, "%gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(b, cap, "%gk", v / 1e3);
	else
		snprintf(b, cap, "%g", v);
}

typedef struct axis {
	int log;
	double lo, hi; /* data range (log10 when log) */
} axis;

static double ax_map(const axis *a, double v, double p0, double p1)
{
	double t = a->log ? log10(v > 0 ? v : 1e-300) : v;
	return p0 + (t - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static void ax_range(axis *a, double mn, double mx)
{
	if (a->log) {
		a->lo = floor(log10(mn > 0 ? mn : 1));
		a->hi = ceil(log10(mx > 0 ? mx : 1));
		if (a->hi <= a->lo)
			a->hi = a->lo + 1;
	} else {
		double span, step;
		if (mn > 0)
			mn = 0;
		span = mx - mn;
		if (span <= 0)
			span = 1;
		step = pow(10, floor(log10(span)));
		if (span / step < 3)
			step /= 2;
		a->lo = floor(mn / step) * step;
		a->hi = ceil(mx / step) * step;
		if (a->hi <= a->lo)
			a->hi = a->lo + step;
	}
}

/* Tick values of an axis, at most cap. */
static size_t ax_ticks(const axis *a, double *t, size_t cap)
{
	size_t n = 0;
	if (a->log) {
		for (double e = a->lo; e <= a->hi + 1e-9 && n < cap; e += 1)
			t[n++] = pow(10, e);
	} else {
		double span = a->hi - a->lo, step = pow(10, floor(log10(span)));
		if (span / step < 3)
			step /= 2;
		if (span / step > 8)
			step *= 2;
		for (double v = a->lo; v <= a->hi + step * 1e-9 && n < cap; v += step)
			t[n++] = v;
	}
	return n;
}

#define W  720
#define H  420
#define ML 80
#define MR 270
#define MT 40
#define MB 56

int svg_plot(const char *path, const char *title, const char *xlabel, const char *ylabel, int logx,
             int logy, const svg_series *s, size_t ns)
{
	axis ax = {logx, 0, 1}, ay = {logy, 0, 1};
	double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY, t[32];
	double x0 = ML, x1 = W - MR, y0 = H - MB, y1 = MT;
	size_t nt;
	FILE *f;
	if (!path)
		return 0;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++) {
			if (logx && s[i].x[k] <= 0)
				continue;
			if (logy && s[i].y[k] <= 0)
				continue;
			xmn = fmin(xmn, s[i].x[k]);
			xmx = fmax(xmx, s[i].x[k]);
			ymn = fmin(ymn, s[i].y[k]);
			ymx = fmax(ymx, s[i].y[k]);
		}
	if (xmn > xmx)
		return 0;
	ax_range(&ax, xmn, xmx);
	ax_range(&ay, ymn, ymx);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "ptcp-bench: cannot write %s\n", path);
		return -1;
	}
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
	        W, H, W, H);
	fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", W / 2);
	xml_text(f, title);
	fprintf(f, "</text>\n");
	/* grid and ticks */
	nt = ax_ticks(&ax, t, 32);
	for (size_t i = 0; i < nt; i++) {
		char b[32];
		double x = ax_map(&ax, t[i], x0, x1);
		fmt_tick(b, sizeof(b), t[i]);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
		        x, y0, x, y1, x, y0 + 16, b);
	}
	nt = ax_ticks(&ay, t, 32);
	for (size_t i = 0; i < nt; i++) {
		char b[32];
		double y = ax_map(&ay, t[i], y0, y1);
		fmt_tick(b, sizeof(b), t[i]);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
		        x0, y, x1, y, x0 - 6, y + 4, b);
	}
	fprintf(f,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
	        "stroke=\"#333\"/>\n",
	        x0, y1, x1 - x0, y0 - y1);
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (x0 + x1) / 2, H - 12);
	xml_text(f, xlabel);
	fprintf(f,
	        "</text>\n<text transform=\"translate(18 %.1f) rotate(-90)\" "
	        "text-anchor=\"middle\">",
	        (y0 + y1) / 2);
	xml_text(f, ylabel);
	fprintf(f, "</text>\n");
	/* series */
	for (size_t i = 0; i < ns; i++) {
		const char *col = palette[i % NPAL];
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
		        col);
		for (size_t k = 0; k < s[i].n; k++) {
			if ((logx && s[i].x[k] <= 0) || (logy && s[i].y[k] <= 0))
				continue;
			fprintf(f, "%.1f,%.1f ", ax_map(&ax, s[i].x[k], x0, x1),
			        ax_map(&ay, s[i].y[k], y0, y1));
		}
		fprintf(f, "\"/>\n");
		for (size_t k = 0; k < s[i].n; k++) {
			if ((logx && s[i].x[k] <= 0) || (logy && s[i].y[k] <= 0))
				continue;
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			        ax_map(&ax, s[i].x[k], x0, x1), ax_map(&ay, s[i].y[k], y0, y1),
			        col);
		}
		fprintf(f,
		        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		        "stroke-width=\"3\"/>\n<text x=\"%d\" y=\"%d\">",
		        W - MR + 12, MT + 10 + 20 * (int)i, W - MR + 32, MT + 10 + 20 * (int)i, col,
		        W - MR + 38, MT + 14 + 20 * (int)i);
		xml_text(f, s[i].name);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}

int svg_bars(const char *path, const char *title, const char *xlabel, const char *const *labels,
             const double *value, const char *value_name, const double *ref, const char *ref_name,
             size_t n)
{
	const int lw = 300, row = 26, top = 48, right = 60, w = 900;
	int h = top + row * (int)n + 60;
	double mx = 0, t[32];
	axis ax = {0, 0, 1};
	size_t nt;
	FILE *f;
	if (!path)
		return 0;
	for (size_t i = 0; i < n; i++) {
		mx = fmax(mx, value[i]);
		if (ref)
			mx = fmax(mx, ref[i]);
	}
	ax_range(&ax, 0, mx);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "ptcp-bench: cannot write %s\n", path);
		return -1;
	}
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
	        w, h, w, h);
	fprintf(f, "<text x=\"%d\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", w / 2);
	xml_text(f, title);
	fprintf(f, "</text>\n");
	nt = ax_ticks(&ax, t, 32);
	for (size_t i = 0; i < nt; i++) {
		char b[32];
		double x = ax_map(&ax, t[i], lw, w - right);
		fmt_tick(b, sizeof(b), t[i]);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		        x, top - 6, x, top + row * (int)n, x, top + row * (int)n + 16, b);
	}
	for (size_t i = 0; i < n; i++) {
		int y = top + row * (int)i;
		double x1 = ax_map(&ax, value[i], lw, w - right);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 8, y + 16);
		xml_text(f, labels[i]);
		fprintf(f,
		        "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		        "fill=\"%s\"/>\n",
		        lw, y + 4, x1 - lw, ref ? 11 : 18, palette[0]);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.0f</text>\n", x1 + 4,
		        y + 13, value[i]);
		if (ref) {
			double x2 = ax_map(&ax, ref[i], lw, w - right);
			fprintf(f,
			        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"7\" "
			        "fill=\"%s\"/>\n",
			        lw, y + 16, x2 - lw, palette[1]);
		}
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (lw + w - right) / 2, h - 18);
	xml_text(f, xlabel);
	fprintf(f,
	        "</text>\n<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
	        "<text x=\"%d\" y=\"%d\">",
	        16, h - 40, palette[0], 36, h - 31);
	xml_text(f, value_name);
	fprintf(f, "</text>\n");
	if (ref) {
		fprintf(f,
		        "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
		        "<text x=\"%d\" y=\"%d\">",
		        16, h - 24, palette[1], 36, h - 15);
		xml_text(f, ref_name);
		fprintf(f, "</text>\n");
	}
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}
