/*
 * sim-property, the acceptance test: a 10 MiB transfer over a link with 5%
 * loss, 2% reordering and 1% duplication (both directions) is delivered
 * byte-exact, with no invariant violation and no stuck connection, for
 * 1000 different seeds (1 .. 1000).
 * Usage: test_sim_property [first_seed [count]].  Prints every failing
 * seed with its reproduction command, then "N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

int main(int argc, char **argv)
{
	uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000;
	uint64_t passed = 0, failed = 0, segs = 0;
	double wall = 0;
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ptcp_sim_config_default(&cfg);
	cfg.bytes = 10u << 20;
	for (int i = 0; i < 2; i++) {
		cfg.link[i].loss = 5;
		cfg.link[i].reorder = 2;
		cfg.link[i].dup = 1;
	}
	for (uint64_t n = 0; n < count; n++) {
		cfg.seed = first + n;
		if (ptcp_sim_run(&cfg, &res) == 0 && res.read[0] == cfg.bytes) {
			passed++;
		} else {
			failed++;
			printf("FAIL seed %llu: %s\n  reproduce: ptcp-sim --seed %llu --bytes 10m "
			       "--loss 5 --reorder 2 --dup 1\n",
			       (unsigned long long)cfg.seed, res.why, (unsigned long long)cfg.seed);
		}
		segs += res.segs;
		wall += res.wall;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu seeds x 10 MiB: %llu segments in %.2f s (%.0f segments/s); test wall %.2f s\n",
	       (unsigned long long)count, (unsigned long long)segs, wall,
	       wall > 0 ? (double)segs / wall : 0.0,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("%llu passed, %llu failed\n", (unsigned long long)passed,
	       (unsigned long long)failed);
	return failed ? 1 : 0;
}
