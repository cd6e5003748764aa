/*
 * ptcp wire codec: the Internet checksum, IPv4/IPv6 headers as far as TCP
 * needs them, the TCP header and its options.  See ptcp/wire.h.
 *
 * IMPLEMENTATION NOTES
 * Everything is read and written byte by byte in network order (or through
 * memcpy into a local word), so alignment and host byte order never matter
 * and no read goes past the length given.  The checksum sums 64-bit native
 * words with an end-around carry (one's complement addition modulo 2^64-1 is
 * congruent to the 16-bit sum modulo 2^16-1) and swaps the folded result to
 * network order on little-endian hosts (RFC 1071 2(B): the sum is
 * byte-order independent).  Options are laid out into a 40-byte scratch
 * block first, so the length check and the write share one code path.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ptcp/ptcp.h"

/* ---- Byte helpers ------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

/* ---- Checksum (RFC 1071) ------------------------------------------------ */

static int host_is_le(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

/* One's complement add of two 64-bit values (end-around carry). */
static uint64_t add64(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

/* Fold a one's complement sum to 16 bits (RFC 1071 4.1: add the carries back). */
static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)s;
}

uint32_t ptcp_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, w;
	uint32_t s;

	if (!p)
		return fold64(sum);
	while (len >= 32) {
		uint64_t a, b, c, d;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		acc = add64(acc, a);
		acc = add64(acc, b);
		acc = add64(acc, c);
		acc = add64(acc, d);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		acc = add64(acc, w);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		acc = add64(acc, v);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		acc = add64(acc, h);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* RFC 1071 4.1: an odd last byte is padded with a zero byte. */
		uint16_t h = 0;
		memcpy(&h, p, 1);
		acc = add64(acc, h);
	}
	s = fold64(acc);
	if (host_is_le())
		s = ((s & 0xffu) << 8) | (s >> 8); /* RFC 1071 2(B): byte order independence */
	return fold64((uint64_t)sum + s);
}

uint16_t ptcp_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint32_t ptcp_csum_pseudo(const ptcp_addr *src, const ptcp_addr *dst, uint8_t proto, uint32_t len)
{
	uint64_t s;
	size_t alen;

	if (!src || !dst)
		return 0;
	/* RFC 9293 3.1: source, destination, zero, PTCL, TCP length (16 bits);
	 * RFC 8200 8.1: 16-byte addresses, 32-bit length, next header. */
	alen = src->family == 6 ? 16 : 4;
	s = ptcp_csum_add(0, src->bytes, alen);
	s += ptcp_csum_add(0, dst->bytes, alen);
	s += proto;
	s += len >> 16;
	s += len & 0xffffu;
	return fold64(s);
}

/* ---- Addresses ---------------------------------------------------------- */

void ptcp_addr_v4(ptcp_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	if (!a)
		return;
	memset(a, 0, sizeof *a);
	a->family = 4;
	a->bytes[0] = b0;
	a->bytes[1] = b1;
	a->bytes[2] = b2;
	a->bytes[3] = b3;
}

int ptcp_addr_eq(const ptcp_addr *a, const ptcp_addr *b)
{
	if (!a || !b)
		return a == b;
	if (a->family != b->family)
		return 0;
	if (a->family == 4)
		return memcmp(a->bytes, b->bytes, 4) == 0;
	if (a->family == 6)
		return memcmp(a->bytes, b->bytes, 16) == 0;
	return 1; /* both unset */
}

static int family_ok(const ptcp_addr *src, const ptcp_addr *dst)
{
	return src->family == dst->family && (src->family == 4 || src->family == 6);
}

/* ---- TCP options: parse ------------------------------------------------- */

#define TFO_EXP_MAGIC 0xF989u /* RFC 7413 / RFC 6994: TFO's experiment ID */

/* RFC 7413 4.1.1: a cookie is 4..16 bytes and even; 0 bytes is a request. */
static int tfo_cookie_ok(size_t n)
{
	return n == 0 || (n >= 4 && n <= PTCP_TFO_COOKIE_MAX && n % 2 == 0);
}

static int is_known_kind(uint8_t kind)
{
	switch (kind) {
	case PTCP_OPTKIND_EOL:
	case PTCP_OPTKIND_NOP:
	case PTCP_OPTKIND_MSS:
	case PTCP_OPTKIND_WSCALE:
	case PTCP_OPTKIND_SACK_PERM:
	case PTCP_OPTKIND_SACK:
	case PTCP_OPTKIND_TS:
	case PTCP_OPTKIND_TFO:
		return 1;
	default:
		return 0;
	}
}

