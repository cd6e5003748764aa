/*
 * drill.h - parser for packetdrill scripts (the syntax of the Linux TCP tests).
 *
 * The parser turns a script into an AST that a runner can walk event by event:
 *
 *   struct ptcp_drill_script *s;
 *   struct ptcp_drill_error err;
 *   if (ptcp_drill_parse_file("x.pkt", &s, &err) != 0) {
 *           char msg[PTCP_DRILL_ERROR_TEXT_MAX];
 *           ptcp_drill_error_format(&err, msg, sizeof(msg)); // "x.pkt:3:7: expected ..."
 *   }
 *   for (size_t i = 0; i < s->n_events; i++) { ... s->events[i] ... }
 *   ptcp_drill_script_free(s);
 *
 * Conventions:
 *  - Times are integer microseconds. "1.5" is 1500000.
 *  - Lines and columns are 1-based; a column counts bytes (a tab is one column).
 *  - Strings in the AST are NUL-terminated and owned by the script; they are the text as
 *    written: escape sequences in "strings" and `commands` are not decoded. A "string" ends on
 *    its own line; `commands` and %{ code }% may span lines. Adjacent "a" "b" concatenate.
 *  - Named constants (SOL_SOCKET, EINPROGRESS, TFO_COOKIE, ...) are kept as words; resolving them
 *    is the runner's job.
 *  - The parser is reentrant: no mutable globals; everything a script owns is freed by
 *    ptcp_drill_script_free().
 */
#ifndef PTCP_DRILL_H
#define PTCP_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors ---------------------------------------------------------------------------- */

#define PTCP_DRILL_ERROR_FILE_MAX    512
#define PTCP_DRILL_ERROR_MESSAGE_MAX 256
#define PTCP_DRILL_ERROR_TEXT_MAX    (PTCP_DRILL_ERROR_FILE_MAX + PTCP_DRILL_ERROR_MESSAGE_MAX + 32)

/* A parse error. line/col point at the offending token (line >= 1 for any syntax error; line 0
 * only when the file could not be read or memory ran out). The message says what was expected
 * and what was found, e.g. "expected ')' after the arguments of close(), found '='". */
struct ptcp_drill_error {
	char file[PTCP_DRILL_ERROR_FILE_MAX];
	int line;
	int col;
	char message[PTCP_DRILL_ERROR_MESSAGE_MAX];
};

/* ---- Times ----------------------------------------------------------------------------- */

enum ptcp_drill_time_kind {
	PTCP_DRILL_TIME_ABSOLUTE, /* "1.5": 1.5 s after the start of the script */
	PTCP_DRILL_TIME_RELATIVE, /* "+0.1": 0.1 s after the previous event */
	PTCP_DRILL_TIME_ANY,      /* "*": any time (outbound packets only) */
};

/* The time of an event. A range ("0.1~0.2" or "+0.1~+0.2", outbound packets only) says the
 * event may happen anywhere between usecs and end_usecs, both in the same base (absolute, or
 * relative to the previous event). Without a range end_usecs == usecs. For ANY both are 0. */
struct ptcp_drill_time {
	enum ptcp_drill_time_kind kind;
	bool range;
	int64_t usecs;
	int64_t end_usecs;
};

/* ---- Packets --------------------------------------------------------------------------- */

enum ptcp_drill_dir {
	PTCP_DRILL_IN,  /* '<': injected into the stack under test */
	PTCP_DRILL_OUT, /* '>': expected from the stack under test */
};

enum ptcp_drill_proto {
	PTCP_DRILL_TCP,
	PTCP_DRILL_UDP,
	PTCP_DRILL_ICMP,
};

/* IP ECN annotation: [noecn] [ect0] [ect1] [ce] [ect01] ("ECT0 or ECT1", outbound only). */
enum ptcp_drill_ecn {
	PTCP_DRILL_ECN_UNSPEC = 0, /* not given */
	PTCP_DRILL_ECN_NOECN,
	PTCP_DRILL_ECN_ECT0,
	PTCP_DRILL_ECN_ECT1,
	PTCP_DRILL_ECN_CE,
	PTCP_DRILL_ECN_ECT01,
};

