// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recording file: a 16-byte header (magic, version, checksum), then
 * frames, each a 20-byte header and a zlib stream: the metadata, one frame
 * per snapshot, and an end frame written at close. Every frame is written
 * with one write(2) and carries its own length and CRC-32, so a file cut
 * anywhere reads back to its last complete frame. Fields are little-endian,
 * doubles as their IEEE-754 bits (NaN stays NaN), so re-rendering a read
 * snapshot gives the live run's JSON byte for byte. Records carry their
 * length: a newer minor version may append fields, which this reader skips.
 * The reader trusts nothing: every length and count is checked against caps
 * and against the bytes actually there before anything is allocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "errbuf.h"
#include "figures.h"
#include "recording.h"
#include "profile.h"
#include "services.h"

static const uint8_t rec_magic[8] = {0x89, 'S', 'T', 'R', 'E', 'C', '\r', '\n'};
#define FILE_HDR_LEN  16
#define FRAME_HDR_LEN 20
#define TAG_META      "META"
#define TAG_SNAP      "SNAP"
#define TAG_PROF      "PROF"
#define TAG_END	      "END!"
/* zlib's deflate expands at most ~1032:1; a frame claiming more is lying */
#define ZLIB_MAX_RATIO 1032u
#define MAX_LOST_KINDS 64u
#define MAX_HIST_WIRE  64u
#define SNAP_SUMMARY   1u
/* smallest encodings, to bound counts by the bytes that are really there */
#define MIN_PROC_WIRE	 (4 + 400)
#define MIN_SYSCALL_WIRE (4 + 40)
#define MIN_ERRNO_WIRE	 10
#define MIN_THREAD_WIRE	 68 /* tid, comm, 3 doubles, 3 counters */
#define MIN_CONN_WIRE	 52 /* 3 string lengths, 5 counters */
#define MAX_DROP_REASONS                                 \
	(sizeof(((struct proc_view *)0)->drop_reasons) / \
	 sizeof(((struct proc_view *)0)->drop_reasons[0]))
#define SYNC_EVERY_S 1.0
_Static_assert(MAX_HIST_WIRE >= HIST_BUCKETS, "a reader takes back the histograms it writes");

enum rec_state {
	RS_OK = 0,
	RS_END,	      /* end frame read: clean end */
	RS_TRUNCATED, /* the file stops before the end frame */
	RS_CORRUPT,
};

struct recording {
	int writing;
	/* writer */
	int fd;
	double last_sync;
	/* reader */
	FILE *f;
	enum rec_state state;
	uint64_t offset; /* of the next frame */
	/* both */
	unsigned minor; /* the file's minor version: fields added later read only from those */
	uint32_t seq;	/* frame number expected or written next */
	uint64_t count; /* snapshots */
	uint64_t bytes;
	char name[256];
	char err[256];
	struct profile *profile; /* --profile: the PROF frame read (profile_out.c) */
	unsigned sample_every;	 /* reader: the metadata's, given to every snapshot read */
};

/* ---- encoding ----------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void w_bytes(struct wbuf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void w_le(struct wbuf *b, uint64_t v, unsigned n)
{
	uint8_t t[8];

	for (unsigned i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	w_bytes(b, t, n);
}

static void w_u8(struct wbuf *b, uint8_t v)
{
	w_le(b, v, 1);
}

static void w_u32(struct wbuf *b, uint32_t v)
{
	w_le(b, v, 4);
}

static void w_i32(struct wbuf *b, int v)
{
	w_le(b, (uint32_t)v, 4);
}

static void w_u64(struct wbuf *b, uint64_t v)
{
	w_le(b, v, 8);
}

static void w_f64(struct wbuf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	w_u64(b, u);
}

/* a string field of @max bytes: at most max - 1, which the reader takes back */
static void w_str(struct wbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max - 1);

	w_u32(b, (uint32_t)n);
	w_bytes(b, s, n);
}

static void w_hist(struct wbuf *b, const struct hist *h)
{
	w_u8(b, HIST_BUCKETS);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		w_u64(b, h->b[i]);
}

/* Length-prefixed record: reserve the length, fill, then patch it. */
static size_t w_rec_begin(struct wbuf *b)
{
	size_t at = b->len;

	w_u32(b, 0);
	return at;
}

static void w_rec_end(struct wbuf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at - 4);

	if (b->oom)
		return;
	for (unsigned i = 0; i < 4; i++)
		b->p[at + i] = (uint8_t)(n >> (8 * i));
}

static void w_syscall(struct wbuf *b, const struct syscall_row *r)
{
	size_t at = w_rec_begin(b);
	unsigned n =
		r->n_errnos < ST_MAX_ERRNOS_PER_SYSCALL ? r->n_errnos : ST_MAX_ERRNOS_PER_SYSCALL;

	w_u32(b, r->nr);
	w_u64(b, r->count);
	w_u64(b, r->errors);
	w_u64(b, r->total_ns);
	w_u64(b, r->max_ns);
	w_i32(b, r->max_known);
	w_hist(b, &r->hist);
	w_u32(b, n);
	for (unsigned i = 0; i < n; i++) {
		w_le(b, r->errnos[i].err, 2);
		w_u64(b, r->errnos[i].count);
	}
	w_rec_end(b, at);
}

