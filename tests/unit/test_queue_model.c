/*
 * Unit tests for user/queue_model.c against textbook values: Erlang C tables,
 * M/M/1, M/M/2, M/D/1 (Pollaczek–Khinchine), Kingman, Little's law, and the
 * edges where a figure must be NaN rather than made up (ρ ≥ 1, no arrivals,
 * no servers, no span) or must stay finite (ρ → 1, c = 1000).
 *
 * Tolerances: closed forms are evaluated in double precision with a handful
 * of operations, so they are checked to 1e-12 relative (a few thousand ulps
 * of headroom). Published Erlang C tables print 4 digits, so those are
 * checked to 5e-5 absolute. c = 1000 runs a 1000-step recurrence against an
 * independent log-space sum whose exp() amplifies lgamma's rounding; 1e-9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <float.h>

#include "queue_model.h"

#define EXACT 1e-12

#define assert_rel(actual, expected, tol) \
	assert_rel_at((actual), (expected), (tol), #actual, __FILE__, __LINE__)
#define assert_abs(actual, expected, tol) \
	assert_abs_at((actual), (expected), (tol), #actual, __FILE__, __LINE__)
#define assert_nan(actual) assert_nan_at((actual), #actual, __FILE__, __LINE__)

static void assert_rel_at(double actual, double expected, double tol, const char *what,
			  const char *file, int line)
{
	if (fabs(actual - expected) <= tol * fabs(expected))
		return;
	print_error("%s = %.17g, want %.17g (relative tolerance %g)\n", what, actual, expected,
		    tol);
	_fail(file, line);
}

static void assert_abs_at(double actual, double expected, double tol, const char *what,
			  const char *file, int line)
{
	if (fabs(actual - expected) <= tol)
		return;
	print_error("%s = %.17g, want %.17g (absolute tolerance %g)\n", what, actual, expected,
		    tol);
	_fail(file, line);
}

static void assert_nan_at(double actual, const char *what, const char *file, int line)
{
	if (isnan(actual))
		return;
	print_error("%s = %.17g, want NaN\n", what, actual);
	_fail(file, line);
}

/*
 * Erlang C from its definition, summed in log space so it cannot overflow:
 * C = t_c·c/(c−a) / (Σ_{k<c} t_k + t_c·c/(c−a)), t_k = a^k/k!. It shares
 * nothing with the Erlang B recurrence the engine uses.
 */
static double erlang_c_by_definition(unsigned c, double a)
{
	double top = c * log(a) - lgamma(c + 1.0) + log(c / (c - a));
	double max = top, sum = 0;

	for (unsigned k = 0; k < c; k++)
		max = fmax(max, k * log(a) - lgamma(k + 1.0));
	for (unsigned k = 0; k < c; k++)
		sum += exp(k * log(a) - lgamma(k + 1.0) - max);
	sum += exp(top - max);
	return exp(top - max) / sum;
}

/* A window that is an exact M/M/1 at ρ = 0.8 with S = 1 s: Wq = 4, Lq = 3.2, W = 5, L = 4. */
static struct queue_input mm1_window(void)
{
	return (struct queue_input){
		.span_s = 100,
		.arrivals = 80,
		.completions = 80,
		.busy_s = 80,
		.servers = 1,
		.wait_s = 4,
		.backlog_ops_avg = 3.2,
		.backlog_start = 1000,
		.backlog_end = 1000,
		.arrival_cv2 = 1,
		.service_cv2 = 1,
	};
}

static void test_erlang_c_exact_fractions(void **state)
{
	(void)state;
	/* c = 1: C = ρ. */
	assert_rel(queue_model_erlang_c(1, 0.5), 0.5, EXACT);
	/* c = 2, a = 1: Σ_{k<2} = 1 + 1 = 2, t_2·2/(2−1) = 1, C = 1/3. */
	assert_rel(queue_model_erlang_c(2, 1), 1.0 / 3, EXACT);
	/* c = 2, a = 1.5: Σ = 2.5, t_2·2/0.5 = 4.5, C = 4.5/7 = 9/14. */
	assert_rel(queue_model_erlang_c(2, 1.5), 9.0 / 14, EXACT);
	/* c = 3, a = 2: Σ = 1 + 2 + 2 = 5, t_3·3/1 = 4, C = 4/9. */
	assert_rel(queue_model_erlang_c(3, 2), 4.0 / 9, EXACT);
	/* c = 5, a = 4: Σ = 1+4+8+32/3+32/3 = 103/3, t_5·5 = 128/3, C = 128/231 ≈ 0.5541. */
	assert_rel(queue_model_erlang_c(5, 4), 128.0 / 231, EXACT);
}

