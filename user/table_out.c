// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The live table, 80 columns: one line per process, busiest (most CPU) first,
 * then the busiest syscalls. Unknown figures print as "-".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "figures.h"
#include "table_out.h"
#include "services.h"
#include "names.h"
#include "utf8.h"
#include "sample_out.h"

#define MAX_ROWS 20

/* A comm made safe for a terminal (a process names itself, and an escape
 * sequence in its name must not reach the screen), shown by the rule of
 * every output (utf8_shown in utf8.h). buf: COMM_BUF bytes. */
#define COMM_BUF     UTF8_SHOWN_LEN(ST_COMM_LEN)
#define COMM_COL_BUF (COMM_BUF + 16) /* and up to 16 columns of padding */
static const char *safe(const char *comm, char *buf)
{
	utf8_shown(comm, ST_COMM_LEN, buf, COMM_BUF);
	return buf;
}

/* s (at most n bytes) shown in a column of w characters (not bytes): cut
 * to w, then (pad) padded to w, with `mark` after the name if not 0; buf
 * holds buflen bytes */
static const char *shown_col(const char *s, size_t n, unsigned w, int pad, char mark, char *buf,
			     size_t buflen)
{
	size_t o = 0, len = utf8_shown(s, n, buf, buflen);
	unsigned chars = 0;

	while (o < len && chars < w) {
		o += utf8_seq_len((const unsigned char *)buf + o, len - o);
		chars++;
	}
	buf[o] = 0;
	if (mark && o + 1 < buflen)
		buf[o++] = mark, buf[o] = 0, chars++;
	while (pad && chars++ < w + !!mark && o + 1 < buflen)
		buf[o++] = ' ', buf[o] = 0;
	return buf;
}

static const char *safe_col(const char *comm, unsigned w, char *buf)
{
	return shown_col(comm, ST_COMM_LEN, w, 1, 0, buf, COMM_COL_BUF);
}

static int cmp_busiest(const void *a, const void *b)
{
	const struct proc_view *x = *(const struct proc_view *const *)a;
	const struct proc_view *y = *(const struct proc_view *const *)b;

	if (x->oncpu_s != y->oncpu_s)
		return x->oncpu_s < y->oncpu_s ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* a figure in a fixed width, "-" when unknown */
static void fig(FILE *f, int width, int prec, double v)
{
	/* a figure wider than its column drops its decimals first */
	if (isfinite(v) && prec && snprintf(NULL, 0, "%.*f", prec, v) > width - 1)
		prec = 0;
	if (isfinite(v))
		fprintf(f, " %*.*f", width - 1, prec, v);
	else
		fprintf(f, " %*s", width - 1, "-");
}

/* The table's own columns, numbered among the figure list's (figures.h,
 * .tcol.at): PID, COMM and THR lead; the syscall sums in between. */
#define TC_SYSC	  6
#define TC_ERR	  7
#define MAX_TCOLS 24

struct tcolumn {
	struct fig_tcol c;
	const struct figure *fig; /* NULL: one of the own columns */
};

/* the columns after THR, in .at order */
static unsigned table_columns(struct tcolumn *t)
{
	unsigned n = 0;

	t[n++] = (struct tcolumn){{"SYSC/s", TC_SYSC, 7, 0, 1, 1}, NULL};
	t[n++] = (struct tcolumn){{"ERR/s", TC_ERR, 6, 0, 1, 1}, NULL};
	for (unsigned i = 0; i < n_proc_figures && n < MAX_TCOLS; i++)
		if (proc_figures[i].tcol.head)
			t[n++] = (struct tcolumn){proc_figures[i].tcol, &proc_figures[i]};
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k && t[k - 1].c.at > t[k].c.at; k--) {
			struct tcolumn x = t[k];

			t[k] = t[k - 1];
			t[k - 1] = x;
		}
	return n;
}

struct top_sc {
	const struct proc_view *p;
	const struct syscall_row *r;
};

