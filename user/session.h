/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracing session behind `streamtrace [top]` and `streamtrace record`
 * (session.c): open, then one tick per interval (read the kernel -> update
 * the collector -> finish the snapshot -> emit it), the summary, close.
 */
#ifndef ST_SESSION_H
#define ST_SESSION_H

#include "cli.h"

struct session;

/*
 * Check the targets, create the recording, start --listen and the command
 * (held at a gate), load and attach the BPF side and mark the targets.
 * NULL: failed before anything needs undoing, exit with *status. Otherwise
 * a session to close; *status is 0, or an exit status (a one-line reason
 * was printed) when it could not start: close it with that status.
 */
struct session *session_open(struct cli_options *o, int argc, char **argv, int *status);
/* Poll (giving dead processes' slots back) until the current interval
 * ends; 1 when the run is over (duration, signal, command or every -p
 * process gone): the tick that follows is the last. */
int session_wait(struct session *s);
/* The interval's end: read -> update -> finish -> emit (@final: the last,
 * the next interval is not planned). */
void session_tick(struct session *s, int final);
/* The summary, then the command stopped and waited for: the exit status. */
int session_summary(struct session *s);
/* Undo what open did (the recording closed last): @status, or 1 when
 * closing the recording failed. */
int session_close(struct session *s, int status);
/* open, wait and tick until the end, summary, close: the exit status. */
int session_main(struct cli_options *o, int argc, char **argv);

#endif
