/*
 * fuzz_conn: bytes -> binary event script -> one core, every oracle.
 *
 * The input is a harness binary script (harness/script/script_bin.c: any
 * byte string is a valid scenario); byte 0's spare bits choose a prefix
 * that puts the core in a state first (client or server: open, ESTABLISHED,
 * data in flight either way, CLOSE-WAIT, FIN-WAIT-1, TIME-WAIT), a timer
 * drain after the last event and a small action array: see
 * ptcp_run_fuzz_prepare() in harness/run/run.h, which the replay tool uses
 * too.  The runner (harness/run) feeds the events at their virtual times,
 * fires the core's timers at their deadlines, drops malformed packets in
 * the codec, and checks after every step the harness/check invariants,
 * every emitted packet (builds, parses back, checksum), the deadline
 * reports, the return values and the byte streams.  Expect lines in the
 * input are ignored.  Any violation: the message on stderr, then abort().
 * Work per input is bounded (PTCP_RUN_FUZZ_*: 256 events, 4096 steps, one
 * hour of virtual time, 64 KiB per send or read).  On top of the runner's
 * oracles, an observer runs conn_oracle.h's on every packet and step (names,
 * codec round trips of injected and emitted segments over both families, API
 * misuse on a copy of the connection); a violation aborts at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "conn_oracle.h"
#include "run.h"

static ptcp_run *runner;
static uint32_t ignore_check, ignore_fail;
static const char *ignore_match;

/* PTCP_FUZZ_IGNORE=stuck,rcv-edge,...: violations not to abort on (known
 * findings still open), see ptcp_run_parse_ignore(). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *list = getenv("PTCP_FUZZ_IGNORE");
	ptcp_run_config cfg;
	(void)argc;
	(void)argv;
	ptcp_run_config_default(&cfg);
	if (list && ptcp_run_parse_ignore(list, &cfg)) {
		fprintf(stderr, "fuzz_conn: PTCP_FUZZ_IGNORE: unknown name in \"%s\"\n", list);
		exit(2);
	}
	ignore_check = cfg.ignore_check;
	ignore_fail = cfg.ignore_fail;
	ignore_match = cfg.ignore_match;
	return 0;
}

static void observe(void *arg, const ptcp_run_note *note)
{
	char why[256];
	(void)arg;
	if (conn_oracle_note(note, why, sizeof why)) {
		fprintf(stderr, "fuzz_conn: event %zu at %llu us: %s\n", note->event,
		        (unsigned long long)note->time, why);
		fprintf(stderr, "fuzz_conn: replay with: fuzz_conn FILE (the standalone build)\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ptcp_script s;
	ptcp_run_config cfg;
	ptcp_run_result res;
	if (!runner && !(runner = ptcp_run_new()))
		return 0;
	if (ptcp_run_fuzz_prepare(data, size, &s, &cfg))
		return 0;
	cfg.ignore_check = ignore_check;
	cfg.ignore_fail = ignore_fail;
	cfg.ignore_match = ignore_match;
	cfg.observe = observe;
	{
		char why[256];
		if (conn_oracle_config(&s, why, sizeof why)) {
			fprintf(stderr, "fuzz_conn: %s\n", why);
			abort();
		}
	}
	ptcp_run_exec(runner, &s, &cfg, &res);
	if (res.status == PTCP_RUN_FAIL) {
		char msg[1024];
		ptcp_run_result_format(&res, msg, sizeof msg);
		fprintf(stderr, "fuzz_conn: %s: %s\n", ptcp_run_fail_name(res.fail), msg);
		fprintf(stderr, "fuzz_conn: replay with: ptcp-run --fuzz --trace FILE\n");
		abort();
	}
	ptcp_script_free(&s);
	return 0;
}
