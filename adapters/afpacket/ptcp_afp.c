/*
 * ptcp_afp: AF_PACKET link with TPACKET_V3 rings (see ptcp_afp.h).
 */
#define _GNU_SOURCE
#include "ptcp_afp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define RX_BLOCK_SIZE (1u << 18) /* holds a 64 KiB GSO frame */
#define RX_BLOCK_NR   64
#define RX_FRAME_SIZE 2048
#define RX_TOV_MS     1
#define TX_BLOCK_SIZE (1u << 16)
#define TX_BLOCK_NR   32
#define TX_KICK       64 /* frames queued before we kick the kernel early */
#define ETH_HLEN_     14
#define ARP_RETRY_US  200000u
#define TX_DATA_OFF   TPACKET_ALIGN(sizeof(struct tpacket3_hdr))

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* ---- TX ring ------------------------------------------------------------- */
static void kick(ptcp_afp *a)
{
	if (!a->tx_queued)
		return;
	/* The kernel sends every frame marked TP_STATUS_SEND_REQUEST. */
	if (send(a->link.fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS)
		a->link.tx_drops++;
	a->tx_queued = 0;
}

static struct tpacket3_hdr *tx_slot(ptcp_afp *a)
{
	struct tpacket3_hdr *h =
	    (struct tpacket3_hdr *)(void *)(a->tx + (size_t)a->tx_cur * a->tx_frame_size);
	for (int tries = 0; tries < 3; tries++) {
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (st == TP_STATUS_AVAILABLE || (st & TP_STATUS_WRONG_FORMAT))
			return h;
		kick(a);
		if (tries) {
			struct pollfd p = {.fd = a->link.fd, .events = POLLOUT, .revents = 0};
			poll(&p, 1, 10);
		}
	}
	a->stats.ring_full++;
	return NULL;
}

/* Queue one Ethernet frame: header to dst/ethertype, then body. */
static int tx_frame(ptcp_afp *a, const uint8_t dst[6], uint16_t type, const uint8_t *body,
                    size_t len)
{
	struct tpacket3_hdr *h;
	uint8_t *d;
	if (len + ETH_HLEN_ > a->tx_frame_size - TX_DATA_OFF) {
		a->link.tx_drops++;
		return -EMSGSIZE;
	}
	h = tx_slot(a);
	if (!h) {
		a->link.tx_drops++;
		return -ENOBUFS;
	}
	d = (uint8_t *)h + TX_DATA_OFF;
	memcpy(d, dst, 6);
	memcpy(d + 6, a->mac, 6);
	wr16(d + 12, type);
	memcpy(d + ETH_HLEN_, body, len);
	h->tp_len = (uint32_t)(len + ETH_HLEN_);
	h->tp_snaplen = h->tp_len;
	h->tp_next_offset = 0;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	a->tx_cur = (a->tx_cur + 1) % a->tx_frame_nr;
	a->link.tx_pkts++;
	if (++a->tx_queued >= TX_KICK)
		kick(a);
	return 0;
}

static void afp_flush(ptcp_link *l)
{
	kick((ptcp_afp *)l);
}

/* ---- neighbours ---------------------------------------------------------- */
static ptcp_afp_neigh *neigh_find(ptcp_afp *a, const ptcp_addr *ip)
{
	for (int i = 0; i < PTCP_AFP_NEIGH; i++)
		if (a->neigh[i].state && ptcp_addr_eq(&a->neigh[i].ip, ip))
			return &a->neigh[i];
	return NULL;
}

static ptcp_afp_neigh *neigh_new(ptcp_afp *a, const ptcp_addr *ip)
{
	ptcp_afp_neigh *n = NULL;
	for (int i = 0; i < PTCP_AFP_NEIGH && !n; i++)
		if (!a->neigh[i].state)
			n = &a->neigh[i];
	if (!n) /* full: evict the oldest request */
		for (int i = 0; i < PTCP_AFP_NEIGH; i++)
			if (!n || a->neigh[i].last_req < n->last_req)
				n = &a->neigh[i];
	memset(n, 0, sizeof(*n));
	n->ip = *ip;
	n->state = 1;
	return n;
}

/* We learned ip is at mac: record it (create if asked) and send what waited. */
static void neigh_learn(ptcp_afp *a, const ptcp_addr *ip, const uint8_t mac[6], int create)
{
	ptcp_afp_neigh *n = neigh_find(a, ip);
	if (!n) {
		if (!create)
			return;
		n = neigh_new(a, ip);
	}
	memcpy(n->mac, mac, 6);
	n->state = 2;
	for (unsigned i = 0; i < n->nq; i++)
		tx_frame(a, n->mac, ip->family == 4 ? ETH_P_IP : ETH_P_IPV6, n->q[i], n->qlen[i]);
	n->nq = 0;
}

static void arp_send(ptcp_afp *a, uint16_t op, const uint8_t tha[6], const uint8_t *tpa,
                     const uint8_t dst[6])
{
	uint8_t *p = a->frame;
	memset(p, 0, 46);
	wr16(p, 1);          /* Ethernet */
	wr16(p + 2, 0x0800); /* IPv4 */
	p[4] = 6;
	p[5] = 4;
	wr16(p + 6, op);
	memcpy(p + 8, a->mac, 6);
	memcpy(p + 14, a->addr4.bytes, 4);
	memcpy(p + 18, tha, 6);
	memcpy(p + 24, tpa, 4);
	a->stats.arp_out++;
	tx_frame(a, dst, ETH_P_ARP, p, 46); /* padded to the 60-byte minimum */
}

static void arp_input(ptcp_afp *a, const uint8_t *p, size_t len)
{
	ptcp_addr spa, tpa;
	if (len < 28 || rd16(p) != 1 || rd16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4 ||
	    !a->addr4.family)
		return;
	a->stats.arp_in++;
	memset(&spa, 0, sizeof spa);
	memset(&tpa, 0, sizeof tpa);
	spa.family = tpa.family = 4;
	memcpy(spa.bytes, p + 14, 4);
	memcpy(tpa.bytes, p + 24, 4);
	if (!ptcp_addr_eq(&tpa, &a->addr4)) {
		/* RFC 826: update an entry we already have */
		neigh_learn(a, &spa, p + 8, 0);
		return;
	}
	if (rd16(p + 14) || rd16(p + 16)) /* not 0.0.0.0 (a probe) */
		neigh_learn(a, &spa, p + 8, 1);
	if (rd16(p + 6) == 1)
		arp_send(a, 2, p + 8, p + 14, p + 8);
}

/* An ICMPv6 neighbour discovery message from src to dst (hop limit 255). */
static void nd_send(ptcp_afp *a, const uint8_t dst_mac[6], const ptcp_addr *dst, uint8_t type,
                    uint32_t flags, const ptcp_addr *target)
{
	uint8_t *p = a->frame, *m = p + 40;
	uint32_t sum;
	memset(p, 0, 72);
	p[0] = 0x60;
	wr16(p + 4, 32);
	p[6] = 58;
	p[7] = 255;
	memcpy(p + 8, a->addr6.bytes, 16);
	memcpy(p + 24, dst->bytes, 16);
	m[0] = type;
	m[4] = (uint8_t)(flags >> 24);
	memcpy(m + 8, target->bytes, 16);
	m[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	m[25] = 1;
	memcpy(m + 26, a->mac, 6);
	sum = ptcp_csum_pseudo(&a->addr6, dst, 58, 32);
	wr16(m + 2, ptcp_csum_fold(ptcp_csum_add(sum, m, 32)));
	a->stats.nd_out++;
	tx_frame(a, dst_mac, ETH_P_IPV6, p, 72);
}

/* Neighbour solicitation / advertisement (RFC 4861 7).  Returns 1 if consumed. */
static int nd_input(ptcp_afp *a, const uint8_t *eth_src, const uint8_t *p, size_t len)
{
	ptcp_addr src, target;
	const uint8_t *m = p + 40, *ll = NULL;
	size_t mlen;
	if (len < 40 + 24 || p[6] != 58 || (m[0] != 135 && m[0] != 136))
		return 0;
	mlen = rd16(p + 4);
	if (mlen < 24 || mlen > len - 40)
		return 1;
	a->stats.nd_in++;
	if (p[7] != 255 || !a->addr6.family)
		return 1;
	memset(&src, 0, sizeof src);
	memset(&target, 0, sizeof target);
	src.family = target.family = 6;
	memcpy(src.bytes, p + 8, 16);
	memcpy(target.bytes, m + 8, 16);
	{
		ptcp_addr dst;
		memset(&dst, 0, sizeof dst);
		dst.family = 6;
		memcpy(dst.bytes, p + 24, 16);
		if (ptcp_csum_fold(ptcp_csum_add(ptcp_csum_pseudo(&src, &dst, 58, (uint32_t)mlen),
		                                 m, mlen)) != 0)
			return 1;
	}
	for (size_t o = 24; o + 8 <= mlen && m[o + 1]; o += (size_t)m[o + 1] * 8)
		if ((m[0] == 135 && m[o] == 1) || (m[0] == 136 && m[o] == 2))
			ll = m + o + 2;
	if (m[0] == 135) {
		static const ptcp_addr all_nodes = {
		    .family = 6, .bytes = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
		static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
		int unspec = 1;
		if (!ptcp_addr_eq(&target, &a->addr6))
			return 1;
		for (int i = 0; i < 16; i++)
			if (src.bytes[i])
				unspec = 0;
		if (unspec) { /* duplicate address detection by someone else */
			nd_send(a, all_nodes_mac, &all_nodes, 136, 0x20000000u, &target);
			return 1;
		}
		neigh_learn(a, &src, ll ? ll : eth_src, 1);
		nd_send(a, ll ? ll : eth_src, &src, 136, 0x60000000u, &target); /* S|O */
		return 1;
	}
	neigh_learn(a, &target, ll ? ll : eth_src, 0);
	return 1;
}

static int on_link(const ptcp_addr *ours, unsigned plen, const ptcp_addr *dst)
{
	unsigned bits = plen, i;
	if (!ours->family)
		return 1;
	if (dst->family == 6 && dst->bytes[0] == 0xfe && (dst->bytes[1] & 0xc0) == 0x80)
		return 1; /* link-local */
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (ours->bytes[i] != dst->bytes[i])
			return 0;
	if (bits && ((ours->bytes[i] ^ dst->bytes[i]) & (0xffu << (8 - bits))))
		return 0;
	return 1;
}

static void solicit(ptcp_afp *a, ptcp_afp_neigh *n, ptcp_time_t now)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6] = {0};
	if (n->last_req && now - n->last_req < ARP_RETRY_US)
		return;
	n->last_req = now;
	if (n->ip.family == 4) {
		arp_send(a, 1, zero, n->ip.bytes, bcast);
	} else {
		ptcp_addr sn = {.family = 6,
		                .bytes = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff,
		                          n->ip.bytes[13], n->ip.bytes[14], n->ip.bytes[15]}};
		uint8_t mac[6] = {0x33,           0x33, 0xff, n->ip.bytes[13], n->ip.bytes[14],
		                  n->ip.bytes[15]};
		nd_send(a, mac, &sn, 135, 0, &n->ip);
	}
}

