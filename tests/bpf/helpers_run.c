// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bpf-unit (root): loads tests/bpf/helpers_prog.bpf.c, which runs the
 * kernel side's pure helpers inside the kernel, and checks each against
 * what its inputs imply:
 *   - st_log2_bucket: 0, 1, 2^k - 1, 2^k, 2^k + 1 for every k, 2^64 - 1 and
 *     random values, against floor(log2 v) computed here bit by bit and the
 *     bucket bounds the user side reads them with (user/hist.c);
 *   - the busy/idle/dispatch state machine (bpf/busy.bpf.h): scenarios of
 *     timed events (request and answer, a block on disk while busy, a
 *     hand-off to another thread, a sink that never answers), whose busy,
 *     idle, dispatch, service and blocked times follow from the times given,
 *     and add up to the thread's life as a server;
 *   - st_syscall_done with --sample N (N = 1, 4, 7): counts and errors
 *     exact, times weighted by N, the gaps between timed syscalls drawn
 *     uniformly from 0..2N-2, the estimate of the total within 3%, both with
 *     the thread's state in task storage and on the CPU (st_sample_skip on
 *     the entry's countdown, st_oncpu_done: the syscall hooks' common path);
 *     and the interval
 *     maxima double-buffered by epoch parity;
 *   - st_oncpu_leave: the CPU's entry gives its state back to the thread it
 *     describes, or counts it lost when another thread left the CPU.
 * The process is pinned to one CPU, so the per-CPU maps are read on it.
 * Exit 0 when every check holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/streamtrace.h"
#include "tests/bpf/helpers_prog.h"
#include "user/hist.h"
#include "helpers_prog.skel.h"

static struct helpers_prog *skel;
static int cpu, ncpus, checks, failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fputs("bpf-unit helpers: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define EQ(got, want, what)                                                              \
	check((got) == (want), "%s: %llu, want %llu", (what), (unsigned long long)(got), \
	      (unsigned long long)(want))

static void run(const struct bpf_program *prog, void *ctx, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = len);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) || opts.retval) {
		fprintf(stderr, "bpf-unit helpers: %s: %s, retval %d\n", bpf_program__name(prog),
			strerror(errno), (int)opts.retval);
		exit(2);
	}
}

/* This CPU's value of a per-CPU map's entry @key (into @out, @size bytes). */
static void percpu(const struct bpf_map *m, __u32 key, void *out, size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7;
	char *all = calloc((size_t)ncpus, stride);

	if (!all || bpf_map_lookup_elem(bpf_map__fd(m), &key, all)) {
		fprintf(stderr, "bpf-unit helpers: reading %s: %s\n", bpf_map__name(m),
			strerror(errno));
		exit(2);
	}
	memcpy(out, all + (size_t)cpu * stride, size);
	free(all);
}

/* Threads, slot 0's process, its per-CPU counters and its syscall rows
 * back to zero, its errno counts gone. */
static void reset(void)
{
	size_t stride = (sizeof(struct st_syscall_block) + 7) & ~(size_t)7;
	char *zeros = calloc((size_t)ncpus, stride);
	struct st_errno_key ek = {.slot = 0, .nr = HP_NR, .err = 11};
	struct st_proc proc = {0};
	__u32 key = 0;

	_Static_assert(sizeof(struct st_syscall_block) >= sizeof(struct st_proc_stat),
		       "one buffer of zeros for both per-CPU maps");
	if (!zeros || bpf_map_update_elem(bpf_map__fd(skel->maps.procs), &key, &proc, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.proc_stats), &key, zeros, 0) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.sys_stats), &key, zeros, 0)) {
		fprintf(stderr, "bpf-unit helpers: reset: %s\n", strerror(errno));
		exit(2);
	}
	free(zeros);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.errnos), &ek);
	memset(&skel->bss->hp, 0, sizeof(skel->bss->hp));
}

static int load(unsigned sample_every)
{
	skel = helpers_prog__open();
	if (!skel)
		return -1;
	skel->rodata->sample_every = sample_every;
	/* slot 0's first block is all sys_run touches */
	bpf_map__set_max_entries(skel->maps.sys_stats, ST_SYSCALL_BLOCKS);
	if (helpers_prog__load(skel)) {
		helpers_prog__destroy(skel);
		skel = NULL;
		return -1;
	}
	return 0;
}

