/*
 * openloop: an open-loop Redis (RESP) client. One thread sends one command at a time on one TCP
 * connection at Poisson (or regular) arrival times, never waiting for replies; another thread
 * reads the replies on the same connection and times each against its send. So the offered load
 * is set by the schedule alone, and a server that cannot keep up builds a queue (λ > X), as it
 * would under real users. Prints one JSON line: what it sent, what came back, its own latency.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#define WL_PROG "openloop"
#include "wl_net.h"

#define MAX_ARGS     32
#define MAX_SENDS    (20u * 1000 * 1000)
#define READ_CHUNK   65536
#define CONNECT_WAIT 5.0

struct config {
	const char *host;
	int port;
	double rate;
	double duration;
	double drain;
	bool regular;
	uint64_t seed;
	const char *command;
	const char *dump;
};

static struct config cfg = {
	.host = "127.0.0.1",
	.port = 6379,
	.rate = 1000,
	.duration = 3,
	.drain = 5,
	.seed = 1,
	.command = "PING",
};

static int sock_fd = -1;
static uint64_t *send_ns;	  /* send time of command i, written before `sent` counts it */
static uint64_t *lat_ns;	  /* latency of reply i */
static _Atomic uint64_t sent;	  /* commands written whole */
static _Atomic uint64_t received; /* replies parsed */
static _Atomic uint64_t errors;	  /* error replies (-ERR ...) */
static _Atomic bool reader_failed;

/* --dump: each command's send time on the UNIX clock (the monotonic one,
 * shifted by their difference now), its latency (-1 if unanswered) and its
 * send time on the monotonic clock in ns */
static int dump_commands(const char *path, uint64_t n_sent, uint64_t n_rx)
{
	struct timespec rt;
	FILE *f = fopen(path, "w");
	double shift;

	if (!f) {
		fprintf(stderr, "openloop: --dump %s: %s\n", path, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	shift = (double)rt.tv_sec + (double)rt.tv_nsec / WL_NSEC - (double)wl_now_ns() / WL_NSEC;
	for (uint64_t i = 0; i < n_sent; i++)
		fprintf(f, "%.6f %.9f %llu\n", (double)send_ns[i] / WL_NSEC + shift,
			i < n_rx ? (double)lat_ns[i] / WL_NSEC : -1.0,
			(unsigned long long)send_ns[i]);
	return fclose(f) ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"openloop: send RESP commands at a set Poisson rate on one connection, read "
		"replies\n"
		"on another thread, report sent, received and latency (one JSON line)\n\n"
		"USAGE: openloop [--host ADDR] [--port N] [--rate R] [--duration S] [--drain S]\n"
		"                [--regular] [--seed N] [--command \"CMD ARG...\"] [--dump "
		"FILE]\n\n"
		"  --host ADDR       server address (default 127.0.0.1)\n"
		"  --port N          server port (default 6379)\n"
		"  --rate R          mean commands per second (default 1000)\n"
		"  --duration S      sending time in seconds (default 3)\n"
		"  --drain S         wait at most S seconds for the last replies (default 5)\n"
		"  --regular         fixed gaps of 1/R instead of exponential ones\n"
		"  --seed N          random seed of the schedule (default 1)\n"
		"  --command STR     the command, words split on spaces (default PING)\n"
		"  --dump FILE       one line per command: its send time (UNIX seconds),\n"
		"                    latency (s; -1 if unanswered), send time (monotonic ns)\n\n"
		"EXAMPLES:\n"
		"  openloop --port 6379 --rate 5000 --duration 3 --command \"SET k v\"\n"
		"  openloop --rate 1000 --command \"DEBUG SLEEP 0.002\"   more than it can "
		"serve\n\n"
		"Exit status: 0 done (every reply came back or the drain time passed); 1 failure;\n"
		"2 usage error.\n");
}

static double parse_pos(const char *opt, const char *v, bool zero_ok)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < 0 || (!zero_ok && d == 0))
		wl_bad_value(opt, v, zero_ok ? "want a number >= 0" : "want a number > 0");
	return d;
}

