/*
 * ptcp: a portable, pure TCP core.
 *
 * IMPLEMENTATION NOTES
 * One entry point, ptcp_step(conn, input, now, actions).  It reads no
 * clock, does no I/O, calls no allocator, touches no writable global and is
 * deterministic: the same connection block, input and time always give the
 * same new block and the same actions.  The caller owns every byte: the
 * connection block (sizeof(ptcp_conn) bytes, see PTCP_CONN_SIZE_NOTE), the
 * send and receive buffers given to ptcp_conn_init(), and the action array.
 *
 * Time is microseconds in a ptcp_time_t chosen by the caller (any epoch,
 * monotonic).  The core tells when it next wants to be woken with a
 * PTCP_ACT_DEADLINE action and ptcp_conn_next_deadline().
 *
 * Emitted segments are plain ptcp_seg structs (see wire.h); their payload
 * points into the send buffer and stays valid until the next ptcp_step()
 * on the same connection.  The caller turns them into packets with
 * ptcp_wire_build_packet().
 */
#ifndef PTCP_PTCP_H
#define PTCP_PTCP_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t ptcp_time_t; /* microseconds */
#define PTCP_TIME_NEVER UINT64_MAX
#define PTCP_MS(x)      ((ptcp_time_t)(x)*1000u)
#define PTCP_SEC(x)     ((ptcp_time_t)(x)*1000000u)

/* ---- Errors ------------------------------------------------------------ */
enum {
	PTCP_OK = 0,
	PTCP_EINVAL = -1,        /* bad argument */
	PTCP_ENOBUFS = -2,       /* output storage too small */
	PTCP_ESHORT = -3,        /* segment or packet truncated */
	PTCP_EBADOFF = -4,       /* TCP data offset < 5 */
	PTCP_EOPTLEN = -5,       /* option length 0 or 1, or past the header */
	PTCP_EOPTSIZE = -6,      /* known option with a wrong length / options too long */
	PTCP_EOPTDUP = -7,       /* the same known option twice */
	PTCP_ECSUM = -8,         /* bad TCP checksum */
	PTCP_EIPVER = -9,        /* IP version not 4 or 6 */
	PTCP_EIPHDR = -10,       /* bad IP header (IHL, length, checksum) */
	PTCP_EFRAG = -11,        /* an IP fragment */
	PTCP_ENOTTCP = -12,      /* not TCP */
	PTCP_ESTATE = -13,       /* call not valid in this state */
	PTCP_ENOTCONN = -14,     /* not connected */
	PTCP_EAGAIN = -15,       /* would block: send buffer full, nothing to read */
	PTCP_ECLOSING = -16,     /* connection closing (send after shutdown) */
	PTCP_ECONNRESET = -17,   /* reset by peer */
	PTCP_ECONNREFUSED = -18, /* RST in answer to our SYN */
	PTCP_ETIMEDOUT = -19,    /* retransmissions gave up */
	PTCP_EUNREACH = -20,     /* ICMP unreachable (hard error) */
	PTCP_EABORTED = -21,     /* aborted by the application */
	PTCP_ENOSPC = -22,       /* action array full (internal, retried) */
	PTCP_ERR_MIN = -22
};

/* A static string for a PTCP_E* code (or "unknown error"). */
const char *ptcp_strerror(int err);

/* ---- Sequence numbers (RFC 9293 3.4: arithmetic modulo 2^32) ------------ */
static inline int ptcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline int ptcp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline int ptcp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline int ptcp_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
/* lo <= x < hi, modulo 2^32 */
static inline int ptcp_seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}

/* ---- States (RFC 9293 3.3.2) ------------------------------------------- */
typedef enum ptcp_state {
	PTCP_CLOSED = 0,
	PTCP_LISTEN,
	PTCP_SYN_SENT,
	PTCP_SYN_RECEIVED,
	PTCP_ESTABLISHED,
	PTCP_FIN_WAIT_1,
	PTCP_FIN_WAIT_2,
	PTCP_CLOSE_WAIT,
	PTCP_CLOSING,
	PTCP_LAST_ACK,
	PTCP_TIME_WAIT,
	PTCP_STATE_COUNT
} ptcp_state;

const char *ptcp_state_name(ptcp_state s);

/* ---- Congestion control --------------------------------------------------- */
struct ptcp_conn;

/*
 * A congestion controller: a table of functions over the connection block
 * (they read and set cwnd and ssthresh; private state goes in cc_state).
 * The core calls on_ack when new data is acknowledged outside recovery,
 * ssthresh on a congestion event (loss found by duplicate ACKs or SACK, or
 * an ECN echo), on_rto on a retransmission timeout (after which the core
 * sets cwnd to one segment).  ptcp_cc_reno (RFC 5681) and ptcp_cc_cubic
 * (RFC 9438, the default) are provided; tables are const.
 */
typedef struct ptcp_cc_ops {
	const char *name;
	void (*init)(struct ptcp_conn *c);
	void (*on_ack)(struct ptcp_conn *c, uint32_t acked, ptcp_time_t now);
	uint32_t (*ssthresh)(struct ptcp_conn *c, ptcp_time_t now);
	void (*on_rto)(struct ptcp_conn *c, ptcp_time_t now);
} ptcp_cc_ops;

extern const ptcp_cc_ops ptcp_cc_reno;
extern const ptcp_cc_ops ptcp_cc_cubic;

/* ---- Configuration ------------------------------------------------------ */
#define PTCP_CFG_TIMESTAMPS 0x01u  /* offer RFC 7323 timestamps */
#define PTCP_CFG_WSCALE     0x02u  /* offer RFC 7323 window scaling */
#define PTCP_CFG_SACK       0x04u  /* offer RFC 2018 SACK-permitted */
#define PTCP_CFG_NODELAY    0x08u  /* disable Nagle (RFC 896) */
#define PTCP_CFG_SS_IDLE    0x10u  /* slow start after idle (RFC 5681 4.1) */
#define PTCP_CFG_ECN        0x20u  /* negotiate ECN (RFC 3168) */
#define PTCP_CFG_LIMITED_TX 0x40u  /* limited transmit (RFC 3042) */
#define PTCP_CFG_TLP        0x80u  /* tail loss probes (RFC 8985 7), with SACK */
#define PTCP_CFG_CORK       0x100u /* hold partial segments while set (TCP_CORK) */
#define PTCP_CFG_RACK       0x200u /* RACK reordering timer (RFC 8985 6), with SACK */
/* On a RST keep the in-order data already received readable: PTCP_IN_READ
 * returns it, then the reset error (as Linux).  Off: the RST flushes it and
 * READ reports the reset at once (RFC 9293 3.10.7.4).  Out-of-order data is
 * discarded either way.  Set by ptcp_config_linux(). */
