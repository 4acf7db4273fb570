/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `streamtrace diff` over services: when both recordings were made with
 * --services, each service (matched by name) is compared as one station,
 * by the same thresholds and noise test as the processes: response, service
 * time and throughput judged (a Mann-Whitney test over the per-interval
 * values must agree), queue wait, dispatch, utilization and ρ shown.
 */
#ifndef ST_DIFF_SERVICES_H
#define ST_DIFF_SERVICES_H

#include <stdio.h>
#include "diff.h"

struct jw;
struct diff_services;

/* Compare the services of two recordings (already read whole by diff, so
 * readable); NULL when either has none (or out of memory). */
struct diff_services *diff_services_compare(const char *base, const char *new_file,
					    const struct diff_options *o);
/* How many service rows regressed. */
unsigned diff_services_regressed(const struct diff_services *d);
/* The table's SERVICE rows (all of them with all_rows, else the judged ones
 * and any that moved), then the services only in one run. */
void diff_services_table(FILE *f, const struct diff_services *d, const struct diff_options *o);
/* "services": [ROW, ...] and "service_regressions": [NAME, ...] in the
 * diff's JSON object. */
void diff_services_json(struct jw *w, const struct diff_services *d);
void diff_services_free(struct diff_services *d);

#endif
