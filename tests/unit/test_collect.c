/*
 * Unit tests for user/collect.c, fed cumulative readings of the kernel's rows
 * (struct st_proc_stat, struct st_syscall_stat from bpf/streamtrace.h) the
 * way the loader reads them each interval: interval deltas and run totals of
 * every counter, u32 histogram buckets that wrap (0xFFFFFFF0 -> 0x10 is +32,
 * into 64-bit totals), errno deltas, interval maximum vs run maximum, page
 * fault baselines per origin, lost-event deltas, queue figures (TCP bytes and
 * datagram messages, serving threads per interval and per run, the backlog
 * gauge), and the life of a process:
 * one that exits is in exactly one interval after its exit and in the
 * summary, a retired one stays in the summary, a reused slot starts afresh.
 * Seconds come from whole nanoseconds divided by 1e9, so they are compared
 * with a tolerance of 1e-12 s (a few ulps); counts are compared exactly.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "busy.h"
#include "collect.h"

static struct st_syscall_stat rows[ST_MAX_SYSCALLS];

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g +- %.3g", got, want, tol);
}

/* The process of that pid in the snapshot; fails if it is there more than once. */
static const struct proc_view *find_proc(const struct snapshot *s, uint32_t pid)
{
	const struct proc_view *found = NULL;

	for (unsigned i = 0; i < s->n_procs; i++) {
		if (s->procs[i].pid != pid)
			continue;
		if (found)
			fail_msg("pid %u appears twice", pid);
		found = &s->procs[i];
	}
	return found;
}

static const struct proc_view *must_find(const struct snapshot *s, uint32_t pid)
{
	const struct proc_view *v = find_proc(s, pid);

	if (!v)
		fail_msg("pid %u missing from the %s", pid, s->is_summary ? "summary" : "interval");
	return v;
}

static const struct syscall_row *find_sc(const struct proc_view *v, uint32_t nr)
{
	for (unsigned i = 0; i < v->n_syscalls; i++)
		if (v->syscalls[i].nr == nr)
			return &v->syscalls[i];
	return NULL;
}

static const struct syscall_row *must_find_sc(const struct proc_view *v, uint32_t nr)
{
	const struct syscall_row *r = find_sc(v, nr);

	if (!r)
		fail_msg("syscall %u missing for pid %u", nr, v->pid);
	return r;
}

static struct collector *new_collector(unsigned max)
{
	struct collector *c = collector_new(max);

	assert_non_null(c);
	memset(rows, 0, sizeof(rows));
	return c;
}

static void test_proc_stat_deltas(void **state)
{
	struct collector *c = new_collector(4);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 1, 100, "worker", ST_ORIGIN_ATTACH);
	assert_true(collector_proc_known(c, 1));
	assert_false(collector_proc_known(c, 0));
	assert_int_equal(collector_live(c), 1);

	memset(&cum, 0, sizeof(cum));
	cum.oncpu_ns = 1000000000;
	cum.offcpu_ns = 500000000;
	cum.runq_ns = 2000000;
	cum.runq_count = 4;
	cum.ctx_switches = 10;
	cum.invol_switches = 3;
	cum.rx_bytes = 1000;
	cum.tx_bytes = 500;
	cum.rx_ops = 10;
	cum.tx_ops = 5;
	cum.retransmits = 1;
	cum.resets_sent = 1;
	cum.resets_recv = 2;
	collector_update_stats(c, 1, &cum);
	assert_int_equal(collector_interval(c, 1000.5, 1.0, &s), 0);
	assert_int_equal(s.is_summary, 0);
	assert_true(s.time == 1000.5);
	assert_true(s.span_s == 1.0);
	assert_int_equal(s.n_procs, 1);
	v = must_find(&s, 100);
	assert_string_equal(v->comm, "worker");
	assert_int_equal(v->slot, 1);
	assert_int_equal(v->threads, 1);
	assert_int_equal(v->exited, 0);
	assert_close(v->oncpu_s, 1.0, 1e-12);
	assert_close(v->offcpu_s, 0.5, 1e-12);
	assert_close(v->runq_wait_s, 0.002, 1e-12);
	assert_int_equal(v->runq_count, 4);
	assert_int_equal(v->ctx_switches, 10);
	assert_int_equal(v->invol_switches, 3);
	assert_int_equal(v->rx_bytes, 1000);
	assert_int_equal(v->tx_bytes, 500);
	assert_int_equal(v->rx_ops, 10);
	assert_int_equal(v->tx_ops, 5);
	assert_int_equal(v->retransmits, 1);
	assert_int_equal(v->resets, 3); /* sent 1 + received 2 */
	assert_int_equal(v->drops, 0);
	snapshot_free(&s);

	/* second reading: each figure is the difference */
	cum.oncpu_ns = 2500000000;
	cum.runq_ns = 3000000;
	cum.runq_count = 6;
	cum.ctx_switches = 25;
	cum.rx_bytes = 4000;
	cum.rx_ops = 40;
	cum.resets_recv = 5;
	cum.drops = 2;
	collector_update_stats(c, 1, &cum);
	assert_int_equal(collector_interval(c, 1001.5, 1.0, &s), 0);
	v = must_find(&s, 100);
	assert_close(v->oncpu_s, 1.5, 1e-12);
	assert_close(v->offcpu_s, 0, 0);
	assert_close(v->runq_wait_s, 0.001, 1e-12);
	assert_int_equal(v->runq_count, 2);
	assert_int_equal(v->ctx_switches, 15);
	assert_int_equal(v->invol_switches, 0);
	assert_int_equal(v->rx_bytes, 3000);
	assert_int_equal(v->tx_bytes, 0);
	assert_int_equal(v->rx_ops, 30);
	assert_int_equal(v->resets, 3);
	assert_int_equal(v->drops, 2);
	snapshot_free(&s);

	/* nothing read: a live process with an empty interval is still listed */
	assert_int_equal(collector_interval(c, 1002.5, 1.0, &s), 0);
	v = must_find(&s, 100);
	assert_close(v->oncpu_s, 0, 0);
	assert_int_equal(v->ctx_switches, 0);
	assert_int_equal(v->rx_ops, 0);
	snapshot_free(&s);

	/* the run: the last cumulative reading itself */
	assert_int_equal(collector_summary(c, 1003, 3.0, &s), 0);
	assert_int_equal(s.is_summary, 1);
	assert_true(s.span_s == 3.0);
	v = must_find(&s, 100);
	assert_close(v->oncpu_s, 2.5, 1e-12);
	assert_close(v->offcpu_s, 0.5, 1e-12);
	assert_close(v->runq_wait_s, 0.003, 1e-12);
	assert_int_equal(v->runq_count, 6);
	assert_int_equal(v->ctx_switches, 25);
	assert_int_equal(v->invol_switches, 3);
	assert_int_equal(v->rx_bytes, 4000);
	assert_int_equal(v->rx_ops, 40);
	assert_int_equal(v->resets, 6);
	assert_int_equal(v->drops, 2);
	snapshot_free(&s);
	collector_free(c);
}