/* IP header annotation, written "[ect0]", "(tos 0x10)", "[ttl 64]", "(ect1, flowlabel 0x12)". */
struct ptcp_drill_ip_info {
	enum ptcp_drill_ecn ecn;
	bool has_tos;
	uint8_t tos;
	bool has_flowlabel;
	uint32_t flowlabel; /* 20 bits */
	bool has_ttl;
	uint8_t ttl;
};

/* An outer encapsulation header before the packet: "ipv4 1.2.3.4 > 5.6.7.8:",
 * "ipv6 fd::1 > fd::2:", "gre:", "gre flags 0x2000, sum 0, off 0, key 1, seq 0:",
 * "mpls (label 1, tc 0, [S], ttl 255):". Rarely used; a runner may reject them. */
enum ptcp_drill_layer_kind {
	PTCP_DRILL_LAYER_IPV4,
	PTCP_DRILL_LAYER_IPV6,
	PTCP_DRILL_LAYER_GRE,
	PTCP_DRILL_LAYER_MPLS,
};

struct ptcp_drill_mpls_entry {
	uint32_t label;
	uint32_t tc;
	bool bottom; /* written "[S]," */
	uint32_t ttl;
};

struct ptcp_drill_layer {
	enum ptcp_drill_layer_kind kind;
	struct ptcp_drill_ip_info ip; /* IPV4/IPV6 */
	char *src;                    /* IPV4/IPV6 address text */
	char *dst;
	bool gre_has_header; /* GRE: were the header fields given? */
	uint32_t gre_flags, gre_sum, gre_off, gre_key, gre_seq;
	struct ptcp_drill_mpls_entry *mpls; /* MPLS */
	size_t n_mpls;
};

/* TCP flag bits, from the flags word ("S.", "P.", "F.", "SEW", "R", "-" = none). */
#define PTCP_DRILL_FLAG_FIN 0x01u /* F */
#define PTCP_DRILL_FLAG_SYN 0x02u /* S */
#define PTCP_DRILL_FLAG_RST 0x04u /* R */
#define PTCP_DRILL_FLAG_PSH 0x08u /* P */
#define PTCP_DRILL_FLAG_ACK 0x10u /* . */
#define PTCP_DRILL_FLAG_URG 0x20u /* U */
#define PTCP_DRILL_FLAG_ECE 0x40u /* E */
#define PTCP_DRILL_FLAG_CWR 0x80u /* W */

enum ptcp_drill_tcpopt_kind {
	PTCP_DRILL_OPT_NOP,     /* nop */
	PTCP_DRILL_OPT_EOL,     /* eol */
	PTCP_DRILL_OPT_MSS,     /* mss N            -> value */
	PTCP_DRILL_OPT_WSCALE,  /* wscale N         -> value */
	PTCP_DRILL_OPT_SACK_OK, /* sackOK */
	PTCP_DRILL_OPT_SACK,    /* sack L:R L:R ... -> sack, n_sack */
	PTCP_DRILL_OPT_TS,      /* TS val N ecr N   -> ts_val, ts_ecr */
	PTCP_DRILL_OPT_MD5,     /* md5 HEX          -> blob */
	PTCP_DRILL_OPT_FO,      /* FO [cookie]      -> blob (NULL: no cookie) (option 34) */
	PTCP_DRILL_OPT_FO_EXP,  /* FOEXP [cookie]   -> blob (experimental option 254) */
};

struct ptcp_drill_sack_block {
	uint32_t left;
	uint32_t right;
};

struct ptcp_drill_tcp_option {
	enum ptcp_drill_tcpopt_kind kind;
	uint32_t value; /* MSS, WSCALE */
	uint32_t ts_val;
	uint32_t ts_ecr;
	struct ptcp_drill_sack_block *sack;
	size_t n_sack;
	char *blob; /* MD5 key / fastopen cookie as written: hex digits or a symbol */
};

enum ptcp_drill_options_kind {
	PTCP_DRILL_OPTIONS_NONE, /* no "<...>" part: the segment carries no options */
	PTCP_DRILL_OPTIONS_ANY,  /* "<...>": do not check options (outbound only) */
	PTCP_DRILL_OPTIONS_LIST, /* "<mss 1460,nop,...>": exactly these */
};

