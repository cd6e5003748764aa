/*
 * Shared by the example programs (see ptcp_app.h).
 */
#define _GNU_SOURCE
#include "ptcp_app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

volatile sig_atomic_t ptcp_app_quit;

static void on_signal(int sig)
{
	(void)sig;
	ptcp_app_quit = 1;
}

void ptcp_app_init(ptcp_app *a, const char *prog)
{
	memset(a, 0, sizeof(*a));
	a->prog = prog;
	a->sndbuf = 4u << 20;
	a->rcvbuf = 4u << 20;
	a->conns = 8;
	a->snaplen = 128;
}

size_t ptcp_app_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	return *end ? 0 : (size_t)v;
}

const char *ptcp_app_drops(const ptcp_stats *st, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (int d = 1; d < PTCP_DROP_COUNT && n < len; d++)
		if (st->drops[d])
			n += (size_t)snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
			                      ptcp_drop_name((ptcp_drop)d),
			                      (unsigned long long)st->drops[d]);
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

double ptcp_app_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int parse_addr(ptcp_app *a, const char *v, int gw)
{
	char buf[128];
	char *slash;
	ptcp_addr ad;
	long plen = -1;
	if (strlen(v) >= sizeof buf)
		return -1;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		plen = strtol(slash + 1, NULL, 10);
	}
	if (ptcp_stack_addr_parse(&ad, buf) != 0)
		return -1;
	if (gw) {
		a->gw[ad.family == 6] = ad;
		return 0;
	}
	a->addr[ad.family == 6] = ad;
	a->plen[ad.family == 6] = plen >= 0 ? (unsigned)plen : ad.family == 4 ? 24u : 64u;
	return 0;
}

int ptcp_app_option(ptcp_app *a, int argc, char **argv, int *i)
{
	const char *o = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (!strcmp(o, "-v") || !strcmp(o, "--verbose")) {
		a->verbose++;
		return 1;
	}
	if (!strcmp(o, "--nodelay")) {
		a->nodelay = 1;
		return 1;
	}
	if (!strcmp(o, "--stats")) {
		a->stats = 1;
		return 1;
	}
	if (strcmp(o, "--tun") && strcmp(o, "--afpacket") && strcmp(o, "--addr") &&
	    strcmp(o, "--gw") && strcmp(o, "--mtu") && strcmp(o, "--sndbuf") &&
	    strcmp(o, "--rcvbuf") && strcmp(o, "--conns") && strcmp(o, "--pcap") &&
	    strcmp(o, "--snaplen"))
		return 0;
	if (!v) {
		fprintf(stderr, "%s: %s needs a value\n", a->prog, o);
		return -1;
	}
	(*i)++;
	if (!strcmp(o, "--tun"))
		a->tun = v;
	else if (!strcmp(o, "--afpacket"))
		a->afp = v;
	else if (!strcmp(o, "--addr") || !strcmp(o, "--gw")) {
		if (parse_addr(a, v, o[2] == 'g') != 0) {
			fprintf(stderr, "%s: bad address %s\n", a->prog, v);
			return -1;
		}
	} else if (!strcmp(o, "--mtu"))
		a->mtu = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(o, "--sndbuf"))
		a->sndbuf = ptcp_app_size(v);
	else if (!strcmp(o, "--rcvbuf"))
		a->rcvbuf = ptcp_app_size(v);
	else if (!strcmp(o, "--conns"))
		a->conns = (unsigned)strtoul(v, NULL, 10);
	else if (!strcmp(o, "--pcap"))
		a->pcap = v;
	else if (!strcmp(o, "--snaplen"))
		a->snaplen = (unsigned)strtoul(v, NULL, 10);
	if (!a->sndbuf || !a->rcvbuf || a->sndbuf > (1u << 30) || a->rcvbuf > (1u << 30)) {
		fprintf(stderr, "%s: bad buffer size %s\n", a->prog, v);
		return -1;
	}
	return 1;
}

