/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * THROW-AWAY stub of the framing parsers (bpf/framing.h), so that the
 * plumbing of issue 8 builds and can be tested before the real parsers land:
 * RESP only (arrays, bulk strings, simple lines, as Redis clients and
 * servers write them); every other stream is TURN. Deleted when the framing
 * branch is merged.
 */
#ifndef STREAMTRACE_FRAMING_STUB_H
#define STREAMTRACE_FRAMING_STUB_H

#include "framing.h"

#define STUB_TYPE 0
#define STUB_ARR  1
#define STUB_BULK 2
#define STUB_LINE 3

static __always_inline __u8 st_frame_detect(const __u8 *b, __u32 len, int dir, int at_start)
{
	(void)at_start;
	if (!len)
		return ST_PROTO_NONE;
	if (b[0] == '*')
		return ST_PROTO_RESP;
	if (dir == ST_DIR_TX && (b[0] == '+' || b[0] == '-' || b[0] == ':' || b[0] == '$'))
		return ST_PROTO_RESP;
	return ST_PROTO_TURN;
}

static __always_inline void st_frame_init(struct st_frame *f, __u8 proto, int dir)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->dir = dir;
}

/* an element ended: close the aggregates it completes */
static __always_inline int stub_elem_done(struct st_frame *f)
{
	for (int i = 0; i < 4; i++) {
		__u8 d = f->depth;

		if (d == 0 || d > 4)
			return ST_FR_END;
		if (--f->left[(d - 1) & 3] > 0)
			return ST_FR_MORE;
		f->depth = d - 1;
	}
	return f->depth ? ST_FR_MORE : ST_FR_END;
}

static __always_inline int st_frame_byte(struct st_frame *f, __u8 c)
{
	switch (f->state) {
	case STUB_TYPE:
		f->num = 0;
		f->aux = 0;
		if (c == '*')
			f->state = STUB_ARR;
		else if (c == '$')
			f->state = STUB_BULK;
		else if (c == '+' || c == '-' || c == ':')
			f->state = STUB_LINE;
		else
			return ST_FR_ERR;
		return ST_FR_MORE;
	case STUB_LINE:
		if (c != '\n')
			return ST_FR_MORE;
		f->state = STUB_TYPE;
		return stub_elem_done(f);
	case STUB_ARR:
	case STUB_BULK:
		if (c >= '0' && c <= '9') {
			f->num = f->num * 10 + (c - '0');
			return f->num > (1u << 30) ? ST_FR_ERR : ST_FR_MORE;
		}
		if (c == '-') {
			f->aux = 1;
			return ST_FR_MORE;
		}
		if (c == '\r')
			return ST_FR_MORE;
		if (c != '\n')
			return ST_FR_ERR;
		if (f->state == STUB_ARR) {
			f->state = STUB_TYPE;
			if (f->aux || f->num == 0)
				return stub_elem_done(f);
			if (f->depth >= 4)
				return ST_FR_ERR;
			f->left[f->depth & 3] = f->num;
			f->depth++;
			return ST_FR_MORE;
		}
		f->state = STUB_TYPE;
		if (f->aux)
			return stub_elem_done(f);
		f->skip = f->num + 2;
		return ST_FR_SKIP;
	}
	return ST_FR_ERR;
}

static __always_inline int st_frame_skipped(struct st_frame *f)
{
	return stub_elem_done(f);
}

#endif
