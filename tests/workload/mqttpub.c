/*
 * mqttpub: a small MQTT 3.1.1 publisher that knows exactly what it sent. CONNECT, wait for
 * CONNACK, then QoS 0 PUBLISH packets at a set rate (regular or Poisson gaps, one packet per
 * write) or as a flood (--batch packets per write, as fast as the broker takes them), then
 * DISCONNECT, and wait for the broker to close the connection: by then it has read every packet.
 * Prints one JSON line with its own counts, the truth a broker's counters are checked against.
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

#define NSEC	      1000000000ull
#define MAX_SIZE      65536
#define MAX_BATCH     1024
#define CONNECT_WAIT  5.0
#define CLOSE_WAIT_MS 10000

static struct {
	const char *host, *topic, *client_id;
	int port;
	double rate, duration;
	uint64_t count, seed;
	unsigned size, batch;
	bool flood, poisson;
} cfg = {
	.host = "127.0.0.1",
	.topic = "streamtrace/test",
	.client_id = "mqttpub",
	.port = 1883,
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
	"mqttpub: publish MQTT 3.1.1 QoS 0 messages at a set rate or as a flood, count them\n\n"
	"USAGE: mqttpub [--host ADDR] [--port N] [--rate R [--poisson] | --flood [--batch K]]\n"
	"               [--duration S] [--count N] [--size BYTES] [--topic T] [--client-id ID]\n\n"
	"  --host ADDR       broker address (default 127.0.0.1)\n"
	"  --port N          broker port (default 1883)\n"
	"  --rate R          publishes per second, one per write (default 1000)\n"
	"  --poisson         exponential gaps of mean 1/R (default: regular gaps)\n"
	"  --flood           publish as fast as the broker takes them\n"
	"  --batch K         flood: publishes per write (default 1, at most 1024)\n"
	"  --duration S      publishing time in seconds (default 3)\n"
	"  --count N         stop after N publishes (default: no limit)\n"
	"  --size BYTES      payload bytes (default 32, at most 65536)\n"
	"  --topic T         topic (default streamtrace/test)\n"
	"  --client-id ID    MQTT client id (default mqttpub)\n\n"
	"Output (stdout, one JSON line): publishes sent, packets sent (CONNECT + publishes +\n"
	"DISCONNECT), bytes, span_s and the achieved rate.\n\n"
	"EXAMPLES:\n"
	"  mqttpub --port 1883 --rate 3000 --duration 3\n"
	"  mqttpub --port 1883 --flood --batch 16 --duration 3\n\n"
	"Exit status: 0 done; 1 failure; 2 usage error.\n";

static void usage_error(const char *opt, const char *v, const char *why)
{
	fprintf(stderr, "mqttpub: %s '%s': %s\n", opt, v, why);
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

static size_t put_remaining_length(unsigned char *p, size_t len)
{
	size_t n = 0;

	do {
		unsigned char b = len % 128;

		len /= 128;
		p[n++] = (unsigned char)(b | (len ? 0x80 : 0));
	} while (len);
	return n;
}

/* one QoS 0 PUBLISH packet into p; returns its length */
static size_t build_publish(unsigned char *p)
{
	size_t tl = strlen(cfg.topic), n = 0;

	p[n++] = 0x30;
	n += put_remaining_length(p + n, 2 + tl + cfg.size);
	p[n++] = (unsigned char)(tl >> 8);
	p[n++] = (unsigned char)tl;
	memcpy(p + n, cfg.topic, tl);
	n += tl;
	memset(p + n, 'x', cfg.size);
	return n + cfg.size;
}

static size_t build_connect(unsigned char *p)
{
	size_t il = strlen(cfg.client_id), n = 0;

	p[n++] = 0x10;
	n += put_remaining_length(p + n, 10 + 2 + il);
	memcpy(p + n, "\0\4MQTT\4\2\0\74", 10); /* protocol, level 4, clean session, keepalive 60 */
	n += 10;
	p[n++] = (unsigned char)(il >> 8);
	p[n++] = (unsigned char)il;
	memcpy(p + n, cfg.client_id, il);
	return n + il;
}

