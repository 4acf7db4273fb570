// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --profile's outputs: JSON, flame graphs, folded stacks (profile_out.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "html_out.h"
#include "outfile.h"
#include "profile_out.h"
#include "recording.h"

/* ---- JSON --------------------------------------------------------------- */

static void json_top(struct jw *w, const struct profile *p, uint32_t pid, uint32_t off,
		     uint64_t total)
{
	struct profile_top top[PROFILE_TOP];
	size_t n = profile_top(p, pid, off, top, PROFILE_TOP);

	jw_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_kstr(w, "frame", top[i].frame);
		jw_knum(w, "share", total ? (double)top[i].value / (double)total : NAN);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

void profile_out_json(struct jw *w, const struct snapshot *s)
{
	const struct profile *p = s->profile;
	uint32_t *pids;
	size_t n;

	if (!p)
		return;
	jw_key(w, "profile");
	jw_obj_begin(w);
	jw_ku64(w, "hz", p->hz);
	jw_key(w, "processes");
	jw_arr_begin(w);
	pids = calloc(p->n ? p->n : 1, sizeof(*pids));
	n = pids ? profile_pids(p, pids, p->n) : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t on = profile_total(p, pids[i], 0), off = profile_total(p, pids[i], 1);
		const char *comm = "?";

		for (size_t r = 0; r < p->n; r++)
			if (p->rows[r].pid == pids[i]) {
				comm = p->rows[r].comm;
				break;
			}
		jw_obj_begin(w);
		jw_ku64(w, "pid", pids[i]);
		jw_key(w, "comm");
		jw_strn(w, comm, ST_COMM_LEN);
		jw_ku64(w, "samples", on);
		jw_key(w, "top");
		json_top(w, p, pids[i], 0, on);
		jw_knum(w, "offcpu_s", (double)off / 1e9);
		jw_key(w, "offcpu_top");
		json_top(w, p, pids[i], 1, off);
		jw_obj_end(w);
	}
	free(pids);
	jw_arr_end(w);
	jw_obj_end(w);
}

/* ---- flame graphs ------------------------------------------------------- */

#define SVG_W	    1180.0
#define SVG_ROW	    16
#define SVG_MIN_PX  0.3
#define SVG_MAX_DEP 160

struct node {
	char *name;
	uint64_t value;
	struct node *kids;
	size_t n, cap;
};

static void node_free(struct node *n)
{
	for (size_t i = 0; i < n->n; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
}

static struct node *node_child(struct node *n, const char *name, size_t len)
{
	for (size_t i = 0; i < n->n; i++)
		if (strlen(n->kids[i].name) == len && !memcmp(n->kids[i].name, name, len))
			return &n->kids[i];
	if (n->n == n->cap) {
		size_t nc = n->cap ? 2 * n->cap : 4;
		struct node *k = realloc(n->kids, nc * sizeof(*k));

		if (!k)
			return NULL;
		n->kids = k;
		n->cap = nc;
	}
	memset(&n->kids[n->n], 0, sizeof(struct node));
	n->kids[n->n].name = strndup(name, len);
	if (!n->kids[n->n].name)
		return NULL;
	return &n->kids[n->n++];
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->name, ((const struct node *)b)->name);
}

static unsigned node_sort(struct node *n)
{
	unsigned d = 0;

	if (n->n)
		qsort(n->kids, n->n, sizeof(*n->kids), name_cmp);
	for (size_t i = 0; i < n->n; i++) {
		unsigned k = node_sort(&n->kids[i]) + 1;

		if (k > d)
			d = k;
	}
	return d;
}

