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

/*
 * What one client cannot take from the others (issue 16). A connection is
 * refused (accepted and closed at once) when its client already holds
 * HTTP_SERVER_PER_CLIENT connections (a client: an IPv4 address, or an IPv6
 * /64, the least a host gets) or when HTTP_SERVER_MAX_CONNECTIONS are open.
 * A connection has HTTP_SERVER_REQUEST_S seconds to send a whole request
 * (TLS handshake included) and then, between requests, as long again before
 * it is closed; an answer has HTTP_SERVER_RESPONSE_S seconds to be sent.
 * Requests are bounded by HTTP_SERVER_REQUEST_BYTES (libmicrohttpd answers
 * 431 beyond). One polling thread (epoll) serves every connection without
 * blocking on any of them.
 */
#define HTTP_SERVER_MAX_CONNECTIONS 512
#define HTTP_SERVER_PER_CLIENT	    16
#define HTTP_SERVER_REQUEST_S	    3
#define HTTP_SERVER_RESPONSE_S	    10
#define HTTP_SERVER_REQUEST_BYTES   32768
/* the old name of the idle bound, for callers that printed it */
#define HTTP_SERVER_TIMEOUT_S HTTP_SERVER_REQUEST_S

struct http_server;

struct http_server_stats {
	uint64_t ok;	      /* 200: GET or HEAD /metrics */
	uint64_t not_found;   /* 404: any other path */
	uint64_t bad_method;  /* 405: another method on /metrics */
	uint64_t unavailable; /* 503: /metrics before the first publish */
	/* issue 16: connections, and answers to bad credentials */
	uint64_t unauthorized;	     /* 401: basic auth missing or wrong */
	uint64_t accepted;	     /* connections taken on */
	uint64_t refused_per_client; /* refused: the client held its share */
	uint64_t refused_full;	     /* refused: HTTP_SERVER_MAX_CONNECTIONS open */
	uint64_t timeout_request;    /* closed: no whole request in time */
	uint64_t timeout_response;   /* closed: the answer not sent in time */
	uint64_t timeout_idle;	     /* closed: idle after an answer (normal) */
	uint64_t open;		     /* connections open now */
};

struct web_config;

/*
 * Parse "ADDR:PORT", ":PORT", "PORT" or "[IPV6]:PORT" (no address: 127.0.0.1;
 * ADDR may be a host name). PORT 0 picks a free port. Fills a sockaddr of
 * *len bytes at most. 0, or -1 with a one-line reason in err.
 */
int http_server_parse_addr(const char *addr_port, void *sockaddr, unsigned *len, char *err,
			   size_t errlen);

/* Listen on addr_port and serve. NULL with a one-line reason in err on failure. */
struct http_server *http_server_start(const char *addr_port, char *err, size_t errlen);

/*
 * The same with a web config (web_config.h): TLS and basic auth, NULL for
 * neither. wc must outlive the server. On failure errno is EINVAL for a bad
 * address, EPROTO when the TLS material was refused, other values for the
 * rest.
 */
struct http_server *http_server_start_web(const char *addr_port, struct web_config *wc, char *err,
					  size_t errlen);

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
