/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The services view (--services): traced processes rolled up into services
 * (by command name, listening port or cgroup), each one station with its own
 * λ, X, U, S, ρ, W and models, its capacity bounded by the CPUs its processes
 * may use, and its CPU contention (run-queue wait as a share of the CPU time
 * its members wanted). docs/queueing.md, "Services", states every rule. Pure:
 * the caller reads /proc and cgroupfs (services_sys.c) and hands in plain data.
 */
#ifndef ST_SERVICES_H
#define ST_SERVICES_H

#include <stdint.h>
#include "model.h"

enum services_by {
	SERVICES_OFF = 0,
	SERVICES_COMM,
	SERVICES_PORT,
	SERVICES_CGROUP,
};

#define SERVICE_NAME_LEN  128
#define SERVICE_CPU_WORDS 16 /* CPU masks of 1024 CPUs */

/* A service is CPU-saturated when its members wanted at least this share of
 * the CPUs they may use (on-CPU + run-queue over CPUs × span) ... */
#define SERVICES_CPU_DEMAND_SAT 0.9
/* ... and waited on the run queue for at least this share of that time. */
#define SERVICES_RUNQ_SHARE_SAT 0.2

/* What the caller found out about one traced process. */
struct service_attr {
	uint32_t pid;
	char key[SERVICE_NAME_LEN]; /* its service's name; "" = by command name */
	int cpus_known;
	uint64_t cpus[SERVICE_CPU_WORDS]; /* CPUs it may run on (affinity, cpuset) */
	double quota_cpus;		  /* cgroup cpu.max quota / period; NaN: none */
};

struct service_view {
	char name[SERVICE_NAME_LEN];
	unsigned n_pids;
	uint32_t *pids;
	/* net, summed over members */
	int net_known;
	uint64_t rx_bytes, tx_bytes, rx_ops, tx_ops, backlog_bytes;
	uint64_t retransmits, resets, drops;
	/* queue: the service as one station (has_queue 0: no member received) */
	int has_queue;
	struct queue_figures queue;
	unsigned capacity_servers; /* c bounded by the CPUs the members may use */
	double cpus;		   /* those CPUs (affinity union, cgroup quota); NaN unknown */
	double oncpu_s, runq_s;	   /* members' on-CPU and run-queue time */
	double cpu_demand;	   /* (on-CPU + run-queue) / (cpus × span) */
	double runq_share;	   /* run-queue / (on-CPU + run-queue) */
	int cpu_saturated;
	/* the pipeline over services (pipeline_assign_services): 0 = not in one */
	unsigned stage;
	int bottleneck;
	double path_response_s; /* slowest path from a source through it */
};

/* Group s's processes by attrs (matched by pid; a process without one is
 * grouped by its command name). Returns 0, or -1 when out of memory. */
int services_build(const struct snapshot *s, const struct service_attr *attrs, unsigned n_attrs,
		   struct service_view **out, unsigned *n_out);
void services_free(struct service_view *v, unsigned n);

/* Parsers of what services_sys.c reads (pure, unit-tested). */
/* "max 100000" -> NaN, "50000 100000" -> 0.5; -1 if malformed. */
int services_parse_cpu_max(const char *text, double *cpus);
/* The cgroup v2 path from /proc/PID/cgroup's text ("0::/a/b" -> "/a/b"). */
int services_parse_cgroup(const char *text, char *path, size_t len);
/* One /proc/net/tcp{,6} line: the local port and inode of a listening socket;
 * 0 when it is one, -1 otherwise. */
int services_parse_tcp_listen(const char *line, unsigned *port, unsigned long *inode);

#endif
