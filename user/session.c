// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracing session of `streamtrace [top]` and `record`: check the
 * targets, start the command (if any) held at a gate, load and attach the
 * BPF side, mark the targets (session_open); then at each interval's end
 * read the kernel's counters, update the collector, finish the snapshot and
 * emit it (session_tick), until the duration ends, a signal comes, the
 * command exits, or (with -p alone) every traced process has gone
 * (session_wait); the summary always comes last (session_summary).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "session.h"
#include "busy.h"
#include "services_sys.h"
#include "collect.h"
#include "http_server.h"
#include "json_out.h"
#include "pipeline.h"
#include "procfs.h"
#include "prom_out.h"
#include "table_out.h"
#include "tui.h"
#include "tracer.h"
#include "diff.h"
#include "recording.h"
#include "report.h"
#include "views.h"
#include "whatif.h"
#include "outfile.h"
#include "web_config.h"
#include "privs.h"
#include "profile_live.h"
#include "profile_out.h"
#include <linux/capability.h>

/* Give a dead process's slot back only this long after its exit, so that
 * the last context switch of its last thread is counted first. */
#define RELEASE_GRACE_NS 20000000ull
#define POLL_MS		 100
/* while a dead process holds a slot, poll this often to give it back */
#define POLL_RELEASE_MS 10

