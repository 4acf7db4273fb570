// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interval deltas and run totals per traced process. The kernel keeps only
 * cumulative counters (cheapest on the hot path); each reading is diffed
 * against the previous one. Histogram buckets are 32-bit in the kernel and
 * wrap: their deltas are taken modulo 2^32, which is exact as long as fewer
 * than 2^32 samples land in one bucket within one interval.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect.h"
#include "busy.h"
#include "forecast.h"
#include "whatif.h"
#include "prom_out.h"

#define MAX_ERRS 16
/* Processes kept for the summary once their slot is reused. */
/* Exited processes kept one by one for the summary, once their exit has gone
 * out in an interval; older ones are folded into one row per command name
 * (at most MAX_FOLDED names, then one row for the rest), so that memory is
 * bounded by processes alive, not by processes ever seen. */
#define KEEP_RETIRED 64
#define MAX_FOLDED   64

#define STAT_U64S    (offsetof(struct st_proc_stat, runq_hist) / sizeof(uint64_t))
#define STAT_MAX_IDX (offsetof(struct st_proc_stat, runq_max_ns) / sizeof(uint64_t))
/* the message counters (issue 8): every __u64 from msg_rx to fr_lost */
#define MSG_OFF	 (offsetof(struct st_proc_stat, msg_rx) / sizeof(uint64_t))
#define MSG_U64S (offsetof(struct st_proc_stat, fr_lost) / sizeof(uint64_t) + 1 - MSG_OFF)
/* the plain counters of st_busy_stat, all sums */
#define BZ_U64S	       (offsetof(struct st_busy_stat, disp_hist) / sizeof(uint64_t))
#define BZ(arr, field) ((arr)[offsetof(struct st_busy_stat, field) / sizeof(uint64_t)])

/* what the kernel side and this file must agree on: the histograms' buckets,
 * and the counter blocks taken as arrays of uint64_t by offset */
_Static_assert(HIST_BUCKETS == ST_HIST_BUCKETS, "hist.h and streamtrace.h: the same log2 buckets");
_Static_assert(offsetof(struct st_proc_stat, runq_hist) % sizeof(uint64_t) == 0 &&
		       offsetof(struct st_proc_stat, runq_max_ns) <
			       offsetof(struct st_proc_stat, runq_hist),
	       "st_proc_stat: the __u64 counters, runq_max_ns among them, before runq_hist");
_Static_assert(offsetof(struct st_proc_stat, msg_rx) % sizeof(uint64_t) == 0 &&
		       offsetof(struct st_proc_stat, msg_rx) <
			       offsetof(struct st_proc_stat, fr_lost),
	       "st_proc_stat: the message counters, msg_rx to fr_lost, as one __u64 range");
_Static_assert(offsetof(struct st_busy_stat, disp_hist) % sizeof(uint64_t) == 0,
	       "st_busy_stat: its __u64 sums before disp_hist");

struct err_acc {
	uint16_t err;
	uint64_t last, ival, total;
};

struct sc_acc {
	uint32_t nr;
	uint64_t c_count, c_errors, c_total; /* last cumulative reading */
	uint32_t c_hist[ST_HIST_BUCKETS];
	uint64_t i_count, i_errors, i_total, i_max;
	struct hist i_hist;
	uint64_t t_count, t_errors, t_total, t_max;
	struct hist t_hist;
	unsigned n_err;
	struct err_acc errs[MAX_ERRS];
};

struct proc_acc {
	int used;
	uint32_t slot;
	pid_t pid;
	char comm[ST_COMM_LEN];
	uint32_t origin;
	int exited, exit_code;
	int reported_exit; /* its exit went out in an interval already */
	uint64_t folded;   /* a row of exited processes folded together (pid 0) */
	uint32_t threads;

	uint64_t c_stat[STAT_U64S]; /* last cumulative reading */
	uint32_t c_runq_hist[ST_HIST_BUCKETS], c_svc_hist[ST_HIST_BUCKETS];
	uint32_t c_wait_hist[ST_HIST_BUCKETS];
	uint64_t i_stat[STAT_U64S], t_stat[STAT_U64S];
	struct hist i_runq, t_runq, i_svc, t_svc, i_wait, t_wait;
	uint64_t i_servers; /* threads that received in this interval */
	uint64_t c_msg[MSG_U64S], i_msg[MSG_U64S], t_msg[MSG_U64S]; /* message counters */
	uint64_t runq_max;

	int rss_known;
	uint64_t rss;
	int flt_base_known, flt_seen;
	uint64_t flt_base_min, flt_base_maj;
	uint64_t flt_last_min, flt_last_maj;
	uint64_t i_min, i_maj; /* interval deltas, reset each interval */

	int backlog_known;
	uint64_t backlog_now, backlog_ival_start, backlog_first;

	struct forecast_series fs_lambda; /* λ per interval, for the trend */
	struct forecast_series fs_busy;	  /* busy seconds and ops per interval, */
	struct forecast_series fs_ops;	  /* for the capacity over the same window */
	int has_fc;			  /* the last interval's forecast, for the summary */
	struct forecast_figures fc;

	unsigned n_drops;
	struct {
		char reason[40];
		uint64_t last, ival, total;
	} drops[8];

	uint16_t sc_index[ST_MAX_SYSCALLS]; /* nr -> 1 + index into sc, 0 = none */
	unsigned n_sc, cap_sc;
	struct sc_acc *sc;

	/* busy, idle and dispatch: the kernel's st_busy_stat as deltas, and
	 * the busy iterator's readings (collector_update_busy) */
	uint64_t c_bz[BZ_U64S], i_bz[BZ_U64S], t_bz[BZ_U64S];
	uint32_t c_disp_hist[ST_HIST_BUCKETS];
	struct hist i_disp, t_disp;
	int bz_known;	  /* a busy reading came in */
	uint64_t bz_last; /* cumulative busy ns at the last reading (never falls) */
	uint64_t i_busy, t_busy;
	uint64_t idle_last; /* the same for idle, open periods included */
	uint64_t i_idle, t_idle;
	unsigned i_active, t_active; /* serving threads busy in the span / the run */
	unsigned i_never_idle;	     /* serving threads that never waited for input in it */
	unsigned run_never_idle;     /* live ones that never waited since they began */
	uint64_t rows_over_cap;	     /* folded rows: proc_view.folded_rows_over_cap */
};

