/*
 * ptcp invariant checker, shared by the fuzzers, the property tests and the
 * simulator.
 *
 * IMPLEMENTATION NOTES
 * The checker never aborts and never prints: every function returns a
 * ptcp_check_code (PTCP_CHECK_OK = 0) and, on a violation, fills a
 * ptcp_check_violation with the code and a one-line human message.  The
 * caller decides what to do (a fuzzer calls abort(), a property test
 * reports, the simulator prints the seed and exits).
 *
 * Per connection (ptcp_check_conn), after every ptcp_step():
 *   ptcp_check_state()  compares the ptcp_info before (kept in the checker)
 *                       and after the step, and the actions:
 *                       SND.UNA <= SND.NXT <= SND.MAX, SND.UNA and RCV.NXT
 *                       never move backwards, the advertised right edge
 *                       RCV.NXT + RCV.WND never moves left while
 *                       synchronized (RFC 9293 3.8.6), every state change is
 *                       reported by PTCP_ACT_STATE actions that chain from
 *                       the old state to the new one, and every arrow is one
 *                       of RFC 9293 (the checker's own table, see check.c);
 *   ptcp_check_emit()   one emitted segment: it builds with
 *                       ptcp_wire_build_packet(), parses back with a correct
 *                       checksum and the same fields, MSS / window scale /
 *                       SACK-permitted only on a SYN, window scale <= 14,
 *                       SACK blocks non-empty, disjoint and inside the
 *                       receive window (a first block may be an RFC 2883
 *                       D-SACK: at or below SEG.ACK, or inside the second
 *                       block), the right edge announced in
 *                       segments never moves left;
 *   ptcp_check_step()   both of the above for a real connection.
 * Per pair: ptcp_check_pair() checks a segment against the checker of the
 * connection that will receive it: the ACK never acknowledges data the peer
 * has not sent (SEG.ACK <= peer SND.MAX) and no payload lies beyond the
 * peer's advertised window, except a 1-byte zero-window probe.
 * Per byte stream: ptcp_check_stream records what the writer gave the core
 * and checks every byte read equals the byte written at that offset, in
 * order, exactly once.
 * Liveness: ptcp_check_liveness() flags a connection that holds
 * unacknowledged, unsent or unread data with no deadline and nothing in
 * flight (nothing can ever happen to it again); ptcp_check_rto() one whose
 * retransmission timeout fires without sending anything.
 *
 * Cost: a state check is a ptcp_info copy and a few comparisons; an emit
 * check is one packet parse (and a build when no packet is given).
 */
#ifndef PTCP_CHECK_H
#define PTCP_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/ptcp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ptcp_check_code {
	PTCP_CHECK_OK = 0,
	PTCP_CHECK_SND_ORDER,    /* not SND.UNA <= SND.NXT <= SND.MAX */
	PTCP_CHECK_SND_UNA_BACK, /* SND.UNA moved backwards */
	PTCP_CHECK_RCV_NXT_BACK, /* RCV.NXT moved backwards */
	PTCP_CHECK_RCV_EDGE,     /* advertised right edge moved left (RFC 9293 3.8.6) */
	PTCP_CHECK_STATE_ARROW,  /* a state change that is not an RFC 9293 arrow */
	PTCP_CHECK_STATE_REPORT, /* PTCP_ACT_STATE actions do not match the state change */
	PTCP_CHECK_BUILD,        /* an emitted segment does not build */
	PTCP_CHECK_PARSE,        /* the built packet does not parse back (or bad checksum) */
	PTCP_CHECK_ROUNDTRIP,    /* the parsed segment differs from the emitted one */
	PTCP_CHECK_OPTIONS,      /* option rules: MSS/WS/SACK-perm off a SYN, WS > 14, ... */
	PTCP_CHECK_SACK,         /* SACK blocks empty, overlapping or outside the window */
	PTCP_CHECK_ACK_UNSENT,   /* SEG.ACK acknowledges data the peer has not sent */
	PTCP_CHECK_PEER_WINDOW,  /* payload beyond the peer's advertised window */
	PTCP_CHECK_STREAM_DATA,  /* a byte read differs from the byte written there */
	PTCP_CHECK_STREAM_EXTRA, /* more bytes read than were written */
	PTCP_CHECK_STREAM_SHORT, /* end of stream before every written byte was read */
	PTCP_CHECK_STUCK,        /* data waiting, no deadline, nothing in flight */
	PTCP_CHECK_NOMEM,        /* the checker could not allocate (not a core fault) */
	PTCP_CHECK_CODE_COUNT
} ptcp_check_code;

typedef struct ptcp_check_violation {
	ptcp_check_code code;
	char msg[256];
} ptcp_check_violation;

/* "snd-order", "state-arrow", ... (a static string). */
const char *ptcp_check_code_name(ptcp_check_code code);

/* 1 when from -> to is an arrow of RFC 9293 (3.3.2 diagram and 3.10 text). */
int ptcp_check_arrow_ok(ptcp_state from, ptcp_state to);

/* ---- Per connection ----------------------------------------------------- */
/* ptcp_check_conn.flags */
/* CLOSED -> ESTABLISHED is allowed: the connection may be created by
 * ptcp_conn_establish() (handshake completed by a listener or a SYN cookie
 * outside the block).  Not an RFC 9293 arrow, so off by default. */
#define PTCP_CHECK_F_ESTABLISH 0x01u

