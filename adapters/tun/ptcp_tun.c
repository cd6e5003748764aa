/*
 * ptcp_tun: TUN link (see ptcp_tun.h).
 */
#define _GNU_SOURCE
#include "ptcp_tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int tun_recv(ptcp_link *l, ptcp_stack *s, int max)
{
	ptcp_tun *t = (ptcp_tun *)l;
	int n = 0;
	while (n < max) {
		ssize_t r = read(l->fd, t->buf, sizeof t->buf);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (r == 0)
			break;
		l->rx_pkts++;
		n++;
		ptcp_stack_input(s, t->buf, (size_t)r, 0);
	}
	return n;
}

static int tun_send(ptcp_link *l, const uint8_t *pkt, size_t len)
{
	ssize_t r = write(l->fd, pkt, len);
	if (r < 0) {
		l->tx_drops++;
		return -errno;
	}
	l->tx_pkts++;
	return 0;
}

static void tun_close(ptcp_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int ptcp_tun_open(ptcp_tun *t, const char *name)
{
	struct ifreq ifr;
	int fd, sk, err;
	memset(t, 0, sizeof(*t));
	t->link.fd = -1;
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = 0;
	t->link.kind = "tun";
	t->link.fd = fd;
	t->link.mtu = 1500;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk >= 0) {
		memset(&ifr, 0, sizeof ifr);
		memcpy(ifr.ifr_name, t->name, strlen(t->name));
		if (ioctl(sk, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 576)
			t->link.mtu = (unsigned)ifr.ifr_mtu;
		/* Our attach gives the device its carrier, but the kernel starts its
		 * transmit queue later (link watch, up to a second): until then it
		 * drops what it sends us, e.g. the SYN-ACK to our first SYN.  If the
		 * device is up, wait until it runs. */
		for (int i = 0; i < 200; i++) {
			struct timespec ms10 = {0, 10000000};
			if (ioctl(sk, SIOCGIFFLAGS, &ifr) != 0 || !(ifr.ifr_flags & IFF_UP) ||
			    (ifr.ifr_flags & IFF_RUNNING))
				break;
			nanosleep(&ms10, NULL);
		}
		close(sk);
	}
	t->link.recv = tun_recv;
	t->link.send = tun_send;
	t->link.flush = NULL;
	t->link.close = tun_close;
	return 0;
}
