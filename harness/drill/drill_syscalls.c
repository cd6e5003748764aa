/*
 * drill_syscalls.c - the script's system calls on the simulated kernel.
 *
 * IMPLEMENTATION NOTES
 * Each call is prepared (arguments checked and evaluated), then attempted.  An attempt either
 * completes (result and errno), or would block.  A call written with an end time
 * ("+0...0.2 read(...)") that blocks becomes the pending call: the script goes on (as
 * upstream's system call thread lets the main thread go on) and the call is attempted again
 * after every step of the kernel until it completes, when its result and its end time are
 * checked.  A call without an end time that blocks holds the script's clock: time runs (timers
 * fire) until it completes.
 *
 * The socket layer is Linux's: errors of a dead connection are reported once (sk_err), then
 * read() gives 0 and write() EPIPE; write() on a connecting socket waits for the handshake;
 * SO_SNDBUF/SO_RCVBUF are doubled; accept() takes the oldest established child; poll() reports
 * tcp_poll()'s mask.  Symbols have their Linux x86-64 values.  What is not modelled is reported
 * UNSUPPORTED with its name.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

#define O_NONBLOCK_   04000
#define O_RDWR_       2
#define MSG_PEEK_     0x2
#define MSG_TRUNC_    0x20
#define MSG_DONTWAIT_ 0x40
#define MSG_WAITALL_  0x100
#define MSG_NOSIGNAL_ 0x4000
#define MSG_MORE_     0x8000
#define POLLERR_      0x8
#define POLLHUP_      0x10
#define POLLNVAL_     0x20

/* ---- Expressions ----------------------------------------------------------------------- */

static int arg_int(struct runner *r, struct call *c, size_t i, int64_t *v)
{
	if (i >= c->sc->n_args)
		return drill_fail(r, c->ev->line, "%s(): argument list too short", c->sc->name);
	return drill_eval_int(r, c->ev->line, c->sc->args[i], v);
}

/* "[N]": a one-element array */
static int arg_bracketed(struct runner *r, struct call *c, size_t i, int64_t *v)
{
	const struct ptcp_drill_expr *e;
	if (i >= c->sc->n_args)
		return drill_fail(r, c->ev->line, "%s(): argument list too short", c->sc->name);
	e = c->sc->args[i];
	if (e->kind != PTCP_DRILL_EXPR_ARRAY || e->n_items != 1)
		return drill_fail(r, c->ev->line, "%s(): argument %zu: expected [<integer>]",
		                  c->sc->name, i + 1);
	return drill_eval_int(r, c->ev->line, e->items[0], v);
}

static bool arg_is_ellipsis(const struct call *c, size_t i)
{
	return i < c->sc->n_args && c->sc->args[i]->kind == PTCP_DRILL_EXPR_ELLIPSIS;
}

static int check_nargs(struct runner *r, struct call *c, size_t lo, size_t hi)
{
	if (c->sc->n_args < lo || c->sc->n_args > hi)
		return drill_fail(r, c->ev->line, "%s(): expected %zu arguments but got %zu",
		                  c->sc->name, lo, c->sc->n_args);
	return 0;
}

static int arg_sock(struct runner *r, struct call *c, size_t i)
{
	int64_t fd;
	if (arg_int(r, c, i, &fd))
		return -1;
	c->sk = sock_by_fd(r, (int)fd);
	if (!c->sk)
		return drill_fail(r, c->ev->line, "%s(): unable to find fd with script fd %" PRId64,
		                  c->sc->name, fd);
	return 0;
}

/* A struct field "name=value" among the items of a {...}. */
static const struct ptcp_drill_expr *field(const struct ptcp_drill_expr *e, const char *name)
{
	if (e->kind != PTCP_DRILL_EXPR_STRUCT)
		return NULL;
	for (size_t i = 0; i < e->n_items; i++)
		if (e->items[i]->kind == PTCP_DRILL_EXPR_FIELD &&
		    strcmp(e->items[i]->str, name) == 0)
			return e->items[i]->rhs;
	return NULL;
}

/* ---- Results --------------------------------------------------------------------------- */

static void set_result(struct call *c, int ret, int err)
{
	c->ret = ret;
	c->err = err;
}

static enum attempt done_err(struct call *c, int err)
{
	set_result(c, -1, err);
	return ATT_DONE;
}

static enum attempt done_ok(struct call *c, int ret)
{
	set_result(c, ret, 0);
	return ATT_DONE;
}

static int finish_call(struct runner *r, struct call *c)
{
	int64_t want;
	const struct ptcp_drill_syscall *sc = c->sc;
	bool fd_result = strcmp(sc->name, "socket") == 0 || strcmp(sc->name, "accept") == 0;
	char got[160];
	snprintf(got, sizeof(got), "%d%s%s", c->ret, c->err ? " " : "",
	         c->err ? drill_errno_name(c->err) : "");
	if (drill_eval_int(r, c->ev->line, sc->ret, &want))
		return -1;
	if (fd_result && want >= 0) {
		if (c->ret < 0)
			return drill_fail(r, c->ev->line,
			                  "%s(): expected non-negative result but got %s", sc->name,
			                  got);
	} else if (c->ret != want) {
		return drill_fail(r, c->ev->line, "%s(): expected result %" PRId64 " but got %s",
		                  sc->name, want, got);
	}
	if (sc->errno_name) {
		int e = drill_errno_value(sc->errno_name);
		if (e < 0)
			return drill_unsupported(r, c->ev->line, sc->errno_name, "unknown errno %s",
			                         sc->errno_name);
		if (e != c->err)
			return drill_fail(r, c->ev->line, "%s(): expected errno %s but got %s",
			                  sc->name, sc->errno_name,
			                  c->err ? drill_errno_name(c->err) : "none (0)");
	}
	for (size_t i = 0; i < c->n_pfd; i++) {
		if (c->pfd[i].revents != c->pfd[i].revents_expected)
			return drill_fail(
			    r, c->ev->line,
			    "poll(): expected revents 0x%x but got 0x%x for pollfd %zu",
			    c->pfd[i].revents_expected, c->pfd[i].revents, i);
	}
	if (c->blocking_form && drill_check_time(r, c->ev->line, "system call return", c->end,
	                                         c->end, false, r->now, c->start))
		return -1;
	return 0;
}

