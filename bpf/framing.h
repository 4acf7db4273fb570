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
 * payload bytes that a header announced (f->skip) have gone by unread;
 * st_frame_step() does one step of that for a driver, st_frame_step8() the
 * same taking small binary headers whole (fewer steps, same results). Detect
 * the protocol first with st_frame_detect(). Every bit of state is
 * in struct st_frame, so a header split over two reads at any byte is normal.
 * Payloads are never read: a 1 MB body costs one ST_FR_SKIP.
 *
 * Each protocol's block below says what one message is, how many bytes of a
 * header are read, the bounds, and what ST_FR_ERR means there. ERR is final:
 * the caller stops framing that stream (it falls back to turns, counted).
 * docs/framing.md says the same for users.
 */
#ifndef STREAMTRACE_FRAMING_H
#define STREAMTRACE_FRAMING_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

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
	__u32 cnt;     /* bytes of the current line or multi-byte field */
	__u8 sub;      /* per protocol: the type byte being framed, the op kind */
	__u8 flags;    /* per protocol: ST_RF_*, ST_HF_*, ST_NF_*, ST_AF_* */
	__u16 pad;
};

/* Detection reads at most this many bytes of b. */
#define ST_DETECT_BYTES 16

/* The first bytes of a stream, as a BPF global function takes them (a
 * pointer to a sized struct): see st_frame_detect(). */
struct st_frame_head {
	__u8 b[ST_DETECT_BYTES];
};

/*
 * The protocol of a stream from its first bytes b[0..len) (len may be short:
 * a read of 1 byte), for direction dir. at_start is 1 when b is known to be
 * the first byte of the stream, 0 when tracing began mid-stream (then only
 * signatures that a message start can be told by are accepted). Returns
 * ST_PROTO_NONE when it cannot tell yet, ST_PROTO_TURN when it is none of
 * the known ones. Reads only b[0..min(len, ST_DETECT_BYTES)).
 * In BPF, call it from a global (non-static, __noinline) function taking a
 * struct st_frame_head *: the verifier then checks it once (~80k
 * instructions) instead of once per path that reaches it in the caller.
 */
static __always_inline __u8 st_frame_detect(const __u8 *b, __u32 len, int dir, int at_start);

/* Start framing proto in direction dir. */
static __always_inline void st_frame_init(struct st_frame *f, __u8 proto, int dir);

/* One header byte. */
static __always_inline int st_frame_byte(struct st_frame *f, __u8 c);

/* f->skip bytes went by (the caller set f->skip to 0): ST_FR_END when that
 * ended a message, ST_FR_MORE otherwise. */
static __always_inline int st_frame_skipped(struct st_frame *f);

/* ---------------------------------------------------------------------- */
/* Common helpers                                                          */

/* Largest payload one SKIP passes over; the protocols' own caps are lower. */
#define ST_SKIP_MAX 0xfffffff0u

/* Eight characters packed for comparisons without memory: ST__LE8 puts the
 * first character in the lowest byte (extract character i with >> 8*i),
 * ST__BE8 in the highest (as a register that shifts bytes in from the right
 * holds them). */
#define ST__LE8(a, b, c, d, e, f, g, h)                                                          \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define ST__BE8(a, b, c, d, e, f, g, h) ST__LE8(h, g, f, e, d, c, b, a)

static __always_inline int st__digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

static __always_inline __u8 st__lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static __always_inline __u8 st__upper(__u8 c)
{
	return (c >= 'a' && c <= 'z') ? c - 32 : c;
}

/* Announce n payload bytes; n == 0 goes straight on to what follows them. */
static __always_inline int st__skip(struct st_frame *f, __u64 n)
{
	if (n > ST_SKIP_MAX)
		return ST_FR_ERR;
	f->skip = (__u32)n;
	if (n == 0)
		return st_frame_skipped(f);
	return ST_FR_SKIP;
}

/* ---------------------------------------------------------------------- */
/*
 * RESP (Redis). One message: RX one command, TX one top-level reply.
 *
 * RX: a command is an array of bulk strings, `*N\r\n` then N times
 * `$len\r\n<len bytes>\r\n` (the bytes and their CRLF are skipped), or an
 * inline command, a line ending in \n (blank lines are no command, as in
 * Redis; `*0` and `*-1` are no command either). Inside an array only `$` is
 * accepted.
 * TX: `+ - : , ( # _` lines, `$ ! =` bulk (`$-1` null), `* ~ >` arrays, `%`
 * maps (2N elements), `|` attributes (not counted: they precede the element
 * they annotate). Pushes (`>`) count as replies.
 * Bounds: numbers at most 12 digits and 2^30, nesting 4 levels, lines
 * 64 KiB (Redis's own inline limit). ERR: any other type byte, a bad number,
 * a missing LF after CR, deeper nesting, RESP3 streamed aggregates (`*?`),
 * longer lines.
 */
#define ST_R_TYPE      0 /* the type byte of an element (or an inline command) */
#define ST_R_NUM       1 /* digits of a length or count after the type byte */
#define ST_R_NUM_LF    2 /* LF after that number */
#define ST_R_LINE      3 /* a simple line element */
#define ST_R_LINE_LF   4
#define ST_R_BULK_DONE 5 /* after a skipped bulk payload and its CRLF */
#define ST_R_INLINE    6 /* an inline command */

#define ST_RF_NEG     1 /* the number has a minus sign */
#define ST_RF_ATTR    2 /* a top-level attribute is being read: its end is no reply */
#define ST_RF_CONTENT 4 /* the inline line has a non-blank byte */

#define ST_RESP_LINE_MAX (64 * 1024)
#define ST_RESP_NUM_MAX	 (1ull << 30)
#define ST_RESP_DEPTH	 4

/* An element is complete: pop finished aggregates; the reply ends at depth 0. */
static __always_inline int st__resp_elem_done(struct st_frame *f)
{
	int i;

	f->state = ST_R_TYPE;
	for (i = 0; i < ST_RESP_DEPTH; i++) {
		__u32 *l;

		if (f->depth == 0)
			break;
		l = &f->left[(f->depth - 1) & 3];
		if (*l > 1) {
			(*l)--;
			return ST_FR_MORE;
		}
		*l = 0;
		f->depth--;
	}
	if (f->depth != 0)
		return ST_FR_ERR;
	if (f->flags & ST_RF_ATTR) {
		f->flags &= ~ST_RF_ATTR;
		return ST_FR_MORE;
	}
	return ST_FR_END;
}

static __always_inline int st__resp_inline(struct st_frame *f, __u8 c)
{
	if (c == '\n') {
		int had = f->flags & ST_RF_CONTENT;

		f->state = ST_R_TYPE;
		f->flags = 0;
		return had ? ST_FR_END : ST_FR_MORE;
	}
	if (++f->cnt > ST_RESP_LINE_MAX)
		return ST_FR_ERR;
	if (c != ' ' && c != '\t' && c != '\r')
		f->flags |= ST_RF_CONTENT;
	return ST_FR_MORE;
}

static __always_inline int st__resp_num_done(struct st_frame *f)
{
	int neg = f->flags & ST_RF_NEG;
	__u64 n = f->num;

	f->flags &= ~ST_RF_NEG;
	switch (f->sub) {
	case '$':
	case '!':
	case '=':
		if (neg)
			return st__resp_elem_done(f);
		f->state = ST_R_BULK_DONE;
		return st__skip(f, n + 2);
	case '%':
	case '|':
		n *= 2;
		break;
	}
	/* an aggregate of n elements */
	if (neg || n == 0) {
		if (f->dir == ST_DIR_RX && f->depth == 0) {
			f->state = ST_R_TYPE; /* Redis runs no command for *0 or *-1 */
			return ST_FR_MORE;
		}
		return st__resp_elem_done(f);
	}
	if (f->depth >= ST_RESP_DEPTH)
		return ST_FR_ERR;
	if (f->sub == '|') {
		/* the attribute is one more element than its level counts */
		if (f->depth == 0)
			f->flags |= ST_RF_ATTR;
		else
			f->left[(f->depth - 1) & 3]++;
	}
	f->left[f->depth & 3] = (__u32)n;
	f->depth++;
	f->state = ST_R_TYPE;
	return ST_FR_MORE;
}

static __always_inline int st__resp_byte(struct st_frame *f, __u8 c)
{
	switch (f->state) {
	case ST_R_TYPE:
		if (f->dir == ST_DIR_RX) {
			if (f->depth == 0 && c != '*') {
				f->state = ST_R_INLINE;
				f->cnt = 0;
				f->flags = 0;
				return st__resp_inline(f, c);
			}
			if (f->depth > 0 && c != '$')
				return ST_FR_ERR;
		}
		f->sub = c;
		f->num = 0;
		f->cnt = 0;
		switch (c) {
		case '$':
		case '!':
		case '=':
		case '*':
		case '~':
		case '>':
		case '%':
		case '|':
			f->state = ST_R_NUM;
			return ST_FR_MORE;
		case '+':
		case '-':
		case ':':
		case ',':
		case '(':
		case '#':
		case '_':
			f->state = ST_R_LINE;
			return ST_FR_MORE;
		}
		return ST_FR_ERR;
	case ST_R_NUM:
		if (st__digit(c)) {
			if (++f->cnt > 12)
				return ST_FR_ERR;
			f->num = f->num * 10 + (c - '0');
			if (f->num > ST_RESP_NUM_MAX)
				return ST_FR_ERR;
			return ST_FR_MORE;
		}
		if (c == '-' && f->cnt == 0 && !(f->flags & ST_RF_NEG)) {
			f->flags |= ST_RF_NEG;
			return ST_FR_MORE;
		}
		if (c == '\r' && f->cnt > 0) {
			f->state = ST_R_NUM_LF;
			return ST_FR_MORE;
		}
		return ST_FR_ERR;
	case ST_R_NUM_LF:
		if (c != '\n')
			return ST_FR_ERR;
		return st__resp_num_done(f);
	case ST_R_LINE:
		if (c == '\r') {
			f->state = ST_R_LINE_LF;
			return ST_FR_MORE;
		}
		if (c == '\n' || ++f->cnt > ST_RESP_LINE_MAX)
			return ST_FR_ERR;
		return ST_FR_MORE;
	case ST_R_LINE_LF:
		if (c != '\n')
			return ST_FR_ERR;
		return st__resp_elem_done(f);
	case ST_R_INLINE:
		return st__resp_inline(f, c);
	}
	return ST_FR_ERR;
}

