/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The run dashboard.  Events (from the engine's workers, or from 'attach'
 * reading a run's events file) update a model under d->lock and nothing
 * else; the drawing thread is the only one that calls curses.  It builds
 * a frame under the lock and writes it to the terminal outside it, so a
 * terminal that stops reading (a frozen SSH session) blocks only the
 * drawing thread, never a step.  A terminal that hung up (closed window,
 * dropped session) is noticed by tcgetattr() failing: drawing stops and
 * the run goes on, logging to its transcript.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "dashboard.h"
#include "events.h"

#define DASH_TAIL	32	/* output lines kept per machine */
#define DASH_FAIL_TAIL	8	/* of them, kept with a failed step */
#define DASH_TICK_MS	200
#define DASH_MIN_COLS	40
#define DASH_MIN_ROWS	10
#define DASH_CELL	19	/* "preflight  running " */

enum dstate { D_PENDING, D_RUNNING, D_OK, D_CHANGED, D_SKIPPED, D_FAILED };

struct dstep {
	char		*name;
	enum dstate	 st;
	char		*msg;
	char		*tail[DASH_FAIL_TAIL];	/* when it failed */
	int		 ntail;
};

struct dmach {
	char		*name;
	char		*facts;
	struct dstep	*steps;
	size_t		 n;
	int		 running;		/* a step index, or -1 */
	int		 last;			/* the last step started */
	char		*ring[DASH_TAIL];
	int		 next;
	int		 nlines;
};

struct dashboard {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 th;
	int		 thread;
	SCREEN		*scr;
	FILE		*out;
	int		 fd;
	int		 color;
	int		 utf8;		/* rules as U+2500, else ACS or '-' */
	int		 dead;
	int		 stop;
	int		 exited;
	char		*title;
	char		*hint;
	/* the run */
	char		*profile;
	char		*log;
	char		*summary;
	char		*note;
	struct dmach	*m;
	size_t		 nm;
	int		 done;
	int		 total;
	int		 counts[RESULT_COUNT];
	int		 started;
	int		 finished;
	time_t		 t0, t1;
	int		 tail_m;		/* machine of the last output */
	int		 fail_m, fail_s;	/* the last failed step */
	int		 nfailed;
};

static const char *state_names[] = { "pending", "running", "ok", "changed",
    "skipped", "failed" };

enum { P_OK = 1, P_CHANGED, P_RUNNING, P_FAILED, P_SKIPPED, P_TITLE };

int
dashboard_usable(const char **why)
{
	const char	*term = getenv("TERM");

	if (!isatty(STDOUT_FILENO)) {
		*why = "standard output is not a terminal";
		return 0;
	}
	if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0) {
		*why = "TERM is unset or dumb";
		return 0;
	}
	return 1;
}

/*
 * Printable ASCII only: command output may hold escape sequences,
 * carriage returns and bytes of any encoding; one byte is one column.
 */
static char *
sanitize(const char *s)
{
	char	*o, *p;

	if (s == NULL)
		return xstrdup("");
	o = p = xmalloc(strlen(s) + 1);
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s++;

		if (c == 0x1b) {		/* CSI ... final byte */
			if (*s == '[') {
				s++;
				while (*s != '\0' && !(*s >= '@' && *s <= '~'))
					s++;
				if (*s != '\0')
					s++;
			}
			continue;
		}
		if (c == '\t')
			*p++ = ' ';
		else if (c == '\r')
			p = o;		/* a progress line: keep the last */
		else if (c >= 0x20 && c < 0x7f)
			*p++ = (char)c;
		else if (c >= 0x80)
			*p++ = '?';
	}
	*p = '\0';
	return o;
}

/* --- the model (d->lock held) --------------------------------------------- */

static void
dstep_free(struct dstep *s)
{
	int	i;

	free(s->name);
	free(s->msg);
	for (i = 0; i < s->ntail; i++)
		free(s->tail[i]);
}

