/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A quick look into the kernel's BTF before loading: which tracepoints
 * exist, how many arguments one has, the names of an enum's values. A single
 * linear walk over the raw type section, without building libbpf's index:
 * libbpf parses the same BTF again for CO-RE, and parsing it twice cost more
 * than the whole rest of the start-up. Pure: works on a buffer.
 */
#ifndef ST_BTF_PROBE_H
#define ST_BTF_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct btf_probe {
	const uint8_t *types; /* type section */
	uint32_t types_len;
	const char *strs; /* string section */
	uint32_t strs_len;
	uint32_t n_types;
	const uint8_t **by_id; /* type records by id (1-based), built on open */
	void *buf;	       /* the file, when read by btf_probe_read */
	void *map;	       /* or mapped */
	size_t map_len;
};

/* Parse a raw BTF blob (not copied: it must outlive the probe). 0 or -1. */
int btf_probe_init(struct btf_probe *b, const void *data, size_t len);
/* A kernel's BTF is a few MiB; a file past this is not one. */
#define BTF_PROBE_MAX_BYTES (256u << 20)
/* Read and parse a BTF file (/sys/kernel/btf/vmlinux). 0, or -1 with errno
 * (EINVAL: not BTF; EFBIG: larger than BTF_PROBE_MAX_BYTES). */
int btf_probe_read(struct btf_probe *b, const char *path);
void btf_probe_free(struct btf_probe *b);

/* Parameters of the function prototype behind typedef name (a tp_btf
 * tracepoint's btf_trace_<tp>, whose first parameter is the context), or -1
 * when there is no such typedef. */
int btf_probe_typedef_params(const struct btf_probe *b, const char *name);
/* Calls fn for each value of enum name; returns the count, -1 if none. */
int btf_probe_enum(const struct btf_probe *b, const char *name,
		   void (*fn)(void *ctx, const char *value_name, int64_t value), void *ctx);

/* 1 if the kernel has a function of this name (a BTF FUNC: not inlined
 * away, so fentry/fexit and kprobes can attach to it), else 0. */
int btf_probe_has_func(const struct btf_probe *b, const char *name);
/* 1 if enum `name` has a value named `value_name`, else 0. */
int btf_probe_enum_has(const struct btf_probe *b, const char *name, const char *value_name);

#endif