static __always_inline int st__resp_skipped(struct st_frame *f)
{
	if (f->state != ST_R_BULK_DONE)
		return ST_FR_ERR;
	return st__resp_elem_done(f);
}

/* ---------------------------------------------------------------------- */
/*
 * PostgreSQL protocol v3. One message (a unit of work):
 * RX: the startup packet (int32 length including itself, int32 code:
 * protocol 3.x, SSLRequest 80877103, GSSENCRequest 80877104, CancelRequest
 * 80877102) is one message; after an SSL/GSS request a new startup packet
 * may follow (the server said 'N'). Then messages are a type byte and an
 * int32 length including itself; the rest is skipped. A unit of work ends at
 * 'Q' (simple query), 'S' (Sync: end of an extended-protocol cycle), 'F'
 * (function call) and 'X' (terminate); the other frontend messages (P, B, D,
 * E, H, C, d, c, f, p) are parts of the next one (so the password and COPY
 * data belong to the query that follows them).
 * TX: the single byte 'N' or 'S' answering an SSL/GSS request is one
 * message; then backend messages type + length; a message ends at 'Z'
 * (ReadyForQuery).
 * Bytes read per message: 5 (startup: 8). Bounds: startup length 8..10000,
 * message length 4..2^30. ERR: an unknown type byte for the direction, a
 * length out of bounds, an unknown startup code, TLS after 'S'.
 * A nonzero first byte where a startup packet is expected is taken as a type
 * byte, so framing that starts mid-stream works.
 */
#define ST_P_START 0 /* RX: a startup packet or a type byte; TX: the SSL answer or a type */
#define ST_P_SLEN  1 /* the 8 bytes of a startup packet */
#define ST_P_LEN   2 /* the 4 length bytes after a type byte */
#define ST_P_AFTER 3 /* after the skipped body of a typed message */
#define ST_P_SDONE 4 /* after the skipped rest of a startup packet */
#define ST_P_TYPE  5 /* a type byte */

#define ST_PG_PROTO3   196608u
#define ST_PG_SSL      80877103u
#define ST_PG_GSSENC   80877104u
#define ST_PG_CANCEL   80877102u
#define ST_PG_STARTMAX 10000u
#define ST_PG_LEN_MAX  (1u << 30)

static __always_inline int st__pg_front_type(__u8 c)
{
	switch (c) {
	case 'Q':
	case 'S':
	case 'F':
	case 'X':
	case 'P':
	case 'B':
	case 'D':
	case 'E':
	case 'H':
	case 'C':
	case 'd':
	case 'c':
	case 'f':
	case 'p':
		return 1;
	}
	return 0;
}

static __always_inline int st__pg_back_type(__u8 c)
{
	switch (c) {
	case 'R':
	case 'K':
	case 'S':
	case 'Z':
	case 'T':
	case 'D':
	case 'C':
	case 'E':
	case 'N':
	case '1':
	case '2':
	case '3':
	case 'I':
	case 'n':
	case 's':
	case 't':
	case 'A':
	case 'G':
	case 'H':
	case 'W':
	case 'd':
	case 'c':
	case 'V':
	case 'v':
		return 1;
	}
	return 0;
}

static __always_inline int st__pg_type(struct st_frame *f, __u8 c)
{
	if (f->dir == ST_DIR_RX ? !st__pg_front_type(c) : !st__pg_back_type(c))
		return ST_FR_ERR;
	f->sub = c;
	f->state = ST_P_LEN;
	f->cnt = 0;
	f->num = 0;
	return ST_FR_MORE;
}

static __always_inline int st__pg_byte(struct st_frame *f, __u8 c)
{
	switch (f->state) {
	case ST_P_START:
		if (f->dir == ST_DIR_TX) {
			/* 'N'/'S' answer an SSL or GSS request; no backend
			 * message comes before authentication starts with 'R' */
			if (c == 'N' || c == 'S')
				return ST_FR_END;
			return st__pg_type(f, c);
		}
		if (c != 0) /* lengths are <= 10000: a nonzero byte is a type */
			return st__pg_type(f, c);
		f->state = ST_P_SLEN;
		f->cnt = 1;
		f->num = 0;
		return ST_FR_MORE;
	case ST_P_SLEN:
		f->num = (f->num << 8) | c;
		f->cnt++;
		if (f->cnt == 4) {
			if (f->num < 8 || f->num > ST_PG_STARTMAX)
				return ST_FR_ERR;
			f->aux = f->num;
			f->num = 0;
		} else if (f->cnt == 8) {
			if (f->num == ST_PG_SSL || f->num == ST_PG_GSSENC) {
				if (f->aux != 8)
					return ST_FR_ERR;
				f->state = ST_P_START; /* the client may start again */
				return ST_FR_END;
			}
			if (f->num != ST_PG_CANCEL && (f->num >> 16) != 3)
				return ST_FR_ERR;
			f->state = ST_P_SDONE;
			return st__skip(f, f->aux - 8);
		}
		return ST_FR_MORE;
	case ST_P_TYPE:
		return st__pg_type(f, c);
	case ST_P_LEN:
		f->num = (f->num << 8) | c;
		if (++f->cnt < 4)
			return ST_FR_MORE;
		if (f->num < 4 || f->num > ST_PG_LEN_MAX)
			return ST_FR_ERR;
		f->state = ST_P_AFTER;
		return st__skip(f, f->num - 4);
	}
	return ST_FR_ERR;
}

static __always_inline int st__pg_skipped(struct st_frame *f)
{
	if (f->state == ST_P_SDONE) {
		f->state = ST_P_TYPE;
		return ST_FR_END;
	}
	if (f->state != ST_P_AFTER)
		return ST_FR_ERR;
	f->state = ST_P_TYPE;
	if (f->dir == ST_DIR_TX)
		return f->sub == 'Z' ? ST_FR_END : ST_FR_MORE;
	switch (f->sub) {
	case 'Q':
	case 'S':
	case 'F':
	case 'X':
		return ST_FR_END;
	}
	return ST_FR_MORE;
}

/* ---------------------------------------------------------------------- */
/*
 * HTTP/1.0 and 1.1. One message: RX one request, TX one final response.
 * RX: a request line (an upper-case method token first, `HTTP/1.x` last),
 * header lines until an empty line, then a body: chunked when
 * Transfer-Encoding ends in `chunked` (hex size lines, each chunk and its
 * CRLF skipped, a last chunk of size 0, then trailer lines until an empty
 * line), else Content-Length bytes, else none. Empty lines before a request
 * are ignored. Keep-alive and pipelining are back-to-back messages.
 * TX: a status line `HTTP/1.x NNN ...`, headers, a body by chunked or
 * Content-Length. 1xx responses are not messages (101 is: what follows is
 * another protocol, which then ends framing with ERR); 204 and 304 have no
 * body. A response with neither length nor chunked is delimited by the
 * connection's close: ERR. Responses to HEAD carry a Content-Length with no
 * body: that loses sync (the request method is not known on the TX side).
 * Header names are compared case-insensitively without being stored;
 * values are read only for those two headers. CR is ignored, LF ends lines.
 * Bounds: 8 KiB per start or header line, 1 KiB per chunk-size line, bodies
 * and chunks below 4 GiB. ERR: past those, a start line that is not HTTP/1.x,
 * a bad Content-Length or chunk size.
 */
#define ST_H_LINE0	0 /* the request or status line */
#define ST_H_HDR	1 /* header lines */
#define ST_H_CHUNK	2 /* a chunk-size line */
#define ST_H_CHUNK_DONE 3 /* after a skipped chunk and its CRLF */
#define ST_H_TRAILER	4 /* trailer lines after the last chunk */
#define ST_H_BODY_DONE	5 /* after a skipped Content-Length body */

/* header-line flags */
#define ST_HF_VALUE   0x01 /* past the colon */
#define ST_HF_CL_NAME 0x02 /* the name so far is a prefix of content-length */
#define ST_HF_TE_NAME 0x04 /* ... of transfer-encoding */
#define ST_HF_CL_VAL  0x08 /* this line is Content-Length */
#define ST_HF_TE_VAL  0x10 /* this line is Transfer-Encoding */
/* message flags */
#define ST_HF_HAS_CL   0x20
#define ST_HF_CHUNKED  0x40
#define ST_HF_LINEBITS 0x1f
/* chunk-size line flags */
#define ST_HF_DIGITS 0x01
#define ST_HF_EXT    0x02