void call_free(struct call *c)
{
	if (!c)
		return;
	free(c->pfd);
	free(c);
}

/* ---- socket / bind / listen / accept / connect ----------------------------------------- */

static enum attempt att_socket(struct runner *r, struct call *c)
{
	int64_t domain = r->ipv6 ? 10 : 2, type, proto;
	struct sock *sk;
	int fd;
	if (check_nargs(r, c, 3, 3))
		return ATT_STOP;
	if (!arg_is_ellipsis(c, 0) && arg_int(r, c, 0, &domain))
		return ATT_STOP;
	if (arg_int(r, c, 1, &type) || arg_int(r, c, 2, &proto))
		return ATT_STOP;
	if (domain != 2 && domain != 10) {
		drill_unsupported(r, c->ev->line, "socket domain", "socket domain %" PRId64,
		                  domain);
		return ATT_STOP;
	}
	if ((type & ~(int64_t)(04000 | 02000000)) != 1 || (proto != 0 && proto != 6)) {
		drill_unsupported(r, c->ev->line, "non-TCP socket",
		                  "socket type %" PRId64 " protocol %" PRId64, type, proto);
		return ATT_STOP;
	}
	if (c->script_fd >= 0 && sock_by_fd(r, c->script_fd)) {
		drill_fail(r, c->ev->line, "socket(): duplicate fd %d in script", c->script_fd);
		return ATT_STOP;
	}
	fd = lowest_free_fd(r);
	sk = sock_new(r);
	if (!sk) {
		drill_fail(r, c->ev->line, "out of memory");
		return ATT_STOP;
	}
	sk->nonblock = (type & 04000) != 0;
	sk->fd = c->script_fd >= 0 ? c->script_fd : fd;
	sk->flow = flow_new(r, FLOW_NEW);
	if (!sk->flow)
		return ATT_STOP;
	return done_ok(c, fd);
}

static enum attempt att_bind(struct runner *r, struct call *c)
{
	if (check_nargs(r, c, 3, 3) || arg_sock(r, c, 0))
		return ATT_STOP;
	if (c->sk->kind != SK_NEW || c->sk->bound)
		return done_err(c, E_EINVAL);
	c->sk->bound = true;
	c->sk->lport = r->bind_port;
	return done_ok(c, 0);
}

static enum attempt att_listen(struct runner *r, struct call *c)
{
	int64_t backlog;
	struct sock *sk;
	ptcp_input in = {.kind = PTCP_IN_LISTEN};
	if (check_nargs(r, c, 2, 2) || arg_sock(r, c, 0) || arg_int(r, c, 1, &backlog))
		return ATT_STOP;
	sk = c->sk;
	if (sk->kind == SK_LISTEN) {
		/* listen() again (Linux: a new backlog); the runner also makes the listener the
		 * socket under test again, so that the next '<' SYN opens another connection */
		sk->backlog = (int)backlog;
		if (sk->flow) {
			sk->flow->state = FLOW_LISTENING;
			r->sut = sk->flow;
		}
		return done_ok(c, 0);
	}
	if (sk->kind != SK_NEW)
		return done_err(c, E_EINVAL);
	if (!sk->bound)
		sk->lport = r->bind_port; /* Linux would pick an ephemeral port */
	sk->kind = SK_LISTEN;
	sk->backlog = backlog < 0 ? 0 : (int)backlog;
	if (r->tbl_mode) {
		/* the core's connection table listens (drill_table.c) */
		if (dtbl_listen(r, sk))
			return ATT_STOP;
	} else {
		if (sock_make_conn(r, sk))
			return ATT_STOP;
		in.listen.local = r->local;
		in.listen.lport = sk->lport;
		in.listen.iss = 1;
		if (stack_step(r, sk, &in) != 0) {
			drill_fail(r, c->ev->line, "PTCP_IN_LISTEN failed");
			return ATT_STOP;
		}
	}
	if (!sk->flow)
		sk->flow = flow_new(r, FLOW_LISTENING);
	if (!sk->flow)
		return ATT_STOP;
	sk->flow->state = FLOW_LISTENING;
	sk->flow->lport = sk->lport;
	return done_ok(c, 0);
}

static struct sock *oldest_child(struct runner *r, struct sock *lsk)
{
	struct sock *best = NULL;
	for (struct sock *sk = r->socks; sk; sk = sk->next)
		if (sk->parent == lsk && !sk->accepted && sk->established_order &&
		    (!best || sk->established_order < best->established_order))
			best = sk;
	return best;
}

static enum attempt att_accept(struct runner *r, struct call *c)
{
	struct sock *child;
	int fd;
	if (!c->sk) {
		if (check_nargs(r, c, 3, 3) || arg_sock(r, c, 0))
			return ATT_STOP;
	}
	if (c->sk->kind != SK_LISTEN)
		return done_err(c, E_EINVAL);
	child = c->sk->in_table ? dtbl_accept(r, c->sk) : oldest_child(r, c->sk);
	if (!child)
		return c->sk->nonblock ? done_err(c, E_EAGAIN) : ATT_BLOCK;
	if (c->script_fd >= 0 && sock_by_fd(r, c->script_fd)) {
		/* upstream maps script fds to live ones and looks the newest up first: a script
		 * may accept into an fd it never closed (fastopen/server/pure-syn-data.pkt); the
		 * older socket lives on, out of the script's reach */
		sock_by_fd(r, c->script_fd)->fd = -1;
	}
	fd = lowest_free_fd(r);
	child->accepted = true;
	child->fd = c->script_fd >= 0 ? c->script_fd : fd;
	return done_ok(c, fd);
}

