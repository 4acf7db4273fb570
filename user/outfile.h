/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Honest output: every command checks that what it wrote reached its reader.
 * A reader that went away (EPIPE: `streamtrace ... | head -1`) ends the run
 * quietly with status 0, as other Unix tools do; any other write error (a
 * full disk) is a runtime failure with one line saying why.
 */
#ifndef ST_OUTFILE_H
#define ST_OUTFILE_H

#include <stdio.h>
#include <sys/types.h>

enum out_state {
	OUT_OK = 0,
	OUT_CLOSED, /* the reader went away (EPIPE) */
	OUT_FAILED, /* another write error; errno says which */
};

/* Flush f and say whether everything written to it so far arrived. */
enum out_state out_flush(FILE *f);

/* The exit status for a command whose output ended in state st, after
 * printing "streamtrace: writing WHAT failed: ..." on err for OUT_FAILED;
 * ret is returned unchanged when the output is fine or was closed. */
int out_finish(FILE *f, const char *what, FILE *err, int ret);

/* out_open's flags */
#define OUT_NOFOLLOW 1u /* refuse a symbolic link as the file (a report's page) */

/* The output file @path, created or truncated with @mode (close-on-exec);
 * for "-", @dash (the caller's stream: not to be closed) or, when @dash is
 * NULL, a stream of its own on standard output (closed like a file). NULL
 * with errno when it cannot be opened. */
FILE *out_open(const char *path, FILE *dash, mode_t mode, unsigned flags);

#endif
