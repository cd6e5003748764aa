/*
 * ptcp-sim: command line front end of the simulator (see sim.h).
 *
 * Exit status: 0 every run passed, 1 a run failed (its seed is printed),
 * 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: ptcp-sim --seed N [options]\n"
	       "  --seed N          the seed of the run (default 1)\n"
	       "  --seeds COUNT     run seeds N .. N+COUNT-1, one summary line each\n"
	       "  --bytes B         bytes per connection (suffix k, m, g = KiB, MiB, GiB; default "
	       "1m)\n"
	       "  --app MODEL       bulk | echo | rr | random (default bulk)\n"
	       "  --conns K         connections sharing the links (default 1)\n"
	       "  --loss PCT        packet loss, percent (decimals allowed)\n"
	       "  --reorder PCT     packets delayed further (reordered), percent\n"
	       "  --dup PCT         packets duplicated, percent\n"
	       "  --corrupt PCT     packets with one byte flipped, percent\n"
	       "  --delay MS        one-way delay in ms (default 10)\n"
	       "  --jitter MS       plus uniform 0..MS per packet\n"
	       "  --reorder-delay MS  extra delay of a reordered packet, at most (default: delay)\n"
	       "  --bw MBIT         bottleneck bandwidth in Mbit/s (default: unlimited)\n"
	       "  --queue PKTS      bottleneck queue, tail drop (with --bw; default unlimited)\n"
	       "  --mtu N           link MTU: larger packets dropped with ICMP frag-needed\n"
	       "  --buf BYTES       send and receive buffer of each core (default 256k)\n"
	       "  --ooo-ranges N    each core keeps at most N out-of-order ranges (a lent pool;\n"
	       "                    default: the loss area's, PTCP_OOO_MAX)\n"
	       "  --loss-areas K    K loss areas shared by all cores, lent between steps\n"
	       "                    (default: each core its own)\n"
	       "  --heal SEC        faults stop at this virtual time\n"
	       "  --max-time SEC    virtual time limit (default 3600)\n"
	       "  --ipv6            IPv6 addresses\n"
	       "  --no-check        do not run the invariant checker\n"
	       "  --trace FILE      write a text trace, one line per event (single seed)\n"
	       "  --quiet           print only failures and the total\n"
	       "  --help            this text\n");
}

static int parse_u64(const char *s, uint64_t *out, int suffix)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (suffix && *end) {
		unsigned shift = 0;
		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return -1;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e12)
		return -1;
	*out = v;
	return 0;
}

/* The options that take a value. */
static int known(const char *name)
{
	static const char *const opts[] = {
	    "--seed",      "--seeds", "--bytes",   "--app",   "--conns",  "--loss",
	    "--reorder",   "--dup",   "--corrupt", "--delay", "--jitter", "--reorder-delay",
	    "--bw",        "--queue", "--mtu",     "--buf",   "--heal",   "--max-time",
	    "--trace",     "--log",   "--mss",     "--cc",    "--delack", "--ooo-ranges",
	    "--loss-areas"};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(name, opts[i]) == 0)
			return 1;
	return 0;
}

