/*
 * Unit tests for user/cli.c: every way a command line can be wrong returns
 * CLI_USAGE with exactly one line on the error stream, starting
 * "streamtrace: " and naming the option or argument at fault, and nothing on
 * the output stream; --help and --version print to the output stream and
 * return CLI_EXIT_OK; "--" splits off the command untouched; subcommands take
 * their files; pid lists, intervals, durations and --max-procs are parsed
 * strictly. Both streams are captured with open_memstream.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define MAX_ARGS 300

struct run {
	enum cli_result r;
	struct cli_options o;
	int argc;
	char *argv[MAX_ARGS + 1];
	char *out, *err;
	size_t out_len, err_len;
};

/* Runs not freed yet, so that a failed assertion (a longjmp out of the test)
 * leaks nothing that LeakSanitizer would report on top of the failure. */
static struct run *pending[8];

static void pending_add(struct run *r)
{
	for (size_t i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (!pending[i]) {
			pending[i] = r;
			return;
		}
	fail_msg("more than %zu runs alive at once", sizeof(pending) / sizeof(pending[0]));
}

/* cli_parse on "streamtrace" + the given words (NULL-terminated). The words
 * are copied: getopt may permute argv, and the options point into it. */
static struct run *run_words(const char *const *words)
{
	struct run *r = calloc(1, sizeof(*r));
	FILE *out, *err;

	assert_non_null(r);
	pending_add(r);
	r->argv[r->argc++] = strdup("streamtrace");
	for (; *words; words++) {
		assert_true(r->argc < MAX_ARGS);
		r->argv[r->argc++] = strdup(*words);
	}
	r->argv[r->argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->r = cli_parse(r->argc, r->argv, &r->o, out, err);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(fclose(err), 0);
	return r;
}

#define RUN(...)      run_words((const char *const[]){__VA_ARGS__, NULL})
#define RUN_NO_ARGS() run_words((const char *const[]){NULL})

static void run_free(struct run *r)
{
	for (size_t i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (pending[i] == r)
			pending[i] = NULL;
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->out);
	free(r->err);
	free(r);
}

static int free_pending(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (pending[i])
			run_free(pending[i]);
	return 0;
}

static void expect_ok(struct run *r)
{
	if (r->r != CLI_OK)
		fail_msg("want CLI_OK, got %d, stderr: %s", r->r, r->err);
	assert_int_equal(r->err_len, 0);
	assert_int_equal(r->out_len, 0);
}

/* A usage error: CLI_USAGE, one line on err naming what was wrong, no output. */
static void expect_usage(struct run *r, const char *needle)
{
	if (r->r != CLI_USAGE)
		fail_msg("want CLI_USAGE for '%s', got %d", needle, r->r);
	assert_int_equal(r->out_len, 0);
	assert_true(r->err_len > 0);
	assert_int_equal(strncmp(r->err, "streamtrace: ", 13), 0);
	/* exactly one line: the only newline is the last byte */
	if (strchr(r->err, '\n') != r->err + r->err_len - 1)
		fail_msg("not one line: <%s>", r->err);
	if (!strstr(r->err, needle))
		fail_msg("message <%s> does not name <%s>", r->err, needle);
	run_free(r);
}

static void test_defaults(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("-p", "42");
	expect_ok(r);
	assert_int_equal(r->o.sample, 1);
	assert_int_equal(r->o.cmd, CMD_TOP);
	assert_int_equal(r->o.n_pids, 1);
	assert_int_equal(r->o.pids[0], 42);
	assert_true(r->o.interval_s == 1.0);
	assert_true(r->o.duration_s == 0);
	assert_int_equal(r->o.max_procs, 64); /* the documented default */
	assert_int_equal(r->o.json, 0);
	assert_int_equal(r->o.n_comms, 0);
	assert_null(r->o.cgroup);
	assert_null(r->o.command);
	assert_null(r->o.listen);
	assert_null(r->o.output);
	assert_int_equal(r->o.n_files, 0);
	run_free(r);
}

static void test_all_options(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("top", "-c", "nginx", "--cgroup", "/sys/fs/cgroup/app", "-i", "0.5", "-d", "10",
		"--json", "--max-procs", "4096", "--listen", "127.0.0.1:9100", "--no-color", "-v",
		"--pid=1,2,3", "-p", "2147483647");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_TOP);
	assert_string_equal(r->o.comms[0], "nginx");
	assert_string_equal(r->o.cgroup, "/sys/fs/cgroup/app");
	assert_true(r->o.interval_s == 0.5);
	assert_true(r->o.duration_s == 10);
	assert_int_equal(r->o.json, 1);
	assert_int_equal(r->o.max_procs, 4096);
	assert_string_equal(r->o.listen, "127.0.0.1:9100");
	assert_int_equal(r->o.no_color, 1);
	assert_int_equal(r->o.verbose, 1);
	/* -p accumulates: 1,2,3 then INT_MAX */
	assert_int_equal(r->o.n_pids, 4);
	assert_int_equal(r->o.pids[0], 1);
	assert_int_equal(r->o.pids[1], 2);
	assert_int_equal(r->o.pids[2], 3);
	assert_int_equal(r->o.pids[3], INT_MAX);
	run_free(r);

	/* attached forms: -i0.25, --interval=2, --max-procs=1 */
	r = RUN("-c", "x", "-i0.25", "--duration=3", "--max-procs=1", "--sample=16");
	expect_ok(r);
	assert_true(r->o.interval_s == 0.25);
	assert_true(r->o.duration_s == 3);
	assert_int_equal(r->o.max_procs, 1);
	assert_int_equal(r->o.sample, 16);
	run_free(r);

	/* the smallest interval allowed, 10 ms; a 15-character comm */
	r = RUN("-c", "abcdefghijklmno", "-i", "0.01");
	expect_ok(r);
	assert_true(r->o.interval_s == 0.01);
	assert_string_equal(r->o.comms[0], "abcdefghijklmno");
	run_free(r);
}

static void test_help_version(void **state)
{
	static const char *const help_forms[][3] = {
		{"--help", NULL}, {"-h", NULL}, {"top", "--help", NULL}, {"report", "-h", NULL}};
	struct run *r;

	(void)state;
	for (size_t i = 0; i < sizeof(help_forms) / sizeof(help_forms[0]); i++) {
		r = run_words(help_forms[i]);
		assert_int_equal(r->r, CLI_EXIT_OK);
		assert_int_equal(r->err_len, 0);
		/* argp-style: summary, USAGE, EXAMPLES, and the contract's options */
		assert_non_null(strstr(r->out, "USAGE"));
		assert_non_null(strstr(r->out, "EXAMPLES"));
		assert_non_null(strstr(r->out, "--interval"));
		assert_non_null(strstr(r->out, "--json"));
		assert_non_null(strstr(r->out, "--listen"));
		run_free(r);
	}
	/* issue 14: a legend of the columns, the environment, 80 columns, and
	 * the examples' explanations in one column */
	r = RUN("--help");
	for (const char *k = "RUNQ%\0ARR/s\0W(ms)\0STREAMTRACE_BTF\0NO_COLOR\0--no-tui\0"; *k;
	     k += strlen(k) + 1)
		if (!strstr(r->out, k))
			fail_msg("--help does not mention %s", k);
	{
		const char *l = r->out, *ex = strstr(r->out, "EXAMPLES:\n");
		int col = -1;

		while (*l) {
			const char *nl = strchr(l, '\n');
			unsigned n = 0;

			for (const char *c = l; c < nl; c++)
				n += ((unsigned char)*c & 0xc0) !=
				     0x80; /* UTF-8: count characters */
			if (n > 80)
				fail_msg("a --help line of %u columns: %.*s", n, (int)(nl - l), l);
			if (ex && l > ex && l[0] == ' ' && nl > l + 2) {
				/* "  streamtrace ARGS   what it does": the first line says
				 * where "what" starts; every other has a word there */
				if (col < 0) {
					const char *w = strstr(l + 2, "  ");

					assert_non_null(w);
					while (*w == ' ')
						w++;
					col = (int)(w - l);
				}
				if (nl - l <= col || l[col - 1] != ' ' || l[col] == ' ')
					fail_msg("example not aligned at column %d: %.*s", col,
						 (int)(nl - l), l);
			}
			if (ex && l > ex && *l == '\n')
				ex = NULL; /* the examples end at a blank line */
			l = nl + 1;
		}
	}
	run_free(r);
	r = RUN("--version");
	assert_int_equal(r->r, CLI_EXIT_OK);
	assert_int_equal(r->err_len, 0);
	assert_int_equal(strncmp(r->out, "streamtrace ", 12), 0);
	assert_ptr_equal(strchr(r->out, '\n'), r->out + r->out_len - 1);
	run_free(r);
	r = RUN("-V");
	assert_int_equal(r->r, CLI_EXIT_OK);
	assert_int_equal(strncmp(r->out, "streamtrace ", 12), 0);
	run_free(r);
	/* help needs no target */
	r = RUN("record", "--help");
	assert_int_equal(r->r, CLI_EXIT_OK);
	run_free(r);
}

static void test_command_split(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("--", "sleep", "1");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_TOP);
	assert_non_null(r->o.command);
	assert_string_equal(r->o.command[0], "sleep");
	assert_string_equal(r->o.command[1], "1");
	assert_null(r->o.command[2]);
	run_free(r);

	/* options after "--" belong to the command, not to us */
	r = RUN("-p", "5", "-i", "2", "--", "./x", "--json", "-p", "3", "--", "y");
	expect_ok(r);
	assert_int_equal(r->o.json, 0);
	assert_int_equal(r->o.n_pids, 1);
	assert_int_equal(r->o.pids[0], 5);
	assert_true(r->o.interval_s == 2);
	assert_string_equal(r->o.command[0], "./x");
	assert_string_equal(r->o.command[1], "--json");
	assert_string_equal(r->o.command[2], "-p");
	assert_string_equal(r->o.command[3], "3");
	assert_string_equal(r->o.command[4], "--");
	assert_string_equal(r->o.command[5], "y");
	assert_null(r->o.command[6]);
	run_free(r);

	r = RUN("record", "-o", "out.st", "--json", "--", "./pipeline", "--rate", "1000");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_RECORD);
	assert_string_equal(r->o.output, "out.st");
	assert_string_equal(r->o.command[0], "./pipeline");
	assert_string_equal(r->o.command[2], "1000");
	run_free(r);

	expect_usage(RUN("--"), "'--'");
	expect_usage(RUN("-p", "1", "--"), "'--'");
}

