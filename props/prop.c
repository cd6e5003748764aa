/*
 * The property runner (see prop.h): PRNG, settings, drivers, reports.
 * The script generator is in prop_gen.c, shrinking in prop_shrink.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "prop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "prop_int.h"

/* ---- PRNG ------------------------------------------------------------- */
uint64_t ptcp_prop_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void ptcp_prop_rng_seed(ptcp_prop_rng *r, uint64_t seed)
{
	uint64_t st = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = ptcp_prop_splitmix64(&st);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ptcp_prop_rng_next(ptcp_prop_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t ptcp_prop_below(ptcp_prop_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	uint64_t lim = UINT64_MAX - (UINT64_MAX % n + 1) % n; /* largest multiple of n, minus 1 */
	uint64_t x;
	do
		x = ptcp_prop_rng_next(r);
	while (x > lim);
	return x % n;
}

uint64_t ptcp_prop_range(ptcp_prop_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	if (lo == 0 && hi == UINT64_MAX)
		return ptcp_prop_rng_next(r);
	return lo + ptcp_prop_below(r, hi - lo + 1);
}

int ptcp_prop_chance(ptcp_prop_rng *r, unsigned pct)
{
	return ptcp_prop_below(r, 100) < pct;
}

uint32_t ptcp_prop_u32(ptcp_prop_rng *r)
{
	uint32_t small = (uint32_t)ptcp_prop_below(r, 64);
	switch (ptcp_prop_below(r, 8)) {
	case 0:
		return small;
	case 1:
		return 0x80000000u + small - 32u;
	case 2:
		return 0u - small - 1u;
	case 3: {
		uint32_t p = 1u << ptcp_prop_below(r, 32);
		return p + (uint32_t)ptcp_prop_below(r, 3) - 1u;
	}
	case 4:
		return 0x7fffffffu - small;
	default:
		return (uint32_t)ptcp_prop_rng_next(r);
	}
}

/* ---- Settings --------------------------------------------------------- */
uint64_t ptcp_prop_base_seed(void)
{
	const char *e = getenv("PTCP_PROP_SEED");
	if (e && *e)
		return strtoull(e, NULL, 0);
	return 1;
}

unsigned ptcp_prop_cases(unsigned dflt)
{
	const char *e = getenv("PTCP_PROP_CASES");
	if (!e || !*e)
		return dflt;
	if (e[0] == 'x' || e[0] == 'X') {
		double m = strtod(e + 1, NULL);
		double n = m * (double)dflt;
		return n < 1 ? 1u : n > 4e9 ? 4000000000u : (unsigned)n;
	}
	unsigned long n = strtoul(e, NULL, 0);
	return n ? (unsigned)n : 1u;
}

uint64_t ptcp_prop_case_seed(uint64_t base, unsigned i)
{
	return base + (uint64_t)i * 0x9E3779B97F4A7C15ull;
}

static int env_flag(const char *name, int dflt)
{
	const char *e = getenv(name);
	if (!e || !*e)
		return dflt;
	return atoi(e) != 0;
}

const char *ptcp_prop_out_dir(void)
{
	static char dir[400];
	if (!dir[0]) {
		const char *e = getenv("PTCP_PROP_OUT");
		if (e && *e) {
			snprintf(dir, sizeof dir, "%s", e);
		} else {
			const char *t = getenv("TMPDIR");
			snprintf(dir, sizeof dir, "%s/ptcp-prop", t && *t ? t : "/tmp");
		}
		/* mkdir -p */
		for (char *p = dir + 1; *p; p++)
			if (*p == '/') {
				*p = 0;
				mkdir(dir, 0777);
				*p = '/';
			}
		mkdir(dir, 0777);
	}
	return dir;
}

void ptcp_prop_failf(ptcp_prop_fail *f, unsigned cls, const char *fmt, ...)
{
	if (f->cls)
		return;
	f->cls = cls ? cls : 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof f->msg, fmt, ap);
	va_end(ap);
}

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- Script properties ------------------------------------------------ */
struct obs {
	const ptcp_prop_script *p;
	const ptcp_script *s;
	void *st;
	ptcp_prop_fail *f;
};

static void observe(void *arg, const ptcp_run_note *n)
{
	struct obs *o = arg;
	if (o->f->cls || !o->p->note)
		return;
	o->p->note(o->st, o->s, n, o->f);
	if (o->f->cls && !o->f->t) {
		o->f->event = n->event;
		o->f->t = n->time;
	}
}

/* One run; st is the caller's state buffer (state_size bytes). */
static int check_script(const ptcp_prop_script *p, const ptcp_script *s, ptcp_prop_fail *f,
                        void *st, ptcp_run *r)
{
	ptcp_run_config cfg;
	ptcp_run_result res;
	struct obs o = {p, s, st, f};
	memset(f, 0, sizeof *f);
	if (p->state_size)
		memset(st, 0, p->state_size);
	if (p->begin)
		p->begin(st, s);
	ptcp_run_config_default(&cfg);
	cfg.flags = p->run_flags | PTCP_RUN_F_NO_EXPECT;
	cfg.drain = p->drain;
	cfg.max_steps = 200000;
	cfg.observe = observe;
	cfg.arg = &o;
	ptcp_run_exec(r, s, &cfg, &res);
	if (!f->cls && res.status == PTCP_RUN_FAIL) {
		unsigned cls = PTCP_PROP_CLS_RUNNER + 100u * (unsigned)res.fail;
		if (res.fail == PTCP_RUN_FAIL_CHECK)
			cls += (unsigned)res.check;
		ptcp_prop_failf(f, cls, "runner: %s", res.msg);
		f->event = res.event;
		f->t = res.time;
	}
	if (!f->cls && res.status == PTCP_RUN_INVALID)
		ptcp_prop_failf(f, PTCP_PROP_CLS_RUNNER + 999u, "invalid scenario: %s", res.msg);
	if (!f->cls && p->end)
		p->end(st, s, &res, ptcp_run_conn(r), f);
	return f->cls != 0;
}

static ptcp_run *shared_runner(void)
{
	static ptcp_run *r;
	if (!r)
		r = ptcp_run_new();
	return r;
}

int ptcp_prop_check_script(const ptcp_prop_script *p, const ptcp_script *s, ptcp_prop_fail *f)
{
	void *st = p->state_size ? calloc(1, p->state_size) : NULL;
	ptcp_run *r = shared_runner();
	int rc;
	if ((p->state_size && !st) || !r) {
		free(st);
		memset(f, 0, sizeof *f);
		return 0;
	}
	rc = check_script(p, s, f, st, r);
	free(st);
	return rc;
}

int ptcp_prop_write_script(const ptcp_script *s, const char *stem, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s.txt", ptcp_prop_out_dir(), stem);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = ptcp_script_format_text(s, f);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static size_t count_inputs(const ptcp_script *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !ptcp_script_is_expect(s->ev[i].kind);
	return n;
}

static int read_text_file(const char *path, ptcp_script *out, char *why, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = 0, c = 4096;
	char *b = malloc(c);
	while (b) {
		size_t k = fread(b + n, 1, c - n, f);
		n += k;
		if (n < c)
			break;
		char *nb = realloc(b, c * 2);
		if (!nb) {
			free(b);
			b = NULL;
			break;
		}
		b = nb;
		c *= 2;
	}
	fclose(f);
	if (!b) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	ptcp_script_error err;
	int rc = ptcp_script_parse_text(path, b, n, out, &err);
	free(b);
	if (rc) {
		ptcp_script_error_format(&err, why, cap);
		return -1;
	}
	return 0;
}

static void stem_of(char *buf, size_t cap, const char *name, uint64_t seed)
{
	snprintf(buf, cap, "%s-%016llx", name, (unsigned long long)seed);
	for (char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
}

static void print_report(ptcp_prop_report *rep, const char *name, const char *extra)
{
	size_t k = 0;
	int w;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(rep->text + k, sizeof rep->text - k, __VA_ARGS__);                    \
		if (w > 0)                                                                         \
			k += (size_t)w < sizeof rep->text - k ? (size_t)w                          \
			                                      : sizeof rep->text - k - 1;          \
	} while (0)
	ADD("PROPERTY FAILED: %s\n", name);
	ADD("  case %u, seed 0x%016llx (reproduce: PTCP_PROP_SEED=0x%016llx PTCP_PROP_CASES=1)\n",
	    rep->cases, (unsigned long long)rep->seed, (unsigned long long)rep->seed);
	ADD("  class %u: %s\n", rep->fail.cls, rep->fail.msg);
	if (extra && *extra)
		ADD("%s", extra);
	if (rep->path[0] && rep->orig_events)
		ADD("  shrunk scenario: %s (%zu events, from %zu; %u shrink runs)\n", rep->path,
		    rep->events, rep->orig_events, rep->shrink_runs);
	else if (rep->path[0])
		ADD("  scenario: %s (%zu events; %u shrink runs)\n", rep->path, rep->events,
		    rep->shrink_runs);
#undef ADD
	fprintf(stderr, "%s", rep->text);
	fflush(stderr);
}

int ptcp_prop_for_scripts(const ptcp_prop_script *p, unsigned dflt, ptcp_prop_report *rep)
{
	ptcp_prop_gen gdef;
	const ptcp_prop_gen *g = p->gen;
	ptcp_run *r = shared_runner();
	void *st = p->state_size ? calloc(1, p->state_size) : NULL;
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(dflt);
	const char *file = getenv("PTCP_PROP_SCRIPT");
	double t0 = now_sec();
	size_t total_events = 0;

	memset(rep, 0, sizeof *rep);
	if (!g) {
		ptcp_prop_gen_default(&gdef);
		g = &gdef;
	}
	if (!r || (p->state_size && !st)) {
		free(st);
		snprintf(rep->text, sizeof rep->text, "out of memory");
		rep->failed = 1;
		return 1;
	}
	if (file && *file)
		n = 1;
	/* PTCP_PROP_KEEP_GOING=1: report the first failure of each class, go on */
	int keep = env_flag("PTCP_PROP_KEEP_GOING", 0);
	unsigned seen[64], nseen = 0, nfail = 0;
	for (unsigned i = 0; i < n && (!rep->failed || keep); i++) {
		ptcp_script s;
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_script_init(&s);
		if (file && *file) {
			char why[300];
			ptcp_script_free(&s);
			if (read_text_file(file, &s, why, sizeof why)) {
				snprintf(rep->text, sizeof rep->text, "PTCP_PROP_SCRIPT: %s", why);
				rep->failed = 1;
				fprintf(stderr, "%s\n", rep->text);
				break;
			}
		} else if (ptcp_prop_gen_script(g, seed, &s)) {
			ptcp_script_free(&s);
			continue;
		}
		rep->cases = i + 1;
		total_events += s.n;
		if (!check_script(p, &s, &rep->fail, st, r)) {
			if (p->tally)
				p->tally(st, p->acc);
			ptcp_script_free(&s);
			continue;
		}
		nfail++;
		if (keep) {
			unsigned k = 0;
			while (k < nseen && seen[k] != rep->fail.cls)
				k++;
			if (k < nseen) {
				ptcp_script_free(&s);
				continue;
			}
			if (nseen < 64)
				seen[nseen++] = rep->fail.cls;
		}
		rep->failed = 1;
		rep->seed = seed;
		rep->orig_events = count_inputs(&s);
		if (env_flag("PTCP_PROP_SHRINK", 1))
			rep->shrink_runs = ptcp_prop_shrink_script(p, &s, rep->fail.cls);
		/* the shrunk scenario's own failure (same class) */
		ptcp_prop_fail f2;
		if (check_script(p, &s, &f2, st, r))
			rep->fail = f2;
		char stem[200];
		stem_of(stem, sizeof stem, p->name, seed);
		if (ptcp_prop_write_script(&s, stem, rep->path, sizeof rep->path) != 0)
			rep->path[0] = 0;
		rep->events = count_inputs(&s);
		char extra[300];
		snprintf(extra, sizeof extra, "  at event %zu of the shrunk scenario, t=%llu us\n",
		         rep->fail.event, (unsigned long long)rep->fail.t);
		print_report(rep, p->name, extra);
		ptcp_script_free(&s);
	}
	rep->seconds = now_sec() - t0;
	if (keep && rep->failed)
		fprintf(stderr, "property %s: %u of %u cases failed (%u classes)\n", p->name, nfail,
		        rep->cases, nseen);
	if (!rep->failed && !env_flag("PTCP_PROP_QUIET", 0))
		fprintf(stderr, "property %s: %u cases passed (%zu events) in %.2f s\n", p->name,
		        rep->cases, total_events, rep->seconds);
	free(st);
	return rep->failed;
}

/* ---- Sim properties --------------------------------------------------- */
int ptcp_prop_check_sim(const ptcp_prop_sim *p, const ptcp_sim_config *cfg, ptcp_prop_fail *f)
{
	ptcp_sim_result res;
	memset(f, 0, sizeof *f);
	int rc = ptcp_sim_run(cfg, &res);
	if (p->check)
		p->check(cfg, rc, &res, f);
	else if (rc != 0)
		ptcp_prop_failf(f, PTCP_PROP_CLS_SIM, "%s", res.why);
	if (f->cls && !f->t)
		f->t = res.vtime;
	return f->cls != 0;
}

int ptcp_prop_sim_cmdline(const ptcp_sim_config *c, char *buf, size_t cap)
{
	size_t k = 0;
	int w;
	ptcp_config dc;
	ptcp_config_default(&dc);
#define ADD(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(buf + k, cap > k ? cap - k : 0, __VA_ARGS__);                         \
		if (w > 0)                                                                         \
			k += (size_t)w;                                                            \
	} while (0)
	/* the simulator's command line (links are generated alike in both directions, times
	 * in whole ms, bandwidth in whole Mbit/s, heal in whole seconds) */
	const ptcp_sim_link *l = &c->link[0];
	ADD("--seed %llu --bytes %llu --app %s --conns %u --delay %llu",
	    (unsigned long long)c->seed, (unsigned long long)c->bytes, ptcp_sim_app_name(c->app),
	    c->conns, (unsigned long long)(l->delay / 1000u));
	if (l->jitter)
		ADD(" --jitter %llu", (unsigned long long)(l->jitter / 1000u));
	if (l->loss > 0)
		ADD(" --loss %g", l->loss);
	if (l->dup > 0)
		ADD(" --dup %g", l->dup);
	if (l->reorder > 0)
		ADD(" --reorder %g", l->reorder);
	if (l->reorder_delay)
		ADD(" --reorder-delay %llu", (unsigned long long)(l->reorder_delay / 1000u));
	if (l->corrupt > 0)
		ADD(" --corrupt %g", l->corrupt);
	if (l->mtu)
		ADD(" --mtu %u", l->mtu);
	if (l->bw)
		ADD(" --bw %llu", (unsigned long long)(l->bw / 1000000u));
	if (l->queue)
		ADD(" --queue %u", l->queue);
	if (c->heal)
		ADD(" --heal %llu", (unsigned long long)(c->heal / 1000000u));
	if (c->sndbuf != 256u << 10)
		ADD(" --buf %u", c->sndbuf);
	if (c->ipv6)
		ADD(" --ipv6");
	if (c->core.flags != dc.flags || c->core.mss != dc.mss || c->core.cc != dc.cc)
		ADD("   (core options not on the command line: flags 0x%x mss %u cc %s)",
		    c->core.flags, c->core.mss, c->core.cc ? c->core.cc->name : "cubic");
#undef ADD
	return (int)k;
}

