/*
 * Internal declarations shared by the core's files.
 *
 * IMPLEMENTATION NOTES
 * A step runs with a step_ctx: the connection, the caller's action array and
 * the time.  conn.c dispatches inputs (app calls), input.c processes a
 * segment (RFC 9293 3.10.7), output.c decides what to send, timer.c owns the
 * retransmission, TIME-WAIT and FIN-WAIT-2 deadlines and the RTT estimator,
 * buf.c the send and receive rings, ooo.c the out-of-order ranges.
 */
#ifndef PTCP_INTERNAL_H
#define PTCP_INTERNAL_H

#include <string.h>

#include "ptcp/ptcp.h"

/* Internal functions live in the ptcp namespace too (no clash with an embedder's symbols). */
#define conn_set_state       ptcp__conn_set_state
#define loss_detach          ptcp__loss_detach
#define conn_event           ptcp__conn_event
#define conn_closed          ptcp__conn_closed
#define conn_emit            ptcp__conn_emit
#define conn_established     ptcp__conn_established
#define input_segment        ptcp__input_segment
#define fastpath_step        ptcp__fastpath_step
#define conn_step            ptcp__conn_step
#define conn_step_end        ptcp__conn_step_end
#define input_icmp           ptcp__input_icmp
#define input_negotiate      ptcp__input_negotiate
#define input_enter_recovery ptcp__input_enter_recovery
#define output_flush         ptcp__output_flush
#define output_rst_reply     ptcp__output_rst_reply
#define output_rst           ptcp__output_rst
#define timer_fire           ptcp__timer_fire
#define timer_rexmit_arm     ptcp__timer_rexmit_arm
#define timer_rexmit_restart ptcp__timer_rexmit_restart
#define timer_rexmit_stop    ptcp__timer_rexmit_stop
#define timer_rtt_sample     ptcp__timer_rtt_sample
#define timer_timewait       ptcp__timer_timewait
#define timer_pto_restart    ptcp__timer_pto_restart
#define sack_on_ack          ptcp__sack_on_ack
#define sack_trim            ptcp__sack_trim
#define sack_is_lost         ptcp__sack_is_lost
#define sack_pipe            ptcp__sack_pipe
#define sack_next_seg        ptcp__sack_next_seg
#define sack_find            ptcp__sack_find
#define sack_next_above      ptcp__sack_next_above
#define sack_bytes_below     ptcp__sack_bytes_below
#define sack_check_reneging  ptcp__sack_check_reneging
#define prr_sacked           ptcp__prr_sacked
#define rack_sent            ptcp__rack_sent
#define rack_reset           ptcp__rack_reset
#define rack_on_ack          ptcp__rack_on_ack
#define rack_recovery_done   ptcp__rack_recovery_done
#define rack_unit            ptcp__rack_unit
#define rack_reo_wnd         ptcp__rack_reo_wnd
#define rack_step            ptcp__rack_step
#define rack_hole_pipe       ptcp__rack_hole_pipe
#define rack_next_lost       ptcp__rack_next_lost
#define prr_delivered        ptcp__prr_delivered
#define prr_enter            ptcp__prr_enter
#define prr_on_ack           ptcp__prr_on_ack
#define prr_sent             ptcp__prr_sent
#define output_keepalive     ptcp__output_keepalive
#define output_mss           ptcp__output_mss
#define timer_tsval          ptcp__timer_tsval
#define sbuf_space           ptcp__sbuf_space
#define sbuf_write           ptcp__sbuf_write
#define sbuf_ack             ptcp__sbuf_ack
#define sbuf_spans           ptcp__sbuf_spans
#define rbuf_read            ptcp__rbuf_read
#define rbuf_place           ptcp__rbuf_place
#define rbuf_copy            ptcp__rbuf_copy
#define rcv_clamp_grow       ptcp__rcv_clamp_grow
#define mtup_init            ptcp__mtup_init
#define mtup_probe_len       ptcp__mtup_probe_len
#define mtup_probe_sent      ptcp__mtup_probe_sent
#define mtup_on_ack          ptcp__mtup_on_ack
#define mtup_resent          ptcp__mtup_resent
#define mtup_icmp            ptcp__mtup_icmp

