// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report: the run's summary picks up to HTML_MAX_CHARTED processes
 * (pipeline stages first, then those with a queue, then the busiest), the
 * intervals fill their time series on one shared grid of columns (a long run
 * merges neighbouring intervals, so a day-long recording still draws a
 * readable chart), and the page is written at the end as plain HTML with
 * inline SVG: no script runs and nothing is fetched, so it can be attached
 * to an incident, mailed, or opened offline. Every text from the recording
 * is escaped: a recording is not trusted to be well-formed.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "figures.h"
#include "svg.h"
#include "units.h"
#include "html_out.h"
#include "profile_out.h"
#include "html_sections.h"
#include "services.h"
#include "wavg.h"
#include "utf8.h"
#include "names.h"

/* chart geometry, in SVG user units (the SVG scales to the page width) */
#define HM_H	 300
#define TOP_SC	 12 /* busiest syscalls listed */
#define MAX_ROWS 60 /* process table rows */

/* Okabe–Ito: distinguishable with the common colour-vision deficiencies */
#define C_BLUE	 "#0072B2"
#define C_ORANGE "#E69F00"
#define C_GREEN	 "#009E73"
#define C_RED	 "#D55E00"
#define C_SKY	 "#56B4E9"
#define C_PURPLE "#CC79A7"
#define C_BLACK	 "#222222"
#define C_GREY	 "#888888"

/* One column of one charted process: sums over the intervals it covers. */
struct col {
	int present, has_q, has_fc;
	struct wavg cpu, sc_rate, err_rate;
	struct wavg lambda, x, rho, w, wq, s, mm1, mmc, mg1, gg1;
	struct wavg fc_mid, fc_lo, fc_hi, fc_h;
	struct hist sys, q;
};

struct charted {
	uint32_t pid;
	char comm[ST_COMM_LEN + 1];
	const struct proc_view *overall;
	int q_is_wait; /* queue heat map from wait_hist, else svc_hist */
	struct col *cols;
};

struct html_report {
	struct recording_meta meta;
	char name[256];
	const struct snapshot *overall;
	char incomplete[256];
	struct charted ch[HTML_MAX_CHARTED];
	unsigned n_ch;
	/* shared grid: column c spans [t0[c], t1[c]] seconds since the start */
	double t0[HTML_MAX_POINTS], t1[HTML_MAX_POINTS];
	unsigned n_cols, group, pending;
	double origin; /* UNIX time of the run's start */
	int have_origin;
	uint64_t intervals;
	/* the last interval's processes, without their arrays: their forecasts
	 * are what the trend was at the end (html_section_trend) */
	struct snapshot last;
};

/* ---- text ---------------------------------------------------------------- */

void html_escape(FILE *f, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, maxlen);

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* the rule of utf8.h: the same as every output */
			if (c >= 0x20 && c < 0x7f) {
				fputc(c, f);
			} else if (c >= 0x80 && (l = utf8_shown_len(s + i, n - i))) {
				fwrite(s + i, 1, l, f);
				i += l;
				continue;
			} else {
				fputs(UTF8_REPLACEMENT, f);
				i += utf8_bad_len(s + i, n - i);
				continue;
			}
		}
		i++;
	}
}

/* "812 µs", "1.25 ms", "3.4 s" */
static void fmt_time_s(double s, char *b, size_t n)
{
	double a = fabs(s);

	if (!isfinite(s))
		snprintf(b, n, "–");
	else if (a == 0)
		snprintf(b, n, "0");
	else
		fmt_duration(s, b, n);
}

