/*
 * ptcp-run: run event scripts against the core with every oracle.
 *   ptcp-run [options] FILE...
 *     (default)       FILE is a text script
 *     --bin           FILE is a binary script
 *     --fuzz          FILE is a fuzz_conn input (as the fuzzer runs it)
 *     --strict        every emitted segment must be expected
 *     --no-expect     ignore expect lines
 *     --keep-going    run to the end after a failure
 *     --trace         print every step, its actions and every packet
 *     --dump          print the scenario (as run) as text first
 *     --record OUT    write what ran (inputs and every action) as a text script
 *     --drain US      fire timers up to US microseconds after the last event
 *     --ignore LIST   violations not to fail on (check codes or failure kinds,
 *                     comma-separated; also $PTCP_FUZZ_IGNORE with --fuzz)
 * Exit status: 0 every script passed, 1 a failure, 2 usage, I/O or memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 4096, n = 0;
	uint8_t *b;
	if (!f) {
		perror(path);
		return -1;
	}
	b = malloc(cap);
	while (b) {
		if (n == cap) {
			uint8_t *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t k = fread(b + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int err = !b || ferror(f);
	if (f != stdin)
		fclose(f);
	if (err) {
		fprintf(stderr, "%s: read error\n", path);
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

struct trace {
	ptcp_script scratch; /* header of the running script, for formatting actions */
};

static void observe(void *arg, const ptcp_run_note *n)
{
	struct trace *tr = arg;
	char line[1024];
	double t = (double)n->time / 1e6;
	switch (n->kind) {
	case PTCP_RUN_NOTE_PACKET_IN:
		if (n->err)
			printf("%12.6f  [%zu] packet of %zu bytes dropped: %s\n", t, n->event,
			       n->len, ptcp_strerror(n->err));
		break;
	case PTCP_RUN_NOTE_STEP:
		if (n->ev && !n->timer) {
			ptcp_script_format_event(n->ev, line, sizeof line);
			printf("%12.6f  [%zu] %s -> %d\n", t, n->event, line, n->ret);
		} else {
			printf("%12.6f  [%zu] (timer)\n", t, n->event);
		}
		for (size_t i = 0; i < n->actions->n; i++) {
			ptcp_script_free(&tr->scratch);
			if (ptcp_script_push_action(&tr->scratch, &n->actions->v[i], n->time, 0, 0))
				continue;
			ptcp_script_format_event(&tr->scratch.ev[0], line, sizeof line);
			printf("%12s      %s\n", "", line);
		}
		printf("%12s      %s snd %u..%u/%u rcv %u wnd %u cwnd %u\n", "",
		       ptcp_state_name(n->info->state), n->info->snd_una, n->info->snd_nxt,
		       n->info->snd_max, n->info->rcv_nxt, n->info->rcv_wnd, n->info->cwnd);
		break;
	case PTCP_RUN_NOTE_FAIL:
		printf("%12.6f  [%zu] FAIL %s\n", t, n->event, n->msg);
		break;
	default:
		break;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: ptcp-run [--bin|--fuzz] [--strict] [--no-expect] [--keep-going] "
	                "[--trace] [--dump] [--record OUT] [--drain US] [--ignore LIST] FILE...\n");
}

