/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Durations as people read them, spelt one way in every output (units.c). */
#ifndef ST_UNITS_H
#define ST_UNITS_H

#include <stddef.h>

/* "ns", "µs", "ms", "s": the unit at each step of 1000 from nanoseconds */
extern const char *const duration_units[4];

/* "812 µs", "1.25 ms", "3.4 s": three significant digits in the largest
 * unit the value reaches (ns below 1 µs). For a finite, non-zero @s; the
 * caller says what 0 and unknown are. */
void fmt_duration(double s, char *b, size_t n);

/* seconds since the start: "45s", "2m30s", "1h05m"; "–" when unknown */
void fmt_elapsed(double s, char *b, size_t n);

#endif