static void test_subcommands(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("record", "-o", "rec.st", "-p", "9");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_RECORD);
	assert_string_equal(r->o.output, "rec.st");
	run_free(r);

	r = RUN("record", "--output", "rec.st", "--cgroup", "/sys/fs/cgroup/x");
	expect_ok(r);
	assert_string_equal(r->o.output, "rec.st");
	run_free(r);

	r = RUN("report", "rec.st");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_REPORT);
	assert_int_equal(r->o.n_files, 1);
	assert_string_equal(r->o.files[0], "rec.st");
	run_free(r);

	r = RUN("report", "--json", "--html", "out.html", "rec.st");
	expect_ok(r);
	assert_int_equal(r->o.json, 1);
	assert_string_equal(r->o.html, "out.html");
	assert_string_equal(r->o.files[0], "rec.st");
	run_free(r);

	r = RUN("diff", "base.st", "new.st");
	expect_ok(r);
	assert_int_equal(r->o.cmd, CMD_DIFF);
	assert_int_equal(r->o.n_files, 2);
	assert_string_equal(r->o.files[0], "base.st");
	assert_string_equal(r->o.files[1], "new.st");
	run_free(r);
}

/* The contract writes "report FILE [--html OUT] [--json]": options after the
 * file must work as well as before it. */
