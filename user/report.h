/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `streamtrace report FILE`: a recording as the text summary (with the run's
 * metadata), as the JSON lines the live run printed (--json), or as one
 * self-contained HTML page of charts (--html OUT).
 */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <stdio.h>

/*
 * Exit status: 0 ok; 2 when FILE cannot be read, is not a recording, is
 * corrupt or of a newer format, or was cut short (what could be read is
 * still printed or written, and a one-line reason goes to stderr); 1 when
 * the HTML file cannot be written.
 */
int report_main(const char *file, int json, const char *html_out);
/* The same, with the output streams given (for tests). */
int report_run(const char *file, int json, const char *html_out, FILE *out, FILE *err);

#endif
