/*
 * Byte streams of every framed protocol, as their real clients and servers
 * write them (redis-benchmark's SET/GET/XADD pipelined, a pgbench simple and
 * extended cycle, wrk's keep-alive GETs, a chunked POST, MQTT, NATS, Kafka,
 * AMQP), with the message boundaries known by construction: whoever appends
 * the last byte of a message calls fs_end(), so the truth is the builder's,
 * never the parser's. Shared by tests/unit/test_framing.c and the BPF run in
 * tests/bpf/framing_run.c, together with a user-space driver (fs_feed).
 */
#ifndef STREAMTRACE_FRAMING_STREAMS_H
#define STREAMTRACE_FRAMING_STREAMS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "bpf/framing.h"

struct fs_stream {
	const char *name;
	__u8 proto;
	__u8 dir;
	int want_err; /* the stream ends in bytes that must give ST_FR_ERR */
	__u8 *p;
	size_t len, cap;
	size_t *ends; /* offsets just past the last byte of each message */
	size_t nends, ends_cap;
};

static void fs_put(struct fs_stream *s, const void *d, size_t n)
{
	if (n == 0)
		return;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 256;

		while (cap < s->len + n)
			cap *= 2;
		s->p = realloc(s->p, cap);
		if (!s->p)
			abort();
		s->cap = cap;
	}
	memcpy(s->p + s->len, d, n);
	s->len += n;
}

static void fs_fill(struct fs_stream *s, int c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u8 b = c == -1 ? (__u8)('a' + i % 26) : (__u8)c;

		fs_put(s, &b, 1);
	}
}

static void fs_str(struct fs_stream *s, const char *str)
{
	fs_put(s, str, strlen(str));
}

__attribute__((format(printf, 2, 3))) static void fs_fmt(struct fs_stream *s, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		abort();
	fs_put(s, tmp, (size_t)n);
}

static void fs_u8(struct fs_stream *s, unsigned v)
{
	__u8 b = (__u8)v;

	fs_put(s, &b, 1);
}

static void fs_be16(struct fs_stream *s, unsigned v)
{
	fs_u8(s, v >> 8);
	fs_u8(s, v);
}

static void fs_be32(struct fs_stream *s, __u32 v)
{
	fs_be16(s, v >> 16);
	fs_be16(s, v & 0xffff);
}

static void fs_be64(struct fs_stream *s, __u64 v)
{
	fs_be32(s, (__u32)(v >> 32));
	fs_be32(s, (__u32)v);
}

/* a message ends here */
static void fs_end(struct fs_stream *s)
{
	if (s->nends == s->ends_cap) {
		s->ends_cap = s->ends_cap ? 2 * s->ends_cap : 64;
		s->ends = realloc(s->ends, s->ends_cap * sizeof(*s->ends));
		if (!s->ends)
			abort();
	}
	s->ends[s->nends++] = s->len;
}

static void fs_free(struct fs_stream *s)
{
	free(s->p);
	free(s->ends);
	memset(s, 0, sizeof(*s));
}

/* ---- RESP ---- */

