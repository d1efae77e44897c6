/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The full-screen frontend (libnewt).  One window per screen at a fixed
 * place that fits 80x24: the screen's intro, then one row per field with
 * its error beside it, then Back, Next and Quit.  A short form timer polls
 * the terminal size because newt swallows its own resize key.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <newt.h>
#include <slang.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "tui.h"

#define WIN_LEFT	2
#define WIN_TOP		2
#define WIN_W		76
#define WIN_H		18
#define LABEL_W		16
#define INPUT_X		18
#define INPUT_W		30
#define MSG_X		49
#define MSG_W		26
#define STATUS_Y	14
#define BUTTON_Y	17
#define INTRO_MAX	6
#define POLL_MS		250

#define HELP_LINE	" F1 Help   Tab move   Enter Next   F10 Quit"

struct nfield {
	newtComponent	 input;
	newtComponent	 msg;
};

struct nscreen {
	const struct screen	*s;
	size_t			 idx;
	newtComponent		 form;
	newtComponent		 status;
	newtComponent		 back;
	newtComponent		 action;
	newtComponent		 next;
	newtComponent		 quit;
	struct nfield		 f[8];
	char			*vals[8];
};

struct newt_state {
	int	cols;
	int	rows;
};

int
tui_terminal_size(int fd, int *cols, int *rows)
{
	struct winsize	ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return -1;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return 0;
}

/*
 * Why the wizard draws its boxes in plain ASCII, or NULL when it uses
 * lines.  One rule, the same as ncurses' (and so the run dashboard's):
 * asked for (--ascii, DHIS2_SETUP_ASCII), or the terminal's description
 * has no line-drawing set (acsc), whatever the locale.  Slang alone would
 * draw Unicode lines in a UTF-8 locale even then, and a serial console or
 * an old terminal with LANG set shows them as garbage.
 */
const char *
tui_ascii_reason(int asked)
{
	const char	*e = getenv("DHIS2_SETUP_ASCII");
	char		*acsc;

	if (asked)
		return "--ascii";
	if (e != NULL && *e != '\0' && strcmp(e, "0") != 0)
		return "DHIS2_SETUP_ASCII";
	/* After newtInit(): the terminal's description is loaded. */
	acsc = SLtt_tgetstr("ac");
	if (acsc == NULL || *acsc == '\0')
		return "the terminal has no line-drawing characters";
	return NULL;
}

static int
size_ok(int cols, int rows)
{
	return cols >= TUI_MIN_COLS && rows >= TUI_MIN_ROWS;
}

static void
draw_root(const char *title)
{
	char	line[TUI_MIN_COLS + 1];

	/* Windows restore what was under them; only the root is redrawn. */
	snprintf(line, sizeof line, " dhis2-setup wizard: %-56.56s", title);
	newtDrawRootText(0, 0, line);
	newtPopHelpLine();
	newtPushHelpLine(HELP_LINE);
}

static int
newt_start(struct wizard *w)
{
	struct newt_state	*ns;
	const char		*nc = getenv("NO_COLOR");
	int			 cols, rows;

	if (tui_terminal_size(STDOUT_FILENO, &cols, &rows) == -1) {
		fprintf(stderr, "dhis2-setup: cannot read the terminal size; "
		    "use --frontend text\n");
		return -1;
	}
	if (!size_ok(cols, rows)) {
		fprintf(stderr, "dhis2-setup: the terminal is %dx%d; the "
		    "wizard needs at least %dx%d: enlarge it, or use "
		    "--frontend text\n", cols, rows, TUI_MIN_COLS,
		    TUI_MIN_ROWS);
		return -1;
	}
	/* https://no-color.org: any non-empty value. */
	if (nc != NULL && *nc != '\0')
		setenv("NEWT_MONO", "1", 1);
	newtInit();
	if (tui_ascii_reason(w->ascii) != NULL) {
		/*
		 * newtInit() read the terminal's description and chose the
		 * line drawing: slang's own rule is Unicode lines in a UTF-8
		 * locale, else the terminal's alternate character set, else
		 * ASCII.  Without the alternate set and without Unicode it
		 * falls to its ASCII table (+ - |); set it up again so.
		 */
		SLtt_Has_Alt_Charset = 0;
		SLtt_Graphics_Char_Pairs = NULL;
		SLtt_utf8_enable(0);
		SLsmg_reinit_smg();
	}
	newtCls();
	newtPushHelpLine(HELP_LINE);
	ns = xcalloc(1, sizeof *ns);
	ns->cols = cols;
	ns->rows = rows;
	w->fe_data = ns;
	return 0;
}

