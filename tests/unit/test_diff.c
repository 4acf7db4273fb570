/*
 * Unit tests for user/diff.c on synthetic recordings of a queueing server
 * (Poisson arrivals, exponential service, per-interval noise in W the size a
 * real M/M/1 at ρ ≈ 0.5 shows over one-second intervals) and a batch worker
 * that makes failing syscalls. Two runs of the same workload with different
 * random seeds must pass, over many seed pairs (the noise tests at work);
 * service time +30% must fail naming service and response time; a
 * throughput drop, an error-count rise and a p99 shift of a few log2
 * buckets must each fail, named; small changes and changes inside one
 * bucket must pass. Unreadable, cut, corrupt or unrelated recordings exit 2.
 * The threshold parser takes what docs/ci.md shows and refuses the rest.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "diff.h"
#include "model.h"
#include "names.h"
#include "services.h"
#include "recording.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/st-diff-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- a deterministic workload generator ---- */

static uint64_t rng;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

static void hist_put(struct hist *h, double ns)
{
	unsigned b = 0;
	uint64_t v = ns < 1 ? 1 : (uint64_t)ns;

	while (v > 1 && b < HIST_BUCKETS - 1) {
		v >>= 1;
		b++;
	}
	h->b[b]++;
}

struct workload {
	unsigned intervals;
	double lambda;	       /* arrivals per second */
	double service_s;      /* mean service time */
	double read_wait_s;    /* mean latency of the server's reads (blocking for input) */
	double read_tail_mult; /* 3% of reads take this many times longer */
	double err_frac;       /* worker: fraction of its opens that fail */
	double w_noise;	       /* sd of log(mean response) between intervals */
	const char *server_comm;
	unsigned stage; /* the server's pipeline stage, 0 for none */
	uint64_t seed;
	int services; /* recorded with --services (by command name) */
	double steal; /* the host's steal, share of its 2 CPUs' time */
};

static const struct workload base_wl = {
	.intervals = 10,
	.lambda = 500,
	.service_s = 0.001,
	.read_wait_s = 0.0008,
	.read_tail_mult = 4,
	.err_frac = 0.02,
	.w_noise = 0.15,
	.server_comm = "qb-server",
	.seed = 1,
};

struct acc {
	double ops, arrivals, svc_sum, w_sum, wq_sum, oncpu;
	struct hist svc, wait;
	struct syscall_row read, write, openat;
	double w_max;
};

static void row_init(struct syscall_row *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->nr = (uint32_t)syscall_nr(name);
	r->max_known = 1;
}

static void row_sample(struct syscall_row *r, double s)
{
	r->count++;
	r->total_ns += (uint64_t)(s * 1e9);
	if ((uint64_t)(s * 1e9) > r->max_ns)
		r->max_ns = (uint64_t)(s * 1e9);
	hist_put(&r->hist, s * 1e9);
}

static void row_merge(struct syscall_row *d, const struct syscall_row *s)
{
	d->count += s->count;
	d->errors += s->errors;
	d->total_ns += s->total_ns;
	d->max_ns = s->max_ns > d->max_ns ? s->max_ns : d->max_ns;
	hist_add(&d->hist, &s->hist);
	if (s->n_errnos) {
		d->n_errnos = 1;
		d->errnos[0].err = s->errnos[0].err;
		d->errnos[0].count += s->errnos[0].count;
	}
}

/* One interval of both processes into @s; totals into @tot. */
static void make_interval(const struct workload *wl, unsigned k, struct snapshot *s,
			  struct acc *tot)
{
	double lam = wl->lambda, S = wl->service_s, rho = lam * S;
	unsigned arrivals = (unsigned)fmax(0, lround(lam + sqrt(lam) * gauss()));
	struct acc a;
	struct proc_view *srv, *wrk;
	double w_mean, svc_sum = 0, opens = 2000;

