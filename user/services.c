// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Services: processes summed into one station each. The station's inputs are
 * the members' measured totals over the span (arrivals, completions, busy
 * time, waits weighted by arrivals, dispatch weighted by completions), fed to
 * the same queueing engine as a process's; its capacity is bounded by the
 * CPUs its members may use.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"

static double f0(double x)
{
	return isfinite(x) ? x : 0;
}

static const struct service_attr *attr_of(const struct service_attr *a, unsigned n, uint32_t pid)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].pid == pid)
			return &a[i];
	return NULL;
}

static void name_of(const struct proc_view *p, const struct service_attr *a, char *buf)
{
	if (a && a->key[0])
		snprintf(buf, SERVICE_NAME_LEN, "%s", a->key);
	else
		snprintf(buf, SERVICE_NAME_LEN, "%.*s", ST_COMM_LEN, p->comm);
}

/* Sums over a service's members, then the station's figures. */
struct acc {
	double arrivals, completions, busy, wait_w, disp_w, asleep_w, asleep_unknown, lq, ca2_w,
		cs2_w, ca2_n, cs2_n;
	unsigned servers, with_queue, saturated, with_s;
	uint64_t cpus[SERVICE_CPU_WORDS];
	int cpus_known, all_cpus_known;
	double unknown_cpu_s; /* CPU demand of members whose CPUs are not known */
	double quota;
};

/* Members whose CPUs could not be read (one that exited before its
 * affinity was seen, a helper process that never ran) may stay out of the
 * service's CPU set when they wanted less than this share of its CPU. */
#define UNKNOWN_CPU_SHARE 0.05

static void add_member(struct service_view *sv, struct acc *a, const struct proc_view *p,
		       const struct service_attr *at, double span)
{
	const struct queue_figures *q = &p->queue;

	sv->net_known |= p->net_known;
	sv->rx_bytes += p->rx_bytes;
	sv->tx_bytes += p->tx_bytes;
	sv->rx_ops += p->rx_ops;
	sv->tx_ops += p->tx_ops;
	sv->backlog_bytes += p->backlog_known ? p->backlog_bytes : 0;
	sv->retransmits += p->retransmits;
	sv->resets += p->resets;
	sv->drops += p->drops;
	sv->oncpu_s += f0(p->oncpu_s);
	sv->runq_s += f0(p->runq_wait_s);
	if (at && at->cpus_known) {
		for (unsigned w = 0; w < SERVICE_CPU_WORDS; w++)
			a->cpus[w] |= at->cpus[w];
		a->cpus_known = 1;
		if (isfinite(at->quota_cpus) && (!isfinite(a->quota) || at->quota_cpus > a->quota))
			a->quota = at->quota_cpus;
	} else if (f0(p->oncpu_s) + f0(p->runq_wait_s) > 0) {
		a->unknown_cpu_s += f0(p->oncpu_s) + f0(p->runq_wait_s);
	}
	if (!p->has_queue)
		return;
	a->with_queue++;
	a->saturated += q->saturated != 0;
	a->servers += q->servers;
	if (isfinite(q->service_time_s))
		a->with_s++;
	{
		double arr = f0(q->arrival_rate) * span, done = f0(q->throughput) * span;
		double busy =
			p->busy_known ? f0(p->busy_s) : f0(q->utilization) * q->servers * span;

		a->arrivals += arr;
		a->completions += done;
		a->busy += busy;
		a->wait_w += f0(q->wait_s) * arr;
		a->disp_w += f0(q->dispatch_s) * done;
		a->asleep_w += f0(q->dispatch_asleep_s) * done;
		/* a member from before it was measured (an older recording) */
		if (done > 0 && isfinite(q->dispatch_s) && isnan(q->dispatch_asleep_s))
			a->asleep_unknown = 1;
		/* Lq = L - c·U, the ops waiting in the sockets */
		a->lq += fmax(0, f0(q->queue_length) - (span > 0 ? busy / span : 0));
		if (isfinite(p->arrival_cv2) && arr > 0) {
			a->ca2_w += p->arrival_cv2 * arr;
			a->ca2_n += arr;
		}
		if (isfinite(p->service_cv2) && done > 0) {
			a->cs2_w += p->service_cv2 * done;
			a->cs2_n += done;
		}
	}
}

static unsigned popcount_mask(const uint64_t *m)
{
	unsigned n = 0;

	for (unsigned w = 0; w < SERVICE_CPU_WORDS; w++)
		n += (unsigned)__builtin_popcountll(m[w]);
	return n;
}

