/*
 * sysload: a workload whose syscalls are known by construction, so that a tracer's per-syscall
 * counts can be compared exactly. Each loop iteration makes one getppid(), one failing chdir()
 * (ENOENT), one failing close(-1) (EBADF) and one umask(022), all through syscall(2) so that
 * libc cannot cache or skip them. Neither libc nor ld.so makes getppid, chdir or umask on its
 * own, and no close(-1) either; see README.md for who makes what and when.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NONEXISTENT_DIR "/nonexistent/streamtrace-sysload"
#define MAX_THREADS	1024
#define MAX_FORKS	1024

static const char usage_text[] =
	"Usage: sysload [OPTIONS]\n"
	"Make an exact number of distinctive syscalls, for checking a tracer's counts.\n"
	"\n"
	"Each loop iteration makes exactly: 1 getppid, 1 chdir (fails ENOENT),\n"
	"1 close(-1) (fails EBADF), 1 umask(022).\n"
	"\n"
	"  -n, --loops N         loop iterations per worker (default 1000)\n"
	"  -t, --threads T       workers per process; 1 runs the loops in the main\n"
	"                        thread, T > 1 starts T threads that each run N loops\n"
	"  -f, --forks F         also fork F children that each do the same as the\n"
	"                        parent (T workers x N loops); the parent waits for them\n"
	"  -s, --start-signal    block SIGUSR1 and wait for it before starting, so a\n"
	"                        tracer can attach with -p first\n"
	"  -H, --hold-ms MS      every process sleeps MS ms after its loops (default 0)\n"
	"  -e, --exit CODE       exit status of the parent (default 0)\n"
	"  -k, --die SIGNAL      at the very end, the parent kills itself with SIGNAL\n"
	"                        (a number, e.g. 11)\n"
	"  -P, --pidfile PATH    write the parent's pid to PATH (atomically) before\n"
	"                        waiting for the start signal\n"
	"  -r, --report          at exit print one JSON line with the expected counts\n"
	"  -v, --verbose         progress messages on stderr\n"
	"  -h, --help            this help\n"
	"\n"
	"Examples:\n"
	"  strace -f -c -e trace=getppid,chdir,close,umask sysload -n 1000 -t 2 -f 1\n"
	"  sysload --start-signal --pidfile /tmp/p --report &   # then kill -USR1 $(cat /tmp/p)\n";

struct options {
	unsigned long long loops;
	unsigned int threads;
	unsigned int forks;
	bool start_signal;
	unsigned long long hold_ms;
	int exit_code;
	int die_signal;
	const char *pidfile;
	bool report;
	bool verbose;
};

static const char *prog = "sysload";

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	exit(2);
}

static unsigned long long parse_u64(const char *opt, const char *arg, unsigned long long min,
				    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!arg || !*arg || *arg == '-' || *arg == '+')
		usage_error("%s: '%s' is not a non-negative integer", opt, arg ? arg : "");
	v = strtoull(arg, &end, 10);
	if (errno || *end)
		usage_error("%s: '%s' is not a non-negative integer", opt, arg);
	if (v < min || v > max)
		usage_error("%s: %llu is out of range [%llu, %llu]", opt, v, min, max);
	return v;
}

/* Signals whose default action terminates the process; the others would not end it. */
static bool signal_terminates(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return sig >= 1 && sig <= SIGRTMAX;
	}
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"loops", required_argument, NULL, 'n'},
		{"threads", required_argument, NULL, 't'},
		{"forks", required_argument, NULL, 'f'},
		{"start-signal", no_argument, NULL, 's'},
		{"hold-ms", required_argument, NULL, 'H'},
		{"exit", required_argument, NULL, 'e'},
		{"die", required_argument, NULL, 'k'},
		{"pidfile", required_argument, NULL, 'P'},
		{"report", no_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	*o = (struct options){.loops = 1000, .threads = 1};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:f:sH:e:k:P:rvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->loops = parse_u64("--loops", optarg, 0, 1000000000000ULL);
			break;
		case 't':
			o->threads = parse_u64("--threads", optarg, 1, MAX_THREADS);
			break;
		case 'f':
			o->forks = parse_u64("--forks", optarg, 0, MAX_FORKS);
			break;
		case 's':
			o->start_signal = true;
			break;
		case 'H':
			o->hold_ms = parse_u64("--hold-ms", optarg, 0, 86400000ULL);
			break;
		case 'e':
			o->exit_code = parse_u64("--exit", optarg, 0, 255);
			break;
		case 'k':
			o->die_signal = parse_u64("--die", optarg, 1, SIGRTMAX);
			if (!signal_terminates(o->die_signal))
				usage_error(
					"--die: signal %d does not terminate a process by default",
					o->die_signal);
			break;
		case 'P':
			if (!*optarg)
				usage_error("--pidfile: empty path");
			o->pidfile = optarg;
			break;
		case 'r':
			o->report = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/*
 * The four syscalls of one iteration. Results are checked so that a surprise (say, the
 * directory exists) fails the run instead of silently changing the truth.
 */
static int run_loops(unsigned long long loops)
{
	unsigned long long i;
	long r;

	for (i = 0; i < loops; i++) {
		r = syscall(SYS_getppid);
		if (r <= 0)
			return -1;
		r = syscall(SYS_chdir, NONEXISTENT_DIR);
		if (r != -1 || errno != ENOENT)
			return -1;
		r = syscall(SYS_close, -1);
		if (r != -1 || errno != EBADF)
			return -1;
		syscall(SYS_umask, 022);
	}
	return 0;
}

static void *loop_thread(void *arg)
{
	unsigned long long loops = *(unsigned long long *)arg;

	return (void *)(long)run_loops(loops);
}

/* T workers x N loops in the calling process. Returns 0 when every syscall did as expected. */
static int run_workers(const struct options *o)
{
	pthread_t tids[MAX_THREADS];
	unsigned int i, started;
	int ret = 0;
	void *res;

	if (o->threads == 1)
		return run_loops(o->loops);
	for (started = 0; started < o->threads; started++) {
		errno = pthread_create(&tids[started], NULL, loop_thread, (void *)&o->loops);
		if (errno) {
			fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(errno));
			ret = -1;
			break;
		}
	}
	for (i = 0; i < started; i++) {
		pthread_join(tids[i], &res);
		if (res)
			ret = -1;
	}
	return ret;
}