struct collector {
	unsigned max_procs;
	struct proc_acc **slots; /* by slot: the current occupant */
	unsigned n_retired, cap_retired;
	struct proc_acc **retired; /* dead and released, kept for the summary */
	unsigned n_folded;
	struct proc_acc **folded; /* older exited processes, one row per name */
	struct lost_counts lost_last, lost_ival, lost_total;
	/* the host's steal so far: at the first reading, at the last
	 * interval's end, now (NaN until read) */
	unsigned host_cpus;
	double steal_first, steal_ival, steal_now;
	double horizon_s;
	unsigned fc_window;
	int net_unknown;
	unsigned sample_every;
	int has_whatif;
	struct whatif whatif;
	char whatif_spec[64];
};

struct collector *collector_new(unsigned max_procs)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max_procs = max_procs;
	c->horizon_s = 60;
	c->steal_first = c->steal_ival = c->steal_now = NAN;
	c->slots = calloc(max_procs, sizeof(*c->slots));
	c->folded = calloc(MAX_FOLDED + 1, sizeof(*c->folded));
	if (!c->slots || !c->folded) {
		collector_free(c);
		return NULL;
	}
	return c;
}

static void proc_acc_free(struct proc_acc *p)
{
	if (p) {
		free(p->sc);
		free(p);
	}
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	for (unsigned i = 0; c->slots && i < c->max_procs; i++)
		proc_acc_free(c->slots[i]);
	for (unsigned i = 0; i < c->n_retired; i++)
		proc_acc_free(c->retired[i]);
	for (unsigned i = 0; c->folded && i < c->n_folded; i++)
		proc_acc_free(c->folded[i]);
	free(c->slots);
	free(c->retired);
	free(c->folded);
	free(c);
}

static struct proc_acc *slot_proc(const struct collector *c, uint32_t slot)
{
	return slot < c->max_procs ? c->slots[slot] : NULL;
}

void collector_proc_begin(struct collector *c, uint32_t slot, pid_t pid, const char *comm,
			  uint32_t origin)
{
	struct proc_acc *p;

	if (slot >= c->max_procs)
		return;
	if (c->slots[slot])
		collector_proc_retire(c, slot);
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->used = 1;
	p->slot = slot;
	p->pid = pid;
	p->origin = origin;
	p->threads = 1;
	strncpy(p->comm, comm, sizeof(p->comm) - 1);
	forecast_series_init(&p->fs_lambda, c->fc_window);
	forecast_series_init(&p->fs_busy, c->fc_window);
	forecast_series_init(&p->fs_ops, c->fc_window);
	/* a forked child starts with zeroed fault counters */
	if (origin == ST_ORIGIN_FORK) {
		p->flt_base_known = 1;
	}
	c->slots[slot] = p;
}

int collector_proc_exit_reported(const struct collector *c, uint32_t slot)
{
	const struct proc_acc *p = slot_proc(c, slot);

	return p && p->reported_exit;
}

int collector_proc_known(const struct collector *c, uint32_t slot)
{
	return slot_proc(c, slot) != NULL;
}

void collector_proc_comm(struct collector *c, uint32_t slot, const char *comm)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (p)
		strncpy(p->comm, comm, sizeof(p->comm) - 1);
}

void collector_update_stats(struct collector *c, uint32_t slot, const struct st_proc_stat *cum)
{
	struct proc_acc *p = slot_proc(c, slot);
	const uint64_t *v = (const uint64_t *)cum;

	if (!p)
		return;
	for (size_t i = 0; i < STAT_U64S; i++) {
		uint64_t d;

		if (i == STAT_MAX_IDX)
			continue;
		d = v[i] - p->c_stat[i];
		p->i_stat[i] += d;
		p->t_stat[i] += d;
		p->c_stat[i] = v[i];
	}
	for (size_t i = 0; i < MSG_U64S; i++) {
		uint64_t d = v[MSG_OFF + i] - p->c_msg[i];

		p->i_msg[i] += d;
		p->t_msg[i] += d;
		p->c_msg[i] = v[MSG_OFF + i];
	}
	p->runq_max = cum->runq_max_ns;
	/* per epoch, not cumulative: the most serving threads any reading saw */
	if (cum->srv_cnt[0] > p->i_servers)
		p->i_servers = cum->srv_cnt[0];
	hist_add_delta_u32(&p->i_runq, cum->runq_hist, p->c_runq_hist);
	hist_add_delta_u32(&p->t_runq, cum->runq_hist, p->c_runq_hist);
	hist_add_delta_u32(&p->i_svc, cum->svc_hist, p->c_svc_hist);
	hist_add_delta_u32(&p->t_svc, cum->svc_hist, p->c_svc_hist);
	memcpy(p->c_runq_hist, cum->runq_hist, sizeof(p->c_runq_hist));
	memcpy(p->c_svc_hist, cum->svc_hist, sizeof(p->c_svc_hist));
	hist_add_delta_u32(&p->i_wait, cum->wait_hist, p->c_wait_hist);
	hist_add_delta_u32(&p->t_wait, cum->wait_hist, p->c_wait_hist);
	memcpy(p->c_wait_hist, cum->wait_hist, sizeof(p->c_wait_hist));
	{
		const uint64_t *bz = (const uint64_t *)&cum->bz;

		for (size_t i = 0; i < BZ_U64S; i++) {
			uint64_t d = bz[i] - p->c_bz[i];

			p->i_bz[i] += d;
			p->t_bz[i] += d;
			p->c_bz[i] = bz[i];
		}
		hist_add_delta_u32(&p->i_disp, cum->bz.disp_hist, p->c_disp_hist);
		hist_add_delta_u32(&p->t_disp, cum->bz.disp_hist, p->c_disp_hist);
		memcpy(p->c_disp_hist, cum->bz.disp_hist, sizeof(p->c_disp_hist));
	}
}

