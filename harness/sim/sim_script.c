/*
 * ptcp-sim: recording connection 0's client as an event script
 * (harness/script), built when the script library is available.
 *
 * IMPLEMENTATION NOTES
 * Every input the client core gets becomes a script event (a segment '<'
 * relative to the ISNs with the payload left to the pattern, since every
 * stream byte at offset k is ptcp_sim_pattern(k) == ptcp_script_pattern(k);
 * application calls; time; ICMP), followed by "= ret" for application calls
 * and one expect event per action (ptcp_script_push_action).  The script
 * is written with ptcp_script_format_text() at the end of the run, so it
 * can be replayed against a single core.
 */
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "sim_script.h"

typedef struct rec {
	ptcp_script sc;
	ptcp_time_t last;
	int started;
	int err; /* first recording error (PTCP_E* / PTCP_SCRIPT_E*) */
} rec;

void *sim_script_new(const sim *s)
{
	const ptcp_sim_config *cfg = &s->cfg;
	const ptcp_config *pc = &s->conns[0].e[0].pc;
	rec *r = calloc(1, sizeof(*r));
	ptcp_script_config *sc;
	if (!r)
		return NULL;
	ptcp_script_init(&r->sc);
	r->sc.role = PTCP_SCRIPT_CLIENT;
	sc = &r->sc.cfg;
	sc->flags = pc->flags & PTCP_SCRIPT_CFG_FLAGS_ALL;
	sc->mss = pc->mss;
	sc->wscale = cfg->core.wscale;
	sc->syn_retries = pc->syn_retries;
	sc->synack_retries = pc->synack_retries;
	sc->max_retries = pc->max_retries;
	sc->init_cwnd = pc->init_cwnd;
	sc->rto_initial = pc->rto_initial;
	sc->rto_min = pc->rto_min;
	sc->rto_max = pc->rto_max;
	sc->msl = pc->msl;
	sc->fin_wait2_timeout = pc->fin_wait2_timeout;
	sc->user_timeout = pc->user_timeout;
	sc->ts_offset = pc->ts_offset;
	sc->sndbuf = cfg->sndbuf;
	sc->rcvbuf = cfg->rcvbuf;
	sc->delack = pc->delack;
	sc->quickack = pc->quickack;
	sc->keepalive_idle = pc->keepalive_idle;
	sc->keepalive_intvl = pc->keepalive_intvl;
	sc->keepalive_cnt = pc->keepalive_cnt;
	sc->cc = pc->cc == &ptcp_cc_reno ? PTCP_SCRIPT_CC_RENO : PTCP_SCRIPT_CC_CUBIC;
	r->sc.isn_local = s->conns[0].e[0].iss;
	r->sc.isn_peer = s->conns[0].e[1].iss;
	r->sc.local_addr = s->addr[0];
	r->sc.peer_addr = s->addr[1];
	r->sc.local_port = (uint16_t)CLIENT_PORT;
	r->sc.peer_port = (uint16_t)SERVER_PORT;
	return r;
}

static ptcp_script_event *push(rec *r, ptcp_script_kind kind, uint64_t delta)
{
	ptcp_script_event *e = ptcp_script_push(&r->sc, kind);
	if (!e) {
		if (!r->err)
			r->err = PTCP_SCRIPT_ENOMEM;
		return NULL;
	}
	e->delta = delta;
	return e;
}

/* A segment without ACK whose ACK field is 0 is written "ack 0" (not 0 minus
 * the ISN), as the text and the runner (harness/run) write such segments. */
static void no_ack_zero(ptcp_script_seg *g, const ptcp_seg *seg)
{
	if (!(seg->flags & PTCP_ACK) && seg->ack == 0)
		g->ack = 0;
}

static int is_app(ptcp_input_kind k)
{
	return k == PTCP_IN_CONNECT || k == PTCP_IN_LISTEN || k == PTCP_IN_SEND ||
	       k == PTCP_IN_READ || k == PTCP_IN_SHUTDOWN || k == PTCP_IN_CLOSE ||
	       k == PTCP_IN_ABORT;
}

