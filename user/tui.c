// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ncurses side of `streamtrace top`: paint tui_model.c's lines and rows,
 * read keys without blocking (the session polls the kernel in between), and
 * follow the terminal's size (KEY_RESIZE, which ncurses delivers on
 * SIGWINCH). Built without ncurses (ST_NO_TUI) tui_start returns NULL and
 * the session prints the plain table.
 */
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#ifdef ST_NO_TUI
struct tui *tui_start(int color)
{
	(void)color;
	return NULL;
}
void tui_update(struct tui *t, const struct snapshot *s)
{
	(void)t;
	(void)s;
}
int tui_keys(struct tui *t)
{
	(void)t;
	return 0;
}
void tui_stop(struct tui *t)
{
	(void)t;
}
#else
#include <curses.h>
#include <locale.h>
#include "tui_model.h"

enum tui_screen { SC_TABLE, SC_DETAIL, SC_SERVICES, SC_PIPELINE, SC_HELP };

#define MAX_LINES 256

struct tui {
	SCREEN *scr;
	int color;
	struct tui_model m;
	struct tui_state st;
	enum tui_screen screen, back; /* back: where Esc goes from help */
	struct tui_row *rows;
	unsigned n_rows, cap_rows;
	unsigned sel, top; /* table: selected row, first row shown */
	uint32_t sel_pid;  /* the selection follows its process across intervals */
	char sel_comm[ST_COMM_LEN];
	int sel_group;
	unsigned scroll; /* other screens: first line shown */
	uint32_t detail_pid;
	struct tui_line lines[MAX_LINES];
};

enum { PAIR_SAT = 1, PAIR_BOTT, PAIR_TITLE };