static void resp_cmd(struct fs_stream *s, int argc, const char *const *argv)
{
	int i;

	fs_fmt(s, "*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		fs_fmt(s, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	fs_end(s);
}

static void build_resp_benchmark(struct fs_stream *s, const char *which)
{
	static const char *const set[] = {"SET", "key:__rand_int__", "xxx"};
	static const char *const get[] = {"GET", "key:__rand_int__"};
	static const char *const xadd[] = {"XADD", "mystream", "*", "myfield", "xxx"};
	int i, round;

	/* redis-benchmark -P 16: 16 commands per write, several writes */
	for (round = 0; round < 3; round++)
		for (i = 0; i < 16; i++) {
			if (!strcmp(which, "SET"))
				resp_cmd(s, 3, set);
			else if (!strcmp(which, "GET"))
				resp_cmd(s, 2, get);
			else
				resp_cmd(s, 5, xadd);
		}
}

static void build_resp_rx_mixed(struct fs_stream *s)
{
	static const char *const ping[] = {"PING"};
	static const char *const empty[] = {"SET", "k", ""};

	fs_str(s, "PING\r\n"); /* inline */
	fs_end(s);
	fs_str(s, "\r\n"); /* a blank line: no command */
	fs_str(s, "set foo bar\n");
	fs_end(s);
	fs_str(s, "*0\r\n"); /* no command either */
	resp_cmd(s, 1, ping);
	resp_cmd(s, 3, empty); /* $0 */
	/* a 100 kB value: one skip */
	fs_str(s, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n");
	fs_fill(s, -1, 100000);
	fs_str(s, "\r\n");
	fs_end(s);
	fs_str(s, "   \r\n"); /* blank */
	resp_cmd(s, 1, ping);
}

static void build_resp_tx(struct fs_stream *s)
{
	int i;

	for (i = 0; i < 16; i++) {
		fs_str(s, "+OK\r\n");
		fs_end(s);
	}
	fs_str(s, "$3\r\nxxx\r\n");
	fs_end(s);
	fs_str(s, "$-1\r\n");
	fs_end(s);
	fs_str(s, "$0\r\n\r\n");
	fs_end(s);
	fs_str(s, ":1000\r\n");
	fs_end(s);
	fs_str(s, "-ERR unknown command 'FOO'\r\n");
	fs_end(s);
	fs_str(s, "*2\r\n*2\r\n:1\r\n:2\r\n$3\r\nabc\r\n");
	fs_end(s);
	fs_str(s, "*0\r\n");
	fs_end(s);
	fs_str(s, "*-1\r\n");
	fs_end(s);
	/* XRANGE-like: array of [id, [field, value]] */
	fs_str(s, "*2\r\n*2\r\n$15\r\n1526985054069-0\r\n*2\r\n$7\r\nmyfield\r\n$3\r\nxxx\r\n"
		  "*2\r\n$15\r\n1526985054079-0\r\n*2\r\n$7\r\nmyfield\r\n$3\r\nyyy\r\n");
	fs_end(s);
	/* depth 4 is the cap, still fine */
	fs_str(s, "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n");
	fs_end(s);
	/* RESP3 */
	fs_str(s, "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n");
	fs_end(s);
	fs_str(s, "~3\r\n+a\r\n+b\r\n+c\r\n");
	fs_end(s);
	fs_str(s, "_\r\n");
	fs_end(s);
	fs_str(s, "#t\r\n");
	fs_end(s);
	fs_str(s, ",3.14\r\n");
	fs_end(s);
	fs_str(s, "(3492890328409238509324850943850943825024385\r\n");
	fs_end(s);
	fs_str(s, "=15\r\ntxt:Some string\r\n");
	fs_end(s);
	fs_str(s, "!21\r\nSYNTAX invalid syntax\r\n");
	fs_end(s);
	/* a top-level attribute precedes the reply it annotates */
	fs_str(s, "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
		  "*2\r\n:2039123\r\n:9543892\r\n");
	fs_end(s);
	/* an attribute inside an array does not count as one of its elements */
	fs_str(s, "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n");
	fs_end(s);
	/* a push */
	fs_str(s, ">3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n");
	fs_end(s);
	fs_str(s, "$70000\r\n");
	fs_fill(s, 'v', 70000);
	fs_str(s, "\r\n");
	fs_end(s);
}

/* ---- PostgreSQL ---- */

static void pg_msg(struct fs_stream *s, char type, const void *body, size_t n)
{
	fs_u8(s, (__u8)type);
	fs_be32(s, (__u32)(n + 4));
	if (n)
		fs_put(s, body, n);
}

static void pg_query(struct fs_stream *s, const char *sql)
{
	pg_msg(s, 'Q', sql, strlen(sql) + 1);
}

static void pg_startup(struct fs_stream *s)
{
	static const char params[] = "user\0postgres\0database\0pgbench\0"
				     "application_name\0pgbench\0";
	size_t n = sizeof(params); /* with the final NUL that ends the list */

	fs_be32(s, (__u32)(8 + n));
	fs_be32(s, 196608);
	fs_put(s, params, n);
	fs_end(s);
}

static void build_pg_rx_simple(struct fs_stream *s)
{
	static const char *const tpcb[] = {
		"BEGIN;",
		"UPDATE pgbench_accounts SET abalance = abalance + -4045 WHERE aid = 71946;",
		"SELECT abalance FROM pgbench_accounts WHERE aid = 71946;",
		"UPDATE pgbench_tellers SET tbalance = tbalance + -4045 WHERE tid = 4;",
		"UPDATE pgbench_branches SET bbalance = bbalance + -4045 WHERE bid = 1;",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES "
		"(4, 1, 71946, -4045, CURRENT_TIMESTAMP);",
		"END;",
	};
	int t, i;

	/* SSLRequest refused with 'N', then the real startup */
	fs_be32(s, 8);
	fs_be32(s, 80877103);
	fs_end(s);
	pg_startup(s);
	/* a password message belongs to the query after it */
	pg_msg(s, 'p', "secret", 7);
	for (t = 0; t < 3; t++)
		for (i = 0; i < 7; i++) {
			pg_query(s, tpcb[i]);
			fs_end(s);
		}
	pg_msg(s, 'X', NULL, 0);
	fs_end(s);
}

static void build_pg_rx_extended(struct fs_stream *s)
{
	static const char sql[] = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
	struct fs_stream tmp = {0};
	int t;

	pg_startup(s);
	for (t = 0; t < 5; t++) {
		/* Parse: name, query, 0 parameter types */
		tmp.len = 0;
		fs_str(&tmp, "");
		fs_u8(&tmp, 0);
		fs_put(&tmp, sql, sizeof(sql));
		fs_be16(&tmp, 0);
		pg_msg(s, 'P', tmp.p, tmp.len);
		/* Bind: portal, statement, 0 formats, 1 parameter "71946", 0 result formats */
		tmp.len = 0;
		fs_u8(&tmp, 0);
		fs_u8(&tmp, 0);
		fs_be16(&tmp, 0);
		fs_be16(&tmp, 1);
		fs_be32(&tmp, 5);
		fs_str(&tmp, "71946");
		fs_be16(&tmp, 0);
		pg_msg(s, 'B', tmp.p, tmp.len);
		pg_msg(s, 'D', "P", 2);		 /* Describe portal "" */
		pg_msg(s, 'E', "\0\0\0\0\0", 5); /* Execute "", no row limit */
		pg_msg(s, 'S', NULL, 0);	 /* Sync ends the unit */
		fs_end(s);
	}
	/* a function call, and a Flush that belongs to the next unit */
	pg_msg(s, 'H', NULL, 0);
	pg_msg(s, 'F', "\0\0\0\1\0\0\0\0\0\0", 10);
	fs_end(s);
	fs_free(&tmp);
}

static void build_pg_rx_cancel(struct fs_stream *s)
{
	fs_be32(s, 16);
	fs_be32(s, 80877102);
	fs_be32(s, 4242);
	fs_be32(s, 0xdeadbeef);
	fs_end(s);
}

static void build_pg_tx(struct fs_stream *s)
{
	static const char *const params[] = {"server_version\0"
					     "15.5",
					     "client_encoding\0"
					     "UTF8",
					     "DateStyle\0"
					     "ISO, MDY"};
	struct fs_stream row = {0};
	int i;

	fs_u8(s, 'N'); /* no SSL */
	fs_end(s);
	pg_msg(s, 'R', "\0\0\0\0", 4); /* AuthenticationOk */
	for (i = 0; i < 3; i++) {
		size_t a = strlen(params[i]) + 1;

		pg_msg(s, 'S', params[i], a + strlen(params[i] + a) + 1);
	}
	pg_msg(s, 'K', "\0\0\x10\x92\x12\x34\x56\x78", 8);
	pg_msg(s, 'Z', "I", 1);
	fs_end(s);
	/* simple query: BEGIN */
	pg_msg(s, 'C', "BEGIN", 6);
	pg_msg(s, 'Z', "T", 1);
	fs_end(s);
	/* SELECT: RowDescription, DataRow, CommandComplete */
	fs_be16(&row, 1);
	fs_str(&row, "abalance");
	fs_u8(&row, 0);
	fs_be32(&row, 16390);
	fs_be16(&row, 3);
	fs_be32(&row, 23);
	fs_be16(&row, 4);
	fs_be32(&row, 0xffffffff);
	fs_be16(&row, 0);
	pg_msg(s, 'T', row.p, row.len);
	pg_msg(s, 'D', "\0\1\0\0\0\5-4045", 11);
	pg_msg(s, 'C', "SELECT 1", 9);
	pg_msg(s, 'Z', "T", 1);
	fs_end(s);
	/* extended: ParseComplete, BindComplete, rows, a notice, ReadyForQuery */
	pg_msg(s, '1', NULL, 0);
	pg_msg(s, '2', NULL, 0);
	pg_msg(s, 'T', row.p, row.len);
	pg_msg(s, 'D',
	       "\0\1\0\0\0\1"
	       "0",
	       7);
	pg_msg(s, 'N', "SNOTICE\0\0", 9);
	pg_msg(s, 'C', "SELECT 1", 9);
	pg_msg(s, 'Z', "I", 1);
	fs_end(s);
	/* an error */
	pg_msg(s, 'E', "SERROR\0C42P01\0Mrelation does not exist\0\0", 40);
	pg_msg(s, 'Z', "I", 1);
	fs_end(s);
	fs_free(&row);
}

/* ---- HTTP/1 ---- */

static void build_http_rx_pipeline(struct fs_stream *s)
{
	int i;

	/* wrk: keep-alive GETs, several per write under -H pipelining scripts */
	for (i = 0; i < 10; i++) {
		fs_str(s, "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:21080\r\n\r\n");
		fs_end(s);
	}
	fs_str(s, "\r\n"); /* a stray CRLF between requests is allowed */
	fs_str(s, "HEAD / HTTP/1.0\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
	fs_end(s);
	fs_str(s, "POST /api/v1/items HTTP/1.1\r\nHost: localhost\r\n"
		  "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
		  "{\"name\":\"widget\",\"qty\":12}\n");
	fs_end(s);
	/* header names are case-insensitive; spaces around the value */
	fs_str(s, "PUT /x HTTP/1.1\r\ncontent-LENGTH:   5  \r\nX-Content-Length-Not: 999\r\n\r\n"
		  "hello");
	fs_end(s);
	/* a name that only starts like content-length is not it */
	fs_str(s, "GET /y HTTP/1.1\r\nContent-Lengthy: 10\r\nTransfer-Encodings: chunked\r\n\r\n");
	fs_end(s);
	fs_str(s, "POST /big HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n");
	fs_fill(s, 'b', 1000000);
	fs_end(s);
}

static void build_http_rx_chunked(struct fs_stream *s)
{
	fs_str(s, "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Type: text/plain\r\n\r\n");
	fs_str(s, "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n");
	fs_str(s, "10;name=value\r\n0123456789ABCDEF\r\n");
	fs_str(s, "0\r\nX-Checksum: 1234\r\n\r\n");
	fs_end(s);
	/* gzip then chunked: the last coding decides */
	fs_str(s, "POST /z HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
		  "A\r\n0123456789\r\n0\r\n\r\n");
	fs_end(s);
	fs_str(s, "GET /after HTTP/1.1\r\n\r\n");
	fs_end(s);
}

static void build_http_tx(struct fs_stream *s)
{
	int i;

	for (i = 0; i < 10; i++) {
		fs_str(s, "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
			  "Content-Length: 612\r\nConnection: keep-alive\r\n\r\n");
		fs_fill(s, -1, 612);
		fs_end(s);
	}
	/* 100 Continue is no message; the final response is */
	fs_str(s, "HTTP/1.1 100 Continue\r\n\r\n");
	fs_str(s, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
	fs_end(s);
	fs_str(s, "HTTP/1.1 204 No Content\r\nServer: nginx\r\n\r\n");
	fs_end(s);
	fs_str(s, "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n");
	fs_end(s);
	fs_str(s, "HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
	fs_end(s);
}

/* ---- MQTT ---- */

static void mqtt_varint(struct fs_stream *s, __u32 n)
{
	do {
		__u8 b = n & 0x7f;

		n >>= 7;
		if (n)
			b |= 0x80;
		fs_u8(s, b);
	} while (n);
}

static void mqtt_publish(struct fs_stream *s, int qos, const char *topic, size_t payload)
{
	size_t t = strlen(topic);

	fs_u8(s, 0x30 | (qos << 1));
	mqtt_varint(s, (__u32)(2 + t + (qos ? 2 : 0) + payload));
	fs_be16(s, (unsigned)t);
	fs_str(s, topic);
	if (qos)
		fs_be16(s, 7);
	fs_fill(s, 'p', payload);
	fs_end(s);
}

static void build_mqtt_rx(struct fs_stream *s, int big)
{
	int i;

	/* CONNECT 3.1.1: clean session, keep-alive 60, client id */
	fs_u8(s, 0x10);
	mqtt_varint(s, 10 + 2 + 8);
	fs_be16(s, 4);
	fs_str(s, "MQTT");
	fs_u8(s, 4);
	fs_u8(s, 2);
	fs_be16(s, 60);
	fs_be16(s, 8);
	fs_str(s, "pub-0001");
	fs_end(s);
	for (i = 0; i < 20; i++)
		mqtt_publish(s, 0, "sensors/temp", 16);
	mqtt_publish(s, 1, "sensors/temp", 16);
	mqtt_publish(s, 1, "sensors/humidity", 200); /* 2-byte remaining length */
	fs_u8(s, 0x82);				     /* SUBSCRIBE */
	mqtt_varint(s, 2 + 2 + 3 + 1);
	fs_be16(s, 1);
	fs_be16(s, 3);
	fs_str(s, "a/#");
	fs_u8(s, 1);
	fs_end(s);
	fs_u8(s, 0x62); /* PUBREL */
	fs_u8(s, 2);
	fs_be16(s, 7);
	fs_end(s);
	fs_u8(s, 0xc0); /* PINGREQ */
	fs_u8(s, 0);
	fs_end(s);
	if (big) /* 4-byte remaining length: >= 2 MiB */
		mqtt_publish(s, 0, "bulk", 2100000);
	fs_u8(s, 0xe0); /* DISCONNECT */
	fs_u8(s, 0);
	fs_end(s);
}

static void build_mqtt_rx_v5(struct fs_stream *s)
{
	/* CONNECT 5 with properties (session expiry) */
	fs_u8(s, 0x10);
	mqtt_varint(s, 10 + 1 + 5 + 2 + 4);
	fs_be16(s, 4);
	fs_str(s, "MQTT");
	fs_u8(s, 5);
	fs_u8(s, 2);
	fs_be16(s, 30);
	fs_u8(s, 5);
	fs_u8(s, 0x11);
	fs_be32(s, 3600);
	fs_be16(s, 4);
	fs_str(s, "c5id");
	fs_end(s);
	mqtt_publish(s, 2, "v5/topic", 40);
	fs_u8(s, 0xe0);
	fs_u8(s, 0);
	fs_end(s);
}

static void build_mqtt_tx(struct fs_stream *s)
{
	int i;

	fs_str(s, "\x20\x02");
	fs_u8(s, 0);
	fs_u8(s, 0);
	fs_end(s);
	for (i = 0; i < 5; i++) {
		fs_u8(s, 0x40); /* PUBACK */
		fs_u8(s, 2);
		fs_be16(s, i + 1);
		fs_end(s);
	}
	fs_u8(s, 0x90); /* SUBACK */
	fs_u8(s, 3);
	fs_be16(s, 1);
	fs_u8(s, 1);
	fs_end(s);
	for (i = 0; i < 5; i++)
		mqtt_publish(s, 0, "a/b", 300);
	fs_u8(s, 0xd0); /* PINGRESP */
	fs_u8(s, 0);
	fs_end(s);
}

/* ---- NATS ---- */

static void build_nats_rx(struct fs_stream *s)
{
	int i;

	fs_str(s, "CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,"
		  "\"name\":\"nats-bench\",\"lang\":\"go\",\"version\":\"1.31.0\",\"protocol\":1,"
		  "\"echo\":true,\"headers\":true,\"no_responders\":true}\r\n");
	fs_end(s);
	fs_str(s, "PING\r\n");
	fs_end(s);
	fs_str(s, "SUB foo 1\r\n");
	fs_end(s);
	for (i = 0; i < 20; i++) {
		fs_str(s, "PUB bench.subject 128\r\n");
		fs_fill(s, -1, 128);
		fs_str(s, "\r\n");
		fs_end(s);
	}
	fs_str(s, "PUB foo reply.1 11\r\nhello world\r\n");
	fs_end(s);
	fs_str(s, "PUB foo 0\r\n\r\n");
	fs_end(s);
	/* digits inside the payload or subject do not matter */
	fs_str(s, "pub 12.34 5\r\n1 2 3\r\n");
	fs_end(s);
	fs_str(s, "HPUB foo 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\n");
	fs_end(s);
	fs_str(s, "HPUB foo reply 22 22\r\nNATS/1.0\r\nBar: Baz\r\n\r\n\r\n");
	fs_end(s);
	fs_str(s, "UNSUB 1 10\r\n");
	fs_end(s);
	fs_str(s, "PONG\r\n");
	fs_end(s);
}

static void build_nats_tx(struct fs_stream *s)
{
	int i;

	/* a long INFO line */
	fs_str(s, "INFO {\"server_id\":\"NDJ4\",\"version\":\"2.9.20\",\"connect_urls\":[");
	for (i = 0; i < 150; i++)
		fs_fmt(s, "%s\"10.0.%d.%d:4222\"", i ? "," : "", i / 250, i % 250);
	fs_str(s, "],\"max_payload\":1048576}\r\n");
	fs_end(s);
	fs_str(s, "+OK\r\n");
	fs_end(s);
	fs_str(s, "PONG\r\n");
	fs_end(s);
	for (i = 0; i < 10; i++) {
		fs_str(s, "MSG foo 1 5\r\nhello\r\n");
		fs_end(s);
	}
	fs_str(s, "MSG foo 1 reply.2 11\r\nhello world\r\n");
	fs_end(s);
	fs_str(s, "HMSG foo 1 reply 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\n");
	fs_end(s);
	fs_str(s, "-ERR 'Unknown Protocol Operation'\r\n");
	fs_end(s);
	fs_str(s, "PING\r\n");
	fs_end(s);
}

/* ---- Kafka ---- */

static void kafka_request(struct fs_stream *s, unsigned key, unsigned ver, __u32 corr, size_t body)
{
	fs_be32(s, (__u32)(2 + 2 + 4 + 2 + 9 + body));
	fs_be16(s, key);
	fs_be16(s, ver);
	fs_be32(s, corr);
	fs_be16(s, 9);
	fs_str(s, "producer1");
	fs_fill(s, 0, body);
	fs_end(s);
}

static void build_kafka_rx(struct fs_stream *s)
{
	__u32 corr = 1;
	int i;

	kafka_request(s, 18, 3, corr++, 20); /* ApiVersions */
	kafka_request(s, 3, 9, corr++, 30);  /* Metadata */
	for (i = 0; i < 10; i++)
		kafka_request(s, 0, 9, corr++, 5000); /* Produce */
	kafka_request(s, 1, 12, corr++, 100);	      /* Fetch */
}

static void build_kafka_tx(struct fs_stream *s)
{
	__u32 corr;

	for (corr = 1; corr <= 13; corr++) {
		size_t body = corr == 13 ? 70000 : 40;

		fs_be32(s, (__u32)(4 + body));
		fs_be32(s, corr);
		fs_fill(s, 0, body);
		fs_end(s);
	}
}

/* ---- AMQP 0-9-1 ---- */

static void amqp_frame(struct fs_stream *s, unsigned type, unsigned ch, const void *p, size_t n)
{
	fs_u8(s, type);
	fs_be16(s, ch);
	fs_be32(s, (__u32)n);
	if (n)
		fs_put(s, p, n);
	fs_u8(s, 0xce);
}

static void amqp_method(struct fs_stream *s, unsigned ch, unsigned cls, unsigned meth, size_t args)
{
	struct fs_stream m = {0};

	fs_be16(&m, cls);
	fs_be16(&m, meth);
	fs_fill(&m, 0, args);
	amqp_frame(s, 1, ch, m.p, m.len);
	fs_free(&m);
}

static void amqp_content(struct fs_stream *s, unsigned ch, __u64 body, int frames)
{
	struct fs_stream h = {0};
	__u64 left = body;
	int i;

	fs_be16(&h, 60);
	fs_be16(&h, 0);
	fs_be64(&h, body);
	fs_be16(&h, 0x9000); /* properties: content-type, delivery-mode */
	fs_u8(&h, 10);
	fs_str(&h, "text/plain");
	fs_u8(&h, 2);
	amqp_frame(s, 2, ch, h.p, h.len);
	for (i = 0; i < frames; i++) {
		size_t n = i == frames - 1 ? left : body / frames;
		struct fs_stream b = {0};

		fs_fill(&b, 'm', n);
		amqp_frame(s, 3, ch, b.p, b.len);
		fs_free(&b);
		left -= n;
	}
	fs_free(&h);
}

static void build_amqp_rx(struct fs_stream *s)
{
	fs_put(s, "AMQP\0\0\x09\x01", 8);
	amqp_method(s, 0, 10, 11, 200); /* Connection.Start-Ok */
	fs_end(s);
	amqp_method(s, 0, 10, 31, 8); /* Tune-Ok */
	fs_end(s);
	amqp_method(s, 0, 10, 40, 3); /* Open */
	fs_end(s);
	amqp_method(s, 1, 20, 10, 1); /* Channel.Open */
	fs_end(s);
	amqp_method(s, 1, 60, 40, 12); /* Basic.Publish, a body in 2 frames */
	amqp_content(s, 1, 300, 2);
	fs_end(s);
	amqp_frame(s, 8, 0, NULL, 0);  /* heartbeat: no message */
	amqp_method(s, 1, 60, 40, 12); /* Basic.Publish, empty body */
	amqp_content(s, 1, 0, 0);
	fs_end(s);
	amqp_method(s, 1, 60, 40, 12); /* Basic.Publish, 1 frame */
	amqp_content(s, 1, 5, 1);
	fs_end(s);
	amqp_method(s, 1, 20, 40, 10); /* Channel.Close */
	fs_end(s);
	amqp_method(s, 0, 10, 50, 10); /* Connection.Close */
	fs_end(s);
}

static void build_amqp_tx(struct fs_stream *s)
{
	amqp_method(s, 0, 10, 10, 400); /* Connection.Start */
	fs_end(s);
	amqp_method(s, 0, 10, 30, 8); /* Tune */
	fs_end(s);
	amqp_method(s, 0, 10, 41, 1); /* Open-Ok */
	fs_end(s);
	amqp_method(s, 1, 20, 11, 4); /* Channel.Open-Ok */
	fs_end(s);
	amqp_method(s, 1, 60, 60, 30); /* Basic.Deliver */
	amqp_content(s, 1, 100, 1);
	fs_end(s);
	amqp_frame(s, 8, 0, NULL, 0);
	amqp_method(s, 1, 60, 71, 30); /* Basic.Get-Ok, 3 body frames */
	amqp_content(s, 1, 9000, 3);
	fs_end(s);
	amqp_method(s, 1, 60, 72, 1); /* Basic.Get-Empty */
	fs_end(s);
	amqp_method(s, 0, 10, 51, 0); /* Close-Ok */
	fs_end(s);
}

/* ---- every stream ---- */

#define FS_MAX 64

static struct fs_stream *fs_new(struct fs_stream *all, int *n, const char *name, __u8 proto,
				__u8 dir)
{
	struct fs_stream *s = &all[(*n)++];

	if (*n > FS_MAX)
		abort();
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->proto = proto;
	s->dir = dir;
	return s;
}

/* the streams that must frame without error; big adds the multi-MB ones */
static int fs_build_good(struct fs_stream *all, int big)
{
	int n = 0;

	build_resp_benchmark(fs_new(all, &n, "resp-set-p16", ST_PROTO_RESP, ST_DIR_RX), "SET");
	build_resp_benchmark(fs_new(all, &n, "resp-get-p16", ST_PROTO_RESP, ST_DIR_RX), "GET");
	build_resp_benchmark(fs_new(all, &n, "resp-xadd-p16", ST_PROTO_RESP, ST_DIR_RX), "XADD");
	build_resp_rx_mixed(fs_new(all, &n, "resp-rx-mixed", ST_PROTO_RESP, ST_DIR_RX));
	build_resp_tx(fs_new(all, &n, "resp-tx", ST_PROTO_RESP, ST_DIR_TX));
	build_pg_rx_simple(fs_new(all, &n, "pg-rx-simple", ST_PROTO_POSTGRES, ST_DIR_RX));
	build_pg_rx_extended(fs_new(all, &n, "pg-rx-extended", ST_PROTO_POSTGRES, ST_DIR_RX));
	build_pg_rx_cancel(fs_new(all, &n, "pg-rx-cancel", ST_PROTO_POSTGRES, ST_DIR_RX));
	build_pg_tx(fs_new(all, &n, "pg-tx", ST_PROTO_POSTGRES, ST_DIR_TX));
	build_http_rx_pipeline(fs_new(all, &n, "http-rx-pipeline", ST_PROTO_HTTP1, ST_DIR_RX));
	build_http_rx_chunked(fs_new(all, &n, "http-rx-chunked", ST_PROTO_HTTP1, ST_DIR_RX));
	build_http_tx(fs_new(all, &n, "http-tx", ST_PROTO_HTTP1, ST_DIR_TX));
	build_mqtt_rx(fs_new(all, &n, "mqtt-rx", ST_PROTO_MQTT, ST_DIR_RX), 0);
	if (big)
		build_mqtt_rx(fs_new(all, &n, "mqtt-rx-4byte-len", ST_PROTO_MQTT, ST_DIR_RX), 1);
	build_mqtt_rx_v5(fs_new(all, &n, "mqtt-rx-v5", ST_PROTO_MQTT, ST_DIR_RX));
	build_mqtt_tx(fs_new(all, &n, "mqtt-tx", ST_PROTO_MQTT, ST_DIR_TX));
	build_nats_rx(fs_new(all, &n, "nats-rx", ST_PROTO_NATS, ST_DIR_RX));
	build_nats_tx(fs_new(all, &n, "nats-tx", ST_PROTO_NATS, ST_DIR_TX));
	build_kafka_rx(fs_new(all, &n, "kafka-rx", ST_PROTO_KAFKA, ST_DIR_RX));
	build_kafka_tx(fs_new(all, &n, "kafka-tx", ST_PROTO_KAFKA, ST_DIR_TX));
	build_amqp_rx(fs_new(all, &n, "amqp-rx", ST_PROTO_AMQP, ST_DIR_RX));
	build_amqp_tx(fs_new(all, &n, "amqp-tx", ST_PROTO_AMQP, ST_DIR_TX));
	return n;
}

/* streams whose last bytes must give ST_FR_ERR (after the messages before) */
static int fs_build_bad(struct fs_stream *all)
{
	static const char *const set[] = {"SET", "k", "v"};
	struct fs_stream *s;
	int n = 0;

	s = fs_new(all, &n, "resp-rx-int-in-array", ST_PROTO_RESP, ST_DIR_RX);
	resp_cmd(s, 3, set);
	fs_str(s, "*2\r\n$3\r\nGET\r\n:1\r\n");
	s = fs_new(all, &n, "resp-tx-unknown-type", ST_PROTO_RESP, ST_DIR_TX);
	fs_str(s, "+OK\r\n");
	fs_end(s);
	fs_str(s, "?garbage\r\n");
	s = fs_new(all, &n, "resp-tx-depth5", ST_PROTO_RESP, ST_DIR_TX);
	fs_str(s, "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n");
	s = fs_new(all, &n, "resp-tx-streamed", ST_PROTO_RESP, ST_DIR_TX);
	fs_str(s, "$?\r\n;4\r\nHell\r\n;0\r\n");
	s = fs_new(all, &n, "resp-tx-cr-no-lf", ST_PROTO_RESP, ST_DIR_TX);
	fs_str(s, ":12\rx");
	s = fs_new(all, &n, "resp-rx-inline-64k", ST_PROTO_RESP, ST_DIR_RX);
	fs_fill(s, 'a', 70000);
	s = fs_new(all, &n, "resp-rx-bad-len", ST_PROTO_RESP, ST_DIR_RX);
	fs_str(s, "*1\r\n$abc\r\n");
	s = fs_new(all, &n, "pg-rx-bad-type", ST_PROTO_POSTGRES, ST_DIR_RX);
	pg_startup(s);
	pg_query(s, "SELECT 1;");
	fs_end(s);
	fs_u8(s, 'Y');
	s = fs_new(all, &n, "pg-rx-short-len", ST_PROTO_POSTGRES, ST_DIR_RX);
	pg_startup(s);
	fs_u8(s, 'Q');
	fs_be32(s, 2);
	s = fs_new(all, &n, "pg-rx-bad-code", ST_PROTO_POSTGRES, ST_DIR_RX);
	fs_be32(s, 16);
	fs_be32(s, 12345678);
	s = fs_new(all, &n, "pg-rx-long-startup", ST_PROTO_POSTGRES, ST_DIR_RX);
	fs_be32(s, 20000);
	s = fs_new(all, &n, "pg-tx-tls", ST_PROTO_POSTGRES, ST_DIR_TX);
	fs_u8(s, 'S');
	fs_end(s);
	fs_put(s, "\x16\x03\x03\x00\x7a", 5);
	s = fs_new(all, &n, "http-rx-line-8k", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_str(s, "GET /");
	fs_fill(s, 'x', 9000);
	s = fs_new(all, &n, "http-rx-header-8k", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_str(s, "GET / HTTP/1.1\r\nCookie: ");
	fs_fill(s, 'x', 9000);
	s = fs_new(all, &n, "http-rx-http2", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_str(s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	s = fs_new(all, &n, "http-rx-bad-cl", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_str(s, "GET / HTTP/1.1\r\n\r\n");
	fs_end(s);
	fs_str(s, "POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n");
	s = fs_new(all, &n, "http-rx-bad-chunk", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_str(s, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	s = fs_new(all, &n, "http-rx-binary", ST_PROTO_HTTP1, ST_DIR_RX);
	fs_put(s, "\x16\x03\x01\x02\x00", 5);
	s = fs_new(all, &n, "http-tx-until-close", ST_PROTO_HTTP1, ST_DIR_TX);
	fs_str(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	fs_end(s);
	fs_str(s, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
	s = fs_new(all, &n, "http-tx-bad-status", ST_PROTO_HTTP1, ST_DIR_TX);
	fs_str(s, "HTTP/1.1 2x0 OK\r\n");
	s = fs_new(all, &n, "mqtt-5-byte-len", ST_PROTO_MQTT, ST_DIR_RX);
	mqtt_publish(s, 0, "t", 3);
	fs_put(s, "\x30\xff\xff\xff\xff\x01", 6);
	s = fs_new(all, &n, "mqtt-type-0", ST_PROTO_MQTT, ST_DIR_RX);
	fs_put(s, "\x00\x00", 2);
	s = fs_new(all, &n, "mqtt-subscribe-flags", ST_PROTO_MQTT, ST_DIR_RX);
	fs_put(s, "\x80\x02\x00\x01", 4);
	s = fs_new(all, &n, "mqtt-qos3", ST_PROTO_MQTT, ST_DIR_TX);
	fs_put(s, "\x36\x02\x00\x01", 4);
	s = fs_new(all, &n, "nats-unknown-op", ST_PROTO_NATS, ST_DIR_RX);
	fs_str(s, "PING\r\n");
	fs_end(s);
	fs_str(s, "FOO bar\r\n");
	s = fs_new(all, &n, "nats-pub-no-size", ST_PROTO_NATS, ST_DIR_RX);
	fs_str(s, "PUB foo bar\r\n");
	s = fs_new(all, &n, "nats-line-64k", ST_PROTO_NATS, ST_DIR_TX);
	fs_str(s, "INFO {");
	fs_fill(s, 'x', 70000);
	s = fs_new(all, &n, "nats-long-op", ST_PROTO_NATS, ST_DIR_RX);
	fs_str(s, "SUBSCRIBEX foo 1\r\n");
	s = fs_new(all, &n, "kafka-negative", ST_PROTO_KAFKA, ST_DIR_RX);
	kafka_request(s, 18, 3, 1, 10);
	fs_be32(s, 0xffffffff);
	s = fs_new(all, &n, "kafka-zero", ST_PROTO_KAFKA, ST_DIR_TX);
	fs_be32(s, 0);
	s = fs_new(all, &n, "kafka-200mb", ST_PROTO_KAFKA, ST_DIR_RX);
	fs_be32(s, 200u << 20);
	s = fs_new(all, &n, "amqp-bad-header", ST_PROTO_AMQP, ST_DIR_RX);
	fs_put(s, "AMQP\0\0\x09\x02", 8);
	s = fs_new(all, &n, "amqp-bad-frame-end", ST_PROTO_AMQP, ST_DIR_RX);
	fs_put(s, "AMQP\0\0\x09\x01", 8);
	amqp_method(s, 0, 10, 11, 20);
	fs_end(s);
	fs_put(s, "\x01\x00\x00\x00\x00\x00\x04\x00\x0a\x00\x1f\x00", 12);
	s = fs_new(all, &n, "amqp-body-without-method", ST_PROTO_AMQP, ST_DIR_TX);
	amqp_frame(s, 3, 1, "abc", 3);
	s = fs_new(all, &n, "amqp-bad-type", ST_PROTO_AMQP, ST_DIR_TX);
	amqp_method(s, 0, 10, 10, 4);
	fs_end(s);
	fs_u8(s, 5);
	s = fs_new(all, &n, "amqp-body-too-long", ST_PROTO_AMQP, ST_DIR_TX);
	amqp_method(s, 1, 60, 60, 30);
	amqp_content(s, 1, 10, 0);
	amqp_frame(s, 3, 1, "0123456789ab", 12);
	return n;
}

/* ---- detection cases: first bytes and what they are ---- */

struct fs_detect_case {
	const char *what;
	const char *b;
	__u32 len;
	int dir, at_start;
	__u8 want;
};

#define D(what, s, dir, start, want)                     \
	{                                                \
		what, s, sizeof(s) - 1, dir, start, want \
	}

static const struct fs_detect_case fs_detect_cases[] = {
	/* client streams from their first byte */
	D("redis array", "*3\r\n$3\r\nSET\r\n", ST_DIR_RX, 1, ST_PROTO_RESP),
	D("redis inline", "PING\r\n", ST_DIR_RX, 1, ST_PROTO_RESP),
	D("redis inline lower", "set foo bar\r\n", ST_DIR_RX, 1, ST_PROTO_RESP),
	D("redis inline GET key", "GET foo\r\n", ST_DIR_RX, 1, ST_PROTO_RESP),
	D("one star", "*", ST_DIR_RX, 1, ST_PROTO_NONE),
	D("a word so far", "PI", ST_DIR_RX, 1, ST_PROTO_NONE),
	D("pg startup", "\0\0\0\x54\0\3\0\0user\0postgres", ST_DIR_RX, 1, ST_PROTO_POSTGRES),
	D("pg ssl request", "\0\0\0\x08\x04\xd2\x16\x2f", ST_DIR_RX, 1, ST_PROTO_POSTGRES),
	D("pg gssenc request", "\0\0\0\x08\x04\xd2\x16\x30", ST_DIR_RX, 1, ST_PROTO_POSTGRES),
	D("pg cancel", "\0\0\0\x10\x04\xd2\x16\x2e\0\0\x10\x92", ST_DIR_RX, 1, ST_PROTO_POSTGRES),
	D("pg half a startup", "\0\0\0\x54", ST_DIR_RX, 1, ST_PROTO_NONE),
	D("kafka api versions", "\0\0\0\x21\0\x12\0\3\0\0\0\1\0\x09prod", ST_DIR_RX, 1,
	  ST_PROTO_KAFKA),
	D("kafka produce", "\0\0\x13\x88\0\0\0\x09\0\0\0\7", ST_DIR_RX, 1, ST_PROTO_KAFKA),
	D("binary, bad api key", "\0\0\0\x21\x12\x34\0\3\0\0\0\1", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("mqtt connect", "\x10\x14\0\4MQTT\4\2\0\x3c", ST_DIR_RX, 1, ST_PROTO_MQTT),
	D("mqtt 3.1 connect", "\x10\x16\0\6MQIsdp\3\2", ST_DIR_RX, 1, ST_PROTO_MQTT),
	D("mqtt 2-byte length", "\x10\x86\x01\0\4MQTT\5", ST_DIR_RX, 1, ST_PROTO_MQTT),
	D("mqtt connect so far", "\x10\x14\0\4MQ", ST_DIR_RX, 1, ST_PROTO_NONE),
	D("not mqtt", "\x10\x14\0\4XXXX", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("nats connect", "CONNECT {\"verbose\":false}\r\n", ST_DIR_RX, 1, ST_PROTO_NATS),
	D("nats pub", "PUB foo 5\r\nhello\r\n", ST_DIR_RX, 1, ST_PROTO_NATS),
	D("nats sub", "SUB foo 1\r\n", ST_DIR_RX, 1, ST_PROTO_NATS),
	D("http get", "GET / HTTP/1.1\r\nHost: x\r\n", ST_DIR_RX, 1, ST_PROTO_HTTP1),
	D("http post", "POST /api HTTP/1.1\r\n", ST_DIR_RX, 1, ST_PROTO_HTTP1),
	D("http options *", "OPTIONS * HTTP/1.1\r\n", ST_DIR_RX, 1, ST_PROTO_HTTP1),
	D("http proxy", "GET http://x/ HTTP/1.1\r\n", ST_DIR_RX, 1, ST_PROTO_HTTP1),
	D("http connect", "CONNECT example.com:443 HTTP/1.1\r\n", ST_DIR_RX, 1, ST_PROTO_HTTP1),
	D("http get so far", "GET ", ST_DIR_RX, 1, ST_PROTO_NONE),
	D("amqp", "AMQP\0\0\x09\x01", ST_DIR_RX, 1, ST_PROTO_AMQP),
	D("http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ST_DIR_RX, 1,
	  ST_PROTO_TURN),
	D("ssh", "SSH-2.0-OpenSSH_9.2p1\r\n", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("a long word", "abcdefghijklmnopqrstuvwxyz", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("binary", "\xde\xad\xbe\xef\x01\x02\x03\x04\x05", ST_DIR_RX, 1, ST_PROTO_TURN),
	D("nothing", "", ST_DIR_RX, 1, ST_PROTO_NONE),
	/* server streams from their first byte */
	D("http response", "HTTP/1.1 200 OK\r\n", ST_DIR_TX, 1, ST_PROTO_HTTP1),
	D("redis +OK", "+OK\r\n", ST_DIR_TX, 1, ST_PROTO_RESP),
	D("redis bulk", "$5\r\nhello\r\n", ST_DIR_TX, 1, ST_PROTO_RESP),
	D("redis error", "-ERR unknown\r\n", ST_DIR_TX, 1, ST_PROTO_RESP),
	D("redis resp3 map", "%1\r\n+a\r\n:1\r\n", ST_DIR_TX, 1, ST_PROTO_RESP),
	D("one plus", "+", ST_DIR_TX, 1, ST_PROTO_NONE),
	D("nats info", "INFO {\"server_id\":\"x\"}\r\n", ST_DIR_TX, 1, ST_PROTO_NATS),
	D("mqtt connack", "\x20\x02\0\0", ST_DIR_TX, 1, ST_PROTO_MQTT),
	D("mqtt 5 connack", "\x20\x03\0\0\0", ST_DIR_TX, 1, ST_PROTO_MQTT),
	D("pg ssl refused", "N", ST_DIR_TX, 1, ST_PROTO_POSTGRES),
	D("pg auth ok", "R\0\0\0\x08\0\0\0\0S\0\0\0\x16", ST_DIR_TX, 1, ST_PROTO_POSTGRES),
	D("pg auth sasl", "R\0\0\0\x17\0\0\0\x0aSCRAM", ST_DIR_TX, 1, ST_PROTO_POSTGRES),
	D("amqp connection.start", "\1\0\0\0\0\1\x90\0\x0a\0\x0a\0\x09", ST_DIR_TX, 1,
	  ST_PROTO_AMQP),
	D("kafka response: not told", "\0\0\0\x2c\0\0\0\1\0\0", ST_DIR_TX, 1, ST_PROTO_TURN),
	D("smtp greeting", "220 mail ESMTP\r\n", ST_DIR_TX, 1, ST_PROTO_TURN),
	/* mid-stream: only strong signatures */
	D("mid redis array", "*3\r\n$3\r\nSET\r\n", ST_DIR_RX, 0, ST_PROTO_RESP),
	D("mid redis many digits", "*12\r\n$4\r\nMSET", ST_DIR_RX, 0, ST_PROTO_RESP),
	D("mid array of ints", "*3\r\n:1\r\n", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid bulk", "$3\r\nfoo\r\n", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid inline", "PING\r\n", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid http", "GET /a HTTP/1.1\r\n", ST_DIR_RX, 0, ST_PROTO_HTTP1),
	D("mid nats pub", "PUB foo 5\r\nhello\r\n", ST_DIR_RX, 0, ST_PROTO_NATS),
	D("mid pg query", "Q\0\0\0\x0eSELECT 1;\0", ST_DIR_RX, 0, ST_PROTO_POSTGRES),
	D("mid pg query long", "Q\0\0\0\x40SELECT abalance ", ST_DIR_RX, 0, ST_PROTO_POSTGRES),
	D("mid pg query bad end", "Q\0\0\0\x0eSELECT 1;x", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid Q garbage", "Q\x7f\x01\x02\x03zzzz", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid mqtt publish", "\x30\x0e\0\x0csensors/temp", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid kafka", "\0\0\x13\x88\0\0\0\x09\0\0\0\7", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid pg startup", "\0\0\0\x54\0\3\0\0user\0postgres", ST_DIR_RX, 0, ST_PROTO_TURN),
	D("mid http response", "HTTP/1.1 200 OK\r\n", ST_DIR_TX, 0, ST_PROTO_HTTP1),
	D("mid nats msg", "MSG foo 1 5\r\nhello\r\n", ST_DIR_TX, 0, ST_PROTO_NATS),
	D("mid +OK", "+OK\r\n", ST_DIR_TX, 0, ST_PROTO_TURN),
	D("mid redis array reply", "*2\r\n$3\r\nfoo\r\n", ST_DIR_TX, 0, ST_PROTO_RESP),
	D("mid star so far", "*2\r", ST_DIR_TX, 0, ST_PROTO_NONE),
};

#undef D
#define FS_NDETECT (sizeof(fs_detect_cases) / sizeof(fs_detect_cases[0]))

/* ---- the user-space driver ---- */

struct fs_result {
	size_t msgs;
	int err;
	size_t err_at; /* offset of the byte that gave ST_FR_ERR */
	size_t *ends;  /* as fs_stream.ends; NULL: only count */
	size_t ends_cap;
	size_t steps; /* st_frame_step() calls: the work */
};

/* 1: drive with st_frame_step8() (up to 8 header bytes a step), 0: with
 * st_frame_step() (one byte a step); both must give the same results */
static int fs_step8 = 1;

/* one read of p[0..len) at stream offset base; returns 0 once ERR was seen */
static int fs_feed(struct st_frame *f, const __u8 *p, size_t len, size_t base, struct fs_result *r)
{
	size_t pos = 0;

	if (r->err)
		return 0;
	while (pos < len) {
		size_t avail = len - pos, k;
		__u32 a = avail > 0xffffffffu ? 0xffffffffu : (__u32)avail, n;
		__u64 w = 0;
		int res;

		if (fs_step8 && !f->skip && st_frame_wordwise(f)) {
			for (k = 0; k < 8 && k < avail; k++) /* only bytes of this read */
				w |= (__u64)p[pos + k] << (8 * k);
			n = st_frame_step8(f, w, a, &res);
		} else {
			n = st_frame_step(f, p[pos], a, &res);
		}

		r->steps++;
		if (res == ST_FR_ERR) {
			r->err = 1;
			r->err_at = base + pos;
			return 0;
		}
		pos += n;
		if (res == ST_FR_END) {
			if (r->ends && r->msgs < r->ends_cap)
				r->ends[r->msgs] = base + pos;
			r->msgs++;
		}
	}
	return 1;
}

/* ---- real captures (scripts/capture-framing.py) ---- */

static __u8 fs_proto_by_name(const char *name)
{
	static const char *const names[] = {"",	    "resp", "postgres", "http1",
					    "mqtt", "nats", "kafka",	"amqp"};
	__u8 i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return i;
	return ST_PROTO_NONE;
}

static int fs_read_file(const char *path, struct fs_stream *s)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fs_put(s, buf, n);
	fclose(f);
	return 0;
}

/* Every non-empty capture file of the cases in dir/TRUTH, one stream per
 * connection and direction, with the message ends of a user-space run (the
 * unit test checks those counts against TRUTH; this is for comparing other
 * runs of the same code, such as the kernel's, with user space). */
static int fs_load_captures(const char *dir, struct fs_stream *all, int max)
{
	static char names[FS_MAX][128];
	char path[600], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/TRUTH", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[64], proto[16];
		int k, d;

		if (sscanf(line, "%63s %15s", name, proto) != 2)
			continue;
		for (k = 1;; k++) {
			int found = 0;

			for (d = ST_DIR_RX; d <= ST_DIR_TX; d++) {
				struct fs_stream *s;
				struct st_frame fr;
				struct fs_result r = {0};

				if (n >= max || n >= FS_MAX)
					break;
				s = &all[n];
				memset(s, 0, sizeof(*s));
				snprintf(path, sizeof(path), "%s/%s-%d.%s", dir, name, k,
					 d == ST_DIR_RX ? "rx" : "tx");
				if (fs_read_file(path, s) < 0)
					continue;
				found = 1;
				if (s->len == 0) {
					fs_free(s);
					continue;
				}
				snprintf(names[n], sizeof(names[n]), "%s-%d.%s", name, k,
					 d == ST_DIR_RX ? "rx" : "tx");
				s->name = names[n];
				s->proto = fs_proto_by_name(proto);
				s->dir = (__u8)d;
				st_frame_init(&fr, s->proto, d);
				r.ends_cap = 1u << 20;
				r.ends = calloc(r.ends_cap, sizeof(*r.ends));
				if (!r.ends)
					abort();
				fs_feed(&fr, s->p, s->len, 0, &r);
				s->ends = r.ends;
				s->nends = s->ends_cap = r.msgs;
				s->want_err = r.err;
				n++;
			}
			if (!found)
				break;
		}
	}
	fclose(f);
	return n;
}

#endif /* STREAMTRACE_FRAMING_STREAMS_H */
