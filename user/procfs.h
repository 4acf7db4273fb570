/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Readers of /proc and cgroupfs: what the kernel already counts exactly
 * (page faults, RSS, threads) and how targets are found (by name, cgroup). */
#ifndef ST_PROCFS_H
#define ST_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct procfs_stat {
	char comm[16];
	char state;
	uint64_t minflt, majflt;
	uint32_t threads;
	uint64_t starttime; /* clock ticks after boot: with the pid, a process's identity */
	uint64_t rss_bytes;
};

/* Parse the text of /proc/PID/stat (and statm's resident pages, or 0). */
int procfs_parse_stat(const char *text, struct procfs_stat *st);
/* Read /proc/PID/stat and statm; -1 when the process is gone. */
int procfs_read(pid_t pid, struct procfs_stat *st);
/* Processes (thread-group leaders) whose comm equals name; returns the count
 * (at most max written to pids). */
size_t procfs_find_comm(const char *name, pid_t *pids, size_t max);
/* Processes in a cgroup v2 directory and every cgroup below it (cgroup.procs,
 * to PROCFS_CGROUP_MAX_DEPTH levels): returns how many were found (at most
 * max written to pids), -1 with errno when dir itself cannot be read. */
#define PROCFS_CGROUP_MAX_DEPTH 16
ssize_t procfs_cgroup_pids(const char *dir, pid_t *pids, size_t max);
/* 1 if dir is a cgroup v2 (cgroup2 filesystem) directory. */
int procfs_is_cgroup2(const char *dir);
/* The process (thread group) a pid or thread id belongs to, from
 * /proc/ID/status; -1 when it is gone. The parser takes the file's text. */
pid_t procfs_tgid(pid_t id);
int procfs_parse_tgid(const char *status);

/* The host's CPUs and the time a hypervisor ran something else while they
 * were busy ("steal", since boot, all CPUs), from /proc/stat. */
struct procfs_host {
	unsigned cpus;	      /* cpuN lines: CPUs online */
	uint64_t steal_ticks; /* the "cpu" line's 8th value, in clock ticks */
};
/* Parse /proc/stat's text (its cpu lines: the rest may be cut off); 0, or
 * -1 when it has no "cpu" line with a steal value (kernels before 2.6.11). */
int procfs_parse_host(const char *text, struct procfs_host *h);
/* Read /proc/stat; -1 when it cannot be read or parsed. */
int procfs_read_host(struct procfs_host *h);

#endif