static enum attempt connect_wait(struct runner *r, struct call *c)
{
	struct sock *sk = c->sk;
	ptcp_state st = ptcp_conn_state(sk->conn);
	(void)r;
	if (st == PTCP_SYN_SENT || st == PTCP_SYN_RECEIVED) {
		if (sk->nonblock)
			return done_err(c, c->progress ? E_EALREADY : E_EINPROGRESS);
		c->progress = 1;
		return ATT_BLOCK;
	}
	if (st == PTCP_CLOSED) {
		int e = sk->err && !sk->err_seen ? sk->err : E_ECONNABORTED;
		sk->err_seen = true;
		sk->ss = SS_UNCONNECTED;
		return done_err(c, e);
	}
	sk->ss = SS_CONNECTED;
	return done_ok(c, 0);
}

static enum attempt att_connect(struct runner *r, struct call *c)
{
	struct sock *sk;
	ptcp_input in = {.kind = PTCP_IN_CONNECT};
	if (c->progress)
		return connect_wait(r, c);
	if (check_nargs(r, c, 3, 3) || arg_sock(r, c, 0))
		return ATT_STOP;
	sk = c->sk;
	if (!arg_is_ellipsis(c, 1)) {
		const struct ptcp_drill_expr *fam = field(c->sc->args[1], "sa_family");
		int64_t v = -1;
		if (c->sc->args[1]->kind == PTCP_DRILL_EXPR_INT ||
		    c->sc->args[1]->kind == PTCP_DRILL_EXPR_WORD) {
			if (arg_int(r, c, 1, &v))
				return ATT_STOP;
		} else if (fam && drill_eval_int(r, c->ev->line, fam, &v)) {
			return ATT_STOP;
		}
		if (v == 0) {
			drill_unsupported(r, c->ev->line, "connect AF_UNSPEC",
			                  "connect() with AF_UNSPEC (disconnect)");
			return ATT_STOP;
		}
	}
	if (sk->kind == SK_LISTEN)
		return done_err(c, E_EINVAL);
	if (sk->kind == SK_CONN) {
		if (sk->ss == SS_CONNECTED)
			return done_err(c, E_EISCONN);
		c->progress = 1;
		return connect_wait(r, c);
	}
	sk->kind = SK_CONN;
	sk->lport = r->next_lport++;
	sk->rport = r->connect_port;
	if (sock_make_conn(r, sk))
		return ATT_STOP;
	in.connect.local = r->local;
	in.connect.remote = r->remote;
	in.connect.lport = sk->lport;
	in.connect.rport = sk->rport;
	in.connect.iss = r->next_iss;
	r->next_iss += 100000000u;
	if (!sk->flow)
		sk->flow = flow_new(r, FLOW_CONNECTING);
	if (!sk->flow)
		return ATT_STOP;
	sk->flow->state = FLOW_CONNECTING;
	sk->flow->lport = sk->lport;
	sk->flow->rport = sk->rport;
	sk->flow->live_isn = in.connect.iss;
	sk->flow->script_isn = 0;
	r->sut = sk->flow;
	sk->ss = SS_CONNECTING;
	if (stack_step(r, sk, &in) != 0) {
		drill_fail(r, c->ev->line, "PTCP_IN_CONNECT failed");
		return ATT_STOP;
	}
	if (sk->nonblock)
		return done_err(c, E_EINPROGRESS);
	c->progress = 1;
	return connect_wait(r, c);
}

/* ---- read / write ---------------------------------------------------------------------- */

static int iov_total_expr(struct runner *r, struct call *c, const struct ptcp_drill_expr *e,
                          int64_t *total)
{
	*total = 0;
	if (e->kind != PTCP_DRILL_EXPR_ARRAY)
		return drill_fail(r, c->ev->line, "%s(): expected an iovec array", c->sc->name);
	for (size_t k = 0; k < e->n_items; k++) {
		const struct ptcp_drill_expr *it = e->items[k], *len = field(it, "iov_len");
		int64_t v;
		if (!len && it->kind == PTCP_DRILL_EXPR_STRUCT && it->n_items == 2)
			len = it->items[1];
		if (!len)
			return drill_fail(r, c->ev->line, "%s(): bad iovec", c->sc->name);
		if (drill_eval_int(r, c->ev->line, len, &v))
			return -1;
		*total += v;
	}
	return 0;
}

static int iov_total(struct runner *r, struct call *c, size_t i, int64_t *total)
{
	return iov_total_expr(r, c, c->sc->args[i], total);
}

/* Common arguments of the read and write families: fd, buffer, count, flags. */
static int rw_args(struct runner *r, struct call *c, bool writing)
{
	const char *n = c->sc->name;
	int64_t flags = 0, count;
	int allowed =
	    MSG_DONTWAIT_ | MSG_NOSIGNAL_ | (writing ? MSG_MORE_ : (MSG_WAITALL_ | MSG_TRUNC_));
	bool msg = strcmp(n, "sendmsg") == 0;
	size_t want = strcmp(n, "read") == 0 || strcmp(n, "write") == 0 ||
	                      strcmp(n, "readv") == 0 || strcmp(n, "writev") == 0 || msg
	                  ? 3
	              : (strcmp(n, "recv") == 0 || strcmp(n, "send") == 0) ? 4
	                                                                   : 6;
	if (check_nargs(r, c, want, want) || arg_sock(r, c, 0))
		return -1;
	if (msg) {
		/* sendmsg(fd, {msg_name(...)=..., msg_iov(N)=[...], msg_flags=0}, flags) */
		const struct ptcp_drill_expr *m = c->sc->args[1], *iov = field(m, "msg_iov");
		if (!iov || field(m, "msg_control"))
			return drill_unsupported(r, c->ev->line, "sendmsg control messages",
			                         "sendmsg() without msg_iov or with msg_control");
		if (iov_total_expr(r, c, iov, &count))
			return -1;
		if (arg_int(r, c, 2, &flags))
			return -1;
	} else if (strcmp(n, "readv") == 0 || strcmp(n, "writev") == 0) {
		if (iov_total(r, c, 1, &count))
			return -1;
	} else {
		if (arg_int(r, c, 2, &count))
			return -1;
		if (!arg_is_ellipsis(c, 1)) {
			int64_t p;
			if (arg_int(r, c, 1, &p))
				return -1;
			if (p != 0)
				return drill_fail(r, c->ev->line,
				                  "%s(): expected ... or NULL for buffer", n);
			c->flags |= 0x40000000; /* NULL buffer: EFAULT when data would be copied */
		}
	}
	if (want >= 4 && !msg && arg_int(r, c, 3, &flags))
		return -1;
	if (flags & ~(int64_t)allowed) {
		int64_t bad = flags & ~(int64_t)allowed;
		const char *feat = (bad & 0x20000000)  ? "fastopen"
		                   : (bad & 0x4000000) ? "MSG_ZEROCOPY"
		                   : (bad & 0x80)      ? "MSG_EOR"
		                   : (bad & MSG_PEEK_) ? "MSG_PEEK"
		                                       : "send/recv flags";
		return drill_unsupported(r, c->ev->line, feat, "%s() flags 0x%" PRIx64, n, bad);
	}
	if (want == 6 && writing && c->sk->kind == SK_NEW)
		return drill_unsupported(r, c->ev->line, "fastopen",
		                         "sendto() on an unconnected socket (TCP Fast Open)");
	if (count < 0)
		return drill_fail(r, c->ev->line, "%s(): negative count", n);
	c->count = count;
	c->flags |= (int)flags;
	return 0;
}

