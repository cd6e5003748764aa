/* Test helpers: a fixed-seed PRNG and a generator of random valid scenarios. */
#ifndef SCRIPT_TEST_GEN_H
#define SCRIPT_TEST_GEN_H

#include "script.h"

typedef struct gen_rng {
	uint64_t s;
} gen_rng;

uint64_t gen_next(gen_rng *r);
/* Uniform in 0..n-1 (n > 0). */
uint64_t gen_below(gen_rng *r, uint64_t n);
/* A random valid scenario with up to max_events events (s is initialised here). */
int gen_scenario(gen_rng *r, ptcp_script *s, size_t max_events);
/* Random well-formed or malformed option bytes into opt (returns the length). */
size_t gen_opts(gen_rng *r, uint8_t *opt);
/* Read a whole file (NUL-terminated); NULL on error. */
char *gen_read_file(const char *path, size_t *len);

#endif
