/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What helpers_prog.bpf.c and helpers_run.c share: the contexts of its
 * programs and the state it keeps in .bss. Include bpf/streamtrace.h first. */
#ifndef STREAMTRACE_HELPERS_PROG_H
#define STREAMTRACE_HELPERS_PROG_H

#define HP_LOG2_N 256 /* values per log2_run */
#define HP_GAPS	  64  /* gaps between timed syscalls: 0 .. HP_GAPS - 1 (the last: more) */
#define HP_NR	  0   /* the syscall number sys_run accounts (slot 0's first block) */

/* log2_run's context: values whose bucket st_log2_bucket() gives */
struct hp_log2_args {
	__u64 v[HP_LOG2_N];
};

/* busy_step's context: one scheduler or socket event of thread th (0 or 1)
 * of the process in slot 0, as the real programs call the busy helpers */
enum hp_op {
	HP_TAKE = 1,  /* a receive took a message (first_arr: its arrival, 0 unknown) */
	HP_ANSWER,    /* a send returned */
	HP_SYS_ENTER, /* syscall nr entered */
	HP_SYS_EXIT,  /* the syscall returned */
	HP_BLOCK,     /* switched out asleep */
	HP_WAKE,      /* woken */
	HP_RUN,	      /* switched in */
	HP_EXIT,      /* the thread exits */
	HP_PREEMPT,   /* switched out runnable (preempted): on the run queue */
	HP_UNSEEN_IN, /* found running, its switch-in unseen (st_sched_in) */
};

struct hp_event {
	__u32 op, th, nr, pad;
	__u64 now, first_arr;
};

/* sys_run's context: n syscalls HP_NR of thread 0, each delta_ns long,
 * each err_every-th one failing with EAGAIN (0: none fails); oncpu: with the
 * state on the CPU (st_sample_skip on hp.c.skip, st_oncpu_done on hp.c: the
 * syscall hooks' common path) instead of in task storage */
struct hp_sys_args {
	__u32 n, err_every;
	__u64 delta_ns;
	__u32 oncpu, pad;
};

/* oncpu_leave's context: hp.c, mirroring thread 0 (tid HP_TID0), is in
 * syscall nr since enter_ns with `syscalls` ended and countdown skip; it
 * then stops describing it, the leaving thread being tid (st_oncpu_leave) */
#define HP_TID0 4242
struct hp_leave_args {
	__u32 nr, skip, tid, pad;
	__u64 enter_ns, syscalls;
};

struct hp_state {
	struct st_task t[2];
	struct st_oncpu c;
	__u64 in[HP_LOG2_N];
	__u32 bucket[HP_LOG2_N];
	struct hp_sys_args sys;
	/* sys_run: syscalls run and timed, and the untimed runs between two
	 * timed ones (the harness's own count, not the helper's) */
	__u64 sys_runs, sys_timed;
	__u64 gap_hist[HP_GAPS];
	__u32 gap, timed_once;
};

#endif /* STREAMTRACE_HELPERS_PROG_H */
