/*
 * Trend forecasting for per-interval series (arrival rate λ, response time W):
 * an ordinary least-squares line over the last N points of a ring, with the
 * slope's standard error, a Student-t prediction interval and a significance-
 * gated "time until the trend reaches capacity". Pure C over plain structs,
 * no libbpf, so it is unit-tested without root. See docs/forecast.md.
 */
#ifndef STREAMTRACE_FORECAST_H
#define STREAMTRACE_FORECAST_H

#include <stddef.h>

#define FORECAST_MAX_WINDOW	120
#define FORECAST_DEFAULT_WINDOW 30
#define FORECAST_MIN_POINTS	4
/*
 * forecast_saturation_eta() needs slope / slope_se above the two-sided critical
 * value of Student's t at this confidence: a one-sided test at the 2.5% level.
 */
#define FORECAST_SIGNIFICANCE_CONF 0.95

/* Ring of the last `window` finite (time_s, value) points. */
struct forecast_series {
	double t[FORECAST_MAX_WINDOW];
	double v[FORECAST_MAX_WINDOW];
	unsigned window; /* capacity in use, 1..FORECAST_MAX_WINDOW */
	unsigned head;	 /* index the next point goes to */
	unsigned count;	 /* points held, ≤ window */
};

/*
 * An OLS line v = level + slope * (t - t_last), fitted at the newest point.
 * t_mean and sxx (Σ(t - t̄)²) are kept for the prediction interval.
 */
struct forecast_trend {
	int valid;
	double level;	 /* fitted value at t_last */
	double slope;	 /* units of value per second */
	double slope_se; /* standard error of the slope */
	double resid_sd; /* residual standard error, n - 2 degrees of freedom */
	unsigned n;	 /* points used */
	double t_last;	 /* newest time in the fit */
	double t_mean;
	double sxx;
};

/* window 0 means FORECAST_DEFAULT_WINDOW; larger than the maximum is clamped. */
void forecast_series_init(struct forecast_series *s, unsigned window);
void forecast_series_reset(struct forecast_series *s);
/* Points with a non-finite time or value are ignored (a null figure is a gap, not a zero). */
void forecast_series_push(struct forecast_series *s, double t, double v);
unsigned forecast_series_count(const struct forecast_series *s);

/*
 * 0 on success; -1 with out->valid = 0 when there are fewer than
 * FORECAST_MIN_POINTS points or every point has the same time.
 */
int forecast_trend_fit(const struct forecast_series *s, struct forecast_trend *out);

/* Value of the line at t_last + horizon_s; NaN for an invalid trend. */
double forecast_predict(const struct forecast_trend *tr, double horizon_s);

/*
 * Two-sided prediction interval with confidence conf (0 < conf < 1) for a new
 * observation at t_last + horizon_s. *lo and *hi are NaN when the trend is
 * invalid or conf is out of range.
 */
void forecast_interval(const struct forecast_trend *tr, double horizon_s, double conf, double *lo,
		       double *hi);

/*
 * Seconds from t_last until the trend reaches capacity (e.g. servers ×
 * service_rate for λ). 0 when the fitted level is already at or above
 * capacity. NaN when the trend is invalid, the capacity is unknown (NaN,
 * infinite or ≤ 0), or the slope is not significantly positive: a one-sided
 * t-test slope / slope_se ≥ t(1 - (1 - FORECAST_SIGNIFICANCE_CONF) / 2, n - 2),
 * about 2 for a full window.
 */
double forecast_saturation_eta(const struct forecast_trend *tr, double capacity);

/* Whether the slope passes the test above (1) or not (0). */
int forecast_slope_significant(const struct forecast_trend *tr);

/* What a process's forecast says (proc_view.fc); NaN where the trend or the
 * measured service time cannot support a figure. */
struct forecast_figures {
	double horizon_s;
	double arrival_rate;	       /* λ at the horizon, >= 0 */
	double rho;		       /* ρ there, at today's S and c */
	double response_s;	       /* W there by M/M/c */
	double saturation_eta_s;       /* until λ's trend reaches c/S */
	double arrival_lo, arrival_hi; /* 95% prediction interval of arrival_rate */
};

/*
 * The forecast at @horizon_s from λ's fitted trend @tr: λ and its interval
 * (clamped at 0), and, when @s > 0 and @servers, ρ and W by M/M/c at that λ
 * and the time until λ reaches the capacity @servers / @s.
 */
void forecast_figures_eval(const struct forecast_trend *tr, double horizon_s, double s,
			   unsigned servers, struct forecast_figures *out);

/* Quantile p (0 < p < 1) of Student's t with df ≥ 1 degrees of freedom; NaN otherwise. */
double forecast_t_quantile(double p, unsigned df);
/* P(T ≤ x) for Student's t with df ≥ 1 degrees of freedom. */
double forecast_t_cdf(double x, unsigned df);

#endif /* STREAMTRACE_FORECAST_H */
