/*
 * The stack without a kernel: two ptcp_stacks joined by an in-memory link.
 * Covers the demultiplexer (listener spawning, two connections on one
 * port, RST from a closed port), TIME-WAIT reuse when the table is full,
 * ICMP echo, ICMP frag-needed shrinking the MSS, and a 1 MiB exchange.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ptcp_stack.h"

#define QMAX 16384
#define PMAX 2048

typedef struct mem_link {
	ptcp_link link;
	struct mem_link *peer;
	uint8_t (*q)[PMAX];
	size_t *qlen;
	size_t n;
	unsigned mtu_cap; /* packets bigger than this are dropped with an ICMP (0 = none) */
	ptcp_stack *owner;
	uint64_t dropped_big;
	uint8_t last[PMAX]; /* the last packet sent */
	size_t last_len;
} mem_link;

static int mem_send(ptcp_link *l, const uint8_t *pkt, size_t len)
{
	mem_link *m = (mem_link *)l;
	mem_link *p = m->peer;
	memcpy(m->last, pkt, len < PMAX ? len : PMAX);
	m->last_len = len;
	if (m->mtu_cap && len > m->mtu_cap) {
		m->dropped_big++;
		return 0;
	}
	cr_assert_leq(len, PMAX);
	if (p->n == QMAX)
		return 0;
	memcpy(p->q[p->n], pkt, len);
	p->qlen[p->n++] = len;
	return 0;
}

static int mem_recv(ptcp_link *l, ptcp_stack *s, int max)
{
	mem_link *m = (mem_link *)l;
	size_t n = m->n, i;
	static uint8_t(*tmp)[PMAX];
	static size_t tmplen[QMAX];
	(void)max;
	if (!tmp)
		tmp = malloc((size_t)QMAX * PMAX);
	memcpy(tmp, m->q, n * PMAX);
	memcpy(tmplen, m->qlen, n * sizeof(size_t));
	m->n = 0;
	for (i = 0; i < n; i++)
		ptcp_stack_input(s, tmp[i], tmplen[i], 0);
	return (int)(n > 0); /* never a "full batch" */
}

typedef struct side {
	mem_link link;
	ptcp_stack *s;
	ptcp_sock *table;
	uint8_t *mem;
	size_t n;
} side;

static side A, B;

static void side_init(side *x, size_t n, const char *addr, const char *addr6)
{
	ptcp_addr a;
	memset(&x->link, 0, sizeof x->link);
	x->link.link.kind = "mem";
	x->link.link.fd = -1;
	x->link.link.mtu = 1500;
	x->link.link.recv = mem_recv;
	x->link.link.send = mem_send;
	x->link.q = malloc((size_t)QMAX * PMAX);
	x->link.qlen = calloc(QMAX, sizeof(size_t));
	x->n = n;
	x->s = calloc(1, sizeof(*x->s));
	x->table = calloc(n, sizeof(*x->table));
	x->mem = malloc(n * (1u << 21));
	cr_assert(x->link.q && x->s && x->table && x->mem);
	cr_assert_eq(
	    ptcp_stack_init(x->s, &x->link.link, x->table, n, x->mem, 1u << 20, 1u << 20, NULL), 0);
	cr_assert_eq(ptcp_stack_addr_parse(&a, addr), 0);
	ptcp_stack_set_addr(x->s, &a);
	cr_assert_eq(ptcp_stack_addr_parse(&a, addr6), 0);
	ptcp_stack_set_addr(x->s, &a);
	x->link.owner = x->s;
	x->s->verbose = getenv("STACK_VERBOSE") ? 1 : 0;
}

static void setup(void)
{
	side_init(&A, 4, "192.0.2.1", "2001:db8::1");
	side_init(&B, 4, "192.0.2.2", "2001:db8::2");
	A.link.peer = &B.link;
	B.link.peer = &A.link;
}

static void teardown(void)
{
	side *all[2] = {&A, &B};
	for (int i = 0; i < 2; i++) {
		free(all[i]->link.q);
		free(all[i]->link.qlen);
		free(all[i]->s);
		free(all[i]->table);
		free(all[i]->mem);
	}
}

static void run(int (*done)(void), int max_ms)
{
	ptcp_time_t end = ptcp_stack_now() + PTCP_MS(max_ms);
	while (!done() && ptcp_stack_now() < end) {
		ptcp_stack_poll(A.s, 0, -1);
		ptcp_stack_poll(B.s, 0, -1);
	}
}

/* ---- a byte-counting application ------------------------------------------ */
typedef struct app {
	size_t to_send, sent, got;
	unsigned events, closed_events;
	int err, eof, shut, closing;
	int passive; /* the server side: FIN only after the peer's */
	uint8_t seed;
} app;

static app apps[16];
static int napps;

static uint8_t pat(uint8_t seed, size_t off)
{
	return (uint8_t)(off * 7 + seed + (off >> 11));
}

