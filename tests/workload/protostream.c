/*
 * protostream: Kafka-framed and AMQP 0-9-1-framed byte streams over real loopback TCP, for the
 * protocols Debian ships no server for. The client sends requests of random sizes (Kafka: 4-byte
 * length-prefixed requests with a request header; AMQP: the protocol header, then Basic.Publish
 * messages as a method frame, a content header frame and one or more body frames, with heartbeat
 * frames in between that are not messages) keeping up to --inflight of them unanswered. The sink
 * server reads in random chunk sizes (so a read rarely holds exactly one message), parses the
 * frames and answers each request (Kafka: a response with the correlation id; AMQP: a
 * Basic.Ack, as with publisher confirms). Both print their own counts as one JSON line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WL_PROG "protostream"
#include "wl_net.h"

#define MAX_MSG	       (1u << 20)
#define AMQP_FRAME_MAX 4096 /* body bytes per body frame (the frame-max a real broker would set) */
#define FRAME_END      0xce
#define CONNECT_WAIT   5.0

enum proto { P_KAFKA, P_AMQP };

static struct {
	bool server;
	enum proto proto;
	const char *host, *pidfile;
	int port;
	uint64_t count, seed;
	double duration;
	unsigned inflight, min_size, max_size, max_chunk, connections, heartbeat_every;
} cfg = {
	.host = "127.0.0.1",
	.port = 9092,
	.count = 1000,
	.seed = 1,
	.inflight = 8,
	.min_size = 16,
	.max_size = 2000,
	.max_chunk = 1500,
	.connections = 1,
	.heartbeat_every = 10,
};

static struct drand48_data rng;

static const char usage_text[] =
	"protostream: Kafka- and AMQP 0-9-1-framed request streams over loopback TCP, with a sink\n"
	"server that reads in random chunk sizes and answers each request; both count\n\n"
	"USAGE: protostream server --proto kafka|amqp [--port N] [--connections N]\n"
	"                          [--max-chunk BYTES] [--seed N] [--pidfile PATH]\n"
	"       protostream client --proto kafka|amqp [--host ADDR] [--port N] [--count N]\n"
	"                          [--inflight K] [--min-size B] [--max-size B]\n"
	"                          [--duration S] [--heartbeat-every N] [--seed N]\n\n"
	"  --proto P            kafka or amqp\n"
	"  --port N             TCP port (default 9092)\n"
	"  --connections N      server: serve N connections one after another, then exit (default "
	"1)\n"
	"  --max-chunk BYTES    server: each read asks for 1..BYTES bytes, drawn at random "
	"(default 1500)\n"
	"  --pidfile PATH       server: write the pid there once listening\n"
	"  --host ADDR          client: server address (default 127.0.0.1)\n"
	"  --count N            client: requests (Kafka) or publishes (AMQP) to send (default "
	"1000)\n"
	"  --inflight K         client: at most K unanswered at once (default 8)\n"
	"  --duration S         client: send no new request after S seconds (default: no limit)\n"
	"  --min-size, --max-size B   client: payload bytes, uniform (default 16..2000)\n"
	"  --heartbeat-every N  client, AMQP: a heartbeat frame after every N publishes (0: none;\n"
	"                       default 10)\n"
	"  --seed N             random seed (default 1)\n\n"
	"Output (stdout, one JSON line): server: connections, messages (requests or publishes),\n"
	"frames, bytes, reads, responses; client: messages sent and answered, bytes.\n\n"
	"EXAMPLES:\n"
	"  protostream server --proto kafka --port 21300 &\n"
	"  protostream client --proto kafka --port 21300 --count 20000 --inflight 16\n\n"
	"Exit status: 0 done; 1 failure (including a malformed frame); 2 usage error.\n";

static void usage_error(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "protostream: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static uint32_t rnd(uint32_t lo, uint32_t hi) /* uniform in [lo, hi] */
{
	double u;

	drand48_r(&rng, &u);
	return lo + (uint32_t)(u * (double)(hi - lo + 1));
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}
static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}
static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}
static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}
static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* a growable byte buffer */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static unsigned char *buf_room(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;

		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			fprintf(stderr, "protostream: out of memory\n");
			exit(1);
		}
		b->cap = cap;
	}
	return b->p + b->len;
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static unsigned char *amqp_frame(struct buf *b, uint8_t type, uint16_t ch, uint32_t size)
{
	unsigned char *f = buf_room(b, 8 + size);

	f[0] = type;
	put16(f + 1, ch);
	put32(f + 3, size);
	f[7 + size] = FRAME_END;
	b->len += 8 + size;
	return f + 7;
}

/* ---- client ---- */

struct counts {
	uint64_t messages, frames, bytes, reads, responses, connections, heartbeats;
};

