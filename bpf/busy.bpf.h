/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Busy, idle and dispatch of serving threads (threads that have taken a
 * message), from what the scheduler saw. docs/queueing.md, "Busy and idle",
 * states the rule; in short, a serving thread is in one of three states:
 *
 *   busy      running, on the run queue after a preemption, or blocked off
 *             the CPU on anything while it is not idle (a lock, disk, a latch
 *             in epoll_wait while a message is in service);
 *   idle      blocked off the CPU (sched_switch with a sleeping prev_state)
 *             in a wait for input (st_is_input_wait) or parked in a futex,
 *             with no message in service, until the wake-up;
 *   dispatch  woken from idle, on the run queue until it runs: neither idle
 *             nor busy. queue.dispatch_s, a message's, runs from its
 *             arrival at the idle thread (the thread still asleep until the
 *             wake-up reaches the scheduler: idle then) to the thread running.
 *
 * A message is in service from the receive that takes it until the process
 * answers: any send by the process (on that connection or downstream; a send
 * by another thread answers too, so that work handed between threads counts
 * for the process as a whole), or, for a process that has never sent, the
 * thread's next entry into a wait for input.
 *
 * Each program calls one helper here; the helpers keep their state in the
 * bz_* fields of st_task, the per-CPU st_busy_stat and st_proc.answer_gen.
 * Closed periods are added up here; open ones are read by the busy iterator
 * (busy.bpf.c) at each interval boundary, so a thread idle or busy across a
 * boundary is split there and never counted twice.
 */
#ifndef STREAMTRACE_BUSY_BPF_H
#define STREAMTRACE_BUSY_BPF_H

#include "common.bpf.h"

/* What a thread blocked in: by the syscall it is in (x86-64 numbers). */
static __always_inline __u32 st_blk_kind_of(const struct st_task *t)
{
	__u32 nr = t->sys_nr;

	if (!t->sys_enter_ns)
		return ST_BLK_OTHER; /* a page fault or a preemption point outside a syscall */
	if (st_is_input_wait(nr))
		return ST_BLK_LATCH;
#ifdef __TARGET_ARCH_x86
	switch (nr) {
	case 202: /* futex */
	case 449: /* futex_waitv */
		return ST_BLK_FUTEX;
	case 1:	  /* write */
	case 2:	  /* open */
	case 17:  /* pread64 */
	case 18:  /* pwrite64 */
	case 20:  /* writev */
	case 40:  /* sendfile */
	case 44:  /* sendto */
	case 46:  /* sendmsg */
	case 74:  /* fsync */
	case 75:  /* fdatasync */
	case 76:  /* truncate */
	case 77:  /* ftruncate */
	case 208: /* io_getevents */
	case 257: /* openat */
	case 275: /* splice */
	case 277: /* sync_file_range */
	case 295: /* preadv */
	case 296: /* pwritev */
	case 307: /* sendmmsg */
	case 327: /* preadv2 */
	case 328: /* pwritev2 */
		return ST_BLK_IO;
	}
#endif
	return ST_BLK_OTHER;
}

/* Messages taken since svc_since whose answer time is not known (another
 * thread answered them): left out of the time to the answer. */
static __always_inline void st_busy_ans_drop(struct st_task *t)
{
	t->ans_n = 0;
	t->ans_sum = 0;
}

/* The message in service (if any) was answered: one service sample. */
static __always_inline void st_busy_svc_end(struct st_task *t, struct st_proc_stat *ps, __u64 now)
{
	__u64 d = now - t->svc_since, g = d >> ST_SQ_SHIFT;

	t->svc_since = 0;
	/* every message taken since svc_since waited in the process from its
	 * take to now: sum_i (now - take_i) = n·d - sum_i (take_i - svc_since) */
	if (ps && t->ans_n && t->ans_n * d >= t->ans_sum) {
		ps->bz.ans_ns += t->ans_n * d - t->ans_sum;
		ps->bz.ans_msgs += t->ans_n;
	}
	st_busy_ans_drop(t);
	if (!ps)
		return;
	ps->svc_ns += d;
	ps->svc_sq += g * g;
	ps->svc_count++;
	ps->svc_hist[st_log2_bucket(d)]++;
	ps->bz.svc_ended++;
}

/* Is a message in service on t? A send by any thread of the process since
 * the message was taken answered it (work handed between threads). */
static __always_inline int st_busy_in_service(struct st_task *t, struct st_proc_stat *ps)
{
	struct st_proc *proc;

	if (!t->svc_since)
		return 0;
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	if (proc && proc->answer_gen != t->bz_svc_gen) {
		t->svc_since = 0;
		st_busy_ans_drop(t);
		if (ps)
			ps->bz.svc_ended++;
		return 0;
	}
	return 1;
}