void sim_script_step(sim *s, const ptcp_input *in, int ret, const ptcp_actions *out)
{
	rec *r = s->script;
	ptcp_script_event *e = NULL;
	uint64_t delta;
	if (!r || r->err)
		return;
	if (!r->started) {
		r->started = 1;
		r->sc.cfg.start = s->now;
		r->last = s->now;
	}
	delta = s->now - r->last;
	r->last = s->now;
	switch (in->kind) {
	case PTCP_IN_SEGMENT:
		e = push(r, PTCP_SCRIPT_SEGMENT, delta);
		if (e) {
			int rc = ptcp_script_seg_from_ptcp(&r->sc, in->segment.seg, PTCP_SCRIPT_IN,
			                                   0, &e->seg);
			e->seg.ecn = in->segment.ecn & 3u;
			no_ack_zero(&e->seg, in->segment.seg);
			if (rc && !r->err)
				r->err = rc;
		}
		break;
	case PTCP_IN_ICMP:
		e = push(r, PTCP_SCRIPT_ICMP, delta);
		if (e) {
			e->icmp.type = (uint8_t)in->icmp.type;
			e->icmp.mtu = in->icmp.mtu;
			e->icmp.seq = in->icmp.seq - r->sc.isn_local;
		}
		break;
	case PTCP_IN_CONNECT:
		push(r, PTCP_SCRIPT_CONNECT, delta);
		break;
	case PTCP_IN_LISTEN:
		push(r, PTCP_SCRIPT_LISTEN, delta);
		break;
	case PTCP_IN_SEND:
		e = push(r, PTCP_SCRIPT_SEND, delta);
		if (e) /* data NULL: the pattern at the bytes sent so far */
			e->send.len = (uint32_t)in->send.len;
		break;
	case PTCP_IN_READ:
		e = push(r, PTCP_SCRIPT_READ, delta);
		if (e) {
			e->read.len = (uint32_t)in->read.len;
			e->read.discard = in->read.buf == NULL;
		}
		break;
	case PTCP_IN_SHUTDOWN:
		e = push(r, PTCP_SCRIPT_SHUTDOWN, delta);
		if (e)
			e->shutdown.how = (uint8_t)in->shutdown.how;
		break;
	case PTCP_IN_CLOSE:
		push(r, PTCP_SCRIPT_CLOSE, delta);
		break;
	case PTCP_IN_ABORT:
		push(r, PTCP_SCRIPT_ABORT, delta);
		break;
	case PTCP_IN_TIME:
		push(r, PTCP_SCRIPT_TIME, delta);
		break;
	default:
		break;
	}
	if (is_app(in->kind)) {
		e = push(r, PTCP_SCRIPT_EXPECT_RET, 0);
		if (e)
			e->ret = ret;
	}
	for (size_t i = 0; i < out->n && !r->err; i++) {
		int rc = ptcp_script_push_action(&r->sc, &out->v[i], s->now, 0, 0);
		if (rc)
			r->err = rc;
		else if (out->v[i].kind == PTCP_ACT_EMIT)
			no_ack_zero(&r->sc.ev[r->sc.n - 1].seg, &out->v[i].emit.seg);
	}
}

int sim_script_finish(sim *s, FILE *f, char *why, size_t cap)
{
	rec *r = s->script;
	int rc = 0;
	if (!r)
		return 0;
	if (r->err) {
		snprintf(why, cap, "event script recording failed: %d", r->err);
		rc = -1;
	} else if (ptcp_script_validate(&r->sc, why, cap)) {
		rc = -1;
	} else if (f && ptcp_script_format_text(&r->sc, f) < 0) {
		snprintf(why, cap, "writing the event script failed");
		rc = -1;
	}
	ptcp_script_free(&r->sc);
	free(r);
	s->script = NULL;
	return rc;
}
