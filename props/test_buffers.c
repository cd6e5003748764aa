/*
 * Property family: buffers and the application interface (the byte
 * accounting between the application, the core and the peer).
 *
 *   buffers/send      the send queue holds exactly what the application
 *                     gave and the peer has not acknowledged
 *                     (send_queued = accepted - acked), the free space is
 *                     the buffer less the queue, a send takes
 *                     min(len, space) or returns EAGAIN when there is no
 *                     space, and WRITABLE reports the space that is free;
 *   buffers/receive   the in-order data waiting is what arrived in order
 *                     less what the application read (recv_ready =
 *                     RCV.NXT - IRS - 1 - FIN - read), a read takes
 *                     min(len, ready), 0 only at the end of the stream,
 *                     EAGAIN when nothing waits, and READABLE reports what
 *                     waits.
 * Both are judged per incarnation, while the connection is synchronized
 * and has not been reset, timed out, shut down for reading or aborted
 * (where the RFC lets the core drop data).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "prop.h"

static int starts_incarnation(const ptcp_run_note *n)
{
	for (size_t i = 0; i < n->actions->n; i++)
		if (n->actions->v[i].kind == PTCP_ACT_STATE &&
		    (n->actions->v[i].state.from == PTCP_CLOSED ||
		     n->actions->v[i].state.to == PTCP_LISTEN))
			return 1;
	return 0;
}

static int synced(unsigned s)
{
	return s >= PTCP_ESTABLISHED && s <= PTCP_TIME_WAIT;
}

typedef struct buf_st {
	uint64_t accepted; /* bytes the application's sends took */
	uint64_t read;     /* bytes its reads took */
	int fin_in;        /* the peer's FIN arrived (PEER_CLOSED) */
	int wr_closed;     /* shutdown WR or close */
	int rd_closed;     /* shutdown RD, close or abort: the core may drop received data */
	int dead;          /* reset, timed out, an error */
	size_t space_before, ready_before;
	unsigned state_before;
	int eof_before;
} buf_st;

static void buf_begin(void *vs, const ptcp_script *s)
{
	buf_st *st = vs;
	(void)s;
	memset(st, 0, sizeof *st);
}

static void events(buf_st *st, const ptcp_run_note *n)
{
	for (size_t i = 0; i < n->actions->n; i++) {
		const ptcp_action *a = &n->actions->v[i];
		if (a->kind != PTCP_ACT_EVENT)
			continue;
		if (a->event.ev == PTCP_EV_PEER_CLOSED)
			st->fin_in = 1;
		if (a->event.ev == PTCP_EV_RESET || a->event.ev == PTCP_EV_TIMEDOUT ||
		    a->event.ev == PTCP_EV_ERROR || a->event.err)
			st->dead = 1;
	}
}

