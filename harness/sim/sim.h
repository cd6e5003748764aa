/*
 * ptcp-sim: a deterministic network simulator for ptcp cores.
 *
 * IMPLEMENTATION NOTES
 * A run connects K client cores (host A, 10.0.0.1, ports 40000+i) to K
 * server cores (host B, 10.0.0.2, ports 10000+i) through two simulated
 * links, A->B and B->A, shared by all connections.  Time is virtual
 * (ptcp_time_t microseconds).  One binary heap orders every event: packet
 * deliveries, ICMP errors, core deadlines and application wake-ups, by
 * (time, insertion number): ties are broken by the order in which events
 * were scheduled, so a run is a pure function of its configuration.
 *
 * Everything random comes from one 64-bit seed: splitmix64 expands it into
 * independent xoshiro256** streams (one per link, one per application end,
 * one for ISNs and timestamp offsets).  No rand(), no clock: the same seed
 * and configuration give the same run bit for bit; the run's trace hash
 * (a 64-bit hash over every step, emitted segment and link decision)
 * witnesses that.
 *
 * A packet's life: the core emits a ptcp_seg; the simulator builds the
 * packet with ptcp_wire_build_packet() and hands it to the link:
 *   MTU: larger than the link MTU -> dropped, an ICMP frag-needed with the
 *        MTU and the quoted sequence number goes back to the sender;
 *   bandwidth: serialization behind the previous packets (ns resolution),
 *        with a tail-drop queue of `queue` packets;
 *   loss, duplication (the copy draws its own delay and corruption),
 *   corruption (one random byte XORed with a random non-zero value),
 *   delay + uniform jitter, reordering (some packets get an extra delay).
 * On arrival the packet is parsed by ptcp_wire_parse_packet(); a failure
 * is counted by the codec's error code and the packet never reaches the
 * core.  A corrupted packet that parses, or a clean one that does not, is
 * a failure of the run, except a flip in an IPv6 header field that no
 * checksum covers (traffic class, flow label, hop limit): that packet is
 * delivered and counted as corrupted_harmless.
 *
 * After every ptcp_step() the invariant checker (harness/check) runs on the
 * stepped core, on every segment it emitted (check_emit, check_pair against
 * the peer) and on every byte an application reads (one stream checker per
 * direction).  After every event the liveness check runs on the
 * connection: when neither end has a deadline, no packet of it is in flight
 * and no application wake-up is due, no end may hold unacknowledged, unsent
 * or unread data; and a retransmission timeout must send something
 * (ptcp_check_rto).  The first violation stops the run: res->why holds
 * the seed, the virtual time and the violation.
 *
 * Application models (per connection, see sim_app.c):
 *   bulk   the client writes `bytes` bytes then closes; the server reads
 *          to the end of the stream then closes;
 *   echo   the client writes `bytes` bytes then shuts down writing and
 *          reads the echo to the end; the server writes back all it reads;
 *   rr     request/response: the client sends a request of random size
 *          (1..16 KiB), the server answers with a random size (1..64 KiB),
 *          until `bytes` request bytes were sent; then both close;
 *   random send / read / shutdown / close / abort at random times (seeded),
 *          then every end reads what is left and closes.
 * Stream data: the byte at stream offset k is ptcp_sim_pattern(k) (the same
 * pattern as event scripts), and the stream checker compares every byte.
 *
 * Observer: cfg.observe's callbacks see every packet with the link's
 * verdict, every step and the failure (see ptcp_sim_observer); they are
 * called from the places that decide, and change nothing (same hash).
 */
#ifndef PTCP_SIM_H
#define PTCP_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "ptcp/ptcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded by splitmix64 -------- */
typedef struct ptcp_sim_rng {
	uint64_t s[4];
} ptcp_sim_rng;

/* splitmix64: advances *state and returns the next output. */
uint64_t ptcp_sim_splitmix64(uint64_t *state);
/* Seed the four words of xoshiro256** from splitmix64(seed). */
void ptcp_sim_rng_seed(ptcp_sim_rng *r, uint64_t seed);
uint64_t ptcp_sim_rng_next(ptcp_sim_rng *r);
/* Uniform in [0, n) (n = 0 gives 0), without modulo bias. */
uint64_t ptcp_sim_rng_below(ptcp_sim_rng *r, uint64_t n);
/* The threshold t such that ptcp_sim_rng_next() < t has probability pct/100. */
uint64_t ptcp_sim_pct_threshold(double pct);

/* The byte at stream offset k (identical to ptcp_script_pattern()). */
static inline uint8_t ptcp_sim_pattern(uint64_t k)
{
	uint32_t x = (uint32_t)k;
	return (uint8_t)(x ^ (x >> 8) ^ (x >> 16) ^ (x >> 24));
}