_Static_assert(ST_MAX_COMMS_CLI == ST_MAX_COMMS, "-c names: cli.h and streamtrace.h agree");

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* SIGCHLD only interrupts the poll, so a command's exit is seen at once */
static void on_child(int sig)
{
	(void)sig;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("streamtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

struct session {
	struct cli_options *o;
	struct tracer *tr;
	struct collector *col;
	struct st_syscall_stat *rows;
	pid_t child; /* -- COMMAND, or 0 */
	int child_status;
	int child_done;
	int refresh;
	struct pipeline_edges *edges;	/* pid to pid, over the whole run */
	struct views *views;		/* --threads, --connections */
	struct busy_tracker *busy;	/* serving threads' busy/idle readings */
	struct service_attr *svc_attrs; /* --services: the last seen of each pid */
	unsigned n_svc_attrs, cap_svc_attrs;
	struct recording *rec; /* record -o FILE */
	int rec_errno;	       /* a write to it failed: stop */
	int rec_progress;      /* a progress line on a terminal */
	enum out_state out;    /* stdout: its reader went away, or a write failed */
	int out_errno;
	struct http_server *http; /* --listen, or NULL */
	struct prom_self self;
	double t0;
	struct web_config *web; /* --web-config, or NULL */
	struct prof_live *prof; /* --profile, or NULL */
	FILE *folded;		/* --folded FILE, opened before privileges go */
	/* streamtrace top on a terminal (user/tui.c), or NULL; the views it
	 * turned on for its detail screen, left out of the summary */
	struct tui *tui;
	int tui_threads, tui_conns;
	int color; /* stdout is a terminal, and neither NO_COLOR nor --no-color */
	/* the command held at its gate until the tracer is ready */
	int gate_w, err_r;
	int opened;	     /* there is something for session_close to undo */
	double next, t_last; /* the current interval's planned end, the last one's */
	int argc;
	char **argv;
};

static void on_event(void *ctx, const struct st_event *e)
{
	struct session *s = ctx;

	if (e->kind == ST_EV_PROC_NEW) {
		const volatile struct st_proc *p = tracer_proc(s->tr, e->slot);

		/* events wake no one, so one may be read late: after its process
		 * was read from the slot table, retired and its slot given back
		 * (or reused). Only the slot table's current occupant counts. */
		if (p && p->state != ST_PROC_FREE && p->tgid == e->tgid &&
		    !collector_proc_known(s->col, e->slot))
			collector_proc_begin(s->col, e->slot, (pid_t)e->tgid, e->comm, p->origin);
	}
}

/* Pick up slots the ring buffer did not tell us about (its events are only a
 * shortcut: the slot table in the kernel is the truth). */
/* The host's steal so far (/proc/stat), for the snapshots' host figures:
 * busy and service times are wall-clock time on a CPU, which on a virtual
 * machine includes CPU time the hypervisor gave to others. */
static void read_host(struct session *s)
{
	struct procfs_host h;
	long hz = sysconf(_SC_CLK_TCK);

	if (!procfs_read_host(&h) && hz > 0)
		collector_set_host(s->col, h.cpus, (double)h.steal_ticks / (double)hz);
}

static void sync_slots(struct session *s)
{
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
		const volatile struct st_proc *p = tracer_proc(s->tr, i);
		char comm[ST_COMM_LEN];

		if (p->state == ST_PROC_FREE)
			continue;
		memcpy(comm, (const char *)p->comm, sizeof(comm));
		comm[ST_COMM_LEN - 1] = 0;
		if (!collector_proc_known(s->col, i))
			collector_proc_begin(s->col, i, (pid_t)p->tgid, comm, p->origin);
	}
}

static void drop_cb(void *ctx, uint32_t slot, const char *reason, uint64_t n)
{
	collector_update_drop(ctx, slot, reason, n);
}

static void errno_cb(void *ctx, uint32_t slot, uint32_t nr, uint32_t err, uint64_t n)
{
	collector_update_errno(ctx, slot, nr, err, n);
}

static void edge_cb(void *ctx, uint32_t from, uint32_t to, uint64_t n)
{
	struct session *s = ctx;
	const volatile struct st_proc *a = tracer_proc(s->tr, from), *b = tracer_proc(s->tr, to);

	if (a && b && a->state != ST_PROC_FREE && b->state != ST_PROC_FREE)
		pipeline_edges_add(s->edges, a->tgid, b->tgid, n);
}

static void thread_cb(void *ctx, const struct st_thread_rec *r)
{
	struct session *s = ctx;
	const volatile struct st_proc *p = tracer_proc(s->tr, r->slot);

	if (p && p->state != ST_PROC_FREE)
		views_add_thread(s->views, p->tgid, r);
}

/* A thread that exited: its process may be gone from the slot table by now
 * (released early), so it is filed under the pid it had. */
static void thread_exit_cb(void *ctx, const struct st_thread_rec *r)
{
	struct session *s = ctx;

	views_add_thread_final(s->views, r->tgid, r);
}

static void conn_exit_cb(void *ctx, const struct st_conn_rec *r, uint32_t tgid)
{
	struct session *s = ctx;

	views_add_conn_final(s->views, tgid, r);
}

static void busy_cb(void *ctx, const struct st_busy_rec *r)
{
	busy_add(ctx, r);
}

static void conn_cb(void *ctx, const struct st_conn_rec *r)
{
	struct session *s = ctx;
	const volatile struct st_proc *p = tracer_proc(s->tr, r->slot);

	if (p && p->state != ST_PROC_FREE && p->generation == r->generation)
		views_add_conn(s->views, p->tgid, r);
}

/* Read what the kernel has for the process in slot i (counters of epoch). */
static void read_slot(struct session *s, uint32_t i, uint32_t epoch)
{
	const volatile struct st_proc *p = tracer_proc(s->tr, i);
	struct st_proc_stat ps;
	struct procfs_stat st;

	if (!tracer_read_proc_stat(s->tr, i, epoch, &ps))
		collector_update_stats(s->col, i, &ps);
	if (!tracer_read_syscalls(s->tr, i, epoch, s->rows))
		collector_update_syscalls(s->col, i, s->rows);
	collector_update_backlog(s->col, i, p->backlog_bytes);
	/* the name now (prctl(PR_SET_NAME) renames without an exec): from
	 * /proc while it lives, as the kernel had it at its exit after */
	if (p->state == ST_PROC_EXITED) {
		char comm[ST_COMM_LEN];

		memcpy(comm, (const char *)p->comm, sizeof(comm));
		comm[ST_COMM_LEN - 1] = 0;
		collector_proc_comm(s->col, i, comm);
		collector_proc_exit(s->col, i, p->exit_code);
	} else if (!procfs_read((pid_t)p->tgid, &st)) {
		collector_proc_comm(s->col, i, st.comm);
		collector_update_procfs(s->col, i, &st);
	}
}

/* Read everything the kernel has for every traced process. */
static void read_all(struct session *s)
{
	uint32_t epoch = tracer_next_epoch(s->tr);
	struct lost_counts lost;

	sync_slots(s);
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
		const volatile struct st_proc *p = tracer_proc(s->tr, i);

		if (p->state != ST_PROC_FREE && collector_proc_known(s->col, i))
			read_slot(s, i, epoch);
	}
	/* after the per-CPU counters (busy of exited threads): the busy of
	 * live serving threads, open periods included */
	busy_begin(s->busy);
	if (!tracer_read_busy(s->tr, busy_cb, s->busy)) {
		busy_end(s->busy);
		for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
			const volatile struct st_proc *p = tracer_proc(s->tr, i);
			const struct busy_slot *b = busy_slot_get(s->busy, i);

			if (p->state == ST_PROC_FREE || !collector_proc_known(s->col, i))
				continue;
			collector_update_busy(
				s->col, i, b->known && b->generation == p->generation ? b : NULL);
		}
	}
	tracer_read_errnos(s->tr, errno_cb, s->col);
	tracer_read_edges(s->tr, edge_cb, s);
	tracer_read_drops(s->tr, drop_cb, s->col);
	if (s->views) {
		views_begin(s->views);
		if (s->o->threads) {
			tracer_read_threads(s->tr, thread_cb, s);
			/* after the live ones: threads that exited, to their end */
			tracer_read_thread_exits(s->tr, thread_exit_cb, s);
		}
		for (uint32_t i = 0; s->o->connections && i < tracer_max_procs(s->tr); i++) {
			const volatile struct st_proc *p = tracer_proc(s->tr, i);

			if (p->state == ST_PROC_LIVE)
				tracer_read_conns(s->tr, (pid_t)p->tgid, i, conn_cb, s);
		}
		/* after the live ones: connections closed since, to their end */
		if (s->o->connections)
			tracer_read_conn_exits(s->tr, conn_exit_cb, s);
	}
	prof_live_read(s->prof, s->tr); /* --profile: stacks named while alive */
	if (!tracer_read_lost(s->tr, &lost)) {
		/* counted here, not in the kernel: cumulative like the others */
		lost.kinds[ST_LOST_VIEWS_FULL] += views_dropped(s->views);
		collector_set_lost(s->col, &lost);
	}
	read_host(s);
}

