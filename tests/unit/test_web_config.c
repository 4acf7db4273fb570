/*
 * Unit tests for user/web_config.c, the exporter-toolkit web config: what a
 * good file gives (TLS files read relative to the file, versions, client
 * auth, headers), that every mistake is one line naming the key (unknown and
 * duplicate keys, missing halves, a bad hash, keys streamtrace cannot
 * honour), and basic auth against a bcrypt hash from the published OpenBSD /
 * John the Ripper test vectors ("U*U" under $2a$05$CCC...), so the expected
 * answer does not come from the code under test. Base64 against RFC 4648's
 * vectors.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "web_config.h"

/* RFC-less but standard: OpenBSD's and John the Ripper's bcrypt vector */
#define VEC_HASH "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
#define VEC_PASS "U*U"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/st-webcfg.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	put("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	put("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
	put("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
	put("notpem.txt", "hello\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct web_config *parse(const char *text, char *err, size_t errlen)
{
	err[0] = 0;
	return web_config_parse(text, strlen(text), "web.yml", dir, err, errlen);
}

/* The parse fails with one line containing want. */
static void expect_error(const char *text, const char *want)
{
	char err[512];
	struct web_config *wc = parse(text, err, sizeof(err));

	if (wc)
		fail_msg("parsed, expected an error with '%s':\n%s", want, text);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	assert_null(strchr(err, '\n'));
	assert_true(!strncmp(err, "--web-config web.yml: ", 22));
}

static void test_empty_file(void **state)
{
	char err[256];
	struct web_config *wc;

	(void)state;
	wc = parse("", err, sizeof(err));
	assert_non_null(wc);
	assert_int_equal(wc->tls, 0);
	assert_int_equal(wc->n_users, 0);
	assert_int_equal(web_config_check_basic(wc, NULL), WEB_AUTH_OK);
	web_config_free(wc);
	wc = parse("# only a comment\n", err, sizeof(err));
	assert_non_null(wc);
	web_config_free(wc);
}

static void test_tls_files(void **state)
{
	char err[256], prio[160];
	struct web_config *wc;

	(void)state;
	wc = parse("tls_server_config:\n"
		   "  cert_file: cert.pem\n"
		   "  key_file: key.pem\n",
		   err, sizeof(err));
	assert_non_null(wc);
	assert_int_equal(wc->tls, 1);
	assert_non_null(strstr(wc->cert_pem, "MIIB"));
	assert_non_null(strstr(wc->key_pem, "MIIE"));
	assert_null(wc->client_ca_pem);
	assert_int_equal(wc->client_auth, WEB_NO_CLIENT_CERT);
	/* exporter-toolkit's defaults: TLS 1.2 to 1.3, server's cipher order */
	web_config_priorities(wc, prio, sizeof(prio));
	assert_string_equal(prio, "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:%SERVER_PRECEDENCE");
	web_config_free(wc);

	wc = parse("tls_server_config:\n"
		   "  cert_file: cert.pem\n"
		   "  key_file: key.pem\n"
		   "  client_ca_file: ca.pem\n"
		   "  client_auth_type: RequireAndVerifyClientCert\n"
		   "  min_version: TLS13\n"
		   "  prefer_server_cipher_suites: false\n"
		   "http_server_config:\n"
		   "  http2: no\n"
		   "  headers:\n"
		   "    X-Frame-Options: deny\n"
		   "    Strict-Transport-Security: max-age=31536000\n",
		   err, sizeof(err));
	assert_non_null(wc);
	assert_non_null(strstr(wc->client_ca_pem, "MIIC"));
	assert_int_equal(wc->client_auth, WEB_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_int_equal(wc->http2, 0);
	web_config_priorities(wc, prio, sizeof(prio));
	assert_string_equal(prio, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	assert_int_equal(wc->n_headers, 2);
	assert_string_equal(wc->headers[0].name, "X-Frame-Options");
	assert_string_equal(wc->headers[0].value, "deny");
	web_config_free(wc);
}

static void test_inline_pem(void **state)
{
	char err[256];
	struct web_config *wc;

	(void)state;
	wc = parse("tls_server_config:\n"
		   "  cert: |\n"
		   "    -----BEGIN CERTIFICATE-----\n"
		   "    MIIX\n"
		   "    -----END CERTIFICATE-----\n"
		   "  key_file: key.pem\n",
		   err, sizeof(err));
	assert_non_null(wc);
	assert_non_null(strstr(wc->cert_pem, "MIIX"));
	web_config_free(wc);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("tls_server_confg:\n  cert_file: a\n", "unknown key 'tls_server_confg'");
	expect_error("tls_server_config:\n  certfile: a\n",
		     "unknown key 'certfile' in tls_server_config");
	expect_error("http_server_config:\n  http3: true\n", "unknown key 'http3'");
	expect_error("basic_auth_users:\n  a: " VEC_HASH "\n  a: " VEC_HASH "\n",
		     "key 'a' given twice");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n",
		     "missing one of key or key_file");
	expect_error("tls_server_config:\n  key_file: key.pem\n",
		     "missing one of cert or cert_file");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: nope.pem\n",
		     "key_file");
	expect_error("tls_server_config:\n  cert_file: notpem.txt\n  key_file: key.pem\n",
		     "not PEM");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  client_ca_file: ca.pem\n",
		     "without a client_auth_type");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  client_auth_type: RequireAndVerifyClientCert\n",
		     "needs client_ca_file");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  client_auth_type: Sometimes\n",
		     "client_auth_type: unknown 'Sometimes'");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  min_version: TLS14\n",
		     "unknown TLS version 'TLS14'");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  min_version: TLS13\n  max_version: TLS12\n",
		     "min_version is above max_version");
	expect_error("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		     "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		     "cipher_suites is not supported");
	expect_error("tls_server_config:\n  cert_file: [a, b]\n", "expected a string");
	expect_error("basic_auth_users:\n  alice: plain-password\n", "not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice: "
		     "$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
		     "not a bcrypt hash"); /* cost below 4 */
	expect_error("basic_auth_users: [alice]\n", "expected a mapping");
	expect_error("http_server_config:\n  headers:\n    Set-Cookie: a=b\n",
		     "header 'Set-Cookie' cannot be configured");
	expect_error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
		     "X-Frame-Options must be deny or sameorigin");
	expect_error("http_server_config:\n  http2: maybe\n", "'maybe' is not a boolean");
	expect_error("rate_limit:\n  burst: 5\n  interval: 1s\n", "rate_limit is not supported");
	expect_error("tls_server_config: [\n", "not YAML");
	expect_error("a: b: c\n", "not YAML");
}