void collector_update_busy(struct collector *c, uint32_t slot, const struct busy_slot *b)
{
	struct proc_acc *p = slot_proc(c, slot);
	uint64_t total;

	if (!p)
		return;
	/* exited serving threads (their totals, from the kernel) plus the live
	 * ones (the iterator's): a thread exiting between the two readings is
	 * missing once and counted at the next reading, so the total is kept
	 * from falling and the intervals still add up to the run */
	total = BZ(p->c_bz, exit_busy_ns) + (b && b->known ? b->live_busy_ns : 0);
	if (total > p->bz_last) {
		p->i_busy += total - p->bz_last;
		p->t_busy += total - p->bz_last;
		p->bz_last = total;
	}
	total = BZ(p->c_bz, exit_idle_ns) + (b && b->known ? b->live_idle_ns : 0);
	if (total > p->idle_last) {
		p->i_idle += total - p->idle_last;
		p->t_idle += total - p->idle_last;
		p->idle_last = total;
	}
	p->bz_known = 1;
	if (b && b->known) {
		if (b->active > p->i_active)
			p->i_active = b->active;
		p->t_active += b->active_new;
		p->i_never_idle = b->never_idle;
		/* kept once the threads are gone: the run's last word on them */
		p->run_never_idle = b->never_idle_run;
	}
}

static struct sc_acc *sc_get(struct proc_acc *p, uint32_t nr)
{
	struct sc_acc *s;

	if (nr >= ST_MAX_SYSCALLS)
		return NULL;
	if (p->sc_index[nr])
		return &p->sc[p->sc_index[nr] - 1];
	if (p->n_sc == p->cap_sc) {
		unsigned cap = p->cap_sc ? p->cap_sc * 2 : 16;
		struct sc_acc *n = realloc(p->sc, cap * sizeof(*n));

		if (!n)
			return NULL;
		p->sc = n;
		p->cap_sc = cap;
	}
	s = &p->sc[p->n_sc++];
	memset(s, 0, sizeof(*s));
	s->nr = nr;
	p->sc_index[nr] = (uint16_t)p->n_sc;
	return s;
}

void collector_update_syscalls(struct collector *c, uint32_t slot,
			       const struct st_syscall_stat *rows)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p)
		return;
	for (uint32_t nr = 0; nr < ST_MAX_SYSCALLS; nr++) {
		const struct st_syscall_stat *r = &rows[nr];
		struct sc_acc *s;
		uint64_t d;

		if (!r->count && !p->sc_index[nr])
			continue;
		s = sc_get(p, nr);
		if (!s)
			continue;
		d = r->count - s->c_count;
		s->i_count += d;
		s->t_count += d;
		d = r->errors - s->c_errors;
		s->i_errors += d;
		s->t_errors += d;
		d = r->total_ns - s->c_total;
		s->i_total += d;
		s->t_total += d;
		if (r->ep_max_ns[0] > s->i_max)
			s->i_max = r->ep_max_ns[0];
		s->t_max = r->max_ns;
		hist_add_delta_u32(&s->i_hist, r->hist, s->c_hist);
		hist_add_delta_u32(&s->t_hist, r->hist, s->c_hist);
		memcpy(s->c_hist, r->hist, sizeof(s->c_hist));
		s->c_count = r->count;
		s->c_errors = r->errors;
		s->c_total = r->total_ns;
	}
}

void collector_update_errno(struct collector *c, uint32_t slot, uint32_t nr, uint32_t err,
			    uint64_t cum)
{
	struct proc_acc *p = slot_proc(c, slot);
	struct sc_acc *s;
	struct err_acc *e = NULL;

	if (!p || !(s = sc_get(p, nr)))
		return;
	for (unsigned i = 0; i < s->n_err; i++)
		if (s->errs[i].err == err)
			e = &s->errs[i];
	if (!e) {
		if (s->n_err == MAX_ERRS)
			return; /* the rest still count in errors */
		e = &s->errs[s->n_err++];
		memset(e, 0, sizeof(*e));
		e->err = (uint16_t)err;
	}
	e->ival += cum - e->last;
	e->total += cum - e->last;
	e->last = cum;
}

void collector_update_drop(struct collector *c, uint32_t slot, const char *reason, uint64_t cum)
{
	struct proc_acc *p = slot_proc(c, slot);
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->n_drops; i++)
		if (!strcmp(p->drops[i].reason, reason))
			break;
	if (i == p->n_drops) {
		if (p->n_drops == 8)
			return; /* still counted in drops */
		p->n_drops++;
		memset(&p->drops[i], 0, sizeof(p->drops[i]));
		snprintf(p->drops[i].reason, sizeof(p->drops[i].reason), "%s", reason);
	}
	p->drops[i].ival += cum - p->drops[i].last;
	p->drops[i].total += cum - p->drops[i].last;
	p->drops[i].last = cum;
}

void collector_fault_base(struct collector *c, uint32_t slot, uint64_t minflt, uint64_t majflt)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p)
		return;
	p->flt_base_known = 1;
	p->flt_base_min = p->flt_last_min = minflt;
	p->flt_base_maj = p->flt_last_maj = majflt;
	p->flt_seen = 1;
}

void collector_update_procfs(struct collector *c, uint32_t slot, const struct procfs_stat *st)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p || p->exited)
		return;
	p->rss_known = 1;
	p->rss = st->rss_bytes;
	p->threads = st->threads;
	if (!p->flt_base_known) {
		/* first sight of a process whose counters did not start at zero
		 * (an exec'd one): count from here on */
		collector_fault_base(c, slot, st->minflt, st->majflt);
		return;
	}
	if (!p->flt_seen) {
		p->flt_seen = 1;
		p->flt_last_min = p->flt_base_min;
		p->flt_last_maj = p->flt_base_maj;
	}
	if (st->minflt >= p->flt_last_min && st->majflt >= p->flt_last_maj) {
		p->i_min += st->minflt - p->flt_last_min;
		p->i_maj += st->majflt - p->flt_last_maj;
		p->flt_last_min = st->minflt;
		p->flt_last_maj = st->majflt;
	}
}

void collector_update_backlog(struct collector *c, uint32_t slot, int64_t bytes)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p)
		return;
	if (bytes < 0)
		bytes = 0; /* a transient of racing updates */
	if (!p->backlog_known) {
		p->backlog_known = 1;
		p->backlog_first = p->backlog_ival_start = (uint64_t)bytes;
	}
	p->backlog_now = (uint64_t)bytes;
}

void collector_proc_exit(struct collector *c, uint32_t slot, int exit_code)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p || p->exited)
		return;
	p->exited = 1;
	p->exit_code = exit_code;
	p->threads = 0;
}

