/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one-line reason a function leaves in its caller's err buffer. */
#ifndef ST_ERRBUF_H
#define ST_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* printf into @err (at most @errlen bytes, NUL-terminated); no-op when
 * @err is NULL or @errlen is 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void errbuf_vset(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
