/*
 * Unit tests for user/json_writer.c and user/json_out.c: commas and nesting,
 * number formatting (NaN and infinities as null, no "-0"), escaping of every
 * byte a comm can hold (quote, backslash, control characters, DEL, bytes that
 * are not valid UTF-8, including overlong forms, surrogates and code points
 * past U+10FFFF, which RFC 3629 forbids), and the rendering of hand-built
 * snapshots from user/model.h: the figures land under the contract's keys
 * with the values worked out in the comments, unknown figures are null, the
 * output is strict UTF-8 JSON (python3's json module reads it), and intervals
 * followed by one summary pass /work/shared/tools/contract-check
 * ($ST_CONTRACT_CHECK overrides the path). Tests that need python3 or the
 * checker say SKIP when it is missing.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "json_out.h"
#include "services.h"
#include "json_writer.h"
#include "model.h"
#include "names.h"

#define CONTRACT_CHECK_DEFAULT "/work/shared/tools/contract-check"

/* An in-memory stream and the writer on it. */
struct sink {
	char *buf;
	size_t len;
	FILE *f;
	struct jw w;
};

static void sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
	jw_init(&s->w, s->f);
}

/* Close the stream; s->buf then holds the text (caller frees). */
static const char *sink_close(struct sink *s)
{
	assert_int_equal(fclose(s->f), 0);
	return s->buf;
}

/* RFC 3629, table 3-7 of Unicode: well-formed byte sequences only. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
		} else if (c == 0xe0) {
			len = 3;
			lo = 0xa0;
		} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
			len = 3;
		} else if (c == 0xed) {
			len = 3;
			hi = 0x9f;
		} else if (c == 0xf0) {
			len = 4;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			len = 4;
		} else if (c == 0xf4) {
			len = 4;
			hi = 0x8f;
		} else {
			return 0;
		}
		if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* JSON text may not hold raw control characters; only the line's end. */
static void assert_no_raw_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && !(s[i] == '\n' && i == n - 1))
			fail_msg("raw control byte 0x%02x at offset %zu", (unsigned char)s[i], i);
}

static const char *render_str(struct sink *s, const char *str)
{
	sink_open(s);
	jw_str(&s->w, str);
	return sink_close(s);
}

static void expect_str(const char *in, const char *want)
{
	struct sink s;
	const char *got = render_str(&s, in);

	if (strcmp(got, want))
		fail_msg("jw_str: got <%s>, want <%s>", got, want);
	assert_true(utf8_valid((const unsigned char *)got, strlen(got)));
	free(s.buf);
}

static void test_structure(void **state)
{
	struct sink s;
	const char *got;

	(void)state;
	sink_open(&s);
	jw_obj_begin(&s.w);
	jw_ku64(&s.w, "a", 1);
	jw_key(&s.w, "b");
	jw_arr_begin(&s.w);
	jw_u64(&s.w, 1);
	jw_u64(&s.w, 2);
	jw_obj_begin(&s.w);
	jw_obj_end(&s.w);
	jw_arr_begin(&s.w);
	jw_arr_end(&s.w);
	jw_arr_end(&s.w);
	jw_key(&s.w, "c");
	jw_obj_begin(&s.w);
	jw_knull(&s.w, "d");
	jw_kstr(&s.w, "e", "x");
	jw_obj_end(&s.w);
	jw_kbool(&s.w, "t", 1);
	jw_kbool(&s.w, "f", 0);
	jw_key(&s.w, "g");
	jw_i64(&s.w, -5);
	jw_obj_end(&s.w);
	got = sink_close(&s);
	assert_string_equal(got,
			    "{\"a\":1,\"b\":[1,2,{},[]],\"c\":{\"d\":null,\"e\":\"x\"},\"t\":true,"
			    "\"f\":false,\"g\":-5}");
	free(s.buf);
}

