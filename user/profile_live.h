/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --profile in a live run (issue 13): reads the kernel's stack counts at each
 * interval, names the frames of stacks seen for the first time while their
 * process is alive (its mappings read from /proc then, and kept for after
 * its exit), and gives the run's profile at the end.
 */
#ifndef ST_PROFILE_LIVE_H
#define ST_PROFILE_LIVE_H

#include "profile.h"
#include "tracer.h"

struct prof_live;

/* Kernel symbols are read here: call before privileges are dropped. */
struct prof_live *prof_live_new(unsigned hz);
void prof_live_free(struct prof_live *pl);
/* Read the counts now (each interval, and when a dead process is released). */
void prof_live_read(struct prof_live *pl, struct tracer *tr);
/* At every poll: read the mappings of traced processes not known yet, once
 * they are PROF_MAPS_AGE_NS old (the dynamic loader has mapped the
 * libraries by then), so that a process that exits before the end of its
 * first interval is still named. */
#define PROF_MAPS_AGE_NS 20000000ull
void prof_live_poll(struct prof_live *pl, struct tracer *tr);
/* The run's profile so far, new (the caller frees it), or NULL. */
struct profile *prof_live_profile(struct prof_live *pl);

#endif
