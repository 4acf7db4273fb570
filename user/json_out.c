// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The contract's JSON lines: one object per interval, one summary last. Keys
 * beyond the contract (exit status, off-CPU time, model errors, Little's law
 * check, lost-event breakdown) are additions, never replacements.
 */
#include <math.h>
#include <stdlib.h>
#include "json_out.h"
#include "profile_out.h"
#include "services.h"
#include "figures.h"
#include "json_writer.h"
#include "names.h"
#include "sample_out.h"

static double us(double ns)
{
	return ns / 1e3;
}

static void json_out_syscall(struct jw *w, const struct syscall_row *r)
{
	char buf[32];

	jw_obj_begin(w);
	jw_kstr(w, "name", syscall_label(r->nr, buf, sizeof(buf)));
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

static void json_out_threads(struct jw *w, const struct proc_view *p)
{
	jw_key(w, "threads_detail");
	jw_arr_begin(w);
	for (unsigned i = 0; i < p->n_thread_views; i++) {
		const struct thread_view *t = &p->thread_views[i];

		jw_obj_begin(w);
		jw_ku64(w, "tid", t->tid);
		jw_key(w, "comm");
		jw_comm(w, t->comm, sizeof(t->comm));
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

static void json_out_conns(struct jw *w, const struct proc_view *p)
{
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

static void json_out_exit(struct jw *w, const struct proc_view *p)
{
	char buf[32];
	int sig = p->exit_code & 0x7f;

	jw_key(w, "exit");
	if (!p->exited) {
		jw_null(w);
		return;
	}
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
}

/* A figure that is not one value (figures.h, enum fig_section). */
static void json_out_section(struct jw *w, const struct figure *f, const struct proc_view *p,
			     int s_threads, int s_conns)
{
	static const char *const kinds[ST_BLK__MAX] = {"latch", "futex", "io", "other"};

	switch (f->section) {
	case FS_NONE:
		break;
	case FS_PID:
		if (p->pid) {
			jw_ku64(w, "pid", p->pid);
			break;
		}
		/* a summary row of exited processes folded together by name
		 * (the count is not in recordings: null there) */
		jw_knull(w, "pid");
		if (p->folded)
			jw_ku64(w, "exited_processes", p->folded);
		else
			jw_knull(w, "exited_processes");
		break;
	case FS_SYSCALLS:
		jw_key(w, f->key);
		jw_arr_begin(w);
		for (unsigned i = 0; i < p->n_syscalls; i++)
			json_out_syscall(w, &p->syscalls[i]);
		jw_arr_end(w);
		break;
	case FS_DROP_REASONS:
		jw_key(w, f->key);
		jw_obj_begin(w);
		for (unsigned i = 0; i < p->n_drop_reasons; i++)
			jw_ku64(w, p->drop_reasons[i].reason, p->drop_reasons[i].count);
		jw_obj_end(w);
		break;
	case FS_UNIT:
		jw_kstr(w, f->key, unit_name(p->msgs_known ? p->unit : ST_UNIT_RECEIVE));
		break;
	case FS_UNITS:
		json_out_units(w, p);
		break;
	case FS_BUSY_BLOCKED:
		/* what busy threads were blocked on (docs/queueing.md, "Busy and idle") */
		jw_key(w, f->key);
		if (!p->busy_known) {
			jw_null(w);
			break;
		}
		jw_obj_begin(w);
		for (unsigned k = 0; k < ST_BLK__MAX; k++)
			jw_knum(w, kinds[k], p->blocked_busy_s[k]);
		jw_obj_end(w);
		break;
	case FS_FC_MODEL:
		jw_kstr(w, f->key, "linear trend of λ; ρ and W by M/M/c");
		break;
	case FS_WI_MODEL:
		jw_kstr(w, f->key, "M/M/c");
		break;
	case FS_THREADS:
		if (s_threads)
			json_out_threads(w, p);
		break;
	case FS_CONNS:
		if (s_conns)
			json_out_conns(w, p);
		break;
	case FS_EXIT:
		json_out_exit(w, p);
		break;
	}
}

/*
 * The walk over the figure list: the groups (JSON objects) open, innermost
 * last, each written, all null, or not written at all (null or left out).
 */
enum gstate { G_OPEN, G_KEYS_NULL, G_SKIP };

struct walk {
	struct jw *w;
	const struct proc_view *p;     /* NULL: a service's queue block alone */
	const struct queue_figures *q; /* the FB_QUEUE rows' struct */
	enum fig_group root;	       /* the object the caller opened */
	unsigned depth;
	enum fig_group open[4];
	enum gstate state[4];
};

static int within(enum fig_group g, enum fig_group outer)
{
	for (; g != FG_NONE; g = fig_groups[g].parent)
		if (g == outer)
			return 1;
	return 0;
}

static enum gstate state(const struct walk *k)
{
	return k->depth ? k->state[k->depth - 1] : G_OPEN;
}

/* Close the groups @g is not in, open those down to it. */
static void enter(struct walk *k, enum fig_group g)
{
	enum fig_group path[4];
	unsigned n = 0;

	while (k->depth && !within(g, k->open[k->depth - 1])) {
		k->depth--;
		if (k->state[k->depth] != G_SKIP)
			jw_obj_end(k->w);
	}
	for (enum fig_group x = g; x != (k->depth ? k->open[k->depth - 1] : k->root) && n < 4;
	     x = fig_groups[x].parent)
		path[n++] = x;
	while (n--) {
		const struct fig_group_info *gi = &fig_groups[path[n]];
		enum gstate st = G_SKIP; /* inside a group not written: not written either */

		if (state(k) == G_OPEN) {
			if (!k->p || fig_known(gi->known, k->p))
				st = G_OPEN;
			else if (gi->unknown == FU_KEYS_NULL)
				st = G_KEYS_NULL;
			else if (gi->unknown == FU_NULL)
				jw_knull(k->w, gi->key);
		}
		if (st != G_SKIP) {
			jw_key(k->w, gi->key);
			jw_obj_begin(k->w);
		}
		k->open[k->depth] = path[n];
		k->state[k->depth++] = st;
	}
}

static void json_out_figure(struct walk *k, const struct figure *f, double span_s, int s_threads,
			    int s_conns)
{
	enum gstate st = state(k);

	if (st == G_SKIP || (st == G_KEYS_NULL && (f->section || (f->flags & FF_ABSENT))))
		return;
	if (f->section) {
		json_out_section(k->w, f, k->p, s_threads, s_conns);
		return;
	}
	if (st == G_KEYS_NULL || (k->p && !fig_known(f->known, k->p))) {
		if (!(f->flags & FF_ABSENT))
			jw_knull(k->w, f->key);
		return;
	}
	switch (f->type) {
	case FIG_U64:
	case FIG_U32:
		jw_ku64(k->w, f->key, fig_u64(f, k->p, k->q));
		break;
	case FIG_BOOL:
		jw_kbool(k->w, f->key, *(const int *)fig_ptr(f, k->p, k->q));
		break;
	case FIG_COMM:
		jw_key(k->w, f->key);
		jw_comm(k->w, fig_ptr(f, k->p, k->q), ST_COMM_LEN);
		break;
	default:
		jw_knum(k->w, f->key, fig_value(f, k->p, k->q, span_s));
		break;
	}
}

/* The figures of one process (or, @p NULL, of a service's queue @q) in the
 * list's order; the enclosing object is the caller's. */
static void json_out_figures(struct jw *w, const struct proc_view *p, const struct queue_figures *q,
			     double span_s, int s_threads, int s_conns)
{
	struct walk k = {.w = w, .p = p, .q = q, .root = p ? FG_PROC : FG_QUEUE};

	for (unsigned i = 0; i < n_proc_figures; i++) {
		const struct figure *f = &proc_figures[i];

		if (!f->key || (!p && (f->base != FB_QUEUE || !within(f->group, FG_QUEUE))))
			continue;
		enter(&k, f->group);
		json_out_figure(&k, f, span_s, s_threads, s_conns);
	}
	enter(&k, k.root);
}

static void json_out_proc(struct jw *w, const struct proc_view *p, double span_s, int s_threads,
			  int s_conns)
{
	jw_obj_begin(w);
	json_out_figures(w, p, NULL, span_s, s_threads, s_conns);
	jw_obj_end(w);
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

/* One row of the services' figure list (figures.h) of service @v. */
static void json_out_svc_figure(struct jw *w, const struct svc_figure *f,
				const struct service_view *v)
{
	switch (f->section) {
	case SS_NAME:
		jw_key(w, f->key);
		jw_comm(w, v->name, sizeof(v->name));
		return;
	case SS_PIDS:
		jw_key(w, f->key);
		jw_arr_begin(w);
		for (unsigned i = 0; i < v->n_pids; i++)
			jw_u64(w, v->pids[i]);
		jw_arr_end(w);
		return;
	case SS_QUEUE:
		json_out_figures(w, NULL, &v->queue, 0, 0, 0);
		return;
	case SS_NULL:
		jw_knull(w, f->key);
		return;
	case SS_NONE:
		break;
	}
	if (!svc_known(f->known, v))
		jw_knull(w, f->key);
	else if (f->type == FIG_U64 || f->type == FIG_U32)
		jw_ku64(w, f->key,
			f->type == FIG_U64 ? *(const uint64_t *)svc_ptr(f, v)
					   : *(const uint32_t *)svc_ptr(f, v));
	else if (f->type == FIG_BOOL)
		jw_kbool(w, f->key, *(const int *)svc_ptr(f, v));
	else
		jw_knum(w, f->key, svc_value(f, v));
}

/* One service of --services: the list's rows in order, each group (net,
 * queue, cpu) an object, or null when its figures are not known. */
static void json_out_service(struct jw *w, const struct service_view *v)
{
	enum svc_group open = SG_SERVICE;
	int skip = 0;

	jw_obj_begin(w);
	for (unsigned i = 0; i < n_svc_figures; i++) {
		const struct svc_figure *f = &svc_figures[i];

		if (!f->key)
			continue;
		if (f->group != open) {
			if (open != SG_SERVICE && !skip)
				jw_obj_end(w);
			open = f->group;
			skip = open != SG_SERVICE && !svc_known(svc_groups[open].known, v);
			if (skip) {
				jw_knull(w, svc_groups[open].key);
			} else if (open != SG_SERVICE) {
				jw_key(w, svc_groups[open].key);
				jw_obj_begin(w);
			}
		}
		if (!skip)
			json_out_svc_figure(w, f, v);
	}
	if (open != SG_SERVICE && !skip)
		jw_obj_end(w);
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
	json_out_sample(&w, s);
	jw_key(&w, "lost");
	jw_obj_begin(&w);
	jw_ku64(&w, "events", lost_total(&s->lost));
	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		jw_ku64(&w, lost_kind_name(i), s->lost.kinds[i]);
	jw_ku64(&w, "recursion_misses", s->lost.recursion);
	jw_obj_end(&w);
	jw_key(&w, "host");
	jw_obj_begin(&w);
	if (s->host.cpus) { /* 0: not known (a recording from before it) */
		jw_ku64(&w, "cpus", s->host.cpus);
		jw_knum(&w, "steal_s", s->host.steal_s);
	} else {
		jw_knull(&w, "cpus");
		jw_knull(&w, "steal_s");
	}
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
	profile_out_json(&w, s); /* --profile: "profile" (issue 13) */
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
