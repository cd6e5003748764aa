/*
 * drill_internal.h - shared between the lexer, the parser and the printer of packetdrill
 * scripts. Not part of the public API (see drill.h).
 */
#ifndef PTCP_DRILL_INTERNAL_H
#define PTCP_DRILL_INTERNAL_H

#include "drill.h"

/* ---- Arena: every allocation of a script lives in one chain of blocks ------------------- */

struct ptcp_drill_arena;

/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *ptcp_drill_arena_alloc(struct ptcp_drill_arena **arena, size_t size);
char *ptcp_drill_arena_strndup(struct ptcp_drill_arena **arena, const char *s, size_t n);
void ptcp_drill_arena_free(struct ptcp_drill_arena *arena);

/* ---- Lexer ------------------------------------------------------------------------------ */

enum ptcp_drill_tok_kind {
	PTCP_DRILL_TK_EOF,
	PTCP_DRILL_TK_INT,       /* -12, 345: num */
	PTCP_DRILL_TK_HEX,       /* 0x1f: num */
	PTCP_DRILL_TK_FLOAT,     /* 1.5, .01 */
	PTCP_DRILL_TK_IPV4,      /* 192.168.0.1 */
	PTCP_DRILL_TK_WORD,      /* [A-Za-z_][A-Za-z0-9_]*, or a digit-led blob like 3021b9d8 */
	PTCP_DRILL_TK_STRING,    /* "..." : body = contents */
	PTCP_DRILL_TK_BACKQUOTE, /* `...` : body = contents */
	PTCP_DRILL_TK_CODE,      /* %{...}%: body = contents */
	PTCP_DRILL_TK_OPTION,    /* --name[=value]: body = name, value */
	PTCP_DRILL_TK_ELLIPSIS,  /* ... */
	PTCP_DRILL_TK_PUNCT,     /* any other single character: ch */
	PTCP_DRILL_TK_ADDR,      /* only from ptcp_drill_lex_addr(): an IPv4/IPv6 address */
	PTCP_DRILL_TK_ERROR,     /* lexical error: msg */
};

struct ptcp_drill_token {
	enum ptcp_drill_tok_kind kind;
	size_t start; /* whole token: src[start, end) */
	size_t end;
	int line;
	int col;
	size_t body; /* contents: src[body, body_end) */
	size_t body_end;
	bool has_value; /* OPTION */
	size_t value;
	size_t value_end;
	int64_t num;
	char ch;
	char msg[128];
};

struct ptcp_drill_lexer {
	const char *src;
	size_t len;
	size_t pos;
	int line;
	size_t line_start;
};

void ptcp_drill_lex_init(struct ptcp_drill_lexer *lx, const char *src, size_t len);

/* The next token (EOF forever at the end; ERROR stops nothing by itself). */
void ptcp_drill_lex_next(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok);

/* Re-read the text at tok as an address (IPv4 or IPv6, hex digits, ':' and '.'); a trailing
 * single ':' is left out. Rewinds the lexer to tok first. Gives ERROR if there is none. */
void ptcp_drill_lex_addr(struct ptcp_drill_lexer *lx, struct ptcp_drill_token *tok);

/* Human-readable description of a token for messages: "'='", "integer 42", "end of file". */
void ptcp_drill_tok_describe(const struct ptcp_drill_lexer *lx, const struct ptcp_drill_token *tok,
                             char *buf, size_t size);

/* ---- Printer helper --------------------------------------------------------------------- */

/* Microseconds as seconds without trailing zeros: 1500000 -> "1.5", 0 -> "0". */
int ptcp_drill_format_usecs(int64_t usecs, char *buf, size_t size);

#endif /* PTCP_DRILL_INTERNAL_H */
