/*
 * Unit tests for bpf/framing.h, the per-protocol message framers that the
 * BPF socket programs run one byte at a time. The streams (framing_streams.h)
 * are built the way real clients and servers write them and record where
 * each message ends as they are built; the framer must find exactly those
 * ends, fed the stream whole, split into two reads at every byte position,
 * and in random small reads (state must survive any split). Broken streams
 * must end in ST_FR_ERR at the same byte however they are split. Detection
 * is checked on first bytes of each protocol, on short reads, and mid-stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/framing_streams.h"

/* Splitting at every position costs len x (steps of one run). Up to this
 * product every position is tried (that is all the header-sized streams);
 * above it, every position within 64 bytes of the start, the end and each
 * message end, and random others up to the budget. */
#define SPLIT_BUDGET (8 * 1000 * 1000)

static struct fs_stream good[FS_MAX], bad[FS_MAX];
static int ngood, nbad;

static int setup(void **state)
{
	(void)state;
	ngood = fs_build_good(good, 1);
	nbad = fs_build_bad(bad);
	return 0;
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < ngood; i++)
		fs_free(&good[i]);
	for (i = 0; i < nbad; i++)
		fs_free(&bad[i]);
	return 0;
}

/* feed s in reads that end at the given cut offsets (ascending) */
static void run_cuts(const struct fs_stream *s, const size_t *cuts, int ncuts, struct fs_result *r)
{
	struct st_frame f;
	size_t from = 0;
	int i;

	st_frame_init(&f, s->proto, s->dir);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : s->len;

		if (!fs_feed(&f, s->p + from, to - from, from, r))
			break;
		from = to;
	}
}

static void check_result(const struct fs_stream *s, const struct fs_result *r, const char *how,
			 size_t err_at)
{
	size_t i;

	if (r->err != s->want_err)
		fail_msg("%s (%s): err %d at %zu, want %d", s->name, how, r->err, r->err_at,
			 s->want_err);
	if (r->err && r->err_at != err_at)
		fail_msg("%s (%s): ERR at byte %zu, want %zu", s->name, how, r->err_at, err_at);
	if (r->msgs != s->nends)
		fail_msg("%s (%s): %zu messages, want %zu", s->name, how, r->msgs, s->nends);
	for (i = 0; i < s->nends && r->ends; i++)
		if (r->ends[i] != s->ends[i])
			fail_msg("%s (%s): message %zu ends at %zu, want %zu", s->name, how, i,
				 r->ends[i], s->ends[i]);
}

static void test_struct_size(void **state)
{
	(void)state;
	/* socket storage holds two of these (RX and TX) */
	assert_true(sizeof(struct st_frame) <= 48);
}

static void test_whole(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < ngood; i++) {
		struct fs_stream *s = &good[i];
		size_t ends[4096];
		struct fs_result r = {.ends = ends, .ends_cap = 4096};

		assert_true(s->nends > 0 && s->nends <= 4096);
		run_cuts(s, NULL, 0, &r);
		check_result(s, &r, "whole", 0);
	}
}

static void test_counts_by_hand(void **state)
{
	/* a few counts written out, so the builders themselves are checked */
	static const struct {
		const char *name;
		size_t msgs;
	} want[] = {
		{"resp-set-p16", 48},  /* 3 writes of 16 pipelined SETs */
		{"resp-rx-mixed", 6},  /* PING, set, PING, SET k "", SET big, PING */
		{"pg-rx-simple", 24},  /* SSLRequest, startup, 3 x 7 queries, X */
		{"pg-rx-extended", 7}, /* startup, 5 P/B/D/E/S cycles, H+F */
		{"pg-tx", 6},	       /* N, auth..Z, 4 query cycles */
		{"http-rx-pipeline", 15},
		{"http-tx", 14}, /* 10 x 200, 201 after 100 Continue, 204, 304, 404 */
		{"mqtt-rx", 27}, /* CONNECT, 22 PUBLISH, SUBSCRIBE, PUBREL, PINGREQ, DISCONNECT */
		{"nats-rx", 30}, /* CONNECT, PING, SUB, 20 + 3 PUB, 2 HPUB, UNSUB, PONG */
		{"kafka-rx", 13},
		/* 6 methods, 3 publishes with their content; the heartbeat is none */
		{"amqp-rx", 9},
		/* 6 methods, Deliver and Get-Ok with their content */
		{"amqp-tx", 8},
	};
	size_t w;
	int i;

	(void)state;
	for (w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		for (i = 0; i < ngood; i++)
			if (!strcmp(good[i].name, want[w].name))
				break;
		assert_true(i < ngood);
		if (good[i].nends != want[w].msgs)
			fail_msg("%s: built %zu messages, counted by hand %zu", want[w].name,
				 good[i].nends, want[w].msgs);
	}
}

