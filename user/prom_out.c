// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus text exposition (format 0.0.4) of a run: one metric family
 * at a time (the format wants each family's samples together), over the
 * processes the series cap lets in. Counters and histograms from the run
 * totals, gauges from the latest interval, a series whose value is not known
 * (NaN) left out rather than written as NaN.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "figures.h"
#include "names.h"
#include "sample_out.h"
#include "procfs.h"
#include "prom_out.h"
#include "services.h"
#include "utf8.h"

/* pid="4294967295",comm="..." with every comm byte escaped or replaced (3 bytes at most) */
#define LABELS_LEN (32 + 3 * ST_COMM_LEN)

enum prom_type { COUNTER, GAUGE, HISTOGRAM };

static const char *const type_names[] = {"counter", "gauge", "histogram"};

struct prom_ctx {
	FILE *f;
	/* the family whose HELP/TYPE lines are written with its first sample */
	const char *fam, *help;
	enum prom_type type;
	int header_due;
	unsigned long samples;
};

/* A process let in by the cap: its run totals, its latest interval (or NULL),
 * its syscall rows by rank, and its label pairs ready to print. */
struct prom_proc {
	const struct proc_view *t, *l;
	unsigned *rows, n_rows;
	char labels[LABELS_LEN];
};

static void family(struct prom_ctx *c, const char *name, enum prom_type type, const char *help)
{
	c->fam = name;
	c->type = type;
	c->help = help;
	c->header_due = 1;
}

static void write_header(struct prom_ctx *c)
{
	if (!c->header_due)
		return;
	/* HELP text escapes only backslash and newline; ours have neither */
	fprintf(c->f, "# HELP %s %s\n# TYPE %s %s\n", c->fam, c->help, c->fam, type_names[c->type]);
	c->header_due = 0;
}

/* Shortest of %.15g .. %.17g that reads back as the same double. */
static void write_value(FILE *f, double v)
{
	char buf[40];

	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		fprintf(f, "%.0f", v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

/*
 * One sample of the current family: name + suffix {labels,extra} value.
 * NaN values are left out (the series is not known). Either label part may
 * be NULL or empty.
 */
static void sample(struct prom_ctx *c, const char *suffix, const char *labels, const char *extra,
		   double v)
{
	int has_l = labels && *labels, has_e = extra && *extra;

	if (isnan(v))
		return;
	write_header(c);
	fputs(c->fam, c->f);
	if (suffix)
		fputs(suffix, c->f);
	if (has_l || has_e)
		fprintf(c->f, "{%s%s%s}", has_l ? labels : "", has_l && has_e ? "," : "",
			has_e ? extra : "");
	fputc(' ', c->f);
	write_value(c->f, v);
	fputc('\n', c->f);
	c->samples++;
}

/*
 * Append name="value" to dst (at most n bytes of value, stopping at NUL).
 * Label values must be UTF-8: backslash and quote are escaped as the format
 * says, and the rest is shown as every output shows a command name
 * (utf8_shown in utf8.h): a byte that is not part of a valid UTF-8 sequence
 * (a comm cut in the middle of a character, or binary junk), or a control
 * character, becomes U+FFFD.
 */
static void label_append(char *dst, size_t dstlen, const char *name, const char *value, size_t n)
{
	size_t o = strlen(dst);
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strnlen(value, n);

#define PUT(ch)                                \
	do {                                   \
		if (o + 1 < dstlen)            \
			dst[o++] = (char)(ch); \
	} while (0)
	if (o && o + 1 < dstlen)
		dst[o++] = ',';
	for (const char *p = name; *p; p++)
		PUT(*p);
	PUT('=');
	PUT('"');
	for (size_t i = 0; i < len;) {
		unsigned char ch = s[i];
		size_t k;

		if (ch == '\\' || ch == '"') {
			PUT('\\');
			PUT(ch);
			i++;
			continue;
		}
		k = utf8_shown_len(s + i, len - i);
		if (!k) {
			PUT(0xef);
			PUT(0xbf);
			PUT(0xbd);
			i += utf8_bad_len(s + i, len - i);
			continue;
		}
		for (size_t j = 0; j < k; j++)
			PUT(s[i + j]);
		i += k;
	}
	PUT('"');
#undef PUT
	dst[o] = 0;
}

void prom_out_le(unsigned b, char *buf, size_t len)
{
	/* 2^(b+1) ns written as seconds, exactly: integer ns with the decimal
	 * point moved nine places left, trailing zeros dropped */
	uint64_t ns = 1ull << (b + 1);
	int n = snprintf(buf, len, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
			 (unsigned long long)(ns % 1000000000ull));

	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = 0;
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = 0;
}

/*
 * One histogram series: cumulative buckets up to the last closed log2 bucket
 * (the kernel's last bucket holds everything above 2^31 ns, so it only counts
 * towards +Inf), +Inf = _count, and _sum when known.
 */
static void histogram(struct prom_ctx *c, const char *labels, const struct hist *h, double sum_s)
{
	char extra[48], le[24];
	uint64_t cum = 0;

	for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++) {
		cum += h->b[b];
		prom_out_le(b, le, sizeof(le));
		snprintf(extra, sizeof(extra), "le=\"%s\"", le);
		sample(c, "_bucket", labels, extra, (double)cum);
	}
	cum += h->b[HIST_BUCKETS - 1];
	sample(c, "_bucket", labels, "le=\"+Inf\"", (double)cum);
	sample(c, "_sum", labels, NULL, sum_s);
	sample(c, "_count", labels, NULL, (double)cum);
}

/* ---- which processes and syscalls the cap lets in ------------------------ */

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/* Processes still running first, then exited ones, each in pid order. */
static int cmp_proc_rank(const void *a, const void *b)
{
	const struct proc_view *x = *(const struct proc_view *const *)a;
	const struct proc_view *y = *(const struct proc_view *const *)b;

	if (!x->exited != !y->exited)
		return x->exited ? 1 : -1;
	return cmp_u32(x->pid, y->pid);
}

/* Most calls over the run first, then by number: a stable choice, so the
 * set of syscalls shown changes only when their ranks really cross. */
static int cmp_row_rank(const void *a, const void *b, void *arg)
{
	const struct syscall_row *rows = arg;
	const struct syscall_row *x = &rows[*(const unsigned *)a];
	const struct syscall_row *y = &rows[*(const unsigned *)b];

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return cmp_u32(x->nr, y->nr);
}

static const struct proc_view *find_pid(const struct snapshot *s, uint32_t pid)
{
	for (unsigned i = 0; s && i < s->n_procs; i++) {
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	}
	return NULL;
}

static void syscall_label_pair(const struct syscall_row *r, char *buf, size_t len)
{
	char nbuf[SYSCALL_LABEL_LEN];
	const char *name = syscall_label(r->nr, nbuf, sizeof(nbuf));

	buf[0] = 0;
	label_append(buf, len, "syscall", name, strlen(name));
}

/* ---- families -------------------------------------------------------- */

/*
 * Per-process figures (figures.c): one family each, one series per process,
 * from the run totals (counters) or the latest interval (gauges), those with
 * .prom_at in [@from, @to).
 */
static void render_proc_families(struct prom_ctx *c, const struct prom_proc *sel, unsigned n,
				 double latest_span_s, unsigned from, unsigned to)
{
	const struct figure *order[FIG_MAX_PROM];
	unsigned n_fams = fig_prom_order(order, FIG_MAX_PROM);

	for (unsigned i = 0; i < n_fams; i++) {
		const struct figure *f = order[i];
		int counter = f->ptype == FIG_COUNTER;

		if (f->prom_at < from || f->prom_at >= to)
			continue;
		family(c, f->prom, counter ? COUNTER : GAUGE, f->help);
		for (unsigned j = 0; j < n; j++) {
			const struct proc_view *p = counter ? sel[j].t : sel[j].l;

			if (p)
				sample(c, NULL, sel[j].labels, NULL,
				       fig_known(f->known | f->prom_known, p)
					       ? fig_value(f, p, NULL, counter ? 0 : latest_span_s)
					       : NAN);
		}
	}
}

/* What one op of the queue figures is: 1 on the series of the process's
 * unit (resp, postgres, http1, mqtt, nats, kafka, amqp, turn, receive, mixed). */
static void render_unit_family(struct prom_ctx *c, const struct prom_proc *sel, unsigned n)
{
	char lab[64];

	family(c, "streamtrace_queue_unit_info", GAUGE,
	       "The unit of work of the queue figures (one op): an application protocol's "
	       "message, a request/response turn, a receive, or mixed; 1 on that series.");
	for (unsigned j = 0; j < n; j++) {
		const struct proc_view *p = sel[j].l;
		const char *u;

		if (!p || !p->has_queue)
			continue;
		u = unit_name(p->msgs_known ? p->unit : ST_UNIT_RECEIVE);
		lab[0] = 0;
		label_append(lab, sizeof(lab), "unit", u, strlen(u));
		sample(c, NULL, sel[j].labels, lab, 1);
	}
}

static void render_model_family(struct prom_ctx *c, const struct prom_proc *sel, unsigned n)
{
	static const char *const models[] = {"model=\"mm1\"", "model=\"mmc\"", "model=\"mg1\"",
					     "model=\"gg1\"", "model=\"mg1_setup\""};

	family(c, "streamtrace_queue_model_response_seconds", GAUGE,
	       "Mean response time each queueing model predicts from the measured lambda, S, c "
	       "and variability (mm1, mmc: Erlang C, mg1: Pollaczek-Khinchine, gg1: Kingman, "
	       "mg1_setup: M/G/1 with the dispatch delay as set-up).");
	for (unsigned j = 0; j < n; j++) {
		const struct proc_view *p = sel[j].l;

		if (!p || !p->has_queue)
			continue;
		sample(c, NULL, sel[j].labels, models[0], p->queue.mm1_response_s);
		sample(c, NULL, sel[j].labels, models[1], p->queue.mmc_response_s);
		sample(c, NULL, sel[j].labels, models[2], p->queue.mg1_response_s);
		sample(c, NULL, sel[j].labels, models[3], p->queue.gg1_response_s);
		sample(c, NULL, sel[j].labels, models[4], p->queue.mg1_setup_response_s);
	}
}

static void render_syscalls(struct prom_ctx *c, const struct prom_proc *sel, unsigned n)
{
	char lab[LABELS_LEN + 64], sc[64], eb[32];

	family(c, "streamtrace_syscalls_total", COUNTER, "System calls made, by syscall.");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned k = 0; k < sel[j].n_rows; k++) {
			const struct syscall_row *r = &sel[j].t->syscalls[sel[j].rows[k]];

			syscall_label_pair(r, sc, sizeof(sc));
			sample(c, NULL, sel[j].labels, sc, (double)r->count);
		}
	}
	family(c, "streamtrace_syscall_errors_total", COUNTER,
	       "System calls that returned an error, by syscall.");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned k = 0; k < sel[j].n_rows; k++) {
			const struct syscall_row *r = &sel[j].t->syscalls[sel[j].rows[k]];

			syscall_label_pair(r, sc, sizeof(sc));
			sample(c, NULL, sel[j].labels, sc, (double)r->errors);
		}
	}
	family(c, "streamtrace_syscall_errno_total", COUNTER,
	       "System calls that returned an error, by syscall and errno name.");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned k = 0; k < sel[j].n_rows; k++) {
			const struct syscall_row *r = &sel[j].t->syscalls[sel[j].rows[k]];

			syscall_label_pair(r, sc, sizeof(sc));
			for (unsigned e = 0; e < r->n_errnos; e++) {
				const char *name = errno_name(r->errnos[e].err, eb, sizeof(eb));

				snprintf(lab, sizeof(lab), "%s", sc);
				label_append(lab, sizeof(lab), "errno", name, strlen(name));
				sample(c, NULL, sel[j].labels, lab, (double)r->errnos[e].count);
			}
		}
	}
	family(c, "streamtrace_syscall_max_seconds", GAUGE,
	       "Longest single call over the run, by syscall.");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned k = 0; k < sel[j].n_rows; k++) {
			const struct syscall_row *r = &sel[j].t->syscalls[sel[j].rows[k]];

			if (!r->max_known)
				continue;
			syscall_label_pair(r, sc, sizeof(sc));
			sample(c, NULL, sel[j].labels, sc, (double)r->max_ns / 1e9);
		}
	}
	family(c, "streamtrace_syscall_duration_seconds", HISTOGRAM,
	       "Time from entry to exit of each system call (log2 buckets).");
	for (unsigned j = 0; j < n; j++) {
		for (unsigned k = 0; k < sel[j].n_rows; k++) {
			const struct syscall_row *r = &sel[j].t->syscalls[sel[j].rows[k]];

			syscall_label_pair(r, sc, sizeof(sc));
			snprintf(lab, sizeof(lab), "%s,%s", sel[j].labels, sc);
			histogram(c, lab, &r->hist, (double)r->total_ns / 1e9);
		}
	}
}

