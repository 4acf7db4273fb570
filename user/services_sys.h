/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --services: what the system says about a process (services_sys.c). */
#ifndef ST_SERVICES_SYS_H
#define ST_SERVICES_SYS_H

#include <sys/types.h>
#include "services.h"

/* Fill a for pid (comm: its name, the key when grouping by command name or
 * when it has no listening port); 0, or -1 when nothing could be read. */
int services_sys_attr(pid_t pid, const char *comm, enum services_by by, struct service_attr *a);

#endif
