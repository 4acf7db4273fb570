// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `streamtrace report`: reads a recording and renders it. --json streams the
 * snapshots through the live JSON renderer, so its lines are the live run's,
 * byte for byte. The text and HTML forms need the run's summary first (it
 * picks what to show), so they read the file twice rather than hold every
 * interval in memory. A recording cut short (the tracer was killed) still
 * renders up to its last complete interval, but exits 2 with the reason, as
 * does any corrupt or unreadable file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "html_out.h"
#include "json_out.h"
#include "outfile.h"
#include "recording.h"
#include "report.h"
#include "table_out.h"
#include "utf8.h"

/* Text from a recording on a terminal: no control bytes (no escape sequences). */
/* Text from the recording, shown by the rule of every output (utf8.h): no
 * control character reaches the terminal, and the text stays UTF-8. */
static void put_clean(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max);

	for (size_t i = 0; i < n;) {
		size_t k = utf8_shown_len(s + i, n - i);

		if (k) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fputs(UTF8_REPLACEMENT, f);
			i += utf8_bad_len(s + i, n - i);
		}
	}
}

static void print_meta(FILE *out, const char *file, const struct recording_meta *m,
		       const struct snapshot *overall, uint64_t intervals)
{
	time_t t = 0;
	struct tm tm;
	char when[64] = "?";

	if (isfinite(m->start_time) && m->start_time > 0 && m->start_time < 1e11 &&
	    (t = (time_t)m->start_time) && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("streamtrace recording ", out);
	put_clean(out, file, 4096);
	fputs("\n  command   ", out);
	put_clean(out, m->cmdline, sizeof(m->cmdline));
	fputs("\n  host      ", out);
	put_clean(out, m->host, sizeof(m->host));
	fputs(" (Linux ", out);
	put_clean(out, m->kernel, sizeof(m->kernel));
	fputc(' ', out);
	put_clean(out, m->arch, sizeof(m->arch));
	fprintf(out, ")\n  started   %s", when);
	if (overall && overall->is_summary && isfinite(overall->span_s))
		fprintf(out, ", ran %.1f s", overall->span_s);
	fprintf(out, ", %llu interval%s of %g s\n  written   by streamtrace ",
		(unsigned long long)intervals, intervals == 1 ? "" : "s", m->interval_s);
	put_clean(out, m->version, sizeof(m->version));
	fputs("\n\n", out);
}

/* stdout for "-", else a new file, mode 0600 like the recording it shows */
/* Do the two paths name one file (so writing one would destroy the other)? */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int report_json(struct recording *rec, FILE *out)
{
	struct snapshot s;
	int r;

	while ((r = recording_next(rec, &s)) == 1) {
		json_out_snapshot(out, &s);
		snapshot_free(&s);
	}
	return r;
}

int report_run(const char *file, int json, const char *html, FILE *out, FILE *err)
{
	struct recording_meta m;
	struct recording *rec;
	struct snapshot s, summary = {0}, last = {0};
	const struct snapshot *overall = NULL;
	char e[256], why[320] = "";
	uint64_t intervals = 0;
	int r, ret = 0, have_summary = 0, have_last = 0;

	if (html && strcmp(html, "-") && same_file(html, file)) {
		fprintf(err,
			"streamtrace: --html %s: is the recording itself; refusing to overwrite "
			"it\n",
			html);
		return 2;
	}
	rec = recording_open(file, &m, e, sizeof(e));
	if (!rec) {
		fprintf(err, "streamtrace: %s: %s\n", file, e);
		return 2;
	}
	if (json && !html) {
		r = report_json(rec, out);
		goto done;
	}
	/* pass 1: the summary (or the last interval of a run cut short) */
	while ((r = recording_next(rec, &s)) == 1) {
		if (s.is_summary) {
			snapshot_free(&summary);
			summary = s;
			have_summary = 1;
		} else {
			intervals++;
			snapshot_free(&last);
			last = s;
			have_last = 1;
		}
	}
	if (r < 0 || recording_truncated(rec))
		snprintf(why, sizeof(why), "%s", recording_error(rec));
	else if (!have_summary && have_last)
		snprintf(why, sizeof(why), "the recording has no summary.");
	overall = have_summary ? &summary : have_last ? &last : NULL;

	if (json)
		fflush(out);
	if (!html) {
		print_meta(out, file, &m, overall, intervals);
		if (!overall) {
			fputs("No snapshots were recorded.\n", out);
		} else {
			if (!have_summary)
				fputs("No summary (the run did not end normally): the last "
				      "recorded "
				      "interval follows.\n",
				      out);
			/* the table turns the time into a time_t: keep a hostile one in range */
			if (!(isfinite(overall->time) && fabs(overall->time) < 1e11))
				((struct snapshot *)overall)->time = 0;
			table_out_snapshot(out, overall, 0);
		}
	} else {
		struct html_report *h = html_report_new(&m, file, overall, why[0] ? why : NULL);
		struct recording *rec2;
		FILE *hf;
		int r2;

		if (!h) {
			fprintf(err, "streamtrace: out of memory\n");
			ret = 1;
			goto out;
		}
		/* pass 2: the intervals, into the charts */
		rec2 = recording_open(file, &m, e, sizeof(e));
		if (!rec2) {
			html_report_free(h);
			fprintf(err, "streamtrace: %s: %s\n", file, e);
			ret = 2;
			goto out;
		}
		while ((r2 = recording_next(rec2, &s)) == 1) {
			if (json)
				json_out_snapshot(out, &s);
			html_report_add(h, &s);
			snapshot_free(&s);
		}
		recording_close(rec2);
		hf = out_open(html, out, 0600, OUT_NOFOLLOW);
		if (!hf) {
			fprintf(err, "streamtrace: --html %s: %s\n", html,
				errno == ELOOP ? "is a symlink; refusing to follow it"
					       : strerror(errno));
			html_report_free(h);
			ret = 1;
			goto out;
		}
		{
			int bad = html_report_write(h, hf);

			if (hf != out && fclose(hf))
				bad = -1;
			/* standard output whose reader went away (| head):
			 * the end of the report, quietly, as for the summary */
			if (bad && hf == out && out_flush(out) == OUT_CLOSED)
				bad = 0;
			if (bad) {
				fprintf(err, "streamtrace: --html %s: write failed: %s\n", html,
					strerror(errno));
				ret = 1;
			}
		}
		html_report_free(h);
	}
out:
	snapshot_free(&summary);
	snapshot_free(&last);
done:
	if (!ret && (r < 0 || recording_truncated(rec))) {
		fflush(out);
		fprintf(err, "streamtrace: %s: %s\n", file, recording_error(rec));
		ret = 2;
	}
	recording_close(rec);
	fflush(out);
	return ret;
}

int report_main(const char *file, int json, const char *html_out)
{
	return report_run(file, json, html_out, stdout, stderr);
}
