// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * getppid_loop: the syscall-overhead micro-benchmark of `make bench`.
 *
 *   getppid_loop [-g GATE] [-w] N
 *
 * Makes N syscall(SYS_getppid) calls in a tight loop and prints on one line
 * of stdout three figures, in nanoseconds per call:
 *
 *   WALL  elapsed CLOCK_MONOTONIC time / N
 *   CPU   CPU time this thread used (CLOCK_THREAD_CPUTIME_ID) / N; leaves out
 *         the time the loop waited for a CPU while other work ran
 *   BEST  the lowest CPU time per call of the 20 equal chunks the loop is
 *         made of; what is left when passing interference is filtered out
 *
 * e.g. "1093.4 1090.2 1071.9". Reading the thread CPU clock is a syscall
 * (clock_gettime), made 21 times in all, outside the getppid calls' count.
 * getppid is about the cheapest real syscall: it takes no locks and touches
 * one cache line, so what is measured is the syscall entry/exit path and
 * whatever tracers hook into it.
 *
 *   -g GATE   before starting, wait until the file GATE exists (polled every
 *             200 µs), so a tracer can attach to this pid first
 *   -w        before starting, wait for SIGUSR1 (blocked from the start, so a
 *             signal sent early is not lost)
 *
 * Nothing but the loop is inside the timed region.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHUNKS 20

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: getppid_loop [-g GATE] [-w] N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *gate = NULL;
	int wait_sig = 0, opt;
	long n, i;
	char *end;
	long chunk, done;
	double t0, t1, c0, c1, ca, cb, best = -1;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while ((opt = getopt(argc, argv, "g:w")) != -1) {
		switch (opt) {
		case 'g':
			gate = optarg;
			break;
		case 'w':
			wait_sig = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	errno = 0;
	n = strtol(argv[optind], &end, 10);
	if (errno || *end || n <= 0)
		usage();

	if (gate) {
		struct timespec d = {0, 200000};

		while (access(gate, F_OK) != 0)
			nanosleep(&d, NULL);
	}
	if (wait_sig) {
		int sig;

		if (sigwait(&set, &sig)) {
			perror("sigwait");
			return 1;
		}
	}
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = now_ns(CLOCK_MONOTONIC);
	chunk = n / CHUNKS > 0 ? n / CHUNKS : 1;
	ca = c0;
	for (done = 0; done < n; done += chunk) {
		long m = n - done < chunk ? n - done : chunk;

		for (i = 0; i < m; i++)
			syscall(SYS_getppid);
		cb = now_ns(CLOCK_THREAD_CPUTIME_ID);
		if (m == chunk && (best < 0 || (cb - ca) / m < best))
			best = (cb - ca) / m;
		ca = cb;
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	c1 = ca;
	if (best < 0)
		best = (c1 - c0) / n;
	printf("%.1f %.1f %.1f\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n, best);
	return 0;
}