static int afp_send(ptcp_link *l, const uint8_t *pkt, size_t len)
{
	ptcp_afp *a = (ptcp_afp *)l;
	ptcp_addr dst, hop;
	ptcp_afp_neigh *n;
	int v4;
	if (len < 20)
		return -EINVAL;
	v4 = (pkt[0] >> 4) == 4;
	memset(&dst, 0, sizeof dst);
	if (v4) {
		dst.family = 4;
		memcpy(dst.bytes, pkt + 16, 4);
		hop = on_link(&a->addr4, a->plen4, &dst) || !a->gw4.family ? dst : a->gw4;
	} else {
		if (len < 40)
			return -EINVAL;
		dst.family = 6;
		memcpy(dst.bytes, pkt + 24, 16);
		hop = on_link(&a->addr6, a->plen6, &dst) || !a->gw6.family ? dst : a->gw6;
	}
	n = neigh_find(a, &hop);
	if (n && n->state == 2)
		return tx_frame(a, n->mac, v4 ? ETH_P_IP : ETH_P_IPV6, pkt, len);
	if (!n)
		n = neigh_new(a, &hop);
	if (n->nq < PTCP_AFP_QLEN && len <= PTCP_AFP_QBYTES) {
		memcpy(n->q[n->nq], pkt, len);
		n->qlen[n->nq++] = (uint16_t)len;
	} else {
		a->stats.unresolved++;
	}
	solicit(a, n, ptcp_stack_now());
	return 0;
}

