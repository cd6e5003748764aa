/*
 * ptcp_stack: the thin glue between the pure core and a Linux link.
 *
 * IMPLEMENTATION NOTES
 * Nothing TCP-specific lives here: the stack moves IP packets between a
 * link (TUN, AF_PACKET) and ptcp_step(), and application data between the
 * example programs and PTCP_IN_SEND / PTCP_IN_READ.  It owns:
 *   - a tiny IPv4/IPv6 layer: parse, our-address check, ICMP/ICMPv6 echo
 *     replies, ICMP errors turned into PTCP_IN_ICMP with the quoted TCP
 *     sequence number;
 *   - a demultiplexer: a fixed table of connections over caller memory,
 *     looked up by 4-tuple; listeners per port: a SYN to a listening port
 *     gets a fresh block put in LISTEN (with an ISS for that 4-tuple) and
 *     then fed the SYN, so the core's LISTEN -> SYN-RECEIVED turns that
 *     block into the connection.  Segments for no connection are fed to a
 *     scratch block (CLOSED, or LISTEN when the port listens) so that the
 *     core itself writes the RST;
 *   - ISS per RFC 6528 (SipHash-2-4 of the 4-tuple under a random key, plus
 *     a 4 us clock) and a per-connection timestamp offset;
 *   - the event loop (ppoll on the link, timeout from the earliest
 *     ptcp_conn_next_deadline(), PTCP_IN_TIME when due).
 * Application callbacks are deferred: actions only set bits in
 * ptcp_sock.pending, and ptcp_stack_poll() delivers them after the packets
 * and timers of a round, so an application may call ptcp_sock_send() etc.
 * from its callback without re-entering the action loop.
 */
#ifndef PTCP_STACK_H
#define PTCP_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "ptcp/ptcp.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptcp_stack;

/* Flags for ptcp_stack_input(). */
#define PTCP_RX_CSUM_OK 0x01u /* the link vouches for the checksums (offloaded / partial) */

/*
 * A link moves whole IP packets.  fd is polled for POLLIN; recv() drains up
 * to max packets into ptcp_stack_input(); send() queues or writes one
 * packet (IPv4 or IPv6); flush() pushes queued packets (may be NULL).
 */
typedef struct ptcp_link {
	const char *kind; /* "tun", "afpacket" */
	int fd;
	unsigned mtu; /* IP MTU */
	int (*recv)(struct ptcp_link *l, struct ptcp_stack *s, int max);
	int (*send)(struct ptcp_link *l, const uint8_t *pkt, size_t len);
	void (*flush)(struct ptcp_link *l);
	void (*close)(struct ptcp_link *l);
	uint64_t rx_pkts, tx_pkts, tx_drops;
} ptcp_link;

/* Application events (bits of the events argument of the callback). */
#define PTCP_SOCK_CONNECTED   0x01u /* handshake done (also: a new accepted connection) */
#define PTCP_SOCK_READABLE    0x02u /* data (or EOF) to read */
#define PTCP_SOCK_WRITABLE    0x04u /* send buffer space freed */
#define PTCP_SOCK_PEER_CLOSED 0x08u /* FIN received */
#define PTCP_SOCK_ALL_ACKED   0x10u /* everything sent was acknowledged */
#define PTCP_SOCK_STATE       0x20u /* state changed (see ptcp_conn_state(&k->conn)) */
#define PTCP_SOCK_CLOSED      0x40u /* gone; k->err says why; the slot is freed after the call */

typedef struct ptcp_sock ptcp_sock;
typedef void (*ptcp_sock_cb)(struct ptcp_stack *s, ptcp_sock *k, unsigned events);

struct ptcp_sock {
	ptcp_conn conn;
	ptcp_loss loss;         /* its loss area (ptcp_conn_set_loss) */
	ptcp_stats st;          /* its counters (ptcp_conn_set_stats) */
	ptcp_addr laddr, raddr; /* the 4-tuple (the core's fields are private) */
	uint16_t lport, rport;
	uint8_t used;
	uint8_t accepted; /* app has seen it (CONNECTED delivered or active open) */
	uint8_t spawned;  /* created by a listener */
	unsigned pending; /* PTCP_SOCK_* bits not yet delivered */
	int err;          /* the PTCP_E* it died with */
	ptcp_time_t deadline;
	ptcp_sock_cb cb;
	void *user; /* the application's */
	uint8_t *sbuf, *rbuf;
};

#define PTCP_STACK_LISTEN_MAX 8
#define PTCP_STACK_ACTIONS    256

