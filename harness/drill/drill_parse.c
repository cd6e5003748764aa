/*
 * drill_parse.c - recursive-descent parser for packetdrill scripts (see syntax.md upstream).
 *
 *   script  := option* [`init`] event+ [`cleanup`]
 *   event   := time action
 *   time    := T | +T | * | T~T | +T~+T            (T: integer or decimal seconds)
 *   action  := packet | syscall | `command` | %{ code }%
 *   packet  := (<|>) layer* [ipinfo] (tcp | udp | icmp)
 *   tcp     := [port>port] flags seq [ack N] [win N] [urg N] [<options>|<...>]
 *   syscall := [...T] name(expr, ...) = expr [ERRNO] [(note words)]
 *
 * The first error stops the parse: every function returns false/NULL once p->failed is set, and
 * all memory lives in the script's arena, so nothing leaks on the way out.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_internal.h"

#define MAX_DEPTH 100 /* nesting of expressions */

struct parser {
	struct ptcp_drill_lexer lx;
	struct ptcp_drill_token tok; /* lookahead */
	int prev_line;               /* line of the last token consumed */
	struct ptcp_drill_arena **arena;
	struct ptcp_drill_error *err;
	bool failed;
	int depth;
};

/* A growable array in the arena (old copies are left behind; at most doubles the usage). */
struct vec {
	void *data;
	size_t n;
	size_t cap;
};

/* ---- Errors and tokens ------------------------------------------------------------------ */

static bool fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	if (p->failed)
		return false;
	p->failed = true;
	p->err->line = line;
	p->err->col = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* "expected WHAT, found TOKEN" at the lookahead (or the lexer's own message). */
static bool expected(struct parser *p, const char *what)
{
	char found[96];
	if (p->tok.kind == PTCP_DRILL_TK_ERROR)
		return fail_at(p, p->tok.line, p->tok.col, "%s", p->tok.msg);
	ptcp_drill_tok_describe(&p->lx, &p->tok, found, sizeof(found));
	return fail_at(p, p->tok.line, p->tok.col, "expected %s, found %s", what, found);
}

static void next(struct parser *p)
{
	if (p->tok.kind == PTCP_DRILL_TK_EOF || p->tok.kind == PTCP_DRILL_TK_ERROR)
		return;
	p->prev_line = p->tok.line;
	ptcp_drill_lex_next(&p->lx, &p->tok);
}

static bool is_punct(const struct parser *p, char c)
{
	return p->tok.kind == PTCP_DRILL_TK_PUNCT && p->tok.ch == c;
}

static bool accept_punct(struct parser *p, char c)
{
	if (!is_punct(p, c))
		return false;
	next(p);
	return true;
}

static bool expect_punct(struct parser *p, char c, const char *what)
{
	if (accept_punct(p, c))
		return true;
	return expected(p, what);
}

static size_t tok_len(const struct ptcp_drill_token *t)
{
	return t->end - t->start;
}

static bool is_word(const struct parser *p, const char *w)
{
	size_t n = strlen(w);
	return p->tok.kind == PTCP_DRILL_TK_WORD && tok_len(&p->tok) == n &&
	       memcmp(p->lx.src + p->tok.start, w, n) == 0;
}

static bool accept_word(struct parser *p, const char *w)
{
	if (!is_word(p, w))
		return false;
	next(p);
	return true;
}

static void *alloc(struct parser *p, size_t size)
{
	void *m = ptcp_drill_arena_alloc(p->arena, size);
	if (m == NULL)
		fail_at(p, 0, 0, "out of memory");
	return m;
}

static char *dup_range(struct parser *p, size_t start, size_t end)
{
	char *s = ptcp_drill_arena_strndup(p->arena, p->lx.src + start, end - start);
	if (s == NULL)
		fail_at(p, 0, 0, "out of memory");
	return s;
}

static char *tok_text(struct parser *p)
{
	return dup_range(p, p->tok.start, p->tok.end);
}

static void *vec_push(struct parser *p, struct vec *v, size_t elem)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		void *d = alloc(p, cap * elem);
		if (d == NULL)
			return NULL;
		if (v->n)
			memcpy(d, v->data, v->n * elem);
		v->data = d;
		v->cap = cap;
	}
	return (char *)v->data + elem * v->n++;
}

/* ---- Numbers and times ------------------------------------------------------------------ */

/* A non-negative integer (decimal or hex) no larger than max. */
static bool parse_uint(struct parser *p, const char *what, uint64_t max, uint32_t *out)
{
	if (p->tok.kind != PTCP_DRILL_TK_INT && p->tok.kind != PTCP_DRILL_TK_HEX) {
		char e[96];
		snprintf(e, sizeof(e), "%s (an integer)", what);
		return expected(p, e);
	}
	if (p->tok.num < 0 || (uint64_t)p->tok.num > max)
		return fail_at(p, p->tok.line, p->tok.col, "%s %lld out of range (0..%llu)", what,
		               (long long)p->tok.num, (unsigned long long)max);
	*out = (uint32_t)p->tok.num;
	next(p);
	return true;
}

