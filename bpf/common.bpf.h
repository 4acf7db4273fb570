/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps, knobs and helpers shared by every probe family. Each family is its own
 * object file; `bpftool gen object` links them, so the maps and globals here
 * are __weak: identical definitions in every object merge into one.
 */
#ifndef STREAMTRACE_COMMON_BPF_H
#define STREAMTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "streamtrace.h"

#define TASK_RUNNING 0

/* Sizes here are placeholders: the loader sets them before load. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct st_task);
} tasks SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ST_DEFAULT_PROCS);
	__type(key, __u32);
	__type(value, struct st_proc);
} procs SEC(".maps") __weak;

/* Free process slots; the loader fills it, the fork/exec probes pop from it. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, ST_DEFAULT_PROCS);
	__type(value, __u32);
} free_slots SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_DEFAULT_PROCS *ST_SYSCALL_BLOCKS);
	__type(key, __u32);
	__type(value, struct st_syscall_block);
} sys_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_DEFAULT_PROCS);
	__type(key, __u32);
	__type(value, struct st_proc_stat);
} proc_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct st_errno_key);
	__type(value, __u64);
} errnos SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_LOST__MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps") __weak;

/* Who feeds whom: (sender slot << 32 | receiver slot) -> data arrivals that
 * a traced sender put into a traced receiver's socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} edges SEC(".maps") __weak;

/* -- COMMAND: the child's pid, traced from its execve on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} exec_pids SEC(".maps") __weak;

/*
 * The thread on each CPU (struct st_oncpu, streamtrace.h). While a traced
 * thread runs, the state of its common syscalls lives here, not in its task
 * storage: a one-element per-CPU array is looked up inline, where reaching
 * task storage costs two helper calls at each hook (the task, then its
 * storage), and for an untraced thread the entry says "nothing to do" with
 * no call at all. The entry is only believed for the thread whose saved
 * registers it names (st_oncpu.regs), so a context switch that sched_switch
 * did not report cannot make it describe the wrong thread: a mismatch looks
 * the thread up (st_oncpu_identify). sched_switch writes the leaving
 * thread's state back and fills the entry for the coming one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_oncpu);
} oncpu SEC(".maps") __weak;

/* Where a thread's saved user registers are, from the bottom of its kernel
 * stack (task->stack): learned from the first syscall seen, so that
 * sched_switch can name the coming thread's registers (0: not known yet). */
__u64 st_regs_off __weak;

/* tgid -> slot for processes that existed before we attached; read by the
 * task iterator, which gives each of their threads its task storage. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ST_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct st_attach);
} attach_tgids SEC(".maps") __weak;

/* -c NAME (repeatable): processes that exec a program of one of these
 * names are traced. */
const volatile char target_comms[ST_MAX_COMMS][ST_COMM_LEN] __weak = {};
const volatile __u32 n_target_comms __weak = 0;
const volatile __u32 max_procs __weak = ST_DEFAULT_PROCS;
/* --sample N: time every Nth syscall per thread (on average: the gaps are
 * drawn at random so that no syscall of a periodic pattern is always
 * skipped); counts and errors stay exact, times and histograms are counted
 * with weight N, so the maps keep meaning "estimated totals". */
const volatile __u32 sample_every __weak = 1;
/* Interval epoch, bumped by the loader at each interval boundary. */
__u32 epoch __weak;

static __always_inline void st_lost(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &kind);

	if (v)
		(*v)++;
}

/* 1 when x != 0, for x < 2^63, without a branch: the empty asm hides x's
 * range from clang, which would otherwise make a comparison of it */
static __always_inline __u64 st_nz(__u64 x)
{
	asm volatile("" : "+r"(x));
	return (0 - x) >> 63;
}

/* log2 bucket without __builtin_clz (clang 14's BPF backend cannot lower it)
 * and without a branch: inlined at every histogram, the six data-dependent
 * branches of a binary search multiplied the verifier's states (a third of
 * the receive program's verification) */
static __always_inline __u32 st_log2_bucket(__u64 v)
{
	__u64 r = 0, s;

	/* halves of 32, 16, 8, 4 and 2 bits: unrolled, no loop is left */
	for (int k = 5; k >= 1; k--) {
		s = st_nz(v >> (1 << k)) << k;
		v >>= s;
		r |= s;
	}
	r |= v >> 1; /* v < 4 here */
	/* at most ST_HIST_BUCKETS - 1: r < 64, so the sign says r > 31 */
	_Static_assert(ST_HIST_BUCKETS == 32, "st_log2_bucket clamps to 31");
	s = (31 - r) >> 63;
	asm volatile("" : "+r"(s));
	return (__u32)((r | (0 - s)) & 31);
}

/*
 * Syscalls in which a thread waits for input: blocked in one of these, a
 * serving thread is idle, not busy. x86-64 numbers (arch/x86/entry/syscalls).
 */
