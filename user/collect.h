/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector turns the kernel's cumulative counters (read each interval)
 * into interval deltas and whole-run totals per process, and builds the
 * snapshots the outputs render. Pure: it never talks to the kernel, so unit
 * tests feed it readings directly.
 */
#ifndef ST_COLLECT_H
#define ST_COLLECT_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/streamtrace.h"
#include "model.h"
#include "procfs.h"

struct collector;

struct collector *collector_new(unsigned max_procs);
void collector_free(struct collector *c);

/* A slot now holds a (new) traced process. Any earlier occupant of the slot
 * must have been retired with collector_proc_retire(). */
void collector_proc_begin(struct collector *c, uint32_t slot, pid_t pid, const char *comm,
			  uint32_t origin);
/* Is the slot's occupant known and not yet retired? */
int collector_proc_known(const struct collector *c, uint32_t slot);
/* Has the slot's exit gone out in an interval (so it may be retired)? */
int collector_proc_exit_reported(const struct collector *c, uint32_t slot);
void collector_proc_comm(struct collector *c, uint32_t slot, const char *comm);
/* Cumulative readings of a slot (sums over CPUs). */
void collector_update_stats(struct collector *c, uint32_t slot, const struct st_proc_stat *cum);
/* rows[ST_MAX_SYSCALLS], cumulative; rows[i].ep_max_ns[0] the interval maximum. */
void collector_update_syscalls(struct collector *c, uint32_t slot,
			       const struct st_syscall_stat *rows);
void collector_update_errno(struct collector *c, uint32_t slot, uint32_t nr, uint32_t err,
			    uint64_t cum);
/* Drops on the process's sockets for one kernel drop reason (cumulative). */
void collector_update_drop(struct collector *c, uint32_t slot, const char *reason, uint64_t cum);
/* /proc figures of a live process (faults are cumulative kernel counters). */
void collector_update_procfs(struct collector *c, uint32_t slot, const struct procfs_stat *st);
/* Baseline for the fault counters (the values when tracing began). */
void collector_fault_base(struct collector *c, uint32_t slot, uint64_t minflt, uint64_t majflt);
/* The unread bytes in the process's input sockets now (a gauge). */
struct busy_slot;
/* The busy iterator's reading of the slot (after collector_update_stats of
 * the same reading); NULL or not known: no live serving thread. */
void collector_update_busy(struct collector *c, uint32_t slot, const struct busy_slot *b);
void collector_update_backlog(struct collector *c, uint32_t slot, int64_t bytes);
void collector_proc_exit(struct collector *c, uint32_t slot, int exit_code);
/* The slot's process is dead and fully read: keep it for the summary only. */
void collector_proc_retire(struct collector *c, uint32_t slot);
void collector_set_lost(struct collector *c, const struct lost_counts *cum);
/* The host's CPUs and its steal so far (seconds since boot, all CPUs), read
 * before each interval; never called: the snapshots' host is unknown. */
void collector_set_host(struct collector *c, unsigned cpus, double steal_s);

struct whatif;
/* Forecast horizon (seconds) and trend window (intervals, 0 = default). */
void collector_set_forecast(struct collector *c, double horizon_s, unsigned window);
/* Evaluate this what-if in every snapshot (NULL: none). */
void collector_set_whatif(struct collector *c, const struct whatif *w);
/* Whether socket figures are measured at all (default yes). */
void collector_set_net_known(struct collector *c, int known);
/* --sample N: every snapshot says its syscall times are estimated from
 * every Nth syscall (0 or 1: all timed). */
void collector_set_sample(struct collector *c, unsigned every);

/* Count of processes that have not exited yet. */
unsigned collector_live(const struct collector *c);

/*
 * Build the interval snapshot (and start a new interval), or the summary over
 * the whole run. time is UNIX seconds at the end of the span.
 */
int collector_interval(struct collector *c, double time, double span_s, struct snapshot *out);
int collector_summary(struct collector *c, double time, double span_s, struct snapshot *out);

#endif
