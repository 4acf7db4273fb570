/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Symbols for --profile (issue 13): addresses of a process's stacks to
 * function names, with libelf. A process's mappings come from
 * /proc/PID/maps (kept per process, so that a process that has exited is
 * still resolved with its last mappings); each mapped file's function
 * symbols (.symtab, else .dynsym; from its debug file when the file has no
 * .symtab: build-id under DEBUG_ROOT/.build-id, or .gnu_debuglink next to
 * it, in its .debug/ and under DEBUG_ROOT) are read once per (device,
 * inode); the vDSO from our own copy of it; kernel addresses from
 * /proc/kallsyms. C++ names are demangled.
 * A frame that cannot be named is "module+0xADDR" (the address in the
 * module's ELF, what addr2line takes), or "[unknown]+0xADDR" outside any
 * mapping: never dropped.
 */
#ifndef ST_SYMBOLS_H
#define ST_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sym_map {
	uint64_t start, end, offset;
	uint64_t dev, ino; /* makedev(major, minor); inode 0: not a file */
	char *path;	   /* as the kernel prints it ("[vdso]", "" anonymous) */
};

/* Parse /proc/PID/maps text (executable mappings only). 0, or -1 (ENOMEM). */
int sym_maps_parse(const char *text, struct sym_map **out, size_t *n);
void sym_maps_free(struct sym_map *m, size_t n);

/* One ELF file's function symbols and load segments. */
struct symtab;
/* NULL when path is not an ELF file we can read. debug_root: where debug
 * files live (normally /usr/lib/debug). */
struct symtab *symtab_load(const char *path, const char *debug_root);
/* The same from an ELF image in memory (the vDSO). */
struct symtab *symtab_load_mem(const void *image, size_t len);
void symtab_free(struct symtab *s);
/* File offset -> ELF virtual address through the PT_LOAD segments; -1 when
 * no segment holds it. */
int symtab_vaddr(const struct symtab *s, uint64_t file_off, uint64_t *vaddr);
/* The function holding vaddr (its name as stored, not demangled), or NULL. */
const char *symtab_lookup(const struct symtab *s, uint64_t vaddr);
/* How many function symbols were read (0: none, stripped without debug file). */
size_t symtab_count(const struct symtab *s);

/* A C++ name demangled (malloc'ed), or NULL when it is not one. */
char *sym_demangle(const char *name);

struct symcache;
struct symcache *symcache_new(const char *debug_root);
void symcache_free(struct symcache *c);
/* Kernel symbols from a kallsyms file (normally /proc/kallsyms, read as
 * root: the addresses read as 0 otherwise). Returns how many. */
long symcache_load_kallsyms(struct symcache *c, const char *path);
/* (Re)read a process's mappings from the text of its /proc/PID/maps, or
 * from /proc when text is NULL (kept as they were if the process is gone).
 * root: where its paths are (NULL: /proc/PID/root when it exists). */
int symcache_set_maps(struct symcache *c, pid_t pid, const char *text);
void symcache_forget(struct symcache *c, pid_t pid);
/* Are a process's mappings known? */
int symcache_has(struct symcache *c, pid_t pid);
/* The processes whose mappings are kept (up to max); how many there are. */
size_t symcache_pids(const struct symcache *c, pid_t *out, size_t max);
/* One frame's name into buf (always something). */
void symcache_user(struct symcache *c, pid_t pid, uint64_t addr, char *buf, size_t len);
void symcache_kernel(struct symcache *c, uint64_t addr, char *buf, size_t len);

#endif
