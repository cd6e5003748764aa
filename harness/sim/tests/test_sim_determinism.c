/*
 * sim-determinism: the same seed and configuration give the same run bit
 * for bit (trace hash, counters, text trace), tracing does not perturb the
 * run, and different seeds give different runs.
 * Prints "N passed, M failed"; exits non-zero on a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_int.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

/* A run's text trace in a malloc'd string (and its hash in *hash). */
static char *traced(const ptcp_sim_config *base, uint64_t *hash, size_t *len)
{
	ptcp_sim_config cfg = *base;
	ptcp_sim_result res;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	cfg.trace = f;
	ptcp_sim_run(&cfg, &res);
	fclose(f);
	*hash = res.hash;
	*len = n;
	return buf;
}

/* The event script of connection 0's client, in a malloc'd string. */
static char *scripted(const ptcp_sim_config *base, int *ok, size_t *len)
{
	ptcp_sim_config cfg = *base;
	ptcp_sim_result res;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return NULL;
	cfg.script = f;
	ptcp_sim_run(&cfg, &res);
	fclose(f);
	/* a recording problem fails the run with "event script: ..." */
	*ok = strstr(res.why, "event script") == NULL;
	*len = n;
	return buf;
}

static int same_result(const ptcp_sim_result *a, const ptcp_sim_result *b)
{
	return a->hash == b->hash && a->ok == b->ok && a->segs == b->segs &&
	       a->events == b->events && a->steps == b->steps && a->vtime == b->vtime &&
	       a->retransmits == b->retransmits && a->dups == b->dups &&
	       a->corrupted == b->corrupted && a->reordered == b->reordered &&
	       memcmp(a->drops, b->drops, sizeof(a->drops)) == 0 &&
	       memcmp(a->codec, b->codec, sizeof(a->codec)) == 0 &&
	       memcmp(a->read, b->read, sizeof(a->read)) == 0 && strcmp(a->why, b->why) == 0;
}

static void one(const char *name, const ptcp_sim_config *cfg)
{
	static ptcp_sim_result r1, r2, r3;
	ptcp_sim_config c2 = *cfg;
	uint64_t h1, h2;
	size_t l1, l2;
	char *t1, *t2;
	ptcp_sim_run(cfg, &r1);
	ptcp_sim_run(cfg, &r2);
	CHECK(same_result(&r1, &r2), "%s: seed %llu twice: hash %016llx vs %016llx", name,
	      (unsigned long long)cfg->seed, (unsigned long long)r1.hash,
	      (unsigned long long)r2.hash);
	CHECK(r1.segs > 0, "%s: no segments", name);
	c2.seed = cfg->seed + 1;
	ptcp_sim_run(&c2, &r3);
	CHECK(r3.hash != r1.hash, "%s: seeds %llu and %llu give the same hash %016llx", name,
	      (unsigned long long)cfg->seed, (unsigned long long)c2.seed,
	      (unsigned long long)r1.hash);
	/* the text trace is identical too, and tracing does not change the run */
	t1 = traced(cfg, &h1, &l1);
	t2 = traced(cfg, &h2, &l2);
	CHECK(t1 && t2 && l1 == l2 && memcmp(t1, t2, l1) == 0, "%s: text traces differ", name);
	CHECK(h1 == r1.hash, "%s: tracing changed the hash (%016llx vs %016llx)", name,
	      (unsigned long long)h1, (unsigned long long)r1.hash);
	CHECK(l1 > 1000, "%s: trace too short (%zu bytes)", name, l1);
	if (ptcp_sim_have_script()) {
		int ok1 = 0, ok2 = 0;
		free(t1);
		free(t2);
		t1 = scripted(cfg, &ok1, &l1);
		t2 = scripted(cfg, &ok2, &l2);
		CHECK(ok1 && ok2, "%s: the event script recording failed", name);
		CHECK(t1 && t2 && l1 == l2 && memcmp(t1, t2, l1) == 0 &&
		          strncmp(t1, "# ptcp event script", 19) == 0,
		      "%s: event scripts differ or are malformed", name);
	}
	printf("%-28s seed %llu: hash %016llx, %llu segments, %s\n", name,
	       (unsigned long long)cfg->seed, (unsigned long long)r1.hash,
	       (unsigned long long)r1.segs,
	       r1.ok ? "passed" : "run failed (not a determinism issue)");
	free(t1);
	free(t2);
}