/* A kind-254 option that is TFO in the RFC 6994 experimental encoding. */
static int is_tfo_exp(const uint8_t *p, size_t olen)
{
	return p[0] == PTCP_OPTKIND_EXP && olen >= 4 && get16(p + 2) == TFO_EXP_MAGIC;
}

static void add_item(ptcp_tcp_opts *o, uint8_t kind, uint8_t off, uint8_t len)
{
	/* Options are at most 40 bytes and every item takes at least one, so
	 * items[PTCP_OPT_ITEMS_MAX] cannot overflow. */
	o->items[o->nitems].kind = kind;
	o->items[o->nitems].off = off;
	o->items[o->nitems].len = len;
	o->nitems++;
}

/* Mark a known option seen: wrong length first, then duplicates. */
static int claim(ptcp_tcp_opts *o, uint32_t bit, int len_ok)
{
	if (!len_ok)
		return PTCP_EOPTSIZE;
	if (o->present & bit)
		return PTCP_EOPTDUP;
	o->present |= bit;
	return 0;
}

int ptcp_wire_parse_opts(const uint8_t *buf, size_t len, ptcp_tcp_opts *o)
{
	size_t i = 0;

	if (!o || (!buf && len) || len > PTCP_TCP_OPT_MAX)
		return PTCP_EINVAL;
	memset(o, 0, sizeof *o);
	while (i < len) {
		const uint8_t *p = buf + i;
		size_t olen, n, k;
		int rc = 0;

		if (p[0] == PTCP_OPTKIND_EOL) {
			/* RFC 9293 3.1: End of Option List; what follows is
			 * padding, kept as is for the round trip. */
			add_item(o, PTCP_OPTKIND_EOL, 0, 0);
			o->present |= PTCP_OPT_EOL;
			o->pad_len = (uint8_t)(len - i - 1);
			memcpy(o->pad, p + 1, o->pad_len);
			break;
		}
		if (p[0] == PTCP_OPTKIND_NOP) {
			/* RFC 9293 3.1: No-Operation, a single byte. */
			add_item(o, PTCP_OPTKIND_NOP, 0, 0);
			i++;
			continue;
		}
		/* RFC 9293 3.1 / 3.2: every other option has a length byte that
		 * counts kind and length (so >= 2) and stays in the header. */
		if (len - i < 2)
			return PTCP_EOPTLEN;
		olen = p[1];
		if (olen < 2 || olen > len - i)
			return PTCP_EOPTLEN;
		switch (p[0]) {
		case PTCP_OPTKIND_MSS:
			/* RFC 9293 3.2: MSS, length 4. */
			rc = claim(o, PTCP_OPT_MSS, olen == 4);
			if (rc)
				break;
			o->mss = get16(p + 2);
			add_item(o, p[0], 0, 0);
			break;
		case PTCP_OPTKIND_WSCALE:
			/* RFC 7323 2.2: window scale, length 3. */
			rc = claim(o, PTCP_OPT_WSCALE, olen == 3);
			if (rc)
				break;
			o->wscale = p[2];
			add_item(o, p[0], 0, 0);
			break;
		case PTCP_OPTKIND_SACK_PERM:
			/* RFC 2018 2: SACK-permitted, length 2. */
			rc = claim(o, PTCP_OPT_SACK_PERM, olen == 2);
			if (rc)
				break;
			add_item(o, p[0], 0, 0);
			break;
		case PTCP_OPTKIND_SACK:
			/* RFC 2018 3: SACK, length 2 + 8n; at most 4 blocks fit. */
			n = (olen - 2) / 8;
			rc = claim(o, PTCP_OPT_SACK,
			           (olen - 2) % 8 == 0 && n >= 1 && n <= PTCP_SACK_MAX);
			if (rc)
				break;
			o->sack_count = (uint8_t)n;
			for (k = 0; k < n; k++) {
				o->sack[k].left = get32(p + 2 + 8 * k);
				o->sack[k].right = get32(p + 6 + 8 * k);
			}
			add_item(o, p[0], 0, 0);
			break;
		case PTCP_OPTKIND_TS:
			/* RFC 7323 3.2: timestamps, length 10. */
			rc = claim(o, PTCP_OPT_TS, olen == 10);
			if (rc)
				break;
			o->ts_val = get32(p + 2);
			o->ts_ecr = get32(p + 6);
			add_item(o, p[0], 0, 0);
			break;
		case PTCP_OPTKIND_TFO:
			/* RFC 7413 4.1.1: length 2 (cookie request) or 6..18, even. */
			rc = claim(o, PTCP_OPT_TFO, tfo_cookie_ok(olen - 2));
			if (rc)
				break;
			o->tfo_len = (uint8_t)(olen - 2);
			memcpy(o->tfo_cookie, p + 2, o->tfo_len);
			add_item(o, p[0], 0, 0);
			break;
		default:
			if (is_tfo_exp(p, olen)) {
				/* RFC 6994 2 / RFC 7413 4.1.1: TFO as kind 254 with
				 * experiment ID 0xF989; the item (kind 254, len 0)
				 * remembers the encoding. */
				rc = claim(o, PTCP_OPT_TFO, tfo_cookie_ok(olen - 4));
				if (rc)
					break;
				o->tfo_len = (uint8_t)(olen - 4);
				memcpy(o->tfo_cookie, p + 4, o->tfo_len);
				add_item(o, PTCP_OPTKIND_EXP, 0, 0);
				break;
			}
			/* RFC 9293 3.2: an unknown option is skipped by its
			 * length; its bytes are kept for the round trip. */
			add_item(o, p[0], o->unknown_len, (uint8_t)olen);
			memcpy(o->unknown + o->unknown_len, p, olen);
			o->unknown_len = (uint8_t)(o->unknown_len + olen);
			break;
		}
		if (rc)
			return rc;
		i += olen;
	}
	return 0;
}

