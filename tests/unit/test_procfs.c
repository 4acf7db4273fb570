/*
 * Unit tests for user/procfs.c: procfs_parse_stat on hand-written
 * /proc/PID/stat texts (proc(5) field numbers: minflt 10, majflt 12,
 * num_threads 20, starttime 22), including comms with spaces and parentheses
 * (the fields are counted from the last ')'), negative priority and nice, and
 * truncated or garbled input, each placed at the very end of a heap buffer so
 * that ASan catches a read past the terminating NUL; procfs_read on this very
 * process after naming it and starting threads; procfs_find_comm on a child
 * with a unique name; procfs_cgroup_pids on a cgroup.procs file written here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "procfs.h"

/* Fields 3.. of a stat line with distinct values so a wrong index shows:
 * state R, ppid 1, pgrp 2, session 3, tty 34816, tpgid 5, flags 4194304,
 * minflt 111, cminflt 222, majflt 333, cmajflt 444, utime 5, stime 6, cutime 7,
 * cstime 8, priority -2, nice -5, num_threads 7, itrealvalue 0,
 * starttime 98765, then vsize and rss. */
#define STAT_TAIL                                                                     \
	"R 1 2 3 34816 5 4194304 111 222 333 444 5 6 7 8 -2 -5 7 0 98765 1234567 89 " \
	"18446744073709551615\n"

/* Parse a copy of text that ends exactly at the end of its allocation. */
static int parse_exact(const char *text, struct procfs_stat *st)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, n);
	ret = procfs_parse_stat(copy, st);
	free(copy);
	return ret;
}

static void assert_tail_fields(const struct procfs_stat *st)
{
	assert_int_equal(st->state, 'R');
	assert_int_equal(st->minflt, 111);
	assert_int_equal(st->majflt, 333);
	assert_int_equal(st->threads, 7);
	assert_int_equal(st->starttime, 98765);
	/* the parser has no statm: resident size unknown */
	assert_int_equal(st->rss_bytes, 0);
}

