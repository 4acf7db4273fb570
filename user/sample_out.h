/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --sample N in the outputs: every writer says whether times were sampled. */
#ifndef ST_SAMPLE_OUT_H
#define ST_SAMPLE_OUT_H

#include <stdio.h>
#include "json_writer.h"
#include "model.h"

/* N of a snapshot: 1 when every syscall was timed (0 is read as 1). */
unsigned sample_every_of(const struct snapshot *s);
/* The top-level "sample": N key of an interval or summary line. */
void json_out_sample(struct jw *w, const struct snapshot *s);
/* A note under the table's heading when times were sampled; nothing else. */
void table_out_sample_note(FILE *f, const struct snapshot *s);

#endif