static __always_inline int st_is_input_wait(__u32 nr)
{
#ifdef __TARGET_ARCH_x86
	switch (nr) {
	case 0:	  /* read */
	case 7:	  /* poll */
	case 19:  /* readv */
	case 23:  /* select */
	case 45:  /* recvfrom */
	case 47:  /* recvmsg */
	case 232: /* epoll_wait */
	case 270: /* pselect6 */
	case 271: /* ppoll */
	case 281: /* epoll_pwait */
	case 299: /* recvmmsg */
	case 426: /* io_uring_enter */
	case 441: /* epoll_pwait2 */
		return 1;
	}
#endif
	return 0;
}

/* Syscalls that send data: a traced thread inside one of these that makes
 * data arrive in another traced process's socket feeds that process. */
static __always_inline int st_is_output(__u32 nr)
{
#ifdef __TARGET_ARCH_x86
	switch (nr) {
	case 1:	  /* write */
	case 20:  /* writev */
	case 40:  /* sendfile */
	case 44:  /* sendto */
	case 46:  /* sendmsg */
	case 275: /* splice */
	case 307: /* sendmmsg */
		return 1;
	}
#endif
	return 0;
}

static __always_inline struct st_task *st_task_of(struct task_struct *task)
{
	/* Most tasks on a machine have no BPF task storage at all: a plain
	 * load of the pointer spares them the helper call (and its per-CPU
	 * lock), which is most of what an untraced syscall pays. */
	if (!task->bpf_storage)
		return 0;
	return bpf_task_storage_get(&tasks, task, 0, 0);
}

/* The same on a hook that fires rarely (process events): the pre-check a
 * probe read, not a plain load. On 6.2+ kernels the verifier pays about a
 * millisecond at load for each pointer it sees loaded from a trusted one
 * (it looks the type up by name in the kernel's BTF); the hot hooks keep
 * the plain load, the rare ones spare start-up that time. */
static __always_inline struct st_task *st_task_of_cold(struct task_struct *task)
{
	if (!BPF_CORE_READ(task, bpf_storage))
		return 0;
	return bpf_task_storage_get(&tasks, task, 0, 0);
}

static __always_inline struct st_proc_stat *st_proc_stat_of(__u32 slot)
{
	return bpf_map_lookup_elem(&proc_stats, &slot);
}

/* --sample N: whether this syscall of a thread goes untimed (counted at
 * exit, not timed): *skip is the thread's counter of syscalls left before
 * the next timed one (st_task.sys_skip, or st_oncpu.skip while the thread
 * runs), drawn by st_syscall_account after each timed one. */
static __always_inline int st_sample_skip(__u32 *skip)
{
	if (sample_every <= 1 || !*skip)
		return 0;
	(*skip)--;
	return 1;
}

static __always_inline struct st_oncpu *st_oncpu_here(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&oncpu, &zero);
}

/* A syscall whose state may stay on the CPU: not one a socket program
 * reads the registers of, nor one the busy/idle machine looks at (the input
 * waits and the sends: st_task.sys_nr, sys_arg1, sys_arg2). */
static __always_inline int st_sys_oncpu_ok(__u32 nr)
{
	return !st_is_input_wait(nr) && !st_is_output(nr);
}

/* Give thread t (the one c describes) back the state kept on the CPU. */
static __always_inline void st_oncpu_flush(struct st_oncpu *c, struct st_task *t)
{
	if (c->enter_ns) {
		t->sys_nr = c->nr;
		t->sys_enter_ns = c->enter_ns;
		c->enter_ns = 0;
	}
	t->th_syscalls += c->syscalls;
	c->syscalls = 0;
	t->sys_skip = c->skip;
}

/* c stops describing the thread it did: its state goes back to t when that
 * thread is known to be tid (its storage t), else it is lost, and counted. */
static __always_inline void st_oncpu_leave(struct st_oncpu *c, __u32 tid, struct st_task *t)
{
	if (c->mode != ST_ONCPU_MIRROR)
		return;
	if (t && c->tid == tid)
		st_oncpu_flush(c, t);
	else if (c->enter_ns || c->syscalls)
		st_lost(ST_LOST_ONCPU);
}

/* c now describes thread tid (storage t, or none), whose registers are at
 * regs. */
static __always_inline void st_oncpu_set(struct st_oncpu *c, __u32 tid, struct st_task *t,
					 __u64 regs)
{
	c->regs = regs;
	c->enter_ns = 0;
	c->syscalls = 0;
	c->tid = tid;
	if (!t) {
		c->mode = ST_ONCPU_NONE;
		return;
	}
	c->slot = t->slot;
	c->skip = t->sys_skip;
	c->mode = ST_ONCPU_MIRROR;
}

