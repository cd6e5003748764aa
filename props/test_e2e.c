/*
 * Property family: end to end, two cores over the simulator (harness/sim)
 * with random faults.
 *
 *   e2e/streams     every byte stream is delivered exactly once and in
 *                   order: the simulator's checks hold (its stream checker
 *                   compares every byte read with the byte written at that
 *                   offset, plus the invariant checker after every step),
 *                   every connection's application model completes, and
 *                   (bulk, echo, request-response) each direction read
 *                   exactly what was written;
 *   e2e/agree       both ends agree on the end: every core is CLOSED or in
 *                   TIME-WAIT (none left half-open, also when one end died
 *                   with an error).
 *
 * The networks (ptcp_prop_gen_sim): 1-3 connections, bulk / echo /
 * request-response / random applications, up to 200 kB, delay 0-50 ms,
 * jitter, loss up to 5 %, duplication, reordering, corruption, a bottleneck
 * with a queue, sometimes an MTU below the MSS; faults heal after 1-60 s
 * (so that every transfer can finish).  A failure is shrunk (fewer
 * connections, less data, faults off one by one) and the minimal run's
 * connection-0 client is written as an event script.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"

/* A failure class per simulator check: the check's name in the message. */
static unsigned sim_class(const char *why)
{
	for (unsigned c = 1; c < PTCP_CHECK_CODE_COUNT; c++) {
		const char *name = ptcp_check_code_name((ptcp_check_code)c);
		if (name && strstr(why, name))
			return PTCP_PROP_CLS_SIM + c;
	}
	return PTCP_PROP_CLS_SIM + 99u;
}

static void streams_check(const ptcp_sim_config *cfg, int rc, const ptcp_sim_result *res,
                          ptcp_prop_fail *f)
{
	if (rc < 0) {
		ptcp_prop_failf(f, 1, "setup: %s", res->why);
		return;
	}
	if (rc != 0) {
		ptcp_prop_failf(f, sim_class(res->why), "%s", res->why);
		return;
	}
	if (res->completed != cfg->conns)
		ptcp_prop_failf(f, 2, "%u of %u connections completed", res->completed, cfg->conns);
	/* the random model may close before the handshake or abort: data is then lost by
	 * design (RFC 9293 3.10.4), and the simulator's stream checker judges what was read */
	for (int d = 0; d < 2 && cfg->app != PTCP_SIM_RANDOM; d++)
		if (res->read[d] != res->written[d])
			ptcp_prop_failf(f, 3, "direction %d: %llu bytes written, %llu read", d,
			                (unsigned long long)res->written[d],
			                (unsigned long long)res->read[d]);
	if (cfg->app == PTCP_SIM_BULK && res->written[0] != cfg->bytes * cfg->conns)
		ptcp_prop_failf(f, 4, "bulk: %llu bytes written, want %llu",
		                (unsigned long long)res->written[0],
		                (unsigned long long)(cfg->bytes * cfg->conns));
}

static const ptcp_prop_sim streams = {
    .name = "e2e-streams",
    .check = streams_check,
};

Test(e2e, streams, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_sims(&streams, 300, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

static void agree_check(const ptcp_sim_config *cfg, int rc, const ptcp_sim_result *res,
                        ptcp_prop_fail *f)
{
	if (rc != 0)
		return; /* e2e/streams judges failed runs */
	unsigned ends = 0;
	for (unsigned s = 0; s < PTCP_STATE_COUNT; s++) {
		ends += res->states[s];
		if (res->states[s] && s != PTCP_CLOSED && s != PTCP_TIME_WAIT)
			ptcp_prop_failf(f, 10, "%u end(s) left in %s", res->states[s],
			                ptcp_state_name((ptcp_state)s));
	}
	if (ends != 2 * cfg->conns)
		ptcp_prop_failf(f, 11, "%u ends for %u connections", ends, cfg->conns);
	if (res->states[PTCP_TIME_WAIT] > 2 * cfg->conns)
		ptcp_prop_failf(f, 12, "more ends in TIME-WAIT than ends");
	/* a connection that died with an error on one end must not be open on the other */
	if (res->errors && res->states[PTCP_CLOSED] + res->states[PTCP_TIME_WAIT] != ends)
		ptcp_prop_failf(f, 13, "%u ends died with an error, others are still open",
		                res->errors);
}

static const ptcp_prop_sim agree = {
    .name = "e2e-agree",
    .check = agree_check,
};

Test(e2e, agree, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_sims(&agree, 300, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}
