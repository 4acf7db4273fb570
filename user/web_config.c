// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exporter-toolkit web config (see web_config.h): libyaml's document
 * API turns the file into a node tree, which is walked key by key against
 * the known keys of each mapping; anything else is an error naming the key,
 * as exporter-toolkit's strict unmarshalling does. Keys exporter-toolkit
 * knows but streamtrace cannot honour (cipher_suites, curve_preferences,
 * client_allowed_sans, rate_limit) are errors too when given a value, rather
 * than silently weaker security than the file asks for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "web_config.h"

#ifndef ST_NO_YAML
#include <crypt.h>
#include <yaml.h>
#endif

/* Files a config names are small PEM files; anything bigger is a mistake. */
#define WEB_FILE_MAX (1 << 20)

static void *fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void *fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "--web-config %s: ", path ? path : "(text)");

	if (n < 0 || (size_t)n >= errlen)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	/* one line, whatever a message from a library held */
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return NULL;
}

int web_base64_decode(const char *in, size_t inlen, char *out, size_t outlen, size_t *n)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0, pad = 0;

	for (size_t i = 0; i < inlen; i++) {
		int c = (unsigned char)in[i], v;

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2 || (pad && (inlen % 4)) || bits >= 6)
		return -1;
	*n = o;
	return 0;
}

/* Compare without an early exit, so timing does not tell how much matched. */
static __attribute__((unused)) int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

void web_config_free(struct web_config *wc)
{
	if (!wc)
		return;
	free(wc->path);
	free(wc->cert_pem);
	if (wc->key_pem) {
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	free(wc->client_ca_pem);
	for (unsigned i = 0; i < wc->n_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
		free(wc->users[i].ok_header);
	}
	free(wc->users);
	for (unsigned i = 0; i < wc->n_headers; i++) {
		free(wc->headers[i].name);
		free(wc->headers[i].value);
	}
	free(wc->headers);
	free(wc->dummy_hash);
	for (unsigned i = 0; i < WEB_BAD_CACHE; i++)
		free(wc->bad[i]);
	if (wc->cache_lock) {
		pthread_mutex_destroy(wc->cache_lock);
		free(wc->cache_lock);
	}
	free(wc);
}

void web_config_priorities(const struct web_config *wc, char *buf, size_t len)
{
	static const char *const names[] = {"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"};
	size_t n = (size_t)snprintf(buf, len, "NORMAL:-VERS-ALL");

	for (int v = (int)wc->min_version; v <= (int)wc->max_version && n < len; v++)
		n += (size_t)snprintf(buf + n, len - n, ":+VERS-%s", names[v - WEB_TLS10]);
	if (wc->prefer_server_cipher_suites && n < len)
		snprintf(buf + n, len - n, ":%%SERVER_PRECEDENCE");
}

#ifndef ST_NO_YAML

/* Read a whole (small) file as a NUL-terminated string. */
static char *read_file(const char *path, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	struct stat sb;
	char *buf;
	size_t n;

	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode) || sb.st_size > WEB_FILE_MAX) {
		snprintf(why, whylen, "%s",
			 S_ISDIR(sb.st_mode) ? "is a directory"
					     : "not a regular file of at most 1 MiB");
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	if (ferror(f)) {
		snprintf(why, whylen, "%s", strerror(errno ? errno : EIO));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

struct parse {
	yaml_document_t *doc;
	const char *path, *dir;
	char *err;
	size_t errlen;
	struct web_config *wc;
	/* file names and inline texts, until the files are read */
	const char *cert_file, *key_file, *ca_file, *cert, *key, *ca;
	const char *client_auth;
};

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "empty";
	}
}

/* A plain null (~, null, or nothing): what Go leaves at its zero value. */
static int is_null(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type == YAML_NO_NODE)
		return 1;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* A string value; NULL (error set) when it is not a scalar. */
