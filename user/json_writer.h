/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A minimal streaming JSON writer: commas and escaping done right, NaN and
 * infinities written as null (a figure that cannot be known). */
#ifndef ST_JSON_WRITER_H
#define ST_JSON_WRITER_H

#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	int count[JW_MAX_DEPTH]; /* members written so far at each depth */
	int after_key;
};

void jw_init(struct jw *w, FILE *f);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
/* at most n bytes of s (stops at NUL) */
void jw_strn(struct jw *w, const char *s, size_t n);
/* a command name, as every output shows it (utf8_shown in utf8.h) */
void jw_comm(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_num(struct jw *w, double v);
/* UNIX time: microseconds, never exponent notation */
void jw_time(struct jw *w, double v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);

/* key + value in one call */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_ku64(struct jw *w, const char *k, uint64_t v);
void jw_knum(struct jw *w, const char *k, double v);
void jw_kbool(struct jw *w, const char *k, int v);
void jw_knull(struct jw *w, const char *k);

#endif