/* Seconds as written ("2", "0.011", ".5") to microseconds, rounding past 6 decimals. */
static bool parse_seconds(struct parser *p, const char *what, int64_t *usecs)
{
	const struct ptcp_drill_token *t = &p->tok;
	if (t->kind != PTCP_DRILL_TK_INT && t->kind != PTCP_DRILL_TK_FLOAT) {
		char e[128];
		snprintf(e, sizeof(e), "%s (seconds, like 0, 1.5 or .01)", what);
		return expected(p, e);
	}
	const char *s = p->lx.src + t->start;
	const char *end = p->lx.src + t->end;
	if (*s == '-')
		return fail_at(p, t->line, t->col, "negative time is not allowed");
	int64_t whole = 0;
	while (s < end && *s != '.') {
		whole = whole * 10 + (*s++ - '0');
		if (whole >= 1000000000000) /* 10^12 s keeps the microseconds far from overflow */
			return fail_at(p, t->line, t->col, "time out of range");
	}
	int64_t frac = 0;
	int digits = 0;
	bool round_up = false;
	if (s < end)
		s++; /* '.' */
	for (; s < end; s++, digits++) {
		if (digits < 6)
			frac = frac * 10 + (*s - '0');
		else if (digits == 6)
			round_up = *s >= '5';
	}
	for (; digits < 6; digits++)
		frac *= 10;
	*usecs = whole * 1000000 + frac + (round_up ? 1 : 0);
	next(p);
	return true;
}

static bool parse_event_time(struct parser *p, struct ptcp_drill_time *t)
{
	int line = p->tok.line, col = p->tok.col;
	memset(t, 0, sizeof(*t));
	if (accept_punct(p, '*')) {
		t->kind = PTCP_DRILL_TIME_ANY;
		return true;
	}
	if (accept_punct(p, '+')) {
		t->kind = PTCP_DRILL_TIME_RELATIVE;
		if (!parse_seconds(p, "a time after '+'", &t->usecs))
			return false;
		t->end_usecs = t->usecs;
		if (accept_punct(p, '~')) {
			t->range = true;
			if (!expect_punct(p, '+', "'+' after '~' in a relative time range"))
				return false;
			if (!parse_seconds(p, "the end of the time range", &t->end_usecs))
				return false;
		}
	} else if (p->tok.kind == PTCP_DRILL_TK_INT || p->tok.kind == PTCP_DRILL_TK_FLOAT) {
		t->kind = PTCP_DRILL_TIME_ABSOLUTE;
		if (!parse_seconds(p, "a time", &t->usecs))
			return false;
		t->end_usecs = t->usecs;
		if (accept_punct(p, '~')) {
			t->range = true;
			if (is_punct(p, '+'))
				return expected(
				    p, "an absolute time after '~' (the start is absolute)");
			if (!parse_seconds(p, "the end of the time range", &t->end_usecs))
				return false;
		}
	} else {
		return expected(p, "an event time (like 0, +0.1, *, 0.1~0.2 or +0~+0.1)");
	}
	if (t->end_usecs < t->usecs)
		return fail_at(p, line, col, "time range is backwards");
	return true;
}

/* ---- Packets ---------------------------------------------------------------------------- */

static bool parse_ip_info(struct parser *p, struct ptcp_drill_ip_info *ip)
{
	char close = is_punct(p, '(') ? ')' : ']';
	next(p);
	for (;;) {
		uint32_t v = 0;
		if (accept_word(p, "noecn")) {
			ip->ecn = PTCP_DRILL_ECN_NOECN;
		} else if (accept_word(p, "ect0")) {
			ip->ecn = PTCP_DRILL_ECN_ECT0;
		} else if (accept_word(p, "ect1")) {
			ip->ecn = PTCP_DRILL_ECN_ECT1;
		} else if (accept_word(p, "ce")) {
			ip->ecn = PTCP_DRILL_ECN_CE;
		} else if (accept_word(p, "ect01")) {
			ip->ecn = PTCP_DRILL_ECN_ECT01;
		} else if (accept_word(p, "tos")) {
			if (!parse_uint(p, "tos", 0xff, &v))
				return false;
			ip->has_tos = true;
			ip->tos = (uint8_t)v;
		} else if (accept_word(p, "flowlabel")) {
			if (!parse_uint(p, "flowlabel", 0xfffff, &v))
				return false;
			ip->has_flowlabel = true;
			ip->flowlabel = v;
		} else if (accept_word(p, "ttl")) {
			if (!parse_uint(p, "ttl", 0xff, &v))
				return false;
			ip->has_ttl = true;
			ip->ttl = (uint8_t)v;
		} else {
			return expected(p, "an IP annotation (noecn, ect0, ect1, ce, ect01, tos N, "
			                   "flowlabel N or ttl N)");
		}
		if (accept_punct(p, close))
			return true;
		if (!accept_punct(p, ','))
			return expected(p, close == ')' ? "',' or ')' in the IP annotation"
			                                : "',' or ']' in the IP annotation");
	}
}

static bool parse_addr(struct parser *p, bool v6, char **out)
{
	const struct ptcp_drill_token *t = &p->tok;
	bool ok =
	    v6 ? (t->kind == PTCP_DRILL_TK_INT || t->kind == PTCP_DRILL_TK_HEX ||
	          t->kind == PTCP_DRILL_TK_WORD || t->kind == PTCP_DRILL_TK_FLOAT ||
	          t->kind == PTCP_DRILL_TK_IPV4 || (t->kind == PTCP_DRILL_TK_PUNCT && t->ch == ':'))
	       : t->kind == PTCP_DRILL_TK_IPV4;
	if (ok && v6) {
		ptcp_drill_lex_addr(&p->lx, &p->tok);
		ok = p->tok.kind == PTCP_DRILL_TK_ADDR &&
		     memchr(p->lx.src + t->start, ':', tok_len(t));
		if (!ok)
			return fail_at(p, t->line, t->col, "expected an IPv6 address");
	}
	if (!ok)
		return expected(p, v6 ? "an IPv6 address" : "an IPv4 address (like 192.0.2.1)");
	*out = tok_text(p);
	next(p);
	return *out != NULL;
}

