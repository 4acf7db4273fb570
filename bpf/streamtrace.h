/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel/user boundary of streamtrace: every struct and constant that the
 * BPF programs and the loader both see. Fixed-width types and fixed-size
 * arrays only, no includes: the BPF side gets __u32/__u64 from vmlinux.h, user
 * space from <linux/types.h> included before this file.
 */
#ifndef STREAMTRACE_H
#define STREAMTRACE_H

/* Syscall numbers at or above this are counted as lost (x86-64 has ~470). */
#define ST_MAX_SYSCALLS 512
/* log2 histogram of nanoseconds: bucket b holds [2^b, 2^(b+1)) ns, bucket 0
 * also holds 0; the last bucket holds everything from 2^31 ns (2.1 s) up. */
#define ST_HIST_BUCKETS 32
#define ST_COMM_LEN	16
/* -c NAME given at most this many times */
#define ST_MAX_COMMS 8
/* Default and hard cap of traced processes alive at once (slots). */
#define ST_DEFAULT_PROCS 64
#define ST_MAX_PROCS	 4096

/* Why something could not be accounted for; one per-CPU counter each. */
enum st_lost_kind {
	ST_LOST_RINGBUF = 0,   /* ring buffer full: an event was not delivered */
	ST_LOST_PROCS_FULL,    /* a process to trace found no free slot */
	ST_LOST_SYSCALL_RANGE, /* syscall number >= ST_MAX_SYSCALLS */
	ST_LOST_ERRNO_FULL,    /* errno map full: an error's errno was not kept */
	ST_LOST_STORAGE,       /* task or socket storage could not be created */
	ST_LOST_SOCK_FULL,     /* pipeline edge map full: an edge was not kept */
	ST_LOST_WAIT_SAMPLE,   /* a queue-wait sample given up (socket ring full): a histogram
			     * sample, not an event, so not in lost.events */
	ST_LOST_FRAMING,       /* one direction of a connection lost message sync (no buffer,
			     * unreadable, past the work bound, not the protocol): it falls
			     * back to turns or receives; not an event, so not in lost.events */
	ST_LOST_PROF_SAMPLE,   /* --profile: an off-CPU period not kept (task storage failed) */
	ST_LOST_PROF_STACK,    /* --profile: a stack not kept (stack map full or a hash
			     * collision): the sample counts under an unknown stack */
	ST_LOST_PROF_FULL,     /* --profile: the counts map was full: a sample or an off-CPU
			     * period not counted */
	ST_LOST_VIEWS_FULL,    /* --threads/--connections: a thread or connection not listed,
			     * the views' table being full (counted in user space) */
	ST_LOST_ONCPU,	       /* a thread's syscall state left on a CPU it left unseen (a
			     * switch-out sched_switch did not report): its syscall or
			     * per-thread count not kept */
	ST_LOST__MAX,
};

/* The per-CPU syscall array holds, per process slot, ST_SYSCALL_BLOCKS
 * values of ST_SYSCALLS_PER_BLOCK rows each: one value per syscall would be
 * 65536 tiny per-CPU allocations at load (slow to create); a whole slot in
 * one value would pass the 32 KiB per-CPU value limit. */
#define ST_SYSCALLS_PER_BLOCK 128
#define ST_SYSCALL_BLOCKS     (ST_MAX_SYSCALLS / ST_SYSCALLS_PER_BLOCK)

/* --sample N: st_task.sys_enter_ns of a syscall that is counted but not
 * timed (no clock read); a real timestamp is never this small. */
#define ST_SYS_UNTIMED 1

/* One (process slot, syscall) row of the per-CPU syscall array. The interval
 * maximum is double-buffered by epoch parity (see syscalls.bpf.c). */
struct st_syscall_stat {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;	    /* over the whole run */
	__u64 ep_max_ns[2]; /* maximum within epoch ep_tag[i] */
	__u32 ep_tag[2];
	__u32 hist[ST_HIST_BUCKETS]; /* wraps: readers take deltas modulo 2^32 */
};

struct st_syscall_block {
	struct st_syscall_stat sc[ST_SYSCALLS_PER_BLOCK];
};

/* Units of work, per process (queue.unit): indexed by enum st_proto of
 * bpf/framing.h (0 none, 1 resp, 2 postgres, 3 http1, 4 mqtt, 5 nats,
 * 6 kafka, 7 amqp, 8 turn, 9 receive; the BPF side checks the numbering at
 * compile time). Room for more. */