static void test_erlang_c_published_table(void **state)
{
	(void)state;
	/* Erlang C tables (4 digits), rechecked with 50-digit arithmetic of the definition. */
	assert_abs(queue_model_erlang_c(5, 4), 0.5541, 5e-5);
	assert_abs(queue_model_erlang_c(10, 8), 0.4092, 5e-5);
	assert_abs(queue_model_erlang_c(20, 15), 0.1604, 5e-5);
	assert_abs(queue_model_erlang_c(50, 45), 0.3639, 5e-5);
	assert_abs(queue_model_erlang_c(100, 80), 0.0196, 5e-5);
}

static void test_erlang_c_large_c(void **state)
{
	(void)state;
	/* 50-digit value of the definition: 0.068253415377141423572983812309... */
	assert_rel(queue_model_erlang_c(1000, 950), 0.068253415377141424, 1e-9);
	assert_rel(queue_model_erlang_c(1000, 950), erlang_c_by_definition(1000, 950), 1e-9);
	/* ρ = 0.999 at c = 1000: 0.961239260408419111911961244796... */
	assert_rel(queue_model_erlang_c(1000, 999), 0.96123926040841911, 1e-9);
	/* A light load on many servers underflows B; C is 0 to double precision. */
	assert_abs(queue_model_erlang_c(100000, 1), 0, 1e-300);
}

static void test_erlang_c_edges(void **state)
{
	(void)state;
	assert_abs(queue_model_erlang_c(3, 0), 0, 0);
	assert_nan(queue_model_erlang_c(0, 0.5));
	assert_nan(queue_model_erlang_c(2, 2)); /* ρ = 1 */
	assert_nan(queue_model_erlang_c(2, 3)); /* ρ > 1 */
	assert_nan(queue_model_erlang_c(2, -0.1));
	assert_nan(queue_model_erlang_c(2, NAN));
	assert_nan(queue_model_erlang_c(2, INFINITY));
}

static void test_mm1_textbook(void **state)
{
	(void)state;
	/* ρ = 0.5, S = 1: W = S/(1−ρ) = 2 = 1/(μ−λ) with μ = 1, λ = 0.5. */
	assert_rel(queue_model_mm1_response(0.5, 1), 2, EXACT);
	/* ρ = 0.8, S = 10 ms: W = 50 ms = 1/(100 − 80). */
	assert_rel(queue_model_mm1_response(80, 0.01), 1.0 / (100 - 80), EXACT);
	/* No load: W = S. */
	assert_rel(queue_model_mm1_response(0, 0.25), 0.25, EXACT);
}

static void test_mm1_near_and_past_saturation(void **state)
{
	(void)state;
	/* ρ = 0.999: W = 1000·S, large but finite. λ·S rounds, hence 1e-9. */
	assert_rel(queue_model_mm1_response(0.999, 1), 1000, 1e-9);
	assert_rel(queue_model_mm1_response(999, 0.001), 1, 1e-9);
	assert_nan(queue_model_mm1_response(1, 1));
	assert_nan(queue_model_mm1_response(2, 1));
	assert_nan(queue_model_mm1_response(NAN, 1));
	assert_nan(queue_model_mm1_response(0.5, NAN));
	assert_nan(queue_model_mm1_response(-0.5, 1));
	assert_nan(queue_model_mm1_response(0.5, -1));
}

static void test_mmc_textbook(void **state)
{
	(void)state;
	/* c = 1 is M/M/1. */
	assert_rel(queue_model_mmc_response(0.8, 1, 1), 5, EXACT);
	/*
	 * M/M/2 has a closed form: with ρ = λS/2, Lq = 2ρ³/(1−ρ²). λ = 1, S = 1:
	 * ρ = 0.5, Lq = 1/3, Wq = Lq/λ = 1/3, W = 4/3.
	 */
	assert_rel(queue_model_mmc_wait(1, 1, 2), 1.0 / 3, EXACT);
	assert_rel(queue_model_mmc_response(1, 1, 2), 4.0 / 3, EXACT);
	/* λ = 1.6, S = 1, c = 2: ρ = 0.8, Lq = 1.024/0.36, Wq = Lq/1.6. */
	assert_rel(queue_model_mmc_wait(1.6, 1, 2), 1.024 / 0.36 / 1.6, EXACT);
	/* c = 5, a = 4, S = 1: Wq = C·S/(c(1−ρ)) = (128/231)/(5·0.2). */
	assert_rel(queue_model_mmc_response(4, 1, 5), 128.0 / 231 + 1, EXACT);
	/* Pooling helps: one queue for c servers beats c split M/M/1 queues. */
	assert_true(queue_model_mmc_response(4, 1, 5) < queue_model_mm1_response(4.0 / 5, 1));
	assert_nan(queue_model_mmc_response(2, 1, 2));
	assert_nan(queue_model_mmc_response(1, 1, 0));
}

static void test_mmc_large_c(void **state)
{
	double want;

	(void)state;
	/* c = 1000, λ = 950/s, S = 1 s: ρ = 0.95. */
	want = erlang_c_by_definition(1000, 950) * 1 / (1000 * (1 - 0.95)) + 1;
	assert_rel(queue_model_mmc_response(950, 1, 1000), want, 1e-9);
	assert_true(isfinite(queue_model_mmc_response(999, 1, 1000)));
}

