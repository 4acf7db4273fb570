// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Records are kept by key (tid for threads, socket cookie for sockets) with
 * the value at the start of the interval and the latest; the kernel's
 * counters start at zero when tracing of the thread or socket starts, so the
 * latest value is also the run total. A thread or socket that is gone keeps
 * its last values for the summary (at most VIEWS_MAX of each).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "views.h"

struct trec {
	uint32_t pid;
	struct st_thread_rec base, last; /* at the interval start; latest */
	int seen;
	int final; /* last holds its figures at its exit */
};

struct crec {
	uint32_t pid;
	struct st_conn_rec base, last;
	int seen;
	int final; /* last holds its figures at its close */
};

struct views {
	unsigned nt, nc;
	uint64_t dropped; /* records left out, the table full */
	struct trec t[VIEWS_MAX];
	struct crec c[VIEWS_MAX];
};

struct views *views_new(void)
{
	return calloc(1, sizeof(struct views));
}

void views_free(struct views *v)
{
	free(v);
}

void views_begin(struct views *v)
{
	for (unsigned i = 0; i < v->nt; i++)
		v->t[i].seen = 0;
	for (unsigned i = 0; i < v->nc; i++)
		v->c[i].seen = 0;
}

static void add_thread(struct views *v, uint32_t pid, const struct st_thread_rec *r, int final)
{
	unsigned i;

	for (i = 0; i < v->nt; i++)
		if (v->t[i].last.tid == r->tid && v->t[i].pid == pid)
			break;
	if (i == v->nt) {
		if (v->nt == VIEWS_MAX) {
			v->dropped++; /* shown in lost.views_full, never silent */
			return;
		}
		memset(&v->t[i], 0, sizeof(v->t[i]));
		v->t[i].pid = pid;
		v->t[i].base.tid = r->tid;
		v->nt++;
	}
	if (v->t[i].final)
		return;
	v->t[i].last = *r;
	v->t[i].seen = 1;
	v->t[i].final = final;
}

void views_add_thread(struct views *v, uint32_t pid, const struct st_thread_rec *r)
{
	add_thread(v, pid, r, 0);
}

void views_add_thread_final(struct views *v, uint32_t pid, const struct st_thread_rec *r)
{
	add_thread(v, pid, r, 1);
}

static void add_conn(struct views *v, uint32_t pid, const struct st_conn_rec *r, int final)
{
	unsigned i;

	for (i = 0; i < v->nc; i++)
		if (v->c[i].last.cookie == r->cookie && v->c[i].pid == pid)
			break;
	if (i == v->nc) {
		if (v->nc == VIEWS_MAX) {
			v->dropped++;
			return;
		}
		memset(&v->c[i], 0, sizeof(v->c[i]));
		v->c[i].pid = pid;
		v->nc++;
	}
	if (v->c[i].final)
		return;
	v->c[i].last = *r;
	v->c[i].seen = 1;
	v->c[i].final = final;
}

void views_add_conn(struct views *v, uint32_t pid, const struct st_conn_rec *r)
{
	add_conn(v, pid, r, 0);
}

void views_add_conn_final(struct views *v, uint32_t pid, const struct st_conn_rec *r)
{
	add_conn(v, pid, r, 1);
}

uint64_t views_dropped(const struct views *v)
{
	return v ? v->dropped : 0;
}

void views_format_addr(unsigned family, const __u8 *addr, unsigned port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (family == AF_INET && inet_ntop(AF_INET, addr, a, sizeof(a)))
		snprintf(buf, len, "%s:%u", a, port);
	else if (family == AF_INET6 && inet_ntop(AF_INET6, addr, a, sizeof(a)))
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s", "");
}

static const char *proto_name(unsigned family, unsigned proto)
{
	if (family == AF_UNIX)
		return "unix";
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 136:
		return "udplite";
	default:
		return "other";
	}
}

static double ns_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

void views_attach(struct views *v, struct snapshot *s, int threads, int conns)
{
	s->has_threads = threads;
	s->has_conns = conns;
	for (unsigned p = 0; p < s->n_procs; p++) {
		struct proc_view *pv = &s->procs[p];
		unsigned nt = 0, nc = 0;

		for (unsigned i = 0; threads && i < v->nt; i++)
			nt += v->t[i].pid == pv->pid;
		for (unsigned i = 0; conns && i < v->nc; i++)
			nc += v->c[i].pid == pv->pid;
		pv->thread_views = nt ? calloc(nt, sizeof(*pv->thread_views)) : NULL;
		pv->conns = nc ? calloc(nc, sizeof(*pv->conns)) : NULL;
		for (unsigned i = 0; pv->thread_views && i < v->nt; i++) {
			const struct trec *r = &v->t[i];
			const struct st_thread_rec *b =
				s->is_summary ? &(struct st_thread_rec){0} : &r->base;
			struct thread_view *tv;

			if (r->pid != pv->pid ||
			    (!s->is_summary && !r->seen && r->last.switches == r->base.switches))
				continue;
			tv = &pv->thread_views[pv->n_thread_views++];
			tv->tid = r->last.tid;
			memcpy(tv->comm, r->last.comm, sizeof(tv->comm));
			tv->comm[sizeof(tv->comm) - 1] = 0;
			tv->oncpu_s = ns_s(r->last.oncpu_ns - b->oncpu_ns);
			tv->runq_wait_s = ns_s(r->last.runq_ns - b->runq_ns);
			/* busy includes its open period, which a hand-off can
			 * later shorten: never below the last reading's */
			tv->busy_s = r->last.busy_ns > b->busy_ns
					     ? ns_s(r->last.busy_ns - b->busy_ns)
					     : 0;
			tv->switches = r->last.switches - b->switches;
			tv->syscalls = r->last.syscalls - b->syscalls;
			tv->rx_ops = r->last.rx_ops - b->rx_ops;
		}
		for (unsigned i = 0; pv->conns && i < v->nc; i++) {
			const struct crec *r = &v->c[i];
			const struct st_conn_rec *b =
				s->is_summary ? &(struct st_conn_rec){0} : &r->base;
			struct conn_view *cv;

			if (r->pid != pv->pid ||
			    (!s->is_summary && !r->seen && r->last.rx_ops == r->base.rx_ops &&
			     r->last.tx_ops == r->base.tx_ops))
				continue;
			cv = &pv->conns[pv->n_conns++];
			snprintf(cv->proto, sizeof(cv->proto), "%s",
				 proto_name(r->last.family, r->last.proto));
			views_format_addr(r->last.family, r->last.saddr, r->last.sport, cv->local,
					  sizeof(cv->local));
			views_format_addr(r->last.family, r->last.daddr, r->last.dport, cv->remote,
					  sizeof(cv->remote));
			cv->rx_bytes = r->last.rx_bytes - b->rx_bytes;
			cv->rx_ops = r->last.rx_ops - b->rx_ops;
			cv->tx_bytes = r->last.tx_bytes - b->tx_bytes;
			cv->tx_ops = r->last.tx_ops - b->tx_ops;
			cv->backlog_bytes = r->seen ? r->last.backlog : 0;
			cv->unit_rx = r->last.unit_rx;
			cv->unit_tx = r->last.unit_tx;
		}
	}
	if (s->is_summary)
		return;
	/* the next interval starts from here */
	for (unsigned i = 0; i < v->nt; i++)
		v->t[i].base = v->t[i].last;
	for (unsigned i = 0; i < v->nc; i++)
		v->c[i].base = v->c[i].last;
}