#define ST_UNITS 12
/* The framing state of one direction of a connection: a struct st_frame
 * (bpf/framing.h) in this many u64s of socket storage. */
#define ST_FRAME_U64S 8
/* Kinds of blocking while busy (docs/queueing.md, "Busy and idle"). */
enum st_blk_kind {
	ST_BLK_LATCH = 0, /* in an input-wait syscall with a message in service */
	ST_BLK_FUTEX,	  /* futex: a lock, a condition, a pool hand-off */
	ST_BLK_IO,	  /* file and other I/O syscalls (disk, fsync, a blocking send) */
	ST_BLK_OTHER,	  /* anything else (sleep, a page fault outside a syscall) */
	ST_BLK__MAX,
};

/* Busy, idle and dispatch of serving threads: per CPU, cumulative, kept at
 * the end of st_proc_stat (plain u64 counters, then the histogram). */
struct st_busy_stat {
	__u64 exit_busy_ns;	   /* busy time of serving threads that have exited */
	__u64 exit_idle_ns;	   /* their idle time */
	__u64 blk_ns[ST_BLK__MAX]; /* blocked off-CPU while busy, by kind */
	__u64 blk_count[ST_BLK__MAX];
	__u64 disp_ns;	      /* dispatch: arrival at an idle thread -> running, per message */
	__u64 disp_count;     /* messages taken by a thread woken from idle */
	__u64 disp_take_ns;   /* dispatch's start -> the receive that took the message */
	__u64 svc_ended;      /* messages whose service was seen to end (answered) */
	__u64 disp_sq;	      /* dispatch delays squared, in (ns >> ST_SQ_SHIFT)^2 (E[D0^2]) */
	__u64 ans_ns;	      /* over messages answered: their take (receive) to the answer */
	__u64 ans_msgs;	      /* those messages */
	__u64 disp_asleep_ns; /* of disp_ns: arrival -> the wake-up, the thread asleep */
	__u32 disp_hist[ST_HIST_BUCKETS];
};

/* Per-CPU, per-process-slot counters of everything but syscalls. */
struct st_proc_stat {
	/* scheduler */
	__u64 oncpu_ns;
	__u64 offcpu_ns;
	__u64 runq_ns;
	__u64 runq_count;
	__u64 ctx_switches;
	__u64 invol_switches;
	__u64 runq_max_ns;
	/* sockets */
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 rx_ops;
	__u64 tx_ops;
	__u64 retransmits;
	__u64 resets_sent;
	__u64 resets_recv;
	__u64 drops;
	__u64 drops_dgram;  /* the drops of datagrams: arrivals too (TCP's get resent) */
	__u64 rx_tcp_bytes; /* the TCP part of rx_bytes / rx_ops */
	__u64 rx_tcp_ops;
	/* queue: arrivals seen on the enqueue side of the process's sockets */
	__u64 arr_bytes;  /* TCP: bytes that arrived (rcv_nxt advanced) */
	__u64 arr_events; /* other sockets: messages queued (one per data-ready) */
	__u64 arr_gap_ns; /* sum of gaps between arrivals to the process */
	__u64 arr_gap_sq; /* sum of squared gaps, in (ns >> ST_SQ_SHIFT)^2 */
	__u64 arr_gap_count;
	__u64 backlog_int; /* TCP: integral of unread bytes, bytes x (ns >> ST_INT_SHIFT) */
	__u64 qlen_int;	   /* other: integral of queued messages, msgs x (ns >> ST_INT_SHIFT) */
	/* busy/idle of serving threads (threads that made receives) */
	__u64 idle_ns; /* blocked waiting for input (off CPU in a receive or poll) */
	__u64 svc_ns;  /* from a receive's return to the next wait for input */
	__u64 svc_sq;  /* squared, in (ns >> ST_SQ_SHIFT)^2 */
	__u64 svc_count;
	__u64 wait_ns; /* per-arrival queue waits, timed one by one */
	__u64 wait_count;
	__u64 wait_dropped; /* arrivals not timed: the socket's ring was full */
	__u64 servers_run;  /* +1 per thread the first time it received */
	__u32 runq_hist[ST_HIST_BUCKETS];
	__u32 svc_hist[ST_HIST_BUCKETS];
	__u32 wait_hist[ST_HIST_BUCKETS];
	/* threads that received within epoch srv_tag[i]: like the syscall
	 * maxima, double-buffered by epoch parity, not cumulative */
	__u64 srv_cnt[2];
	__u32 srv_tag[2];
	struct st_busy_stat bz; /* busy, idle, dispatch (bpf/busy.bpf.h) */
	/* messages (issue 8), per unit of work (ST_UNITS), cumulative; every
	 * field from msg_rx to fr_lost is a __u64 counter summed over CPUs
	 * (user/tracer.c, user/collect.c take them as one range) */
	__u64 msg_rx[ST_UNITS];	       /* messages taken: framed ends in reads, turns begun,
				       * receives */
	__u64 msg_rx_bytes[ST_UNITS];  /* bytes read on connections of that unit */
	__u64 msg_arr[ST_UNITS];       /* TURN: turns that arrived (data after a send) */
	__u64 msg_arr_bytes[ST_UNITS]; /* framed and RECEIVE: stream bytes that arrived */
	__u64 msg_tx[ST_UNITS];	       /* framed messages written */
	__u64 msg_tx_bytes[ST_UNITS];  /* bytes written on connections framed in TX */
	__u64 recv_tcp_ops;	       /* the TCP part of msg_rx[RECEIVE] and its bytes: */
	__u64 recv_tcp_bytes;	       /* they size the RECEIVE unit's arrival bytes */
	__u64 recv_arr_events;	       /* RECEIVE, not TCP: messages queued (data-ready) */
	__u64 fr_lost;		       /* connection directions whose framing gave up */
};

