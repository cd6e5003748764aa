/*
 * drill_run_int.h - shared between the parts of the packetdrill runner (not public):
 *   drill_run.c       the event loop, the virtual clock, timing checks, results
 *   drill_stack.c     the simulated kernel: sockets, ptcp_conn blocks, demux, timers
 *   drill_match.c     '<' segments built from the script, '>' segments checked against it
 *   drill_syscalls.c  system calls, socket options, blocking calls
 *   drill_symbols.c   named constants, errno names, integer expressions
 *   drill_env.c       shell commands: defaults.sh and sysctls
 *
 * Times: script time is microseconds since the script's time 0 (int64_t); the core runs on
 * ptcp_time_t = DRILL_BASE_US + script time, so that it never sees time 0.
 */
#ifndef PTCP_DRILL_RUN_INT_H
#define PTCP_DRILL_RUN_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drill_run.h"
#include "ptcp/listener.h"
#include "ptcp/ptcp.h"

#define DRILL_BASE_US    1000000
#define DRILL_ACTS       1024
#define DRILL_SEC(x)     ((int64_t)(x)*1000000)
#define DRILL_SNDBUF_CAP (4u << 20) /* core send ring; the socket layer enforces SO_SNDBUF */

/* Linux defaults (packetdrill's defaults.sh). */
#define DRILL_DEF_SNDBUF 262144 /* tcp_wmem[1] */
#define DRILL_DEF_RCVBUF 540000 /* tcp_rmem[1] */

struct runner;

/* ---- Emitted segments ----------------------------------------------------------------- */

struct pkt {
	ptcp_seg seg; /* options in wire layout (codec round trip); payload NULL */
	ptcp_addr src, dst;
	uint8_t ecn;
	int64_t t; /* script time of emission */
	struct pkt *next;
};

/* ---- The connection under test, as packetdrill's "socket under test" --------------------- */

enum flow_state {
	FLOW_NEW,          /* socket() */
	FLOW_LISTENING,    /* listen() */
	FLOW_CONNECTING,   /* connect() seen, SYN not yet matched */
	FLOW_SYN_SENT,     /* '> S' matched */
	FLOW_SYN_ACKED,    /* '< S.' injected */
	FLOW_PASSIVE_SYN,  /* '< S' created a child */
	FLOW_SYNACK_SENT,  /* '> S.' matched */
	FLOW_SYNACK_ACKED, /* '<' ACK after the SYN-ACK */
};

struct tsmap {
	uint32_t script, live;
};

struct flow {
	enum flow_state state;
	uint16_t lport, rport; /* live ports (the script's are ignored unless given) */
	uint32_t live_isn;     /* our ISS (we choose it) */
	uint32_t script_isn;   /* the seq of the script's '> S' / '> S.' (0 until seen) */
	uint32_t remote_isn;   /* script and live remote ISN are the same */
	struct tsmap *ts;      /* script TS val -> live TS val, from '>' lines */
	size_t n_ts, cap_ts;
	bool found_first_ts;
	uint32_t first_script_ts, first_live_ts;
	struct flow *next; /* all flows, for freeing */
};

/* ---- Sockets --------------------------------------------------------------------------- */

enum sock_kind { SK_NEW, SK_LISTEN, SK_CONN };
enum sock_conn_state { SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED };

struct sock {
	int fd; /* script fd, -1 when the fd is closed (or not accepted yet) */
	enum sock_kind kind;
	ptcp_config cfg; /* applied at connect/listen; children copy the listener's */
	ptcp_conn *conn; /* SK_CONN and SK_LISTEN (the spare LISTEN block), in a drill_conn_mem */
	uint8_t *sbuf, *rbuf;
	size_t scap, rcap;
	int sndbuf, rcvbuf; /* as getsockopt reports them (Linux doubles the request) */
	bool rcvbuf_set;
	bool nonblock, reuseaddr, reuseport, keepalive, bound;
	bool linger_on;
	int linger_secs;
	int user_mss;                     /* TCP_MAXSEG, 0 = not set */
	int keepidle, keepintvl, keepcnt; /* seconds, count */
	unsigned user_timeout_ms;
	int backlog;
	struct sock *parent; /* listener of an unaccepted child */
	bool accepted;
	uint64_t established_order; /* accept queue order */
	enum sock_conn_state ss;    /* connect() bookkeeping (Linux sock->state) */
	int err;                    /* pending error (errno), reported once (Linux sk_err) */
	bool err_seen;              /* the connection died with an error already reported */
	bool shut_wr;               /* shutdown(SHUT_WR) or close() */
	bool shut_rd;               /* shutdown(SHUT_RD) */
	bool peer_fin;              /* the peer's FIN arrived (Linux RCV_SHUTDOWN) */
	uint16_t lport, rport;
	uint32_t iss; /* the ISS we gave the block */
	/* TCP Fast Open, server side (drill_tfo.c) */
	int tfo_qlen;         /* TCP_FASTOPEN on a listener: max pending Fast Open children */
	bool tfo_key_set;     /* TCP_FASTOPEN_KEY given: tfo_key, else the sysctl's */
	uint8_t tfo_key[16];  /* as Linux stores it (the sysctl's words little-endian) */
	bool tfo_pending;     /* a Fast Open child whose SYN-ACK is not acknowledged yet */
	int tfo_retries;      /* SYN-ACKs sent again */
	int64_t tfo_deadline; /* script time of the next SYN-ACK retransmission */
	/* a listener or connection hosted by the core's ptcp_table (drill_table.c) */
	bool in_table;
	uint32_t lid;  /* listener id */
	ptcp_handle h; /* connection handle */
	struct flow *flow;
	struct sock *next;
};

