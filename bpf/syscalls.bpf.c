// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscall probes: count, errors with errno, time and a log2 latency histogram
 * per traced process and syscall. This is the hottest path of the tool: every
 * syscall of every process on the machine enters here. An untraced thread
 * pays one inlined per-CPU lookup and a comparison; a traced one, in a
 * syscall that is not an input wait or a send, has its state kept on the
 * CPU (struct st_oncpu) and makes no helper call but the clock's.
 */
#include "common.bpf.h"
#include "busy.bpf.h"
#include "sched.bpf.h"

/* The arguments the socket programs read the user buffer by (st_fr_buffer):
 * plain loads from the tracepoint's registers, cheaper here than a helper
 * call for them at every receive and send. */
static __always_inline void st_sys_args(struct st_task *t, struct pt_regs *regs)
{
#ifdef __TARGET_ARCH_x86
	t->sys_arg1 = regs->si;
	t->sys_arg2 = regs->dx;
#endif
}

/* The thread on this CPU is not the one its entry names: look it up. A
 * traced thread found running while its storage says it is off the CPU
 * came in unseen (sched.bpf.h): it came in now, as far as we know. */
static __always_inline void st_sys_identify(struct st_oncpu *c, __u64 regs)
{
	struct st_task *t = st_oncpu_identify(c, regs);

	if (t && !t->oncpu_since)
		st_sched_in(t, bpf_ktime_get_ns());
}

SEC("tp_btf/sys_enter")
int BPF_PROG(st_sys_enter, struct pt_regs *regs, long id)
{
	struct st_oncpu *c = st_oncpu_here();
	struct st_task *t;
	__u64 now;

	if (!c)
		return 0;
	if (c->regs != (__u64)regs)
		st_sys_identify(c, (__u64)regs);
	if (c->mode == ST_ONCPU_NONE)
		return 0; /* not a traced thread */
	if (st_sys_oncpu_ok(id)) {
		/* the common case: all of it on the CPU, no helper call but
		 * the clock's */
		c->nr = id;
		c->enter_ns = st_sample_skip(&c->skip) ? ST_SYS_UNTIMED : bpf_ktime_get_ns();
		return 0;
	}
	t = st_task_of(bpf_get_current_task_btf());
	if (!t)
		return 0;
	/* the thread's --sample countdown is the CPU entry's while it runs */
	if (st_sample_skip(&c->skip)) {
		/* --sample: counted at exit, not timed; a sink's service still
		 * ends when the thread comes back for input */
		t->sys_nr = id;
		st_sys_args(t, regs);
		t->sys_enter_ns = ST_SYS_UNTIMED;
		if (t->svc_since && st_is_input_wait(id))
			st_busy_sys_enter(t, id, bpf_ktime_get_ns());
	} else {
		now = bpf_ktime_get_ns();
		t->sys_nr = id;
		st_sys_args(t, regs);
		t->sys_enter_ns = now;
		/* a sink (a process that never sends) has served its message
		 * when the thread comes back for input */
		st_busy_sys_enter(t, id, now);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(st_sys_exit, struct pt_regs *regs, long ret)
{
	struct st_oncpu *c = st_oncpu_here();
	struct st_task *t;

	if (!c)
		return 0;
	if (c->regs != (__u64)regs)
		st_sys_identify(c, (__u64)regs);
	if (c->mode == ST_ONCPU_NONE)
		return 0;
	if (c->enter_ns) {
		st_oncpu_done(c, c->enter_ns == ST_SYS_UNTIMED ? 0 : bpf_ktime_get_ns(), ret);
		return 0;
	}
	/* entered with the state in task storage: an input wait or a send,
	 * or a syscall the thread was switched out in */
	t = st_task_of(bpf_get_current_task_btf());
	/* no enter seen: the execve that made the task traced, or attach time */
	if (!t || !t->sys_enter_ns)
		return 0;
	st_syscall_done(t, &c->skip, t->sys_enter_ns == ST_SYS_UNTIMED ? 0 : bpf_ktime_get_ns(),
			ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