/* ---- TCP options: layout ------------------------------------------------ */

typedef struct obuf {
	uint8_t b[PTCP_TCP_OPT_MAX];
	size_t n;
} obuf;

static int ob_put(obuf *ob, const uint8_t *src, size_t n)
{
	/* RFC 9293 3.1: the data offset caps options at 40 bytes. */
	if (n > sizeof ob->b - ob->n)
		return PTCP_EOPTSIZE;
	memcpy(ob->b + ob->n, src, n);
	ob->n += n;
	return 0;
}

static int ob_byte(obuf *ob, uint8_t v)
{
	return ob_put(ob, &v, 1);
}

/* Write one known option (kind 254 = TFO, experimental encoding). */
static int put_known(obuf *ob, const ptcp_tcp_opts *o, uint8_t kind)
{
	uint8_t t[PTCP_TCP_OPT_MAX];
	size_t n, k;

	t[0] = kind;
	switch (kind) {
	case PTCP_OPTKIND_MSS:
		put16(t + 2, o->mss);
		n = 4;
		break;
	case PTCP_OPTKIND_WSCALE:
		t[2] = o->wscale;
		n = 3;
		break;
	case PTCP_OPTKIND_SACK_PERM:
		n = 2;
		break;
	case PTCP_OPTKIND_TS:
		put32(t + 2, o->ts_val);
		put32(t + 6, o->ts_ecr);
		n = 10;
		break;
	case PTCP_OPTKIND_SACK:
		/* RFC 2018 3: 1..4 blocks. */
		if (o->sack_count < 1 || o->sack_count > PTCP_SACK_MAX)
			return PTCP_EOPTSIZE;
		for (k = 0; k < o->sack_count; k++) {
			put32(t + 2 + 8 * k, o->sack[k].left);
			put32(t + 6 + 8 * k, o->sack[k].right);
		}
		n = 2 + 8 * (size_t)o->sack_count;
		break;
	case PTCP_OPTKIND_TFO:
		/* RFC 7413 4.1.1 */
		if (!tfo_cookie_ok(o->tfo_len))
			return PTCP_EOPTSIZE;
		memcpy(t + 2, o->tfo_cookie, o->tfo_len);
		n = 2 + (size_t)o->tfo_len;
		break;
	case PTCP_OPTKIND_EXP:
		/* RFC 6994 2: kind, length, experiment ID, then the cookie. */
		if (!tfo_cookie_ok(o->tfo_len))
			return PTCP_EOPTSIZE;
		put16(t + 2, TFO_EXP_MAGIC);
		memcpy(t + 4, o->tfo_cookie, o->tfo_len);
		n = 4 + (size_t)o->tfo_len;
		break;
	default:
		return PTCP_EINVAL;
	}
	t[1] = (uint8_t)n;
	return ob_put(ob, t, n);
}

