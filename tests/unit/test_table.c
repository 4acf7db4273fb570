/*
 * Unit tests for user/table_out.c, the live table, on snapshots whose
 * figures are set by hand: rates are counts over the span, the busiest
 * process comes first, unknown figures print "-", an exited process shows
 * "x" for its threads, the bottleneck is starred, a name with an escape
 * sequence never reaches the terminal, and a terminal is cleared first.
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "table_out.h"
#include "utf8.h"

static char *render(const struct snapshot *s, int refresh)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_out_snapshot(f, s, refresh);
	fclose(f);
	return buf;
}

/* the line of the table that starts with @pid's column */
static const char *row_of(const char *out, const char *pid)
{
	char key[16];
	const char *p;

	snprintf(key, sizeof(key), "\n%6s ", pid);
	p = strstr(out, key);
	assert_non_null(p);
	return p + 1;
}

static void test_rows(void **state)
{
	struct syscall_row sc[2] = {{.nr = 0, .count = 300, .errors = 20}, {.nr = 1, .count = 100}};
	struct proc_view p[2] = {
		{.pid = 41, .comm = "idle", .threads = 1, .oncpu_s = 0.1, .exited = 1},
		{.pid = 42,
		 .comm = "server",
		 .threads = 3,
		 .oncpu_s = 1.0,
		 .runq_wait_s = 0.25, /* over 2 s: RUNQ% 12.5 */
		 .rx_ops = 500,
		 .n_syscalls = 2,
		 .syscalls = sc,
		 .has_queue = 1,
		 .bottleneck = 1},
	};
	struct snapshot s = {.span_s = 2, .n_procs = 2, .procs = p};
	char *out, line[128];

	(void)state;
	p[1].queue.arrival_rate = 250;
	p[1].queue.rho = 0.6;
	p[1].queue.response_s = 0.004;
	out = render(&s, 0);
	/* busiest first: 42 before 41 */
	assert_true(strstr(out, "    42 ") < strstr(out, "    41 "));
	/* 1 s on CPU over 2 s: 50.0%; 400 calls, 20 errors, 500 receives over 2 s */
	snprintf(line, sizeof(line),
		 "%6u %-13.13s%c %3u %5.1f %6.1f %6.0f %5.0f %6.0f %6.0f %5.2f %7.2f\n", 42,
		 "server", '*', 3, 50.0, 12.5, 200.0, 10.0, 250.0, 250.0, 0.60, 4.00);
	assert_memory_equal(row_of(out, "42"), line, strlen(line));
	/* exited, no queue: "x" threads, "-" for the queue figures */
	snprintf(line, sizeof(line),
		 "%6u %-13.13s%c %3s %5.1f %6.1f %6.0f %5.0f %6.0f %6s %5s %7s\n", 41, "idle", ' ',
		 "x", 5.0, 0.0, 0.0, 0.0, 0.0, "-", "-", "-");
	assert_memory_equal(row_of(out, "41"), line, strlen(line));
	assert_null(strstr(out, "\033"));
	free(out);
}

static void test_terminal(void **state)
{
	struct proc_view p = {.pid = 9, .comm = "ev\033[2Jil"};
	struct snapshot s = {.span_s = 1, .n_procs = 1, .procs = &p, .is_summary = 1};
	char *out;

	(void)state;
	out = render(&s, 1);
	/* cleared first, then never an escape from the name (shown as U+FFFD) */
	assert_memory_equal(out, "\033[H\033[2J", 7);
	assert_null(strstr(out + 7, "\033"));
	assert_non_null(strstr(out, "ev" UTF8_REPLACEMENT "[2Jil")); /* utf8.h: one rule */
	assert_non_null(strstr(out, "SUMMARY over 1.0s"));
	free(out);
}

/* The host's steal: on the first line from 0.1% of its CPUs' time, and a
 * note from 5% (busy and service times include it); nothing when unknown. */
static void test_steal(void **state)
{
	struct proc_view p = {.pid = 9, .comm = "srv"};
	struct snapshot s = {.span_s = 2, .n_procs = 1, .procs = &p};
	char *out;

	(void)state;
	out = render(&s, 0);
	assert_null(strstr(out, "steal"));
	free(out);
	s.host.cpus = 2;
	s.host.steal_s = 0.01; /* 0.25% of 4 CPU-seconds: shown, no note */
	out = render(&s, 0);
	assert_non_null(strstr(out, "lost 0  steal 0.2%\n"));
	assert_null(strstr(out, "hypervisor"));
	free(out);
	s.host.steal_s = 0.48; /* 12% */
	out = render(&s, 0);
	assert_non_null(strstr(out, "steal 12.0%\n"));
	assert_non_null(strstr(out, "note: the hypervisor ran something else for 12% of this "
				    "host's CPU time"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
