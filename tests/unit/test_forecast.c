/*
 * Unit tests for user/forecast.c on synthetic series whose slope and noise are
 * known by construction: exact lines must be fitted exactly, noisy lines within
 * tolerances derived from the noise, and the saturation ETA must stay NaN when
 * the data cannot support it. Noise comes from a fixed-seed xorshift64* and
 * Box–Muller, so every run sees the same numbers.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "forecast.h"

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* Uniform on (0, 1): 53 random bits, never 0 so log() is finite. */
static double rng_uniform(struct rng *r)
{
	return ((rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(struct rng *r)
{
	double u1 = rng_uniform(r), u2 = rng_uniform(r);

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Push v = a + b·t + N(0, sd²) at t = t0, t0 + dt, ... */
static void push_line(struct forecast_series *s, struct rng *r, unsigned n, double t0, double dt,
		      double a, double b, double sd)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		double t = t0 + i * dt;

		forecast_series_push(s, t, a + b * t + (sd > 0 ? sd * rng_normal(r) : 0));
	}
}

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g ± %.3g", got, want, tol);
}

static void test_t_quantile(void **state)
{
	/* Table values of Student's t (e.g. R's qt()). */
	static const struct {
		double p;
		unsigned df;
		double q;
	} known[] = {
		{0.975, 1, 12.706204736174707}, {0.975, 2, 4.302652729749464},
		{0.975, 3, 3.182446305284263},	{0.975, 10, 2.228138851986274},
		{0.975, 28, 2.048407141795244}, {0.95, 5, 2.015048373333024},
		{0.995, 3, 5.840909309733350},
	};
	double p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_close(forecast_t_quantile(known[i].p, known[i].df), known[i].q, 1e-9);
		assert_close(forecast_t_quantile(1 - known[i].p, known[i].df), -known[i].q, 1e-9);
		assert_close(forecast_t_cdf(known[i].q, known[i].df), known[i].p, 1e-12);
	}
	/* Closed forms: df = 1 is Cauchy, df = 2 is (2p - 1) / sqrt(2p(1 - p)). */
	for (p = 0.01; p < 1; p += 0.07) {
		assert_close(forecast_t_quantile(p, 1), tan(M_PI * (p - 0.5)), 1e-9);
		assert_close(forecast_t_quantile(p, 2), (2 * p - 1) / sqrt(2 * p * (1 - p)), 1e-9);
	}
	/* Many degrees of freedom: the normal 97.5% point 1.959964. */
	assert_close(forecast_t_quantile(0.975, 1000000), 1.959963984540054, 1e-5);
	assert_true(forecast_t_quantile(0.5, 7) == 0);
	assert_true(isnan(forecast_t_quantile(0, 7)));
	assert_true(isnan(forecast_t_quantile(1, 7)));
	assert_true(isnan(forecast_t_quantile(NAN, 7)));
	assert_true(isnan(forecast_t_quantile(0.9, 0)));
}

static void test_series_init_window(void **state)
{
	struct forecast_series s;

	(void)state;
	forecast_series_init(&s, 0);
	assert_int_equal(s.window, FORECAST_DEFAULT_WINDOW);
	forecast_series_init(&s, 1000);
	assert_int_equal(s.window, FORECAST_MAX_WINDOW);
	forecast_series_init(&s, 7);
	assert_int_equal(s.window, 7);
	assert_int_equal(forecast_series_count(&s), 0);
}

/* v = 2 + 3t, t = 0..19: small integers, so every sum is exact in binary. */
static void test_exact_line(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	double lo, hi;

	(void)state;
	forecast_series_init(&s, 30);
	push_line(&s, NULL, 20, 0, 1, 2, 3, 0);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(tr.valid);
	assert_int_equal(tr.n, 20);
	assert_true(tr.slope == 3);
	assert_true(tr.level == 59);
	assert_true(tr.t_last == 19);
	assert_true(tr.resid_sd == 0);
	assert_true(tr.slope_se == 0);
	assert_true(forecast_predict(&tr, 10) == 89);
	/* No noise: the prediction interval collapses onto the line. */
	forecast_interval(&tr, 10, 0.95, &lo, &hi);
	assert_true(lo == 89 && hi == 89);
	/* Reaches 100 at t = 98/3, i.e. 41/3 s after t = 19. */
	assert_close(forecast_saturation_eta(&tr, 100), 41.0 / 3, 1e-12);
	assert_true(forecast_saturation_eta(&tr, 59) == 0);
}