static void w_list(struct wbuf *b, enum fig_list l, const struct proc_view *p)
{
	unsigned n;

	switch (l) {
	case FL_NONE:
		break;
	case FL_DROP_REASONS:
		n = p->n_drop_reasons < MAX_DROP_REASONS ? p->n_drop_reasons : MAX_DROP_REASONS;
		w_u32(b, n);
		for (unsigned i = 0; i < n; i++) {
			w_str(b, p->drop_reasons[i].reason, sizeof(p->drop_reasons[i].reason));
			w_u64(b, p->drop_reasons[i].count);
		}
		break;
	case FL_SYSCALLS:
		w_u32(b, p->n_syscalls);
		for (unsigned i = 0; i < p->n_syscalls; i++)
			w_syscall(b, &p->syscalls[i]);
		break;
	case FL_THREADS:
		w_u32(b, p->thread_views ? p->n_thread_views : 0);
		for (unsigned i = 0; p->thread_views && i < p->n_thread_views; i++) {
			const struct thread_view *t = &p->thread_views[i];

			w_u32(b, t->tid);
			w_bytes(b, t->comm, ST_COMM_LEN);
			w_f64(b, t->oncpu_s);
			w_f64(b, t->runq_wait_s);
			w_f64(b, t->busy_s);
			w_u64(b, t->switches);
			w_u64(b, t->syscalls);
			w_u64(b, t->rx_ops);
		}
		break;
	case FL_CONNS:
		w_u32(b, p->conns ? p->n_conns : 0);
		for (unsigned i = 0; p->conns && i < p->n_conns; i++) {
			const struct conn_view *c = &p->conns[i];

			w_str(b, c->proto, sizeof(c->proto));
			w_str(b, c->local, sizeof(c->local));
			w_str(b, c->remote, sizeof(c->remote));
			w_u64(b, c->rx_bytes);
			w_u64(b, c->rx_ops);
			w_u64(b, c->tx_bytes);
			w_u64(b, c->tx_ops);
			w_u64(b, c->backlog_bytes);
		}
		break;
	case FL_BLOCKED:
		for (unsigned k = 0; k < ST_BLK__MAX; k++)
			w_f64(b, p->blocked_busy_s[k]);
		break;
	case FL_UNITS:
		w_u32(b, p->n_units < ST_UNITS ? p->n_units : ST_UNITS);
		for (unsigned i = 0; i < p->n_units && i < ST_UNITS; i++) {
			w_u32(b, p->units[i].unit);
			w_u64(b, p->units[i].msgs);
			w_f64(b, p->units[i].arrival_rate);
			w_f64(b, p->units[i].throughput);
		}
		break;
	case FL_CONN_UNITS:
		w_u32(b, p->conns ? p->n_conns : 0);
		for (unsigned i = 0; p->conns && i < p->n_conns; i++) {
			w_u32(b, p->conns[i].unit_rx);
			w_u32(b, p->conns[i].unit_tx);
		}
		break;
	}
}

/* A scalar member (FIG_F64 .. FIG_BOOL) at @m. */
static void w_scalar(struct wbuf *b, enum fig_type type, const void *m)
{
	switch (type) {
	case FIG_F64:
		w_f64(b, *(const double *)m);
		break;
	case FIG_U64:
		w_u64(b, *(const uint64_t *)m);
		break;
	case FIG_U32:
		w_u32(b, *(const uint32_t *)m);
		break;
	case FIG_I32:
	case FIG_BOOL:
		w_i32(b, *(const int *)m);
		break;
	default:
		break;
	}
}

/* One field of the figure list (figures.h), of process @p or queue @q. */
static void w_field(struct wbuf *b, const struct figure *f, const struct proc_view *p,
		    const struct queue_figures *q)
{
	const void *m = f->type == FIG_LIST || f->type == FIG_NONE ? NULL : fig_ptr(f, p, q);

	switch (f->type) {
	case FIG_COMM:
		w_bytes(b, m, ST_COMM_LEN);
		break;
	case FIG_HIST:
		w_hist(b, m);
		break;
	case FIG_LIST:
		w_list(b, f->list, p);
		break;
	case FIG_NONE:
		break;
	default:
		w_scalar(b, f->type, m);
		break;
	}
}

/* A queue's figures as first recorded (a service's; a process's are in its
 * record's order) */
static void w_queue(struct wbuf *b, const struct queue_figures *q)
{
	const struct figure *order[FIG_MAX_REC];
	unsigned n = fig_rec_order(order, FIG_MAX_REC);

	for (unsigned i = 0; i < n; i++)
		if (order[i] && order[i]->base == FB_QUEUE && !order[i]->minor)
			w_field(b, order[i], NULL, q);
}

/* A process: the figure list's recorded fields in .rec order. */
static void w_proc(struct wbuf *b, const struct proc_view *p)
{
	const struct figure *order[FIG_MAX_REC];
	unsigned n = fig_rec_order(order, FIG_MAX_REC);
	size_t at = w_rec_begin(b);

	for (unsigned i = 0; i < n; i++)
		if (order[i])
			w_field(b, order[i], p, NULL);
	w_rec_end(b, at);
}

/* --services, after the processes (a reader from before them stops at the
 * processes): whether asked for, then one record per service, the
 * services' figure list's recorded fields in .rec order. */
static void w_services(struct wbuf *b, const struct snapshot *s)
{
	const struct svc_figure *order[SVC_MAX_REC];
	unsigned n = s->has_services ? s->n_services : 0, nf = svc_rec_order(order, SVC_MAX_REC);

	w_i32(b, s->has_services);
	w_u32(b, n);
	for (unsigned i = 0; i < n; i++) {
		const struct service_view *v = &s->services[i];
		size_t at = w_rec_begin(b);

		for (unsigned k = 0; k < nf; k++) {
			const struct svc_figure *f = order[k];

			if (!f)
				continue;
			if (f->section == SS_NAME) {
				w_str(b, v->name, sizeof(v->name));
			} else if (f->section == SS_PIDS) {
				w_u32(b, v->n_pids);
				for (unsigned j = 0; j < v->n_pids; j++)
					w_u32(b, v->pids[j]);
			} else if (f->section == SS_QUEUE) {
				w_queue(b, &v->queue);
			} else {
				w_scalar(b, f->type, svc_ptr(f, v));
			}
		}
		w_rec_end(b, at);
	}
}

