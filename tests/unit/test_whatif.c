/*
 * Unit tests for user/whatif.c: every accepted form of a what-if spec, every
 * error path with its one-line reason, and the arithmetic of applying it.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "whatif.h"

static void parse_ok(const char *spec, struct whatif *w)
{
	char err[160] = "";

	if (whatif_parse(spec, w, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", spec, err);
	assert_string_equal(err, "");
}

/* The spec must be rejected, *out cleared, and the reason contain `want`, on one line. */
static void parse_bad(const char *spec, const char *want)
{
	struct whatif w = {.set = 7, .load_pct = 1, .service_pct = 1, .servers = 1};
	char err[160] = "";

	if (whatif_parse(spec, &w, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted", spec ? spec : "(null)");
	assert_int_equal(w.set, 0);
	assert_int_equal(w.servers, 0);
	assert_true(w.load_pct == 0 && w.service_pct == 0);
	if (!strstr(err, want))
		fail_msg("'%s': reason '%s' lacks '%s'", spec ? spec : "(null)", err, want);
	assert_null(strchr(err, '\n'));
}

static void test_parse_single(void **state)
{
	struct whatif w;

	(void)state;
	parse_ok("load=+30%", &w);
	assert_int_equal(w.set, WHATIF_LOAD);
	assert_true(w.load_pct == 30);

	parse_ok("load=-10%", &w);
	assert_int_equal(w.set, WHATIF_LOAD);
	assert_true(w.load_pct == -10);

	parse_ok("load=+12.5%", &w);
	assert_true(w.load_pct == 12.5);

	parse_ok("load=-99.9%", &w);
	assert_true(fabs(w.load_pct + 99.9) < 1e-12);

	parse_ok("load=+0%", &w);
	assert_int_equal(w.set, WHATIF_LOAD);
	assert_true(w.load_pct == 0);

	parse_ok("load=+10000%", &w);
	assert_true(w.load_pct == WHATIF_MAX_PCT);

	parse_ok("servers=4", &w);
	assert_int_equal(w.set, WHATIF_SERVERS);
	assert_int_equal(w.servers, 4);

	parse_ok("servers=4096", &w);
	assert_int_equal(w.servers, WHATIF_MAX_SERVERS);

	parse_ok("servers=007", &w);
	assert_int_equal(w.servers, 7);

	parse_ok("service=-20%", &w);
	assert_int_equal(w.set, WHATIF_SERVICE);
	assert_true(w.service_pct == -20);

	parse_ok("service=+5%", &w);
	assert_true(w.service_pct == 5);

	parse_ok("service=+.5%", &w);
	assert_true(w.service_pct == 0.5);

	parse_ok("service=+5.%", &w);
	assert_true(w.service_pct == 5);
}

static void test_parse_combined(void **state)
{
	struct whatif w;

	(void)state;
	parse_ok("load=+30%,servers=4,service=-20%", &w);
	assert_int_equal(w.set, WHATIF_LOAD | WHATIF_SERVERS | WHATIF_SERVICE);
	assert_true(w.load_pct == 30);
	assert_int_equal(w.servers, 4);
	assert_true(w.service_pct == -20);

	parse_ok("  servers = 2 ,  load= -50% ", &w);
	assert_int_equal(w.set, WHATIF_LOAD | WHATIF_SERVERS);
	assert_int_equal(w.servers, 2);
	assert_true(w.load_pct == -50);
}

static void test_parse_errors(void **state)
{
	char big[64];

	(void)state;
	/* empty */
	parse_bad(NULL, "empty");
	parse_bad("", "empty");
	parse_bad("   ", "empty");
	parse_bad("load=+5%,", "empty clause");
	parse_bad(",load=+5%", "empty clause");
	parse_bad("load=+5%,,servers=2", "empty clause");
	/* shape and keys */
	parse_bad("load", "expected KEY=VALUE");
	parse_bad("garbage", "expected KEY=VALUE");
	parse_bad("speed=+5%", "unknown key 'speed'");
	parse_bad("Load=+5%", "unknown key 'Load'");
	parse_bad("=+5%", "unknown key ''");
	parse_bad("load=+5%,load=+6%", "load: given more than once");
	parse_bad("servers=2,servers=3", "servers: given more than once");
	parse_bad("service=+1%,service=+1%", "service: given more than once");
	/* percentages */
	parse_bad("load=", "load: missing value");
	parse_bad("load=30%", "needs a sign");
	parse_bad("load=.5%", "needs a sign");
	parse_bad("load=+30", "missing '%'");
	parse_bad("service=-20", "missing '%'");
	parse_bad("load=+%", "not a percentage");
	parse_bad("load=+.%", "not a percentage");
	parse_bad("load=+-5%", "not a percentage");
	parse_bad("load=+5x%", "not a percentage");
	parse_bad("load=+1e3%", "not a percentage");
	parse_bad("load=+0x10%", "not a percentage");
	parse_bad("load=+nan%", "not a percentage");
	parse_bad("load=+inf%", "not a percentage");
	parse_bad("load=+5,5%", "missing '%'"); /* a comma separates clauses */
	parse_bad("load=abc", "not a percentage");
	parse_bad("load=+5%%", "unexpected text after '%'");
	parse_bad("load=+5% x", "unexpected text after '%'");
	parse_bad("load=+5 %", "not a percentage");
	parse_bad("service=+5ms", "service: '+5ms' is not a percentage");
	parse_bad("load=-100%", "above -100%");
	parse_bad("load=-150%", "above -100%");
	parse_bad("service=-100%", "above -100%");
	parse_bad("load=+10000.5%", "at most +10000%");
	memset(big, '9', sizeof(big));
	memcpy(big, "load=+", 6);
	big[sizeof(big) - 2] = '%';
	big[sizeof(big) - 1] = '\0';
	parse_bad(big, "at most +10000%");
	/* servers */
	parse_bad("servers=", "servers: missing value");
	parse_bad("servers=0", "at least 1");
	parse_bad("servers=000", "at least 1");
	parse_bad("servers=4097", "at most 4096");
	parse_bad("servers=99999999999999999999999", "at most 4096");
	parse_bad("servers=+4", "not a whole number");
	parse_bad("servers=-1", "not a whole number");
	parse_bad("servers=2.5", "not a whole number");
	parse_bad("servers=4%", "not a whole number");
	parse_bad("servers=four", "not a whole number");
	/* a good clause does not rescue a bad one */
	parse_bad("load=+30%,servers=0", "at least 1");
}

static void test_parse_err_buffer(void **state)
{
	struct whatif w;
	char err[8];

	(void)state;
	/* No buffer, or a tiny one: still -1, never an overflow (ASan watches). */
	assert_int_equal(whatif_parse("bogus=1", &w, NULL, 0), -1);
	assert_int_equal(whatif_parse("bogus=1", &w, err, 0), -1);
	assert_int_equal(whatif_parse("bogus=1", &w, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(whatif_parse("load=+1%", &w, NULL, 0), 0);
}

static void test_apply(void **state)
{
	struct whatif w;
	double l2, s2;
	unsigned c2;

	(void)state;
	parse_ok("load=+30%,servers=4,service=-20%", &w);
	whatif_apply(&w, 100, 0.010, 2, &l2, &s2, &c2);
	assert_true(fabs(l2 - 130) < 1e-12);
	assert_true(fabs(s2 - 0.008) < 1e-15);
	assert_int_equal(c2, 4);

	parse_ok("load=-10%", &w);
	whatif_apply(&w, 100, 0.010, 2, &l2, &s2, &c2);
	assert_true(fabs(l2 - 90) < 1e-12);
	assert_true(s2 == 0.010);
	assert_int_equal(c2, 2);

	parse_ok("servers=8", &w);
	whatif_apply(&w, 100, 0.010, 2, &l2, &s2, &c2);
	assert_true(l2 == 100 && s2 == 0.010);
	assert_int_equal(c2, 8);

	/* No scenario: identity. Unknown figures stay unknown. */
	whatif_apply(NULL, 100, 0.010, 2, &l2, &s2, &c2);
	assert_true(l2 == 100 && s2 == 0.010);
	assert_int_equal(c2, 2);
	parse_ok("load=+50%,service=+5%", &w);
	whatif_apply(&w, NAN, NAN, 3, &l2, &s2, &c2);
	assert_true(isnan(l2) && isnan(s2));
	assert_int_equal(c2, 3);
}

/*
 * whatif_eval: load +50% on λ = 1/s, S = 1 s, c = 2. Reference values
 * computed apart with python3's math module: λ' = 1.5, a = 1.5 Erlangs,
 * Erlang C = (a^2/2! * 2/(2-a)) / (1 + a + a^2/2! * 2/(2-a)) = 4.5/7,
 * W = S + C S / (c - a) = 2.2857142857, ρ = 0.75, and the M/M/c p99
 * S + ln(C / 0.01) / (c/S - λ') = 9.3266748674.
 */
static void test_eval(void **state)
{
	struct whatif w = {.set = WHATIF_LOAD, .load_pct = 50};
	struct whatif_figures f;

	(void)state;
	whatif_eval(&w, 1.0, 1.0, 2, NAN, NAN, &f);
	assert_float_equal(f.arrival_rate, 1.5, 1e-12);
	assert_float_equal(f.service_time_s, 1.0, 1e-12);
	assert_int_equal(f.servers, 2);
	assert_float_equal(f.rho, 0.75, 1e-12);
	assert_float_equal(f.response_s, 2.2857142857142856, 1e-9);
	assert_float_equal(f.response_p99_s, 9.326674867418104, 1e-9);
	/* no measured variability: no G/G/c figure */
	assert_true(isnan(f.gg_response_s));
	/* twice the load: λ' S = 2 = c, no steady state */
	w.load_pct = 100;
	whatif_eval(&w, 1.0, 1.0, 2, NAN, NAN, &f);
	assert_true(isnan(f.response_s));
	assert_true(isnan(f.response_p99_s));
	assert_float_equal(f.rho, 1.0, 1e-12);
}

static void test_format_round_trip(void **state)
{
	static const char *const specs[] = {
		"load=+30%,service=-20%,servers=4",
		"load=-12.5%",
		"service=+5%",
		"servers=16",
		"load=+0%,servers=1",
	};
	char buf[96], small[6];
	struct whatif w, w2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		parse_ok(specs[i], &w);
		whatif_format(&w, buf, sizeof(buf));
		assert_string_equal(buf, specs[i]);
		parse_ok(buf, &w2);
		assert_memory_equal(&w, &w2, sizeof(w));
	}
	parse_ok("servers=2 , load=+1%", &w);
	assert_int_equal(whatif_format(&w, small, sizeof(small)), strlen("load=+1%,servers=2"));
	assert_string_equal(small, "load=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_single), cmocka_unit_test(test_parse_combined),
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_parse_err_buffer),
		cmocka_unit_test(test_apply),	     cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_eval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