static void on_event(ptcp_stack *s, ptcp_sock *k, unsigned ev)
{
	app *a = k->user;
	uint8_t buf[16384];
	if (!a) {
		cr_assert_lt(napps, 16);
		a = k->user = &apps[napps++];
		memset(a, 0, sizeof(*a));
		a->seed = 99;
		a->to_send = 1u << 20;
		a->passive = 1;
	}
	a->events |= ev;
	if (ev & PTCP_SOCK_CLOSED) {
		a->closed_events++;
		a->err = k->err;
		return;
	}
	for (;;) {
		int r = ptcp_sock_read(s, k, buf, sizeof buf);
		if (r <= 0) {
			if (r == 0)
				a->eof = 1;
			break;
		}
		for (int i = 0; i < r; i++)
			cr_assert_eq(buf[i], pat(a->seed ^ 1, a->got + (size_t)i));
		a->got += (size_t)r;
	}
	while (a->sent < a->to_send && ptcp_conn_state(&k->conn) >= PTCP_ESTABLISHED) {
		size_t n = a->to_send - a->sent;
		int r;
		if (n > sizeof buf)
			n = sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = pat(a->seed, a->sent + i);
		r = ptcp_sock_send(s, k, buf, n, 0);
		if (r <= 0)
			break;
		a->sent += (size_t)r;
	}
	if (a->sent == a->to_send && !a->shut && (a->eof || !a->passive) &&
	    ptcp_conn_state(&k->conn) >= PTCP_ESTABLISHED) {
		a->shut = 1;
		ptcp_sock_shutdown(s, k, PTCP_SHUT_WR);
	}
	if (a->shut && a->eof && !a->closing) {
		a->closing = 1;
		ptcp_sock_close(s, k);
	}
}

static app *client;
static ptcp_sock *csock;

static int exchanged(void)
{
	return client->closing && napps >= 2 && apps[1].closing &&
	       (client->closed_events || ptcp_conn_state(&csock->conn) == PTCP_TIME_WAIT) &&
	       apps[1].closed_events;
}

static ptcp_sock *dial(side *from, const char *to, uint16_t port, app *a, uint8_t seed)
{
	ptcp_addr r;
	ptcp_sock *k;
	memset(a, 0, sizeof(*a));
	a->seed = seed;
	a->to_send = 1u << 20;
	cr_assert_eq(ptcp_stack_addr_parse(&r, to), 0);
	k = ptcp_stack_connect(from->s, &r, port, 0, on_event, a);
	cr_assert_not_null(k);
	return k;
}

TestSuite(stack, .init = setup, .fini = teardown, .timeout = 60);

Test(stack, exchange_1mib_each_way_ipv4_and_ipv6)
{
	static app c;
	const char *dst[2] = {"192.0.2.2", "2001:db8::2"};
	cr_assert_eq(ptcp_stack_listen(B.s, NULL, 80, on_event, NULL), 0);
	for (int i = 0; i < 2; i++) {
		napps = 1; /* apps[0] unused: the server's app is apps[1] */
		client = &c;
		csock = dial(&A, dst[i], 80, &c, 98); /* the server answers with seed 99 */
		run(exchanged, 20000);
		cr_assert(exchanged(), "round %d: client sent %zu got %zu, server got %zu", i,
		          c.sent, c.got, apps[1].got);
		cr_assert_eq(c.got, 1u << 20);
		cr_assert_eq(apps[1].got, 1u << 20);
		cr_assert_eq(c.err, 0);
		cr_assert_eq(apps[1].err, 0);
		cr_assert(apps[1].events & PTCP_SOCK_CONNECTED);
	}
	/* the passive side's slots are free again; the client's wait in TIME-WAIT */
	cr_assert_eq(ptcp_stack_active(B.s), 0);
	cr_assert_eq(ptcp_stack_active(A.s), 2);
}

static int refused(void)
{
	return client->closed_events > 0;
}

Test(stack, closed_port_answers_rst)
{
	static app c;
	client = &c;
	csock = dial(&A, "192.0.2.2", 81, &c, 1);
	run(refused, 5000);
	cr_assert_eq(c.closed_events, 1);
	cr_assert_eq(c.err, PTCP_ECONNREFUSED);
	cr_assert_geq(B.s->stats.rx_no_conn, 1);
	cr_assert_eq(ptcp_stack_active(A.s), 0);
}

static int two_done(void)
{
	return napps >= 2 && apps[0].closed_events + apps[1].closed_events == 2;
}

Test(stack, two_connections_one_port)
{
	static app c1, c2;
	ptcp_sock *k1, *k2;
	cr_assert_eq(ptcp_stack_listen(B.s, NULL, 7, on_event, NULL), 0);
	napps = 0;
	k1 = dial(&A, "192.0.2.2", 7, &c1, 98);
	k2 = dial(&A, "192.0.2.2", 7, &c2, 98);
	cr_assert_neq(k1->lport, k2->lport);
	run(two_done, 20000);
	cr_assert_eq(napps, 2);
	cr_assert_eq(apps[0].got, 1u << 20);
	cr_assert_eq(apps[1].got, 1u << 20);
	cr_assert_eq(c1.got, 1u << 20);
	cr_assert_eq(c2.got, 1u << 20);
}