static void test_options_after_files(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("report", "rec.st", "--json");
	expect_ok(r);
	assert_int_equal(r->o.json, 1);
	assert_int_equal(r->o.n_files, 1);
	assert_string_equal(r->o.files[0], "rec.st");
	run_free(r);

	r = RUN("report", "rec.st", "--html", "out.html", "--json");
	expect_ok(r);
	assert_string_equal(r->o.html, "out.html");
	assert_int_equal(r->o.json, 1);
	assert_int_equal(r->o.n_files, 1);
	run_free(r);

	r = RUN("diff", "base.st", "new.st", "--json");
	expect_ok(r);
	assert_int_equal(r->o.n_files, 2);
	assert_string_equal(r->o.files[1], "new.st");
	assert_int_equal(r->o.json, 1);
	run_free(r);
}

static void test_file_counts(void **state)
{
	(void)state;
	expect_usage(RUN("report"), "report");
	expect_usage(RUN("report", "--json"), "report");
	expect_usage(RUN("report", "a", "b"), "report");
	expect_usage(RUN("diff"), "diff");
	expect_usage(RUN("diff", "a"), "diff");
	expect_usage(RUN("diff", "a", "b", "c"), "'c'");
	/* top and record take no files */
	expect_usage(RUN("-p", "1", "extra"), "'extra'");
	expect_usage(RUN("record", "-o", "f", "-p", "1", "extra"), "'extra'");
}

