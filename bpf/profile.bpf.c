// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --profile (issue 13): where the service time goes.
 *
 * On-CPU: a perf event per CPU (software CPU clock at HZ samples a second)
 * runs st_prof_sample; a sample of a traced thread (one with task storage,
 * as every other program decides it) counts one under its process and its
 * user and kernel stacks.
 *
 * Off-CPU: time a serving thread spends blocked while a message is in
 * service (busy.bpf.h's rule and state: a busy block, st_task.bz_blk_svc),
 * with the stack it blocked in. These programs attach after the
 * scheduler's (the loader attaches them last, and a tracepoint runs its
 * probes in the order they were added), so they read the busy state the
 * scheduler probes have just set: a switch-out that opened a busy block
 * (st_task.bz_blk_since set to this very switch's time) takes the stack;
 * the wake-up that closes it (bz_blk_since cleared) adds its duration.
 * Blocked waiting for input with nothing in service is idle and not
 * recorded; so is a busy block with no message in service (a timer between
 * messages: busy to the queueing figures, but no message's service time). A block that a hand-off ended (another thread answered the
 * message, busy.bpf.h st_busy_wake_answered) counts up to the answer.
 *
 * None of this is attached without --profile; prof_on is also off then.
 */
#include "common.bpf.h"

const volatile __u32 prof_on = 0;

/* sizes set by the loader (tiny without --profile) */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, ST_PROF_STACK_DEPTH * sizeof(__u64));
} prof_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct st_prof_key);
	__type(value, __u64);
} prof_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct st_prof_task);
} prof_tasks SEC(".maps");

#define ST_EFAULT 14
#define ST_EEXIST 17
#define ST_ENOMEM 12

static __always_inline __s32 st_prof_stackid(void *ctx, __u64 flags)
{
	long id = bpf_get_stackid(ctx, &prof_stacks, flags);

	/* -EFAULT: no stack of that kind (user mode has no kernel stack) */
	if (id == -ST_EEXIST || id == -ST_ENOMEM)
		st_lost(ST_LOST_PROF_STACK);
	return (__s32)id;
}

static __always_inline void st_prof_count(const struct st_prof_key *k, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&prof_counts, k);

	if (c) {
		__sync_fetch_and_add(c, v);
		return;
	}
	if (!bpf_map_update_elem(&prof_counts, k, &v, BPF_NOEXIST))
		return;
	/* another CPU added it meanwhile, or the map is full */
	c = bpf_map_lookup_elem(&prof_counts, k);
	if (c)
		__sync_fetch_and_add(c, v);
	else
		st_lost(ST_LOST_PROF_FULL);
}

SEC("perf_event")
int st_prof_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task;
	struct st_prof_key k = {};

	if (!prof_on)
		return 0;
	task = bpf_get_current_task_btf();
	if (!st_task_of(task))
		return 0;
	k.tgid = task->tgid;
	k.ustack = st_prof_stackid(ctx, BPF_F_USER_STACK);
	k.kstack = st_prof_stackid(ctx, 0);
	st_prof_count(&k, 1);
	return 0;
}

/* A busy block of t (task p) has just ended: add its time in service. */
static __always_inline void st_prof_wake(struct task_struct *p, struct st_task *t, __u64 now)
{
	struct st_prof_task *pt;
	struct st_prof_key k = {};
	__u64 end = now, start;

	if (t->bz_blk_since)
		return; /* still blocked (a wake-up the scheduler probes did not close) */
	pt = bpf_task_storage_get(&prof_tasks, p, 0, 0);
	if (!pt || !pt->start_ns)
		return;
	start = pt->start_ns;
	pt->start_ns = 0;
	if (pt->snap_since && t->bz_since != pt->snap_since) {
		/* answered by another thread while blocked: busy until that
		 * answer, which busy.bpf.h added to th_busy_ns */
		end = pt->snap_since + (t->th_busy_ns - pt->snap_busy);
		if (end > now)
			end = now;
	}
	if (end <= start)
		return;
	k.tgid = p->tgid;
	k.ustack = pt->ustack;
	k.kstack = pt->kstack;
	k.offcpu = 1;
	st_prof_count(&k, end - start);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(st_prof_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct st_task *t;

	if (!prof_on)
		return 0;
	t = st_task_of(prev);
	/* the scheduler probe has just opened a busy block for prev: its
	 * start is this switch's time, the same as offcpu_since */
	if (t && !preempt && prev_state != TASK_RUNNING && t->bz_blk_since &&
	    t->bz_blk_since == t->offcpu_since && t->bz_blk_svc) {
		struct st_prof_task *pt =
			bpf_task_storage_get(&prof_tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (!pt) {
			st_lost(ST_LOST_PROF_SAMPLE);
		} else {
			pt->start_ns = t->bz_blk_since;
			pt->snap_since = t->bz_since;
			pt->snap_busy = t->th_busy_ns;
			pt->ustack = st_prof_stackid(ctx, BPF_F_USER_STACK);
			pt->kstack = st_prof_stackid(ctx, 0);
		}
	}
	t = st_task_of(next);
	if (t)
		st_prof_wake(next, t, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(st_prof_wakeup, struct task_struct *p)
{
	struct st_task *t;

	if (!prof_on)
		return 0;
	t = st_task_of(p);
	if (t)
		st_prof_wake(p, t, bpf_ktime_get_ns());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
