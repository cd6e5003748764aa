/*
 * ptcp connection table: demultiplexing, listeners, SYN queues, SYN
 * cookies, server Fast Open and blind-attack hardening, still pure.
 *
 * IMPLEMENTATION NOTES
 * A ptcp_table lives in one region of caller memory (ptcp_table_mem_size()
 * bytes): the pool of connection blocks and their buffers, per-block
 * bookkeeping, the SYN-queue entries ("requests": a few dozen bytes each,
 * not connections), the listeners, an open-addressing hash of 4-tuples
 * (keyed SipHash, so an attacker cannot aim collisions) and a binary heap
 * of deadlines.  Every count is bounded by the configuration; nothing is
 * allocated.  Per-segment work does not depend on the number of
 * connections: one keyed hash, an expected O(1) probe and an O(log n) heap
 * update.
 *
 * One entry point, ptcp_table_step(table, handle, input, now, actions):
 * a segment from the network (handle PTCP_NO_HANDLE: the table finds the
 * connection, the SYN-queue entry or the listener), the passing of time
 * (PTCP_NO_HANDLE: every due timer of the table), or an application call
 * on one connection (its handle).  Actions are the core's ptcp_action, each
 * tagged with the connection it concerns (PTCP_NO_HANDLE for the table's
 * own segments: SYN-ACKs, RSTs, challenge ACKs of SYN-queue entries) and
 * the listener of a connection that is not yet accepted.  The table
 * reports its own next deadline (tag PTCP_NO_HANDLE); connections'
 * deadlines are kept inside.
 *
 * Handles are indexes of connection blocks.  A handle stays valid until the
 * connection is CLOSED and the application has given it up (PTCP_IN_CLOSE
 * or PTCP_IN_ABORT on it, or it was never accepted); then the block returns
 * to the pool and its handle may be given out again.
 *
 * Secrets: the table derives separate SipHash keys from the caller's
 * 16-byte secret for the 4-tuple hash, ISNs (RFC 6528), SYN cookies, Fast
 * Open cookies (RFC 7413), timestamp offsets (RFC 7323 5.4) and the
 * challenge-ACK limit's randomisation.  The caller draws the secret from a
 * good random source; the table never reads a clock or a random source.
 */
#ifndef PTCP_LISTENER_H
#define PTCP_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/ptcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SipHash-2-4, ISNs, cookies ----------------------------------------- */

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of len bytes with a 16-byte key. */
uint64_t ptcp_siphash(const uint8_t key[16], const void *data, size_t len);

/* A connection's identity, from our side. */
typedef struct ptcp_tuple {
	ptcp_addr laddr; /* ours */
	ptcp_addr raddr; /* the peer's */
	uint16_t lport;
	uint16_t rport;
} ptcp_tuple;

/*
 * RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a timer ticking every 4 microseconds (from now), F the low
 * 32 bits of SipHash-2-4 keyed with key.
 */
uint32_t ptcp_isn(const uint8_t key[16], const ptcp_tuple *k, ptcp_time_t now);

/* RFC 7413 4.1.2: the Fast Open cookie of a client address: SipHash-2-4 of it, 8 bytes. */
#define PTCP_TFO_COOKIE_LEN 8
void ptcp_tfo_cookie(const uint8_t key[16], const ptcp_addr *client,
                     uint8_t cookie[PTCP_TFO_COOKIE_LEN]);

/*
 * RFC 7413 4.2.2, for a caller that keeps its own listeners (one block per
 * SYN): the server side of a Fast Open SYN whose cookie the caller has
 * checked (or that its policy accepts without one).  Makes c (initialised
 * with ptcp_conn_init, CLOSED) the ESTABLISHED connection of that SYN with
 * our ISN iss, takes the SYN's data as if the segment after the handshake
 * had carried it (readable at once), and emits the SYN-ACK that
 * acknowledges the SYN and its data (no separate ACK, no Fast Open option).
 * syn is the PTCP_IN_SEGMENT input of the SYN.  Until the peer acknowledges
 * our SYN the caller sends that SYN-ACK again when it wants to
 * (ptcp_tfo_synack), as ptcp_table does.
 * Returns 0, or PTCP_ESTATE (c is not CLOSED), PTCP_EINVAL (not a SYN,
 * NULL pointers, out->cap < 2 * PTCP_ACTIONS_MIN).
 */
