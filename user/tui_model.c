// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The screens of `streamtrace top` as plain data and text (tui_model.h).
 * A group is every process of one command name (a forking server's
 * children): its rates are the sums of its members', its THR the sum, its
 * RHO and W the highest of its members' (the worst one is what matters).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tui_model.h"
#include "names.h"
#include "services.h"

static const char *const col_names[TC__N] = {
	"PID", "COMM", "THR", "CPU%", "RUNQ%", "SYSC/s", "ERR/s", "RX/s", "ARR/s", "RHO", "W(ms)",
};
/* widths on screen: 80 columns in all with the separating spaces */
static const int col_width[TC__N] = {6, 17, 3, 5, 5, 6, 5, 6, 6, 5, 6};
static const int col_prec[TC__N] = {0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2};

/* within 80 columns: the first thing cut on a narrow terminal is the end */
const char tui_footer_table[] = "q:quit  ?:help  Enter:open  <>:sort  r:reverse  s:services  "
				"p:pipeline";
const char tui_footer_detail[] = "q:quit  ?:help  Esc:back  Up/Down:scroll  s:services  "
				 "p:pipeline";
const char tui_footer_other[] = "q:quit  ?:help  Esc:back  Up/Down:scroll";

const char *tui_col_name(enum tui_col c)
{
	return c < TC__N ? col_names[c] : "?";
}

static void safe_comm(const char *in, char *out)
{
	unsigned i;

	for (i = 0; i < ST_COMM_LEN - 1 && in[i]; i++)
		out[i] = (unsigned char)in[i] < 0x20 || (unsigned char)in[i] >= 0x7f ? '?' : in[i];
	out[i] = 0;
}

