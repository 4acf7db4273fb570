/*
 * Queueing figures for one traced process over one window: the measured
 * arrival rate, throughput, utilization, service time, wait and queue length,
 * and the response time that M/M/1, M/M/c, M/G/1 and G/G/1 predict from them.
 * Pure C over plain structs (only libm), so it is unit-tested without root.
 * docs/queueing.md derives every figure; a figure that cannot be known is NaN.
 */
#ifndef STREAMTRACE_QUEUE_MODEL_H
#define STREAMTRACE_QUEUE_MODEL_H

/*
 * A backlog grew through a window when it ended more than this many bytes,
 * or this fraction of where it started, above its start (whichever is larger).
 */
#define QUEUE_MODEL_BACKLOG_GROWTH_BYTES 4096.0
#define QUEUE_MODEL_BACKLOG_GROWTH_FRAC	 0.10

/*
 * Measured inputs over one window (an interval or the whole run). NaN = not
 * known; a negative or infinite value is treated as not known too.
 */
struct queue_input {
	/* Window length, > 0. */
	double span_s;
	/* Ops the kernel enqueued to the process's input sockets in the window. */
	double arrivals;
	/* Ops the process dequeued (successful receives). */
	double completions;
	/* Sum over serving threads of time busy (not blocked waiting for input). */
	double busy_s;
	/* c: serving threads (made receives in the window); 0 = none. */
	unsigned servers;
	/* Measured mean queue wait Wq (socket enqueue -> dequeue). */
	double wait_s;
	/* Time-averaged ops waiting in input socket queues (Lq). */
	double backlog_ops_avg;
	/* Backlog (bytes) at the window's edges. */
	double backlog_start, backlog_end;
	/* Squared coefficients of variation of inter-arrival and per-op service times. */
	double arrival_cv2;
	double service_cv2;
	/* D: mean dispatch delay per op (an op's arrival at an idle server
	 * until the server runs, summed over the ops that found it idle, over
	 * completions); it is not part of wait_s, which the caller gives
	 * without it. */
	double dispatch_s;
	/* Of D, per op: the part before the wake-up reached the scheduler,
	 * the thread still asleep (idle time, so not in U). */
	double dispatch_asleep_s;
	/* 1: no op's service was seen to end (answered) in the window, so S, μ,
	 * ρ and the models are unknown even when busy time was measured. */
	int no_service_ended;
	/* 1: a serving thread never waited for input over the window (at its
	 * capacity whatever ρ says): saturated, and the models are unknown. */
	int never_idle;
	/* The dispatch delays D0 of the ops that found the server idle (not
	 * averaged over all ops like dispatch_s): their mean and mean square,
	 * the set-up time of a busy period in the M/G/1 with set-up. */
	double dispatch_mean_s;
	double dispatch_m2_s2;
	/* Mean time per message from the receive that took it to the answer
	 * (the process's next send): its service, and its wait inside the
	 * process behind the messages taken with it. NaN if not measured. */
	double answer_s;
};

struct queue_figures {
	double arrival_rate;   /* λ, ops/s */
	double throughput;     /* X, ops/s */
	double utilization;    /* U, 0..1 per serving thread: (busy + D·ops) / (c·span) */
	double service_time_s; /* S, busy seconds per op */
	double service_rate;   /* μ = 1/S, ops/s per server */
	unsigned servers;      /* c */
	double rho;	       /* λS/c */
	double queue_length;   /* L = Lq + c·U */
	double wait_s;	       /* Wq, measured, without the dispatch delay */
	double response_s;     /* W = D + Wq + S */
	int saturated;	       /* 0/1: ρ ≥ 1, the backlog grew, or a server never idle */
	double mm1_response_s, mmc_response_s, mg1_response_s, gg1_response_s;
	/* (model - measured W) / measured W */
	double mm1_error, mmc_error, mg1_error, gg1_error;
	double little_l_lambda_w; /* λ·W, to compare with queue_length */
	double little_error;	  /* (L - λW)/λW */
	double dispatch_s;	  /* D, measured; W = D + Wq + S and each model adds it */
	double dispatch_asleep_s; /* of D: arrival -> wake-up, the server asleep (idle) */
	/* M/G/1 with a set-up time (the dispatch delay D0) at the start of
	 * each busy period; it holds the dispatch itself, so D is not added */
	double mg1_setup_response_s;
	double mg1_setup_error;
	/* D + Wq + answer_s: W up to the answer, with the wait inside the
	 * process of a message read together with others (W counts S only) */
	double response_answered_s;
};

/* Fill every field of @out from @in; fields that cannot be known are NaN. */
void queue_model_compute(const struct queue_input *in, struct queue_figures *out);

/* Probability that an arrival waits in M/M/c, a = λS offered load (Erlangs); NaN if a ≥ c. */
double queue_model_erlang_c(unsigned c, double a);

/*
 * Mean response time W (wait + service) that each model predicts for arrival
 * rate @lambda (ops/s) and mean service time @s (s). NaN when ρ = λS/c ≥ 1
 * (no steady state) or when an input is NaN, negative or c is 0.
 */
double queue_model_mm1_response(double lambda, double s);
double queue_model_mmc_response(double lambda, double s, unsigned c);
/* @cs2: squared CV of service times; c > 1 uses the Lee–Longton approximation. */
double queue_model_mg1_response(double lambda, double s, double cs2, unsigned c);
/* @ca2, @cs2: squared CVs of inter-arrival and service times; c > 1 uses Allen–Cunneen. */
double queue_model_gg1_response(double lambda, double s, double ca2, double cs2, unsigned c);

/*
 * M/G/1 whose busy periods start with a set-up time V (Welch 1964: the first
 * customer of a busy period has an exceptional service V + S): mean response
 * W = S + λE[S²]/(2(1 − ρ)) + (2E[V] + λE[V²]) / (2(1 + λE[V])), with
 * E[S²] = S²(1 + @cs2), @v1 = E[V], @v2 = E[V²]. c = 1 only (NaN otherwise),
 * NaN when ρ ≥ 1, an input is unknown, or E[V²] < E[V]² (not a distribution).
 */
double queue_model_mg1_setup_response(double lambda, double s, double cs2, double v1, double v2,
				      unsigned c);

/* Mean queue wait Wq of M/M/c (Erlang C); NaN under the same conditions as above. */
double queue_model_mmc_wait(double lambda, double s, unsigned c);

/* Offered load per server ρ = λS/c; NaN when an input is NaN or c is 0. */
double queue_model_rho(double lambda, double s, unsigned c);
/*
 * p99 of the response under M/M/c: S plus the wait's tail, P(Wq > t) =
 * C e^{-(cμ - λ)t}; an approximation (service taken at its mean). NaN when
 * S is not > 0, c is 0 or λS >= c.
 */
double queue_model_mmc_response_p99(double lambda, double s, unsigned c);

/* 1 when a byte backlog grew through a window by the rule above, 0 otherwise or if unknown. */
int queue_model_backlog_grew(double start_bytes, double end_bytes);

#endif /* STREAMTRACE_QUEUE_MODEL_H */
