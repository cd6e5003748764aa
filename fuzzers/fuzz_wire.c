/*
 * fuzz_wire: arbitrary bytes through the IPv4/IPv6/TCP parser and the
 * options parser.  Oracles: parsing returns 0 or a documented PTCP_E* code;
 * for every segment that parses, build -> parse gives it back (round trip)
 * and the rebuilt packet's checksums verify.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptcp/ptcp.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_wire: " __VA_ARGS__);                                \
			fprintf(stderr, "\n");                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int known_error(int r)
{
	return r == 0 || (r < 0 && r >= PTCP_ERR_MIN);
}

static void same_payload(const ptcp_seg *a, const ptcp_seg *b)
{
	CHECK(ptcp_seg_len(a) == ptcp_seg_len(b), "payload length %zu != %zu", ptcp_seg_len(a),
	      ptcp_seg_len(b));
	CHECK(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0,
	      "payload bytes differ");
}

static void same_seg(const ptcp_seg *a, const ptcp_seg *b)
{
	CHECK(a->sport == b->sport && a->dport == b->dport, "ports differ");
	CHECK(a->seq == b->seq && a->ack == b->ack, "seq/ack differ");
	CHECK(a->flags == b->flags && a->reserved == b->reserved, "flags differ");
	CHECK(a->wnd == b->wnd && a->urp == b->urp, "window/urgent differ");
	const ptcp_tcp_opts *x = &a->opts, *y = &b->opts;
	CHECK(x->present == y->present, "options present %#x != %#x", x->present, y->present);
	CHECK(x->mss == y->mss && x->wscale == y->wscale, "mss/wscale differ");
	CHECK(x->sack_count == y->sack_count &&
	          memcmp(x->sack, y->sack, sizeof(x->sack[0]) * x->sack_count) == 0,
	      "sack blocks differ");
	CHECK(x->ts_val == y->ts_val && x->ts_ecr == y->ts_ecr, "timestamps differ");
	CHECK(x->tfo_len == y->tfo_len && memcmp(x->tfo_cookie, y->tfo_cookie, x->tfo_len) == 0,
	      "tfo cookie differs");
	CHECK(x->nitems == y->nitems, "option layout: %u items != %u", x->nitems, y->nitems);
	for (unsigned i = 0; i < x->nitems; i++)
		CHECK(x->items[i].kind == y->items[i].kind && x->items[i].len == y->items[i].len,
		      "option item %u differs", i);
	CHECK(x->unknown_len == y->unknown_len &&
	          memcmp(x->unknown, y->unknown, x->unknown_len) == 0,
	      "unknown options differ");
	CHECK(x->pad_len == y->pad_len && memcmp(x->pad, y->pad, x->pad_len) == 0,
	      "bytes after EOL differ");
	same_payload(a, b);
}

static uint8_t out[65536 + 128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ptcp_ip ip, ip2;
	ptcp_seg seg, seg2;
	ptcp_tcp_opts opts;
	int r, n;

	/* 1. a whole IP packet */
	r = ptcp_wire_parse_packet(data, size, &ip, &seg);
	CHECK(known_error(r), "parse_packet returned undocumented %d", r);
	if (r == 0) {
		n = ptcp_wire_build_packet(out, sizeof(out), &ip, &seg);
		CHECK(n > 0, "a parsed packet does not build: %s", ptcp_strerror(n));
		r = ptcp_wire_parse_packet(out, (size_t)n, &ip2, &seg2);
		CHECK(r == 0, "a rebuilt packet does not parse: %s", ptcp_strerror(r));
		CHECK(ptcp_addr_eq(&ip.src, &ip2.src) && ptcp_addr_eq(&ip.dst, &ip2.dst),
		      "addresses differ");
		CHECK(ip.ttl == ip2.ttl && ip.tos == ip2.tos, "ttl/tos differ");
		same_seg(&seg, &seg2);
	}

	/* 2. the bytes as a bare TCP header, checksum not verified */
	r = ptcp_wire_parse_tcp(data, size, NULL, NULL, 0, &seg);
	CHECK(known_error(r), "parse_tcp returned undocumented %d", r);
	if (r == 0) {
		ptcp_addr s, d;
		ptcp_addr_v4(&s, 192, 0, 2, 1);
		ptcp_addr_v4(&d, 192, 0, 2, 2);
		n = ptcp_wire_build_tcp(out, sizeof(out), &seg, &s, &d);
		CHECK(n > 0, "a parsed segment does not build: %s", ptcp_strerror(n));
		r = ptcp_wire_parse_tcp(out, (size_t)n, &s, &d, 1, &seg2);
		CHECK(r == 0, "a rebuilt segment does not parse or verify: %s", ptcp_strerror(r));
		same_seg(&seg, &seg2);
	}

	/* 3. the bytes as an option area */
	r = ptcp_wire_parse_opts(data, size > 40 ? 40 : size, &opts);
	CHECK(known_error(r), "parse_opts returned undocumented %d", r);
	return 0;
}
