// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-thread bookkeeping behind busy time: each reading's cumulative records
 * against the previous reading's, in an open-addressing table keyed by
 * (slot, generation, tid) and rebuilt at the end of each reading without the
 * threads that were not seen (exited).
 */
#include <stdlib.h>
#include <string.h>
#include "busy.h"

struct busy_thread {
	int used;
	uint32_t tid, slot, generation;
	uint64_t busy_ns, idle_ns, idle_periods;
	unsigned seen;	   /* reading number it was last seen in */
	unsigned readings; /* how many readings saw it */
};

struct busy_tracker {
	unsigned max_procs;
	unsigned reading;
	struct busy_slot *slots;
	struct busy_thread *tab;
	size_t cap, n; /* cap a power of two, n used */
};

struct busy_tracker *busy_new(unsigned max_procs)
{
	struct busy_tracker *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->max_procs = max_procs;
	b->slots = calloc(max_procs ? max_procs : 1, sizeof(*b->slots));
	b->cap = 64;
	b->tab = calloc(b->cap, sizeof(*b->tab));
	if (!b->slots || !b->tab) {
		busy_free(b);
		return NULL;
	}
	return b;
}

void busy_free(struct busy_tracker *b)
{
	if (!b)
		return;
	free(b->slots);
	free(b->tab);
	free(b);
}

static size_t hash(uint32_t tid, uint32_t slot, uint32_t gen, size_t cap)
{
	uint64_t k = ((uint64_t)tid << 32 | slot) ^ ((uint64_t)gen * 0x9e3779b97f4a7c15ull);

	k ^= k >> 29;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 32;
	return (size_t)k & (cap - 1);
}

static struct busy_thread *find(struct busy_tracker *b, uint32_t tid, uint32_t slot, uint32_t gen,
				int create)
{
	size_t i = hash(tid, slot, gen, b->cap);

	for (;; i = (i + 1) & (b->cap - 1)) {
		struct busy_thread *e = &b->tab[i];

		if (!e->used) {
			if (!create)
				return NULL;
			memset(e, 0, sizeof(*e));
			e->used = 1;
			e->tid = tid;
			e->slot = slot;
			e->generation = gen;
			b->n++;
			return e;
		}
		if (e->tid == tid && e->slot == slot && e->generation == gen)
			return e;
	}
}

/* Rebuild the table at cap; drop_unseen: without the threads this reading did not see. */
static int rebuild(struct busy_tracker *b, size_t cap, int drop_unseen)
{
	struct busy_thread *old = b->tab;
	size_t oldcap = b->cap;

	b->tab = calloc(cap, sizeof(*b->tab));
	if (!b->tab) {
		b->tab = old;
		return -1;
	}
	b->cap = cap;
	b->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		struct busy_thread *e;

		if (!old[i].used || (drop_unseen && old[i].seen != b->reading))
			continue;
		e = find(b, old[i].tid, old[i].slot, old[i].generation, 1);
		*e = old[i];
	}
	free(old);
	return 0;
}

void busy_begin(struct busy_tracker *b)
{
	b->reading++;
	memset(b->slots, 0, b->max_procs * sizeof(*b->slots));
}

void busy_add(struct busy_tracker *b, const struct st_busy_rec *r)
{
	struct busy_thread *e;
	struct busy_slot *s;
	int fresh;

	if (r->slot >= b->max_procs)
		return;
	/* at most half full, so that probing stays short */
	if ((b->n + 1) * 2 > b->cap && rebuild(b, b->cap * 2, 0))
		return;
	e = find(b, r->tid, r->slot, r->generation, 1);
	fresh = e->readings == 0;
	s = &b->slots[r->slot];
	if (!s->known || s->generation != r->generation) {
		memset(s, 0, sizeof(*s));
		s->known = 1;
		s->generation = r->generation;
	}
	/* totals are cumulative; a racing read may see a little less than
	 * the one before, which the next reading makes good: keep the larger */
	if (r->busy_ns > e->busy_ns) {
		s->active++;
		if (e->busy_ns == 0)
			s->active_new++;
		if (!fresh && r->idle_ns <= e->idle_ns && r->idle_periods == e->idle_periods)
			s->never_idle++;
		e->busy_ns = r->busy_ns;
	}
	if (r->idle_ns > e->idle_ns)
		e->idle_ns = r->idle_ns;
	e->idle_periods = r->idle_periods;
	e->seen = b->reading;
	e->readings++;
	s->live_busy_ns += e->busy_ns;
	s->live_idle_ns += e->idle_ns;
	if (e->readings >= 2 && e->busy_ns > 0 && e->idle_ns == 0 && e->idle_periods == 0)
		s->never_idle_run++;
}

void busy_end(struct busy_tracker *b)
{
	rebuild(b, b->cap, 1);
}

const struct busy_slot *busy_slot_get(const struct busy_tracker *b, uint32_t slot)
{
	static const struct busy_slot none;

	return slot < b->max_procs ? &b->slots[slot] : &none;
}