/* append one request (Kafka) or one publish (AMQP) with sequence number seq */
static void client_build(struct buf *b, uint64_t seq, struct counts *c)
{
	uint32_t size = rnd(cfg.min_size, cfg.max_size);

	if (cfg.proto == P_KAFKA) {
		static const char client_id[] = "protostream";
		uint32_t hdr = 2 + 2 + 4 + 2 + (uint32_t)sizeof(client_id) - 1;
		unsigned char *p = buf_room(b, 4 + hdr + size);

		put32(p, hdr + size);
		put16(p + 4, 0);	     /* api_key 0: Produce */
		put16(p + 6, 3);	     /* api_version */
		put32(p + 8, (uint32_t)seq); /* correlation_id */
		put16(p + 12, sizeof(client_id) - 1);
		memcpy(p + 14, client_id, sizeof(client_id) - 1);
		memset(p + 4 + hdr, 'k', size);
		b->len += 4 + hdr + size;
		c->frames++;
	} else {
		unsigned char *m = amqp_frame(b, 1, 1, 4 + 2 + 1 + 1 + 1 + 1);

		put16(m, 60);	  /* class basic */
		put16(m + 2, 40); /* method publish */
		put16(m + 4, 0);  /* reserved-1 */
		m[6] = 0;	  /* exchange "" */
		m[7] = 1;	  /* routing key "q" */
		m[8] = 'q';
		m[9] = 0; /* mandatory, immediate */
		m = amqp_frame(b, 2, 1, 2 + 2 + 8 + 2);
		put16(m, 60);
		put16(m + 2, 0);
		put64(m + 4, size);
		put16(m + 12, 0); /* no properties */
		c->frames += 2;
		for (uint32_t off = 0; off < size; off += AMQP_FRAME_MAX) {
			uint32_t n = size - off < AMQP_FRAME_MAX ? size - off : AMQP_FRAME_MAX;

			memset(amqp_frame(b, 3, 1, n), 'a', n);
			c->frames++;
		}
		if (cfg.heartbeat_every && (seq + 1) % cfg.heartbeat_every == 0) {
			amqp_frame(b, 8, 0, 0);
			c->frames++;
			c->heartbeats++;
		}
	}
	c->messages++;
}

/* parse whole responses at the front of b; returns how many, -1 if malformed */
static long client_parse(struct buf *b, uint64_t *next_seq)
{
	long n = 0;

	for (;;) {
		if (cfg.proto == P_KAFKA) {
			uint32_t len;

			if (b->len < 4)
				break;
			len = get32(b->p);
			if (len < 4 || len > MAX_MSG)
				return -1;
			if (b->len < 4 + len)
				break;
			if (get32(b->p + 4) != (uint32_t)*next_seq)
				return -1;
			buf_consume(b, 4 + len);
		} else {
			uint32_t len;

			if (b->len < 7)
				break;
			len = get32(b->p + 3);
			if (len > MAX_MSG)
				return -1;
			if (b->len < 8 + len)
				break;
			/* Basic.Ack with delivery tag seq + 1 */
			if (b->p[0] != 1 || len != 13 || get16(b->p + 7) != 60 ||
			    get16(b->p + 9) != 80 || get64(b->p + 11) != *next_seq + 1 ||
			    b->p[7 + len] != FRAME_END)
				return -1;
			buf_consume(b, 8 + len);
		}
		(*next_seq)++;
		n++;
	}
	return n;
}

static int run_client(void)
{
	struct buf out = {0}, in = {0};
	struct counts c = {0};
	uint64_t answered = 0, tx_bytes = 0;
	struct timespec t0, now;
	bool stop = false;
	int fd = wl_connect(cfg.host, cfg.port, CONNECT_WAIT);

	if (fd < 0) {
		fprintf(stderr, "protostream: connect %s:%d: %s\n", cfg.host, cfg.port,
			strerror(errno));
		return 1;
	}
	if (cfg.proto == P_AMQP) {
		if (wl_write_all(fd, "AMQP\0\0\x09\x01", 8))
			goto fail;
		tx_bytes += 8;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t r;
		long n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (cfg.duration > 0 &&
		    (double)(now.tv_sec - t0.tv_sec) +
				    (double)(now.tv_nsec - t0.tv_nsec) / WL_NSEC >=
			    cfg.duration)
			stop = true;
		if (answered == c.messages && (stop || c.messages == cfg.count))
			break;
		out.len = 0;
		while (!stop && c.messages < cfg.count && c.messages - answered < cfg.inflight)
			client_build(&out, c.messages, &c);
		if (out.len) {
			if (wl_write_all(fd, out.p, out.len))
				goto fail;
			tx_bytes += out.len;
		}
		r = recv(fd, buf_room(&in, 65536), 65536, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "protostream: the server closed after %llu answers\n",
				(unsigned long long)answered);
			return 1;
		}
		in.len += (size_t)r;
		n = client_parse(&in, &answered);
		if (n < 0) {
			fprintf(stderr, "protostream: malformed answer after %llu\n",
				(unsigned long long)answered);
			return 1;
		}
	}
	close(fd);
	printf("{\"program\":\"protostream\",\"role\":\"client\",\"proto\":\"%s\",\"messages\":%"
	       "llu,"
	       "\"answered\":%llu,\"frames\":%llu,\"heartbeats\":%llu,\"tx_bytes\":%llu}\n",
	       cfg.proto == P_KAFKA ? "kafka" : "amqp", (unsigned long long)c.messages,
	       (unsigned long long)answered, (unsigned long long)c.frames,
	       (unsigned long long)c.heartbeats, (unsigned long long)tx_bytes);
	return 0;