static void test_mg1_pollaczek_khinchine(void **state)
{
	double wq_md1;

	(void)state;
	/* M/D/1 (Cs² = 0), ρ = 0.8, S = 1: Wq = ρS/(2(1−ρ)) = 2, W = 3. */
	wq_md1 = 0.8 * 1 / (2 * (1 - 0.8));
	assert_rel(queue_model_mg1_response(0.8, 1, 0, 1), wq_md1 + 1, EXACT);
	/* M/D/1 waits half as long as M/M/1. */
	assert_rel(queue_model_mg1_response(0.25, 2, 0, 1) - 2,
		   (queue_model_mm1_response(0.25, 2) - 2) / 2, EXACT);
	/* Cs² = 1 is M/M/1. */
	assert_rel(queue_model_mg1_response(0.8, 1, 1, 1), 5, EXACT);
	/* Hyperexponential, Cs² = 3: Wq = 0.8·1·4/(2·0.2) = 8. */
	assert_rel(queue_model_mg1_response(0.8, 1, 3, 1), 9, EXACT);
	/* c > 1, Lee–Longton: Wq = (1+Cs²)/2 · Wq(M/M/c); Cs² = 1 gives M/M/c back. */
	assert_rel(queue_model_mg1_response(1.6, 1, 0, 2), queue_model_mmc_wait(1.6, 1, 2) / 2 + 1,
		   EXACT);
	assert_rel(queue_model_mg1_response(4, 1, 1, 5), queue_model_mmc_response(4, 1, 5), EXACT);
	assert_nan(queue_model_mg1_response(0.8, 1, NAN, 1));
	assert_nan(queue_model_mg1_response(1.0, 1, 0, 1));
	assert_nan(queue_model_mg1_response(2.0, 1, 0, 2));
}

static void test_gg1_kingman(void **state)
{
	(void)state;
	/* Ca² = Cs² = 1 is exactly M/M/1 (c = 1) and M/M/c (c > 1). */
	assert_rel(queue_model_gg1_response(0.5, 1, 1, 1, 1), queue_model_mm1_response(0.5, 1),
		   EXACT);
	assert_rel(queue_model_gg1_response(0.8, 1, 1, 1, 1), 5, EXACT);
	assert_rel(queue_model_gg1_response(4, 1, 1, 1, 5), queue_model_mmc_response(4, 1, 5),
		   EXACT);
	/* Ca² = 1 (Poisson arrivals) makes Kingman equal Pollaczek–Khinchine. */
	assert_rel(queue_model_gg1_response(0.8, 1, 1, 0, 1),
		   queue_model_mg1_response(0.8, 1, 0, 1), EXACT);
	/* D/D/1: no variability, no wait. */
	assert_rel(queue_model_gg1_response(0.9, 1, 0, 0, 1), 1, EXACT);
	/* Allen–Cunneen: Wq = (Ca²+Cs²)/2 · Wq(M/M/c). */
	assert_rel(queue_model_gg1_response(1.6, 1, 2, 0.5, 2),
		   1.25 * queue_model_mmc_wait(1.6, 1, 2) + 1, EXACT);
	assert_nan(queue_model_gg1_response(0.8, 1, NAN, 1, 1));
	assert_nan(queue_model_gg1_response(0.8, 1, 1, NAN, 1));
	assert_nan(queue_model_gg1_response(1.2, 1, 1, 1, 1));
}

static void test_backlog_growth_rule(void **state)
{
	(void)state;
	/* Below 40 KiB the fixed 4096-byte floor decides, above it 10% of the start. */
	assert_false(queue_model_backlog_grew(0, 4096));
	assert_true(queue_model_backlog_grew(0, 4097));
	assert_false(queue_model_backlog_grew(100000, 110000));
	assert_true(queue_model_backlog_grew(100000, 110001));
	assert_false(queue_model_backlog_grew(50000, 0));
	assert_false(queue_model_backlog_grew(NAN, 1e9));
	assert_false(queue_model_backlog_grew(0, NAN));
}

static void test_compute_mm1_window(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	queue_model_compute(&in, &f);
	assert_rel(f.arrival_rate, 0.8, EXACT);
	assert_rel(f.throughput, 0.8, EXACT);
	assert_rel(f.utilization, 0.8, EXACT);
	assert_rel(f.service_time_s, 1, EXACT);
	assert_rel(f.service_rate, 1, EXACT);
	assert_int_equal(f.servers, 1);
	assert_rel(f.rho, 0.8, EXACT);
	assert_rel(f.wait_s, 4, EXACT);
	assert_rel(f.response_s, 5, EXACT);
	/* L = Lq + c·U = 3.2 + 0.8 = ρ/(1−ρ). */
	assert_rel(f.queue_length, 4, EXACT);
	assert_false(f.saturated);
	assert_rel(f.mm1_response_s, 5, EXACT);
	assert_rel(f.mmc_response_s, 5, EXACT);
	assert_rel(f.mg1_response_s, 5, EXACT);
	assert_rel(f.gg1_response_s, 5, EXACT);
	assert_abs(f.mm1_error, 0, EXACT);
	assert_abs(f.mmc_error, 0, EXACT);
	assert_abs(f.mg1_error, 0, EXACT);
	assert_abs(f.gg1_error, 0, EXACT);
	assert_rel(f.little_l_lambda_w, 4, EXACT);
	assert_abs(f.little_error, 0, EXACT);
}

