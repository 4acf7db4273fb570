/*
 * Unit tests for user/tui_model.c, the screens of `streamtrace top` without
 * a terminal: a forking server's processes folded into one row (count, rates
 * summed, the worst RHO and W), opened on demand with its members under it;
 * sorting by each column both ways with unknown figures last; rows, headings
 * and numbers that keep to their widths (80 columns); a comm's control
 * characters kept off the screen; the detail, pipeline and services screens
 * saying what the snapshot holds.
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

#include "tui_model.h"

/* A process over a 2 s span: oncpu 2·cpu% /100 s, lam ops/s arriving. */
static void proc(struct proc_view *p, uint32_t pid, const char *comm, double cpu_pct, double lam,
		 double rho, double w_s)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	strncpy(p->comm, comm, sizeof(p->comm) - 1);
	p->threads = 2;
	p->oncpu_s = cpu_pct / 100 * 2;
	p->runq_wait_s = 0.1;
	p->net_known = 1;
	p->rx_ops = (uint64_t)(lam * 2);
	if (lam > 0) {
		p->has_queue = 1;
		p->queue.arrival_rate = p->queue.throughput = lam;
		p->queue.rho = rho;
		p->queue.response_s = w_s;
		p->queue.servers = 1;
		p->queue.service_time_s = rho / lam;
		p->queue.saturated = rho >= 1;
	}
}

struct fx {
	struct snapshot s;
	struct proc_view p[6];
	struct tui_model m;
	struct tui_state st;
	struct tui_row rows[16];
};

/* a forking server (4 x "nginx"), a consumer, a producer */
static void fixture(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	proc(&f->p[0], 100, "nginx", 10, 100, 0.2, 0.002);
	proc(&f->p[1], 101, "nginx", 20, 200, 0.5, 0.004);
	proc(&f->p[2], 102, "nginx", 5, 50, 0.1, 0.001);
	proc(&f->p[3], 103, "nginx", 1, 0, 0, 0);
	proc(&f->p[4], 200, "consumer", 90, 900, 1.2, 0.050);
	proc(&f->p[5], 300, "producer", 30, 0, 0, 0);
	f->p[4].bottleneck = 1;
	f->p[4].stage = 2;
	f->p[5].stage = 1;
	f->s.span_s = 2;
	f->s.time = 1700000000;
	f->s.n_procs = 6;
	f->s.procs = f->p;
	f->s.pipeline.n_stages = 2;
	f->s.pipeline.bottleneck_pid = 200;
	f->s.pipeline.e2e_response_s = 0.06;
	assert_int_equal(tui_model_load(&f->m, &f->s), 0);
	tui_state_init(&f->st);
}

static void test_groups_fold_and_open(void **state)
{
	struct fx f;
	unsigned n;

	(void)state;
	fixture(&f);
	n = tui_rows(&f.m, &f.st, f.rows, 16);
	assert_int_equal(n, 3); /* nginx x4, consumer, producer */
	/* default: CPU% descending: consumer 90, nginx 36, producer 30 */
	assert_string_equal(f.rows[0].comm, "consumer");
	assert_int_equal(f.rows[0].kind, TR_PROC);
	assert_string_equal(f.rows[1].comm, "nginx");
	assert_int_equal(f.rows[1].kind, TR_GROUP);
	assert_int_equal(f.rows[1].count, 4);
	assert_true(fabs(f.rows[1].v[TC_CPU] - 36) < 1e-9);
	assert_true(fabs(f.rows[1].v[TC_ARR] - 350) < 1e-9); /* summed */
	assert_true(fabs(f.rows[1].v[TC_RHO] - 0.5) < 1e-9); /* the worst */
	assert_true(fabs(f.rows[1].v[TC_W] - 4) < 1e-9);     /* ms, the worst */
	assert_true(fabs(f.rows[1].v[TC_THR] - 8) < 1e-9);
	assert_true(fabs(f.rows[1].v[TC_PID] - 100) < 1e-9); /* its lowest pid */
	assert_true(f.rows[0].bottleneck && f.rows[0].saturated);

	assert_int_equal(tui_toggle_group(&f.st, "nginx"), 1);
	n = tui_rows(&f.m, &f.st, f.rows, 16);
	assert_int_equal(n, 7);
	assert_int_equal(f.rows[1].kind, TR_GROUP);
	assert_true(f.rows[1].open);
	/* members under their group, busiest first */
	assert_int_equal(f.rows[2].kind, TR_MEMBER);
	assert_int_equal(f.m.p[f.rows[2].proc].pid, 101);
	assert_int_equal(f.m.p[f.rows[3].proc].pid, 100);
	assert_int_equal(f.m.p[f.rows[4].proc].pid, 102);
	assert_int_equal(f.m.p[f.rows[5].proc].pid, 103);
	assert_string_equal(f.rows[6].comm, "producer");
	/* the cap holds */
	assert_int_equal(tui_rows(&f.m, &f.st, f.rows, 4), 4);
	assert_int_equal(tui_toggle_group(&f.st, "nginx"), 0);
	assert_int_equal(tui_rows(&f.m, &f.st, f.rows, 16), 3);
	tui_model_free(&f.m);
}

