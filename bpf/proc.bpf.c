// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process life: which tasks are traced. A traced thread is one that has task
 * storage; it gets it when an existing process is attached (task iterator),
 * when a traced task forks (threads and processes alike), or when a program
 * is exec'd as the -- COMMAND child or under the -c name. Task storage dies
 * with its task, so a reused pid is never mistaken for the old process.
 */
#include "common.bpf.h"
#include "busy.bpf.h"
#include "views.bpf.h"

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

static __always_inline void st_emit(__u32 kind, __u32 slot, __u32 tgid, __s32 code, __u64 now,
				    const char *comm)
{
	struct st_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		st_lost(ST_LOST_RINGBUF);
		return;
	}
	e->kind = kind;
	e->slot = slot;
	e->tgid = tgid;
	e->exit_code = code;
	e->ts_ns = now;
	__builtin_memcpy(e->comm, comm, ST_COMM_LEN);
	/* rare events; the loader polls at least once an interval */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Start tracing task as a new process in a fresh slot; returns its storage. */
static __always_inline struct st_task *st_proc_new(struct task_struct *task, __u32 origin,
						   __u32 parent_slot)
{
	struct st_proc *p;
	struct st_task *t;
	__u64 now = bpf_ktime_get_ns();
	__u32 slot;

	if (bpf_map_pop_elem(&free_slots, &slot)) {
		st_lost(ST_LOST_PROCS_FULL);
		return 0;
	}
	p = bpf_map_lookup_elem(&procs, &slot);
	if (!p)
		return 0;
	t = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		st_lost(ST_LOST_STORAGE);
		bpf_map_push_elem(&free_slots, &slot, 0);
		return 0;
	}
	t->slot = slot;
	/* exec: the task is running right now (a fork child is not yet) */
	if (task == bpf_get_current_task_btf()) {
		t->oncpu_since = now;
		st_oncpu_forget(task);
	}
	p->tgid = task->tgid;
	p->start_ns =
		BPF_CORE_READ(task, group_leader, start_time); /* no walk: see st_task_of_cold */
	p->traced_ns = now;
	p->exit_ns = 0;
	p->exit_code = 0;
	p->origin = origin;
	p->parent_slot = parent_slot;
	p->generation++;
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), task->comm);
	barrier(); /* stores are ordered on x86; keep the compiler from reordering */
	p->state = ST_PROC_LIVE;
	st_emit(ST_EV_PROC_NEW, slot, p->tgid, 0, now, p->comm);
	return t;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(st_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct st_task *pt = st_task_of_cold(parent), *ct;

	if (!pt)
		return 0;
	if (child->tgid != parent->tgid) {
		st_proc_new(child, ST_ORIGIN_FORK, pt->slot);
		return 0;
	}
	ct = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ct)
		ct->slot = pt->slot;
	else
		st_lost(ST_LOST_STORAGE);
	return 0;
}

static __always_inline int st_comm_matches(struct task_struct *p)
{
	char comm[ST_COMM_LEN];
	int i, k;

	bpf_probe_read_kernel(comm, sizeof(comm), p->comm);
	for (k = 0; k < ST_MAX_COMMS && k < n_target_comms; k++) {
		for (i = 0; i < ST_COMM_LEN; i++) {
			if (comm[i] != target_comms[k][i])
				break;
			if (!comm[i])
				return 1;
		}
		if (i == ST_COMM_LEN)
			return 1;
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(st_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct st_task *t = st_task_of_cold(p);
	__u32 tgid = p->tgid;

	if (t) {
		struct st_proc *proc = bpf_map_lookup_elem(&procs, &t->slot);

		if (proc)
			bpf_probe_read_kernel_str(proc->comm, sizeof(proc->comm), p->comm);
		return 0;
	}
	if (bpf_map_lookup_elem(&exec_pids, &tgid)) {
		bpf_map_delete_elem(&exec_pids, &tgid);
		st_proc_new(p, ST_ORIGIN_EXEC_PID, (__u32)-1);
	} else if (n_target_comms && st_comm_matches(p)) {
		st_proc_new(p, ST_ORIGIN_EXEC_COMM, (__u32)-1);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(st_sched_process_exit, struct task_struct *p)
{
	struct st_task *t = st_task_of_cold(p);
	struct st_oncpu *c;
	struct st_proc *proc;
	__u64 now;
	__s32 code;

	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	c = st_oncpu_here(); /* p is the thread on this CPU */
	if (c && c->mode == ST_ONCPU_MIRROR && c->tid == (__u32)p->pid) {
		st_oncpu_flush(c, t);
		st_oncpu_set(c, 0, 0, 0); /* nobody: the next syscall looks it up */
	}
	/* exit and exit_group never return: account them here */
	if (t->sys_enter_ns)
		st_syscall_done(t, &t->sys_skip, now, 0); /* c flushed above */
	st_busy_exit(t, now);
	st_thread_exit(p, t, now); /* --threads: its last figures */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads of the group live on */
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	/* signal->live is read after the decrement of every thread that is
	 * exiting at the same moment, so two of them can both see 0: only the
	 * first marks the process (below), and a slot the process no longer
	 * holds (exited, released by user space, maybe reused) is left alone:
	 * marking it again made user space list the process twice */
	if (!proc || proc->state != ST_PROC_LIVE || proc->tgid != (__u32)p->tgid)
		return 0;
	/* the first to set exit_ns claims the exit */
	if (__sync_val_compare_and_swap(&proc->exit_ns, 0, now) != 0)
		return 0;
	if (BPF_CORE_READ(p, signal, flags) & SIGNAL_GROUP_EXIT)
		code = BPF_CORE_READ(p, signal, group_exit_code);
	else
		code = p->exit_code;
	proc->exit_code = code;
	/* the process's name at its end: the leader's, renamed or not */
	BPF_CORE_READ_STR_INTO(&proc->comm, p, group_leader, comm);
	barrier(); /* stores are ordered on x86; keep the compiler from reordering */
	proc->state = ST_PROC_EXITED;
	st_emit(ST_EV_PROC_EXIT, t->slot, proc->tgid, code, now, proc->comm);
	return 0;
}

/* Run once or twice at attach: gives every thread of the processes listed in
 * attach_tgids its task storage, so they are traced from now on. */
SEC("iter/task")
int st_attach_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct st_attach *a;
	struct st_task *t;
	__u32 tgid;

	if (!task)
		return 0;
	tgid = task->tgid;
	a = bpf_map_lookup_elem(&attach_tgids, &tgid);
	if (!a)
		return 0;
	t = bpf_task_storage_get(&tasks, task, 0, 0);
	if (t) {
		/* traced already: by an earlier pass (same slot), or under
		 * another slot (exec'd under a -c name meanwhile): keep that */
		if (t->slot == a->slot) {
			a->marked++;
			st_oncpu_forget(task); /* again: see below */
		} else {
			a->traced_already++;
		}
		return 0;
	}
	t = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		st_lost(ST_LOST_STORAGE);
		return 0;
	}
	t->slot = a->slot;
	a->marked++;
	if (task->on_cpu && !t->oncpu_since)
		t->oncpu_since = bpf_ktime_get_ns();
	/* if it is running, its CPU's entry says "not traced" until it next
	 * comes on a CPU; the second pass does this again, for a task that
	 * was just coming on its CPU at the first */
	st_oncpu_forget(task);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