static void test_compute_model_errors_and_little(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	/* Measured W = 1 + 1.5 = 2.5; M/M/1 says 5, so its error is +100%. */
	in.wait_s = 1.5;
	/* Lq 10% above λWq: L = 1.32 + 0.8 = 2.12 vs λW = 0.8·2.5 = 2. */
	in.backlog_ops_avg = 1.32;
	queue_model_compute(&in, &f);
	assert_rel(f.mm1_error, 1, EXACT);
	/* M/D/1 says W = 3: +20%. */
	in.service_cv2 = 0;
	queue_model_compute(&in, &f);
	assert_rel(f.mg1_error, 0.2, EXACT);
	assert_rel(f.little_l_lambda_w, 2, EXACT);
	assert_rel(f.little_error, 0.06, EXACT);
}

static void test_compute_multi_server(void **state)
{
	struct queue_figures f;
	/* 4 threads, 320 ops in 10 s, 24 s busy between them. */
	struct queue_input in = {
		.span_s = 10,
		.arrivals = 300,
		.completions = 320,
		.busy_s = 24,
		.servers = 4,
		.wait_s = 0.01,
		.backlog_ops_avg = 0.3,
		.backlog_start = 8192,
		.backlog_end = 0,
		.arrival_cv2 = 1,
		.service_cv2 = 0.5,
	};

	(void)state;
	queue_model_compute(&in, &f);
	assert_rel(f.arrival_rate, 30, EXACT);
	assert_rel(f.throughput, 32, EXACT);
	assert_rel(f.utilization, 0.6, EXACT);
	/* S = U·c/X = 0.6·4/32 = busy/completions = 0.075. */
	assert_rel(f.service_time_s, 0.075, EXACT);
	assert_rel(f.service_rate, 1 / 0.075, EXACT);
	/* ρ uses λ, not X: 30·0.075/4. */
	assert_rel(f.rho, 30 * 0.075 / 4, EXACT);
	assert_rel(f.response_s, 0.085, EXACT);
	assert_rel(f.queue_length, 0.3 + 2.4, EXACT);
	assert_false(f.saturated);
	/* M/M/1 for c > 1: c queues each fed λ/c. */
	assert_rel(f.mm1_response_s, 0.075 / (1 - 30 * 0.075 / 4), EXACT);
	assert_rel(f.mmc_response_s, queue_model_mmc_response(30, 0.075, 4), EXACT);
	assert_rel(f.mg1_response_s, 0.75 * queue_model_mmc_wait(30, 0.075, 4) + 0.075, EXACT);
	assert_rel(f.gg1_response_s, f.mg1_response_s, EXACT);
}

static void test_compute_saturated_by_rho(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	/* 120 arrivals for 80 served at S = 1 s in 100 s: ρ = 1.2. */
	in.arrivals = 120;
	queue_model_compute(&in, &f);
	assert_rel(f.rho, 1.2, EXACT);
	assert_true(f.saturated);
	/* Measured figures stay; no model has a steady state. */
	assert_rel(f.response_s, 5, EXACT);
	assert_nan(f.mm1_response_s);
	assert_nan(f.mmc_response_s);
	assert_nan(f.mg1_response_s);
	assert_nan(f.gg1_response_s);
	assert_nan(f.mm1_error);
	assert_nan(f.gg1_error);

	/* Exactly ρ = 1 is saturated too. */
	in.arrivals = 80;
	in.busy_s = 100;
	in.completions = 80;
	queue_model_compute(&in, &f);
	assert_rel(f.rho, 1, EXACT);
	assert_true(f.saturated);
	assert_nan(f.mmc_response_s);
}

static void test_compute_saturated_by_backlog(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.backlog_start = 1000;
	in.backlog_end = 1000 + 4097;
	queue_model_compute(&in, &f);
	assert_rel(f.rho, 0.8, EXACT);
	assert_true(f.saturated);
	/* The models still describe the measured λ and S. */
	assert_rel(f.mm1_response_s, 5, EXACT);

	in.backlog_end = 1000 + 4096;
	queue_model_compute(&in, &f);
	assert_false(f.saturated);
}