Test(stack, time_wait_slot_reused_when_full)
{
	static app c[5];
	ptcp_sock *k;
	cr_assert_eq(ptcp_stack_listen(B.s, NULL, 80, on_event, NULL), 0);
	/* four connections fill A's table and end in TIME-WAIT on A */
	for (int i = 0; i < 4; i++) {
		napps = 1;
		client = &c[i];
		csock = dial(&A, "192.0.2.2", 80, &c[i], 98);
		run(exchanged, 20000);
		cr_assert(exchanged());
		cr_assert_eq(ptcp_conn_state(&csock->conn), PTCP_TIME_WAIT);
	}
	cr_assert_eq(ptcp_stack_active(A.s), 4);
	/* a fifth takes the slot of the first TIME-WAIT; its app hears CLOSED */
	napps = 1;
	client = &c[4];
	csock = k = dial(&A, "192.0.2.2", 80, &c[4], 98);
	cr_assert_eq(c[0].closed_events, 1);
	cr_assert_eq(c[0].err, 0);
	run(exchanged, 20000);
	cr_assert_eq(c[4].got, 1u << 20);
	(void)k;
}

Test(stack, icmp_echo_reply)
{
	/* 192.0.2.1 -> 192.0.2.2 echo request, id 0x1234 seq 1, 8 bytes of data */
	uint8_t p[36] = {0x45, 0,    0, 36, 0,   0,   0,   0,   64,  1,   0,   0,
	                 192,  0,    2, 1,  192, 0,   2,   2,   8,   0,   0,   0,
	                 0x12, 0x34, 0, 1,  'p', 't', 'c', 'p', '-', 'e', 'c', 'h'};
	uint16_t c = ptcp_csum_fold(ptcp_csum_add(0, p, 20));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	c = ptcp_csum_fold(ptcp_csum_add(0, p + 20, 16));
	p[22] = (uint8_t)(c >> 8);
	p[23] = (uint8_t)c;
	ptcp_stack_input(B.s, p, sizeof p, 0);
	cr_assert_eq(B.s->stats.icmp_echo, 1);
	cr_assert_eq(B.link.last_len, 36);
	cr_assert_eq(B.link.last[20], 0); /* echo reply */
	cr_assert_eq(memcmp(B.link.last + 12, p + 16, 4), 0);
	cr_assert_eq(memcmp(B.link.last + 16, p + 12, 4), 0);
	cr_assert_eq(memcmp(B.link.last + 24, p + 24, 12), 0);
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, B.link.last + 20, 16)), 0);
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, B.link.last, 20)), 0);
}

/* A router in the middle: packets over 1280 bytes from A die and A gets "frag needed". */
static int pmtu_done(void)
{
	if (A.link.dropped_big && A.link.last_len > 1280) {
		/* answer the oversized packet like a router would */
		uint8_t icmp[20 + 8 + 28];
		uint16_t c;
		memset(icmp, 0, sizeof icmp);
		icmp[0] = 0x45;
		icmp[3] = sizeof icmp;
		icmp[8] = 64;
		icmp[9] = 1;
		memcpy(icmp + 12, A.link.last + 16, 4); /* from the peer's side, to A */
		memcpy(icmp + 16, A.link.last + 12, 4);
		c = ptcp_csum_fold(ptcp_csum_add(0, icmp, 20));
		icmp[10] = (uint8_t)(c >> 8);
		icmp[11] = (uint8_t)c;
		icmp[20] = 3;
		icmp[21] = 4;
		icmp[26] = 1280 >> 8;
		icmp[27] = 1280 & 255;
		memcpy(icmp + 28, A.link.last, 28); /* quoted IP header + 8 bytes of TCP */
		c = ptcp_csum_fold(ptcp_csum_add(0, icmp + 20, 36));
		icmp[22] = (uint8_t)(c >> 8);
		icmp[23] = (uint8_t)c;
		A.link.last_len = 0;
		ptcp_stack_input(A.s, icmp, sizeof icmp, 0);
	}
	return exchanged();
}

Test(stack, icmp_frag_needed_shrinks_mss)
{
	static app c;
	ptcp_info info;
	cr_assert_eq(ptcp_stack_listen(B.s, NULL, 80, on_event, NULL), 0);
	A.link.mtu_cap = 1280;
	napps = 1;
	client = &c;
	csock = dial(&A, "192.0.2.2", 80, &c, 98);
	run(pmtu_done, 20000);
	cr_assert(exchanged(), "sent %zu got %zu, server got %zu", c.sent, c.got, apps[1].got);
	cr_assert_geq(A.s->stats.icmp_frag, 1);
	cr_assert_eq(A.s->stats.icmp_frag_mtu, 1280);
	ptcp_conn_info(&csock->conn, &info);
	cr_assert_leq(info.mss, 1280 - 40);
	cr_assert_eq(apps[1].got, 1u << 20);
}
