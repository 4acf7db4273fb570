/*
 * qbench: a queueing workload over real loopback sockets whose truth is known by construction.
 * A producer sends fixed-size messages on a chosen arrival schedule to a server with c worker
 * threads; each worker spins (on CPU, not sleeping) for a drawn service time per message. Every
 * message carries its send timestamp (CLOCK_MONOTONIC, shared by all processes), so the server
 * knows each message's wait and response exactly and prints what really happened as one JSON
 * line at exit. Integration tests run the tracer against it and compare. See README.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QB_MAGIC	     0x314e4251u /* "QBN1" */
#define MAX_WORKERS	     64
#define MAX_SIZE	     65000
#define DEFAULT_PORT	     7878
#define DEFAULT_SPIN_US	     200.0
#define DEFAULT_UNIX_PATH    "/tmp/qbench.sock"
#define UDP_RCVBUF	     (16 << 20)
#define UNIX_SNDBUF	     (4 << 20)
#define CONNECT_TIMEOUT_S    5.0
#define RESET_WAIT_MS	     5000
#define STANDALONE_SETTLE_NS 20000000ull
#define NSEC		     1000000000ull

/* ---- wire format: both ends run on one host, so plain structs in host order ---- */

enum msg_type {
	MSG_DATA = 1,
	MSG_END = 2,   /* last message on a connection (or one per worker on a datagram socket) */
	MSG_RESET = 3, /* like MSG_END, but asks the server to close with data still unread */
};

#define MSG_F_WARMUP 1u /* sent before the measured window began */

struct msg_hdr {
	uint32_t magic;
	uint16_t type;
	uint16_t flags;
	uint64_t seq;
	uint64_t send_ns;   /* CLOCK_MONOTONIC just before this hop's successful send */
	uint64_t origin_ns; /* the source's send time, kept across pipeline stages */
};

/* What the sender tells its receiver at the end; follows the header of END and RESET. */
struct end_stats {
	uint64_t pid;
	uint64_t tx_ops; /* successful sends over the whole run, END messages included */
	uint64_t tx_bytes;
	uint64_t tx_blocked;  /* sends that found the socket full (EAGAIN) and had to wait */
	uint64_t sent;	      /* data messages sent */
	uint64_t sent_window; /* data messages sent inside the measured window */
	uint64_t window_start_ns;
	uint64_t window_end_ns;
	uint64_t ia_count; /* interarrival gaps between consecutive window sends */
	double ia_sum_s;
	double ia_sumsq_s2;
	uint64_t late_max_ns; /* worst lateness of a send against its schedule */
};

#define MIN_SIZE (sizeof(struct msg_hdr) + sizeof(struct end_stats))

/* ---- configuration ---- */

enum mode { MODE_SERVER, MODE_PRODUCER, MODE_RUN, MODE_PIPELINE };
enum transport { TR_TCP, TR_UDP, TR_UNIX };
enum arrival { AR_POISSON, AR_REGULAR, AR_BURSTY, AR_RAMP };
enum service_dist { SV_EXP, SV_FIXED };
enum dispatch { DP_RANDOM, DP_RR };

static const char *const transport_names[] = {"tcp", "udp", "unix"};
static const char *const arrival_names[] = {"poisson", "regular", "bursty", "ramp"};
static const char *const service_names[] = {"exp", "fixed"};
static const char *const dispatch_names[] = {"random", "rr"};

struct config {
	enum mode mode;
	enum transport transport;
	int port; /* -1: mode default */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	double rate, rate_end;
	bool rate_end_set;
	enum arrival arrival;
	double burst_on_ms, burst_off_ms;
	double service_us;
	enum service_dist service;
	double stage_service_us[2];
	bool stage_service_set;
	int bottleneck; /* 0: stage A, 1: stage B */
	unsigned int workers;
	enum dispatch dispatch;
	unsigned int size;
	double duration, warmup;
	uint64_t seed;
	double spin_us;
	bool reset;
	bool start_signal;
	const char *pidfile;
	const char *records;
};

static const char *prog = "qbench";
/* UDP server receive buffer: large, so that only --rcvbuf makes it drop */
static int udp_rcvbuf = UDP_RCVBUF;

static const char usage_text[] =
	"Usage: qbench MODE [OPTIONS]\n"
	"A queueing workload over loopback sockets that prints its own ground truth.\n"
	"\n"
	"Modes:\n"
	"  server      listen, serve with --workers threads, print the truth JSON at the end\n"
	"  producer    send messages to a server on the --arrival schedule\n"
	"  run         fork a server and a producer, wait for both, print the server's truth\n"
	"  pipeline    source -> stage A -> stage B -> sink over TCP, one process each;\n"
	"              prints one truth line per process\n"
	"\n"
	"Options:\n"
	"  --transport tcp|udp|unix   tcp: one connection per worker (c separate queues);\n"
	"                             udp, unix (datagram): one socket shared by all workers\n"
	"                             (one queue, c servers) (default tcp)\n"
	"  --port N                   127.0.0.1 port (server/producer default 7878; run and\n"
	"                             pipeline pick a free one; pipeline uses N, N+1, N+2)\n"
	"  --path PATH                unix socket path (default /tmp/qbench.sock, run: per pid)\n"
	"  --rate R                   mean arrival rate, messages/s (default 500)\n"
	"  --arrival KIND             poisson|regular|bursty|ramp (default poisson)\n"
	"  --burst-on-ms MS           bursty: length of a burst (default 100)\n"
	"  --burst-off-ms MS          bursty: silence between bursts (default 100); arrivals\n"
	"                             are Poisson inside bursts at R*(on+off)/on\n"
	"  --rate-end R               ramp: rate at the end of --duration (default 2*R)\n"
	"  --service-us S             mean service time per message, spun on CPU (default 1000)\n"
	"  --service exp|fixed        service time distribution (default exp)\n"
	"  --workers C                server threads (default 1); TCP opens C connections\n"
	"  --dispatch random|rr       TCP: how the producer picks a connection (default random)\n"
	"  --size BYTES               message size, fixed (default 128 = the minimum, max 65000)\n"
	"  --duration SECS            sending time, warmup included (default 5)\n"
	"  --warmup SECS              truth window excludes messages sent before this (default 0)\n"
	"  --seed N                   random seed (default 1)\n"
	"  --rcvbuf BYTES             UDP server receive buffer (default 16 MiB, so that it\n"
	"                             drops only when asked to: a small one makes drops)\n"
	"  --spin-us US               producer spins the last US before each send (default\n"
	"                             200, at most a quarter of the mean interarrival time)\n"
	"  --reset                    TCP producer/run: end each connection with a reset (RST)\n"
	"  --stage-service-us A,B     pipeline: mean service of stage A and B in us\n"
	"  --bottleneck a|b           pipeline: without --stage-service-us, this stage gets\n"
	"                             --service-us and the other a quarter of it (default b)\n"
	"  --start-signal             run/pipeline: start sending only after this process gets\n"
	"                             SIGUSR1 (attach a tracer with -p first)\n"
	"  --pidfile PATH             server/producer: own pid; run: the server's pid;\n"
	"                             pipeline: source, A, B, sink pids on one line\n"
	"  --records PATH             server/run: every message's send, receive and done\n"
	"                             times (ns, CLOCK_REALTIME), one line each, at the end\n"
	"  -h, --help                 this help\n"
	"\n"
	"Examples:\n"
	"  qbench run --rate 500 --service-us 1000 --duration 5\n"
	"  qbench run --transport udp --workers 2 --rate 1500 --arrival regular --service fixed\n"
	"  qbench pipeline --rate 400 --stage-service-us 300,1500\n";

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

static void __attribute__((format(printf, 1, 2))) errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s[%d]: ", prog, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double parse_double(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v))
		usage_error("%s: '%s' is not a number", opt, arg);
	if (v < min || v > max)
		usage_error("%s: %s is out of range [%g, %g]", opt, arg, min, max);
	return v;
}

static unsigned long long parse_uint(const char *opt, const char *arg, unsigned long long min,
				     unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*arg || *arg == '-' || *arg == '+')
		usage_error("%s: '%s' is not a non-negative integer", opt, arg);
	v = strtoull(arg, &end, 10);
	if (errno || *end)
		usage_error("%s: '%s' is not a non-negative integer", opt, arg);
	if (v < min || v > max)
		usage_error("%s: %llu is out of range [%llu, %llu]", opt, v, min, max);
	return v;
}