static int connect_broker(void)
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
		{"topic", required_argument, 0, 't'},
		{"client-id", required_argument, 0, 'i'},
		{"seed", required_argument, 0, 'S'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	unsigned char hdr[64], ack[4];
	unsigned char *pkt, *batch;
	size_t plen, blen, got = 0;
	uint64_t sent = 0, bytes = 0, t0, t_end, t_next, late_max = 0;
	struct drand48_data rng;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "H:p:r:Pfb:d:n:s:t:i:S:h", opts, NULL)) != -1) {
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
			if (!*optarg || strlen(optarg) > 1024)
				usage_error("--topic", optarg, "want 1-1024 bytes");
			cfg.topic = optarg;
			break;
		case 'i':
			if (!*optarg || strlen(optarg) > 23)
				usage_error("--client-id", optarg, "want 1-23 bytes");
			cfg.client_id = optarg;
			break;
		case 'S':
			cfg.seed = (uint64_t)parse_num("--seed", optarg, 0, 1e15);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr,
				"mqttpub: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mqttpub: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	pkt = malloc(MAX_SIZE + 1100);
	batch = malloc((size_t)cfg.batch * (MAX_SIZE + 1100));
	if (!pkt || !batch) {
		fprintf(stderr, "mqttpub: out of memory\n");
		return 1;
	}
	plen = build_publish(pkt);
	for (unsigned i = 0; i < cfg.batch; i++)
		memcpy(batch + i * plen, pkt, plen);

	fd = connect_broker();
	if (fd < 0) {
		fprintf(stderr, "mqttpub: connect %s:%d: %s\n", cfg.host, cfg.port,
			strerror(errno));
		return 1;
	}
	blen = build_connect(hdr);
	if (write_all(fd, (char *)hdr, blen)) {
		fprintf(stderr, "mqttpub: send CONNECT: %s\n", strerror(errno));
		return 1;
	}
	while (got < sizeof(ack)) {
		ssize_t r = recv(fd, ack + got, sizeof(ack) - got, 0);

		if (r <= 0) {
			fprintf(stderr, "mqttpub: no CONNACK from the broker\n");
			return 1;
		}
		got += (size_t)r;
	}
	if (ack[0] != 0x20 || ack[3] != 0) {
		fprintf(stderr, "mqttpub: the broker refused the connection (CONNACK code %u)\n",
			ack[3]);
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
	/* DISCONNECT; the broker closes once it has read it, so every PUBLISH before it was read */
	if (write_all(fd, "\xe0\x00", 2))
		goto fail;
	{
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char sink[256];

		for (;;) {
			int pr = poll(&pfd, 1, CLOSE_WAIT_MS);

			if (pr <= 0 || recv(fd, sink, sizeof(sink), 0) <= 0)
				break;
		}
	}
	close(fd);
	{
		double span = (double)(t_end - t0) / NSEC;

		printf("{\"program\":\"mqttpub\",\"mode\":\"%s\",\"publishes\":%llu,\"packets\":%"
		       "llu,"
		       "\"bytes\":%llu,\"packet_bytes\":%zu,\"span_s\":%.6f,\"rate\":%.3f,"
		       "\"late_max_s\":%.6f}\n",
		       cfg.flood     ? "flood"
		       : cfg.poisson ? "poisson"
				     : "regular",
		       (unsigned long long)sent, (unsigned long long)(sent + 2),
		       (unsigned long long)(bytes + blen + 2), plen, span, (double)sent / span,
		       (double)late_max / NSEC);
	}
	return 0;
fail:
	fprintf(stderr, "mqttpub: send: %s (after %llu publishes)\n", strerror(errno),
		(unsigned long long)sent);
	return 1;
}