static void test_bad_subcommand_and_targets(void **state)
{
	(void)state;
	expect_usage(RUN("frobnicate", "-p", "1"), "'frobnicate'");
	/* no target at all, for top and record */
	expect_usage(RUN_NO_ARGS(), "target");
	expect_usage(RUN("top"), "target");
	expect_usage(RUN("-i", "2", "--json"), "target");
	expect_usage(RUN("record", "-o", "f"), "target");
	/* record without -o names -o */
	expect_usage(RUN("record", "-p", "1"), "-o");
}

/* An option that does nothing in the chosen mode is refused, not ignored. */
static void test_mode_options(void **state)
{
	(void)state;
	expect_usage(RUN("-p", "1", "-o", "f"), "-o is for record only");
	expect_usage(RUN("report", "f", "-o", "g"), "-o is for record only");
	expect_usage(RUN("-p", "1", "--html", "x.html"), "--html is for report only");
	expect_usage(RUN("record", "-o", "f", "-p", "1", "--html", "x"), "--html is for report");
	expect_usage(RUN("-p", "1", "--threshold", "response=+5%"), "--threshold is for diff");
	expect_usage(RUN("report", "f", "--all"), "--all is for diff");
	expect_usage(RUN("-q", "--json", "-p", "1"), "-q and --json");
	expect_usage(RUN("report", "f", "-p", "1"), "report reads recordings");
	expect_usage(RUN("diff", "a", "b", "--listen", ":9464"), "diff reads recordings");
	/* the limits in messages are the real ones */
	expect_usage(RUN("-i", "99999999999", "-p", "1"), "from 0.01 to 86400");
	expect_usage(RUN("-i", "0.001", "-p", "1"), "from 0.01 to 86400");
	expect_usage(RUN("-d", "0", "-p", "1"), "more than 0");
}

static void test_bad_pids(void **state)
{
	(void)state;
	expect_usage(RUN("-p", "1,,2"), "-p");
	expect_usage(RUN("-p", "abc"), "'abc'");
	expect_usage(RUN("-p", "-5"), "'-5'");
	expect_usage(RUN("-p", "99999999999"), "'99999999999'");
	expect_usage(RUN("-p", "2147483648"), "-p"); /* INT_MAX + 1 */
	expect_usage(RUN("-p", "0"), "'0'");
	expect_usage(RUN("-p", ""), "-p");
	expect_usage(RUN("-p", "1,"), "-p");
	expect_usage(RUN("-p", ",1"), "-p");
	expect_usage(RUN("-p", "1, 2"), "-p");
	expect_usage(RUN("-p", "+3"), "'+3'");
	expect_usage(RUN("-p", "12x"), "'12x'");
	expect_usage(RUN("--pid", "1,abc"), "'abc'");
}

