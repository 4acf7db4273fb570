/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-process figures, one row each (figures.c): where the figure lives
 * in struct proc_view, its type, its JSON group and key, when it is known,
 * its place in the recording and its Prometheus family. The JSON writer
 * (json_out.c), the Prometheus families (prom_out.c) and the recording's
 * writer and reader (recording.c) walk this list; adding a figure to every
 * output is one row here plus the code that computes it (docs/hacking.md).
 *
 * Three orders, because the outputs already had three: the list's own order
 * is the JSON's; .rec numbers the record's fields (append-only: a new field
 * takes the next number and the current minor version, so old recordings
 * still read); .prom_at numbers the Prometheus families.
 */
#ifndef ST_FIGURES_H
#define ST_FIGURES_H

#include <stddef.h>
#include "model.h"
#include "services.h"

/* What the member is, which says how it is written in every output. */
enum fig_type {
	FIG_F64,  /* double; NaN is null (JSON) and absent (Prometheus) */
	FIG_U64,  /* uint64_t */
	FIG_U32,  /* uint32_t or unsigned */
	FIG_I32,  /* int: a flag the outputs do not show */
	FIG_BOOL, /* int shown as true/false (JSON), 1/0 (Prometheus) */
	FIG_COMM, /* char[ST_COMM_LEN] */
	FIG_HIST, /* struct hist */
	FIG_LIST, /* a variable part: the recording codes it by .list */
	FIG_NONE, /* no member: derived by .get, or a JSON section only */
};

/* The member is one of struct proc_view, or of its struct queue_figures
 * (those rows serve the services' queue objects too). */
enum fig_base { FB_PROC, FB_QUEUE };

/* JSON objects of a process, each inside .parent. */
enum fig_group {
	FG_NONE,     /* not in the JSON (recorded only) */
	FG_PROC,     /* the process object itself */
	FG_CPU,	     /* "cpu" */
	FG_MEMORY,   /* "memory" */
	FG_NET,	     /* "net": every key null when the kernel side lacks sockets */
	FG_QUEUE,    /* "queue": null for a process that never received */
	FG_MODEL,    /* "queue"."model" */
	FG_FORECAST, /* "forecast": null until there is a trend */
	FG_WHATIF,   /* "what_if": left out unless --what-if */
	FG__MAX,
};

/* When a figure is known: every bit given must hold, else the figure is
 * null in the JSON and left out of Prometheus. */
enum fig_known {
	FK_QUEUE = 1u << 0,    /* has_queue */
	FK_FORECAST = 1u << 1, /* has_forecast */
	FK_WHATIF = 1u << 2,   /* has_whatif */
	FK_NET = 1u << 3,      /* net_known */
	FK_RSS = 1u << 4,      /* rss_known */
	FK_FAULTS = 1u << 5,   /* faults_known */
	FK_MSGS = 1u << 6,     /* msgs_known */
	FK_TX_MSGS = 1u << 7,  /* tx_msgs_known */
	FK_BACKLOG = 1u << 8,  /* backlog_known */
	FK_BUSY = 1u << 9,     /* busy_known */
	FK_LIVE = 1u << 10,    /* the process has not exited */
	FK_STAGE = 1u << 11,   /* in a pipeline (stage > 0) */
};

enum fig_flags {
	FF_ABSENT = 1u << 0,  /* JSON: left out rather than null when not known */
	FF_OLD_NAN = 1u << 1, /* recording: NaN when read from a file older than its minor */
};

/* JSON parts that are not one value: json_out.c writes them by this name. */
enum fig_section {
	FS_NONE,
	FS_PID,		 /* "pid", or null and "exited_processes" for a folded row */
	FS_SYSCALLS,	 /* "syscalls": [...] */
	FS_DROP_REASONS, /* "drop_reasons": {reason: count} */
	FS_UNIT,	 /* "unit": the unit of work's name */
	FS_UNITS,	 /* "units": per unit, when mixed */
	FS_BUSY_BLOCKED, /* "busy_blocked_s": {kind: s} or null */
	FS_FC_MODEL,	 /* "model": the forecast's model, in words */
	FS_WI_MODEL,	 /* "model": the what-if's model */
	FS_THREADS,	 /* "threads_detail": [...] with --threads */
	FS_CONNS,	 /* "connections": [...] with --connections */
	FS_EXIT,	 /* "exit": {code, signal, core_dumped} or null */
};

