// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The thread view, read on demand by the loader through a task iterator so
 * that the hot path pays nothing for it: one record per traced thread.
 * (The connection view reads socket storage from user space instead: an
 * iter/bpf_sk_storage_map program is refused on some locked-down kernels.)
 */
#include "common.bpf.h"
#include "views.bpf.h"

SEC("iter/task")
int st_thread_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct st_thread_rec r = {};
	struct st_task *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&tasks, task, 0, 0);
	if (!t)
		return 0;
	st_thread_fill(task, t, &r);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