static int bad(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "ptcp-sim: %s: bad value '%s' (%s)\n", opt, val ? val : "", what);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	ptcp_sim_config cfg;
	ptcp_sim_result res;
	uint64_t seeds = 0, u;
	const char *trace_path = NULL, *log_path = NULL;
	int quiet = 0;
	double d;
	ptcp_sim_config_default(&cfg);

	for (int i = 1; i < argc; i++) {
		char *opt = argv[i], *val = NULL, *eq;
		char name[64];
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strncmp(opt, "--", 2) != 0) {
			fprintf(stderr, "ptcp-sim: unexpected argument '%s'\n", opt);
			usage(stderr);
			return 2;
		}
		snprintf(name, sizeof(name), "%s", opt);
		eq = strchr(name, '=');
		if (eq) {
			*eq = 0;
			val = opt + (eq - name) + 1;
		}
		/* flags without a value */
		if (strcmp(name, "--ipv6") == 0 || strcmp(name, "--no-check") == 0 ||
		    strcmp(name, "--quiet") == 0 || strcmp(name, "--no-sack") == 0 ||
		    strcmp(name, "--no-ts") == 0 || strcmp(name, "--no-wscale") == 0 ||
		    strcmp(name, "--nodelay") == 0) {
			if (val) {
				fprintf(stderr, "ptcp-sim: %s takes no value\n", name);
				return 2;
			}
			if (strcmp(name, "--ipv6") == 0)
				cfg.ipv6 = 1;
			else if (strcmp(name, "--no-check") == 0)
				cfg.check = 0;
			else if (strcmp(name, "--quiet") == 0)
				quiet = 1;
			else if (strcmp(name, "--no-sack") == 0)
				cfg.core.flags &= ~(uint32_t)PTCP_CFG_SACK;
			else if (strcmp(name, "--no-ts") == 0)
				cfg.core.flags &= ~(uint32_t)PTCP_CFG_TIMESTAMPS;
			else if (strcmp(name, "--no-wscale") == 0)
				cfg.core.flags &= ~(uint32_t)PTCP_CFG_WSCALE;
			else
				cfg.core.flags |= PTCP_CFG_NODELAY;
			continue;
		}
		if (!known(name)) {
			fprintf(stderr, "ptcp-sim: unknown option '%s'\n", name);
			usage(stderr);
			return 2;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ptcp-sim: %s needs a value\n", name);
				usage(stderr);
				return 2;
			}
			val = argv[++i];
		}
		if (strcmp(name, "--seed") == 0) {
			if (parse_u64(val, &cfg.seed, 0))
				return bad(name, val, "an unsigned integer");
		} else if (strcmp(name, "--seeds") == 0) {
			if (parse_u64(val, &seeds, 0) || seeds == 0)
				return bad(name, val, "a count >= 1");
		} else if (strcmp(name, "--bytes") == 0) {
			if (parse_u64(val, &cfg.bytes, 1))
				return bad(name, val, "bytes, optional suffix k/m/g");
		} else if (strcmp(name, "--app") == 0) {
			int found = 0;
			for (int a = 0; a < PTCP_SIM_APP_COUNT; a++)
				if (strcmp(val, ptcp_sim_app_name((ptcp_sim_app)a)) == 0) {
					cfg.app = (ptcp_sim_app)a;
					found = 1;
				}
			if (!found)
				return bad(name, val, "bulk, echo, rr or random");
		} else if (strcmp(name, "--conns") == 0) {
			if (parse_u64(val, &u, 0) || u < 1 || u > 20000)
				return bad(name, val, "1 .. 20000");
			cfg.conns = (unsigned)u;
		} else if (strcmp(name, "--loss") == 0 || strcmp(name, "--reorder") == 0 ||
		           strcmp(name, "--dup") == 0 || strcmp(name, "--corrupt") == 0) {
			if (parse_double(val, &d) || d > 100)
				return bad(name, val, "a percentage 0 .. 100");
			for (int l = 0; l < 2; l++) {
				ptcp_sim_link *k = &cfg.link[l];
				double *p = name[2] == 'l'   ? &k->loss
				            : name[2] == 'r' ? &k->reorder
				            : name[2] == 'd' ? &k->dup
				                             : &k->corrupt;
				*p = d;
			}
		} else if (strcmp(name, "--delay") == 0 || strcmp(name, "--jitter") == 0 ||
		           strcmp(name, "--reorder-delay") == 0) {
			if (parse_double(val, &d) || d > 1e9)
				return bad(name, val, "milliseconds");
			for (int l = 0; l < 2; l++) {
				ptcp_time_t us = (ptcp_time_t)(d * 1000.0 + 0.5);
				if (name[2] == 'd')
					cfg.link[l].delay = us;
				else if (name[2] == 'j')
					cfg.link[l].jitter = us;
				else
					cfg.link[l].reorder_delay = us;
			}
		} else if (strcmp(name, "--bw") == 0) {
			if (parse_double(val, &d) || d > 1e7)
				return bad(name, val, "Mbit/s");
			for (int l = 0; l < 2; l++)
				cfg.link[l].bw = (uint64_t)(d * 1e6 + 0.5);
		} else if (strcmp(name, "--queue") == 0) {
			if (parse_u64(val, &u, 0) || u > 1000000)
				return bad(name, val, "packets");
			for (int l = 0; l < 2; l++)
				cfg.link[l].queue = (uint32_t)u;
		} else if (strcmp(name, "--mtu") == 0) {
			if (parse_u64(val, &u, 0) || u < 68 || u > 65535)
				return bad(name, val, "68 .. 65535");
			for (int l = 0; l < 2; l++)
				cfg.link[l].mtu = (uint32_t)u;
		} else if (strcmp(name, "--buf") == 0) {
			if (parse_u64(val, &u, 1) || u < 1 || u > (1u << 30))
				return bad(name, val, "1 .. 1 GiB");
			cfg.sndbuf = cfg.rcvbuf = (uint32_t)u;
		} else if (strcmp(name, "--ooo-ranges") == 0) {
			if (parse_u64(val, &u, 0) || u < 1 || u > PTCP_OOO_POOL_MAX)
				return bad(name, val, "1 .. 32767");
			cfg.ooo_ranges = (unsigned)u;
		} else if (strcmp(name, "--loss-areas") == 0) {
			if (parse_u64(val, &u, 0) || u < 1 || u > 1000000)
				return bad(name, val, "1 .. 1000000");
			cfg.loss_areas = (unsigned)u;
		} else if (strcmp(name, "--heal") == 0) {
			if (parse_double(val, &d) || d > 1e7)
				return bad(name, val, "seconds");
			cfg.heal = (ptcp_time_t)(d * 1e6 + 0.5);
		} else if (strcmp(name, "--max-time") == 0) {
			if (parse_double(val, &d) || d > 1e9 || d <= 0)
				return bad(name, val, "seconds");
			cfg.max_time = (ptcp_time_t)(d * 1e6 + 0.5);
		} else if (strcmp(name, "--mss") == 0) {
			if (parse_u64(val, &u, 0) || u < 64 || u > 9000)
				return bad(name, val, "64 .. 9000");
			cfg.core.mss = (uint16_t)u;
		} else if (strcmp(name, "--cc") == 0) {
			if (strcmp(val, "cubic") == 0)
				cfg.core.cc = &ptcp_cc_cubic;
			else if (strcmp(val, "reno") == 0)
				cfg.core.cc = &ptcp_cc_reno;
			else
				return bad(name, val, "cubic or reno");
		} else if (strcmp(name, "--delack") == 0) {
			if (parse_double(val, &d) || d >= 500)
				return bad(name, val, "milliseconds below 500");
			cfg.core.delack = (ptcp_time_t)(d * 1000.0 + 0.5);
		} else if (strcmp(name, "--trace") == 0) {
			trace_path = val;
		} else if (strcmp(name, "--log") == 0) {
			log_path = val;
		} else {
			fprintf(stderr, "ptcp-sim: unknown option '%s'\n", name);
			usage(stderr);
			return 2;
		}
	}

	if (seeds == 0) {
		int rc;
		if (trace_path && !ptcp_sim_have_script() && !log_path) {
			log_path = trace_path; /* no event scripts: the text log instead */
			trace_path = NULL;
		}
		if (trace_path) {
			cfg.script = fopen(trace_path, "w");
			if (!cfg.script) {
				fprintf(stderr, "ptcp-sim: %s: %s\n", trace_path, strerror(errno));
				return 2;
			}
		}
		if (log_path) {
			cfg.trace = fopen(log_path, "w");
			if (!cfg.trace) {
				fprintf(stderr, "ptcp-sim: %s: %s\n", log_path, strerror(errno));
				return 2;
			}
		}
		rc = ptcp_sim_run(&cfg, &res);
		if (cfg.trace)
			fclose(cfg.trace);
		if (cfg.script)
			fclose(cfg.script);
		if (rc < 0) {
			fprintf(stderr, "ptcp-sim: %s\n", res.why);
			return 2;
		}
		ptcp_sim_print_summary(stdout, &cfg, &res);
		if (rc) {
			fprintf(stderr, "ptcp-sim: FAILED: %s\n", res.why);
			return 1;
		}
		return 0;
	} else {
		uint64_t first = cfg.seed, failed = 0, segs = 0, first_bad = 0;
		double wall = 0;
		if (trace_path || log_path) {
			fprintf(stderr,
			        "ptcp-sim: --trace and --log need a single seed (no --seeds)\n");
			return 2;
		}
		for (uint64_t n = 0; n < seeds; n++) {
			int rc;
			cfg.seed = first + n;
			rc = ptcp_sim_run(&cfg, &res);
			if (rc < 0) {
				fprintf(stderr, "ptcp-sim: %s\n", res.why);
				return 2;
			}
			segs += res.segs;
			wall += res.wall;
			if (rc) {
				if (!failed)
					first_bad = cfg.seed;
				failed++;
			}
			if (!quiet || rc)
				ptcp_sim_print_line(stdout, &cfg, &res);
			fflush(stdout);
		}
		printf("total: %llu runs, %llu passed, %llu failed, %llu segments, %.3f s wall "
		       "(%.0f segments/s)\n",
		       (unsigned long long)seeds, (unsigned long long)(seeds - failed),
		       (unsigned long long)failed, (unsigned long long)segs, wall,
		       wall > 0 ? (double)segs / wall : 0.0);
		if (failed) {
			fprintf(stderr,
			        "ptcp-sim: FAILED: %llu of %llu seeds, first failing seed %llu\n",
			        (unsigned long long)failed, (unsigned long long)seeds,
			        (unsigned long long)first_bad);
			return 1;
		}
		return 0;
	}
}
