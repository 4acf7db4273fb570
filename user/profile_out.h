/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --profile's outputs (issue 13), each called by one line from the writer
 * it extends: the JSON summary's "profile" key (json_out.c), the HTML
 * report's flame graphs (html_out.c), the recording's PROF frame
 * (recording.c), and report FILE --folded (main.c).
 */
#ifndef ST_PROFILE_OUT_H
#define ST_PROFILE_OUT_H

#include <stdio.h>
#include "json_writer.h"
#include "model.h"
#include "profile.h"

#define PROFILE_TOP 10 /* frames listed per process in the JSON */

/* "profile": {"hz", "processes": [{pid, comm, samples, top, offcpu_s,
 * offcpu_top}]} when s->profile is set; nothing otherwise. */
void profile_out_json(struct jw *w, const struct snapshot *s);

/* One flame graph (inline SVG, frames' names in <title> for hover). */
void profile_out_svg(FILE *f, const struct profile *p, uint32_t pid, uint32_t offcpu);
/* The HTML report's "Profiles" section: a flame graph per stage (process
 * with samples), pipeline stages first. Nothing without a profile. */
void profile_out_html(FILE *f, const struct snapshot *s);

/* report FILE --folded [OUT]: the recording's profile as folded stacks, to
 * OUT or stdout (NULL or "-"). Exit status: 0, 1 write failed, 2 bad input
 * or no profile in the recording. */
int profile_out_report_folded(const char *file, const char *out);
/* Write the folded stacks to path; 0 or -1 (errno). */
int profile_out_folded_file(const struct profile *p, const char *path);
/* --folded FILE of a live run, opened (created, truncated) at the start,
 * before privileges are dropped; NULL with errno. */
FILE *profile_out_folded_open(const char *path);

/* diff BASE NEW: when both recordings have a profile, the frames whose
 * share of their command's on-CPU samples grew by PROFILE_DIFF_PTS points
 * or more, largest first (text, after the table; no bearing on the exit
 * status). Nothing otherwise. */
#define PROFILE_DIFF_PTS 5.0
void profile_out_diff(FILE *out, const char *base, const char *new_file);

#endif
