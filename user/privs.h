/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privileges after start (issue 16): once the BPF programs are loaded and
 * attached, the agent gives up every capability it no longer needs, so that
 * a flaw in what runs afterwards (the HTTP endpoint above all) cannot act as
 * root. Run as root, it also becomes uid/gid 65534 (nobody/nogroup): a root
 * without capabilities still owns /etc. docs/prometheus.md says what is kept
 * and why.
 */
#ifndef ST_PRIVS_H
#define ST_PRIVS_H

#include <stddef.h>
#include <stdint.h>

#define PRIVS_CAP(c) (1ull << (c))
#define PRIVS_NOBODY 65534

/*
 * Whether reading and updating BPF maps through file descriptors already
 * held needs CAP_BPF on this kernel (it does before Linux 6.5 when
 * kernel.unprivileged_bpf_disabled is set, as distributions set it): found
 * by trying, in a child that drops every capability and looks up a map its
 * parent created. 1 yes, 0 no, -1 could not tell (then keep it).
 */
int privs_map_access_needs_cap_bpf(void);

/*
 * Keep only the capabilities in keep (a PRIVS_CAP mask): effective and
 * permitted sets, the bounding set (when allowed to change it) so no
 * execve can win any back, ambient set cleared, no_new_privs set; and when
 * running as uid 0 with CAP_SETUID, switch to PRIVS_NOBODY first. 0, or -1
 * with a one-line reason in err (the process is then left as it was, or
 * with fewer capabilities, never more).
 */
int privs_drop(uint64_t keep, char *err, size_t errlen);

/* "cap_bpf,cap_sys_ptrace" for a mask ("none" when empty). */
void privs_names(uint64_t caps, char *buf, size_t len);

#endif