/* warm colours on-CPU (kernel frames orange), blues off-CPU */
static void colour(const char *name, int off, char *out, size_t len)
{
	unsigned h = 5381;
	size_t l = strlen(name);

	for (const char *c = name; *c; c++)
		h = h * 33 + (unsigned char)*c;
	if (off)
		snprintf(out, len, "rgb(%u,%u,%u)", 60 + h % 60, 110 + (h >> 8) % 80,
			 200 + (h >> 16) % 55);
	else if (l > 4 && !strcmp(name + l - 4, "_[k]"))
		snprintf(out, len, "rgb(%u,%u,%u)", 230 + h % 25, 130 + (h >> 8) % 50,
			 40 + (h >> 16) % 30);
	else
		snprintf(out, len, "rgb(%u,%u,%u)", 215 + h % 40, 60 + (h >> 8) % 120,
			 40 + (h >> 16) % 40);
}

static void svg_node(FILE *f, const struct node *n, double x, unsigned depth, unsigned height,
		     double scale, uint64_t total, int off)
{
	double w = (double)n->value * scale, cx = x;
	char fill[40];

	if (w < SVG_MIN_PX || depth > SVG_MAX_DEP)
		return;
	colour(n->name, off, fill, sizeof(fill));
	fputs("<g><title>", f);
	html_escape(f, n->name, 4096);
	if (off)
		fprintf(f, " (%.3f ms, %.2f%%)", (double)n->value / 1e6,
			100.0 * (double)n->value / (double)total);
	else
		fprintf(f, " (%llu samples, %.2f%%)", (unsigned long long)n->value,
			100.0 * (double)n->value / (double)total);
	fprintf(f, "</title><rect x='%.1f' y='%u' width='%.1f' height='%u' fill='%s' rx='2'/>", x,
		height - (depth + 1) * SVG_ROW, w, SVG_ROW - 1, fill);
	if (w > 24) {
		size_t fit = (size_t)((w - 6) / 7), len = strlen(n->name);

		fprintf(f, "<text x='%.1f' y='%u'>", x + 3, height - depth * SVG_ROW - 4);
		if (len <= fit) {
			html_escape(f, n->name, len);
		} else {
			html_escape(f, n->name, fit > 2 ? fit - 2 : 0);
			fputs("..", f);
		}
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
	for (size_t i = 0; i < n->n; i++) {
		svg_node(f, &n->kids[i], cx, depth + 1, height, scale, total, off);
		cx += (double)n->kids[i].value * scale;
	}
}

void profile_out_svg(FILE *f, const struct profile *p, uint32_t pid, uint32_t off)
{
	struct node root = {0};
	unsigned depth, height;

	for (size_t i = 0; i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		struct node *n = &root;
		const char *s = r->stack;

		if (r->pid != pid || r->offcpu != off || !r->value)
			continue;
		root.value += r->value;
		while (n && *s) {
			const char *e = strchr(s, ';');
			size_t len = e ? (size_t)(e - s) : strlen(s);

			n = node_child(n, s, len);
			if (n)
				n->value += r->value;
			s += len + (e ? 1 : 0);
		}
	}
	if (!root.value) {
		node_free(&root);
		return;
	}
	root.name = strdup(off ? "all (off-CPU in service)" : "all (on-CPU)");
	depth = node_sort(&root) + 1;
	if (depth > SVG_MAX_DEP + 1)
		depth = SVG_MAX_DEP + 1;
	height = depth * SVG_ROW + 4;
	fprintf(f,
		"<svg class='flame' xmlns='http://www.w3.org/2000/svg' width='100%%' "
		"data-width='%.0f' data-height='%u' viewBox='0 0 %.0f %u' font-family='monospace' "
		"font-size='11'>\n",
		SVG_W, height, SVG_W, height);
	if (root.name)
		svg_node(f, &root, 0, 0, height, SVG_W / (double)root.value, root.value, off);
	fputs("</svg>\n", f);
	node_free(&root);
}

/* One process's flame graphs (on-CPU, then off-CPU in service). */
static void html_proc(FILE *f, const struct profile *p, const struct proc_view *v)
{
	for (uint32_t off = 0; off < 2; off++) {
		uint64_t t = profile_total(p, v->pid, off);

		if (!t)
			continue;
		fputs("<h3>", f);
		html_escape(f, v->comm, ST_COMM_LEN);
		fprintf(f, " [%u]", v->pid);
		if (v->stage)
			fprintf(f, " — pipeline stage %u%s", v->stage,
				v->bottleneck ? " (bottleneck)" : "");
		if (off)
			fprintf(f, ": off-CPU in service, %.3f s</h3>\n", (double)t / 1e9);
		else
			fprintf(f, ": on-CPU, %llu samples</h3>\n", (unsigned long long)t);
		profile_out_svg(f, p, v->pid, off);
	}
}

void profile_out_html(FILE *f, const struct snapshot *s)
{
	const struct profile *p = s->profile;
	unsigned max_stage = 0;

	if (!p)
		return;
	fprintf(f,
		"<h2 id='profiles'>Where the time goes</h2>\n<p class='note'>Flame graphs of each "
		"traced process (the bottleneck, then the pipeline stages in order, then the "
		"rest): on-CPU stacks sampled at %u Hz, and off-CPU stacks weighted by the time "
		"blocked while a message was in service. Each box is a function; its width, its "
		"share of the samples (or of the blocked time); the boxes above it, what it "
		"called. Hover for names and figures. Frames ending in _[k] are the "
		"kernel's.</p>\n",
		p->hz);
	for (unsigned i = 0; i < s->n_procs; i++)
		if (s->procs[i].stage > max_stage)
			max_stage = s->procs[i].stage;
	for (unsigned i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid && s->procs[i].bottleneck)
			html_proc(f, p, &s->procs[i]);
	for (unsigned st = 1; st <= max_stage; st++)
		for (unsigned i = 0; i < s->n_procs; i++)
			if (s->procs[i].pid && s->procs[i].stage == st && !s->procs[i].bottleneck)
				html_proc(f, p, &s->procs[i]);
	for (unsigned i = 0; i < s->n_procs; i++)
		if (s->procs[i].pid && !s->procs[i].stage && !s->procs[i].bottleneck)
			html_proc(f, p, &s->procs[i]);
}

/* ---- folded ------------------------------------------------------------- */

FILE *profile_out_folded_open(const char *path)
{
	return out_open(path, NULL, 0644, 0);
}

int profile_out_folded_file(const struct profile *p, const char *path)
{
	FILE *f = profile_out_folded_open(path);
	int bad;

	if (!f)
		return -1;
	bad = profile_write_folded(p, f);
	if (fclose(f))
		bad = -1;
	return bad;
}

int profile_out_report_folded(const char *file, const char *out)
{
	struct recording_meta m;
	struct recording *rec;
	struct snapshot s;
	char e[256];
	int r, ret = 0;
	struct profile *p = NULL;

	rec = recording_open(file, &m, e, sizeof(e));
	if (!rec) {
		fprintf(stderr, "streamtrace: %s: %s\n", file, e);
		return 2;
	}
	while ((r = recording_next(rec, &s)) == 1) {
		if (s.profile) { /* the summary's */
			profile_free(p);
			p = s.profile;
			s.profile = NULL;
		}
		snapshot_free(&s);
	}
	if (r < 0) {
		fprintf(stderr, "streamtrace: %s: %s\n", file, recording_error(rec));
		ret = 2;
	} else if (!p) {
		fprintf(stderr,
			"streamtrace: %s: no profile in this recording (record it with "
			"--profile)\n",
			file);
		ret = 2;
	} else if (!out || !strcmp(out, "-")) {
		if (profile_write_folded(p, stdout) || fflush(stdout)) {
			fprintf(stderr, "streamtrace: writing the folded stacks failed: %s\n",
				strerror(errno));
			ret = 1;
		}
	} else if (profile_out_folded_file(p, out)) {
		fprintf(stderr, "streamtrace: --folded %s: %s\n", out, strerror(errno));
		ret = 1;
	}
	profile_free(p);
	recording_close(rec);
	return ret;
}

/* ---- diff --------------------------------------------------------------- */

/* The summary's profile of a recording, or NULL (none, or unreadable: the
 * diff itself says why). */
static struct profile *load_profile(const char *file)
{
	struct recording_meta m;
	struct recording *rec;
	struct profile *p = NULL;
	struct snapshot s;
	char e[256];

	rec = recording_open(file, &m, e, sizeof(e));
	if (!rec)
		return NULL;
	while (recording_next(rec, &s) == 1) {
		if (s.profile) {
			profile_free(p);
			p = s.profile;
			s.profile = NULL;
		}
		snapshot_free(&s);
	}
	recording_close(rec);
	return p;
}

struct share {
	char comm[ST_COMM_LEN + 1];
	char frame[256];
	uint64_t v[2]; /* base, new */
};

/* Add every on-CPU row of p (side k) to its (comm, frame) cell. */
static int add_shares(struct share **all, size_t *n, size_t *cap, const struct profile *p, int k)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_row *r = &p->rows[i];
		char f[256], comm[ST_COMM_LEN + 1];
		size_t j;

		if (r->offcpu)
			continue;
		snprintf(comm, sizeof(comm), "%.*s", ST_COMM_LEN, r->comm);
		profile_row_frame(r->stack, f, sizeof(f));
		for (j = 0; j < *n && (strcmp((*all)[j].comm, comm) || strcmp((*all)[j].frame, f));
		     j++)
			;
		if (j == *n) {
			if (*n == *cap) {
				size_t nc = *cap ? 2 * *cap : 64;
				struct share *na = realloc(*all, nc * sizeof(*na));

				if (!na)
					return -1;
				*all = na;
				*cap = nc;
			}
			memset(&(*all)[j], 0, sizeof(**all));
			memcpy((*all)[j].comm, comm, sizeof(comm));
			memcpy((*all)[j].frame, f, sizeof(f));
			(*n)++;
		}
		(*all)[j].v[k] += r->value;
	}
	return 0;
}

