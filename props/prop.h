/*
 * ptcp property runner: generated scenarios, N cases per property,
 * shrinking of failures to a minimal event script.
 *
 * IMPLEMENTATION NOTES
 * PRNG.  xoshiro256** (Blackman & Vigna, 2018) seeded with splitmix64:
 * ptcp_prop_rng_seed(r, seed) fills the four state words with four
 * successive splitmix64 outputs of seed.  Case i of a property run with
 * base seed B has the seed B + i * 0x9E3779B97F4A7C15 (mod 2^64), so case 0
 * has seed B: a failing case is reproduced alone with
 *   PTCP_PROP_SEED=<its seed> PTCP_PROP_CASES=1 <test> --filter '<suite>/<test>'
 * Everything a case does is a pure function of its seed (no clock, no
 * rand()).
 *
 * Settings (environment):
 *   PTCP_PROP_CASES  cases per property (default: the property's own,
 *                    chosen so that `meson test --suite props` takes about
 *                    a minute on 2 cores); a number, or "xN" to multiply
 *                    the defaults by N;
 *   PTCP_PROP_SEED   base seed (decimal or 0x hex; default 1);
 *   PTCP_PROP_OUT    folder for shrunk scenarios (default: $TMPDIR or /tmp,
 *                    sub-folder ptcp-prop);
 *   PTCP_PROP_SCRIPT run a script property on this event-script text file
 *                    (and shrink it if it fails) instead of generated cases;
 *   PTCP_PROP_SHRINK 0 turns shrinking off (default on);
 *   PTCP_PROP_QUIET  1: no per-property summary line on stderr.
 *
 * Scenarios.  A SCRIPT property is checked on event scripts
 * (harness/script) run by the script runner (harness/run) against one core.
 * ptcp_prop_gen_script() builds one from a seed: it drives its own copy of
 * the core with the runner's timer semantics and plays a model peer that
 * answers what the core emits (handshake with random options, data both
 * ways, cumulative ACKs with SACK blocks, window changes including zero,
 * FIN, loss of the core's segments and of its own, retransmission), plus
 * the application (send, read, shutdown, close, abort, a new open) and,
 * at a configurable rate, hostile inputs (RST / SYN at any sequence number,
 * ACKs of unsent data, out-of-window data, old timestamps, ICMP errors,
 * random segments).  The output is a plain event script (no expect lines):
 * the property is judged on the runner's execution of that script, which
 * is what a replay sees.
 *
 * A property watches the run through an observer (every step with its
 * input, actions and ptcp_info, every packet) and reports the first
 * violation as a ptcp_prop_fail with a CLASS (a small number naming what
 * was violated) and a message.  With PTCP_RUN_F flags left on, the
 * runner's own oracles (harness/check) count too (class
 * PTCP_PROP_CLS_RUNNER + the runner's failure kind).
 *
 * Shrinking.  On a failure the scenario is reduced while the SAME class of
 * failure persists: delete runs of events (halves, quarters, ... single
 * events, delta-debugging style; a deleted event's time goes to the next
 * one), shorten payloads and send/read lengths, lower time deltas, window
 * fields and sequence offsets, drop TCP options, and reset the
 * configuration to its defaults field by field; passes repeat until none
 * helps or the budget (PTCP_PROP_SHRINK_RUNS runs) is spent.  The minimal
 * scenario is written as an event-script text file (ptcp-run, ptcp-replay
 * and the fuzz regression runner read it); its path and event count are
 * printed with the seed.
 *
 * A SIM property is checked on a whole simulated network (harness/sim:
 * two cores, faults from a seed).  ptcp_prop_gen_sim() draws the network
 * schedule (link delay, jitter, loss, duplication, reordering,
 * corruption, MTU, bandwidth and queue, healing time), the application
 * model, the transfer size and the core options.  Shrinking lowers the
 * faults and sizes; the minimal run's connection-0 client is written as an
 * event script (the simulator's recorder).
 */
