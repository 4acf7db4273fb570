// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscall probes: count, errors with errno, time and a log2 latency histogram
 * per traced process and syscall. This is the hottest path of the tool: every
 * syscall of every process on the machine enters here, so an untraced task
 * pays one task-storage lookup and nothing else.
 */
#include "common.bpf.h"
#include "busy.bpf.h"

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

SEC("tp_btf/sys_enter")
int BPF_PROG(st_sys_enter, struct pt_regs *regs, long id)
{
	struct st_task *t = st_task_of(bpf_get_current_task_btf());

	__u64 now;

	if (!t)
		return 0;
	if (st_sample_skip(t)) {
		/* --sample: counted at exit, not timed; a sink's service still
		 * ends when the thread comes back for input */
		t->sys_nr = id;
		st_sys_args(t, regs);
		t->sys_enter_ns = ST_SYS_UNTIMED;
		if (t->svc_since && st_is_input_wait(id))
			st_busy_sys_enter(t, id, bpf_ktime_get_ns());
		return 0;
	}
	now = bpf_ktime_get_ns();
	t->sys_nr = id;
	st_sys_args(t, regs);
	t->sys_enter_ns = now;
	/* a sink (a process that never sends) has served its message when
	 * the thread comes back for input */
	st_busy_sys_enter(t, id, now);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(st_sys_exit, struct pt_regs *regs, long ret)
{
	struct st_task *t = st_task_of(bpf_get_current_task_btf());

	/* no enter seen: the execve that made the task traced, or attach time */
	if (!t || !t->sys_enter_ns)
		return 0;
	st_syscall_done(t, t->sys_enter_ns == ST_SYS_UNTIMED ? 0 : bpf_ktime_get_ns(), ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
