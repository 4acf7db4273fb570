/*
 * Unit tests for user/hist.c, the log2 latency histograms: bucket bounds
 * (powers of two, so exact in binary), counting and adding, interval deltas of
 * the kernel's wrapping u32 buckets (taken modulo 2^32, into 64-bit totals),
 * and percentiles interpolated linearly inside a bucket and clamped to a known
 * maximum. Every expected value is worked out by hand in the comment next to
 * it; doubles are compared exactly when the arithmetic is exact in binary and
 * with a stated tolerance otherwise.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g +- %.3g", got, want, tol);
}

static void test_bucket_bounds(void **state)
{
	(void)state;
	/* bucket 0 also holds 0, so it starts at 0, not 1 */
	assert_true(hist_bucket_lo_ns(0) == 0.0);
	assert_true(hist_bucket_hi_ns(0) == 2.0);
	assert_true(hist_bucket_lo_ns(1) == 2.0);
	assert_true(hist_bucket_hi_ns(1) == 4.0);
	assert_true(hist_bucket_lo_ns(10) == 1024.0);
	assert_true(hist_bucket_hi_ns(10) == 2048.0);
	assert_true(hist_bucket_lo_ns(31) == 2147483648.0);
	assert_true(hist_bucket_hi_ns(31) == 4294967296.0);
	/* consecutive buckets tile the line with no gap */
	for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++)
		assert_true(hist_bucket_hi_ns(b) == hist_bucket_lo_ns(b + 1));
}

static void test_count_and_add(void **state)
{
	struct hist a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(hist_count(&a), 0);
	a.b[0] = 1;
	a.b[5] = 2;
	a.b[31] = 3;
	assert_int_equal(hist_count(&a), 6);
	b.b[5] = 10;
	b.b[7] = 20;
	b.b[31] = UINT64_C(1) << 40;
	hist_add(&a, &b);
	assert_int_equal(a.b[0], 1);
	assert_int_equal(a.b[5], 12);
	assert_int_equal(a.b[7], 20);
	assert_int_equal(a.b[31], (UINT64_C(1) << 40) + 3);
	/* 1 + 12 + 20 + 2^40 + 3 */
	assert_int_equal(hist_count(&a), (UINT64_C(1) << 40) + 36);
	/* the source is left alone */
	assert_int_equal(b.b[5], 10);
	assert_int_equal(hist_count(&b), (UINT64_C(1) << 40) + 30);
}

static void test_delta_u32_plain(void **state)
{
	uint32_t prev[HIST_BUCKETS] = {0}, cur[HIST_BUCKETS] = {0};
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	prev[2] = 3;
	cur[2] = 5;
	prev[9] = 7;
	cur[9] = 7;
	cur[20] = 100;
	h.b[20] = 1000;
	hist_add_delta_u32(&h, cur, prev);
	assert_int_equal(h.b[2], 2);	 /* 5 - 3 */
	assert_int_equal(h.b[9], 0);	 /* unchanged bucket adds nothing */
	assert_int_equal(h.b[20], 1100); /* 1000 already there + 100 */
	assert_int_equal(hist_count(&h), 1102);
}

static void test_delta_u32_wrap(void **state)
{
	uint32_t prev[HIST_BUCKETS] = {0}, cur[HIST_BUCKETS] = {0};
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* 0xFFFFFFF0 -> 0x10: 16 to reach 2^32, then 16 more = 32 */
	prev[3] = 0xFFFFFFF0u;
	cur[3] = 0x10u;
	/* 0xFFFFFFFF -> 0: exactly one sample */
	prev[4] = 0xFFFFFFFFu;
	cur[4] = 0;
	/* a 64-bit total already past 2^32 keeps counting past it */
	h.b[5] = 0xFFFFFFF0u;
	prev[5] = 0xFFFFFFFEu;
	cur[5] = 0x1Eu; /* 2 + 30 = 32 */
	hist_add_delta_u32(&h, cur, prev);
	assert_int_equal(h.b[3], 32);
	assert_int_equal(h.b[4], 1);
	assert_int_equal(h.b[5], UINT64_C(0x100000010));
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		if (b < 3 || b > 5)
			assert_int_equal(h.b[b], 0);
}

static void test_quantile_not_known(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* empty: NaN, whatever the max */
	assert_true(isnan(hist_quantile_ns(&h, 0.5, 0)));
	assert_true(isnan(hist_quantile_ns(&h, 0.99, 1000)));
	h.b[10] = 4;
	/* q outside (0, 1] */
	assert_true(isnan(hist_quantile_ns(&h, 0, 0)));
	assert_true(isnan(hist_quantile_ns(&h, -0.5, 0)));
	assert_true(isnan(hist_quantile_ns(&h, 1.0000001, 0)));
	assert_true(isnan(hist_quantile_ns(&h, NAN, 0)));
}

/* Four samples in bucket 10, [1024, 2048): spread evenly, rank r of 4 sits at
 * 1024 + 1024 * r / 4. All values below are exact in binary. */
