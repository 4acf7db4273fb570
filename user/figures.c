// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-process figures, one row each, in the order of the JSON (see
 * figures.h). A row's type macro checks at compile time that the member
 * really has that C type, so the list and struct proc_view cannot drift.
 */
#include <math.h>
#include <stdint.h>
#include "figures.h"

#define TYPE_IS(S, m, T) \
	(0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((S *)0)->m), T) ? 1 : -1]))
#define MEMBER(S, m, T) .off = offsetof(S, m) + TYPE_IS(S, m, T)

/* members of struct proc_view */
#define F64(m)	.type = FIG_F64, MEMBER(struct proc_view, m, double)
#define U64(m)	.type = FIG_U64, MEMBER(struct proc_view, m, uint64_t)
#define U32(m)	.type = FIG_U32, MEMBER(struct proc_view, m, uint32_t)
#define I32(m)	.type = FIG_I32, MEMBER(struct proc_view, m, int)
#define BOOL(m) .type = FIG_BOOL, MEMBER(struct proc_view, m, int)
#define HIST(m) .type = FIG_HIST, MEMBER(struct proc_view, m, struct hist)
#define LIST(l) .type = FIG_LIST, .list = (l)
/* members of struct queue_figures */
#define QF64(m)	 .type = FIG_F64, .base = FB_QUEUE, MEMBER(struct queue_figures, m, double)
#define QU32(m)	 .type = FIG_U32, .base = FB_QUEUE, MEMBER(struct queue_figures, m, unsigned)
#define QBOOL(m) .type = FIG_BOOL, .base = FB_QUEUE, MEMBER(struct queue_figures, m, int)
/* a column of the report's process table */
#define COLUMN(c, at, fmt) .col = (c), .col_at = (at), .col_fmt = (fmt)
/* a column of the live table */
#define TCOL(h, at, w, prec, scale, per_span) .tcol = {(h), (at), (w), (prec), (scale), (per_span)}
/* a Prometheus family */
#define GAUGE(n, at, h)	  .prom = (n), .ptype = FIG_GAUGE, .prom_at = (at), .help = (h)
#define COUNTER(n, at, h) .prom = (n), .ptype = FIG_COUNTER, .prom_at = (at), .help = (h)

static double us(double ns)
{
	return ns / 1e3;
}

static double cpu_utilization(const struct proc_view *p, double span_s)
{
	return span_s > 0 ? p->oncpu_s / span_s : NAN;
}

static double runq_p99_us(const struct proc_view *p, double span_s)
{
	(void)span_s;
	return us(hist_quantile_ns(&p->runq_hist, 0.99, p->runq_max_ns));
}

static double wait_p99_us(const struct proc_view *p, double span_s)
{
	(void)span_s;
	return us(hist_quantile_ns(&p->wait_hist, 0.99, 0));
}

static double service_p99_us(const struct proc_view *p, double span_s)
{
	(void)span_s;
	return us(hist_quantile_ns(&p->svc_hist, 0.99, 0));
}

static double dispatch_p99_s(const struct proc_view *p, double span_s)
{
	(void)span_s;
	return p->dispatch_count ? hist_quantile_ns(&p->dispatch_hist, 0.99, 0) / 1e9 : NAN;
}

const struct fig_group_info fig_groups[FG__MAX] = {
	[FG_NONE] = {NULL, FG_NONE, 0, FU_ABSENT},
	[FG_PROC] = {NULL, FG_NONE, 0, FU_NULL},
	[FG_CPU] = {"cpu", FG_PROC, 0, FU_NULL},
	[FG_MEMORY] = {"memory", FG_PROC, 0, FU_NULL},
	[FG_NET] = {"net", FG_PROC, FK_NET, FU_KEYS_NULL},
	[FG_QUEUE] = {"queue", FG_PROC, FK_QUEUE, FU_NULL},
	[FG_MODEL] = {"model", FG_QUEUE, 0, FU_NULL},
	[FG_FORECAST] = {"forecast", FG_PROC, FK_FORECAST, FU_NULL},
	[FG_WHATIF] = {"what_if", FG_PROC, FK_WHATIF, FU_ABSENT},
};

