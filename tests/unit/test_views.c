/*
 * Unit tests for user/views.c: the kernel's cumulative per-thread and
 * per-socket records become interval deltas and run totals on the right
 * process; a thread that is gone keeps its last values for the summary and
 * leaves the intervals; addresses print as the kernel's bytes say. Churn:
 * far more threads and sockets than the table holds go through it, and
 * every one's figures reach the intervals and the summary (one by one, or
 * folded into their process's row), none is dropped, and the table stays
 * bounded.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* The number N of a fold row's "(N exited)" or "(N sockets)". */
static uint64_t folded_count(const char *label)
{
	unsigned long long n = 0;

	assert_int_equal(sscanf(label, "(%llu", &n), 1);
	return n;
}

/* Threads of one process: each interval 100 start (read live) and the
 * previous 100 exit (read final, 1 switch and 1 ms more), 200 intervals:
 * 20000 threads through a table of VIEWS_MAX. */
static void test_thread_churn(void **state)
{
	enum { BATCH = 100, K = 200 };
	struct views *v = views_new();
	struct proc_view p[1] = {{.pid = 100}};
	struct snapshot s = {.n_procs = 1, .procs = p};
	uint64_t truth_sw = 0, truth_ns = 0, ival_sw = 0, n_rows = 0, n_threads = 0;
	unsigned nt, nc, nf;
	double ival_cpu = 0, sum_cpu = 0;
	uint64_t sum_sw = 0;

	(void)state;
	assert_non_null(v);
	for (uint32_t k = 0; k <= K; k++) {
		views_begin(v);
		for (uint32_t i = 1; k < K && i <= BATCH; i++) {
			uint32_t tid = k * BATCH + i;
			struct st_thread_rec r = thread(tid, 1000000ull * tid, tid);

			views_add_thread(v, 100, &r);
		}
		for (uint32_t i = 1; k && i <= BATCH; i++) {
			uint32_t tid = (k - 1) * BATCH + i;
			struct st_thread_rec r = thread(tid, 1000000ull * tid + 1000000, tid + 1);

			views_add_thread_final(v, 100, &r);
			truth_sw += tid + 1;
			truth_ns += 1000000ull * tid + 1000000;
			n_threads++;
		}
		attach(v, &s, p, 0);
		/* the new ones and the ones that exited, each once */
		assert_int_equal(p[0].n_thread_views, (k && k < K ? 2 : 1) * BATCH);
		for (unsigned i = 0; i < p[0].n_thread_views; i++) {
			ival_sw += p[0].thread_views[i].switches;
			ival_cpu += p[0].thread_views[i].oncpu_s;
		}
		views_usage(v, &nt, &nc, &nf);
		/* live, gone kept one by one, gone since the last fold */
		assert_true(nt <= VIEWS_KEEP_GONE + 3 * BATCH);
		assert_true(nf <= 1);
	}
	assert_int_equal(views_dropped(v), 0);
	/* every switch reached the intervals */
	assert_int_equal(ival_sw, truth_sw);
	assert_float_equal(ival_cpu, (double)truth_ns / 1e9, 1e-6);
	/* and the summary: the recent exited one by one, the rest folded */
	attach(v, &s, p, 1);
	for (unsigned i = 0; i < p[0].n_thread_views; i++) {
		const struct thread_view *tv = &p[0].thread_views[i];

		sum_sw += tv->switches;
		sum_cpu += tv->oncpu_s;
		if (tv->tid) {
			n_rows++;
			continue;
		}
		n_rows += folded_count(tv->comm);
		assert_true(strstr(tv->comm, "exited") != NULL);
	}
	assert_int_equal(n_rows, n_threads);
	assert_int_equal(sum_sw, truth_sw);
	assert_float_equal(sum_cpu, (double)truth_ns / 1e9, 1e-6);
	assert_true(p[0].n_thread_views <= VIEWS_KEEP_GONE + 2 * BATCH + 1);
	free(p[0].thread_views);
	free(p[0].conns);
	views_free(v);
}

/* Processes come and go: each interval a new one with @threads threads,
 * which exit (and their process) in the next; @k processes. The fold rows
 * of processes gone make room (with more processes than VIEWS_FOLDS, some
 * give theirs up); the processes still listed show all their threads'
 * figures. */