/* A dead process's slot: read to the end, its figures kept by the collector
 * (which reports them in the next interval and the summary), and the slot
 * given back at once, so that --max-procs bounds processes alive rather
 * than processes seen in an interval. Runs at every poll, not only at
 * interval ends. */
static int ready_to_release(struct session *s, uint32_t i, uint64_t now)
{
	const volatile struct st_proc *p = tracer_proc(s->tr, i);

	/* the grace lets the last context switch of its last thread land */
	return p->state == ST_PROC_EXITED && p->exit_ns + RELEASE_GRACE_NS <= now &&
	       collector_proc_known(s->col, i);
}

/* Does an exited process hold a slot? */
static int exited_pending(struct session *s)
{
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++)
		if (tracer_proc(s->tr, i)->state == ST_PROC_EXITED)
			return 1;
	return 0;
}

static void release_dead(struct session *s)
{
	uint32_t epoch = tracer_epoch(s->tr);
	struct timespec ts;
	uint64_t now;
	int n = 0;

	if (!exited_pending(s))
		return;
	/* the slot table is the truth: processes born since the last read are
	 * not all in the collector yet (their ring-buffer events wake no one) */
	sync_slots(s);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++)
		if (ready_to_release(s, i, now)) {
			read_slot(s, i, epoch);
			/* every thread has exited: the kernel's exit totals hold all
			 * of its busy and idle time, no live reading is needed */
			collector_update_busy(s->col, i, NULL);
			n++;
		}
	if (!n)
		return;
	prof_live_read(s->prof, s->tr); /* --profile: its last stacks, its mappings kept */
	tracer_read_errnos(s->tr, errno_cb, s->col);
	tracer_read_edges(s->tr, edge_cb, s);
	tracer_read_drops(s->tr, drop_cb, s->col);
	{
		uint32_t free_now[ST_MAX_PROCS];
		size_t k = 0;

		for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
			if (!ready_to_release(s, i, now))
				continue;
			collector_proc_retire(s->col, i);
			if (!collector_proc_known(s->col, i)) /* it may keep it a while */
				free_now[k++] = i;
		}
		tracer_release_slots(s->tr, free_now, k);
	}
}

/* Render the run totals and the latest interval (NULL before the first) for
 * --listen; the HTTP threads only ever copy the published text. */
static void publish_metrics(struct session *s, const struct snapshot *latest)
{
	struct http_server_stats hs;
	struct snapshot tot;
	double t = now_mono();
	char *buf;
	size_t len;

	if (collector_summary(s->col, now_unix(), t - s->t0, &tot))
		return;
	prom_self_sample(&s->self);
	http_server_stats(s->http, &hs);
	s->self.http_requests[PROM_HTTP_200] = hs.ok;
	s->self.http_requests[PROM_HTTP_404] = hs.not_found;
	s->self.http_requests[PROM_HTTP_405] = hs.bad_method;
	s->self.http_requests[PROM_HTTP_503] = hs.unavailable;
	prom_self_http_conns(&s->self, hs.unauthorized, hs.accepted, hs.refused_per_client,
			     hs.refused_full, hs.timeout_request, hs.timeout_response,
			     hs.timeout_idle, hs.open);
	if (!prom_out_render_buf(&buf, &len, &tot, latest, &s->self, NULL)) {
		http_server_publish(s->http, buf, len);
		free(buf);
	}
	snapshot_free(&tot);
	s->self.render_s = now_mono() - t;
}