static void
model_free(struct dashboard *d)
{
	size_t	i, k;
	int	r;

	for (i = 0; i < d->nm; i++) {
		for (k = 0; k < d->m[i].n; k++)
			dstep_free(&d->m[i].steps[k]);
		free(d->m[i].steps);
		free(d->m[i].name);
		free(d->m[i].facts);
		for (r = 0; r < DASH_TAIL; r++)
			free(d->m[i].ring[r]);
	}
	free(d->m);
	free(d->profile);
	free(d->log);
	free(d->summary);
	free(d->note);
	d->m = NULL;
	d->nm = 0;
	d->profile = d->log = d->summary = d->note = NULL;
	d->done = d->total = d->started = d->finished = d->nfailed = 0;
	memset(d->counts, 0, sizeof d->counts);
	d->t0 = d->t1 = 0;
	d->tail_m = d->fail_m = d->fail_s = -1;
}

static int
find_machine(struct dashboard *d, const char *name)
{
	size_t	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < d->nm; i++) {
		if (strcmp(d->m[i].name, name) == 0)
			return (int)i;
	}
	d->m = xreallocarray(d->m, d->nm + 1, sizeof *d->m);
	memset(&d->m[d->nm], 0, sizeof d->m[d->nm]);
	d->m[d->nm].name = sanitize(name);
	d->m[d->nm].running = -1;
	d->m[d->nm].last = -1;
	return (int)d->nm++;
}

static int
find_step(struct dmach *m, const char *name)
{
	size_t	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->steps[i].name, name) == 0)
			return (int)i;
	}
	m->steps = xreallocarray(m->steps, m->n + 1, sizeof *m->steps);
	memset(&m->steps[m->n], 0, sizeof m->steps[m->n]);
	m->steps[m->n].name = sanitize(name);
	return (int)m->n++;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? sanitize(s) : NULL;
}

static void
ring_clear(struct dmach *m)
{
	int	i;

	for (i = 0; i < DASH_TAIL; i++) {
		free(m->ring[i]);
		m->ring[i] = NULL;
	}
	m->next = m->nlines = 0;
}

/* Takes line; blank lines say nothing and are dropped. */
static void
ring_push(struct dmach *m, char *line)
{
	if (line[strspn(line, " ")] == '\0') {
		free(line);
		return;
	}
	free(m->ring[m->next]);
	m->ring[m->next] = line;
	m->next = (m->next + 1) % DASH_TAIL;
	if (m->nlines < DASH_TAIL)
		m->nlines++;
}

/* The k-th of the last n lines (0 the oldest of them). */
static const char *
ring_get(const struct dmach *m, int n, int k)
{
	return m->ring[(m->next - n + k + 2 * DASH_TAIL) % DASH_TAIL];
}

static void
model_event(struct dashboard *d, const struct event *ev)
{
	struct dmach	*m = NULL;
	struct dstep	*s = NULL;
	int		 mi, si = -1, i, n;

	if ((mi = find_machine(d, ev->machine)) != -1) {
		m = &d->m[mi];
		if ((si = find_step(m, ev->step)) != -1)
			s = &m->steps[si];
	}
	switch (ev->type) {
	case EV_RUN_START:
		set_str(&d->profile, ev->text);
		set_str(&d->log, ev->log);
		d->total = ev->total;
		d->started = 1;
		d->t0 = ev->time != 0 ? (time_t)ev->time : time(NULL);
		break;
	case EV_PLAN:
		break;		/* find_step() added it, pending */
	case EV_MACHINE:
		if (m != NULL)
			set_str(&m->facts, ev->text);
		break;
	case EV_STEP_START:
		if (s == NULL)
			break;
		s->st = D_RUNNING;
		m->running = m->last = si;
		ring_clear(m);
		d->tail_m = mi;
		break;
	case EV_OUTPUT:
	case EV_NOTE:
		if (m == NULL) {
			if (ev->type == EV_NOTE)
				set_str(&d->note, ev->text);
			break;
		}
		if (ev->type == EV_NOTE) {
			char *t;

			xasprintf(&t, "! %s", ev->text != NULL ? ev->text : "");
			ring_push(m, sanitize(t));
			free(t);
		} else
			ring_push(m, sanitize(ev->text));
		d->tail_m = mi;
		break;
	case EV_STEP_RESULT:
		if (s == NULL)
			break;
		s->st = ev->result == RESULT_OK ? D_OK :
		    ev->result == RESULT_CHANGED ? D_CHANGED :
		    ev->result == RESULT_SKIPPED ? D_SKIPPED : D_FAILED;
		set_str(&s->msg, ev->text);
		if (m->running == si)
			m->running = -1;
		if (s->st == D_FAILED) {
			n = m->nlines < DASH_FAIL_TAIL ? m->nlines :
			    DASH_FAIL_TAIL;
			for (i = 0; i < s->ntail; i++)
				free(s->tail[i]);
			for (i = 0; i < n; i++)
				s->tail[i] = xstrdup(ring_get(m, n, i));
			s->ntail = n;
			d->fail_m = mi;
			d->fail_s = si;
			d->nfailed++;
		}
		break;
	case EV_PROGRESS:
		d->done = ev->done;
		d->total = ev->total;
		break;
	case EV_RUN_END:
		set_str(&d->summary, ev->text);
		memcpy(d->counts, ev->counts, sizeof d->counts);
		d->finished = 1;
		d->t1 = ev->time != 0 ? (time_t)ev->time : time(NULL);
		break;
	case EV_CHANGE:
	case EV_COMMAND:
		break;
	}
}

