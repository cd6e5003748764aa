/*
 * ptcp_stack: IP layer, demultiplexer and event loop (see ptcp_stack.h).
 */
#define _GNU_SOURCE
#include "ptcp_stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define ICMP4       1
#define ICMP6       58
#define TCP         6
#define SIP_ROUNDS  2
#define DRAIN_BATCH 64
#define DRAIN_MAX   1024

ptcp_time_t ptcp_stack_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ptcp_time_t)ts.tv_sec * 1000000u + (ptcp_time_t)ts.tv_nsec / 1000u;
}

/* ---- SipHash-2-4 (RFC 6528's F) ------------------------------------------ */
static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t siphash(const uint64_t key[2], const uint8_t *in, size_t len)
{
	uint64_t v[4] = {key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
	                 key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull};
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, end = len - (len % 8);
	int r;
	for (i = 0; i < end; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = (m << 8) | in[i + (size_t)j];
		v[3] ^= m;
		for (r = 0; r < SIP_ROUNDS; r++)
			sipround(v);
		v[0] ^= m;
	}
	for (size_t j = 0; j < len % 8; j++)
		b |= (uint64_t)in[end + j] << (8 * j);
	v[3] ^= b;
	for (r = 0; r < SIP_ROUNDS; r++)
		sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t tuple_hash(const ptcp_stack *s, const ptcp_addr *l, uint16_t lport,
                           const ptcp_addr *r, uint16_t rport, uint8_t tweak)
{
	uint8_t b[38];
	memcpy(b, l->bytes, 16);
	memcpy(b + 16, r->bytes, 16);
	b[32] = (uint8_t)(lport >> 8);
	b[33] = (uint8_t)lport;
	b[34] = (uint8_t)(rport >> 8);
	b[35] = (uint8_t)rport;
	b[36] = l->family;
	b[37] = tweak;
	return siphash(s->key, b, sizeof b);
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
static uint32_t make_iss(const ptcp_stack *s, const ptcp_addr *l, uint16_t lport,
                         const ptcp_addr *r, uint16_t rport)
{
	return (uint32_t)(s->now / 4u) + (uint32_t)tuple_hash(s, l, lport, r, rport, 0);
}

/* ---- addresses ----------------------------------------------------------- */
int ptcp_stack_addr_parse(ptcp_addr *a, const char *str)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, str, a->bytes) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, str, a->bytes) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

