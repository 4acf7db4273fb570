// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A loopback TCP request/response pair for the socket part of `make bench`:
 * a client sends a 64-byte request and waits for the 64-byte response, N
 * times, to a server process that echoes. Prints the mean round trip in ns
 * (wall clock), and the two processes' pids on stderr so that tracers can
 * attach before the timed loop: with -g GATE both wait until GATE exists.
 * usage: pingpong [-g GATE] N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void wait_gate(const char *gate)
{
	while (gate && access(gate, F_OK))
		usleep(200);
}

static int full(int fd, char *buf, int send_it)
{
	size_t done = 0;

	while (done < MSG) {
		ssize_t n = send_it ? send(fd, buf + done, MSG - done, 0)
				    : recv(fd, buf + done, MSG - done, 0);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	const char *gate = NULL;
	char buf[MSG] = {0};
	struct timespec t0, t1, c0, c1;
	struct rusage ru;
	long n;
	int lfd, one = 1, opt;
	pid_t pid;

	while ((opt = getopt(argc, argv, "g:")) != -1) {
		if (opt != 'g') {
			fprintf(stderr, "usage: pingpong [-g GATE] N\n");
			return 2;
		}
		gate = optarg;
	}
	if (optind >= argc || (n = atol(argv[optind])) <= 0) {
		fprintf(stderr, "usage: pingpong [-g GATE] N\n");
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen))
		die("listen");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) { /* the server: echo until the client closes */
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			die("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (!full(c, buf, 0) && !full(c, buf, 1))
			;
		_exit(0);
	}
	close(lfd);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fprintf(stderr, "pingpong: client %d server %d\n", getpid(), pid);
	wait_gate(gate);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (long i = 0; i < n; i++)
		if (full(fd, buf, 1) || full(fd, buf, 0))
			die("round trip");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	close(fd);
	waitpid(pid, NULL, 0);
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%.1f %.1f\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		       (double)n,
	       ((double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec) +
		((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
		((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3) /
		       (double)n);
	return 0;
}
