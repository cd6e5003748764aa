/*
 * ptcp-bench: cost per segment against the hardware floor, memory per
 * connection, and how cost grows.
 *
 * IMPLEMENTATION NOTES
 * A per-segment case is a steady state of one connection block driven
 * directly (as core/tests/conv.c does): setup() builds it once, prepare()
 * restores the steady state before each batch without being timed, run()
 * performs n measured operations (one ptcp_step() each, or one floor
 * operation) and is the only timed code.  Every case and every floor is
 * measured round-robin, R rounds, so noise on this shared machine falls on
 * all of them alike; a figure is the median of the per-operation time of
 * the R batches, with the 10th and 90th percentiles as the spread.
 *
 * Instruction counts come from valgrind --tool=callgrind, which counts
 * instructions deterministically: ptcp-bench runs itself under callgrind
 * (the hidden "icount" subcommand) with --toggle-collect on the case's
 * run function, so exactly the timed code is counted.
 *
 * Nothing here is a test: no figure passes or fails.  check() only makes
 * sure a case measured what it claims (e.g. no segment was dropped).
 */
#ifndef PTCP_BENCH_H
#define PTCP_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ptcp/ptcp.h"

#define BENCH_PAYLOAD 1460u /* payload of a full-size segment (MSS 1472 less timestamps) */

/* ---- Options ------------------------------------------------------------- */
typedef struct bench_opts {
	int quick;          /* fewer rounds, smaller sweeps */
	int icount;         /* run the instruction counts under callgrind (when available) */
	unsigned rounds;    /* timed batches per case */
	unsigned batch;     /* operations per batch */
	const char *svgdir; /* where plots go, NULL for none */
	const char *self;   /* argv[0], to run ourselves under valgrind */
	int hugepages;      /* table memory on 2 MiB pages (madvise MADV_HUGEPAGE) */
} bench_opts;

/* ---- Timing and statistics ----------------------------------------------- */
uint64_t bench_now_ns(void); /* CLOCK_MONOTONIC */
uint64_t bench_cpu_ns(void); /* CLOCK_PROCESS_CPUTIME_ID */
/* What one timing window costs (two bench_now_ns calls back to back), median. */
double bench_clock_ns(void);
typedef struct bench_stat {
	double med, p10, p90, min;
} bench_stat;
/* Sorts v (n values) and summarises it. */
bench_stat bench_summarise(double *v, size_t n);

/* ---- Per-segment cases ---------------------------------------------------- */
enum { CASE_CORE, CASE_FLOOR, CASE_CODEC };

/* A case's state (state_size bytes) starts with its ptcp_conn (stepped or not). */
typedef struct bench_case {
	const char *id;    /* command-line name */
	const char *what;  /* one line for the table */
	const char *runfn; /* name of the run function (callgrind --toggle-collect) */
	int kind;          /* CASE_* */
	size_t state_size;
	void (*setup)(void *st, unsigned n);
	void (*prepare)(void *st, unsigned n);
	void (*run)(void *st, unsigned n);
	void (*check)(void *st, unsigned n); /* after run(): aborts if the case went astray */
	void (*fini)(void *st);
} bench_case;

extern const bench_case bench_cases[];
/* Batches a case will run at most (sizes the dupack send buffer); set by main. */
extern unsigned bench_rounds_hint;
extern const size_t bench_ncases;
const bench_case *bench_case_find(const char *id);

/* Run the per-segment table (and the callgrind counts).  Returns 0. */
int bench_percase(const bench_opts *o);
/* The hidden subcommand run under callgrind: setup, then rounds x (prepare, run). */
int bench_icount_child(const char *id, unsigned n, unsigned rounds);
/* Instructions per operation of function runfn in "ptcp-bench icount id", or -1
 * when counts are off, valgrind is missing or failed.  id is a case, or
 * "dupack:R" for the SACK sweep (runfn bench_dupack_run). */
double bench_icount(const bench_opts *o, const char *id, const char *runfn);
int bench_have_valgrind(void);

/* The SACK recovery steady state of the dupack case, with `ranges` SACKed
 * ranges in the scoreboard (the growth sweep): init in bench_dupack_size()
 * bytes of zeroed memory, then prepare/run/check per batch. */