static int parse_choice(const char *opt, const char *arg, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	usage_error("%s: unknown value '%s'", opt, arg);
}

enum {
	OPT_TRANSPORT = 256,
	OPT_PORT,
	OPT_PATH,
	OPT_RATE,
	OPT_RATE_END,
	OPT_ARRIVAL,
	OPT_BURST_ON,
	OPT_BURST_OFF,
	OPT_SERVICE_US,
	OPT_SERVICE,
	OPT_STAGE_SERVICE,
	OPT_BOTTLENECK,
	OPT_WORKERS,
	OPT_DISPATCH,
	OPT_SIZE,
	OPT_DURATION,
	OPT_WARMUP,
	OPT_SEED,
	OPT_RCVBUF,
	OPT_SPIN_US,
	OPT_RESET,
	OPT_START_SIGNAL,
	OPT_PIDFILE,
	OPT_RECORDS,
};

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{"transport", required_argument, NULL, OPT_TRANSPORT},
		{"port", required_argument, NULL, OPT_PORT},
		{"path", required_argument, NULL, OPT_PATH},
		{"rate", required_argument, NULL, OPT_RATE},
		{"rate-end", required_argument, NULL, OPT_RATE_END},
		{"arrival", required_argument, NULL, OPT_ARRIVAL},
		{"burst-on-ms", required_argument, NULL, OPT_BURST_ON},
		{"burst-off-ms", required_argument, NULL, OPT_BURST_OFF},
		{"service-us", required_argument, NULL, OPT_SERVICE_US},
		{"service", required_argument, NULL, OPT_SERVICE},
		{"stage-service-us", required_argument, NULL, OPT_STAGE_SERVICE},
		{"bottleneck", required_argument, NULL, OPT_BOTTLENECK},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"dispatch", required_argument, NULL, OPT_DISPATCH},
		{"size", required_argument, NULL, OPT_SIZE},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"warmup", required_argument, NULL, OPT_WARMUP},
		{"seed", required_argument, NULL, OPT_SEED},
		{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
		{"spin-us", required_argument, NULL, OPT_SPIN_US},
		{"reset", no_argument, NULL, OPT_RESET},
		{"start-signal", no_argument, NULL, OPT_START_SIGNAL},
		{"pidfile", required_argument, NULL, OPT_PIDFILE},
		{"records", required_argument, NULL, OPT_RECORDS},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	static const char *const modes[] = {"server", "producer", "run", "pipeline"};
	static const char *const bottlenecks[] = {"a", "b"};
	char *comma;
	int c;

	*cfg = (struct config){
		.port = -1,
		.rate = 500,
		.burst_on_ms = 100,
		.burst_off_ms = 100,
		.service_us = 1000,
		.bottleneck = 1,
		.workers = 1,
		.size = 128,
		.duration = 5,
		.seed = 1,
		.spin_us = -1,
	};
	if (argc < 2)
		usage_error("missing MODE (server, producer, run or pipeline)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		exit(0);
	}
	cfg->mode = parse_choice("MODE", argv[1], modes, 4);

	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRANSPORT:
			cfg->transport = parse_choice("--transport", optarg, transport_names, 3);
			break;
		case OPT_PORT:
			cfg->port = parse_uint("--port", optarg, 1, 65533);
			break;
		case OPT_PATH:
			if (!*optarg || strlen(optarg) >= sizeof(cfg->path))
				usage_error("--path: empty or longer than %zu bytes",
					    sizeof(cfg->path) - 1);
			strcpy(cfg->path, optarg);
			break;
		case OPT_RATE:
			cfg->rate = parse_double("--rate", optarg, 1e-3, 1e6);
			break;
		case OPT_RATE_END:
			cfg->rate_end = parse_double("--rate-end", optarg, 0, 1e6);
			cfg->rate_end_set = true;
			break;
		case OPT_ARRIVAL:
			cfg->arrival = parse_choice("--arrival", optarg, arrival_names, 4);
			break;
		case OPT_BURST_ON:
			cfg->burst_on_ms = parse_double("--burst-on-ms", optarg, 0.001, 1e7);
			break;
		case OPT_BURST_OFF:
			cfg->burst_off_ms = parse_double("--burst-off-ms", optarg, 0, 1e7);
			break;
		case OPT_SERVICE_US:
			cfg->service_us = parse_double("--service-us", optarg, 0, 1e8);
			break;
		case OPT_SERVICE:
			cfg->service = parse_choice("--service", optarg, service_names, 2);
			break;
		case OPT_STAGE_SERVICE:
			comma = strchr(optarg, ',');
			if (!comma)
				usage_error("--stage-service-us: expected A,B (microseconds)");
			*comma = '\0';
			cfg->stage_service_us[0] =
				parse_double("--stage-service-us", optarg, 0, 1e8);
			cfg->stage_service_us[1] =
				parse_double("--stage-service-us", comma + 1, 0, 1e8);
			cfg->stage_service_set = true;
			break;
		case OPT_BOTTLENECK:
			cfg->bottleneck = parse_choice("--bottleneck", optarg, bottlenecks, 2);
			break;
		case OPT_WORKERS:
			cfg->workers = parse_uint("--workers", optarg, 1, MAX_WORKERS);
			break;
		case OPT_DISPATCH:
			cfg->dispatch = parse_choice("--dispatch", optarg, dispatch_names, 2);
			break;
		case OPT_SIZE:
			cfg->size = parse_uint("--size", optarg, MIN_SIZE, MAX_SIZE);
			break;
		case OPT_DURATION:
			cfg->duration = parse_double("--duration", optarg, 0.001, 86400);
			break;
		case OPT_WARMUP:
			cfg->warmup = parse_double("--warmup", optarg, 0, 86400);
			break;
		case OPT_SEED:
			cfg->seed = parse_uint("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_RCVBUF:
			udp_rcvbuf = (int)parse_uint("--rcvbuf", optarg, 2048, 1 << 30);
			break;
		case OPT_SPIN_US:
			cfg->spin_us = parse_double("--spin-us", optarg, 0, 1e6);
			break;
		case OPT_RESET:
			cfg->reset = true;
			break;
		case OPT_START_SIGNAL:
			cfg->start_signal = true;
			break;
		case OPT_PIDFILE:
			if (!*optarg)
				usage_error("--pidfile: empty path");
			cfg->pidfile = optarg;
			break;
		case OPT_RECORDS:
			if (!*optarg)
				usage_error("--records: empty path");
			cfg->records = optarg;
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

	if (cfg->warmup >= cfg->duration)
		usage_error("--warmup (%g s) must be shorter than --duration (%g s)", cfg->warmup,
			    cfg->duration);
	if (!cfg->rate_end_set)
		cfg->rate_end = 2 * cfg->rate;
	if (cfg->spin_us < 0) {
		/* Wake-ups can be ~100 us late (more in VMs): spin a while, but cap the cost at
		 * about a quarter of a CPU by never spinning over a quarter of the mean gap. */
		double peak = cfg->rate;

		if (cfg->arrival == AR_RAMP && cfg->rate_end > peak)
			peak = cfg->rate_end;
		if (cfg->arrival == AR_BURSTY)
			peak *= (cfg->burst_on_ms + cfg->burst_off_ms) / cfg->burst_on_ms;
		cfg->spin_us = fmin(DEFAULT_SPIN_US, 0.25e6 / peak);
	}
	if (cfg->reset && cfg->transport != TR_TCP)
		usage_error("--reset needs --transport tcp");
	if (cfg->reset && cfg->mode != MODE_PRODUCER && cfg->mode != MODE_RUN)
		usage_error("--reset applies to the producer and run modes");
	if (cfg->mode == MODE_PIPELINE) {
		if (cfg->transport != TR_TCP)
			usage_error("pipeline stages are connected by TCP only");
		if (cfg->workers != 1)
			usage_error("pipeline stages have one worker each");
		if (cfg->port > 65533 - 2)
			usage_error("--port: pipeline needs N, N+1 and N+2");
		if (!cfg->stage_service_set) {
			cfg->stage_service_us[cfg->bottleneck] = cfg->service_us;
			cfg->stage_service_us[!cfg->bottleneck] = cfg->service_us / 4;
		}
	}
	if (cfg->start_signal && cfg->mode != MODE_RUN && cfg->mode != MODE_PIPELINE)
		usage_error("--start-signal applies to the run and pipeline modes");
	if (cfg->records && cfg->mode != MODE_RUN && cfg->mode != MODE_SERVER)
		usage_error("--records applies to the server and run modes");
	if (cfg->port < 0)
		cfg->port =
			cfg->mode == MODE_SERVER || cfg->mode == MODE_PRODUCER ? DEFAULT_PORT : 0;
	if (!cfg->path[0]) {
		if (cfg->mode == MODE_RUN)
			snprintf(cfg->path, sizeof(cfg->path), "/tmp/qbench-%d.sock",
				 (int)getpid());
		else
			strcpy(cfg->path, DEFAULT_UNIX_PATH);
	}
}

/* ---- time, randomness ---- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static uint64_t spin_until(uint64_t target)
{
	uint64_t t;

	while ((t = now_ns()) < target)
		cpu_relax();
	return t;
}

/* Sleep to shortly before target (absolute, so no drift), then spin the rest for accuracy. */
static uint64_t sleep_until(uint64_t target, uint64_t spin_ns)
{
	if (target > now_ns() + spin_ns) {
		uint64_t wake = target - spin_ns;
		struct timespec ts = {.tv_sec = wake / NSEC, .tv_nsec = wake % NSEC};

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	return spin_until(target);
}

/* xoshiro256** seeded by splitmix64. */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform on (0, 1]. */
static double rng_uniform(struct rng *r)
{
	return ((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

static double rng_exp(struct rng *r, double mean)
{
	return -mean * log(rng_uniform(r));
}

/* ---- small helpers ---- */

static int write_pidfile(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, content, len) == (ssize_t)len;
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static void set_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

static double ns_to_s(int64_t ns)
{
	return (double)ns / 1e9;
}

static void json_num(FILE *f, const char *key, double v)
{
	if (isfinite(v))
		fprintf(f, ",\"%s\":%.9g", key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

static void json_u64(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, ",\"%s\":%llu", key, (unsigned long long)v);
}

static double cv2_of(double n, double sum, double sumsq)
{
	double mean, var;

	if (n < 2 || sum <= 0)
		return NAN;
	mean = sum / n;
	var = sumsq / n - mean * mean;
	return (var < 0 ? 0 : var) / (mean * mean);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank quantile of a sorted array. */
static double quantile(const double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return NAN;
	k = (size_t)ceil(p * n);
	return v[k ? k - 1 : 0];
}

/* ---- sockets ---- */

static int set_bufsize(int fd, int force_opt, int opt, int bytes)
{
	/* The FORCE variants pass the rmem_max/wmem_max caps; they need CAP_NET_ADMIN. */
	if (!setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)))
		return 0;
	return setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

static struct sockaddr_in loopback_addr(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* The receiving socket: a TCP listener, or the datagram socket all workers share. */
static int server_socket(enum transport tr, int port, const char *path, int *bound_port)
{
	int type = tr == TR_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int fd, one = 1;

	if (tr == TR_UNIX) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		struct stat st;

		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!lstat(path, &st)) {
			if (!S_ISSOCK(st.st_mode)) {
				errno = EEXIST;
				close(fd);
				return -1;
			}
			unlink(path);
		}
		strcpy(a.sun_path, path);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			return -1;
		}
		*bound_port = 0;
		return fd;
	}

	struct sockaddr_in a = loopback_addr(port);
	socklen_t alen = sizeof(a);

	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (tr == TR_UDP)
		set_bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF, udp_rcvbuf);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || (tr == TR_TCP && listen(fd, 128)) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		close(fd);
		return -1;
	}
	*bound_port = ntohs(a.sin_port);
	return fd;
}

/* A connected sending socket; retries while the server is not there yet. */
static int client_socket(enum transport tr, int port, const char *path)
{
	uint64_t deadline = now_ns() + (uint64_t)(CONNECT_TIMEOUT_S * NSEC);
	struct sockaddr_storage ss;
	socklen_t alen;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (tr == TR_UNIX) {
		struct sockaddr_un *a = (struct sockaddr_un *)&ss;

		a->sun_family = AF_UNIX;
		strcpy(a->sun_path, path);
		alen = sizeof(*a);
	} else {
		struct sockaddr_in a = loopback_addr(port);

		memcpy(&ss, &a, sizeof(a));
		alen = sizeof(a);
	}
	for (;;) {
		fd = socket(tr == TR_UNIX ? AF_UNIX : AF_INET,
			    (tr == TR_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (tr == TR_TCP)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (tr == TR_UNIX)
			set_bufsize(fd, SO_SNDBUFFORCE, SO_SNDBUF, UNIX_SNDBUF);
		if (!connect(fd, (struct sockaddr *)&ss, alen))
			return fd;
		close(fd);
		if ((errno != ECONNREFUSED && errno != ENOENT) || now_ns() > deadline)
			return -1;
		usleep(10000);
	}
}

struct tx_counters {
	uint64_t ops, bytes, blocked;
};

/*
 * Send one whole message without ever blocking inside send(), so that the timestamp in it is
 * taken right before the send that puts it into the socket: when the socket is full, wait in
 * poll() and stamp again. Flags get MSG_F_WARMUP when the stamp is before warmup_until.
 */
static int send_msg(int fd, unsigned char *buf, size_t len, struct tx_counters *tx, bool set_origin,
		    uint64_t warmup_until, uint64_t *stamp)
{
	struct msg_hdr *h = (struct msg_hdr *)buf;
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (!off) {
			*stamp = now_ns();
			h->send_ns = *stamp;
			if (set_origin)
				h->origin_ns = *stamp;
			if (*stamp < warmup_until)
				h->flags |= MSG_F_WARMUP;
		}
		n = send(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			tx->ops++;
			tx->bytes += n;
			off += n;
			if (off == len)
				return 0;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			tx->blocked++;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
		} else if (n < 0 && errno != EINTR) {
			return -1;
		}
	}
}

/* END messages are sent blocking: one send each, so the totals they announce are exact. */
static int send_blocking(int fd, const void *buf, size_t len, struct tx_counters *tx)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len)
		return -1;
	tx->ops++;
	tx->bytes += n;
	return 0;
}

static void build_control(unsigned char *buf, size_t size, enum msg_type type, uint64_t seq,
			  const struct end_stats *es)
{
	struct msg_hdr h = {.magic = QB_MAGIC, .type = type, .seq = seq, .send_ns = now_ns()};

	memset(buf, 0, size);
	h.origin_ns = h.send_ns;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), es, sizeof(*es));
}

