// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --profile in a live run: kernel counts -> named folded rows (profile_live.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "profile_live.h"
#include "symbols.h"

#define ST_EFAULT 14
#define FRAME_MAX 512

struct entry {
	struct st_prof_key k;
	uint64_t value;
	char *stack; /* named once, at first sight */
	char comm[ST_COMM_LEN];
};

struct prof_live {
	unsigned hz;
	struct symcache *sc;
	struct entry *e;
	size_t n, cap;
	size_t *idx; /* open addressing over e[] by key */
	size_t n_idx;
	/* pids whose mappings were read in this pass */
	uint32_t *fresh;
	size_t n_fresh, cap_fresh;
	struct tracer *tr; /* during a read */
};

struct prof_live *prof_live_new(unsigned hz)
{
	struct prof_live *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->hz = hz;
	pl->sc = symcache_new("/usr/lib/debug");
	if (!pl->sc) {
		free(pl);
		return NULL;
	}
	symcache_load_kallsyms(pl->sc, "/proc/kallsyms");
	return pl;
}

void prof_live_free(struct prof_live *pl)
{
	if (!pl)
		return;
	for (size_t i = 0; i < pl->n; i++)
		free(pl->e[i].stack);
	free(pl->e);
	free(pl->idx);
	free(pl->fresh);
	symcache_free(pl->sc);
	free(pl);
}

static size_t key_hash(const struct st_prof_key *k)
{
	uint64_t h = k->tgid * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)(uint32_t)k->ustack * 0xc2b2ae3d27d4eb4full;
	h ^= (uint64_t)(uint32_t)k->kstack * 0x165667b19e3779f9ull + k->offcpu;
	return (size_t)(h ^ (h >> 29));
}

static int same_key(const struct st_prof_key *a, const struct st_prof_key *b)
{
	return a->tgid == b->tgid && a->ustack == b->ustack && a->kstack == b->kstack &&
	       a->offcpu == b->offcpu;
}

static int grow_idx(struct prof_live *pl)
{
	size_t n = pl->n_idx ? 2 * pl->n_idx : 1024, *idx = malloc(n * sizeof(*idx));

	if (!idx)
		return -1;
	for (size_t i = 0; i < n; i++)
		idx[i] = (size_t)-1;
	for (size_t i = 0; i < pl->n; i++) {
		size_t h = key_hash(&pl->e[i].k) & (n - 1);

		while (idx[h] != (size_t)-1)
			h = (h + 1) & (n - 1);
		idx[h] = i;
	}
	free(pl->idx);
	pl->idx = idx;
	pl->n_idx = n;
	return 0;
}

/* The process's name now (prctl renames without an exec), else the slot
 * table's, as the kernel had it at the exit. */
static void comm_of(struct tracer *tr, uint32_t pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (f) {
		int ok = fgets(comm, ST_COMM_LEN, f) != NULL;

		fclose(f);
		if (ok) {
			comm[strcspn(comm, "\n")] = 0;
			return;
		}
	}
	snprintf(comm, ST_COMM_LEN, "?");
	for (uint32_t i = 0; i < tracer_max_procs(tr); i++) {
		const volatile struct st_proc *p = tracer_proc(tr, i);

		if (p->state != ST_PROC_FREE && p->tgid == pid) {
			memcpy(comm, (const char *)p->comm, ST_COMM_LEN);
			comm[ST_COMM_LEN - 1] = 0;
			return;
		}
	}
}

/* Append a frame to the stack string being built. */
static int append(char **s, size_t *len, size_t *cap, const char *frame)
{
	size_t fl = strlen(frame);

	if (*len + fl + 2 > *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		char *n;

		while (nc < *len + fl + 2)
			nc *= 2;
		n = realloc(*s, nc);
		if (!n)
			return -1;
		*s = n;
		*cap = nc;
	}
	if (*len)
		(*s)[(*len)++] = ';';
	memcpy(*s + *len, frame, fl + 1);
	*len += fl;
	return 0;
}

static char *name_stack(struct prof_live *pl, const struct st_prof_key *k, const uint64_t *us,
			unsigned nu, const uint64_t *ks, unsigned nk)
{
	char *s = NULL, frame[FRAME_MAX];
	size_t len = 0, cap = 0;
	int bad = 0;

	bad |= append(&s, &len, &cap, "");
	if (k->ustack < 0 && k->ustack != -ST_EFAULT)
		bad |= append(&s, &len, &cap, "[user stack lost]");
	else if (k->ustack >= 0 && !nu)
		bad |= append(&s, &len, &cap, "[user stack gone]");
	/* outermost first; return addresses (all but the innermost frame)
	 * named by the call before them */
	for (unsigned i = nu; i-- > 0;) {
		symcache_user(pl->sc, (pid_t)k->tgid, us[i] - (i ? 1 : 0), frame, sizeof(frame));
		bad |= append(&s, &len, &cap, frame);
	}
	if (k->kstack < 0 && k->kstack != -ST_EFAULT)
		bad |= append(&s, &len, &cap, "[kernel stack lost]_[k]");
	/* the innermost kernel frames of an off-CPU stack are the tracepoint's
	 * and our own program's (bpf_trace_run, bpf_prog_..._st_prof_switch):
	 * left out, so the stack ends where the thread blocked */
	while (nk && k->offcpu) {
		symcache_kernel(pl->sc, ks[0], frame, sizeof(frame));
		if (strncmp(frame, "bpf_", 4) && strncmp(frame, "__traceiter_", 12) &&
		    strncmp(frame, "__bpf_trace_", 12))
			break;
		ks++;
		nk--;
	}
	for (unsigned i = nk; i-- > 0;) {
		symcache_kernel(pl->sc, ks[i], frame, sizeof(frame));
		bad |= append(&s, &len, &cap, frame);
	}
	if (bad) {
		free(s);
		return NULL;
	}
	return s;
}

