/*
 * ptcp script runner: executes one event script (harness/script) against
 * ONE core, deterministically.  Shared by the fuzzers, the replay tool and
 * the property tests.
 *
 *   ptcp_run *r = ptcp_run_new();
 *   ptcp_run_config cfg;
 *   ptcp_run_result res;
 *   ptcp_run_config_default(&cfg);
 *   cfg.observe = my_observer;                  // optional: pcaps, traces
 *   ptcp_run_exec(r, &script, &cfg, &res);
 *   if (res.status == PTCP_RUN_FAIL)
 *           printf("%s:%u: event %zu: %s\n", file, res.line, res.event, res.msg);
 *   ptcp_run_free(r);
 *
 * SEMANTICS
 * Time.  Virtual, in microseconds: event i happens at
 *   cfg.start + delta[0] + ... + delta[i]   (the scenario's config start).
 * Before an input event at time t, the runner fires the core's timers as a
 * real embedder would: while the deadline last reported by the core (a
 * PTCP_ACT_DEADLINE action) is before t, or at or before the time of the
 * last step (the core asks to be called again at once), it feeds
 * PTCP_IN_TIME at max(deadline, last step time).  A deadline exactly at t
 * is fired by the event itself when it is a "time" event, else after it;
 * so is one due at once when the time event comes at the time of the last
 * step (a recorded timer step replays as one step).
 * An expect line with a non-zero delta advances the time too (firing the
 * deadlines at or before its time), so "+1s > S 0:0(0) ..." expects the
 * SYN retransmission at 1 s.  With cfg.drain, after the last event the
 * timers keep firing up to cfg.drain us later.
 *
 * Inputs.  App calls, ICMP and time events go through
 * ptcp_script_event_to_input(); a SEND without explicit bytes sends the
 * pattern at stream offset "bytes the core accepted in this incarnation"
 * (an incarnation starts when the core leaves CLOSED or enters LISTEN), so that in both directions
 * the payload byte with relative sequence number q is ptcp_script_pattern(q - 1).  Segment events
 * are built into packets (ptcp_script_seg_to_packet) and raw events are
 * taken as they are; both go through ptcp_wire_parse_packet(), and a packet
 * that does not parse is dropped and counted by its codec error
 * (result.drops[-err]), never fed to the core.
 *
 * Expect lines (unless PTCP_RUN_F_NO_EXPECT).  The actions of the steps
 * since the last input event (the timer steps before it, its own step, and
 * the timer steps of expect lines after it) form a pool; each expect line
 * consumes the first unconsumed action of the pool that it matches
 * (segments with ptcp_script_seg_match(), a state "from" of ANY matches any
 * state, a deadline is compared relative to the time of the step that
 * reported it), "= ret" compares the return value of the last app call.
 * Actions no expect line names are ignored, unless PTCP_RUN_F_STRICT: then
 * every emitted segment must be consumed before the next input event (and
 * by the end of the script).
 *
 * Oracles, after every step (unless turned off by a flag):
 *   - harness/check: ptcp_check_state() and ptcp_check_emit() of every
 *     emitted segment (built with ptcp_wire_build_packet(), TTL 64, DF, ECN
 *     from the action, then parsed back with its checksum verified), and
 *     ptcp_check_liveness() (no packet counts as in flight, the application
 *     counts as pending; skipped while the last send asked for MORE);
 *   - the return value is one ptcp_step() documents for the input kind, and
 *     a send accepts at most ptcp_conn_send_space() bytes;
 *   - the deadline the actions reported equals ptcp_conn_next_deadline(),
 *     and a timer step that does nothing does not leave the deadline due;
 *   - data: every payload byte the core emits equals the byte the
 *     application wrote at that stream offset, and every byte read equals
 *     the pattern byte of its sequence number as long as every injected
 *     payload was the pattern (no explicit payload, no raw packet with data).
 * The first violation ends the run (unless PTCP_RUN_F_KEEP_GOING) with
 * status PTCP_RUN_FAIL, the event index, its source line and a message.
 */
