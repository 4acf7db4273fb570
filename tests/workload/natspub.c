/*
 * natspub: a small NATS publisher that knows exactly what it sent (Debian ships nats-server but
 * no NATS client). Reads the server's INFO, sends CONNECT (verbose off: no +OK per message), then
 * PUB messages at a set rate (regular or Poisson gaps, one per write) or as a flood (--batch per
 * write), then PING, and waits for the PONG: the server answers in order, so by then it has
 * processed every PUB. Prints one JSON line with its own counts.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <string.h>

#define WL_PROG "natspub"
#include "wl_net.h"

#define CONNECT_WAIT 5.0
#define PONG_WAIT_MS 10000

static struct {
	const char *topic;
	struct wl_pub pub;
} cfg = {
	.topic = "streamtrace.test",
	.pub = {.host = "127.0.0.1",
		.port = 4222,
		.rate = 1000,
		.duration = 3,
		.seed = 1,
		.size = 32,
		.batch = 1},
};

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

/* one PUB message into p; returns its length */
static size_t build_publish(unsigned char *p)
{
	int n = sprintf((char *)p, "PUB %s %u\r\n", cfg.topic, cfg.pub.size);

	memset(p + n, 'x', cfg.pub.size);
	memcpy(p + n + cfg.pub.size, "\r\n", 2);
	return (size_t)n + cfg.pub.size + 2;
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
			if (!strncmp(buf, "PING", 4) && wl_write_all(fd, "PONG\r\n", 6))
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		WL_PUB_OPTIONS,
		{"subject", required_argument, 0, 't'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static unsigned char pkt[WL_PUB_MAX_SIZE + 1100];
	unsigned char *batch;
	size_t plen;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, WL_PUB_LETTERS "t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!*optarg || strlen(optarg) > 1024 || strpbrk(optarg, " \t\r\n"))
				wl_bad_value("--subject", optarg,
					     "want 1-1024 bytes, no white space");
			cfg.topic = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			if (!wl_pub_option(&cfg.pub, c, optarg))
				wl_bad_option(argv);
			break;
		}
	}
	wl_no_operands(argc, argv);
	plen = build_publish(pkt);
	fd = wl_pub_connect(&cfg.pub, pkt, plen, CONNECT_WAIT, &batch);
	if (await_line(fd, "INFO ", 5000)) {
		fprintf(stderr, "natspub: no INFO from the server\n");
		return 1;
	}
	if (wl_write_all(fd, connect_msg, sizeof(connect_msg) - 1)) {
		fprintf(stderr, "natspub: send CONNECT: %s\n", strerror(errno));
		return 1;
	}
	if (wl_publish(&cfg.pub, fd, pkt, batch, plen))
		goto fail;
	/* the server answers in order: its PONG comes after it has processed every PUB */
	if (wl_write_all(fd, "PING\r\n", 6))
		goto fail;
	if (await_line(fd, "PONG", PONG_WAIT_MS)) {
		fprintf(stderr, "natspub: no PONG after the last message\n");
		return 1;
	}
	close(fd);
	{
		const struct wl_pub *p = &cfg.pub;
		double span = (double)(p->t_end - p->t0) / WL_NSEC;

		printf("{\"program\":\"natspub\",\"mode\":\"%s\",\"messages\":%llu,\"protocol_"
		       "msgs\":%llu,"
		       "\"bytes\":%llu,\"message_bytes\":%zu,\"span_s\":%.6f,\"rate\":%.3f,"
		       "\"late_max_s\":%.6f}\n",
		       wl_pub_mode(p), (unsigned long long)p->sent,
		       (unsigned long long)(p->sent + 2),
		       (unsigned long long)(p->bytes + sizeof(connect_msg) - 1 + 6), plen, span,
		       (double)p->sent / span, (double)p->late_max / WL_NSEC);
	}
	return 0;
fail:
	fprintf(stderr, "natspub: send: %s (after %llu messages)\n", strerror(errno),
		(unsigned long long)cfg.pub.sent);
	return 1;
}