/* conn->flags */
enum {
	F_PASSIVE = 1u << 0,     /* opened by LISTEN */
	F_FIN_QUEUED = 1u << 1,  /* app shut down writing: FIN follows the data */
	F_ACK_NOW = 1u << 2,     /* an ACK must go out in this step */
	F_RFIN = 1u << 3,        /* peer's FIN received in order */
	F_SHUT_RD = 1u << 4,     /* app shut down reading */
	F_TS = 1u << 5,          /* timestamps negotiated */
	F_SACK = 1u << 6,        /* SACK negotiated */
	F_WS = 1u << 7,          /* window scaling negotiated */
	F_APP_CLOSED = 1u << 8,  /* app called CLOSE */
	F_PENDING = 1u << 9,     /* output stopped for lack of action space */
	F_RTT = 1u << 10,        /* timing rtt_seq */
	F_RFIN_OOO = 1u << 11,   /* peer FIN seen beyond a hole, at rfin_seq */
	F_MORE = 1u << 12,       /* app said more data follows */
	F_PEER_TS = 1u << 13,    /* peer's SYN carried timestamps */
	F_PEER_SACK = 1u << 14,  /* peer's SYN carried SACK-permitted */
	F_PEER_WS = 1u << 15,    /* peer's SYN carried window scale */
	F_FORCE1 = 1u << 16,     /* persist probe: send one byte past the window */
	F_FASTRETX = 1u << 17,   /* resend SND.UNA now (fast retransmit) */
	F_INRECOVERY = 1u << 18, /* in fast recovery */
	F_DSACK = 1u << 19,      /* c->dsack is to be reported */
	F_PEER_ECN = 1u << 20,   /* the peer's SYN asked for ECN (RFC 3168 6.1.1) */
	F_ECN = 1u << 21,        /* ECN negotiated */
	F_ECE = 1u << 22,        /* echo ECE on our ACKs until the peer's CWR */
	F_CWR = 1u << 23,        /* set CWR on the next new data segment */
	F_TLP_ARMED = 1u << 24,  /* t_rexmit is a probe timeout (PTO), not the RTO */
	F_TLP_PROBE = 1u << 25,  /* send a tail loss probe in this step */
	F_WND_PROBE = 1u << 26,  /* a zero-window probe byte is out past the peer's window */
	F_SACK_SND = 1u << 27,   /* SACK negotiated and a loss area lent: scoreboard, RACK, TLP */
	F_RTO_LOSS = 1u << 28,   /* after a timeout, until SND.UNA reaches recover */
	F_FIN_ALONE = 1u << 29,  /* our FIN went in a segment of its own (no data) */
	F_MTU_PROBE = 1u << 30   /* an RFC 4821 probe is in flight (mtup.c) */
};
/* PTCP_CFG_NAGLE_MINSHALL: a short segment may be unacknowledged (bit 31: an
 * enumerator cannot hold it in ISO C) */
#define F_SML 0x80000000u

/* A branch the common case does not take (a hint; portable without it). */
#if defined(__GNUC__)
#define UNLIKELY(e) __builtin_expect(!!(e), 0)
#else
#define UNLIKELY(e) (e)
#endif

/* Action slots kept for non-segment actions (state, events, readable, deadline). */
#define RESERVE 10u

typedef struct step_ctx {
	ptcp_conn *c;
	ptcp_actions *out;
	ptcp_time_t now;
	const ptcp_input *in; /* the input of this step */
	uint32_t bytes_out;   /* payload bytes emitted in this step (PRR's prr_out) */
} step_ctx;

/* A step starts: no actions yet, nothing emitted (every entry point). */
static inline void step_begin(step_ctx *x, ptcp_conn *c, const ptcp_input *in, ptcp_time_t now,
                              ptcp_actions *out)
{
	out->n = 0;
	x->c = c;
	x->out = out;
	x->now = now;
	x->in = in;
	x->bytes_out = 0;
}