/* RESP array of bulk strings from space-separated words */
static char *encode_command(const char *cmd, size_t *len)
{
	char *copy = strdup(cmd), *save = NULL, *w;
	const char *words[MAX_ARGS];
	int n = 0;
	size_t cap = strlen(cmd) * 2 + 64 * MAX_ARGS, off = 0;
	char *out = malloc(cap);

	if (!copy || !out)
		return NULL;
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == MAX_ARGS)
			wl_bad_value("--command", cmd, "too many words");
		words[n++] = w;
	}
	if (!n)
		wl_bad_value("--command", cmd, "empty");
	off += (size_t)snprintf(out + off, cap - off, "*%d\r\n", n);
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, cap - off, "$%zu\r\n%s\r\n", strlen(words[i]),
					words[i]);
	free(copy);
	*len = off;
	return out;
}

/* bytes of the one whole reply at b, 0 if it is not all there yet, -1 if it is not RESP */
static long resp_reply_len(const char *b, size_t n, int depth)
{
	const char *crlf;
	size_t line;
	long v;

	if (n < 3 || depth > 8)
		return n < 3 ? 0 : -1;
	crlf = memmem(b, n, "\r\n", 2);
	if (!crlf)
		return 0;
	line = (size_t)(crlf - b) + 2;
	switch (b[0]) {
	case '+':
	case '-':
	case ':':
	case ',':
	case '_':
	case '#':
		return (long)line;
	case '$':
		v = strtol(b + 1, NULL, 10);
		if (v < 0)
			return (long)line;
		return n < line + (size_t)v + 2 ? 0 : (long)(line + (size_t)v + 2);
	case '*': {
		size_t off = line;

		v = strtol(b + 1, NULL, 10);
		for (long i = 0; i < v; i++) {
			long l = resp_reply_len(b + off, n - off, depth + 1);

			if (l <= 0)
				return l;
			off += (size_t)l;
		}
		return (long)off;
	}
	default:
		return -1;
	}
}

