// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The `--listen` HTTP endpoint on libmicrohttpd (Debian's libmicrohttpd-dev):
 * GET /metrics answers the latest published exposition, other paths 404,
 * other methods on /metrics 405. MHD runs its own polling thread with
 * non-blocking sockets, a connection limit and an idle timeout, so a slow or
 * stuck client holds at most one connection slot for a while; the tracer
 * thread's only contact is http_server_publish(), a pointer swap under a
 * mutex. Published texts are refcounted: a response being sent keeps its
 * text alive after the next publish. A gzip copy is made once per text, on
 * the first request that accepts it (Prometheus does), in the MHD thread.
 *
 * Built with -DST_NO_MICROHTTPD (the fully static build: Debian's
 * libmicrohttpd.a needs GnuTLS, whose p11-kit has no static library), only
 * the address parser is real and http_server_start() says --listen is not
 * available in this build.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "errbuf.h"
#include "http_server.h"
#include "web_config.h"

#ifndef ST_NO_MICROHTTPD
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <zlib.h>

#include <dlfcn.h>

#if MHD_VERSION < 0x00097302
#error "libmicrohttpd >= 0.9.73 needed (MHD_create_response_from_buffer_with_free_callback_cls)"
#endif

/*
 * libmicrohttpd is opened only when --listen asks for it: linked in, it and
 * the GnuTLS it pulls along cost every run ~4 MB of RSS and some start-up
 * time, for a feature most runs do not use. The header gives the types; the
 * calls below go through this table (the macros keep them readable).
 */
static struct {
	void *lib;
	struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					   MHD_AccessHandlerCallback, void *, ...);
	void (*stop_daemon)(struct MHD_Daemon *);
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
							    enum MHD_ResponseMemoryMode);
	struct MHD_Response *(*create_response_from_buffer_with_free_callback_cls)(
		size_t, void *, MHD_ContentReaderFreeCallback, void *);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int,
					  struct MHD_Response *);
	void (*destroy_response)(struct MHD_Response *);
	const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind,
					       const char *);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *,
							       enum MHD_ConnectionInfoType, ...);
} mhd;

/* 0, or -1 with the reason in err. */
static int mhd_open(char *err, size_t errlen)
{
	static const char *const names[] = {
		"MHD_start_daemon",
		"MHD_stop_daemon",
		"MHD_create_response_from_buffer",
		"MHD_create_response_from_buffer_with_free_callback_cls",
		"MHD_add_response_header",
		"MHD_queue_response",
		"MHD_destroy_response",
		"MHD_lookup_connection_value",
		"MHD_get_connection_info",
	};
	void **slots[] = {
		(void **)&mhd.start_daemon,
		(void **)&mhd.stop_daemon,
		(void **)&mhd.create_response_from_buffer,
		(void **)&mhd.create_response_from_buffer_with_free_callback_cls,
		(void **)&mhd.add_response_header,
		(void **)&mhd.queue_response,
		(void **)&mhd.destroy_response,
		(void **)&mhd.lookup_connection_value,
		(void **)&mhd.get_connection_info,
	};

	if (mhd.lib)
		return 0;
	mhd.lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
	if (!mhd.lib) {
		snprintf(err, errlen,
			 "--listen: cannot load libmicrohttpd (install libmicrohttpd12)");
		return -1;
	}
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(mhd.lib, names[i]);
		if (!*slots[i]) {
			snprintf(err, errlen, "--listen: libmicrohttpd lacks %s", names[i]);
			dlclose(mhd.lib);
			mhd.lib = NULL;
			return -1;
		}
	}
	return 0;
}

#define MHD_start_daemon		mhd.start_daemon
#define MHD_stop_daemon			mhd.stop_daemon
#define MHD_create_response_from_buffer mhd.create_response_from_buffer
#define MHD_create_response_from_buffer_with_free_callback_cls \
	mhd.create_response_from_buffer_with_free_callback_cls
#define MHD_add_response_header	    mhd.add_response_header
#define MHD_queue_response	    mhd.queue_response
#define MHD_destroy_response	    mhd.destroy_response
#define MHD_lookup_connection_value mhd.lookup_connection_value
#define MHD_get_connection_info	    mhd.get_connection_info

