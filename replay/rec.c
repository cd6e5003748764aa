/*
 * ptcp-replay: the record of a replay (steps and packets in time order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

void ptcp_replay_rec_init(ptcp_replay_rec *r)
{
	memset(r, 0, sizeof *r);
	r->fail_step = -1;
	r->attach_next = 1;
	strcpy(r->verdict, "not run");
}

void ptcp_replay_rec_free(ptcp_replay_rec *r)
{
	for (size_t i = 0; i < r->npkt; i++)
		free(r->pkt[i].data);
	free(r->pkt);
	free(r->step);
	ptcp_replay_rec_init(r);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;
	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

ptcp_replay_step *ptcp_replay_add_step(ptcp_replay_rec *r, uint64_t t, uint32_t event)
{
	ptcp_replay_step *s;
	if (grow((void **)&r->step, &r->step_cap, r->nstep, sizeof r->step[0]))
		return NULL;
	s = &r->step[r->nstep++];
	memset(s, 0, sizeof *s);
	s->t = t;
	s->event = event;
	if (r->fail_next) {
		s->failed = 1;
		r->fail_step = (long)(r->nstep - 1);
		r->fail_next = 0;
	}
	return s;
}

int ptcp_replay_add_pkt(ptcp_replay_rec *r, uint64_t t, ptcp_replay_dir dir, const uint8_t *data,
                        size_t len, int dropped)
{
	ptcp_replay_pkt *p;
	ptcp_ip ip;
	ptcp_seg seg;
	if (grow((void **)&r->pkt, &r->pkt_cap, r->npkt, sizeof r->pkt[0]))
		return -1;
	p = &r->pkt[r->npkt];
	memset(p, 0, sizeof *p);
	p->data = malloc(len ? len : 1);
	if (!p->data)
		return -1;
	if (len)
		memcpy(p->data, data, len);
	p->t = t;
	p->dir = (uint8_t)dir;
	p->len = (uint32_t)len;
	p->dropped = dropped ? 1 : 0;
	p->step = r->attach_next || !r->nstep ? (uint32_t)r->nstep : (uint32_t)(r->nstep - 1);
	p->err = (int16_t)ptcp_wire_parse_packet(len ? data : p->data, len, &ip, &seg);
	r->npkt++;
	return 0;
}

void ptcp_replay_rec_set_script(ptcp_replay_rec *r, const ptcp_script *s)
{
	r->local = s->local_addr;
	r->peer = s->peer_addr;
	r->local_port = s->local_port;
	r->peer_port = s->peer_port;
	r->have_conn = 1;
	r->role = (uint8_t)s->role;
	r->isn_local = s->isn_local;
	r->isn_peer = s->isn_peer;
	r->have_isn = 1;
}

void ptcp_replay_rec_fail(ptcp_replay_rec *r, const char *msg)
{
	if (r->failed)
		return; /* keep the first */
	r->failed = 1;
	snprintf(r->verdict, sizeof r->verdict, "%s", msg);
	if (r->attach_next && r->npkt && r->pkt[r->npkt - 1].step == r->nstep)
		r->fail_next = 1;
	else if (r->nstep) {
		r->step[r->nstep - 1].failed = 1;
		r->fail_step = (long)(r->nstep - 1);
	} else
		r->fail_next = 1;
}
