// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * streamtrace's entry point: the command line, then the tracing session
 * (session.c: top, record), a report of a recording (report.c) or the
 * comparison of two (diff.c).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include "cli.h"
#include "diff.h"
#include "outfile.h"
#include "profile_out.h"
#include "report.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct cli_options o;

	/* a closed pipe is a write error (EPIPE) that each command handles */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Large buffers (a scrape's rendered text is about 2 MB, built and
	 * freed on every scrape) come from mmap and go back to the kernel when
	 * freed. glibc's default raises its mmap threshold to the size of the
	 * first such buffer freed, after which they come from the heap, where
	 * one small allocation above them keeps their pages: an agent's RSS
	 * then climbs for many minutes with nothing leaked (the soak test saw
	 * 12 kB to 3 MB in 3 minutes, the hour's run 8 to 29 MB while the heap
	 * in use stayed near 8 MB). A fixed threshold turns that off.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	switch (cli_parse(argc, argv, &o, stdout, stderr)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_USAGE:
		return 2;
	case CLI_OK:
		break;
	}
	switch (o.cmd) {
	case CMD_TOP:
	case CMD_RECORD:
		return session_main(&o, argc, argv);
	case CMD_REPORT:
		if (o.folded_report) /* report FILE --folded [OUT] */
			return profile_out_report_folded(o.files[0], o.folded);
		return out_finish(stdout, "the report", stderr,
				  report_main(o.files[0], o.json, o.html));
	case CMD_DIFF: {
		struct diff_options d = o.diff; /* --threshold, parsed by cli_parse */

		d.json = o.json;
		d.all_rows = o.all_rows;
		return out_finish(stdout, "the comparison", stderr,
				  diff_main(o.files[0], o.files[1], &d));
	}
	}
	return 2;
}