/* floor(log2 v), bit by bit, in the kernel's 32 buckets (0 for v = 0) */
static unsigned want_bucket(__u64 v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r < ST_HIST_BUCKETS ? r : ST_HIST_BUCKETS - 1;
}

static void test_log2(void)
{
	static struct hp_log2_args a;
	unsigned n = 0;

	a.v[n++] = 0;
	a.v[n++] = 1;
	for (unsigned k = 1; k < 64; k++) {
		a.v[n++] = (1ull << k) - 1;
		a.v[n++] = 1ull << k;
		a.v[n++] = (1ull << k) + 1;
	}
	a.v[n++] = ~0ull;
	srand(7);
	while (n < HP_LOG2_N)
		a.v[n++] = ((__u64)rand() << 33 ^ (__u64)rand() << 11 ^ (__u64)rand()) >>
			   (rand() % 64);
	run(skel->progs.log2_run, &a, sizeof(a));
	for (unsigned i = 0; i < HP_LOG2_N; i++) {
		__u64 v = a.v[i];
		unsigned b = skel->bss->hp.bucket[i];

		check(b == want_bucket(v), "log2 bucket of %llu: %u, want %u",
		      (unsigned long long)v, b, want_bucket(v));
		/* the bucket holds v as the user side reads it */
		if (v && b < ST_HIST_BUCKETS - 1)
			check(hist_bucket_lo_ns(b) <= (double)v && (double)v < hist_bucket_hi_ns(b),
			      "%llu outside bucket %u's bounds [%g, %g)", (unsigned long long)v, b,
			      hist_bucket_lo_ns(b), hist_bucket_hi_ns(b));
	}
}

/* One event of thread @th at @now (busy_step's context). */
static void ev(unsigned op, unsigned th, __u64 now, unsigned nr, __u64 first_arr)
{
	struct hp_event e = {.op = op, .th = th, .nr = nr, .now = now, .first_arr = first_arr};

	run(skel->progs.busy_step, &e, sizeof(e));
}

/* What a scenario left: thread @th's totals and the process's counters. */
struct busy_got {
	__u64 busy, idle, periods;
	struct st_proc_stat ps;
};

static void busy_got(unsigned th, struct busy_got *g)
{
	g->busy = skel->bss->hp.t[th].th_busy_ns;
	g->idle = skel->bss->hp.t[th].th_idle_ns;
	g->periods = skel->bss->hp.t[th].th_idle_periods;
	percpu(skel->maps.proc_stats, 0, &g->ps, sizeof(g->ps));
}

/* x86-64 syscall numbers, as busy.bpf.h classifies them */
enum { NR_READ = 0, NR_PREAD64 = 17, NR_RECVFROM = 45, NR_FUTEX = 202, NR_EPOLL_WAIT = 232 };

#ifdef __x86_64__
#define KIND(k) (k)
#else
#define KIND(k) ST_BLK_OTHER /* the numbers are x86-64's: anything else blocks as "other" */
#endif

/* A request and its answer, idle in epoll_wait, a wake-up, dispatch, the
 * next request: every period is set by the times below. */
static void test_busy_request(__u64 first_arr2, __u64 want_disp, __u64 want_take,
			      __u64 want_asleep)
{
	struct busy_got g;

	reset();
	ev(HP_TAKE, 0, 1000, 0, 900); /* busy from here, a message in service */
	ev(HP_ANSWER, 0, 1500, 0, 0); /* service 500 */
	ev(HP_SYS_ENTER, 0, 1600, NR_EPOLL_WAIT, 0);
	ev(HP_BLOCK, 0, 1700, 0, 0); /* idle: busy 1000..1700 */
	ev(HP_WAKE, 0, 3700, 0, 0);  /* idle 2000, dispatch from here */
	ev(HP_RUN, 0, 3750, 0, 0);   /* dispatch 50, busy again */
	ev(HP_SYS_EXIT, 0, 3760, 0, 0);
	ev(HP_TAKE, 0, 3800, 0, first_arr2);
	ev(HP_ANSWER, 0, 4000, 0, 0); /* service 200 */
	ev(HP_EXIT, 0, 4100, 0, 0);   /* busy 3750..4100 */
	busy_got(0, &g);
	EQ(g.busy, 700 + 350, "request: busy");
	EQ(g.idle, 2000, "request: idle");
	EQ(g.periods, 1, "request: idle periods");
	EQ(g.ps.idle_ns, 2000, "request: process idle");
	EQ(g.ps.svc_ns, 500 + 200, "request: service time");
	EQ(g.ps.svc_count, 2, "request: services");
	EQ(g.ps.bz.disp_ns, want_disp, "request: dispatch");
	EQ(g.ps.bz.disp_count, 1, "request: dispatches");
	EQ(g.ps.bz.disp_take_ns, want_take, "request: dispatch's start to take");
	EQ(g.ps.bz.disp_asleep_ns, want_asleep, "request: dispatch before the wake-up");
	EQ(g.ps.bz.exit_busy_ns, 1050, "request: exited busy");
	EQ(g.ps.bz.exit_idle_ns, 2000, "request: exited idle");
	/* a server's life from its first take: busy, idle or in dispatch */
	EQ(g.busy + g.idle + 50, 4100 - 1000, "request: busy + idle + dispatch");
}

