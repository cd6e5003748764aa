/*
 * ptcp-replay: crashes and failing scenarios as pcaps, traces and pictures;
 * captures back into scenarios.
 *
 *   ptcp-replay [--target T] INPUT [-o OUT.pcap] [--trace OUT.txt] [--svg OUT.svg]
 *               [--drops DROPS.pcap] [--strict] [--no-expect] [--drain DUR] [--no-fork]
 *   ptcp-replay --import CAPTURE [--flow SRC:PORT-DST:PORT] [--header SCRIPT] -o SCENARIO.txt
 *
 * Exit status: 0 the replay passed (or the import worked), 1 the replay
 * failed (a check or a crash: the outputs are written and say where),
 * 2 bad usage or an input that cannot be read or run.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "run.h"

static void usage(FILE *f)
{
	fputs("usage: ptcp-replay [--target T] INPUT [-o OUT.pcap] [--trace OUT.txt|-] [--svg "
	      "OUT.svg]\n"
	      "                   [--drops DROPS.pcap] [--strict] [--no-expect] [--drain DUR] "
	      "[--no-fork]\n"
	      "       ptcp-replay --import CAPTURE [--flow SRC:PORT-DST:PORT] [--header SCRIPT] "
	      "-o SCENARIO.txt\n"
	      "  T: script (a text event script or shrunk property scenario), fuzz_conn (a "
	      "binary\n"
	      "     fuzz_conn input), fuzz_wire (raw packet bytes), fuzz_drill, fuzz_sim (a\n"
	      "     fuzz_sim input), fuzz_listener (a fuzz_listener input: the connection table),\n"
	      "     sim (a ptcp-sim command line, or the event script ptcp-sim --trace records);\n"
	      "     default: detected (fuzz_sim and fuzz_listener inputs by the file name)\n"
	      "  --drops: the packets the network dropped (simulator runs), as a second pcap\n"
	      "  --import: one TCP connection of a pcap/pcapng capture (the first, or --flow;\n"
	      "     SRC is the core's end) as the event script that replays the peer's side;\n"
	      "     --header takes the configuration from an existing scenario\n"
	      "exit: 0 passed, 1 the replay failed (outputs written), 2 usage or input error\n",
	      f);
}

static uint8_t *slurp(const char *path, size_t *len, char *err, size_t cap)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, c = 0;
	if (!f) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == c) {
			uint8_t *nb = realloc(buf, c ? c * 2 : 65536);
			if (!nb) {
				snprintf(err, cap, "%s: out of memory", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			c = c ? c * 2 : 65536;
		}
		size_t k = fread(buf + n, 1, c - n, f);
		n += k;
		if (k == 0) {
			if (ferror(f)) {
				snprintf(err, cap, "%s: read error", path);
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static int parse_dur(const char *s, uint64_t *us)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (strcmp(end, "us") == 0)
		*us = (uint64_t)v;
	else if (strcmp(end, "ms") == 0)
		*us = (uint64_t)(v * 1e3);
	else if (strcmp(end, "s") == 0 || *end == 0)
		*us = (uint64_t)(v * 1e6);
	else
		return -1;
	return 0;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int do_import(const char *cap, const char *flow, const char *header, const char *out)
{
	ptcp_replay_import_opts o = {flow, NULL, 0, 0};
	ptcp_replay_import_stats st;
	ptcp_script s, h;
	char err[512];
	FILE *f;
	size_t nev;
	int have_h = 0;
	if (header) {
		size_t len;
		ptcp_script_error e;
		uint8_t *d = slurp(header, &len, err, sizeof err);
		if (!d) {
			fprintf(stderr, "ptcp-replay: %s\n", err);
			return 2;
		}
		int r = ptcp_script_parse_text(header, (const char *)d, len, &h, &e);
		free(d);
		if (r) {
			ptcp_script_error_format(&e, err, sizeof err);
			fprintf(stderr, "ptcp-replay: --header: %s\n", err);
			return 2;
		}
		have_h = 1;
		o.header = &h;
	}
	int r = ptcp_replay_import(cap, &o, &s, &st, err, sizeof err);
	if (have_h)
		ptcp_script_free(&h);
	if (r) {
		fprintf(stderr, "ptcp-replay: %s: %s\n", cap, err);
		return 2;
	}
	printf("ptcp-replay: %s: %lu frames, %lu TCP packets, %lu in the connection (%s)\n", cap,
	       st.frames, st.tcp, st.in_flow, st.flow);
	printf("skipped: %lu not TCP, %lu truncated; kept: %lu peer packets as raw bytes, %lu ICMP "
	       "errors as icmp events\n",
	       st.non_tcp, st.truncated, st.raw, st.icmp);
	if (st.checked)
		printf("check: %s (%lu runs)\n", st.check, st.trials);
	f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
	if (!f) {
		fprintf(stderr, "ptcp-replay: %s: %s\n", out, strerror(errno));
		ptcp_script_free(&s);
		return 2;
	}
	r = ptcp_script_format_text(&s, f);
	if (f != stdout && fclose(f) != 0)
		r = -1;
	nev = s.n;
	ptcp_script_free(&s);
	if (r) {
		fprintf(stderr, "ptcp-replay: %s: write error\n", out);
		return 2;
	}
	if (f != stdout)
		printf("wrote %s (%zu events)\n", out, nev);
	return 0;
}

int main(int argc, char **argv)
{
	const char *input = NULL, *out = NULL, *trace = NULL, *svg = NULL, *drops = NULL;
	const char *import = NULL, *flow = NULL, *header = NULL;
	int target = PTCP_REPLAY_AUTO;
	ptcp_replay_opts o = {0, 0, 1};
	char err[1024], why[512];
	ptcp_replay_rec rec;
	uint8_t *data;
	size_t len;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                                                                     \
	do {                                                                                       \
		if (!v) {                                                                          \
			fprintf(stderr, "ptcp-replay: %s needs a value\n", a);                     \
			return 2;                                                                  \
		}                                                                                  \
		i++;                                                                               \
	} while (0)
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-o") == 0) {
			NEED();
			out = v;
		} else if (strcmp(a, "--trace") == 0) {
			NEED();
			trace = v;
		} else if (strcmp(a, "--svg") == 0) {
			NEED();
			svg = v;
		} else if (strcmp(a, "--drops") == 0) {
			NEED();
			drops = v;
		} else if (strcmp(a, "--target") == 0) {
			NEED();
			target = ptcp_replay_target_parse(v);
			if (target < 0) {
				char l[256];
				ptcp_replay_target_list(l, sizeof l);
				fprintf(stderr, "ptcp-replay: unknown target '%s' (%s)\n", v, l);
				return 2;
			}
		} else if (strcmp(a, "--import") == 0) {
			NEED();
			import = v;
		} else if (strcmp(a, "--flow") == 0) {
			NEED();
			flow = v;
		} else if (strcmp(a, "--header") == 0) {
			NEED();
			header = v;
		} else if (strcmp(a, "--strict") == 0) {
			o.run_flags |= PTCP_RUN_F_STRICT;
		} else if (strcmp(a, "--no-expect") == 0) {
			o.run_flags |= PTCP_RUN_F_NO_EXPECT;
		} else if (strcmp(a, "--drain") == 0) {
			NEED();
			if (parse_dur(v, &o.drain)) {
				fprintf(stderr,
				        "ptcp-replay: bad duration '%s' (e.g. 10s, 500ms)\n", v);
				return 2;
			}
		} else if (strcmp(a, "--no-fork") == 0) {
			o.fork = 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "ptcp-replay: unknown option %s\n", a);
			usage(stderr);
			return 2;
		} else if (!input) {
			input = a;
		} else {
			fprintf(stderr, "ptcp-replay: more than one input (%s, %s)\n", input, a);
			return 2;
		}
	}
	if (import) {
		if (input) {
			fprintf(stderr, "ptcp-replay: --import takes the capture, not %s\n", input);
			return 2;
		}
		if (!out) {
			fprintf(stderr, "ptcp-replay: --import needs -o SCENARIO.txt (or -o -)\n");
			return 2;
		}
		return do_import(import, flow, header, out);
	}
	if (!input) {
		usage(stderr);
		return 2;
	}
	data = slurp(input, &len, err, sizeof err);
	if (!data) {
		fprintf(stderr, "ptcp-replay: %s\n", err);
		return 2;
	}
	if (target == PTCP_REPLAY_AUTO) {
		target = ptcp_replay_detect(data, len, input, why, sizeof why);
		if (target < 0) {
			fprintf(stderr, "ptcp-replay: %s: unknown scenario format: %s\n", input,
			        why);
			free(data);
			return 2;
		}
		printf("ptcp-replay: %s: %s (detected: %s)\n", input,
		       ptcp_replay_target_name((ptcp_replay_target)target), why);
	} else {
		printf("ptcp-replay: %s: %s (given)\n", input,
		       ptcp_replay_target_name((ptcp_replay_target)target));
	}
	ptcp_replay_rec_init(&rec);
	if (ptcp_replay_run((ptcp_replay_target)target, data, len, input, &o, &rec, err,
	                    sizeof err)) {
		fprintf(stderr, "ptcp-replay: %s: %s\n", input, err);
		free(data);
		ptcp_replay_rec_free(&rec);
		return 2;
	}
	free(data);
	{
		size_t in = 0, outn = 0;
		for (size_t i = 0; i < rec.npkt; i++)
			rec.pkt[i].dir == PTCP_REPLAY_IN ? in++ : outn++;
		printf("replayed: %zu steps, %zu packets injected, %zu emitted\n", rec.nstep, in,
		       outn);
	}
	if (rec.failed) {
		if (rec.fail_step >= 0) {
			const ptcp_replay_step *s = &rec.step[rec.fail_step];
			printf("FAILED at step %ld (event #%lu, %llu.%06llu s): %s\n",
			       rec.fail_step, (unsigned long)s->event,
			       (unsigned long long)(s->t / 1000000u),
			       (unsigned long long)(s->t % 1000000u), rec.verdict);
		} else {
			printf("FAILED: %s\n", rec.verdict);
		}
		rc = 1;
	} else {
		printf("%s\n", rec.verdict);
	}
	if (rec.note[0])
		printf("note: %s\n", rec.note);
	if (out) {
		long n = ptcp_replay_write_pcap(&rec, out, drops, err, sizeof err);
		if (n < 0) {
			fprintf(stderr, "ptcp-replay: %s\n", err);
			rc = 2;
		} else {
			printf("wrote %s (%ld packets)\n", out, n);
		}
	}
	if (trace) {
		FILE *f = strcmp(trace, "-") == 0 ? stdout : fopen(trace, "w");
		int w = f ? ptcp_replay_write_trace(&rec, base(input), f) : -1;
		if (f && f != stdout && fclose(f) != 0)
			w = -1;
		if (w) {
			fprintf(stderr, "ptcp-replay: %s: cannot write\n", trace);
			rc = 2;
		} else if (f != stdout) {
			printf("wrote %s\n", trace);
		}
	}
	if (svg) {
		FILE *f = fopen(svg, "w");
		int w = f ? ptcp_replay_write_svg(&rec, base(input), f) : -1;
		if (f && fclose(f) != 0)
			w = -1;
		if (w) {
			fprintf(stderr, "ptcp-replay: %s: cannot write\n", svg);
			rc = 2;
		} else {
			printf("wrote %s\n", svg);
		}
	}
	ptcp_replay_rec_free(&rec);
	return rc;
}
