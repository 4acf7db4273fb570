// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loader lifecycle, as libbpf-bootstrap does it: open -> size maps and set
 * read-only knobs -> load -> attach -> poll -> one cleanup path. Nothing is
 * pinned: every program and map lives only as long as our file descriptors,
 * so even after `kill -9` of streamtrace nothing of ours stays in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "errbuf.h"
#include "btf_probe.h"
#include "tracer.h"
#include "streamtrace.skel.h"

#define MAX_DROP_NAMES 256

struct tracer {
	struct streamtrace_bpf *skel;
	struct ring_buffer *rb;
	tracer_event_fn fn;
	void *ctx;
	unsigned max_procs;
	int ncpus;
	volatile struct st_proc *procs; /* mmap of the procs map */
	size_t procs_len;
	void *percpu_buf;   /* a per-CPU value of the largest map: ncpus syscall blocks */
	int net_available;  /* receives and sends are hooked (tracepoint or fallback) */
	int allow_fallback; /* fentry/fexit where tracepoints are missing */
	int fallback_used;  /* some fentry/fexit program is set to load */
	char missing[256];  /* ",tp1,tp2,": the tracepoints this kernel lacks */
	int refused;	    /* the kernel refused them (said once) */
	struct attach_info attach;
	unsigned n_drop_names; /* the kernel's enum skb_drop_reason */
	struct drop_name {
		uint32_t value;
		char name[40];
	} drop_names[MAX_DROP_NAMES];
	/* --profile: the perf events' and the off-CPU programs' links */
	unsigned profile_hz;
	struct bpf_link **prof_links;
	unsigned n_prof_links;
};

static int verbose_libbpf;
static void unload(struct tracer *t);

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* failures are explained in one line by the caller; -v shows libbpf's
	 * own account (verifier logs included) */
	if (!verbose_libbpf)
		return 0;
	(void)level;
	return vfprintf(stderr, fmt, args);
}

/* -v: how long each start-up phase took, on stderr */
static void phase(int verbose, const char *what)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (verbose && last.tv_sec)
		fprintf(stderr, "streamtrace: %s took %.1f ms\n", what,
			(double)(now.tv_sec - last.tv_sec) * 1e3 +
				(double)(now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;

	if (len >= sizeof(struct st_event) && t->fn)
		t->fn(t->ctx, data);
	return 0;
}

/*
 * --profile: a CPU-clock perf event per online CPU at profile_hz running the
 * sampler, and the off-CPU programs. Attached after every other program, so
 * that on the scheduler tracepoints they run after the scheduler's probes
 * and read the busy state those have just set (bpf/profile.bpf.c).
 */
static int attach_profile(struct tracer *t, char *err, size_t errlen)
{
	struct bpf_program *tp[2] = {t->skel->progs.st_prof_switch, t->skel->progs.st_prof_wakeup};
	unsigned cap = (unsigned)t->ncpus + 2, on = 0;

	t->prof_links = calloc(cap, sizeof(*t->prof_links));
	if (!t->prof_links) {
		errbuf_set(err, errlen, "out of memory");
		return -1;
	}
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(a),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			/* the CPU clock counts nanoseconds: a fixed period of
			 * 1/HZ s is exactly HZ samples a second of CPU, where
			 * freq mode would first have to find the period */
			.sample_period = 1000000000ull / t->profile_hz,
		};
		struct bpf_link *l;
		int fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV) /* an offline CPU */
				continue;
			errbuf_set(err, errlen, "--profile: perf_event_open on CPU %d: %s", cpu,
				   strerror(errno));
			return -1;
		}
		l = bpf_program__attach_perf_event(t->skel->progs.st_prof_sample, fd);
		if (!l) {
			int e = errno;

			close(fd);
			errbuf_set(err, errlen, "--profile: attach the sampler on CPU %d: %s", cpu,
				   strerror(e));
			return -1;
		}
		t->prof_links[t->n_prof_links++] = l;
		on++;
	}
	if (!on) {
		errbuf_set(err, errlen, "--profile: no CPU to sample on");
		return -1;
	}
	for (unsigned i = 0; i < 2; i++) {
		struct bpf_link *l = bpf_program__attach(tp[i]);

		if (!l) {
			errbuf_set(err, errlen, "--profile: attach %s: %s",
				   bpf_program__name(tp[i]), strerror(errno));
			return -1;
		}
		t->prof_links[t->n_prof_links++] = l;
	}
	return 0;
}

int tracer_profiling(const struct tracer *t)
{
	return t->n_prof_links > 0;
}

