/*
 * ptcp_afp: a ptcp_link over an AF_PACKET socket bound to one Ethernet
 * interface, with a TPACKET_V3 receive ring and a TX ring (PACKET_MMAP).
 *
 * IMPLEMENTATION NOTES
 * Receive: the kernel fills blocks of the RX ring; recv() walks the blocks
 * handed to user space, skips our own outgoing frames, answers ARP and
 * IPv6 neighbour solicitations for our addresses, learns neighbours, and
 * passes IPv4/IPv6 frames for our MAC (or broadcast/multicast) up to
 * ptcp_stack_input() without the Ethernet header.  A frame whose checksum
 * the kernel left for offload (TP_STATUS_CSUMNOTREADY, e.g. from a veth
 * peer) or already verified (TP_STATUS_CSUM_VALID) is passed with
 * PTCP_RX_CSUM_OK.
 * Send: send() picks the next hop (the destination on our subnet, else the
 * gateway), looks it up in a small neighbour table, and writes the frame
 * into the next TX ring slot; flush() (once per event-loop batch, or when
 * many frames wait) makes the kernel send them with one send() call.  An
 * unresolved neighbour gets an ARP request / neighbour solicitation and a
 * few packets are queued until the answer arrives (then dropped; TCP
 * retransmits).  Entries do not expire.
 * Use an address the kernel does not own on that interface (the kernel
 * would answer ARP for it and reset our connections).
 */
#ifndef PTCP_AFP_H
#define PTCP_AFP_H

#include <net/if.h>

#include "ptcp_stack.h"

#define PTCP_AFP_NEIGH  16
#define PTCP_AFP_QLEN   4
#define PTCP_AFP_QBYTES 9216

typedef struct ptcp_afp_neigh {
	ptcp_addr ip;
	uint8_t mac[6];
	uint8_t state; /* 0 free, 1 incomplete, 2 reachable */
	uint8_t nq;
	ptcp_time_t last_req;
	uint16_t qlen[PTCP_AFP_QLEN];
	uint8_t q[PTCP_AFP_QLEN][PTCP_AFP_QBYTES];
} ptcp_afp_neigh;

typedef struct ptcp_afp_stats {
	uint64_t arp_in, arp_out, nd_in, nd_out, not_for_us, truncated, ring_full, unresolved;
} ptcp_afp_stats;

typedef struct ptcp_afp {
	ptcp_link link;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	ptcp_addr addr4, addr6, gw4, gw6;
	unsigned plen4, plen6;
	uint8_t *map;
	size_t maplen;
	unsigned rx_block_size, rx_block_nr, rx_cur;
	uint8_t *tx;
	unsigned tx_frame_size, tx_frame_nr, tx_cur, tx_queued;
	ptcp_afp_neigh neigh[PTCP_AFP_NEIGH];
	ptcp_afp_stats stats;
	uint8_t frame[128];
} ptcp_afp;

/* Open an AF_PACKET socket on ifname with its rings; MTU and MAC from the
 * interface.  Returns 0 or -errno. */
int ptcp_afp_open(ptcp_afp *a, const char *ifname);
/* Our address on the link, its prefix length and the gateway (NULL or unset = none). */
void ptcp_afp_set_addr(ptcp_afp *a, const ptcp_addr *addr, unsigned plen, const ptcp_addr *gw);

#endif
