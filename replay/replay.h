/*
 * ptcp-replay: crashes and failing scenarios as pcaps, traces and pictures;
 * captures back into scenarios.
 *
 * IMPLEMENTATION NOTES
 * A replay is recorded into a ptcp_replay_rec: the ordered list of what
 * happened while a scenario ran against one core (or, for fuzz_wire, while
 * a packet went through the codec): steps (one per scenario event, with
 * the connection's ptcp_info after it) and packets (injected into the core
 * or emitted by it, as the bytes on the wire, with the virtual time).  The
 * writers read a record:
 *   ptcp_replay_write_pcap()   libpcap savefile (pcap_open_dead + pcap_dump),
 *                              Ethernet with made-up MACs (the core's MAC is
 *                              PTCP_REPLAY_MAC_CORE, so that an import knows
 *                              which end was the core), microsecond stamps
 *                              from the virtual clock;
 *   ptcp_replay_write_trace()  a tcpdump-like text trace, one line per event;
 *   ptcp_replay_write_svg()    a time-sequence diagram (Stevens / tcptrace).
 * ptcp_replay_import() goes the other way: one TCP connection of a pcap or
 * pcapng capture becomes the event script that replays the peer's side.
 * Nothing here prints; errors come back as messages.
 */
#ifndef PTCP_REPLAY_H
#define PTCP_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ptcp/ptcp.h"
#include "script.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Made-up, locally administered MAC addresses of the Ethernet frames. */
#define PTCP_REPLAY_MAC_CORE                                                                       \
	{                                                                                          \
		0x02, 0x70, 0x74, 0x63, 0x70, 0x01                                                 \
	} /* 02:70:74:63:70:01 "ptcp" */
#define PTCP_REPLAY_MAC_PEER                                                                       \
	{                                                                                          \
		0x02, 0x70, 0x74, 0x63, 0x70, 0x02                                                 \
	}

typedef enum ptcp_replay_dir {
	PTCP_REPLAY_IN = 0,  /* injected: peer -> core */
	PTCP_REPLAY_OUT = 1, /* emitted: core -> peer */
} ptcp_replay_dir;

typedef struct ptcp_replay_pkt {
	uint64_t t;      /* virtual time, us */
	uint32_t step;   /* index of the step it belongs to in rec->step */
	uint8_t dir;     /* ptcp_replay_dir */
	uint8_t dropped; /* lost in the network (simulator): goes to the drops pcap */
	int16_t err;     /* the codec's verdict on the bytes (0: a good packet) */
	uint32_t len;
	uint8_t *data;  /* malloc'd */
	char label[40]; /* shown in the trace, e.g. "rebuilt by the codec" */
} ptcp_replay_pkt;

typedef struct ptcp_replay_step {
	uint64_t t;
	uint32_t event;   /* index of the scenario event (0-based) */
	uint8_t has_info; /* info is valid */
	uint8_t failed;   /* the step where the run failed */
	ptcp_info info;   /* the core after the step */
	char what[128];   /* the event, e.g. "send 1000 -> 1000" */
} ptcp_replay_step;

typedef struct ptcp_replay_rec {
	/* the connection: the core's end and the peer's */
	ptcp_addr local, peer;
	uint16_t local_port, peer_port;
	uint8_t have_conn; /* the fields above are known */
	uint8_t role;      /* ptcp_script_role */
	uint32_t isn_local, isn_peer;
	uint8_t have_isn;   /* relative numbers are possible */
	uint8_t multi_conn; /* packets of other connections too: the SVG draws this one only */

	ptcp_replay_step *step;
	size_t nstep, step_cap;
	ptcp_replay_pkt *pkt;
	size_t npkt, pkt_cap;
	/* packets added belong to the next step added (a runner reports a step's
	 * packets before the step), or with attach_next 0 to the last one */
	uint8_t attach_next;
	uint8_t fail_next; /* the next step added is the failing one */

	/* the verdict */
	int ran;        /* the replay ran to the end or to the failure */
	int failed;     /* a check failed */
	long fail_step; /* index in step[] or -1 */
	char target[32];
	char verdict[640]; /* "passed" or the failure */
	char note[640];    /* more about the run, or empty */
} ptcp_replay_rec;