/* ---- System calls ---------------------------------------------------------------------- */

enum attempt { ATT_DONE, ATT_BLOCK, ATT_STOP };

struct pollent {
	int fd;
	int events;
	int revents_expected;
	int revents;
};

struct call {
	const struct ptcp_drill_event *ev;
	const struct ptcp_drill_syscall *sc;
	enum attempt (*attempt)(struct runner *r, struct call *c);
	struct sock *sk;
	int64_t count;    /* bytes to write / read */
	int64_t progress; /* bytes written so far (blocking write) */
	int flags;        /* MSG_* */
	int script_fd;    /* expected result fd (socket, accept) */
	struct pollent *pfd;
	size_t n_pfd;
	int64_t poll_deadline; /* script time, -1 = forever */
	bool blocking_form;    /* "...END" */
	bool blocked;          /* the call has blocked at least once */
	int64_t start;         /* script time the call started */
	int64_t end;           /* "...END" end time (script time) */
	int ret, err;          /* result, errno (0 if none) */
};

/* ---- The runner ------------------------------------------------------------------------ */

struct runner {
	const struct ptcp_drill_script *script;
	struct ptcp_drill_run_config cfg;
	struct ptcp_drill_result *res;
	bool stopped; /* a failure or unsupported feature was reported */

	/* packetdrill options */
	int64_t tolerance_usecs;
	double tolerance_percent;
	bool strict_segments;
	uint32_t ts_tick_usecs;
	bool ts_ecr_scaled;
	bool ipv6;
	ptcp_addr local, remote;
	uint16_t bind_port, connect_port;

	/* the environment (sysctls): what new sockets start from */
	ptcp_config base_cfg;
	int def_sndbuf, def_rcvbuf;
	uint32_t tfo_sysctl;      /* net.ipv4.tcp_fastopen (defaults.sh: 0x70403) */
	uint8_t tfo_key[16];      /* net.ipv4.tcp_fastopen_key, the words little-endian */
	bool grant_on, grant_exp; /* add a Fast Open cookie to the next SYN-ACK emitted */
	/* listeners in the core's ptcp_table (drill_table.c): set by the sysctls
	 * tcp_syncookies, tcp_abort_on_overflow */
	bool tbl_mode;
	uint32_t tbl_flags; /* PTCP_TBL_* */
	ptcp_table *tbl;
	void *tbl_mem;
	ptcp_action *tacts;
	ptcp_table_tag *ttags;
	uint8_t grant[8];

	/* clock and events */
	int64_t now;             /* script time */
	int64_t last_event_time; /* scheduled time of the previous event */
	int64_t ev_time;         /* scheduled time of the current event */
	const struct ptcp_drill_event *ev, *last_ev;

	/* the kernel */
	struct sock *socks;
	struct flow *flows, *sut;
	struct pkt *outq, *outq_tail;
	ptcp_action acts[DRILL_ACTS];
	ptcp_actions out;
	ptcp_conn *scratch; /* CLOSED block answering segments to no socket */
	uint8_t scratch_buf[2][16];
	uint16_t next_rport, next_lport;
	uint32_t next_iss;
	uint64_t establish_seq;
	uint8_t *zeros; /* payload source (packetdrill writes zeros) */
	size_t zeros_len;
	uint8_t wirebuf[70000];
	size_t steps; /* livelock guard */

	/* blocking calls */
	struct call *pending; /* the "...END" call in progress */
	bool in_attempt;