/* 1.2k, 35M: counts and rates */
static void fmt_count(double v, char *b, size_t n)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(b, n, "–");
	else if (a >= 1e9)
		snprintf(b, n, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(b, n, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(b, n, "%.3gk", v / 1e3);
	else if (a >= 100 || v == floor(v))
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.3g", v);
}

static void fmt_plain(double v, char *b, size_t n)
{
	if (!isfinite(v))
		snprintf(b, n, "–");
	else
		snprintf(b, n, "%.3g", v);
}

static void fmt_ns(double ns, char *b, size_t n)
{
	fmt_time_s(ns / 1e9, b, n);
}

/* ---- building ------------------------------------------------------------ */

static double proc_busy_score(const struct proc_view *p)
{
	uint64_t calls = 0;

	for (unsigned i = 0; i < p->n_syscalls; i++)
		calls += p->syscalls[i].count;
	return p->oncpu_s * 1e6 + (double)calls;
}

static int cmp_charted(const void *a, const void *b)
{
	const struct proc_view *x = *(const struct proc_view *const *)a;
	const struct proc_view *y = *(const struct proc_view *const *)b;
	double tx, ty;

	/* pipeline stages in order, then queues by throughput, then busiest */
	if ((x->stage > 0) != (y->stage > 0))
		return x->stage > 0 ? -1 : 1;
	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->has_queue != y->has_queue)
		return x->has_queue ? -1 : 1;
	tx = x->has_queue && isfinite(x->queue.throughput) ? x->queue.throughput : 0;
	ty = y->has_queue && isfinite(y->queue.throughput) ? y->queue.throughput : 0;
	if (tx != ty)
		return tx > ty ? -1 : 1;
	tx = proc_busy_score(x);
	ty = proc_busy_score(y);
	if (tx != ty)
		return tx > ty ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

struct html_report *html_report_new(const struct recording_meta *meta, const char *name,
				    const struct snapshot *overall, const char *incomplete)
{
	struct html_report *h = calloc(1, sizeof(*h));
	const struct proc_view **order;

	if (!h)
		return NULL;
	h->meta = *meta;
	snprintf(h->name, sizeof(h->name), "%s", name ? name : "");
	snprintf(h->incomplete, sizeof(h->incomplete), "%s", incomplete ? incomplete : "");
	h->overall = overall;
	h->group = 1;
	if (isfinite(meta->start_time) && meta->start_time > 0) {
		h->origin = meta->start_time;
		h->have_origin = 1;
	}
	if (!overall || !overall->n_procs)
		return h;
	order = calloc(overall->n_procs, sizeof(*order));
	if (!order)
		goto fail;
	for (unsigned i = 0; i < overall->n_procs; i++)
		order[i] = &overall->procs[i];
	qsort(order, overall->n_procs, sizeof(*order), cmp_charted);
	for (unsigned i = 0; i < overall->n_procs && h->n_ch < HTML_MAX_CHARTED; i++) {
		const struct proc_view *p = order[i];
		struct charted *c = &h->ch[h->n_ch];

		if (!p->has_queue && proc_busy_score(p) == 0)
			continue;
		/* one chart set per pid, even if a hostile file repeats one */
		for (unsigned j = 0; j < h->n_ch; j++)
			if (h->ch[j].pid == p->pid)
				goto next;
		c->pid = p->pid;
		memcpy(c->comm, p->comm, ST_COMM_LEN);
		c->comm[ST_COMM_LEN] = 0;
		c->overall = p;
		c->q_is_wait = p->wait_hist_known;
		c->cols = calloc(HTML_MAX_POINTS, sizeof(*c->cols));
		if (!c->cols) {
			free(order);
			goto fail;
		}
		h->n_ch++;
next:;
	}
	free(order);
	return h;
fail:
	html_report_free(h);
	return NULL;
}

static void col_merge(struct col *a, const struct col *b)
{
	a->present |= b->present;
	a->has_q |= b->has_q;
	a->has_fc |= b->has_fc;
	wavg_merge(&a->cpu, &b->cpu);
	wavg_merge(&a->sc_rate, &b->sc_rate);
	wavg_merge(&a->err_rate, &b->err_rate);
	wavg_merge(&a->lambda, &b->lambda);
	wavg_merge(&a->x, &b->x);
	wavg_merge(&a->rho, &b->rho);
	wavg_merge(&a->w, &b->w);
	wavg_merge(&a->wq, &b->wq);
	wavg_merge(&a->s, &b->s);
	wavg_merge(&a->mm1, &b->mm1);
	wavg_merge(&a->mmc, &b->mmc);
	wavg_merge(&a->mg1, &b->mg1);
	wavg_merge(&a->gg1, &b->gg1);
	wavg_merge(&a->fc_mid, &b->fc_mid);
	wavg_merge(&a->fc_lo, &b->fc_lo);
	wavg_merge(&a->fc_hi, &b->fc_hi);
	wavg_merge(&a->fc_h, &b->fc_h);
	hist_add(&a->sys, &b->sys);
	hist_add(&a->q, &b->q);
}

/* Halve the grid: columns 2i and 2i+1 become column i. */
static void halve(struct html_report *h)
{
	unsigned n = h->n_cols / 2;

	for (unsigned i = 0; i < n; i++) {
		h->t0[i] = h->t0[2 * i];
		h->t1[i] = h->t1[2 * i + 1];
		for (unsigned k = 0; k < h->n_ch; k++) {
			struct col *c = h->ch[k].cols;

			c[i] = c[2 * i];
			col_merge(&c[i], &c[2 * i + 1]);
		}
	}
	for (unsigned k = 0; k < h->n_ch; k++)
		memset(h->ch[k].cols + n, 0, (HTML_MAX_POINTS - n) * sizeof(struct col));
	h->n_cols = n;
	h->group *= 2;
}

static void col_add(struct col *c, const struct proc_view *p, double span, int q_is_wait)
{
	uint64_t calls = 0, errs = 0;

	c->present = 1;
	wavg_add(&c->cpu, p->oncpu_s / span, span);
	for (unsigned i = 0; i < p->n_syscalls; i++) {
		calls += p->syscalls[i].count;
		errs += p->syscalls[i].errors;
		hist_add(&c->sys, &p->syscalls[i].hist);
	}
	wavg_add(&c->sc_rate, (double)calls / span, span);
	wavg_add(&c->err_rate, (double)errs / span, span);
	if (p->has_queue) {
		const struct queue_figures *q = &p->queue;
		double ops = isfinite(q->throughput) ? q->throughput * span : 0;

		c->has_q = 1;
		wavg_add(&c->lambda, q->arrival_rate, span);
		wavg_add(&c->x, q->throughput, span);
		wavg_add(&c->rho, q->rho, span);
		wavg_add(&c->w, q->response_s, ops);
		wavg_add(&c->wq, q->wait_s, ops);
		wavg_add(&c->s, q->service_time_s, ops);
		wavg_add(&c->mm1, q->mm1_response_s, ops);
		wavg_add(&c->mmc, q->mmc_response_s, ops);
		wavg_add(&c->mg1, q->mg1_response_s, ops);
		wavg_add(&c->gg1, q->gg1_response_s, ops);
	}
	if (q_is_wait ? p->wait_hist_known : 1)
		hist_add(&c->q, q_is_wait ? &p->wait_hist : &p->svc_hist);
	if (p->has_forecast && isfinite(p->fc.horizon_s)) {
		c->has_fc = 1;
		wavg_add(&c->fc_mid, p->fc.arrival_rate, span);
		wavg_add(&c->fc_lo, p->fc.arrival_lo, span);
		wavg_add(&c->fc_hi, p->fc.arrival_hi, span);
		wavg_add(&c->fc_h, p->fc.horizon_s, span);
	}
}

int html_report_add(struct html_report *h, const struct snapshot *s)
{
	double span, end;
	unsigned c;

	if (s->is_summary)
		return 0;
	span = isfinite(s->span_s) && s->span_s > 0 ? s->span_s : 0;
	if (!span || !isfinite(s->time))
		return 0; /* nothing to place on a time axis */
	if (!h->have_origin) {
		h->origin = s->time - span;
		h->have_origin = 1;
	}
	end = s->time - h->origin;
	h->intervals++;
	if (h->pending == 0) {
		if (h->n_cols == HTML_MAX_POINTS)
			halve(h);
		c = h->n_cols++;
		h->t0[c] = end - span;
	} else {
		c = h->n_cols - 1;
	}
	h->t1[c] = end;
	if (++h->pending >= h->group)
		h->pending = 0;
	if (html_keep_last(&h->last, s))
		return -1;
	for (unsigned k = 0; k < h->n_ch; k++) {
		struct charted *ch = &h->ch[k];

		for (unsigned i = 0; i < s->n_procs; i++)
			if (s->procs[i].pid == ch->pid) {
				col_add(&ch->cols[c], &s->procs[i], span, ch->q_is_wait);
				break;
			}
	}
	return 0;
}

void html_report_free(struct html_report *h)
{
	if (!h)
		return;
	for (unsigned k = 0; k < h->n_ch; k++)
		free(h->ch[k].cols);
	free(h->last.procs);
	free(h);
}

/* ---- charts -------------------------------------------------------------- */

struct colvals {
	double *x, *cpu, *sc, *err, *lambda, *thr, *rho, *w, *wq, *s, *mm1, *mmc, *mg1, *gg1;
	double *fx, *fmid, *flo, *fhi;
	unsigned n_fc;
};

static int colvals_fill(const struct html_report *h, const struct charted *ch, struct colvals *v)
{
	double **all[] = {&v->x,   &v->cpu, &v->sc, &v->err,  &v->lambda, &v->thr,
			  &v->rho, &v->w,   &v->wq, &v->s,    &v->mm1,	  &v->mmc,
			  &v->mg1, &v->gg1, &v->fx, &v->fmid, &v->flo,	  &v->fhi};
	unsigned n = h->n_cols ? h->n_cols : 1;

	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		*all[i] = calloc(n, sizeof(double));
		if (!*all[i])
			return -1;
	}
	for (unsigned c = 0; c < h->n_cols; c++) {
		const struct col *k = &ch->cols[c];

		v->x[c] = (h->t0[c] + h->t1[c]) / 2;
		v->cpu[c] = k->present ? wavg_get(&k->cpu) : NAN;
		v->sc[c] = k->present ? wavg_get(&k->sc_rate) : NAN;
		v->err[c] = k->present ? wavg_get(&k->err_rate) : NAN;
		v->lambda[c] = wavg_get(&k->lambda);
		v->thr[c] = wavg_get(&k->x);
		v->rho[c] = wavg_get(&k->rho);
		v->w[c] = wavg_get(&k->w);
		v->wq[c] = wavg_get(&k->wq);
		v->s[c] = wavg_get(&k->s);
		v->mm1[c] = wavg_get(&k->mm1);
		v->mmc[c] = wavg_get(&k->mmc);
		v->mg1[c] = wavg_get(&k->mg1);
		v->gg1[c] = wavg_get(&k->gg1);
		if (k->has_fc) {
			/* the forecast made at the end of this column is for h seconds later */
			v->fx[v->n_fc] = h->t1[c] + wavg_get(&k->fc_h);
			v->fmid[v->n_fc] = wavg_get(&k->fc_mid);
			v->flo[v->n_fc] = wavg_get(&k->fc_lo);
			v->fhi[v->n_fc] = wavg_get(&k->fc_hi);
			v->n_fc++;
		}
	}
	return 0;
}

static void colvals_free(struct colvals *v)
{
	double *all[] = {v->x, v->cpu, v->sc,  v->err, v->lambda, v->thr, v->rho,  v->w,   v->wq,
			 v->s, v->mm1, v->mmc, v->mg1, v->gg1,	  v->fx,  v->fmid, v->flo, v->fhi};

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]);
}

static struct svg_axis time_axis(const struct html_report *h, const struct colvals *v)
{
	struct svg_axis a = {0, 1, 0};
	double span;