const struct figure proc_figures[] = {
	{FG_PROC, "pid", U32(pid), .section = FS_PID, .rec = 1},
	{FG_NONE, NULL, U32(slot), .rec = 2},
	{FG_PROC, "comm", .type = FIG_COMM, MEMBER(struct proc_view, comm, char[ST_COMM_LEN]),
	 .rec = 3},
	{FG_PROC, "threads", U32(threads), .rec = 4, .prom_known = FK_LIVE,
	 GAUGE("streamtrace_process_threads", 1, "Live threads of the process.")},
	{FG_NONE, NULL, I32(exited), .rec = 5},
	{FG_NONE, NULL, I32(exit_code), .rec = 6},

	{FG_CPU, "oncpu_s", F64(oncpu_s), .rec = 7,
	 COUNTER("streamtrace_cpu_seconds_total", 2, "Time the process ran on a CPU."),
	 TCOL("CPU%", 4, 6, 1, 100, 1)},
	{FG_CPU, "utilization", .type = FIG_NONE, .get = cpu_utilization,
	 GAUGE("streamtrace_cpu_utilization", 4,
	       "CPUs the process used over the latest interval (on-CPU seconds per second)."),
	 COLUMN("CPU (cores)", 4, FMT_PLAIN)},
	{FG_CPU, "runq_wait_s", F64(runq_wait_s), .rec = 9, TCOL("RUNQ%", 5, 7, 1, 100, 1)},
	{FG_CPU, "runq_p99_us", .type = FIG_NONE, .get = runq_p99_us},
	{FG_CPU, "ctx_switches", U64(ctx_switches), .rec = 13,
	 COUNTER("streamtrace_context_switches_total", 5,
		 "Context switches of the process's threads.")},
	{FG_CPU, "involuntary_switches", U64(invol_switches), .rec = 14,
	 COUNTER("streamtrace_involuntary_context_switches_total", 6,
		 "Context switches where a thread was preempted while runnable.")},
	{FG_CPU, "runq_waits", U64(runq_count), .rec = 10},
	{FG_CPU, "offcpu_s", F64(offcpu_s), .rec = 8,
	 COUNTER("streamtrace_offcpu_seconds_total", 3,
		 "Time the process's threads were switched out (blocked or preempted).")},
	{FG_NONE, NULL, F64(runq_max_ns), .rec = 11},
	{FG_NONE, NULL, HIST(runq_hist), .rec = 12},

	{FG_MEMORY, "rss_bytes", U64(rss_bytes), .known = FK_RSS, .rec = 16, .prom_known = FK_LIVE,
	 GAUGE("streamtrace_rss_bytes", 7, "Resident set size of the process.")},
	{FG_NONE, NULL, I32(rss_known), .rec = 15},
	{FG_MEMORY, "page_faults", U64(page_faults), .known = FK_FAULTS, .rec = 18,
	 COUNTER("streamtrace_page_faults_total", 8,
		 "Page faults (minor and major) since tracing began.")},
	{FG_MEMORY, "major_faults", U64(major_faults), .known = FK_FAULTS, .rec = 19,
	 COUNTER("streamtrace_major_page_faults_total", 9,
		 "Major page faults (needing I/O) since tracing began.")},
	{FG_NONE, NULL, I32(faults_known), .rec = 17},

	{FG_PROC, "syscalls", LIST(FL_SYSCALLS), .section = FS_SYSCALLS, .rec = 78},

	{FG_NONE, NULL, I32(net_known), .rec = 20},
	{FG_NET, "rx_bytes", U64(rx_bytes), .rec = 21,
	 COUNTER("streamtrace_net_rx_bytes_total", 10, "Bytes received on sockets.")},
	{FG_NET, "tx_bytes", U64(tx_bytes), .rec = 22,
	 COUNTER("streamtrace_net_tx_bytes_total", 11, "Bytes sent on sockets.")},
	{FG_NET, "rx_ops", U64(rx_ops), .rec = 23,
	 COUNTER("streamtrace_net_rx_ops_total", 12,
		 "Successful socket receives (each message of a recvmmsg counts once)."),
	 TCOL("RX/s", 8, 7, 0, 1, 1)},
	{FG_NET, "tx_ops", U64(tx_ops), .rec = 24,
	 COUNTER("streamtrace_net_tx_ops_total", 13,
		 "Successful socket sends (each message of a sendmmsg counts once).")},
	{FG_NET, "rx_msgs", U64(rx_msgs), .known = FK_MSGS, .rec = 90, .minor = 3,
	 COUNTER("streamtrace_net_rx_msgs_total", 14,
		 "Messages the process took, in its unit of work (streamtrace_queue_unit_info): "
		 "application messages where the protocol is recognised, else turns or "
		 "receives.")},
	{FG_NET, "tx_msgs", U64(tx_msgs), .known = FK_TX_MSGS, .rec = 92, .minor = 3,
	 COUNTER("streamtrace_net_tx_msgs_total", 15,
		 "Application messages the process wrote on connections whose protocol is "
		 "recognised (absent when none is).")},
	{FG_NET, "backlog_bytes", U64(backlog_bytes), .known = FK_BACKLOG, .rec = 26,
	 GAUGE("streamtrace_net_backlog_bytes", 16,
	       "Unread bytes in the process's input sockets at the end of the latest interval.")},
	{FG_NONE, NULL, I32(backlog_known), .rec = 25},
	{FG_NET, "retransmits", U64(retransmits), .rec = 27,
	 COUNTER("streamtrace_net_retransmits_total", 17, "TCP retransmits.")},
	{FG_NET, "resets", U64(resets), .rec = 28,
	 COUNTER("streamtrace_net_resets_total", 18, "TCP resets sent and received.")},
	{FG_NET, "drops", U64(drops), .rec = 29,
	 COUNTER("streamtrace_net_drops_total", 19, "Packets dropped on the process's sockets.")},
	{FG_NET, "drop_reasons", LIST(FL_DROP_REASONS), .section = FS_DROP_REASONS, .rec = 30},
	/* its share of lost.framing_lost (issue 8) */
	{FG_NET, "framing_lost", U64(fr_lost), .known = FK_MSGS, .flags = FF_ABSENT, .rec = 94,
	 .minor = 3},

	{FG_NONE, NULL, I32(has_queue), .rec = 37},
	{FG_QUEUE, "arrival_rate", QF64(arrival_rate), .known = FK_QUEUE, .rec = 38,
	 GAUGE("streamtrace_queue_arrival_rate", 20,
	       "Arrival rate lambda: ops per second enqueued to the process's input sockets."),
	 COLUMN("λ (ops/s)", 7, FMT_COUNT), TCOL("ARR/s", 9, 7, 0, 1, 0)},
	{FG_QUEUE, "throughput", QF64(throughput), .known = FK_QUEUE, .rec = 39,
	 GAUGE("streamtrace_queue_throughput", 21,
	       "Throughput X: ops per second the process dequeued."),
	 COLUMN("X (ops/s)", 8, FMT_COUNT)},
	{FG_QUEUE, "utilization", QF64(utilization), .known = FK_QUEUE, .rec = 40,
	 GAUGE("streamtrace_queue_utilization", 22,
	       "Utilization U: mean fraction of time a serving thread is busy (0..1).")},
	{FG_QUEUE, "service_time_s", QF64(service_time_s), .known = FK_QUEUE, .rec = 41,
	 GAUGE("streamtrace_queue_service_time_seconds", 23,
	       "Mean service time S: busy time per op (U * servers / X)."),
	 COLUMN("S", 11, FMT_TIME)},
	{FG_QUEUE, "service_rate", QF64(service_rate), .known = FK_QUEUE, .rec = 42,
	 GAUGE("streamtrace_queue_service_rate", 24,
	       "Service rate mu = 1/S, ops per second per server.")},
	{FG_QUEUE, "servers", QU32(servers), .known = FK_QUEUE, .rec = 43,
	 GAUGE("streamtrace_queue_servers", 25,
	       "Serving threads c: threads that made receives in the interval.")},
	{FG_QUEUE, "rho", QF64(rho), .known = FK_QUEUE, .rec = 44,
	 GAUGE("streamtrace_queue_rho", 26,
	       "Offered load rho = lambda * S / c; at or above 1 the input grows without bound."),
	 TCOL("RHO", 10, 6, 2, 1, 0)},
	{FG_QUEUE, "queue_length", QF64(queue_length), .known = FK_QUEUE, .rec = 45,
	 GAUGE("streamtrace_queue_length", 27,
	       "Time-averaged ops in the process: waiting in its input sockets plus in "
	       "service.")},
	{FG_QUEUE, "wait_s", QF64(wait_s), .known = FK_QUEUE, .rec = 46,
	 GAUGE("streamtrace_queue_wait_seconds", 28,
	       "Mean queue wait Wq: from an op's data being queued to the process dequeuing it."),
	 COLUMN("Wq", 12, FMT_TIME)},
	/* recorded after the processes' other fields since minor 2 (and after
	 * a service's queue); its family comes after the histograms */
	{FG_QUEUE, "dispatch_s", QF64(dispatch_s), .known = FK_QUEUE, .rec = 82, .minor = 2,
	 .flags = FF_OLD_NAN,
	 GAUGE("streamtrace_queue_dispatch_seconds", FIG_PROM_LATE,
	       "Mean dispatch delay per op: an op's arrival at an idle server until it runs "
	       "(latest interval).")},
	/* of D: arrival -> the wake-up reaching the scheduler (minor 6) */
	{FG_QUEUE, "dispatch_asleep_s", QF64(dispatch_asleep_s), .known = FK_QUEUE, .rec = 100,
	 .minor = 6, .flags = FF_OLD_NAN},
	{FG_QUEUE, "response_s", QF64(response_s), .known = FK_QUEUE, .rec = 47,
	 GAUGE("streamtrace_queue_response_seconds", 29, "Mean response time W = Wq + S."),
	 COLUMN("W", 13, FMT_TIME), TCOL("W(ms)", 11, 8, 2, 1e3, 0)},
	/* W up to the answer (minor 5; docs/queueing.md, "The models on a
	 * shared CPU"); recorded after the processes' other fields */
	{FG_QUEUE, "response_answered_s", QF64(response_answered_s), .known = FK_QUEUE, .rec = 99,
	 .minor = 5, .flags = FF_OLD_NAN},
	{FG_QUEUE, "saturated", QBOOL(saturated), .known = FK_QUEUE, .rec = 48,
	 GAUGE("streamtrace_queue_saturated", 30,
	       "1 when rho >= 1 or the input backlog grew through the interval, else 0.")},
	/* one labelled family of their own (prom_out.c) */
	{FG_MODEL, "mm1_response_s", QF64(mm1_response_s), .rec = 49},
	{FG_MODEL, "mmc_response_s", QF64(mmc_response_s), .rec = 50},
	{FG_MODEL, "mg1_response_s", QF64(mg1_response_s), .rec = 51},
	{FG_MODEL, "gg1_response_s", QF64(gg1_response_s), .rec = 52},
	{FG_MODEL, "mm1_error", QF64(mm1_error), .rec = 53},
	{FG_MODEL, "mmc_error", QF64(mmc_error), .rec = 54},
	{FG_MODEL, "mg1_error", QF64(mg1_error), .rec = 55},
	{FG_MODEL, "gg1_error", QF64(gg1_error), .rec = 56},
	/* M/G/1 with the dispatch delay as a busy period's set-up (minor 5) */
	{FG_MODEL, "mg1_setup_response_s", QF64(mg1_setup_response_s), .rec = 97, .minor = 5,
	 .flags = FF_OLD_NAN},
	{FG_MODEL, "mg1_setup_error", QF64(mg1_setup_error), .rec = 98, .minor = 5,
	 .flags = FF_OLD_NAN},
	{FG_QUEUE, "little_lambda_w", QF64(little_l_lambda_w), .rec = 57},
	{FG_QUEUE, "little_error", QF64(little_error), .rec = 58},
	{FG_QUEUE, "unit", .type = FIG_NONE, .section = FS_UNIT},
	{FG_QUEUE, "units", .type = FIG_NONE, .section = FS_UNITS},
	{FG_QUEUE, "wait_timed_s", F64(wait_timed_s), .rec = 34,
	 GAUGE("streamtrace_queue_wait_timed_seconds", 31,
	       "Mean of the queue waits timed one by one (enqueue to dequeue).")},
	{FG_QUEUE, "wait_p99_us", .type = FIG_NONE, .get = wait_p99_us},
	{FG_QUEUE, "service_p99_us", .type = FIG_NONE, .get = service_p99_us},
	{FG_QUEUE, "arrival_cv2", F64(arrival_cv2), .rec = 35},
	{FG_QUEUE, "service_cv2", F64(service_cv2), .rec = 36},
	{FG_NONE, NULL, HIST(svc_hist), .rec = 31},
	{FG_NONE, NULL, I32(wait_hist_known), .rec = 32},
	{FG_NONE, NULL, HIST(wait_hist), .rec = 33},
	/* busy, idle and dispatch (docs/queueing.md, "Busy and idle") */
	{FG_QUEUE, "dispatch_p99_s", .type = FIG_NONE, .get = dispatch_p99_s},
	{FG_QUEUE, "dispatch_count", U64(dispatch_count), .rec = 87, .minor = 2},
	{FG_NONE, NULL, I32(busy_known), .rec = 83, .minor = 2},
	{FG_QUEUE, "busy_s", F64(busy_s), .known = FK_BUSY, .rec = 84, .minor = 2,
	 .flags = FF_OLD_NAN},
	{FG_QUEUE, "idle_s", F64(idle_s), .known = FK_BUSY, .rec = 85, .minor = 2,
	 .flags = FF_OLD_NAN},
	{FG_QUEUE, "busy_blocked_s", LIST(FL_BLOCKED), .section = FS_BUSY_BLOCKED, .rec = 86,
	 .minor = 2},
	{FG_NONE, NULL, HIST(dispatch_hist), .rec = 88, .minor = 2},

	{FG_NONE, NULL, I32(has_forecast), .rec = 59},
	{FG_FORECAST, "horizon_s", F64(fc.horizon_s), .known = FK_FORECAST, .rec = 60,
	 GAUGE("streamtrace_forecast_horizon_seconds", 32, "How far ahead the forecast looks.")},
	{FG_FORECAST, "arrival_rate", F64(fc.arrival_rate), .known = FK_FORECAST, .rec = 61,
	 GAUGE("streamtrace_forecast_arrival_rate", 33,
	       "Forecast arrival rate at the horizon, ops per second.")},
	{FG_FORECAST, "rho", F64(fc.rho), .known = FK_FORECAST, .rec = 62,
	 GAUGE("streamtrace_forecast_rho", 36, "Forecast offered load at the horizon.")},
	{FG_FORECAST, "response_s", F64(fc.response_s), .known = FK_FORECAST, .rec = 63,
	 GAUGE("streamtrace_forecast_response_seconds", 37,
	       "Forecast mean response time at the horizon.")},
	{FG_FORECAST, "saturation_eta_s", F64(fc.saturation_eta_s), .known = FK_FORECAST, .rec = 64,
	 GAUGE("streamtrace_forecast_saturation_eta_seconds", 38,
	       "Seconds until the forecast arrival rate reaches capacity c*mu (absent when flat, "
	       "falling or too noisy).")},
	{FG_FORECAST, "arrival_rate_lo", F64(fc.arrival_lo), .known = FK_FORECAST, .rec = 65,
	 GAUGE("streamtrace_forecast_arrival_rate_lower", 34,
	       "Lower end of the prediction interval of the forecast arrival rate.")},
	{FG_FORECAST, "arrival_rate_hi", F64(fc.arrival_hi), .known = FK_FORECAST, .rec = 66,
	 GAUGE("streamtrace_forecast_arrival_rate_upper", 35,
	       "Upper end of the prediction interval of the forecast arrival rate.")},
	{FG_FORECAST, "model", .type = FIG_NONE, .section = FS_FC_MODEL},

	{FG_NONE, NULL, I32(has_whatif), .rec = 67},
	{FG_WHATIF, "model", .type = FIG_NONE, .section = FS_WI_MODEL},
	{FG_WHATIF, "arrival_rate", F64(wi.arrival_rate), .rec = 68},
	{FG_WHATIF, "service_time_s", F64(wi.service_time_s), .rec = 69},
	{FG_WHATIF, "servers", U32(wi.servers), .rec = 74},
	{FG_WHATIF, "rho", F64(wi.rho), .rec = 70},
	{FG_WHATIF, "response_s", F64(wi.response_s), .rec = 71},
	{FG_WHATIF, "response_p99_s", F64(wi.response_p99_s), .rec = 72},
	{FG_WHATIF, "gg_response_s", F64(wi.gg_response_s), .rec = 73},

	{FG_PROC, "threads_detail", LIST(FL_THREADS), .section = FS_THREADS, .rec = 79},
	{FG_PROC, "connections", LIST(FL_CONNS), .section = FS_CONNS, .rec = 80},
	{FG_PROC, "stage", U32(stage), .known = FK_STAGE, .rec = 75,
	 GAUGE("streamtrace_pipeline_stage", 39,
	       "Position among traced processes that feed each other (1 = first).")},
	{FG_PROC, "bottleneck", BOOL(bottleneck), .rec = 76, .prom_known = FK_STAGE,
	 GAUGE("streamtrace_pipeline_bottleneck", 40,
	       "1 for the pipeline stage that limits the pipeline's throughput, else 0.")},
	{FG_NONE, NULL, F64(path_response_s), .rec = 77},
	{FG_PROC, "exit", .type = FIG_NONE, .section = FS_EXIT},

	/* appended fields, read only when the record has them; minor 1: */
	{FG_NONE, NULL, U64(folded), .rec = 81, .minor = 1},
	/* minor 3: messages (issue 8) */
	{FG_NONE, NULL, I32(msgs_known), .rec = 89, .minor = 3},
	{FG_NONE, NULL, I32(tx_msgs_known), .rec = 91, .minor = 3},
	{FG_NONE, NULL, U32(unit), .rec = 93, .minor = 3},
	{FG_NONE, NULL, LIST(FL_UNITS), .rec = 95, .minor = 3},
	{FG_NONE, NULL, LIST(FL_CONN_UNITS), .rec = 96, .minor = 3},
};