static void test_runq_hist_wrap(void **state)
{
	struct collector *c = new_collector(2);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	memset(&cum, 0, sizeof(cum));
	cum.runq_hist[12] = 0xFFFFFFF0u;
	cum.runq_hist[3] = 7;
	cum.runq_max_ns = 6000;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->runq_hist.b[12], 0xFFFFFFF0u);
	assert_int_equal(v->runq_hist.b[3], 7);
	snapshot_free(&s);

	/* bucket 12 wraps: 16 to reach 2^32, 16 past it */
	cum.runq_hist[12] = 0x10u;
	cum.runq_max_ns = 7000;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->runq_hist.b[12], 32);
	assert_int_equal(v->runq_hist.b[3], 0);
	assert_int_equal(hist_count(&v->runq_hist), 32);
	snapshot_free(&s);

	/* the run's total is past what a u32 holds: 0xFFFFFFF0 + 32 */
	assert_int_equal(collector_summary(c, 3, 2, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->runq_hist.b[12], UINT64_C(0x100000010));
	assert_int_equal(v->runq_hist.b[3], 7);
	/* the run maximum is the kernel's latest reading */
	assert_true(v->runq_max_ns == 7000);
	snapshot_free(&s);
	collector_free(c);
}

static void test_syscall_deltas(void **state)
{
	struct collector *c = new_collector(2);
	struct snapshot s;
	const struct proc_view *v;
	const struct syscall_row *r;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	rows[0] = (struct st_syscall_stat){
		.count = 5, .errors = 1, .total_ns = 5000, .max_ns = 2000, .ep_max_ns = {2000}};
	rows[0].hist[10] = 5;
	rows[1] = (struct st_syscall_stat){
		.count = 20, .total_ns = 20000, .max_ns = 1100, .ep_max_ns = {1100}};
	rows[1].hist[10] = 20;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->n_syscalls, 2);
	/* busiest first */
	assert_int_equal(v->syscalls[0].nr, 1);
	assert_int_equal(v->syscalls[1].nr, 0);
	r = must_find_sc(v, 0);
	assert_int_equal(r->count, 5);
	assert_int_equal(r->errors, 1);
	assert_int_equal(r->total_ns, 5000);
	assert_int_equal(r->max_ns, 2000);
	assert_true(r->max_known);
	assert_int_equal(r->hist.b[10], 5);
	assert_int_equal(hist_count(&r->hist), 5);
	snapshot_free(&s);

	/* read: 3 more calls, none failed; write: none in this interval */
	rows[0].count = 8;
	rows[0].total_ns = 9000;
	rows[0].ep_max_ns[0] = 1500;
	rows[0].hist[10] = 8;
	rows[1].ep_max_ns[0] = 0;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	v = must_find(&s, 10);
	/* a syscall with no calls in the span is not listed */
	assert_int_equal(v->n_syscalls, 1);
	assert_null(find_sc(v, 1));
	r = must_find_sc(v, 0);
	assert_int_equal(r->count, 3);
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->total_ns, 4000);
	assert_int_equal(r->hist.b[10], 3);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 3, 2, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->n_syscalls, 2);
	assert_int_equal(v->syscalls[0].nr, 1);
	r = must_find_sc(v, 0);
	assert_int_equal(r->count, 8);
	assert_int_equal(r->errors, 1);
	assert_int_equal(r->total_ns, 9000);
	assert_int_equal(r->hist.b[10], 8);
	r = must_find_sc(v, 1);
	assert_int_equal(r->count, 20);
	assert_int_equal(r->total_ns, 20000);
	snapshot_free(&s);
	collector_free(c);
}

/* Equal counts: lower number first, so the order never depends on history. */
static void test_syscall_order_ties(void **state)
{
	struct collector *c = new_collector(1);
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	rows[300].count = 4;
	rows[7].count = 4;
	rows[42].count = 9;
	rows[1].count = 1;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->n_syscalls, 4);
	assert_int_equal(v->syscalls[0].nr, 42);
	assert_int_equal(v->syscalls[1].nr, 7);
	assert_int_equal(v->syscalls[2].nr, 300);
	assert_int_equal(v->syscalls[3].nr, 1);
	snapshot_free(&s);
	collector_free(c);
}

static void test_syscall_hist_wrap(void **state)
{
	struct collector *c = new_collector(1);
	struct snapshot s;
	const struct syscall_row *r;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	rows[3].count = 0xFFFFFFF0u;
	rows[3].hist[3] = 0xFFFFFFF0u;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 3);
	assert_int_equal(r->count, 0xFFFFFFF0u);
	assert_int_equal(r->hist.b[3], 0xFFFFFFF0u);
	snapshot_free(&s);

	/* the u64 count goes on; the u32 bucket wraps to 0x10: +32 both */
	rows[3].count = UINT64_C(0x100000010);
	rows[3].hist[3] = 0x10u;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 3);
	assert_int_equal(r->count, 32);
	assert_int_equal(r->hist.b[3], 32);
	assert_int_equal(hist_count(&r->hist), 32);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 3, 2, &s), 0);
	r = must_find_sc(must_find(&s, 10), 3);
	assert_int_equal(r->count, UINT64_C(0x100000010));
	assert_int_equal(r->hist.b[3], UINT64_C(0x100000010));
	/* histogram and count agree over the run */
	assert_int_equal(hist_count(&r->hist), r->count);
	snapshot_free(&s);
	collector_free(c);
}

/* The interval maximum is the interval's own (ep_max_ns[0]), the summary's
 * the kernel's run maximum (max_ns). */
