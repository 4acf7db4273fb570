/*
 * churn: short-lived processes and threads at a set rate, for the soak test. The parent forks
 * a child every 1/rate seconds; the child execs this same file (so its command name is the
 * file's name), makes a known number of getppid() calls in its main thread and in each of a
 * known number of threads, and exits. The parent makes no getppid() itself. At the end (the
 * duration, or SIGTERM/SIGINT) the parent writes its truth: one JSON line per child (pid,
 * start and end time, getppid calls, threads) and a last line with the totals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"Usage: churn [OPTIONS]\n"
	"Start short-lived processes with threads at a set rate; write what was started.\n"
	"\n"
	"Child i (from 0) makes 1 + i %% 5 getppid() calls in its main thread and as many\n"
	"in each of its i %% (T + 1) threads, lives 50 + (i %% 4) x 50 ms, and exits 0.\n"
	"\n"
	"  -r, --rate N          children started per second (default 20)\n"
	"  -d, --duration S      seconds to run (default 10); SIGTERM or SIGINT ends early\n"
	"  -t, --threads T       at most T threads per child (default 3)\n"
	"  -o, --truth PATH      where to write the truth (JSON lines; required)\n"
	"  -g, --cgroup DIR      move this process into the cgroup DIR first\n"
	"  -s, --start-signal    wait for SIGUSR1 before starting children\n"
	"  -P, --pidfile PATH    write this process's pid to PATH (before waiting)\n"
	"  -h, --help            this help\n"
	"\n"
	"Truth lines: {\"pid\": P, \"start\": T0, \"end\": T1, \"getppid\": N, \"threads\": K,\n"
	"\"status\": S} per child (UNIX seconds: before the fork, after the reap), then\n"
	"{\"type\": \"total\", \"parent\": P, \"started\": N, \"failed\": N, \"getppid\": N,\n"
	"\"threads\": N}.\n";

struct child {
	pid_t pid;
	double start, end;
	unsigned getppid, threads;
	int status;
};

static const char *prog = "churn";
static volatile sig_atomic_t stop;

/* one line on stderr, then exit with status code (2: usage, 1: runtime) */
static void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}
#define usage_error(...) fail(2, __VA_ARGS__)
#define die(...)	 fail(1, __VA_ARGS__)