/*
 * Client certificates: libmicrohttpd only asks for one (GNUTLS_CERT_REQUEST)
 * when given CAs, and never checks it. The session of each new connection is
 * set up here instead, before its handshake: asked for or required, and
 * verified by GnuTLS against the CAs during the handshake, which fails when
 * the check does (as Go's crypto/tls does for exporter-toolkit). GnuTLS is
 * the library libmicrohttpd already loaded; opened only for client_auth_type.
 */
static struct {
	void *lib;
	void (*server_set_request)(gnutls_session_t, gnutls_certificate_request_t);
	void (*set_verify_cert)(gnutls_session_t, const char *, unsigned);
	void (*set_verify_function)(gnutls_session_t, gnutls_certificate_verify_function *);
	const gnutls_datum_t *(*get_peers)(gnutls_session_t, unsigned *);
	int (*verify_peers2)(gnutls_session_t, unsigned *);
} gtls;

static int gnutls_open(char *err, size_t errlen)
{
	if (gtls.lib)
		return 0;
	gtls.lib = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
	if (gtls.lib) {
		*(void **)&gtls.server_set_request =
			dlsym(gtls.lib, "gnutls_certificate_server_set_request");
		*(void **)&gtls.set_verify_cert = dlsym(gtls.lib, "gnutls_session_set_verify_cert");
		*(void **)&gtls.set_verify_function =
			dlsym(gtls.lib, "gnutls_session_set_verify_function");
		*(void **)&gtls.get_peers = dlsym(gtls.lib, "gnutls_certificate_get_peers");
		*(void **)&gtls.verify_peers2 = dlsym(gtls.lib, "gnutls_certificate_verify_peers2");
	}
	if (!gtls.lib || !gtls.server_set_request || !gtls.set_verify_cert ||
	    !gtls.set_verify_function || !gtls.get_peers || !gtls.verify_peers2) {
		snprintf(err, errlen,
			 "--web-config: client_auth_type needs GnuTLS >= 3.4.6 "
			 "(libgnutls30)");
		return -1;
	}
	return 0;
}

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* Below this size gzip saves too little to be worth it. */
#define GZIP_MIN_BYTES 1024

struct body {
	int refs; /* atomic */
	size_t len;
	pthread_mutex_t gz_lock;
	int gz_done;
	char *gz; /* gzip copy, or NULL when it could not be made */
	size_t gz_len;
	char data[];
};

enum conn_phase {
	PH_REQUEST,  /* connected, no whole request yet */
	PH_RESPONSE, /* a request read, its answer being made or sent */
	PH_IDLE,     /* an answer sent, waiting for the next request */
};

/*
 * One per connection (libmicrohttpd's socket context), in the server's list
 * from NOTIFY_STARTED to NOTIFY_CLOSED. The watchdog shuts a connection down
 * (shutdown(2): libmicrohttpd then sees the end and closes it as usual) when
 * its deadline passes. libmicrohttpd calls NOTIFY_CLOSED before it closes the
 * descriptor, and both sides hold conn_lock, so the watchdog never touches a
 * descriptor number that was closed and reused.
 */
struct conn {
	struct conn *next, *prev;
	int fd;
	unsigned char client[16]; /* the client key: IPv4 address or IPv6 /64 */
	enum conn_phase phase;
	double deadline; /* CLOCK_MONOTONIC seconds */
	int shut;
};

struct http_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* guards cur */
	struct body *cur;
	unsigned port;
	uint64_t count[4]; /* atomic: ok, not found, bad method, unavailable */
	struct web_config *wc;
	/* connections: guarded by conn_lock */
	pthread_mutex_t conn_lock;
	pthread_cond_t wake;
	pthread_t watchdog;
	int watchdog_run, stopping;
	struct conn *conns;
	unsigned n_conns;
	uint64_t conn_count[8]; /* enum conn_counter, under conn_lock */
	uint64_t unauthorized;	/* atomic */
};

