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

/* One st_frame_step() (or st_frame_step8() when eight); 1 when the read is
 * done or framing ended. */
static __always_inline int fr_one(struct fr_state *s, int eight)
{
	__u32 pos = s->pos, n;
	int res;

	if (pos >= s->len || s->err)
		return 1;
	if (eight && st_frame_wordwise(&s->f)) {
		__u64 w;

		__builtin_memcpy(&w, &s->data[pos & (FR_CHUNK - 1)], sizeof(w));
		n = st_frame_step8(&s->f, w, s->len - pos, &res);
	} else {
		n = st_frame_step(&s->f, s->data[pos & (FR_CHUNK - 1)], s->len - pos, &res);
	}
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

/* One byte step per bpf_loop iteration, as the interface promises to the
 * verifier; and eight word steps (st_frame_step8) per iteration, which
 * shares the callback's fixed cost and takes small headers whole (the
 * loader prints the time per message of both) */
static long fr_step(__u64 i, void *ctx)
{
	return fr_one(&st, 0);
}

static long fr_step8(__u64 i, void *ctx)
{
	int k;

	for (k = 0; k < 8; k++)
		if (fr_one(&st, 1))
			return 1;
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

static __always_inline int fr_run(struct fr_args *a, int eight)
{
	__u32 len = a->len, dlen = a->detect_len;
	__u64 t0;

	if (len > FR_CHUNK)
		return -1;
	if (dlen) {
		struct st_frame_head h = {};

		if (bpf_probe_read_kernel(&h, sizeof(h), a->data))
			return -2;
		st.detected = fr_detect(&h, dlen, a->dir, a->at_start);
		return 0;
	}
	if (a->proto) {
		st_frame_init(&st.f, a->proto, a->dir);
		st.msgs = 0;
		st.err = 0;
		st.err_at = 0;
		st.steps = 0;
		st.loop_ns = 0;
	}
	if (bpf_probe_read_kernel(st.data, FR_CHUNK, a->data))
		return -2;
	st.len = len;
	st.pos = 0;
	st.base = a->base;
	/* every step consumes at least one byte */
	t0 = bpf_ktime_get_ns();
	if (eight)
		bpf_loop(FR_CHUNK / 8 + 1, fr_step8, NULL, 0);
	else
		bpf_loop(FR_CHUNK + 1, fr_step, NULL, 0);
	st.loop_ns += bpf_ktime_get_ns() - t0;
	return 0;
}

SEC("syscall")
int framing_run(struct fr_args *a)
{
	return fr_run(a, 0);
}

SEC("syscall")
int framing_run8(struct fr_args *a)
{
	return fr_run(a, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
