/*
 * sim-faults: each fault alone (loss, duplication, reordering, corruption,
 * jitter, a bandwidth bottleneck with tail drops, a small MTU, a long delay)
 * still gives byte-exact delivery, and so does a heavily faulty network
 * that heals (no connection stuck once faults stop),, for the bulk and echo models over a few
 * seeds; the fault really happened (its counter moved); corruption is
 * counted as codec drops; the MTU path triggers ICMP frag-needed.
 * Prints "N passed, M failed"; exits non-zero on a failure.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

static int passed, failed;

typedef struct fcase {
	const char *name;
	double loss, dup, reorder, corrupt;
	ptcp_time_t delay, jitter;
	uint64_t bw;
	uint32_t queue, mtu;
	ptcp_time_t heal; /* faults stop then (0: never) */
} fcase;

static const fcase cases[] = {
    {"loss 10%", 10, 0, 0, 0, PTCP_MS(10), 0, 0, 0, 0, 0},
    {"duplication 10%", 0, 10, 0, 0, PTCP_MS(10), 0, 0, 0, 0, 0},
    {"reordering 10%", 0, 0, 10, 0, PTCP_MS(10), 0, 0, 0, 0, 0},
    {"corruption 5%", 0, 0, 0, 5, PTCP_MS(10), 0, 0, 0, 0, 0},
    {"jitter 5 ms", 0, 0, 0, 0, PTCP_MS(10), PTCP_MS(5), 0, 0, 0, 0},
    {"10 Mbit/s, queue 8", 0, 0, 0, 0, PTCP_MS(10), 0, 10000000, 8, 0, 0},
    {"MTU 1000", 0, 0, 0, 0, PTCP_MS(10), 0, 0, 0, 1000, 0},
    {"delay 150 ms", 0, 0, 0, 0, PTCP_MS(150), 0, 0, 0, 0, 0},
    /* liveness: after heavy faults stop, every connection completes */
    {"20/5/10% until 20 s", 20, 5, 10, 0, PTCP_MS(10), 0, 0, 0, 0, PTCP_SEC(20)},
};

static void fail(const char *what, const ptcp_sim_config *cfg, const ptcp_sim_result *res)
{
	failed++;
	printf("FAIL %s, %s, seed %llu: %s\n", what, ptcp_sim_app_name(cfg->app),
	       (unsigned long long)cfg->seed, res->ok ? "counters" : res->why);
}

static void run_case(const fcase *fc, ptcp_sim_app app, uint64_t seed, int ipv6)
{
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	uint64_t corrupt_codec = 0;
	ptcp_sim_config_default(&cfg);
	cfg.seed = seed;
	cfg.heal = fc->heal;
	cfg.ipv6 = ipv6;
	cfg.app = app;
	cfg.bytes = app == PTCP_SIM_BULK ? (1u << 20) : (256u << 10);
	for (int i = 0; i < 2; i++) {
		ptcp_sim_link *l = &cfg.link[i];
		l->loss = fc->loss;
		l->dup = fc->dup;
		l->reorder = fc->reorder;
		l->corrupt = fc->corrupt;
		l->delay = fc->delay;
		l->jitter = fc->jitter;
		l->bw = fc->bw;
		l->queue = fc->queue;
		l->mtu = fc->mtu;
	}
	ptcp_sim_run(&cfg, &res);
	/* byte-exact delivery: the stream checker compared every byte read */
	if (!res.ok || res.read[0] != cfg.bytes || res.written[0] != cfg.bytes ||
	    (app == PTCP_SIM_ECHO && res.read[1] != cfg.bytes)) {
		fail(fc->name, &cfg, &res);
		return;
	}
	/* the fault happened */
	for (int e = 1; e < PTCP_SIM_CODEC_COUNT; e++)
		corrupt_codec += res.codec[e];
	if ((fc->loss && !res.drops[PTCP_SIM_DROP_LOSS]) || (fc->dup && !res.dups) ||
	    (fc->reorder && !res.reordered) || (fc->queue && !res.drops[PTCP_SIM_DROP_QUEUE]) ||
	    (fc->corrupt &&
	     (!res.corrupted ||
	      res.drops[PTCP_SIM_DROP_CODEC] + res.corrupted_harmless != res.corrupted ||
	      corrupt_codec != res.drops[PTCP_SIM_DROP_CODEC])) ||
	    (!fc->corrupt && res.drops[PTCP_SIM_DROP_CODEC]) ||
	    (fc->mtu && (!res.icmp || res.drops[PTCP_SIM_DROP_MTU] != res.icmp)) ||
	    (!fc->mtu && res.icmp)) {
		fail(fc->name, &cfg, &res);
		return;
	}
	passed++;
	if (seed == 1)
		printf("ok   %-20s %-5s: %llu segs, %llu dropped (loss %llu, queue %llu, mtu %llu, "
		       "codec %llu: %llu bad checksum, %llu bad IP header), %llu dup, %llu "
		       "reordered, %llu ICMP\n",
		       fc->name, ptcp_sim_app_name(app), (unsigned long long)res.segs,
		       (unsigned long long)(res.drops[PTCP_SIM_DROP_LOSS] +
		                            res.drops[PTCP_SIM_DROP_QUEUE] +
		                            res.drops[PTCP_SIM_DROP_MTU] +
		                            res.drops[PTCP_SIM_DROP_CODEC]),
		       (unsigned long long)res.drops[PTCP_SIM_DROP_LOSS],
		       (unsigned long long)res.drops[PTCP_SIM_DROP_QUEUE],
		       (unsigned long long)res.drops[PTCP_SIM_DROP_MTU],
		       (unsigned long long)res.drops[PTCP_SIM_DROP_CODEC],
		       (unsigned long long)res.codec[-PTCP_ECSUM],
		       (unsigned long long)res.codec[-PTCP_EIPHDR], (unsigned long long)res.dups,
		       (unsigned long long)res.reordered, (unsigned long long)res.icmp);
}

int main(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int app = PTCP_SIM_BULK; app <= PTCP_SIM_ECHO; app++)
			for (uint64_t seed = 1; seed <= 5; seed++)
				run_case(&cases[c], (ptcp_sim_app)app, seed, 0);
	/* IPv6: corruption of the header fields no checksum covers is delivered */
	for (uint64_t seed = 1; seed <= 5; seed++) {
		static const fcase v6 = {
		    "IPv6, corruption 5%", 0, 0, 0, 5, PTCP_MS(10), 0, 0, 0, 0, 0};
		run_case(&v6, PTCP_SIM_BULK, seed, 1);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
