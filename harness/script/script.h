/*
 * ptcp event scripts: a scenario is a list of timed events against ONE core
 * (inject a segment, a raw packet or an ICMP error, an application call,
 * let time pass) plus "expect" lines recording what the core emitted.
 *
 * Two encodings of the same in-memory scenario (ptcp_script):
 *
 *  TEXT, for people (ptcp_script_parse_text / ptcp_script_format_text).
 *    One event per line, tcpdump/packetdrill-like, '#' comments.  The full
 *    syntax is described at the top of script_text.c.
 *
 *  BINARY, for fuzzers (ptcp_script_decode_binary / ptcp_script_encode_binary).
 *    Any byte string decodes to some valid scenario: decoding never fails
 *    (except out of memory) and never reads out of bounds.  The layout is
 *    described at the top of script_bin.c.  Expect events are kept.
 *
 * For every valid scenario s: parse(format(s)) == s and decode(encode(s)) == s
 * (ptcp_script_compare()).  Both parse and decode produce only valid
 * scenarios (ptcp_script_validate()): every field inside the domains below.
 *
 * Sequence numbers in segment events are RELATIVE, as in packetdrill:
 *   inbound (PTCP_SCRIPT_SEGMENT, '<'):  seq - peer ISN, ack - local ISN;
 *   outbound (PTCP_SCRIPT_EXPECT_SEG, '>'): seq - local ISN, ack - peer ISN.
 * SACK blocks in the options are relative to the same base as ack; timestamp
 * values are absolute.  The ICMP quoted seq is relative to the local ISN.
 *
 * Payload bytes that are not given explicitly come from ptcp_script_pattern():
 * the byte at stream offset k (k = relative seq - 1 + SYN for a segment; for
 * send events the number of bytes the application had sent before) is
 * ptcp_script_pattern(k).
 */
#ifndef PTCP_SCRIPT_H
#define PTCP_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ptcp/ptcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Return codes (distinct from the core's PTCP_E*) -------------------- */
#define PTCP_SCRIPT_OK      0
#define PTCP_SCRIPT_ESYNTAX (-101) /* text error: see ptcp_script_error */
#define PTCP_SCRIPT_ENOMEM  (-102) /* allocation failed */

/* ---- Domains (parse rejects values outside; decode clamps into them) ---- */
#define PTCP_SCRIPT_TIME_MAX        ((((uint64_t)1) << 40) - 1) /* us, ~12.7 days */
#define PTCP_SCRIPT_SEG_PAYLOAD_MAX 65000u                      /* payload of one segment event */
#define PTCP_SCRIPT_RAW_MAX         65535u                      /* bytes of a raw packet */
#define PTCP_SCRIPT_IO_MAX          (1u << 20)                  /* send / read length */
#define PTCP_SCRIPT_BUF_MAX         (1u << 24)                  /* send / receive buffer size */
#define PTCP_SCRIPT_EVENTS_MAX      (1u << 20)                  /* events in one scenario */
#define PTCP_SCRIPT_WSCALE_AUTO     0xffu      /* config wscale: smallest covering rcvbuf */
#define PTCP_SCRIPT_STATE_ANY       0xffu      /* expect state: any "from" */
#define PTCP_SCRIPT_DEADLINE_NEVER  UINT64_MAX /* expect deadline: none */

/* ---- Header ------------------------------------------------------------- */
/* Config flags a scenario can set (all PTCP_CFG_* bits known here). */
#define PTCP_SCRIPT_CFG_FLAGS_ALL                                                                  \
	(PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK | PTCP_CFG_NODELAY |                \
	 PTCP_CFG_SS_IDLE | PTCP_CFG_ECN | PTCP_CFG_LIMITED_TX | PTCP_CFG_TLP | PTCP_CFG_CORK |    \
	 PTCP_CFG_RACK | PTCP_CFG_RST_KEEP_DATA | PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX |              \
	 PTCP_CFG_DELIVERED | PTCP_CFG_NO_FASTPATH | PTCP_CFG_ACK_UNSENT_SILENT |                  \
	 PTCP_CFG_CLOSED_DATA_RST_REPLY | PTCP_CFG_ZWP_NO_DATA | PTCP_CFG_ABORT_RST_ACK |          \
	 PTCP_CFG_ICMP_SYNRECV_HARD | PTCP_CFG_RTO_LINUX | PTCP_CFG_PUSH_LINUX |                   \
	 PTCP_CFG_RCV_CLAMP | PTCP_CFG_MTU_PROBE | PTCP_CFG_NAGLE_MINSHALL)
