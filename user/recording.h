/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Recordings: the snapshots of a run (every interval, then the summary) with
 * the run's metadata, in a versioned file of individually compressed,
 * checksummed frames, so that a run killed mid-way still reads back up to
 * its last complete interval. The reader treats every file as hostile.
 * docs/recordings.md describes the format byte by byte.
 */
#ifndef ST_RECORDING_H
#define ST_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

/* Format version this build writes; it reads every minor of the same major. */
#define RECORDING_VERSION_MAJOR 1
#define RECORDING_VERSION_MINOR \
	6 /* 1: folded rows; 2: busy, idle, dispatch; 3: messages (issue 8); 4: the
	   * profile's PROF frame (issue 13); 5: the M/G/1 with set-up (issue 15); 6: the
	   * host's CPUs and steal */

/* What a hostile file may ask of the reader, at most. */
#define RECORDING_MAX_FRAME_BYTES (64u << 20) /* compressed or not */
#define RECORDING_MAX_PROCS	  100000u
#define RECORDING_MAX_SYSCALLS	  ST_MAX_SYSCALLS /* rows per process */
#define RECORDING_MAX_VIEWS	  65536u	  /* thread views, connections per process */

struct recording_meta {
	char host[256];
	char kernel[128]; /* uname release */
	char arch[80];	  /* uname machine */
	char version[64]; /* streamtrace version that wrote the file */
	char cmdline[4096];
	double start_time; /* UNIX seconds when tracing began */
	double interval_s;
	unsigned sample_every; /* --sample N; 1 (or 0: taken as 1) when every syscall was timed;
				* files written before it read as 1 */
};

/* One open recording, being written or being read. */
struct recording;

/*
 * Fill @m for this run: host, kernel and arch from uname, the command line
 * from @argv (shell-quoted where needed, cut at sizeof(m->cmdline)), the
 * start time now, @version and @interval_s.
 */
void recording_meta_init(struct recording_meta *m, int argc, char *const *argv, const char *version,
			 double interval_s);

/*
 * Writer. Creates or overwrites @path with mode 0600 (refuses a symlink or a
 * non-regular file) and writes the header and metadata. NULL on failure with
 * a one-line reason in @err.
 */
struct recording *recording_create(const char *path, const struct recording_meta *meta, char *err,
				   size_t errlen);
/*
 * Append one snapshot as one frame with a single write(2), so the frame is
 * in the kernel (and survives SIGKILL of this process) when this returns;
 * the data is also fdatasync'ed at most once a second. 0 ok, -1 with errno.
 */
int recording_write(struct recording *rec, const struct snapshot *s);
/* One "\r"-refreshed progress line ("recording FILE: N intervals, X KiB") on @f. */
void recording_progress(const struct recording *rec, FILE *f);

/*
 * Reader. Opens @path, checks magic and version, and reads the metadata into
 * @meta. NULL on failure with a one-line reason in @err. A file whose
 * version is newer than this build reads is refused with a clear reason.
 */
struct recording *recording_open(const char *path, struct recording_meta *meta, char *err,
				 size_t errlen);
/* The same over an open stream (taken over: recording_close closes it). */
struct recording *recording_open_stream(FILE *f, const char *name, struct recording_meta *meta,
					char *err, size_t errlen);
/*
 * The next snapshot into @out (free it with snapshot_free). 1: got one.
 * 0: no more; recording_truncated() tells a clean end from a file cut short
 * (its complete frames were all returned). -1: corrupt; recording_error()
 * says why in one line. After 0 or -1 every further call returns the same.
 */
int recording_next(struct recording *rec, struct snapshot *out);
int recording_truncated(const struct recording *rec);
const char *recording_error(const struct recording *rec);
/* Snapshots written or read so far. */
uint64_t recording_count(const struct recording *rec);

/*
 * Writer: writes the end frame, syncs and closes; 0 ok, -1 with errno (the
 * snapshots written before stay readable). Reader: closes. NULL is a no-op.
 */
int recording_close(struct recording *rec);

#endif
