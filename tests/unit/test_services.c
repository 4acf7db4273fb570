/*
 * Unit tests for user/services.c: processes grouped by their attributes (or
 * command name), the station's figures from the members' totals (λ, X, busy,
 * waits weighted by arrivals, dispatch by completions), the capacity bounded
 * by the CPUs the members may use, CPU contention and its saturation rule,
 * the parsers of cpu.max, /proc/PID/cgroup and /proc/net/tcp lines, and the
 * pipeline over services.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline.h"
#include "services.h"

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.17g, want %.17g (tol %g)", got, want, tol);
}

/* A process over a 10 s span: λ = X = lam, busy = U·c·10, S = busy/ops. */
static void proc(struct proc_view *p, uint32_t pid, const char *comm, double lam, double busy,
		 unsigned servers, double wq, double d, double oncpu, double runq)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	strncpy(p->comm, comm, sizeof(p->comm) - 1);
	p->net_known = 1;
	p->rx_ops = (uint64_t)(lam * 10);
	p->oncpu_s = oncpu;
	p->runq_wait_s = runq;
	p->has_queue = 1;
	p->busy_known = 1;
	p->busy_s = busy;
	p->arrival_cv2 = p->service_cv2 = 1;
	p->queue.arrival_rate = p->queue.throughput = lam;
	p->queue.servers = servers;
	p->queue.utilization = busy / (servers * 10.0);
	p->queue.service_time_s = busy / (lam * 10);
	p->queue.wait_s = wq;
	p->queue.dispatch_s = d;
	p->queue.queue_length = busy / 10;
}

static struct service_attr attr(uint32_t pid, const char *key, unsigned ncpus, double quota)
{
	struct service_attr a;

	memset(&a, 0, sizeof(a));
	a.pid = pid;
	snprintf(a.key, sizeof(a.key), "%s", key);
	a.cpus_known = ncpus > 0;
	for (unsigned c = 0; c < ncpus; c++)
		a.cpus[c / 64] |= 1ull << (c % 64);
	a.quota_cpus = quota;
	return a;
}

/*
 * Two "db" processes (by attribute) and one "web" (by name). db: 100/s at
 * 2 ms (busy 2 s) with Wq 1 ms, and 300/s at 1 ms (busy 3 s) with Wq 3 ms;
 * D 10 µs and 30 µs. As one station: λ = 400/s, busy 5 s over 4000 ops, S =
 * 1.25 ms, c = 2 threads, U = (5 + 0.1) / 20, Wq = (1·1000 + 3·3000)/4000 =
 * 2.5 ms, D = (10·1000 + 30·3000)/4000 µs = 25 µs, ρ = 400 · 1.25 ms / 2.
 */