enum { C_OK, C_NOT_FOUND, C_BAD_METHOD, C_UNAVAILABLE };
enum conn_counter {
	CC_ACCEPTED,
	CC_REFUSED_PER_CLIENT,
	CC_REFUSED_FULL,
	CC_TIMEOUT_REQUEST,
	CC_TIMEOUT_RESPONSE,
	CC_TIMEOUT_IDLE,
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Who a connection counts against: an IPv4 address (also v4-mapped IPv6), or
 * an IPv6 /64 (one host's usual share, so it cannot take the pool alone). */
static void client_key(const struct sockaddr *sa, unsigned char key[16])
{
	memset(key, 0, 16);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			memcpy(key, a->s6_addr + 12, 4);
		else {
			key[15] = 6; /* never equal to an IPv4 key */
			memcpy(key, a->s6_addr, 8);
		}
	}
}

/* MHD_AcceptPolicyCallback: the limits, counted when they refuse. Runs in
 * the polling thread, as does NOTIFY_STARTED for the same connection right
 * after it, so the counts it reads are exact. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	unsigned char key[16];
	unsigned same = 0;
	enum MHD_Result r = MHD_YES;

	(void)addrlen;
	client_key(addr, key);
	pthread_mutex_lock(&srv->conn_lock);
	for (struct conn *c = srv->conns; c; c = c->next)
		same += !memcmp(c->client, key, 16);
	if (srv->n_conns >= HTTP_SERVER_MAX_CONNECTIONS) {
		srv->conn_count[CC_REFUSED_FULL]++;
		r = MHD_NO;
	} else if (same >= HTTP_SERVER_PER_CLIENT) {
		srv->conn_count[CC_REFUSED_PER_CLIENT]++;
		r = MHD_NO;
	}
	pthread_mutex_unlock(&srv->conn_lock);
	return r;
}

static void conn_set_phase(struct http_server *srv, struct conn *c, enum conn_phase ph)
{
	if (!c)
		return;
	pthread_mutex_lock(&srv->conn_lock);
	c->phase = ph;
	c->deadline =
		mono_now() + (ph == PH_RESPONSE ? HTTP_SERVER_RESPONSE_S : HTTP_SERVER_REQUEST_S);
	pthread_mutex_unlock(&srv->conn_lock);
}

static struct conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* VerifyClientCertIfGiven: no certificate is fine, a certificate must verify
 * (gnutls_session_set_verify_cert alone would also fail the handshake
 * without one). Called by GnuTLS during the handshake; non-zero fails it. */
static int verify_if_given(gnutls_session_t s)
{
	unsigned n = 0, status = 0;

	if (!gtls.get_peers(s, &n) || !n)
		return 0;
	return gtls.verify_peers2(s, &status) || status ? -1 : 0;
}

/* The client certificate policy on a new TLS session, before its handshake. */
static void tls_session_policy(struct http_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;

	if (!srv->wc || !srv->wc->tls || srv->wc->client_auth == WEB_NO_CLIENT_CERT)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	s = ci->tls_session;
	switch (srv->wc->client_auth) {
	case WEB_REQUEST_CLIENT_CERT:
		gtls.server_set_request(s, GNUTLS_CERT_REQUEST);
		break;
	case WEB_REQUIRE_ANY_CLIENT_CERT:
		gtls.server_set_request(s, GNUTLS_CERT_REQUIRE);
		break;
	case WEB_VERIFY_CLIENT_CERT_IF_GIVEN:
		gtls.server_set_request(s, GNUTLS_CERT_REQUEST);
		gtls.set_verify_function(s, verify_if_given);
		break;
	case WEB_REQUIRE_AND_VERIFY_CLIENT_CERT:
		gtls.server_set_request(s, GNUTLS_CERT_REQUIRE);
		gtls.set_verify_cert(s, NULL, 0);
		break;
	case WEB_NO_CLIENT_CERT:
		break;
	}
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		c = calloc(1, sizeof(*c));
		if (!c) {
			/* untracked would mean unbounded: end it now */
			if (fi)
				shutdown(fi->connect_fd, SHUT_RDWR);
			return;
		}
		c->fd = fi ? fi->connect_fd : -1;
		client_key(ai ? ai->client_addr : NULL, c->client);
		c->phase = PH_REQUEST;
		c->deadline = mono_now() + HTTP_SERVER_REQUEST_S;
		tls_session_policy(srv, conn);
		pthread_mutex_lock(&srv->conn_lock);
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		srv->n_conns++;
		srv->conn_count[CC_ACCEPTED]++;
		pthread_mutex_unlock(&srv->conn_lock);
		*socket_context = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
		pthread_mutex_lock(&srv->conn_lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			srv->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		srv->n_conns--;
		pthread_mutex_unlock(&srv->conn_lock);
		free(c);
		*socket_context = NULL;
	}
}

/* MHD_RequestCompletedCallback: an answer is done; the connection idles. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)con_cls;
	(void)toe;
	conn_set_phase(cls, conn_of(conn), PH_IDLE);
}

/* Ends connections past their deadline, every 100 ms. */
static void *watchdog_main(void *arg)
{
	struct http_server *srv = arg;
	static const int counter[] = {CC_TIMEOUT_REQUEST, CC_TIMEOUT_RESPONSE, CC_TIMEOUT_IDLE};

	pthread_mutex_lock(&srv->conn_lock);
	while (!srv->stopping) {
		struct timespec ts;
		double now = mono_now();

		for (struct conn *c = srv->conns; c; c = c->next) {
			if (c->shut || now < c->deadline || c->fd < 0)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->shut = 1;
			srv->conn_count[counter[c->phase]]++;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&srv->wake, &srv->conn_lock, &ts);
	}
	pthread_mutex_unlock(&srv->conn_lock);
	return NULL;
}

static void body_put(struct body *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_destroy(&b->gz_lock);
	free(b->gz);
	free(b);
}

static void body_free_cb(void *cls)
{
	body_put(cls);
}

static struct body *body_get(struct http_server *srv)
{
	struct body *b;

