/*
 * ptcp wire codec: IPv4/IPv6 headers as far as TCP needs them, the TCP
 * header and its options, and the Internet checksum.
 *
 * IMPLEMENTATION NOTES
 * The codec is independent of the state machine: it turns bytes into a
 * plain ptcp_seg / ptcp_ip and back.  Parsing never reads outside the
 * buffer it is given and returns one distinct negative PTCP_E* code per
 * class of malformation.  For every segment that parses,
 * parse(build(parse(x))) == parse(x): the option layout (order, NOPs, EOL,
 * unknown kinds and their bytes) is kept in ptcp_tcp_opts so that a build
 * reproduces it.  No allocation, no globals.
 */
#ifndef PTCP_WIRE_H
#define PTCP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TCP flags as they sit in byte 13 of the header. */
#define PTCP_FIN 0x01u
#define PTCP_SYN 0x02u
#define PTCP_RST 0x04u
#define PTCP_PSH 0x08u
#define PTCP_ACK 0x10u
#define PTCP_URG 0x20u
#define PTCP_ECE 0x40u
#define PTCP_CWR 0x80u

/* Option kinds (IANA). */
#define PTCP_OPTKIND_EOL 0
#define PTCP_OPTKIND_NOP 1
#define PTCP_OPTKIND_MSS 2
#define PTCP_OPTKIND_WSCALE 3
#define PTCP_OPTKIND_SACK_PERM 4
#define PTCP_OPTKIND_SACK 5
#define PTCP_OPTKIND_TS 8
#define PTCP_OPTKIND_TFO 34
#define PTCP_OPTKIND_EXP 254 /* RFC 6994 experimental; TFO used 254/0xF989 */

/* Bits of ptcp_tcp_opts.present. */
#define PTCP_OPT_MSS 0x01u
#define PTCP_OPT_WSCALE 0x02u
#define PTCP_OPT_SACK_PERM 0x04u
#define PTCP_OPT_SACK 0x08u
#define PTCP_OPT_TS 0x10u
#define PTCP_OPT_TFO 0x20u /* kind 34, cookie may be empty (request) */
#define PTCP_OPT_EOL 0x40u /* an EOL was present */

#define PTCP_TCP_HDR_MIN 20
#define PTCP_TCP_OPT_MAX 40
#define PTCP_SACK_MAX 4
#define PTCP_TFO_COOKIE_MAX 16
#define PTCP_OPT_ITEMS_MAX 40 /* at most one item per option byte */

typedef struct ptcp_sack_block {
	uint32_t left;  /* first sequence number of the block */
	uint32_t right; /* sequence number just past the block */
} ptcp_sack_block;

/*
 * One item of the option layout, in wire order.  kind is the option kind;
 * for unknown kinds, off/len locate the whole option (kind and length bytes
 * included) in ptcp_tcp_opts.unknown (len >= 2).  Known options (EOL, NOP,
 * MSS, WSCALE, SACK_PERM, SACK, TS, TFO) have off = len = 0 and take their
 * values from the ptcp_tcp_opts fields.  kind 254 with len 0 is TFO in the
 * old experimental encoding (kind 254, experiment ID 0xF989, RFC 6994); any
 * other kind-254 option is an unknown item.
 */
typedef struct ptcp_opt_item {
	uint8_t kind;
	uint8_t off;
	uint8_t len;
} ptcp_opt_item;