/*
 * A connection on which the process answers almost nothing (fewer sends than
 * one per ST_ONEWAY_RATIO receives, after ST_ONEWAY_MIN receives) carries
 * one-way messages (MQTT QoS 0 publishes, a COPY, an acks=0 producer): each
 * is served when the thread comes back for input, as in a sink.
 */
#define ST_ONEWAY_MIN	16
#define ST_ONEWAY_RATIO 16

/* A receive returned on t (on socket state s, if any): it takes a message.
 * first_arr: when the oldest
 * arrival it took came (the socket's ring, read before the receive popped
 * it), 0 when unknown. */
static __always_inline void st_busy_take(struct st_task *t, struct st_proc_stat *ps,
					 const struct st_sock *s, __u64 first_arr, __u64 now)
{
	struct st_proc *proc;

	if (!t->bz_since && !t->idle_since && !t->bz_disp_since)
		t->bz_since = now; /* a new serving thread: busy from its first take */
	if (t->bz_woke_at) {
		/* the first message taken after a wake-up from idle: its delay
		 * from its arrival until the thread ran is dispatch. Arrived
		 * while the thread slept: from the arrival (the wake-up reaches
		 * the scheduler later: an idle CPU's wake, an interrupt; that
		 * part is also the thread's idle time, disp_asleep_ns). Arrived
		 * after the wake-up (another thread took the one that woke this
		 * one, on a shared queue): from that arrival. Unknown (the
		 * socket's ring was empty): from the wake-up. The oldest
		 * message, not the newest: a single thread that finds a second
		 * message come in while it waited to run was still woken by the
		 * first. */
		__u64 woke = t->bz_woke_at, start = woke, run = woke + t->bz_disp_ns, d;

		if (first_arr > woke && first_arr < now) {
			start = first_arr;
		} else if (first_arr && first_arr < woke && first_arr >= t->bz_idle_from) {
			start = first_arr;
			ps->bz.disp_asleep_ns += woke - first_arr;
		}
		d = run > start ? run - start : 0;
		ps->bz.disp_ns += d;
		ps->bz.disp_sq += (d >> ST_SQ_SHIFT) * (d >> ST_SQ_SHIFT);
		ps->bz.disp_count++;
		ps->bz.disp_take_ns += now - start;
		ps->bz.disp_hist[st_log2_bucket(d)]++;
		t->bz_woke_at = 0;
	}
	if (s)
		t->bz_oneway =
			s->rx_ops >= ST_ONEWAY_MIN && s->tx_ops * ST_ONEWAY_RATIO < s->rx_ops;
	if (st_busy_in_service(t, ps))
		return; /* pipelined: service runs from the first unanswered take */
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	t->svc_since = now;
	t->bz_svc_gen = proc ? proc->answer_gen : 0;
}

/* The messages the process has taken so far, on this CPU (ps is per CPU:
 * only a difference within one program run means anything). */
static __always_inline __u64 st_busy_msgs(const struct st_proc_stat *ps)
{
	__u64 n = 0;

	for (int i = 0; i < ST_UNITS; i++)
		n += ps->msg_rx[i];
	return n;
}

/* n messages were taken by the receive that st_busy_take just saw: each
 * waits in the process (behind the others taken with it, and for its own
 * service) until the answer. */
static __always_inline void st_busy_took(struct st_task *t, __u64 n, __u64 now)
{
	if (!n || !t->svc_since || now < t->svc_since)
		return;
	t->ans_n += n;
	t->ans_sum += n * (now - t->svc_since);
}

/* A send returned on t: the process answers what it has in service. */
static __always_inline void st_busy_answer(struct st_task *t, struct st_proc_stat *ps, __u64 now)
{
	struct st_proc *proc = bpf_map_lookup_elem(&procs, &t->slot);

	if (proc) {
		__u64 g = __sync_fetch_and_add(&proc->answer_gen, 1) + 1;

		proc->answer_t[g & (ST_ANSWER_RING - 1)] = now;
	}
	if (t->svc_since)
		st_busy_svc_end(t, ps, now);
	else
		t->bz_svc_gen = 0;
}

/* t enters syscall nr: a process that never sends (a sink), or a message
 * from a one-way connection, has been served once the thread comes back for
 * input. */
static __always_inline void st_busy_sys_enter(struct st_task *t, __u32 nr, __u64 now)
{
	struct st_proc *proc;

	if (!t->svc_since || !st_is_input_wait(nr))
		return;
	if (t->bz_oneway) {
		st_busy_svc_end(t, st_proc_stat_of(t->slot), now);
		return;
	}
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	if (proc && !proc->answer_gen)
		st_busy_svc_end(t, st_proc_stat_of(t->slot), now);
}