static bool call_nonblock(const struct call *c)
{
	return c->sk->nonblock || (c->flags & MSG_DONTWAIT_);
}

/* Report the pending error once (Linux sock_error()). */
static int take_error(struct sock *sk)
{
	int e = sk->err;
	if (!e || sk->err_seen)
		return 0;
	sk->err_seen = true;
	return e;
}

static enum attempt att_read(struct runner *r, struct call *c)
{
	struct sock *sk = c->sk;
	size_t avail;
	ptcp_state st;
	int e;
	if (sk->kind != SK_CONN)
		return done_err(c, E_ENOTCONN);
	avail = ptcp_conn_recv_avail(sk->conn);
	st = ptcp_conn_state(sk->conn);
	if (avail > 0 && (c->flags & MSG_WAITALL_) && avail < (size_t)c->count && !sk->peer_fin &&
	    st != PTCP_CLOSED && !call_nonblock(c))
		return ATT_BLOCK;
	if (avail > 0 && c->count > 0) {
		ptcp_input in = {.kind = PTCP_IN_READ};
		int ret;
		if (c->flags & 0x40000000)
			return done_err(c, E_EFAULT);
		in.read.buf = NULL;
		in.read.len = avail < (size_t)c->count ? avail : (size_t)c->count;
		ret = stack_step(r, sk, &in);
		if (r->stopped)
			return ATT_STOP;
		if (ret < 0)
			return done_err(c, drill_errno(ret));
		return done_ok(c, ret);
	}
	if (c->count == 0)
		return done_ok(c, 0);
	if (sk->peer_fin)
		return done_ok(c, 0);
	e = take_error(sk);
	if (e)
		return done_err(c, e);
	if (sk->shut_rd || st == PTCP_CLOSED) {
		if (st == PTCP_CLOSED && !sk->err && !sk->peer_fin && sk->ss != SS_CONNECTED &&
		    !sk->parent)
			return done_err(c, E_ENOTCONN);
		return done_ok(c, 0);
	}
	if (st == PTCP_LISTEN)
		return done_err(c, E_ENOTCONN);
	return call_nonblock(c) ? done_err(c, E_EAGAIN) : ATT_BLOCK;
}

static enum attempt att_write(struct runner *r, struct call *c)
{
	struct sock *sk = c->sk;
	ptcp_state st;
	int e;
	if (sk->kind != SK_CONN)
		return done_err(c, E_EPIPE);
	if (c->count == 0)
		return done_ok(c, 0);
	st = ptcp_conn_state(sk->conn);
	e = take_error(sk);
	if (e)
		return c->progress ? done_ok(c, (int)c->progress) : done_err(c, e);
	if (sk->shut_wr || (st != PTCP_ESTABLISHED && st != PTCP_CLOSE_WAIT)) {
		if (!sk->shut_wr && (st == PTCP_SYN_SENT || st == PTCP_SYN_RECEIVED))
			return call_nonblock(c) ? done_err(c, E_EAGAIN) : ATT_BLOCK;
		return c->progress ? done_ok(c, (int)c->progress) : done_err(c, E_EPIPE);
	}
	if (c->flags & 0x40000000)
		return done_err(c, E_EFAULT);
	if (c->blocked && !sock_writeable(sk))
		return ATT_BLOCK; /* Linux wakes a blocked writer only when the socket is writeable
		                   */
	while (c->progress < c->count) {
		ptcp_input in = {.kind = PTCP_IN_SEND};
		size_t space = sock_send_space(sk), n;
		int ret;
		if (space == 0)
			break;
		n = (size_t)(c->count - c->progress);
		if (n > space)
			n = space;
		if (n > r->zeros_len)
			n = r->zeros_len;
		in.send.data = r->zeros;
		in.send.len = n;
		in.send.flags = (c->flags & MSG_MORE_) ? PTCP_SEND_MORE : 0;
		ret = stack_step(r, sk, &in);
		if (r->stopped)
			return ATT_STOP;
		if (ret == PTCP_EAGAIN)
			break;
		if (ret < 0)
			return c->progress ? done_ok(c, (int)c->progress)
			                   : done_err(c, drill_errno(ret));
		c->progress += ret;
	}
	if (c->progress == c->count)
		return done_ok(c, (int)c->count);
	if (call_nonblock(c))
		return c->progress ? done_ok(c, (int)c->progress) : done_err(c, E_EAGAIN);
	c->blocked = true;
	return ATT_BLOCK;
}

/* ---- close / shutdown ------------------------------------------------------------------ */

