// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The live table, 80 columns: one line per process, busiest (most CPU) first,
 * then the busiest syscalls. Unknown figures print as "-".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "table_out.h"
#include "services.h"
#include "names.h"
#include "sample_out.h"

#define MAX_ROWS 20

/* A comm made safe for a terminal: a process names itself, and an escape
 * sequence in its name must not reach the screen. */
static const char *safe(const char *comm, char *buf)
{
	unsigned i;

	for (i = 0; i < ST_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = (unsigned char)comm[i] < 0x20 || comm[i] == 0x7f ? '?' : comm[i];
	buf[i] = 0;
	return buf;
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
	if (isfinite(v))
		fprintf(f, " %*.*f", width - 1, prec, v);
	else
		fprintf(f, " %*s", width - 1, "-");
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
	const struct proc_view **rows = calloc(s->n_procs ? s->n_procs : 1, sizeof(*rows));
	struct top_sc *sc = NULL;
	char cb[ST_COMM_LEN];
	unsigned nsc = 0, cap = 0;
	char tbuf[32];
	/* a recording may hold anything: no undefined cast of NaN or huge */
	time_t t = isfinite(s->time) && fabs(s->time) < 1e15 ? (time_t)s->time : 0;
	struct tm tm;
	double span = s->span_s > 0 ? s->span_s : 1;

	if (!rows)
		return;
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (refresh)
		fputs("\033[H\033[2J", f);
	fprintf(f, "streamtrace %s  %s %.1fs  processes %u  lost %llu", tbuf,
		s->is_summary ? "SUMMARY over" : "span", s->span_s, s->n_procs,
		(unsigned long long)lost_total(&s->lost));
	fputc('\n', f);
	/* what to do about the losses a limit causes */
	if (s->lost.kinds[ST_LOST_PROCS_FULL])
		fprintf(f,
			"note: %llu processes found no slot and were not traced: raise "
			"--max-procs\n",
			(unsigned long long)s->lost.kinds[ST_LOST_PROCS_FULL]);
	table_out_sample_note(f, s);
	fprintf(f, "%6s %-14s %3s %5s %6s %6s %5s %6s %6s %5s %7s\n", "PID", "COMM", "THR", "CPU%",
		"RUNQms", "SYSC/s", "ERR/s", "RX/s", "ARR/s", "RHO", "W(ms)");
	for (unsigned i = 0; i < s->n_procs; i++)
		rows[i] = &s->procs[i];
	qsort(rows, s->n_procs, sizeof(*rows), cmp_busiest);
	for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
		const struct proc_view *p = rows[i];
		uint64_t calls = 0, errs = 0;
		const struct queue_figures *q = p->has_queue ? &p->queue : NULL;

		for (unsigned j = 0; j < p->n_syscalls; j++) {
			calls += p->syscalls[j].count;
			errs += p->syscalls[j].errors;
		}
		if (p->pid)
			fprintf(f, "%6u %-13.13s%c", p->pid, safe(p->comm, cb),
				p->bottleneck ? '*' : ' ');
		else /* exited processes folded into one row by name */
			fprintf(f, "%6s %-13.13s%c", "exited", safe(p->comm, cb), ' ');
		if (p->exited)
			fprintf(f, " %3s", "x");
		else
			fprintf(f, " %3u", p->threads);
		fig(f, 6, 1, 100.0 * p->oncpu_s / span);
		fig(f, 7, 1, p->runq_wait_s * 1e3);
		fig(f, 7, 0, (double)calls / span);
		fig(f, 6, 0, (double)errs / span);
		fig(f, 7, 0, (double)p->rx_ops / span);
		fig(f, 7, 0, q ? q->arrival_rate : NAN);
		fig(f, 6, 2, q ? q->rho : NAN);
		fig(f, 8, 2, q ? q->response_s * 1e3 : NAN);
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

		if (p->has_forecast && isfinite(p->fc_saturation_eta_s))
			fprintf(f,
				"forecast %u %s: at the current growth saturates in %.0f s (λ "
				"%.0f/s in %.0f s)\n",
				p->pid, safe(p->comm, cb), p->fc_saturation_eta_s,
				p->fc_arrival_rate, p->fc_horizon_s);
		if (p->has_whatif)
			fprintf(f, "what-if %s, %u %s: rho %.2f, W %.2f ms, p99 ~%.2f ms (M/M/c)\n",
				s->whatif_spec, p->pid, safe(p->comm, cb), p->wi_rho,
				p->wi_response_s * 1e3, p->wi_response_p99_s * 1e3);
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
			"RUNQms", "BUSY%", "RX/s", "SYSC/s");
		for (unsigned i = 0; i < s->n_procs && i < MAX_ROWS; i++) {
			const struct proc_view *p = rows[i];

			for (unsigned j = 0; j < p->n_thread_views && j < 8; j++) {
				const struct thread_view *t = &p->thread_views[j];

				fprintf(f, "%6u %7u %-13.13s", p->pid, t->tid, safe(t->comm, cb));
				fig(f, 7, 1, 100.0 * t->oncpu_s / span);
				fig(f, 8, 1, t->runq_wait_s * 1e3);
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
		 * saturated one: ρ, its CPUs, or every member) */
		fprintf(f, "\n%-20s %5s %4s %4s %8s %6s %8s %6s %5s %6s\n", "SERVICE", "PROCS",
			"THR", "CAP", "ARR/s", "U", "S(ms)", "RHO", "CPUS", "RUNQ%");
		for (unsigned i = 0; i < s->n_services && i < MAX_ROWS; i++) {
			const struct service_view *v = &s->services[i];
			const struct queue_figures *q = &v->queue;
			int sat = (v->has_queue && q->saturated) || v->cpu_saturated;
			char name[24];

			snprintf(name, sizeof(name), "%.19s%s", v->name, sat ? "*" : "");
			for (char *c = name; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			fprintf(f, "%-20s %5u", name, v->n_pids);
			if (v->has_queue)
				fprintf(f, " %4u %4u", q->servers, v->capacity_servers);
			else
				fprintf(f, " %4s %4s", "-", "-");
			fig(f, 9, 0, v->has_queue ? q->arrival_rate : NAN);
			fig(f, 7, 2, v->has_queue ? q->utilization : NAN);
			fig(f, 9, 2, v->has_queue ? q->service_time_s * 1e3 : NAN);
			fig(f, 7, 2, v->has_queue ? q->rho : NAN);
			fig(f, 6, 1, v->cpus);
			fig(f, 7, 0, 100.0 * v->runq_share);
			fputc('\n', f);
		}
	}
	if (!refresh)
		fputc('\n', f);
	fflush(f);
	free(sc);
	free(rows);
}