enum ptcp_drill_icmp_echoed {
	PTCP_DRILL_ECHOED_NONE, /* nothing given (upstream: TCP, seq 0, 0 bytes) */
	PTCP_DRILL_ECHOED_TCP,  /* "[1:11(10)]" -> echoed_seq, echoed_end, echoed_len */
	PTCP_DRILL_ECHOED_UDP,  /* "[udp (100)]" -> echoed_len */
	PTCP_DRILL_ECHOED_RAW,  /* "[raw (100)]" -> echoed_len */
};

struct ptcp_drill_packet {
	enum ptcp_drill_dir dir;
	enum ptcp_drill_proto proto;
	struct ptcp_drill_layer *layers; /* outermost first */
	size_t n_layers;
	struct ptcp_drill_ip_info ip;
	bool has_ports; /* "8080 > 9090" before the flags */
	uint16_t src_port;
	uint16_t dst_port;

	/* TCP */
	char flags[16];     /* as written ("S.", "P.", "-"); "-" means no flags */
	unsigned flag_bits; /* PTCP_DRILL_FLAG_* */
	uint32_t seq;       /* start:end(len); end == seq + len */
	uint32_t end;
	uint32_t len; /* TCP payload bytes; also UDP payload bytes */
	bool has_ack;
	uint32_t ack;
	bool has_win;
	uint32_t win;
	bool has_urg;
	uint32_t urg;
	enum ptcp_drill_options_kind options_kind;
	struct ptcp_drill_tcp_option *options;
	size_t n_options;

	/* ICMP: "icmp unreachable frag_needed mtu 1200 [1:11(10)]" */
	char *icmp_type; /* "unreachable", "echo_reply", ... */
	char *icmp_code; /* "frag_needed", "port_unreachable", ... or NULL */
	bool has_mtu;
	uint32_t mtu;
	bool has_icmp_id;
	uint32_t icmp_id;
	enum ptcp_drill_icmp_echoed echoed;
	uint32_t echoed_seq;
	uint32_t echoed_end;
	uint32_t echoed_len;
};

/* ---- System calls ---------------------------------------------------------------------- */

enum ptcp_drill_expr_kind {
	PTCP_DRILL_EXPR_INT,      /* 42, -1, 0x1f          -> num (hex: written in hex) */
	PTCP_DRILL_EXPR_ELLIPSIS, /* ...                   (don't care) */
	PTCP_DRILL_EXPR_WORD,     /* SOL_SOCKET, NULL      -> str */
	PTCP_DRILL_EXPR_STRING,   /* "abc", "abc"...       -> str (raw contents), str_ellipsis */
	PTCP_DRILL_EXPR_BINARY,   /* O_RDWR|O_NONBLOCK     -> op '|', lhs, rhs (left-assoc) */
	PTCP_DRILL_EXPR_ARRAY,    /* [1, 2]                -> items */
	PTCP_DRILL_EXPR_STRUCT,   /* {a=1, b=2}, {..., 0}  -> items */
	PTCP_DRILL_EXPR_FIELD,    /* name=value            -> str, rhs; lhs = index or NULL,
	                           * e.g. msg_iov(1)=[...] has str "msg_iov", lhs 1 */
	PTCP_DRILL_EXPR_CALL,     /* htons(8080), inet_addr("1.2.3.4") -> str, items */
};

struct ptcp_drill_expr {
	enum ptcp_drill_expr_kind kind;
	int line;
	int col;
	int64_t num;
	bool hex;
	char *str;
	bool str_ellipsis;
	char op;
	struct ptcp_drill_expr *lhs;
	struct ptcp_drill_expr *rhs;
	struct ptcp_drill_expr **items;
	size_t n_items;
};

