// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Addresses to names for --profile: mappings, ELF symbols, kallsyms (symbols.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "symbols.h"

/* ---- /proc/PID/maps ----------------------------------------------------- */

void sym_maps_free(struct sym_map *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].path);
	free(m);
}

int sym_maps_parse(const char *text, struct sym_map **out, size_t *n)
{
	struct sym_map *m = NULL;
	size_t k = 0, cap = 0;
	const char *l = text;

	*out = NULL;
	*n = 0;
	while (l && *l) {
		const char *eol = strchr(l, '\n');
		size_t len = eol ? (size_t)(eol - l) : strlen(l);
		char line[4352], perms[8], path[4096] = "";
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		int pos = 0;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, l, len);
		line[len] = 0;
		l = eol ? eol + 1 : NULL;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off,
			   &maj, &min, &ino, &pos) < 7 ||
		    !strchr(perms, 'x'))
			continue;
		if (pos > 0 && (size_t)pos <= len)
			snprintf(path, sizeof(path), "%s", line + pos);
		if (k == cap) {
			size_t nc = cap ? 2 * cap : 32;
			struct sym_map *nm = realloc(m, nc * sizeof(*nm));

			if (!nm)
				goto oom;
			m = nm;
			cap = nc;
		}
		m[k] = (struct sym_map){.start = start,
					.end = end,
					.offset = off,
					.dev = makedev(maj, min),
					.ino = ino,
					.path = strdup(path)};
		if (!m[k].path)
			goto oom;
		k++;
	}
	*out = m;
	*n = k;
	return 0;
oom:
	sym_maps_free(m, k);
	errno = ENOMEM;
	return -1;
}

/* ---- ELF ---------------------------------------------------------------- */

struct sym {
	uint64_t addr, size;
	char *name;
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct symtab {
	struct sym *syms;
	size_t n, cap;
	struct seg segs[16];
	unsigned nsegs;
};

static int add_sym(struct symtab *s, uint64_t addr, uint64_t size, const char *name)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 256;
		struct sym *n = realloc(s->syms, nc * sizeof(*n));

		if (!n)
			return -1;
		s->syms = n;
		s->cap = nc;
	}
	s->syms[s->n].name = strdup(name);
	if (!s->syms[s->n].name)
		return -1;
	s->syms[s->n].addr = addr;
	s->syms[s->n].size = size;
	s->n++;
	return 0;
}

/* The function symbols of every section of type `type` (SHT_SYMTAB or
 * SHT_DYNSYM); returns how many. */
static size_t read_syms(Elf *e, struct symtab *s, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	size_t before = s->n;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int t;

			if (!gelf_getsym(d, (int)i, &sym))
				break;
			t = GELF_ST_TYPE(sym.st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
			    !sym.st_value)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && *name && add_sym(s, sym.st_value, sym.st_size, name))
				return s->n - before;
		}
	}
	return s->n - before;
}

static int has_symtab(Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return 1;
	}
	return 0;
}

/* The data of the section named `want`, or NULL. */
static Elf_Data *section_named(Elf *e, const char *want, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, out))
			continue;
		name = elf_strptr(e, shstrndx, out->sh_name);
		if (name && !strcmp(name, want))
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

/* The GNU build-id as hex into hex[]; 0 found. */
static int build_id(Elf *e, char *hex, size_t len)
{
	GElf_Shdr sh;
	Elf_Data *d = section_named(e, ".note.gnu.build-id", &sh);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz && nh.n_descsz * 2 < len) {
			const unsigned char *b = (const unsigned char *)d->d_buf + desc_off;

			for (size_t i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", b[i]);
			return 0;
		}
	}
	return -1;
}

/* Function symbols of a debug file at path, if it is one; count read. */
static size_t read_debug_file(const char *path, struct symtab *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	Elf *e;

	if (fd < 0)
		return 0;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF)
		n = read_syms(e, s, SHT_SYMTAB);
	elf_end(e);
	close(fd);
	return n;
}