static void test_interval_max_vs_run_max(void **state)
{
	struct collector *c = new_collector(1);
	struct snapshot s;
	const struct syscall_row *r;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	rows[0] = (struct st_syscall_stat){.count = 1, .max_ns = 2000, .ep_max_ns = {2000}};
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	assert_int_equal(must_find_sc(must_find(&s, 10), 0)->max_ns, 2000);
	snapshot_free(&s);

	/* a slower call earlier does not raise this interval's maximum */
	rows[0].count = 2;
	rows[0].ep_max_ns[0] = 1500;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 0);
	assert_int_equal(r->max_ns, 1500);
	assert_true(r->max_known);
	snapshot_free(&s);
	assert_int_equal(collector_summary(c, 2, 2, &s), 0);
	assert_int_equal(must_find_sc(must_find(&s, 10), 0)->max_ns, 2000);
	snapshot_free(&s);

	/* a new run maximum shows in both */
	rows[0].count = 3;
	rows[0].ep_max_ns[0] = 3000;
	rows[0].max_ns = 3000;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 3, 1, &s), 0);
	assert_int_equal(must_find_sc(must_find(&s, 10), 0)->max_ns, 3000);
	snapshot_free(&s);
	assert_int_equal(collector_summary(c, 3, 3, &s), 0);
	assert_int_equal(must_find_sc(must_find(&s, 10), 0)->max_ns, 3000);
	snapshot_free(&s);
	collector_free(c);
}

static const struct errno_count *find_errno(const struct syscall_row *r, uint16_t err)
{
	for (unsigned i = 0; i < r->n_errnos; i++)
		if (r->errnos[i].err == err)
			return &r->errnos[i];
	return NULL;
}

static uint64_t errno_count(const struct syscall_row *r, uint16_t err)
{
	const struct errno_count *e = find_errno(r, err);

	return e ? e->count : 0;
}

static void test_errno_deltas(void **state)
{
	struct collector *c = new_collector(1);
	struct snapshot s;
	const struct syscall_row *r;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	/* open (2): 4 calls, 3 ENOENT */
	rows[2].count = 4;
	rows[2].errors = 3;
	collector_update_syscalls(c, 0, rows);
	collector_update_errno(c, 0, 2, ENOENT, 3);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 2);
	assert_int_equal(r->errors, 3);
	assert_int_equal(r->n_errnos, 1);
	assert_int_equal(errno_count(r, ENOENT), 3);
	snapshot_free(&s);

	/* 6 more calls, 5 more errors: ENOENT 3 -> 7, EACCES 0 -> 1 */
	rows[2].count = 10;
	rows[2].errors = 8;
	collector_update_syscalls(c, 0, rows);
	collector_update_errno(c, 0, 2, ENOENT, 7);
	collector_update_errno(c, 0, 2, EACCES, 1);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 2);
	assert_int_equal(r->errors, 5);
	assert_int_equal(r->n_errnos, 2);
	assert_int_equal(errno_count(r, ENOENT), 4);
	assert_int_equal(errno_count(r, EACCES), 1);
	snapshot_free(&s);

	/* ENOENT unchanged: not listed for this interval */
	rows[2].count = 12;
	rows[2].errors = 9;
	collector_update_syscalls(c, 0, rows);
	collector_update_errno(c, 0, 2, ENOENT, 7);
	collector_update_errno(c, 0, 2, EACCES, 2);
	assert_int_equal(collector_interval(c, 3, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 2);
	assert_int_equal(r->n_errnos, 1);
	assert_null(find_errno(r, ENOENT));
	assert_int_equal(errno_count(r, EACCES), 1);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 4, 3, &s), 0);
	r = must_find_sc(must_find(&s, 10), 2);
	assert_int_equal(r->count, 12);
	assert_int_equal(r->errors, 9);
	assert_int_equal(errno_count(r, ENOENT), 7);
	assert_int_equal(errno_count(r, EACCES), 2);
	snapshot_free(&s);
	collector_free(c);
}

/* More distinct errnos than a row holds: the first ST_MAX_ERRNOS_PER_SYSCALL
 * are kept, the rest still count in errors. */
static void test_errno_cap(void **state)
{
	struct collector *c = new_collector(1);
	struct snapshot s;
	const struct syscall_row *r;

	(void)state;
	collector_proc_begin(c, 0, 10, "w", ST_ORIGIN_ATTACH);
	rows[5].count = 20;
	rows[5].errors = 20;
	collector_update_syscalls(c, 0, rows);
	for (uint32_t e = 1; e <= 20; e++)
		collector_update_errno(c, 0, 5, e, 1);
	assert_int_equal(collector_summary(c, 1, 1, &s), 0);
	r = must_find_sc(must_find(&s, 10), 5);
	assert_int_equal(r->errors, 20);
	assert_int_equal(r->n_errnos, ST_MAX_ERRNOS_PER_SYSCALL);
	for (uint16_t e = 1; e <= ST_MAX_ERRNOS_PER_SYSCALL; e++)
		assert_int_equal(errno_count(r, e), 1);
	snapshot_free(&s);
	collector_free(c);
}

static void test_exit_reported_once(void **state)
{
	struct collector *c = new_collector(4);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 100, "leaver", ST_ORIGIN_ATTACH);
	collector_proc_begin(c, 1, 200, "stayer", ST_ORIGIN_ATTACH);
	memset(&cum, 0, sizeof(cum));
	cum.oncpu_ns = 1000000000;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	assert_int_equal(s.n_procs, 2);
	assert_int_equal(must_find(&s, 100)->exited, 0);
	snapshot_free(&s);

	/* the last reading, then the exit (status 3: 0x0300) */
	cum.oncpu_ns = 1500000000;
	collector_update_stats(c, 0, &cum);
	collector_proc_exit(c, 0, 0x0300);
	/* a second exit report changes nothing */
	collector_proc_exit(c, 0, 0x0009);
	assert_int_equal(collector_live(c), 1);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	assert_int_equal(s.n_procs, 2);
	v = must_find(&s, 100);
	assert_int_equal(v->exited, 1);
	assert_int_equal(v->exit_code, 0x0300);
	assert_int_equal(v->threads, 0);
	assert_close(v->oncpu_s, 0.5, 1e-12);
	assert_int_equal(must_find(&s, 200)->exited, 0);
	snapshot_free(&s);

	/* reported: gone from the intervals that follow */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(collector_interval(c, 3 + i, 1, &s), 0);
		assert_int_equal(s.n_procs, 1);
		assert_null(find_proc(&s, 100));
		must_find(&s, 200);
		snapshot_free(&s);
	}

	/* but in the summary, once, with its whole run */
	assert_int_equal(collector_summary(c, 5, 5, &s), 0);
	assert_int_equal(s.n_procs, 2);
	v = must_find(&s, 100);
	assert_int_equal(v->exited, 1);
	assert_int_equal(v->exit_code, 0x0300);
	assert_close(v->oncpu_s, 1.5, 1e-12);
	must_find(&s, 200);
	snapshot_free(&s);
	collector_free(c);
}