	memset(&a, 0, sizeof(a));
	row_init(&a.read, "read");
	row_init(&a.write, "write");
	row_init(&a.openat, "openat");
	for (unsigned i = 0; i < arrivals; i++) {
		double sv = -S * log(urand());
		double rd = -wl->read_wait_s * log(urand());

		svc_sum += sv;
		hist_put(&a.svc, sv * 1e9);
		if (urand() < 0.03)
			rd *= wl->read_tail_mult;
		row_sample(&a.read, rd);
		row_sample(&a.write, 5e-6 * (0.5 + urand()));
	}
	/* mean response over one interval of an M/M/1: noisy, ~15% (lognormal) */
	w_mean = S / (1 - fmin(rho, 0.95)) * exp(wl->w_noise * gauss());
	for (unsigned i = 0; i < arrivals; i++)
		hist_put(&a.wait, fmax(w_mean - S, 1e-6) * -log(urand()) * 1e9);
	for (unsigned i = 0; i < (unsigned)opens; i++) {
		row_sample(&a.openat, 8e-6 * (0.5 + urand()));
		if (urand() < wl->err_frac)
			a.openat.errors++;
	}
	if (a.openat.errors) {
		a.openat.n_errnos = 1;
		a.openat.errnos[0].err = ENOENT;
		a.openat.errnos[0].count = a.openat.errors;
	}

	memset(s, 0, sizeof(*s));
	s->time = 1700000000.0 + k + 1;
	s->span_s = 1;
	s->n_procs = 2;
	s->procs = calloc(2, sizeof(*s->procs));
	assert_non_null(s->procs);
	srv = &s->procs[0];
	wrk = &s->procs[1];
	srv->pid = 100;
	strncpy(srv->comm, wl->server_comm, ST_COMM_LEN);
	srv->stage = wl->stage;
	srv->threads = 1;
	srv->has_queue = arrivals > 0;
	srv->oncpu_s = svc_sum;
	srv->rx_ops = arrivals;
	srv->svc_hist = a.svc;
	srv->wait_hist_known = 1;
	srv->wait_hist = a.wait;
	srv->queue.arrival_rate = arrivals;
	srv->queue.throughput = arrivals;
	srv->queue.service_time_s = arrivals ? svc_sum / arrivals : NAN;
	srv->queue.servers = 1;
	srv->queue.rho = rho;
	srv->queue.utilization = svc_sum;
	srv->queue.response_s = fmax(w_mean, srv->queue.service_time_s);
	srv->queue.wait_s = srv->queue.response_s - srv->queue.service_time_s;
	srv->n_syscalls = 2;
	srv->syscalls = calloc(2, sizeof(*srv->syscalls));
	assert_non_null(srv->syscalls);
	srv->syscalls[0] = a.read;
	srv->syscalls[1] = a.write;
	wrk->pid = 200;
	strncpy(wrk->comm, "worker", ST_COMM_LEN);
	wrk->threads = 1;
	wrk->oncpu_s = 0.1;
	wrk->n_syscalls = 1;
	wrk->syscalls = calloc(1, sizeof(*wrk->syscalls));
	assert_non_null(wrk->syscalls);
	wrk->syscalls[0] = a.openat;

	tot->ops += arrivals;
	tot->svc_sum += svc_sum;
	tot->w_sum += srv->queue.response_s * arrivals;
	tot->wq_sum += srv->queue.wait_s * arrivals;
	hist_add(&tot->svc, &a.svc);
	hist_add(&tot->wait, &a.wait);
	row_merge(&tot->read, &a.read);
	row_merge(&tot->write, &a.write);
	row_merge(&tot->openat, &a.openat);
}