	/* recorded times are not trusted to grow: take the extremes */
	for (unsigned c = 0; c < h->n_cols; c++) {
		if (isfinite(h->t0[c]) && h->t0[c] < a.lo)
			a.lo = h->t0[c];
		if (isfinite(h->t1[c]) && h->t1[c] > a.hi)
			a.hi = h->t1[c];
	}
	/* forecasts are for a horizon ahead: show them past the end of the run, but
	 * by at most 30% of its length (a 60 s horizon must not squash a 5 s run);
	 * those made earlier land inside the run, next to what really came */
	span = a.hi - a.lo;
	for (unsigned i = 0; v && i < v->n_fc; i++)
		if (isfinite(v->fx[i]) && v->fx[i] > a.hi && v->fx[i] <= a.lo + span * 1.3)
			a.hi = v->fx[i];
	span = a.hi - a.lo;
	if (!isfinite(span) || span < 1e-6 * fmax(1, fabs(a.lo)))
		a = (struct svg_axis){0, 1, 0};
	return a;
}

/* Is any forecast point inside the chart (else no legend for it)? */
static int fc_drawn(const struct svg_axis *xa, const struct colvals *v)
{
	for (unsigned i = 0; i < v->n_fc; i++)
		if (isfinite(v->fx[i]) && isfinite(v->fmid[i]) && v->fx[i] >= xa->lo &&
		    v->fx[i] <= xa->hi)
			return 1;
	return 0;
}

/* λ and X (ops/s, left), ρ (right), the forecast band of λ. */
static void chart_rates(FILE *f, const struct html_report *h, const struct charted *ch,
			const struct colvals *v)
{
	struct svg_axis xa = time_axis(h, v), ya, ra;
	double mn = INFINITY, mx = 0, rmn = INFINITY, rmx = 1.0, lx = PL;
	char id[64];

	svg_series_range(v->lambda, h->n_cols, &mn, &mx);
	svg_series_range(v->thr, h->n_cols, &mn, &mx);
	{
		/* a wide forecast band may raise the axis, to twice the measured at most */
		double fmn = INFINITY, fmx = 0;

		svg_series_range(v->fmid, v->n_fc, &fmn, &fmx);
		svg_series_range(v->fhi, v->n_fc, &fmn, &fmx);
		mx = mx > 0 ? fmax(mx, fmin(fmx, 2 * mx)) : fmx;
	}
	svg_series_range(v->rho, h->n_cols, &rmn, &rmx);
	ya = svg_axis_linear(0, mx * 1.08);
	ra = svg_axis_linear(0, fmin(rmx * 1.08, 100));
	snprintf(id, sizeof(id), "chart-rates-%u", ch->pid);
	svg_begin(f, id, CH, "arrival rate, throughput and utilisation over time");
	svg_axis_ticks(f, &ya, 0, fmt_count, C_BLACK);
	svg_axis_ticks(f, &ra, 1, fmt_plain, C_RED);
	svg_plot_frame(f);
	if (v->n_fc) {
		int pen = 0;

		/* band: along the upper bound, back along the lower */
		fprintf(f,
			"<path clip-path='url(#%s)' fill='%s' fill-opacity='0.22' stroke='none' "
			"d='",
			svg_clip_id, C_SKY);
		for (unsigned i = 0; i < v->n_fc; i++) {
			double x = svg_px(&xa, v->fx[i], PL, PR),
			       y = svg_px(&ya, v->fhi[i], PB, PT);

			if (!isfinite(x) || !isfinite(y) || !isfinite(v->flo[i]))
				continue;
			fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', x, fmax(y, PT));
			pen = 1;
		}
		for (unsigned i = v->n_fc; i-- > 0;) {
			double x = svg_px(&xa, v->fx[i], PL, PR),
			       y = svg_px(&ya, v->flo[i], PB, PT);

			if (!isfinite(x) || !isfinite(y) || !isfinite(v->fhi[i]))
				continue;
			fprintf(f, "L%.1f %.1f ", x, fmin(y, PB));
		}
		fputs("Z'/>\n", f);
		svg_path(f, &xa, &ya, v->fx, v->fmid, v->n_fc, C_BLUE, "2 4", 1.5);
		/* the latest forecast is for beyond the chart: say it in words */
		if (v->fx[v->n_fc - 1] > xa.hi && isfinite(v->fmid[v->n_fc - 1])) {
			char b1[32], b2[32], b3[32], hz[32];

			fmt_count(v->fmid[v->n_fc - 1], b1, sizeof(b1));
			fmt_count(v->flo[v->n_fc - 1], b2, sizeof(b2));
			fmt_count(v->fhi[v->n_fc - 1], b3, sizeof(b3));
			fmt_elapsed(v->fx[v->n_fc - 1] - h->t1[h->n_cols - 1], hz, sizeof(hz));
			/* the run has ended: what its trend was, not a future */
			fprintf(f,
				"<text x='%d' y='%d' text-anchor='end' fill='%s'>trend at the end: "
				"λ %s/s (%s–%s) %s past it, not observed →</text>\n",
				PR, PT - 8, C_BLUE, b1, b2, b3, hz);
		}
	}
	{
		double y1 = svg_px(&ra, 1.0, PB, PT);

		fprintf(f,
			"<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='%s' stroke-dasharray='6 "
			"4' "
			"stroke-width='1'/>\n<text x='%d' y='%.1f' fill='%s' text-anchor='end'>ρ = "
			"1 "
			"(saturation)</text>\n",
			PL, PR, y1, y1, C_RED, PR - 4, y1 - 4, C_RED);
	}
	svg_path(f, &xa, &ya, v->x, v->lambda, h->n_cols, C_BLUE, NULL, 2.2);
	svg_path(f, &xa, &ya, v->x, v->thr, h->n_cols, C_GREEN, "7 3", 2.2);
	svg_path(f, &xa, &ra, v->x, v->rho, h->n_cols, C_RED, NULL, 1.6);
	svg_time_ticks(f, &xa, PB);
	svg_y_label(f, "ops per second", 0, C_BLACK);
	svg_y_label(f, "utilisation ρ", 1, C_RED);
	svg_legend_item(f, &lx, "arrival rate λ", C_BLUE, NULL, 0);
	svg_legend_item(f, &lx, "throughput X", C_GREEN, "7 3", 0);
	svg_legend_item(f, &lx, "ρ = λS/c (right axis)", C_RED, NULL, 0);
	if (fc_drawn(&xa, v)) {
		svg_legend_item(f, &lx, "forecast λ", C_BLUE, "2 4", 0);
		svg_legend_item(f, &lx, "forecast band", C_SKY, NULL, 1);
	}
	fputs("</svg>\n", f);
}

