// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pure helpers of the kernel side under the kernel's verifier, each
 * driven by a SEC("syscall") program that tests/bpf/helpers_run.c runs with
 * BPF_PROG_TEST_RUN:
 *   log2_run   st_log2_bucket() (common.bpf.h), the histograms' slot;
 *   busy_step  one event of the busy/idle/dispatch state machine
 *              (busy.bpf.h) on one of two threads kept in .bss, with the
 *              time given, so a scenario's every period is known;
 *   sys_run    n syscalls through st_sample_skip() and st_syscall_done()
 *              (--sample's per-thread counter, the weighted times, the
 *              interval double buffer), in one bpf_loop; or through
 *              st_sample_skip() on the CPU entry's countdown and
 *              st_oncpu_done(), the same with the thread's state kept on
 *              the CPU (the hooks' common path);
 *   oncpu_leave  st_oncpu_leave(): the CPU's entry gives its state back to
 *              the thread it describes, or counts it lost.
 * busy_step also runs st_sched_in() (sched.bpf.h), the repair of a switch-in
 * the kernel did not report.
 * The maps are the real ones (common.bpf.h); results stay in .bss and in
 * the maps for the loader to compare with what the inputs imply.
 */
#include "common.bpf.h"
#include "busy.bpf.h"
#include "sched.bpf.h"
#include "helpers_prog.h"

struct hp_state hp;

SEC("syscall")
int log2_run(struct hp_log2_args *a)
{
	if (bpf_probe_read_kernel(hp.in, sizeof(hp.in), a->v))
		return -1;
	for (__u32 i = 0; i < HP_LOG2_N; i++)
		hp.bucket[i] = st_log2_bucket(hp.in[i & (HP_LOG2_N - 1)]);
	return 0;
}

SEC("syscall")
int busy_step(struct hp_event *e)
{
	struct st_task *t = &hp.t[e->th & 1];
	struct st_proc_stat *ps = st_proc_stat_of(t->slot);
	__u64 now = e->now;

	if (!ps)
		return -1;
	switch (e->op) {
	case HP_TAKE: /* sockets.bpf.c, after a receive */
		t->rx_seen = 1;
		st_busy_take(t, ps, 0, e->first_arr, now);
		break;
	case HP_ANSWER: /* sockets.bpf.c, after a send */
		st_busy_answer(t, ps, now);
		break;
	case HP_SYS_ENTER: /* syscalls.bpf.c */
		t->sys_nr = e->nr;
		t->sys_enter_ns = now;
		st_busy_sys_enter(t, e->nr, now);
		break;
	case HP_SYS_EXIT:
		t->sys_enter_ns = 0;
		break;
	case HP_BLOCK: /* sched.bpf.c: switched out asleep */
		st_busy_block(t, ps, now);
		t->oncpu_since = 0;
		t->offcpu_since = now;
		break;
	case HP_PREEMPT: /* sched.bpf.c: switched out runnable */
		t->oncpu_since = 0;
		t->runq_since = now;
		break;
	case HP_UNSEEN_IN: /* syscalls.bpf.c: st_sys_identify's repair */
		st_sched_in(t, now);
		break;
	case HP_WAKE: /* sched.bpf.c: the wake-up */
		st_busy_wake(t, ps, now);
		break;
	case HP_RUN: /* sched.bpf.c: switched in */
		st_busy_run(t, now);
		t->runq_since = t->offcpu_since = 0;
		t->oncpu_since = now;
		break;
	case HP_EXIT: /* proc.bpf.c */
		st_busy_exit(t, now);
		break;
	default:
		return -2;
	}
	return 0;
}

/* One syscall of thread 0, as sys_enter and sys_exit account it. */
static long sys_one(__u64 i, void *ctx)
{
	struct st_task *t = &hp.t[0];
	__u64 enter = 1000000 + i * 2 * hp.sys.delta_ns;
	long ret = hp.sys.err_every && i % hp.sys.err_every == 0 ? -11 : 0;

	struct st_oncpu *c = &hp.c;
	int untimed;

	if (hp.sys.oncpu) {
		c->nr = HP_NR;
		untimed = st_sample_skip(&c->skip);
		c->enter_ns = untimed ? ST_SYS_UNTIMED : enter;
	} else {
		t->sys_nr = HP_NR;
		untimed = st_sample_skip(&t->sys_skip);
		t->sys_enter_ns = untimed ? ST_SYS_UNTIMED : enter;
	}
	if (untimed) {
		hp.gap++;
	} else {
		if (hp.timed_once)
			hp.gap_hist[hp.gap < HP_GAPS ? hp.gap : HP_GAPS - 1]++;
		hp.timed_once = 1;
		hp.gap = 0;
		hp.sys_timed++;
	}
	if (hp.sys.oncpu)
		st_oncpu_done(c, enter + hp.sys.delta_ns, ret);
	else
		st_syscall_done(t, &t->sys_skip, enter + hp.sys.delta_ns, ret);
	hp.sys_runs++;
	return 0;
}

SEC("syscall")
int sys_run(struct hp_sys_args *a)
{
	hp.sys.n = a->n;
	hp.sys.err_every = a->err_every;
	hp.sys.delta_ns = a->delta_ns;
	hp.sys.oncpu = a->oncpu;
	if (a->oncpu) /* the entry mirrors thread 0 (slot 0) */
		st_oncpu_set(&hp.c, HP_TID0, &hp.t[0], 1);
	bpf_loop(hp.sys.n, sys_one, 0, 0);
	return 0;
}

SEC("syscall")
int oncpu_leave(struct hp_leave_args *a)
{
	struct st_oncpu *c = &hp.c;

	st_oncpu_set(c, HP_TID0, &hp.t[0], 1);
	c->nr = a->nr;
	c->enter_ns = a->enter_ns;
	c->syscalls = a->syscalls;
	c->skip = a->skip;
	st_oncpu_leave(c, a->tid, &hp.t[0]);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