#define PTCP_CFG_RST_KEEP_DATA 0x400u
/* proportional rate reduction in SACK recovery (RFC 9937; default: on) */
#define PTCP_CFG_PRR 0x800u
/* PRR as Linux: RecoverFS is cwnd at entry (RFC 9937: the flight) */
#define PTCP_CFG_PRR_LINUX 0x1000u
/* cwnd grows by DeliveredData (RFC 9937 3: newly acked or SACKed), not SND.UNA's advance (Linux) */
#define PTCP_CFG_DELIVERED 0x2000u
/* turn off header prediction (core/src/fastpath.c): every segment takes the
 * full RFC 9293 3.10.7.4 path; the actions are the same either way (for tests) */
#define PTCP_CFG_NO_FASTPATH 0x4000u
/* A segment (no RST, no SYN) whose ACK acknowledges data never sent (SEG.ACK >
 * SND.NXT) in a synchronized state is dropped silently, before its timestamp
 * can update TS.Recent (as Linux's tcp_ack).  Off: it is answered with an ACK
 * and dropped (RFC 9293 3.10.7.4, RFC 5961 5.2), after the RFC 7323 4.3
 * TS.Recent update.  Counted as drop reason bad-ack either way.  Set by
 * ptcp_config_linux(). */
#define PTCP_CFG_ACK_UNSENT_SILENT 0x10000u
/* Data arriving after CLOSE (RFC 1122 4.2.2.13: reset) is answered with the
 * reset of RFC 9293 3.10.7.1 for that segment: <SEQ=SEG.ACK><CTL=RST>, no
 * options (as Linux's tcp_v4_send_reset; in the peer's window even when it
 * missed our FIN).  Off: <SEQ=SND.NXT><ACK=SEG.SEQ+len><CTL=RST,ACK>.  Set by
 * ptcp_config_linux(). */
#define PTCP_CFG_CLOSED_DATA_RST_REPLY 0x20000u
/* A zero-window probe is a segment without data at SND.UNA - 1 (as Linux's
 * tcp_xmit_probe_skb); off: one byte of new data (RFC 9293 3.8.6.1 allows
 * both).  Set by ptcp_config_linux(). */
#define PTCP_CFG_ZWP_NO_DATA 0x40000u
/* ABORT (and so a listener closed with connections nobody accepted) sends
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> (as Linux's tcp_send_active_reset);
 * off: <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.5).  Set by ptcp_config_linux(). */
#define PTCP_CFG_ABORT_RST_ACK 0x80000u
/* ICMP net or host unreachable or time exceeded quoting our SYN-ACK closes a
 * passive connection still in SYN-RECEIVED (PTCP_EV_ERROR, then CLOSED with
 * PTCP_EUNREACH; no segment sent), as Linux's tcp_req_err drops the request;
 * ptcp_tfo_icmp() does the same for a Fast Open connection nobody accepted.
 * Off: a soft error (PTCP_EV_SOFT_ERROR), the handshake goes on (RFC 1122
 * 4.2.3.9, RFC 5461 4.1).  Set by ptcp_config_linux(). */
#define PTCP_CFG_ICMP_SYNRECV_HARD 0x100000u
/* RTO = SRTT + max(4*RTTVAR, rto_min): the minimum bounds the variance term,
 * not the sum (as Linux's tcp_rtt_estimator, where rttvar is floored at
 * tcp_rto_min), so a short path still gets about RTT + 200 ms.  Off: RFC
 * 6298 2.3 and 2.4, max(SRTT + 4*RTTVAR, rto_min).  Set by
 * ptcp_config_linux(). */
#define PTCP_CFG_RTO_LINUX 0x200000u
/* MSG_MORE and PSH as Linux (tcp_push): PTCP_SEND_MORE holds a partial
 * segment only while that send is being queued (and up to 200 ms after it
 * when nothing is in flight); an ACK or a PTCP_IN_SETOPT then sends it as
 * the Nagle setting allows.  PSH goes on the segment that ends the data of
 * a send without PTCP_SEND_MORE, and on data released by the 200 ms
 * timer (tcp_write_wakeup); data that ends a PTCP_SEND_MORE send goes
 * without PSH.  Off: PTCP_SEND_MORE holds until a send without it (or
 * TCP_NODELAY, or the timer), and PSH marks every segment that empties the
 * send queue (RFC 9293 3.9.1 leaves PSH to the sender).  Set by
 * ptcp_config_linux(). */
#define PTCP_CFG_PUSH_LINUX 0x400000u
/* The receive window grows as Linux's does: the advertised window is
 * min(free buffer, a clamp) where the clamp starts at min(buffer, 65535)
 * and grows by 2 * max(our MSS, segment length) with each in-order data
 * segment, up to the buffer (Linux's rcv_ssthresh and tcp_grow_window);
 * with window scaling the window is rounded up to the scale unit when the
 * buffer has room for it.  Fast Open text in the SYN does not grow it.
 * Off: the free buffer space (RFC 9293 3.8.6.2).  Set by
 * ptcp_config_linux(). */
#define PTCP_CFG_RCV_CLAMP 0x800000u
/* A SACK block marks only the whole segments it covers (Linux's
 * tcp_match_skb_to_sack): its edges are rounded inward to segment
 * boundaries (SMSS apart from the start of each burst sent; a burst's last
 * segment may be shorter), and a block that covers no whole segment, e.g.
 * the last octet of a full one, is ignored.  Off: every SACKed octet counts
 * (RFC 2018, RFC 6675).  Set by ptcp_config_linux(). */