static void chart_response(FILE *f, const struct html_report *h, const struct charted *ch,
			   const struct colvals *v)
{
	struct svg_axis xa = time_axis(h, v), ya;
	double mn = INFINITY, mx = 0, lx = PL, meas_mx = 0, meas_mn = INFINITY;
	char id[64];
	const double *models[] = {v->mm1, v->mmc, v->mg1, v->gg1};

	svg_series_range(v->w, h->n_cols, &meas_mn, &meas_mx);
	mn = meas_mn;
	mx = meas_mx;
	for (unsigned i = 0; i < 4; i++)
		svg_series_range(models[i], h->n_cols, &mn, &mx);
	svg_series_range(v->s, h->n_cols, &mn, &mx);
	/* near ρ = 1 a model can predict minutes: keep the measurement readable */
	if (meas_mx > 0 && mx > meas_mx * 50)
		mx = meas_mx * 50;
	ya = svg_axis_auto(mn, mx);
	snprintf(id, sizeof(id), "chart-response-%u", ch->pid);
	svg_begin(f, id, CH, "measured response time against queueing models");
	svg_axis_ticks(f, &ya, 0, fmt_time_s, C_BLACK);
	svg_plot_frame(f);
	svg_path(f, &xa, &ya, v->x, v->s, h->n_cols, C_GREY, "1 3", 1.5);
	svg_path(f, &xa, &ya, v->x, v->mm1, h->n_cols, C_ORANGE, "8 4", 1.6);
	svg_path(f, &xa, &ya, v->x, v->mmc, h->n_cols, C_SKY, "4 3", 1.6);
	svg_path(f, &xa, &ya, v->x, v->mg1, h->n_cols, C_PURPLE, "10 3 2 3", 1.6);
	svg_path(f, &xa, &ya, v->x, v->gg1, h->n_cols, C_GREEN, "2 2", 1.8);
	svg_path(f, &xa, &ya, v->x, v->w, h->n_cols, C_BLACK, NULL, 2.6);
	svg_time_ticks(f, &xa, PB);
	svg_y_label(f, ya.log ? "response time (log scale)" : "response time", 0, C_BLACK);
	svg_legend_item(f, &lx, "measured W = Wq + S", C_BLACK, NULL, 0);
	svg_legend_item(f, &lx, "M/M/1", C_ORANGE, "8 4", 0);
	svg_legend_item(f, &lx, "M/M/c", C_SKY, "4 3", 0);
	svg_legend_item(f, &lx, "M/G/1", C_PURPLE, "10 3 2 3", 0);
	svg_legend_item(f, &lx, "G/G/1", C_GREEN, "2 2", 0);
	svg_legend_item(f, &lx, "service time S", C_GREY, "1 3", 0);
	fputs("</svg>\n", f);
}

/* CPU (cores, left) and syscalls and errors per second (right). */
static void chart_cpu(FILE *f, const struct html_report *h, const struct charted *ch,
		      const struct colvals *v)
{
	struct svg_axis xa = time_axis(h, v), ya, ra;
	double mn = INFINITY, mx = 0, rmn = INFINITY, rmx = 0, lx = PL;
	char id[64];

	svg_series_range(v->cpu, h->n_cols, &mn, &mx);
	svg_series_range(v->sc, h->n_cols, &rmn, &rmx);
	svg_series_range(v->err, h->n_cols, &rmn, &rmx);
	ya = svg_axis_linear(0, fmax(mx * 1.08, 0.01));
	ra = svg_axis_linear(0, fmax(rmx * 1.08, 1));
	snprintf(id, sizeof(id), "chart-cpu-%u", ch->pid);
	svg_begin(f, id, CH, "CPU use and syscall rate over time");
	svg_axis_ticks(f, &ya, 0, fmt_plain, C_BLUE);
	svg_axis_ticks(f, &ra, 1, fmt_count, C_BLACK);
	svg_plot_frame(f);
	svg_path(f, &xa, &ya, v->x, v->cpu, h->n_cols, C_BLUE, NULL, 2.2);
	svg_path(f, &xa, &ra, v->x, v->sc, h->n_cols, C_BLACK, "6 3", 1.6);
	svg_path(f, &xa, &ra, v->x, v->err, h->n_cols, C_RED, NULL, 1.8);
	svg_time_ticks(f, &xa, PB);
	svg_y_label(f, "CPU (cores busy)", 0, C_BLUE);
	svg_y_label(f, "per second", 1, C_BLACK);
	svg_legend_item(f, &lx, "on-CPU (cores)", C_BLUE, NULL, 0);
	svg_legend_item(f, &lx, "syscalls/s (right)", C_BLACK, "6 3", 0);
	svg_legend_item(f, &lx, "syscall errors/s (right)", C_RED, NULL, 0);
	fputs("</svg>\n", f);
}

/* white → yellow → orange → dark red, as in Brendan Gregg's latency heat maps */
#define HEAT_LEVELS 16

static void heat_colour(double f, char *b, size_t n)
{
	static const double stops[][3] = {
		{255, 247, 188}, {254, 196, 79}, {254, 153, 41}, {217, 95, 14}, {153, 52, 4},
	};
	double p = fmin(fmax(f, 0), 1) * 4;
	unsigned i = p >= 4 ? 3 : (unsigned)p;
	double t = p - i;

	snprintf(b, n, "#%02x%02x%02x",
		 (unsigned)lround(stops[i][0] + t * (stops[i + 1][0] - stops[i][0])),
		 (unsigned)lround(stops[i][1] + t * (stops[i + 1][1] - stops[i][1])),
		 (unsigned)lround(stops[i][2] + t * (stops[i + 1][2] - stops[i][2])));
}

/* The colour classes .h0 .. .h15 of the heat maps, once per page. */
static void heat_css(FILE *f)
{
	char c[16];

	for (unsigned i = 0; i < HEAT_LEVELS; i++) {
		heat_colour(i / (HEAT_LEVELS - 1.0), c, sizeof(c));
		fprintf(f, ".h%u{fill:%s}", i, c);
	}
}

