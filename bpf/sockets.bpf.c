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
#include "framing.h"
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

/* A TCP socket's receive sequence numbers, read once per event: one helper
 * call and two plain loads, where BPF_CORE_READ costs a helper call (a
 * probe read) per field, and the receive path needs them three times. */
struct st_seq {
	__u32 rcv_nxt, copied;
};

static __always_inline void st_seq_read(struct sock *sk, int is_tcp, struct st_seq *q)
{
	struct tcp_sock *tp = is_tcp ? bpf_skc_to_tcp_sock(sk) : 0;

	if (tp) {
		q->rcv_nxt = tp->rcv_nxt;
		q->copied = tp->copied_seq;
	} else {
		q->rcv_nxt = q->copied = 0;
	}
}

/* The receive backlog of sk now: unread bytes for TCP (rcv_nxt - copied_seq,
 * from q), queued messages for the others. */
static __always_inline __u64 st_backlog(struct sock *sk, int is_tcp, const struct st_seq *q,
					__u64 *gauge_bytes)
{
	if (is_tcp) {
		__u32 unread = q->rcv_nxt - q->copied;

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
					    const struct st_seq *q, __u64 now)
{
	__u64 gauge, b = st_backlog(sk, s->is_tcp, q, &gauge);
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
	struct st_seq q;

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
	st_seq_read(sk, s->is_tcp, &q);
	s->last_rcv_nxt = q.rcv_nxt;
	s->backlog = st_backlog(sk, s->is_tcp, &q, &s->gauge_bytes);
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
	__u32 mw; /* weight of the waits timed (--sample N: N, or 0: popped, not timed) */
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
	if (!s->msg_timed && c->mw) { /* else timed per message (st_fr_wait_step) */
		ps->wait_ns += w * c->mw;
		ps->wait_count += c->mw;
		ps->wait_hist[st_log2_bucket(w)] += c->mw;
	}
	s->ring_tail = tail + 1;
	return !s->is_tcp; /* a datagram receive takes one message */
}

/* A dequeue: every arrival fully read by now has waited until now. TCP
 * arrivals are done once copied_seq passed their end; for the others each
 * receive takes one message. bpf_loop (5.17+) keeps the verifier from
 * walking the ring's 32 iterations in every state of the caller: that alone
 * took longer than the rest of the start-up. */
static __always_inline void st_wait_pop(struct st_sock *s, struct st_proc_stat *ps,
					const struct st_seq *q, __u64 now, __u32 mw)
{
	struct st_wait_pop_ctx c = {
		.s = s,
		.ps = ps,
		.copied = q->copied,
		.mw = mw,
		.now = now,
	};
	__u32 tail = s->ring_tail;

	/* nothing done yet (a read that ends inside the oldest arrival, as
	 * most do under a flood of small messages): no loop at all */
	if (tail == s->ring_head ||
	    (s->is_tcp && (__s32)(c.copied - s->ring_seq[tail & (ST_WAIT_RING - 1)]) < 0))
		return;
	bpf_loop(ST_WAIT_RING, st_wait_pop_one, &c, 0);
}

/*
 * Messages (issue 8): the unit of work of each connection, and the messages
 * the process reads and writes on it, counted in the kernel without a
 * per-message event. A stream socket's first bytes in each direction name its
 * protocol (bpf/framing.h); from then on every byte the process reads or
 * writes goes through that protocol's parser, which says where messages end.
 * The bytes are the user buffer of the current syscall, read after the copy
 * on receive and before it on send: header bytes are read into a per-CPU
 * window of ST_FR_WIN bytes (re-read only when the position leaves it),
 * payloads the parser announces are passed over arithmetically and never
 * read. A connection whose protocol is none of the known ones counts turns
 * (a receive after a send begins one) once the process has written on it,
 * and receives until then; datagram sockets count receives.
 */
#define ST_FR_WIN   256	 /* bytes read from user memory at a time */
#define ST_FR_SEGS  4	 /* iovecs followed; data past them loses sync */
#define ST_FR_STEPS 8192 /* parser steps per syscall; past that, sync is lost */
#define ST_FR_BATCH 8	 /* steps per bpf_loop iteration */
/* Mid-stream (tracing began after the connection did), syscalls whose first
 * bytes show no message start before the protocol is taken as unknown. */
#define ST_FR_REDETECT 64

_Static_assert(ST_PROTO__MAX <= ST_UNITS, "enum st_proto does not fit ST_UNITS");
_Static_assert(ST_PROTO_RESP == 1 && ST_PROTO_AMQP == 7 && ST_PROTO_TURN == 8 &&
		       ST_PROTO_RECEIVE == 9,
	       "enum st_proto changed: update the unit names in user/model.c");
_Static_assert(sizeof(struct st_frame) <= sizeof(((struct st_sock *)0)->fr[0]),
	       "struct st_frame does not fit ST_FRAME_U64S");

struct st_fr_win {
	__u8 b[2 * ST_FR_WIN]; /* twice: what the verifier can bound a size by */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_fr_win);
} fr_win SEC(".maps");