#define PTCP_CFG_SACK_WHOLE_SEG 0x1000000u
/* RACK's reordering timer fires 2 ms after the earliest time a segment
 * would be lost, as Linux's tcp_rack_mark_lost arms it (the wait plus
 * TCP_TIMEOUT_MIN, 2 ms at HZ=1000).  Off: at that time (RFC 8985 6.3).
 * Set by ptcp_config_linux(). */
#define PTCP_CFG_REO_TIMER_LINUX 0x2000000u
/* cwnd grows on an ACK only if the flight before it used cwnd (RFC 7661
 * 4.3: an unvalidated window does not grow): in slow start while cwnd is
 * below twice that flight, in congestion avoidance when the flight filled
 * cwnd to within a segment (as Linux's tcp_is_cwnd_limited).  Off: every
 * ACK of new data grows it (RFC 5681 3.1).  Set by ptcp_config_linux(). */
#define PTCP_CFG_CWND_LIMITED 0x4000000u
/* Packetization-layer path MTU discovery (RFC 4821), as Linux's
 * tcp_mtu_probing = 2: the sender searches the segment size between
 * mtu_probe_base and the peer's MSS by sending one larger segment (a probe)
 * when enough data waits and the connection is calm; an acknowledged probe
 * raises the send MSS to its size, a lost one (or an ICMP "fragmentation
 * needed" below it) lowers the top of the search.  The search restarts
 * 10 minutes after it ends.  Off (default): the MSS changes only by ICMP
 * (RFC 1191, RFC 8201). */
#define PTCP_CFG_MTU_PROBE 0x8000000u
/* Nagle's algorithm in Minshall's variant (draft-minshall-nagle, as Linux's
 * tcp_minshall_check): a segment shorter than the MSS waits only while a
 * short segment sent earlier may be unacknowledged (the core keeps one bit:
 * from a short segment's sending until all data sent is acknowledged), not
 * while any data is.  Off: RFC 9293 3.7.4 (any unacknowledged data holds
 * it).  Set by ptcp_config_linux(). */
#define PTCP_CFG_NAGLE_MINSHALL 0x10000000u

typedef struct ptcp_config {
	uint32_t
	    flags; /* PTCP_CFG_*; default TIMESTAMPS|WSCALE|SACK|SS_IDLE|LIMITED_TX|TLP|RACK|PRR */
	uint16_t mss;   /* MSS we advertise; default 1460 */
	uint8_t wscale; /* our shift; 0xff = smallest that covers the receive buffer (default) */
	uint8_t syn_retries;    /* SYN retransmissions before giving up; default 6 */
	uint8_t synack_retries; /* SYN-ACK retransmissions; default 5 */
	uint8_t max_retries; /* data retransmissions before giving up (RFC 1122 R2); default 15 */
	uint16_t init_cwnd;  /* initial window in segments (RFC 6928); default 10 */
	ptcp_time_t rto_initial; /* RFC 6298 2.1: default 1 s */
	ptcp_time_t rto_min;     /* default 200 ms (as Linux; RFC 6298 says 1 s) */
	ptcp_time_t rto_max;     /* default 120 s */
	ptcp_time_t msl;         /* TIME-WAIT lasts 2*msl; default 30 s (Linux 60 s TIME-WAIT) */
	ptcp_time_t fin_wait2_timeout; /* 0 = none; default 60 s */
	ptcp_time_t user_timeout;      /* RFC 5482 / 9293 3.8.3; 0 = use max_retries */
	uint32_t ts_offset; /* added to the timestamp clock (per-connection randomisation) */
	ptcp_time_t delack; /* delayed-ACK timeout (RFC 9293 3.8.6.3, < 500 ms); default 40 ms;
	                       0 = acknowledge every segment at once */
	uint16_t quickack;  /* data segments acknowledged at once after the handshake; default 16 */
	uint16_t mtu_probe_base;     /* PTCP_CFG_MTU_PROBE: the smallest MSS the search assumes
	                                (RFC 4821 7.2 search_low, as Linux's tcp_base_mss);
	                                default 1024 */
	ptcp_time_t keepalive_idle;  /* RFC 9293 3.8.4 / RFC 1122 4.2.3.6: 0 = off (default) */
	ptcp_time_t keepalive_intvl; /* between probes; default 75 s */
	uint8_t keepalive_cnt;       /* unanswered probes before giving up; default 9 */
	const ptcp_cc_ops *cc;       /* congestion control; NULL = ptcp_cc_cubic */
	uint8_t abc; /* slow start: cwnd grows by at most abc * MSS per ACK (RFC 3465);
	                default 2; 0 = by all that was acked (as Linux) */
	uint32_t challenge_ack_limit; /* RFC 5961 7: challenge ACKs per second; 0 = no limit;
	                                 above 65535 counts as 65535; default 1000 */
} ptcp_config;

/* Fill cfg with the defaults above. */
void ptcp_config_default(ptcp_config *cfg);

/*
 * The behaviour of Linux with the sysctls of packetdrill's defaults.sh:
 * window scale 8 (rmem max 15 MiB), timestamps, SACK, initial window 10,
 * RTO 200 ms .. 120 s (initial 1 s), SYN and SYN-ACK retries 5, delayed
 * ACK 40 ms with 16 quick ACKs, TIME-WAIT 60 s, received data still
 * readable after a RST (PTCP_CFG_RST_KEEP_DATA), PRR in recovery and cwnd
 * growth by delivered data (PTCP_CFG_PRR, _PRR_LINUX, _DELIVERED), an ACK
 * of unsent data dropped silently (PTCP_CFG_ACK_UNSENT_SILENT), data after
 * close answered by a reset for that segment (PTCP_CFG_CLOSED_DATA_RST_REPLY),
 * zero-window probes without data (PTCP_CFG_ZWP_NO_DATA), RST|ACK on abort
 * (PTCP_CFG_ABORT_RST_ACK), ICMP unreachable fatal to a connection in
 * SYN-RECEIVED (PTCP_CFG_ICMP_SYNRECV_HARD), the RTO as
 * SRTT + max(4*RTTVAR, rto_min) (PTCP_CFG_RTO_LINUX), MSG_MORE and PSH
 * as tcp_push() (PTCP_CFG_PUSH_LINUX), a receive window that
 * starts at 64 KiB and grows with in-order data (PTCP_CFG_RCV_CLAMP), SACK
 * blocks taken in whole segments only (PTCP_CFG_SACK_WHOLE_SEG), RACK's
 * reordering timer 2 ms late as Linux's (PTCP_CFG_REO_TIMER_LINUX).
 * Used by ptcp-drill.
 */