static void safe_str(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void tui_fmt_num(char *buf, size_t len, int width, int prec, double v)
{
	static const char sfx[] = "kMGTP";
	char tmp[64];

	if (!isfinite(v)) {
		snprintf(buf, len, "%*s", width, "-");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*f", prec, v);
	if ((int)strlen(tmp) > width && prec > 0)
		snprintf(tmp, sizeof(tmp), "%.0f", v);
	for (unsigned k = 0; (int)strlen(tmp) > width && k < sizeof(sfx) - 1; k++) {
		double d = v / pow(1000.0, k + 1);

		snprintf(tmp, sizeof(tmp), "%.*f%c", fabs(d) < 10 ? 1 : 0, d, sfx[k]);
	}
	snprintf(buf, len, "%*s", width, tmp);
}

static void load_proc(struct tui_proc *t, const struct proc_view *p, double span)
{
	uint64_t calls = 0, errs = 0;
	const struct queue_figures *q = p->has_queue ? &p->queue : NULL;

	t->pid = p->pid;
	safe_comm(p->comm, t->comm);
	t->threads = p->threads;
	t->exited = p->exited;
	t->folded = p->folded;
	for (unsigned j = 0; j < p->n_syscalls; j++) {
		calls += p->syscalls[j].count;
		errs += p->syscalls[j].errors;
	}
	t->v[TC_PID] = p->pid;
	t->v[TC_COMM] = NAN;
	t->v[TC_THR] = p->exited ? NAN : p->threads;
	t->v[TC_CPU] = 100.0 * p->oncpu_s / span;
	t->v[TC_RUNQ] = 100.0 * p->runq_wait_s / span;
	t->v[TC_SYSC] = (double)calls / span;
	t->v[TC_ERR] = (double)errs / span;
	t->v[TC_RX] = p->net_known ? (double)p->rx_ops / span : NAN;
	t->v[TC_ARR] = q ? q->arrival_rate : NAN;
	t->v[TC_RHO] = q ? q->rho : NAN;
	t->v[TC_W] = q ? q->response_s * 1e3 : NAN;
	t->saturated = q && q->saturated;
	t->bottleneck = p->bottleneck;
	t->stage = p->stage;
	t->has_queue = p->has_queue;
	if (q)
		t->q = *q;
	t->unit = p->unit;
	t->net_known = p->net_known;
	t->backlog_bytes = p->backlog_known ? p->backlog_bytes : 0;
	t->retransmits = p->retransmits;
	t->resets = p->resets;
	t->drops = p->drops;
	t->rss_mb = p->rss_known ? (double)p->rss_bytes / (1 << 20) : NAN;
	t->has_forecast = p->has_forecast;
	t->fc_horizon_s = p->fc.horizon_s;
	t->fc_arrival_rate = p->fc.arrival_rate;
	t->fc_rho = p->fc.rho;
	t->fc_response_s = p->fc.response_s;
	t->fc_eta_s = p->fc.saturation_eta_s;
	t->has_whatif = p->has_whatif;
	t->wi_rho = p->wi.rho;
	t->wi_response_s = p->wi.response_s;
	t->wi_p99_s = p->wi.response_p99_s;
	/* syscalls: the busiest (the collector sorts them busiest first) */
	for (unsigned j = 0; j < p->n_syscalls && t->n_sc < TUI_MAX_SC; j++) {
		const struct syscall_row *r = &p->syscalls[j];
		struct tui_sc *c = &t->sc[t->n_sc++];
		const char *name = syscall_name(r->nr);
		double mx = r->max_known ? (double)r->max_ns : 0;

		if (name)
			snprintf(c->name, sizeof(c->name), "%s", name);
		else
			snprintf(c->name, sizeof(c->name), "#%u", r->nr);
		c->count = r->count;
		c->errors = r->errors;
		c->p50_us = hist_quantile_ns(&r->hist, 0.5, mx) / 1e3;
		c->p99_us = hist_quantile_ns(&r->hist, 0.99, mx) / 1e3;
	}
	t->n_thr_all = p->n_thread_views;
	for (unsigned j = 0; j < p->n_thread_views && t->n_thr < TUI_MAX_THR; j++) {
		const struct thread_view *v = &p->thread_views[j];
		struct tui_thr *h = &t->thr[t->n_thr++];

		h->tid = v->tid;
		safe_comm(v->comm, h->comm);
		h->cpu_pct = 100.0 * v->oncpu_s / span;
		h->runq_pct = 100.0 * v->runq_wait_s / span;
		h->busy_pct = 100.0 * v->busy_s / span;
		h->rx_rate = (double)v->rx_ops / span;
		h->sysc_rate = (double)v->syscalls / span;
	}
	t->n_conn_all = p->n_conns;
	for (unsigned j = 0; j < p->n_conns && t->n_conn < TUI_MAX_CONN; j++) {
		const struct conn_view *v = &p->conns[j];
		struct tui_conn *c = &t->conn[t->n_conn++];

		snprintf(c->proto, sizeof(c->proto), "%s", v->proto);
		snprintf(c->local, sizeof(c->local), "%s", v->local[0] ? v->local : "-");
		snprintf(c->remote, sizeof(c->remote), "%s", v->remote[0] ? v->remote : "-");
		safe_str(c->proto);
		safe_str(c->local);
		safe_str(c->remote);
		c->rx_rate = (double)v->rx_ops / span;
		c->tx_rate = (double)v->tx_ops / span;
		c->backlog_bytes = v->backlog_bytes;
	}
}

static void load_services(struct tui_model *m, const struct service_view *v, unsigned n)
{
	m->svc = calloc(n ? n : 1, sizeof(*m->svc));
	if (!m->svc)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct tui_svc *t = &m->svc[m->n_svc++];

		snprintf(t->name, sizeof(t->name), "%.39s", v[i].name);
		safe_str(t->name);
		t->n_pids = v[i].n_pids;
		t->has_queue = v[i].has_queue;
		t->q = v[i].queue;
		t->saturated = (v[i].has_queue && v[i].queue.saturated) || v[i].cpu_saturated;
		t->capacity = v[i].capacity_servers;
		t->cpus = v[i].cpus;
		t->runq_share = v[i].runq_share;
	}
}

void tui_model_free(struct tui_model *m)
{
	free(m->p);
	free(m->svc);
	memset(m, 0, sizeof(*m));
}

int tui_model_load(struct tui_model *m, const struct snapshot *s)
{
	double span = s->span_s > 0 ? s->span_s : 1;

	tui_model_free(m);
	m->p = calloc(s->n_procs ? s->n_procs : 1, sizeof(*m->p));
	if (!m->p)
		return -1;
	m->time = s->time;
	m->span_s = s->span_s;
	m->lost = lost_total(&s->lost);
	m->steal_share = host_steal_share(s);
	m->n = s->n_procs;
	for (unsigned i = 0; i < s->n_procs; i++) {
		load_proc(&m->p[i], &s->procs[i], span);
		m->p[i].has_thr_view = s->has_threads;
		m->p[i].has_conn_view = s->has_conns;
	}
	m->n_stages = s->pipeline.n_stages;
	m->bottleneck_pid = s->pipeline.bottleneck_pid;
	m->e2e_s = s->pipeline.e2e_response_s;
	snprintf(m->whatif, sizeof(m->whatif), "%s", s->whatif_spec);
	safe_str(m->whatif);
	if (s->has_services) {
		load_services(m, s->services, s->n_services);
	} else {
		/* no --services: the command names are the services */
		struct service_view *v = NULL;
		unsigned n = 0;

		if (!services_build(s, NULL, 0, &v, &n)) {
			load_services(m, v, n);
			services_free(v, n);
			m->svc_by_comm = 1;
		}
	}
	m->loaded = 1;
	return 0;
}

void tui_state_init(struct tui_state *st)
{
	memset(st, 0, sizeof(*st));
	st->sort = TC_CPU;
}

int tui_group_open(const struct tui_state *st, const char *comm)
{
	for (unsigned i = 0; i < st->n_expanded; i++)
		if (!strncmp(st->expanded[i], comm, ST_COMM_LEN))
			return 1;
	return 0;
}

int tui_toggle_group(struct tui_state *st, const char *comm)
{
	for (unsigned i = 0; i < st->n_expanded; i++)
		if (!strncmp(st->expanded[i], comm, ST_COMM_LEN)) {
			memmove(&st->expanded[i], &st->expanded[i + 1],
				(st->n_expanded - i - 1) * sizeof(st->expanded[0]));
			st->n_expanded--;
			return 0;
		}
	if (st->n_expanded == TUI_MAX_EXPANDED)
		return 0;
	snprintf(st->expanded[st->n_expanded++], ST_COMM_LEN, "%s", comm);
	return 1;
}

/* Descending for figures (the busiest first), ascending for PID and COMM;
 * unknown figures last either way. */
static int cmp_v(const struct tui_row *a, const struct tui_row *b, enum tui_col c, int reverse)
{
	int r;

	if (c == TC_COMM) {
		r = strcmp(a->comm, b->comm);
	} else {
		double x = a->v[c], y = b->v[c];

		if (isnan(x) || isnan(y))
			return isnan(x) - isnan(y);
		r = x < y ? -1 : x > y;
		if (c != TC_PID)
			r = -r;
	}
	return reverse ? -r : r;
}

static const struct tui_state *sort_st;

static int cmp_rows(const void *pa, const void *pb)
{
	const struct tui_row *a = pa, *b = pb;
	int r = cmp_v(a, b, sort_st->sort, sort_st->reverse);

	if (!r)
		r = a->v[TC_PID] < b->v[TC_PID] ? -1 : a->v[TC_PID] > b->v[TC_PID];
	return r;
}

static void row_of(struct tui_row *r, const struct tui_proc *p, unsigned idx, enum tui_row_kind k)
{
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->proc = idx;
	r->count = 1;
	memcpy(r->comm, p->comm, sizeof(r->comm));
	memcpy(r->v, p->v, sizeof(r->v));
	r->saturated = p->saturated;
	r->bottleneck = p->bottleneck;
	r->exited = p->exited;
}

/* a group's figure: sums of rates, highest RHO and W, NaN only if all are */
static void fold(struct tui_row *g, const struct tui_proc *p)
{
	for (unsigned c = TC_THR; c < TC__N; c++) {
		double x = g->v[c], y = p->v[c];

		if (isnan(y))
			continue;
		if (isnan(x))
			g->v[c] = y;
		else if (c == TC_RHO || c == TC_W)
			g->v[c] = fmax(x, y);
		else
			g->v[c] = x + y;
	}
	g->saturated |= p->saturated;
	g->bottleneck |= p->bottleneck;
	g->exited &= p->exited;
	g->count++;
}

unsigned tui_rows(const struct tui_model *m, const struct tui_state *st, struct tui_row *out,
		  unsigned cap)
{
	struct tui_row *top = calloc(m->n ? m->n : 1, sizeof(*top));
	unsigned nt = 0, n = 0;

	if (!top)
		return 0;
	/* one row per name (folded exited rows, pid 0, stay rows of their own) */
	for (unsigned i = 0; i < m->n; i++) {
		const struct tui_proc *p = &m->p[i];
		unsigned k = nt;

		if (p->pid)
			for (k = 0; k < nt; k++)
				if (top[k].v[TC_PID] > 0 && !strcmp(top[k].comm, p->comm))
					break;
		if (k == nt) {
			row_of(&top[nt++], p, i, TR_PROC);
		} else {
			if (top[k].kind == TR_PROC) {
				top[k].kind = TR_GROUP;
				top[k].v[TC_PID] = fmin(top[k].v[TC_PID], p->v[TC_PID]);
			}
			fold(&top[k], p);
		}
	}
	sort_st = st;
	qsort(top, nt, sizeof(*top), cmp_rows);
	for (unsigned i = 0; i < nt && n < cap; i++) {
		struct tui_row *g = &top[i];
		unsigned first = n, nm = 0;

		g->open = g->kind == TR_GROUP && tui_group_open(st, g->comm);
		out[n++] = *g;
		if (!g->open)
			continue;
		for (unsigned j = 0; j < m->n && n < cap; j++)
			if (m->p[j].pid && !strcmp(m->p[j].comm, g->comm)) {
				row_of(&out[n++], &m->p[j], j, TR_MEMBER);
				nm++;
			}
		qsort(&out[first + 1], nm, sizeof(*out), cmp_rows);
	}
	free(top);
	return n;
}

static void append(char *buf, size_t len, size_t *at, const char *fmt, const char *s)
{
	int w;

	if (*at >= len)
		return;
	w = snprintf(buf + *at, len - *at, fmt, s);
	if (w > 0)
		*at += (size_t)w;
	if (*at >= len)
		*at = len - 1;
}

void tui_fmt_header(char *buf, size_t len, const struct tui_state *st)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned c = 0; c < TC__N; c++) {
		char h[24];

		/* the sort column: its name with v (descending) or ^ */
		if (c == (unsigned)st->sort) {
			int desc = (c == TC_PID || c == TC_COMM) ? st->reverse : !st->reverse;

			snprintf(h, sizeof(h), "%s%c", col_names[c], desc ? 'v' : '^');
		} else {
			snprintf(h, sizeof(h), "%s", col_names[c]);
		}
		if (c)
			append(buf, len, &at, "%s", " ");
		if (c == TC_COMM) {
			char f[16];

			snprintf(f, sizeof(f), "%%-%ds", col_width[c]);
			append(buf, len, &at, f, h);
		} else {
			char f[16];

			snprintf(f, sizeof(f), "%%%ds", col_width[c]);
			append(buf, len, &at, f, h);
		}
	}
}