static void make_summary(const struct workload *wl, const struct acc *t, struct snapshot *s)
{
	struct proc_view *srv, *wrk;
	double span = wl->intervals;

	memset(s, 0, sizeof(*s));
	s->is_summary = 1;
	s->time = 1700000000.0 + wl->intervals;
	s->span_s = span;
	s->host.cpus = 2;
	s->host.steal_s = wl->steal * 2 * span;
	s->n_procs = 2;
	s->procs = calloc(2, sizeof(*s->procs));
	assert_non_null(s->procs);
	srv = &s->procs[0];
	wrk = &s->procs[1];
	srv->pid = 100;
	strncpy(srv->comm, wl->server_comm, ST_COMM_LEN);
	srv->stage = wl->stage;
	srv->has_queue = 1;
	srv->oncpu_s = t->svc_sum;
	srv->svc_hist = t->svc;
	srv->wait_hist_known = 1;
	srv->wait_hist = t->wait;
	srv->queue.arrival_rate = t->ops / span;
	srv->queue.throughput = t->ops / span;
	srv->queue.service_time_s = t->svc_sum / t->ops;
	srv->queue.response_s = t->w_sum / t->ops;
	srv->queue.wait_s = t->wq_sum / t->ops;
	srv->queue.servers = 1;
	srv->queue.utilization = t->svc_sum / span; /* a service's S is U·c/X */
	srv->n_syscalls = 2;
	srv->syscalls = calloc(2, sizeof(*srv->syscalls));
	assert_non_null(srv->syscalls);
	srv->syscalls[0] = t->read;
	srv->syscalls[1] = t->write;
	wrk->pid = 200;
	strncpy(wrk->comm, "worker", ST_COMM_LEN);
	wrk->oncpu_s = 0.1 * span;
	wrk->n_syscalls = 1;
	wrk->syscalls = calloc(1, sizeof(*wrk->syscalls));
	assert_non_null(wrk->syscalls);
	wrk->syscalls[0] = t->openat;
}

/* --services: the snapshot's processes as services by command name */
static void with_services(const struct workload *wl, struct snapshot *s)
{
	if (!wl->services)
		return;
	assert_int_equal(services_build(s, NULL, 0, &s->services, &s->n_services), 0);
	s->has_services = 1;
}

static void record(const struct workload *wl, const char *name, char *path, size_t len)
{
	struct recording_meta m;
	struct recording *rec;
	char err[256];
	struct acc tot;
	struct snapshot s;

	snprintf(path, len, "%s/%s", tmpdir, name);
	recording_meta_init(&m, 0, NULL, "test", 1.0);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	rng = 0x9E3779B97F4A7C15ull * (wl->seed + 1);
	memset(&tot, 0, sizeof(tot));
	row_init(&tot.read, "read");
	row_init(&tot.write, "write");
	row_init(&tot.openat, "openat");
	for (unsigned k = 0; k < wl->intervals; k++) {
		make_interval(wl, k, &s, &tot);
		with_services(wl, &s);
		assert_int_equal(recording_write(rec, &s), 0);
		snapshot_free(&s);
	}
	make_summary(wl, &tot, &s);
	with_services(wl, &s);
	assert_int_equal(recording_write(rec, &s), 0);
	snapshot_free(&s);
	assert_int_equal(recording_close(rec), 0);
}