static void test_too_many_pids(void **state)
{
	char list[CLI_MAX_PIDS * 5 + 8];
	size_t n = 0;
	struct run *r;

	(void)state;
	/* exactly CLI_MAX_PIDS is fine */
	for (unsigned i = 1; i <= CLI_MAX_PIDS; i++)
		n += (size_t)sprintf(list + n, "%s%u", i > 1 ? "," : "", i);
	r = RUN("-p", list);
	expect_ok(r);
	assert_int_equal(r->o.n_pids, CLI_MAX_PIDS);
	assert_int_equal(r->o.pids[CLI_MAX_PIDS - 1], CLI_MAX_PIDS);
	run_free(r);
	/* one more is an error naming -p */
	sprintf(list + n, ",%u", CLI_MAX_PIDS + 1);
	expect_usage(RUN("-p", list), "-p");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	expect_usage(RUN("-p", "1", "-i", "0"), "-i");
	expect_usage(RUN("-p", "1", "-i", "abc"), "-i");
	expect_usage(RUN("-p", "1", "-i", "1e999"), "-i");
	expect_usage(RUN("-p", "1", "-i", "-1"), "-i");
	expect_usage(RUN("-p", "1", "-i", "nan"), "-i");
	expect_usage(RUN("-p", "1", "-i", "inf"), "-i");
	expect_usage(RUN("-p", "1", "-i", "0.001"), "-i"); /* below 10 ms */
	expect_usage(RUN("-p", "1", "-i", "1s"), "-i");
	expect_usage(RUN("-p", "1", "-i", ""), "-i");
	expect_usage(RUN("-p", "1", "--interval", "0"), "'0'");
	expect_usage(RUN("-p", "1", "-d", "-1"), "-d");
	expect_usage(RUN("-p", "1", "-d", "0"), "-d");
	expect_usage(RUN("-p", "1", "-d", "x"), "-d");
	expect_usage(RUN("-p", "1", "--max-procs", "0"), "--max-procs");
	expect_usage(RUN("-p", "1", "--max-procs", "5000"), "--max-procs");
	expect_usage(RUN("-p", "1", "--max-procs", "4097"), "--max-procs");
	expect_usage(RUN("-p", "1", "--max-procs", "-1"), "--max-procs");
	expect_usage(RUN("-p", "1", "--max-procs", "abc"), "--max-procs");
	expect_usage(RUN("-p", "1", "--max-procs", "18446744073709551616"), "--max-procs");
	expect_usage(RUN("-p", "1", "--sample", "0"), "--sample");
	expect_usage(RUN("-p", "1", "--sample", "-3"), "--sample");
	expect_usage(RUN("-p", "1", "--sample", "x"), "--sample");
	expect_usage(RUN("-p", "1", "--sample", "65537"), "--sample");
	expect_usage(RUN("report", "f.str", "--sample", "4"), "--sample");
	expect_usage(RUN("-c", ""), "-c");
	expect_usage(RUN("-c", "abcdefghijklmnop"), "-c"); /* 16 > 15 */
}

static void test_missing_values_and_unknown_options(void **state)
{
	(void)state;
	expect_usage(RUN("-p", "1", "-i"), "-i");
	expect_usage(RUN("-p", "1", "--interval"), "--interval");
	expect_usage(RUN("-p"), "-p");
	expect_usage(RUN("-c", "x", "--max-procs"), "--max-procs");
	expect_usage(RUN("record", "-p", "1", "-o"), "-o");
	expect_usage(RUN("-p", "1", "-x"), "-x");
	expect_usage(RUN("-p", "1", "--bogus"), "--bogus");
	expect_usage(RUN("-p", "1", "--json=yes"), "--json");
}

/* In a cluster of short options the message names the bad letter, not some
 * other word of the command line. */
/* --services: by command name by default, by port or cgroup when asked;
 * anything else is a usage error naming the option. */
static void test_services_option(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("-p", "1");
	expect_ok(r);
	assert_int_equal(r->o.services, 0);
	run_free(r);
	r = RUN("-p", "1", "--services");
	expect_ok(r);
	assert_int_equal(r->o.services, CLI_SERVICES_COMM);
	run_free(r);
	r = RUN("-p", "1", "--services=comm");
	expect_ok(r);
	assert_int_equal(r->o.services, CLI_SERVICES_COMM);
	run_free(r);
	r = RUN("-p", "1", "--services=port");
	expect_ok(r);
	assert_int_equal(r->o.services, CLI_SERVICES_PORT);
	run_free(r);
	r = RUN("-p", "1", "--services=cgroup");
	expect_ok(r);
	assert_int_equal(r->o.services, CLI_SERVICES_CGROUP);
	run_free(r);
	expect_usage(RUN("-p", "1", "--services=pid"), "--services");
	expect_usage(RUN("-p", "1", "--services="), "--services");
}

static void test_bad_option_in_cluster(void **state)
{
	(void)state;
	expect_usage(RUN("-p", "1", "-xv"), "-x");
	expect_usage(RUN("-vx", "-p", "1"), "x");
}