static int cmp_top_sc(const void *a, const void *b)
{
	const struct top_sc *x = a, *y = b;

	return x->r->count < y->r->count ? 1 : x->r->count > y->r->count ? -1 : 0;
}

void table_out_snapshot(FILE *f, const struct snapshot *s, int refresh)
{
	table_out_snapshot_color(f, s, refresh, 0);
}

void table_out_snapshot_color(FILE *f, const struct snapshot *s, int refresh, int color)
{
	const struct proc_view **rows = calloc(s->n_procs ? s->n_procs : 1, sizeof(*rows));
	struct top_sc *sc = NULL;
	char cb[COMM_COL_BUF];
	unsigned nsc = 0, cap = 0;
	char tbuf[32];
	/* a recording may hold anything: no undefined cast of NaN or huge */
	time_t t = isfinite(s->time) && fabs(s->time) < 1e15 ? (time_t)s->time : 0;
	struct tm tm;
	double span = s->span_s > 0 ? s->span_s : 1;
	struct tcolumn cols[MAX_TCOLS];
	unsigned n_cols;

	if (!rows)
		return;
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (refresh)
		fputs("\033[H\033[2J", f);
	fprintf(f, "streamtrace %s  %s %.1fs  processes %u  lost %llu", tbuf,
		s->is_summary ? "SUMMARY over" : "span", s->span_s, s->n_procs,
		(unsigned long long)lost_total(&s->lost));
	if (host_steal_share(s) >= 0.0005) /* shown from 0.1% */
		fprintf(f, "  steal %.1f%%", 100 * host_steal_share(s));
	fputc('\n', f);
	/* what to do about the losses a limit causes */
	if (s->lost.kinds[ST_LOST_PROCS_FULL])
		fprintf(f,
			"note: %llu processes found no slot and were not traced: raise "
			"--max-procs\n",
			(unsigned long long)s->lost.kinds[ST_LOST_PROCS_FULL]);
	table_out_sample_note(f, s);
	if (host_steal_share(s) >= 0.05)
		fprintf(f,
			"note: the hypervisor ran something else for %.0f%% of this host's CPU "
			"time: busy and service times include the time it took from a thread on "
			"a CPU\n",
			100 * host_steal_share(s));
	n_cols = table_columns(cols);
	fprintf(f, "%6s %-14s %3s", "PID", "COMM", "THR");
	for (unsigned c = 0; c < n_cols; c++)
		fprintf(f, " %*s", (int)cols[c].c.width - 1, cols[c].c.head);
	fputc('\n', f);
	for (unsigned i = 0; i < s->n_procs; i++)
		rows[i] = &s->procs[i];
	qsort(rows, s->n_procs, sizeof(*rows), cmp_busiest);
	for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
		const struct proc_view *p = rows[i];
		const struct queue_figures *q = p->has_queue ? &p->queue : NULL;
		uint64_t calls = 0, errs = 0;

		for (unsigned j = 0; j < p->n_syscalls; j++) {
			calls += p->syscalls[j].count;
			errs += p->syscalls[j].errors;
		}
		/* a terminal: the bottleneck yellow, a saturated queue red */
		if (color && (p->bottleneck || (q && q->saturated)))
			fputs(p->bottleneck ? "\033[1;33m" : "\033[1;31m", f);
		if (p->pid)
			fprintf(f, "%6u %s%c", p->pid, safe_col(p->comm, 13, cb),
				p->bottleneck ? '*' : ' ');
		else /* exited processes folded into one row by name */
			fprintf(f, "%6s %s%c", "exited", safe_col(p->comm, 13, cb), ' ');
		if (p->exited)
			fprintf(f, " %3s", "x");
		else
			fprintf(f, " %3u", p->threads);
		for (unsigned c = 0; c < n_cols; c++) {
			const struct fig_tcol *t = &cols[c].c;
			const struct figure *g = cols[c].fig;
			double v = !g ? (double)(t->at == TC_SYSC ? calls : errs)
				   : fig_known(g->known, p) ? fig_value(g, p, NULL, span)
							    : NAN;

			fig(f, (int)t->width, (int)t->prec,
			    t->per_span ? t->scale * v / span : t->scale * v);
		}
		if (color && (p->bottleneck || (q && q->saturated)))
			fputs("\033[0m", f);
		fputc('\n', f);
		for (unsigned j = 0; j < p->n_syscalls; j++) {
			if (nsc == cap) {
				unsigned ncap = cap ? cap * 2 : 64;
				struct top_sc *n = realloc(sc, ncap * sizeof(*n));

				if (!n)
					break;
				sc = n;
				cap = ncap;
			}
			sc[nsc].p = p;
			sc[nsc].r = &p->syscalls[j];
			nsc++;
		}
	}
	if (s->n_procs > MAX_ROWS)
		fprintf(f, "  ... %u more\n", s->n_procs - MAX_ROWS);
	/* ARR/s, RHO and W are per op: say what an op is where it is not a
	 * receive (issue 8); 80 columns leave no room for a column */
	for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
		const struct proc_view *p = rows[i];

		if (!p->has_queue || !p->msgs_known || p->unit == ST_UNIT_RECEIVE)
			continue;
		if (p->unit == ST_UNIT_MIXED)
			fprintf(f, "op %u %s: a message, of several units\n", p->pid,
				safe(p->comm, cb));
		else if (p->unit == ST_UNIT_TURN)
			fprintf(f, "op %u %s: a request/response turn\n", p->pid,
				safe(p->comm, cb));
		else
			fprintf(f, "op %u %s: a %s message\n", p->pid, safe(p->comm, cb),
				unit_name(p->unit));
	}
	for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
		const struct proc_view *p = rows[i];

		/* a summary is of a run that has ended: its trend, not a future */
		if (s->is_summary && p->has_forecast && isfinite(p->fc.saturation_eta_s))
			fprintf(f, "trend %u %.13s: at the end, λ rising to ρ = 1 in %.3g s\n",
				p->pid, safe(p->comm, cb), p->fc.saturation_eta_s);
		else if (p->has_forecast && isfinite(p->fc.saturation_eta_s))
			/* within 80 columns: comm cut to 13, figures to 3 digits */
			fprintf(f, "forecast %u %.13s: saturates in %.3g s (trend λ %.3g/s)\n",
				p->pid, safe(p->comm, cb), p->fc.saturation_eta_s,
				p->fc.arrival_rate);
		if (p->has_whatif)
			fprintf(f,
				"what-if %.24s, %u %.13s:\n  rho %.3g, W %.4g ms, p99 ~%.4g ms "
				"(M/M/c)\n",
				s->whatif_spec, p->pid, safe(p->comm, cb), p->wi.rho,
				p->wi.response_s * 1e3, p->wi.response_p99_s * 1e3);
	}
	if (s->pipeline.n_stages) {
		fprintf(f, "pipeline: %u stages, end-to-end W", s->pipeline.n_stages);
		fig(f, 9, 2, s->pipeline.e2e_response_s * 1e3);
		fprintf(f, " ms");
		if (s->pipeline.bottleneck_pid)
			fprintf(f, ", bottleneck (*) pid %u", s->pipeline.bottleneck_pid);
		fputc('\n', f);
	}
	if (nsc) {
		qsort(sc, nsc, sizeof(*sc), cmp_top_sc);
		fprintf(f, "\n%6s %-13s %-16s %10s %8s %9s %9s\n", "PID", "COMM", "SYSCALL",
			"COUNT", "ERRORS", "p50(us)", "p99(us)");
		for (unsigned i = 0; i < nsc && i < 8; i++) {
			const struct syscall_row *r = sc[i].r;
			const char *name = syscall_name(r->nr);
			double mx = r->max_known ? (double)r->max_ns : 0;

			fprintf(f, "%6u %-13.13s %-16.16s %10llu %8llu", sc[i].p->pid,
				safe(sc[i].p->comm, cb), name ? name : "?",
				(unsigned long long)r->count, (unsigned long long)r->errors);
			fig(f, 10, 1, hist_quantile_ns(&r->hist, 0.5, mx) / 1e3);
			fig(f, 10, 1, hist_quantile_ns(&r->hist, 0.99, mx) / 1e3);
			fputc('\n', f);
		}
	}
	if (s->has_threads) {
		fprintf(f, "\n%6s %7s %-13s %6s %7s %6s %7s %8s\n", "PID", "TID", "COMM", "CPU%",
			"RUNQ%", "BUSY%", "RX/s", "SYSC/s");
		for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
			const struct proc_view *p = rows[i];

			for (unsigned j = 0; j < p->n_thread_views && j < 8; j++) {
				const struct thread_view *t = &p->thread_views[j];

				fprintf(f, "%6u %7u %s", p->pid, t->tid, safe_col(t->comm, 13, cb));
				fig(f, 7, 1, 100.0 * t->oncpu_s / span);
				fig(f, 8, 1, 100.0 * t->runq_wait_s / span);
				fig(f, 7, 1, 100.0 * t->busy_s / span);
				fig(f, 8, 0, (double)t->rx_ops / span);
				fig(f, 9, 0, (double)t->syscalls / span);
				fputc('\n', f);
			}
		}
	}
	if (s->has_conns) {
		fprintf(f, "\n%6s %-5s %-21s %-21s %6s %6s %7s\n", "PID", "PROTO", "LOCAL",
			"REMOTE", "RX/s", "TX/s", "BACKLOG");
		for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
			const struct proc_view *p = rows[i];

			for (unsigned j = 0; j < p->n_conns && j < 8; j++) {
				const struct conn_view *c = &p->conns[j];

				fprintf(f, "%6u %-5.5s %-21.21s %-21.21s", p->pid, c->proto,
					c->local[0] ? c->local : "-",
					c->remote[0] ? c->remote : "-");
				fig(f, 7, 0, (double)c->rx_ops / span);
				fig(f, 7, 0, (double)c->tx_ops / span);
				fprintf(f, " %7llu\n", (unsigned long long)c->backlog_bytes);
			}
		}
	}
	if (s->has_services) {
		/* one row per service: its station and its CPUs (a * marks a
		 * saturated one: ρ, its CPUs, or every member); the columns
		 * after the name are the services' figure list's */
		const struct svc_figure *sc[SVC_MAX_PROM];
		unsigned n_sc = svc_sorted(SO_TCOL, sc, SVC_MAX_PROM);

		fprintf(f, "\n%-20s", "SERVICE");
		for (unsigned c = 0; c < n_sc; c++)
			fprintf(f, " %*s", (int)sc[c]->tcol.width - 1, sc[c]->tcol.head);
		fputc('\n', f);
		for (unsigned i = 0; i < s->n_services && i < MAX_ROWS; i++) {
			const struct service_view *v = &s->services[i];
			int sat = (v->has_queue && v->queue.saturated) || v->cpu_saturated;
			char name[UTF8_SHOWN_LEN(sizeof(v->name)) + 24];

			/* 19 characters and the mark, shown as every output (utf8.h) */
			shown_col(v->name, sizeof(v->name), 19, 1, sat ? '*' : 0, name,
				  sizeof(name));
			fprintf(f, "%s%s", name, sat ? "" : " ");
			for (unsigned c = 0; c < n_sc; c++) {
				const struct svc_figure *g = sc[c];
				double x = svc_known(g->known | g->prom_known, v) ? svc_value(g, v)
										  : NAN;

				fig(f, (int)g->tcol.width, (int)g->tcol.prec, g->tcol.scale * x);
			}
			fputc('\n', f);
		}
	}
	if (!refresh)
		fputc('\n', f);
	fflush(f);
	free(sc);
	free(rows);
}