/* ---- the serving side: server, pipeline stages and sink ---- */

enum node_role { ROLE_SERVER, ROLE_STAGE_A, ROLE_STAGE_B, ROLE_SINK };

static const char *const role_names[] = {"server", "stage", "stage", "sink"};
static const char *const role_comms[] = {"qbench-server", "qbench-stageA", "qbench-stageB",
					 "qbench-sink"};

struct rec {
	uint64_t send_ns, recv_ns, done_ns, origin_ns;
	uint32_t flags;
};

#define CHUNK_RECS 16384

/* Records go in chunks, never reallocated, so storing one costs no copy inside the spin loop. */
struct rec_chunk {
	struct rec_chunk *next;
	size_t n;
	struct rec r[CHUNK_RECS];
};

struct node;

struct worker {
	struct node *node;
	unsigned int id;
	int fd;
	struct rng rng;
	struct rec_chunk *head, *tail;
	uint64_t rx_ops, rx_bytes, rx_eof;
	uint64_t resets;
	bool failed;
	pthread_t tid;
	/* forwarding (pipeline stages) */
	struct tx_counters fwd;
	uint64_t fwd_sent, fwd_sent_window, fwd_prev_ns;
	uint64_t ia_count;
	double ia_sum, ia_sumsq;
	uint64_t cpu_ns; /* the thread's own CPU time over its life (CLOCK_THREAD_CPUTIME_ID) */
};

struct node {
	const struct config *cfg;
	enum node_role role;
	bool stream;
	unsigned int nworkers;
	double service_mean_ns;
	int out_fd; /* next stage, or -1 */
	struct worker *w;
	pthread_mutex_t lock;
	bool have_end;
	struct end_stats up; /* what the upstream sender announced */
};