/*
 * A switch-in the kernel did not report (some kernels hide switches away
 * from some threads, so the one after them comes in unseen), repaired at the
 * thread's first syscall (st_sched_in): a preempted thread's run-queue wait
 * ends there; an idle one's sleep ends there too, with no dispatch seen (the
 * wake-up was not seen either), so the message's whole delay from its
 * arrival is dispatch before the wake-up as far as the tracer can tell.
 */
static void test_unseen_switch_in(void)
{
	struct busy_got g;

	reset();
	ev(HP_TAKE, 0, 1000, 0, 900);
	ev(HP_PREEMPT, 0, 1200, 0, 0);	 /* preempted in service */
	ev(HP_UNSEEN_IN, 0, 1500, 0, 0); /* back at its next syscall */
	ev(HP_ANSWER, 0, 1600, 0, 0);
	ev(HP_SYS_ENTER, 0, 1650, NR_EPOLL_WAIT, 0);
	ev(HP_BLOCK, 0, 1700, 0, 0);	 /* idle from here */
	ev(HP_UNSEEN_IN, 0, 3750, 0, 0); /* woken and run, neither seen */
	ev(HP_SYS_EXIT, 0, 3760, 0, 0);
	ev(HP_TAKE, 0, 3800, 0, 3650); /* arrived while it slept */
	ev(HP_ANSWER, 0, 4000, 0, 0);
	ev(HP_EXIT, 0, 4100, 0, 0);
	busy_got(0, &g);
	EQ(g.ps.runq_ns, 300, "unseen switch-in: the preempted wait 1200..1500");
	EQ(g.ps.runq_count, 1, "unseen switch-in: one run-queue wait");
	EQ(g.ps.offcpu_ns, 2050, "unseen switch-in: asleep 1700..3750");
	EQ(g.idle, 2050, "unseen switch-in: idle until it was found running");
	EQ(g.busy, 700 + 350, "unseen switch-in: busy 1000..1700 and 3750..4100");
	EQ(g.ps.bz.disp_ns, 100, "unseen switch-in: dispatch from the arrival, 3650..3750");
	EQ(g.ps.bz.disp_asleep_ns, 100, "unseen switch-in: all of it before the (unseen) wake-up");
	EQ(g.busy + g.idle, 4100 - 1000, "unseen switch-in: busy + idle, no dispatch awake");
}

/* Blocked on a disk read while busy: busy all along, the block shown as I/O. */
static void test_busy_io(void)
{
	struct busy_got g;

	reset();
	ev(HP_TAKE, 0, 1000, 0, 0);
	ev(HP_SYS_ENTER, 0, 1100, NR_PREAD64, 0);
	ev(HP_BLOCK, 0, 1200, 0, 0);
	ev(HP_WAKE, 0, 1800, 0, 0); /* blocked 600 */
	ev(HP_RUN, 0, 1850, 0, 0);
	ev(HP_SYS_EXIT, 0, 1860, 0, 0);
	ev(HP_ANSWER, 0, 2000, 0, 0); /* service 1000 */
	ev(HP_EXIT, 0, 2100, 0, 0);
	busy_got(0, &g);
	EQ(g.busy, 2100 - 1000, "io: busy");
	EQ(g.idle, 0, "io: idle");
	EQ(g.ps.svc_ns, 1000, "io: service time");
	EQ(g.ps.bz.blk_ns[KIND(ST_BLK_IO)], 600, "io: blocked on I/O");
	EQ(g.ps.bz.blk_count[KIND(ST_BLK_IO)], 1, "io: blocks");
	EQ(g.ps.bz.disp_count, 0, "io: dispatches");
}