static int attr_of(const struct tui *t, enum tui_attr a)
{
	switch (a) {
	case TA_TITLE:
		return A_BOLD;
	case TA_HEAD:
		return A_REVERSE;
	case TA_SATURATED:
		return t->color ? COLOR_PAIR(PAIR_SAT) | A_BOLD : A_BOLD;
	case TA_BOTTLENECK:
		return t->color ? COLOR_PAIR(PAIR_BOTT) | A_BOLD : A_BOLD;
	case TA_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

static void put(struct tui *t, int y, const char *s, enum tui_attr a, int extra)
{
	int w = COLS;

	if (y < 0 || y >= LINES)
		return;
	attrset(attr_of(t, a) | extra);
	move(y, 0);
	/* a full row of the attribute (headings, selection), cut at the width */
	addnstr(s, w);
	clrtoeol();
	if (extra || a == TA_HEAD)
		for (int x = getcurx(stdscr); x < w && x >= 0; x++)
			addch(' ');
	attrset(A_NORMAL);
}

static void rebuild_rows(struct tui *t)
{
	unsigned need = t->m.n ? t->m.n * 2 : 1;

	if (need > t->cap_rows) {
		struct tui_row *n = realloc(t->rows, need * sizeof(*n));

		if (!n)
			return;
		t->rows = n;
		t->cap_rows = need;
	}
	t->n_rows = tui_rows(&t->m, &t->st, t->rows, t->cap_rows);
	/* keep the selection on the same process or group */
	for (unsigned i = 0; i < t->n_rows; i++) {
		const struct tui_row *r = &t->rows[i];

		if ((t->sel_group && r->kind == TR_GROUP && !strcmp(r->comm, t->sel_comm)) ||
		    (!t->sel_group && r->kind != TR_GROUP && t->m.p[r->proc].pid == t->sel_pid &&
		     t->sel_pid)) {
			t->sel = i;
			break;
		}
	}
	if (t->sel >= t->n_rows)
		t->sel = t->n_rows ? t->n_rows - 1 : 0;
}

static void remember_sel(struct tui *t)
{
	const struct tui_row *r;

	if (t->sel >= t->n_rows)
		return;
	r = &t->rows[t->sel];
	t->sel_group = r->kind == TR_GROUP;
	t->sel_pid = t->m.p[r->proc].pid;
	snprintf(t->sel_comm, sizeof(t->sel_comm), "%s", r->comm);
}

static void draw_table(struct tui *t)
{
	char buf[256];
	int body = LINES - 3; /* title, heading, footer */
	unsigned groups = 0;

	for (unsigned i = 0; i < t->n_rows; i++)
		groups += t->rows[i].kind != TR_MEMBER;
	tui_fmt_title(buf, sizeof(buf), &t->m, groups);
	put(t, 0, buf, TA_TITLE, 0);
	tui_fmt_header(buf, sizeof(buf), &t->st);
	put(t, 1, buf, TA_HEAD, 0);
	if (t->n_rows > (unsigned)body)
		body--; /* a line to say which rows are shown */
	if (body < 1)
		return;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + (unsigned)body)
		t->top = t->sel - (unsigned)body + 1;
	if (t->top + (unsigned)body > t->n_rows)
		t->top = t->n_rows > (unsigned)body ? t->n_rows - (unsigned)body : 0;
	for (int y = 0; y < body && t->top + (unsigned)y < t->n_rows; y++) {
		const struct tui_row *r = &t->rows[t->top + y];
		enum tui_attr a = r->bottleneck	 ? TA_BOTTLENECK
				  : r->saturated ? TA_SATURATED
				  : r->exited	 ? TA_DIM
						 : TA_NORMAL;

		tui_fmt_row(buf, sizeof(buf), r);
		put(t, 2 + y, buf, a, t->top + (unsigned)y == t->sel ? A_REVERSE : 0);
	}
	if (!t->n_rows)
		put(t, 2, t->m.loaded ? "no traced process" : "waiting for the first interval...",
		    TA_NORMAL, 0);
	if (t->n_rows > (unsigned)body) {
		snprintf(buf, sizeof(buf), "rows %u-%u of %u", t->top + 1, t->top + (unsigned)body,
			 t->n_rows);
		put(t, LINES - 2, buf, TA_DIM, 0);
	}
	put(t, LINES - 1, tui_footer_table, TA_HEAD, 0);
}

static void draw_lines(struct tui *t, unsigned n, const char *footer)
{
	int body = LINES - 1;

	if (body < 1)
		return;
	if (n <= (unsigned)body)
		t->scroll = 0;
	else if (t->scroll > n - (unsigned)body)
		t->scroll = n - (unsigned)body;
	for (int y = 0; y < body && t->scroll + (unsigned)y < n; y++) {
		const struct tui_line *l = &t->lines[t->scroll + y];

		put(t, y, l->text, l->attr, 0);
	}
	put(t, LINES - 1, footer, TA_HEAD, 0);
}

static void draw(struct tui *t)
{
	unsigned n = 0;

	erase();
	switch (t->screen) {
	case SC_TABLE:
		draw_table(t);
		break;
	case SC_DETAIL: {
		unsigned idx = t->m.n;

		for (unsigned i = 0; i < t->m.n; i++)
			if (t->m.p[i].pid == t->detail_pid)
				idx = i;
		if (idx < t->m.n) {
			n = tui_detail_lines(&t->m, idx, t->lines, MAX_LINES);
		} else {
			snprintf(t->lines[0].text, TUI_LINE, "process %u is no longer in the view",
				 t->detail_pid);
			t->lines[0].attr = TA_TITLE;
			n = 1;
		}
		draw_lines(t, n, tui_footer_detail);
		break;
	}
	case SC_SERVICES:
		n = tui_services_lines(&t->m, t->lines, MAX_LINES);
		draw_lines(t, n, tui_footer_other);
		break;
	case SC_PIPELINE:
		n = tui_pipeline_lines(&t->m, t->lines, MAX_LINES);
		draw_lines(t, n, tui_footer_other);
		break;
	case SC_HELP:
		n = tui_help_lines(t->lines, MAX_LINES);
		draw_lines(t, n, tui_footer_other);
		break;
	}
	refresh();
}

struct tui *tui_start(int color)
{
	struct tui *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	/* λ and ρ in UTF-8: the character type only (numbers keep their '.') */
	setlocale(LC_CTYPE, "");
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr) {
		free(t);
		return NULL;
	}
	set_term(t->scr);
	cbreak(); /* not raw: Ctrl-C stays SIGINT, which ends the run as always */
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	t->color = color && has_colors();
	if (t->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_SAT, COLOR_RED, -1);
		init_pair(PAIR_BOTT, COLOR_YELLOW, -1);
	}
	tui_state_init(&t->st);
	draw(t);
	return t;
}

