// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bpf-unit (root): loads tests/bpf/framing_prog.bpf.c, which runs the
 * framers of bpf/framing.h inside the kernel, and feeds it every stream of
 * the unit tests (tests/unit/framing_streams.h) as a sequence of reads:
 * 4 KiB reads, random small reads, and for the streams of up to 4 KiB two
 * reads split at every byte. For each it compares what the kernel found
 * (message count, where each message ends, where an error was) with the
 * builder's truth and with the same header compiled here in user space, and
 * the detection of every detection case. Exit 0 when all agree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/unit/framing_streams.h"
#include "tests/bpf/framing_prog.h"
#include "framing_prog.skel.h"

#define SPLIT_ALL_MAX 4096

static struct framing_prog *skel;
static int prog_fd, prog1_fd, prog8_fd, failures, runs;
/* per program (1 or 8 steps per bpf_loop iteration) and protocol, over the
 * 4 KiB-read pass: kernel time, steps, messages */
static double cost_ns[2][ST_PROTO__MAX];
static __u64 cost_steps[2][ST_PROTO__MAX], cost_msgs[2][ST_PROTO__MAX];

static int kernel_read(const struct fs_stream *s, size_t from, size_t len, int first)
{
	static struct fr_args a;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &a, .ctx_size_in = sizeof(a));
	int err;

	memset(&a, 0, sizeof(a));
	a.len = (__u32)len;
	a.proto = first ? s->proto : 0;
	a.dir = s->dir;
	a.base = from;
	memcpy(a.data, s->p + from, len);
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	runs++;
	if (err || opts.retval) {
		fprintf(stderr, "test run: %s, retval %d\n", strerror(errno), (int)opts.retval);
		exit(2);
	}
	return 0;
}

/* the stream in reads ending at cuts[] (ascending), in the kernel and here */
static void compare(const struct fs_stream *s, const size_t *cuts, int ncuts, const char *how)
{
	size_t ends[FR_ENDS];
	struct fs_result u = {.ends = ends, .ends_cap = FR_ENDS};
	struct st_frame f;
	size_t from = 0, i;
	int c, measure = !strcmp(how, "4 KiB reads") && !s->want_err;

	st_frame_init(&f, s->proto, s->dir);
	for (c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : s->len;

		/* a read longer than the context holds goes in as several */
		while (from < to) {
			size_t n = to - from > FR_CHUNK ? FR_CHUNK : to - from;

			kernel_read(s, from, n, from == 0);
			fs_feed(&f, s->p + from, n, from, &u);
			from += n;
			if (skel->bss->st.err)
				break;
		}
		if (skel->bss->st.err)
			break;
	}
	if (skel->bss->st.err != (__u32)u.err || (u.err && skel->bss->st.err_at != u.err_at) ||
	    skel->bss->st.msgs != u.msgs || u.err != s->want_err || u.msgs != s->nends) {
		fprintf(stderr,
			"%s (%s): kernel %u msgs err %u at %llu; user %zu msgs err %d at %zu; "
			"built %zu msgs err %d\n",
			s->name, how, skel->bss->st.msgs, skel->bss->st.err,
			(unsigned long long)skel->bss->st.err_at, u.msgs, u.err, u.err_at, s->nends,
			s->want_err);
		failures++;
		return;
	}
	if (measure && s->proto < ST_PROTO__MAX) {
		int v = prog_fd == prog8_fd;

		cost_ns[v][s->proto] += (double)skel->bss->st.loop_ns;
		cost_steps[v][s->proto] += skel->bss->st.steps;
		cost_msgs[v][s->proto] += u.msgs;
	}
	for (i = 0; i < u.msgs && i < FR_ENDS; i++)
		if (skel->bss->st.ends[i] != ends[i] || ends[i] != s->ends[i]) {
			fprintf(stderr,
				"%s (%s): message %zu ends at %llu in the kernel, %zu here, "
				"%zu built\n",
				s->name, how, i, (unsigned long long)skel->bss->st.ends[i], ends[i],
				s->ends[i]);
			failures++;
			return;
		}
}