/* k within w bytes of the start, the end or a message end (ends ascend) */
static int near_boundary(const struct fs_stream *s, size_t k, size_t w)
{
	size_t lo = 0, hi = s->nends;

	if (k < w || k + w > s->len)
		return 1;
	while (lo < hi) { /* the first end >= k */
		size_t mid = (lo + hi) / 2;

		if (s->ends[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < s->nends && s->ends[lo] - k < w) || (lo > 0 && k - s->ends[lo - 1] < w);
}

static void split_every_budget(const struct fs_stream *s, size_t err_at, double budget,
			       size_t window)
{
	size_t *ends = malloc((s->nends + 1) * sizeof(*ends));
	struct fs_result whole = {0};
	size_t k, sample = 1;

	assert_non_null(ends);
	run_cuts(s, NULL, 0, &whole);
	if ((double)s->len * (double)whole.steps > budget)
		sample = (size_t)((double)s->len * (double)whole.steps / budget) + 1;
	for (k = 1; k < s->len; k++) {
		struct fs_result r = {.ends = ends, .ends_cap = s->nends + 1};
		char how[64];

		if (sample > 1 && !near_boundary(s, k, window) && (size_t)rand() % sample)
			continue;
		snprintf(how, sizeof(how), "split at %zu", k);
		run_cuts(s, &k, 1, &r);
		check_result(s, &r, how, err_at);
	}
	free(ends);
}

static void split_every(const struct fs_stream *s, size_t err_at)
{
	split_every_budget(s, err_at, SPLIT_BUDGET, 64);
}

static void random_chunks(const struct fs_stream *s, size_t err_at, unsigned seed, int maxchunk)
{
	size_t *cuts = malloc((s->len + 1) * sizeof(*cuts));
	size_t *ends = malloc((s->nends + 1) * sizeof(*ends));
	struct fs_result r = {.ends = ends, .ends_cap = s->nends + 1};
	size_t at = 0;
	int n = 0;
	char how[64];

	assert_non_null(cuts);
	assert_non_null(ends);
	srand(seed);
	for (;;) {
		at += 1 + (size_t)(rand() % maxchunk);
		if (at >= s->len)
			break;
		cuts[n++] = at;
	}
	snprintf(how, sizeof(how), "random reads <= %d, seed %u", maxchunk, seed);
	run_cuts(s, cuts, n, &r);
	check_result(s, &r, how, err_at);
	free(cuts);
	free(ends);
}

static void test_split_every_position(void **state)
{
	int i;

	(void)state;
	srand(1);
	for (i = 0; i < ngood; i++)
		split_every(&good[i], 0);
}

static void test_random_reads(void **state)
{
	unsigned seed;
	int i;

	(void)state;
	for (i = 0; i < ngood; i++)
		for (seed = 1; seed <= 20; seed++) {
			random_chunks(&good[i], 0, seed, 7);
			random_chunks(&good[i], 0, seed, 1500);
		}
}

/* where a bad stream gives ERR, fed whole; then the same at every split */
static void test_errors(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < nbad; i++) {
		struct fs_stream *s = &bad[i];
		size_t ends[64];
		struct fs_result r = {.ends = ends, .ends_cap = 64};
		size_t last = s->nends ? s->ends[s->nends - 1] : 0;
		unsigned seed;

		s->want_err = 1;
		run_cuts(s, NULL, 0, &r);
		if (!r.err)
			fail_msg("%s: no ERR", s->name);
		/* the error is in the bytes after the last good message */
		if (r.err_at < last || r.err_at >= s->len)
			fail_msg("%s: ERR at %zu, outside [%zu, %zu)", s->name, r.err_at, last,
				 s->len);
		check_result(s, &r, "whole", r.err_at);
		split_every(s, r.err_at);
		for (seed = 1; seed <= 5; seed++)
			random_chunks(s, r.err_at, seed, 5);
	}
}

/* a few errors at a known byte */
static void test_error_positions(void **state)
{
	static const struct {
		const char *name;
		size_t at_from_end; /* the failing byte, counted from the end */
	} want[] = {
		{"resp-rx-int-in-array", 4},  /* ':' */
		{"resp-tx-unknown-type", 10}, /* '?' */
		{"resp-tx-streamed", 17},     /* "?" after "$" */
		{"resp-tx-cr-no-lf", 1},      /* 'x' after CR */
		{"pg-rx-bad-type", 1},	      /* 'Y' */
		{"pg-rx-short-len", 1},	      /* the length's last byte */
		{"pg-tx-tls", 5},	      /* the TLS record type */
		{"http-rx-bad-cl", 7},	      /* 'a' of 12abc */
		{"http-rx-binary", 5},	      /* the first byte */
		{"http-tx-until-close", 1},   /* the LF of the empty line */
		{"mqtt-5-byte-len", 2},	      /* the 4th length byte still has 0x80 */
		{"kafka-negative", 1},	      /* the size's last byte */
		{"amqp-bad-frame-end", 1},    /* 0x00 instead of 0xCE */
		{"amqp-bad-header", 1},	      /* version byte 2 */
		{"amqp-body-too-long", 1},    /* the frame end of the long body */
	};
	size_t w;
	int i;

	(void)state;
	for (w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		struct fs_result r = {0};

		for (i = 0; i < nbad; i++)
			if (!strcmp(bad[i].name, want[w].name))
				break;
		assert_true(i < nbad);
		run_cuts(&bad[i], NULL, 0, &r);
		assert_true(r.err);
		if (r.err_at != bad[i].len - want[w].at_from_end)
			fail_msg("%s: ERR at %zu, want %zu", want[w].name, r.err_at,
				 bad[i].len - want[w].at_from_end);
	}
}

/* the work per message, in st_frame_step() calls, as docs/framing.md states
 * it: header bytes one step each, a payload one step whatever its size */
static void steps_per_message(int step8, size_t set, size_t mqtt, size_t pg, size_t kafka)
{
	static const char *const cmd[] = {"SET", "key:__rand_int__", "xxx"};
	struct fs_stream s = {0};
	struct fs_result r = {0};
	struct st_frame f;
	int i;

	fs_step8 = step8;
	for (i = 0; i < 16; i++)
		resp_cmd(&s, 3, cmd);
	st_frame_init(&f, ST_PROTO_RESP, ST_DIR_RX);
	fs_feed(&f, s.p, s.len, 0, &r);
	assert_int_equal(r.msgs, 16);
	assert_int_equal(r.steps, 16 * set);
	fs_free(&s);

	memset(&r, 0, sizeof(r));
	mqtt_publish(&s, 0, "sensors/temp", 16);
	fs_u8(&s, 0xc0); /* PINGREQ */
	fs_u8(&s, 0);
	st_frame_init(&f, ST_PROTO_MQTT, ST_DIR_RX);
	fs_feed(&f, s.p, s.len, 0, &r);
	assert_int_equal(r.msgs, 2);
	assert_int_equal(r.steps, mqtt);
	fs_free(&s);

	memset(&r, 0, sizeof(r));
	pg_query(&s, "SELECT 1;");
	pg_msg(&s, 'S', NULL, 0);
	st_frame_init(&f, ST_PROTO_POSTGRES, ST_DIR_RX);
	fs_feed(&f, s.p, s.len, 0, &r);
	assert_int_equal(r.msgs, 2);
	assert_int_equal(r.steps, pg);
	fs_free(&s);

	memset(&r, 0, sizeof(r));
	kafka_request(&s, 0, 9, 1, 1000000);
	st_frame_init(&f, ST_PROTO_KAFKA, ST_DIR_RX);
	fs_feed(&f, s.p, s.len, 0, &r);
	assert_int_equal(r.msgs, 1);
	assert_int_equal(r.steps, kafka);
	fs_free(&s);
	fs_step8 = 1;
}

/* the work per message in steps, as docs/framing.md states it */
static void test_steps_per_message(void **state)
{
	(void)state;
	/* one byte a step: *3 CR LF, $3 CR LF, $16 CR LF, $3 CR LF are 17 bytes,
	 * and 3 payloads; a QoS 0 PUBLISH 3 and a PINGREQ 2; a Query 6 and a
	 * Sync (no body) 5; a Kafka request 5 */
	steps_per_message(0, 20, 3 + 2, 6 + 5, 5);
	/* eight at a time: each of those headers is one step */
	steps_per_message(1, 7, 2 + 1, 2 + 1, 2);
}

/* the byte path (st_frame_step) gives what the word path gives: the
 * builders' message ends and the same error bytes, whole and in random
 * reads, and the same ends on the captures */
static void test_byte_path(void **state)
{
	static struct fs_stream cap[FS_MAX];
	char dir[512];
	const char *slash = strrchr(__FILE__, '/');
	unsigned seed;
	int i, n;

	fs_step8 = 0;
	test_whole(state);
	for (i = 0; i < ngood; i++)
		for (seed = 1; seed <= 5; seed++)
			random_chunks(&good[i], 0, seed, 7);
	for (i = 0; i < nbad; i++) {
		struct fs_result w = {0}, b = {0};

		fs_step8 = 1;
		run_cuts(&bad[i], NULL, 0, &w);
		fs_step8 = 0;
		run_cuts(&bad[i], NULL, 0, &b);
		if (!b.err || b.err_at != w.err_at || b.msgs != w.msgs)
			fail_msg("%s: byte path ERR %d at %zu after %zu messages, word path at %zu "
				 "after %zu",
				 bad[i].name, b.err, b.err_at, b.msgs, w.err_at, w.msgs);
		for (seed = 1; seed <= 3; seed++)
			random_chunks(&bad[i], w.err_at, seed, 5);
	}
	/* the captures' ends are the word path's (fs_load_captures) */
	fs_step8 = 1;
	snprintf(dir, sizeof(dir), "%.*s/captures", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".");
	n = fs_load_captures(dir, cap, FS_MAX);
	assert_true(n > 0);
	fs_step8 = 0;
	for (i = 0; i < n; i++) {
		for (seed = 1; seed <= 3; seed++)
			random_chunks(&cap[i], 0, seed, 9);
		fs_free(&cap[i]);
	}
	fs_step8 = 1;
}

/* ---- real captures: scripts/capture-framing.py recorded real clients
 * against real servers through a relay; the message counts come from the
 * servers (or what the clients were told to send), in captures/TRUTH ---- */

/* frame every connection of a case in one direction; returns the message count */
static long frame_capture(const char *dir, const char *name, __u8 proto, __u8 d, int *conns)
{
	long total = 0;
	int k;

	for (k = 1;; k++) {
		struct fs_stream s = {0};
		struct fs_result r = {0}, rr = {0};
		char path[512];
		unsigned seed;

		snprintf(path, sizeof(path), "%s/%s-%d.%s", dir, name, k,
			 d == ST_DIR_RX ? "rx" : "tx");
		if (fs_read_file(path, &s) < 0)
			break;
		s.name = path;
		s.proto = proto;
		s.dir = d;
		if (s.len == 0) { /* a connection that said nothing this way */
			fs_free(&s);
			continue;
		}
		{
			__u32 n = s.len < 16 ? (__u32)s.len : 16;
			__u8 got = st_frame_detect(s.p, n, d, 1);

			if (got != proto)
				fail_msg("%s: detected as %u, want %u", path, got, proto);
		}
		run_cuts(&s, NULL, 0, &r);
		if (r.err)
			fail_msg("%s: ERR at byte %zu of %zu", path, r.err_at, s.len);
		/* the same in random small reads */
		for (seed = 1; seed <= 5; seed++) {
			size_t cuts[4096], at = 0;
			int nc = 0;

			srand(seed);
			while (nc < 4096) {
				at += 1 + (size_t)(rand() % 9);
				if (at >= s.len)
					break;
				cuts[nc++] = at;
			}
			memset(&rr, 0, sizeof(rr));
			run_cuts(&s, cuts, nc, &rr);
			if (rr.err || rr.msgs != r.msgs)
				fail_msg("%s: %zu messages in random reads (seed %u), %zu whole",
					 path, rr.msgs, seed, r.msgs);
		}
		total += (long)r.msgs;
		(*conns)++;
		fs_free(&s);
	}
	return total;
}

static void test_real_captures(void **state)
{
	char dir[512], path[600], line[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;
	int cases = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%.*s/captures", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".");
	snprintf(path, sizeof(path), "%s/TRUTH", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64], proto[16], tx[16];
		long rx_want, rx, txn;
		int conns = 0;
		__u8 p;

		if (sscanf(line, "%63s %15s %ld %15s", name, proto, &rx_want, tx) != 4)
			continue;
		p = fs_proto_by_name(proto);
		if (p == ST_PROTO_NONE)
			fail_msg("captures/TRUTH: unknown protocol %s", proto);
		rx = frame_capture(dir, name, p, ST_DIR_RX, &conns);
		if (conns == 0)
			fail_msg("%s: no capture files in %s", name, dir);
		if (rx != rx_want)
			fail_msg("%s: %ld messages received, the server counted %ld", name, rx,
				 rx_want);
		txn = frame_capture(dir, name, p, ST_DIR_TX, &conns);
		if (strcmp(tx, "-") && txn != strtol(tx, NULL, 10))
			fail_msg("%s: %ld messages sent, want %s", name, txn, tx);
		cases++;
	}
	fclose(f);
	assert_true(cases >= 8);
}

/* the captures split into two reads at every byte give the same ends */
static void test_captures_split(void **state)
{
	static struct fs_stream cap[FS_MAX];
	char dir[512];
	const char *slash = strrchr(__FILE__, '/');
	int n, i;

	(void)state;
	snprintf(dir, sizeof(dir), "%.*s/captures", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".");
	n = fs_load_captures(dir, cap, FS_MAX);
	assert_true(n >= 18);
	srand(2);
	for (i = 0; i < n; i++) {
		assert_int_equal(cap[i].want_err, 0);
		/* every byte near each message end, the start and the end; a sample
		 * elsewhere (the captures' payload-heavy middles) */
		split_every_budget(&cap[i], 0, 1e6, 3);
		fs_free(&cap[i]);
	}
}

/* garbage and damaged streams: no undefined behaviour (ASan/UBSan), every
 * step consumes a byte, the bounds hold, and a damaged byte changes nothing
 * before it (the framer cannot see the future) */
static void test_garbage_and_damage(void **state)
{
	static const __u8 protos[] = {ST_PROTO_RESP, ST_PROTO_POSTGRES, ST_PROTO_HTTP1,
				      ST_PROTO_MQTT, ST_PROTO_NATS,	ST_PROTO_KAFKA,
				      ST_PROTO_AMQP};
	__u8 buf[512];
	size_t p, i;
	int d, round;

	(void)state;
	srand(7);
	for (p = 0; p < sizeof(protos); p++)
		for (d = ST_DIR_RX; d <= ST_DIR_TX; d++)
			for (round = 0; round < 300; round++) {
				size_t len = 1 + (size_t)rand() % sizeof(buf), pos = 0;
				struct st_frame f;

				for (i = 0; i < len; i++) /* text-ish half the time */
					buf[i] = (__u8)(round & 1 ? rand()
								  : "*$:+\r\n0123 PUBGETHTTP/1."
									    [rand() % 24]);
				st_frame_init(&f, protos[p], d);
				while (pos < len) {
					__u64 w = 0;
					size_t k;
					int res;
					__u32 n;

					for (k = 0; k < 8 && pos + k < len; k++)
						w |= (__u64)buf[pos + k] << (8 * k);
					if (round % 4 < 2) /* the word path half the time */
						n = st_frame_step8(&f, w, (__u32)(len - pos), &res);
					else
						n = st_frame_step(&f, buf[pos], (__u32)(len - pos),
								  &res);

					assert_true(n >= 1 && n <= len - pos);
					assert_true(f.depth <= 4 && f.skip <= ST_SKIP_MAX);
					if (res == ST_FR_ERR)
						break;
					pos += n;
				}
			}
	for (i = 0; i < (size_t)ngood; i++) {
		const struct fs_stream *s = &good[i];
		size_t *ends = malloc((s->nends + 8) * sizeof(*ends));

		assert_non_null(ends);
		for (round = 0; round < 50; round++) {
			struct fs_stream m = *s;
			struct fs_result r = {.ends = ends, .ends_cap = s->nends + 8};
			size_t at = (size_t)rand() % s->len, e;

			m.p = malloc(s->len);
			assert_non_null(m.p);
			memcpy(m.p, s->p, s->len);
			m.p[at] ^= (__u8)(1 + rand() % 255);
			run_cuts(&m, NULL, 0, &r);
			for (e = 0; e < s->nends && s->ends[e] <= at; e++)
				if (e >= r.msgs || ends[e] != s->ends[e])
					fail_msg("%s damaged at %zu: message %zu changed", s->name,
						 at, e);
			free(m.p);
		}
		free(ends);
	}
}

/* protocols that are not framed give ERR at once; init resets everything */
static void test_unframed_and_init(void **state)
{
	struct st_frame f;
	int res;

	(void)state;
	st_frame_init(&f, ST_PROTO_TURN, ST_DIR_RX);
	assert_int_equal(st_frame_byte(&f, 'x'), ST_FR_ERR);
	st_frame_init(&f, ST_PROTO_RECEIVE, ST_DIR_TX);
	assert_int_equal(st_frame_byte(&f, 'x'), ST_FR_ERR);
	/* a RESP bulk header announces payload + CRLF */
	memset(&f, 0xa5, sizeof(f));
	st_frame_init(&f, ST_PROTO_RESP, ST_DIR_TX);
	assert_int_equal(f.skip, 0);
	assert_int_equal(f.depth, 0);
	assert_int_equal(st_frame_byte(&f, '$'), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, '5'), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, '\r'), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, '\n'), ST_FR_SKIP);
	assert_int_equal(f.skip, 7);
	/* the step driver passes over it in pieces */
	assert_int_equal(st_frame_step(&f, 0, 3, &res), 3);
	assert_int_equal(res, ST_FR_MORE);
	assert_int_equal(st_frame_step(&f, 0, 100, &res), 4);
	assert_int_equal(res, ST_FR_END);
	/* a Kafka size of 1 GiB would not fit a sane request */
	st_frame_init(&f, ST_PROTO_KAFKA, ST_DIR_RX);
	assert_int_equal(st_frame_byte(&f, 0x40), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, 0), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, 0), ST_FR_MORE);
	assert_int_equal(st_frame_byte(&f, 0), ST_FR_ERR);
}