static unsigned stack_of(int fd, __s32 id, __u64 *ips)
{
	unsigned n = 0;

	if (id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	while (n < ST_PROF_STACK_DEPTH && ips[n])
		n++;
	return n;
}

int tracer_read_prof(struct tracer *t, tracer_prof_fn fn, void *ctx)
{
	int cfd = bpf_map__fd(t->skel->maps.prof_counts),
	    sfd = bpf_map__fd(t->skel->maps.prof_stacks);
	struct st_prof_key k, next, *prev = NULL;
	__u64 us[ST_PROF_STACK_DEPTH], ks[ST_PROF_STACK_DEPTH], v;

	if (!tracer_profiling(t))
		return 0;
	while (!bpf_map_get_next_key(cfd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(cfd, &k, &v))
			continue;
		unsigned nu = stack_of(sfd, k.ustack, us), nk = stack_of(sfd, k.kstack, ks);

		fn(ctx, &k, v, (const uint64_t *)us, nu, (const uint64_t *)ks, nk);
	}
	return 0;
}

/* Explain the usual reasons a load or attach fails, in one line. */
static void explain(char *err, size_t errlen, const char *what, int e)
{
	if (e == EPERM || (e == EACCES && geteuid() != 0))
		errbuf_set(err, errlen,
			   "%s: permission denied (run as root, or grant CAP_BPF and CAP_PERFMON)",
			   what);
	else if (e == EACCES || e == EINVAL)
		errbuf_set(err, errlen,
			   "%s: the kernel's verifier refused a program (-v shows its log)", what);
	else if (e == ENOENT)
		errbuf_set(err, errlen, "%s: a tracepoint streamtrace needs is missing (%s)", what,
			   strerror(e));
	else
		errbuf_set(err, errlen, "%s: %s", what, strerror(e));
}

/* Tracepoints without which there is nothing to show; the others (socket,
 * TCP) only take their figures away when missing. */
static int tracepoint_is_core(const char *tp)
{
	return !strncmp(tp, "sys_", 4) || !strncmp(tp, "sched_", 6);
}

/* STREAMTRACE_DISABLE=tp1,tp2: treat these tracepoints as missing (how the
 * tests exercise a kernel without them); "fentry" (or "fexit") there turns
 * the fentry/fexit fallbacks off too. */
static int tracepoint_disabled(const char *tp)
{
	const char *list = getenv("STREAMTRACE_DISABLE"), *p;
	size_t n = strlen(tp);

	for (p = list; p && (p = strstr(p, tp)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

/*
 * Fallback attach points: a kernel function behind each tracepoint that
 * older kernels lack, hooked by fentry/fexit programs that call the same
 * body (bpf/sockets.bpf.c). Used only where the tracepoint is missing.
 */
static const struct fallback {
	const char *func, *tp;
} fallbacks[] = {
	{"inet_recvmsg", "sock_recv_length"},	     {"inet6_recvmsg", "sock_recv_length"},
	{"unix_stream_recvmsg", "sock_recv_length"}, {"unix_dgram_recvmsg", "sock_recv_length"},
	{"inet_sendmsg", "sock_send_length"},	     {"inet6_sendmsg", "sock_send_length"},
	{"unix_stream_sendmsg", "sock_send_length"}, {"unix_dgram_sendmsg", "sock_send_length"},
	{"sock_def_readable", "sk_data_ready"},
};

/* The family a program belongs to (what -v and the JSON's tracer key name). */
static const char *family_of(const char *sec)
{
	const char *name = strchr(sec, '/');

	name = name ? name + 1 : sec;
	if (!strncmp(sec, "iter/", 5))
		return NULL;
	for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
		if (!strcmp(name, fallbacks[i].func))
			name = fallbacks[i].tp;
	if (!strncmp(name, "sys_", 4))
		return "syscalls";
	if (!strncmp(name, "sched_process_", 14))
		return "process";
	if (!strncmp(name, "sched_", 6))
		return "sched";
	if (!strcmp(name, "sock_recv_length") || !strcmp(name, "sock_send_length"))
		return "sockets";
	if (!strcmp(name, "sk_data_ready"))
		return "data_ready";
	if (!strncmp(name, "tcp_", 4))
		return "tcp";
	if (!strcmp(name, "kfree_skb") || !strcmp(name, "sock_rcvqueue_full") ||
	    !strcmp(name, "udp_fail_queue_rcv_skb"))
		return "drops";
	return NULL; /* a program of no family -v reports */
}

static const char *method_of(const char *sec)
{
	if (!strncmp(sec, "tp_btf/", 7))
		return "tracepoint";
	if (!strncmp(sec, "fexit/", 6))
		return "fexit";
	if (!strncmp(sec, "fentry/", 7))
		return "fentry";
	if (!strncmp(sec, "kprobe/", 7) || !strncmp(sec, "kretprobe/", 10))
		return "kprobe";
	return "other";
}

/* After attach: which method each family ended up with ("none": not
 * hooked, its figures null). A family hooked two ways lists both. */
static void note_attach(struct tracer *t)
{
	static const char *const fams[] = {"syscalls",	 "sched", "process", "sockets",
					   "data_ready", "tcp",	  "drops"};
	struct attach_info *a = &t->attach;
	struct bpf_program *prog;

	a->n = 0;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]) && a->n < ST_ATTACH_FAMILIES; f++) {
		char *m = a->fam[a->n].method;

		snprintf(a->fam[a->n].family, sizeof(a->fam[0].family), "%s", fams[f]);
		m[0] = 0;
		bpf_object__for_each_program (prog, t->skel->obj) {
			const char *sec = bpf_program__section_name(prog), *fam = family_of(sec);
			const char *meth = method_of(sec);

			if (!fam || strcmp(fam, fams[f]) || !bpf_program__autoload(prog) ||
			    bpf_program__fd(prog) < 0 || strstr(m, meth))
				continue;
			if (m[0])
				strncat(m, "+", sizeof(a->fam[0].method) - strlen(m) - 1);
			strncat(m, meth, sizeof(a->fam[0].method) - strlen(m) - 1);
		}
		if (!m[0])
			snprintf(m, sizeof(a->fam[0].method), "none");
		a->n++;
	}
}

/*
 * The floor: the newest kernel feature every run needs, checked in the
 * kernel's BTF before anything is loaded, so that an old kernel gets one
 * line naming what it lacks instead of a verifier log. Newest first.
 */
static const struct need {
	const char *enum_name, *value, *what, *since;
} floor_needs[] = {
	{"bpf_func_id", "BPF_FUNC_loop", "the bpf_loop helper", "5.17"},
	{"bpf_func_id", "BPF_FUNC_task_storage_get", "BPF task storage", "5.11"},
	{"bpf_func_id", "BPF_FUNC_get_current_task_btf", "bpf_get_current_task_btf", "5.11"},
	{"bpf_func_id", "BPF_FUNC_ringbuf_reserve", "the BPF ring buffer", "5.8"},
	{"bpf_map_type", "BPF_MAP_TYPE_SK_STORAGE", "BPF socket storage", "5.2"},
};

static int check_floor(const struct btf_probe *btf, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(floor_needs) / sizeof(floor_needs[0]); i++) {
		const struct need *n = &floor_needs[i];

		if (!btf_probe_enum_has(btf, n->enum_name, n->value)) {
			errbuf_set(err, errlen,
				   "this kernel has no %s (Linux %s+): streamtrace needs Linux %s "
				   "or later",
				   n->what, n->since, ST_KERNEL_FLOOR);
			return -1;
		}
	}
	return 0;
}

