// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The contract's JSON lines: one object per interval, one summary last. Keys
 * beyond the contract (exit status, off-CPU time, model errors, Little's law
 * check, lost-event breakdown) are additions, never replacements.
 */
#include <math.h>
#include <stdlib.h>
#include "json_out.h"
#include "services.h"
#include "json_writer.h"
#include "names.h"

static double us(double ns)
{
	return ns / 1e3;
}

static void json_out_syscall(struct jw *w, const struct syscall_row *r)
{
	char buf[32];
	const char *name = syscall_name(r->nr);

	jw_obj_begin(w);
	if (!name) {
		snprintf(buf, sizeof(buf), "syscall_%u", r->nr);
		name = buf;
	}
	jw_kstr(w, "name", name);
	jw_ku64(w, "nr", r->nr);
	jw_ku64(w, "count", r->count);
	jw_ku64(w, "errors", r->errors);
	jw_knum(w, "total_s", (double)r->total_ns / 1e9);
	jw_knum(w, "p50_us",
		us(hist_quantile_ns(&r->hist, 0.50, r->max_known ? (double)r->max_ns : 0)));
	jw_knum(w, "p99_us",
		us(hist_quantile_ns(&r->hist, 0.99, r->max_known ? (double)r->max_ns : 0)));
	jw_knum(w, "max_us", r->max_known && r->count ? us((double)r->max_ns) : NAN);
	jw_key(w, "errnos");
	jw_obj_begin(w);
	for (unsigned i = 0; i < r->n_errnos; i++)
		jw_ku64(w, errno_name(r->errnos[i].err, buf, sizeof(buf)), r->errnos[i].count);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void json_out_queue(struct jw *w, const struct queue_figures *q)
{
	jw_obj_begin(w);
	jw_knum(w, "arrival_rate", q->arrival_rate);
	jw_knum(w, "throughput", q->throughput);
	jw_knum(w, "utilization", q->utilization);
	jw_knum(w, "service_time_s", q->service_time_s);
	jw_knum(w, "service_rate", q->service_rate);
	jw_ku64(w, "servers", q->servers);
	jw_knum(w, "rho", q->rho);
	jw_knum(w, "queue_length", q->queue_length);
	jw_knum(w, "wait_s", q->wait_s);
	jw_knum(w, "dispatch_s", q->dispatch_s);
	jw_knum(w, "response_s", q->response_s);
	jw_kbool(w, "saturated", q->saturated);
	jw_key(w, "model");
	jw_obj_begin(w);
	jw_knum(w, "mm1_response_s", q->mm1_response_s);
	jw_knum(w, "mmc_response_s", q->mmc_response_s);
	jw_knum(w, "mg1_response_s", q->mg1_response_s);
	jw_knum(w, "gg1_response_s", q->gg1_response_s);
	jw_knum(w, "mm1_error", q->mm1_error);
	jw_knum(w, "mmc_error", q->mmc_error);
	jw_knum(w, "mg1_error", q->mg1_error);
	jw_knum(w, "gg1_error", q->gg1_error);
	jw_obj_end(w);
	jw_knum(w, "little_lambda_w", q->little_l_lambda_w);
	jw_knum(w, "little_error", q->little_error);
}

/* Per unit of work, when the process serves several (unit "mixed"): each
 * unit's messages and rates; λ and X above are their sums. */
static void json_out_units(struct jw *w, const struct proc_view *p)
{
	if (!p->msgs_known || p->unit != ST_UNIT_MIXED)
		return;
	jw_key(w, "units");
	jw_obj_begin(w);
	for (unsigned i = 0; i < p->n_units; i++) {
		jw_key(w, unit_name(p->units[i].unit));
		jw_obj_begin(w);
		jw_ku64(w, "msgs", p->units[i].msgs);
		jw_knum(w, "arrival_rate", p->units[i].arrival_rate);
		jw_knum(w, "throughput", p->units[i].throughput);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* Added queue keys: dispatch's tail, busy and idle time, and what busy
 * threads were blocked on (docs/queueing.md, "Busy and idle"). */
static void json_out_busy(struct jw *w, const struct proc_view *p)
{
	static const char *const kinds[ST_BLK__MAX] = {"latch", "futex", "io", "other"};

	jw_knum(w, "dispatch_p99_s",
		p->dispatch_count ? hist_quantile_ns(&p->dispatch_hist, 0.99, 0) / 1e9 : NAN);
	jw_ku64(w, "dispatch_count", p->dispatch_count);
	jw_knum(w, "busy_s", p->busy_known ? p->busy_s : NAN);
	jw_knum(w, "idle_s", p->busy_known ? p->idle_s : NAN);
	jw_key(w, "busy_blocked_s");
	if (p->busy_known) {
		jw_obj_begin(w);
		for (unsigned k = 0; k < ST_BLK__MAX; k++)
			jw_knum(w, kinds[k], p->blocked_busy_s[k]);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
}

static void json_out_proc(struct jw *w, const struct proc_view *p, double span_s, int s_threads,
			  int s_conns)
{
	char buf[32];

	jw_obj_begin(w);
	if (p->pid) {
		jw_ku64(w, "pid", p->pid);
	} else {
		/* a summary row of exited processes folded together by name
		 * (the count is not in recordings: null there) */
		jw_knull(w, "pid");
		if (p->folded)
			jw_ku64(w, "exited_processes", p->folded);
		else
			jw_knull(w, "exited_processes");
	}
	jw_key(w, "comm");
	jw_strn(w, p->comm, sizeof(p->comm));
	jw_ku64(w, "threads", p->threads);

	jw_key(w, "cpu");
	jw_obj_begin(w);
	jw_knum(w, "oncpu_s", p->oncpu_s);
	jw_knum(w, "utilization", span_s > 0 ? p->oncpu_s / span_s : NAN);
	jw_knum(w, "runq_wait_s", p->runq_wait_s);
	jw_knum(w, "runq_p99_us", us(hist_quantile_ns(&p->runq_hist, 0.99, p->runq_max_ns)));
	jw_ku64(w, "ctx_switches", p->ctx_switches);
	jw_ku64(w, "involuntary_switches", p->invol_switches);
	jw_ku64(w, "runq_waits", p->runq_count);
	jw_knum(w, "offcpu_s", p->offcpu_s);
	jw_obj_end(w);

	jw_key(w, "memory");
	jw_obj_begin(w);
	if (p->rss_known)
		jw_ku64(w, "rss_bytes", p->rss_bytes);
	else
		jw_knull(w, "rss_bytes");
	if (p->faults_known) {
		jw_ku64(w, "page_faults", p->page_faults);
		jw_ku64(w, "major_faults", p->major_faults);
	} else {
		jw_knull(w, "page_faults");
		jw_knull(w, "major_faults");
	}
	jw_obj_end(w);

	jw_key(w, "syscalls");
	jw_arr_begin(w);
	for (unsigned i = 0; i < p->n_syscalls; i++)
		json_out_syscall(w, &p->syscalls[i]);
	jw_arr_end(w);

	jw_key(w, "net");
	jw_obj_begin(w);
	if (!p->net_known) {
		static const char *const keys[] = {
			"rx_bytes",    "tx_bytes", "rx_ops", "tx_ops",	"backlog_bytes",
			"retransmits", "resets",   "drops",  "rx_msgs", "tx_msgs"};

		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			jw_knull(w, keys[i]);
		jw_obj_end(w);
		goto queue;
	}
	jw_ku64(w, "rx_bytes", p->rx_bytes);
	jw_ku64(w, "tx_bytes", p->tx_bytes);
	jw_ku64(w, "rx_ops", p->rx_ops);
	jw_ku64(w, "tx_ops", p->tx_ops);
	if (p->msgs_known)
		jw_ku64(w, "rx_msgs", p->rx_msgs);
	else
		jw_knull(w, "rx_msgs");
	if (p->tx_msgs_known)
		jw_ku64(w, "tx_msgs", p->tx_msgs);
	else
		jw_knull(w, "tx_msgs");
	if (p->backlog_known)
		jw_ku64(w, "backlog_bytes", p->backlog_bytes);
	else
		jw_knull(w, "backlog_bytes");
	jw_ku64(w, "retransmits", p->retransmits);
	jw_ku64(w, "resets", p->resets);
	jw_ku64(w, "drops", p->drops);
	jw_key(w, "drop_reasons");
	jw_obj_begin(w);
	for (unsigned i = 0; i < p->n_drop_reasons; i++)
		jw_ku64(w, p->drop_reasons[i].reason, p->drop_reasons[i].count);
	jw_obj_end(w);
	/* its share of lost.framing_lost (issue 8) */
	if (p->msgs_known)
		jw_ku64(w, "framing_lost", p->fr_lost);
	jw_obj_end(w);

queue:
	jw_key(w, "queue");
	if (p->has_queue) {
		json_out_queue(w, &p->queue);
		jw_kstr(w, "unit", unit_name(p->msgs_known ? p->unit : ST_UNIT_RECEIVE));
		json_out_units(w, p);
		jw_knum(w, "wait_timed_s", p->wait_timed_s);
		jw_knum(w, "wait_p99_us", us(hist_quantile_ns(&p->wait_hist, 0.99, 0)));
		jw_knum(w, "service_p99_us", us(hist_quantile_ns(&p->svc_hist, 0.99, 0)));
		jw_knum(w, "arrival_cv2", p->arrival_cv2);
		jw_knum(w, "service_cv2", p->service_cv2);
		json_out_busy(w, p);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	jw_key(w, "forecast");
	if (p->has_forecast) {
		jw_obj_begin(w);
		jw_knum(w, "horizon_s", p->fc_horizon_s);
		jw_knum(w, "arrival_rate", p->fc_arrival_rate);
		jw_knum(w, "rho", p->fc_rho);
		jw_knum(w, "response_s", p->fc_response_s);
		jw_knum(w, "saturation_eta_s", p->fc_saturation_eta_s);
		jw_knum(w, "arrival_rate_lo", p->fc_arrival_lo);
		jw_knum(w, "arrival_rate_hi", p->fc_arrival_hi);
		jw_kstr(w, "model", "linear trend of λ; ρ and W by M/M/c");
		jw_obj_end(w);
	} else {
		jw_null(w);
	}

	if (p->has_whatif) {
		jw_key(w, "what_if");
		jw_obj_begin(w);
		jw_kstr(w, "model", "M/M/c");
		jw_knum(w, "arrival_rate", p->wi_arrival_rate);
		jw_knum(w, "service_time_s", p->wi_service_time_s);
		jw_ku64(w, "servers", p->wi_servers);
		jw_knum(w, "rho", p->wi_rho);
		jw_knum(w, "response_s", p->wi_response_s);
		jw_knum(w, "response_p99_s", p->wi_response_p99_s);
		jw_knum(w, "gg_response_s", p->wi_gg_response_s);
		jw_obj_end(w);
	}

	if (s_threads) {
		jw_key(w, "threads_detail");
		jw_arr_begin(w);
		for (unsigned i = 0; i < p->n_thread_views; i++) {
			const struct thread_view *t = &p->thread_views[i];

			jw_obj_begin(w);
			jw_ku64(w, "tid", t->tid);
			jw_key(w, "comm");
			jw_strn(w, t->comm, sizeof(t->comm));
			jw_knum(w, "oncpu_s", t->oncpu_s);
			jw_knum(w, "runq_wait_s", t->runq_wait_s);
			jw_knum(w, "busy_s", t->busy_s);
			jw_ku64(w, "ctx_switches", t->switches);
			jw_ku64(w, "syscalls", t->syscalls);
			jw_ku64(w, "rx_ops", t->rx_ops);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (s_conns) {
		jw_key(w, "connections");
		jw_arr_begin(w);
		for (unsigned i = 0; i < p->n_conns; i++) {
			const struct conn_view *c = &p->conns[i];

			jw_obj_begin(w);
			jw_kstr(w, "proto", c->proto);
			if (c->local[0])
				jw_kstr(w, "local", c->local);
			else
				jw_knull(w, "local");
			if (c->remote[0])
				jw_kstr(w, "remote", c->remote);
			else
				jw_knull(w, "remote");
			jw_ku64(w, "rx_bytes", c->rx_bytes);
			jw_ku64(w, "rx_ops", c->rx_ops);
			jw_ku64(w, "tx_bytes", c->tx_bytes);
			jw_ku64(w, "tx_ops", c->tx_ops);
			/* the unit of work of each direction: its protocol, turn
			 * or receive; null while not known (issue 8) */
			if (c->unit_rx)
				jw_kstr(w, "unit", unit_name(c->unit_rx));
			else
				jw_knull(w, "unit");
			if (c->unit_tx)
				jw_kstr(w, "tx_unit", unit_name(c->unit_tx));
			else
				jw_knull(w, "tx_unit");
			jw_ku64(w, "backlog_bytes", c->backlog_bytes);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}

	jw_key(w, "stage");
	if (p->stage)
		jw_u64(w, p->stage);
	else
		jw_null(w);
	jw_kbool(w, "bottleneck", p->bottleneck);

	jw_key(w, "exit");
	if (p->exited) {
		int sig = p->exit_code & 0x7f;

		jw_obj_begin(w);
		if (sig) {
			jw_knull(w, "code");
			jw_kstr(w, "signal", signal_name(sig, buf, sizeof(buf)));
			jw_kbool(w, "core_dumped", (p->exit_code & 0x80) != 0);
		} else {
			jw_ku64(w, "code", (p->exit_code >> 8) & 0xff);
			jw_knull(w, "signal");
			jw_kbool(w, "core_dumped", 0);
		}
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_obj_end(w);
}

/* A service's place in the pipeline over services (added keys): its stage
 * (null when it is in none), bottleneck, and the slowest path's response
 * from a source through it. */
static void json_out_service_stage(struct jw *w, const struct service_view *v)
{
	jw_key(w, "stage");
	if (v->stage)
		jw_u64(w, v->stage);
	else
		jw_null(w);
	jw_kbool(w, "bottleneck", v->bottleneck);
	jw_knum(w, "path_response_s", v->stage ? v->path_response_s : NAN);
}

/* The pipeline over services, in the pipeline object (added keys; only
 * with --services and when services feed each other). */
static void json_out_service_pipeline(struct jw *w, const struct snapshot *s)
{
	unsigned stages = 0;
	int bott = -1;
	double e2e = NAN;

	for (unsigned i = 0; s->has_services && i < s->n_services; i++) {
		const struct service_view *v = &s->services[i];

		if (!v->stage)
			continue;
		stages = v->stage > stages ? v->stage : stages;
		if (v->bottleneck)
			bott = (int)i;
		if (!isfinite(e2e) || v->path_response_s > e2e)
			e2e = v->path_response_s;
	}
	if (!stages)
		return;
	jw_ku64(w, "service_stages", stages);
	if (bott >= 0)
		jw_kstr(w, "bottleneck_service", s->services[bott].name);
	else
		jw_knull(w, "bottleneck_service");
	jw_knum(w, "services_end_to_end_response_s", e2e);
}

/* One service of --services: name, member pids, net, queue, forecast. */
static void json_out_service(struct jw *w, const struct service_view *v)
{
	jw_obj_begin(w);
	jw_kstr(w, "name", v->name);
	jw_key(w, "pids");
	jw_arr_begin(w);
	for (unsigned i = 0; i < v->n_pids; i++)
		jw_u64(w, v->pids[i]);
	jw_arr_end(w);
	jw_key(w, "net");
	if (v->net_known) {
		jw_obj_begin(w);
		jw_ku64(w, "rx_bytes", v->rx_bytes);
		jw_ku64(w, "tx_bytes", v->tx_bytes);
		jw_ku64(w, "rx_ops", v->rx_ops);
		jw_ku64(w, "tx_ops", v->tx_ops);
		jw_ku64(w, "backlog_bytes", v->backlog_bytes);
		jw_ku64(w, "retransmits", v->retransmits);
		jw_ku64(w, "resets", v->resets);
		jw_ku64(w, "drops", v->drops);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "queue");
	if (v->has_queue) {
		json_out_queue(w, &v->queue);
		jw_ku64(w, "capacity_servers", v->capacity_servers);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "cpu");
	jw_obj_begin(w);
	jw_knum(w, "cpus", v->cpus);
	jw_knum(w, "oncpu_s", v->oncpu_s);
	jw_knum(w, "runq_wait_s", v->runq_s);
	jw_knum(w, "demand", v->cpu_demand);
	jw_knum(w, "runq_share", v->runq_share);
	jw_kbool(w, "saturated", v->cpu_saturated);
	jw_obj_end(w);
	/* no trend is kept per service yet */
	jw_knull(w, "forecast");
	json_out_service_stage(w, v);
	jw_obj_end(w);
}

void json_out_snapshot(FILE *f, const struct snapshot *s)
{
	struct jw w;

	jw_init(&w, f);
	jw_obj_begin(&w);
	jw_kstr(&w, "type", s->is_summary ? "summary" : "interval");
	jw_key(&w, "time");
	jw_time(&w, s->time);
	jw_knum(&w, "span_s", s->span_s);
	jw_key(&w, "lost");
	jw_obj_begin(&w);
	jw_ku64(&w, "events", lost_total(&s->lost));
	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		jw_ku64(&w, lost_kind_name(i), s->lost.kinds[i]);
	jw_ku64(&w, "recursion_misses", s->lost.recursion);
	jw_obj_end(&w);
	jw_key(&w, "processes");
	jw_arr_begin(&w);
	for (unsigned i = 0; i < s->n_procs; i++)
		json_out_proc(&w, &s->procs[i], s->span_s, s->has_threads, s->has_conns);
	jw_arr_end(&w);
	if (s->has_services) {
		jw_key(&w, "services");
		jw_arr_begin(&w);
		for (unsigned i = 0; i < s->n_services; i++)
			json_out_service(&w, &s->services[i]);
		jw_arr_end(&w);
	}
	if (s->whatif_spec[0])
		jw_kstr(&w, "what_if", s->whatif_spec);
	jw_key(&w, "pipeline");
	if (s->pipeline.n_stages) {
		jw_obj_begin(&w);
		jw_ku64(&w, "stages", s->pipeline.n_stages);
		if (s->pipeline.bottleneck_pid)
			jw_ku64(&w, "bottleneck_pid", s->pipeline.bottleneck_pid);
		else
			jw_knull(&w, "bottleneck_pid");
		jw_knum(&w, "end_to_end_response_s", s->pipeline.e2e_response_s);
		json_out_service_pipeline(&w, s);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	if (s->attach) {
		jw_key(&w, "tracer");
		jw_obj_begin(&w);
		jw_kstr(&w, "kernel", s->attach->kernel);
		jw_key(&w, "attach");
		jw_obj_begin(&w);
		for (unsigned i = 0; i < s->attach->n; i++)
			jw_kstr(&w, s->attach->fam[i].family, s->attach->fam[i].method);
		jw_obj_end(&w);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	fputc('\n', f);
	fflush(f);
}
