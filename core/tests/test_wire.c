/*
 * Criterion suite for the wire codec (core/src/wire.c, ptcp/wire.h).
 *
 * Known vectors are checked against byte strings assembled by hand (their
 * checksums were computed independently), every malformation class has its
 * own test with its exact code, and two randomized tests (fixed seeds) run
 * the round trip parse(build(parse(x))) == parse(x) and feed random and
 * mutated packets to the parser.  Loops check with plain ifs and report
 * through cr_assert_fail so that passing iterations stay cheap.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ptcp/ptcp.h"

/* ---- Helpers ------------------------------------------------------------ */

/* Reference checksum: plain big-endian 16-bit words, odd byte padded. */
static uint32_t ref_sum(uint32_t s0, const uint8_t *p, size_t n)
{
	uint64_t s = s0;
	size_t i;
	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~ref_sum(0, p, n);
}

/* Reference pseudo-header sum (RFC 9293 3.1 / RFC 8200 8.1) built as bytes. */
static uint32_t ref_pseudo(const ptcp_addr *s, const ptcp_addr *d, uint32_t len)
{
	uint8_t b[40];
	size_t n;
	memset(b, 0, sizeof b);
	if (s->family == 6) {
		memcpy(b, s->bytes, 16);
		memcpy(b + 16, d->bytes, 16);
		b[32] = (uint8_t)(len >> 24);
		b[33] = (uint8_t)(len >> 16);
		b[34] = (uint8_t)(len >> 8);
		b[35] = (uint8_t)len;
		b[39] = 6;
		n = 40;
	} else {
		memcpy(b, s->bytes, 4);
		memcpy(b + 4, d->bytes, 4);
		b[9] = 6;
		b[10] = (uint8_t)(len >> 8);
		b[11] = (uint8_t)len;
		n = 12;
	}
	return ref_sum(0, b, n);
}

static void addr6(ptcp_addr *a, uint8_t last)
{
	static const uint8_t pfx[16] = {0x20, 0x01, 0x0d, 0xb8};
	memset(a, 0, sizeof *a);
	a->family = 6;
	memcpy(a->bytes, pfx, 16);
	a->bytes[15] = last;
}

typedef struct rng {
	uint64_t s;
} rng;

/* splitmix64 */
static uint64_t rnd(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rndn(rng *r, uint32_t n)
{
	return (uint32_t)(rnd(r) % n);
}

static void rndbytes(rng *r, uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(r);
}

/* First differing field of two option sets, or NULL. */
static const char *opts_diff(const ptcp_tcp_opts *a, const ptcp_tcp_opts *b)
{
	size_t i;
	if (a->present != b->present)
		return "present";
	if (a->mss != b->mss)
		return "mss";
	if (a->wscale != b->wscale)
		return "wscale";
	if (a->sack_count != b->sack_count)
		return "sack_count";
	for (i = 0; i < a->sack_count; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return "sack";
	if (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)
		return "ts";
	if (a->tfo_len != b->tfo_len || memcmp(a->tfo_cookie, b->tfo_cookie, a->tfo_len))
		return "tfo";
	if (a->nitems != b->nitems)
		return "nitems";
	for (i = 0; i < a->nitems; i++)
		if (a->items[i].kind != b->items[i].kind || a->items[i].off != b->items[i].off ||
		    a->items[i].len != b->items[i].len)
			return "items";
	if (a->unknown_len != b->unknown_len || memcmp(a->unknown, b->unknown, a->unknown_len))
		return "unknown";
	if (a->pad_len != b->pad_len || memcmp(a->pad, b->pad, a->pad_len))
		return "pad";
	return NULL;
}

static const char *seg_diff(const ptcp_seg *a, const ptcp_seg *b)
{
	if (a->sport != b->sport || a->dport != b->dport)
		return "ports";
	if (a->seq != b->seq || a->ack != b->ack)
		return "seq/ack";
	if (a->flags != b->flags || a->reserved != b->reserved)
		return "flags";
	if (a->wnd != b->wnd || a->urp != b->urp)
		return "wnd/urp";
	if (a->csum != b->csum)
		return "csum";
	if (a->payload_len != b->payload_len ||
	    (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)))
		return "payload";
	if (a->payload2_len != b->payload2_len)
		return "payload2";
	return opts_diff(&a->opts, &b->opts);
}

static const char *ip_diff(const ptcp_ip *a, const ptcp_ip *b)
{
	if (!ptcp_addr_eq(&a->src, &b->src) || !ptcp_addr_eq(&a->dst, &b->dst))
		return "addr";
	if (a->ttl != b->ttl || a->tos != b->tos || a->id != b->id || a->df != b->df ||
	    a->flowlabel != b->flowlabel || a->proto != b->proto)
		return "ip fields";
	return NULL;
}

/* A bare TCP header (doff from optlen) with opts appended, no checksum. */
static size_t mk_tcp(uint8_t *b, const uint8_t *opts, size_t optlen, uint8_t doff)
{
	memset(b, 0, 20);
	b[0] = 0x12;
	b[1] = 0x34;
	b[2] = 0x00;
	b[3] = 0x50;
	b[12] = (uint8_t)(doff << 4);
	b[13] = PTCP_ACK;
	b[14] = 0xff;
	b[15] = 0xff;
	if (optlen)
		memcpy(b + 20, opts, optlen);
	return 20 + optlen;
}

/* Parse options placed in a TCP header (checksum not verified). */
static int parse_opts_in_tcp(const uint8_t *opts, size_t optlen, ptcp_seg *seg)
{
	uint8_t b[64];
	size_t n = mk_tcp(b, opts, optlen, (uint8_t)(5 + optlen / 4));
	return ptcp_wire_parse_tcp(b, n, NULL, NULL, 0, seg);
}

/* Build seg's options and return their bytes (header stripped). */
static int build_opts(const ptcp_seg *seg, uint8_t *opts)
{
	uint8_t b[128];
	int n = ptcp_wire_build_tcp(b, sizeof b, seg, NULL, NULL);
	if (n < 0)
		return n;
	memcpy(opts, b + 20, (size_t)n - 20);
	return n - 20;
}

/* Fix the IPv4 header checksum and the TCP checksum of a packet in place. */
static void fix_sums(uint8_t *pkt, size_t len)
{
	ptcp_ip ip;
	const uint8_t *l4;
	size_t l4len, ihl;
	if (len >= 20 && (pkt[0] >> 4) == 4) {
		ihl = (size_t)(pkt[0] & 15) * 4;
		if (ihl >= 20 && ihl <= len) {
			pkt[10] = pkt[11] = 0;
			uint16_t c = ref_csum(pkt, ihl);
			pkt[10] = (uint8_t)(c >> 8);
			pkt[11] = (uint8_t)c;
		}
	}
	if (ptcp_wire_parse_ip(pkt, len, &ip, &l4, &l4len) == 0 && l4len >= 18) {
		uint8_t *t = pkt + (l4 - pkt);
		t[16] = t[17] = 0;
		uint32_t s = ref_sum(ref_pseudo(&ip.src, &ip.dst, (uint32_t)l4len), t, l4len);
		t[16] = (uint8_t)(~s >> 8);
		t[17] = (uint8_t)~s;
	}
}

/* ---- Vectors: a Linux SYN as captured, IPv4 and IPv6 -------------------- */

/* 192.168.1.2:50386 -> 93.184.216.34:80, SYN, win 64240, MSS 1460,
 * SACK-permitted, TS val 0x0a1b2c3d ecr 0, NOP, WS 7 (Linux layout). */
static const uint8_t syn4[] = {
    0x45, 0x00, 0x00, 0x3c, 0x8a, 0x3f, 0x40, 0x00, 0x40, 0x06, 0xb8, 0xf7, 0xc0, 0xa8, 0x01,
    0x02, 0x5d, 0xb8, 0xd8, 0x22, 0xc4, 0xd2, 0x00, 0x50, 0x5e, 0xed, 0x12, 0x34, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xe8, 0xed, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
    0x02, 0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* [2001:db8::1]:40000 -> [2001:db8::2]:443, flow label 0xbcdef, hop limit 64,
 * SYN, win 64800, MSS 1440, SACK-permitted, TS 0x01020304/0, NOP, WS 7. */
static const uint8_t syn6[] = {
    0x60, 0x0b, 0xcd, 0xef, 0x00, 0x28, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x01, 0xbb, 0xde, 0xad, 0xbe, 0xef,
    0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfd, 0x20, 0xaf, 0xdf, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0,
    0x04, 0x02, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* ---- Checksum ----------------------------------------------------------- */

Test(csum, rfc1071_example)
{
	/* RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2. */
	static const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	cr_assert_eq(ptcp_csum_add(0, d, sizeof d), 0xddf2);
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, d, sizeof d)), 0x220d);
	/* Chained in even pieces. */
	cr_assert_eq(ptcp_csum_add(ptcp_csum_add(0, d, 2), d + 2, 6), 0xddf2);
	cr_assert_eq(ptcp_csum_add(ptcp_csum_add(0, d, 4), d + 4, 4), 0xddf2);
	/* Sums may be added together and folded. */
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, d, 4) + ptcp_csum_add(0, d + 4, 4)), 0x220d);
}

Test(csum, ipv4_header_vector)
{
	/* A classic IPv4 header whose checksum is b861. */
	uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	               0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, h, sizeof h)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	cr_assert_eq(ptcp_csum_fold(ptcp_csum_add(0, h, sizeof h)), 0);
}

Test(csum, odd_lengths_and_edge_values)
{
	static const uint8_t one[] = {0xab};
	static const uint8_t three[] = {0x12, 0x34, 0x56};
	uint8_t ff[64];
	cr_assert_eq(ptcp_csum_add(0, one, 1), 0xab00);
	cr_assert_eq(ptcp_csum_add(0, three, 3), 0x1234 + 0x5600);
	cr_assert_eq(ptcp_csum_add(0, three, 0), 0);
	cr_assert_eq(ptcp_csum_add(0x1234, NULL, 0), 0x1234);
	memset(ff, 0xff, sizeof ff);
	cr_assert_eq(ptcp_csum_add(0, ff, sizeof ff), 0xffff);
	cr_assert_eq(ptcp_csum_fold(0), 0xffff);
	cr_assert_eq(ptcp_csum_fold(0xffff), 0);
	cr_assert_eq(ptcp_csum_fold(0xffffffffu), 0); /* folds to ffff */
	cr_assert_eq(ptcp_csum_fold(0x0001fffeu), 0); /* 1 + fffe = ffff */
	/* A large incoming sum is folded, not overflowed. */
	cr_assert_eq(ptcp_csum_add(0xffffffffu, one, 1), ref_sum(0xffff, one, 1));
}

