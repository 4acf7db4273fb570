// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one UTF-8 validity check behind the JSON, HTML and Prometheus writers,
 * and the one rule by which every output shows a command name. */
#include <string.h>
#include "utf8.h"

/* The lead byte c's sequence length and the range of its second byte; 0 if
 * c cannot start a sequence of more than one byte. */
static size_t lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80, *hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c == 0xe0)
		return *lo = 0xa0, 3;
	if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
		return 3;
	if (c == 0xed)
		return *hi = 0x9f, 3;
	if (c == 0xf0)
		return *lo = 0x90, 4;
	if (c >= 0xf1 && c <= 0xf3)
		return 4;
	if (c == 0xf4)
		return *hi = 0x8f, 4;
	return 0;
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char lo, hi;
	size_t len;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	len = lead(s[0], &lo, &hi);
	if (!len || n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t utf8_shown_len(const unsigned char *s, size_t n)
{
	size_t k;

	if (!n || s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	if (s[0] < 0x80)
		return 1;
	k = utf8_seq_len(s, n);
	if (k == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* C1 controls, U+0080..U+009F */
		return 0;
	return k;
}

size_t utf8_bad_len(const unsigned char *s, size_t n)
{
	unsigned char lo, hi;
	size_t len, k = 1;

	if (n < 2 || s[0] < 0x80)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0) /* a C1 control */
		return 2;
	len = lead(s[0], &lo, &hi);
	if (!len || s[1] < lo || s[1] > hi)
		return 1;
	/* the maximal subpart: as far as it could still have been valid */
	for (k = 2; k < len && k < n && s[k] >= 0x80 && s[k] <= 0xbf; k++)
		;
	return k;
}

size_t utf8_shown(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, len = strnlen(s, n);

	if (!outlen)
		return 0;
	for (size_t i = 0; i < len;) {
		size_t k = utf8_shown_len(u + i, len - i);
		const char *src = k ? s + i : UTF8_REPLACEMENT;
		size_t w = k ? k : 3;

		if (o + w >= outlen)
			break;
		memcpy(out + o, src, w);
		o += w;
		i += k ? k : utf8_bad_len(u + i, len - i);
	}
	out[o] = 0;
	return o;
}
