// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc readers. The comm in /proc/PID/stat is in parentheses and may itself
 * hold spaces and parentheses, so fields are counted from the last ')'.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "procfs.h"

int procfs_parse_stat(const char *text, struct procfs_stat *st)
{
	const char *l = strchr(text, '('), *r = strrchr(text, ')');
	unsigned long long v[22] = {0};
	size_t n;
	int i = 0;
	const char *p;

	memset(st, 0, sizeof(*st));
	if (!l || !r || r < l || r[1] != ' ')
		return -1;
	n = (size_t)(r - l - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, l + 1, n);
	p = r + 2;
	if (!*p)
		return -1;
	st->state = *p;
	/* fields 4.. after the state: ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime prio nice threads
	 * itrealvalue starttime */
	p++;
	while (*p && i < 19) {
		char *end;

		while (*p == ' ')
			p++;
		v[i++] = strtoull(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	if (i < 19)
		return -1;
	st->minflt = v[6];
	st->majflt = v[8];
	st->threads = (uint32_t)v[16];
	st->starttime = v[18];
	return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return (ssize_t)n;
}

int procfs_read(pid_t pid, struct procfs_stat *st)
{
	char path[64], buf[1024];
	unsigned long long size, resident;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 || procfs_parse_stat(buf, st))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small(path, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu %llu", &size, &resident) == 2)
		st->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

size_t procfs_find_comm(const char *name, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct procfs_stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		if (procfs_read((pid_t)pid, &st) || strncmp(st.comm, name, sizeof(st.comm) - 1))
			continue;
		if (n < max)
			pids[n] = (pid_t)pid;
		n++;
	}
	closedir(d);
	return n;
}

/* One cgroup directory and, to a bounded depth, the ones below it. */
static int cgroup_walk(const char *dir, pid_t *pids, size_t max, size_t *n, unsigned depth)
{
	char path[4096];
	struct dirent *de;
	FILE *f;
	DIR *d;
	long pid;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(path, "re");
	if (!f)
		return depth ? 0 : -1; /* a child cgroup may go away meanwhile */
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0 && *n < max)
			pids[*n] = (pid_t)pid;
		if (pid > 0)
			(*n)++;
	}
	fclose(f);
	if (depth >= PROCFS_CGROUP_MAX_DEPTH || !(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		cgroup_walk(path, pids, max, n, depth + 1);
	}
	closedir(d);
	return 0;
}

ssize_t procfs_cgroup_pids(const char *dir, pid_t *pids, size_t max)
{
	size_t n = 0;

	if (cgroup_walk(dir, pids, max, &n, 0))
		return -1;
	return (ssize_t)n;
}

int procfs_is_cgroup2(const char *dir)
{
	struct statfs sf;

	return !statfs(dir, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC;
}

int procfs_parse_tgid(const char *status)
{
	const char *p = strstr(status, "\nTgid:");
	char *end;
	long v;

	if (!p)
		return -1;
	v = strtol(p + 6, &end, 10);
	return end != p + 6 && v > 0 && v <= INT32_MAX ? (int)v : -1;
}

pid_t procfs_tgid(pid_t id)
{
	char path[64], buf[1024];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	return procfs_parse_tgid(buf);
}

int procfs_parse_host(const char *text, struct procfs_host *h)
{
	const char *l = text;
	int have = 0;

	memset(h, 0, sizeof(*h));
	while (l && *l) {
		if (!strncmp(l, "cpu ", 4)) {
			unsigned long long v[8];

			if (sscanf(l + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
				h->steal_ticks = v[7];
				have = 1;
			}
		} else if (!strncmp(l, "cpu", 3) && isdigit((unsigned char)l[3])) {
			h->cpus++;
		} else if (strncmp(l, "cpu", 3)) {
			break; /* the cpu lines come first */
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return have ? 0 : -1;
}

int procfs_read_host(struct procfs_host *h)
{
	/* the cpu lines of a few hundred CPUs; the interrupt counts after them
	 * are not needed */
	char buf[64 * 1024];

	if (read_small("/proc/stat", buf, sizeof(buf)) <= 0)
		return -1;
	return procfs_parse_host(buf, h);
}
