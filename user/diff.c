// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Regression check between two recordings. Each recording is read twice:
 * first for its summary, which defines the entities compared (a pipeline
 * stage, else every process of one command name, merged), then for its
 * intervals, which give each entity one value per interval of W, S, Wq and
 * X. A metric regresses when its whole-run value moved the wrong way by more
 * than its threshold AND the move is not noise: a one-sided Mann-Whitney
 * rank test over the per-interval values, or over the per-op service-time
 * histograms (ties within a log2 bucket handled as ties), a test of the tail
 * beyond the base's p99 bucket for syscall p99 (so a shift within one bucket,
 * below the histogram's resolution, is never called), or a conditional
 * binomial test for error and op counts. Two runs of the same workload then
 * pass, and a real slowdown beyond its threshold fails, named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "diff.h"
#include "diff_services.h"
#include "wavg.h"
#include "json_writer.h"
#include "model.h"
#include "names.h"
#include "recording.h"

/* per-interval rank tests need this many values a side to reach p < 0.001 */
#define MIN_INTERVALS 7
/* exact Mann-Whitney distribution up to this many values a side (no ties) */
#define EXACT_MWU_MAX	  30
#define MIN_HIST_SAMPLES  30
#define MIN_P99_CALLS	  100
#define EXACT_BINOM_MAX_N 5000
#define TOP_SYSCALLS	  3 /* syscall rows the table shows without --all */

static const char *const metric_names[DIFF__MAX] = {
	[DIFF_RESPONSE] = "response", [DIFF_SERVICE] = "service",
	[DIFF_WAIT] = "wait",	      [DIFF_THROUGHPUT] = "throughput",
	[DIFF_P99] = "p99",	      [DIFF_ERRORS] = "errors",
	[DIFF_CPU] = "cpu",
};

/* the bad direction: +1 when a rise is worse, -1 when a drop is */
static const int metric_dir[DIFF__MAX] = {
	[DIFF_RESPONSE] = 1, [DIFF_SERVICE] = 1, [DIFF_WAIT] = 1, [DIFF_THROUGHPUT] = -1,
	[DIFF_P99] = 1,	     [DIFF_ERRORS] = 1,	 [DIFF_CPU] = 1,
};

const char *diff_metric_name(enum diff_metric m)
{
	return (unsigned)m < DIFF__MAX ? metric_names[m] : "?";
}

void diff_options_init(struct diff_options *o)
{
	memset(o, 0, sizeof(*o));
	o->th[DIFF_RESPONSE] = (struct diff_threshold){1, 0.20, 0};
	o->th[DIFF_SERVICE] = (struct diff_threshold){1, 0.20, 0};
	o->th[DIFF_WAIT] = (struct diff_threshold){0, 0.50, 0};
	o->th[DIFF_THROUGHPUT] = (struct diff_threshold){1, 0.10, 0};
	o->th[DIFF_P99] = (struct diff_threshold){1, 1.00, 0};
	o->th[DIFF_ERRORS] = (struct diff_threshold){1, 0.50, 0};
	o->th[DIFF_CPU] = (struct diff_threshold){0, 0.20, 0};
	o->alpha = 0.001;
}

static const struct {
	const char *name;
	enum diff_metric m;
} aliases[] = {
	{"response", DIFF_RESPONSE},
	{"response_s", DIFF_RESPONSE},
	{"w", DIFF_RESPONSE},
	{"service", DIFF_SERVICE},
	{"service_time", DIFF_SERVICE},
	{"service_time_s", DIFF_SERVICE},
	{"s", DIFF_SERVICE},
	{"wait", DIFF_WAIT},
	{"wait_s", DIFF_WAIT},
	{"wq", DIFF_WAIT},
	{"throughput", DIFF_THROUGHPUT},
	{"x", DIFF_THROUGHPUT},
	{"p99", DIFF_P99},
	{"syscall_p99", DIFF_P99},
	{"latency", DIFF_P99},
	{"errors", DIFF_ERRORS},
	{"error", DIFF_ERRORS},
	{"cpu", DIFF_CPU},
};

static int is_time_metric(enum diff_metric m)
{
	return m == DIFF_RESPONSE || m == DIFF_SERVICE || m == DIFF_WAIT || m == DIFF_P99 ||
	       m == DIFF_CPU;
}

int diff_parse_threshold(struct diff_options *o, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '='), *v;
	char name[32], *end;
	size_t nl;
	int m = -1, sign = 0;
	double d;

	if (!eq || eq == spec || (nl = (size_t)(eq - spec)) >= sizeof(name)) {
		snprintf(err, errlen, "'%s' is not METRIC=VALUE (e.g. response=+20%%)", spec);
		return -1;
	}
	memcpy(name, spec, nl);
	name[nl] = 0;
	v = eq + 1;
	if (!strcasecmp(name, "alpha")) {
		errno = 0;
		d = strtod(v, &end);
		if (errno || end == v || *end || !(d > 0 && d < 0.5)) {
			snprintf(err, errlen, "alpha '%s': a significance level in (0, 0.5)", v);
			return -1;
		}
		o->alpha = d;
		return 0;
	}
	for (unsigned i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].name))
			m = (int)aliases[i].m;
	if (m < 0) {
		snprintf(err, errlen,
			 "unknown metric '%s' (response, service, wait, throughput, p99, errors, "
			 "cpu, alpha)",
			 name);
		return -1;
	}
	if (!strcasecmp(v, "off") || !strcasecmp(v, "none")) {
		o->th[m].enabled = 0;
		return 0;
	}
	if (*v == '+' || *v == '-')
		sign = *v++ == '+' ? 1 : -1;
	if (*v < '0' || *v > '9') {
		snprintf(err, errlen, "%s: '%s' is not a number", name, eq + 1);
		return -1;
	}
	errno = 0;
	d = strtod(v, &end);
	if (errno || !isfinite(d) || d < 0) {
		snprintf(err, errlen, "%s: '%s' is not a number", name, eq + 1);
		return -1;
	}
	if (sign && sign != metric_dir[m]) {
		snprintf(err, errlen, "%s regresses when it %s: write %c%s", metric_names[m],
			 metric_dir[m] > 0 ? "rises" : "drops", metric_dir[m] > 0 ? '+' : '-', v);
		return -1;
	}
	if (!strcmp(end, "%")) {
		o->th[m].rel = d / 100.0;
	} else {
		double scale = 1;

		if (*end && !is_time_metric((enum diff_metric)m)) {
			snprintf(err, errlen, "%s: unknown unit '%s' (a %% or a plain number)",
				 name, end);
			return -1;
		}
		if (!strcmp(end, "ns"))
			scale = 1e-9;
		else if (!strcmp(end, "us") || !strcmp(end, "µs"))
			scale = 1e-6;
		else if (!strcmp(end, "ms"))
			scale = 1e-3;
		else if (!strcmp(end, "s") || !*end)
			scale = 1;
		else {
			snprintf(err, errlen, "%s: unknown unit '%s' (%%, ns, us, ms or s)", name,
				 end);
			return -1;
		}
		o->th[m].abs = d * scale;
	}
	o->th[m].enabled = 1;
	return 0;
}