static void run_stream(const struct fs_stream *s, size_t *msgs, size_t *bytes)
{
	size_t *cuts = malloc((s->len / 1 + 1) * sizeof(*cuts));
	size_t k, at;
	unsigned seed;
	int n;

	if (!cuts)
		exit(2);
	compare(s, NULL, 0, "4 KiB reads");
	prog_fd = prog8_fd; /* the same with 8 steps per iteration */
	compare(s, NULL, 0, "4 KiB reads");
	prog_fd = prog1_fd;
	for (seed = 1; seed <= 3; seed++) {
		srand(seed);
		for (n = 0, at = 0;;) {
			at += 1 + (size_t)(rand() % (seed == 1 ? 7 : 1500));
			if (at >= s->len)
				break;
			cuts[n++] = at;
		}
		/* tiny reads of a multi-MB stream would take minutes of syscalls */
		if (n < 20000)
			compare(s, cuts, n, "random reads");
	}
	if (s->len <= SPLIT_ALL_MAX)
		for (k = 1; k < s->len; k++)
			compare(s, &k, 1, "split");
	*msgs += s->nends;
	*bytes += s->len;
	free(cuts);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	static struct fs_stream good[FS_MAX], bad[FS_MAX], cap[FS_MAX];
	static struct fr_args a;
	size_t msgs = 0, bytes = 0, i;
	int ngood, nbad, ncap, j, detect_bad = 0;

	static char log1[64 * 1024], log8[64 * 1024];
	const char *stats;

	libbpf_set_print(libbpf_quiet);
	skel = framing_prog__open();
	if (!skel)
		goto load_failed;
	/* how hard the verifier works for the framers (statistics only) */
	bpf_program__set_log_buf(skel->progs.framing_run, log1, sizeof(log1));
	bpf_program__set_log_level(skel->progs.framing_run, 4);
	bpf_program__set_log_buf(skel->progs.framing_run8, log8, sizeof(log8));
	bpf_program__set_log_level(skel->progs.framing_run8, 4);
	if (framing_prog__load(skel)) {
load_failed:
		fprintf(stderr, "framing_run: loading the framing program failed (root? BTF?)\n");
		return 2;
	}
	stats = strstr(log1, "processed ");
	if (stats)
		printf("bpf-unit: verifier, 1 byte step per iteration: %.*s\n",
		       (int)strcspn(stats, "\n"), stats);
	stats = strstr(log8, "processed ");
	if (stats)
		printf("bpf-unit: verifier, 8 word steps per iteration: %.*s\n",
		       (int)strcspn(stats, "\n"), stats);
	prog1_fd = prog_fd = bpf_program__fd(skel->progs.framing_run);
	prog8_fd = bpf_program__fd(skel->progs.framing_run8);
	ngood = fs_build_good(good, 1);
	nbad = fs_build_bad(bad);
	for (j = 0; j < ngood; j++)
		run_stream(&good[j], &msgs, &bytes);
	for (j = 0; j < nbad; j++) {
		bad[j].want_err = 1;
		run_stream(&bad[j], &msgs, &bytes);
	}
	/* real client/server traffic (make bpf-unit runs from the top directory) */
	ncap = fs_load_captures("tests/unit/captures", cap, FS_MAX);
	if (ncap <= 0) {
		fprintf(stderr, "framing_run: no captures in tests/unit/captures\n");
		return 2;
	}
	for (j = 0; j < ncap; j++)
		run_stream(&cap[j], &msgs, &bytes);
	for (i = 0; i < FS_NDETECT; i++) {
		const struct fs_detect_case *c = &fs_detect_cases[i];
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &a, .ctx_size_in = sizeof(a));
		__u8 want = st_frame_detect((const __u8 *)c->b, c->len, c->dir, c->at_start);

		memset(&a, 0, sizeof(a));
		memcpy(a.data, c->b, c->len);
		a.detect_len = c->len ? c->len : 0;
		a.dir = (__u32)c->dir;
		a.at_start = (__u32)c->at_start;
		if (!c->len)
			continue; /* detect_len 0 means "frame", not "detect" */
		if (bpf_prog_test_run_opts(prog_fd, &opts) || opts.retval) {
			fprintf(stderr, "detect run failed: %s\n", strerror(errno));
			return 2;
		}
		if (skel->bss->st.detected != want || want != c->want) {
			fprintf(stderr, "detect %s: kernel %u, user %u, want %u\n", c->what,
				skel->bss->st.detected, want, c->want);
			detect_bad++;
		}
	}
	for (j = 1; j < ST_PROTO__MAX; j++) {
		static const char *const names[] = {"",	    "resp", "postgres", "http1",
						    "mqtt", "nats", "kafka",	"amqp"};

		if (!cost_msgs[0][j] || j >= (int)(sizeof(names) / sizeof(names[0])))
			continue;
		printf("bpf-unit: %-8s byte steps: %5.1f/message, %4.1f ns each, %5.0f ns/message; "
		       "8 word steps per iteration: %4.1f/message, %5.0f ns/message\n",
		       names[j], (double)cost_steps[0][j] / cost_msgs[0][j],
		       cost_ns[0][j] / cost_steps[0][j], cost_ns[0][j] / cost_msgs[0][j],
		       (double)cost_steps[1][j] / cost_msgs[1][j], cost_ns[1][j] / cost_msgs[1][j]);
	}
	printf("bpf-unit: (time in the kernel's bpf_loop, 4 KiB reads, one run each: noisy)\n");
	printf("bpf-unit: %d built streams and %d captured (%zu bytes, %zu messages) in %d kernel "
	       "runs, %zu detection cases: %s\n",
	       ngood + nbad, ncap, bytes, msgs, runs, FS_NDETECT,
	       failures || detect_bad ? "DIFFERENCES" : "kernel and user space agree");
	for (j = 0; j < ngood; j++)
		fs_free(&good[j]);
	for (j = 0; j < nbad; j++)
		fs_free(&bad[j]);
	for (j = 0; j < ncap; j++)
		fs_free(&cap[j]);
	framing_prog__destroy(skel);
	return failures || detect_bad ? 1 : 0;
}