	pthread_mutex_lock(&srv->lock);
	b = srv->cur;
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&srv->lock);
	return b;
}

/* Make the gzip copy once; later callers find it done. */
static void body_gzip(struct body *b)
{
	z_stream z;
	size_t cap;
	char *out;

	pthread_mutex_lock(&b->gz_lock);
	if (b->gz_done)
		goto out;
	b->gz_done = 1;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper, not zlib's */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto out;
	cap = deflateBound(&z, b->len);
	out = malloc(cap);
	if (out) {
		z.next_in = (Bytef *)b->data;
		z.avail_in = (uInt)b->len;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
			b->gz = out;
			b->gz_len = cap - z.avail_out;
		} else {
			free(out);
		}
	}
	deflateEnd(&z);
out:
	pthread_mutex_unlock(&b->gz_lock);
}

/* Does an Accept-Encoding value accept gzip (not with q=0)? */
static int accepts_gzip(const char *v)
{
	while (v && *v) {
		size_t n, t;
		const char *q;

		v += strspn(v, " \t,");
		n = strcspn(v, ",");
		t = strcspn(v, ";, \t");
		if (t == 4 && !strncasecmp(v, "gzip", 4)) {
			q = memchr(v, ';', n);
			if (!q)
				return 1;
			q = strstr(q, "q=");
			return !q || q >= v + n || strtod(q + 2, NULL) > 0;
		}
		v += n;
	}
	return 0;
}

/* http_server_config.headers of the web config, on every answer */
static void add_config_headers(struct http_server *srv, struct MHD_Response *r)
{
	for (unsigned i = 0; srv->wc && i < srv->wc->n_headers; i++)
		MHD_add_response_header(r, srv->wc->headers[i].name, srv->wc->headers[i].value);
}