/* The default flags (as ptcp_config_default()). */
#define PTCP_SCRIPT_CFG_FLAGS_DEFAULT                                                              \
	(PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK | PTCP_CFG_SS_IDLE |                \
	 PTCP_CFG_LIMITED_TX | PTCP_CFG_TLP | PTCP_CFG_RACK | PTCP_CFG_PRR)

/* Congestion control (config cc=). */
#define PTCP_SCRIPT_CC_CUBIC 0 /* the core's default (ptcp_config.cc NULL) */
#define PTCP_SCRIPT_CC_RENO  1
#define PTCP_SCRIPT_CC_COUNT 2

/* The flags a setopt event can set (the live ones, see PTCP_IN_SETOPT). */
#define PTCP_SCRIPT_SETOPT_FLAGS (PTCP_CFG_NODELAY | PTCP_CFG_CORK)

typedef enum ptcp_script_role { PTCP_SCRIPT_CLIENT = 0, PTCP_SCRIPT_SERVER = 1 } ptcp_script_role;

/*
 * The scenario's configuration: the ptcp_config fields (same meaning and
 * defaults as in ptcp.h, see ptcp_script_config_default) plus the buffer
 * sizes and the absolute time of the first event.  Domains:
 *   flags: PTCP_SCRIPT_CFG_FLAGS_ALL bits only; cc: PTCP_SCRIPT_CC_*;
 *   mss 1..65535; wscale 0..14 or PTCP_SCRIPT_WSCALE_AUTO; init_cwnd 1..65535;
 *   quickack 0..65535; *_retries and keepalive_cnt 0..255;
 *   times 0..PTCP_SCRIPT_TIME_MAX; sndbuf, rcvbuf 1..PTCP_SCRIPT_BUF_MAX.
 */
typedef struct ptcp_script_config {
	uint32_t flags;
	uint16_t mss;
	uint8_t wscale;
	uint8_t syn_retries;
	uint8_t synack_retries;
	uint8_t max_retries;
	uint16_t init_cwnd;
	uint64_t rto_initial;
	uint64_t rto_min;
	uint64_t rto_max;
	uint64_t msl;
	uint64_t fin_wait2_timeout;
	uint64_t user_timeout;
	uint32_t ts_offset;
	uint32_t sndbuf;
	uint32_t rcvbuf;
	uint64_t start; /* absolute time (us) of the first event; not a ptcp_config field */
	uint64_t delack;
	uint16_t quickack;
	uint8_t keepalive_cnt;
	uint32_t challenge_ack_limit;
	uint64_t keepalive_idle;
	uint64_t keepalive_intvl;
	uint8_t cc; /* PTCP_SCRIPT_CC_* */
} ptcp_script_config;

/* ---- Events ------------------------------------------------------------- */
typedef enum ptcp_script_kind {
	PTCP_SCRIPT_SEGMENT = 0,     /* '<': inject a segment from fields */
	PTCP_SCRIPT_RAW,             /* raw: inject packet bytes (through the wire codec) */
	PTCP_SCRIPT_ICMP,            /* icmp: an ICMP error about the connection */
	PTCP_SCRIPT_CONNECT,         /* connect (local/peer addr, local ISN; Fast Open, data) */
	PTCP_SCRIPT_LISTEN,          /* listen (local addr or any, local ISN) */
	PTCP_SCRIPT_SEND,            /* send N bytes (pattern) or given bytes */
	PTCP_SCRIPT_READ,            /* read N bytes (or discard them) */
	PTCP_SCRIPT_SHUTDOWN,        /* shutdown rd|wr|rdwr */
	PTCP_SCRIPT_CLOSE,           /* close */
	PTCP_SCRIPT_ABORT,           /* abort */
	PTCP_SCRIPT_TIME,            /* PTCP_IN_TIME */
	PTCP_SCRIPT_SETOPT,          /* PTCP_IN_SETOPT: the options a live connection may change */
	PTCP_SCRIPT_EXPECT_SEG,      /* '>': the core emitted a segment */
	PTCP_SCRIPT_EXPECT_STATE,    /* '= state': PTCP_ACT_STATE */
	PTCP_SCRIPT_EXPECT_EVENT,    /* '= event': PTCP_ACT_EVENT */
	PTCP_SCRIPT_EXPECT_READABLE, /* '= readable': PTCP_ACT_READABLE */
	PTCP_SCRIPT_EXPECT_WRITABLE, /* '= writable': PTCP_ACT_WRITABLE */
	PTCP_SCRIPT_EXPECT_DEADLINE, /* '= deadline': PTCP_ACT_DEADLINE, relative to the event time
	                              */
	PTCP_SCRIPT_EXPECT_RET,      /* '= ret': return value of the previous app call */
	PTCP_SCRIPT_KIND_COUNT
} ptcp_script_kind;