Test(csum, matches_reference_all_lengths_and_alignments)
{
	static uint8_t buf[4096 + 16];
	rng r = {42};
	size_t off, len;
	rndbytes(&r, buf, sizeof buf);
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++) {
			uint32_t got = ptcp_csum_add(0, buf + off, len);
			if (got != ref_sum(0, buf + off, len))
				cr_assert_fail("off %zu len %zu: %x != %x", off, len, got,
				               ref_sum(0, buf + off, len));
		}
	cr_assert_eq(ptcp_csum_add(0, buf + 3, 4096), ref_sum(0, buf + 3, 4096));
}

Test(csum, chaining_even_pieces)
{
	static uint8_t buf[1000];
	rng r = {7};
	int i;
	rndbytes(&r, buf, sizeof buf);
	for (i = 0; i < 10000; i++) {
		size_t len = rndn(&r, 1000), cut = rndn(&r, (uint32_t)len + 1) & ~(size_t)1;
		uint32_t s = ptcp_csum_add(0, buf, cut);
		s = ptcp_csum_add(s, buf + cut, len - cut);
		if (ptcp_csum_fold(s) != ref_csum(buf, len))
			cr_assert_fail("len %zu cut %zu", len, cut);
	}
}

Test(csum, large_buffer)
{
	static uint8_t big[1 << 20];
	rng r = {99};
	rndbytes(&r, big, sizeof big);
	cr_assert_eq(ptcp_csum_add(0, big, sizeof big), ref_sum(0, big, sizeof big));
	memset(big, 0xff, sizeof big);
	cr_assert_eq(ptcp_csum_add(0, big, sizeof big), 0xffff);
	cr_assert_eq(ptcp_csum_add(0, big, sizeof big - 1), ref_sum(0, big, sizeof big - 1));
}

Test(csum, pseudo_header)
{
	ptcp_addr a, b, c, d;
	ptcp_addr_v4(&a, 192, 168, 1, 2);
	ptcp_addr_v4(&b, 93, 184, 216, 34);
	cr_assert_eq(ptcp_csum_pseudo(&a, &b, 6, 40), ref_pseudo(&a, &b, 40));
	cr_assert_eq(ptcp_csum_pseudo(&a, &b, 6, 0xffff), ref_pseudo(&a, &b, 0xffff));
	addr6(&c, 1);
	addr6(&d, 2);
	c.bytes[8] = 0xfe;
	cr_assert_eq(ptcp_csum_pseudo(&c, &d, 6, 40), ref_pseudo(&c, &d, 40));
	cr_assert_eq(ptcp_csum_pseudo(&c, &d, 6, 0x12345), ref_pseudo(&c, &d, 0x12345));
	cr_assert_eq(ptcp_csum_pseudo(NULL, &d, 6, 40), 0);
}

Test(addr, helpers)
{
	ptcp_addr a, b, c, z1, z2;
	ptcp_addr_v4(&a, 10, 0, 0, 1);
	ptcp_addr_v4(&b, 10, 0, 0, 1);
	cr_assert_eq(a.family, 4);
	cr_assert_eq(a.bytes[0], 10);
	cr_assert_eq(a.bytes[3], 1);
	cr_assert_eq(a.bytes[4], 0);
	cr_assert(ptcp_addr_eq(&a, &b));
	b.bytes[3] = 2;
	cr_assert_not(ptcp_addr_eq(&a, &b));
	addr6(&c, 1);
	cr_assert_not(ptcp_addr_eq(&a, &c));
	memset(&z1, 0, sizeof z1);
	memset(&z2, 0, sizeof z2);
	cr_assert(ptcp_addr_eq(&z1, &z2));
	cr_assert(ptcp_addr_eq(NULL, NULL));
	cr_assert_not(ptcp_addr_eq(&a, NULL));
}

/* ---- Real SYNs ---------------------------------------------------------- */

Test(parse, linux_syn_ipv4)
{
	ptcp_ip ip;
	ptcp_seg s;
	cr_assert_eq(ptcp_wire_parse_packet(syn4, sizeof syn4, &ip, &s), 0);
	cr_assert_eq(ip.src.family, 4);
	cr_assert_eq(ip.src.bytes[0], 192);
	cr_assert_eq(ip.src.bytes[3], 2);
	cr_assert_eq(ip.dst.bytes[0], 93);
	cr_assert_eq(ip.dst.bytes[3], 34);
	cr_assert_eq(ip.ttl, 64);
	cr_assert_eq(ip.tos, 0);
	cr_assert_eq(ip.id, 0x8a3f);
	cr_assert_eq(ip.df, 1);
	cr_assert_eq(ip.proto, 6);
	cr_assert_eq(ip.flowlabel, 0);
	cr_assert_eq(s.sport, 50386);
	cr_assert_eq(s.dport, 80);
	cr_assert_eq(s.seq, 0x5eed1234u);
	cr_assert_eq(s.ack, 0);
	cr_assert_eq(s.flags, PTCP_SYN);
	cr_assert_eq(s.reserved, 0);
	cr_assert_eq(s.wnd, 64240);
	cr_assert_eq(s.csum, 0xe8ed);
	cr_assert_eq(s.urp, 0);
	cr_assert_eq(s.payload_len, 0);
	cr_assert_eq(s.payload2_len, 0);
	cr_assert_eq(s.opts.present,
	             PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE);
	cr_assert_eq(s.opts.mss, 1460);
	cr_assert_eq(s.opts.ts_val, 0x0a1b2c3du);
	cr_assert_eq(s.opts.ts_ecr, 0);
	cr_assert_eq(s.opts.wscale, 7);
	cr_assert_eq(s.opts.nitems, 5);
	cr_assert_eq(s.opts.items[0].kind, PTCP_OPTKIND_MSS);
	cr_assert_eq(s.opts.items[1].kind, PTCP_OPTKIND_SACK_PERM);
	cr_assert_eq(s.opts.items[2].kind, PTCP_OPTKIND_TS);
	cr_assert_eq(s.opts.items[3].kind, PTCP_OPTKIND_NOP);
	cr_assert_eq(s.opts.items[4].kind, PTCP_OPTKIND_WSCALE);
	cr_assert_eq(s.opts.unknown_len, 0);
	cr_assert_eq(s.opts.pad_len, 0);
	cr_assert_eq(ptcp_seg_seqlen(&s), 1);
}

Test(parse, linux_syn_ipv6)
{
	ptcp_ip ip;
	ptcp_seg s;
	ptcp_addr a1, a2;
	addr6(&a1, 1);
	addr6(&a2, 2);
	cr_assert_eq(ptcp_wire_parse_packet(syn6, sizeof syn6, &ip, &s), 0);
	cr_assert(ptcp_addr_eq(&ip.src, &a1));
	cr_assert(ptcp_addr_eq(&ip.dst, &a2));
	cr_assert_eq(ip.ttl, 64);
	cr_assert_eq(ip.tos, 0);
	cr_assert_eq(ip.flowlabel, 0xbcdef);
	cr_assert_eq(ip.proto, 6);
	cr_assert_eq(ip.id, 0);
	cr_assert_eq(ip.df, 0);
	cr_assert_eq(s.sport, 40000);
	cr_assert_eq(s.dport, 443);
	cr_assert_eq(s.seq, 0xdeadbeefu);
	cr_assert_eq(s.flags, PTCP_SYN);
	cr_assert_eq(s.wnd, 64800);
	cr_assert_eq(s.csum, 0xafdf);
	cr_assert_eq(s.opts.mss, 1440);
	cr_assert_eq(s.opts.ts_val, 0x01020304u);
	cr_assert_eq(s.opts.wscale, 7);
	cr_assert_eq(s.opts.present,
	             PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE);
	cr_assert_eq(s.payload_len, 0);
}

Test(build, reproduces_linux_syn_ipv4_and_ipv6)
{
	ptcp_ip ip;
	ptcp_seg s;
	uint8_t out[128];
	/* From the parse (item layout). */
	cr_assert_eq(ptcp_wire_parse_packet(syn4, sizeof syn4, &ip, &s), 0);
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), (int)sizeof syn4);
	cr_assert_arr_eq(out, syn4, sizeof syn4);
	/* The same from the bare fields (Linux layout with nitems == 0). */
	s.opts.nitems = 0;
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), (int)sizeof syn4);
	cr_assert_arr_eq(out, syn4, sizeof syn4);
	cr_assert_eq(ptcp_wire_parse_packet(syn6, sizeof syn6, &ip, &s), 0);
	s.opts.nitems = 0;
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), (int)sizeof syn6);
	cr_assert_arr_eq(out, syn6, sizeof syn6);
}

Test(parse, trailing_ethernet_padding_ignored)
{
	uint8_t p[sizeof syn4 + 6];
	ptcp_ip ip;
	ptcp_seg s;
	memcpy(p, syn4, sizeof syn4);
	memset(p + sizeof syn4, 0xee, 6);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), 0);
	cr_assert_eq(s.payload_len, 0);
	cr_assert_eq(s.opts.mss, 1460);
}

Test(parse, ipv4_options_skipped_by_ihl)
{
	/* The SYN with 8 bytes of IPv4 options (NOP x3, EOL ...): IHL 7. */
	uint8_t p[sizeof syn4 + 8];
	ptcp_ip ip;
	ptcp_seg s;
	const uint8_t *l4;
	size_t l4len;
	memcpy(p, syn4, 20);
	memset(p + 20, 0, 8);
	p[20] = p[21] = p[22] = 1;
	memcpy(p + 28, syn4 + 20, sizeof syn4 - 20);
	p[0] = 0x47;
	p[3] = (uint8_t)sizeof p;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_ip(p, sizeof p, &ip, &l4, &l4len), 0);
	cr_assert_eq(l4, p + 28);
	cr_assert_eq(l4len, sizeof syn4 - 20);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), 0);
	cr_assert_eq(s.sport, 50386);
	cr_assert_eq(s.opts.wscale, 7);
}

Test(parse, payload_points_into_buffer)
{
	ptcp_seg s, in;
	ptcp_ip ip, back;
	uint8_t out[256];
	static const uint8_t data[] = "hello, world";
	memset(&in, 0, sizeof in);
	memset(&ip, 0, sizeof ip);
	ptcp_addr_v4(&ip.src, 10, 0, 0, 1);
	ptcp_addr_v4(&ip.dst, 10, 0, 0, 2);
	ip.ttl = 64;
	in.sport = 1;
	in.dport = 2;
	in.flags = PTCP_ACK | PTCP_PSH;
	in.payload = data;
	in.payload_len = 12;
	int n = ptcp_wire_build_packet(out, sizeof out, &ip, &in);
	cr_assert_eq(n, 20 + 20 + 12);
	cr_assert_eq(ptcp_wire_parse_packet(out, (size_t)n, &back, &s), 0);
	cr_assert_eq(s.payload, out + 40);
	cr_assert_eq(s.payload_len, 12);
	cr_assert_arr_eq(s.payload, data, 12);
	cr_assert_eq(s.payload2, NULL);
}

