/*
 * ptcp-bench growth, reassembly models: what the out-of-order list would
 * cost without its cap, and what other structures would.
 *
 * IMPLEMENTATION NOTES
 * Models of reassembly structures beside the core's (core/src/ooo.c, an
 * AVL tree, measured by the holes sweep).  They keep only the ranges (no data)
 * in sequence offsets from RCV.NXT (no wraparound: a window is < 2^31):
 *   list    the core's algorithm before ooo.c (core/tests/ooo_list.c)
 *           without the cap: an unsorted array, a linear scan for overlaps, swap-remove
 *           on merge, and the pull-in loop that restarts after each range
 *           it takes;
 *   sorted  a sorted array: binary search, memmove to insert or remove;
 *   treap   a balanced tree (treap) over a pool of nodes in caller memory:
 *           split at the new range, merge with its neighbours, join.
 * The pattern is the holes sweep's: h segments each opening a new hole
 * (odd segments), then the holes filled in order (each fill takes the
 * range above it in).
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct rng {
	uint32_t l, r;
} rng;

/* ---- list: the core's algorithm, uncapped ------------------------------------ */
typedef struct list {
	rng *v;
	uint32_t n, last, nxt; /* nxt: RCV.NXT */
} list;

static void list_remove(list *s, uint32_t i)
{
	s->v[i] = s->v[s->n - 1];
	s->n--;
	if (s->last == s->n)
		s->last = i;
	else if (s->last > s->n)
		s->last = 0;
}

static void list_add(list *s, uint32_t l, uint32_t r)
{
	rng b = {l, r};
	if (l != s->nxt) {
		uint32_t i;
		for (i = 0; i < s->n;) {
			rng *o = &s->v[i];
			if (o->l <= b.r && b.l <= o->r) {
				if (o->l < b.l)
					b.l = o->l;
				if (o->r > b.r)
					b.r = o->r;
				list_remove(s, i);
				continue;
			}
			i++;
		}
		s->v[s->n] = b;
		s->last = s->n++;
		return;
	}
	s->nxt = r;
	for (uint32_t i = 0; i < s->n;) {
		rng *o = &s->v[i];
		if (o->l <= s->nxt) {
			if (o->r > s->nxt)
				s->nxt = o->r;
			list_remove(s, i);
			i = 0;
			continue;
		}
		i++;
	}
}

/* ---- sorted array ---------------------------------------------------------------- */
typedef struct sorted {
	rng *v;
	uint32_t n, nxt;
} sorted;

/* first index whose l > x */
static uint32_t upper(const sorted *s, uint32_t x)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t m = (lo + hi) / 2;
		if (s->v[m].l > x)
			hi = m;
		else
			lo = m + 1;
	}
	return lo;
}

static void sorted_add(sorted *s, uint32_t l, uint32_t r)
{
	uint32_t i = upper(s, l), j;
	if (l == s->nxt) {
		/* in order: take every range that now touches RCV.NXT (they are first) */
		s->nxt = r;
		for (j = 0; j < s->n && s->v[j].l <= s->nxt; j++)
			if (s->v[j].r > s->nxt)
				s->nxt = s->v[j].r;
		memmove(s->v, s->v + j, (s->n - j) * sizeof(rng));
		s->n -= j;
		return;
	}
	if (i > 0 && s->v[i - 1].r >= l) { /* merge with the range below */
		i--;
		if (s->v[i].l < l)
			l = s->v[i].l;
		if (s->v[i].r > r)
			r = s->v[i].r;
	}
	for (j = i; j < s->n && s->v[j].l <= r; j++)
		if (s->v[j].r > r)
			r = s->v[j].r;
	if (j == i) {
		memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(rng));
		s->n++;
	} else if (j > i + 1) {
		memmove(s->v + i + 1, s->v + j, (s->n - j) * sizeof(rng));
		s->n -= j - i - 1;
	}
	s->v[i].l = l;
	s->v[i].r = r;
}

/* ---- treap ------------------------------------------------------------------------ */
#define NIL (-1)

typedef struct tnode {
	uint32_t l, r, prio;
	int32_t a, b; /* children: keys below, keys above */
} tnode;

typedef struct treap {
	tnode *p;
	int32_t root, freel;
	uint32_t seed, nxt;
} treap;

static int32_t t_new(treap *t, uint32_t l, uint32_t r)
{
	int32_t i = t->freel;
	t->freel = t->p[i].a;
	t->seed = t->seed * 1103515245u + 12345u;
	t->p[i].l = l;
	t->p[i].r = r;
	t->p[i].prio = t->seed;
	t->p[i].a = t->p[i].b = NIL;
	return i;
}