/* A unit as an index the verifier can bound (callers check u < ST_UNITS;
 * the compiler, knowing that, would drop a plain mask). */
static __always_inline __u32 ST_UI(__u32 u)
{
	asm volatile("" : "+r"(u));
	return u & 15;
}
_Static_assert(ST_UNITS <= 16, "ST_UI");

static __always_inline int st_framed(__u8 u)
{
	return u >= ST_PROTO_RESP && u <= ST_PROTO_AMQP;
}

/*
 * The parsers as global functions: the verifier checks a global function once,
 * on its own, with its pointer arguments as plain memory of their type's size,
 * instead of once for every state of every caller. Inlined into the bpf_loop
 * callback, the seven parsers times the driver's states passed the verifier's
 * million-instruction budget.
 */
__noinline int st_fr_byte_g(struct st_frame *f, __u32 c)
{
	if (!f)
		return ST_FR_ERR;
	return st_frame_byte(f, (__u8)c);
}

/* Up to 8 header bytes at once (w: the next bytes, first in the lowest;
 * avail of them valid): returns the bytes taken << 4 | the result. */
__noinline int st_fr_step8_g(struct st_frame *f, __u64 w, __u32 avail)
{
	int res = ST_FR_ERR;
	__u32 n;

	if (!f)
		return 1 << 4 | ST_FR_ERR;
	n = st_frame_step8(f, w, avail, &res);
	return (int)((n & 0xffff) << 4 | (res & 15));
}

__noinline int st_fr_skipped_g(struct st_frame *f)
{
	if (!f)
		return ST_FR_ERR;
	return st_frame_skipped(f);
}

/* Detection always on ST_DETECT_BYTES bytes: with a constant length the
 * verifier follows one path through the signature checks instead of every
 * combination of their outcomes (16 lengths took it 5 s at load). A direction
 * with fewer bytes so far keeps them (st_sock.det) until there are enough;
 * they are framed then, so no message is missed, only counted later. */
__noinline int st_fr_detect_rx_g(struct st_fr_win *w, int at_start)
{
	if (!w)
		return ST_PROTO_NONE;
	return st_frame_detect(w->b, ST_DETECT_BYTES, ST_DIR_RX, !!at_start);
}

/* one per direction: each program (receive, send) verifies only its own */
__noinline int st_fr_detect_tx_g(struct st_fr_win *w, int at_start)
{
	if (!w)
		return ST_PROTO_NONE;
	return st_frame_detect(w->b, ST_DETECT_BYTES, ST_DIR_TX, !!at_start);
}
_Static_assert(ST_DETECT_BYTES <= sizeof(((struct st_sock *)0)->det[0]), "st_sock.det");

/* One syscall's bytes on one direction of a connection, being framed: scalars
 * only, as the memory argument of the global function st_fr_step_g. */
struct st_fr_ctx {
	__u64 base[ST_FR_SEGS]; /* user addresses of the segments */
	__u32 end[ST_FR_SEGS];	/* offset one past each segment, cumulative */
	__u32 len;		/* bytes to take: pre kept bytes, then the syscall's */
	__u32 pre;		/* bytes kept from earlier syscalls (det[]), taken first */
	__u32 pos;		/* next byte to take */
	__u32 win_off, win_len; /* the window holds bytes [win_off, win_off + win_len) */
	__u32 msgs;		/* messages that ended */
	int err;
	__u32 dir;
	/* per-message queue waits (TCP receives) */
	__u32 seq0;    /* sequence number of byte 0 */
	__u32 timed;   /* the messages' waits are timed, with this weight (--sample N) */
	int pend;      /* a message's wait is being looked up (st_fr_wait_step) */
	__u32 pend_e1; /* one past its last byte */
	__u64 now;
};

/* The user buffer(s) of the current syscall: 0 when there is none to read
 * (sendfile, splice, io_uring, recvmmsg, an unknown syscall). */
static __always_inline int st_fr_buffer(struct st_fr_ctx *c, struct st_task *t)
{
#ifdef __TARGET_ARCH_x86
	struct iovec iov[ST_FR_SEGS] = {};
	__u64 ptr, niov = 0;
	__u32 off = 0;

	if (!t->sys_enter_ns)
		return 0;
	ptr = t->sys_arg1; /* the registers as sys_enter saw them */
	switch (t->sys_nr) {
	case 0:	 /* read */
	case 1:	 /* write */
	case 44: /* sendto */
	case 45: /* recvfrom */
		c->base[0] = ptr;
		c->end[0] = c->len;
		return 1;
	case 46: /* sendmsg */
	case 47: /* recvmsg */ {
		struct user_msghdr mh;

		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)ptr))
			return 0;
		ptr = (__u64)mh.msg_iov;
		niov = mh.msg_iovlen;
		break;
	}
	case 19: /* readv */
	case 20: /* writev */
		niov = t->sys_arg2;
		break;
	default:
		return 0;
	}
	if (!niov)
		return 0;
	if (niov > ST_FR_SEGS)
		niov = ST_FR_SEGS;
	if (bpf_probe_read_user(iov, (__u32)niov * sizeof(iov[0]), (void *)ptr))
		return 0;
	for (int i = 0; i < ST_FR_SEGS; i++) {
		__u64 l = i < niov ? iov[i].iov_len : 0;

		c->base[i] = (__u64)iov[i].iov_base;
		off = l >= c->len - off ? c->len : off + (__u32)l;
		c->end[i] = off;
	}
	return 1;