/* ---- Malformed TCP: one test per class ---------------------------------- */

Test(malformed, tcp_short_header)
{
	uint8_t b[64];
	ptcp_seg s;
	mk_tcp(b, NULL, 0, 5);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 19, NULL, NULL, 0, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 0, NULL, NULL, 0, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 20, NULL, NULL, 0, &s), 0);
}

Test(malformed, tcp_shorter_than_data_offset)
{
	uint8_t b[64];
	ptcp_seg s;
	mk_tcp(b, NULL, 0, 6);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 20, NULL, NULL, 0, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 23, NULL, NULL, 0, &s), PTCP_ESHORT);
	b[20] = b[21] = b[22] = b[23] = 1;
	cr_assert_eq(ptcp_wire_parse_tcp(b, 24, NULL, NULL, 0, &s), 0);
	mk_tcp(b, NULL, 0, 15);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 59, NULL, NULL, 0, &s), PTCP_ESHORT);
}

Test(malformed, tcp_bad_data_offset)
{
	uint8_t b[64];
	ptcp_seg s;
	uint8_t d;
	for (d = 0; d < 5; d++) {
		mk_tcp(b, NULL, 0, d);
		cr_assert_eq(ptcp_wire_parse_tcp(b, 40, NULL, NULL, 0, &s), PTCP_EBADOFF, "doff %u",
		             d);
	}
}

Test(malformed, opt_length_byte_missing)
{
	/* MSS kind as the last option byte: no room for its length. */
	static const uint8_t o[] = {1, 1, 1, 2};
	ptcp_seg s;
	ptcp_tcp_opts opts;
	cr_assert_eq(parse_opts_in_tcp(o, 4, &s), PTCP_EOPTLEN);
	cr_assert_eq(ptcp_wire_parse_opts(o, 4, &opts), PTCP_EOPTLEN);
	/* The same for an unknown kind. */
	static const uint8_t u[] = {1, 1, 1, 99};
	cr_assert_eq(ptcp_wire_parse_opts(u, 4, &opts), PTCP_EOPTLEN);
}

Test(malformed, opt_length_zero)
{
	static const uint8_t o[] = {2, 0, 5, 0xb4};
	static const uint8_t u[] = {99, 0, 1, 1};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(o, 4, &s), PTCP_EOPTLEN);
	cr_assert_eq(parse_opts_in_tcp(u, 4, &s), PTCP_EOPTLEN);
}

Test(malformed, opt_length_one)
{
	static const uint8_t o[] = {8, 1, 1, 1};
	static const uint8_t u[] = {99, 1, 1, 1};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(o, 4, &s), PTCP_EOPTLEN);
	cr_assert_eq(parse_opts_in_tcp(u, 4, &s), PTCP_EOPTLEN);
}

Test(malformed, opt_length_past_area)
{
	static const uint8_t o[] = {1, 8, 10, 0, 0, 0, 0, 0};             /* TS needs 10 */
	static const uint8_t u[] = {99, 9, 0, 0, 0, 0, 0, 0};             /* 9 > 8 */
	static const uint8_t v[] = {1, 1, 1, 1, 1, 1, 1, 1, 99, 5, 0, 0}; /* 5 > 4 left */
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(o, 8, &s), PTCP_EOPTLEN);
	cr_assert_eq(parse_opts_in_tcp(u, 8, &s), PTCP_EOPTLEN);
	cr_assert_eq(parse_opts_in_tcp(v, 12, &s), PTCP_EOPTLEN);
}

Test(malformed, opt_size_mss)
{
	static const uint8_t a[] = {2, 3, 5, 1};
	static const uint8_t b[] = {2, 5, 5, 0xb4, 0, 1, 1, 1};
	static const uint8_t c[] = {2, 2, 1, 1};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(a, 4, &s), PTCP_EOPTSIZE);
	cr_assert_eq(parse_opts_in_tcp(b, 8, &s), PTCP_EOPTSIZE);
	cr_assert_eq(parse_opts_in_tcp(c, 4, &s), PTCP_EOPTSIZE);
}

Test(malformed, opt_size_wscale)
{
	static const uint8_t a[] = {3, 2, 1, 1};
	static const uint8_t b[] = {3, 4, 7, 0};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(a, 4, &s), PTCP_EOPTSIZE);
	cr_assert_eq(parse_opts_in_tcp(b, 4, &s), PTCP_EOPTSIZE);
}

Test(malformed, opt_size_sack_perm)
{
	static const uint8_t a[] = {4, 3, 0, 1};
	static const uint8_t b[] = {4, 4, 0, 0};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(a, 4, &s), PTCP_EOPTSIZE);
	cr_assert_eq(parse_opts_in_tcp(b, 4, &s), PTCP_EOPTSIZE);
}

Test(malformed, opt_size_timestamps)
{
	static const uint8_t a[] = {8, 8, 0, 0, 0, 1, 0, 0};
	static const uint8_t b[] = {8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(a, 8, &s), PTCP_EOPTSIZE);
	cr_assert_eq(parse_opts_in_tcp(b, 12, &s), PTCP_EOPTSIZE);
}

Test(malformed, opt_size_sack)
{
	uint8_t o[40];
	ptcp_seg s;
	ptcp_tcp_opts opts;
	size_t l;
	/* Lengths 2..40 that are not 2 + 8n with 1 <= n <= 4. */
	for (l = 2; l <= 40; l++) {
		memset(o, 0, sizeof o);
		o[0] = 5;
		o[1] = (uint8_t)l;
		int rc = ptcp_wire_parse_opts(o, 40, &opts);
		int ok = (l - 2) % 8 == 0 && l >= 10 && l <= 34;
		cr_assert_eq(rc, ok ? 0 : PTCP_EOPTSIZE, "len %zu rc %d", l, rc);
	}
	/* Inside a header too. */
	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	o[3] = 6;
	cr_assert_eq(parse_opts_in_tcp(o, 8, &s), PTCP_EOPTSIZE);
}

Test(malformed, opt_size_tfo)
{
	uint8_t o[40];
	ptcp_tcp_opts opts;
	size_t l;
	/* RFC 7413 4.1.1: 2 (request) or 6..18 and even. */
	for (l = 2; l <= 40; l++) {
		memset(o, 0, sizeof o);
		o[0] = 34;
		o[1] = (uint8_t)l;
		int ok = l == 2 || (l >= 6 && l <= 18 && l % 2 == 0);
		cr_assert_eq(ptcp_wire_parse_opts(o, 40, &opts), ok ? 0 : PTCP_EOPTSIZE, "len %zu",
		             l);
	}
	/* The experimental encoding: 4 (request) or 8..20 and even. */
	for (l = 4; l <= 40; l++) {
		memset(o, 0, sizeof o);
		o[0] = 254;
		o[1] = (uint8_t)l;
		o[2] = 0xf9;
		o[3] = 0x89;
		int ok = l == 4 || (l >= 8 && l <= 20 && l % 2 == 0);
		cr_assert_eq(ptcp_wire_parse_opts(o, 40, &opts), ok ? 0 : PTCP_EOPTSIZE, "len %zu",
		             l);
	}
}

Test(malformed, opt_duplicate)
{
	static const uint8_t mss2[] = {2, 4, 5, 0xb4, 2, 4, 5, 0xb4};
	static const uint8_t ws2[] = {1, 3, 3, 7, 1, 3, 3, 7};
	static const uint8_t sp2[] = {4, 2, 4, 2};
	static const uint8_t ts2[] = {8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
	static const uint8_t sack2[] = {5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
	                                5, 10, 0, 0, 0, 3, 0, 0, 0, 4};
	static const uint8_t tfo2[] = {34, 2, 254, 4, 0xf9, 0x89, 1, 1};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(mss2, sizeof mss2, &s), PTCP_EOPTDUP);
	cr_assert_eq(parse_opts_in_tcp(ws2, sizeof ws2, &s), PTCP_EOPTDUP);
	cr_assert_eq(parse_opts_in_tcp(sp2, sizeof sp2, &s), PTCP_EOPTDUP);
	cr_assert_eq(parse_opts_in_tcp(ts2, sizeof ts2, &s), PTCP_EOPTDUP);
	cr_assert_eq(parse_opts_in_tcp(sack2, sizeof sack2, &s), PTCP_EOPTDUP);
	cr_assert_eq(parse_opts_in_tcp(tfo2, sizeof tfo2, &s), PTCP_EOPTDUP);
}

Test(malformed, unknown_twice_and_nops_are_fine)
{
	static const uint8_t o[] = {99, 2, 99, 2, 1, 1, 1, 1};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.nitems, 6);
	cr_assert_eq(s.opts.unknown_len, 4);
}

Test(malformed, bad_checksum)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	const uint8_t *l4;
	size_t l4len;
	memcpy(p, syn4, sizeof p);
	p[sizeof p - 1] ^= 0x01; /* WS 7 -> 6 */
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_ECSUM);
	/* Not verified: parses, with the changed value. */
	cr_assert_eq(ptcp_wire_parse_ip(p, sizeof p, &ip, &l4, &l4len), 0);
	cr_assert_eq(ptcp_wire_parse_tcp(l4, l4len, &ip.src, &ip.dst, 0, &s), 0);
	cr_assert_eq(s.opts.wscale, 6);
	/* A wrong pseudo-header (other destination) fails too. */
	memcpy(p, syn4, sizeof p);
	cr_assert_eq(ptcp_wire_parse_ip(p, sizeof p, &ip, &l4, &l4len), 0);
	ip.dst.bytes[3]++;
	cr_assert_eq(ptcp_wire_parse_tcp(l4, l4len, &ip.src, &ip.dst, 1, &s), PTCP_ECSUM);
	/* IPv6 too. */
	uint8_t q[sizeof syn6];
	memcpy(q, syn6, sizeof q);
	q[60] ^= 0x80;
	cr_assert_eq(ptcp_wire_parse_packet(q, sizeof q, &ip, &s), PTCP_ECSUM);
}