static void test_retire_and_reuse(void **state)
{
	struct collector *c = new_collector(2);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 100, "first", ST_ORIGIN_ATTACH);
	memset(&cum, 0, sizeof(cum));
	cum.oncpu_ns = 1000000000;
	collector_update_stats(c, 0, &cum);
	rows[0].count = 5;
	collector_update_syscalls(c, 0, rows);
	collector_proc_exit(c, 0, 0);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	assert_int_equal(must_find(&s, 100)->exited, 1);
	snapshot_free(&s);

	/* the loader releases the slot; the kernel hands it, zeroed, to a newcomer */
	collector_proc_retire(c, 0);
	assert_false(collector_proc_known(c, 0));
	assert_int_equal(collector_live(c), 0);
	collector_proc_begin(c, 0, 300, "second", ST_ORIGIN_FORK);
	memset(&cum, 0, sizeof(cum));
	memset(rows, 0, sizeof(rows));
	cum.oncpu_ns = 200000000;
	collector_update_stats(c, 0, &cum);
	rows[1].count = 2;
	collector_update_syscalls(c, 0, rows);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	assert_int_equal(s.n_procs, 1);
	assert_null(find_proc(&s, 100));
	v = must_find(&s, 300);
	/* counted from zero, not from the old occupant's 1 s */
	assert_close(v->oncpu_s, 0.2, 1e-12);
	assert_int_equal(v->n_syscalls, 1);
	assert_int_equal(must_find_sc(v, 1)->count, 2);
	snapshot_free(&s);

	/* beginning a slot that is still held retires the holder */
	collector_proc_begin(c, 1, 400, "third", ST_ORIGIN_ATTACH);
	collector_proc_begin(c, 1, 500, "fourth", ST_ORIGIN_ATTACH);

	assert_int_equal(collector_summary(c, 3, 3, &s), 0);
	assert_int_equal(s.n_procs, 4);
	v = must_find(&s, 100);
	assert_int_equal(v->exited, 1);
	assert_close(v->oncpu_s, 1.0, 1e-12);
	assert_int_equal(v->n_syscalls, 1);
	assert_int_equal(must_find_sc(v, 0)->count, 5);
	v = must_find(&s, 300);
	assert_close(v->oncpu_s, 0.2, 1e-12);
	assert_null(find_sc(v, 0));
	must_find(&s, 400);
	must_find(&s, 500);
	/* ordered by pid */
	for (unsigned i = 1; i < s.n_procs; i++)
		assert_true(s.procs[i - 1].pid < s.procs[i].pid);
	snapshot_free(&s);
	collector_free(c);
}

static void test_lost_deltas(void **state)
{
	struct collector *c = new_collector(1);
	struct lost_counts cum;
	struct snapshot s;

	(void)state;
	memset(&cum, 0, sizeof(cum));
	cum.kinds[ST_LOST_RINGBUF] = 5;
	collector_set_lost(c, &cum);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	assert_int_equal(s.lost.kinds[ST_LOST_RINGBUF], 5);
	assert_int_equal(lost_total(&s.lost), 5);
	snapshot_free(&s);

	cum.kinds[ST_LOST_RINGBUF] = 7;
	cum.kinds[ST_LOST_PROCS_FULL] = 1;
	cum.recursion = 2;
	collector_set_lost(c, &cum);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	assert_int_equal(s.lost.kinds[ST_LOST_RINGBUF], 2);
	assert_int_equal(s.lost.kinds[ST_LOST_PROCS_FULL], 1);
	assert_int_equal(s.lost.recursion, 2);
	assert_int_equal(lost_total(&s.lost), 5);
	snapshot_free(&s);

	/* no new reading: nothing lost in this interval */
	assert_int_equal(collector_interval(c, 3, 1, &s), 0);
	assert_int_equal(lost_total(&s.lost), 0);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 4, 3, &s), 0);
	assert_int_equal(s.lost.kinds[ST_LOST_RINGBUF], 7);
	assert_int_equal(s.lost.kinds[ST_LOST_PROCS_FULL], 1);
	assert_int_equal(s.lost.recursion, 2);
	assert_int_equal(lost_total(&s.lost), 10);
	snapshot_free(&s);
	collector_free(c);
}

static struct procfs_stat pstat(uint64_t minflt, uint64_t majflt, uint64_t rss, uint32_t threads)
{
	struct procfs_stat st;

	memset(&st, 0, sizeof(st));
	st.state = 'S';
	st.minflt = minflt;
	st.majflt = majflt;
	st.rss_bytes = rss;
	st.threads = threads;
	return st;
}