void ptcp_config_linux(ptcp_config *cfg);

/* ---- Inputs ------------------------------------------------------------- */
typedef enum ptcp_input_kind {
	PTCP_IN_SEGMENT = 1, /* a parsed segment from the peer */
	PTCP_IN_ICMP,        /* an ICMP error about this connection */
	PTCP_IN_CONNECT,     /* active open */
	PTCP_IN_LISTEN,      /* passive open */
	PTCP_IN_SEND,        /* queue data (copied into the send buffer) */
	PTCP_IN_READ,        /* copy out (or discard) in-order received data */
	PTCP_IN_SHUTDOWN,    /* half close */
	PTCP_IN_CLOSE,       /* close: FIN after queued data */
	PTCP_IN_ABORT,       /* abort: RST, drop everything */
	PTCP_IN_TIME,        /* time passed: fire due timers */
	PTCP_IN_SETOPT,      /* change the options that may change on a live connection */
	PTCP_IN_KIND_COUNT
} ptcp_input_kind;

typedef enum ptcp_icmp_kind {
	PTCP_ICMP_NET_UNREACH = 1,
	PTCP_ICMP_HOST_UNREACH,
	PTCP_ICMP_PROTO_UNREACH,
	PTCP_ICMP_PORT_UNREACH,
	PTCP_ICMP_ADMIN_PROHIBITED,
	PTCP_ICMP_FRAG_NEEDED, /* ICMPv4 3/4 or ICMPv6 packet too big; mtu set */
	PTCP_ICMP_TIME_EXCEEDED,
	PTCP_ICMP_KIND_COUNT
} ptcp_icmp_kind;

#define PTCP_SHUT_RD   1
#define PTCP_SHUT_WR   2
#define PTCP_SHUT_RDWR 3

#define PTCP_SEND_MORE 0x01 /* more data follows soon (MSG_MORE): hold a partial segment */

typedef struct ptcp_input {
	ptcp_input_kind kind;
	union {
		struct {
			const ptcp_seg *seg;
			ptcp_addr src; /* IP source (peer); may be unset */
			ptcp_addr dst; /* IP destination (us); may be unset */
			uint8_t ecn;   /* IP ECN bits */
			/* RFC 5961 7: the caller's challenge-ACK budget is spent: the
			 * segment gets no challenge ACK (counted as limited) */
			uint8_t challenge_limited;
		} segment;
		struct {
			ptcp_icmp_kind type;
			uint32_t mtu; /* next-hop MTU for PTCP_ICMP_FRAG_NEEDED */
			uint32_t seq; /* sequence number in the quoted TCP header */
		} icmp;
		struct {
			ptcp_addr local;
			ptcp_addr remote;
			uint16_t lport;
			uint16_t rport;
			uint32_t iss; /* initial send sequence number (RFC 9293 3.4.1) */
			/* TCP Fast Open (RFC 7413), client side: tfo = 1 puts a TFO
			 * option in the SYN: a cookie request when tfo_len is 0, else
			 * the cookie (from the caller's cache) and up to tfo_mss bytes
			 * of data (data/len; the rest is sent after the handshake).
			 * A cookie is 4..16 bytes, even (RFC 7413 4.1.1), else the
			 * connect is PTCP_EINVAL. */
			uint8_t tfo;
			uint8_t tfo_len;
			uint8_t tfo_cookie[PTCP_TFO_COOKIE_MAX];
			uint16_t tfo_mss; /* cached MSS for the SYN's data; 0 = 536 */
			const uint8_t *data;
			size_t len;
		} connect;
		struct {
			ptcp_addr local; /* family 0 = any */
			uint16_t lport;
			uint32_t iss; /* ISS for the connection a SYN creates */
		} listen;
		struct {
			const uint8_t *data;
			size_t len;
			uint32_t flags; /* PTCP_SEND_* */
		} send;
		struct {
			uint8_t *buf; /* NULL: discard len bytes */
			size_t len;
		} read;
		struct {
			int how; /* PTCP_SHUT_* */
		} shutdown;
		/* PTCP_IN_SETOPT: from cfg, only these are taken: the flags NODELAY
		 * and CORK, keepalive_idle/intvl/cnt, user_timeout, delack,
		 * challenge_ack_limit, syn_retries, fin_wait2_timeout (the rest is
		 * fixed at ptcp_conn_init); see also ptcp_conn_setopt() */
		struct {
			const struct ptcp_config *cfg;
		} setopt;
	};
} ptcp_input;

/* ---- Actions ------------------------------------------------------------ */
typedef enum ptcp_action_kind {
	PTCP_ACT_EMIT = 1,   /* send this segment */
	PTCP_ACT_READABLE,   /* in-order data is waiting; avail = bytes */
	PTCP_ACT_WRITABLE,   /* send buffer space was freed; space = bytes free */
	PTCP_ACT_STATE,      /* state changed from -> to */
	PTCP_ACT_EVENT,      /* something happened, see ptcp_event */
	PTCP_ACT_DEADLINE,   /* the next deadline changed (PTCP_TIME_NEVER = none) */
	PTCP_ACT_TFO_COOKIE, /* the server granted a Fast Open cookie: keep it for next time */
	PTCP_ACT_KIND_COUNT
} ptcp_action_kind;

