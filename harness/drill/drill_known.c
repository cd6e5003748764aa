/*
 * drill_known.c - known Linux-only deviations (see drill_run.h, struct ptcp_drill_known).
 *
 * IMPLEMENTATION NOTES
 * An entry names one line of one script and the exact mismatch there.  The runner asks
 * drill_known() at the places a listed mismatch can happen: a '>' packet whose only
 * differing header field is PSH or the window (drill_match.c) and a time check (drill_check_time:
 * '>' packets and blocking calls' returns).  A hit is deferred like a python block: the script goes
 * on, and ends UNSUPPORTED [feature] if nothing else fails.  A time entry pins the core's own time
 * to the microsecond (the clock is virtual, so it is exact): when the core changes what it does at
 * that line, the entry no longer applies and the script FAILs, and ptcp-drill names the entry as
 * stale.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_run_int.h"

static bool names_script(const char *file, const char *script)
{
	size_t nf = strlen(file), ns = strlen(script);
	if (nf < ns || strcmp(file + nf - ns, script) != 0)
		return false;
	return nf == ns || file[nf - ns - 1] == '/';
}

int drill_known(struct runner *r, int line, enum ptcp_drill_known_kind kind, int64_t actual,
                const char *what)
{
	for (size_t i = 0; i < r->cfg.n_known; i++) {
		struct ptcp_drill_known *k = &r->cfg.known[i];
		if (k->line != line || k->kind != kind || !names_script(r->script->file, k->script))
			continue;
		if (kind == PTCP_DRILL_KNOWN_TIME && k->actual != actual)
			continue;
		k->hits++;
		drill_trace(r, "line %d: known Linux-only deviation [%s]: %s", line, k->feature,
		            what);
		if (!r->deferred_line) {
			r->deferred_line = line;
			snprintf(r->deferred_feature, sizeof(r->deferred_feature), "%s",
			         k->feature);
			snprintf(
			    r->deferred_msg, sizeof(r->deferred_msg),
			    "Linux-only: %s (a listed deviation; the rest of the script passed)",
			    what);
		}
		return 1;
	}
	return 0;
}

static int load_error(char *err, size_t size, const char *path, int line, size_t col,
                      const char *msg)
{
	snprintf(err, size, "%s:%d:%zu: %s", path, line, col, msg);
	return -1;
}

/* "1.227" or "0.400000": microseconds, or -1. */
static int64_t parse_seconds(const char *s, const char **end)
{
	int64_t sec = 0, us = 0, scale = 100000;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p) && sec < 1000000)
		sec = sec * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p) && scale > 0) {
			us += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (isdigit((unsigned char)*p))
		return -1;
	*end = p;
	return sec * 1000000 + us;
}

static char *word(char **p)
{
	char *w;
	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!**p)
		return NULL;
	w = *p;
	while (**p && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return w;
}

int ptcp_drill_known_load(const char *path, struct ptcp_drill_known **out, char *err,
                          size_t err_size)
{
	FILE *f = fopen(path, "r");
	char buf[512], *p = buf;
	struct ptcp_drill_known *v = NULL;
	size_t n = 0, cap = 0;
	int lineno = 0;
	*out = NULL;
	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *script, *ln, *kind, *e;
		struct ptcp_drill_known k;
		long l;
		lineno++;
		p = buf;
		buf[strcspn(buf, "\r\n#")] = '\0';
		if (!(script = word(&p)))
			continue;
		memset(&k, 0, sizeof(k));
		k.src_line = lineno;
		if (strlen(script) >= sizeof(k.script))
			goto bad_script;
		memcpy(k.script, script, strlen(script) + 1);
		if (!(ln = word(&p)))
			goto missing;
		l = strtol(ln, &e, 10);
		if (*e || l <= 0 || l > 1000000) {
			load_error(err, err_size, path, lineno, (size_t)(ln - buf) + 1,
			           "expected a script line number");
			goto fail;
		}
		k.line = (int)l;
		if (!(kind = word(&p)))
			goto missing;
		if (strcmp(kind, "psh") == 0) {
			k.kind = PTCP_DRILL_KNOWN_PSH;
		} else if (strcmp(kind, "win") == 0) {
			k.kind = PTCP_DRILL_KNOWN_WIN;
		} else if (strncmp(kind, "time=", 5) == 0) {
			const char *end;
			k.kind = PTCP_DRILL_KNOWN_TIME;
			k.actual = parse_seconds(kind + 5, &end);
			if (k.actual < 0 || *end) {
				load_error(err, err_size, path, lineno, (size_t)(kind - buf) + 6,
				           "expected time=SECONDS (the core's time at that line)");
				goto fail;
			}
		} else {
			load_error(err, err_size, path, lineno, (size_t)(kind - buf) + 1,
			           "expected 'psh', 'win' or 'time=SECONDS'");
			goto fail;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*p)
			goto missing;
		snprintf(k.feature, sizeof(k.feature), "%s", p);
		if (n == cap) {
			struct ptcp_drill_known *nv;
			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				snprintf(err, err_size, "%s: out of memory", path);
				goto fail;
			}
			v = nv;
		}
		v[n++] = k;
	}
	fclose(f);
	*out = v;
	return (int)n;
bad_script:
	load_error(err, err_size, path, lineno, 1, "script name too long");
	goto fail;
missing:
	load_error(err, err_size, path, lineno, (size_t)(p - buf) + 1,
	           "expected: SCRIPT LINE psh|win|time=SECONDS FEATURE");
fail:
	fclose(f);
	free(v);
	return -1;
}
