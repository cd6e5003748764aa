/*
 * drill_symbols.c - the named constants of packetdrill scripts (Linux x86-64 values), errno
 * names, and the evaluation of integer expressions ("O_RDWR|O_NONBLOCK", "[1]").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "drill_run_int.h"

/* ---- Symbols --------------------------------------------------------------------------- */

struct sym {
	const char *name;
	int64_t val;
};

static const struct sym syms[] = {
    {"AF_UNSPEC", 0},
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"PF_INET", 2},
    {"PF_INET6", 10},
    {"SOCK_STREAM", 1},
    {"SOCK_DGRAM", 2},
    {"SOCK_RAW", 3},
    {"SOCK_NONBLOCK", 04000},
    {"SOCK_CLOEXEC", 02000000},
    {"IPPROTO_IP", 0},
    {"IPPROTO_TCP", 6},
    {"IPPROTO_UDP", 17},
    {"IPPROTO_ICMP", 1},
    {"IPPROTO_IPV6", 41},
    {"IPPROTO_ICMPV6", 58},
    {"SOL_SOCKET", 1},
    {"SOL_TCP", 6},
    {"SOL_IP", 0},
    {"SOL_IPV6", 41},
    {"SO_DEBUG", 1},
    {"SO_REUSEADDR", 2},
    {"SO_TYPE", 3},
    {"SO_ERROR", 4},
    {"SO_DONTROUTE", 5},
    {"SO_BROADCAST", 6},
    {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8},
    {"SO_KEEPALIVE", 9},
    {"SO_OOBINLINE", 10},
    {"SO_LINGER", 13},
    {"SO_REUSEPORT", 15},
    {"SO_RCVLOWAT", 18},
    {"SO_SNDLOWAT", 19},
    {"SO_RCVTIMEO", 20},
    {"SO_SNDTIMEO", 21},
    {"SO_TIMESTAMP", 29},
    {"SO_SNDBUFFORCE", 32},
    {"SO_RCVBUFFORCE", 33},
    {"SO_MARK", 36},
    {"SO_TIMESTAMPING", 37},
    {"SO_MAX_PACING_RATE", 47},
    {"SO_ZEROCOPY", 60},
    {"TCP_NODELAY", 1},
    {"TCP_MAXSEG", 2},
    {"TCP_CORK", 3},
    {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5},
    {"TCP_KEEPCNT", 6},
    {"TCP_SYNCNT", 7},
    {"TCP_LINGER2", 8},
    {"TCP_DEFER_ACCEPT", 9},
    {"TCP_WINDOW_CLAMP", 10},
    {"TCP_INFO", 11},
    {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13},
    {"TCP_MD5SIG", 14},
    {"TCP_THIN_LINEAR_TIMEOUTS", 16},
    {"TCP_THIN_DUPACK", 17},
    {"TCP_USER_TIMEOUT", 18},
    {"TCP_REPAIR", 19},
    {"TCP_FASTOPEN", 23},
    {"TCP_TIMESTAMP", 24},
    {"TCP_NOTSENT_LOWAT", 25},
    {"TCP_CC_INFO", 26},
    {"TCP_SAVE_SYN", 27},
    {"TCP_SAVED_SYN", 28},
    {"TCP_FASTOPEN_CONNECT", 30},
    {"TCP_ULP", 31},
    {"TCP_FASTOPEN_KEY", 33},
    {"TCP_FASTOPEN_NO_COOKIE", 34},
    {"TCP_ZEROCOPY_RECEIVE", 35},
    {"TCP_INQ", 36},
    {"TCP_TX_DELAY", 37},
    {"IP_TOS", 1},
    {"IP_TTL", 2},
    {"IP_MTU_DISCOVER", 10},
    {"IP_FREEBIND", 15},
    {"IP_PMTUDISC_DONT", 0},
    {"IP_PMTUDISC_WANT", 1},
    {"IP_PMTUDISC_DO", 2},
    {"IP_PMTUDISC_PROBE", 3},
    {"IPV6_TCLASS", 67},
    {"F_GETFD", 1},
    {"F_SETFD", 2},
    {"F_GETFL", 3},
    {"F_SETFL", 4},
    {"O_RDONLY", 0},
    {"O_WRONLY", 1},
    {"O_RDWR", 2},
    {"O_NONBLOCK", 04000},
    {"SHUT_RD", 0},
    {"SHUT_WR", 1},
    {"SHUT_RDWR", 2},
    {"MSG_OOB", 1},
    {"MSG_PEEK", 2},
    {"MSG_DONTROUTE", 4},
    {"MSG_TRUNC", 0x20},
    {"MSG_DONTWAIT", 0x40},
    {"MSG_EOR", 0x80},
    {"MSG_WAITALL", 0x100},
    {"MSG_ERRQUEUE", 0x2000},
    {"MSG_NOSIGNAL", 0x4000},
    {"MSG_MORE", 0x8000},
    {"MSG_ZEROCOPY", 0x4000000},
    {"MSG_FASTOPEN", 0x20000000},
    {"POLLIN", 0x1},
    {"POLLPRI", 0x2},
    {"POLLOUT", 0x4},
    {"POLLERR", 0x8},
    {"POLLHUP", 0x10},
    {"POLLNVAL", 0x20},
    {"POLLRDNORM", 0x40},
    {"POLLRDBAND", 0x80},
    {"POLLWRNORM", 0x100},
    {"POLLWRBAND", 0x200},
    {"POLLMSG", 0x400},
    {"POLLRDHUP", 0x2000},
    {"SIOCINQ", 0x541B},
    {"FIONREAD", 0x541B},
    {"SIOCOUTQ", 0x5411},
    {"TIOCOUTQ", 0x5411},
    {"SIOCOUTQNSD", 0x894B},
    {"NULL", 0},
};

