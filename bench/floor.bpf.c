// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of `make bench`: EMPTY programs on exactly the hooks streamtrace
 * attaches (the bpf/ programs, as `streamtrace -v` lists them). What they cost is
 * what any tracer pays to be called from these tracepoints at all: the
 * tracepoint's slow path (for sys_enter/sys_exit: every task on the
 * machine taking syscall_trace_enter), the BPF trampoline, the run-time
 * statistics. bench/floor.c picks the hooks of one mode.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EMPTY(name, hook)          \
	SEC("tp_btf/" #hook)       \
	int BPF_PROG(name)         \
	{                          \
		return 0;          \
	}

/* syscall path */
EMPTY(fl_sys_enter, sys_enter)
EMPTY(fl_sys_exit, sys_exit)
/* scheduler and process life */
EMPTY(fl_sched_switch, sched_switch)
EMPTY(fl_sched_wakeup, sched_wakeup)
EMPTY(fl_sched_wakeup_new, sched_wakeup_new)
EMPTY(fl_sched_process_fork, sched_process_fork)
EMPTY(fl_sched_process_exec, sched_process_exec)
EMPTY(fl_sched_process_exit, sched_process_exit)
/* socket path */
EMPTY(fl_sock_recv_length, sock_recv_length)
EMPTY(fl_sock_send_length, sock_send_length)
EMPTY(fl_sk_data_ready, sk_data_ready)
EMPTY(fl_tcp_retransmit_skb, tcp_retransmit_skb)
EMPTY(fl_tcp_send_reset, tcp_send_reset)
EMPTY(fl_tcp_receive_reset, tcp_receive_reset)
EMPTY(fl_sock_rcvqueue_full, sock_rcvqueue_full)
EMPTY(fl_kfree_skb, kfree_skb)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
