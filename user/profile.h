/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --profile (issue 13): a run's stack profile as folded rows, one per
 * (process, on/off CPU, stack), the stack's frames outermost first joined
 * by ';', kernel frames ending in "_[k]". On-CPU rows count samples;
 * off-CPU rows count nanoseconds blocked while busy (a message in service).
 * Plain C, no libbpf: the outputs (user/profile_out.c) and the recording
 * read it; user/profile_live.c fills it from the kernel.
 */
#ifndef ST_PROFILE_H
#define ST_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "bpf/streamtrace.h"

struct profile_row {
	uint32_t pid;
	char comm[ST_COMM_LEN];
	uint32_t offcpu; /* 0 on-CPU (value: samples), 1 off-CPU (value: ns) */
	uint64_t value;
	char *stack; /* "outer;...;inner" */
};

struct profile {
	uint32_t hz; /* sampling frequency (0: not known) */
	struct profile_row *rows;
	size_t n, cap;
	/* lookup by (pid, offcpu, stack): open addressing over rows' indexes */
	size_t *slots;
	size_t n_slots;
};

struct profile *profile_new(uint32_t hz);
void profile_free(struct profile *p);
/* Add value to the row (pid, offcpu, stack); comm names a new row. 0 or -1. */
int profile_add(struct profile *p, uint32_t pid, const char *comm, uint32_t offcpu,
		const char *stack, uint64_t value);

/* Folded stacks, one line a row: "comm;frames N" on-CPU (N samples),
 * "comm-off;frames N" off-CPU (N microseconds, rounded; rows under 1 µs
 * left out). Returns 0, or -1 on a write error. */
int profile_write_folded(const struct profile *p, FILE *f);

/* The recording's PROF frame payload (docs/recordings.md). */
int profile_encode(const struct profile *p, uint8_t **buf, size_t *len);
/* NULL with a reason in why on a malformed payload. */
struct profile *profile_decode(const uint8_t *buf, size_t len, const char **why);

/* Per process: total on-CPU samples, off-CPU ns; and the top frames. A
 * row's frame is its innermost user frame (its innermost frame when it
 * has no user frame). */
struct profile_top {
	char frame[256];
	uint64_t value;
};
void profile_row_frame(const char *stack, char *out, size_t len);
uint64_t profile_total(const struct profile *p, uint32_t pid, uint32_t offcpu);
/* up to max entries, largest first; returns how many */
size_t profile_top(const struct profile *p, uint32_t pid, uint32_t offcpu, struct profile_top *out,
		   size_t max);
/* The pids that have rows, each once, in first-seen order; returns how many. */
size_t profile_pids(const struct profile *p, uint32_t *pids, size_t max);

#endif