static void test_compute_rho_near_one(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.arrivals = 999;
	in.completions = 999;
	in.busy_s = 99.9;
	in.span_s = 100;
	queue_model_compute(&in, &f);
	assert_rel(f.rho, 0.999, 1e-12);
	assert_false(f.saturated);
	/* W = S/(1−ρ) = 0.1/0.001; 1−ρ loses ~3 digits to cancellation, hence 1e-9. */
	assert_rel(f.mm1_response_s, 100, 1e-9);
	assert_rel(f.mmc_response_s, 100, 1e-9);
	assert_rel(f.gg1_response_s, 100, 1e-9);
}

static void test_compute_large_c(void **state)
{
	struct queue_figures f;
	struct queue_input in = {
		.span_s = 10,
		.arrivals = 9500,
		.completions = 9500,
		.busy_s = 9500,
		.servers = 1000,
		.wait_s = NAN,
		.backlog_ops_avg = NAN,
		.backlog_start = NAN,
		.backlog_end = NAN,
		.arrival_cv2 = 1,
		.service_cv2 = 1,
	};

	(void)state;
	queue_model_compute(&in, &f);
	assert_rel(f.rho, 0.95, EXACT);
	assert_rel(f.utilization, 0.95, EXACT);
	/* M/M/1 with λ/c each: S/(1−ρ) = 20. */
	assert_rel(f.mm1_response_s, 20, 1e-12);
	assert_rel(f.mmc_response_s, erlang_c_by_definition(1000, 950) / 50 + 1, 1e-9);
	assert_rel(f.mg1_response_s, f.mmc_response_s, EXACT);
	assert_rel(f.gg1_response_s, f.mmc_response_s, EXACT);
	/* Unknown wait: W, its errors and Little's λW are unknown, not zero. */
	assert_nan(f.wait_s);
	assert_nan(f.response_s);
	assert_nan(f.mmc_error);
	assert_nan(f.queue_length);
	assert_nan(f.little_l_lambda_w);
	assert_nan(f.little_error);
	assert_false(f.saturated);
}

static void test_compute_zero_arrivals(void **state)
{
	struct queue_figures f;
	struct queue_input in = {
		.span_s = 1,
		.arrivals = 0,
		.completions = 0,
		.busy_s = 0,
		.servers = 0,
		.wait_s = NAN,
		.backlog_ops_avg = 0,
		.backlog_start = 0,
		.backlog_end = 0,
		.arrival_cv2 = NAN,
		.service_cv2 = NAN,
	};

	(void)state;
	queue_model_compute(&in, &f);
	assert_abs(f.arrival_rate, 0, 0);
	assert_abs(f.throughput, 0, 0);
	assert_int_equal(f.servers, 0);
	assert_nan(f.utilization);
	assert_nan(f.service_time_s);
	assert_nan(f.service_rate);
	assert_nan(f.rho);
	assert_nan(f.wait_s);
	assert_nan(f.response_s);
	/* Nothing waiting and no one serving: the empty process holds 0 ops. */
	assert_abs(f.queue_length, 0, 0);
	assert_false(f.saturated);
	assert_nan(f.mm1_response_s);
	assert_nan(f.mmc_response_s);
	assert_nan(f.mg1_response_s);
	assert_nan(f.gg1_response_s);
	assert_nan(f.little_error);

	/* A thread that sat blocked all window: U = 0 is known, S still is not. */
	in.servers = 1;
	queue_model_compute(&in, &f);
	assert_abs(f.utilization, 0, 0);
	assert_nan(f.service_time_s);
	assert_nan(f.rho);
}

static void test_compute_draining_old_backlog(void **state)
{
	struct queue_figures f;
	/* No new arrivals, 50 old ops served at 10 ms each. */
	struct queue_input in = {
		.span_s = 1,
		.arrivals = 0,
		.completions = 50,
		.busy_s = 0.5,
		.servers = 1,
		.wait_s = 0.2,
		.backlog_ops_avg = 10,
		.backlog_start = 50000,
		.backlog_end = 0,
		.arrival_cv2 = NAN,
		.service_cv2 = 0,
	};

	(void)state;
	queue_model_compute(&in, &f);
	assert_abs(f.arrival_rate, 0, 0);
	assert_abs(f.rho, 0, 0);
	assert_rel(f.service_time_s, 0.01, EXACT);
	/* With no load every model predicts W = S. */
	assert_rel(f.mm1_response_s, 0.01, EXACT);
	assert_rel(f.mmc_response_s, 0.01, EXACT);
	assert_rel(f.mg1_response_s, 0.01, EXACT);
	assert_nan(f.gg1_response_s); /* Ca² unknown */
	/* λW = 0: Little's relative error has nothing to divide by. */
	assert_abs(f.little_l_lambda_w, 0, 0);
	assert_nan(f.little_error);
	assert_false(f.saturated);
}

static void test_compute_bad_span(void **state)
{
	const double spans[] = {0, -1, NAN, INFINITY};
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		in.span_s = spans[i];
		queue_model_compute(&in, &f);
		assert_nan(f.arrival_rate);
		assert_nan(f.throughput);
		assert_nan(f.utilization);
		assert_nan(f.queue_length);
		assert_nan(f.rho);
		assert_nan(f.mmc_response_s);
		assert_false(f.saturated);
	}
}

