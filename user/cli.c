// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Option parsing with getopt_long, so that every mistake is one line naming
 * the option and what was wrong, and exits 2. Everything after "--" is the
 * command to start; it is split off before getopt ever sees it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/streamtrace.h"
#include "cli.h"
#include "diff.h"
#include "whatif.h"

#ifndef ST_VERSION
#define ST_VERSION "0.0.0"
#endif

static const char usage_text[] =
	"streamtrace: queueing figures for stream-processing processes, from the kernel\n"
	"\n"
	"USAGE:\n"
	"  streamtrace [top] TARGET [OPTIONS]            live view (the default)\n"
	"  streamtrace record -o FILE TARGET [OPTIONS]   record to FILE for report/diff\n"
	"  streamtrace report FILE [--html OUT] [--json] summarise a recording\n"
	"  streamtrace report FILE --folded [OUT]        its profile as folded stacks\n"
	"  streamtrace diff BASE NEW [OPTIONS]           compare two recordings (CI)\n"
	"\n"
	"TARGET (one or more):\n"
	"  -p, --pid PID[,PID...]   running processes, all their threads and children\n"
	"  -c, --comm NAME          processes named NAME, including ones started later\n"
	"                           (repeatable: up to 8 names)\n"
	"      --cgroup PATH        processes in a cgroup v2 directory and the cgroups\n"
	"                           below it, also ones that join later\n"
	"  -- COMMAND [ARGS...]     start COMMAND, trace it and its children until it\n"
	"                           exits, then exit with its status\n"
	"\n"
	"OPTIONS:\n"
	"  -i, --interval SECS      reporting interval (default 1)\n"
	"  -d, --duration SECS      stop after SECS\n"
	"      --json               JSON lines on stdout instead of the live table\n"
	"      --listen ADDR:PORT   serve Prometheus metrics at /metrics\n"
	"      --web-config FILE    TLS and basic auth for --listen, in the format of\n"
	"                           Prometheus' exporter-toolkit (docs/prometheus.md)\n"
	"      --max-procs N        processes traced at once (default 64, max 4096)\n"
	"      --sample N           time every Nth syscall per thread (default 1: all);\n"
	"                           counts stay exact, times are scaled by N\n"
	"  -o, --output FILE        (record) the recording to write (- for stdout)\n"
	"      --html OUT           (report) write a self-contained HTML report\n"
	"      --threshold M=V      (diff) when a metric regresses: response=+20%,\n"
	"                           service=+1ms, throughput=-10%, p99=+100%, errors=+5,\n"
	"                           wait=off, alpha=0.001 (repeatable; docs/ci.md)\n"
	"      --all                (diff) every row, not only the interesting ones\n"
	"      --threads            per-thread figures too (CPU, run queue, busy, rx)\n"
	"      --connections        per-connection figures (addresses, ports, traffic)\n"
	"      --services[=BY]      roll processes up into services, BY comm (default),\n"
	"                           port (lowest listening TCP port) or cgroup\n"
	"      --profile[=HZ]       sample on-CPU stacks of traced threads (HZ: 99)\n"
	"                           and time off-CPU stacks of messages in service\n"
	"      --folded FILE        write the profile as folded stacks at the end\n"
	"                           (implies --profile; report: to OUT or stdout)\n"
	"      --no-color           no colour (also NO_COLOR=1 in the environment)\n"
	"      --no-tui             the plain table even on a terminal (no full screen)\n"
	"      --horizon SECS       forecast this far ahead (default 60)\n"
	"      --forecast-window N  intervals the trend is fitted over (default 30)\n"
	"      --what-if SPEC       model a change: load=+30%, service=-20%, servers=4\n"
	"                           (comma-separated); ρ, W and p99 by M/M/c\n"
	"  -q, --quiet              nothing on stdout (with --listen, or as a service)\n"
	"  -v, --verbose            start-up timings and libbpf's log on stderr\n"
	"  -h, --help               this help\n"
	"  -V, --version            version\n"
	"\n"
	"THE LIVE VIEW (full screen on a terminal; keys: ? help, q quit, Enter details,\n"
	"< > sort, s services, p pipeline). Columns, each over the last interval:\n"
	"  PID    process id (Nx: N processes of one name, folded; Enter opens them)\n"
	"  COMM   command name; * the pipeline's bottleneck\n"
	"  THR    threads alive (x: exited)\n"
	"  CPU%   on-CPU time / interval (100 = one CPU)\n"
	"  RUNQ%  run-queue wait / interval: runnable, waiting for a CPU\n"
	"  SYSC/s syscalls a second;  ERR/s  of them failed;  RX/s  receives a second\n"
	"  ARR/s  λ, ops arriving a second at its input queues\n"
	"  RHO    ρ = λS/c, utilization of its c serving threads (1: saturated)\n"
	"  W(ms)  response time per op: dispatch + queue wait + service\n"
	"Red rows are saturated, yellow the bottleneck. Full legend: man streamtrace.\n"
	"\n"
	"EXAMPLES:\n"
	"  streamtrace -p $(pidof consumer)            live view of a running process\n"
	"  streamtrace -c consumer -i 5                every consumer, 5 s steps\n"
	"  streamtrace --json -d 30 -p 1234 >o.jsonl   JSON lines for 30 s\n"
	"  streamtrace -- ./pipeline --rate 1000       trace a command from its start\n"
	"  streamtrace --cgroup /sys/fs/cgroup/a.slice a cgroup's processes\n"
	"  streamtrace -p 1234 --what-if load=+30%     what 30% more load would do\n"
	"  streamtrace record -o base.strec -- ./bench record a run for report/diff\n"
	"  streamtrace report base.strec --html r.html charts for an incident doc\n"
	"  streamtrace diff base.strec new.strec       exit 1 if new regressed\n"
	"\n"
	"ENVIRONMENT:\n"
	"  STREAMTRACE_BTF=FILE     the kernel's BTF from FILE, for kernels without\n"
	"                           /sys/kernel/btf/vmlinux\n"
	"  STREAMTRACE_DISABLE=TP,... treat these tracepoints as missing (testing)\n"
	"  NO_COLOR=1               no colour (as --no-color)\n"
	"\n"
	"Exit status: 0 success; 1 runtime failure; 2 usage error; with -- COMMAND,\n"
	"the command's. Needs root (or CAP_BPF + CAP_PERFMON) and a kernel with BTF.\n";

