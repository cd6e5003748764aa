/*
 * The SYN-flood acceptance test: spoofed SYNs from random sources (one
 * million by default; PTCP_FLOOD_SYNS overrides) arrive at a listener
 * while 1,000 genuine clients - real ptcp_conn client cores, their
 * segments carried through the wire codec with a simulated delay - connect
 * and send a greeting.  The SYN queue fills at once; the genuine clients
 * get through with SYN cookies.  Checked: no bounded structure of the table
 * ever exceeds its limit, and at least 99% of the clients complete the
 * handshake and deliver their greeting.  The completion rate and the wall
 * time are printed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptcp/listener.h"
#include "ptcp/ptcp.h"

#define NCLIENTS  1000
#define SERVER_PT 80
#define DURATION  PTCP_SEC(10) /* the flood lasts 10 simulated seconds */
#define SLACK     PTCP_SEC(20) /* then clients get 20 more */
#define BUFSZ     4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

typedef struct client {
	ptcp_conn c;
	ptcp_loss loss; /* its loss area (ptcp_conn_set_loss) */
	uint8_t sb[BUFSZ], rb[BUFSZ];
	ptcp_addr addr;
	uint16_t port;
	ptcp_time_t start;
	int established, delivered, sent;
	ptcp_time_t timer; /* the deadline an event is queued for */
} client;

/* Events: a packet in flight (to the table or to a client), a client's
 * timer, a client's start. */
enum { EV_TO_TABLE, EV_TO_CLIENT, EV_TIMER, EV_START };
typedef struct event {
	ptcp_time_t at;
	int kind;
	int client;
	int len;
	uint8_t *pkt;
} event;

typedef struct sim {
	ptcp_table t;
	void *mem;
	size_t memlen;
	client *cl;
	ptcp_addr server;
	event *heap;
	size_t nheap, capheap;
	ptcp_action tact[256];
	ptcp_table_tag ttag[256];
	ptcp_table_actions tout;
	ptcp_action cact[64];
	ptcp_actions cout;
	ptcp_time_t now;
	uint32_t lid;
	uint64_t spoofed_answers, genuine_packets, checks;
	ptcp_table_usage peak;
	ptcp_handle pending_reads[256];
	size_t npending;
	uint32_t ndone; /* clients established with their greeting delivered */
} sim;

