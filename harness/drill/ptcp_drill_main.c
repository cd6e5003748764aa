/*
 * ptcp-drill [options] SCRIPT|DIR... : run packetdrill scripts against the ptcp core, in
 * process (see drill_run.h).  Directories are searched for *.pkt files (sorted).
 *
 * Prints one line per script (PASS / FAIL file:line: ... / UNSUPPORTED file:line: [feature]
 * ... / ERROR file:line:col: ...), counts per directory and a closing line
 * "N passed, M failed, K unsupported".
 *
 * Exit status: 0 when every script passed (with --expected: when every script listed in the
 * file passed), 1 otherwise, 2 on bad usage.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drill_run.h"

struct entry {
	char *path; /* as found */
	char *name; /* relative to --root, for display and the expected list */
	char *dir;  /* directory part of name */
	struct ptcp_drill_result res;
};

struct list {
	struct entry *v;
	size_t n, cap;
};

static void usage(FILE *f, const char *argv0)
{
	fprintf(
	    f,
	    "usage: %s [options] SCRIPT|DIR...\n"
	    "  -v, --verbose            trace events, segments and state changes to stderr\n"
	    "  -q, --quiet              print only what did not pass, and the counts\n"
	    "  --tolerance_usecs=N      timing tolerance (default: the script's, else 4000)\n"
	    "  --tolerance_percent=P    relative tolerance (default: the script's, else 12.5)\n"
	    "  --strict                 a segment no '>' line matched fails the script\n"
	    "  --check-ts-ecr           check the TS ecr of '>' lines (upstream does not)\n"
	    "  --skip-python            ignore %%{ }%% blocks instead of UNSUPPORTED\n"
	    "  --ignore-psh             do not check PSH (analysis: see past that deviation)\n"
	    "  -D NAME=VALUE            define a script variable (e.g. -D CODE=host_unreachable)\n"
	    "  --root=DIR               name scripts relative to DIR\n"
	    "  --expected=FILE          fail only when a script listed in FILE does not pass\n"
	    "  --update-expected=FILE   write the scripts that passed to FILE\n"
	    "  --skip-missing           exit 77 (skipped) when a SCRIPT|DIR does not exist\n"
	    "  --xfail=FILE             the scripts listed in FILE are expected to fail (known\n"
	    "                           core bugs): they do not change the exit status unless\n"
	    "                           they pass (then the list is out of date)\n"
	    "  --linux-only=FILE        known Linux-only deviations (script, line, exact\n"
	    "                           mismatch, feature): such a script is UNSUPPORTED\n"
	    "                           [feature] if nothing else fails; an entry that no longer\n"
	    "                           applies to a script that ran is STALE (exit status 1)\n",
	    argv0);
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (!d) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	memcpy(d, s, n);
	return d;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add(struct list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n++].path = xstrdup(path);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void collect(struct list *l, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		add(l, path);
		return;
	}
	d = opendir(path);
	if (!d) {
		add(l, path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn;
			cap = cap ? 2 * cap : 32;
			nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				fprintf(stderr, "out of memory\n");
				exit(2);
			}
			names = nn;
		}
		names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!names[n]) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		sprintf(names[n], "%s/%s", path, de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			collect(l, names[i]);
		else if (ends_with(names[i], ".pkt"))
			add(l, names[i]);
		free(names[i]);
	}
	free(names);
}

/* name relative to root (both resolved), else the path as given */
static void name_entry(struct entry *e, const char *root_real)
{
	char real[PATH_MAX];
	const char *name = e->path;
	char *slash;
	if (root_real && realpath(e->path, real)) {
		size_t n = strlen(root_real);
		if (strncmp(real, root_real, n) == 0 && real[n] == '/')
			name = real + n + 1;
	}
	e->name = xstrdup(name);
	e->dir = xstrdup(name);
	slash = strrchr(e->dir, '/');
	if (slash == e->dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(e->dir, ".");
}

struct namelist {
	char **v;
	size_t n;
};

static int read_list(const char *file, struct namelist *nl)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	size_t cap = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, "\r\n#");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*p)
			continue;
		if (nl->n == cap) {
			char **v;
			cap = cap ? 2 * cap : 64;
			v = realloc(nl->v, cap * sizeof(*v));
			if (!v) {
				fclose(f);
				return -1;
			}
			nl->v = v;
		}
		nl->v[nl->n++] = xstrdup(p);
	}
	fclose(f);
	return 0;
}

static bool in_list(const struct namelist *nl, const char *name)
{
	for (size_t i = 0; i < nl->n; i++)
		if (strcmp(nl->v[i], name) == 0)
			return true;
	return false;
}

