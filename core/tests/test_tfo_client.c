/*
 * Fast Open end to end: a client core against the table's server side,
 * through the wire codec.  The client's cookie cache is caller storage (here
 * a small array keyed by server address): the core hands a granted cookie
 * out (PTCP_ACT_TFO_COOKIE) and takes it back in PTCP_IN_CONNECT; it keeps
 * none itself.  Fallbacks: a server without Fast Open, and a stale cookie.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conv.h"
#include "ptcp/listener.h"
#include "tconv.h"

/* The caller's cookie cache (RFC 7413 4.1.3: per server address). */
typedef struct cache_entry {
	ptcp_addr server;
	uint8_t len;
	uint8_t cookie[PTCP_TFO_COOKIE_MAX];
} cache_entry;

typedef struct cache {
	cache_entry e[4];
	int n;
	int grants; /* PTCP_ACT_TFO_COOKIE actions seen */
} cache;

static cache_entry *cache_find(cache *ca, const ptcp_addr *server)
{
	for (int i = 0; i < ca->n; i++)
		if (ptcp_addr_eq(&ca->e[i].server, server))
			return &ca->e[i];
	return NULL;
}

/* Keep what the client's last step granted. */
static void cache_take(cache *ca, const tclient *k, const ptcp_addr *server)
{
	for (size_t i = 0; i < k->out.n; i++) {
		const ptcp_action *a = &k->act[i];
		cache_entry *e;
		if (a->kind != PTCP_ACT_TFO_COOKIE)
			continue;
		ca->grants++;
		e = cache_find(ca, server);
		if (!e) {
			cr_assert_lt(ca->n, 4);
			e = &ca->e[ca->n++];
			e->server = *server;
		}
		e->len = a->tfo.len;
		memcpy(e->cookie, a->tfo.cookie, a->tfo.len);
	}
}

/* Connect k to c with Fast Open: the cached cookie and data, or a cookie request. */
static void tfo_connect(tclient *k, tconv *c, cache *ca, const char *data)
{
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	const cache_entry *e = cache_find(ca, &c->server);
	in.connect.local = k->addr;
	in.connect.remote = c->server;
	in.connect.lport = k->port;
	in.connect.rport = SPORT;
	in.connect.iss = 1000;
	in.connect.tfo = 1;
	if (e) {
		in.connect.tfo_len = e->len;
		memcpy(in.connect.tfo_cookie, e->cookie, e->len);
		in.connect.tfo_mss = 1000;
		in.connect.data = (const uint8_t *)data;
		in.connect.len = strlen(data);
	}
	cr_assert_eq(tclient_step(k, &in, c->now), 0);
}

/* Move the client's SYN to the table and the table's answer back; then the rest. */
static void exchange(tclient *k, tconv *c, cache *ca)
{
	ptcp_seg s;
	uint8_t b[2048];
	int n = -1;
	ptcp_input in = {.kind = PTCP_IN_SEGMENT};
	for (size_t i = 0; i < k->out.n; i++)
		if (k->act[i].kind == PTCP_ACT_EMIT)
			n = ptcp_wire_build_tcp(b, sizeof(b), &k->act[i].emit.seg, &k->addr,
			                        &c->server);
	cr_assert_gt(n, 0);
	k->out.n = 0;
	cr_assert_eq(ptcp_wire_parse_tcp(b, (size_t)n, &k->addr, &c->server, 1, &s), 0);
	in.segment.seg = &s;
	in.segment.src = k->addr;
	in.segment.dst = c->server;
	tconv_step(c, PTCP_NO_HANDLE, &in);
	const ptcp_seg *sa = tnext(c);
	cr_assert_eq(sa->flags, PTCP_SYN | PTCP_ACK);
	n = ptcp_wire_build_tcp(b, sizeof(b), sa, &c->server, &k->addr);
	cr_assert_gt(n, 0);
	cr_assert_eq(ptcp_wire_parse_tcp(b, (size_t)n, &c->server, &k->addr, 1, &s), 0);
	in.segment.seg = &s;
	in.segment.src = c->server;
	in.segment.dst = k->addr;
	tclient_step(k, &in, c->now);
	cache_take(ca, k, &c->server);
	tshuttle(k, c, 1);
}