const char *ptcp_stack_addr_str(const ptcp_addr *a, char *buf, size_t len)
{
	if (!a->family ||
	    !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

static int is_ours(const ptcp_stack *s, const ptcp_addr *a)
{
	const ptcp_addr *o = a->family == 4 ? &s->addr4 : &s->addr6;
	return o->family && ptcp_addr_eq(o, a);
}

/* ---- setup --------------------------------------------------------------- */
int ptcp_stack_init(ptcp_stack *s, ptcp_link *link, ptcp_sock *table, size_t n, uint8_t *bufmem,
                    size_t sndbuf, size_t rcvbuf, const ptcp_config *cfg)
{
	if (!s || !link || !table || !n || !bufmem || !sndbuf || !rcvbuf)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->link = link;
	s->socks = table;
	s->nsocks = n;
	s->sndbuf = sndbuf;
	s->rcvbuf = rcvbuf;
	if (cfg)
		s->cfg = *cfg;
	else
		ptcp_config_default(&s->cfg);
	memset(table, 0, n * sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		table[i].sbuf = bufmem + i * (sndbuf + rcvbuf);
		table[i].rbuf = table[i].sbuf + sndbuf;
	}
	if (getrandom(s->key, sizeof s->key, 0) != (ssize_t)sizeof s->key)
		return -errno;
	s->ip_id = (uint16_t)s->key[0];
	s->now = ptcp_stack_now();
	/* a peer that goes away must not kill us with SIGPIPE (TUN, sockets) */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void ptcp_stack_set_addr(ptcp_stack *s, const ptcp_addr *a)
{
	if (a->family == 4)
		s->addr4 = *a;
	else if (a->family == 6)
		s->addr6 = *a;
}

size_t ptcp_stack_active(const ptcp_stack *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nsocks; i++)
		n += s->socks[i].used;
	return n;
}

/* ---- pcap ---------------------------------------------------------------- */
int ptcp_stack_pcap(ptcp_stack *s, const char *path, unsigned snaplen)
{
	/* pcap file header: magic, v2.4, zone 0, sigfigs 0, snaplen, LINKTYPE_RAW (101) */
	uint32_t h[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, snaplen ? snaplen : 65535u, 101};
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(h, sizeof h, 1, f) != 1) {
		fclose(f);
		return -EIO;
	}
	s->pcap = f;
	s->pcap_snaplen = snaplen ? snaplen : 65535u;
	return 0;
}

void ptcp_stack_pcap_close(ptcp_stack *s)
{
	if (s->pcap)
		fclose((FILE *)s->pcap);
	s->pcap = NULL;
}

static void pcap_record(ptcp_stack *s, const uint8_t *pkt, size_t len)
{
	struct timespec ts;
	uint32_t r[4];
	size_t keep = len < s->pcap_snaplen ? len : s->pcap_snaplen;
	clock_gettime(CLOCK_REALTIME, &ts);
	r[0] = (uint32_t)ts.tv_sec;
	r[1] = (uint32_t)(ts.tv_nsec / 1000);
	r[2] = (uint32_t)keep;
	r[3] = (uint32_t)len;
	fwrite(r, sizeof r, 1, (FILE *)s->pcap);
	fwrite(pkt, keep, 1, (FILE *)s->pcap);
}

/* ---- output -------------------------------------------------------------- */
int ptcp_stack_output(ptcp_stack *s, const uint8_t *pkt, size_t len)
{
	int r;
	if (s->pcap)
		pcap_record(s, pkt, len);
	r = s->link->send(s->link, pkt, len);
	if (r < 0)
		s->stats.tx_err++;
	else
		s->stats.tx_ip++;
	return r;
}

static void emit(ptcp_stack *s, const ptcp_action *a)
{
	ptcp_ip ip;
	int n;
	memset(&ip, 0, sizeof ip);
	ip.dst = a->emit.dst;
	ip.src = a->emit.src;
	if (!ip.dst.family)
		return;
	if (ip.src.family != ip.dst.family)
		ip.src = ip.dst.family == 4 ? s->addr4 : s->addr6;
	ip.ttl = 64;
	ip.tos = a->emit.ecn & 3u;
	ip.df = 1;
	ip.id = s->ip_id++;
	ip.proto = TCP;
	n = ptcp_wire_build_packet(s->pkt, sizeof s->pkt, &ip, &a->emit.seg);
	if (n > 0)
		ptcp_stack_output(s, s->pkt, (size_t)n);
	else
		s->stats.tx_err++;
}

static void sock_free(ptcp_sock *k)
{
	k->used = 0;
	k->pending = 0;
	k->cb = NULL;
	k->user = NULL;
}

static void trace(ptcp_stack *s, ptcp_sock *k, const ptcp_action *a)
{
	char l[64], r[64];
	if (s->verbose < 2 && a->kind != PTCP_ACT_STATE && a->kind != PTCP_ACT_EVENT)
		return;
	if (a->kind == PTCP_ACT_STATE)
		fprintf(stderr, "ptcp: %s:%u <-> %s:%u %s -> %s\n",
		        ptcp_stack_addr_str(&k->laddr, l, sizeof l), k->lport,
		        ptcp_stack_addr_str(&k->raddr, r, sizeof r), k->rport,
		        ptcp_state_name(a->state.from), ptcp_state_name(a->state.to));
	else if (a->kind == PTCP_ACT_EVENT)
		fprintf(stderr, "ptcp: port %u event %s%s%s\n", k->lport,
		        ptcp_event_name(a->event.ev), a->event.err ? ": " : "",
		        a->event.err ? ptcp_strerror(a->event.err) : "");
}

/* Apply the actions of one step: packets go out now, the rest becomes pending bits. */
static void handle(ptcp_stack *s, ptcp_sock *k, const ptcp_actions *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const ptcp_action *a = &out->v[i];
		if (a->kind == PTCP_ACT_EMIT) {
			emit(s, a);
			continue;
		}
		if (!k)
			continue;
		if (s->verbose)
			trace(s, k, a);
		switch (a->kind) {
		case PTCP_ACT_READABLE:
			k->pending |= PTCP_SOCK_READABLE;
			break;
		case PTCP_ACT_WRITABLE:
			k->pending |= PTCP_SOCK_WRITABLE;
			break;
		case PTCP_ACT_STATE:
			k->pending |= PTCP_SOCK_STATE;
			if (a->state.to == PTCP_LISTEN && a->state.from != PTCP_CLOSED &&
			    k->spawned) {
				/* RST or SYN in SYN-RECEIVED: the core went back to LISTEN;
				 * the listener record spawns a fresh block next time. */
				sock_free(k);
				return;
			}
			break;
		case PTCP_ACT_EVENT:
			switch (a->event.ev) {
			case PTCP_EV_CONNECTED:
				k->pending |= PTCP_SOCK_CONNECTED;
				break;
			case PTCP_EV_PEER_CLOSED:
				k->pending |= PTCP_SOCK_PEER_CLOSED | PTCP_SOCK_READABLE;
				break;
			case PTCP_EV_ALL_ACKED:
				k->pending |= PTCP_SOCK_ALL_ACKED;
				break;
			case PTCP_EV_RESET:
			case PTCP_EV_TIMEDOUT:
			case PTCP_EV_ERROR:
				k->err = a->event.err;
				k->pending |= PTCP_SOCK_READABLE | PTCP_SOCK_WRITABLE;
				break;
			case PTCP_EV_CLOSED:
				if (a->event.err)
					k->err = a->event.err;
				k->pending |= PTCP_SOCK_CLOSED;
				break;
			default:
				break;
			}
			break;
		case PTCP_ACT_DEADLINE:
			k->deadline = a->deadline;
			break;
		default:
			break;
		}
	}
}