#ifndef PTCP_PROP_H
#define PTCP_PROP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ptcp/ptcp.h"
#include "run.h"
#include "script.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PRNG ------------------------------------------------------------- */
typedef struct ptcp_prop_rng {
	uint64_t s[4];
} ptcp_prop_rng;

uint64_t ptcp_prop_splitmix64(uint64_t *state);
void ptcp_prop_rng_seed(ptcp_prop_rng *r, uint64_t seed);
uint64_t ptcp_prop_rng_next(ptcp_prop_rng *r);
/* Uniform in [0, n) without modulo bias (0 for n = 0). */
uint64_t ptcp_prop_below(ptcp_prop_rng *r, uint64_t n);
/* Uniform in [lo, hi] (lo <= hi). */
uint64_t ptcp_prop_range(ptcp_prop_rng *r, uint64_t lo, uint64_t hi);
/* 1 with probability pct / 100. */
int ptcp_prop_chance(ptcp_prop_rng *r, unsigned pct);
/* A 32-bit value biased toward the interesting ones (0, 1, 2^31 +- small,
 * 2^32 - small, powers of two +- 1, small numbers), else uniform. */
uint32_t ptcp_prop_u32(ptcp_prop_rng *r);

/* ---- Settings --------------------------------------------------------- */
uint64_t ptcp_prop_base_seed(void);
/* Cases for a property whose default is dflt (PTCP_PROP_CASES applied). */
unsigned ptcp_prop_cases(unsigned dflt);
uint64_t ptcp_prop_case_seed(uint64_t base, unsigned i);
/* The folder shrunk scenarios go to (created on first use). */
const char *ptcp_prop_out_dir(void);

/* ---- Failures --------------------------------------------------------- */
#define PTCP_PROP_CLS_RUNNER 1000u /* + 100 * ptcp_run_fail (+ check code): harness/run */
#define PTCP_PROP_CLS_SIM    2000u /* the simulator's own failure */

typedef struct ptcp_prop_fail {
	unsigned cls;  /* 0: no failure */
	size_t event;  /* script event index (scripts) */
	ptcp_time_t t; /* virtual time */
	char msg[480];
} ptcp_prop_fail;

/* Record a failure (the first one is kept); printf-style message. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ptcp_prop_failf(ptcp_prop_fail *f, unsigned cls, const char *fmt, ...);

/* ---- Script generator ------------------------------------------------- */
typedef struct ptcp_prop_gen {
	unsigned min_events, max_events; /* length of the scenario (before the closing part) */
	unsigned hostile_pct;            /* per peer move: a hostile input instead (0..100) */
	unsigned loss_pct_max; /* per scenario, the core's segments are lost at 0..this % */
	unsigned server_pct;   /* scenarios where the core is the server (listen) */
	unsigned close_pct;    /* scenarios that end by closing both sides */
	unsigned icmp_pct;     /* per hostile move: an ICMP error */
	unsigned reopen_pct;   /* after CLOSED: a new connect/listen */
	int default_config;    /* 1: the scenario keeps the default configuration */
	uint32_t max_buf;      /* send / receive buffers up to this size */
	uint32_t avoid;        /* PTCP_PROP_AVOID_*: inputs that hit known core bugs */
} ptcp_prop_gen;

/* Known core bugs the default generator steers clear of (each has a
 * disabled test that shows it; see props/README section in README.md). */