static ptcp_table_config server_cfg(int tfo)
{
	ptcp_table_config cfg;
	tconv_cfg(&cfg);
	if (tfo)
		cfg.flags |= PTCP_TBL_TFO;
	return cfg;
}

static ptcp_stats client_stats(const tclient *k)
{
	ptcp_stats st;
	ptcp_conn_stats(&k->c, &st);
	return st;
}

Test(tfo_client, cookie_cached_by_the_caller_then_data_in_the_syn)
{
	tconv c;
	tclient k1, k2;
	cache ca = {.n = 0};
	ptcp_table_config cfg = server_cfg(1);
	ptcp_handle h;
	uint8_t buf[16];
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 8);
	/* first connection: a cookie request; the grant lands in the caller's cache */
	tclient_init(&k1, NULL, 2, 41000);
	tfo_connect(&k1, &c, &ca, "");
	exchange(&k1, &c, &ca);
	cr_assert_eq(ca.grants, 1);
	cr_assert_eq(ca.n, 1);
	cr_assert_eq(ca.e[0].len, PTCP_TFO_COOKIE_LEN);
	cr_assert_eq(ptcp_conn_state(&k1.c), PTCP_ESTABLISHED);
	cr_assert_eq(tstats(&c).tfo_cookies_sent, 1);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0);
	/* second connection from the same client: cookie and data in the SYN, taken at once */
	tclient_init(&k2, NULL, 2, 41001);
	tfo_connect(&k2, &c, &ca, "hello");
	exchange(&k2, &c, &ca);
	cr_assert_eq(tstats(&c).tfo_accepted, 1);
	cr_assert_eq(client_stats(&k2).tfo_data_acked, 1);
	cr_assert_eq(client_stats(&k2).tfo_data_refused, 0);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0);
	cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	tclient_fini(&k1);
	tclient_fini(&k2);
	tconv_fini(&c);
}

Test(tfo_client, server_without_fast_open_falls_back)
{
	tconv c;
	tclient k;
	cache ca = {.n = 1};
	ptcp_table_config cfg = server_cfg(0);
	ptcp_handle h;
	uint8_t buf[16];
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 8);
	ca.e[0].server = c.server; /* a cookie from an earlier life of that server */
	ca.e[0].len = 8;
	memset(ca.e[0].cookie, 0x5a, 8);
	tclient_init(&k, NULL, 3, 42000);
	tfo_connect(&k, &c, &ca, "hello");
	exchange(&k, &c, &ca);
	/* RFC 7413 4.2.2: only the SYN acknowledged; the client sends the data again */
	cr_assert_eq(ca.grants, 0);
	cr_assert_eq(tstats(&c).syn_data_ignored, 1);
	cr_assert_eq(client_stats(&k).tfo_data_refused, 1);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0);
	cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	tclient_fini(&k);
	tconv_fini(&c);
}

Test(tfo_client, stale_cookie_is_replaced_and_the_data_sent_again)
{
	tconv c;
	tclient k;
	cache ca = {.n = 1};
	ptcp_table_config cfg = server_cfg(1);
	uint8_t valid[PTCP_TFO_COOKIE_LEN];
	ptcp_handle h;
	uint8_t buf[16];
	tconv_init(&c, &cfg);
	int lid = tconv_listen(&c, 8);
	tclient_init(&k, NULL, 4, 43000);
	ptcp_tfo_cookie(c.t.k_tfo, &k.addr, valid);
	ca.e[0].server = c.server;
	ca.e[0].len = 8;
	memcpy(ca.e[0].cookie, valid, 8);
	ca.e[0].cookie[0] ^= 0xff; /* the server's key changed since */
	tfo_connect(&k, &c, &ca, "hello");
	exchange(&k, &c, &ca);
	cr_assert_eq(tdrops(&c, PTCP_TDROP_TFO_COOKIE_INVALID), 1);
	cr_assert_eq(ca.grants, 1, "the SYN-ACK brings the valid cookie");
	cr_assert_eq(memcmp(ca.e[0].cookie, valid, 8), 0, "the cache now holds it");
	cr_assert_eq(client_stats(&k).tfo_data_refused, 1);
	cr_assert_eq(ptcp_table_accept(&c.t, (uint32_t)lid, &h), 0);
	cr_assert_eq(tread(&c, h, buf, sizeof(buf)), 5);
	tclient_fini(&k);
	tconv_fini(&c);
}
