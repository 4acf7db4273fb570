/*
 * Unit tests for user/prom_out.c, the Prometheus text exposition: every
 * metric name starts with streamtrace_, each family has one HELP and one TYPE
 * line before its samples, counters end in _total and come from the run
 * totals while gauges come from the latest interval, histogram buckets are
 * cumulative with exact log2 bounds in seconds and +Inf equal to _count,
 * label values are escaped (backslash, quote, newline) and made valid UTF-8,
 * unknown (NaN) figures leave their series out, and the series cap holds and
 * counts what it drops. The rendering of a full synthetic run is also piped
 * through `promtool check metrics` (Debian's prometheus package); that check
 * says SKIP when promtool is not installed.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "model.h"
#include "names.h"
#include "prom_out.h"
#include "services.h"

/* ---- synthetic snapshots ------------------------------------------------- */

static void add_row(struct proc_view *p, const char *name, uint64_t count, uint64_t errors)
{
	struct syscall_row *r;

	p->syscalls = realloc(p->syscalls, (p->n_syscalls + 1) * sizeof(*p->syscalls));
	assert_non_null(p->syscalls);
	r = &p->syscalls[p->n_syscalls++];
	memset(r, 0, sizeof(*r));
	r->nr = (uint32_t)syscall_nr(name);
	r->count = count;
	r->errors = errors;
	/* all calls in bucket 10 ([1024, 2048) ns) but one in the open last bucket */
	r->hist.b[10] = count - 1;
	r->hist.b[HIST_BUCKETS - 1] = 1;
	r->total_ns = (count - 1) * 1500 + 3000000000ull;
	r->max_ns = 3000000000ull;
	r->max_known = 1;
}

static void init_proc(struct proc_view *p, uint32_t pid, const char *comm)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	strncpy(p->comm, comm, sizeof(p->comm));
	p->threads = 2;
	p->oncpu_s = 1.25;
	p->offcpu_s = 3.5;
	p->runq_wait_s = 0.004;
	p->runq_hist.b[12] = 3;
	p->runq_hist.b[13] = 1;
	p->ctx_switches = 40;
	p->invol_switches = 4;
	p->rss_known = 1;
	p->rss_bytes = 1 << 20;
	p->faults_known = 1;
	p->page_faults = 100;
	p->major_faults = 2;
	p->rx_ops = 1000;
	p->rx_bytes = 128000;
	p->backlog_known = 1;
	p->backlog_bytes = 256;
	p->svc_hist.b[19] = 1000; /* ~0.5-1 ms */
	p->wait_hist_known = 1;
	p->wait_hist.b[15] = 900;
	p->wait_hist.b[16] = 100;
	p->wait_timed_s = 50e-6;
	p->arrival_cv2 = p->service_cv2 = NAN;
	p->has_queue = 1;
	p->queue = (struct queue_figures){
		.arrival_rate = 500,
		.throughput = 500,
		.utilization = 0.4,
		.service_time_s = 0.0008,
		.service_rate = 1250,
		.servers = 1,
		.rho = 0.4,
		.queue_length = 0.6,
		.wait_s = 0.0004,
		.response_s = 0.0012,
		.saturated = 0,
		.mm1_response_s = 0.00133,
		.mmc_response_s = 0.00133,
		.mg1_response_s = NAN,
		.gg1_response_s = 0.0011,
	};
	p->fc.saturation_eta_s = NAN;
	add_row(p, "read", 1000, 0);
	add_row(p, "write", 1000, 3);
	p->syscalls[1].n_errnos = 1;
	p->syscalls[1].errnos[0].err = 11; /* EAGAIN */
	p->syscalls[1].errnos[0].count = 3;
	add_row(p, "getppid", 20, 0);
}

static void snap_init(struct snapshot *s, int summary, unsigned n)
{
	memset(s, 0, sizeof(*s));
	s->is_summary = summary;
	s->time = 1700000000.5;
	s->span_s = summary ? 10 : 1;
	s->n_procs = n;
	s->procs = calloc(n, sizeof(*s->procs));
	assert_non_null(s->procs);
}