/* Count into the caller's counters, if it gave any (ptcp_conn_set_stats). */
#define STAT_ADD(c, field, n)                                                                      \
	do {                                                                                       \
		if ((c)->stats)                                                                    \
			(c)->stats->field += (n);                                                  \
	} while (0)

/* n payload bytes emitted (bytes_out counter and the step's total). */
static inline void count_out(step_ctx *x, uint32_t n)
{
	x->bytes_out += n;
	STAT_ADD(x->c, bytes_out, n);
}

/* conn.c */
void conn_set_state(step_ctx *x, ptcp_state to);
void conn_event(step_ctx *x, ptcp_event ev, int err);
/* Enter CLOSED ("delete the TCB"), remembering err (0 for a clean close). */
void conn_closed(step_ctx *x, int err);
/* A new EMIT action with a zeroed segment from our port to the peer's, or NULL when full. */
ptcp_seg *conn_emit(step_ctx *x);
void conn_established(step_ctx *x);
/* ptcp_step() after its argument checks, without header prediction: the
 * input, then conn_step_end().  Returns what ptcp_step() returns. */
int conn_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out);
/* The end of a step: output_flush(), the keepalive deadline, DEADLINE. Returns ret. */
int conn_step_end(step_ctx *x, int ret);

/* input.c */
void input_segment(step_ctx *x, const ptcp_input *in);
/* fastpath.c: ptcp_step() for a segment (in->segment.seg not NULL, the
 * arguments checked): header prediction, else conn_step().  Returns 0. */
int fastpath_step(ptcp_conn *c, const ptcp_input *in, ptcp_time_t now, ptcp_actions *out);
void input_icmp(step_ctx *x, const ptcp_input *in);
void input_negotiate(ptcp_conn *c);
void input_enter_recovery(step_ctx *x);

/* output.c */
void output_flush(step_ctx *x);
/* RST in answer to seg (RFC 9293 3.10.7.1), from our side of seg. */
void output_rst_reply(step_ctx *x, const ptcp_seg *seg);
/* RST <SEQ=seq><CTL=RST> (ACK and ack if with_ack). */
void output_rst(step_ctx *x, uint32_t seq, int with_ack, uint32_t ack);
void output_keepalive(step_ctx *x);
uint32_t output_mss(const ptcp_conn *c);

/* timer.c */
void timer_fire(step_ctx *x);
void timer_rexmit_arm(step_ctx *x);
void timer_rexmit_restart(step_ctx *x);
void timer_rexmit_stop(ptcp_conn *c);
void timer_rtt_sample(ptcp_conn *c, ptcp_time_t r);
void timer_timewait(step_ctx *x);
void timer_pto_restart(step_ctx *x);
/* Inline: every step ends with these two (the fast path's too). */
static inline ptcp_time_t min_t(ptcp_time_t a, ptcp_time_t b)
{
	return a < b ? a : b;
}

static inline ptcp_time_t timer_next(const ptcp_conn *c)
{
	/* The earliest armed deadline: an unarmed one (0) wraps to the largest
	 * value once 1 is taken off, so a minimum without branches does it. */
	ptcp_time_t m = min_t(c->t_rexmit - 1, c->t_close - 1);
	m = min_t(m, c->t_delack - 1);
	m = min_t(m, c->t_keepalive - 1);
	m = min_t(m, c->t_reo - 1);
	return m == PTCP_TIME_NEVER ? PTCP_TIME_NEVER : m + 1;
}

/* RFC 1122 4.2.3.6: the keep-alive deadline, idle time after the last segment received,
 * while established with nothing outstanding and no probe out. */
static inline void timer_keepalive_arm(step_ctx *x)
{
	ptcp_conn *c = x->c;
	if (!c->cfg.keepalive_idle || c->ka_probes ||
	    (c->state != PTCP_ESTABLISHED && c->state != PTCP_CLOSE_WAIT) ||
	    c->snd_una != c->snd_max) {
		if (!c->ka_probes)
			c->t_keepalive = 0;
		return;
	}
	c->t_keepalive = c->last_rcv + c->cfg.keepalive_idle;
}

