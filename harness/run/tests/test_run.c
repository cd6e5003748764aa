/*
 * Tests of the script runner: the example scripts pass, a recording replays
 * strictly with the same outcome, the fuzz prefixes reach their states,
 * expect lines fail when they should, and the oracles fire on a bad script.
 * Prints "N passed, M failed"; exit status 1 on a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

#ifndef SCRIPT_EXAMPLES
#define SCRIPT_EXAMPLES "harness/script/examples"
#endif

static int passed, failed;

#define EXPECT(cond, ...)                                                                          \
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

static int parse(const char *name, const char *text, ptcp_script *s)
{
	ptcp_script_error err;
	int rc = ptcp_script_parse_text(name, text, strlen(text), s, &err);
	if (rc) {
		char msg[512];
		ptcp_script_error_format(&err, msg, sizeof msg);
		printf("parse error: %s\n", msg);
	}
	return rc;
}

static int load(const char *path, ptcp_script *s)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	int rc;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[n] = 0;
	rc = parse(path, buf, s);
	free(buf);
	return rc;
}

static void res_msg(const ptcp_run_result *res, char *buf, size_t cap)
{
	ptcp_run_result_format(res, buf, cap);
}

/* Run s, record it, replay the recording strictly: same outcome. */
static void record_replay(ptcp_run *r, const ptcp_script *s, const ptcp_run_config *base,
                          const char *what)
{
	ptcp_run_config cfg = *base;
	ptcp_run_result a, b;
	ptcp_script rec;
	char m1[1024], m2[1024];
	ptcp_script_init(&rec);
	cfg.record = &rec;
	cfg.flags |= PTCP_RUN_F_NO_EXPECT;
	ptcp_run_exec(r, s, &cfg, &a);
	cfg = *base;
	cfg.flags = (cfg.flags & ~PTCP_RUN_F_NO_EXPECT) | PTCP_RUN_F_STRICT;
	cfg.record = NULL;
	cfg.max_events = 0;
	cfg.max_time = 0;
	cfg.max_io = 0;
	cfg.drain = 0;
	ptcp_run_exec(r, &rec, &cfg, &b);
	res_msg(&a, m1, sizeof m1);
	res_msg(&b, m2, sizeof m2);
	if (a.status == PTCP_RUN_PASS && !a.truncated)
		EXPECT(b.status == PTCP_RUN_PASS && b.steps == a.steps, "%s: run: %s; replay: %s",
		       what, m1, m2);
	else if (a.status == PTCP_RUN_FAIL && a.fail != PTCP_RUN_FAIL_EXPECT)
		EXPECT(b.status == PTCP_RUN_FAIL && b.fail == a.fail, "%s: run: %s; replay: %s",
		       what, m1, m2);
	ptcp_script_free(&rec);
}

static void examples(ptcp_run *r)
{
	static const char *const names[] = {"client.txt", "server.txt", "malformed.txt"};
	/* the text parser needs a name for every event of the core */
	for (unsigned k = 1; k < PTCP_EV_COUNT; k++)
		if (!ptcp_script_event_name(k)) {
			printf("SKIP examples: the script format has no name for event %u (%s)\n",
			       k, ptcp_event_name((ptcp_event)k));
			return;
		}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[1024], msg[1024];
		ptcp_script s;
		ptcp_run_config cfg;
		ptcp_run_result res;
		snprintf(path, sizeof path, "%s/%s", SCRIPT_EXAMPLES, names[i]);
		if (load(path, &s)) {
			EXPECT(0, "%s: cannot load", path);
			continue;
		}
		/* the examples' expect lines are the script format's, not checked here:
		 * the invariants hold on them */
		ptcp_run_config_default(&cfg);
		cfg.flags = PTCP_RUN_F_NO_EXPECT;
		ptcp_run_exec(r, &s, &cfg, &res);
		res_msg(&res, msg, sizeof msg);
		EXPECT(res.status == PTCP_RUN_PASS, "%s: %s", path, msg);
		record_replay(r, &s, &cfg, path);
		ptcp_script_free(&s);
	}
}