/* sim_fill() (the fast stream data) is ptcp_sim_pattern(), across block boundaries. */
static void pattern_fill(void)
{
	static const uint64_t offs[] = {
	    0,      1,        255,           65530,         65536,
	    131000, 0xFFFFF0, 0x1000000 - 3, 0xFFFFFFF0ull, 0x123456789ull};
	sim s;
	uint8_t buf[140000];
	int bad = 0;
	memset(&s, 0, sizeof(s));
	s.pattern = malloc(65536);
	for (unsigned i = 0; i < 65536u; i++)
		s.pattern[i] = (uint8_t)(i ^ (i >> 8));
	for (size_t j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
		sim_fill(&s, buf, offs[j], sizeof(buf) - j);
		for (size_t i = 0; i < sizeof(buf) - j; i++)
			if (buf[i] != ptcp_sim_pattern(offs[j] + i))
				bad++;
	}
	CHECK(bad == 0, "sim_fill differs from ptcp_sim_pattern in %d bytes", bad);
	free(s.pattern);
}

/* Loss areas lent between steps (cfg.loss_areas): a pool with one area per
 * core gives the run of each core's own, event for event (a block uses its
 * area only within loss episodes, so taking it back between them changes
 * nothing); a scarce pool still completes every connection with the checker
 * on, and does differ (cores went without). */
static void lent_pool(const char *name, const ptcp_sim_config *base)
{
	ptcp_sim_config cfg = *base;
	ptcp_sim_result own, full, scarce;
	ptcp_sim_run(&cfg, &own);
	cfg.loss_areas = 2 * cfg.conns;
	ptcp_sim_run(&cfg, &full);
	cfg.loss_areas = 1;
	ptcp_sim_run(&cfg, &scarce);
	CHECK(own.ok && full.ok && scarce.ok, "%s: runs ok (own %d, full pool %d, one area %d: %s)",
	      name, own.ok, full.ok, scarce.ok, scarce.ok ? full.why : scarce.why);
	CHECK(own.hash == full.hash, "%s: a full pool changed the run (%016llx vs %016llx)", name,
	      (unsigned long long)own.hash, (unsigned long long)full.hash);
	CHECK(full.loss_peak >= 1 && full.loss_peak <= 2 * cfg.conns && full.loss_empty == 0,
	      "%s: full pool peak %u, %llu steps without", name, full.loss_peak,
	      (unsigned long long)full.loss_empty);
	CHECK(scarce.loss_peak == 1 && scarce.loss_empty > 0 && scarce.hash != own.hash,
	      "%s: one area: peak %u, %llu steps without", name, scarce.loss_peak,
	      (unsigned long long)scarce.loss_empty);
	CHECK(scarce.completed == cfg.conns, "%s: one area: %u of %u completed", name,
	      scarce.completed, cfg.conns);
}

int main(void)
{
	ptcp_sim_config cfg;

	pattern_fill();

	ptcp_sim_config_default(&cfg);
	cfg.seed = 42;
	cfg.bytes = 1u << 20;
	one("bulk clean", &cfg);

	for (int i = 0; i < 2; i++) {
		cfg.link[i].loss = 5;
		cfg.link[i].reorder = 2;
		cfg.link[i].dup = 1;
	}
	cfg.seed = 7;
	one("bulk lossy", &cfg);

	cfg.app = PTCP_SIM_ECHO;
	cfg.bytes = 300000;
	for (int i = 0; i < 2; i++) {
		cfg.link[i].corrupt = 1;
		cfg.link[i].jitter = PTCP_MS(3);
		cfg.link[i].bw = 20000000;
		cfg.link[i].queue = 30;
	}
	cfg.seed = 3;
	one("echo, all faults", &cfg);

	ptcp_sim_config_default(&cfg);
	cfg.app = PTCP_SIM_RR;
	cfg.conns = 4;
	cfg.bytes = 100000;
	for (int i = 0; i < 2; i++) {
		cfg.link[i].loss = 2;
		cfg.link[i].mtu = 1000;
	}
	cfg.seed = 11;
	one("rr, 4 conns, mtu 1000", &cfg);

	ptcp_sim_config_default(&cfg);
	cfg.app = PTCP_SIM_RANDOM;
	cfg.conns = 5;
	cfg.bytes = 200000;
	for (int i = 0; i < 2; i++)
		cfg.link[i].loss = 1;
	cfg.seed = 5;
	one("random, 5 conns", &cfg);
	lent_pool("random, 5 conns", &cfg);

	ptcp_sim_config_default(&cfg);
	cfg.conns = 3;
	cfg.bytes = 1u << 20;
	for (int i = 0; i < 2; i++) {
		cfg.link[i].loss = 2;
		cfg.link[i].reorder = 2;
	}
	cfg.seed = 9;
	lent_pool("bulk, 3 conns, loss and reordering", &cfg);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