/* totals: two processes; latest: the same with interval figures. */
static void make_run(struct snapshot *totals, struct snapshot *latest)
{
	snap_init(totals, 1, 2);
	init_proc(&totals->procs[0], 42, "srv");
	init_proc(&totals->procs[1], 43, "cli");
	totals->procs[1].has_queue = 0;
	totals->lost.kinds[ST_LOST_RINGBUF] = 5;
	totals->lost.recursion = 1;
	snap_init(latest, 0, 2);
	init_proc(&latest->procs[0], 42, "srv");
	init_proc(&latest->procs[1], 43, "cli");
	latest->procs[0].rx_ops = 10; /* an interval's count: must not be the counter */
	latest->procs[0].queue.rho = 0.75;
	latest->procs[0].has_forecast = 1;
	latest->procs[0].fc.horizon_s = 60;
	latest->procs[0].fc.arrival_rate = 600;
	latest->procs[0].fc.arrival_lo = NAN;
	latest->procs[0].fc.arrival_hi = NAN;
	latest->procs[0].fc.rho = 0.9;
	latest->procs[0].fc.response_s = 0.004;
	latest->procs[0].fc.saturation_eta_s = 240;
	latest->procs[1].has_queue = 0;
}

static char *render(const struct snapshot *t, const struct snapshot *l,
		    const struct prom_limits *lim)
{
	struct prom_self self;
	char *buf = NULL;
	size_t len = 0;

	prom_self_init(&self);
	self.version = "9.9.9";
	self.start_time = 1700000000;
	self.interval_s = 1;
	self.http_requests[PROM_HTTP_200] = 7;
	prom_self_http_conns(&self, 3, 40, 184, 2, 16, 1, 5, 4);
	assert_int_equal(prom_self_sample(&self), 0);
	assert_int_equal(prom_out_render_buf(&buf, &len, t, l, &self, lim), 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* The value of the sample whose text before the value is exactly @series, or NaN. */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, series, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NAN;
}

static unsigned count_lines_with(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- tests ---------------------------------------------------------------- */

/* Messages (issue 8): rx_msgs and tx_msgs as counters from the totals (absent
 * when unknown), the unit as an info series from the latest interval. */
static void test_messages_and_unit(void **state)
{
	struct snapshot t, l;
	char *out;

	(void)state;
	make_run(&t, &l);
	t.procs[0].msgs_known = 1;
	t.procs[0].rx_msgs = 16000;
	t.procs[0].tx_msgs_known = 1;
	t.procs[0].tx_msgs = 15990;
	l.procs[0].msgs_known = 1;
	l.procs[0].rx_msgs = 160; /* an interval's count: must not be the counter */
	l.procs[0].unit = ST_UNIT_RESP;
	out = render(&t, &l, NULL);
	assert_float_equal(value_of(out, "streamtrace_net_rx_msgs_total{pid=\"42\",comm=\"srv\"}"),
			   16000, 0);
	assert_float_equal(value_of(out, "streamtrace_net_tx_msgs_total{pid=\"42\",comm=\"srv\"}"),
			   15990, 0);
	/* the client: messages not known, so no series */
	assert_true(isnan(value_of(out, "streamtrace_net_rx_msgs_total{pid=\"43\",comm=\"cli\"}")));
	assert_float_equal(
		value_of(out, "streamtrace_queue_unit_info{pid=\"42\",comm=\"srv\",unit=\"resp\"}"),
		1, 0);
	assert_int_equal(count_lines_with(out, "streamtrace_queue_unit_info{"), 1);
	free(out);
	l.procs[0].unit = ST_UNIT_MIXED;
	out = render(&t, &l, NULL);
	assert_float_equal(
		value_of(out,
			 "streamtrace_queue_unit_info{pid=\"42\",comm=\"srv\",unit=\"mixed\"}"),
		1, 0);
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

/* Every line is a comment (HELP/TYPE) or a sample of the family announced
 * last; names start with streamtrace_; counters end in _total; histogram
 * samples end in _bucket/_sum/_count; no family is announced twice. */
static void test_names_and_types(void **state)
{
	struct snapshot t, l;
	char *out, *save = NULL, fam[128] = "", type[16] = "", *line;
	char seen[256][128];
	unsigned n_seen = 0, samples = 0;

	(void)state;
	make_run(&t, &l);
	out = render(&t, &l, NULL);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		size_t k;

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			assert_true(strncmp(fam, "streamtrace_", 12) == 0);
			for (unsigned i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], fam);
			assert_true(n_seen < 256);
			strcpy(seen[n_seen++], fam);
			type[0] = 0;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char tf[128];

			assert_int_equal(sscanf(line + 7, "%127s %15s", tf, type), 2);
			assert_string_equal(tf, fam);
			if (!strcmp(type, "counter"))
				assert_string_equal(fam + strlen(fam) - 6, "_total");
			else
				assert_true(!strcmp(type, "gauge") || !strcmp(type, "histogram"));
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(type[0] != 0); /* TYPE before the first sample */
		k = strcspn(line, "{ ");
		assert_true(k < sizeof(name));
		memcpy(name, line, k);
		name[k] = 0;
		if (!strcmp(type, "histogram")) {
			size_t fl = strlen(fam);

			assert_true(!strncmp(name, fam, fl));
			assert_true(!strcmp(name + fl, "_bucket") || !strcmp(name + fl, "_sum") ||
				    !strcmp(name + fl, "_count"));
		} else {
			assert_string_equal(name, fam);
		}
		assert_null(strstr(line, "NaN"));
		samples++;
	}
	assert_true(samples > 100);
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

static void test_counters_from_totals_gauges_from_latest(void **state)
{
	struct snapshot t, l;
	char *out;

	(void)state;
	make_run(&t, &l);
	out = render(&t, &l, NULL);
	assert_float_equal(value_of(out, "streamtrace_net_rx_ops_total{pid=\"42\",comm=\"srv\"}"),
			   1000, 0);
	assert_float_equal(value_of(out, "streamtrace_queue_rho{pid=\"42\",comm=\"srv\"}"), 0.75,
			   0);
	assert_float_equal(
		value_of(out,
			 "streamtrace_forecast_saturation_eta_seconds{pid=\"42\",comm=\"srv\"}"),
		240, 0);
	assert_float_equal(
		value_of(out,
			 "streamtrace_syscalls_total{pid=\"42\",comm=\"srv\",syscall=\"write\"}"),
		1000, 0);
	assert_float_equal(value_of(out, "streamtrace_syscall_errno_total{pid=\"42\",comm=\"srv\","
					 "syscall=\"write\",errno=\"EAGAIN\"}"),
			   3, 0);
	assert_float_equal(value_of(out, "streamtrace_lost_events_total{kind=\"ringbuf_full\"}"), 5,
			   0);
	assert_float_equal(
		value_of(out, "streamtrace_lost_events_total{kind=\"recursion_misses\"}"), 1, 0);
	assert_float_equal(value_of(out, "streamtrace_http_requests_total{code=\"200\"}"), 7, 0);
	/* issue 16: the endpoint's own connections, each figure where it belongs */
	assert_float_equal(value_of(out, "streamtrace_http_requests_total{code=\"401\"}"), 3, 0);
	assert_float_equal(value_of(out, "streamtrace_http_connections_accepted_total"), 40, 0);
	assert_float_equal(value_of(out, "streamtrace_http_connections_refused_total{reason="
					 "\"per_client_limit\"}"),
			   184, 0);
	assert_float_equal(value_of(out, "streamtrace_http_connections_refused_total{reason="
					 "\"connection_limit\"}"),
			   2, 0);
	assert_float_equal(
		value_of(out, "streamtrace_http_connections_timed_out_total{phase=\"request\"}"),
		16, 0);
	assert_float_equal(
		value_of(out, "streamtrace_http_connections_timed_out_total{phase=\"response\"}"),
		1, 0);
	assert_float_equal(
		value_of(out, "streamtrace_http_connections_timed_out_total{phase=\"idle\"}"), 5,
		0);
	assert_float_equal(value_of(out, "streamtrace_http_connections_open"), 4, 0);
	assert_float_equal(value_of(out, "streamtrace_build_info{version=\"9.9.9\"}"), 1, 0);
	assert_true(value_of(out, "streamtrace_self_resident_memory_bytes") > 0);
	assert_float_equal(value_of(out, "streamtrace_cpu_utilization{pid=\"42\",comm=\"srv\"}"),
			   1.25, 1e-12);
	assert_float_equal(value_of(out, "streamtrace_queue_model_response_seconds{pid=\"42\","
					 "comm=\"srv\",model=\"gg1\"}"),
			   0.0011, 1e-15);
	free(out);

	/* before the first interval: counters only, and still no NaN */
	out = render(&t, NULL, NULL);
	assert_true(isnan(value_of(out, "streamtrace_queue_rho{pid=\"42\",comm=\"srv\"}")));
	assert_float_equal(value_of(out, "streamtrace_net_rx_ops_total{pid=\"42\",comm=\"srv\"}"),
			   1000, 0);
	assert_null(strstr(out, "NaN"));
	free(out);

	/* nothing traced yet at all */
	out = render(NULL, NULL, NULL);
	assert_float_equal(value_of(out, "streamtrace_traced_processes"), 0, 0);
	assert_null(strstr(out, "pid="));
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

static void test_histogram_buckets(void **state)
{
	struct snapshot t, l;
	char *out, le[24], series[256];
	const char *base = "streamtrace_syscall_duration_seconds_bucket{pid=\"42\",comm=\"srv\","
			   "syscall=\"read\"";
	double prev = 0, v;

	(void)state;
	prom_out_le(0, le, sizeof(le));
	assert_string_equal(le, "0.000000002");
	prom_out_le(9, le, sizeof(le));
	assert_string_equal(le, "0.000001024");
	prom_out_le(29, le, sizeof(le));
	assert_string_equal(le, "1.073741824");
	prom_out_le(30, le, sizeof(le));
	assert_string_equal(le, "2.147483648");

	make_run(&t, &l);
	out = render(&t, &l, NULL);
	for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++) {
		prom_out_le(b, le, sizeof(le));
		snprintf(series, sizeof(series), "%s,le=\"%s\"}", base, le);
		v = value_of(out, series);
		assert_false(isnan(v));
		assert_true(v >= prev); /* cumulative */
		/* bucket 10 holds [1024, 2048) ns: counted from le=2.048e-6 on */
		assert_float_equal(v, b >= 10 ? 999 : 0, 0);
		prev = v;
	}
	snprintf(series, sizeof(series), "%s,le=\"+Inf\"}", base);
	assert_float_equal(value_of(out, series), 1000, 0);
	assert_float_equal(value_of(out, "streamtrace_syscall_duration_seconds_count{pid=\"42\","
					 "comm=\"srv\",syscall=\"read\"}"),
			   1000, 0);
	assert_float_equal(value_of(out, "streamtrace_syscall_duration_seconds_sum{pid=\"42\","
					 "comm=\"srv\",syscall=\"read\"}"),
			   (999 * 1500 + 3e9) / 1e9, 1e-9);
	/* 31 finite bounds + Inf per series: 3 syscalls x 2 processes */
	assert_int_equal(count_lines_with(out, "streamtrace_syscall_duration_seconds_bucket{"),
			 6 * HIST_BUCKETS);
	/* queue wait: sum = mean of timed waits x count; +Inf = _count */
	assert_float_equal(value_of(out, "streamtrace_op_queue_wait_seconds_sum{pid=\"42\","
					 "comm=\"srv\"}"),
			   50e-6 * 1000, 1e-12);
	assert_float_equal(value_of(out, "streamtrace_op_queue_wait_seconds_bucket{pid=\"42\","
					 "comm=\"srv\",le=\"+Inf\"}"),
			   1000, 0);
	assert_float_equal(value_of(out, "streamtrace_runqueue_wait_seconds_count{pid=\"42\","
					 "comm=\"srv\"}"),
			   4, 0);
	/* service: sum = S * X * span of the totals = 0.0008 * 500 * 10 */
	assert_float_equal(value_of(out, "streamtrace_op_service_seconds_sum{pid=\"42\","
					 "comm=\"srv\"}"),
			   4.0, 1e-12);
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

static void test_label_escaping(void **state)
{
	struct snapshot t;
	char *out;

	(void)state;
	snap_init(&t, 1, 3);
	init_proc(&t.procs[0], 1, "a\"b\\c\nd");
	/* 0xff is never UTF-8; "é" cut after its first byte */
	init_proc(&t.procs[1], 2, "x\xffy\xc3");
	init_proc(&t.procs[2], 3, "caf\xc3\xa9");
	out = render(&t, NULL, NULL);
	/* a newline is a control character: U+FFFD, as in every output */
	assert_non_null(strstr(out, "streamtrace_cpu_seconds_total{pid=\"1\",comm=\"a\\\"b\\\\c"
				    "\xef\xbf\xbd"
				    "d\"} "));
	assert_non_null(strstr(out, "{pid=\"2\",comm=\"x\xef\xbf\xbdy\xef\xbf\xbd\"} "));
	assert_non_null(strstr(out, "{pid=\"3\",comm=\"caf\xc3\xa9\"} "));
	free(out);
	snapshot_free(&t);
}

static void test_nan_skipped(void **state)
{
	struct snapshot t, l;
	char *out;

	(void)state;
	make_run(&t, &l);
	l.procs[0].queue.rho = NAN;
	l.procs[0].queue.wait_s = NAN;
	t.procs[0].wait_timed_s = NAN;
	t.procs[0].rss_known = 0;
	l.procs[0].rss_known = 0;
	out = render(&t, &l, NULL);
	assert_null(strstr(out, "streamtrace_queue_rho{pid=\"42\""));
	assert_null(strstr(out, "streamtrace_queue_wait_seconds{pid=\"42\""));
	assert_null(strstr(out, "streamtrace_rss_bytes{pid=\"42\""));
	/* the mg1 prediction is NaN in every process: its series is absent */
	assert_null(strstr(out, "model=\"mg1\""));
	/* the histogram stays, its unknown sum does not */
	assert_non_null(strstr(out, "streamtrace_op_queue_wait_seconds_count{pid=\"42\""));
	assert_null(strstr(out, "streamtrace_op_queue_wait_seconds_sum{pid=\"42\""));
	/* the host's steal: absent when not known, its total when known */
	assert_null(strstr(out, "streamtrace_host_steal_seconds_total"));
	t.host.cpus = 2;
	t.host.steal_s = 1.5;
	free(out);
	out = render(&t, &l, NULL);
	assert_true(value_of(out, "streamtrace_host_steal_seconds_total") == 1.5);
	assert_non_null(strstr(out, "# TYPE streamtrace_host_steal_seconds_total counter"));
	/* the other process still has its rho; the one without a queue has none */
	assert_null(strstr(out, "streamtrace_queue_rho{pid=\"43\""));
	assert_null(strstr(out, "NaN"));
	/* a forecast with an unknown ETA leaves only the ETA out */
	l.procs[0].fc.saturation_eta_s = NAN;
	free(out);
	out = render(&t, &l, NULL);
	assert_null(strstr(out, "streamtrace_forecast_saturation_eta_seconds{"));
	assert_non_null(strstr(out, "streamtrace_forecast_rho{pid=\"42\""));
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

/* 5 processes (pid 5 exited), cap 2 processes x 2 syscalls: the two lowest
 * running pids, their two busiest syscalls; the rest counted as dropped. */
static void test_series_cap(void **state)
{
	struct prom_limits lim = {.max_procs = 2, .max_syscalls = 2};
	struct snapshot t;
	char *out;

	(void)state;
	snap_init(&t, 1, 5);
	for (unsigned i = 0; i < 5; i++)
		init_proc(&t.procs[i], 5 - i, "w");
	t.procs[4].exited = 1; /* pid 1 exited: ranks after the running ones */
	out = render(&t, NULL, &lim);
	assert_null(strstr(out, "pid=\"1\""));
	assert_non_null(strstr(out, "pid=\"2\""));
	assert_non_null(strstr(out, "pid=\"3\""));
	assert_null(strstr(out, "pid=\"4\""));
	assert_null(strstr(out, "pid=\"5\""));
	/* getppid (20 calls) is the least busy of three: left out */
	assert_null(strstr(out, "syscall=\"getppid\""));
	assert_int_equal(count_lines_with(out, "streamtrace_syscalls_total{"), 4);
	assert_float_equal(value_of(out, "streamtrace_series_dropped_total{kind=\"process\"}"), 3,
			   0);
	/* one row over the cap in each of the five processes */
	assert_float_equal(value_of(out, "streamtrace_series_dropped_total{kind=\"syscall\"}"), 5,
			   0);
	assert_float_equal(value_of(out, "streamtrace_traced_processes"), 4, 0);
	assert_float_equal(value_of(out, "streamtrace_processes_seen_total"), 5, 0);
	free(out);

	/* the default cap */
	snapshot_free(&t);
	snap_init(&t, 1, PROM_OUT_MAX_PROCS + 3);
	for (unsigned i = 0; i < t.n_procs; i++)
		init_proc(&t.procs[i], 100 + i, "w");
	out = render(&t, NULL, NULL);
	assert_int_equal(count_lines_with(out, "streamtrace_cpu_seconds_total{"),
			 PROM_OUT_MAX_PROCS);
	assert_float_equal(value_of(out, "streamtrace_series_dropped_total{kind=\"process\"}"), 3,
			   0);
	free(out);
	snapshot_free(&t);
}

/* Issue 11: a run whose exited processes were folded into one row per name
 * (the long-running agent). processes_seen_total counts the members, and
 * the series dropped count what the members had, so neither falls when a
 * process is folded (the soak test saw both go backwards). */
static void test_folded_counts(void **state)
{
	struct prom_limits lim = {.max_procs = 2};
	struct snapshot t;
	double procs_before, rows_before;
	char *out;

	(void)state;
	/* before: 3 processes, one running (pid 9), two exited (7, 8) */
	snap_init(&t, 1, 3);
	init_proc(&t.procs[0], 9, "w");
	init_proc(&t.procs[1], 7, "w");
	init_proc(&t.procs[2], 8, "w");
	t.procs[1].exited = t.procs[2].exited = 1;
	out = render(&t, NULL, &lim);
	assert_float_equal(value_of(out, "streamtrace_processes_seen_total"), 3, 0);
	procs_before = value_of(out, "streamtrace_series_dropped_total{kind=\"process\"}");
	rows_before = value_of(out, "streamtrace_series_dropped_total{kind=\"syscall\"}");
	assert_float_equal(procs_before, 1, 0);
	free(out);
	/* after: 7 and 8 folded into one row of 2 (with 3 rows over the cap
	 * between them), and 20 more folded earlier */
	t.procs[1].pid = 0;
	t.procs[1].folded = 22;
	t.procs[1].folded_rows_over_cap = 3;
	t.n_procs = 2;
	out = render(&t, NULL, &lim);
	assert_float_equal(value_of(out, "streamtrace_processes_seen_total"), 23, 0);
	/* only pid 9 is shown as itself */
	assert_float_equal(value_of(out, "streamtrace_series_dropped_total{kind=\"process\"}"), 22,
			   0);
	assert_true(value_of(out, "streamtrace_series_dropped_total{kind=\"syscall\"}") >=
		    rows_before);
	assert_true(value_of(out, "streamtrace_series_dropped_total{kind=\"process\"}") >=
		    procs_before);
	free(out);
	t.n_procs = 3;
	snapshot_free(&t);
}

/* Whether a program is on PATH. */
static int have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static void test_promtool(void **state)
{
	struct snapshot t, l;
	char *out, path[] = "/tmp/test_prom.XXXXXX", cmd[512];
	FILE *f;
	int fd, rc;

	(void)state;
	if (!have("promtool")) {
		printf("SKIP: promtool not installed (apt-get install prometheus)\n");
		skip();
	}
	make_run(&t, &l);
	free(t.procs[1].syscalls);
	init_proc(&t.procs[1], 43, "we\"ird\\\ncomm");
	assert_int_equal(services_build(&l, NULL, 0, &l.services, &l.n_services), 0);
	l.has_services = 1;
	out = render(&t, &l, NULL);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(out, f);
	assert_int_equal(fclose(f), 0);
	/* promtool reads the exposition on stdin; lint problems make it exit non-zero */
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	rc = system(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

/* --services: one gauge family per figure with a service label, from the
 * latest interval; the dispatch gauge per process; promtool-clean (the
 * promtool test renders the same with services when it runs). */
static void test_services_families(void **state)
{
	struct snapshot t, l;
	char *out;

	(void)state;
	make_run(&t, &l);
	l.procs[0].queue.dispatch_s = 25e-6;
	assert_int_equal(services_build(&l, NULL, 0, &l.services, &l.n_services), 0);
	l.has_services = 1;
	assert_int_equal(l.n_services, 2);
	out = render(&t, &l, NULL);
	assert_non_null(strstr(out, "# TYPE streamtrace_service_rho gauge"));
	assert_true(value_of(out, "streamtrace_service_processes{service=\"srv\"}") == 1);
	assert_true(value_of(out, "streamtrace_service_servers{service=\"srv\"}") ==
		    l.procs[0].queue.servers);
	assert_true(fabs(value_of(out, "streamtrace_service_arrival_rate{service=\"srv\"}") -
			 l.procs[0].queue.arrival_rate) < 1e-9);
	/* a service without a queue has no queue series, but is counted */
	assert_true(isnan(value_of(out, "streamtrace_service_rho{service=\"cli\"}")));
	assert_true(value_of(out, "streamtrace_service_processes{service=\"cli\"}") == 1);
	assert_true(value_of(out, "streamtrace_queue_dispatch_seconds{pid=\"42\",comm=\"srv\"}") ==
		    25e-6);
	assert_int_equal(count_lines_with(out, "# TYPE streamtrace_queue_dispatch_seconds"), 1);
	/* the service's own D; no pipeline stage series until it is in one */
	assert_true(fabs(value_of(out, "streamtrace_service_dispatch_seconds{service=\"srv\"}") -
			 25e-6) < 1e-12);
	assert_true(isnan(value_of(out, "streamtrace_service_pipeline_stage{service=\"srv\"}")));
	free(out);
	l.services[0].stage = 2;
	l.services[0].bottleneck = 1;
	out = render(&t, &l, NULL);
	assert_true(value_of(out, "streamtrace_service_pipeline_stage{service=\"srv\"}") == 2);
	assert_true(value_of(out, "streamtrace_service_pipeline_bottleneck{service=\"srv\"}") == 1);
	free(out);
	snapshot_free(&t);
	snapshot_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_types),
		cmocka_unit_test(test_counters_from_totals_gauges_from_latest),
		cmocka_unit_test(test_messages_and_unit),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_nan_skipped),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_folded_counts),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_services_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