Test(malformed, null_arguments)
{
	ptcp_seg s;
	ptcp_ip ip;
	ptcp_tcp_opts o;
	const uint8_t *l4;
	size_t l4len;
	uint8_t out[64];
	ptcp_addr a, b;
	ptcp_addr_v4(&a, 1, 2, 3, 4);
	addr6(&b, 1);
	cr_assert_eq(ptcp_wire_parse_tcp(NULL, 20, NULL, NULL, 0, &s), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_tcp(syn4 + 20, 40, NULL, NULL, 0, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_tcp(syn4 + 20, 40, &a, &b, 1, &s), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_opts(NULL, 4, &o), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_opts(out, 4, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_opts(out, 41, &o), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_opts(NULL, 0, &o), 0);
	cr_assert_eq(ptcp_wire_parse_ip(NULL, 20, &ip, &l4, &l4len), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_ip(syn4, 20, NULL, &l4, &l4len), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_packet(syn4, sizeof syn4, NULL, &s), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_parse_packet(syn4, sizeof syn4, &ip, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_opts_len(NULL), PTCP_EINVAL);
	memset(&s, 0, sizeof s);
	cr_assert_eq(ptcp_wire_build_tcp(NULL, 64, &s, NULL, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_build_tcp(out, 64, NULL, NULL, NULL), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_build_tcp(out, 64, &s, &a, &b), PTCP_EINVAL);
	s.payload_len = 3;
	cr_assert_eq(ptcp_wire_build_tcp(out, 64, &s, NULL, NULL), PTCP_EINVAL);
	s.payload_len = 0;
	s.payload2_len = 3;
	cr_assert_eq(ptcp_wire_build_tcp(out, 64, &s, NULL, NULL), PTCP_EINVAL);
	s.payload2_len = 0;
	memset(&ip, 0, sizeof ip);
	cr_assert_eq(ptcp_wire_build_packet(out, 64, &ip, &s), PTCP_EINVAL);
	ip.src = a;
	ip.dst = b;
	cr_assert_eq(ptcp_wire_build_packet(out, 64, &ip, &s), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_build_packet(out, 64, NULL, &s), PTCP_EINVAL);
}

/* ---- Malformed IP: one test per class ----------------------------------- */

Test(malformed_ip, short_packet)
{
	ptcp_ip ip;
	ptcp_seg s;
	cr_assert_eq(ptcp_wire_parse_packet(syn4, 0, &ip, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_packet(syn4, 19, &ip, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_packet(syn6, 39, &ip, &s), PTCP_ESHORT);
	/* IHL 15 (60 bytes) in a 40-byte buffer: the header itself is cut. */
	uint8_t p[40];
	memcpy(p, syn4, sizeof p);
	p[0] = 0x4f;
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_ESHORT);
	/* IP fine, TCP header cut by the IP length. */
	uint8_t q[40];
	memcpy(q, syn4, sizeof q);
	q[3] = 39;
	fix_sums(q, sizeof q);
	cr_assert_eq(ptcp_wire_parse_packet(q, 39, &ip, &s), PTCP_ESHORT);
}

Test(malformed_ip, bad_version)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	static const uint8_t vers[] = {0, 1, 5, 7, 15};
	size_t i;
	for (i = 0; i < sizeof vers; i++) {
		memcpy(p, syn4, sizeof p);
		p[0] = (uint8_t)(vers[i] << 4 | 5);
		cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPVER);
	}
}

Test(malformed_ip, ihl_below_5)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	uint8_t ihl;
	for (ihl = 0; ihl < 5; ihl++) {
		memcpy(p, syn4, sizeof p);
		p[0] = (uint8_t)(0x40 | ihl);
		cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPHDR);
	}
}

Test(malformed_ip, total_length_below_header)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	memcpy(p, syn4, sizeof p);
	p[2] = 0;
	p[3] = 19;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPHDR);
}

Test(malformed_ip, total_length_past_buffer)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	memcpy(p, syn4, sizeof p);
	p[3] = (uint8_t)(sizeof p + 1);
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPHDR);
	/* Truncated capture of a good packet: the same. */
	cr_assert_eq(ptcp_wire_parse_packet(syn4, sizeof syn4 - 1, &ip, &s), PTCP_EIPHDR);
	/* IPv6: payload length past the buffer. */
	cr_assert_eq(ptcp_wire_parse_packet(syn6, sizeof syn6 - 1, &ip, &s), PTCP_EIPHDR);
}

Test(malformed_ip, bad_header_checksum)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	memcpy(p, syn4, sizeof p);
	p[8] = 63; /* TTL changed, checksum not updated */
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPHDR);
	memcpy(p, syn4, sizeof p);
	p[11] ^= 1;
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EIPHDR);
}

Test(malformed_ip, ipv4_fragments)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	/* MF set, offset 0: a first fragment. */
	memcpy(p, syn4, sizeof p);
	p[6] = 0x20;
	p[7] = 0;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EFRAG);
	/* Offset != 0, MF clear: a last fragment. */
	p[6] = 0x00;
	p[7] = 0x10;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EFRAG);
	/* DF alone is fine, and so is clearing it. */
	p[6] = 0x00;
	p[7] = 0x00;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), 0);
	cr_assert_eq(ip.df, 0);
}

Test(malformed_ip, ipv6_fragment_header)
{
	/* syn6 with an 8-byte fragment header (next header 44) before TCP. */
	uint8_t p[sizeof syn6 + 8];
	ptcp_ip ip;
	ptcp_seg s;
	memcpy(p, syn6, 40);
	p[5] = 0x30;
	p[6] = 44;
	memset(p + 40, 0, 8);
	p[40] = 6;
	memcpy(p + 48, syn6 + 40, sizeof syn6 - 40);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_EFRAG);
	/* After a hop-by-hop header too. */
	uint8_t q[sizeof syn6 + 16];
	memcpy(q, syn6, 40);
	q[5] = 0x38;
	q[6] = 0;
	memset(q + 40, 0, 16);
	q[40] = 44;
	q[42] = 1; /* PadN, 4 bytes */
	q[43] = 4;
	q[48] = 6;
	memcpy(q + 56, syn6 + 40, sizeof syn6 - 40);
	cr_assert_eq(ptcp_wire_parse_packet(q, sizeof q, &ip, &s), PTCP_EFRAG);
}

Test(malformed_ip, not_tcp)
{
	uint8_t p[sizeof syn4];
	ptcp_ip ip;
	ptcp_seg s;
	const uint8_t *l4;
	size_t l4len;
	memcpy(p, syn4, sizeof p);
	p[9] = 17;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_packet(p, sizeof p, &ip, &s), PTCP_ENOTTCP);
	/* ip and l4 stay usable (e.g. for ICMP). */
	p[9] = 1;
	fix_sums(p, sizeof p);
	cr_assert_eq(ptcp_wire_parse_ip(p, sizeof p, &ip, &l4, &l4len), PTCP_ENOTTCP);
	cr_assert_eq(ip.proto, 1);
	cr_assert_eq(l4, p + 20);
	cr_assert_eq(l4len, sizeof p - 20);
	uint8_t q[sizeof syn6];
	memcpy(q, syn6, sizeof q);
	q[6] = 58; /* ICMPv6 */
	cr_assert_eq(ptcp_wire_parse_ip(q, sizeof q, &ip, &l4, &l4len), PTCP_ENOTTCP);
	cr_assert_eq(ip.proto, 58);
	cr_assert_eq(l4, q + 40);
	q[6] = 59; /* no next header */
	cr_assert_eq(ptcp_wire_parse_packet(q, sizeof q, &ip, &s), PTCP_ENOTTCP);
}

/* ---- IPv6 extension headers --------------------------------------------- */

/* syn6 with hop-by-hop (8), routing (8) and destination options (16). */
static size_t syn6_with_ext(uint8_t *p)
{
	size_t tcp = sizeof syn6 - 40;
	memcpy(p, syn6, 40);
	p[6] = 0; /* hop-by-hop */
	memset(p + 40, 0, 32);
	p[40] = 43; /* -> routing */
	p[41] = 0;
	p[42] = 1; /* PadN */
	p[43] = 4;
	p[48] = 60; /* -> destination options */
	p[49] = 0;
	p[50] = 0; /* routing type 0 ... */
	p[51] = 0; /* segments left 0 */
	p[56] = 6; /* -> TCP */
	p[57] = 1; /* 16 bytes */
	p[58] = 1;
	p[59] = 12;
	memcpy(p + 72, syn6 + 40, tcp);
	p[4] = (uint8_t)((32 + tcp) >> 8);
	p[5] = (uint8_t)(32 + tcp);
	return 72 + tcp;
}

Test(ipv6, extension_headers_skipped)
{
	uint8_t p[256];
	ptcp_ip ip;
	ptcp_seg s;
	const uint8_t *l4;
	size_t l4len, n = syn6_with_ext(p);
	cr_assert_eq(ptcp_wire_parse_ip(p, n, &ip, &l4, &l4len), 0);
	cr_assert_eq(l4, p + 72);
	cr_assert_eq(l4len, sizeof syn6 - 40);
	cr_assert_eq(ip.proto, 6);
	cr_assert_eq(ip.flowlabel, 0xbcdef);
	cr_assert_eq(ptcp_wire_parse_packet(p, n, &ip, &s), 0);
	cr_assert_eq(s.sport, 40000);
	cr_assert_eq(s.opts.mss, 1440);
	/* Trailing bytes after the payload length are ignored. */
	p[n] = 0xaa;
	cr_assert_eq(ptcp_wire_parse_packet(p, n + 1, &ip, &s), 0);
}

Test(ipv6, extension_header_past_payload)
{
	uint8_t p[256];
	ptcp_ip ip;
	ptcp_seg s;
	size_t n = syn6_with_ext(p);
	/* Destination options claim 16*8 bytes, more than the payload. */
	p[57] = 15;
	cr_assert_eq(ptcp_wire_parse_packet(p, n, &ip, &s), PTCP_EIPHDR);
	/* Payload length ends inside the first extension header. */
	n = syn6_with_ext(p);
	p[4] = 0;
	p[5] = 4;
	cr_assert_eq(ptcp_wire_parse_packet(p, n, &ip, &s), PTCP_EIPHDR);
}

Test(ipv6, hop_by_hop_not_first)
{
	uint8_t p[256];
	ptcp_ip ip;
	ptcp_seg s;
	size_t n = syn6_with_ext(p);
	p[48] = 0; /* routing -> hop-by-hop */
	cr_assert_eq(ptcp_wire_parse_packet(p, n, &ip, &s), PTCP_EIPHDR);
}

