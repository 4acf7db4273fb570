/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `streamtrace top` on a terminal: the full-screen view (ncurses). The
 * session hands it each interval's snapshot and lets it read keys between
 * polls; what it shows is built by tui_model.c.
 */
#ifndef ST_TUI_H
#define ST_TUI_H

#include "model.h"

struct tui;

/* Take over the terminal (stdin and stdout must be one); NULL when it cannot
 * (no terminfo for $TERM, or built without ncurses). color 0: no colour. */
struct tui *tui_start(int color);
/* A new interval: copy what it shows, redraw. */
void tui_update(struct tui *t, const struct snapshot *s);
/* Handle the keys typed since the last call (and a resize). 1: quit. */
int tui_keys(struct tui *t);
/* Give the terminal back as it was. NULL is fine. */
void tui_stop(struct tui *t);

#endif
