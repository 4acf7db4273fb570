// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor MODE: attach the empty programs of bench/floor.bpf.c for one mode,
 * say "floor: attached N programs" on stderr, and wait for SIGINT/SIGTERM.
 *
 *   syscalls  sys_enter, sys_exit (what `streamtrace -p` costs every
 *             syscall, traced or not, before doing any work)
 *   all       every hook streamtrace uses: the syscall pair, the scheduler
 *             and process hooks, and the socket hooks (what the socket path
 *             costs before doing any work)
 *
 * Built by `make bench` only (build/bench/floor).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, ap) : 0;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	struct bpf_program *p;
	int all, n = 0, e;

	if (argc != 2 || (strcmp(argv[1], "syscalls") && strcmp(argv[1], "all"))) {
		fprintf(stderr, "usage: floor syscalls|all\n");
		return 2;
	}
	all = !strcmp(argv[1], "all");
	libbpf_set_print(quiet);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj)
	{
		const char *name = bpf_program__name(p);
		int sys = !strcmp(name, "fl_sys_enter") || !strcmp(name, "fl_sys_exit");

		bpf_program__set_autoload(p, all || sys);
	}
	e = floor_bpf__load(skel);
	if (!e)
		e = floor_bpf__attach(skel);
	if (e) {
		fprintf(stderr, "floor: load/attach: %s\n", strerror(-e));
		floor_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj) n += bpf_program__autoload(p);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: attached %d programs (%s)\n", n, argv[1]);
	while (!stop)
		pause();
	floor_bpf__destroy(skel);
	return 0;
}