static enum attempt att_close(struct runner *r, struct call *c)
{
	struct sock *sk;
	ptcp_input in = {.kind = PTCP_IN_CLOSE};
	if (check_nargs(r, c, 1, 1) || arg_sock(r, c, 0))
		return ATT_STOP;
	sk = c->sk;
	sk->fd = -1;
	switch (sk->kind) {
	case SK_NEW:
		if (r->sut == sk->flow)
			r->sut = NULL;
		sock_release(r, sk);
		break;
	case SK_LISTEN:
		if (sk->in_table) {
			dtbl_unlisten(r, sk);
			break;
		}
		stack_step(r, sk, &in);
		/* Linux inet_csk_listen_stop(): request sockets vanish, established children not
		 * yet accepted are reset. */
		for (struct sock *ch = r->socks; ch && !r->stopped; ch = ch->next) {
			ptcp_input ab = {.kind = PTCP_IN_ABORT};
			if (ch->parent != sk || ch->accepted || !ch->conn)
				continue;
			ch->parent = NULL;
			if (ptcp_conn_state(ch->conn) == PTCP_SYN_RECEIVED) {
				ptcp_config cc;
				sock_config(r, ch, &cc); /* as sock_make_conn() made it */
				ptcp_conn_init(ch->conn, &cc, ch->sbuf, ch->scap, ch->rbuf,
				               ch->rcap);
				sock_lend_loss(ch);
				continue;
			}
			stack_step(r, ch, &ab);
		}
		break;
	case SK_CONN:
		sk->shut_wr = true;
		if (sk->linger_on && sk->linger_secs == 0)
			in.kind = PTCP_IN_ABORT;
		stack_step(r, sk, &in);
		break;
	}
	return r->stopped ? ATT_STOP : done_ok(c, 0);
}

static enum attempt att_shutdown(struct runner *r, struct call *c)
{
	int64_t how;
	int ret;
	ptcp_input in = {.kind = PTCP_IN_SHUTDOWN};
	if (check_nargs(r, c, 2, 2) || arg_sock(r, c, 0) || arg_int(r, c, 1, &how))
		return ATT_STOP;
	if (how < 0 || how > 2)
		return done_err(c, E_EINVAL);
	if (c->sk->kind == SK_LISTEN) {
		drill_unsupported(r, c->ev->line, "shutdown of a listener",
		                  "shutdown() of a listener");
		return ATT_STOP;
	}
	if (c->sk->kind != SK_CONN)
		return done_err(c, E_ENOTCONN);
	in.shutdown.how = (int)how + 1;
	ret = stack_step(r, c->sk, &in);
	if (r->stopped)
		return ATT_STOP;
	if (ret < 0)
		return done_err(c, drill_errno(ret));
	if (how != 1)
		c->sk->shut_rd = true;
	if (how != 0)
		c->sk->shut_wr = true;
	return done_ok(c, 0);
}

/* ---- socket options -------------------------------------------------------------------- */