/*
 * Before load: every tp_btf program's tracepoint must exist in the kernel's
 * BTF (btf_trace_<name>). A missing core one is an error naming it; a
 * missing socket one turns its program off (bpf_program__set_autoload) and
 * its fentry/fexit fallbacks on (when allowed and the kernel has the
 * function); a family with neither has null figures.
 */
static void keep_drop_reason(void *ctx, const char *name, int64_t value)
{
	struct tracer *t = ctx;
	struct drop_name *d;

	if (value < 0 || t->n_drop_names == MAX_DROP_NAMES)
		return;
	d = &t->drop_names[t->n_drop_names++];
	d->value = (uint32_t)value;
	if (!strncmp(name, "SKB_DROP_REASON_", 16))
		name += 16;
	snprintf(d->name, sizeof(d->name), "%s", name);
}

static int probe_tracepoints(struct tracer *t, const char *btf_path, char *err, size_t errlen)
{
	struct btf_probe btf;
	struct bpf_program *prog;
	char *missing = t->missing;
	int ret = 0, recv_hooked = 0;

	if (btf_probe_read(&btf, btf_path ? btf_path : "/sys/kernel/btf/vmlinux")) {
		errbuf_set(err, errlen, "cannot read the kernel's BTF from %s: %s",
			   btf_path ? btf_path : "/sys/kernel/btf/vmlinux",
			   errno == EINVAL  ? "not a BTF file"
			   : errno == EFBIG ? "larger than any kernel's BTF"
					    : strerror(errno));
		return -1;
	}
	if (check_floor(&btf, err, errlen)) {
		btf_probe_free(&btf);
		return -1;
	}
	t->net_available = 1;
	t->fallback_used = 0;
	snprintf(t->missing, sizeof(t->missing), ",");
	bpf_object__for_each_program (prog, t->skel->obj) {
		const char *sec = bpf_program__section_name(prog), *tp;
		char name[128];
		int params;

		if (strncmp(sec, "tp_btf/", 7))
			continue;
		tp = sec + 7;
		snprintf(name, sizeof(name), "btf_trace_%s", tp);
		params = tracepoint_disabled(tp) ? -1 : btf_probe_typedef_params(&btf, name);
		/* (ctx, skb, location, reason, rx_sk): rx_sk came in Linux 6.11; without
		 * it there is no socket to charge a drop to */
		if (params >= 0 && !strcmp(tp, "kfree_skb")) {
			if (params >= 5) {
				t->skel->rodata->have_kfree_skb_sk = 1;
				continue;
			}
			params = -1;
		}
		if (params >= 0) {
			if (!strcmp(tp, "sock_recv_length"))
				recv_hooked = 1;
			continue;
		}
		if (tracepoint_is_core(tp)) {
			errbuf_set(err, errlen,
				   "the kernel has no %s tracepoint, which streamtrace needs", tp);
			ret = -1;
			break;
		}
		bpf_program__set_autoload(prog, false);
		if (strlen(missing) + strlen(tp) + 2 < sizeof(t->missing)) {
			strcat(missing, tp);
			strcat(missing, ",");
		}
	}
	/* the fallbacks of the missing tracepoints */
	bpf_object__for_each_program (prog, t->skel->obj) {
		const char *sec = bpf_program__section_name(prog), *func;
		char key[64];
		int on = 0, known = 0;

		if (strncmp(sec, "fentry/", 7) && strncmp(sec, "fexit/", 6))
			continue;
		func = strchr(sec, '/') + 1;
		for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
			if (strcmp(func, fallbacks[i].func))
				continue;
			known = 1;
			snprintf(key, sizeof(key), ",%s,", fallbacks[i].tp);
			on = t->allow_fallback && strstr(missing, key) &&
			     !tracepoint_disabled("fentry") && !tracepoint_disabled("fexit") &&
			     btf_probe_has_func(&btf, func);
		}
		if (!known)
			continue; /* not a fallback: loads as its own code says */
		bpf_program__set_autoload(prog, on);
		if (on) {
			t->fallback_used = 1;
			if (!strcmp(func, "inet_recvmsg"))
				recv_hooked = 1;
		}
	}
	/* UDP's own drop tracepoint, and the full receive queue, only where
	 * kfree_skb cannot name the socket (loading a program costs start-up) */
	if (t->skel->rodata->have_kfree_skb_sk) {
		bpf_program__set_autoload(t->skel->progs.st_udp_fail_queue_rcv_skb, false);
		bpf_program__set_autoload(t->skel->progs.st_sock_rcvqueue_full, false);
	}
	if (!ret && !recv_hooked) {
		if (!t->refused)
			fprintf(stderr,
				"streamtrace: the kernel has no sock_recv_length tracepoint (Linux "
				"6.3+)%s: "
				"socket and queue figures will be null\n",
				!t->allow_fallback ? ""
				: tracepoint_disabled("fentry") || tracepoint_disabled("fexit")
					? " and its fallbacks are off (STREAMTRACE_DISABLE)"
					: " nor the functions to hook instead");
		t->net_available = 0;
	}
	btf_probe_enum(&btf, "skb_drop_reason", keep_drop_reason, t);
	btf_probe_free(&btf);
	return ret;
}

