// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A run's stack profile as folded rows (profile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"

#define NO_ROW		((size_t)-1)
#define MAX_DECODE_ROWS (1u << 20)
#define MAX_STACK_BYTES (64u << 10)

struct profile *profile_new(uint32_t hz)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (p)
		p->hz = hz;
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->rows[i].stack);
	free(p->rows);
	free(p->slots);
	free(p);
}

static uint64_t row_hash(uint32_t pid, uint32_t offcpu, const char *stack)
{
	uint64_t h = 1469598103934665603ull ^ pid ^ ((uint64_t)offcpu << 32);

	for (const unsigned char *c = (const unsigned char *)stack; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	return h;
}

static int rehash(struct profile *p, size_t n_slots)
{
	size_t *s = malloc(n_slots * sizeof(*s));

	if (!s)
		return -1;
	for (size_t i = 0; i < n_slots; i++)
		s[i] = NO_ROW;
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		size_t k = row_hash(r->pid, r->offcpu, r->stack) & (n_slots - 1);

		while (s[k] != NO_ROW)
			k = (k + 1) & (n_slots - 1);
		s[k] = i;
	}
	free(p->slots);
	p->slots = s;
	p->n_slots = n_slots;
	return 0;
}

int profile_add(struct profile *p, uint32_t pid, const char *comm, uint32_t offcpu,
		const char *stack, uint64_t value)
{
	size_t k;
	struct profile_row *r;

	if ((p->n + 1) * 2 > p->n_slots && rehash(p, p->n_slots ? 2 * p->n_slots : 64))
		return -1;
	k = row_hash(pid, offcpu, stack) & (p->n_slots - 1);
	while (p->slots[k] != NO_ROW) {
		r = &p->rows[p->slots[k]];
		if (r->pid == pid && r->offcpu == offcpu && !strcmp(r->stack, stack)) {
			r->value += value;
			return 0;
		}
		k = (k + 1) & (p->n_slots - 1);
	}
	if (p->n == p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 64;
		struct profile_row *nr = realloc(p->rows, nc * sizeof(*nr));

		if (!nr)
			return -1;
		p->rows = nr;
		p->cap = nc;
	}
	r = &p->rows[p->n];
	memset(r, 0, sizeof(*r));
	r->stack = strdup(stack);
	if (!r->stack)
		return -1;
	r->pid = pid;
	r->offcpu = offcpu ? 1 : 0;
	r->value = value;
	snprintf(r->comm, sizeof(r->comm), "%s", comm ? comm : "?");
	p->slots[k] = p->n++;
	return 0;
}

/* A comm as a folded-stack frame: no ';', no spaces (a space would end it). */
static void put_comm(FILE *f, const char *comm)
{
	for (size_t i = 0; i < ST_COMM_LEN && comm[i]; i++)
		fputc(comm[i] == ';' || comm[i] == ' ' || comm[i] == '\n' ? '_' : comm[i], f);
}

int profile_write_folded(const struct profile *p, FILE *f)
{
	for (size_t i = 0; p && i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		uint64_t v = r->offcpu ? (r->value + 500) / 1000 : r->value;

		if (!v)
			continue;
		put_comm(f, r->comm);
		fprintf(f, "%s%s%s %llu\n", r->offcpu ? "-off" : "", r->stack[0] ? ";" : "",
			r->stack, (unsigned long long)v);
	}
	return ferror(f) ? -1 : 0;
}

