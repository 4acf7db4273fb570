// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Records are kept by key (tid for threads, socket cookie for sockets) with
 * the value at the start of the interval and the latest; the kernel's
 * counters start at zero when tracing of the thread or socket starts, so the
 * latest value is also the run total. A thread or socket that is gone keeps
 * its last values for the summary: the VIEWS_KEEP_GONE most recently gone
 * one by one, older ones folded into one row per process (their sums, and
 * how many), as the collector folds processes, so that the table holds the
 * threads and sockets alive and a long run never fills it. A record is gone
 * once its exit (or close) was read, or when two readings in a row did not
 * see it; it is folded only after an interval reported it gone.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "views.h"

/* What both kinds of record keep besides the kernel's values; first in each. */
struct vmeta {
	uint32_t pid;
	int seen;	   /* its latest values came in this reading */
	int sighted;	   /* read in this reading (an exited one too: a zombie leader) */
	int final;	   /* last holds its figures at its exit (close) */
	unsigned missed;   /* interval readings in a row that did not read it */
	uint64_t gone_seq; /* order in which records were found gone (0: not yet) */
};

struct trec {
	struct vmeta m;
	struct st_thread_rec base, last; /* at the interval start; latest */
};

struct crec {
	struct vmeta m;
	struct st_conn_rec base, last;
};

/* A process's folded records: how many, and the sums of their last values. */
struct fhead {
	uint32_t pid;
	uint64_t n;
	uint64_t listed; /* the interval its process was last listed in */
};

struct tfold {
	struct fhead h;
	struct st_thread_rec sum;
};

struct cfold {
	struct fhead h;
	struct st_conn_rec sum;
};

struct views {
	unsigned nt, nc, ntf, ncf; /* records; fold rows (sorted by pid) */
	uint64_t dropped;	   /* records left out, the table full */
	uint64_t tseq, cseq;	   /* gone records so far, of each kind */
	uint64_t interval;	   /* intervals attached so far */
	struct trec t[VIEWS_MAX];
	struct crec c[VIEWS_MAX];
	struct tfold tf[VIEWS_FOLDS];
	struct cfold cf[VIEWS_FOLDS];
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
		v->t[i].m.seen = v->t[i].m.sighted = 0;
	for (unsigned i = 0; i < v->nc; i++)
		v->c[i].m.seen = v->c[i].m.sighted = 0;
}