static int step(ptcp_stack *s, ptcp_sock *k, const ptcp_input *in)
{
	ptcp_actions out = {.v = s->acts, .cap = PTCP_STACK_ACTIONS, .n = 0};
	int r = ptcp_step(&k->conn, in, s->now, &out);
	handle(s, k, &out);
	if (k->used)
		k->deadline = ptcp_conn_next_deadline(&k->conn);
	return r;
}

/* ---- demultiplexer ------------------------------------------------------- */
static ptcp_sock *lookup(ptcp_stack *s, const ptcp_addr *l, uint16_t lport, const ptcp_addr *r,
                         uint16_t rport)
{
	for (size_t i = 0; i < s->nsocks; i++) {
		ptcp_sock *k = &s->socks[i];
		if (k->used && k->lport == lport && k->rport == rport &&
		    ptcp_conn_state(&k->conn) > PTCP_LISTEN && ptcp_addr_eq(&k->raddr, r) &&
		    ptcp_addr_eq(&k->laddr, l))
			return k;
	}
	return NULL;
}

/* The table is full: give up the TIME-WAIT connection that ends first (its
 * application hears PTCP_SOCK_CLOSED now), as a kernel reuses TIME-WAIT. */
static void reclaim_time_wait(ptcp_stack *s)
{
	ptcp_sock *old = NULL;
	for (size_t i = 0; i < s->nsocks; i++) {
		ptcp_sock *k = &s->socks[i];
		if (k->used && ptcp_conn_state(&k->conn) == PTCP_TIME_WAIT &&
		    (!old || k->deadline < old->deadline))
			old = k;
	}
	if (!old)
		return;
	if (old->accepted && old->cb)
		old->cb(s, old, (old->pending | PTCP_SOCK_CLOSED) & ~(unsigned)PTCP_SOCK_STATE);
	sock_free(old);
}