static void test_parse_helpers(void **state)
{
	pid_t pids[4];
	unsigned n = 0;
	unsigned long ul;
	double d;
	char bad[64];

	(void)state;
	assert_int_equal(cli_parse_seconds("2.5", &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(cli_parse_seconds(NULL, &d), -1);
	assert_int_equal(cli_parse_seconds("", &d), -1);
	assert_int_equal(cli_parse_seconds("1 ", &d), -1);
	/* a year is the cap */
	assert_int_equal(cli_parse_seconds("31536000", &d), 0);
	assert_int_equal(cli_parse_seconds("31536001", &d), -1);

	assert_int_equal(cli_parse_uint("7", 1, 10, &ul), 0);
	assert_int_equal(ul, 7);
	assert_int_equal(cli_parse_uint("10", 1, 10, &ul), 0);
	assert_int_equal(cli_parse_uint("11", 1, 10, &ul), -1);
	assert_int_equal(cli_parse_uint("0", 1, 10, &ul), -1);
	assert_int_equal(cli_parse_uint(" 5", 1, 10, &ul), -1);
	assert_int_equal(cli_parse_uint("-5", 0, 10, &ul), -1);

	assert_int_equal(cli_parse_pids("10,20", pids, 4, &n, bad, sizeof(bad)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[1], 20);
	/* appends to what is there; the bad token is reported */
	assert_int_equal(cli_parse_pids("30,x1", pids, 4, &n, bad, sizeof(bad)), -1);
	assert_string_equal(bad, "x1");
	assert_int_equal(n, 3);
	assert_int_equal(pids[2], 30);
	/* max reached */
	assert_int_equal(cli_parse_pids("40,50", pids, 4, &n, bad, sizeof(bad)), -1);
	assert_int_equal(n, 4);
	/* a tiny bad buffer truncates, never overruns (ASan) */
	n = 0;
	assert_int_equal(cli_parse_pids("123456789012", pids, 4, &n, bad, 4), -1);
	assert_string_equal(bad, "123");
}

/* --web-config names a file read when the server starts; it needs --listen */
static void test_web_config_flag(void **state)
{
	struct run *r;

	(void)state;
	r = RUN("-p", "1", "--listen", ":9100", "--web-config", "web.yml");
	expect_ok(r);
	assert_string_equal(r->o.web_config, "web.yml");
	run_free(r);
	r = RUN("record", "-o", "x.strec", "-p", "1", "--listen", ":9100", "--web-config=w.yml");
	expect_ok(r);
	assert_string_equal(r->o.web_config, "w.yml");
	run_free(r);
	r = RUN("-p", "1");
	expect_ok(r);
	assert_null(r->o.web_config);
	run_free(r);
	expect_usage(RUN("-p", "1", "--web-config", "web.yml"), "--web-config needs --listen");
	expect_usage(RUN("-p", "1", "--listen", ":9100", "--web-config", ""), "--web-config");
	expect_usage(RUN("-p", "1", "--listen", ":9100", "--web-config"), "--web-config");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, free_pending),
		cmocka_unit_test_teardown(test_all_options, free_pending),
		cmocka_unit_test_teardown(test_help_version, free_pending),
		cmocka_unit_test_teardown(test_command_split, free_pending),
		cmocka_unit_test_teardown(test_subcommands, free_pending),
		cmocka_unit_test_teardown(test_options_after_files, free_pending),
		cmocka_unit_test_teardown(test_file_counts, free_pending),
		cmocka_unit_test_teardown(test_bad_subcommand_and_targets, free_pending),
		cmocka_unit_test_teardown(test_mode_options, free_pending),
		cmocka_unit_test_teardown(test_bad_pids, free_pending),
		cmocka_unit_test_teardown(test_too_many_pids, free_pending),
		cmocka_unit_test_teardown(test_bad_numbers, free_pending),
		cmocka_unit_test_teardown(test_services_option, free_pending),
		cmocka_unit_test_teardown(test_missing_values_and_unknown_options, free_pending),
		cmocka_unit_test_teardown(test_bad_option_in_cluster, free_pending),
		cmocka_unit_test_teardown(test_parse_helpers, free_pending),
		cmocka_unit_test_teardown(test_web_config_flag, free_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