/* Recorded parts that are not one value: recording.c codes them by this name. */
enum fig_list {
	FL_NONE,
	FL_DROP_REASONS,
	FL_SYSCALLS,
	FL_THREADS,
	FL_CONNS,
	FL_BLOCKED, /* blocked_busy_s[ST_BLK__MAX] */
	FL_UNITS,
	FL_CONN_UNITS, /* the connections' units, in the order of the connection list */
};

enum fig_prom { FIG_GAUGE, FIG_COUNTER };

/* How the report's tables write a figure's value. */
enum fig_fmt {
	FMT_COUNT, /* counts and rates: 1.2k, 35M */
	FMT_PLAIN, /* three digits */
	FMT_TIME,  /* seconds as 812 µs, 1.25 ms, 3.4 s */
};

struct figure {
	enum fig_group group;
	const char *key; /* JSON key; NULL: not in the JSON */
	enum fig_type type;
	enum fig_base base;
	size_t off;	/* of the member in struct proc_view (or queue_figures) */
	unsigned known; /* FK_* bits */
	unsigned flags; /* FF_* bits */
	double (*get)(const struct proc_view *p, double span_s); /* FIG_NONE: the value */
	enum fig_section section;
	enum fig_list list;
	/* recording: position (1...; 0: not recorded) and the minor that added it */
	unsigned rec, minor;
	/* Prometheus: one family per figure, one series per process; a counter
	 * is taken from the run totals, a gauge from the latest interval */
	const char *prom, *help;
	enum fig_prom ptype;
	unsigned prom_at;    /* position among the families (1...; 0: none) */
	unsigned prom_known; /* FK_* bits Prometheus asks on top of .known */
	/* the report's process table (HTML): the column's heading, its place
	 * among the columns (html_out.c numbers its own: pid 1, command 2,
	 * stage 3, syscalls 5, errors 6, op 9, ρ 10, status 14), its format;
	 * NULL: no column. The value is the one Prometheus shows (gauges
	 * over the snapshot's span) */
	const char *col;
	unsigned col_at;
	enum fig_fmt col_fmt;
	/* the live table's (and the text report's) column: heading, place
	 * (table_out.c numbers its own: PID 1, COMM 2, THR 3, SYSC/s 6, ERR/s
	 * 7), width with its leading space, decimals, the factor the value is
	 * shown in (1e3: ms) and whether it is divided by the span (a rate);
	 * head NULL: no column */
	struct fig_tcol {
		const char *head;
		unsigned at, width, prec;
		double scale;
		int per_span;
	} tcol;
};

extern const struct figure proc_figures[];
extern const unsigned n_proc_figures;

/* At least the highest .rec, and the number of families (array sizes for
 * the orders below; test_figures checks them). */
#define FIG_MAX_REC  128
#define FIG_MAX_PROM 64

/* The group's JSON key, enclosing group, the FK_* bits it needs, and what it
 * is when they do not hold. */
enum fig_unknown { FU_KEYS_NULL, FU_NULL, FU_ABSENT };
struct fig_group_info {
	const char *key;
	enum fig_group parent;
	unsigned known;
	enum fig_unknown unknown;
};
extern const struct fig_group_info fig_groups[FG__MAX];

/* Whether every FK_* bit of @known holds for @p. */
int fig_known(unsigned known, const struct proc_view *p);
/* The member of @f in @p (or in @q for FB_QUEUE rows, when @q is not NULL). */
const void *fig_ptr(const struct figure *f, const struct proc_view *p,
		    const struct queue_figures *q);
void *fig_mut(const struct figure *f, struct proc_view *p, struct queue_figures *q);
/* A scalar figure as a double (FIG_F64 .. FIG_BOOL, FIG_NONE by .get); NaN otherwise. */
double fig_value(const struct figure *f, const struct proc_view *p, const struct queue_figures *q,
		 double span_s);
