// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* A pipe whose reader has gone reports POLLERR on its write end. */
static int reader_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

enum out_state out_flush(FILE *f)
{
	int e;

	if (fflush(f) == 0 && !ferror(f))
		return OUT_OK;
	/* errno is the failed write's: nothing runs between it and here but
	 * stdio; an earlier buffered write may have failed without one */
	e = errno ? errno : EIO;
	if (e != EPIPE && reader_gone(fileno(f)))
		e = EPIPE;
	errno = e;
	return e == EPIPE ? OUT_CLOSED : OUT_FAILED;
}

int out_finish(FILE *f, const char *what, FILE *err, int ret)
{
	if (out_flush(f) != OUT_FAILED)
		return ret;
	fprintf(err, "streamtrace: writing %s failed: %s\n", what, strerror(errno));
	return 1;
}

FILE *out_open(const char *path, FILE *dash, mode_t mode, unsigned flags)
{
	int fd;
	FILE *f;

	if (!strcmp(path, "-")) {
		if (dash)
			return dash;
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	} else {
		fd = open(path,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
				  (flags & OUT_NOFOLLOW ? O_NOFOLLOW : 0),
			  mode);
	}
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}
