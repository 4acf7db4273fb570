/*
 * Windowed ordinary-least-squares trend for per-interval series, with the
 * slope's standard error, Student-t prediction intervals and a saturation ETA
 * that is only given when the rise is statistically significant. Student's t
 * is computed here (regularised incomplete beta by continued fraction) so the
 * module needs nothing beyond libm. The model is justified in docs/forecast.md.
 */
#include <float.h>
#include <math.h>

#include "forecast.h"
#include "queue_model.h"

void forecast_series_init(struct forecast_series *s, unsigned window)
{
	if (window == 0)
		window = FORECAST_DEFAULT_WINDOW;
	if (window > FORECAST_MAX_WINDOW)
		window = FORECAST_MAX_WINDOW;
	s->window = window;
	forecast_series_reset(s);
}

void forecast_series_reset(struct forecast_series *s)
{
	s->head = 0;
	s->count = 0;
}

void forecast_series_push(struct forecast_series *s, double t, double v)
{
	if (!isfinite(t) || !isfinite(v))
		return;
	s->t[s->head] = t;
	s->v[s->head] = v;
	s->head = (s->head + 1) % s->window;
	if (s->count < s->window)
		s->count++;
}

unsigned forecast_series_count(const struct forecast_series *s)
{
	return s->count;
}

static void trend_invalidate(struct forecast_trend *out, unsigned n)
{
	*out = (struct forecast_trend){
		.valid = 0,
		.level = NAN,
		.slope = NAN,
		.slope_se = NAN,
		.resid_sd = NAN,
		.n = n,
		.t_last = NAN,
		.t_mean = NAN,
		.sxx = NAN,
	};
}

int forecast_trend_fit(const struct forecast_series *s, struct forecast_trend *out)
{
	unsigned n = s->count, first = (s->head + s->window - s->count) % s->window;
	double t_sum = 0, v_sum = 0, t_mean, v_mean, t_last = -INFINITY, t_first = INFINITY;
	double sxx = 0, sxy = 0, sse = 0, t_abs = 0, v_abs = 0, slope, resid_sd;
	unsigned i;

	if (n < FORECAST_MIN_POINTS) {
		trend_invalidate(out, n);
		return -1;
	}

	/* Two passes about the means: times may be Unix seconds (~1.7e9), whose
	 * squares would swamp the spread in a one-pass Σt² - n·t̄² formula. */
	for (i = 0; i < n; i++) {
		unsigned k = (first + i) % s->window;

		t_sum += s->t[k];
		v_sum += s->v[k];
		t_last = fmax(t_last, s->t[k]);
		t_first = fmin(t_first, s->t[k]);
		t_abs = fmax(t_abs, fabs(s->t[k]));
		v_abs = fmax(v_abs, fabs(s->v[k]));
	}
	t_mean = t_sum / n;
	v_mean = v_sum / n;
	for (i = 0; i < n; i++) {
		unsigned k = (first + i) % s->window;
		double dt = s->t[k] - t_mean;

		sxx += dt * dt;
		sxy += dt * (s->v[k] - v_mean);
	}
	/* All times equal, up to rounding of the mean: the slope is undefined. */
	if (t_last - t_first <= 64 * DBL_EPSILON * t_abs || sxx <= 0) {
		trend_invalidate(out, n);
		return -1;
	}
	slope = sxy / sxx;
	/* A change over the whole window below the values' rounding is no change;
	 * otherwise a constant 0.1 could yield a "significant" 1e-18/s slope. */
	if (fabs(slope) * (t_last - t_first) <= 64 * DBL_EPSILON * v_abs)
		slope = 0;
	for (i = 0; i < n; i++) {
		unsigned k = (first + i) % s->window;
		double r = s->v[k] - v_mean - slope * (s->t[k] - t_mean);

		sse += r * r;
	}
	resid_sd = sqrt(sse / (n - 2));

	out->valid = 1;
	out->n = n;
	out->slope = slope;
	out->resid_sd = resid_sd;
	out->slope_se = resid_sd / sqrt(sxx);
	out->t_last = t_last;
	out->t_mean = t_mean;
	out->sxx = sxx;
	out->level = v_mean + slope * (t_last - t_mean);
	return 0;
}

double forecast_predict(const struct forecast_trend *tr, double horizon_s)
{
	if (!tr->valid || !isfinite(horizon_s))
		return NAN;
	return tr->level + tr->slope * horizon_s;
}

