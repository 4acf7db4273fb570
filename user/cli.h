/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line: subcommands, targets, options, and their checks. */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <stdio.h>
#include <sys/types.h>
#include "diff.h"
#include "whatif.h"

#define CLI_MAX_PIDS	   256
#define CLI_MAX_THRESHOLDS 32
#define ST_MAX_COMMS_CLI   8 /* = ST_MAX_COMMS (bpf/streamtrace.h) */

enum cli_cmd {
	CMD_TOP = 0,
	CMD_RECORD,
	CMD_REPORT,
	CMD_DIFF,
};

struct cli_options {
	enum cli_cmd cmd;
	pid_t pids[CLI_MAX_PIDS];
	unsigned n_pids;
	const char *comms[ST_MAX_COMMS_CLI]; /* -c NAME, repeatable */
	unsigned n_comms;
	const char *cgroup;
	char **command; /* argv after "--", NULL-terminated, or NULL */
	double interval_s;
	double duration_s; /* 0: until stopped */
	int json;
	const char *listen;
	const char *output;   /* record -o */
	const char *html;     /* report --html */
	const char *files[2]; /* report FILE / diff BASE NEW */
	unsigned n_files;
	unsigned max_procs;
	int verbose;
	int no_color;
	double horizon_s;			    /* forecast horizon */
	unsigned fc_window;			    /* forecast trend window, intervals */
	const char *whatif;			    /* --what-if SPEC, or NULL */
	int quiet;				    /* -q: no output on stdout (--listen, record) */
	const char *thresholds[CLI_MAX_THRESHOLDS]; /* diff --threshold METRIC=VALUE */
	unsigned n_thresholds;
	int all_rows;	 /* diff --all */
	int threads;	 /* --threads: the per-thread view */
	int connections; /* --connections: the per-connection view */
	/* --web-config FILE: TLS and basic auth for --listen */
	const char *web_config;
	int services; /* --services[=BY]: 0 off, else CLI_SERVICES_* */
	/* --profile[=HZ] (0: off), --folded FILE (live; implies --profile), and
	 * report --folded [FILE] (folded_report: 1; folded NULL: stdout) */
	unsigned profile_hz;
	const char *folded;
	int folded_report;
	/* --what-if and --threshold as parsed (once, here): whatif_set is
	 * valid when whatif is not NULL; diff holds every --threshold given */
	struct whatif whatif_set;
	struct diff_options diff;
	int no_tui;	 /* --no-tui: the plain table even on a terminal */
	unsigned sample; /* --sample N: time every Nth syscall per thread (1: all) */
};

#define CLI_PROFILE_HZ	   99
#define CLI_PROFILE_HZ_MAX 1000

/* --services grouping; the values are services.h's enum services_by */
#define CLI_SERVICES_COMM   1
#define CLI_SERVICES_PORT   2
#define CLI_SERVICES_CGROUP 3

enum cli_result {
	CLI_OK = 0,
	CLI_EXIT_OK, /* --help or --version printed */
	CLI_USAGE,   /* error printed (one line) */
};

/* Parse argv (argv[0] is the program). Messages go to out (help, version)
 * and err (one-line usage errors). */
enum cli_result cli_parse(int argc, char **argv, struct cli_options *o, FILE *out, FILE *err);

/* Strict number parsers: the whole string, in range. 0 ok, -1 bad. */
int cli_parse_seconds(const char *s, double *v);
int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v);
/* "1,2,3" -> pids; -1 on a bad or out-of-range entry, writes the bad token. */
int cli_parse_pids(const char *s, pid_t *pids, unsigned max, unsigned *n, char *bad, size_t badlen);

#endif
