// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report's sections for the recorded views, the what-if, the trend
 * at the end of the run and the page's own explanation (html_sections.h).
 * Tables only (no SVG): plain escaped text, "–" for a figure not known.
 */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "html_sections.h"
#include "html_out.h"

#define MAX_PROCS_SHOWN 16
#define MAX_ROWS_EACH	32

static void td(FILE *f, const char *fmt, double v)
{
	if (isfinite(v))
		fprintf(f, "<td>");
	else {
		fputs("<td>–</td>", f);
		return;
	}
	fprintf(f, fmt, v);
	fputs("</td>", f);
}

static void td_ms(FILE *f, double s)
{
	td(f, "%.3f ms", s * 1e3);
}

static void proc_head(FILE *f, const struct proc_view *p, const char *what, unsigned n)
{
	fputs("<h3>", f);
	html_escape(f, p->comm, ST_COMM_LEN);
	fprintf(f, " [%u]: %u %s</h3>\n", p->pid, n, what);
}

void html_section_threads(FILE *f, const struct snapshot *o)
{
	double span = o->span_s > 0 && isfinite(o->span_s) ? o->span_s : NAN;
	unsigned shown = 0;

	if (!o->has_threads)
		return;
	fputs("<h2 id='threads'>Threads</h2>\n<p class='note'>Recorded with --threads, over the "
	      "whole run. CPU and run queue are in percent of the run's length (100% = one CPU "
	      "all the time); busy is the time a thread spent serving (from taking an op to "
	      "waiting for the next); receives and syscalls are per second.</p>\n",
	      f);
	for (unsigned i = 0; i < o->n_procs && shown < MAX_PROCS_SHOWN; i++) {
		const struct proc_view *p = &o->procs[i];

		if (!p->n_thread_views || !p->thread_views)
			continue;
		shown++;
		proc_head(f, p, p->n_thread_views == 1 ? "thread" : "threads", p->n_thread_views);
		fputs("<table class='num threads'><thead><tr><th>tid</th><th>name</th><th>CPU "
		      "%</th><th>run queue %</th><th>busy %</th><th>receives/s</th>"
		      "<th>syscalls/s</th><th>switches</th></tr></thead><tbody>\n",
		      f);
		for (unsigned j = 0; j < p->n_thread_views && j < MAX_ROWS_EACH; j++) {
			const struct thread_view *t = &p->thread_views[j];

			fprintf(f, "<tr><td>%u</td><td class='l'>", t->tid);
			html_escape(f, t->comm, ST_COMM_LEN);
			fputs("</td>", f);
			td(f, "%.1f", 100 * t->oncpu_s / span);
			td(f, "%.1f", 100 * t->runq_wait_s / span);
			td(f, "%.1f", 100 * t->busy_s / span);
			td(f, "%.1f", (double)t->rx_ops / span);
			td(f, "%.1f", (double)t->syscalls / span);
			fprintf(f, "<td>%llu</td></tr>\n", (unsigned long long)t->switches);
		}
		fputs("</tbody></table>\n", f);
		if (p->n_thread_views > MAX_ROWS_EACH)
			fprintf(f, "<p class='note'>… and %u more threads.</p>\n",
				p->n_thread_views - MAX_ROWS_EACH);
	}
	if (!shown)
		fputs("<p class='note'>No thread was seen.</p>\n", f);
}

void html_section_connections(FILE *f, const struct snapshot *o)
{
	double span = o->span_s > 0 && isfinite(o->span_s) ? o->span_s : NAN;
	unsigned shown = 0;

	if (!o->has_conns)
		return;
	fputs("<h2 id='connections'>Connections</h2>\n<p class='note'>Recorded with "
	      "--connections, over the whole run: each socket of a process, its addresses, "
	      "the reads and writes a second, and the bytes left in its receive queue at the "
	      "end (its backlog: data that arrived and was not read yet).</p>\n",
	      f);
	for (unsigned i = 0; i < o->n_procs && shown < MAX_PROCS_SHOWN; i++) {
		const struct proc_view *p = &o->procs[i];

		if (!p->n_conns || !p->conns)
			continue;
		shown++;
		proc_head(f, p, p->n_conns == 1 ? "connection" : "connections", p->n_conns);
		fputs("<table class='num conns'><thead><tr><th>protocol</th><th>local</th>"
		      "<th>remote</th><th>reads/s</th><th>bytes read</th><th>writes/s</th>"
		      "<th>bytes written</th><th>backlog (bytes)</th></tr></thead><tbody>\n",
		      f);
		for (unsigned j = 0; j < p->n_conns && j < MAX_ROWS_EACH; j++) {
			const struct conn_view *c = &p->conns[j];

			fputs("<tr><td class='l'>", f);
			html_escape(f, c->proto, sizeof(c->proto));
			fputs("</td><td class='l'>", f);
			html_escape(f, c->local[0] ? c->local : "–", sizeof(c->local));
			fputs("</td><td class='l'>", f);
			html_escape(f, c->remote[0] ? c->remote : "–", sizeof(c->remote));
			fputs("</td>", f);
			td(f, "%.1f", (double)c->rx_ops / span);
			fprintf(f, "<td>%llu</td>", (unsigned long long)c->rx_bytes);
			td(f, "%.1f", (double)c->tx_ops / span);
			fprintf(f, "<td>%llu</td><td>%llu</td></tr>\n",
				(unsigned long long)c->tx_bytes,
				(unsigned long long)c->backlog_bytes);
		}
		fputs("</tbody></table>\n", f);
		if (p->n_conns > MAX_ROWS_EACH)
			fprintf(f, "<p class='note'>… and %u more connections.</p>\n",
				p->n_conns - MAX_ROWS_EACH);
	}
	if (!shown)
		fputs("<p class='note'>No connection was seen.</p>\n", f);
}

