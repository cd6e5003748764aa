/*
 * sim-burst-loss: slow start overshooting a 100 Mbit/s, 40 ms RTT path with
 * a 345-packet tail-drop queue (the goodput benchmark's 0% loss row) loses
 * hundreds of segments in one window - more holes than the receiver's
 * reassembly list and the sender's scoreboard hold; with RFC 6675 alone
 * the episode ends in a retransmission timeout.  That timeout and the fast recovery before it
 * are one loss episode (RFC 6675 5.1, RFC 6582 3.2): no new fast recovery
 * may start (by duplicate ACKs or the RACK timer) before the data sent
 * before the timeout is acknowledged, and ssthresh is not cut again from
 * the collapsed cwnd.  Checked, for Reno and CUBIC over three seeds, on
 * the sender's public counters and ptcp_conn_info after every step:
 * - at most 2 timeouts in a 16 MiB transfer (was 6-7: timeout, RACK
 *   recovery, timeout, ... every ~280 ms);
 * - every fast recovery entry starts only after the cumulative ACK passed
 *   the highest octet sent before the last timeout;
 * - ssthresh never falls below 64 segments (CUBIC fell to 2: each RACK
 *   recovery after a timeout took 0.7 x cwnd = 0.7 x 1 segment).
 * Each for RFC 6675 alone and with PRR (RFC 9937, the default: no timeout
 * at all), and with the receiver's own 8 out-of-order ranges or a lent pool
 * of 4.  Then the retransmission storm below.
 * Prints "N passed, M failed"; exits non-zero on a failure.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

static int passed, failed;

typedef struct watch {
	uint64_t recoveries, rtos;
	uint32_t rto_max;      /* SND.MAX when the last timeout fired */
	int after_rto;         /* a timeout fired, SND.UNA not yet past rto_max */
	unsigned early;        /* fast recoveries entered inside a timeout's episode */
	uint32_t min_ssthresh; /* segments, after the first reduction */
	int reduced;
} watch;

static void on_step(void *arg, const ptcp_sim_step_note *n)
{
	watch *w = arg;
	ptcp_stats st;
	ptcp_info in;
	if (n->side != 0)
		return;
	ptcp_conn_stats(n->core, &st);
	ptcp_conn_info(n->core, &in);
	if (w->after_rto && ptcp_seq_ge(in.snd_una, w->rto_max))
		w->after_rto = 0;
	if (st.fast_recoveries != w->recoveries) {
		if (w->after_rto)
			w->early++;
		w->reduced = 1;
	}
	if (st.rto_fired != w->rtos) {
		/* snd_nxt went back to snd_una; snd_max is the highest sent */
		w->rto_max = in.snd_max;
		w->after_rto = 1;
		w->reduced = 1;
	}
	w->recoveries = st.fast_recoveries;
	w->rtos = st.rto_fired;
	if (w->reduced && in.mss && in.ssthresh / in.mss < w->min_ssthresh)
		w->min_ssthresh = in.ssthresh / in.mss;
}

/* The goodput benchmark's path (100 Mbit/s, 40 ms RTT, a 345-packet queue),
 * 16 MiB of bulk data, Reno or CUBIC, PRR on (the default) or off, the
 * receiver's own reassembly pool or a lent one of ooo_ranges. */
static void path(ptcp_sim_config *cfg, int cubic, uint64_t seed, int prr, unsigned ooo_ranges)
{
	ptcp_sim_config_default(cfg);
	cfg->seed = seed;
	cfg->bytes = 16u << 20;
	cfg->app = PTCP_SIM_BULK;
	for (int d = 0; d < 2; d++) {
		memset(&cfg->link[d], 0, sizeof(cfg->link[d]));
		cfg->link[d].delay = PTCP_MS(20);
		cfg->link[d].bw = 100000000ull;
		cfg->link[d].queue = 345;
	}
	cfg->sndbuf = cfg->rcvbuf = 8u << 20;
	cfg->core.cc = cubic ? &ptcp_cc_cubic : &ptcp_cc_reno;
	if (!prr)
		cfg->core.flags &= ~(uint32_t)PTCP_CFG_PRR;
	cfg->ooo_ranges = ooo_ranges;
}