/* Arrivals per socket whose queue wait is timed one by one; beyond that the
 * oldest is given up (counted in st_proc_stat.wait_dropped) and the mean
 * wait still comes from the backlog integral. */
#define ST_WAIT_RING 32

#define ST_SQ_SHIFT  6	/* squares are kept in units of 64 ns, squared */
#define ST_INT_SHIFT 10 /* backlog integral in bytes x ~µs (1024 ns) */

/* Recent sends' times kept per process, so that a thread blocked with a
 * message in service learns when another thread answered it. */
#define ST_ANSWER_RING 8

enum st_proc_state {
	ST_PROC_FREE = 0,
	ST_PROC_LIVE,
	ST_PROC_EXITED,
};

/* How a process came to be traced. */
enum st_proc_origin {
	ST_ORIGIN_ATTACH = 1, /* -p, --cgroup, or an existing -c match */
	ST_ORIGIN_FORK,	      /* child of a traced process */
	ST_ORIGIN_EXEC_COMM,  /* exec'd a program whose comm matches -c */
	ST_ORIGIN_EXEC_PID,   /* the -- COMMAND child at its execve */
};

/* Identity and life of the process in one slot (shared, mmap-able array). */
struct st_proc {
	__u32 tgid;
	__u32 state;	 /* enum st_proc_state */
	__u64 start_ns;	 /* group leader's start_time: tells reused pids apart */
	__u64 traced_ns; /* when tracing of it began (CLOCK_MONOTONIC ns) */
	__u64 exit_ns;
	__s32 exit_code;   /* wait(2) status word: code << 8 | signal */
	__u32 origin;	   /* enum st_proc_origin */
	__u32 parent_slot; /* for forks: the parent's slot, else (__u32)-1 */
	__u32 generation;  /* bumped each time the slot is reused */
	char comm[ST_COMM_LEN];
	__s64 backlog_bytes;		/* unread bytes in its sockets now (gauge) */
	__u64 last_arrival_ns;		/* last data arrival on any of its sockets */
	__u64 answer_gen;		/* sends so far: each one answers what is in service */
	__u64 answer_t[ST_ANSWER_RING]; /* when send number g was made, at [g % RING] */
};

/* An existing process being attached (attach_tgids value): its slot, and
 * what the task iterator found: threads it gave that slot, and threads that
 * were traced already under another slot (the process exec'd under a -c
 * name meanwhile). No thread marked: the process exited before it could be
 * traced; the loader then gives the slot back. */
struct st_attach {
	__u32 slot;
	__u32 marked;
	__u32 traced_already;
	__u32 pad;
};

/* The thread on a CPU (bpf/common.bpf.h, map oncpu): a cache the syscall
 * hooks read without a helper call, valid for the thread whose saved user
 * registers are at regs (the sys_enter/sys_exit tracepoints pass that
 * address: it tells the thread apart for free). */
enum {
	ST_ONCPU_NONE = 0,   /* not a traced thread: nothing to do */
	ST_ONCPU_MIRROR = 1, /* a traced thread; the fields below are its */
};

