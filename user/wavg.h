/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A weighted mean that ignores unknown (non-finite) values: how the report
 * and diff combine per-interval figures into one. */
#ifndef ST_WAVG_H
#define ST_WAVG_H

#include <math.h>

struct wavg {
	double sum, w;
};

static inline void wavg_add(struct wavg *a, double v, double w)
{
	if (isfinite(v) && isfinite(w) && w > 0) {
		a->sum += v * w;
		a->w += w;
	}
}

static inline double wavg_get(const struct wavg *a)
{
	return a->w > 0 ? a->sum / a->w : NAN;
}

static inline void wavg_merge(struct wavg *a, const struct wavg *b)
{
	a->sum += b->sum;
	a->w += b->w;
}

#endif