/* bucket edges are powers of two: two digits, no exponent, are plenty on an axis */
static void fmt_ns_axis(double ns, char *b, size_t n)
{
	const char *const *units = duration_units;
	unsigned u = 0;
	double v = ns, mag;

	if (ns <= 0) {
		snprintf(b, n, "0");
		return;
	}
	while (v >= 1000 && u < 3) {
		v /= 1000;
		u++;
	}
	mag = pow(10, floor(log10(v)) - 1);
	v = round(v / mag) * mag;
	snprintf(b, n, v < 10 && v != floor(v) ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/*
 * Time × log2 latency bucket of one charted process: the queue histogram
 * (wait or service) or all its syscalls. Cells are drawn in a group scaled
 * to (seconds, bucket) units, so each is a short element: a day-long run at
 * HTML_MAX_POINTS columns stays a page of a few megabytes at most.
 */
static void heatmap(FILE *f, const struct html_report *h, const struct charted *ch,
		    const struct svg_axis *xa, int queue, const char *id_prefix, const char *what,
		    const char *unit_label)
{
	unsigned blo = HIST_BUCKETS, bhi = 0, rows, every;
	uint64_t max = 0, total = 0;
	double rh, lx, sx;
	char id[64], b[32], b2[32], tb[32], c[16];
	int titles = h->n_cols <= 120;

	for (unsigned k = 0; k < h->n_cols; k++) {
		const struct hist *hs = queue ? &ch->cols[k].q : &ch->cols[k].sys;

		for (unsigned i = 0; i < HIST_BUCKETS; i++) {
			if (!hs->b[i])
				continue;
			blo = i < blo ? i : blo;
			bhi = i > bhi ? i : bhi;
			max = hs->b[i] > max ? hs->b[i] : max;
			total += hs->b[i];
		}
	}
	snprintf(id, sizeof(id), "%s-%u", id_prefix, ch->pid);
	if (!max) {
		fprintf(f, "<p class='empty' id='%s'>No %s samples were recorded.</p>\n", id, what);
		return;
	}
	/* a little context above and below the occupied buckets */
	blo = blo > 0 ? blo - 1 : 0;
	bhi = bhi + 1 < HIST_BUCKETS ? bhi + 1 : bhi;
	rows = bhi - blo + 1;
	rh = (double)(PB - PT) / rows;
	sx = (PR - PL) / (xa->hi - xa->lo);
	svg_begin(f, id, HM_H, what);
	fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='#f4f4f4'/>\n", PL, PT, PR - PL,
		PB - PT);
	fprintf(f,
		"<g clip-path='url(#%s)'><g transform='translate(%.3f %d) scale(%.5f %.5f)' "
		"shape-rendering='crispEdges'>\n",
		svg_clip_id, PL - xa->lo * sx, PT, sx, rh);
	for (unsigned k = 0; k < h->n_cols; k++) {
		const struct hist *hs = queue ? &ch->cols[k].q : &ch->cols[k].sys;
		double w = h->t1[k] - h->t0[k];

		if (!(w > 0))
			continue;
		for (unsigned i = blo; i <= bhi; i++) {
			unsigned lvl;

			if (!hs->b[i])
				continue;
			lvl = (unsigned)lround(log1p((double)hs->b[i]) / log1p((double)max) *
					       (HEAT_LEVELS - 1));
			fprintf(f, "<rect x='%.6g' y='%u' width='%.6g' height='1' class='h%u'",
				h->t0[k], bhi - i, w, lvl);
			if (titles) {
				fmt_ns(hist_bucket_lo_ns(i), b, sizeof(b));
				fmt_ns(hist_bucket_hi_ns(i), b2, sizeof(b2));
				fmt_elapsed(h->t1[k], tb, sizeof(tb));
				fprintf(f, "><title>until %s: %llu in %s–%s</title></rect>\n", tb,
					(unsigned long long)hs->b[i], b, b2);
			} else {
				fputs("/>\n", f);
			}
		}
	}
	fputs("</g></g>\n", f);
	svg_plot_frame(f);
	every = rows > 14 ? 2 : 1;
	for (unsigned i = blo; i <= bhi + 1; i++) {
		double y = PB - (i - blo) * rh;

		if ((i - blo) % every)
			continue;
		fmt_ns_axis(i < HIST_BUCKETS ? hist_bucket_lo_ns(i) : hist_bucket_hi_ns(i - 1), b,
			    sizeof(b));
		fprintf(f, "<text x='%d' y='%.1f' text-anchor='end'>%s</text>\n", PL - 6, y + 4, b);
	}
	svg_time_ticks(f, xa, PB);
	svg_y_label(f, unit_label, 0, C_BLACK);
	/* colour scale */
	lx = PL;
	fprintf(f, "<text x='%.0f' y='21'>samples per cell:</text>\n", lx);
	lx += 125;
	fprintf(f, "<text x='%.0f' y='21' text-anchor='end'>1</text>", lx - 4);
	for (unsigned i = 0; i < HEAT_LEVELS; i++) {
		heat_colour(i / (HEAT_LEVELS - 1.0), c, sizeof(c));
		fprintf(f, "<rect x='%.0f' y='11' width='11' height='12' class='h%u'/>",
			lx + i * 11, i);
	}
	fmt_count((double)max, b, sizeof(b));
	fprintf(f, "\n<text x='%.0f' y='21'>%s (log scale)</text>\n", lx + HEAT_LEVELS * 11 + 5, b);
	fmt_count((double)total, b, sizeof(b));
	fprintf(f, "<text x='%d' y='21' text-anchor='end'>%s samples</text>\n", PR, b);
	fputs("</svg>\n", f);
}

/* ---- tables and bar charts ------------------------------------------------ */

struct sc_ref {
	const struct proc_view *p;
	const struct syscall_row *r;
};

static int cmp_sc(const void *a, const void *b)
{
	const struct sc_ref *x = a, *y = b;

	if (x->r->count != y->r->count)
		return x->r->count < y->r->count ? 1 : -1;
	if (x->r->errors != y->r->errors)
		return x->r->errors < y->r->errors ? 1 : -1;
	return x->p->pid < y->p->pid ? -1 : x->p->pid > y->p->pid;
}

static void sc_label(FILE *f, const struct sc_ref *s)
{
	char nb[SYSCALL_LABEL_LEN];

	html_escape(f, s->p->comm, ST_COMM_LEN);
	fprintf(f, "[%u] ", s->p->pid);
	fputs(syscall_label(s->r->nr, nb, sizeof(nb)), f);
}

static void section_syscalls(FILE *f, const struct snapshot *o)
{
	struct sc_ref *all;
	size_t n = 0, cap = 0;
	uint64_t max = 0;
	unsigned rows;
	char b[32], b2[32], b3[32];

	fputs("<h2 id='syscalls'>Busiest syscalls and their errors</h2>\n", f);
	for (unsigned i = 0; i < o->n_procs; i++)
		cap += o->procs[i].n_syscalls;
	if (!cap) {
		fputs("<p class='empty' id='syscalls-top'>No syscalls were recorded.</p>\n", f);
		return;
	}
	all = calloc(cap, sizeof(*all));
	if (!all)
		return;
	for (unsigned i = 0; i < o->n_procs; i++)
		for (unsigned j = 0; j < o->procs[i].n_syscalls; j++) {
			all[n].p = &o->procs[i];
			all[n].r = &o->procs[i].syscalls[j];
			n++;
		}
	qsort(all, n, sizeof(*all), cmp_sc);
	rows = n < TOP_SC ? (unsigned)n : TOP_SC;
	for (unsigned i = 0; i < rows; i++)
		max = all[i].r->count > max ? all[i].r->count : max;
	fprintf(f,
		"<svg id='syscalls-top' class='chart' viewBox='0 0 %d %u' width='100%%' role='img' "
		"aria-label='busiest syscalls'>\n<rect width='%d' height='%u' fill='#fff'/>\n",
		CW, 40 + rows * 24, CW, 40 + rows * 24);
	{
		double lx = 300;

		svg_legend_item(f, &lx, "calls", C_BLUE, NULL, 2);
		svg_legend_item(f, &lx, "of which failed", C_RED, NULL, 2);
	}
	for (unsigned i = 0; i < rows; i++) {
		const struct syscall_row *r = all[i].r;
		double y = 34 + i * 24, wmax = 430;
		double w = max ? wmax * (double)r->count / (double)max : 0;
		double we = max ? wmax * (double)r->errors / (double)max : 0;

		fprintf(f, "<text x='290' y='%.0f' text-anchor='end'>", y + 13);
		sc_label(f, &all[i]);
		fputs("</text>\n", f);
		fprintf(f, "<rect x='300' y='%.0f' width='%.1f' height='16' fill='%s'/>", y,
			fmax(w, 1), C_BLUE);
		if (r->errors)
			fprintf(f, "<rect x='300' y='%.0f' width='%.1f' height='16' fill='%s'/>", y,
				fmax(we, 1.5), C_RED);
		fmt_count((double)r->count, b, sizeof(b));
		fprintf(f, "<text x='%.0f' y='%.0f'>%s", 306 + fmax(w, 1), y + 13, b);
		if (r->errors) {
			fmt_count((double)r->errors, b, sizeof(b));
			fprintf(f, " (<tspan fill='%s'>%s failed</tspan>)", C_RED, b);
		}
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);

	fputs("<table class='num'><thead><tr><th>process</th><th>syscall</th><th>calls</th>"
	      "<th>errors</th><th>p50</th><th>p99</th><th>max</th><th>time in it</th>"
	      "<th>errnos</th></tr></thead><tbody>\n",
	      f);
	for (unsigned i = 0; i < rows; i++) {
		const struct syscall_row *r = all[i].r;
		double mxns = r->max_known ? (double)r->max_ns : 0;
		char nb[SYSCALL_LABEL_LEN];

		fputs("<tr><td class='l'>", f);
		html_escape(f, all[i].p->comm, ST_COMM_LEN);
		fprintf(f, " [%u]</td><td class='l'>", all[i].p->pid);
		fputs(syscall_label(r->nr, nb, sizeof(nb)), f);
		fmt_ns(hist_quantile_ns(&r->hist, 0.5, mxns), b, sizeof(b));
		fmt_ns(hist_quantile_ns(&r->hist, 0.99, mxns), b2, sizeof(b2));
		fmt_ns(r->max_known && r->count ? (double)r->max_ns : NAN, b3, sizeof(b3));
		fprintf(f, "</td><td>%llu</td><td%s>%llu</td><td>%s</td><td>%s</td><td>%s</td>",
			(unsigned long long)r->count, r->errors ? " class='bad'" : "",
			(unsigned long long)r->errors, b, b2, b3);
		fmt_time_s((double)r->total_ns / 1e9, b, sizeof(b));
		fprintf(f, "<td>%s</td><td class='l'>", b);
		for (unsigned e = 0; e < r->n_errnos && e < ST_MAX_ERRNOS_PER_SYSCALL; e++) {
			char eb[32];

			fprintf(f, "%s%s %llu", e ? ", " : "",
				errno_name(r->errnos[e].err, eb, sizeof(eb)),
				(unsigned long long)r->errnos[e].count);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	free(all);
}

static int cmp_stage(const void *a, const void *b)
{
	const struct proc_view *x = *(const struct proc_view *const *)a;
	const struct proc_view *y = *(const struct proc_view *const *)b;

	return x->stage < y->stage   ? -1
	       : x->stage > y->stage ? 1
				     : (x->pid > y->pid) - (x->pid < y->pid);
}

/* Per-stage bars: ρ and response time, the bottleneck in red. */
static void section_pipeline(FILE *f, const struct snapshot *o)
{
	const struct proc_view **st;
	unsigned n = 0;
	double rmax = 1, wmax = 0;
	char b[32];

	for (unsigned i = 0; i < o->n_procs; i++)
		n += o->procs[i].stage > 0;
	if (!n)
		return;
	st = calloc(n, sizeof(*st));
	if (!st)
		return;
	n = 0;
	for (unsigned i = 0; i < o->n_procs; i++)
		if (o->procs[i].stage > 0)
			st[n++] = &o->procs[i];
	qsort(st, n, sizeof(*st), cmp_stage);
	if (n > 32)
		n = 32;
	for (unsigned i = 0; i < n; i++) {
		const struct queue_figures *q = &st[i]->queue;

		if (st[i]->has_queue && isfinite(q->rho))
			rmax = fmax(rmax, q->rho);
		if (st[i]->has_queue && isfinite(q->response_s))
			wmax = fmax(wmax, q->response_s);
	}
	rmax = fmin(rmax * 1.1, 100);
	fputs("<h2 id='pipeline'>Pipeline stages</h2>\n<p class='note'>Each stage's utilisation "
	      "ρ (left; at 1 its input grows without bound) and mean response time W (right). "
	      "The bottleneck, the stage that limits the pipeline's throughput, is red.</p>\n",
	      f);
	fprintf(f,
		"<svg id='pipeline-stages' class='chart' viewBox='0 0 %d %u' width='100%%' "
		"role='img' aria-label='pipeline stages'>\n<rect width='%d' height='%u' "
		"fill='#fff'/>\n",
		CW, 50 + n * 30, CW, 50 + n * 30);
	fprintf(f, "<text x='260' y='20' class='axlabel'>utilisation ρ</text>");
	fprintf(f, "<text x='640' y='20' class='axlabel'>response time W</text>\n");
	{
		double x1 = 260 + 300 / rmax;

		fprintf(f,
			"<line x1='%.1f' x2='%.1f' y1='28' y2='%u' stroke='%s' stroke-dasharray='5 "
			"3'/>"
			"<text x='%.1f' y='%u' text-anchor='middle' fill='%s'>ρ = 1</text>\n",
			x1, x1, 36 + n * 30, C_RED, x1, 46 + n * 30, C_RED);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct proc_view *p = st[i];
		const struct queue_figures *q = &p->queue;
		double y = 32 + i * 30;
		const char *col = p->bottleneck ? C_RED : C_BLUE;

		fprintf(f, "<text x='250' y='%.0f' text-anchor='end'>stage %u: ", y + 15, p->stage);
		html_escape(f, p->comm, ST_COMM_LEN);
		fprintf(f, " [%u]</text>\n", p->pid);
		if (!p->has_queue) {
			fprintf(f, "<text x='260' y='%.0f' fill='%s'>no queue figures</text>\n",
				y + 15, C_GREY);
			continue;
		}
		if (isfinite(q->rho)) {
			double w = 300 * fmin(q->rho, rmax) / rmax;

			fprintf(f, "<rect x='260' y='%.0f' width='%.1f' height='20' fill='%s'/>", y,
				fmax(w, 1), col);
			fprintf(f, "<text x='%.1f' y='%.0f'>%.2f%s</text>\n", 266 + w, y + 15,
				q->rho, p->bottleneck ? " bottleneck" : "");
		}
		if (isfinite(q->response_s) && wmax > 0) {
			double w = 260 * q->response_s / wmax;

			fmt_time_s(q->response_s, b, sizeof(b));
			fprintf(f, "<rect x='640' y='%.0f' width='%.1f' height='20' fill='%s'/>", y,
				fmax(w, 1), col);
			fprintf(f, "<text x='%.1f' y='%.0f'>%s</text>\n", 646 + w, y + 15, b);
		}
	}
	fputs("</svg>\n", f);
	free(st);
}

static void td_num(FILE *f, double v, fmt_fn fmt)
{
	char b[32];

	fmt(v, b, sizeof(b));
	fprintf(f, "<td>%s</td>", b);
}

/* The process table's own columns, numbered among the figure list's
 * (figures.h, .col_at): one writer each. */
enum pcol {
	PC_PID = 1,
	PC_COMM = 2,
	PC_STAGE = 3,
	PC_SYSCALLS = 5,
	PC_ERRORS = 6,
	PC_UNIT = 9,
	PC_RHO = 10,
	PC_STATUS = 14
};

static const struct {
	enum pcol at;
	const char *head;
} own_cols[] = {
	{PC_PID, "pid"},       {PC_COMM, "command"}, {PC_STAGE, "stage"}, {PC_SYSCALLS, "syscalls"},
	{PC_ERRORS, "errors"}, {PC_UNIT, "op"},	     {PC_RHO, "ρ"},	  {PC_STATUS, "status"},
};

#define MAX_COLS 32

struct pcolumn {
	unsigned at;
	const char *head;
	const struct figure *fig; /* NULL: one of own_cols */
};

/* own_cols and the figure list's columns, in .col_at order */
static unsigned process_columns(struct pcolumn *c)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(own_cols) / sizeof(own_cols[0]); i++)
		c[n++] = (struct pcolumn){own_cols[i].at, own_cols[i].head, NULL};
	for (unsigned i = 0; i < n_proc_figures && n < MAX_COLS; i++)
		if (proc_figures[i].col)
			c[n++] = (struct pcolumn){proc_figures[i].col_at, proc_figures[i].col,
						  &proc_figures[i]};
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k && c[k - 1].at > c[k].at; k--) {
			struct pcolumn t = c[k];

			c[k] = c[k - 1];
			c[k - 1] = t;
		}
	return n;
}

