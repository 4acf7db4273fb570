/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTML report of a recording: one self-contained file (inline CSS and
 * SVG, no scripts, no network) with the run's metadata, a process table, and
 * charts: λ, throughput and ρ over time with the forecast band, measured
 * response time against each queueing model, latency heat maps (time × log2
 * bucket) for syscalls and for queue wait, the busiest syscalls and their
 * errors, and per-stage bars for pipelines.
 */
#ifndef ST_HTML_OUT_H
#define ST_HTML_OUT_H

#include <stdio.h>
#include "model.h"
#include "recording.h"

/* Processes that get their own charts, at most. */
#define HTML_MAX_CHARTED 8
/* Points per time series at most: longer runs are merged two intervals into one. */
#define HTML_MAX_POINTS 240

struct html_report;

/*
 * Start a report. @overall is the run's summary (or, for a recording cut
 * short, its last interval, with @incomplete saying why); it picks the
 * processes to chart and fills the tables, and must stay valid until
 * html_report_write. @name is the recording's file name, for the title.
 */
struct html_report *html_report_new(const struct recording_meta *meta, const char *name,
				    const struct snapshot *overall, const char *incomplete);
/* Feed every interval snapshot, in order (summaries are ignored). 0 ok, -1 out of memory. */
int html_report_add(struct html_report *h, const struct snapshot *interval);
/* Write the page. 0 ok, -1 on a write error. */
int html_report_write(struct html_report *h, FILE *f);
void html_report_free(struct html_report *h);

/* Text for HTML: & < > " ' escaped, control bytes and invalid UTF-8 replaced. */
void html_escape(FILE *f, const char *s, size_t maxlen);

#endif
