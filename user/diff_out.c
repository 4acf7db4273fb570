// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * diff's rendering (diff_int.h): the rows the comparison judged, as the
 * table with its notes and closing line, or as one JSON object.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "diff_int.h"
#include "diff_services.h"
#include "json_writer.h"
#include "names.h"
#include "units.h"

static const char *const verdict_names[] = {
	[V_NA] = "n/a",	     [V_INFO] = "info",		[V_OK] = "ok",
	[V_NOISE] = "noise", [V_IMPROVED] = "improved", [V_REGRESSED] = "regressed",
};

/* The printf width that gives @s @w columns on a terminal: its UTF-8
 * continuation bytes ("µ" is two bytes) take no column. */
static int cols(const char *s, int w)
{
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) == 0x80;
	return w;
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
		else
			fmt_duration(v, b, n);
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
	int dir = diff_metric_dir[m];
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
				char nb[SYSCALL_LABEL_LEN];
				const char *nm = syscall_label(ent->sc[j].nr, nb, sizeof(nb));

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
		fprintf(f, "%-20.20s %-21.21s %*s %*s %8s  ", r->entity, r->what, cols(vb, 10), vb,
			cols(vn, 10), vn, ch);
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
	jw_knum(w, "steal_share", s->steal_share);
	jw_obj_end(w);
}

void diff_print_json(FILE *f, const struct side *bs, const struct side *ns, struct rows *rs,
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
		jw_key(&w, diff_metric_name(m));
		if (!o->th[m].enabled) {
			jw_null(&w);
			continue;
		}
		jw_obj_begin(&w);
		jw_knum(&w, "rel", diff_metric_dir[m] * o->th[m].rel);
		jw_knum(&w, "abs", diff_metric_dir[m] * o->th[m].abs);
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
		jw_kstr(&w, "threshold_metric", diff_metric_name(r->m));
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

void diff_print_text(FILE *out, const struct side *bs, const struct side *ns, struct rows *rs,
		     const struct diff_options *o, int few)
{
	print_table(out, bs, ns, rs, o);
	for (unsigned i = 0; i < bs->n_ent; i++)
		if (!bs->ent[i].matched)
			fprintf(out, "only in base: %s\n", bs->ent[i].label);
	for (unsigned j = 0; j < ns->n_ent; j++)
		if (!ns->ent[j].matched)
			fprintf(out, "only in new: %s\n", ns->ent[j].label);
	if (bs->lost || ns->lost)
		fprintf(out, "note: events were lost (base %llu, new %llu): counts may be low\n",
			(unsigned long long)bs->lost, (unsigned long long)ns->lost);
	/* a noisy neighbour, not the change, may have made one run slower */
	if (isfinite(bs->steal_share) && isfinite(ns->steal_share) &&
	    fabs(ns->steal_share - bs->steal_share) >= 0.02)
		fprintf(out,
			"note: the hypervisor took %.1f%% of the host's CPU time in base and "
			"%.1f%% in new: busy, service and response times include it\n",
			100 * bs->steal_share, 100 * ns->steal_share);
	/* per op figures of different units of work (a recording from before
	 * messages were counted, say) compare receives with messages */
	for (unsigned i = 0; i < bs->n_ent; i++) {
		const struct entity *b = &bs->ent[i], *n;

		if (!b->matched || !b->unit)
			continue;
		n = &ns->ent[b->matched - 1];
		if (n->unit && n->unit != b->unit)
			fprintf(out,
				"note: %s: one op is a %s in base and a %s in new: throughput "
				"and per-op times compare different units\n",
				b->label, unit_name(b->unit), unit_name(n->unit));
	}
	if (bs->partial || ns->partial)
		fprintf(out,
			"note: partial intervals (shorter than half of -i) left out of the "
			"per-interval tests: base %llu, new %llu\n",
			(unsigned long long)bs->partial, (unsigned long long)ns->partial);
	for (const struct side *sd = bs; sd; sd = sd == bs ? ns : NULL)
		if (sd->iv_min_s > 0 && sd->iv_max_s > UNEVEN_RATIO * sd->iv_min_s)
			fprintf(out,
				"note: %s has intervals of uneven length (%.3g to %.3g s): the "
				"per-interval tests weigh them alike, so judge with care\n",
				sd == bs ? "base" : "new", sd->iv_min_s, sd->iv_max_s);
	if (few)
		fprintf(out,
			"note: fewer than %d intervals a run: response and wait are judged on "
			"thresholds alone, throughput on op counts (record with a shorter -i)\n",
			MIN_INTERVALS);
}

void diff_print_verdict(FILE *out, const struct rows *rs, const struct diff_options *o,
			unsigned regressed)
{
	if (!regressed) {
		fputs("diff: no regression beyond thresholds\n", out);
	} else {
		unsigned k = 0;

		fprintf(out, "diff: %u regression%s:", regressed, regressed == 1 ? "" : "s");
		for (unsigned i = 0; i < rs->n; i++) {
			const struct row *r = &rs->r[i];
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
}