static void w_snapshot(struct wbuf *b, const struct snapshot *s)
{
	w_u32(b, s->is_summary ? SNAP_SUMMARY : 0);
	w_f64(b, s->time);
	w_f64(b, s->span_s);
	w_u32(b, ST_LOST__MAX);
	for (unsigned i = 0; i < ST_LOST__MAX; i++)
		w_u64(b, s->lost.kinds[i]);
	w_u64(b, s->lost.recursion);
	w_u32(b, s->pipeline.n_stages);
	w_u32(b, s->pipeline.bottleneck_pid);
	w_f64(b, s->pipeline.e2e_response_s);
	w_str(b, s->whatif_spec, sizeof(s->whatif_spec));
	w_i32(b, s->has_threads);
	w_i32(b, s->has_conns);
	w_u32(b, s->n_procs);
	for (unsigned i = 0; i < s->n_procs; i++)
		w_proc(b, &s->procs[i]);
	w_services(b, s);
	/* minor 6: the host (appended: older readers stop before it) */
	w_u32(b, s->host.cpus);
	w_f64(b, s->host.steal_s);
}

/* Appended to the metadata (--sample N): a reader that stops before it
 * skips it, a file that ends before it was not sampled. */
static void w_meta_sample(struct wbuf *b, const struct recording_meta *m)
{
	w_u32(b, m->sample_every > 1 ? m->sample_every : 1);
}

static void w_meta(struct wbuf *b, const struct recording_meta *m)
{
	w_str(b, m->host, sizeof(m->host));
	w_str(b, m->kernel, sizeof(m->kernel));
	w_str(b, m->arch, sizeof(m->arch));
	w_str(b, m->version, sizeof(m->version));
	w_str(b, m->cmdline, sizeof(m->cmdline));
	w_f64(b, m->start_time);
	w_f64(b, m->interval_s);
	w_meta_sample(b, m);
}

/* ---- decoding ----------------------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	const char *bad; /* first problem, NULL while fine */
};

static int r_need(struct rbuf *r, size_t n, const char *what)
{
	if (r->bad)
		return 0;
	if (r->len - r->off < n) {
		r->bad = what;
		return 0;
	}
	return 1;
}

static uint64_t r_le(struct rbuf *r, unsigned n)
{
	uint64_t v = 0;

	if (!r_need(r, n, "a record ends early"))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += n;
	return v;
}

static uint32_t r_u32(struct rbuf *r)
{
	return (uint32_t)r_le(r, 4);
}

static int r_i32(struct rbuf *r)
{
	return (int)(int32_t)r_u32(r);
}

static uint64_t r_u64(struct rbuf *r)
{
	return r_le(r, 8);
}