#else
	return 0;
#endif
}

/* Load the window at c->pos; nonzero when the bytes cannot be read. */
static __always_inline int st_fr_fill(struct st_fr_ctx *c, struct st_fr_win *w)
{
	__u32 start = 0, n, upos = c->pos - c->pre; /* offset in the syscall's bytes */

	if (c->pos < c->pre)
		return 1; /* kept bytes are in the window from the start */
	for (int i = 0; i < ST_FR_SEGS; i++) {
		if (upos < c->end[i]) {
			n = c->end[i] - upos;
			if (n > ST_FR_WIN)
				n = ST_FR_WIN;
			c->win_off = c->pos;
			c->win_len = n;
			/* for the verifier: the size is within the buffer */
			asm volatile("" : "+r"(n));
			n &= 2 * ST_FR_WIN - 1;
			return bpf_probe_read_user(w->b, n, (void *)(c->base[i] + (upos - start)));
		}
		start = c->end[i];
	}
	return 1; /* past the segments followed */
}

/* One step toward the queue wait of the message that ended just before
 * sequence number c->pend_e1 (a TCP receive): it waited from the arrival
 * that brought its last byte (the first ring entry ending at or past
 * pend_e1) until now. Entries that ended before it are done and popped, one
 * per step: a step of the bpf_loop rather than a loop of its own, which
 * cost the verifier more than all the rest. */
static __always_inline void st_fr_wait_step(struct st_fr_ctx *c, struct st_sock *s,
					    struct st_proc_stat *ps)
{
	__u32 tail = s->ring_tail, k = tail & (ST_WAIT_RING - 1);
	__u64 w;

	if (tail == s->ring_head) {
		c->pend = 0; /* it arrived before we followed the socket */
		return;
	}
	if ((__s32)(s->ring_seq[k] - c->pend_e1) < 0) {
		s->ring_tail = tail + 1;
		return;
	}
	w = c->now > s->ring_t[k] ? c->now - s->ring_t[k] : 0;
	ps->wait_ns += w * c->timed;
	ps->wait_count += c->timed;
	ps->wait_hist[st_log2_bucket(w)] += c->timed;
	c->pend = 0;
}

/* One step: a header byte, a payload passed over, or a ring entry looked at
 * for a message's wait. 1 stops. A global function, verified once on its
 * own: as the bpf_loop callback itself, every state of the receive program
 * multiplied its states (200k instructions verified, 0.5 s at load). */
static __always_inline int st_fr_one(struct st_fr_ctx *c, struct st_sock *s, struct st_fr_win *w,
				     struct st_proc_stat *ps, struct st_frame *f)
{
	int r;

	if (c->pend) {
		st_fr_wait_step(c, s, ps);
		return 0;
	}
	if (c->pos >= c->len)
		return 1;
	if (f->skip) {
		__u32 n = c->len - c->pos;

		if (f->skip < n)
			n = f->skip;
		f->skip -= n;
		c->pos += n;
		if (f->skip)
			return 1; /* the syscall's bytes end inside the payload */
		r = st_fr_skipped_g(f);
	} else {
		if (c->pos < c->win_off || c->pos - c->win_off >= c->win_len) {
			if (st_fr_fill(c, w)) {
				c->err = 1;
				return 1;
			}
		}
		if (st_frame_wordwise(f)) {
			/* a word at a time where the parser can take headers so */
			__u32 i = (c->pos - c->win_off) & (ST_FR_WIN - 1), n = c->win_len - i, x;
			__u64 v;

			__builtin_memcpy(&v, &w->b[i], 8); /* within 2 x ST_FR_WIN */
			x = st_fr_step8_g(f, v, n < 8 ? n : 8);
			r = x & 15;
			n = x >> 4;
			c->pos += n ? n : 1;
		} else {
			r = st_fr_byte_g(f, w->b[(c->pos - c->win_off) & (ST_FR_WIN - 1)]);
			c->pos++;
		}
		if (r == ST_FR_SKIP && !f->skip)
			r = st_fr_skipped_g(f);
	}
	if (r == ST_FR_END) {
		c->msgs++;
		if (c->timed) {
			c->pend = 1;
			c->pend_e1 = c->seq0 + c->pos;
		}
	} else if (r == ST_FR_ERR) {
		c->err = 1;
		return 1;
	}
	return 0;
}

/* ST_FR_BATCH steps per bpf_loop iteration: the callback and the function
 * call cost more than a step of most parsers. */
__noinline int st_fr_step_g(struct st_fr_ctx *c, struct st_sock *s, struct st_fr_win *w,
			    struct st_proc_stat *ps)
{
	struct st_frame *f;