static void send_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	buf_st *st = vs;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_info *i = n->info;
	const ptcp_input *in = n->input;
	if (starts_incarnation(n))
		memset(st, 0, sizeof *st);
	events(st, n);
	size_t space = ptcp_conn_send_space(n->conn);
	if (in->kind == PTCP_IN_SEND && st->state_before >= PTCP_ESTABLISHED &&
	    st->state_before <= PTCP_CLOSE_WAIT && !st->wr_closed && !st->dead) {
		size_t want = in->send.len < st->space_before ? in->send.len : st->space_before;
		if (want == 0 && in->send.len ? n->ret != PTCP_EAGAIN : n->ret != (int)want)
			ptcp_prop_failf(f, 1, "send(%zu) with %zu bytes free returned %d",
			                in->send.len, st->space_before, n->ret);
	}
	if (in->kind == PTCP_IN_SEND && n->ret > 0)
		st->accepted += (uint64_t)n->ret;
	if (in->kind == PTCP_IN_CLOSE || in->kind == PTCP_IN_ABORT ||
	    (in->kind == PTCP_IN_SHUTDOWN && (in->shutdown.how & PTCP_SHUT_WR)))
		st->wr_closed = 1;
	if (in->kind == PTCP_IN_ABORT)
		st->dead = 1;
	if (synced(i->state) && !st->dead) {
		uint64_t acked = i->snd_una - i->iss - 1u; /* SYN excluded */
		if (acked > st->accepted)
			acked = st->accepted; /* the FIN */
		if (i->send_queued != st->accepted - acked)
			ptcp_prop_failf(f, 2,
			                "%zu bytes queued; the application gave %llu and the peer "
			                "acknowledged %llu",
			                i->send_queued, (unsigned long long)st->accepted,
			                (unsigned long long)acked);
		if (space + i->send_queued > s->cfg.sndbuf)
			ptcp_prop_failf(f, 3, "%zu bytes free and %zu queued in a %u-byte buffer",
			                space, i->send_queued, s->cfg.sndbuf);
		if (!st->wr_closed && i->state <= PTCP_CLOSE_WAIT &&
		    space != s->cfg.sndbuf - i->send_queued)
			ptcp_prop_failf(
			    f, 4, "%zu bytes free, the buffer (%u) less the queue (%zu) is %zu",
			    space, s->cfg.sndbuf, i->send_queued,
			    (size_t)(s->cfg.sndbuf - i->send_queued));
		for (size_t k = 0; k < n->actions->n; k++)
			if (n->actions->v[k].kind == PTCP_ACT_WRITABLE &&
			    n->actions->v[k].writable.space != space)
				ptcp_prop_failf(f, 5,
				                "WRITABLE says %zu bytes free, the core has %zu",
				                n->actions->v[k].writable.space, space);
	}
	st->space_before = space;
	st->state_before = i->state;
}

static void recv_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	buf_st *st = vs;
	(void)s;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_info *i = n->info;
	const ptcp_input *in = n->input;
	if (starts_incarnation(n))
		memset(st, 0, sizeof *st);
	events(st, n);
	if (in->kind == PTCP_IN_READ && synced(st->state_before) && !st->rd_closed && !st->dead) {
		if (st->ready_before) {
			size_t want =
			    in->read.len < st->ready_before ? in->read.len : st->ready_before;
			if (n->ret != (int)want)
				ptcp_prop_failf(f, 10, "read(%zu) with %zu bytes ready returned %d",
				                in->read.len, st->ready_before, n->ret);
		} else if (in->read.len && st->eof_before && n->ret != 0) {
			ptcp_prop_failf(f, 11, "read(%zu) at the end of the stream returned %d",
			                in->read.len, n->ret);
		} else if (in->read.len && !st->eof_before && n->ret != PTCP_EAGAIN) {
			ptcp_prop_failf(f, 12,
			                "read(%zu) with nothing ready, before the FIN, returned %d",
			                in->read.len, n->ret);
		}
	}
	if (in->kind == PTCP_IN_READ && n->ret > 0)
		st->read += (uint64_t)n->ret;
	if (in->kind == PTCP_IN_CLOSE || in->kind == PTCP_IN_ABORT ||
	    (in->kind == PTCP_IN_SHUTDOWN && (in->shutdown.how & PTCP_SHUT_RD)))
		st->rd_closed = 1;
	size_t ready = ptcp_conn_recv_avail(n->conn);
	if (synced(i->state) && !st->rd_closed && !st->dead) {
		uint64_t in_order = i->rcv_nxt - i->irs - 1u - (st->fin_in ? 1u : 0u);
		if (i->recv_ready != ready)
			ptcp_prop_failf(f, 13, "recv_ready %zu, ptcp_conn_recv_avail %zu",
			                i->recv_ready, ready);
		if (ready != in_order - st->read)
			ptcp_prop_failf(
			    f, 14, "%zu bytes ready; %llu arrived in order and %llu were read",
			    ready, (unsigned long long)in_order, (unsigned long long)st->read);
		for (size_t k = 0; k < n->actions->n; k++)
			if (n->actions->v[k].kind == PTCP_ACT_READABLE &&
			    n->actions->v[k].readable.avail != ready)
				ptcp_prop_failf(f, 15, "READABLE says %zu bytes, %zu are ready",
				                n->actions->v[k].readable.avail, ready);
		if (ptcp_conn_eof(n->conn) != (st->fin_in && ready == 0))
			ptcp_prop_failf(f, 16, "ptcp_conn_eof %d with FIN %s and %zu bytes ready",
			                ptcp_conn_eof(n->conn), st->fin_in ? "in" : "not in",
			                ready);
	}
	st->ready_before = ready;
	st->eof_before = st->fin_in && ready == 0;
	st->state_before = i->state;
}