Test(ipv6, build_packet_fields)
{
	ptcp_ip ip, back;
	ptcp_seg s, bs;
	uint8_t out[128];
	memset(&ip, 0, sizeof ip);
	memset(&s, 0, sizeof s);
	addr6(&ip.src, 7);
	addr6(&ip.dst, 8);
	ip.tos = 0xb9;
	ip.flowlabel = 0x12345;
	ip.ttl = 3;
	ip.id = 77; /* ignored */
	s.sport = 9;
	s.dport = 10;
	s.flags = PTCP_RST;
	int n = ptcp_wire_build_packet(out, sizeof out, &ip, &s);
	cr_assert_eq(n, 60);
	cr_assert_eq(out[0], 0x6b);
	cr_assert_eq(out[1], 0x91);
	cr_assert_eq(out[2], 0x23);
	cr_assert_eq(out[3], 0x45);
	cr_assert_eq(out[4], 0);
	cr_assert_eq(out[5], 20);
	cr_assert_eq(out[6], 6);
	cr_assert_eq(out[7], 3);
	cr_assert_arr_eq(out + 8, ip.src.bytes, 16);
	cr_assert_arr_eq(out + 24, ip.dst.bytes, 16);
	cr_assert_eq(ptcp_wire_parse_packet(out, (size_t)n, &back, &bs), 0);
	cr_assert_eq(back.tos, 0xb9);
	cr_assert_eq(back.flowlabel, 0x12345);
	cr_assert_eq(back.ttl, 3);
	cr_assert_eq(back.id, 0);
	cr_assert_eq(bs.flags, PTCP_RST);
	cr_assert_eq(ptcp_wire_build_packet(out, 59, &ip, &s), PTCP_ENOBUFS);
	cr_assert_eq(ptcp_wire_build_packet(out, 39, &ip, &s), PTCP_ENOBUFS);
}

Test(ipv4, build_packet_fields)
{
	ptcp_ip ip, back;
	ptcp_seg s, bs;
	uint8_t out[128];
	static const uint8_t data[5] = {1, 2, 3, 4, 5};
	memset(&ip, 0, sizeof ip);
	memset(&s, 0, sizeof s);
	ptcp_addr_v4(&ip.src, 10, 1, 2, 3);
	ptcp_addr_v4(&ip.dst, 172, 16, 0, 9);
	ip.tos = 0x02; /* ECT(0) */
	ip.id = 0xbeef;
	ip.df = 1;
	ip.ttl = 64;
	ip.flowlabel = 0xfffff; /* ignored */
	ip.proto = 0;           /* ignored: 6 is written */
	s.payload = data;
	s.payload_len = 5;
	s.flags = PTCP_ACK;
	int n = ptcp_wire_build_packet(out, sizeof out, &ip, &s);
	cr_assert_eq(n, 45);
	cr_assert_eq(out[0], 0x45);
	cr_assert_eq(out[1], 0x02);
	cr_assert_eq(out[2], 0);
	cr_assert_eq(out[3], 45);
	cr_assert_eq(out[4], 0xbe);
	cr_assert_eq(out[5], 0xef);
	cr_assert_eq(out[6], 0x40);
	cr_assert_eq(out[7], 0);
	cr_assert_eq(out[8], 64);
	cr_assert_eq(out[9], 6);
	cr_assert_eq(ref_csum(out, 20), 0);
	cr_assert_eq(out[12], 10);
	cr_assert_eq(out[19], 9);
	/* TCP checksum against the reference. */
	cr_assert_eq(ref_sum(ref_pseudo(&ip.src, &ip.dst, 25), out + 20, 25), 0xffff);
	cr_assert_eq(ptcp_wire_parse_packet(out, (size_t)n, &back, &bs), 0);
	ip.flowlabel = 0;
	ip.proto = 6;
	cr_assert_null(ip_diff(&ip, &back));
	cr_assert_eq(bs.payload_len, 5);
	ip.df = 0;
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), 45);
	cr_assert_eq(out[6], 0);
	cr_assert_eq(ptcp_wire_build_packet(out, 44, &ip, &s), PTCP_ENOBUFS);
	cr_assert_eq(ptcp_wire_build_packet(out, 19, &ip, &s), PTCP_ENOBUFS);
}

/* ---- Option layouts ----------------------------------------------------- */

static void check_auto_layout(uint32_t present, const uint8_t *want, size_t wantlen)
{
	ptcp_seg s, back;
	uint8_t got[64];
	memset(&s, 0, sizeof s);
	s.opts.present = present;
	s.opts.mss = 1460;
	s.opts.wscale = 7;
	s.opts.ts_val = 0x11223344;
	s.opts.ts_ecr = 0x55667788;
	s.opts.sack_count = 1;
	s.opts.sack[0].left = 1000;
	s.opts.sack[0].right = 2000;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), (int)wantlen);
	cr_assert_eq(build_opts(&s, got), (int)wantlen);
	cr_assert_arr_eq(got, want, wantlen);
	cr_assert_eq(parse_opts_in_tcp(got, wantlen, &back), 0);
	cr_assert_eq(back.opts.present, present);
}

Test(layout, linux_syn)
{
	static const uint8_t w[] = {2,    4,    0x05, 0xb4, 4,    2,    8, 10, 0x11, 0x22,
	                            0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 3,  3,    7};
	check_auto_layout(PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE, w,
	                  sizeof w);
}

Test(layout, linux_synack_without_timestamps)
{
	/* MSS, NOP, NOP, SACK-perm, NOP, WS: what Linux answers without TS. */
	static const uint8_t w[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
	check_auto_layout(PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_WSCALE, w, sizeof w);
}

Test(layout, linux_synack_timestamps_no_sack)
{
	static const uint8_t w[] = {2,    4,    0x05, 0xb4, 1,    1,    8, 10, 0x11, 0x22,
	                            0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 3,  3,    7};
	check_auto_layout(PTCP_OPT_MSS | PTCP_OPT_TS | PTCP_OPT_WSCALE, w, sizeof w);
}

Test(layout, mss_only_and_none)
{
	static const uint8_t w[] = {2, 4, 0x05, 0xb4};
	check_auto_layout(PTCP_OPT_MSS, w, sizeof w);
	check_auto_layout(0, w, 0);
}

Test(layout, established_timestamps_and_sack)
{
	static const uint8_t w[] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	                            1, 1, 5, 10, 0,    0,    0x03, 0xe8, 0,    0,    0x07, 0xd0};
	check_auto_layout(PTCP_OPT_TS | PTCP_OPT_SACK, w, sizeof w);
}

Test(layout, sack_one_to_four_blocks)
{
	ptcp_seg s, back;
	uint8_t got[64];
	uint8_t n, k;
	for (n = 1; n <= 4; n++) {
		memset(&s, 0, sizeof s);
		s.opts.present = PTCP_OPT_SACK;
		s.opts.sack_count = n;
		for (k = 0; k < n; k++) {
			s.opts.sack[k].left = 0xfffffff0u + 100u * k;
			s.opts.sack[k].right = 0xfffffff0u + 100u * k + 50u;
		}
		int len = build_opts(&s, got);
		cr_assert_eq(len, 4 + 8 * n);
		cr_assert_eq(got[0], 1);
		cr_assert_eq(got[1], 1);
		cr_assert_eq(got[2], 5);
		cr_assert_eq(got[3], 2 + 8 * n);
		cr_assert_eq(parse_opts_in_tcp(got, (size_t)len, &back), 0);
		cr_assert_eq(back.opts.sack_count, n);
		for (k = 0; k < n; k++) {
			cr_assert_eq(back.opts.sack[k].left, s.opts.sack[k].left);
			cr_assert_eq(back.opts.sack[k].right, s.opts.sack[k].right);
		}
	}
	/* With timestamps, 3 blocks fit (12 + 28 = 40) and 4 do not. */
	s.opts.present = PTCP_OPT_SACK | PTCP_OPT_TS;
	s.opts.sack_count = 3;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), 40);
	s.opts.sack_count = 4;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), PTCP_EOPTSIZE);
	cr_assert_eq(build_opts(&s, got), PTCP_EOPTSIZE);
	/* 0 or 5 blocks cannot be written. */
	s.opts.present = PTCP_OPT_SACK;
	s.opts.sack_count = 0;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), PTCP_EOPTSIZE);
	s.opts.sack_count = 5;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), PTCP_EOPTSIZE);
}

Test(layout, tfo_request_and_cookie)
{
	ptcp_seg s, back;
	uint8_t got[64];
	static const uint8_t req[] = {2, 4, 0x05, 0xb4, 34, 2, 1, 1};
	static const uint8_t ck[] = {2, 4, 0x05, 0xb4, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1};
	memset(&s, 0, sizeof s);
	s.opts.present = PTCP_OPT_MSS | PTCP_OPT_TFO;
	s.opts.mss = 1460;
	cr_assert_eq(build_opts(&s, got), (int)sizeof req);
	cr_assert_arr_eq(got, req, sizeof req);
	cr_assert_eq(parse_opts_in_tcp(got, sizeof req, &back), 0);
	cr_assert(back.opts.present & PTCP_OPT_TFO);
	cr_assert_eq(back.opts.tfo_len, 0);
	s.opts.tfo_len = 8;
	memcpy(s.opts.tfo_cookie, "\1\2\3\4\5\6\7\10", 8);
	cr_assert_eq(build_opts(&s, got), (int)sizeof ck);
	cr_assert_arr_eq(got, ck, sizeof ck);
	cr_assert_eq(parse_opts_in_tcp(got, sizeof ck, &back), 0);
	cr_assert_eq(back.opts.tfo_len, 8);
	cr_assert_arr_eq(back.opts.tfo_cookie, s.opts.tfo_cookie, 8);
	/* 16-byte cookie: 18 bytes + 2 NOPs. */
	s.opts.tfo_len = 16;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), 4 + 20);
	/* Bad cookie lengths cannot be written. */
	s.opts.tfo_len = 3;
	cr_assert_eq(ptcp_wire_opts_len(&s.opts), PTCP_EOPTSIZE);
	s.opts.tfo_len = 2;
	cr_assert_eq(build_opts(&s, got), PTCP_EOPTSIZE);
	s.opts.tfo_len = 18;
	cr_assert_eq(build_opts(&s, got), PTCP_EOPTSIZE);
}