typedef struct ptcp_tcp_opts {
	uint32_t present; /* PTCP_OPT_* bits */
	uint16_t mss;
	uint8_t wscale; /* as sent on the wire (may exceed 14: receivers clamp) */
	uint8_t sack_count;
	ptcp_sack_block sack[PTCP_SACK_MAX];
	uint32_t ts_val;
	uint32_t ts_ecr;
	uint8_t tfo_len; /* cookie length: 0 = cookie request, else 4..16 and even (RFC 7413 4.1.1) */
	uint8_t tfo_cookie[PTCP_TFO_COOKIE_MAX];
	/*
	 * Layout.  When nitems == 0, ptcp_wire_build_tcp() lays the options out
	 * itself in the order Linux uses (MSS, SACK-permitted+TS or NOP,NOP+TS,
	 * NOP+wscale, NOP,NOP+SACK, TFO) padded with NOPs to a multiple of 4.
	 * When nitems > 0 the build follows items exactly (the parser fills it).
	 * A known item needs its present bit; a known kind twice, an item after
	 * EOL, pad_len without an EOL item, or an unknown item whose bytes do
	 * not parse back as itself is PTCP_EINVAL.  Item layouts are padded to
	 * a multiple of 4 with NOPs, or with zeros after an EOL.  In both modes
	 * PTCP_OPT_SACK needs sack_count 1..4 and PTCP_OPT_TFO a valid tfo_len,
	 * else PTCP_EOPTSIZE; the PTCP_OPT_EOL bit is ignored by the build.
	 * The same kind twice (TFO as 34 and as 254 counts as twice) is
	 * PTCP_EOPTDUP when parsed.
	 */
	uint8_t nitems;
	ptcp_opt_item items[PTCP_OPT_ITEMS_MAX];
	uint8_t unknown_len;
	uint8_t unknown[PTCP_TCP_OPT_MAX];
	uint8_t pad_len; /* bytes after EOL, kept for round trip */
	uint8_t pad[PTCP_TCP_OPT_MAX];
} ptcp_tcp_opts;

/*
 * A TCP segment as the state machine sees it.  The payload may sit in two
 * spans (the send buffer is a ring): payload then payload2.  Parsing fills
 * only the first span.
 */
typedef struct ptcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;    /* PTCP_FIN ... PTCP_CWR */
	uint8_t reserved; /* the 4 reserved bits (incl. AE), low nibble */
	uint16_t wnd;     /* raw window field, unscaled */
	uint16_t urp;
	uint16_t csum; /* as parsed; ignored by build (computed) */
	ptcp_tcp_opts opts;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *payload2;
	size_t payload2_len;
} ptcp_seg;

/* Total payload length of a segment (both spans). */
static inline size_t ptcp_seg_len(const ptcp_seg *s)
{
	return s->payload_len + s->payload2_len;
}

/* Sequence space a segment occupies: payload + SYN + FIN. */
static inline uint32_t ptcp_seg_seqlen(const ptcp_seg *s)
{
	return (uint32_t)ptcp_seg_len(s) + ((s->flags & PTCP_SYN) ? 1u : 0u) +
	       ((s->flags & PTCP_FIN) ? 1u : 0u);
}

typedef struct ptcp_addr {
	uint8_t family; /* 4 or 6; 0 = unset */
	uint8_t bytes[16]; /* IPv4 in the first 4 bytes, network order */
} ptcp_addr;

typedef struct ptcp_ip {
	ptcp_addr src;
	ptcp_addr dst;
	uint8_t ttl;       /* hop limit for IPv6 */
	uint8_t tos;       /* traffic class for IPv6; ECN in the low 2 bits */
	uint16_t id;       /* IPv4 only */
	uint8_t df;        /* IPv4 don't-fragment */
	uint32_t flowlabel; /* IPv6 only */
	uint8_t proto;     /* 6 for TCP */
} ptcp_ip;

/*
 * Internet checksum (RFC 1071) helpers.  A sum is the one's complement sum
 * of the data as big-endian 16-bit words, kept in a uint32_t.
 * ptcp_csum_add() adds len bytes to sum and returns the sum folded to
 * 16 bits (<= 0xffff), so a few sums may also be added with +.  An odd last
 * byte is padded with a zero byte; so when chaining calls, every piece but
 * the last must have an even length (the sum does not remember an odd
 * offset).  ptcp_csum_fold() folds any sum and returns its complement: the
 * value for the checksum field (big-endian); over data that includes a
 * correct checksum field it returns 0.
 */
uint32_t ptcp_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t ptcp_csum_fold(uint32_t sum);
/* Sum of the TCP pseudo-header for src, dst and a TCP length (RFC 9293 3.1, RFC 8200 8.1).
 * The IPv6 form is used when src->family is 6, else IPv4.  0 for NULL. */
uint32_t ptcp_csum_pseudo(const ptcp_addr *src, const ptcp_addr *dst, uint8_t proto, uint32_t len);