/* ---- statistics ------------------------------------------------------------ */

/* P(Z > z) for a standard normal Z */
static double norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct tagged {
	double v;
	int from_b;
};

static int cmp_tagged(const void *a, const void *b)
{
	return cmp_double(&((const struct tagged *)a)->v, &((const struct tagged *)b)->v);
}

/*
 * P(U >= u) where U counts the pairs in which one of @nb values beats one of
 * @na, all orderings equally likely: c(i, j, u), the orderings of i a's and
 * j b's with u such pairs, is c(i, j-1, u-i) (largest value a b, beating all
 * i a's) + c(i-1, j, u).
 */
static double mwu_exact_sf(unsigned na, unsigned nb, double u)
{
	unsigned umax = na * nb, w = umax + 1;
	double *c = calloc((size_t)(na + 1) * (nb + 1) * w, sizeof(double)), tot = 0, tail = 0;

	if (!c)
		return NAN;
#define C(i, j, k) c[((size_t)(i) * (nb + 1) + (j)) * w + (k)]
	for (unsigned i = 0; i <= na; i++)
		for (unsigned j = 0; j <= nb; j++) {
			if (!i || !j) {
				C(i, j, 0) = 1;
				continue;
			}
			for (unsigned k = 0; k <= i * j; k++)
				C(i, j, k) = (k >= i ? C(i, j - 1, k - i) : 0) + C(i - 1, j, k);
		}
	for (unsigned k = 0; k <= umax; k++) {
		tot += C(na, nb, k);
		if (k >= u - 1e-9)
			tail += C(na, nb, k);
	}
#undef C
	free(c);
	return tail / tot;
}

/*
 * One-sided Mann-Whitney U: p-value of "b tends to be larger than a" (dir
 * +1) or smaller (dir -1): exact for small samples without ties, else the
 * normal approximation with tie and continuity corrections. NaN if a side
 * is empty.
 */
static double mwu_samples(const double *a, unsigned na, const double *b, unsigned nb, int dir)
{
	struct tagged *t;
	unsigned n = na + nb;
	double rank_b = 0, ties = 0, u, mean, var;

	if (!na || !nb)
		return NAN;
	t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	for (unsigned i = 0; i < na; i++)
		t[i] = (struct tagged){a[i], 0};
	for (unsigned i = 0; i < nb; i++)
		t[na + i] = (struct tagged){b[i], 1};
	qsort(t, n, sizeof(*t), cmp_tagged);
	for (unsigned i = 0; i < n;) {
		unsigned j = i;
		double r;

		while (j < n && t[j].v == t[i].v)
			j++;
		r = (i + 1 + j) / 2.0; /* average rank of the tie group */
		for (unsigned k = i; k < j; k++)
			if (t[k].from_b)
				rank_b += r;
		ties += pow(j - i, 3) - (j - i);
		i = j;
	}
	free(t);
	u = rank_b - nb * (nb + 1) / 2.0;
	mean = (double)na * nb / 2.0;
	if (ties == 0 && na <= EXACT_MWU_MAX && nb <= EXACT_MWU_MAX)
		return mwu_exact_sf(na, nb, dir > 0 ? u : (double)na * nb - u);
	var = (double)na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
	if (!(var > 0))
		return 0.5;
	return norm_sf((dir * (u - mean) - 0.5) / sqrt(var));
}

double diff_mwu(const double *a, unsigned na, const double *b, unsigned nb, int dir)
{
	return mwu_samples(a, na, b, nb, dir);
}

/* The same over two log2 histograms: samples in one bucket are ties. */
static double mwu_hist(const struct hist *a, const struct hist *b, int dir)
{
	double na = (double)hist_count(a), nb = (double)hist_count(b), n = na + nb;
	double below_a = 0, u = 0, ties = 0, mean, var;

	if (na == 0 || nb == 0)
		return NAN;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		double ca = (double)a->b[i], cb = (double)b->b[i], t = ca + cb;

		u += cb * (below_a + 0.5 * ca);
		below_a += ca;
		ties += t * t * t - t;
	}
	mean = na * nb / 2.0;
	var = na * nb / 12.0 * ((n + 1) - ties / (n * (n - 1)));
	if (!(var > 0))
		return 0.5;
	return norm_sf((dir * (u - mean) - 0.5) / sqrt(var));
}

/* P(X >= k), X ~ Binomial(n, p) */
static double binom_sf(double k, double n, double p)
{
	double s = 0, mu, sd;

	if (k <= 0)
		return 1;
	if (k > n)
		return 0;
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	if (n <= EXACT_BINOM_MAX_N) {
		double lp = log(p), lq = log1p(-p), lgn = lgamma(n + 1);

		for (double i = k; i <= n; i++)
			s += exp(lgn - lgamma(i + 1) - lgamma(n - i + 1) + i * lp + (n - i) * lq);
		return fmin(s, 1);
	}
	mu = n * p;
	sd = sqrt(n * p * (1 - p));
	return norm_sf((k - 0.5 - mu) / sd);
}

/*
 * Counts k_a over exposure e_a and k_b over e_b: p-value of "b's rate is
 * higher" (dir +1) or lower (dir -1), conditional on the total.
 */
static double rate_test(double k_a, double e_a, double k_b, double e_b, int dir)
{
	double n = k_a + k_b, p;

	if (!(e_a > 0) || !(e_b > 0) || !isfinite(n))
		return NAN;
	p = e_b / (e_a + e_b);
	if (dir > 0)
		return binom_sf(k_b, n, p);
	/* P(X <= k_b) = P(n - X >= n - k_b), n - X ~ Binomial(n, 1 - p) */
	return binom_sf(n - k_b, n, 1 - p);
}

/*
 * p99 beyond bucket resolution: base's p99 lies somewhere in its bucket k, so
 * only calls from bucket k+2 up are surely slower than it by 2x or more. The
 * fraction of calls there, base against new, by a one-sided two-proportion
 * test: a p99 that moved within its bucket, or to the next, cannot pass it.
 */
static double tail_test(const struct hist *a, const struct hist *b, double q_ns)
{
	double na = (double)hist_count(a), nb = (double)hist_count(b), ta = 0, tb = 0, p, se;
	unsigned k = 0;

	if (na == 0 || nb == 0 || !isfinite(q_ns))
		return NAN;
	while (k + 1 < HIST_BUCKETS && hist_bucket_hi_ns(k) <= q_ns)
		k++;
	for (unsigned i = k + 2; i < HIST_BUCKETS; i++) {
		ta += (double)a->b[i];
		tb += (double)b->b[i];
	}
	p = (ta + tb) / (na + nb);
	if (p <= 0)
		return 1;
	se = sqrt(p * (1 - p) * (1 / na + 1 / nb));
	if (!(se > 0))
		return tb / nb > ta / na ? 0 : 1;
	return norm_sf((tb / nb - ta / na) / se);
}

/* ---- loading --------------------------------------------------------------- */

struct samples {
	double *v;
	unsigned n, cap;
};

