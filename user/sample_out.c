// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --sample N in the outputs. With N > 1 the kernel times one syscall in N per
 * thread (at random gaps averaging N) and counts each timed one N times in the
 * time totals and histograms; counts and errors stay exact. The writers mark
 * it: JSON "sample", Prometheus streamtrace_sample_every (prom_out.c), the
 * recording's metadata, and a note in the table.
 */
#include "sample_out.h"

unsigned sample_every_of(const struct snapshot *s)
{
	return s && s->sample_every > 1 ? s->sample_every : 1;
}

void json_out_sample(struct jw *w, const struct snapshot *s)
{
	jw_ku64(w, "sample", sample_every_of(s));
}

void table_out_sample_note(FILE *f, const struct snapshot *s)
{
	unsigned n = sample_every_of(s);

	if (n > 1)
		fprintf(f,
			"note: --sample %u: syscall times are estimated from every %uth syscall "
			"(counts exact)\n",
			n, n);
}
