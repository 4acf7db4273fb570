/*
 * Unit tests for user/report.c and user/html_out.c, on a synthetic recording
 * of a three-stage pipeline whose arrival rate ramps until its bottleneck
 * saturates (so every chart has something to draw: λ, X and ρ crossing 1,
 * models that stop predicting at ρ ≥ 1, a forecast band, wait and service
 * heat maps, syscall errors). The HTML must hold each chart, no script and no
 * link to anywhere, and escape a hostile comm; the text report must carry the
 * run's metadata; `report --json` must print the live lines byte for byte;
 * a recording cut short or corrupt exits 2 with one line on stderr, and
 * still renders what it has. Set ST_TEST_HTML_OUT=PATH to keep the page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "html_out.h"
#include "services.h"
#include "json_out.h"
#include "model.h"
#include "names.h"
#include "queue_model.h"
#include "recording.h"
#include "report.h"

#define N_IV  60
#define T0    1700000000.0
#define NPROC 5

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/st-html-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double exp_draw(double mean)
{
	return -mean * log(urand());
}

static void hist_put(struct hist *h, double ns)
{
	unsigned b = 0;
	uint64_t v = ns < 1 ? 1 : (uint64_t)ns;

	while (v > 1 && b < HIST_BUCKETS - 1) {
		v >>= 1;
		b++;
	}
	h->b[b]++;
}

/* n samples of an exponential with mean @mean_s into @h; returns their sum (s) and max */
static double hist_exp(struct hist *h, unsigned n, double mean_s, uint64_t *max_ns)
{
	double sum = 0;

	for (unsigned i = 0; i < n; i++) {
		double s = exp_draw(mean_s);

		sum += s;
		hist_put(h, s * 1e9);
		if (max_ns && (uint64_t)(s * 1e9) > *max_ns)
			*max_ns = (uint64_t)(s * 1e9);
	}
	return sum;
}

static void add_syscall(struct proc_view *p, const char *name, unsigned count, double mean_s,
			unsigned errors, int err)
{
	struct syscall_row *r = &p->syscalls[p->n_syscalls++];
	int nr = syscall_nr(name);

	memset(r, 0, sizeof(*r));
	r->nr = nr < 0 ? 0 : (uint32_t)nr;
	r->count = count;
	r->errors = errors;
	r->total_ns = (uint64_t)(hist_exp(&r->hist, count, mean_s, &r->max_ns) * 1e9);
	r->max_known = 1;
	if (errors) {
		r->n_errnos = 1;
		r->errnos[0].err = (uint16_t)err;
		r->errnos[0].count = errors;
	}
}

static const char *const comms[NPROC] = {"qbench-source", "qbench-stageA", "qbench-stageB",
					 "qbench-sink", "<b>x</b>&\"'\x1b"};
static const double svc[NPROC] = {0, 0.0004, 0.0021, 0.0001, 0};

static double lambda_at(double t)
{
	return 300 + 4.5 * t;
}

/* Queue figures for a single-server stage at arrival rate @lam. */
static void fill_queue(struct proc_view *p, double lam, double s, double span, double t)
{
	struct queue_figures *q = &p->queue;
	double x = fmin(lam, 0.98 / s), rho = lam * s;

	p->has_queue = 1;
	q->arrival_rate = lam * (0.97 + 0.06 * urand());
	q->throughput = x;
	q->utilization = x * s;
	q->service_time_s = s * (0.95 + 0.1 * urand());
	q->service_rate = 1 / s;
	q->servers = 1;
	q->rho = rho;
	q->wait_s = rho < 0.97 ? rho * s / (1 - rho) * (0.8 + 0.4 * urand()) : 0.05 + 0.02 * t;
	q->response_s = q->wait_s + q->service_time_s;
	q->queue_length = lam * q->response_s;
	q->saturated = rho >= 1;
	q->mm1_response_s = queue_model_mm1_response(lam, s);
	q->mmc_response_s = queue_model_mmc_response(lam, s, 1);
	q->mg1_response_s = queue_model_mg1_response(lam, s, 1.0, 1);
	q->gg1_response_s = queue_model_gg1_response(lam, s, 1.2, 1.0, 1);
	q->mm1_error = NAN;
	q->mmc_error = NAN;
	q->mg1_error = NAN;
	q->gg1_error = NAN;
	q->little_l_lambda_w = NAN;
	q->little_error = NAN;
	(void)span;
}

