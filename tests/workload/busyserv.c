// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * busyserv: a request/response server whose busy time is known, for the
 * busy/idle tests (tests/integration/busy.sh).
 *
 *   busyserv server --port P [--cpu-us N] [--block-ms M --block futex|sleep|latch]
 *                   [--handoff] [--oneway] [--pidfile F]
 *   busyserv client --port P [--conns K] [--depth Q] [--think-us T] [--oneway]
 *                   --duration S
 *
 * The server is one thread with an epoll loop over non-blocking TCP
 * connections on 127.0.0.1. Each request is 64 bytes; for each it burns N µs
 * of its own thread's CPU (CLOCK_THREAD_CPUTIME_ID, so preemption does not
 * shorten the work), optionally blocks M ms while the request is in service
 * (on a futex with a timeout, in nanosleep, or in epoll_wait on a pipe that
 * never becomes ready: a latch, as PostgreSQL waits for a lock), then writes a
 * 64-byte answer. With --handoff the epoll thread only receives: a worker
 * thread burns, blocks and answers (a thread pool), while the epoll thread
 * goes back to waiting for input.
 * Level-triggered epoll: a connection with more requests queued is served
 * again without blocking. When the last connection closes after at least one
 * request, it prints one JSON line, its truth, and exits:
 *
 *   requests, span_s (first request read -> last answer written),
 *   cpu_s and runq_s (the epoll thread's /proc/self/task/TID/schedstat over
 *   the same span), blocked_s (time in the M ms blocks, measured around
 *   them), in_service_s (each request's receive to the return of the send
 *   that answers it, summed), in_service_lo_s (the same to the start of
 *   that send), and life_cpu_s and life_runq_s (the epoll thread's schedstat
 *   from before the pidfile was written, so before a tracer could attach,
 *   to the end: all that a tracer of the thread can have seen but its exit).
 *
 * --oneway (both sides): the server greets each connection with one 64-byte
 * message and then answers nothing (MQTT QoS 0 publishes); the client reads
 * the greeting and sends a request every T µs.
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
#include <pthread.h>
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

enum { BLK_FUTEX = 0, BLK_SLEEP, BLK_LATCH };

static void block_ms(int ms, int how)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	if (how == BLK_LATCH) {
		static int ep = -1, pfd[2];
		struct epoll_event ev = {.events = EPOLLIN}, out;
		double end = now_s(CLOCK_MONOTONIC) + ms / 1e3, left;

		if (ep < 0) {
			if (pipe2(pfd, O_CLOEXEC))
				die("pipe");
			ep = epoll_create1(EPOLL_CLOEXEC);
			epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
		}
		while ((left = end - now_s(CLOCK_MONOTONIC)) > 0)
			epoll_wait(ep, &out, 1, (int)(left * 1e3) + 1);
	} else if (how == BLK_FUTEX) {
		static uint32_t word; /* nobody wakes it: the timeout does */

		while (syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == 0)
			;
	} else {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
}

/* --handoff: requests queued from the epoll thread to one worker */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd[1024];
	double t_recv[1024];
	unsigned head, tail;
	double cpu_us, blocked, in_service, in_service_lo, t_last;
	int blk_ms, blk_how;
	unsigned long long requests;
} hq = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The work of one request and its answer; returns when it was answered. */
static int oneway;

static void serve_one(int fd, double t_recv)
{
	char buf[REQ] = {0};

	burn(hq.cpu_us);
	if (hq.blk_ms) {
		double b0 = now_s(CLOCK_MONOTONIC);

		block_ms(hq.blk_ms, hq.blk_how);
		hq.blocked += now_s(CLOCK_MONOTONIC) - b0;
	}
	/* the answer is written inside send(): in service until then, at
	 * least to its start and at most to its return (after which a thread
	 * that woke the client may be preempted before it reads the clock) */
	hq.in_service_lo += now_s(CLOCK_MONOTONIC) - t_recv;
	if (!oneway && send(fd, buf, REQ, MSG_NOSIGNAL) != REQ)
		die("send");
	hq.t_last = now_s(CLOCK_MONOTONIC);
	hq.in_service += hq.t_last - t_recv;
	hq.requests++;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hq.mu);
	for (;;) {
		int fd;
		double t;

		while (hq.head == hq.tail)
			pthread_cond_wait(&hq.cv, &hq.mu);
		fd = hq.fd[hq.tail % 1024];
		t = hq.t_recv[hq.tail % 1024];
		pthread_mutex_unlock(&hq.mu);
		serve_one(fd, t);
		pthread_mutex_lock(&hq.mu);
		hq.tail++;
		pthread_cond_broadcast(&hq.cv);
	}
	return NULL;
}