/* t leaves the CPU asleep (not preempted, not runnable). */
static __always_inline void st_busy_block(struct st_task *t, struct st_proc_stat *ps, __u64 now)
{
	__u32 kind;

	if (!t->rx_seen || !t->bz_since)
		return;
	kind = st_blk_kind_of(t);
	if ((kind == ST_BLK_LATCH || kind == ST_BLK_FUTEX) && !st_busy_in_service(t, ps)) {
		__u64 since = t->bz_since;

		/* busy -> idle. The open period is cleared before the closed
		 * total grows, so that the iterator, reading concurrently, may
		 * see a little less but never the same time twice. */
		t->bz_since = 0;
		barrier();
		t->th_busy_ns += now - since;
		t->idle_since = now;
		t->th_idle_periods++;
		t->bz_woke_at = 0;
		return;
	}
	/* still busy, blocked: on what, shown by kind */
	t->bz_blk_since = now;
	t->bz_blk_kind = kind;
	t->bz_blk_svc = t->svc_since != 0;
}

/*
 * A thread that blocked in a wait (for input, or parked) with a message in
 * service wakes up: if another thread answered the message meanwhile (a
 * hand-off to a pool worker), the thread was idle from that answer on. The
 * answer's time is in the process's ring of recent sends; after more sends
 * than the ring holds, the whole wait counts as idle.
 */
static __always_inline int st_busy_wake_answered(struct st_task *t, struct st_proc_stat *ps,
						 __u64 now)
{
	struct st_proc *proc;
	__u64 ta, since, gen;

	if (!t->bz_blk_svc || (t->bz_blk_kind != ST_BLK_LATCH && t->bz_blk_kind != ST_BLK_FUTEX))
		return 0;
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	if (!proc)
		return 0;
	gen = proc->answer_gen;
	if (gen == t->bz_svc_gen)
		return 0; /* not answered yet: busy all along */
	ta = t->bz_blk_since;
	if (gen - t->bz_svc_gen <= ST_ANSWER_RING) {
		__u64 a = proc->answer_t[(t->bz_svc_gen + 1) & (ST_ANSWER_RING - 1)];

		if (a > ta && a < now)
			ta = a;
	}
	if (ps) {
		ps->bz.blk_ns[t->bz_blk_kind & (ST_BLK__MAX - 1)] += ta - t->bz_blk_since;
		ps->bz.blk_count[t->bz_blk_kind & (ST_BLK__MAX - 1)]++;
		ps->idle_ns += now - ta;
		ps->bz.svc_ended++;
	}
	since = t->bz_since;
	t->bz_since = 0;
	barrier();
	if (since && ta > since)
		t->th_busy_ns += ta - since;
	t->th_idle_ns += now - ta;
	t->th_idle_periods++;
	t->svc_since = 0;
	st_busy_ans_drop(t);
	t->bz_blk_since = 0;
	t->bz_blk_svc = 0;
	t->bz_woke_at = 0;
	t->bz_idle_from = ta; /* idle from the answer: dispatch may count from there */
	t->bz_disp_since = now;
	return 1;
}

/* t is woken (it was off the CPU asleep). */
static __always_inline void st_busy_wake(struct st_task *t, struct st_proc_stat *ps, __u64 now)
{
	if (t->idle_since) {
		__u64 d = now - t->idle_since;

		t->bz_idle_from = t->idle_since;
		t->idle_since = 0;
		barrier();
		t->th_idle_ns += d;
		if (ps)
			ps->idle_ns += d;
		t->bz_disp_since = now;
	} else if (t->bz_blk_since && !st_busy_wake_answered(t, ps, now)) {
		__u32 k = t->bz_blk_kind;

		if (ps && k < ST_BLK__MAX) {
			ps->bz.blk_ns[k] += now - t->bz_blk_since;
			ps->bz.blk_count[k]++;
		}
		t->bz_blk_since = 0;
		t->bz_blk_svc = 0;
	}
}

/* t runs: a thread woken from idle ends its dispatch and is busy. */
static __always_inline void st_busy_run(struct st_task *t, __u64 now)
{
	if (!t->bz_disp_since)
		return;
	t->bz_woke_at = t->bz_disp_since;
	t->bz_disp_ns = now - t->bz_disp_since;
	t->bz_disp_since = 0;
	t->bz_since = now;
}

/* t exits: its totals move to the process's exited-threads counters. */
static __always_inline void st_busy_exit(struct st_task *t, __u64 now)
{
	struct st_proc_stat *ps;

	if (!t->rx_seen || t->bz_exited)
		return;
	t->bz_exited = 1; /* exited: the iterator skips it from now on */
	if (t->bz_since)
		t->th_busy_ns += now - t->bz_since;
	if (t->idle_since)
		t->th_idle_ns += now - t->idle_since;
	t->bz_since = t->idle_since = t->bz_disp_since = 0;
	ps = st_proc_stat_of(t->slot);
	if (ps) {
		ps->bz.exit_busy_ns += t->th_busy_ns;
		ps->bz.exit_idle_ns += t->th_idle_ns;
	}
}

#endif /* STREAMTRACE_BUSY_BPF_H */
