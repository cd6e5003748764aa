/*
 * ptcp-bench: benchmarks of the core (issue 10).
 *
 *   ptcp-bench [percase|memory|growth|holes|table|all] [--quick] [--no-icount] [--svg DIR]
 *              [--rounds R] [--batch N]
 *
 * percase  cost per segment of ptcp_step() on the hot paths, in ns and in
 *          instructions (callgrind), beside the floor (memcpy + checksum)
 * memory   bytes per connection
 * growth   cost as out-of-order holes, SACK ranges, connections grow
 * holes    only growth's out-of-order holes sweep (and the reassembly models)
 * table    only growth's connection-table sweep (1 .. 1,000,000 connections)
 * all      the three (the default)
 *
 * Output is Markdown (tables), for BENCHMARKS.md.  Plots go to DIR as SVG.
 * Exit status 0, or 1 when a case could not be set up (never for a time).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ptcp-bench [percase|memory|growth|holes|table|all] [--quick] [--no-icount] "
	        "[--svg DIR] [--rounds R] [--batch N] [--hugepages]\n"
	        "  --quick      fewer rounds and smaller sweeps\n"
	        "  --no-icount  skip the callgrind instruction counts\n"
	        "  --hugepages  the connection table's memory on 2 MiB pages (Linux THP)\n"
	        "  --svg DIR    write the plots (bench-*.svg) into DIR\n"
	        "  --rounds R   timed batches per case (default 301, quick 51)\n"
	        "  --batch N    operations per batch (default 32)\n");
}

/* ---- percase ------------------------------------------------------------------- */
#define WARM 3u

int bench_percase(const bench_opts *o)
{
	size_t nc = bench_ncases;
	unsigned n = o->batch, R = o->rounds;
	void **st = calloc(nc, sizeof(void *));
	double *samples = calloc(nc * R, sizeof(double));
	bench_stat *stat = calloc(nc, sizeof(bench_stat));
	double *ir = calloc(nc, sizeof(double));
	double *emits = calloc(nc, sizeof(double)); /* segments emitted per operation */
	const bench_case *fm = bench_case_find("floor_memcpy"), *fc = bench_case_find("floor_csum"),
	                 *fcc = bench_case_find("floor_csum_copy");
	size_t im = (size_t)(fm - bench_cases), ic = (size_t)(fc - bench_cases),
	       icc = (size_t)(fcc - bench_cases);
	if (!st || !samples || !stat || !ir || !emits)
		bench_die("out of memory");
	for (size_t c = 0; c < nc; c++) {
		st[c] = calloc(1, bench_cases[c].state_size);
		if (!st[c])
			bench_die("out of memory");
		bench_cases[c].setup(st[c], n);
	}
	/* round robin: every case once per round, so noise falls on all alike */
	for (unsigned r = 0; r < R + WARM; r++) {
		for (size_t c = 0; c < nc; c++) {
			const bench_case *bc = &bench_cases[c];
			/* every case's state starts with its connection block */
			const ptcp_conn *conn = st[c];
			ptcp_stats s0, s1;
			uint64_t t0, t1;
			bc->prepare(st[c], n);
			ptcp_conn_stats(conn, &s0);
			t0 = bench_now_ns();
			bc->run(st[c], n);
			t1 = bench_now_ns();
			ptcp_conn_stats(conn, &s1);
			bc->check(st[c], n);
			if (r >= WARM) {
				samples[c * R + (r - WARM)] = (double)(t1 - t0) / n;
				emits[c] += (double)(s1.segs_out - s0.segs_out) / n / R;
			}
		}
	}
	for (size_t c = 0; c < nc; c++) {
		stat[c] = bench_summarise(samples + c * R, R);
		if (bench_cases[c].fini)
			bench_cases[c].fini(st[c]);
		free(st[c]);
	}
	for (size_t c = 0; c < nc; c++)
		ir[c] = bench_icount(o, bench_cases[c].id, bench_cases[c].runfn);

	printf("\n## Per-segment cost (ptcp_step in steady state)\n\n");
	printf("Median of %u batches of %u operations (one step each), p10-p90 beside it; "
	       "instructions from callgrind (deterministic). Ratios are against the floors of "
	       "the same run: memcpy = %.1f ns, csum = %.1f ns, csum+memcpy = %.1f ns.\n\n",
	       R, n, stat[im].med, stat[ic].med, stat[icc].med);
	printf("| case | what | segments out per op | ns median | p10-p90 | instructions | x "
	       "memcpy | x csum+memcpy | instr. x csum+memcpy |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t c = 0; c < nc; c++) {
		char irs[32] = "-", irr[32] = "-";
		if (ir[c] >= 0)
			snprintf(irs, sizeof(irs), "%.0f", ir[c]);
		if (ir[c] >= 0 && ir[icc] > 0)
			snprintf(irr, sizeof(irr), "%.2f", ir[c] / ir[icc]);
		char em[32] = "-";
		if (bench_cases[c].kind == CASE_CORE)
			snprintf(em, sizeof(em), "%.2f", emits[c]);
		printf("| %s | %s | %s | %.1f | %.1f-%.1f | %s | %.2f | %.2f | %s |\n",
		       bench_cases[c].id, bench_cases[c].what, em, stat[c].med, stat[c].p10,
		       stat[c].p90, irs, stat[c].med / stat[im].med, stat[c].med / stat[icc].med,
		       irr);
	}
	{
		char path[512];
		const char *labels[64];
		double v[64], ref[64];
		size_t k = 0;
		for (size_t c = 0; c < nc && k < 64; c++) {
			labels[k] = bench_cases[c].id;
			v[k] = stat[c].med;
			ref[k] = stat[icc].med;
			k++;
		}
		svg_bars(bench_svg_path(o, "bench-percase.svg", path, sizeof(path)),
		         "ptcp_step per segment, steady state (median ns)", "ns per operation",
		         labels, v, "median ns per operation", ref,
		         "floor: checksum + memcpy of 1460 B", k);
	}
	free(st);
	free(samples);
	free(stat);
	free(ir);
	free(emits);
	return 0;
}

