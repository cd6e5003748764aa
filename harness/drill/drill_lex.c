/*
 * drill_lex.c - tokens of packetdrill scripts.
 *
 * Whitespace (newlines included) separates tokens and is otherwise ignored; comments are
 * "// to the end of the line" and C-style blocks. Numbers are read greedily but a '.' belongs
 * to a number only when a digit follows, so "+0...0.011" is '+', 0, '...', 0.011 and "S." is
 * the word S then '.'. IPv6 addresses are only read on request (ptcp_drill_lex_addr) because
 * "1:1001" must stay three tokens in a sequence range.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drill_internal.h"

void ptcp_drill_lex_init(struct ptcp_drill_lexer *lx, const char *src, size_t len)
{
	lx->src = src;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->line_start = 0;
}

/* The character at pos + off, or -1 past the end. */
static int peek(const struct ptcp_drill_lexer *lx, size_t off)
{
	size_t i = lx->pos + off;
	if (i >= lx->len || i < lx->pos)
		return -1;
	return (unsigned char)lx->src[i];
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static bool is_xdigit(int c)
{
	return c >= 0 && c < 256 && isxdigit(c);
}
static bool is_word_start(int c)
{
	return (c >= 0 && c < 128 && isalpha(c)) || c == '_';
}
static bool is_word_char(int c)
{
	return is_word_start(c) || is_digit(c);
}

/* Advance by one character, counting lines. */
static void advance(struct ptcp_drill_lexer *lx)
{
	if (lx->pos >= lx->len)
		return;
	if (lx->src[lx->pos] == '\n') {
		lx->line++;
		lx->line_start = lx->pos + 1;
	}
	lx->pos++;
}

static void start_token(const struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok,
                        enum ptcp_drill_tok_kind kind)
{
	memset(tok, 0, sizeof(*tok));
	tok->kind = kind;
	tok->start = lx->pos;
	tok->end = lx->pos;
	tok->line = lx->line;
	tok->col = (int)(lx->pos - lx->line_start + 1);
}

/* Print up to max characters of src[start, end) into buf, making unprintable bytes visible. */
static void quote_text(const char *src, size_t start, size_t end, char *buf, size_t size,
                       size_t max)
{
	size_t o = 0;
	if (size == 0)
		return;
	for (size_t i = start; i < end && i - start < max && o + 5 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			int n = snprintf(buf + o, size - o, "\\x%02x", c);
			if (n < 0 || (size_t)n >= size - o)
				break;
			o += (size_t)n;
		}
	}
	if (end - start > max && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static void set_error(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok, const char *what)
{
	tok->kind = PTCP_DRILL_TK_ERROR;
	tok->end = lx->pos > tok->start ? lx->pos : tok->start;
	snprintf(tok->msg, sizeof(tok->msg), "%s", what);
}

/* Skip whitespace and comments. Returns false (and fills tok) on an unterminated comment. */
static bool skip_space(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	for (;;) {
		int c = peek(lx, 0);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			advance(lx);
		} else if (c == '/' && peek(lx, 1) == '/') {
			while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
				advance(lx);
		} else if (c == '/' && peek(lx, 1) == '*') {
			start_token(lx, tok, PTCP_DRILL_TK_ERROR);
			advance(lx);
			advance(lx);
			for (;;) {
				if (peek(lx, 0) == -1) {
					set_error(lx, tok, "unterminated comment (missing '*/')");
					return false;
				}
				if (peek(lx, 0) == '*' && peek(lx, 1) == '/') {
					advance(lx);
					advance(lx);
					break;
				}
				advance(lx);
			}
		} else {
			return true;
		}
	}
}

/* A quoted run starting at the opening quote q; backslash escapes the next character.
 * Returns false at the end of the input (or at a newline if !multiline). */
/* Scans a quoted string or command: 1, or 0 when unterminated, -1 at a NUL
 * byte inside (the AST keeps C strings: a NUL would cut the text). */
static int scan_quoted(struct ptcp_drill_lexer *lx, int q, bool multiline)
{
	advance(lx); /* opening quote */
	for (;;) {
		int c = peek(lx, 0);
		if (c == 0)
			return -1;
		if (c == -1 || (c == '\n' && !multiline))
			return 0;
		if (c == '\\') {
			int n = peek(lx, 1);
			if (n == 0)
				return -1;
			if (n == -1 || (n == '\n' && !multiline))
				return 0;
			advance(lx);
			advance(lx);
			continue;
		}
		advance(lx);
		if (c == q)
			return 1;
	}
}

static void lex_string(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	start_token(lx, tok, PTCP_DRILL_TK_STRING);
	int r = scan_quoted(lx, '"', false);
	if (r <= 0) {
		set_error(lx, tok,
		          r < 0 ? "NUL byte in a string"
		                : "unterminated string (missing closing '\"' on this line)");
		return;
	}
	tok->end = lx->pos;
	tok->body = tok->start + 1;
	tok->body_end = tok->end - 1;
}

static void lex_backquote(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	start_token(lx, tok, PTCP_DRILL_TK_BACKQUOTE);
	int r = scan_quoted(lx, '`', true);
	if (r <= 0) {
		set_error(lx, tok,
		          r < 0 ? "NUL byte in a command"
		                : "unterminated command (missing closing '`')");
		return;
	}
	tok->end = lx->pos;
	tok->body = tok->start + 1;
	tok->body_end = tok->end - 1;
}

static void lex_code(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	start_token(lx, tok, PTCP_DRILL_TK_CODE);
	advance(lx);
	advance(lx);
	for (;;) {
		if (peek(lx, 0) == -1) {
			set_error(lx, tok, "unterminated code block (missing '}%')");
			return;
		}
		if (peek(lx, 0) == 0) {
			set_error(lx, tok, "NUL byte in a code block");
			return;
		}
		if (peek(lx, 0) == '}' && peek(lx, 1) == '%') {
			tok->body = tok->start + 2;
			tok->body_end = lx->pos;
			advance(lx);
			advance(lx);
			tok->end = lx->pos;
			return;
		}
		advance(lx);
	}
}

/* --name, --name=value, --name="quoted value". */
static void lex_option(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	start_token(lx, tok, PTCP_DRILL_TK_OPTION);
	advance(lx);
	advance(lx);
	tok->body = lx->pos;
	while (is_word_char(peek(lx, 0)))
		advance(lx);
	tok->body_end = lx->pos;
	tok->end = lx->pos;
	if (peek(lx, 0) != '=')
		return;
	advance(lx);
	tok->has_value = true;
	tok->value = lx->pos;
	int c = peek(lx, 0);
	if (c == '"') {
		int r = scan_quoted(lx, '"', false);
		if (r <= 0) {
			set_error(lx, tok,
			          r < 0
			              ? "NUL byte in option value"
			              : "unterminated string (missing closing '\"' on this line)");
			return;
		}
		tok->value_end = lx->pos;
		tok->end = lx->pos;
		return;
	}
	for (;;) {
		c = peek(lx, 0);
		if (c == -1 || c == ' ' || c == '\t' || c == '\r' || c == '\n')
			break;
		if (c == 0) {
			set_error(lx, tok, "NUL byte in option value");
			return;
		}
		if (c == '"' || c == '`') {
			int r = scan_quoted(lx, c, c == '`');
			if (r <= 0) {
				set_error(lx, tok,
				          r < 0      ? "NUL byte in option value"
				          : c == '"' ? "unterminated string in option value"
				                     : "unterminated command in option value");
				return;
			}
			continue;
		}
		advance(lx);
	}
	tok->value_end = lx->pos;
	tok->end = lx->pos;
	if (tok->value_end == tok->value)
		set_error(lx, tok, "expected a value after '=' in the option");
}

static void malformed_number(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	/* Take the rest of the blob so the message shows all of it. */
	while (is_word_char(peek(lx, 0)) || peek(lx, 0) == '.')
		advance(lx);
	char text[64];
	quote_text(lx->src, tok->start, lx->pos, text, sizeof(text), 40);
	tok->kind = PTCP_DRILL_TK_ERROR;
	tok->end = lx->pos;
	snprintf(tok->msg, sizeof(tok->msg), "malformed number '%s'", text);
}

static void lex_number(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	start_token(lx, tok, PTCP_DRILL_TK_INT);
	bool neg = peek(lx, 0) == '-';
	if (neg)
		advance(lx);

	if (!neg && peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X') &&
	    is_xdigit(peek(lx, 2))) {
		advance(lx);
		advance(lx);
		uint64_t v = 0;
		bool overflow = false;
		while (is_xdigit(peek(lx, 0))) {
			int c = peek(lx, 0);
			int d = is_digit(c) ? c - '0' : (tolower(c) - 'a' + 10);
			if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)d) / 16)
				overflow = true;
			else
				v = v * 16 + (uint64_t)d;
			advance(lx);
		}
		if (is_word_char(peek(lx, 0))) {
			/* 0x12zz: a word, like upstream's lexer would read it. */
			while (is_word_char(peek(lx, 0)))
				advance(lx);
			tok->kind = PTCP_DRILL_TK_WORD;
			tok->end = lx->pos;
			return;
		}
		tok->end = lx->pos;
		if (overflow) {
			set_error(lx, tok, "hex number out of range");
			return;
		}
		tok->kind = PTCP_DRILL_TK_HEX;
		tok->num = (int64_t)v;
		return;
	}

	size_t int_start = lx->pos;
	while (is_digit(peek(lx, 0)))
		advance(lx);
	size_t int_end = lx->pos;
	int groups = 1;
	while (peek(lx, 0) == '.' && is_digit(peek(lx, 1))) {
		advance(lx);
		while (is_digit(peek(lx, 0)))
			advance(lx);
		groups++;
	}
	if (is_word_char(peek(lx, 0))) {
		if (groups == 1 && !neg) {
			/* A digit-led word such as a hex cookie: 3021b9d889017eeb. */
			while (is_word_char(peek(lx, 0)))
				advance(lx);
			tok->kind = PTCP_DRILL_TK_WORD;
			tok->end = lx->pos;
			return;
		}
		malformed_number(lx, tok);
		return;
	}
	tok->end = lx->pos;
	if (groups == 2) {
		tok->kind = PTCP_DRILL_TK_FLOAT;
		return;
	}
	if (groups == 4 && !neg && int_end > int_start) {
		tok->kind = PTCP_DRILL_TK_IPV4;
		return;
	}
	if (groups != 1) {
		malformed_number(lx, tok);
		return;
	}
	uint64_t v = 0;
	for (size_t i = int_start; i < int_end; i++) {
		unsigned d = (unsigned)(lx->src[i] - '0');
		if (v > (UINT64_C(0x7fffffffffffffff) - d) / 10) {
			set_error(lx, tok, "integer out of range");
			return;
		}
		v = v * 10 + d;
	}
	tok->num = neg ? -(int64_t)v : (int64_t)v;
}