struct result {
	int status;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_diff(struct result *r, const char *a, const char *b, struct diff_options *o)
{
	FILE *of = open_memstream(&r->out, &r->out_len), *ef = open_memstream(&r->err, &r->err_len);

	assert_non_null(of);
	assert_non_null(ef);
	o->out = of;
	o->err = ef;
	r->status = diff_main(a, b, o);
	fclose(of);
	fclose(ef);
	o->out = o->err = NULL;
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* The line of the table for @entity and @metric contains @want. */
static int row_says(const char *out, const char *entity, const char *metric, const char *want)
{
	const char *p = out;

	while ((p = strstr(p, entity))) {
		const char *eol = strchr(p, '\n'), *m = strstr(p, metric), *w = strstr(p, want);

		if (eol && m && w && m < eol && w < eol && (p == out || p[-1] == '\n'))
			return 1;
		p++;
	}
	return 0;
}

static void diff_expect(const struct workload *b, const struct workload *n, int want,
			struct result *r)
{
	char pb[128], pn[128];
	struct diff_options o;

	diff_options_init(&o);
	record(b, "base.str", pb, sizeof(pb));
	record(n, "new.str", pn, sizeof(pn));
	run_diff(r, pb, pn, &o);
	if (r->status != want)
		fail_msg("diff exited %d, want %d:\n%s%s", r->status, want, r->out, r->err);
}

/* A run on a host whose hypervisor took 10% of the CPUs: said, as a
 * possible cause, not judged (the verdict is the figures'); none when both
 * runs had the same. */
static void test_steal_noted(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	n.seed = 2;
	n.steal = 0.10;
	diff_expect(&b, &n, 0, &r);
	assert_non_null(strstr(r.out, "note: the hypervisor took 0.0% of the host's CPU time in "
				      "base and 10.0% in new"));
	result_free(&r);
	n.steal = 0.01;
	diff_expect(&b, &n, 0, &r);
	assert_null(strstr(r.out, "hypervisor"));
	result_free(&r);
}

/* Same workload, different seeds: never a regression. */
static void test_same_workload_passes(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	for (unsigned seed = 0; seed < 25; seed++) {
		b.seed = 1000 + 2 * seed;
		n.seed = 1001 + 2 * seed;
		diff_expect(&b, &n, 0, &r);
		assert_non_null(strstr(r.out, "diff: no regression beyond thresholds"));
		result_free(&r);
	}
}

/*
 * A noisy server (W varies ±50% from one interval to the next): whole-run
 * means often differ by more than the 20% threshold between two runs of the
 * same workload, and the rank test over intervals must call that noise.
 */
static void test_noisy_workload_passes(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;
	unsigned noisy = 0;

	(void)state;
	b.w_noise = n.w_noise = 0.5;
	for (unsigned seed = 0; seed < 25; seed++) {
		b.seed = 5000 + 2 * seed;
		n.seed = 5001 + 2 * seed;
		diff_expect(&b, &n, 0, &r);
		noisy += row_says(r.out, "qb-server", "response time", "noise (beyond +20%");
		result_free(&r);
	}
	print_message("      %u of 25 same-workload pairs moved W beyond +20%%: noise\n", noisy);
	assert_true(noisy >= 2);

	/* and a real +60% on the same noisy server is still caught */
	b.seed = 77;
	n.seed = 78;
	n.service_s *= 1.6;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "qb-server", "response time", "REGRESSED"));
	result_free(&r);
}

static void test_service_slower_fails(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	n.seed = 2;
	n.service_s *= 1.3;
	diff_expect(&b, &n, 1, &r);
	if (getenv("ST_TEST_SHOW"))
		print_message("%s", r.out);
	assert_true(row_says(r.out, "qb-server", "service time", "REGRESSED"));
	assert_true(row_says(r.out, "qb-server", "response time", "REGRESSED"));
	assert_non_null(strstr(r.out, "diff: "));
	assert_non_null(strstr(r.out, "qb-server service time +"));
	assert_non_null(strstr(r.out, "(threshold +20%)"));
	assert_false(row_says(r.out, "worker", "errors", "REGRESSED"));
	result_free(&r);

	/* the other way round is an improvement, not a failure */
	diff_expect(&n, &b, 0, &r);
	assert_true(row_says(r.out, "qb-server", "service time", "improved"));
	result_free(&r);
}

/*
 * With --services in both runs each service is compared too: a slower server
 * regresses as a service (named in the SERVICE rows and in the JSON), the
 * same workload does not, and a run without services has no SERVICE rows.
 */
