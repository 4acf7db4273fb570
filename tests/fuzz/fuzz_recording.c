/*
 * libFuzzer harness for the recording reader (user/recording.c), and for the
 * renderers that then see what it read (JSON lines, the HTML report): any
 * file must give snapshots, a clean end, "cut short" or "corrupt", never a
 * crash, a leak or undefined behaviour. A mutator that only flipped bytes
 * would stop at the first checksum and never reach the decoder, so this one
 * knows the framing: it inflates a frame, mutates the payload with
 * LLVMFuzzerMutate, deflates it and fixes the frame's lengths and CRC; a
 * third of the time it mutates the raw file instead, to exercise the framing
 * and checksum checks themselves. An input that is no recording at all is
 * replaced by a seed recording written through the real writer. Inputs that
 * read as a recording also go, through a memfd, to `report` (text) and to
 * `diff` against themselves.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ibuild/gen -I. -Iuser \
 *     tests/fuzz/fuzz_recording.c user/recording.c user/model.c user/hist.c \
 *     user/names.c user/json_writer.c user/json_out.c user/html_out.c user/report.c \
 *     user/diff.c user/table_out.c -lz -lm
 *   ./fuzz_recording -max_total_time=30 -max_len=65536 CORPUS_DIR
 */
#define _GNU_SOURCE
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "diff.h"
#include "html_out.h"
#include "json_out.h"
#include "model.h"
#include "recording.h"
#include "report.h"
#include <sys/mman.h>

#define FILE_HDR   16
#define FRAME_HDR  20
#define MAX_FRAMES 64
#define MAX_SNAPS  256 /* read at most this many from one input */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint8_t *seed;
static size_t seed_len;
static FILE *devnull;

static void le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A small recording with most of the model set, through the real writer. */
static void make_seed(void)
{
	char dir[] = "/tmp/st-fuzz-seed.XXXXXX", path[64];
	struct recording_meta m;
	struct recording *rec;
	char err[256];
	FILE *f;
	long n;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/seed.str", dir);
	recording_meta_init(&m, 0, NULL, "fuzz", 1.0);
	rec = recording_create(path, &m, err, sizeof(err));
	if (!rec)
		abort();
	for (unsigned k = 0; k < 3; k++) {
		struct snapshot s = {0};
		struct proc_view p = {0};
		struct syscall_row r[2] = {0};
		struct thread_view t = {0};
		struct conn_view c = {0};

		s.is_summary = k == 2;
		s.time = 1700000000 + k;
		s.span_s = 1;
		s.n_procs = 1;
		s.procs = &p;
		s.pipeline.n_stages = 1;
		p.pid = 42;
		memcpy(p.comm, "fuzz", 4);
		p.has_queue = 1;
		p.queue.arrival_rate = 100;
		p.queue.throughput = 99;
		p.queue.response_s = 0.002;
		p.queue.service_time_s = 0.001;
		p.queue.mm1_response_s = NAN;
		p.has_forecast = 1;
		p.fc.horizon_s = 10;
		p.stage = 1;
		p.svc_hist.b[10] = 5;
		p.wait_hist_known = 1;
		p.wait_hist.b[12] = 3;
		p.n_drop_reasons = 1;
		memcpy(p.drop_reasons[0].reason, "NO_SOCKET", 9);
		p.n_syscalls = 2;
		p.syscalls = r;
		r[0].nr = 0;
		r[0].count = 10;
		r[0].hist.b[8] = 10;
		r[1].nr = 257;
		r[1].count = 3;
		r[1].errors = 2;
		r[1].n_errnos = 1;
		r[1].errnos[0].err = 2;
		r[1].errnos[0].count = 2;
		p.n_thread_views = 1;
		p.thread_views = &t;
		p.n_conns = 1;
		p.conns = &c;
		memcpy(c.proto, "tcp", 3);
		if (recording_write(rec, &s))
			abort();
	}
	if (recording_close(rec))
		abort();
	f = fopen(path, "rb");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	seed = malloc((size_t)n);
	if (!seed || fread(seed, 1, (size_t)n, f) != (size_t)n)
		abort();
	seed_len = (size_t)n;
	fclose(f);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_seed();
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	FILE *f;
	struct recording_meta m;
	struct recording *rec;
	struct snapshot s, keep = {0};
	char err[256];
	int have = 0;

	if (!size)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	f = fmemopen(copy, size, "rb");
	if (!f) {
		free(copy);
		return 0;
	}
	rec = recording_open_stream(f, "fuzz", &m, err, sizeof(err));
	if (rec) {
		for (unsigned i = 0; i < MAX_SNAPS && recording_next(rec, &s) == 1; i++) {
			json_out_snapshot(devnull, &s);
			if (have)
				snapshot_free(&keep);
			keep = s;
			have = 1;
		}
		if (recording_error(rec) && strchr(recording_error(rec), '\n'))
			abort(); /* messages are one line */
		recording_close(rec);
	} else if (strchr(err, '\n') || !err[0]) {
		abort();
	}
	if (have) {
		int fd = memfd_create("fuzz-rec", MFD_CLOEXEC);

		if (fd >= 0 && write(fd, data, size) == (ssize_t)size) {
			char path[64];
			struct diff_options o;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			report_run(path, 0, NULL, devnull, devnull);
			diff_options_init(&o);
			o.out = devnull;
			o.err = devnull;
			o.all_rows = 1;
			diff_main(path, path, &o);
		}
		if (fd >= 0)
			close(fd);
	}
	if (have) {
		struct html_report *h = html_report_new(&m, "fuzz", &keep, NULL);

		if (h) {
			keep.is_summary = 0;
			html_report_add(h, &keep);
			html_report_write(h, devnull);
			html_report_free(h);
		}
		snapshot_free(&keep);
	}
	free(copy);
	return 0;
}