void tui_fmt_row(char *buf, size_t len, const struct tui_row *r)
{
	char pid[16], comm[ST_COMM_LEN + 4], num[32];
	size_t at = 0;

	if (r->kind == TR_GROUP)
		snprintf(pid, sizeof(pid), "%ux", r->count);
	else if (r->v[TC_PID] > 0)
		snprintf(pid, sizeof(pid), "%.0f", r->v[TC_PID]);
	else
		snprintf(pid, sizeof(pid), "exited");
	/* + a closed group, - an open one, a member indented; * the bottleneck */
	snprintf(comm, sizeof(comm), "%s%s%s",
		 r->kind == TR_GROUP	? (r->open ? "-" : "+")
		 : r->kind == TR_MEMBER ? " "
					: "",
		 r->comm, r->bottleneck ? "*" : "");
	snprintf(buf, len, "%6s %-17s", pid, comm);
	at = strlen(buf);
	for (unsigned c = TC_THR; c < TC__N; c++) {
		if (c == TC_THR && r->exited) {
			snprintf(num, sizeof(num), "%*s", col_width[c], "x");
		} else {
			tui_fmt_num(num, sizeof(num), col_width[c], col_prec[c], r->v[c]);
		}
		append(buf, len, &at, " %s", num);
	}
}