Test(layout, tfo_experimental_encoding_round_trips)
{
	static const uint8_t o[] = {2, 4, 0x05, 0xb4, 254, 12, 0xf9, 0x89, 9, 8,
	                            7, 6, 5,    4,    3,   2,  1,    1,    1, 1};
	static const uint8_t req[] = {254, 4, 0xf9, 0x89};
	ptcp_seg s;
	uint8_t got[64];
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.present, PTCP_OPT_MSS | PTCP_OPT_TFO);
	cr_assert_eq(s.opts.tfo_len, 8);
	cr_assert_eq(s.opts.tfo_cookie[0], 9);
	cr_assert_eq(s.opts.tfo_cookie[7], 2);
	cr_assert_eq(s.opts.nitems, 6);
	cr_assert_eq(s.opts.items[1].kind, PTCP_OPTKIND_EXP);
	cr_assert_eq(s.opts.items[1].len, 0);
	cr_assert_eq(s.opts.unknown_len, 0);
	cr_assert_eq(build_opts(&s, got), (int)sizeof o);
	cr_assert_arr_eq(got, o, sizeof o);
	cr_assert_eq(parse_opts_in_tcp(req, sizeof req, &s), 0);
	cr_assert_eq(s.opts.present, PTCP_OPT_TFO);
	cr_assert_eq(s.opts.tfo_len, 0);
	cr_assert_eq(build_opts(&s, got), 4);
	cr_assert_arr_eq(got, req, 4);
}

Test(layout, unknown_kinds_kept)
{
	/* MPTCP-ish kind 30 (len 4), kind 254 with another experiment ID,
	 * kind 253 with no data, then a NOP. */
	static const uint8_t o[] = {30, 4, 0xaa, 0xbb, 254, 6, 0x12, 0x34, 0x56, 0x78, 253, 2,
	                            1,  8, 10,   0,    0,   0, 1,    0,    0,    0,    2,   1};
	ptcp_seg s;
	uint8_t got[64];
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.present, PTCP_OPT_TS);
	cr_assert_eq(s.opts.ts_val, 1);
	cr_assert_eq(s.opts.ts_ecr, 2);
	cr_assert_eq(s.opts.nitems, 6);
	cr_assert_eq(s.opts.items[0].kind, 30);
	cr_assert_eq(s.opts.items[0].off, 0);
	cr_assert_eq(s.opts.items[0].len, 4);
	cr_assert_eq(s.opts.items[1].kind, 254);
	cr_assert_eq(s.opts.items[1].off, 4);
	cr_assert_eq(s.opts.items[1].len, 6);
	cr_assert_eq(s.opts.items[2].kind, 253);
	cr_assert_eq(s.opts.items[2].off, 10);
	cr_assert_eq(s.opts.items[2].len, 2);
	cr_assert_eq(s.opts.items[3].kind, PTCP_OPTKIND_NOP);
	cr_assert_eq(s.opts.items[4].kind, PTCP_OPTKIND_TS);
	cr_assert_eq(s.opts.items[5].kind, PTCP_OPTKIND_NOP);
	cr_assert_eq(s.opts.unknown_len, 12);
	cr_assert_arr_eq(s.opts.unknown, o, 10);
	cr_assert_eq(s.opts.unknown[10], 253);
	cr_assert_eq(build_opts(&s, got), (int)sizeof o);
	cr_assert_arr_eq(got, o, sizeof o);
	/* Short kind-254 options are unknown, not TFO. */
	static const uint8_t e[] = {254, 2, 254, 3, 0xf9, 1, 1, 1};
	cr_assert_eq(parse_opts_in_tcp(e, sizeof e, &s), 0);
	cr_assert_eq(s.opts.present, 0);
	cr_assert_eq(s.opts.unknown_len, 5);
}

Test(layout, eol_with_padding)
{
	static const uint8_t o[] = {2, 4, 0x05, 0xb4, 0, 0xde, 0xad, 0xbe};
	static const uint8_t z[] = {1, 0, 0, 0};
	static const uint8_t e[] = {0, 2, 4, 5, 0xb4, 0, 0, 0};
	ptcp_seg s;
	uint8_t got[64];
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.present, PTCP_OPT_MSS | PTCP_OPT_EOL);
	cr_assert_eq(s.opts.nitems, 2);
	cr_assert_eq(s.opts.items[1].kind, PTCP_OPTKIND_EOL);
	cr_assert_eq(s.opts.pad_len, 3);
	cr_assert_eq(s.opts.pad[0], 0xde);
	cr_assert_eq(s.opts.pad[2], 0xbe);
	cr_assert_eq(build_opts(&s, got), (int)sizeof o);
	cr_assert_arr_eq(got, o, sizeof o);
	/* Zero padding. */
	cr_assert_eq(parse_opts_in_tcp(z, sizeof z, &s), 0);
	cr_assert_eq(s.opts.nitems, 2);
	cr_assert_eq(s.opts.pad_len, 2);
	cr_assert_eq(build_opts(&s, got), 4);
	cr_assert_arr_eq(got, z, 4);
	/* EOL first: an MSS after it is padding, not an option. */
	cr_assert_eq(parse_opts_in_tcp(e, sizeof e, &s), 0);
	cr_assert_eq(s.opts.present, PTCP_OPT_EOL);
	cr_assert_eq(s.opts.nitems, 1);
	cr_assert_eq(s.opts.pad_len, 7);
	cr_assert_eq(build_opts(&s, got), 8);
	cr_assert_arr_eq(got, e, 8);
	/* parse_opts on a length that is not a multiple of 4 works too. */
	ptcp_tcp_opts po;
	cr_assert_eq(ptcp_wire_parse_opts(e, 3, &po), 0);
	cr_assert_eq(po.pad_len, 2);
}

Test(layout, forty_nops)
{
	uint8_t o[40];
	ptcp_seg s;
	uint8_t got[64];
	memset(o, 1, sizeof o);
	cr_assert_eq(parse_opts_in_tcp(o, 40, &s), 0);
	cr_assert_eq(s.opts.nitems, 40);
	cr_assert_eq(build_opts(&s, got), 40);
	cr_assert_arr_eq(got, o, 40);
}

Test(layout, item_layout_errors)
{
	ptcp_seg s;
	uint8_t got[128];
	static const uint8_t o[] = {2, 4, 0x05, 0xb4, 30, 4, 0xaa, 0xbb, 0, 0, 0, 0};
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.nitems, 3);
	ptcp_seg t = s;
	/* Known item without its present bit. */
	t.opts.present &= ~PTCP_OPT_MSS;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	cr_assert_eq(ptcp_wire_opts_len(&t.opts), PTCP_EINVAL);
	/* Item after EOL. */
	t = s;
	t.opts.items[3].kind = PTCP_OPTKIND_NOP;
	t.opts.nitems = 4;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	/* The same known option twice. */
	t = s;
	t.opts.items[1] = t.opts.items[0];
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	/* Unknown item whose bytes disagree with it. */
	t = s;
	t.opts.items[1].len = 3;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	t = s;
	t.opts.items[1].off = 38;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	t = s;
	t.opts.unknown[0] = 2; /* would parse back as an MSS */
	t.opts.items[1].kind = 2;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	/* Padding without EOL. */
	t = s;
	t.opts.nitems = 2;
	cr_assert_eq(build_opts(&t, got), PTCP_EINVAL);
	t.opts.pad_len = 0;
	cr_assert_eq(build_opts(&t, got), 8);
	/* Over 40 bytes via items. */
	memset(&t, 0, sizeof t);
	t.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
	t.opts.sack_count = 4;
	t.opts.nitems = 2;
	t.opts.items[0].kind = PTCP_OPTKIND_TS;
	t.opts.items[1].kind = PTCP_OPTKIND_SACK;
	cr_assert_eq(build_opts(&t, got), PTCP_EOPTSIZE);
	cr_assert_eq(ptcp_wire_opts_len(&t.opts), PTCP_EOPTSIZE);
	t.opts.sack_count = 3;
	cr_assert_eq(ptcp_wire_opts_len(&t.opts), 36); /* 10 + 26 */
	/* Items that need padding get NOPs. */
	t.opts.nitems = 1;
	cr_assert_eq(build_opts(&t, got), 12);
	cr_assert_eq(got[10], 1);
	cr_assert_eq(got[11], 1);
}

Test(build, two_payload_spans_and_errors)
{
	uint8_t ring[64], out[128], flat[64];
	ptcp_seg s, back;
	ptcp_addr a, b;
	size_t i, cut;
	ptcp_addr_v4(&a, 10, 0, 0, 1);
	ptcp_addr_v4(&b, 10, 0, 0, 2);
	for (i = 0; i < sizeof ring; i++)
		ring[i] = (uint8_t)(i * 7 + 1);
	for (cut = 0; cut <= 33; cut++) {
		memset(&s, 0, sizeof s);
		s.flags = PTCP_ACK;
		s.opts.present = PTCP_OPT_TS;
		/* Bytes 40..63 then 0..(33-cut), as a ring would give them. */
		s.payload = ring + 64 - cut;
		s.payload_len = cut;
		s.payload2 = ring;
		s.payload2_len = 33 - cut;
		if (!cut)
			s.payload = NULL;
		memcpy(flat, ring + 64 - cut, cut);
		memcpy(flat + cut, ring, 33 - cut);
		int n = ptcp_wire_build_tcp(out, sizeof out, &s, &a, &b);
		cr_assert_eq(n, 32 + 33);
		cr_assert_eq(ptcp_wire_parse_tcp(out, (size_t)n, &a, &b, 1, &back), 0, "cut %zu",
		             cut);
		cr_assert_eq(back.payload_len, 33);
		cr_assert_arr_eq(back.payload, flat, 33);
		cr_assert_eq(ref_sum(ref_pseudo(&a, &b, (uint32_t)n), out, (size_t)n), 0xffff);
	}
	cr_assert_eq(ptcp_wire_build_tcp(out, 64, &s, &a, &b), PTCP_ENOBUFS);
	cr_assert_eq(ptcp_wire_build_tcp(out, 0, &s, &a, &b), PTCP_ENOBUFS);
	/* Without addresses the checksum is 0. */
	cr_assert_eq(ptcp_wire_build_tcp(out, sizeof out, &s, NULL, NULL), 65);
	cr_assert_eq(out[16], 0);
	cr_assert_eq(out[17], 0);
	/* Reserved bits and every flag survive. */
	memset(&s, 0, sizeof s);
	s.reserved = 0x0f;
	s.flags = 0xff;
	s.urp = 0x1234;
	cr_assert_eq(ptcp_wire_build_tcp(out, sizeof out, &s, &a, &b), 20);
	cr_assert_eq(out[12], 0x5f);
	cr_assert_eq(ptcp_wire_parse_tcp(out, 20, &a, &b, 1, &back), 0);
	cr_assert_eq(back.reserved, 0x0f);
	cr_assert_eq(back.flags, 0xff);
	cr_assert_eq(back.urp, 0x1234);
	/* In place: payload already at out + hlen. */
	memcpy(out + 20, "abc", 3);
	s.payload = out + 20;
	s.payload_len = 3;
	cr_assert_eq(ptcp_wire_build_tcp(out, sizeof out, &s, &a, &b), 23);
	cr_assert_arr_eq(out + 20, "abc", 3);
}

