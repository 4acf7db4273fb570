// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What --services needs to know about a process, from the system: the CPUs
 * it may run on (sched_getaffinity, which reflects its cpuset), its cgroup
 * v2 path and the tightest cpu.max quota on the way up from it, and its
 * lowest listening TCP port (its socket inodes in /proc/PID/fd against the
 * LISTEN entries of /proc/PID/net/tcp and tcp6). Parsing is in services.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services_sys.h"

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return 0;
}

/* The lowest listening TCP port among the process's sockets, or 0. */
static unsigned listen_port(pid_t pid)
{
	static const char *const files[] = {"tcp", "tcp6"};
	unsigned long inodes[256];
	unsigned ports[256], n = 0, best = 0;
	char path[64], line[512], link[64];
	struct dirent *d;
	DIR *dir;

	for (unsigned f = 0; f < 2; f++) {
		FILE *fp;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, files[f]);
		fp = fopen(path, "re");
		if (!fp)
			continue;
		while (n < 256 && fgets(line, sizeof(line), fp))
			if (!services_parse_tcp_listen(line, &ports[n], &inodes[n]))
				n++;
		fclose(fp);
	}
	if (!n)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		char fdpath[400];
		unsigned long ino;
		ssize_t k;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		k = readlink(fdpath, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = 0;
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (inodes[i] == ino && ports[i] && (!best || ports[i] < best))
				best = ports[i];
	}
	closedir(dir);
	return best;
}

int services_sys_attr(pid_t pid, const char *comm, enum services_by by, struct service_attr *a)
{
	char buf[4096], cg[1024], path[1200];
	cpu_set_t set;

	memset(a, 0, sizeof(*a));
	a->pid = (uint32_t)pid;
	a->quota_cpus = NAN;
	CPU_ZERO(&set);
	if (!sched_getaffinity(pid, sizeof(set), &set)) {
		a->cpus_known = 1;
		for (unsigned c = 0; c < CPU_SETSIZE && c < SERVICE_CPU_WORDS * 64; c++)
			if (CPU_ISSET(c, &set))
				a->cpus[c / 64] |= 1ull << (c % 64);
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	cg[0] = 0;
	if (!read_text(path, buf, sizeof(buf)) && !services_parse_cgroup(buf, cg, sizeof(cg))) {
		/* the tightest quota from the process's cgroup up to the root */
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s", cg);
		for (;;) {
			double q;

			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", dir);
			if (!read_text(path, buf, sizeof(buf)) &&
			    !services_parse_cpu_max(buf, &q) && isfinite(q) &&
			    (!isfinite(a->quota_cpus) || q < a->quota_cpus))
				a->quota_cpus = q;
			char *slash = strrchr(dir, '/');

			if (!slash || slash == dir)
				break;
			*slash = 0;
		}
	}
	if (by == SERVICES_CGROUP && cg[0]) {
		snprintf(a->key, sizeof(a->key), "cgroup:%s", cg);
	} else if (by == SERVICES_PORT) {
		unsigned port = listen_port(pid);

		if (port)
			snprintf(a->key, sizeof(a->key), "port:%u", port);
		else
			snprintf(a->key, sizeof(a->key), "%s", comm); /* no listener: by name */
	}
	return 0;
}