static void test_numbers(void **state)
{
	struct sink s;
	const char *got;

	(void)state;
	sink_open(&s);
	jw_arr_begin(&s.w);
	jw_num(&s.w, 0.5);
	jw_num(&s.w, -0.0); /* no "-0" */
	jw_num(&s.w, NAN);
	jw_num(&s.w, INFINITY);
	jw_num(&s.w, -INFINITY);
	jw_num(&s.w, 1e-7);
	jw_num(&s.w, 123456789);
	jw_num(&s.w, -2.25);
	jw_u64(&s.w, UINT64_MAX);
	jw_i64(&s.w, INT64_MIN);
	jw_arr_end(&s.w);
	got = sink_close(&s);
	assert_string_equal(got, "[0.5,0,null,null,null,1e-07,123456789,-2.25,"
				 "18446744073709551615,-9223372036854775808]");
	free(s.buf);
}

static void test_escape_specials(void **state)
{
	(void)state;
	expect_str("plain", "\"plain\"");
	expect_str("", "\"\"");
	expect_str("q\"b\\", "\"q\\\"b\\\\\"");
	expect_str("a\nb\tc", "\"a\\nb\\tc\"");
	/* other C0 controls and DEL as \u00XX */
	expect_str("\x01\x1f\r\b\x7f", "\"\\u0001\\u001f\\u000d\\u0008\\u007f\"");
	/* '/' and printable ASCII pass through */
	expect_str("/ (x) ~", "\"/ (x) ~\"");
}

static void test_str_null(void **state)
{
	struct sink s;

	(void)state;
	sink_open(&s);
	jw_str(&s.w, NULL);
	assert_string_equal(sink_close(&s), "null");
	free(s.buf);
}

/* Valid UTF-8 passes through; an ill-formed sequence (its maximal subpart,
 * as Unicode recommends and python3's errors="replace" does) is written as
 * U+FFFD, the rule of every output (utf8.h). */
