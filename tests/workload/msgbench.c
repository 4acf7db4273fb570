// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * msgbench: framed messages over loopback TCP in known numbers, for the
 * message counting of issue 8 (tests/integration/msgs.sh).
 *
 *   msgbench server PORT [--reads N,N,...] [--max-rate R] [--rcvbuf B]
 *                        [--proto resp|line|kafka|amqp] [--pidfile F]
 *       Accepts connections on 127.0.0.1:PORT one at a time and serves them:
 *       reads with read(2) in chunk sizes cycling through --reads (default
 *       1,7,64,4096,13: message boundaries fall anywhere in a read), counts
 *       the RESP commands it took with its own parser, answers each with
 *       "+OK\r\n" (the answers of one read in one write), and with
 *       --max-rate serves at most R commands per second (it sleeps: a slow
 *       server); --rcvbuf sets the receive buffer (SO_RCVBUFFORCE, root), so
 *       that a client can run ahead of a slow server. --proto line: the
 *       commands are lines starting with "#", a protocol streamtrace does not
 *       know (one
 *       turn per request), answered "OK\n". On SIGTERM prints "commands N" and exits 0.
 *   msgbench client PORT --count N [--rate R] [--pipeline K] [--split B]
 *                        [--proto resp|line|kafka|amqp] [--closed]
 *       Sends N RESP SET commands, K per write (pipelined), each batch cut
 *       into writes of at most B bytes (0: whole), open loop at R commands
 *       per second (0: as fast as it can), reading the answers in a second
 *       thread. The values are 0..300 bytes and contain RESP-looking bytes
 *       ("*3\r\n$3\r\n"), which a parser that reads payloads would miscount.
 *       --closed waits for a batch's answers before the next batch.
 *       Prints "sent N secs S rate R answers A" (its own clock, from the
 *       first write to the last).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WL_PROG "msgbench"
#include "wl_net.h"

/* --- the server's own RESP request counter (arrays of bulk strings) ------- */
struct resp {
	int state; /* 0 '*', 1 count, 2 '$', 3 length, 4 payload */
	long num, left, skip;
};

/* Takes one byte; returns 1 when it ended a command. */
static int resp_byte(struct resp *r, unsigned char c)
{
	switch (r->state) {
	case 0:
		if (c != '*')
			return -1;
		r->state = 1;
		r->num = 0;
		return 0;
	case 1:
	case 3:
		if (c >= '0' && c <= '9')
			r->num = r->num * 10 + (c - '0');
		else if (c == '\n') {
			if (r->state == 1) {
				r->left = r->num;
				r->state = r->left ? 2 : 0;
				return r->left ? 0 : 1;
			}
			r->skip = r->num + 2;
			r->state = 4;
		}
		return 0;
	case 2:
		if (c != '$')
			return -1;
		r->state = 3;
		r->num = 0;
		return 0;
	case 4:
		if (--r->skip)
			return 0;
		r->state = --r->left ? 2 : 0;
		return r->left ? 0 : 1;
	}
	return -1;
}

/* --- Kafka requests: int32 big-endian size, then that many bytes ------- */
struct kafka {
	int hdr;
	unsigned char h[4];
	long skip;
};

static int kafka_byte(struct kafka *k, unsigned char c)
{
	if (k->skip)
		return --k->skip == 0;
	k->h[k->hdr++] = c;
	if (k->hdr < 4)
		return 0;
	k->hdr = 0;
	k->skip = (long)k->h[0] << 24 | k->h[1] << 16 | k->h[2] << 8 | k->h[3];
	return k->skip > 0 ? 0 : -1;
}

/* --- AMQP 0-9-1: the protocol header, then frames (type, channel, size,
 * payload, 0xCE); a Basic.Publish method frame counts ------------------ */
struct amqp {
	int hdr, n;
	unsigned char h[7], cm[4];
	long left, pos;
};

