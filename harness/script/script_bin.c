/*
 * ptcp event scripts: the binary form, for fuzzers.
 *
 * Every byte string decodes to a valid scenario: a byte read past the end
 * is 0 (truncated fields are zero-filled), lengths are clamped into their
 * domains, opcodes and selectors are taken modulo their count.  Multi-byte
 * integers are little-endian; VARINT is LEB128 (at most 10 bytes, extra
 * bits ignored), clamped to the field's range.  Expect events are kept.
 *
 * HEADER (10 bytes)
 *   u8  role: bit 0 = server (other bits ignored)
 *   u8  config flags bits 0-7 XOR PTCP_SCRIPT_CFG_FLAGS_DEFAULT, so that 0
 *       means the default flags (bits 8-31 start as the defaults; the CONFIG
 *       op's flags field sets all 32)
 *   u32 local ISN, u32 peer ISN
 *   The addresses start as the role's defaults (10.0.0.1:40000 -> 10.0.0.2:80,
 *   server ports swapped); the configuration starts as the defaults.
 *
 * OPS, until the input ends: u8 opcode (taken % 23), then its operands.
 *   0 DELAY   VARINT us: added (saturating at PTCP_SCRIPT_TIME_MAX) to the
 *             delta of the next event; a trailing DELAY is dropped
 *   1 SEGMENT SEG (inject)
 *   2 EXPECT  u8 wildcards (& 0x1f) then SEG (an expected '>' segment)
 *   3 RAW     u16 length (clamped to the bytes left), bytes
 *   4 ICMP    u8 type (% 7 + 1), VARINT mtu (<= 2^32-1), u32 seq
 *   5 CONNECT
 *   6 LISTEN  u8 (bit 0: any)
 *   7 SEND    u8 (bit 0: more, bit 1: explicit bytes), VARINT length
 *             (<= PTCP_SCRIPT_IO_MAX; explicit: <= bytes left), [bytes]
 *   8 READ    u8 (bit 0: discard), VARINT length (<= PTCP_SCRIPT_IO_MAX)
 *   9 SHUTDOWN u8 (% 3 + 1: rd, wr, rdwr)
 *  10 CLOSE  11 ABORT  12 TIME
 *  13 = state    u8 from (% 12; 11 = any), u8 to (% 11)
 *  14 = event    u8 event (% 8 + 1), u8 error (-(x % 23))
 *  15 = readable VARINT (<= 2^32-1)   16 = writable VARINT (<= 2^32-1)
 *  17 = deadline VARINT: 0 = never, else value - 1 (<= PTCP_SCRIPT_TIME_MAX)
 *  18 = ret      VARINT zigzag, clamped to int32
 *  19 CONFIG  u8 field (% 24: mss wscale syn_retries synack_retries
 *             max_retries init_cwnd rto_initial rto_min rto_max msl
 *             fin_wait2 user_timeout ts_offset sndbuf rcvbuf start delack
 *             quickack keepalive_idle keepalive_intvl keepalive_cnt cc
 *             challenge_ack_limit flags), VARINT value clamped into the
 *             field's domain (wscale > 14 = auto; flags: the 32 config flags
 *             XOR PTCP_SCRIPT_CFG_FLAGS_DEFAULT, masked with
 *             PTCP_SCRIPT_CFG_FLAGS_ALL, bits above 31 ignored).
 *             Not an event: sets the scenario's configuration wherever it is.
 *  20 ADDR    u8 (bit 0: IPv6), local address (4 or 16 bytes), u16 local
 *             port, peer address, u16 peer port.  Not an event.
 *  21 SETOPT  u8 (bit 0: nodelay, bit 1: cork), u8 keepalive_cnt, VARINT
 *             challenge limit (<= 2^32-1), VARINT keepalive_idle,
 *             keepalive_intvl, user_timeout, delack (<= PTCP_SCRIPT_TIME_MAX)
 *  22 CONNECT with Fast Open or data: u8 (bit 0: tfo), u8 cookie length
 *             (% 17), the cookie bytes, u16 tfo_mss, VARINT data length
 *             (<= PTCP_SCRIPT_IO_MAX); without tfo the cookie and mss are
 *             read and dropped.  (5 is the plain connect.)
 * SEG:
 *   u8  TCP flags
 *   u8  bits 0-3 reserved header bits, 4-5 ECN, 6 explicit ports, 7 explicit payload
 *   u32 seq (relative), u32 ack (relative), u16 window, u16 urgent pointer
 *   u8  option length (clamped to 40), option bytes
 *   VARINT payload length (<= PTCP_SCRIPT_SEG_PAYLOAD_MAX; explicit: <= bytes left)
 *   [payload bytes if explicit]
 *   [u16 sport, u16 dport if explicit ports]
 *   Wildcard fields are zeroed; a wildcard length drops the payload.
 *
 * The encoder writes the header, one CONFIG op per non-default field, an
 * ADDR op when the addresses are not the role's defaults, then per event a
 * DELAY op (when the delta is not 0) and the event's op.
 */
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

