// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Small helpers over the snapshot model. */
#include <stdlib.h>
#include "model.h"

uint64_t lost_total(const struct lost_counts *l)
{
	uint64_t n = l->recursion;

	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		if (i != ST_LOST_WAIT_SAMPLE) /* samples, not events */
			n += l->kinds[i];
	return n;
}

void snapshot_free(struct snapshot *s)
{
	for (unsigned i = 0; i < s->n_procs; i++) {
		free(s->procs[i].syscalls);
		free(s->procs[i].thread_views);
		free(s->procs[i].conns);
	}
	free(s->procs);
	s->procs = NULL;
	s->n_procs = 0;
}