/* Unix-epoch times, half-second intervals, a fractional slope: exact up to rounding. */
static void test_exact_line_epoch_times(void **state)
{
	const double t0 = 1700000000.0, a = -0.25, b = 0.125;
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 60);
	for (i = 0; i < 60; i++)
		forecast_series_push(&s, t0 + i * 0.5, a + b * (i * 0.5) + 1000);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_close(tr.slope, b, 1e-12);
	assert_close(tr.level, a + b * 29.5 + 1000, 1e-9);
	assert_true(tr.t_last == t0 + 29.5);
	/* 1000 + 3.4375 now; capacity 1010 is 6.5625 / 0.125 = 52.5 s away. */
	assert_close(forecast_saturation_eta(&tr, 1010), 52.5, 1e-6);
}

/*
 * Hand-worked example: t = 0..4, v = 1, 3, 2, 5, 4. t̄ = 2, ȳ = 3, Sxx = 10,
 * Sxy = 8, slope 0.8, SSE 3.6, s = sqrt(1.2), se(slope) = sqrt(0.12), level at
 * t = 4 is 4.6. Prediction at t = 5: 5.4 ± t(0.975, 3) · s · sqrt(1 + 1/5 + 9/10).
 */
static void test_hand_worked_interval(void **state)
{
	static const double v[] = {1, 3, 2, 5, 4};
	struct forecast_series s;
	struct forecast_trend tr;
	double lo, hi, half;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 10);
	for (i = 0; i < 5; i++)
		forecast_series_push(&s, i, v[i]);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_close(tr.slope, 0.8, 1e-14);
	assert_close(tr.level, 4.6, 1e-14);
	assert_close(tr.resid_sd, sqrt(1.2), 1e-14);
	assert_close(tr.slope_se, sqrt(0.12), 1e-14);
	assert_close(forecast_predict(&tr, 1), 5.4, 1e-14);
	half = 3.182446305284263 * sqrt(1.2 * 2.1);
	forecast_interval(&tr, 1, 0.95, &lo, &hi);
	assert_close(lo, 5.4 - half, 1e-9);
	assert_close(hi, 5.4 + half, 1e-9);
	/* Rising, but t = 0.8 / 0.3464 = 2.31 < t(0.975, 3) = 3.18: too noisy to say. */
	assert_false(forecast_slope_significant(&tr));
	assert_true(isnan(forecast_saturation_eta(&tr, 10)));
	/* Bad confidence levels give no interval. */
	forecast_interval(&tr, 1, 1, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
	forecast_interval(&tr, 1, 0, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
	forecast_interval(&tr, 1, NAN, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
}

/*
 * Noisy rising line: λ = 100 + 2t + N(0, 5²), 30 one-second intervals, so
 * truth is level 158 at t = 29 and capacity 278 is reached 60 s later.
 *
 * Tolerance: ETA = (C - L̂) / b̂. To first order its error is
 * -(δȳ + (t_last - t̄ + ETA)·δb) / b, where ȳ and b̂ are independent with
 * variances σ²/n and σ²/Sxx. Here n = 30, Sxx = 2247.5, t_last - t̄ = 14.5, so
 * sd(ETA) = (σ/b)·sqrt(1/n + 74.5²/Sxx) = 2.5 · 1.582 ≈ 3.96 s. We allow four
 * standard deviations (≈ 15.8 s); a draw beyond that has odds of about 1 in
 * 16 000, and the seed is fixed, so the test is deterministic.
 */
static void test_noisy_rising_eta(void **state)
{
	const double a = 100, b = 2, sd = 5, cap = 278, truth = 60;
	const unsigned n = 30;
	struct rng r = {0x9E3779B97F4A7C15ULL};
	struct forecast_series s;
	struct forecast_trend tr;
	double sxx = n * ((double)n * n - 1) / 12, tbar = (n - 1) / 2.0, tlast = n - 1;
	double eta_sd = sd / b * sqrt(1.0 / n + pow(tlast - tbar + truth, 2) / sxx);
	double eta, lo, hi;

	(void)state;
	forecast_series_init(&s, n);
	push_line(&s, &r, n, 0, 1, a, b, sd);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_close(tr.sxx, sxx, 1e-9);
	/* The slope within 4 of its standard errors σ/sqrt(Sxx) = 0.105. */
	assert_close(tr.slope, b, 4 * sd / sqrt(sxx));
	assert_true(forecast_slope_significant(&tr));
	eta = forecast_saturation_eta(&tr, cap);
	assert_true(isfinite(eta));
	assert_close(eta, truth, 4 * eta_sd);
	/* The 95% interval at the ETA horizon holds the true load there. */
	forecast_interval(&tr, truth, 0.95, &lo, &hi);
	assert_true(lo < cap && cap < hi);

	/*
	 * Check the derivation itself on 2000 fresh draws: the spread of the ETA
	 * is within 10% of eta_sd (the sd of a sample sd is ~1.6% here, and the
	 * first-order formula ignores the ratio's slight skew), and its mean is
	 * within 0.6 s of 60 (4 standard errors of 0.09 s, plus the ratio's
	 * O(sd²/ETA) bias of about 0.2 s).
	 */
	{
		const unsigned trials = 2000;
		double sum = 0, sum2 = 0, mean, spread;
		unsigned i;

		for (i = 0; i < trials; i++) {
			forecast_series_init(&s, n);
			push_line(&s, &r, n, 0, 1, a, b, sd);
			assert_int_equal(forecast_trend_fit(&s, &tr), 0);
			eta = forecast_saturation_eta(&tr, cap);
			assert_true(isfinite(eta));
			sum += eta;
			sum2 += eta * eta;
		}
		mean = sum / trials;
		spread = sqrt((sum2 - sum * sum / trials) / (trials - 1));
		assert_close(spread / eta_sd, 1, 0.10);
		assert_close(mean, truth, 0.6);
	}
}

/*
 * Over many independent noisy lines, the reported slope_se must match the
 * slope's actual spread, and the 95% prediction interval must hold a fresh
 * draw 95% of the time. With 2000 trials, coverage has binomial sd
 * sqrt(0.95·0.05/2000) = 0.0049, so ±0.02 is four of them; the sd of a
 * sample sd from 2000 draws is about 1.6%, so ±8% is five.
 */
static void test_noisy_calibration(void **state)
{
	const unsigned trials = 2000, n = 30;
	const double a = 10, b = -0.5, sd = 2, h = 5;
	struct rng r = {12345};
	double sum = 0, sum2 = 0, se_mean = 0, mean, spread;
	unsigned i, covered = 0;

	(void)state;
	for (i = 0; i < trials; i++) {
		struct forecast_series s;
		struct forecast_trend tr;
		double lo, hi, y;

		forecast_series_init(&s, n);
		push_line(&s, &r, n, 0, 1, a, b, sd);
		assert_int_equal(forecast_trend_fit(&s, &tr), 0);
		sum += tr.slope;
		sum2 += tr.slope * tr.slope;
		se_mean += tr.slope_se / trials;
		forecast_interval(&tr, h, 0.95, &lo, &hi);
		y = a + b * (n - 1 + h) + sd * rng_normal(&r);
		covered += lo <= y && y <= hi;
	}
	mean = sum / trials;
	spread = sqrt((sum2 - sum * sum / trials) / (trials - 1));
	assert_close(mean, b, 4 * spread / sqrt(trials));
	/* E[s] is a little below σ (by about 1/(4·df)), hence the loose bound. */
	assert_close(se_mean / spread, 1, 0.08);
	assert_close((double)covered / trials, 0.95, 0.02);
}

/* Flat noisy load: one fixed draw gives NaN; over many, the false-alarm rate is the test's 2.5%. */
static void test_flat_noisy_no_eta(void **state)
{
	const unsigned trials = 2000, n = 30;
	struct rng r = {0xC0FFEE};
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i, alarms = 0;

	(void)state;
	forecast_series_init(&s, n);
	push_line(&s, &r, n, 0, 1, 50, 0, 5);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(isnan(forecast_saturation_eta(&tr, 100)));

	/* Binomial sd sqrt(0.025·0.975/2000) = 0.0035; ±0.014 is four of them. */
	for (i = 0; i < trials; i++) {
		forecast_series_init(&s, n);
		push_line(&s, &r, n, 0, 1, 50, 0, 5);
		assert_int_equal(forecast_trend_fit(&s, &tr), 0);
		alarms += isfinite(forecast_saturation_eta(&tr, 100));
	}
	assert_close((double)alarms / trials, 0.025, 0.014);
}

/* A constant that is not exact in binary must not yield a round-off "trend". */
static void test_flat_exact_no_eta(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 30);
	for (i = 0; i < 30; i++)
		forecast_series_push(&s, 1700000000.0 + i * 0.1, 0.1);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(tr.slope == 0);
	assert_true(isnan(forecast_saturation_eta(&tr, 1)));
}

static void test_falling_no_eta(void **state)
{
	struct rng r = {42};
	struct forecast_series s;
	struct forecast_trend tr;

	(void)state;
	forecast_series_init(&s, 30);
	push_line(&s, &r, 30, 0, 1, 200, -3, 5);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(tr.slope < 0);
	assert_true(isnan(forecast_saturation_eta(&tr, 300)));

	forecast_series_init(&s, 30);
	push_line(&s, NULL, 30, 0, 1, 200, -3, 0);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(isnan(forecast_saturation_eta(&tr, 300)));
}

/* At or above capacity already: 0, whatever the slope does. */
static void test_already_saturated(void **state)
{
	struct rng r = {7};
	struct forecast_series s;
	struct forecast_trend tr;

	(void)state;
	forecast_series_init(&s, 30);
	push_line(&s, &r, 30, 0, 1, 100, 2, 5); /* level ≈ 158 */
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(forecast_saturation_eta(&tr, 150) == 0);

	forecast_series_init(&s, 30);
	push_line(&s, NULL, 30, 0, 1, 200, -1, 0); /* falling, level 171 */
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(forecast_saturation_eta(&tr, 171) == 0);
	assert_true(forecast_saturation_eta(&tr, 150) == 0);
}

static void test_unknown_capacity(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;

	(void)state;
	forecast_series_init(&s, 30);
	push_line(&s, NULL, 30, 0, 1, 1, 1, 0);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_true(isnan(forecast_saturation_eta(&tr, NAN)));
	assert_true(isnan(forecast_saturation_eta(&tr, INFINITY)));
	assert_true(isnan(forecast_saturation_eta(&tr, 0)));
	assert_true(isnan(forecast_saturation_eta(&tr, -5)));
	assert_true(isfinite(forecast_saturation_eta(&tr, 100)));
}

static void test_too_few_points(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	double lo, hi;

	(void)state;
	forecast_series_init(&s, 30);
	assert_int_equal(forecast_trend_fit(&s, &tr), -1);
	assert_false(tr.valid);
	assert_int_equal(tr.n, 0);
	push_line(&s, NULL, FORECAST_MIN_POINTS - 1, 0, 1, 1, 10, 0);
	assert_int_equal(forecast_trend_fit(&s, &tr), -1);
	assert_false(tr.valid);
	assert_int_equal(tr.n, FORECAST_MIN_POINTS - 1);
	assert_true(isnan(forecast_predict(&tr, 1)));
	forecast_interval(&tr, 1, 0.95, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
	assert_true(isnan(forecast_saturation_eta(&tr, 100)));
	assert_true(isnan(forecast_saturation_eta(&tr, 0.5)));
	forecast_series_push(&s, 3, 31);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_close(tr.slope, 10, 1e-12);
}

/* Every point at one time: the slope is undefined. */
static void test_same_time_points(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 30);
	for (i = 0; i < 10; i++)
		forecast_series_push(&s, 1700000000.1, i);
	assert_int_equal(forecast_trend_fit(&s, &tr), -1);
	assert_false(tr.valid);
	assert_true(isnan(forecast_saturation_eta(&tr, 100)));
}

/* Null figures (NaN), infinities and NaN times are gaps: skipped, not counted. */
static void test_nan_points_skipped(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 8);
	for (i = 0; i < 12; i++) {
		forecast_series_push(&s, i, NAN);
		forecast_series_push(&s, i + 0.5, INFINITY);
		forecast_series_push(&s, NAN, 1e6);
		if (i % 3 != 1)
			forecast_series_push(&s, i, 5 - 2.0 * i);
	}
	/* Eight finite points pushed (i ≠ 1, 4, 7, 10), exactly the window. */
	assert_int_equal(forecast_series_count(&s), 8);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_int_equal(tr.n, 8);
	assert_true(tr.t_last == 11);
	assert_close(tr.slope, -2, 1e-12);
	assert_close(tr.level, 5 - 22, 1e-12);
	assert_close(tr.resid_sd, 0, 1e-12);
}