int ptcp_tfo_server_open(ptcp_conn *c, const ptcp_input *syn, uint32_t iss, ptcp_time_t now,
                         ptcp_actions *out);

/* The SYN-ACK of a connection opened by ptcp_tfo_server_open (or by a table's Fast Open), at now.
 */
void ptcp_tfo_synack(const ptcp_conn *c, ptcp_time_t now, ptcp_seg *seg);

/*
 * An ICMP error (in: PTCP_IN_ICMP) about a connection opened by
 * ptcp_tfo_server_open whose SYN-ACK the peer has not acknowledged and that
 * the application has not accepted yet.  With PTCP_CFG_ICMP_SYNRECV_HARD in
 * c's configuration, net or host unreachable or time exceeded quoting our
 * SYN-ACK (in->icmp.seq is our ISS) closes it as Linux does for a Fast Open
 * child in SYN_RECV: PTCP_EV_ERROR, then CLOSED with PTCP_EUNREACH, nothing
 * sent; the SYN's data stays readable, then READ returns the error.  Any
 * other input goes to ptcp_step().
 * Returns 1 (closed here), or what ptcp_step() returns (0 or PTCP_E*).
 */
int ptcp_tfo_icmp(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out);

/* ---- Configuration ------------------------------------------------------ */
#define PTCP_TBL_SYNCOOKIES        0x01u /* SYN cookies when a SYN queue is full (tcp_syncookies=1) */
#define PTCP_TBL_SYNCOOKIES_ALWAYS 0x02u /* SYN cookies for every SYN (tcp_syncookies=2) */
#define PTCP_TBL_ABORT_ON_OVERFLOW                                                                 \
	0x04u              /* accept queue full on the final ACK: RST (else drop the               \
	                      ACK and let the SYN-ACK be sent again) */
#define PTCP_TBL_TFO 0x08u /* server side of TCP Fast Open (RFC 7413) */

typedef struct ptcp_table_config {
	ptcp_config conn;       /* configuration of every connection (wscale 0xff: from rcvbuf) */
	uint32_t flags;         /* PTCP_TBL_*; default SYNCOOKIES */
	uint32_t max_conns;     /* connection blocks in the pool; default 64 */
	uint32_t max_requests;  /* SYN-queue entries, shared by all listeners; default 256 */
	uint32_t max_listeners; /* default 8 */
	uint32_t max_backlog;   /* listen() backlogs are capped to this (somaxconn); default 4096 */
	uint32_t sndbuf;        /* send buffer bytes per connection; default 65536 */
	uint32_t rcvbuf;        /* receive buffer bytes per connection; default 65536 */
	uint32_t challenge_ack_limit; /* RFC 5961 7: challenge ACKs per second over the whole
	                                 table (Linux tcp_challenge_ack_limit); 0 = no limit;
	                                 default 1000 */
	uint32_t tfo_max_pending;     /* Fast Open connections whose SYN-ACK is not yet
	                                 acknowledged (RFC 7413 5.1); default 64 */
	uint32_t loss_areas; /* loss areas (ptcp_loss) in the table's memory; 0 (the default)
	                        or max_conns and above: one per connection, its own for good.
	                        Fewer: a pool lent to connections between steps - a connection
	                        gets one before a step when it is between loss episodes and
	                        one is free, and gives it back after a step that leaves it
	                        with nothing in flight and nothing out of order; one without
	                        works as ptcp_loss describes (no reassembly, no SACK) */
	uint8_t secret[16];  /* the caller's random secret */
} ptcp_table_config;

/* Fill cfg with the defaults above (and ptcp_config_default for cfg->conn; secret zero). */
void ptcp_table_config_default(ptcp_table_config *cfg);

