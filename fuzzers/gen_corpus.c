/*
 * ptcp-gen-corpus OUTDIR: writes the seed corpus of fuzz_wire into
 * OUTDIR/fuzz_wire/ (the checked-in corpus/ is this program's output).
 * Seeds are packets a real stack meets, each option layout once, and one
 * packet per malformation class.  It also writes the fuzz_sim seeds with
 * core flags (OUTDIR/fuzz_sim/flags-*: PRR, Linux's profile, DeliveredData,
 * no header prediction, under loss and reordering; the layout is
 * fuzz_sim.c's); corpus/fuzz_sim/seed00..11 are older, hand-made.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ptcp/ptcp.h"

static const char *outdir;
static int failures;

static void put(const char *target, const char *name, const uint8_t *b, size_t n)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		perror(path);
		failures++;
	}
	if (f)
		fclose(f);
}

static ptcp_ip ip4(void)
{
	ptcp_ip ip;
	memset(&ip, 0, sizeof(ip));
	ptcp_addr_v4(&ip.src, 192, 0, 2, 1);
	ptcp_addr_v4(&ip.dst, 192, 0, 2, 2);
	ip.ttl = 64;
	ip.df = 1;
	ip.id = 0x1234;
	return ip;
}

static ptcp_ip ip6(void)
{
	ptcp_ip ip;
	memset(&ip, 0, sizeof(ip));
	ip.src.family = ip.dst.family = 6;
	ip.src.bytes[0] = ip.dst.bytes[0] = 0x20;
	ip.src.bytes[1] = ip.dst.bytes[1] = 0x01;
	ip.src.bytes[2] = ip.dst.bytes[2] = 0x0d;
	ip.src.bytes[3] = ip.dst.bytes[3] = 0xb8;
	ip.src.bytes[15] = 1;
	ip.dst.bytes[15] = 2;
	ip.ttl = 64;
	ip.flowlabel = 0x12345;
	return ip;
}

static ptcp_seg seg0(uint8_t flags)
{
	ptcp_seg s;
	memset(&s, 0, sizeof(s));
	s.sport = 40000;
	s.dport = 80;
	s.seq = 0x01020304;
	s.ack = flags & PTCP_ACK ? 0x0a0b0c0d : 0;
	s.flags = flags;
	s.wnd = 65535;
	return s;
}

static size_t emit(uint8_t *b, const ptcp_ip *ip, const ptcp_seg *s)
{
	int n = ptcp_wire_build_packet(b, 2048, ip, s);
	if (n < 0) {
		fprintf(stderr, "build failed: %s\n", ptcp_strerror(n));
		failures++;
		return 0;
	}
	return (size_t)n;
}

/* Recompute the TCP checksum of an IPv4 packet after patching it. */
static void fix_tcp_csum(uint8_t *b, size_t n, const ptcp_ip *ip)
{
	uint32_t sum;
	uint16_t c;
	b[20 + 16] = b[20 + 17] = 0;
	sum = ptcp_csum_pseudo(&ip->src, &ip->dst, 6, (uint32_t)(n - 20));
	sum = ptcp_csum_add(sum, b + 20, n - 20);
	c = ptcp_csum_fold(sum);
	b[20 + 16] = (uint8_t)(c >> 8);
	b[20 + 17] = (uint8_t)c;
}

/* A fuzz_sim input (layout: fuzz_sim.c): app, IPv6, loss / reorder (in 0.25 %),
 * the flags to flip from ptcp_config_default()'s, the profile byte. */