static enum attempt att_setsockopt(struct runner *r, struct call *c)
{
	int64_t level, opt, v = 0;
	const struct ptcp_drill_expr *val;
	struct sock *sk;
	bool refresh = false;
	if (check_nargs(r, c, 5, 5) || arg_sock(r, c, 0) || arg_int(r, c, 1, &level) ||
	    arg_int(r, c, 2, &opt))
		return ATT_STOP;
	sk = c->sk;
	val = c->sc->args[3];
	if (level == 1 && opt == 13) { /* SO_LINGER {onoff=1, linger=0} */
		const struct ptcp_drill_expr *on = field(val, "onoff"), *ln = field(val, "linger");
		int64_t a, b;
		if (!on || !ln || drill_eval_int(r, c->ev->line, on, &a) ||
		    drill_eval_int(r, c->ev->line, ln, &b)) {
			if (!r->stopped)
				drill_fail(r, c->ev->line,
				           "setsockopt(SO_LINGER): expected "
				           "{onoff=N, linger=N}");
			return ATT_STOP;
		}
		sk->linger_on = a != 0;
		sk->linger_secs = (int)b;
		return done_ok(c, 0);
	}
	if (level == 6 && opt == 13) { /* TCP_CONGESTION "reno" / "cubic" */
		if (val->kind != PTCP_DRILL_EXPR_STRING) {
			drill_fail(r, c->ev->line, "setsockopt(TCP_CONGESTION): expected a string");
			return ATT_STOP;
		}
		if (strcmp(val->str, "reno") == 0)
			sk->cfg.cc = &ptcp_cc_reno;
		else if (strcmp(val->str, "cubic") == 0)
			sk->cfg.cc = &ptcp_cc_cubic;
		else
			return done_err(c, 2 /* ENOENT */);
		if (sk->conn && sk->kind == SK_CONN) {
			drill_unsupported(r, c->ev->line, "TCP_CONGESTION on a live connection",
			                  "TCP_CONGESTION after connect");
			return ATT_STOP;
		}
		return done_ok(c, 0);
	}
	if (level == 6 && opt == 33) { /* TCP_FASTOPEN_KEY "16 bytes", 16 */
		int64_t len;
		if (val->kind != PTCP_DRILL_EXPR_STRING) {
			drill_fail(r, c->ev->line,
			           "setsockopt(TCP_FASTOPEN_KEY): expected a string");
			return ATT_STOP;
		}
		if (arg_int(r, c, 4, &len))
			return ATT_STOP;
		if (tfo_setsockopt_key(r, sk, val->str, len) != 0)
			return done_err(c, E_EINVAL);
		return done_ok(c, 0);
	}
	if (val->kind != PTCP_DRILL_EXPR_ARRAY) {
		drill_unsupported(r, c->ev->line, "setsockopt value type",
		                  "setsockopt(%s) with a %s value", drill_sym_name(level, opt),
		                  ptcp_drill_expr_kind_name(val->kind));
		return ATT_STOP;
	}
	if (arg_bracketed(r, c, 3, &v))
		return ATT_STOP;
	if ((level == 0 && (opt == 1 || opt == 10)) || (level == 41 && opt == 67)) {
		/* IP_TOS, IP_MTU_DISCOVER, IPV6_TCLASS: accepted, not modelled (the TOS byte
		 * of emitted segments is not checked beyond the ECN bits) */
		return done_ok(c, 0);
	}
	if (level == 1) {
		switch (opt) {
		case 2:
			sk->reuseaddr = v != 0;
			return done_ok(c, 0);
		case 15:
			sk->reuseport = v != 0;
			return done_ok(c, 0);
		case 9:
			sk->keepalive = v != 0;
			refresh = true;
			break;
		case 7:
			sk->sndbuf = v * 2 < 4608 ? 4608 : (int)(v * 2);
			return done_ok(c, 0);
		case 8:
			if (sk->kind == SK_CONN) {
				drill_unsupported(
				    r, c->ev->line, "SO_RCVBUF on a connected socket",
				    "SO_RCVBUF after connect()/accept() (the core's receive "
				    "buffer is fixed at ptcp_conn_init)");
				return ATT_STOP;
			}
			sk->rcvbuf = v * 2 < 2304 ? 2304 : (int)(v * 2);
			sk->rcvbuf_set = true;
			return done_ok(c, 0);
		default:
			break;
		}
	} else if (level == 6) {
		switch (opt) {
		case 1: /* TCP_NODELAY */
			if (v)
				sk->cfg.flags |= PTCP_CFG_NODELAY;
			else
				sk->cfg.flags &= ~(uint32_t)PTCP_CFG_NODELAY;
			if (v && (sk->cfg.flags & PTCP_CFG_CORK) && sk->conn &&
			    sk->kind == SK_CONN) {
				/* Linux: setting TCP_NODELAY pushes what TCP_CORK holds, once
				 * (TCP_NAGLE_PUSH); the cork stays for later writes. */
				sk->cfg.flags &= ~(uint32_t)PTCP_CFG_CORK;
				sock_refresh_conn(r, sk);
				sk->cfg.flags |= PTCP_CFG_CORK;
			}
			refresh = true;
			break;
		case 3: /* TCP_CORK */
			if (v)
				sk->cfg.flags |= PTCP_CFG_CORK;
			else
				sk->cfg.flags &= ~(uint32_t)PTCP_CFG_CORK;
			refresh = true;
			break;
		case 2: /* TCP_MAXSEG */
			if (v < 88 || v > 32767)
				return done_err(c, E_EINVAL);
			sk->user_mss = (int)v;
			return done_ok(c, 0);
		case 4: /* TCP_KEEPIDLE */
		case 5: /* TCP_KEEPINTVL */
			if (v < 1 || v > 32767)
				return done_err(c, E_EINVAL);
			if (opt == 4)
				sk->keepidle = (int)v;
			else
				sk->keepintvl = (int)v;
			refresh = true;
			break;
		case 6: /* TCP_KEEPCNT */
			if (v < 1 || v > 127)
				return done_err(c, E_EINVAL);
			sk->keepcnt = (int)v;
			refresh = true;
			break;
		case 7: /* TCP_SYNCNT */
			if (v < 1 || v > 127)
				return done_err(c, E_EINVAL);
			sk->cfg.syn_retries = (uint8_t)v;
			refresh = true;
			break;
		case 8: /* TCP_LINGER2 */
			sk->cfg.fin_wait2_timeout = v > 0 ? PTCP_SEC((ptcp_time_t)v) : PTCP_SEC(60);
			refresh = true;
			break;
		case 23: /* TCP_FASTOPEN: the listener's Fast Open queue length */
			if (v < 0)
				return done_err(c, E_EINVAL);
			sk->tfo_qlen = (int)v;
			return done_ok(c, 0);
		case 18: /* TCP_USER_TIMEOUT */
			if (v < 0)
				return done_err(c, E_EINVAL);
			sk->user_timeout_ms = (unsigned)v;
			refresh = true;
			break;
		default:
			break;
		}
	}
	if (!refresh) {
		char feat[64];
		snprintf(feat, sizeof(feat), "setsockopt %s", drill_sym_name(level, opt));
		drill_unsupported(r, c->ev->line, feat, "setsockopt(level %" PRId64 ", %s)", level,
		                  drill_sym_name(level, opt));
		return ATT_STOP;
	}
	if (sk->conn && sk->kind == SK_CONN)
		sock_refresh_conn(r, sk);
	return r->stopped ? ATT_STOP : done_ok(c, 0);
}