const struct attach_info *tracer_attach_info(const struct tracer *t)
{
	return &t->attach;
}

int tracer_net_available(const struct tracer *t)
{
	return t->net_available;
}

int tracer_start(struct tracer **out, const struct tracer_opts *o, tracer_event_fn fn, void *ctx,
		 char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct tracer *t = calloc(1, sizeof(*t));
	const char *btf_path;
	int e;

	*out = NULL;
	if (!t) {
		errbuf_set(err, errlen, "out of memory");
		return -1;
	}
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	t->fn = fn;
	t->ctx = ctx;
	t->max_procs = o->max_procs;
	{
		struct utsname u;

		if (!uname(&u))
			snprintf(t->attach.kernel, sizeof(t->attach.kernel), "%s", u.release);
	}
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		errbuf_set(err, errlen, "cannot count CPUs: %s", strerror(-t->ncpus));
		goto fail;
	}

	/* STREAMTRACE_BTF: the kernel's BTF from a file (kernels without
	 * /sys/kernel/btf/vmlinux; also how the tests fake a missing BTF) */
	btf_path = getenv("STREAMTRACE_BTF");
	if (btf_path && access(btf_path, R_OK)) {
		errbuf_set(err, errlen, "no kernel BTF at %s (STREAMTRACE_BTF): %s", btf_path,
			   strerror(errno));
		goto fail;
	}
	if (!btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		errbuf_set(err, errlen,
			   "kernel has no BTF (/sys/kernel/btf/vmlinux missing; "
			   "set STREAMTRACE_BTF to a vmlinux BTF file)");
		goto fail;
	}
	open_opts.btf_custom_path = btf_path;
	/* -v: the verifier's statistics per program (instructions processed,
	 * time), what start-up mostly spends */
	if (o->verbose)
		open_opts.kernel_log_level = 4;
	phase(o->verbose, "start");
	t->allow_fallback = 1;
retry:
	t->skel = streamtrace_bpf__open_opts(&open_opts);
	if (!t->skel) {
		explain(err, errlen, "open BPF object", errno);
		goto fail;
	}
	bpf_map__set_max_entries(t->skel->maps.procs, t->max_procs);
	bpf_map__set_max_entries(t->skel->maps.free_slots, t->max_procs);
	bpf_map__set_max_entries(t->skel->maps.proc_stats, t->max_procs);
	bpf_map__set_max_entries(t->skel->maps.sys_stats, t->max_procs * ST_SYSCALL_BLOCKS);
	bpf_map__set_max_entries(t->skel->maps.attach_tgids, t->max_procs);
	t->skel->rodata->max_procs = t->max_procs;
	t->skel->rodata->thread_exits_on = o->thread_exits ? 1 : 0;
	t->skel->rodata->conn_exits_on = o->conn_exits ? 1 : 0;
	t->skel->rodata->sample_every = o->sample_every > 1 ? o->sample_every : 1;
	for (unsigned i = 0; i < o->n_comms && i < ST_MAX_COMMS; i++)
		strncpy((char *)t->skel->rodata->target_comms[i], o->comms[i], ST_COMM_LEN - 1);
	t->skel->rodata->n_target_comms = o->n_comms < ST_MAX_COMMS ? o->n_comms : ST_MAX_COMMS;
	/* the task iterator runs on demand, never attached to a hook */
	bpf_program__set_autoattach(t->skel->progs.st_attach_iter, false);
	bpf_program__set_autoattach(t->skel->progs.st_thread_iter, false);
	bpf_program__set_autoattach(t->skel->progs.st_busy_iter, false);
	/* --profile: attached by attach_profile, after everything else */
	bpf_program__set_autoattach(t->skel->progs.st_prof_sample, false);
	bpf_program__set_autoattach(t->skel->progs.st_prof_switch, false);
	bpf_program__set_autoattach(t->skel->progs.st_prof_wakeup, false);
	t->profile_hz = o->profile_hz;
	t->skel->rodata->prof_on = o->profile_hz > 0;
	if (!o->profile_hz) {
		/* not loaded at all (nor their maps sized) when not asked for:
		 * nothing to pay, and nothing an older kernel could refuse */
		bpf_program__set_autoload(t->skel->progs.st_prof_sample, false);
		bpf_program__set_autoload(t->skel->progs.st_prof_switch, false);
		bpf_program__set_autoload(t->skel->progs.st_prof_wakeup, false);
		bpf_map__set_max_entries(t->skel->maps.prof_stacks, 1);
		bpf_map__set_max_entries(t->skel->maps.prof_counts, 1);
	}
	phase(o->verbose, "open");
	if (probe_tracepoints(t, btf_path, err, errlen))
		goto fail;

	phase(o->verbose, "probe tracepoints");
	e = streamtrace_bpf__load(t->skel);
	if (e) {
		explain(err, errlen, "load BPF programs", -e);
		goto refused;
	}

	t->procs_len = (size_t)t->max_procs * sizeof(struct st_proc);
	t->procs = mmap(NULL, t->procs_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(t->skel->maps.procs), 0);
	if (t->procs == MAP_FAILED) {
		t->procs = NULL;
		errbuf_set(err, errlen, "mmap process table: %s", strerror(errno));
		goto fail;
	}
	for (__u32 s = 0; s < t->max_procs; s++) {
		if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.free_slots), NULL, &s, 0)) {
			errbuf_set(err, errlen, "fill slot queue: %s", strerror(errno));
			goto fail;
		}
	}
	t->percpu_buf = calloc((size_t)t->ncpus * ST_MAX_SYSCALLS, sizeof(struct st_syscall_stat));
	if (!t->percpu_buf) {
		errbuf_set(err, errlen, "out of memory");
		goto fail;
	}

	phase(o->verbose, "load");
	e = streamtrace_bpf__attach(t->skel);
	if (e) {
		explain(err, errlen, "attach BPF programs", -e);
		goto refused;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, t, NULL);
	if (!t->rb) {
		errbuf_set(err, errlen, "ring buffer: %s", strerror(errno));
		goto fail;
	}
	if (t->profile_hz && attach_profile(t, err, errlen))
		goto fail;
	phase(o->verbose, "attach");
	note_attach(t);
	if (o->verbose) {
		fprintf(stderr, "streamtrace: kernel %s; attach:", t->attach.kernel);
		for (unsigned i = 0; i < t->attach.n; i++)
			fprintf(stderr, " %s=%s", t->attach.fam[i].family, t->attach.fam[i].method);
		fputc('\n', stderr);
	}
	*out = t;
	return 0;