/* No .symtab: the debug file, by build-id then by .gnu_debuglink. */
static void read_debug(Elf *e, const char *path, const char *debug_root, struct symtab *s)
{
	char id[128], p[8704], dir[4096], *slash;
	GElf_Shdr sh;
	Elf_Data *d;

	if (!debug_root)
		debug_root = "/usr/lib/debug";
	if (!build_id(e, id, sizeof(id)) && strlen(id) > 2) {
		snprintf(p, sizeof(p), "%s/.build-id/%.2s/%s.debug", debug_root, id, id + 2);
		if (read_debug_file(p, s))
			return;
	}
	d = section_named(e, ".gnu_debuglink", &sh);
	if (!d || !d->d_size || !memchr(d->d_buf, 0, d->d_size))
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	{
		const char *link = d->d_buf;
		const char *fmt[] = {"%s/%s", "%s/.debug/%s"};

		for (unsigned i = 0; i < 2; i++) {
			snprintf(p, sizeof(p), fmt[i], dir, link);
			if (strcmp(p, path) && read_debug_file(p, s))
				return;
		}
		snprintf(p, sizeof(p), "%s%s%s/%s", debug_root, dir[0] == '/' ? "" : "/", dir,
			 link);
		read_debug_file(p, s);
	}
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Segments and symbols of an open ELF (path: NULL for one in memory). */
static struct symtab *symtab_of(Elf *e, const char *path, const char *debug_root)
{
	struct symtab *s;
	size_t nph = 0;

	if (!e || elf_kind(e) != ELF_K_ELF || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (!elf_getphdrnum(e, &nph))
		for (size_t i = 0; i < nph && s->nsegs < 16; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
				s->segs[s->nsegs++] =
					(struct seg){ph.p_offset, ph.p_vaddr, ph.p_filesz};
		}
	if (has_symtab(e))
		read_syms(e, s, SHT_SYMTAB);
	else if (path)
		read_debug(e, path, debug_root, s);
	read_syms(e, s, SHT_DYNSYM);
	if (s->n)
		qsort(s->syms, s->n, sizeof(*s->syms), sym_cmp);
	return s;
}

struct symtab *symtab_load(const char *path, const char *debug_root)
{
	struct symtab *s;
	int fd;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	s = symtab_of(e, path, debug_root);
	elf_end(e);
	close(fd);
	return s;
}

struct symtab *symtab_load_mem(const void *image, size_t len)
{
	char *copy;
	struct symtab *s;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE || !(copy = malloc(len)))
		return NULL;
	memcpy(copy, image, len);
	e = elf_memory(copy, len);
	s = symtab_of(e, NULL, NULL);
	elf_end(e);
	free(copy);
	return s;
}

void symtab_free(struct symtab *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->syms[i].name);
	free(s->syms);
	free(s);
}

size_t symtab_count(const struct symtab *s)
{
	return s ? s->n : 0;
}

int symtab_vaddr(const struct symtab *s, uint64_t file_off, uint64_t *vaddr)
{
	for (unsigned i = 0; i < s->nsegs; i++)
		if (file_off >= s->segs[i].off && file_off < s->segs[i].off + s->segs[i].filesz) {
			*vaddr = file_off - s->segs[i].off + s->segs[i].vaddr;
			return 0;
		}
	return -1;
}

const char *symtab_lookup(const struct symtab *s, uint64_t vaddr)
{
	size_t lo = 0, hi = s->n;

	/* the last symbol starting at or below vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* it, or one of the few just before it (aliases, nested symbols) */
	for (size_t k = 0; k < 4 && lo > k; k++) {
		const struct sym *y = &s->syms[lo - 1 - k];

		if (vaddr < y->addr + y->size || (!y->size && !k))
			return y->name;
	}
	return NULL;
}

/* ---- C++ ---------------------------------------------------------------- */

typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);