static void test_faults_and_rss(void **state)
{
	struct collector *c = new_collector(4);
	struct procfs_stat st;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	/* attached: counted from the values when tracing began */
	collector_proc_begin(c, 0, 10, "attached", ST_ORIGIN_ATTACH);
	collector_fault_base(c, 0, 1000, 10);
	/* forked: its counters start at zero */
	collector_proc_begin(c, 1, 11, "forked", ST_ORIGIN_FORK);
	/* exec'd: first sight is the baseline */
	collector_proc_begin(c, 2, 12, "execd", ST_ORIGIN_EXEC_COMM);
	/* never seen in /proc */
	collector_proc_begin(c, 3, 13, "unseen", ST_ORIGIN_FORK);

	st = pstat(1100, 12, 8192, 4);
	collector_update_procfs(c, 0, &st);
	st = pstat(30, 1, 4096, 1);
	collector_update_procfs(c, 1, &st);
	st = pstat(5000, 7, 12288, 2);
	collector_update_procfs(c, 2, &st);
	assert_int_equal(collector_interval(c, 1, 1, &s), 0);
	v = must_find(&s, 10);
	assert_true(v->faults_known);
	assert_int_equal(v->page_faults, 102); /* 100 minor + 2 major */
	assert_int_equal(v->major_faults, 2);
	assert_true(v->rss_known);
	assert_int_equal(v->rss_bytes, 8192);
	assert_int_equal(v->threads, 4);
	v = must_find(&s, 11);
	assert_int_equal(v->page_faults, 31);
	assert_int_equal(v->major_faults, 1);
	v = must_find(&s, 12);
	assert_true(v->faults_known);
	assert_int_equal(v->page_faults, 0);
	assert_int_equal(v->threads, 2);
	v = must_find(&s, 13);
	assert_false(v->faults_known);
	assert_false(v->rss_known);
	snapshot_free(&s);

	st = pstat(1150, 12, 16384, 3);
	collector_update_procfs(c, 0, &st);
	st = pstat(5010, 8, 12288, 2);
	collector_update_procfs(c, 2, &st);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->page_faults, 50);
	assert_int_equal(v->major_faults, 0);
	assert_int_equal(v->rss_bytes, 16384);
	v = must_find(&s, 12);
	assert_int_equal(v->page_faults, 11);
	assert_int_equal(v->major_faults, 1);
	snapshot_free(&s);

	/* after its exit, /proc figures of the slot's pid are not its own */
	collector_proc_exit(c, 0, 0);
	st = pstat(9999, 99, 1, 1);
	collector_update_procfs(c, 0, &st);

	assert_int_equal(collector_summary(c, 3, 2, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->page_faults, 152);
	assert_int_equal(v->major_faults, 2);
	assert_int_equal(v->threads, 0);
	v = must_find(&s, 11);
	assert_int_equal(v->page_faults, 31);
	v = must_find(&s, 12);
	assert_int_equal(v->page_faults, 11);
	assert_int_equal(v->major_faults, 1);
	snapshot_free(&s);
	collector_free(c);
}

/*
 * TCP queue figures over a 10 s span. The process dequeued 1000 ops carrying
 * 100000 bytes (0.01 op per byte) and 100000 bytes arrived, so λ = X = 100
 * ops/s. The backlog integral 488281250 x 1024 ns of bytes is 500 byte-s,
 * 5 op-s, a mean of Lq = 0.5 op waiting, so Wq = Lq / λ = 5 ms (Little's law).
 * Two serving threads were busy 2 s in all: S = 2 s / 1000 ops = 2 ms,
 * U = 2 / (2 x 10) = 0.1, ρ = λS/c = 0.1, L = Lq + busy/span = 0.7,
 * W = Wq + S = 7 ms. Tolerance 1e-12 relative to each figure's size (a few
 * roundings of doubles).
 */
static void fill_tcp_counters(struct st_proc_stat *cum)
{
	memset(cum, 0, sizeof(*cum));
	cum->rx_ops = 1000;
	cum->rx_bytes = 100000;
	cum->rx_tcp_ops = 1000;
	cum->rx_tcp_bytes = 100000;
	cum->arr_bytes = 100000;
	cum->backlog_int = 488281250;
	cum->svc_ns = 2000000000;
	cum->svc_count = 1000;
	cum->servers_run = 2;
	cum->srv_cnt[0] = 2;
}

