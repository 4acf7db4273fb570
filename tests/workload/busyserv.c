// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * busyserv: a request/response server whose busy time is known, for the
 * busy/idle tests (tests/integration/busy.sh).
 *
 *   busyserv server --port P [--cpu-us N] [--block-ms M --block futex|sleep]
 *                   [--pidfile F]
 *   busyserv client --port P [--conns K] [--depth Q] [--think-us T] --duration S
 *
 * The server is one thread with an epoll loop over non-blocking TCP
 * connections on 127.0.0.1. Each request is 64 bytes; for each it burns N µs
 * of its own thread's CPU (CLOCK_THREAD_CPUTIME_ID, so preemption does not
 * shorten the work), optionally blocks M ms (on a futex with a timeout, or in
 * nanosleep) while the request is in service, then writes a 64-byte answer.
 * Level-triggered epoll: a connection with more requests queued is served
 * again without blocking. When the last connection closes after at least one
 * request, it prints one JSON line, its truth, and exits:
 *
 *   requests, span_s (first request read -> last answer written),
 *   cpu_s and runq_s (the thread's /proc/self/task/TID/schedstat over the
 *   same span), blocked_s (time in the M ms blocks, measured around them).
 *
 * The client keeps Q requests in flight on each of K connections and, after
 * each answer, waits T µs before sending the next (closed loop); Q > 1 keeps
 * a backlog at the server, so it never waits for input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REQ 64

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "busyserv: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "busyserv: %s (see the comment at the top of busyserv.c)\n", why);
	exit(2);
}

static long num(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v ? v : "", &end, 10);
	if (!v || errno || *end || n < lo || n > hi) {
		fprintf(stderr, "busyserv: %s: '%s' is not a number in %ld..%ld\n", opt, v ? v : "",
			lo, hi);
		exit(2);
	}
	return n;
}

static int schedstat(double *cpu_s, double *runq_s)
{
	char path[64], buf[128];
	unsigned long long run, wait;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%llu %llu", &run, &wait) != 2) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*cpu_s = (double)run / 1e9;
	*runq_s = (double)wait / 1e9;
	return 0;
}

static void burn(double us)
{
	double end = now_s(CLOCK_THREAD_CPUTIME_ID) + us / 1e6;

	while (now_s(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void block_ms(int ms, int futex)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	if (futex) {
		static uint32_t word; /* nobody wakes it: the timeout does */

		while (syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == 0)
			;
	} else {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
}

static int server(int port, double cpu_us, int blk_ms, int blk_futex, const char *pidfile)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct epoll_event ev, evs[64];
	int ls, ep, one = 1, open_conns = 0, served_any = 0;
	double t_first = 0, t_last = 0, c0 = 0, r0 = 0, c1, r1, blocked = 0;
	unsigned long long requests = 0;
	char buf[REQ];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 64))
		die("bind/listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	if (pidfile) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) || rename(tmp, pidfile))
			die("pidfile");
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t k;

			if (fd == ls) {
				int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				open_conns++;
				continue;
			}
			/* one request per read; the next one, if queued, on the
			 * next round of the (level-triggered) loop */
			k = recv(fd, buf, REQ, MSG_WAITALL);
			if (k == REQ) {
				if (!served_any) {
					served_any = 1;
					t_first = now_s(CLOCK_MONOTONIC);
					if (schedstat(&c0, &r0))
						die("schedstat");
				}
				burn(cpu_us);
				if (blk_ms) {
					double b0 = now_s(CLOCK_MONOTONIC);

					block_ms(blk_ms, blk_futex);
					blocked += now_s(CLOCK_MONOTONIC) - b0;
				}
				if (send(fd, buf, REQ, MSG_NOSIGNAL) != REQ)
					die("send");
				requests++;
				t_last = now_s(CLOCK_MONOTONIC);
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			if (--open_conns == 0 && served_any)
				goto done;
		}
	}
done:
	if (schedstat(&c1, &r1))
		die("schedstat");
	printf("{\"role\":\"server\",\"pid\":%d,\"requests\":%llu,\"span_s\":%.9f,"
	       "\"cpu_s\":%.9f,\"runq_s\":%.9f,\"blocked_s\":%.9f,\"cpu_us\":%.1f,"
	       "\"block_ms\":%d}\n",
	       getpid(), requests, t_last - t_first, c1 - c0, r1 - r0, blocked, cpu_us, blk_ms);
	return 0;
}

static int client(int port, int conns, int depth, double think_us, double duration)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fds[64], one = 1;
	char buf[REQ] = {0};
	double end;
	unsigned long long answers = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (int q = 0; q < depth; q++)
			if (send(fds[i], buf, REQ, 0) != REQ)
				die("send");
	}
	end = now_s(CLOCK_MONOTONIC) + duration;
	/* round robin over the connections, one answer each turn */
	while (now_s(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < conns; i++) {
			if (recv(fds[i], buf, REQ, MSG_WAITALL) != REQ)
				die("recv");
			answers++;
			if (think_us > 0) {
				struct timespec ts = {
					(time_t)(think_us / 1e6),
					(long)((think_us - (double)(time_t)(think_us / 1e6) * 1e6) *
					       1e3)};

				nanosleep(&ts, NULL);
			}
			if (send(fds[i], buf, REQ, 0) != REQ)
				die("send");
		}
	}
	/* drain what is in flight, then close */
	for (int i = 0; i < conns; i++) {
		for (int q = 0; q < depth; q++)
			if (recv(fds[i], buf, REQ, MSG_WAITALL) == REQ)
				answers++;
		close(fds[i]);
	}
	printf("{\"role\":\"client\",\"answers\":%llu}\n", answers);
	return 0;
}

int main(int argc, char **argv)
{
	int port = 0, conns = 1, depth = 1, blk_ms = 0, blk_futex = 1;
	double cpu_us = 0, think_us = 0, duration = 0;
	const char *pidfile = NULL;

	if (argc < 2)
		usage("server or client?");
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--port"))
			port = (int)num(o, v, 1, 65535);
		else if (!strcmp(o, "--cpu-us"))
			cpu_us = (double)num(o, v, 0, 10000000);
		else if (!strcmp(o, "--block-ms"))
			blk_ms = (int)num(o, v, 0, 100000);
		else if (!strcmp(o, "--block")) {
			if (!v || (strcmp(v, "futex") && strcmp(v, "sleep")))
				usage("--block futex|sleep");
			blk_futex = !strcmp(v, "futex");
		} else if (!strcmp(o, "--pidfile"))
			pidfile = v;
		else if (!strcmp(o, "--conns"))
			conns = (int)num(o, v, 1, 64);
		else if (!strcmp(o, "--depth"))
			depth = (int)num(o, v, 1, 1000);
		else if (!strcmp(o, "--think-us"))
			think_us = (double)num(o, v, 0, 10000000);
		else if (!strcmp(o, "--duration"))
			duration = (double)num(o, v, 1, 3600);
		else
			usage("unknown option");
		i++;
	}
	if (!port)
		usage("--port is required");
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "server"))
		return server(port, cpu_us, blk_ms, blk_futex, pidfile);
	if (!strcmp(argv[1], "client")) {
		if (!duration)
			usage("--duration is required");
		return client(port, conns, depth, think_us, duration);
	}
	usage("server or client?");
	return 2;
}
