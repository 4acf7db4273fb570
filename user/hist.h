/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log2 latency histograms as the kernel side keeps them (bucket b holds
 * [2^b, 2^(b+1)) ns), in 64-bit user-space form: add, subtract (for interval
 * deltas of the kernel's wrapping 32-bit buckets) and percentiles.
 */
#ifndef ST_HIST_H
#define ST_HIST_H

#include <stdint.h>

#define HIST_BUCKETS 32

struct hist {
	uint64_t b[HIST_BUCKETS];
};

/* Lower and upper bounds of bucket b, in ns. */
double hist_bucket_lo_ns(unsigned b);
double hist_bucket_hi_ns(unsigned b);
uint64_t hist_count(const struct hist *h);
void hist_add(struct hist *dst, const struct hist *src);
/* dst += (cur - prev) per bucket, modulo 2^32 as the kernel's u32 buckets wrap. */
void hist_add_delta_u32(struct hist *dst, const uint32_t *cur, const uint32_t *prev);
/*
 * The q-quantile (0 < q <= 1) in ns, interpolated linearly inside its bucket,
 * and clamped to max_ns when max_ns > 0 (the true maximum is known exactly).
 * NaN for an empty histogram.
 */
double hist_quantile_ns(const struct hist *h, double q, double max_ns);

#endif
