/*
 * Internal declarations of the connection table (table.c, listener.c,
 * syncookie.c, tfo.c, siphash.c).
 *
 * IMPLEMENTATION NOTES
 * A reference ("ref") names either a connection block (its index) or a
 * SYN-queue entry (its index with REF_REQ set); the 4-tuple hash and the
 * deadline heap hold refs.  A table step runs with a tstep (the table, the
 * caller's actions, the time); a segment's demultiplexing state is a tseg.
 * One action slot is always kept for the table's own deadline report.
 */
#ifndef PTCP_TABLE_INT_H
#define PTCP_TABLE_INT_H

#include "internal.h"
#include "ptcp/listener.h"

#define tbl_tuple_bytes     ptcp__tbl_tuple_bytes
#define tbl_tuple_sip       ptcp__tbl_tuple_sip
#define tbl_push            ptcp__tbl_push
#define tbl_hash_insert     ptcp__tbl_hash_insert
#define tbl_hash_remove     ptcp__tbl_hash_remove
#define tbl_timer_set       ptcp__tbl_timer_set
#define tbl_conn_adopt      ptcp__tbl_conn_adopt
#define tbl_conn_after      ptcp__tbl_conn_after
#define tbl_absorb          ptcp__tbl_absorb
#define tbl_view            ptcp__tbl_view
#define tbl_run_step        ptcp__tbl_run_step
#define tbl_aq_push         ptcp__tbl_aq_push
#define tbl_aq_unlink       ptcp__tbl_aq_unlink
#define tbl_ca_allow        ptcp__tbl_ca_allow
#define tbl_ts_off          ptcp__tbl_ts_off
#define tbl_rto_backoff     ptcp__tbl_rto_backoff
#define tbl_report_deadline ptcp__tbl_report_deadline
#define syn_handshake       ptcp__syn_handshake
#define synack_wnd          ptcp__synack_wnd
#define lsn_find            ptcp__lsn_find
#define lsn_input           ptcp__lsn_input
#define req_input           ptcp__req_input
#define req_timer           ptcp__req_timer
#define req_free            ptcp__req_free
#define synack_emit         ptcp__synack_emit
#define rst_reply           ptcp__rst_reply
#define cookie_mss_index    ptcp__cookie_mss_index
#define cookie_mss          ptcp__cookie_mss
#define cookie_make         ptcp__cookie_make
#define cookie_check        ptcp__cookie_check
#define cookie_opts         ptcp__cookie_opts
#define cookie_tsval        ptcp__cookie_tsval
#define tfo_syn             ptcp__tfo_syn
#define tfo_segment         ptcp__tfo_segment
#define tfo_timer           ptcp__tfo_timer
#define tfo_clear           ptcp__tfo_clear

#define NONE32  UINT32_MAX
#define REF_REQ 0x80000000u
/* In a hash slot, beside a connection's ref (< REF_REQ / 2): the connection
 * is busy (data in flight or out-of-order ranges held), so that
 * ptcp_table_prefetch_conn fetches all of its entry and its own loss area,
 * which its next step reads, and of an idle one only the hot lines. */
#define REF_BUSY 0x40000000u

/* tbl_meta.flags */
enum {
	M_USED = 1u << 0,     /* the block is given out */
	M_HASHED = 1u << 1,   /* its 4-tuple is in the hash */
	M_ACCEPTQ = 1u << 2,  /* waiting in its listener's accept queue */
	M_ACCEPTED = 1u << 3, /* the application has it (accepted or opened it) */
	M_RELEASED = 1u << 4, /* the application gave it up (CLOSE or ABORT) */
	M_TFO = 1u << 5,      /* Fast Open: our SYN-ACK is not yet acknowledged */
	M_BUSY = 1u << 6      /* its slot's REF_BUSY is set */
};

/* Bookkeeping of one connection block that a step on an established
 * connection does not read (what it reads is in its tbl_ent). */
struct ptcp__tbl_meta {
	uint32_t next, prev; /* free list (next), accept queue (both) */
	uint32_t hash;
	uint32_t listener;
	ptcp_time_t tfo_deadline; /* Fast Open SYN-ACK retransmission */
};
typedef struct ptcp__tbl_meta tbl_meta;

/* A connection block with the bookkeeping every step reads (the rest is in
 * tbl_meta), aligned to and padded to whole cache lines: on a 64-bit machine
 * these 8 bytes and the 504-byte block are exactly 8 lines.  What a segment
 * step on an idle connection reads (this and the block's hot part) is in the
 * first ENT_HOT_LINES; ptcp_table_prefetch_conn fetches those, and all 8 and
 * the loss area's lines when the connection is busy (REF_BUSY). */