/* Wildcards of an expected segment ('*' in the text). */
#define PTCP_SCRIPT_WILD_SEQ  0x01u
#define PTCP_SCRIPT_WILD_ACK  0x02u
#define PTCP_SCRIPT_WILD_WIN  0x04u
#define PTCP_SCRIPT_WILD_OPTS 0x08u
#define PTCP_SCRIPT_WILD_LEN  0x10u /* payload length (and content) */
#define PTCP_SCRIPT_WILD_ALL  0x1fu

/* ECN code points (IP ECN bits). */
#define PTCP_SCRIPT_ECN_NOT  0
#define PTCP_SCRIPT_ECN_ECT1 1
#define PTCP_SCRIPT_ECN_ECT0 2
#define PTCP_SCRIPT_ECN_CE   3

/*
 * A segment, relative.  Invariants: reserved <= 15, ecn <= 3, opt_len <= 40,
 * len <= PTCP_SCRIPT_SEG_PAYLOAD_MAX; payload NULL or len bytes (malloc'd,
 * owned); !has_ports => sport == dport == 0; wild only in expected
 * segments, and a wildcard field is 0 (WILD_LEN: len 0, payload NULL).
 */
typedef struct ptcp_script_seg {
	uint8_t flags;     /* PTCP_FIN ... PTCP_CWR */
	uint8_t reserved;  /* the 4 reserved header bits (incl. AE) */
	uint8_t ecn;       /* IP ECN bits */
	uint8_t wild;      /* PTCP_SCRIPT_WILD_* (expected segments only) */
	uint8_t has_ports; /* 1: sport/dport override the addr ports */
	uint8_t opt_len;
	uint16_t win; /* raw window field */
	uint16_t urp;
	uint16_t sport, dport;
	uint32_t seq;                  /* relative */
	uint32_t ack;                  /* relative */
	uint32_t len;                  /* payload length */
	uint8_t opt[PTCP_TCP_OPT_MAX]; /* raw option bytes (SACK blocks relative) */
	uint8_t *payload;              /* NULL: pattern (inbound) / not checked (expected) */
} ptcp_script_seg;