static int rec_add(struct worker *w, const struct rec *r)
{
	if (!w->tail || w->tail->n == CHUNK_RECS) {
		struct rec_chunk *c = malloc(sizeof(*c));

		if (!c)
			return -1;
		c->next = NULL;
		c->n = 0;
		if (w->tail)
			w->tail->next = c;
		else
			w->head = c;
		w->tail = c;
	}
	w->tail->r[w->tail->n++] = *r;
	return 0;
}

static void worker_fail(struct worker *w, const char *what)
{
	errorf("%s worker %u: %s", role_names[w->node->role], w->id, what);
	w->failed = true;
}

/* A stage passes each message on with a fresh hop timestamp; origin and flags stay. */
static int forward_data(struct worker *w, unsigned char *buf, const struct msg_hdr *h)
{
	struct node *n = w->node;
	uint64_t stamp;

	if (send_msg(n->out_fd, buf, n->cfg->size, &w->fwd, false, 0, &stamp))
		return -1;
	w->fwd_sent++;
	if (!(h->flags & MSG_F_WARMUP)) {
		if (w->fwd_sent_window) {
			double gap = ns_to_s(stamp - w->fwd_prev_ns);

			w->ia_count++;
			w->ia_sum += gap;
			w->ia_sumsq += gap * gap;
		}
		w->fwd_sent_window++;
		w->fwd_prev_ns = stamp;
	}
	return 0;
}

static int forward_end(struct worker *w, unsigned char *buf)
{
	struct node *n = w->node;
	struct end_stats es = {
		.pid = getpid(),
		.tx_ops = w->fwd.ops + 1,
		.tx_bytes = w->fwd.bytes + n->cfg->size,
		.tx_blocked = w->fwd.blocked,
		.sent = w->fwd_sent,
		.sent_window = w->fwd_sent_window,
		.window_start_ns = n->up.window_start_ns,
		.window_end_ns = n->up.window_end_ns,
		.ia_count = w->ia_count,
		.ia_sum_s = w->ia_sum,
		.ia_sumsq_s2 = w->ia_sumsq,
	};

	build_control(buf, n->cfg->size, MSG_END, w->fwd_sent, &es);
	return send_blocking(n->out_fd, buf, n->cfg->size, &w->fwd);
}

static double draw_service_ns(struct worker *w)
{
	struct node *n = w->node;

	if (n->service_mean_ns <= 0)
		return 0;
	if (n->cfg->service == SV_FIXED)
		return n->service_mean_ns;
	return rng_exp(&w->rng, n->service_mean_ns);
}