static void test_parse_plain(void **state)
{
	struct procfs_stat st;

	(void)state;
	assert_int_equal(parse_exact("1234 (cat) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "cat");
	assert_tail_fields(&st);
}

static void test_parse_comm_with_parens_and_spaces(void **state)
{
	struct procfs_stat st;

	(void)state;
	assert_int_equal(parse_exact("1 (a) b) c) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "a) b) c");
	assert_tail_fields(&st);

	assert_int_equal(parse_exact("77 (x (y) z) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "x (y) z");
	assert_tail_fields(&st);

	/* a comm that is just ")" or "(" or " " */
	assert_int_equal(parse_exact("5 ()) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, ")");
	assert_int_equal(parse_exact("5 (() " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "(");
	assert_int_equal(parse_exact("5 ( ) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, " ");
	/* empty comm */
	assert_int_equal(parse_exact("5 () " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "");
	assert_tail_fields(&st);
	/* a comm that mimics the fields that follow it */
	assert_int_equal(parse_exact("9 (S 1 2) 3) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "S 1 2) 3");
	assert_tail_fields(&st);
}

static void test_parse_long_comm_truncated(void **state)
{
	struct procfs_stat st;

	(void)state;
	/* the kernel keeps 15 characters; a longer one is cut to fit comm[16] */
	assert_int_equal(parse_exact("5 (0123456789abcdefXYZ) " STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "0123456789abcde");
	assert_tail_fields(&st);
}

/* Exactly 19 fields after the state (up to starttime) is enough. */
static void test_parse_minimal_length(void **state)
{
	struct procfs_stat st;

	(void)state;
	assert_int_equal(parse_exact("2 (k) S 0 0 0 0 -1 0 10 0 20 0 0 0 0 0 20 0 3 0 555", &st),
			 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.minflt, 10);
	assert_int_equal(st.majflt, 20);
	assert_int_equal(st.threads, 3);
	assert_int_equal(st.starttime, 555);
}

static void test_parse_truncated(void **state)
{
	static const char *const bad[] = {
		"",
		"1234",
		"1234 (cat",
		"1234 cat) R 1",
		"1234 (cat)",
		"1234 (cat) ",
		"1234 (cat) R",
		"1234 (cat) R ",
		"1234 (cat) R 1 2 3",
		/* 18 fields after the state: starttime missing */
		"2 (k) S 0 0 0 0 -1 0 10 0 20 0 0 0 0 0 20 0 3 0",
		"2 (k) S 0 0 0 0 -1 0 10 0 20 0 0 0 0 0 20 0 3 0 ",
		/* ')' not followed by a space */
		"1234 (cat)R 1 2 3 34816 5 4194304 111 222 333 444 5 6 7 8 -2 -5 7 0 98765",
		/* a field that is not a number */
		"1234 (cat) R 1 2 3 34816 5 4194304 x 222 333 444 5 6 7 8 -2 -5 7 0 98765",
	};
	struct procfs_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_exact(bad[i], &st) != -1)
			fail_msg("accepted truncated/garbled stat <%s>", bad[i]);
}

static void *park(void *arg)
{
	pthread_barrier_t *b = arg;

	pthread_barrier_wait(b); /* started */
	pthread_barrier_wait(b); /* may end */
	return NULL;
}

/* Our own stat: the name we set, running, two more threads once we start two,
 * and a resident size that is a whole number of pages. */
static void test_read_self(void **state)
{
	struct procfs_stat before, during, st;
	pthread_barrier_t b;
	pthread_t t[2];
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_int_equal(prctl(PR_SET_NAME, "st-procfs-test", 0, 0, 0), 0);
	assert_int_equal(procfs_read(getpid(), &before), 0);
	assert_string_equal(before.comm, "st-procfs-test");
	/* reading its own stat, the process is on a CPU */
	assert_int_equal(before.state, 'R');
	assert_true(before.threads >= 1);
	assert_true(before.rss_bytes > 0);
	assert_int_equal(before.rss_bytes % (uint64_t)page, 0);
	assert_true(before.starttime > 0);

	assert_int_equal(pthread_barrier_init(&b, NULL, 3), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, park, &b), 0);
	pthread_barrier_wait(&b);
	assert_int_equal(procfs_read(getpid(), &during), 0);
	pthread_barrier_wait(&b);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&b);
	assert_int_equal(during.threads, before.threads + 2);
	/* the same process: same start time */
	assert_int_equal(during.starttime, before.starttime);

	/* first touches of fresh anonymous pages are minor faults, one per page
	 * (no huge pages, so none is folded into another): minflt grows by at
	 * least 64, more if anything else faulted meanwhile */
	{
		size_t len = 64 * (size_t)page;
		char *m =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_true(m != MAP_FAILED);
		madvise(m, len, MADV_NOHUGEPAGE);
		assert_int_equal(procfs_read(getpid(), &before), 0);
		for (size_t i = 0; i < len; i += (size_t)page)
			((volatile char *)m)[i] = 1;
		assert_int_equal(procfs_read(getpid(), &st), 0);
		assert_true(st.minflt >= before.minflt + 64);
		munmap(m, len);
	}
}

static void test_read_gone(void **state)
{
	struct procfs_stat st;
	pid_t child;
	int status;

	(void)state;
	/* above any pid_max (at most 2^22) */
	assert_int_equal(procfs_read(0x7fffffff, &st), -1);
	/* a reaped child is gone */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(procfs_read(child, &st), -1);
}

/* A child names itself uniquely; find_comm finds it and only it. */
static void test_find_comm(void **state)
{
	char name[16];
	pid_t child, found[8];
	int pipefd[2];
	char c;
	size_t n;

	(void)state;
	snprintf(name, sizeof(name), "stf%d", (int)getpid() % 1000000);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(pipefd[0]);
		prctl(PR_SET_NAME, name, 0, 0, 0);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	n = procfs_find_comm(name, found, 8);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(n, 1);
	assert_int_equal(found[0], child);
	/* no such process */
	assert_int_equal(procfs_find_comm("st-no-such-comm", found, 8), 0);
}

static void test_cgroup_pids(void **state)
{
	char dir[] = "/tmp/st-test-cgroup-XXXXXX", path[64], sub[64], subprocs[96];
	pid_t pids[8];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	/* 0 (a process in another pid namespace) is skipped */
	fputs("12\n34\n0\n56\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(procfs_cgroup_pids(dir, pids, 8), 3);
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[1], 34);
	assert_int_equal(pids[2], 56);
	/* room for 2: 2 written, never more, and all 3 counted */
	pids[2] = -1;
	assert_int_equal(procfs_cgroup_pids(dir, pids, 2), 3);
	assert_int_equal(pids[2], -1);
	/* a child cgroup's processes are the parent's too */
	snprintf(sub, sizeof(sub), "%s/child", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(subprocs, sizeof(subprocs), "%s/cgroup.procs", sub);
	f = fopen(subprocs, "w");
	assert_non_null(f);
	fputs("78\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(procfs_cgroup_pids(dir, pids, 8), 4);
	assert_int_equal(pids[3], 78);
	unlink(subprocs);
	rmdir(sub);
	unlink(path);
	/* no cgroup.procs: -1 with errno */
	errno = 0;
	assert_int_equal(procfs_cgroup_pids(dir, pids, 8), -1);
	assert_int_equal(errno, ENOENT);
	rmdir(dir);
}

/* Tgid from /proc/ID/status text: a thread id maps to its process. */
/* /proc/stat: the steal of the "cpu" line and the cpuN lines, the rest
 * (possibly cut off) ignored */
static void test_parse_host(void **state)
{
	struct procfs_host h;
	const char *two = "cpu  2354797 6189 1083124 4478174 104954 0 63105 44736 0 0\n"
			  "cpu0 1137374 2597 560706 2292024 24357 0 32065 21903 0 0\n"
			  "cpu1 1217422 3592 522417 2186149 80596 0 31039 22833 0 0\n"
			  "intr 123 4 5\nctxt 99\ncpu9 is not a cpu line here\n";

	(void)state;
	assert_int_equal(procfs_parse_host(two, &h), 0);
	assert_int_equal(h.cpus, 2);
	assert_int_equal(h.steal_ticks, 44736);
	/* cut off in the middle of the CPU lines: the total is still there */
	assert_int_equal(procfs_parse_host("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3", &h), 0);
	assert_int_equal(h.cpus, 1);
	assert_int_equal(h.steal_ticks, 8);
	/* a kernel from before steal (seven values), and garbage */
	assert_int_equal(procfs_parse_host("cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n", &h), -1);
	assert_int_equal(procfs_parse_host("", &h), -1);
	assert_int_equal(procfs_parse_host("intr 1\n", &h), -1);
	/* this machine's own */
	assert_int_equal(procfs_read_host(&h), 0);
	assert_true(h.cpus >= 1);
}

static void test_parse_tgid(void **state)
{
	(void)state;
	assert_int_equal(procfs_parse_tgid("Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\n"
					   "Tgid:\t2436\nNgid:\t0\nPid:\t2478\n"),
			 2436);
	assert_int_equal(procfs_parse_tgid("Name:\tx\nPid:\t5\n"), -1);
	assert_int_equal(procfs_parse_tgid("Name:\tx\nTgid:\t\n"), -1);
	assert_int_equal(procfs_parse_tgid("Name:\tx\nTgid:\t-3\n"), -1);
	assert_int_equal(procfs_parse_tgid(""), -1);
	assert_int_equal(procfs_tgid(getpid()), getpid());
	assert_int_equal(procfs_tgid(-1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tgid),
		cmocka_unit_test(test_parse_host),
		cmocka_unit_test(test_parse_plain),
		cmocka_unit_test(test_parse_comm_with_parens_and_spaces),
		cmocka_unit_test(test_parse_long_comm_truncated),
		cmocka_unit_test(test_parse_minimal_length),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_gone),
		cmocka_unit_test(test_find_comm),
		cmocka_unit_test(test_cgroup_pids),
		/* last: an over-read aborts the whole binary under ASan, so every
		 * other test reports first */
		cmocka_unit_test(test_parse_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
