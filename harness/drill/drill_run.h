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
