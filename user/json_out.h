/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Render a snapshot as one JSON line, in the shape of the contract. */
#ifndef ST_JSON_OUT_H
#define ST_JSON_OUT_H

#include <stdio.h>
#include "model.h"

void json_out_snapshot(FILE *f, const struct snapshot *s);

#endif