static void test_queue_tcp(void **state)
{
	struct collector *c = new_collector(2);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;
	const struct queue_figures *q;

	(void)state;
	collector_proc_begin(c, 0, 10, "server", ST_ORIGIN_ATTACH);
	collector_proc_begin(c, 1, 11, "idle", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	v = must_find(&s, 10);
	assert_true(v->has_queue);
	q = &v->queue;
	assert_close(q->arrival_rate, 100, 1e-10);
	assert_close(q->throughput, 100, 1e-10);
	assert_int_equal(q->servers, 2);
	assert_close(q->service_time_s, 0.002, 1e-14);
	assert_close(q->service_rate, 500, 1e-9);
	assert_close(q->utilization, 0.1, 1e-13);
	assert_close(q->rho, 0.1, 1e-13);
	assert_close(q->wait_s, 0.005, 1e-14);
	assert_close(q->response_s, 0.007, 1e-14);
	assert_close(q->queue_length, 0.7, 1e-12);
	assert_false(q->saturated);
	/* received nothing, nothing arrived: no queue to speak of */
	assert_false(must_find(&s, 11)->has_queue);
	snapshot_free(&s);
	collector_free(c);
}

/*
 * Messages (issue 8). The same TCP counters as test_queue_tcp, but the
 * kernel framed the bytes as RESP: the 1000 receives carried 4000 commands
 * (pipelined, 25 bytes each). The unit is resp and every figure is per
 * message: λ = 100000 bytes arrived x 4000/100000 messages per byte / 10 s =
 * 400/s = X; S = 2 s / 4000 = 0.5 ms; ρ = λS/c = 0.1 as before (the busy
 * time did not change); Lq = 500 byte-s x 0.04 / 10 s = 2 messages and
 * Wq = Lq / λ = 5 ms (a wait in seconds does not depend on the unit).
 * Then an interval with bytes arriving but nothing read: λ from the run's
 * bytes per message (2000 bytes = 80 commands in 10 s = 8/s), X = 0, the
 * server falling behind. Then one with RESP and turns on two connections:
 * unit mixed, λ and X summing both, each listed. The summary over 30 s adds
 * up the run. A process that writes on no framed connection has tx_msgs
 * unknown; one with no message counters at all (an older kernel side) has
 * its messages unknown and its unit "receive".
 */
static void test_queue_messages(void **state)
{
	struct collector *c = new_collector(3);
	struct st_proc_stat cum, other;
	struct snapshot s;
	const struct proc_view *v;
	const struct queue_figures *q;

	(void)state;
	collector_proc_begin(c, 0, 10, "redis", ST_ORIGIN_ATTACH);
	collector_proc_begin(c, 1, 11, "sink", ST_ORIGIN_ATTACH);
	collector_proc_begin(c, 2, 12, "old", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	cum.msg_rx[ST_UNIT_RESP] = 4000;
	cum.msg_rx_bytes[ST_UNIT_RESP] = 100000;
	cum.msg_arr_bytes[ST_UNIT_RESP] = 100000;
	cum.msg_tx[ST_UNIT_RESP] = 3990;
	cum.msg_tx_bytes[ST_UNIT_RESP] = 20000;
	collector_update_stats(c, 0, &cum);
	/* a one-way stream: receives, nothing written */
	fill_tcp_counters(&other);
	other.msg_rx[ST_UNIT_RECEIVE] = 1000;
	other.msg_rx_bytes[ST_UNIT_RECEIVE] = 100000;
	other.recv_tcp_ops = 1000;
	other.recv_tcp_bytes = 100000;
	other.msg_arr_bytes[ST_UNIT_RECEIVE] = 50000;
	collector_update_stats(c, 1, &other);
	fill_tcp_counters(&other);
	collector_update_stats(c, 2, &other);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	v = must_find(&s, 10);
	assert_true(v->msgs_known);
	assert_int_equal(v->unit, ST_UNIT_RESP);
	assert_int_equal(v->rx_msgs, 4000);
	assert_true(v->tx_msgs_known);
	assert_int_equal(v->tx_msgs, 3990);
	assert_int_equal(v->rx_ops, 1000); /* receives still counted as such */
	q = &v->queue;
	assert_close(q->arrival_rate, 400, 1e-10);
	assert_close(q->throughput, 400, 1e-10);
	assert_close(q->service_time_s, 0.0005, 1e-15);
	assert_close(q->rho, 0.1, 1e-13);
	assert_close(q->wait_s, 0.005, 1e-14);
	assert_close(q->response_s, 0.0055, 1e-14);
	assert_int_equal(v->n_units, 1);
	v = must_find(&s, 11);
	assert_true(v->msgs_known);
	assert_int_equal(v->unit, ST_UNIT_RECEIVE);
	assert_int_equal(v->rx_msgs, 1000);
	assert_false(v->tx_msgs_known);
	/* 50000 bytes at 100 bytes per receive: 500 in 10 s */
	assert_close(v->queue.arrival_rate, 50, 1e-10);
	assert_close(v->queue.throughput, 100, 1e-10);
	v = must_find(&s, 12);
	assert_false(v->msgs_known);
	assert_int_equal(v->unit, ST_UNIT_RECEIVE);
	assert_close(v->queue.arrival_rate, 100, 1e-10); /* per receive, as before */
	snapshot_free(&s);

	/* bytes arrive, nothing is read: the server falls behind */
	cum.arr_bytes += 2000;
	cum.msg_arr_bytes[ST_UNIT_RESP] += 2000;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 20, 10, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->unit, ST_UNIT_RESP);
	assert_int_equal(v->rx_msgs, 0);
	assert_true(v->tx_msgs_known); /* known: a connection is framed, none written */
	assert_int_equal(v->tx_msgs, 0);
	assert_close(v->queue.arrival_rate, 8, 1e-12);
	assert_close(v->queue.throughput, 0, 0);
	snapshot_free(&s);

	/* RESP and turns: mixed */
	cum.rx_ops += 70;
	cum.rx_bytes += 1600 + 3000;
	cum.rx_tcp_ops += 70;
	cum.rx_tcp_bytes += 1600 + 3000;
	cum.msg_rx[ST_UNIT_RESP] += 40;
	cum.msg_rx_bytes[ST_UNIT_RESP] += 1600;
	cum.msg_arr_bytes[ST_UNIT_RESP] += 1600;
	cum.msg_rx[ST_UNIT_TURN] += 30;
	cum.msg_rx_bytes[ST_UNIT_TURN] += 3000;
	cum.msg_arr[ST_UNIT_TURN] += 30;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 30, 10, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->unit, ST_UNIT_MIXED);
	assert_int_equal(v->rx_msgs, 70);
	/* RESP: 1600 bytes at 40 bytes per message, the span's own ratio */
	assert_close(v->queue.arrival_rate, 7, 1e-12);
	assert_close(v->queue.throughput, 7, 1e-12);
	assert_int_equal(v->n_units, 2);
	assert_int_equal(v->units[0].unit, ST_UNIT_RESP);
	assert_int_equal(v->units[0].msgs, 40);
	assert_close(v->units[0].arrival_rate, 4, 1e-12);
	assert_int_equal(v->units[1].unit, ST_UNIT_TURN);
	assert_close(v->units[1].throughput, 3, 1e-12);
	snapshot_free(&s);

	/* the run: 4040 RESP messages in 101600 bytes; 103600 arrived */
	assert_int_equal(collector_summary(c, 30, 30, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->unit, ST_UNIT_MIXED);
	assert_int_equal(v->rx_msgs, 4070);
	assert_int_equal(v->tx_msgs, 3990);
	assert_close(v->queue.arrival_rate, (103600.0 * 4040 / 101600 + 30) / 30, 1e-10);
	assert_close(v->queue.throughput, 4070.0 / 30, 1e-10);
	snapshot_free(&s);
	collector_free(c);
}

/*
 * Datagram sockets count arrivals as messages and the backlog as queued
 * messages: 500 messages in 10 s is λ = 50/s; a mean of 2 queued messages
 * (qlen_int = 2 x 10 s / 1024 ns = 19531250) waits Wq = 2 / 50 = 40 ms.
 */
static void test_queue_datagram(void **state)
{
	struct collector *c = new_collector(1);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct queue_figures *q;

	(void)state;
	collector_proc_begin(c, 0, 10, "udp", ST_ORIGIN_ATTACH);
	memset(&cum, 0, sizeof(cum));
	cum.rx_ops = 500;
	cum.rx_bytes = 500 * 64;
	cum.arr_events = 500;
	cum.qlen_int = 19531250;
	cum.svc_ns = 1000000000;
	cum.servers_run = 1;
	cum.srv_cnt[0] = 1;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	q = &must_find(&s, 10)->queue;
	assert_close(q->arrival_rate, 50, 1e-10);
	assert_close(q->throughput, 50, 1e-10);
	assert_close(q->wait_s, 0.04, 1e-14);
	/* S = 1 s / 500 = 2 ms; ρ = 50 x 0.002 / 1 = 0.1 */
	assert_close(q->service_time_s, 0.002, 1e-14);
	assert_close(q->rho, 0.1, 1e-13);
	snapshot_free(&s);
	collector_free(c);
}

/* Serving threads: the interval's are the threads that received in it (an
 * epoch count, not cumulative); the run's every thread that ever received. */
static void test_queue_servers_interval_vs_run(void **state)
{
	struct collector *c = new_collector(1);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct queue_figures *q;

	(void)state;
	collector_proc_begin(c, 0, 10, "server", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	assert_int_equal(must_find(&s, 10)->queue.servers, 2);
	snapshot_free(&s);

	/* next 10 s: one thread (a new one) received 1000 more ops, busy 4 s */
	cum.rx_ops = 2000;
	cum.rx_bytes = cum.rx_tcp_bytes = cum.arr_bytes = 200000;
	cum.rx_tcp_ops = 2000;
	cum.svc_ns = 6000000000;
	cum.servers_run = 3;
	cum.srv_cnt[0] = 1;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 20, 10, &s), 0);
	q = &must_find(&s, 10)->queue;
	assert_int_equal(q->servers, 1);
	/* U = 4 s / (1 x 10 s); S = 4 s / 1000 */
	assert_close(q->utilization, 0.4, 1e-13);
	assert_close(q->service_time_s, 0.004, 1e-14);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 20, 20, &s), 0);
	q = &must_find(&s, 10)->queue;
	assert_int_equal(q->servers, 3);
	/* S = 6 s / 2000 ops */
	assert_close(q->service_time_s, 0.003, 1e-14);
	assert_close(q->arrival_rate, 100, 1e-10);
	snapshot_free(&s);
	collector_free(c);
}