static void make_interval(struct snapshot *s, unsigned k, int summary)
{
	double span = summary ? N_IV : 1.0, t = summary ? N_IV / 2.0 : k + 0.5;

	memset(s, 0, sizeof(*s));
	s->is_summary = summary;
	s->time = T0 + (summary ? N_IV : k + 1);
	s->span_s = span;
	s->n_procs = NPROC;
	s->procs = calloc(NPROC, sizeof(*s->procs));
	assert_non_null(s->procs);
	for (unsigned i = 0; i < NPROC; i++) {
		struct proc_view *p = &s->procs[i];
		double lam = lambda_at(t);
		unsigned ops = (unsigned)(fmin(lam, svc[i] > 0 ? 0.98 / svc[i] : lam) * span);

		p->pid = 4000 + i;
		strncpy(p->comm, comms[i], ST_COMM_LEN);
		p->threads = 1;
		p->syscalls = calloc(4, sizeof(*p->syscalls));
		assert_non_null(p->syscalls);
		p->rss_known = 1;
		p->rss_bytes = 10 << 20;
		p->faults_known = 1;
		p->fc.saturation_eta_s = NAN;
		p->runq_max_ns = 0;
		if (i == 0) {
			p->oncpu_s = 0.05 * span;
			add_syscall(p, "sendto", ops, 4e-6, 0, 0);
			add_syscall(p, "clock_nanosleep", ops, 1 / lam, 0, 0);
			continue;
		}
		if (i == NPROC - 1) {
			p->oncpu_s = 0.01 * span;
			add_syscall(p, "openat", 200 * (unsigned)span, 8e-6, 150 * (unsigned)span,
				    ENOENT);
			add_syscall(p, "read", 50 * (unsigned)span, 3e-6, 0, 0);
			continue;
		}
		p->stage = i;
		p->bottleneck = i == 2;
		p->rx_ops = ops;
		p->tx_ops = ops;
		p->rx_bytes = ops * 128ull;
		p->tx_bytes = ops * 128ull;
		fill_queue(p, lam, svc[i], span, t);
		p->oncpu_s = p->queue.utilization * span;
		hist_exp(&p->svc_hist, ops, svc[i], NULL);
		p->wait_hist_known = i == 2;
		if (p->wait_hist_known)
			hist_exp(&p->wait_hist, ops, fmax(p->queue.wait_s, 1e-6), NULL);
		add_syscall(p, "recvfrom", ops, fmax(1 / lam - svc[i], 1e-5), 0, 0);
		add_syscall(p, "sendto", ops, 5e-6, 0, 0);
		add_syscall(p, "epoll_wait", ops / 2, 1 / lam, ops / 50, EINTR);
		if (i == 2 && k >= 10) {
			p->has_forecast = 1;
			p->fc.horizon_s = 20;
			p->fc.arrival_rate = lambda_at(t + 20);
			p->fc.arrival_lo = p->fc.arrival_rate * 0.88;
			p->fc.arrival_hi = p->fc.arrival_rate * 1.12;
			p->fc.rho = p->fc.arrival_rate * svc[i];
			p->fc.response_s = NAN;
			p->fc.saturation_eta_s = fmax((1 / svc[i] - lam) / 4.5, 0);
		}
		/* the summary carries the views and the what-if (issue 14) */
		if (summary) {
			p->n_thread_views = 2;
			p->thread_views = calloc(2, sizeof(*p->thread_views));
			assert_non_null(p->thread_views);
			for (unsigned j = 0; j < 2; j++) {
				p->thread_views[j].tid = p->pid * 10 + j;
				snprintf(p->thread_views[j].comm, ST_COMM_LEN, "worker-%u", j);
				p->thread_views[j].oncpu_s = 0.25 * span;
				p->thread_views[j].rx_ops = ops / 2;
			}
			p->n_conns = 1;
			p->conns = calloc(1, sizeof(*p->conns));
			assert_non_null(p->conns);
			snprintf(p->conns[0].proto, sizeof(p->conns[0].proto), "tcp");
			snprintf(p->conns[0].local, sizeof(p->conns[0].local), "127.0.0.1:%u",
				 7000 + i);
			snprintf(p->conns[0].remote, sizeof(p->conns[0].remote), "127.0.0.1:%u",
				 6000 + i);
			p->conns[0].rx_ops = ops;
			p->conns[0].backlog_bytes = 4096 * i;
			p->has_whatif = 1;
			p->wi.arrival_rate = lam * 1.3;
			p->wi.service_time_s = svc[i];
			p->wi.servers = 1;
			p->wi.rho = lam * 1.3 * svc[i];
			p->wi.response_s = p->wi.rho < 1 ? svc[i] / (1 - p->wi.rho) : NAN;
			p->wi.response_p99_s = NAN;
			p->wi.gg_response_s = NAN;
		}
	}
	if (summary) {
		s->has_threads = s->has_conns = 1;
		snprintf(s->whatif_spec, sizeof(s->whatif_spec), "load=+30%%");
	}
}