static void test_services_compared(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct diff_options o;
	struct result r;

	(void)state;
	b.services = n.services = 1;
	n.seed = 2;
	diff_expect(&b, &n, 0, &r);
	assert_non_null(strstr(r.out, "\nSERVICE "));
	assert_true(row_says(r.out, "qb-server", "service time", "ok"));
	assert_null(strstr(r.out, "regressed (above)"));
	result_free(&r);

	n.service_s *= 1.3;
	diff_expect(&b, &n, 1, &r);
	assert_non_null(strstr(r.out, "regressed (above)"));
	{
		const char *sv = strstr(r.out, "\nSERVICE ");

		assert_non_null(sv);
		if (!row_says(sv, "qb-server", "service time", "regressed (p="))
			fail_msg("%s", sv);
	}
	result_free(&r);

	char pb[512], pn[512];

	record(&b, "svc-b.strec", pb, sizeof(pb));
	record(&n, "svc-n.strec", pn, sizeof(pn));
	diff_options_init(&o);
	o.json = 1;
	run_diff(&r, pb, pn, &o);
	assert_int_equal(r.status, 1);
	{
		const char *sr = strstr(r.out, "\"service_regressions\":[");

		assert_non_null(sr);
		assert_non_null(strstr(sr, "\"qb-server service time\""));
	}
	result_free(&r);

	b.services = 0;
	diff_expect(&b, &n, 1, &r);
	assert_null(strstr(r.out, "\nSERVICE "));
	result_free(&r);
}

static void test_small_change_passes(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	n.seed = 3;
	n.service_s *= 1.05;
	diff_expect(&b, &n, 0, &r);
	result_free(&r);
}

static void test_throughput_drop_fails(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	n.seed = 4;
	n.lambda = 350;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "qb-server", "throughput", "REGRESSED"));
	assert_non_null(strstr(r.out, "qb-server throughput -"));
	result_free(&r);
}

static void test_error_rise_fails(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	n.seed = 5;
	n.err_frac = 0.05;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "worker", "errors: openat", "REGRESSED"));
	assert_true(row_says(r.out, "worker", "errors: openat", "ENOENT +"));
	assert_true(row_says(r.out, "worker", "syscall errors", "REGRESSED"));
	result_free(&r);

	/* from none at all */
	b.err_frac = 0;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "worker", "errors: openat", "new"));
	result_free(&r);

	/* a handful more errors than usual is within noise */
	b.err_frac = 0.02;
	n.err_frac = 0.021;
	diff_expect(&b, &n, 0, &r);
	result_free(&r);
}

static void test_p99_shift(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	/* the slowest 3% of reads 4x -> 32x the mean: three buckets up */
	n.seed = 6;
	n.read_tail_mult = 32;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "qb-server", "p99 read", "REGRESSED"));
	result_free(&r);

	/* 4x -> 4.5x: within the bucket's resolution, and so not called */
	n.read_tail_mult = 4.5;
	diff_expect(&b, &n, 0, &r);
	result_free(&r);
}

static void test_stage_matching(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	b.stage = 1;
	n.stage = 1;
	n.server_comm = "qb-renamed";
	n.seed = 7;
	n.service_s *= 1.5;
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "stage 1 (qb-server)", "service time", "REGRESSED"));
	result_free(&r);

	/* the pipeline numbered differently in the new run: matched by command name */
	n.stage = 2;
	n.server_comm = "qb-server";
	diff_expect(&b, &n, 1, &r);
	assert_true(row_says(r.out, "stage 1 (qb-server)", "service time", "REGRESSED"));
	assert_null(strstr(r.out, "only in"));
	result_free(&r);
}