/* --services: each process's service (from /proc while it lives, the last
 * reading after), then the services as stations. */
static void attach_services(struct session *s, struct snapshot *snap)
{
	struct service_attr *attrs = calloc(snap->n_procs ? snap->n_procs : 1, sizeof(*attrs));

	if (!attrs)
		return;
	for (unsigned i = 0; i < snap->n_procs; i++) {
		const struct proc_view *p = &snap->procs[i];
		struct service_attr *c = NULL, a;
		char comm[ST_COMM_LEN + 1];

		for (unsigned k = 0; k < s->n_svc_attrs; k++)
			if (s->svc_attrs[k].pid == p->pid)
				c = &s->svc_attrs[k];
		snprintf(comm, sizeof(comm), "%.*s", ST_COMM_LEN, p->comm);
		if (!p->exited && !services_sys_attr((pid_t)p->pid, comm, s->o->services, &a)) {
			if (!c && s->n_svc_attrs == s->cap_svc_attrs) {
				unsigned cap = s->cap_svc_attrs ? 2 * s->cap_svc_attrs : 64;
				struct service_attr *n = realloc(s->svc_attrs, cap * sizeof(*n));

				if (n) {
					s->svc_attrs = n;
					s->cap_svc_attrs = cap;
				}
			}
			if (!c && s->n_svc_attrs < s->cap_svc_attrs)
				c = &s->svc_attrs[s->n_svc_attrs++];
			/* a process closing down has closed its listener: it keeps
			 * the service it had */
			if (c && s->o->services == CLI_SERVICES_PORT &&
			    strncmp(a.key, "port:", 5) && !strncmp(c->key, "port:", 5))
				memcpy(a.key, c->key, sizeof(a.key));
			if (c)
				*c = a;
			attrs[i] = a;
		} else if (c) {
			attrs[i] = *c;
		} else {
			attrs[i].pid = p->pid;
			attrs[i].quota_cpus = NAN;
		}
	}
	if (!services_build(snap, attrs, snap->n_procs, &snap->services, &snap->n_services))
		snap->has_services = 1;
	free(attrs);
	pipeline_assign_services(snap, s->edges);
}

/*
 * The one place a snapshot from the collector is finished, interval or
 * summary alike: the pipeline over the edges seen, how the kernel was hooked
 * (a live summary), the services and the thread and connection views.
 */
static void finish(struct session *s, struct snapshot *snap)
{
	pipeline_assign(snap, s->edges);
	/* how the kernel was hooked, in a live summary (a recording does not
	 * carry it: report --json must print what record --json printed) */
	if (snap->is_summary && !s->rec)
		snap->attach = tracer_attach_info(s->tr);
	if (s->o->services)
		attach_services(s, snap);
	if (s->views)
		views_attach(s->views, snap, s->o->threads, s->o->connections);
}

/* A finished snapshot to every output asked for: the metrics endpoint, the
 * recording, stdout (JSON lines or the table); then freed. */
static void emit(struct session *s, struct snapshot *snap)
{
	if (snap->is_summary && s->tui) {
		/* the summary goes where it always went: the terminal, as text */
		tui_stop(s->tui);
		s->tui = NULL;
		snap->has_threads &= !s->tui_threads;
		snap->has_conns &= !s->tui_conns;
	}
	if (s->http && !snap->is_summary)
		publish_metrics(s, snap);
	if (s->rec && !s->rec_errno) {
		if (recording_write(s->rec, snap)) {
			s->rec_errno = errno ? errno : EIO;
			stop_signal = SIGTERM;
		} else if (s->rec_progress) {
			recording_progress(s->rec, stderr);
		}
	}
	if (s->o->quiet || (s->rec && !s->o->json))
		; /* record writes the file; JSON on stdout only when asked */
	else if (s->out == OUT_OK) {
		if (s->o->json)
			json_out_snapshot(stdout, snap);
		else if (s->tui)
			tui_update(s->tui, snap);
		else
			table_out_snapshot_color(stdout, snap, s->refresh && !snap->is_summary,
						 s->color);
		s->out = out_flush(stdout);
		if (s->out != OUT_OK) {
			s->out_errno = errno;
			stop_signal = SIGTERM; /* ends the run; a closed pipe quietly */
		}
	}
	snapshot_free(snap);
}

