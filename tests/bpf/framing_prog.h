/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What framing_prog.bpf.c and framing_run.c share: the context of one run (a
 * read) and the state left in .bss. Include bpf/framing.h first. */
#ifndef STREAMTRACE_FRAMING_PROG_H
#define STREAMTRACE_FRAMING_PROG_H

#define FR_CHUNK 4096 /* bytes per read: the context must stay below 64 KiB */
#define FR_ENDS	 4096 /* message ends kept (counting goes on past them) */

/* the context: one read */
struct fr_args {
	__u32 len;   /* bytes in data */
	__u32 proto; /* nonzero: st_frame_init(proto, dir) first (a new stream) */
	__u32 dir;
	__u32 detect_len; /* nonzero: only st_frame_detect(data, detect_len, dir, at_start) */
	__u32 at_start;
	__u32 pad;
	__u64 base; /* stream offset of data[0] */
	__u8 data[FR_CHUNK];
};

struct fr_state {
	struct st_frame f;
	__u64 base;
	__u32 pos, len;
	__u32 msgs;
	__u32 err;
	__u64 err_at;
	__u64 steps;
	__u32 detected;
	__u32 pad;
	__u64 loop_ns; /* time in bpf_loop over all reads of the stream */
	__u64 ends[FR_ENDS];
	__u8 data[FR_CHUNK + 8]; /* 8 more: a word load at the last byte stays inside */
};

#endif /* STREAMTRACE_FRAMING_PROG_H */