#define ST_HTTP_LINE_MAX  8192
#define ST_HTTP_CHUNK_MAX 1024
#define ST_HTTP_BODY_MAX  0xfffffff0ull

/* character i of "content-length" and "transfer-encoding", from registers */
static __always_inline __u8 st__http_cl_char(__u32 i)
{
	if (i < 8)
		return ST__LE8('c', 'o', 'n', 't', 'e', 'n', 't', '-') >> (8 * i);
	return ST__LE8('l', 'e', 'n', 'g', 't', 'h', 0, 0) >> (8 * (i & 7));
}

static __always_inline __u8 st__http_te_char(__u32 i)
{
	if (i < 8)
		return ST__LE8('t', 'r', 'a', 'n', 's', 'f', 'e', 'r') >> (8 * i);
	if (i < 16)
		return ST__LE8('-', 'e', 'n', 'c', 'o', 'd', 'i', 'n') >> (8 * (i & 7));
	return 'g';
}

static __always_inline int st__http_start(struct st_frame *f)
{
	f->state = ST_H_LINE0;
	f->cnt = 0;
	f->num = 0;
	f->aux = 0;
	f->flags = 0;
	f->left[0] = 0;
	return ST_FR_END;
}

static __always_inline void st__http_chunk_line(struct st_frame *f)
{
	f->state = ST_H_CHUNK;
	f->cnt = 0;
	f->num = 0;
	f->flags = 0;
}

static __always_inline int st__http_line0(struct st_frame *f, __u8 c)
{
	__u64 ver = ST__BE8('H', 'T', 'T', 'P', '/', '1', '.', 0);
	__u64 mask = ~0xffull;

	if (c == '\r')
		return ST_FR_MORE;
	if (c == '\n') {
		if (f->cnt == 0 && f->dir == ST_DIR_RX)
			return ST_FR_MORE; /* an empty line before a request */
		if (f->dir == ST_DIR_RX) {
			/* the request line ends in HTTP/1.x */
			if ((f->num & mask) != ver || !st__digit(f->num & 0xff))
				return ST_FR_ERR;
		} else if (f->cnt < 12) {
			return ST_FR_ERR;
		}
		f->state = ST_H_HDR;
		f->cnt = 0;
		f->num = 0;
		f->flags = ST_HF_CL_NAME | ST_HF_TE_NAME;
		return ST_FR_MORE;
	}
	if (f->cnt >= ST_HTTP_LINE_MAX)
		return ST_FR_ERR;
	if (f->dir == ST_DIR_RX) {
		if (f->cnt == 0 && !(c >= 'A' && c <= 'Z'))
			return ST_FR_ERR;
		f->num = (f->num << 8) | c;
	} else if (f->cnt < 8) {
		f->num = (f->num << 8) | c;
	} else if (f->cnt == 8) {
		if ((f->num & mask) != ver || !st__digit(f->num & 0xff) || c != ' ')
			return ST_FR_ERR;
	} else if (f->cnt < 12) {
		if (!st__digit(c))
			return ST_FR_ERR;
		f->left[0] = f->left[0] * 10 + (c - '0');
	}
	f->cnt++;
	return ST_FR_MORE;
}

/* the empty line after the headers: what body follows */
static __always_inline int st__http_headers_done(struct st_frame *f)
{
	if (f->dir == ST_DIR_TX) {
		__u32 status = f->left[0];

		if (status >= 100 && status < 200 && status != 101) {
			st__http_start(f); /* interim: the final response follows */
			return ST_FR_MORE;
		}
		if (status == 101 || status == 204 || status == 304)
			return st__http_start(f);
	}
	if (f->flags & ST_HF_CHUNKED) {
		st__http_chunk_line(f);
		return ST_FR_MORE;
	}
	if (f->flags & ST_HF_HAS_CL) {
		f->state = ST_H_BODY_DONE;
		return st__skip(f, f->aux);
	}
	if (f->dir == ST_DIR_TX)
		return ST_FR_ERR; /* the body runs until the connection closes */
	return st__http_start(f);
}

static __always_inline int st__http_header(struct st_frame *f, __u8 c)
{
	if (c == '\r')
		return ST_FR_MORE;
	if (c == '\n') {
		if (f->cnt == 0)
			return st__http_headers_done(f);
		if (f->flags & ST_HF_TE_VAL) {
			/* the last coding decides: chunked or until close */
			if ((f->num & 0x00ffffffffffffffull) ==
			    ST__BE8(0, 'c', 'h', 'u', 'n', 'k', 'e', 'd'))
				f->flags |= ST_HF_CHUNKED;
			else
				f->flags &= ~ST_HF_CHUNKED;
		}
		f->flags = (f->flags & ~ST_HF_LINEBITS) | ST_HF_CL_NAME | ST_HF_TE_NAME;
		f->cnt = 0;
		f->num = 0;
		return ST_FR_MORE;
	}
	if (f->cnt >= ST_HTTP_LINE_MAX)
		return ST_FR_ERR;
	if (!(f->flags & ST_HF_VALUE)) {
		if (c == ':') {
			f->flags |= ST_HF_VALUE;
			if ((f->flags & ST_HF_CL_NAME) && f->cnt == 14) {
				f->flags |= ST_HF_CL_VAL | ST_HF_HAS_CL;
				f->aux = 0;
			} else if ((f->flags & ST_HF_TE_NAME) && f->cnt == 17) {
				f->flags |= ST_HF_TE_VAL;
				f->num = 0;
			}
		} else {
			__u8 l = st__lower(c);

			if (f->cnt >= 14 || l != st__http_cl_char(f->cnt))
				f->flags &= ~ST_HF_CL_NAME;
			if (f->cnt >= 17 || l != st__http_te_char(f->cnt))
				f->flags &= ~ST_HF_TE_NAME;
		}
	} else if (f->flags & ST_HF_CL_VAL) {
		if (st__digit(c)) {
			f->aux = f->aux * 10 + (c - '0');
			if (f->aux > ST_HTTP_BODY_MAX)
				return ST_FR_ERR;
		} else if (c != ' ' && c != '\t') {
			return ST_FR_ERR;
		}
	} else if (f->flags & ST_HF_TE_VAL) {
		if (c != ' ' && c != '\t')
			f->num = (f->num << 8) | st__lower(c);
	}
	f->cnt++;
	return ST_FR_MORE;
}

static __always_inline int st__http_chunk(struct st_frame *f, __u8 c)
{
	__u8 v;

	if (c == '\r')
		return ST_FR_MORE;
	if (c == '\n') {
		if (!(f->flags & ST_HF_DIGITS))
			return ST_FR_ERR;
		if (f->num == 0) {
			f->state = ST_H_TRAILER;
			f->cnt = 0;
			return ST_FR_MORE;
		}
		f->state = ST_H_CHUNK_DONE;
		return st__skip(f, f->num + 2);
	}
	if (++f->cnt > ST_HTTP_CHUNK_MAX)
		return ST_FR_ERR;
	if (f->flags & ST_HF_EXT)
		return ST_FR_MORE;
	if (c == ';') {
		f->flags |= ST_HF_EXT;
		return ST_FR_MORE;
	}
	if (c == ' ' || c == '\t')
		return ST_FR_MORE;
	if (st__digit(c))
		v = c - '0';
	else if (st__lower(c) >= 'a' && st__lower(c) <= 'f')
		v = st__lower(c) - 'a' + 10;
	else
		return ST_FR_ERR;
	f->num = (f->num << 4) | v;
	if (f->num > ST_HTTP_BODY_MAX)
		return ST_FR_ERR;
	f->flags |= ST_HF_DIGITS;
	return ST_FR_MORE;
}

static __always_inline int st__http_byte(struct st_frame *f, __u8 c)
{
	switch (f->state) {
	case ST_H_LINE0:
		return st__http_line0(f, c);
	case ST_H_HDR:
		return st__http_header(f, c);
	case ST_H_CHUNK:
		return st__http_chunk(f, c);
	case ST_H_TRAILER:
		if (c == '\r')
			return ST_FR_MORE;
		if (c == '\n') {
			if (f->cnt == 0)
				return st__http_start(f);
			f->cnt = 0;
			return ST_FR_MORE;
		}
		if (++f->cnt > ST_HTTP_LINE_MAX)
			return ST_FR_ERR;
		return ST_FR_MORE;
	}
	return ST_FR_ERR;
}

static __always_inline int st__http_skipped(struct st_frame *f)
{
	if (f->state == ST_H_BODY_DONE)
		return st__http_start(f);
	if (f->state == ST_H_CHUNK_DONE) {
		st__http_chunk_line(f);
		return ST_FR_MORE;
	}
	return ST_FR_ERR;
}

/* ---------------------------------------------------------------------- */
/*
 * MQTT 3.1, 3.1.1 and 5 (both directions alike). One message: one control
 * packet: a fixed-header byte, the remaining length as a varint of 1 to 4
 * bytes, then that many bytes, skipped. Bytes read per packet: 2 to 5.
 * ERR: packet type 0, flags that the type forbids (PUBLISH with QoS 3; PUBREL,
 * SUBSCRIBE, UNSUBSCRIBE without 0x2; others nonzero), a fifth length byte.
 */
#define ST_M_TYPE 0
#define ST_M_LEN  1
#define ST_M_DONE 2

