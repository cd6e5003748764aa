/*
 * ptcp-replay: simulator runs (fuzz_sim inputs and ptcp-sim command lines)
 * recorded through the simulator's packet observer.
 *
 * IMPLEMENTATION NOTES
 * The build compiles the fuzz_sim target (fuzzers/fuzz_sim.c) and the
 * ptcp-sim front end (harness/sim/ptcp_sim_main.c) with ptcp_sim_run renamed
 * ptcp_replay_sim_run_hook: their own code decodes the input and applies
 * their own oracle, and the hook below runs the real simulation with an
 * observer that reports to the runner's sink (replay_int.h).
 *
 * What is recorded: a capture at host A (the clients, 10.0.0.1 / fd00::1),
 * as tcpdump there would see it: every packet a client core sent (at its
 * send time, "emitted", the core's end in the pcap) and every packet
 * delivered to host A (at its arrival time, as it arrived, "injected"),
 * ICMP errors included.  Every packet the network dropped, in either
 * direction, is recorded as dropped (it goes to the --drops pcap) with the
 * reason as its label; a dropped packet of host A's is therefore in both
 * pcaps (sent, then dropped).  The steps are every core's ptcp_step
 * (both hosts, "c0" / "s0" = connection 0's client / server) with the
 * core's state after it; drops get a step of their own ("network: ...").
 * The record's connection is connection 0; with several connections the
 * sequence numbers stay absolute and the SVG draws connection 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"
#include "sim.h"

/* The renamed ptcp_sim_run the fuzz_sim target and ptcp-sim call. */
int ptcp_replay_sim_run_hook(const ptcp_sim_config *cfg, ptcp_sim_result *res);
/* ptcp-sim's main, renamed by the build. */
int ptcp_replay_sim_main(int argc, char **argv);

#define HELD_MAX 64

typedef struct held_drop {
	uint64_t t;
	ptcp_replay_dir dir;
	uint32_t len;
	uint8_t *data;
	char label[64];
} held_drop;

typedef struct simrec {
	ptcp_replay_sink *k;
	unsigned conns;
	uint64_t steps;
	/* connection 0 */
	int have_conn;
	ptcp_addr a, b;
	uint16_t aport, bport;
	uint32_t isn[2];
	int have_isn[2];
	/* drops at send time wait for the sender's step */
	held_drop held[HELD_MAX];
	unsigned nheld;
} simrec;

static const char *drop_label(const ptcp_sim_pkt_note *n, char *buf, size_t cap)
{
	switch (n->drop) {
	case PTCP_SIM_DROP_LOSS:
		return "lost";
	case PTCP_SIM_DROP_QUEUE:
		return "queue full";
	case PTCP_SIM_DROP_MTU:
		return "over the link MTU";
	case PTCP_SIM_DROP_CODEC:
		snprintf(buf, cap, "%scodec: %s",
		         (n->flags & PTCP_SIM_PKT_CORRUPTED) ? "corrupted, " : "",
		         ptcp_strerror(n->codec_err));
		return buf;
	case PTCP_SIM_DROP_NOPORT:
		return "no core on the port";
	default:
		return "dropped";
	}
}

static void flags_label(uint8_t f, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s", (f & PTCP_SIM_PKT_DUPLICATE) ? "duplicate" : "",
	         (f & PTCP_SIM_PKT_DUPLICATE) &&
	                 (f & (PTCP_SIM_PKT_REORDERED | PTCP_SIM_PKT_CORRUPTED))
	             ? ", "
	             : "",
	         (f & PTCP_SIM_PKT_REORDERED) ? "reordered" : "",
	         (f & PTCP_SIM_PKT_REORDERED) && (f & PTCP_SIM_PKT_CORRUPTED) ? ", " : "",
	         (f & PTCP_SIM_PKT_CORRUPTED) ? "corrupted (no checksum)" : "");
}