/* The fuzz prefixes reach their states. */
static void prefixes(ptcp_run *r)
{
	static const ptcp_state want[2][8] = {
	    {PTCP_CLOSED, PTCP_SYN_SENT, PTCP_ESTABLISHED, PTCP_ESTABLISHED, PTCP_ESTABLISHED,
	     PTCP_CLOSE_WAIT, PTCP_FIN_WAIT_1, PTCP_TIME_WAIT},
	    {PTCP_CLOSED, PTCP_LISTEN, PTCP_ESTABLISHED, PTCP_ESTABLISHED, PTCP_ESTABLISHED,
	     PTCP_CLOSE_WAIT, PTCP_FIN_WAIT_1, PTCP_TIME_WAIT},
	};
	for (unsigned role = 0; role < 2; role++)
		for (unsigned mode = 0; mode < 8; mode++) {
			uint8_t in[10] = {
			    (uint8_t)(role | mode << 1), 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
			ptcp_script s;
			ptcp_run_config cfg;
			ptcp_run_result res;
			char msg[1024];
			if (ptcp_run_fuzz_prepare(in, sizeof in, &s, &cfg)) {
				EXPECT(0, "prepare: out of memory");
				continue;
			}
			ptcp_run_exec(r, &s, &cfg, &res);
			res_msg(&res, msg, sizeof msg);
			EXPECT(res.status == PTCP_RUN_PASS && res.state == want[role][mode],
			       "%s prefix %u: ends in %s: %s", role ? "server" : "client", mode,
			       ptcp_state_name(res.state), msg);
			record_replay(r, &s, &cfg, "prefix");
			ptcp_script_free(&s);
		}
}

/* Expect lines: a wrong one fails with its line; unexpected segments under strict. */
static void expects(ptcp_run *r)
{
	static const char *const good = "+0 connect\n"
	                                "+0 = ret 0\n"
	                                "+0 > S 0:0(0) win * <*>\n"
	                                "+1s > S 0:0(0) win * <*>\n"
	                                "+0 = state SYN-SENT\n";
	static const char *const bad_seg = "+0 connect\n"
	                                   "+0 > S. 0:0(0) win * <*>\n";
	static const char *const bad_ret = "+0 connect\n"
	                                   "+0 connect\n"
	                                   "+0 = ret 0\n";
	static const char *const strict = "+0 connect\n"
	                                  "+2s time\n";
	ptcp_script s;
	ptcp_run_config cfg;
	ptcp_run_result res;
	char msg[1024];
	ptcp_run_config_default(&cfg);
	if (!parse("good", good, &s)) {
		ptcp_run_exec(r, &s, &cfg, &res);
		res_msg(&res, msg, sizeof msg);
		EXPECT(res.status == PTCP_RUN_PASS && res.expects == 4, "good: %s, %llu expects",
		       msg, (unsigned long long)res.expects);
		ptcp_script_free(&s);
	}
	if (!parse("bad_seg", bad_seg, &s)) {
		ptcp_run_exec(r, &s, &cfg, &res);
		EXPECT(res.status == PTCP_RUN_FAIL && res.fail == PTCP_RUN_FAIL_EXPECT &&
		           res.line == 2 && res.event == 1,
		       "bad_seg: %s", res.msg);
		ptcp_script_free(&s);
	}
	if (!parse("bad_ret", bad_ret, &s)) {
		ptcp_run_exec(r, &s, &cfg, &res);
		EXPECT(res.status == PTCP_RUN_FAIL && res.line == 3, "bad_ret: %s", res.msg);
		ptcp_script_free(&s);
	}
	if (!parse("strict", strict, &s)) {
		cfg.flags = PTCP_RUN_F_STRICT;
		ptcp_run_exec(r, &s, &cfg, &res);
		EXPECT(res.status == PTCP_RUN_PASS, "strict without expect lines: %s", res.msg);
		ptcp_script_event *e = ptcp_script_push(&s, PTCP_SCRIPT_EXPECT_STATE);
		e->state.from = PTCP_SCRIPT_STATE_ANY;
		e->state.to = PTCP_SYN_SENT;
		ptcp_run_exec(r, &s, &cfg, &res);
		EXPECT(res.status == PTCP_RUN_FAIL && res.fail == PTCP_RUN_FAIL_UNEXPECTED,
		       "strict: %s", res.msg);
		ptcp_script_free(&s);
	}
}

/* Timers: the SYN is retransmitted at 1 s, 3 s, ... without time events. */
static void timers(ptcp_run *r)
{
	static const char *const text = "config syn_retries=2\n"
	                                "+0 connect\n"
	                                "+100s time\n";
	ptcp_script s;
	ptcp_run_config cfg;
	ptcp_run_result res;
	ptcp_run_config_default(&cfg);
	if (parse("timers", text, &s))
		return;
	ptcp_run_exec(r, &s, &cfg, &res);
	EXPECT(res.status == PTCP_RUN_PASS && res.pkts_out == 3 && res.state == PTCP_CLOSED &&
	           res.timers >= 3,
	       "timers: %s, %llu out, %llu timer steps, %s", res.msg,
	       (unsigned long long)res.pkts_out, (unsigned long long)res.timers,
	       ptcp_state_name(res.state));
	ptcp_script_free(&s);
}

/* Malformed raw packets are counted by their codec error. */
static void drops(ptcp_run *r)
{
	static const char *const text = "+0 connect\n"
	                                "+0 raw 4500\n"
	                                "+0 raw\n"
	                                "+0 raw 70000000\n";
	ptcp_script s;
	ptcp_run_config cfg;
	ptcp_run_result res;
	ptcp_run_config_default(&cfg);
	if (parse("drops", text, &s))
		return;
	ptcp_run_exec(r, &s, &cfg, &res);
	EXPECT(res.status == PTCP_RUN_PASS && res.pkts_in == 3 &&
	           res.drops[-PTCP_ESHORT] + res.drops[-PTCP_EIPVER] + res.drops[-PTCP_EINVAL] == 3,
	       "drops: %s short %llu ipver %llu", res.msg,
	       (unsigned long long)res.drops[-PTCP_ESHORT],
	       (unsigned long long)res.drops[-PTCP_EIPVER]);
	ptcp_script_free(&s);
}

/* Sent bytes are the pattern of their relative sequence number. */
static void pattern(ptcp_run *r)
{
	static const char *const text =
	    "config sndbuf=200000 nodelay=1\n"
	    "+0 connect\n"
	    "+10ms < S. 0:0(0) ack 1 win 65535 <mss 1000,nop,wscale 7>\n"
	    "+0 send 777\n"
	    "+0 send 70000\n"
	    "+10ms < . 1:1(0) ack 5001 win 65535\n";
	ptcp_script s, rec;
	ptcp_run_config cfg;
	ptcp_run_result res;
	size_t bytes = 0, bad = 0;
	ptcp_run_config_default(&cfg);
	ptcp_script_init(&rec);
	cfg.record = &rec;
	if (parse("pattern", text, &s))
		return;
	ptcp_run_exec(r, &s, &cfg, &res);
	for (size_t i = 0; i < rec.n; i++) {
		const ptcp_script_seg *g = &rec.ev[i].seg;
		if (rec.ev[i].kind != PTCP_SCRIPT_EXPECT_SEG || !g->payload)
			continue;
		for (uint32_t k = 0; k < g->len; k++, bytes++)
			bad += g->payload[k] != ptcp_script_pattern(g->seq + k - 1);
	}
	EXPECT(res.status == PTCP_RUN_PASS && bytes > 5000 && bad == 0,
	       "pattern: %s, %zu bytes emitted, %zu differ from the pattern", res.msg, bytes, bad);
	ptcp_script_free(&s);
	ptcp_script_free(&rec);
}

/* Random binary scripts: no runner error, and record/replay agrees. */
static void random_scripts(ptcp_run *r)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	int runs = 0;
	for (int i = 0; i < 300; i++) {
		uint8_t buf[256];
		size_t n = 10 + (size_t)(i % 240);
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[k] = (uint8_t)x;
		}
		ptcp_script s;
		ptcp_run_config cfg;
		ptcp_run_result res;
		if (ptcp_run_fuzz_prepare(buf, n, &s, &cfg))
			continue;
		ptcp_run_exec(r, &s, &cfg, &res);
		if (res.status == PTCP_RUN_PASS)
			runs++;
		record_replay(r, &s, &cfg, "random");
		ptcp_script_free(&s);
	}
	EXPECT(runs > 0, "no random script passed");
}

int main(void)
{
	ptcp_run *r = ptcp_run_new();
	if (!r)
		return 1;
	examples(r);
	prefixes(r);
	expects(r);
	timers(r);
	drops(r);
	pattern(r);
	random_scripts(r);
	ptcp_run_free(r);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