enum {
	OP_DELAY = 0,
	OP_SEGMENT,
	OP_EXPECT_SEG,
	OP_RAW,
	OP_ICMP,
	OP_CONNECT,
	OP_LISTEN,
	OP_SEND,
	OP_READ,
	OP_SHUTDOWN,
	OP_CLOSE,
	OP_ABORT,
	OP_TIME,
	OP_EXP_STATE,
	OP_EXP_EVENT,
	OP_EXP_READABLE,
	OP_EXP_WRITABLE,
	OP_EXP_DEADLINE,
	OP_EXP_RET,
	OP_CONFIG,
	OP_ADDR,
	OP_SETOPT,
	OP_CONNECT_X,
	OP_COUNT
};

/* The CONFIG op's field id of the 32 config flags (after the named fields). */
#define CFG_BIN_FLAGS CFG_COUNT

#define NICMP (PTCP_ICMP_KIND_COUNT - 1)
#define NEV   (PTCP_EV_COUNT - 1)

/* ---- Reader ------------------------------------------------------------- */
struct rd {
	const uint8_t *p, *end;
};

static size_t avail(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static uint8_t u8(struct rd *r)
{
	return r->p < r->end ? *r->p++ : 0;
}

static uint16_t u16(struct rd *r)
{
	uint16_t lo = u8(r);
	return (uint16_t)(lo | (uint16_t)u8(r) << 8);
}

static uint32_t u32(struct rd *r)
{
	uint32_t lo = u16(r);
	return lo | (uint32_t)u16(r) << 16;
}

static uint64_t varint(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 10 && r->p < r->end; i++) {
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	return v;
}

static void bytes(struct rd *r, uint8_t *dst, size_t n)
{
	size_t k = avail(r) < n ? avail(r) : n;
	memcpy(dst, r->p, k);
	r->p += k;
	memset(dst + k, 0, n - k);
}

static uint64_t clamp(uint64_t v, uint64_t max)
{
	return v > max ? max : v;
}

/* n bytes (n <= avail) into a new buffer; NULL when out of memory. */
static uint8_t *take(struct rd *r, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (b)
		bytes(r, b, n);
	return b;
}

/* ---- Writer ------------------------------------------------------------- */
struct wr {
	uint8_t *p;
	size_t n, cap;
	int oom;
};

static void w_bytes(struct wr *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->n + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->oom = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void w8(struct wr *w, unsigned v)
{
	uint8_t b = (uint8_t)v;
	w_bytes(w, &b, 1);
}

static void w16(struct wr *w, unsigned v)
{
	w8(w, v & 0xff);
	w8(w, (v >> 8) & 0xff);
}

static void w32(struct wr *w, uint32_t v)
{
	w16(w, v & 0xffff);
	w16(w, v >> 16);
}

static void wvar(struct wr *w, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		w8(w, v ? (b | 0x80u) : b);
	} while (v);
}

/* ---- Decoding ----------------------------------------------------------- */
static int dec_seg(struct rd *r, ptcp_script_seg *g, int expect)
{
	if (expect)
		g->wild = u8(r) & PTCP_SCRIPT_WILD_ALL;
	g->flags = u8(r);
	uint8_t misc = u8(r);
	g->reserved = misc & 0x0f;
	g->ecn = (misc >> 4) & 3;
	g->has_ports = (misc >> 6) & 1;
	int explicit_payload = misc >> 7;
	g->seq = u32(r);
	g->ack = u32(r);
	g->win = u16(r);
	g->urp = u16(r);
	g->opt_len = (uint8_t)clamp(u8(r), PTCP_TCP_OPT_MAX);
	bytes(r, g->opt, g->opt_len);
	g->len = (uint32_t)clamp(varint(r), PTCP_SCRIPT_SEG_PAYLOAD_MAX);
	if (g->wild & PTCP_SCRIPT_WILD_LEN) {
		g->len = 0;
	} else if (explicit_payload) {
		g->len = (uint32_t)clamp(g->len, avail(r));
		g->payload = take(r, g->len);
		if (!g->payload)
			return PTCP_SCRIPT_ENOMEM;
	}
	if (g->has_ports) {
		g->sport = u16(r);
		g->dport = u16(r);
	}
	if (g->wild & PTCP_SCRIPT_WILD_SEQ)
		g->seq = 0;
	if (g->wild & PTCP_SCRIPT_WILD_ACK)
		g->ack = 0;
	if (g->wild & PTCP_SCRIPT_WILD_WIN)
		g->win = 0;
	if (g->wild & PTCP_SCRIPT_WILD_OPTS)
		g->opt_len = 0;
	return 0;
}

static void dec_addr(struct rd *r, ptcp_script *s)
{
	int v6 = u8(r) & 1;
	size_t n = v6 ? 16 : 4;
	memset(&s->local_addr, 0, sizeof s->local_addr);
	memset(&s->peer_addr, 0, sizeof s->peer_addr);
	s->local_addr.family = s->peer_addr.family = v6 ? 6 : 4;
	bytes(r, s->local_addr.bytes, n);
	s->local_port = u16(r);
	bytes(r, s->peer_addr.bytes, n);
	s->peer_port = u16(r);
}

static int dec_ops(struct rd *r, ptcp_script *s)
{
	uint64_t pending = 0;
	while (avail(r)) {
		unsigned op = u8(r) % OP_COUNT;
		if (op == OP_DELAY) {
			uint64_t v = varint(r);
			pending =
			    v > PTCP_SCRIPT_TIME_MAX - pending ? PTCP_SCRIPT_TIME_MAX : pending + v;
			continue;
		}
		if (op == OP_CONFIG) {
			unsigned id = u8(r) % (CFG_COUNT + 1);
			uint64_t v = varint(r);
			if (id == CFG_BIN_FLAGS)
				s->cfg.flags = ((uint32_t)v ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) &
				               PTCP_SCRIPT_CFG_FLAGS_ALL;
			else
				ptcp_script__cfg_set(&s->cfg, id, v);
			continue;
		}
		if (op == OP_ADDR) {
			dec_addr(r, s);
			continue;
		}
		static const ptcp_script_kind kind_of[OP_COUNT] = {
		    [OP_SEGMENT] = PTCP_SCRIPT_SEGMENT,
		    [OP_EXPECT_SEG] = PTCP_SCRIPT_EXPECT_SEG,
		    [OP_RAW] = PTCP_SCRIPT_RAW,
		    [OP_ICMP] = PTCP_SCRIPT_ICMP,
		    [OP_CONNECT] = PTCP_SCRIPT_CONNECT,
		    [OP_LISTEN] = PTCP_SCRIPT_LISTEN,
		    [OP_SEND] = PTCP_SCRIPT_SEND,
		    [OP_READ] = PTCP_SCRIPT_READ,
		    [OP_SHUTDOWN] = PTCP_SCRIPT_SHUTDOWN,
		    [OP_CLOSE] = PTCP_SCRIPT_CLOSE,
		    [OP_ABORT] = PTCP_SCRIPT_ABORT,
		    [OP_TIME] = PTCP_SCRIPT_TIME,
		    [OP_EXP_STATE] = PTCP_SCRIPT_EXPECT_STATE,
		    [OP_EXP_EVENT] = PTCP_SCRIPT_EXPECT_EVENT,
		    [OP_EXP_READABLE] = PTCP_SCRIPT_EXPECT_READABLE,
		    [OP_EXP_WRITABLE] = PTCP_SCRIPT_EXPECT_WRITABLE,
		    [OP_EXP_DEADLINE] = PTCP_SCRIPT_EXPECT_DEADLINE,
		    [OP_EXP_RET] = PTCP_SCRIPT_EXPECT_RET,
		    [OP_SETOPT] = PTCP_SCRIPT_SETOPT,
		    [OP_CONNECT_X] = PTCP_SCRIPT_CONNECT,
		};
		if (s->n >= PTCP_SCRIPT_EVENTS_MAX)
			break;
		ptcp_script_event *e = ptcp_script_push(s, kind_of[op]);
		if (!e)
			return PTCP_SCRIPT_ENOMEM;
		e->delta = pending;
		pending = 0;
		uint64_t v;
		uint8_t b;
		switch (op) {
		case OP_SEGMENT:
		case OP_EXPECT_SEG:
			if (dec_seg(r, &e->seg, op == OP_EXPECT_SEG))
				return PTCP_SCRIPT_ENOMEM;
			break;
		case OP_RAW:
			v = u16(r); /* before avail(): argument order is unspecified */
			e->raw.len = (uint32_t)clamp(v, avail(r));
			if (e->raw.len && !(e->raw.data = take(r, e->raw.len)))
				return PTCP_SCRIPT_ENOMEM;
			break;
		case OP_ICMP:
			e->icmp.type = (uint8_t)(u8(r) % NICMP + 1);
			e->icmp.mtu = (uint32_t)clamp(varint(r), UINT32_MAX);
			e->icmp.seq = u32(r);
			break;
		case OP_SETOPT:
			b = u8(r);
			e->setopt.flags =
			    ((b & 1) ? PTCP_CFG_NODELAY : 0u) | ((b & 2) ? PTCP_CFG_CORK : 0u);
			e->setopt.keepalive_cnt = u8(r);
			e->setopt.challenge_ack_limit = (uint32_t)clamp(varint(r), UINT32_MAX);
			e->setopt.keepalive_idle = clamp(varint(r), PTCP_SCRIPT_TIME_MAX);
			e->setopt.keepalive_intvl = clamp(varint(r), PTCP_SCRIPT_TIME_MAX);
			e->setopt.user_timeout = clamp(varint(r), PTCP_SCRIPT_TIME_MAX);
			e->setopt.delack = clamp(varint(r), PTCP_SCRIPT_TIME_MAX);
			break;
		case OP_CONNECT_X: {
			uint8_t tfo = u8(r) & 1, n = (uint8_t)(u8(r) % (PTCP_TFO_COOKIE_MAX + 1));
			uint8_t cookie[PTCP_TFO_COOKIE_MAX] = {0};
			uint16_t mss;
			bytes(r, cookie, n);
			mss = u16(r);
			e->connect.len = (uint32_t)clamp(varint(r), PTCP_SCRIPT_IO_MAX);
			if (tfo) {
				e->connect.tfo = 1;
				e->connect.tfo_len = n;
				memcpy(e->connect.tfo_cookie, cookie, n);
				e->connect.tfo_mss = mss;
			}
			break;
		}
		case OP_LISTEN:
			e->listen.any = u8(r) & 1;
			break;
		case OP_SEND:
			b = u8(r);
			e->send.more = b & 1;
			e->send.len = (uint32_t)clamp(varint(r), PTCP_SCRIPT_IO_MAX);
			if (b & 2) {
				e->send.len = (uint32_t)clamp(e->send.len, avail(r));
				if (!(e->send.data = take(r, e->send.len)))
					return PTCP_SCRIPT_ENOMEM;
			}
			break;
		case OP_READ:
			e->read.discard = u8(r) & 1;
			e->read.len = (uint32_t)clamp(varint(r), PTCP_SCRIPT_IO_MAX);
			break;
		case OP_SHUTDOWN:
			e->shutdown.how = (uint8_t)(u8(r) % 3 + 1);
			break;
		case OP_EXP_STATE:
			b = u8(r) % (PTCP_STATE_COUNT + 1);
			e->state.from = b == PTCP_STATE_COUNT ? PTCP_SCRIPT_STATE_ANY : b;
			e->state.to = u8(r) % PTCP_STATE_COUNT;
			break;
		case OP_EXP_EVENT:
			e->event.ev = (uint8_t)(u8(r) % NEV + 1);
			e->event.err = (int8_t) - (int)(u8(r) % PTCP_SCRIPT_NERR);
			break;
		case OP_EXP_READABLE:
			e->readable = (uint32_t)clamp(varint(r), UINT32_MAX);
			break;
		case OP_EXP_WRITABLE:
			e->writable = (uint32_t)clamp(varint(r), UINT32_MAX);
			break;
		case OP_EXP_DEADLINE:
			v = varint(r);
			e->deadline =
			    v ? clamp(v - 1, PTCP_SCRIPT_TIME_MAX) : PTCP_SCRIPT_DEADLINE_NEVER;
			break;
		case OP_EXP_RET: {
			v = varint(r);
			int64_t x = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
			e->ret = (int32_t)(x < INT32_MIN   ? INT32_MIN
			                   : x > INT32_MAX ? INT32_MAX
			                                   : x);
			break;
		}
		default:
			break; /* CONNECT, CLOSE, ABORT, TIME: no operands */
		}
	}
	return 0;
}

int ptcp_script_decode_binary(const uint8_t *buf, size_t len, ptcp_script *out)
{
	/* NULL + 0 is undefined in C: an empty input reads from a static byte. */
	static const uint8_t none[1];
	struct rd r = {buf ? buf : none, buf ? buf + len : none};
	ptcp_script_init(out);
	out->role = (u8(&r) & 1) ? PTCP_SCRIPT_SERVER : PTCP_SCRIPT_CLIENT;
	out->cfg.flags = ((u8(&r) ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) & 0xffu) |
	                 (PTCP_SCRIPT_CFG_FLAGS_DEFAULT & ~0xffu);
	out->isn_local = u32(&r);
	out->isn_peer = u32(&r);
	ptcp_script_default_addr(out, out->role, 4);
	int rc = dec_ops(&r, out);
	if (rc)
		ptcp_script_free(out);
	return rc;
}

/* ---- Encoding ----------------------------------------------------------- */
static void enc_seg(struct wr *w, const ptcp_script_seg *g, int expect)
{
	if (expect)
		w8(w, g->wild & PTCP_SCRIPT_WILD_ALL);
	w8(w, g->flags);
	w8(w, (unsigned)(g->reserved & 0x0f) | (unsigned)(g->ecn & 3) << 4 |
	          (g->has_ports ? 0x40u : 0u) | (g->payload ? 0x80u : 0u));
	w32(w, g->seq);
	w32(w, g->ack);
	w16(w, g->win);
	w16(w, g->urp);
	w8(w, g->opt_len);
	w_bytes(w, g->opt, g->opt_len);
	wvar(w, g->len);
	if (g->payload)
		w_bytes(w, g->payload, g->len);
	if (g->has_ports) {
		w16(w, g->sport);
		w16(w, g->dport);
	}
}

static void enc_event(struct wr *w, const ptcp_script_event *e)
{
	if (e->delta) {
		w8(w, OP_DELAY);
		wvar(w, e->delta);
	}
	switch (e->kind) {
	case PTCP_SCRIPT_SEGMENT:
		w8(w, OP_SEGMENT);
		enc_seg(w, &e->seg, 0);
		break;
	case PTCP_SCRIPT_EXPECT_SEG:
		w8(w, OP_EXPECT_SEG);
		enc_seg(w, &e->seg, 1);
		break;
	case PTCP_SCRIPT_RAW:
		w8(w, OP_RAW);
		w16(w, e->raw.len);
		w_bytes(w, e->raw.data, e->raw.len);
		break;
	case PTCP_SCRIPT_ICMP:
		w8(w, OP_ICMP);
		w8(w, (unsigned)(e->icmp.type - 1));
		wvar(w, e->icmp.mtu);
		w32(w, e->icmp.seq);
		break;
	case PTCP_SCRIPT_CONNECT:
		if (!e->connect.tfo && !e->connect.len) {
			w8(w, OP_CONNECT);
			break;
		}
		w8(w, OP_CONNECT_X);
		w8(w, e->connect.tfo);
		w8(w, e->connect.tfo_len);
		w_bytes(w, e->connect.tfo_cookie, e->connect.tfo_len);
		w16(w, e->connect.tfo_mss);
		wvar(w, e->connect.len);
		break;
	case PTCP_SCRIPT_SETOPT:
		w8(w, OP_SETOPT);
		w8(w, ((e->setopt.flags & PTCP_CFG_NODELAY) ? 1u : 0u) |
		          ((e->setopt.flags & PTCP_CFG_CORK) ? 2u : 0u));
		w8(w, e->setopt.keepalive_cnt);
		wvar(w, e->setopt.challenge_ack_limit);
		wvar(w, e->setopt.keepalive_idle);
		wvar(w, e->setopt.keepalive_intvl);
		wvar(w, e->setopt.user_timeout);
		wvar(w, e->setopt.delack);
		break;
	case PTCP_SCRIPT_LISTEN:
		w8(w, OP_LISTEN);
		w8(w, e->listen.any);
		break;
	case PTCP_SCRIPT_SEND:
		w8(w, OP_SEND);
		w8(w, (e->send.more ? 1u : 0u) | (e->send.data ? 2u : 0u));
		wvar(w, e->send.len);
		if (e->send.data)
			w_bytes(w, e->send.data, e->send.len);
		break;
	case PTCP_SCRIPT_READ:
		w8(w, OP_READ);
		w8(w, e->read.discard);
		wvar(w, e->read.len);
		break;
	case PTCP_SCRIPT_SHUTDOWN:
		w8(w, OP_SHUTDOWN);
		w8(w, (unsigned)(e->shutdown.how - 1));
		break;
	case PTCP_SCRIPT_CLOSE:
		w8(w, OP_CLOSE);
		break;
	case PTCP_SCRIPT_ABORT:
		w8(w, OP_ABORT);
		break;
	case PTCP_SCRIPT_TIME:
		w8(w, OP_TIME);
		break;
	case PTCP_SCRIPT_EXPECT_STATE:
		w8(w, OP_EXP_STATE);
		w8(w, e->state.from == PTCP_SCRIPT_STATE_ANY ? PTCP_STATE_COUNT : e->state.from);
		w8(w, e->state.to);
		break;
	case PTCP_SCRIPT_EXPECT_EVENT:
		w8(w, OP_EXP_EVENT);
		w8(w, (unsigned)(e->event.ev - 1));
		w8(w, (unsigned)-e->event.err);
		break;
	case PTCP_SCRIPT_EXPECT_READABLE:
		w8(w, OP_EXP_READABLE);
		wvar(w, e->readable);
		break;
	case PTCP_SCRIPT_EXPECT_WRITABLE:
		w8(w, OP_EXP_WRITABLE);
		wvar(w, e->writable);
		break;
	case PTCP_SCRIPT_EXPECT_DEADLINE:
		w8(w, OP_EXP_DEADLINE);
		wvar(w, e->deadline == PTCP_SCRIPT_DEADLINE_NEVER ? 0 : e->deadline + 1);
		break;
	case PTCP_SCRIPT_EXPECT_RET: {
		int64_t x = e->ret;
		w8(w, OP_EXP_RET);
		wvar(w, ((uint64_t)x << 1) ^ (uint64_t)(x >> 63));
		break;
	}
	default:
		break;
	}
}

static int addr_is_default(const ptcp_script *s)
{
	ptcp_script d;
	memset(&d, 0, sizeof d);
	ptcp_script_default_addr(&d, s->role, 4);
	return s->local_addr.family == 4 && s->peer_addr.family == 4 &&
	       memcmp(s->local_addr.bytes, d.local_addr.bytes, 16) == 0 &&
	       memcmp(s->peer_addr.bytes, d.peer_addr.bytes, 16) == 0 &&
	       s->local_port == d.local_port && s->peer_port == d.peer_port;
}

int ptcp_script_encode_binary(const ptcp_script *s, uint8_t **out, size_t *len)
{
	struct wr w = {0};
	ptcp_script_config d;
	ptcp_script_config_default(&d);
	w8(&w, s->role == PTCP_SCRIPT_SERVER ? 1 : 0);
	w8(&w, (s->cfg.flags ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) & 0xffu);
	w32(&w, s->isn_local);
	w32(&w, s->isn_peer);
	if ((s->cfg.flags ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) & ~0xffu) {
		w8(&w, OP_CONFIG);
		w8(&w, CFG_BIN_FLAGS);
		wvar(&w,
		     (s->cfg.flags ^ PTCP_SCRIPT_CFG_FLAGS_DEFAULT) & PTCP_SCRIPT_CFG_FLAGS_ALL);
	}
	for (unsigned id = 0; id < CFG_COUNT; id++) {
		uint64_t v = ptcp_script__cfg_get(&s->cfg, id);
		if (v == ptcp_script__cfg_get(&d, id))
			continue;
		w8(&w, OP_CONFIG);
		w8(&w, id);
		wvar(&w, v);
	}
	if (!addr_is_default(s)) {
		int v6 = s->local_addr.family == 6;
		size_t n = v6 ? 16 : 4;
		w8(&w, OP_ADDR);
		w8(&w, v6 ? 1 : 0);
		w_bytes(&w, s->local_addr.bytes, n);
		w16(&w, s->local_port);
		w_bytes(&w, s->peer_addr.bytes, n);
		w16(&w, s->peer_port);
	}
	for (size_t i = 0; i < s->n; i++)
		enc_event(&w, &s->ev[i]);
	if (w.oom) {
		free(w.p);
		*out = NULL;
		*len = 0;
		return PTCP_SCRIPT_ENOMEM;
	}
	*out = w.p;
	*len = w.n;
	return 0;
}
