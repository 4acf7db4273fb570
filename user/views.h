/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The thread and connection views: the kernel's cumulative per-thread and
 * per-socket records (read by iterators) turned into interval deltas and
 * run totals, and attached to a snapshot's processes. Pure.
 */
#ifndef ST_VIEWS_H
#define ST_VIEWS_H

#include <linux/types.h>
#include "bpf/streamtrace.h"
#include "model.h"

/* threads, and connections, kept (live ones, and gone ones for the summary) */
#define VIEWS_MAX 8192
/* gone ones kept one by one for the summary; older ones are folded into one
 * row per process (tid 0, "(N exited)"; a connection "closed", "(N sockets)") */
#define VIEWS_KEEP_GONE (VIEWS_MAX / 4)
/* processes with such a row: a row whose process is no longer listed gives
 * its place when one is needed (more than processes alive at once) */
#define VIEWS_FOLDS (ST_MAX_PROCS + 1024)

struct views;

struct views *views_new(void);
void views_free(struct views *v);
/* Start a reading: records not seen again in it are gone (their last
 * values stay for the summary). */
void views_begin(struct views *v);
/* pid is the record's process (the slot's tgid at the time of reading). */
void views_add_thread(struct views *v, uint32_t pid, const struct st_thread_rec *r);
/* A thread's figures at its exit: its last; later readings of it (a zombie
 * leader the task iterator still sees) are ignored. */
void views_add_thread_final(struct views *v, uint32_t pid, const struct st_thread_rec *r);
/* The same for a connection at its close. */
void views_add_conn_final(struct views *v, uint32_t pid, const struct st_conn_rec *r);
void views_add_conn(struct views *v, uint32_t pid, const struct st_conn_rec *r);
/* Attach the views to s's processes (interval deltas, or totals for a
 * summary); the interval baseline moves on after an interval. */
void views_attach(struct views *v, struct snapshot *s, int threads, int conns);
/* Threads and connections left out so far because the table was full (at
 * most VIEWS_MAX of each are kept): lost.views_full. */
uint64_t views_dropped(const struct views *v);

/* Records held now, and fold rows (memory is bounded by these). */
void views_usage(const struct views *v, unsigned *threads, unsigned *conns, unsigned *folds);

/* "127.0.0.1:7878" / "[::1]:7878" of a record's address (pure formatting). */
void views_format_addr(unsigned family, const __u8 *addr, unsigned port, char *buf, size_t len);

#endif
