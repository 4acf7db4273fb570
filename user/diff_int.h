/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside `diff`: what the comparison (diff.c) hands to the rendering
 * (diff_out.c): the two sides as loaded, and one row per metric compared.
 * Not for other modules.
 */
#ifndef ST_DIFF_INT_H
#define ST_DIFF_INT_H

#include <stdint.h>
#include <stdio.h>
#include "diff.h"
#include "model.h"
#include "recording.h"
#include "wavg.h"

#define MIN_INTERVALS 7 /* per-interval rank tests need this many values a side */
#define TOP_SYSCALLS  3 /* syscall rows the table shows without --all */
/* Used intervals whose longest is this many times the shortest are uneven. */
#define UNEVEN_RATIO 1.5

/* the bad direction of each metric: +1 when a rise is worse, -1 when a drop is */
extern const int diff_metric_dir[DIFF__MAX];

struct samples {
	double *v;
	unsigned n, cap;
};

struct sc_agg {
	uint32_t nr;
	uint64_t count, errors;
	struct hist hist;
	uint64_t max_ns;
	int max_known;
	unsigned n_errnos;
	struct errno_count errnos[ST_MAX_ERRNOS_PER_SYSCALL];
	/* one value per interval: errors per call of the entity, p99 (s) */
	struct samples ierr, ip99;
	uint64_t t_count, t_errors;
	struct hist t_hist;
};

struct entity {
	char key[64];
	char label[64]; /* a name shown by the rule of utf8.h: up to 45 bytes */
	char comm[ST_COMM_LEN + 1];
	unsigned stage;
	int matched; /* index + 1 of its match on the other side */
	/* whole run */
	int has_queue;
	double x, lambda, ops, oncpu_s;
	struct wavg w, s, wq;
	struct hist svc, wait;
	int wait_known;
	uint64_t calls, errors;
	struct sc_agg *sc;
	unsigned n_sc, cap_sc;
	/* one value per interval */
	struct samples iw, is, iwq, ix, ierr;
	unsigned unit; /* the unit of work of its ops (summary), 0 if none */
	/* the interval being read */
	int t_q;
	double t_x;
	uint64_t t_calls, t_errors;
	struct wavg t_w, t_s, t_wq;
};

struct pid_ent {
	uint32_t pid;
	unsigned ent;
};

struct side {
	const char *file;
	struct recording_meta meta;
	struct entity *ent;
	unsigned n_ent, cap_ent;
	struct pid_ent *map;
	unsigned n_map;
	uint64_t intervals, lost;
	double span_s;
	double steal_share; /* the host's steal over the run, NaN unknown */
	/* intervals shorter than half the recording's -i (the last one of a
	 * run, mostly): left out of the per-interval tests, where each interval
	 * weighs alike */
	uint64_t partial;
	double iv_min_s, iv_max_s; /* spans of the intervals that were used */
};

enum verdict {
	V_NA = 0,
	V_INFO,
	V_OK,
	V_NOISE,
	V_IMPROVED,
	V_REGRESSED,
};

enum unit {
	U_TIME,
	U_RATE,
	U_COUNT,
	U_TIME_PER_OP,
};

struct row {
	char entity[64];
	unsigned stage;
	enum diff_metric m;
	char what[48];	    /* "response time", "p99 read", "errors: close" */
	char key[40];	    /* JSON metric key */
	char syscall[32];   /* "" if none */
	double base, new_v; /* shown */
	enum unit unit;
	double jb, jn, abs_scale; /* judged: values and the factor to the abs threshold's unit */
	const char *test;
	double p;
	int untested;
	enum verdict v;
	int core; /* always in the table */
	char note[96];
};

struct rows {
	struct row *r;
	unsigned n, cap;
};

/* The table (the interesting rows, or all with --all), what is only on one
 * side, and the notes; then (diff_print_verdict) the closing line naming the
 * regressions. */
void diff_print_text(FILE *f, const struct side *bs, const struct side *ns, struct rows *rs,
		     const struct diff_options *o, int few);
void diff_print_verdict(FILE *f, const struct rows *rs, const struct diff_options *o,
			unsigned regressed);
/* One JSON object: both sides, the thresholds, every row, the status. */
struct diff_services;
void diff_print_json(FILE *f, const struct side *bs, const struct side *ns, struct rows *rs,
		     const struct diff_options *o, int status, const struct diff_services *ds);

#endif
