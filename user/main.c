// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * streamtrace's entry point and tracing session: check the targets, start the
 * command (if any) held at a gate, load and attach the BPF side, mark the
 * targets, then read the kernel's counters each interval and render them,
 * until the duration ends, a signal comes, the command exits, or (with -p
 * alone) every traced process has gone. The summary always comes last.
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
#include "busy.h"
#include "services_sys.h"
#include "collect.h"
#include "http_server.h"
#include "json_out.h"
#include "pipeline.h"
#include "procfs.h"
#include "prom_out.h"
#include "table_out.h"
#include "tracer.h"
#include "diff.h"
#include "recording.h"
#include "report.h"
#include "views.h"
#include "whatif.h"

/* Give a dead process's slot back only this long after its exit, so that
 * the last context switch of its last thread is counted first. */
#define RELEASE_GRACE_NS 50000000ull
#define POLL_MS		 100

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
	struct recording *rec;	  /* record -o FILE */
	int rec_errno;		  /* a write to it failed: stop */
	int rec_progress;	  /* a progress line on a terminal */
	struct http_server *http; /* --listen, or NULL */
	struct prom_self self;
	double t0;
};

static void on_event(void *ctx, const struct st_event *e)
{
	struct session *s = ctx;

	if (e->kind == ST_EV_PROC_NEW) {
		const volatile struct st_proc *p = tracer_proc(s->tr, e->slot);

		if (!collector_proc_known(s->col, e->slot))
			collector_proc_begin(s->col, e->slot, (pid_t)e->tgid, e->comm,
					     p ? p->origin : ST_ORIGIN_FORK);
	}
}

/* Pick up slots the ring buffer did not tell us about (its events are only a
 * shortcut: the slot table in the kernel is the truth). */
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

/* Read everything the kernel has for every traced process. */
static void read_all(struct session *s)
{
	uint32_t epoch = tracer_next_epoch(s->tr);
	struct lost_counts lost;

	sync_slots(s);
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
		const volatile struct st_proc *p = tracer_proc(s->tr, i);
		struct st_proc_stat ps;
		struct procfs_stat st;

		if (p->state == ST_PROC_FREE || !collector_proc_known(s->col, i))
			continue;
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
		if (s->o->threads)
			tracer_read_threads(s->tr, thread_cb, s);
		for (uint32_t i = 0; s->o->connections && i < tracer_max_procs(s->tr); i++) {
			const volatile struct st_proc *p = tracer_proc(s->tr, i);

			if (p->state == ST_PROC_LIVE)
				tracer_read_conns(s->tr, (pid_t)p->tgid, i, conn_cb, s);
		}
	}
	if (!tracer_read_lost(s->tr, &lost))
		collector_set_lost(s->col, &lost);
}

/* Slots of processes that exited and whose exit has been reported. */
static void release_dead(struct session *s)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (uint32_t i = 0; i < tracer_max_procs(s->tr); i++) {
		const volatile struct st_proc *p = tracer_proc(s->tr, i);

		/* only once its exit and last counts went out in an interval */
		if (p->state != ST_PROC_EXITED || p->exit_ns + RELEASE_GRACE_NS > now ||
		    !collector_proc_exit_reported(s->col, i))
			continue;
		collector_proc_retire(s->col, i);
		tracer_release_slot(s->tr, i);
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
}

static void emit(struct session *s, struct snapshot *snap)
{
	pipeline_assign(snap, s->edges);
	if (s->o->services)
		attach_services(s, snap);
	if (s->views)
		views_attach(s->views, snap, s->o->threads, s->o->connections);
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
	else if (s->o->json)
		json_out_snapshot(stdout, snap);
	else
		table_out_snapshot(stdout, snap, s->refresh && !snap->is_summary);
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
		if (access(path, R_OK))
			return fail("--cgroup %s: not a cgroup v2 directory (no cgroup.procs)",
				    o->cgroup);
	}
	return 0;
}

