/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SVG primitives of the HTML report's charts (svg.c). */
#ifndef ST_SVG_H
#define ST_SVG_H

#include <stddef.h>
#include <stdio.h>

/* one chart: its viewBox and plot area */
#define CW 960
#define CH 300
#define PL 78 /* plot left */
#define PR (CW - 78)
#define PT 46
#define PB (CH - 48)

struct svg_axis {
	double lo, hi;
	int log;
};

typedef void (*fmt_fn)(double v, char *b, size_t n);

/* @v on axis @a as a pixel between @p0 (lo) and @p1 (hi); NaN off a log axis */
double svg_px(const struct svg_axis *a, double v, double p0, double p1);
/* a round step that cuts @range in about @n */
double svg_nice_step(double range, int n);
/* a linear axis from @lo to a round number above @hi */
struct svg_axis svg_axis_linear(double lo, double hi);
/* a log axis over whole decades when values span more than ~30x, else linear from 0 */
struct svg_axis svg_axis_auto(double mn, double mx);
/* y ticks with grid lines (left) or labels only (@right), written by @fmt */
void svg_axis_ticks(FILE *f, const struct svg_axis *a, int right, fmt_fn fmt, const char *color);
/* x ticks of time since the start, under the plot at @bottom */
void svg_time_ticks(FILE *f, const struct svg_axis *a, int bottom);
/* one legend entry at *x (a line, dashed by @dash, or a box: 1 light, 2 solid); moves *x on */
void svg_legend_item(FILE *f, double *x, const char *label, const char *color, const char *dash,
		     int box);
/* the clip of the chart being drawn (set by svg_begin) */
extern char svg_clip_id[80];
/* open a chart of height @h, with its clip and background */
void svg_begin(FILE *f, const char *id, int h, const char *aria);
/* a polyline through (xs, ys), broken where a value is unknown; lone points as dots */
void svg_path(FILE *f, const struct svg_axis *xa, const struct svg_axis *ya, const double *xs,
	      const double *ys, unsigned n, const char *color, const char *dash, double width);
void svg_plot_frame(FILE *f);
void svg_y_label(FILE *f, const char *label, int right, const char *color);
/* widen *mn (smallest positive) and *mx over the finite values of @ys */
void svg_series_range(const double *ys, unsigned n, double *mn, double *mx);

#endif