/* ---- RX ring ------------------------------------------------------------- */
static void rx_frame(ptcp_afp *a, ptcp_stack *s, const struct tpacket3_hdr *h)
{
	const struct sockaddr_ll *sll =
	    (const struct sockaddr_ll *)(const void *)((const uint8_t *)h +
	                                               TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
	const uint8_t *f = (const uint8_t *)h + h->tp_mac;
	size_t len = h->tp_snaplen;
	uint16_t type;
	unsigned flags = 0;
	if (sll->sll_pkttype == PACKET_OUTGOING)
		return;
	if (h->tp_snaplen < h->tp_len) {
		a->stats.truncated++;
		return;
	}
	if (len < ETH_HLEN_)
		return;
	type = rd16(f + 12);
	/* unicast to us, or broadcast / multicast (the group bit) */
	if (!(f[0] & 1) && memcmp(f, a->mac, 6) != 0) {
		a->stats.not_for_us++;
		return;
	}
	a->link.rx_pkts++;
	if (h->tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID))
		flags |= PTCP_RX_CSUM_OK;
	switch (type) {
	case ETH_P_ARP:
		arp_input(a, f + ETH_HLEN_, len - ETH_HLEN_);
		break;
	case ETH_P_IP:
		ptcp_stack_input(s, f + ETH_HLEN_, len - ETH_HLEN_, flags);
		break;
	case ETH_P_IPV6:
		if (!nd_input(a, f + 6, f + ETH_HLEN_, len - ETH_HLEN_))
			ptcp_stack_input(s, f + ETH_HLEN_, len - ETH_HLEN_, flags);
		break;
	default:
		break;
	}
}

