// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * offsvc: a server that blocks for a known time in a known call while each
 * message is in service, for the off-CPU profile test
 * (tests/integration/profile.sh). Built with frame pointers.
 *
 *   offsvc REQUESTS BLOCK_MS [THINK_MS]
 *
 * The server (this process) and a client (a forked child process) share a
 * Unix stream socket pair. The client sends a 64-byte request and waits for
 * the 64-byte answer, REQUESTS times, sleeping THINK_MS (default 0) before
 * each request: the server then waits that long for input, idle time that
 * the off-CPU profile must not count. The server reads a request (a message
 * in service from then on), blocks in block_in_service, a nanosleep of
 * BLOCK_MS made with the syscall instruction itself (so that the frame-
 * pointer unwinder sees block_in_service, with no libc frame in between),
 * then writes the answer. It prints one JSON line: requests, block_ms,
 * blocked_s (the sleeps measured around them, summed) and requested_s
 * (REQUESTS x BLOCK_MS).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile long blocks;

/* A call out of block_in_service, so that it is not a leaf (GCC 12 gives
 * leaves no frame even with -fno-omit-frame-pointer: its caller would be
 * missed). */
__attribute__((noinline)) static void note_block(void)
{
	blocks++;
}

__attribute__((noinline)) static long block_in_service(const struct timespec *ts)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_nanosleep), "D"(ts), "S"(0L)
			 : "rcx", "r11", "memory");
	note_block();
	return ret;
}

static int full(int fd, char *buf, size_t n, int wr)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = wr ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);

		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long reqs, ms, think = 0;
	int sv[2], st;
	char buf[64] = {0}, *e1, *e2;
	double blocked = 0;
	pid_t child;

	if ((argc != 3 && argc != 4) || (reqs = strtol(argv[1], &e1, 10)) <= 0 || *e1 ||
	    (ms = strtol(argv[2], &e2, 10)) <= 0 || *e2 || ms > 10000 ||
	    (argc == 4 && ((think = strtol(argv[3], &e1, 10)) < 0 || *e1 || think > 10000))) {
		fprintf(stderr, "usage: offsvc REQUESTS BLOCK_MS [THINK_MS]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("offsvc: socketpair");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("offsvc: fork");
		return 1;
	}
	if (!child) {
		struct timespec th = {think / 1000, (think % 1000) * 1000000L};

		close(sv[0]);
		for (long i = 0; i < reqs; i++) {
			if (think)
				nanosleep(&th, NULL);
			if (full(sv[1], buf, sizeof(buf), 1) || full(sv[1], buf, sizeof(buf), 0))
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	for (long i = 0; i < reqs; i++) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		double t;

		if (full(sv[0], buf, sizeof(buf), 0)) {
			fprintf(stderr, "offsvc: the client went away\n");
			return 1;
		}
		t = now();
		while (block_in_service(&ts) == -4) /* EINTR: not expected, but finish */
			;
		blocked += now() - t;
		if (full(sv[0], buf, sizeof(buf), 1)) {
			fprintf(stderr, "offsvc: the client went away\n");
			return 1;
		}
	}
	waitpid(child, &st, 0);
	printf("{\"requests\": %ld, \"block_ms\": %ld, \"blocked_s\": %.6f, \"requested_s\": "
	       "%.6f}\n",
	       reqs, ms, blocked, (double)reqs * (double)ms / 1e3);
	return 0;
}