/* "name(args) = ret [ERRNO] [(note)]", possibly "...END name(...)" for a blocking call. */
struct ptcp_drill_syscall {
	char *name;
	struct ptcp_drill_expr **args;
	size_t n_args;
	struct ptcp_drill_expr *ret;
	char *errno_name; /* "EINPROGRESS" or NULL; on the line where the return value ends */
	char *note;       /* "Operation now in progress" (words joined by one space) or NULL */
	/* "+0...0.011 connect(...)": the call starts at the event time and returns at end_usecs.
	 * end_usecs has the same base as the event time: for a relative event time it is relative
	 * to the previous event (like the start), for an absolute one it is absolute. */
	bool blocking;
	int64_t end_usecs;
};

/* ---- Events and scripts ---------------------------------------------------------------- */

enum ptcp_drill_event_kind {
	PTCP_DRILL_EV_PACKET,
	PTCP_DRILL_EV_SYSCALL,
	PTCP_DRILL_EV_COMMAND, /* `shell command`  -> text */
	PTCP_DRILL_EV_CODE,    /* %{ python }%     -> text */
};

struct ptcp_drill_event {
	int line; /* position of the event's time */
	int col;
	struct ptcp_drill_time time;
	enum ptcp_drill_event_kind kind;
	union {
		struct ptcp_drill_packet packet;
		struct ptcp_drill_syscall syscall;
		char *text; /* COMMAND: between the backquotes; CODE: between %{ and }%; both raw */
	} u;
};

/* "--tolerance_usecs=10000": name "tolerance_usecs", value "10000". "--strict_segments": value
 * NULL. A value all in double quotes is stored without them (value_quoted is then true);
 * "--define=X=\"y\"" keeps "X=\"y\"". */
struct ptcp_drill_option {
	int line;
	int col;
	char *name;
	char *value;
	bool value_quoted;
};

/* A backquoted command without a time: before the first event (init) or after the last
 * (cleanup). */
struct ptcp_drill_command {
	int line;
	int col;
	char *text;
};

struct ptcp_drill_script {
	char *file;
	struct ptcp_drill_option *options;
	size_t n_options;
	struct ptcp_drill_command *init_command; /* or NULL */
	struct ptcp_drill_event *events;
	size_t n_events;                            /* >= 1 */
	struct ptcp_drill_command *cleanup_command; /* or NULL */
	struct ptcp_drill_arena *arena;             /* private: owns all the memory */
};

/* ---- Functions ------------------------------------------------------------------------- */

/* Parse len bytes of text (need not be NUL-terminated); name is used in errors and copied.
 * On success returns 0 and sets *out. On failure returns -1, *out = NULL, and fills *err
 * (err may be NULL). */
int ptcp_drill_parse_string(const char *name, const char *text, size_t len,
                            struct ptcp_drill_script **out, struct ptcp_drill_error *err);

/* Read and parse a file. Same contract; an unreadable file gives line 0. */
int ptcp_drill_parse_file(const char *path, struct ptcp_drill_script **out,
                          struct ptcp_drill_error *err);

/* Free a script (NULL is fine). */
void ptcp_drill_script_free(struct ptcp_drill_script *script);

/* "file:line:col: message" into buf (snprintf semantics: returns the full length). */
int ptcp_drill_error_format(const struct ptcp_drill_error *err, char *buf, size_t size);

/* Normalized text of one event on one line ("+0.1 < S. 0:0(0) win 32792 <mss 1000,nop>");
 * commands and code keep their own newlines. snprintf semantics. The output parses back to the
 * same AST. */
int ptcp_drill_format_event(const struct ptcp_drill_event *ev, char *buf, size_t size);

/* Same for an expression ("{sin_family=AF_INET, sin_port=htons(8080)}"). */
int ptcp_drill_format_expr(const struct ptcp_drill_expr *e, char *buf, size_t size);

/* Same for a time ("0", "+0.1", "*", "+0.1~+0.2"). */
int ptcp_drill_format_time(const struct ptcp_drill_time *t, char *buf, size_t size);

/* Print the whole script normalized: options, init command, one event per line, cleanup. */
int ptcp_drill_print_script(FILE *f, const struct ptcp_drill_script *script);

/* Names for messages and dumps. */
const char *ptcp_drill_event_kind_name(enum ptcp_drill_event_kind kind);
const char *ptcp_drill_expr_kind_name(enum ptcp_drill_expr_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* PTCP_DRILL_H */