struct ptcp__tbl_conn {
	_Alignas(64) uint32_t heap_pos; /* in the deadline heap, or NONE32 */
	uint8_t flags;                  /* M_* */
	uint8_t tfo_retries;
	ptcp_conn c;
};
typedef struct ptcp__tbl_conn tbl_ent;
#define ENT_HOT_LINES 5u
_Static_assert(sizeof(void *) != 8 || offsetof(tbl_ent, c) + offsetof(ptcp_conn, cfg) +
                                              offsetof(ptcp_conn_cfg, challenge_ack_limit) <=
                                          ENT_HOT_LINES * 64u,
               "an idle step's fields are in the entry's first ENT_HOT_LINES lines");

/* tbl_req.opt */
enum {
	R_USED = 1u << 0,
	R_SACK = 1u << 1, /* SACK-permitted agreed (RFC 2018) */
	R_TS = 1u << 2,   /* timestamps agreed (RFC 7323) */
	R_ECN = 1u << 3,  /* ECN agreed (RFC 3168 6.1.1) */
	R_WS = 1u << 4,   /* window scaling agreed (RFC 7323 2.2) */
	R_TFOC = 1u << 5  /* our SYN-ACK carries a Fast Open cookie */
};

/* A SYN-queue entry: what a SYN-RECEIVED connection needs, no more. */
struct ptcp__tbl_req {
	ptcp_tuple k;
	uint32_t hash, heap_pos, next, listener;
	uint32_t iss, irs;
	uint32_t ts_recent;  /* the SYN's TSval */
	uint32_t ts_off;     /* our timestamp offset for this 4-tuple */
	uint16_t peer_mss;   /* 0: absent */
	uint16_t snd_wnd;    /* the SYN's window */
	uint8_t peer_wscale; /* 0xff: absent */
	uint8_t opt;
	uint8_t retries;
	ptcp_time_t deadline;
};
typedef struct ptcp__tbl_req tbl_req;

struct ptcp__tbl_lsn {
	ptcp_addr addr; /* family 0: any */
	uint16_t port;
	uint8_t used;
	uint8_t overflowed; /* its SYN queue has been full (last_overflow is set) */
	uint32_t backlog, synq, acceptq;
	uint32_t aq_head, aq_tail;
	ptcp_time_t last_overflow;
};
typedef struct ptcp__tbl_lsn tbl_lsn;

struct ptcp__tbl_slot {
	uint32_t ref; /* NONE32: empty */
	uint32_t hash;
};

struct ptcp__tbl_timer {
	ptcp_time_t when;
	uint32_t ref;
};

typedef struct tstep {
	ptcp_table *t;
	ptcp_table_actions *out;
	ptcp_time_t now;
	const uint32_t *hint; /* ptcp_table_step_hashed: the segment's tuple hash, else NULL */
} tstep;

/* A table step starts: no actions yet (every entry point). */
static inline void tstep_begin(tstep *x, ptcp_table *t, ptcp_table_actions *out, ptcp_time_t now,
                               const uint32_t *hint)
{
	out->n = 0;
	x->t = t;
	x->out = out;
	x->now = now;
	x->hint = hint;
}

/* A segment being demultiplexed. */
typedef struct tseg {
	const ptcp_input *in;
	const ptcp_seg *seg;
	ptcp_tuple k; /* laddr = the IP destination */
	uint32_t hash;
	uint32_t tw_isn; /* tw: the ISS for a SYN that ended TIME-WAIT */
	uint8_t tw;
} tseg;

/* What a SYN-ACK says. */
typedef struct synack {
	uint32_t seq, ack;
	uint16_t wnd;
	uint8_t ws_ok, sack_ok, ts_ok, ecn_ok;
	uint32_t tsval, tsecr;
	const uint8_t *tfo_cookie; /* NULL: no Fast Open option */
} synack;

#define COOKIE_MAX_AGE 2 /* minutes (Linux MAX_SYNCOOKIE_AGE) */
#define COOKIE_PERIOD  PTCP_SEC(60)

/* table.c */
size_t tbl_tuple_bytes(const ptcp_tuple *k, uint8_t *b); /* b: 40 bytes */
uint64_t tbl_tuple_sip(const uint8_t key[16], const ptcp_tuple *k, const uint8_t *extra,
                       size_t elen); /* elen <= 24 */