static enum MHD_Result answer_text(struct http_server *srv, struct MHD_Connection *conn,
				   unsigned status, const char *text, const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"streamtrace\", charset=\"UTF-8\"");
	add_config_headers(srv, r);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_metrics(struct http_server *srv, struct MHD_Connection *conn)
{
	struct body *b = body_get(srv);
	struct MHD_Response *r;
	const char *ae;
	enum MHD_Result ret;
	int gz = 0;

	if (!b) {
		__atomic_add_fetch(&srv->count[C_UNAVAILABLE], 1, __ATOMIC_RELAXED);
		return answer_text(srv, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "no figures yet: the first interval has not ended\n", NULL);
	}
	ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (b->len >= GZIP_MIN_BYTES && accepts_gzip(ae)) {
		body_gzip(b);
		gz = b->gz != NULL;
	}
	/* the response holds our reference and gives it back when sent */
	r = MHD_create_response_from_buffer_with_free_callback_cls(
		gz ? b->gz_len : b->len, gz ? b->gz : b->data, body_free_cb, b);
	if (!r) {
		body_put(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	add_config_headers(srv, r);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	__atomic_add_fetch(&srv->count[C_OK], 1, __ATOMIC_RELAXED);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;

	(void)version;
	(void)upload_data;
	/* MHD calls first with the headers only; answering then makes it close
	 * the connection, so answer on the next call (for a request with a body,
	 * once it has been read: the connection limit and timeout bound that) */
	if (!*con_cls) {
		*con_cls = srv;
		/* the request is in: from now on the answer's deadline */
		conn_set_phase(srv, conn_of(conn), PH_RESPONSE);
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body is never wanted: drop it */
		return MHD_YES;
	}
	/* every path, as exporter-toolkit: nothing is told without the password */
	if (srv->wc && srv->wc->n_users &&
	    web_config_check_basic(srv->wc,
				   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_AUTHORIZATION)) !=
		    WEB_AUTH_OK) {
		__atomic_add_fetch(&srv->unauthorized, 1, __ATOMIC_RELAXED);
		return answer_text(srv, conn, MHD_HTTP_UNAUTHORIZED, "Unauthorized\n", NULL);
	}
	if (strcmp(url, "/metrics")) {
		__atomic_add_fetch(&srv->count[C_NOT_FOUND], 1, __ATOMIC_RELAXED);
		return answer_text(srv, conn, MHD_HTTP_NOT_FOUND,
				   "not found: metrics are at /metrics\n", NULL);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		__atomic_add_fetch(&srv->count[C_BAD_METHOD], 1, __ATOMIC_RELAXED);
		return answer_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed: use GET\n", "GET, HEAD");
	}
	return answer_metrics(srv, conn);
}

#endif /* !ST_NO_MICROHTTPD */

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errbuf_vset(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

int http_server_parse_addr(const char *addr_port, void *sockaddr, unsigned *len, char *err,
			   size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char host[256];
	const char *port, *colon;
	char *end;
	long pn;
	int e;

	if (!addr_port || !*addr_port)
		return fail(err, errlen, EINVAL, "--listen: empty address (expected ADDR:PORT)");
	if (addr_port[0] == '[') {
		const char *rb = strchr(addr_port, ']');

		if (!rb || rb[1] != ':')
			return fail(err, errlen, EINVAL,
				    "--listen %s: expected [IPV6]:PORT, like [::1]:9100",
				    addr_port);
		if ((size_t)(rb - addr_port - 1) >= sizeof(host))
			return fail(err, errlen, EINVAL, "--listen %s: address too long",
				    addr_port);
		memcpy(host, addr_port + 1, (size_t)(rb - addr_port - 1));
		host[rb - addr_port - 1] = 0;
		port = rb + 2;
		hints.ai_flags = AI_NUMERICHOST;
		hints.ai_family = AF_INET6;
	} else if ((colon = strrchr(addr_port, ':'))) {
		if (memchr(addr_port, ':', (size_t)(colon - addr_port)))
			return fail(err, errlen, EINVAL,
				    "--listen %s: put an IPv6 address in brackets, like [::1]:9100",
				    addr_port);
		if ((size_t)(colon - addr_port) >= sizeof(host))
			return fail(err, errlen, EINVAL, "--listen %s: address too long",
				    addr_port);
		memcpy(host, addr_port, (size_t)(colon - addr_port));
		host[colon - addr_port] = 0;
		port = colon + 1;
	} else {
		host[0] = 0;
		port = addr_port;
	}
	if (!host[0])
		snprintf(host, sizeof(host), "127.0.0.1"); /* loopback unless told otherwise */
	errno = 0;
	pn = strtol(port, &end, 10);
	if (!*port || *end || errno || pn < 0 || pn > 65535 || port[0] == '-' || port[0] == '+')
		return fail(err, errlen, EINVAL, "--listen %s: port '%s' is not a number 0-65535",
			    addr_port, port);
	e = getaddrinfo(host, NULL, &hints, &res);
	if (e || !res)
		return fail(err, errlen, EINVAL, "--listen %s: address '%s': %s", addr_port, host,
			    e ? gai_strerror(e) : "not found");
	if (res->ai_addrlen > *len) {
		freeaddrinfo(res);
		return fail(err, errlen, EINVAL, "--listen %s: address too long", addr_port);
	}
	memcpy(sockaddr, res->ai_addr, res->ai_addrlen);
	*len = (unsigned)res->ai_addrlen;
	if (res->ai_family == AF_INET6)
		((struct sockaddr_in6 *)sockaddr)->sin6_port = htons((uint16_t)pn);
	else
		((struct sockaddr_in *)sockaddr)->sin_port = htons((uint16_t)pn);
	freeaddrinfo(res);
	return 0;
}

#ifndef ST_NO_MICROHTTPD
/* A bound, listening socket (our own, so a failure says exactly why). */
static int listen_socket(const char *addr_port, unsigned *port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned len = sizeof(ss);
	socklen_t sl;
	int fd, one = 1;

	if (http_server_parse_addr(addr_port, &ss, &len, err, errlen))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, errno, "--listen %s: socket: %s", addr_port,
			    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		int e = errno;

		close(fd);
		return fail(err, errlen, e, "--listen %s: %s", addr_port, strerror(e));
	}
	sl = sizeof(ss);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * libmicrohttpd's messages: silent while serving (a client's mistakes are
 * not ours to print), but the first one during start is kept, since that is
 * where it says why a certificate or key was refused.
 */
static __thread char *start_log;
static __thread size_t start_log_len;

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (start_log && !start_log[0])
		vsnprintf(start_log, start_log_len, fmt, ap);
}