typedef enum ptcp_event {
	PTCP_EV_CONNECTED = 1, /* the handshake completed */
	PTCP_EV_PEER_CLOSED,   /* FIN received: no more data will arrive */
	PTCP_EV_RESET,         /* RST received (err: ECONNRESET or ECONNREFUSED) */
	PTCP_EV_TIMEDOUT,      /* gave up retransmitting (err: ETIMEDOUT) */
	PTCP_EV_ERROR,         /* hard error (err: code, e.g. EUNREACH) */
	PTCP_EV_SOFT_ERROR,    /* soft ICMP error noted (err: code) */
	PTCP_EV_CLOSED,        /* the connection is gone (CLOSED); storage may be reused */
	PTCP_EV_ALL_ACKED,     /* everything sent has been acknowledged */
	PTCP_EV_TW_REUSE,      /* a SYN of a newer incarnation ended TIME-WAIT (RFC 6191):
	                          the block is CLOSED; give that SYN to the listener */
	PTCP_EV_COUNT
} ptcp_event;

const char *ptcp_event_name(ptcp_event e);

typedef struct ptcp_action {
	ptcp_action_kind kind;
	union {
		struct {
			ptcp_seg seg;
			ptcp_addr src; /* our address */
			ptcp_addr dst; /* the peer's */
			uint8_t ecn;   /* IP ECN bits to set */
		} emit;
		struct {
			size_t avail;
		} readable;
		struct {
			size_t space;
		} writable;
		struct {
			ptcp_state from;
			ptcp_state to;
		} state;
		struct {
			ptcp_event ev;
			int err; /* PTCP_E* or 0 */
		} event;
		ptcp_time_t deadline;
		struct {
			uint8_t len;
			uint8_t cookie[PTCP_TFO_COOKIE_MAX];
		} tfo;
	};
} ptcp_action;

/* Minimum action array capacity ptcp_step() accepts. */
#define PTCP_ACTIONS_MIN 16

typedef struct ptcp_actions {
	ptcp_action *v; /* caller storage */
	size_t cap;     /* >= PTCP_ACTIONS_MIN */
	size_t n;       /* set by ptcp_step: actions written */
} ptcp_actions;

/* ---- Drop reasons ------------------------------------------------------- */
typedef enum ptcp_drop {
	PTCP_DROP_NONE = 0,
	PTCP_DROP_UNACCEPTABLE, /* RFC 9293 3.10.7.4 sequence test failed */
	PTCP_DROP_BAD_ACK,      /* ACK outside SND.UNA..SND.NXT */
	PTCP_DROP_NO_ACK,       /* no ACK bit in a synchronized state */
	PTCP_DROP_RST_INVALID,  /* RST out of window */
	PTCP_DROP_CLOSED,       /* segment to a CLOSED connection */
	PTCP_DROP_LISTEN,       /* non-SYN to LISTEN */
	PTCP_DROP_SYN_SENT,     /* unacceptable in SYN-SENT */
	PTCP_DROP_OOO_FULL,     /* out-of-order queue full */
	PTCP_DROP_RCVBUF,       /* beyond receive buffer */
	PTCP_DROP_PAWS,         /* RFC 7323 5.3 PAWS */
	PTCP_DROP_ICMP_INVALID, /* ICMP quoting a sequence we never sent */
	PTCP_DROP_WRONG_PORT,   /* ports do not match this connection */
	PTCP_DROP_COUNT
} ptcp_drop;

const char *ptcp_drop_name(ptcp_drop d);

/* The per-connection counters, one X(name) each (comments say what they count). */
#define PTCP_STATS_COUNTERS(X)                                                                     \
	X(segs_in)                                                                                 \
	X(segs_out)                                                                                \
	X(bytes_in)    /* payload bytes accepted in order */                                       \
	X(bytes_out)   /* payload bytes sent, retransmissions included */                          \
	X(retransmits) /* segments retransmitted */                                                \
	X(rto_fired)                                                                               \
	X(fast_recoveries)        /* entries into fast recovery (dup ACKs or SACK) */              \
	X(dsacks_in)              /* duplicate-SACK blocks received */                             \
	X(dsacks_out)             /* duplicate-SACK blocks sent */                                 \
	X(ecn_reductions)         /* window reductions for an ECN echo */                          \
	X(ce_received)            /* segments that arrived marked CE */                            \
	X(tlp_probes)             /* tail loss probes sent */                                      \
	X(rack_losses)            /* recoveries started by RACK's loss marks (RFC 8985 6) */       \
	X(sack_reneging)          /* the peer dropped data it had SACKed (RFC 2018 8) */           \
	X(challenge_acks)         /* RFC 5961 challenge ACKs sent */                               \
	X(challenge_acks_limited) /* ... and suppressed by the rate limit */                       \
	X(tfo_data_acked)         /* Fast Open: data in our SYN was accepted */                    \
	X(tfo_data_refused)       /* ... or not (sent again after the handshake) */                \
	X(mtu_probes)             /* RFC 4821 probes sent (PTCP_CFG_MTU_PROBE) */                  \
	X(mtu_probe_failures)     /* ... lost or too big: the search's top came down */

#define PTCP_STATS_U64_(name) uint64_t name;

typedef struct ptcp_stats {
	PTCP_STATS_COUNTERS(PTCP_STATS_U64_)
	uint64_t drops[PTCP_DROP_COUNT];
} ptcp_stats;

/* A snapshot of the connection's variables (RFC 9293 3.3.1 names). */
typedef struct ptcp_info {
	ptcp_state state;
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd; /* snd_wnd scaled */
	uint32_t rcv_nxt, rcv_wnd;                   /* rcv_wnd as last advertised, scaled */
	uint32_t cwnd, ssthresh;
	uint32_t mss; /* effective send MSS */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t ts_on, sack_on;
	ptcp_time_t srtt, rttvar, rto;
	size_t send_queued; /* bytes in the send buffer (unacked + unsent) */
	size_t recv_ready;  /* in-order bytes ready to read */
} ptcp_info;

/* ---- The connection block (fields are private; use the functions) ------- */
/*
 * Out-of-order ranges a loss area holds (ptcp_loss); ptcp_conn_set_ooo_pool()
 * gives a connection a larger pool (up to PTCP_OOO_POOL_MAX ranges) in
 * caller memory.
 */