static bool parse_gre(struct parser *p, struct ptcp_drill_layer *l)
{
	l->kind = PTCP_DRILL_LAYER_GRE;
	if (is_punct(p, ':'))
		return true;
	accept_punct(p, ',');
	l->gre_has_header = true;
	if (!accept_word(p, "flags") && !accept_word(p, "Flags"))
		return expected(p, "':' or the GRE header ('flags ...')");
	if (accept_punct(p, '[')) {
		for (;;) {
			uint32_t bit = 0;
			if (accept_word(p, "none")) {
			} else if (accept_word(p, "checksum")) {
				bit = 0x8000;
			} else if (accept_word(p, "key")) {
				bit = 0x2000;
			} else if (accept_word(p, "sequence")) {
				if (!expect_punct(p, '#', "'#' after 'sequence'"))
					return false;
				bit = 0x1000;
			} else {
				return expected(
				    p, "a GRE flag (none, checksum present, key present or "
				       "sequence# present)");
			}
			if (bit && !accept_word(p, "present"))
				return expected(p, "'present' after the GRE flag");
			l->gre_flags |= bit;
			if (accept_punct(p, ']'))
				break;
			if (!expect_punct(p, ',', "',' or ']' in the GRE flags"))
				return false;
		}
	} else if (!parse_uint(p, "GRE flags", 0xffff, &l->gre_flags)) {
		return false;
	}
	static const char *const names[] = {"sum", "off", "key", "seq"};
	uint32_t *vals[] = {&l->gre_sum, &l->gre_off, &l->gre_key, &l->gre_seq};
	for (int i = 0; i < 4; i++) {
		accept_punct(p, ',');
		if (!accept_word(p, names[i])) {
			char e[64];
			snprintf(e, sizeof(e), "'%s' in the GRE header", names[i]);
			return expected(p, e);
		}
		if (i == 2)
			accept_punct(p, '=');
		if (!parse_uint(p, names[i], i < 2 ? 0xffff : 0xffffffffu, vals[i]))
			return false;
	}
	return true;
}

static bool parse_mpls(struct parser *p, struct ptcp_drill_layer *l)
{
	struct vec v = {0};
	l->kind = PTCP_DRILL_LAYER_MPLS;
	while (accept_punct(p, '(')) {
		struct ptcp_drill_mpls_entry *e = vec_push(p, &v, sizeof(*e));
		if (e == NULL)
			return false;
		if (!accept_word(p, "label"))
			return expected(p, "'label' in the MPLS entry");
		if (!parse_uint(p, "MPLS label", 0xfffff, &e->label) ||
		    !expect_punct(p, ',', "',' after the MPLS label"))
			return false;
		if (!accept_word(p, "tc"))
			return expected(p, "'tc' in the MPLS entry");
		if (!parse_uint(p, "MPLS tc", 7, &e->tc) ||
		    !expect_punct(p, ',', "',' after the MPLS tc"))
			return false;
		if (accept_punct(p, '[')) {
			if (!accept_word(p, "S"))
				return expected(p, "'S' (bottom of the MPLS stack)");
			if (!expect_punct(p, ']', "']' after 'S'") ||
			    !expect_punct(p, ',', "',' after '[S]'"))
				return false;
			e->bottom = true;
		}
		if (!accept_word(p, "ttl"))
			return expected(p, "'ttl' in the MPLS entry");
		if (!parse_uint(p, "MPLS ttl", 0xff, &e->ttl) ||
		    !expect_punct(p, ')', "')' after the MPLS entry"))
			return false;
	}
	l->mpls = v.data;
	l->n_mpls = v.n;
	return !p->failed;
}

static bool parse_layers(struct parser *p, struct ptcp_drill_packet *pk)
{
	struct vec v = {0};
	for (;;) {
		bool v4 = is_word(p, "ipv4"), v6 = is_word(p, "ipv6");
		bool gre = is_word(p, "gre") || is_word(p, "GREv0"), mpls = is_word(p, "mpls");
		if (!v4 && !v6 && !gre && !mpls)
			break;
		struct ptcp_drill_layer *l = vec_push(p, &v, sizeof(*l));
		if (l == NULL)
			return false;
		next(p);
		if (v4 || v6) {
			l->kind = v4 ? PTCP_DRILL_LAYER_IPV4 : PTCP_DRILL_LAYER_IPV6;
			if ((is_punct(p, '(') || is_punct(p, '[')) && !parse_ip_info(p, &l->ip))
				return false;
			if (!parse_addr(p, v6, &l->src) ||
			    !expect_punct(p, '>', "'>' between the addresses") ||
			    !parse_addr(p, v6, &l->dst))
				return false;
		} else if (gre) {
			if (!parse_gre(p, l))
				return false;
		} else if (!parse_mpls(p, l)) {
			return false;
		}
		if (!expect_punct(p, ':', "':' after the encapsulation header"))
			return false;
	}
	pk->layers = v.data;
	pk->n_layers = v.n;
	return true;
}

