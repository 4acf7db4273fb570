/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Render the traced processes as the Prometheus text exposition format 0.0.4
 * (what `--listen` serves at /metrics). Counters come from the run totals, so
 * they only grow; gauges (rates, ρ, utilization, backlog, forecast) from the
 * latest interval; latency figures are real histograms with the log2 bucket
 * bounds of the kernel side, in seconds. Pure C over the snapshot model: the
 * unit tests render synthetic snapshots and check them with promtool.
 * docs/prometheus.md lists every metric.
 */
#ifndef ST_PROM_OUT_H
#define ST_PROM_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

/*
 * The series cap. A scrape holds at most max_procs processes (those still
 * running first, then exited ones, in pid order) and, for each, the
 * max_syscalls syscalls it made most often over the run; every syscall row is
 * one histogram of 34 lines. What is left out is counted in
 * streamtrace_series_dropped_total{kind="process"|"syscall"}.
 */
#define PROM_OUT_MAX_PROCS    32
#define PROM_OUT_MAX_SYSCALLS 16

struct prom_limits {
	unsigned max_procs;    /* 0: PROM_OUT_MAX_PROCS */
	unsigned max_syscalls; /* 0: PROM_OUT_MAX_SYSCALLS */
};

/* streamtrace's own health, filled by the caller. NaN = not known (left out). */
struct prom_self {
	const char *version;	   /* streamtrace_build_info{version=...}; NULL: left out */
	double start_time;	   /* UNIX seconds when tracing began */
	double cpu_user_s;	   /* getrusage(RUSAGE_SELF) */
	double cpu_system_s;	   /* getrusage(RUSAGE_SELF) */
	double rss_bytes;	   /* resident set of streamtrace itself */
	double interval_s;	   /* the configured reporting interval (-i) */
	double render_s;	   /* time the previous rendering took */
	uint64_t http_requests[4]; /* by answer, see enum prom_http_answer */
	/* --listen's connections (issue 16); left out while http_conns_known is 0 */
	int http_conns_known;
	uint64_t http_unauthorized;	  /* 401 answers */
	uint64_t http_conns_accepted;	  /* connections taken on */
	uint64_t http_conns_refused[2];	  /* per-client limit, connection limit */
	uint64_t http_conns_timed_out[3]; /* request, response, idle */
	uint64_t http_conns_open;	  /* open now */
};

enum prom_http_answer {
	PROM_HTTP_200, /* GET /metrics served */
	PROM_HTTP_404, /* unknown path */
	PROM_HTTP_405, /* method other than GET/HEAD on /metrics */
	PROM_HTTP_503, /* /metrics before the first interval was published */
};

/* Fill the connection figures of self (and mark them known). */
void prom_self_http_conns(struct prom_self *self, uint64_t unauthorized, uint64_t accepted,
			  uint64_t refused_per_client, uint64_t refused_full,
			  uint64_t timeout_request, uint64_t timeout_response,
			  uint64_t timeout_idle, uint64_t open);

/* A prom_self with every figure unknown and no requests. */
void prom_self_init(struct prom_self *self);
/* Fill self's CPU time (getrusage) and RSS (/proc/self); -1 if one failed. */
int prom_self_sample(struct prom_self *self);

/*
 * Write the exposition to f. @totals: the run-total (summary) snapshot, the
 * source of counters and histograms; @latest: the latest interval snapshot,
 * the source of gauges (NULL before the first interval: gauges left out);
 * @self may be NULL; @lim NULL means the default cap. Returns 0, or -1 when
 * writing to f failed.
 */
int prom_out_render(FILE *f, const struct snapshot *totals, const struct snapshot *latest,
		    const struct prom_self *self, const struct prom_limits *lim);

/* The same into a malloc'ed buffer (*buf, *len; free(*buf) after use). */
int prom_out_render_buf(char **buf, size_t *len, const struct snapshot *totals,
			const struct snapshot *latest, const struct prom_self *self,
			const struct prom_limits *lim);

/* Upper bound (le) of log2 bucket b in seconds as exact decimal text
 * ("0.000000002" for b = 0); b must be below HIST_BUCKETS - 1 (the last
 * bucket is open-ended: it only counts towards +Inf). */
void prom_out_le(unsigned b, char *buf, size_t len);

#endif