/*
 * Variability and the waits timed one by one. Arrival gaps of 5, 15, 5, 15
 * units of 64 ns: mean 10, mean square 125, variance 25, so ca² = 0.25.
 * Service: 1000 ops, 2 s, mean 31250 units; a mean square of twice the square
 * of the mean (svc_sq = 1000 x 2 x 31250²) gives cs² = 1. Timed waits: 1000
 * waits summing to 5 s, 5 ms each on average; the wait and service
 * histograms wrap like every u32 bucket (0xFFFFFFFF -> 3 is +4).
 */
static void test_queue_variability_and_waits(void **state)
{
	struct collector *c = new_collector(1);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 10, "server", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	cum.arr_gap_count = 4;
	cum.arr_gap_ns = (5 + 15 + 5 + 15) * 64;
	cum.arr_gap_sq = 25 + 225 + 25 + 225;
	cum.svc_sq = UINT64_C(1000) * 2 * 31250 * 31250;
	cum.wait_ns = 5000000000;
	cum.wait_count = 1000;
	cum.wait_hist[22] = 0xFFFFFFFFu;
	cum.svc_hist[20] = 0xFFFFFFFEu;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	v = must_find(&s, 10);
	assert_close(v->arrival_cv2, 0.25, 1e-12);
	assert_close(v->service_cv2, 1.0, 1e-12);
	assert_close(v->wait_timed_s, 0.005, 1e-15);
	assert_true(v->wait_hist_known);
	assert_int_equal(v->wait_hist.b[22], 0xFFFFFFFFu);
	assert_int_equal(v->svc_hist.b[20], 0xFFFFFFFEu);
	snapshot_free(&s);

	/* 500 more waits of 1 ms each; both histograms wrap */
	cum.rx_ops += 500;
	cum.wait_ns += 500000000;
	cum.wait_count += 500;
	cum.wait_hist[22] = 3;
	cum.svc_hist[20] = 1;
	collector_update_stats(c, 0, &cum);
	assert_int_equal(collector_interval(c, 20, 10, &s), 0);
	v = must_find(&s, 10);
	assert_close(v->wait_timed_s, 0.001, 1e-15);
	assert_int_equal(v->wait_hist.b[22], 4);
	assert_int_equal(v->svc_hist.b[20], 3);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 20, 20, &s), 0);
	v = must_find(&s, 10);
	/* 5.5 s over 1500 waits */
	assert_close(v->wait_timed_s, 5.5 / 1500, 1e-15);
	assert_int_equal(v->wait_hist.b[22], UINT64_C(0x100000003));
	assert_int_equal(v->svc_hist.b[20], UINT64_C(0x100000001));
	snapshot_free(&s);
	collector_free(c);
}

/* The backlog gauge: shown as read last; a backlog that grows through a span
 * (here 1000 -> 100000 bytes, past max(4096, 10%)) marks the span saturated. */