static void add_thread(struct views *v, uint32_t pid, const struct st_thread_rec *r, int final)
{
	unsigned i;

	for (i = 0; i < v->nt; i++)
		if (v->t[i].last.tid == r->tid && v->t[i].m.pid == pid)
			break;
	if (i == v->nt) {
		if (v->nt == VIEWS_MAX) {
			v->dropped++; /* shown in lost.views_full, never silent */
			return;
		}
		memset(&v->t[i], 0, sizeof(v->t[i]));
		v->t[i].m.pid = pid;
		v->t[i].base.tid = r->tid;
		v->nt++;
	}
	v->t[i].m.sighted = 1;
	if (v->t[i].m.final)
		return;
	v->t[i].last = *r;
	v->t[i].m.seen = 1;
	v->t[i].m.final = final;
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
		if (v->c[i].last.cookie == r->cookie && v->c[i].m.pid == pid)
			break;
	if (i == v->nc) {
		if (v->nc == VIEWS_MAX) {
			v->dropped++;
			return;
		}
		memset(&v->c[i], 0, sizeof(v->c[i]));
		v->c[i].m.pid = pid;
		v->nc++;
	}
	v->c[i].m.sighted = 1;
	if (v->c[i].m.final)
		return;
	v->c[i].last = *r;
	v->c[i].m.seen = 1;
	v->c[i].m.final = final;
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

void views_usage(const struct views *v, unsigned *threads, unsigned *conns, unsigned *folds)
{
	*threads = v->nt;
	*conns = v->nc;
	*folds = v->ntf + v->ncf;
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

/* A thread's figures from its values @r less those at @b. */
static void thread_view_of(struct thread_view *tv, const struct st_thread_rec *r,
			   const struct st_thread_rec *b)
{
	tv->tid = r->tid;
	memcpy(tv->comm, r->comm, sizeof(tv->comm));
	tv->comm[sizeof(tv->comm) - 1] = 0;
	tv->oncpu_s = ns_s(r->oncpu_ns - b->oncpu_ns);
	tv->runq_wait_s = ns_s(r->runq_ns - b->runq_ns);
	/* busy includes its open period, which a hand-off can later
	 * shorten: never below the last reading's */
	tv->busy_s = r->busy_ns > b->busy_ns ? ns_s(r->busy_ns - b->busy_ns) : 0;
	tv->switches = r->switches - b->switches;
	tv->syscalls = r->syscalls - b->syscalls;
	tv->rx_ops = r->rx_ops - b->rx_ops;
}

static void conn_view_of(struct conn_view *cv, const struct st_conn_rec *r,
			 const struct st_conn_rec *b)
{
	snprintf(cv->proto, sizeof(cv->proto), "%s", proto_name(r->family, r->proto));
	views_format_addr(r->family, r->saddr, r->sport, cv->local, sizeof(cv->local));
	views_format_addr(r->family, r->daddr, r->dport, cv->remote, sizeof(cv->remote));
	cv->rx_bytes = r->rx_bytes - b->rx_bytes;
	cv->rx_ops = r->rx_ops - b->rx_ops;
	cv->tx_bytes = r->tx_bytes - b->tx_bytes;
	cv->tx_ops = r->tx_ops - b->tx_ops;
	cv->unit_rx = r->unit_rx;
	cv->unit_tx = r->unit_tx;
}

/* The fold row of @pid in rows of @size bytes sorted by pid (struct fhead
 * first), or NULL. */
static void *fold_find(void *rows, size_t size, unsigned n, uint32_t pid)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct fhead *h = (struct fhead *)((char *)rows + (size_t)mid * size);

		if (h->pid == pid)
			return h;
		if (h->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* @pid's fold row, made (in pid order) if there is none: when the rows are
 * all taken, the one whose process was listed longest ago gives its place,
 * unless every process is listed now (NULL then: nothing is folded). */
static struct fhead *fold_row(void *rows, size_t size, unsigned *n, uint32_t pid, uint64_t now)
{
	struct fhead *h = fold_find(rows, size, *n, pid);
	unsigned at = 0;

	if (h)
		return h;
	if (*n == VIEWS_FOLDS) {
		unsigned old = 0;

		for (unsigned i = 1; i < *n; i++)
			if (((struct fhead *)((char *)rows + i * size))->listed <
			    ((struct fhead *)((char *)rows + old * size))->listed)
				old = i;
		if (((struct fhead *)((char *)rows + old * size))->listed >= now)
			return NULL;
		/* its process is gone, and with it the summary's row of it */
		memmove((char *)rows + old * size, (char *)rows + (old + 1) * size,
			(*n - old - 1) * size);
		(*n)--;
	}
	while (at < *n && ((struct fhead *)((char *)rows + at * size))->pid < pid)
		at++;
	memmove((char *)rows + (at + 1) * size, (char *)rows + at * size, (*n - at) * size);
	(*n)++;
	h = (struct fhead *)((char *)rows + at * size);
	memset(h, 0, size);
	h->pid = pid;
	h->listed = now;
	return h;
}

static void thread_fold(struct tfold *f, const struct st_thread_rec *r)
{
	f->sum.oncpu_ns += r->oncpu_ns;
	f->sum.runq_ns += r->runq_ns;
	f->sum.switches += r->switches;
	f->sum.syscalls += r->syscalls;
	f->sum.rx_ops += r->rx_ops;
	f->sum.busy_ns += r->busy_ns;
}

static void conn_fold(struct cfold *f, const struct st_conn_rec *r)
{
	f->sum.rx_bytes += r->rx_bytes;
	f->sum.rx_ops += r->rx_ops;
	f->sum.tx_bytes += r->tx_bytes;
	f->sum.tx_ops += r->tx_ops;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One kind of record, for fold_gone: its rows, their size, their count; the
 * fold rows likewise; how a record adds to its process's fold row. */
struct vkind {
	void *rows;
	size_t size;
	unsigned *n;
	void *folds;
	size_t fsize;
	unsigned *nf;
	uint64_t *seq;				   /* its gone records so far */
	void (*fold)(void *fold, const void *rec); /* rec: the record's struct */
};

static void tfold_add(void *f, const void *rec)
{
	thread_fold(f, &((const struct trec *)rec)->last);
}

static void cfold_add(void *f, const void *rec)
{
	conn_fold(f, &((const struct crec *)rec)->last);
}

/* The gone records of @k numbered above @seq. */
static unsigned count_after(const struct vkind *k, uint64_t seq)
{
	unsigned n = 0;

	for (unsigned i = 0; i < *k->n; i++)
		n += ((const struct vmeta *)((char *)k->rows + i * k->size))->gone_seq > seq;
	return n;
}

/*
 * After an interval went out: records gone now have been reported gone.
 * Beyond the VIEWS_KEEP_GONE most recently gone, the oldest are folded into
 * their process's row and leave the table. @listed: the pids of the
 * interval's processes, sorted.
 */
static void fold_gone(struct views *v, const struct vkind *k, const uint32_t *listed,
		      unsigned n_listed)
{
	uint64_t *gone, cut;
	unsigned n_gone = 0, w = 0;

	for (unsigned i = 0; i < *k->nf; i++) {
		struct fhead *h = (struct fhead *)((char *)k->folds + i * k->fsize);

		if (bsearch(&h->pid, listed, n_listed, sizeof(*listed), cmp_u32))
			h->listed = v->interval;
	}
	for (unsigned i = 0; i < *k->n; i++) {
		struct vmeta *m = (struct vmeta *)((char *)k->rows + i * k->size);

		/* gone: its exit was read and the reading after did not see it
		 * (a zombie leader still read stays), or two readings did not */
		m->missed = m->sighted ? 0 : m->missed + 1;
		if (!m->gone_seq && m->missed >= (m->final ? 1u : 2u))
			m->gone_seq = ++*k->seq;
		n_gone += m->gone_seq != 0;
	}
	if (n_gone <= VIEWS_KEEP_GONE)
		return;
	/* the gone_seq up to which records are folded: the gone ones held are
	 * those since the last fold, numbered in a row, unless a fold failed */
	cut = *k->seq - VIEWS_KEEP_GONE;
	if (count_after(k, cut) != VIEWS_KEEP_GONE) {
		gone = malloc(n_gone * sizeof(*gone));
		if (!gone)
			return; /* kept as they are; tried again after the next interval */
		n_gone = 0;
		for (unsigned i = 0; i < *k->n; i++) {
			const struct vmeta *m =
				(const struct vmeta *)((char *)k->rows + i * k->size);

			if (m->gone_seq)
				gone[n_gone++] = m->gone_seq;
		}
		qsort(gone, n_gone, sizeof(*gone), cmp_u64);
		cut = gone[n_gone - VIEWS_KEEP_GONE - 1];
		free(gone);
	}
	for (unsigned i = 0; i < *k->n; i++) {
		char *row = (char *)k->rows + i * k->size;
		const struct vmeta *m = (const struct vmeta *)row;
		struct fhead *f = NULL;

		if (m->gone_seq && m->gone_seq <= cut)
			f = fold_row(k->folds, k->fsize, k->nf, m->pid, v->interval);
		if (f) {
			k->fold(f, row);
			f->n++;
			continue;
		}
		if (w != i)
			memcpy((char *)k->rows + w * k->size, row, k->size);
		w++;
	}
	*k->n = w;
}

/* After interval @s went out: fold what is gone of both kinds. */
static void views_fold(struct views *v, const struct snapshot *s)
{
	const struct vkind kinds[] = {
		{v->t, sizeof(*v->t), &v->nt, v->tf, sizeof(*v->tf), &v->ntf, &v->tseq, tfold_add},
		{v->c, sizeof(*v->c), &v->nc, v->cf, sizeof(*v->cf), &v->ncf, &v->cseq, cfold_add},
	};
	uint32_t *listed = calloc(s->n_procs ? s->n_procs : 1, sizeof(*listed));

	v->interval++;
	if (!listed)
		return;
	for (unsigned i = 0; i < s->n_procs; i++)
		listed[i] = s->procs[i].pid;
	qsort(listed, s->n_procs, sizeof(*listed), cmp_u32);
	for (unsigned k = 0; k < 2; k++)
		fold_gone(v, &kinds[k], listed, s->n_procs);
	free(listed);
}

void views_attach(struct views *v, struct snapshot *s, int threads, int conns)
{
	s->has_threads = threads;
	s->has_conns = conns;
	for (unsigned p = 0; p < s->n_procs; p++) {
		struct proc_view *pv = &s->procs[p];
		/* a process's fold rows, in the summary (a folded process
		 * row, pid 0, has none) */
		const struct tfold *tf = s->is_summary && pv->pid
						 ? fold_find(v->tf, sizeof(*v->tf), v->ntf, pv->pid)
						 : NULL;
		const struct cfold *cf = s->is_summary && pv->pid
						 ? fold_find(v->cf, sizeof(*v->cf), v->ncf, pv->pid)
						 : NULL;
		unsigned nt = threads && tf, nc = conns && cf;

		for (unsigned i = 0; threads && i < v->nt; i++)
			nt += v->t[i].m.pid == pv->pid;
		for (unsigned i = 0; conns && i < v->nc; i++)
			nc += v->c[i].m.pid == pv->pid;
		pv->thread_views = nt ? calloc(nt, sizeof(*pv->thread_views)) : NULL;
		pv->conns = nc ? calloc(nc, sizeof(*pv->conns)) : NULL;
		for (unsigned i = 0; pv->thread_views && i < v->nt; i++) {
			const struct trec *r = &v->t[i];

			if (r->m.pid != pv->pid ||
			    (!s->is_summary && !r->m.seen && r->last.switches == r->base.switches))
				continue;
			thread_view_of(&pv->thread_views[pv->n_thread_views++], &r->last,
				       s->is_summary ? &(struct st_thread_rec){0} : &r->base);
		}
		if (pv->thread_views && tf) {
			/* the process's older exited threads, summed: tid 0 */
			struct thread_view *tv = &pv->thread_views[pv->n_thread_views++];

			thread_view_of(tv, &tf->sum, &(struct st_thread_rec){0});
			snprintf(tv->comm, sizeof(tv->comm), "(%llu exited)",
				 (unsigned long long)tf->h.n);
		}
		for (unsigned i = 0; pv->conns && i < v->nc; i++) {
			const struct crec *r = &v->c[i];
			struct conn_view *cv;

			if (r->m.pid != pv->pid ||
			    (!s->is_summary && !r->m.seen && r->last.rx_ops == r->base.rx_ops &&
			     r->last.tx_ops == r->base.tx_ops))
				continue;
			cv = &pv->conns[pv->n_conns++];
			conn_view_of(cv, &r->last,
				     s->is_summary ? &(struct st_conn_rec){0} : &r->base);
			cv->backlog_bytes = r->m.seen ? r->last.backlog : 0;
		}
		if (pv->conns && cf) {
			/* the process's older closed sockets, summed */
			struct conn_view *cv = &pv->conns[pv->n_conns++];

			conn_view_of(cv, &cf->sum, &(struct st_conn_rec){0});
			snprintf(cv->proto, sizeof(cv->proto), "closed");
			snprintf(cv->local, sizeof(cv->local), "(%llu sockets)",
				 (unsigned long long)cf->h.n);
		}
	}
	if (s->is_summary)
		return;
	/* the next interval starts from here */
	for (unsigned i = 0; i < v->nt; i++)
		v->t[i].base = v->t[i].last;
	for (unsigned i = 0; i < v->nc; i++)
		v->c[i].base = v->c[i].last;
	views_fold(v, s);
}
