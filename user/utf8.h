/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* UTF-8 validity, for every output that must be valid UTF-8 (JSON, HTML,
 * Prometheus labels) while a comm can hold any bytes. */
#ifndef ST_UTF8_H
#define ST_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (at most n bytes) per
 * RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF; 0 if
 * ill-formed, 1 for ASCII. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