struct st_oncpu {
	__u64 regs; /* the thread's struct pt_regs (0: nobody known) */
	__u32 mode;
	__u32 slot;	/* its process slot */
	__u32 tid;	/* the thread */
	__u32 nr;	/* the syscall it is in, if enter_ns */
	__u64 enter_ns; /* entered at (ST_SYS_UNTIMED: not timed); 0: in none entered here */
	__u64 syscalls; /* ended here, not yet in st_task.th_syscalls */
	__u32 skip;	/* st_task.sys_skip while it runs */
	__u32 pad;
};

/* Per-thread state kept in task storage. */
struct st_task {
	__u32 slot;
	__u32 sys_nr;
	__u64 sys_enter_ns; /* 0 when not inside a syscall we saw enter */
	__u64 oncpu_since;
	__u64 offcpu_since;
	__u64 runq_since;
	__u64 idle_since; /* blocked in a receive-like wait since */
	__u64 svc_since;  /* the message in service was taken at (0: none) */
	__u32 rx_seen;	  /* has received: a serving thread */
	__u32 rx_epoch;	  /* epoch + 1 of its last receive */
	/* per-thread totals, for the thread view (read by a task iterator) */
	__u64 th_oncpu_ns;
	__u64 th_runq_ns;
	__u64 th_switches;
	__u64 th_syscalls;
	__u64 th_rx_ops;
	__u64 th_busy_ns; /* busy time as a serving thread, closed periods */
	/* busy/idle state machine of a serving thread (bpf/busy.bpf.h) */
	__u64 bz_since;	     /* busy since (0: idle, in dispatch, or not serving) */
	__u64 bz_disp_since; /* woken from idle at, not yet running */
	__u64 bz_woke_at;    /* the idle wake-up whose message the next receive takes */
	__u64 bz_disp_ns;    /* that wake-up's delay until the thread ran */
	__u64 bz_idle_from;  /* that wake-up ended an idle period begun at */
	__u64 bz_blk_since;  /* blocked off-CPU while busy since */
	__u64 bz_svc_gen;    /* st_proc.answer_gen when the message in service was taken */
	__u64 th_idle_ns;    /* idle time, closed periods */
	__u64 th_idle_periods;
	__u32 bz_blk_kind;
	__u32 bz_exited;  /* exited: its totals are in st_busy_stat */
	__u32 bz_blk_svc; /* blocked with a message in service (bz_svc_gen's) */
	__u32 bz_oneway;  /* the message in service came on a one-way connection */
	/* --sample N: syscalls left before the next timed one (0: time the
	 * next); drawn uniformly from 0..2N-2 after each timed one */
	__u32 sys_skip;
	/* --sample N: receives left before the next one whose queue waits are
	 * timed (0: time the next); drawn as sys_skip is */
	__u32 msg_skip;
	/* messages taken since svc_since and not answered yet, and the sum of
	 * their takes' times after svc_since (bpf/busy.bpf.h, st_busy_took) */
	__u64 ans_n;
	__u64 ans_sum;
	/* the current syscall's second and third arguments (x86-64: si, dx),
	 * kept at sys_enter: the socket programs find the user buffer there
	 * without a helper call for the registers */
	__u64 sys_arg1;
	__u64 sys_arg2;
	/* the messages the current receive took (bpf/sockets.bpf.c, st_on_recv):
	 * kept here rather than on the BPF stack */
	__u64 rx_took;
};

/* One traced thread, as the thread-view iterator writes it. */
struct st_thread_rec {
	__u32 tid, tgid, slot, pad;
	char comm[ST_COMM_LEN];
	__u64 oncpu_ns, runq_ns, switches, syscalls, rx_ops, busy_ns;
};

/* One serving thread's busy/idle totals up to the moment the busy iterator
 * read it (open periods included), for busy time, servers and saturation. */
struct st_busy_rec {
	__u32 tid, slot;
	__u32 generation; /* of the slot, so a reused slot is not mixed up */
	__u32 state;	  /* 0 busy, 1 idle, 2 in dispatch */
	__u64 busy_ns, idle_ns, idle_periods;
};

/* One socket of a traced process, as the connection-view iterator writes it. */
struct st_conn_rec {
	__u32 slot, generation;
	__u16 family, proto, sport, dport; /* ports in host order */
	__u8 saddr[16], daddr[16];	   /* IPv4 in the first 4 bytes */
	__u64 cookie;
	__u64 rx_bytes, rx_ops, tx_bytes, tx_ops, backlog;
	__u8 unit_rx, unit_tx; /* enum st_proto of each direction, 0 while not known */
	__u8 pad_u[6];
};

/* Per-socket state kept in socket storage, for sockets a traced process
 * received or sent on. */