/*
 * Parse a TCP header + options + payload.
 * If src and dst are non-NULL and verify_csum is non-zero the checksum is
 * verified against the pseudo-header (both families must be 4 or both 6,
 * else PTCP_EINVAL).  On success seg->payload points into buf.
 * Checks run in this order: length and data offset, checksum, options.
 * Returns 0, or PTCP_ESHORT (shorter than 20 bytes or than the data offset),
 * PTCP_EBADOFF (data offset < 5), PTCP_EOPTLEN (option length 0/1 or past the
 * header), PTCP_EOPTSIZE (known option with the wrong length, or too many SACK
 * blocks), PTCP_EOPTDUP (a known option twice), PTCP_ECSUM (bad checksum),
 * PTCP_EINVAL (NULL arguments).
 */
int ptcp_wire_parse_tcp(const uint8_t *buf, size_t len, const ptcp_addr *src,
			const ptcp_addr *dst, int verify_csum, ptcp_seg *seg);

/*
 * Parse options alone (the bytes after the fixed TCP header).
 * Returns 0 or PTCP_EOPTLEN, PTCP_EOPTSIZE, PTCP_EOPTDUP, PTCP_EINVAL (also
 * for len > 40).
 */
int ptcp_wire_parse_opts(const uint8_t *buf, size_t len, ptcp_tcp_opts *opts);

/*
 * Parse an IPv4 or IPv6 packet carrying TCP: fills ip and points l4 and l4len
 * at the transport payload (bounded by the IP total/payload length).
 * IPv6 extension headers hop-by-hop, routing, destination options are
 * skipped; a fragment header gives PTCP_EFRAG.
 * Returns 0, or PTCP_ESHORT, PTCP_EIPVER (not 4 or 6), PTCP_EIPHDR (bad IHL,
 * total length, or IPv4 header checksum), PTCP_EFRAG (a fragment),
 * PTCP_ENOTTCP (another protocol), PTCP_EINVAL.
 * On PTCP_ENOTTCP and on PTCP_EFRAG for IPv4, ip (ip->proto) and l4/l4len
 * are still filled, e.g. for ICMP handling.  Trailing bytes after the IP
 * total/payload length (link padding) are ignored.
 */
int ptcp_wire_parse_ip(const uint8_t *pkt, size_t len, ptcp_ip *ip, const uint8_t **l4,
		       size_t *l4len);

/* parse_ip then parse_tcp with checksum verification. Returns as those. */
int ptcp_wire_parse_packet(const uint8_t *pkt, size_t len, ptcp_ip *ip, ptcp_seg *seg);

/* Bytes the options of seg take on the wire, padded to 4. Returns >= 0, or PTCP_EOPTSIZE if > 40
 * (or a bad SACK count / TFO length), PTCP_EINVAL for an inconsistent item layout (see above). */
int ptcp_wire_opts_len(const ptcp_tcp_opts *opts);

/*
 * Build the TCP header, options and payload into out (cap bytes), with the
 * checksum computed over the pseudo-header of src/dst (when both non-NULL;
 * else the checksum is 0).
 * Returns the number of bytes written, or PTCP_ENOBUFS (cap too small),
 * PTCP_EOPTSIZE (options over 40 bytes), PTCP_EINVAL (also for a segment
 * over 65535 bytes or src/dst of different or unset families).  The
 * payload spans are copied with memmove, so the first span may already sit
 * at its place in out.
 */
int ptcp_wire_build_tcp(uint8_t *out, size_t cap, const ptcp_seg *seg, const ptcp_addr *src,
			const ptcp_addr *dst);

/*
 * Build a whole IP packet: IPv4 (20-byte header, checksum) or IPv6 (40
 * bytes) per ip->src.family, then the TCP segment.  ip->proto is ignored
 * (6 is written); ttl is written as given; IPv4 ignores flowlabel, IPv6
 * ignores id and df and writes the low 20 bits of flowlabel.
 * Returns the packet length, or PTCP_ENOBUFS, PTCP_EOPTSIZE, PTCP_EINVAL.
 */
int ptcp_wire_build_packet(uint8_t *out, size_t cap, const ptcp_ip *ip, const ptcp_seg *seg);

/* Fill a ptcp_addr. */
void ptcp_addr_v4(ptcp_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3);
int ptcp_addr_eq(const ptcp_addr *a, const ptcp_addr *b);

#ifdef __cplusplus
}
#endif
#endif