struct errent {
	const char *name;
	int val;
	const char *text;
};

static const struct errent errs[] = {
    {"EPERM", 1, "Operation not permitted"},
    {"ENOENT", 2, "No such file or directory"},
    {"EINTR", 4, "Interrupted system call"},
    {"EIO", 5, "Input/output error"},
    {"EBADF", 9, "Bad file descriptor"},
    {"EAGAIN", 11, "Resource temporarily unavailable"},
    {"EWOULDBLOCK", 11, "Resource temporarily unavailable"},
    {"ENOMEM", 12, "Cannot allocate memory"},
    {"EACCES", 13, "Permission denied"},
    {"EFAULT", 14, "Bad address"},
    {"EBUSY", 16, "Device or resource busy"},
    {"EEXIST", 17, "File exists"},
    {"EINVAL", 22, "Invalid argument"},
    {"ENOSPC", 28, "No space left on device"},
    {"EPIPE", 32, "Broken pipe"},
    {"ENOTSOCK", 88, "Socket operation on non-socket"},
    {"EDESTADDRREQ", 89, "Destination address required"},
    {"EMSGSIZE", 90, "Message too long"},
    {"EPROTOTYPE", 91, "Protocol wrong type for socket"},
    {"ENOPROTOOPT", 92, "Protocol not available"},
    {"EPROTONOSUPPORT", 93, "Protocol not supported"},
    {"EOPNOTSUPP", 95, "Operation not supported"},
    {"EAFNOSUPPORT", 97, "Address family not supported by protocol"},
    {"EADDRINUSE", 98, "Address already in use"},
    {"EADDRNOTAVAIL", 99, "Cannot assign requested address"},
    {"ENETDOWN", 100, "Network is down"},
    {"ENETUNREACH", 101, "Network is unreachable"},
    {"ENETRESET", 102, "Network dropped connection on reset"},
    {"ECONNABORTED", 103, "Software caused connection abort"},
    {"ECONNRESET", 104, "Connection reset by peer"},
    {"ENOBUFS", 105, "No buffer space available"},
    {"EISCONN", 106, "Transport endpoint is already connected"},
    {"ENOTCONN", 107, "Transport endpoint is not connected"},
    {"ESHUTDOWN", 108, "Cannot send after transport endpoint shutdown"},
    {"ETIMEDOUT", 110, "Connection timed out"},
    {"ECONNREFUSED", 111, "Connection refused"},
    {"EHOSTDOWN", 112, "Host is down"},
    {"EHOSTUNREACH", 113, "No route to host"},
    {"EALREADY", 114, "Operation already in progress"},
    {"EINPROGRESS", 115, "Operation now in progress"},
};

const char *drill_errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].val == e)
			return errs[i].name;
	return "E?";
}

int drill_errno(int ptcp_err)
{
	switch (ptcp_err) {
	case PTCP_EAGAIN:
		return E_EAGAIN;
	case PTCP_ENOTCONN:
		return E_ENOTCONN;
	case PTCP_ECLOSING:
		return E_EPIPE;
	case PTCP_ECONNRESET:
		return E_ECONNRESET;
	case PTCP_ECONNREFUSED:
		return E_ECONNREFUSED;
	case PTCP_ETIMEDOUT:
		return E_ETIMEDOUT;
	case PTCP_EUNREACH:
		return E_EHOSTUNREACH;
	case PTCP_EABORTED:
		return E_ECONNABORTED;
	case PTCP_EINVAL:
		return E_EINVAL;
	case PTCP_ESTATE:
		return E_EISCONN;
	default:
		return E_EIO;
	}
}

int drill_errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (strcmp(errs[i].name, name) == 0)
			return errs[i].val;
	return -1;
}

int drill_eval_int(struct runner *r, int line, const struct ptcp_drill_expr *e, int64_t *v)
{
	int64_t a, b;
	switch (e->kind) {
	case PTCP_DRILL_EXPR_INT:
		*v = e->num;
		return 0;
	case PTCP_DRILL_EXPR_WORD:
		for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
			if (strcmp(syms[i].name, e->str) == 0) {
				*v = syms[i].val;
				return 0;
			}
		}
		return drill_unsupported(r, line, e->str, "unknown symbol %s", e->str);
	case PTCP_DRILL_EXPR_BINARY:
		if (e->op != '|')
			return drill_fail(r, line, "unsupported operator '%c'", e->op);
		if (drill_eval_int(r, line, e->lhs, &a) || drill_eval_int(r, line, e->rhs, &b))
			return -1;
		*v = a | b;
		return 0;
	case PTCP_DRILL_EXPR_ARRAY:
		if (e->n_items == 1)
			return drill_eval_int(r, line, e->items[0], v);
		break;
	default:
		break;
	}
	return drill_fail(r, line, "expected an integer, found %s",
	                  ptcp_drill_expr_kind_name(e->kind));
}

const char *drill_sym_name(int64_t level, int64_t opt)
{
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		const char *n = syms[i].name;
		if (syms[i].val != opt)
			continue;
		if (level == 1 && strncmp(n, "SO_", 3) == 0)
			return n;
		if (level == 6 && strncmp(n, "TCP_", 4) == 0)
			return n;
		if ((level == 0 || level == 41) && strncmp(n, "IP", 2) == 0)
			return n;
	}
	return "?";
}