static void server_free(struct http_server *srv)
{
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->conn_lock);
	pthread_cond_destroy(&srv->wake);
	free(srv);
}

struct http_server *http_server_start_web(const char *addr_port, struct web_config *wc, char *err,
					  size_t errlen)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct MHD_OptionItem tls[6];
	unsigned n = 0, flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	char prio[160], why[256] = "";
	int fd;

	if (!srv) {
		fail(err, errlen, ENOMEM, "--listen: out of memory");
		return NULL;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->conn_lock, NULL);
	pthread_cond_init(&srv->wake, NULL);
	srv->wc = wc;
	fd = listen_socket(addr_port, &srv->port, err, errlen);
	if (fd < 0) {
		int e = errno;

		server_free(srv);
		errno = e;
		return NULL;
	}
	if (mhd_open(err, errlen) ||
	    (wc && wc->tls && wc->client_auth != WEB_NO_CLIENT_CERT && gnutls_open(err, errlen))) {
		close(fd);
		server_free(srv);
		errno = ENOENT;
		return NULL;
	}
	if (wc && wc->tls) {
		flags |= MHD_USE_TLS;
		web_config_priorities(wc, prio, sizeof(prio));
		tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, wc->cert_pem};
		tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, wc->key_pem};
		tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, prio};
		if (wc->client_ca_pem)
			tls[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
							   wc->client_ca_pem};
	}
	tls[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	start_log = why;
	start_log_len = sizeof(why);
	/*
	 * libmicrohttpd's own connection limit sits above ours, so that every
	 * refusal goes through on_accept and is counted; its idle timeout is only
	 * a backstop behind the watchdog's deadlines.
	 */
	srv->daemon = MHD_start_daemon(
		flags, 0, on_accept, srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, quiet_log,
		NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(HTTP_SERVER_MAX_CONNECTIONS + 64), MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(4 * HTTP_SERVER_RESPONSE_S), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)HTTP_SERVER_REQUEST_BYTES, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	start_log = NULL;
	if (!srv->daemon) {
		close(fd);
		server_free(srv);
		if (wc && wc->tls) {
			size_t l = strlen(why);

			while (l && (why[l - 1] == '\n' || why[l - 1] == '.'))
				why[--l] = 0;
			fail(err, errlen, EPROTO,
			     "--web-config %s: the TLS set-up was refused (%s): check that the "
			     "cert and key are PEM and belong together",
			     wc->path, why[0] ? why : "no reason given");
		} else {
			fail(err, errlen, EIO, "--listen %s: the HTTP server did not start",
			     addr_port);
		}
		return NULL;
	}
	if (pthread_create(&srv->watchdog, NULL, watchdog_main, srv)) {
		MHD_stop_daemon(srv->daemon);
		server_free(srv);
		fail(err, errlen, EAGAIN, "--listen %s: cannot start a thread", addr_port);
		return NULL;
	}
	srv->watchdog_run = 1;
	return srv;
}