static __always_inline int st__mqtt_byte(struct st_frame *f, __u8 c)
{
	__u8 type = c >> 4, fl = c & 0xf;

	switch (f->state) {
	case ST_M_TYPE:
		if (type == 0)
			return ST_FR_ERR;
		if (type == 3) {
			if ((fl & 6) == 6)
				return ST_FR_ERR;
		} else if (type == 6 || type == 8 || type == 10) {
			if (fl != 2)
				return ST_FR_ERR;
		} else if (fl != 0) {
			return ST_FR_ERR;
		}
		f->sub = c;
		f->state = ST_M_LEN;
		f->cnt = 0;
		f->num = 0;
		return ST_FR_MORE;
	case ST_M_LEN:
		f->num |= (__u64)(c & 0x7f) << (7 * (f->cnt & 3));
		f->cnt++;
		if (c & 0x80) {
			if (f->cnt >= 4)
				return ST_FR_ERR;
			return ST_FR_MORE;
		}
		f->state = ST_M_DONE;
		return st__skip(f, f->num);
	}
	return ST_FR_ERR;
}

static __always_inline int st__mqtt_skipped(struct st_frame *f)
{
	if (f->state != ST_M_DONE)
		return ST_FR_ERR;
	f->state = ST_M_TYPE;
	return ST_FR_END;
}

/* ---------------------------------------------------------------------- */
/*
 * NATS client protocol (both directions alike). One message: one op line
 * (CONNECT, SUB, UNSUB, PING, PONG, INFO, +OK, -ERR; case-insensitive), and
 * PUB/HPUB (RX) or MSG/HMSG (TX) with its payload: the last token of the
 * line is the payload size (for HPUB/HMSG the total of headers and body);
 * the payload and its CRLF are skipped. Lines are counted, not stored: the
 * op word (at most 8 bytes) and the digits of the current token are kept.
 * CR is ignored, LF ends a line; blank lines are not messages.
 * Bounds: lines 64 KiB (INFO and CONNECT carry JSON of a few KiB), payloads
 * 1 GiB. ERR: an unknown op, a payload op whose last token is not a number,
 * a longer line.
 */
#define ST_N_OP	  0 /* the op word */
#define ST_N_ARGS 1 /* the rest of the line */
#define ST_N_DONE 2 /* after a skipped payload */

#define ST_NF_SEP    1 /* whitespace since the last token byte */
#define ST_NF_DIGITS 2 /* the current token is all digits so far */

#define ST_NATS_LINE_MAX (64 * 1024)
#define ST_NATS_PAY_MAX	 (1ull << 30)

/* 1: an op with a payload, 0: a line op, -1: unknown */
static __always_inline int st__nats_op(__u64 w)
{
	switch (w) {
	case ST__BE8(0, 0, 0, 0, 0, 'P', 'U', 'B'):
	case ST__BE8(0, 0, 0, 0, 'H', 'P', 'U', 'B'):
	case ST__BE8(0, 0, 0, 0, 0, 'M', 'S', 'G'):
	case ST__BE8(0, 0, 0, 0, 'H', 'M', 'S', 'G'):
		return 1;
	case ST__BE8(0, 'C', 'O', 'N', 'N', 'E', 'C', 'T'):
	case ST__BE8(0, 0, 0, 0, 0, 'S', 'U', 'B'):
	case ST__BE8(0, 0, 0, 'U', 'N', 'S', 'U', 'B'):
	case ST__BE8(0, 0, 0, 0, 'P', 'I', 'N', 'G'):
	case ST__BE8(0, 0, 0, 0, 'P', 'O', 'N', 'G'):
	case ST__BE8(0, 0, 0, 0, 'I', 'N', 'F', 'O'):
	case ST__BE8(0, 0, 0, 0, 0, '+', 'O', 'K'):
	case ST__BE8(0, 0, 0, 0, '-', 'E', 'R', 'R'):
		return 0;
	}
	return -1;
}

static __always_inline int st__nats_byte(struct st_frame *f, __u8 c)
{
	int op;

	if (c == '\r')
		return ST_FR_MORE;
	if (f->cnt >= ST_NATS_LINE_MAX)
		return ST_FR_ERR;
	switch (f->state) {
	case ST_N_OP:
		if (c == '\n' && f->cnt == 0)
			return ST_FR_MORE; /* a blank line */
		if (c == ' ' || c == '\t' || c == '\n') {
			op = st__nats_op(f->num);
			if (op < 0 || f->cnt == 0)
				return ST_FR_ERR;
			f->sub = op;
			f->num = 0;
			f->flags = ST_NF_SEP;
			if (c == '\n') {
				if (op)
					return ST_FR_ERR;
				f->cnt = 0;
				return ST_FR_END;
			}
			f->state = ST_N_ARGS;
			f->cnt++;
			return ST_FR_MORE;
		}
		if (f->cnt >= 8)
			return ST_FR_ERR;
		f->num = (f->num << 8) | st__upper(c);
		f->cnt++;
		return ST_FR_MORE;
	case ST_N_ARGS:
		if (c == '\n') {
			int payload = f->sub && (f->flags & ST_NF_DIGITS);

			if (f->sub && !payload)
				return ST_FR_ERR;
			f->cnt = 0;
			f->flags = 0;
			if (!payload) {
				f->state = ST_N_OP;
				f->num = 0;
				return ST_FR_END;
			}
			f->state = ST_N_DONE;
			return st__skip(f, f->num + 2);
		}
		f->cnt++;
		if (c == ' ' || c == '\t') {
			f->flags |= ST_NF_SEP;
			return ST_FR_MORE;
		}
		if (f->flags & ST_NF_SEP) {
			f->flags = ST_NF_DIGITS; /* a new token */
			f->num = 0;
		}
		if (!st__digit(c)) {
			f->flags &= ~ST_NF_DIGITS;
		} else if (f->flags & ST_NF_DIGITS) {
			f->num = f->num * 10 + (c - '0');
			if (f->num > ST_NATS_PAY_MAX)
				f->flags &= ~ST_NF_DIGITS;
		}
		return ST_FR_MORE;
	}
	return ST_FR_ERR;
}

static __always_inline int st__nats_skipped(struct st_frame *f)
{
	if (f->state != ST_N_DONE)
		return ST_FR_ERR;
	f->state = ST_N_OP;
	f->num = 0;
	return ST_FR_END;
}

/* ---------------------------------------------------------------------- */
/*
 * Kafka (both directions alike). One message: an int32 big-endian size and
 * that many bytes, skipped. Bytes read per message: 4. ERR: a size of 0,
 * negative, or above 100 MiB (the broker's default socket.request.max.bytes).
 */
#define ST_K_SIZE 0
#define ST_K_DONE 1

#define ST_KAFKA_MAX (100u << 20)

static __always_inline int st__kafka_byte(struct st_frame *f, __u8 c)
{
	if (f->state != ST_K_SIZE)
		return ST_FR_ERR;
	f->num = (f->num << 8) | c;
	if (++f->cnt < 4)
		return ST_FR_MORE;
	if (f->num == 0 || f->num > ST_KAFKA_MAX)
		return ST_FR_ERR;
	f->state = ST_K_DONE;
	return st__skip(f, f->num);
}

static __always_inline int st__kafka_skipped(struct st_frame *f)
{
	if (f->state != ST_K_DONE)
		return ST_FR_ERR;
	f->state = ST_K_SIZE;
	f->cnt = 0;
	f->num = 0;
	return ST_FR_END;
}

/* ---------------------------------------------------------------------- */
/*
 * AMQP 0-9-1. RX starts with the protocol header "AMQP\0\0\x09\x01" (8 bytes,
 * not a message; a first byte other than 'A' is taken as a frame type, for
 * framing that starts mid-stream). Frames: type (1), channel (2), size (4),
 * payload, frame-end 0xCE. One message: one method frame (type 1), except
 * the content-carrying methods Basic.Publish (60,40), Basic.Return (60,50),
 * Basic.Deliver (60,60) and Basic.Get-Ok (60,71): their message also takes
 * the content header frame (type 2; the body size is the 8 bytes at payload
 * offset 4) and the body frames (type 3) until that many bytes came, and
 * ends with the last body frame (or the header frame for an empty body).
 * Heartbeats (type 8) are no message. Bytes read per frame: 7 + 4 of a
 * method, 7 + 12 of a content header, 7 of a body, and the frame end; the
 * rest is skipped. Bounds: frames 1 GiB. ERR: a bad protocol header, frame
 * type or frame end, content frames that no content method announced, or a
 * method frame inside a content (frames of another channel interleaved with
 * a content are not followed), a body longer than announced.
 */
#define ST_A_PROTO   0 /* the 8-byte protocol header (RX) */
#define ST_A_TYPE    1 /* the frame type */
#define ST_A_HDR     2 /* channel and size */
#define ST_A_PAYLOAD 3 /* the first payload bytes: class/method, or content header */
#define ST_A_FEND    4 /* the frame-end byte */
#define ST_A_DONE    5 /* after the skipped rest of a payload */

#define ST_AF_WANT_HDR	1 /* a content method came: its header frame is next */
#define ST_AF_WANT_BODY 2 /* body frames are due */

#define ST_AMQP_FRAME_MAX (1u << 30)

static __always_inline int st__amqp_content_method(__u32 cm)
{
	return cm == (60u << 16 | 40) || cm == (60u << 16 | 50) || cm == (60u << 16 | 60) ||
	       cm == (60u << 16 | 71);
}