static int afp_recv(ptcp_link *l, ptcp_stack *s, int max)
{
	ptcp_afp *a = (ptcp_afp *)l;
	int n = 0;
	while (n < max) {
		struct tpacket_block_desc *bd =
		    (struct tpacket_block_desc *)(void *)(a->map +
		                                          (size_t)a->rx_cur * a->rx_block_size);
		const uint8_t *p;
		uint32_t num;
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		num = bd->hdr.bh1.num_pkts;
		p = (const uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
		for (uint32_t i = 0; i < num; i++) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)(const void *)p;
			rx_frame(a, s, h);
			p += h->tp_next_offset;
		}
		n += (int)num;
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		a->rx_cur = (a->rx_cur + 1) % a->rx_block_nr;
	}
	/* A full batch tells the caller to come back; n may exceed max by a block. */
	return n > max ? max : n;
}

static void afp_close(ptcp_link *l)
{
	ptcp_afp *a = (ptcp_afp *)l;
	kick(a);
	if (a->map)
		munmap(a->map, a->maplen);
	a->map = NULL;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void ptcp_afp_set_addr(ptcp_afp *a, const ptcp_addr *addr, unsigned plen, const ptcp_addr *gw)
{
	if (addr->family == 4) {
		a->addr4 = *addr;
		a->plen4 = plen > 32 ? 32 : plen;
		if (gw && gw->family == 4)
			a->gw4 = *gw;
	} else if (addr->family == 6) {
		a->addr6 = *addr;
		a->plen6 = plen > 128 ? 128 : plen;
		if (gw && gw->family == 6)
			a->gw6 = *gw;
	}
}

int ptcp_afp_open(ptcp_afp *a, const char *ifname)
{
	struct ifreq ifr;
	struct sockaddr_ll sll;
	struct tpacket_req3 rx, tx;
	int fd, v = TPACKET_V3, one = 1, err;
	memset(a, 0, sizeof(*a));
	a->link.fd = -1;
	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	memcpy(a->ifname, ifname, strlen(ifname));
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	a->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(a->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		goto fail;
	a->link.mtu = (unsigned)ifr.ifr_mtu;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
		goto fail;
	/* a malformed TX frame is skipped instead of stalling the ring */
	if (setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0)
		goto fail;
#ifdef PACKET_IGNORE_OUTGOING
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
	memset(&rx, 0, sizeof rx);
	rx.tp_block_size = RX_BLOCK_SIZE;
	rx.tp_block_nr = RX_BLOCK_NR;
	rx.tp_frame_size = RX_FRAME_SIZE;
	rx.tp_frame_nr = RX_BLOCK_SIZE / RX_FRAME_SIZE * RX_BLOCK_NR;
	rx.tp_retire_blk_tov = RX_TOV_MS;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rx, sizeof rx) < 0)
		goto fail;
	a->tx_frame_size = 2048;
	while (a->tx_frame_size < a->link.mtu + ETH_HLEN_ + TX_DATA_OFF)
		a->tx_frame_size *= 2;
	memset(&tx, 0, sizeof tx);
	tx.tp_block_size = TX_BLOCK_SIZE > a->tx_frame_size ? TX_BLOCK_SIZE : a->tx_frame_size;
	tx.tp_block_nr = TX_BLOCK_NR;
	tx.tp_frame_size = a->tx_frame_size;
	tx.tp_frame_nr = tx.tp_block_size / a->tx_frame_size * TX_BLOCK_NR;
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &tx, sizeof tx) < 0)
		goto fail;
	a->rx_block_size = rx.tp_block_size;
	a->rx_block_nr = rx.tp_block_nr;
	a->tx_frame_nr = tx.tp_frame_nr;
	a->maplen =
	    (size_t)rx.tp_block_size * rx.tp_block_nr + (size_t)tx.tp_block_size * tx.tp_block_nr;
	a->map = mmap(NULL, a->maplen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
	if (a->map == MAP_FAILED)
		a->map = mmap(NULL, a->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		goto fail;
	}
	a->tx = a->map + (size_t)rx.tp_block_size * rx.tp_block_nr;
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = a->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
		goto fail;
	a->link.kind = "afpacket";
	a->link.fd = fd;
	a->link.recv = afp_recv;
	a->link.send = afp_send;
	a->link.flush = afp_flush;
	a->link.close = afp_close;
	return 0;
fail:
	err = -errno;
	if (a->map)
		munmap(a->map, a->maplen);
	a->map = NULL;
	close(fd);
	return err;
}