static bool parse_ports(struct parser *p, struct ptcp_drill_packet *pk)
{
	uint32_t a = 0, b = 0;
	if (p->tok.kind != PTCP_DRILL_TK_INT)
		return true;
	if (!parse_uint(p, "source port", 0xffff, &a) ||
	    !expect_punct(p, '>', "'>' between the source and destination ports") ||
	    !parse_uint(p, "destination port", 0xffff, &b))
		return false;
	pk->has_ports = true;
	pk->src_port = (uint16_t)a;
	pk->dst_port = (uint16_t)b;
	return true;
}

static bool parse_flags(struct parser *p, struct ptcp_drill_packet *pk)
{
	static const char allowed[] = "FSRP.UEW";
	static const unsigned bits[] = {
	    PTCP_DRILL_FLAG_FIN, PTCP_DRILL_FLAG_SYN, PTCP_DRILL_FLAG_RST, PTCP_DRILL_FLAG_PSH,
	    PTCP_DRILL_FLAG_ACK, PTCP_DRILL_FLAG_URG, PTCP_DRILL_FLAG_ECE, PTCP_DRILL_FLAG_CWR,
	};
	const struct ptcp_drill_token *t = &p->tok;
	if (accept_punct(p, '-')) {
		strcpy(pk->flags, "-");
		return true;
	}
	if (accept_punct(p, '.')) {
		strcpy(pk->flags, ".");
		pk->flag_bits = PTCP_DRILL_FLAG_ACK;
		return true;
	}
	if (t->kind != PTCP_DRILL_TK_WORD)
		return expected(p, "TCP flags (like S, S., P., F., R, . or -)");
	size_t n = tok_len(t);
	const char *s = p->lx.src + t->start;
	for (size_t i = 0; i < n; i++) {
		const char *f = memchr(allowed, s[i], sizeof(allowed) - 1);
		if (f == NULL)
			return fail_at(
			    p, t->line, t->col + (int)i,
			    "bad TCP flag character '%c' (expected F, S, R, P, U, E, W or .)",
			    s[i]);
		pk->flag_bits |= bits[f - allowed];
	}
	if (n + 2 > sizeof(pk->flags))
		return fail_at(p, t->line, t->col, "TCP flags too long");
	memcpy(pk->flags, s, n);
	next(p);
	if (accept_punct(p, '.')) {
		pk->flags[n] = '.';
		pk->flag_bits |= PTCP_DRILL_FLAG_ACK;
	}
	return true;
}

/* start:end(len) */
static bool parse_seq(struct parser *p, uint32_t *seq, uint32_t *end, uint32_t *len)
{
	int line = p->tok.line, col = p->tok.col;
	if (p->tok.kind != PTCP_DRILL_TK_INT)
		return expected(p, "a sequence range start:end(length)");
	if (!parse_uint(p, "start sequence number", 0xffffffffu, seq) ||
	    !expect_punct(p, ':', "':' in the sequence range start:end(length)") ||
	    !parse_uint(p, "end sequence number", 0xffffffffu, end) ||
	    !expect_punct(p, '(', "'(' and the length after the sequence range") ||
	    !parse_uint(p, "payload length", 0xffff, len) ||
	    !expect_punct(p, ')', "')' after the payload length"))
		return false;
	if ((uint64_t)*seq + *len != *end)
		return fail_at(p, line, col,
		               "inconsistent sequence range %u:%u(%u): end must be start + length",
		               *seq, *end, *len);
	return true;
}

/* A hex blob (md5 key, fastopen cookie) or a symbol: a word or an integer, kept as text. */
static bool parse_blob(struct parser *p, char **out)
{
	*out = tok_text(p);
	next(p);
	return *out != NULL;
}

