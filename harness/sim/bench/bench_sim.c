/*
 * sim-segments-per-sec: simulated segments per wall-clock second, the
 * median of 5 runs, for a clean bulk transfer (64 MiB) and a lossy one
 * (10 MiB, 5% loss, 2% reordering, 1% duplication), with the invariant
 * checker on (as the tests run) and, for reference, off.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#define RUNS 5

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bench(const char *name, const ptcp_sim_config *cfg)
{
	double rate[RUNS];
	ptcp_sim_result res;
	for (int i = 0; i < RUNS; i++) {
		if (ptcp_sim_run(cfg, &res) < 0) {
			fprintf(stderr, "bench: %s\n", res.why);
			exit(1);
		}
		if (!res.ok)
			printf("  (note: the run failed: %s)\n", res.why);
		rate[i] = res.wall > 0 ? (double)res.segs / res.wall : 0;
	}
	qsort(rate, RUNS, sizeof(rate[0]), cmp);
	printf("%-44s %9llu segments/run, median %10.0f segments/s (min %.0f, max %.0f)\n", name,
	       (unsigned long long)res.segs, rate[RUNS / 2], rate[0], rate[RUNS - 1]);
	return rate[RUNS / 2];
}

int main(void)
{
	ptcp_sim_config cfg;
	double clean, lossy;

	ptcp_sim_config_default(&cfg);
	cfg.seed = 1;
	cfg.bytes = 64u << 20;
	clean = bench("clean bulk 64 MiB, checker on", &cfg);
	cfg.check = 0;
	bench("clean bulk 64 MiB, checker off", &cfg);

	cfg.check = 1;
	cfg.bytes = 10u << 20;
	for (int i = 0; i < 2; i++) {
		cfg.link[i].loss = 5;
		cfg.link[i].reorder = 2;
		cfg.link[i].dup = 1;
	}
	lossy = bench("lossy bulk 10 MiB (5/2/1%), checker on", &cfg);
	cfg.check = 0;
	bench("lossy bulk 10 MiB (5/2/1%), checker off", &cfg);

	printf("sim-segments-per-sec: clean %.0f, lossy %.0f\n", clean, lossy);
	return 0;
}