static void
newt_stop(struct wizard *w)
{
	newtPopHelpLine();
	newtFinished();
	free(w->fe_data);
	w->fe_data = NULL;
}

static void
show_text_window(const char *title, const char *text)
{
	newtComponent	 form, tb, ok;
	struct newtExitStruct es;

	/* As wide as 80 columns allow: help lines are up to 73 long. */
	newtOpenWindow(1, 2, 77, 18, title);
	tb = newtTextbox(1, 0, 74, 16, NEWT_FLAG_WRAP | NEWT_FLAG_SCROLL);
	newtTextboxSetText(tb, text);
	ok = newtCompactButton(35, 17, "OK");
	form = newtForm(NULL, NULL, 0);
	newtFormAddComponents(form, tb, ok, NULL);
	newtFormAddHotKey(form, NEWT_KEY_F1);
	newtFormAddHotKey(form, NEWT_KEY_ESCAPE);
	newtFormSetCurrent(form, ok);
	newtFormRun(form, &es);
	newtFormDestroy(form);
	newtPopWindow();
}

static void
show_help(const char *id, const char *title)
{
	char	*text, *t;

	if ((text = help_load(id)) == NULL)
		xasprintf(&text, "No help text was found for '%s' (looked in "
		    "%s and %s).", id, PKGDATADIR, SRCDIR_ASSETS);
	xasprintf(&t, "Help: %s", title);
	show_text_window(t, text);
	free(t);
	free(text);
}

static int
confirm_quit(void)
{
	return newtWinChoice("Quit", "Quit", "Stay",
	    "Leave the wizard? Nothing is saved.") == 1;
}

/* Block until the terminal is at least 80x24 again (or F10). */
static int
wait_for_size(struct newt_state *st)
{
	newtComponent		 form, l;
	struct newtExitStruct	 es;
	char			 msg[80];
	int			 quit = 0;

	for (;;) {
		newtResizeScreen(0);
		if (tui_terminal_size(STDOUT_FILENO, &st->cols,
		    &st->rows) == 0 && size_ok(st->cols, st->rows))
			return quit;
		newtCls();
		snprintf(msg, sizeof msg, "Terminal too small (%dx%d): "
		    "enlarge it to 80x24.", st->cols, st->rows);
		l = newtLabel(0, 0, msg);
		form = newtForm(NULL, NULL, 0);
		newtFormAddComponent(form, l);
		newtFormAddHotKey(form, NEWT_KEY_F10);
		newtFormSetTimer(form, POLL_MS);
		newtFormRun(form, &es);
		newtFormDestroy(form);
		if (es.reason == NEWT_EXIT_HOTKEY && confirm_quit())
			return 1;
	}
}

/* Did the size change?  Then newt must learn it before redrawing. */
static int
resized(struct newt_state *st)
{
	int	cols, rows;

	if (tui_terminal_size(STDOUT_FILENO, &cols, &rows) == -1)
		return 0;
	if (cols == st->cols && rows == st->rows)
		return 0;
	st->cols = cols;
	st->rows = rows;
	return 1;
}

static size_t
choice_index(const struct field *f, const char *v)
{
	size_t	i;

	for (i = 0; i < f->nchoices; i++) {
		if (strcmp(f->choices[i].value, v) == 0)
			return i;
	}
	return 0;
}

static int
choices_wide(const struct field *f)
{
	size_t	i;

	for (i = 0; i < f->nchoices; i++) {
		if (strlen(f->choices[i].label) > WIN_W - INPUT_X - 2)
			return 1;
	}
	return 0;
}

static newtComponent
make_input(const struct field *f, const char *v, int y, int *rows)
{
	newtComponent	 co;
	size_t		 i;
	int		 x = INPUT_X;

	*rows = 1;
	switch (f->kind) {
	case FIELD_CHOICE:
		if (choices_wide(f))
			x = 1;
		co = newtListbox(x, y, f->nchoices, NEWT_FLAG_RETURNEXIT);
		for (i = 0; i < f->nchoices; i++)
			newtListboxAppendEntry(co, f->choices[i].label,
			    (void *)(uintptr_t)(i + 1));
		newtListboxSetCurrent(co, choice_index(f, v));
		*rows = f->nchoices;
		return co;
	case FIELD_BOOL:
		return newtCheckbox(x, y, "", strcmp(v, "yes") == 0 ? '*' :
		    ' ', NULL, NULL);
	case FIELD_TEXT:
	case FIELD_INT:
		break;
	}
	return newtEntry(x, y, v, INPUT_W, NULL,
	    NEWT_FLAG_SCROLL | NEWT_FLAG_RETURNEXIT);
}