void tui_fmt_title(char *buf, size_t len, const struct tui_model *m, unsigned groups)
{
	time_t t = isfinite(m->time) && fabs(m->time) < 1e15 ? (time_t)m->time : 0;
	struct tm tm;
	char tb[16];

	localtime_r(&t, &tm);
	strftime(tb, sizeof(tb), "%H:%M:%S", &tm);
	int n = snprintf(buf, len,
			 "streamtrace top  %s  interval %.1fs  processes %u in %u rows  lost %llu",
			 tb, m->span_s, m->n, groups, (unsigned long long)m->lost);

	if (n >= 0 && (size_t)n < len && m->steal_share >= 0.0005)
		snprintf(buf + n, len - (size_t)n, "  steal %.1f%%", 100 * m->steal_share);
}

/* ---- the other screens, as lines ---- */

struct lines {
	struct tui_line *l;
	unsigned n, cap;
};

__attribute__((format(printf, 3, 4))) static void line(struct lines *L, enum tui_attr a,
						       const char *fmt, ...)
{
	va_list ap;

	if (L->n >= L->cap)
		return;
	va_start(ap, fmt);
	vsnprintf(L->l[L->n].text, TUI_LINE, fmt, ap);
	va_end(ap);
	L->l[L->n++].attr = a;
}