/* ---- Counters ----------------------------------------------------------- */
typedef enum ptcp_table_drop {
	PTCP_TDROP_NONE = 0,
	PTCP_TDROP_SYN_QUEUE_FULL,    /* SYN dropped: SYN queue full and no cookies */
	PTCP_TDROP_ACCEPT_QUEUE_FULL, /* SYN dropped, or final ACK dropped/RST: accept queue full */
	PTCP_TDROP_TABLE_FULL,        /* no free connection block */
	PTCP_TDROP_COOKIE_INVALID,    /* ACK with a bad or expired SYN cookie */
	PTCP_TDROP_NO_LISTENER,       /* no connection, no listener (RFC 9293 3.10.7.1 RST) */
	PTCP_TDROP_TFO_COOKIE_INVALID, /* Fast Open cookie wrong: the SYN's data not accepted */
	PTCP_TDROP_TFO_PENDING_FULL,   /* too many pending Fast Open connections: data not taken */
	PTCP_TDROP_SYNACK_TIMEOUT,     /* SYN-ACK retransmissions gave up */
	PTCP_TDROP_CHALLENGE_LIMIT,    /* a challenge ACK suppressed by the rate limit */
	PTCP_TDROP_LISTEN,        /* not a SYN, or a bad SYN, to a listener (RFC 9293 3.10.7.2) */
	PTCP_TDROP_REQUEST,       /* unacceptable to a SYN-queue entry (RFC 9293 3.10.7.4) */
	PTCP_TDROP_REQUEST_RESET, /* a SYN-queue entry reset by RST or SYN */
	PTCP_TDROP_REQUEST_ICMP,  /* a SYN-queue entry dropped by an ICMP error (ptcp_table_icmp) */
	PTCP_TDROP_ICMP_IGNORED,  /* an ICMP error for no entry, or a SYN-queue entry's soft or
	                             unmatched one (ptcp_table_icmp) */
	PTCP_TDROP_COUNT
} ptcp_table_drop;

const char *ptcp_table_drop_name(ptcp_table_drop d);

typedef struct ptcp_table_stats {
	uint64_t segs_in;          /* segments demultiplexed */
	uint64_t syns;             /* SYNs to listeners */
	uint64_t synacks;          /* SYN-ACKs sent (first transmissions, cookies included) */
	uint64_t synack_rexmits;   /* SYN-ACKs sent again */
	uint64_t cookies_sent;     /* SYN-ACKs carrying a SYN cookie */
	uint64_t cookies_ok;       /* connections made from a valid cookie */
	uint64_t tfo_cookies_sent; /* Fast Open cookies given out */
	uint64_t tfo_accepted;     /* SYNs whose data was accepted at once */
	uint64_t syn_data_ignored; /* SYNs with data not taken (no Fast Open, a missing, wrong or
	                              unusable cookie, a SYN cookie): only the SYN acknowledged */
	uint64_t established;      /* connections made by listeners */
	uint64_t accepted;         /* connections taken by ptcp_table_accept */
	uint64_t challenge_acks;   /* challenge ACKs let through the rate limit */
	uint64_t rsts;             /* RSTs sent by the table itself */
	uint64_t drops[PTCP_TDROP_COUNT];
} ptcp_table_stats;

/* Current and maximum occupancy of every bounded structure. */
typedef struct ptcp_table_usage {
	uint32_t conns, conns_max;
	uint32_t requests, requests_max;
	uint32_t listeners, listeners_max;
	uint32_t tfo_pending, tfo_max;
	uint32_t hashed, hash_slots;         /* entries in the 4-tuple hash, its slots */
	uint32_t timers, timers_max;         /* entries in the deadline heap */
	uint32_t loss_areas, loss_areas_max; /* loss areas lent, in the table */
} ptcp_table_usage;

typedef struct ptcp_listener_info {
	ptcp_addr addr;
	uint16_t port;
	uint32_t backlog;
	uint32_t syn_queue;    /* SYN-queue entries */
	uint32_t accept_queue; /* connections waiting for ptcp_table_accept */
} ptcp_listener_info;

/* ---- The table (fields are private) ------------------------------------- */
typedef uint32_t ptcp_handle;
#define PTCP_NO_HANDLE   UINT32_MAX
#define PTCP_NO_LISTENER UINT32_MAX

struct ptcp__tbl_meta;
struct ptcp__tbl_req;
struct ptcp__tbl_lsn;
struct ptcp__tbl_slot;
struct ptcp__tbl_timer;