#ifndef PTCP_RUN_H
#define PTCP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "ptcp/ptcp.h"
#include "script.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Configuration ------------------------------------------------------ */
#define PTCP_RUN_F_NO_EXPECT                                                                       \
	0x01u /* ignore expect lines (fuzzers: the oracle is the invariants)                       \
	       */
#define PTCP_RUN_F_STRICT      0x02u /* every emitted segment must be expected */
#define PTCP_RUN_F_NO_CHECK    0x04u /* skip the harness/check invariants */
#define PTCP_RUN_F_NO_LIVENESS 0x08u /* skip ptcp_check_liveness() */
#define PTCP_RUN_F_NO_DATA     0x10u /* skip the byte checks */
#define PTCP_RUN_F_KEEP_GOING  0x20u /* keep the first failure, run to the end */
/* The connection's loss area (ptcp_loss): by default it has one for good.
 * LOSS_NONE: never one.  LOSS_LEND: taken back after every step that leaves
 * it unused and lent again before the next (as a table's pool does).
 * LOSS_SCARCE: as LOSS_LEND, but lent only before every other step. */
#define PTCP_RUN_F_LOSS_NONE   0x40u
#define PTCP_RUN_F_LOSS_LEND   0x80u
#define PTCP_RUN_F_LOSS_SCARCE 0x100u

/* Called for each packet and each step (see ptcp_run_note). */
struct ptcp_run_note;
typedef void (*ptcp_run_observer)(void *arg, const struct ptcp_run_note *note);

typedef struct ptcp_run_config {
	uint32_t flags;      /* PTCP_RUN_F_* */
	size_t max_events;   /* run at most this many events (0 = all); result.truncated */
	uint64_t max_time;   /* stop at an event later than start + max_time us (0 = none) */
	uint64_t max_steps;  /* stop after this many ptcp_step() calls (0 = none) */
	uint32_t max_io;     /* clamp send / read lengths (0 = as the script says) */
	uint64_t drain;      /* after the last event, fire timers up to this many us later */
	size_t action_cap;   /* the action array (>= PTCP_ACTIONS_MIN; default 64) */
	ptcp_script *record; /* non-NULL: append what ran (see ptcp_run_exec) */
	ptcp_run_observer observe;
	void *arg; /* given to observe */
	/* Violations not to fail on (counted in result.ignored): known findings
	 * while they are open, so that fuzzing can look past them. */
	uint32_t ignore_check;    /* bits 1u << ptcp_check_code (PTCP_RUN_FAIL_CHECK) */
	uint32_t ignore_fail;     /* bits 1u << ptcp_run_fail (the other kinds) */
	const char *ignore_match; /* "NAME/TEXT,...": those whose message contains TEXT */
} ptcp_run_config;

/* Flags 0, no limits, 64 actions, no observer, no recording. */
void ptcp_run_config_default(ptcp_run_config *cfg);

/* ---- Observer notes ----------------------------------------------------- */
typedef enum ptcp_run_note_kind {
	PTCP_RUN_NOTE_PACKET_IN = 1, /* a packet injected (err != 0: dropped by the codec) */
	PTCP_RUN_NOTE_PACKET_OUT,    /* a packet built from an emitted segment */
	PTCP_RUN_NOTE_STEP,          /* one ptcp_step() done */
	PTCP_RUN_NOTE_EXPECT,        /* an expect line matched */
	PTCP_RUN_NOTE_FAIL,          /* a violation (msg) */
	PTCP_RUN_NOTE_KIND_COUNT
} ptcp_run_note_kind;

typedef struct ptcp_run_note {
	ptcp_run_note_kind kind;
	ptcp_time_t time;            /* virtual time (us) */
	size_t event;                /* index of the script event being run (n: the drain) */
	uint32_t line;               /* its source line, 0 if none */
	const ptcp_script_event *ev; /* that event (NULL in the drain) */
	/* PACKET_IN / PACKET_OUT */
	const uint8_t *pkt; /* IP packet bytes */
	size_t len;
	int err; /* PACKET_IN: 0 or the codec's PTCP_E* (dropped) */
	/* STEP */
	const ptcp_input *input;     /* the input fed */
	int ret;                     /* ptcp_step()'s return value */
	const ptcp_actions *actions; /* its actions */
	const ptcp_info *info;       /* the connection after the step */
	const ptcp_conn *conn;
	int timer; /* 1: a PTCP_IN_TIME the runner fed for a due deadline */
	/* FAIL */
	const char *msg;
} ptcp_run_note;

