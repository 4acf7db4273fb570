/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `streamtrace diff BASE NEW`: compares two recordings process by process
 * (matched by pipeline stage, else by command name) and metric by metric, and
 * says whether NEW regressed. A change fails only when it is beyond its
 * threshold and beyond noise: a rank test over the per-interval values, or
 * over the per-op histograms, or a count test, must find it significant.
 */
#ifndef ST_DIFF_H
#define ST_DIFF_H

#include <stddef.h>
#include <stdio.h>

enum diff_metric {
	DIFF_RESPONSE = 0, /* mean response time W = Wq + S */
	DIFF_SERVICE,	   /* mean service time S */
	DIFF_WAIT,	   /* mean queue wait Wq */
	DIFF_THROUGHPUT,   /* ops per second X: a drop is the regression */
	DIFF_P99,	   /* p99 latency of each busy syscall */
	DIFF_ERRORS,	   /* syscall errors per call (each syscall, and in all) */
	DIFF_CPU,	   /* on-CPU seconds (per op for a process with a queue) */
	DIFF__MAX,
};

struct diff_threshold {
	int enabled; /* 0: the metric is shown, never fails */
	double rel;  /* worse by more than this fraction (0.2 = 20%); 0: no such condition */
	double abs;  /* and by more than this, in the metric's unit (s, ops/s, errors) */
};

struct diff_options {
	struct diff_threshold th[DIFF__MAX];
	double alpha; /* significance level of the noise tests (one-sided) */
	int json;     /* one JSON object instead of the table */
	int all_rows; /* the table shows every row, not only the interesting ones */
	FILE *out;    /* NULL: stdout */
	FILE *err;    /* NULL: stderr */
};

/*
 * Defaults: response +20%, service +20%, throughput -10%, p99 +100% (two
 * log2 buckets up), errors +50% per call; wait and cpu shown, not judged; alpha 0.001.
 */
void diff_options_init(struct diff_options *o);

/*
 * One --threshold value into @o: "response=+20%", "service=+1ms",
 * "throughput=-10%", "p99=+50%", "errors=+5", "cpu=+15%", "wait=off",
 * "alpha=0.05". A percentage sets the relative threshold, a number (with
 * ns/us/ms/s for times) the absolute one; both must be exceeded to fail.
 * A sign against the metric's bad direction is an error. 0 ok, -1 with a
 * one-line reason in @err.
 */
int diff_parse_threshold(struct diff_options *o, const char *spec, char *err, size_t errlen);

/* "response", "service", ...: the names diff_parse_threshold takes. */
const char *diff_metric_name(enum diff_metric m);

/*
 * Compare; the table (or JSON) goes to o->out. 0: nothing regressed beyond
 * its threshold; 1: something did (each named in the output); 2: a file is
 * unreadable, corrupt, cut short, of a newer format, or the two recordings
 * have no process in common (one line on o->err).
 */
int diff_main(const char *base, const char *new_file, const struct diff_options *o);

#endif
