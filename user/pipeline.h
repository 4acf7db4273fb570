/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pipeline view: traced processes that feed each other over sockets,
 * ordered as stages, with the bottleneck marked and the end-to-end response
 * time. Pure: works on a snapshot and a list of edges between pids.
 */
#ifndef ST_PIPELINE_H
#define ST_PIPELINE_H

#include <stdint.h>
#include "model.h"

#define PIPELINE_MAX_EDGES 4096

struct pipeline_edge {
	uint32_t from_pid, to_pid;
	uint64_t count; /* data arrivals the sender put into the receiver's sockets */
};

/* A set of edges, kept over the whole run. */
struct pipeline_edges {
	unsigned n;
	struct pipeline_edge e[PIPELINE_MAX_EDGES];
};

/* Record that from_pid fed to_pid (cumulative count n). */
void pipeline_edges_add(struct pipeline_edges *set, uint32_t from_pid, uint32_t to_pid, uint64_t n);

/*
 * Number the snapshot's processes that are on an edge as stages (1 = a
 * source, each other stage one more than its deepest feeder; cycles are
 * broken at the edge seen last), mark the bottleneck (the highest ρ, or the
 * highest utilization when no stage has a ρ), and fill s->pipeline.
 */
void pipeline_assign(struct snapshot *s, const struct pipeline_edges *set);

/*
 * The same over services (--services): a service is one stage, fed by the
 * services whose processes feed its processes (edges inside a service are
 * not stages). Fills each service's stage, bottleneck and path_response_s.
 */
void pipeline_assign_services(struct snapshot *s, const struct pipeline_edges *set);

#endif
