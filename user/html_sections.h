/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sections of the HTML report (html_out.c) for what a recording holds beyond
 * the process table and the charts: the thread and connection views, the
 * what-if, the trend at the end of the run in words, and a self-contained
 * explanation of every figure and chart of the page. Each is one call from
 * html_report_write; each writes nothing when the recording lacks its data.
 */
#ifndef ST_HTML_SECTIONS_H
#define ST_HTML_SECTIONS_H

#include <stdio.h>
#include "model.h"

/* --threads: each process's threads (CPU, run queue, busy, receives). */
void html_section_threads(FILE *f, const struct snapshot *o);
/* --connections: each process's sockets (addresses, traffic, backlog). */
void html_section_connections(FILE *f, const struct snapshot *o);
/* --what-if: the change modelled and what M/M/c says of it, per process. */
void html_section_whatif(FILE *f, const struct snapshot *o);
/* The forecasts of a finished run (last: html_keep_last's): what the trend
 * was at its end, never a "saturates in" about a future that did not happen
 * while recorded. */
void html_section_trend(FILE *f, const struct snapshot *last);
/* Keep, per pid, s's processes that had arrivals and a trend in *last
 * (their arrays left out: NULL); fed every interval in order. 0, or -1 out
 * of memory. */
int html_keep_last(struct snapshot *last, const struct snapshot *s);
/* What every figure, mark (⚠) and chart of the page means. */
void html_section_reading(FILE *f);

#endif