	if (!c || !s || !w || !ps)
		return 1;
	f = (struct st_frame *)s->fr[c->dir & 1];
	for (int j = 0; j < ST_FR_BATCH; j++)
		if (st_fr_one(c, s, w, ps, f))
			return 1;
	return 0;
}

struct st_fr_loop {
	struct st_fr_ctx c;
	struct st_sock *s;
	struct st_fr_win *w;
	struct st_proc_stat *ps;
};

static int st_fr_step(__u32 i, void *data)
{
	struct st_fr_loop *l = data;

	return st_fr_step_g(&l->c, l->s, l->w, l->ps) ? 1 : 0;
}

/* Set up a socket's message state on first sight. */
static __always_inline void st_msg_sock_init(struct st_sock *s, struct sock *sk)
{
	if (s->m_init)
		return;
	s->m_init = 1;
	s->is_stream = BPF_CORE_READ(sk, sk_type) == 1; /* SOCK_STREAM */
	if (!s->is_stream)
		s->unit[ST_DIR_RX] = ST_PROTO_RECEIVE;
	s->turn_rx = 1;
}

/* Where the RX unit of an unframed stream goes: turns once the process has
 * answered on the connection (written after reading), receives until then
 * (a greeting written before any read leaves a one-way stream one-way). */
static __always_inline __u8 st_unframed_unit(struct st_sock *s)
{
	return s->replied ? ST_PROTO_TURN : ST_PROTO_RECEIVE;
}

/* The RX unit is now u: what arrived and was received before it was known
 * counts for it (framed: the parser counts the kept bytes' messages). */
static __always_inline void st_msg_rx_unit(struct st_sock *s, struct st_proc_stat *ps, __u8 u)
{
	s->unit[ST_DIR_RX] = u;
	if (u == ST_PROTO_TURN) {
		ps->msg_rx[ST_PROTO_TURN] += s->det_turns;
	} else if (u == ST_PROTO_RECEIVE) {
		ps->msg_rx[ST_PROTO_RECEIVE] += s->det_rx;
		s->pre_rx_ops += s->det_rx;
		if (s->is_tcp)
			ps->recv_tcp_ops += s->det_rx;
	}
	s->det_rx = s->det_turns = 0;
	s->prov_rx = 0;
	if (u == ST_PROTO_TURN) {
		if (s->none_arr)
			ps->msg_arr[ST_PROTO_TURN]++;
	} else if (u < ST_UNITS) {
		ps->msg_arr_bytes[ST_UI(u)] += s->none_arr;
		if (u == ST_PROTO_RECEIVE)
			s->pre_arr_bytes = s->none_arr;
	}
	s->none_arr = 0;
}

/* Is the first byte of this syscall's data the first byte of the stream?
 * For TCP from the byte counters (bytes_received/bytes_acked count from the
 * connection's start, the sequence numbers give this syscall's place); for
 * the others it cannot be told. The counters are read after the copy. */
static __always_inline int st_fr_at_start(struct st_sock *s, struct sock *sk, int dir, __u32 len)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	if (!s->is_tcp)
		return 0;
	if (dir == ST_DIR_RX)
		return BPF_CORE_READ(tp, copied_seq) - len ==
		       BPF_CORE_READ(tp, rcv_nxt) - (__u32)BPF_CORE_READ(tp, bytes_received);
	return BPF_CORE_READ(tp, write_seq) - len ==
	       BPF_CORE_READ(tp, snd_una) - (__u32)BPF_CORE_READ(tp, bytes_acked);
}

/* Frame len bytes of one direction; returns the messages that ended, and
 * *lost = 1 when sync was lost (the direction then falls back), 2 when the
 * protocol is not known yet and these bytes are kept to be framed once it
 * is, 3 when it is not known yet and these bytes will not be framed (none
 * to read, or mid-stream without a message start): counted as a turn or a
 * receive now. */
