/*
 * Unit tests for user/figures.c, the per-process figure list every output
 * walks: its numbering is whole (record positions 1..N once each, minor
 * versions only growing along the record, so old recordings still read;
 * Prometheus positions and names once each), its groups are contiguous, a
 * JSON key is not given twice in one object, and the known rules turn into
 * null in the JSON (a process on a kernel without the socket hooks: every
 * net key null, no drop reasons, no framing share).
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "figures.h"
#include "json_out.h"
#include "recording.h"

static void test_record_order(void **state)
{
	const struct figure *order[FIG_MAX_REC];
	unsigned n = fig_rec_order(order, FIG_MAX_REC), seen = 0, minor = 0;

	(void)state;
	for (unsigned i = 0; i < n_proc_figures; i++) {
		const struct figure *f = &proc_figures[i];

		assert_true(f->rec <= FIG_MAX_REC);
		if (f->rec)
			seen++;
		/* a derived figure or a JSON section is not recorded */
		if (f->type == FIG_NONE)
			assert_int_equal(f->rec, 0);
		else
			assert_int_not_equal(f->rec, 0);
	}
	/* every position taken exactly once */
	assert_int_equal(n, seen);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(order[i]);
		assert_int_equal(order[i]->rec, i + 1);
		/* append-only: a field added later never sits before an older one */
		assert_true(order[i]->minor >= minor);
		minor = order[i]->minor;
		assert_true(minor <= RECORDING_VERSION_MINOR);
		/* NaN when absent only makes sense for doubles of a later minor */
		if (order[i]->flags & FF_OLD_NAN) {
			assert_int_equal(order[i]->type, FIG_F64);
			assert_true(order[i]->minor > 0);
		}
	}
}

static void test_prom_order(void **state)
{
	const struct figure *order[FIG_MAX_PROM];
	unsigned n = fig_prom_order(order, FIG_MAX_PROM), with = 0;

	(void)state;
	for (unsigned i = 0; i < n_proc_figures; i++)
		with += proc_figures[i].prom_at != 0;
	assert_int_equal(n, with);
	assert_true(n < FIG_MAX_PROM);
	for (unsigned i = 0; i < n; i++) {
		const struct figure *f = order[i];
		size_t len = strlen(f->prom);

		if (i)
			assert_true(order[i - 1]->prom_at < f->prom_at);
		assert_int_equal(strncmp(f->prom, "streamtrace_", 12), 0);
		/* the exposition format's naming: counters end in _total, nothing else does */
		assert_int_equal(f->ptype == FIG_COUNTER,
				 len > 6 && !strcmp(f->prom + len - 6, "_total"));
		assert_non_null(f->help);
		assert_true(strlen(f->help) > 10);
		assert_true(f->type != FIG_LIST && f->type != FIG_HIST && f->type != FIG_COMM);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(order[j]->prom, f->prom);
	}
}

static void test_groups(void **state)
{
	int left[FG__MAX] = {0};
	enum fig_group cur = FG_PROC;

	(void)state;
	for (unsigned i = 0; i < n_proc_figures; i++) {
		const struct figure *f = &proc_figures[i];

		if (f->group == FG_NONE) {
			assert_null(f->key);
			continue;
		}
		assert_non_null(f->key);
		if (f->group != cur) {
			/* leaving cur for good, unless f's group is inside it */
			enum fig_group g = f->group;

			while (g != FG_NONE && g != cur)
				g = fig_groups[g].parent;
			if (g != cur)
				left[cur] = 1;
			assert_false(left[f->group]);
			cur = f->group;
		}
		for (unsigned j = 0; j < i; j++)
			if (proc_figures[j].group == f->group && proc_figures[j].key)
				assert_string_not_equal(proc_figures[j].key, f->key);
	}
}

/* the report's process table: one column per place, each with a heading */
static void test_columns(void **state)
{
	unsigned n = 0;

	(void)state;
	for (unsigned i = 0; i < n_proc_figures; i++) {
		const struct figure *f = &proc_figures[i];

		if (!f->col)
			continue;
		n++;
		assert_true(f->col_at > 0);
		assert_true(f->type != FIG_LIST && f->type != FIG_HIST && f->type != FIG_COMM);
		for (unsigned j = 0; j < i; j++)
			if (proc_figures[j].col)
				assert_int_not_equal(proc_figures[j].col_at, f->col_at);
	}
	assert_true(n >= 6);
	/* and the live table's: a place each, after PID, COMM and THR */
	n = 0;
	for (unsigned i = 0; i < n_proc_figures; i++) {
		const struct fig_tcol *t = &proc_figures[i].tcol;

		if (!t->head)
			continue;
		n++;
		assert_true(t->at > 3);
		assert_true(t->width > strlen(t->head));
		for (unsigned j = 0; j < i; j++)
			if (proc_figures[j].tcol.head)
				assert_int_not_equal(proc_figures[j].tcol.at, t->at);
	}
	assert_true(n >= 6);
}

static char *render(const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_out_snapshot(f, s);
	fclose(f);
	return buf;
}

