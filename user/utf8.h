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

/*
 * How every output shows a command name (a process sets its own with
 * prctl(PR_SET_NAME), any bytes but NUL, and the kernel cuts it at 15 bytes,
 * possibly inside a character): well-formed UTF-8 as it is, and each byte
 * that is not part of a well-formed sequence (the maximal subpart of an
 * ill-formed one, as Unicode recommends and Python's errors="replace" does),
 * and each control character (C0, DEL, C1), as one U+FFFD. The JSON, Prometheus, HTML, table and report
 * outputs all apply it, so a name reads the same in each; recordings keep
 * the raw bytes and `report` applies it when reading them.
 */
#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
/* at s (n bytes): the length of a well-formed, non-control sequence to show
 * as it is (1 for printable ASCII), or 0: show U+FFFD for the byte at s */
size_t utf8_shown_len(const unsigned char *s, size_t n);
/* where utf8_shown_len is 0: the bytes at s that one U+FFFD stands for */
size_t utf8_bad_len(const unsigned char *s, size_t n);
/* the name s (at most n bytes, stops at NUL) as shown, in out (outlen bytes
 * with the NUL; 3 * n + 1 always suffice); returns its length */
size_t utf8_shown(const char *s, size_t n, char *out, size_t outlen);
/* the bytes utf8_shown needs for a name of n bytes */
#define UTF8_SHOWN_LEN(n) (3 * (n) + 1)

#endif