fail:
	fprintf(stderr, "protostream: send: %s\n", strerror(errno));
	return 1;
}

/* ---- server ---- */

/*
 * Parse whole frames at the front of in, append the answers to out. AMQP: a publish is complete
 * when its header frame's body size has arrived in body frames. Returns -1 if malformed.
 */
static int server_parse(struct buf *in, struct buf *out, struct counts *c, bool *amqp_hdr,
			uint64_t *body_left, bool *in_publish)
{
	for (;;) {
		if (cfg.proto == P_KAFKA) {
			uint32_t len;
			unsigned char *r;

			if (in->len < 4)
				return 0;
			len = get32(in->p);
			if (len < 8 || len > MAX_MSG)
				return -1;
			if (in->len < 4 + len)
				return 0;
			r = buf_room(out, 12);
			put32(r, 8);
			memcpy(r + 4, in->p + 8, 4); /* correlation id */
			put32(r + 8, 0);	     /* an empty body: throttle time 0 */
			out->len += 12;
			c->messages++;
			c->frames++;
			c->responses++;
			c->bytes += 4 + len;
			buf_consume(in, 4 + len);
			continue;
		}
		if (!*amqp_hdr) {
			if (in->len < 8)
				return 0;
			if (memcmp(in->p, "AMQP\0\0\x09\x01", 8))
				return -1;
			*amqp_hdr = true;
			c->bytes += 8;
			buf_consume(in, 8);
			continue;
		}
		{
			uint32_t len;
			uint8_t type;

			if (in->len < 7)
				return 0;
			type = in->p[0];
			len = get32(in->p + 3);
			if (len > MAX_MSG)
				return -1;
			if (in->len < 8 + len)
				return 0;
			if (in->p[7 + len] != FRAME_END)
				return -1;
			switch (type) {
			case 1: /* method: Basic.Publish starts a message */
				if (len < 4 || get16(in->p + 7) != 60 || get16(in->p + 9) != 40 ||
				    *in_publish)
					return -1;
				*in_publish = true;
				*body_left = UINT64_MAX;
				break;
			case 2: /* content header: the body size */
				if (!*in_publish || *body_left != UINT64_MAX || len < 12)
					return -1;
				*body_left = get64(in->p + 7 + 4);
				break;
			case 3:
				if (!*in_publish || *body_left == UINT64_MAX || len > *body_left)
					return -1;
				*body_left -= len;
				break;
			case 8:
				c->heartbeats++;
				break;
			default:
				return -1;
			}
			c->frames++;
			c->bytes += 8 + len;
			buf_consume(in, 8 + len);
			if (*in_publish && *body_left == 0) {
				unsigned char *a = amqp_frame(out, 1, 1, 13);

				c->messages++;
				put16(a, 60);
				put16(a + 2, 80); /* Basic.Ack */
				put64(a + 4, c->messages);
				a[12] = 0;
				c->responses++;
				*in_publish = false;
			}
		}
	}
}