static int attach_existing(struct session *s)
{
	struct cli_options *o = s->o;
	size_t cap = o->n_pids + 4096, n = 0;
	pid_t *pids = calloc(cap, sizeof(*pids));
	uint32_t *slots = calloc(cap, sizeof(*slots));
	int traced, ret = 0;

	if (!pids || !slots) {
		ret = fail("out of memory");
		goto out;
	}
	for (unsigned i = 0; i < o->n_pids; i++)
		pids[n++] = o->pids[i];
	if (o->cgroup) {
		ssize_t k = procfs_cgroup_pids(o->cgroup, pids + n, cap - n);

		if (k < 0) {
			ret = fail("--cgroup %s: %s", o->cgroup, strerror(errno));
			goto out;
		}
		n += (size_t)k;
	}
	if (o->comm) {
		size_t k = procfs_find_comm(o->comm, pids + n, cap - n);

		n += k < cap - n ? k : cap - n;
	}
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

		if (slots[i] == (uint32_t)-1) {
			if (i < o->n_pids)
				fprintf(stderr, "streamtrace: pid %d exited before it was traced\n",
					pids[i]);
			continue;
		}
		if (procfs_read(pids[i], &st))
			memset(&st, 0, sizeof(st));
		collector_proc_begin(s->col, slots[i], pids[i], st.comm, ST_ORIGIN_ATTACH);
		collector_fault_base(s->col, slots[i], st.minflt, st.majflt);
	}
	if (o->n_pids && !o->comm && !o->cgroup && !o->command && traced == 0)
		ret = fail("none of the given pids is running any more");
out:
	free(pids);
	free(slots);
	return ret;
}

