/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Statistics for `diff` (stats.c): one-sided tests whose p-values say
 * whether a move between two runs is more than noise. Each returns NaN
 * when a side has nothing to test.
 */
#ifndef ST_STATS_H
#define ST_STATS_H

#include "hist.h"

/* P(Z > z) for a standard normal Z. */
double stats_norm_sf(double z);
/* P(U >= u), U the Mann-Whitney count of pairs in which one of @nb values
 * beats one of @na, every ordering equally likely (exact; small samples). */
double stats_mwu_exact_sf(unsigned na, unsigned nb, double u);
/*
 * One-sided Mann-Whitney U: p-value of "b tends to be larger than a" (@dir
 * +1) or smaller (-1): exact for up to 30 values a side without ties, else
 * the normal approximation with tie and continuity corrections.
 */
double stats_mwu_samples(const double *a, unsigned na, const double *b, unsigned nb, int dir);
/* The same over two log2 histograms: samples in one bucket are ties. */
double stats_mwu_hist(const struct hist *a, const struct hist *b, int dir);
/* P(X >= k), X ~ Binomial(n, p): exact up to n = 5000, else normal. */
double stats_binom_sf(double k, double n, double p);
/* Counts @k_a over exposure @e_a and @k_b over @e_b: p-value of "b's rate
 * is higher" (@dir +1) or lower (-1), conditional on the total. */
double stats_rate_test(double k_a, double e_a, double k_b, double e_b, int dir);
/* p99 beyond bucket resolution: the share of calls from two buckets above
 * base's p99 (@q_ns) up, base @a against new @b, one-sided. */
double stats_tail_test(const struct hist *a, const struct hist *b, double q_ns);

#endif
