/*
 * drill_run.h - run packetdrill scripts against the ptcp core, in process.
 *
 * No TUN device, no kernel, no sockets: a small simulated "kernel" owns ptcp_conn blocks (one
 * per socket, plus a spare LISTEN block per listening socket), maps the script's system calls
 * onto core inputs, injects the script's '<' segments and checks the segments the core emits
 * against the script's '>' lines, on a virtual clock.
 *
 *   struct ptcp_drill_run_config cfg;
 *   struct ptcp_drill_result res;
 *   ptcp_drill_run_config_default(&cfg);
 *   ptcp_drill_run_file("x.pkt", &cfg, &res);   // res.verdict, res.message
 *
 * The semantics follow upstream packetdrill (see drill_run.c for the details and the known
 * differences); the Linux behaviour is the core's ptcp_config_linux() profile.
 */
#ifndef PTCP_DRILL_RUN_H
#define PTCP_DRILL_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "drill.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ptcp_drill_verdict {
	PTCP_DRILL_PASS,
	PTCP_DRILL_FAIL,        /* a check failed: message says where and what */
	PTCP_DRILL_UNSUPPORTED, /* the script needs a feature the runner lacks: feature names it */
	PTCP_DRILL_ERROR,       /* the script does not parse (or cannot be read) */
};

/*
 * A script line where Linux's behaviour comes from a Linux-only mechanism the core does not
 * model (a list such as harness/drill/linux-only.txt; CORE-DEVIATIONS.md explains each).  The
 * run reports the script UNSUPPORTED [feature] instead of FAIL when, and only when, the
 * mismatch at that line is exactly the listed one; the rest of the script is still run and
 * any other mismatch is a FAIL.
 */
enum ptcp_drill_known_kind {
	PTCP_DRILL_KNOWN_PSH,  /* a '>' packet differs in PSH alone */
	PTCP_DRILL_KNOWN_WIN,  /* a '>' packet differs in its window field alone */
	PTCP_DRILL_KNOWN_TIME, /* a '>' packet or a blocking call's return differs in time alone,
	                          and happened at exactly `actual` */
};

struct ptcp_drill_known {
	char script[128]; /* path relative to --root; matched as a suffix of the script's path */
	int line;
	enum ptcp_drill_known_kind kind;
	int64_t actual;   /* PTCP_DRILL_KNOWN_TIME: the core's time at that line, microseconds */
	char feature[96]; /* the Linux-only feature, reported as UNSUPPORTED's feature */
	int src_line;     /* line in the list file */
	int hits;         /* set by the runs: scripts in which this entry applied */
};

/*
 * Load a list of known Linux-only deviations.  Each non-empty line (after '#' comments):
 *   SCRIPT LINE psh FEATURE...
 *   SCRIPT LINE win FEATURE...
 *   SCRIPT LINE time=SECONDS FEATURE...
 * Returns the number of entries (*out: malloc'ed, free() it), or -1 with a
 * "file:line:col: message" in err.
 */
int ptcp_drill_known_load(const char *path, struct ptcp_drill_known **out, char *err,
                          size_t err_size);

struct ptcp_drill_run_config {
	int64_t tolerance_usecs;  /* < 0: the script's --tolerance_usecs, else 4000 */
	double tolerance_percent; /* < 0: the script's --tolerance_percent, else 12.5 */
	bool strict;              /* every segment the core emits must be matched by a '>' line */
	bool check_ts_ecr;        /* also check TS ecr of '>' lines (upstream never does) */
	bool skip_python;         /* ignore %{ }% blocks (else the script ends UNSUPPORTED) */
	bool ignore_psh;          /* do not check PSH (an analysis aid: see past that deviation) */
	FILE *trace;              /* non-NULL: log events and segments there */
	const char *const *defines; /* "NAME=VALUE" (-D): values of script words like CODE */
	size_t n_defines;
	struct ptcp_drill_known *known; /* known Linux-only deviations (hits are counted) */
	size_t n_known;
};

#define PTCP_DRILL_MESSAGE_MAX 2048

struct ptcp_drill_result {
	enum ptcp_drill_verdict verdict;
	int line;         /* line of the failure or of the unsupported feature, 0 if none */
	char feature[96]; /* UNSUPPORTED: the feature ("python", "syscall epoll_create", ...) */
	char message[PTCP_DRILL_MESSAGE_MAX]; /* "file:line: ..." for FAIL/UNSUPPORTED/ERROR */
};

void ptcp_drill_run_config_default(struct ptcp_drill_run_config *cfg);

/* Parse and run one script. Returns 0 when it passed, -1 otherwise (see res). */
int ptcp_drill_run_file(const char *path, const struct ptcp_drill_run_config *cfg,
                        struct ptcp_drill_result *res);

/* Run a parsed script. Same contract. */
int ptcp_drill_run_script(const struct ptcp_drill_script *script,
                          const struct ptcp_drill_run_config *cfg, struct ptcp_drill_result *res);

const char *ptcp_drill_verdict_name(enum ptcp_drill_verdict v);

#ifdef __cplusplus
}
#endif

#endif /* PTCP_DRILL_RUN_H */