static void ev_push(sim *s, event e)
{
	size_t i;
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 4096;
		s->heap = realloc(s->heap, s->capheap * sizeof(event));
		cr_assert(s->heap);
	}
	i = s->nheap++;
	while (i > 0 && s->heap[(i - 1) / 2].at > e.at) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static event ev_pop(sim *s)
{
	event top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m;
		if (l >= s->nheap)
			break;
		m = (l + 1 < s->nheap && s->heap[l + 1].at < s->heap[l].at) ? l + 1 : l;
		if (s->heap[m].at >= last.at)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* One-way delay: 20 ms +- 10 ms (segments may be reordered). */
static ptcp_time_t delay(void)
{
	return PTCP_MS(10) + rnd() % PTCP_MS(20);
}

static void send_pkt(sim *s, const ptcp_seg *seg, const ptcp_addr *src, const ptcp_addr *dst,
                     int kind, int client)
{
	event e = {.at = s->now + delay(), .kind = kind, .client = client};
	uint8_t buf[2048];
	e.len = ptcp_wire_build_tcp(buf, sizeof(buf), seg, src, dst);
	cr_assert_gt(e.len, 0);
	e.pkt = malloc((size_t)e.len);
	memcpy(e.pkt, buf, (size_t)e.len);
	ev_push(s, e);
	s->genuine_packets++;
}

static void check_limits(sim *s)
{
	ptcp_table_usage u;
	ptcp_table_get_usage(&s->t, &u);
	cr_assert_leq(u.conns, u.conns_max);
	cr_assert_leq(u.requests, u.requests_max);
	cr_assert_leq(u.listeners, u.listeners_max);
	cr_assert_leq(u.tfo_pending, u.tfo_max);
	cr_assert_leq(u.timers, u.timers_max);
	cr_assert_leq(2 * (uint64_t)u.hashed, u.hash_slots);
	if (u.conns > s->peak.conns)
		s->peak.conns = u.conns;
	if (u.requests > s->peak.requests)
		s->peak.requests = u.requests;
	if (u.timers > s->peak.timers)
		s->peak.timers = u.timers;
	if (u.hashed > s->peak.hashed)
		s->peak.hashed = u.hashed;
	s->checks++;
}

static int genuine(const ptcp_addr *a)
{
	return a->family == 4 && a->bytes[0] == 172 && a->bytes[1] == 16;
}

static void client_step(sim *s, int i, const ptcp_input *in);

static void table_out(sim *s)
{
	ptcp_table_actions *o = &s->tout;
	int accepted = 0;
	for (size_t i = 0; i < o->n; i++) {
		const ptcp_action *a = &o->v[i];
		if (a->kind == PTCP_ACT_EMIT) {
			if (genuine(&a->emit.dst)) {
				int ci = a->emit.seg.dport - 40000;
				cr_assert(ci >= 0 && ci < NCLIENTS);
				send_pkt(s, &a->emit.seg, &s->server, &a->emit.dst, EV_TO_CLIENT,
				         ci);
			} else {
				s->spoofed_answers++; /* to a spoofed source: lost */
			}
		} else if (a->kind == PTCP_ACT_EVENT && a->event.ev == PTCP_EV_CONNECTED &&
		           o->tag[i].listener != PTCP_NO_LISTENER) {
			accepted = 1;
		} else if (a->kind == PTCP_ACT_READABLE && s->npending < 256) {
			s->pending_reads[s->npending++] = o->tag[i].conn;
		}
	}
	check_limits(s);
	if (accepted) {
		ptcp_handle h;
		while (ptcp_table_accept(&s->t, s->lid, &h) == 0)
			;
	}
}

static void table_step(sim *s, ptcp_handle h, const ptcp_input *in)
{
	ptcp_table_step(&s->t, h, in, s->now, &s->tout);
	table_out(s);
}

/* The server application reads what became readable and checks the greeting. */
static void server_reads(sim *s)
{
	while (s->npending) {
		ptcp_handle h = s->pending_reads[--s->npending];
		ptcp_conn *c = ptcp_table_conn(&s->t, h);
		char buf[64], want[64];
		ptcp_input in = {.kind = PTCP_IN_READ};
		int n, ci;
		if (!c)
			continue;
		ci = c->rport - 40000;
		in.read.buf = (uint8_t *)buf;
		in.read.len = sizeof(buf);
		n = ptcp_table_step(&s->t, h, &in, s->now, &s->tout);
		table_out(s);
		snprintf(want, sizeof(want), "hello from %d", ci);
		if (n == (int)strlen(want) && memcmp(buf, want, (size_t)n) == 0 &&
		    !s->cl[ci].delivered) {
			s->cl[ci].delivered = 1;
			s->ndone += (uint32_t)s->cl[ci].established;
		}
	}
}

static void client_step(sim *s, int i, const ptcp_input *in)
{
	client *k = &s->cl[i];
	int became = 0;
	ptcp_step(&k->c, in, s->now, &s->cout);
	for (size_t j = 0; j < s->cout.n; j++) {
		const ptcp_action *a = &s->cout.v[j];
		if (a->kind == PTCP_ACT_EMIT)
			send_pkt(s, &a->emit.seg, &k->addr, &s->server, EV_TO_TABLE, i);
		else if (a->kind == PTCP_ACT_STATE && a->state.to == PTCP_ESTABLISHED)
			became = 1;
	}
	{
		ptcp_time_t d = ptcp_conn_next_deadline(&k->c);
		if (d != PTCP_TIME_NEVER && d != k->timer) {
			event e = {.at = d, .kind = EV_TIMER, .client = i};
			k->timer = d;
			ev_push(s, e);
		}
	}
	if (became && !k->sent) {
		char msg[64];
		ptcp_input snd = {.kind = PTCP_IN_SEND};
		k->established = 1;
		k->sent = 1;
		s->ndone += (uint32_t)k->delivered;
		snprintf(msg, sizeof(msg), "hello from %d", i);
		snd.send.data = (const uint8_t *)msg;
		snd.send.len = strlen(msg);
		client_step(s, i, &snd);
	}
}

static void spoofed_syn(sim *s)
{
	ptcp_seg g;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	uint64_t r = rnd();
	memset(&g, 0, sizeof(g));
	g.sport = (uint16_t)(1024 + (r >> 48) % 64000);
	g.dport = SERVER_PT;
	g.seq = (uint32_t)r;
	g.flags = PTCP_SYN;
	g.wnd = 65535;
	g.opts.present = PTCP_OPT_MSS | PTCP_OPT_WSCALE | PTCP_OPT_SACK_PERM | PTCP_OPT_TS;
	g.opts.mss = 1460;
	g.opts.wscale = 7;
	g.opts.ts_val = (uint32_t)(r >> 20);
	in.segment.seg = &g;
	r = rnd();
	ptcp_addr_v4(&in.segment.src, (uint8_t)(1 + r % 126), (uint8_t)(r >> 8), (uint8_t)(r >> 16),
	             (uint8_t)(r >> 24));
	in.segment.dst = s->server;
	table_step(s, PTCP_NO_HANDLE, &in);
}

static void deliver(sim *s, const event *e)
{
	ptcp_seg g;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	client *k = &s->cl[e->client];
	if (e->kind == EV_TO_TABLE) {
		cr_assert_eq(
		    ptcp_wire_parse_tcp(e->pkt, (size_t)e->len, &k->addr, &s->server, 1, &g), 0);
		in.segment.seg = &g;
		in.segment.src = k->addr;
		in.segment.dst = s->server;
		table_step(s, PTCP_NO_HANDLE, &in);
		server_reads(s);
	} else {
		cr_assert_eq(
		    ptcp_wire_parse_tcp(e->pkt, (size_t)e->len, &s->server, &k->addr, 1, &g), 0);
		in.segment.seg = &g;
		in.segment.src = s->server;
		in.segment.dst = k->addr;
		client_step(s, e->client, &in);
	}
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(flood, spoofed_syns_while_genuine_clients_connect, .timeout = 280)
{
	static sim S;
	sim *s = &S;
	ptcp_table_config cfg;
	ptcp_config ccfg;
	uint64_t nsyn = 1000000, sent = 0;
	const char *env = getenv("PTCP_FLOOD_SYNS");
	double t0 = wall();
	int done = 0, delivered = 0;
	if (env)
		nsyn = strtoull(env, NULL, 10);
	memset(s, 0, sizeof(*s));
	ptcp_table_config_default(&cfg);
	for (int i = 0; i < 16; i++)
		cfg.secret[i] = (uint8_t)(0xa5 ^ (i * 7));
	cfg.flags = PTCP_TBL_SYNCOOKIES;
	cfg.max_conns = NCLIENTS + 24;
	cfg.max_requests = 256;
	cfg.max_listeners = 2;
	cfg.sndbuf = cfg.rcvbuf = BUFSZ;
	s->memlen = ptcp_table_mem_size(&cfg);
	s->mem = malloc(s->memlen);
	cr_assert(s->mem);
	cr_assert_eq(ptcp_table_init(&s->t, &cfg, s->mem, s->memlen), 0);
	ptcp_addr_v4(&s->server, 192, 168, 0, 1);
	s->lid = (uint32_t)ptcp_table_listen(&s->t, &s->server, SERVER_PT, 128);
	s->tout.v = s->tact;
	s->tout.tag = s->ttag;
	s->tout.cap = 256;
	s->cout.v = s->cact;
	s->cout.cap = 64;
	s->cl = calloc(NCLIENTS, sizeof(client));
	cr_assert(s->cl);
	ptcp_config_default(&ccfg); /* timestamps, window scale, SACK */
	for (int i = 0; i < NCLIENTS; i++) {
		client *k = &s->cl[i];
		cr_assert_eq(ptcp_conn_init(&k->c, &ccfg, k->sb, BUFSZ, k->rb, BUFSZ), 0);
		cr_assert_eq(ptcp_conn_set_loss(&k->c, &k->loss), 0);
		ptcp_addr_v4(&k->addr, 172, 16, (uint8_t)(i / 250), (uint8_t)(1 + i % 250));
		k->port = (uint16_t)(40000 + i);
		k->start = PTCP_MS(100) + rnd() % (DURATION * 9 / 10);
		k->timer = PTCP_TIME_NEVER;
		ev_push(s, (event){.at = k->start, .kind = EV_START, .client = i});
	}
	s->now = 0;
	for (;;) {
		ptcp_time_t tf = sent < nsyn ? DURATION * sent / nsyn : PTCP_TIME_NEVER;
		ptcp_time_t te = s->nheap ? s->heap[0].at : PTCP_TIME_NEVER;
		ptcp_time_t tt = ptcp_table_next_deadline(&s->t);
		ptcp_time_t next = tf < te ? tf : te;
		if (tt < next)
			next = tt;
		if (next == PTCP_TIME_NEVER || next > DURATION + SLACK)
			break;
		if (sent >= nsyn && done == NCLIENTS)
			break;
		if (next > s->now)
			s->now = next;
		if (tt <= s->now) {
			ptcp_input in = {.kind = PTCP_IN_TIME};
			table_step(s, PTCP_NO_HANDLE, &in);
			server_reads(s);
		} else if (tf == next) {
			spoofed_syn(s);
			sent++;
		} else {
			event e = ev_pop(s);
			client *k = &s->cl[e.client];
			switch (e.kind) {
			case EV_START: {
				ptcp_input in = {.kind = PTCP_IN_CONNECT};
				in.connect.local = k->addr;
				in.connect.remote = s->server;
				in.connect.lport = k->port;
				in.connect.rport = SERVER_PT;
				in.connect.iss = (uint32_t)rnd();
				client_step(s, e.client, &in);
				break;
			}
			case EV_TIMER:
				if (k->timer == e.at) {
					ptcp_input in = {.kind = PTCP_IN_TIME};
					k->timer = PTCP_TIME_NEVER;
					client_step(s, e.client, &in);
				}
				break;
			default:
				deliver(s, &e);
				free(e.pkt);
				break;
			}
		}
		done = (int)s->ndone;
	}
	double secs = wall() - t0;
	int established = 0;
	done = delivered = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		established += s->cl[i].established;
		delivered += s->cl[i].delivered;
		done += s->cl[i].established && s->cl[i].delivered;
	}
	ptcp_table_stats st;
	ptcp_table_get_stats(&s->t, &st);
	printf("flood: %llu spoofed SYNs from random sources over %.0f simulated s, %d genuine "
	       "clients (one-way delay 10-30 ms)\n",
	       (unsigned long long)sent, (double)DURATION / 1e6, NCLIENTS);
	printf("flood: %d/%d clients completed the handshake (%.2f%%), %d delivered their "
	       "greeting; wall time %.2f s\n",
	       established, NCLIENTS, 100.0 * established / NCLIENTS, delivered, secs);
	printf("flood: SYN-ACKs %llu (cookies %llu, valid cookie ACKs %llu), SYN-ACK "
	       "retransmissions %llu, SYN-queue timeouts %llu, syn-queue-full drops %llu, "
	       "cookie-invalid %llu\n",
	       (unsigned long long)st.synacks, (unsigned long long)st.cookies_sent,
	       (unsigned long long)st.cookies_ok, (unsigned long long)st.synack_rexmits,
	       (unsigned long long)st.drops[PTCP_TDROP_SYNACK_TIMEOUT],
	       (unsigned long long)st.drops[PTCP_TDROP_SYN_QUEUE_FULL],
	       (unsigned long long)st.drops[PTCP_TDROP_COOKIE_INVALID]);
	printf("flood: table memory %zu bytes (fixed); peaks: connections %u/%u, SYN-queue "
	       "entries %u/%u, timers %u/%u, hashed %u/%u slots; limits checked %llu times\n",
	       s->memlen, s->peak.conns, cfg.max_conns, s->peak.requests, cfg.max_requests,
	       s->peak.timers, cfg.max_conns + cfg.max_requests, s->peak.hashed, s->t.hmask + 1,
	       (unsigned long long)s->checks);
	fflush(stdout);
	cr_assert_geq(established * 100, NCLIENTS * 99, "only %d of %d clients completed",
	              established, NCLIENTS);
	cr_assert_geq(done * 100, NCLIENTS * 99, "only %d of %d clients got through", done,
	              NCLIENTS);
	cr_assert_eq(sent, nsyn);
	while (s->nheap) {
		event e = ev_pop(s);
		if (e.kind == EV_TO_TABLE || e.kind == EV_TO_CLIENT)
			free(e.pkt);
	}
	free(s->heap);
	free(s->cl);
	free(s->mem);
}