static int run_session(struct cli_options *o, int argc, char **argv)
{
	struct session s = {.o = o};
	struct tracer_opts to = {.max_procs = o->max_procs, .comm = o->comm, .verbose = o->verbose};
	struct sigaction sa = {.sa_handler = on_signal};
	int gate_w = -1, err_r = -1, ret = 0, e;
	double t0, next, t_last;
	char err[256];
	struct snapshot snap;

	if (check_targets(o))
		return 1;
	if (o->cmd == CMD_RECORD) {
		struct recording_meta meta;

		recording_meta_init(&meta, argc, argv, ST_VERSION, o->interval_s);
		s.rec = recording_create(o->output, &meta, err, sizeof(err));
		if (!s.rec)
			return fail("-o %s: %s", o->output, err);
		s.rec_progress = !o->quiet && isatty(STDERR_FILENO);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.refresh = !o->json && !o->no_color && isatty(STDOUT_FILENO);
	if (o->listen) {
		/* before anything else: a bad address is a usage error (exit 2) */
		s.http = http_server_start(o->listen, err, sizeof(err));
		if (!s.http) {
			ret = errno == EINVAL ? 2 : 1;
			fail("%s", err);
			return ret;
		}
		prom_self_init(&s.self);
		s.self.version = ST_VERSION;
		s.self.start_time = now_unix();
		s.self.interval_s = o->interval_s;
	}

	if (o->command) {
		s.child = spawn_gated(o->command, &gate_w, &err_r);
		if (s.child < 0)
			return fail("cannot start '%s': %s", o->command[0], strerror(errno));
	}
	s.col = collector_new(o->max_procs);
	s.busy = busy_new(o->max_procs);
	s.rows = calloc(ST_MAX_SYSCALLS, sizeof(*s.rows));
	s.edges = calloc(1, sizeof(*s.edges));
	if (o->threads || o->connections)
		s.views = views_new();
	if (s.col) {
		struct whatif w;
		char why[128];

		collector_set_forecast(s.col, o->horizon_s, o->fc_window);
		if (o->whatif && !whatif_parse(o->whatif, &w, why, sizeof(why)))
			collector_set_whatif(s.col, &w);
	}
	if (!s.col || !s.busy || !s.rows || !s.edges) {
		ret = fail("out of memory");
		goto out;
	}
	if (tracer_start(&s.tr, &to, on_event, &s, err, sizeof(err))) {
		ret = fail("%s", err);
		goto out;
	}
	collector_set_net_known(s.col, tracer_net_available(s.tr));
	t0 = now_mono();
	s.t0 = t0;
	if (attach_existing(&s)) {
		ret = 1;
		goto out;
	}
	if (s.http)
		publish_metrics(&s, NULL); /* scrapes before the first interval see the totals */
	if (s.child) {
		if (tracer_trace_exec(s.tr, s.child)) {
			ret = fail("cannot register the command: %s", strerror(errno));
			goto out;
		}
		if (write(gate_w, "g", 1) != 1) {
			ret = fail("cannot start the command: %s", strerror(errno));
			goto out;
		}
		close(gate_w);
		gate_w = -1;
		if (read(err_r, &e, sizeof(e)) == sizeof(e)) {
			waitpid(s.child, NULL, 0);
			s.child = 0;
			ret = fail("cannot run '%s': %s", o->command[0], strerror(e));
			goto out;
		}
		close(err_r);
		err_r = -1;
	}
	if (!o->json && !o->quiet && !s.refresh)
		fprintf(stderr, "streamtrace: tracing; Ctrl-C to stop\n");

	next = t0 + o->interval_s;
	t_last = t0;
	for (;;) {
		double now = now_mono(), left = next - now;
		int stop = 0, final;

		if (o->duration_s > 0 && now - t0 >= o->duration_s)
			stop = 1;
		if (stop_signal)
			stop = 1;
		if (s.child && !s.child_done &&
		    waitpid(s.child, &s.child_status, WNOHANG) == s.child)
			s.child_done = 1;
		if (s.child_done)
			stop = 1;
		if (!stop && o->n_pids && !o->comm && !o->cgroup && !s.child) {
			sync_slots(&s);
			if (!collector_live(s.col))
				stop = 1;
		}
		final = stop;
		if (stop && (s.child_done || !collector_live(s.col)))
			usleep(RELEASE_GRACE_NS / 1000); /* let the last switches land */
		if (!stop && left > 0) {
			double until_end = o->duration_s > 0 ? t0 + o->duration_s - now : left;
			double wait = fmin(left, until_end);

			tracer_poll(s.tr, (int)fmin(POLL_MS, fmax(0, wait * 1e3)));
			continue;
		}
		tracer_poll(s.tr, 0);
		read_all(&s);
		now = now_mono();
		if (collector_interval(s.col, now_unix(), now - t_last, &snap) == 0)
			emit(&s, &snap);
		t_last = now;
		if (final)
			break;
		release_dead(&s);
		next += o->interval_s;
		if (next < now)
			next = now + o->interval_s;
	}
	if (collector_summary(s.col, now_unix(), now_mono() - t0, &snap) == 0)
		emit(&s, &snap);

	if (s.child) {
		if (!s.child_done) {
			/* stopped by a signal or -d: the command stops too */
			kill(s.child, stop_signal ? stop_signal : SIGTERM);
			waitpid(s.child, &s.child_status, 0);
			s.child_done = 1;
		}
		if (WIFEXITED(s.child_status))
			ret = WEXITSTATUS(s.child_status);
		else if (WIFSIGNALED(s.child_status))
			ret = 128 + WTERMSIG(s.child_status);
		s.child = 0;
	}
out:
	if (gate_w >= 0)
		close(gate_w); /* the held child exits without running the command */
	if (err_r >= 0)
		close(err_r);
	if (s.child)
		waitpid(s.child, NULL, 0);
	if (s.rec) {
		if (s.rec_progress)
			fputc('\n', stderr);
		if (s.rec_errno)
			ret = fail("-o %s: writing the recording failed: %s", o->output,
				   strerror(s.rec_errno));
		if (recording_close(s.rec))
			ret = fail("-o %s: closing the recording failed: %s", o->output,
				   strerror(errno));
	}
	http_server_stop(s.http);
	tracer_destroy(s.tr);
	collector_free(s.col);
	busy_free(s.busy);
	free(s.svc_attrs);
	free(s.rows);
	free(s.edges);
	views_free(s.views);
	return ret;
}

int main(int argc, char **argv)
{
	struct cli_options o;

	switch (cli_parse(argc, argv, &o, stdout, stderr)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_USAGE:
		return 2;
	case CLI_OK:
		break;
	}
	switch (o.cmd) {
	case CMD_TOP:
	case CMD_RECORD:
		return run_session(&o, argc, argv);
	case CMD_REPORT:
		return report_main(o.files[0], o.json, o.html);
	case CMD_DIFF: {
		struct diff_options d;
		char why[160];

		diff_options_init(&d);
		for (unsigned i = 0; i < o.n_thresholds; i++)
			if (diff_parse_threshold(&d, o.thresholds[i], why, sizeof(why)))
				return fail("--threshold: %s", why) + 1; /* checked in cli_parse */
		d.json = o.json;
		d.all_rows = o.all_rows;
		return diff_main(o.files[0], o.files[1], &d);
	}
	}
	return 2;
}