static const char *num(char *b, int w, int prec, double v)
{
	tui_fmt_num(b, 32, w, prec, v);
	while (*b == ' ')
		b++;
	return b;
}

static const char *unit_words(unsigned unit)
{
	if (unit == ST_UNIT_RECEIVE || unit == 0)
		return "a receive";
	if (unit == ST_UNIT_TURN)
		return "a request/response turn";
	if (unit == ST_UNIT_MIXED)
		return "a message (several protocols)";
	return "a message";
}

static void queue_lines(struct lines *L, const struct tui_proc *p)
{
	const struct queue_figures *q = &p->q;
	char a[32], b[32], c[32], d[32], e[32];

	if (!p->has_queue) {
		line(L, TA_NORMAL, "  no queue: the process received nothing over the interval");
		return;
	}
	line(L, TA_NORMAL, "  an op is %s%s%s", unit_words(p->unit),
	     p->unit && p->unit != ST_UNIT_RECEIVE && p->unit != ST_UNIT_MIXED &&
			     p->unit != ST_UNIT_TURN
		     ? " of "
		     : "",
	     p->unit && p->unit != ST_UNIT_RECEIVE && p->unit != ST_UNIT_MIXED &&
			     p->unit != ST_UNIT_TURN
		     ? unit_name(p->unit)
		     : "");
	line(L, p->saturated ? TA_SATURATED : TA_NORMAL,
	     "  arrivals λ %s/s  throughput X %s/s  servers c %u  utilization U %s  rho %s%s",
	     num(a, 10, 1, q->arrival_rate), num(b, 10, 1, q->throughput), q->servers,
	     num(c, 6, 2, q->utilization), num(d, 6, 2, q->rho), q->saturated ? "  SATURATED" : "");
	line(L, TA_NORMAL,
	     "  service S %s ms  queue wait Wq %s ms  dispatch D %s ms  response W %s ms",
	     num(a, 10, 3, q->service_time_s * 1e3), num(b, 10, 3, q->wait_s * 1e3),
	     num(c, 10, 3, q->dispatch_s * 1e3), num(d, 10, 3, q->response_s * 1e3));
	line(L, TA_NORMAL, "  in the system L %s (Little: λW %s)", num(a, 10, 2, q->queue_length),
	     num(b, 10, 2, q->little_l_lambda_w));
	line(L, TA_NORMAL, "  models, W in ms: M/M/1 %s  M/M/c %s  M/G/1 %s  G/G/1 %s",
	     num(a, 10, 3, q->mm1_response_s * 1e3), num(b, 10, 3, q->mmc_response_s * 1e3),
	     num(c, 10, 3, q->mg1_response_s * 1e3), num(e, 10, 3, q->gg1_response_s * 1e3));
}