/* A FIG_U64 or FIG_U32 figure exactly (a double holds 53 bits). */
uint64_t fig_u64(const struct figure *f, const struct proc_view *p, const struct queue_figures *q);
/* The rows in record order (out[i] has .rec i + 1): how many. */
unsigned fig_rec_order(const struct figure **out, unsigned cap);
/* The rows with a Prometheus family, by .prom_at: how many. Families from
 * FIG_PROM_LATE on are written after the histograms. */
#define FIG_PROM_LATE 100
unsigned fig_prom_order(const struct figure **out, unsigned cap);

/*
 * The services' figures (--services, services.h), one row each, in the
 * order of a service's JSON object: the same kind of list for struct
 * service_view (FB_PROC rows) and its struct queue_figures (FB_QUEUE
 * rows). The JSON writer, the Prometheus families and the recording's
 * service records walk it; a service's queue object holds the process
 * list's queue rows (SS_QUEUE), so a queue figure added there shows in
 * both. .rec numbers the service record's fields (append-only: a new one
 * takes the next number and .appended, so records written before it still
 * read); .prom_at numbers the families (gauges of the latest interval,
 * one series per service).
 */
enum svc_group { SG_SERVICE, SG_NET, SG_QUEUE, SG_CPU, SG__MAX };

/* When a service figure is known (JSON null, Prometheus absent if not). */
enum svc_known {
	SK_NET = 1u << 0,   /* net_known */
	SK_QUEUE = 1u << 1, /* has_queue */
	SK_STAGE = 1u << 2, /* in the pipeline over services (stage > 0) */
};

/* Parts that are not one value, written by this name. */
enum svc_section {
	SS_NONE,
	SS_NAME,  /* "name" (JSON), a string (recording) */
	SS_PIDS,  /* "pids": [...], a count and the pids */
	SS_QUEUE, /* the process list's queue rows (FB_QUEUE, minor 0) */
	SS_NULL,  /* a key always null ("forecast": no trend per service yet) */
};

struct svc_figure {
	enum svc_group group;
	const char *key; /* JSON key; NULL: not in the JSON */
	enum fig_type type;
	enum fig_base base;
	size_t off;	/* of the member in struct service_view (or its queue) */
	unsigned known; /* SK_* bits */
	enum svc_section section;
	double (*get)(const struct service_view *v); /* FIG_NONE: the value */
	unsigned rec;				     /* recording position (1...; 0: none) */
	int appended; /* read only when the record has it (else NaN, or 0) */
	const char *prom, *help;
	unsigned prom_at;    /* position among the families (1...; 0: none) */
	unsigned prom_known; /* SK_* bits Prometheus asks on top of .known */
	/* the report's services table (html_out.c numbers its own: service 1,
	 * processes 2, stage 3, status 14) and the live table's (table_out.c:
	 * SERVICE 1, PROCS 2); their values are Prometheus's (.known and
	 * .prom_known); NULL heading: no column */
	const char *col;
	unsigned col_at;
	enum fig_fmt col_fmt;
	struct fig_tcol tcol; /* .per_span: not used */
};

extern const struct svc_figure svc_figures[];
extern const unsigned n_svc_figures;

/* At least the highest .rec and the number of families (test_figures checks). */
#define SVC_MAX_REC  64
#define SVC_MAX_PROM 32

/* A group's JSON key and the SK_* bits without which it is null. */
struct svc_group_info {
	const char *key;
	unsigned known;
};
extern const struct svc_group_info svc_groups[SG__MAX];

int svc_known(unsigned known, const struct service_view *v);
const void *svc_ptr(const struct svc_figure *f, const struct service_view *v);
void *svc_mut(const struct svc_figure *f, struct service_view *v);
/* A scalar figure as a double (FIG_NONE by .get); NaN otherwise. */
double svc_value(const struct svc_figure *f, const struct service_view *v);
/* The rows in record order (out[i] has .rec i + 1): how many. */
unsigned svc_rec_order(const struct svc_figure **out, unsigned cap);
/* The rows with a Prometheus family, a column of the report or of the live
 * table, in the order of .prom_at, .col_at or .tcol.at: how many. */
enum svc_order { SO_PROM, SO_COL, SO_TCOL };
unsigned svc_sorted(enum svc_order by, const struct svc_figure **out, unsigned cap);

#endif