/* Thread 0 takes a message and parks in a futex; thread 1 answers it at
 * 1500: thread 0 was blocked busy until then, idle after. */
static void test_busy_handoff(__u64 first_arr, __u64 want_disp, __u64 want_asleep)
{
	struct busy_got g, g1;

	reset();
	ev(HP_TAKE, 0, 1000, 0, 0);
	ev(HP_SYS_ENTER, 0, 1100, NR_FUTEX, 0);
	ev(HP_BLOCK, 0, 1200, 0, 0);  /* busy: its message is in service */
	ev(HP_ANSWER, 1, 1500, 0, 0); /* the hand-off's answer */
	ev(HP_WAKE, 0, 2000, 0, 0);   /* blocked 1200..1500, idle 1500..2000 */
	ev(HP_RUN, 0, 2100, 0, 0);    /* dispatch 100 */
	ev(HP_SYS_EXIT, 0, 2110, 0, 0);
	ev(HP_TAKE, 0, 2150, 0, first_arr);
	ev(HP_EXIT, 0, 2200, 0, 0);
	busy_got(0, &g);
	busy_got(1, &g1);
	EQ(g.busy, 500 + 100, "hand-off: busy");
	EQ(g.idle, 500, "hand-off: idle");
	EQ(g.periods, 1, "hand-off: idle periods");
	EQ(g.ps.idle_ns, 500, "hand-off: process idle");
	EQ(g.ps.bz.blk_ns[KIND(ST_BLK_FUTEX)], 300, "hand-off: blocked in the futex");
	EQ(g.ps.bz.svc_ended, 1, "hand-off: services ended");
	EQ(g.busy + g.idle + 100, 2200 - 1000, "hand-off: busy + idle + dispatch");
	/* the next message: dispatch from its arrival if it came while the
	 * thread was idle (from the answer on), else from the wake-up */
	EQ(g.ps.bz.disp_ns, want_disp, "hand-off: the next message's dispatch");
	EQ(g.ps.bz.disp_asleep_ns, want_asleep, "hand-off: its part before the wake-up");
	EQ(g1.busy + g1.idle, 0, "hand-off: the answering thread never served");
}

/* A sink (the process never sends): the service ends when the thread
 * comes back for input. */
static void test_busy_sink(void)
{
	struct busy_got g;

	reset();
	ev(HP_TAKE, 0, 1000, 0, 0);
	ev(HP_SYS_ENTER, 0, 1300, NR_RECVFROM, 0); /* served: 300 */
	ev(HP_BLOCK, 0, 1400, 0, 0);		   /* idle: busy 1000..1400 */
	ev(HP_WAKE, 0, 2400, 0, 0);
	ev(HP_RUN, 0, 2450, 0, 0);
	ev(HP_SYS_EXIT, 0, 2460, 0, 0);
	ev(HP_EXIT, 0, 2500, 0, 0);
	busy_got(0, &g);
	EQ(g.ps.svc_ns, 300, "sink: service time");
	EQ(g.ps.svc_count, 1, "sink: services");
	EQ(g.busy, 400 + 50, "sink: busy");
	EQ(g.idle, 1000, "sink: idle");
	EQ(g.busy + g.idle + 50, 2500 - 1000, "sink: busy + idle + dispatch");
}

static void stat_of(struct st_syscall_stat *s)
{
	static struct st_syscall_block blk;

	percpu(skel->maps.sys_stats, 0, &blk, sizeof(blk));
	*s = blk.sc[HP_NR];
}

static int via_oncpu; /* sys(): the syscalls' state on the CPU (hp.c) */

static void sys(__u32 n, __u32 err_every, __u64 delta_ns)
{
	struct hp_sys_args a = {
		.n = n, .err_every = err_every, .delta_ns = delta_ns, .oncpu = via_oncpu};

	run(skel->progs.sys_run, &a, sizeof(a));
}

/* The interval maxima (sample_every 1): one per epoch parity, reset when
 * the epoch they hold is not the current one. */