static void on_count(void *ctx, const struct st_prof_key *k, uint64_t value, const uint64_t *us,
		     unsigned nu, const uint64_t *ks, unsigned nk)
{
	struct prof_live *pl = ctx;
	struct entry *e;
	size_t h;
	int fresh = 0;

	if ((pl->n + 1) * 2 > pl->n_idx && grow_idx(pl))
		return;
	h = key_hash(k) & (pl->n_idx - 1);
	while (pl->idx[h] != (size_t)-1) {
		e = &pl->e[pl->idx[h]];
		if (same_key(&e->k, k)) {
			e->value = value;
			return;
		}
		h = (h + 1) & (pl->n_idx - 1);
	}
	if (pl->n == pl->cap) {
		size_t nc = pl->cap ? 2 * pl->cap : 256;
		struct entry *ne = realloc(pl->e, nc * sizeof(*ne));

		if (!ne)
			return;
		pl->e = ne;
		pl->cap = nc;
	}
	/* a new stack: the process's mappings now, once a pass */
	for (size_t i = 0; i < pl->n_fresh && !fresh; i++)
		fresh = pl->fresh[i] == k->tgid;
	if (!fresh) {
		symcache_set_maps(pl->sc, (pid_t)k->tgid, NULL);
		if (pl->n_fresh == pl->cap_fresh) {
			size_t nc = pl->cap_fresh ? 2 * pl->cap_fresh : 16;
			uint32_t *nf = realloc(pl->fresh, nc * sizeof(*nf));

			if (nf) {
				pl->fresh = nf;
				pl->cap_fresh = nc;
			}
		}
		if (pl->n_fresh < pl->cap_fresh)
			pl->fresh[pl->n_fresh++] = k->tgid;
	}
	e = &pl->e[pl->n];
	e->k = *k;
	e->value = value;
	e->stack = name_stack(pl, k, us, nu, ks, nk);
	if (!e->stack)
		return;
	comm_of(pl->tr, k->tgid, e->comm);
	pl->idx[h] = pl->n++;
}

/* The mappings of processes that are no longer live: their last stacks
 * have just been named (they run no more), so memory stays bounded by the
 * processes alive. */
static void forget_dead(struct prof_live *pl, struct tracer *tr)
{
	size_t n = symcache_pids(pl->sc, NULL, 0);
	pid_t *pids = n ? calloc(n, sizeof(*pids)) : NULL;

	if (!pids)
		return;
	symcache_pids(pl->sc, pids, n);
	for (size_t i = 0; i < n; i++) {
		int live = 0;

		for (uint32_t s = 0; s < tracer_max_procs(tr) && !live; s++) {
			const volatile struct st_proc *p = tracer_proc(tr, s);

			live = p->state == ST_PROC_LIVE && (pid_t)p->tgid == pids[i];
		}
		if (!live)
			symcache_forget(pl->sc, pids[i]);
	}
	free(pids);
}

void prof_live_read(struct prof_live *pl, struct tracer *tr)
{
	if (!pl)
		return;
	pl->n_fresh = 0;
	pl->tr = tr;
	tracer_read_prof(tr, on_count, pl);
	forget_dead(pl, tr);
}

void prof_live_poll(struct prof_live *pl, struct tracer *tr)
{
	struct timespec ts;
	uint64_t now;

	if (!pl)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (uint32_t i = 0; i < tracer_max_procs(tr); i++) {
		const volatile struct st_proc *p = tracer_proc(tr, i);

		if (p->state == ST_PROC_LIVE && p->traced_ns + PROF_MAPS_AGE_NS <= now &&
		    !symcache_has(pl->sc, (pid_t)p->tgid))
			symcache_set_maps(pl->sc, (pid_t)p->tgid, NULL);
	}
}

struct profile *prof_live_profile(struct prof_live *pl)
{
	struct profile *p = profile_new(pl->hz);

	for (size_t i = 0; p && i < pl->n; i++) {
		const struct entry *e = &pl->e[i];

		if (profile_add(p, e->k.tgid, e->comm, e->k.offcpu, e->stack, e->value)) {
			profile_free(p);
			return NULL;
		}
	}
	return p;
}