refused:
	/* fentry/fexit refused (kernel lockdown, a function it will not
	 * trace): once more with tracepoints only */
	if (t->fallback_used && t->allow_fallback) {
		size_t n = strlen(t->missing);

		if (n > 1)
			t->missing[n - 1] = 0; /* the list's trailing comma */
		fprintf(stderr,
			"streamtrace: the kernel lacks the tracepoints %s and refused the "
			"fentry/fexit "
			"fallbacks (%s: %s; kernel lockdown does): socket and queue figures will "
			"be null\n",
			t->missing + 1, t->rb || t->procs ? "attach" : "load", strerror(-e));
		t->refused = 1;
		unload(t);
		t->allow_fallback = 0;
		goto retry;
	}
fail:
	tracer_destroy(t);
	return -1;
}

/* Everything tracer_start loaded, mapped or allocated; t stays. */
static void unload(struct tracer *t)
{
	for (unsigned i = 0; i < t->n_prof_links; i++)
		bpf_link__destroy(t->prof_links[i]);
	free(t->prof_links);
	t->prof_links = NULL;
	t->n_prof_links = 0;
	ring_buffer__free(t->rb);
	t->rb = NULL;
	if (t->procs)
		munmap((void *)t->procs, t->procs_len);
	t->procs = NULL;
	streamtrace_bpf__destroy(t->skel);
	t->skel = NULL;
	free(t->percpu_buf);
	t->percpu_buf = NULL;
}

void tracer_destroy(struct tracer *t)
{
	if (!t)
		return;
	unload(t);
	free(t);
}

int tracer_trace_exec(struct tracer *t, pid_t pid)
{
	__u32 k = (__u32)pid, one = 1;

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.exec_pids), &k, &one, BPF_ANY) ? -1
											    : 0;
}

/* Read /proc/PID/stat's comm and start time; -1 if the process is gone. */
static int proc_identity(pid_t pid, char *comm, size_t commlen)
{
	char path[64], buf[512], *l, *r;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l)
		return -1;
	*r = 0;
	snprintf(comm, commlen, "%s", l + 1);
	return 0;
}

/* Run an iterator program and hand each fixed-size record it writes to fn. */
static int read_iter(struct bpf_program *prog, size_t recsize,
		     void (*fn)(void *ctx, const void *rec), void *ctx)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char buf[4096];
	size_t have = 0;
	ssize_t n;
	int fd;

	if (!link)
		return -1;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -1;
	}
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		size_t off = 0;

		have += (size_t)n;
		for (; have - off >= recsize; off += recsize)
			if (fn)
				fn(ctx, buf + off);
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(fd);
	bpf_link__destroy(link);
	return n < 0 ? -1 : 0;
}

int tracer_read_thread_exits(struct tracer *t, void (*fn)(void *ctx, const struct st_thread_rec *r),
			     void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.thread_exits);
	unsigned max = bpf_map__max_entries(t->skel->maps.thread_exits);
	struct st_thread_rec r;
	__u32 tid;

	/* the first key each time, then delete it: bounded by the table's size
	 * (a thread exiting meanwhile waits for the next call) */
	for (unsigned i = 0; i < max && !bpf_map_get_next_key(fd, NULL, &tid); i++) {
		if (!bpf_map_lookup_elem(fd, &tid, &r))
			fn(ctx, &r);
		if (bpf_map_delete_elem(fd, &tid))
			return -1;
	}
	return 0;
}

int tracer_read_conn_exits(struct tracer *t,
			   void (*fn)(void *ctx, const struct st_conn_rec *r, uint32_t tgid),
			   void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.conn_exits);
	unsigned max = bpf_map__max_entries(t->skel->maps.conn_exits);
	struct st_conn_exit e;
	__u64 cookie;

	for (unsigned i = 0; i < max && !bpf_map_get_next_key(fd, NULL, &cookie); i++) {
		if (!bpf_map_lookup_elem(fd, &cookie, &e))
			fn(ctx, &e.r, e.tgid);
		if (bpf_map_delete_elem(fd, &cookie))
			return -1;
	}
	return 0;
}

int tracer_read_threads(struct tracer *t, void (*fn)(void *ctx, const struct st_thread_rec *r),
			void *ctx)
{
	return read_iter(t->skel->progs.st_thread_iter, sizeof(struct st_thread_rec),
			 (void (*)(void *, const void *))fn, ctx);
}