struct http_server *http_server_start(const char *addr_port, char *err, size_t errlen)
{
	return http_server_start_web(addr_port, NULL, err, errlen);
}

unsigned http_server_port(const struct http_server *srv)
{
	return srv ? srv->port : 0;
}

int http_server_publish(struct http_server *srv, const char *body, size_t len)
{
	struct body *b = malloc(sizeof(*b) + len + 1), *old;

	if (!b)
		return -1;
	memset(b, 0, sizeof(*b));
	b->refs = 1;
	b->len = len;
	pthread_mutex_init(&b->gz_lock, NULL);
	memcpy(b->data, body, len);
	b->data[len] = 0;
	pthread_mutex_lock(&srv->lock);
	old = srv->cur;
	srv->cur = b;
	pthread_mutex_unlock(&srv->lock);
	body_put(old);
	return 0;
}

void http_server_stats(const struct http_server *srv, struct http_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!srv)
		return;
	st->ok = __atomic_load_n(&srv->count[C_OK], __ATOMIC_RELAXED);
	st->not_found = __atomic_load_n(&srv->count[C_NOT_FOUND], __ATOMIC_RELAXED);
	st->bad_method = __atomic_load_n(&srv->count[C_BAD_METHOD], __ATOMIC_RELAXED);
	st->unavailable = __atomic_load_n(&srv->count[C_UNAVAILABLE], __ATOMIC_RELAXED);
	st->unauthorized = __atomic_load_n(&srv->unauthorized, __ATOMIC_RELAXED);
	pthread_mutex_lock((pthread_mutex_t *)&srv->conn_lock);
	st->accepted = srv->conn_count[CC_ACCEPTED];
	st->refused_per_client = srv->conn_count[CC_REFUSED_PER_CLIENT];
	st->refused_full = srv->conn_count[CC_REFUSED_FULL];
	st->timeout_request = srv->conn_count[CC_TIMEOUT_REQUEST];
	st->timeout_response = srv->conn_count[CC_TIMEOUT_RESPONSE];
	st->timeout_idle = srv->conn_count[CC_TIMEOUT_IDLE];
	st->open = srv->n_conns;
	pthread_mutex_unlock((pthread_mutex_t *)&srv->conn_lock);
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->watchdog_run) {
		pthread_mutex_lock(&srv->conn_lock);
		srv->stopping = 1;
		pthread_cond_signal(&srv->wake);
		pthread_mutex_unlock(&srv->conn_lock);
		pthread_join(srv->watchdog, NULL);
	}
	/* joins MHD's thread and closes the listening socket and every connection,
	 * releasing the texts their responses held */
	MHD_stop_daemon(srv->daemon);
	body_put(srv->cur);
	server_free(srv);
}

#else /* ST_NO_MICROHTTPD */

struct http_server *http_server_start(const char *addr_port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned len = sizeof(ss);

	if (http_server_parse_addr(addr_port, &ss, &len, err, errlen))
		return NULL;
	fail(err, errlen, ENOTSUP,
	     "--listen: not available in this build (static, without libmicrohttpd)");
	return NULL;
}

struct http_server *http_server_start_web(const char *addr_port, struct web_config *wc, char *err,
					  size_t errlen)
{
	(void)wc;
	return http_server_start(addr_port, err, errlen);
}

unsigned http_server_port(const struct http_server *srv)
{
	(void)srv;
	return 0;
}

int http_server_publish(struct http_server *srv, const char *body, size_t len)
{
	(void)srv;
	(void)body;
	(void)len;
	errno = ENOTSUP;
	return -1;
}

void http_server_stats(const struct http_server *srv, struct http_server_stats *st)
{
	(void)srv;
	memset(st, 0, sizeof(*st));
}

void http_server_stop(struct http_server *srv)
{
	(void)srv;
}

#endif /* ST_NO_MICROHTTPD */
