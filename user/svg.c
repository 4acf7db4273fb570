// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SVG drawing for the HTML report (svg.h): axes, ticks, legends, the chart
 * frame and polylines, in the chart geometry of svg.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "svg.h"
#include "units.h"

double svg_px(const struct svg_axis *a, double v, double p0, double p1)
{
	double f;

	if (a->log) {
		if (!(v > 0))
			return NAN;
		f = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	} else {
		f = (v - a->lo) / (a->hi - a->lo);
	}
	return p0 + f * (p1 - p0);
}

double svg_nice_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw))), r = raw / mag;

	return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

/* A linear axis from 0 (or lo) to a round number above hi. */
struct svg_axis svg_axis_linear(double lo, double hi)
{
	struct svg_axis a = {lo, hi, 0};
	double step;

	if (!isfinite(a.hi) || a.hi <= a.lo)
		a.hi = a.lo + 1;
	step = svg_nice_step(a.hi - a.lo, 5);
	a.hi = a.lo + ceil((a.hi - a.lo) / step - 1e-9) * step;
	return a;
}

/* Log axis over whole decades, when values span more than ~30x. */
struct svg_axis svg_axis_auto(double mn, double mx)
{
	struct svg_axis a;

	if (mn > 0 && isfinite(mn) && isfinite(mx) && mx / mn > 30) {
		a.log = 1;
		a.lo = pow(10, floor(log10(mn)));
		a.hi = pow(10, ceil(log10(mx)));
		if (a.hi <= a.lo)
			a.hi = a.lo * 10;
		return a;
	}
	return svg_axis_linear(0, mx * 1.05);
}

/* one y tick at value @v: a grid line (left axis only) and its label */
static void y_tick(FILE *f, const struct svg_axis *a, double v, double shown, int right, fmt_fn fmt,
		   const char *color)
{
	char b[32];
	double y = svg_px(a, v, PB, PT);

	fmt(shown, b, sizeof(b));
	if (!right)
		fprintf(f, "<line class='grid' x1='%d' x2='%d' y1='%.1f' y2='%.1f'/>\n", PL, PR, y,
			y);
	fprintf(f, "<text x='%.0f' y='%.1f' text-anchor='%s' fill='%s'>%s</text>\n",
		right ? PR + 6.0 : PL - 6.0, y + 4, right ? "start" : "end", color, b);
}

void svg_axis_ticks(FILE *f, const struct svg_axis *a, int right, fmt_fn fmt, const char *color)
{
	double step, v = a->lo;

	/* index-bounded loops: a hostile recording can make any range */
	if (a->log) {
		for (int i = 0; i < 40 && v <= a->hi * 1.0001; i++, v *= 10)
			y_tick(f, a, v, v, right, fmt, color);
		return;
	}
	step = svg_nice_step(a->hi - a->lo, 5);
	for (int i = 0; i < 40 && a->lo + i * step <= a->hi + step * 1e-6; i++) {
		v = a->lo + i * step;
		y_tick(f, a, v, fabs(v) < step * 1e-9 ? 0 : v, right, fmt, color);
	}
}

void svg_time_ticks(FILE *f, const struct svg_axis *a, int bottom)
{
	double step = svg_nice_step(a->hi - a->lo, 8);
	char b[32];

	/* whole minutes or hours once the run is long */
	if (step > 40 && step < 60)
		step = 60;
	else if (step > 60 && step < 120)
		step = 120;
	else if (step > 2400 && step < 3600)
		step = 3600;
	for (int i = 0; i < 40; i++) {
		double v = (ceil(a->lo / step) + i) * step, x = svg_px(a, v, PL, PR);

		if (!(v <= a->hi + step * 1e-6))
			break;

		fmt_elapsed(v, b, sizeof(b));
		fprintf(f, "<line class='tick' x1='%.1f' x2='%.1f' y1='%d' y2='%d'/>\n", x, x,
			bottom, bottom + 5);
		fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>\n", x, bottom + 18,
			b);
	}
	fprintf(f,
		"<text x='%d' y='%d' text-anchor='middle' class='axlabel'>time since "
		"start</text>\n",
		(PL + PR) / 2, bottom + 36);
}