/*
 * One worker: one successful recv() is one whole message (TCP: MSG_WAITALL of exactly --size
 * bytes), then the service time is spun, then the next recv(). Nothing else happens in the loop
 * except, in a pipeline stage, the send to the next stage.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct node *n = w->node;
	size_t size = n->cfg->size;
	unsigned char *buf = malloc(size);
	struct msg_hdr h;
	ssize_t got;

	if (!buf) {
		worker_fail(w, "out of memory");
		return NULL;
	}
	for (;;) {
		got = recv(w->fd, buf, size, n->stream ? MSG_WAITALL : 0);
		uint64_t t_recv = now_ns();

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			worker_fail(w, strerror(errno));
			break;
		}
		if (got == 0) {
			w->rx_eof++;
			worker_fail(w, "connection closed before the end message");
			break;
		}
		w->rx_ops++;
		w->rx_bytes += got;
		memcpy(&h, buf, sizeof(h));
		if ((size_t)got != size || h.magic != QB_MAGIC) {
			worker_fail(w, "malformed message (do both sides use the same --size?)");
			break;
		}
		if (h.type == MSG_DATA) {
			struct rec r = {.send_ns = h.send_ns,
					.recv_ns = t_recv,
					.origin_ns = h.origin_ns,
					.flags = h.flags};
			double s = draw_service_ns(w);

			r.done_ns = s > 0 ? spin_until(t_recv + (uint64_t)s) : t_recv;
			if (rec_add(w, &r)) {
				worker_fail(w, "out of memory");
				break;
			}
			if (n->out_fd >= 0 && forward_data(w, buf, &h)) {
				worker_fail(w, "forwarding failed");
				break;
			}
			continue;
		}
		if (h.type == MSG_END || h.type == MSG_RESET) {
			pthread_mutex_lock(&n->lock);
			if (!n->have_end)
				memcpy(&n->up, buf + sizeof(h), sizeof(n->up));
			n->have_end = true;
			pthread_mutex_unlock(&n->lock);
			if (h.type == MSG_RESET) {
				int unread = 0;

				/* Closing with unread data makes the kernel send RST. */
				if (!ioctl(w->fd, FIONREAD, &unread) && unread > 0)
					w->resets++;
				close(w->fd);
				w->fd = -1;
			}
			if (n->out_fd >= 0 && forward_end(w, buf))
				worker_fail(w, "forwarding the end message failed");
			break;
		}
		worker_fail(w, "unknown message type");
		break;
	}
	{
		struct timespec ts;

		if (!clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
			w->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	if (n->stream && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	free(buf);
	return NULL;
}

struct truth_acc {
	double ws, we; /* window, ns */
	uint64_t run_n, thr_n, m_n;
	double run_busy, run_wait, run_resp, busy_win, area_win;
	double m_service, m_service2, m_wait, m_resp;
	uint64_t first_send, last_done;
	double *wait, *resp, *e2e;
};

static double overlap(uint64_t a, uint64_t b, double ws, double we)
{
	double lo = fmax((double)a, ws), hi = fmin((double)b, we);

	return hi > lo ? hi - lo : 0;
}

static void truth_add(struct truth_acc *t, const struct rec *r)
{
	double service = (double)(r->done_ns - r->recv_ns);
	double wait = (double)((int64_t)(r->recv_ns - r->send_ns));
	double resp = (double)((int64_t)(r->done_ns - r->send_ns));

	t->run_n++;
	t->run_busy += service;
	t->run_wait += wait;
	t->run_resp += resp;
	if (!t->first_send || r->send_ns < t->first_send)
		t->first_send = r->send_ns;
	if (r->done_ns > t->last_done)
		t->last_done = r->done_ns;
	if (r->recv_ns >= t->ws && r->recv_ns < t->we)
		t->thr_n++;
	t->busy_win += overlap(r->recv_ns, r->done_ns, t->ws, t->we);
	t->area_win += overlap(r->send_ns, r->done_ns, t->ws, t->we);
	if (r->flags & MSG_F_WARMUP)
		return;
	t->wait[t->m_n] = wait / 1e9;
	t->resp[t->m_n] = resp / 1e9;
	t->e2e[t->m_n] = (double)((int64_t)(r->recv_ns - r->origin_ns)) / 1e9;
	t->m_n++;
	t->m_service += service;
	t->m_service2 += service * service;
	t->m_wait += wait;
	t->m_resp += resp;
}

static const char *queue_discipline(const struct config *cfg)
{
	return cfg->transport == TR_TCP ? "per-connection" : "shared";
}

/*
 * Every message's times, one line each ("send recv done warmup", ns on
 * CLOCK_REALTIME, the clock of a tracer's interval times), so that a check
 * can take the truth over exactly the window it judges. CLOCK_MONOTONIC's
 * offset to it is read once, here, at the end.
 */
static int write_records(const struct node *n, const char *path)
{
	struct timespec rt, mt;
	struct rec_chunk *ch;
	unsigned int i;
	int64_t off;
	size_t k;
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	off = ((int64_t)rt.tv_sec - mt.tv_sec) * (int64_t)NSEC + (rt.tv_nsec - mt.tv_nsec);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (i = 0; i < n->nworkers; i++)
		for (ch = n->w[i].head; ch; ch = ch->next)
			for (k = 0; k < ch->n; k++) {
				const struct rec *r = &ch->r[k];

				fprintf(f, "%lld %lld %lld %u\n", (long long)(r->send_ns + off),
					(long long)(r->recv_ns + off),
					(long long)(r->done_ns + off),
					r->flags & MSG_F_WARMUP ? 1u : 0u);
			}
	return fclose(f) ? -1 : 0;
}

/* The truth line of a serving process. */
static char *node_truth_json(struct node *n)
{
	const struct config *cfg = n->cfg;
	struct truth_acc t = {.ws = (double)n->up.window_start_ns,
			      .we = (double)n->up.window_end_ns};
	uint64_t rx_ops = 0, rx_bytes = 0, rx_eof = 0, resets = 0, total = 0, cpu_ns = 0;
	struct tx_counters fwd = {0};
	double span, c = n->nworkers, lambda, svc, run_span;
	struct rec_chunk *ch;
	unsigned int i;
	size_t k, len;
	char *out = NULL;
	FILE *f;

	for (i = 0; i < n->nworkers; i++)
		for (ch = n->w[i].head; ch; ch = ch->next)
			total += ch->n;
	t.wait = calloc(total + 1, sizeof(double));
	t.resp = calloc(total + 1, sizeof(double));
	t.e2e = calloc(total + 1, sizeof(double));
	f = open_memstream(&out, &len);
	if (!t.wait || !t.resp || !t.e2e || !f)
		goto fail;

	for (i = 0; i < n->nworkers; i++) {
		struct worker *w = &n->w[i];

		rx_ops += w->rx_ops;
		cpu_ns += w->cpu_ns;
		rx_bytes += w->rx_bytes;
		rx_eof += w->rx_eof;
		resets += w->resets;
		fwd.ops += w->fwd.ops;
		fwd.bytes += w->fwd.bytes;
		fwd.blocked += w->fwd.blocked;
		for (ch = w->head; ch; ch = ch->next)
			for (k = 0; k < ch->n; k++)
				truth_add(&t, &ch->r[k]);
	}
	qsort(t.wait, t.m_n, sizeof(double), cmp_double);
	qsort(t.resp, t.m_n, sizeof(double), cmp_double);
	qsort(t.e2e, t.m_n, sizeof(double), cmp_double);

	span = (t.we - t.ws) / 1e9;
	lambda = n->up.sent_window / span;
	svc = t.m_n ? t.m_service / t.m_n / 1e9 : NAN;
	run_span = t.run_n ? ns_to_s(t.last_done - t.first_send) : NAN;

	fprintf(f, "{\"role\":\"%s\"", role_names[n->role]);
	if (n->role == ROLE_STAGE_A || n->role == ROLE_STAGE_B)
		fprintf(f, ",\"stage\":\"%c\",\"bottleneck\":%s",
			n->role == ROLE_STAGE_A ? 'A' : 'B',
			(n->role == ROLE_STAGE_A) ==
					(cfg->stage_service_us[0] >= cfg->stage_service_us[1])
				? "true"
				: "false");
	fprintf(f,
		",\"pid\":%d,\"upstream_pid\":%llu,\"transport\":\"%s\",\"queue_discipline\":\"%"
		"s\"",
		(int)getpid(), (unsigned long long)n->up.pid, transport_names[cfg->transport],
		queue_discipline(cfg));
	if (cfg->mode != MODE_SERVER)
		fprintf(f, ",\"arrival\":\"%s\"", arrival_names[cfg->arrival]);
	fprintf(f, ",\"service\":\"%s\"", service_names[cfg->service]);
	json_num(f, "service_us", n->service_mean_ns / 1e3);
	json_u64(f, "workers", n->nworkers);
	json_u64(f, "size", cfg->size);

	/* measured window */
	json_num(f, "span_s", span);
	json_u64(f, "messages", t.m_n);
	json_u64(f, "bytes", t.m_n * cfg->size);
	json_num(f, "arrival_rate", lambda);
	json_num(f, "arrival_cv2", cv2_of(n->up.ia_count, n->up.ia_sum_s, n->up.ia_sumsq_s2));
	json_num(f, "throughput", t.thr_n / span);
	json_num(f, "service_time_s", svc);
	json_num(f, "service_cv2", cv2_of(t.m_n, t.m_service, t.m_service2));
	json_num(f, "utilization", t.busy_win / 1e9 / (c * span));
	json_num(f, "rho", lambda * svc / c);
	json_num(f, "wait_s", t.m_n ? t.m_wait / t.m_n / 1e9 : NAN);
	json_num(f, "wait_p50_s", quantile(t.wait, t.m_n, 0.50));
	json_num(f, "wait_p99_s", quantile(t.wait, t.m_n, 0.99));
	json_num(f, "wait_max_s", t.m_n ? t.wait[t.m_n - 1] : NAN);
	json_num(f, "response_s", t.m_n ? t.m_resp / t.m_n / 1e9 : NAN);
	json_num(f, "response_p50_s", quantile(t.resp, t.m_n, 0.50));
	json_num(f, "response_p99_s", quantile(t.resp, t.m_n, 0.99));
	json_num(f, "queue_length", t.area_win / 1e9 / span);
	if (n->role == ROLE_SINK) {
		double sum = 0;

		for (k = 0; k < t.m_n; k++)
			sum += t.e2e[k];
		json_num(f, "e2e_response_s", t.m_n ? sum / t.m_n : NAN);
		json_num(f, "e2e_response_p99_s", quantile(t.e2e, t.m_n, 0.99));
	}

	/* whole run, exact counts */
	json_u64(f, "sent", n->up.sent);
	json_u64(f, "sent_window", n->up.sent_window);
	json_u64(f, "received", t.run_n);
	json_u64(f, "lost", n->up.sent - t.run_n);
	json_u64(f, "rx_ops", rx_ops);
	json_u64(f, "rx_bytes", rx_bytes);
	json_u64(f, "rx_eof", rx_eof);
	json_u64(f, "tx_ops", n->up.tx_ops);
	json_u64(f, "tx_bytes", n->up.tx_bytes);
	json_u64(f, "tx_blocked", n->up.tx_blocked);
	json_num(f, "upstream_late_max_s", ns_to_s(n->up.late_max_ns));
	json_u64(f, "resets", resets);
	if (n->out_fd >= 0) {
		json_u64(f, "forward_tx_ops", fwd.ops);
		json_u64(f, "forward_tx_bytes", fwd.bytes);
		json_u64(f, "forward_tx_blocked", fwd.blocked);
	}

	/* whole run, from the first send to the last completion */
	json_num(f, "run_span_s", run_span);
	json_u64(f, "run_messages", t.run_n);
	json_num(f, "run_throughput", t.run_n / run_span);
	json_num(f, "run_utilization", t.run_busy / 1e9 / (c * run_span));
	json_num(f, "run_service_time_s", t.run_n ? t.run_busy / t.run_n / 1e9 : NAN);
	/* the workers' own CPU per message over the run: the spun service plus
	 * the CPU of the receives and sends around it (what a tracer that counts
	 * CPU in reads as busy sees; large under emulation) */
	json_num(f, "run_cpu_per_msg_s", t.run_n ? cpu_ns / 1e9 / t.run_n : NAN);
	json_num(f, "run_wait_s", t.run_n ? t.run_wait / t.run_n / 1e9 : NAN);
	json_num(f, "run_response_s", t.run_n ? t.run_resp / t.run_n / 1e9 : NAN);
	fprintf(f, "}\n");
	if (fclose(f)) {
		f = NULL;
		goto fail;
	}
	free(t.wait);
	free(t.resp);
	free(t.e2e);
	return out;
fail:
	if (f)
		fclose(f);
	free(out);
	free(t.wait);
	free(t.resp);
	free(t.e2e);
	return NULL;
}

/*
 * Run one serving process. lfd is the listener (TCP: accept one connection per worker) or the
 * shared datagram socket. ready_fd, when >= 0, gets one byte once every worker is running.
 */
static int node_main(const struct config *cfg, enum node_role role, int lfd, int out_fd,
		     int ready_fd, int json_fd)
{
	struct node n = {
		.cfg = cfg,
		.role = role,
		.stream = cfg->transport == TR_TCP,
		.nworkers = role == ROLE_SERVER ? cfg->workers : 1,
		.out_fd = out_fd,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct worker workers[MAX_WORKERS];
	unsigned int i, started = 0;
	int ret = 1;
	char *json;

	set_comm(role_comms[role]);
	switch (role) {
	case ROLE_SERVER:
		n.service_mean_ns = cfg->service_us * 1e3;
		break;
	case ROLE_STAGE_A:
	case ROLE_STAGE_B:
		n.service_mean_ns = cfg->stage_service_us[role - ROLE_STAGE_A] * 1e3;
		break;
	case ROLE_SINK:
		n.service_mean_ns = 0;
		break;
	}
	n.w = workers;
	memset(workers, 0, sizeof(workers));
	for (i = 0; i < n.nworkers; i++)
		workers[i].fd = n.stream ? -1 : lfd;
	for (i = 0; i < n.nworkers; i++) {
		struct worker *w = &workers[i];

		w->node = &n;
		w->id = i;
		rng_seed(&w->rng, cfg->seed, 1000 + 100 * role + i);
		if (n.stream) {
			do
				w->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			while (w->fd < 0 && errno == EINTR);
			if (w->fd < 0) {
				errorf("accept: %s", strerror(errno));
				goto out;
			}
		}
	}
	if (n.stream) {
		/* Every connection is in: refuse any more. */
		close(lfd);
		lfd = -1;
	}
	for (started = 0; started < n.nworkers; started++) {
		errno = pthread_create(&workers[started].tid, NULL, worker_main, &workers[started]);
		if (errno) {
			errorf("pthread_create: %s", strerror(errno));
			goto out;
		}
	}
	if (ready_fd >= 0) {
		if (write_all(ready_fd, "r", 1))
			errorf("cannot signal readiness");
		close(ready_fd);
		ready_fd = -1;
	}
	ret = 0;
out:
	for (i = 0; i < started; i++) {
		pthread_join(workers[i].tid, NULL);
		if (workers[i].failed)
			ret = 1;
	}
	if (lfd >= 0)
		close(lfd);
	if (out_fd >= 0)
		close(out_fd);
	if (cfg->transport == TR_UNIX && role == ROLE_SERVER)
		unlink(cfg->path);
	if (!ret && !n.have_end) {
		errorf("no end message received");
		ret = 1;
	}
	if (!ret) {
		json = node_truth_json(&n);
		if (!json || write_all(json_fd, json, strlen(json))) {
			errorf("cannot write the truth line");
			ret = 1;
		}
		free(json);
	}
	if (!ret && cfg->records && role == ROLE_SERVER && write_records(&n, cfg->records)) {
		errorf("cannot write %s: %s", cfg->records, strerror(errno));
		ret = 1;
	}
	for (i = 0; i < n.nworkers; i++) {
		struct rec_chunk *c = workers[i].head, *next;

		for (; c; c = next) {
			next = c->next;
			free(c);
		}
		if (n.stream && workers[i].fd >= 0)
			close(workers[i].fd);
	}
	return ret;
}

/* ---- the producing side ---- */

struct arrival_gen {
	enum arrival kind;
	double rate, rate_end, duration, on_s, off_s;
	double t, tau; /* seconds since start; bursty: on-time consumed */
	uint64_t k;
	struct rng rng;
};

/* Offset in seconds from the start of the next arrival; INFINITY when there is none. */
static double arrival_next(struct arrival_gen *g)
{
	double rate_on, a, target, disc;

	switch (g->kind) {
	case AR_POISSON:
		g->t += rng_exp(&g->rng, 1 / g->rate);
		return g->t;
	case AR_REGULAR:
		return g->k++ / g->rate;
	case AR_BURSTY:
		/* Poisson in on-time, mapped onto the wall clock of on/off cycles. */
		rate_on = g->rate * (g->on_s + g->off_s) / g->on_s;
		g->tau += rng_exp(&g->rng, 1 / rate_on);
		return floor(g->tau / g->on_s) * (g->on_s + g->off_s) + fmod(g->tau, g->on_s);
	case AR_RAMP:
		/*
		 * Non-homogeneous Poisson with rate(t) = r0 + (r1 - r0) t / D: invert the
		 * cumulative rate r0 t + a t^2 at the previous one plus an Exp(1) step.
		 */
		a = (g->rate_end - g->rate) / (2 * g->duration);
		target = g->rate * g->t + a * g->t * g->t + rng_exp(&g->rng, 1);
		disc = g->rate * g->rate + 4 * a * target;
		if (disc < 0)
			return INFINITY;
		g->t = 2 * target / (g->rate + sqrt(disc));
		return g->t;
	}
	return INFINITY;
}

struct producer {
	const struct config *cfg;
	bool is_source;
	int fds[MAX_WORKERS];
	unsigned int nfds;
	struct tx_counters tx;
	uint64_t sent, sent_window, prev_ns, late_max, late_sum;
	uint64_t t0, ws, we, last_send;
	uint64_t ia_count;
	double ia_sum, ia_sumsq;
	unsigned int resets_seen;
};

static char *producer_json(const struct producer *p)
{
	const struct config *cfg = p->cfg;
	double span = ns_to_s(p->we - p->ws);
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fprintf(f, "{\"role\":\"%s\",\"pid\":%d,\"transport\":\"%s\",\"arrival\":\"%s\"",
		p->is_source ? "source" : "producer", (int)getpid(),
		transport_names[cfg->transport], arrival_names[cfg->arrival]);
	json_u64(f, "connections", p->nfds);
	json_num(f, "rate", cfg->rate);
	json_num(f, "span_s", span);
	json_u64(f, "sent", p->sent);
	json_u64(f, "sent_window", p->sent_window);
	json_num(f, "arrival_rate", p->sent_window / span);
	json_num(f, "arrival_cv2", cv2_of(p->ia_count, p->ia_sum, p->ia_sumsq));
	json_num(f, "late_mean_s", p->sent ? ns_to_s(p->late_sum) / p->sent : NAN);
	json_num(f, "late_max_s", ns_to_s(p->late_max));
	json_u64(f, "tx_ops", p->tx.ops);
	json_u64(f, "tx_bytes", p->tx.bytes);
	json_u64(f, "tx_blocked", p->tx.blocked);
	json_u64(f, "resets_seen", p->resets_seen);
	fprintf(f, "}\n");
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/* After a RESET, each connection must report ECONNRESET to the next receive. */
static void producer_collect_resets(struct producer *p)
{
	unsigned int i;
	char byte;

	for (i = 0; i < p->nfds; i++) {
		struct pollfd pfd = {.fd = p->fds[i], .events = POLLIN};

		if (poll(&pfd, 1, RESET_WAIT_MS) == 1 && recv(p->fds[i], &byte, 1, 0) < 0 &&
		    errno == ECONNRESET)
			p->resets_seen++;
	}
}

/* Bytes queued on the UDP socket bound to 127.0.0.1:port, or -1 when it cannot be told. */
static long udp_rx_queue(int port)
{
	FILE *f = fopen("/proc/net/udp", "re");
	unsigned int lport, txq, rxq;
	char line[512];
	long q = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %*x %x:%x", &lport, &txq, &rxq) == 3 &&
		    (int)lport == port) {
			q = rxq;
			break;
		}
	}
	fclose(f);
	return q;
}

/*
 * A UDP datagram is dropped when the receiver's buffer is full, and a lost END would leave a
 * worker waiting forever. So each END waits until the server's socket is empty (it is the
 * only sender to that socket), where a datagram always fits.
 */
static void udp_wait_empty(int fd)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);

	if (getpeername(fd, (struct sockaddr *)&peer, &len))
		return;
	while (udp_rx_queue(ntohs(peer.sin_port)) > 0)
		usleep(2000);
}

