/*
 * ptcp event scripts: the text form, parsing (formatting: script_fmt.c).
 *
 * SYNTAX (one item per line; '#' starts a comment; blank lines are ignored;
 * tokens are separated by spaces or tabs; keywords are case-insensitive).
 *
 * Header directives, before the first event (each optional):
 *   role client|server
 *   config KEY=VALUE ...     keys: the flags (0/1) ts ws sack nodelay
 *                            ss_idle ecn limited_tx tlp cork rack
 *                            rst_keep_data prr prr_linux delivered
 *                            no_fastpath ack_unsent_silent
 *                            closed_data_rst_reply zwp_no_data
 *                            abort_rst_ack icmp_synrecv_hard rto_linux
 *                            push_linux rcv_clamp (the
 *                            PTCP_CFG_* bits), flags=N (all 32 bits at once:
 *                            PTCP_CFG_* values, e.g. 0x3807; unknown bits are
 *                            an error), cc (cubic|reno), mss, wscale
 *                            (0..14|auto), syn_retries, synack_retries,
 *                            max_retries, init_cwnd, rto_initial, rto_min,
 *                            rto_max, msl, fin_wait2, user_timeout, delack,
 *                            keepalive_idle, keepalive_intvl (times),
 *                            quickack, keepalive_cnt, ts_offset, sndbuf,
 *                            rcvbuf, start (absolute time of the first event)
 *   isn local=N peer=N
 *   addr local=IP:PORT peer=IP:PORT     (IPv6 as [fd00::1]:80)
 * Defaults: client, the ptcp.h config, 64 KiB buffers, ISNs 0, addresses
 * 10.0.0.1:40000 -> 10.0.0.2:80 (server: local port 80, peer port 40000).
 *
 * Events: [+TIME] BODY, TIME after the previous event (absent = +0).
 * TIME and DURATION: a decimal number with an optional fraction and unit
 * us|ms|s; no unit means seconds (packetdrill): +0, +10ms, +1.5ms, +0.2.
 * Numbers: decimal or 0x-hex.  HEX: an even number of hex digits.
 *   < FLAGS SEQ:END(LEN) [ack N] win N [urg N] [<OPTIONS>] [ecn=E] [res=N]
 *     [sport=N] [dport=N] [payload=HEX]          inject a segment
 *   > ...same...                                 expect an emitted segment
 *       FLAGS: letters of F S R P . U E W in any order ('.' = ACK), or none
 *       SEQ:END(LEN): relative; END = SEQ + LEN.  In '>' lines each of
 *       SEQ, LEN (END then '*'), the ack and win values and the whole option
 *       list (<*>) may be '*'.
 *       ecn: 0..3 or not-ect, ect1, ect0, ce.
 *       OPTIONS: comma-separated, packetdrill spelling: nop, eol, mss N,
 *       wscale N, sackOK, sack L:R L:R.., TS val N ecr N, FO [HEX],
 *       FOEXP [HEX], and for anything else opt KIND [HEX] (kind, length,
 *       data) and raw HEX (bytes verbatim).  SACK blocks are relative.
 *   raw HEX [HEX..]                 inject IP packet bytes
 *   icmp TYPE [mtu=N] [seq=N]       TYPE: net-unreach host-unreach
 *                                   proto-unreach port-unreach
 *                                   admin-prohibited frag-needed time-exceeded
 *   connect [tfo [cookie=HEX] [mss=N]] [data=N]
 *                                   tfo: a Fast Open option in the SYN (a
 *                                   cookie request without cookie=, at most
 *                                   16 bytes); data: N pattern bytes given
 *                                   with the connect (sent in the SYN with tfo)
 *   listen [any] | close | abort | time
 *   setopt [nodelay] [cork] [KEY=VALUE ...]   PTCP_IN_SETOPT; keys (absent: 0):
 *                                   keepalive_idle, keepalive_intvl,
 *                                   user_timeout, delack (durations),
 *                                   keepalive_cnt (0..255), challenge (count)
 *   send N [payload=HEX] [more]  or  send payload=HEX [more]
 *   read N [discard]
 *   shutdown rd|wr|rdwr
 *   = state [FROM ->] TO            (SYN-SENT etc.)
 *   = event NAME [ERR]              (connected, peer-closed, reset, timedout,
 *                                    error, soft-error, closed, all-acked;
 *                                    ERR: ECONNRESET.. or a negative number)
 *   = readable N | = writable N
 *   = deadline DURATION|never       (relative to the event's time)
 *   = ret N|ERR                     (return of the previous app call)
 * Errors: "file:line:col: message", col at the offending token or character.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_int.h"

/* ======================================================================== */
/* Parsing                                                                   */
/* ======================================================================== */
#define SYNTAX PTCP_SCRIPT_ESYNTAX
#define NOMEM  PTCP_SCRIPT_ENOMEM

struct ps {
	const char *file;
	const char *ln; /* current line */
	size_t end;     /* length of the line without comment / newline */
	size_t pos;
	unsigned line;
	int optmode; /* ',' ends tokens */
	ptcp_script_error *err;
	ptcp_script *s;
};