static const char *scalar(struct parse *p, const yaml_node_t *n, const char *key)
{
	if (is_null(n))
		return "";
	if (n->type != YAML_SCALAR_NODE) {
		fail(p->err, p->errlen, p->path, "%s: expected a string, found %s (line %zu)", key,
		     node_kind(n), n->start_mark.line + 1);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* YAML 1.1 booleans, as Go's yaml.v2 reads them. */
static int boolean(struct parse *p, const yaml_node_t *n, const char *key, int *v)
{
	static const char *const yes[] = {"y", "yes", "true", "on"};
	static const char *const no[] = {"n", "no", "false", "off"};
	const char *s = scalar(p, n, key);

	if (!s)
		return -1;
	if (!*s)
		return 0; /* null: the default stays */
	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*v = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*v = 0;
			return 0;
		}
	}
	fail(p->err, p->errlen, p->path, "%s: '%s' is not a boolean (line %zu)", key, s,
	     n->start_mark.line + 1);
	return -1;
}

static int tls_version(struct parse *p, const yaml_node_t *n, const char *key,
		       enum web_tls_version *v)
{
	const char *s = scalar(p, n, key);

	if (!s)
		return -1;
	if (!*s)
		return 0;
	if (!strcmp(s, "TLS10"))
		*v = WEB_TLS10;
	else if (!strcmp(s, "TLS11"))
		*v = WEB_TLS11;
	else if (!strcmp(s, "TLS12"))
		*v = WEB_TLS12;
	else if (!strcmp(s, "TLS13"))
		*v = WEB_TLS13;
	else {
		fail(p->err, p->errlen, p->path,
		     "%s: unknown TLS version '%s' (TLS10, TLS11, TLS12 or TLS13)", key, s);
		return -1;
	}
	return 0;
}

typedef int (*key_fn)(struct parse *p, const char *key, const yaml_node_t *val);

/* Walk a mapping (or null) and hand each key to fn; duplicate keys are errors. */
static int walk_mapping(struct parse *p, const yaml_node_t *n, const char *what, key_fn fn)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		fail(p->err, p->errlen, p->path, "%s: expected a mapping, found %s (line %zu)",
		     what, node_kind(n), n->start_mark.line + 1);
		return -1;
	}
	for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top;
	     a++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, a->key);
		const yaml_node_t *v = yaml_document_get_node(p->doc, a->value);
		const char *ks;

		if (!k || k->type != YAML_SCALAR_NODE) {
			fail(p->err, p->errlen, p->path, "%s: a key is not a string (line %zu)",
			     what, k ? k->start_mark.line + 1 : 0);
			return -1;
		}
		ks = (const char *)k->data.scalar.value;
		for (yaml_node_pair_t *b = n->data.mapping.pairs.start; b < a; b++) {
			const yaml_node_t *kb = yaml_document_get_node(p->doc, b->key);

			if (kb && kb->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)kb->data.scalar.value, ks)) {
				fail(p->err, p->errlen, p->path,
				     "%s: key '%s' given twice (line %zu)", what, ks,
				     k->start_mark.line + 1);
				return -1;
			}
		}
		if (fn(p, ks, v))
			return -1;
	}
	return 0;
}

/* A key exporter-toolkit has but streamtrace does not implement: only null or empty. */
static int unsupported(struct parse *p, const char *key, const yaml_node_t *v, const char *why)
{
	if (is_null(v) || (v->type == YAML_SEQUENCE_NODE &&
			   v->data.sequence.items.start == v->data.sequence.items.top))
		return 0;
	fail(p->err, p->errlen, p->path, "%s is not supported by streamtrace (%s)", key, why);
	return -1;
}

static int tls_key(struct parse *p, const char *key, const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	const char **slot = NULL;

	if (!strcmp(key, "cert_file"))
		slot = &p->cert_file;
	else if (!strcmp(key, "key_file"))
		slot = &p->key_file;
	else if (!strcmp(key, "client_ca_file"))
		slot = &p->ca_file;
	else if (!strcmp(key, "cert"))
		slot = &p->cert;
	else if (!strcmp(key, "key"))
		slot = &p->key;
	else if (!strcmp(key, "client_ca"))
		slot = &p->ca;
	else if (!strcmp(key, "client_auth_type"))
		slot = &p->client_auth;
	if (slot)
		return (*slot = scalar(p, v, key)) ? 0 : -1;
	if (!strcmp(key, "min_version"))
		return tls_version(p, v, key, &wc->min_version);
	if (!strcmp(key, "max_version"))
		return tls_version(p, v, key, &wc->max_version);
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return boolean(p, v, key, &wc->prefer_server_cipher_suites);
	if (!strcmp(key, "cipher_suites"))
		return unsupported(p, "tls_server_config.cipher_suites", v,
				   "GnuTLS's NORMAL set is used; limit it with min_version");
	if (!strcmp(key, "curve_preferences"))
		return unsupported(p, "tls_server_config.curve_preferences", v,
				   "GnuTLS's NORMAL groups are used");
	if (!strcmp(key, "client_allowed_sans"))
		return unsupported(p, "tls_server_config.client_allowed_sans", v,
				   "use a client CA that signs only the allowed clients");
	fail(p->err, p->errlen, p->path, "unknown key '%s' in tls_server_config (line %zu)", key,
	     v ? v->start_mark.line + 1 : 0);
	return -1;
}