static void flush_held(simrec *r)
{
	for (unsigned i = 0; i < r->nheld; i++) {
		held_drop *h = &r->held[i];
		char what[128];
		snprintf(what, sizeof what, "network: %s %s",
		         h->dir == PTCP_REPLAY_OUT ? "A->B" : "B->A", h->label);
		ptcp_replay_sink_pkt(r->k, h->t, h->dir, h->data, h->len, 1, h->label);
		ptcp_replay_sink_step(r->k, h->t, r->steps, what, NULL);
		free(h->data);
	}
	r->nheld = 0;
}

static void learn(simrec *r, const ptcp_sim_pkt_note *n)
{
	ptcp_ip ip;
	ptcp_seg g;
	if (n->conn != 0 || ptcp_wire_parse_packet(n->data, n->len, &ip, &g) != 0)
		return;
	if (!r->have_conn && n->from == 0) {
		r->a = ip.src;
		r->b = ip.dst;
		r->aport = g.sport;
		r->bport = g.dport;
		r->have_conn = 1;
	}
	if ((g.flags & PTCP_SYN) && !r->have_isn[n->from]) {
		r->isn[n->from] = g.seq;
		r->have_isn[n->from] = 1;
	}
}

static void on_pkt(void *arg, const ptcp_sim_pkt_note *n)
{
	simrec *r = arg;
	char lab[64] = "", buf[64];
	ptcp_replay_dir dir = n->from == 0 ? PTCP_REPLAY_OUT : PTCP_REPLAY_IN;
	switch (n->verdict) {
	case PTCP_SIM_SENT:
		learn(r, n);
		if (n->from == 0)
			ptcp_replay_sink_pkt(r->k, n->t, PTCP_REPLAY_OUT, n->data, n->len, 0, NULL);
		return;
	case PTCP_SIM_DELIVERED:
		if (n->from == 1) {
			flags_label(n->flags, lab, sizeof lab);
			ptcp_replay_sink_pkt(r->k, n->t, PTCP_REPLAY_IN, n->data, n->len, 0, lab);
		}
		return;
	case PTCP_SIM_ICMP:
		if (n->from == 0) {
			/* the error about a packet host A sent, from B's address */
			uint8_t pkt[128];
			ptcp_ip ip;
			ptcp_seg g;
			if (ptcp_wire_parse_packet(n->data, n->len, &ip, &g) == 0) {
				int len = ptcp_replay_icmp_build(
				    pkt, sizeof pkt, &ip.src, g.sport, &ip.dst, g.dport,
				    PTCP_ICMP_FRAG_NEEDED, n->mtu, n->seq);
				if (len > 0)
					ptcp_replay_sink_pkt(r->k, n->t, PTCP_REPLAY_IN, pkt,
					                     (size_t)len, 0, "ICMP from the link");
			}
		}
		return;
	case PTCP_SIM_DROPPED: {
		const char *l = drop_label(n, buf, sizeof buf);
		char fl[64];
		size_t ll;
		flags_label(n->flags, fl, sizeof fl);
		/* "reason (flags)", cut to the label's size */
		ll = strlen(l) < sizeof lab - 1 ? strlen(l) : sizeof lab - 1;
		memcpy(lab, l, ll);
		lab[ll] = 0;
		if (fl[0] && ll + strlen(fl) + 4 < sizeof lab) {
			memcpy(lab + ll, " (", 2);
			memcpy(lab + ll + 2, fl, strlen(fl));
			memcpy(lab + ll + 2 + strlen(fl), ")", 2);
		}
		if (n->drop == PTCP_SIM_DROP_CODEC || n->drop == PTCP_SIM_DROP_NOPORT) {
			/* at the arrival: no step follows */
			char what[128];
			snprintf(what, sizeof what, "network: %s %s", n->from ? "B->A" : "A->B",
			         lab);
			ptcp_replay_sink_pkt(r->k, n->t, dir, n->data, n->len, 1, lab);
			ptcp_replay_sink_step(r->k, n->t, r->steps, what, NULL);
			return;
		}
		if (r->nheld == HELD_MAX)
			flush_held(r);
		held_drop *h = &r->held[r->nheld];
		h->data = malloc(n->len ? n->len : 1);
		if (!h->data)
			return;
		memcpy(h->data, n->data, n->len);
		h->len = (uint32_t)n->len;
		h->t = n->t;
		h->dir = dir;
		snprintf(h->label, sizeof h->label, "%s", lab);
		r->nheld++;
		return;
	}
	}
}