#define PTCP_OOO_MAX      8
#define PTCP_OOO_POOL_MAX 32767u
#define PTCP_SB_MAX       6
#define PTCP_RACK_LOG     8 /* send-time ranges RACK keeps (RFC 8985 6.1) */

/* RFC 8985 6.1: when a range of the flight was last sent (core/src/rack.c). */
typedef struct ptcp_rack_tx {
	uint32_t seq; /* the range runs to the next entry's seq (the last: SND.MAX) */
	uint32_t ts;  /* microseconds, truncated; the two low bits are flags */
} ptcp_rack_tx;

/*
 * One out-of-order range [left, right) of the reassembly tree (an AVL tree
 * ordered by left).  The fields are private: the caller only provides the
 * memory (ptcp_conn_set_ooo_pool).
 */
typedef struct ptcp_ooo_node {
	uint32_t left, right;
	uint16_t lc, rc; /* children (low 15 bits) and the balance (top bits) */
} ptcp_ooo_node;

/*
 * A loss area: the state a connection needs only while something is lost,
 * reordered or SACKed - the reassembly pool (RFC 9293 3.10.7.4: segments
 * beyond RCV.NXT), the SACK scoreboard (RFC 6675) and RACK's send-time log
 * (RFC 8985 6.1).  Caller memory, lent with ptcp_conn_set_loss() and taken
 * back with ptcp_conn_take_loss(); one area serves one connection at a
 * time, and a table lends its pool of them (ptcp_table_config.loss_areas).
 * A connection without one works as a minimal TCP: out-of-order segments are
 * dropped (PTCP_DROP_OOO_FULL) unless it has its own pool
 * (ptcp_conn_set_ooo_pool), and as a sender it ignores SACK blocks and
 * recovers by duplicate ACKs and NewReno (RFC 6582), without RACK or TLP.
 * The fields are private.
 */
typedef struct ptcp_loss {
	ptcp_ooo_node ooo[PTCP_OOO_MAX];      /* the default reassembly pool */
	ptcp_sack_block sb[PTCP_SB_MAX];      /* SACK scoreboard (RFC 6675), sorted */
	ptcp_rack_tx rack_log[PTCP_RACK_LOG]; /* RFC 8985 6.1: send times (rack.c) */
	uint32_t high_rxt;                    /* RFC 6675 HighRxt */
} ptcp_loss;

/*
 * The block's compact copy of its ptcp_config (private): the fields the
 * core reads after ptcp_conn_init, with the same names.  The RTO bounds,
 * msl, fin_wait2_timeout and delack are kept in 32 bits of microseconds
 * (ptcp_conn_init rejects 2^32 us = 71.6 minutes or more);
 * keepalive_idle/intvl and user_timeout keep 64 bits (hours are usual).
 * wscale is resolved (never 0xff) and cc never NULL.
 */
typedef struct ptcp_conn_cfg {
	const ptcp_cc_ops *cc; /* first: what a segment reads (cc, flags, delack, */
	uint32_t flags, delack;
	ptcp_time_t keepalive_idle; /* keepalive_idle, ts_offset) */
	uint32_t ts_offset, challenge_ack_limit;
	ptcp_time_t keepalive_intvl, user_timeout;
	uint32_t rto_initial, rto_min, rto_max, msl, fin_wait2_timeout;
	uint16_t mss, init_cwnd, quickack;
	uint8_t wscale, syn_retries, synack_retries, max_retries, keepalive_cnt, abc;
} ptcp_conn_cfg;

/*
 * The fields every segment touches come first (the first five cache lines
 * of a table's entry, which is the block after 8 bytes of the table's own:
 * the receive buffer, the retransmission and delayed-ACK deadlines, state and flags,
 * the sequence variables, cwnd, the RTT estimator, ring indexes, ts_recent,
 * rcv_adv, the 4-tuple the table's lookup compares and every emitted segment
 * carries, the other deadlines, the counters' and loss area's pointers, then
 * the configuration, whose cc, flags, delack, keepalive_idle and ts_offset
 * come first); the rest - what only a connection with data in flight, in
 * recovery or closing reads - follows, grouped by size so that the block has
 * no padding holes.  A table prefetches the first part of an idle
 * connection's entry and all of a busy one's.  Names follow RFC 9293 3.3.1.
 * sizeof(ptcp_conn) is printed by `ptcp-bench memory` (BENCHMARKS.md).
 *
 * Times: deadlines and long-lived stamps are 64-bit absolute microseconds
 * (0 = off).  The RTT estimator (srtt, rttvar, rto) is 32-bit microseconds
 * (rto <= rto_max < 2^32 us); rtt_start holds the low 32 bits of the clock
 * when a segment began to be timed, and a sample is their difference modulo
 * 2^32 (exact for any RTT below 71.6 minutes, across the wrap of the low 32
 * bits).  TIME-WAIT and FIN-WAIT-2 exclude each other and share t_close.
 */