static uint32_t kind_bit(uint8_t kind)
{
	switch (kind) {
	case PTCP_OPTKIND_MSS:
		return PTCP_OPT_MSS;
	case PTCP_OPTKIND_WSCALE:
		return PTCP_OPT_WSCALE;
	case PTCP_OPTKIND_SACK_PERM:
		return PTCP_OPT_SACK_PERM;
	case PTCP_OPTKIND_SACK:
		return PTCP_OPT_SACK;
	case PTCP_OPTKIND_TS:
		return PTCP_OPT_TS;
	case PTCP_OPTKIND_TFO:
	case PTCP_OPTKIND_EXP:
		return PTCP_OPT_TFO;
	default:
		return 0;
	}
}

/* Linux tcp_options_write order, each option aligned with NOPs. */
static int layout_auto(const ptcp_tcp_opts *o, obuf *ob)
{
	static const uint8_t nop2[2] = {PTCP_OPTKIND_NOP, PTCP_OPTKIND_NOP};
	uint32_t p = o->present;
	int rc = 0;

	if (p & PTCP_OPT_MSS)
		rc = put_known(ob, o, PTCP_OPTKIND_MSS);
	if (!rc && (p & PTCP_OPT_TS)) {
		if (p & PTCP_OPT_SACK_PERM)
			rc = put_known(ob, o, PTCP_OPTKIND_SACK_PERM);
		else
			rc = ob_put(ob, nop2, 2);
		if (!rc)
			rc = put_known(ob, o, PTCP_OPTKIND_TS);
	} else if (!rc && (p & PTCP_OPT_SACK_PERM)) {
		rc = ob_put(ob, nop2, 2);
		if (!rc)
			rc = put_known(ob, o, PTCP_OPTKIND_SACK_PERM);
	}
	if (!rc && (p & PTCP_OPT_WSCALE)) {
		rc = ob_byte(ob, PTCP_OPTKIND_NOP);
		if (!rc)
			rc = put_known(ob, o, PTCP_OPTKIND_WSCALE);
	}
	if (!rc && (p & PTCP_OPT_SACK)) {
		rc = ob_put(ob, nop2, 2);
		if (!rc)
			rc = put_known(ob, o, PTCP_OPTKIND_SACK);
	}
	if (!rc && (p & PTCP_OPT_TFO))
		rc = put_known(ob, o, PTCP_OPTKIND_TFO);
	/* RFC 9293 3.1: the option area is a multiple of 4 bytes. */
	while (!rc && ob->n % 4)
		rc = ob_byte(ob, PTCP_OPTKIND_NOP);
	return rc;
}

/* Follow opts->items exactly; reject layouts a parser would not give back. */
static int layout_items(const ptcp_tcp_opts *o, obuf *ob)
{
	uint32_t seen = 0;
	size_t i;
	int eol = 0, rc = 0;

	if (o->nitems > PTCP_OPT_ITEMS_MAX || o->unknown_len > PTCP_TCP_OPT_MAX ||
	    o->pad_len > PTCP_TCP_OPT_MAX)
		return PTCP_EINVAL;
	for (i = 0; i < o->nitems && !rc; i++) {
		const ptcp_opt_item *it = &o->items[i];
		uint32_t bit = kind_bit(it->kind);

		if (eol)
			return PTCP_EINVAL; /* nothing follows EOL but padding */
		if (it->kind == PTCP_OPTKIND_EOL && it->len == 0) {
			eol = 1;
			rc = ob_byte(ob, PTCP_OPTKIND_EOL);
		} else if (it->kind == PTCP_OPTKIND_NOP && it->len == 0) {
			rc = ob_byte(ob, PTCP_OPTKIND_NOP);
		} else if (bit && it->len == 0) {
			if (!(o->present & bit) || (seen & bit))
				return PTCP_EINVAL;
			seen |= bit;
			rc = put_known(ob, o, it->kind);
		} else {
			const uint8_t *u;
			/* An unknown option: its bytes verbatim, and they
			 * must parse back as the same unknown option. */
			if (it->len < 2 || (size_t)it->off + it->len > o->unknown_len ||
			    is_known_kind(it->kind))
				return PTCP_EINVAL;
			u = o->unknown + it->off;
			if (u[0] != it->kind || u[1] != it->len || is_tfo_exp(u, it->len))
				return PTCP_EINVAL;
			rc = ob_put(ob, u, it->len);
		}
	}
	if (rc)
		return rc;
	if (eol) {
		/* RFC 9293 3.1: padding after EOL (kept bytes, then zeros). */
		rc = ob_put(ob, o->pad, o->pad_len);
		while (!rc && ob->n % 4)
			rc = ob_byte(ob, 0);
		return rc;
	}
	if (o->pad_len)
		return PTCP_EINVAL; /* padding without an EOL */
	while (!rc && ob->n % 4)
		rc = ob_byte(ob, PTCP_OPTKIND_NOP);
	return rc;
}

