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
 * pass, and a real slowdown beyond its threshold fails, named. The tests are
 * in stats.c, the rendering of the rows in diff_out.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "utf8.h"
#include "diff.h"
#include "diff_int.h"
#include "diff_services.h"
#include "profile_out.h"
#include "names.h"
#include "stats.h"

#define MIN_HIST_SAMPLES 30
#define MIN_P99_CALLS	 100

static const char *const metric_names[DIFF__MAX] = {
	[DIFF_RESPONSE] = "response", [DIFF_SERVICE] = "service",
	[DIFF_WAIT] = "wait",	      [DIFF_THROUGHPUT] = "throughput",
	[DIFF_P99] = "p99",	      [DIFF_ERRORS] = "errors",
	[DIFF_CPU] = "cpu",
};

/* the bad direction: +1 when a rise is worse, -1 when a drop is */
const int diff_metric_dir[DIFF__MAX] = {
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
	if (sign && sign != diff_metric_dir[m]) {
		snprintf(err, errlen, "%s regresses when it %s: write %c%s", metric_names[m],
			 diff_metric_dir[m] > 0 ? "rises" : "drops",
			 diff_metric_dir[m] > 0 ? '+' : '-', v);
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

/* ---- loading --------------------------------------------------------------- */

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

/* An interval this much shorter than the recording's -i is partial. */
#define PARTIAL_FRACTION 0.5

static void entity_key(const struct proc_view *p, char *key, size_t n, char *label, size_t ln)
{
	char comm[UTF8_SHOWN_LEN(ST_COMM_LEN)];

	/* as every output shows a name (utf8.h) */
	utf8_shown(p->comm, ST_COMM_LEN, comm, sizeof(comm));
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
	s->steal_share = host_steal_share(sum);
	s->map = calloc(sum->n_procs ? sum->n_procs : 1, sizeof(*s->map));
	if (!s->map)
		return -1;
	for (unsigned i = 0; i < sum->n_procs; i++) {
		const struct proc_view *p = &sum->procs[i];
		char key[64], label[64];
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
	s->steal_share = NAN;
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
	int dir = diff_metric_dir[r->m];
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

static double ent_w(const struct entity *e)
{
	return wavg_get(&e->w);
}

static double ent_s(const struct entity *e)
{
	return wavg_get(&e->s);
}

static double ent_wq(const struct entity *e)
{
	return wavg_get(&e->wq);
}

static double ent_x(const struct entity *e)
{
	return e->x;
}

/*
 * The queue metrics of an entity with a queue on both sides: the whole-run
 * value, its per-interval values (a Mann-Whitney test over intervals when
 * both sides have enough), and, where there is one, a better test: the
 * per-op histogram (service) or the op counts when intervals are too few
 * (throughput).
 */
static const struct queue_metric {
	enum diff_metric m;
	const char *what, *key;
	enum unit unit;
	double (*value)(const struct entity *e);
	size_t intervals; /* offset of its struct samples in struct entity */
	int per_op_hist;  /* the service-time histograms first */
	int op_counts;	  /* a binomial on op counts when intervals are too few */
} queue_metrics[] = {
	{DIFF_RESPONSE, "response time", "response_s", U_TIME, ent_w, offsetof(struct entity, iw),
	 .per_op_hist = 0},
	{DIFF_SERVICE, "service time", "service_time_s", U_TIME, ent_s, offsetof(struct entity, is),
	 .per_op_hist = 1},
	{DIFF_WAIT, "queue wait", "wait_s", U_TIME, ent_wq, offsetof(struct entity, iwq),
	 .per_op_hist = 0},
	{DIFF_THROUGHPUT, "throughput", "throughput", U_RATE, ent_x, offsetof(struct entity, ix),
	 .op_counts = 1},
};

static const struct samples *intervals_of(const struct entity *e, const struct queue_metric *qm)
{
	return (const struct samples *)((const char *)e + qm->intervals);
}

static int queue_row(struct rows *rs, const struct entity *b, const struct entity *n,
		     const struct queue_metric *qm, const struct diff_options *o)
{
	const struct samples *ib = intervals_of(b, qm), *in = intervals_of(n, qm);
	struct row *r = row_new(rs, b, qm->m, qm->what, qm->key);

	if (!r)
		return -1;
	r->unit = qm->unit;
	r->core = 1;
	r->base = r->jb = qm->value(b);
	r->new_v = r->jn = qm->value(n);
	if (qm->per_op_hist && hist_count(&b->svc) >= MIN_HIST_SAMPLES &&
	    hist_count(&n->svc) >= MIN_HIST_SAMPLES) {
		/* per-op samples are many but not independent: intervals must agree */
		r->test = enough(ib, in) ? "mann-whitney over per-op histograms and over intervals"
					 : "mann-whitney over per-op histograms";
		r->p = stats_mwu_hist(&b->svc, &n->svc, UP(r));
		if (enough(ib, in))
			r->p = both(r->p, stats_mwu_samples(ib->v, ib->n, in->v, in->n, UP(r)));
	} else if (enough(ib, in)) {
		r->test = "mann-whitney over intervals";
		r->p = stats_mwu_samples(ib->v, ib->n, in->v, in->n, UP(r));
	} else if (qm->op_counts) {
		r->test = "binomial on op counts";
		r->p = stats_rate_test(b->ops, b->ops / fmax(b->x, 1e-300), n->ops,
				       n->ops / fmax(n->x, 1e-300), UP(r));
		if (!isfinite(r->p))
			r->untested = 1;
	} else {
		r->untested = 1;
		r->test = "none (too few intervals)";
	}
	judge(r, o);
	return 0;
}

/*
 * Errors per call (@eb of @cb calls against @en of @cn), shown as counts: a
 * binomial on the counts, and the per-interval error rates too when both
 * sides have enough (counts vary more between runs than a binomial says).
 */
static struct row *error_row(struct rows *rs, const struct entity *b, const char *what, double eb,
			     double cb, double en, double cn, const struct samples *ib,
			     const struct samples *in, const struct diff_options *o)
{
	struct row *r = row_new(rs, b, DIFF_ERRORS, what, "errors");

	if (!r)
		return NULL;
	r->unit = U_COUNT;
	r->base = eb;
	r->new_v = en;
	r->jb = cb > 0 ? eb / cb : NAN;
	r->jn = cn > 0 ? en / cn : NAN;
	r->abs_scale = cb;
	r->test = "binomial on error counts per call";
	r->p = stats_rate_test(eb, cb, en, cn, UP(r));
	if (ib && in && enough(ib, in)) {
		r->test = "binomial on error counts and mann-whitney over intervals";
		r->p = both(r->p, stats_mwu_samples(ib->v, ib->n, in->v, in->n, UP(r)));
	}
	judge(r, o);
	return r;
}

/* Per-entity rows: the queue metrics, CPU, errors, and the busy syscalls' p99. */
static int entity_rows(struct rows *rs, const struct entity *b, const struct entity *n,
		       const struct diff_options *o)
{
	struct row *r;
	int both_q = b->has_queue && n->has_queue;
	double cb = (double)b->calls, cn = (double)n->calls;

	for (size_t i = 0; both_q && i < sizeof(queue_metrics) / sizeof(queue_metrics[0]); i++)
		if (queue_row(rs, b, n, &queue_metrics[i], o))
			return -1;

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
		r = error_row(rs, b, "syscall errors", (double)b->errors, cb, (double)n->errors, cn,
			      &b->ierr, &n->ierr, o);
		if (!r)
			return -1;
		r->core = 1;
	}

	/* per syscall: errors where there were any, p99 where both are busy */
	for (unsigned i = 0; i < b->n_sc + n->n_sc; i++) {
		const struct sc_agg *sb = NULL, *sn = NULL;
		const char *name;
		char nbuf[SYSCALL_LABEL_LEN], what[48];
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
		name = syscall_label(nr, nbuf, sizeof(nbuf));
		if ((sb && sb->errors) || (sn && sn->errors)) {
			double eb = sb ? (double)sb->errors : 0, en = sn ? (double)sn->errors : 0;

			snprintf(what, sizeof(what), "errors: %s", name);
			r = error_row(rs, b, what, eb, cb, en, cn, sb ? &sb->ierr : NULL,
				      sn ? &sn->ierr : NULL, o);
			if (!r)
				return -1;
			snprintf(r->syscall, sizeof(r->syscall), "%s", name);
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
				r->p = stats_tail_test(&sb->hist, &sn->hist, qb);
				if (enough(&sb->ip99, &sn->ip99)) {
					r->test =
						"tail beyond base p99 bucket and mann-whitney over "
						"interval p99s";
					r->p = both(r->p, stats_mwu_samples(sb->ip99.v, sb->ip99.n,
									    sn->ip99.v, sn->ip99.n,
									    UP(r)));
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
		diff_print_json(out, &bs, &ns, &rs, o, status, ds);
		goto out;
	}
	diff_print_text(out, &bs, &ns, &rs, o, few);
	diff_services_table(out, ds, o);
	profile_out_diff(out, base, new_file); /* --profile: frames that grew (issue 13) */
	if (diff_services_regressed(ds))
		fprintf(out, "diff: %u service row%s regressed (above)\n",
			diff_services_regressed(ds), diff_services_regressed(ds) == 1 ? "" : "s");
	if (regressed || !diff_services_regressed(ds))
		diff_print_verdict(out, &rs, o, regressed);
out:
	fflush(out);
	diff_services_free(ds);
	free(rs.r);
	side_free(&bs);
	side_free(&ns);
	return status;
}
