/*
 * sim-observer: the packet observer (ptcp_sim_config.observe) sees every
 * packet with the link's verdict and changes nothing:
 *   - a run with the observer has the same trace hash and counters as the
 *     same run without it (loss, duplication, reordering, corruption, MTU
 *     and queue drops, IPv4 and IPv6);
 *   - the verdicts add up to the simulator's own counters: SENT = segments
 *     emitted, DROPPED by reason = res.drops[], DELIVERED = res.delivered,
 *     copies flagged DUPLICATE = res.dups, REORDERED = res.reordered,
 *     ICMP = res.icmp, steps = res.steps; and every packet sent or duplicated
 *     gets exactly one final verdict (delivered, dropped or, for an MTU
 *     drop, its ICMP error);
 *   - SENT bytes parse; a CORRUPTED packet that was delivered is only an
 *     IPv6 one flipped where no checksum looks;
 *   - a failing run calls fail once, with res.why.
 * Prints "N passed, M failed"; exits non-zero on a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

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

typedef struct tally {
	uint64_t sent, delivered, icmp, steps, dup, reordered, corrupt_delivered;
	uint64_t drops[PTCP_SIM_DROP_COUNT];
	uint64_t bad_parse, bad_corrupt, fails, bad_time;
	ptcp_time_t last_t;
	char why[640];
} tally;

static void on_pkt(void *arg, const ptcp_sim_pkt_note *n)
{
	tally *t = arg;
	ptcp_ip ip;
	ptcp_seg seg;
	if (n->t < t->last_t)
		t->bad_time++;
	t->last_t = n->t;
	if (n->flags & PTCP_SIM_PKT_DUPLICATE)
		t->dup++;
	if (n->flags & PTCP_SIM_PKT_REORDERED)
		t->reordered++;
	switch (n->verdict) {
	case PTCP_SIM_SENT:
		t->sent++;
		if (ptcp_wire_parse_packet(n->data, n->len, &ip, &seg) != 0)
			t->bad_parse++;
		break;
	case PTCP_SIM_DELIVERED:
		t->delivered++;
		if (n->flags & PTCP_SIM_PKT_CORRUPTED) {
			t->corrupt_delivered++;
			if (!((n->data[0] >> 4) == 6 &&
			      (n->corrupt_pos <= 3 || n->corrupt_pos == 7)))
				t->bad_corrupt++;
		}
		break;
	case PTCP_SIM_DROPPED:
		if ((unsigned)n->drop < PTCP_SIM_DROP_COUNT)
			t->drops[n->drop]++;
		break;
	case PTCP_SIM_ICMP:
		t->icmp++;
		break;
	}
}

static void on_step(void *arg, const ptcp_sim_step_note *n)
{
	tally *t = arg;
	t->steps++;
	if (!n->core || !n->input_name)
		t->bad_parse++;
}

static void on_fail(void *arg, ptcp_time_t when, const char *why)
{
	tally *t = arg;
	(void)when;
	t->fails++;
	snprintf(t->why, sizeof t->why, "%s", why);
}

static void check_one(const char *name, const ptcp_sim_config *base)
{
	ptcp_sim_config cfg = *base;
	ptcp_sim_result plain, seen;
	tally t;
	int r0, r1;
	memset(&t, 0, sizeof t);
	r0 = ptcp_sim_run(&cfg, &plain);
	cfg.observe.pkt = on_pkt;
	cfg.observe.step = on_step;
	cfg.observe.fail = on_fail;
	cfg.observe.arg = &t;
	r1 = ptcp_sim_run(&cfg, &seen);
	CHECK(r0 == r1 && plain.ok == seen.ok, "%s: result %d/%d with the observer, %d/%d without",
	      name, r1, seen.ok, r0, plain.ok);
	CHECK(plain.hash == seen.hash, "%s: trace hash %016llx with the observer, %016llx without",
	      name, (unsigned long long)seen.hash, (unsigned long long)plain.hash);
	CHECK(plain.events == seen.events && plain.segs == seen.segs,
	      "%s: events/segments differ with the observer", name);
	CHECK(t.sent == seen.segs, "%s: %llu SENT, %llu segments emitted", name,
	      (unsigned long long)t.sent, (unsigned long long)seen.segs);
	CHECK(t.delivered == seen.delivered, "%s: %llu DELIVERED, res.delivered %llu", name,
	      (unsigned long long)t.delivered, (unsigned long long)seen.delivered);
	for (int d = 0; d < PTCP_SIM_DROP_COUNT; d++)
		CHECK(t.drops[d] == seen.drops[d], "%s: %llu DROPPED (%s), res.drops %llu", name,
		      (unsigned long long)t.drops[d], ptcp_sim_drop_name((ptcp_sim_drop)d),
		      (unsigned long long)seen.drops[d]);
	CHECK(t.dup == seen.dups, "%s: %llu duplicates seen, res.dups %llu", name,
	      (unsigned long long)t.dup, (unsigned long long)seen.dups);
	CHECK(t.reordered == seen.reordered, "%s: %llu reordered seen, res.reordered %llu", name,
	      (unsigned long long)t.reordered, (unsigned long long)seen.reordered);
	CHECK(t.icmp == seen.icmp, "%s: %llu ICMP, res.icmp %llu", name, (unsigned long long)t.icmp,
	      (unsigned long long)seen.icmp);
	CHECK(t.corrupt_delivered == seen.corrupted_harmless,
	      "%s: %llu corrupted delivered, res.corrupted_harmless %llu", name,
	      (unsigned long long)t.corrupt_delivered, (unsigned long long)seen.corrupted_harmless);
	CHECK(t.steps == seen.steps, "%s: %llu steps seen, res.steps %llu", name,
	      (unsigned long long)t.steps, (unsigned long long)seen.steps);
	CHECK(!t.bad_parse && !t.bad_corrupt && !t.bad_time,
	      "%s: %llu sent packets do not parse, %llu harmful corruptions delivered, %llu "
	      "verdicts out of time order",
	      name, (unsigned long long)t.bad_parse, (unsigned long long)t.bad_corrupt,
	      (unsigned long long)t.bad_time);
	if (seen.ok) {
		/* every copy ends once: delivered, dropped, or (MTU) as its ICMP error */
		uint64_t ends = t.delivered, copies = t.sent + t.dup;
		for (int d = 0; d < PTCP_SIM_DROP_COUNT; d++)
			ends += d == PTCP_SIM_DROP_MTU ? 0 : t.drops[d];
		ends += t.icmp;
		CHECK(ends == copies, "%s: %llu copies, %llu final verdicts", name,
		      (unsigned long long)copies, (unsigned long long)ends);
		CHECK(t.fails == 0, "%s: fail called on a passing run: %s", name, t.why);
	} else {
		CHECK(t.fails == 1 && strcmp(t.why, seen.why) == 0,
		      "%s: fail called %llu times (%s), res.why %s", name,
		      (unsigned long long)t.fails, t.why, seen.why);
	}
	printf("%s: %s, %llu sent, %llu delivered, %llu lost, %llu queue, %llu mtu, %llu codec, "
	       "%llu dup, %llu reordered\n",
	       name, seen.ok ? "passed" : "failed", (unsigned long long)t.sent,
	       (unsigned long long)t.delivered, (unsigned long long)t.drops[PTCP_SIM_DROP_LOSS],
	       (unsigned long long)t.drops[PTCP_SIM_DROP_QUEUE],
	       (unsigned long long)t.drops[PTCP_SIM_DROP_MTU],
	       (unsigned long long)t.drops[PTCP_SIM_DROP_CODEC], (unsigned long long)t.dup,
	       (unsigned long long)t.reordered);
}

