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
/* Processes in a cgroup v2 directory (cgroup.procs). -1 with errno on error. */
ssize_t procfs_cgroup_pids(const char *dir, pid_t *pids, size_t max);

#endif