static bool parse_tcp_option(struct parser *p, struct ptcp_drill_tcp_option *o)
{
	if (accept_word(p, "nop")) {
		o->kind = PTCP_DRILL_OPT_NOP;
	} else if (accept_word(p, "eol")) {
		o->kind = PTCP_DRILL_OPT_EOL;
	} else if (accept_word(p, "mss")) {
		o->kind = PTCP_DRILL_OPT_MSS;
		return parse_uint(p, "mss", 0xffff, &o->value);
	} else if (accept_word(p, "wscale")) {
		o->kind = PTCP_DRILL_OPT_WSCALE;
		return parse_uint(p, "window scale", 0xff, &o->value);
	} else if (accept_word(p, "sackOK")) {
		o->kind = PTCP_DRILL_OPT_SACK_OK;
	} else if (accept_word(p, "sack")) {
		struct vec v = {0};
		o->kind = PTCP_DRILL_OPT_SACK;
		do {
			struct ptcp_drill_sack_block *b = vec_push(p, &v, sizeof(*b));
			if (b == NULL ||
			    !parse_uint(p, "SACK block left edge", 0xffffffffu, &b->left) ||
			    !expect_punct(p, ':', "':' in the SACK block left:right") ||
			    !parse_uint(p, "SACK block right edge", 0xffffffffu, &b->right))
				return false;
		} while (p->tok.kind == PTCP_DRILL_TK_INT);
		o->sack = v.data;
		o->n_sack = v.n;
	} else if (accept_word(p, "TS")) {
		o->kind = PTCP_DRILL_OPT_TS;
		if (!accept_word(p, "val"))
			return expected(p, "'val' after 'TS'");
		if (!parse_uint(p, "TS val", 0xffffffffu, &o->ts_val))
			return false;
		if (!accept_word(p, "ecr"))
			return expected(p, "'ecr' after the TS value");
		return parse_uint(p, "TS ecr", 0xffffffffu, &o->ts_ecr);
	} else if (accept_word(p, "md5")) {
		o->kind = PTCP_DRILL_OPT_MD5;
		if (p->tok.kind != PTCP_DRILL_TK_WORD && p->tok.kind != PTCP_DRILL_TK_INT)
			return expected(p, "the MD5 signature (hex digits) after 'md5'");
		return parse_blob(p, &o->blob);
	} else if (is_word(p, "FO") || is_word(p, "FOEXP")) {
		o->kind = is_word(p, "FO") ? PTCP_DRILL_OPT_FO : PTCP_DRILL_OPT_FO_EXP;
		next(p);
		if (p->tok.kind == PTCP_DRILL_TK_WORD || p->tok.kind == PTCP_DRILL_TK_INT)
			return parse_blob(p, &o->blob);
	} else {
		return expected(p, "a TCP option (nop, eol, mss N, wscale N, sackOK, sack L:R, "
		                   "TS val N ecr N, md5 HEX, FO [cookie], FOEXP [cookie])");
	}
	return true;
}

static bool parse_tcp_options(struct parser *p, struct ptcp_drill_packet *pk)
{
	int line = p->tok.line, col = p->tok.col;
	if (!accept_punct(p, '<'))
		return true;
	if (p->tok.kind == PTCP_DRILL_TK_ELLIPSIS) {
		next(p);
		if (!expect_punct(p, '>', "'>' after '<...'"))
			return false;
		if (pk->dir != PTCP_DRILL_OUT)
			return fail_at(
			    p, line, col,
			    "<...> for TCP options can only be used with outbound packets");
		pk->options_kind = PTCP_DRILL_OPTIONS_ANY;
		return true;
	}
	struct vec v = {0};
	for (;;) {
		struct ptcp_drill_tcp_option *o = vec_push(p, &v, sizeof(*o));
		if (o == NULL || !parse_tcp_option(p, o))
			return false;
		if (accept_punct(p, '>'))
			break;
		if (!accept_punct(p, ','))
			return expected(p, "',' or '>' in the TCP options");
	}
	pk->options_kind = PTCP_DRILL_OPTIONS_LIST;
	pk->options = v.data;
	pk->n_options = v.n;
	return true;
}

static bool parse_tcp(struct parser *p, struct ptcp_drill_packet *pk)
{
	pk->proto = PTCP_DRILL_TCP;
	if (!parse_ports(p, pk) || !parse_flags(p, pk) ||
	    !parse_seq(p, &pk->seq, &pk->end, &pk->len))
		return false;
	if (accept_word(p, "ack")) {
		pk->has_ack = true;
		if (!parse_uint(p, "ack", 0xffffffffu, &pk->ack))
			return false;
	}
	if (accept_word(p, "win")) {
		pk->has_win = true;
		if (!parse_uint(p, "window", 0xffff, &pk->win))
			return false;
	}
	if (accept_word(p, "urg")) {
		pk->has_urg = true;
		if (!parse_uint(p, "urgent pointer", 0xffff, &pk->urg))
			return false;
	}
	return parse_tcp_options(p, pk);
}

static bool parse_udp(struct parser *p, struct ptcp_drill_packet *pk)
{
	pk->proto = PTCP_DRILL_UDP;
	next(p);
	return parse_ports(p, pk) && expect_punct(p, '(', "'(' and the UDP payload length") &&
	       parse_uint(p, "UDP payload length", 0xffff, &pk->len) &&
	       expect_punct(p, ')', "')' after the UDP payload length");
}

static bool parse_icmp(struct parser *p, struct ptcp_drill_packet *pk)
{
	pk->proto = PTCP_DRILL_ICMP;
	next(p);
	if (p->tok.kind != PTCP_DRILL_TK_WORD)
		return expected(p, "the ICMP type (like unreachable)");
	if ((pk->icmp_type = tok_text(p)) == NULL)
		return false;
	next(p);
	if (p->tok.kind == PTCP_DRILL_TK_WORD && !is_word(p, "mtu") && !is_word(p, "id")) {
		if ((pk->icmp_code = tok_text(p)) == NULL)
			return false;
		next(p);
	}
	if (accept_word(p, "mtu")) {
		pk->has_mtu = true;
		if (!parse_uint(p, "mtu", 0xffffffffu, &pk->mtu))
			return false;
	}
	if (accept_word(p, "id")) {
		pk->has_icmp_id = true;
		if (!parse_uint(p, "ICMP id", 0xffff, &pk->icmp_id))
			return false;
	}
	if (!accept_punct(p, '['))
		return true;
	if (is_word(p, "udp") || is_word(p, "raw")) {
		pk->echoed = is_word(p, "udp") ? PTCP_DRILL_ECHOED_UDP : PTCP_DRILL_ECHOED_RAW;
		next(p);
		if (!expect_punct(p, '(', "'(' and the echoed payload length") ||
		    !parse_uint(p, "echoed payload length", 0xffff, &pk->echoed_len) ||
		    !expect_punct(p, ')', "')' after the echoed payload length"))
			return false;
	} else {
		pk->echoed = PTCP_DRILL_ECHOED_TCP;
		if (p->tok.kind != PTCP_DRILL_TK_INT)
			return expected(
			    p, "the echoed packet (start:end(length), udp (N) or raw (N))");
		if (!parse_seq(p, &pk->echoed_seq, &pk->echoed_end, &pk->echoed_len))
			return false;
	}
	return expect_punct(p, ']', "']' after the echoed packet");
}