int ptcp_app_start(ptcp_app *a)
{
	ptcp_config cfg;
	struct sigaction sa;
	int r;
	if (!a->tun == !a->afp) {
		fprintf(stderr, "%s: give exactly one of --tun NAME or --afpacket IFACE\n",
		        a->prog);
		return -1;
	}
	if (!a->addr[0].family && !a->addr[1].family) {
		fprintf(stderr, "%s: give our address with --addr IP\n", a->prog);
		return -1;
	}
	if (!a->conns)
		a->conns = 1;
	a->l = calloc(1, sizeof(*a->l));
	a->stack = calloc(1, sizeof(*a->stack));
	a->table = calloc(a->conns, sizeof(*a->table));
	if (!a->l || !a->stack || !a->table) {
		fprintf(stderr, "%s: out of memory\n", a->prog);
		return -1;
	}
	if (a->tun) {
		r = ptcp_tun_open(&a->l->tun, a->tun);
		if (r < 0) {
			fprintf(stderr, "%s: cannot open TUN device %s: %s%s\n", a->prog, a->tun,
			        strerror(-r),
			        r == -EPERM || r == -EACCES ? " (needs root or CAP_NET_ADMIN)"
			                                    : "");
			return -1;
		}
		a->link = &a->l->tun.link;
	} else {
		r = ptcp_afp_open(&a->l->afp, a->afp);
		if (r < 0) {
			fprintf(stderr, "%s: cannot open AF_PACKET on %s: %s%s\n", a->prog, a->afp,
			        strerror(-r),
			        r == -EPERM || r == -EACCES ? " (needs root or CAP_NET_RAW)" : "");
			return -1;
		}
		for (int f = 0; f < 2; f++)
			if (a->addr[f].family)
				ptcp_afp_set_addr(&a->l->afp, &a->addr[f], a->plen[f], &a->gw[f]);
		a->link = &a->l->afp.link;
	}
	if (a->mtu)
		a->link->mtu = a->mtu;
	a->memlen = (size_t)a->conns * (a->sndbuf + a->rcvbuf);
	a->mem = mmap(NULL, a->memlen, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->mem == MAP_FAILED) {
		a->mem = NULL;
		fprintf(stderr, "%s: cannot map %zu bytes of buffers\n", a->prog, a->memlen);
		return -1;
	}
	ptcp_config_default(&cfg);
	cfg.mss = 0; /* from the link MTU */
	if (a->nodelay)
		cfg.flags |= PTCP_CFG_NODELAY;
	r = ptcp_stack_init(a->stack, a->link, a->table, a->conns, a->mem, a->sndbuf, a->rcvbuf,
	                    &cfg);
	if (r < 0) {
		fprintf(stderr, "%s: stack: %s\n", a->prog, strerror(-r));
		return -1;
	}
	a->stack->verbose = a->verbose;
	if (a->pcap && (r = ptcp_stack_pcap(a->stack, a->pcap, a->snaplen)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", a->prog, a->pcap, strerror(-r));
		return -1;
	}
	for (int f = 0; f < 2; f++)
		if (a->addr[f].family)
			ptcp_stack_set_addr(a->stack, &a->addr[f]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (a->verbose)
		fprintf(stderr, "%s: %s %s mtu %u, %u slots of %zu+%zu bytes\n", a->prog,
		        a->link->kind, a->tun ? a->tun : a->afp, a->link->mtu, a->conns, a->sndbuf,
		        a->rcvbuf);
	return 0;
}

void ptcp_app_stop(ptcp_app *a)
{
	if (a->stats && a->stack && a->link) {
		const ptcp_stack_stats *s = &a->stack->stats;
		fprintf(
		    stderr,
		    "%s: link %s: rx %llu tx %llu tx_drops %llu; ip in %llu (bad %llu, not ours "
		    "%llu, tcp %llu, no conn %llu, icmp %llu: echo %llu, errors %llu); ip out %llu "
		    "(errors %llu); SYNs without a slot %llu; frag-needed %llu (last mtu %u)\n",
		    a->prog, a->link->kind, (unsigned long long)a->link->rx_pkts,
		    (unsigned long long)a->link->tx_pkts, (unsigned long long)a->link->tx_drops,
		    (unsigned long long)s->rx_ip, (unsigned long long)s->rx_bad,
		    (unsigned long long)s->rx_not_ours, (unsigned long long)s->rx_tcp,
		    (unsigned long long)s->rx_no_conn, (unsigned long long)s->rx_icmp,
		    (unsigned long long)s->icmp_echo, (unsigned long long)s->icmp_err,
		    (unsigned long long)s->tx_ip, (unsigned long long)s->tx_err,
		    (unsigned long long)s->syn_no_slot, (unsigned long long)s->icmp_frag,
		    s->icmp_frag_mtu);
		if (a->afp) {
			const ptcp_afp_stats *f = &a->l->afp.stats;
			fprintf(
			    stderr,
			    "%s: afpacket: arp in %llu out %llu, nd in %llu out %llu, not for us "
			    "%llu, truncated %llu, tx ring full %llu, unresolved drops %llu\n",
			    a->prog, (unsigned long long)f->arp_in, (unsigned long long)f->arp_out,
			    (unsigned long long)f->nd_in, (unsigned long long)f->nd_out,
			    (unsigned long long)f->not_for_us, (unsigned long long)f->truncated,
			    (unsigned long long)f->ring_full, (unsigned long long)f->unresolved);
		}
	}
	if (a->stack)
		ptcp_stack_pcap_close(a->stack);
	if (a->link && a->link->close)
		a->link->close(a->link);
	if (a->mem)
		munmap(a->mem, a->memlen);
	free(a->table);
	free(a->stack);
	free(a->l);
	a->mem = NULL;
	a->table = NULL;
	a->stack = NULL;
	a->l = NULL;
	a->link = NULL;
}