Test(build, too_big)
{
	static uint8_t big[70000], out[70100];
	ptcp_seg s;
	ptcp_ip ip;
	memset(&s, 0, sizeof s);
	memset(&ip, 0, sizeof ip);
	ptcp_addr_v4(&ip.src, 1, 1, 1, 1);
	ptcp_addr_v4(&ip.dst, 2, 2, 2, 2);
	s.payload = big;
	s.payload_len = 65535 - 20;
	cr_assert_eq(ptcp_wire_build_tcp(out, sizeof out, &s, NULL, NULL), 65535);
	s.payload_len = 65535 - 19;
	cr_assert_eq(ptcp_wire_build_tcp(out, sizeof out, &s, NULL, NULL), PTCP_EINVAL);
	s.payload_len = 65535 - 40;
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), 65535);
	s.payload_len = 65535 - 39;
	cr_assert_eq(ptcp_wire_build_packet(out, sizeof out, &ip, &s), PTCP_EINVAL);
}

/* ---- Randomized round trip ---------------------------------------------- */

static const uint8_t unknown_kinds[] = {6, 7, 9, 14, 15, 19, 27, 28, 29, 30, 69, 99, 253, 254};

/* Random options: either fields only (Linux layout) or a random item list. */
static void gen_opts(rng *r, ptcp_tcp_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mss = (uint16_t)rnd(r);
	o->wscale = (uint8_t)rnd(r);
	o->ts_val = (uint32_t)rnd(r);
	o->ts_ecr = (uint32_t)rnd(r);
	o->sack_count = (uint8_t)(1 + rndn(r, 4));
	for (int k = 0; k < 4; k++) {
		o->sack[k].left = (uint32_t)rnd(r);
		o->sack[k].right = (uint32_t)rnd(r);
	}
	o->tfo_len = rndn(r, 3) == 0 ? 0 : (uint8_t)(4 + 2 * rndn(r, 7));
	rndbytes(r, o->tfo_cookie, o->tfo_len);
	if (rndn(r, 2) == 0) {
		/* Fields only: pick bits until they fit. */
		do {
			o->present = (uint32_t)rndn(r, 64);
			if (o->present & PTCP_OPT_SACK)
				o->sack_count = (uint8_t)(1 + rndn(r, 4));
		} while (ptcp_wire_opts_len(o) < 0);
		return;
	}
	size_t used = 0;
	for (;;) {
		uint32_t what = rndn(r, 12);
		size_t need;
		uint8_t kind = 0;
		uint32_t bit = 0;
		switch (what) {
		case 0:
			kind = PTCP_OPTKIND_NOP, need = 1;
			break;
		case 1:
			kind = PTCP_OPTKIND_MSS, need = 4, bit = PTCP_OPT_MSS;
			break;
		case 2:
			kind = PTCP_OPTKIND_WSCALE, need = 3, bit = PTCP_OPT_WSCALE;
			break;
		case 3:
			kind = PTCP_OPTKIND_SACK_PERM, need = 2, bit = PTCP_OPT_SACK_PERM;
			break;
		case 4:
			kind = PTCP_OPTKIND_TS, need = 10, bit = PTCP_OPT_TS;
			break;
		case 5:
			kind = PTCP_OPTKIND_SACK, need = 2 + 8 * (size_t)o->sack_count,
			bit = PTCP_OPT_SACK;
			break;
		case 6:
			kind = PTCP_OPTKIND_TFO, need = 2 + (size_t)o->tfo_len, bit = PTCP_OPT_TFO;
			break;
		case 7:
			kind = PTCP_OPTKIND_EXP, need = 4 + (size_t)o->tfo_len, bit = PTCP_OPT_TFO;
			break;
		case 8:
		case 9:
			kind = unknown_kinds[rndn(r, sizeof unknown_kinds)];
			need = 2 + rndn(r, 11);
			break;
		case 10:
			kind = PTCP_OPTKIND_EOL, need = 1;
			break;
		default:
			return; /* stop */
		}
		if (used + need > PTCP_TCP_OPT_MAX || (bit && (o->present & bit)))
			continue;
		if (bit || kind == PTCP_OPTKIND_NOP || kind == PTCP_OPTKIND_EOL) {
			o->items[o->nitems].kind = kind;
			o->items[o->nitems].off = 0;
			o->items[o->nitems].len = 0;
		} else {
			uint8_t *u = o->unknown + o->unknown_len;
			u[0] = kind;
			u[1] = (uint8_t)need;
			rndbytes(r, u + 2, need - 2);
			if (kind == PTCP_OPTKIND_EXP && need >= 4 && u[2] == 0xf9)
				u[2] = 0xf8; /* not the TFO experiment ID */
			o->items[o->nitems].kind = kind;
			o->items[o->nitems].off = o->unknown_len;
			o->items[o->nitems].len = (uint8_t)need;
			o->unknown_len = (uint8_t)(o->unknown_len + need);
		}
		o->nitems++;
		o->present |= bit;
		used += need;
		if (kind == PTCP_OPTKIND_EOL) {
			o->present |= PTCP_OPT_EOL;
			o->pad_len = (uint8_t)rndn(r, (uint32_t)(PTCP_TCP_OPT_MAX - used + 1));
			rndbytes(r, o->pad, o->pad_len);
			return;
		}
	}
}

