/*
 * The byte-identical guard of issue 10: a committed recording of a real run
 * (tests/data/golden.rec: qbench run, a TCP server of 2 workers under a
 * ramping load, recorded at 0.5 s with --threads --connections --services
 * and --what-if, so every group of per-process figures is filled: queue,
 * forecast, what-if, pipeline stage, thread and connection views) is
 * rendered by every output and compared with committed files:
 *   - report --json        tests/data/golden.json
 *   - report (text tables) tests/data/golden.txt
 *   - report --html        tests/data/golden.html
 *   - Prometheus text      tests/data/golden.prom (summary as the totals,
 *                          last interval as the latest; no self figures)
 *   - the recording read and written again: byte for byte the input file;
 *   - diff against tests/data/golden-new.rec (the same workload run again):
 *     the table (golden.diff) and --all --json (golden.diff.json).
 * The expected files are the outputs of the code before the figure table
 * (commit "golden guard"): they say nothing of whether a figure is right,
 * only that a restructuring changed no byte. A change that means to change
 * an output regenerates them with ST_GOLDEN_UPDATE=1 and says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "diff.h"
#include "html_out.h"
#include "json_out.h"
#include "model.h"
#include "prom_out.h"
#include "recording.h"
#include "report.h"
#include "services.h"
#include "table_out.h"

#define DATA	 "tests/data/"
#define GOLDEN	 DATA "golden.rec"
#define MAX_SNAP 256

/* a scratch file of this test run, removed after use */
static void scratch(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/st-golden.%d.%s", (int)getpid(), name);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			p = realloc(p, cap);
			assert_non_null(p);
		}
		size_t got = fread(p + n, 1, cap - n - 1, f);

		n += got;
		if (!got)
			break;
	}
	fclose(f);
	p[n] = 0;
	*len = n;
	return p;
}