/* Write the synthetic run; *cut_at is the size after @cut_after snapshots (or 0). */
static void write_run(const char *path, unsigned cut_after, long *cut_at, char **live_json,
		      size_t *live_len)
{
	struct recording_meta m;
	struct recording *rec;
	char err[256];
	char *argv[] = {"streamtrace", "record",   "-o",     "run.str", "--",
			"qbench",      "pipeline", "--rate", "300",	NULL};
	FILE *lf = NULL;
	struct stat st;

	recording_meta_init(&m, 9, argv, "1.2.3", 1.0);
	m.start_time = T0;
	snprintf(m.host, sizeof(m.host), "db-7.example<script>");
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	if (live_json)
		lf = open_memstream(live_json, live_len);
	rng = 88172645463325252ull;
	for (unsigned k = 0; k <= N_IV; k++) {
		struct snapshot s;

		make_interval(&s, k, k == N_IV);
		if (k == N_IV) { /* --services: the summary's Services table */
			assert_int_equal(services_build(&s, NULL, 0, &s.services, &s.n_services),
					 0);
			s.has_services = 1;
		}
		assert_int_equal(recording_write(rec, &s), 0);
		if (lf)
			json_out_snapshot(lf, &s);
		snapshot_free(&s);
		if (cut_at && k + 1 == cut_after) {
			assert_int_equal(stat(path, &st), 0);
			*cut_at = st.st_size;
		}
	}
	assert_int_equal(recording_close(rec), 0);
	if (lf)
		fclose(lf);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

struct run {
	int ret;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_report(struct run *r, const char *file, int json, const char *html)
{
	FILE *o = open_memstream(&r->out, &r->out_len), *e = open_memstream(&r->err, &r->err_len);

	assert_non_null(o);
	assert_non_null(e);
	r->ret = report_run(file, json, html, o, e);
	fclose(o);
	fclose(e);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* "nan" or "inf" as a printed number, not inside a word like clock_nanosleep */
static int has_bad_number(const char *s)
{
	static const char *const bad[] = {"nan", "inf"};

	for (unsigned k = 0; k < 2; k++)
		for (const char *p = s; (p = strstr(p, bad[k])); p++) {
			char before = p > s ? p[-1] : ' ', after = p[3];

			if (!((before >= 'a' && before <= 'z') || before == '_') &&
			    !((after >= 'a' && after <= 'z') || after == '_'))
				return 1;
		}
	return 0;
}

static void test_html_has_charts(void **state)
{
	char path[128], out[128];
	struct run r;
	char *html;
	struct stat st;
	const char *keep = getenv("ST_TEST_HTML_OUT");

	(void)state;
	snprintf(path, sizeof(path), "%s/pipe.str", tmpdir);
	snprintf(out, sizeof(out), "%s/pipe.html", tmpdir);
	write_run(path, 0, NULL, NULL, NULL);
	run_report(&r, path, 0, out);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.err_len, 0);
	html = slurp(out, NULL);
	if (keep) {
		FILE *k = fopen(keep, "w");

		assert_non_null(k);
		fputs(html, k);
		fclose(k);
	}
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "</html>"));
	/* self-contained: no script, nothing fetched */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<link"));
	/* every chart of every stage */
	for (unsigned i = 1; i <= 2; i++) {
		char id[64];

		snprintf(id, sizeof(id), "id='chart-rates-%u'", 4000 + i);
		assert_non_null(strstr(html, id));
		snprintf(id, sizeof(id), "id='chart-response-%u'", 4000 + i);
		assert_non_null(strstr(html, id));
		snprintf(id, sizeof(id), "id='heat-queue-%u'", 4000 + i);
		assert_non_null(strstr(html, id));
		snprintf(id, sizeof(id), "id='heat-syscalls-%u'", 4000 + i);
		assert_non_null(strstr(html, id));
	}
	assert_non_null(strstr(html, "id='pipeline-stages'"));
	assert_non_null(strstr(html, "id='syscalls-top'"));
	assert_non_null(strstr(html, "id='process-table'"));
	assert_non_null(strstr(html, "id='service-table'"));
	/* the stage with wait_hist shows queue wait, the other says service time */
	assert_non_null(strstr(html, "Queue wait per op"));
	assert_non_null(strstr(html, "Service time per op (queue wait was not measured"));
	/* legend, units, forecast band, models, bottleneck */
	assert_non_null(strstr(html, "forecast band"));
	assert_non_null(strstr(html, "M/M/1"));
	assert_non_null(strstr(html, "M/M/c"));
	assert_non_null(strstr(html, "M/G/1"));
	assert_non_null(strstr(html, "G/G/1"));
	assert_non_null(strstr(html, "ops per second"));
	assert_non_null(strstr(html, "ρ = 1"));
	assert_non_null(strstr(html, "bottleneck"));
	assert_non_null(strstr(html, "ENOENT 9000"));
	assert_true(count_of(html, "<svg") >= 12);
	assert_int_equal(count_of(html, "<svg"), count_of(html, "</svg>"));
	/* no unknown number leaked into the drawing */
	assert_false(has_bad_number(html));
	/* text from the recording is escaped */
	assert_null(strstr(html, "<b>x</b>"));
	assert_non_null(strstr(html, "&lt;b&gt;x&lt;/b&gt;&amp;&quot;&#39;\xef\xbf\xbd"));
	assert_null(strstr(html, "example<script>"));
	assert_non_null(strstr(html, "db-7.example&lt;script&gt;"));
	/* issue 14: every recorded view, the what-if, the trend in the past
	 * tense, an explanation of ⚠ and of every figure in the page itself */
	assert_non_null(strstr(html, "id='threads'"));
	assert_non_null(strstr(html, "worker-1"));
	assert_non_null(strstr(html, "id='connections'"));
	assert_non_null(strstr(html, "127.0.0.1:7002"));
	assert_non_null(strstr(html, "<td>8192</td>")); /* stage B's backlog */
	assert_non_null(strstr(html, "id='whatif-table'"));
	assert_non_null(strstr(html, "What if: load=+30%"));
	assert_non_null(strstr(html, "id='trend'"));
	/* stage B ends at λ 569/s against 1/S = 476/s: saturated already */
	assert_non_null(strstr(html, "rising toward"));
	assert_non_null(strstr(html, "it was at ρ = 1 already then"));
	assert_null(strstr(html, "saturates in"));
	assert_null(strstr(html, "later: "));
	assert_non_null(strstr(html, "id='warn-mark'"));
	assert_non_null(strstr(html, "<dt>stage, ⚠</dt>"));
	assert_non_null(strstr(html, "id='reading'"));
	assert_null(strstr(html, "docs/"));
	assert_false(has_bad_number(html));
	free(html);
	run_free(&r);
}