static void t_del(treap *t, int32_t i)
{
	t->p[i].a = t->freel;
	t->freel = i;
}

/* keys < x into *lo, the rest into *hi */
static void t_split(treap *t, int32_t n, uint32_t x, int32_t *lo, int32_t *hi)
{
	if (n == NIL) {
		*lo = *hi = NIL;
	} else if (t->p[n].l < x) {
		t_split(t, t->p[n].b, x, &t->p[n].b, hi);
		*lo = n;
	} else {
		t_split(t, t->p[n].a, x, lo, &t->p[n].a);
		*hi = n;
	}
}

static int32_t t_join(treap *t, int32_t x, int32_t y)
{
	if (x == NIL)
		return y;
	if (y == NIL)
		return x;
	if (t->p[x].prio > t->p[y].prio) {
		t->p[x].b = t_join(t, t->p[x].b, y);
		return x;
	}
	t->p[y].a = t_join(t, x, t->p[y].a);
	return y;
}

/* remove the highest (dir b) or lowest (dir a) node of subtree *n into *out */
static void t_pop_max(treap *t, int32_t *n, rng *out)
{
	if (t->p[*n].b != NIL) {
		t_pop_max(t, &t->p[*n].b, out);
		return;
	}
	out->l = t->p[*n].l;
	out->r = t->p[*n].r;
	{
		int32_t k = *n;
		*n = t->p[k].a;
		t_del(t, k);
	}
}

static void t_pop_min(treap *t, int32_t *n, rng *out)
{
	if (t->p[*n].a != NIL) {
		t_pop_min(t, &t->p[*n].a, out);
		return;
	}
	out->l = t->p[*n].l;
	out->r = t->p[*n].r;
	{
		int32_t k = *n;
		*n = t->p[k].b;
		t_del(t, k);
	}
}

static uint32_t t_max_r(const treap *t, int32_t n)
{
	while (t->p[n].b != NIL)
		n = t->p[n].b;
	return t->p[n].r;
}

static uint32_t t_min_l(const treap *t, int32_t n)
{
	while (t->p[n].a != NIL)
		n = t->p[n].a;
	return t->p[n].l;
}

static void treap_add(treap *t, uint32_t l, uint32_t r)
{
	int32_t lo, hi;
	rng m;
	if (l == t->nxt) {
		/* in order: pull in the lowest ranges while they touch RCV.NXT */
		t->nxt = r;
		while (t->root != NIL && t_min_l(t, t->root) <= t->nxt) {
			t_pop_min(t, &t->root, &m);
			if (m.r > t->nxt)
				t->nxt = m.r;
		}
		return;
	}
	t_split(t, t->root, l, &lo, &hi);
	if (lo != NIL && t_max_r(t, lo) >= l) {
		t_pop_max(t, &lo, &m);
		l = m.l;
		if (m.r > r)
			r = m.r;
	}
	while (hi != NIL && t_min_l(t, hi) <= r) {
		t_pop_min(t, &hi, &m);
		if (m.r > r)
			r = m.r;
	}
	t->root = t_join(t, t_join(t, lo, t_new(t, l, r)), hi);
}

/* ---- The sweep -------------------------------------------------------------------- */
#define MODEL_QUADRATIC_MAX 10000u /* list and sorted are quadratic in h over a sweep */

/* One build-then-fill cycle of structure k at h holes; adds the times. */
static void model_cycle(uint32_t h, int k, rng *arr, tnode *pool, uint64_t *tb, uint64_t *tf)
{
	list ls = {arr, 0, 0, 0};
	sorted so = {arr, 0, 0};
	treap tp = {pool, NIL, 0, 12345u, 0};
	uint64_t t0, t1, t2;
	for (uint32_t i = 0; i < h + 2; i++)
		pool[i].a = i + 1 < h + 2 ? (int32_t)(i + 1) : NIL;
	t0 = bench_now_ns();
	for (uint32_t j = 0; j < h; j++) {
		uint32_t l = 2 * j + 1;
		if (k == 0)
			list_add(&ls, l, l + 1);
		else if (k == 1)
			sorted_add(&so, l, l + 1);
		else
			treap_add(&tp, l, l + 1);
	}
	t1 = bench_now_ns();
	for (uint32_t j = 0; j < h; j++) {
		uint32_t l = 2 * j;
		if (k == 0)
			list_add(&ls, l, l + 1);
		else if (k == 1)
			sorted_add(&so, l, l + 1);
		else
			treap_add(&tp, l, l + 1);
	}
	t2 = bench_now_ns();
	if ((k == 0 && (ls.nxt != 2 * h || ls.n)) || (k == 1 && (so.nxt != 2 * h || so.n)) ||
	    (k == 2 && (tp.nxt != 2 * h || tp.root != NIL)))
		bench_die("reassembly model %d went wrong at h = %u", k, h);
	*tb += t1 - t0;
	*tf += t2 - t1;
}

