/*
 * Unit tests for user/symbols.c and user/profile.c: frames named on ELF
 * files this test builds with cc (a PIE with static functions and a C++
 * name; the same stripped, with its debug file found by .gnu_debuglink and
 * by build-id; stripped without one: module+0xADDR, ADDR checked against
 * nm), /proc/PID/maps parsing, kallsyms, demangling; and the profile's
 * folded output, top frames and recording round trip.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "symbols.h"
#include "profile.h"
#include "recording.h"
#include "profile_out.h"

static char dir[256];

static const char prog_src[] =
	"#include <stdio.h>\n"
	"__attribute__((noinline)) static int alpha(int x) { return x * 3 + 1; }\n"
	"__attribute__((noinline)) static int beta(int x) { return alpha(x) + 2; }\n"
	"int cxx(int x) __asm__(\"_ZN3foo3barEi\");\n"
	"__attribute__((noinline)) int cxx(int x) { return beta(x) * 2; }\n"
	"int main(void) {\n"
	"  char b[4096]; size_t n; FILE *f = fopen(\"/proc/self/maps\", \"r\");\n"
	"  printf(\"%p %p %p\\n\", (void *)alpha, (void *)beta, (void *)cxx);\n"
	"  while (f && (n = fread(b, 1, sizeof(b), f)) > 0) fwrite(b, 1, n, stdout);\n"
	"  return cxx(1) == 0;\n"
	"}\n";

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/st-symbols.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/prog.c", dir);
		f = fopen(p, "w");
		if (!f)
			return -1;
		fputs(prog_src, f);
		fclose(f);
	}
	/* prog: with .symtab; nodebug: stripped; linked: stripped, debug file
	 * by .gnu_debuglink; byid: stripped, debug file under a build-id tree */
	if (sh("cd %s && cc -O1 -g -fPIE -pie -Wl,--build-id -o prog prog.c && "
	       "objcopy --only-keep-debug prog prog.debug && "
	       "strip --strip-all -o nodebug prog && "
	       "cp nodebug byid && "
	       "objcopy --add-gnu-debuglink=prog.debug nodebug linked && "
	       "id=$(readelf -n prog | sed -n 's/.*Build ID: //p') && "
	       "mkdir -p dbg/.build-id/$(echo $id | cut -c1-2) && "
	       "cp prog.debug dbg/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug",
	       dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

/* Run dir/NAME: its functions' addresses and its maps, into the cache. */
static void run_prog(struct symcache *c, const char *name, uint64_t addr[3], pid_t fake_pid)
{
	char cmd[512], *text = NULL;
	size_t len = 0;
	FILE *p;
	unsigned long long a, b, x;

	snprintf(cmd, sizeof(cmd), "%s/%s", dir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%llx %llx %llx\n", &a, &b, &x), 3);
	assert_true(getdelim(&text, &len, 0, p) > 0);
	pclose(p);
	addr[0] = a;
	addr[1] = b;
	addr[2] = x;
	assert_int_equal(symcache_set_maps(c, fake_pid, text), 0);
	free(text);
}

static void test_symtab(void **state)
{
	struct symcache *c = symcache_new("/nonexistent");
	uint64_t a[3];
	char buf[256];

	(void)state;
	run_prog(c, "prog", a, 1000001);
	symcache_user(c, 1000001, a[0], buf, sizeof(buf));
	assert_string_equal(buf, "alpha");
	symcache_user(c, 1000001, a[1] + 1, buf, sizeof(buf)); /* inside beta */
	assert_string_equal(buf, "beta");
	symcache_user(c, 1000001, a[2], buf, sizeof(buf)); /* demangled */
	assert_string_equal(buf, "foo::bar(int)");
	symcache_user(c, 1000001, 16, buf, sizeof(buf)); /* in no mapping */
	assert_string_equal(buf, "[unknown]+0x10");
	symcache_free(c);
}

static void test_debuglink(void **state)
{
	struct symcache *c = symcache_new("/nonexistent");
	uint64_t a[3];
	char buf[256];

	(void)state;
	run_prog(c, "linked", a, 1000002);
	symcache_user(c, 1000002, a[0], buf, sizeof(buf));
	assert_string_equal(buf, "alpha");
	symcache_user(c, 1000002, a[1], buf, sizeof(buf));
	assert_string_equal(buf, "beta");
	symcache_free(c);
}

static void test_build_id(void **state)
{
	char root[512], buf[256];
	struct symcache *c;
	uint64_t a[3];

	(void)state;
	snprintf(root, sizeof(root), "%s/dbg", dir);
	c = symcache_new(root);
	run_prog(c, "byid", a, 1000003);
	symcache_user(c, 1000003, a[0], buf, sizeof(buf));
	assert_string_equal(buf, "alpha");
	symcache_user(c, 1000003, a[2], buf, sizeof(buf));
	assert_string_equal(buf, "foo::bar(int)");
	symcache_free(c);
}

/* Stripped, no debug file: module+0xADDR, ADDR the ELF address nm gives. */
static void test_unresolved(void **state)
{
	struct symcache *c = symcache_new("/nonexistent");
	char buf[256], cmd[512], want[64];
	unsigned long long v = 0;
	uint64_t a[3];
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "nm %s/prog | grep ' t alpha$'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%llx", &v), 1);
	pclose(p);
	run_prog(c, "nodebug", a, 1000004);
	symcache_user(c, 1000004, a[0], buf, sizeof(buf));
	snprintf(want, sizeof(want), "nodebug+0x%llx", v);
	assert_string_equal(buf, want);
	symcache_free(c);
}

static void test_maps_parse(void **state)
{
	const char *text = "55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234 /usr/bin/x y\n"
			   "55d0c0001000-55d0c0002000 r-xp 00001000 08:01 1234 /usr/bin/x y\n"
			   "7ffd1000-7ffd3000 r-xp 00000000 00:00 0 [vdso]\n"
			   "7ffe1000-7ffe3000 rwxp 00000000 00:00 0\n"
			   "garbage\n";
	struct sym_map *m;
	size_t n;

	(void)state;
	assert_int_equal(sym_maps_parse(text, &m, &n), 0);
	assert_int_equal(n, 3); /* executable mappings only */
	assert_string_equal(m[0].path, "/usr/bin/x y");
	assert_true(m[0].start == 0x55d0c0001000ull && m[0].offset == 0x1000 && m[0].ino == 1234);
	assert_string_equal(m[1].path, "[vdso]");
	assert_string_equal(m[2].path, "");
	sym_maps_free(m, n);
}

static void test_vdso_and_anon(void **state)
{
	struct symcache *c = symcache_new(NULL);
	char buf[128];

	(void)state;
	assert_int_equal(symcache_set_maps(c, 7,
					   "1000-3000 r-xp 00000000 00:00 0 [vdso]\n"
					   "5000-6000 r-xp 00000000 00:00 0\n"),
			 0);
	symcache_user(c, 7, 0x1234, buf, sizeof(buf));
	assert_string_equal(buf, "[vdso]+0x234");
	symcache_user(c, 7, 0x5010, buf, sizeof(buf));
	assert_string_equal(buf, "[anon]+0x10");
	symcache_free(c);
}

static void test_kallsyms(void **state)
{
	char path[512], buf[128];
	struct symcache *c = symcache_new(NULL);
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/kallsyms", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81000200 t do_nanosleep\n"
	      "ffffffff81000100 T schedule\n"
	      "ffffffff82000000 D some_data\n"
	      "0000000000000000 T hidden\n",
	      f);
	fclose(f);
	assert_int_equal(symcache_load_kallsyms(c, path), 3);
	symcache_kernel(c, 0xffffffff81000150ull, buf, sizeof(buf));
	assert_string_equal(buf, "schedule_[k]");
	symcache_kernel(c, 0xffffffff81000210ull, buf, sizeof(buf));
	assert_string_equal(buf, "do_nanosleep_[k]");
	symcache_kernel(c, 0x1000, buf, sizeof(buf));
	assert_string_equal(buf, "[kernel]+0x1000_[k]");
	symcache_free(c);
}

