/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The thread view's records (bpf/views.bpf.c reads live threads with a task
 * iterator). A thread that is gone is no longer seen by the iterator, so
 * with --threads its last figures are kept at its exit (sched_process_exit,
 * in bpf/proc.bpf.c) in thread_exits, which the loader reads and empties at
 * each interval: a process's threads report their last interval too.
 */
#ifndef ST_VIEWS_BPF_H
#define ST_VIEWS_BPF_H

#include "common.bpf.h"

const volatile __u32 thread_exits_on __weak = 0; /* --threads */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct st_thread_rec);
} thread_exits SEC(".maps") __weak;

/* The figures of traced thread task (storage t) up to now. */
static __always_inline void st_thread_fill(struct task_struct *task, struct st_task *t,
					   struct st_thread_rec *r)
{
	struct st_oncpu *c;

	r->tid = task->pid;
	r->tgid = task->tgid;
	r->slot = t->slot;
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
	r->oncpu_ns = t->th_oncpu_ns;
	r->runq_ns = t->th_runq_ns;
	r->switches = t->th_switches;
	r->syscalls = t->th_syscalls;
	/* those ended on the CPU it is running on, not yet in t */
	c = st_oncpu_of(task);
	if (c && c->mode == ST_ONCPU_MIRROR && c->tid == (__u32)task->pid)
		r->syscalls += c->syscalls;
	r->rx_ops = t->th_rx_ops;
	r->busy_ns = t->th_busy_ns;
	/* the busy period open now (busy.bpf.h) */
	if (t->bz_since) {
		__u64 now = bpf_ktime_get_ns(), since = t->bz_since;

		if (now > since)
			r->busy_ns += now - since;
	}
}

/* At a traced thread's exit (it is on the CPU): its last figures. A full
 * map loses them, counted as lost storage. */
static __always_inline void st_thread_exit(struct task_struct *task, struct st_task *t, __u64 now)
{
	struct st_thread_rec r = {};

	if (!thread_exits_on)
		return;
	st_thread_fill(task, t, &r);
	if (t->oncpu_since && now > t->oncpu_since)
		r.oncpu_ns += now - t->oncpu_since;
	if (bpf_map_update_elem(&thread_exits, &r.tid, &r, BPF_ANY))
		st_lost(ST_LOST_STORAGE);
}

#endif