static void test_quantile_one_bucket(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.b[10] = 4;
	assert_true(hist_quantile_ns(&h, 0.25, 0) == 1280.0);
	assert_true(hist_quantile_ns(&h, 0.5, 0) == 1536.0);
	assert_true(hist_quantile_ns(&h, 1.0, 0) == 2048.0);
	/* known max 1500 tightens the bucket to [1024, 1500]: 1024 + 476 * r/4 */
	assert_true(hist_quantile_ns(&h, 0.5, 1500) == 1262.0);
	assert_true(hist_quantile_ns(&h, 1.0, 1500) == 1500.0);
	/* a max above the bucket says nothing new */
	assert_true(hist_quantile_ns(&h, 0.5, 4000) == 1536.0);
	/* a max below the bucket (inconsistent readings) still clamps */
	assert_true(hist_quantile_ns(&h, 0.5, 500) == 500.0);
	/* p99: 1024 + 1024 * 0.99; rank 3.96 is inexact, hence 1e-9 ns */
	assert_close(hist_quantile_ns(&h, 0.99, 0), 1024.0 + 1024.0 * 0.99, 1e-9);
}

/* One sample in bucket 3 [8, 16), three in bucket 5 [32, 64); n = 4. */
static void test_quantile_two_buckets(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.b[3] = 1;
	h.b[5] = 3;
	/* rank 1: the whole of bucket 3, its top */
	assert_true(hist_quantile_ns(&h, 0.25, 0) == 16.0);
	/* rank 0.5: half of bucket 3 */
	assert_true(hist_quantile_ns(&h, 0.125, 0) == 12.0);
	/* rank 2: first of three in bucket 5, 32 + 32/3 (1e-12 ns: one rounding) */
	assert_close(hist_quantile_ns(&h, 0.5, 0), 32.0 + 32.0 / 3, 1e-12);
	/* rank 3.5: 32 + 32 * 2.5/3 */
	assert_close(hist_quantile_ns(&h, 0.875, 0), 32.0 + 32.0 * 2.5 / 3, 1e-12);
	assert_true(hist_quantile_ns(&h, 1.0, 0) == 64.0);
	/* max 50: bucket 5 becomes [32, 50]; rank 2 -> 32 + 18/3 = 38 */
	assert_close(hist_quantile_ns(&h, 0.5, 50), 38.0, 1e-12);
	assert_true(hist_quantile_ns(&h, 1.0, 50) == 50.0);
	/* the max only touches the bucket it falls in: bucket 3 is unchanged */
	assert_true(hist_quantile_ns(&h, 0.25, 50) == 16.0);
}

static void test_quantile_edge_buckets(void **state)
{
	struct hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* bucket 0 is [0, 2): the middle is 1 */
	h.b[0] = 2;
	assert_true(hist_quantile_ns(&h, 0.5, 0) == 1.0);

	memset(&h, 0, sizeof(h));
	/* last bucket without a max: [2^31, 2^32), middle 3 * 2^30 */
	h.b[31] = 2;
	assert_true(hist_quantile_ns(&h, 0.5, 0) == 3221225472.0);
	assert_true(hist_quantile_ns(&h, 1.0, 0) == 4294967296.0);
	/* the last bucket is open-ended: a known max of 10 s beyond 2^32 ns is its top */
	assert_true(hist_quantile_ns(&h, 1.0, 1e10) == 1e10);
	assert_close(hist_quantile_ns(&h, 0.5, 1e10), 2147483648.0 + (1e10 - 2147483648.0) / 2,
		     1e-3);
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned b = 0;

	while (ns >> (b + 1) && b < HIST_BUCKETS - 1)
		b++;
	return b;
}

/*
 * 100 samples 1000, 1050, ..., 5950 ns. The percentile is nearest-rank: the
 * true p-th value is sample ceil(p * 100) in sorted order, i.e. 1000 + 50 *
 * (ceil(100p) - 1). The estimate must lie inside that sample's bucket (the
 * documented error bound: one bucket, a factor of two), and estimates must not
 * decrease with q.
 */
static void test_quantile_within_bucket_of_truth(void **state)
{
	static const double qs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};
	static const unsigned nearest_rank[] = {1, 10, 25, 50, 75, 90, 95, 99, 100};
	struct hist h;
	double last = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	for (unsigned i = 0; i < 100; i++)
		h.b[bucket_of(1000 + 50 * i)]++;
	/* 1000 alone in bucket 9 [512, 1024); 1050..2000 in bucket 10 (20 samples);
	 * 2050..4050 in bucket 11 (41); 4100..5950 in bucket 12 (38) */
	assert_int_equal(h.b[9], 1);
	assert_int_equal(h.b[10], 20);
	assert_int_equal(h.b[11], 41);
	assert_int_equal(h.b[12], 38);
	assert_int_equal(hist_count(&h), 100);
	for (unsigned i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t truth = 1000 + 50 * (nearest_rank[i] - 1);
		unsigned b = bucket_of(truth);
		double est = hist_quantile_ns(&h, qs[i], 0);

		if (!(est >= hist_bucket_lo_ns(b) && est <= hist_bucket_hi_ns(b)))
			fail_msg("q=%g: estimate %g outside bucket [%g, %g] of true %llu", qs[i],
				 est, hist_bucket_lo_ns(b), hist_bucket_hi_ns(b),
				 (unsigned long long)truth);
		assert_true(est >= last);
		last = est;
	}
	/* with the exact max (5950) known, p100 is the max itself */
	assert_true(hist_quantile_ns(&h, 1.0, 5950) == 5950.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_count_and_add),
		cmocka_unit_test(test_delta_u32_plain),
		cmocka_unit_test(test_delta_u32_wrap),
		cmocka_unit_test(test_quantile_not_known),
		cmocka_unit_test(test_quantile_one_bucket),
		cmocka_unit_test(test_quantile_two_buckets),
		cmocka_unit_test(test_quantile_edge_buckets),
		cmocka_unit_test(test_quantile_within_bucket_of_truth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