static int layout(const ptcp_tcp_opts *o, obuf *ob)
{
	ob->n = 0;
	return o->nitems ? layout_items(o, ob) : layout_auto(o, ob);
}

int ptcp_wire_opts_len(const ptcp_tcp_opts *opts)
{
	obuf ob;
	int rc;

	if (!opts)
		return PTCP_EINVAL;
	rc = layout(opts, &ob);
	return rc ? rc : (int)ob.n;
}

/* ---- TCP header --------------------------------------------------------- */

int ptcp_wire_parse_tcp(const uint8_t *buf, size_t len, const ptcp_addr *src, const ptcp_addr *dst,
                        int verify_csum, ptcp_seg *seg)
{
	size_t hlen;
	int rc;

	if (!buf || !seg)
		return PTCP_EINVAL;
	/* RFC 9293 3.1: the fixed header is 20 bytes. */
	if (len < PTCP_TCP_HDR_MIN)
		return PTCP_ESHORT;
	/* RFC 9293 3.1: data offset counts 32-bit words, at least 5. */
	hlen = (size_t)(buf[12] >> 4) * 4;
	if (hlen < PTCP_TCP_HDR_MIN)
		return PTCP_EBADOFF;
	/* RFC 9293 3.1: the header (with options) must fit the segment. */
	if (hlen > len)
		return PTCP_ESHORT;
	if (verify_csum && src && dst) {
		uint32_t sum;
		if (!family_ok(src, dst))
			return PTCP_EINVAL;
		/* RFC 9293 3.1: checksum over pseudo-header, header and data;
		 * the IPv4 pseudo-header carries a 16-bit TCP length. */
		if (src->family == 4 && len > 0xffffu)
			return PTCP_ECSUM;
		sum = ptcp_csum_pseudo(src, dst, 6, (uint32_t)len);
		sum = ptcp_csum_add(sum, buf, len);
		if (ptcp_csum_fold(sum) != 0)
			return PTCP_ECSUM;
	}
	rc = ptcp_wire_parse_opts(buf + PTCP_TCP_HDR_MIN, hlen - PTCP_TCP_HDR_MIN, &seg->opts);
	if (rc)
		return rc;
	seg->sport = get16(buf);
	seg->dport = get16(buf + 2);
	seg->seq = get32(buf + 4);
	seg->ack = get32(buf + 8);
	seg->reserved = buf[12] & 0x0f; /* RFC 9293 3.1 reserved bits (AE: RFC 3540) */
	seg->flags = buf[13];
	seg->wnd = get16(buf + 14);
	seg->csum = get16(buf + 16);
	seg->urp = get16(buf + 18);
	seg->payload = buf + hlen;
	seg->payload_len = len - hlen;
	seg->payload2 = NULL;
	seg->payload2_len = 0;
	return 0;
}