/* The known option values of b (parsed) match a (generated). */
static const char *known_diff(const ptcp_tcp_opts *a, const ptcp_tcp_opts *b)
{
	uint32_t p = a->present & ~PTCP_OPT_EOL;
	if ((b->present & ~PTCP_OPT_EOL) != p)
		return "present";
	if ((p & PTCP_OPT_MSS) && a->mss != b->mss)
		return "mss";
	if ((p & PTCP_OPT_WSCALE) && a->wscale != b->wscale)
		return "wscale";
	if ((p & PTCP_OPT_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
		return "ts";
	if ((p & PTCP_OPT_SACK) && (a->sack_count != b->sack_count ||
	                            memcmp(a->sack, b->sack, sizeof a->sack[0] * a->sack_count)))
		return "sack";
	if ((p & PTCP_OPT_TFO) &&
	    (a->tfo_len != b->tfo_len || memcmp(a->tfo_cookie, b->tfo_cookie, a->tfo_len)))
		return "tfo";
	return NULL;
}

static void gen_ip(rng *r, ptcp_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	if (rndn(r, 2)) {
		ptcp_addr_v4(&ip->src, (uint8_t)rnd(r), (uint8_t)rnd(r), (uint8_t)rnd(r),
		             (uint8_t)rnd(r));
		ptcp_addr_v4(&ip->dst, (uint8_t)rnd(r), (uint8_t)rnd(r), (uint8_t)rnd(r),
		             (uint8_t)rnd(r));
		ip->id = (uint16_t)rnd(r);
		ip->df = (uint8_t)rndn(r, 2);
	} else {
		ip->src.family = ip->dst.family = 6;
		rndbytes(r, ip->src.bytes, 16);
		rndbytes(r, ip->dst.bytes, 16);
		ip->flowlabel = (uint32_t)rnd(r) & 0xfffff;
	}
	ip->ttl = (uint8_t)rnd(r);
	ip->tos = (uint8_t)rnd(r);
	ip->proto = 6;
}

static void gen_seg(rng *r, ptcp_seg *s, uint8_t *pl, size_t plcap)
{
	memset(s, 0, sizeof *s);
	s->sport = (uint16_t)rnd(r);
	s->dport = (uint16_t)rnd(r);
	s->seq = (uint32_t)rnd(r);
	s->ack = (uint32_t)rnd(r);
	s->flags = (uint8_t)rnd(r);
	s->reserved = (uint8_t)rndn(r, 16);
	s->wnd = (uint16_t)rnd(r);
	s->urp = (uint16_t)rnd(r);
	gen_opts(r, &s->opts);
	size_t n = rndn(r, 4) == 0 ? 0 : rndn(r, (uint32_t)plcap + 1);
	size_t cut = rndn(r, (uint32_t)n + 1);
	rndbytes(r, pl, n);
	s->payload = cut ? pl : NULL;
	s->payload_len = cut;
	s->payload2 = n - cut ? pl + cut : NULL;
	s->payload2_len = n - cut;
}

Test(random, round_trip_100000, .timeout = 240)
{
	static uint8_t pl[300], x[512], x2[512];
	rng r = {0x5eed};
	long i, v6 = 0, items = 0, eols = 0, unknowns = 0, tfoexp = 0;
	for (i = 0; i < 120000; i++) {
		ptcp_ip ip, p1ip, p2ip;
		ptcp_seg s, p1, p2;
		gen_ip(&r, &ip);
		gen_seg(&r, &s, pl, sizeof pl);
		int olen = ptcp_wire_opts_len(&s.opts);
		if (olen < 0 || olen > 40 || olen % 4)
			cr_assert_fail("iter %ld: opts_len %d", i, olen);
		size_t iph = ip.src.family == 4 ? 20 : 40;
		int n = ptcp_wire_build_packet(x, sizeof x, &ip, &s);
		if (n != (int)(iph + 20 + (size_t)olen + ptcp_seg_len(&s)))
			cr_assert_fail("iter %ld: build %d", i, n);
		/* The checksum verifies against an independent implementation. */
		if (ref_sum(ref_pseudo(&ip.src, &ip.dst, (uint32_t)(n - (int)iph)), x + iph,
		            (size_t)n - iph) != 0xffff)
			cr_assert_fail("iter %ld: checksum", i);
		if (iph == 20 && ref_csum(x, 20) != 0)
			cr_assert_fail("iter %ld: ip checksum", i);
		int rc = ptcp_wire_parse_packet(x, (size_t)n, &p1ip, &p1);
		if (rc)
			cr_assert_fail("iter %ld: parse %d", i, rc);
		const char *d = ip_diff(&ip, &p1ip);
		if (!d)
			d = known_diff(&s.opts, &p1.opts);
		if (!d && (p1.sport != s.sport || p1.dport != s.dport || p1.seq != s.seq ||
		           p1.ack != s.ack || p1.flags != s.flags || p1.reserved != s.reserved ||
		           p1.wnd != s.wnd || p1.urp != s.urp))
			d = "header";
		if (!d && (p1.payload_len != ptcp_seg_len(&s) ||
		           (s.payload_len && memcmp(p1.payload, s.payload, s.payload_len)) ||
		           (s.payload2_len &&
		            memcmp(p1.payload + s.payload_len, s.payload2, s.payload2_len))))
			d = "payload";
		if (d)
			cr_assert_fail("iter %ld: parse(build(x)) differs in %s", i, d);
		/* parse(build(parse(x))) == parse(x), and the bytes are the same. */
		int n2 = ptcp_wire_build_packet(x2, sizeof x2, &p1ip, &p1);
		if (n2 != n || memcmp(x, x2, (size_t)n))
			cr_assert_fail("iter %ld: rebuild %d != %d or bytes differ", i, n2, n);
		rc = ptcp_wire_parse_packet(x2, (size_t)n2, &p2ip, &p2);
		d = rc ? "rc" : ip_diff(&p1ip, &p2ip);
		if (!d)
			d = seg_diff(&p1, &p2);
		if (d)
			cr_assert_fail("iter %ld: round trip differs in %s (rc %d)", i, d, rc);
		/* One flipped bit in the TCP part never passes. */
		size_t bit = rndn(&r, (uint32_t)((size_t)n - iph) * 8);
		x2[iph + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = ptcp_wire_parse_packet(x2, (size_t)n2, &p2ip, &p2);
		if (rc == 0)
			cr_assert_fail("iter %ld: bit %zu flip undetected", i, bit);
		v6 += iph == 40;
		items += s.opts.nitems != 0;
		eols += (s.opts.present & PTCP_OPT_EOL) != 0;
		unknowns += s.opts.unknown_len != 0;
		for (int k = 0; k < s.opts.nitems; k++)
			tfoexp += s.opts.items[k].kind == PTCP_OPTKIND_EXP && !s.opts.items[k].len;
	}
	/* The generator covered what it should. */
	cr_assert_gt(v6, 50000);
	cr_assert_gt(items, 50000);
	cr_assert_gt(eols, 5000);
	cr_assert_gt(unknowns, 20000);
	cr_assert_gt(tfoexp, 5000);
}

/* ---- Randomized robustness ---------------------------------------------- */

static int code_ok(int rc)
{
	switch (rc) {
	case 0:
	case PTCP_ESHORT:
	case PTCP_EBADOFF:
	case PTCP_EOPTLEN:
	case PTCP_EOPTSIZE:
	case PTCP_EOPTDUP:
	case PTCP_ECSUM:
	case PTCP_EIPVER:
	case PTCP_EIPHDR:
	case PTCP_EFRAG:
	case PTCP_ENOTTCP:
		return 1;
	default:
		return 0;
	}
}

/* A packet that parsed: it must round trip through build. */
static void check_parsed(long i, const ptcp_ip *ip, const ptcp_seg *seg)
{
	static uint8_t out[70000];
	ptcp_ip ip2;
	ptcp_seg seg2;
	int n = ptcp_wire_build_packet(out, sizeof out, ip, seg);
	if (n < 0)
		cr_assert_fail("iter %ld: parsed packet does not build (%d)", i, n);
	int rc = ptcp_wire_parse_packet(out, (size_t)n, &ip2, &seg2);
	const char *d = rc ? "rc" : ip_diff(ip, &ip2);
	if (!d)
		d = seg_diff(seg, &seg2);
	if (d)
		cr_assert_fail("iter %ld: mutated round trip differs in %s (rc %d)", i, d, rc);
}

Test(random, robustness_parse_packet, .timeout = 240)
{
	static uint8_t pl[128], pkt[600], buf[600];
	rng r = {0xf00d};
	long i, hist[32] = {0};
	for (i = 0; i < 150000; i++) {
		ptcp_ip ip;
		ptcp_seg seg;
		size_t len;
		if (i % 3 == 0) {
			/* Pure noise, with a plausible first byte most of the time. */
			len = rndn(&r, 120);
			rndbytes(&r, buf, len);
			if (len && rndn(&r, 4))
				buf[0] = rndn(&r, 2) ? (uint8_t)(0x45 + rndn(&r, 3)) : 0x60;
			if (len > 6 && buf[0] == 0x60 && rndn(&r, 2)) {
				buf[4] = 0;
				buf[5] = (uint8_t)(len > 40 ? len - 40 : 0);
				buf[6] = rndn(&r, 2) ? 6 : (uint8_t)rndn(&r, 64);
			}
			if (len > 10 && (buf[0] >> 4) == 4 && rndn(&r, 2)) {
				buf[2] = (uint8_t)(len >> 8);
				buf[3] = (uint8_t)len;
				buf[6] &= 0x40;
				buf[7] = 0;
				buf[9] = 6;
			}
			if (rndn(&r, 2))
				fix_sums(buf, len);
		} else {
			/* A valid packet, mutated. */
			ptcp_ip gip;
			ptcp_seg gs;
			gen_ip(&r, &gip);
			gen_seg(&r, &gs, pl, sizeof pl);
			int n = ptcp_wire_build_packet(pkt, sizeof pkt, &gip, &gs);
			if (n < 0)
				cr_assert_fail("iter %ld: build %d", i, n);
			len = (size_t)n;
			memcpy(buf, pkt, len);
			uint32_t k, muts = 1 + rndn(&r, 4);
			size_t iph = gip.src.family == 4 ? 20 : 40;
			for (k = 0; k < muts; k++) {
				uint32_t how = rndn(&r, 9);
				/* Aim most mutations at the TCP header and options. */
				size_t at = 0;
				if (how < 5 && len > iph + 12)
					at = iph + 12 + rndn(&r, (uint32_t)(len - iph - 12));
				else if (len)
					at = rndn(&r, (uint32_t)len);
				if (how < 3)
					buf[at] = (uint8_t)rnd(&r);
				else if (how < 5)
					buf[at] = (uint8_t)rndn(&r, 40); /* small kinds/lengths */
				else if (how == 5)
					len = rndn(&r, (uint32_t)len + 1); /* truncate */
				else if (how == 6 && len + 8 <= sizeof buf)
					len += 8; /* trailing garbage */
				else if (how == 7 && len > iph + 24) {
					/* Copy a chunk of the TCP part elsewhere in it
					 * (duplicates options). */
					size_t tl = len - iph - 20, cl = 2 + rndn(&r, 11);
					size_t from = iph + 20 + rndn(&r, (uint32_t)tl);
					size_t to = iph + 20 + rndn(&r, (uint32_t)tl);
					if (from + cl <= len && to + cl <= len)
						memmove(buf + to, buf + from, cl);
				} else if (len > 0)
					buf[at] ^= (uint8_t)(1u << rndn(&r, 8));
			}
			if (rndn(&r, 4))
				fix_sums(buf, len);
		}
		int rc = ptcp_wire_parse_packet(buf, len, &ip, &seg);
		if (!code_ok(rc))
			cr_assert_fail("iter %ld: unexpected code %d", i, rc);
		hist[-rc]++;
		if (rc == 0) {
			if (seg.payload < buf || seg.payload + seg.payload_len > buf + len)
				cr_assert_fail("iter %ld: payload outside the buffer", i);
			check_parsed(i, &ip, &seg);
		}
	}
	for (i = 0; i <= -PTCP_ENOTTCP; i++)
		cr_log_info("code %ld: %ld", -i, hist[i]);
	/* Every class was reached. */
	cr_assert_gt(hist[0], 10000);
	cr_assert_gt(hist[-PTCP_ESHORT], 100);
	cr_assert_gt(hist[-PTCP_EBADOFF], 100);
	cr_assert_gt(hist[-PTCP_EOPTLEN], 100);
	cr_assert_gt(hist[-PTCP_EOPTSIZE], 100);
	cr_assert_gt(hist[-PTCP_EOPTDUP], 20);
	cr_assert_gt(hist[-PTCP_ECSUM], 100);
	cr_assert_gt(hist[-PTCP_EIPVER], 100);
	cr_assert_gt(hist[-PTCP_EIPHDR], 100);
	cr_assert_gt(hist[-PTCP_EFRAG], 100);
	cr_assert_gt(hist[-PTCP_ENOTTCP], 100);
}

Test(random, robustness_parse_opts, .timeout = 120)
{
	rng r = {0xabcdef};
	uint8_t o[40], got[64];
	long i, ok = 0;
	for (i = 0; i < 100000; i++) {
		ptcp_seg seg;
		size_t len = rndn(&r, 3) ? 4 * rndn(&r, 11) : rndn(&r, 41);
		size_t k;
		for (k = 0; k < len; k++)
			o[k] = rndn(&r, 2) ? (uint8_t)rndn(&r, 12) : (uint8_t)rnd(&r);
		int rc = ptcp_wire_parse_opts(o, len, &seg.opts);
		if (rc != 0 && rc != PTCP_EOPTLEN && rc != PTCP_EOPTSIZE && rc != PTCP_EOPTDUP)
			cr_assert_fail("iter %ld: code %d", i, rc);
		if (rc || len % 4)
			continue;
		ok++;
		/* Whole option areas come back byte for byte. */
		ptcp_seg s2;
		memset(&s2, 0, sizeof s2);
		s2.opts = seg.opts;
		int n = build_opts(&s2, got);
		if (n != (int)len || memcmp(got, o, len))
			cr_assert_fail("iter %ld: options rebuilt as %d bytes, want %zu", i, n,
			               len);
		if (parse_opts_in_tcp(got, len, &s2) || opts_diff(&seg.opts, &s2.opts))
			cr_assert_fail("iter %ld: options round trip", i);
	}
	cr_assert_gt(ok, 10000);
}

/* RFC 9293 3.1: fewer than 20 bytes is a truncated segment, whatever its
 * (unreadable) data-offset field says: ESHORT before EBADOFF. */
Test(malformed, tcp_short_header_before_a_bad_offset)
{
	uint8_t b[64];
	ptcp_seg s;
	mk_tcp(b, NULL, 0, 4); /* data offset 4 (16 bytes), then cut at 19 */
	cr_assert_eq(ptcp_wire_parse_tcp(b, 19, NULL, NULL, 0, &s), PTCP_ESHORT);
	cr_assert_eq(ptcp_wire_parse_tcp(b, 20, NULL, NULL, 0, &s), PTCP_EBADOFF);
}

/* RFC 6994 2: a kind-254 option is TFO's only when it is long enough to hold
 * the 16-bit experiment ID; a 3-byte one followed by a byte that happens to
 * complete 0xF989 is an unknown option, skipped by its length (RFC 9293 3.2). */
Test(options, short_experimental_option_is_not_fast_open)
{
	static const uint8_t o[] = {254, 3, 0xF9, 0x89, 2, 1, 1, 0};
	ptcp_seg s;
	cr_assert_eq(parse_opts_in_tcp(o, sizeof o, &s), 0);
	cr_assert_eq(s.opts.present & PTCP_OPT_TFO, 0);
}
