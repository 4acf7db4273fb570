// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * diff over services (diff_services.h). Each recording is read once more:
 * the summary gives each service's whole-run figures, the intervals (those
 * at least half of -i long, as for the processes) one value each of W, S
 * and X. A row regresses when the whole-run value moved the wrong way beyond
 * its threshold and a one-sided Mann-Whitney test over the intervals finds
 * the move significant (with fewer than 7 intervals a side, on the threshold
 * alone, as diff does for processes).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "diff_services.h"
#include "json_writer.h"
#include "model.h"
#include "recording.h"
#include "services.h"
#include "stats.h"

#define SVC_MIN_INTERVALS 7
#define SVC_PARTIAL	  0.5

enum { M_RESP, M_SVC, M_TPUT, M_WAIT, M_DISP, M_UTIL, M_RHO, M__N };

static const struct {
	const char *what, *key;
	int metric; /* enum diff_metric whose threshold judges it; -1: shown only */
	int time;   /* a time (else a rate or a ratio) */
} metrics[M__N] = {
	[M_RESP] = {"response time", "response_s", DIFF_RESPONSE, 1},
	[M_SVC] = {"service time", "service_time_s", DIFF_SERVICE, 1},
	[M_TPUT] = {"throughput", "throughput", DIFF_THROUGHPUT, 0},
	[M_WAIT] = {"queue wait", "wait_s", DIFF_WAIT, 1},
	[M_DISP] = {"dispatch", "dispatch_s", -1, 1},
	[M_UTIL] = {"utilization", "utilization", -1, 0},
	[M_RHO] = {"rho", "rho", -1, 0},
};

struct vec {
	double *v;
	unsigned n, cap;
};

struct svc {
	char name[SERVICE_NAME_LEN];
	int has_queue;
	double val[M__N];
	struct vec iv[3]; /* per interval: W, S, X */
	int matched;	  /* index + 1 on the other side */
};

struct svc_side {
	struct svc *s;
	unsigned n;
};

struct svc_row {
	char name[SERVICE_NAME_LEN];
	int m;
	double base, new_v, p;
	int untested;
	const char *verdict;
};

struct diff_services {
	struct svc_side b, n;
	struct svc_row *r;
	unsigned n_rows, regressed;
};