static double r_f64(struct rbuf *r)
{
	uint64_t u = r_u64(r);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static void r_str(struct rbuf *r, char *dst, size_t size)
{
	uint32_t n = r_u32(r);

	dst[0] = 0;
	if (r->bad)
		return;
	if (n >= size) {
		r->bad = "a string is longer than allowed";
		return;
	}
	if (!r_need(r, n, "a string runs past its record"))
		return;
	memcpy(dst, r->p + r->off, n);
	dst[n] = 0;
	r->off += n;
}

static void r_hist(struct rbuf *r, struct hist *h)
{
	unsigned n = (unsigned)r_le(r, 1);

	memset(h, 0, sizeof(*h));
	if (r->bad)
		return;
	if (n > MAX_HIST_WIRE) {
		r->bad = "a histogram has too many buckets";
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = r_u64(r);
		/* a wider histogram from a newer writer: its top bucket holds the rest */
		unsigned to = i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;

		h->b[to] = h->b[to] + v < h->b[to] ? UINT64_MAX : h->b[to] + v;
	}
}

/* Enter a length-prefixed record: @sub covers it, @r moves past it. */
static int r_rec(struct rbuf *r, struct rbuf *sub)
{
	uint32_t n = r_u32(r);

	if (!r_need(r, n, "a record is longer than its frame"))
		return 0;
	sub->p = r->p + r->off;
	sub->len = n;
	sub->off = 0;
	sub->bad = NULL;
	r->off += n;
	return 1;
}

static const char *r_syscall(struct rbuf *outer, struct syscall_row *row)
{
	struct rbuf r;
	uint32_t n;

	if (!r_rec(outer, &r))
		return outer->bad;
	row->nr = r_u32(&r);
	row->count = r_u64(&r);
	row->errors = r_u64(&r);
	row->total_ns = r_u64(&r);
	row->max_ns = r_u64(&r);
	row->max_known = r_i32(&r);
	r_hist(&r, &row->hist);
	n = r_u32(&r);
	if (r.bad)
		return r.bad;
	if (n > ST_MAX_ERRNOS_PER_SYSCALL)
		return "a syscall has more errnos than allowed";
	if (n > (r.len - r.off) / MIN_ERRNO_WIRE)
		return "an errno list runs past its record";
	row->n_errnos = n;
	for (unsigned i = 0; i < n; i++) {
		row->errnos[i].err = (uint16_t)r_le(&r, 2);
		row->errnos[i].count = r_u64(&r);
	}
	return r.bad;
}

/* A list's count, checked against @max and against the bytes left at
 * @min_wire bytes an entry, and (@arr not NULL) its zeroed entries of
 * @size bytes; the reason when it cannot be. */
static const char *r_count(struct rbuf *r, uint32_t *n, uint32_t max, size_t min_wire,
			   const char *too_many, const char *past, void **arr, size_t size)
{
	*n = r_u32(r);
	if (r->bad)
		return r->bad;
	if (*n > max)
		return too_many;
	if (min_wire && *n > (r->len - r->off) / min_wire)
		return past;
	if (arr && *n) {
		*arr = calloc(*n, size);
		if (!*arr)
			return "out of memory";
	}
	return NULL;
}

/* A command name: ST_COMM_LEN bytes as they are. */
static void r_comm(struct rbuf *r, char *dst)
{
	if (r_need(r, ST_COMM_LEN, "a record ends early")) {
		memcpy(dst, r->p + r->off, ST_COMM_LEN);
		r->off += ST_COMM_LEN;
	}
}

static const char *r_list(struct rbuf *r, enum fig_list l, struct proc_view *p)
{
	const char *why = NULL;
	uint32_t n;

	switch (l) {
	case FL_NONE:
		break;
	case FL_DROP_REASONS:
		why = r_count(r, &n, MAX_DROP_REASONS, 0, "more drop reasons than allowed", NULL,
			      NULL, 0);
		if (why)
			return why;
		p->n_drop_reasons = n;
		for (unsigned i = 0; i < n; i++) {
			r_str(r, p->drop_reasons[i].reason, sizeof(p->drop_reasons[i].reason));
			p->drop_reasons[i].count = r_u64(r);
		}
		break;
	case FL_SYSCALLS:
		why = r_count(r, &n, RECORDING_MAX_SYSCALLS, MIN_SYSCALL_WIRE,
			      "a process has more syscall rows than allowed",
			      "a syscall list runs past its record", (void **)&p->syscalls,
			      sizeof(*p->syscalls));
		if (why)
			return why;
		p->n_syscalls = n;
		for (unsigned i = 0; i < n && !why; i++)
			why = r_syscall(r, &p->syscalls[i]);
		break;
	case FL_THREADS:
		why = r_count(r, &n, RECORDING_MAX_VIEWS, MIN_THREAD_WIRE,
			      "a process has more thread views than allowed",
			      "a thread list runs past its record", (void **)&p->thread_views,
			      sizeof(*p->thread_views));
		if (why)
			return why;
		p->n_thread_views = n;
		for (unsigned i = 0; i < n; i++) {
			struct thread_view *t = &p->thread_views[i];

			t->tid = r_u32(r);
			r_comm(r, t->comm);
			t->oncpu_s = r_f64(r);
			t->runq_wait_s = r_f64(r);
			t->busy_s = r_f64(r);
			t->switches = r_u64(r);
			t->syscalls = r_u64(r);
			t->rx_ops = r_u64(r);
		}
		break;
	case FL_CONNS:
		why = r_count(r, &n, RECORDING_MAX_VIEWS, MIN_CONN_WIRE,
			      "a process has more connections than allowed",
			      "a connection list runs past its record", (void **)&p->conns,
			      sizeof(*p->conns));
		if (why)
			return why;
		p->n_conns = n;
		for (unsigned i = 0; i < n; i++) {
			struct conn_view *c = &p->conns[i];

			r_str(r, c->proto, sizeof(c->proto));
			r_str(r, c->local, sizeof(c->local));
			r_str(r, c->remote, sizeof(c->remote));
			c->rx_bytes = r_u64(r);
			c->rx_ops = r_u64(r);
			c->tx_bytes = r_u64(r);
			c->tx_ops = r_u64(r);
			c->backlog_bytes = r_u64(r);
		}
		break;
	case FL_BLOCKED:
		for (unsigned k = 0; k < ST_BLK__MAX; k++)
			p->blocked_busy_s[k] = r_f64(r);
		break;
	case FL_UNITS:
		why = r_count(r, &n, ST_UNITS, 0, "a process has more units than there are", NULL,
			      NULL, 0);
		if (why)
			return why;
		p->n_units = n;
		for (unsigned i = 0; i < n; i++) {
			p->units[i].unit = r_u32(r);
			p->units[i].msgs = r_u64(r);
			p->units[i].arrival_rate = r_f64(r);
			p->units[i].throughput = r_f64(r);
		}
		break;
	case FL_CONN_UNITS:
		n = r_u32(r);
		if (r->bad)
			return r->bad;
		if (n != p->n_conns)
			return "a process's connection units do not match its connections";
		for (unsigned i = 0; i < n; i++) {
			p->conns[i].unit_rx = r_u32(r);
			p->conns[i].unit_tx = r_u32(r);
		}
		break;
	}
	return why;
}

/* One field of the figure list into process @p or queue @q; a list's
 * problem is returned, a scalar's is left in r->bad. */
/* A scalar member (FIG_F64 .. FIG_BOOL) into @m. */
static void r_scalar(struct rbuf *r, enum fig_type type, void *m)
{
	switch (type) {
	case FIG_F64:
		*(double *)m = r_f64(r);
		break;
	case FIG_U64:
		*(uint64_t *)m = r_u64(r);
		break;
	case FIG_U32:
		*(uint32_t *)m = r_u32(r);
		break;
	case FIG_I32:
	case FIG_BOOL:
		*(int *)m = r_i32(r);
		break;
	default:
		break;
	}
}

static const char *r_field(struct rbuf *r, const struct figure *f, struct proc_view *p,
			   struct queue_figures *q)
{
	void *m = f->type == FIG_LIST || f->type == FIG_NONE ? NULL : fig_mut(f, p, q);

	switch (f->type) {
	case FIG_COMM:
		r_comm(r, m);
		break;
	case FIG_HIST:
		r_hist(r, m);
		break;
	case FIG_LIST:
		return r->bad ? r->bad : r_list(r, f->list, p);
	case FIG_NONE:
		break;
	default:
		r_scalar(r, f->type, m);
		break;
	}
	return NULL;
}

/* A service's queue: the queue rows recorded from the first (minor 0); the
 * ones added later are not in a service's record, and those unknown when
 * absent (FF_OLD_NAN) are NaN (the service's own list may read one after). */
static void r_queue(struct rbuf *r, struct queue_figures *q)
{
	const struct figure *order[FIG_MAX_REC];
	unsigned n = fig_rec_order(order, FIG_MAX_REC);

	for (unsigned i = 0; i < n; i++)
		if (order[i] && order[i]->base == FB_QUEUE && !order[i]->minor)
			r_field(r, order[i], NULL, q);
		else if (order[i] && order[i]->base == FB_QUEUE && (order[i]->flags & FF_OLD_NAN))
			*(double *)fig_mut(order[i], NULL, q) = NAN;
}

/*
 * A process record, field by field in .rec order. The fields a later minor
 * version appended are read only when the record has them: a record from
 * an older file ends before them, and they stay unknown (FF_OLD_NAN: NaN,
 * else 0). Anything after the last field is from a newer minor version.
 */
static const char *r_proc(struct rbuf *outer, struct proc_view *p)
{
	const struct figure *order[FIG_MAX_REC];
	unsigned n = fig_rec_order(order, FIG_MAX_REC), minor = 0, i;
	struct rbuf r;

	if (!r_rec(outer, &r))
		return outer->bad;
	for (i = 0; i < n; i++) {
		const char *why;

		if (!order[i])
			continue;
		if (order[i]->minor > minor) {
			if (r.bad || r.off >= r.len)
				break;
			minor = order[i]->minor;
		}
		why = r_field(&r, order[i], p, NULL);
		if (why)
			return why;
	}
	for (; i < n; i++)
		if (order[i] && (order[i]->flags & FF_OLD_NAN))
			*(double *)fig_mut(order[i], p, NULL) = NAN;
	return r.bad;
}

/* A service's process list. */
static const char *r_service_pids(struct rbuf *sub, struct service_view *v)
{
	uint32_t np = r_u32(sub);

	if (sub->bad)
		return sub->bad;
	if (np > (sub->len - sub->off) / 4)
		return "a service's process list runs past its record";
	v->pids = calloc(np ? np : 1, sizeof(*v->pids));
	if (!v->pids)
		return "out of memory";
	v->n_pids = np;
	for (unsigned k = 0; k < np; k++)
		v->pids[k] = r_u32(sub);
	return NULL;
}

/* One service record, field by field in .rec order; the appended fields
 * are read only when the record has them (else NaN, or 0). */
static const char *r_service(struct rbuf *sub, struct service_view *v)
{
	const struct svc_figure *order[SVC_MAX_REC];
	unsigned n = svc_rec_order(order, SVC_MAX_REC), i;

	for (i = 0; i < n; i++) {
		const struct svc_figure *f = order[i];
		const char *why = NULL;

		if (!f)
			continue;
		if (f->appended && (sub->bad || sub->off >= sub->len))
			break; /* written before it was appended */
		if (f->section == SS_NAME)
			r_str(sub, v->name, sizeof(v->name));
		else if (f->section == SS_PIDS)
			why = r_service_pids(sub, v);
		else if (f->section == SS_QUEUE)
			r_queue(sub, &v->queue);
		else
			r_scalar(sub, f->type, svc_mut(f, v));
		if (why)
			return why;
	}
	for (; i < n; i++)
		if (order[i] && order[i]->type == FIG_F64)
			*(double *)svc_mut(order[i], v) = NAN;
	return sub->bad;
}

/* The services after the processes, in files written since they were added. */
static const char *r_services(struct rbuf *r, struct snapshot *s)
{
	uint32_t n;

	if (r->bad || r->off >= r->len)
		return r->bad;
	s->has_services = r_i32(r) != 0;
	n = r_u32(r);
	if (r->bad)
		return r->bad;
	if (n > RECORDING_MAX_PROCS || n > (r->len - r->off) / 8)
		return "a service list runs past its frame";
	if (!n)
		return NULL;
	s->services = calloc(n, sizeof(*s->services));
	if (!s->services)
		return "out of memory";
	for (unsigned i = 0; i < n; i++) {
		struct rbuf sub;
		const char *why;

		s->n_services = i + 1;
		if (!r_rec(r, &sub))
			return r->bad;
		why = r_service(&sub, &s->services[i]);
		if (why)
			return why;
	}
	return NULL;
}

static const char *r_snapshot(struct rbuf *r, struct snapshot *s)
{
	uint32_t flags, n;

	memset(s, 0, sizeof(*s));
	flags = r_u32(r);
	s->is_summary = (flags & SNAP_SUMMARY) != 0;
	s->time = r_f64(r);
	s->span_s = r_f64(r);
	n = r_u32(r);
	if (r->bad)
		return r->bad;
	if (n > MAX_LOST_KINDS)
		return "too many lost-event kinds";
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = r_u64(r);

		/* kinds this build does not know are left out of the breakdown */
		if (i < ST_LOST__MAX)
			s->lost.kinds[i] = v;
	}
	s->lost.recursion = r_u64(r);
	s->pipeline.n_stages = r_u32(r);
	s->pipeline.bottleneck_pid = r_u32(r);
	s->pipeline.e2e_response_s = r_f64(r);
	r_str(r, s->whatif_spec, sizeof(s->whatif_spec));
	s->has_threads = r_i32(r);
	s->has_conns = r_i32(r);
	n = r_u32(r);
	if (r->bad)
		return r->bad;
	if (n > RECORDING_MAX_PROCS)
		return "more processes than allowed";
	if (n > (r->len - r->off) / MIN_PROC_WIRE)
		return "a process list runs past its frame";
	/* grow as processes really decode, so memory follows the bytes present */
	for (unsigned i = 0, cap = 0; i < n; i++) {
		const char *why;

		if (i == cap) {
			unsigned ncap = cap ? (cap * 2 < n ? cap * 2 : n) : (n < 64 ? n : 64);
			struct proc_view *p = realloc(s->procs, ncap * sizeof(*p));

			if (!p)
				return "out of memory";
			memset(p + cap, 0, (ncap - cap) * sizeof(*p));
			s->procs = p;
			cap = ncap;
		}
		s->n_procs = i + 1;
		why = r_proc(r, &s->procs[i]);
		if (why)
			return why;
	}
	const char *why = r_services(r, s);

	s->host.steal_s = NAN; /* unknown in files before minor 6 */
	if (!why && !r->bad && r->off < r->len) {
		s->host.cpus = r_u32(r);
		s->host.steal_s = r_f64(r);
		why = r->bad;
	}
	return why;
}

