/*
 * Unit tests for user/table_out.c, the plain live table: every line within
 * 80 columns (forecast and what-if lines included, with the widest figures
 * and names), RUNQ% a rate over the span like the other columns, and colour
 * only when asked (a saturated row red, the bottleneck yellow).
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "table_out.h"

static struct proc_view procs[2];
static struct snapshot snap;

static void setup_snap(void)
{
	memset(procs, 0, sizeof(procs));
	memset(&snap, 0, sizeof(snap));
	for (unsigned i = 0; i < 2; i++) {
		struct proc_view *p = &procs[i];

		p->pid = 4194304 - i; /* the widest pid */
		memcpy(p->comm, "abcdefghijklmno", 16);
		p->threads = 3;
		p->oncpu_s = 1;
		p->runq_wait_s = 0.5; /* over 2 s: 25% */
		p->has_queue = 1;
		p->queue.arrival_rate = 123456.7;
		p->queue.rho = 1.25;
		p->queue.saturated = 1;
		p->queue.response_s = 12.345;
		p->has_forecast = 1;
		p->fc.saturation_eta_s = 123456789.0;
		p->fc.arrival_rate = 98765432.1;
		p->fc.horizon_s = 86400;
		p->has_whatif = 1;
		p->wi.rho = 0.987654;
		p->wi.response_s = 123.456789;
		p->wi.response_p99_s = 9876.54321;
	}
	procs[1].bottleneck = 1;
	snap.span_s = 2;
	snap.time = 1700000000;
	snap.n_procs = 2;
	snap.procs = procs;
	snprintf(snap.whatif_spec, sizeof(snap.whatif_spec), "%s",
		 "load=+300%,service=-20%,servers=16,and-more-text-to-be-long");
}

static char *render(int color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_out_snapshot_color(f, &snap, 0, color);
	fclose(f);
	return buf;
}

/* columns of a UTF-8 line, escape sequences left out */
static unsigned cols(const char *s, size_t n)
{
	unsigned c = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\033') {
			while (i < n && s[i] != 'm')
				i++;
			continue;
		}
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	}
	return c;
}

static void test_80_columns(void **state)
{
	char *out, *line, *nl;

	(void)state;
	setup_snap();
	out = render(0);
	assert_non_null(strstr(out, "forecast "));
	assert_non_null(strstr(out, "what-if "));
	for (line = out; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (cols(line, (size_t)(nl - line)) > 80)
			fail_msg("%u columns: %.*s", cols(line, (size_t)(nl - line)),
				 (int)(nl - line), line);
	}
	free(out);
}

/* a summary is of a finished run: no "saturates in", the trend instead */
static void test_summary_trend(void **state)
{
	char *out;

	(void)state;
	setup_snap();
	snap.is_summary = 1;
	out = render(0);
	assert_null(strstr(out, "saturates in"));
	assert_non_null(strstr(out, "trend 4194304 abcdefghijklm: at the end"));
	free(out);
	snap.is_summary = 0;
	out = render(0);
	assert_non_null(strstr(out, "saturates in"));
	free(out);
}

static void test_runq_rate(void **state)
{
	char *out;

	(void)state;
	setup_snap();
	out = render(0);
	assert_non_null(strstr(out, "RUNQ%"));
	assert_null(strstr(out, "RUNQms"));
	/* CPU% 50.0, RUNQ% 25.0 */
	assert_non_null(strstr(out, " 50.0   25.0 "));
	free(out);
}

static void test_colour_only_when_asked(void **state)
{
	char *out;

	(void)state;
	setup_snap();
	out = render(0);
	assert_null(strchr(out, '\033'));
	free(out);
	out = render(1);
	assert_non_null(strstr(out, "\033[1;31m")); /* saturated */
	assert_non_null(strstr(out, "\033[1;33m")); /* bottleneck */
	assert_non_null(strstr(out, "\033[0m"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_80_columns),
		cmocka_unit_test(test_runq_rate),
		cmocka_unit_test(test_summary_trend),
		cmocka_unit_test(test_colour_only_when_asked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