typedef struct ptcp_table {
	ptcp_table_config cfg;
	uint8_t wscale; /* our window shift, resolved */
	uint8_t k_hash[16], k_isn[16], k_cookie[16], k_tfo[16], k_ts[16], k_ca[16];
	struct ptcp__tbl_meta *meta;
	struct ptcp__tbl_conn *conns; /* each a block and what every step reads of the table's */
	ptcp_loss *loss;              /* the loss areas */
	uint32_t *loss_free; /* a pool's free areas (a stack), or NULL: one per connection */
	uint32_t nloss, nloss_free;
	uint8_t *bufs;
	struct ptcp__tbl_req *reqs;
	struct ptcp__tbl_lsn *lsn;
	struct ptcp__tbl_slot *slots;
	struct ptcp__tbl_timer *heap;
	uint32_t hmask, nhashed, nheap, heap_cap;
	uint32_t free_conn, free_req, nconns, nreqs, nlisteners, tfo_pending;
	uint64_t ca_second; /* challenge-ACK limit: the current second and what is left in it */
	uint32_t ca_left;
	int again; /* timers left for lack of action space */
	ptcp_time_t deadline_reported;
	ptcp_table_stats stats;
} ptcp_table;

typedef struct ptcp_table_tag {
	ptcp_handle conn; /* the connection the action concerns, or PTCP_NO_HANDLE */
	uint32_t
	    listener; /* its listener while it waits in an accept queue, else PTCP_NO_LISTENER */
} ptcp_table_tag;

/* Minimum action array capacity ptcp_table_step() accepts. */
#define PTCP_TABLE_ACTIONS_MIN 64

typedef struct ptcp_table_actions {
	ptcp_action *v;      /* caller storage, cap entries */
	ptcp_table_tag *tag; /* caller storage, cap entries: tag[i] belongs to v[i] */
	size_t cap;          /* >= PTCP_TABLE_ACTIONS_MIN */
	size_t n;            /* set by the step */
} ptcp_table_actions;

/* Bytes of memory ptcp_table_init needs for cfg, or 0 for an invalid configuration. */
size_t ptcp_table_mem_size(const ptcp_table_config *cfg);

/*
 * Set t up in mem (len >= ptcp_table_mem_size(cfg) bytes, any alignment).
 * Returns 0, or PTCP_EINVAL (bad configuration), PTCP_ENOBUFS (len too small).
 */
int ptcp_table_init(ptcp_table *t, const ptcp_table_config *cfg, void *mem, size_t len);

/*
 * Listen on local (family 0: any address) and port.  The SYN queue and the
 * accept queue each hold up to backlog entries (1 .. max_backlog; larger
 * is capped).  A listener on a specific address takes precedence over a
 * wildcard one on the same port.
 * Returns the listener id (>= 0: the lowest id not in use), or PTCP_ESTATE (already listening
 * there), PTCP_ENOBUFS (max_listeners reached), PTCP_EINVAL.
 */
int ptcp_table_listen(ptcp_table *t, const ptcp_addr *local, uint16_t port, uint32_t backlog);

/*
 * Stop listening: SYN-queue entries are forgotten and connections not yet
 * accepted are aborted (their RSTs and CLOSED events go to out).
 * Returns 0 or PTCP_EINVAL.
 */
int ptcp_table_unlisten(ptcp_table *t, uint32_t listener, ptcp_time_t now, ptcp_table_actions *out);

/* Take the oldest connection of the accept queue.  Returns 0 (*h set) or PTCP_EAGAIN, PTCP_EINVAL.
 */
int ptcp_table_accept(ptcp_table *t, uint32_t listener, ptcp_handle *h);

int ptcp_table_listener_info(const ptcp_table *t, uint32_t listener, ptcp_listener_info *info);

/* ---- Steps -------------------------------------------------------------- */
/*
 * Apply one input at time now (never going backwards).
 *   h == PTCP_NO_HANDLE:
 *     PTCP_IN_SEGMENT: a segment from the network; in->segment.dst and
 *       .src with the segment's ports give the 4-tuple.  Returns 0.
 *     PTCP_IN_TIME: fire every due timer (as many as the action array
 *       allows; if some are left the table's deadline is now).  Returns 0.
 *     PTCP_IN_CONNECT: an active open in a new block (the ISS is the
 *       table's RFC 6528 ISN; in->connect.iss is ignored).  Returns the new
 *       handle (>= 0), or PTCP_ESTATE (the 4-tuple is in use),
 *       PTCP_ENOBUFS (no free block), PTCP_EINVAL.
 *   h a connection: any input of ptcp_step() but LISTEN and CONNECT,
 *     with its return value; PTCP_IN_CLOSE and PTCP_IN_ABORT also give the
 *     handle up (see above).  PTCP_EINVAL for a handle not in use.
 * Segments emitted for a connection point into its send buffer: they are
 * valid until the next step that concerns that connection.
 */