static void test_epochs(void)
{
	static const struct {
		__u32 epoch;
		__u64 delta;
	} runs[] = {{0, 5000}, {0, 9000}, {0, 3000}, {1, 4000}, {1, 2000}, {2, 7000}};
	struct st_syscall_stat s;
	__u64 hist[ST_HIST_BUCKETS] = {0};

	reset();
	for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		skel->bss->epoch = runs[i].epoch;
		sys(1, 0, runs[i].delta);
		hist[want_bucket(runs[i].delta)]++;
	}
	skel->bss->epoch = 0;
	stat_of(&s);
	EQ(s.count, 6, "epochs: count");
	EQ(s.total_ns, 30000, "epochs: total");
	EQ(s.max_ns, 9000, "epochs: max");
	EQ(s.ep_tag[0], 2, "epochs: even buffer's epoch");
	EQ(s.ep_max_ns[0], 7000, "epochs: epoch 2's max (epoch 0's 9000 gone)");
	EQ(s.ep_tag[1], 1, "epochs: odd buffer's epoch");
	EQ(s.ep_max_ns[1], 4000, "epochs: epoch 1's max");
	for (unsigned b = 0; b < ST_HIST_BUCKETS; b++)
		EQ(s.hist[b], hist[b], "epochs: histogram bucket");
}

/* --sample N: @k syscalls of 1 µs, every third failing. */
static void test_sample(unsigned n_every, __u32 k)
{
	const __u64 delta = 1000;
	struct st_syscall_stat s;
	struct st_errno_key key = {.slot = 0, .nr = HP_NR, .err = 11};
	__u64 errs = 0, timed, want_timed = k / n_every, seen = 0;
	char what[64];

	reset();
	sys(k, 3, delta);
	stat_of(&s);
	timed = skel->bss->hp.sys_timed;
	snprintf(what, sizeof(what), "sample %u%s: ", n_every, via_oncpu ? " on the CPU" : "");
	EQ(skel->bss->hp.sys_runs, k, "sample: syscalls run");
	/* counts and errors exact whatever N */
	EQ(s.count, k, "sample: count");
	EQ(s.errors, (k + 2) / 3, "sample: errors");
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.errnos), &key, &errs))
		errs = 0;
	EQ(errs, (k + 2) / 3, "sample: EAGAIN in the errno map");
	/* each timed syscall weighs N: exact, given the harness's own count */
	EQ(s.hist[want_bucket(delta)], n_every * timed, "sample: histogram weight");
	EQ(s.total_ns, n_every * timed * delta, "sample: weighted total");
	/* one in N timed: the number of timed ones has a standard deviation
	 * of sqrt(k var / N^3), var = ((2N-1)^2 - 1) / 12 the gap's; 0.3% of
	 * k/N at N 4, 0.4% at 7 for k 100000: 3% is more than 7 of them */
	check(fabs((double)timed - (double)want_timed) <= 0.03 * (double)want_timed,
	      "%stimed %llu, want %llu +- 3%%", what, (unsigned long long)timed,
	      (unsigned long long)want_timed);
	check(fabs((double)s.total_ns - (double)k * delta) <= 0.03 * (double)k * delta,
	      "%sestimated total %llu ns, true %llu +- 3%%", what, (unsigned long long)s.total_ns,
	      (unsigned long long)k * delta);
	/* the gaps: uniform over 0..2N-2, nothing beyond; each value's count
	 * (timed / (2N-1) expected, a binomial's deviation ~1.6% of it at N
	 * 4) within 25% */
	for (unsigned g = 0; g < HP_GAPS; g++) {
		__u64 c = skel->bss->hp.gap_hist[g];
		double want = (double)(timed - 1) / (2 * n_every - 1);

		seen += c;
		if (n_every == 1)
			EQ(c, g == 0 ? timed - 1 : 0, "sample 1: gaps");
		else if (g > 2 * n_every - 2)
			EQ(c, 0, "sample: gap beyond 2N-2");
		else
			check(fabs((double)c - want) <= 0.25 * want,
			      "%sgap %u seen %llu times, want %.0f +- 25%%", what, g,
			      (unsigned long long)c, want);
	}
	EQ(seen, timed - 1, "sample: gaps counted");
}

