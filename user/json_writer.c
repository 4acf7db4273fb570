// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON writer used by every JSON output. Strings are escaped per RFC 8259;
 * bytes >= 0x80 that are not part of valid UTF-8 are written as U+FFFD so
 * the output always parses; command names go through jw_comm (utf8.h).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include "json_writer.h"
#include "utf8.h"

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

static void jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->count[w->depth]++)
		fputc(',', w->f);
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	fputc(c, w->f);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->count[w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw_obj_begin(struct jw *w)
{
	jw_open(w, '{');
}

void jw_obj_end(struct jw *w)
{
	jw_close(w, '}');
}

void jw_arr_begin(struct jw *w)
{
	jw_open(w, '[');
}

void jw_arr_end(struct jw *w)
{
	jw_close(w, ']');
}

void jw_strn(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	jw_sep(w);
	fputc('"', w->f);
	while (i < n && s[i]) {
		unsigned char c = s[i];
		size_t ul;

		if (c == '"' || c == '\\') {
			fputc('\\', w->f);
			fputc(c, w->f);
		} else if (c == '\n') {
			fputs("\\n", w->f);
		} else if (c == '\t') {
			fputs("\\t", w->f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(w->f, "\\u%04x", c);
		} else if (c >= 0x80) {
			size_t avail = 0;

			while (i + avail < n && s[i + avail])
				avail++;
			ul = utf8_seq_len(s + i, avail);
			if (ul) {
				fwrite(s + i, 1, ul, w->f);
				i += ul;
				continue;
			}
			fputs(UTF8_REPLACEMENT, w->f);
			i += utf8_bad_len(s + i, avail);
			continue;
		} else {
			fputc(c, w->f);
		}
		i++;
	}
	fputc('"', w->f);
}

void jw_comm(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len = strnlen(str, n);

	jw_sep(w);
	fputc('"', w->f);
	while (i < len) {
		size_t k = utf8_shown_len(s + i, len - i);

		if (!k) {
			fputs(UTF8_REPLACEMENT, w->f);
			k = utf8_bad_len(s + i, len - i);
		} else if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', w->f);
			fputc(s[i], w->f);
		} else {
			fwrite(s + i, 1, k, w->f);
		}
		i += k;
	}
	fputc('"', w->f);
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void jw_key(struct jw *w, const char *key)
{
	jw_str(w, key);
	fputc(':', w->f);
	w->after_key = 1;
}

void jw_u64(struct jw *w, uint64_t v)
{
	jw_sep(w);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_i64(struct jw *w, int64_t v)
{
	jw_sep(w);
	fprintf(w->f, "%" PRId64, v);
}

void jw_num(struct jw *w, double v)
{
	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	if (v == 0)
		v = 0; /* no "-0" */
	fprintf(w->f, "%.9g", v);
}

void jw_time(struct jw *w, double v)
{
	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	fprintf(w->f, "%.6f", v);
}

void jw_bool(struct jw *w, int v)
{
	jw_sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	fputs("null", w->f);
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void jw_knum(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	jw_num(w, v);
}

void jw_kbool(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

void jw_knull(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_null(w);
}