int main(int argc, char **argv)
{
	bench_opts o;
	const char *cmd = "all";
	int rounds_set = 0;
	memset(&o, 0, sizeof(o));
	o.icount = 1;
	o.batch = 32;
	o.self = argv[0];
	if (argc >= 2 && !strcmp(argv[1], "icount")) {
		if (argc != 5)
			bench_die("usage: ptcp-bench icount CASE N ROUNDS");
		bench_rounds_hint = (unsigned)atoi(argv[4]) + 8;
		return bench_icount_child(argv[2], (unsigned)atoi(argv[3]),
		                          (unsigned)atoi(argv[4]));
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			o.quick = 1;
		} else if (!strcmp(argv[i], "--hugepages")) {
			o.hugepages = 1;
		} else if (!strcmp(argv[i], "--no-icount")) {
			o.icount = 0;
		} else if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
			o.svgdir = argv[++i];
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			o.rounds = (unsigned)atoi(argv[++i]);
			rounds_set = 1;
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			o.batch = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-') {
			cmd = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!rounds_set)
		o.rounds = o.quick ? 51 : 301;
	if (o.rounds < 1 || o.batch < 16 || o.batch > 600) {
		fprintf(stderr, "ptcp-bench: rounds >= 1, batch 16..600\n");
		return 2;
	}
	if (strcmp(cmd, "all") && strcmp(cmd, "percase") && strcmp(cmd, "memory") &&
	    strcmp(cmd, "growth") && strcmp(cmd, "holes") && strcmp(cmd, "table")) {
		usage(stderr);
		return 2;
	}
	bench_rounds_hint = o.rounds + 8;
	printf("# ptcp-bench %s%s\n\n", cmd, o.quick ? " --quick" : "");
	bench_print_env(stdout);
	if (o.icount && !bench_have_valgrind())
		printf("- instruction counts: valgrind not found, skipped\n");
	fflush(stdout);
	if (!strcmp(cmd, "all") || !strcmp(cmd, "percase"))
		bench_percase(&o);
	fflush(stdout);
	if (!strcmp(cmd, "all") || !strcmp(cmd, "memory"))
		bench_memory(&o);
	fflush(stdout);
	if (!strcmp(cmd, "all") || !strcmp(cmd, "growth"))
		bench_growth(&o);
	if (!strcmp(cmd, "holes"))
		bench_growth_holes(&o);
	if (!strcmp(cmd, "table"))
		bench_growth_table(&o);
	return 0;
}