/* Sum of the per-op service times over the run: the measured busy time
 * S * X * span (the collector's S is busy time / ops). */
static double service_sum_s(const struct proc_view *p, double span_s)
{
	if (!p->has_queue || !(span_s > 0))
		return NAN;
	return p->queue.service_time_s * p->queue.throughput * span_s;
}

static void render_histograms(struct prom_ctx *c, const struct prom_proc *sel, unsigned n,
			      double totals_span_s)
{
	family(c, "streamtrace_runqueue_wait_seconds", HISTOGRAM,
	       "Time a thread of the process waited runnable for a CPU (log2 buckets).");
	for (unsigned j = 0; j < n; j++) {
		const struct proc_view *p = sel[j].t;

		if (hist_count(&p->runq_hist))
			histogram(c, sel[j].labels, &p->runq_hist, p->runq_wait_s);
	}
	family(c, "streamtrace_op_service_seconds", HISTOGRAM,
	       "Service time of each op: from a receive's return to the thread's next wait for "
	       "input (log2 buckets).");
	for (unsigned j = 0; j < n; j++) {
		const struct proc_view *p = sel[j].t;

		if (hist_count(&p->svc_hist))
			histogram(c, sel[j].labels, &p->svc_hist, service_sum_s(p, totals_span_s));
	}
	family(c, "streamtrace_op_queue_wait_seconds", HISTOGRAM,
	       "Queue wait of each timed arrival: from the kernel queueing its data on the "
	       "socket to the process dequeuing it (log2 buckets).");
	for (unsigned j = 0; j < n; j++) {
		const struct proc_view *p = sel[j].t;
		uint64_t cnt = hist_count(&p->wait_hist);

		if (p->wait_hist_known && cnt)
			histogram(c, sel[j].labels, &p->wait_hist, p->wait_timed_s * (double)cnt);
	}
}