unsigned tui_detail_lines(const struct tui_model *m, unsigned proc, struct tui_line *out,
			  unsigned cap)
{
	struct lines L = {out, 0, cap};
	const struct tui_proc *p;
	char a[32], b[32], c[32], d[32], e[32];

	if (proc >= m->n)
		return 0;
	p = &m->p[proc];
	line(&L, TA_TITLE, "process %u %s%s%s", p->pid, p->comm, p->exited ? " (exited)" : "",
	     p->bottleneck ? "  * the pipeline's bottleneck" : "");
	line(&L, TA_NORMAL, "  threads %u  CPU %s%%  run-queue wait %s%%  RSS %s MB  syscalls %s/s",
	     p->threads, num(a, 8, 1, p->v[TC_CPU]), num(b, 8, 1, p->v[TC_RUNQ]),
	     num(c, 8, 1, p->rss_mb), num(d, 8, 0, p->v[TC_SYSC]));
	if (p->net_known)
		line(&L, TA_NORMAL,
		     "  receives %s/s  backlog %llu B  retransmits %llu  resets %llu  drops %llu",
		     num(a, 8, 0, p->v[TC_RX]), (unsigned long long)p->backlog_bytes,
		     (unsigned long long)p->retransmits, (unsigned long long)p->resets,
		     (unsigned long long)p->drops);
	line(&L, TA_NORMAL, "%s", "");
	line(&L, TA_TITLE, "queue (docs: man streamtrace, QUEUE FIGURES)");
	queue_lines(&L, p);
	line(&L, TA_NORMAL, "%s", "");
	line(&L, TA_TITLE, "forecast");
	if (!p->has_forecast) {
		line(&L, TA_NORMAL, "  no trend yet (it needs several intervals of arrivals)");
	} else {
		line(&L, TA_NORMAL, "  in %.0f s: λ %s/s  rho %s  W %s ms", p->fc_horizon_s,
		     num(a, 10, 1, p->fc_arrival_rate), num(b, 8, 2, p->fc_rho),
		     num(c, 10, 3, p->fc_response_s * 1e3));
		if (isfinite(p->fc_eta_s))
			line(&L, p->fc_eta_s < p->fc_horizon_s ? TA_SATURATED : TA_NORMAL,
			     "  at the current growth it saturates in %.0f s", p->fc_eta_s);
		else
			line(&L, TA_NORMAL, "  no saturation ahead at the current trend");
	}
	if (p->has_whatif)
		line(&L, TA_NORMAL, "  what-if %s: rho %s  W %s ms  p99 ~%s ms (M/M/c)", m->whatif,
		     num(a, 8, 2, p->wi_rho), num(b, 10, 3, p->wi_response_s * 1e3),
		     num(c, 10, 3, p->wi_p99_s * 1e3));
	line(&L, TA_NORMAL, "%s", "");
	line(&L, TA_TITLE, "syscalls (busiest first)");
	line(&L, TA_HEAD, "  %-20s %10s %8s %10s %10s", "SYSCALL", "COUNT/s", "ERR/s", "p50(us)",
	     "p99(us)");
	for (unsigned i = 0; i < p->n_sc; i++) {
		double span = m->span_s > 0 ? m->span_s : 1;

		line(&L, TA_NORMAL, "  %-20s %10s %8s %10s %10s", p->sc[i].name,
		     num(a, 10, 0, (double)p->sc[i].count / span),
		     num(b, 8, 0, (double)p->sc[i].errors / span), num(c, 10, 1, p->sc[i].p50_us),
		     num(d, 10, 1, p->sc[i].p99_us));
	}
	if (!p->n_sc)
		line(&L, TA_NORMAL, "  none over the interval");
	line(&L, TA_NORMAL, "%s", "");
	line(&L, TA_TITLE, "threads (%u)", p->n_thr_all);
	if (!p->has_thr_view) {
		line(&L, TA_NORMAL, "  not collected");
	} else {
		line(&L, TA_HEAD, "  %7s %-15s %6s %6s %6s %8s %8s", "TID", "COMM", "CPU%", "RUNQ%",
		     "BUSY%", "RX/s", "SYSC/s");
		for (unsigned i = 0; i < p->n_thr; i++) {
			const struct tui_thr *t = &p->thr[i];

			line(&L, TA_NORMAL, "  %7u %-15s %6s %6s %6s %8s %8s", t->tid, t->comm,
			     num(a, 6, 1, t->cpu_pct), num(b, 6, 1, t->runq_pct),
			     num(c, 6, 1, t->busy_pct), num(d, 8, 0, t->rx_rate),
			     num(e, 8, 0, t->sysc_rate));
		}
		if (p->n_thr_all > p->n_thr)
			line(&L, TA_NORMAL, "  ... %u more", p->n_thr_all - p->n_thr);
	}
	line(&L, TA_NORMAL, "%s", "");
	line(&L, TA_TITLE, "connections (%u)", p->n_conn_all);
	if (!p->has_conn_view) {
		line(&L, TA_NORMAL, "  not collected");
	} else {
		line(&L, TA_HEAD, "  %-5s %-22s %-22s %7s %7s %8s", "PROTO", "LOCAL", "REMOTE",
		     "RX/s", "TX/s", "BACKLOG");
		for (unsigned i = 0; i < p->n_conn; i++) {
			const struct tui_conn *k = &p->conn[i];

			line(&L, TA_NORMAL, "  %-5.5s %-22.22s %-22.22s %7s %7s %8llu", k->proto,
			     k->local, k->remote, num(a, 7, 0, k->rx_rate),
			     num(b, 7, 0, k->tx_rate), (unsigned long long)k->backlog_bytes);
		}
		if (p->n_conn_all > p->n_conn)
			line(&L, TA_NORMAL, "  ... %u more", p->n_conn_all - p->n_conn);
	}
	return L.n;
}