/* RFC 7323 5.4: a timestamp clock of 1 ms, offset per connection. */
static inline uint32_t timer_tsval(const ptcp_conn *c, ptcp_time_t now)
{
	return (uint32_t)(now / 1000u) + c->cfg.ts_offset;
}

/* sack.c */
int sack_on_ack(ptcp_conn *c, const ptcp_seg *seg); /* returns the DSACK blocks seen */
void sack_trim(ptcp_conn *c);
int sack_is_lost(const ptcp_conn *c, uint32_t seq);
uint32_t sack_pipe(const ptcp_conn *c);
int sack_next_seg(const ptcp_conn *c, int rule3, uint32_t *seq, uint32_t *len);
const ptcp_sack_block *sack_find(const ptcp_conn *c, uint32_t seq);
const ptcp_sack_block *sack_next_above(const ptcp_conn *c, uint32_t seq);
uint32_t sack_bytes_below(const ptcp_conn *c, uint32_t seq);
int sack_check_reneging(ptcp_conn *c);

/* prr.c */
uint32_t prr_sacked(const ptcp_conn *c);
uint32_t prr_delivered(const ptcp_conn *c, uint32_t acked, uint32_t sacked0, uint32_t sacked1,
                       uint32_t dupacks0);
void prr_enter(ptcp_conn *c);
void prr_on_ack(ptcp_conn *c, uint32_t delivered, int safe_ack);
void prr_sent(ptcp_conn *c, uint32_t bytes);

/* rack.c (RFC 8985 6) */
/* [seq, seq + len) goes out now (rtx: it was sent before); call before SND.MAX moves */
void rack_sent(ptcp_conn *c, uint32_t seq, uint32_t len, ptcp_time_t now, int rtx);
/* after a timeout: go-back-N resends the flight, no range stays marked lost */
void rack_reset(ptcp_conn *c);
/* steps 2-4 for an ACK: osb/onsb the scoreboard before it, dsack: it carried one */
void rack_on_ack(ptcp_conn *c, uint32_t ack, const ptcp_sack_block *osb, unsigned onsb, int dsack,
                 ptcp_time_t now);
void rack_recovery_done(ptcp_conn *c);
/* the logged send range holding seq, or [SND.UNA, SND.MAX) (sack.c's whole segments) */
void rack_unit(const ptcp_conn *c, uint32_t seq, uint32_t *l, uint32_t *r);
uint32_t rack_reo_wnd(const ptcp_conn *c);
/* step 5 and the reordering timer; new losses start recovery */
unsigned rack_step(step_ctx *x, int timer); /* returns the ranges newly marked lost */
uint32_t rack_hole_pipe(const ptcp_conn *c, uint32_t l, uint32_t r, int hole_lost);
int rack_next_lost(const ptcp_conn *c, uint32_t l, uint32_t r, int hole_lost, uint32_t *seq,
                   uint32_t *len);
/* mtup.c: RFC 4821 PLPMTUD (PTCP_CFG_MTU_PROBE) */
void mtup_init(ptcp_conn *c); /* the search range, when the SYNs are settled */
/* The payload of the next segment: a probe's when one is to go now as the
 * next new segment (within cwnd, the window and the data queued), else len.
 * Only a calm sender probes, so limited transmit never widens its cwnd. */
uint32_t mtup_probe_len(step_ctx *x, uint32_t len);
void mtup_probe_sent(ptcp_conn *c, uint32_t seq, uint32_t len);
void mtup_on_ack(ptcp_conn *c, uint32_t ack);               /* F_MTU_PROBE: SND.UNA moved */
void mtup_resent(ptcp_conn *c, uint32_t seq, uint32_t len); /* F_MTU_PROBE: a retransmission */
/* ICMP "fragmentation needed" for an MSS (no options): the search's top comes
 * down; a probe bigger than it failed, and SND.NXT goes back to it */
