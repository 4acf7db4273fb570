/*
 * Unit tests for user/recording.c: a written recording reads back to
 * snapshots whose JSON (json_out_snapshot) is byte-identical to what the
 * live run printed, with every field of the model kept (also those the JSON
 * does not show: histograms, slots, forecast band, pipeline stage). The
 * reader is fed hostile files: the file cut at every byte (at frame
 * boundaries it must return every complete snapshot, then say "truncated"),
 * every byte flipped, wrong magic, a future version, and hand-made frames
 * with lying counts and lengths; it must say why in one line and never
 * crash (this runs under ASan/UBSan). Files are created mode 0600.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "json_out.h"
#include "model.h"
#include "recording.h"
#include "services.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/st-rec-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void fill_hist(struct hist *h, unsigned seed)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		h->b[i] = (i * 7 + seed) % 5 == 0 ? (uint64_t)(i + 1) * (seed + 3) : 0;
}

/* A snapshot that sets every field, NaNs and odd values included. */
static void make_snapshot(struct snapshot *s, unsigned k, int summary, unsigned n_procs)
{
	memset(s, 0, sizeof(*s));
	s->is_summary = summary;
	s->time = 1700000000.123456789 + k;
	s->span_s = summary ? 12.5 : 1.000123;
	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		s->lost.kinds[i] = k * 10 + i;
	s->lost.recursion = k;
	s->host.cpus = k % 4; /* 0: not known */
	s->host.steal_s = k % 4 ? 0.0625 * k : NAN;
	s->pipeline.n_stages = k % 3;
	s->pipeline.bottleneck_pid = k % 3 ? 1002 : 0;
	s->pipeline.e2e_response_s = k % 3 ? 0.125 : NAN;
	if (k % 2)
		snprintf(s->whatif_spec, sizeof(s->whatif_spec), "rate=+%u%%,servers=%u", 10 * k,
			 k);
	s->has_threads = k % 2;
	s->has_conns = k % 3 == 0;
	s->n_procs = n_procs;
	s->procs = calloc(n_procs ? n_procs : 1, sizeof(*s->procs));
	assert_non_null(s->procs);
	for (unsigned i = 0; i < n_procs; i++) {
		struct proc_view *p = &s->procs[i];
		struct queue_figures *q = &p->queue;

		p->pid = 1000 + i;
		p->slot = i * 3 + k;
		snprintf(p->comm, sizeof(p->comm), "pr-%02u\"\\%c", i % 100, (char)(0x80 + i % 64));
		p->threads = i + 1;
		p->exited = i % 3 == 2;
		p->exit_code = i % 2 ? 0x8b : 7 << 8;
		p->oncpu_s = 0.25 * (i + 1) + k * 1e-9;
		p->offcpu_s = i % 2 ? NAN : 0.75;
		p->runq_wait_s = 1e-6 * i;
		p->runq_count = 17 + i;
		p->runq_max_ns = 12345.0 + i;
		fill_hist(&p->runq_hist, i + k);
		p->ctx_switches = 100 + i;
		p->invol_switches = 5 + i;
		p->rss_known = i % 2;
		p->rss_bytes = 1ull << (20 + i % 10);
		p->faults_known = i % 4 != 1;
		p->page_faults = 55;
		p->major_faults = 2;
		p->rx_bytes = UINT64_MAX - i;
		p->tx_bytes = 4096;
		p->rx_ops = 1000 + k;
		p->tx_ops = 999;
		p->net_known = i % 3 != 1;
		p->backlog_known = i % 2 == 0;
		p->backlog_bytes = 77;
		p->retransmits = 1;
		p->resets = 2;
		p->drops = 3;
		p->n_drop_reasons = i % 9;
		for (unsigned d = 0; d < p->n_drop_reasons; d++) {
			snprintf(p->drop_reasons[d].reason, sizeof(p->drop_reasons[d].reason),
				 "SKB_DROP_REASON_%u", d * 7 + i);
			p->drop_reasons[d].count = d + 100;
		}
		p->msgs_known = i % 3 != 2;
		p->rx_msgs = 16000 + k;
		p->tx_msgs_known = i % 2;
		p->tx_msgs = 15999;
		p->unit = i % 4 ? ST_UNIT_RESP : ST_UNIT_MIXED;
		p->fr_lost = i;
		p->n_units = i % 4 ? 1 : 2;
		for (unsigned u = 0; u < p->n_units; u++)
			p->units[u] = (struct unit_view){u ? ST_UNIT_TURN : 4, 100 + u, 1.5,
							 u ? NAN : 2.5};
		p->wait_timed_s = i % 2 ? NAN : 0.0004;
		p->arrival_cv2 = 1.25;
		p->service_cv2 = i % 3 ? 0.5 : NAN;
		fill_hist(&p->svc_hist, i * 2 + k + 1);
		p->wait_hist_known = i % 2;
		fill_hist(&p->wait_hist, i * 5 + k + 2);
		p->has_queue = i % 5 != 4;
		q->arrival_rate = 500.25 + i;
		q->throughput = 499.75;
		q->utilization = 0.5;
		q->service_time_s = 0.001;
		q->service_rate = 1000;
		q->servers = i + 1;
		q->rho = 0.5001;
		q->queue_length = 1.0 / 3.0;
		q->wait_s = 0.0009999;
		q->response_s = 0.0019999;
		q->saturated = i % 2;
		q->mm1_response_s = 0.002;
		q->mmc_response_s = INFINITY;
		q->mg1_response_s = NAN;
		q->gg1_response_s = -0.0;
		q->mm1_error = 0.01;
		q->mmc_error = -0.02;
		q->mg1_error = 1e-300;
		q->gg1_error = 1e300;
		q->little_l_lambda_w = 0.99;
		q->little_error = 0.001;
		p->has_forecast = i % 3 == 0;
		p->fc.horizon_s = 60;
		p->fc.arrival_rate = 600;
		p->fc.rho = 0.6;
		p->fc.response_s = 0.0025;
		p->fc.saturation_eta_s = i % 2 ? NAN : 3600;
		p->fc.arrival_lo = 550;
		p->fc.arrival_hi = 650;
		p->has_whatif = i % 2;
		p->wi.arrival_rate = 700.5;
		p->wi.service_time_s = 0.0011;
		p->wi.rho = 0.77;
		p->wi.response_s = NAN;
		p->wi.response_p99_s = 0.02;
		p->wi.gg_response_s = 0.004;
		p->wi.servers = 2 + i;
		p->stage = i % 4;
		p->bottleneck = i == 2;
		p->path_response_s = i % 3 ? 0.25 * i : NAN;
		p->n_thread_views = (k + i) % 3 ? 0 : 2 + i % 4;
		p->thread_views = p->n_thread_views
					  ? calloc(p->n_thread_views, sizeof(*p->thread_views))
					  : NULL;
		for (unsigned t = 0; t < p->n_thread_views; t++) {
			struct thread_view *tv = &p->thread_views[t];

			tv->tid = p->pid + t;
			snprintf(tv->comm, sizeof(tv->comm), "worker-%u", t % 100);
			tv->oncpu_s = 0.01 * t;
			tv->runq_wait_s = t % 2 ? NAN : 1e-4;
			tv->busy_s = 0.5;
			tv->switches = 10 * t;
			tv->syscalls = 100 + t;
			tv->rx_ops = 7;
		}
		p->n_conns = (k + i) % 2 ? 0 : 1 + i % 3;
		p->conns = p->n_conns ? calloc(p->n_conns, sizeof(*p->conns)) : NULL;
		for (unsigned c = 0; c < p->n_conns; c++) {
			struct conn_view *cv = &p->conns[c];

			snprintf(cv->proto, sizeof(cv->proto), c % 2 ? "udp" : "tcp");
			snprintf(cv->local, sizeof(cv->local), "127.0.0.1:%u", 7000 + c);
			snprintf(cv->remote, sizeof(cv->remote), c == 1 ? "" : "[::1]:%u",
				 40000 + c);
			cv->rx_bytes = 1000 * c;
			cv->rx_ops = c;
			cv->unit_rx = c % 10;
			cv->unit_tx = c % 3 ? ST_UNIT_RESP : 0;
			cv->tx_bytes = 2000 * c;
			cv->tx_ops = 2 * c;
			cv->backlog_bytes = c % 2 ? 0 : 512;
		}
		p->n_syscalls = i % 4 == 3 ? 0 : 3 + i % 5;
		p->syscalls = p->n_syscalls ? calloc(p->n_syscalls, sizeof(*p->syscalls)) : NULL;
		for (unsigned j = 0; j < p->n_syscalls; j++) {
			struct syscall_row *r = &p->syscalls[j];

			r->nr = j == 2 ? 9999 : j; /* one without a name */
			r->count = 1000 * (j + 1) + k;
			r->errors = j;
			r->total_ns = 123456789ull * (j + 1);
			r->max_ns = 1u << (10 + j);
			r->max_known = j != 1;
			fill_hist(&r->hist, j + i + k);
			r->n_errnos = j % 3 == 0 ? ST_MAX_ERRNOS_PER_SYSCALL : j;
			for (unsigned e = 0; e < r->n_errnos; e++) {
				r->errnos[e].err = (uint16_t)(e * 37 + 1);
				r->errnos[e].count = e + 1;
			}
		}
	}
}