enum {
	OPT_JSON = 1000,
	OPT_LISTEN,
	OPT_CGROUP,
	OPT_MAX_PROCS,
	OPT_HTML,
	OPT_NO_COLOR,
	OPT_HORIZON,
	OPT_WHATIF,
	OPT_FC_WINDOW,
	OPT_THREADS,
	OPT_CONNECTIONS,
	OPT_SERVICES,
	OPT_THRESHOLD,
	OPT_ALL,
	OPT_WEB_CONFIG,
	OPT_PROFILE,
	OPT_FOLDED,
	OPT_NO_TUI,
	OPT_SAMPLE,
};

static const struct option long_opts[] = {
	{"pid", required_argument, NULL, 'p'},
	{"comm", required_argument, NULL, 'c'},
	{"cgroup", required_argument, NULL, OPT_CGROUP},
	{"interval", required_argument, NULL, 'i'},
	{"duration", required_argument, NULL, 'd'},
	{"json", no_argument, NULL, OPT_JSON},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"max-procs", required_argument, NULL, OPT_MAX_PROCS},
	{"output", required_argument, NULL, 'o'},
	{"html", required_argument, NULL, OPT_HTML},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"no-tui", no_argument, NULL, OPT_NO_TUI},
	{"horizon", required_argument, NULL, OPT_HORIZON},
	{"what-if", required_argument, NULL, OPT_WHATIF},
	{"forecast-window", required_argument, NULL, OPT_FC_WINDOW},
	{"threads", no_argument, NULL, OPT_THREADS},
	{"connections", no_argument, NULL, OPT_CONNECTIONS},
	{"services", optional_argument, NULL, OPT_SERVICES},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"all", no_argument, NULL, OPT_ALL},
	{"web-config", required_argument, NULL, OPT_WEB_CONFIG},
	{"profile", optional_argument, NULL, OPT_PROFILE},
	{"folded", optional_argument, NULL, OPT_FOLDED},
	{"sample", required_argument, NULL, OPT_SAMPLE},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{0},
};

