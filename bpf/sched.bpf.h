/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A traced thread coming on a CPU, shared by sched_switch (sched.bpf.c) and
 * the syscall hooks (syscalls.bpf.c), which call it for a thread found
 * running that sched_switch never reported coming in: some kernels do not
 * report a switch away from some threads (this host's never shows the
 * sandbox agent's threads as prev), and then the thread after them comes
 * on its CPU unseen. Its first syscall is the closest the tracer gets.
 */
#ifndef STREAMTRACE_SCHED_BPF_H
#define STREAMTRACE_SCHED_BPF_H

#include "common.bpf.h"
#include "busy.bpf.h"

/* nt comes on the CPU at now: its run-queue wait or its off-CPU time ends. */
static __always_inline void st_sched_in(struct st_task *nt, __u64 now)
{
	struct st_proc_stat *ps = st_proc_stat_of(nt->slot);

	if (ps && nt->runq_since) {
		__u64 d = now - nt->runq_since;

		ps->runq_ns += d;
		ps->runq_count++;
		if (d > ps->runq_max_ns)
			ps->runq_max_ns = d;
		ps->runq_hist[st_log2_bucket(d)]++;
		nt->th_runq_ns += d;
	}
	if (nt->offcpu_since) {
		/* back on the CPU without a wake-up we saw */
		if (ps)
			ps->offcpu_ns += now - nt->offcpu_since;
		st_busy_wake(nt, ps, now);
	}
	st_busy_run(nt, now);
	nt->runq_since = 0;
	nt->offcpu_since = 0;
	nt->oncpu_since = now;
}

#endif /* STREAMTRACE_SCHED_BPF_H */