static void test_text_report(void **state)
{
	char path[128];
	struct run r;

	(void)state;
	snprintf(path, sizeof(path), "%s/text.str", tmpdir);
	write_run(path, 0, NULL, NULL, NULL);
	run_report(&r, path, 0, NULL);
	assert_int_equal(r.ret, 0);
	assert_non_null(
		strstr(r.out, "command   streamtrace record -o run.str -- qbench pipeline"));
	assert_non_null(strstr(r.out, "host      db-7.example<script>"));
	assert_non_null(strstr(r.out, "2023-11-14 22:13:20 UTC, ran 60.0 s, 60 intervals of 1 s"));
	assert_non_null(strstr(r.out, "written   by streamtrace 1.2.3"));
	assert_non_null(strstr(r.out, "SUMMARY over 60.0s"));
	assert_non_null(strstr(r.out, "qbench-stageB"));
	/* no escape byte from the hostile comm reaches the terminal via the metadata */
	run_free(&r);
}

static void test_json_report_identical(void **state)
{
	char path[128], *live = NULL;
	size_t live_len = 0;
	struct run r;

	(void)state;
	snprintf(path, sizeof(path), "%s/json.str", tmpdir);
	write_run(path, 0, NULL, &live, &live_len);
	run_report(&r, path, 1, NULL);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.out_len, live_len);
	assert_memory_equal(r.out, live, live_len);
	assert_int_equal(count_of(r.out, "\n"), N_IV + 1);
	free(live);
	run_free(&r);
}

static void cut_file(const char *path, long size)
{
	assert_int_equal(truncate(path, size), 0);
}

