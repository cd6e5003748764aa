/*
 * Property family: determinism (the core is a pure function of its block,
 * input and time; everything here is a pure function of a seed).
 *
 *   determinism/script_trace   running the same event script twice gives
 *                              the same trace (a hash over every step's
 *                              input, return value, actions with every
 *                              emitted byte, and connection variables),
 *                              also with another scenario run in between
 *                              (no hidden state outside the block);
 *   determinism/generator      the same seed gives the same scenario, and
 *                              its text form parses back to it;
 *   determinism/sim            the same network seed gives the same
 *                              simulator trace hash and counters.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "prop.h"

typedef struct hash_st {
	uint64_t h;
	uint64_t steps;
} hash_st;

static void mix(hash_st *st, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		st->h ^= b[i];
		st->h *= 0x100000001b3ull; /* FNV-1a */
	}
}

static void mix64(hash_st *st, uint64_t v)
{
	mix(st, &v, sizeof v);
}

static void hash_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	hash_st *st = vs;
	(void)s;
	(void)f;
	mix64(st, (uint64_t)n->kind);
	mix64(st, n->time);
	if (n->kind == PTCP_RUN_NOTE_PACKET_OUT || n->kind == PTCP_RUN_NOTE_PACKET_IN) {
		mix(st, n->pkt, n->len);
		return;
	}
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	st->steps++;
	mix64(st, (uint64_t)n->input->kind);
	mix64(st, (uint64_t)(int64_t)n->ret);
	const ptcp_info *i = n->info;
	uint64_t v[] = {i->state,   i->snd_una,     i->snd_nxt,   i->snd_max,  i->snd_wnd,
	                i->rcv_nxt, i->rcv_wnd,     i->cwnd,      i->ssthresh, i->rto,
	                i->srtt,    i->send_queued, i->recv_ready};
	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
		mix64(st, v[k]);
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		mix64(st, (uint64_t)a->kind);
		switch (a->kind) {
		case PTCP_ACT_EMIT: {
			const ptcp_seg *g = &a->emit.seg;
			uint64_t w[] = {g->seq,          g->ack,
			                g->flags,        g->wnd,
			                g->opts.present, g->opts.ts_val,
			                g->opts.ts_ecr,  g->payload_len + g->payload2_len,
			                a->emit.ecn};
			for (size_t j = 0; j < sizeof w / sizeof w[0]; j++)
				mix64(st, w[j]);
			if (g->payload_len)
				mix(st, g->payload, g->payload_len);
			if (g->payload2_len)
				mix(st, g->payload2, g->payload2_len);
			break;
		}
		case PTCP_ACT_STATE:
			mix64(st, (uint64_t)a->state.from << 8 | a->state.to);
			break;
		case PTCP_ACT_EVENT:
			mix64(st, (uint64_t)a->event.ev << 8 | (uint8_t)a->event.err);
			break;
		case PTCP_ACT_DEADLINE:
			mix64(st, a->deadline);
			break;
		case PTCP_ACT_READABLE:
			mix64(st, a->readable.avail);
			break;
		case PTCP_ACT_WRITABLE:
			mix64(st, a->writable.space);
			break;
		default:
			break;
		}
	}
}

static void hash_begin(void *vs, const ptcp_script *s)
{
	hash_st *st = vs;
	(void)s;
	st->h = 0xcbf29ce484222325ull;
}

static hash_st last;

static void hash_end(void *vs, const ptcp_script *s, const ptcp_run_result *res, const ptcp_conn *c,
                     ptcp_prop_fail *f)
{
	(void)s;
	(void)res;
	(void)c;
	(void)f;
	last = *(hash_st *)vs;
}

