// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Percentiles from log2 histograms. Inside a bucket the samples are assumed
 * spread evenly, which bounds the error of a percentile by the bucket's width
 * (a factor of two); the exact maximum, when known, tightens the top bucket.
 */
#include <math.h>
#include "hist.h"

double hist_bucket_lo_ns(unsigned b)
{
	return b == 0 ? 0.0 : ldexp(1.0, (int)b);
}

double hist_bucket_hi_ns(unsigned b)
{
	return ldexp(1.0, (int)b + 1);
}

uint64_t hist_count(const struct hist *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		n += h->b[i];
	return n;
}

void hist_add(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

void hist_add_delta_u32(struct hist *dst, const uint32_t *cur, const uint32_t *prev)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += (uint32_t)(cur[i] - prev[i]);
}

double hist_quantile_ns(const struct hist *h, double q, double max_ns)
{
	uint64_t n = hist_count(h);
	double rank, seen = 0;

	if (n == 0 || !(q > 0) || q > 1)
		return NAN;
	rank = q * (double)n;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		double c = (double)h->b[i], lo, hi, v;

		if (c == 0 || seen + c < rank) {
			seen += c;
			continue;
		}
		lo = hist_bucket_lo_ns(i);
		hi = hist_bucket_hi_ns(i);
		if (i == HIST_BUCKETS - 1 || (max_ns > 0 && max_ns < hi))
			hi = max_ns > 0 ? max_ns : hi;
		if (hi < lo)
			lo = hi;
		v = lo + (hi - lo) * ((rank - seen) / c);
		return v;
	}
	return max_ns > 0 ? max_ns : hist_bucket_hi_ns(HIST_BUCKETS - 1);
}
