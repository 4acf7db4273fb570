// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket probes: traffic of traced processes (sock_recv_length and
 * sock_send_length, Linux 6.3+, one event per message even inside
 * recvmmsg/sendmmsg), the enqueue side of their sockets (sk_data_ready, in
 * whatever context delivers the data, so arrivals are seen even when the
 * process falls behind), the receive backlog integrated over time (for the
 * queue wait by Little's law), and TCP retransmits, resets and drops.
 * A socket belongs to the first traced process that receives or sends on
 * it; its state lives in socket storage and dies with the socket.
 */
#include "common.bpf.h"
#include "busy.bpf.h"

#define MSG_PEEK     2
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct st_sock);
} socks SEC(".maps");

/* The receive backlog of sk now: unread bytes for TCP (rcv_nxt - copied_seq),
 * queued messages for the others. */
static __always_inline __u64 st_backlog(struct sock *sk, int is_tcp, __u64 *gauge_bytes)
{
	if (is_tcp) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		__u32 unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);

		/* a negative difference is a transient of a racing reader */
		if ((__s32)unread < 0)
			unread = 0;
		*gauge_bytes = unread;
		return unread;
	}
	__u64 qlen = BPF_CORE_READ(sk, sk_receive_queue.qlen);

	*gauge_bytes = (__u32)BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
	/* UDP keeps a second queue, reader_queue, that receives splice the
	 * receive queue into (Linux 4.13+): messages waiting are in both */
	if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP_ &&
	    bpf_core_field_exists(((struct udp_sock *)0)->reader_queue))
		qlen += BPF_CORE_READ((struct udp_sock *)sk, reader_queue.qlen);
	return qlen;
}

/* Integrate the old backlog up to now, then take the new one. */
static __always_inline void st_backlog_step(struct st_sock *s, struct sock *sk,
					    struct st_proc_stat *ps, struct st_proc *proc,
					    __u64 now)
{
	__u64 gauge, b = st_backlog(sk, s->is_tcp, &gauge);
	__u64 area;

	/* the enqueue side (the sender's CPU) and the reader race on one socket:
	 * a timestamp taken just before the other's update is not a step back */
	if (now < s->last_t)
		now = s->last_t;
	area = ((now - s->last_t) >> ST_INT_SHIFT) * s->backlog;
	if (s->last_t) {
		if (s->is_tcp)
			ps->backlog_int += area;
		else
			ps->qlen_int += area;
	}
	s->last_t = now;
	s->backlog = b;
	if (proc && gauge != s->gauge_bytes) {
		__sync_fetch_and_add(&proc->backlog_bytes, (__s64)(gauge - s->gauge_bytes));
		s->gauge_bytes = gauge;
	}
}

