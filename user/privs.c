// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Giving up privileges once tracing runs (see privs.h). Raw capget/capset
 * (no libcap): the sets are two 32-bit words each. The order matters: the
 * bounding set and securebits need CAP_SETPCAP, and the uid switch needs
 * CAP_SETUID/CAP_SETGID, so both come before the final capset that keeps
 * only what the caller asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <bpf/bpf.h>
#include "privs.h"

static int capget_mask(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -1;
	*eff = (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = (uint64_t)d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* effective = permitted = caps, inheritable empty */
static int capset_mask(uint64_t caps)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)caps;
	d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1 || n < 0 || n > 63)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n;
}

int privs_map_access_needs_cap_bpf(void)
{
	int fd, status;
	__u32 key = 0;
	__u64 val;
	pid_t pid;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "st_privprobe", sizeof(key), sizeof(val), 1, NULL);
	if (fd < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		/* only system calls here: the parent has other threads */
		if (capset_mask(0))
			_exit(2);
		if (!bpf_map_lookup_elem(fd, &key, &val))
			_exit(0);
		_exit(errno == EPERM ? 1 : 2);
	}
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 0 ? 0 : WEXITSTATUS(status) == 1 ? 1 : -1;
}

int privs_drop(uint64_t keep, char *err, size_t errlen)
{
	uint64_t eff, perm;
	int last = last_cap(), switch_uid;

	if (capget_mask(&eff, &perm)) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	keep &= perm; /* never more than we have */
	switch_uid =
		geteuid() == 0 && (eff & PRIVS_CAP(CAP_SETUID)) && (eff & PRIVS_CAP(CAP_SETGID));

	if (eff & PRIVS_CAP(CAP_SETPCAP)) {
		/* root's execve no longer grants everything, and ambient
		 * capabilities cannot be raised again; best effort, locked */
		prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
						 SECBIT_NO_CAP_AMBIENT_RAISE |
						 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
		for (int c = 0; c <= last; c++)
			if (!(keep & PRIVS_CAP(c)) && prctl(PR_CAPBSET_DROP, c) &&
			    errno != EINVAL) {
				snprintf(err, errlen,
					 "dropping capability %d from the bounding set: %s", c,
					 strerror(errno));
				return -1;
			}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (switch_uid) {
		/* keep the permitted set across setuid; effective is cleared */
		if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
		    setresgid(PRIVS_NOBODY, PRIVS_NOBODY, PRIVS_NOBODY) ||
		    setresuid(PRIVS_NOBODY, PRIVS_NOBODY, PRIVS_NOBODY)) {
			snprintf(err, errlen, "becoming uid %d: %s", PRIVS_NOBODY, strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0);
	}
	if (capset_mask(keep)) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* check, rather than trust: what is left is what was asked */
	if (capget_mask(&eff, &perm) || eff != keep || perm != keep) {
		snprintf(err, errlen, "capabilities left after the drop are not the ones kept");
		return -1;
	}
	return 0;
}

void privs_names(uint64_t caps, char *buf, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = {
		{CAP_KILL, "cap_kill"},
		{CAP_SYS_PTRACE, "cap_sys_ptrace"},
		{CAP_PERFMON, "cap_perfmon"},
		{CAP_BPF, "cap_bpf"},
		{CAP_SYS_ADMIN, "cap_sys_admin"},
		{CAP_SYS_RESOURCE, "cap_sys_resource"},
		{CAP_DAC_READ_SEARCH, "cap_dac_read_search"},
	};
	size_t n = 0;

	buf[0] = 0;
	for (int c = 0; c < 64; c++) {
		const char *name = NULL;
		char num[16];

		if (!(caps & PRIVS_CAP(c)))
			continue;
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i].cap == c)
				name = names[i].name;
		if (!name) {
			snprintf(num, sizeof(num), "cap_%d", c);
			name = num;
		}
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}