static __always_inline __u32 st_fr_run(struct st_sock *s, struct sock *sk, struct st_task *t,
				       struct st_proc_stat *ps, int dir, __u32 len, __u64 now,
				       __u32 copied, __u32 mw, int *lost)
{
	__u32 zero = 0;
	struct st_fr_loop l = {
		.c = {.len = len, .dir = dir, .now = now},
		.s = s,
		.ps = ps,
	};
	struct st_fr_ctx *c = &l.c;
	struct st_fr_win *w;

	/* no bytes to look at before the protocol is known (a receive that was
	 * under way when tracing began, say): undecided still, this syscall not
	 * counted, as if it had come before tracing */
	*lost = s->unit[dir & 1] ? 1 : 3;
	w = l.w = bpf_map_lookup_elem(&fr_win, &zero);
	if (!w || !st_fr_buffer(c, t))
		return 0;
	if (!s->unit[dir & 1] && dir == ST_DIR_TX && st_framed(s->unit[ST_DIR_RX]) &&
	    s->rx_at_start && !s->det_len[ST_DIR_TX] && st_fr_at_start(s, sk, dir, len)) {
		/* a server's first reply on a connection whose requests are
		 * framed from their start: the same protocol (a 4-byte MQTT
		 * CONNACK is too short to be detected on its own) */
		__u8 p = s->unit[ST_DIR_RX];

		st_frame_init((struct st_frame *)s->fr[ST_DIR_TX], p, ST_DIR_TX);
		s->unit[ST_DIR_TX] = p;
		s->det_start[ST_DIR_TX] = 1;
	}
	if (!s->unit[dir & 1]) {
		/* the first bytes name the protocol: those kept from earlier
		 * syscalls, then up to ST_DETECT_BYTES of this one's */
		__u32 kept = s->det_len[dir & 1] & 15, n = ST_DETECT_BYTES - kept, before = 0;
		__u8 p;

		if (!kept)
			s->det_start[dir & 1] = st_fr_at_start(s, sk, dir, len);
		__builtin_memcpy(w->b, s->det[dir & 1], 16);
		if (n > c->end[0])
			n = c->end[0];
		asm volatile("" : "+r"(n));
		if (bpf_probe_read_user(w->b + kept, n & 31, (void *)c->base[0]))
			return 0;
		n = kept + (n & 31);
		if (n < ST_DETECT_BYTES) {
			/* too few bytes yet: keep them for the next syscall */
			if (n != kept + len)
				return 0; /* a first iovec shorter than the rest */
			__builtin_memcpy(s->det[dir & 1], w->b, 16);
			s->det_len[dir & 1] = n;
			*lost = 2;
			return 0;
		}
		if (dir == ST_DIR_RX) {
			p = st_fr_detect_rx_g(w, s->det_start[0]);
		} else if (s->det_start[1] || !st_framed(s->unit[ST_DIR_RX])) {
			p = st_fr_detect_tx_g(w, s->det_start[1]);
		} else {
			/* where the start cannot be told (Unix sockets, attach
			 * mid-stream) replies have few signatures of their own
			 * (+OK is a RESP reply only at a message start): taken as
			 * a start, but only the protocol the peer speaks counts */
			p = st_fr_detect_tx_g(w, 1);
			if (p != s->unit[ST_DIR_RX])
				p = ST_PROTO_TURN;
		}
		if (dir == ST_DIR_RX) {
			s->rx_at_start = s->det_start[dir & 1];
			if (s->rx_at_start && s->is_tcp) {
				/* the whole stream is the process's to read: what
				 * arrived before the socket was followed (a new
				 * connection's first request) arrived all the same
				 * (counted below for messages and turns; receives
				 * stay as they were before issue 8) */
				struct tcp_sock *tp = (struct tcp_sock *)sk;

				before = (__u32)BPF_CORE_READ(tp, bytes_received) -
					 (BPF_CORE_READ(tp, rcv_nxt) - s->last_rcv_nxt) -
					 (__u32)s->none_arr;
				if ((__s32)before < 0)
					before = 0;
			}
		}
		s->det_len[dir & 1] = 0;
		if (!st_framed(p) && !s->det_start[dir & 1] && s->redet[dir & 1] < ST_FR_REDETECT) {
			/* mid-stream, this syscall's bytes may begin inside a
			 * message: try the next one's (this one not framed) */
			s->redet[dir & 1]++;
			return 0;
		}
		*lost = 0;
		if (!st_framed(p)) {
			if (dir == ST_DIR_RX && st_unframed_unit(s) == ST_PROTO_TURN)
				s->none_arr += before;
			if (dir == ST_DIR_RX)
				st_msg_rx_unit(s, ps, st_unframed_unit(s));
			else
				s->unit[ST_DIR_TX] = ST_PROTO_TURN; /* no messages counted */
			return 0;
		}
		st_frame_init((struct st_frame *)s->fr[dir & 1], p, dir);
		if (dir == ST_DIR_RX) {
			s->none_arr += before;
			st_msg_rx_unit(s, ps, p);
			s->msg_timed = s->is_tcp;
			ps->msg_rx_bytes[ST_UI(p)] += kept;
		} else {
			s->unit[ST_DIR_TX] = p;
			ps->msg_tx_bytes[ST_UI(p)] += kept;
		}
		/* the window holds the stream from the kept bytes on */
		c->pre = kept;
		c->len = kept + len;
		c->win_off = 0;
		c->win_len = n;
	}
	if (dir == ST_DIR_RX && s->msg_timed && mw) {
		c->timed = mw;
		c->seq0 = copied - c->len;
	}
	/* the first batch called directly: most syscalls (a header, a whole
	 * payload passed over) end within it, and the loop's callback costs
	 * more than the batch */
	if (!st_fr_step_g(c, s, w, ps))
		bpf_loop(ST_FR_STEPS / ST_FR_BATCH - 1, st_fr_step, &l, 0);
	*lost = c->err || c->pos < c->len;
	return c->msgs;
}

/* A stream direction gave up framing: counted, and it falls back (or, when
 * its protocol was guessed mid-stream, is detected again). */
