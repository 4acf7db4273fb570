// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stage numbering by longest path from the sources (a small Bellman-Ford
 * over at most a few hundred edges), so a stage fed by two upstream stages
 * sits after both. The end-to-end response is the largest sum of stage
 * response times along any path: the time a message needs to cross the
 * whole pipeline at the measured means.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline.h"
#include "services.h"

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

/* The service that process pid belongs to, -1 if none. */
static int service_of(const struct snapshot *s, uint32_t pid)
{
	for (unsigned i = 0; i < s->n_services; i++)
		for (unsigned k = 0; k < s->services[i].n_pids; k++)
			if (s->services[i].pids[k] == pid)
				return (int)i;
	return -1;
}

/* One node of the graph: a process or a service. */
struct node {
	unsigned stage;
	double resp; /* its own response time, 0 when unknown */
	double load; /* ρ, else utilization; NaN when neither is known */
	double path; /* slowest path from a source through it */
};

/* An edge between nodes a -> b (indices), or -1 when an end is not a node. */
typedef void (*edge_fn)(const struct snapshot *s, const struct pipeline_edge *e, int *a, int *b);

static void proc_edge(const struct snapshot *s, const struct pipeline_edge *e, int *a, int *b)
{
	*a = view_of(s, e->from_pid);
	*b = view_of(s, e->to_pid);
}

static void service_edge(const struct snapshot *s, const struct pipeline_edge *e, int *a, int *b)
{
	*a = service_of(s, e->from_pid);
	*b = service_of(s, e->to_pid);
}

/* Number the nodes as stages, their path responses, and the bottleneck
 * (returned: an index, -1 if none); fills info. */
static int rank(const struct snapshot *s, const struct pipeline_edges *set, edge_fn edge,
		struct node *nd, unsigned n, struct pipeline_info *info)
{
	unsigned rounds;
	double best = -1;
	int bott = -1, changed = 1;

	info->n_stages = 0;
	info->e2e_response_s = NAN;
	/* every node on an edge starts as stage 1 */
	for (unsigned k = 0; k < set->n; k++) {
		int a, b;

		edge(s, &set->e[k], &a, &b);
		if (a < 0 || b < 0 || a == b)
			continue;
		nd[a].stage = nd[a].stage ? nd[a].stage : 1;
		nd[b].stage = nd[b].stage ? nd[b].stage : 1;
	}
	/* relax: stage(b) >= stage(a) + 1; n rounds bound it (cycles stop there) */
	for (rounds = 0; changed && rounds < n; rounds++) {
		changed = 0;
		for (unsigned k = 0; k < set->n; k++) {
			int a, b;

			edge(s, &set->e[k], &a, &b);
			if (a < 0 || b < 0 || a == b)
				continue;
			if (nd[b].stage < nd[a].stage + 1 && nd[a].stage < n) {
				nd[b].stage = nd[a].stage + 1;
				changed = 1;
			}
		}
	}
	/* path response: the slowest way to reach each stage, its own W included */
	for (unsigned i = 0; i < n; i++)
		nd[i].path = nd[i].stage ? nd[i].resp : NAN;
	for (rounds = 0, changed = 1; changed && rounds < n; rounds++) {
		changed = 0;
		for (unsigned k = 0; k < set->n; k++) {
			int a, b;
			double via;

			edge(s, &set->e[k], &a, &b);
			if (a < 0 || b < 0 || a == b || nd[b].stage <= nd[a].stage)
				continue;
			via = nd[a].path + nd[b].resp;
			if (via > nd[b].path + 1e-15) {
				nd[b].path = via;
				changed = 1;
			}
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!nd[i].stage)
			continue;
		info->n_stages = nd[i].stage > info->n_stages ? nd[i].stage : info->n_stages;
		if (!isfinite(info->e2e_response_s) || nd[i].path > info->e2e_response_s)
			info->e2e_response_s = nd[i].path;
		/* ρ ranks stages; utilization where ρ is unknown (one scale) */
		if (isfinite(nd[i].load) && nd[i].load > best) {
			best = nd[i].load;
			bott = (int)i;
		}
	}
	return bott;
}

static double known_resp(int has_queue, const struct queue_figures *q)
{
	return has_queue && isfinite(q->response_s) ? q->response_s : 0;
}

static double load_of(int has_queue, const struct queue_figures *q)
{
	if (!has_queue)
		return NAN;
	return isfinite(q->rho) ? q->rho : q->utilization;
}

void pipeline_assign(struct snapshot *s, const struct pipeline_edges *set)
{
	unsigned n = s->n_procs;
	struct node *nd = calloc(n ? n : 1, sizeof(*nd));
	int bott;

	memset(&s->pipeline, 0, sizeof(s->pipeline));
	s->pipeline.e2e_response_s = NAN;
	for (unsigned i = 0; i < n; i++) {
		s->procs[i].stage = 0;
		s->procs[i].bottleneck = 0;
		s->procs[i].path_response_s = NAN;
	}
	if (!nd)
		return;
	for (unsigned i = 0; i < n; i++) {
		nd[i].resp = known_resp(s->procs[i].has_queue, &s->procs[i].queue);
		nd[i].load = load_of(s->procs[i].has_queue, &s->procs[i].queue);
	}
	bott = rank(s, set, proc_edge, nd, n, &s->pipeline);
	for (unsigned i = 0; i < n; i++) {
		s->procs[i].stage = nd[i].stage;
		s->procs[i].path_response_s = nd[i].path;
	}
	if (bott >= 0) {
		s->procs[bott].bottleneck = 1;
		s->pipeline.bottleneck_pid = s->procs[bott].pid;
	}
	free(nd);
}

void pipeline_assign_services(struct snapshot *s, const struct pipeline_edges *set)
{
	unsigned n = s->has_services ? s->n_services : 0;
	struct pipeline_info info;
	struct node *nd;
	int bott;

	for (unsigned i = 0; i < n; i++) {
		s->services[i].stage = 0;
		s->services[i].bottleneck = 0;
		s->services[i].path_response_s = NAN;
	}
	if (!n || !(nd = calloc(n, sizeof(*nd))))
		return;
	for (unsigned i = 0; i < n; i++) {
		nd[i].resp = known_resp(s->services[i].has_queue, &s->services[i].queue);
		nd[i].load = load_of(s->services[i].has_queue, &s->services[i].queue);
	}
	/* edges inside a service (a != b fails) are not stages of it */
	bott = rank(s, set, service_edge, nd, n, &info);
	for (unsigned i = 0; i < n; i++) {
		s->services[i].stage = nd[i].stage;
		s->services[i].path_response_s = nd[i].path;
	}
	if (bott >= 0)
		s->services[bott].bottleneck = 1;
	free(nd);
}
