/*
 * Unit tests for user/views.c: the kernel's cumulative per-thread and
 * per-socket records become interval deltas and run totals on the right
 * process; a thread that is gone keeps its last values for the summary and
 * leaves the intervals; addresses print as the kernel's bytes say.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "views.h"

static struct st_thread_rec thread(uint32_t tid, uint64_t oncpu_ns, uint64_t switches)
{
	struct st_thread_rec r = {.tid = tid, .oncpu_ns = oncpu_ns, .switches = switches};

	strcpy(r.comm, "worker");
	r.syscalls = switches * 2;
	return r;
}

static void attach(struct views *v, struct snapshot *s, struct proc_view *p, int summary)
{
	for (unsigned i = 0; i < s->n_procs; i++) {
		free(p[i].thread_views);
		free(p[i].conns);
		p[i].thread_views = NULL;
		p[i].conns = NULL;
		p[i].n_thread_views = p[i].n_conns = 0;
	}
	s->is_summary = summary;
	views_attach(v, s, 1, 1);
}

static void test_threads(void **state)
{
	struct views *v = views_new();
	struct proc_view p[2] = {{.pid = 100}, {.pid = 200}};
	struct snapshot s = {.n_procs = 2, .procs = p};
	struct st_thread_rec a, b;

	(void)state;
	assert_non_null(v);
	/* interval 1: two threads of 100, one of 200 */
	views_begin(v);
	a = thread(101, 1000000000, 10);
	views_add_thread(v, 100, &a);
	b = thread(102, 500000000, 4);
	views_add_thread(v, 100, &b);
	a = thread(201, 250000000, 1);
	views_add_thread(v, 200, &a);
	attach(v, &s, p, 0);
	assert_int_equal(p[0].n_thread_views, 2);
	assert_int_equal(p[1].n_thread_views, 1);
	assert_float_equal(p[0].thread_views[0].oncpu_s, 1.0, 1e-12);
	assert_int_equal(p[0].thread_views[1].switches, 4);
	assert_int_equal(p[0].thread_views[1].syscalls, 8);
	assert_string_equal(p[0].thread_views[0].comm, "worker");

	/* interval 2: 101 ran 2 s more; 102 is gone (not read again) */
	views_begin(v);
	a = thread(101, 3000000000, 30);
	views_add_thread(v, 100, &a);
	attach(v, &s, p, 0);
	assert_int_equal(p[0].n_thread_views, 1);
	assert_int_equal(p[0].thread_views[0].tid, 101);
	assert_float_equal(p[0].thread_views[0].oncpu_s, 2.0, 1e-12);
	assert_int_equal(p[0].thread_views[0].switches, 20);
	/* 201 was not read again either */
	assert_int_equal(p[1].n_thread_views, 0);

	/* the summary: run totals, the gone thread included */
	attach(v, &s, p, 1);
	assert_int_equal(p[0].n_thread_views, 2);
	assert_float_equal(p[0].thread_views[0].oncpu_s, 3.0, 1e-12);
	assert_float_equal(p[0].thread_views[1].oncpu_s, 0.5, 1e-12);
	assert_int_equal(p[1].n_thread_views, 1);
	attach(v, &s, p, 1);
	for (unsigned i = 0; i < 2; i++) {
		free(p[i].thread_views);
		free(p[i].conns);
	}
	views_free(v);
}

static void test_conns(void **state)
{
	struct views *v = views_new();
	struct proc_view p[1] = {{.pid = 7}};
	struct snapshot s = {.n_procs = 1, .procs = p};
	struct st_conn_rec c = {.family = AF_INET, .proto = 6, .sport = 7878, .dport = 40000};

	(void)state;
	c.saddr[0] = 127;
	c.saddr[3] = 1;
	c.daddr[0] = 10;
	c.daddr[3] = 9;
	c.cookie = 42;
	c.rx_bytes = 1000;
	c.rx_ops = 10;
	c.backlog = 64;
	c.unit_rx = 1;
	views_begin(v);
	views_add_conn(v, 7, &c);
	attach(v, &s, p, 0);
	assert_int_equal(p[0].n_conns, 1);
	assert_string_equal(p[0].conns[0].proto, "tcp");
	assert_string_equal(p[0].conns[0].local, "127.0.0.1:7878");
	assert_string_equal(p[0].conns[0].remote, "10.0.0.9:40000");
	assert_int_equal(p[0].conns[0].rx_bytes, 1000);
	assert_int_equal(p[0].conns[0].backlog_bytes, 64);
	assert_int_equal(p[0].conns[0].unit_rx, 1);
	/* 500 bytes more in the next interval */
	views_begin(v);
	c.rx_bytes = 1500;
	c.rx_ops = 15;
	views_add_conn(v, 7, &c);
	attach(v, &s, p, 0);
	assert_int_equal(p[0].conns[0].rx_bytes, 500);
	assert_int_equal(p[0].conns[0].rx_ops, 5);
	free(p[0].conns);
	free(p[0].thread_views);
	views_free(v);
}

/* A full table leaves a thread or connection out, and says so: every one
 * beyond VIEWS_MAX is counted (lost.views_full), none silently. */
static void test_full_counted(void **state)
{
	struct views *v = views_new();
	struct st_conn_rec c = {.family = AF_INET, .proto = 6};

	(void)state;
	assert_non_null(v);
	views_begin(v);
	for (uint32_t tid = 1; tid <= VIEWS_MAX + 5; tid++) {
		struct st_thread_rec r = thread(tid, 1000, 1);

		views_add_thread(v, 7, &r);
	}
	assert_int_equal(views_dropped(v), 5);
	/* one already kept is updated, not dropped */
	{
		struct st_thread_rec r = thread(1, 2000, 2);

		views_add_thread(v, 7, &r);
	}
	assert_int_equal(views_dropped(v), 5);
	for (uint64_t k = 1; k <= VIEWS_MAX + 3; k++) {
		c.cookie = k;
		views_add_conn(v, 7, &c);
	}
	assert_int_equal(views_dropped(v), 8);
	assert_int_equal(views_dropped(NULL), 0);
	views_free(v);
}

static void test_format_addr(void **state)
{
	uint8_t a6[16] = {0};
	char buf[64];

	(void)state;
	a6[15] = 1;
	views_format_addr(AF_INET6, a6, 443, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:443");
	views_format_addr(AF_UNIX, a6, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_conns),
		cmocka_unit_test(test_full_counted),
		cmocka_unit_test(test_format_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
