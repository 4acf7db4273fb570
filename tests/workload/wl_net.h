/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the network workloads' clients share (msgbench, mqttpub, natspub,
 * protostream; openloop's own copies move here after issue 15's --dump):
 * the monotonic clock, number options, writing a whole buffer, connecting
 * with retries, pacing sends at a rate (regular or Poisson gaps), and a
 * publisher's run (mqttpub, natspub). Header-only: each workload is one
 * source file. Define WL_PROG, the program's name for its messages, before
 * including.
 */
#ifndef WL_NET_H
#define WL_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef WL_PROG
#error "define WL_PROG (the program's name) before including wl_net.h"
#endif

#define WL_NSEC 1000000000ull

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WL_NSEC + (uint64_t)ts.tv_nsec;
}

/* Sleep until @t (CLOCK_MONOTONIC ns). */
static inline void wl_sleep_until_ns(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / WL_NSEC), .tv_nsec = (long)(t % WL_NSEC)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A bad option value: "PROG: OPT 'V': WHY" and exit status 2. */
static inline __attribute__((noreturn)) void wl_bad_value(const char *opt, const char *v,
							   const char *why)
{
	fprintf(stderr, WL_PROG ": %s '%s': %s\n", opt, v, why);
	exit(2);
}

/* getopt_long found an option it does not know, or one without its value. */
static inline __attribute__((noreturn)) void wl_bad_option(char **argv)
{
	fprintf(stderr, WL_PROG ": unknown option or missing value '%s' (see --help)\n",
		argv[optind - 1]);
	exit(2);
}

/* After the options: no other argument. */
static inline void wl_no_operands(int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, WL_PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		exit(2);
	}
}

/* The number @v of option @opt, within [min, max] (and whole if @whole). */
static inline double wl_parse_num(const char *opt, const char *v, double min, double max,
				  bool whole)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < min || d > max ||
	    (whole && d != floor(d)))
		wl_bad_value(opt, v,
			     whole ? "out of range or not a whole number"
				   : "out of range or not a number");
	return d;
}