/* Fork the command, held before execve until the tracer is ready. */
static pid_t spawn_gated(char **argv, int *gate_w, int *err_r)
{
	int gate[2], errp[2];
	pid_t pid;

	if (pipe2(gate, O_CLOEXEC) || pipe2(errp, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;
		int e;

		close(gate[1]);
		close(errp[0]);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* a closed gate without a byte: the tracer gave up */
		if (read(gate[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	*gate_w = gate[1];
	*err_r = errp[0];
	return pid;
}

static int check_targets(struct cli_options *o)
{
	struct stat sb;
	char path[4096];

	for (unsigned i = 0; i < o->n_pids; i++) {
		if (kill(o->pids[i], 0) && errno == ESRCH)
			return fail("pid %d: no such process", o->pids[i]);
	}
	if (o->cgroup) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", o->cgroup);
		if (stat(o->cgroup, &sb) || !S_ISDIR(sb.st_mode))
			return fail("--cgroup %s: not a directory", o->cgroup);
		if (!procfs_is_cgroup2(o->cgroup))
			return fail("--cgroup %s: not a cgroup v2 directory (cgroup v1 is not "
				    "supported: its hierarchies are per controller)",
				    o->cgroup);
		if (access(path, R_OK))
			return fail("--cgroup %s: cannot read cgroup.procs: %s", o->cgroup,
				    strerror(errno));
	}
	return 0;
}

/* Is a live slot already tracing process tgid? */
static int traced_now(struct session *s, pid_t tgid)
{
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
		const volatile struct st_proc *p = tracer_proc(s->tr, i);

		if (p->state == ST_PROC_LIVE && (pid_t)p->tgid == tgid)
			return 1;
	}
	return 0;
}

/*
 * Targets are a set: every id becomes the process it belongs to (a thread id
 * given to -p names its process), zombies are left out (nothing runs there
 * to trace), and each process is kept once, at its first place in the list,
 * and only if it is not traced already. Returns the new length; given marks
 * which of the kept entries came from -p (to name them in messages).
 */
static size_t target_set(struct session *s, pid_t *pids, size_t n, size_t n_given,
			 unsigned char *given)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		pid_t tgid = procfs_tgid(pids[i]);
		struct procfs_stat st;
		int dup = 0;

		if (tgid < 0) {
			if (i < n_given)
				fprintf(stderr, "streamtrace: pid %d exited before it was traced\n",
					pids[i]);
			continue;
		}
		if (i < n_given && tgid != pids[i])
			fprintf(stderr, "streamtrace: %d is a thread of process %d: tracing %d\n",
				pids[i], tgid, tgid);
		if (!procfs_read(tgid, &st) && st.state == 'Z') {
			if (i < n_given)
				fprintf(stderr,
					"streamtrace: pid %d has exited (a zombie its parent has "
					"not reaped): nothing to trace\n",
					tgid);
			continue;
		}
		for (size_t j = 0; j < k && !dup; j++)
			dup = pids[j] == tgid;
		if (dup || traced_now(s, tgid))
			continue;
		given[k] = i < n_given;
		pids[k++] = tgid;
	}
	return k;
}

/* Trace the targets that exist now: the -p pids, the processes named by -c
 * and those in the --cgroup tree. Called at start, and for -c and --cgroup
 * again each interval (rescan: 1), so that a process that joins the cgroup
 * later is traced too; new children of traced processes need no rescan. */
static int attach_existing(struct session *s, int rescan)
{
	struct cli_options *o = s->o;
	size_t cap = o->n_pids + 4096, n = 0, n_given = rescan ? 0 : o->n_pids;
	pid_t *pids = calloc(cap, sizeof(*pids));
	uint32_t *slots = calloc(cap, sizeof(*slots));
	unsigned char *given = calloc(cap, 1);
	int traced, ret = 0;

	if (!pids || !slots || !given) {
		ret = fail("out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n_given; i++)
		pids[n++] = o->pids[i];
	if (o->cgroup) {
		ssize_t k = procfs_cgroup_pids(o->cgroup, pids + n, cap - n);

		if (k < 0) {
			if (!rescan)
				ret = fail("--cgroup %s: %s", o->cgroup, strerror(errno));
			goto out;
		}
		n += (size_t)k < cap - n ? (size_t)k : cap - n;
	}
	for (unsigned c = 0; c < o->n_comms && !rescan; c++) {
		size_t k = procfs_find_comm(o->comms[c], pids + n, cap - n);

		n += k < cap - n ? k : cap - n;
	}
	n = target_set(s, pids, n, n_given, given);
	if (!n)
		goto out;
	traced = tracer_attach_pids(s->tr, pids, n, slots);
	if (traced < 0) {
		ret = errno == ENOSPC ? fail("more than %u processes to trace (raise --max-procs)",
					     tracer_max_procs(s->tr))
				      : fail("attach to running processes: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct procfs_stat st;

		if (slots[i] == TRACER_ATTACH_ALREADY)
			continue; /* traced under the slot its exec gave it */
		if (slots[i] == TRACER_ATTACH_GONE) {
			if (given[i])
				fprintf(stderr, "streamtrace: pid %d exited before it was traced\n",
					pids[i]);
			continue;
		}
		if (procfs_read(pids[i], &st))
			memset(&st, 0, sizeof(st));
		collector_proc_begin(s->col, slots[i], pids[i], st.comm, ST_ORIGIN_ATTACH);
		collector_fault_base(s->col, slots[i], st.minflt, st.majflt);
	}
out:
	if (!ret && !rescan && o->n_pids && !o->n_comms && !o->cgroup && !o->command &&
	    !collector_live(s->col))
		ret = fail("none of the given pids is running any more");
	free(pids);
	free(slots);
	free(given);
	return ret;
}

/*
 * Everything is loaded and attached: keep only what the rest of the run
 * needs (issue 16; docs/prometheus.md, "Privileges after start"). Maps are
 * read through descriptors already held, which needs CAP_BPF only on
 * kernels that ask it of every bpf(2) call (found by trying); --connections
 * (and --services=port) lists /proc/PID/fd, a directory only its owner may
 * read (once we are not root: CAP_DAC_READ_SEARCH), and borrows the traced processes' sockets
 * (pidfd_getfd: CAP_SYS_PTRACE); a command started by us keeps its
 * caller's credentials, and stopping it at the end needs CAP_KILL once we
 * are not root.
 */
static int drop_privileges(struct session *s)
{
	uint64_t keep = 0;
	char err[256], names[128];
	int need_bpf = privs_map_access_needs_cap_bpf();

	if (need_bpf)
		keep |= PRIVS_CAP(CAP_BPF);
	/* /proc/PID/fd (0500, the owner's; its links need ptrace access) and
	 * pidfd_getfd: --connections, and --services=port (listening sockets) */
	if (s->o->connections || s->o->services == CLI_SERVICES_PORT)
		keep |= PRIVS_CAP(CAP_SYS_PTRACE) | PRIVS_CAP(CAP_DAC_READ_SEARCH);
	if (s->child)
		keep |= PRIVS_CAP(CAP_KILL);
	/* --profile: /proc/PID/maps and the mapped files of other users */
	if (s->prof)
		keep |= PRIVS_CAP(CAP_SYS_PTRACE) | PRIVS_CAP(CAP_DAC_READ_SEARCH);
	if (privs_drop(keep, err, sizeof(err)))
		return fail("cannot drop privileges after start: %s", err);
	if (s->o->verbose) {
		privs_names(keep, names, sizeof(names));
		fprintf(stderr,
			"streamtrace: privileges dropped: uid %u, capabilities kept: %s%s\n",
			(unsigned)geteuid(), names,
			need_bpf < 0 ? " (could not tell whether maps need CAP_BPF)" : "");
	}
	return 0;
}

/* streamtrace top, on a terminal (keys come from stdin), asked for a view */
static int tui_wanted(const struct cli_options *o)
{
	return o->cmd == CMD_TOP && !o->json && !o->quiet && !o->no_tui && isatty(STDIN_FILENO) &&
	       isatty(STDOUT_FILENO);
}

struct session *session_open(struct cli_options *o, int argc, char **argv, int *status)
{
	struct session *s = calloc(1, sizeof(*s));
	struct tracer_opts to = {.max_procs = o->max_procs,
				 .comms = o->comms,
				 .n_comms = o->n_comms,
				 .verbose = o->verbose,
				 .profile_hz = o->profile_hz,
				 .sample_every = o->sample,
				 .thread_exits = o->threads,
				 .conn_exits = o->connections};
	struct sigaction sa = {.sa_handler = on_signal};
	char err[256];
	int e;

	*status = 0;
	if (!s) {
		*status = fail("out of memory");
		return NULL;
	}
	s->o = o;
	s->argc = argc;
	s->argv = argv;
	s->gate_w = s->err_r = -1;
	if (check_targets(o))
		goto early;
	if (o->cmd == CMD_RECORD) {
		struct recording_meta meta;

		recording_meta_init(&meta, argc, argv, ST_VERSION, o->interval_s);
		meta.sample_every = o->sample;
		s->rec = recording_create(o->output, &meta, err, sizeof(err));
		if (!s->rec) {
			fail("-o %s: %s", o->output, err);
			goto early;
		}
		s->rec_progress = !o->quiet && isatty(STDERR_FILENO);
	}
	if (o->folded && !(s->folded = profile_out_folded_open(o->folded))) {
		fail("--folded %s: %s", o->folded, strerror(errno));
		goto early;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->refresh = !o->json && !o->no_color && isatty(STDOUT_FILENO);
	s->color = s->refresh && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	if (tui_wanted(o)) {
		/* its detail screen shows threads and connections */
		s->tui_threads = !o->threads;
		s->tui_conns = !o->connections;
		o->threads = o->connections = 1;
	}
	if (o->listen) {
		/* before anything else: a bad address is a usage error (exit 2), and
		 * so is a bad --web-config, like any other input file */
		if (o->web_config) {
			s->web = web_config_load(o->web_config, err, sizeof(err));
			if (!s->web) {
				fail("%s", err);
				*status = 2;
				goto early_status;
			}
		}
		s->http = http_server_start_web(o->listen, s->web, err, sizeof(err));
		if (!s->http) {
			*status = errno == EINVAL || errno == EPROTO ? 2 : 1;
			fail("%s", err);
			web_config_free(s->web);
			goto early_status;
		}
		/* the port it took (--listen HOST:0 picks a free one); no host
		 * (":9640", "9640") is loopback */
		{
			const char *colon = strrchr(o->listen, ':');
			int hl = colon ? (int)(colon - o->listen) : 0;

			fprintf(stderr, "streamtrace: serving on %.*s:%u\n", hl ? hl : 9,
				hl ? o->listen : "127.0.0.1", http_server_port(s->http));
		}
		prom_self_init(&s->self);
		s->self.version = ST_VERSION;
		s->self.start_time = now_unix();
		s->self.interval_s = o->interval_s;
	}

	if (o->command) {
		s->child = spawn_gated(o->command, &s->gate_w, &s->err_r);
		if (s->child < 0) {
			fail("cannot start '%s': %s", o->command[0], strerror(errno));
			goto early;
		}
	}
	/* from here on, a failure goes through session_close */
	s->opened = 1;
	s->col = collector_new(o->max_procs);
	s->busy = busy_new(o->max_procs);
	s->rows = calloc(ST_MAX_SYSCALLS, sizeof(*s->rows));
	s->edges = calloc(1, sizeof(*s->edges));
	if (o->threads || o->connections)
		s->views = views_new();
	if (s->col) {
		collector_set_forecast(s->col, o->horizon_s, o->fc_window);
		if (o->whatif)
			collector_set_whatif(s->col, &o->whatif_set);
	}
	if (!s->col || !s->busy || !s->rows || !s->edges) {
		*status = fail("out of memory");
		return s;
	}
	if (tracer_start(&s->tr, &to, on_event, s, err, sizeof(err))) {
		*status = fail("%s", err);
		return s;
	}
	collector_set_net_known(s->col, tracer_net_available(s->tr));
	collector_set_sample(s->col, o->sample);
	if (o->profile_hz && !(s->prof = prof_live_new(o->profile_hz))) {
		*status = fail("out of memory");
		return s;
	}
	s->t0 = now_mono();
	read_host(s);
	if (attach_existing(s, 0)) {
		*status = 1;
		return s;
	}
	if (s->http)
		publish_metrics(s, NULL); /* scrapes before the first interval see the totals */
	if (s->child) {
		if (tracer_trace_exec(s->tr, s->child)) {
			*status = fail("cannot register the command: %s", strerror(errno));
			return s;
		}
		if (write(s->gate_w, "g", 1) != 1) {
			*status = fail("cannot start the command: %s", strerror(errno));
			return s;
		}
		close(s->gate_w);
		s->gate_w = -1;
		if (read(s->err_r, &e, sizeof(e)) == sizeof(e)) {
			waitpid(s->child, NULL, 0);
			s->child = 0;
			*status = fail("cannot run '%s': %s", o->command[0], strerror(e));
			return s;
		}
		close(s->err_r);
		s->err_r = -1;
	}
	if (drop_privileges(s)) {
		*status = 1;
		return s;
	}
	if (!o->json && !o->quiet && !s->refresh)
		fprintf(stderr, "streamtrace: tracing; Ctrl-C to stop\n");
	if (tui_wanted(o)) {
		s->tui = tui_start(s->color);
		if (!s->tui) { /* no terminfo for $TERM, or built without ncurses */
			o->threads &= !s->tui_threads;
			o->connections &= !s->tui_conns;
			s->tui_threads = s->tui_conns = 0;
		}
	}
	s->next = s->t0 + o->interval_s;
	s->t_last = s->t0;
	return s;
early:
	*status = 1;
early_status:
	/* nothing to undo but this struct (as before the session module: a
	 * recording already created is left as it is) */
	free(s);
	return NULL;
}

int session_wait(struct session *s)
{
	const struct cli_options *o = s->o;

	for (;;) {
		double now = now_mono(), left = s->next - now;
		int stop = 0;

		if (o->duration_s > 0 && now - s->t0 >= o->duration_s)
			stop = 1;
		if (stop_signal)
			stop = 1;
		if (s->child && !s->child_done &&
		    waitpid(s->child, &s->child_status, WNOHANG) == s->child)
			s->child_done = 1;
		if (s->child_done)
			stop = 1;
		if (!stop && o->n_pids && !o->n_comms && !o->cgroup && !s->child) {
			sync_slots(s);
			if (!collector_live(s->col))
				stop = 1;
		}
		if (stop && (s->child_done || !collector_live(s->col)))
			usleep(RELEASE_GRACE_NS / 1000); /* let the last switches land */
		if (!stop && left > 0) {
			double until_end = o->duration_s > 0 ? s->t0 + o->duration_s - now : left;
			double wait = fmin(left, until_end);

			tracer_poll(s->tr, (int)fmin(exited_pending(s) ? POLL_RELEASE_MS : POLL_MS,
						     fmax(0, wait * 1e3)));
			if (s->tui && tui_keys(s->tui) && !stop_signal)
				stop_signal = SIGINT; /* q: as Ctrl-C */
			release_dead(s);
			prof_live_poll(s->prof, s->tr); /* --profile: mappings of new processes */
			continue;
		}
		return stop;
	}
}

void session_tick(struct session *s, int final)
{
	struct snapshot snap;
	double now;

	tracer_poll(s->tr, 0);
	read_all(s);
	now = now_mono();
	if (collector_interval(s->col, now_unix(), now - s->t_last, &snap) == 0) {
		finish(s, &snap);
		emit(s, &snap);
	}
	s->t_last = now;
	if (final)
		return;
	release_dead(s);
	if (s->o->cgroup)
		attach_existing(s, 1); /* processes that joined the cgroup since */
	s->next += s->o->interval_s;
	if (s->next < now)
		s->next = now + s->o->interval_s;
}

int session_summary(struct session *s)
{
	struct snapshot snap;
	int ret = 0;

	if (collector_summary(s->col, now_unix(), now_mono() - s->t0, &snap) == 0) {
		if (s->prof)
			snap.profile = prof_live_profile(s->prof);
		finish(s, &snap);
		emit(s, &snap);
	}
	if (s->folded && s->prof) {
		struct profile *p = prof_live_profile(s->prof);
		int bad = !p || profile_write_folded(p, s->folded);

		if (fclose(s->folded) || bad)
			ret = fail("--folded %s: %s", s->o->folded,
				   p ? strerror(errno) : "out of memory");
		s->folded = NULL;
		profile_free(p);
	}
	if (s->child) {
		if (!s->child_done) {
			/* stopped by a signal or -d: the command stops too */
			kill(s->child, stop_signal ? stop_signal : SIGTERM);
			waitpid(s->child, &s->child_status, 0);
			s->child_done = 1;
		}
		if (WIFEXITED(s->child_status))
			ret = WEXITSTATUS(s->child_status);
		else if (WIFSIGNALED(s->child_status))
			ret = 128 + WTERMSIG(s->child_status);
		s->child = 0;
	}
	if (s->out == OUT_CLOSED)
		ret = 0; /* the reader went away: done, as `| head` expects */
	else if (s->out == OUT_FAILED)
		ret = fail("writing to standard output failed: %s", strerror(s->out_errno));
	return ret;
}

int session_close(struct session *s, int status)
{
	int ret = status;

	if (!s)
		return status;
	if (s->gate_w >= 0)
		close(s->gate_w); /* the held child exits without running the command */
	if (s->err_r >= 0)
		close(s->err_r);
	if (s->child)
		waitpid(s->child, NULL, 0);
	if (s->rec) {
		if (s->rec_progress)
			fputc('\n', stderr);
		if (s->rec_errno)
			ret = fail("-o %s: writing the recording failed: %s", s->o->output,
				   strerror(s->rec_errno));
		if (recording_close(s->rec))
			ret = fail("-o %s: closing the recording failed: %s", s->o->output,
				   strerror(errno));
	}
	tui_stop(s->tui); /* a failure before the summary */
	http_server_stop(s->http);
	web_config_free(s->web);
	tracer_destroy(s->tr);
	collector_free(s->col);
	busy_free(s->busy);
	free(s->svc_attrs);
	free(s->rows);
	free(s->edges);
	views_free(s->views);
	prof_live_free(s->prof);
	if (s->folded)
		fclose(s->folded);
	free(s);
	return ret;
}

int session_main(struct cli_options *o, int argc, char **argv)
{
	int status;
	struct session *s = session_open(o, argc, argv, &status);

	if (!s)
		return status;
	if (!status) {
		int final;

		do {
			final = session_wait(s);
			session_tick(s, final);
		} while (!final);
		status = session_summary(s);
	}
	return session_close(s, status);
}