int cli_parse_seconds(const char *s, double *v)
{
	char *end;
	double d;

	if (!s || !*s)
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d) || d <= 0 || d > 86400.0 * 365)
		return -1;
	*v = d;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;
	unsigned long n;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

int cli_parse_pids(const char *s, pid_t *pids, unsigned max, unsigned *n, char *bad, size_t badlen)
{
	const char *p = s;

	if (!*s) {
		snprintf(bad, badlen, "%s", "(empty)");
		return -1;
	}
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char tok[32];
		unsigned long v;

		if (len == 0 || len >= sizeof(tok)) {
			snprintf(bad, badlen, "%.*s", (int)(len ? len : 7), len ? p : "(empty)");
			return -1;
		}
		memcpy(tok, p, len);
		tok[len] = 0;
		if (cli_parse_uint(tok, 1, INT_MAX, &v)) {
			snprintf(bad, badlen, "%s", tok);
			return -1;
		}
		if (*n >= max) {
			snprintf(bad, badlen, "%s (more than %u pids)", tok, max);
			return -1;
		}
		pids[(*n)++] = (pid_t)v;
		p += len;
		if (*p == ',') {
			p++;
			if (!*p) {
				snprintf(bad, badlen, "%s", "(empty after ',')");
				return -1;
			}
		}
	}
	return 0;
}

static enum cli_result usage_error(FILE *err, const char *fmt, const char *a, const char *b)
{
	fputs("streamtrace: ", err);
	fprintf(err, fmt, a, b);
	fputs(" (see --help)\n", err);
	return CLI_USAGE;
}

enum cli_result cli_parse(int argc, char **argv, struct cli_options *o, FILE *out, FILE *err)
{
	int first = 1, c, nargs = argc;
	unsigned long ul;
	char bad[64];