static void r_meta_sample(struct rbuf *r, struct recording_meta *m)
{
	m->sample_every = 1;
	if (!r->bad && r->len - r->off >= 4)
		m->sample_every = r_u32(r);
	if (!m->sample_every)
		m->sample_every = 1;
}

static const char *r_meta(struct rbuf *r, struct recording_meta *m)
{
	memset(m, 0, sizeof(*m));
	r_str(r, m->host, sizeof(m->host));
	r_str(r, m->kernel, sizeof(m->kernel));
	r_str(r, m->arch, sizeof(m->arch));
	r_str(r, m->version, sizeof(m->version));
	r_str(r, m->cmdline, sizeof(m->cmdline));
	m->start_time = r_f64(r);
	m->interval_s = r_f64(r);
	r_meta_sample(r, m);
	return r->bad;
}

/* ---- common ------------------------------------------------------------- */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t recording_count(const struct recording *rec)
{
	return rec->count;
}

/* ---- writer ------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0) {
			errno = EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Compress @payload into one frame and write it with a single write(2). */
static int write_frame(struct recording *rec, const char *tag, const struct wbuf *payload)
{
	uLongf clen;
	uint8_t *frame;
	uint32_t crc;
	int ret;

	if (payload->oom) {
		errno = ENOMEM;
		return -1;
	}
	if (payload->len > RECORDING_MAX_FRAME_BYTES) {
		errno = EFBIG;
		return -1;
	}
	clen = compressBound((uLong)payload->len);
	frame = malloc(FRAME_HDR_LEN + clen);
	if (!frame) {
		errno = ENOMEM;
		return -1;
	}
	if (compress2(frame + FRAME_HDR_LEN, &clen, payload->p, (uLong)payload->len, 6) != Z_OK) {
		free(frame);
		errno = EIO;
		return -1;
	}
	memcpy(frame, tag, 4);
	put_le32(frame + 4, rec->seq);
	put_le32(frame + 8, (uint32_t)clen);
	put_le32(frame + 12, (uint32_t)payload->len);
	crc = (uint32_t)crc32(0L, frame, 16);
	crc = (uint32_t)crc32(crc, frame + FRAME_HDR_LEN, (uInt)clen);
	put_le32(frame + 16, crc);
	ret = write_all(rec->fd, frame, FRAME_HDR_LEN + clen);
	free(frame);
	if (ret)
		return -1;
	rec->seq++;
	rec->bytes += FRAME_HDR_LEN + clen;
	return 0;
}