/* ---- Configuration ------------------------------------------------------ */
typedef struct ptcp_sim_link {
	ptcp_time_t delay;  /* one-way propagation delay */
	ptcp_time_t jitter; /* plus uniform [0, jitter] per packet */
	uint64_t bw;        /* bits per second; 0 = no serialization delay */
	uint32_t queue;     /* bottleneck queue in packets (with bw); 0 = unlimited */
	uint32_t mtu;       /* larger packets are dropped with an ICMP; 0 = none */
	double loss;        /* percentages, 0 .. 100, decimals allowed */
	double dup;
	double reorder;
	double corrupt;
	ptcp_time_t reorder_delay; /* a reordered packet waits 1 .. this more; 0 = delay */
} ptcp_sim_link;

typedef enum ptcp_sim_app {
	PTCP_SIM_BULK = 0,
	PTCP_SIM_ECHO,
	PTCP_SIM_RR,
	PTCP_SIM_RANDOM,
	PTCP_SIM_APP_COUNT
} ptcp_sim_app;

/* Link drop reasons. */
typedef enum ptcp_sim_drop {
	PTCP_SIM_DROP_LOSS = 0, /* random loss */
	PTCP_SIM_DROP_QUEUE,    /* tail drop at the bottleneck queue */
	PTCP_SIM_DROP_MTU,      /* larger than the link MTU (ICMP sent) */
	PTCP_SIM_DROP_CODEC,    /* the receiver's parse rejected it (see codec[]) */
	PTCP_SIM_DROP_NOPORT,   /* no core on that port */
	PTCP_SIM_DROP_COUNT
} ptcp_sim_drop;

/* ---- Observer ------------------------------------------------------------ */
/*
 * What the network did with a packet.  Every packet a core emits is
 * reported once as SENT (the bytes as built, at the time the core emitted
 * it), then, per copy the link makes, exactly once as DELIVERED (the bytes
 * as the receiving core gets them, at the arrival time) or DROPPED (the
 * bytes as they were when dropped: at the send time for loss / queue / MTU,
 * at the arrival time for codec / no-port drops).  A packet larger than the
 * link MTU is DROPPED (mtu) and its ICMP error arrives at the sender as
 * ICMP (data: the packet it quotes, mtu and seq set; `from` is the end the
 * error goes to).  When a check fails on a packet, the run stops there and
 * the packet may have no verdict after SENT.
 */
typedef enum ptcp_sim_verdict {
	PTCP_SIM_SENT = 0,
	PTCP_SIM_DELIVERED,
	PTCP_SIM_DROPPED,
	PTCP_SIM_ICMP,
} ptcp_sim_verdict;

/* ptcp_sim_pkt_note.flags: what happened to this copy on the link */
#define PTCP_SIM_PKT_DUPLICATE 0x01u /* the second copy of a duplicated packet */
#define PTCP_SIM_PKT_REORDERED 0x02u /* held back an extra (reordering) delay */
#define PTCP_SIM_PKT_CORRUPTED 0x04u /* a byte was flipped (corrupt_pos) */

typedef struct ptcp_sim_pkt_note {
	ptcp_time_t t; /* virtual time of the verdict */
	ptcp_sim_verdict verdict;
	ptcp_sim_drop drop;   /* DROPPED: why */
	int codec_err;        /* DROPPED by the codec: its PTCP_E* code */
	unsigned conn;        /* the connection's index */
	uint8_t from;         /* the sending end: 0 client (host A), 1 server (host B) */
	uint8_t flags;        /* PTCP_SIM_PKT_* */
	uint32_t corrupt_pos; /* CORRUPTED: the byte flipped */
	uint32_t mtu, seq;    /* ICMP: the MTU and the quoted sequence number */
	const uint8_t *data;  /* the IP packet (valid during the call) */
	size_t len;
} ptcp_sim_pkt_note;

/* One ptcp_step() of a core, reported after its actions were handled. */
typedef struct ptcp_sim_step_note {
	ptcp_time_t t;
	unsigned conn;
	uint8_t side;          /* 0 client (host A), 1 server (host B) */
	ptcp_input_kind input; /* what was stepped */
	const char *input_name;
	int ret;               /* ptcp_step's result */
	const ptcp_conn *core; /* the core after the step (read it with ptcp_conn_info) */
} ptcp_sim_step_note;

/*
 * Observer callbacks (ptcp_sim_config.observe): any may be NULL.  They only
 * watch: the run is the same with or without them (same trace hash).
 * fail is called once, with res->why, when the run fails.
 */