static void finish(struct service_view *sv, const struct acc *a, double span)
{
	struct queue_input in;
	struct queue_figures per_thread;
	double cpus = NAN;

	if (a->cpus_known && a->all_cpus_known &&
	    a->unknown_cpu_s <= UNKNOWN_CPU_SHARE * (sv->oncpu_s + sv->runq_s)) {
		cpus = popcount_mask(a->cpus);
		if (isfinite(a->quota) && a->quota < cpus)
			cpus = a->quota;
	}
	sv->cpus = cpus;
	sv->cpu_demand = isfinite(cpus) && cpus > 0 && span > 0
				 ? (sv->oncpu_s + sv->runq_s) / (cpus * span)
				 : NAN;
	sv->runq_share =
		sv->oncpu_s + sv->runq_s > 0 ? sv->runq_s / (sv->oncpu_s + sv->runq_s) : NAN;
	sv->cpu_saturated = isfinite(sv->cpu_demand) && sv->cpu_demand >= SERVICES_CPU_DEMAND_SAT &&
			    sv->runq_share >= SERVICES_RUNQ_SHARE_SAT;
	if (!a->with_queue)
		return;
	sv->has_queue = 1;
	memset(&in, 0, sizeof(in));
	in.span_s = span;
	in.arrivals = a->arrivals;
	in.completions = a->completions;
	in.busy_s = a->busy;
	in.servers = a->servers;
	in.wait_s = a->arrivals > 0 ? a->wait_w / a->arrivals : NAN;
	in.dispatch_s = a->completions > 0 ? a->disp_w / a->completions : NAN;
	in.dispatch_asleep_s =
		a->completions > 0 && !a->asleep_unknown ? a->asleep_w / a->completions : NAN;
	/* the members' dispatch moments are not merged: no set-up model */
	in.dispatch_mean_s = in.dispatch_m2_s2 = NAN;
	in.answer_s = NAN;
	in.backlog_ops_avg = a->lq;
	in.backlog_start = in.backlog_end = NAN;
	/* the members' variability weighted by their traffic: an
	 * approximation (a merged stream is not a weighted mean) */
	in.arrival_cv2 = a->ca2_n > 0 ? a->ca2_w / a->ca2_n : NAN;
	in.service_cv2 = a->cs2_n > 0 ? a->cs2_w / a->cs2_n : NAN;
	in.no_service_ended = a->with_s == 0;
	/* every member at its capacity: so is the service */
	in.never_idle = a->saturated == a->with_queue;
	/* U per serving thread, over all of them */
	queue_model_compute(&in, &per_thread);
	/* the station: c bounded by the CPUs the members may use */
	sv->capacity_servers = a->servers;
	if (isfinite(cpus) && cpus >= 1 && cpus < a->servers)
		sv->capacity_servers = (unsigned)cpus;
	else if (isfinite(cpus) && cpus < 1 && a->servers)
		sv->capacity_servers = 1; /* a fractional quota: see the rule in the docs */
	in.servers = sv->capacity_servers;
	in.never_idle |= sv->cpu_saturated;
	queue_model_compute(&in, &sv->queue);
	sv->queue.utilization = per_thread.utilization;
	sv->queue.servers = a->servers;
	/* a fractional CPU quota slows service by quota: ρ = λS / quota */
	if (isfinite(cpus) && cpus < 1 && cpus > 0 && isfinite(sv->queue.rho))
		sv->queue.rho = sv->queue.rho / cpus;
	if (isfinite(sv->queue.rho) && sv->queue.rho >= 1)
		sv->queue.saturated = 1;
}

int services_build(const struct snapshot *s, const struct service_attr *attrs, unsigned n_attrs,
		   struct service_view **out, unsigned *n_out)
{
	struct service_view *v = calloc(s->n_procs ? s->n_procs : 1, sizeof(*v));
	struct acc *a = calloc(s->n_procs ? s->n_procs : 1, sizeof(*a));
	unsigned n = 0;

	*out = NULL;
	*n_out = 0;
	if (!v || !a)
		goto oom;
	for (unsigned i = 0; i < s->n_procs; i++) {
		const struct proc_view *p = &s->procs[i];
		const struct service_attr *at = attr_of(attrs, n_attrs, p->pid);
		char name[SERVICE_NAME_LEN];
		unsigned k;

		name_of(p, at, name);
		for (k = 0; k < n; k++)
			if (!strcmp(v[k].name, name))
				break;
		if (k == n) {
			memcpy(v[n].name, name, sizeof(name));
			v[n].pids = calloc(s->n_procs, sizeof(*v[n].pids));
			if (!v[n].pids)
				goto oom;
			a[n].all_cpus_known = 1;
			a[n].quota = NAN;
			n++;
		}
		v[k].pids[v[k].n_pids++] = p->pid;
		add_member(&v[k], &a[k], p, at, s->span_s);
	}
	for (unsigned k = 0; k < n; k++)
		finish(&v[k], &a[k], s->span_s);
	free(a);
	*out = v;
	*n_out = n;
	return 0;
oom:
	free(a);
	services_free(v, n);
	return -1;
}

void services_free(struct service_view *v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i].pids);
	free(v);
}

int services_parse_cpu_max(const char *text, double *cpus)
{
	char q[32];
	double period;

	if (sscanf(text, "%31s %lf", q, &period) != 2 || !(period > 0))
		return -1;
	if (!strcmp(q, "max")) {
		*cpus = NAN;
		return 0;
	}
	{
		char *end;
		double quota = strtod(q, &end);

		if (*end || !(quota > 0))
			return -1;
		*cpus = quota / period;
	}
	return 0;
}

int services_parse_cgroup(const char *text, char *path, size_t len)
{
	const char *l = text;

	/* cgroup v2: the line "0::PATH" */
	while (l && *l) {
		if (!strncmp(l, "0::", 3)) {
			size_t n = strcspn(l + 3, "\n");

			if (n == 0 || n >= len)
				return -1;
			memcpy(path, l + 3, n);
			path[n] = 0;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -1;
}

int services_parse_tcp_listen(const char *line, unsigned *port, unsigned long *inode)
{
	char local[64], rem[64];
	unsigned st;
	unsigned long ino;
	const char *colon;

	/* "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000
	 *  00000000 0 0 12345 ..." */
	if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*u %*d %lu", local, rem, &st, &ino) != 4)
		return -1;
	if (st != 0x0A)
		return -1; /* not TCP_LISTEN */
	colon = strrchr(local, ':');
	if (!colon)
		return -1;
	*port = (unsigned)strtoul(colon + 1, NULL, 16);
	*inode = ino;
	return 0;
}