static int need_quoting(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./"
			    "=:,+@%-",
			    *s))
			return 1;
	return 0;
}

void recording_meta_init(struct recording_meta *m, int argc, char *const *argv, const char *version,
			 double interval_s)
{
	struct utsname u;
	struct timespec ts;
	size_t len = 0, cap = sizeof(m->cmdline);
	int cut = 0;

	memset(m, 0, sizeof(*m));
	if (gethostname(m->host, sizeof(m->host) - 1))
		m->host[0] = 0;
	if (!uname(&u)) {
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
		snprintf(m->arch, sizeof(m->arch), "%s", u.machine);
	}
	snprintf(m->version, sizeof(m->version), "%s", version ? version : "");
	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	m->interval_s = interval_s;
	/* leave room for "..." */
	for (int i = 0; i < argc && argv[i] && !cut; i++) {
		char word[1024];
		size_t wl = 0;
		const char *s = argv[i];
		int q = need_quoting(s);

		if (q)
			word[wl++] = '\'';
		for (; *s && wl < sizeof(word) - 6; s++) {
			if (*s == '\'') {
				memcpy(word + wl, "'\\''", 4);
				wl += 4;
			} else {
				word[wl++] = *s;
			}
		}
		if (*s)
			cut = 1;
		if (q)
			word[wl++] = '\'';
		if (len + (i ? 1 : 0) + wl + 4 > cap) {
			cut = 1;
			break;
		}
		if (i)
			m->cmdline[len++] = ' ';
		memcpy(m->cmdline + len, word, wl);
		len += wl;
	}
	if (cut && len + 4 <= cap) {
		memcpy(m->cmdline + len, "...", 3);
		len += 3;
	}
	m->cmdline[len] = 0;
}