/* ---- the recording's PROF payload --------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 4096;
		uint8_t *np;

		while (nc < b->len + n)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t x[8];

	for (unsigned i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, n);
}

int profile_encode(const struct profile *p, uint8_t **out, size_t *len)
{
	struct buf b = {0};

	put_le(&b, p->hz, 4);
	put_le(&b, p->n, 4);
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		size_t sl = strlen(r->stack);

		put_le(&b, r->pid, 4);
		put(&b, r->comm, ST_COMM_LEN);
		put_le(&b, r->offcpu, 4);
		put_le(&b, r->value, 8);
		put_le(&b, sl, 4);
		put(&b, r->stack, sl);
	}
	if (b.oom) {
		free(b.p);
		errno = ENOMEM;
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

static uint64_t get_le(const uint8_t **p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += n;
	return v;
}

struct profile *profile_decode(const uint8_t *buf, size_t len, const char **why)
{
	const uint8_t *p = buf, *end = buf + len;
	struct profile *prof;
	uint32_t n;
	char *stack = NULL;

	*why = "profile frame cut short";
	if (len < 8)
		return NULL;
	prof = profile_new((uint32_t)get_le(&p, 4));
	if (!prof) {
		*why = "out of memory";
		return NULL;
	}
	n = (uint32_t)get_le(&p, 4);
	if (n > MAX_DECODE_ROWS || (size_t)(end - p) / (4 + ST_COMM_LEN + 4 + 8 + 4) < n) {
		*why = "profile frame: more rows than bytes";
		goto bad;
	}
	for (uint32_t i = 0; i < n; i++) {
		char comm[ST_COMM_LEN + 1];
		uint32_t pid, off, sl;
		uint64_t v;

		if ((size_t)(end - p) < 4 + ST_COMM_LEN + 4 + 8 + 4)
			goto bad;
		pid = (uint32_t)get_le(&p, 4);
		memcpy(comm, p, ST_COMM_LEN);
		comm[ST_COMM_LEN] = 0;
		p += ST_COMM_LEN;
		off = (uint32_t)get_le(&p, 4);
		v = get_le(&p, 8);
		sl = (uint32_t)get_le(&p, 4);
		if (off > 1 || sl > MAX_STACK_BYTES || (size_t)(end - p) < sl) {
			*why = "profile frame: a bad row";
			goto bad;
		}
		stack = malloc(sl + 1);
		if (!stack) {
			*why = "out of memory";
			goto bad;
		}
		memcpy(stack, p, sl);
		stack[sl] = 0;
		p += sl;
		if (memchr(stack, 0, sl) || memchr(stack, '\n', sl)) {
			*why = "profile frame: a bad stack";
			goto bad;
		}
		if (profile_add(prof, pid, comm, off, stack, v)) {
			*why = "out of memory";
			goto bad;
		}
		free(stack);
		stack = NULL;
	}
	if (p != end) {
		*why = "profile frame: bytes after the rows";
		goto bad;
	}
	*why = NULL;
	return prof;
bad:
	free(stack);
	profile_free(prof);
	return NULL;
}

/* ---- per process -------------------------------------------------------- */

uint64_t profile_total(const struct profile *p, uint32_t pid, uint32_t offcpu)
{
	uint64_t t = 0;

	for (size_t i = 0; p && i < p->n; i++)
		if (p->rows[i].pid == pid && p->rows[i].offcpu == offcpu)
			t += p->rows[i].value;
	return t;
}

/* The row's frame for the top list: its innermost user frame. */
void profile_row_frame(const char *stack, char *out, size_t len)
{
	const char *end = stack + strlen(stack), *s, *e = end, *first = NULL, *first_e = NULL;

	/* walk frames innermost first */
	while (e > stack) {
		s = e;
		while (s > stack && s[-1] != ';')
			s--;
		if (!first) {
			first = s;
			first_e = e;
		}
		if (e - s < 4 || memcmp(e - 4, "_[k]", 4)) {
			snprintf(out, len, "%.*s", (int)(e - s), s);
			return;
		}
		e = s > stack ? s - 1 : stack;
	}
	if (first)
		snprintf(out, len, "%.*s", (int)(first_e - first), first);
	else
		snprintf(out, len, "[no stack]");
}

static int top_cmp(const void *a, const void *b)
{
	const struct profile_top *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return strcmp(x->frame, y->frame);
}

size_t profile_top(const struct profile *p, uint32_t pid, uint32_t offcpu, struct profile_top *out,
		   size_t max)
{
	struct profile_top *all = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; p && i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		char f[256];
		size_t k;

		if (r->pid != pid || r->offcpu != offcpu || !r->value)
			continue;
		profile_row_frame(r->stack, f, sizeof(f));
		for (k = 0; k < n && strcmp(all[k].frame, f); k++)
			;
		if (k == n) {
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct profile_top *na = realloc(all, nc * sizeof(*na));

				if (!na)
					break;
				all = na;
				cap = nc;
			}
			memcpy(all[n].frame, f, sizeof(f));
			all[n++].value = 0;
		}
		all[k].value += r->value;
	}
	if (n)
		qsort(all, n, sizeof(*all), top_cmp);
	if (n > max)
		n = max;
	if (n)
		memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

size_t profile_pids(const struct profile *p, uint32_t *pids, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->n; i++) {
		size_t k;

		for (k = 0; k < n && pids[k] != p->rows[i].pid; k++)
			;
		if (k == n && n < max)
			pids[n++] = p->rows[i].pid;
	}
	return n;
}