static int server(int port, double cpu_us, int blk_ms, int blk_how, int handoff,
		  const char *pidfile)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct epoll_event ev, evs[64];
	int ls, ep, one = 1, open_conns = 0, served_any = 0;
	double t_first = 0, c0 = 0, r0 = 0, c1, r1, cl0, rl0;
	char buf[REQ];
	pthread_t w;

	hq.cpu_us = cpu_us;
	hq.blk_ms = blk_ms;
	hq.blk_how = blk_how;
	if (handoff && pthread_create(&w, NULL, worker, NULL))
		die("pthread_create");

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
	/* the life truth starts before the pidfile exists, so before any
	 * tracer can attach: it holds all that a tracer of this thread sees */
	if (schedstat(&cl0, &rl0))
		die("schedstat");
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
				if (oneway && send(c, buf, REQ, MSG_NOSIGNAL) != REQ)
					die("send");
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
				double t = now_s(CLOCK_MONOTONIC);

				if (!served_any) {
					served_any = 1;
					t_first = t;
					if (schedstat(&c0, &r0))
						die("schedstat");
				}
				if (!handoff) {
					serve_one(fd, t);
					continue;
				}
				pthread_mutex_lock(&hq.mu);
				while (hq.head - hq.tail >= 1024)
					pthread_cond_wait(&hq.cv, &hq.mu);
				hq.fd[hq.head % 1024] = fd;
				hq.t_recv[hq.head % 1024] = t;
				hq.head++;
				pthread_cond_broadcast(&hq.cv);
				pthread_mutex_unlock(&hq.mu);
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* end of a connection: its requests answered first */
			pthread_mutex_lock(&hq.mu);
			while (hq.head != hq.tail)
				pthread_cond_wait(&hq.cv, &hq.mu);
			pthread_mutex_unlock(&hq.mu);
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
	       "\"cpu_s\":%.9f,\"runq_s\":%.9f,\"blocked_s\":%.9f,\"in_service_s\":%.9f,"
	       "\"in_service_lo_s\":%.9f,\"cpu_us\":%.1f,\"block_ms\":%d,\"handoff\":%d,"
	       "\"life_cpu_s\":%.9f,\"life_runq_s\":%.9f}\n",
	       getpid(), hq.requests, hq.t_last - t_first, c1 - c0, r1 - r0, hq.blocked,
	       hq.in_service, hq.in_service_lo, cpu_us, blk_ms, handoff, c1 - cl0, r1 - rl0);
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
		if (oneway) {
			if (recv(fds[i], buf, REQ, MSG_WAITALL) != REQ)
				die("recv");
			continue;
		}
		for (int q = 0; q < depth; q++)
			if (send(fds[i], buf, REQ, 0) != REQ)
				die("send");
	}
	end = now_s(CLOCK_MONOTONIC) + duration;
	/* round robin over the connections, one answer each turn */
	while (oneway && now_s(CLOCK_MONOTONIC) < end) {
		struct timespec ts = {0, (long)(think_us * 1e3)};

		for (int i = 0; i < conns; i++)
			if (send(fds[i], buf, REQ, 0) != REQ)
				die("send");
		answers++;
		nanosleep(&ts, NULL);
	}
	while (!oneway && now_s(CLOCK_MONOTONIC) < end) {
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
		for (int q = 0; !oneway && q < depth; q++)
			if (recv(fds[i], buf, REQ, MSG_WAITALL) == REQ)
				answers++;
		close(fds[i]);
	}
	printf("{\"role\":\"client\",\"answers\":%llu}\n", answers);
	return 0;
}

int main(int argc, char **argv)
{
	int port = 0, conns = 1, depth = 1, blk_ms = 0, blk_how = BLK_FUTEX, handoff = 0;
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
			if (!v || (strcmp(v, "futex") && strcmp(v, "sleep") && strcmp(v, "latch")))
				usage("--block futex|sleep|latch");
			blk_how = !strcmp(v, "futex")	? BLK_FUTEX
				  : !strcmp(v, "sleep") ? BLK_SLEEP
							: BLK_LATCH;
		} else if (!strcmp(o, "--handoff")) {
			handoff = 1;
			continue;
		} else if (!strcmp(o, "--oneway")) {
			oneway = 1;
			continue;
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
		return server(port, cpu_us, blk_ms, blk_how, handoff, pidfile);
	if (!strcmp(argv[1], "client")) {
		if (!duration)
			usage("--duration is required");
		return client(port, conns, depth, think_us, duration);
	}
	usage("server or client?");
	return 2;
}