typedef struct ptcp_conn {
	/* ---- hot ---- */
	/* receive buffer ring: rlen in-order unread bytes from rhead, then
	 * out-of-order data at its offset from RCV.NXT */
	uint8_t *rbuf;
	ptcp_time_t t_rexmit, t_delack; /* deadlines (0 = off) */
	uint8_t state;
	uint8_t snd_wscale, rcv_wscale;
	uint8_t retries;
	uint8_t ka_probes;
	uint8_t nsb;
	uint16_t lport; /* identity: the table's lookup compares these in the hot part */
	uint32_t flags;
	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t snd_mss, cwnd, ssthresh, dupacks, recover;
	/* receive sequence space; rcv_adv: right edge advertised */
	uint32_t rcv_nxt, rcv_adv;
	uint32_t rcv_clamp;   /* PTCP_CFG_RCV_CLAMP: most the window may offer (bytes) */
	uint32_t rcv_unacked; /* bytes received since the last ACK we sent */
	/* timestamps (RFC 7323) */
	uint32_t ts_recent, last_ack_sent;
	/* RTT (RFC 6298), microseconds; rtt_start: see above */
	uint32_t srtt, rttvar, rto, rtt_seq, rtt_start;
	uint32_t scap, shead, slen, sbuf_seq;
	uint32_t rcap, rhead, rlen;
	uint32_t iss;
	uint16_t rport;
	ptcp_addr laddr, raddr;
	/* reassembly: ranges held (pool[0..nooo-1]) and the pool's size;
	 * rcv_mss: the largest segment seen from the peer (for the 2-segment
	 * rule) */
	uint16_t nooo, ooo_cap, rcv_mss;
	uint16_t quickacks; /* immediate ACKs left */
	int16_t err;        /* the PTCP_E* the connection died with */
	uint16_t peer_mss;
	uint8_t nrack, rack_flags, rack_reo_mult, rack_reo_persist; /* RFC 8985 6.2 */
	/* timers: one deadline each (0 = off); the minimum is reported */
	ptcp_time_t t_close; /* TIME-WAIT's 2 MSL, or FIN-WAIT-2's timeout */
	ptcp_time_t deadline_reported;
	ptcp_time_t t_keepalive, last_rcv;
	ptcp_time_t t_reo; /* RFC 8985 6.3: the reordering window of a SACK-revealed hole */
	/* the caller's counters (ptcp_conn_set_stats), NULL: not counted */
	ptcp_stats *stats;
	ptcp_loss *loss; /* the loss area lent to the block, or NULL */
	uint32_t max_sndwnd;
	uint32_t rtt_min;  /* smallest RTT sample, microseconds (RACK.min_RTT) */
	ptcp_conn_cfg cfg; /* its cc, flags, delack, keepalive_idle, ts_offset end the hot part */
	/* ---- the rest ---- */
	uint32_t fin_seq; /* sequence number of our FIN once queued */
	uint32_t irs;
	uint32_t rfin_seq; /* peer FIN seen beyond a hole */
	uint32_t ts_low;   /* the first TSval we sent: echoes below it are bogus */
	uint32_t cc_state[6];
	uint32_t ecn_recover; /* RFC 3168 6.1.2: one reduction per window */
	uint32_t tlp_end_seq; /* RFC 8985 7: a probe is out up to here (0 = none) */
	uint16_t chack_count; /* challenge ACKs in the current second */
	uint16_t mtu_base;    /* PTCP_CFG_MTU_PROBE: the configuration's mtu_probe_base */
	/* RFC 9937 4 PRR: prr_delivered, prr_out, RecoverFS (bytes) */
	uint32_t prr_dlv, prr_out, prr_recover_fs;
	ptcp_sack_block dsack; /* RFC 2883: duplicate to report in the next ACK */
	/* RFC 8985 6.1 RACK: xmit_ts, end_seq, rtt (us), fack, dsack_round (the
	 * send-time log is in the loss area) */
	uint32_t rack_ts, rack_end, rack_rtt, rack_fack, rack_dsack_round;
	uint32_t chack_start;    /* low 32 bits of the clock when the second began */
	ptcp_ooo_node *ooo_pool; /* the caller's reassembly pool, or NULL: the loss area's */
	/* send buffer ring: byte shead has sequence number sbuf_seq (read when
	 * data is sent or acknowledged: a busy connection's) */
	uint8_t *sbuf;
	ptcp_time_t t_first_rexmit;
	ptcp_time_t last_snd; /* when new data last went out (slow start after idle) */
	ptcp_time_t cc_time;  /* congestion control state (see ptcp_cc_ops) */
	/* reassembly: tree root, the range the last out-of-order segment went
	 * to, and its successor (0xffff: not known) */
	uint16_t ooo_root, ooo_last, ooo_succ;
	/* RFC 4821 7.2 PTCP_CFG_MTU_PROBE (mtup.c): the search range as MSS
	 * (search_low, search_high; no options), the probe in flight (its
	 * payload, 0: none) and its end; with no probe in flight, mtu_probe_end
	 * is the low 32 bits of the clock in milliseconds when the search began */
	uint16_t mtu_low, mtu_high, mtu_probe;
	uint32_t mtu_probe_end;
} ptcp_conn;

/*
 * Initialise a connection block in CLOSED.  sbuf/scap and rbuf/rcap are the
 * caller's send and receive buffers (each 1 byte .. 1 GiB).  cfg may be NULL
 * for the defaults; it is copied (compactly: ptcp_conn_cfg), so it need not
 * outlive the call.  rto_initial, rto_min, rto_max, msl, fin_wait2_timeout
 * and delack must be below 2^32 us (71.6 minutes).  The block starts with no
 * loss area and no counters: give them with ptcp_conn_set_loss() and
 * ptcp_conn_set_stats().
 * Returns 0 or PTCP_EINVAL (bad buffers or configuration; c is then
 * unchanged).
 */
int ptcp_conn_init(ptcp_conn *c, const ptcp_config *cfg, uint8_t *sbuf, size_t scap, uint8_t *rbuf,
                   size_t rcap);

/*
 * Give c a pool of n nodes in caller memory for its out-of-order ranges
 * (RFC 9293 3.10.7.4 seventh: the queue of segments beyond RCV.NXT); without
 * one it holds PTCP_OOO_MAX in its loss area, or none without an area.
 * Ranges already queued move into the new pool; nodes == NULL (n ignored)
 * returns to the loss area's.  The pool must stay
 * valid while c uses it.  A segment that would open a range beyond the pool
 * is dropped (PTCP_DROP_OOO_FULL), or evicts the highest range when it lies
 * below it.  A useful size: one range per two segments of the receive
 * buffer (rcap / (2 * MSS)).
 * Returns 0, or PTCP_EINVAL (NULL c, n of 0 or above PTCP_OOO_POOL_MAX, or
 * fewer nodes than ranges queued, in the new pool or the loss area's).
 */
int ptcp_conn_set_ooo_pool(ptcp_conn *c, ptcp_ooo_node *nodes, size_t n);