typedef struct ptcp_script_event {
	ptcp_script_kind kind;
	uint64_t delta; /* us after the previous event (0..PTCP_SCRIPT_TIME_MAX) */
	uint32_t line;  /* source line in the text, 0 if none (not compared) */
	union {
		ptcp_script_seg seg; /* SEGMENT, EXPECT_SEG */
		struct {
			uint8_t *data; /* malloc'd, NULL iff len == 0 */
			uint32_t len;  /* <= PTCP_SCRIPT_RAW_MAX */
		} raw;
		struct {
			uint8_t type; /* ptcp_icmp_kind, 1..PTCP_ICMP_KIND_COUNT-1 */
			uint32_t mtu;
			uint32_t seq; /* relative to the local ISN */
		} icmp;
		struct {
			uint8_t any; /* listen on any local address */
		} listen;
		/* CONNECT (all 0: a plain connect).  Fast Open (RFC 7413): tfo puts
		 * the option in the SYN, a cookie request when tfo_len is 0, else
		 * the cookie (tfo_len <= PTCP_TFO_COOKIE_MAX bytes, the rest 0);
		 * tfo_mss the cached MSS (0 = 536).  len: pattern bytes (stream
		 * offset 0) handed over with the connect (<= PTCP_SCRIPT_IO_MAX);
		 * without tfo: tfo_len, tfo_mss and the cookie are 0. */
		struct {
			uint8_t tfo;
			uint8_t tfo_len;
			uint8_t tfo_cookie[PTCP_TFO_COOKIE_MAX];
			uint16_t tfo_mss;
			uint32_t len;
		} connect;
		/* SETOPT: the ptcp_config fields PTCP_IN_SETOPT takes.  flags:
		 * PTCP_SCRIPT_SETOPT_FLAGS bits only; times 0..PTCP_SCRIPT_TIME_MAX. */
		struct {
			uint32_t flags;
			uint8_t keepalive_cnt;
			uint32_t challenge_ack_limit;
			uint64_t keepalive_idle;
			uint64_t keepalive_intvl;
			uint64_t user_timeout;
			uint64_t delack;
		} setopt;
		struct {
			uint32_t len;  /* <= PTCP_SCRIPT_IO_MAX */
			uint8_t more;  /* PTCP_SEND_MORE */
			uint8_t *data; /* NULL: pattern; else len bytes, malloc'd */
		} send;
		struct {
			uint32_t len; /* <= PTCP_SCRIPT_IO_MAX */
			uint8_t discard;
		} read;
		struct {
			uint8_t how; /* PTCP_SHUT_RD/WR/RDWR */
		} shutdown;
		struct {
			uint8_t from; /* ptcp_state or PTCP_SCRIPT_STATE_ANY */
			uint8_t to;   /* ptcp_state */
		} state;
		struct {
			uint8_t ev; /* ptcp_event, 1..PTCP_EV_COUNT-1 */
			int8_t err; /* 0 or PTCP_ERR_MIN..-1 */
		} event;
		uint32_t readable; /* EXPECT_READABLE */
		uint32_t writable; /* EXPECT_WRITABLE */
		uint64_t deadline; /* EXPECT_DEADLINE: us after the event, <= TIME_MAX, or _NEVER */
		int32_t ret;       /* EXPECT_RET */
	};
} ptcp_script_event;

typedef struct ptcp_script {
	ptcp_script_role role;
	ptcp_script_config cfg;
	uint32_t isn_local; /* the core's ISS (connect or listen) */
	uint32_t isn_peer;
	/* Both of the same family (4 or 6); for IPv4 bytes[4..15] are 0. */
	ptcp_addr local_addr, peer_addr;
	uint16_t local_port, peer_port;
	ptcp_script_event *ev;
	size_t n, cap;
} ptcp_script;

/* Direction of a segment. */
typedef enum ptcp_script_dir {
	PTCP_SCRIPT_IN = 0, /* peer -> core (injected) */
	PTCP_SCRIPT_OUT = 1 /* core -> peer (emitted) */
} ptcp_script_dir;

/* ---- Scenario management ------------------------------------------------ */
void ptcp_script_config_default(ptcp_script_config *cfg);
/* An empty client scenario with the default header (10.0.0.1:40000 -> 10.0.0.2:80). */
void ptcp_script_init(ptcp_script *s);
/* The default addresses and ports for a role and family (4 or 6). */
void ptcp_script_default_addr(ptcp_script *s, ptcp_script_role role, int family);
void ptcp_script_free(ptcp_script *s);
/* Append a zeroed event of that kind; NULL when out of memory or at PTCP_SCRIPT_EVENTS_MAX. */
ptcp_script_event *ptcp_script_push(ptcp_script *s, ptcp_script_kind kind);
/* Free the buffers an event owns (and clear the pointers). */
void ptcp_script_event_clear(ptcp_script_event *e);
/* Deep copy. Returns 0 or PTCP_SCRIPT_ENOMEM. */
int ptcp_script_copy(ptcp_script *dst, const ptcp_script *src);

/* 0 when equal (line numbers ignored); otherwise 1 and a description in why. */
int ptcp_script_compare(const ptcp_script *a, const ptcp_script *b, char *why, size_t cap);
/* 0 when every field is inside its domain; otherwise 1 and a description. */
int ptcp_script_validate(const ptcp_script *s, char *why, size_t cap);