static void *reader_main(void *arg)
{
	size_t cap = 4 * READ_CHUNK, have = 0;
	char *buf = malloc(cap);

	(void)arg;
	if (!buf) {
		reader_failed = true;
		return NULL;
	}
	for (;;) {
		ssize_t r;
		size_t off = 0;
		long l;

		if (cap - have < READ_CHUNK) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = recv(sock_fd, buf + have, cap - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		while ((l = resp_reply_len(buf + off, have - off, 0)) > 0) {
			uint64_t i = atomic_load(&received), t = wl_now_ns();

			if (i >= atomic_load(&sent)) { /* a reply to nothing sent */
				reader_failed = true;
				break;
			}
			lat_ns[i] = t - send_ns[i];
			if (buf[off] == '-')
				atomic_fetch_add(&errors, 1);
			atomic_store(&received, i + 1);
			off += (size_t)l;
		}
		if (l < 0 || reader_failed) {
			reader_failed = true;
			break;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	free(buf);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"host", required_argument, 0, 'H'},
		{"port", required_argument, 0, 'p'},
		{"rate", required_argument, 0, 'r'},
		{"duration", required_argument, 0, 'd'},
		{"drain", required_argument, 0, 'D'},
		{"regular", no_argument, 0, 'R'},
		{"seed", required_argument, 0, 's'},
		{"command", required_argument, 0, 'c'},
		{"dump", required_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	uint64_t max_sends, t0, t_end, n_sent = 0, n_rx, n_rx_window;
	struct wl_pace pace;
	pthread_t reader;
	size_t cmd_len;
	char *cmd;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "H:p:r:d:D:Rs:c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			cfg.host = optarg;
			break;
		case 'p': {
			double p = parse_pos("--port", optarg, false);

			if (p != (int)p || p > 65535)
				wl_bad_value("--port", optarg, "want a port number 1-65535");
			cfg.port = (int)p;
			break;
		}
		case 'r':
			cfg.rate = parse_pos("--rate", optarg, false);
			break;
		case 'd':
			cfg.duration = parse_pos("--duration", optarg, false);
			break;
		case 'D':
			cfg.drain = parse_pos("--drain", optarg, true);
			break;
		case 'R':
			cfg.regular = true;
			break;
		case 's':
			cfg.seed = (uint64_t)parse_pos("--seed", optarg, true);
			break;
		case 'c':
			cfg.command = optarg;
			break;
		case 'o':
			cfg.dump = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"openloop: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	wl_no_operands(argc, argv);
	max_sends = (uint64_t)(cfg.rate * cfg.duration * 1.5) + 1000;
	if (max_sends > MAX_SENDS) {
		fprintf(stderr, "openloop: --rate x --duration above %u commands\n", MAX_SENDS / 2);
		return 2;
	}
	cmd = encode_command(cfg.command, &cmd_len);
	send_ns = calloc(max_sends, sizeof(*send_ns));
	lat_ns = calloc(max_sends, sizeof(*lat_ns));
	if (!cmd || !send_ns || !lat_ns) {
		fprintf(stderr, "openloop: out of memory\n");
		return 1;
	}
	sock_fd = wl_connect(cfg.host, cfg.port, CONNECT_WAIT);
	if (sock_fd < 0) {
		fprintf(stderr, "openloop: connect %s:%d: %s\n", cfg.host, cfg.port,
			strerror(errno));
		return 1;
	}
	if (pthread_create(&reader, NULL, reader_main, NULL)) {
		fprintf(stderr, "openloop: cannot start the reader thread\n");
		return 1;
	}
	wl_pace_init(&pace, cfg.rate, !cfg.regular, cfg.seed, cfg.duration);
	t0 = pace.next;
	while (n_sent < max_sends && !reader_failed) {
		uint64_t t = wl_pace_wait(&pace);

		if (!t)
			break;
		send_ns[n_sent] = t;
		/* counted before the write: the reply may come back before write() returns */
		atomic_store(&sent, n_sent + 1);
		if (wl_write_all(sock_fd, cmd, cmd_len)) {
			fprintf(stderr, "openloop: send: %s\n", strerror(errno));
			return 1;
		}
		n_sent++;
	}
	t_end = wl_now_ns();
	n_rx_window = atomic_load(&received);
	while (atomic_load(&received) < n_sent && !reader_failed &&
	       wl_now_ns() - t_end < (uint64_t)(cfg.drain * WL_NSEC))
		usleep(1000);
	shutdown(sock_fd, SHUT_RDWR);
	pthread_join(reader, NULL);
	close(sock_fd);
	if (reader_failed) {
		fprintf(stderr, "openloop: bad or unexpected reply from the server\n");
		return 1;
	}
	n_rx = atomic_load(&received);
	if (cfg.dump && dump_commands(cfg.dump, n_sent, n_rx))
		return 1;
	{
		double span = (double)(t_end - t0) / WL_NSEC, mean = 0;
		uint64_t p99 = 0;

		for (uint64_t i = 0; i < n_rx; i++)
			mean += (double)lat_ns[i] / WL_NSEC;
		mean = n_rx ? mean / (double)n_rx : NAN;
		if (n_rx) {
			qsort(lat_ns, n_rx, sizeof(*lat_ns), cmp_u64);
			p99 = lat_ns[(uint64_t)ceil(0.99 * (double)n_rx) - 1];
		}
		/* the gaps between the sends as they happened (a late sender
		 * bunches them): their squared coefficient of variation, the truth
		 * for the arrival variability Ca² at the server (1 for Poisson) */
		double gm = 0, g2 = 0, ca2 = NAN;

		for (uint64_t i = 1; i < n_sent; i++) {
			double g = (double)(send_ns[i] - send_ns[i - 1]) / WL_NSEC;

			gm += g;
			g2 += g * g;
		}
		if (n_sent > 2) {
			gm /= (double)(n_sent - 1);
			g2 /= (double)(n_sent - 1);
			ca2 = gm > 0 ? (g2 - gm * gm) / (gm * gm) : NAN;
		}
		printf("{\"program\":\"openloop\",\"rate\":%.3f,\"span_s\":%.6f,\"sent\":%llu,"
		       "\"received\":%llu,\"received_in_window\":%llu,\"unanswered\":%llu,"
		       "\"errors\":%llu,\"arrival_rate\":%.3f,\"late_max_s\":%.6f,",
		       cfg.rate, span, (unsigned long long)n_sent, (unsigned long long)n_rx,
		       (unsigned long long)n_rx_window, (unsigned long long)(n_sent - n_rx),
		       (unsigned long long)atomic_load(&errors), (double)n_sent / span,
		       (double)pace.late_max / WL_NSEC);
		if (isfinite(ca2))
			printf("\"send_gap_cv2\":%.4f,", ca2);
		else
			printf("\"send_gap_cv2\":null,");
		if (n_rx)
			printf("\"latency_mean_s\":%.9f,\"latency_p99_s\":%.9f}\n", mean,
			       (double)p99 / WL_NSEC);
		else
			printf("\"latency_mean_s\":null,\"latency_p99_s\":null}\n");
	}
	return 0;
}