/* exporter-toolkit's list: only these headers, some only with these values */
static int header_allowed(const char *name, const char *value, const char **expect)
{
	static const struct {
		const char *name, *values[3];
	} ok[] = {
		{"Strict-Transport-Security", {NULL}},
		{"X-Content-Type-Options", {"nosniff", NULL}},
		{"X-Frame-Options", {"deny", "sameorigin", NULL}},
		{"X-XSS-Protection", {NULL}},
		{"Content-Security-Policy", {NULL}},
	};

	*expect = NULL;
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(name, ok[i].name))
			continue;
		if (!ok[i].values[0])
			return 1;
		for (unsigned j = 0; ok[i].values[j]; j++)
			if (!strcmp(value, ok[i].values[j]))
				return 1;
		*expect = ok[i].values[1] ? "deny or sameorigin" : ok[i].values[0];
		return 0;
	}
	return 0;
}

static int header_key(struct parse *p, const char *key, const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	const char *s = scalar(p, v, key), *expect;
	struct web_header *h;

	if (!s)
		return -1;
	if (!header_allowed(key, s, &expect)) {
		if (expect)
			fail(p->err, p->errlen, p->path,
			     "http_server_config.headers: %s must be %s, not '%s'", key, expect, s);
		else
			fail(p->err, p->errlen, p->path,
			     "http_server_config.headers: header '%s' cannot be configured", key);
		return -1;
	}
	if (strpbrk(s, "\r\n")) {
		fail(p->err, p->errlen, p->path, "http_server_config.headers: %s: a line break",
		     key);
		return -1;
	}
	h = realloc(wc->headers, (wc->n_headers + 1) * sizeof(*h));
	if (!h)
		return -1;
	wc->headers = h;
	h[wc->n_headers].name = strdup(key);
	h[wc->n_headers].value = strdup(s);
	if (!h[wc->n_headers].name || !h[wc->n_headers].value) {
		free(h[wc->n_headers].name);
		free(h[wc->n_headers].value);
		fail(p->err, p->errlen, p->path, "out of memory");
		return -1;
	}
	wc->n_headers++;
	return 0;
}

static int http_key(struct parse *p, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "http2"))
		return boolean(p, v, key, &p->wc->http2);
	if (!strcmp(key, "headers"))
		return walk_mapping(p, v, "http_server_config.headers", header_key);
	fail(p->err, p->errlen, p->path, "unknown key '%s' in http_server_config (line %zu)", key,
	     v ? v->start_mark.line + 1 : 0);
	return -1;
}

