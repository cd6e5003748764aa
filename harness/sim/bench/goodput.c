/*
 * goodput: bulk transfers over a 100 Mbit/s, 40 ms RTT simulated path at
 * 0, 0.1, 1 and 5% random loss (data direction), for Reno and CUBIC,
 * beside the textbook model of Mathis et al. (1997):
 *     rate = (MSS / RTT) * C / sqrt(p),  C = sqrt(3/2) ~ 1.22
 * capped at the link rate.  Each cell is the median over seeds.
 *
 *   goodput [--mib N] [--seeds K] [--svg FILE] [--md FILE]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define NLOSS 4
#define NCC   2

static const double loss_pct[NLOSS] = {0, 0.1, 1, 5};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int verbose; /* --stats: one line per run on stderr */

/* --events: every recovery entry and timeout of the sender, on stderr */
static void on_step(void *arg, const ptcp_sim_step_note *n)
{
	uint64_t *last = arg; /* fast_recoveries, rto_fired seen so far */
	ptcp_stats st;
	ptcp_info in;
	if (n->side != 0)
		return;
	ptcp_conn_stats(n->core, &st);
	if (st.fast_recoveries == last[0] && st.rto_fired == last[1])
		return;
	ptcp_conn_info(n->core, &in);
	fprintf(stderr, "  t=%.3f %s cwnd %u ssthresh %u flight %u (segments) rack %llu\n",
	        (double)n->t / 1e6, st.rto_fired != last[1] ? "RTO     " : "recovery",
	        in.cwnd / in.mss, in.ssthresh / in.mss, (in.snd_max - in.snd_una) / in.mss,
	        (unsigned long long)st.rack_losses);
	last[0] = st.fast_recoveries;
	last[1] = st.rto_fired;
}

static int events;
static unsigned ooo_ranges; /* --ooo-ranges: the receiver's lent pool */

static double run_one(int cc, double loss, uint64_t bytes, uint64_t seed, double *secs)
{
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	ptcp_sim_config_default(&cfg);
	cfg.seed = seed;
	cfg.bytes = bytes;
	cfg.app = PTCP_SIM_BULK;
	cfg.conns = 1;
	for (int d = 0; d < 2; d++) {
		memset(&cfg.link[d], 0, sizeof(cfg.link[d]));
		cfg.link[d].delay = PTCP_MS(20); /* 40 ms RTT */
		cfg.link[d].bw = 100000000ull;   /* 100 Mbit/s */
		cfg.link[d].queue = 345;         /* about one bandwidth-delay product */
	}
	cfg.link[0].loss = loss; /* random loss on the data direction */
	cfg.sndbuf = cfg.rcvbuf = 8u << 20;
	cfg.ooo_ranges = ooo_ranges;
	cfg.core.cc = cc ? &ptcp_cc_cubic : &ptcp_cc_reno;
	cfg.core.msl = PTCP_MS(1); /* TIME-WAIT out of the measured time */
	cfg.max_time = PTCP_SEC(36000);
	uint64_t last[2] = {0, 0};
	if (events) {
		cfg.observe.step = on_step;
		cfg.observe.arg = last;
	}
	if (ptcp_sim_run(&cfg, &res) != 0 || !res.ok) {
		fprintf(stderr, "goodput: run failed: %s\n", res.why);
		exit(1);
	}
	*secs = res.wall;
	if (verbose)
		fprintf(stderr,
		        "%s loss %g%% seed %llu: %.2f Mbit/s, %llu retransmits, %llu RTOs, "
		        "%.1f s virtual\n",
		        cc ? "cubic" : "reno", loss, (unsigned long long)seed,
		        (double)res.read[0] * 8.0 / ((double)res.vtime / 1e6) / 1e6,
		        (unsigned long long)res.retransmits, (unsigned long long)res.rto_fired,
		        (double)res.vtime / 1e6);
	return (double)res.read[0] * 8.0 / ((double)res.vtime / 1e6) / 1e6;
}

static double mathis(double loss)
{
	const double mss = 1448 * 8, rtt = 0.040, link = 100.0;
	double r;
	if (loss <= 0)
		return link;
	r = mss / rtt * sqrt(1.5) / sqrt(loss / 100.0) / 1e6;
	return r < link ? r : link;
}