int main(int argc, char **argv)
{
	int bin = 0, fuzz = 0, trace = 0, dump = 0, bad = 0, files = 0;
	uint32_t flags = 0;
	const char *record = NULL, *ignore = NULL;
	uint64_t drain = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--bin") == 0)
			bin = 1;
		else if (strcmp(a, "--fuzz") == 0)
			fuzz = 1;
		else if (strcmp(a, "--strict") == 0)
			flags |= PTCP_RUN_F_STRICT;
		else if (strcmp(a, "--no-expect") == 0)
			flags |= PTCP_RUN_F_NO_EXPECT;
		else if (strcmp(a, "--keep-going") == 0)
			flags |= PTCP_RUN_F_KEEP_GOING;
		else if (strcmp(a, "--trace") == 0)
			trace = 1;
		else if (strcmp(a, "--dump") == 0)
			dump = 1;
		else if (strcmp(a, "--record") == 0 && i + 1 < argc)
			record = argv[++i];
		else if (strcmp(a, "--drain") == 0 && i + 1 < argc)
			drain = strtoull(argv[++i], NULL, 0);
		else if (strcmp(a, "--ignore") == 0 && i + 1 < argc)
			ignore = argv[++i];
		else if (a[0] == '-' && a[1]) {
			usage();
			return 2;
		} else
			files++;
	}
	if (!files) {
		usage();
		return 2;
	}
	ptcp_run *r = ptcp_run_new();
	struct trace tr;
	ptcp_script rec;
	ptcp_script_init(&tr.scratch);
	ptcp_script_init(&rec);
	if (!r)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *path = argv[i];
		if (path[0] == '-' && path[1]) {
			if (strcmp(path, "--record") == 0 || strcmp(path, "--drain") == 0 ||
			    strcmp(path, "--ignore") == 0)
				i++;
			continue;
		}
		uint8_t *buf;
		size_t len;
		ptcp_script s;
		ptcp_run_config cfg;
		int rc;
		if (read_all(path, &buf, &len)) {
			bad |= 2;
			continue;
		}
		ptcp_run_config_default(&cfg);
		if (fuzz) {
			rc = ptcp_run_fuzz_prepare(buf, len, &s, &cfg);
		} else if (bin) {
			rc = ptcp_script_decode_binary(buf, len, &s);
		} else {
			ptcp_script_error err;
			rc = ptcp_script_parse_text(path, (const char *)buf, len, &s, &err);
			if (rc == PTCP_SCRIPT_ESYNTAX) {
				char msg[512];
				ptcp_script_error_format(&err, msg, sizeof msg);
				fprintf(stderr, "%s\n", msg);
				free(buf);
				bad |= 1;
				continue;
			}
		}
		free(buf);
		if (rc) {
			fprintf(stderr, "%s: out of memory\n", path);
			bad |= 2;
			continue;
		}
		if (dump)
			ptcp_script_format_text(&s, stdout);
		cfg.flags |= flags;
		if ((ignore && ptcp_run_parse_ignore(ignore, &cfg)) ||
		    (fuzz && getenv("PTCP_FUZZ_IGNORE") &&
		     ptcp_run_parse_ignore(getenv("PTCP_FUZZ_IGNORE"), &cfg))) {
			fprintf(stderr, "ptcp-run: unknown name in the ignore list\n");
			ptcp_script_free(&s);
			bad |= 2;
			continue;
		}
		if (drain)
			cfg.drain = drain;
		if (trace) {
			ptcp_script_free(&tr.scratch);
			tr.scratch = s;
			tr.scratch.ev = NULL;
			tr.scratch.n = tr.scratch.cap = 0;
			cfg.observe = observe;
			cfg.arg = &tr;
		}
		if (record)
			cfg.record = &rec;
		ptcp_run_result res;
		char msg[1024];
		ptcp_run_exec(r, &s, &cfg, &res);
		ptcp_run_result_format(&res, msg, sizeof msg);
		printf("%s: %s\n", path, msg);
		if (res.status == PTCP_RUN_FAIL)
			bad |= 1;
		else if (res.status != PTCP_RUN_PASS)
			bad |= 2;
		if (record) {
			FILE *f = fopen(record, "w");
			if (!f || ptcp_script_format_text(&rec, f) != 0) {
				perror(record);
				bad |= 2;
			}
			if (f)
				fclose(f);
		}
		ptcp_script_free(&s);
	}
	ptcp_script_free(&tr.scratch);
	ptcp_script_free(&rec);
	ptcp_run_free(r);
	return bad & 2 ? 2 : bad;
}