/* The socket's state, taken for the current traced thread's process. */
static __always_inline struct st_sock *st_sock_own(struct sock *sk, struct st_task *t, __u64 now)
{
	struct st_sock *s = bpf_sk_storage_get(&socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	struct st_proc *proc;

	if (!s) {
		st_lost(ST_LOST_STORAGE);
		return 0;
	}
	if (s->last_t && s->slot == t->slot)
		return s;
	proc = bpf_map_lookup_elem(&procs, &t->slot);
	if (!proc)
		return 0;
	if (s->last_t && s->generation == proc->generation)
		return s;
	if (s->last_t) {
		/* its owner is gone and the slot reused: not ours to charge */
		struct st_proc *old = bpf_map_lookup_elem(&procs, &s->slot);

		if (old && old->generation == s->generation && old->state == ST_PROC_LIVE)
			return s; /* shared with a live traced process: first owner keeps it */
	}
	__builtin_memset(s, 0, sizeof(*s));
	s->slot = t->slot;
	s->generation = proc->generation;
	s->is_tcp = BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP_;
	if (s->is_tcp)
		s->last_rcv_nxt = BPF_CORE_READ((struct tcp_sock *)sk, rcv_nxt);
	s->backlog = st_backlog(sk, s->is_tcp, &s->gauge_bytes);
	__sync_fetch_and_add(&proc->backlog_bytes, (__s64)s->gauge_bytes);
	s->last_t = now;
	return s;
}

/* An arrival: remember when it came (and, for TCP, up to which byte). */
static __always_inline void st_wait_push(struct st_sock *s, struct st_proc_stat *ps, __u32 seq,
					 __u64 now)
{
	__u32 h = s->ring_head;

	if (h - s->ring_tail >= ST_WAIT_RING) {
		s->ring_tail++;
		ps->wait_dropped++;
		st_lost(ST_LOST_WAIT_SAMPLE);
	}
	s->ring_seq[h & (ST_WAIT_RING - 1)] = seq;
	s->ring_t[h & (ST_WAIT_RING - 1)] = now;
	s->ring_head = h + 1;
}

struct st_wait_pop_ctx {
	struct st_sock *s;
	struct st_proc_stat *ps;
	__u32 copied;
	__u64 now;
};

/* One arrival off the ring if it is done; 1 stops the loop. */
static int st_wait_pop_one(__u32 i, void *data)
{
	struct st_wait_pop_ctx *c = data;
	struct st_sock *s = c->s;
	struct st_proc_stat *ps = c->ps;
	__u32 tail = s->ring_tail, k = tail & (ST_WAIT_RING - 1);
	__u64 w;

	if (tail == s->ring_head)
		return 1;
	if (s->is_tcp && (__s32)(c->copied - s->ring_seq[k]) < 0)
		return 1;
	w = c->now > s->ring_t[k] ? c->now - s->ring_t[k] : 0;
	ps->wait_ns += w;
	ps->wait_count++;
	ps->wait_hist[st_log2_bucket(w)]++;
	s->ring_tail = tail + 1;
	return !s->is_tcp; /* a datagram receive takes one message */
}

/* A dequeue: every arrival fully read by now has waited until now. TCP
 * arrivals are done once copied_seq passed their end; for the others each
 * receive takes one message. bpf_loop (5.17+) keeps the verifier from
 * walking the ring's 32 iterations in every state of the caller: that alone
 * took longer than the rest of the start-up. */
static __always_inline void st_wait_pop(struct st_sock *s, struct st_proc_stat *ps, struct sock *sk,
					__u64 now)
{
	struct st_wait_pop_ctx c = {
		.s = s,
		.ps = ps,
		.copied = s->is_tcp ? BPF_CORE_READ((struct tcp_sock *)sk, copied_seq) : 0,
		.now = now,
	};

	bpf_loop(ST_WAIT_RING, st_wait_pop_one, &c, 0);
}

/*
 * The bodies of the socket programs are the st_on_* functions below; each
 * attach point (the tracepoint, or a fallback on kernels without it) is a thin
 * wrapper that calls one of them.
 */

/* A receive of ret bytes on sk by the current task has returned. */
static __always_inline int st_on_recv(struct sock *sk, int ret, int flags)
{
	struct st_task *t = st_task_of(bpf_get_current_task_btf());
	struct st_proc_stat *ps;
	struct st_sock *s;
	__u64 now;
	__u32 ep;

	if (!t || ret <= 0 || (flags & MSG_PEEK))
		return 0;
	now = bpf_ktime_get_ns();
	ps = st_proc_stat_of(t->slot);
	if (!ps)
		return 0;
	ps->rx_ops++;
	ps->rx_bytes += ret;
	s = st_sock_own(sk, t, now);
	if (s) {
		s->rx_ops++;
		s->rx_bytes += ret;
		if (s->is_tcp) {
			ps->rx_tcp_ops++;
			ps->rx_tcp_bytes += ret;
		}
		if (s->slot == t->slot) {
			st_backlog_step(s, sk, ps, bpf_map_lookup_elem(&procs, &s->slot), now);
			st_wait_pop(s, ps, sk, now);
		}
	}
	/* a serving thread: count it once per epoch and once per run */
	ep = epoch;
	if (t->rx_epoch != ep + 1) {
		__u32 i = ep & 1;

		t->rx_epoch = ep + 1;
		if (ps->srv_tag[i] != ep) {
			ps->srv_tag[i] = ep;
			ps->srv_cnt[i] = 0;
		}
		ps->srv_cnt[i]++;
	}
	if (!t->rx_seen) {
		t->rx_seen = 1;
		ps->servers_run++;
	}
	st_busy_take(t, ps, s, now);
	t->th_rx_ops++;
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(st_sock_recv_length, struct sock *sk, int ret, int flags)
{
	return st_on_recv(sk, ret, flags);
}

/*
 * Fallbacks for kernels without sock_recv_length (before Linux 6.3): fexit
 * on the protocol families' recvmsg, which is what that tracepoint's caller,
 * sock_recvmsg_nosec, calls through sock->ops (so every path is seen:
 * read, recv*, recvmmsg's every message). unix_seqpacket_recvmsg calls
 * unix_dgram_recvmsg and is not hooked (it would count twice). The loader
 * turns these on only when the tracepoint is missing.
 */
SEC("fexit/inet_recvmsg")
int BPF_PROG(st_fx_inet_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return st_on_recv(sock->sk, ret, flags);
}

SEC("fexit/inet6_recvmsg")
int BPF_PROG(st_fx_inet6_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return st_on_recv(sock->sk, ret, flags);
}

SEC("fexit/unix_stream_recvmsg")
int BPF_PROG(st_fx_unix_stream_recvmsg, struct socket *sock, struct msghdr *msg, size_t size,
	     int flags, int ret)
{
	return st_on_recv(sock->sk, ret, flags);
}

SEC("fexit/unix_dgram_recvmsg")
int BPF_PROG(st_fx_unix_dgram_recvmsg, struct socket *sock, struct msghdr *msg, size_t size,
	     int flags, int ret)
{
	return st_on_recv(sock->sk, ret, flags);
}

/* A send of ret bytes on sk by the current task has returned. */
static __always_inline int st_on_send(struct sock *sk, int ret)
{
	struct st_task *t = st_task_of(bpf_get_current_task_btf());
	struct st_proc_stat *ps;
	struct st_sock *s;

	if (!t || ret <= 0)
		return 0;
	ps = st_proc_stat_of(t->slot);
	if (!ps)
		return 0;
	ps->tx_ops++;
	ps->tx_bytes += ret;
	st_busy_answer(t, ps, bpf_ktime_get_ns());
	s = st_sock_own(sk, t, bpf_ktime_get_ns());
	if (s) {
		s->tx_ops++;
		s->tx_bytes += ret;
	}
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(st_sock_send_length, struct sock *sk, int ret, int flags)
{
	return st_on_send(sk, ret);
}

/* Fallbacks for sock_send_length (before Linux 6.3): fexit on the families'
 * sendmsg, as sock_sendmsg_nosec calls them (unix_seqpacket_sendmsg goes
 * through unix_dgram_sendmsg). */
SEC("fexit/inet_sendmsg")
int BPF_PROG(st_fx_inet_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return st_on_send(sock->sk, ret);
}

SEC("fexit/inet6_sendmsg")
int BPF_PROG(st_fx_inet6_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return st_on_send(sock->sk, ret);
}

SEC("fexit/unix_stream_sendmsg")
int BPF_PROG(st_fx_unix_stream_sendmsg, struct socket *sock, struct msghdr *msg, size_t size,
	     int ret)
{
	return st_on_send(sock->sk, ret);
}

SEC("fexit/unix_dgram_sendmsg")
int BPF_PROG(st_fx_unix_dgram_sendmsg, struct socket *sock, struct msghdr *msg, size_t size,
	     int ret)
{
	return st_on_send(sock->sk, ret);
}

/* The socket's owner, if it is a traced process still. */
static __always_inline struct st_sock *st_sock_owned(const struct sock *sk, struct st_proc **proc)
{
	struct st_sock *s;

	if (!sk)
		return 0;
	s = bpf_sk_storage_get(&socks, (struct sock *)sk, 0, 0);
	if (!s || !s->last_t)
		return 0;
	*proc = bpf_map_lookup_elem(&procs, &s->slot);
	if (!*proc || (*proc)->generation != s->generation)
		return 0;
	return s;
}

/* Data arriving for receiver: on loopback and Unix sockets the sender's own
 * send runs the receive path, so the current task, if traced and sending,
 * is the upstream stage. (On a real network this is softirq context and no
 * edge is drawn.) */
static __always_inline void st_edge(__u32 receiver)
{
	struct st_task *cur = st_task_of(bpf_get_current_task_btf());
	__u64 key, one = 1, *n;

	if (!cur || cur->slot == receiver || !cur->sys_enter_ns || !st_is_output(cur->sys_nr))
		return;
	key = ((__u64)cur->slot << 32) | receiver;
	n = bpf_map_lookup_elem(&edges, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&edges, &key, &one, BPF_NOEXIST) &&
		 !bpf_map_lookup_elem(&edges, &key))
		st_lost(ST_LOST_SOCK_FULL);
}

/* Data was queued on sk (any context: softirq, or the sender's send). */
static __always_inline int st_on_data_ready(struct sock *sk)
{
	struct st_proc_stat *ps;
	struct st_proc *proc;
	struct st_sock *s = st_sock_owned(sk, &proc);
	__u64 now, last;

	if (!s)
		return 0;
	ps = st_proc_stat_of(s->slot);
	if (!ps)
		return 0;
	now = bpf_ktime_get_ns();
	if (s->is_tcp) {
		__u32 nxt = BPF_CORE_READ((struct tcp_sock *)sk, rcv_nxt);

		if (nxt == s->last_rcv_nxt)
			return 0; /* woken without new data (e.g. a FIN) */
		ps->arr_bytes += nxt - s->last_rcv_nxt;
		s->last_rcv_nxt = nxt;
		st_wait_push(s, ps, nxt, now);
	} else {
		ps->arr_events++;
		st_wait_push(s, ps, 0, now);
	}
	last = proc->last_arrival_ns;
	proc->last_arrival_ns = now;
	if (last && now > last) {
		__u64 gap = now - last, g = gap >> ST_SQ_SHIFT;

		ps->arr_gap_ns += gap;
		ps->arr_gap_sq += g * g;
		ps->arr_gap_count++;
	}
	st_backlog_step(s, sk, ps, proc, now);
	st_edge(s->slot);
	return 0;
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(st_sk_data_ready, const struct sock *csk)
{
	return st_on_data_ready((struct sock *)csk);
}

/* Fallback for sk_data_ready (before Linux 6.10): the tracepoint sits at
 * the top of sock_def_readable, the sk_data_ready of TCP, UDP and Unix
 * sockets; fentry there sees the same calls (not those of the rarer
 * data_ready implementations: sockmap, TLS, SMC). */
SEC("fentry/sock_def_readable")
int BPF_PROG(st_fe_sock_def_readable, struct sock *sk)
{
	return st_on_data_ready(sk);
}

static __always_inline struct st_proc_stat *st_owner_stat(const struct sock *sk)
{
	struct st_proc *proc;
	struct st_sock *s = st_sock_owned(sk, &proc);

	return s ? st_proc_stat_of(s->slot) : 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(st_tcp_retransmit_skb, const struct sock *sk)
{
	struct st_proc_stat *ps = st_owner_stat(sk);

	if (ps)
		ps->retransmits++;
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(st_tcp_send_reset, const struct sock *sk)
{
	struct st_proc_stat *ps = st_owner_stat(sk);

	if (ps)
		ps->resets_sent++;
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(st_tcp_receive_reset, struct sock *sk)
{
	struct st_proc_stat *ps = st_owner_stat(sk);

	if (ps)
		ps->resets_recv++;
	return 0;
}

/* Drops: with kfree_skb's rx_sk argument (Linux 6.11+) every drop on a
 * socket is seen with its reason; without it, only a full receive queue. */
const volatile __u32 have_kfree_skb_sk = 0;

SEC("tp_btf/sock_rcvqueue_full")
int BPF_PROG(st_sock_rcvqueue_full, struct sock *sk)
{
	struct st_proc_stat *ps;

	if (have_kfree_skb_sk)
		return 0; /* its kfree_skb follows, with the reason */
	ps = st_owner_stat(sk);
	if (ps)
		ps->drops++;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* slot << 32 | reason */
	__type(value, __u64);
} drop_reasons SEC(".maps");

SEC("tp_btf/kfree_skb")
int BPF_PROG(st_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	struct st_proc *proc;
	struct st_sock *s;
	struct st_proc_stat *ps;
	__u64 key, one = 1, *n;

	if (!rx_sk || reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	s = st_sock_owned(rx_sk, &proc);
	if (!s || !(ps = st_proc_stat_of(s->slot)))
		return 0;
	ps->drops++;
	if (!s->is_tcp)
		ps->drops_dgram++;
	key = ((__u64)s->slot << 32) | (__u32)reason;
	n = bpf_map_lookup_elem(&drop_reasons, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&drop_reasons, &key, &one, BPF_NOEXIST))
		st_lost(ST_LOST_ERRNO_FULL);
	return 0;
}

/* Before kfree_skb had rx_sk: a UDP datagram the socket could not take
 * (udp_fail_queue_rcv_skb, Linux 3.8+, fires for each one, IPv4 and IPv6):
 * -ENOMEM is a full receive buffer, anything else memory accounting. */
SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(st_udp_fail_queue_rcv_skb, int rc, struct sock *sk)
{
	struct st_proc *proc;
	struct st_sock *s;
	struct st_proc_stat *ps;
	__u64 key, one = 1, *n;
	__u32 reason;

	if (have_kfree_skb_sk)
		return 0; /* kfree_skb sees it, with the reason */
	s = st_sock_owned(sk, &proc);
	if (!s || !(ps = st_proc_stat_of(s->slot)))
		return 0;
	ps->drops++;
	ps->drops_dgram++;
	reason = rc == -12 /* ENOMEM */
			 ? bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF)
			 : bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM);
	key = ((__u64)s->slot << 32) | reason;
	n = bpf_map_lookup_elem(&drop_reasons, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&drop_reasons, &key, &one, BPF_NOEXIST))
		st_lost(ST_LOST_ERRNO_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
