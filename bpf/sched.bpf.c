// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Scheduler probes: on-CPU time, run-queue wait (wakeup or preemption to
 * running, as runqlat measures it), off-CPU (blocked) time, and voluntary and
 * involuntary context switches of traced threads.
 */
#include "sched.bpf.h"

static __always_inline void st_runq_enter(struct st_task *t, __u64 now)
{
	/* A wake-up of a thread that is still on its CPU (it set itself
	 * asleep and was woken before it switched out: the kernel's
	 * ttwu_runnable) does not queue it; it runs on. Counting a run-queue
	 * wait from here would make its next switch-in count its running and
	 * blocked time since as run-queue wait. */
	if (t->oncpu_since)
		return;
	if (t->offcpu_since) {
		struct st_proc_stat *ps = st_proc_stat_of(t->slot);

		if (ps)
			ps->offcpu_ns += now - t->offcpu_since;
		/* woken: idle ends (dispatch begins), or a busy block ends */
		st_busy_wake(t, ps, now);
		t->offcpu_since = 0;
	}
	if (!t->runq_since)
		t->runq_since = now;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(st_sched_wakeup, struct task_struct *p)
{
	struct st_task *t = st_task_of(p);

	if (t)
		st_runq_enter(t, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(st_sched_wakeup_new, struct task_struct *p)
{
	struct st_task *t = st_task_of_cold(p); /* once per new task: rare */

	if (t)
		st_runq_enter(t, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(st_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct st_task *pt = st_task_of(prev), *nt = st_task_of(next);
	struct st_oncpu *c = st_oncpu_here();
	struct st_proc_stat *ps;
	__u64 now = 0;

	if (c) {
		/* prev's syscall state back into its storage, next's onto the
		 * CPU, named by where its registers are (once that is known) */
		st_oncpu_leave(c, prev->pid, pt);
		st_oncpu_set(c, next->pid, nt, st_regs_off ? (__u64)next->stack + st_regs_off : 0);
	}
	if (pt) {
		now = bpf_ktime_get_ns();
		ps = st_proc_stat_of(pt->slot);
		if (ps) {
			if (pt->oncpu_since)
				ps->oncpu_ns += now - pt->oncpu_since;
			ps->ctx_switches++;
			/* the kernel counts a switch as involuntary (nivcsw) exactly
			 * when it was a preemption or the task was still runnable */
			if (preempt || prev_state == TASK_RUNNING)
				ps->invol_switches++;
		}
		if (pt->oncpu_since)
			pt->th_oncpu_ns += now - pt->oncpu_since;
		pt->th_switches++;
		pt->oncpu_since = 0;
		if (preempt || prev_state == TASK_RUNNING) {
			pt->runq_since = now;
		} else {
			pt->offcpu_since = now;
			pt->runq_since = 0; /* asleep: its run-queue wait starts at the wake-up */
			/* a serving thread blocked waiting for input with nothing
			 * in service is idle; blocked otherwise, it is busy */
			st_busy_block(pt, ps, now);
		}
	}
	if (nt)
		st_sched_in(nt, now ? now : bpf_ktime_get_ns());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