static unsigned long num(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		usage_error("%s: '%s' is not a whole number from 0 to %lu", opt, s, max);
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void calls(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void *thread_main(void *arg)
{
	calls((unsigned)(unsigned long)arg);
	return NULL;
}

/* what child i does, by construction */
static unsigned child_calls(unsigned long i)
{
	return 1 + (unsigned)(i % 5);
}

static unsigned child_threads(unsigned long i, unsigned maxt)
{
	return (unsigned)(i % (maxt + 1));
}

static int child_main(unsigned long i, unsigned maxt)
{
	unsigned n = child_calls(i), k = child_threads(i, maxt);
	pthread_t th[64];
	struct timespec hold = {0, (long)(50 + (i % 4) * 50) * 1000000L};

	calls(n);
	for (unsigned j = 0; j < k; j++)
		if (pthread_create(&th[j], NULL, thread_main, (void *)(unsigned long)n))
			die("pthread_create failed");
	for (unsigned j = 0; j < k; j++)
		pthread_join(th[j], NULL);
	nanosleep(&hold, NULL);
	return 0;
}

/* children are reaped roughly in order: search from the oldest not reaped */
static size_t lo;

static int mark_reaped(struct child *kids, size_t n, pid_t pid, int st)
{
	double e = now_s();

	for (size_t j = lo; j < n; j++)
		if (kids[j].pid == pid && kids[j].end == 0) {
			kids[j].end = e;
			kids[j].status = st;
			while (lo < n && kids[lo].end != 0)
				lo++;
			return 1;
		}
	return 0;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"truth", required_argument, NULL, 'o'},
		{"cgroup", required_argument, NULL, 'g'},
		{"start-signal", no_argument, NULL, 's'},
		{"pidfile", required_argument, NULL, 'P'},
		{"child", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long rate = 20, duration = 10, maxt = 3, child = ULONG_MAX;
	const char *truth = NULL, *cgroup = NULL, *pidfile = NULL;
	int start_signal = 0, c;
	char self[PATH_MAX];
	struct child *kids = NULL;
	size_t n = 0, cap = 0, reaped = 0;
	unsigned long long total_calls = 0, total_threads = 0, failed = 0;
	struct sigaction sa = {.sa_handler = on_stop};
	double t0, next;
	FILE *f;

	while ((c = getopt_long(argc, argv, "r:d:t:o:g:sP:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rate = num("--rate", optarg, 10000);
			if (!rate)
				usage_error("--rate: must be at least 1");
			break;
		case 'd':
			duration = num("--duration", optarg, 86400);
			break;
		case 't':
			maxt = num("--threads", optarg, 64);
			break;
		case 'o':
			truth = optarg;
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 's':
			start_signal = 1;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'C':
			child = num("--child", optarg, ULONG_MAX - 1);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			usage_error("try --help");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (child != ULONG_MAX)
		return child_main(child, (unsigned)maxt);
	if (!truth)
		usage_error("--truth PATH is required");
	{
		ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (k <= 0)
			die("/proc/self/exe: %s", strerror(errno));
		self[k] = 0;
	}
	if (cgroup) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		fd = open(path, O_WRONLY);
		if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0)
			die("%s: %s", path, strerror(errno));
		close(fd);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (start_signal) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (pidfile) {
			char tmp[PATH_MAX];

			snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
			f = fopen(tmp, "w");
			if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) ||
			    rename(tmp, pidfile))
				die("%s: %s", pidfile, strerror(errno));
		}
		sigwait(&set, &sig);
	} else if (pidfile) {
		f = fopen(pidfile, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			die("%s: %s", pidfile, strerror(errno));
	}

	t0 = next = now_s();
	while (!stop && now_s() - t0 < (double)duration) {
		double t = now_s();
		pid_t pid;
		int st;

		/* reap whoever has finished */
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			reaped += (size_t)mark_reaped(kids, n, pid, st);
		if (t < next) {
			struct timespec ts;
			double d = next - t;

			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
			continue;
		}
		/* behind (a loaded machine): no burst to catch up */
		next = (t - next > 1.0 ? t : next) + 1.0 / (double)rate;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			kids = realloc(kids, cap * sizeof(*kids));
			if (!kids)
				die("out of memory");
		}
		kids[n] = (struct child){.start = now_s(),
					 .getppid = child_calls(n) *
						    (1 + child_threads(n, (unsigned)maxt)),
					 .threads = child_threads(n, (unsigned)maxt)};
		pid = fork();
		if (pid < 0) {
			if (errno == EAGAIN)
				continue;
			die("fork: %s", strerror(errno));
		}
		if (pid == 0) {
			char idx[32], th[32];

			snprintf(idx, sizeof(idx), "%zu", n);
			snprintf(th, sizeof(th), "%lu", maxt);
			execl(self, self, "--child", idx, "--threads", th, (char *)NULL);
			_exit(127);
		}
		kids[n++].pid = pid;
	}
	while (reaped < n) {
		int st;
		pid_t pid = waitpid(-1, &st, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		reaped += (size_t)mark_reaped(kids, n, pid, st);
	}
	f = fopen(truth, "w");
	if (!f)
		die("%s: %s", truth, strerror(errno));
	for (size_t j = 0; j < n; j++) {
		int ok = WIFEXITED(kids[j].status) && WEXITSTATUS(kids[j].status) == 0;

		fprintf(f,
			"{\"pid\": %d, \"start\": %.6f, \"end\": %.6f, \"getppid\": %u, "
			"\"threads\": %u, \"status\": %d}\n",
			(int)kids[j].pid, kids[j].start, kids[j].end, kids[j].getppid,
			kids[j].threads, kids[j].status);
		if (ok) {
			total_calls += kids[j].getppid;
			total_threads += kids[j].threads;
		} else {
			failed++;
		}
	}
	fprintf(f,
		"{\"type\": \"total\", \"parent\": %d, \"started\": %zu, \"failed\": %llu, "
		"\"getppid\": %llu, \"threads\": %llu, \"start\": %.6f, \"end\": %.6f}\n",
		(int)getpid(), n, failed, total_calls, total_threads, t0, now_s());
	if (fclose(f))
		die("%s: %s", truth, strerror(errno));
	free(kids);
	return failed ? 1 : 0;
}