static const ptcp_prop_script sendp = {
    .name = "buffers-send",
    .state_size = sizeof(buf_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .begin = buf_begin,
    .note = send_note,
};

Test(buffers, send, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&sendp, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

static const ptcp_prop_script recvp = {
    .name = "buffers-receive",
    .state_size = sizeof(buf_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .begin = buf_begin,
    .note = recv_note,
};

Test(buffers, receive, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&recvp, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/*
 * buffers/fin: our FIN comes only after the application closed its sending
 * side, always at the same sequence number: right after the last byte it
 * gave (ISS + 1 + bytes accepted), and nothing is sent beyond it.
 */
typedef struct fin_st {
	uint64_t accepted;
	int wr_closed;
	int have_fin;
	uint32_t fin_seq;
} fin_st;

static void fin_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	fin_st *st = vs;
	(void)s;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_input *in = n->input;
	const ptcp_info *i = n->info;
	if (starts_incarnation(n))
		memset(st, 0, sizeof *st);
	if (in->kind == PTCP_IN_SEND && n->ret > 0)
		st->accepted += (uint64_t)n->ret;
	if (in->kind == PTCP_IN_CLOSE || (in->kind == PTCP_IN_SHUTDOWN && (in->shutdown.how & 2)))
		st->wr_closed = 1;
	for (size_t k = 0; k < n->actions->n; k++) {
		const ptcp_action *a = &n->actions->v[k];
		if (a->kind != PTCP_ACT_EMIT || (a->emit.seg.flags & PTCP_RST))
			continue;
		const ptcp_seg *g = &a->emit.seg;
		uint32_t end = g->seq + ptcp_seg_seqlen(g);
		uint32_t stream_end = i->iss + 1u + (uint32_t)st->accepted;
		if (g->flags & PTCP_FIN) {
			uint32_t fseq = end - 1u;
			if (!st->wr_closed)
				ptcp_prop_failf(f, 20,
				                "a FIN before the application closed its side");
			else if (fseq != stream_end)
				ptcp_prop_failf(f, 21,
				                "FIN at %u, the stream (%llu bytes) ends at %u",
				                fseq, (unsigned long long)st->accepted, stream_end);
			else if (st->have_fin && fseq != st->fin_seq)
				ptcp_prop_failf(f, 22, "FIN at %u, it was at %u before", fseq,
				                st->fin_seq);
			st->have_fin = 1;
			st->fin_seq = fseq;
		} else if (ptcp_seg_len(g) && ptcp_seq_gt(end, stream_end)) {
			ptcp_prop_failf(f, 23, "data up to %u, the stream ends at %u", end,
			                stream_end);
		}
	}
}

static const ptcp_prop_script finp = {
    .name = "buffers-fin",
    .state_size = sizeof(fin_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = fin_note,
};

Test(buffers, fin, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&finp, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}

/*
 * buffers/more: data given with PTCP_SEND_MORE (MSG_MORE) is not sent as a
 * partial segment while more is announced: until a send without MORE (or
 * an empty one), a close or shutdown, or 200 ms (or one RTO: the SWS
 * override timer, when that is shorter), every new segment that
 * reaches the end of the stream is a full one (or half the largest window
 * the peer offered; a FIN, a retransmission, a window probe or a tail loss
 * probe aside).
 */
typedef struct more_st {
	int held; /* the last send asked for MORE */
	ptcp_time_t since;
	uint32_t snd_max;
	uint64_t accepted;
	uint32_t iss;
	uint64_t probes;
	uint32_t max_wnd;
	ptcp_time_t rto; /* before the step */
} more_st;

static void more_note(void *vs, const ptcp_script *s, const ptcp_run_note *n, ptcp_prop_fail *f)
{
	more_st *st = vs;
	(void)s;
	if (n->kind != PTCP_RUN_NOTE_STEP)
		return;
	const ptcp_input *in = n->input;
	const ptcp_info *i = n->info;
	ptcp_stats stats;
	ptcp_conn_stats(n->conn, &stats);
	if (starts_incarnation(n)) {
		memset(st, 0, sizeof *st);
		st->probes = stats.tlp_probes;
	}
	if (in->kind == PTCP_IN_SEND) {
		if (n->ret > 0)
			st->accepted += (uint64_t)n->ret;
		if ((in->send.flags & PTCP_SEND_MORE) && in->send.len && n->ret > 0) {
			if (!st->held)
				st->since = n->time;
			st->held = 1;
		} else {
			st->held = 0;
		}
	}
	if (in->kind == PTCP_IN_CLOSE || in->kind == PTCP_IN_SHUTDOWN || in->kind == PTCP_IN_ABORT)
		st->held = 0;
	int probe = stats.tlp_probes != st->probes;
	if (i->snd_wnd > st->max_wnd)
		st->max_wnd = i->snd_wnd;
	/* 200 ms, or the SWS override timer (one RTO: 4.2.3.4 of RFC 1122 says 0.1 - 1 s) */
	ptcp_time_t rto = st->rto && st->rto < i->rto ? st->rto : i->rto;
	ptcp_time_t hold = rto < PTCP_MS(200) ? rto : PTCP_MS(200);
	if (st->held && n->time < st->since + hold && !probe && i->state >= PTCP_ESTABLISHED) {
		uint32_t stream_end = i->iss + 1u + (uint32_t)st->accepted;
		for (size_t k = 0; k < n->actions->n; k++) {
			const ptcp_action *a = &n->actions->v[k];
			if (a->kind != PTCP_ACT_EMIT)
				continue;
			const ptcp_seg *g = &a->emit.seg;
			uint32_t len = (uint32_t)ptcp_seg_len(g);
			if (!len || (g->flags & (PTCP_FIN | PTCP_SYN | PTCP_RST)) ||
			    ptcp_seq_lt(g->seq, st->snd_max) || (len == 1 && i->snd_wnd <= 1))
				continue;
			/* a full segment is the MSS less the SACK blocks it carries (RFC
			 * 6691, RFC 9293 3.7.1: the options come out of the MSS) */
			uint32_t full = i->mss;
			uint32_t sack = g->opts.sack_count ? 4u + 8u * g->opts.sack_count : 0u;
			if (sack)
				full = full > sack + 64 ? full - sack : (full < 64 ? full : 64);
			/* (half the largest window the peer offered is a segment too, RFC
			 * 1122 4.2.3.4) */
			if (g->seq + len == stream_end && len < full && len < st->max_wnd / 2 &&
			    st->max_wnd >= i->mss) /* (a smaller window: the SWS override timer) */
				ptcp_prop_failf(
				    f, 30,
				    "a partial segment of %u bytes (MSS %u, %u with its SACK "
				    "blocks) ends the stream %llu us after a send asked for MORE",
				    len, i->mss, full, (unsigned long long)(n->time - st->since));
		}
	}
	st->probes = stats.tlp_probes;
	st->snd_max = i->snd_max;
	st->rto = i->rto;
}

static const ptcp_prop_script morep = {
    .name = "buffers-more",
    .state_size = sizeof(more_st),
    .run_flags = PTCP_RUN_F_NO_CHECK | PTCP_RUN_F_NO_DATA,
    .drain = PTCP_SEC(600),
    .note = more_note,
};

Test(buffers, more, .timeout = 280)
{
	ptcp_prop_report rep;
	int rc = ptcp_prop_for_scripts(&morep, 2000, &rep);
	cr_assert(rc == 0, "%s", rep.text);
}