/* @got against the committed @name; ST_GOLDEN_UPDATE=1 writes it instead. */
static void expect_file(const char *name, const char *got, size_t len)
{
	char path[256];
	size_t elen = 0;
	char *exp;

	snprintf(path, sizeof(path), DATA "%s", name);
	if (getenv("ST_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(got, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		return;
	}
	exp = slurp(path, &elen);
	if (!exp)
		fail_msg("%s: %s (ST_GOLDEN_UPDATE=1 writes it)", path, strerror(errno));
	if (elen != len || memcmp(exp, got, len)) {
		size_t i = 0;

		while (i < len && i < elen && exp[i] == got[i])
			i++;
		fail_msg("%s differs from the output at byte %zu (of %zu expected, %zu got): "
			 "expected \"%.60s\", got \"%.60s\"",
			 path, i, elen, len, exp + (i < elen ? i : elen),
			 got + (i < len ? i : len));
	}
	free(exp);
}

static void report_to(int json, const char *html, char **buf, size_t *len)
{
	FILE *out = open_memstream(buf, len);
	FILE *err = fopen("/dev/null", "w");

	assert_non_null(out);
	assert_non_null(err);
	assert_int_equal(report_run(GOLDEN, json, html, out, err), 0);
	fclose(out);
	fclose(err);
}

/* report --json (9 intervals and the summary), then the text tables */
static void test_report(void **state)
{
	static const char *const expected[] = {"golden.txt", "golden.json"};

	(void)state;
	for (int json = 0; json <= 1; json++) {
		char *buf;
		size_t len;

		report_to(json, NULL, &buf, &len);
		assert_true(len > 1000);
		expect_file(expected[json], buf, len);
		free(buf);
	}
}

static void test_report_html(void **state)
{
	char path[128], *buf, *page;
	size_t len, plen;

	(void)state;
	scratch(path, sizeof(path), "html");
	report_to(0, path, &buf, &len);
	free(buf);
	page = slurp(path, &plen);
	unlink(path);
	assert_non_null(page);
	expect_file("golden.html", page, plen);
	free(page);
}

struct snaps {
	struct recording_meta meta;
	unsigned n;
	struct snapshot s[MAX_SNAP];
};

static void read_all(struct snaps *v)
{
	char err[256];
	struct recording *rec = recording_open(GOLDEN, &v->meta, err, sizeof(err));
	int r;

	if (!rec)
		fail_msg("%s: %s", GOLDEN, err);
	v->n = 0;
	while (v->n < MAX_SNAP && (r = recording_next(rec, &v->s[v->n])) == 1)
		v->n++;
	assert_int_equal(recording_truncated(rec), 0);
	assert_null(recording_error(rec));
	recording_close(rec);
	assert_true(v->n >= 2);
	assert_true(v->s[v->n - 1].is_summary);
}

static void free_all(struct snaps *v)
{
	for (unsigned i = 0; i < v->n; i++)
		snapshot_free(&v->s[i]);
}

static void test_prometheus(void **state)
{
	static struct snaps v;
	/* 3 syscall rows a process keep the file small (the cap is exercised too) */
	const struct prom_limits lim = {.max_procs = 0, .max_syscalls = 3};
	char *buf;
	size_t len;

	(void)state;
	read_all(&v);
	/* what a --listen scrape shows at the end of the run */
	assert_int_equal(prom_out_render_buf(&buf, &len, &v.s[v.n - 1], &v.s[v.n - 2], NULL, &lim),
			 0);
	expect_file("golden.prom", buf, len);
	free(buf);
	free_all(&v);
}

static void test_rewrite(void **state)
{
	static struct snaps v;
	char path[128], err[256], *b;
	size_t blen;
	struct recording *w;

	(void)state;
	read_all(&v);
	scratch(path, sizeof(path), "rec");
	w = recording_create(path, &v.meta, err, sizeof(err));
	if (!w)
		fail_msg("%s: %s", path, err);
	for (unsigned i = 0; i < v.n; i++)
		assert_int_equal(recording_write(w, &v.s[i]), 0);
	assert_int_equal(recording_close(w), 0);
	free_all(&v);
	/* the current writer's bytes for the golden recording's snapshots:
	 * equal to golden.rec while its format is the current one, and a
	 * golden file of its own so that a format change (a minor version, a
	 * new frame) shows as a reviewed change of golden-rewrite.rec */
	b = slurp(path, &blen);
	unlink(path);
	assert_non_null(b);
	expect_file("golden-rewrite.rec", b, blen);
	free(b);
}

static void test_diff(void **state)
{
	static const char *const expected[] = {"golden.diff", "golden.diff.json"};

	(void)state;
	for (int json = 0; json <= 1; json++) {
		struct diff_options o;
		char *buf;
		size_t len;

		diff_options_init(&o);
		o.json = o.all_rows = json;
		o.out = open_memstream(&buf, &len);
		o.err = fopen("/dev/null", "w");
		assert_non_null(o.out);
		assert_non_null(o.err);
		/* no regression beyond the default thresholds: exit 0 */
		assert_int_equal(diff_main(GOLDEN, DATA "golden-new.rec", &o), 0);
		fclose(o.out);
		fclose(o.err);
		assert_true(len > 1000);
		expect_file(expected[json], buf, len);
		free(buf);
	}
}

/*
 * The services' figures (issue 10's leftover: services onto a figure list).
 * golden.rec has services, but none in a pipeline over services and none
 * without net figures, so these build services that take every branch of
 * the outputs: a staged bottleneck with a queue and saturated CPUs, one
 * without net figures nor queue, one with a queue and no stage (every
 * figure a different number, so a figure moved to another key shows), and
 * render them with the JSON writer, the Prometheus text and the recording
 * (written, then read back and written again). golden-services.* are the
 * outputs of the code before the services' figure list.
 */
static uint32_t pids_a[] = {101, 102}, pids_b[] = {201}, pids_c[] = {301, 302, 303};

/* Every figure of a queue, distinct: base + small steps. */
static void fill_queue(struct queue_figures *q, double base)
{
	double *d[] = {&q->arrival_rate,   &q->throughput,     &q->utilization,
		       &q->service_time_s, &q->service_rate,   &q->rho,
		       &q->queue_length,   &q->wait_s,	       &q->response_s,
		       &q->mm1_response_s, &q->mmc_response_s, &q->mg1_response_s,
		       &q->gg1_response_s, &q->mm1_error,      &q->mmc_error,
		       &q->mg1_error,	   &q->gg1_error,      &q->little_l_lambda_w,
		       &q->little_error,   &q->dispatch_s};

	for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		*d[i] = base + 0.125 * (i + 1);
	q->servers = 3;
}

/* Every net figure of a service, distinct: base + 1 ... base + 8. */
static void fill_net(struct service_view *v, uint64_t base)
{
	uint64_t *u[] = {&v->rx_bytes,	    &v->tx_bytes,    &v->rx_ops, &v->tx_ops,
			 &v->backlog_bytes, &v->retransmits, &v->resets, &v->drops};

	v->net_known = 1;
	for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		*u[i] = base + i + 1;
}

static void build(struct snapshot *s, struct service_view *v)
{
	const struct service_view init[3] = {
		/* staged bottleneck, queue, saturated CPUs, a name with a quote */
		{.name = "front\"end",
		 .n_pids = 2,
		 .pids = pids_a,
		 .has_queue = 1,
		 .capacity_servers = 2,
		 .cpus = 1.5,
		 .oncpu_s = 0.25,
		 .runq_s = 0.375,
		 .cpu_demand = 0.9375,
		 .runq_share = 0.6,
		 .cpu_saturated = 1,
		 .stage = 2,
		 .bottleneck = 1,
		 .path_response_s = 0.0125},
		/* no net figures, no queue, not staged */
		{.name = "port:8080",
		 .n_pids = 1,
		 .pids = pids_b,
		 .cpus = NAN,
		 .oncpu_s = 0.0625,
		 .cpu_demand = NAN,
		 .path_response_s = NAN},
		/* queue (saturated by its rho), stage 1, not the bottleneck */
		{.name = "worker",
		 .n_pids = 3,
		 .pids = pids_c,
		 .has_queue = 1,
		 .capacity_servers = 4,
		 .cpus = 4,
		 .oncpu_s = 1.25,
		 .runq_s = 0.125,
		 .cpu_demand = 0.6875,
		 .runq_share = 0.0909,
		 .stage = 1,
		 .path_response_s = 0.005},
	};

	memset(s, 0, sizeof(*s));
	memcpy(v, init, sizeof(init));
	fill_net(&v[0], 1000);
	fill_queue(&v[0].queue, 10);
	fill_net(&v[2], 3000);
	fill_queue(&v[2].queue, 30);
	v[2].queue.saturated = 1;
	/* as services.c leaves them: a service has no set-up model and no
	 * answer time (its members' moments are not merged) */
	for (int i = 0; i < 3; i++)
		v[i].queue.mg1_setup_response_s = v[i].queue.mg1_setup_error =
			v[i].queue.response_answered_s = NAN;
	s->time = 1767225600.5;
	s->span_s = 0.5;
	s->has_services = 1;
	s->n_services = 3;
	s->services = v;
	s->pipeline.n_stages = 2;
	s->pipeline.bottleneck_pid = 101;
	s->pipeline.e2e_response_s = 0.0125;
}

static void test_services_json(void **state)
{
	struct service_view v[3];
	struct snapshot s;
	char *buf;
	size_t len;
	FILE *f;

	(void)state;
	build(&s, v);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	json_out_snapshot(f, &s);
	fclose(f);
	expect_file("golden-services.json", buf, len);
	free(buf);
}

static void test_services_prometheus(void **state)
{
	struct service_view v[3];
	struct snapshot s;
	char *buf;
	size_t len;

	(void)state;
	build(&s, v);
	assert_int_equal(prom_out_render_buf(&buf, &len, &s, &s, NULL, NULL), 0);
	expect_file("golden-services.prom", buf, len);
	free(buf);
}

/* Written, compared, read back, written again: the same bytes. */
static void test_services_recording(void **state)
{
	struct recording_meta meta;
	struct service_view v[3];
	struct snapshot s, back;
	char path[128], err[256], *b, *b2;
	size_t blen, b2len;
	struct recording *r;

	(void)state;
	build(&s, v);
	memset(&meta, 0, sizeof(meta));
	snprintf(meta.host, sizeof(meta.host), "golden");
	snprintf(meta.version, sizeof(meta.version), "golden");
	meta.start_time = 1767225600;
	meta.interval_s = 0.5;
	meta.sample_every = 1;
	snprintf(path, sizeof(path), "/tmp/st-golden-services.%d.rec", (int)getpid());
	r = recording_create(path, &meta, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", path, err);
	assert_int_equal(recording_write(r, &s), 0);
	assert_int_equal(recording_close(r), 0);
	b = slurp(path, &blen);
	assert_non_null(b);
	expect_file("golden-services.rec", b, blen);

	r = recording_open(path, &meta, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", path, err);
	assert_int_equal(recording_next(r, &back), 1);
	recording_close(r);
	r = recording_create(path, &meta, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(recording_write(r, &back), 0);
	assert_int_equal(recording_close(r), 0);
	snapshot_free(&back);
	b2 = slurp(path, &b2len);
	unlink(path);
	assert_non_null(b2);
	assert_int_equal(b2len, blen);
	assert_memory_equal(b2, b, blen);
	free(b);
	free(b2);
}

/* The live table's and the report page's services rows. */
static void test_services_text_html(void **state)
{
	struct recording_meta meta = {.start_time = 1767225600, .interval_s = 0.5};
	struct service_view v[3];
	struct html_report *h;
	struct snapshot s;
	char *buf;
	size_t len;
	FILE *f;

	(void)state;
	build(&s, v);
	s.is_summary = 1;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	table_out_snapshot(f, &s, 0);
	fclose(f);
	expect_file("golden-services.txt", buf, len);
	free(buf);
	snprintf(meta.host, sizeof(meta.host), "golden");
	h = html_report_new(&meta, "golden", &s, NULL);
	assert_non_null(h);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(html_report_write(h, f), 0);
	fclose(f);
	html_report_free(h);
	expect_file("golden-services.html", buf, len);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_html),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_services_json),
		cmocka_unit_test(test_services_prometheus),
		cmocka_unit_test(test_services_recording),
		cmocka_unit_test(test_services_text_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