static __always_inline int st__amqp_frame_end(struct st_frame *f)
{
	__u32 size = f->left[0];

	f->state = ST_A_TYPE;
	switch (f->sub) {
	case 1:
		if (f->flags)
			return ST_FR_ERR;
		if (st__amqp_content_method(f->left[1])) {
			f->flags = ST_AF_WANT_HDR;
			return ST_FR_MORE;
		}
		return ST_FR_END;
	case 2:
		if (f->flags != ST_AF_WANT_HDR)
			return ST_FR_ERR;
		if (f->aux == 0) {
			f->flags = 0;
			return ST_FR_END;
		}
		f->flags = ST_AF_WANT_BODY;
		return ST_FR_MORE;
	case 3:
		if (f->flags != ST_AF_WANT_BODY || size > f->aux)
			return ST_FR_ERR;
		f->aux -= size;
		if (f->aux == 0) {
			f->flags = 0;
			return ST_FR_END;
		}
		return ST_FR_MORE;
	}
	return ST_FR_MORE; /* a heartbeat */
}

static __always_inline int st__amqp_byte(struct st_frame *f, __u8 c)
{
	__u32 size;

	switch (f->state) {
	case ST_A_PROTO:
		if (f->cnt == 0 && c != 'A') {
			f->state = ST_A_TYPE;
			break;
		}
		if (c != (__u8)(ST__LE8('A', 'M', 'Q', 'P', 0, 0, 9, 1) >> (8 * (f->cnt & 7))))
			return ST_FR_ERR;
		if (++f->cnt == 8) {
			f->state = ST_A_TYPE;
			f->cnt = 0;
		}
		return ST_FR_MORE;
	case ST_A_HDR:
		f->cnt++;
		if (f->cnt <= 2)
			return ST_FR_MORE; /* the channel */
		f->num = (f->num << 8) | c;
		if (f->cnt < 6)
			return ST_FR_MORE;
		if (f->num > ST_AMQP_FRAME_MAX)
			return ST_FR_ERR;
		size = (__u32)f->num;
		f->left[0] = size;
		f->cnt = 0;
		f->num = 0;
		if (f->sub == 1 || f->sub == 2) {
			if (size < (f->sub == 1 ? 4u : 12u))
				return ST_FR_ERR;
			f->state = ST_A_PAYLOAD;
			return ST_FR_MORE;
		}
		f->state = ST_A_DONE;
		return st__skip(f, size);
	case ST_A_PAYLOAD:
		f->num = (f->num << 8) | c;
		f->cnt++;
		if (f->sub == 1) {
			if (f->cnt < 4)
				return ST_FR_MORE;
			f->left[1] = (__u32)f->num;
			f->state = ST_A_DONE;
			return st__skip(f, f->left[0] - 4);
		}
		if (f->cnt == 4)
			f->num = 0; /* class and weight are not needed */
		if (f->cnt < 12)
			return ST_FR_MORE;
		f->aux = f->num;
		f->state = ST_A_DONE;
		return st__skip(f, f->left[0] - 12);
	case ST_A_FEND:
		if (c != 0xce)
			return ST_FR_ERR;
		return st__amqp_frame_end(f);
	}
	if (f->state != ST_A_TYPE)
		return ST_FR_ERR;
	if (c != 1 && c != 2 && c != 3 && c != 8)
		return ST_FR_ERR;
	f->sub = c;
	f->state = ST_A_HDR;
	f->cnt = 0;
	f->num = 0;
	return ST_FR_MORE;
}

static __always_inline int st__amqp_skipped(struct st_frame *f)
{
	if (f->state != ST_A_DONE)
		return ST_FR_ERR;
	f->state = ST_A_FEND;
	return ST_FR_MORE;
}

/* ---------------------------------------------------------------------- */
/* The interface */

static __always_inline void st_frame_init(struct st_frame *f, __u8 proto, int dir)
{
	int i;

	f->proto = proto;
	f->dir = (__u8)dir;
	f->state = 0;
	f->depth = 0;
	f->skip = 0;
	f->num = 0;
	for (i = 0; i < 4; i++)
		f->left[i] = 0;
	f->aux = 0;
	f->cnt = 0;
	f->sub = 0;
	f->flags = 0;
	f->pad = 0;
	if (proto == ST_PROTO_AMQP && dir == ST_DIR_TX)
		f->state = ST_A_TYPE; /* only the client sends the protocol header */
}

static __always_inline int st_frame_byte(struct st_frame *f, __u8 c)
{
	switch (f->proto) {
	case ST_PROTO_RESP:
		return st__resp_byte(f, c);
	case ST_PROTO_POSTGRES:
		return st__pg_byte(f, c);
	case ST_PROTO_HTTP1:
		return st__http_byte(f, c);
	case ST_PROTO_MQTT:
		return st__mqtt_byte(f, c);
	case ST_PROTO_NATS:
		return st__nats_byte(f, c);
	case ST_PROTO_KAFKA:
		return st__kafka_byte(f, c);
	case ST_PROTO_AMQP:
		return st__amqp_byte(f, c);
	}
	return ST_FR_ERR;
}

static __always_inline int st_frame_skipped(struct st_frame *f)
{
	switch (f->proto) {
	case ST_PROTO_RESP:
		return st__resp_skipped(f);
	case ST_PROTO_POSTGRES:
		return st__pg_skipped(f);
	case ST_PROTO_HTTP1:
		return st__http_skipped(f);
	case ST_PROTO_MQTT:
		return st__mqtt_skipped(f);
	case ST_PROTO_NATS:
		return st__nats_skipped(f);
	case ST_PROTO_KAFKA:
		return st__kafka_skipped(f);
	case ST_PROTO_AMQP:
		return st__amqp_skipped(f);
	}
	return ST_FR_ERR;
}

/*
 * One step of a driver over avail (> 0) bytes of a stream whose first is c:
 * passes over pending payload (c is not looked at then) or takes c as a
 * header byte. Returns how many bytes it consumed; *res gets the ST_FR_
 * result (ST_FR_MORE while payload remains, ST_FR_SKIP when c announced a
 * payload). One call per bpf_loop iteration keeps the work per read bounded.
 */
static __always_inline __u32 st_frame_step(struct st_frame *f, __u8 c, __u32 avail, int *res)
{
	__u32 n;

	if (f->skip) {
		n = f->skip < avail ? f->skip : avail;
		f->skip -= n;
		*res = f->skip ? ST_FR_MORE : st_frame_skipped(f);
		return n;
	}
	*res = st_frame_byte(f, c);
	return 1;
}

/* ---------------------------------------------------------------------- */
/*
 * Word at a time: st_frame_step8() takes a whole small header in one step
 * when it lies within the next 8 bytes (RESP `$16\r\n`, `*3\r\n`, `+OK\r\n`;
 * a PostgreSQL type and length; an MQTT fixed header; a Kafka size; an AMQP
 * frame header and method ids), and 8 bytes of a NATS line where only the
 * line's end matters (the JSON of INFO and CONNECT). It only ever takes
 * what the byte path would take without error, and leaves the state as the
 * byte path would for what follows, so message ends and error bytes are the
 * same as st_frame_step()'s at every split (the unit tests check this);
 * anything else goes one byte at a time.
 */
static __always_inline __u8 st__wb(__u64 w, __u32 i)
{
	return (__u8)(w >> (8 * (i & 7)));
}

static __always_inline __u32 st__resp_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	__u8 t = st__wb(w, 0), c;
	__u32 i, k = 0, digits = 0;
	__u64 v = 0;
	int neg = 0;

	if (f->state != ST_R_TYPE || n < 3)
		return 0;
	if (f->dir == ST_DIR_RX && (f->depth == 0 ? t != '*' : t != '$'))
		return 0;
	switch (t) {
	case '$':
	case '!':
	case '=':
	case '*':
	case '~':
	case '>':
	case '%':
	case '|':
		for (i = 1; i < 7; i++) {
			if (i >= n)
				return 0;
			c = st__wb(w, i);
			if (c == '\r') {
				k = i;
				break;
			}
			if (c == '-' && i == 1) {
				neg = 1;
				continue;
			}
			if (!st__digit(c))
				return 0;
			v = v * 10 + (c - '0');
			digits++;
		}
		if (!k || !digits || k + 1 >= n || st__wb(w, k + 1) != '\n')
			return 0;
		/* a sixth nesting level is an error: the byte path says where */
		if (!neg && v && f->depth >= ST_RESP_DEPTH &&
		    (t == '*' || t == '~' || t == '>' || t == '%' || t == '|'))
			return 0;
		f->sub = t;
		f->num = v;
		f->cnt = digits;
		f->flags = (f->flags & ~ST_RF_NEG) | (neg ? ST_RF_NEG : 0);
		*res = st__resp_num_done(f);
		return k + 2;
	case '+':
	case '-':
	case ':':
	case ',':
	case '(':
	case '#':
	case '_':
		for (i = 1; i < 7; i++) {
			if (i >= n)
				return 0;
			c = st__wb(w, i);
			if (c == '\r') {
				k = i;
				break;
			}
			if (c == '\n')
				return 0;
		}
		if (!k || k + 1 >= n || st__wb(w, k + 1) != '\n')
			return 0;
		f->sub = t;
		f->cnt = k - 1;
		*res = st__resp_elem_done(f);
		return k + 2;
	}
	return 0;
}