/* Offsets of whole frames in @data (after the file header). */
static unsigned frames_of(const uint8_t *data, size_t size, size_t *off)
{
	size_t o = FILE_HDR;
	unsigned n = 0;

	while (o + FRAME_HDR <= size && n < MAX_FRAMES) {
		uint32_t clen = get32(data + o + 8);

		if (clen > size - o - FRAME_HDR)
			break;
		off[n++] = o;
		o += FRAME_HDR + clen;
	}
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int rnd)
{
	size_t off[MAX_FRAMES], o, clen, rest, out_len;
	uLongf ulen, zlen;
	uint8_t *plain, *z;
	unsigned n, k;
	uint32_t crc;

	if (size < FILE_HDR || memcmp(data, seed, 8) || !(n = frames_of(data, size, off))) {
		if (seed_len > max_size)
			return LLVMFuzzerMutate(data, size, max_size);
		memcpy(data, seed, seed_len);
		return seed_len;
	}
	if (rnd % 3 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	k = (rnd / 3) % n;
	o = off[k];
	clen = get32(data + o + 8);
	ulen = get32(data + o + 12);
	if (ulen > (1u << 20))
		return LLVMFuzzerMutate(data, size, max_size);
	plain = malloc(ulen * 2 + 64);
	if (!plain)
		return size;
	if (uncompress(plain, &ulen, data + o + FRAME_HDR, (uLong)clen) != Z_OK) {
		free(plain);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	ulen = LLVMFuzzerMutate(plain, ulen, ulen * 2 + 64);
	zlen = compressBound(ulen);
	z = malloc(zlen);
	if (!z || compress2(z, &zlen, plain, ulen, 1) != Z_OK) {
		free(plain);
		free(z);
		return size;
	}
	free(plain);
	rest = size - o - FRAME_HDR - clen;
	out_len = o + FRAME_HDR + zlen + rest;
	if (out_len > max_size) {
		free(z);
		return size;
	}
	memmove(data + o + FRAME_HDR + zlen, data + o + FRAME_HDR + clen, rest);
	memcpy(data + o + FRAME_HDR, z, zlen);
	free(z);
	le32(data + o + 8, (uint32_t)zlen);
	le32(data + o + 12, (uint32_t)ulen);
	crc = (uint32_t)crc32(0L, data + o, 16);
	crc = (uint32_t)crc32(crc, data + o + FRAME_HDR, (uInt)zlen);
	le32(data + o + 16, crc);
	return out_len;
}
