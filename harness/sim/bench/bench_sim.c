/*
 * sim-segments-per-sec: simulated segments per wall-clock second, the
 * median of 5 runs, for a clean bulk transfer (64 MiB) and a lossy one
 * (10 MiB, 5% loss, 2% reordering, 1% duplication), with the invariant
 * checker on (as the tests run) and, for reference, off.  Also per CPU
 * second of the process, which a loaded machine disturbs less.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

#define RUNS 5

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench(const char *name, const ptcp_sim_config *cfg)
{
	double rate[RUNS], cpu[RUNS];
	ptcp_sim_result res;
	for (int i = 0; i < RUNS; i++) {
		double c0 = cpu_now(), c1;
		if (ptcp_sim_run(cfg, &res) < 0) {
			fprintf(stderr, "bench: %s\n", res.why);
			exit(1);
		}
		c1 = cpu_now();
		if (!res.ok)
			printf("  (note: the run failed: %s)\n", res.why);
		rate[i] = res.wall > 0 ? (double)res.segs / res.wall : 0;
		cpu[i] = c1 > c0 ? (double)res.segs / (c1 - c0) : 0;
	}
	qsort(rate, RUNS, sizeof(rate[0]), cmp);
	qsort(cpu, RUNS, sizeof(cpu[0]), cmp);
	printf("%-40s %6llu segs/run: median %8.0f segments/s wall (min %.0f, max %.0f), "
	       "%8.0f per CPU second\n",
	       name, (unsigned long long)res.segs, rate[RUNS / 2], rate[0], rate[RUNS - 1],
	       cpu[RUNS / 2]);
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