unsigned tui_services_lines(const struct tui_model *m, struct tui_line *out, unsigned cap)
{
	struct lines L = {out, 0, cap};
	char a[32], b[32], c[32], d[32], e[32], f[32];

	line(&L, TA_TITLE,
	     "services: %s (a service is one station: its members' arrivals and "
	     "busy time together)",
	     m->svc_by_comm ? "processes by command name" : "--services");
	line(&L, TA_HEAD, "%-20s %5s %4s %4s %8s %6s %8s %6s %5s %6s", "SERVICE", "PROCS", "THR",
	     "CAP", "ARR/s", "U", "S(ms)", "RHO", "CPUS", "RUNQ%");
	for (unsigned i = 0; i < m->n_svc; i++) {
		const struct tui_svc *v = &m->svc[i];
		const struct queue_figures *q = &v->q;
		char thr[16], capb[16];

		snprintf(thr, sizeof(thr), v->has_queue ? "%u" : "-", q->servers);
		snprintf(capb, sizeof(capb), v->has_queue ? "%u" : "-", v->capacity);
		line(&L, v->saturated ? TA_SATURATED : TA_NORMAL,
		     "%-20.20s %5u %4s %4s %8s %6s %8s %6s %5s %6s", v->name, v->n_pids, thr, capb,
		     num(a, 8, 0, v->has_queue ? q->arrival_rate : NAN),
		     num(b, 6, 2, v->has_queue ? q->utilization : NAN),
		     num(c, 8, 2, v->has_queue ? q->service_time_s * 1e3 : NAN),
		     num(d, 6, 2, v->has_queue ? q->rho : NAN), num(e, 5, 1, v->cpus),
		     num(f, 6, 0, 100.0 * v->runq_share));
	}
	if (!m->n_svc)
		line(&L, TA_NORMAL, "no processes");
	return L.n;
}