int ptcp_prop_for_sims(const ptcp_prop_sim *p, unsigned dflt, ptcp_prop_report *rep)
{
	ptcp_prop_simgen gdef;
	const ptcp_prop_simgen *g = p->gen;
	uint64_t base = ptcp_prop_base_seed();
	unsigned n = ptcp_prop_cases(dflt);
	double t0 = now_sec();
	memset(rep, 0, sizeof *rep);
	if (!g) {
		ptcp_prop_simgen_default(&gdef);
		g = &gdef;
	}
	int keep = env_flag("PTCP_PROP_KEEP_GOING", 0);
	unsigned seen[64], nseen = 0, nfail = 0;
	for (unsigned i = 0; i < n && (!rep->failed || keep); i++) {
		ptcp_sim_config cfg;
		ptcp_sim_result res;
		uint64_t seed = ptcp_prop_case_seed(base, i);
		ptcp_prop_gen_sim(g, seed, &cfg);
		rep->cases = i + 1;
		int rc = ptcp_sim_run(&cfg, &res);
		memset(&rep->fail, 0, sizeof rep->fail);
		if (p->check)
			p->check(&cfg, rc, &res, &rep->fail);
		else if (rc)
			ptcp_prop_failf(&rep->fail, PTCP_PROP_CLS_SIM, "%s", res.why);
		if (!rep->fail.cls) {
			if (p->tally)
				p->tally(&cfg, &res, p->acc);
			continue;
		}
		nfail++;
		if (keep) {
			unsigned k = 0;
			while (k < nseen && seen[k] != rep->fail.cls)
				k++;
			if (k < nseen)
				continue;
			if (nseen < 64)
				seen[nseen++] = rep->fail.cls;
		}
		rep->failed = 1;
		rep->seed = seed;
		char before[600], after[600], extra[1400];
		ptcp_prop_sim_cmdline(&cfg, before, sizeof before);
		if (env_flag("PTCP_PROP_SHRINK", 1))
			rep->shrink_runs = ptcp_prop_shrink_sim(p, &cfg, rep->fail.cls);
		ptcp_prop_fail f2;
		if (ptcp_prop_check_sim(p, &cfg, &f2))
			rep->fail = f2;
		ptcp_prop_sim_cmdline(&cfg, after, sizeof after);
		/* the shrunk run's connection-0 client as an event script */
		char stem[200];
		stem_of(stem, sizeof stem, p->name, seed);
		snprintf(rep->path, sizeof rep->path, "%s/%s.txt", ptcp_prop_out_dir(), stem);
		FILE *f = ptcp_sim_have_script() ? fopen(rep->path, "w") : NULL;
		if (f) {
			ptcp_sim_config c2 = cfg;
			c2.script = f;
			ptcp_sim_run(&c2, &res);
			fclose(f);
			ptcp_script sc;
			char why[300];
			ptcp_script_init(&sc);
			ptcp_script_free(&sc);
			if (read_text_file(rep->path, &sc, why, sizeof why) == 0) {
				rep->events = count_inputs(&sc);
				ptcp_script_free(&sc);
			}
		} else {
			rep->path[0] = 0;
		}
		snprintf(extra, sizeof extra,
		         "  network: ptcp-sim %s\n  shrunk:  ptcp-sim %s\n"
		         "  (the scenario file is connection 0's client, recorded)\n",
		         before, after);
		print_report(rep, p->name, extra);
	}
	rep->seconds = now_sec() - t0;
	if (keep && rep->failed)
		fprintf(stderr, "property %s: %u of %u networks failed (%u classes)\n", p->name,
		        nfail, rep->cases, nseen);
	if (!rep->failed && !env_flag("PTCP_PROP_QUIET", 0))
		fprintf(stderr, "property %s: %u networks passed in %.2f s\n", p->name, rep->cases,
		        rep->seconds);
	return rep->failed;
}

int ptcp_prop_known(const ptcp_prop_script *p, const char *name, uint32_t avoid_off,
                    unsigned hostile_pct, unsigned dflt, ptcp_prop_report *rep)
{
	ptcp_prop_gen g;
	ptcp_prop_script q = *p;
	if (p->gen)
		g = *p->gen;
	else
		ptcp_prop_gen_default(&g);
	g.avoid &= ~avoid_off;
	if (hostile_pct)
		g.hostile_pct = hostile_pct;
	q.gen = &g;
	q.name = name;
	return ptcp_prop_for_scripts(&q, dflt, rep);
}