static uint64_t comm_total(const struct share *all, size_t n, const char *comm, int k)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].comm, comm))
			t += all[i].v[k];
	return t;
}

void profile_out_diff(FILE *out, const char *base, const char *new_file)
{
	struct profile *p[2] = {load_profile(base), load_profile(new_file)};
	struct share *all = NULL;
	size_t n = 0, cap = 0;
	unsigned shown = 0;

	if (!p[0] || !p[1] || add_shares(&all, &n, &cap, p[0], 0) ||
	    add_shares(&all, &n, &cap, p[1], 1))
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t tb = comm_total(all, n, all[i].comm, 0),
			 tn = comm_total(all, n, all[i].comm, 1);
		double sb = tb ? 100.0 * (double)all[i].v[0] / (double)tb : 0;
		double sn = tn ? 100.0 * (double)all[i].v[1] / (double)tn : 0;

		/* a command in both profiles, a frame that grew */
		if (!tb || !tn || sn - sb < PROFILE_DIFF_PTS)
			continue;
		if (!shown++)
			fprintf(out,
				"profile: frames whose share of their command's on-CPU samples "
				"grew by %.0f points or more:\n",
				PROFILE_DIFF_PTS);
		fputs("  ", out);
		for (const char *c = all[i].comm; *c; c++)
			fputc((unsigned char)*c < 0x20 ? '?' : *c, out);
		fprintf(out, "  %s  %.1f%% -> %.1f%% (+%.1f points)\n", all[i].frame, sb, sn,
			sn - sb);
	}
	if (!shown)
		fprintf(out,
			"profile: no frame's share of its command's on-CPU samples grew by "
			"%.0f points or more\n",
			PROFILE_DIFF_PTS);
out:
	free(all);
	profile_free(p[0]);
	profile_free(p[1]);
}