int tracer_read_busy(struct tracer *t, void (*fn)(void *ctx, const struct st_busy_rec *r),
		     void *ctx)
{
	return read_iter(t->skel->progs.st_busy_iter, sizeof(struct st_busy_rec),
			 (void (*)(void *, const void *))fn, ctx);
}

/* An address of a socket as the record keeps it. */
static void conn_addr(const struct sockaddr_storage *ss, __u8 *addr, __u16 *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		memcpy(addr, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		memcpy(addr, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
	}
}

/*
 * The sockets of process pid: socket storage is looked up from user space
 * by a file descriptor of the socket, so each of the process's socket fds is
 * borrowed with pidfd_getfd(2) (a duplicate; the process is not disturbed,
 * though a socket it closes meanwhile lives on until we close our copy).
 */
int tracer_read_conns(struct tracer *t, pid_t pid, uint32_t slot,
		      void (*fn)(void *ctx, const struct st_conn_rec *r), void *ctx)
{
	int sfd = bpf_map__fd(t->skel->maps.socks), pidfd;
	char path[64], link[64];
	struct dirent *de;
	DIR *d;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		close(pidfd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct sockaddr_storage ss;
		struct st_conn_rec r = {};
		struct st_sock s;
		socklen_t len;
		char fdpath[320];
		int target, fd, v;
		ssize_t n;

		target = atoi(de->d_name);
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0 || strncmp(link, "socket:", 7))
			continue;
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
		if (fd < 0)
			continue;
		if (bpf_map_lookup_elem(sfd, &fd, &s) || !s.last_t || s.slot != slot) {
			close(fd);
			continue;
		}
		r.slot = s.slot;
		r.generation = s.generation;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len))
			r.family = (__u16)v;
		len = sizeof(v);
		if (!getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len))
			r.proto = (__u16)v;
		len = sizeof(r.cookie);
		getsockopt(fd, SOL_SOCKET, SO_COOKIE, &r.cookie, &len);
		len = sizeof(ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &len))
			conn_addr(&ss, r.saddr, &r.sport);
		len = sizeof(ss);
		if (!getpeername(fd, (struct sockaddr *)&ss, &len))
			conn_addr(&ss, r.daddr, &r.dport);
		r.rx_bytes = s.rx_bytes;
		r.rx_ops = s.rx_ops;
		r.tx_bytes = s.tx_bytes;
		r.tx_ops = s.tx_ops;
		r.backlog = s.gauge_bytes;
		r.unit_rx = s.unit[0];
		r.unit_tx = s.unit[1];
		close(fd);
		fn(ctx, &r);
	}
	closedir(d);
	close(pidfd);
	return 0;
}

static int run_attach_iter(struct tracer *t)
{
	return read_iter(t->skel->progs.st_attach_iter, 1, NULL, NULL);
}

int tracer_attach_pids(struct tracer *t, const pid_t *pids, size_t n, uint32_t *slots)
{
	int qfd = bpf_map__fd(t->skel->maps.free_slots);
	int afd = bpf_map__fd(t->skel->maps.attach_tgids);
	struct timespec ts;
	int traced = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (size_t i = 0; i < n; i++) {
		volatile struct st_proc *p;
		char comm[ST_COMM_LEN];
		__u32 slot, tgid = (__u32)pids[i];
		struct st_attach a = {0};

		slots[i] = TRACER_ATTACH_GONE;
		if (proc_identity(pids[i], comm, sizeof(comm)))
			continue;
		if (bpf_map_lookup_and_delete_elem(qfd, NULL, &slot)) {
			errno = ENOSPC;
			return -1;
		}
		p = &t->procs[slot];
		p->tgid = tgid;
		p->start_ns = 0;
		p->traced_ns = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
		p->exit_ns = 0;
		p->exit_code = 0;
		p->origin = ST_ORIGIN_ATTACH;
		p->parent_slot = (__u32)-1;
		p->generation++;
		memcpy((char *)p->comm, comm, sizeof(comm));
		__sync_synchronize();
		p->state = ST_PROC_LIVE;
		a.slot = slot;
		bpf_map_update_elem(afd, &tgid, &a, BPF_ANY);
		slots[i] = slot;
	}
	/* Twice: a thread created by a not-yet-marked thread during the first
	 * pass is caught by the second; after that the fork probe follows. */
	if (run_attach_iter(t) || run_attach_iter(t))
		return -1;
	for (size_t i = 0; i < n; i++) {
		__u32 tgid = (__u32)pids[i];
		struct st_attach a;

		if (slots[i] == TRACER_ATTACH_GONE)
			continue;
		if (bpf_map_lookup_elem(afd, &tgid, &a))
			a.marked = a.traced_already = 0;
		bpf_map_delete_elem(afd, &tgid);
		if (a.marked) {
			traced++;
			continue;
		}
		/* no thread carries the slot: give it back untouched, so that no
		 * process is listed that was never traced (or listed twice) */
		tracer_release_slot(t, slots[i]);
		slots[i] = a.traced_already ? TRACER_ATTACH_ALREADY : TRACER_ATTACH_GONE;
	}
	return traced;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms), m;

	/* events are submitted without a wake-up (BPF_RB_NO_WAKEUP), so epoll
	 * never reports them: read what is there after each wait, or the ring
	 * fills (in about a minute of 100 processes a second) and every later
	 * event is counted as lost.ringbuf_full */
	if (n == -EINTR)
		n = 0;
	m = ring_buffer__consume(t->rb);
	return n < 0 ? n : m < 0 ? m : n + m;
}