static __always_inline __u32 st__pg_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	__u8 t = st__wb(w, 0);
	__u32 len;

	if (n < 5)
		return 0;
	/* (the TX stream's first byte may be the one-byte SSL answer) */
	if (f->state != ST_P_TYPE && !(f->state == ST_P_START && f->dir == ST_DIR_RX && t != 0))
		return 0;
	if (f->dir == ST_DIR_RX ? !st__pg_front_type(t) : !st__pg_back_type(t))
		return 0;
	len = (__u32)st__wb(w, 1) << 24 | (__u32)st__wb(w, 2) << 16 | (__u32)st__wb(w, 3) << 8 |
	      st__wb(w, 4);
	if (len < 4 || len > ST_PG_LEN_MAX)
		return 0;
	f->sub = t;
	f->cnt = 4;
	f->num = len;
	f->state = ST_P_AFTER;
	*res = st__skip(f, len - 4);
	return 5;
}

static __always_inline __u32 st__mqtt_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	__u8 t = st__wb(w, 0), type = t >> 4, fl = t & 0xf, c;
	__u32 i, k = 0;
	__u64 v = 0;

	if (f->state != ST_M_TYPE || n < 2)
		return 0;
	if (type == 0)
		return 0;
	if (type == 3) {
		if ((fl & 6) == 6)
			return 0;
	} else if (type == 6 || type == 8 || type == 10) {
		if (fl != 2)
			return 0;
	} else if (fl != 0) {
		return 0;
	}
	for (i = 1; i <= 4; i++) {
		if (i >= n)
			return 0;
		c = st__wb(w, i);
		v |= (__u64)(c & 0x7f) << (7 * (i - 1));
		if (!(c & 0x80)) {
			k = i;
			break;
		}
	}
	if (!k)
		return 0;
	f->sub = t;
	f->cnt = k;
	f->num = v;
	f->state = ST_M_DONE;
	*res = st__skip(f, v);
	return k + 1;
}

static __always_inline __u32 st__kafka_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	__u32 size;

	if (f->state != ST_K_SIZE || f->cnt != 0 || n < 4)
		return 0;
	size = (__u32)st__wb(w, 0) << 24 | (__u32)st__wb(w, 1) << 16 | (__u32)st__wb(w, 2) << 8 |
	       st__wb(w, 3);
	if (size == 0 || size > ST_KAFKA_MAX)
		return 0;
	f->cnt = 4;
	f->num = size;
	f->state = ST_K_DONE;
	*res = st__skip(f, size);
	return 4;
}

static __always_inline __u32 st__amqp_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	__u8 t = st__wb(w, 0);
	__u32 size;

	if (f->state == ST_A_PAYLOAD && f->sub == 1 && f->cnt == 0 && n >= 4) {
		/* class and method ids */
		f->left[1] = (__u32)st__wb(w, 0) << 24 | (__u32)st__wb(w, 1) << 16 |
			     (__u32)st__wb(w, 2) << 8 | st__wb(w, 3);
		f->num = f->left[1];
		f->cnt = 4;
		f->state = ST_A_DONE;
		*res = st__skip(f, f->left[0] - 4);
		return 4;
	}
	if (f->state != ST_A_TYPE || n < 7 || (t != 1 && t != 2 && t != 3 && t != 8))
		return 0;
	size = (__u32)st__wb(w, 3) << 24 | (__u32)st__wb(w, 4) << 16 | (__u32)st__wb(w, 5) << 8 |
	       st__wb(w, 6);
	if (size > ST_AMQP_FRAME_MAX || (t == 1 && size < 4) || (t == 2 && size < 12))
		return 0;
	f->sub = t;
	f->left[0] = size;
	f->cnt = 0;
	f->num = 0;
	if (t == 1 || t == 2) {
		f->state = ST_A_PAYLOAD;
		*res = ST_FR_MORE;
		return 7;
	}
	f->state = ST_A_DONE;
	*res = st__skip(f, size);
	return 7;
}

/* 1 when the 8 bytes of w hold neither CR nor LF (exact: the classic
 * zero-byte test has no false positive for "is there any") */
static __always_inline int st__no_crlf(__u64 w)
{
	const __u64 ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	__u64 cr = w ^ (ones * '\r'), lf = w ^ (ones * '\n');

	return !(((cr - ones) & ~cr & highs) | ((lf - ones) & ~lf & highs));
}

/* NATS: 8 bytes of an op line without a payload (CONNECT and INFO carry
 * JSON): only its end and length matter */
static __always_inline __u32 st__nats_fast(struct st_frame *f, __u64 w, __u32 n, int *res)
{
	if (n < 8 || f->state != ST_N_ARGS || f->sub || !st__no_crlf(w) ||
	    f->cnt + 8 > ST_NATS_LINE_MAX)
		return 0;
	f->cnt += 8; /* the token state is reset at the line's end */
	*res = ST_FR_MORE;
	return 8;
}

/* Whether st_frame_step8() pays for its word load with this protocol: not
 * for HTTP/1, whose header names and values are mostly short (measured by
 * make bpf-unit: no faster), so a driver calls st_frame_step() for it. */
static __always_inline int st_frame_wordwise(const struct st_frame *f)
{
	return f->proto != ST_PROTO_HTTP1;
}

/*
 * st_frame_step() with up to 8 header bytes at once: w holds the next
 * min(avail, 8) bytes of the stream, the first in the lowest byte (a
 * little-endian load; bytes past avail are not looked at). Same results,
 * fewer steps: a Redis SET is 7 steps instead of 20.
 */
static __always_inline __u32 st_frame_step8(struct st_frame *f, __u64 w, __u32 avail, int *res)
{
	__u32 n = avail < 8 ? avail : 8, k = 0;

	if (f->skip)
		return st_frame_step(f, 0, avail, res);
	switch (f->proto) {
	case ST_PROTO_RESP:
		k = st__resp_fast(f, w, n, res);
		break;
	case ST_PROTO_POSTGRES:
		k = st__pg_fast(f, w, n, res);
		break;
	case ST_PROTO_MQTT:
		k = st__mqtt_fast(f, w, n, res);
		break;
	case ST_PROTO_KAFKA:
		k = st__kafka_fast(f, w, n, res);
		break;
	case ST_PROTO_AMQP:
		k = st__amqp_fast(f, w, n, res);
		break;
	case ST_PROTO_NATS:
		k = st__nats_fast(f, w, n, res);
		break;
	}
	if (k)
		return k;
	*res = st_frame_byte(f, (__u8)w);
	return 1;
}

/* ---------------------------------------------------------------------- */
/*
 * Detection. Each check says 1 (this protocol), 0 (could be: more bytes
 * needed) or -1 (not it); the first 1 wins unless a check before it said 0.
 */
#define ST__D_NO   -1
#define ST__D_NEED 0
#define ST__D_YES  1

/* 1 when byte i of the first n is there, without a comparison the verifier
 * would branch on (i, n <= 16) */
static __always_inline int st__has(__u32 n, __u32 i)
{
	return ((i - n) >> 31) & 1;
}

/* b[i & 15]. In BPF the empty asm hides the mask's range from clang, which
 * would otherwise turn stack + i into stack | i (the buffer being 16-byte
 * aligned), and the verifier refuses | on a pointer. */
static __always_inline __u8 st__at(const __u8 *b, __u32 i)
{
	i &= ST_DETECT_BYTES - 1;
#ifdef __bpf__
	asm volatile("" : "+r"(i));
#endif
	return b[i];
}

/* A string literal of up to 8 bytes packed as ST__LE8 does, at compile time
 * (constant indices fold away, so no string lands in .rodata). */
#define ST__CH(s, i) ((__u64)(sizeof(s) > (i) + 1 ? (__u8)(s)[(i) % sizeof(s)] : 0) << (8 * (i)))
#define ST__STR8(s)                                                                                \
	(ST__CH(s, 0) | ST__CH(s, 1) | ST__CH(s, 2) | ST__CH(s, 3) | ST__CH(s, 4) | ST__CH(s, 5) | \
	 ST__CH(s, 6) | ST__CH(s, 7))
/* b[off..) starts with the literal s (at most 8 bytes), as far as n bytes go */
#define ST__PFX(b, n, off, s) \
	st__pfx8(b, n, off, ST__STR8(s), sizeof(s) - 1 + 0 * sizeof(char[sizeof(s) <= 9 ? 1 : -1]))

static __always_inline int st__pfx8(const __u8 *b, __u32 n, __u32 off, __u64 w, __u32 wlen)
{
	__u32 i;

	for (i = 0; i < 8; i++) {
		if (i >= wlen)
			break;
		if (!st__has(n, off + i))
			return ST__D_NEED;
		if (st__at(b, off + i) != (__u8)(w >> (8 * i)))
			return ST__D_NO;
	}
	return ST__D_YES;
}

/* two checks that must both hold, the second on later bytes */
static __always_inline int st__both(int r1, int r2)
{
	return r1 != ST__D_YES ? r1 : r2;
}

static __always_inline __u32 st__be32(const __u8 *b, __u32 off)
{
	return (__u32)st__at(b, off) << 24 | (__u32)st__at(b, off + 1) << 16 |
	       (__u32)st__at(b, off + 2) << 8 | st__at(b, off + 3);
}

/* PostgreSQL startup: int32 length 8..10000, then a known code */
static __always_inline int st__detect_pg_startup(const __u8 *b, __u32 n)
{
	__u32 l, code;

	if (!st__has(n, 7))
		return (st__has(n, 0) && st__at(b, 0) != 0) ? ST__D_NO : ST__D_NEED;
	l = st__be32(b, 0);
	code = st__be32(b, 4);
	if (l < 8 || l > ST_PG_STARTMAX)
		return ST__D_NO;
	if (code == ST_PG_PROTO3 || code == ST_PG_SSL || code == ST_PG_GSSENC ||
	    code == ST_PG_CANCEL)
		return ST__D_YES;
	return ST__D_NO;
}

