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