typedef struct ptcp_stack_stats {
	uint64_t rx_ip, rx_bad, rx_not_ours, rx_tcp, rx_no_conn, rx_icmp, rx_other;
	uint64_t icmp_echo, icmp_err, syn_no_slot, tx_ip, tx_err;
	uint64_t icmp_frag;     /* ICMP frag-needed / packet too big for a connection */
	uint32_t icmp_frag_mtu; /* the MTU the last one announced */
} ptcp_stack_stats;

typedef struct ptcp_stack {
	ptcp_link *link;
	ptcp_addr addr4, addr6; /* ours; family 0 = none */
	ptcp_config cfg;
	ptcp_sock *socks;
	size_t nsocks;
	size_t sndbuf, rcvbuf;
	struct {
		uint16_t port; /* 0 = free */
		ptcp_addr local;
		ptcp_sock_cb cb;
		void *user;
	} listen[PTCP_STACK_LISTEN_MAX];
	uint64_t key[2]; /* RFC 6528 secret */
	ptcp_time_t now;
	uint16_t ip_id;
	int verbose;
	void *pcap;            /* FILE * recording every IP packet in and out, or NULL */
	unsigned pcap_snaplen; /* bytes kept per packet */
	ptcp_stack_stats stats;
	ptcp_conn scratch;
	uint8_t scratch_buf[2][16];
	ptcp_action acts[PTCP_STACK_ACTIONS];
	uint8_t pkt[65536 + 128];
} ptcp_stack;

/* Microseconds on CLOCK_MONOTONIC. */
ptcp_time_t ptcp_stack_now(void);

/*
 * Set up a stack over caller memory: table[n] connection slots, and bufmem
 * of n * (sndbuf + rcvbuf) bytes for their buffers.  cfg NULL = defaults
 * (the MSS is set per connection from the link MTU).  Returns 0 or -errno.
 */
int ptcp_stack_init(ptcp_stack *s, ptcp_link *link, ptcp_sock *table, size_t n, uint8_t *bufmem,
                    size_t sndbuf, size_t rcvbuf, const ptcp_config *cfg);
/* Add our address (one IPv4, one IPv6). */
void ptcp_stack_set_addr(ptcp_stack *s, const ptcp_addr *a);

/* Listen on port (local NULL = any of ours); new connections get cb and user. */
int ptcp_stack_listen(ptcp_stack *s, const ptcp_addr *local, uint16_t port, ptcp_sock_cb cb,
                      void *user);
/* Active open to remote:rport from lport (0 = ephemeral).  NULL on failure (errno set). */
ptcp_sock *ptcp_stack_connect(ptcp_stack *s, const ptcp_addr *remote, uint16_t rport,
                              uint16_t lport, ptcp_sock_cb cb, void *user);

/* The application calls: return as ptcp_step() does for that input. */
int ptcp_sock_send(ptcp_stack *s, ptcp_sock *k, const void *data, size_t len, uint32_t flags);
int ptcp_sock_read(ptcp_stack *s, ptcp_sock *k, void *buf, size_t len);
int ptcp_sock_shutdown(ptcp_stack *s, ptcp_sock *k, int how);
int ptcp_sock_close(ptcp_stack *s, ptcp_sock *k);
int ptcp_sock_abort(ptcp_stack *s, ptcp_sock *k);

/* One IP packet from the link (flags: PTCP_RX_*). */
void ptcp_stack_input(ptcp_stack *s, const uint8_t *pkt, size_t len, unsigned flags);
/* Send one IP packet we built (fills nothing; counts). */
int ptcp_stack_output(ptcp_stack *s, const uint8_t *pkt, size_t len);

/*
 * One round of the event loop: wait for packets or the earliest deadline
 * (at most max_wait us; PTCP_TIME_NEVER = no limit), drain the link, fire
 * timers, deliver application events, flush the link.  extra_fd (or -1) is
 * polled too, for POLLIN; returns 1 when it is readable, 0 otherwise, or
 * -errno.
 */
int ptcp_stack_poll(ptcp_stack *s, ptcp_time_t max_wait, int extra_fd);

/* Record every IP packet in and out to a pcap file (LINKTYPE_RAW), keeping
 * snaplen bytes of each (0 = whole packets).  Returns 0 or -errno. */
int ptcp_stack_pcap(ptcp_stack *s, const char *path, unsigned snaplen);
void ptcp_stack_pcap_close(ptcp_stack *s);

/* Connections in use. */
size_t ptcp_stack_active(const ptcp_stack *s);

/* Parse "a.b.c.d" or an IPv6 address into a; returns 0 or -1. */
int ptcp_stack_addr_parse(ptcp_addr *a, const char *str);
/* Format an address (static-free: into buf of at least 46 bytes). */
const char *ptcp_stack_addr_str(const ptcp_addr *a, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