static ptcp_sock *sock_alloc(ptcp_stack *s, int family, uint32_t ts_offset)
{
	if (ptcp_stack_active(s) == s->nsocks)
		reclaim_time_wait(s);
	for (size_t i = 0; i < s->nsocks; i++) {
		ptcp_sock *k = &s->socks[i];
		ptcp_config cfg;
		if (k->used)
			continue;
		cfg = s->cfg;
		cfg.ts_offset =
		    ts_offset; /* RFC 7323 7.1: a per-connection timestamp clock offset */
		{
			unsigned hdr = family == 6 ? 60u : 40u;
			unsigned mss = s->link->mtu > hdr + 64 ? s->link->mtu - hdr : 536;
			if (mss > 65495)
				mss = 65495;
			if (!cfg.mss || mss < cfg.mss)
				cfg.mss = (uint16_t)mss;
		}
		if (ptcp_conn_init(&k->conn, &cfg, k->sbuf, s->sndbuf, k->rbuf, s->rcvbuf) != 0)
			return NULL;
		ptcp_conn_set_loss(&k->conn, &k->loss);
		memset(&k->st, 0, sizeof(k->st));
		ptcp_conn_set_stats(&k->conn, &k->st);
		k->used = 1;
		k->accepted = 0;
		k->spawned = 0;
		k->pending = 0;
		k->err = 0;
		k->deadline = PTCP_TIME_NEVER;
		k->cb = NULL;
		k->user = NULL;
		return k;
	}
	return NULL;
}

static int listener_for(const ptcp_stack *s, const ptcp_addr *dst, uint16_t port)
{
	for (int i = 0; i < PTCP_STACK_LISTEN_MAX; i++)
		if (s->listen[i].port == port &&
		    (!s->listen[i].local.family || ptcp_addr_eq(&s->listen[i].local, dst)))
			return i;
	return -1;
}

int ptcp_stack_listen(ptcp_stack *s, const ptcp_addr *local, uint16_t port, ptcp_sock_cb cb,
                      void *user)
{
	for (int i = 0; i < PTCP_STACK_LISTEN_MAX; i++) {
		if (s->listen[i].port)
			continue;
		s->listen[i].port = port;
		if (local)
			s->listen[i].local = *local;
		else
			memset(&s->listen[i].local, 0, sizeof(ptcp_addr));
		s->listen[i].cb = cb;
		s->listen[i].user = user;
		return 0;
	}
	return -ENOSPC;
}

/* A fresh block in LISTEN, with the ISS of this SYN's 4-tuple, then fed the SYN. */
static void spawn(ptcp_stack *s, int li, const ptcp_ip *ip, const ptcp_input *syn)
{
	const ptcp_seg *seg = syn->segment.seg;
	ptcp_sock *k =
	    sock_alloc(s, ip->dst.family,
	               (uint32_t)tuple_hash(s, &ip->dst, seg->dport, &ip->src, seg->sport, 1));
	ptcp_input in;
	if (!k) {
		s->stats.syn_no_slot++;
		return;
	}
	k->spawned = 1;
	k->laddr = ip->dst;
	k->raddr = ip->src;
	k->lport = seg->dport;
	k->rport = seg->sport;
	k->cb = s->listen[li].cb;
	k->user = s->listen[li].user;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_LISTEN;
	in.listen.local = ip->dst;
	in.listen.lport = seg->dport;
	in.listen.iss = make_iss(s, &ip->dst, seg->dport, &ip->src, seg->sport);
	if (step(s, k, &in) != 0) {
		sock_free(k);
		return;
	}
	step(s, k, syn);
	if (k->used && ptcp_conn_state(&k->conn) <= PTCP_LISTEN)
		sock_free(k);
}