void
dashboard_event(const struct event *ev, void *arg)
{
	struct dashboard	*d = arg;

	pthread_mutex_lock(&d->lock);
	model_event(d, ev);
	if (ev->type == EV_RUN_END || ev->type == EV_STEP_RESULT)
		pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void
dashboard_reset(struct dashboard *d)
{
	pthread_mutex_lock(&d->lock);
	model_free(d);
	pthread_mutex_unlock(&d->lock);
}

int
dashboard_dead(struct dashboard *d)
{
	int	dead;

	pthread_mutex_lock(&d->lock);
	dead = d->dead;
	pthread_mutex_unlock(&d->lock);
	return dead;
}

int
dashboard_failed(struct dashboard *d)
{
	int	r;

	pthread_mutex_lock(&d->lock);
	r = !d->finished ? -1 : d->counts[RESULT_FAILED] > 0;
	pthread_mutex_unlock(&d->lock);
	return r;
}

/* --- drawing (the drawing thread only) ------------------------------------ */

static attr_t
state_attr(struct dashboard *d, enum dstate st)
{
	static const int pairs[] = { 0, P_RUNNING, P_OK, P_CHANGED,
	    P_SKIPPED, P_FAILED };

	if (!d->color)
		return st == D_RUNNING || st == D_FAILED ? A_BOLD :
		    st == D_PENDING ? A_DIM : A_NORMAL;
	return (st == D_PENDING ? A_DIM : COLOR_PAIR(pairs[st])) |
	    (st == D_RUNNING || st == D_FAILED ? A_BOLD : A_NORMAL);
}

/* s at (y, x), cut at the right edge. */
static void
put(int y, int x, attr_t a, const char *s)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || s == NULL)
		return;
	attrset(a);
	mvaddnstr(y, x, s, COLS - x);
	attrset(A_NORMAL);
}

/*
 * A horizontal rule: Unicode in a UTF-8 locale, else the terminal's line
 * drawing, which curses draws as '-' where the terminal has none; '-'
 * when DHIS2_SETUP_ASCII asks for it (as the wizard does).
 */
static int	rule_utf8, rule_ascii;

static void
rule(int y, const char *label, attr_t a)
{
	int	x;

	move(y, 0);
	if (rule_ascii || rule_utf8) {
		for (x = 0; x < COLS; x++)
			mvaddstr(y, x, rule_ascii ? "-" : "\u2500");
	} else
		hline(ACS_HLINE, COLS);
	if (label != NULL) {
		put(y, 2, a, " ");
		put(y, 3, a, label);
		put(y, 3 + (int)strlen(label), a, " ");
	}
}