static bool parse_packet(struct parser *p, struct ptcp_drill_packet *pk)
{
	int line = p->tok.line, col = p->tok.col;
	pk->dir = is_punct(p, '<') ? PTCP_DRILL_IN : PTCP_DRILL_OUT;
	next(p);
	if (!parse_layers(p, pk))
		return false;
	if ((is_punct(p, '(') || is_punct(p, '[')) && !parse_ip_info(p, &pk->ip))
		return false;
	if (pk->ip.ecn == PTCP_DRILL_ECN_ECT01 && pk->dir != PTCP_DRILL_OUT)
		return fail_at(p, line, col, "[ect01] can only be used with outbound packets");
	if (is_word(p, "udp"))
		return parse_udp(p, pk);
	if (is_word(p, "icmp"))
		return parse_icmp(p, pk);
	return parse_tcp(p, pk);
}

/* ---- Expressions and system calls ------------------------------------------------------- */

static struct ptcp_drill_expr *parse_expr(struct parser *p);

static struct ptcp_drill_expr *new_expr(struct parser *p, enum ptcp_drill_expr_kind kind)
{
	struct ptcp_drill_expr *e = alloc(p, sizeof(*e));
	if (e != NULL) {
		e->kind = kind;
		e->line = p->tok.line;
		e->col = p->tok.col;
	}
	return e;
}

/* expr, expr, ... up to the closing character (consumed). */
static bool parse_expr_list(struct parser *p, char close, const char *what,
                            struct ptcp_drill_expr ***items, size_t *n)
{
	struct vec v = {0};
	if (!accept_punct(p, close)) {
		for (;;) {
			struct ptcp_drill_expr **slot = vec_push(p, &v, sizeof(*slot));
			if (slot == NULL || (*slot = parse_expr(p)) == NULL)
				return false;
			if (accept_punct(p, close))
				break;
			if (!accept_punct(p, ','))
				return expected(p, what);
		}
	}
	*items = v.data;
	*n = v.n;
	return true;
}

static struct ptcp_drill_expr *parse_word_expr(struct parser *p)
{
	struct ptcp_drill_expr *e = new_expr(p, PTCP_DRILL_EXPR_WORD);
	if (e == NULL || (e->str = tok_text(p)) == NULL)
		return NULL;
	next(p);
	if (accept_punct(p, '(')) {
		char what[128];
		snprintf(what, sizeof(what), "',' or ')' in the arguments of %.64s()", e->str);
		e->kind = PTCP_DRILL_EXPR_CALL;
		if (!parse_expr_list(p, ')', what, &e->items, &e->n_items))
			return NULL;
		if (!is_punct(p, '='))
			return e;
		if (e->n_items != 1) {
			fail_at(p, e->line, e->col, "expected one index in %.64s(...)= , found %zu",
			        e->str, e->n_items);
			return NULL;
		}
		e->lhs = e->items[0];
		e->items = NULL;
		e->n_items = 0;
	}
	if (accept_punct(p, '=')) {
		e->kind = PTCP_DRILL_EXPR_FIELD;
		if ((e->rhs = parse_expr(p)) == NULL)
			return NULL;
	}
	return e;
}

static struct ptcp_drill_expr *parse_primary(struct parser *p)
{
	struct ptcp_drill_expr *e = NULL;
	switch (p->tok.kind) {
	case PTCP_DRILL_TK_ELLIPSIS:
		e = new_expr(p, PTCP_DRILL_EXPR_ELLIPSIS);
		next(p);
		return e;
	case PTCP_DRILL_TK_INT:
	case PTCP_DRILL_TK_HEX:
		if ((e = new_expr(p, PTCP_DRILL_EXPR_INT)) == NULL)
			return NULL;
		e->num = p->tok.num;
		e->hex = p->tok.kind == PTCP_DRILL_TK_HEX;
		next(p);
		return e;
	case PTCP_DRILL_TK_STRING: {
		/* Adjacent strings concatenate: "ab" "cd" is "abcd". */
		if ((e = new_expr(p, PTCP_DRILL_EXPR_STRING)) == NULL)
			return NULL;
		size_t len = 0;
		struct ptcp_drill_lexer save = p->lx;
		struct ptcp_drill_token first = p->tok;
		while (p->tok.kind == PTCP_DRILL_TK_STRING) {
			len += p->tok.body_end - p->tok.body;
			next(p);
		}
		if ((e->str = alloc(p, len + 1)) == NULL)
			return NULL;
		p->lx = save;
		p->tok = first;
		len = 0;
		while (p->tok.kind == PTCP_DRILL_TK_STRING) {
			memcpy(e->str + len, p->lx.src + p->tok.body,
			       p->tok.body_end - p->tok.body);
			len += p->tok.body_end - p->tok.body;
			next(p);
		}
		if (p->tok.kind == PTCP_DRILL_TK_ELLIPSIS) {
			e->str_ellipsis = true;
			next(p);
		}
		return e;
	}
	case PTCP_DRILL_TK_WORD:
		return parse_word_expr(p);
	case PTCP_DRILL_TK_PUNCT:
		if (is_punct(p, '[') || is_punct(p, '{')) {
			bool array = is_punct(p, '[');
			e = new_expr(p, array ? PTCP_DRILL_EXPR_ARRAY : PTCP_DRILL_EXPR_STRUCT);
			if (e == NULL)
				return NULL;
			next(p);
			if (!parse_expr_list(p, array ? ']' : '}',
			                     array ? "',' or ']' in the array"
			                           : "',' or '}' in the struct",
			                     &e->items, &e->n_items))
				return NULL;
			return e;
		}
		break;
	default:
		break;
	}
	expected(p, "an expression (integer, ..., NAME, \"string\", [array] or {struct})");
	return NULL;
}