static void test_sort_columns(void **state)
{
	struct fx f;

	(void)state;
	fixture(&f);
	f.st.sort = TC_ARR;
	tui_rows(&f.m, &f.st, f.rows, 16);
	assert_string_equal(f.rows[0].comm, "consumer");
	assert_string_equal(f.rows[1].comm, "nginx");
	assert_string_equal(f.rows[2].comm, "producer"); /* unknown λ: last */
	f.st.reverse = 1;
	tui_rows(&f.m, &f.st, f.rows, 16);
	assert_string_equal(f.rows[0].comm, "nginx");
	assert_string_equal(f.rows[1].comm, "consumer");
	assert_string_equal(f.rows[2].comm, "producer"); /* still last */
	f.st.reverse = 0;
	f.st.sort = TC_PID; /* ascending by nature */
	tui_rows(&f.m, &f.st, f.rows, 16);
	assert_string_equal(f.rows[0].comm, "nginx");
	assert_string_equal(f.rows[2].comm, "producer");
	f.st.sort = TC_COMM;
	tui_rows(&f.m, &f.st, f.rows, 16);
	assert_string_equal(f.rows[0].comm, "consumer");
	assert_string_equal(f.rows[1].comm, "nginx");
	tui_model_free(&f.m);
}

static void test_formatting_widths(void **state)
{
	struct fx f;
	char buf[256], num[32];

	(void)state;
	fixture(&f);
	tui_fmt_header(buf, sizeof(buf), &f.st);
	assert_true(strlen(buf) <= 80);
	assert_non_null(strstr(buf, "CPU%v")); /* the sort column, descending */
	assert_non_null(strstr(buf, "RUNQ%"));
	tui_rows(&f.m, &f.st, f.rows, 16);
	for (unsigned i = 0; i < 3; i++) {
		tui_fmt_row(buf, sizeof(buf), &f.rows[i]);
		assert_true(strlen(buf) <= 80);
	}
	tui_fmt_row(buf, sizeof(buf), &f.rows[0]);
	assert_non_null(strstr(buf, "consumer*"));
	tui_fmt_row(buf, sizeof(buf), &f.rows[1]);
	assert_non_null(strstr(buf, "4x +nginx"));
	/* RUNQ%: 0.1 s of 2 s is 5% */
	tui_fmt_row(buf, sizeof(buf), &f.rows[2]);
	assert_non_null(strstr(buf, "   5.0 "));
	/* a 15-character comm in full (qbench-stageA and -stageB must differ),
	 * even as an open group's bottleneck, within 80 columns */
	memcpy(f.rows[1].comm, "abcdefghijklmno", 16);
	f.rows[1].bottleneck = 1;
	f.rows[1].v[TC_SYSC] = 123456;
	tui_fmt_row(buf, sizeof(buf), &f.rows[1]);
	assert_non_null(strstr(buf, "+abcdefghijklmno* "));
	assert_true(strlen(buf) <= 80);
	assert_true(strlen(tui_footer_table) <= 80);
	assert_true(strlen(tui_footer_detail) <= 80);
	tui_fmt_num(num, sizeof(num), 6, 0, 1234567);
	assert_string_equal(num, " 1235k");
	tui_fmt_num(num, sizeof(num), 4, 0, 1234567);
	assert_string_equal(num, "1.2M");
	tui_fmt_num(num, sizeof(num), 6, 1, 12.25);
	assert_string_equal(num, "  12.2");
	tui_fmt_num(num, sizeof(num), 5, 2, NAN);
	assert_string_equal(num, "    -");
	tui_fmt_num(num, sizeof(num), 5, 0, 99999);
	assert_string_equal(num, "99999");
	tui_fmt_num(num, sizeof(num), 5, 0, 100000);
	assert_string_equal(num, " 100k");
	tui_model_free(&f.m);
}