#define PTCP_PROP_AVOID_TINY_MSS       0x01u /* an MSS option below 64 in the peer's SYN */
#define PTCP_PROP_AVOID_SYNRCVD        0x02u /* hostile inputs in SYN-RECEIVED */
#define PTCP_PROP_AVOID_EARLY_SEND     0x04u /* app sends in LISTEN / SYN-RECEIVED */
#define PTCP_PROP_AVOID_SMALL_WND      0x08u /* a window reopened below half its largest size */
#define PTCP_PROP_AVOID_RST_TRIM       0x10u /* a RST with SYN or data (trimmed before the check) */
#define PTCP_PROP_AVOID_ZWND_SYN       0x20u /* a SYN at RCV.NXT while our window is zero */
#define PTCP_PROP_AVOID_TLP            0x40u /* tail loss probes (the configuration turns them off) */
#define PTCP_PROP_AVOID_RENEGE         0x80u  /* the peer forgets SACKed data (RFC 2018 reneging) */
#define PTCP_PROP_AVOID_HUGE_SACK      0x100u /* SACK blocks of 2^31 bytes or more */
#define PTCP_PROP_AVOID_OLD_ACK        0x200u /* an old ACK (below SND.UNA) opening the window */
#define PTCP_PROP_AVOID_FIN_HOLE       0x400u /* a FIN below out-of-order data */
#define PTCP_PROP_AVOID_SIMOPEN_SYNACK 0x800u /* a SYN-ACK answering a simultaneous open */
#define PTCP_PROP_AVOID_BOGUS_ECR      0x1000u /* a TSecr the core never sent */
/* the default: the bugs the core still has (the others stay as switches) */
#define PTCP_PROP_AVOID_ALL                                                                        \
	(PTCP_PROP_AVOID_TINY_MSS | PTCP_PROP_AVOID_SYNRCVD | PTCP_PROP_AVOID_RST_TRIM |           \
	 PTCP_PROP_AVOID_HUGE_SACK | PTCP_PROP_AVOID_OLD_ACK | PTCP_PROP_AVOID_SIMOPEN_SYNACK |    \
	 PTCP_PROP_AVOID_BOGUS_ECR)

void ptcp_prop_gen_default(ptcp_prop_gen *g);

/*
 * A scenario from a seed (see the notes).  out must be empty (initialised
 * with ptcp_script_init, or freed).  Returns 0 or PTCP_SCRIPT_ENOMEM.
 */
int ptcp_prop_gen_script(const ptcp_prop_gen *g, uint64_t seed, ptcp_script *out);

/* ---- Script properties ------------------------------------------------ */
typedef struct ptcp_prop_script {
	const char *name;
	size_t state_size;  /* private per-run state, zeroed before begin() */
	uint32_t run_flags; /* PTCP_RUN_F_* (NO_EXPECT is always added) */
	uint64_t drain;     /* fire timers this long after the last event */
	/* all optional; report with ptcp_prop_failf (the first failure is kept) */
	void (*begin)(void *st, const ptcp_script *s);
	void (*note)(void *st, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f);
	void (*end)(void *st, const ptcp_script *s, const ptcp_run_result *res, const ptcp_conn *c,
	            ptcp_prop_fail *f);
	/* after each generated case that passed (not during shrinking): statistics */
	void (*tally)(void *st, void *acc);
	void *acc;
	const ptcp_prop_gen *gen; /* NULL: ptcp_prop_gen_default() */
} ptcp_prop_script;

/* Run property p on one scenario.  Returns 1 when it fails (f filled), 0 when it holds. */
int ptcp_prop_check_script(const ptcp_prop_script *p, const ptcp_script *s, ptcp_prop_fail *f);

/*
 * Shrink a failing scenario s (in place) while p fails with class cls.
 * Returns the number of property runs spent.
 */
unsigned ptcp_prop_shrink_script(const ptcp_prop_script *p, ptcp_script *s, unsigned cls);

/* Write s as an event-script text file into path (NUL-terminated, cap bytes) under the
 * output folder with the given name stem.  Returns 0 or -1. */
int ptcp_prop_write_script(const ptcp_script *s, const char *stem, char *path, size_t cap);