static void test_group_and_station(void **state)
{
	struct snapshot s;
	struct proc_view p[3];
	struct service_attr a[] = {attr(1, "db", 4, NAN), attr(2, "db", 4, NAN)};
	struct service_view *v;
	unsigned n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.span_s = 10;
	proc(&p[0], 1, "postgres", 100, 2, 1, 0.001, 10e-6, 2, 0.1);
	proc(&p[1], 2, "postgres", 300, 3, 1, 0.003, 30e-6, 3, 0.1);
	proc(&p[2], 3, "nginx", 50, 1, 1, 0, 0, 1, 0);
	s.procs = p;
	s.n_procs = 3;
	assert_int_equal(services_build(&s, a, 2, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "db");
	assert_int_equal(v[0].n_pids, 2);
	assert_int_equal(v[0].pids[1], 2);
	assert_string_equal(v[1].name, "nginx");
	assert_close(v[0].queue.arrival_rate, 400, 1e-9);
	assert_close(v[0].queue.service_time_s, 0.00125, 1e-15);
	assert_int_equal(v[0].queue.servers, 2);
	assert_int_equal(v[0].capacity_servers, 2);
	/* U counts dispatch: (5 s + 4000 x 25 µs) / 20 s */
	assert_close(v[0].queue.utilization, 5.1 / 20, 1e-12);
	assert_close(v[0].queue.wait_s, 0.0025, 1e-15);
	assert_close(v[0].queue.dispatch_s, 25e-6, 1e-15);
	assert_close(v[0].queue.rho, 0.25, 1e-12);
	assert_close(v[0].queue.response_s, 25e-6 + 0.0025 + 0.00125, 1e-15);
	assert_close(v[0].cpus, 4, 0);
	assert_close(v[0].cpu_demand, 5.2 / 40, 1e-12);
	assert_false(v[0].cpu_saturated);
	assert_false(v[0].queue.saturated);
	assert_true(isnan(v[1].cpus)); /* no attributes: not known */
	assert_int_equal(v[0].rx_ops, 4000);
	services_free(v, n);
}

/*
 * Four backends on one CPU: each 50/s at 4 ms of busy per op (busy 2 s of
 * 10, much of it on the run queue): 3 s on the CPU, 6 s waiting for it,
 * across all four. c = 4 threads but one CPU: capacity 1, ρ = 200 · 4 ms / 1
 * = 0.8... and the CPU rule: demand (3 + 6) / (1 × 10) = 0.9, run-queue
 * share 6 / 9 = 0.67: saturated, models null.
 */
static void test_cpu_bound_service(void **state)
{
	struct snapshot s;
	struct proc_view p[4];
	struct service_attr a[4];
	struct service_view *v;
	unsigned n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.span_s = 10;
	for (unsigned i = 0; i < 4; i++) {
		proc(&p[i], 10 + i, "postgres", 50, 2, 1, 0, 0, 0.75, 1.5);
		a[i] = attr(10 + i, "", 1, NAN);
	}
	s.procs = p;
	s.n_procs = 4;
	assert_int_equal(services_build(&s, a, 4, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "postgres");
	assert_int_equal(v[0].queue.servers, 4);
	assert_int_equal(v[0].capacity_servers, 1);
	assert_close(v[0].queue.rho, 0.8, 1e-12);
	assert_close(v[0].cpu_demand, 0.9, 1e-12);
	assert_close(v[0].runq_share, 6.0 / 9, 1e-12);
	assert_true(v[0].cpu_saturated);
	assert_true(v[0].queue.saturated);
	assert_true(isnan(v[0].queue.mm1_response_s));
	assert_true(isnan(v[0].queue.mmc_response_s));
	services_free(v, n);

	/* the same load on four CPUs: demand 9 / 40, not saturated */
	for (unsigned i = 0; i < 4; i++)
		a[i] = attr(10 + i, "", 4, NAN);
	assert_int_equal(services_build(&s, a, 4, &v, &n), 0);
	assert_int_equal(v[0].capacity_servers, 4);
	assert_close(v[0].queue.rho, 0.2, 1e-12);
	assert_false(v[0].cpu_saturated);
	assert_false(v[0].queue.saturated);
	assert_false(isnan(v[0].queue.mmc_response_s));
	services_free(v, n);

	/* four CPUs but a cgroup quota of 1.5 CPUs: capacity 1 (floor) */
	for (unsigned i = 0; i < 4; i++)
		a[i] = attr(10 + i, "", 4, 1.5);
	assert_int_equal(services_build(&s, a, 4, &v, &n), 0);
	assert_close(v[0].cpus, 1.5, 0);
	assert_int_equal(v[0].capacity_servers, 1);
	services_free(v, n);
}

/* No member's service was seen to end: S, ρ null; every member saturated:
 * the service is. */
static void test_nulls_and_member_saturation(void **state)
{
	struct snapshot s;
	struct proc_view p[2];
	struct service_view *v;
	unsigned n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.span_s = 10;
	proc(&p[0], 1, "x", 10, 1, 1, 0, 0, 1, 0);
	proc(&p[1], 2, "x", 10, 1, 1, 0, 0, 1, 0);
	p[0].queue.service_time_s = p[1].queue.service_time_s = NAN;
	s.procs = p;
	s.n_procs = 2;
	assert_int_equal(services_build(&s, NULL, 0, &v, &n), 0);
	assert_true(isnan(v[0].queue.service_time_s));
	assert_true(isnan(v[0].queue.rho));
	assert_false(v[0].queue.saturated);
	services_free(v, n);
	proc(&p[0], 1, "x", 10, 1, 1, 0, 0, 1, 0);
	proc(&p[1], 2, "x", 10, 1, 1, 0, 0, 1, 0);
	p[0].queue.saturated = p[1].queue.saturated = 1;
	assert_int_equal(services_build(&s, NULL, 0, &v, &n), 0);
	assert_true(v[0].queue.saturated);
	assert_true(isnan(v[0].queue.mm1_response_s));
	services_free(v, n);
}

static void test_parsers(void **state)
{
	double q;
	char path[64];
	unsigned port;
	unsigned long ino;

	(void)state;
	assert_int_equal(services_parse_cpu_max("max 100000\n", &q), 0);
	assert_true(isnan(q));
	assert_int_equal(services_parse_cpu_max("50000 100000\n", &q), 0);
	assert_close(q, 0.5, 0);
	assert_int_equal(services_parse_cpu_max("x 100000", &q), -1);
	assert_int_equal(services_parse_cpu_max("", &q), -1);
	assert_int_equal(
		services_parse_cgroup("0::/system.slice/redis.service\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/system.slice/redis.service");
	assert_int_equal(services_parse_cgroup("1:name=systemd:/x\n0::/\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(services_parse_cgroup("1:cpu:/x\n", path, sizeof(path)), -1);
	assert_int_equal(services_parse_tcp_listen(
				 "   1: 0100007F:18EB 00000000:0000 0A 00000000:00000000 "
				 "00:00000000 00000000     0        0 424242 1 0000 100 0 0 10 0",
				 &port, &ino),
			 0);
	assert_int_equal(port, 6379);
	assert_int_equal(ino, 424242);
	/* an established connection is not a listener */
	assert_int_equal(services_parse_tcp_listen(
				 "   2: 0100007F:18EB 0100007F:9C40 01 00000000:00000000 "
				 "00:00000000 00000000     0        0 4243 1 0000 100 0 0 10 0",
				 &port, &ino),
			 -1);
	assert_int_equal(
		services_parse_tcp_listen("  sl  local_address rem_address   st", &port, &ino), -1);
}

/*
 * The pipeline over services: "front" (pid 1) feeds two "back" processes
 * (2, 3), which feed each other (inside the service: no stage) and "db" (4).
 * Three stages; the bottleneck is the highest ρ (back as one station: 100/s,
 * S 8 ms, 2 threads: ρ 0.4; front 0.1, db 0.2); the slowest path's response
 * is the sum of the three services' W.
 */
static void test_pipeline_over_services(void **state)
{
	static struct pipeline_edges e; /* large: not on the stack */
	struct snapshot s;
	struct proc_view p[4];
	double w[3];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(&e, 0, sizeof(e));
	s.span_s = 10;
	proc(&p[0], 1, "front", 200, 1, 1, 1e-3, 0, 1, 0);
	proc(&p[1], 2, "back", 50, 4, 1, 2e-3, 0, 4, 0);
	proc(&p[2], 3, "back", 50, 4, 1, 2e-3, 0, 4, 0);
	proc(&p[3], 4, "db", 100, 2, 1, 1e-3, 0, 2, 0);
	s.procs = p;
	s.n_procs = 4;
	pipeline_edges_add(&e, 1, 2, 10);
	pipeline_edges_add(&e, 1, 3, 10);
	pipeline_edges_add(&e, 2, 3, 10);
	pipeline_edges_add(&e, 2, 4, 10);
	pipeline_edges_add(&e, 3, 4, 10);
	assert_int_equal(services_build(&s, NULL, 0, &s.services, &s.n_services), 0);
	s.has_services = 1;
	pipeline_assign_services(&s, &e);
	assert_int_equal(s.n_services, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct service_view *v = &s.services[i];
		unsigned want = !strcmp(v->name, "front") ? 1 : !strcmp(v->name, "back") ? 2 : 3;

		assert_int_equal(v->stage, want);
		w[want - 1] = v->queue.response_s;
		/* back: λ 100/s, S = 8 s / 1000 ops, c 2: ρ 0.4, the highest */
		assert_int_equal(v->bottleneck, !strcmp(v->name, "back"));
	}
	for (unsigned i = 0; i < 3; i++)
		if (s.services[i].stage == 3)
			assert_close(s.services[i].path_response_s, w[0] + w[1] + w[2], 1e-12);
	/* the processes' own pipeline is untouched: four stages of processes */
	pipeline_assign(&s, &e);
	assert_int_equal(s.pipeline.n_stages, 4);
	services_free(s.services, s.n_services);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_and_station),
		cmocka_unit_test(test_cpu_bound_service),
		cmocka_unit_test(test_nulls_and_member_saturation),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_pipeline_over_services),
	};

	return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