static void process_churn(uint32_t threads, uint32_t k_max, unsigned *max_folds)
{
	struct views *v = views_new();
	struct proc_view p[2];
	struct snapshot s = {.procs = p};
	uint64_t truth_sw = 0, ival_sw = 0;
	unsigned nt, nc, nf;

	*max_folds = 0;
	assert_non_null(v);
	memset(p, 0, sizeof(p));
	for (uint32_t k = 0; k <= k_max; k++) {
		views_begin(v);
		s.n_procs = 0;
		if (k) { /* the previous process exits: listed once more */
			for (uint32_t i = 1; i <= threads; i++) {
				struct st_thread_rec r = thread(1000000 + (k - 1) * 100 + i, 0, 7);

				views_add_thread_final(v, 1000 + k - 1, &r);
				truth_sw += 7;
			}
			p[s.n_procs++].pid = 1000 + k - 1;
		}
		if (k < k_max) {
			for (uint32_t i = 1; i <= threads; i++) {
				struct st_thread_rec r = thread(1000000 + k * 100 + i, 0, 3);

				views_add_thread(v, 1000 + k, &r);
			}
			p[s.n_procs++].pid = 1000 + k;
		}
		attach(v, &s, p, 0);
		for (unsigned j = 0; j < s.n_procs; j++)
			for (unsigned i = 0; i < p[j].n_thread_views; i++)
				ival_sw += p[j].thread_views[i].switches;
		views_usage(v, &nt, &nc, &nf);
		assert_true(nt <= VIEWS_KEEP_GONE + 3 * threads);
		assert_true(nf <= 2 * VIEWS_FOLDS);
		*max_folds = nf > *max_folds ? nf : *max_folds;
	}
	assert_int_equal(views_dropped(v), 0);
	assert_int_equal(ival_sw, truth_sw);
	/* the last two processes, as a summary would list them: all of theirs */
	s.n_procs = 2;
	p[0].pid = 1000 + k_max - 2;
	p[1].pid = 1000 + k_max - 1;
	attach(v, &s, p, 1);
	for (unsigned j = 0; j < 2; j++) {
		uint64_t sw = 0, n = 0;

		for (unsigned i = 0; i < p[j].n_thread_views; i++) {
			sw += p[j].thread_views[i].switches;
			n += p[j].thread_views[i].tid ? 1 : folded_count(p[j].thread_views[i].comm);
		}
		assert_int_equal(n, threads);
		assert_int_equal(sw, 7 * threads);
	}
	for (unsigned j = 0; j < 2; j++) {
		free(p[j].thread_views);
		free(p[j].conns);
	}
	views_free(v);
}

static void test_process_churn(void **state)
{
	unsigned folds;

	(void)state;
	/* 1000 processes of 20 threads */
	process_churn(20, 1000, &folds);
	assert_true(folds > 0);
	/* 7000 of one thread: more processes with folded threads than fold
	 * rows, the oldest gone ones give theirs up */
	process_churn(1, VIEWS_KEEP_GONE + VIEWS_FOLDS + 200, &folds);
	assert_int_equal(folds, VIEWS_FOLDS);
}

/* Sockets of one process: 12000 open and close, 60 an interval. */
static void test_conn_churn(void **state)
{
	enum { BATCH = 60, K = 200 };
	struct views *v = views_new();
	struct proc_view p[1] = {{.pid = 9}};
	struct snapshot s = {.n_procs = 1, .procs = p};
	struct st_conn_rec c = {.family = AF_INET, .proto = 6};
	uint64_t truth = 0, ival = 0, sum = 0, n = 0;

	(void)state;
	assert_non_null(v);
	for (uint32_t k = 0; k <= K; k++) {
		views_begin(v);
		for (uint32_t i = 1; k < K && i <= BATCH; i++) {
			c.cookie = k * BATCH + i;
			c.rx_bytes = 100;
			views_add_conn(v, 9, &c);
		}
		for (uint32_t i = 1; k && i <= BATCH; i++) {
			c.cookie = (k - 1) * BATCH + i;
			c.rx_bytes = 100 + c.cookie;
			views_add_conn_final(v, 9, &c);
			truth += c.rx_bytes;
		}
		attach(v, &s, p, 0);
		for (unsigned i = 0; i < p[0].n_conns; i++)
			ival += p[0].conns[i].rx_bytes;
	}
	assert_int_equal(views_dropped(v), 0);
	assert_int_equal(ival, truth);
	attach(v, &s, p, 1);
	for (unsigned i = 0; i < p[0].n_conns; i++) {
		sum += p[0].conns[i].rx_bytes;
		if (strcmp(p[0].conns[i].proto, "closed")) {
			n++;
			continue;
		}
		n += folded_count(p[0].conns[i].local);
		assert_string_equal(p[0].conns[i].remote, "");
	}
	assert_int_equal(sum, truth);
	assert_int_equal(n, (uint64_t)BATCH * K);
	free(p[0].thread_views);
	free(p[0].conns);
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
		cmocka_unit_test(test_threads),	      cmocka_unit_test(test_conns),
		cmocka_unit_test(test_full_counted),  cmocka_unit_test(test_thread_churn),
		cmocka_unit_test(test_process_churn), cmocka_unit_test(test_conn_churn),
		cmocka_unit_test(test_format_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