/* primary ('|' primary)*, left-associative. */
static struct ptcp_drill_expr *parse_expr(struct parser *p)
{
	if (++p->depth > MAX_DEPTH) {
		fail_at(p, p->tok.line, p->tok.col, "expression nested too deeply");
		return NULL;
	}
	struct ptcp_drill_expr *e = parse_primary(p);
	while (e != NULL && is_punct(p, '|')) {
		struct ptcp_drill_expr *b = new_expr(p, PTCP_DRILL_EXPR_BINARY);
		if (b == NULL)
			return NULL;
		b->op = '|';
		b->line = e->line;
		b->col = e->col;
		next(p);
		b->lhs = e;
		if ((b->rhs = parse_primary(p)) == NULL)
			return NULL;
		e = b;
	}
	p->depth--;
	return e;
}

static bool parse_syscall(struct parser *p, struct ptcp_drill_syscall *sc)
{
	if (p->tok.kind == PTCP_DRILL_TK_ELLIPSIS) {
		next(p);
		sc->blocking = true;
		if (!parse_seconds(p, "the end time after '...'", &sc->end_usecs))
			return false;
	}
	if (p->tok.kind != PTCP_DRILL_TK_WORD)
		return expected(p, "a system call name");
	if ((sc->name = tok_text(p)) == NULL)
		return false;
	next(p);
	char what[128];
	snprintf(what, sizeof(what), "'(' after the system call name '%.64s'", sc->name);
	if (!expect_punct(p, '(', what))
		return false;
	snprintf(what, sizeof(what), "',' or ')' in the arguments of %.64s()", sc->name);
	if (!parse_expr_list(p, ')', what, &sc->args, &sc->n_args))
		return false;
	snprintf(what, sizeof(what), "'=' and the return value after %.64s(...)", sc->name);
	if (!expect_punct(p, '=', what))
		return false;
	if ((sc->ret = parse_expr(p)) == NULL)
		return false;
	/* The errno name must be on the line where the return value ends, so that a stray word
	 * on the next line is reported as a bad event rather than taken as an errno. */
	if (p->tok.kind == PTCP_DRILL_TK_WORD && p->tok.line == p->prev_line) {
		if ((sc->errno_name = tok_text(p)) == NULL)
			return false;
		next(p);
	}
	if (!accept_punct(p, '('))
		return true;
	/* (note words): words joined by one space. */
	size_t len = 0, words = 0;
	struct ptcp_drill_lexer save = p->lx;
	struct ptcp_drill_token first = p->tok;
	while (p->tok.kind == PTCP_DRILL_TK_WORD || p->tok.kind == PTCP_DRILL_TK_INT) {
		len += tok_len(&p->tok) + 1;
		words++;
		next(p);
	}
	if (words == 0)
		return expected(p, "the words of the note in '(...)'");
	if (!is_punct(p, ')'))
		return expected(p, "')' to close the note");
	if ((sc->note = alloc(p, len)) == NULL)
		return false;
	p->lx = save;
	p->tok = first;
	len = 0;
	while (!is_punct(p, ')')) {
		if (len)
			sc->note[len++] = ' ';
		memcpy(sc->note + len, p->lx.src + p->tok.start, tok_len(&p->tok));
		len += tok_len(&p->tok);
		next(p);
	}
	next(p);
	return true;
}

/* ---- Script ----------------------------------------------------------------------------- */

static bool parse_event(struct parser *p, struct ptcp_drill_event *ev)
{
	ev->line = p->tok.line;
	ev->col = p->tok.col;
	if (!parse_event_time(p, &ev->time))
		return false;
	const struct ptcp_drill_token *t = &p->tok;
	bool out_packet = false;
	if (is_punct(p, '<') || is_punct(p, '>')) {
		ev->kind = PTCP_DRILL_EV_PACKET;
		if (!parse_packet(p, &ev->u.packet))
			return false;
		out_packet = ev->u.packet.dir == PTCP_DRILL_OUT;
	} else if (t->kind == PTCP_DRILL_TK_BACKQUOTE || t->kind == PTCP_DRILL_TK_CODE) {
		ev->kind =
		    t->kind == PTCP_DRILL_TK_CODE ? PTCP_DRILL_EV_CODE : PTCP_DRILL_EV_COMMAND;
		if ((ev->u.text = dup_range(p, t->body, t->body_end)) == NULL)
			return false;
		next(p);
	} else if (t->kind == PTCP_DRILL_TK_WORD || t->kind == PTCP_DRILL_TK_ELLIPSIS) {
		ev->kind = PTCP_DRILL_EV_SYSCALL;
		if (!parse_syscall(p, &ev->u.syscall))
			return false;
	} else {
		return expected(p,
		                "a packet ('<' or '>'), a system call, a `command` or %{ code }% "
		                "after the event time");
	}
	if (!out_packet && ev->time.kind == PTCP_DRILL_TIME_ANY)
		return fail_at(p, ev->line, ev->col,
		               "event time '*' can only be used with outbound packets");
	if (!out_packet && ev->time.range)
		return fail_at(p, ev->line, ev->col,
		               "event time range can only be used with outbound packets");
	return true;
}