unsigned tracer_max_procs(const struct tracer *t)
{
	return t->max_procs;
}

const volatile struct st_proc *tracer_proc(const struct tracer *t, uint32_t slot)
{
	return slot < t->max_procs ? &t->procs[slot] : NULL;
}

uint32_t tracer_epoch(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->epoch, __ATOMIC_SEQ_CST);
}

uint32_t tracer_next_epoch(struct tracer *t)
{
	uint32_t old = t->skel->bss->epoch;

	__atomic_store_n(&t->skel->bss->epoch, old + 1, __ATOMIC_SEQ_CST);
	return old;
}

#define PROC_STAT_U64S (offsetof(struct st_proc_stat, runq_hist) / sizeof(__u64))

/* Add one CPU's busy counters (all sums) to sum. */
static void tracer_sum_busy(struct st_busy_stat *sum, const struct st_busy_stat *v)
{
	const __u64 *src = (const __u64 *)v;
	__u64 *dst = (__u64 *)sum;

	for (size_t i = 0; i < offsetof(struct st_busy_stat, disp_hist) / sizeof(__u64); i++)
		dst[i] += src[i];
	for (int b = 0; b < ST_HIST_BUCKETS; b++)
		sum->disp_hist[b] += v->disp_hist[b];
}

int tracer_read_proc_stat(struct tracer *t, uint32_t slot, uint32_t epoch, struct st_proc_stat *sum)
{
	struct st_proc_stat *v = t->percpu_buf;
	const size_t max_idx = offsetof(struct st_proc_stat, runq_max_ns) / sizeof(__u64);

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.proc_stats), &slot, v))
		return -1;
	for (int c = 0; c < t->ncpus; c++) {
		const __u64 *src = (const __u64 *)&v[c];
		__u64 *dst = (__u64 *)sum;

		for (size_t i = 0; i < PROC_STAT_U64S; i++) {
			if (i == max_idx)
				dst[i] = src[i] > dst[i] ? src[i] : dst[i];
			else
				dst[i] += src[i];
		}
		for (int b = 0; b < ST_HIST_BUCKETS; b++) {
			sum->runq_hist[b] += v[c].runq_hist[b];
			sum->svc_hist[b] += v[c].svc_hist[b];
			sum->wait_hist[b] += v[c].wait_hist[b];
		}
		if (v[c].srv_tag[epoch & 1] == epoch)
			sum->srv_cnt[0] += v[c].srv_cnt[epoch & 1];
		/* the message counters (issue 8): __u64 sums, msg_rx to fr_lost */
		for (size_t i = offsetof(struct st_proc_stat, msg_rx) / sizeof(__u64);
		     i <= offsetof(struct st_proc_stat, fr_lost) / sizeof(__u64); i++)
			dst[i] += src[i];
		tracer_sum_busy(&sum->bz, &v[c].bz);
	}
	return 0;
}

int tracer_read_syscalls(struct tracer *t, uint32_t slot, uint32_t epoch,
			 struct st_syscall_stat *rows)
{
	struct st_syscall_block *v = t->percpu_buf;
	int fd = bpf_map__fd(t->skel->maps.sys_stats);
	unsigned i = epoch & 1;

	memset(rows, 0, ST_MAX_SYSCALLS * sizeof(*rows));
	for (__u32 blk = 0; blk < ST_SYSCALL_BLOCKS; blk++) {
		__u32 key = slot * ST_SYSCALL_BLOCKS + blk;

		if (bpf_map_lookup_elem(fd, &key, v))
			return -1;
		for (int c = 0; c < t->ncpus; c++) {
			for (__u32 j = 0; j < ST_SYSCALLS_PER_BLOCK; j++) {
				const struct st_syscall_stat *s = &v[c].sc[j];
				struct st_syscall_stat *r = &rows[blk * ST_SYSCALLS_PER_BLOCK + j];

				if (!s->count)
					continue;
				r->count += s->count;
				r->errors += s->errors;
				r->total_ns += s->total_ns;
				if (s->max_ns > r->max_ns)
					r->max_ns = s->max_ns;
				if (s->ep_tag[i] == epoch && s->ep_max_ns[i] > r->ep_max_ns[0])
					r->ep_max_ns[0] = s->ep_max_ns[i];
				for (int b = 0; b < ST_HIST_BUCKETS; b++)
					r->hist[b] += s->hist[b];
			}
		}
	}
	return 0;
}

/* "SOCKET_RCVBUFF" for a reason code, from the kernel's enum skb_drop_reason. */
static void drop_reason_name(const struct tracer *t, __u32 reason, char *buf, size_t len)
{
	for (unsigned i = 0; i < t->n_drop_names; i++) {
		if (t->drop_names[i].value == reason) {
			snprintf(buf, len, "%s", t->drop_names[i].name);
			return;
		}
	}
	snprintf(buf, len, "REASON_%u", reason);
}

/*
 * Every entry of a hash map whose keys are 8 bytes (an errno key, or a slot
 * pair / slot and reason packed in a __u64): fn gets the key and the __u64
 * value. With del set, fn's non-zero answer deletes the entry (the walk then
 * restarts: a deleted key cannot lead to the next).
 */
static void map_walk(int fd, int (*fn)(void *ctx, const void *key, __u64 value), void *ctx, int del)
{
	__u64 key, next, n;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		/* after a delete, the key before it still leads on (a hash map's
		 * next of a live key), so the walk stays one pass */
		if (!bpf_map_lookup_elem(fd, &next, &n) && fn(ctx, &next, n) && del &&
		    !bpf_map_delete_elem(fd, &next))
			continue;
		key = next;
		prev = &key;
	}
}