static int producer_finish(struct producer *p, unsigned char *buf)
{
	const struct config *cfg = p->cfg;
	bool stream = cfg->transport == TR_TCP;
	unsigned int i, nend = stream ? p->nfds : cfg->workers;
	size_t end_len = p->cfg->reset ? 2 * (size_t)cfg->size : cfg->size;
	struct end_stats es = {
		.pid = getpid(),
		.tx_ops = p->tx.ops + nend,
		.tx_bytes = p->tx.bytes + (uint64_t)nend * end_len,
		.tx_blocked = p->tx.blocked,
		.sent = p->sent,
		.sent_window = p->sent_window,
		.window_start_ns = p->ws,
		.window_end_ns = p->we,
		.ia_count = p->ia_count,
		.ia_sum_s = p->ia_sum,
		.ia_sumsq_s2 = p->ia_sumsq,
		.late_max_ns = p->late_max,
	};
	unsigned char *endbuf = buf;

	if (cfg->reset) {
		/*
		 * RESET and a trailing message in a single send(): both are in the server's
		 * receive queue when its recv() returns the first, so its close() finds data
		 * unread and the kernel answers with RST. Deterministic, once per connection.
		 */
		endbuf = calloc(2, cfg->size);
		if (!endbuf)
			return -1;
		build_control(endbuf, cfg->size, MSG_RESET, p->sent, &es);
		build_control(endbuf + cfg->size, cfg->size, MSG_DATA, p->sent + 1, &es);
	} else {
		build_control(endbuf, cfg->size, MSG_END, p->sent, &es);
	}
	for (i = 0; i < nend; i++) {
		if (cfg->transport == TR_UDP)
			udp_wait_empty(p->fds[0]);
		if (send_blocking(p->fds[stream ? i : 0], endbuf, end_len, &p->tx)) {
			errorf("sending the end message: %s", strerror(errno));
			if (endbuf != buf)
				free(endbuf);
			return -1;
		}
	}
	if (endbuf != buf)
		free(endbuf);
	if (cfg->reset) {
		producer_collect_resets(p);
		if (p->resets_seen != p->nfds) {
			errorf("--reset: %u of %u connections were reset", p->resets_seen, p->nfds);
			return -1;
		}
	}
	return 0;
}