static void assert_no_inf(const struct queue_figures *f)
{
	const double all[] = {
		f->arrival_rate,   f->throughput,     f->utilization,
		f->service_time_s, f->service_rate,   f->rho,
		f->queue_length,   f->wait_s,	      f->response_s,
		f->mm1_response_s, f->mmc_response_s, f->mg1_response_s,
		f->gg1_response_s, f->mm1_error,      f->mmc_error,
		f->mg1_error,	   f->gg1_error,      f->little_l_lambda_w,
		f->little_error,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (isinf(all[i])) {
			print_error("figure %zu is inf\n", i);
			fail();
		}
	}
	assert_true(f->saturated == 0 || f->saturated == 1);
	if (!isnan(f->rho) && f->rho >= 1) {
		assert_true(f->saturated);
		assert_nan(f->mmc_response_s);
	}
}

/* Every input drawn from values that break naive arithmetic: never inf, never a crash. */
static void test_compute_never_inf(void **state)
{
	const double edge[] = {0, 1, 0.5, 1e-300, 1e300, DBL_MAX, -1, NAN, INFINITY, -INFINITY};
	const unsigned servers[] = {0, 1, 2, 1000};
	const size_t n = sizeof(edge) / sizeof(edge[0]);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct queue_figures f;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		struct queue_input in;
		double v[10];

		for (int j = 0; j < 10; j++) {
			/* xorshift64: reproducible, no libc rand() state. */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[j] = edge[x % n];
		}
		in = (struct queue_input){
			.span_s = v[0],
			.arrivals = v[1],
			.completions = v[2],
			.busy_s = v[3],
			.servers = servers[(x >> 32) % 4],
			.wait_s = v[4],
			.backlog_ops_avg = v[5],
			.backlog_start = v[6],
			.backlog_end = v[7],
			.arrival_cv2 = v[8],
			.service_cv2 = v[9],
		};
		queue_model_compute(&in, &f);
		assert_no_inf(&f);
	}
}

/*
 * Dispatch: the measured D adds to W and to every model's prediction. The
 * M/M/1 window (ρ = 0.8, S = 1 s, Wq = 4 s) with D = 0.5 s: W = 5.5 s, M/M/1
 * predicts 0.5 + 5 = 5.5 s (error 0), M/G/1 at Cs² = 1 the same.
 */
static void test_compute_dispatch(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.dispatch_s = 0.5;
	assert_true(in.busy_s == 80);
	queue_model_compute(&in, &f);
	assert_rel(f.dispatch_s, 0.5, EXACT);
	assert_rel(f.response_s, 5.5, EXACT);
	/* U counts the dispatch time (80 s busy + 80 x 0.5 s) over 100 s, at
	 * most 1; S and ρ do not */
	assert_rel(f.utilization, 1, EXACT);
	assert_rel(f.mm1_response_s, 5.5, EXACT);
	assert_rel(f.mmc_response_s, 5.5, EXACT);
	assert_rel(f.mg1_response_s, 5.5, EXACT);
	assert_rel(f.gg1_response_s, 5.5, EXACT);
	assert_true(fabs(f.mm1_error) < 1e-12);
	/* Little's law sees the longer W: λW = 0.8 × 5.5 */
	assert_rel(f.little_l_lambda_w, 4.4, EXACT);
	/* unknown dispatch: W and the models cannot be known */
	in.dispatch_s = NAN;
	queue_model_compute(&in, &f);
	assert_true(isnan(f.dispatch_s));
	assert_true(isnan(f.response_s));
	assert_true(isnan(f.mm1_response_s));
	/* λ, U, S, ρ do not depend on it */
	assert_rel(f.utilization, 0.8, EXACT);
	assert_rel(f.rho, 0.8, EXACT);
	assert_rel(f.service_time_s, 1, EXACT);
}

/* No op's service was seen to end: S, μ, ρ and every model are null, never
 * 0, while U (busy time was measured) stays known. */
static void test_compute_no_service_ended(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.no_service_ended = 1;
	queue_model_compute(&in, &f);
	assert_rel(f.utilization, 0.8, EXACT);
	assert_true(isnan(f.service_time_s));
	assert_true(isnan(f.service_rate));
	assert_true(isnan(f.rho));
	assert_true(isnan(f.response_s));
	assert_true(isnan(f.mm1_response_s));
	assert_true(isnan(f.mmc_response_s));
	assert_true(isnan(f.mg1_response_s));
	assert_true(isnan(f.gg1_response_s));
	assert_false(f.saturated);
}

/* A server that never waited for input: saturated whatever ρ says, and no
 * model predicts anything (there is no steady state). */
