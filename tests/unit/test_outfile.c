/*
 * Unit tests for user/outfile.c: a write to a pipe whose reader has gone is
 * told apart (OUT_CLOSED, status unchanged) from a write that fails for
 * another reason (/dev/full: OUT_FAILED, status 1 and one line saying why),
 * and a stream that took everything is OUT_OK.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "outfile.h"

static void write_lots(FILE *f)
{
	for (int i = 0; i < 20000; i++)
		fputs("{\"type\":\"interval\"}\n", f);
}

static void test_ok(void **state)
{
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	write_lots(f);
	assert_int_equal(out_flush(f), OUT_OK);
	assert_int_equal(out_finish(f, "x", stderr, 3), 3);
	fclose(f);
}

static void test_closed_pipe(void **state)
{
	int p[2];
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]); /* the reader went away, as with `| head -1` */
	f = fdopen(p[1], "w");
	assert_non_null(f);
	write_lots(f);
	assert_int_equal(out_flush(f), OUT_CLOSED);
	assert_int_equal(out_finish(f, "x", stderr, 0), 0);
	fclose(f);
}

static void test_full_disk(void **state)
{
	FILE *f = fopen("/dev/full", "w"), *err = tmpfile();
	char line[200] = "";

	(void)state;
	if (!f)
		skip();
	assert_non_null(err);
	write_lots(f);
	assert_int_equal(out_flush(f), OUT_FAILED);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(out_finish(f, "the report", err, 0), 1);
	rewind(err);
	assert_non_null(fgets(line, sizeof(line), err));
	assert_string_equal(line,
			    "streamtrace: writing the report failed: No space left on device\n");
	fclose(f);
	fclose(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_closed_pipe),
		cmocka_unit_test(test_full_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
