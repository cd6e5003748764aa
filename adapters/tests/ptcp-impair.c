/*
 * ptcp-impair: a two-port Ethernet bridge that loses, reorders and
 * duplicates frames, for kernels without sch_netem.
 *
 *   ptcp-impair --a IFACE --b IFACE [--loss PCT] [--reorder PCT] [--dup PCT]
 *               [--seed N]
 *
 * Every frame received on one interface (not our own outgoing ones) is sent
 * out of the other, unless it is lost (--loss), and twice with --dup.  A
 * reordered frame (--reorder) is held back and sent after the next frame in
 * the same direction, or after 1 ms when none comes.  Both directions are
 * impaired.  Runs until SIGINT/SIGTERM and prints its counters.  Run it in a
 * namespace of its own between two veth pairs whose middle ends have no IP
 * address.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 65536

typedef struct port {
	const char *name;
	int fd, ifindex;
	uint8_t held[FRAME];
	ssize_t held_len; /* a frame held back for reordering, going out of this port */
	struct timespec held_at;
	uint64_t in, out, lost, dup, reordered;
} port;

static volatile sig_atomic_t quit;
static uint64_t rng;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int open_port(port *p)
{
	struct sockaddr_ll sll;
	int one = 1;
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (p->fd < 0)
		return -1;
	p->ifindex = (int)if_nametoindex(p->name);
	if (!p->ifindex)
		return -1;
#ifdef PACKET_IGNORE_OUTGOING
	setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
	(void)one;
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = p->ifindex;
	return bind(p->fd, (struct sockaddr *)&sll, sizeof sll);
}

static void put(port *to, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = to->ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	if (sendto(to->fd, f, len, 0, (struct sockaddr *)&sll, sizeof sll) == (ssize_t)len)
		to->out++;
}

static double ms_since(const struct timespec *t)
{
	struct timespec n;
	clock_gettime(CLOCK_MONOTONIC, &n);
	return (double)(n.tv_sec - t->tv_sec) * 1e3 + (double)(n.tv_nsec - t->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	port P[2];
	double loss = 0, reorder = 0, dup = 0;
	static uint8_t f[FRAME];
	struct sigaction sa;
	memset(P, 0, sizeof P);
	rng = 0x2545f4914f6cdd1dull;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "--a"))
			P[0].name = v;
		else if (!strcmp(o, "--b"))
			P[1].name = v;
		else if (!strcmp(o, "--loss"))
			loss = strtod(v, NULL) / 100;
		else if (!strcmp(o, "--reorder"))
			reorder = strtod(v, NULL) / 100;
		else if (!strcmp(o, "--dup"))
			dup = strtod(v, NULL) / 100;
		else if (!strcmp(o, "--seed"))
			rng = strtoull(v, NULL, 0) | 1;
		else {
			fprintf(stderr, "ptcp-impair: unknown option %s\n", o);
			return 2;
		}
	}
	if (!P[0].name || !P[1].name) {
		fprintf(stderr,
		        "usage: ptcp-impair --a IFACE --b IFACE [--loss PCT] [--reorder PCT] "
		        "[--dup PCT] [--seed N]\n");
		return 2;
	}
	for (int i = 0; i < 2; i++)
		if (open_port(&P[i]) != 0) {
			fprintf(stderr, "ptcp-impair: %s: %s\n", P[i].name, strerror(errno));
			return 1;
		}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!quit) {
		struct pollfd pf[2] = {{P[0].fd, POLLIN, 0}, {P[1].fd, POLLIN, 0}};
		int held = P[0].held_len > 0 || P[1].held_len > 0;
		int n = poll(pf, 2, held ? 1 : 200);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			port *from = &P[i], *to = &P[1 - i];
			for (int burst = 0; burst < 64 && (pf[i].revents & POLLIN); burst++) {
				struct sockaddr_ll sll;
				socklen_t sl = sizeof sll;
				ssize_t len = recvfrom(from->fd, f, sizeof f, MSG_DONTWAIT,
				                       (struct sockaddr *)&sll, &sl);
				if (len <= 0)
					break;
				if (sll.sll_pkttype == PACKET_OUTGOING)
					continue;
				from->in++;
				if (uniform() < loss) {
					from->lost++;
					continue;
				}
				if (to->held_len <= 0 && uniform() < reorder) {
					memcpy(to->held, f, (size_t)len);
					to->held_len = len;
					clock_gettime(CLOCK_MONOTONIC, &to->held_at);
					from->reordered++;
					continue;
				}
				put(to, f, (size_t)len);
				if (uniform() < dup) {
					put(to, f, (size_t)len);
					from->dup++;
				}
				if (to->held_len > 0) { /* the held frame goes after this one */
					put(to, to->held, (size_t)to->held_len);
					to->held_len = 0;
				}
			}
		}
		for (int i = 0; i < 2; i++)
			if (P[i].held_len > 0 && ms_since(&P[i].held_at) >= 1.0) {
				put(&P[i], P[i].held, (size_t)P[i].held_len);
				P[i].held_len = 0;
			}
	}
	for (int i = 0; i < 2; i++)
		fprintf(stderr,
		        "ptcp-impair: from %s: %llu frames, lost %llu, duplicated %llu, reordered "
		        "%llu\n",
		        P[i].name, (unsigned long long)P[i].in, (unsigned long long)P[i].lost,
		        (unsigned long long)P[i].dup, (unsigned long long)P[i].reordered);
	return 0;
}