void svg_legend_item(FILE *f, double *x, const char *label, const char *color, const char *dash,
		     int box)
{
	if (box)
		fprintf(f, "<rect x='%.0f' y='12' width='18' height='10' fill='%s' opacity='%s'/>",
			*x, color, box == 1 ? "0.35" : "1");
	else
		fprintf(f,
			"<line x1='%.0f' x2='%.0f' y1='17' y2='17' stroke='%s' "
			"stroke-width='2.5'%s%s%s/>",
			*x, *x + 18, color, dash ? " stroke-dasharray='" : "", dash ? dash : "",
			dash ? "'" : "");
	fprintf(f, "<text x='%.0f' y='21'>%s</text>\n", *x + 23, label);
	*x += 23 + 7.2 * (double)strlen(label) + 18;
}

/* the clip of the chart being drawn: lines and bands stay in the plot area */
char svg_clip_id[80];

void svg_begin(FILE *f, const char *id, int h, const char *aria)
{
	snprintf(svg_clip_id, sizeof(svg_clip_id), "clip-%s", id);
	fprintf(f,
		"<svg id='%s' class='chart' viewBox='0 0 %d %d' width='100%%' role='img' "
		"aria-label='%s'>\n",
		id, CW, h, aria);
	fprintf(f,
		"<defs><clipPath id='%s'><rect x='%d' y='%d' width='%d' height='%d'/></clipPath>"
		"</defs>\n",
		svg_clip_id, PL, PT - 3, PR - PL, PB - PT + 6);
	fprintf(f, "<rect x='0' y='0' width='%d' height='%d' fill='#ffffff'/>\n", CW, h);
}

/* A polyline through (xs, ys), broken where a value is unknown. */
void svg_path(FILE *f, const struct svg_axis *xa, const struct svg_axis *ya, const double *xs,
	      const double *ys, unsigned n, const char *color, const char *dash, double width)
{
	int pen = 0;

	fprintf(f,
		"<path clip-path='url(#%s)' fill='none' stroke='%s' stroke-width='%.1f' "
		"stroke-linejoin='round'%s%s%s d='",
		svg_clip_id, color, width, dash ? " stroke-dasharray='" : "", dash ? dash : "",
		dash ? "'" : "");
	for (unsigned i = 0; i < n; i++) {
		double x = svg_px(xa, xs[i], PL, PR), y = svg_px(ya, ys[i], PB, PT);

		if (!isfinite(x) || !isfinite(y)) {
			pen = 0;
			continue;
		}
		if (y < PT - 2)
			y = PT - 2; /* clipped at the top rather than drawn off the chart */
		fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', x, y);
		pen = 1;
	}
	fputs("'/>\n", f);
	/* lone points would not show as a path */
	for (unsigned i = 0; i < n; i++) {
		int prev = i > 0 && isfinite(ys[i - 1]), next = i + 1 < n && isfinite(ys[i + 1]);
		double x = svg_px(xa, xs[i], PL, PR), y = svg_px(ya, ys[i], PB, PT);

		if (!prev && !next && isfinite(x) && isfinite(y))
			fprintf(f,
				"<circle clip-path='url(#%s)' cx='%.1f' cy='%.1f' r='2.5' "
				"fill='%s'/>\n",
				svg_clip_id, x, y, color);
	}
}

void svg_plot_frame(FILE *f)
{
	fprintf(f, "<rect class='frame' x='%d' y='%d' width='%d' height='%d'/>\n", PL, PT, PR - PL,
		PB - PT);
}

void svg_y_label(FILE *f, const char *label, int right, const char *color)
{
	double x = right ? CW - 14 : 16;

	fprintf(f,
		"<text class='axlabel' transform='translate(%.0f %d) rotate(-90)' "
		"text-anchor='middle' fill='%s'>%s</text>\n",
		x, (PT + PB) / 2, color, label);
}

void svg_series_range(const double *ys, unsigned n, double *mn, double *mx)
{
	for (unsigned i = 0; i < n; i++) {
		if (!isfinite(ys[i]))
			continue;
		if (ys[i] > *mx)
			*mx = ys[i];
		if (ys[i] > 0 && ys[i] < *mn)
			*mn = ys[i];
	}
}