static void test_comm_made_safe(void **state)
{
	struct fx f;
	char buf[256];

	(void)state;
	fixture(&f);
	memcpy(f.p[5].comm, "ev\033[2Jil", 9);
	assert_int_equal(tui_model_load(&f.m, &f.s), 0);
	tui_rows(&f.m, &f.st, f.rows, 16);
	for (unsigned i = 0; i < 3; i++) {
		tui_fmt_row(buf, sizeof(buf), &f.rows[i]);
		assert_null(strchr(buf, '\033'));
	}
	tui_model_free(&f.m);
}

/* The title says the host's steal from 0.1% of its CPUs' time, not below,
 * and not when it is not known. */
static void test_title_steal(void **state)
{
	struct fx f;
	char buf[256];

	(void)state;
	fixture(&f);
	tui_fmt_title(buf, sizeof(buf), &f.m, 3);
	assert_null(strstr(buf, "steal")); /* cpus 0: not known */
	tui_model_free(&f.m);
	f.s.host.cpus = 2;
	f.s.host.steal_s = 0.4; /* of 2 CPUs x 2 s */
	assert_int_equal(tui_model_load(&f.m, &f.s), 0);
	tui_fmt_title(buf, sizeof(buf), &f.m, 3);
	assert_non_null(strstr(buf, "lost 0  steal 10.0%"));
	tui_model_free(&f.m);
	f.s.host.steal_s = 0.001;
	assert_int_equal(tui_model_load(&f.m, &f.s), 0);
	tui_fmt_title(buf, sizeof(buf), &f.m, 3);
	assert_null(strstr(buf, "steal"));
	tui_model_free(&f.m);
}

static int has_line(const struct tui_line *l, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strstr(l[i].text, s))
			return 1;
	return 0;
}

static void test_screens(void **state)
{
	static struct tui_line l[256];
	struct syscall_row sc = {.nr = 0, .count = 40, .errors = 2};
	struct fx f;
	unsigned n;

	(void)state;
	fixture(&f);
	f.p[4].n_syscalls = 1;
	f.p[4].syscalls = &sc;
	f.p[4].has_forecast = 1;
	f.p[4].fc.horizon_s = 60;
	f.p[4].fc.arrival_rate = 1000;
	f.p[4].fc.rho = 1.3;
	f.p[4].fc.saturation_eta_s = NAN;
	assert_int_equal(tui_model_load(&f.m, &f.s), 0);
	n = tui_detail_lines(&f.m, 4, l, 256);
	assert_true(n > 10);
	assert_non_null(strstr(l[0].text, "process 200 consumer"));
	assert_true(has_line(l, n, "bottleneck"));
	assert_true(has_line(l, n, "SATURATED"));
	assert_true(has_line(l, n, "read ")); /* syscall 0 on x86-64 */
	assert_true(has_line(l, n, "20"));    /* 40 over 2 s */
	assert_true(has_line(l, n, "in 60 s"));
	assert_true(has_line(l, n, "not collected")); /* no --threads view */
	assert_int_equal(tui_detail_lines(&f.m, 99, l, 256), 0);
	assert_int_equal(tui_detail_lines(&f.m, 4, l, 3), 3); /* the cap */

	n = tui_pipeline_lines(&f.m, l, 256);
	assert_true(has_line(l, n, "2 stages"));
	assert_true(has_line(l, n, "bottleneck: 200 consumer"));
	/* S = 1.2/900 s: at most 750 ops/s on one server */
	assert_true(has_line(l, n, "750 ops/s"));
	n = tui_services_lines(&f.m, l, 256);
	assert_true(f.m.svc_by_comm);
	assert_int_equal(f.m.n_svc, 3);
	assert_true(has_line(l, n, "nginx"));
	n = tui_help_lines(l, 256);
	for (unsigned i = 0; i < n; i++) {
		unsigned cols = 0;

		for (const char *c = l[i].text; *c; c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80;
		if (cols > 80)
			fail_msg("help line of %u columns: %s", cols, l[i].text);
	}
	assert_true(has_line(l, n, "RUNQ%"));
	assert_true(has_line(l, n, "NO_COLOR"));
	tui_model_free(&f.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_fold_and_open),
		cmocka_unit_test(test_sort_columns),
		cmocka_unit_test(test_formatting_widths),
		cmocka_unit_test(test_comm_made_safe),
		cmocka_unit_test(test_screens),
		cmocka_unit_test(test_title_steal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