void ptcp_replay_rec_init(ptcp_replay_rec *r);
void ptcp_replay_rec_free(ptcp_replay_rec *r);
/* Append a step; NULL when out of memory. */
ptcp_replay_step *ptcp_replay_add_step(ptcp_replay_rec *r, uint64_t t, uint32_t event);
/* Append a packet (bytes copied), see attach_next.  Returns 0 or -1 (memory). */
int ptcp_replay_add_pkt(ptcp_replay_rec *r, uint64_t t, ptcp_replay_dir dir, const uint8_t *data,
                        size_t len, int dropped);
/* Take the connection's addresses and ISNs from a scenario. */
void ptcp_replay_rec_set_script(ptcp_replay_rec *r, const ptcp_script *s);
/*
 * A check failed (msg): the step it belongs to is the next one added when
 * packets of that step are pending (a runner reports a step's packets before
 * the step), else the last one.
 */
void ptcp_replay_rec_fail(ptcp_replay_rec *r, const char *msg);

/* ---- Writers ------------------------------------------------------------ */
/*
 * The pcap of every packet that was not dropped to path, and of the dropped
 * ones to drops_path (when non-NULL and there are any).  Returns the number
 * of packets written to path, or -1 with a message in err.
 */
long ptcp_replay_write_pcap(const ptcp_replay_rec *r, const char *path, const char *drops_path,
                            char *err, size_t errcap);
/* The text trace.  Returns 0 or -1 (write error). */
int ptcp_replay_write_trace(const ptcp_replay_rec *r, const char *title, FILE *f);
/* The time-sequence diagram.  Returns 0 or -1 (write error). */
int ptcp_replay_write_svg(const ptcp_replay_rec *r, const char *title, FILE *f);

/*
 * One packet as a tcpdump-like line (no newline): "10.0.0.1.40000 >
 * 10.0.0.2.80: Flags [S], seq 0, win 65535, options [...], length 0", with
 * sequence numbers relative to isn_src / isn_dst when rel is set; a packet
 * the codec rejects is described with the codec's reason.  snprintf
 * semantics.
 */
int ptcp_replay_format_pkt(const uint8_t *data, size_t len, int rel, uint32_t isn_src,
                           uint32_t isn_dst, char *buf, size_t cap);

/* ---- Running ------------------------------------------------------------ */
typedef enum ptcp_replay_target {
	PTCP_REPLAY_AUTO = 0,
	PTCP_REPLAY_SCRIPT,     /* a text event script (also a shrunk property scenario) */
	PTCP_REPLAY_FUZZ_CONN,  /* a binary fuzz_conn input (ptcp_run_fuzz_prepare) */
	PTCP_REPLAY_FUZZ_WIRE,  /* raw packet bytes (the fuzz_wire oracle) */
	PTCP_REPLAY_FUZZ_DRILL, /* a packetdrill script */
	PTCP_REPLAY_SIM,        /* a ptcp-sim command line, or the event script ptcp-sim records */
	PTCP_REPLAY_FUZZ_SIM,   /* a fuzz_sim input (the simulator, with the target's oracle) */
	PTCP_REPLAY_TARGET_COUNT
	/* values past PTCP_REPLAY_TARGET_COUNT: the other fuzz targets of oracles.def */
} ptcp_replay_target;

/* "script", "fuzz_conn", ... ; ptcp_replay_target_parse returns -1 for an unknown name. */
const char *ptcp_replay_target_name(ptcp_replay_target t);
int ptcp_replay_target_parse(const char *name);
/* The names --target takes, comma-separated, into buf (always terminated). */
void ptcp_replay_target_list(char *buf, size_t cap);

/*
 * Guess what an input is: a capture (returns -1: use --import), a file
 * whose name contains "fuzz_sim" or "fuzz_listener" (an input of that
 * target: nothing in their bytes tells them apart), a ptcp-sim command
 * line (sim), a text event script, a packetdrill script, one IP packet
 * (fuzz_wire) or else a binary fuzz_conn input; an empty input is -1 too.
 * why says how it was told.
 */
int ptcp_replay_detect(const uint8_t *data, size_t len, const char *name, char *why, size_t cap);

