/*
 * ptcp-replay internals: between the runner (replay_run.c), which records a
 * run (in a child process, over a pipe), and the recorders of the targets
 * whose own fuzz-target code runs (replay_sim.c).
 */
#ifndef PTCP_REPLAY_INT_H
#define PTCP_REPLAY_INT_H

#include "replay.h"

typedef struct ptcp_replay_sink ptcp_replay_sink;

/* The sink of the run in progress (set while a target's oracle runs), or NULL. */
ptcp_replay_sink *ptcp_replay_cur_sink(void);

/* The connection the record is about: the core's end first. */
void ptcp_replay_sink_conn(ptcp_replay_sink *k, const ptcp_addr *local, uint16_t local_port,
                           const ptcp_addr *peer, uint16_t peer_port, int role, uint32_t isn_local,
                           uint32_t isn_peer, int have_isn, int multi_conn);
/* A packet (bytes copied); it belongs to the next step reported. */
void ptcp_replay_sink_pkt(ptcp_replay_sink *k, uint64_t t, ptcp_replay_dir dir, const uint8_t *d,
                          size_t len, int dropped, const char *label);
/* A step (info may be NULL). */
void ptcp_replay_sink_step(ptcp_replay_sink *k, uint64_t t, size_t event, const char *what,
                           const ptcp_info *info);
/* A step begins: with PTCP_REPLAY_CRASH_AT=N set, the child crashes (SIGSEGV) at its Nth
 * step, as a core crash would (for the tests). */
void ptcp_replay_sink_crash_point(ptcp_replay_sink *k);
/* A check failed. */
void ptcp_replay_sink_fail(ptcp_replay_sink *k, const char *msg);
/* More about the run (rec->note). */
void ptcp_replay_sink_note(ptcp_replay_sink *k, const char *note);

/*
 * The fuzz targets compiled in with their entry point renamed
 * ptcp_replay_<name>_oracle (replay/meson.build, replay_oracles) and listed
 * in oracles.def: the target's own code decides (it aborts on a failure).
 */
typedef struct ptcp_replay_oracle {
	const char *name;
	int (*run)(const uint8_t *data, size_t size);
	const char *passed;  /* the verdict when it returns */
	const char *packets; /* how its packets are recorded, or NULL: they are not */
} ptcp_replay_oracle;

/* The oracle of target t, or NULL. */
const ptcp_replay_oracle *ptcp_replay_oracle_of(ptcp_replay_target t);

/* replay_sim.c: a ptcp-sim command line (one scenario) in the child; returns its exit status. */
int ptcp_replay_sim_cmdline(const uint8_t *data, size_t len);
/* Check a ptcp-sim scenario's text before running it: 0, or -1 with a message. */
int ptcp_replay_sim_scenario_check(const uint8_t *data, size_t len, char *err, size_t cap);
/* 1 when the text looks like a ptcp-sim command line. */
int ptcp_replay_is_sim_scenario(const uint8_t *data, size_t len);

#endif