static void sim_seed(const char *name, unsigned seed, unsigned app, unsigned v6, unsigned loss,
                     unsigned reorder, uint32_t flip, unsigned prof)
{
	uint8_t b[35];
	size_t k = 0;
	for (int i = 3; i >= 0; i--)
		b[k++] = (uint8_t)(seed >> (8 * i));
	b[k++] = (uint8_t)app;
	b[k++] = 0;              /* 1 connection */
	b[k++] = 0, b[k++] = 40; /* 42 KiB */
	b[k++] = 0, b[k++] = 30; /* sndbuf 32 KiB */
	b[k++] = 0, b[k++] = 62; /* rcvbuf 64 KiB */
	b[k++] = (uint8_t)v6;
	for (int l = 0; l < 2; l++) {
		b[k++] = (uint8_t)loss;
		b[k++] = 0; /* dup */
		b[k++] = (uint8_t)reorder;
		b[k++] = 0;  /* corrupt */
		b[k++] = 20; /* 2.1 ms */
		b[k++] = 5;  /* jitter 0.5 ms */
		b[k++] = 10; /* reorder delay 2 ms */
		b[k++] = 0;  /* no MTU */
	}
	b[k++] = 19; /* heal after 1 s */
	for (int i = 3; i >= 0; i--)
		b[k++] = (uint8_t)(flip >> (8 * i));
	b[k++] = (uint8_t)prof;
	put("fuzz_sim", name, b, k);
}