struct walk_ctx {
	struct tracer *t;
	void *fn, *ctx;
	const unsigned char *slots; /* a set of slots, one byte each, for the release */
};

static int errno_entry(void *c, const void *key, __u64 n)
{
	struct walk_ctx *w = c;
	const struct st_errno_key *k = key;

	((void (*)(void *, uint32_t, uint32_t, uint32_t, uint64_t))w->fn)(w->ctx, k->slot, k->nr,
									  k->err, n);
	return 0;
}

int tracer_read_errnos(struct tracer *t,
		       void (*fn)(void *ctx, uint32_t slot, uint32_t nr, uint32_t err, uint64_t n),
		       void *ctx)
{
	struct walk_ctx w = {t, (void *)fn, ctx, 0};

	_Static_assert(sizeof(struct st_errno_key) == sizeof(__u64), "8-byte keys");
	map_walk(bpf_map__fd(t->skel->maps.errnos), errno_entry, &w, 0);
	return 0;
}

static int edge_entry(void *c, const void *key, __u64 n)
{
	struct walk_ctx *w = c;
	__u64 k = *(const __u64 *)key;

	((void (*)(void *, uint32_t, uint32_t, uint64_t))w->fn)(w->ctx, (uint32_t)(k >> 32),
								(uint32_t)k, n);
	return 0;
}

int tracer_read_edges(struct tracer *t,
		      void (*fn)(void *ctx, uint32_t from, uint32_t to, uint64_t n), void *ctx)
{
	struct walk_ctx w = {t, (void *)fn, ctx, 0};

	map_walk(bpf_map__fd(t->skel->maps.edges), edge_entry, &w, 0);
	return 0;
}

static int drop_entry(void *c, const void *key, __u64 n)
{
	struct walk_ctx *w = c;
	__u64 k = *(const __u64 *)key;
	char name[64];

	drop_reason_name(w->t, (__u32)k, name, sizeof(name));
	((void (*)(void *, uint32_t, const char *, uint64_t))w->fn)(w->ctx, (uint32_t)(k >> 32),
								    name, n);
	return 0;
}

int tracer_read_drops(struct tracer *t,
		      void (*fn)(void *ctx, uint32_t slot, const char *reason, uint64_t n),
		      void *ctx)
{
	struct walk_ctx w = {t, (void *)fn, ctx, 0};

	map_walk(bpf_map__fd(t->skel->maps.drop_reasons), drop_entry, &w, 0);
	return 0;
}

/* the keys of a slot's entries, to delete when the slot is released */
static int in_set(const struct walk_ctx *w, uint32_t slot)
{
	return slot < w->t->max_procs && w->slots[slot];
}

static int errno_of_slot(void *c, const void *key, __u64 n)
{
	(void)n;
	return in_set(c, ((const struct st_errno_key *)key)->slot);
}

static int high_half_is_slot(void *c, const void *key, __u64 n)
{
	(void)n;
	return in_set(c, (uint32_t)(*(const __u64 *)key >> 32));
}

static int either_half_is_slot(void *c, const void *key, __u64 n)
{
	__u64 k = *(const __u64 *)key;

	return high_half_is_slot(c, key, n) || in_set(c, (uint32_t)k);
}

void tracer_release_slots(struct tracer *t, const uint32_t *slots, size_t n)
{
	unsigned char *set = calloc(t->max_procs, 1);
	struct walk_ctx w = {t, NULL, NULL, set};
	size_t k = 0;

	if (!set)
		return; /* the slots stay taken; tried again later */
	memset(t->percpu_buf, 0, (size_t)t->ncpus * sizeof(struct st_syscall_block));
	for (size_t i = 0; i < n; i++) {
		uint32_t slot = slots[i];

		if (slot >= t->max_procs || set[slot])
			continue;
		set[slot] = 1;
		k++;
		for (__u32 blk = 0; blk < ST_SYSCALL_BLOCKS; blk++) {
			__u32 key = slot * ST_SYSCALL_BLOCKS + blk;

			bpf_map_update_elem(bpf_map__fd(t->skel->maps.sys_stats), &key,
					    t->percpu_buf, 0);
		}
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.proc_stats), &slot, t->percpu_buf, 0);
	}
	/* one pass over each keyed map for the whole set */
	if (k) {
		map_walk(bpf_map__fd(t->skel->maps.errnos), errno_of_slot, &w, 1);
		map_walk(bpf_map__fd(t->skel->maps.drop_reasons), high_half_is_slot, &w, 1);
		/* the pipeline edges they were either end of */
		map_walk(bpf_map__fd(t->skel->maps.edges), either_half_is_slot, &w, 1);
	}
	for (uint32_t slot = 0; slot < t->max_procs; slot++) {
		if (!set[slot])
			continue;
		t->procs[slot].state = ST_PROC_FREE;
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.free_slots), NULL, &slot, 0);
	}
	free(set);
}

void tracer_release_slot(struct tracer *t, uint32_t slot)
{
	tracer_release_slots(t, &slot, 1);
}

int tracer_read_lost(struct tracer *t, struct lost_counts *l)
{
	__u64 *v = t->percpu_buf;
	struct bpf_program *prog;
	int fd = bpf_map__fd(t->skel->maps.lost);

	memset(l, 0, sizeof(*l));
	for (__u32 k = 0; k < ST_LOST__MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, v))
			return -1;
		for (int c = 0; c < t->ncpus; c++)
			l->kinds[k] += v[c];
	}
	bpf_object__for_each_program (prog, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			l->recursion += info.recursion_misses;
	}
	return 0;
}