/* --listen's own connections (issue 16): the limits at work, in numbers. */
static void render_http_conns(struct prom_ctx *c, const struct prom_self *self)
{
	if (!self->http_conns_known)
		return;
	/* the same family as the other codes, a sample more */
	sample(c, NULL, NULL, "code=\"401\"", (double)self->http_unauthorized);
	family(c, "streamtrace_http_connections_accepted_total", COUNTER,
	       "Connections to the metrics endpoint taken on.");
	sample(c, NULL, NULL, NULL, (double)self->http_conns_accepted);
	family(c, "streamtrace_http_connections_refused_total", COUNTER,
	       "Connections closed at once: their client already held its share "
	       "(per_client_limit), or the endpoint was full (connection_limit).");
	sample(c, NULL, NULL, "reason=\"per_client_limit\"", (double)self->http_conns_refused[0]);
	sample(c, NULL, NULL, "reason=\"connection_limit\"", (double)self->http_conns_refused[1]);
	family(c, "streamtrace_http_connections_timed_out_total", COUNTER,
	       "Connections closed at a deadline: no whole request in time (request), an "
	       "answer not taken in time (response), idle after an answer (idle, normal).");
	sample(c, NULL, NULL, "phase=\"request\"", (double)self->http_conns_timed_out[0]);
	sample(c, NULL, NULL, "phase=\"response\"", (double)self->http_conns_timed_out[1]);
	sample(c, NULL, NULL, "phase=\"idle\"", (double)self->http_conns_timed_out[2]);
	family(c, "streamtrace_http_connections_open", GAUGE,
	       "Connections to the metrics endpoint open at this rendering.");
	sample(c, NULL, NULL, NULL, (double)self->http_conns_open);
}