typedef struct ptcp_sim_observer {
	void (*pkt)(void *arg, const ptcp_sim_pkt_note *n);
	void (*step)(void *arg, const ptcp_sim_step_note *n);
	void (*fail)(void *arg, ptcp_time_t t, const char *why);
	void *arg;
} ptcp_sim_observer;

typedef struct ptcp_sim_config {
	uint64_t seed;
	uint64_t bytes; /* per connection: bulk/echo payload, rr request budget, random budget */
	ptcp_sim_app app;
	unsigned conns;        /* connections, 1 .. 20000 */
	ptcp_sim_link link[2]; /* [0] client->server (A->B), [1] server->client */
	uint32_t sndbuf;       /* per core; default 256 KiB */
	uint32_t rcvbuf;
	unsigned ooo_ranges; /* 0: each core's own reassembly pool (PTCP_OOO_MAX ranges);
	                        1 .. 32767: a pool of that many lent (ptcp_conn_set_ooo_pool) */
	unsigned loss_areas; /* 0: each core has its own loss area (ptcp_loss) for good;
	                        K > 0: K areas shared by all cores, lent before a step to a core
	                        without one and taken back after a step that leaves it unused
	                        (as a ptcp_table's loss_areas pool) */
	ptcp_config core;    /* base configuration of every core (ts_offset drawn per core) */
	int ipv6;            /* fd00::1 / fd00::2 instead of 10.0.0.1 / 10.0.0.2 */
	int check;           /* run the invariant checker (default 1) */
	ptcp_time_t
	    heal; /* faults (loss, dup, reorder, corrupt, jitter) stop at this time; 0 = never */
	ptcp_time_t max_time; /* virtual time limit (default 1 hour) */
	FILE *trace;          /* a text trace, one line per event, or NULL */
	FILE *script;         /* an event script of connection 0's client, or NULL (if built in) */
	ptcp_sim_observer observe; /* packet / step / failure callbacks (all NULL: none) */
} ptcp_sim_config;

#define PTCP_SIM_CODEC_COUNT (1 - PTCP_ERR_MIN) /* codec[-err] */

typedef struct ptcp_sim_result {
	int ok;              /* 1: no violation, every connection completed */
	char why[640];       /* the failure: seed, virtual time, what */
	uint64_t hash;       /* hash of the full event trace */
	uint64_t events;     /* events taken from the heap */
	uint64_t steps;      /* ptcp_step() calls */
	uint64_t written[2]; /* stream bytes written: [0] client->server, [1] server->client */
	uint64_t read[2];    /* stream bytes read (checked) */
	uint64_t segs;       /* segments emitted by the cores */
	uint64_t delivered;  /* packets handed to a core */
	uint64_t retransmits, rto_fired; /* ptcp_conn_stats, summed */
	uint64_t drops[PTCP_SIM_DROP_COUNT];
	uint64_t codec[PTCP_SIM_CODEC_COUNT]; /* codec rejections by -PTCP_E* */
	uint64_t core_drops[PTCP_DROP_COUNT]; /* ptcp_stats.drops, summed */
	uint64_t dups, reordered, corrupted, icmp;
	uint64_t corrupted_harmless;       /* corrupted in an IPv6 header field no checksum covers:
	                                      delivered (traffic class, flow label, hop limit) */
	ptcp_time_t vtime;                 /* virtual duration */
	double wall;                       /* wall-clock seconds */
	unsigned states[PTCP_STATE_COUNT]; /* final states of the cores */
	unsigned errors;                   /* cores that died with an error (reset, timeout, ...) */
	unsigned completed;                /* connections whose application model completed */
	unsigned loss_peak;                /* most loss areas lent at once (loss_areas > 0) */
	uint64_t loss_empty; /* steps of a core without an area that found the pool empty */
} ptcp_sim_result;

void ptcp_sim_config_default(ptcp_sim_config *cfg);
/* 1 when built with harness/script: ptcp_sim_config.script can be used. */
int ptcp_sim_have_script(void);
const char *ptcp_sim_app_name(ptcp_sim_app a);
const char *ptcp_sim_drop_name(ptcp_sim_drop d);

/*
 * Run one simulation.  Returns 0 when the run passed (res->ok = 1), 1 when
 * it failed (res->why), -1 on a setup error (bad configuration, out of
 * memory; res->why).
 */
int ptcp_sim_run(const ptcp_sim_config *cfg, ptcp_sim_result *res);

/* A multi-line summary of a run. */
void ptcp_sim_print_summary(FILE *f, const ptcp_sim_config *cfg, const ptcp_sim_result *res);
/* One line (for --seeds). */
void ptcp_sim_print_line(FILE *f, const ptcp_sim_config *cfg, const ptcp_sim_result *res);

#ifdef __cplusplus
}
#endif
#endif