int ptcp_table_step(ptcp_table *t, ptcp_handle h, const ptcp_input *in, ptcp_time_t now,
                    ptcp_table_actions *out);

/* The connection block of h, or NULL when h is not in use.  The table
 * attaches no counters to its blocks: ptcp_conn_set_stats() on the block
 * does (until the handle is freed). */
ptcp_conn *ptcp_table_conn(ptcp_table *t, ptcp_handle h);
/* The connection with this 4-tuple (e.g. for an ICMP error), or PTCP_NO_HANDLE. */
ptcp_handle ptcp_table_lookup(const ptcp_table *t, const ptcp_tuple *k);

/*
 * Batched receive: start the memory reads that a segment for 4-tuple k will
 * need in ptcp_table_step(), a few packets ahead, so that the cache misses
 * of a burst's packets overlap instead of following one another (with many
 * connections a step on a random one waits for several misses: the hash
 * slot, then the block).  Two stages:
 *   h[i + 2d] = ptcp_table_prefetch(t, &tuple_of(packet i + 2d));  slot
 *   ptcp_table_prefetch_conn(t, h[i + d]);                  block, bookkeeping
 *   ptcp_table_step_hashed(t, h[i], packet i, ...);   (or ptcp_table_step)
 * (d = 2 measured best with a step of ~100 ns: BENCHMARKS.md).  Hints
 * only: they change nothing, read only the table's own memory (the slots,
 * and the block whose slot carries hash h), and a stale or wrong hash just
 * prefetches other lines.  ptcp_table_prefetch() returns the tuple's hash
 * (0 for a NULL t or k); with a compiler without __builtin_prefetch (GCC
 * and Clang have it) both only compute.
 */
uint32_t ptcp_table_prefetch(const ptcp_table *t, const ptcp_tuple *k);
/* The second stage (see ptcp_table_prefetch): the connection's table entry
 * (block and bookkeeping, whole cache lines) - of a connection with nothing
 * in flight and no out-of-order data only the first five lines, which a
 * segment step on it reads, else all eight and its own loss area.  NULL t:
 * nothing.  Returns nothing. */
void ptcp_table_prefetch_conn(const ptcp_table *t, uint32_t hash);
/*
 * ptcp_table_step(t, PTCP_NO_HANDLE, in, now, out) for a segment whose
 * 4-tuple's hash ptcp_table_prefetch() returned: the lookup starts from it
 * instead of hashing the tuple again.  A wrong hash changes nothing but the
 * time (the connection is found only by its full tuple; when none is, the
 * tuple is hashed as in ptcp_table_step).  Returns as ptcp_table_step, and
 * PTCP_EINVAL when in is not a PTCP_IN_SEGMENT.
 */
int ptcp_table_step_hashed(ptcp_table *t, uint32_t hash, const ptcp_input *in, ptcp_time_t now,
                           ptcp_table_actions *out);
/*
 * An ICMP error (in: PTCP_IN_ICMP) about the 4-tuple k (from our side), at
 * now.  A connection gets it through ptcp_step(), a Fast Open connection
 * nobody accepted whose SYN-ACK is unacknowledged through ptcp_tfo_icmp()
 * (closed, it goes, as any connection that dies before accept).  A SYN-queue
 * entry is dropped when the connections' configuration has
 * PTCP_CFG_ICMP_SYNRECV_HARD and the error is net or host unreachable or
 * time exceeded quoting its ISS (Linux's tcp_req_err; counted
 * PTCP_TDROP_REQUEST_ICMP); RFC 1122 4.2.3.9 (the default): a soft error
 * about an entry no application has seen yet: nothing to do.  An error for
 * no entry, or a SYN-queue entry's ignored one, counts PTCP_TDROP_ICMP_IGNORED.
 * Returns 0 (or ptcp_step()'s value for a connection), PTCP_EINVAL.
 */
int ptcp_table_icmp(ptcp_table *t, const ptcp_tuple *k, const ptcp_input *in, ptcp_time_t now,
                    ptcp_table_actions *out);
/* When the table next wants a PTCP_IN_TIME input, or PTCP_TIME_NEVER. */
ptcp_time_t ptcp_table_next_deadline(const ptcp_table *t);
void ptcp_table_get_stats(const ptcp_table *t, ptcp_table_stats *st);
void ptcp_table_get_usage(const ptcp_table *t, ptcp_table_usage *u);

#ifdef __cplusplus
}
#endif
#endif