const unsigned n_proc_figures = sizeof(proc_figures) / sizeof(proc_figures[0]);

int fig_known(unsigned known, const struct proc_view *p)
{
	static const struct {
		unsigned bit;
		size_t off;
	} flags[] = {
		{FK_QUEUE, offsetof(struct proc_view, has_queue)},
		{FK_FORECAST, offsetof(struct proc_view, has_forecast)},
		{FK_WHATIF, offsetof(struct proc_view, has_whatif)},
		{FK_NET, offsetof(struct proc_view, net_known)},
		{FK_RSS, offsetof(struct proc_view, rss_known)},
		{FK_FAULTS, offsetof(struct proc_view, faults_known)},
		{FK_MSGS, offsetof(struct proc_view, msgs_known)},
		{FK_TX_MSGS, offsetof(struct proc_view, tx_msgs_known)},
		{FK_BACKLOG, offsetof(struct proc_view, backlog_known)},
		{FK_BUSY, offsetof(struct proc_view, busy_known)},
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if ((known & flags[i].bit) && !*(const int *)((const char *)p + flags[i].off))
			return 0;
	if ((known & FK_LIVE) && p->exited)
		return 0;
	if ((known & FK_STAGE) && !p->stage)
		return 0;
	return 1;
}

const void *fig_ptr(const struct figure *f, const struct proc_view *p,
		    const struct queue_figures *q)
{
	if (f->base == FB_QUEUE)
		return (const char *)(q ? q : &p->queue) + f->off;
	return (const char *)p + f->off;
}

void *fig_mut(const struct figure *f, struct proc_view *p, struct queue_figures *q)
{
	if (f->base == FB_QUEUE)
		return (char *)(q ? q : &p->queue) + f->off;
	return (char *)p + f->off;
}

/* A scalar member of type @type as a double; NaN for the others. */
static double scalar(enum fig_type type, const void *m)
{
	switch (type) {
	case FIG_F64:
		return *(const double *)m;
	case FIG_U64:
		return (double)*(const uint64_t *)m;
	case FIG_U32:
		return *(const uint32_t *)m;
	case FIG_BOOL:
		return *(const int *)m ? 1 : 0;
	case FIG_I32:
		return *(const int *)m;
	default:
		return NAN;
	}
}

double fig_value(const struct figure *f, const struct proc_view *p, const struct queue_figures *q,
		 double span_s)
{
	if (f->type == FIG_NONE)
		return f->get ? f->get(p, span_s) : NAN;
	return scalar(f->type, fig_ptr(f, p, q));
}

uint64_t fig_u64(const struct figure *f, const struct proc_view *p, const struct queue_figures *q)
{
	const void *m = fig_ptr(f, p, q);

	return f->type == FIG_U64 ? *(const uint64_t *)m : *(const uint32_t *)m;
}

/* The unsigned at @at in row @i of @rows (rows of @size bytes). */
static unsigned number(const void *rows, size_t size, unsigned i, size_t at)
{
	return *(const unsigned *)((const char *)rows + i * size + at);
}

/* out[k - 1]: the row whose number at @at is k (NULL: none); the highest k. */
static unsigned order_by(const void *rows, size_t size, unsigned n, size_t at, const void **out,
			 unsigned cap)
{
	unsigned top = 0;

	for (unsigned i = 0; i < cap; i++)
		out[i] = NULL;
	for (unsigned i = 0; i < n; i++) {
		unsigned r = number(rows, size, i, at);

		if (r && r <= cap) {
			out[r - 1] = (const char *)rows + i * size;
			top = r > top ? r : top;
		}
	}
	return top;
}

/* The rows with a number at @at, sorted by it (stable): how many. */
static unsigned sort_by(const void *rows, size_t size, unsigned n, size_t at, const void **out,
			unsigned cap)
{
	unsigned m = 0;

	/* insertion: a few dozen rows */
	for (unsigned i = 0; i < n; i++) {
		unsigned r = number(rows, size, i, at), k = m;

		if (!r || m == cap)
			continue;
		while (k && *(const unsigned *)((const char *)out[k - 1] + at) > r) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = (const char *)rows + i * size;
		m++;
	}
	return m;
}

unsigned fig_rec_order(const struct figure **out, unsigned cap)
{
	return order_by(proc_figures, sizeof(*proc_figures), n_proc_figures,
			offsetof(struct figure, rec), (const void **)out, cap);
}

unsigned fig_prom_order(const struct figure **out, unsigned cap)
{
	return sort_by(proc_figures, sizeof(*proc_figures), n_proc_figures,
		       offsetof(struct figure, prom_at), (const void **)out, cap);
}

/*
 * The services' figures, in the order of a service's JSON object.
 */
#define SVC(m, T)	 MEMBER(struct service_view, m, T)
#define SQ(m, T)	 .base = FB_QUEUE, MEMBER(struct queue_figures, m, T)
#define SGAUGE(n, at, h) .prom = (n), .prom_at = (at), .help = (h)

static double svc_processes(const struct service_view *v)
{
	return v->n_pids;
}

static double svc_saturated(const struct service_view *v)
{
	return (v->has_queue && v->queue.saturated) || v->cpu_saturated;
}

const struct svc_group_info svc_groups[SG__MAX] = {
	[SG_SERVICE] = {NULL, 0},
	[SG_NET] = {"net", SK_NET},
	[SG_QUEUE] = {"queue", SK_QUEUE},
	[SG_CPU] = {"cpu", 0},
};

const struct svc_figure svc_figures[] = {
	{SG_SERVICE, "name", .type = FIG_NONE, .section = SS_NAME, .rec = 1},
	{SG_SERVICE, "pids", .type = FIG_NONE, .section = SS_PIDS, .rec = 2},
	{SG_SERVICE, NULL, .type = FIG_NONE, .get = svc_processes,
	 SGAUGE("streamtrace_service_processes", 12, "Service: its traced processes."),
	 TCOL("PROCS", 2, 6, 0, 1, 0)},

	{SG_SERVICE, NULL, .type = FIG_I32, SVC(net_known, int), .rec = 3},
	{SG_NET, "rx_bytes", .type = FIG_U64, SVC(rx_bytes, uint64_t), .rec = 4},
	{SG_NET, "tx_bytes", .type = FIG_U64, SVC(tx_bytes, uint64_t), .rec = 5},
	{SG_NET, "rx_ops", .type = FIG_U64, SVC(rx_ops, uint64_t), .rec = 6},
	{SG_NET, "tx_ops", .type = FIG_U64, SVC(tx_ops, uint64_t), .rec = 7},
	{SG_NET, "backlog_bytes", .type = FIG_U64, SVC(backlog_bytes, uint64_t), .rec = 8},
	{SG_NET, "retransmits", .type = FIG_U64, SVC(retransmits, uint64_t), .rec = 9},
	{SG_NET, "resets", .type = FIG_U64, SVC(resets, uint64_t), .rec = 10},
	{SG_NET, "drops", .type = FIG_U64, SVC(drops, uint64_t), .rec = 11},

	{SG_SERVICE, NULL, .type = FIG_I32, SVC(has_queue, int), .rec = 12},
	/* the queue object: the process list's queue rows, then its own */
	{SG_QUEUE, "queue", .type = FIG_NONE, .section = SS_QUEUE, .rec = 13},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(dispatch_s, double), .rec = 14, .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_dispatch_seconds", 13,
		"Service: mean dispatch delay per op (an op's arrival at an idle server until it "
		"runs)."),
	 COLUMN("D", 10, FMT_TIME)},
	{SG_QUEUE, "capacity_servers", .type = FIG_U32, SVC(capacity_servers, unsigned), .rec = 15,
	 .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_capacity_servers", 9, "Service: servers its CPUs allow."),
	 COLUMN("capacity", 5, FMT_COUNT), TCOL("CAP", 4, 5, 0, 1, 0)},
	/* the queue's families (the JSON has them from the process list) */
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(arrival_rate, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_arrival_rate", 1,
		"Service: ops arriving per second (latest interval)."),
	 COLUMN("λ (ops/s)", 6, FMT_COUNT), TCOL("ARR/s", 5, 9, 0, 1, 0)},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(throughput, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_throughput", 2,
		"Service: ops dequeued per second (latest interval).")},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(utilization, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_utilization", 3,
		"Service: mean busy fraction of its serving threads."),
	 COLUMN("U", 7, FMT_PLAIN), TCOL("U", 6, 7, 2, 1, 0)},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(service_time_s, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_service_time_seconds", 4, "Service: busy time per op."),
	 COLUMN("S", 8, FMT_TIME), TCOL("S(ms)", 7, 9, 2, 1e3, 0)},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(rho, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_rho", 5, "Service: offered load per server its CPUs allow."),
	 COLUMN("ρ", 9, FMT_PLAIN), TCOL("RHO", 8, 7, 2, 1, 0)},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(response_s, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_response_seconds", 6, "Service: D + Wq + S."),
	 COLUMN("W", 11, FMT_TIME)},
	{SG_QUEUE, NULL, .type = FIG_NONE, .get = svc_saturated,
	 SGAUGE("streamtrace_service_saturated", 7,
		"Service: 1 when saturated (rho, CPUs, or every member).")},
	{SG_QUEUE, NULL, .type = FIG_U32, SQ(servers, unsigned), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_servers", 8, "Service: serving threads of all its processes."),
	 COLUMN("threads", 4, FMT_COUNT), TCOL("THR", 3, 5, 0, 1, 0)},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(wait_s, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_wait_seconds", 14,
		"Service: mean queue wait per op (Wq), less dispatch.")},
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(queue_length, double), .prom_known = SK_QUEUE,
	 SGAUGE("streamtrace_service_queue_length", 15,
		"Service: time-averaged ops waiting in its sockets plus in service.")},

	{SG_CPU, "cpus", .type = FIG_F64, SVC(cpus, double), .rec = 16,
	 COLUMN("CPUs", 12, FMT_PLAIN), TCOL("CPUS", 9, 6, 1, 1, 0)},
	{SG_CPU, "oncpu_s", .type = FIG_F64, SVC(oncpu_s, double), .rec = 17},
	{SG_CPU, "runq_wait_s", .type = FIG_F64, SVC(runq_s, double), .rec = 18},
	{SG_CPU, "demand", .type = FIG_F64, SVC(cpu_demand, double), .rec = 19,
	 SGAUGE("streamtrace_service_cpu_demand", 11,
		"Service: on-CPU plus run-queue time over its CPUs x span.")},
	{SG_CPU, "runq_share", .type = FIG_F64, SVC(runq_share, double), .rec = 20,
	 SGAUGE("streamtrace_service_cpu_runq_share", 10,
		"Service: run-queue wait over on-CPU plus run-queue time."),
	 COLUMN("run-queue share", 13, FMT_PLAIN), TCOL("RUNQ%", 10, 7, 0, 100, 0)},
	{SG_CPU, "saturated", .type = FIG_BOOL, SVC(cpu_saturated, int), .rec = 21},

	{SG_SERVICE, "forecast", .type = FIG_NONE, .section = SS_NULL},
	/* appended: the pipeline over services */
	{SG_SERVICE, "stage", .type = FIG_U32, SVC(stage, unsigned), .known = SK_STAGE, .rec = 22,
	 .appended = 1,
	 SGAUGE("streamtrace_service_pipeline_stage", 16,
		"Service: its stage in the pipeline over services (absent if in none).")},
	{SG_SERVICE, "bottleneck", .type = FIG_BOOL, SVC(bottleneck, int), .rec = 23, .appended = 1,
	 .prom_known = SK_STAGE,
	 SGAUGE("streamtrace_service_pipeline_bottleneck", 17,
		"Service: 1 for the stage that limits the pipeline over services, else 0.")},
	{SG_SERVICE, "path_response_s", .type = FIG_F64, SVC(path_response_s, double),
	 .known = SK_STAGE, .rec = 24, .appended = 1},
	/* appended (minor 6): of D, the part before the wake-up (its JSON key
	 * comes with the queue object, from the process list) */
	{SG_QUEUE, NULL, .type = FIG_F64, SQ(dispatch_asleep_s, double), .rec = 25, .appended = 1},
};