	/* deferred unsupported feature (python: the packets are still checked) */
	int deferred_line;
	char deferred_feature[96];
	char deferred_msg[256];
};

/* drill_run.c */
int drill_fail(struct runner *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int drill_unsupported(struct runner *r, int line, const char *feature, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void drill_trace(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Check that actual (script time) is within the expected time (range) of an event whose
 * previous event happened at last; 0 or -1 after a failure at line. */
int drill_check_time(struct runner *r, int line, const char *what, int64_t lo, int64_t hi, bool any,
                     int64_t actual, int64_t last);
const char *drill_usecs(int64_t us, char *buf, size_t size); /* "1.234567" */

/* drill_known.c: 1 when a listed Linux-only deviation of this kind (and, for a time, this
 * actual time) is at line: it is recorded (the script ends UNSUPPORTED unless something else
 * fails) and the caller goes on as if it matched; 0 when none is listed (the caller fails). */
int drill_known(struct runner *r, int line, enum ptcp_drill_known_kind kind, int64_t actual,
                const char *what);

/* drill_env.c: a shell command (init, or an event); 0 or -1 (stopped) */
int env_command(struct runner *r, int line, const char *text);

/* drill_stack.c */
int stack_init(struct runner *r);
void stack_free(struct runner *r);
struct sock *sock_new(struct runner *r);
void sock_release(struct runner *r, struct sock *sk); /* unlink and free (conn must be done) */
struct sock *sock_by_fd(struct runner *r, int fd);
int lowest_free_fd(struct runner *r);
/* Step sk's block with in at r->now; handles the actions. Returns ptcp_step's value. */
int stack_step(struct runner *r, struct sock *sk, const ptcp_input *in);
/* Give a segment from the peer to whatever owns its 4-tuple (or answer with a RST). */
int stack_inject(struct runner *r, const ptcp_seg *seg, uint8_t ecn);
int stack_icmp(struct runner *r, uint16_t lport, uint16_t rport, const ptcp_input *in);
/* The earliest core deadline (script time), INT64_MAX if none. */
int64_t stack_next_deadline(const struct runner *r);
/* Fire the timers due at or before t (advancing r->now to each), completing a pending
 * blocking call when it can; then r->now = max(r->now, t). 0 or -1 (stopped). */
int stack_advance(struct runner *r, int64_t t);
/* One timer step at the next deadline if it is <= limit; 1 if stepped, 0 if none, -1. */
int stack_advance_one(struct runner *r, int64_t limit);
/* Allocate buffers and a block for sk from its config (connect/listen/child). */
int sock_make_conn(struct runner *r, struct sock *sk);
/* A socket's block and its loss area, allocated together (sock_make_conn). */
struct drill_conn_mem {
	ptcp_conn c;
	ptcp_loss loss;
};
/* Lend sk's block (just initialised) the loss area allocated with it. */
void sock_lend_loss(struct sock *sk);
/* A child of listener lsk for SYN seg (the listener's options, an ISS), no step yet. */
struct sock *stack_child(struct runner *r, struct sock *lsk, const ptcp_seg *seg);
/* Queue one EMIT action as if the core had emitted it; take the actions in r->out. */
void stack_emit(struct runner *r, const ptcp_action *a);
void stack_take_actions(struct runner *r, struct sock *sk);
void stack_take_action(struct runner *r, struct sock *sk, const ptcp_action *a);

/* drill_table.c: listeners in the core's connection table */
int dtbl_sysctl(struct runner *r, int line, const char *name, const char *v);
int dtbl_listen(struct runner *r, struct sock *lsk);
int dtbl_unlisten(struct runner *r, struct sock *lsk);
bool dtbl_owns(const struct runner *r, uint16_t lport);
int dtbl_step(struct runner *r, ptcp_handle h, const ptcp_input *in);
/* An ICMP error about k to the table (ptcp_table_icmp: a connection or a SYN-queue entry). */
int dtbl_icmp(struct runner *r, const ptcp_tuple *k, const ptcp_input *in);
int64_t dtbl_next_deadline(const struct runner *r);
void dtbl_time(struct runner *r);
int dtbl_accept_queue(const struct runner *r, const struct sock *lsk);
/* The oldest connection of lsk's accept queue, taken (its socket), or NULL. */
struct sock *dtbl_accept(struct runner *r, struct sock *lsk);
void dtbl_free(struct runner *r);

/* drill_tfo.c: TCP Fast Open, server side, as Linux's listener does it */
void tfo_env_init(struct runner *r);
int tfo_sysctl(struct runner *r, int line, const char *name, const char *v);
int tfo_setsockopt_key(struct runner *r, struct sock *sk, const char *str, int64_t len);
/* The cookie a '<' or '>' line's blob names (NULL: none, a request); 0 or -1 (failed). */
int tfo_script_cookie(struct runner *r, int line, const char *blob, uint16_t lport,
                      uint8_t cookie[16], uint8_t *len);
/* A SYN to listener lsk: 1 a Fast Open child took it, 0 a plain handshake (r->grant set
 * when the SYN-ACK brings a cookie), -1 failed. */
int tfo_listener_syn(struct runner *r, struct sock *lsk, const ptcp_seg *seg, const ptcp_input *in);
/* A segment for a pending Fast Open child: true when it was handled here. */
bool tfo_child_segment(struct runner *r, struct sock *sk, const ptcp_seg *seg);
/* An ICMP error for a Fast Open child not yet accepted whose SYN-ACK is unacknowledged: given to
 * ptcp_tfo_icmp() (Linux closes such a child on net/host unreachable); false: not such a child. */
bool tfo_child_icmp(struct runner *r, struct sock *sk, const ptcp_input *in);
void tfo_timer(struct runner *r, struct sock *sk);
/* The config a socket gives its block (options applied). */
void sock_config(const struct runner *r, const struct sock *sk, ptcp_config *cfg);
/* Re-apply options to a live block (TCP_NODELAY etc. after connect). */
void sock_refresh_conn(struct runner *r, struct sock *sk);
/* Linux's tcp_poll() mask for sk. */
int sock_poll_mask(const struct runner *r, const struct sock *sk);
size_t sock_send_space(const struct sock *sk);
/* Linux sk_stream_is_writeable(): free space >= half of what is queued (a blocked writer
 * wakes up only then) */
bool sock_writeable(const struct sock *sk);
struct flow *flow_new(struct runner *r, enum flow_state st);
void flow_ts_set(struct flow *f, uint32_t script, uint32_t live);
bool flow_ts_get(const struct flow *f, uint32_t script, uint32_t *live);

/* drill_match.c */
/* Build and inject the '<' packet of the current event. */
int match_inbound(struct runner *r, const struct ptcp_drill_event *ev, int64_t t);
int match_inbound_icmp(struct runner *r, const struct ptcp_drill_event *ev); /* drill_icmp.c */
/* Wait for, and check, the '>' packet of the current event. */
int match_outbound(struct runner *r, const struct ptcp_drill_event *ev, int64_t lo, int64_t hi,
                   bool any);
/* "P. 1:1001(1000) ack 1 win 256 <nop,nop,TS val 5 ecr 7>" in script space. */
void format_pkt(const struct runner *r, const struct flow *f, const struct pkt *p, char *buf,
                size_t size);
/* Segments left in the queue that belong to the connection under test. */
struct pkt *outq_first_sut(struct runner *r);
void outq_remove(struct runner *r, struct pkt *p);

/* drill_syscalls.c */
int run_syscall(struct runner *r, const struct ptcp_drill_event *ev, int64_t t, int64_t end);
/* Try to complete the pending "...END" call; 0 or -1 (stopped). */
int pending_poll(struct runner *r);
void call_free(struct call *c);
/* drill_symbols.c */
/* Linux errno values */
enum {
	E_EAGAIN = 11,
	E_EFAULT = 14,
	E_EINVAL = 22,
	E_EPIPE = 32,
	E_ENOPROTOOPT = 92,
	E_ECONNABORTED = 103,
	E_ECONNRESET = 104,
	E_EISCONN = 106,
	E_ENOTCONN = 107,
	E_ETIMEDOUT = 110,
	E_ECONNREFUSED = 111,
	E_EHOSTUNREACH = 113,
	E_EALREADY = 114,
	E_EINPROGRESS = 115,
	E_EIO = 5,
	E_EBADF = 9
};

/* errno value for a PTCP_E* code */
int drill_errno(int ptcp_err);
const char *drill_errno_name(int e);     /* "EAGAIN", "E?" */
int drill_errno_value(const char *name); /* -1 if unknown */
/* An integer, a symbol, a|b, or [x]; UNSUPPORTED for an unknown symbol. 0 or -1. */
int drill_eval_int(struct runner *r, int line, const struct ptcp_drill_expr *e, int64_t *v);
const char *drill_sym_name(int64_t level, int64_t opt); /* "SO_SNDBUF", "TCP_NODELAY", "?" */

#endif /* PTCP_DRILL_RUN_INT_H */