/* ---- Results -------------------------------------------------------------- */
typedef enum ptcp_run_status {
	PTCP_RUN_PASS = 0,
	PTCP_RUN_FAIL,    /* a violation: see fail, event, line, msg */
	PTCP_RUN_INVALID, /* the core rejected the scenario's configuration (ptcp_conn_init) */
	PTCP_RUN_NOMEM    /* the runner ran out of memory (not a core fault) */
} ptcp_run_status;

typedef enum ptcp_run_fail {
	PTCP_RUN_FAIL_NONE = 0,
	PTCP_RUN_FAIL_EXPECT,     /* an expect line matched no action */
	PTCP_RUN_FAIL_UNEXPECTED, /* strict: an emitted segment no expect line named */
	PTCP_RUN_FAIL_CHECK,      /* a harness/check invariant (result.check) */
	PTCP_RUN_FAIL_PACKET,     /* an emitted segment does not build / parse back */
	PTCP_RUN_FAIL_RET,        /* ptcp_step() returned a value it does not document */
	PTCP_RUN_FAIL_DEADLINE,   /* deadline reports inconsistent, or a timer that never fires */
	PTCP_RUN_FAIL_DATA,       /* a byte emitted or read differs from the stream */
	PTCP_RUN_FAIL_COUNT
} ptcp_run_fail;

#define PTCP_RUN_NDROPS (-(PTCP_ERR_MIN) + 1)

typedef struct ptcp_run_result {
	ptcp_run_status status;
	ptcp_run_fail fail;    /* PTCP_RUN_FAIL_NONE unless status is FAIL */
	ptcp_check_code check; /* fail == PTCP_RUN_FAIL_CHECK: the checker's code */
	size_t event;          /* index of the failing event (n: after the last, the drain) */
	uint32_t line;         /* its source line (0 if none) */
	ptcp_time_t time;      /* virtual time of the failure */
	char msg[512];         /* one line: what went wrong */
	/* counters */
	size_t events;                   /* events run */
	uint64_t steps;                  /* ptcp_step() calls */
	uint64_t timers;                 /* PTCP_IN_TIME steps fed for due deadlines */
	uint64_t pkts_in;                /* packets injected (parsed or not) */
	uint64_t pkts_out;               /* segments emitted */
	uint64_t expects;                /* expect lines matched */
	uint64_t drops[PTCP_RUN_NDROPS]; /* injected packets dropped, by -PTCP_E* */
	uint64_t ignored;                /* violations cfg.ignore_* let pass */
	int truncated;    /* a limit (max_events, max_time, max_steps) stopped the run */
	ptcp_time_t end;  /* virtual time at the end */
	ptcp_state state; /* the core's state at the end */
} ptcp_run_result;

/*
 * Ignore the violations named in list, comma-separated items NAME or
 * NAME/TEXT.  NAME: a check code ("stuck", "rcv-edge", ... as
 * ptcp_check_code_name) or a failure kind ("data", "deadline", ... as
 * ptcp_run_fail_name); NAME alone sets its bit in cfg->ignore_check /
 * ignore_fail; NAME/TEXT ignores only the violations whose message contains
 * TEXT (cfg->ignore_match points into list, which must outlive the runs).
 * Returns 0, or -1 at an unknown name.
 */
int ptcp_run_parse_ignore(const char *list, ptcp_run_config *cfg);

const char *ptcp_run_status_name(ptcp_run_status s);
const char *ptcp_run_fail_name(ptcp_run_fail f);

/* ---- Running ------------------------------------------------------------ */
/* A runner: the core, its buffers and scratch space, reused across runs. */
typedef struct ptcp_run ptcp_run;