/* $2a$, $2b$ or $2y$, a two-digit cost 04-31, then 53 characters of bcrypt's base64. */
static int is_bcrypt(const char *h)
{
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[6] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
		return 0;
	if ((h[4] - '0') * 10 + (h[5] - '0') < 4 || (h[4] - '0') * 10 + (h[5] - '0') > 31)
		return 0;
	return strspn(h + 7, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
	       53;
}

static int user_key(struct parse *p, const char *key, const yaml_node_t *v)
{
	struct web_config *wc = p->wc;
	const char *s = scalar(p, v, key);
	struct web_user *u;

	if (!s)
		return -1;
	if (!*key || strchr(key, ':')) {
		fail(p->err, p->errlen, p->path,
		     "basic_auth_users: '%s' cannot be a user name (empty, or has ':')", key);
		return -1;
	}
	if (!is_bcrypt(s)) {
		fail(p->err, p->errlen, p->path,
		     "basic_auth_users: the password of '%s' is not a bcrypt hash ($2y$10$..., 60 "
		     "characters; htpasswd -nBC 10 USER makes one)",
		     key);
		return -1;
	}
	u = realloc(wc->users, (wc->n_users + 1) * sizeof(*u));
	if (!u)
		return -1;
	wc->users = u;
	memset(&u[wc->n_users], 0, sizeof(*u));
	u[wc->n_users].name = strdup(key);
	u[wc->n_users].hash = strdup(s);
	if (!u[wc->n_users].name || !u[wc->n_users].hash) {
		free(u[wc->n_users].name);
		free(u[wc->n_users].hash);
		fail(p->err, p->errlen, p->path, "out of memory");
		return -1;
	}
	wc->n_users++;
	return 0;
}

static int top_key(struct parse *p, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config"))
		return walk_mapping(p, v, "tls_server_config", tls_key);
	if (!strcmp(key, "http_server_config"))
		return walk_mapping(p, v, "http_server_config", http_key);
	if (!strcmp(key, "basic_auth_users"))
		return walk_mapping(p, v, "basic_auth_users", user_key);
	if (!strcmp(key, "rate_limit")) {
		if (is_null(v) || (v->type == YAML_MAPPING_NODE &&
				   v->data.mapping.pairs.start == v->data.mapping.pairs.top))
			return 0;
		return unsupported(p, "rate_limit", v,
				   "the per-client connection limit bounds each client instead");
	}
	fail(p->err, p->errlen, p->path, "unknown key '%s' (line %zu)", key,
	     v ? v->start_mark.line + 1 : 0);
	return -1;
}

/* FILE (relative to dir) or the inline text; NULL and err set on failure. */
static char *pem(struct parse *p, const char *file, const char *text, const char *key)
{
	char full[4096], why[128], *s;

	if (file && *file) {
		if (file[0] == '/' || !p->dir)
			snprintf(full, sizeof(full), "%s", file);
		else
			snprintf(full, sizeof(full), "%s/%s", p->dir, file);
		s = read_file(full, NULL, why, sizeof(why));
		if (!s)
			return fail(p->err, p->errlen, p->path, "%s %s: %s", key, full, why);
	} else {
		s = strdup(text);
		if (!s)
			return fail(p->err, p->errlen, p->path, "out of memory");
	}
	if (!strstr(s, "-----BEGIN ")) {
		free(s);
		return fail(p->err, p->errlen, p->path, "%s%s%s: not PEM (no -----BEGIN line)", key,
			    file && *file ? " " : "", file && *file ? file : "");
	}
	return s;
}

static int finish(struct parse *p)
{
	struct web_config *wc = p->wc;
	int has_cert = *p->cert_file || *p->cert, has_key = *p->key_file || *p->key;
	int has_ca = *p->ca_file || *p->ca;
	const char *ca = p->client_auth;

	if (!*ca || !strcmp(ca, "NoClientCert"))
		wc->client_auth = WEB_NO_CLIENT_CERT;
	else if (!strcmp(ca, "RequestClientCert"))
		wc->client_auth = WEB_REQUEST_CLIENT_CERT;
	else if (!strcmp(ca, "RequireAnyClientCert") || !strcmp(ca, "RequireClientCert"))
		wc->client_auth = WEB_REQUIRE_ANY_CLIENT_CERT;
	else if (!strcmp(ca, "VerifyClientCertIfGiven"))
		wc->client_auth = WEB_VERIFY_CLIENT_CERT_IF_GIVEN;
	else if (!strcmp(ca, "RequireAndVerifyClientCert"))
		wc->client_auth = WEB_REQUIRE_AND_VERIFY_CLIENT_CERT;
	else {
		fail(p->err, p->errlen, p->path,
		     "client_auth_type: unknown '%s' (NoClientCert, RequestClientCert, "
		     "RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)",
		     ca);
		return -1;
	}
	/* exporter-toolkit: any TLS key present turns TLS on, and then needs both */
	if (has_cert || has_key || has_ca || *ca) {
		if (!has_cert) {
			fail(p->err, p->errlen, p->path,
			     "tls_server_config: missing one of cert or cert_file");
			return -1;
		}
		if (!has_key) {
			fail(p->err, p->errlen, p->path,
			     "tls_server_config: missing one of key or key_file");
			return -1;
		}
		wc->tls = 1;
	}
	if (has_ca && wc->client_auth == WEB_NO_CLIENT_CERT) {
		fail(p->err, p->errlen, p->path,
		     "client CAs are configured without a client_auth_type (say "
		     "RequireAndVerifyClientCert)");
		return -1;
	}
	if (!has_ca && (wc->client_auth == WEB_VERIFY_CLIENT_CERT_IF_GIVEN ||
			wc->client_auth == WEB_REQUIRE_AND_VERIFY_CLIENT_CERT)) {
		fail(p->err, p->errlen, p->path,
		     "client_auth_type %s needs client_ca_file (the CAs to verify against)", ca);
		return -1;
	}
	if (wc->min_version > wc->max_version) {
		fail(p->err, p->errlen, p->path, "min_version is above max_version");
		return -1;
	}
	if (!wc->tls)
		return 0;
	wc->cert_pem = pem(p, p->cert_file, p->cert, *p->cert_file ? "cert_file" : "cert");
	if (!wc->cert_pem)
		return -1;
	wc->key_pem = pem(p, p->key_file, p->key, *p->key_file ? "key_file" : "key");
	if (!wc->key_pem)
		return -1;
	if (has_ca) {
		wc->client_ca_pem =
			pem(p, p->ca_file, p->ca, *p->ca_file ? "client_ca_file" : "client_ca");
		if (!wc->client_ca_pem)
			return -1;
	}
	return 0;
}

/* A hash to check when the user is unknown, made with the platform's own bcrypt:
 * this also proves at start that crypt(3) here does bcrypt. */
static int make_dummy(struct parse *p)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;

	if (!p->wc->n_users)
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (!cd) {
		fail(p->err, p->errlen, p->path, "out of memory");
		return -1;
	}
	/* the cost of the first user's hash, so an unknown user takes as long */
	h = crypt_gensalt_rn("$2b$", (unsigned long)atoi(p->wc->users[0].hash + 4), NULL, 0, salt,
			     sizeof(salt));
	h = h ? crypt_rn("streamtrace", salt, cd, sizeof(*cd)) : NULL;
	if (!h || h[0] == '*') {
		free(cd);
		fail(p->err, p->errlen, p->path,
		     "this system's crypt(3) cannot check bcrypt hashes (libxcrypt needed)");
		return -1;
	}
	p->wc->dummy_hash = strdup(h);
	free(cd);
	if (!p->wc->dummy_hash) {
		fail(p->err, p->errlen, p->path, "out of memory");
		return -1;
	}
	return 0;
}

