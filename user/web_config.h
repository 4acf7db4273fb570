/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `--web-config FILE`: the web configuration file of Prometheus'
 * exporter-toolkit (what node_exporter's --web.config.file reads), so one
 * file serves streamtrace and every other exporter on a host. YAML, parsed
 * strictly with libyaml: an unknown key is an error, as exporter-toolkit's
 * UnmarshalStrict makes it. TLS (cert, key, client CAs, client auth type,
 * TLS versions) for libmicrohttpd's GnuTLS, and basic auth users checked with
 * the platform's crypt(3) (bcrypt: $2a$, $2b$, $2y$). Pure: no libbpf, no
 * libmicrohttpd; tests/unit/test_web_config.c.
 *
 * Built with -DST_NO_YAML (a static build without libyaml.a), loading any
 * file says --web-config is not available in this build.
 */
#ifndef ST_WEB_CONFIG_H
#define ST_WEB_CONFIG_H

#include <stddef.h>

/* tls_server_config.client_auth_type, with Go's crypto/tls meanings */
enum web_client_auth {
	WEB_NO_CLIENT_CERT = 0,		    /* NoClientCert (or empty) */
	WEB_REQUEST_CLIENT_CERT,	    /* asked for, not required, not verified */
	WEB_REQUIRE_ANY_CLIENT_CERT,	    /* required, not verified */
	WEB_VERIFY_CLIENT_CERT_IF_GIVEN,    /* asked for; verified when sent */
	WEB_REQUIRE_AND_VERIFY_CLIENT_CERT, /* required and verified against the CAs */
};

/* min_version / max_version */
enum web_tls_version {
	WEB_TLS10 = 10,
	WEB_TLS11 = 11,
	WEB_TLS12 = 12,
	WEB_TLS13 = 13,
};

struct web_user {
	char *name;
	char *hash;	 /* bcrypt, as in the file */
	char *ok_header; /* the Authorization value that last matched (a cache) */
};

#define WEB_BAD_CACHE 16

struct web_header {
	char *name, *value;
};

struct web_config {
	char *path; /* the file, for messages */
	int tls;    /* cert and key given: serve HTTPS */
	/* PEM text, read at load (cert_file wins over cert, as in exporter-toolkit) */
	char *cert_pem, *key_pem, *client_ca_pem;
	enum web_client_auth client_auth;
	enum web_tls_version min_version, max_version;
	int prefer_server_cipher_suites;
	int http2; /* accepted and ignored: libmicrohttpd speaks HTTP/1.1 */
	struct web_user *users;
	unsigned n_users;
	struct web_header *headers; /* http_server_config.headers, sent with every answer */
	unsigned n_headers;
	char *dummy_hash; /* checked for an unknown user, so timing does not tell */
	void *cache_lock; /* pthread_mutex_t, guards users[].ok_header and bad[] */
	/* Authorization values that failed lately: a scraper with a wrong
	 * password costs one bcrypt check, not one per scrape */
	char *bad[WEB_BAD_CACHE];
	unsigned bad_next;
};

/*
 * Read and check FILE and the files it names (relative to FILE's directory).
 * NULL with a one-line reason in err (beginning with "--web-config FILE: ").
 */
struct web_config *web_config_load(const char *path, char *err, size_t errlen);

/* The same from text; relative file names are taken from dir ("." if NULL). */
struct web_config *web_config_parse(const char *text, size_t len, const char *path, const char *dir,
				    char *err, size_t errlen);

void web_config_free(struct web_config *wc);

/* A GnuTLS priority string for the TLS versions and server precedence. */
void web_config_priorities(const struct web_config *wc, char *buf, size_t len);

enum web_auth {
	WEB_AUTH_OK = 0,  /* no users configured, or the right user and password */
	WEB_AUTH_MISSING, /* no (or no Basic) Authorization header */
	WEB_AUTH_BAD,	  /* malformed, unknown user or wrong password */
};

/*
 * Check an Authorization header value against basic_auth_users (bcrypt via
 * crypt(3); a value that matched once is remembered, so a scraper costs one
 * bcrypt per process lifetime, not one per scrape; so are the last
 * WEB_BAD_CACHE values that failed). Thread-safe.
 */
enum web_auth web_config_check_basic(struct web_config *wc, const char *authorization);

/* Decode standard base64 (padding optional) into out; -1 on bad input or no room. */
int web_base64_decode(const char *in, size_t inlen, char *out, size_t outlen, size_t *n);

#endif