/* A table action (tag conn/lid), or NULL when only the deadline slot is left. */
ptcp_action *tbl_push(tstep *x, ptcp_action_kind kind, uint32_t conn, uint32_t lid);
void tbl_hash_insert(ptcp_table *t, uint32_t ref, uint32_t hash);
void tbl_hash_remove(ptcp_table *t, uint32_t ref, uint32_t hash);
/* Put ref in the heap at when, move it, or (PTCP_TIME_NEVER) take it out. */
void tbl_timer_set(ptcp_table *t, uint32_t ref, ptcp_time_t when);
/* A view of the free action space for a core call; 0 when too small. */
int tbl_view(tstep *x, ptcp_actions *v);
/* Move a core call's actions (in v, at the end of out) into out, tagged; drop
 * DEADLINE actions and, with no_pure_acks, bare ACKs. */
void tbl_absorb(tstep *x, uint32_t idx, const ptcp_actions *v, int no_pure_acks);
/* After any core call on block idx: free it, unhash it or move its timer. */
void tbl_conn_after(tstep *x, uint32_t idx);
/* ptcp_step on block idx with its actions absorbed; PTCP_ENOSPC if no room. */
int tbl_run_step(tstep *x, uint32_t idx, const ptcp_input *in);
/*
 * A block made ESTABLISHED from handshake h (tuple hash hash), hashed, in
 * listener lid's accept queue; ecn: ECN agreed.  Its first actions are in
 * v, not yet absorbed.  Returns the index or NONE32 (no free block).
 */
uint32_t tbl_conn_adopt(tstep *x, const ptcp_handshake *h, uint32_t hash, uint32_t lid, int ecn,
                        ptcp_actions *v);
void tbl_aq_push(ptcp_table *t, uint32_t lid, uint32_t idx);
void tbl_aq_unlink(ptcp_table *t, uint32_t idx);
/* RFC 5961 7: may a challenge ACK go out now?  Counts either way. */
int tbl_ca_allow(tstep *x);
uint32_t tbl_ts_off(const ptcp_table *t, const ptcp_tuple *k);
ptcp_time_t tbl_rto_backoff(const ptcp_table *t, unsigned retries);
/* The table's DEADLINE action, when its next deadline changed. */
void tbl_report_deadline(tstep *x);

/* listener.c */
uint32_t lsn_find(const ptcp_table *t, const ptcp_addr *addr, uint16_t port);
void lsn_input(tstep *x, const tseg *s, uint32_t lid);
void req_input(tstep *x, const tseg *s, uint32_t ri);
void req_timer(tstep *x, uint32_t ri);
void req_free(ptcp_table *t, uint32_t ri);
void synack_emit(tstep *x, const ptcp_tuple *k, const synack *sa, ptcp_action *a);
/* The window of our SYN-ACKs: min(buffer, 65535), never scaled (RFC 7323 2.2);
 * ptcp_conn_establish assumes the same. */
uint16_t synack_wnd(const ptcp_table *t);
/* The handshake a SYN starts (the peer's options as offered); *ecn: ECN agreed. */
void syn_handshake(const ptcp_table *t, const tseg *s, ptcp_handshake *h, int *ecn);
/* RFC 9293 3.10.7.1: the RST answering s (none for a RST). */
void rst_reply(tstep *x, const tseg *s);

/* syncookie.c */
unsigned cookie_mss_index(uint16_t peer_mss, int v6);
uint16_t cookie_mss(unsigned idx, int v6);
uint32_t cookie_make(const ptcp_table *t, const ptcp_tuple *k, uint32_t irs, ptcp_time_t now,
                     unsigned mss_idx, uint8_t opts);
/* The MSS index of a valid cookie, or -1. */
int cookie_check(const ptcp_table *t, const ptcp_tuple *k, uint32_t irs, uint32_t cookie,
                 ptcp_time_t now, uint8_t opts);
/* The options byte carried in the TSval's low 6 bits (bit 6: timestamps on). */
uint8_t cookie_opts(int ws_ok, uint8_t ws, int sack_ok, int ecn_ok);
uint32_t cookie_tsval(uint32_t tsnow, uint8_t opts);

/* tfo.c */
/* The Fast Open part of a SYN to listener lid: 1 when it made the connection
 * (done), else 0 with *cookie set to the cookie the SYN-ACK must carry or NULL. */
int tfo_syn(tstep *x, const tseg *s, uint32_t lid, const uint8_t **cookie, uint8_t *buf);
/* A segment for a Fast Open connection whose SYN-ACK is pending: 1 when consumed. */
int tfo_segment(tstep *x, const tseg *s, uint32_t idx);
void tfo_timer(tstep *x, uint32_t idx);
void tfo_clear(ptcp_table *t, uint32_t idx);

static inline tbl_lsn *lsn_at(const ptcp_table *t, uint32_t lid)
{
	return &t->lsn[lid];
}

#endif
