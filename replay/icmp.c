/*
 * ptcp-replay: ICMP errors as packets.  A script's icmp event reaches the
 * core as a PTCP_IN_ICMP input, without bytes; the pcap shows it as the
 * ICMP (v4) or ICMPv6 error it stands for, from the peer's address to the
 * core's, quoting the IP header and the first 8 TCP bytes (ports, sequence
 * number) of a segment the core sent, with correct checksums.  --import
 * turns such a packet back into the icmp event.
 *
 *   kind              ICMPv4 type/code         ICMPv6 type/code
 *   net-unreach       3/0                      1/0
 *   host-unreach      3/1                      1/3
 *   proto-unreach     3/2                      4/1 (pointer 6)
 *   port-unreach      3/3                      1/4
 *   admin-prohibited  3/13                     1/1
 *   frag-needed       3/4 (MTU in bytes 6-7)   2/0 (packet too big, MTU)
 *   time-exceeded     11/0                     3/0
 */
#include <string.h>

#include "replay.h"

static const uint8_t v4map[PTCP_ICMP_KIND_COUNT][2] = {{0, 0}, {3, 0},  {3, 1}, {3, 2},
                                                       {3, 3}, {3, 13}, {3, 4}, {11, 0}};
static const uint8_t v6map[PTCP_ICMP_KIND_COUNT][2] = {{0, 0}, {1, 0}, {1, 3}, {4, 1},
                                                       {1, 4}, {1, 1}, {2, 0}, {3, 0}};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ip4(uint8_t *h, uint16_t total, uint8_t proto, const ptcp_addr *src,
                const ptcp_addr *dst, int df)
{
	memset(h, 0, 20);
	h[0] = 0x45;
	put16(h + 2, total);
	if (df)
		h[6] = 0x40;
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src->bytes, 4);
	memcpy(h + 16, dst->bytes, 4);
	put16(h + 10, ptcp_csum_fold(ptcp_csum_add(0, h, 20)));
}

static void ip6(uint8_t *h, uint16_t plen, uint8_t next, const ptcp_addr *src, const ptcp_addr *dst)
{
	memset(h, 0, 40);
	h[0] = 0x60;
	put16(h + 4, plen);
	h[6] = next;
	h[7] = 64;
	memcpy(h + 8, src->bytes, 16);
	memcpy(h + 24, dst->bytes, 16);
}

int ptcp_replay_icmp_build(uint8_t *out, size_t cap, const ptcp_addr *core, uint16_t core_port,
                           const ptcp_addr *peer, uint16_t peer_port, unsigned kind, uint32_t mtu,
                           uint32_t seq)
{
	uint8_t *m;
	if (kind == 0 || kind >= PTCP_ICMP_KIND_COUNT)
		return PTCP_EINVAL;
	if (core->family == 6) {
		if (cap < 96)
			return PTCP_ENOBUFS;
		ip6(out, 56, 58, peer, core);
		m = out + 40;
		memset(m, 0, 8);
		m[0] = v6map[kind][0];
		m[1] = v6map[kind][1];
		if (kind == PTCP_ICMP_FRAG_NEEDED)
			put32(m + 4, mtu);
		else if (kind == PTCP_ICMP_PROTO_UNREACH)
			put32(m + 4, 6); /* the next-header field */
		ip6(m + 8, 20, 6, core, peer);
		put16(m + 48, core_port);
		put16(m + 50, peer_port);
		put32(m + 52, seq);
		put16(m + 2, ptcp_csum_fold(ptcp_csum_pseudo(peer, core, 58, 56) +
		                            ptcp_csum_add(0, m, 56)));
		return 96;
	}
	if (cap < 56)
		return PTCP_ENOBUFS;
	ip4(out, 56, 1, peer, core, 0);
	m = out + 20;
	memset(m, 0, 8);
	m[0] = v4map[kind][0];
	m[1] = v4map[kind][1];
	if (kind == PTCP_ICMP_FRAG_NEEDED)
		put16(m + 6, (uint16_t)(mtu > 65535 ? 65535 : mtu));
	ip4(m + 8, 40, 6, core, peer, 1);
	put16(m + 28, core_port);
	put16(m + 30, peer_port);
	put32(m + 32, seq);
	put16(m + 2, ptcp_csum_fold(ptcp_csum_add(0, m, 36)));
	return 56;
}

int ptcp_replay_icmp_parse(const uint8_t *pkt, size_t len, ptcp_replay_icmp *o)
{
	ptcp_ip ip;
	const uint8_t *m, *q;
	size_t mlen, qh;
	int v6;
	memset(o, 0, sizeof *o);
	if (ptcp_wire_parse_ip(pkt, len, &ip, &m, &mlen) != PTCP_ENOTTCP)
		return -1;
	v6 = ip.src.family == 6;
	if ((v6 && ip.proto != 58) || (!v6 && ip.proto != 1) || mlen < 8)
		return -1;
	for (unsigned k = 1; k < PTCP_ICMP_KIND_COUNT; k++) {
		const uint8_t *tc = v6 ? v6map[k] : v4map[k];
		if (m[0] == tc[0] && m[1] == tc[1])
			o->kind = k;
	}
	if (!o->kind)
		return -1;
	if (o->kind == PTCP_ICMP_FRAG_NEEDED)
		o->mtu = v6 ? get32(m + 4) : (uint32_t)(m[6] << 8 | m[7]);
	q = m + 8;
	mlen -= 8;
	if (v6) {
		if (mlen < 48 || (q[0] >> 4) != 6 || q[6] != 6)
			return -1;
		qh = 40;
		o->src.family = o->dst.family = 6;
		memcpy(o->src.bytes, q + 8, 16);
		memcpy(o->dst.bytes, q + 24, 16);
	} else {
		if (mlen < 28 || (q[0] >> 4) != 4 || (q[0] & 15) < 5 || q[9] != 6)
			return -1;
		qh = (size_t)(q[0] & 15) * 4;
		if (mlen < qh + 8)
			return -1;
		o->src.family = o->dst.family = 4;
		memcpy(o->src.bytes, q + 12, 4);
		memcpy(o->dst.bytes, q + 16, 4);
	}
	o->from = ip.src;
	o->to = ip.dst;
	o->sport = (uint16_t)(q[qh] << 8 | q[qh + 1]);
	o->dport = (uint16_t)(q[qh + 2] << 8 | q[qh + 3]);
	o->seq = get32(q + qh + 4);
	return 0;
}

const char *ptcp_replay_icmp_name(unsigned kind)
{
	static const char *const n[PTCP_ICMP_KIND_COUNT] = {"?",
	                                                    "net-unreach",
	                                                    "host-unreach",
	                                                    "proto-unreach",
	                                                    "port-unreach",
	                                                    "admin-prohibited",
	                                                    "frag-needed",
	                                                    "time-exceeded"};
	return kind < PTCP_ICMP_KIND_COUNT ? n[kind] : "?";
}
