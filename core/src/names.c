/* Names and messages for the core's enums and error codes. */
#include "ptcp/ptcp.h"

const char *ptcp_strerror(int err)
{
	switch (err) {
	case PTCP_OK:
		return "success";
	case PTCP_EINVAL:
		return "invalid argument";
	case PTCP_ENOBUFS:
		return "output buffer too small";
	case PTCP_ESHORT:
		return "truncated segment or packet";
	case PTCP_EBADOFF:
		return "TCP data offset below 5";
	case PTCP_EOPTLEN:
		return "TCP option length 0, 1 or past the header";
	case PTCP_EOPTSIZE:
		return "TCP option with a wrong length, or options too long";
	case PTCP_EOPTDUP:
		return "duplicate TCP option";
	case PTCP_ECSUM:
		return "bad TCP checksum";
	case PTCP_EIPVER:
		return "IP version is not 4 or 6";
	case PTCP_EIPHDR:
		return "bad IP header";
	case PTCP_EFRAG:
		return "IP fragment";
	case PTCP_ENOTTCP:
		return "not a TCP packet";
	case PTCP_ESTATE:
		return "not valid in this state";
	case PTCP_ENOTCONN:
		return "not connected";
	case PTCP_EAGAIN:
		return "would block";
	case PTCP_ECLOSING:
		return "connection is closing";
	case PTCP_ECONNRESET:
		return "connection reset by peer";
	case PTCP_ECONNREFUSED:
		return "connection refused";
	case PTCP_ETIMEDOUT:
		return "connection timed out";
	case PTCP_EUNREACH:
		return "destination unreachable";
	case PTCP_EABORTED:
		return "connection aborted";
	case PTCP_ENOSPC:
		return "action array full";
	default:
		return "unknown error";
	}
}

/* Switches rather than pointer tables: a table of pointers needs relocations
 * and lands in writable data in position-independent builds. */
const char *ptcp_state_name(ptcp_state s)
{
	switch (s) {
	case PTCP_CLOSED:
		return "CLOSED";
	case PTCP_LISTEN:
		return "LISTEN";
	case PTCP_SYN_SENT:
		return "SYN-SENT";
	case PTCP_SYN_RECEIVED:
		return "SYN-RECEIVED";
	case PTCP_ESTABLISHED:
		return "ESTABLISHED";
	case PTCP_FIN_WAIT_1:
		return "FIN-WAIT-1";
	case PTCP_FIN_WAIT_2:
		return "FIN-WAIT-2";
	case PTCP_CLOSE_WAIT:
		return "CLOSE-WAIT";
	case PTCP_CLOSING:
		return "CLOSING";
	case PTCP_LAST_ACK:
		return "LAST-ACK";
	case PTCP_TIME_WAIT:
		return "TIME-WAIT";
	default:
		return "?";
	}
}

const char *ptcp_event_name(ptcp_event e)
{
	switch (e) {
	case PTCP_EV_CONNECTED:
		return "connected";
	case PTCP_EV_PEER_CLOSED:
		return "peer-closed";
	case PTCP_EV_RESET:
		return "reset";
	case PTCP_EV_TIMEDOUT:
		return "timed-out";
	case PTCP_EV_ERROR:
		return "error";
	case PTCP_EV_SOFT_ERROR:
		return "soft-error";
	case PTCP_EV_CLOSED:
		return "closed";
	case PTCP_EV_TW_REUSE:
		return "time-wait-reuse";
	case PTCP_EV_ALL_ACKED:
		return "all-acked";
	default:
		return "?";
	}
}

const char *ptcp_drop_name(ptcp_drop d)
{
	switch (d) {
	case PTCP_DROP_NONE:
		return "none";
	case PTCP_DROP_UNACCEPTABLE:
		return "unacceptable";
	case PTCP_DROP_BAD_ACK:
		return "bad-ack";
	case PTCP_DROP_NO_ACK:
		return "no-ack";
	case PTCP_DROP_RST_INVALID:
		return "rst-invalid";
	case PTCP_DROP_CLOSED:
		return "closed";
	case PTCP_DROP_LISTEN:
		return "listen";
	case PTCP_DROP_SYN_SENT:
		return "syn-sent";
	case PTCP_DROP_OOO_FULL:
		return "ooo-full";
	case PTCP_DROP_RCVBUF:
		return "rcvbuf";
	case PTCP_DROP_PAWS:
		return "paws";
	case PTCP_DROP_ICMP_INVALID:
		return "icmp-invalid";
	case PTCP_DROP_WRONG_PORT:
		return "wrong-port";
	default:
		return "?";
	}
}
