// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include "units.h"

const char *const duration_units[4] = {"ns", "µs", "ms", "s"};

void fmt_duration(double s, char *b, size_t n)
{
	double a = fabs(s);

	if (a < 1e-6)
		snprintf(b, n, "%.3g %s", s * 1e9, duration_units[0]);
	else if (a < 1e-3)
		snprintf(b, n, "%.3g %s", s * 1e6, duration_units[1]);
	else if (a < 1)
		snprintf(b, n, "%.3g %s", s * 1e3, duration_units[2]);
	else
		snprintf(b, n, "%.3g %s", s, duration_units[3]);
}

/* seconds since the start: "45s", "2m30s", "1h05m" */
void fmt_elapsed(double s, char *b, size_t n)
{
	long t;

	if (!isfinite(s) || fabs(s) > 1e12) {
		snprintf(b, n, "%s", isfinite(s) ? "?" : "–");
		return;
	}
	t = lround(s);

	if (t < 120 && fabs(s - (double)t) > 1e-6 && s < 10)
		snprintf(b, n, "%.3gs", s);
	else if (t < 120)
		snprintf(b, n, "%lds", t);
	else if (t < 7200)
		snprintf(b, n, t % 60 ? "%ldm%02lds" : "%ldm", t / 60, t % 60);
	else
		snprintf(b, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
}
