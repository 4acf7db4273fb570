/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What one output object says: a snapshot of every traced process over a
 * span (one interval, or the whole run). Plain data, filled by the collector
 * and read by the renderers (JSON lines, live table, recordings). A figure
 * that cannot be known is NaN (doubles) or has its *_known flag clear, and is
 * rendered as null.
 */
#ifndef ST_MODEL_H
#define ST_MODEL_H

#include <stdint.h>
#include "hist.h"
#include "queue_model.h"
#include "forecast.h"
#include "whatif.h"
#include <linux/types.h>
#include "bpf/streamtrace.h"

#define ST_MAX_ERRNOS_PER_SYSCALL 16

struct errno_count {
	uint16_t err;
	uint64_t count;
};

struct syscall_row {
	uint32_t nr;
	uint64_t count;
	uint64_t errors;
	uint64_t total_ns;
	uint64_t max_ns;
	int max_known;
	struct hist hist;
	unsigned n_errnos;
	struct errno_count errnos[ST_MAX_ERRNOS_PER_SYSCALL];
};

/* One thread of a process (the thread view, --threads). */
struct thread_view {
	uint32_t tid;
	char comm[ST_COMM_LEN];
	double oncpu_s, runq_wait_s, busy_s;
	uint64_t switches, syscalls, rx_ops;
};

/* One socket of a process (the connection view, --connections). */
struct conn_view {
	char proto[8];	/* tcp, udp, unix, ... */
	char local[64]; /* address:port, or "" when not known */
	char remote[64];
	uint64_t rx_bytes, rx_ops, tx_bytes, tx_ops;
	uint64_t backlog_bytes;
	unsigned unit_rx, unit_tx; /* ST_UNIT_* of each direction; 0 while not known */
};

struct proc_view {
	uint32_t pid;
	uint32_t slot;
	char comm[ST_COMM_LEN];
	uint32_t threads; /* live threads at the end of the span (0 once exited) */
	int exited;
	int exit_code; /* wait(2) status word, valid when exited */

	/* cpu */
	double oncpu_s;
	double offcpu_s;
	double runq_wait_s;
	uint64_t runq_count;
	double runq_max_ns;
	struct hist runq_hist;
	uint64_t ctx_switches;
	uint64_t invol_switches;

	/* memory */
	int rss_known;
	uint64_t rss_bytes;
	int faults_known;
	uint64_t page_faults;
	uint64_t major_faults;

	/* syscalls, busiest first */
	unsigned n_syscalls;
	struct syscall_row *syscalls;

	/* net (net_known 0: the kernel lacks the socket tracepoints) */
	int net_known;
	uint64_t rx_bytes, tx_bytes, rx_ops, tx_ops;
	int backlog_known;
	uint64_t backlog_bytes;
	uint64_t retransmits, resets, drops;
	unsigned n_drop_reasons;
	struct drop_count {
		char reason[40];
		uint64_t count;
	} drop_reasons[8];

	/* per-op service time (receive to next wait for input) and, where
	 * measured, per-arrival queue wait (enqueue to dequeue) histograms */
	struct hist svc_hist;
	int wait_hist_known;
	struct hist wait_hist;
	double wait_timed_s;		 /* mean of the waits timed one by one, NaN if none */
	double arrival_cv2, service_cv2; /* measured variability, NaN if unknown */

	/* queue: has_queue is 0 for a process that never received data */
	int has_queue;
	struct queue_figures queue;

	/* forecast: has_forecast 0 until there is a trend to speak of */
	int has_forecast;
	struct forecast_figures fc;

	/* what-if (--what-if): the queueing models at a changed load, service
	 * time or server count, from this span's measured λ, S, c */
	int has_whatif;
	struct whatif_figures wi;

	/* pipeline: position among traced processes that feed each other
	 * (0 = not in a pipeline), and whether this stage is the bottleneck */
	unsigned stage;
	int bottleneck;
	double path_response_s; /* slowest path from a source through this stage */

	/* > 0: not one process but this many exited ones of the same name (or
	 * of any name: "(others)"), folded into one row of the summary; pid 0 */
	uint64_t folded;

	/* views asked for on the command line; NULL/0 otherwise */
	unsigned n_thread_views;
	struct thread_view *thread_views;
	unsigned n_conns;
	struct conn_view *conns;