/* The whole-run figures of exited process p added into row a. */
static void proc_acc_fold(struct proc_acc *a, const struct proc_acc *p)
{
	unsigned rows = 0;

	for (unsigned i = 0; i < p->n_sc; i++)
		rows += p->sc[i].t_count > 0;
	a->rows_over_cap += p->rows_over_cap +
			    (rows > PROM_OUT_MAX_SYSCALLS ? rows - PROM_OUT_MAX_SYSCALLS : 0);
	for (size_t i = 0; i < STAT_U64S; i++)
		a->t_stat[i] = i == STAT_MAX_IDX ? a->t_stat[i] : a->t_stat[i] + p->t_stat[i];
	if (p->runq_max > a->runq_max)
		a->runq_max = p->runq_max;
	hist_add(&a->t_runq, &p->t_runq);
	hist_add(&a->t_svc, &p->t_svc);
	hist_add(&a->t_wait, &p->t_wait);
	if (p->flt_seen) {
		a->flt_seen = 1;
		a->flt_last_min += p->flt_last_min - p->flt_base_min;
		a->flt_last_maj += p->flt_last_maj - p->flt_base_maj;
	}
	for (unsigned i = 0; i < p->n_drops; i++) {
		unsigned j = 0;

		while (j < a->n_drops && strcmp(a->drops[j].reason, p->drops[i].reason))
			j++;
		if (j == a->n_drops) {
			if (a->n_drops == sizeof(a->drops) / sizeof(a->drops[0]))
				continue; /* the rest still count in drops */
			memcpy(a->drops[j].reason, p->drops[i].reason, sizeof(a->drops[j].reason));
			a->n_drops++;
		}
		a->drops[j].total += p->drops[i].total;
	}
	for (unsigned i = 0; i < p->n_sc; i++) {
		const struct sc_acc *s = &p->sc[i];
		struct sc_acc *d;

		if (!s->t_count || !(d = sc_get(a, s->nr)))
			continue;
		d->t_count += s->t_count;
		d->t_errors += s->t_errors;
		d->t_total += s->t_total;
		if (s->t_max > d->t_max)
			d->t_max = s->t_max;
		hist_add(&d->t_hist, &s->t_hist);
		for (unsigned j = 0; j < s->n_err; j++) {
			unsigned k = 0;

			while (k < d->n_err && d->errs[k].err != s->errs[j].err)
				k++;
			if (k == d->n_err) {
				if (d->n_err == MAX_ERRS)
					continue;
				d->errs[k].err = s->errs[j].err;
				d->n_err++;
			}
			d->errs[k].total += s->errs[j].total;
		}
	}
	a->folded++;
}

/* Fold the oldest reported exited process into its name's row. */
static void fold_oldest(struct collector *c)
{
	struct proc_acc *p = NULL, *a = NULL;
	unsigned k = 0;

	for (; k < c->n_retired; k++)
		if (c->retired[k]->reported_exit) {
			p = c->retired[k];
			break;
		}
	if (!p)
		return;
	for (unsigned i = 0; i < c->n_folded && !a; i++)
		if (!strncmp(c->folded[i]->comm, p->comm, sizeof(p->comm)))
			a = c->folded[i];
	if (!a && c->n_folded == MAX_FOLDED) /* one row for every other name */
		for (unsigned i = 0; i < c->n_folded && !a; i++)
			if (!strcmp(c->folded[i]->comm, "(others)"))
				a = c->folded[i];
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return; /* keep p as it is, try again later */
		a->used = a->exited = a->reported_exit = 1;
		a->slot = (uint32_t)-1;
		a->flt_base_known = 1;
		snprintf(a->comm, sizeof(a->comm), "%.*s", (int)sizeof(a->comm) - 1,
			 c->n_folded < MAX_FOLDED ? p->comm : "(others)");
		c->folded[c->n_folded++] = a;
	}
	proc_acc_fold(a, p);
	memmove(&c->retired[k], &c->retired[k + 1], (c->n_retired - k - 1) * sizeof(*c->retired));
	c->n_retired--;
	proc_acc_free(p);
}

/* The process in slot is dead and read to its end: the collector keeps it
 * (its exit goes out in the next interval, its totals in the summary) and
 * the slot is free. Those not yet reported are bounded by the exits of one
 * interval; reported ones are folded down to KEEP_RETIRED at each interval. */
void collector_proc_retire(struct collector *c, uint32_t slot)
{
	struct proc_acc *p = slot_proc(c, slot);

	if (!p)
		return;
	if (c->n_retired == c->cap_retired) {
		unsigned cap = c->cap_retired ? 2 * c->cap_retired : 2 * KEEP_RETIRED;
		struct proc_acc **r = realloc(c->retired, cap * sizeof(*r));

		if (!r)
			return; /* it stays in its slot; tried again at the next poll */
		c->retired = r;
		c->cap_retired = cap;
	}
	c->slots[slot] = NULL;
	c->retired[c->n_retired++] = p;
}

void collector_set_lost(struct collector *c, const struct lost_counts *cum)
{
	for (unsigned i = 0; i < ST_LOST__MAX; i++) {
		uint64_t d = cum->kinds[i] - c->lost_last.kinds[i];

		c->lost_ival.kinds[i] += d;
		c->lost_total.kinds[i] += d;
	}
	c->lost_ival.recursion += cum->recursion - c->lost_last.recursion;
	c->lost_total.recursion += cum->recursion - c->lost_last.recursion;
	c->lost_last = *cum;
}

void collector_set_host(struct collector *c, unsigned cpus, double steal_s)
{
	if (isnan(c->steal_first))
		c->steal_first = c->steal_ival = steal_s;
	c->host_cpus = cpus;
	c->steal_now = steal_s;
}

unsigned collector_live(const struct collector *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->max_procs; i++)
		if (c->slots[i] && !c->slots[i]->exited)
			n++;
	return n;
}