static char *
input_value(const struct field *f, newtComponent co)
{
	uintptr_t	k;

	switch (f->kind) {
	case FIELD_CHOICE:
		k = (uintptr_t)newtListboxGetCurrent(co);
		if (k == 0 || k > f->nchoices)
			k = 1;
		return xstrdup(f->choices[k - 1].value);
	case FIELD_BOOL:
		return xstrdup(newtCheckboxGetValue(co) == '*' ? "yes" : "no");
	case FIELD_TEXT:
	case FIELD_INT:
		break;
	}
	return xstrdup(newtEntryGetValue(co));
}

static void
set_msg(struct nscreen *n, size_t i, const char *msg)
{
	char	buf[MSG_W + 1];

	/* Pad: a shorter label would leave the old text on screen. */
	snprintf(buf, sizeof buf, "%-*.*s", MSG_W, MSG_W, msg);
	newtLabelSetText(n->f[i].msg, buf);
}

static void
build(struct wizard *w, struct nscreen *n, size_t focus)
{
	const struct screen	*s = n->s;
	char			 title[80], *intro, *v;
	newtComponent		 tb;
	int			 y, iw, ih, rows;
	size_t			 i;

	screen_title(w, s, n->idx, title, sizeof title);
	draw_root(title);
	newtOpenWindow(WIN_LEFT, WIN_TOP, WIN_W, WIN_H, title);
	n->form = newtForm(NULL, NULL, 0);
	if (s->info != NULL && (v = s->info(w, n->idx)) != NULL) {
		xasprintf(&intro, "%s\n%s", s->intro, v);
		free(v);
	} else
		intro = xstrdup(s->intro);
	tb = newtTextboxReflowed(1, 0, intro, WIN_W - 2, 0, 0, 0);
	free(intro);
	newtComponentGetSize(tb, &iw, &ih);
	newtFormAddComponent(n->form, tb);
	y = (ih > INTRO_MAX ? INTRO_MAX : ih) + 1;
	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		char label[LABEL_W + 2];

		v = n->vals[i] != NULL ? xstrdup(n->vals[i]) :
		    field_get(w, f, n->idx);
		if (!(f->kind == FIELD_CHOICE && choices_wide(f))) {
			snprintf(label, sizeof label, "%*s:", LABEL_W - 1,
			    f->label);
			newtFormAddComponent(n->form, newtLabel(0, y, label));
		}
		n->f[i].input = make_input(f, v, y, &rows);
		free(v);
		n->f[i].msg = newtLabel(MSG_X, y, "");
		newtFormAddComponents(n->form, n->f[i].input, n->f[i].msg,
		    NULL);
		set_msg(n, i, "");
		y += rows;
	}
	n->status = newtTextbox(1, STATUS_Y, WIN_W - 2, 2, NEWT_FLAG_WRAP);
	n->back = newtCompactButton(1, BUTTON_Y, "Back");
	n->next = newtCompactButton(33, BUTTON_Y, "Next");
	n->quit = newtCompactButton(WIN_W - 10, BUTTON_Y, "Quit");
	newtFormAddComponents(n->form, n->status, n->back, NULL);
	n->action = NULL;
	if (s->action != NULL) {
		n->action = newtCompactButton(12, BUTTON_Y, s->action_label);
		newtFormAddComponent(n->form, n->action);
	}
	newtFormAddComponents(n->form, n->next, n->quit, NULL);
	newtFormAddHotKey(n->form, NEWT_KEY_F1);
	newtFormAddHotKey(n->form, NEWT_KEY_F10);
	newtFormAddHotKey(n->form, NEWT_KEY_F12);
	newtFormSetTimer(n->form, POLL_MS);
	if (focus < s->nfields)
		newtFormSetCurrent(n->form, n->f[focus].input);
	else if (s->nfields == 0)	/* only words: Enter goes on */
		newtFormSetCurrent(n->form, n->next);
}

