// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The busy iterator: run by the loader at each interval boundary, it writes
 * one record per serving thread with its busy and idle totals up to now,
 * open periods included. Closed periods are added up by the probes
 * (busy.bpf.h); reading the open ones here is what lets a thread that is
 * idle (or busy) across a boundary count on each side of it exactly once.
 */
#include "common.bpf.h"
#include "busy.bpf.h"

SEC("iter/task")
int st_busy_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct st_busy_rec r = {};
	struct st_proc *proc;
	struct st_task *t;
	__u64 now, since;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&tasks, task, 0, 0);
	if (!t || !t->rx_seen || t->bz_exited)
		return 0;
	now = bpf_ktime_get_ns();
	r.tid = task->pid;
	r.slot = t->slot;
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	r.generation = proc ? proc->generation : 0;
	/* each open period read once: the probes clear it before adding it
	 * to the closed total, so a racing transition loses a little here (the
	 * next reading has it) rather than counting it twice */
	since = t->bz_since;
	r.busy_ns = t->th_busy_ns;
	if (since && now > since)
		r.busy_ns += now - since;
	r.idle_ns = t->th_idle_ns;
	r.idle_periods = t->th_idle_periods;
	r.state = 0;
	since = t->idle_since;
	if (since) {
		r.state = 1;
		if (now > since)
			r.idle_ns += now - since;
	} else if (t->bz_disp_since) {
		r.state = 2;
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