static void on_step(void *arg, const ptcp_sim_step_note *n)
{
	simrec *r = arg;
	ptcp_info info;
	char what[128];
	ptcp_replay_sink_crash_point(r->k);
	ptcp_conn_info(n->core, &info);
	if (n->ret < 0)
		snprintf(what, sizeof what, "%c%u %s -> %s", n->side ? 's' : 'c', n->conn,
		         n->input_name, ptcp_strerror(n->ret));
	else if (n->input == PTCP_IN_SEGMENT || n->input == PTCP_IN_TIME ||
	         n->input == PTCP_IN_ICMP)
		snprintf(what, sizeof what, "%c%u %s", n->side ? 's' : 'c', n->conn,
		         n->input == PTCP_IN_TIME ? "time (timer)" : n->input_name);
	else
		snprintf(what, sizeof what, "%c%u %s -> %d", n->side ? 's' : 'c', n->conn,
		         n->input_name, n->ret);
	ptcp_replay_sink_step(r->k, n->t, r->steps++, what, &info);
	flush_held(r);
}

static void on_fail(void *arg, ptcp_time_t t, const char *why)
{
	simrec *r = arg;
	(void)t;
	flush_held(r);
	ptcp_replay_sink_fail(r->k, why);
}

int ptcp_replay_sim_run_hook(const ptcp_sim_config *cfg, ptcp_sim_result *res)
{
	static int recorded;
	ptcp_sim_config c = *cfg;
	simrec *r;
	int rc;
	ptcp_replay_sink *k = ptcp_replay_cur_sink();
	if (!k || recorded) /* one run per replay */
		return ptcp_sim_run(cfg, res);
	recorded = 1;
	r = calloc(1, sizeof *r);
	if (!r)
		return ptcp_sim_run(cfg, res);
	r->k = k;
	r->conns = cfg->conns;
	c.observe.pkt = on_pkt;
	c.observe.step = on_step;
	c.observe.fail = on_fail;
	c.observe.arg = r;
	rc = ptcp_sim_run(&c, res);
	flush_held(r);
	if (r->have_conn) {
		int isn = r->have_isn[0] && r->have_isn[1] && cfg->conns == 1;
		ptcp_replay_sink_conn(k, &r->a, r->aport, &r->b, r->bport, PTCP_SCRIPT_CLIENT,
		                      r->isn[0], r->isn[1], isn, cfg->conns > 1);
	}
	{
		char note[640];
		uint64_t drops = 0;
		for (int d = 0; d < PTCP_SIM_DROP_COUNT; d++)
			drops += res->drops[d];
		snprintf(
		    note, sizeof note,
		    "simulator: seed %llu, %s x%u, %llu bytes per connection (--bytes); %llu "
		    "segments, %llu "
		    "delivered, %llu dropped by the network (%llu lost, %llu queue, %llu mtu, "
		    "%llu codec), %llu duplicated, %llu reordered, %llu corrupted; trace hash "
		    "%016llx; the pcap is host A's capture (clients), --drops the network's drops",
		    (unsigned long long)cfg->seed, ptcp_sim_app_name(cfg->app), cfg->conns,
		    (unsigned long long)cfg->bytes, (unsigned long long)res->segs,
		    (unsigned long long)res->delivered, (unsigned long long)drops,
		    (unsigned long long)res->drops[PTCP_SIM_DROP_LOSS],
		    (unsigned long long)res->drops[PTCP_SIM_DROP_QUEUE],
		    (unsigned long long)res->drops[PTCP_SIM_DROP_MTU],
		    (unsigned long long)res->drops[PTCP_SIM_DROP_CODEC],
		    (unsigned long long)res->dups, (unsigned long long)res->reordered,
		    (unsigned long long)res->corrupted, (unsigned long long)res->hash);
		ptcp_replay_sink_note(k, note);
	}
	free(r);
	return rc;
}