static int amqp_byte(struct amqp *a, unsigned char c)
{
	if (a->hdr < 8) {
		if (c != (unsigned char)"AMQP\0\0\x09\x01"[a->hdr])
			return -1;
		a->hdr++;
		return 0;
	}
	if (a->n < 7) {
		a->h[a->n++] = c;
		if (a->n == 7) {
			a->left = (long)a->h[3] << 24 | a->h[4] << 16 | a->h[5] << 8 | a->h[6];
			a->pos = 0;
		}
		return 0;
	}
	if (a->left) {
		if (a->pos < 4)
			a->cm[a->pos] = c;
		a->pos++;
		a->left--;
		return 0;
	}
	if (c != 0xCE)
		return -1;
	a->n = 0;
	return a->h[0] == 1 && a->cm[0] == 0 && a->cm[1] == 60 && a->cm[2] == 0 && a->cm[3] == 40;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int server(int argc, char **argv)
{
	int port = (int)wl_parse_num("PORT", argv[2], 1, 65535, true), reads[64], nreads = 0,
	    one = 1;
	const char *spec = "1,7,64,4096,13", *pidfile = NULL;
	double max_rate = 0;
	long commands = 0;
	int rcvbuf = 0, line = 0, kafka = 0, amqp = 0;
	struct kafka kr = {0};
	struct amqp ar = {0};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sigaction sa = {.sa_handler = on_term};
	static char buf[65536], out[65536 * 3];
	int ls;

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--reads") && i + 1 < argc)
			spec = argv[++i];
		else if (!strcmp(argv[i], "--max-rate") && i + 1 < argc)
			max_rate = wl_parse_num("--max-rate", argv[++i], 0, 1e9, false);
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = (int)wl_parse_num("--rcvbuf", argv[++i], 0, 1 << 30, true);
		else if (!strcmp(argv[i], "--proto") && i + 1 < argc) {
			line = !strcmp(argv[++i], "line");
			kafka = !strcmp(argv[i], "kafka");
			amqp = !strcmp(argv[i], "amqp");
		}
	}
	for (const char *s = spec; *s && nreads < 64;) {
		reads[nreads] = atoi(s);
		if (reads[nreads] < 1 || reads[nreads] > (int)sizeof(buf))
			reads[nreads] = sizeof(buf);
		nreads++;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* before listen: accepted sockets inherit it, window scaling included */
	if (rcvbuf > 0 && setsockopt(ls, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf))) {
		perror("msgbench server: SO_RCVBUFFORCE");
		return 1;
	}
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16)) {
		perror("msgbench server");
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
	}
	while (!stop) {
		int fd = accept(ls, NULL, NULL), k = 0;
		struct resp r = {0};
		uint64_t t0 = 0;
		long served = 0;

		if (fd < 0)
			continue;
		for (;;) {
			ssize_t n = read(fd, buf, (size_t)reads[k++ % nreads]);
			size_t o = 0;

			if (n < 0 && errno == EINTR && !stop)
				continue;
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++) {
				int e = line	? buf[i] == '\n'
					: kafka ? kafka_byte(&kr, (unsigned char)buf[i])
					: amqp	? amqp_byte(&ar, (unsigned char)buf[i])
						: resp_byte(&r, (unsigned char)buf[i]);

				if (e < 0) {
					fprintf(stderr, "msgbench server: not RESP\n");
					return 1;
				}
				if (e) {
					commands++;
					served++;
					/* Kafka: size 4, then the correlation id */
					if (kafka) {
						memcpy(out + o, "\0\0\0\4\0\0\0\0", 8);
						o += 8;
					} else if (amqp) {
						/* Basic.Ack (a publisher confirm): 21 bytes */
						memcpy(out + o,
						       "\1\0\1\0\0\0\15\0\x3c\0\x50"
						       "\0\0\0\0\0\0\0\1\0\xce",
						       21);
						o += 21;
					} else {
						memcpy(out + o, line ? "OK\n" : "+OK\r\n",
						       line ? 3 : 5);
						o += line ? 3 : 5;
					}
				}
			}
			if (o && wl_write_all(fd, out, o))
				break;
			if (max_rate > 0) {
				if (!t0)
					t0 = wl_now_ns();
				wl_sleep_until_ns(t0 +
						  (uint64_t)((double)served / max_rate * WL_NSEC));
			}
		}
		close(fd);
	}
	printf("commands %ld\n", commands);
	return 0;
}

/* --- client ------------------------------------------------------------- */
static long answers;
static int cfd, cline, ckafka, camqp;

