// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stage numbering by longest path from the sources (a small Bellman-Ford
 * over at most a few hundred edges), so a stage fed by two upstream stages
 * sits after both. The end-to-end response is the largest sum of stage
 * response times along any path: the time a message needs to cross the
 * whole pipeline at the measured means.
 */
#include <math.h>
#include <string.h>
#include "pipeline.h"

void pipeline_edges_add(struct pipeline_edges *set, uint32_t from_pid, uint32_t to_pid, uint64_t n)
{
	for (unsigned i = 0; i < set->n; i++) {
		if (set->e[i].from_pid == from_pid && set->e[i].to_pid == to_pid) {
			if (n > set->e[i].count)
				set->e[i].count = n;
			return;
		}
	}
	if (set->n < PIPELINE_MAX_EDGES)
		set->e[set->n++] = (struct pipeline_edge){from_pid, to_pid, n};
}

static int view_of(const struct snapshot *s, uint32_t pid)
{
	for (unsigned i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid == pid)
			return (int)i;
	return -1;
}

static double stage_response(const struct proc_view *v)
{
	return v->has_queue && isfinite(v->queue.response_s) ? v->queue.response_s : 0;
}

void pipeline_assign(struct snapshot *s, const struct pipeline_edges *set)
{
	unsigned n = s->n_procs, rounds;
	double best = -1;
	int bott = -1, changed = 1;

	memset(&s->pipeline, 0, sizeof(s->pipeline));
	s->pipeline.e2e_response_s = NAN;
	for (unsigned i = 0; i < n; i++) {
		s->procs[i].stage = 0;
		s->procs[i].bottleneck = 0;
		s->procs[i].path_response_s = NAN;
	}
	/* every process on an edge starts as stage 1 */
	for (unsigned k = 0; k < set->n; k++) {
		int a = view_of(s, set->e[k].from_pid), b = view_of(s, set->e[k].to_pid);

		if (a < 0 || b < 0 || a == b)
			continue;
		s->procs[a].stage = s->procs[a].stage ? s->procs[a].stage : 1;
		s->procs[b].stage = s->procs[b].stage ? s->procs[b].stage : 1;
	}
	/* relax: stage(b) >= stage(a) + 1; n rounds bound it (cycles stop there) */
	for (rounds = 0; changed && rounds < n; rounds++) {
		changed = 0;
		for (unsigned k = 0; k < set->n; k++) {
			int a = view_of(s, set->e[k].from_pid), b = view_of(s, set->e[k].to_pid);

			if (a < 0 || b < 0 || a == b)
				continue;
			if (s->procs[b].stage < s->procs[a].stage + 1 && s->procs[a].stage < n) {
				s->procs[b].stage = s->procs[a].stage + 1;
				changed = 1;
			}
		}
	}
	/* path response: the slowest way to reach each stage, its own W included */
	for (unsigned i = 0; i < n; i++)
		if (s->procs[i].stage)
			s->procs[i].path_response_s = stage_response(&s->procs[i]);
	for (rounds = 0, changed = 1; changed && rounds < n; rounds++) {
		changed = 0;
		for (unsigned k = 0; k < set->n; k++) {
			int a = view_of(s, set->e[k].from_pid), b = view_of(s, set->e[k].to_pid);
			double via;

			if (a < 0 || b < 0 || a == b || s->procs[b].stage <= s->procs[a].stage)
				continue;
			via = s->procs[a].path_response_s + stage_response(&s->procs[b]);
			if (via > s->procs[b].path_response_s + 1e-15) {
				s->procs[b].path_response_s = via;
				changed = 1;
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		const struct proc_view *v = &s->procs[i];
		double load;

		if (!v->stage)
			continue;
		s->pipeline.n_stages =
			v->stage > s->pipeline.n_stages ? v->stage : s->pipeline.n_stages;
		if (!isfinite(s->pipeline.e2e_response_s) ||
		    v->path_response_s > s->pipeline.e2e_response_s)
			s->pipeline.e2e_response_s = v->path_response_s;
		if (!v->has_queue)
			continue;
		/* ρ ranks stages; utilization where ρ is unknown (one scale) */
		load = isfinite(v->queue.rho) ? v->queue.rho : v->queue.utilization;
		if (isfinite(load) && load > best) {
			best = load;
			bott = (int)i;
		}
	}
	if (bott >= 0) {
		s->procs[bott].bottleneck = 1;
		s->pipeline.bottleneck_pid = s->procs[bott].pid;
	}
}