static void tcp_input(ptcp_stack *s, const ptcp_ip *ip, const uint8_t *l4, size_t l4len,
                      unsigned flags)
{
	ptcp_seg seg;
	ptcp_input in;
	ptcp_sock *k;
	int li, err;
	err = ptcp_wire_parse_tcp(l4, l4len, &ip->src, &ip->dst, !(flags & PTCP_RX_CSUM_OK), &seg);
	if (err) {
		s->stats.rx_bad++;
		if (s->verbose > 1)
			fprintf(stderr, "ptcp: drop: %s\n", ptcp_strerror(err));
		return;
	}
	s->stats.rx_tcp++;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_SEGMENT;
	in.segment.seg = &seg;
	in.segment.src = ip->src;
	in.segment.dst = ip->dst;
	in.segment.ecn = ip->tos & 3u;
	k = lookup(s, &ip->dst, seg.dport, &ip->src, seg.sport);
	if (k) {
		step(s, k, &in);
		return;
	}
	li = listener_for(s, &ip->dst, seg.dport);
	if (li >= 0 && (seg.flags & (PTCP_SYN | PTCP_ACK | PTCP_RST)) == PTCP_SYN) {
		spawn(s, li, ip, &in);
		return;
	}
	/* No connection: the core answers from a scratch block (RFC 9293 3.10.7.1/2). */
	s->stats.rx_no_conn++;
	{
		ptcp_actions out = {.v = s->acts, .cap = PTCP_STACK_ACTIONS, .n = 0};
		ptcp_conn_init(&s->scratch, NULL, s->scratch_buf[0], sizeof s->scratch_buf[0],
		               s->scratch_buf[1], sizeof s->scratch_buf[1]);
		if (li >= 0) {
			ptcp_input l;
			memset(&l, 0, sizeof l);
			l.kind = PTCP_IN_LISTEN;
			l.listen.local = ip->dst;
			l.listen.lport = seg.dport;
			ptcp_step(&s->scratch, &l, s->now, &out);
		}
		ptcp_step(&s->scratch, &in, s->now, &out);
		handle(s, NULL, &out);
	}
}

/* ---- ICMP ---------------------------------------------------------------- */
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IP header for src -> dst carrying plen bytes of proto; returns its length. */
static size_t ip_header(ptcp_stack *s, uint8_t *p, const ptcp_addr *src, const ptcp_addr *dst,
                        uint8_t proto, size_t plen)
{
	if (src->family == 4) {
		memset(p, 0, 20);
		p[0] = 0x45;
		wr16(p + 2, (uint16_t)(20 + plen));
		wr16(p + 4, s->ip_id++);
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, src->bytes, 4);
		memcpy(p + 16, dst->bytes, 4);
		wr16(p + 10, ptcp_csum_fold(ptcp_csum_add(0, p, 20)));
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	wr16(p + 4, (uint16_t)plen);
	p[6] = proto;
	p[7] = 64;
	memcpy(p + 8, src->bytes, 16);
	memcpy(p + 24, dst->bytes, 16);
	return 40;
}

static void echo_reply(ptcp_stack *s, const ptcp_ip *ip, const uint8_t *l4, size_t len)
{
	size_t h;
	uint32_t sum = 0;
	if (len > sizeof s->pkt - 64)
		return;
	h = ip_header(s, s->pkt, &ip->dst, &ip->src, ip->dst.family == 4 ? ICMP4 : ICMP6, len);
	memcpy(s->pkt + h, l4, len);
	s->pkt[h] = ip->dst.family == 4 ? 0 : 129; /* echo reply */
	s->pkt[h + 2] = s->pkt[h + 3] = 0;
	if (ip->dst.family == 6)
		sum = ptcp_csum_pseudo(&ip->dst, &ip->src, ICMP6, (uint32_t)len);
	wr16(s->pkt + h + 2, ptcp_csum_fold(ptcp_csum_add(sum, s->pkt + h, len)));
	s->stats.icmp_echo++;
	ptcp_stack_output(s, s->pkt, h + len);
}