static __always_inline void st_fr_lost(struct st_sock *s, struct st_proc_stat *ps, int dir)
{
	st_lost(ST_LOST_FRAMING);
	ps->fr_lost++;
	s->msg_timed = dir == ST_DIR_RX ? 0 : s->msg_timed;
	if (!s->det_start[dir & 1] && s->redet[dir & 1] < ST_FR_REDETECT) {
		/* the protocol was guessed mid-stream, from bytes that may not
		 * have begun a message: guess again at the next syscall */
		s->redet[dir & 1]++;
		s->unit[dir & 1] = ST_PROTO_NONE;
		return;
	}
	if (dir == ST_DIR_RX) {
		s->unit[ST_DIR_RX] = st_unframed_unit(s);
		s->pre_rx_ops = s->pre_rx_bytes = s->pre_arr_bytes = 0;
		s->turn_rx = 0; /* this receive was counted as a message already */
	} else {
		s->unit[ST_DIR_TX] = ST_PROTO_TURN;
	}
}

/* A receive of len bytes by the socket's owner (before its ring is popped). */
static __always_inline void st_msg_recv(struct st_sock *s, struct sock *sk, struct st_task *t,
					struct st_proc_stat *ps, __u32 len, __u64 now,
					const struct st_seq *q, __u32 mw)
{
	__u8 u;
	__u32 n;
	int lost;

	st_msg_sock_init(s, sk);
	u = s->unit[ST_DIR_RX];
	if (s->is_stream && (!u || st_framed(u))) {
		n = st_fr_run(s, sk, t, ps, ST_DIR_RX, len, now, q->copied, mw, &lost);
		if (lost == 2) {
			/* not known yet: as a turn or a receive, counted if it
			 * turns out not to be framed (its bytes are framed if it is) */
			if (s->det_rx < 255)
				s->det_rx++;
			if (s->turn_rx && s->det_turns < 255)
				s->det_turns++;
			s->turn_rx = 0;
			return;
		}
		if (lost == 3) {
			/* not known yet, and these bytes will not be framed: a
			 * turn or a receive, counted now (below) */
			s->prov_rx = 1;
			u = st_unframed_unit(s);
			goto unframed;
		}
		u = s->unit[ST_DIR_RX];
		if (st_framed(u) && u < ST_UNITS) {
			ps->msg_rx[ST_UI(u)] += n;
			ps->msg_rx_bytes[ST_UI(u)] += len;
		}
		if (lost) {
			if (!u)
				st_msg_rx_unit(s, ps, st_unframed_unit(s));
			st_fr_lost(s, ps, ST_DIR_RX);
			if (st_framed(u))
				return; /* this receive's bytes went to the framed unit */
			u = s->unit[ST_DIR_RX];
		}
		if (st_framed(u))
			return;
	}
unframed:
	if (u == ST_PROTO_TURN) {
		if (s->turn_rx) {
			ps->msg_rx[ST_PROTO_TURN]++;
			s->turn_rx = 0;
		}
		ps->msg_rx_bytes[ST_PROTO_TURN] += len;
		return;
	}
	ps->msg_rx[ST_PROTO_RECEIVE]++;
	ps->msg_rx_bytes[ST_PROTO_RECEIVE] += len;
	if (s->is_tcp) {
		ps->recv_tcp_ops++;
		ps->recv_tcp_bytes += len;
	}
	s->turn_rx = 0;
	s->pre_rx_ops++;
	s->pre_rx_bytes += len;
}

/* A send of len bytes by the socket's owner (s->tx_ops not yet counted). */
static __always_inline void st_msg_send(struct st_sock *s, struct sock *sk, struct st_task *t,
					struct st_proc_stat *ps, __u32 len, __u64 now)
{
	__u8 u;
	__u32 n;
	int lost;

	st_msg_sock_init(s, sk);
	if (s->rx_ops)
		s->replied = 1;
	if (s->is_stream && s->unit[ST_DIR_RX] == ST_PROTO_RECEIVE && s->replied) {
		/* the first send on an unframed stream: it serves turns, and what
		 * it received so far was the first turn */
		ps->msg_rx[ST_PROTO_RECEIVE] -= s->pre_rx_ops;
		ps->msg_rx_bytes[ST_PROTO_RECEIVE] -= s->pre_rx_bytes;
		ps->msg_arr_bytes[ST_PROTO_RECEIVE] -= s->pre_arr_bytes;
		if (s->is_tcp) {
			ps->recv_tcp_ops -= s->pre_rx_ops;
			ps->recv_tcp_bytes -= s->pre_rx_bytes;
		}
		ps->msg_rx[ST_PROTO_TURN] += s->pre_rx_ops ? 1 : 0;
		ps->msg_rx_bytes[ST_PROTO_TURN] += s->pre_rx_bytes;
		ps->msg_arr[ST_PROTO_TURN] += s->pre_arr_bytes ? 1 : 0;
		s->pre_rx_ops = s->pre_rx_bytes = s->pre_arr_bytes = 0;
		s->unit[ST_DIR_RX] = ST_PROTO_TURN;
	}
	s->turn_rx = 1;
	s->turn_arr = 1;
	u = s->unit[ST_DIR_TX];
	if (!s->is_stream || (u && !st_framed(u)))
		return;
	n = st_fr_run(s, sk, t, ps, ST_DIR_TX, len, now, 0, 0, &lost);
	if (lost >= 2)
		return;
	u = s->unit[ST_DIR_TX];
	if (st_framed(u) && u < ST_UNITS) {
		ps->msg_tx[ST_UI(u)] += n;
		ps->msg_tx_bytes[ST_UI(u)] += len;
	}
	if (lost)
		st_fr_lost(s, ps, ST_DIR_TX);
}

