// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hotspin: a request loop whose CPU time is, by construction, almost all in
 * one function, for the on-CPU profile test (tests/integration/profile.sh).
 * Built with frame pointers (-fno-omit-frame-pointer, see the Makefile).
 *
 *   hotspin SECONDS
 *   hotspin -n REQUESTS      (a fixed amount of work: make bench)
 *
 * With HOTSPIN_GATE=FILE in the environment it waits until FILE exists
 * before it starts (so that a tracer can attach first), and cpu_s is the CPU
 * time of the work alone.
 * Each "request" (serve_request) calls hot_function, which spins over
 * arithmetic for about a millisecond, with no syscall and no library call;
 * the loop around it does nothing else but read the clock every 64
 * requests. At the end it prints one JSON line: requests, seconds, cpu_s
 * (the process's CPU time, CLOCK_PROCESS_CPUTIME_ID).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

/* A call out of hot_function, so that it is not a leaf: GCC 12 gives leaf
 * functions no frame even with -fno-omit-frame-pointer (it ignores
 * -mno-omit-leaf-frame-pointer), and the unwinder would then miss the
 * leaf's caller. */
__attribute__((noinline)) static void note_request(unsigned long x)
{
	sink ^= x;
}

__attribute__((noinline)) unsigned long hot_function(unsigned long n)
{
	unsigned long x = n;

	for (unsigned long i = 0; i < 400000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul + (x >> 17);
	note_request(x);
	return x;
}

__attribute__((noinline)) static void serve_request(unsigned long i)
{
	sink += hot_function(i);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec cpu0;
	double secs = 0, t0, t;
	unsigned long n = 0, max = 0;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "-n")) {
		max = strtoul(argv[2], &end, 10);
		if (!max || *end) {
			fprintf(stderr, "usage: hotspin SECONDS | hotspin -n REQUESTS\n");
			return 2;
		}
	} else if (argc != 2 || (secs = strtod(argv[1], &end)) <= 0 || *end) {
		fprintf(stderr, "usage: hotspin SECONDS | hotspin -n REQUESTS\n");
		return 2;
	}
	if (getenv("HOTSPIN_GATE"))
		while (access(getenv("HOTSPIN_GATE"), F_OK))
			usleep(1000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
	t0 = t = now();
	while (max ? n < max : t - t0 < secs) {
		serve_request(n++);
		if (!(n % 64))
			t = now();
	}
	{
		struct timespec cpu;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
		printf("{\"requests\": %lu, \"seconds\": %.3f, \"cpu_s\": %.6f}\n", n, now() - t0,
		       (double)(cpu.tv_sec - cpu0.tv_sec) +
			       (double)(cpu.tv_nsec - cpu0.tv_nsec) / 1e9);
	}
	return 0;
}
