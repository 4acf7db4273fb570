/*
 * Unit tests for user/stats.c, the tests behind diff's verdicts, against
 * reference values computed apart with python3's standard library:
 *   - statistics.NormalDist().cdf for the normal tail;
 *   - the exact Mann-Whitney p-value by enumerating all C(9,5) = 126 ways
 *     to split a = {1,3,5,7} and b = {2,4,6,8,9} (itertools.combinations):
 *     U = 14, P(U >= 14) = 26/126, P(U <= 14) = 108/126;
 *   - binomial tails as sums of math.comb(n, i) p^i (1-p)^(n-i).
 * The normal approximation with ties is checked for agreement between the
 * sample and the histogram form on the same data, which share no code.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

static void assert_rel(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol * fabs(want)))
		fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, tol);
}

static void test_norm(void **state)
{
	(void)state;
	assert_rel(stats_norm_sf(1.96), 0.024997895148220373, 1e-12);
	assert_rel(stats_norm_sf(-1), 0.8413447460685429, 1e-12);
	assert_rel(stats_norm_sf(0), 0.5, 1e-15);
}

static void test_mwu_exact(void **state)
{
	const double a[] = {1, 3, 5, 7}, b[] = {2, 4, 6, 8, 9};
	const double lo[] = {1, 2, 3}, hi[] = {4, 5, 6};

	(void)state;
	assert_rel(stats_mwu_samples(a, 4, b, 5, 1), 26.0 / 126, 1e-12);
	assert_rel(stats_mwu_samples(a, 4, b, 5, -1), 108.0 / 126, 1e-12);
	assert_rel(stats_mwu_exact_sf(4, 5, 14), 26.0 / 126, 1e-12);
	/* complete separation: 1 of C(6,3) = 20 orderings */
	assert_rel(stats_mwu_samples(lo, 3, hi, 3, 1), 1.0 / 20, 1e-12);
	assert_rel(stats_mwu_samples(lo, 3, hi, 3, -1), 1.0, 1e-12);
	assert_true(isnan(stats_mwu_samples(lo, 0, hi, 3, 1)));
}

/* 40 values a side, in three tie groups, as samples and as log2 buckets
 * (1 ns, 4 ns, 16 ns land in buckets 0, 2 and 4): both forms agree. */
static void test_mwu_ties(void **state)
{
	double a[40], b[40];
	struct hist ha, hb;
	double ps, ph;

	(void)state;
	memset(&ha, 0, sizeof(ha));
	memset(&hb, 0, sizeof(hb));
	for (unsigned i = 0; i < 40; i++) {
		a[i] = i < 20 ? 1 : 4;
		b[i] = i < 20 ? 4 : 16;
	}
	ha.b[0] = 20;
	ha.b[2] = 20;
	hb.b[2] = 20;
	hb.b[4] = 20;
	ps = stats_mwu_samples(a, 40, b, 40, 1);
	ph = stats_mwu_hist(&ha, &hb, 1);
	assert_rel(ph, ps, 1e-12);
	/* b clearly larger: tiny p one way, near 1 the other */
	assert_true(ps < 1e-6);
	assert_true(stats_mwu_samples(a, 40, b, 40, -1) > 0.999);
}

static void test_binom(void **state)
{
	(void)state;
	assert_rel(stats_binom_sf(3, 10, 0.2), 0.32220047360000015, 1e-9);
	assert_rel(stats_binom_sf(0, 10, 0.2), 1, 0);
	assert_rel(stats_binom_sf(11, 10, 0.2), 0, 0);
	/* 10 events over 1 s against 20 over 1 s: P(X >= 20 | 30, 1/2) */
	assert_rel(stats_rate_test(10, 1, 20, 1, 1), 0.04936857335269451, 1e-9);
	/* and the drop, 20 to 10: P(X <= 10 | 30, 1/2), the same by symmetry */
	assert_rel(stats_rate_test(20, 1, 10, 1, -1), 0.04936857335269451, 1e-9);
	assert_true(isnan(stats_rate_test(1, 0, 1, 1, 1)));
}

/* base: 1000 calls in bucket 3; new: 100 of them moved to bucket 10 (far
 * beyond base's p99 bucket): z = 0.1 / sqrt(0.05 0.95 2/1000) = 10.3 */
static void test_tail(void **state)
{
	struct hist a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.b[3] = 1000;
	b.b[3] = 900;
	b.b[10] = 100;
	assert_true(stats_tail_test(&a, &b, hist_quantile_ns(&a, 0.99, 0)) < 1e-20);
	/* the other way round nothing got slower */
	assert_true(stats_tail_test(&b, &a, hist_quantile_ns(&b, 0.99, 0)) >= 0.5);
	/* a move to the next bucket only is within resolution: no tail at all */
	memset(&b, 0, sizeof(b));
	b.b[4] = 1000;
	assert_rel(stats_tail_test(&a, &b, hist_quantile_ns(&a, 0.99, 0)), 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm),	 cmocka_unit_test(test_mwu_exact),
		cmocka_unit_test(test_mwu_ties), cmocka_unit_test(test_binom),
		cmocka_unit_test(test_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