int main(void)
{
	ptcp_sim_config c;
	uint64_t want[PTCP_SIM_DROP_COUNT] = {0};

	/* every fault at once, both families */
	for (int v6 = 0; v6 < 2; v6++) {
		for (uint64_t seed = 1; seed <= 4; seed++) {
			char name[64];
			ptcp_sim_config_default(&c);
			c.seed = seed;
			c.bytes = 100000;
			c.conns = 2;
			c.app = seed % 2 ? PTCP_SIM_BULK : PTCP_SIM_ECHO;
			c.ipv6 = v6;
			for (int i = 0; i < 2; i++) {
				c.link[i].loss = 3;
				c.link[i].dup = 3;
				c.link[i].reorder = 5;
				c.link[i].corrupt = 3;
				c.link[i].jitter = 2000;
			}
			c.heal = PTCP_SEC(3);
			snprintf(name, sizeof name, "faults %s seed %llu", v6 ? "v6" : "v4",
			         (unsigned long long)seed);
			check_one(name, &c);
		}
	}
	/* a narrow bottleneck (queue drops) and a small MTU (ICMP) */
	ptcp_sim_config_default(&c);
	c.bytes = 300000;
	c.link[0].bw = 2000000;
	c.link[0].queue = 4;
	check_one("queue", &c);
	{
		ptcp_sim_result r;
		ptcp_sim_run(&c, &r);
		want[PTCP_SIM_DROP_QUEUE] = r.drops[PTCP_SIM_DROP_QUEUE];
	}
	CHECK(want[PTCP_SIM_DROP_QUEUE] > 0, "the queue case drops nothing at the queue");
	ptcp_sim_config_default(&c);
	c.bytes = 50000;
	c.link[0].mtu = 1000;
	check_one("mtu", &c);
	{
		ptcp_sim_result r;
		ptcp_sim_run(&c, &r);
		want[PTCP_SIM_DROP_MTU] = r.drops[PTCP_SIM_DROP_MTU];
	}
	CHECK(want[PTCP_SIM_DROP_MTU] > 0, "the mtu case drops nothing for its size");
	/* a failing run: the virtual time limit */
	ptcp_sim_config_default(&c);
	c.bytes = 1u << 20;
	c.max_time = PTCP_MS(50);
	check_one("time limit", &c);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
