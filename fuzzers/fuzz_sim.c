/*
 * fuzz_sim: the input bytes choose a small deterministic simulation (seed,
 * application model, connection count, per-link loss / duplication /
 * reordering / corruption, delay and jitter, MTU, buffer sizes) with a heal
 * time after which the faults stop, then the cores' configuration: a u32
 * (big-endian) XOR ptcp_config_default()'s flags, masked with SIM_FLAGS (all
 * PTCP_CFG_* but CORK, which the simulated applications never clear), and a
 * byte (bit 0: abc 0, bit 1: wscale 8, as ptcp_config_linux()); inputs
 * that end earlier keep the defaults.  Oracle: ptcp_sim_run() passes - stream
 * integrity, the invariant checker and liveness once the faults stop (all
 * checked inside the simulator); otherwise res.why is printed and we abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* The core flags an input may flip (CORK: held segments would wait for an uncork no
 * simulated application makes). */
#define SIM_FLAGS                                                                                  \
	(PTCP_CFG_TIMESTAMPS | PTCP_CFG_WSCALE | PTCP_CFG_SACK | PTCP_CFG_NODELAY |                \
	 PTCP_CFG_SS_IDLE | PTCP_CFG_ECN | PTCP_CFG_LIMITED_TX | PTCP_CFG_TLP | PTCP_CFG_RACK |    \
	 PTCP_CFG_RST_KEEP_DATA | PTCP_CFG_PRR | PTCP_CFG_PRR_LINUX | PTCP_CFG_DELIVERED |         \
	 PTCP_CFG_NO_FASTPATH | PTCP_CFG_ACK_UNSENT_SILENT | PTCP_CFG_CLOSED_DATA_RST_REPLY |      \
	 PTCP_CFG_ZWP_NO_DATA | PTCP_CFG_ABORT_RST_ACK | PTCP_CFG_ICMP_SYNRECV_HARD |              \
	 PTCP_CFG_RTO_LINUX | PTCP_CFG_PUSH_LINUX | PTCP_CFG_RCV_CLAMP | PTCP_CFG_SACK_WHOLE_SEG | \
	 PTCP_CFG_REO_TIMER_LINUX | PTCP_CFG_CWND_LIMITED | PTCP_CFG_MTU_PROBE |                   \
	 PTCP_CFG_NAGLE_MINSHALL)

typedef struct reader {
	const uint8_t *p;
	size_t n;
} reader;

static unsigned byte(reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static unsigned u16(reader *r)
{
	unsigned hi = byte(r);
	return (hi << 8) | byte(r);
}

static void link_from(reader *r, ptcp_sim_link *l)
{
	/* percentages in steps of 0.25, capped so that some data gets through */
	l->loss = (byte(r) % 81) / 4.0;                      /* 0 .. 20 % */
	l->dup = (byte(r) % 41) / 4.0;                       /* 0 .. 10 % */
	l->reorder = (byte(r) % 81) / 4.0;                   /* 0 .. 20 % */
	l->corrupt = (byte(r) % 41) / 4.0;                   /* 0 .. 10 % */
	l->delay = 100 + (ptcp_time_t)(byte(r) % 200) * 100; /* 0.1 .. 20 ms */
	l->jitter = (ptcp_time_t)(byte(r) % 100) * 100;      /* 0 .. 10 ms */
	l->reorder_delay = (ptcp_time_t)(byte(r) % 50) * 200;
	unsigned m = byte(r);
	l->mtu = m < 128 ? 0 : 576 + (m - 128) * 8; /* none, or 576 .. 1592 */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader r = {data, size};
	ptcp_sim_config cfg;
	ptcp_sim_result res;

	ptcp_sim_config_default(&cfg);
	cfg.seed = 0;
	for (int i = 0; i < 4; i++)
		cfg.seed = (cfg.seed << 8) | byte(&r);
	cfg.app = (ptcp_sim_app)(byte(&r) % PTCP_SIM_APP_COUNT);
	cfg.conns = 1 + byte(&r) % 3;
	cfg.bytes = 2048 + (uint64_t)(u16(&r) % 63) * 1024; /* 2 .. 64 KiB */
	cfg.sndbuf = 2048 + (uint32_t)(u16(&r) % 63) * 1024;
	cfg.rcvbuf = 2048 + (uint32_t)(u16(&r) % 63) * 1024;
	cfg.ipv6 = byte(&r) & 1;
	link_from(&r, &cfg.link[0]);
	link_from(&r, &cfg.link[1]);
	/* IPv6 links have an MTU of at least 1280 (RFC 8200 section 5) */
	for (int i = 0; i < 2; i++)
		if (cfg.ipv6 && cfg.link[i].mtu && cfg.link[i].mtu < 1280)
			cfg.link[i].mtu = 1280 + (cfg.link[i].mtu - 576) / 2;
	/* faults stop after 0.05 .. 5 s of virtual time; then liveness must hold */
	cfg.heal = 50000 + (ptcp_time_t)(byte(&r) % 100) * 50000;
	/* generous bound after the heal (backed-off RTOs are capped at 60 s) */
	cfg.max_time = cfg.heal + 600 * (ptcp_time_t)1000000;
	/* the cores' flags and Linux's other two differences */
	uint32_t flip = (uint32_t)u16(&r) << 16;
	flip |= u16(&r);
	cfg.core.flags ^= flip & SIM_FLAGS;
	unsigned prof = byte(&r);
	if (prof & 1)
		cfg.core.abc = 0;
	if (prof & 2)
		cfg.core.wscale = 8;
	/* each core keeps its own loss area: the replay's pcap round trip imports a
	 * crash back into a single-connection script, which cannot say that the
	 * areas were pooled (pools: sim-determinism, fuzz_listener, fuzz_conn) */

	int rc = ptcp_sim_run(&cfg, &res);
	if (rc != 0 || !res.ok) {
		fprintf(stderr, "fuzz_sim: run failed (rc %d): %s\n", rc, res.why);
		abort();
	}
	return 0;
}
