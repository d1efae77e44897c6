/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The run dashboard: an ncurses screen fed by the event stream, for
 * 'apply' on a terminal and for 'attach' reading a run's events file.
 * It is one more subscriber (dashboard_event); the engine does not know
 * it.  Events only update a model under the dashboard's lock; a thread of
 * its own draws, so a slow or dead terminal never holds up a step.
 */
#ifndef DASHBOARD_H
#define DASHBOARD_H

#include "events.h"

struct dashboard;

/*
 * Whether stdout is a terminal the dashboard can use: a tty, TERM set and
 * not "dumb".  *why says why not.
 */
int	 dashboard_usable(const char **);
/*
 * Take the terminal.  title heads the screen, hint is the bottom line's
 * advice (may be NULL).  NULL when curses cannot start.
 */
struct dashboard *dashboard_open(const char *, const char *);
/* An events_subscribe() callback; arg is the dashboard. */
void	 dashboard_event(const struct event *, void *);
/* Forget the run (its events file started again). */
void	 dashboard_reset(struct dashboard *);
/* The terminal went away (hung up); the dashboard stopped drawing. */
int	 dashboard_dead(struct dashboard *);
/* The run's counts as its exit code would see them; -1 not finished. */
int	 dashboard_failed(struct dashboard *);
/*
 * Give the terminal back and, if it is still there and report is set,
 * print each step's result, the failed steps' last lines, the summary
 * and the log's path as plain lines that stay on the screen.
 */
void	 dashboard_close(struct dashboard *, int);

#endif