/* Copy the scenario configuration into a ptcp_config (other fields untouched). */
void ptcp_script_apply_config(const ptcp_script *s, ptcp_config *cfg);

/* 1 for the EXPECT_* kinds. */
int ptcp_script_is_expect(ptcp_script_kind k);
const char *ptcp_script_kind_name(ptcp_script_kind k);

/* ---- Payload pattern ---------------------------------------------------- */
static inline uint8_t ptcp_script_pattern(uint32_t k)
{
	return (uint8_t)(k ^ (k >> 8) ^ (k >> 16) ^ (k >> 24));
}
void ptcp_script_pattern_fill(uint8_t *buf, uint32_t offset, size_t len);
/* Stream offset of the first payload byte of a segment (relative seq - 1 + SYN). */
uint32_t ptcp_script_seg_offset(const ptcp_script_seg *g);

/* ---- Text --------------------------------------------------------------- */
typedef struct ptcp_script_error {
	const char *file; /* the name given to parse_text */
	unsigned line;    /* 1-based */
	unsigned col;     /* 1-based byte column */
	char msg[160];
} ptcp_script_error;

/*
 * Parse text (len bytes, need not be NUL-terminated).  On success *out is a
 * new scenario (free it with ptcp_script_free).  Returns 0, or
 * PTCP_SCRIPT_ESYNTAX (err filled; *out left empty) or PTCP_SCRIPT_ENOMEM.
 */
int ptcp_script_parse_text(const char *file, const char *text, size_t len, ptcp_script *out,
                           ptcp_script_error *err);
/* "file:line:col: msg" into buf (snprintf semantics). */
int ptcp_script_error_format(const ptcp_script_error *err, char *buf, size_t cap);

/* Write the text form.  Returns 0, or -1 on a write error. */
int ptcp_script_format_text(const ptcp_script *s, FILE *f);
/* The text form in a malloc'd NUL-terminated string (*len without the NUL); NULL if out of memory.
 */
char *ptcp_script_format_text_alloc(const ptcp_script *s, size_t *len);
/*
 * One event as a text line without the time prefix and newline, e.g.
 * "> S. 0:0(0) ack 1 win 65535 <mss 1460>".  snprintf semantics: returns the
 * length it needs, writes at most cap bytes including the NUL.
 */
int ptcp_script_format_event(const ptcp_script_event *e, char *buf, size_t cap);
/* One segment line ("< ..." or "> ..." per dir), snprintf semantics. */
int ptcp_script_format_seg(const ptcp_script_seg *g, ptcp_script_dir dir, char *buf, size_t cap);
/* A time delta as in the text ("+0", "+10ms", "+250us", "+2s"). */
int ptcp_script_format_delta(uint64_t us, char *buf, size_t cap);
/* Option bytes as text, e.g. "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7" (no brackets). */
int ptcp_script_format_opts(const uint8_t *opt, size_t len, char *buf, size_t cap);

/* ---- Binary ------------------------------------------------------------- */
/* Decode any byte string.  Returns 0 or PTCP_SCRIPT_ENOMEM (*out then empty). */
int ptcp_script_decode_binary(const uint8_t *buf, size_t len, ptcp_script *out);
/* Encode into a malloc'd buffer (*out, *len).  Returns 0 or PTCP_SCRIPT_ENOMEM. */
int ptcp_script_encode_binary(const ptcp_script *s, uint8_t **out, size_t *len);

/* ---- Segments <-> the core ---------------------------------------------- */

/*
 * Build the IP packet of a segment event: IPv4 (20-byte header, DF, TTL 64)
 * or IPv6 (hop limit 64) per the scenario's family, ECN from the event, the
 * absolute seq/ack (ISN + relative), ports from the addr or the event, the
 * option bytes verbatim (SACK blocks made absolute) zero-padded to a
 * multiple of 4, the payload (given or pattern; wildcards count as 0), and
 * correct IP and TCP checksums.  Needs nothing from wire.c.
 * Returns the packet length, or PTCP_ENOBUFS (cap too small; 65535 is
 * always enough).
 */
int ptcp_script_seg_to_packet(const ptcp_script *s, const ptcp_script_seg *g, ptcp_script_dir dir,
                              uint8_t *buf, size_t cap);