struct web_config *web_config_parse(const char *text, size_t len, const char *path, const char *dir,
				    char *err, size_t errlen)
{
	struct parse p = {.path = path, .dir = dir, .err = err, .errlen = errlen};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int ok = 0;

	p.cert_file = p.key_file = p.ca_file = p.cert = p.key = p.ca = p.client_auth = "";
	p.wc = calloc(1, sizeof(*p.wc));
	if (!p.wc)
		return fail(err, errlen, path, "out of memory");
	p.wc->min_version = WEB_TLS12; /* exporter-toolkit's defaults */
	p.wc->max_version = WEB_TLS13;
	p.wc->prefer_server_cipher_suites = 1;
	p.wc->http2 = 1;
	p.wc->path = strdup(path ? path : "(text)");
	p.wc->cache_lock = malloc(sizeof(pthread_mutex_t));
	if (!p.wc->path || !p.wc->cache_lock) {
		web_config_free(p.wc);
		return fail(err, errlen, path, "out of memory");
	}
	pthread_mutex_init(p.wc->cache_lock, NULL);
	if (!yaml_parser_initialize(&parser)) {
		web_config_free(p.wc);
		return fail(err, errlen, path, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fail(err, errlen, path, "not YAML: %s (line %zu, column %zu)",
		     parser.problem ? parser.problem : "parse error", parser.problem_mark.line + 1,
		     parser.problem_mark.column + 1);
		yaml_parser_delete(&parser);
		web_config_free(p.wc);
		return NULL;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* an empty file is an empty config: plain HTTP, no users (as exporter-toolkit) */
	if (!root || walk_mapping(&p, root, "the file", top_key) == 0)
		ok = !finish(&p) && !make_dummy(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!ok) {
		web_config_free(p.wc);
		return NULL;
	}
	return p.wc;
}

struct web_config *web_config_load(const char *path, char *err, size_t errlen)
{
	char why[128], *text, *dir, *slash;
	struct web_config *wc;
	size_t len;

	text = read_file(path, &len, why, sizeof(why));
	if (!text)
		return fail(err, errlen, path, "%s", why);
	dir = strdup(path);
	if (!dir) {
		free(text);
		return fail(err, errlen, path, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash == dir ? (void)(dir[1] = 0) : (void)(*slash = 0);
	wc = web_config_parse(text, len, path, slash ? dir : ".", err, errlen);
	free(dir);
	free(text);
	return wc;
}

/* "Basic BASE64(user:password)" -> user and password in buf; -1 if malformed */
static int split_basic(const char *h, char *buf, size_t buflen, char **user, char **pass)
{
	size_t n;
	char *colon;

	if (strncasecmp(h, "Basic ", 6))
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	if (web_base64_decode(h, strcspn(h, " \t"), buf, buflen - 1, &n))
		return -1;
	buf[n] = 0;
	if (memchr(buf, 0, n))
		return -1;
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	*user = buf;
	*pass = colon + 1;
	return 0;
}

enum web_auth web_config_check_basic(struct web_config *wc, const char *authorization)
{
	char buf[1024], *user, *pass;
	struct web_user *u = NULL;
	struct crypt_data *cd;
	const char *h;
	int ok;

	if (!wc || !wc->n_users)
		return WEB_AUTH_OK;
	if (!authorization || strncasecmp(authorization, "Basic ", 6))
		return WEB_AUTH_MISSING;
	if (strlen(authorization) > 700 ||
	    split_basic(authorization, buf, sizeof(buf), &user, &pass))
		return WEB_AUTH_BAD;
	for (unsigned i = 0; i < wc->n_users; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	pthread_mutex_lock(wc->cache_lock);
	ok = u && u->ok_header && ct_equal(u->ok_header, authorization);
	for (unsigned i = 0; !ok && i < WEB_BAD_CACHE; i++)
		if (wc->bad[i] && ct_equal(wc->bad[i], authorization))
			ok = -1;
	pthread_mutex_unlock(wc->cache_lock);
	if (ok) {
		explicit_bzero(buf, sizeof(buf));
		return ok > 0 ? WEB_AUTH_OK : WEB_AUTH_BAD;
	}
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return WEB_AUTH_BAD;
	h = crypt_rn(pass, u ? u->hash : wc->dummy_hash, cd, sizeof(*cd));
	ok = u && h && h[0] != '*' && ct_equal(h, u->hash);
	explicit_bzero(buf, sizeof(buf));
	free(cd);
	if (!ok) {
		pthread_mutex_lock(wc->cache_lock);
		free(wc->bad[wc->bad_next]);
		wc->bad[wc->bad_next] = strdup(authorization); /* NULL: not remembered */
		wc->bad_next = (wc->bad_next + 1) % WEB_BAD_CACHE;
		pthread_mutex_unlock(wc->cache_lock);
		return WEB_AUTH_BAD;
	}
	pthread_mutex_lock(wc->cache_lock);
	free(u->ok_header);
	u->ok_header = strdup(authorization); /* NULL: no cache, still right */
	pthread_mutex_unlock(wc->cache_lock);
	return WEB_AUTH_OK;
}

#else /* ST_NO_YAML */

struct web_config *web_config_parse(const char *text, size_t len, const char *path, const char *dir,
				    char *err, size_t errlen)
{
	(void)text;
	(void)len;
	(void)dir;
	return fail(err, errlen, path, "not available in this build (static, without libyaml)");
}

struct web_config *web_config_load(const char *path, char *err, size_t errlen)
{
	return web_config_parse(NULL, 0, path, NULL, err, errlen);
}

enum web_auth web_config_check_basic(struct web_config *wc, const char *authorization)
{
	(void)wc;
	(void)authorization;
	return WEB_AUTH_OK;
}

#endif /* ST_NO_YAML */