struct st_sock {
	__u32 slot;	  /* owner: the first traced process to use it */
	__u32 generation; /* of that slot, so a reused slot is not charged */
	__u32 is_tcp;
	__u32 last_rcv_nxt; /* TCP: rcv_nxt at the last arrival we saw */
	__u64 last_t;	    /* last change of the backlog */
	__u64 backlog;	    /* TCP: unread bytes; other: queued messages */
	__u64 gauge_bytes;  /* what this socket adds to st_proc.backlog_bytes */
	__u64 rx_bytes, rx_ops, tx_bytes, tx_ops;
	/* arrivals not yet dequeued, oldest at tail: TCP end sequence (the
	 * others: unused, one ring entry per message) and arrival time */
	__u32 ring_head, ring_tail;
	__u32 ring_seq[ST_WAIT_RING];
	__u64 ring_t[ST_WAIT_RING];
	/* messages (issue 8): framing state per direction (ST_DIR_RX, ST_DIR_TX) */
	__u64 fr[2][ST_FRAME_U64S];
	__u8 unit[2];	    /* enum st_proto per direction; 0 while not known */
	__u8 m_init;	    /* the fields below are set up */
	__u8 is_stream;	    /* SOCK_STREAM (TCP, Unix stream): framable */
	__u8 turn_rx;	    /* a send since the last receive: the next receive starts a turn */
	__u8 turn_arr;	    /* a send since the last arrival: the next arrival starts a turn */
	__u8 rx_at_start;   /* the first receive seen was the stream's first byte */
	__u8 msg_timed;	    /* queue waits are timed per message here, not per arrival */
	__u64 pre_rx_ops;   /* RECEIVE before the first send: moved to TURN at that send */
	__u64 pre_rx_bytes; /* (counted as receives until then) */
	__u64 pre_arr_bytes;
	__u64 none_arr; /* arrived before the RX unit was known (bytes; Unix: skb bytes) */
	/* the first bytes of each direction while too few to name the protocol
	 * (a server that reads 1 byte first): parsed once it is named */
	__u8 det[2][16];
	__u8 det_len[2];
	__u8 det_start[2]; /* det[] began at the stream's first byte */
	__u8 det_rx;	   /* receives while the RX unit was not known yet, */
	__u8 det_turns;	   /* and the turns they began: counted if it is not framed */
	__u8 redet[2];	   /* reads tried mid-stream without finding a message start */
	__u8 prov_rx;	   /* counting turns or receives while the protocol is not known */
	__u8 replied;	   /* the process wrote on it after reading from it: turns */
	__u8 pad_p[6];
};

enum st_event_kind {
	ST_EV_PROC_NEW = 1,
	ST_EV_PROC_EXIT,
};

struct st_event {
	__u32 kind;
	__u32 slot;
	__u32 tgid;
	__s32 exit_code;
	__u64 ts_ns;
	char comm[ST_COMM_LEN];
};

/* Key of the errno counts: a process slot, a syscall and the errno. */
struct st_errno_key {
	__u32 slot;
	__u16 nr;
	__u16 err;
};

/* --profile (issue 13): the counts map's key. A stack id < 0 is no stack
 * (none to take: -EFAULT, e.g. no kernel stack for a sample taken in user
 * mode) or a lost one (counted in ST_LOST_PROF_STACK). */
#define ST_PROF_STACK_DEPTH 127 /* PERF_MAX_STACK_DEPTH */
struct st_prof_key {
	__u32 tgid;
	__s32 ustack; /* user stack id in prof_stacks */
	__s32 kstack; /* kernel stack id */
	__u32 offcpu; /* 0: on-CPU samples; 1: off-CPU nanoseconds in service */
};

/* Per-thread state of the off-CPU profile (its own task storage): the block
 * in service now, opened at sched_switch-out, closed at the wake-up. */
struct st_prof_task {
	__u64 start_ns;	  /* blocked in service since (0: none open) */
	__u64 snap_since; /* st_task.bz_since and th_busy_ns at that switch-out: */
	__u64 snap_busy;  /* how far into the block the busy period reached */
	__s32 ustack, kstack;
};

/* --connections (issue 11): a TCP connection's last figures, kept when its
 * owner closed it (the state change the close makes), so that a connection
 * closed between two readings, or by a process that exited, reports its last
 * interval. tgid: the owner's, whose slot may be given back by then. */
struct st_conn_exit {
	struct st_conn_rec r;
	__u32 tgid, pad;
};

#endif /* STREAMTRACE_H */