int ptcp_wire_build_tcp(uint8_t *out, size_t cap, const ptcp_seg *seg, const ptcp_addr *src,
                        const ptcp_addr *dst)
{
	obuf ob;
	size_t hlen, total;
	int rc;

	if (!out || !seg)
		return PTCP_EINVAL;
	if ((seg->payload_len && !seg->payload) || (seg->payload2_len && !seg->payload2))
		return PTCP_EINVAL;
	if (src && dst && !family_ok(src, dst))
		return PTCP_EINVAL;
	rc = layout(&seg->opts, &ob);
	if (rc)
		return rc;
	hlen = PTCP_TCP_HDR_MIN + ob.n;
	/* IP carries at most 65535 bytes (RFC 791 3.1, RFC 8200 3). */
	if (seg->payload_len > 0xffffu || seg->payload2_len > 0xffffu ||
	    hlen + seg->payload_len + seg->payload2_len > 0xffffu)
		return PTCP_EINVAL;
	total = hlen + seg->payload_len + seg->payload2_len;
	if (total > cap)
		return PTCP_ENOBUFS;
	/* Payload first (memmove: it may already sit at out + hlen). */
	if (seg->payload_len)
		memmove(out + hlen, seg->payload, seg->payload_len);
	if (seg->payload2_len)
		memmove(out + hlen + seg->payload_len, seg->payload2, seg->payload2_len);
	/* RFC 9293 3.1: the header. */
	put16(out, seg->sport);
	put16(out + 2, seg->dport);
	put32(out + 4, seg->seq);
	put32(out + 8, seg->ack);
	out[12] = (uint8_t)((hlen / 4) << 4 | (seg->reserved & 0x0fu));
	out[13] = seg->flags;
	put16(out + 14, seg->wnd);
	put16(out + 16, 0);
	put16(out + 18, seg->urp);
	memcpy(out + PTCP_TCP_HDR_MIN, ob.b, ob.n);
	if (src && dst) {
		uint32_t sum = ptcp_csum_pseudo(src, dst, 6, (uint32_t)total);
		sum = ptcp_csum_add(sum, out, total);
		put16(out + 16, ptcp_csum_fold(sum));
	}
	return (int)total;
}

/* ---- IP ----------------------------------------------------------------- */

static int parse_ip4(const uint8_t *pkt, size_t len, ptcp_ip *ip, const uint8_t **l4, size_t *l4len)
{
	size_t ihl, tot;
	uint16_t frag;

	/* RFC 791 3.1: a 20-byte minimum header. */
	if (len < 20)
		return PTCP_ESHORT;
	/* RFC 791 3.1: IHL counts 32-bit words, minimum 5. */
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20)
		return PTCP_EIPHDR;
	if (ihl > len)
		return PTCP_ESHORT;
	/* RFC 791 3.1: header checksum over the header (options included). */
	if (ptcp_csum_fold(ptcp_csum_add(0, pkt, ihl)) != 0)
		return PTCP_EIPHDR;
	/* RFC 791 3.1: total length covers header and data; bytes past it
	 * (link padding) are ignored. */
	tot = get16(pkt + 2);
	if (tot < ihl || tot > len)
		return PTCP_EIPHDR;
	ip->tos = pkt[1];
	ip->id = get16(pkt + 4);
	frag = get16(pkt + 6);
	ip->df = (frag & 0x4000u) ? 1 : 0;
	ip->ttl = pkt[8];
	ip->proto = pkt[9];
	ip->flowlabel = 0;
	ip->src.family = 4;
	memcpy(ip->src.bytes, pkt + 12, 4);
	ip->dst.family = 4;
	memcpy(ip->dst.bytes, pkt + 16, 4);
	*l4 = pkt + ihl;
	*l4len = tot - ihl;
	/* RFC 791 3.1/3.2: MF set or a fragment offset means a fragment. */
	if ((frag & 0x2000u) || (frag & 0x1fffu))
		return PTCP_EFRAG;
	if (ip->proto != 6)
		return PTCP_ENOTTCP;
	return 0;
}

static int parse_ip6(const uint8_t *pkt, size_t len, ptcp_ip *ip, const uint8_t **l4, size_t *l4len)
{
	size_t off = 40, end;
	uint8_t nh;

	/* RFC 8200 3: a 40-byte fixed header. */
	if (len < 40)
		return PTCP_ESHORT;
	/* RFC 8200 3: payload length counts what follows the fixed header
	 * (extension headers included); bytes past it are ignored. */
	end = 40 + (size_t)get16(pkt + 4);
	if (end > len)
		return PTCP_EIPHDR;
	ip->tos = (uint8_t)((pkt[0] & 0x0f) << 4 | pkt[1] >> 4);
	ip->flowlabel = (uint32_t)(pkt[1] & 0x0f) << 16 | (uint32_t)pkt[2] << 8 | pkt[3];
	ip->ttl = pkt[7];
	ip->id = 0;
	ip->df = 0;
	ip->src.family = 6;
	memcpy(ip->src.bytes, pkt + 8, 16);
	ip->dst.family = 6;
	memcpy(ip->dst.bytes, pkt + 24, 16);
	nh = pkt[6];
	for (;;) {
		size_t hl;

		if (nh == 44)
			return PTCP_EFRAG; /* RFC 8200 4.5: fragment header */
		if (nh != 0 && nh != 43 && nh != 60)
			break;
		/* RFC 8200 4.3: hop-by-hop options only right after the
		 * fixed header. */
		if (nh == 0 && off != 40)
			return PTCP_EIPHDR;
		/* RFC 8200 4.3/4.4/4.6: next header, then length in 8-byte
		 * units not counting the first 8. */
		if (end - off < 8)
			return PTCP_EIPHDR;
		hl = ((size_t)pkt[off + 1] + 1) * 8;
		if (hl > end - off)
			return PTCP_EIPHDR;
		nh = pkt[off];
		off += hl;
	}
	ip->proto = nh;
	*l4 = pkt + off;
	*l4len = end - off;
	if (nh != 6)
		return PTCP_ENOTTCP;
	return 0;
}