void tui_update(struct tui *t, const struct snapshot *s)
{
	if (!t)
		return;
	if (tui_model_load(&t->m, s))
		return;
	rebuild_rows(t);
	/* repaint it all once an interval: what a traced command or a warning
	 * on stderr wrote over the screen goes away */
	clearok(curscr, TRUE);
	draw(t);
}

static void open_selected(struct tui *t)
{
	const struct tui_row *r;

	if (t->sel >= t->n_rows)
		return;
	r = &t->rows[t->sel];
	if (r->kind == TR_GROUP) {
		tui_toggle_group(&t->st, r->comm);
		remember_sel(t);
		rebuild_rows(t);
		return;
	}
	t->detail_pid = t->m.p[r->proc].pid;
	t->screen = SC_DETAIL;
	t->scroll = 0;
}

static void move_sel(struct tui *t, long d)
{
	long s = (long)t->sel + d;

	if (s >= (long)t->n_rows)
		s = (long)t->n_rows - 1;
	if (s < 0)
		s = 0;
	t->sel = (unsigned)s;
	remember_sel(t);
}

int tui_keys(struct tui *t)
{
	int ch, dirty = 0, page = LINES > 4 ? LINES - 4 : 1;

	if (!t)
		return 0;
	while ((ch = getch()) != ERR) {
		dirty = 1;
		if (ch == 'q' || ch == 'Q')
			return 1;
		if (ch == KEY_RESIZE)
			continue;
		if (ch == '?' || ch == 'h' || ch == KEY_F(1)) {
			if (t->screen != SC_HELP)
				t->back = t->screen;
			t->screen = SC_HELP;
			t->scroll = 0;
			continue;
		}
		if (ch == 's' || ch == 'p') {
			t->screen = ch == 's' ? SC_SERVICES : SC_PIPELINE;
			t->scroll = 0;
			continue;
		}
		if (t->screen != SC_TABLE) {
			switch (ch) {
			case 27: /* Esc */
			case KEY_LEFT:
			case KEY_BACKSPACE:
			case 127:
			case 8:
				t->screen = t->screen == SC_HELP ? t->back : SC_TABLE;
				t->scroll = 0;
				break;
			case KEY_UP:
			case 'k':
				if (t->scroll)
					t->scroll--;
				break;
			case KEY_DOWN:
			case 'j':
				t->scroll++;
				break;
			case KEY_PPAGE:
				t->scroll = t->scroll > (unsigned)page ? t->scroll - page : 0;
				break;
			case KEY_NPAGE:
				t->scroll += page;
				break;
			}
			continue;
		}
		switch (ch) {
		case KEY_UP:
		case 'k':
			move_sel(t, -1);
			break;
		case KEY_DOWN:
		case 'j':
			move_sel(t, 1);
			break;
		case KEY_PPAGE:
			move_sel(t, -page);
			break;
		case KEY_NPAGE:
			move_sel(t, page);
			break;
		case KEY_HOME:
			move_sel(t, -(long)t->n_rows);
			break;
		case KEY_END:
			move_sel(t, t->n_rows);
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
		case KEY_RIGHT:
			open_selected(t);
			break;
		case '<':
		case ',':
			t->st.sort = t->st.sort ? t->st.sort - 1 : TC__N - 1;
			rebuild_rows(t);
			break;
		case '>':
		case '.':
			t->st.sort = (t->st.sort + 1) % TC__N;
			rebuild_rows(t);
			break;
		case 'r':
			t->st.reverse = !t->st.reverse;
			rebuild_rows(t);
			break;
		}
	}
	if (dirty)
		draw(t);
	return 0;
}

void tui_stop(struct tui *t)
{
	if (!t)
		return;
	endwin();
	delscreen(t->scr);
	tui_model_free(&t->m);
	free(t->rows);
	free(t);
}
#endif