/* RFC 1191 7.1: the plateau below a packet size, for routers that send MTU 0. */
static uint32_t plateau(uint32_t len)
{
	static const uint32_t p[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		if (p[i] < len)
			return p[i];
	return 68;
}

/* An ICMP error quoting one of our TCP segments: hand it to its connection. */
static void icmp_error(ptcp_stack *s, ptcp_icmp_kind kind, uint32_t mtu, const uint8_t *q,
                       size_t qlen)
{
	ptcp_addr qsrc, qdst;
	size_t hl;
	ptcp_sock *k;
	ptcp_input in;
	memset(&qsrc, 0, sizeof qsrc);
	memset(&qdst, 0, sizeof qdst);
	if (qlen < 20)
		return;
	if ((q[0] >> 4) == 4) {
		hl = (size_t)(q[0] & 15u) * 4;
		if (hl < 20 || qlen < hl + 8 || q[9] != TCP)
			return;
		qsrc.family = qdst.family = 4;
		memcpy(qsrc.bytes, q + 12, 4);
		memcpy(qdst.bytes, q + 16, 4);
		if (kind == PTCP_ICMP_FRAG_NEEDED && mtu < 68)
			mtu = plateau(rd16(q + 2));
	} else if ((q[0] >> 4) == 6) {
		hl = 40;
		if (qlen < hl + 8 || q[6] != TCP)
			return;
		qsrc.family = qdst.family = 6;
		memcpy(qsrc.bytes, q + 8, 16);
		memcpy(qdst.bytes, q + 24, 16);
	} else {
		return;
	}
	if (!is_ours(s, &qsrc))
		return;
	k = lookup(s, &qsrc, rd16(q + hl), &qdst, rd16(q + hl + 2));
	if (!k)
		return;
	s->stats.icmp_err++;
	if (kind == PTCP_ICMP_FRAG_NEEDED) {
		s->stats.icmp_frag++;
		s->stats.icmp_frag_mtu = mtu;
	}
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_ICMP;
	in.icmp.type = kind;
	in.icmp.mtu = mtu;
	in.icmp.seq = rd32(q + hl + 4);
	if (s->verbose) {
		char b[64];
		fprintf(stderr, "ptcp: icmp %d mtu %u about %s:%u\n", (int)kind, mtu,
		        ptcp_stack_addr_str(&qdst, b, sizeof b), rd16(q + hl + 2));
	}
	step(s, k, &in);
}

static void icmp4_input(ptcp_stack *s, const ptcp_ip *ip, const uint8_t *p, size_t len)
{
	ptcp_icmp_kind kind;
	if (len < 8 || ptcp_csum_fold(ptcp_csum_add(0, p, len)) != 0) {
		s->stats.rx_bad++;
		return;
	}
	switch (p[0]) {
	case 8:
		if (p[1] == 0)
			echo_reply(s, ip, p, len);
		return;
	case 3:
		switch (p[1]) {
		case 0:
			kind = PTCP_ICMP_NET_UNREACH;
			break;
		case 1:
			kind = PTCP_ICMP_HOST_UNREACH;
			break;
		case 2:
			kind = PTCP_ICMP_PROTO_UNREACH;
			break;
		case 3:
			kind = PTCP_ICMP_PORT_UNREACH;
			break;
		case 4:
			kind = PTCP_ICMP_FRAG_NEEDED;
			break;
		case 9:
		case 10:
		case 13:
			kind = PTCP_ICMP_ADMIN_PROHIBITED;
			break;
		default:
			kind = PTCP_ICMP_HOST_UNREACH;
			break;
		}
		icmp_error(s, kind, rd16(p + 6), p + 8, len - 8);
		return;
	case 11:
		icmp_error(s, PTCP_ICMP_TIME_EXCEEDED, 0, p + 8, len - 8);
		return;
	default:
		return;
	}
}

static void icmp6_input(ptcp_stack *s, const ptcp_ip *ip, const uint8_t *p, size_t len)
{
	ptcp_icmp_kind kind;
	if (len < 8 ||
	    ptcp_csum_fold(ptcp_csum_add(ptcp_csum_pseudo(&ip->src, &ip->dst, ICMP6, (uint32_t)len),
	                                 p, len)) != 0) {
		s->stats.rx_bad++;
		return;
	}
	switch (p[0]) {
	case 128:
		echo_reply(s, ip, p, len);
		return;
	case 1:
		kind = p[1] == 0   ? PTCP_ICMP_NET_UNREACH
		       : p[1] == 1 ? PTCP_ICMP_ADMIN_PROHIBITED
		       : p[1] == 4 ? PTCP_ICMP_PORT_UNREACH
		                   : PTCP_ICMP_HOST_UNREACH;
		icmp_error(s, kind, 0, p + 8, len - 8);
		return;
	case 2:
		icmp_error(s, PTCP_ICMP_FRAG_NEEDED, rd32(p + 4), p + 8, len - 8);
		return;
	case 3:
		icmp_error(s, PTCP_ICMP_TIME_EXCEEDED, 0, p + 8, len - 8);
		return;
	default:
		return; /* neighbour discovery is the link's business */
	}
}

void ptcp_stack_input(ptcp_stack *s, const uint8_t *pkt, size_t len, unsigned flags)
{
	ptcp_ip ip;
	const uint8_t *l4;
	size_t l4len;
	int err;
	if (s->pcap)
		pcap_record(s, pkt, len);
	err = ptcp_wire_parse_ip(pkt, len, &ip, &l4, &l4len);
	s->stats.rx_ip++;
	if (err && err != PTCP_ENOTTCP) {
		s->stats.rx_bad++;
		if (s->verbose > 1)
			fprintf(stderr, "ptcp: drop ip: %s\n", ptcp_strerror(err));
		return;
	}
	if (!is_ours(s, &ip.dst)) {
		s->stats.rx_not_ours++;
		return;
	}
	if (err == 0) {
		tcp_input(s, &ip, l4, l4len, flags);
	} else if (ip.proto == ICMP4 && ip.dst.family == 4) {
		s->stats.rx_icmp++;
		icmp4_input(s, &ip, l4, l4len);
	} else if (ip.proto == ICMP6 && ip.dst.family == 6) {
		s->stats.rx_icmp++;
		icmp6_input(s, &ip, l4, l4len);
	} else {
		s->stats.rx_other++;
	}
}

/* ---- application calls --------------------------------------------------- */
static uint16_t ephemeral_port(ptcp_stack *s, const ptcp_addr *remote, uint16_t rport)
{
	uint16_t r;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint16_t)s->now;
	for (unsigned i = 0; i < 16384; i++) {
		uint16_t p = (uint16_t)(49152u + (r + i) % 16384u);
		const ptcp_addr *l = remote->family == 4 ? &s->addr4 : &s->addr6;
		if (!lookup(s, l, p, remote, rport) && listener_for(s, l, p) < 0)
			return p;
	}
	return 0;
}