/* A syscall hook found c naming other registers than regs: a switch
 * sched_switch did not report, or a thread whose registers it could not
 * name. Look the thread up, the slow way, and describe it from now on;
 * returns its storage (0: not traced). */
static __always_inline struct st_task *st_oncpu_identify(struct st_oncpu *c, __u64 regs)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct st_task *t = st_task_of(task);

	st_oncpu_leave(c, task->pid, t);
	st_oncpu_set(c, task->pid, t, regs);
	/* read back from the map: a plain number there, where the verifier
	 * of older kernels (6.1) refuses arithmetic on the pointer regs */
	st_regs_off = *(volatile __u64 *)&c->regs - (__u64)task->stack;
	return t;
}

/* The entry of the CPU task is on (or last was on), read from elsewhere. */
static __always_inline struct st_oncpu *st_oncpu_of(struct task_struct *task)
{
	__u32 zero = 0;

	return bpf_map_lookup_percpu_elem(&oncpu, &zero, task->thread_info.cpu);
}

/* task was just given task storage while it may be running (the attach
 * iterator, exec): the CPU it is on must look it up again. */
static __always_inline void st_oncpu_forget(struct task_struct *task)
{
	struct st_oncpu *c = st_oncpu_of(task);

	if (c && c->mode == ST_ONCPU_NONE)
		c->regs = 0;
}

/* The time of one timed syscall, with weight w (--sample N: w = N). */
static __always_inline void st_syscall_time(struct st_syscall_stat *s, __u64 delta, __u32 w)
{
	__u32 ep = epoch, i = ep & 1;

	s->total_ns += delta * w;
	if (delta > s->max_ns)
		s->max_ns = delta;
	if (s->ep_tag[i] != ep) {
		s->ep_tag[i] = ep;
		s->ep_max_ns[i] = delta;
	} else if (delta > s->ep_max_ns[i]) {
		s->ep_max_ns[i] = delta;
	}
	s->hist[st_log2_bucket(delta)] += w;
}

/* Account one finished syscall nr of process slot, entered at enter (or
 * ST_SYS_UNTIMED), ended at now with return value ret; *skip is the thread's
 * --sample countdown, drawn again after a timed syscall. */
static __always_inline void st_syscall_account(__u32 slot, __u32 nr, __u64 enter, __u64 now,
					       long ret, __u32 *skip)
{
	__u64 delta = now - enter;
	struct st_syscall_block *blk;
	struct st_syscall_stat *s;
	__u32 idx, w = 1;

	if (sample_every > 1) {
		if (enter == ST_SYS_UNTIMED) {
			w = 0; /* counted, not timed */
		} else {
			w = sample_every;
			*skip = bpf_get_prandom_u32() % (2 * sample_every - 1);
		}
	}
	if (nr >= ST_MAX_SYSCALLS) {
		st_lost(ST_LOST_SYSCALL_RANGE);
		return;
	}
	idx = slot * ST_SYSCALL_BLOCKS + nr / ST_SYSCALLS_PER_BLOCK;
	blk = bpf_map_lookup_elem(&sys_stats, &idx);
	s = blk ? &blk->sc[nr % ST_SYSCALLS_PER_BLOCK] : 0;
	if (!s) {
		st_lost(ST_LOST_SYSCALL_RANGE);
		return;
	}
	s->count++;
	if (w)
		st_syscall_time(s, delta, w);

	if (ret < 0 && ret >= -4095) {
		struct st_errno_key k = {.slot = slot, .nr = nr, .err = -ret};
		__u64 one = 1, *c;

		s->errors++;
		c = bpf_map_lookup_elem(&errnos, &k);
		if (c) {
			__sync_fetch_and_add(c, 1);
		} else if (bpf_map_update_elem(&errnos, &k, &one, BPF_NOEXIST)) {
			/* lost the race to another CPU, or the map is full */
			c = bpf_map_lookup_elem(&errnos, &k);
			if (c)
				__sync_fetch_and_add(c, 1);
			else
				st_lost(ST_LOST_ERRNO_FULL);
		}
	}
}

/* Account the finished syscall of thread t, its state in task storage;
 * *skip is its --sample countdown (st_sample_skip). */
static __always_inline void st_syscall_done(struct st_task *t, __u32 *skip, __u64 now, long ret)
{
	__u64 enter = t->sys_enter_ns;

	t->sys_enter_ns = 0;
	t->th_syscalls++;
	st_syscall_account(t->slot, t->sys_nr, enter, now, ret, skip);
}

/* The same for a syscall whose state is on the CPU (c, mirroring the
 * thread). */
static __always_inline void st_oncpu_done(struct st_oncpu *c, __u64 now, long ret)
{
	__u64 enter = c->enter_ns;

	c->enter_ns = 0;
	c->syscalls++;
	st_syscall_account(c->slot, c->nr, enter, now, ret, &c->skip);
}

#endif /* STREAMTRACE_COMMON_BPF_H */
