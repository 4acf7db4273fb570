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
#include "model.h"
#include "prom_out.h"
#include "recording.h"
#include "report.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),	   cmocka_unit_test(test_report_html),
		cmocka_unit_test(test_prometheus), cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