/*
 * Send on schedule until --duration: the schedule is absolute, so a producer that fell behind
 * (the socket was full) catches up by sending late messages at once, and the truth keeps the
 * actual send times.
 */
static int producer_main(const struct config *cfg, bool is_source, int *fds, unsigned int nfds,
			 int go_fd, int json_fd)
{
	struct producer p = {.cfg = cfg, .is_source = is_source, .nfds = nfds};
	struct arrival_gen gen = {
		.kind = cfg->arrival,
		.rate = cfg->rate,
		.rate_end = cfg->rate_end,
		.duration = cfg->duration,
		.on_s = cfg->burst_on_ms / 1e3,
		.off_s = cfg->burst_off_ms / 1e3,
	};
	uint64_t spin_ns = (uint64_t)(cfg->spin_us * 1e3), end, target, stamp;
	struct rng dispatch_rng;
	unsigned char *buf;
	unsigned int i, next_fd = 0;
	int ret = 1;
	double off;
	char *json;

	set_comm(is_source ? "qbench-source" : "qbench-producer");
	/* The default 50 us timer slack would make every wake-up late. */
	prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
	memcpy(p.fds, fds, nfds * sizeof(int));
	rng_seed(&gen.rng, cfg->seed, 1);
	rng_seed(&dispatch_rng, cfg->seed, 2);
	buf = calloc(1, cfg->size);
	if (!buf)
		goto out;

	if (go_fd >= 0) {
		char c;
		ssize_t n;

		do
			n = read(go_fd, &c, 1);
		while (n < 0 && errno == EINTR);
		close(go_fd);
		if (n != 1)
			goto out; /* the parent gave up */
	} else {
		usleep(STANDALONE_SETTLE_NS / 1000);
	}

	p.t0 = now_ns();
	p.ws = p.t0 + (uint64_t)(cfg->warmup * 1e9);
	end = p.t0 + (uint64_t)(cfg->duration * 1e9);
	while ((off = arrival_next(&gen)) < cfg->duration) {
		struct msg_hdr h = {.magic = QB_MAGIC, .type = MSG_DATA, .seq = p.sent};
		int fd;

		target = p.t0 + (uint64_t)(off * 1e9);
		sleep_until(target, spin_ns);
		if (cfg->transport == TR_TCP && nfds > 1)
			fd = fds[cfg->dispatch == DP_RR ? next_fd++ % nfds
							: rng_next(&dispatch_rng) % nfds];
		else
			fd = fds[0];
		memcpy(buf, &h, sizeof(h));
		if (send_msg(fd, buf, cfg->size, &p.tx, true, p.ws, &stamp)) {
			errorf("send: %s", strerror(errno));
			goto out;
		}
		p.sent++;
		p.last_send = stamp;
		p.late_sum += stamp - target;
		if (stamp - target > p.late_max)
			p.late_max = stamp - target;
		if (stamp >= p.ws) {
			if (p.sent_window) {
				double gap = ns_to_s(stamp - p.prev_ns);

				p.ia_count++;
				p.ia_sum += gap;
				p.ia_sumsq += gap * gap;
			}
			p.sent_window++;
			p.prev_ns = stamp;
		}
	}
	/* Wait out the schedule (a sparse one may end early) so the window is what was asked. */
	sleep_until(end, spin_ns);
	p.we = p.last_send >= end ? p.last_send + 1 : end;

	if (producer_finish(&p, buf))
		goto out;
	ret = 0;
	if (json_fd >= 0) {
		json = producer_json(&p);
		if (!json || write_all(json_fd, json, strlen(json))) {
			errorf("cannot write the producer line");
			ret = 1;
		}
		free(json);
	}
out:
	free(buf);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

/* ---- modes ---- */

static int connect_producer(const struct config *cfg, int port, int *fds, unsigned int *nfds)
{
	unsigned int i, n = cfg->transport == TR_TCP ? cfg->workers : 1;

	for (i = 0; i < n; i++) {
		fds[i] = client_socket(cfg->transport, port, cfg->path);
		if (fds[i] < 0) {
			errorf("cannot connect to the server: %s", strerror(errno));
			while (i--)
				close(fds[i]);
			return -1;
		}
	}
	*nfds = n;
	return 0;
}

static int mode_server(const struct config *cfg)
{
	char pid[32];
	int lfd, port;

	lfd = server_socket(cfg->transport, cfg->port, cfg->path, &port);
	if (lfd < 0) {
		errorf("cannot listen: %s", strerror(errno));
		return 1;
	}
	if (cfg->transport == TR_UNIX)
		fprintf(stderr, "%s: server pid %d on unix %s\n", prog, (int)getpid(), cfg->path);
	else
		fprintf(stderr, "%s: server pid %d on %s 127.0.0.1:%d\n", prog, (int)getpid(),
			transport_names[cfg->transport], port);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (cfg->pidfile && write_pidfile(cfg->pidfile, pid)) {
		errorf("cannot write %s: %s", cfg->pidfile, strerror(errno));
		close(lfd);
		return 1;
	}
	return node_main(cfg, ROLE_SERVER, lfd, -1, -1, STDOUT_FILENO);
}

static int mode_producer(const struct config *cfg)
{
	int fds[MAX_WORKERS];
	unsigned int nfds;
	char pid[32];

	if (connect_producer(cfg, cfg->port, fds, &nfds))
		return 1;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (cfg->pidfile && write_pidfile(cfg->pidfile, pid)) {
		errorf("cannot write %s: %s", cfg->pidfile, strerror(errno));
		return 1;
	}
	return producer_main(cfg, false, fds, nfds, -1, STDOUT_FILENO);
}

/* Children of run/pipeline: the parent's descriptors they do not use must go, or pipes
 * would never see EOF. */
struct fdset {
	int fd[32];
	int n;
};

static int fdset_add(struct fdset *s, int fd)
{
	if (s->n < (int)(sizeof(s->fd) / sizeof(s->fd[0])))
		s->fd[s->n++] = fd;
	return fd;
}

static void fdset_close_except(struct fdset *s, int keep1, int keep2, int keep3, int keep4)
{
	int i;

	for (i = 0; i < s->n; i++) {
		int fd = s->fd[i];

		if (fd >= 0 && fd != keep1 && fd != keep2 && fd != keep3 && fd != keep4)
			close(fd);
	}
}

struct child {
	pid_t pid;
	int out_rd; /* its JSON line comes through this pipe */
	const char *name;
};

/* Wait for the children; the first failure kills the rest so nothing hangs. */
static int wait_children(struct child *ch, int n)
{
	int left = n, status, i, ret = 0;
	pid_t pid;

	while (left > 0) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			if (ch[i].pid != pid)
				continue;
			ch[i].pid = 0;
			left--;
			if (WIFEXITED(status) && !WEXITSTATUS(status))
				break;
			errorf("%s failed (%s %d)", ch[i].name,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			ret = 1;
			for (i = 0; i < n; i++)
				if (ch[i].pid > 0)
					kill(ch[i].pid, SIGTERM);
			break;
		}
	}
	return ret;
}

static void kill_children(struct child *ch, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ch[i].pid > 0)
			kill(ch[i].pid, SIGTERM);
}

/* Read exactly n readiness bytes, giving up if a child dies first. */
static int wait_ready(int fd, int n, struct child *ch, int nch)
{
	char buf[8];
	int got = 0, i;

	while (got < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 100);
		ssize_t k;

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0) {
			k = read(fd, buf,
				 (size_t)(n - got) < sizeof(buf) ? (size_t)(n - got) : sizeof(buf));
			if (k <= 0)
				return -1;
			got += k;
			continue;
		}
		for (i = 0; i < nch; i++) {
			int status;

			if (ch[i].pid > 0 && waitpid(ch[i].pid, &status, WNOHANG) == ch[i].pid) {
				errorf("%s exited before it was ready", ch[i].name);
				ch[i].pid = 0;
				return -1;
			}
		}
	}
	return 0;
}