/* Data arrived on a socket of a traced process: bytes (TCP; 0 for the
 * others, whose queued skb is measured here) for its unit. */
static __always_inline void st_msg_arrival(struct st_sock *s, struct sock *sk,
					   struct st_proc_stat *ps, __u32 bytes)
{
	__u8 u;

	st_msg_sock_init(s, sk);
	u = s->unit[ST_DIR_RX];
	if (!u && s->prov_rx)
		u = st_unframed_unit(s); /* counted as turns or receives meanwhile */
	if (u == ST_PROTO_TURN) {
		if (s->turn_arr) {
			ps->msg_arr[ST_PROTO_TURN]++;
			s->turn_arr = 0;
		}
		return;
	}
	if (!s->is_tcp) {
		if (u == ST_PROTO_RECEIVE) {
			ps->recv_arr_events++;
			return;
		}
		/* a Unix stream: the bytes of the skb just queued at the tail */
		bytes = BPF_CORE_READ(sk, sk_receive_queue.prev, len);
	}
	if (!u)
		s->none_arr += bytes;
	else if (u < ST_UNITS)
		ps->msg_arr_bytes[ST_UI(u)] += bytes;
	if (u == ST_PROTO_RECEIVE)
		s->pre_arr_bytes += bytes;
}

/*
 * The bodies of the socket programs are the st_on_* functions below; each
 * attach point (the tracepoint, or a fallback on kernels without it) is a thin
 * wrapper that calls one of them.
 */

/*
 * --sample N for messages: the queue waits (arrival to receive: wait_timed_s,
 * the wait histogram and its p99) of one receive in N per thread are timed,
 * with weight N; the others' arrivals are taken off the socket's ring
 * untimed. The gaps are drawn at random as the syscalls' are, so that no
 * message of a periodic pattern is always skipped. Nothing else is sampled:
 * every receive still reads the clock, because the backlog integral (L, and
 * Wq = L / λ), the service times (S and its variance) and busy and idle (U)
 * need the time of every receive and arrival; counts, bytes and messages
 * stay exact, and λ, X, S, U, ρ, L, Wq and W are not estimates of sampled
 * quantities at all. Returns the weight of this receive's waits (0: untimed).
 */
static __always_inline __u32 st_msg_weight(struct st_task *t)
{
	if (sample_every <= 1)
		return 1;
	if (t->msg_skip) {
		t->msg_skip--;
		return 0;
	}
	t->msg_skip = bpf_get_prandom_u32() % (2 * sample_every - 1);
	return sample_every;
}

