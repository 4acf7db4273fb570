/*
 * Unit tests for user/busy.c: the busy iterator's cumulative per-thread
 * records, reading after reading, into per-slot figures: the live threads'
 * busy and idle totals, the threads busy in the span (those whose busy grew),
 * the threads never idle over a full span (seen in the previous reading too,
 * busy grew, idle did not), slots kept apart by generation, a racing read
 * that sees a little less than before, and exited threads forgotten.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "busy.h"

static struct st_busy_rec rec(uint32_t tid, uint32_t slot, uint64_t busy, uint64_t idle,
			      uint64_t periods)
{
	struct st_busy_rec r;

	memset(&r, 0, sizeof(r));
	r.tid = tid;
	r.slot = slot;
	r.generation = 1;
	r.busy_ns = busy;
	r.idle_ns = idle;
	r.idle_periods = periods;
	return r;
}

static void reading(struct busy_tracker *b, const struct st_busy_rec *r, unsigned n)
{
	busy_begin(b);
	for (unsigned i = 0; i < n; i++)
		busy_add(b, &r[i]);
	busy_end(b);
}

static void test_active_and_never_idle(void **state)
{
	struct busy_tracker *b = busy_new(4);
	const struct busy_slot *s;

	(void)state;
	/* first reading: threads 100 and 101 of slot 0, 100 has been busy */
	{
		struct st_busy_rec r[] = {rec(100, 0, 500, 0, 0), rec(101, 0, 0, 900, 1)};

		reading(b, r, 2);
	}
	s = busy_slot_get(b, 0);
	assert_true(s->known);
	assert_int_equal(s->live_busy_ns, 500);
	assert_int_equal(s->live_idle_ns, 900);
	assert_int_equal(s->active, 1);
	assert_int_equal(s->active_new, 1);
	/* not seen twice yet: no full span to judge */
	assert_int_equal(s->never_idle, 0);
	assert_int_equal(s->never_idle_run, 0);
	/* second: 100 busy all along (never idle), 101 woke, worked, waited */
	{
		struct st_busy_rec r[] = {rec(100, 0, 1500, 0, 0), rec(101, 0, 300, 1500, 2)};

		reading(b, r, 2);
	}
	s = busy_slot_get(b, 0);
	assert_int_equal(s->live_busy_ns, 1800);
	assert_int_equal(s->active, 2);
	assert_int_equal(s->active_new, 1); /* 101, for the first time */
	assert_int_equal(s->never_idle, 1);
	assert_int_equal(s->never_idle_run, 1);
	/* third: 100 waited once (a new idle period, idle grew) */
	{
		struct st_busy_rec r[] = {rec(100, 0, 1700, 50, 1), rec(101, 0, 300, 2500, 2)};

		reading(b, r, 2);
	}
	s = busy_slot_get(b, 0);
	assert_int_equal(s->active, 1);
	assert_int_equal(s->active_new, 0);
	assert_int_equal(s->never_idle, 0);
	assert_int_equal(s->never_idle_run, 0);
	/* a slot with no serving thread is not known */
	assert_false(busy_slot_get(b, 1)->known);
	assert_false(busy_slot_get(b, 99)->known);
	busy_free(b);
}

/* A woken thread that then never waited again was still idle at the start
 * of the span (its idle grew): not "never idle". */
static void test_idle_at_start_is_not_never_idle(void **state)
{
	struct busy_tracker *b = busy_new(1);
	struct st_busy_rec r1[] = {rec(7, 0, 100, 1000, 1)};
	struct st_busy_rec r2[] = {rec(7, 0, 900, 1200, 1)};

	(void)state;
	reading(b, r1, 1);
	reading(b, r2, 1);
	assert_int_equal(busy_slot_get(b, 0)->active, 1);
	assert_int_equal(busy_slot_get(b, 0)->never_idle, 0);
	busy_free(b);
}

/* A racing read that sees less busy than the reading before (a transition
 * in flight) keeps the larger total: totals never fall. */
static void test_racing_read_never_falls(void **state)
{
	struct busy_tracker *b = busy_new(1);
	struct st_busy_rec r1[] = {rec(7, 0, 1000, 0, 0)};
	struct st_busy_rec r2[] = {rec(7, 0, 990, 0, 0)};
	struct st_busy_rec r3[] = {rec(7, 0, 1200, 0, 0)};

	(void)state;
	reading(b, r1, 1);
	reading(b, r2, 1);
	assert_int_equal(busy_slot_get(b, 0)->live_busy_ns, 1000);
	assert_int_equal(busy_slot_get(b, 0)->active, 0);
	reading(b, r3, 1);
	assert_int_equal(busy_slot_get(b, 0)->live_busy_ns, 1200);
	assert_int_equal(busy_slot_get(b, 0)->active, 1);
	busy_free(b);
}

/* A reused slot (new generation) and a reused tid start afresh; a thread not
 * seen in a reading is forgotten (it exited). Many threads grow the table. */
static void test_generations_exits_and_growth(void **state)
{
	struct busy_tracker *b = busy_new(2);
	struct st_busy_rec r[300];

	(void)state;
	for (unsigned i = 0; i < 300; i++)
		r[i] = rec(1000 + i, i % 2, 10, 0, 0);
	reading(b, r, 300);
	assert_int_equal(busy_slot_get(b, 0)->live_busy_ns, 1500);
	assert_int_equal(busy_slot_get(b, 1)->active, 150);
	/* slot 1 reused by a new process whose thread has tid 1001 again */
	r[0] = rec(1001, 1, 5, 0, 0);
	r[0].generation = 2;
	r[1] = rec(1000, 0, 10, 0, 0);
	reading(b, r, 2);
	assert_int_equal(busy_slot_get(b, 1)->generation, 2);
	assert_int_equal(busy_slot_get(b, 1)->live_busy_ns, 5);
	assert_int_equal(busy_slot_get(b, 1)->active_new, 1);
	assert_int_equal(busy_slot_get(b, 0)->live_busy_ns, 10);
	assert_int_equal(busy_slot_get(b, 0)->active, 0);
	/* thread 1002 of slot 0 was forgotten: back, it is new */
	r[0] = rec(1002, 0, 10, 0, 0);
	reading(b, r, 1);
	assert_int_equal(busy_slot_get(b, 0)->active_new, 1);
	busy_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_and_never_idle),
		cmocka_unit_test(test_idle_at_start_is_not_never_idle),
		cmocka_unit_test(test_racing_read_never_falls),
		cmocka_unit_test(test_generations_exits_and_growth),
	};

	return cmocka_run_group_tests_name("busy", tests, NULL, NULL);
}