	/* messages (issue 8): the unit of work of the queue figures, and the
	 * messages read (in that unit) and written (framed protocols only) */
	int msgs_known; /* rx_msgs and unit measured (0: older kernel side) */
	uint64_t rx_msgs;
	int tx_msgs_known; /* a connection of the process is framed in TX */
	uint64_t tx_msgs;
	unsigned unit;	  /* ST_UNIT_* (enum st_proto values) or ST_UNIT_MIXED */
	uint64_t fr_lost; /* connection directions whose framing gave up */
	unsigned n_units; /* the units of the span, one row each (mixed: several) */
	struct unit_view {
		unsigned unit;
		uint64_t msgs;	     /* messages taken */
		double arrival_rate; /* λ of this unit, NaN if unknown */
		double throughput;
	} units[ST_UNITS];
	/* busy, idle, dispatch (docs/queueing.md): busy_known 0 when the busy
	 * iterator never read this process */
	int busy_known;
	double busy_s, idle_s;		    /* serving threads' busy and idle time */
	double blocked_busy_s[ST_BLK__MAX]; /* of busy: blocked off-CPU, by kind */
	uint64_t dispatch_count;	    /* ops that found a server idle */
	struct hist dispatch_hist;	    /* their dispatch delays */
	/* a folded row (folded > 0): the syscall rows its members had beyond
	 * PROM_OUT_MAX_SYSCALLS, so that the exposition's count of rows left
	 * out does not fall when a process is folded */
	uint64_t folded_rows_over_cap;
};

struct service_view;

struct pipeline_info {
	unsigned n_stages;	 /* 0: no traced processes feed each other */
	uint32_t bottleneck_pid; /* 0 if none could be named */
	double e2e_response_s;	 /* the slowest source-to-end path's response */
};

struct lost_counts {
	uint64_t kinds[ST_LOST__MAX];
	uint64_t recursion; /* program runs the kernel skipped (bpf_prog_info.recursion_misses) */
};

/* How the kernel was hooked: the JSON summary's "tracer" key. */
#define ST_ATTACH_FAMILIES 8
#define ST_KERNEL_FLOOR	   "5.17" /* the oldest kernel streamtrace runs on */
struct attach_info {
	char kernel[65]; /* uname -r */
	unsigned n;
	struct {
		char family[16]; /* syscalls, sched, process, sockets, data_ready, tcp, drops */
		char method[24]; /* tracepoint, fentry, fexit, none (or two joined by +) */
	} fam[ST_ATTACH_FAMILIES];
};

struct profile; /* user/profile.h */
struct snapshot {
	int is_summary;
	double time; /* UNIX seconds at the end of the span */
	double span_s;
	struct lost_counts lost;
	/* the host over the span (/proc/stat): CPUs online, and the CPU time
	 * a hypervisor ran something else while they were busy (all CPUs);
	 * cpus 0 when not known (an older recording), steal_s NaN */
	struct host_view {
		unsigned cpus;
		double steal_s;
	} host;
	unsigned n_procs;
	struct proc_view *procs;
	struct pipeline_info pipeline;
	char whatif_spec[64];		  /* the --what-if given, "" if none */
	int has_threads, has_conns;	  /* the views were asked for */
	const struct attach_info *attach; /* summary of a live run: how it hooked the kernel */
	/* --services: the processes rolled up into services (services.h) */
	int has_services;
	unsigned n_services;
	struct service_view *services;
	/* --profile: the run's stack profile (summary only; user/profile.h), or
	 * NULL; owned like procs: snapshot_free frees it */
	struct profile *profile;
	/* --sample N: syscall times and histograms estimated from every Nth
	 * syscall per thread (0 or 1: all timed) */
	unsigned sample_every;
};

/* Units of work: the values of enum st_proto (bpf/framing.h), and mixed. */
#define ST_UNIT_RESP	  1
#define ST_UNIT_TURN	  8
#define ST_UNIT_RECEIVE	  9
#define ST_UNIT_MIXED	  15
#define ST_UNIT_FRAMED(u) ((u) >= 1 && (u) <= 7)
/* queue.unit's name of a unit ("resp", ..., "mixed"); "receive" for 0 */
const char *unit_name(unsigned unit);
/* The unit of a name, -1 if none. */
int unit_parse(const char *name);

uint64_t lost_total(const struct lost_counts *l);
/* The host's steal as a share of its CPU time over the span (0..1), NaN
 * when not known. */
double host_steal_share(const struct snapshot *s);
/* The key of a lost kind in every output ("ringbuf_full", ...). */
const char *lost_kind_name(unsigned kind);
void snapshot_free(struct snapshot *s);

#endif