static struct ptcp_drill_command *parse_command(struct parser *p)
{
	struct ptcp_drill_command *c = alloc(p, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->line = p->tok.line;
	c->col = p->tok.col;
	if ((c->text = dup_range(p, p->tok.body, p->tok.body_end)) == NULL)
		return NULL;
	next(p);
	return c;
}

static bool parse_option(struct parser *p, struct ptcp_drill_option *o)
{
	const struct ptcp_drill_token *t = &p->tok;
	o->line = t->line;
	o->col = t->col;
	if ((o->name = dup_range(p, t->body, t->body_end)) == NULL)
		return false;
	if (t->has_value) {
		size_t a = t->value, b = t->value_end;
		if (b - a >= 2 && p->lx.src[a] == '"' && p->lx.src[b - 1] == '"') {
			a++;
			b--;
			o->value_quoted = true;
		}
		if ((o->value = dup_range(p, a, b)) == NULL)
			return false;
	}
	next(p);
	return true;
}

static bool parse_script(struct parser *p, struct ptcp_drill_script *s)
{
	struct vec opts = {0}, evs = {0};
	ptcp_drill_lex_next(&p->lx, &p->tok);
	while (p->tok.kind == PTCP_DRILL_TK_OPTION) {
		struct ptcp_drill_option *o = vec_push(p, &opts, sizeof(*o));
		if (o == NULL || !parse_option(p, o))
			return false;
	}
	s->options = opts.data;
	s->n_options = opts.n;
	if (p->tok.kind == PTCP_DRILL_TK_BACKQUOTE && (s->init_command = parse_command(p)) == NULL)
		return false;
	while (p->tok.kind != PTCP_DRILL_TK_EOF) {
		if (p->tok.kind == PTCP_DRILL_TK_BACKQUOTE && evs.n > 0) {
			struct ptcp_drill_token cmd = p->tok;
			if ((s->cleanup_command = parse_command(p)) == NULL)
				return false;
			if (p->tok.kind == PTCP_DRILL_TK_EOF)
				break;
			s->cleanup_command = NULL;
			return fail_at(p, cmd.line, cmd.col,
			               "expected an event time before the command (only the first "
			               "and the last command of a script may go without one)");
		}
		struct ptcp_drill_event *ev = vec_push(p, &evs, sizeof(*ev));
		if (ev == NULL || !parse_event(p, ev))
			return false;
	}
	if (evs.n == 0)
		return expected(p, "an event (like '0 socket(...) = 3')");
	s->events = evs.data;
	s->n_events = evs.n;
	return true;
}

int ptcp_drill_parse_string(const char *name, const char *text, size_t len,
                            struct ptcp_drill_script **out, struct ptcp_drill_error *err)
{
	struct ptcp_drill_error dummy;
	struct ptcp_drill_arena *arena = NULL;
	struct parser p;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "<string>");
	*out = NULL;

	memset(&p, 0, sizeof(p));
	ptcp_drill_lex_init(&p.lx, text ? text : "", text ? len : 0);
	p.arena = &arena;
	p.err = err;

	struct ptcp_drill_script *s = alloc(&p, sizeof(*s));
	if (s != NULL &&
	    (s->file = ptcp_drill_arena_strndup(&arena, err->file, strlen(err->file))) == NULL)
		fail_at(&p, 0, 0, "out of memory");
	if (!p.failed)
		parse_script(&p, s);
	if (p.failed) {
		ptcp_drill_arena_free(arena);
		return -1;
	}
	s->arena = arena;
	*out = s;
	return 0;
}

int ptcp_drill_parse_file(const char *path, struct ptcp_drill_script **out,
                          struct ptcp_drill_error *err)
{
	struct ptcp_drill_error dummy;
	if (err == NULL)
		err = &dummy;
	*out = NULL;
	errno = 0;
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bool ok = f != NULL;
	while (ok) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap);
			if (nb == NULL) {
				ok = false;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			ok = !ferror(f);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	if (ok) {
		int r = ptcp_drill_parse_string(path, buf, len, out, err);
		free(buf);
		return r;
	}
	int e = errno;
	free(buf);
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	snprintf(err->message, sizeof(err->message), "cannot read the file: %s",
	         e ? strerror(e) : "read error");
	return -1;
}

void ptcp_drill_script_free(struct ptcp_drill_script *script)
{
	if (script != NULL)
		ptcp_drill_arena_free(script->arena);
}

int ptcp_drill_error_format(const struct ptcp_drill_error *err, char *buf, size_t size)
{
	return snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->message);
}