static void test_json_net_unknown(void **state)
{
	struct proc_view p = {.pid = 7, .comm = "old", .rx_bytes = 5, .fr_lost = 3};
	struct snapshot s = {.span_s = 1, .n_procs = 1, .procs = &p};
	char *out;

	(void)state;
	p.n_drop_reasons = 1;
	strcpy(p.drop_reasons[0].reason, "NO_SOCKET");
	p.drop_reasons[0].count = 2;
	out = render(&s);
	assert_non_null(strstr(out, "\"net\":{\"rx_bytes\":null,\"tx_bytes\":null,\"rx_ops\":null,"
				    "\"tx_ops\":null,\"rx_msgs\":null,\"tx_msgs\":null,"
				    "\"backlog_bytes\":null,\"retransmits\":null,\"resets\":null,"
				    "\"drops\":null}"));
	assert_null(strstr(out, "drop_reasons"));
	assert_null(strstr(out, "\"framing_lost\":3"));
	/* no queue, no forecast, no what-if */
	assert_non_null(strstr(out, "\"queue\":null,\"forecast\":null,\"stage\":null"));
	free(out);

	/* known: the values, the reasons, and the framing share with messages */
	p.net_known = p.msgs_known = 1;
	out = render(&s);
	assert_non_null(strstr(out, "\"net\":{\"rx_bytes\":5,"));
	free(out);
	/* a counter beyond a double's 53 bits, exactly (the fuzzer found it rounded) */
	p.rx_bytes = UINT64_MAX - 1;
	out = render(&s);
	assert_non_null(strstr(out, "\"net\":{\"rx_bytes\":18446744073709551614,"));
	assert_non_null(strstr(out, "\"drop_reasons\":{\"NO_SOCKET\":2},\"framing_lost\":3}"));
	free(out);
}

/* The services' list: record positions once each, the appended ones last
 * (a record from before them ends there); families once each, in order,
 * "streamtrace_service_"; groups contiguous; no JSON key twice in a group. */
static void test_services_list(void **state)
{
	const struct svc_figure *rec[SVC_MAX_REC], *prom[SVC_MAX_PROM];
	unsigned n = svc_rec_order(rec, SVC_MAX_REC), seen = 0, with = 0, np;
	int appended = 0, left[SG__MAX] = {0};
	enum svc_group prev = SG_SERVICE;

	(void)state;
	for (unsigned i = 0; i < n_svc_figures; i++) {
		const struct svc_figure *f = &svc_figures[i];

		assert_true(f->rec <= SVC_MAX_REC);
		seen += f->rec != 0;
		with += f->prom_at != 0;
		/* a derived figure is not recorded; a section is, or is JSON only */
		if (f->type == FIG_NONE && !f->section)
			assert_int_equal(f->rec, 0);
		/* a group's object is written once: its keyed rows are contiguous
		 * (the service's own keys may stand around them) */
		if (f->key && f->group != prev) {
			assert_false(f->group != SG_SERVICE && left[f->group]);
			left[prev] = 1;
			prev = f->group;
		}
		for (unsigned k = 0; f->key && k < i; k++)
			if (svc_figures[k].key && svc_figures[k].group == f->group)
				assert_string_not_equal(svc_figures[k].key, f->key);
	}
	assert_int_equal(n, seen);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(rec[i]);
		assert_int_equal(rec[i]->rec, i + 1);
		assert_true(rec[i]->appended >= appended);
		appended = rec[i]->appended;
	}
	np = svc_sorted(SO_PROM, prom, SVC_MAX_PROM);
	assert_int_equal(np, with);
	assert_true(np < SVC_MAX_PROM);
	for (unsigned i = 0; i < np; i++) {
		assert_int_equal(strncmp(prom[i]->prom, "streamtrace_service_", 20), 0);
		assert_true(strlen(prom[i]->help) > 10);
		if (i)
			assert_true(prom[i - 1]->prom_at < prom[i]->prom_at);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(prom[j]->prom, prom[i]->prom);
	}
	/* columns: places once each, none of the tables' own (the report's
	 * service 1, processes 2, stage 3, status 14; the live table's
	 * SERVICE 1) */
	np = svc_sorted(SO_COL, prom, SVC_MAX_PROM);
	assert_true(np > 0 && np < SVC_MAX_PROM);
	for (unsigned i = 0; i < np; i++) {
		assert_non_null(prom[i]->col);
		assert_true(prom[i]->col_at > 3 && prom[i]->col_at < 14);
		assert_true(!i || prom[i - 1]->col_at < prom[i]->col_at);
	}
	np = svc_sorted(SO_TCOL, prom, SVC_MAX_PROM);
	assert_true(np > 0 && np < SVC_MAX_PROM);
	for (unsigned i = 0; i < np; i++) {
		assert_non_null(prom[i]->tcol.head);
		assert_true(prom[i]->tcol.at > 1 &&
			    prom[i]->tcol.width > strlen(prom[i]->tcol.head));
		assert_true(!i || prom[i - 1]->tcol.at < prom[i]->tcol.at);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_order),	 cmocka_unit_test(test_prom_order),
		cmocka_unit_test(test_groups),		 cmocka_unit_test(test_columns),
		cmocka_unit_test(test_json_net_unknown), cmocka_unit_test(test_services_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