/* A receive of ret bytes on sk by the current task has returned. */
static __always_inline int st_on_recv(struct sock *sk, int ret, int flags)
{
	struct st_task *t = st_task_of(bpf_get_current_task_btf());
	struct st_proc_stat *ps;
	struct st_sock *s;
	__u64 now, first_arr = 0;
	__u32 ep;

	if (!t || ret <= 0 || (flags & MSG_PEEK))
		return 0;
	now = bpf_ktime_get_ns();
	ps = st_proc_stat_of(t->slot);
	if (!ps)
		return 0;
	ps->rx_ops++;
	ps->rx_bytes += ret;
	t->rx_took = 0;
	s = st_sock_own(sk, t, now);
	if (s) {
		s->rx_ops++;
		s->rx_bytes += ret;
		if (s->is_tcp) {
			ps->rx_tcp_ops++;
			ps->rx_tcp_bytes += ret;
		}
		if (s->slot == t->slot) {
			struct st_seq q;
			__u32 mw;

			/* the oldest arrival this receive takes (busy.bpf.h) */
			if (s->ring_tail != s->ring_head)
				first_arr = s->ring_t[s->ring_tail & (ST_WAIT_RING - 1)];
			st_seq_read(sk, s->is_tcp, &q);
			mw = st_msg_weight(t);
			/* the messages this receive takes, counted in the task's
			 * storage: two more locals live across st_msg_recv made the
			 * stack of the fexit variant too deep for Linux 6.1 (its
			 * combined limit of 512 bytes over the framing calls) */
			t->rx_took = st_busy_msgs(ps);
			st_msg_recv(s, sk, t, ps, ret, now, &q, mw);
			t->rx_took = st_busy_msgs(ps) - t->rx_took;
			st_backlog_step(s, sk, ps, bpf_map_lookup_elem(&procs, &s->slot), &q, now);
			st_wait_pop(s, ps, &q, now, mw);
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
	st_busy_take(t, ps, s, first_arr, now);
	st_busy_took(t, t->rx_took, now);
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
	__u64 now;

	if (!t || ret <= 0)
		return 0;
	ps = st_proc_stat_of(t->slot);
	if (!ps)
		return 0;
	ps->tx_ops++;
	ps->tx_bytes += ret;
	now = bpf_ktime_get_ns(); /* one clock read serves the whole event */
	st_busy_answer(t, ps, now);
	s = st_sock_own(sk, t, now);
	if (s && s->slot == t->slot)
		st_msg_send(s, sk, t, ps, ret, now);
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

/* The socket's owner, if it is a traced process still; cold: on a hook that
 * rarely fires, where the pre-check is a probe read rather than a plain load
 * (on 6.2+ kernels the verifier pays about a millisecond at load for every
 * pointer it sees loaded from a trusted one: the programs on hot hooks keep
 * the plain load, the rare ones do not pay for it). */
static __always_inline struct st_sock *st_sock_owned_(const struct sock *sk, struct st_proc **proc,
						      int cold)
{
	struct st_sock *s;

	/* most sockets on a machine have no BPF storage at all: a plain load
	 * spares them the helper call */
	if (!sk || !(cold ? BPF_CORE_READ(sk, sk_bpf_storage) : sk->sk_bpf_storage))
		return 0;
	s = bpf_sk_storage_get(&socks, (struct sock *)sk, 0, 0);
	if (!s || !s->last_t)
		return 0;
	*proc = bpf_map_lookup_elem(&procs, &s->slot);
	if (!*proc || (*proc)->generation != s->generation)
		return 0;
	return s;
}

static __always_inline struct st_sock *st_sock_owned(const struct sock *sk, struct st_proc **proc)
{
	return st_sock_owned_(sk, proc, 0);
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
	struct st_seq q;

	if (!s)
		return 0;
	ps = st_proc_stat_of(s->slot);
	if (!ps)
		return 0;
	now = bpf_ktime_get_ns();
	st_seq_read(sk, s->is_tcp, &q);
	if (s->is_tcp) {
		__u32 nxt = q.rcv_nxt;

		if (nxt == s->last_rcv_nxt)
			return 0; /* woken without new data (e.g. a FIN) */
		ps->arr_bytes += nxt - s->last_rcv_nxt;
		st_msg_arrival(s, sk, ps, nxt - s->last_rcv_nxt);
		s->last_rcv_nxt = nxt;
		st_wait_push(s, ps, nxt, now);
	} else {
		ps->arr_events++;
		st_msg_arrival(s, sk, ps, 0);
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
	st_backlog_step(s, sk, ps, proc, &q, now);
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
	struct st_sock *s = st_sock_owned_(sk, &proc, 1);

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
	s = st_sock_owned_(rx_sk, &proc, 1);
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
	s = st_sock_owned_(sk, &proc, 1);
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

/* --connections: a TCP connection's last figures when its owner closes it
 * (from ESTABLISHED or CLOSE_WAIT to FIN_WAIT1 or LAST_ACK, or CLOSE on an
 * abort), read and emptied by the
 * loader each interval (struct st_conn_exit). A full table counts as lost
 * storage. Off the hot path: state changes only. */
const volatile __u32 conn_exits_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64); /* socket cookie */
	__type(value, struct st_conn_exit);
} conn_exits SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(st_conn_close, struct sock *sk, int oldstate, int newstate)
{
	struct st_conn_exit e = {};
	struct st_proc *p;
	struct st_sock *s;

	/* the close itself, not the states after it (by TCP_CLOSE after
	 * TIME_WAIT the local port is given back: 0) */
	if (!conn_exits_on ||
	    (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK && newstate != TCP_CLOSE) ||
	    (oldstate != TCP_ESTABLISHED && oldstate != TCP_CLOSE_WAIT && oldstate != TCP_SYN_RECV))
		return 0;
	s = bpf_sk_storage_get(&socks, sk, 0, 0);
	if (!s || !s->last_t)
		return 0;
	p = bpf_map_lookup_elem(&procs, &s->slot);
	if (!p || p->generation != s->generation)
		return 0;
	e.tgid = p->tgid;
	e.r.slot = s->slot;
	e.r.generation = s->generation;
	e.r.family = sk->__sk_common.skc_family;
	e.r.proto = sk->sk_protocol;
	e.r.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	/* network order, and both targets (x86, arm64) are little-endian */
	e.r.dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e.r.family == 2 /* AF_INET */) {
		__builtin_memcpy(e.r.saddr, &sk->__sk_common.skc_rcv_saddr, 4);
		__builtin_memcpy(e.r.daddr, &sk->__sk_common.skc_daddr, 4);
	} else {
		bpf_probe_read_kernel(e.r.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(e.r.daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	e.r.cookie = bpf_get_socket_cookie(sk);
	e.r.rx_bytes = s->rx_bytes;
	e.r.rx_ops = s->rx_ops;
	e.r.tx_bytes = s->tx_bytes;
	e.r.tx_ops = s->tx_ops;
	e.r.backlog = s->gauge_bytes;
	e.r.unit_rx = s->unit[0];
	e.r.unit_tx = s->unit[1];
	if (bpf_map_update_elem(&conn_exits, &e.r.cookie, &e, BPF_ANY))
		st_lost(ST_LOST_STORAGE);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