struct recording *recording_create(const char *path, const struct recording_meta *meta, char *err,
				   size_t errlen)
{
	struct recording *rec = calloc(1, sizeof(*rec));
	uint8_t hdr[FILE_HDR_LEN];
	struct wbuf b = {0};
	struct stat st;

	if (!rec) {
		errbuf_set(err, errlen, "out of memory");
		return NULL;
	}
	rec->writing = 1;
	snprintf(rec->name, sizeof(rec->name), "%s", path);
	/* "-": standard output (a pipe, a socket, a terminal: no checks of a
	 * regular file's, and it is not ours to chmod) */
	if (!strcmp(path, "-")) {
		snprintf(rec->name, sizeof(rec->name), "%s", "(stdout)");
		rec->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
		if (rec->fd < 0) {
			errbuf_set(err, errlen, "%s", strerror(errno));
			free(rec);
			return NULL;
		}
		goto header;
	}
	/* O_NOFOLLOW: a root tool does not write through a planted symlink */
	rec->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (rec->fd < 0) {
		errbuf_set(err, errlen, "%s",
			   errno == ELOOP ? "is a symlink; refusing to follow it"
					  : strerror(errno));
		free(rec);
		return NULL;
	}
	if (fstat(rec->fd, &st) || !S_ISREG(st.st_mode)) {
		errbuf_set(err, errlen, "not a regular file");
		goto fail;
	}
	/* an existing file keeps its mode through O_TRUNC */
	if (fchmod(rec->fd, 0600)) {
		errbuf_set(err, errlen, "cannot make it mode 0600: %s", strerror(errno));
		goto fail;
	}
header:
	memcpy(hdr, rec_magic, sizeof(rec_magic));
	hdr[8] = RECORDING_VERSION_MAJOR & 0xff;
	hdr[9] = RECORDING_VERSION_MAJOR >> 8;
	hdr[10] = RECORDING_VERSION_MINOR & 0xff;
	hdr[11] = RECORDING_VERSION_MINOR >> 8;
	put_le32(hdr + 12, (uint32_t)crc32(0L, hdr, 12));
	if (write_all(rec->fd, hdr, sizeof(hdr))) {
		errbuf_set(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	rec->bytes = sizeof(hdr);
	w_meta(&b, meta);
	if (write_frame(rec, TAG_META, &b)) {
		errbuf_set(err, errlen, "%s", strerror(errno));
		free(b.p);
		goto fail;
	}
	free(b.p);
	rec->last_sync = mono_now();
	return rec;
fail:
	close(rec->fd);
	free(rec);
	return NULL;
}

/* --profile: the run's profile in a PROF frame, before the summary that
 * points to it (docs/recordings.md); readers before minor 4 skip it. */
static int write_profile(struct recording *rec, const struct profile *p)
{
	struct wbuf b = {0};
	int ret;

	if (profile_encode(p, &b.p, &b.len))
		return -1;
	ret = write_frame(rec, TAG_PROF, &b);
	free(b.p);
	return ret;
}

int recording_write(struct recording *rec, const struct snapshot *s)
{
	struct wbuf b = {0};
	int ret;
	double now;

	if (!rec->writing) {
		errno = EBADF;
		return -1;
	}
	if (s->profile && write_profile(rec, s->profile))
		return -1;
	w_snapshot(&b, s);
	ret = write_frame(rec, TAG_SNAP, &b);
	free(b.p);
	if (ret)
		return -1;
	rec->count++;
	/* write(2) alone survives our death; a sync now and then bounds what a
	 * power loss takes, without a disk flush per (maybe 10 ms) interval */
	now = mono_now();
	if (now - rec->last_sync >= SYNC_EVERY_S) {
		fdatasync(rec->fd);
		rec->last_sync = now;
	}
	return 0;
}

void recording_progress(const struct recording *rec, FILE *f)
{
	fprintf(f, "\r\033[Kstreamtrace: recording %s: %llu interval%s, %.1f KiB", rec->name,
		(unsigned long long)rec->count, rec->count == 1 ? "" : "s",
		(double)rec->bytes / 1024.0);
	fflush(f);
}

/* ---- reader ------------------------------------------------------------- */

static int corrupt(struct recording *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int corrupt(struct recording *rec, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(rec->err, sizeof(rec->err), "corrupt recording: ");
	va_start(ap, fmt);
	vsnprintf(rec->err + n, sizeof(rec->err) - (size_t)n, fmt, ap);
	va_end(ap);
	rec->state = RS_CORRUPT;
	return -1;
}

static int truncated(struct recording *rec, const char *where)
{
	snprintf(rec->err, sizeof(rec->err),
		 "recording is cut short %s after %llu snapshot%s (the run was killed or the "
		 "file copied while being written)",
		 where, (unsigned long long)rec->count, rec->count == 1 ? "" : "s");
	rec->state = RS_TRUNCATED;
	return 0;
}

/* fread what is there; the count tells a cut file from a whole one */
static size_t read_upto(FILE *f, void *dst, size_t n)
{
	return fread(dst, 1, n, f);
}

/*
 * Read the next frame. 1: a frame (tag in @tag, inflated payload in *@out,
 * *@outlen bytes, caller frees). 0: the file ends at a frame boundary or
 * inside a frame (state says which). -1: corrupt.
 */
static int read_frame(struct recording *rec, char tag[4], uint8_t **out, size_t *outlen)
{
	uint8_t hdr[FRAME_HDR_LEN], *cbuf = NULL, *ubuf;
	uint32_t seq, clen, ulen, crc;
	size_t got, have = 0, cap = 0;
	uLongf dlen;
	int zr;

	got = read_upto(rec->f, hdr, sizeof(hdr));
	if (got == 0) {
		if (ferror(rec->f))
			return corrupt(rec, "read error at byte %llu",
				       (unsigned long long)rec->offset);
		return truncated(rec, "at a frame boundary");
	}
	if (got < sizeof(hdr))
		return truncated(rec, "inside a frame header");
	memcpy(tag, hdr, 4);
	seq = get_le32(hdr + 4);
	clen = get_le32(hdr + 8);
	ulen = get_le32(hdr + 12);
	crc = get_le32(hdr + 16);
	if (clen > RECORDING_MAX_FRAME_BYTES || ulen > RECORDING_MAX_FRAME_BYTES)
		return corrupt(rec, "frame %u at byte %llu claims %u/%u bytes (more than allowed)",
			       rec->seq, (unsigned long long)rec->offset, clen, ulen);
	if ((uint64_t)ulen > (uint64_t)clen * ZLIB_MAX_RATIO + 64)
		return corrupt(rec, "frame %u at byte %llu claims an impossible size", rec->seq,
			       (unsigned long long)rec->offset);
	/* grow with what really arrives: a lying length cannot make us allocate */
	while (have < clen) {
		size_t want = clen - have, chunk;

		if (have == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *p;

			if (ncap > clen)
				ncap = clen;
			p = realloc(cbuf, ncap);
			if (!p) {
				free(cbuf);
				return corrupt(rec, "out of memory");
			}
			cbuf = p;
			cap = ncap;
		}
		if (want > cap - have)
			want = cap - have;
		chunk = read_upto(rec->f, cbuf + have, want);
		have += chunk;
		if (chunk < want) {
			free(cbuf);
			if (ferror(rec->f))
				return corrupt(rec, "read error in frame %u", rec->seq);
			return truncated(rec, "inside a frame");
		}
	}
	{
		uint32_t c = (uint32_t)crc32(0L, hdr, 16);

		c = (uint32_t)crc32(c, cbuf, clen);
		if (c != crc) {
			free(cbuf);
			return corrupt(rec, "frame %u at byte %llu fails its checksum", rec->seq,
				       (unsigned long long)rec->offset);
		}
	}
	if (seq != rec->seq) {
		free(cbuf);
		return corrupt(rec, "frame %u found where frame %u belongs", seq, rec->seq);
	}
	ubuf = malloc(ulen ? ulen : 1);
	if (!ubuf) {
		free(cbuf);
		return corrupt(rec, "out of memory");
	}
	dlen = ulen;
	zr = uncompress(ubuf, &dlen, cbuf, clen);
	free(cbuf);
	if (zr != Z_OK || dlen != ulen) {
		free(ubuf);
		return corrupt(rec, "frame %u does not inflate to its stated size", rec->seq);
	}
	rec->offset += FRAME_HDR_LEN + (uint64_t)clen;
	rec->seq++;
	*out = ubuf;
	*outlen = ulen;
	return 1;
}

struct recording *recording_open_stream(FILE *f, const char *name, struct recording_meta *meta,
					char *err, size_t errlen)
{
	struct recording *rec;
	uint8_t hdr[FILE_HDR_LEN], *payload = NULL;
	size_t got, plen = 0;
	unsigned major, minor;
	char tag[4];
	struct rbuf r;
	const char *why;

	if (!f) {
		errbuf_set(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		fclose(f);
		errbuf_set(err, errlen, "out of memory");
		return NULL;
	}
	rec->f = f;
	snprintf(rec->name, sizeof(rec->name), "%s", name ? name : "");
	got = read_upto(f, hdr, sizeof(hdr));
	if (got < sizeof(rec_magic) || memcmp(hdr, rec_magic, sizeof(rec_magic))) {
		errbuf_set(err, errlen, "not a streamtrace recording (no magic header)");
		goto fail;
	}
	if (got < sizeof(hdr)) {
		errbuf_set(err, errlen, "recording is cut short inside its header");
		goto fail;
	}
	if (get_le32(hdr + 12) != (uint32_t)crc32(0L, hdr, 12)) {
		errbuf_set(err, errlen, "corrupt recording: the file header fails its checksum");
		goto fail;
	}
	major = hdr[8] | (unsigned)hdr[9] << 8;
	minor = hdr[10] | (unsigned)hdr[11] << 8;
	if (major > RECORDING_VERSION_MAJOR) {
		errbuf_set(err, errlen,
			   "recording format %u.%u is newer than this streamtrace reads (%u.x); "
			   "use a newer streamtrace",
			   major, minor, RECORDING_VERSION_MAJOR);
		goto fail;
	}
	if (major < 1) {
		errbuf_set(err, errlen, "corrupt recording: format version %u.%u does not exist",
			   major, minor);
		goto fail;
	}
	rec->minor = minor;
	rec->offset = sizeof(hdr);
	if (read_frame(rec, tag, &payload, &plen) != 1) {
		if (rec->state == RS_TRUNCATED)
			errbuf_set(err, errlen, "recording is cut short before its metadata");
		else
			errbuf_set(err, errlen, "%s", rec->err);
		goto fail;
	}
	if (memcmp(tag, TAG_META, 4)) {
		errbuf_set(err, errlen, "corrupt recording: it does not start with its metadata");
		free(payload);
		goto fail;
	}
	r = (struct rbuf){.p = payload, .len = plen};
	why = r_meta(&r, meta);
	rec->sample_every = meta->sample_every;
	free(payload);
	if (why) {
		errbuf_set(err, errlen, "corrupt recording: metadata: %s", why);
		goto fail;
	}
	return rec;
fail:
	fclose(f);
	free(rec);
	return NULL;
}

struct recording *recording_open(const char *path, struct recording_meta *meta, char *err,
				 size_t errlen)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;

	if (f && (fstat(fileno(f), &st) || S_ISDIR(st.st_mode))) {
		fclose(f);
		errbuf_set(err, errlen, "is a directory");
		return NULL;
	}
	return recording_open_stream(f, path, meta, err, errlen);
}

int recording_next(struct recording *rec, struct snapshot *out)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		uint8_t *payload = NULL;
		size_t plen = 0;
		char tag[4];
		struct rbuf r;
		const char *why;
		int ret;

		switch (rec->state) {
		case RS_OK:
			break;
		case RS_END:
		case RS_TRUNCATED:
			return 0;
		case RS_CORRUPT:
			return -1;
		}
		if (rec->writing)
			return corrupt(rec, "not open for reading");
		ret = read_frame(rec, tag, &payload, &plen);
		if (ret <= 0)
			return ret;
		r = (struct rbuf){.p = payload, .len = plen};
		if (!memcmp(tag, TAG_SNAP, 4)) {
			why = r_snapshot(&r, out);
			out->sample_every = rec->sample_every;
			free(payload);
			if (why) {
				snapshot_free(out);
				return corrupt(rec, "snapshot %llu: %s",
					       (unsigned long long)rec->count + 1, why);
			}
			rec->count++;
			if (out->is_summary) { /* the PROF frame before it: the summary's */
				out->profile = rec->profile;
				rec->profile = NULL;
			}
			return 1;
		}
		if (!memcmp(tag, TAG_PROF, 4)) {
			struct profile *p = profile_decode(payload, plen, &why);

			free(payload);
			if (!p)
				return corrupt(rec, "%s", why);
			profile_free(rec->profile);
			rec->profile = p;
			continue;
		}
		if (!memcmp(tag, TAG_END, 4)) {
			uint64_t n = 0;

			n = r_u64(&r);
			free(payload);
			if (r.bad)
				return corrupt(rec, "end frame: %s", r.bad);
			if (n != rec->count)
				return corrupt(
					rec, "end frame counts %llu snapshots, file has %llu",
					(unsigned long long)n, (unsigned long long)rec->count);
			if (fgetc(rec->f) != EOF)
				return corrupt(rec, "data after the end frame");
			rec->state = RS_END;
			return 0;
		}
		if (!memcmp(tag, TAG_META, 4)) {
			free(payload);
			return corrupt(rec, "a second metadata frame");
		}
		/* a frame kind from a newer minor version: checked, and skipped */
		free(payload);
	}
}

int recording_truncated(const struct recording *rec)
{
	return rec->state == RS_TRUNCATED;
}

const char *recording_error(const struct recording *rec)
{
	return rec->state == RS_CORRUPT || rec->state == RS_TRUNCATED ? rec->err : NULL;
}

int recording_close(struct recording *rec)
{
	int ret = 0;

	if (!rec)
		return 0;
	if (rec->writing) {
		struct wbuf b = {0};
		int e = 0;

		w_u64(&b, rec->count);
		if (write_frame(rec, TAG_END, &b))
			e = errno;
		free(b.p);
		if (fdatasync(rec->fd) && errno != EINVAL && errno != EROFS && !e)
			e = errno;
		if (close(rec->fd) && !e)
			e = errno;
		if (e) {
			errno = e;
			ret = -1;
		}
	} else if (rec->f) {
		fclose(rec->f);
	}
	profile_free(rec->profile);
	free(rec);
	return ret;
}