static void hold(unsigned long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (ms && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_pidfile(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, len, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	ok = write(fd, buf, len) == len;
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void print_syscalls(FILE *f, unsigned long long n)
{
	fprintf(f,
		"[{\"name\":\"getppid\",\"count\":%llu,\"errors\":0},"
		"{\"name\":\"chdir\",\"count\":%llu,\"errors\":%llu,\"errnos\":{\"ENOENT\":%llu}},"
		"{\"name\":\"close\",\"count\":%llu,\"errors\":%llu,\"errnos\":{\"EBADF\":%llu}},"
		"{\"name\":\"umask\",\"count\":%llu,\"errors\":0}]",
		n, n, n, n, n, n, n, n);
}

static void print_report(const struct options *o, const pid_t *children)
{
	unsigned long long per_process = o->loops * o->threads;
	unsigned int i;

	printf("{\"program\":\"sysload\",\"pid\":%d,\"child_pids\":[", (int)getpid());
	for (i = 0; i < o->forks; i++)
		printf("%s%d", i ? "," : "", (int)children[i]);
	printf("],\"loops\":%llu,\"threads\":%u,\"forks\":%u,\"processes\":%u,"
	       "\"exit\":%d,\"die_signal\":%d,\"per_process\":",
	       o->loops, o->threads, o->forks, o->forks + 1, o->exit_code, o->die_signal);
	print_syscalls(stdout, per_process);
	printf(",\"total\":");
	print_syscalls(stdout, per_process * (o->forks + 1));
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static pid_t children[MAX_FORKS];
	struct options o;
	unsigned int i, forked;
	int status, ret = 0;
	sigset_t set;

	parse_options(argc, argv, &o);

	if (o.start_signal) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &set, NULL)) {
			fprintf(stderr, "%s: sigprocmask: %s\n", prog, strerror(errno));
			return 1;
		}
	}
	if (o.pidfile && write_pidfile(o.pidfile)) {
		fprintf(stderr, "%s: cannot write pidfile %s: %s\n", prog, o.pidfile,
			strerror(errno));
		return 1;
	}
	if (o.start_signal) {
		if (o.verbose)
			fprintf(stderr, "%s: pid %d waiting for SIGUSR1\n", prog, (int)getpid());
		while (sigwaitinfo(&set, NULL) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "%s: sigwaitinfo: %s\n", prog, strerror(errno));
				return 1;
			}
		}
	}
	if (o.verbose)
		fprintf(stderr, "%s: pid %d: %u process(es) x %u worker(s) x %llu loops\n", prog,
			(int)getpid(), o.forks + 1, o.threads, o.loops);

	/* Children first, before the parent has threads, so each child is a clean copy. */
	for (forked = 0; forked < o.forks; forked++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
			ret = 1;
			break;
		}
		if (pid == 0) {
			int bad = run_workers(&o);

			hold(o.hold_ms);
			_exit(bad ? 1 : 0);
		}
		children[forked] = pid;
	}

	if (run_workers(&o)) {
		fprintf(stderr, "%s: a syscall did not return what was expected\n", prog);
		ret = 1;
	}
	hold(o.hold_ms);

	for (i = 0; i < forked; i++) {
		while (waitpid(children[i], &status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "%s: waitpid: %s\n", prog, strerror(errno));
				return 1;
			}
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "%s: child %d failed\n", prog, (int)children[i]);
			ret = 1;
		}
	}
	if (ret)
		return ret;

	if (o.report)
		print_report(&o, children);
	if (o.verbose)
		fprintf(stderr, "%s: pid %d done\n", prog, (int)getpid());

	if (o.die_signal) {
		struct rlimit no_core = {0, 0};

		fflush(NULL);
		/* No core file litter from a deliberate crash. */
		setrlimit(RLIMIT_CORE, &no_core);
		signal(o.die_signal, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, o.die_signal);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(o.die_signal);
	}
	return o.exit_code;
}