static enum attempt att_getsockopt(struct runner *r, struct call *c)
{
	int64_t level, opt, len, want;
	struct sock *sk;
	int64_t v;
	const struct ptcp_drill_expr *val;
	if (check_nargs(r, c, 5, 5) || arg_sock(r, c, 0) || arg_int(r, c, 1, &level) ||
	    arg_int(r, c, 2, &opt) || arg_bracketed(r, c, 4, &len))
		return ATT_STOP;
	sk = c->sk;
	val = c->sc->args[3];
	if (val->kind != PTCP_DRILL_EXPR_ARRAY || len != 4) {
		drill_unsupported(r, c->ev->line, "getsockopt value type",
		                  "getsockopt(%s) of a non-integer value",
		                  drill_sym_name(level, opt));
		return ATT_STOP;
	}
	if (arg_bracketed(r, c, 3, &want))
		return ATT_STOP;
	if (level == 1 && opt == 4) { /* SO_ERROR */
		v = take_error(sk);
	} else if (level == 1 && opt == 7) {
		v = sk->sndbuf;
	} else if (level == 1 && opt == 8) {
		v = sk->rcvbuf;
	} else if (level == 1 && opt == 2) {
		v = sk->reuseaddr;
	} else if (level == 1 && opt == 9) {
		v = sk->keepalive;
	} else if (level == 1 && opt == 3) {
		v = 1;
	} else if (level == 6 && opt == 1) {
		v = (sk->cfg.flags & PTCP_CFG_NODELAY) != 0;
	} else if (level == 6 && opt == 3) {
		v = (sk->cfg.flags & PTCP_CFG_CORK) != 0;
	} else if (level == 6 && opt == 2) { /* TCP_MAXSEG: Linux tp->mss_cache */
		ptcp_state st =
		    sk->conn && sk->kind == SK_CONN ? ptcp_conn_state(sk->conn) : PTCP_CLOSED;
		if (st >= PTCP_ESTABLISHED) {
			ptcp_info info;
			ptcp_conn_info(sk->conn, &info);
			v = info.mss;
		} else {
			v = sk->user_mss ? sk->user_mss : 536;
		}
	} else if (level == 6 && opt == 4) {
		v = sk->keepidle;
	} else if (level == 6 && opt == 5) {
		v = sk->keepintvl;
	} else if (level == 6 && opt == 6) {
		v = sk->keepcnt;
	} else if (level == 6 && opt == 7) {
		v = sk->cfg.syn_retries;
	} else if (level == 6 && opt == 18) {
		v = sk->user_timeout_ms;
	} else {
		char feat[64];
		snprintf(feat, sizeof(feat), "getsockopt %s", drill_sym_name(level, opt));
		drill_unsupported(r, c->ev->line, feat, "getsockopt(level %" PRId64 ", %s)", level,
		                  drill_sym_name(level, opt));
		return ATT_STOP;
	}
	if (v != want) {
		drill_fail(r, c->ev->line,
		           "getsockopt(%s): bad optval: expected %" PRId64 " actual %" PRId64,
		           drill_sym_name(level, opt), want, v);
		return ATT_STOP;
	}
	return done_ok(c, 0);
}

/* ---- fcntl / ioctl / poll -------------------------------------------------------------- */

static enum attempt att_fcntl(struct runner *r, struct call *c)
{
	int64_t cmd, arg = 0;
	if (check_nargs(r, c, 2, 3) || arg_sock(r, c, 0) || arg_int(r, c, 1, &cmd))
		return ATT_STOP;
	if (c->sc->n_args == 3 && arg_int(r, c, 2, &arg))
		return ATT_STOP;
	switch (cmd) {
	case 1: /* F_GETFD */
		return done_ok(c, 0);
	case 2: /* F_SETFD */
		return done_ok(c, 0);
	case 3: /* F_GETFL */
		return done_ok(c, O_RDWR_ | (c->sk->nonblock ? O_NONBLOCK_ : 0));
	case 4: /* F_SETFL */
		c->sk->nonblock = (arg & O_NONBLOCK_) != 0;
		return done_ok(c, 0);
	default:
		drill_unsupported(r, c->ev->line, "fcntl command", "fcntl command %" PRId64, cmd);
		return ATT_STOP;
	}
}

static enum attempt att_ioctl(struct runner *r, struct call *c)
{
	int64_t cmd, want, v;
	ptcp_info info;
	struct sock *sk;
	if (check_nargs(r, c, 3, 3) || arg_sock(r, c, 0) || arg_int(r, c, 1, &cmd) ||
	    arg_bracketed(r, c, 2, &want))
		return ATT_STOP;
	sk = c->sk;
	if (cmd != 0x541B && cmd != 0x5411 && cmd != 0x894B) {
		drill_unsupported(r, c->ev->line, "ioctl command", "ioctl command 0x%" PRIx64, cmd);
		return ATT_STOP;
	}
	if (sk->kind == SK_LISTEN)
		return done_err(c, E_EINVAL);
	if (sk->kind != SK_CONN) {
		v = 0;
	} else {
		ptcp_conn_info(sk->conn, &info);
		if (cmd == 0x541B)
			v = (int64_t)info.recv_ready; /* SIOCINQ: what read() may return */
		else if (cmd == 0x5411)
			v = (int64_t)info.send_queued; /* SIOCOUTQ: unacked + unsent */
		else
			v = (int64_t)info.send_queued - (int64_t)(info.snd_nxt - info.snd_una);
	}
	if (v != want) {
		drill_fail(r, c->ev->line,
		           "ioctl(0x%" PRIx64 "): bad value: expected %" PRId64 " actual %" PRId64,
		           cmd, want, v);
		return ATT_STOP;
	}
	return done_ok(c, 0);
}

static int prep_poll(struct runner *r, struct call *c)
{
	const struct ptcp_drill_expr *a;
	int64_t nfds, timeout;
	if (check_nargs(r, c, 3, 3) || arg_int(r, c, 1, &nfds) || arg_int(r, c, 2, &timeout))
		return -1;
	a = c->sc->args[0];
	if (a->kind != PTCP_DRILL_EXPR_ARRAY || (int64_t)a->n_items != nfds)
		return drill_fail(r, c->ev->line,
		                  "poll(): nfds %" PRId64 " does not match the array", nfds);
	c->pfd = calloc(a->n_items ? a->n_items : 1, sizeof(*c->pfd));
	if (!c->pfd)
		return drill_fail(r, c->ev->line, "out of memory");
	c->n_pfd = a->n_items;
	for (size_t i = 0; i < a->n_items; i++) {
		const struct ptcp_drill_expr *fd = field(a->items[i], "fd"),
		                             *ev = field(a->items[i], "events"),
		                             *rev = field(a->items[i], "revents");
		int64_t x, y, z = 0;
		if (!fd || !ev)
			return drill_fail(r, c->ev->line, "poll(): bad pollfd");
		if (drill_eval_int(r, c->ev->line, fd, &x) ||
		    drill_eval_int(r, c->ev->line, ev, &y) ||
		    (rev && drill_eval_int(r, c->ev->line, rev, &z)))
			return -1;
		c->pfd[i].fd = (int)x;
		c->pfd[i].events = (int)y;
		c->pfd[i].revents_expected = (int)z;
	}
	c->poll_deadline = timeout < 0 ? -1 : c->start + timeout * 1000;
	return 0;
}