/* PostgreSQL simple query mid-stream: 'Q', a length, query text, NUL at the end */
static __always_inline int st__detect_pg_query(const __u8 *b, __u32 n)
{
	__u32 l, i;

	if (st__at(b, 0) != 'Q')
		return ST__D_NO;
	if (!st__has(n, 5))
		return ST__D_NEED;
	l = st__be32(b, 1);
	if (l < 6 || l > (1u << 24))
		return ST__D_NO;
	for (i = 5; i < ST_DETECT_BYTES; i++) {
		__u8 c = st__at(b, i);

		if (!st__has(n, i))
			break;
		if (i == l) /* the last byte of the message */
			return c == 0 ? ST__D_YES : ST__D_NO;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return ST__D_NO;
	}
	return ST__D_YES;
}

/* Kafka request: size, api_key 0..100, api_version 0..30 */
static __always_inline int st__detect_kafka(const __u8 *b, __u32 n)
{
	__u32 size, key, ver;

	if (!st__has(n, 7))
		return (st__has(n, 0) && st__at(b, 0) != 0) ? ST__D_NO : ST__D_NEED;
	size = st__be32(b, 0);
	key = (__u32)st__at(b, 4) << 8 | st__at(b, 5);
	ver = (__u32)st__at(b, 6) << 8 | st__at(b, 7);
	if (size < 8 || size > ST_KAFKA_MAX || key > 100 || ver > 30)
		return ST__D_NO;
	return ST__D_YES;
}

/* MQTT CONNECT: 0x10, remaining length, protocol name MQTT or MQIsdp */
static __always_inline int st__detect_mqtt_connect(const __u8 *b, __u32 n)
{
	__u32 i, off = 0;
	int r4, r3; /* MQTT 3.1.1 and 5's name, 3.1's */

	if (st__at(b, 0) != 0x10)
		return ST__D_NO;
	for (i = 1; i <= 4; i++) {
		if (!st__has(n, i))
			return ST__D_NEED;
		if (!(st__at(b, i) & 0x80)) {
			off = i + 1;
			break;
		}
	}
	if (off == 0)
		return ST__D_NO;
	/* each name compared once (twice cost the verifier 1k instructions) */
	r4 = ST__PFX(b, n, off, "\0\4MQTT");
	if (r4 == ST__D_YES)
		return ST__D_YES;
	r3 = ST__PFX(b, n, off, "\0\6MQIsdp");
	if (r3 == ST__D_YES)
		return ST__D_YES;
	return (r4 == ST__D_NEED || r3 == ST__D_NEED) ? ST__D_NEED : ST__D_NO;
}

/* MQTT CONNACK: 0x20, remaining length >= 2, acknowledge flags 0 or 1 */
static __always_inline int st__detect_mqtt_connack(const __u8 *b, __u32 n)
{
	__u32 flags_at = 2;

	if (st__at(b, 0) != 0x20)
		return ST__D_NO;
	if (!st__has(n, 1))
		return ST__D_NEED;
	if (st__at(b, 1) & 0x80)
		flags_at = 3;
	else if (st__at(b, 1) < 2)
		return ST__D_NO;
	if (!st__has(n, flags_at))
		return ST__D_NEED;
	return st__at(b, flags_at) <= 1 ? ST__D_YES : ST__D_NO;
}

/* The first word of a text protocol: up to 16 letters and the byte after
 * them; the first 8 letters packed as ST__BE8 does (0 when longer). */
struct st__word {
	__u64 w;
	__u32 term;
};

static __always_inline int st__first_word(const __u8 *b, __u32 n, struct st__word *wd)
{
	__u32 i;

	wd->w = 0;
	wd->term = 0;
	for (i = 0; i < ST_DETECT_BYTES; i++) {
		__u8 c;

		if (!st__has(n, i))
			return ST__D_NEED;
		c = st__at(b, i);
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			wd->w = i < 8 ? (wd->w << 8 | c) : 0;
			continue;
		}
		if (i == 0)
			return ST__D_NO;
		wd->term = c;
		return ST__D_YES;
	}
	return ST__D_NO;
}

/* NATS ops that start a client's (RX) or a server's (TX) stream, or that a
 * message can start with mid-stream: CONNECT {, PUB, HPUB, SUB, UNSUB;
 * INFO {, MSG, HMSG */
static __always_inline int st__detect_nats(const __u8 *b, __u32 n, int wr,
					   const struct st__word *wd, int dir)
{
	if (wr != ST__D_YES)
		return wr;
	if (wd->term != ' ')
		return ST__D_NO;
	if (dir == ST_DIR_RX) {
		switch (wd->w) {
		case ST__BE8(0, 'C', 'O', 'N', 'N', 'E', 'C', 'T'):
			if (!st__has(n, 8))
				return ST__D_NEED;
			return st__at(b, 8) == '{' ? ST__D_YES : ST__D_NO;
		case ST__BE8(0, 0, 0, 0, 0, 'P', 'U', 'B'):
		case ST__BE8(0, 0, 0, 0, 'H', 'P', 'U', 'B'):
		case ST__BE8(0, 0, 0, 0, 0, 'S', 'U', 'B'):
		case ST__BE8(0, 0, 0, 'U', 'N', 'S', 'U', 'B'):
			return ST__D_YES;
		}
		return ST__D_NO;
	}
	switch (wd->w) {
	case ST__BE8(0, 0, 0, 0, 'I', 'N', 'F', 'O'):
		if (!st__has(n, 5))
			return ST__D_NEED;
		return st__at(b, 5) == '{' ? ST__D_YES : ST__D_NO;
	case ST__BE8(0, 0, 0, 0, 0, 'M', 'S', 'G'):
	case ST__BE8(0, 0, 0, 0, 'H', 'M', 'S', 'G'):
		return ST__D_YES;
	}
	return ST__D_NO;
}

/* an HTTP request line: a known method, SP, then a target ('/', '*', an
 * absolute http URI, or CONNECT's host:port) */