static void test_compute_never_idle(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.never_idle = 1;
	queue_model_compute(&in, &f);
	assert_true(f.saturated);
	assert_rel(f.rho, 0.8, EXACT);
	assert_true(isnan(f.mm1_response_s));
	assert_true(isnan(f.mmc_response_s));
	assert_true(isnan(f.mg1_response_s));
	assert_true(isnan(f.gg1_response_s));
	assert_true(isnan(f.mm1_error));
	/* the measured figures stay */
	assert_rel(f.response_s, 5, EXACT);
}

/*
 * M/G/1 with set-up (docs/queueing.md, "M/G/1 with set-up"). Values known
 * by construction: an exponential set-up adds exactly its mean to the M/M/1
 * response (the decomposition: (2θ + λ·2θ²) / (2(1 + λθ)) = θ), no set-up is
 * Pollaczek–Khinchine, and at λ → 0 every op starts a busy period and waits
 * the whole set-up.
 */
static void test_mg1_setup_closed_forms(void **state)
{
	(void)state;
	/* M/M/1 at ρ 0.5 (W = 2) with an exponential set-up of mean 1 */
	assert_rel(queue_model_mg1_setup_response(0.5, 1, 1, 1, 2, 1), 3, EXACT);
	/* ... of mean 0.25 at ρ 0.8 (W = 5) */
	assert_rel(queue_model_mg1_setup_response(0.8, 1, 1, 0.25, 0.125, 1), 5.25, EXACT);
	/* no set-up: the M/G/1 of the other models (M/D/1 here) */
	assert_rel(queue_model_mg1_setup_response(0.5, 1, 0, 0, 0, 1),
		   queue_model_mg1_response(0.5, 1, 0, 1), EXACT);
	/* λ → 0: S + E[V] (a constant set-up of 3) */
	assert_rel(queue_model_mg1_setup_response(1e-9, 1, 1, 3, 9, 1), 4, 1e-8);
	/* a constant set-up of 1 at ρ 0.5, M/M/1: 2 + (2 + 0.5) / 3 */
	assert_rel(queue_model_mg1_setup_response(0.5, 1, 1, 1, 1, 1), 2 + 2.5 / 3, EXACT);
	/* a heavy set-up tail costs more than its mean: E[V] 1, E[V²] 20 */
	assert_true(queue_model_mg1_setup_response(0.5, 1, 1, 1, 20, 1) > 3.5);
}

/*
 * The same figure by Welch's own form (Operations Research 12(5), 1964): the
 * first op of a busy period has the exceptional service S0 = V + S, and the
 * mean wait before service is λE[S²]/(2(1 − ρ)) + λ(E[S0²] − E[S²]) /
 * (2(1 − ρ + λE[S0])); an op starts a busy period with the probability
 * that the server is idle, (1 − ρ)/(1 + λE[V]), and then takes S0, else S.
 */
static void test_mg1_setup_welch_form(void **state)
{
	const double cases[][5] = {
		/* λ, S, Cs², E[V], E[V²] */
		{0.3, 1, 0.5, 0.7, 2.0},
		{100, 0.005, 2.5, 0.002, 1e-4},
		{4000, 6e-5, 0.6, 2e-5, 3e-9},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double l = cases[i][0], es = cases[i][1], cs2 = cases[i][2];
		double v1 = cases[i][3], v2 = cases[i][4], rho = l * es;
		double es2 = es * es * (1 + cs2), es0 = v1 + es;
		double es02 = v2 + 2 * v1 * es + es2;
		double wq =
			l * es2 / (2 * (1 - rho)) + l * (es02 - es2) / (2 * (1 - rho + l * es0));
		double p0 = (1 - rho) / (1 + l * v1);
		double w = wq + p0 * es0 + (1 - p0) * es;

		assert_rel(queue_model_mg1_setup_response(l, es, cs2, v1, v2, 1), w, 1e-10);
	}
}

/* xorshift64*: a fixed sequence, so the simulation below is the same every run */
static double sim_uniform(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return ((*x * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0) + 1e-17;
}

/*
 * Against a simulation of the queue itself: Poisson arrivals at λ 0.4,
 * exponential service of mean 1, a constant set-up of 2 when an op finds
 * the server idle, FIFO. 10^6 ops; the mean response's standard error is
 * about 0.12% (batch means of 20000 in a separate run of 10^6: 3.2191 ±
 * 0.0038 against the formula's 3.2222), so 2% is over 15 of them: the bound
 * is for a wrong formula, not for noise.
 */
static void test_mg1_setup_simulated(void **state)
{
	uint64_t x = 88172645463325252ull;
	double t = 0, free_at = 0, sum = 0;
	const int n = 1000000;

	(void)state;
	for (int i = 0; i < n; i++) {
		double start;

		t += -log(sim_uniform(&x)) / 0.4;
		start = t >= free_at ? t + 2 : free_at;
		free_at = start - log(sim_uniform(&x));
		sum += free_at - t;
	}
	assert_rel(queue_model_mg1_setup_response(0.4, 1, 1, 2, 4, 1), sum / n, 0.02);
	/* and the plain M/M/1 (S/(1 − ρ) = 1.67) is far off it */
	assert_true(sum / n > 1.3 * queue_model_mm1_response(0.4, 1));
}

static void test_mg1_setup_unknown(void **state)
{
	(void)state;
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, 1, 2, 2)); /* c > 1 */
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, 1, 2, 0));
	assert_nan(queue_model_mg1_setup_response(1, 1, 1, 1, 2, 1)); /* ρ = 1 */
	assert_nan(queue_model_mg1_setup_response(0.5, 1, NAN, 1, 2, 1));
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, NAN, 2, 1));
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, 1, NAN, 1));
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, 1, 0.5, 1)); /* E[V²] < E[V]² */
	assert_nan(queue_model_mg1_setup_response(0.5, 1, 1, -1, 2, 1));
}

