// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscall names come from a table generated at build time from the system's
 * unistd_64.h; errno and signal names from glibc (strerrorname_np,
 * sigabbrev_np), plus the kernel-internal restart codes that a syscall-exit
 * tracepoint can see but no user-space header defines.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "names.h"
#include <linux/types.h>
#include "bpf/streamtrace.h"

static const char *const syscall_table[ST_MAX_SYSCALLS] = {
#include "syscall_table.h"
};

const char *syscall_name(unsigned nr)
{
	return nr < ST_MAX_SYSCALLS ? syscall_table[nr] : NULL;
}

const char *syscall_label(unsigned nr, char *buf, unsigned len)
{
	const char *name = syscall_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

int syscall_nr(const char *name)
{
	for (unsigned i = 0; i < ST_MAX_SYSCALLS; i++)
		if (syscall_table[i] && !strcmp(syscall_table[i], name))
			return (int)i;
	return -1;
}

/* include/linux/errno.h: never returned to user space, but visible at
 * sys_exit when a signal interrupts a syscall */
static const char *kernel_errno_name(int err)
{
	switch (err) {
	case 512:
		return "ERESTARTSYS";
	case 513:
		return "ERESTARTNOINTR";
	case 514:
		return "ERESTARTNOHAND";
	case 515:
		return "ENOIOCTLCMD";
	case 516:
		return "ERESTART_RESTARTBLOCK";
	case 517:
		return "EPROBE_DEFER";
	case 518:
		return "EOPENSTALE";
	case 519:
		return "ENOPARAM";
	default:
		return NULL;
	}
}

const char *errno_name(int err, char *buf, unsigned len)
{
	const char *n = err > 0 ? strerrorname_np(err) : NULL;

	if (!n)
		n = kernel_errno_name(err);
	if (n)
		return n;
	snprintf(buf, len, "E%d", err);
	return buf;
}

const char *signal_name(int sig, char *buf, unsigned len)
{
	const char *n = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (n) {
		snprintf(buf, len, "SIG%s", n);
		return buf;
	}
	snprintf(buf, len, "SIG%d", sig);
	return buf;
}