typedef struct ptcp_replay_opts {
	uint32_t run_flags; /* PTCP_RUN_F_* for text scripts (fuzz_conn uses the fuzzer's) */
	uint64_t drain;     /* text scripts: fire timers this long after the last event */
	int fork;           /* run in a child process, so that a crash still gives the outputs */
} ptcp_replay_opts;

/*
 * Re-run an input against the core with the checks of the target that found
 * the failure, recording into rec (initialised).  Returns 0 when it ran
 * (rec->failed says whether a check failed or the core crashed; rec->verdict
 * says why), or -1 with a message in err when the input cannot be run
 * (syntax error, unsupported target, out of memory).
 */
int ptcp_replay_run(ptcp_replay_target t, const uint8_t *data, size_t len, const char *name,
                    const ptcp_replay_opts *o, ptcp_replay_rec *rec, char *err, size_t errcap);

/* ---- ICMP errors (icmp.c) -------------------------------------------------- */
/* An ICMP error about a TCP segment: the quoted segment went src:sport -> dst:dport. */
typedef struct ptcp_replay_icmp {
	unsigned kind;      /* ptcp_icmp_kind */
	uint32_t mtu;       /* frag-needed / packet too big */
	ptcp_addr from, to; /* the ICMP packet's addresses */
	ptcp_addr src, dst; /* the quoted packet's */
	uint16_t sport, dport;
	uint32_t seq; /* the quoted sequence number */
} ptcp_replay_icmp;

/*
 * The ICMP (IPv4) or ICMPv6 packet (per core->family) of an ICMP error of
 * kind about a segment the core sent (core -> peer, sequence number seq),
 * sent by the peer's address to the core.  Returns the length or
 * PTCP_ENOBUFS (cap < 96), PTCP_EINVAL (unknown kind).
 */
int ptcp_replay_icmp_build(uint8_t *out, size_t cap, const ptcp_addr *core, uint16_t core_port,
                           const ptcp_addr *peer, uint16_t peer_port, unsigned kind, uint32_t mtu,
                           uint32_t seq);
/* 0 when pkt is an ICMP error this tool knows, quoting a TCP header; else -1. */
int ptcp_replay_icmp_parse(const uint8_t *pkt, size_t len, ptcp_replay_icmp *out);
const char *ptcp_replay_icmp_name(unsigned kind);

/* ---- Import ------------------------------------------------------------- */
typedef struct ptcp_replay_import_opts {
	const char *flow;          /* "SRC:PORT-DST:PORT" (SRC = the core) or NULL: the first */
	const ptcp_script *header; /* take the configuration from this scenario, or NULL */
	int no_check;              /* do not run the result against the core */
	unsigned long budget;      /* runs allowed for placing inferred calls (0: 20000) */
} ptcp_replay_import_opts;

typedef struct ptcp_replay_import_stats {
	unsigned long frames;  /* records read */
	unsigned long tcp;     /* TCP packets */
	unsigned long in_flow; /* packets of the chosen connection */
	unsigned long non_tcp; /* skipped: not IP, not TCP, fragments */
	unsigned long
	    truncated; /* skipped: shorter than their length on the wire or than their headers */
	unsigned long raw;  /* peer packets kept as raw (bad checksum or options) */
	unsigned long icmp; /* ICMP errors about the core's segments, as icmp events */
	int linktype;
	/* the check: the scenario run against the core (unless no_check) */
	int checked, match;
	size_t events;
	unsigned long trials; /* runs it took */
	char check[768];
	char flow[256]; /* the chosen connection, "core A:p <-> peer B:q" */
} ptcp_replay_import_stats;

/*
 * Read a pcap / pcapng capture and write into out (a new scenario) the
 * event script of one TCP connection.  Unless o->no_check, the scenario is
 * run against the core, the inferred application calls are moved where the
 * run then follows the capture furthest, and st->check says whether the
 * core replays it as captured or where it departs (a scenario is written
 * either way).  Returns 0, or -1 with a message in
 * err (not a capture, truncated file, no TCP connection, no handshake, out
 * of memory).
 */
int ptcp_replay_import(const char *path, const ptcp_replay_import_opts *o, ptcp_script *out,
                       ptcp_replay_import_stats *st, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