/* ---- Sim properties --------------------------------------------------- */
typedef struct ptcp_prop_simgen {
	unsigned fault_pct; /* networks with faults (loss, dup, reorder, corrupt) */
	double loss_max;    /* % */
	uint64_t bytes_max; /* transfer size */
	unsigned conns_max; /* connections per run */
	int with_corrupt;   /* corruption allowed */
	int with_mtu;       /* an MTU below the MSS (ICMP frag-needed) allowed */
	int sack;           /* -1: random, 0: off, 1: on */
	int heal;           /* 1: faults always stop at some time (liveness guaranteed) */
} ptcp_prop_simgen;

void ptcp_prop_simgen_default(ptcp_prop_simgen *g);
void ptcp_prop_gen_sim(const ptcp_prop_simgen *g, uint64_t seed, ptcp_sim_config *cfg);

typedef struct ptcp_prop_sim {
	const char *name;
	/* the judgement of one finished run (res from ptcp_sim_run, rc its return value) */
	void (*check)(const ptcp_sim_config *cfg, int rc, const ptcp_sim_result *res,
	              ptcp_prop_fail *f);
	void (*tally)(const ptcp_sim_config *cfg, const ptcp_sim_result *res, void *acc);
	void *acc;
	const ptcp_prop_simgen *gen; /* NULL: ptcp_prop_simgen_default() */
} ptcp_prop_sim;

int ptcp_prop_check_sim(const ptcp_prop_sim *p, const ptcp_sim_config *cfg, ptcp_prop_fail *f);
unsigned ptcp_prop_shrink_sim(const ptcp_prop_sim *p, ptcp_sim_config *cfg, unsigned cls);
/* "--seed 3 --bytes 65536 --loss 2 ..." : the ptcp-sim command line of cfg. */
int ptcp_prop_sim_cmdline(const ptcp_sim_config *cfg, char *buf, size_t cap);

/* ---- Drivers ---------------------------------------------------------- */
typedef struct ptcp_prop_report {
	unsigned cases; /* cases run */
	int failed;     /* 1: a counterexample */
	uint64_t seed;  /* its seed */
	ptcp_prop_fail fail;
	size_t events; /* events of the shrunk scenario (0 if none written) */
	size_t orig_events;
	unsigned shrink_runs;
	char path[512]; /* the shrunk scenario file ("" if none) */
	double seconds;
	char text[1400]; /* the whole report, as printed */
} ptcp_prop_report;

/*
 * Check p on ptcp_prop_cases(dflt) generated scenarios (or on
 * PTCP_PROP_SCRIPT).  On the first failure: shrink, write the scenario,
 * print the report (seed, reproduction, file, event count) on stderr.
 * Returns 0 when every case held, 1 on a counterexample (rep filled).
 */
int ptcp_prop_for_scripts(const ptcp_prop_script *p, unsigned dflt, ptcp_prop_report *rep);
int ptcp_prop_for_sims(const ptcp_prop_sim *p, unsigned dflt, ptcp_prop_report *rep);

/* ---- Known core bugs ---------------------------------------------------- */
/*
 * A test that shows a known core bug is declared
 *   Test(family, known_what, .disabled = PTCP_PROP_KNOWN_BUG)
 * so that it is skipped (and listed as such) in the normal suites; the
 * props_<family>_known executables are built with PTCP_PROP_RUN_KNOWN and
 * run them: ./props_window_known --filter 'window/known_*'.
 */
#ifdef PTCP_PROP_RUN_KNOWN
#define PTCP_PROP_KNOWN_BUG 0
#else
#define PTCP_PROP_KNOWN_BUG 1
#endif

/* Check p as ptcp_prop_for_scripts() does, under another name, with the generator's
 * avoidance flags avoid_off turned off (and hostile_pct, when non-zero). */
int ptcp_prop_known(const ptcp_prop_script *p, const char *name, uint32_t avoid_off,
                    unsigned hostile_pct, unsigned dflt, ptcp_prop_report *rep);

#ifdef __cplusplus
}
#endif
#endif