static int vec_push(struct vec *v, double x)
{
	if (!isfinite(x))
		return 0;
	if (v->n == v->cap) {
		unsigned cap = v->cap ? 2 * v->cap : 32;
		double *p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

static struct svc *side_svc(struct svc_side *sd, const char *name)
{
	struct svc *p;

	for (unsigned i = 0; i < sd->n; i++)
		if (!strcmp(sd->s[i].name, name))
			return &sd->s[i];
	p = realloc(sd->s, (sd->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	sd->s = p;
	p = &sd->s[sd->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (unsigned m = 0; m < M__N; m++)
		p->val[m] = NAN;
	return p;
}

static void take_summary(struct svc *v, const struct service_view *sv)
{
	const struct queue_figures *q = &sv->queue;

	v->has_queue = sv->has_queue;
	if (!sv->has_queue)
		return;
	v->val[M_RESP] = q->response_s;
	v->val[M_SVC] = q->service_time_s;
	v->val[M_TPUT] = q->throughput;
	v->val[M_WAIT] = q->wait_s;
	v->val[M_DISP] = q->dispatch_s;
	v->val[M_UTIL] = q->utilization;
	v->val[M_RHO] = q->rho;
}

/* Read one recording's services: -1 out of memory or unreadable. */
static int side_read(struct svc_side *sd, const char *file)
{
	struct recording_meta meta;
	struct recording *rec;
	struct snapshot snap;
	char e[256];
	int r, bad = 0;

	rec = recording_open(file, &meta, e, sizeof(e));
	if (!rec)
		return -1;
	while (!bad && (r = recording_next(rec, &snap)) == 1) {
		int whole = !(isfinite(meta.interval_s) && meta.interval_s > 0 &&
			      snap.span_s < SVC_PARTIAL * meta.interval_s);

		for (unsigned i = 0; snap.has_services && i < snap.n_services && !bad; i++) {
			const struct service_view *sv = &snap.services[i];
			struct svc *v = side_svc(sd, sv->name);

			if (!v) {
				bad = 1;
			} else if (snap.is_summary) {
				take_summary(v, sv);
			} else if (whole && sv->has_queue) {
				bad = vec_push(&v->iv[0], sv->queue.response_s) ||
				      vec_push(&v->iv[1], sv->queue.service_time_s) ||
				      vec_push(&v->iv[2], sv->queue.throughput);
			}
		}
		snapshot_free(&snap);
	}
	recording_close(rec);
	return bad ? -1 : 0;
}

static void side_clear(struct svc_side *sd)
{
	for (unsigned i = 0; i < sd->n; i++)
		for (unsigned k = 0; k < 3; k++)
			free(sd->s[i].iv[k].v);
	free(sd->s);
}

/* The verdict of one judged row: the move against the metric's bad way,
 * beyond its threshold (relative and absolute), and significant. */
static const char *verdict_of(struct svc_row *r, const struct diff_options *o)
{
	const struct diff_threshold *t = &o->th[metrics[r->m].metric];
	int dir = metrics[r->m].metric == DIFF_THROUGHPUT ? -1 : 1;
	double worse = dir * (r->new_v - r->base), rel;
	int sig = r->untested || (isfinite(r->p) && r->p < o->alpha);

	if (!isfinite(r->base) || !isfinite(r->new_v))
		return "n/a";
	if (!t->enabled)
		return "info";
	rel = r->base != 0 ? fabs(worse / r->base) : INFINITY;
	if (fabs(worse) <= t->abs || (t->rel > 0 && rel <= t->rel))
		return "ok";
	if (worse > 0)
		return sig ? "regressed" : "noise";
	return sig ? "improved" : "ok";
}

static int add_rows(struct diff_services *d, const struct svc *b, const struct svc *n,
		    const struct diff_options *o)
{
	for (int m = 0; m < M__N; m++) {
		struct svc_row *p = realloc(d->r, (d->n_rows + 1) * sizeof(*p)), *r;

		if (!p)
			return -1;
		d->r = p;
		r = &d->r[d->n_rows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", b->name);
		r->m = m;
		r->base = b->val[m];
		r->new_v = n->val[m];
		r->p = NAN;
		if (metrics[m].metric < 0) {
			r->verdict = "info";
			continue;
		}
		if (m <= M_TPUT && b->iv[m].n >= SVC_MIN_INTERVALS &&
		    n->iv[m].n >= SVC_MIN_INTERVALS)
			r->p = stats_mwu_samples(b->iv[m].v, b->iv[m].n, n->iv[m].v, n->iv[m].n,
						 r->new_v >= r->base ? 1 : -1);
		else
			r->untested = m <= M_TPUT;
		r->verdict = verdict_of(r, o);
		d->regressed += !strcmp(r->verdict, "regressed");
	}
	return 0;
}

struct diff_services *diff_services_compare(const char *base, const char *new_file,
					    const struct diff_options *o)
{
	struct diff_services *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (side_read(&d->b, base) || side_read(&d->n, new_file) || !d->b.n || !d->n.n) {
		diff_services_free(d);
		return NULL;
	}
	for (unsigned i = 0; i < d->b.n; i++)
		for (unsigned j = 0; j < d->n.n; j++) {
			struct svc *b = &d->b.s[i], *n = &d->n.s[j];

			if (n->matched || strcmp(b->name, n->name))
				continue;
			b->matched = (int)j + 1;
			n->matched = (int)i + 1;
			if (b->has_queue && n->has_queue && add_rows(d, b, n, o)) {
				diff_services_free(d);
				return NULL;
			}
		}
	return d;
}

unsigned diff_services_regressed(const struct diff_services *d)
{
	return d ? d->regressed : 0;
}

static void fmt(double v, int m, char *b, size_t n)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else if (metrics[m].time)
		snprintf(b, n, fabs(v) < 1e-3 ? "%.3g us" : "%.3g ms",
			 fabs(v) < 1e-3 ? v * 1e6 : v * 1e3);
	else if (m == M_TPUT)
		snprintf(b, n, "%.0f/s", v);
	else
		snprintf(b, n, "%.3g", v);
}

void diff_services_table(FILE *f, const struct diff_services *d, const struct diff_options *o)
{
	unsigned hidden = 0;

	if (!d)
		return;
	fprintf(f, "\n%-20s %-21s %10s %10s %8s  %s\n", "SERVICE", "METRIC", "BASE", "NEW",
		"CHANGE", "VERDICT");
	for (unsigned i = 0; i < d->n_rows; i++) {
		const struct svc_row *r = &d->r[i];
		char vb[24], vn[24], ch[24];
		int quiet = !strcmp(r->verdict, "ok") || !strcmp(r->verdict, "info") ||
			    !strcmp(r->verdict, "n/a");

		/* without --all: what was judged and did not stay ok */
		if (!o->all_rows && quiet && r->m > M_TPUT) {
			hidden++;
			continue;
		}
		fmt(r->base, r->m, vb, sizeof(vb));
		fmt(r->new_v, r->m, vn, sizeof(vn));
		if (isfinite(r->base) && isfinite(r->new_v) && r->base != 0)
			snprintf(ch, sizeof(ch), "%+.1f%%",
				 100 * (r->new_v - r->base) / fabs(r->base));
		else
			snprintf(ch, sizeof(ch), "-");
		fprintf(f, "%-20.20s %-21.21s %10s %10s %8s  %s", r->name, metrics[r->m].what, vb,
			vn, ch, r->verdict);
		if (isfinite(r->p))
			fprintf(f, " (p=%.2g)", r->p);
		else if (r->untested && strcmp(r->verdict, "n/a"))
			fputs(" (untested: too few intervals)", f);
		fputc('\n', f);
	}
	if (hidden)
		fprintf(f, "(%u more service rows shown only; --all shows them)\n", hidden);
	for (unsigned i = 0; i < d->b.n; i++)
		if (!d->b.s[i].matched)
			fprintf(f, "only in base: service %s\n", d->b.s[i].name);
	for (unsigned j = 0; j < d->n.n; j++)
		if (!d->n.s[j].matched)
			fprintf(f, "only in new: service %s\n", d->n.s[j].name);
}

void diff_services_json(struct jw *w, const struct diff_services *d)
{
	if (!d)
		return;
	jw_key(w, "services");
	jw_arr_begin(w);
	for (unsigned i = 0; i < d->n_rows; i++) {
		const struct svc_row *r = &d->r[i];

		jw_obj_begin(w);
		jw_kstr(w, "service", r->name);
		jw_kstr(w, "metric", metrics[r->m].key);
		jw_knum(w, "base", r->base);
		jw_knum(w, "new", r->new_v);
		jw_knum(w, "change", r->base != 0 ? (r->new_v - r->base) / fabs(r->base) : NAN);
		jw_knum(w, "p_value", r->p);
		jw_kstr(w, "verdict", r->verdict);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_key(w, "service_regressions");
	jw_arr_begin(w);
	for (unsigned i = 0; i < d->n_rows; i++)
		if (!strcmp(d->r[i].verdict, "regressed")) {
			char name[SERVICE_NAME_LEN + 32];

			snprintf(name, sizeof(name), "%s %s", d->r[i].name,
				 metrics[d->r[i].m].what);
			jw_str(w, name);
		}
	jw_arr_end(w);
}

void diff_services_free(struct diff_services *d)
{
	if (!d)
		return;
	side_clear(&d->b);
	side_clear(&d->n);
	free(d->r);
	free(d);
}