/* All @n bytes to socket @fd (no SIGPIPE); 0, or -1 with errno. */
static inline int wl_write_all(int fd, const void *b, size_t n)
{
	const char *c = b;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A TCP connection to @host (IPv4) port @port, with TCP_NODELAY, tried
 * again every 50 ms for @wait_s seconds while nothing listens (a server
 * started just before); the fd, or -1 with errno. */
static inline int wl_connect(const char *host, int port, double wait_s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint64_t until = wl_now_ns() + (uint64_t)(wait_s * WL_NSEC);
	int one = 1, fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		wl_bad_value("--host", host, "not an IPv4 address");
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if (wl_now_ns() > until)
			return -1;
		usleep(50000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Sends paced at @rate a second from now for @duration_s: regular gaps of
 * 1/rate, or exponential ones of that mean (a Poisson stream) drawn from
 * @seed; how late the sends were woken is kept. */
struct wl_pace {
	struct drand48_data rng;
	double rate;
	bool poisson;
	uint64_t next, end, late_max;
};

static inline void wl_pace_init(struct wl_pace *p, double rate, bool poisson, uint64_t seed,
				double duration_s)
{
	p->rate = rate;
	p->poisson = poisson;
	srand48_r((long)seed, &p->rng);
	p->next = wl_now_ns();
	p->end = p->next + (uint64_t)(duration_s * WL_NSEC);
	p->late_max = 0;
}

/* Sleep until the next send is due: the time woken, or 0 when the next one
 * falls after the end. */
static inline uint64_t wl_pace_wait(struct wl_pace *p)
{
	double u, gap;
	uint64_t t;

	drand48_r(&p->rng, &u);
	gap = p->poisson ? -log(1.0 - u) / p->rate : 1.0 / p->rate;
	p->next += (uint64_t)(gap * WL_NSEC);
	if (p->next >= p->end)
		return 0;
	wl_sleep_until_ns(p->next);
	t = wl_now_ns();
	if (t - p->next > p->late_max)
		p->late_max = t - p->next;
	return t;
}

/* A publisher (mqttpub, natspub): where, how fast and how much, and what
 * it sent. */
struct wl_pub {
	const char *host;
	int port;
	double rate, duration;
	uint64_t count, seed;
	unsigned size, batch;
	bool flood, poisson;
	/* the run */
	uint64_t sent, bytes, t0, t_end, late_max;
};

#define WL_PUB_MAX_SIZE	 65536
#define WL_PUB_MAX_BATCH 1024
/* getopt_long entries and letters of the options every publisher takes */
#define WL_PUB_OPTIONS                                                                        \
	{"host", required_argument, 0, 'H'}, {"port", required_argument, 0, 'p'},             \
		{"rate", required_argument, 0, 'r'}, {"poisson", no_argument, 0, 'P'},        \
		{"flood", no_argument, 0, 'f'}, {"batch", required_argument, 0, 'b'},         \
		{"duration", required_argument, 0, 'd'}, {"count", required_argument, 0, 'n'}, \
		{"size", required_argument, 0, 's'}, {"seed", required_argument, 0, 'S'}
#define WL_PUB_LETTERS "H:p:r:Pfb:d:n:s:S:"

/* Option @c (one of WL_PUB_OPTIONS) into @p: 1, or 0 when it is not one. */
static inline int wl_pub_option(struct wl_pub *p, int c, const char *arg)
{
	switch (c) {
	case 'H':
		p->host = arg;
		break;
	case 'p':
		p->port = (int)wl_parse_num("--port", arg, 1, 65535, false);
		break;
	case 'r':
		p->rate = wl_parse_num("--rate", arg, 1e-3, 1e7, false);
		break;
	case 'P':
		p->poisson = true;
		break;
	case 'f':
		p->flood = true;
		break;
	case 'b':
		p->batch = (unsigned)wl_parse_num("--batch", arg, 1, WL_PUB_MAX_BATCH, false);
		break;
	case 'd':
		p->duration = wl_parse_num("--duration", arg, 1e-3, 3600, false);
		break;
	case 'n':
		p->count = (uint64_t)wl_parse_num("--count", arg, 1, 1e12, false);
		break;
	case 's':
		p->size = (unsigned)wl_parse_num("--size", arg, 0, WL_PUB_MAX_SIZE, false);
		break;
	case 'S':
		p->seed = (uint64_t)wl_parse_num("--seed", arg, 0, 1e15, false);
		break;
	default:
		return 0;
	}
	return 1;
}

/* The publisher's connection (the fd; exit status 1 if none) and its flood
 * buffer, @p->batch copies of the packet @pkt (@plen bytes), into @batch. */
static inline int wl_pub_connect(const struct wl_pub *p, const unsigned char *pkt, size_t plen,
				 double wait_s, unsigned char **batch)
{
	int fd;

	*batch = malloc((size_t)p->batch * plen);
	if (!*batch) {
		fprintf(stderr, WL_PROG ": out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < p->batch; i++)
		memcpy(*batch + i * plen, pkt, plen);
	fd = wl_connect(p->host, p->port, wait_s);
	if (fd < 0) {
		fprintf(stderr, WL_PROG ": connect %s:%d: %s\n", p->host, p->port, strerror(errno));
		exit(1);
	}
	return fd;
}

static inline const char *wl_pub_mode(const struct wl_pub *p)
{
	return p->flood ? "flood" : p->poisson ? "poisson" : "regular";
}

/* Publish the packet @pkt (@plen bytes) on @fd until the duration ends or
 * count packets went: flooded, @p->batch copies per write from @batch, or
 * one per write, paced at the rate. 0, or -1 with errno on a send error. */
static inline int wl_publish(struct wl_pub *p, int fd, const unsigned char *pkt,
			     const unsigned char *batch, size_t plen)
{
	struct wl_pace pace;

	wl_pace_init(&pace, p->rate, p->poisson, p->seed, p->duration);
	p->t0 = pace.next;
	while (!p->count || p->sent < p->count) {
		uint64_t k = 1;

		if (p->flood) {
			k = p->batch;
			if (wl_now_ns() >= pace.end)
				break;
			if (p->count && p->count - p->sent < k)
				k = p->count - p->sent;
			if (wl_write_all(fd, batch, k * plen))
				return -1;
		} else {
			if (!wl_pace_wait(&pace))
				break;
			if (wl_write_all(fd, pkt, plen))
				return -1;
		}
		p->sent += k;
		p->bytes += k * plen;
	}
	p->t_end = wl_now_ns();
	p->late_max = pace.late_max;
	return 0;
}

#endif /* WL_NET_H */