static int wait_start_signal(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	fprintf(stderr, "%s: waiting for SIGUSR1 (kill -USR1 %d) to start\n", prog, (int)getpid());
	while (sigwaitinfo(&set, NULL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int print_child_lines(struct child *ch, int n)
{
	char buf[8192];
	ssize_t k;
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		while ((k = read(ch[i].out_rd, buf, sizeof(buf))) > 0)
			if (write_all(STDOUT_FILENO, buf, k))
				ret = 1;
		close(ch[i].out_rd);
	}
	return ret;
}

static void block_sigusr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static int mode_run(const struct config *cfg)
{
	struct fdset fds = {0};
	int lfd, port, ready[2], go[2], out[2], pfds[MAX_WORKERS], ret = 1;
	struct child ch[2] = {{.name = "server"}, {.name = "producer"}};
	unsigned int nfds;
	char line[64];

	if (cfg->start_signal)
		block_sigusr1();
	lfd = server_socket(cfg->transport, cfg->port, cfg->path, &port);
	if (lfd < 0) {
		errorf("cannot create the server socket: %s", strerror(errno));
		return 1;
	}
	fdset_add(&fds, lfd);
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		errorf("pipe: %s", strerror(errno));
		return 1;
	}
	fdset_add(&fds, ready[0]);
	fdset_add(&fds, ready[1]);
	fdset_add(&fds, go[0]);
	fdset_add(&fds, go[1]);
	fdset_add(&fds, out[0]);
	fdset_add(&fds, out[1]);
	fflush(NULL);

	ch[0].pid = fork();
	if (ch[0].pid == 0) {
		fdset_close_except(&fds, lfd, ready[1], out[1], -1);
		_exit(node_main(cfg, ROLE_SERVER, lfd, -1, ready[1], out[1]));
	}
	ch[1].pid = ch[0].pid > 0 ? fork() : -1;
	if (ch[1].pid == 0) {
		fdset_close_except(&fds, go[0], -1, -1, -1);
		if (connect_producer(cfg, port, pfds, &nfds))
			_exit(1);
		_exit(producer_main(cfg, false, pfds, nfds, go[0], -1));
	}
	close(lfd);
	close(ready[1]);
	close(go[0]);
	close(out[1]);
	ch[0].out_rd = out[0];
	if (ch[0].pid < 0 || ch[1].pid < 0) {
		errorf("fork: %s", strerror(errno));
		if (ch[0].pid > 0)
			kill(ch[0].pid, SIGTERM);
		goto out;
	}
	fprintf(stderr, "%s: server pid %d, producer pid %d\n", prog, (int)ch[0].pid,
		(int)ch[1].pid);
	snprintf(line, sizeof(line), "%d\n", (int)ch[0].pid);
	if (cfg->pidfile && write_pidfile(cfg->pidfile, line)) {
		errorf("cannot write %s: %s", cfg->pidfile, strerror(errno));
		kill_children(ch, 2);
		goto out;
	}
	if (wait_ready(ready[0], 1, ch, 2) || (cfg->start_signal && wait_start_signal()) ||
	    write_all(go[1], "g", 1)) {
		kill_children(ch, 2);
		wait_children(ch, 2);
		goto out;
	}
	close(go[1]);
	go[1] = -1;
	ret = wait_children(ch, 2);
	if (!ret)
		ret = print_child_lines(ch, 1);
out:
	close(ready[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (cfg->transport == TR_UNIX)
		unlink(cfg->path);
	return ret;
}

/*
 * source -> A -> B -> sink, one process each. The parent opens every listener first, so each
 * stage can connect downstream at once; stages report ready after their upstream connected,
 * and the source starts on the parent's word.
 */
static int mode_pipeline(const struct config *cfg)
{
	static const char *const names[] = {"source", "stage A", "stage B", "sink"};
	struct fdset fds = {0};
	struct child ch[4];
	int lfd[3], port[3], ready[2], go[2], out[4][2], i, ret = 1, fd;
	char line[128];

	if (cfg->start_signal)
		block_sigusr1();
	memset(ch, 0, sizeof(ch));
	for (i = 0; i < 3; i++) {
		lfd[i] = server_socket(TR_TCP, cfg->port ? cfg->port + i : 0, NULL, &port[i]);
		if (lfd[i] < 0) {
			errorf("cannot listen: %s", strerror(errno));
			return 1;
		}
		fdset_add(&fds, lfd[i]);
	}
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) {
		errorf("pipe: %s", strerror(errno));
		return 1;
	}
	fdset_add(&fds, ready[0]);
	fdset_add(&fds, ready[1]);
	fdset_add(&fds, go[0]);
	fdset_add(&fds, go[1]);
	for (i = 0; i < 4; i++) {
		if (pipe2(out[i], O_CLOEXEC)) {
			errorf("pipe: %s", strerror(errno));
			return 1;
		}
		fdset_add(&fds, out[i][0]);
		fdset_add(&fds, out[i][1]);
		ch[i].name = names[i];
		ch[i].out_rd = out[i][0];
	}
	fflush(NULL);

	/* sink, B, A, source: i is the index in ch (0 source .. 3 sink) */
	for (i = 3; i >= 0; i--) {
		ch[i].pid = fork();
		if (ch[i].pid < 0) {
			errorf("fork: %s", strerror(errno));
			kill_children(ch, 4);
			wait_children(ch, 4);
			return 1;
		}
		if (ch[i].pid)
			continue;
		if (i == 0) {
			fdset_close_except(&fds, go[0], out[0][1], -1, -1);
			fd = client_socket(TR_TCP, port[0], NULL);
			if (fd < 0) {
				errorf("source: connect: %s", strerror(errno));
				_exit(1);
			}
			_exit(producer_main(cfg, true, &fd, 1, go[0], out[0][1]));
		}
		fdset_close_except(&fds, lfd[i - 1], ready[1], out[i][1], -1);
		fd = -1;
		if (i < 3) {
			fd = client_socket(TR_TCP, port[i], NULL);
			if (fd < 0) {
				errorf("%s: connect: %s", names[i], strerror(errno));
				_exit(1);
			}
		}
		_exit(node_main(cfg,
				i == 1	 ? ROLE_STAGE_A
				: i == 2 ? ROLE_STAGE_B
					 : ROLE_SINK,
				lfd[i - 1], fd, ready[1], out[i][1]));
	}
	for (i = 0; i < 3; i++)
		close(lfd[i]);
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < 4; i++)
		close(out[i][1]);

	fprintf(stderr, "%s: pipeline pids source %d, A %d, B %d, sink %d\n", prog, (int)ch[0].pid,
		(int)ch[1].pid, (int)ch[2].pid, (int)ch[3].pid);
	snprintf(line, sizeof(line), "%d %d %d %d\n", (int)ch[0].pid, (int)ch[1].pid,
		 (int)ch[2].pid, (int)ch[3].pid);
	if (cfg->pidfile && write_pidfile(cfg->pidfile, line)) {
		errorf("cannot write %s: %s", cfg->pidfile, strerror(errno));
		kill_children(ch, 4);
		wait_children(ch, 4);
		goto out;
	}
	if (wait_ready(ready[0], 3, ch, 4) || (cfg->start_signal && wait_start_signal()) ||
	    write_all(go[1], "g", 1)) {
		kill_children(ch, 4);
		wait_children(ch, 4);
		goto out;
	}
	ret = wait_children(ch, 4);
	if (!ret)
		ret = print_child_lines(ch, 4);
out:
	close(ready[0]);
	close(go[1]);
	return ret;
}

int main(int argc, char **argv)
{
	struct config cfg;

	parse_options(argc, argv, &cfg);
	signal(SIGPIPE, SIG_IGN);
	switch (cfg.mode) {
	case MODE_SERVER:
		return mode_server(&cfg);
	case MODE_PRODUCER:
		return mode_producer(&cfg);
	case MODE_RUN:
		return mode_run(&cfg);
	case MODE_PIPELINE:
		return mode_pipeline(&cfg);
	}
	return 2;
}