static void *reader(void *arg)
{
	static char b[65536];
	ssize_t n;

	(void)arg;
	long bytes = 0;

	while ((n = read(cfd, b, sizeof(b))) > 0) {
		if (ckafka || camqp) { /* 8-byte responses, 21-byte acks */
			bytes += n;
			__atomic_store_n(&answers, bytes / (ckafka ? 8 : 21), __ATOMIC_RELAXED);
			continue;
		}
		for (ssize_t i = 0; i < n; i++)
			if (b[i] == '\n')
				__atomic_add_fetch(&answers, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static size_t command(char *o, long i)
{
	static const char junk[] = "*3\r\n$3\r\nSET\r\n:1\r\n+OK\r\n";
	char key[32], val[320];
	int kl, vl;

	if (camqp) {
		/* Basic.Publish (exchange "", routing key "k"), a content
		 * header announcing 0..300 bytes, the body in up to 2 frames */
		unsigned b = (unsigned)((i * 7919) % 301), h = b / 2, o2 = 0;
		static const unsigned char pub[] = {1, 0,  1, 0, 0, 0, 10,  0, 60,
						    0, 40, 0, 0, 0, 1, 'k', 0, 0xce};
		/* type, channel 1, size 14; class 60, weight 0, body size (u64,
		 * big-endian), property flags 0; frame end */
		unsigned char hdr[22] = {2, 0, 1, 0, 0, 0, 14, 0, 60, 0, 0,
					 0, 0, 0, 0, 0, 0, 0,  0, 0,  0, 0xce};

		if (i == 0) {
			memcpy(o, "AMQP\0\0\x09\x01", 8);
			o2 = 8;
		}
		memcpy(o + o2, pub, sizeof(pub));
		o2 += sizeof(pub);
		hdr[17] = (unsigned char)(b >> 8);
		hdr[18] = (unsigned char)b;
		memcpy(o + o2, hdr, sizeof(hdr));
		o2 += sizeof(hdr);
		for (int part = 0; part < 2; part++) {
			unsigned len = part ? b - h : h;

			if (!len)
				continue;
			o[o2++] = 3;
			memcpy(o + o2, "\0\1", 2);
			o2 += 2;
			o[o2++] = (char)(len >> 24);
			o[o2++] = (char)(len >> 16);
			o[o2++] = (char)(len >> 8);
			o[o2++] = (char)len;
			for (unsigned j = 0; j < len; j++)
				o[o2++] = junk[j % (sizeof(junk) - 1)];
			o[o2++] = (char)0xce;
		}
		return o2;
	}
	if (ckafka) {
		/* a Produce v3 request header (api key 0, version 3,
		 * correlation id i, client id "mb"), then 0..300 bytes */
		unsigned len = 10 + (unsigned)((i * 7919) % 301);

		o[0] = (char)(len >> 24);
		o[1] = (char)(len >> 16);
		o[2] = (char)(len >> 8);
		o[3] = (char)len;
		memcpy(o + 4, "\0\0\0\3", 4);
		o[8] = (char)(i >> 24);
		o[9] = (char)(i >> 16);
		o[10] = (char)(i >> 8);
		o[11] = (char)i;
		memcpy(o + 12, "\0\2mb", 4);
		for (unsigned j = 10; j < len; j++)
			o[4 + j] = junk[j % (sizeof(junk) - 1)];
		return 4 + len;
	}
	if (cline)
		return (size_t)sprintf(o, "#%ld key%.*s\n", i, (int)(i % 50),
				       "..................................................");
	kl = snprintf(key, sizeof(key), "key:%ld", i);
	vl = (int)((i * 7919) % 301);

	for (int j = 0; j < vl; j++)
		val[j] = junk[j % (sizeof(junk) - 1)];
	return (size_t)sprintf(o, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%.*s\r\n", kl, key, vl,
			       vl, val);
}

static int client(int argc, char **argv)
{
	int port = (int)wl_parse_num("PORT", argv[2], 1, 65535, true);
	long count = 0, pipeline = 1, split = 0;
	int closed = 0;
	double rate = 0, secs;
	uint64_t t0, t1;
	pthread_t th;
	char *batch;

	for (int i = 3; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--count"))
			count = (long)wl_parse_num("--count", argv[++i], 1, 1e12, true);
		else if (!strcmp(argv[i], "--rate"))
			rate = wl_parse_num("--rate", argv[++i], 0, 1e9, false);
		else if (!strcmp(argv[i], "--pipeline"))
			pipeline = (long)wl_parse_num("--pipeline", argv[++i], 1, 1000, true);
		else if (!strcmp(argv[i], "--split"))
			split = (long)wl_parse_num("--split", argv[++i], 0, 1 << 30, true);
		else if (!strcmp(argv[i], "--proto")) {
			cline = !strcmp(argv[++i], "line");
			ckafka = !strcmp(argv[i], "kafka");
			camqp = !strcmp(argv[i], "amqp");
		}
	}
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], "--closed"))
			closed = 1;
	if (count < 1 || pipeline < 1 || pipeline > 1000) {
		fprintf(stderr, "msgbench client: bad --count or --pipeline\n");
		return 2;
	}
	batch = malloc((size_t)pipeline * 400);
	cfd = batch ? wl_connect("127.0.0.1", port, 0) : -1;
	if (cfd < 0) {
		perror("msgbench client");
		return 1;
	}
	pthread_create(&th, NULL, reader, NULL);
	t0 = wl_now_ns();
	for (long i = 0; i < count; i += pipeline) {
		size_t n = 0, o = 0;

		if (rate > 0)
			wl_sleep_until_ns(t0 + (uint64_t)((double)i / rate * WL_NSEC));
		for (long j = i; j < i + pipeline && j < count; j++)
			n += command(batch + n, j);
		while (o < n) {
			size_t w = split > 0 && (size_t)split < n - o ? (size_t)split : n - o;

			if (wl_write_all(cfd, batch + o, w)) {
				perror("msgbench client: write");
				return 1;
			}
			o += w;
		}
		/* closed loop: the batch's answers first (for at most 10 s) */
		for (int w = 0; closed && w < 1000000 &&
				__atomic_load_n(&answers, __ATOMIC_RELAXED) <
					(i + pipeline < count ? i + pipeline : count);
		     w++)
			usleep(50);
	}
	t1 = wl_now_ns();
	/* the answers, for at most 30 s */
	for (int i = 0; i < 3000 && __atomic_load_n(&answers, __ATOMIC_RELAXED) < count; i++)
		usleep(10000);
	shutdown(cfd, SHUT_WR);
	secs = (double)(t1 - t0) / WL_NSEC;
	printf("sent %ld secs %.6f rate %.3f answers %ld\n", count, secs,
	       secs > 0 ? (double)count / secs : 0.0, answers);
	return answers == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return server(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	fprintf(stderr, "usage: msgbench server PORT [...] | client PORT --count N [...]\n");
	return 2;
}