static void own_cell(FILE *f, enum pcol at, const struct proc_view *p)
{
	const struct queue_figures *q = p->has_queue ? &p->queue : NULL;
	uint64_t calls = 0, errs = 0;
	char b[32];

	for (unsigned j = 0; j < p->n_syscalls; j++) {
		calls += p->syscalls[j].count;
		errs += p->syscalls[j].errors;
	}
	switch (at) {
	case PC_PID:
		fprintf(f, "<td>%u</td>", p->pid);
		break;
	case PC_COMM:
		fputs("<td class='l'>", f);
		html_escape(f, p->comm, ST_COMM_LEN);
		fputs("</td>", f);
		break;
	case PC_STAGE:
		if (p->stage)
			fprintf(f, "<td%s>%u%s</td>",
				p->bottleneck ? " title='the bottleneck: this stage limits the "
						"pipeline'"
					      : "",
				p->stage, p->bottleneck ? " ⚠" : "");
		else
			fputs("<td></td>", f);
		break;
	case PC_SYSCALLS:
		td_num(f, (double)calls, fmt_count);
		break;
	case PC_ERRORS:
		fprintf(f, "<td%s>%llu</td>", errs ? " class='bad'" : "", (unsigned long long)errs);
		break;
	case PC_UNIT:
		/* the unit of work: what one op is (issue 8) */
		fprintf(f, "<td class='l'>%s</td>",
			q ? unit_name(p->msgs_known ? p->unit : ST_UNIT_RECEIVE) : "");
		break;
	case PC_RHO:
		fmt_plain(q ? q->rho : NAN, b, sizeof(b));
		fprintf(f, "<td%s>%s</td>", q && q->saturated ? " class='bad'" : "", b);
		break;
	case PC_STATUS:
		fputs("<td class='l'>", f);
		if (p->exited) {
			int sig = p->exit_code & 0x7f;

			if (sig)
				fprintf(f, "killed by %s", signal_name(sig, b, sizeof(b)));
			else
				fprintf(f, "exited %d", (p->exit_code >> 8) & 0xff);
		} else if (q && q->saturated) {
			fputs("saturated", f);
		}
		fputs("</td>", f);
		break;
	}
}