static void test_demangle(void **state)
{
	char *d = sym_demangle("_ZN3foo3barEi");

	(void)state;
	assert_non_null(d);
	assert_string_equal(d, "foo::bar(int)");
	free(d);
	assert_null(sym_demangle("main"));
	assert_null(sym_demangle("_Znot a name"));
}

static void test_profile_folded_and_top(void **state)
{
	struct profile *p = profile_new(99), *q;
	struct profile_top top[4];
	const char *why;
	char *buf = NULL;
	size_t len = 0, n;
	uint8_t *enc;
	FILE *f;

	(void)state;
	assert_int_equal(profile_add(p, 10, "srv", 0, "main;parse;memcpy", 6), 0);
	assert_int_equal(profile_add(p, 10, "srv", 0, "main;parse;memcpy", 1), 0); /* merged */
	assert_int_equal(profile_add(p, 10, "srv", 0, "main;parse;read;do_sys_read_[k]", 3), 0);
	assert_int_equal(profile_add(p, 10, "srv", 1, "main;fsync;schedule_[k]", 2500000), 0);
	assert_int_equal(profile_add(p, 11, "my srv;x", 0, "main", 1), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(profile_write_folded(p, f), 0);
	fclose(f);
	assert_string_equal(buf, "srv;main;parse;memcpy 7\n"
				 "srv;main;parse;read;do_sys_read_[k] 3\n"
				 "srv-off;main;fsync;schedule_[k] 2500\n"
				 "my_srv_x;main 1\n");
	free(buf);
	assert_int_equal(profile_total(p, 10, 0), 10);
	/* the innermost user frame: read, not the kernel's do_sys_read */
	n = profile_top(p, 10, 0, top, 4);
	assert_int_equal(n, 2);
	assert_string_equal(top[0].frame, "memcpy");
	assert_int_equal(top[0].value, 7);
	assert_string_equal(top[1].frame, "read");
	n = profile_top(p, 10, 1, top, 4);
	assert_int_equal(n, 1);
	assert_string_equal(top[0].frame, "fsync");
	/* the recording's payload round trip, and a cut one refused */
	assert_int_equal(profile_encode(p, &enc, &len), 0);
	q = profile_decode(enc, len, &why);
	assert_non_null(q);
	assert_int_equal(q->n, p->n);
	assert_int_equal(q->hz, 99);
	assert_int_equal(profile_total(q, 10, 1), 2500000);
	profile_free(q);
	assert_null(profile_decode(enc, len - 1, &why));
	assert_non_null(why);
	free(enc);
	profile_free(p);
}

/* A summary with a profile goes through a recording (its PROF frame) and
 * comes back owning an equal profile; intervals carry none. */
static void test_profile_recording(void **state)
{
	char path[512], err[256], *a = NULL, *b = NULL;
	struct recording_meta m;
	struct snapshot iv = {0}, sum = {0}, r = {0};
	struct recording *rec;
	size_t la = 0, lb = 0;
	char *argv[] = {"streamtrace", NULL};
	FILE *fa, *fb;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.strec", dir);
	recording_meta_init(&m, 1, argv, "test", 1.0);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	sum.is_summary = 1;
	sum.profile = profile_new(49);
	assert_int_equal(profile_add(sum.profile, 5, "a", 0, "main;f", 3), 0);
	assert_int_equal(profile_add(sum.profile, 5, "a", 1, "main;g;schedule_[k]", 7000), 0);
	assert_int_equal(recording_write(rec, &iv), 0);
	assert_int_equal(recording_write(rec, &sum), 0);
	assert_int_equal(recording_close(rec), 0);
	rec = recording_open(path, &m, err, sizeof(err));
	assert_non_null(rec);
	assert_int_equal(recording_next(rec, &r), 1);
	assert_null(r.profile);
	snapshot_free(&r);
	assert_int_equal(recording_next(rec, &r), 1);
	assert_true(r.is_summary);
	assert_non_null(r.profile);
	assert_int_equal(r.profile->hz, 49);
	fa = open_memstream(&a, &la);
	fb = open_memstream(&b, &lb);
	profile_write_folded(sum.profile, fa);
	profile_write_folded(r.profile, fb);
	fclose(fa);
	fclose(fb);
	assert_string_equal(a, b);
	assert_string_equal(a, "a;main;f 3\na-off;main;g;schedule_[k] 7\n");
	free(a);
	free(b);
	snapshot_free(&r); /* frees the profile it owns */
	assert_int_equal(recording_next(rec, &r), 0);
	recording_close(rec);
	snapshot_free(&sum);
}

/* Write a recording whose summary has a profile of comm "a": f and g. */
static void rec_with(const char *path, uint64_t f, uint64_t g)
{
	char err[256], *argv[] = {"streamtrace", NULL};
	struct recording_meta m;
	struct snapshot sum = {.is_summary = 1};
	struct recording *rec;

	recording_meta_init(&m, 1, argv, "test", 1.0);
	rec = recording_create(path, &m, err, sizeof(err));
	assert_non_null(rec);
	sum.profile = profile_new(99);
	profile_add(sum.profile, 5, "a", 0, "main;f", f);
	profile_add(sum.profile, 5, "a", 0, "main;g;read_[k]", g);
	profile_add(sum.profile, 5, "a", 1, "main;g", 1000000);
	assert_int_equal(recording_write(rec, &sum), 0);
	assert_int_equal(recording_close(rec), 0);
	snapshot_free(&sum);
}

/* diff: the frames whose share grew, and nothing for a recording without a
 * profile. */
static void test_profile_diff(void **state)
{
	char a[512], b[512], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(a, sizeof(a), "%s/base.strec", dir);
	snprintf(b, sizeof(b), "%s/new.strec", dir);
	rec_with(a, 50, 50);
	rec_with(b, 80, 20);
	f = open_memstream(&buf, &len);
	profile_out_diff(f, a, b);
	profile_out_diff(f, b, a); /* the other way: g grew, f (shrank) is not listed */
	profile_out_diff(f, a, "/nonexistent");
	fclose(f);
	assert_string_equal(buf, "profile: frames whose share of their command's on-CPU samples "
				 "grew by 5 points or more:\n"
				 "  a  f  50.0% -> 80.0% (+30.0 points)\n"
				 "profile: frames whose share of their command's on-CPU samples "
				 "grew by 5 points or more:\n"
				 "  a  g  20.0% -> 50.0% (+30.0 points)\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symtab),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_unresolved),
		cmocka_unit_test(test_maps_parse),
		cmocka_unit_test(test_vdso_and_anon),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_profile_folded_and_top),
		cmocka_unit_test(test_profile_recording),
		cmocka_unit_test(test_profile_diff),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