static void test_backlog_gauge(void **state)
{
	struct collector *c = new_collector(1);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	collector_proc_begin(c, 0, 10, "server", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	collector_update_stats(c, 0, &cum);
	collector_update_backlog(c, 0, 1000);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	v = must_find(&s, 10);
	assert_true(v->backlog_known);
	assert_int_equal(v->backlog_bytes, 1000);
	assert_false(v->queue.saturated);
	snapshot_free(&s);

	cum.rx_ops += 1;
	collector_update_stats(c, 0, &cum);
	collector_update_backlog(c, 0, 100000);
	assert_int_equal(collector_interval(c, 20, 10, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->backlog_bytes, 100000);
	assert_true(v->queue.saturated);
	snapshot_free(&s);

	/* steady at 100000: no growth in this span */
	cum.rx_ops += 1;
	collector_update_stats(c, 0, &cum);
	collector_update_backlog(c, 0, 100000);
	assert_int_equal(collector_interval(c, 30, 10, &s), 0);
	v = must_find(&s, 10);
	assert_int_equal(v->backlog_bytes, 100000);
	assert_false(v->queue.saturated);
	snapshot_free(&s);

	/* over the run it grew from 1000 */
	assert_int_equal(collector_summary(c, 30, 30, &s), 0);
	assert_true(must_find(&s, 10)->queue.saturated);
	snapshot_free(&s);

	/* a negative reading (racing updates) is an empty queue */
	collector_update_backlog(c, 0, -5);
	assert_int_equal(collector_interval(c, 40, 10, &s), 0);
	assert_int_equal(must_find(&s, 10)->backlog_bytes, 0);
	snapshot_free(&s);

	/* never read: unknown */
	collector_proc_begin(c, 0, 20, "other", ST_ORIGIN_ATTACH);
	assert_int_equal(collector_interval(c, 50, 10, &s), 0);
	assert_false(must_find(&s, 20)->backlog_known);
	snapshot_free(&s);
	collector_free(c);
}

static void test_unknown_slots_and_comm(void **state)
{
	struct collector *c = new_collector(2);
	struct st_proc_stat cum;
	struct snapshot s;
	const struct proc_view *v;

	(void)state;
	memset(&cum, 0, sizeof(cum));
	cum.oncpu_ns = 1;
	/* out of range or empty slots: ignored, nothing appears */
	collector_proc_begin(c, 2, 99, "far", ST_ORIGIN_ATTACH);
	assert_false(collector_proc_known(c, 2));
	collector_update_stats(c, 1, &cum);
	collector_update_stats(c, 7, &cum);
	rows[0].count = 1;
	collector_update_syscalls(c, 1, rows);
	collector_update_errno(c, 1, 0, 2, 1);
	collector_proc_exit(c, 1, 0);
	collector_proc_retire(c, 1);
	assert_int_equal(collector_live(c), 0);
	assert_int_equal(collector_summary(c, 1, 1, &s), 0);
	assert_int_equal(s.n_procs, 0);
	snapshot_free(&s);

	/* comm: renamed (exec), and cut to 15 characters */
	collector_proc_begin(c, 0, 10, "0123456789abcdefghij", ST_ORIGIN_ATTACH);
	assert_int_equal(collector_interval(c, 2, 1, &s), 0);
	assert_string_equal(must_find(&s, 10)->comm, "0123456789abcde");
	snapshot_free(&s);
	collector_proc_comm(c, 0, "nginx");
	assert_int_equal(collector_summary(c, 3, 2, &s), 0);
	v = must_find(&s, 10);
	assert_string_equal(v->comm, "nginx");
	snapshot_free(&s);
	collector_free(c);
	collector_free(NULL);
}

/*
 * Busy time from the busy iterator's readings: the live threads' totals plus
 * the exited threads' (kernel counters), as deltas. Over two intervals of
 * 10 s: 4 s then 3 s of busy, one thread exiting in the second (its 5 s
 * total moves from the live sum to exit_busy_ns), so the run is 7 s and the
 * intervals add up to it. Dispatch: 100 of the 1000 ops found the server
 * idle, 20 µs each (D = 2 µs per op), and waited 50 µs from the wake-up to
 * the receive, which comes out of the measured Wq (5 ms - 5 µs); U counts
 * the dispatch time, S does not. No op's
 * service ended in the second interval: S is null there, U known.
 */
static void test_queue_busy_readings(void **state)
{
	struct collector *c = new_collector(1);
	struct st_proc_stat cum;
	struct busy_slot b;
	struct snapshot s;
	const struct proc_view *v;
	const struct queue_figures *q;

	(void)state;
	collector_proc_begin(c, 0, 10, "server", ST_ORIGIN_ATTACH);
	fill_tcp_counters(&cum);
	cum.bz.svc_ended = 1000;
	cum.bz.disp_count = 100;
	cum.bz.disp_ns = 100 * 20000;
	cum.bz.disp_take_ns = 100 * 50000;
	cum.bz.disp_hist[14] = 100; /* 20 µs is in [16384, 32768) ns */
	cum.bz.blk_ns[ST_BLK_FUTEX] = 1000000000;
	collector_update_stats(c, 0, &cum);
	memset(&b, 0, sizeof(b));
	b.known = 1;
	b.generation = 1;
	b.live_busy_ns = 4000000000ull;
	b.live_idle_ns = 16000000000ull;
	b.active = 2;
	b.active_new = 2;
	collector_update_busy(c, 0, &b);
	assert_int_equal(collector_interval(c, 10, 10, &s), 0);
	v = must_find(&s, 10);
	q = &v->queue;
	assert_int_equal(q->servers, 2);
	/* U counts dispatch (not idle): (4 s + 1000 x 2 µs) / 20 s; S does not */
	assert_close(q->utilization, 4.002 / 20, 1e-13);
	assert_close(q->service_time_s, 0.004, 1e-14);
	assert_close(q->dispatch_s, 2e-6, 1e-15);
	assert_close(q->wait_s, 0.005 - 5e-6, 1e-14);
	assert_close(q->response_s, 2e-6 + 0.005 - 5e-6 + 0.004, 1e-14);
	assert_close(q->mm1_response_s - q->dispatch_s, queue_model_mm1_response(50, 0.004), 1e-14);
	assert_close(v->busy_s, 4, 1e-12);
	assert_close(v->idle_s, 16, 1e-12);
	assert_close(v->blocked_busy_s[ST_BLK_FUTEX], 1, 1e-12);
	assert_int_equal(v->dispatch_count, 100);
	assert_int_equal(hist_count(&v->dispatch_hist), 100);
	assert_false(q->saturated);
	snapshot_free(&s);

	/* second interval: thread A (5 s in all) exited, thread B's total is
	 * 2 s now, and B never waited for input */
	cum.rx_ops = 2000;
	cum.rx_bytes = cum.rx_tcp_bytes = cum.arr_bytes = 200000;
	cum.rx_tcp_ops = 2000;
	cum.bz.exit_busy_ns = 5000000000ull;
	b.live_busy_ns = 2000000000ull;
	b.live_idle_ns = 0;
	cum.bz.exit_idle_ns = 16000000000ull;
	b.active = 2;
	b.active_new = 0;
	b.never_idle = 1;
	collector_update_stats(c, 0, &cum);
	collector_update_busy(c, 0, &b);
	assert_int_equal(collector_interval(c, 20, 10, &s), 0);
	q = &must_find(&s, 10)->queue;
	/* 7 s - 4 s = 3 s over 2 threads x 10 s */
	assert_close(q->utilization, 0.15, 1e-13);
	assert_true(isnan(q->service_time_s));
	assert_true(isnan(q->rho));
	assert_true(isnan(q->mm1_response_s));
	assert_true(q->saturated);
	snapshot_free(&s);

	assert_int_equal(collector_summary(c, 20, 20, &s), 0);
	v = must_find(&s, 10);
	assert_close(v->busy_s, 7, 1e-12);
	assert_close(v->idle_s, 16, 1e-12);
	assert_close(v->queue.service_time_s, 7.0 / 2000, 1e-14);
	snapshot_free(&s);
	collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat_deltas),
		cmocka_unit_test(test_runq_hist_wrap),
		cmocka_unit_test(test_syscall_deltas),
		cmocka_unit_test(test_syscall_order_ties),
		cmocka_unit_test(test_syscall_hist_wrap),
		cmocka_unit_test(test_interval_max_vs_run_max),
		cmocka_unit_test(test_errno_deltas),
		cmocka_unit_test(test_errno_cap),
		cmocka_unit_test(test_exit_reported_once),
		cmocka_unit_test(test_retire_and_reuse),
		cmocka_unit_test(test_lost_deltas),
		cmocka_unit_test(test_faults_and_rss),
		cmocka_unit_test(test_queue_tcp),
		cmocka_unit_test(test_queue_messages),
		cmocka_unit_test(test_queue_datagram),
		cmocka_unit_test(test_queue_servers_interval_vs_run),
		cmocka_unit_test(test_queue_busy_readings),
		cmocka_unit_test(test_queue_variability_and_waits),
		cmocka_unit_test(test_backlog_gauge),
		cmocka_unit_test(test_unknown_slots_and_comm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
