/*
 * Unit tests for user/names.c: syscall names from the table generated into
 * build/gen/syscall_table.h (checked against the x86-64 and arm64 syscall ABI,
 * which never changes numbers), the name -> number lookup and its round trip,
 * errno names from glibc plus the kernel-internal restart codes (512..519,
 * include/linux/errno.h), signal names, and the "E<n>"/"SIG<n>" fallbacks,
 * including that a short buffer truncates instead of overflowing (ASan).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <linux/types.h>
#include "bpf/streamtrace.h"
#include "names.h"

static void test_syscall_names_abi(void **state)
{
	(void)state;
#if defined(__x86_64__)
	/* arch/x86/entry/syscalls/syscall_64.tbl */
	assert_string_equal(syscall_name(0), "read");
	assert_string_equal(syscall_name(1), "write");
	assert_string_equal(syscall_name(2), "open");
	assert_string_equal(syscall_name(15), "rt_sigreturn");
	assert_string_equal(syscall_name(59), "execve");
	assert_string_equal(syscall_name(60), "exit");
	assert_string_equal(syscall_name(231), "exit_group");
	assert_string_equal(syscall_name(257), "openat");
	assert_string_equal(syscall_name(299), "recvmmsg");
	/* 335..423 were never assigned on x86-64 */
	assert_null(syscall_name(335));
	assert_null(syscall_name(400));
	assert_string_equal(syscall_name(424), "pidfd_send_signal");
#elif defined(__aarch64__)
	/* include/uapi/asm-generic/unistd.h */
	assert_string_equal(syscall_name(56), "openat");
	assert_string_equal(syscall_name(63), "read");
	assert_string_equal(syscall_name(64), "write");
	assert_string_equal(syscall_name(94), "exit_group");
#else
	print_message("SKIP: no syscall numbers written down for this architecture\n");
	skip();
#endif
}

static void test_syscall_out_of_range(void **state)
{
	(void)state;
	assert_null(syscall_name(ST_MAX_SYSCALLS));
	assert_null(syscall_name(ST_MAX_SYSCALLS + 1));
	assert_null(syscall_name(~0u));
	assert_int_equal(syscall_nr("no_such_syscall"), -1);
	assert_int_equal(syscall_nr(""), -1);
	/* a prefix of a name is not the name */
	assert_int_equal(syscall_nr("rea"), -1);
}

static void test_syscall_round_trip(void **state)
{
	unsigned named = 0;

	(void)state;
#if defined(__x86_64__)
	assert_int_equal(syscall_nr("read"), 0);
	assert_int_equal(syscall_nr("openat"), 257);
	assert_int_equal(syscall_nr("exit_group"), 231);
#endif
	for (unsigned nr = 0; nr < ST_MAX_SYSCALLS; nr++) {
		const char *n = syscall_name(nr);

		if (!n)
			continue;
		named++;
		assert_true(n[0] != '\0');
		/* names are unique, so the lookup finds this very number */
		assert_int_equal(syscall_nr(n), nr);
	}
	/* x86-64 has 335 + 40-odd numbered syscalls; any real table has hundreds */
	assert_true(named >= 300);
}

static void test_errno_names(void **state)
{
	char buf[32];

	(void)state;
	/* asm-generic/errno-base.h and errno.h numbers, the same on every Linux arch
	 * this builds for */
	assert_string_equal(errno_name(1, buf, sizeof(buf)), "EPERM");
	assert_string_equal(errno_name(2, buf, sizeof(buf)), "ENOENT");
	assert_string_equal(errno_name(4, buf, sizeof(buf)), "EINTR");
	assert_string_equal(errno_name(13, buf, sizeof(buf)), "EACCES");
	assert_string_equal(errno_name(ECONNRESET, buf, sizeof(buf)), "ECONNRESET");
	/* kernel-internal codes seen at sys_exit */
	assert_string_equal(errno_name(512, buf, sizeof(buf)), "ERESTARTSYS");
	assert_string_equal(errno_name(513, buf, sizeof(buf)), "ERESTARTNOINTR");
	assert_string_equal(errno_name(514, buf, sizeof(buf)), "ERESTARTNOHAND");
	assert_string_equal(errno_name(516, buf, sizeof(buf)), "ERESTART_RESTARTBLOCK");
	assert_string_equal(errno_name(519, buf, sizeof(buf)), "ENOPARAM");
}

static void test_errno_unknown(void **state)
{
	char buf[32], small[4];
	const char *n;

	(void)state;
	n = errno_name(9999, buf, sizeof(buf));
	assert_ptr_equal(n, buf);
	assert_string_equal(n, "E9999");
	assert_string_equal(errno_name(0, buf, sizeof(buf)), "E0");
	assert_string_equal(errno_name(-3, buf, sizeof(buf)), "E-3");
	/* 520 is past the kernel's internal range */
	assert_string_equal(errno_name(520, buf, sizeof(buf)), "E520");
	/* a short buffer truncates ("E99" + NUL), never overruns */
	memset(small, 'x', sizeof(small));
	n = errno_name(99999, small, sizeof(small));
	assert_string_equal(n, "E99");
}

static void test_signal_names(void **state)
{
	char buf[32], small[5];

	(void)state;
	assert_string_equal(signal_name(SIGKILL, buf, sizeof(buf)), "SIGKILL");
	assert_string_equal(signal_name(SIGSEGV, buf, sizeof(buf)), "SIGSEGV");
	assert_string_equal(signal_name(SIGTERM, buf, sizeof(buf)), "SIGTERM");
	assert_string_equal(signal_name(SIGINT, buf, sizeof(buf)), "SIGINT");
	assert_string_equal(signal_name(0, buf, sizeof(buf)), "SIG0");
	assert_string_equal(signal_name(-1, buf, sizeof(buf)), "SIG-1");
	assert_string_equal(signal_name(200, buf, sizeof(buf)), "SIG200");
	/* "SIGSEGV" cut to 4 characters + NUL */
	assert_string_equal(signal_name(SIGSEGV, small, sizeof(small)), "SIGS");
}

/* every output calls a syscall by its name, or syscall_<nr> when unnamed */
static void test_syscall_label(void **state)
{
	char buf[SYSCALL_LABEL_LEN];

	(void)state;
	assert_string_equal(syscall_label(0, buf, sizeof(buf)), "read");
	assert_string_equal(syscall_label(ST_MAX_SYSCALLS + 7, buf, sizeof(buf)), "syscall_519");
	assert_ptr_equal(syscall_label(ST_MAX_SYSCALLS + 7, buf, sizeof(buf)), buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_names_abi),
		cmocka_unit_test(test_syscall_out_of_range),
		cmocka_unit_test(test_syscall_round_trip),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_errno_unknown),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_syscall_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