static int cmp_syscall_rows(const void *a, const void *b)
{
	const struct syscall_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static double ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

#define STAT(arr, field) ((arr)[offsetof(struct st_proc_stat, field) / sizeof(uint64_t)])

#define MSG(arr, field) ((arr)[offsetof(struct st_proc_stat, field) / sizeof(uint64_t) - MSG_OFF])
#define MSGU(arr, field, u) \
	((arr)[offsetof(struct st_proc_stat, field[u]) / sizeof(uint64_t) - MSG_OFF])

struct msg_in {
	double arrivals;     /* messages that arrived, in the process's unit(s) */
	double per_tcp_byte; /* messages per TCP byte read, to size the byte backlog */
};

/* messages per byte of unit u read in the span (m), else over the run (t);
 * 0 when no byte of it was read yet */
static double msgs_per_byte(const uint64_t *m, const uint64_t *t, unsigned u)
{
	if (u == ST_UNIT_RECEIVE) {
		if (MSG(m, recv_tcp_bytes))
			return (double)MSG(m, recv_tcp_ops) / (double)MSG(m, recv_tcp_bytes);
		return MSG(t, recv_tcp_bytes)
			       ? (double)MSG(t, recv_tcp_ops) / (double)MSG(t, recv_tcp_bytes)
			       : 0;
	}
	if (MSGU(m, msg_rx_bytes, u))
		return (double)MSGU(m, msg_rx, u) / (double)MSGU(m, msg_rx_bytes, u);
	return MSGU(t, msg_rx_bytes, u)
		       ? (double)MSGU(t, msg_rx, u) / (double)MSGU(t, msg_rx_bytes, u)
		       : 0;
}

/* The units a span's counters show activity in: a bit per unit. */
static unsigned units_active(const uint64_t *m)
{
	unsigned bits = 0;

	for (unsigned u = 1; u < ST_UNITS; u++)
		if (MSGU(m, msg_rx, u) || MSGU(m, msg_arr, u) || MSGU(m, msg_arr_bytes, u))
			bits |= 1u << u;
	if (MSG(m, recv_arr_events))
		bits |= 1u << ST_UNIT_RECEIVE;
	return bits;
}

static unsigned unit_of(unsigned bits)
{
	if (!bits)
		return 0;
	if (bits & (bits - 1))
		return ST_UNIT_MIXED;
	return (unsigned)__builtin_ctz(bits);
}

/*
 * The span in messages (issue 8): per unit, completions are the messages
 * taken; arrivals are, for a framed protocol, the bytes that arrived at the
 * span's bytes per message (the run's when the span read none), for turns
 * the turns counted at arrival, for receives as before (TCP bytes at the
 * bytes per receive, other sockets one per data-ready, dropped datagrams).
 * Returns 0 when the kernel side counted no messages at all (then the
 * figures stay per receive).
 */
static int fill_msgs(struct proc_view *v, const struct proc_acc *p, const uint64_t *st, int summary,
		     double span_s, struct msg_in *mi)
{
	const uint64_t *m = summary ? p->t_msg : p->i_msg;
	const uint64_t *t = p->t_msg;
	unsigned run_bits = units_active(t), bits = units_active(m);
	double arr = 0, msgs_tcp = 0, bytes_tcp = 0, run_msgs_tcp = 0, run_bytes_tcp = 0;
	uint64_t tx_framed_bytes = 0;

	memset(mi, 0, sizeof(*mi));
	if (!run_bits) {
		/* nothing received yet: no messages (known); receives without
		 * message counters: a kernel side that does not count them */
		v->msgs_known =
			p->t_stat[offsetof(struct st_proc_stat, rx_ops) / sizeof(uint64_t)] == 0;
		v->unit = ST_UNIT_RECEIVE;
		return 0;
	}
	v->msgs_known = 1;
	v->rx_msgs = 0;
	for (unsigned u = 1; u < ST_UNITS; u++) {
		double a, per;

		if (ST_UNIT_FRAMED(u)) {
			v->tx_msgs += MSGU(m, msg_tx, u);
			tx_framed_bytes += MSGU(t, msg_tx_bytes, u);
		}
		if (u == ST_UNIT_RECEIVE) {
			run_msgs_tcp += (double)MSG(t, recv_tcp_ops);
			run_bytes_tcp += (double)MSG(t, recv_tcp_bytes);
		} else {
			run_msgs_tcp += (double)MSGU(t, msg_rx, u);
			run_bytes_tcp += (double)MSGU(t, msg_rx_bytes, u);
		}
		if (!(bits & (1u << u)))
			continue;
		v->rx_msgs += MSGU(m, msg_rx, u);
		if (u == ST_UNIT_TURN) {
			a = (double)MSGU(m, msg_arr, u);
		} else {
			per = msgs_per_byte(m, t, u);
			a = (double)MSGU(m, msg_arr_bytes, u) * per;
			if (MSGU(m, msg_arr_bytes, u) && !(per > 0))
				a = NAN; /* bytes arrived but no message to size them by */
			if (u == ST_UNIT_RECEIVE)
				a += (double)MSG(m, recv_arr_events) +
				     (double)STAT(st, drops_dgram);
		}
		arr += a;
		if (u == ST_UNIT_RECEIVE) {
			msgs_tcp += (double)MSG(m, recv_tcp_ops);
			bytes_tcp += (double)MSG(m, recv_tcp_bytes);
		} else {
			msgs_tcp += (double)MSGU(m, msg_rx, u);
			bytes_tcp += (double)MSGU(m, msg_rx_bytes, u);
		}
		if (v->n_units < ST_UNITS) {
			struct unit_view *uv = &v->units[v->n_units++];

			uv->unit = u;
			uv->msgs = MSGU(m, msg_rx, u);
			uv->arrival_rate = span_s > 0 ? a / span_s : NAN;
			uv->throughput = span_s > 0 ? (double)uv->msgs / span_s : NAN;
		}
	}
	v->unit = bits ? unit_of(bits) : unit_of(run_bits);
	if (!v->unit)
		v->unit = ST_UNIT_RECEIVE;
	v->tx_msgs_known = tx_framed_bytes > 0;
	if (!v->tx_msgs_known)
		v->tx_msgs = 0;
	v->fr_lost = MSG(m, fr_lost);
	mi->arrivals = arr;
	mi->per_tcp_byte = bytes_tcp > 0       ? msgs_tcp / bytes_tcp
			   : run_bytes_tcp > 0 ? run_msgs_tcp / run_bytes_tcp
					       : 0;
	return 1;
}

/* The queue figures of one process over a span, from its socket and busy/idle
 * counters; has_queue stays 0 for a process that received nothing. */
static void fill_queue(struct proc_view *v, const struct proc_acc *p, const uint64_t *st,
		       int summary, double span_s, const struct msg_in *mi)
{
	struct queue_input in;
	double ops = (double)STAT(st, rx_ops);
	double tcp_ops = (double)STAT(st, rx_tcp_ops), tcp_bytes = (double)STAT(st, rx_tcp_bytes);
	/* TCP may merge or split the sender's writes: arrivals are counted in
	 * bytes and turned into ops at the bytes per op the process dequeues */
	double ops_per_byte = tcp_bytes > 0 ? tcp_ops / tcp_bytes : 0;
	double int_s = (double)(1 << ST_INT_SHIFT) / 1e9;
	unsigned servers = (unsigned)(summary ? STAT(st, servers_run) : p->i_servers);
	double svc_n = (double)STAT(st, svc_count);
	const uint64_t *bz = summary ? p->t_bz : p->i_bz;
	unsigned active = summary ? p->t_active : p->i_active;
	double take_s;

	if (STAT(st, rx_ops) == 0 && STAT(st, arr_bytes) == 0 && STAT(st, arr_events) == 0)
		return;
	memset(&in, 0, sizeof(in));
	in.span_s = span_s;
	/* a datagram dropped on a full receive queue arrived all the same */
	in.arrivals = (double)STAT(st, arr_bytes) * ops_per_byte + (double)STAT(st, arr_events) +
		      (double)STAT(st, drops_dgram);
	if (STAT(st, arr_bytes) && !tcp_bytes)
		in.arrivals = NAN; /* bytes arrived but no op to size them by */
	in.completions = ops;
	if (mi) {
		/* in messages of the process's unit(s) */
		in.arrivals = mi->arrivals;
		in.completions = (double)v->rx_msgs;
		ops_per_byte = mi->per_tcp_byte;
	}
	/* serving threads: those that took a message in the span, and those
	 * busy in it without taking one (blocked on a lock with one in
	 * service, say) */
	if (p->bz_known && active > servers)
		servers = active;
	in.servers = servers;
	if (p->bz_known) {
		/* busy = the serving threads' time in the span less their idle
		 * time (blocked waiting for input with nothing in service) less
		 * dispatch, open periods split at the boundaries (busy.bpf.h) */
		in.busy_s =
			servers ? fmin(ns_to_s(summary ? p->t_busy : p->i_busy), servers * span_s)
				: NAN;
	} else {
		in.busy_s = servers ? fmin(ns_to_s(STAT(st, svc_ns)), servers * span_s) : NAN;
	}
	in.no_service_ended = p->bz_known && ops > 0 && BZ(bz, svc_ended) == 0;
	/* dispatch, per op: the ops that found the server idle had it, the
	 * others none; what they waited from the wake-up to the receive is in
	 * the measured queue wait, and comes out of it */
	/* per op of the unit (messages, issue 8): in.completions */
	in.dispatch_s = in.completions > 0 ? ns_to_s(BZ(bz, disp_ns)) / in.completions : NAN;
	in.dispatch_asleep_s =
		in.completions > 0 ? ns_to_s(BZ(bz, disp_asleep_ns)) / in.completions : NAN;
	take_s = in.completions > 0 ? ns_to_s(BZ(bz, disp_take_ns)) / in.completions : 0;
	/* the set-up time of a busy period (the M/G/1 with set-up): the
	 * dispatch delays of the ops that had one, their mean and mean square;
	 * none in the span (no op found the server idle): no set-up, 0 */
	in.dispatch_mean_s = in.dispatch_m2_s2 = NAN;
	if (p->bz_known && in.completions > 0) {
		double dn = (double)BZ(bz, disp_count), q = (double)(1 << ST_SQ_SHIFT) / 1e9;

		in.dispatch_mean_s = dn > 0 ? ns_to_s(BZ(bz, disp_ns)) / dn : 0;
		in.dispatch_m2_s2 = dn > 0 ? (double)BZ(bz, disp_sq) / dn * q * q : 0;
	}
	/* per message answered: from the receive that took it to the answer */
	in.answer_s = p->bz_known && BZ(bz, ans_msgs)
			      ? ns_to_s(BZ(bz, ans_ns)) / (double)BZ(bz, ans_msgs)
			      : NAN;
	/* Little's law on the input queue: Lq is the time-average of what
	 * waits in the sockets, Wq = Lq / λ */
	in.backlog_ops_avg =
		((double)STAT(st, backlog_int) * ops_per_byte + (double)STAT(st, qlen_int)) *
		int_s / span_s;
	in.wait_s = in.arrivals > 0 ? in.backlog_ops_avg / (in.arrivals / span_s) : NAN;
	if (isfinite(in.wait_s))
		in.wait_s = fmax(0, in.wait_s - take_s);
	in.backlog_start = p->backlog_known
				   ? (double)(summary ? p->backlog_first : p->backlog_ival_start)
				   : NAN;
	in.backlog_end = p->backlog_known ? (double)p->backlog_now : NAN;
	in.arrival_cv2 = NAN;
	if (STAT(st, arr_gap_count) > 1) {
		double n = (double)STAT(st, arr_gap_count);
		double m = (double)STAT(st, arr_gap_ns) / n / (1 << ST_SQ_SHIFT);
		double m2 = (double)STAT(st, arr_gap_sq) / n;

		if (m > 0)
			in.arrival_cv2 = fmax(0, m2 - m * m) / (m * m);
	}
	in.service_cv2 = NAN;
	if (svc_n > 1) {
		double m = (double)STAT(st, svc_ns) / svc_n / (1 << ST_SQ_SHIFT);
		double m2 = (double)STAT(st, svc_sq) / svc_n;

		if (m > 0)
			in.service_cv2 = fmax(0, m2 - m * m) / (m * m);
	}
	/* Flow control can hide ρ >= 1: once a TCP receive buffer is full the
	 * sender is held back, arrivals slow to the service rate, and the
	 * backlog stops growing. A server that never waited for input over the
	 * span (a serving thread that was never idle in it, or busy >= 99% with
	 * idle <= 0.5% of the time) is at its capacity all the same: saturated,
	 * and no model has a steady state to predict. */
	in.never_idle = (p->bz_known && (summary ? p->run_never_idle : p->i_never_idle) > 0) ||
			(servers && span_s > 0 && in.busy_s >= 0.99 * servers * span_s &&
			 (p->bz_known ? ns_to_s(summary ? p->t_idle : p->i_idle)
				      : ns_to_s(STAT(st, idle_ns))) <= 0.005 * servers * span_s);
	queue_model_compute(&in, &v->queue);
	v->arrival_cv2 = in.arrival_cv2;
	v->service_cv2 = in.service_cv2;
	v->wait_timed_s = STAT(st, wait_count)
				  ? ns_to_s(STAT(st, wait_ns)) / (double)STAT(st, wait_count)
				  : NAN;
	if (isfinite(v->wait_timed_s) && STAT(st, wait_count))
		v->wait_timed_s = fmax(0, v->wait_timed_s - ns_to_s(BZ(bz, disp_take_ns)) /
								    (double)STAT(st, wait_count));
	v->dispatch_hist = summary ? p->t_disp : p->i_disp;
	v->dispatch_count = BZ(bz, disp_count);
	v->busy_known = p->bz_known;
	v->busy_s = in.busy_s;
	v->idle_s = p->bz_known ? ns_to_s(summary ? p->t_idle : p->i_idle) : NAN;
	for (unsigned k = 0; k < ST_BLK__MAX; k++)
		v->blocked_busy_s[k] =
			ns_to_s(bz[offsetof(struct st_busy_stat, blk_ns) / sizeof(uint64_t) + k]);
	v->has_queue = 1;
}

static void fill_view(struct proc_view *v, const struct proc_acc *p, int summary, double span_s)
{
	const uint64_t *st = summary ? p->t_stat : p->i_stat;
	struct msg_in mi;
	unsigned n = 0;

	memset(v, 0, sizeof(*v));
	v->pid = (uint32_t)p->pid;
	v->slot = p->slot;
	memcpy(v->comm, p->comm, sizeof(v->comm));
	v->threads = p->exited ? 0 : p->threads;
	v->exited = p->exited;
	v->exit_code = p->exit_code;

	v->oncpu_s = ns_to_s(STAT(st, oncpu_ns));
	v->offcpu_s = ns_to_s(STAT(st, offcpu_ns));
	v->runq_wait_s = ns_to_s(STAT(st, runq_ns));
	v->runq_count = STAT(st, runq_count);
	v->runq_hist = summary ? p->t_runq : p->i_runq;
	v->runq_max_ns = summary ? (double)p->runq_max : 0;
	v->ctx_switches = STAT(st, ctx_switches);
	v->invol_switches = STAT(st, invol_switches);

	v->rss_known = p->rss_known;
	v->rss_bytes = p->rss;
	v->faults_known = p->flt_seen;
	if (summary) {
		v->page_faults =
			(p->flt_last_min - p->flt_base_min) + (p->flt_last_maj - p->flt_base_maj);
		v->major_faults = p->flt_last_maj - p->flt_base_maj;
	} else {
		v->page_faults = p->i_min + p->i_maj;
		v->major_faults = p->i_maj;
	}

	v->rx_bytes = STAT(st, rx_bytes);
	v->tx_bytes = STAT(st, tx_bytes);
	v->rx_ops = STAT(st, rx_ops);
	v->tx_ops = STAT(st, tx_ops);
	v->retransmits = STAT(st, retransmits);
	v->resets = STAT(st, resets_sent) + STAT(st, resets_recv);
	v->drops = STAT(st, drops);
	for (unsigned i = 0; i < p->n_drops; i++) {
		uint64_t n = summary ? p->drops[i].total : p->drops[i].ival;

		if (!n)
			continue;
		memcpy(v->drop_reasons[v->n_drop_reasons].reason, p->drops[i].reason,
		       sizeof(v->drop_reasons[0].reason));
		v->drop_reasons[v->n_drop_reasons++].count = n;
	}

	v->syscalls = calloc(p->n_sc ? p->n_sc : 1, sizeof(*v->syscalls));
	for (unsigned i = 0; v->syscalls && i < p->n_sc; i++) {
		const struct sc_acc *s = &p->sc[i];
		struct syscall_row *r = &v->syscalls[n];
		uint64_t count = summary ? s->t_count : s->i_count;

		if (!count)
			continue;
		r->nr = s->nr;
		r->count = count;
		r->errors = summary ? s->t_errors : s->i_errors;
		r->total_ns = summary ? s->t_total : s->i_total;
		r->max_ns = summary ? s->t_max : s->i_max;
		r->max_known = r->max_ns > 0;
		r->hist = summary ? s->t_hist : s->i_hist;
		for (unsigned j = 0; j < s->n_err; j++) {
			uint64_t ec = summary ? s->errs[j].total : s->errs[j].ival;

			if (ec && r->n_errnos < ST_MAX_ERRNOS_PER_SYSCALL) {
				r->errnos[r->n_errnos].err = s->errs[j].err;
				r->errnos[r->n_errnos].count = ec;
				r->n_errnos++;
			}
		}
		n++;
	}
	v->n_syscalls = n;
	qsort(v->syscalls, n, sizeof(*v->syscalls), cmp_syscall_rows);
	v->fc.saturation_eta_s = NAN;
	v->svc_hist = summary ? p->t_svc : p->i_svc;
	v->wait_hist = summary ? p->t_wait : p->i_wait;
	v->wait_hist_known = hist_count(&v->wait_hist) > 0;
	v->wait_timed_s = NAN;
	v->arrival_cv2 = v->service_cv2 = NAN;
	v->backlog_known = p->backlog_known;
	v->backlog_bytes = p->backlog_now;
	fill_queue(v, p, st, summary, span_s,
		   fill_msgs(v, p, st, summary, span_s, &mi) ? &mi : NULL);
}

void collector_set_forecast(struct collector *c, double horizon_s, unsigned window)
{
	c->horizon_s = horizon_s;
	c->fc_window = window;
}

void collector_set_net_known(struct collector *c, int known)
{
	c->net_unknown = !known;
}

void collector_set_sample(struct collector *c, unsigned every)
{
	c->sample_every = every;
}

void collector_set_whatif(struct collector *c, const struct whatif *w)
{
	c->has_whatif = w != NULL;
	if (w) {
		c->whatif = *w;
		whatif_format(w, c->whatif_spec, sizeof(c->whatif_spec));
	}
}

/*
 * Forecast of one process at the end of an interval: λ's linear trend over
 * the recent intervals extrapolated to the horizon, ρ and W there by M/M/c
 * at today's service time and servers, and when λ's trend reaches the
 * capacity c·μ. A figure the trend cannot support stays NaN (null).
 */
static void forecast_update(const struct collector *c, struct proc_acc *p, struct proc_view *v,
			    double time)
{
	struct forecast_trend tr;
	const struct queue_figures *q = &v->queue;
	double s, busy = 0, ops = 0;

	if (!v->has_queue || !isfinite(q->arrival_rate))
		return;
	forecast_series_push(&p->fs_lambda, time, q->arrival_rate);
	/* the capacity c/S from S over the whole window (busy / ops), not one
	 * interval's: a single interval's S is too noisy to aim a trend at */
	if (isfinite(q->service_time_s) && isfinite(q->throughput)) {
		forecast_series_push(&p->fs_busy, time, q->service_time_s * q->throughput);
		forecast_series_push(&p->fs_ops, time, q->throughput);
	}
	for (unsigned i = 0; i < p->fs_ops.count; i++) {
		busy += p->fs_busy.v[i];
		ops += p->fs_ops.v[i];
	}
	s = ops > 0 ? busy / ops : NAN;
	if (forecast_trend_fit(&p->fs_lambda, &tr))
		return;
	v->has_forecast = 1;
	forecast_figures_eval(&tr, c->horizon_s, s, q->servers, &v->fc);
	p->has_fc = 1;
	p->fc = v->fc;
}

static void forecast_restore(const struct proc_acc *p, struct proc_view *v)
{
	if (!p->has_fc)
		return;
	v->has_forecast = 1;
	v->fc = p->fc;
}

static void whatif_update(const struct collector *c, struct proc_view *v)
{
	const struct queue_figures *q = &v->queue;

	if (!c->has_whatif || !v->has_queue || !isfinite(q->arrival_rate) ||
	    !isfinite(q->service_time_s) || !q->servers)
		return;
	v->has_whatif = 1;
	whatif_eval(&c->whatif, q->arrival_rate, q->service_time_s, q->servers, v->arrival_cv2,
		    v->service_cv2, &v->wi);
}

static void reset_interval(struct proc_acc *p)
{
	memset(p->i_stat, 0, sizeof(p->i_stat));
	memset(p->i_msg, 0, sizeof(p->i_msg));
	memset(&p->i_runq, 0, sizeof(p->i_runq));
	memset(&p->i_svc, 0, sizeof(p->i_svc));
	memset(&p->i_wait, 0, sizeof(p->i_wait));
	memset(p->i_bz, 0, sizeof(p->i_bz));
	memset(&p->i_disp, 0, sizeof(p->i_disp));
	p->i_busy = p->i_idle = 0;
	p->i_active = p->i_never_idle = 0;
	p->i_min = p->i_maj = 0;
	p->i_servers = 0;
	for (unsigned i = 0; i < p->n_drops; i++)
		p->drops[i].ival = 0;
	p->backlog_ival_start = p->backlog_now;
	for (unsigned i = 0; i < p->n_sc; i++) {
		struct sc_acc *s = &p->sc[i];

		s->i_count = s->i_errors = s->i_total = s->i_max = 0;
		memset(&s->i_hist, 0, sizeof(s->i_hist));
		for (unsigned j = 0; j < s->n_err; j++)
			s->errs[j].ival = 0;
	}
}

static int cmp_views(const void *a, const void *b)
{
	const struct proc_view *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int build(struct collector *c, int summary, double time, double span_s, struct snapshot *out)
{
	unsigned cap = c->max_procs + c->n_retired + (summary ? c->n_folded : 0), n = 0;

	memset(out, 0, sizeof(*out));
	out->is_summary = summary;
	out->sample_every = c->sample_every;
	out->time = time;
	out->span_s = span_s;
	out->lost = summary ? c->lost_total : c->lost_ival;
	out->host.cpus = c->host_cpus;
	out->host.steal_s = c->steal_now - (summary ? c->steal_first : c->steal_ival);
	out->procs = calloc(cap ? cap : 1, sizeof(*out->procs));
	if (!out->procs)
		return -1;
	snprintf(out->whatif_spec, sizeof(out->whatif_spec), "%s",
		 c->has_whatif ? c->whatif_spec : "");
	for (unsigned i = 0; i < c->max_procs; i++) {
		struct proc_acc *p = c->slots[i];
		struct proc_view *v;

		if (!p || (!summary && p->reported_exit))
			continue;
		v = &out->procs[n++];
		fill_view(v, p, summary, span_s);
		v->net_known = !c->net_unknown;
		if (summary)
			forecast_restore(p, v);
		else
			forecast_update(c, p, v, time);
		whatif_update(c, v);
		if (!summary && p->exited)
			p->reported_exit = 1;
	}
	/* released from their slots as soon as they were read to the end: an
	 * interval still reports the last figures of those whose exit it has
	 * not reported yet */
	for (unsigned i = 0; i < c->n_retired; i++) {
		struct proc_acc *p = c->retired[i];

		if (!summary && p->reported_exit)
			continue;
		fill_view(&out->procs[n], p, summary, span_s);
		out->procs[n].net_known = !c->net_unknown;
		if (summary)
			forecast_restore(p, &out->procs[n]);
		else
			forecast_update(c, p, &out->procs[n], time);
		whatif_update(c, &out->procs[n]);
		if (!summary)
			p->reported_exit = 1;
		n++;
	}
	for (unsigned i = 0; summary && i < c->n_folded; i++) {
		fill_view(&out->procs[n], c->folded[i], 1, span_s);
		out->procs[n].net_known = !c->net_unknown;
		out->procs[n].folded = c->folded[i]->folded;
		out->procs[n].folded_rows_over_cap = c->folded[i]->rows_over_cap;
		n++;
	}
	out->n_procs = n;
	qsort(out->procs, n, sizeof(*out->procs), cmp_views);
	return 0;
}

int collector_interval(struct collector *c, double time, double span_s, struct snapshot *out)
{
	int e = build(c, 0, time, span_s, out);

	for (unsigned i = 0; i < c->max_procs; i++)
		if (c->slots[i])
			reset_interval(c->slots[i]);
	for (unsigned i = 0; i < c->n_retired; i++)
		reset_interval(c->retired[i]);
	while (c->n_retired > KEEP_RETIRED && c->retired[0]->reported_exit)
		fold_oldest(c);
	memset(&c->lost_ival, 0, sizeof(c->lost_ival));
	c->steal_ival = c->steal_now;
	return e;
}

int collector_summary(struct collector *c, double time, double span_s, struct snapshot *out)
{
	return build(c, 1, time, span_s, out);
}