ptcp_run *ptcp_run_new(void);
void ptcp_run_free(ptcp_run *r);

/*
 * Run s (a valid scenario, as parse and decode give) on a fresh core:
 * ptcp_conn_init() with the scenario's configuration and buffer sizes,
 * then every event.  cfg NULL = the defaults.  res is always filled.
 * With cfg->record, the scenario's header is copied into *record (which
 * must be empty, e.g. after ptcp_script_init) and the run appended: each
 * input event as run (send/read lengths after max_io), a "time" event for
 * each timer step the runner fed, and every action of every step as an
 * expect event (emitted payloads kept).  A recording replays under
 * PTCP_RUN_F_STRICT with the same outcome.
 * Returns res->status.
 */
ptcp_run_status ptcp_run_exec(ptcp_run *r, const ptcp_script *s, const ptcp_run_config *cfg,
                              ptcp_run_result *res);

/* The core after the last run (valid until the next run or ptcp_run_free). */
const ptcp_conn *ptcp_run_conn(const ptcp_run *r);

/* "event 12 (line 30) at 1.250000 s: check snd-order: ..." into buf (snprintf semantics). */
int ptcp_run_result_format(const ptcp_run_result *res, char *buf, size_t cap);

/* ---- The fuzz_conn input ------------------------------------------------ */
/*
 * What fuzz_conn runs for an input (the replay tool uses the same):
 * ptcp_script_decode_binary(data), then byte 0's bits 1..7 (ignored by the
 * decoder) choose a PREFIX that ptcp_run_fuzz_prepare() puts in front of
 * the decoded events, and a few run settings:
 *   bits 1-3  prefix: 0 none (the script opens the connection itself),
 *             1 open (connect / listen per role),
 *             2 handshake done (ESTABLISHED, as client or server),
 *             3 established with 3000 bytes sent, unacknowledged,
 *             4 established with 3000 bytes received out of order
 *               (a hole at the start),
 *             5 the peer closed (CLOSE-WAIT), 6 we closed (FIN-WAIT-1),
 *             7 both closed (TIME-WAIT via FIN-WAIT-2 or CLOSING per role);
 *   bit 4     drain: fire timers up to 10 minutes after the last event;
 *   bit 5     a small action array (PTCP_ACTIONS_MIN);
 *   bits 6-7  the loss area: 0 the connection's for good, 1 none
 *             (PTCP_RUN_F_LOSS_NONE), 2 lent between steps
 *             (PTCP_RUN_F_LOSS_LEND), 3 lent before every other step
 *             (PTCP_RUN_F_LOSS_SCARCE); `ptcp-run --fuzz INPUT` replays
 *             them, but a script imported from the run's pcap runs with
 *             the area for good (the script format does not say).
 * Expect events are dropped (the oracle is the invariants), the work is
 * bounded (PTCP_RUN_FUZZ_* below: segment payloads are cut to
 * PTCP_RUN_FUZZ_SEG bytes, sends and reads to PTCP_RUN_FUZZ_IO), and the configuration is clamped
 * into what ptcp_conn_init() accepts (mss >= 64, rto_initial and rto_min >= 1 us, rto_max >=
 * rto_min, init_cwnd >= 1) so that no input is wasted. Returns 0 or PTCP_SCRIPT_ENOMEM.
 */
#define PTCP_RUN_FUZZ_EVENTS 256            /* events after the prefix */
#define PTCP_RUN_FUZZ_TIME   PTCP_SEC(3600) /* virtual time */
#define PTCP_RUN_FUZZ_STEPS  4096           /* ptcp_step() calls */
#define PTCP_RUN_FUZZ_IO     16384u         /* send / read length */
#define PTCP_RUN_FUZZ_SEG    16384u         /* payload of a segment event (longer: cut) */
#define PTCP_RUN_FUZZ_BUF    (1u << 20)     /* send / receive buffer size */
#define PTCP_RUN_FUZZ_DRAIN  PTCP_SEC(600)

int ptcp_run_fuzz_prepare(const uint8_t *data, size_t len, ptcp_script *out, ptcp_run_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
