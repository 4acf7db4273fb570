/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What `streamtrace top` shows, without ncurses: a copy of the latest
 * snapshot (the screen is redrawn between intervals, after the snapshot is
 * freed), its rows grouped by command name (a forking server's children
 * folded into one row with a count, expandable), sorted by any column, and
 * every screen (table, a process's details, services, pipeline, help) as
 * lines of text with an attribute each. Pure: unit-tested without a
 * terminal; user/tui.c only paints these lines and reads keys.
 */
#ifndef ST_TUI_MODEL_H
#define ST_TUI_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* The table's columns, in screen order. */
enum tui_col {
	TC_PID = 0,
	TC_COMM,
	TC_THR,
	TC_CPU,	 /* CPU%: on-CPU time / span */
	TC_RUNQ, /* RUNQ%: run-queue wait / span (a rate, like the others) */
	TC_SYSC,
	TC_ERR,
	TC_RX,
	TC_ARR,
	TC_RHO,
	TC_W,
	TC__N,
};

/* The attribute of a line or row: user/tui.c maps it to a colour. */
enum tui_attr {
	TA_NORMAL = 0,
	TA_TITLE,      /* the top line, section titles */
	TA_HEAD,       /* column headings */
	TA_SATURATED,  /* ρ ≥ 1, growing backlog, or a server never idle */
	TA_BOTTLENECK, /* the pipeline's bottleneck */
	TA_DIM,	       /* exited */
};

#define TUI_MAX_SC   12 /* syscalls kept per process */
#define TUI_MAX_THR  32
#define TUI_MAX_CONN 32
#define TUI_LINE     200

struct tui_sc {
	char name[24];
	uint64_t count, errors;
	double p50_us, p99_us;
};

struct tui_thr {
	uint32_t tid;
	char comm[ST_COMM_LEN];
	double cpu_pct, runq_pct, busy_pct, rx_rate, sysc_rate;
};

struct tui_conn {
	char proto[8], local[64], remote[64];
	double rx_rate, tx_rate;
	uint64_t backlog_bytes;
};

struct tui_proc {
	uint32_t pid;
	char comm[ST_COMM_LEN]; /* safe for a terminal: controls are '?' */
	uint32_t threads;
	int exited;
	uint64_t folded; /* > 0: this many exited processes in one row */
	double v[TC__N]; /* the columns' values (NaN: unknown) */
	int saturated, bottleneck;
	unsigned stage;
	int has_queue;
	struct queue_figures q;
	unsigned unit;
	int net_known;
	uint64_t backlog_bytes, retransmits, resets, drops;
	double rss_mb; /* NaN unknown */
	int has_forecast;
	double fc_horizon_s, fc_arrival_rate, fc_rho, fc_response_s, fc_eta_s;
	int has_whatif;
	double wi_rho, wi_response_s, wi_p99_s;
	unsigned n_sc;
	struct tui_sc sc[TUI_MAX_SC];
	unsigned n_thr, n_thr_all;
	struct tui_thr thr[TUI_MAX_THR];
	unsigned n_conn, n_conn_all;
	struct tui_conn conn[TUI_MAX_CONN];
	int has_thr_view, has_conn_view;
};

struct tui_svc {
	char name[40];
	unsigned n_pids;
	int has_queue, saturated;
	struct queue_figures q;
	unsigned capacity;
	double cpus, runq_share;
};

struct tui_model {
	int loaded;
	double time, span_s;
	uint64_t lost;
	double steal_share; /* the host's steal, share of its CPU time; NaN unknown */
	unsigned n;
	struct tui_proc *p;
	unsigned n_stages;
	uint32_t bottleneck_pid;
	double e2e_s;
	char whatif[64];
	int svc_by_comm; /* the services are the command names (no --services) */
	unsigned n_svc;
	struct tui_svc *svc;
};

/* Copy what the screens need out of s (s may be freed after). 0, or -1 out
 * of memory (m is then empty). */
int tui_model_load(struct tui_model *m, const struct snapshot *s);
void tui_model_free(struct tui_model *m);

#define TUI_MAX_EXPANDED 32
struct tui_state {
	enum tui_col sort;
	int reverse; /* ascending instead of the column's natural order */
	unsigned n_expanded;
	char expanded[TUI_MAX_EXPANDED][ST_COMM_LEN]; /* groups shown open */
};

void tui_state_init(struct tui_state *st);
/* Open or close the group of that name; 1 when now open. */
int tui_toggle_group(struct tui_state *st, const char *comm);
int tui_group_open(const struct tui_state *st, const char *comm);

enum tui_row_kind {
	TR_PROC = 0, /* a process alone under its name */
	TR_GROUP,    /* several processes of one name */
	TR_MEMBER,   /* one of an open group */
};

struct tui_row {
	enum tui_row_kind kind;
	unsigned proc;	/* index in m->p (a group: its first member) */
	unsigned count; /* a group's members */
	int open;
	char comm[ST_COMM_LEN];
	double v[TC__N];
	int saturated, bottleneck, exited;
};

/* The rows to show, grouped and sorted (members under their group, in the
 * same order); at most cap. Returns how many. */
unsigned tui_rows(const struct tui_model *m, const struct tui_state *st, struct tui_row *out,
		  unsigned cap);

/* Column headings, the sort column marked with ▲/▼ (ASCII: ^ v). */
void tui_fmt_header(char *buf, size_t len, const struct tui_state *st);
void tui_fmt_row(char *buf, size_t len, const struct tui_row *r);
/* The title line: time, span, processes, groups, lost, the host's steal
 * (from 0.1%). */
void tui_fmt_title(char *buf, size_t len, const struct tui_model *m, unsigned groups);
const char *tui_col_name(enum tui_col c);

struct tui_line {
	char text[TUI_LINE];
	enum tui_attr attr;
};

/* The screens other than the table, as lines (at most cap; returns how
 * many). detail: the process m->p[proc]. */
unsigned tui_detail_lines(const struct tui_model *m, unsigned proc, struct tui_line *out,
			  unsigned cap);
unsigned tui_services_lines(const struct tui_model *m, struct tui_line *out, unsigned cap);
unsigned tui_pipeline_lines(const struct tui_model *m, struct tui_line *out, unsigned cap);
unsigned tui_help_lines(struct tui_line *out, unsigned cap);

/* The footer of each screen: its keys. */
extern const char tui_footer_table[], tui_footer_detail[], tui_footer_other[];

/* A figure in width columns, shortened with k/M/G when it would not fit,
 * "-" when unknown. */
void tui_fmt_num(char *buf, size_t len, int width, int prec, double v);

#endif