static void run(int cubic, uint64_t seed, int prr, unsigned ooo_ranges)
{
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	watch w;
	memset(&w, 0, sizeof w);
	w.min_ssthresh = ~0u;
	path(&cfg, cubic, seed, prr, ooo_ranges);
	cfg.observe.step = on_step;
	cfg.observe.arg = &w;
	if (ptcp_sim_run(&cfg, &res) != 0 || !res.ok) {
		failed++;
		printf("FAIL %s seed %llu: %s\n", cubic ? "cubic" : "reno",
		       (unsigned long long)seed, res.why);
		return;
	}
	int ok = res.drops[PTCP_SIM_DROP_QUEUE] > 0 && w.rtos <= 2 && w.early == 0 &&
	         w.min_ssthresh >= 64;
	printf(
	    "%s %s %s ooo %u seed %llu: %llu queue drops, %llu retransmits, %llu fast recoveries, "
	    "%llu timeouts, "
	    "%u recoveries inside a timeout's episode, min ssthresh %u segments\n",
	    ok ? "ok  " : "FAIL", cubic ? "cubic" : "reno ", prr ? "prr" : "rfc6675", ooo_ranges,
	    (unsigned long long)seed, (unsigned long long)res.drops[PTCP_SIM_DROP_QUEUE],
	    (unsigned long long)res.retransmits, (unsigned long long)w.recoveries,
	    (unsigned long long)w.rtos, w.early, w.min_ssthresh);
	if (ok)
		passed++;
	else
		failed++;
}

/*
 * The same path with 0.1 % random loss, the receiver keeping at most 4
 * out-of-order ranges (a lent pool): segments beyond them are dropped at
 * the receiver, so one ACK can make RACK mark hundreds of segments lost.
 * RFC 6675 alone then sends cwnd - pipe at once, a burst of hundreds into
 * the queue that just overflowed, and again on the next such ACK (CUBIC,
 * seed 1: about 60,000 queue drops and retransmissions for 16 MiB); PRR
 * (RFC 9937, the default) sends no more than was delivered.  Checked for
 * the default (PRR): under 1,000 queue drops and 2,000 retransmissions;
 * RFC 6675 alone is printed beside it, not judged.
 */
static void storm(int cubic, uint64_t seed, int prr)
{
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	path(&cfg, cubic, seed, prr, 4);
	cfg.link[0].loss = 0.1;
	if (ptcp_sim_run(&cfg, &res) != 0 || !res.ok) {
		failed++;
		printf("FAIL storm %s seed %llu: %s\n", cubic ? "cubic" : "reno",
		       (unsigned long long)seed, res.why);
		return;
	}
	int ok = !prr || (res.drops[PTCP_SIM_DROP_QUEUE] < 1000 && res.retransmits < 2000);
	printf("%s 0.1%% loss, 4-range receiver, %s %s seed %llu: %llu queue drops, %llu "
	       "retransmits\n",
	       !prr ? "info"
	       : ok ? "ok  "
	            : "FAIL",
	       cubic ? "cubic" : "reno ", prr ? "prr" : "rfc6675", (unsigned long long)seed,
	       (unsigned long long)res.drops[PTCP_SIM_DROP_QUEUE],
	       (unsigned long long)res.retransmits);
	if (!prr)
		return; /* shown for contrast */
	if (ok)
		passed++;
	else
		failed++;
}

int main(void)
{
	for (int cubic = 0; cubic < 2; cubic++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			for (int prr = 0; prr < 2; prr++)
				for (unsigned o = 0; o <= 4; o += 4)
					run(cubic, seed, prr, o);
	for (int cubic = 0; cubic < 2; cubic++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			for (int prr = 0; prr < 2; prr++)
				storm(cubic, seed, prr);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
