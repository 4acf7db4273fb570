// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the raw BTF walker (user/btf_probe.c) on a BTF blob built by hand
 * here, so every expected value is known by construction: a typedef to a
 * pointer to a two-parameter prototype (the shape of a tp_btf tracepoint's
 * btf_trace_<name>), an enum, and damaged blobs that must be refused, not
 * read past. Then, when the running kernel has BTF, the real thing: its
 * btf_trace_sys_enter takes (ctx, regs, id).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/btf.h>
#include "btf_probe.h"

/* strings: "" int btf_trace_x e A B */
static const char strs[] = "\0int\0btf_trace_x\0e\0A\0B";
#define S_INT	1
#define S_TRACE 5
#define S_E	17
#define S_A	19
#define S_B	21

struct blob {
	struct btf_header h;
	uint32_t types[64];
	char strs[sizeof(strs)];
};

/* Build the blob; returns its length. */
static size_t build(struct blob *b)
{
	uint32_t *t = b->types, n = 0;

	memset(b, 0, sizeof(*b));
	/* [1] int: name, info (INT), size, then the int encoding word */
	t[n++] = S_INT;
	t[n++] = BTF_KIND_INT << 24;
	t[n++] = 4;
	t[n++] = 32;
	/* [2] func proto returning void with 2 params of type [1] */
	t[n++] = 0;
	t[n++] = (BTF_KIND_FUNC_PROTO << 24) | 2;
	t[n++] = 0;
	t[n++] = 0, t[n++] = 1; /* param: name_off, type */
	t[n++] = 0, t[n++] = 1;
	/* [3] pointer to [2] */
	t[n++] = 0;
	t[n++] = BTF_KIND_PTR << 24;
	t[n++] = 2;
	/* [4] typedef btf_trace_x -> [3] */
	t[n++] = S_TRACE;
	t[n++] = BTF_KIND_TYPEDEF << 24;
	t[n++] = 3;
	/* [5] enum e { A = 1, B = 7 } */
	t[n++] = S_E;
	t[n++] = (BTF_KIND_ENUM << 24) | 2;
	t[n++] = 4;
	t[n++] = S_A, t[n++] = 1;
	t[n++] = S_B, t[n++] = 7;
	b->h.magic = BTF_MAGIC;
	b->h.version = 1;
	b->h.hdr_len = sizeof(b->h);
	b->h.type_off = 0;
	b->h.type_len = n * 4;
	b->h.str_off = n * 4;
	b->h.str_len = sizeof(strs);
	memcpy((char *)b->types + n * 4, strs, sizeof(strs));
	return sizeof(b->h) + n * 4 + sizeof(strs);
}

struct seen {
	int n;
	int64_t sum;
	char names[8];
};

static void on_value(void *ctx, const char *name, int64_t v)
{
	struct seen *s = ctx;

	s->names[s->n++] = name[0];
	s->sum += v;
}

static void test_typedef_and_enum(void **state)
{
	struct blob b;
	struct btf_probe p;
	struct seen s = {0};
	size_t len = build(&b);

	(void)state;
	assert_int_equal(btf_probe_init(&p, &b, len), 0);
	assert_int_equal(p.n_types, 5);
	assert_int_equal(btf_probe_typedef_params(&p, "btf_trace_x"), 2);
	assert_int_equal(btf_probe_typedef_params(&p, "btf_trace_y"), -1);
	assert_int_equal(btf_probe_typedef_params(&p, "int"), -1); /* not a typedef */
	assert_int_equal(btf_probe_enum(&p, "e", on_value, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.sum, 8);
	assert_memory_equal(s.names, "AB", 2);
	assert_int_equal(btf_probe_enum(&p, "f", on_value, &s), -1);
	assert_int_equal(btf_probe_enum_has(&p, "e", "B"), 1);
	assert_int_equal(btf_probe_enum_has(&p, "e", "C"), 0);
	assert_int_equal(btf_probe_enum_has(&p, "f", "A"), 0);
	/* a typedef of that name is not a function */
	assert_int_equal(btf_probe_has_func(&p, "btf_trace_x"), 0);
	btf_probe_free(&p);
}

static void test_damaged(void **state)
{
	struct blob b;
	struct btf_probe p;
	size_t len = build(&b);

	(void)state;
	b.h.magic = 0x1234;
	assert_int_equal(btf_probe_init(&p, &b, len), -1);
	len = build(&b);
	b.h.str_len += 100; /* past the end */
	assert_int_equal(btf_probe_init(&p, &b, len), -1);
	len = build(&b);
	assert_int_equal(btf_probe_init(&p, &b, sizeof(b.h) - 1), -1); /* short header */
	/* strings not NUL-terminated */
	len = build(&b);
	b.h.str_len -= 1;
	assert_int_equal(btf_probe_init(&p, &b, len), -1);
	/* a type section cut inside a record: the whole records before it stay */
	len = build(&b);
	b.h.type_len -= 4;
	b.h.str_off -= 4;
	memmove((char *)b.types + b.h.str_off, strs, sizeof(strs));
	assert_int_equal(btf_probe_init(&p, &b, len - 4), 0);
	assert_int_equal(p.n_types, 4); /* the enum lost its last value: dropped */
	assert_int_equal(btf_probe_typedef_params(&p, "btf_trace_x"), 2);
	btf_probe_free(&p);
}

/* A path that is not BTF fails at once, without reading it all: /dev/zero
 * (endless), a FIFO-like endless source, and a text file. */
static void test_not_btf(void **state)
{
	struct btf_probe b;
	char path[] = "/tmp/st-btf-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(btf_probe_read(&b, "/dev/zero"), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not btf at all\n", 15), 15);
	close(fd);
	assert_int_equal(btf_probe_read(&b, path), -1);
	assert_int_equal(errno, EINVAL);
	unlink(path);
	assert_int_equal(btf_probe_read(&b, "/nonexistent/btf"), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_running_kernel(void **state)
{
	struct btf_probe p;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		print_message("SKIP: no /sys/kernel/btf/vmlinux\n");
		return;
	}
	assert_int_equal(btf_probe_read(&p, "/sys/kernel/btf/vmlinux"), 0);
	assert_true(p.n_types > 1000);
	/* (void *ctx, struct pt_regs *regs, long id) */
	assert_int_equal(btf_probe_typedef_params(&p, "btf_trace_sys_enter"), 3);
	assert_int_equal(btf_probe_typedef_params(&p, "btf_trace_no_such_tracepoint"), -1);
	/* the fallback attach points and the floor's helpers (Linux 5.17+) */
	assert_int_equal(btf_probe_has_func(&p, "sock_def_readable"), 1);
	assert_int_equal(btf_probe_has_func(&p, "no_such_function_anywhere"), 0);
	assert_int_equal(btf_probe_enum_has(&p, "bpf_func_id", "BPF_FUNC_loop"), 1);
	assert_int_equal(btf_probe_enum_has(&p, "bpf_func_id", "BPF_FUNC_no_such_helper"), 0);
	btf_probe_free(&p);
	assert_int_equal(btf_probe_read(&p, "/nonexistent/btf"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typedef_and_enum),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_not_btf),
		cmocka_unit_test(test_running_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