static enum attempt att_poll(struct runner *r, struct call *c)
{
	int n = 0;
	for (size_t i = 0; i < c->n_pfd; i++) {
		struct sock *sk = sock_by_fd(r, c->pfd[i].fd);
		int m = sk ? sock_poll_mask(r, sk) : POLLNVAL_;
		c->pfd[i].revents = m & (c->pfd[i].events | POLLERR_ | POLLHUP_ | POLLNVAL_);
		if (c->pfd[i].revents)
			n++;
	}
	if (n > 0 || (c->poll_deadline >= 0 && r->now >= c->poll_deadline))
		return done_ok(c, n);
	return ATT_BLOCK;
}

/* ---- Dispatch -------------------------------------------------------------------------- */

struct syscall_ent {
	const char *name;
	enum attempt (*attempt)(struct runner *r, struct call *c);
	int (*prep)(struct runner *r, struct call *c);
};

static int prep_rw_read(struct runner *r, struct call *c)
{
	return rw_args(r, c, false);
}

static int prep_rw_write(struct runner *r, struct call *c)
{
	return rw_args(r, c, true);
}

static int prep_accept(struct runner *r, struct call *c)
{
	return check_nargs(r, c, 3, 3) || arg_sock(r, c, 0) ? -1 : 0;
}

static const struct syscall_ent calls[] = {
    {"socket", att_socket, NULL},         {"bind", att_bind, NULL},
    {"listen", att_listen, NULL},         {"accept", att_accept, prep_accept},
    {"connect", att_connect, NULL},       {"read", att_read, prep_rw_read},
    {"readv", att_read, prep_rw_read},    {"recv", att_read, prep_rw_read},
    {"recvfrom", att_read, prep_rw_read}, {"write", att_write, prep_rw_write},
    {"writev", att_write, prep_rw_write}, {"send", att_write, prep_rw_write},
    {"sendto", att_write, prep_rw_write}, {"sendmsg", att_write, prep_rw_write},
    {"close", att_close, NULL},           {"shutdown", att_shutdown, NULL},
    {"setsockopt", att_setsockopt, NULL}, {"getsockopt", att_getsockopt, NULL},
    {"fcntl", att_fcntl, NULL},           {"ioctl", att_ioctl, NULL},
    {"poll", att_poll, prep_poll},
};

static int attempt_call(struct runner *r, struct call *c, enum attempt *out)
{
	bool was = r->in_attempt;
	r->in_attempt = true;
	*out = c->attempt(r, c);
	r->in_attempt = was;
	return *out == ATT_STOP || r->stopped ? -1 : 0;
}

int pending_poll(struct runner *r)
{
	struct call *c = r->pending;
	enum attempt a;
	if (!c || r->in_attempt || r->stopped)
		return r->stopped ? -1 : 0;
	if (attempt_call(r, c, &a))
		return -1;
	if (a == ATT_BLOCK)
		return 0;
	r->pending = NULL;
	drill_trace(r, "  %s() (line %d) returns %d%s%s", c->sc->name, c->ev->line, c->ret,
	            c->err ? " " : "", c->err ? drill_errno_name(c->err) : "");
	if (finish_call(r, c)) {
		call_free(c);
		return -1;
	}
	call_free(c);
	return 0;
}

int run_syscall(struct runner *r, const struct ptcp_drill_event *ev, int64_t t, int64_t end)
{
	const struct ptcp_drill_syscall *sc = &ev->u.syscall;
	const struct syscall_ent *ent = NULL;
	struct call *c;
	enum attempt a;
	int64_t want;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strcmp(calls[i].name, sc->name) == 0)
			ent = &calls[i];
	if (!ent) {
		char feat[96];
		snprintf(feat, sizeof(feat), "syscall %s", sc->name);
		return drill_unsupported(r, ev->line, feat, "system call %s()", sc->name);
	}
	if (r->pending) {
		/* Upstream waits for the system call thread to go idle. */
		while (r->pending && !r->stopped && stack_advance_one(r, t) == 1)
			;
		if (r->stopped)
			return -1;
		if (r->pending)
			return drill_fail(
			    r, ev->line,
			    "%s() while the blocking %s() of line %d is still in progress",
			    sc->name, r->pending->sc->name, r->pending->ev->line);
	}
	if (r->now > t && drill_check_time(r, ev->line, "system call start", t, t, false, r->now,
	                                   r->last_event_time))
		return -1;
	if (stack_advance(r, t))
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return drill_fail(r, ev->line, "out of memory");
	c->ev = ev;
	c->sc = sc;
	c->attempt = ent->attempt;
	c->blocking_form = sc->blocking;
	c->start = r->now;
	c->end = end;
	c->poll_deadline = -1;
	c->script_fd = -1;
	if (sc->ret && drill_eval_int(r, ev->line, sc->ret, &want) == 0 && want >= 0)
		c->script_fd = (int)want;
	if (r->stopped || (ent->prep && ent->prep(r, c))) {
		call_free(c);
		return -1;
	}
	drill_trace(r, "  %s()", sc->name);
	if (attempt_call(r, c, &a)) {
		call_free(c);
		return -1;
	}
	if (a == ATT_BLOCK) {
		r->pending = c;
		if (c->blocking_form)
			return 0;
		/* No end time: the script waits for the call (time runs, nothing is injected). */
		while (r->pending == c && !r->stopped) {
			int k = stack_advance_one(r, r->now + DRILL_SEC(3600));
			if (k < 0)
				return -1;
			if (k == 0) {
				r->pending = NULL;
				call_free(c);
				return drill_fail(
				    r, ev->line,
				    "%s() blocks and nothing will wake it (write the call "
				    "with an end time, \"+0...T %s(...)\", to let the "
				    "script go on)",
				    sc->name, sc->name);
			}
		}
		return r->stopped ? -1 : 0;
	}
	drill_trace(r, "  %s() returns %d%s%s", sc->name, c->ret, c->err ? " " : "",
	            c->err ? drill_errno_name(c->err) : "");
	if (finish_call(r, c)) {
		call_free(c);
		return -1;
	}
	call_free(c);
	return 0;
}