static char *render(const struct snapshot *s, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	json_out_snapshot(f, s);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static int same_f64(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Every field, including those the JSON does not show. */
static void assert_same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	char *ja = render(a, NULL), *jb = render(b, NULL);

	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	assert_int_equal(a->is_summary, b->is_summary);
	assert_true(same_f64(a->time, b->time));
	assert_true(same_f64(a->span_s, b->span_s));
	assert_memory_equal(&a->lost, &b->lost, sizeof(a->lost));
	assert_int_equal(a->host.cpus, b->host.cpus);
	assert_true(same_f64(a->host.steal_s, b->host.steal_s));
	assert_int_equal(a->pipeline.n_stages, b->pipeline.n_stages);
	assert_int_equal(a->pipeline.bottleneck_pid, b->pipeline.bottleneck_pid);
	assert_true(same_f64(a->pipeline.e2e_response_s, b->pipeline.e2e_response_s));
	assert_string_equal(a->whatif_spec, b->whatif_spec);
	assert_int_equal(a->has_threads, b->has_threads);
	assert_int_equal(a->has_conns, b->has_conns);
	assert_int_equal(a->n_procs, b->n_procs);
	for (unsigned i = 0; i < a->n_procs; i++) {
		const struct proc_view *p = &a->procs[i], *q = &b->procs[i];

		assert_int_equal(p->pid, q->pid);
		assert_int_equal(p->slot, q->slot);
		assert_memory_equal(p->comm, q->comm, ST_COMM_LEN);
		assert_int_equal(p->threads, q->threads);
		assert_int_equal(p->exited, q->exited);
		assert_int_equal(p->exit_code, q->exit_code);
		assert_true(same_f64(p->offcpu_s, q->offcpu_s));
		assert_true(same_f64(p->runq_max_ns, q->runq_max_ns));
		assert_memory_equal(&p->runq_hist, &q->runq_hist, sizeof(struct hist));
		assert_memory_equal(&p->svc_hist, &q->svc_hist, sizeof(struct hist));
		assert_memory_equal(&p->wait_hist, &q->wait_hist, sizeof(struct hist));
		assert_int_equal(p->wait_hist_known, q->wait_hist_known);
		assert_int_equal(p->has_queue, q->has_queue);
		assert_true(same_f64(p->queue.mg1_response_s, q->queue.mg1_response_s));
		assert_true(same_f64(p->queue.gg1_response_s, q->queue.gg1_response_s));
		assert_true(same_f64(p->queue.little_error, q->queue.little_error));
		assert_int_equal(p->has_forecast, q->has_forecast);
		assert_true(same_f64(p->fc.arrival_lo, q->fc.arrival_lo));
		assert_true(same_f64(p->fc.arrival_hi, q->fc.arrival_hi));
		assert_true(same_f64(p->fc.saturation_eta_s, q->fc.saturation_eta_s));
		assert_int_equal(p->has_whatif, q->has_whatif);
		assert_true(same_f64(p->wi.arrival_rate, q->wi.arrival_rate));
		assert_true(same_f64(p->wi.service_time_s, q->wi.service_time_s));
		assert_true(same_f64(p->wi.rho, q->wi.rho));
		assert_true(same_f64(p->wi.response_s, q->wi.response_s));
		assert_true(same_f64(p->wi.response_p99_s, q->wi.response_p99_s));
		assert_true(same_f64(p->wi.gg_response_s, q->wi.gg_response_s));
		assert_int_equal(p->wi.servers, q->wi.servers);
		assert_int_equal(p->stage, q->stage);
		assert_int_equal(p->bottleneck, q->bottleneck);
		assert_true(same_f64(p->path_response_s, q->path_response_s));
		assert_int_equal(p->net_known, q->net_known);
		assert_int_equal(p->n_drop_reasons, q->n_drop_reasons);
		for (unsigned d = 0; d < p->n_drop_reasons; d++) {
			assert_string_equal(p->drop_reasons[d].reason, q->drop_reasons[d].reason);
			assert_int_equal(p->drop_reasons[d].count, q->drop_reasons[d].count);
		}
		assert_int_equal(p->msgs_known, q->msgs_known);
		assert_int_equal(p->rx_msgs, q->rx_msgs);
		assert_int_equal(p->tx_msgs_known, q->tx_msgs_known);
		assert_int_equal(p->tx_msgs, q->tx_msgs);
		assert_int_equal(p->unit, q->unit);
		assert_int_equal(p->fr_lost, q->fr_lost);
		assert_int_equal(p->n_units, q->n_units);
		for (unsigned u = 0; u < p->n_units; u++) {
			assert_int_equal(p->units[u].unit, q->units[u].unit);
			assert_int_equal(p->units[u].msgs, q->units[u].msgs);
			assert_true(same_f64(p->units[u].arrival_rate, q->units[u].arrival_rate));
			assert_true(same_f64(p->units[u].throughput, q->units[u].throughput));
		}
		assert_true(same_f64(p->wait_timed_s, q->wait_timed_s));
		assert_true(same_f64(p->arrival_cv2, q->arrival_cv2));
		assert_true(same_f64(p->service_cv2, q->service_cv2));
		assert_int_equal(p->n_thread_views, q->n_thread_views);
		for (unsigned t = 0; t < p->n_thread_views; t++) {
			const struct thread_view *x = &p->thread_views[t], *y = &q->thread_views[t];

			assert_int_equal(x->tid, y->tid);
			assert_memory_equal(x->comm, y->comm, ST_COMM_LEN);
			assert_true(same_f64(x->oncpu_s, y->oncpu_s));
			assert_true(same_f64(x->runq_wait_s, y->runq_wait_s));
			assert_true(same_f64(x->busy_s, y->busy_s));
			assert_int_equal(x->switches, y->switches);
			assert_int_equal(x->syscalls, y->syscalls);
			assert_int_equal(x->rx_ops, y->rx_ops);
		}
		assert_int_equal(p->n_conns, q->n_conns);
		for (unsigned c = 0; c < p->n_conns; c++) {
			const struct conn_view *x = &p->conns[c], *y = &q->conns[c];

			assert_string_equal(x->proto, y->proto);
			assert_string_equal(x->local, y->local);
			assert_string_equal(x->remote, y->remote);
			assert_int_equal(x->rx_bytes, y->rx_bytes);
			assert_int_equal(x->rx_ops, y->rx_ops);
			assert_int_equal(x->tx_bytes, y->tx_bytes);
			assert_int_equal(x->tx_ops, y->tx_ops);
			assert_int_equal(x->backlog_bytes, y->backlog_bytes);
			assert_int_equal(x->unit_rx, y->unit_rx);
			assert_int_equal(x->unit_tx, y->unit_tx);
		}
		assert_int_equal(p->n_syscalls, q->n_syscalls);
		for (unsigned j = 0; j < p->n_syscalls; j++) {
			const struct syscall_row *r = &p->syscalls[j], *t = &q->syscalls[j];

			assert_int_equal(r->nr, t->nr);
			assert_int_equal(r->total_ns, t->total_ns);
			assert_int_equal(r->max_known, t->max_known);
			assert_memory_equal(&r->hist, &t->hist, sizeof(struct hist));
			assert_int_equal(r->n_errnos, t->n_errnos);
			assert_memory_equal(r->errnos, t->errnos,
					    r->n_errnos * sizeof(struct errno_count));
		}
	}
}

#define N_SNAPS 5 /* 4 intervals and a summary */

static struct snapshot snaps[N_SNAPS];

static void make_run(void)
{
	for (unsigned k = 0; k < N_SNAPS; k++)
		make_snapshot(&snaps[k], k, k == N_SNAPS - 1, k == 0 ? 0 : 3 + 2 * k);
	/* --services in every other snapshot: they go through the file too
	 * (test_json_lines_identical compares them byte for byte) */
	for (unsigned k = 1; k < N_SNAPS; k += 2) {
		assert_int_equal(services_build(&snaps[k], NULL, 0, &snaps[k].services,
						&snaps[k].n_services),
				 0);
		snaps[k].has_services = 1;
		/* a pipeline stage over services: appended to the service record */
		snaps[k].services[0].stage = k;
		snaps[k].services[0].bottleneck = 1;
		snaps[k].services[0].path_response_s = 0.25 * k;
	}
}

static void free_run(void)
{
	for (unsigned k = 0; k < N_SNAPS; k++)
		snapshot_free(&snaps[k]);
}

static void make_meta(struct recording_meta *m)
{
	char *argv[] = {"streamtrace", "record",    "-o", "out file.str", "--", "sh",
			"-c",	       "echo 'hi'", NULL};

	recording_meta_init(m, 8, argv, "9.9.9-test", 0.5);
}

/*
 * Write the run to @path; @ends[k] is the file size after frame k (0: header
 * and metadata, k: snapshot k, N_SNAPS + 1: the end frame).
 */
static void write_run(const char *path, long ends[N_SNAPS + 2])
{
	struct recording_meta m;
	struct recording *rec;
	char err[256];
	struct stat st;

	make_meta(&m);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	assert_int_equal(stat(path, &st), 0);
	ends[0] = st.st_size;
	for (unsigned k = 0; k < N_SNAPS; k++) {
		assert_int_equal(recording_write(rec, &snaps[k]), 0);
		assert_int_equal(stat(path, &st), 0);
		ends[k + 1] = st.st_size;
	}
	assert_int_equal(recording_count(rec), N_SNAPS);
	assert_int_equal(recording_close(rec), 0);
	assert_int_equal(stat(path, &st), 0);
	ends[N_SNAPS + 1] = st.st_size;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * Byte positions worth cutting or flipping: every byte of the file header,
 * of each frame header and near each boundary, and every 11th byte of the
 * compressed payloads (all of them would only take longer under ASan).
 */
static int interesting(size_t i, const long ends[N_SNAPS + 2])
{
	if (i % 11 == 0)
		return 1;
	for (unsigned k = 0; k < N_SNAPS + 2; k++) {
		long start = k ? ends[k - 1] : 0;

		if ((long)i >= start && (long)i < start + 40)
			return 1;
		if ((long)i > ends[k] - 8 && (long)i <= ends[k])
			return 1;
	}
	return 0;
}

enum outcome {
	OUT_OPEN_FAILED,
	OUT_CLEAN, /* read to the end frame */
	OUT_TRUNCATED,
	OUT_CORRUPT,
};

/* Read a file held in memory; how it ended, snapshots read in *n. */
static enum outcome read_mem(const unsigned char *buf, size_t len, unsigned *n, int check,
			     char *why, size_t whylen)
{
	/* fmemopen needs at least one byte; a copy keeps ASan watching the end */
	unsigned char *copy = malloc(len ? len : 1);
	FILE *f;
	struct recording_meta m;
	struct recording *rec;
	struct snapshot s;
	char err[256] = "";
	int r;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	*n = 0;
	f = len ? fmemopen(copy, len, "rb") : fopen("/dev/null", "rb");
	assert_non_null(f);
	rec = recording_open_stream(f, "mem", &m, err, sizeof(err));
	if (!rec) {
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
		if (why)
			snprintf(why, whylen, "%s", err);
		free(copy);
		return OUT_OPEN_FAILED;
	}
	if (check) {
		assert_string_equal(m.version, "9.9.9-test");
		assert_true(m.interval_s == 0.5);
	}
	while ((r = recording_next(rec, &s)) == 1) {
		if (check && *n < N_SNAPS)
			assert_same_snapshot(&snaps[*n], &s);
		snapshot_free(&s);
		(*n)++;
	}
	assert_int_equal(recording_next(rec, &s), r); /* sticky */
	if (why)
		snprintf(why, whylen, "%s", recording_error(rec) ? recording_error(rec) : "");
	if (r < 0) {
		assert_non_null(recording_error(rec));
		assert_null(strchr(recording_error(rec), '\n'));
	}
	r = r < 0 ? OUT_CORRUPT : recording_truncated(rec) ? OUT_TRUNCATED : OUT_CLEAN;
	recording_close(rec);
	free(copy);
	return (enum outcome)r;
}

static void test_round_trip(void **state)
{
	char path[128];
	long ends[N_SNAPS + 2];
	struct recording_meta m, want;
	struct recording *rec;
	struct snapshot s;
	char err[256];
	struct stat st;
	unsigned n = 0;

	(void)state;
	make_run();
	tmp_path(path, sizeof(path), "rt.str");
	write_run(path, ends);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	rec = recording_open(path, &m, err, sizeof(err));
	assert_non_null(rec);
	make_meta(&want);
	assert_string_equal(m.host, want.host);
	assert_string_equal(m.kernel, want.kernel);
	assert_string_equal(m.arch, want.arch);
	assert_string_equal(m.cmdline,
			    "streamtrace record -o 'out file.str' -- sh -c 'echo '\\''hi'\\'''");
	assert_true(fabs(m.start_time - want.start_time) < 60);
	while (recording_next(rec, &s) == 1) {
		assert_true(n < N_SNAPS);
		assert_same_snapshot(&snaps[n], &s);
		snapshot_free(&s);
		n++;
	}
	assert_int_equal(n, N_SNAPS);
	assert_false(recording_truncated(rec));
	assert_null(recording_error(rec));
	assert_int_equal(recording_count(rec), N_SNAPS);
	recording_close(rec);
	free_run();
}

/* The JSON lines of a read-back run equal the live ones, byte for byte. */
static void test_json_lines_identical(void **state)
{
	char path[128], *live = NULL, *back = NULL;
	size_t llen = 0, blen = 0;
	long ends[N_SNAPS + 2];
	FILE *lf, *bf;
	struct recording_meta m;
	struct recording *rec;
	struct snapshot s;
	char err[256];

	(void)state;
	make_run();
	tmp_path(path, sizeof(path), "lines.str");
	write_run(path, ends);
	lf = open_memstream(&live, &llen);
	for (unsigned k = 0; k < N_SNAPS; k++)
		json_out_snapshot(lf, &snaps[k]);
	fclose(lf);
	bf = open_memstream(&back, &blen);
	rec = recording_open(path, &m, err, sizeof(err));
	assert_non_null(rec);
	while (recording_next(rec, &s) == 1) {
		json_out_snapshot(bf, &s);
		snapshot_free(&s);
	}
	recording_close(rec);
	fclose(bf);
	assert_int_equal(llen, blen);
	assert_memory_equal(live, back, llen);
	free(live);
	free(back);
	free_run();
}

/* Cut at every byte: whole frames come back, then "truncated"; never a crash. */
static void test_truncation_everywhere(void **state)
{
	char path[128], why[256];
	long ends[N_SNAPS + 2];
	unsigned char *buf;
	size_t len;

	(void)state;
	make_run();
	tmp_path(path, sizeof(path), "cut.str");
	write_run(path, ends);
	buf = slurp(path, &len);
	assert_int_equal((long)len, ends[N_SNAPS + 1]);
	for (size_t cut = 0; cut < len; cut++) {
		unsigned n, complete = 0;
		enum outcome o;

		if (!interesting(cut, ends))
			continue;
		o = read_mem(buf, cut, &n, 1, why, sizeof(why));

		for (unsigned k = 1; k <= N_SNAPS; k++)
			if ((long)cut >= ends[k])
				complete = k;
		if ((long)cut < ends[0]) {
			assert_int_equal(o, OUT_OPEN_FAILED);
			continue;
		}
		if (o != OUT_TRUNCATED)
			fail_msg("cut at %zu of %zu: outcome %d (%s)", cut, len, o, why);
		assert_int_equal(n, complete);
		assert_non_null(strstr(why, "cut short"));
		for (unsigned k = 0; k <= N_SNAPS + 1; k++)
			if ((long)cut == ends[k])
				assert_non_null(strstr(why, "frame boundary"));
	}
	free(buf);
	free_run();
}

/* Every byte flipped: never read as a whole, clean recording. */
static void test_flipped_bytes(void **state)
{
	char path[128], why[256];
	long ends[N_SNAPS + 2];
	unsigned char *buf;
	size_t len;
	unsigned corrupt = 0;

	(void)state;
	make_run();
	tmp_path(path, sizeof(path), "flip.str");
	write_run(path, ends);
	buf = slurp(path, &len);
	for (size_t i = 0; i < len; i++) {
		if (!interesting(i, ends))
			continue;
		for (unsigned bit = 0; bit < 8; bit += 7) {
			unsigned n;
			enum outcome o;

			buf[i] ^= (unsigned char)(1u << bit);
			o = read_mem(buf, len, &n, 0, why, sizeof(why));
			buf[i] ^= (unsigned char)(1u << bit);
			if (o == OUT_CLEAN)
				fail_msg("flipping bit %u of byte %zu went unnoticed", bit, i);
			corrupt += o == OUT_CORRUPT;
		}
	}
	/* most flips hit payload bytes, which the checksums catch as corrupt */
	assert_true(corrupt > len / 11);
	free(buf);
	free_run();
}

static void test_bad_magic_and_future_version(void **state)
{
	char path[128], why[256];
	long ends[N_SNAPS + 2];
	unsigned char *buf;
	size_t len;
	unsigned n;
	uint32_t crc;

	(void)state;
	make_run();
	tmp_path(path, sizeof(path), "ver.str");
	write_run(path, ends);
	buf = slurp(path, &len);

	buf[1] = 'X';
	assert_int_equal(read_mem(buf, len, &n, 0, why, sizeof(why)), OUT_OPEN_FAILED);
	assert_non_null(strstr(why, "not a streamtrace recording"));
	buf[1] = 'S';
	assert_int_equal(read_mem((const unsigned char *)"{\"type\": \"interval\"}\n", 21, &n, 0,
				  why, sizeof(why)),
			 OUT_OPEN_FAILED);
	assert_non_null(strstr(why, "not a streamtrace recording"));

	/* version 2.0 with a valid header checksum: a clear "newer" message */
	buf[8] = 2;
	buf[10] = 0; /* minor 0 */
	crc = (uint32_t)crc32(0L, buf, 12);
	for (unsigned i = 0; i < 4; i++)
		buf[12 + i] = (unsigned char)(crc >> (8 * i));
	assert_int_equal(read_mem(buf, len, &n, 0, why, sizeof(why)), OUT_OPEN_FAILED);
	assert_non_null(strstr(why, "format 2.0 is newer"));

	/* a newer minor of the same major reads */
	buf[8] = 1;
	buf[10] = 7;
	crc = (uint32_t)crc32(0L, buf, 12);
	for (unsigned i = 0; i < 4; i++)
		buf[12 + i] = (unsigned char)(crc >> (8 * i));
	assert_int_equal(read_mem(buf, len, &n, 1, why, sizeof(why)), OUT_CLEAN);
	assert_int_equal(n, N_SNAPS);

	/* version 0 */
	buf[8] = 0;
	crc = (uint32_t)crc32(0L, buf, 12);
	for (unsigned i = 0; i < 4; i++)
		buf[12 + i] = (unsigned char)(crc >> (8 * i));
	assert_int_equal(read_mem(buf, len, &n, 0, why, sizeof(why)), OUT_OPEN_FAILED);
	assert_non_null(strstr(why, "does not exist"));
	free(buf);
	free_run();
}

/* ---- hand-made hostile frames ---- */

struct craft {
	unsigned char *p;
	size_t len;
	uint32_t seq;
};

static void craft_bytes(struct craft *c, const void *src, size_t n)
{
	c->p = realloc(c->p, c->len + n);
	assert_non_null(c->p);
	memcpy(c->p + c->len, src, n);
	c->len += n;
}

static void le(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Append a frame (valid checksum) holding @payload; @ulen_lie != 0 overrides ulen. */
static void craft_frame(struct craft *c, const char *tag, uint32_t seq, const void *payload,
			size_t plen, uint32_t ulen_lie)
{
	uLongf clen = compressBound(plen);
	unsigned char *z = malloc(clen), hdr[20];
	uint32_t crc;

	assert_non_null(z);
	assert_int_equal(compress2(z, &clen, payload, plen, 6), Z_OK);
	memcpy(hdr, tag, 4);
	le(hdr + 4, seq, 4);
	le(hdr + 8, clen, 4);
	le(hdr + 12, ulen_lie ? ulen_lie : plen, 4);
	crc = (uint32_t)crc32(0L, hdr, 16);
	crc = (uint32_t)crc32(crc, z, clen);
	le(hdr + 16, crc, 4);
	craft_bytes(c, hdr, 20);
	craft_bytes(c, z, clen);
	free(z);
}

/* The real header and metadata frame of a written file, then nothing. */
static void craft_start(struct craft *c)
{
	char path[128];
	long ends[N_SNAPS + 2];
	unsigned char *buf;
	size_t len;

	make_run();
	tmp_path(path, sizeof(path), "craft.str");
	write_run(path, ends);
	free_run();
	buf = slurp(path, &len);
	c->p = NULL;
	c->len = 0;
	craft_bytes(c, buf, (size_t)ends[0]);
	c->seq = 1;
	free(buf);
}

static void expect_corrupt(struct craft *c, const char *msg)
{
	char why[256];
	unsigned n;
	enum outcome o = read_mem(c->p, c->len, &n, 0, why, sizeof(why));

	if (o != OUT_CORRUPT || !strstr(why, msg))
		fail_msg("want corrupt with '%s', got outcome %d: %s", msg, o, why);
	free(c->p);
}

/* A snapshot payload: flags, time, span, lost kinds, recursion, n_procs. */
static size_t snap_head(unsigned char *p, uint32_t n_lost, uint32_t n_procs)
{
	size_t o = 0;

	le(p + o, 0, 4), o += 4;
	le(p + o, 0, 8), o += 8;
	le(p + o, 0, 8), o += 8;
	le(p + o, n_lost, 4), o += 4;
	for (unsigned i = 0; i < n_lost && i < 8; i++)
		le(p + o, 0, 8), o += 8;
	le(p + o, 0, 8), o += 8;
	le(p + o, 0, 4), o += 4; /* pipeline: stages, bottleneck pid, e2e response */
	le(p + o, 0, 4), o += 4;
	le(p + o, 0, 8), o += 8;
	le(p + o, 0, 4), o += 4; /* what-if spec: empty string */
	le(p + o, 0, 4), o += 4; /* has_threads, has_conns */
	le(p + o, 0, 4), o += 4;
	le(p + o, n_procs, 4), o += 4;
	return o;
}

static void test_hostile_frames(void **state)
{
	struct craft c;
	unsigned char p[8192];
	size_t o;
	char why[256];
	unsigned n;

	(void)state;
	/* huge process count in a small frame */
	craft_start(&c);
	o = snap_head(p, 6, 0xffffffffu);
	craft_frame(&c, "SNAP", 1, p, o, 0);
	expect_corrupt(&c, "more processes than allowed");

	craft_start(&c);
	o = snap_head(p, 6, 5000);
	craft_frame(&c, "SNAP", 1, p, o, 0);
	expect_corrupt(&c, "process list runs past");

	/* too many lost kinds */
	craft_start(&c);
	o = snap_head(p, 1000, 0);
	craft_frame(&c, "SNAP", 1, p, o, 0);
	expect_corrupt(&c, "lost-event kinds");

	/* one process whose record claims more bytes than the frame has */
	craft_start(&c);
	o = snap_head(p, 6, 1);
	memset(p + o, 0, 600);
	le(p + o, 0x7fffffff, 4);
	craft_frame(&c, "SNAP", 1, p, o + 600, 0);
	expect_corrupt(&c, "longer than its frame");

	/* one process record that is too short for its fields */
	craft_start(&c);
	o = snap_head(p, 6, 1);
	memset(p + o, 0, 600);
	le(p + o, 100, 4);
	craft_frame(&c, "SNAP", 1, p, o + 600, 0);
	expect_corrupt(&c, "ends early");

	/* a histogram with 200 buckets */
	craft_start(&c);
	o = snap_head(p, 6, 1);
	memset(p + o, 0, 4000);
	le(p + o, 3000, 4);
	p[o + 4 + 76] = 200; /* runq_hist's bucket count, after 76 bytes of fields */
	craft_frame(&c, "SNAP", 1, p, o + 4000, 0);
	expect_corrupt(&c, "too many buckets");

	/* frames out of order, lying inflated size, unknown kinds skipped */
	craft_start(&c);
	o = snap_head(p, 6, 0);
	craft_frame(&c, "SNAP", 2, p, o, 0);
	expect_corrupt(&c, "found where frame 1 belongs");

	craft_start(&c);
	o = snap_head(p, 6, 0);
	craft_frame(&c, "SNAP", 1, p, o, (uint32_t)o + 1);
	expect_corrupt(&c, "does not inflate");

	craft_start(&c);
	o = snap_head(p, 6, 0);
	craft_frame(&c, "SNAP", 1, p, o, 60u << 20);
	expect_corrupt(&c, "impossible size");

	craft_start(&c);
	o = snap_head(p, 6, 0);
	craft_frame(&c, "NOTE", 1, "hello", 5, 0);
	craft_frame(&c, "SNAP", 2, p, o, 0);
	le(p, 1, 8);
	craft_frame(&c, "END!", 3, p, 8, 0);
	assert_int_equal(read_mem(c.p, c.len, &n, 0, why, sizeof(why)), OUT_CLEAN);
	assert_int_equal(n, 1);
	free(c.p);

	/* end frame with the wrong count, data after the end, second metadata */
	craft_start(&c);
	le(p, 3, 8);
	craft_frame(&c, "END!", 1, p, 8, 0);
	expect_corrupt(&c, "end frame counts 3");

	craft_start(&c);
	le(p, 0, 8);
	craft_frame(&c, "END!", 1, p, 8, 0);
	craft_bytes(&c, "x", 1);
	expect_corrupt(&c, "data after the end frame");

	craft_start(&c);
	craft_frame(&c, "META", 1, p, 8, 0);
	expect_corrupt(&c, "second metadata");

	/* a metadata string longer than its field: refused at open */
	c.p = NULL;
	c.len = 0;
	{
		unsigned char hdr[16] = {0x89, 'S', 'T', 'R', 'E', 'C', '\r', '\n', 1, 0, 0, 0};
		uint32_t crc = (uint32_t)crc32(0L, hdr, 12);

		le(hdr + 12, crc, 4);
		craft_bytes(&c, hdr, 16);
		memset(p, 'a', sizeof(p));
		le(p, 5000, 4);
		craft_frame(&c, "META", 0, p, 5004, 0);
		assert_int_equal(read_mem(c.p, c.len, &n, 0, why, sizeof(why)), OUT_OPEN_FAILED);
		assert_non_null(strstr(why, "longer than allowed"));
		free(c.p);
	}
}

static void test_many_processes(void **state)
{
	char path[128], err[256];
	struct snapshot s, back;
	struct recording_meta m;
	struct recording *rec;

	(void)state;
	make_snapshot(&s, 1, 1, 700);
	tmp_path(path, sizeof(path), "many.str");
	make_meta(&m);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	assert_int_equal(recording_write(rec, &s), 0);
	assert_int_equal(recording_close(rec), 0);
	rec = recording_open(path, &m, err, sizeof(err));
	assert_non_null(rec);
	assert_int_equal(recording_next(rec, &back), 1);
	assert_same_snapshot(&s, &back);
	snapshot_free(&back);
	assert_int_equal(recording_next(rec, &back), 0);
	assert_false(recording_truncated(rec));
	recording_close(rec);
	snapshot_free(&s);
}

static void test_create_mode_and_symlink(void **state)
{
	char path[128], link[128], err[256];
	struct recording_meta m;
	struct recording *rec;
	struct stat st;
	int fd;

	(void)state;
	make_meta(&m);
	tmp_path(path, sizeof(path), "existing.str");
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old contents", 12), 12);
	fchmod(fd, 0644);
	close(fd);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	assert_int_equal(recording_close(rec), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	tmp_path(link, sizeof(link), "link.str");
	assert_int_equal(symlink(path, link), 0);
	rec = recording_create(link, &m, err, sizeof(err));
	assert_null(rec);
	assert_non_null(strstr(err, "symlink"));

	rec = recording_create("/nonexistent-dir/x.str", &m, err, sizeof(err));
	assert_null(rec);
	assert_non_null(strstr(err, "No such file"));

	assert_null(recording_open(tmpdir, &m, err, sizeof(err)));
	assert_non_null(strstr(err, "directory"));
	assert_null(recording_open("/nonexistent-dir/x.str", &m, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(recording_close(NULL), 0);
}

/* A long command line is cut with "...", never overflowing its field. */
static void test_meta_long_cmdline(void **state)
{
	char *argv[64], big[2000];
	struct recording_meta m;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (int i = 0; i < 64; i++)
		argv[i] = big;
	recording_meta_init(&m, 64, argv, "1", 1);
	assert_true(strlen(m.cmdline) < sizeof(m.cmdline));
	assert_non_null(strstr(m.cmdline, "..."));
	recording_meta_init(&m, 0, argv, NULL, 1);
	assert_string_equal(m.cmdline, "");
}

/* --sample N rides in the metadata and comes back on every snapshot read;
 * a run that was not sampled reads as 1. */
static void test_meta_sample(void **state)
{
	unsigned want[] = {16, 0, 1};

	(void)state;
	make_run();
	for (unsigned i = 0; i < 3; i++) {
		struct recording_meta m, got;
		struct recording *rec;
		struct snapshot s;
		char path[128], err[256];

		tmp_path(path, sizeof(path), "sample.str");
		make_meta(&m);
		m.sample_every = want[i];
		rec = recording_create(path, &m, err, sizeof(err));
		assert_non_null(rec);
		assert_int_equal(recording_write(rec, &snaps[0]), 0);
		assert_int_equal(recording_close(rec), 0);
		rec = recording_open(path, &got, err, sizeof(err));
		assert_non_null(rec);
		assert_int_equal(got.sample_every, want[i] ? want[i] : 1);
		assert_int_equal(recording_next(rec, &s), 1);
		assert_int_equal(s.sample_every, want[i] ? want[i] : 1);
		snapshot_free(&s);
		recording_close(rec);
	}
	free_run();
}

/*
 * recording.c writes every field of these structs by name. A new field in
 * user/model.h changes their size: add it to w_proc/r_proc (or
 * w_syscall/r_syscall, w_snapshot/r_snapshot), then update the sizes here.
 */
static void test_model_unchanged(void **state)
{
	(void)state;
	if (sizeof(void *) != 8)
		skip();
	/* 2552 + folded_rows_over_cap: the Prometheus rendering's, of a live
	 * run only (recordings have no exposition), not recorded; + 16: the
	 * queue's M/G/1 with set-up, + 8: response_answered_s (recorded,
	 * minor 5) */
	assert_int_equal(sizeof(struct proc_view), 2592); /* + dispatch_asleep_s (minor 6) */
	assert_int_equal(sizeof(struct syscall_row), 568);
	/* 192 + attach, a live run's pointer that is deliberately not recorded
	 * (JSON "tracer" key: live summaries only), + services: not recorded,
	 * + the lost kind framing_lost, + the profile's three lost kinds and
	 * its pointer (recorded in its own PROF frame), + sample_every (in the
	 * metadata), + the lost kinds views_full and syscall_state_lost
	 * (w_snapshot writes every kind), + host (cpus, steal_s: minor 6) */
	assert_int_equal(sizeof(struct snapshot), 296);
	assert_int_equal(sizeof(struct thread_view), 72);
	assert_int_equal(sizeof(struct conn_view), 184);
	assert_int_equal(sizeof(struct pipeline_info), 16);
	/* 176 + mg1_setup_response_s, mg1_setup_error, response_answered_s
	 * (figures.c, minor 5), dispatch_asleep_s (minor 6) */
	assert_int_equal(sizeof(struct queue_figures), 208);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_json_lines_identical),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_bad_magic_and_future_version),
		cmocka_unit_test(test_hostile_frames),
		cmocka_unit_test(test_many_processes),
		cmocka_unit_test(test_create_mode_and_symlink),
		cmocka_unit_test(test_meta_long_cmdline),
		cmocka_unit_test(test_meta_sample),
		cmocka_unit_test(test_model_unchanged),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