/* In the window's figures: the set-up model holds dispatch itself (D is not
 * added to it), its error is against the measured W, and it is null where
 * the other models are. */
static void test_compute_mg1_setup(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	/* 40 of the 80 ops found the server idle and waited 1 s each: D = 0.5 */
	in.dispatch_s = 0.5;
	in.dispatch_mean_s = 1;
	in.dispatch_m2_s2 = 2;
	queue_model_compute(&in, &f);
	/* λ 0.8, S 1, M/M/1 W 5, plus an exponential set-up's mean 1 */
	assert_rel(f.mg1_setup_response_s, 6, EXACT);
	assert_rel(f.mg1_setup_error, 6 / 5.5 - 1, EXACT);
	in.never_idle = 1;
	queue_model_compute(&in, &f);
	assert_nan(f.mg1_setup_response_s);
	assert_nan(f.mg1_setup_error);
	in = mm1_window();
	in.dispatch_s = 0.5;
	in.dispatch_mean_s = NAN;
	in.dispatch_m2_s2 = NAN;
	queue_model_compute(&in, &f);
	assert_nan(f.mg1_setup_response_s);
	assert_rel(f.mg1_response_s, 5.5, EXACT);
	in.servers = 2;
	in.dispatch_mean_s = 1;
	in.dispatch_m2_s2 = 2;
	queue_model_compute(&in, &f);
	assert_nan(f.mg1_setup_response_s);
}

/* W up to the answer: D + Wq + the mean take-to-answer time, which holds a
 * message's wait behind those read with it (W = D + Wq + S does not); null
 * when that time was not measured, W staying known. */
static void test_compute_response_answered(void **state)
{
	struct queue_input in = mm1_window();
	struct queue_figures f;

	(void)state;
	in.dispatch_s = 0.5;
	/* ops read 4 at a time, 1 s each, answered together: 4 s from take to answer */
	in.answer_s = 4;
	queue_model_compute(&in, &f);
	assert_rel(f.response_s, 5.5, EXACT);
	assert_rel(f.response_answered_s, 8.5, EXACT);
	in.answer_s = NAN;
	queue_model_compute(&in, &f);
	assert_nan(f.response_answered_s);
	assert_rel(f.response_s, 5.5, EXACT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erlang_c_exact_fractions),
		cmocka_unit_test(test_erlang_c_published_table),
		cmocka_unit_test(test_erlang_c_large_c),
		cmocka_unit_test(test_erlang_c_edges),
		cmocka_unit_test(test_mm1_textbook),
		cmocka_unit_test(test_mm1_near_and_past_saturation),
		cmocka_unit_test(test_mmc_textbook),
		cmocka_unit_test(test_mmc_large_c),
		cmocka_unit_test(test_mg1_pollaczek_khinchine),
		cmocka_unit_test(test_gg1_kingman),
		cmocka_unit_test(test_backlog_growth_rule),
		cmocka_unit_test(test_compute_mm1_window),
		cmocka_unit_test(test_compute_model_errors_and_little),
		cmocka_unit_test(test_compute_multi_server),
		cmocka_unit_test(test_compute_saturated_by_rho),
		cmocka_unit_test(test_compute_saturated_by_backlog),
		cmocka_unit_test(test_compute_rho_near_one),
		cmocka_unit_test(test_compute_large_c),
		cmocka_unit_test(test_compute_zero_arrivals),
		cmocka_unit_test(test_compute_draining_old_backlog),
		cmocka_unit_test(test_compute_bad_span),
		cmocka_unit_test(test_compute_never_inf),
		cmocka_unit_test(test_compute_dispatch),
		cmocka_unit_test(test_compute_no_service_ended),
		cmocka_unit_test(test_compute_never_idle),
		cmocka_unit_test(test_mg1_setup_closed_forms),
		cmocka_unit_test(test_mg1_setup_welch_form),
		cmocka_unit_test(test_mg1_setup_simulated),
		cmocka_unit_test(test_mg1_setup_unknown),
		cmocka_unit_test(test_compute_mg1_setup),
		cmocka_unit_test(test_compute_response_answered),
	};

	return cmocka_run_group_tests_name("queue_model", tests, NULL, NULL);
}
