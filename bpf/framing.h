/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Message framing of application protocols, one byte at a time, shared by
 * the BPF programs (which feed it the bytes a traced process reads and
 * writes) and the unit tests (which feed it byte streams split at every
 * position). Plain C over fixed-width types: no includes, no libc, no
 * unbounded loops, so the verifier accepts it inside a bpf_loop callback.
 *
 * The caller keeps one struct st_frame per socket and direction and drives it
 * with st_frame_byte() for header bytes and st_frame_skipped() once the
 * payload bytes that a header announced (f->skip) have gone by unread.
 *
 * (This file is the interface; the parsers are filled in by the framing
 * work of issue 8.)
 */
#ifndef STREAMTRACE_FRAMING_H
#define STREAMTRACE_FRAMING_H

/* What one message is on a connection (queue.unit in every output). */
enum st_proto {
	ST_PROTO_NONE = 0, /* not yet known: no bytes seen */
	ST_PROTO_RESP,	   /* Redis RESP2/RESP3, also inline commands */
	ST_PROTO_POSTGRES, /* PostgreSQL frontend/backend protocol v3 */
	ST_PROTO_HTTP1,	   /* HTTP/1.0 and 1.1 */
	ST_PROTO_MQTT,	   /* MQTT 3.1, 3.1.1 and 5 */
	ST_PROTO_NATS,	   /* NATS client protocol */
	ST_PROTO_KAFKA,	   /* Kafka: 4-byte length-prefixed requests/responses */
	ST_PROTO_AMQP,	   /* AMQP 0-9-1 */
	ST_PROTO_TURN,	   /* unknown: one request/response turn is one message */
	ST_PROTO_RECEIVE,  /* not a stream (datagrams) or not framable: one receive */
	ST_PROTO__MAX,
};

/* Direction of a byte stream, seen from the traced process. */
#define ST_DIR_RX 0 /* bytes it reads: requests, for a server */
#define ST_DIR_TX 1 /* bytes it writes: responses */

/* Results of st_frame_byte() and st_frame_skipped(). */
#define ST_FR_MORE 0 /* taken; feed the next byte */
#define ST_FR_END  1 /* taken, and it ended a message */
#define ST_FR_SKIP \
	2	    /* taken; f->skip payload bytes follow that need not be read:
		      * pass over them, then call st_frame_skipped() */
#define ST_FR_ERR 3 /* not this protocol, or sync lost: stop framing this stream */

/* Framing state of one direction of one connection (in socket storage). */
struct st_frame {
	__u8 proto;    /* enum st_proto */
	__u8 dir;      /* ST_DIR_RX or ST_DIR_TX */
	__u8 state;    /* parser state, per protocol */
	__u8 depth;    /* nesting (RESP aggregates) */
	__u32 skip;    /* payload bytes to pass over before the next header byte */
	__u64 num;     /* number being read (lengths, counts) */
	__u32 left[4]; /* per nesting level: elements left (RESP), and other counters */
	__u64 aux;     /* a second number (AMQP body size, HTTP content length, ...) */
};

/*
 * The protocol of a stream from its first bytes b[0..len) (len may be short:
 * a read of 1 byte), for direction dir. at_start is 1 when b is known to be
 * the first byte of the stream, 0 when tracing began mid-stream (then only
 * signatures that a message start can be told by are accepted). Returns
 * ST_PROTO_NONE when it cannot tell yet, ST_PROTO_TURN when it is none of
 * the known ones.
 */
static __always_inline __u8 st_frame_detect(const __u8 *b, __u32 len, int dir, int at_start);

/* Start framing proto in direction dir. */
static __always_inline void st_frame_init(struct st_frame *f, __u8 proto, int dir);

/* One header byte. */
static __always_inline int st_frame_byte(struct st_frame *f, __u8 c);

/* f->skip bytes went by (the caller set f->skip to 0): ST_FR_END when that
 * ended a message, ST_FR_MORE otherwise. */
static __always_inline int st_frame_skipped(struct st_frame *f);

#endif /* STREAMTRACE_FRAMING_H */