/* Window 10 after 25 pushes: only the last 10 (a new trend) are fitted. */
static void test_ring_wraps(void **state)
{
	struct forecast_series s;
	struct forecast_trend tr;
	unsigned i;

	(void)state;
	forecast_series_init(&s, 10);
	for (i = 0; i < 15; i++)
		forecast_series_push(&s, i, 1000 - 5.0 * i);
	for (; i < 25; i++)
		forecast_series_push(&s, i, 2.0 * i);
	assert_int_equal(forecast_series_count(&s), 10);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_int_equal(tr.n, 10);
	assert_true(tr.t_last == 24);
	assert_close(tr.slope, 2, 1e-12);
	assert_close(tr.level, 48, 1e-12);
	assert_close(tr.t_mean, 19.5, 1e-12);
	assert_close(forecast_saturation_eta(&tr, 58), 5, 1e-12);

	/* Wrap again mid-way and at exact multiples of the window. */
	for (; i < 40; i++)
		forecast_series_push(&s, i, 7 - 1.0 * i);
	assert_int_equal(forecast_trend_fit(&s, &tr), 0);
	assert_close(tr.slope, -1, 1e-12);
	assert_true(tr.t_last == 39);

	forecast_series_reset(&s);
	assert_int_equal(forecast_series_count(&s), 0);
	assert_int_equal(forecast_trend_fit(&s, &tr), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_quantile),
		cmocka_unit_test(test_series_init_window),
		cmocka_unit_test(test_exact_line),
		cmocka_unit_test(test_exact_line_epoch_times),
		cmocka_unit_test(test_hand_worked_interval),
		cmocka_unit_test(test_noisy_rising_eta),
		cmocka_unit_test(test_noisy_calibration),
		cmocka_unit_test(test_flat_noisy_no_eta),
		cmocka_unit_test(test_flat_exact_no_eta),
		cmocka_unit_test(test_falling_no_eta),
		cmocka_unit_test(test_already_saturated),
		cmocka_unit_test(test_unknown_capacity),
		cmocka_unit_test(test_too_few_points),
		cmocka_unit_test(test_same_time_points),
		cmocka_unit_test(test_nan_points_skipped),
		cmocka_unit_test(test_ring_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