const unsigned n_svc_figures = sizeof(svc_figures) / sizeof(svc_figures[0]);

int svc_known(unsigned known, const struct service_view *v)
{
	return !((known & SK_NET) && !v->net_known) && !((known & SK_QUEUE) && !v->has_queue) &&
	       !((known & SK_STAGE) && !v->stage);
}

const void *svc_ptr(const struct svc_figure *f, const struct service_view *v)
{
	return (const char *)(f->base == FB_QUEUE ? (const void *)&v->queue : (const void *)v) +
	       f->off;
}

void *svc_mut(const struct svc_figure *f, struct service_view *v)
{
	return (void *)svc_ptr(f, v); /* v is not const: neither is its member */
}

double svc_value(const struct svc_figure *f, const struct service_view *v)
{
	if (f->type == FIG_NONE)
		return f->get ? f->get(v) : NAN;
	return scalar(f->type, svc_ptr(f, v));
}

unsigned svc_rec_order(const struct svc_figure **out, unsigned cap)
{
	return order_by(svc_figures, sizeof(*svc_figures), n_svc_figures,
			offsetof(struct svc_figure, rec), (const void **)out, cap);
}

unsigned svc_sorted(enum svc_order by, const struct svc_figure **out, unsigned cap)
{
	static const size_t at[] = {
		[SO_PROM] = offsetof(struct svc_figure, prom_at),
		[SO_COL] = offsetof(struct svc_figure, col_at),
		[SO_TCOL] = offsetof(struct svc_figure, tcol.at),
	};

	return sort_by(svc_figures, sizeof(*svc_figures), n_svc_figures, at[by], (const void **)out,
		       cap);
}