static __always_inline int st__detect_http_req(const __u8 *b, __u32 n, int wr,
					       const struct st__word *wd)
{
	__u32 m;
	__u8 t;

	if (wr != ST__D_YES)
		return wr;
	if (wd->term != ' ')
		return ST__D_NO;
	switch (wd->w) {
	case ST__BE8(0, 0, 0, 0, 0, 'G', 'E', 'T'):
	case ST__BE8(0, 0, 0, 0, 0, 'P', 'U', 'T'):
		m = 4;
		break;
	case ST__BE8(0, 0, 0, 0, 'H', 'E', 'A', 'D'):
	case ST__BE8(0, 0, 0, 0, 'P', 'O', 'S', 'T'):
		m = 5;
		break;
	case ST__BE8(0, 0, 0, 'T', 'R', 'A', 'C', 'E'):
	case ST__BE8(0, 0, 0, 'P', 'A', 'T', 'C', 'H'):
		m = 6;
		break;
	case ST__BE8(0, 0, 'D', 'E', 'L', 'E', 'T', 'E'):
		m = 7;
		break;
	case ST__BE8(0, 'O', 'P', 'T', 'I', 'O', 'N', 'S'):
	case ST__BE8(0, 'C', 'O', 'N', 'N', 'E', 'C', 'T'):
		m = 8;
		break;
	default:
		return ST__D_NO;
	}
	if (!st__has(n, m))
		return ST__D_NEED;
	t = st__at(b, m);
	if (t == '/' || t == '*')
		return ST__D_YES;
	if (wd->w == ST__BE8(0, 'C', 'O', 'N', 'N', 'E', 'C', 'T'))
		return ((t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z') || st__digit(t) ||
			t == '[')
			       ? ST__D_YES
			       : ST__D_NO;
	return ST__PFX(b, n, m, "http");
}

/* RESP command array mid-stream: *<digits>\r\n$ */
static __always_inline int st__detect_resp_array(const __u8 *b, __u32 n)
{
	__u32 i;

	if (st__at(b, 0) != '*')
		return ST__D_NO;
	for (i = 1; i < 12; i++) {
		__u8 c;

		if (!st__has(n, i))
			return ST__D_NEED;
		c = st__at(b, i);
		if (st__digit(c))
			continue;
		if (i == 1 || c != '\r')
			return ST__D_NO;
		if (!st__has(n, i + 1))
			return ST__D_NEED;
		if (st__at(b, i + 1) != '\n')
			return ST__D_NO;
		if (!st__has(n, i + 2))
			return ST__D_NEED;
		return st__at(b, i + 2) == '$' ? ST__D_YES : ST__D_NO;
	}
	return ST__D_NO;
}

/* RESP at the start of a client stream: *<digit>, or an inline command word
 * (letters, then SP, CR or LF) */
static __always_inline int st__detect_resp_rx(const __u8 *b, __u32 n, int wr,
					      const struct st__word *wd)
{
	if (st__at(b, 0) == '*') {
		if (!st__has(n, 1))
			return ST__D_NEED;
		return st__digit(st__at(b, 1)) ? ST__D_YES : ST__D_NO;
	}
	if (wr != ST__D_YES)
		return wr;
	return (wd->term == ' ' || wd->term == '\r' || wd->term == '\n') ? ST__D_YES : ST__D_NO;
}

/* RESP at the start of a server stream: a reply type byte and a fitting second */
static __always_inline int st__detect_resp_tx(const __u8 *b, __u32 n)
{
	__u8 c;

	switch (st__at(b, 0)) {
	case '+':
	case '-':
	case ':':
	case '$':
	case '*':
	case '%':
	case '~':
	case '>':
	case '_':
	case ',':
	case '#':
	case '(':
	case '!':
	case '=':
	case '|':
		break;
	default:
		return ST__D_NO;
	}
	if (!st__has(n, 1))
		return ST__D_NEED;
	c = st__at(b, 1);
	switch (st__at(b, 0)) {
	case '+':
		return (c >= 0x20 || c == '\r') ? ST__D_YES : ST__D_NO;
	case '-':
		return (c >= 'A' && c <= 'Z') ? ST__D_YES : ST__D_NO;
	case ':':
	case '$':
	case '*':
	case '(':
	case ',':
		return (st__digit(c) || c == '-') ? ST__D_YES : ST__D_NO;
	case '_':
		return c == '\r' ? ST__D_YES : ST__D_NO;
	case '#':
		return (c == 't' || c == 'f') ? ST__D_YES : ST__D_NO;
	}
	return st__digit(c) ? ST__D_YES : ST__D_NO;
}

/* PostgreSQL server stream: the one-byte SSL refusal, or Authentication */
static __always_inline int st__detect_pg_tx(const __u8 *b, __u32 n)
{
	__u32 l, code;

	if (st__at(b, 0) == 'N') /* alone in its write, or followed by Authentication */
		return (!st__has(n, 1) || st__at(b, 1) == 'R') ? ST__D_YES : ST__D_NO;
	if (st__at(b, 0) != 'R')
		return ST__D_NO;
	if (!st__has(n, 8))
		return ST__D_NEED;
	l = st__be32(b, 1);
	code = st__be32(b, 5);
	return (l >= 8 && l <= 2048 && code <= 12) ? ST__D_YES : ST__D_NO;
}

/* AMQP server stream: Connection.Start, a method frame (10,10) on channel 0 */
static __always_inline int st__detect_amqp_tx(const __u8 *b, __u32 n)
{
	int r = ST__PFX(b, n, 0, "\1\0\0");
	__u32 size;

	if (r != ST__D_YES)
		return r;
	if (!st__has(n, 10))
		return ST__D_NEED;
	size = st__be32(b, 3);
	if (size < 4 || size > ST_AMQP_FRAME_MAX)
		return ST__D_NO;
	return ST__PFX(b, n, 7, "\0\12\0\12");
}

/* The two fixed prefixes, as detectors of their own */
static __always_inline int st__detect_amqp_rx(const __u8 *b, __u32 n)
{
	return ST__PFX(b, n, 0, "AMQP\0");
}

static __always_inline int st__detect_http_resp(const __u8 *b, __u32 n)
{
	return ST__PFX(b, n, 0, "HTTP/1.");
}

/*
 * In BPF each detector is a global function of its own: the verifier checks
 * it once, with unknown bytes, instead of once for every way the checks
 * before it could have come out (inlined, the receive program's detection
 * alone took 23k verified instructions, a third of its load time). Detection
 * runs once per connection direction, so the calls cost nothing that counts.
 * Every wrapper takes the same arguments (BPF passes at most five): the
 * first word as a scalar, and its result, its terminator and the direction
 * packed in m (ST__DET_M).
 */
#ifdef __bpf__
#define ST__DET_FN __noinline int
/* every argument used: clang passes garbage for one the callee ignores, and
 * the verifier refuses a call with a pointer where a scalar is declared */
#define ST__DET_USE(ww, m) asm volatile("" : : "r"(ww), "r"(m))
#else
#define ST__DET_FN	   static inline int
#define ST__DET_USE(ww, m) ((void)0)
#endif
#define ST__DET_G(name, call)                                                          \
	ST__DET_FN name##_g(const struct st_frame_head *h, __u32 n, __u64 ww, __u32 m) \
	{                                                                              \
		struct st__word wdv = {.w = ww, .term = (m >> 8) & 0xff}, *wd = &wdv;  \
		int wr = (int)(m & 0xff) - 1, dir = (m >> 16) & 1;                     \
		const __u8 *b;                                                         \
                                                                                       \
		ST__DET_USE(ww, m);                                                    \
		(void)wr;                                                              \
		(void)wd;                                                              \
		(void)dir;                                                             \
		if (!h)                                                                \
			return ST__D_NO;                                               \
		b = h->b;                                                              \
		return call;                                                           \
	}
ST__DET_G(st__detect_resp_array, st__detect_resp_array(b, n))
ST__DET_G(st__detect_http_req, st__detect_http_req(b, n, wr, wd))
ST__DET_G(st__detect_pg_query, st__detect_pg_query(b, n))
ST__DET_G(st__detect_http_resp, st__detect_http_resp(b, n))
ST__DET_G(st__detect_nats, st__detect_nats(b, n, wr, wd, dir))
ST__DET_G(st__detect_amqp_rx, st__detect_amqp_rx(b, n))
ST__DET_G(st__detect_pg_startup, st__detect_pg_startup(b, n))
ST__DET_G(st__detect_kafka, st__detect_kafka(b, n))
ST__DET_G(st__detect_mqtt_connect, st__detect_mqtt_connect(b, n))
ST__DET_G(st__detect_resp_rx, st__detect_resp_rx(b, n, wr, wd))
ST__DET_G(st__detect_pg_tx, st__detect_pg_tx(b, n))
ST__DET_G(st__detect_amqp_tx, st__detect_amqp_tx(b, n))
ST__DET_G(st__detect_mqtt_connack, st__detect_mqtt_connack(b, n))
ST__DET_G(st__detect_resp_tx, st__detect_resp_tx(b, n))
#undef ST__DET_G
#undef ST__DET_FN
#undef ST__DET_USE
#define ST__DET_M(wr, term, dir) ((__u32)((wr) + 1) | ((term)&0xff) << 8 | ((__u32)(dir)&1) << 16)
#define ST__DET(name) \
	name##_g((const struct st_frame_head *)b, n, wd.w, ST__DET_M(wr, wd.term, dir))

static __always_inline __u8 st_frame_detect(const __u8 *b, __u32 len, int dir, int at_start)
{
	__u32 n = len < ST_DETECT_BYTES ? len : ST_DETECT_BYTES;
	struct st__word wd;
	int need = 0, r, wr;

	if (n == 0)
		return ST_PROTO_NONE;
#ifdef __bpf__
	/* n is only ever used through st__has(): hide its range from clang so
	 * that it stays arithmetic, and the verifier does not split its paths
	 * at every "is byte i there" (that cost ~750k verified instructions) */
	asm volatile("" : "+r"(n));
#endif
	wr = st__first_word(b, n, &wd);
#define ST__TRY(expr, proto)                                   \
	do {                                                   \
		r = (expr);                                    \
		if (r == ST__D_YES)                            \
			return need ? ST_PROTO_NONE : (proto); \
		if (r == ST__D_NEED)                           \
			need = 1;                              \
	} while (0)
	if (!at_start) {
		/* only signatures a message start is told by */
		ST__TRY(ST__DET(st__detect_resp_array), ST_PROTO_RESP);
		if (dir == ST_DIR_RX) {
			ST__TRY(ST__DET(st__detect_http_req), ST_PROTO_HTTP1);
			ST__TRY(ST__DET(st__detect_pg_query), ST_PROTO_POSTGRES);
		} else {
			ST__TRY(ST__DET(st__detect_http_resp), ST_PROTO_HTTP1);
		}
		ST__TRY(ST__DET(st__detect_nats), ST_PROTO_NATS);
	} else if (dir == ST_DIR_RX) {
		ST__TRY(ST__DET(st__detect_amqp_rx), ST_PROTO_AMQP);
		ST__TRY(ST__DET(st__detect_pg_startup), ST_PROTO_POSTGRES);
		ST__TRY(ST__DET(st__detect_kafka), ST_PROTO_KAFKA);
		ST__TRY(ST__DET(st__detect_mqtt_connect), ST_PROTO_MQTT);
		ST__TRY(ST__DET(st__detect_nats), ST_PROTO_NATS);
		ST__TRY(ST__DET(st__detect_http_req), ST_PROTO_HTTP1);
		/* HTTP/2 with prior knowledge would pass for an inline command */
		if (wr == ST__D_YES && wd.w == ST__BE8(0, 0, 0, 0, 0, 'P', 'R', 'I') &&
		    wd.term == ' ')
			return need ? ST_PROTO_NONE : ST_PROTO_TURN;
		ST__TRY(ST__DET(st__detect_resp_rx), ST_PROTO_RESP);
	} else {
		/* the one-byte SSL answer first: as a word it would need more */
		ST__TRY(ST__DET(st__detect_pg_tx), ST_PROTO_POSTGRES);
		ST__TRY(ST__DET(st__detect_http_resp), ST_PROTO_HTTP1);
		ST__TRY(ST__DET(st__detect_nats), ST_PROTO_NATS);
		ST__TRY(ST__DET(st__detect_amqp_tx), ST_PROTO_AMQP);
		ST__TRY(ST__DET(st__detect_mqtt_connack), ST_PROTO_MQTT);
		ST__TRY(ST__DET(st__detect_resp_tx), ST_PROTO_RESP);
	}
#undef ST__TRY
#undef ST__DET
	return need ? ST_PROTO_NONE : ST_PROTO_TURN;
}

#endif /* STREAMTRACE_FRAMING_H */
