/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The loader: opens, sizes, loads and attaches the BPF object, hands out
 * process slots, and reads the kernel's counters back summed over CPUs.
 * The only part of user space that includes libbpf.
 */
#ifndef ST_TRACER_H
#define ST_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/streamtrace.h"
#include "model.h"

struct tracer;

struct tracer_opts {
	unsigned max_procs;	  /* process slots, 1..ST_MAX_PROCS */
	const char *const *comms; /* -c: trace processes exec'ing these names */
	unsigned n_comms;
	int verbose;	     /* libbpf debug output */
	unsigned profile_hz; /* --profile: samples a second per CPU; 0 off (nothing attached) */
	int thread_exits;    /* --threads: keep each traced thread's last figures at its exit */
	int conn_exits;	     /* --connections: keep a TCP connection's last figures at its close */
	unsigned sample_every; /* --sample N (0 or 1: time every syscall) */
};

/* Called from tracer_poll() for each process event. */
typedef void (*tracer_event_fn)(void *ctx, const struct st_event *e);

/* 0, or -1 with a one-line reason in err. */
int tracer_start(struct tracer **out, const struct tracer_opts *o, tracer_event_fn fn, void *ctx,
		 char *err, size_t errlen);
void tracer_destroy(struct tracer *t);

/* Trace pid from its next execve on (the -- COMMAND child). */
int tracer_trace_exec(struct tracer *t, pid_t pid);
/* Trace running processes (all their threads) from now on. Each gets a slot
 * returned in slots[i], or TRACER_ATTACH_GONE when it exited before any of
 * its threads could be marked, or TRACER_ATTACH_ALREADY when its threads
 * were traced already (it exec'd under a -c name meanwhile): no slot is
 * left holding a process that no thread carries.
 * Returns the number traced, or -1 with errno set (slots exhausted...). */
#define TRACER_ATTACH_GONE    ((uint32_t)-1)
#define TRACER_ATTACH_ALREADY ((uint32_t)-2)
int tracer_attach_pids(struct tracer *t, const pid_t *pids, size_t n, uint32_t *slots);

/* Deliver pending process events; waits at most timeout_ms. */
int tracer_poll(struct tracer *t, int timeout_ms);

unsigned tracer_max_procs(const struct tracer *t);
/* 0 when the kernel lacks the socket tracepoints: net and queue unknown. */
int tracer_net_available(const struct tracer *t);
/* How each probe family was hooked (tracepoint, fentry/fexit, none). */
const struct attach_info *tracer_attach_info(const struct tracer *t);
/* The shared slot table entry (live view of the kernel's). */
const volatile struct st_proc *tracer_proc(const struct tracer *t, uint32_t slot);

/* The epoch now running (no change). */
uint32_t tracer_epoch(const struct tracer *t);
/* Start a new interval epoch; returns the epoch that just ended. */
uint32_t tracer_next_epoch(struct tracer *t);
/* Sum of a slot's per-CPU process counters (sums, maxima as max, the u32
 * histogram buckets summed modulo 2^32); sum->srv_cnt[0] is the count of
 * threads that received within `epoch`. */
int tracer_read_proc_stat(struct tracer *t, uint32_t slot, uint32_t epoch,
			  struct st_proc_stat *sum);
/* rows[ST_MAX_SYSCALLS] summed over CPUs; rows[i].ep_max_ns[0] is set to the
 * maximum within `epoch` (0 when no sample of that epoch was seen). */
int tracer_read_syscalls(struct tracer *t, uint32_t slot, uint32_t epoch,
			 struct st_syscall_stat *rows);
/* Calls fn for every (slot, syscall, errno) count. */
int tracer_read_errnos(struct tracer *t,
		       void (*fn)(void *ctx, uint32_t slot, uint32_t nr, uint32_t err, uint64_t n),
		       void *ctx);
/* Calls fn for every (sender slot, receiver slot) pipeline edge. */
int tracer_read_edges(struct tracer *t,
		      void (*fn)(void *ctx, uint32_t from, uint32_t to, uint64_t n), void *ctx);
/* The thread and connection views: one call of fn per record. */
int tracer_read_threads(struct tracer *t, void (*fn)(void *ctx, const struct st_thread_rec *r),
			void *ctx);
/* Threads that exited since the last call, with their last figures (each
 * once: the kernel's table is emptied as it is read). */
int tracer_read_thread_exits(struct tracer *t, void (*fn)(void *ctx, const struct st_thread_rec *r),
			     void *ctx);
/* TCP connections their owners closed since the last call, with their last
 * figures and the owner's pid (each once). */
int tracer_read_conn_exits(struct tracer *t,
			   void (*fn)(void *ctx, const struct st_conn_rec *r, uint32_t tgid),
			   void *ctx);
/* The busy iterator: one record per serving thread, open periods included. */
int tracer_read_busy(struct tracer *t, void (*fn)(void *ctx, const struct st_busy_rec *r),
		     void *ctx);
int tracer_read_conns(struct tracer *t, pid_t pid, uint32_t slot,
		      void (*fn)(void *ctx, const struct st_conn_rec *r), void *ctx);
/* Drops on a slot's sockets by kernel drop reason (cumulative). */
int tracer_read_drops(struct tracer *t,
		      void (*fn)(void *ctx, uint32_t slot, const char *reason, uint64_t n),
		      void *ctx);
int tracer_read_lost(struct tracer *t, struct lost_counts *l);
/* Zero a dead process's counters and give its slot back. */
void tracer_release_slot(struct tracer *t, uint32_t slot);
/* The same for several slots at once: one pass over each keyed map. */
void tracer_release_slots(struct tracer *t, const uint32_t *slots, size_t n);

/* --profile: calls fn for every (process, user stack, kernel stack, on/off
 * CPU) count, cumulative (samples; off-CPU nanoseconds), with the stacks'
 * addresses innermost first (n 0 when the stack id is < 0 or gone). */
typedef void (*tracer_prof_fn)(void *ctx, const struct st_prof_key *k, uint64_t value,
			       const uint64_t *ustack, unsigned nu, const uint64_t *kstack,
			       unsigned nk);
int tracer_read_prof(struct tracer *t, tracer_prof_fn fn, void *ctx);
/* 1 when the profiler is attached */
int tracer_profiling(const struct tracer *t);

#endif