static void section_processes(FILE *f, const struct snapshot *o)
{
	static const fmt_fn fmts[] = {
		[FMT_COUNT] = fmt_count, [FMT_PLAIN] = fmt_plain, [FMT_TIME] = fmt_time_s};
	double span = isfinite(o->span_s) && o->span_s > 0 ? o->span_s : NAN;
	unsigned rows = o->n_procs < MAX_ROWS ? o->n_procs : MAX_ROWS;
	const struct proc_view **order = calloc(o->n_procs ? o->n_procs : 1, sizeof(*order));
	struct pcolumn cols[MAX_COLS];
	unsigned n_cols = process_columns(cols);
	int marked = 0;

	if (!order)
		return;
	for (unsigned i = 0; i < o->n_procs; i++)
		order[i] = &o->procs[i];
	qsort(order, o->n_procs, sizeof(*order), cmp_charted);
	fputs("<h2 id='processes'>Processes</h2>\n<table class='num' "
	      "id='process-table'><thead><tr>",
	      f);
	for (unsigned c = 0; c < n_cols; c++)
		fprintf(f, "<th>%s</th>", cols[c].head);
	fputs("</tr></thead><tbody>\n", f);
	for (unsigned i = 0; i < rows; i++) {
		const struct proc_view *p = order[i];

		fputs("<tr>", f);
		for (unsigned c = 0; c < n_cols; c++) {
			const struct figure *g = cols[c].fig;

			if (!g)
				own_cell(f, (enum pcol)cols[c].at, p);
			else
				td_num(f,
				       fig_known(g->known, p) ? fig_value(g, p, NULL, span) : NAN,
				       fmts[g->col_fmt]);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (o->n_procs > rows)
		fprintf(f, "<p class='note'>… and %u more processes.</p>\n", o->n_procs - rows);
	for (unsigned i = 0; i < rows && !marked; i++)
		marked = order[i]->stage && order[i]->bottleneck;
	if (marked) /* a ⚠ was shown: say what it is */
		fputs("<p class='note' id='warn-mark'>⚠ after a stage number: the pipeline's "
		      "bottleneck, the stage whose capacity limits what the whole pipeline "
		      "carries (see <a href='#reading'>Reading this report</a>).</p>\n",
		      f);
	free(order);
}

/* --services: one row per service, each one station (docs/queueing.md,
 * "Services"): its processes, serving threads and the servers its CPUs
 * allow, λ, U, S, ρ, D, W, its CPU contention, and its pipeline stage. The
 * table's own columns, numbered among the services' figure list's
 * (figures.h, .col_at): */
enum scol { SC_NAME = 1, SC_PROCS = 2, SC_STAGE = 3, SC_STATUS = 14 };

static void service_own_cell(FILE *f, enum scol at, const struct service_view *v)
{
	int sat = (v->has_queue && v->queue.saturated) || v->cpu_saturated;

	switch (at) {
	case SC_NAME:
		fputs("<td class='l'>", f);
		html_escape(f, v->name, sizeof(v->name));
		fputs("</td>", f);
		break;
	case SC_PROCS:
		fprintf(f, "<td>%u</td>", v->n_pids);
		break;
	case SC_STAGE:
		if (v->stage)
			fprintf(f, "<td>%u%s</td>", v->stage, v->bottleneck ? " ⚠" : "");
		else
			fputs("<td></td>", f);
		break;
	case SC_STATUS:
		fprintf(f, "<td class='l%s'>%s</td>", sat ? " bad" : "",
			v->cpu_saturated ? "CPU-saturated"
			: sat		 ? "saturated"
					 : "");
		break;
	}
}

static void section_services(FILE *f, const struct snapshot *o)
{
	static const fmt_fn fmts[] = {
		[FMT_COUNT] = fmt_count, [FMT_PLAIN] = fmt_plain, [FMT_TIME] = fmt_time_s};
	static const struct {
		enum scol at;
		const char *head;
	} own[] = {{SC_NAME, "service"},
		   {SC_PROCS, "processes"},
		   {SC_STAGE, "stage"},
		   {SC_STATUS, "status"}};
	unsigned rows = o->n_services < MAX_ROWS ? o->n_services : MAX_ROWS;
	const struct svc_figure *sc[SVC_MAX_PROM];
	unsigned n_sc = svc_sorted(SO_COL, sc, SVC_MAX_PROM);
	struct {
		unsigned at;
		const char *head;
		const struct svc_figure *fig; /* NULL: one of own */
	} cols[SVC_MAX_PROM + 4];
	unsigned n_cols = 0;

	if (!o->has_services || !o->n_services)
		return;
	for (size_t i = 0, k = 0; i < sizeof(own) / sizeof(own[0]) || k < n_sc;)
		if (k == n_sc || (i < sizeof(own) / sizeof(own[0]) && own[i].at < sc[k]->col_at)) {
			cols[n_cols].at = own[i].at;
			cols[n_cols].head = own[i].head;
			cols[n_cols++].fig = NULL;
			i++;
		} else {
			cols[n_cols].at = sc[k]->col_at;
			cols[n_cols].head = sc[k]->col;
			cols[n_cols++].fig = sc[k++];
		}
	fputs("<h2 id='services'>Services</h2>\n<p class='note'>Processes rolled up into "
	      "services (--services): each service is one station, its capacity bounded by "
	      "the CPUs its processes may use. Run-queue share: the members' wait for a CPU "
	      "over the CPU time they wanted.</p>\n<table class='num' id='service-table'>"
	      "<thead><tr>",
	      f);
	for (unsigned c = 0; c < n_cols; c++)
		fprintf(f, "<th>%s</th>", cols[c].head);
	fputs("</tr></thead><tbody>\n", f);
	for (unsigned i = 0; i < rows; i++) {
		const struct service_view *v = &o->services[i];

		fputs("<tr>", f);
		for (unsigned c = 0; c < n_cols; c++) {
			const struct svc_figure *g = cols[c].fig;

			if (!g)
				service_own_cell(f, (enum scol)cols[c].at, v);
			else
				td_num(f,
				       svc_known(g->known | g->prom_known, v) ? svc_value(g, v)
									      : NAN,
				       fmts[g->col_fmt]);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	if (o->n_services > rows)
		fprintf(f, "<p class='note'>… and %u more services.</p>\n", o->n_services - rows);
}

static void meta_row(FILE *f, const char *k, const char *v, size_t max)
{
	fprintf(f, "<tr><th>%s</th><td>", k);
	html_escape(f, v, max);
	fputs("</td></tr>\n", f);
}

static void section_meta(FILE *f, const struct html_report *h)
{
	const struct recording_meta *m = &h->meta;
	const struct snapshot *o = h->overall;
	char b[160], when[64];
	time_t t = 0;
	struct tm tm;

	fputs("<table class='meta'>\n", f);
	meta_row(f, "command", m->cmdline, sizeof(m->cmdline));
	meta_row(f, "host", m->host, sizeof(m->host));
	snprintf(b, sizeof(b), "%.60s (%.16s)", m->kernel, m->arch);
	meta_row(f, "kernel", b, sizeof(b));
	if (isfinite(m->start_time) && m->start_time > 0 && m->start_time < 1e11 &&
	    (t = (time_t)m->start_time) && gmtime_r(&t, &tm)) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		meta_row(f, "started", when, sizeof(when));
	}
	if (o && isfinite(o->span_s)) {
		fmt_elapsed(o->span_s, b, sizeof(b));
		meta_row(f, o->is_summary ? "duration" : "last interval", b, sizeof(b));
	}
	snprintf(b, sizeof(b), "%g s, %llu recorded", m->interval_s,
		 (unsigned long long)h->intervals);
	meta_row(f, "intervals", b, sizeof(b));
	meta_row(f, "recorded by", m->version[0] ? m->version : "?", sizeof(m->version));
	if (m->sample_every > 1) { /* --sample N */
		snprintf(b, sizeof(b), "one syscall in %u timed (--sample %u); counts exact",
			 m->sample_every, m->sample_every);
		meta_row(f, "syscall times", b, sizeof(b));
	}
	if (o && isfinite(host_steal_share(o))) {
		snprintf(b, sizeof(b), "%.1f%% of %u CPUs' time%s", 100 * host_steal_share(o),
			 o->host.cpus,
			 host_steal_share(o) >= 0.05 ? " (busy and service times include it)" : "");
		meta_row(f, "hypervisor steal", b, sizeof(b));
	}
	if (o) {
		uint64_t lost = lost_total(&o->lost);

		fprintf(f, "<tr><th>lost events</th><td%s>%llu%s</td></tr>\n",
			lost ? " class='bad'" : "", (unsigned long long)lost,
			lost ? " — some figures undercount" : " (exact)");
	}
	fputs("</table>\n", f);
}

static const char css[] =
	"body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;"
	"color:#222;background:#fff;max-width:1040px;margin:24px auto;padding:0 16px}"
	"h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:32px 0 8px;"
	"border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:22px 0 4px}"
	".note{color:#555;margin:2px 0 8px}.empty{color:#777;font-style:italic}"
	".warn{background:#fff3cd;border:1px solid #e0b84c;padding:8px 12px;margin:12px 0}"
	"table{border-collapse:collapse;margin:8px 0;font-size:13px}"
	"td,th{border:1px solid #ddd;padding:3px 8px}th{background:#f4f4f4;text-align:left}"
	"table.num td{text-align:right;font-variant-numeric:tabular-nums}table.num td.l{text-align:"
	"left}td.bad{color:#b00020;font-weight:600}table.meta th{width:130px}"
	"svg.chart{display:block;margin:4px 0 14px;font-size:12px}"
	"svg text{fill:#333;font-family:inherit;paint-order:stroke;stroke:#fff;stroke-width:3px;"
	"stroke-linejoin:round}svg text.axlabel{font-size:12.5px;fill:#444}"
	".grid{stroke:#e6e6e6;stroke-width:1}.tick{stroke:#999}"
	".frame{fill:none;stroke:#999;stroke-width:1}"
	"footer{color:#777;font-size:12px;margin-top:40px}"
	"@media print{body{max-width:none}h2{break-after:avoid}svg{break-inside:avoid}}";

int html_report_write(struct html_report *h, FILE *f)
{
	const struct snapshot *o = h->overall;

	fputs("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
	      "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
	      "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n<title>streamtrace: ",
	      f);
	html_escape(f, h->meta.cmdline, 120);
	fputs("</title>\n<style>", f);
	fputs(css, f);
	heat_css(f);
	fputs("</style></head><body>\n<h1>streamtrace report</h1>\n<p class='note'>", f);
	html_escape(f, h->name, sizeof(h->name));
	fputs("</p>\n", f);
	if (h->incomplete[0]) {
		fputs("<div class='warn' id='incomplete'><b>Incomplete recording.</b> ", f);
		html_escape(f, h->incomplete, sizeof(h->incomplete));
		fputs(" The tables show the last complete interval, not the whole run.</div>\n", f);
	}
	section_meta(f, h);
	if (o)
		section_processes(f, o);
	if (o)
		section_services(f, o);
	if (o)
		section_pipeline(f, o);
	if (h->n_ch) {
		unsigned n_all = o ? o->n_procs : 0;

		fputs("<h2 id='charts'>Over time</h2>\n", f);
		if (n_all > h->n_ch)
			fprintf(f,
				"<p class='note'>Charts for %u of %u processes: pipeline stages, "
				"then those that receive data, then the busiest.</p>\n",
				h->n_ch, n_all);
		if (h->group > 1)
			fprintf(f, "<p class='note'>Each point covers %u recorded intervals.</p>\n",
				h->group);
	}
	for (unsigned k = 0; k < h->n_ch; k++) {
		const struct charted *ch = &h->ch[k];
		const struct proc_view *p = ch->overall;
		struct colvals v;
		struct svg_axis xa;
		int any_q = 0;

		if (colvals_fill(h, ch, &v)) {
			colvals_free(&v);
			return -1;
		}
		xa = time_axis(h, &v);
		for (unsigned c = 0; c < h->n_cols; c++)
			any_q |= ch->cols[c].has_q;
		fputs("<h3>", f);
		html_escape(f, ch->comm, sizeof(ch->comm));
		fprintf(f, " [%u]", ch->pid);
		if (p->stage)
			fprintf(f, " — pipeline stage %u%s", p->stage,
				p->bottleneck ? " (bottleneck)" : "");
		fputs("</h3>\n", f);
		if (any_q) {
			fputs("<p class='note'>Arrivals λ are counted where the kernel queues data "
			      "to the process's sockets; throughput X where the process reads it. "
			      "ρ = λS/c: above 1 the input backlog grows.",
			      f);
			if (fc_drawn(&xa, &v))
				fputs(" The band is the forecast of λ, drawn at the time it is "
				      "for.",
				      f);
			fputs("</p>\n", f);
			chart_rates(f, h, ch, &v);
			fputs("<p class='note'>Response time W measured (wait in the socket queue "
			      "+ "
			      "service) against what each queueing model predicts from the "
			      "measured λ, "
			      "S and c. A model line missing at a point means it predicts no "
			      "steady "
			      "state there (ρ ≥ 1).</p>\n",
			      f);
			chart_response(f, h, ch, &v);
			if (ch->q_is_wait)
				fputs("<p class='note'>Queue wait per op (data queued in the "
				      "socket until "
				      "the process dequeued it), by log2 latency bucket:</p>\n",
				      f);
			else
				fputs("<p class='note'>Service time per op (queue wait was not "
				      "measured "
				      "per op for this process), by log2 latency bucket:</p>\n",
				      f);
			heatmap(f, h, ch, &xa, 1, "heat-queue",
				ch->q_is_wait ? "queue wait heat map" : "service time heat map",
				ch->q_is_wait ? "queue wait" : "service time");
		}
		fputs("<p class='note'>CPU used (in cores: 1 = one CPU busy all the time) and "
		      "syscalls made:</p>\n",
		      f);
		chart_cpu(f, h, ch, &v);
		fputs("<p class='note'>Syscall latency, all syscalls of the process, by log2 "
		      "bucket (blocking calls such as reads that wait for input show as the slow "
		      "band):</p>\n",
		      f);
		heatmap(f, h, ch, &xa, 0, "heat-syscalls", "syscall latency heat map",
			"syscall latency");
		colvals_free(&v);
	}
	if (o)
		profile_out_html(f, o); /* --profile: flame graphs (issue 13) */
	if (o)
		section_syscalls(f, o);
	if (o) {
		html_section_trend(f, &h->last);
		html_section_whatif(f, o);
		html_section_threads(f, o);
		html_section_connections(f, o);
	}
	html_section_reading(f);
	fputs("<footer>Written by streamtrace from a recording. Unknown figures show as –; "
	      "every figure and chart is explained under <a href='#reading'>Reading this "
	      "report</a>.</footer>\n</body></html>\n",
	      f);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