static void test_truncated_and_corrupt(void **state)
{
	char path[128], out[128], *html;
	long cut_at = 0;
	struct run r;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/cut.str", tmpdir);
	snprintf(out, sizeof(out), "%s/cut.html", tmpdir);
	write_run(path, 20, &cut_at, NULL, NULL);
	assert_true(cut_at > 0);
	cut_file(path, cut_at + 7); /* into the 21st frame */

	run_report(&r, path, 1, NULL);
	assert_int_equal(r.ret, 2);
	assert_int_equal(count_of(r.out, "\n"), 20);
	assert_non_null(strstr(r.err, "cut short"));
	assert_int_equal(count_of(r.err, "\n"), 1);
	run_free(&r);

	run_report(&r, path, 0, NULL);
	assert_int_equal(r.ret, 2);
	assert_non_null(strstr(r.out, "No summary"));
	assert_non_null(strstr(r.out, "20 intervals"));
	run_free(&r);

	run_report(&r, path, 0, out);
	assert_int_equal(r.ret, 2);
	html = slurp(out, NULL);
	assert_non_null(strstr(html, "Incomplete recording"));
	assert_non_null(strstr(html, "id='chart-rates-4002'"));
	free(html);
	run_free(&r);

	/* a flipped byte in the middle: corrupt, exit 2 */
	write_run(path, 0, NULL, NULL, NULL);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff\x00\xff", 3, 5000), 3);
	close(fd);
	run_report(&r, path, 1, NULL);
	assert_int_equal(r.ret, 2);
	assert_non_null(strstr(r.err, "corrupt recording"));
	assert_int_equal(count_of(r.err, "\n"), 1);
	run_free(&r);

	/* not a recording at all, and no file */
	run_report(&r, "/etc/passwd", 0, NULL);
	assert_int_equal(r.ret, 2);
	assert_non_null(strstr(r.err, "not a streamtrace recording"));
	run_free(&r);
	run_report(&r, "/nonexistent/x.str", 0, NULL);
	assert_int_equal(r.ret, 2);
	assert_non_null(strstr(r.err, "No such file"));
	run_free(&r);

	/* an HTML path that cannot be written: 1 */
	write_run(path, 0, NULL, NULL, NULL);
	run_report(&r, path, 0, "/nonexistent/dir/x.html");
	assert_int_equal(r.ret, 1);
	assert_non_null(strstr(r.err, "--html"));
	run_free(&r);
}

/* A long run merges neighbouring intervals into one chart point. */
static void test_long_run_downsampled(void **state)
{
	struct recording_meta m = {0};
	struct snapshot s, summary;
	struct html_report *h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	make_interval(&summary, 0, 1);
	h = html_report_new(&m, "long", &summary, NULL);
	assert_non_null(h);
	for (unsigned k = 0; k < 3 * HTML_MAX_POINTS + 7; k++) {
		make_interval(&s, k % N_IV, 0);
		s.time = T0 + k + 1;
		assert_int_equal(html_report_add(h, &s), 0);
		snapshot_free(&s);
	}
	f = open_memstream(&buf, &len);
	assert_int_equal(html_report_write(h, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "Each point covers 4 recorded intervals"));
	assert_false(has_bad_number(buf));
	free(buf);
	html_report_free(h);
	snapshot_free(&summary);
}

static void test_escape(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	html_escape(f, "a<b>&\"'\x01\x7f\xc3\xa9\xed\xa0\x80\xf4\x90\x80\x80z", 100);
	html_escape(f, "abcdef", 3);
	fclose(f);
	assert_string_equal(buf, "a&lt;b&gt;&amp;&quot;&#39;\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"
				 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				 "\xef\xbf\xbd\xef\xbf\xbdzabc");
	free(buf);
}

/* An empty run: a page, no charts, no crash. */
static void test_empty(void **state)
{
	struct recording_meta m = {0};
	struct snapshot s = {0};
	struct html_report *h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	s.is_summary = 1;
	s.span_s = NAN;
	h = html_report_new(&m, "", &s, NULL);
	assert_non_null(h);
	f = open_memstream(&buf, &len);
	assert_int_equal(html_report_write(h, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "No syscalls were recorded"));
	free(buf);
	html_report_free(h);
	h = html_report_new(&m, "", NULL, "cut");
	assert_non_null(h);
	f = open_memstream(&buf, &len);
	assert_int_equal(html_report_write(h, f), 0);
	fclose(f);
	free(buf);
	html_report_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_has_charts),
		cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_json_report_identical),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_long_run_downsampled),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