void ptcp_drill_lex_next(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	if (!skip_space(lx, tok))
		return;
	int c = peek(lx, 0);
	int n1 = peek(lx, 1);
	int n2 = peek(lx, 2);

	if (c == -1) {
		start_token(lx, tok, PTCP_DRILL_TK_EOF);
		return;
	}
	if (c == '"') {
		lex_string(lx, tok);
		return;
	}
	if (c == '`') {
		lex_backquote(lx, tok);
		return;
	}
	if (c == '%' && n1 == '{') {
		lex_code(lx, tok);
		return;
	}
	if (c == '-' && n1 == '-' && is_word_char(n2)) {
		lex_option(lx, tok);
		return;
	}
	if (c == '.' && n1 == '.' && n2 == '.') {
		start_token(lx, tok, PTCP_DRILL_TK_ELLIPSIS);
		lx->pos += 3;
		tok->end = lx->pos;
		return;
	}
	if (is_digit(c) || (c == '.' && is_digit(n1)) ||
	    (c == '-' && (is_digit(n1) || (n1 == '.' && is_digit(n2))))) {
		lex_number(lx, tok);
		return;
	}
	if (is_word_start(c)) {
		start_token(lx, tok, PTCP_DRILL_TK_WORD);
		while (is_word_char(peek(lx, 0)))
			advance(lx);
		tok->end = lx->pos;
		return;
	}
	start_token(lx, tok, PTCP_DRILL_TK_PUNCT);
	advance(lx);
	tok->end = lx->pos;
	tok->ch = (char)c;
	if (c < 0x21 || c > 0x7e) {
		if (c >= 0x20 && c < 0x7f)
			snprintf(tok->msg, sizeof(tok->msg), "unexpected character '%c'", c);
		else
			snprintf(tok->msg, sizeof(tok->msg), "unexpected character 0x%02x", c);
		tok->kind = PTCP_DRILL_TK_ERROR;
	}
}

