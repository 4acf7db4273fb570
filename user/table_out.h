/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The live table: top-like on a terminal, appended plain text otherwise. */
#ifndef ST_TABLE_OUT_H
#define ST_TABLE_OUT_H

#include <stdio.h>
#include "model.h"

/* refresh: clear the screen first (a terminal). */
void table_out_snapshot(FILE *f, const struct snapshot *s, int refresh);
/* color: the bottleneck's row yellow, a saturated one red (a terminal that
 * was not told NO_COLOR or --no-color) */
void table_out_snapshot_color(FILE *f, const struct snapshot *s, int refresh, int color);

#endif