int main(int argc, char **argv)
{
	static const uint8_t payload[1460] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t b[2048];
	size_t n;
	ptcp_ip v4 = ip4(), v6 = ip6();
	ptcp_seg s;
	if (argc != 2) {
		fprintf(stderr, "usage: ptcp-gen-corpus OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);

	/* fuzz_sim: SACK recovery with PRR (RFC 6937 and Linux's), DeliveredData
	 * without SACK, Linux's flags and abc/wscale, no header prediction */
	{
		ptcp_config d, lx;
		ptcp_config_default(&d);
		ptcp_config_linux(&lx);
		sim_seed("flags-prr-loss", 1, 0, 0, 24, 0, PTCP_CFG_PRR, 0);
		sim_seed("flags-prr-linux-loss-v6", 2, 0, 1, 24, 8,
		         PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX, 0);
		sim_seed("flags-delivered-nosack", 3, 0, 0, 16, 8,
		         PTCP_CFG_DELIVERED | PTCP_CFG_PRR | PTCP_CFG_SACK, 0);
		sim_seed("flags-linux-profile", 4, 0, 0, 20, 12, d.flags ^ lx.flags, 3);
		sim_seed("flags-linux-profile-v6-app1", 5, 1, 1, 12, 12, d.flags ^ lx.flags, 3);
		sim_seed("flags-no-fastpath-norack", 6, 0, 0, 12, 16,
		         PTCP_CFG_NO_FASTPATH | PTCP_CFG_RACK | PTCP_CFG_TLP, 0);
	}

	/* A Linux SYN: mss, sackOK, TS, nop, wscale. */
	s = seg0(PTCP_SYN);
	s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
	s.opts.mss = 1460;
	s.opts.ts_val = 100;
	s.opts.wscale = 7;
	put("fuzz_wire", "syn-linux-v4", b, emit(b, &v4, &s));
	put("fuzz_wire", "syn-linux-v6", b, emit(b, &v6, &s));
	s.flags |= PTCP_ACK;
	s.ack = 0x0a0b0c0d;
	s.opts.ts_ecr = 99;
	put("fuzz_wire", "synack-v4", b, emit(b, &v4, &s));
	/* data with timestamps, and with SACK blocks */
	s = seg0(PTCP_ACK | PTCP_PSH);
	s.opts.present = PTCP_OPT_TS;
	s.opts.ts_val = 5000;
	s.opts.ts_ecr = 4000;
	s.payload = payload;
	s.payload_len = 1448;
	put("fuzz_wire", "data-ts-v4", b, emit(b, &v4, &s));
	put("fuzz_wire", "data-ts-v6", b, emit(b, &v6, &s));
	s = seg0(PTCP_ACK);
	s.opts.present = PTCP_OPT_TS | PTCP_OPT_SACK;
	s.opts.sack_count = 3;
	for (int i = 0; i < 3; i++) {
		s.opts.sack[i].left = 1000u * (unsigned)(i + 1);
		s.opts.sack[i].right = 1000u * (unsigned)(i + 1) + 500;
	}
	put("fuzz_wire", "ack-sack3-ts", b, emit(b, &v4, &s));
	s.opts.present = PTCP_OPT_SACK;
	s.opts.sack_count = 4;
	s.opts.sack[3].left = 9000;
	s.opts.sack[3].right = 9100;
	put("fuzz_wire", "ack-sack4", b, emit(b, &v4, &s));
	/* Fast Open: cookie request, and cookie with data */
	s = seg0(PTCP_SYN);
	s.opts.present = PTCP_OPT_MSS | PTCP_OPT_TFO;
	s.opts.mss = 1460;
	put("fuzz_wire", "syn-tfo-request", b, emit(b, &v4, &s));
	s.opts.tfo_len = 8;
	memcpy(s.opts.tfo_cookie, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	s.payload = payload;
	s.payload_len = 100;
	put("fuzz_wire", "syn-tfo-cookie-data", b, emit(b, &v4, &s));
	/* control segments */
	s = seg0(PTCP_FIN | PTCP_ACK);
	put("fuzz_wire", "fin", b, emit(b, &v4, &s));
	s = seg0(PTCP_RST);
	s.wnd = 0;
	put("fuzz_wire", "rst", b, emit(b, &v4, &s));
	s = seg0(PTCP_ACK | PTCP_URG | PTCP_ECE | PTCP_CWR);
	s.urp = 3;
	s.payload = payload;
	s.payload_len = 10;
	put("fuzz_wire", "urg-ecn", b, emit(b, &v4, &s));

	/* Malformed, one per class (built from a good SYN, then broken). */
	s = seg0(PTCP_SYN);
	s.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
	s.opts.mss = 1460;
	s.opts.wscale = 7;
	n = emit(b, &v4, &s);
	{
		uint8_t m[2048];
		memcpy(m, b, n);
		m[20 + 12] = 0x40; /* data offset 4 */
		put("fuzz_wire", "bad-data-offset", m, n);
		memcpy(m, b, n);
		m[20 + 20 + 1] = 0; /* first option (MSS) length 0 */
		put("fuzz_wire", "opt-len-0", m, n);
		memcpy(m, b, n);
		m[20 + 20 + 1] = 1;
		put("fuzz_wire", "opt-len-1", m, n);
		memcpy(m, b, n);
		m[20 + 20 + 1] = 60; /* past the header */
		put("fuzz_wire", "opt-len-past", m, n);
		memcpy(m, b, n);
		m[20 + 20 + 1] = 6; /* MSS of the wrong length */
		put("fuzz_wire", "opt-wrong-len", m, n);
		memcpy(m, b, n);
		m[20 + 16] ^= 0xff; /* TCP checksum */
		put("fuzz_wire", "bad-csum", m, n);
		put("fuzz_wire", "truncated", b, n - 10);
		memcpy(m, b, n);
		m[6] |= 0x20; /* IPv4 more-fragments */
		m[10] = m[11] = 0;
		put("fuzz_wire", "ipv4-fragment", m, n);
		memcpy(m, b, n);
		m[0] = 0x75;
		put("fuzz_wire", "ip-version-7", m, n);
		memcpy(m, b, n);
		m[9] = 17; /* UDP */
		put("fuzz_wire", "not-tcp", m, n);
		/* a duplicate MSS: MSS then four NOPs patched into a second MSS */
		s.opts.present = PTCP_OPT_MSS;
		s.opts.nitems = 5;
		s.opts.items[0].kind = PTCP_OPTKIND_MSS;
		for (int i = 1; i < 5; i++)
			s.opts.items[i].kind = PTCP_OPTKIND_NOP;
		n = emit(b, &v4, &s);
		memcpy(b + 20 + 24, "\x02\x04\x05\xb4", 4);
		fix_tcp_csum(b, n, &v4);
		put("fuzz_wire", "opt-dup-mss", b, n);
	}
	/* An unknown option kind, skipped by length. */
	s = seg0(PTCP_ACK);
	s.opts.nitems = 2;
	s.opts.items[0].kind = 99;
	s.opts.items[0].off = 0;
	s.opts.items[0].len = 6;
	s.opts.items[1].kind = PTCP_OPTKIND_EOL;
	s.opts.unknown_len = 6;
	memcpy(s.opts.unknown, "\x63\x06\xde\xad\xbe\xef", 6);
	s.opts.pad_len = 1;
	put("fuzz_wire", "opt-unknown-eol", b, emit(b, &v4, &s));
	if (failures)
		fprintf(stderr, "ptcp-gen-corpus: %d seeds failed\n", failures);
	return failures ? 1 : 0;
}