void ptcp_drill_lex_addr(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok)
{
	/* Rewind to the token. Lines did not change: an address token never spans lines, and the
	 * token we rewind to started on tok->line. */
	lx->pos = tok->start;
	lx->line = tok->line;
	lx->line_start = tok->start - (size_t)(tok->col - 1);
	start_token(lx, tok, PTCP_DRILL_TK_ADDR);
	for (;;) {
		int c = peek(lx, 0);
		if (!(is_xdigit(c) || c == ':' || c == '.'))
			break;
		advance(lx);
	}
	if (lx->pos - tok->start >= 2 && lx->src[lx->pos - 1] == ':' && lx->src[lx->pos - 2] != ':')
		lx->pos--;
	tok->end = lx->pos;
	if (tok->end == tok->start)
		set_error(lx, tok, "expected an IP address");
}

void ptcp_drill_tok_describe(const struct ptcp_drill_lexer *lx, const struct ptcp_drill_token *tok,
                             char *buf, size_t size)
{
	char text[64];
	quote_text(lx->src, tok->start, tok->end, text, sizeof(text), 40);
	switch (tok->kind) {
	case PTCP_DRILL_TK_EOF:
		snprintf(buf, size, "end of file");
		break;
	case PTCP_DRILL_TK_STRING:
		snprintf(buf, size, "string %s", text);
		break;
	case PTCP_DRILL_TK_BACKQUOTE:
		snprintf(buf, size, "command %s", text);
		break;
	case PTCP_DRILL_TK_CODE:
		snprintf(buf, size, "code block");
		break;
	case PTCP_DRILL_TK_OPTION:
		quote_text(lx->src, tok->start, tok->body_end, text, sizeof(text), 40);
		snprintf(buf, size, "option '%s'", text);
		break;
	case PTCP_DRILL_TK_ERROR:
		snprintf(buf, size, "%s", tok->msg);
		break;
	default:
		snprintf(buf, size, "'%s'", text);
		break;
	}
}