ptcp_sock *ptcp_stack_connect(ptcp_stack *s, const ptcp_addr *remote, uint16_t rport,
                              uint16_t lport, ptcp_sock_cb cb, void *user)
{
	const ptcp_addr *local = remote->family == 4 ? &s->addr4 : &s->addr6;
	ptcp_sock *k;
	ptcp_input in;
	s->now = ptcp_stack_now();
	if (!local->family || !rport) {
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	if (!lport)
		lport = ephemeral_port(s, remote, rport);
	k = lport ? sock_alloc(s, remote->family,
	                       (uint32_t)tuple_hash(s, local, lport, remote, rport, 1))
	          : NULL;
	if (!k) {
		errno = lport ? ENOBUFS : EADDRINUSE;
		return NULL;
	}
	k->accepted = 1;
	k->laddr = *local;
	k->raddr = *remote;
	k->lport = lport;
	k->rport = rport;
	k->cb = cb;
	k->user = user;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_CONNECT;
	in.connect.local = *local;
	in.connect.remote = *remote;
	in.connect.lport = lport;
	in.connect.rport = rport;
	in.connect.iss = make_iss(s, local, lport, remote, rport);
	if (step(s, k, &in) != 0) {
		sock_free(k);
		errno = EINVAL;
		return NULL;
	}
	if (s->link->flush)
		s->link->flush(s->link);
	return k;
}

static int app_call(ptcp_stack *s, ptcp_sock *k, ptcp_input *in)
{
	ptcp_time_t t = ptcp_stack_now();
	if (t > s->now)
		s->now = t;
	return step(s, k, in);
}

int ptcp_sock_send(ptcp_stack *s, ptcp_sock *k, const void *data, size_t len, uint32_t flags)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_SEND;
	in.send.data = data;
	in.send.len = len;
	in.send.flags = flags;
	return app_call(s, k, &in);
}

int ptcp_sock_read(ptcp_stack *s, ptcp_sock *k, void *buf, size_t len)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_READ;
	in.read.buf = buf;
	in.read.len = len;
	return app_call(s, k, &in);
}