void html_section_whatif(FILE *f, const struct snapshot *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < o->n_procs; i++)
		n += o->procs[i].has_whatif != 0;
	if (!o->whatif_spec[0] && !n)
		return;
	fputs("<h2 id='whatif'>What if: ", f);
	html_escape(f, o->whatif_spec, sizeof(o->whatif_spec));
	fputs("</h2>\n<p class='note'>Recorded with --what-if: the change applied to each "
	      "process's measured arrival rate λ, service time S and servers c over the whole "
	      "run, and what the M/M/c model (Poisson arrivals, exponential service, c "
	      "servers) then predicts; the last column adds the measured variability of "
	      "arrivals and service (G/G/c, Allen-Cunneen). A model predicts nothing (–) "
	      "where ρ ≥ 1: the queue would grow without bound.</p>\n",
	      f);
	if (!n) {
		fputs("<p class='note'>No process had the figures to model.</p>\n", f);
		return;
	}
	fputs("<table class='num' id='whatif-table'><thead><tr><th>pid</th><th>command</th>"
	      "<th>measured ρ</th><th>measured W</th><th>λ then (ops/s)</th><th>S then</th>"
	      "<th>c then</th><th>ρ then</th><th>W then (M/M/c)</th><th>p99 then</th>"
	      "<th>W then (G/G/c)</th></tr></thead><tbody>\n",
	      f);
	for (unsigned i = 0; i < o->n_procs; i++) {
		const struct proc_view *p = &o->procs[i];

		if (!p->has_whatif)
			continue;
		fprintf(f, "<tr><td>%u</td><td class='l'>", p->pid);
		html_escape(f, p->comm, ST_COMM_LEN);
		fputs("</td>", f);
		td(f, "%.2f", p->has_queue ? p->queue.rho : NAN);
		td_ms(f, p->has_queue ? p->queue.response_s : NAN);
		td(f, "%.1f", p->wi.arrival_rate);
		td_ms(f, p->wi.service_time_s);
		fprintf(f, "<td>%u</td>", p->wi.servers);
		td(f, "%.2f", p->wi.rho);
		td_ms(f, p->wi.response_s);
		td_ms(f, p->wi.response_p99_s);
		td_ms(f, p->wi.gg_response_s);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

int html_keep_last(struct snapshot *last, const struct snapshot *s)
{
	/* per pid, its last interval with arrivals and a trend: the run's very
	 * last interval is often its shutdown, with nothing arriving */
	for (unsigned i = 0; i < s->n_procs; i++) {
		const struct proc_view *p = &s->procs[i];
		struct proc_view *d = NULL;

		if (!p->has_forecast || !p->has_queue || !(p->queue.arrival_rate > 0))
			continue;
		for (unsigned k = 0; k < last->n_procs && !d; k++)
			if (last->procs[k].pid == p->pid)
				d = &last->procs[k];
		if (!d) {
			struct proc_view *n =
				realloc(last->procs, (last->n_procs + 1) * sizeof(*last->procs));

			if (!n)
				return -1;
			last->procs = n;
			d = &last->procs[last->n_procs++];
		}
		*d = *p;
		d->syscalls = NULL;
		d->n_syscalls = 0;
		d->thread_views = NULL;
		d->n_thread_views = 0;
		d->conns = NULL;
		d->n_conns = 0;
	}
	return 0;
}

void html_section_trend(FILE *f, const struct snapshot *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < o->n_procs; i++)
		n += o->procs[i].has_forecast && isfinite(o->procs[i].fc.arrival_rate);
	if (!n)
		return;
	fputs("<h2 id='trend'>The trend at the end of the run</h2>\n<p class='note'>The run has "
	      "ended: nothing here is a prediction about now. Each line says where the arrival "
	      "rate was heading when the recording stopped (a straight line fitted to the last "
	      "intervals' λ, carried forward by the forecast horizon), and whether, had it "
	      "gone on, the process would have reached ρ = 1, from each process's last "
	      "interval with arrivals.</p>\n<ul id='trend-list'>\n",
	      f);
	for (unsigned i = 0; i < o->n_procs; i++) {
		const struct proc_view *p = &o->procs[i];
		double lam = p->has_queue ? p->queue.arrival_rate : NAN;

		if (!p->has_forecast || !isfinite(p->fc.arrival_rate))
			continue;
		fputs("<li>", f);
		html_escape(f, p->comm, ST_COMM_LEN);
		fprintf(f, " [%u]: λ ", p->pid);
		if (isfinite(lam))
			fprintf(f, "%.1f/s in its last interval with arrivals, ", lam);
		if (isfinite(lam) && p->fc.arrival_rate > lam * 1.05)
			fputs("rising", f);
		else if (isfinite(lam) && p->fc.arrival_rate < lam * 0.95)
			fputs("falling", f);
		else
			fputs("trending", f);
		fprintf(f, " toward %.1f/s %.0f s past it", fmax(0, p->fc.arrival_rate),
			p->fc.horizon_s);
		/* a rate is never below 0, whatever a straight line says */
		if (isfinite(p->fc.arrival_lo) && isfinite(p->fc.arrival_hi))
			fprintf(f, " (likely %.1f–%.1f/s)",
				fmax(0, fmin(p->fc.arrival_lo, p->fc.arrival_hi)),
				fmax(0, fmax(p->fc.arrival_lo, p->fc.arrival_hi)));
		if (isfinite(p->fc.saturation_eta_s) && p->fc.saturation_eta_s < 1)
			fputs("; it was at ρ = 1 already then", f);
		else if (isfinite(p->fc.saturation_eta_s))
			fprintf(f,
				"; at that trend ρ would have reached 1 about %.0f s after "
				"it",
				p->fc.saturation_eta_s);
		else if (isfinite(p->fc.rho))
			fprintf(f, "; ρ would have been %.2f then", p->fc.rho);
		fputs(".</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static const char *const glossary[][2] = {
	{"λ (arrival rate)",
	 "ops a second arriving at the process's input queues, counted where the kernel "
	 "queues data to its sockets or pipes. An op is one receive, or one whole message "
	 "where the protocol is framed (RESP, HTTP/1, ...: the table's op column)."},
	{"X (throughput)", "ops a second the process took from its queues."},
	{"c (servers)", "the threads that took ops in the window: the process's servers."},
	{"U (utilization)",
	 "the share of the servers' time spent busy serving (plus waking up to serve)."},
	{"S (service time)", "busy time per op: how long one op keeps one server busy."},
	{"ρ (rho)",
	 "λS/c, the load offered to each server. Below 1 the queue stays bounded; at 1 or "
	 "more the input backlog grows for as long as it lasts (the process is saturated)."},
	{"Wq (queue wait)",
	 "time from the kernel queueing an op's data until the process took it."},
	{"W (response time)",
	 "dispatch delay (an idle server waking up) + Wq + S: one op from arrival to done."},
	{"M/M/1, M/M/c, M/G/1, G/G/1",
	 "the response time queueing theory predicts from the measured λ, S and c, "
	 "assuming random (Poisson) arrivals and random service (M/M), any service time "
	 "distribution (M/G/1, from the measured variability) or both measured (G/G/1). "
	 "Close to the measured W: the process behaves like a plain queue. Far above: "
	 "the arrivals come in bursts or service varies more than assumed. Below: work "
	 "is batched or the model's assumptions do not hold."},
	{"CPU (cores)", "on-CPU time over the span: 1 is one CPU busy all the time."},
	{"stage, ⚠",
	 "processes that feed each other over sockets or pipes form a pipeline; stage 1 "
	 "is where data enters. ⚠ marks the bottleneck: the stage with the highest ρ, whose "
	 "capacity (c/S ops a second) limits what the whole pipeline can carry. Making any "
	 "other stage faster does not raise the pipeline's throughput."},
	{"status", "saturated: ρ ≥ 1, a backlog that grew over the run, or a server never idle; "
		   "exited N or killed by SIGNAL: how the process ended."},
};

void html_section_reading(FILE *f)
{
	fputs("<h2 id='reading'>Reading this report</h2>\n<p class='note'>Every figure is "
	      "measured by the kernel on the traced processes over the span it covers (the "
	      "whole run in the tables, one interval a point in the charts); – marks one "
	      "that could not be known.</p>\n<dl id='glossary'>\n",
	      f);
	for (unsigned i = 0; i < sizeof(glossary) / sizeof(glossary[0]); i++)
		fprintf(f, "<dt>%s</dt><dd>%s</dd>\n", glossary[i][0], glossary[i][1]);
	fputs("</dl>\n<p class='note'>The charts, for each charted process: <b>arrivals, "
	      "throughput and ρ</b> over time (when λ runs above X, a queue is building; ρ "
	      "crossing the dashed line at 1 is saturation), with, where the run had a trend, "
	      "the forecast made at each point drawn at the time it was for, so it can be "
	      "compared with what came; <b>response time</b> measured against each model; "
	      "<b>heat maps</b> of queue wait (or service time) and of syscall latency, one "
	      "column per interval, one row per power-of-two latency bucket, darker for more "
	      "ops; <b>CPU and syscalls</b> a second, failures in red. The pipeline chart puts "
	      "each stage's ρ and W side by side; the syscall chart lists the busiest calls "
	      "and their errors.</p>\n",
	      f);
}
