// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Raw BTF walking, per the kernel's Documentation/bpf/btf.rst: a header,
 * then the type section (records of variable length: a 12-byte struct
 * btf_type and kind-specific data after it), then the string section. Every
 * offset and length is checked against the buffer: the file is the
 * kernel's, but STREAMTRACE_BTF may point anywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/btf.h>
#include "btf_probe.h"

static const char *str_at(const struct btf_probe *b, uint32_t off)
{
	if (off >= b->strs_len)
		return NULL;
	/* the section ends with a NUL, checked in init: every string does */
	return b->strs + off;
}

/* Bytes of kind-specific data after a struct btf_type; -1 for unknown. */
static long extra_len(uint32_t info)
{
	uint32_t vlen = BTF_INFO_VLEN(info);

	switch (BTF_INFO_KIND(info)) {
	case BTF_KIND_INT:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case 18: /* BTF_KIND_TYPE_TAG */
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * (long)sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * (long)sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * (long)sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * (long)sizeof(struct btf_var_secinfo);
	case 17: /* BTF_KIND_DECL_TAG */
		return 4;
	case 19: /* BTF_KIND_ENUM64: name_off, val_lo32, val_hi32 */
		return (long)vlen * 12;
	default:
		return -1;
	}
}

int btf_probe_init(struct btf_probe *b, const void *data, size_t len)
{
	const struct btf_header *h = data;
	const uint8_t *base;
	uint32_t off, n = 0, cap = 0;

	memset(b, 0, sizeof(*b));
	if (len < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h) ||
	    h->hdr_len > len)
		return -1;
	base = (const uint8_t *)data + h->hdr_len;
	len -= h->hdr_len;
	if ((uint64_t)h->type_off + h->type_len > len || (uint64_t)h->str_off + h->str_len > len ||
	    !h->str_len || base[h->str_off + h->str_len - 1] != 0)
		return -1;
	b->types = base + h->type_off;
	b->types_len = h->type_len;
	b->strs = (const char *)base + h->str_off;
	b->strs_len = h->str_len;
	for (off = 0; off + sizeof(struct btf_type) <= b->types_len;) {
		const struct btf_type *t = (const void *)(b->types + off);
		long extra = extra_len(t->info);

		if (extra < 0 || off + sizeof(*t) + (uint64_t)extra > b->types_len)
			break;
		if (n == cap) {
			uint32_t ncap = cap ? cap * 2 : 4096;
			const uint8_t **nb = realloc(b->by_id, (ncap + 1) * sizeof(*nb));

			if (!nb) {
				btf_probe_free(b);
				return -1;
			}
			b->by_id = nb;
			cap = ncap;
		}
		b->by_id[++n] = b->types + off;
		off += sizeof(*t) + (uint32_t)extra;
	}
	b->n_types = n;
	return 0;
}

int btf_probe_read(struct btf_probe *b, const char *path)
{
	struct stat st;
	ssize_t got = 0, r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	char *buf;
	size_t cap;
	void *m;

	memset(b, 0, sizeof(*b));
	if (fd < 0)
		return -1;
	/* mmap when the file allows it (sysfs BTF does since Linux 6.16): reading
	 * sysfs goes a page per read(2), several times slower */
	if (!fstat(fd, &st) && st.st_size > 0 &&
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
		close(fd);
		if (btf_probe_init(b, m, (size_t)st.st_size)) {
			munmap(m, (size_t)st.st_size);
			errno = EINVAL;
			return -1;
		}
		b->map = m;
		b->map_len = (size_t)st.st_size;
		return 0;
	}
	/* sysfs may report no size: grow as needed, but only while it looks
	 * like BTF (its magic first) and up to a bound, so that a wrong path
	 * (STREAMTRACE_BTF=/dev/zero, a FIFO) fails at once */
	cap = st.st_size > 0 && (size_t)st.st_size <= BTF_PROBE_MAX_BYTES ? (size_t)st.st_size
									  : 8u << 20;
	buf = malloc(cap);
	while (buf && (r = read(fd, buf + got, cap - (size_t)got)) > 0) {
		got += r;
		if (got >= 2 && ((uint8_t)buf[0] | (uint8_t)buf[1] << 8) != 0xeB9F &&
		    ((uint8_t)buf[1] | (uint8_t)buf[0] << 8) != 0xeB9F) {
			free(buf);
			close(fd);
			errno = EINVAL; /* not BTF */
			return -1;
		}
		if ((size_t)got == cap && cap >= BTF_PROBE_MAX_BYTES) {
			free(buf);
			close(fd);
			errno = EFBIG;
			return -1;
		}
		if ((size_t)got == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	e = errno;
	close(fd);
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	if (btf_probe_init(b, buf, (size_t)got)) {
		free(buf);
		errno = e ? e : EINVAL;
		return -1;
	}
	b->buf = buf;
	return 0;
}

void btf_probe_free(struct btf_probe *b)
{
	free(b->by_id);
	free(b->buf);
	if (b->map)
		munmap(b->map, b->map_len);
	memset(b, 0, sizeof(*b));
}

static const struct btf_type *type_by_id(const struct btf_probe *b, uint32_t id)
{
	return id && id <= b->n_types ? (const void *)b->by_id[id] : NULL;
}

static const struct btf_type *find_named(const struct btf_probe *b, unsigned kind, const char *name)
{
	for (uint32_t id = 1; id <= b->n_types; id++) {
		const struct btf_type *t = type_by_id(b, id);
		const char *n;

		if (BTF_INFO_KIND(t->info) != kind)
			continue;
		n = str_at(b, t->name_off);
		if (n && !strcmp(n, name))
			return t;
	}
	return NULL;
}

int btf_probe_typedef_params(const struct btf_probe *b, const char *name)
{
	const struct btf_type *t = find_named(b, BTF_KIND_TYPEDEF, name);

	/* typedef -> pointer -> function prototype */
	t = t ? type_by_id(b, t->type) : NULL;
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_PTR)
		return -1;
	t = type_by_id(b, t->type);
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_FUNC_PROTO)
		return -1;
	return (int)BTF_INFO_VLEN(t->info);
}

int btf_probe_enum(const struct btf_probe *b, const char *name,
		   void (*fn)(void *ctx, const char *value_name, int64_t value), void *ctx)
{
	const struct btf_type *t = find_named(b, BTF_KIND_ENUM, name);
	const struct btf_enum *e;
	uint32_t n;

	if (!t)
		return -1;
	n = BTF_INFO_VLEN(t->info);
	e = (const void *)(t + 1);
	for (uint32_t i = 0; i < n; i++) {
		const char *vn = str_at(b, e[i].name_off);

		if (vn)
			fn(ctx, vn, e[i].val);
	}
	return (int)n;
}

int btf_probe_has_func(const struct btf_probe *b, const char *name)
{
	return find_named(b, BTF_KIND_FUNC, name) != NULL;
}

int btf_probe_enum_has(const struct btf_probe *b, const char *name, const char *value_name)
{
	const struct btf_type *t = find_named(b, BTF_KIND_ENUM, name);
	const struct btf_enum *e;

	if (!t)
		return 0;
	e = (const void *)(t + 1);
	for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
		const char *vn = str_at(b, e[i].name_off);

		if (vn && !strcmp(vn, value_name))
			return 1;
	}
	return 0;
}