void forecast_interval(const struct forecast_trend *tr, double horizon_s, double conf, double *lo,
		       double *hi)
{
	double center, d, se, q;

	*lo = NAN;
	*hi = NAN;
	if (!tr->valid || !isfinite(horizon_s) || !(conf > 0 && conf < 1))
		return;
	center = forecast_predict(tr, horizon_s);
	d = tr->t_last + horizon_s - tr->t_mean;
	/* Var(new y - ŷ) = σ²(1 + 1/n + (x0 - x̄)²/Sxx): noise of the new point
	 * plus the uncertainty of the fitted line at x0. */
	se = tr->resid_sd * sqrt(1.0 + 1.0 / tr->n + d * d / tr->sxx);
	q = forecast_t_quantile(0.5 + conf / 2, tr->n - 2);
	*lo = center - q * se;
	*hi = center + q * se;
}

int forecast_slope_significant(const struct forecast_trend *tr)
{
	double crit;

	if (!tr->valid || !(tr->slope > 0))
		return 0;
	if (tr->slope_se == 0)
		return 1; /* a perfect line: any rise is certain */
	crit = forecast_t_quantile(0.5 + FORECAST_SIGNIFICANCE_CONF / 2, tr->n - 2);
	return tr->slope / tr->slope_se >= crit;
}

double forecast_saturation_eta(const struct forecast_trend *tr, double capacity)
{
	if (!tr->valid || !isfinite(capacity) || capacity <= 0)
		return NAN;
	if (tr->level >= capacity)
		return 0;
	if (!forecast_slope_significant(tr))
		return NAN;
	return (capacity - tr->level) / tr->slope;
}

/*
 * Continued fraction for the regularised incomplete beta I_x(a, b), evaluated
 * by the modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
 */
static double beta_cont_frac(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;
	int m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (m = 1; m <= 500; m++) {
		double aa, delta;

		aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + aa * d;
		c = 1 + aa / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;

		aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + aa * d;
		c = 1 + aa / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		delta = d * c;
		h *= delta;
		if (fabs(delta - 1) < 4 * DBL_EPSILON)
			break;
	}
	return h;
}

static double beta_inc_reg(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cont_frac(a, b, x) / a;
	return 1 - front * beta_cont_frac(b, a, 1 - x) / b;
}

/* P(T > x) for x ≥ 0, computed directly so tail probabilities keep their precision. */
static double t_upper_tail(double x, unsigned df)
{
	double nu = df;

	return 0.5 * beta_inc_reg(nu / 2, 0.5, nu / (nu + x * x));
}

double forecast_t_cdf(double x, unsigned df)
{
	if (df == 0 || isnan(x))
		return NAN;
	if (x >= 0)
		return 1 - t_upper_tail(x, df);
	return t_upper_tail(-x, df);
}

double forecast_t_quantile(double p, unsigned df)
{
	double tail, lo = 0, hi = 1;
	int i;

	if (df == 0 || !(p > 0 && p < 1))
		return NAN;
	if (p == 0.5)
		return 0;
	if (p < 0.5)
		return -forecast_t_quantile(1 - p, df);
	tail = 1 - p;
	/* The upper tail falls monotonically in x: bracket, then bisect. */
	while (t_upper_tail(hi, df) > tail) {
		lo = hi;
		hi *= 2;
		if (hi > 1e300)
			return INFINITY;
	}
	for (i = 0; i < 200 && hi - lo > 4 * DBL_EPSILON * hi; i++) {
		double mid = lo + (hi - lo) / 2;

		if (t_upper_tail(mid, df) > tail)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

void forecast_figures_eval(const struct forecast_trend *tr, double horizon_s, double s,
			   unsigned servers, struct forecast_figures *out)
{
	double lam = fmax(0, forecast_predict(tr, horizon_s));

	out->horizon_s = horizon_s;
	out->arrival_rate = lam;
	forecast_interval(tr, horizon_s, 0.95, &out->arrival_lo, &out->arrival_hi);
	out->arrival_lo = fmax(0, out->arrival_lo);
	out->rho = NAN;
	out->response_s = NAN;
	out->saturation_eta_s = NAN;
	if (servers && isfinite(s) && s > 0) {
		out->rho = queue_model_rho(lam, s, servers);
		out->response_s = queue_model_mmc_response(lam, s, servers);
		out->saturation_eta_s = forecast_saturation_eta(tr, servers / s);
	}
}
