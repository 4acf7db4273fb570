// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The framers of bpf/framing.h under the kernel's verifier: one read of a
 * stream comes in the program's context (SEC("syscall"), run with
 * BPF_PROG_TEST_RUN by tests/bpf/framing_run.c), and a bpf_loop callback
 * makes one st_frame_step() per iteration, as the socket programs do. The
 * framing state stays in .bss between runs, so a stream fed in several reads
 * crosses read boundaries exactly as it does on a socket. Message ends, the
 * error byte and the detection result are left in .bss for the loader to
 * compare with the same code compiled in user space.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "framing.h"
#include "framing_prog.h"

struct fr_state st;

static long fr_step(__u64 i, void *ctx)
{
	struct fr_state *s = &st;
	__u32 pos = s->pos, n;
	int res;

	if (pos >= s->len || s->err)
		return 1;
	n = st_frame_step(&s->f, s->data[pos & (FR_CHUNK - 1)], s->len - pos, &res);
	s->steps++;
	if (res == ST_FR_ERR) {
		s->err = 1;
		s->err_at = s->base + pos;
		return 1;
	}
	s->pos = pos + n;
	if (res == ST_FR_END) {
		if (s->msgs < FR_ENDS)
			s->ends[s->msgs & (FR_ENDS - 1)] = s->base + s->pos;
		s->msgs++;
	}
	return 0;
}

/* Detection as a global function: the verifier checks it once, on its own,
 * whatever the caller (its ~80k verified instructions would otherwise be
 * paid again for each way a caller reaches it). */
__noinline int fr_detect(struct st_frame_head *h, __u32 len, int dir, int at_start)
{
	if (!h)
		return ST_PROTO_NONE;
	return st_frame_detect(h->b, len, dir, at_start);
}

SEC("syscall")
int framing_run(struct fr_args *a)
{
	__u32 len = a->len, dlen = a->detect_len;

	if (len > FR_CHUNK)
		return -1;
#ifndef FR_NO_DETECT
	if (dlen) {
		struct st_frame_head h = {};

		if (bpf_probe_read_kernel(&h, sizeof(h), a->data))
			return -2;
		st.detected = fr_detect(&h, dlen, a->dir, a->at_start);
		return 0;
	}
#endif
#ifndef FR_NO_FRAME
	if (a->proto) {
		st_frame_init(&st.f, a->proto, a->dir);
		st.msgs = 0;
		st.err = 0;
		st.err_at = 0;
		st.steps = 0;
	}
	if (bpf_probe_read_kernel(st.data, sizeof(st.data), a->data))
		return -2;
	st.len = len;
	st.pos = 0;
	st.base = a->base;
	/* every iteration consumes at least one byte */
	bpf_loop(FR_CHUNK + 1, fr_step, NULL, 0);
#endif
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
