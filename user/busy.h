/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Busy time, serving threads and saturation from the busy iterator's
 * per-thread records (cumulative, open periods included), read at each
 * interval boundary: per process slot, the busy and idle totals of its live
 * serving threads, how many were busy in the span, and how many never waited
 * for input over it. Pure: unit tests feed it records directly.
 */
#ifndef ST_BUSY_H
#define ST_BUSY_H

#include <stdint.h>
#include <linux/types.h>
#include "bpf/streamtrace.h"

/* One slot's figures from the latest reading. */
struct busy_slot {
	int known;		 /* the slot had serving threads in this reading */
	uint32_t generation;	 /* of the slot's process */
	uint64_t live_busy_ns;	 /* Σ busy of its live serving threads, cumulative */
	uint64_t live_idle_ns;	 /* Σ idle, cumulative */
	unsigned active;	 /* threads busy at some time since the previous reading */
	unsigned never_idle;	 /* of those, seen in the previous reading too and never
					* idle since (waited for input not once in the span) */
	unsigned active_new;	 /* threads busy for the first time in the run */
	unsigned never_idle_run; /* live threads never idle since they began serving
					* (seen in two readings at least) */
};

struct busy_tracker;

struct busy_tracker *busy_new(unsigned max_procs);
void busy_free(struct busy_tracker *b);
/* A reading: busy_begin, busy_add for every record, busy_end. */
void busy_begin(struct busy_tracker *b);
void busy_add(struct busy_tracker *b, const struct st_busy_rec *r);
/* Threads not seen in this reading are gone (exited: their totals are in the
 * process's exit counters). */
void busy_end(struct busy_tracker *b);
/* The slot's figures from the last reading (known 0 when it had no serving
 * thread then). */
const struct busy_slot *busy_slot_get(const struct busy_tracker *b, uint32_t slot);

#endif
