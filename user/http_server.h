/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The `--listen` endpoint: GET /metrics over HTTP, served by libmicrohttpd's
 * own thread from the latest text the tracer published. The tracer thread
 * only swaps a buffer under a mutex once per interval; requests take a
 * reference to the current buffer and never wait for the tracer, and the
 * tracer never waits for a client, however slow or many.
 */
#ifndef ST_HTTP_SERVER_H
#define ST_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* At most this many connections at once; idle ones are closed after the timeout. */
#define HTTP_SERVER_MAX_CONNECTIONS 32
#define HTTP_SERVER_TIMEOUT_S	    10

struct http_server;

struct http_server_stats {
	uint64_t ok;	      /* 200: GET or HEAD /metrics */
	uint64_t not_found;   /* 404: any other path */
	uint64_t bad_method;  /* 405: another method on /metrics */
	uint64_t unavailable; /* 503: /metrics before the first publish */
};

/*
 * Parse "ADDR:PORT", ":PORT", "PORT" or "[IPV6]:PORT" (no address: 127.0.0.1;
 * ADDR may be a host name). PORT 0 picks a free port. Fills a sockaddr of
 * *len bytes at most. 0, or -1 with a one-line reason in err.
 */
int http_server_parse_addr(const char *addr_port, void *sockaddr, unsigned *len, char *err,
			   size_t errlen);

/* Listen on addr_port and serve. NULL with a one-line reason in err on failure. */
struct http_server *http_server_start(const char *addr_port, char *err, size_t errlen);

/* The port listened on (useful after port 0). */
unsigned http_server_port(const struct http_server *srv);

/*
 * Serve body (copied) from now on. Cheap and never blocked by clients: the
 * previous text is freed when its last reader is done. 0, or -1 (ENOMEM).
 */
int http_server_publish(struct http_server *srv, const char *body, size_t len);

/* Requests answered so far, by status. */
void http_server_stats(const struct http_server *srv, struct http_server_stats *st);

/* Stop serving, close every connection, free everything (NULL is fine). */
void http_server_stop(struct http_server *srv);

#endif
