/*
 * What-if scenarios for the queueing model: parse a spec such as
 * "load=+30%,servers=4,service=-20%" and apply it to the measured arrival
 * rate λ, mean service time S and server count c, so the model can answer
 * "what if the load grew by 30%?". Pure parsing and arithmetic, no I/O.
 */
#ifndef STREAMTRACE_WHATIF_H
#define STREAMTRACE_WHATIF_H

#include <stddef.h>

#define WHATIF_MAX_SERVERS 4096
/* Upper bound of a ±P% change: ×101 is already far outside a linear what-if. */
#define WHATIF_MAX_PCT 10000.0

enum whatif_field {
	WHATIF_LOAD = 1 << 0,
	WHATIF_SERVERS = 1 << 1,
	WHATIF_SERVICE = 1 << 2,
};

struct whatif {
	unsigned set;	    /* WHATIF_* bits of the fields the spec gave */
	double load_pct;    /* λ' = λ × (1 + load_pct / 100), > -100 */
	double service_pct; /* S' = S × (1 + service_pct / 100), > -100 */
	unsigned servers;   /* c' = servers, 1..WHATIF_MAX_SERVERS */
};

/*
 * Parse comma-separated clauses, each one of
 *	load=±P%	arrival rate changed by P percent (the sign is required)
 *	service=±P%	mean service time changed by P percent (the sign is required)
 *	servers=N	N serving threads
 * P is a decimal number; spaces around clauses, keys and values are allowed.
 * Returns 0, or -1 with *out cleared and a one-line reason in err (when err is
 * not NULL and errlen > 0).
 */
int whatif_parse(const char *spec, struct whatif *out, char *err, size_t errlen);

/* Apply w (NULL: no change) to λ, S and c; fields w does not set pass through. */
void whatif_apply(const struct whatif *w, double lambda, double s, unsigned c, double *lambda2,
		  double *s2, unsigned *c2);

/* Canonical text of w, e.g. "load=+30%,servers=4"; returns snprintf's result. */
int whatif_format(const struct whatif *w, char *buf, size_t len);

/* What a process's what-if says (proc_view.wi): the changed λ, S, c and the
 * M/M/c figures there, NaN where a model has no steady state. */
struct whatif_figures {
	double arrival_rate, service_time_s, rho, response_s, response_p99_s;
	double gg_response_s; /* the same with the measured variability (Allen-Cunneen) */
	unsigned servers;
};

/*
 * @w applied to the measured @lambda, @s, @c (finite, c > 0), with the
 * measured squared CVs @ca2, @cs2 (NaN if unknown) for gg_response_s.
 */
void whatif_eval(const struct whatif *w, double lambda, double s, unsigned c, double ca2,
		 double cs2, struct whatif_figures *out);

#endif /* STREAMTRACE_WHATIF_H */