static void test_thresholds_options(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct diff_options o;
	char pb[128], pn[128], err[400];
	struct result r;

	(void)state;
	n.seed = 8;
	n.service_s *= 1.3;
	record(&b, "base.str", pb, sizeof(pb));
	record(&n, "new.str", pn, sizeof(pn));
	diff_options_init(&o);
	assert_int_equal(diff_parse_threshold(&o, "service=+40%", err, sizeof(err)), 0);
	assert_int_equal(diff_parse_threshold(&o, "response=off", err, sizeof(err)), 0);
	assert_int_equal(diff_parse_threshold(&o, "wait=off", err, sizeof(err)), 0);
	run_diff(&r, pb, pn, &o);
	if (r.status != 0)
		fail_msg("%s", r.out);
	result_free(&r);

	/* an absolute threshold too: +30% is 0.3 ms, under 1 ms */
	diff_options_init(&o);
	assert_int_equal(diff_parse_threshold(&o, "service=+1ms", err, sizeof(err)), 0);
	assert_int_equal(diff_parse_threshold(&o, "response=off", err, sizeof(err)), 0);
	assert_true(o.th[DIFF_SERVICE].abs == 1e-3);
	run_diff(&r, pb, pn, &o);
	assert_int_equal(r.status, 0);
	result_free(&r);

	/* --json: one object, status and named regressions */
	diff_options_init(&o);
	o.json = 1;
	run_diff(&r, pb, pn, &o);
	assert_int_equal(r.status, 1);
	assert_int_equal(r.out[r.out_len - 1], '\n');
	assert_ptr_equal(strchr(r.out, '\n'), r.out + r.out_len - 1);
	assert_non_null(strstr(r.out, "\"type\":\"diff\""));
	assert_non_null(strstr(r.out, "\"status\":1"));
	assert_non_null(strstr(r.out, "\"regressions\":[\"qb-server response time\""));
	assert_non_null(strstr(r.out, "\"metric\":\"service_time_s\""));
	if (access("/usr/bin/python3", X_OK) == 0) {
		char path[160];
		FILE *f;

		snprintf(path, sizeof(path), "%s/diff.json", tmpdir);
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(r.out, 1, r.out_len, f);
		fclose(f);
		snprintf(err, sizeof(err),
			 "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
			 "sys.exit(0 if d[\"status\"]==1 and d[\"rows\"] else 1)'",
			 path);
		assert_int_equal(system(err), 0);
	}
	result_free(&r);

	/* --all shows every syscall row */
	diff_options_init(&o);
	o.all_rows = 1;
	run_diff(&r, pb, pn, &o);
	assert_non_null(strstr(r.out, "p99 write"));
	assert_null(strstr(r.out, "more rows within"));
	result_free(&r);
}