static void write_svg(const char *path, double g[NCC][NLOSS])
{
	FILE *f = fopen(path, "w");
	const int W = 640, H = 360, L = 60, B = 300, T = 30;
	const double ymax = 110;
	const char *color[3] = {"#4c78a8", "#f58518", "#54a24b"};
	const char *label[3] = {"Reno", "CUBIC", "Mathis model"};
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "font-family=\"sans-serif\" font-size=\"12\">\n",
	        W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f,
	        "<text x=\"%d\" y=\"18\" font-size=\"14\">Goodput, 100 Mbit/s, 40 ms RTT "
	        "(ptcp-sim)</text>\n",
	        L);
	for (int v = 0; v <= 100; v += 20) {
		double y = B - (B - T) * v / ymax;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
		        L, y, W - 20, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", L - 6,
		        y + 4, v);
	}
	fprintf(f,
	        "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">"
	        "Mbit/s</text>\n",
	        (B + T) / 2);
	for (int i = 0; i < NLOSS; i++) {
		double gx = L + 20 + i * 140;
		for (int s = 0; s < 3; s++) {
			double v = s < 2 ? g[s][i] : mathis(loss_pct[i]);
			double h = (B - T) * v / ymax;
			fprintf(f,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"34\" height=\"%.1f\" "
			        "fill=\"%s\"/>\n",
			        gx + s * 38, B - h, h, color[s]);
			fprintf(
			    f,
			    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">"
			    "%.1f</text>\n",
			    gx + s * 38 + 17, B - h - 3, v);
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g%% loss</text>\n",
		        gx + 55, B + 18, loss_pct[i]);
	}
	for (int s = 0; s < 3; s++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
		        L + s * 150, H - 24, color[s]);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", L + 18 + s * 150, H - 14,
		        label[s]);
	}
	fprintf(f, "</svg>\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	uint64_t mib = 100;
	int seeds = 3;
	const char *svg = NULL, *md = NULL;
	double g[NCC][NLOSS], wall = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			seeds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
			svg = argv[++i];
		else if (!strcmp(argv[i], "--stats"))
			verbose = 1;
		else if (!strcmp(argv[i], "--events"))
			events = verbose = 1;
		else if (!strcmp(argv[i], "--ooo-ranges") && i + 1 < argc)
			ooo_ranges = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--md") && i + 1 < argc)
			md = argv[++i];
		else {
			fprintf(stderr, "usage: goodput [--mib N] [--seeds K] [--svg FILE] [--md "
			                "FILE] [--stats] [--events] [--ooo-ranges N]\n");
			return 2;
		}
	}
	if (seeds < 1 || seeds > 64 || mib < 1) {
		fprintf(stderr, "goodput: --seeds 1..64, --mib >= 1\n");
		return 2;
	}
	for (int c = 0; c < NCC; c++)
		for (int i = 0; i < NLOSS; i++) {
			double v[64], w;
			for (int s = 0; s < seeds; s++) {
				v[s] = run_one(c, loss_pct[i], mib << 20, (uint64_t)(1 + s), &w);
				wall += w;
			}
			qsort(v, (size_t)seeds, sizeof(v[0]), cmp_double);
			g[c][i] = v[seeds / 2];
		}
	FILE *out[2] = {stdout, md ? fopen(md, "w") : NULL};
	for (int k = 0; k < 2; k++) {
		FILE *f = out[k];
		if (!f)
			continue;
		fprintf(f,
		        "Goodput of a %llu MiB transfer, 100 Mbit/s, 40 ms RTT, queue 345 packets, "
		        "MSS 1448 (median of %d seeds, Mbit/s):\n\n",
		        (unsigned long long)mib, seeds);
		fprintf(f,
		        "| loss | Reno | CUBIC | Mathis model | Reno / model | CUBIC / model |\n");
		fprintf(f, "|---|---|---|---|---|---|\n");
		for (int i = 0; i < NLOSS; i++) {
			double m = mathis(loss_pct[i]);
			fprintf(f, "| %g%% | %.2f | %.2f | %.2f%s | %.2f | %.2f |\n", loss_pct[i],
			        g[0][i], g[1][i], m, loss_pct[i] > 0 && m < 100 ? "" : " (link)",
			        g[0][i] / m, g[1][i] / m);
		}
		fprintf(f, "\nsimulation wall time: %.1f s\n", wall);
	}
	if (out[1])
		fclose(out[1]);
	if (svg)
		write_svg(svg, g);
	return 0;
}