static void test_escape_invalid_utf8(void **state)
{
	(void)state;
	expect_str("\xc3\xa9", "\"\xc3\xa9\"");			/* é, 2 bytes */
	expect_str("\xe2\x82\xac", "\"\xe2\x82\xac\"");		/* €, 3 bytes */
	expect_str("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600, 4 bytes */
	expect_str("\xff", "\"\xef\xbf\xbd\"");
	expect_str("\x80", "\"\xef\xbf\xbd\"");			/* lone continuation byte */
	expect_str("a\xc3", "\"a\xef\xbf\xbd\"");		/* sequence cut by the end */
	expect_str("\xc3(", "\"\xef\xbf\xbd(\"");		/* lead byte without continuation */
	expect_str("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* C0/C1 are never valid */
	expect_str("\xe2\x82", "\"\xef\xbf\xbd\"");		/* 3-byte lead, 2 bytes left: one */
}

/*
 * Sequences whose bytes look right but that RFC 3629 forbids: a strict
 * decoder (python3's, Go's, any browser's) rejects the whole line. Each byte
 * is its own maximal subpart: one U+FFFD each, as python3 replaces them.
 */
static void test_escape_utf8_strictness(void **state)
{
	(void)state;
	/* surrogate U+D800 encoded as if a character */
	expect_str("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* overlong 3-byte '/' */
	expect_str("\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* overlong 4-byte '/' */
	expect_str("\xf0\x80\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* U+110000, past the last code point */
	expect_str("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

/* jw_comm: the rule every output shows a command name by (utf8.h): each
 * ill-formed maximal subpart and each control character (C0, DEL, C1) is
 * one U+FFFD, as python3's decode(errors="replace") and then controls. */
static void test_comm_rule(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"st\xff\x1b[1m\xc3\xa9\xe2\x82\x01", "\"st\xef\xbf\xbd\xef\xbf\xbd[1m\xc3\xa9"
						      "\xef\xbf\xbd\xef\xbf\xbd\""},
		{"a\xc2\x85z", "\"a\xef\xbf\xbdz\""},		      /* C1 NEL: one */
		{"\xf0\x9f\x98", "\"\xef\xbf\xbd\""},		      /* 4-byte, cut: one */
		{"q\"\\", "\"q\\\"\\\\\""},			      /* JSON escapes */
		{"\xc2\xa0\xe2\x82\xac", "\"\xc2\xa0\xe2\x82\xac\""}, /* NBSP and euro kept */
	};
	struct sink s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		sink_open(&s);
		jw_comm(&s.w, cases[i].in, 16);
		got = sink_close(&s);
		if (strcmp(got, cases[i].want))
			fail_msg("jw_comm case %zu: got <%s>, want <%s>", i, got, cases[i].want);
		free(s.buf);
	}
}

static void test_strn_limits(void **state)
{
	static const char comm16[16] = "0123456789abcdef"; /* no NUL */
	struct sink s;

	(void)state;
	sink_open(&s);
	jw_arr_begin(&s.w);
	jw_strn(&s.w, "abcdef", 3);
	jw_strn(&s.w, "ab\0cd", 5);   /* stops at the NUL */
	jw_strn(&s.w, "\xc3\xa9", 1); /* the limit cuts the sequence */
	jw_strn(&s.w, comm16, sizeof(comm16));
	jw_arr_end(&s.w);
	assert_string_equal(sink_close(&s),
			    "[\"abc\",\"ab\",\"\xef\xbf\xbd\",\"0123456789abcdef\"]");
	free(s.buf);
}

/* Pointer just past "\"key\":" at or after from; fails the test if absent. */
static const char *value_of(const char *from, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(from, pat);
	if (!p)
		fail_msg("key %s not found in %s", key, from);
	return p + strlen(pat);
}

static double num_of(const char *from, const char *key)
{
	const char *v = value_of(from, key);
	char *end;
	double d = strtod(v, &end);

	if (end == v)
		fail_msg("key %s: not a number: %.20s", key, v);
	return d;
}

static void assert_null_at(const char *from, const char *key)
{
	const char *v = value_of(from, key);

	if (strncmp(v, "null", 4))
		fail_msg("key %s: want null, got %.20s", key, v);
}

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g +- %.3g", got, want, tol);
}

/* The snapshot the rendering tests use; every figure set by hand. */
struct fixture {
	struct syscall_row rows[2];
	struct proc_view procs[3];
	struct snapshot snap;
};

static void fixture_init(struct fixture *fx, int summary)
{
	struct syscall_row *r = fx->rows;
	struct proc_view *p = fx->procs;
	int nr_read = syscall_nr("read");

	assert_true(nr_read >= 0);
	memset(fx, 0, sizeof(*fx));
	/* read: 10 calls all in bucket 10 [1024, 2048) ns, exact max 1500 ns */
	r[0].nr = (uint32_t)nr_read;
	r[0].count = 10;
	r[0].errors = 2;
	r[0].total_ns = 12000;
	r[0].max_ns = 1500;
	r[0].max_known = 1;
	r[0].hist.b[10] = 10;
	r[0].n_errnos = 1;
	r[0].errnos[0].err = 2; /* ENOENT */
	r[0].errnos[0].count = 2;
	/* a number with no name, no latency known, an errno with no name */
	r[1].nr = 511;
	r[1].count = 1;
	r[1].errors = 1;
	r[1].n_errnos = 1;
	r[1].errnos[0].err = 600;
	r[1].errnos[0].count = 1;

	p[0].pid = 4242;
	memcpy(p[0].comm, "worker", 7);
	p[0].threads = 3;
	p[0].oncpu_s = 0.5;
	p[0].offcpu_s = 1.5;
	p[0].runq_wait_s = 0.125;
	p[0].runq_count = 9;
	p[0].ctx_switches = 10;
	p[0].invol_switches = 4;
	p[0].rss_known = 1;
	p[0].rss_bytes = 409600;
	p[0].faults_known = 1;
	p[0].page_faults = 50;
	p[0].major_faults = 2;
	p[0].n_syscalls = 2;
	p[0].syscalls = r;
	p[0].net_known = 1;
	p[0].rx_bytes = 1000;
	p[0].tx_bytes = 2000;
	p[0].rx_ops = 10;
	p[0].tx_ops = 20;
	p[0].backlog_known = 0;
	p[0].retransmits = 1;
	p[0].resets = 2;
	p[0].drops = 3;
	p[0].has_queue = 1;
	p[0].queue = (struct queue_figures){
		.arrival_rate = 100,
		.throughput = 99.5,
		.utilization = NAN,
		.service_time_s = 0.004,
		.service_rate = 250,
		.servers = 2,
		.rho = 0.2,
		.queue_length = 0.5,
		.wait_s = 0.001,
		.response_s = 0.005,
		.saturated = 0,
		.mm1_response_s = NAN,
		.mmc_response_s = 0.0041,
		.mg1_response_s = INFINITY,
		.gg1_response_s = 0.0042,
		.mm1_error = NAN,
		.mmc_error = -0.18,
		.mg1_error = NAN,
		.gg1_error = -0.16,
		.little_l_lambda_w = 0.5,
		.little_error = 0,
	};
	p[0].has_forecast = 1;
	p[0].fc.horizon_s = 60;
	p[0].fc.arrival_rate = 110;
	p[0].fc.rho = 0.22;
	p[0].fc.response_s = 0.0051;
	p[0].fc.saturation_eta_s = NAN;

	/* exited normally with status 1: wait status 0x0100 */
	p[1].pid = 7;
	memcpy(p[1].comm, "short", 6);
	p[1].exited = 1;
	p[1].exit_code = 0x0100;
	p[1].syscalls = NULL;

	/* killed by SIGSEGV (11) with a core dump: 0x80 | 11 */
	p[2].pid = 8;
	memcpy(p[2].comm, "crashy", 7);
	p[2].exited = 1;
	p[2].exit_code = 0x80 | 11;

	fx->snap.is_summary = summary;
	fx->snap.time = 1700000000.0;
	fx->snap.span_s = 2.0;
	fx->snap.lost.kinds[ST_LOST_RINGBUF] = 3;
	fx->snap.lost.kinds[ST_LOST_SOCK_FULL] = 4;
	fx->snap.lost.recursion = 5;
	fx->snap.n_procs = 3;
	fx->snap.procs = p;
}

static char *render_snapshot(const struct snapshot *snap, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	json_out_snapshot(f, snap);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_snapshot_figures(void **state)
{
	struct fixture fx;
	const char *p0, *p, *cpu, *q;
	char *out;
	size_t len;

	(void)state;
	fixture_init(&fx, 0);
	out = render_snapshot(&fx.snap, &len);
	/* one line, ending in a newline, nothing raw inside */
	assert_true(len > 0 && out[len - 1] == '\n');
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
	assert_no_raw_controls(out, len);

	assert_non_null(strstr(out, "{\"type\":\"interval\","));
	assert_close(num_of(out, "span_s"), 2.0, 0);
	/* lost.events = 3 + 4 + 5 recursion misses */
	assert_true(num_of(out, "events") == 12);
	assert_true(num_of(out, "ringbuf_full") == 3);
	assert_true(num_of(out, "edge_map_full") == 4);
	assert_true(num_of(out, "recursion_misses") == 5);

	p0 = strstr(out, "\"pid\":4242,\"comm\":\"worker\",\"threads\":3,");
	assert_non_null(p0);
	cpu = value_of(p0, "cpu");
	/* utilization = 0.5 s on CPU / 2 s span */
	assert_close(num_of(cpu, "utilization"), 0.25, 1e-12);
	assert_close(num_of(cpu, "oncpu_s"), 0.5, 0);
	assert_close(num_of(cpu, "runq_wait_s"), 0.125, 0);
	/* empty run-queue histogram: p99 cannot be known */
	assert_null_at(cpu, "runq_p99_us");
	assert_true(num_of(cpu, "ctx_switches") == 10);
	assert_true(num_of(cpu, "involuntary_switches") == 4);
	assert_non_null(strstr(p0, "\"memory\":{\"rss_bytes\":409600,\"page_faults\":50,"
				   "\"major_faults\":2}"));

	p = strstr(p0, "\"syscalls\":[{\"name\":\"read\",");
	assert_non_null(p);
	assert_true(num_of(p, "count") == 10);
	assert_true(num_of(p, "errors") == 2);
	/* 12000 ns; 1e-15 s is below %.9g's rounding of 1.2e-05 */
	assert_close(num_of(p, "total_s"), 12e-6, 1e-15);
	/* bucket [1024, 1500] with the max known: p50 1024 + 476/2 = 1262 ns,
	 * p99 1024 + 476 * 0.99 = 1495.24 ns; 1e-6 us covers %.9g rounding */
	assert_close(num_of(p, "p50_us"), 1.262, 1e-6);
	assert_close(num_of(p, "p99_us"), 1.49524, 1e-6);
	assert_close(num_of(p, "max_us"), 1.5, 0);
	assert_non_null(strstr(p, "\"errnos\":{\"ENOENT\":2}}"));
	/* the unnamed syscall, with nothing known about its latency */
	assert_non_null(strstr(p, "{\"name\":\"syscall_511\",\"nr\":511,\"count\":1,\"errors\":1,"
				  "\"total_s\":0,\"p50_us\":null,\"p99_us\":null,\"max_us\":null,"
				  "\"errnos\":{\"E600\":1}}]"));

	/* messages not counted (msgs_known clear): null, and the unit is receive */
	assert_non_null(strstr(p0, "\"net\":{\"rx_bytes\":1000,\"tx_bytes\":2000,\"rx_ops\":10,"
				   "\"tx_ops\":20,\"rx_msgs\":null,\"tx_msgs\":null,"
				   "\"backlog_bytes\":null,\"retransmits\":1,"
				   "\"resets\":2,\"drops\":3,\"drop_reasons\":{}}"));

	q = value_of(p0, "queue");
	assert_non_null(strstr(q, "\"unit\":\"receive\""));
	assert_null(strstr(q, "\"units\""));
	assert_close(num_of(q, "arrival_rate"), 100, 0);
	assert_close(num_of(q, "throughput"), 99.5, 0);
	assert_null_at(q, "utilization");
	assert_close(num_of(q, "service_time_s"), 0.004, 1e-15);
	assert_true(num_of(q, "servers") == 2);
	assert_close(num_of(q, "rho"), 0.2, 1e-15);
	assert_non_null(strstr(q, "\"saturated\":false"));
	/* NaN and +inf model figures are both null */
	assert_null_at(q, "mm1_response_s");
	assert_null_at(q, "mg1_response_s");
	assert_close(num_of(q, "mmc_response_s"), 0.0041, 1e-15);
	assert_close(num_of(q, "gg1_response_s"), 0.0042, 1e-15);

	p = value_of(p0, "forecast");
	assert_close(num_of(p, "horizon_s"), 60, 0);
	assert_null_at(p, "saturation_eta_s");
	assert_non_null(strstr(p, "\"exit\":null}"));

	/* the exited processes: status 1; SIGSEGV with a core */
	p = strstr(out, "\"pid\":7,");
	assert_non_null(p);
	assert_non_null(strstr(p, "\"memory\":{\"rss_bytes\":null,\"page_faults\":null,"
				  "\"major_faults\":null}"));
	assert_non_null(strstr(p, "\"syscalls\":[],"));
	assert_non_null(strstr(p, "\"queue\":null,\"forecast\":null,\"stage\":null,"
				  "\"bottleneck\":false,"
				  "\"exit\":{\"code\":1,\"signal\":null,\"core_dumped\":false}}"));
	p = strstr(out, "\"pid\":8,");
	assert_non_null(p);
	assert_non_null(strstr(p, "\"exit\":{\"code\":null,\"signal\":\"SIGSEGV\","
				  "\"core_dumped\":true}}],\"pipeline\":null}\n"));
	free(out);
}

/* The busy and dispatch keys of a process's queue, and --services' objects. */
static void test_busy_dispatch_and_services(void **state)
{
	struct fixture fx;
	struct proc_view *p;
	const char *q, *sv;
	char *out;
	size_t len;

	(void)state;
	fixture_init(&fx, 0);
	p = &fx.snap.procs[0];
	p->queue.dispatch_s = 2e-6;
	p->busy_known = 1;
	p->busy_s = 0.75;
	p->idle_s = 1.25;
	p->blocked_busy_s[ST_BLK_LATCH] = 0.5;
	p->blocked_busy_s[ST_BLK_FUTEX] = 0.125;
	p->dispatch_count = 100;
	p->dispatch_hist.b[14] = 100; /* all in [16384, 32768) ns */
	assert_int_equal(services_build(&fx.snap, NULL, 0, &fx.snap.services, &fx.snap.n_services),
			 0);
	fx.snap.has_services = 1;
	out = render_snapshot(&fx.snap, &len);
	q = value_of(strstr(out, "\"pid\":4242,"), "queue");
	assert_close(num_of(q, "dispatch_s"), 2e-6, 1e-15);
	assert_close(num_of(q, "busy_s"), 0.75, 0);
	assert_close(num_of(q, "idle_s"), 1.25, 0);
	assert_true(num_of(q, "dispatch_count") == 100);
	/* the 99th percentile inside the bucket: 16384 + 0.99 x 16384 ns */
	assert_close(num_of(q, "dispatch_p99_s"), (16384 + 0.99 * 16384) / 1e9, 1e-12);
	assert_non_null(strstr(q, "\"busy_blocked_s\":{\"latch\":0.5,\"futex\":0.125,\"io\":0,"
				  "\"other\":0}"));
	/* the exited process without a queue: services group it by name too */
	sv = strstr(out, "\"services\":[{\"name\":\"worker\",\"pids\":[4242],\"net\":{");
	assert_non_null(sv);
	assert_non_null(strstr(sv, "\"capacity_servers\":2"));
	assert_non_null(strstr(sv, "\"cpu\":{\"cpus\":null,"));
	/* in no pipeline (no edges): stage null, and no path response */
	assert_non_null(strstr(sv, "\"forecast\":null,\"stage\":null,\"bottleneck\":false,"
				   "\"path_response_s\":null}"));
	assert_non_null(strstr(out, "{\"name\":\"short\",\"pids\":[7],"));
	free(out);
	services_free(fx.snap.services, fx.snap.n_services);
}

/* Messages (issue 8): rx_msgs and tx_msgs as counted, the unit by name,
 * and for a process serving several units the per-unit breakdown; tx_msgs
 * null when no connection is framed in TX. */
static void test_snapshot_msgs(void **state)
{
	struct fixture fx;
	const char *p0, *q, *u;
	char *out;
	size_t len;

	(void)state;
	fixture_init(&fx, 0);
	fx.snap.procs[0].msgs_known = 1;
	fx.snap.procs[0].rx_msgs = 160;
	fx.snap.procs[0].tx_msgs_known = 1;
	fx.snap.procs[0].tx_msgs = 159;
	fx.snap.procs[0].unit = ST_UNIT_RESP;
	out = render_snapshot(&fx.snap, &len);
	p0 = strstr(out, "\"pid\":4242,");
	assert_non_null(p0);
	assert_non_null(strstr(p0, "\"tx_ops\":20,\"rx_msgs\":160,\"tx_msgs\":159,"));
	assert_non_null(strstr(p0, "\"drop_reasons\":{},\"framing_lost\":0}"));
	q = value_of(p0, "queue");
	assert_non_null(strstr(q, "\"unit\":\"resp\""));
	assert_null(strstr(q, "\"units\""));
	free(out);

	/* mixed: MQTT and turns; no TX framing */
	fx.snap.procs[0].tx_msgs_known = 0;
	fx.snap.procs[0].unit = ST_UNIT_MIXED;
	fx.snap.procs[0].n_units = 2;
	fx.snap.procs[0].units[0] = (struct unit_view){4, 100, 50, 50};
	fx.snap.procs[0].units[1] = (struct unit_view){ST_UNIT_TURN, 60, 30.5, NAN};
	out = render_snapshot(&fx.snap, &len);
	p0 = strstr(out, "\"pid\":4242,");
	assert_non_null(strstr(p0, "\"rx_msgs\":160,\"tx_msgs\":null,"));
	q = value_of(p0, "queue");
	assert_non_null(strstr(q, "\"unit\":\"mixed\""));
	u = value_of(q, "units");
	assert_non_null(u);
	assert_non_null(
		strstr(u, "{\"mqtt\":{\"msgs\":100,\"arrival_rate\":50,\"throughput\":50},"
			  "\"turn\":{\"msgs\":60,\"arrival_rate\":30.5,\"throughput\":null}}"));
	free(out);

	/* the connection view: each direction's unit, null while not known */
	{
		struct conn_view cv[2] = {
			{.proto = "tcp", .unit_rx = ST_UNIT_RESP, .unit_tx = ST_UNIT_RESP},
			{.proto = "unix", .unit_rx = ST_UNIT_TURN}};

		fx.snap.has_conns = 1;
		fx.snap.procs[0].conns = cv;
		fx.snap.procs[0].n_conns = 2;
		out = render_snapshot(&fx.snap, &len);
		assert_non_null(
			strstr(out, "\"tx_ops\":0,\"unit\":\"resp\",\"tx_unit\":\"resp\","));
		assert_non_null(strstr(out, "\"tx_ops\":0,\"unit\":\"turn\",\"tx_unit\":null,"));
		fx.snap.procs[0].conns = NULL;
		fx.snap.procs[0].n_conns = 0;
		free(out);
	}
}

static void test_snapshot_empty_and_zero_span(void **state)
{
	struct snapshot snap;
	struct proc_view pv;
	char *out;
	size_t len;

	(void)state;
	memset(&snap, 0, sizeof(snap));
	snap.is_summary = 1;
	snap.time = 1700000000;
	out = render_snapshot(&snap, &len);
	assert_non_null(strstr(out, "{\"type\":\"summary\","));
	assert_non_null(strstr(out, "\"events\":0,"));
	assert_non_null(strstr(out, "\"processes\":[],\"pipeline\":null}\n"));
	free(out);

	/* a zero-length span: utilization cannot be known */
	memset(&pv, 0, sizeof(pv));
	pv.pid = 1;
	pv.oncpu_s = 0.1;
	snap.n_procs = 1;
	snap.procs = &pv;
	snap.span_s = 0;
	out = render_snapshot(&snap, &len);
	assert_null_at(value_of(out, "cpu"), "utilization");
	free(out);
}

/* A UNIX time must keep its sub-second part: intervals are 1 s by default
 * and as short as 10 ms (-i 0.01), so 1 ms is the tolerance. */
static void test_snapshot_time_precision(void **state)
{
	struct snapshot snap;
	char *out;
	size_t len;

	(void)state;
	memset(&snap, 0, sizeof(snap));
	snap.time = 1712345678.5;
	snap.span_s = 1;
	out = render_snapshot(&snap, &len);
	assert_close(num_of(out, "time"), 1712345678.5, 1e-3);
	free(out);
}

/* Exit status of a shell command; -1 when it could not run. */
static int run_status(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int have_python3(void)
{
	return run_status("command -v python3 >/dev/null 2>&1") == 0;
}

static const char *contract_check_path(void)
{
	const char *p = getenv("ST_CONTRACT_CHECK");

	return p && *p ? p : CONTRACT_CHECK_DEFAULT;
}

static void write_temp(char *path, const char *text, size_t len)
{
	int fd;

	strcpy(path, "/tmp/st-test-json-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* python3 reads every line as strict UTF-8 and parses it as JSON. */
static int python_parses(const char *path)
{
	char cmd[512];

	snprintf(
		cmd, sizeof(cmd),
		"python3 -c 'import json,sys\n"
		"for l in open(sys.argv[1], encoding=\"utf-8\", errors=\"strict\"): json.loads(l)' "
		"%s 2>/dev/null",
		path);
	return run_status(cmd) == 0;
}

static int contract_check_passes(const char *path)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/null 2>&1", contract_check_path(), path);
	return run_status(cmd) == 0;
}

/* Bytes a comm can hold that JSON or UTF-8 cannot take raw (16, no NUL). */
static const char weird_comm[ST_COMM_LEN] = {
	'"', '\\', '\n', 0x01, 0x7f,	   (char)0xff, (char)0xc3, 'x',
	')', ' ',  '(',	 '\t', (char)0x80, (char)0xc3, (char)0xa9, '\r'};

static void test_weird_comm_parses(void **state)
{
	struct fixture fx;
	char path[64];
	char *out;
	size_t len;

	(void)state;
	fixture_init(&fx, 0);
	memcpy(fx.procs[0].comm, weird_comm, sizeof(weird_comm));
	out = render_snapshot(&fx.snap, &len);
	/* a name: controls too are U+FFFD, as in every output (utf8.h) */
	assert_non_null(strstr(
		out,
		"\"comm\":\"\\\"\\\\\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx) "
		"(\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\",\"threads\":3,"));
	assert_true(utf8_valid((unsigned char *)out, len));
	assert_no_raw_controls(out, len);
	if (!have_python3()) {
		free(out);
		print_message("SKIP: no python3 to parse the output\n");
		skip();
	}
	write_temp(path, out, len);
	assert_true(python_parses(path));
	unlink(path);
	free(out);
}

/* The same, with the sequences a lax decoder accepts but UTF-8 forbids. */
static void test_strict_utf8_comm_parses(void **state)
{
	static const char comm[ST_COMM_LEN] = {(char)0xed, (char)0xa0, (char)0x80, 'a',
					       (char)0xe0, (char)0x80, (char)0xaf, 'b',
					       (char)0xf4, (char)0x90, (char)0x80, (char)0x80};
	struct fixture fx;
	char path[64];
	char *out;
	size_t len;

	(void)state;
	fixture_init(&fx, 0);
	memcpy(fx.procs[0].comm, comm, sizeof(comm));
	out = render_snapshot(&fx.snap, &len);
	assert_true(utf8_valid((unsigned char *)out, len));
	if (!have_python3()) {
		free(out);
		print_message("SKIP: no python3 to parse the output\n");
		skip();
	}
	write_temp(path, out, len);
	assert_true(python_parses(path));
	unlink(path);
	free(out);
}

/*
 * Two intervals then the summary, as a run prints them: the contract checker
 * passes the file, and exactly one line, the last, is a summary. The same
 * file without its summary must fail the checker, which shows the check is
 * really run on what we wrote.
 */
static void test_contract_intervals_then_summary(void **state)
{
	struct fixture ival, sum;
	char path[64], *lines[3], *all, *p;
	size_t lens[3], total = 0, summaries = 0, n_lines = 0;
	const char *checker = contract_check_path();

	(void)state;
	if (access(checker, X_OK) || !have_python3()) {
		print_message("SKIP: %s not executable or no python3\n", checker);
		skip();
	}
	fixture_init(&ival, 0);
	memcpy(ival.procs[0].comm, weird_comm, sizeof(weird_comm));
	fixture_init(&sum, 1);
	lines[0] = render_snapshot(&ival.snap, &lens[0]);
	ival.snap.time += 1;
	ival.snap.n_procs = 1; /* the exited ones appear once */
	lines[1] = render_snapshot(&ival.snap, &lens[1]);
	sum.snap.span_s = 2.5;
	lines[2] = render_snapshot(&sum.snap, &lens[2]);
	all = malloc(lens[0] + lens[1] + lens[2] + 1);
	assert_non_null(all);
	for (int i = 0; i < 3; i++) {
		memcpy(all + total, lines[i], lens[i]);
		total += lens[i];
	}
	all[total] = 0;

	for (p = all; *p; p = strchr(p, '\n') + 1) {
		n_lines++;
		if (!strncmp(p, "{\"type\":\"summary\",", 18)) {
			summaries++;
			/* the summary is the last line */
			assert_ptr_equal(strchr(p, '\n'), all + total - 1);
		} else {
			assert_int_equal(strncmp(p, "{\"type\":\"interval\",", 19), 0);
		}
	}
	assert_int_equal(n_lines, 3);
	assert_int_equal(summaries, 1);

	write_temp(path, all, total);
	assert_true(contract_check_passes(path));
	unlink(path);
	/* intervals only: no summary, the checker must object */
	write_temp(path, all, lens[0] + lens[1]);
	assert_false(contract_check_passes(path));
	unlink(path);

	for (int i = 0; i < 3; i++)
		free(lines[i]);
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_str_null),
		cmocka_unit_test(test_escape_invalid_utf8),
		cmocka_unit_test(test_escape_utf8_strictness),
		cmocka_unit_test(test_comm_rule),
		cmocka_unit_test(test_strn_limits),
		cmocka_unit_test(test_snapshot_figures),
		cmocka_unit_test(test_snapshot_msgs),
		cmocka_unit_test(test_busy_dispatch_and_services),
		cmocka_unit_test(test_snapshot_empty_and_zero_span),
		cmocka_unit_test(test_snapshot_time_precision),
		cmocka_unit_test(test_weird_comm_parses),
		cmocka_unit_test(test_strict_utf8_comm_parses),
		cmocka_unit_test(test_contract_intervals_then_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