static void test_unsupported_but_empty(void **state)
{
	char err[256];
	struct web_config *wc;

	(void)state;
	/* empty lists and nulls ask for nothing: accepted, like exporter-toolkit */
	wc = parse("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		   "  cipher_suites: []\n  curve_preferences:\n  client_allowed_sans: ~\n"
		   "rate_limit: {}\n",
		   err, sizeof(err));
	if (!wc)
		fail_msg("%s", err);
	web_config_free(wc);
}

static void test_missing_file(void **state)
{
	char err[256], path[128];
	struct web_config *wc;

	(void)state;
	snprintf(path, sizeof(path), "%s/none.yml", dir);
	wc = web_config_load(path, err, sizeof(err));
	assert_null(wc);
	assert_non_null(strstr(err, "No such file"));
	/* a relative cert path is taken from the file's directory, not the cwd */
	put("web.yml", "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n");
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	wc = web_config_load(path, err, sizeof(err));
	if (!wc)
		fail_msg("%s", err);
	assert_int_equal(wc->tls, 1);
	web_config_free(wc);
}

/* "Basic " + base64(s) */
static void basic(const char *s, char *out, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = (size_t)snprintf(out, len, "Basic ");

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = 0;
}

static void test_basic_auth(void **state)
{
	char err[256], h[256];
	struct web_config *wc;

	(void)state;
	wc = parse("basic_auth_users:\n  alice: " VEC_HASH "\n"
		   "  bob: $2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
		   err, sizeof(err));
	if (!wc)
		fail_msg("%s", err);
	assert_int_equal(wc->tls, 0); /* basic auth alone is fine (behind a TLS proxy) */
	assert_int_equal(wc->n_users, 2);
	basic("alice:" VEC_PASS, h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_OK);
	assert_non_null(wc->users[0].ok_header); /* remembered */
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_OK);
	basic("bob:" VEC_PASS, h, sizeof(h)); /* $2y$: the same algorithm */
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_OK);
	basic("alice:U*V", h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	basic("alice:", h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	basic("carol:" VEC_PASS, h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	basic("alice" VEC_PASS, h, sizeof(h)); /* no colon */
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	assert_int_equal(web_config_check_basic(wc, "Basic !!!"), WEB_AUTH_BAD);
	assert_int_equal(web_config_check_basic(wc, "Bearer abc"), WEB_AUTH_MISSING);
	assert_int_equal(web_config_check_basic(wc, NULL), WEB_AUTH_MISSING);
	/* after a wrong password the right one still passes */
	basic("alice:" VEC_PASS, h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_OK);
	/* a failed value is remembered as failed, and only that value */
	basic("alice:U*V", h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	assert_non_null(wc->bad[0]);
	assert_string_equal(wc->bad[0], h);
	for (int i = 0; i < WEB_BAD_CACHE + 2; i++) { /* the ring wraps */
		char pw[32];

		snprintf(pw, sizeof(pw), "alice:wrong%d", i);
		basic(pw, h, sizeof(h));
		assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_BAD);
	}
	basic("alice:" VEC_PASS, h, sizeof(h));
	assert_int_equal(web_config_check_basic(wc, h), WEB_AUTH_OK);
	web_config_free(wc);
}

static void test_base64(void **state)
{
	/* RFC 4648, section 10 */
	static const char *const vec[][2] = {
		{"", ""},
		{"Zg==", "f"},
		{"Zm8=", "fo"},
		{"Zm9v", "foo"},
		{"Zm9vYg==", "foob"},
		{"Zm9vYmE=", "fooba"},
		{"Zm9vYmFy", "foobar"},
	};
	char out[16];
	size_t n;

	(void)state;
	for (unsigned i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		assert_int_equal(
			web_base64_decode(vec[i][0], strlen(vec[i][0]), out, sizeof(out), &n), 0);
		assert_int_equal(n, strlen(vec[i][1]));
		assert_memory_equal(out, vec[i][1], n);
	}
	assert_int_equal(web_base64_decode("Zm9v!", 5, out, sizeof(out), &n), -1);
	assert_int_equal(web_base64_decode("Zg==Zg", 6, out, sizeof(out), &n), -1);
	assert_int_equal(web_base64_decode("Zm9vYmFy", 8, out, 3, &n), -1); /* no room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_tls_files),
		cmocka_unit_test(test_inline_pem),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unsupported_but_empty),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
