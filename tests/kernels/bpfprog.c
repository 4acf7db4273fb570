// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfprog [ID...]: how many of these BPF program ids are still loaded (with
 * no ids: how many programs are loaded at all). The kernel-matrix guest has
 * no bpftool; this is the one question its kill -9 check needs answered.
 * Prints a number; exit 1 if the bpf() syscall itself fails unexpectedly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char **argv)
{
	union bpf_attr a;
	unsigned n = 0;

	if (argc == 1) {
		__u32 id = 0;

		for (;;) {
			memset(&a, 0, sizeof(a));
			a.start_id = id;
			if (sys_bpf(BPF_PROG_GET_NEXT_ID, &a)) {
				if (errno == ENOENT)
					break;
				fprintf(stderr, "bpfprog: BPF_PROG_GET_NEXT_ID: %s\n",
					strerror(errno));
				return 1;
			}
			id = a.next_id;
			n++;
		}
		printf("%u\n", n);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		unsigned long id = strtoul(argv[i], &end, 10);
		long fd;

		if (*end || end == argv[i]) {
			fprintf(stderr, "bpfprog: not a program id: %s\n", argv[i]);
			return 2;
		}
		memset(&a, 0, sizeof(a));
		a.prog_id = (__u32)id;
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd >= 0) {
			n++;
			close((int)fd);
		} else if (errno != ENOENT) {
			fprintf(stderr, "bpfprog: BPF_PROG_GET_FD_BY_ID %lu: %s\n", id,
				strerror(errno));
			return 1;
		}
	}
	printf("%u\n", n);
	return 0;
}