char *sym_demangle(const char *name)
{
	static cxa_demangle_fn fn;
	static int tried;
	int status = -1;
	char *out;

	if (strncmp(name, "_Z", 2))
		return NULL;
	if (!tried) {
#ifndef ST_NO_DLOPEN /* the static build: names stay mangled */
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

		if (h)
			*(void **)&fn = dlsym(h, "__cxa_demangle");
#endif
		tried = 1;
	}
	if (!fn)
		return NULL;
	out = fn(name, NULL, NULL, &status);
	if (status) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- the cache ---------------------------------------------------------- */

struct elf_ent {
	uint64_t dev, ino;
	struct symtab *s; /* NULL: could not be read */
};

struct proc_maps {
	pid_t pid;
	struct sym_map *m;
	size_t n;
};

struct ksym {
	uint64_t addr;
	char *name;
};

struct symcache {
	char *debug_root;
	struct symtab *vdso; /* this process's, the same image in every process */
	int vdso_tried;
	struct elf_ent *elves;
	size_t n_elves, cap_elves;
	struct proc_maps *procs;
	size_t n_procs, cap_procs;
	struct ksym *ks;
	size_t n_ks;
};

struct symcache *symcache_new(const char *debug_root)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (c && debug_root && !(c->debug_root = strdup(debug_root))) {
		free(c);
		return NULL;
	}
	return c;
}

void symcache_free(struct symcache *c)
{
	if (!c)
		return;
	symtab_free(c->vdso);
	for (size_t i = 0; i < c->n_elves; i++)
		symtab_free(c->elves[i].s);
	for (size_t i = 0; i < c->n_procs; i++)
		sym_maps_free(c->procs[i].m, c->procs[i].n);
	for (size_t i = 0; i < c->n_ks; i++)
		free(c->ks[i].name);
	free(c->elves);
	free(c->procs);
	free(c->ks);
	free(c->debug_root);
	free(c);
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

long symcache_load_kallsyms(struct symcache *c, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	size_t cap = c->n_ks;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a ||
		    (type != 't' && type != 'T'))
			continue;
		if (c->n_ks == cap) {
			size_t nc = cap ? 2 * cap : 65536;
			struct ksym *n = realloc(c->ks, nc * sizeof(*n));

			if (!n)
				break;
			c->ks = n;
			cap = nc;
		}
		c->ks[c->n_ks].addr = a;
		c->ks[c->n_ks].name = strdup(name);
		if (c->ks[c->n_ks].name)
			c->n_ks++;
	}
	fclose(f);
	if (c->n_ks)
		qsort(c->ks, c->n_ks, sizeof(*c->ks), ksym_cmp);
	return (long)c->n_ks;
}

static struct proc_maps *find_proc(struct symcache *c, pid_t pid)
{
	for (size_t i = 0; i < c->n_procs; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (!n)
			break;
	}
	fclose(f);
	buf[len] = 0;
	return buf;
}

int symcache_set_maps(struct symcache *c, pid_t pid, const char *text)
{
	struct proc_maps *p = find_proc(c, pid);
	char path[64], *owned = NULL;
	struct sym_map *m;
	size_t n;

	if (!text) {
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		text = owned = read_text(path);
		if (!text)
			return -1; /* gone: the last mappings stay */
	}
	if (sym_maps_parse(text, &m, &n) || (!n && owned)) {
		/* a zombie's maps are empty: keep the last ones */
		free(owned);
		sym_maps_free(m, n);
		return -1;
	}
	free(owned);
	if (!p) {
		if (c->n_procs == c->cap_procs) {
			size_t nc = c->cap_procs ? 2 * c->cap_procs : 16;
			struct proc_maps *np = realloc(c->procs, nc * sizeof(*np));

			if (!np) {
				sym_maps_free(m, n);
				return -1;
			}
			c->procs = np;
			c->cap_procs = nc;
		}
		p = &c->procs[c->n_procs++];
		p->pid = pid;
	} else {
		sym_maps_free(p->m, p->n);
	}
	p->m = m;
	p->n = n;
	return 0;
}

size_t symcache_pids(const struct symcache *c, pid_t *out, size_t max)
{
	for (size_t i = 0; i < c->n_procs && i < max; i++)
		out[i] = c->procs[i].pid;
	return c->n_procs;
}

int symcache_has(struct symcache *c, pid_t pid)
{
	return find_proc(c, pid) != NULL;
}

