/*
 * natspub: a small NATS publisher that knows exactly what it sent (Debian ships nats-server but
 * no NATS client). Reads the server's INFO, sends CONNECT (verbose off: no +OK per message), then
 * PUB messages at a set rate (regular or Poisson gaps, one per write) or as a flood (--batch per
 * write), then PING, and waits for the PONG: the server answers in order, so by then it has
 * processed every PUB. Prints one JSON line with its own counts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSEC	     1000000000ull
#define MAX_SIZE     65536
#define MAX_BATCH    1024
#define CONNECT_WAIT 5.0
#define PONG_WAIT_MS 10000

static struct {
	const char *host, *topic;
	int port;
	double rate, duration;
	uint64_t count, seed;
	unsigned size, batch;
	bool flood, poisson;
} cfg = {
	.host = "127.0.0.1",
	.topic = "streamtrace.test",
	.port = 4222,
	.rate = 1000,
	.duration = 3,
	.seed = 1,
	.size = 32,
	.batch = 1,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static const char usage_text[] =
	"natspub: publish NATS messages at a set rate or as a flood, count them\n\n"
	"USAGE: natspub [--host ADDR] [--port N] [--rate R [--poisson] | --flood [--batch K]]\n"
	"               [--duration S] [--count N] [--size BYTES] [--subject S]\n\n"
	"  --host ADDR       server address (default 127.0.0.1)\n"
	"  --port N          server port (default 4222)\n"
	"  --rate R          messages per second, one PUB per write (default 1000)\n"
	"  --poisson         exponential gaps of mean 1/R (default: regular gaps)\n"
	"  --flood           publish as fast as the server takes them\n"
	"  --batch K         flood: PUBs per write (default 1, at most 1024)\n"
	"  --duration S      publishing time in seconds (default 3)\n"
	"  --count N         stop after N messages (default: no limit)\n"
	"  --size BYTES      payload bytes (default 32, at most 65536)\n"
	"  --subject S       subject (default streamtrace.test)\n\n"
	"Output (stdout, one JSON line): PUB messages sent, protocol messages sent (CONNECT +\n"
	"PUBs + the final PING), bytes, span_s and the achieved rate.\n\n"
	"EXAMPLES:\n"
	"  natspub --port 4222 --rate 5000 --duration 3\n"
	"  natspub --port 4222 --flood --batch 16 --duration 3\n\n"
	"Exit status: 0 done; 1 failure; 2 usage error.\n";

static void usage_error(const char *opt, const char *v, const char *why)
{
	fprintf(stderr, "natspub: %s '%s': %s\n", opt, v, why);
	exit(2);
}

static double parse_num(const char *opt, const char *v, double min, double max)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < min || d > max)
		usage_error(opt, v, "out of range or not a number");
	return d;
}

static int write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* one PUB message into p; returns its length */
static size_t build_publish(unsigned char *p)
{
	int n = sprintf((char *)p, "PUB %s %u\r\n", cfg.topic, cfg.size);

	memset(p + n, 'x', cfg.size);
	memcpy(p + n + cfg.size, "\r\n", 2);
	return (size_t)n + cfg.size + 2;
}

static const char connect_msg[] =
	"CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"natspub\",\"lang\":\"c\","
	"\"version\":\"1\",\"protocol\":1}\r\n";

/* read lines until one starts with want; answers the server's PINGs; -1 on -ERR or EOF */
static int await_line(int fd, const char *want, int timeout_ms)
{
	static char buf[8192];
	static size_t have;

	for (;;) {
		char *nl;

		while ((nl = memmem(buf, have, "\r\n", 2))) {
			size_t l = (size_t)(nl - buf) + 2;
			bool match = !strncmp(buf, want, strlen(want));

			if (!strncmp(buf, "-ERR", 4)) {
				fprintf(stderr, "natspub: server said %.*s\n", (int)l - 2, buf);
				return -1;
			}
			if (!strncmp(buf, "PING", 4) && write_all(fd, "PONG\r\n", 6))
				return -1;
			memmove(buf, buf + l, have - l);
			have -= l;
			if (match)
				return 0;
		}
		{
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			ssize_t r;

			if (have == sizeof(buf) || poll(&pfd, 1, timeout_ms) <= 0)
				return -1;
			r = recv(fd, buf + have, sizeof(buf) - have, 0);
			if (r <= 0)
				return -1;
			have += (size_t)r;
		}
	}
}