typedef struct model_st {
	uint32_t h;
	rng *arr;
	tnode *pool;
	double *b[3], *f[3]; /* per trial */
} model_st;

static int model_runs(uint32_t h, int k)
{
	return !(k < 2 && h > MODEL_QUADRATIC_MAX); /* quadratic in h: too slow to run */
}

/* One trial of every structure at h: cycles for at least 256 operations each; each
 * timing window's own cost (the clock) is taken off. */
static void model_trial(model_st *m, unsigned tr)
{
	unsigned reps = (256 + m->h - 1) / m->h;
	double w = bench_clock_ns() * reps;
	for (int k = 0; k < 3; k++) {
		uint64_t tb = 0, tf = 0;
		if (!model_runs(m->h, k))
			continue;
		for (unsigned r = 0; r < reps; r++)
			model_cycle(m->h, k, m->arr, m->pool, &tb, &tf);
		m->b[k][tr] = ((double)tb - w) / ((double)reps * m->h);
		m->f[k][tr] = ((double)tf - w) / ((double)reps * m->h);
	}
}

void bench_ooo_models(const bench_opts *o)
{
	static const uint32_t hs[] = {8, 64, 256, 1000, 10000, 100000};
	size_t n = sizeof(hs) / sizeof(hs[0]);
	double x[8], y[6][8];
	size_t nq = 0;
	char path[512];
	unsigned trials = o->quick ? 5 : 15;
	model_st m[8];
	if (o->quick)
		n--;
	printf("\n#### Reassembly structures, modelled without the cap\n\n");
	printf("Ranges only (no data, no step): h hole-opening inserts, then h in-order fills "
	       "(each takes the range above it in), repeated for at least 256 operations. ns "
	       "per operation (the clock's own cost taken off each timing window), median of %u "
	       "trials (round robin over h). list = the core's "
	       "algorithm before the tree (core/tests/ooo_list.c) uncapped; sorted = sorted array "
	       "with binary search and "
	       "memmove; treap = a balanced tree in a node pool. '-': quadratic, not run.\n\n",
	       trials);
	for (size_t i = 0; i < n; i++) {
		m[i].h = hs[i];
		m[i].arr = malloc((size_t)(hs[i] + 2) * sizeof(rng));
		m[i].pool = malloc((size_t)(hs[i] + 2) * sizeof(tnode));
		if (!m[i].arr || !m[i].pool)
			bench_die("out of memory");
		for (int k = 0; k < 3; k++) {
			m[i].b[k] = calloc(trials, sizeof(double));
			m[i].f[k] = calloc(trials, sizeof(double));
			if (!m[i].b[k] || !m[i].f[k])
				bench_die("out of memory");
		}
	}
	for (unsigned tr = 0; tr < trials; tr++)
		for (size_t i = 0; i < n; i++)
			model_trial(&m[i], tr);
	printf("| holes h | list insert | list fill | sorted insert | sorted fill | treap insert | "
	       "treap fill |\n|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < n; i++) {
		x[i] = hs[i];
		printf("| %u |", hs[i]);
		for (int k = 0; k < 3; k++) {
			if (!model_runs(hs[i], k)) {
				printf(" - | - |");
				continue;
			}
			y[2 * k][i] = bench_summarise(m[i].b[k], trials).med;
			y[2 * k + 1][i] = bench_summarise(m[i].f[k], trials).med;
			printf(" %.1f | %.1f |", y[2 * k][i], y[2 * k + 1][i]);
		}
		printf("\n");
		if (hs[i] <= MODEL_QUADRATIC_MAX)
			nq = i + 1;
		free(m[i].arr);
		free(m[i].pool);
		for (int k = 0; k < 3; k++) {
			free(m[i].b[k]);
			free(m[i].f[k]);
		}
	}
	{
		svg_series s[6] = {{"list (core algorithm) insert", x, y[0], nq},
		                   {"list fill", x, y[1], nq},
		                   {"sorted array insert", x, y[2], nq},
		                   {"sorted array fill", x, y[3], nq},
		                   {"treap insert", x, y[4], n},
		                   {"treap fill", x, y[5], n}};
		svg_plot(bench_svg_path(o, "bench-reassembly.svg", path, sizeof(path)),
		         "Reassembly structures without a cap: ns per range operation", "holes",
		         "ns per operation (median, log)", 1, 1, s, 6);
	}
}