/* Processes counted so far: one a row, or the members of a folded row. */
static uint64_t prom_procs_seen(const struct snapshot *totals)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < totals->n_procs; i++)
		n += totals->procs[i].folded ? totals->procs[i].folded : 1;
	return n;
}

/* --sample N: 1 when every syscall was timed */
static void render_sample_every(struct prom_ctx *c, const struct snapshot *totals)
{
	family(c, "streamtrace_sample_every", GAUGE,
	       "Syscalls per thread per timed one (--sample N; 1: all timed). Counts are exact; "
	       "syscall times and histograms are estimated, scaled by N.");
	sample(c, NULL, NULL, NULL, sample_every_of(totals));
}

static void render_health(struct prom_ctx *c, const struct snapshot *totals,
			  const struct snapshot *latest, const struct prom_self *self,
			  uint64_t dropped_procs, uint64_t dropped_rows)
{
	static const char *const http_codes[] = {"code=\"200\"", "code=\"404\"", "code=\"405\"",
						 "code=\"503\""};
	char lab[64];
	unsigned live = 0;

	family(c, "streamtrace_lost_events_total", COUNTER,
	       "Work the tracer could not account for, by kind (0 when exact).");
	for (unsigned k = 0; k < ST_LOST__MAX; k++) {
		const char *kn = lost_kind_name(k);

		lab[0] = 0;
		label_append(lab, sizeof(lab), "kind", kn, strlen(kn));
		sample(c, NULL, NULL, lab, (double)totals->lost.kinds[k]);
	}
	sample(c, NULL, NULL, "kind=\"recursion_misses\"", (double)totals->lost.recursion);
	if (totals->host.cpus && isfinite(totals->host.steal_s)) {
		family(c, "streamtrace_host_steal_seconds_total", COUNTER,
		       "CPU time the hypervisor gave to others while this host's CPUs were busy, "
		       "all CPUs, since the start (busy and service times include it).");
		sample(c, NULL, NULL, NULL, totals->host.steal_s);
	}

	for (unsigned i = 0; i < totals->n_procs; i++)
		live += !totals->procs[i].exited;
	family(c, "streamtrace_traced_processes", GAUGE, "Traced processes still running.");
	sample(c, NULL, NULL, NULL, live);
	family(c, "streamtrace_processes_seen_total", COUNTER,
	       "Processes traced since the start (running or exited).");
	sample(c, NULL, NULL, NULL, (double)prom_procs_seen(totals));
	family(c, "streamtrace_series_dropped_total", COUNTER,
	       "What the series cap left out of this exposition: processes, and syscall rows "
	       "of processes beyond the per-process cap.");
	sample(c, NULL, NULL, "kind=\"process\"", (double)dropped_procs);
	sample(c, NULL, NULL, "kind=\"syscall\"", (double)dropped_rows);

	if (latest) {
		family(c, "streamtrace_last_interval_timestamp_seconds", GAUGE,
		       "UNIX time at the end of the latest interval.");
		sample(c, NULL, NULL, NULL, latest->time);
		family(c, "streamtrace_last_interval_seconds", GAUGE,
		       "Length of the latest interval.");
		sample(c, NULL, NULL, NULL, latest->span_s);
	}
	family(c, "streamtrace_run_seconds", GAUGE, "Time traced so far.");
	sample(c, NULL, NULL, NULL, totals->span_s);
	render_sample_every(c, totals);
	if (!self)
		return;
	if (self->version) {
		family(c, "streamtrace_build_info", GAUGE, "Always 1; the version in a label.");
		lab[0] = 0;
		label_append(lab, sizeof(lab), "version", self->version, strlen(self->version));
		sample(c, NULL, NULL, lab, 1);
	}
	family(c, "streamtrace_start_time_seconds", GAUGE, "UNIX time when tracing began.");
	sample(c, NULL, NULL, NULL, self->start_time);
	family(c, "streamtrace_interval_seconds", GAUGE, "The configured reporting interval.");
	sample(c, NULL, NULL, NULL, self->interval_s);
	family(c, "streamtrace_self_cpu_seconds_total", COUNTER,
	       "CPU time streamtrace itself used (user space; its BPF programs run in the "
	       "traced threads' time).");
	sample(c, NULL, NULL, "mode=\"user\"", self->cpu_user_s);
	sample(c, NULL, NULL, "mode=\"system\"", self->cpu_system_s);
	family(c, "streamtrace_self_resident_memory_bytes", GAUGE,
	       "Resident set size of streamtrace itself.");
	sample(c, NULL, NULL, NULL, self->rss_bytes);
	family(c, "streamtrace_render_seconds", GAUGE,
	       "Time the previous rendering of this exposition took.");
	sample(c, NULL, NULL, NULL, self->render_s);
	family(c, "streamtrace_http_requests_total", COUNTER,
	       "HTTP requests answered, by status code (as of this rendering).");
	for (unsigned i = 0; i < 4; i++)
		sample(c, NULL, NULL, http_codes[i], (double)self->http_requests[i]);
	render_http_conns(c, self);
}