static int connect_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
	uint64_t until = now_ns() + (uint64_t)(CONNECT_WAIT * NSEC);
	int one = 1, fd;

	if (inet_pton(AF_INET, cfg.host, &sa.sin_addr) != 1)
		usage_error("--host", cfg.host, "not an IPv4 address");
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		if (now_ns() > until)
			return -1;
		usleep(50000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", required_argument, 0, 'H'},
		{"port", required_argument, 0, 'p'},
		{"rate", required_argument, 0, 'r'},
		{"poisson", no_argument, 0, 'P'},
		{"flood", no_argument, 0, 'f'},
		{"batch", required_argument, 0, 'b'},
		{"duration", required_argument, 0, 'd'},
		{"count", required_argument, 0, 'n'},
		{"size", required_argument, 0, 's'},
		{"subject", required_argument, 0, 't'},
		{"seed", required_argument, 0, 'S'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	unsigned char *pkt, *batch;
	size_t plen;
	uint64_t sent = 0, bytes = 0, t0, t_end, t_next, late_max = 0;
	struct drand48_data rng;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "H:p:r:Pfb:d:n:s:t:S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			cfg.host = optarg;
			break;
		case 'p':
			cfg.port = (int)parse_num("--port", optarg, 1, 65535);
			break;
		case 'r':
			cfg.rate = parse_num("--rate", optarg, 1e-3, 1e7);
			break;
		case 'P':
			cfg.poisson = true;
			break;
		case 'f':
			cfg.flood = true;
			break;
		case 'b':
			cfg.batch = (unsigned)parse_num("--batch", optarg, 1, MAX_BATCH);
			break;
		case 'd':
			cfg.duration = parse_num("--duration", optarg, 1e-3, 3600);
			break;
		case 'n':
			cfg.count = (uint64_t)parse_num("--count", optarg, 1, 1e12);
			break;
		case 's':
			cfg.size = (unsigned)parse_num("--size", optarg, 0, MAX_SIZE);
			break;
		case 't':
			if (!*optarg || strlen(optarg) > 1024 || strpbrk(optarg, " \t\r\n"))
				usage_error("--subject", optarg,
					    "want 1-1024 bytes, no white space");
			cfg.topic = optarg;
			break;
		case 'S':
			cfg.seed = (uint64_t)parse_num("--seed", optarg, 0, 1e15);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr,
				"natspub: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "natspub: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	pkt = malloc(MAX_SIZE + 1100);
	batch = malloc((size_t)cfg.batch * (MAX_SIZE + 1100));
	if (!pkt || !batch) {
		fprintf(stderr, "natspub: out of memory\n");
		return 1;
	}
	plen = build_publish(pkt);
	for (unsigned i = 0; i < cfg.batch; i++)
		memcpy(batch + i * plen, pkt, plen);

	fd = connect_server();
	if (fd < 0) {
		fprintf(stderr, "natspub: connect %s:%d: %s\n", cfg.host, cfg.port,
			strerror(errno));
		return 1;
	}
	if (await_line(fd, "INFO ", 5000)) {
		fprintf(stderr, "natspub: no INFO from the server\n");
		return 1;
	}
	if (write_all(fd, connect_msg, sizeof(connect_msg) - 1)) {
		fprintf(stderr, "natspub: send CONNECT: %s\n", strerror(errno));
		return 1;
	}
	srand48_r((long)cfg.seed, &rng);
	t0 = now_ns();
	t_end = t0 + (uint64_t)(cfg.duration * NSEC);
	t_next = t0;
	while (!cfg.count || sent < cfg.count) {
		if (cfg.flood) {
			uint64_t k = cfg.batch;

			if (now_ns() >= t_end)
				break;
			if (cfg.count && cfg.count - sent < k)
				k = cfg.count - sent;
			if (write_all(fd, (char *)batch, k * plen))
				goto fail;
			sent += k;
			bytes += k * plen;
		} else {
			double u, gap;
			struct timespec ts;
			uint64_t t;

			drand48_r(&rng, &u);
			gap = cfg.poisson ? -log(1.0 - u) / cfg.rate : 1.0 / cfg.rate;
			t_next += (uint64_t)(gap * NSEC);
			if (t_next >= t_end)
				break;
			ts.tv_sec = (time_t)(t_next / NSEC);
			ts.tv_nsec = (long)(t_next % NSEC);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			t = now_ns();
			if (t - t_next > late_max)
				late_max = t - t_next;
			if (write_all(fd, (char *)pkt, plen))
				goto fail;
			sent++;
			bytes += plen;
		}
	}
	t_end = now_ns();
	/* the server answers in order: its PONG comes after it has processed every PUB */
	if (write_all(fd, "PING\r\n", 6))
		goto fail;
	if (await_line(fd, "PONG", PONG_WAIT_MS)) {
		fprintf(stderr, "natspub: no PONG after the last message\n");
		return 1;
	}
	close(fd);
	{
		double span = (double)(t_end - t0) / NSEC;

		printf("{\"program\":\"natspub\",\"mode\":\"%s\",\"messages\":%llu,\"protocol_"
		       "msgs\":%llu,"
		       "\"bytes\":%llu,\"message_bytes\":%zu,\"span_s\":%.6f,\"rate\":%.3f,"
		       "\"late_max_s\":%.6f}\n",
		       cfg.flood     ? "flood"
		       : cfg.poisson ? "poisson"
				     : "regular",
		       (unsigned long long)sent, (unsigned long long)(sent + 2),
		       (unsigned long long)(bytes + sizeof(connect_msg) - 1 + 6), plen, span,
		       (double)sent / span, (double)late_max / NSEC);
	}
	return 0;
fail:
	fprintf(stderr, "natspub: send: %s (after %llu messages)\n", strerror(errno),
		(unsigned long long)sent);
	return 1;
}
