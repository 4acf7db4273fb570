// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Small helpers over the snapshot model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "profile.h"
#include "services.h"

/* in the order of enum st_proto (bpf/framing.h; sockets.bpf.c checks it) */
static const char *const unit_names[] = {
	"receive", "resp", "postgres", "http1", "mqtt", "nats", "kafka", "amqp", "turn", "receive",
};

const char *unit_name(unsigned unit)
{
	if (unit == ST_UNIT_MIXED)
		return "mixed";
	return unit < sizeof(unit_names) / sizeof(unit_names[0]) ? unit_names[unit] : "receive";
}

int unit_parse(const char *name)
{
	if (!strcmp(name, "mixed"))
		return ST_UNIT_MIXED;
	for (unsigned i = 1; i < sizeof(unit_names) / sizeof(unit_names[0]); i++)
		if (!strcmp(name, unit_names[i]))
			return (int)i;
	return -1;
}

const char *lost_kind_name(unsigned kind)
{
	static const char *const names[ST_LOST__MAX] = {
		[ST_LOST_RINGBUF] = "ringbuf_full",
		[ST_LOST_PROCS_FULL] = "procs_full",
		[ST_LOST_SYSCALL_RANGE] = "syscall_out_of_range",
		[ST_LOST_ERRNO_FULL] = "errno_map_full",
		[ST_LOST_STORAGE] = "storage_failed",
		[ST_LOST_SOCK_FULL] = "edge_map_full",
		[ST_LOST_WAIT_SAMPLE] = "wait_samples_dropped",
		[ST_LOST_FRAMING] = "framing_lost",
		[ST_LOST_PROF_SAMPLE] = "profile_samples_lost",
		[ST_LOST_PROF_STACK] = "stack_map_collisions",
		[ST_LOST_PROF_FULL] = "profile_map_full",
		[ST_LOST_VIEWS_FULL] = "views_full",
		[ST_LOST_ONCPU] = "syscall_state_lost",
	};

	return kind < ST_LOST__MAX && names[kind] ? names[kind] : "unknown";
}

uint64_t lost_total(const struct lost_counts *l)
{
	uint64_t n = l->recursion;

	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		if (i != ST_LOST_WAIT_SAMPLE && i != ST_LOST_FRAMING) /* not events */
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
	profile_free(s->profile);
	s->profile = NULL;
	services_free(s->services, s->n_services);
	s->services = NULL;
	s->n_services = 0;
}

double host_steal_share(const struct snapshot *s)
{
	if (!s->host.cpus || !(s->span_s > 0) || !isfinite(s->host.steal_s))
		return NAN;
	return s->host.steal_s / ((double)s->host.cpus * s->span_s);
}