void symcache_forget(struct symcache *c, pid_t pid)
{
	struct proc_maps *p = find_proc(c, pid);

	if (!p)
		return;
	sym_maps_free(p->m, p->n);
	*p = c->procs[--c->n_procs];
}

/* The symbols of a mapped file, read once per (device, inode). */
static struct symtab *elf_of(struct symcache *c, pid_t pid, const struct sym_map *m)
{
	char path[4200];
	struct elf_ent *e;

	for (size_t i = 0; i < c->n_elves; i++)
		if (c->elves[i].dev == m->dev && c->elves[i].ino == m->ino)
			return c->elves[i].s;
	if (c->n_elves == c->cap_elves) {
		size_t nc = c->cap_elves ? 2 * c->cap_elves : 32;
		struct elf_ent *n = realloc(c->elves, nc * sizeof(*n));

		if (!n)
			return NULL;
		c->elves = n;
		c->cap_elves = nc;
	}
	e = &c->elves[c->n_elves++];
	e->dev = m->dev;
	e->ino = m->ino;
	/* the path in the process's own mount namespace first */
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
	e->s = symtab_load(path, c->debug_root);
	if (!e->s)
		e->s = symtab_load(m->path, c->debug_root);
	return e->s;
}

/* Copy a name into a folded-stack frame: no ';' (the separator), no newline. */
static void put_name(char *buf, size_t len, const char *name)
{
	char *d = sym_demangle(name);
	size_t i;

	snprintf(buf, len, "%s", d ? d : name);
	free(d);
	for (i = 0; buf[i]; i++)
		if (buf[i] == ';' || buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ':';
}

/* The kernel maps one vDSO image into every process (of an ABI): named
 * from our own copy, found through /proc/self/maps. */
static struct symtab *vdso_of(struct symcache *c)
{
	char *text;
	struct sym_map *m;
	size_t n;

	if (c->vdso_tried)
		return c->vdso;
	c->vdso_tried = 1;
	text = read_text("/proc/self/maps");
	if (!text)
		return NULL;
	if (!sym_maps_parse(text, &m, &n)) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(m[i].path, "[vdso]"))
				c->vdso = symtab_load_mem((const void *)(uintptr_t)m[i].start,
							  m[i].end - m[i].start);
		sym_maps_free(m, n);
	}
	free(text);
	return c->vdso;
}

void symcache_user(struct symcache *c, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	struct proc_maps *p = find_proc(c, pid);
	const struct sym_map *m = NULL;
	const char *base, *name = NULL;
	struct symtab *s = NULL;
	uint64_t off, va;

	for (size_t i = 0; p && i < p->n && !m; i++)
		if (addr >= p->m[i].start && addr < p->m[i].end)
			m = &p->m[i];
	if (!m) {
		snprintf(buf, len, "[unknown]+0x%llx", (unsigned long long)addr);
		return;
	}
	off = addr - m->start + m->offset;
	va = off;
	if (m->ino && m->path[0] == '/') {
		s = elf_of(c, pid, m);
		if (s && !symtab_vaddr(s, off, &va))
			name = symtab_lookup(s, va);
	} else if (!strcmp(m->path, "[vdso]") && (s = vdso_of(c)) != NULL &&
		   !symtab_vaddr(s, addr - m->start, &va)) {
		name = symtab_lookup(s, va);
	}
	if (name) {
		put_name(buf, len, name);
		return;
	}
	base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path[0] ? m->path : "[anon]";
	if (!m->ino || m->path[0] != '/')
		va = addr - m->start; /* [vdso], anonymous (JIT): from the mapping's start */
	snprintf(buf, len, "%s+0x%llx", base, (unsigned long long)va);
	for (size_t i = 0; buf[i]; i++)
		if (buf[i] == ';' || buf[i] == ' ')
			buf[i] = '_';
}

void symcache_kernel(struct symcache *c, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = c->n_ks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->ks[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo)
		snprintf(buf, len, "%s_[k]", c->ks[lo - 1].name);
	else
		snprintf(buf, len, "[kernel]+0x%llx_[k]", (unsigned long long)addr);
}