struct tok {
	size_t pos, len;
	const char *p;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(struct ps *ps, size_t pos, const char *fmt, ...)
{
	ptcp_script_error *e = ps->err;
	if (e) {
		e->file = ps->file;
		e->line = ps->line;
		e->col = (unsigned)pos + 1;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	return SYNTAX;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_ws(struct ps *ps)
{
	while (ps->pos < ps->end && is_ws(ps->ln[ps->pos]))
		ps->pos++;
}

static int at_end(struct ps *ps)
{
	skip_ws(ps);
	return ps->pos >= ps->end;
}

/* Next token (up to white space, and ',' in option mode); 0 at the end. */
static int next_tok(struct ps *ps, struct tok *t)
{
	skip_ws(ps);
	if (ps->pos >= ps->end)
		return 0;
	t->pos = ps->pos;
	while (ps->pos < ps->end && !is_ws(ps->ln[ps->pos]) &&
	       !(ps->optmode && ps->ln[ps->pos] == ','))
		ps->pos++;
	t->len = ps->pos - t->pos;
	t->p = ps->ln + t->pos;
	return 1;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive match of n bytes at p with the whole word w. */
static int word_eq(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (k != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != lower((unsigned char)w[i]))
			return 0;
	return 1;
}

static int tok_is(const struct tok *t, const char *w)
{
	return word_eq(t->p, t->len, w);
}

/* Unsigned number (decimal or 0x-hex), whole string, <= max. */
static int parse_u64(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned base = 10;
	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int c = lower((unsigned char)p[i]), d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -1;
		v = v * base + (unsigned)d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int num(struct ps *ps, const char *p, size_t n, size_t pos, uint64_t max, uint64_t *out)
{
	if (parse_u64(p, n, max, out) == 0)
		return 0;
	return fail(ps, pos, "bad number '%.*s' (0..%llu)", (int)(n > 40 ? 40 : n), p,
	            (unsigned long long)max);
}

static int tok_num(struct ps *ps, const struct tok *t, uint64_t max, uint64_t *out)
{
	return num(ps, t->p, t->len, t->pos, max, out);
}

/* Signed 32-bit number or an error name. */
static int tok_int_or_err(struct ps *ps, const struct tok *t, int min, int32_t *out)
{
	for (int e = -1; e >= PTCP_ERR_MIN; e--)
		if (tok_is(t, ptcp_script_err_name(e))) {
			*out = e;
			return 0;
		}
	uint64_t v;
	if (t->len > 1 && t->p[0] == '-') {
		if (parse_u64(t->p + 1, t->len - 1, (uint64_t) - (int64_t)min, &v) == 0) {
			*out = (int32_t) - (int64_t)v;
			return 0;
		}
	} else if (min == INT32_MIN && parse_u64(t->p, t->len, INT32_MAX, &v) == 0) {
		*out = (int32_t)v;
		return 0;
	}
	return fail(ps, t->pos, "bad number or error name '%.*s'", (int)(t->len > 40 ? 40 : t->len),
	            t->p);
}

/* A duration: DIGITS[.DIGITS][us|ms|s], no unit = seconds. */
static int parse_dur(const char *p, size_t n, uint64_t *out)
{
	size_t i = 0;
	uint64_t ip = 0, fp = 0, fdiv = 1;
	int digits = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		if (ip > PTCP_SCRIPT_TIME_MAX)
			return -1;
		ip = ip * 10 + (uint64_t)(p[i++] - '0');
		digits++;
	}
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (fdiv >= 1000000000000ull)
				return -1;
			fp = fp * 10 + (uint64_t)(p[i++] - '0');
			fdiv *= 10;
			digits++;
		}
	}
	if (!digits)
		return -1;
	uint64_t unit;
	if (word_eq(p + i, n - i, "us"))
		unit = 1;
	else if (word_eq(p + i, n - i, "ms"))
		unit = 1000;
	else if (word_eq(p + i, n - i, "s") || i == n)
		unit = 1000000;
	else
		return -1;
	if (ip > PTCP_SCRIPT_TIME_MAX / unit)
		return -1;
	uint64_t f = fp * unit; /* fp < 10^13, unit <= 10^6: fits */
	if (f % fdiv)
		return -1; /* finer than a microsecond */
	uint64_t v = ip * unit + f / fdiv;
	if (v > PTCP_SCRIPT_TIME_MAX)
		return -1;
	*out = v;
	return 0;
}

static int tok_dur(struct ps *ps, const char *p, size_t n, size_t pos, uint64_t *out)
{
	if (parse_dur(p, n, out) == 0)
		return 0;
	return fail(ps, pos, "bad duration '%.*s'", (int)(n > 40 ? 40 : n), p);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Append the hex digits of p[0..n) (at line position pos) to out[*len..max). */
static int hex_into(struct ps *ps, const char *p, size_t n, size_t pos, uint8_t *out, size_t *len,
                    size_t max)
{
	for (size_t i = 0; i < n; i++)
		if (hexval((unsigned char)p[i]) < 0)
			return fail(ps, pos + i, "bad hex digit '%c'", p[i]);
	if (n % 2)
		return fail(ps, pos, "odd number of hex digits");
	if (n / 2 > max - *len)
		return fail(ps, pos, "too many bytes (at most %zu)", max);
	for (size_t i = 0; i < n; i += 2)
		out[(*len)++] =
		    (uint8_t)(hexval((unsigned char)p[i]) << 4 | hexval((unsigned char)p[i + 1]));
	return 0;
}

/* Hex into a new malloc'd buffer (at least 1 byte allocated). */
static int hex_alloc(struct ps *ps, const char *p, size_t n, size_t pos, size_t max, uint8_t **out,
                     size_t *len)
{
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return NOMEM;
	*len = 0;
	int r = hex_into(ps, p, n, pos, b, len, max);
	if (r) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

/* key=value split: returns 1 if the token has '=' (key/value set). */
static int kv(const struct tok *t, struct tok *k, struct tok *v)
{
	const char *eq = memchr(t->p, '=', t->len);
	if (!eq)
		return 0;
	k->p = t->p;
	k->pos = t->pos;
	k->len = (size_t)(eq - t->p);
	v->p = eq + 1;
	v->pos = t->pos + k->len + 1;
	v->len = t->len - k->len - 1;
	return 1;
}

/* ---- Options ---------------------------------------------------------------- */
static int opt_room(struct ps *ps, size_t have, size_t need, size_t pos)
{
	if (need > PTCP_TCP_OPT_MAX - have)
		return fail(ps, pos, "options longer than %d bytes", PTCP_TCP_OPT_MAX);
	return 0;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* More words in this option item? */
static int item_more(struct ps *ps)
{
	skip_ws(ps);
	return ps->pos < ps->end && ps->ln[ps->pos] != ',';
}

static int need_tok(struct ps *ps, struct tok *t, const char *what, size_t pos)
{
	if (!item_more(ps) || !next_tok(ps, t))
		return fail(ps, pos, "missing %s", what);
	return 0;
}

/* Parse the options between '<' (at lt) and '>' (at gt) into g. */
static int parse_opts(struct ps *ps, size_t lt, size_t gt, ptcp_script_seg *g, int allow_wild)
{
	size_t save_end = ps->end;
	uint8_t *o = g->opt;
	size_t n = 0;
	int r = 0;
	ps->end = gt;
	ps->pos = lt + 1;
	ps->optmode = 1;
	if (at_end(ps)) {
		r = fail(ps, lt, "empty option list");
		goto out;
	}
	for (int first = 1;; first = 0) {
		struct tok t, a, b;
		uint64_t v, w;
		if (!item_more(ps) || !next_tok(ps, &t)) {
			r = fail(ps, ps->pos, "missing option");
			goto out;
		}
		if (tok_is(&t, "*")) {
			if (!allow_wild) {
				r = fail(ps, t.pos, "wildcard only in expected ('>') segments");
				goto out;
			}
			if (!first || !at_end(ps)) {
				r = fail(ps, t.pos, "'*' must be the whole option list");
				goto out;
			}
			g->wild |= PTCP_SCRIPT_WILD_OPTS;
			break;
		} else if (tok_is(&t, "nop") || tok_is(&t, "eol")) {
			if ((r = opt_room(ps, n, 1, t.pos)))
				goto out;
			o[n++] = tok_is(&t, "nop") ? 1 : 0;
		} else if (tok_is(&t, "sackOK")) {
			if ((r = opt_room(ps, n, 2, t.pos)))
				goto out;
			o[n++] = PTCP_OPTKIND_SACK_PERM;
			o[n++] = 2;
		} else if (tok_is(&t, "mss")) {
			if ((r = need_tok(ps, &a, "mss value", t.pos)) ||
			    (r = tok_num(ps, &a, 65535, &v)) || (r = opt_room(ps, n, 4, t.pos)))
				goto out;
			o[n++] = PTCP_OPTKIND_MSS;
			o[n++] = 4;
			o[n++] = (uint8_t)(v >> 8);
			o[n++] = (uint8_t)v;
		} else if (tok_is(&t, "wscale")) {
			if ((r = need_tok(ps, &a, "wscale value", t.pos)) ||
			    (r = tok_num(ps, &a, 255, &v)) || (r = opt_room(ps, n, 3, t.pos)))
				goto out;
			o[n++] = PTCP_OPTKIND_WSCALE;
			o[n++] = 3;
			o[n++] = (uint8_t)v;
		} else if (tok_is(&t, "TS")) {
			struct tok k1, k2;
			if ((r = need_tok(ps, &k1, "'val'", t.pos)))
				goto out;
			if (!tok_is(&k1, "val")) {
				r = fail(ps, k1.pos, "expected 'val'");
				goto out;
			}
			if ((r = need_tok(ps, &a, "TS val", k1.pos)) ||
			    (r = tok_num(ps, &a, UINT32_MAX, &v)) ||
			    (r = need_tok(ps, &k2, "'ecr'", a.pos)))
				goto out;
			if (!tok_is(&k2, "ecr")) {
				r = fail(ps, k2.pos, "expected 'ecr'");
				goto out;
			}
			if ((r = need_tok(ps, &b, "TS ecr", k2.pos)) ||
			    (r = tok_num(ps, &b, UINT32_MAX, &w)) ||
			    (r = opt_room(ps, n, 10, t.pos)))
				goto out;
			o[n++] = PTCP_OPTKIND_TS;
			o[n++] = 10;
			wr32(o + n, (uint32_t)v);
			wr32(o + n + 4, (uint32_t)w);
			n += 8;
		} else if (tok_is(&t, "sack")) {
			size_t start = n;
			if ((r = opt_room(ps, n, 2, t.pos)))
				goto out;
			n += 2;
			while (item_more(ps)) {
				next_tok(ps, &a);
				const char *c = memchr(a.p, ':', a.len);
				if (!c) {
					r = fail(ps, a.pos, "expected a SACK block L:R");
					goto out;
				}
				size_t ll = (size_t)(c - a.p);
				if ((r = num(ps, a.p, ll, a.pos, UINT32_MAX, &v)) ||
				    (r = num(ps, c + 1, a.len - ll - 1, a.pos + ll + 1, UINT32_MAX,
				             &w)) ||
				    (r = opt_room(ps, n, 8, a.pos)))
					goto out;
				wr32(o + n, (uint32_t)v);
				wr32(o + n + 4, (uint32_t)w);
				n += 8;
			}
			o[start] = PTCP_OPTKIND_SACK;
			o[start + 1] = (uint8_t)(n - start);
		} else if (tok_is(&t, "FO") || tok_is(&t, "FOEXP") || tok_is(&t, "opt")) {
			int exp = tok_is(&t, "FOEXP"), gen = tok_is(&t, "opt");
			size_t start = n;
			uint64_t kind = exp ? PTCP_OPTKIND_EXP : PTCP_OPTKIND_TFO;
			if (gen && ((r = need_tok(ps, &a, "option kind", t.pos)) ||
			            (r = tok_num(ps, &a, 255, &kind))))
				goto out;
			if ((r = opt_room(ps, n, exp ? 4 : 2, t.pos)))
				goto out;
			o[n++] = (uint8_t)kind;
			n++;
			if (exp) {
				o[n++] = 0xf9;
				o[n++] = 0x89;
			}
			if (item_more(ps)) {
				next_tok(ps, &a);
				if ((r = hex_into(ps, a.p, a.len, a.pos, o, &n, PTCP_TCP_OPT_MAX)))
					goto out;
			}
			o[start + 1] = (uint8_t)(n - start);
		} else if (tok_is(&t, "raw")) {
			if ((r = need_tok(ps, &a, "raw option bytes", t.pos)) ||
			    (r = hex_into(ps, a.p, a.len, a.pos, o, &n, PTCP_TCP_OPT_MAX)))
				goto out;
		} else {
			r = fail(ps, t.pos, "unknown option '%.*s'", (int)(t.len > 40 ? 40 : t.len),
			         t.p);
			goto out;
		}
		skip_ws(ps);
		if (ps->pos >= ps->end)
			break;
		if (ps->ln[ps->pos] != ',') {
			r = fail(ps, ps->pos, "expected ',' or '>' in the option list");
			goto out;
		}
		ps->pos++;
	}
	g->opt_len = (uint8_t)n;
out:
	ps->optmode = 0;
	ps->end = save_end;
	ps->pos = gt + 1;
	return r;
}

/* ---- Segments ------------------------------------------------------------- */
static int parse_flags(struct ps *ps, const struct tok *t, uint8_t *out)
{
	if (tok_is(t, "none")) {
		*out = 0;
		return 0;
	}
	uint8_t f = 0;
	for (size_t i = 0; i < t->len; i++) {
		uint8_t bit;
		switch (t->p[i]) {
		case 'F':
			bit = PTCP_FIN;
			break;
		case 'S':
			bit = PTCP_SYN;
			break;
		case 'R':
			bit = PTCP_RST;
			break;
		case 'P':
			bit = PTCP_PSH;
			break;
		case '.':
			bit = PTCP_ACK;
			break;
		case 'U':
			bit = PTCP_URG;
			break;
		case 'E':
			bit = PTCP_ECE;
			break;
		case 'W':
			bit = PTCP_CWR;
			break;
		default:
			return fail(ps, t->pos + i, "bad flag '%c' (flags: FSRP.UEW or none)",
			            t->p[i]);
		}
		if (f & bit)
			return fail(ps, t->pos + i, "flag '%c' repeated", t->p[i]);
		f |= bit;
	}
	*out = f;
	return 0;
}

static int is_star(const char *p, size_t n)
{
	return n == 1 && p[0] == '*';
}

/* SEQ:END(LEN) */
static int parse_range(struct ps *ps, const struct tok *t, ptcp_script_seg *g, int allow_wild)
{
	const char *p = t->p, *c = memchr(p, ':', t->len), *lp = memchr(p, '(', t->len);
	if (!c || !lp || lp < c || p[t->len - 1] != ')')
		return fail(ps, t->pos, "expected SEQ:END(LEN)");
	size_t sn = (size_t)(c - p), en = (size_t)(lp - c - 1), ln = t->len - (size_t)(lp - p) - 2;
	size_t spos = t->pos, epos = t->pos + sn + 1, lpos = t->pos + (size_t)(lp - p) + 1;
	const char *s = p, *e = c + 1, *l = lp + 1;
	uint64_t sv = 0, ev = 0, lv = 0;
	int r;
	int sw = is_star(s, sn), ew = is_star(e, en), lw = is_star(l, ln);
	if ((sw || ew || lw) && !allow_wild)
		return fail(ps,
		            sw   ? spos
		            : ew ? epos
		                 : lpos,
		            "wildcard only in expected ('>') segments");
	if (!sw && (r = num(ps, s, sn, spos, UINT32_MAX, &sv)))
		return r;
	if (!lw && (r = num(ps, l, ln, lpos, PTCP_SCRIPT_SEG_PAYLOAD_MAX, &lv)))
		return r;
	if (sw || lw) {
		if (!ew)
			return fail(ps, epos, "END must be '*' when SEQ or LEN is");
	} else {
		if (ew)
			return fail(ps, epos, "END '*' needs SEQ or LEN '*'");
		if ((r = num(ps, e, en, epos, UINT32_MAX, &ev)))
			return r;
		if ((uint32_t)(ev - sv) != (uint32_t)lv)
			return fail(ps, epos, "END - SEQ (%lu) differs from LEN (%lu)",
			            (unsigned long)(uint32_t)(ev - sv), (unsigned long)lv);
	}
	g->seq = (uint32_t)sv;
	g->len = (uint32_t)lv;
	if (sw)
		g->wild |= PTCP_SCRIPT_WILD_SEQ;
	if (lw)
		g->wild |= PTCP_SCRIPT_WILD_LEN;
	return 0;
}

static int parse_seg(struct ps *ps, ptcp_script_event *e, size_t dirpos)
{
	ptcp_script_seg *g = &e->seg;
	int out = e->kind == PTCP_SCRIPT_EXPECT_SEG;
	struct tok t, k, v;
	uint64_t x;
	int r, have_win = 0, have_sport = 0, have_dport = 0, have_field = 0;
	size_t paypos = 0;
	if (!next_tok(ps, &t))
		return fail(ps, ps->pos, "missing flags");
	if ((r = parse_flags(ps, &t, &g->flags)))
		return r;
	if (!next_tok(ps, &t))
		return fail(ps, ps->pos, "missing SEQ:END(LEN)");
	if ((r = parse_range(ps, &t, g, out)))
		return r;
	for (;;) {
		skip_ws(ps);
		if (ps->pos >= ps->end)
			break;
		if (ps->ln[ps->pos] == '<') {
			size_t lt = ps->pos;
			const char *gt = memchr(ps->ln + lt, '>', ps->end - lt);
			if (!gt)
				return fail(ps, lt, "unterminated option list (no '>')");
			if (g->opt_len || (g->wild & PTCP_SCRIPT_WILD_OPTS))
				return fail(ps, lt, "second option list");
			if ((r = parse_opts(ps, lt, (size_t)(gt - ps->ln), g, out)))
				return r;
			continue;
		}
		next_tok(ps, &t);
		if (tok_is(&t, "ack") || tok_is(&t, "win") || tok_is(&t, "urg")) {
			int isack = tok_is(&t, "ack"), iswin = tok_is(&t, "win");
			int bit = isack ? 1 : iswin ? 2 : 4;
			/* a field given twice (once as '*'): which one counts would be a guess */
			if (have_field & bit)
				return fail(ps, t.pos, "'%.*s' given twice", (int)t.len, t.p);
			have_field |= bit;
			if (!next_tok(ps, &v))
				return fail(ps, ps->pos, "missing value after '%.*s'", (int)t.len,
				            t.p);
			if (is_star(v.p, v.len) && (isack || iswin)) {
				if (!out)
					return fail(ps, v.pos,
					            "wildcard only in expected ('>') segments");
				g->wild |= isack ? PTCP_SCRIPT_WILD_ACK : PTCP_SCRIPT_WILD_WIN;
				have_win |= iswin;
				continue;
			}
			if ((r = tok_num(ps, &v, isack ? UINT32_MAX : 65535, &x)))
				return r;
			if (isack)
				g->ack = (uint32_t)x;
			else if (iswin)
				g->win = (uint16_t)x, have_win = 1;
			else
				g->urp = (uint16_t)x;
		} else if (kv(&t, &k, &v)) {
			if (tok_is(&k, "ecn")) {
				int found = 0;
				for (unsigned i = 0; i < 4; i++)
					if (tok_is(&v, ptcp_script__ecn_name[i]))
						g->ecn = (uint8_t)i, found = 1;
				if (!found) {
					if ((r = tok_num(ps, &v, 3, &x)))
						return r;
					g->ecn = (uint8_t)x;
				}
			} else if (tok_is(&k, "res")) {
				if ((r = tok_num(ps, &v, 15, &x)))
					return r;
				g->reserved = (uint8_t)x;
			} else if (tok_is(&k, "sport") || tok_is(&k, "dport")) {
				if ((r = tok_num(ps, &v, 65535, &x)))
					return r;
				g->has_ports = 1;
				if (tok_is(&k, "sport"))
					g->sport = (uint16_t)x, have_sport = 1;
				else
					g->dport = (uint16_t)x, have_dport = 1;
			} else if (tok_is(&k, "payload")) {
				size_t n;
				free(g->payload);
				g->payload = NULL;
				if ((r = hex_alloc(ps, v.p, v.len, v.pos,
				                   PTCP_SCRIPT_SEG_PAYLOAD_MAX, &g->payload, &n)))
					return r;
				if (n != g->len && !(g->wild & PTCP_SCRIPT_WILD_LEN))
					return fail(ps, v.pos, "payload has %zu bytes, LEN is %lu",
					            n, (unsigned long)g->len);
				paypos = v.pos;
			} else {
				return fail(ps, k.pos, "unknown field '%.*s'", (int)k.len, k.p);
			}
		} else {
			return fail(ps, t.pos, "unexpected '%.*s'", (int)(t.len > 40 ? 40 : t.len),
			            t.p);
		}
	}
	if (!have_win)
		return fail(ps, dirpos, "segment without 'win'");
	if (g->payload && (g->wild & PTCP_SCRIPT_WILD_LEN))
		return fail(ps, paypos, "payload with a wildcard LEN");
	if (g->has_ports) {
		int in = !out;
		if (!have_sport)
			g->sport = in ? ps->s->peer_port : ps->s->local_port;
		if (!have_dport)
			g->dport = in ? ps->s->local_port : ps->s->peer_port;
	}
	return 0;
}

/* ---- Header directives --------------------------------------------------------- */
static int parse_addr(struct ps *ps, const struct tok *v, ptcp_addr *a, uint16_t *port)
{
	const char *p = v->p;
	size_t n = v->len, i;
	uint64_t x;
	memset(a, 0, sizeof *a);
	if (n && p[0] == '[') {
		const char *rb = memchr(p, ']', n);
		if (!rb || (size_t)(rb - p) + 1 >= n || rb[1] != ':')
			return fail(ps, v->pos, "expected [IPV6]:PORT");
		size_t al = (size_t)(rb - p) - 1;
		const char *s = p + 1;
		unsigned g[8];
		int ng = 0, gap = -1;
		i = 0;
		if (al >= 2 && s[0] == ':' && s[1] == ':') {
			gap = 0;
			i = 2;
		} else if (al && s[0] == ':') {
			return fail(ps, v->pos + 1, "bad IPv6 address");
		}
		while (i < al) {
			size_t j = i;
			unsigned val = 0;
			while (j < al && hexval((unsigned char)s[j]) >= 0 && j - i < 4)
				val = val * 16 + (unsigned)hexval((unsigned char)s[j++]);
			if (j == i || ng == 8)
				return fail(ps, v->pos + 1 + i, "bad IPv6 address");
			g[ng++] = val;
			if (j == al)
				break;
			if (s[j] != ':')
				return fail(ps, v->pos + 1 + j, "bad IPv6 address");
			j++;
			if (j < al && s[j] == ':') {
				if (gap >= 0)
					return fail(ps, v->pos + j, "bad IPv6 address");
				gap = ng;
				j++;
			} else if (j == al) {
				return fail(ps, v->pos + 1 + j, "bad IPv6 address");
			}
			i = j;
		}
		if ((gap < 0 && ng != 8) || (gap >= 0 && ng > 7))
			return fail(ps, v->pos, "bad IPv6 address");
		unsigned full[8] = {0};
		if (gap < 0) {
			memcpy(full, g, sizeof full);
		} else {
			for (int k = 0; k < gap; k++)
				full[k] = g[k];
			for (int k = gap; k < ng; k++)
				full[8 - (ng - k)] = g[k];
		}
		a->family = 6;
		for (int k = 0; k < 8; k++) {
			a->bytes[2 * k] = (uint8_t)(full[k] >> 8);
			a->bytes[2 * k + 1] = (uint8_t)full[k];
		}
		i = (size_t)(rb - p) + 2;
	} else {
		const char *c = memchr(p, ':', n);
		if (!c)
			return fail(ps, v->pos, "expected IP:PORT");
		size_t al = (size_t)(c - p), k = 0;
		i = 0;
		for (int q = 0; q < 4; q++) {
			size_t j = k;
			while (j < al && p[j] != '.')
				j++;
			if (num(ps, p + k, j - k, v->pos + k, 255, &x))
				return SYNTAX;
			a->bytes[q] = (uint8_t)x;
			if ((q < 3 && j >= al) || (q == 3 && j != al))
				return fail(ps, v->pos, "bad IPv4 address");
			k = j + 1;
		}
		a->family = 4;
		i = al + 1;
	}
	if (num(ps, p + i, n - i, v->pos + i, 65535, &x))
		return SYNTAX;
	*port = (uint16_t)x;
	return 0;
}

static int parse_directive(struct ps *ps, const struct tok *w, int *addr_set)
{
	ptcp_script *s = ps->s;
	struct tok t, k, v;
	uint64_t x;
	int r;
	if (tok_is(w, "role")) {
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing role (client or server)");
		if (tok_is(&t, "client"))
			s->role = PTCP_SCRIPT_CLIENT;
		else if (tok_is(&t, "server"))
			s->role = PTCP_SCRIPT_SERVER;
		else
			return fail(ps, t.pos, "bad role (client or server)");
	} else if (tok_is(w, "config")) {
		while (next_tok(ps, &t)) {
			if (!kv(&t, &k, &v))
				return fail(ps, t.pos, "expected KEY=VALUE");
			int done = 0;
			if (tok_is(&k, "flags")) {
				if ((r = tok_num(ps, &v, UINT32_MAX, &x)))
					return r;
				if (x & ~(uint64_t)PTCP_SCRIPT_CFG_FLAGS_ALL)
					return fail(
					    ps, v.pos, "unknown config flag bits %#llx",
					    (unsigned long long)(x &
					                         ~(uint64_t)
					                             PTCP_SCRIPT_CFG_FLAGS_ALL));
				s->cfg.flags = (uint32_t)x;
				done = 1;
			}
			for (int i = 0; i < PTCP_SCRIPT_NFLAGS && !done; i++) {
				if (!tok_is(&k, ptcp_script__flag_name[i]))
					continue;
				if ((r = tok_num(ps, &v, 1, &x)))
					return r;
				if (x)
					s->cfg.flags |= ptcp_script__flag_bit[i];
				else
					s->cfg.flags &= ~ptcp_script__flag_bit[i];
				done = 1;
			}
			for (unsigned id = 0; id < CFG_COUNT && !done; id++) {
				const struct ptcp_script_cfg_field *f = &ptcp_script__cfg[id];
				if (!tok_is(&k, f->name))
					continue;
				if (f->type == CFGT_TIME)
					r = tok_dur(ps, v.p, v.len, v.pos, &x);
				else if (f->type == CFGT_WSCALE && tok_is(&v, "auto"))
					r = 0, x = PTCP_SCRIPT_WSCALE_AUTO;
				else if (f->type == CFGT_WSCALE)
					r = tok_num(ps, &v, 14, &x);
				else if (f->type == CFGT_CC) {
					r = fail(ps, v.pos, "bad cc (cubic or reno)");
					for (unsigned c = 0; c < PTCP_SCRIPT_CC_COUNT; c++)
						if (tok_is(&v, ptcp_script__cc_name[c]))
							r = 0, x = c;
				} else if ((r = tok_num(ps, &v, f->max, &x)) == 0 && x < f->min)
					r = fail(ps, v.pos, "%s must be at least %llu", f->name,
					         (unsigned long long)f->min);
				if (r)
					return r;
				ptcp_script__cfg_set(&s->cfg, id, x);
				done = 1;
			}
			if (!done)
				return fail(ps, k.pos, "unknown config key '%.*s'", (int)k.len,
				            k.p);
		}
	} else if (tok_is(w, "isn")) {
		while (next_tok(ps, &t)) {
			if (!kv(&t, &k, &v) || !(tok_is(&k, "local") || tok_is(&k, "peer")))
				return fail(ps, t.pos, "expected local=N or peer=N");
			if ((r = tok_num(ps, &v, UINT32_MAX, &x)))
				return r;
			if (tok_is(&k, "local"))
				s->isn_local = (uint32_t)x;
			else
				s->isn_peer = (uint32_t)x;
		}
	} else if (tok_is(w, "addr")) {
		int have = 0;
		while (next_tok(ps, &t)) {
			if (!kv(&t, &k, &v) || !(tok_is(&k, "local") || tok_is(&k, "peer")))
				return fail(ps, t.pos, "expected local=IP:PORT or peer=IP:PORT");
			int loc = tok_is(&k, "local");
			if ((r = parse_addr(ps, &v, loc ? &s->local_addr : &s->peer_addr,
			                    loc ? &s->local_port : &s->peer_port)))
				return r;
			have |= loc ? 1 : 2;
		}
		if (have != 3)
			return fail(ps, w->pos, "addr needs local= and peer=");
		if (s->local_addr.family != s->peer_addr.family)
			return fail(ps, w->pos, "local and peer address families differ");
		*addr_set = 1;
	}
	return 0;
}

/* ---- Events ----------------------------------------------------------------- */
static int no_more(struct ps *ps)
{
	struct tok t;
	size_t save = ps->pos;
	if (next_tok(ps, &t))
		return fail(ps, t.pos, "unexpected '%.*s'", (int)(t.len > 40 ? 40 : t.len), t.p);
	ps->pos = save;
	return 0;
}

static int parse_expect(struct ps *ps, ptcp_script_event *e, size_t eqpos)
{
	struct tok w, t, a;
	uint64_t x;
	int r;
	if (!next_tok(ps, &w))
		return fail(ps, eqpos, "missing expectation after '='");
	if (tok_is(&w, "state")) {
		e->kind = PTCP_SCRIPT_EXPECT_STATE;
		e->state.from = PTCP_SCRIPT_STATE_ANY;
		for (int i = 0; i < 2; i++) {
			if (!next_tok(ps, &t))
				return fail(ps, ps->pos, "missing state name");
			unsigned st = PTCP_STATE_COUNT;
			for (unsigned k = 0; k < PTCP_STATE_COUNT; k++)
				if (tok_is(&t, ptcp_script_state_name(k)))
					st = k;
			if (st == PTCP_STATE_COUNT)
				return fail(ps, t.pos, "unknown state '%.*s'", (int)t.len, t.p);
			e->state.to = (uint8_t)st;
			size_t save = ps->pos;
			if (i == 0 && next_tok(ps, &a)) {
				if (!tok_is(&a, "->"))
					return fail(ps, a.pos, "expected '->'");
				e->state.from = (uint8_t)st;
				continue;
			}
			ps->pos = save;
			break;
		}
	} else if (tok_is(&w, "event")) {
		e->kind = PTCP_SCRIPT_EXPECT_EVENT;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing event name");
		for (unsigned k = 1; k < PTCP_EV_COUNT; k++)
			if (tok_is(&t, ptcp_script_event_name(k)))
				e->event.ev = (uint8_t)k;
		if (!e->event.ev)
			return fail(ps, t.pos, "unknown event '%.*s'", (int)t.len, t.p);
		if (next_tok(ps, &t)) {
			int32_t err;
			if ((r = tok_int_or_err(ps, &t, PTCP_ERR_MIN, &err)))
				return r;
			e->event.err = (int8_t)err;
		}
	} else if (tok_is(&w, "readable") || tok_is(&w, "writable")) {
		int rd = tok_is(&w, "readable");
		e->kind = rd ? PTCP_SCRIPT_EXPECT_READABLE : PTCP_SCRIPT_EXPECT_WRITABLE;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing byte count");
		if ((r = tok_num(ps, &t, UINT32_MAX, &x)))
			return r;
		if (rd)
			e->readable = (uint32_t)x;
		else
			e->writable = (uint32_t)x;
	} else if (tok_is(&w, "deadline")) {
		e->kind = PTCP_SCRIPT_EXPECT_DEADLINE;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing deadline (a duration or never)");
		if (tok_is(&t, "never"))
			e->deadline = PTCP_SCRIPT_DEADLINE_NEVER;
		else if ((r = tok_dur(ps, t.p, t.len, t.pos, &e->deadline)))
			return r;
	} else if (tok_is(&w, "ret")) {
		e->kind = PTCP_SCRIPT_EXPECT_RET;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing return value");
		if ((r = tok_int_or_err(ps, &t, INT32_MIN, &e->ret)))
			return r;
	} else {
		return fail(ps, w.pos, "unknown expectation '%.*s'", (int)(w.len > 40 ? 40 : w.len),
		            w.p);
	}
	return no_more(ps);
}

/* connect [tfo [cookie=HEX] [mss=N]] [data=N] */
static int parse_connect(struct ps *ps, ptcp_script_event *e)
{
	struct tok t, k, v;
	uint64_t x;
	int r;
	e->kind = PTCP_SCRIPT_CONNECT;
	while (next_tok(ps, &t)) {
		if (tok_is(&t, "tfo")) {
			e->connect.tfo = 1;
		} else if (kv(&t, &k, &v) && tok_is(&k, "data")) {
			if ((r = tok_num(ps, &v, PTCP_SCRIPT_IO_MAX, &x)))
				return r;
			e->connect.len = (uint32_t)x;
		} else if (kv(&t, &k, &v) && (tok_is(&k, "cookie") || tok_is(&k, "mss"))) {
			if (!e->connect.tfo)
				return fail(ps, t.pos, "%.*s= needs tfo before it", (int)k.len,
				            k.p);
			size_t n = 0;
			if (tok_is(&k, "mss")) {
				if ((r = tok_num(ps, &v, UINT16_MAX, &x)))
					return r;
				e->connect.tfo_mss = (uint16_t)x;
				continue;
			}
			memset(e->connect.tfo_cookie, 0, sizeof e->connect.tfo_cookie);
			if ((r = hex_into(ps, v.p, v.len, v.pos, e->connect.tfo_cookie, &n,
			                  PTCP_TFO_COOKIE_MAX)))
				return r;
			e->connect.tfo_len = (uint8_t)n;
		} else {
			return fail(ps, t.pos,
			            "unexpected '%.*s' (expected tfo, cookie=HEX, mss=N or data=N)",
			            (int)(t.len > 40 ? 40 : t.len), t.p);
		}
	}
	return 0;
}

/* setopt [nodelay] [cork] [KEY=VALUE ...] */
static int parse_setopt(struct ps *ps, ptcp_script_event *e)
{
	struct tok t, k, v;
	uint64_t x;
	int r;
	e->kind = PTCP_SCRIPT_SETOPT;
	while (next_tok(ps, &t)) {
		uint64_t *dur = NULL;
		if (tok_is(&t, "nodelay")) {
			e->setopt.flags |= PTCP_CFG_NODELAY;
			continue;
		}
		if (tok_is(&t, "cork")) {
			e->setopt.flags |= PTCP_CFG_CORK;
			continue;
		}
		if (!kv(&t, &k, &v))
			return fail(ps, t.pos, "expected nodelay, cork or KEY=VALUE");
		if (tok_is(&k, "keepalive_idle"))
			dur = &e->setopt.keepalive_idle;
		else if (tok_is(&k, "keepalive_intvl"))
			dur = &e->setopt.keepalive_intvl;
		else if (tok_is(&k, "user_timeout"))
			dur = &e->setopt.user_timeout;
		else if (tok_is(&k, "delack"))
			dur = &e->setopt.delack;
		if (dur) {
			if ((r = tok_dur(ps, v.p, v.len, v.pos, dur)))
				return r;
		} else if (tok_is(&k, "keepalive_cnt")) {
			if ((r = tok_num(ps, &v, 255, &x)))
				return r;
			e->setopt.keepalive_cnt = (uint8_t)x;
		} else if (tok_is(&k, "challenge")) {
			if ((r = tok_num(ps, &v, UINT32_MAX, &x)))
				return r;
			e->setopt.challenge_ack_limit = (uint32_t)x;
		} else {
			return fail(ps, k.pos, "unknown setopt key '%.*s'",
			            (int)(k.len > 40 ? 40 : k.len), k.p);
		}
	}
	return 0;
}

static int parse_event(struct ps *ps, ptcp_script_event *e, const struct tok *w)
{
	struct tok t, k, v;
	uint64_t x;
	int r;
	if (tok_is(w, "<") || tok_is(w, ">")) {
		e->kind = tok_is(w, "<") ? PTCP_SCRIPT_SEGMENT : PTCP_SCRIPT_EXPECT_SEG;
		return parse_seg(ps, e, w->pos);
	}
	if (tok_is(w, "=")) {
		e->kind = PTCP_SCRIPT_EXPECT_RET; /* replaced by parse_expect */
		return parse_expect(ps, e, w->pos);
	}
	if (tok_is(w, "close") || tok_is(w, "abort") || tok_is(w, "time")) {
		e->kind = tok_is(w, "close")   ? PTCP_SCRIPT_CLOSE
		          : tok_is(w, "abort") ? PTCP_SCRIPT_ABORT
		                               : PTCP_SCRIPT_TIME;
		return no_more(ps);
	}
	if (tok_is(w, "connect"))
		return parse_connect(ps, e);
	if (tok_is(w, "setopt"))
		return parse_setopt(ps, e);
	if (tok_is(w, "listen")) {
		e->kind = PTCP_SCRIPT_LISTEN;
		if (next_tok(ps, &t)) {
			if (!tok_is(&t, "any"))
				return fail(ps, t.pos, "expected 'any' or nothing");
			e->listen.any = 1;
		}
		return no_more(ps);
	}
	if (tok_is(w, "raw")) {
		e->kind = PTCP_SCRIPT_RAW;
		size_t cap = 0, save = ps->pos;
		while (next_tok(ps, &t))
			cap += t.len / 2 + 1;
		ps->pos = save;
		if (!cap)
			return 0;
		e->raw.data = malloc(cap);
		if (!e->raw.data)
			return NOMEM;
		size_t n = 0;
		while (next_tok(ps, &t))
			if ((r = hex_into(ps, t.p, t.len, t.pos, e->raw.data, &n,
			                  PTCP_SCRIPT_RAW_MAX)))
				return r;
		e->raw.len = (uint32_t)n;
		if (!n) {
			free(e->raw.data);
			e->raw.data = NULL;
		}
		return 0;
	}
	if (tok_is(w, "icmp")) {
		e->kind = PTCP_SCRIPT_ICMP;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing ICMP type");
		for (unsigned i = 1; i < PTCP_ICMP_KIND_COUNT; i++)
			if (tok_is(&t, ptcp_script_icmp_name(i)))
				e->icmp.type = (uint8_t)i;
		if (!e->icmp.type)
			return fail(ps, t.pos, "unknown ICMP type '%.*s'", (int)t.len, t.p);
		while (next_tok(ps, &t)) {
			if (!kv(&t, &k, &v) || !(tok_is(&k, "mtu") || tok_is(&k, "seq")))
				return fail(ps, t.pos, "expected mtu=N or seq=N");
			if ((r = tok_num(ps, &v, UINT32_MAX, &x)))
				return r;
			if (tok_is(&k, "mtu"))
				e->icmp.mtu = (uint32_t)x;
			else
				e->icmp.seq = (uint32_t)x;
		}
		return 0;
	}
	if (tok_is(w, "send")) {
		e->kind = PTCP_SCRIPT_SEND;
		int have_len = 0;
		while (next_tok(ps, &t)) {
			if (tok_is(&t, "more")) {
				e->send.more = 1;
			} else if (kv(&t, &k, &v) && tok_is(&k, "payload")) {
				size_t n;
				free(e->send.data);
				e->send.data = NULL;
				if ((r = hex_alloc(ps, v.p, v.len, v.pos, PTCP_SCRIPT_IO_MAX,
				                   &e->send.data, &n)))
					return r;
				if (have_len && n != e->send.len)
					return fail(ps, v.pos,
					            "payload has %zu bytes, length is %lu", n,
					            (unsigned long)e->send.len);
				e->send.len = (uint32_t)n;
				have_len = 1;
			} else if (!have_len) {
				if ((r = tok_num(ps, &t, PTCP_SCRIPT_IO_MAX, &x)))
					return r;
				e->send.len = (uint32_t)x;
				have_len = 1;
			} else {
				return fail(ps, t.pos, "unexpected '%.*s'",
				            (int)(t.len > 40 ? 40 : t.len), t.p);
			}
		}
		if (!have_len)
			return fail(ps, w->pos, "send needs a length or payload=HEX");
		return 0;
	}
	if (tok_is(w, "read")) {
		e->kind = PTCP_SCRIPT_READ;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing read length");
		if ((r = tok_num(ps, &t, PTCP_SCRIPT_IO_MAX, &x)))
			return r;
		e->read.len = (uint32_t)x;
		if (next_tok(ps, &t)) {
			if (!tok_is(&t, "discard"))
				return fail(ps, t.pos, "expected 'discard' or nothing");
			e->read.discard = 1;
		}
		return no_more(ps);
	}
	if (tok_is(w, "shutdown")) {
		e->kind = PTCP_SCRIPT_SHUTDOWN;
		if (!next_tok(ps, &t))
			return fail(ps, ps->pos, "missing rd, wr or rdwr");
		if (tok_is(&t, "rd"))
			e->shutdown.how = PTCP_SHUT_RD;
		else if (tok_is(&t, "wr"))
			e->shutdown.how = PTCP_SHUT_WR;
		else if (tok_is(&t, "rdwr"))
			e->shutdown.how = PTCP_SHUT_RDWR;
		else
			return fail(ps, t.pos, "expected rd, wr or rdwr");
		return no_more(ps);
	}
	return fail(ps, w->pos, "unknown event '%.*s'", (int)(w->len > 40 ? 40 : w->len), w->p);
}

static int parse_all(struct ps *ps, const char *text, size_t len)
{
	int addr_set = 0, r;
	size_t off = 0;
	ps->line = 0;
	while (off < len) {
		const char *ln = text + off;
		const char *nl = memchr(ln, '\n', len - off);
		size_t n = nl ? (size_t)(nl - ln) : len - off;
		off += n + (nl ? 1 : 0);
		ps->line++;
		const char *hash = memchr(ln, '#', n);
		ps->ln = ln;
		ps->end = hash ? (size_t)(hash - ln) : n;
		ps->pos = 0;
		struct tok w;
		if (!next_tok(ps, &w))
			continue;
		uint64_t delta = 0;
		int timed = 0;
		if (w.p[0] == '+') {
			if ((r = tok_dur(ps, w.p + 1, w.len - 1, w.pos + 1, &delta)))
				return r;
			timed = 1;
			if (!next_tok(ps, &w))
				return fail(ps, ps->pos, "missing event after the time");
		}
		if (tok_is(&w, "role") || tok_is(&w, "config") || tok_is(&w, "isn") ||
		    tok_is(&w, "addr")) {
			if (timed)
				return fail(ps, w.pos, "a header directive takes no time");
			if (ps->s->n)
				return fail(ps, w.pos, "'%.*s' after the first event", (int)w.len,
				            w.p);
			if ((r = parse_directive(ps, &w, &addr_set)))
				return r;
			continue;
		}
		if (!addr_set) {
			/* the header is complete: default addresses for the role */
			ptcp_script_default_addr(ps->s, ps->s->role, 4);
			addr_set = 1;
		}
		ptcp_script_event *e = ptcp_script_push(ps->s, PTCP_SCRIPT_TIME);
		if (!e) {
			if (ps->s->n >= PTCP_SCRIPT_EVENTS_MAX)
				return fail(ps, w.pos, "too many events");
			return NOMEM;
		}
		e->delta = delta;
		e->line = ps->line;
		if ((r = parse_event(ps, e, &w)))
			return r;
	}
	if (!addr_set)
		ptcp_script_default_addr(ps->s, ps->s->role, 4);
	return 0;
}

int ptcp_script_parse_text(const char *file, const char *text, size_t len, ptcp_script *out,
                           ptcp_script_error *err)
{
	struct ps ps;
	memset(&ps, 0, sizeof ps);
	ps.file = file;
	ps.err = err;
	ps.s = out;
	ptcp_script_init(out);
	if (err) {
		memset(err, 0, sizeof *err);
		err->file = file;
	}
	int r = parse_all(&ps, text, len);
	if (r) {
		ptcp_script_free(out);
		if (r == NOMEM && err) {
			err->line = ps.line;
			snprintf(err->msg, sizeof err->msg, "out of memory");
		}
	}
	return r;
}
