// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tests behind `diff`'s verdicts (stats.h): Mann-Whitney rank tests over
 * samples and over log2 histograms, the binomial tail and the conditional
 * rate test, and the tail test for p99 beyond a histogram's resolution.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include "stats.h"

/* exact Mann-Whitney distribution up to this many values a side (no ties) */
#define EXACT_MWU_MAX	  30
#define EXACT_BINOM_MAX_N 5000

/* P(Z > z) for a standard normal Z */
double stats_norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct tagged {
	double v;
	int from_b;
};

static int cmp_tagged(const void *a, const void *b)
{
	return cmp_double(&((const struct tagged *)a)->v, &((const struct tagged *)b)->v);
}

/*
 * P(U >= u) where U counts the pairs in which one of @nb values beats one of
 * @na, all orderings equally likely: c(i, j, u), the orderings of i a's and
 * j b's with u such pairs, is c(i, j-1, u-i) (largest value a b, beating all
 * i a's) + c(i-1, j, u).
 */
double stats_mwu_exact_sf(unsigned na, unsigned nb, double u)
{
	unsigned umax = na * nb, w = umax + 1;
	double *c = calloc((size_t)(na + 1) * (nb + 1) * w, sizeof(double)), tot = 0, tail = 0;

	if (!c)
		return NAN;
#define C(i, j, k) c[((size_t)(i) * (nb + 1) + (j)) * w + (k)]
	for (unsigned i = 0; i <= na; i++)
		for (unsigned j = 0; j <= nb; j++) {
			if (!i || !j) {
				C(i, j, 0) = 1;
				continue;
			}
			for (unsigned k = 0; k <= i * j; k++)
				C(i, j, k) = (k >= i ? C(i, j - 1, k - i) : 0) + C(i - 1, j, k);
		}
	for (unsigned k = 0; k <= umax; k++) {
		tot += C(na, nb, k);
		if (k >= u - 1e-9)
			tail += C(na, nb, k);
	}
#undef C
	free(c);
	return tail / tot;
}

/*
 * One-sided Mann-Whitney U: p-value of "b tends to be larger than a" (dir
 * +1) or smaller (dir -1): exact for small samples without ties, else the
 * normal approximation with tie and continuity corrections. NaN if a side
 * is empty.
 */
double stats_mwu_samples(const double *a, unsigned na, const double *b, unsigned nb, int dir)
{
	struct tagged *t;
	unsigned n = na + nb;
	double rank_b = 0, ties = 0, u, mean, var;

	if (!na || !nb)
		return NAN;
	t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	for (unsigned i = 0; i < na; i++)
		t[i] = (struct tagged){a[i], 0};
	for (unsigned i = 0; i < nb; i++)
		t[na + i] = (struct tagged){b[i], 1};
	qsort(t, n, sizeof(*t), cmp_tagged);
	for (unsigned i = 0; i < n;) {
		unsigned j = i;
		double r;

		while (j < n && t[j].v == t[i].v)
			j++;
		r = (i + 1 + j) / 2.0; /* average rank of the tie group */
		for (unsigned k = i; k < j; k++)
			if (t[k].from_b)
				rank_b += r;
		ties += pow(j - i, 3) - (j - i);
		i = j;
	}
	free(t);
	u = rank_b - nb * (nb + 1) / 2.0;
	mean = (double)na * nb / 2.0;
	if (ties == 0 && na <= EXACT_MWU_MAX && nb <= EXACT_MWU_MAX)
		return stats_mwu_exact_sf(na, nb, dir > 0 ? u : (double)na * nb - u);
	var = (double)na * nb / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
	if (!(var > 0))
		return 0.5;
	return stats_norm_sf((dir * (u - mean) - 0.5) / sqrt(var));
}

/* The same over two log2 histograms: samples in one bucket are ties. */
double stats_mwu_hist(const struct hist *a, const struct hist *b, int dir)
{
	double na = (double)hist_count(a), nb = (double)hist_count(b), n = na + nb;
	double below_a = 0, u = 0, ties = 0, mean, var;

	if (na == 0 || nb == 0)
		return NAN;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		double ca = (double)a->b[i], cb = (double)b->b[i], t = ca + cb;

		u += cb * (below_a + 0.5 * ca);
		below_a += ca;
		ties += t * t * t - t;
	}
	mean = na * nb / 2.0;
	var = na * nb / 12.0 * ((n + 1) - ties / (n * (n - 1)));
	if (!(var > 0))
		return 0.5;
	return stats_norm_sf((dir * (u - mean) - 0.5) / sqrt(var));
}

/* P(X >= k), X ~ Binomial(n, p) */
double stats_binom_sf(double k, double n, double p)
{
	double s = 0, mu, sd;

	if (k <= 0)
		return 1;
	if (k > n)
		return 0;
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	if (n <= EXACT_BINOM_MAX_N) {
		double lp = log(p), lq = log1p(-p), lgn = lgamma(n + 1);

		for (double i = k; i <= n; i++)
			s += exp(lgn - lgamma(i + 1) - lgamma(n - i + 1) + i * lp + (n - i) * lq);
		return fmin(s, 1);
	}
	mu = n * p;
	sd = sqrt(n * p * (1 - p));
	return stats_norm_sf((k - 0.5 - mu) / sd);
}

/*
 * Counts k_a over exposure e_a and k_b over e_b: p-value of "b's rate is
 * higher" (dir +1) or lower (dir -1), conditional on the total.
 */
double stats_rate_test(double k_a, double e_a, double k_b, double e_b, int dir)
{
	double n = k_a + k_b, p;

	if (!(e_a > 0) || !(e_b > 0) || !isfinite(n))
		return NAN;
	p = e_b / (e_a + e_b);
	if (dir > 0)
		return stats_binom_sf(k_b, n, p);
	/* P(X <= k_b) = P(n - X >= n - k_b), n - X ~ Binomial(n, 1 - p) */
	return stats_binom_sf(n - k_b, n, 1 - p);
}

/*
 * p99 beyond bucket resolution: base's p99 lies somewhere in its bucket k, so
 * only calls from bucket k+2 up are surely slower than it by 2x or more. The
 * fraction of calls there, base against new, by a one-sided two-proportion
 * test: a p99 that moved within its bucket, or to the next, cannot pass it.
 */
double stats_tail_test(const struct hist *a, const struct hist *b, double q_ns)
{
	double na = (double)hist_count(a), nb = (double)hist_count(b), ta = 0, tb = 0, p, se;
	unsigned k = 0;

	if (na == 0 || nb == 0 || !isfinite(q_ns))
		return NAN;
	while (k + 1 < HIST_BUCKETS && hist_bucket_hi_ns(k) <= q_ns)
		k++;
	for (unsigned i = k + 2; i < HIST_BUCKETS; i++) {
		ta += (double)a->b[i];
		tb += (double)b->b[i];
	}
	p = (ta + tb) / (na + nb);
	if (p <= 0)
		return 1;
	se = sqrt(p * (1 - p) * (1 / na + 1 / nb));
	if (!(se > 0))
		return tb / nb > ta / na ? 0 : 1;
	return stats_norm_sf((tb / nb - ta / na) / se);
}