static int samples_push(struct samples *s, double v)
{
	if (!isfinite(v))
		return 0;
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 64;
		double *p = realloc(s->v, cap * sizeof(*p));

		if (!p)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

struct sc_agg {
	uint32_t nr;
	uint64_t count, errors;
	struct hist hist;
	uint64_t max_ns;
	int max_known;
	unsigned n_errnos;
	struct errno_count errnos[ST_MAX_ERRNOS_PER_SYSCALL];
	/* one value per interval: errors per call of the entity, p99 (s) */
	struct samples ierr, ip99;
	uint64_t t_count, t_errors;
	struct hist t_hist;
};

struct entity {
	char key[48];
	char label[48];
	char comm[ST_COMM_LEN + 1];
	unsigned stage;
	int matched; /* index + 1 of its match on the other side */
	/* whole run */
	int has_queue;
	double x, lambda, ops, oncpu_s;
	struct wavg w, s, wq;
	struct hist svc, wait;
	int wait_known;
	uint64_t calls, errors;
	struct sc_agg *sc;
	unsigned n_sc, cap_sc;
	/* one value per interval */
	struct samples iw, is, iwq, ix, ierr;
	unsigned unit; /* the unit of work of its ops (summary), 0 if none */
	/* the interval being read */
	int t_q;
	double t_x;
	uint64_t t_calls, t_errors;
	struct wavg t_w, t_s, t_wq;
};

struct pid_ent {
	uint32_t pid;
	unsigned ent;
};

struct side {
	const char *file;
	struct recording_meta meta;
	struct entity *ent;
	unsigned n_ent, cap_ent;
	struct pid_ent *map;
	unsigned n_map;
	uint64_t intervals, lost;
	double span_s;
	/* intervals shorter than half the recording's -i (the last one of a
	 * run, mostly): left out of the per-interval tests, where each interval
	 * weighs alike */
	uint64_t partial;
	double iv_min_s, iv_max_s; /* spans of the intervals that were used */
};

/* An interval this much shorter than the recording's -i is partial. */
#define PARTIAL_FRACTION 0.5
/* Used intervals whose longest is this many times the shortest are uneven. */
#define UNEVEN_RATIO 1.5

static void entity_key(const struct proc_view *p, char *key, size_t n, char *label, size_t ln)
{
	char comm[ST_COMM_LEN + 1];

	memcpy(comm, p->comm, ST_COMM_LEN);
	comm[ST_COMM_LEN] = 0;
	for (char *c = comm; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (p->stage) {
		snprintf(key, n, "stage:%u", p->stage);
		snprintf(label, ln, "stage %u (%s)", p->stage, comm);
	} else {
		snprintf(key, n, "comm:%s", comm);
		snprintf(label, ln, "%s", comm);
	}
}

static struct entity *side_entity(struct side *s, const char *key, const char *label,
				  unsigned stage, unsigned *idx)
{
	for (unsigned i = 0; i < s->n_ent; i++)
		if (!strcmp(s->ent[i].key, key)) {
			*idx = i;
			return &s->ent[i];
		}
	if (s->n_ent == s->cap_ent) {
		unsigned cap = s->cap_ent ? s->cap_ent * 2 : 16;
		struct entity *p = realloc(s->ent, cap * sizeof(*p));

		if (!p)
			return NULL;
		s->ent = p;
		s->cap_ent = cap;
	}
	*idx = s->n_ent;
	memset(&s->ent[s->n_ent], 0, sizeof(s->ent[0]));
	snprintf(s->ent[s->n_ent].key, sizeof(s->ent[0].key), "%s", key);
	snprintf(s->ent[s->n_ent].label, sizeof(s->ent[0].label), "%s", label);
	s->ent[s->n_ent].stage = stage;
	s->ent[s->n_ent].matched = 0;
	s->ent[s->n_ent].wait_known = 1;
	return &s->ent[s->n_ent++];
}

static int entity_add_syscall(struct entity *e, const struct syscall_row *r)
{
	struct sc_agg *a = NULL;

	for (unsigned i = 0; i < e->n_sc; i++)
		if (e->sc[i].nr == r->nr)
			a = &e->sc[i];
	if (!a) {
		if (e->n_sc == e->cap_sc) {
			unsigned cap = e->cap_sc ? e->cap_sc * 2 : 16;
			struct sc_agg *p = realloc(e->sc, cap * sizeof(*p));

			if (!p)
				return -1;
			e->sc = p;
			e->cap_sc = cap;
		}
		a = &e->sc[e->n_sc++];
		memset(a, 0, sizeof(*a));
		a->nr = r->nr;
		a->max_known = 1;
	}
	a->count += r->count;
	a->errors += r->errors;
	hist_add(&a->hist, &r->hist);
	if (r->max_ns > a->max_ns)
		a->max_ns = r->max_ns;
	a->max_known &= r->max_known != 0;
	for (unsigned i = 0; i < r->n_errnos && i < ST_MAX_ERRNOS_PER_SYSCALL; i++) {
		unsigned j;

		for (j = 0; j < a->n_errnos; j++)
			if (a->errnos[j].err == r->errnos[i].err)
				break;
		if (j == a->n_errnos) {
			if (j == ST_MAX_ERRNOS_PER_SYSCALL)
				continue;
			a->errnos[j].err = r->errnos[i].err;
			a->errnos[j].count = 0;
			a->n_errnos++;
		}
		a->errnos[j].count += r->errnos[i].count;
	}
	return 0;
}

static int cmp_sc_nr(const void *a, const void *b)
{
	const struct sc_agg *x = a, *y = b;

	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int cmp_map(const void *a, const void *b)
{
	const struct pid_ent *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int side_from_summary(struct side *s, const struct snapshot *sum)
{
	s->span_s = sum->span_s;
	s->lost = lost_total(&sum->lost);
	s->map = calloc(sum->n_procs ? sum->n_procs : 1, sizeof(*s->map));
	if (!s->map)
		return -1;
	for (unsigned i = 0; i < sum->n_procs; i++) {
		const struct proc_view *p = &sum->procs[i];
		char key[48], label[48];
		unsigned idx;
		struct entity *e;

		entity_key(p, key, sizeof(key), label, sizeof(label));
		e = side_entity(s, key, label, p->stage, &idx);
		if (!e)
			return -1;
		if (!e->comm[0]) {
			memcpy(e->comm, p->comm, ST_COMM_LEN);
			e->comm[ST_COMM_LEN] = 0;
		}
		s->map[s->n_map++] = (struct pid_ent){p->pid, idx};
		e->oncpu_s += isfinite(p->oncpu_s) ? p->oncpu_s : 0;
		for (unsigned j = 0; j < p->n_syscalls; j++) {
			e->calls += p->syscalls[j].count;
			e->errors += p->syscalls[j].errors;
			if (entity_add_syscall(e, &p->syscalls[j]))
				return -1;
		}
		hist_add(&e->svc, &p->svc_hist);
		if (p->has_queue) {
			const struct queue_figures *q = &p->queue;
			double x = isfinite(q->throughput) ? q->throughput : 0;

			e->has_queue = 1;
			/* processes of one entity with different units: mixed */
			{
				unsigned u = p->msgs_known ? p->unit : ST_UNIT_RECEIVE;

				e->unit = !e->unit || e->unit == u ? u : ST_UNIT_MIXED;
			}
			e->x += x;
			e->lambda += isfinite(q->arrival_rate) ? q->arrival_rate : 0;
			e->ops += x * sum->span_s;
			wavg_add(&e->w, q->response_s, x);
			wavg_add(&e->s, q->service_time_s, x);
			wavg_add(&e->wq, q->wait_s, x);
			if (p->wait_hist_known)
				hist_add(&e->wait, &p->wait_hist);
			else
				e->wait_known = 0;
		}
	}
	qsort(s->map, s->n_map, sizeof(*s->map), cmp_map);
	for (unsigned i = 0; i < s->n_ent; i++)
		if (s->ent[i].n_sc)
			qsort(s->ent[i].sc, s->ent[i].n_sc, sizeof(struct sc_agg), cmp_sc_nr);
	return 0;
}

/* the fewest calls in an interval for its p99 to be more than its maximum */
#define MIN_CALLS_INTERVAL_P99 50

static int side_interval(struct side *s, const struct snapshot *iv)
{
	for (unsigned i = 0; i < s->n_ent; i++) {
		struct entity *e = &s->ent[i];

		e->t_q = 0;
		e->t_x = 0;
		e->t_calls = e->t_errors = 0;
		e->t_w = e->t_s = e->t_wq = (struct wavg){0, 0};
		for (unsigned j = 0; j < e->n_sc; j++) {
			e->sc[j].t_count = e->sc[j].t_errors = 0;
			memset(&e->sc[j].t_hist, 0, sizeof(struct hist));
		}
	}
	for (unsigned i = 0; i < iv->n_procs; i++) {
		const struct proc_view *p = &iv->procs[i];
		struct pid_ent k = {p->pid, 0}, *m;
		struct entity *e;
		double x;

		m = bsearch(&k, s->map, s->n_map, sizeof(*s->map), cmp_map);
		if (!m)
			continue; /* not in the summary: nothing to compare it with */
		e = &s->ent[m->ent];
		for (unsigned j = 0; j < p->n_syscalls; j++) {
			const struct syscall_row *r = &p->syscalls[j];
			struct sc_agg key = {.nr = r->nr}, *a;

			e->t_calls += r->count;
			e->t_errors += r->errors;
			a = e->n_sc ? bsearch(&key, e->sc, e->n_sc, sizeof(*e->sc), cmp_sc_nr)
				    : NULL;
			if (!a)
				continue;
			a->t_count += r->count;
			a->t_errors += r->errors;
			hist_add(&a->t_hist, &r->hist);
		}
		if (!p->has_queue)
			continue;
		x = isfinite(p->queue.throughput) ? p->queue.throughput : 0;
		e->t_q = 1;
		e->t_x += x;
		wavg_add(&e->t_w, p->queue.response_s, x);
		wavg_add(&e->t_s, p->queue.service_time_s, x);
		wavg_add(&e->t_wq, p->queue.wait_s, x);
	}
	for (unsigned i = 0; i < s->n_ent; i++) {
		struct entity *e = &s->ent[i];

		if (e->t_calls) {
			double c = (double)e->t_calls;

			if (samples_push(&e->ierr, (double)e->t_errors / c))
				return -1;
			for (unsigned j = 0; j < e->n_sc; j++) {
				struct sc_agg *a = &e->sc[j];

				if (samples_push(&a->ierr, (double)a->t_errors / c))
					return -1;
				if (a->t_count >= MIN_CALLS_INTERVAL_P99 &&
				    samples_push(&a->ip99,
						 hist_quantile_ns(&a->t_hist, 0.99, 0) / 1e9))
					return -1;
			}
		}
		if (!e->t_q)
			continue;
		if (samples_push(&e->ix, e->t_x) || samples_push(&e->iw, wavg_get(&e->t_w)) ||
		    samples_push(&e->is, wavg_get(&e->t_s)) ||
		    samples_push(&e->iwq, wavg_get(&e->t_wq)))
			return -1;
	}
	return 0;
}

static void side_free(struct side *s)
{
	for (unsigned i = 0; i < s->n_ent; i++) {
		struct entity *e = &s->ent[i];

		for (unsigned j = 0; j < e->n_sc; j++) {
			free(e->sc[j].ierr.v);
			free(e->sc[j].ip99.v);
		}
		free(e->sc);
		free(e->ierr.v);
		free(e->iw.v);
		free(e->is.v);
		free(e->iwq.v);
		free(e->ix.v);
	}
	free(s->ent);
	free(s->map);
}

/* Read one recording into @s; -1 with the reason on @err. */
static int side_load(struct side *s, const char *file, FILE *err)
{
	struct recording *rec;
	struct snapshot snap, sum = {0};
	char e[256];
	int r, have_sum = 0;

	memset(s, 0, sizeof(*s));
	s->file = file;
	/* pass 1: the summary defines what is compared */
	rec = recording_open(file, &s->meta, e, sizeof(e));
	if (!rec) {
		fprintf(err, "streamtrace: %s: %s\n", file, e);
		return -1;
	}
	while ((r = recording_next(rec, &snap)) == 1) {
		if (snap.is_summary) {
			snapshot_free(&sum);
			sum = snap;
			have_sum = 1;
		} else {
			s->intervals++;
			snapshot_free(&snap);
		}
	}
	if (r < 0 || recording_truncated(rec)) {
		fprintf(err, "streamtrace: %s: %s%s\n", file, recording_error(rec),
			r < 0 ? "" : "; diff needs whole recordings");
		recording_close(rec);
		snapshot_free(&sum);
		return -1;
	}
	recording_close(rec);
	if (!have_sum) {
		fprintf(err, "streamtrace: %s: the recording has no summary\n", file);
		return -1;
	}
	r = side_from_summary(s, &sum);
	snapshot_free(&sum);
	if (r) {
		fprintf(err, "streamtrace: out of memory\n");
		return -1;
	}
	/* pass 2: one value per interval */
	rec = recording_open(file, &s->meta, e, sizeof(e));
	if (!rec) {
		fprintf(err, "streamtrace: %s: %s\n", file, e);
		return -1;
	}
	while ((r = recording_next(rec, &snap)) == 1) {
		int bad = 0;

		if (!snap.is_summary) {
			double want = s->meta.interval_s;

			if (isfinite(want) && want > 0 && snap.span_s < PARTIAL_FRACTION * want) {
				s->partial++;
			} else {
				bad = side_interval(s, &snap);
				if (!s->iv_min_s || snap.span_s < s->iv_min_s)
					s->iv_min_s = snap.span_s;
				if (snap.span_s > s->iv_max_s)
					s->iv_max_s = snap.span_s;
			}
		}

		snapshot_free(&snap);
		if (bad) {
			fprintf(err, "streamtrace: out of memory\n");
			recording_close(rec);
			return -1;
		}
	}
	recording_close(rec);
	if (r < 0) {
		fprintf(err, "streamtrace: %s: %s\n", file, recording_error(rec));
		return -1;
	}
	return 0;
}

/* ---- rows ------------------------------------------------------------------ */

enum verdict {
	V_NA = 0,
	V_INFO,
	V_OK,
	V_NOISE,
	V_IMPROVED,
	V_REGRESSED,
};

static const char *const verdict_names[] = {
	[V_NA] = "n/a",	     [V_INFO] = "info",		[V_OK] = "ok",
	[V_NOISE] = "noise", [V_IMPROVED] = "improved", [V_REGRESSED] = "regressed",
};

enum unit {
	U_TIME,
	U_RATE,
	U_COUNT,
	U_TIME_PER_OP,
};

struct row {
	char entity[48];
	unsigned stage;
	enum diff_metric m;
	char what[48];	    /* "response time", "p99 read", "errors: close" */
	char key[40];	    /* JSON metric key */
	char syscall[32];   /* "" if none */
	double base, new_v; /* shown */
	enum unit unit;
	double jb, jn, abs_scale; /* judged: values and the factor to the abs threshold's unit */
	const char *test;
	double p;
	int untested;
	enum verdict v;
	int core; /* always in the table */
	char note[96];
};

struct rows {
	struct row *r;
	unsigned n, cap;
};

static struct row *row_new(struct rows *rs, const struct entity *e, enum diff_metric m,
			   const char *what, const char *key)
{
	struct row *r;

	if (rs->n == rs->cap) {
		unsigned cap = rs->cap ? rs->cap * 2 : 32;
		struct row *p = realloc(rs->r, cap * sizeof(*p));

		if (!p)
			return NULL;
		rs->r = p;
		rs->cap = cap;
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->entity, sizeof(r->entity), "%s", e->label);
	r->stage = e->stage;
	r->m = m;
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->p = NAN;
	r->abs_scale = 1;
	r->test = "none";
	return r;
}

/* The verdict from the values judged, the threshold and the test. */
static void judge(struct row *r, const struct diff_options *o)
{
	const struct diff_threshold *t = &o->th[r->m];
	int dir = metric_dir[r->m];
	double worse, rel;
	int beyond, better, sig;

	if (!isfinite(r->jb) || !isfinite(r->jn)) {
		r->v = V_NA;
		return;
	}
	worse = dir * (r->jn - r->jb);
	rel = r->jb != 0 ? worse / fabs(r->jb) : worse > 0 ? INFINITY : worse < 0 ? -INFINITY : 0;
	beyond = worse > 0 && (t->rel <= 0 || rel > t->rel) && worse * r->abs_scale > t->abs;
	better = worse < 0 && (t->rel <= 0 || -rel > t->rel) && -worse * r->abs_scale > t->abs;
	/* each test ran in the direction the value moved, so p fits either case */
	sig = r->untested || (isfinite(r->p) && r->p < o->alpha);
	if (!t->enabled)
		r->v = V_INFO;
	else if (beyond)
		r->v = sig ? V_REGRESSED : V_NOISE;
	else if (better)
		r->v = sig ? V_IMPROVED : V_OK;
	else
		r->v = V_OK;
}

static void fmt_value(double v, enum unit u, char *b, size_t n)
{
	double a = fabs(v);

	if (!isfinite(v)) {
		snprintf(b, n, "-");
		return;
	}
	switch (u) {
	case U_TIME:
	case U_TIME_PER_OP:
		if (a == 0)
			snprintf(b, n, "0 s");
		else if (a < 1e-6)
			snprintf(b, n, "%.3g ns", v * 1e9);
		else if (a < 1e-3)
			snprintf(b, n, "%.3g us", v * 1e6);
		else if (a < 1)
			snprintf(b, n, "%.3g ms", v * 1e3);
		else
			snprintf(b, n, "%.3g s", v);
		if (u == U_TIME_PER_OP && strlen(b) + 3 < n)
			strcat(b, "/op");
		return;
	case U_RATE:
		snprintf(b, n, a >= 100 ? "%.0f/s" : "%.3g/s", v);
		return;
	case U_COUNT:
		snprintf(b, n, "%.0f", v);
		return;
	}
}

static void fmt_change(const struct row *r, char *b, size_t n)
{
	if (!isfinite(r->base) || !isfinite(r->new_v))
		snprintf(b, n, "-");
	else if (r->base == 0)
		snprintf(b, n, r->new_v == 0 ? "0%%" : "new");
	else
		snprintf(b, n, "%+.1f%%", 100 * (r->new_v - r->base) / fabs(r->base));
}

static void fmt_threshold(const struct diff_threshold *t, enum diff_metric m, enum unit u, char *b,
			  size_t n)
{
	char a[32];
	int dir = metric_dir[m];
	size_t l = 0;

	b[0] = 0;
	if (t->rel > 0)
		l += (size_t)snprintf(b, n, "%c%.0f%%", dir > 0 ? '+' : '-', 100 * t->rel);
	if (t->abs > 0 && l < n) {
		fmt_value(t->abs, u == U_TIME_PER_OP ? U_TIME : u, a, sizeof(a));
		snprintf(b + l, n - l, "%s%c%s", l ? " and " : "", dir > 0 ? '+' : '-', a);
	}
	if (!b[0])
		snprintf(b, n, "any");
}

/* Both tests must reject: the larger p-value; an absent test (NaN) does not count. */
static double both(double p1, double p2)
{
	if (!isfinite(p1))
		return p2;
	if (!isfinite(p2))
		return p1;
	return fmax(p1, p2);
}

static int enough(const struct samples *a, const struct samples *b)
{
	return a->n >= MIN_INTERVALS && b->n >= MIN_INTERVALS;
}

/* the direction the judged value moved, for a one-sided test that way */
#define UP(r) ((r)->jn >= (r)->jb ? 1 : -1)

/* Per-entity rows: the queue metrics, CPU, errors, and the busy syscalls' p99. */
static int entity_rows(struct rows *rs, const struct entity *b, const struct entity *n,
		       const struct diff_options *o)
{
	struct row *r;
	int both_q = b->has_queue && n->has_queue;
	double cb = (double)b->calls, cn = (double)n->calls;

	if (both_q) {
		/* response */
		r = row_new(rs, b, DIFF_RESPONSE, "response time", "response_s");
		if (!r)
			return -1;
		r->unit = U_TIME;
		r->core = 1;
		r->base = r->jb = wavg_get(&b->w);
		r->new_v = r->jn = wavg_get(&n->w);
		if (b->iw.n >= MIN_INTERVALS && n->iw.n >= MIN_INTERVALS) {
			r->test = "mann-whitney over intervals";
			r->p = mwu_samples(b->iw.v, b->iw.n, n->iw.v, n->iw.n, UP(r));
		} else {
			r->untested = 1;
			r->test = "none (too few intervals)";
		}
		judge(r, o);

		/* service */
		r = row_new(rs, b, DIFF_SERVICE, "service time", "service_time_s");
		if (!r)
			return -1;
		r->unit = U_TIME;
		r->core = 1;
		r->base = r->jb = wavg_get(&b->s);
		r->new_v = r->jn = wavg_get(&n->s);
		if (hist_count(&b->svc) >= MIN_HIST_SAMPLES &&
		    hist_count(&n->svc) >= MIN_HIST_SAMPLES) {
			/* per-op samples are many but not independent: intervals must agree */
			r->test = enough(&b->is, &n->is)
					  ? "mann-whitney over per-op histograms and over intervals"
					  : "mann-whitney over per-op histograms";
			r->p = mwu_hist(&b->svc, &n->svc, UP(r));
			if (enough(&b->is, &n->is))
				r->p = both(r->p,
					    mwu_samples(b->is.v, b->is.n, n->is.v, n->is.n, UP(r)));
		} else if (b->is.n >= MIN_INTERVALS && n->is.n >= MIN_INTERVALS) {
			r->test = "mann-whitney over intervals";
			r->p = mwu_samples(b->is.v, b->is.n, n->is.v, n->is.n, UP(r));
		} else {
			r->untested = 1;
			r->test = "none (too few intervals)";
		}
		judge(r, o);

		/* wait */
		r = row_new(rs, b, DIFF_WAIT, "queue wait", "wait_s");
		if (!r)
			return -1;
		r->unit = U_TIME;
		r->core = 1;
		r->base = r->jb = wavg_get(&b->wq);
		r->new_v = r->jn = wavg_get(&n->wq);
		if (b->iwq.n >= MIN_INTERVALS && n->iwq.n >= MIN_INTERVALS) {
			r->test = "mann-whitney over intervals";
			r->p = mwu_samples(b->iwq.v, b->iwq.n, n->iwq.v, n->iwq.n, UP(r));
		} else {
			r->untested = 1;
			r->test = "none (too few intervals)";
		}
		judge(r, o);

		/* throughput */
		r = row_new(rs, b, DIFF_THROUGHPUT, "throughput", "throughput");
		if (!r)
			return -1;
		r->unit = U_RATE;
		r->core = 1;
		r->base = r->jb = b->x;
		r->new_v = r->jn = n->x;
		if (b->ix.n >= MIN_INTERVALS && n->ix.n >= MIN_INTERVALS) {
			r->test = "mann-whitney over intervals";
			r->p = mwu_samples(b->ix.v, b->ix.n, n->ix.v, n->ix.n, UP(r));
		} else {
			r->test = "binomial on op counts";
			r->p = rate_test(b->ops, b->ops / fmax(b->x, 1e-300), n->ops,
					 n->ops / fmax(n->x, 1e-300), UP(r));
			if (!isfinite(r->p))
				r->untested = 1;
		}
		judge(r, o);
	}

	/* cpu: per op where both have a queue, else the total */
	r = row_new(rs, b, DIFF_CPU, both_q ? "CPU per op" : "CPU time", "cpu_s");
	if (!r)
		return -1;
	r->core = 1;
	r->unit = both_q ? U_TIME_PER_OP : U_TIME;
	r->base = r->jb = both_q ? (b->ops > 0 ? b->oncpu_s / b->ops : NAN) : b->oncpu_s;
	r->new_v = r->jn = both_q ? (n->ops > 0 ? n->oncpu_s / n->ops : NAN) : n->oncpu_s;
	r->untested = 1;
	r->test = "none (one value a run)";
	judge(r, o);

	/* errors in all: per call of the process, shown as counts */
	if (b->errors || n->errors) {
		r = row_new(rs, b, DIFF_ERRORS, "syscall errors", "errors");
		if (!r)
			return -1;
		r->core = 1;
		r->unit = U_COUNT;
		r->base = (double)b->errors;
		r->new_v = (double)n->errors;
		r->jb = cb > 0 ? (double)b->errors / cb : NAN;
		r->jn = cn > 0 ? (double)n->errors / cn : NAN;
		r->abs_scale = cb;
		r->test = "binomial on error counts per call";
		r->p = rate_test((double)b->errors, cb, (double)n->errors, cn, UP(r));
		if (enough(&b->ierr, &n->ierr)) {
			/* counts vary more between runs than a binomial says: intervals too */
			r->test = "binomial on error counts and mann-whitney over intervals";
			r->p = both(r->p,
				    mwu_samples(b->ierr.v, b->ierr.n, n->ierr.v, n->ierr.n, UP(r)));
		}
		judge(r, o);
	}

	/* per syscall: errors where there were any, p99 where both are busy */
	for (unsigned i = 0; i < b->n_sc + n->n_sc; i++) {
		const struct sc_agg *sb = NULL, *sn = NULL;
		const char *name;
		char nbuf[24], what[48];
		uint32_t nr;

		if (i < b->n_sc) {
			nr = b->sc[i].nr;
			sb = &b->sc[i];
		} else {
			nr = n->sc[i - b->n_sc].nr;
			for (unsigned j = 0; j < b->n_sc; j++)
				if (b->sc[j].nr == nr)
					nr = UINT32_MAX; /* already done from base */
			if (nr == UINT32_MAX)
				continue;
		}
		for (unsigned j = 0; j < n->n_sc; j++)
			if (n->sc[j].nr == nr)
				sn = &n->sc[j];
		name = syscall_name(nr);
		if (!name) {
			snprintf(nbuf, sizeof(nbuf), "syscall_%u", nr);
			name = nbuf;
		}
		if ((sb && sb->errors) || (sn && sn->errors)) {
			double eb = sb ? (double)sb->errors : 0, en = sn ? (double)sn->errors : 0;

			snprintf(what, sizeof(what), "errors: %s", name);
			r = row_new(rs, b, DIFF_ERRORS, what, "errors");
			if (!r)
				return -1;
			snprintf(r->syscall, sizeof(r->syscall), "%s", name);
			r->unit = U_COUNT;
			r->base = eb;
			r->new_v = en;
			r->jb = cb > 0 ? eb / cb : NAN;
			r->jn = cn > 0 ? en / cn : NAN;
			r->abs_scale = cb;
			r->test = "binomial on error counts per call";
			r->p = rate_test(eb, cb, en, cn, UP(r));
			if (sb && sn && enough(&sb->ierr, &sn->ierr)) {
				r->test =
					"binomial on error counts and mann-whitney over intervals";
				r->p = both(r->p, mwu_samples(sb->ierr.v, sb->ierr.n, sn->ierr.v,
							      sn->ierr.n, UP(r)));
			}
			judge(r, o);
			/* name the errno that grew most */
			if (sn) {
				const struct errno_count *top = NULL;
				long long grow = 0;

				for (unsigned k = 0; k < sn->n_errnos; k++) {
					long long was = 0, d;

					for (unsigned q = 0; sb && q < sb->n_errnos; q++)
						if (sb->errnos[q].err == sn->errnos[k].err)
							was = (long long)sb->errnos[q].count;
					d = (long long)sn->errnos[k].count - was;
					if (d > grow) {
						grow = d;
						top = &sn->errnos[k];
					}
				}
				if (top) {
					char eb2[32];

					snprintf(r->note, sizeof(r->note), "%s %+lld",
						 errno_name(top->err, eb2, sizeof(eb2)), grow);
				}
			}
		}
		if (sb && sn) {
			double mb = sb->max_known ? (double)sb->max_ns : 0;
			double mn = sn->max_known ? (double)sn->max_ns : 0;
			double qb = hist_quantile_ns(&sb->hist, 0.99, mb);
			double qn = hist_quantile_ns(&sn->hist, 0.99, mn);

			snprintf(what, sizeof(what), "p99 %s", name);
			r = row_new(rs, b, DIFF_P99, what, "syscall_p99_s");
			if (!r)
				return -1;
			snprintf(r->syscall, sizeof(r->syscall), "%s", name);
			r->unit = U_TIME;
			r->base = r->jb = qb / 1e9;
			r->new_v = r->jn = qn / 1e9;
			if (sb->count >= MIN_P99_CALLS && sn->count >= MIN_P99_CALLS) {
				r->test = "tail beyond base p99 bucket";
				r->p = tail_test(&sb->hist, &sn->hist, qb);
				if (enough(&sb->ip99, &sn->ip99)) {
					r->test =
						"tail beyond base p99 bucket and mann-whitney over "
						"interval p99s";
					r->p = both(r->p,
						    mwu_samples(sb->ip99.v, sb->ip99.n, sn->ip99.v,
								sn->ip99.n, UP(r)));
				}
				judge(r, o);
			} else {
				r->test = "none (too few calls)";
				r->v = V_NA;
			}
		}
	}
	return 0;
}

/* The rows the table shows: core metrics, anything beyond a threshold, the busiest syscalls. */
static void mark_shown(struct rows *rs, const struct side *bs, int *shown)
{
	for (unsigned i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];

		shown[i] = r->core || r->v == V_REGRESSED || r->v == V_IMPROVED || r->v == V_NOISE;
		if (shown[i] || !r->syscall[0])
			continue;
		/* one of the entity's TOP_SYSCALLS busiest (p99) or most failing (errors) */
		for (unsigned e = 0; e < bs->n_ent; e++) {
			const struct entity *ent = &bs->ent[e];
			unsigned better = 0;
			uint64_t mine = 0;

			if (strcmp(ent->label, r->entity))
				continue;
			for (unsigned j = 0; j < ent->n_sc; j++) {
				const char *nm = syscall_name(ent->sc[j].nr);
				char nb[24];

				if (!nm) {
					snprintf(nb, sizeof(nb), "syscall_%u", ent->sc[j].nr);
					nm = nb;
				}
				if (!strcmp(nm, r->syscall))
					mine = r->m == DIFF_P99 ? ent->sc[j].count
								: ent->sc[j].errors;
			}
			for (unsigned j = 0; j < ent->n_sc; j++)
				better += (r->m == DIFF_P99 ? ent->sc[j].count
							    : ent->sc[j].errors) > mine;
			shown[i] = mine > 0 && better < TOP_SYSCALLS && r->v != V_NA;
		}
	}
}

static void side_line(FILE *f, const char *tag, const struct side *s)
{
	time_t t = 0;
	struct tm tm;
	char when[40] = "?";

	if (isfinite(s->meta.start_time) && s->meta.start_time > 0 && s->meta.start_time < 1e11 &&
	    (t = (time_t)s->meta.start_time) && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "  %-4s %s  (%.40s, %s, %.1f s, %llu intervals)\n", tag, s->file, s->meta.host,
		when, s->span_s, (unsigned long long)s->intervals);
}

static void print_table(FILE *f, const struct side *bs, const struct side *ns, struct rows *rs,
			const struct diff_options *o)
{
	int *shown = calloc(rs->n ? rs->n : 1, sizeof(*shown));
	unsigned hidden = 0;

	fputs("streamtrace diff\n", f);
	side_line(f, "base", bs);
	side_line(f, "new", ns);
	fputc('\n', f);
	fprintf(f, "%-20s %-21s %10s %10s %8s  %s\n", "PROCESS", "METRIC", "BASE", "NEW", "CHANGE",
		"VERDICT");
	if (shown)
		mark_shown(rs, bs, shown);
	for (unsigned i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];
		char vb[24], vn[24], ch[24], th[48];

		if (!o->all_rows && shown && !shown[i]) {
			hidden++;
			continue;
		}
		fmt_value(r->base, r->unit, vb, sizeof(vb));
		fmt_value(r->new_v, r->unit, vn, sizeof(vn));
		fmt_change(r, ch, sizeof(ch));
		fprintf(f, "%-20.20s %-21.21s %10s %10s %8s  ", r->entity, r->what, vb, vn, ch);
		fmt_threshold(&o->th[r->m], r->m, r->unit, th, sizeof(th));
		switch (r->v) {
		case V_REGRESSED:
			fprintf(f, "REGRESSED (beyond %s", th);
			if (r->untested)
				fputs(", untested", f);
			else if (r->p < 1e-12)
				fputs(", p<1e-12", f);
			else
				fprintf(f, ", p=%.2g", r->p);
			fputc(')', f);
			break;
		case V_NOISE:
			fprintf(f, "noise (beyond %s, but p=%.2g)", th, r->p);
			break;
		case V_IMPROVED:
			fputs("improved", f);
			break;
		case V_OK:
			fputs("ok", f);
			break;
		case V_INFO:
			fputs("-", f);
			break;
		case V_NA:
			fputs("n/a", f);
			break;
		}
		if (r->note[0])
			fprintf(f, " %s", r->note);
		fputc('\n', f);
	}
	if (hidden)
		fprintf(f, "(%u more rows within their thresholds; --all shows them)\n", hidden);
	free(shown);
}

static void json_side(struct jw *w, const char *k, const struct side *s)
{
	jw_key(w, k);
	jw_obj_begin(w);
	jw_kstr(w, "file", s->file);
	jw_key(w, "host");
	jw_strn(w, s->meta.host, sizeof(s->meta.host));
	jw_key(w, "command");
	jw_strn(w, s->meta.cmdline, sizeof(s->meta.cmdline));
	jw_key(w, "version");
	jw_strn(w, s->meta.version, sizeof(s->meta.version));
	jw_knum(w, "start_time", s->meta.start_time);
	jw_knum(w, "span_s", s->span_s);
	jw_ku64(w, "intervals", s->intervals);
	jw_ku64(w, "lost_events", s->lost);
	jw_obj_end(w);
}

static void print_json(FILE *f, const struct side *bs, const struct side *ns, struct rows *rs,
		       const struct diff_options *o, int status, const struct diff_services *ds)
{
	struct jw w;
	char name[160];

	jw_init(&w, f);
	jw_obj_begin(&w);
	jw_kstr(&w, "type", "diff");
	json_side(&w, "base", bs);
	json_side(&w, "new", ns);
	jw_knum(&w, "alpha", o->alpha);
	jw_key(&w, "thresholds");
	jw_obj_begin(&w);
	for (unsigned m = 0; m < DIFF__MAX; m++) {
		jw_key(&w, metric_names[m]);
		if (!o->th[m].enabled) {
			jw_null(&w);
			continue;
		}
		jw_obj_begin(&w);
		jw_knum(&w, "rel", metric_dir[m] * o->th[m].rel);
		jw_knum(&w, "abs", metric_dir[m] * o->th[m].abs);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	jw_key(&w, "rows");
	jw_arr_begin(&w);
	for (unsigned i = 0; i < rs->n; i++) {
		const struct row *r = &rs->r[i];

		jw_obj_begin(&w);
		jw_kstr(&w, "process", r->entity);
		if (r->stage)
			jw_ku64(&w, "stage", r->stage);
		else
			jw_knull(&w, "stage");
		jw_kstr(&w, "metric", r->key);
		jw_kstr(&w, "threshold_metric", metric_names[r->m]);
		if (r->syscall[0])
			jw_kstr(&w, "syscall", r->syscall);
		else
			jw_knull(&w, "syscall");
		jw_knum(&w, "base", r->base);
		jw_knum(&w, "new", r->new_v);
		jw_knum(&w, "change", r->base != 0 ? (r->new_v - r->base) / fabs(r->base) : NAN);
		jw_kstr(&w, "test", r->test);
		jw_knum(&w, "p_value", r->p);
		jw_kstr(&w, "verdict", verdict_names[r->v]);
		if (r->note[0])
			jw_kstr(&w, "note", r->note);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "regressions");
	jw_arr_begin(&w);
	for (unsigned i = 0; i < rs->n; i++)
		if (rs->r[i].v == V_REGRESSED) {
			snprintf(name, sizeof(name), "%s %s", rs->r[i].entity, rs->r[i].what);
			jw_str(&w, name);
		}
	jw_arr_end(&w);
	diff_services_json(&w, ds);
	jw_ku64(&w, "status", (uint64_t)status);
	jw_obj_end(&w);
	fputc('\n', f);
}

int diff_main(const char *base, const char *new_file, const struct diff_options *o)
{
	FILE *out = o->out ? o->out : stdout, *err = o->err ? o->err : stderr;
	struct side bs, ns;
	struct rows rs = {0};
	unsigned matched = 0, regressed = 0, few = 0;
	int status = 0;
	struct diff_services *ds = NULL;

	if (side_load(&bs, base, err)) {
		side_free(&bs);
		return 2;
	}
	if (side_load(&ns, new_file, err)) {
		side_free(&bs);
		side_free(&ns);
		return 2;
	}
	/* by key (stage, else command name); then a stage left over by its command
	 * name, when the pipeline was numbered differently in the other run */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < bs.n_ent; i++)
			for (unsigned j = 0; j < ns.n_ent && !bs.ent[i].matched; j++) {
				struct entity *b = &bs.ent[i], *n = &ns.ent[j];

				if (n->matched || (pass == 0 && strcmp(b->key, n->key)) ||
				    (pass == 1 &&
				     (!b->stage || !n->stage || strcmp(b->comm, n->comm))))
					continue;
				b->matched = (int)j + 1;
				n->matched = (int)i + 1;
			}
	for (unsigned i = 0; i < bs.n_ent; i++) {
		const struct entity *b = &bs.ent[i], *n;

		if (!b->matched)
			continue;
		n = &ns.ent[b->matched - 1];
		matched++;
		if (b->has_queue && (b->iw.n < MIN_INTERVALS || n->iw.n < MIN_INTERVALS))
			few = 1;
		if (entity_rows(&rs, b, n, o)) {
			fprintf(err, "streamtrace: out of memory\n");
			status = 2;
			goto out;
		}
	}
	if (!matched) {
		fprintf(err,
			"streamtrace: %s and %s have no process in common (matched by pipeline "
			"stage, else by command name)\n",
			base, new_file);
		status = 2;
		goto out;
	}
	for (unsigned i = 0; i < rs.n; i++)
		regressed += rs.r[i].v == V_REGRESSED;
	/* --services in both runs: each service compared as one station */
	ds = diff_services_compare(base, new_file, o);
	status = regressed || diff_services_regressed(ds) ? 1 : 0;
	if (o->json) {
		print_json(out, &bs, &ns, &rs, o, status, ds);
		goto out;
	}
	print_table(out, &bs, &ns, &rs, o);
	diff_services_table(out, ds, o);
	for (unsigned i = 0; i < bs.n_ent; i++)
		if (!bs.ent[i].matched)
			fprintf(out, "only in base: %s\n", bs.ent[i].label);
	for (unsigned j = 0; j < ns.n_ent; j++)
		if (!ns.ent[j].matched)
			fprintf(out, "only in new: %s\n", ns.ent[j].label);
	if (bs.lost || ns.lost)
		fprintf(out, "note: events were lost (base %llu, new %llu): counts may be low\n",
			(unsigned long long)bs.lost, (unsigned long long)ns.lost);
	/* per op figures of different units of work (a recording from before
	 * messages were counted, say) compare receives with messages */
	for (unsigned i = 0; i < bs.n_ent; i++) {
		const struct entity *b = &bs.ent[i], *n;

		if (!b->matched || !b->unit)
			continue;
		n = &ns.ent[b->matched - 1];
		if (n->unit && n->unit != b->unit)
			fprintf(out,
				"note: %s: one op is a %s in base and a %s in new: throughput "
				"and per-op times compare different units\n",
				b->label, unit_name(b->unit), unit_name(n->unit));
	}
	if (bs.partial || ns.partial)
		fprintf(out,
			"note: partial intervals (shorter than half of -i) left out of the "
			"per-interval tests: base %llu, new %llu\n",
			(unsigned long long)bs.partial, (unsigned long long)ns.partial);
	for (const struct side *sd = &bs; sd; sd = sd == &bs ? &ns : NULL)
		if (sd->iv_min_s > 0 && sd->iv_max_s > UNEVEN_RATIO * sd->iv_min_s)
			fprintf(out,
				"note: %s has intervals of uneven length (%.3g to %.3g s): the "
				"per-interval tests weigh them alike, so judge with care\n",
				sd == &bs ? "base" : "new", sd->iv_min_s, sd->iv_max_s);
	if (few)
		fprintf(out,
			"note: fewer than %d intervals a run: response and wait are judged on "
			"thresholds alone, throughput on op counts (record with a shorter -i)\n",
			MIN_INTERVALS);
	if (diff_services_regressed(ds))
		fprintf(out, "diff: %u service row%s regressed (above)\n",
			diff_services_regressed(ds), diff_services_regressed(ds) == 1 ? "" : "s");
	if (!regressed && diff_services_regressed(ds)) {
		/* said above */
	} else if (!regressed) {
		fputs("diff: no regression beyond thresholds\n", out);
	} else {
		unsigned k = 0;

		fprintf(out, "diff: %u regression%s:", regressed, regressed == 1 ? "" : "s");
		for (unsigned i = 0; i < rs.n; i++) {
			const struct row *r = &rs.r[i];
			char ch[24], th[48];

			if (r->v != V_REGRESSED)
				continue;
			fmt_change(r, ch, sizeof(ch));
			fmt_threshold(&o->th[r->m], r->m, r->unit, th, sizeof(th));
			fprintf(out, "%s %s %s %s (threshold %s)", k++ ? ";" : "", r->entity,
				r->what, ch, th);
		}
		fputc('\n', out);
	}
out:
	fflush(out);
	diff_services_free(ds);
	free(rs.r);
	side_free(&bs);
	side_free(&ns);
	return status;
}
