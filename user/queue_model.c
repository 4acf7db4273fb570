/*
 * Queueing engine: turns one window's measured arrivals, receives, busy time,
 * wait and backlog into the contract's queue figures, and evaluates the M/M/1,
 * M/M/c, M/G/1 and G/G/1 response-time models on the measured λ, S, c and
 * variability. docs/queueing.md derives each figure and states its assumptions.
 */
#include <math.h>
#include <stddef.h>

#include "queue_model.h"

/* A measured quantity we can use: finite and not negative; anything else is unknown. */
static double known(double x)
{
	return isfinite(x) && x >= 0 ? x : NAN;
}

/* Every output goes through here so that an overflow is reported as unknown, never inf. */
static double finite_or_nan(double x)
{
	return isfinite(x) ? x : NAN;
}

static double ratio(double num, double den)
{
	if (isnan(num) || isnan(den) || den <= 0)
		return NAN;
	return finite_or_nan(num / den);
}

static int rate_and_time_ok(double lambda, double s)
{
	return !isnan(known(lambda)) && !isnan(known(s));
}

double queue_model_erlang_c(unsigned c, double a)
{
	double rho, b = 1.0;

	if (c == 0 || isnan(known(a)))
		return NAN;
	rho = a / c;
	if (!(rho < 1))
		return NAN;
	if (a == 0)
		return 0;
	/*
	 * Erlang B by its recurrence stays within [0, 1] at every step, where the
	 * textbook a^c/c! sum overflows long before c = 1000. Once B underflows
	 * to 0 it stays 0, so a huge c with a small load stops early.
	 */
	for (unsigned k = 1; k <= c && b > 0; k++)
		b = a * b / (k + a * b);
	/* 1 - ρ(1 - B) ≥ 1 - ρ > 0 since ρ < 1. */
	return b / (1 - rho * (1 - b));
}

double queue_model_mm1_response(double lambda, double s)
{
	double rho;

	if (!rate_and_time_ok(lambda, s))
		return NAN;
	rho = lambda * s;
	if (!(rho < 1))
		return NAN;
	return finite_or_nan(s / (1 - rho));
}

double queue_model_mmc_wait(double lambda, double s, unsigned c)
{
	double a, rho, pwait;

	if (c == 0 || !rate_and_time_ok(lambda, s))
		return NAN;
	a = lambda * s;
	rho = a / c;
	pwait = queue_model_erlang_c(c, a);
	if (isnan(pwait))
		return NAN;
	return finite_or_nan(pwait * s / (c * (1 - rho)));
}

double queue_model_mmc_response(double lambda, double s, unsigned c)
{
	return finite_or_nan(queue_model_mmc_wait(lambda, s, c) + s);
}

double queue_model_mg1_response(double lambda, double s, double cs2, unsigned c)
{
	double rho, wq;

	if (c == 0 || !rate_and_time_ok(lambda, s) || isnan(known(cs2)))
		return NAN;
	if (c == 1) {
		/* Pollaczek–Khinchine, exact for M/G/1. */
		rho = lambda * s;
		if (!(rho < 1))
			return NAN;
		wq = rho * s * (1 + cs2) / (2 * (1 - rho));
	} else {
		/* Lee–Longton: scale the M/M/c wait by the service variability. */
		wq = (1 + cs2) / 2 * queue_model_mmc_wait(lambda, s, c);
	}
	return finite_or_nan(wq + s);
}

double queue_model_gg1_response(double lambda, double s, double ca2, double cs2, unsigned c)
{
	double rho, wq;

	if (c == 0 || !rate_and_time_ok(lambda, s) || isnan(known(ca2)) || isnan(known(cs2)))
		return NAN;
	if (c == 1) {
		/* Kingman's heavy-traffic approximation. */
		rho = lambda * s;
		if (!(rho < 1))
			return NAN;
		wq = rho / (1 - rho) * (ca2 + cs2) / 2 * s;
	} else {
		/* Allen–Cunneen: scale the M/M/c wait by both variabilities. */
		wq = (ca2 + cs2) / 2 * queue_model_mmc_wait(lambda, s, c);
	}
	return finite_or_nan(wq + s);
}

double queue_model_mg1_setup_response(double lambda, double s, double cs2, double v1, double v2,
				      unsigned c)
{
	double rho, wq, setup;

	if (c != 1 || !rate_and_time_ok(lambda, s) || isnan(known(cs2)) || isnan(known(v1)) ||
	    isnan(known(v2)))
		return NAN;
	/* a mean square below the squared mean is no distribution (rounding
	 * of the kernel's squares aside: 1% of slack) */
	if (v2 < 0.99 * v1 * v1)
		return NAN;
	rho = lambda * s;
	if (!(rho < 1))
		return NAN;
	/*
	 * The decomposition of M/G/1 with set-up (Welch's exceptional first
	 * service with V + S as the first service): the Pollaczek–Khinchine
	 * wait, plus the set-up term, which is the mean residual set-up seen by
	 * an arrival that finds the server setting up, and the whole set-up for
	 * one that starts a busy period: E[V] at λ → 0, E[V] too for any λ when V
	 * is exponential, and more than E[V] when V's tail is heavier.
	 */
	wq = lambda * s * s * (1 + cs2) / (2 * (1 - rho));
	setup = (2 * v1 + lambda * v2) / (2 * (1 + lambda * v1));
	return finite_or_nan(s + wq + setup);
}

double queue_model_rho(double lambda, double s, unsigned c)
{
	return ratio(lambda * s, c);
}

double queue_model_mmc_response_p99(double lambda, double s, unsigned c)
{
	double a = lambda * s, C, decay;

	if (!(s > 0) || !c || a >= c)
		return NAN;
	C = queue_model_erlang_c(c, a);
	decay = c / s - lambda;
	return s + (C > 0.01 ? log(C / 0.01) / decay : 0);
}