static void test_parse_threshold(void **state)
{
	struct diff_options o;
	char err[200];
	static const char *const bad[] = {
		"response",	    "=5%",	     "response=",
		"response=abc",	    "response=-20%", "throughput=+10%",
		"errors=+5ms",	    "p99=+5parsecs", "bogus=+5%",
		"alpha=0",	    "alpha=0.7",     "alpha=x",
		"response=+1e999%", "response=+-5%",
	};

	(void)state;
	diff_options_init(&o);
	assert_true(o.th[DIFF_RESPONSE].enabled && o.th[DIFF_RESPONSE].rel == 0.20);
	assert_true(o.th[DIFF_THROUGHPUT].rel == 0.10);
	assert_false(o.th[DIFF_WAIT].enabled);
	assert_true(o.alpha == 0.001);

	assert_int_equal(diff_parse_threshold(&o, "response=+25%", err, sizeof(err)), 0);
	assert_true(fabs(o.th[DIFF_RESPONSE].rel - 0.25) < 1e-12);
	assert_int_equal(diff_parse_threshold(&o, "throughput=-5%", err, sizeof(err)), 0);
	assert_true(fabs(o.th[DIFF_THROUGHPUT].rel - 0.05) < 1e-12);
	assert_int_equal(diff_parse_threshold(&o, "throughput=15%", err, sizeof(err)), 0);
	assert_int_equal(diff_parse_threshold(&o, "p99=+500us", err, sizeof(err)), 0);
	assert_true(fabs(o.th[DIFF_P99].abs - 500e-6) < 1e-15);
	assert_int_equal(diff_parse_threshold(&o, "wait=+2ms", err, sizeof(err)), 0);
	assert_true(o.th[DIFF_WAIT].enabled);
	assert_int_equal(diff_parse_threshold(&o, "errors=+5", err, sizeof(err)), 0);
	assert_true(o.th[DIFF_ERRORS].abs == 5);
	assert_int_equal(diff_parse_threshold(&o, "cpu=+10%", err, sizeof(err)), 0);
	assert_true(o.th[DIFF_CPU].enabled);
	assert_int_equal(diff_parse_threshold(&o, "CPU=off", err, sizeof(err)), 0);
	assert_false(o.th[DIFF_CPU].enabled);
	assert_int_equal(diff_parse_threshold(&o, "alpha=0.05", err, sizeof(err)), 0);
	assert_true(o.alpha == 0.05);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (diff_parse_threshold(&o, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
	diff_parse_threshold(&o, "throughput=+10%", err, sizeof(err));
	assert_non_null(strstr(err, "throughput regresses when it drops"));
	assert_string_equal(diff_metric_name(DIFF_P99), "p99");
}

static void test_bad_inputs(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct diff_options o;
	char pb[128], pn[128], cut[160], cmd[512];
	struct result r;
	int fd;

	(void)state;
	diff_options_init(&o);
	record(&b, "base.str", pb, sizeof(pb));

	run_diff(&r, pb, "/nonexistent/new.str", &o);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "No such file"));
	assert_int_equal(r.out_len, 0);
	result_free(&r);

	run_diff(&r, "/etc/passwd", pb, &o);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not a streamtrace recording"));
	result_free(&r);

	/* cut short: no summary */
	snprintf(cut, sizeof(cut), "%s/cut.str", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && truncate -s -100 '%s'", pb, cut, cut);
	assert_int_equal(system(cmd), 0);
	run_diff(&r, pb, cut, &o);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cut short"));
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)r.err_len);
	result_free(&r);

	/* corrupt */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", pb, cut);
	assert_int_equal(system(cmd), 0);
	fd = open(cut, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x55", 1, 300), 1);
	close(fd);
	run_diff(&r, cut, pb, &o);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "corrupt recording"));
	result_free(&r);

	/* nothing in common */
	n.server_comm = "other";
	record(&n, "new.str", pn, sizeof(pn));
	{
		/* the worker is common to both: rename it away in a third recording */
		struct recording_meta m;
		struct recording *rec;
		struct snapshot s = {0};
		char err[256];
		struct proc_view p = {0};

		snprintf(pn, sizeof(pn), "%s/alien.str", tmpdir);
		recording_meta_init(&m, 0, NULL, "test", 1.0);
		rec = recording_create(pn, &m, err, sizeof(err));
		assert_non_null(rec);
		p.pid = 7;
		strncpy(p.comm, "alien", ST_COMM_LEN);
		s.is_summary = 1;
		s.span_s = 1;
		s.n_procs = 1;
		s.procs = &p;
		assert_int_equal(recording_write(rec, &s), 0);
		assert_int_equal(recording_close(rec), 0);
	}
	run_diff(&r, pb, pn, &o);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no process in common"));
	result_free(&r);
}

/* Too few intervals for rank tests: thresholds alone, and said so. */
static void test_few_intervals(void **state)
{
	struct workload b = base_wl, n = base_wl;
	struct result r;

	(void)state;
	b.intervals = 3;
	n.intervals = 3;
	n.seed = 9;
	n.service_s *= 1.3;
	diff_expect(&b, &n, 1, &r);
	assert_non_null(strstr(r.out, "fewer than 7 intervals"));
	assert_true(row_says(r.out, "qb-server", "response time", "untested"));
	result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steal_noted),
		cmocka_unit_test(test_same_workload_passes),
		cmocka_unit_test(test_noisy_workload_passes),
		cmocka_unit_test(test_service_slower_fails),
		cmocka_unit_test(test_small_change_passes),
		cmocka_unit_test(test_services_compared),
		cmocka_unit_test(test_throughput_drop_fails),
		cmocka_unit_test(test_error_rise_fails),
		cmocka_unit_test(test_p99_shift),
		cmocka_unit_test(test_stage_matching),
		cmocka_unit_test(test_thresholds_options),
		cmocka_unit_test(test_parse_threshold),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_few_intervals),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