/* ---- detection ---- */

static void test_detect(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FS_NDETECT; i++) {
		const struct fs_detect_case *c = &fs_detect_cases[i];
		/* an exact-size copy: ASan sees any read past len */
		__u8 *b = malloc(c->len ? c->len : 1);
		__u8 got;

		assert_non_null(b);
		memcpy(b, c->b, c->len);
		got = st_frame_detect(b, c->len, c->dir, c->at_start);
		free(b);
		if (got != c->want)
			fail_msg("%s: detected %u, want %u", c->what, got, c->want);
	}
}

/* every good stream is told by its own first bytes, and every prefix of
 * them gives either NONE or the same answer (never another protocol) */
static void test_detect_streams(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < ngood; i++) {
		struct fs_stream *s = &good[i];
		__u32 n;

		/* Kafka responses are not told by their first bytes */
		if (s->proto == ST_PROTO_KAFKA && s->dir == ST_DIR_TX)
			continue;
		for (n = 1; n <= 16 && n <= s->len; n++) {
			__u8 *b = malloc(n);
			__u8 got;

			assert_non_null(b);
			memcpy(b, s->p, n);
			got = st_frame_detect(b, n, s->dir, 1);
			free(b);
			if (got != ST_PROTO_NONE && got != s->proto)
				fail_msg("%s: %u first bytes detected as %u", s->name, n, got);
			if (n == 16 && got != s->proto)
				fail_msg("%s: 16 first bytes detected as %u", s->name, got);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_size),
		cmocka_unit_test(test_counts_by_hand),
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_split_every_position),
		cmocka_unit_test(test_random_reads),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_steps_per_message),
		cmocka_unit_test(test_byte_path),
		cmocka_unit_test(test_real_captures),
		cmocka_unit_test(test_captures_split),
		cmocka_unit_test(test_garbage_and_damage),
		cmocka_unit_test(test_unframed_and_init),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_streams),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