/*
 * Lend c the loss area l (caller memory; see ptcp_loss): c uses it until it
 * is taken back, and no other connection may use it meanwhile.  Give one
 * right after ptcp_conn_init for a connection that keeps it; a caller with
 * many connections lends a few areas among them (a ptcp_table does).  Its
 * contents need no initialisation.
 * Returns 0, or PTCP_EINVAL (NULL c or l), PTCP_ESTATE (c has one),
 * PTCP_EAGAIN (c is in a loss recovery, timeout or probe episode, or counts
 * duplicate ACKs: an area joins only between episodes; try after a later
 * step).
 */
int ptcp_conn_set_loss(ptcp_conn *c, ptcp_loss *l);

/*
 * Take c's loss area back when nothing in it is in use: no data in flight,
 * no loss episode, no out-of-order range in it.  Returns the area (c has
 * none from now on), or NULL (c is NULL, has none, or still uses it).
 */
ptcp_loss *ptcp_conn_take_loss(ptcp_conn *c);
/* c's loss area, or NULL. */
const ptcp_loss *ptcp_conn_loss(const ptcp_conn *c);

/*
 * The entry point.  Applies one input at time now and writes the resulting
 * actions into out (out->n is set).  now must not go backwards.
 * Returns, for the app calls:
 *   PTCP_IN_SEND: bytes accepted (>= 0; 0 only for len 0) or PTCP_EAGAIN
 *     (buffer full), PTCP_ENOTCONN (CLOSED/LISTEN), PTCP_ECLOSING (after
 *     shutdown/close), PTCP_ECONNRESET / PTCP_ETIMEDOUT / PTCP_EUNREACH
 *     (the connection died with that error);
 *   PTCP_IN_READ: bytes copied (0 = end of stream after the peer's FIN) or
 *     PTCP_EAGAIN (nothing yet), PTCP_ENOTCONN, or the error the connection
 *     died with;
 *   PTCP_IN_CONNECT / PTCP_IN_LISTEN: 0 or PTCP_ESTATE (not CLOSED), PTCP_EINVAL;
 *   PTCP_IN_SHUTDOWN / PTCP_IN_CLOSE: 0 or PTCP_ENOTCONN;
 *   PTCP_IN_ABORT, PTCP_IN_TIME, PTCP_IN_SEGMENT, PTCP_IN_ICMP: 0;
 *   PTCP_IN_SETOPT: 0 or PTCP_EINVAL (NULL cfg, or a delack or
 *     fin_wait2_timeout of 2^32 us or more: nothing is changed).
 * Any input: PTCP_EINVAL for NULL pointers, an unknown kind or an action
 * array smaller than PTCP_ACTIONS_MIN.
 */
int ptcp_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out);

/*
 * A handshake completed outside a connection block: by a listener's SYN
 * queue, or rebuilt from a SYN cookie.  Sequence numbers are the ISNs; the
 * peer's options as its SYN carried them.
 */
typedef struct ptcp_handshake {
	ptcp_addr laddr, raddr;
	uint16_t lport, rport;
	uint32_t iss;        /* our ISN (the SYN-ACK's sequence number) */
	uint32_t irs;        /* the peer's ISN */
	uint16_t peer_mss;   /* 0: the option was absent */
	uint8_t peer_wscale; /* 0xff: the option was absent */
	uint8_t sack_ok;     /* the peer offered SACK-permitted */
	uint8_t ts_ok;       /* the peer's SYN carried timestamps */
	uint8_t ecn_ok; /* the peer's SYN was ECN-setup and our SYN-ACK said ECE (RFC 3168 6.1.1) */
	uint32_t ts_recent; /* the peer's latest TSval */
	uint32_t snd_wnd;   /* the window of the peer's SYN (unscaled) */
} ptcp_handshake;

/*
 * Make c (initialised with ptcp_conn_init, CLOSED) the ESTABLISHED
 * connection of handshake h, with the options both sides agreed on (ours
 * from c's configuration).  Reports the state change and PTCP_EV_CONNECTED
 * in out.  The caller then feeds the segment that completed the handshake
 * (the ACK, possibly with data) as a PTCP_IN_SEGMENT.
 * Returns 0, or PTCP_ESTATE (c is not CLOSED), PTCP_EINVAL.
 */
int ptcp_conn_establish(ptcp_conn *c, const ptcp_handshake *h, ptcp_time_t now, ptcp_actions *out);

/* When the core next wants a PTCP_IN_TIME input, or PTCP_TIME_NEVER. */
ptcp_time_t ptcp_conn_next_deadline(const ptcp_conn *c);
ptcp_state ptcp_conn_state(const ptcp_conn *c);
void ptcp_conn_info(const ptcp_conn *c, ptcp_info *info);
/*
 * The options of PTCP_IN_SETOPT (see ptcp_input) taken from cfg without a
 * step: no actions; the next step acts on them (a PTCP_IN_TIME input sends
 * what NODELAY or uncorking released and arms the keep-alive timer).
 * Returns 0, or PTCP_EINVAL (NULL c or cfg, or a delack or
 * fin_wait2_timeout of 2^32 us or more: nothing is changed).
 */
int ptcp_conn_setopt(ptcp_conn *c, const ptcp_config *cfg);

/*
 * The connection counts into caller memory: st (zeroed by the caller, kept
 * valid while c is used) from now on, or nothing when st is NULL (the
 * default after ptcp_conn_init).  Several connections may share one st: it
 * then holds their sums.  The block itself holds no counters.
 */
void ptcp_conn_set_stats(ptcp_conn *c, ptcp_stats *st);
/* A copy of the counters c counts into (ptcp_conn_set_stats), or all zeros
 * when it has none. */
void ptcp_conn_stats(const ptcp_conn *c, ptcp_stats *st);
/* Bytes that a PTCP_IN_SEND would accept now. */
size_t ptcp_conn_send_space(const ptcp_conn *c);
/* In-order bytes a PTCP_IN_READ would return now. */
size_t ptcp_conn_recv_avail(const ptcp_conn *c);
/* Non-zero when the peer's FIN has been received and all data before it read. */
int ptcp_conn_eof(const ptcp_conn *c);
/* The error the connection died with (PTCP_E*), or 0. */
int ptcp_conn_error(const ptcp_conn *c);

#ifdef __cplusplus
}
#endif
#endif