static const struct entry *find_entry(const struct list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void print_result(const struct entry *e, bool quiet, bool xfail)
{
	const struct ptcp_drill_result *r = &e->res;
	switch (r->verdict) {
	case PTCP_DRILL_PASS:
		if (!quiet)
			printf("PASS        %s\n", e->name);
		break;
	case PTCP_DRILL_FAIL:
		printf("%s        %s\n", xfail ? "XFAIL" : "FAIL ", r->message);
		break;
	case PTCP_DRILL_UNSUPPORTED:
		printf("UNSUPPORTED %s [%s]\n", r->message, r->feature);
		break;
	case PTCP_DRILL_ERROR:
		printf("ERROR       %s\n", r->message);
		break;
	}
}

static void print_counts(const struct list *l)
{
	int tp = 0, tf = 0, tu = 0;
	char **dirs = malloc((l->n ? l->n : 1) * sizeof(*dirs));
	size_t nd = 0;
	if (!dirs)
		return;
	for (size_t i = 0; i < l->n; i++)
		dirs[nd++] = l->v[i].dir;
	qsort(dirs, nd, sizeof(*dirs), cmp_str);
	printf("\n%-28s %6s %6s %6s %6s\n", "directory", "total", "pass", "fail", "unsup");
	for (size_t k = 0; k < nd; k++) {
		int p = 0, f = 0, u = 0;
		if (k > 0 && strcmp(dirs[k], dirs[k - 1]) == 0)
			continue;
		for (size_t j = 0; j < l->n; j++) {
			if (strcmp(l->v[j].dir, dirs[k]) != 0)
				continue;
			switch (l->v[j].res.verdict) {
			case PTCP_DRILL_PASS:
				p++;
				break;
			case PTCP_DRILL_UNSUPPORTED:
				u++;
				break;
			default:
				f++;
				break;
			}
		}
		printf("%-28s %6d %6d %6d %6d\n", dirs[k], p + f + u, p, f, u);
		tp += p;
		tf += f;
		tu += u;
	}
	free(dirs);
	printf("\n%d passed, %d failed, %d unsupported\n", tp, tf, tu);
}

/* Entries of the --linux-only list that did not apply to a script that ran: the core (or
 * the script) changed there, so the entry no longer describes it.  Returns how many. */
static int stale_known(const struct ptcp_drill_run_config *cfg, const struct list *l,
                       const char *file)
{
	int stale = 0;
	for (size_t k = 0; k < cfg->n_known; k++) {
		const struct ptcp_drill_known *e = &cfg->known[k];
		bool ran = false;
		if (e->hits || (e->kind == PTCP_DRILL_KNOWN_PSH && cfg->ignore_psh))
			continue;
		for (size_t i = 0; i < l->n && !ran; i++)
			ran = strcmp(l->v[i].name, e->script) == 0;
		if (!ran)
			continue;
		printf("STALE       %s:%d: %s:%d [%s]: the listed deviation did not happen "
		       "(update or remove the entry)\n",
		       file, e->src_line, e->script, e->line, e->feature);
		stale++;
	}
	if (cfg->n_known)
		printf("%zu known Linux-only deviations listed (%s), %d stale\n", cfg->n_known,
		       file, stale);
	return stale;
}

/* "--name=VALUE" or "--name VALUE" (advances *i); NULL if argv[*i] is not --name. */
static const char *value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

#define MAX_DEFINES 16

int main(int argc, char **argv)
{
	struct ptcp_drill_run_config cfg;
	struct list l = {0};
	const char *root = NULL, *expected = NULL, *update = NULL, *xfail = NULL;
	const char *linux_only = NULL;
	char root_real[PATH_MAX];
	struct namelist xl = {0};
	bool quiet = false, have_root = false, skip_missing = false;
	int status = 0;
	const char *defines[MAX_DEFINES];
	size_t n_defines = 0;
	ptcp_drill_run_config_default(&cfg);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			cfg.trace = stderr;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			quiet = true;
		else if ((v = value(argc, argv, &i, "--tolerance_usecs")) != NULL)
			cfg.tolerance_usecs = strtoll(v, NULL, 10);
		else if ((v = value(argc, argv, &i, "--tolerance_percent")) != NULL)
			cfg.tolerance_percent = strtod(v, NULL);
		else if (strcmp(a, "--strict") == 0)
			cfg.strict = true;
		else if (strcmp(a, "--check-ts-ecr") == 0)
			cfg.check_ts_ecr = true;
		else if (strcmp(a, "--skip-missing") == 0)
			skip_missing = true;
		else if (strcmp(a, "--ignore-psh") == 0)
			cfg.ignore_psh = true;
		else if (strcmp(a, "--skip-python") == 0)
			cfg.skip_python = true;
		else if ((v = value(argc, argv, &i, "-D")) != NULL ||
		         (v = value(argc, argv, &i, "--define")) != NULL) {
			if (!strchr(v, '=') || v[0] == '=' || n_defines == MAX_DEFINES) {
				fprintf(stderr, "%s: -D wants NAME=VALUE (at most %d): %s\n",
				        argv[0], MAX_DEFINES, v);
				return 2;
			}
			defines[n_defines++] = v;
			cfg.defines = defines;
			cfg.n_defines = n_defines;
		} else if ((v = value(argc, argv, &i, "--root")) != NULL)
			root = v;
		else if ((v = value(argc, argv, &i, "--expected")) != NULL)
			expected = v;
		else if ((v = value(argc, argv, &i, "--xfail")) != NULL)
			xfail = v;
		else if ((v = value(argc, argv, &i, "--linux-only")) != NULL)
			linux_only = v;
		else if ((v = value(argc, argv, &i, "--update-expected")) != NULL)
			update = v;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], a);
			usage(stderr, argv[0]);
			return 2;
		} else {
			struct stat st;
			if (skip_missing && stat(a, &st) != 0) {
				printf("skipping: %s not found\n", a);
				return 77;
			}
			collect(&l, a);
		}
	}
	if (l.n == 0) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (root && realpath(root, root_real))
		have_root = true;
	if (xfail && read_list(xfail, &xl) != 0) {
		perror(xfail);
		return 2;
	}
	if (linux_only) {
		char err[512];
		int n = ptcp_drill_known_load(linux_only, &cfg.known, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		cfg.n_known = (size_t)n;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct entry *e = &l.v[i];
		name_entry(e, have_root ? root_real : NULL);
		ptcp_drill_run_file(e->path, &cfg, &e->res);
		print_result(e, quiet, in_list(&xl, e->name));
		fflush(stdout);
	}
	print_counts(&l);
	if (update) {
		FILE *f = fopen(update, "w");
		if (!f) {
			perror(update);
			return 2;
		}
		fprintf(
		    f,
		    "# Scripts that pass under ptcp-drill (regenerate with --update-expected).\n");
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].res.verdict == PTCP_DRILL_PASS)
				fprintf(f, "%s\n", l.v[i].name);
		fclose(f);
		printf("wrote %s\n", update);
	}
	if (expected) {
		struct namelist nl = {0};
		int regressions = 0, news = 0;
		if (read_list(expected, &nl) != 0) {
			perror(expected);
			return 2;
		}
		for (size_t i = 0; i < nl.n; i++) {
			const struct entry *e = find_entry(&l, nl.v[i]);
			if (!e) {
				printf("warning: %s is listed in %s but was not run\n", nl.v[i],
				       expected);
				continue;
			}
			if (e->res.verdict != PTCP_DRILL_PASS) {
				printf("REGRESSION  %s (passed before)\n", e->name);
				regressions++;
			}
		}
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].res.verdict == PTCP_DRILL_PASS && !in_list(&nl, l.v[i].name)) {
				printf("NEW PASS    %s (not yet in %s)\n", l.v[i].name, expected);
				news++;
			}
		}
		printf("%zu expected to pass: %d regressions, %d new passes\n", nl.n, regressions,
		       news);
		status = regressions ? 1 : 0;
		for (size_t i = 0; i < nl.n; i++)
			free(nl.v[i]);
		free(nl.v);
	} else {
		int xfailed = 0;
		for (size_t i = 0; i < l.n; i++) {
			bool listed = in_list(&xl, l.v[i].name);
			bool pass = l.v[i].res.verdict == PTCP_DRILL_PASS;
			if (listed && pass) {
				printf("XPASS       %s (listed in %s: remove it)\n", l.v[i].name,
				       xfail);
				status = 1;
			} else if (listed) {
				xfailed++;
			} else if (!pass) {
				status = 1;
			}
		}
		if (xfail)
			printf("%d expected failures (known core bugs, %s)\n", xfailed, xfail);
	}
	if (stale_known(&cfg, &l, linux_only))
		status = 1;
	free(cfg.known);
	for (size_t i = 0; i < xl.n; i++)
		free(xl.v[i]);
	free(xl.v);
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].path);
		free(l.v[i].name);
		free(l.v[i].dir);
	}
	free(l.v);
	return status;
}