static int by_stage(const void *pa, const void *pb)
{
	const struct tui_proc *a = *(const struct tui_proc *const *)pa;
	const struct tui_proc *b = *(const struct tui_proc *const *)pb;

	if (a->stage != b->stage)
		return a->stage < b->stage ? -1 : 1;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

unsigned tui_pipeline_lines(const struct tui_model *m, struct tui_line *out, unsigned cap)
{
	struct lines L = {out, 0, cap};
	const struct tui_proc **st = calloc(m->n ? m->n : 1, sizeof(*st));
	const struct tui_proc *bn = NULL;
	unsigned n = 0;
	char a[32], b[32], c[32], d[32], e[32];

	if (!st)
		return 0;
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].stage)
			st[n++] = &m->p[i];
	qsort(st, n, sizeof(*st), by_stage);
	if (!m->n_stages || !n) {
		line(&L, TA_TITLE, "pipeline: none");
		line(&L, TA_NORMAL,
		     "no traced process sends to another traced process (over a "
		     "socket or pipe)");
		free(st);
		return L.n;
	}
	line(&L, TA_TITLE, "pipeline: %u stages, end-to-end W %s ms (the slowest path)",
	     m->n_stages, num(a, 10, 2, m->e2e_s * 1e3));
	line(&L, TA_HEAD, "%5s %7s %-15s %8s %8s %6s %8s %8s %6s", "STAGE", "PID", "COMM", "ARR/s",
	     "X/s", "RHO", "S(ms)", "W(ms)", "RUNQ%");
	for (unsigned i = 0; i < n; i++) {
		const struct tui_proc *p = st[i];
		const struct queue_figures *q = &p->q;
		char rq[32];

		if (p->bottleneck)
			bn = p;
		line(&L,
		     p->bottleneck  ? TA_BOTTLENECK
		     : p->saturated ? TA_SATURATED
				    : TA_NORMAL,
		     "%5u %7u %-14.14s%c %8s %8s %6s %8s %8s %6s", p->stage, p->pid, p->comm,
		     p->bottleneck ? '*' : ' ', num(a, 8, 0, p->has_queue ? q->arrival_rate : NAN),
		     num(b, 8, 0, p->has_queue ? q->throughput : NAN),
		     num(c, 6, 2, p->has_queue ? q->rho : NAN),
		     num(d, 8, 3, p->has_queue ? q->service_time_s * 1e3 : NAN),
		     num(e, 8, 3, p->has_queue ? q->response_s * 1e3 : NAN),
		     num(rq, 6, 1, p->v[TC_RUNQ]));
	}
	line(&L, TA_NORMAL, "%s", "");
	if (!bn) {
		line(&L, TA_NORMAL, "no bottleneck named (no stage stands out)");
	} else {
		const struct queue_figures *q = &bn->q;
		double cap_rate =
			q->servers && q->service_time_s > 0 ? q->servers / q->service_time_s : NAN;

		line(&L, TA_BOTTLENECK, "bottleneck: %u %s, rho %s", bn->pid, bn->comm,
		     num(a, 6, 2, q->rho));
		line(&L, TA_NORMAL,
		     "  why: each op keeps a server busy S %s ms, %u server(s): at most %s ops/s "
		     "(c/S)",
		     num(a, 10, 3, q->service_time_s * 1e3), q->servers, num(b, 10, 0, cap_rate));
		line(&L, TA_NORMAL, "  against arrivals of %s ops/s; its queue wait Wq %s ms",
		     num(a, 10, 0, q->arrival_rate), num(b, 10, 3, q->wait_s * 1e3));
		if (isfinite(bn->v[TC_RUNQ]) && isfinite(bn->v[TC_CPU]) &&
		    bn->v[TC_RUNQ] > 0.25 * bn->v[TC_CPU])
			line(&L, TA_NORMAL,
			     "  and it waits for a CPU: run-queue wait %s%% against %s%% on CPU",
			     num(a, 8, 1, bn->v[TC_RUNQ]), num(b, 8, 1, bn->v[TC_CPU]));
		line(&L, TA_NORMAL,
		     "  Enter on its row in the table shows its syscalls and threads");
	}
	free(st);
	return L.n;
}

static const char *const help_text[] = {
	"streamtrace top: keys",
	"  q, Ctrl-C      quit (the run's summary is printed on the terminal)",
	"  Up/Down, k/j   pick a row;  PgUp/PgDn, Home/End  move by a page / to the ends",
	"  Enter, Right   a process: its details; a group (+): open it, (-): close it",
	"  Esc, Left, BS  back to the table",
	"  < >            sort by the column left / right of the current one",
	"  r              reverse the sort",
	"  s              services: processes rolled up into stations",
	"  p              pipeline: stages that feed each other, the bottleneck and why",
	"  ?              this help",
	"",
	"columns (each a rate over the last interval)",
	"  PID     process id; Nx: a group of N processes of one name (+ closed, - open)",
	"  COMM    command name; * marks the pipeline's bottleneck",
	"  THR     threads alive now (x: exited)",
	"  CPU%    on-CPU time / interval (100 = one CPU; above 100 with several threads)",
	"  RUNQ%   run-queue wait / interval: time runnable but waiting for a CPU",
	"  SYSC/s  syscalls per second;  ERR/s  of them failed",
	"  RX/s    socket/pipe receives per second",
	"  ARR/s   λ: ops arriving per second at its input queues (an op: a receive, or a",
	"          framed message)",
	"  RHO     ρ = λS/c: utilization of its c serving threads; 1 = saturated",
	"  W(ms)   response time per op: dispatch + queue wait + service (D + Wq + S)",
	"  a group: its rates summed, RHO and W the highest of its members",
	"",
	"colours: red saturated (ρ ≥ 1, a growing backlog, or a server never idle),",
	"yellow the bottleneck; NO_COLOR=1 or --no-color turns them off",
	"full legend: man streamtrace",
};

unsigned tui_help_lines(struct tui_line *out, unsigned cap)
{
	struct lines L = {out, 0, cap};

	for (unsigned i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++)
		line(&L, i == 0 || i == 11 ? TA_TITLE : TA_NORMAL, "%s", help_text[i]);
	return L.n;
}