static int run_server(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)cfg.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct buf in = {0}, out = {0};
	struct counts c = {0};
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16)) {
		fprintf(stderr, "protostream: listen on 127.0.0.1:%d: %s\n", cfg.port,
			strerror(errno));
		return 1;
	}
	if (cfg.pidfile) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.pidfile);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) ||
		    rename(tmp, cfg.pidfile)) {
			fprintf(stderr, "protostream: pidfile %s: %s\n", cfg.pidfile,
				strerror(errno));
			return 1;
		}
	}
	while (c.connections < cfg.connections) {
		bool amqp_hdr = false, in_publish = false;
		uint64_t body_left = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "protostream: accept: %s\n", strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c.connections++;
		in.len = 0;
		for (;;) {
			size_t want = rnd(1, cfg.max_chunk);
			ssize_t r = recv(fd, buf_room(&in, want), want, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				fprintf(stderr, "protostream: recv: %s\n", strerror(errno));
				return 1;
			}
			if (r == 0)
				break;
			c.reads++;
			in.len += (size_t)r;
			out.len = 0;
			if (server_parse(&in, &out, &c, &amqp_hdr, &body_left, &in_publish)) {
				fprintf(stderr,
					"protostream: malformed %s frame after %llu messages\n",
					cfg.proto == P_KAFKA ? "Kafka" : "AMQP",
					(unsigned long long)c.messages);
				return 1;
			}
			if (out.len && wl_write_all(fd, out.p, out.len)) {
				fprintf(stderr, "protostream: send: %s\n", strerror(errno));
				return 1;
			}
		}
		if (in.len) {
			fprintf(stderr, "protostream: %zu bytes of a partial frame at close\n",
				in.len);
			return 1;
		}
		close(fd);
	}
	printf("{\"program\":\"protostream\",\"role\":\"server\",\"proto\":\"%s\",\"connections\":%"
	       "llu,"
	       "\"messages\":%llu,\"frames\":%llu,\"heartbeats\":%llu,\"bytes\":%llu,\"reads\":%"
	       "llu,"
	       "\"responses\":%llu}\n",
	       cfg.proto == P_KAFKA ? "kafka" : "amqp", (unsigned long long)c.connections,
	       (unsigned long long)c.messages, (unsigned long long)c.frames,
	       (unsigned long long)c.heartbeats, (unsigned long long)c.bytes,
	       (unsigned long long)c.reads, (unsigned long long)c.responses);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"proto", required_argument, 0, 'P'},
		{"port", required_argument, 0, 'p'},
		{"host", required_argument, 0, 'H'},
		{"count", required_argument, 0, 'n'},
		{"inflight", required_argument, 0, 'k'},
		{"min-size", required_argument, 0, 'm'},
		{"max-size", required_argument, 0, 'M'},
		{"max-chunk", required_argument, 0, 'C'},
		{"connections", required_argument, 0, 'c'},
		{"heartbeat-every", required_argument, 0, 'b'},
		{"seed", required_argument, 0, 's'},
		{"pidfile", required_argument, 0, 'f'},
		{"duration", required_argument, 0, 'd'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	bool proto_set = false;
	int c;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")))
		usage_error("want 'server' or 'client' first, not '%s'%s", argc < 2 ? "" : argv[1],
			    "");
	cfg.server = !strcmp(argv[1], "server");
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (!strcmp(optarg, "kafka"))
				cfg.proto = P_KAFKA;
			else if (!strcmp(optarg, "amqp"))
				cfg.proto = P_AMQP;
			else
				usage_error("--proto '%s': want kafka or amqp%s", optarg, "");
			proto_set = true;
			break;
		case 'p':
			cfg.port = (int)wl_parse_num("--port", optarg, 1, 65535, true);
			break;
		case 'H':
			cfg.host = optarg;
			break;
		case 'n':
			cfg.count = (uint64_t)wl_parse_num("--count", optarg, 1, 1e12, true);
			break;
		case 'k':
			cfg.inflight = (unsigned)wl_parse_num("--inflight", optarg, 1, 4096, true);
			break;
		case 'm':
			cfg.min_size =
				(unsigned)wl_parse_num("--min-size", optarg, 0, MAX_MSG / 2, true);
			break;
		case 'M':
			cfg.max_size =
				(unsigned)wl_parse_num("--max-size", optarg, 0, MAX_MSG / 2, true);
			break;
		case 'C':
			cfg.max_chunk =
				(unsigned)wl_parse_num("--max-chunk", optarg, 1, 1 << 20, true);
			break;
		case 'c':
			cfg.connections =
				(unsigned)wl_parse_num("--connections", optarg, 1, 1e6, true);
			break;
		case 'b':
			cfg.heartbeat_every =
				(unsigned)wl_parse_num("--heartbeat-every", optarg, 0, 1e9, true);
			break;
		case 's':
			cfg.seed = (uint64_t)wl_parse_num("--seed", optarg, 0, 1e15, true);
			break;
		case 'd': {
			char *end;

			errno = 0;
			cfg.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(cfg.duration > 0) ||
			    cfg.duration > 86400)
				usage_error("--duration '%s': want seconds > 0%s", optarg, "");
			break;
		}
		case 'f':
			if (!*optarg)
				usage_error("--pidfile: empty path%s%s", "", "");
			cfg.pidfile = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			usage_error("unknown option or missing value '%s'%s", argv[optind - 1], "");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'%s", argv[optind], "");
	if (!proto_set)
		usage_error("--proto is required%s%s", "", "");
	if (cfg.min_size > cfg.max_size)
		usage_error("--min-size above --max-size%s%s", "", "");
	signal(SIGPIPE, SIG_IGN);
	srand48_r((long)(cfg.seed * 2 + cfg.server), &rng);
	return cfg.server ? run_server() : run_client();
}