static __u64 lost_oncpu(void)
{
	__u64 v;

	percpu(skel->maps.lost, ST_LOST_ONCPU, &v, sizeof(v));
	return v;
}

/* The CPU's entry stops describing thread 0: its syscall in progress, its
 * syscalls not yet in th_syscalls and its countdown go back to the thread
 * when the leaving thread is that one; when it is another (a switch away
 * the kernel did not report), they are lost, and counted. */
static void test_oncpu_leave(void)
{
	struct hp_leave_args a = {
		.nr = 7, .skip = 5, .tid = HP_TID0, .enter_ns = 123456, .syscalls = 40};
	struct st_task *t = &skel->bss->hp.t[0];
	__u64 lost0;

	reset();
	t->th_syscalls = 2;
	lost0 = lost_oncpu();
	run(skel->progs.oncpu_leave, &a, sizeof(a));
	EQ(t->sys_nr, 7, "oncpu leave: the syscall in progress");
	EQ(t->sys_enter_ns, 123456, "oncpu leave: since");
	EQ(t->th_syscalls, 42, "oncpu leave: per-thread syscalls");
	EQ(t->sys_skip, 5, "oncpu leave: --sample countdown");
	EQ(skel->bss->hp.c.enter_ns, 0, "oncpu leave: the entry holds no syscall");
	EQ(skel->bss->hp.c.syscalls, 0, "oncpu leave: nor syscalls");
	EQ(lost_oncpu() - lost0, 0, "oncpu leave: nothing lost");

	reset();
	a.tid = HP_TID0 + 1;
	run(skel->progs.oncpu_leave, &a, sizeof(a));
	EQ(t->sys_enter_ns, 0, "oncpu leave, another thread: not given to it");
	EQ(t->th_syscalls, 0, "oncpu leave, another thread: its total untouched");
	EQ(lost_oncpu() - lost0, 1, "oncpu leave, another thread: counted lost");

	reset();
	a.enter_ns = 0;
	a.syscalls = 0;
	run(skel->progs.oncpu_leave, &a, sizeof(a));
	EQ(lost_oncpu() - lost0, 1, "oncpu leave, another thread, nothing held: nothing lost");
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	static const unsigned every[] = {1, 4, 7};
	cpu_set_t set;

	libbpf_set_print(libbpf_quiet);
	cpu = sched_getcpu();
	ncpus = libbpf_num_possible_cpus();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu < 0 || ncpus <= 0 || sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "helpers_run: cannot pin to a CPU: %s\n", strerror(errno));
		return 2;
	}
	for (unsigned i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		if (load(every[i])) {
			fprintf(stderr, "helpers_run: loading the helpers' program failed (root? "
					"BTF?)\n");
			return 2;
		}
		if (every[i] == 1) {
			test_log2();
			/* woken by the message it took, which arrived while it
			 * slept (idle from 1700): dispatch from the arrival, 3650,
			 * to running, 3750; 3650..3700 before the wake-up */
			test_busy_request(3650, 100, 150, 50);
			/* it took one that came after its wake-up (another thread
			 * took the one that woke it): dispatch from that arrival */
			test_busy_request(3720, 30, 80, 0);
			/* the oldest it took came before the thread slept (not
			 * what woke it), or is not known: from the wake-up */
			test_busy_request(1650, 50, 100, 0);
			test_busy_request(0, 50, 100, 0);
			test_unseen_switch_in();
			test_busy_io();
			test_busy_handoff(1800, 300, 200); /* came while idle */
			/* came while the thread was busy (in the futex with its
			 * message in service): it queued, dispatch from the wake */
			test_busy_handoff(1400, 100, 0);
			test_busy_sink();
			test_epochs();
			test_oncpu_leave();
		}
		/* the same statistics with the state in task storage and on
		 * the CPU */
		for (via_oncpu = 0; via_oncpu < 2; via_oncpu++)
			test_sample(every[i], every[i] == 1 ? 10000 : 100000);
		via_oncpu = 0;
		helpers_prog__destroy(skel);
	}
	printf("bpf-unit: helpers (log2 bucket, busy/idle/dispatch, --sample 1/4/7 in task "
	       "storage and on the CPU, epoch maxima, the CPU entry's hand-back): %d checks, %s\n",
	       checks, failures ? "FAILURES" : "all hold");
	return failures ? 1 : 0;
}