/*
 * The ptcp_seg of a segment event with absolute numbers: built with
 * ptcp_script_seg_to_packet() into buf then parsed by the wire codec, so
 * seg->payload points into buf.  Returns 0, PTCP_ENOBUFS, or the codec's
 * parse error for option bytes it rejects (inject those as packets).
 * Uses ptcp_wire_parse_packet().
 */
int ptcp_script_seg_to_ptcp(const ptcp_script *s, const ptcp_script_seg *g, ptcp_script_dir dir,
                            uint8_t *buf, size_t cap, ptcp_ip *ip, ptcp_seg *seg);

/*
 * The reverse: an emitted (dir OUT) or received (dir IN) ptcp_seg as a
 * relative script segment.  Options are laid out by ptcp_wire_build_tcp().
 * Ports are recorded (has_ports) only when they differ from the addr ports.
 * With keep_payload the payload is copied (malloc'd) into out->payload, else
 * out->payload is NULL.  The IP ECN bits are not in a ptcp_seg: set
 * out->ecn from the action.  Returns 0, PTCP_EOPTSIZE (options the codec
 * cannot build), PTCP_EINVAL (payload over PTCP_SCRIPT_SEG_PAYLOAD_MAX) or
 * PTCP_SCRIPT_ENOMEM.  Uses ptcp_wire_build_tcp().
 */
int ptcp_script_seg_from_ptcp(const ptcp_script *s, const ptcp_seg *seg, ptcp_script_dir dir,
                              int keep_payload, ptcp_script_seg *out);

/*
 * Record a core action as an expect event appended to s (delta: us since the
 * previous event; now: the time of the step, for DEADLINE, which is stored
 * relative to it).  EMIT goes through ptcp_script_seg_from_ptcp() (dir OUT,
 * ECN kept).  Returns 0, PTCP_EINVAL (unknown action), an error of
 * ptcp_script_seg_from_ptcp(), or PTCP_SCRIPT_ENOMEM.  Uses wire.c.
 */
int ptcp_script_push_action(ptcp_script *s, const ptcp_action *a, ptcp_time_t now, uint64_t delta,
                            int keep_payload);

/*
 * The ptcp_input of an application, ICMP or time event (CONNECT, LISTEN,
 * SEND, READ, SHUTDOWN, CLOSE, ABORT, TIME, ICMP, SETOPT), with the scenario's
 * addresses and absolute numbers (ISS = local ISN; ICMP seq = local ISN +
 * relative).  SEND without explicit bytes writes the pattern bytes at
 * stream offset send_off into buf; CONNECT with data the pattern from
 * offset 0; READ without discard reads into buf; SETOPT writes its
 * ptcp_config (the scenario's configuration with the event's fields) at the
 * start of buf, which must then be aligned for it (malloc'd) and hold it.
 * in points into e (explicit bytes) or buf.  Segments: use
 * ptcp_script_seg_to_ptcp(); raw packets: ptcp_wire_parse_packet().
 * Returns 0, PTCP_EINVAL (not such an event) or PTCP_ENOBUFS (buf/cap too small).
 */
int ptcp_script_event_to_input(const ptcp_script *s, const ptcp_script_event *e, uint32_t send_off,
                               uint8_t *buf, size_t cap, ptcp_input *in);

/*
 * Does an actual segment match an expected one?  Wildcard fields are
 * skipped; options are compared as on the wire (zero-padded to a multiple
 * of 4); the payload content is compared only when pat->payload is set
 * (against got->payload, or the pattern when that is NULL).
 * Returns 1 on a match.
 */
int ptcp_script_seg_match(const ptcp_script_seg *pat, const ptcp_script_seg *got);

/* Names used by the text form. */
const char *ptcp_script_state_name(unsigned st);  /* "SYN-SENT", NULL if out of range */
const char *ptcp_script_event_name(unsigned ev);  /* "peer-closed", NULL if out of range */
const char *ptcp_script_err_name(int err);        /* "ECONNRESET", NULL if not a PTCP_E* < 0 */
const char *ptcp_script_icmp_name(unsigned type); /* "frag-needed", NULL if out of range */

#ifdef __cplusplus
}
#endif
#endif
