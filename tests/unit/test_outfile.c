/*
 * Unit tests for user/outfile.c: a write to a pipe whose reader has gone is
 * told apart (OUT_CLOSED, status unchanged) from a write that fails for
 * another reason (/dev/full: OUT_FAILED, status 1 and one line saying why),
 * and a stream that took everything is OUT_OK. out_open: "-" is the
 * caller's stream, or a stream of its own on standard output; a path is
 * created with the mode asked, truncated when it exists, and with
 * OUT_NOFOLLOW a symbolic link is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* A scratch path of this run. */
static void scratch(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/st-outfile.%d.%s", (int)getpid(), name);
}

static void test_open_dash(void **state)
{
	FILE *f;

	(void)state;
	assert_ptr_equal(out_open("-", stderr, 0600, OUT_NOFOLLOW), stderr);
	/* its own stream on standard output: closing it leaves stdout open */
	f = out_open("-", NULL, 0644, 0);
	assert_non_null(f);
	assert_ptr_not_equal(f, stdout);
	assert_int_not_equal(fileno(f), STDOUT_FILENO);
	assert_int_equal(fclose(f), 0);
	assert_int_not_equal(fcntl(STDOUT_FILENO, F_GETFD), -1);
}

static void test_open_file(void **state)
{
	char path[128], link[128], buf[16] = "";
	mode_t old = umask(0);
	struct stat st;
	FILE *f;

	(void)state;
	scratch(path, sizeof(path), "out");
	scratch(link, sizeof(link), "link");
	unlink(path);
	unlink(link);
	/* created with the mode asked, close-on-exec */
	f = out_open(path, stdout, 0600, OUT_NOFOLLOW);
	assert_non_null(f);
	assert_true(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC);
	fputs("a longer first text", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* truncated when it exists */
	f = out_open(path, NULL, 0644, 0);
	assert_non_null(f);
	fputs("short", f);
	assert_int_equal(fclose(f), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "short");
	/* a symbolic link: followed, unless OUT_NOFOLLOW */
	assert_int_equal(symlink(path, link), 0);
	errno = 0;
	assert_null(out_open(link, NULL, 0600, OUT_NOFOLLOW));
	assert_int_equal(errno, ELOOP);
	f = out_open(link, NULL, 0600, 0);
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	/* a directory that is not there */
	assert_null(out_open("/nonexistent-dir/x", NULL, 0600, 0));
	assert_int_equal(errno, ENOENT);
	unlink(link);
	unlink(path);
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),	  cmocka_unit_test(test_closed_pipe),
		cmocka_unit_test(test_full_disk), cmocka_unit_test(test_open_dash),
		cmocka_unit_test(test_open_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