/* --services: one gauge family per row of the services' figure list
 * (figures.h) that has one, labelled by service, from the latest interval;
 * before them, the per-process families that come after the histograms. */
static void render_services(struct prom_ctx *c, const struct snapshot *latest,
			    const struct prom_proc *sel, unsigned n)
{
	const struct svc_figure *fams[SVC_MAX_PROM];
	unsigned n_fams = svc_sorted(SO_PROM, fams, SVC_MAX_PROM);

	/* (the headers go out with the first sample, if any) */
	render_proc_families(c, sel, n, latest ? latest->span_s : 0, FIG_PROM_LATE, UINT_MAX);
	if (!latest || !latest->has_services)
		return;
	for (unsigned f = 0; f < n_fams; f++) {
		family(c, fams[f]->prom, GAUGE, fams[f]->help);
		for (unsigned i = 0; i < latest->n_services; i++) {
			const struct service_view *v = &latest->services[i];
			char labels[LABELS_LEN] = "";

			label_append(labels, sizeof(labels), "service", v->name, sizeof(v->name));
			sample(c, NULL, labels, NULL,
			       svc_known(fams[f]->known | fams[f]->prom_known, v)
				       ? svc_value(fams[f], v)
				       : NAN);
		}
	}
}

int prom_out_render(FILE *f, const struct snapshot *totals, const struct snapshot *latest,
		    const struct prom_self *self, const struct prom_limits *lim)
{
	static const struct snapshot empty;
	struct prom_ctx c = {.f = f};
	unsigned max_procs = lim && lim->max_procs ? lim->max_procs : PROM_OUT_MAX_PROCS;
	unsigned max_rows = lim && lim->max_syscalls ? lim->max_syscalls : PROM_OUT_MAX_SYSCALLS;
	const struct proc_view **order = NULL;
	struct prom_proc *sel = NULL;
	unsigned *rows = NULL, n_sel = 0, n_rows_all = 0, n_own = 0;
	uint64_t dropped_procs = 0, dropped_rows = 0;
	int ret = -1;

	if (!totals)
		totals = &empty;
	if (totals->n_procs) {
		order = calloc(totals->n_procs, sizeof(*order));
		sel = calloc(totals->n_procs, sizeof(*sel));
		if (!order || !sel)
			goto out;
	}
	for (unsigned i = 0; i < totals->n_procs; i++) {
		order[i] = &totals->procs[i];
		n_rows_all += totals->procs[i].n_syscalls;
		/* counted over every process, so the count only grows (a
		 * folded row carries what its members had over the default cap) */
		if (totals->procs[i].n_syscalls > max_rows)
			dropped_rows += totals->procs[i].n_syscalls - max_rows;
		if (max_rows == PROM_OUT_MAX_SYSCALLS)
			dropped_rows += totals->procs[i].folded_rows_over_cap;
	}
	if (n_rows_all) {
		rows = calloc(n_rows_all, sizeof(*rows));
		if (!rows)
			goto out;
	}
	if (totals->n_procs)
		qsort(order, totals->n_procs, sizeof(*order), cmp_proc_rank);
	n_sel = totals->n_procs < max_procs ? totals->n_procs : max_procs;
	/* processes not shown as themselves: beyond the cap, or folded into
	 * their name's row (shown or not); it only grows, as rows are folded */
	for (unsigned i = 0; i < n_sel; i++)
		n_own += !order[i]->folded;
	dropped_procs = prom_procs_seen(totals) - n_own;
	for (unsigned i = 0, used = 0; i < n_sel; i++) {
		struct prom_proc *s = &sel[i];
		char pid[16];

		s->t = order[i];
		s->l = find_pid(latest, s->t->pid);
		snprintf(pid, sizeof(pid), "%u", s->t->pid);
		label_append(s->labels, sizeof(s->labels), "pid", pid, sizeof(pid));
		label_append(s->labels, sizeof(s->labels), "comm", s->t->comm, sizeof(s->t->comm));
		s->rows = rows + used;
		for (unsigned k = 0; k < s->t->n_syscalls; k++)
			s->rows[k] = k;
		if (s->t->n_syscalls)
			qsort_r(s->rows, s->t->n_syscalls, sizeof(*s->rows), cmp_row_rank,
				(void *)s->t->syscalls);
		s->n_rows = s->t->n_syscalls < max_rows ? s->t->n_syscalls : max_rows;
		used += s->t->n_syscalls;
	}

	render_proc_families(&c, sel, n_sel, latest ? latest->span_s : 0, 1, FIG_PROM_LATE);
	render_model_family(&c, sel, n_sel);
	render_unit_family(&c, sel, n_sel);
	render_syscalls(&c, sel, n_sel);
	render_histograms(&c, sel, n_sel, totals->span_s);
	render_services(&c, latest, sel, n_sel);
	render_health(&c, totals, latest, self, dropped_procs, dropped_rows);
	family(&c, "streamtrace_exposition_samples", GAUGE,
	       "Samples in this exposition, this one excluded.");
	sample(&c, NULL, NULL, NULL, (double)c.samples);
	ret = 0;
out:
	free(order);
	free(sel);
	free(rows);
	if (ferror(f))
		ret = -1;
	return ret;
}