static void
teardown(struct nscreen *n)
{
	newtFormDestroy(n->form);
	newtPopWindow();
}

/* Keep what was typed across a rebuild (a resize). */
static void
capture(struct nscreen *n)
{
	size_t	i;

	for (i = 0; i < n->s->nfields; i++) {
		free(n->vals[i]);
		n->vals[i] = input_value(&n->s->fields[i], n->f[i].input);
	}
}

static size_t
current_field(struct nscreen *n)
{
	newtComponent	cur = newtFormGetCurrent(n->form);
	size_t		i;

	for (i = 0; i < n->s->nfields; i++) {
		if (n->f[i].input == cur)
			return i;
	}
	return 0;
}

/* Store every field; on a refusal show why beside it.  -1: bad field. */
static int
submit(struct wizard *w, struct nscreen *n)
{
	const struct screen	*s = n->s;
	const char		*err;
	char			*v, status[160];
	int			 bad = -1, fi;
	size_t			 i;

	status[0] = '\0';
	for (i = 0; i < s->nfields; i++) {
		v = input_value(&s->fields[i], n->f[i].input);
		err = field_set(w, &s->fields[i], n->idx, v);
		free(v);
		set_msg(n, i, err != NULL ? err : "");
		if (err != NULL && bad == -1) {
			bad = (int)i;
			snprintf(status, sizeof status, "%s: %s",
			    s->fields[i].label, err);
		}
	}
	if (bad == -1 && (err = screen_check(w, s, n->idx, &fi)) != NULL) {
		bad = fi;
		set_msg(n, fi, err);
		snprintf(status, sizeof status, "%s: %s", s->fields[fi].label,
		    err);
	}
	newtTextboxSetText(n->status, status);
	if (bad != -1)
		newtFormSetCurrent(n->form, n->f[bad].input);
	return bad;
}

static enum fe_result
newt_screen(struct wizard *w, const struct screen *s, size_t idx)
{
	struct newt_state	*st = w->fe_data;
	struct nscreen		 n;
	struct newtExitStruct	 es;
	enum fe_result		 r = FE_NEXT;
	char			 title[80];
	size_t			 i;

	memset(&n, 0, sizeof n);
	n.s = s;
	n.idx = idx;
	if (s->nfields > sizeof n.f / sizeof n.f[0])
		fatalx("screen %s has too many fields", s->id);
	build(w, &n, 0);
	for (;;) {
		newtFormRun(n.form, &es);
		if (es.reason == NEWT_EXIT_TIMER) {
			if (!resized(st))
				continue;
			i = current_field(&n);
			capture(&n);
			teardown(&n);
			if (wait_for_size(st)) {
				r = FE_QUIT;
				break;
			}
			newtResizeScreen(1);
			build(w, &n, i);
			continue;
		}
		if (es.reason == NEWT_EXIT_HOTKEY && es.u.key == NEWT_KEY_F1) {
			show_help(s->id, screen_title(w, s, idx, title,
			    sizeof title));
			continue;
		}
		if ((es.reason == NEWT_EXIT_HOTKEY &&
		    es.u.key == NEWT_KEY_F10) ||
		    (es.reason == NEWT_EXIT_COMPONENT && es.u.co == n.quit)) {
			if (confirm_quit()) {
				r = FE_QUIT;
				teardown(&n);
				break;
			}
			continue;
		}
		if (es.reason == NEWT_EXIT_COMPONENT && es.u.co == n.back) {
			r = FE_BACK;
			teardown(&n);
			break;
		}
		if (es.reason == NEWT_EXIT_ERROR) {
			r = FE_ERROR;
			teardown(&n);
			break;
		}
		if (es.reason == NEWT_EXIT_COMPONENT && n.action != NULL &&
		    es.u.co == n.action) {
			/* Store the fields, run it, show the screen again. */
			if (submit(w, &n) != -1)
				continue;
			capture(&n);
			teardown(&n);
			s->action(w, idx);
			build(w, &n, 0);
			newtFormSetCurrent(n.form, n.next);
			continue;
		}
		/* Next, F12, or Enter in a field. */
		if (submit(w, &n) == -1) {
			r = FE_NEXT;
			teardown(&n);
			break;
		}
	}
	for (i = 0; i < s->nfields; i++)
		free(n.vals[i]);
	return r;
}