int ptcp_wire_parse_ip(const uint8_t *pkt, size_t len, ptcp_ip *ip, const uint8_t **l4,
                       size_t *l4len)
{
	if (!pkt || !ip || !l4 || !l4len)
		return PTCP_EINVAL;
	memset(ip, 0, sizeof *ip);
	*l4 = NULL;
	*l4len = 0;
	if (len < 1)
		return PTCP_ESHORT;
	/* RFC 791 3.1 / RFC 8200 3: the version nibble. */
	switch (pkt[0] >> 4) {
	case 4:
		return parse_ip4(pkt, len, ip, l4, l4len);
	case 6:
		return parse_ip6(pkt, len, ip, l4, l4len);
	default:
		return PTCP_EIPVER;
	}
}

int ptcp_wire_parse_packet(const uint8_t *pkt, size_t len, ptcp_ip *ip, ptcp_seg *seg)
{
	const uint8_t *l4;
	size_t l4len;
	int rc;

	if (!seg)
		return PTCP_EINVAL;
	rc = ptcp_wire_parse_ip(pkt, len, ip, &l4, &l4len);
	if (rc)
		return rc;
	return ptcp_wire_parse_tcp(l4, l4len, &ip->src, &ip->dst, 1, seg);
}

int ptcp_wire_build_packet(uint8_t *out, size_t cap, const ptcp_ip *ip, const ptcp_seg *seg)
{
	int n;

	if (!out || !ip || !seg || !family_ok(&ip->src, &ip->dst))
		return PTCP_EINVAL;
	if (ip->src.family == 4) {
		/* RFC 791 3.1: version 4, IHL 5, no options. */
		if (cap < 20)
			return PTCP_ENOBUFS;
		n = ptcp_wire_build_tcp(out + 20, cap - 20, seg, &ip->src, &ip->dst);
		if (n < 0)
			return n;
		if (n > 0xffff - 20)
			return PTCP_EINVAL; /* RFC 791 3.1: 16-bit total length */
		out[0] = 0x45;
		out[1] = ip->tos;
		put16(out + 2, (uint16_t)(20 + n));
		put16(out + 4, ip->id);
		put16(out + 6, ip->df ? 0x4000u : 0); /* DF, never MF, offset 0 */
		out[8] = ip->ttl;
		out[9] = 6;
		put16(out + 10, 0);
		memcpy(out + 12, ip->src.bytes, 4);
		memcpy(out + 16, ip->dst.bytes, 4);
		put16(out + 10, ptcp_csum_fold(ptcp_csum_add(0, out, 20)));
		return 20 + n;
	}
	/* RFC 8200 3: version 6, traffic class, flow label, payload length,
	 * next header, hop limit, addresses. */
	if (cap < 40)
		return PTCP_ENOBUFS;
	n = ptcp_wire_build_tcp(out + 40, cap - 40, seg, &ip->src, &ip->dst);
	if (n < 0)
		return n;
	out[0] = (uint8_t)(0x60 | ip->tos >> 4);
	out[1] = (uint8_t)((ip->tos & 0x0f) << 4 | ((ip->flowlabel >> 16) & 0x0f));
	out[2] = (uint8_t)(ip->flowlabel >> 8);
	out[3] = (uint8_t)ip->flowlabel;
	put16(out + 4, (uint16_t)n);
	out[6] = 6;
	out[7] = ip->ttl;
	memcpy(out + 8, ip->src.bytes, 16);
	memcpy(out + 24, ip->dst.bytes, 16);
	return 40 + n;
}