static void
fmt_elapsed(char *buf, size_t len, long s)
{
	if (s < 0)
		s = 0;
	snprintf(buf, len, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

static int
machine_rows_full(struct dashboard *d, int cells)
{
	size_t	i;
	int	rows = 0;

	for (i = 0; i < d->nm; i++)
		rows += 1 + (int)((d->m[i].n + cells - 1) / cells);
	return rows;
}

static void
draw_machines_full(struct dashboard *d, int y, int cells)
{
	struct dmach	*m;
	char		 cell[64];
	size_t		 i, k;

	for (i = 0; i < d->nm; i++) {
		m = &d->m[i];
		put(y, 0, A_BOLD, m->name);
		if (m->facts != NULL)
			put(y, (int)strlen(m->name) + 2, A_DIM, m->facts);
		y++;
		for (k = 0; k < m->n; k++) {
			int x = 2 + (int)(k % cells) * DASH_CELL;

			snprintf(cell, sizeof cell, "%-11.11s",
			    m->steps[k].name);
			put(y, x, A_NORMAL, cell);
			put(y, x + 11, state_attr(d, m->steps[k].st),
			    state_names[m->steps[k].st]);
			if (k % cells == (size_t)cells - 1 || k == m->n - 1)
				y++;
		}
	}
}

/*
 * One line per machine: a mark per step and the step that runs or
 * failed.  When even that does not fit, a window over the machines that
 * keeps the first running (or failed) machine in sight.
 */
static void
draw_machines_condensed(struct dashboard *d, int y, int rows)
{
	static const char marks[] = ".>=+-!";
	struct dmach	*m;
	char		 line[512], *p;
	size_t		 i, k, first = 0, shown;
	int		 x, nfocus = -1;

	rule(y - 1, ". pending > running = ok + changed - skipped ! failed",
	    A_DIM);

	for (i = 0; i < d->nm && nfocus == -1; i++) {
		if (d->m[i].running != -1)
			nfocus = (int)i;
	}
	if (nfocus == -1)
		nfocus = d->fail_m;
	shown = d->nm <= (size_t)rows ? d->nm : (size_t)rows - 1;
	if (nfocus != -1 && (size_t)nfocus >= shown)
		first = (size_t)nfocus - shown + 1;
	for (i = first; i < first + shown && i < d->nm; i++, y++) {
		m = &d->m[i];
		snprintf(line, sizeof line, "%-14.14s ", m->name);
		put(y, 0, A_BOLD, line);
		x = 15;
		p = line;
		for (k = 0; k < m->n && k < 40; k++)
			*p++ = marks[m->steps[k].st];
		*p = '\0';
		put(y, x, A_NORMAL, line);
		x += (int)k + 1;
		if (m->running != -1)
			put(y, x, state_attr(d, D_RUNNING),
			    m->steps[m->running].name);
		else {
			for (k = 0; k < m->n; k++) {
				if (m->steps[k].st == D_FAILED)
					break;
			}
			if (k < m->n) {
				snprintf(line, sizeof line, "failed %s",
				    m->steps[k].name);
				put(y, x, state_attr(d, D_FAILED), line);
			}
		}
	}
	if (shown < d->nm) {
		snprintf(line, sizeof line, "... %zu more machine%s",
		    d->nm - shown, d->nm - shown == 1 ? "" : "s");
		put(y, 0, A_DIM, line);
	}
}

static void
draw(struct dashboard *d)
{
	char		 buf[512], el[32], label[256];
	int		 y, w, fill, i, cells, avail, frows, trows, mrows, n;
	int		 pct;
	struct dmach	*m;
	struct dstep	*s;
	long		 secs;

	erase();
	if (LINES < DASH_MIN_ROWS || COLS < DASH_MIN_COLS) {
		put(0, 0, A_BOLD, "terminal too small for the dashboard");
		snprintf(buf, sizeof buf, "%d/%d steps", d->done, d->total);
		put(1, 0, A_NORMAL, buf);
		return;
	}
	/* title and elapsed time */
	secs = !d->started ? 0 : (long)((d->finished ? d->t1 : time(NULL)) -
	    d->t0);
	fmt_elapsed(el, sizeof el, secs);
	snprintf(buf, sizeof buf, "%s %s", d->title,
	    d->profile != NULL ? d->profile : "");
	put(0, 0, A_BOLD, buf);
	snprintf(buf, sizeof buf, " elapsed %s", el);
	put(0, COLS - (int)strlen(buf), A_NORMAL, buf);

	/* progress */
	pct = d->total > 0 ? d->done * 100 / d->total : 0;
	snprintf(buf, sizeof buf, " %d/%d steps %3d%%", d->done, d->total,
	    pct);
	w = COLS - 2 - (int)strlen(buf);
	fill = d->total > 0 ? w * d->done / d->total : 0;
	put(1, 0, A_NORMAL, "[");
	for (i = 0; i < w; i++)
		put(1, 1 + i, i < fill ? (d->color ? COLOR_PAIR(P_OK) :
		    A_BOLD) : A_DIM, i < fill ? "#" : "-");
	put(1, 1 + w, A_NORMAL, "]");
	put(1, 2 + w, A_NORMAL, buf);

	/* counts, or the summary once finished */
	if (d->finished)
		put(2, 0, d->counts[RESULT_FAILED] > 0 ?
		    state_attr(d, D_FAILED) : A_BOLD, d->summary);
	else {
		int c[6] = { 0 };
		size_t mi, k;

		for (mi = 0; mi < d->nm; mi++)
			for (k = 0; k < d->m[mi].n; k++)
				c[d->m[mi].steps[k].st]++;
		snprintf(buf, sizeof buf, "running %d  ok %d  changed %d  "
		    "skipped %d  failed %d  pending %d", c[D_RUNNING], c[D_OK],
		    c[D_CHANGED], c[D_SKIPPED], c[D_FAILED], c[D_PENDING]);
		put(2, 0, A_NORMAL, buf);
	}
	rule(3, NULL, A_NORMAL);

	/* rows 4 .. LINES-2; the last row is the log and the hint */
	avail = LINES - 5;
	frows = 0;
	if (d->nfailed > 0 && d->fail_m != -1) {
		s = &d->m[d->fail_m].steps[d->fail_s];
		frows = 2 + s->ntail;
		if (frows > avail / 2)
			frows = avail / 2;
	}
	cells = (COLS - 2) / DASH_CELL;
	if (cells < 1)
		cells = 1;
	mrows = machine_rows_full(d, cells);
	trows = avail - frows - mrows;
	y = 4;
	if (trows >= 3 || (trows >= 0 && d->finished)) {
		draw_machines_full(d, y, cells);
	} else {
		mrows = (int)d->nm;
		if (mrows > avail - frows - 3)
			mrows = avail - frows - 3;
		if (mrows < 1)
			mrows = 1;
		draw_machines_condensed(d, y, mrows);
		trows = avail - frows - mrows;
	}
	y += mrows;

	/* live output of the machine that spoke last */
	if (trows >= 2 && d->tail_m != -1) {
		m = &d->m[d->tail_m];
		i = m->running != -1 ? m->running : m->last;
		snprintf(label, sizeof label, "output: %s %s", m->name,
		    i != -1 ? m->steps[i].name : "");
		rule(y, label, A_NORMAL);
		n = m->nlines < trows - 1 ? m->nlines : trows - 1;
		for (i = 0; i < n; i++)
			put(y + 1 + i, 1, A_NORMAL, ring_get(m, n, i));
	}
	y += trows > 0 ? trows : 0;

	/* the last failure: its message and last lines */
	if (frows > 0) {
		m = &d->m[d->fail_m];
		s = &m->steps[d->fail_s];
		snprintf(label, sizeof label, "FAILED: %s %s%s", m->name,
		    s->name, d->nfailed > 1 ? " (and more)" : "");
		rule(y, label, state_attr(d, D_FAILED));
		put(y + 1, 1, state_attr(d, D_FAILED), s->msg);
		n = s->ntail < frows - 2 ? s->ntail : frows - 2;
		for (i = 0; i < n; i++)
			put(y + 2 + i, 3, A_NORMAL,
			    s->tail[s->ntail - n + i]);
	}

	/* bottom: the log, then the hint where it fits */
	if (d->log != NULL) {
		snprintf(buf, sizeof buf, "log: %s", d->log);
		if ((int)strlen(buf) > COLS)
			snprintf(buf, sizeof buf, "log: ...%s",
			    d->log + strlen(d->log) - (COLS - 8));
	} else
		buf[0] = '\0';
	put(LINES - 1, 0, A_NORMAL, buf);
	if (d->hint != NULL && (int)(strlen(buf) + strlen(d->hint)) + 3 <=
	    COLS)
		put(LINES - 1, COLS - (int)strlen(d->hint), A_DIM, d->hint);
}

/* A hung-up terminal fails every ioctl with EIO. */
static int
tty_gone(int fd)
{
	struct termios	t;

	return tcgetattr(fd, &t) == -1 && errno != EINTR;
}

static void *
draw_thread(void *arg)
{
	struct dashboard	*d = arg;
	struct winsize		 ws;
	struct timespec		 ts;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		if (!d->dead && tty_gone(d->fd))
			d->dead = 1;
		if (!d->dead) {
			if (ioctl(d->fd, TIOCGWINSZ, &ws) == 0 &&
			    ws.ws_row > 0 && ws.ws_col > 0 &&
			    (ws.ws_row != LINES || ws.ws_col != COLS))
				resizeterm(ws.ws_row, ws.ws_col);
			draw(d);
			wnoutrefresh(stdscr);
			pthread_mutex_unlock(&d->lock);
			doupdate();	/* may block: not under the lock */
			pthread_mutex_lock(&d->lock);
		}
		if (d->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += DASH_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->cond, &d->lock, &ts);
	}
	d->exited = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct dashboard *
dashboard_open(const char *title, const char *hint)
{
	struct dashboard	*d;
	const char		*nc = getenv("NO_COLOR");
	const char		*ascii = getenv("DHIS2_SETUP_ASCII");

	d = xcalloc(1, sizeof *d);
	d->out = stdout;
	d->fd = fileno(stdout);
	fflush(stdout);
	/* Multibyte output for the rules; texts are ASCII (sanitize()). */
	if (setlocale(LC_CTYPE, "") != NULL &&
	    strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		d->utf8 = rule_utf8 = 1;
	else
		setlocale(LC_CTYPE, "C");
	rule_ascii = ascii != NULL && *ascii != '\0' && strcmp(ascii, "0") != 0;
	if ((d->scr = newterm(NULL, stdout, stdin)) == NULL) {
		free(d);
		return NULL;
	}
	set_term(d->scr);
	d->title = xstrdup(title);
	d->hint = hint != NULL ? xstrdup(hint) : NULL;
	d->tail_m = d->fail_m = d->fail_s = -1;
	noecho();
	cbreak();
	curs_set(0);
	d->color = (nc == NULL || *nc == '\0') && has_colors();
	if (d->color && start_color() == OK) {
		use_default_colors();
		init_pair(P_OK, COLOR_GREEN, -1);
		init_pair(P_CHANGED, COLOR_CYAN, -1);
		init_pair(P_RUNNING, COLOR_YELLOW, -1);
		init_pair(P_FAILED, COLOR_RED, -1);
		init_pair(P_SKIPPED, COLOR_MAGENTA, -1);
		init_pair(P_TITLE, COLOR_WHITE, COLOR_BLUE);
	} else
		d->color = 0;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (pthread_create(&d->th, NULL, draw_thread, d) == 0)
		d->thread = 1;
	else {
		endwin();
		delscreen(d->scr);
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		free(d->title);
		free(d->hint);
		free(d);
		return NULL;
	}
	return d;
}

static void
report(struct dashboard *d, FILE *f)
{
	struct dmach	*m;
	struct dstep	*s;
	size_t		 i, k;
	int		 t;

	if (d->note != NULL)
		fprintf(f, "note: %s\n", d->note);
	for (i = 0; i < d->nm; i++) {
		m = &d->m[i];
		for (k = 0; k < m->n; k++) {
			s = &m->steps[k];
			fprintf(f, "[%s] %-12s %s%s%s\n", m->name, s->name,
			    s->st == D_PENDING ? "not run" :
			    s->st == D_RUNNING ? "did not finish" :
			    state_names[s->st], s->msg != NULL &&
			    *s->msg != '\0' ? ": " : "",
			    s->msg != NULL ? s->msg : "");
			for (t = 0; t < s->ntail; t++)
				fprintf(f, "      | %s\n", s->tail[t]);
		}
	}
	if (d->summary != NULL)
		fprintf(f, "%s\n", d->summary);
	else
		fprintf(f, "the run did not finish: %d/%d steps done\n",
		    d->done, d->total);
	if (d->log != NULL)
		fprintf(f, "log: %s\n", d->log);
	fflush(f);
}

void
dashboard_close(struct dashboard *d, int print_report)
{
	struct timespec	ts;
	int		stuck;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_broadcast(&d->cond);
	/* The last frame; a terminal that takes no more cannot hold us. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	while (!d->exited) {
		if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	stuck = !d->exited;
	pthread_mutex_unlock(&d->lock);
	if (stuck) {
		/* The thread still writes: leave it and its screen alone. */
		pthread_detach(d->th);
		return;
	}
	pthread_join(d->th, NULL);
	if (!d->dead) {
		endwin();
		if (print_report && !tty_gone(d->fd))
			report(d, stdout);
	}
	delscreen(d->scr);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	model_free(d);
	free(d->title);
	free(d->hint);
	free(d);
}
