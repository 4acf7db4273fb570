/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names of syscalls, errnos and signals, for output. */
#ifndef ST_NAMES_H
#define ST_NAMES_H

/* "read" for 0; NULL when the number has no name on this system. */
const char *syscall_name(unsigned nr);
/* The syscall's name, or "syscall_<nr>" written into buf (unnamed on this
 * system): what every output calls a syscall. */
#define SYSCALL_LABEL_LEN 24
const char *syscall_label(unsigned nr, char *buf, unsigned len);
/* Number of the syscall called name, or -1. */
int syscall_nr(const char *name);
/* "ENOENT" for 2; kernel-internal restart codes by their kernel names;
 * writes "E<n>" into buf for an unknown number and returns buf. */
const char *errno_name(int err, char *buf, unsigned len);
/* "SIGSEGV" for 11, "SIG<n>" into buf when unknown. */
const char *signal_name(int sig, char *buf, unsigned len);

#endif
