/*
 * mqttpub: a small MQTT 3.1.1 publisher that knows exactly what it sent. CONNECT, wait for
 * CONNACK, then QoS 0 PUBLISH packets at a set rate (regular or Poisson gaps, one packet per
 * write) or as a flood (--batch packets per write, as fast as the broker takes them), then
 * DISCONNECT, and wait for the broker to close the connection: by then it has read every packet.
 * Prints one JSON line with its own counts, the truth a broker's counters are checked against.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <string.h>

#define WL_PROG "mqttpub"
#include "wl_net.h"

#define CONNECT_WAIT  5.0
#define CLOSE_WAIT_MS 10000

static struct {
	const char *topic, *client_id;
	struct wl_pub pub;
} cfg = {
	.topic = "streamtrace/test",
	.client_id = "mqttpub",
	.pub = {.host = "127.0.0.1",
		.port = 1883,
		.rate = 1000,
		.duration = 3,
		.seed = 1,
		.size = 32,
		.batch = 1},
};

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
	n += put_remaining_length(p + n, 2 + tl + cfg.pub.size);
	p[n++] = (unsigned char)(tl >> 8);
	p[n++] = (unsigned char)tl;
	memcpy(p + n, cfg.topic, tl);
	n += tl;
	memset(p + n, 'x', cfg.pub.size);
	return n + cfg.pub.size;
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		WL_PUB_OPTIONS,
		{"topic", required_argument, 0, 't'},
		{"client-id", required_argument, 0, 'i'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	unsigned char hdr[64], ack[4];
	static unsigned char pkt[WL_PUB_MAX_SIZE + 1100];
	unsigned char *batch;
	size_t plen, blen, got = 0;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, WL_PUB_LETTERS "t:i:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!*optarg || strlen(optarg) > 1024)
				wl_bad_value("--topic", optarg, "want 1-1024 bytes");
			cfg.topic = optarg;
			break;
		case 'i':
			if (!*optarg || strlen(optarg) > 23)
				wl_bad_value("--client-id", optarg, "want 1-23 bytes");
			cfg.client_id = optarg;
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
	blen = build_connect(hdr);
	if (wl_write_all(fd, hdr, blen)) {
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

	if (wl_publish(&cfg.pub, fd, pkt, batch, plen))
		goto fail;
	/* DISCONNECT; the broker closes once it has read it, so every PUBLISH before it was read */
	if (wl_write_all(fd, "\xe0\x00", 2))
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
		const struct wl_pub *p = &cfg.pub;
		double span = (double)(p->t_end - p->t0) / WL_NSEC;

		printf("{\"program\":\"mqttpub\",\"mode\":\"%s\",\"publishes\":%llu,\"packets\":%"
		       "llu,"
		       "\"bytes\":%llu,\"packet_bytes\":%zu,\"span_s\":%.6f,\"rate\":%.3f,"
		       "\"late_max_s\":%.6f}\n",
		       wl_pub_mode(p), (unsigned long long)p->sent,
		       (unsigned long long)(p->sent + 2), (unsigned long long)(p->bytes + blen + 2),
		       plen, span, (double)p->sent / span, (double)p->late_max / WL_NSEC);
	}
	return 0;
fail:
	fprintf(stderr, "mqttpub: send: %s (after %llu publishes)\n", strerror(errno),
		(unsigned long long)cfg.pub.sent);
	return 1;
}