static const ptcp_prop_script hasher = {
    .name = "determinism-hash",
    .state_size = sizeof(hash_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .begin = hash_begin,
    .note = hash_note,
    .end = hash_end,
};

static hash_st trace_of(const ptcp_script *s)
{
	ptcp_prop_fail f;
	memset(&last, 0, sizeof last);
	ptcp_prop_check_script(&hasher, s, &f);
	return last;
}

Test(determinism, script_trace, .timeout = 280)
{
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(600);
	ptcp_prop_gen g;
	ptcp_script other;
	ptcp_prop_gen_default(&g);
	cr_assert(ptcp_prop_gen_script(&g, base ^ 0x5a5a5a5au, &other) == 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_script s;
		cr_assert(ptcp_prop_gen_script(&g, seed, &s) == 0);
		hash_st a = trace_of(&s);
		hash_st b = trace_of(&s);
		trace_of(&other); /* something else in between */
		hash_st c = trace_of(&s);
		cr_assert(a.steps > 0, "seed 0x%016llx: nothing ran", (unsigned long long)seed);
		cr_assert(
		    a.h == b.h && a.h == c.h && a.steps == b.steps && a.steps == c.steps,
		    "PROPERTY FAILED: determinism/script_trace\n  seed 0x%016llx (reproduce: "
		    "PTCP_PROP_SEED=0x%016llx PTCP_PROP_CASES=1): the same script gave traces "
		    "%016llx (%llu steps), %016llx (%llu), %016llx (%llu)",
		    (unsigned long long)seed, (unsigned long long)seed, (unsigned long long)a.h,
		    (unsigned long long)a.steps, (unsigned long long)b.h,
		    (unsigned long long)b.steps, (unsigned long long)c.h,
		    (unsigned long long)c.steps);
		ptcp_script_free(&s);
	}
	ptcp_script_free(&other);
}

Test(determinism, generator, .timeout = 280)
{
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(600);
	ptcp_prop_gen g;
	ptcp_prop_gen_default(&g);
	for (unsigned i = 0; i < n; i++) {
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_script a, b, c;
		char why[300];
		ptcp_script_error err;
		cr_assert(ptcp_prop_gen_script(&g, seed, &a) == 0);
		cr_assert(ptcp_prop_gen_script(&g, seed, &b) == 0);
		cr_assert(ptcp_script_compare(&a, &b, why, sizeof why) == 0,
		          "seed 0x%016llx: two scenarios from one seed differ: %s",
		          (unsigned long long)seed, why);
		cr_assert(ptcp_script_validate(&a, why, sizeof why) == 0,
		          "seed 0x%016llx: the generated scenario is invalid: %s",
		          (unsigned long long)seed, why);
		size_t len;
		char *text = ptcp_script_format_text_alloc(&a, &len);
		cr_assert(text);
		cr_assert(ptcp_script_parse_text("gen", text, len, &c, &err) == 0,
		          "seed 0x%016llx: the text form does not parse: line %u: %s",
		          (unsigned long long)seed, err.line, err.msg);
		cr_assert(ptcp_script_compare(&a, &c, why, sizeof why) == 0,
		          "seed 0x%016llx: text round trip differs: %s", (unsigned long long)seed,
		          why);
		free(text);
		ptcp_script_free(&a);
		ptcp_script_free(&b);
		ptcp_script_free(&c);
	}
}

Test(determinism, sim, .timeout = 280)
{
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(80);
	for (unsigned i = 0; i < n; i++) {
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_sim_config cfg;
		ptcp_sim_result a, b;
		ptcp_prop_gen_sim(NULL, seed, &cfg);
		int ra = ptcp_sim_run(&cfg, &a);
		int rb = ptcp_sim_run(&cfg, &b);
		cr_assert(
		    ra == rb && a.hash == b.hash && a.steps == b.steps && a.segs == b.segs &&
		        a.vtime == b.vtime && memcmp(a.read, b.read, sizeof a.read) == 0,
		    "PROPERTY FAILED: determinism/sim\n  seed 0x%016llx: two runs of one network "
		    "differ (hash %016llx vs %016llx, steps %llu vs %llu)",
		    (unsigned long long)seed, (unsigned long long)a.hash,
		    (unsigned long long)b.hash, (unsigned long long)a.steps,
		    (unsigned long long)b.steps);
	}
}