/* ---- ptcp-sim command lines ------------------------------------------------------- */
#define ARGS_MAX 64

/* Split the first command line (comments '#' and blank lines skipped) into argv. */
static int split(const uint8_t *data, size_t len, char *buf, size_t cap, char **argv, int *named)
{
	size_t o = 0, i = 0;
	int argc = 0, in = 0;
	*named = 0;
	argv[argc++] = "ptcp-sim";
	/* skip comment and blank lines */
	while (i < len) {
		size_t e = i;
		while (e < len && data[e] != '\n')
			e++;
		size_t j = i;
		while (j < e && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r'))
			j++;
		if (j < e && data[j] != '#')
			break;
		i = e + 1;
	}
	for (; i < len && data[i] != '\n' && data[i] != '#' && o + 1 < cap; i++) {
		char ch = (char)data[i];
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			if (in) {
				buf[o++] = 0;
				in = 0;
			}
			continue;
		}
		if (!in) {
			if (argc == ARGS_MAX - 1)
				return -1;
			argv[argc++] = buf + o;
			in = 1;
		}
		buf[o++] = ch;
	}
	buf[o] = 0;
	argv[argc] = NULL;
	/* "ptcp-sim --seed 1 ..." or "--seed 1 ..." */
	if (argc > 1 && strstr(argv[1], "ptcp-sim")) {
		*named = 1;
		memmove(argv + 1, argv + 2, sizeof(char *) * (size_t)(argc - 1));
		argc--;
	}
	return argc;
}

int ptcp_replay_is_sim_scenario(const uint8_t *data, size_t len)
{
	char buf[1024], *argv[ARGS_MAX];
	int named;
	int argc =
	    split(data, len < sizeof buf ? len : sizeof buf - 1, buf, sizeof buf, argv, &named);
	return argc > 1 &&
	       (named || strcmp(argv[1], "--seed") == 0 || strncmp(argv[1], "--seed=", 7) == 0);
}

int ptcp_replay_sim_scenario_check(const uint8_t *data, size_t len, char *err, size_t cap)
{
	char buf[1024], *argv[ARGS_MAX];
	int argc, named;
	if (len >= sizeof buf) {
		snprintf(err, cap,
		         "a ptcp-sim scenario is one command line (%zu bytes is too long)", len);
		return -1;
	}
	argc = split(data, len, buf, sizeof buf, argv, &named);
	if (argc <= 1) {
		snprintf(err, cap, "no ptcp-sim options (e.g. \"ptcp-sim --seed 16 --loss 2\")");
		return -1;
	}
	for (int i = 1; i < argc; i++) {
		static const char *const no[] = {"--seeds", "--trace", "--log",
		                                 "--help",  "-h",      "--quiet"};
		for (size_t j = 0; j < sizeof no / sizeof no[0]; j++)
			if (strncmp(argv[i], no[j], strlen(no[j])) == 0 &&
			    (argv[i][strlen(no[j])] == 0 || argv[i][strlen(no[j])] == '=')) {
				snprintf(err, cap,
				         "%s: ptcp-replay replays one run and writes its own "
				         "outputs (--trace, --svg, -o)",
				         no[j]);
				return -1;
			}
	}
	return 0;
}

int ptcp_replay_sim_cmdline(const uint8_t *data, size_t len)
{
	char buf[1024], *argv[ARGS_MAX];
	int argc, named;
	if (len >= sizeof buf)
		return 2;
	argc = split(data, len, buf, sizeof buf, argv, &named);
	if (argc < 1)
		return 2;
	return ptcp_replay_sim_main(argc, argv);
}
