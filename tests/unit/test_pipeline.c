/*
 * Unit tests for user/pipeline.c over hand-built snapshots whose truth is
 * known by construction: a chain, a diamond (two paths of different
 * response to one sink), a cycle (numbering must stop), a process on no
 * edge (no stage), and edges merged per pair.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline.h"

static void queue(struct proc_view *p, uint32_t pid, double rho, double w)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (isnan(rho))
		return;
	p->has_queue = 1;
	p->queue.rho = rho;
	p->queue.utilization = NAN;
	p->queue.response_s = w;
}

/* source 10 -> 20 -> 30 -> sink 40, and 50 alone */
static void test_chain(void **state)
{
	struct proc_view p[5];
	struct snapshot s = {.n_procs = 5, .procs = p};
	struct pipeline_edges e = {0};

	(void)state;
	queue(&p[0], 10, NAN, NAN);
	queue(&p[1], 20, 0.9, 0.010);
	queue(&p[2], 30, 0.5, 0.002);
	queue(&p[3], 40, 0.2, 0.001);
	queue(&p[4], 50, 0.99, 1.0);
	pipeline_edges_add(&e, 10, 20, 5);
	pipeline_edges_add(&e, 20, 30, 5);
	pipeline_edges_add(&e, 30, 40, 5);
	pipeline_edges_add(&e, 30, 40, 9); /* cumulative: the same edge */
	assert_int_equal(e.n, 3);
	assert_int_equal(e.e[2].count, 9);
	pipeline_assign(&s, &e);
	assert_int_equal(p[0].stage, 1);
	assert_int_equal(p[1].stage, 2);
	assert_int_equal(p[2].stage, 3);
	assert_int_equal(p[3].stage, 4);
	/* on no edge: no stage, not the bottleneck whatever its ρ */
	assert_int_equal(p[4].stage, 0);
	assert_int_equal(s.pipeline.n_stages, 4);
	assert_int_equal(s.pipeline.bottleneck_pid, 20);
	assert_true(p[1].bottleneck && !p[4].bottleneck && !p[2].bottleneck);
	/* a source without a queue adds nothing: 10 + 2 + 1 ms */
	assert_float_equal(s.pipeline.e2e_response_s, 0.013, 1e-12);
	assert_float_equal(p[3].path_response_s, 0.013, 1e-12);
	assert_true(isnan(p[4].path_response_s));
}

/* 1 -> 2 (W 5 ms) -> 4 and 1 -> 3 (W 1 ms) -> 4 (W 1 ms): the slow branch counts */
static void test_diamond(void **state)
{
	struct proc_view p[4];
	struct snapshot s = {.n_procs = 4, .procs = p};
	struct pipeline_edges e = {0};

	(void)state;
	queue(&p[0], 1, 0.1, 0.0005);
	queue(&p[1], 2, 0.3, 0.005);
	queue(&p[2], 3, 0.7, 0.001);
	queue(&p[3], 4, 0.2, 0.001);
	pipeline_edges_add(&e, 1, 2, 1);
	pipeline_edges_add(&e, 1, 3, 1);
	pipeline_edges_add(&e, 2, 4, 1);
	pipeline_edges_add(&e, 3, 4, 1);
	pipeline_assign(&s, &e);
	assert_int_equal(p[3].stage, 3);
	assert_int_equal(p[1].stage, 2);
	assert_int_equal(p[2].stage, 2);
	assert_float_equal(s.pipeline.e2e_response_s, 0.0065, 1e-12);
	/* highest ρ, not the slowest W */
	assert_int_equal(s.pipeline.bottleneck_pid, 3);
}

/* 1 <-> 2: the numbering is bounded by the number of processes */
static void test_cycle(void **state)
{
	struct proc_view p[2];
	struct snapshot s = {.n_procs = 2, .procs = p};
	struct pipeline_edges e = {0};

	(void)state;
	queue(&p[0], 1, NAN, NAN);
	queue(&p[1], 2, NAN, NAN);
	pipeline_edges_add(&e, 1, 2, 1);
	pipeline_edges_add(&e, 2, 1, 1);
	pipeline_assign(&s, &e);
	assert_true(p[0].stage >= 1 && p[0].stage <= 2);
	assert_true(p[1].stage >= 1 && p[1].stage <= 2);
	/* no queue anywhere: no bottleneck to name */
	assert_int_equal(s.pipeline.bottleneck_pid, 0);
	/* and no edge at all: no pipeline */
	e.n = 0;
	pipeline_assign(&s, &e);
	assert_int_equal(s.pipeline.n_stages, 0);
	assert_int_equal(p[0].stage, 0);
	assert_true(isnan(s.pipeline.e2e_response_s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