typedef struct ptcp_check_conn {
	uint32_t flags;      /* PTCP_CHECK_F_*, set by the caller after init */
	ptcp_info prev;      /* the connection after the last checked step */
	uint32_t edge;       /* highest RCV.NXT + RCV.WND seen while synchronized */
	uint32_t seg_edge;   /* highest SEG.ACK + SEG.WND announced in an emitted segment */
	uint8_t edge_ok;     /* edge is set */
	uint8_t seg_edge_ok; /* seg_edge is set */
	uint8_t active;      /* this incarnation left CLOSED/LISTEN: iss, snd_max are real */
	uint64_t steps;      /* steps checked */
	uint64_t segs;       /* segments checked */
} ptcp_check_conn;

/* A checker for a fresh connection block (CLOSED, as after ptcp_conn_init). */
void ptcp_check_init(ptcp_check_conn *k);
/* A checker starting from the connection's current variables. */
void ptcp_check_init_conn(ptcp_check_conn *k, const ptcp_conn *c);

/*
 * The variable and state checks of one step: after is the ptcp_info after
 * the step, acts/n its actions.  The checker's prev becomes after (also on a
 * violation, so that checking can go on).  Returns PTCP_CHECK_OK or the code
 * of the first violation (v filled; v may be NULL).
 */
ptcp_check_code ptcp_check_state(ptcp_check_conn *k, const ptcp_info *after,
                                 const ptcp_action *acts, size_t n, ptcp_check_violation *v);

/*
 * One PTCP_ACT_EMIT action of the step just given to ptcp_check_state().
 * pkt/len: the packet the caller built from it with ptcp_wire_build_packet()
 * (ip as given to the build: emit.src/emit.dst); pkt NULL: the checker builds
 * it (IPv4/IPv6 per emit.src, TTL 64).  Returns PTCP_CHECK_OK or a code.
 */
ptcp_check_code ptcp_check_emit(ptcp_check_conn *k, const ptcp_action *emit, const uint8_t *pkt,
                                size_t len, ptcp_check_violation *v);

/*
 * ptcp_check_emit() for a caller that already parsed its packet with
 * ptcp_wire_parse_packet() (which verified the checksums): ip and parsed
 * are that parse's result.  The same checks without a second parse.
 */
ptcp_check_code ptcp_check_emit_parsed(ptcp_check_conn *k, const ptcp_action *emit,
                                       const ptcp_ip *ip, const ptcp_seg *parsed,
                                       ptcp_check_violation *v);

/* ptcp_conn_info() + ptcp_check_state() + ptcp_check_emit() of every emitted segment. */
ptcp_check_code ptcp_check_step(ptcp_check_conn *k, const ptcp_conn *c, const ptcp_actions *out,
                                ptcp_check_violation *v);

/*
 * A segment emitted by one end, against the checker of the other end (peer,
 * up to date: the peer's variables only change when it steps).  SEG.ACK must
 * lie in (peer ISS, peer SND.MAX] once the peer has an ISS, and the payload
 * must end at or before the peer's advertised right edge, except a 1-byte
 * probe starting at the edge.  Returns PTCP_CHECK_OK or a code.
 */
ptcp_check_code ptcp_check_pair(const ptcp_check_conn *peer, const ptcp_seg *seg,
                                ptcp_check_violation *v);

/*
 * Liveness of one end: info and the deadline it reported
 * (ptcp_conn_next_deadline), in_flight = packets of this connection in the
 * network (either direction), app_pending = the application will still call
 * in (so unread data is not stuck).  PTCP_CHECK_STUCK when the end is in a
 * connected state (SYN-SENT .. LAST-ACK) with unacknowledged or unsent
 * data, or unread data and no pending application call, while it has no
 * deadline and nothing is in flight.
 */
ptcp_check_code ptcp_check_liveness(const ptcp_info *info, ptcp_time_t deadline, size_t in_flight,
                                    int app_pending, ptcp_check_violation *v);

/*
 * A step that fired a retransmission timeout (ptcp_stats.rto_fired went from
 * rto_before to rto_after) must send something while the connection is
 * still open with data unacknowledged: RFC 6298 5.4 (retransmit the
 * earliest unacknowledged segment), RFC 9293 3.8.6.1 (keep probing a zero
 * window).  A timeout that sends nothing repeats until the connection gives
 * up (PTCP_CHECK_STUCK).
 */
ptcp_check_code ptcp_check_rto(uint64_t rto_before, uint64_t rto_after, const ptcp_info *after,
                               const ptcp_action *acts, size_t n, ptcp_check_violation *v);

/* ---- Byte streams ------------------------------------------------------- */
typedef struct ptcp_check_stream {
	uint8_t *buf;     /* ring of written, not yet read bytes */
	size_t cap;       /* power of two or 0 */
	size_t head, len; /* first unread byte, bytes held */
	uint64_t written; /* bytes the writer handed to the core */
	uint64_t read;    /* bytes the reader got */
} ptcp_check_stream;

void ptcp_check_stream_init(ptcp_check_stream *s);
void ptcp_check_stream_free(ptcp_check_stream *s);
/* Record len bytes accepted by the writer's core.  PTCP_CHECK_OK or PTCP_CHECK_NOMEM. */
ptcp_check_code ptcp_check_stream_write(ptcp_check_stream *s, const void *data, size_t len,
                                        ptcp_check_violation *v);
/* len bytes the reader got, in order.  PTCP_CHECK_STREAM_DATA / _EXTRA on a mismatch. */
ptcp_check_code ptcp_check_stream_read(ptcp_check_stream *s, const void *data, size_t len,
                                       ptcp_check_violation *v);
/* The reader saw the end of the stream: every written byte must have been read. */
ptcp_check_code ptcp_check_stream_eof(const ptcp_check_stream *s, ptcp_check_violation *v);

#ifdef __cplusplus
}
#endif
#endif