	memset(o, 0, sizeof(*o));
	diff_options_init(&o->diff);
	o->interval_s = 1.0;
	o->max_procs = ST_DEFAULT_PROCS;
	o->sample = 1;
	o->horizon_s = 60;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			nargs = i;
			o->command = &argv[i + 1];
			if (i + 1 >= argc)
				return usage_error(err, "%s%s",
						   "'--' must be followed by a command", "");
			break;
		}
	}
	if (nargs > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "top"))
			o->cmd = CMD_TOP;
		else if (!strcmp(argv[1], "record"))
			o->cmd = CMD_RECORD;
		else if (!strcmp(argv[1], "report"))
			o->cmd = CMD_REPORT;
		else if (!strcmp(argv[1], "diff"))
			o->cmd = CMD_DIFF;
		else
			return usage_error(err, "unknown command '%s'%s", argv[1], "");
		first = 2;
	}

	/* getopt over argv[first-1 .. nargs), argv[first-1] standing in as argv[0] */
	optind = 0;
	opterr = 0;
	for (;;) {
		/* the word getopt is about to read, to name it in a message */
		int word = first - 1 + (optind ? optind : 1);

		c = getopt_long(nargs - first + 1, argv + first - 1, "-:p:c:i:d:o:vqhV", long_opts,
				NULL);
		if (c == -1)
			break;
		switch (c) {
		case 1: /* a word that is not an option: a FILE of report/diff */
			if (o->n_files < 2 && (o->cmd == CMD_REPORT || o->cmd == CMD_DIFF))
				o->files[o->n_files++] = optarg;
			else
				return usage_error(err, "unexpected argument '%s'%s", optarg, "");
			break;
		case 'p':
			if (cli_parse_pids(optarg, o->pids, CLI_MAX_PIDS, &o->n_pids, bad,
					   sizeof(bad)))
				return usage_error(err, "-p: '%s' is not a valid pid%s", bad, "");
			break;
		case 'c':
			if (!*optarg || strlen(optarg) > 15)
				return usage_error(err, "-c: '%s' is not a command name%s", optarg,
						   " (1 to 15 characters, as the kernel keeps)");
			for (unsigned k = 0; k < o->n_comms; k++)
				if (!strcmp(o->comms[k], optarg))
					goto comm_done; /* a set: twice is once */
			if (o->n_comms == ST_MAX_COMMS_CLI)
				return usage_error(err, "-c: more than %s names given%s", "8", "");
			o->comms[o->n_comms++] = optarg;
comm_done:
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case 'i':
			if (cli_parse_seconds(optarg, &o->interval_s) || o->interval_s < 0.01 ||
			    o->interval_s > 86400)
				return usage_error(err, "-i: '%s' is not a valid interval%s",
						   optarg, " (seconds, from 0.01 to 86400)");
			break;
		case 'd':
			if (cli_parse_seconds(optarg, &o->duration_s))
				return usage_error(err, "-d: '%s' is not a valid duration%s",
						   optarg,
						   " (seconds, more than 0 and at most a year)");
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_MAX_PROCS:
			if (cli_parse_uint(optarg, 1, 4096, &ul))
				return usage_error(err, "--max-procs: '%s' is not in 1..4096%s",
						   optarg, "");
			o->max_procs = (unsigned)ul;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_NO_TUI:
			o->no_tui = 1;
			break;
		case OPT_NO_COLOR:
			o->no_color = 1;
			break;
		case OPT_THRESHOLD: {
			char why[160];

			if (diff_parse_threshold(&o->diff, optarg, why, sizeof(why)))
				return usage_error(err, "--threshold: %s%s", why, "");
			if (o->n_thresholds == CLI_MAX_THRESHOLDS)
				return usage_error(err, "--threshold: more than %s given%s", "32",
						   "");
			o->thresholds[o->n_thresholds++] = optarg;
			break;
		}
		case OPT_ALL:
			o->all_rows = 1;
			break;
		case OPT_WEB_CONFIG: /* the file itself is read when the server starts */
			if (!*optarg)
				return usage_error(err, "--web-config: empty file name%s%s", "",
						   "");
			o->web_config = optarg;
			break;
		case OPT_SAMPLE:
			if (cli_parse_uint(optarg, 1, 65536, &ul))
				return usage_error(err, "--sample: '%s' is not in 1..65536%s",
						   optarg, "");
			o->sample = (unsigned)ul;
			break;
		case OPT_THREADS:
			o->threads = 1;
			break;
		case OPT_CONNECTIONS:
			o->connections = 1;
			break;
		case OPT_PROFILE: {
			unsigned long hz = CLI_PROFILE_HZ;

			if (optarg && cli_parse_uint(optarg, 1, CLI_PROFILE_HZ_MAX, &hz))
				return usage_error(err,
						   "--profile: '%s' is not a rate from 1 to %s Hz",
						   optarg, "1000");
			o->profile_hz = (unsigned)hz;
			break;
		}
		case OPT_FOLDED: {
			/* --folded FILE (the value in the next word: getopt takes an
			 * optional one only after '='); report --folded alone: stdout */
			int at = first - 1 + optind;

			o->folded_report = o->cmd == CMD_REPORT;
			o->folded = optarg;
			if (!optarg && at < nargs && argv[at][0] != '-' &&
			    (o->cmd != CMD_REPORT || o->n_files == 1)) {
				o->folded = argv[at];
				optind++;
			}
			if (!o->folded && o->cmd != CMD_REPORT)
				return usage_error(err, "--folded needs a FILE%s%s", "", "");
			break;
		}
		case OPT_SERVICES:
			if (!optarg || !strcmp(optarg, "comm"))
				o->services = CLI_SERVICES_COMM;
			else if (!strcmp(optarg, "port"))
				o->services = CLI_SERVICES_PORT;
			else if (!strcmp(optarg, "cgroup"))
				o->services = CLI_SERVICES_CGROUP;
			else
				return usage_error(err,
						   "--services: '%s' is not comm, port or cgroup%s",
						   optarg, "");
			break;
		case OPT_HORIZON:
			if (cli_parse_seconds(optarg, &o->horizon_s))
				return usage_error(err, "--horizon: '%s' is not a valid horizon%s",
						   optarg, " (seconds, > 0)");
			break;
		case OPT_FC_WINDOW:
			if (cli_parse_uint(optarg, 4, 120, &ul))
				return usage_error(err,
						   "--forecast-window: '%s' is not in 4..120%s",
						   optarg, "");
			o->fc_window = (unsigned)ul;
			break;
		case OPT_WHATIF: {
			char why[128];

			if (whatif_parse(optarg, &o->whatif_set, why, sizeof(why)))
				return usage_error(err, "--what-if: %s%s", why, "");
			o->whatif = optarg;
			break;
		}
		case 'v':
			o->verbose = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(usage_text, out);
			return CLI_EXIT_OK;
		case 'V':
			fprintf(out, "streamtrace %s\n", ST_VERSION);
			return CLI_EXIT_OK;
		case ':':
			return usage_error(err, "option '%s' needs a value%s",
					   word < nargs ? argv[word] : "?", "");
		default:
			if (word < nargs && optopt > 0 && optopt < 128 && argv[word][1] != '-') {
				char opt[3] = {'-', (char)optopt, 0};

				return usage_error(err, "unknown option '%s'%s", opt, "");
			}
			return usage_error(err, "unknown option '%s'%s",
					   word < nargs ? argv[word] : "?", "");
		}
	}

	/* an option that does nothing in this mode is a mistake, not a no-op */
	if (o->output && o->cmd != CMD_RECORD)
		return usage_error(
			err, "-o is for record only (streamtrace record -o FILE ...)%s%s", "", "");
	if (o->html && o->cmd != CMD_REPORT)
		return usage_error(
			err, "--html is for report only (streamtrace report FILE --html OUT)%s%s",
			"", "");
	if (o->folded && !o->folded_report && !o->profile_hz)
		o->profile_hz = CLI_PROFILE_HZ; /* --folded FILE: a profile to write */
	if (o->profile_hz && (o->cmd == CMD_REPORT || o->cmd == CMD_DIFF))
		return usage_error(err, "--profile is for a live run or record%s%s", "", "");
	if (o->folded_report && o->cmd != CMD_REPORT)
		return usage_error(err, "--folded%s%s", " in diff: use report FILE --folded", "");
	if ((o->n_thresholds || o->all_rows) && o->cmd != CMD_DIFF)
		return usage_error(err, "%s is for diff only%s",
				   o->n_thresholds ? "--threshold" : "--all", "");
	if (o->quiet && o->json)
		return usage_error(
			err, "-q and --json contradict each other (-q prints nothing)%s%s", "", "");
	if ((o->cmd == CMD_REPORT || o->cmd == CMD_DIFF) &&
	    (o->n_pids || o->n_comms || o->cgroup || o->command || o->listen || o->quiet ||
	     o->sample != 1))
		return usage_error(
			err, "%s reads recordings: it takes no target, --listen, -q or --sample%s",
			o->cmd == CMD_REPORT ? "report" : "diff", "");
	switch (o->cmd) {
	case CMD_REPORT:
		if (o->n_files != 1)
			return usage_error(err, "report needs one FILE%s%s", "", "");
		return CLI_OK;
	case CMD_DIFF:
		if (o->n_files != 2)
			return usage_error(err, "diff needs BASE and NEW%s%s", "", "");
		return CLI_OK;
	case CMD_RECORD:
		if (!o->output)
			return usage_error(err, "record needs -o FILE%s%s", "", "");
		/* -o -: the recording is standard output, which JSON cannot share */
		if (!strcmp(o->output, "-") && o->json)
			return usage_error(err,
					   "-o - writes the recording to stdout: no room for "
					   "--json there%s%s",
					   "", "");
		/* fall through */
	case CMD_TOP:
		if (o->web_config && !o->listen)
			return usage_error(err, "--web-config needs --listen%s%s", "", "");
		if (!o->n_pids && !o->n_comms && !o->cgroup && !o->command)
			return usage_error(
				err,
				"no target: give -p PID, -c NAME, --cgroup PATH or -- COMMAND%s%s",
				"", "");
		break;
	}
	return CLI_OK;
}