int ptcp_sock_shutdown(ptcp_stack *s, ptcp_sock *k, int how)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_SHUTDOWN;
	in.shutdown.how = how;
	return app_call(s, k, &in);
}

int ptcp_sock_close(ptcp_stack *s, ptcp_sock *k)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_CLOSE;
	return app_call(s, k, &in);
}

int ptcp_sock_abort(ptcp_stack *s, ptcp_sock *k)
{
	ptcp_input in;
	memset(&in, 0, sizeof in);
	in.kind = PTCP_IN_ABORT;
	return app_call(s, k, &in);
}

/* ---- event loop ---------------------------------------------------------- */
static void fire_timers(ptcp_stack *s)
{
	for (size_t i = 0; i < s->nsocks; i++) {
		ptcp_sock *k = &s->socks[i];
		ptcp_input in;
		if (!k->used || k->deadline > s->now)
			continue;
		memset(&in, 0, sizeof in);
		in.kind = PTCP_IN_TIME;
		step(s, k, &in);
	}
}

/* Deliver pending application events (an app call may raise more). */
static void deliver(ptcp_stack *s)
{
	for (int round = 0; round < 16; round++) {
		int any = 0;
		for (size_t i = 0; i < s->nsocks; i++) {
			ptcp_sock *k = &s->socks[i];
			unsigned ev;
			if (!k->used || !k->pending)
				continue;
			ev = k->pending;
			k->pending = 0;
			any = 1;
			if (!k->accepted) {
				/* a listener's child: the app sees it from CONNECTED on */
				if (ev & PTCP_SOCK_CLOSED) {
					sock_free(k);
					continue;
				}
				if (!(ev & PTCP_SOCK_CONNECTED))
					continue;
				k->accepted = 1;
			}
			if (k->cb)
				k->cb(s, k, ev);
			if (ev & PTCP_SOCK_CLOSED)
				sock_free(k);
		}
		if (!any)
			break;
	}
}

static ptcp_time_t next_deadline(const ptcp_stack *s)
{
	ptcp_time_t t = PTCP_TIME_NEVER;
	for (size_t i = 0; i < s->nsocks; i++)
		if (s->socks[i].used && s->socks[i].deadline < t)
			t = s->socks[i].deadline;
	return t;
}

int ptcp_stack_poll(ptcp_stack *s, ptcp_time_t max_wait, int extra_fd)
{
	struct pollfd p[2];
	struct timespec ts, *tsp = NULL;
	ptcp_time_t now = ptcp_stack_now(), next = next_deadline(s), wait;
	int n, total = 0, ret = 0;
	nfds_t np = 1;
	deliver(s);
	if (s->link->flush)
		s->link->flush(s->link);
	wait = next == PTCP_TIME_NEVER ? PTCP_TIME_NEVER : next <= now ? 0 : next - now;
	if (max_wait < wait)
		wait = max_wait;
	if (wait != PTCP_TIME_NEVER) {
		ts.tv_sec = (time_t)(wait / 1000000u);
		ts.tv_nsec = (long)(wait % 1000000u) * 1000;
		tsp = &ts;
	}
	p[0].fd = s->link->fd;
	p[0].events = POLLIN;
	p[0].revents = 0;
	if (extra_fd >= 0) {
		p[1].fd = extra_fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		np = 2;
	}
	n = ppoll(p, np, tsp, NULL);
	if (n < 0 && errno != EINTR)
		return -errno;
	if (n > 0 && np == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
		ret = 1;
	/* Drain the link in batches; the app consumes between them. */
	do {
		s->now = ptcp_stack_now();
		n = s->link->recv(s->link, s, DRAIN_BATCH);
		if (n < 0)
			return n;
		total += n;
		deliver(s);
		if (s->link->flush)
			s->link->flush(s->link);
	} while (n == DRAIN_BATCH && total < DRAIN_MAX);
	s->now = ptcp_stack_now();
	fire_timers(s);
	deliver(s);
	if (s->link->flush)
		s->link->flush(s->link);
	return ret;
}