/* A growing buffer behind a FILE (glibc's open_memstream regrows and clears
 * its buffer far too often for a text of megabytes). */
struct membuf {
	char *p;
	size_t len, cap;
};

static ssize_t membuf_write(void *cookie, const char *data, size_t n)
{
	struct membuf *m = cookie;

	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		char *p;

		while (m->len + n + 1 > cap)
			cap *= 2;
		p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
	m->p[m->len] = 0;
	return (ssize_t)n;
}

int prom_out_render_buf(char **buf, size_t *len, const struct snapshot *totals,
			const struct snapshot *latest, const struct prom_self *self,
			const struct prom_limits *lim)
{
	struct membuf m = {0};
	FILE *f = fopencookie(&m, "w", (cookie_io_functions_t){.write = membuf_write});
	int ret;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -1;
	setvbuf(f, NULL, _IOFBF, 65536);
	ret = prom_out_render(f, totals, latest, self, lim);
	if (fclose(f))
		ret = -1;
	if (ret || !m.p) {
		free(m.p);
		return -1;
	}
	*buf = m.p;
	*len = m.len;
	return 0;
}

void prom_self_init(struct prom_self *self)
{
	memset(self, 0, sizeof(*self));
	self->start_time = NAN;
	self->cpu_user_s = self->cpu_system_s = NAN;
	self->rss_bytes = NAN;
	self->interval_s = NAN;
	self->render_s = NAN;
}

void prom_self_http_conns(struct prom_self *self, uint64_t unauthorized, uint64_t accepted,
			  uint64_t refused_per_client, uint64_t refused_full,
			  uint64_t timeout_request, uint64_t timeout_response,
			  uint64_t timeout_idle, uint64_t open)
{
	self->http_conns_known = 1;
	self->http_unauthorized = unauthorized;
	self->http_conns_accepted = accepted;
	self->http_conns_refused[0] = refused_per_client;
	self->http_conns_refused[1] = refused_full;
	self->http_conns_timed_out[0] = timeout_request;
	self->http_conns_timed_out[1] = timeout_response;
	self->http_conns_timed_out[2] = timeout_idle;
	self->http_conns_open = open;
}

int prom_self_sample(struct prom_self *self)
{
	struct rusage ru;
	struct procfs_stat st;
	int ret = 0;

	if (!getrusage(RUSAGE_SELF, &ru)) {
		self->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
		self->cpu_system_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	} else {
		ret = -1;
	}
	if (!procfs_read(getpid(), &st) && st.rss_bytes)
		self->rss_bytes = (double)st.rss_bytes;
	else
		ret = -1;
	return ret;
}