int queue_model_backlog_grew(double start_bytes, double end_bytes)
{
	double start = known(start_bytes), end = known(end_bytes), margin;

	if (isnan(start) || isnan(end))
		return 0;
	/*
	 * A fixed floor so that one in-flight segment or a page of socket
	 * accounting is not growth, and a relative part so that a large but
	 * steady backlog that jitters by a few percent is not either.
	 */
	margin = fmax(QUEUE_MODEL_BACKLOG_GROWTH_BYTES, QUEUE_MODEL_BACKLOG_GROWTH_FRAC * start);
	return end > start + margin;
}

/* (model - measured) / measured, when the measured value can be divided by. */
static double relative_error(double model, double measured)
{
	return ratio(model - measured, measured);
}

static void figures_sanitize(struct queue_figures *f)
{
	double *all[] = {
		&f->arrival_rate,
		&f->throughput,
		&f->utilization,
		&f->service_time_s,
		&f->service_rate,
		&f->rho,
		&f->queue_length,
		&f->wait_s,
		&f->response_s,
		&f->mm1_response_s,
		&f->mmc_response_s,
		&f->mg1_response_s,
		&f->gg1_response_s,
		&f->mm1_error,
		&f->mmc_error,
		&f->mg1_error,
		&f->gg1_error,
		&f->little_l_lambda_w,
		&f->little_error,
		&f->dispatch_s,
		&f->mg1_setup_response_s,
		&f->mg1_setup_error,
		&f->response_answered_s,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		*all[i] = finite_or_nan(*all[i]);
}

void queue_model_compute(const struct queue_input *in, struct queue_figures *out)
{
	double span = known(in->span_s);
	double arrivals = known(in->arrivals), completions = known(in->completions);
	double busy = known(in->busy_s), lq = known(in->backlog_ops_avg);
	double ca2 = known(in->arrival_cv2), cs2 = known(in->service_cv2);
	double d = known(in->dispatch_s);
	unsigned c = in->servers;
	double lambda, s;

	*out = (struct queue_figures){.servers = c};

	lambda = ratio(arrivals, span);
	out->arrival_rate = lambda;
	out->throughput = ratio(completions, span);
	/* U: the serving threads' time not idle. A thread woken for a message
	 * and waiting to run (dispatch from the wake-up on) is not idle, so U
	 * counts it (as the thread's run-queue time in schedstat does); before
	 * the wake-up reached the scheduler it still slept, idle. S and ρ do
	 * not count dispatch, D being a term of W of its own. */
	double awake =
		isnan(d) ? 0 : d - (isnan(in->dispatch_asleep_s) ? 0 : in->dispatch_asleep_s);

	out->utilization =
		c > 0 ? ratio(busy + fmax(0, awake) * (isnan(completions) ? 0 : completions),
			      c * span)
		      : NAN;
	if (out->utilization > 1)
		out->utilization = 1; /* a boundary's reading skew, not more than all the time */

	/* busy_s/completions is U·c/X with the span cancelled; no serving thread, no S. */
	s = c > 0 ? ratio(busy, completions) : NAN;
	/* no op's service was seen to end: busy time per op is not known */
	if (in->no_service_ended)
		s = NAN;
	out->service_time_s = s;
	out->service_rate = ratio(1, s);
	out->rho = queue_model_rho(lambda, s, c);

	out->wait_s = known(in->wait_s);
	out->dispatch_s = d;
	out->dispatch_asleep_s = isnan(d) ? NAN : known(in->dispatch_asleep_s);
	out->response_s = d + out->wait_s + s;
	out->response_answered_s = d + out->wait_s + known(in->answer_s);
	/* c·U = busy_s/span: the time-averaged number of ops in service. */
	out->queue_length = lq + ratio(busy, span);

	out->saturated = (!isnan(out->rho) && out->rho >= 1) || in->never_idle ||
			 queue_model_backlog_grew(in->backlog_start, in->backlog_end);

	/* Each model NaNs itself when ρ ≥ 1 or an input it needs is unknown;
	 * a server that never waited for input has no steady state either.
	 * Every model predicts its own response plus the measured dispatch. */
	if (!in->never_idle) {
		out->mm1_response_s = d + (c > 0 ? queue_model_mm1_response(lambda / c, s) : NAN);
		out->mmc_response_s = d + queue_model_mmc_response(lambda, s, c);
		out->mg1_response_s = d + queue_model_mg1_response(lambda, s, cs2, c);
		out->gg1_response_s = d + queue_model_gg1_response(lambda, s, ca2, cs2, c);
		/* the set-up model holds dispatch (its V) itself: no d added */
		out->mg1_setup_response_s = queue_model_mg1_setup_response(
			lambda, s, cs2, known(in->dispatch_mean_s), known(in->dispatch_m2_s2), c);
	} else {
		out->mm1_response_s = out->mmc_response_s = NAN;
		out->mg1_response_s = out->gg1_response_s = NAN;
		out->mg1_setup_response_s = NAN;
	}
	out->mm1_error = relative_error(out->mm1_response_s, out->response_s);
	out->mmc_error = relative_error(out->mmc_response_s, out->response_s);
	out->mg1_error = relative_error(out->mg1_response_s, out->response_s);
	out->gg1_error = relative_error(out->gg1_response_s, out->response_s);
	out->mg1_setup_error = relative_error(out->mg1_setup_response_s, out->response_s);

	out->little_l_lambda_w = lambda * out->response_s;
	out->little_error = relative_error(out->queue_length, out->little_l_lambda_w);

	figures_sanitize(out);
}
