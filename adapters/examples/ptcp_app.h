/*
 * Shared by the example programs: the link options (--tun / --afpacket,
 * --addr, --gw, --mtu, buffer sizes), bringing up the link and the stack,
 * signals, and the statistics printed at exit.
 */
#ifndef PTCP_APP_H
#define PTCP_APP_H

#include <signal.h>

#include "ptcp_afp.h"
#include "ptcp_stack.h"
#include "ptcp_tun.h"

typedef struct ptcp_app {
	const char *prog;
	const char *tun, *afp;
	ptcp_addr addr[2], gw[2]; /* [0] IPv4, [1] IPv6 */
	unsigned plen[2];
	unsigned mtu;
	size_t sndbuf, rcvbuf;
	unsigned conns;
	int verbose, nodelay, stats;
	const char *pcap;
	unsigned snaplen;
	union {
		ptcp_tun tun;
		ptcp_afp afp;
	} * l;
	ptcp_link *link;
	ptcp_stack *stack;
	ptcp_sock *table;
	uint8_t *mem;
	size_t memlen;
} ptcp_app;

extern volatile sig_atomic_t ptcp_app_quit;

#define PTCP_APP_USAGE                                                                             \
	"link options:\n"                                                                          \
	"  --tun NAME          use TUN device NAME (created if missing)\n"                         \
	"  --afpacket IFACE    use an AF_PACKET socket on Ethernet interface IFACE\n"              \
	"  --addr IP[/LEN]     our address (IPv4 and/or IPv6; LEN: on-link prefix, afpacket)\n"    \
	"  --gw IP             gateway for off-link destinations (afpacket)\n"                     \
	"  --mtu N             IP MTU (default: the device's)\n"                                   \
	"  --sndbuf BYTES      send buffer per connection (default 4M; K/M suffixes)\n"            \
	"  --rcvbuf BYTES      receive buffer per connection (default 4M)\n"                       \
	"  --conns N           connection slots (default 8)\n"                                     \
	"  --nodelay           disable Nagle\n"                                                    \
	"  --stats             print link and stack counters at exit\n"                            \
	"  -v, --verbose       log state changes (twice: drops too)\n"

/* Defaults. */
void ptcp_app_init(ptcp_app *a, const char *prog);
/* Consume argv[*i] (and its value) if it is a link option: 1 consumed, 0 not ours, -1 bad. */
int ptcp_app_option(ptcp_app *a, int argc, char **argv, int *i);
/* Open the link and the stack; prints the reason and returns -1 on failure. */
int ptcp_app_start(ptcp_app *a);
/* Print statistics (if asked) and release everything. */
void ptcp_app_stop(ptcp_app *a);
/* Parse a size with an optional K/M/G suffix; 0 on error. */
size_t ptcp_app_size(const char *s);
/* Format the non-zero drop counters of st ("none" if all zero) into buf. */
const char *ptcp_app_drops(const ptcp_stats *st, char *buf, size_t len);
/* CPU seconds (user + system) of this process so far. */
double ptcp_app_cpu(void);

#endif