void mtup_icmp(ptcp_conn *c, uint32_t mss);

/* Octets queued and not yet sent, from SND.NXT. */
static inline uint32_t snd_unsent(const ptcp_conn *c)
{
	uint32_t data_end = c->sbuf_seq + c->slen;
	return ptcp_seq_lt(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
}

/* What may go from SND.NXT by the peer's window, an edge in sequence space
 * (SND.UNA + SND.WND, RFC 9293 3.8.6). */
static inline uint32_t snd_by_wnd(const ptcp_conn *c)
{
	uint32_t edge = c->snd_una + c->snd_wnd;
	return ptcp_seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;
}

/* What may go by a congestion window of cwnd: it bounds what is in flight,
 * SACKed data excluded (RFC 6675). */
static inline uint32_t snd_by_cwnd(const ptcp_conn *c, uint32_t cwnd)
{
	uint32_t inflight =
	    c->snd_nxt - c->snd_una - (c->nsb ? sack_bytes_below(c, c->snd_nxt) : 0);
	return cwnd > inflight ? cwnd - inflight : 0;
}

/* RACK runs: configured, SACK negotiated, a loss area lent */
static inline int rack_on(const ptcp_conn *c)
{
	return (c->cfg.flags & PTCP_CFG_RACK) && (c->flags & F_SACK_SND);
}

/* buf.c */
uint32_t sbuf_space(const ptcp_conn *c);
uint32_t sbuf_write(ptcp_conn *c, const uint8_t *data, uint32_t len);
void sbuf_ack(ptcp_conn *c, uint32_t ack);
/* Payload spans for len bytes at sequence seq (must be buffered). */
void sbuf_spans(const ptcp_conn *c, uint32_t seq, uint32_t len, ptcp_seg *seg);
uint32_t rbuf_read(ptcp_conn *c, uint8_t *dst, uint32_t len);
/* Copy len bytes of seg's payload from offset off to ring position pos (taken modulo rcap). */
void rbuf_copy(ptcp_conn *c, uint32_t pos, const ptcp_seg *seg, uint32_t off, uint32_t len);
/* PTCP_CFG_RCV_CLAMP: in-order data of len bytes arrived (buf.c) */
void rcv_clamp_grow(ptcp_conn *c, uint32_t len);
/* ooo.c: place payload at seq (already trimmed to RCV.NXT..buffer end) and
 * record an out-of-order range; returns in-order bytes added.  *ooo_dropped:
 * the pool was full (the segment was dropped or evicted the highest range). */
uint32_t rbuf_place(ptcp_conn *c, uint32_t seq, const ptcp_seg *seg, uint32_t off, uint32_t len,
                    int *ooo_dropped);
/* The reassembly pool: the caller's, the loss area's, or NULL (none). */
static inline ptcp_ooo_node *ooo_nodes(ptcp_conn *c)
{
	return c->ooo_pool ? c->ooo_pool : c->loss ? c->loss->ooo : NULL;
}
/* loss.c: drop c's loss area, whatever it holds (ptcp_conn_take_loss once it
 * is unused; the table for a CLOSED block); returns it. */
ptcp_loss *loss_detach(ptcp_conn *c);
/* Ranges the reassembly pool holds: the caller's, the loss area's, or none. */
static inline unsigned ooo_capacity(const ptcp_conn *c)
{
	return c->ooo_pool ? c->ooo_cap : c->loss ? PTCP_OOO_MAX : 0;
}
/* Bytes of buffer space beyond RCV.NXT. */
static inline uint32_t rbuf_free(const ptcp_conn *c)
{
	return c->rcap - c->rlen;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}
static inline uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* memset(p, 0, n) for a constant n, in pieces of at most 64 bytes: gcc
 * (-O2/-O3, generic x86-64) makes one larger constant memset a rep stosq,
 * which takes tens of cycles to start; the pieces are plain vector stores
 * (in code gcc compiles for speed: see fastpath.c's UNLIKELY). */
static inline void zero_small(void *p, size_t n)
{
	unsigned char *b = p;
	for (; n > 64; b += 64, n -= 64)
		memset(b, 0, 64);
	memset(b, 0, n);
}

/* zero an action cheaply: the header and small union members; an EMIT
 * also its segment but the option layout (unused when nitems == 0). */
#include <stddef.h>
static inline void act_zero(ptcp_action *a, ptcp_action_kind k)
{
	if (k != PTCP_ACT_EMIT) {
		memset(a, 0, 32);
		return;
	}
	zero_small(a, offsetof(ptcp_action, emit.seg.opts.items));
	a->emit.seg.opts.unknown_len = 0; /* no stale bytes from an earlier action */
	a->emit.seg.opts.pad_len = 0;
	zero_small(&a->emit.seg.payload, sizeof(*a) - offsetof(ptcp_action, emit.seg.payload));
}

/* output.c's receive window, inline here for the fast path's ACK (fastpath.c). */
/* Window we could advertise now, in bytes, before scaling (RFC 9293 3.8.6). */
static inline uint32_t rcv_window(const ptcp_conn *c)
{
	uint32_t free = rbuf_free(c);
	uint32_t held = ptcp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t edge, step;
	if (c->cfg.flags & PTCP_CFG_RCV_CLAMP) {
		/* As Linux (rcv_ssthresh): at most the clamp, rounded up to the scale
		 * unit so that scaling does not eat it, when the buffer has room for
		 * that.  The clamp opens by 2 MSS or more at a time, so no receiver
		 * SWS hold-back while it is what limits the window. */
		uint32_t unit = 1u << c->rcv_wscale;
		uint32_t lim =
		    (uint32_t)(((uint64_t)c->rcv_clamp + unit - 1) & ~(uint64_t)(unit - 1));
		if (lim <= free)
			return lim > held ? lim : held; /* RFC 9293 3.8.6: never shrink the edge */
		if (c->rcv_clamp < free)
			free = c->rcv_clamp;
	}
	edge = c->rcv_nxt + free;
	/* RFC 9293 3.8.6.2.2: move the right edge only by a useful amount. */
	step = min_u32(c->rcap / 2, c->snd_mss ? c->snd_mss : c->cfg.mss);
	if (ptcp_seq_gt(edge, c->rcv_adv) && edge - c->rcv_adv < step && held > 0)
		return held;
	/* RFC 9293 3.8.6: never shrink the right edge. */
	return free > held ? free : held;
}

/* The window field for a segment, recording the right edge it announces. */
static inline uint16_t window_field(ptcp_conn *c, int syn)
{
	uint32_t w = rcv_window(c);
	uint32_t field;
	/* What a SYN-ACK can announce: unscaled (RFC 7323 2.2), and a multiple of
	 * the scale so that later scaled windows can say the same edge; in
	 * SYN-RECEIVED nothing announces more (a SYN-ACK sent again would pull
	 * the edge back).  Linux's SYN-ACK says min(rcv_wnd, 65535), not a
	 * multiple of the scale: an ACK sent after it in SYN-RECEIVED would
	 * have to move its edge left or past what a SYN-ACK sent again can say
	 * (the checker's rcv-edge invariant; fuzz_conn found it). */
	uint32_t synmax = 65535u & ~((1u << c->rcv_wscale) - 1u);
	if (syn || c->state == PTCP_SYN_RECEIVED)
		w = min_u32(w, synmax);
	if (syn) {
		field = w;
	} else {
		uint8_t ws = c->rcv_wscale;
		field = w >> ws;
		/* Rounding down must not pull the edge left (RFC 7323 2.4). */
		if (ptcp_seq_lt(c->rcv_nxt + (field << ws), c->rcv_adv))
			field = (c->rcv_adv - c->rcv_nxt + (1u << ws) - 1) >> ws;
		if (field > 65535)
			field = 65535;
		w = field << ws;
	}
	if (ptcp_seq_gt(c->rcv_nxt + w, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + w;
	return (uint16_t)field;
}

#endif