static enum fe_result
newt_review(struct wizard *w, const char *text, int nerr)
{
	struct newt_state	*st = w->fe_data;
	newtComponent		 form, tb, back, save, apply, quit;
	struct newtExitStruct	 es;
	enum fe_result		 r = FE_NEXT;
	int			 done = 0;

	while (!done) {
		draw_root("Review");
		newtOpenWindow(WIN_LEFT, WIN_TOP, WIN_W, WIN_H, "Review");
		tb = newtTextbox(1, 0, WIN_W - 3, 16,
		    NEWT_FLAG_WRAP | NEWT_FLAG_SCROLL);
		newtTextboxSetText(tb, text);
		back = newtCompactButton(1, BUTTON_Y, "Back");
		save = newtCompactButton(22, BUTTON_Y, nerr ? "Save (errors)" :
		    "Save");
		apply = newtCompactButton(42, BUTTON_Y, "Save and apply");
		quit = newtCompactButton(WIN_W - 10, BUTTON_Y, "Quit");
		form = newtForm(NULL, NULL, 0);
		newtFormAddComponents(form, tb, back, save, NULL);
		if (!nerr)
			newtFormAddComponent(form, apply);
		newtFormAddComponent(form, quit);
		newtFormAddHotKey(form, NEWT_KEY_F1);
		newtFormAddHotKey(form, NEWT_KEY_F10);
		newtFormSetTimer(form, POLL_MS);
		newtFormSetCurrent(form, nerr ? back : save);
		for (;;) {
			newtFormRun(form, &es);
			if (es.reason == NEWT_EXIT_TIMER) {
				if (resized(st))
					break;
				continue;
			}
			if (es.reason == NEWT_EXIT_HOTKEY &&
			    es.u.key == NEWT_KEY_F1) {
				show_help("review", "Review");
				continue;
			}
			if (es.reason == NEWT_EXIT_COMPONENT && es.u.co == back)
				r = FE_BACK;
			else if (es.reason == NEWT_EXIT_COMPONENT &&
			    es.u.co == save)
				r = FE_NEXT;
			else if (es.reason == NEWT_EXIT_COMPONENT &&
			    es.u.co == apply && newtWinChoice("Apply", "Apply",
			    "Not now", "Save the profile, generate its missing "
			    "secrets (0600) and apply it now? This changes the "
			    "machines.") == 1)
				r = FE_APPLY;
			else if (es.reason == NEWT_EXIT_COMPONENT &&
			    es.u.co == apply)
				continue;
			else if (es.reason == NEWT_EXIT_ERROR)
				r = FE_ERROR;
			else if (confirm_quit())
				r = FE_QUIT;
			else
				continue;
			done = 1;
			break;
		}
		if (nerr)
			newtComponentDestroy(apply);
		newtFormDestroy(form);
		newtPopWindow();
		if (!done) {
			if (wait_for_size(st))
				return FE_QUIT;
			newtResizeScreen(1);
		}
	}
	return r;
}

static void
newt_message(struct wizard *w, const char *title, const char *text)
{
	(void)w;
	show_text_window(title, text);
}

static int
newt_ask(struct wizard *w, const char *title, const char *text)
{
	newtComponent		 form, tb, yes, no;
	struct newtExitStruct	 es;
	int			 r;

	(void)w;
	newtOpenWindow(4, 4, 71, 14, title);
	tb = newtTextbox(1, 0, 68, 11, NEWT_FLAG_WRAP);
	newtTextboxSetText(tb, text);
	yes = newtCompactButton(20, 12, "Yes");
	no = newtCompactButton(44, 12, "No");
	form = newtForm(NULL, NULL, 0);
	newtFormAddComponents(form, tb, yes, no, NULL);
	newtFormAddHotKey(form, NEWT_KEY_ESCAPE);
	newtFormSetCurrent(form, no);	/* trust is never the default */
	newtFormRun(form, &es);
	r = es.reason == NEWT_EXIT_COMPONENT && es.u.co == yes;
	newtFormDestroy(form);
	newtPopWindow();
	return r;
}

const struct frontend newt_frontend = {
	.name = "newt",
	.start = newt_start,
	.stop = newt_stop,
	.screen = newt_screen,
	.review = newt_review,
	.message = newt_message,
	.ask = newt_ask,
};