size_t bench_dupack_size(void);
void bench_dupack_init(void *st, unsigned n, unsigned ranges);
void bench_dupack_prepare(void *st, unsigned n);
void bench_dupack_run(void *st, unsigned n);
void bench_dupack_check(void *st, unsigned n);
double bench_dupack_released(const void *st); /* new segments per dup ACK, last batch */
void bench_dupack_fini(void *st);

/* ---- Memory and growth ----------------------------------------------------- */
int bench_memory(const bench_opts *o);
int bench_growth(const bench_opts *o);
/* growth's out-of-order holes sweep and the reassembly models alone */
int bench_growth_holes(const bench_opts *o);
/* only the connection-table growth (1 .. 1,000,000 connections) */
int bench_growth_table(const bench_opts *o);
/* Reassembly structures modelled without a cap (part of growth). */
void bench_ooo_models(const bench_opts *o);

/* ---- A steady connection, shared by the cases and the growth sweeps ------- */
typedef struct bench_peer {
	uint32_t seq;   /* the peer's next sequence number */
	uint32_t ack;   /* what it acknowledges */
	uint16_t wnd;   /* its raw window field (our send window is wnd << wshift) */
	uint8_t wshift; /* its window shift (set before bench_establish; 0 means 7) */
	ptcp_time_t now;
} bench_peer;

#define BENCH_ISS   1000000u
#define BENCH_IRS   7000000u
#define BENCH_LPORT 80
#define BENCH_RPORT 40000
#define BENCH_ACTS  1024

/*
 * An ESTABLISHED connection (SACK, timestamps, window scaling on; MSS 1472
 * both ways, so that a full segment carries BENCH_PAYLOAD bytes beside the
 * 12-byte timestamp option), made with ptcp_conn_establish() and the ACK
 * that completes the handshake.
 */
void bench_establish(ptcp_conn *c, ptcp_loss *loss, uint8_t *sbuf, size_t scap, uint8_t *rbuf,
                     size_t rcap, bench_peer *p, ptcp_action *acts);
/* A segment from the peer: seq/ack/wnd from p, timestamps, flags, payload. */
void bench_peer_seg(const bench_peer *p, const ptcp_conn *c, ptcp_seg *s, uint8_t flags,
                    const uint8_t *payload, size_t len);
/* One step with a segment (addresses filled in); returns ptcp_step's value. */
int bench_step_seg(ptcp_conn *c, const ptcp_seg *s, ptcp_time_t now, ptcp_actions *out);
int bench_step_read(ptcp_conn *c, uint8_t *buf, size_t len, ptcp_time_t now, ptcp_actions *out);
int bench_step_send(ptcp_conn *c, const uint8_t *data, size_t len, ptcp_time_t now,
                    ptcp_actions *out);
/* Sum of the drop counters. */
uint64_t bench_drops(const ptcp_conn *c);
/* Grow cwnd (slow start) until segs full segments can be in flight; the send buffer is
 * left empty and everything acknowledged. */
void bench_open_cwnd(ptcp_conn *c, bench_peer *p, ptcp_actions *out, unsigned segs);
/* Acknowledge everything sent (a cumulative ACK), peer window wnd. */
void bench_ack_all(ptcp_conn *c, bench_peer *p, ptcp_actions *out);
extern const uint8_t bench_payload[BENCH_PAYLOAD];
extern const uint8_t bench_zeros[1u << 20];
void bench_die(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

/* ---- Output ------------------------------------------------------------------- */
/* Machine, compiler and flags, as a few "key: value" lines. */
void bench_print_env(FILE *f);

/* ---- Plots (SVG written by hand) -------------------------------------------- */
typedef struct svg_series {
	const char *name;
	const double *x, *y;
	size_t n;
} svg_series;

/* A line plot; logx/logy pick log10 axes. Returns 0, or -1 if the file cannot be written. */
int svg_plot(const char *path, const char *title, const char *xlabel, const char *ylabel, int logx,
             int logy, const svg_series *s, size_t ns);
/* Horizontal bars: value[i] per label, with a second, thinner bar ref[i] (NULL: none). */
int svg_bars(const char *path, const char *title, const char *xlabel, const char *const *labels,
             const double *value, const char *value_name, const double *ref, const char *ref_name,
             size_t n);
/* path = dir/name into buf; NULL when o->svgdir is NULL. */
const char *bench_svg_path(const bench_opts *o, const char *name, char *buf, size_t cap);

#endif
