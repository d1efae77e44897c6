/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * One event stream for a run: step started and finished, progress, output
 * lines, commands, notes.  Subscribers read it: the plain-line reporter
 * (no terminal), JSON lines on --events-fd, the transcript log and later
 * the ncurses dashboard.  Every text is redacted before any subscriber
 * sees it, so no subscriber can leak a secret.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdio.h>

enum result {
	RESULT_OK = 0,		/* already as wanted; nothing done */
	RESULT_CHANGED,		/* made so (or, in a check: would change) */
	RESULT_SKIPPED,		/* not run: not needed, or a dependency failed */
	RESULT_FAILED,
};
#define RESULT_COUNT	4

enum event_type {
	EV_RUN_START,		/* text: profile; total: step instances */
	EV_MACHINE,		/* a machine was reached (text: its facts) */
	EV_STEP_START,
	EV_STEP_RESULT,		/* result, text: message */
	EV_CHANGE,		/* text: one thing a check would change */
	EV_PROGRESS,		/* done of total */
	EV_COMMAND,		/* text: the argv, quoted for reading only */
	EV_OUTPUT,		/* stream, text: one line */
	EV_NOTE,		/* text: a warning the operator should read */
	EV_RUN_END,		/* counts[], text: summary */
};

struct event {
	enum event_type	 type;
	const char	*machine;	/* NULL: the run itself */
	const char	*step;
	enum result	 result;
	const char	*text;
	int		 stream;
	int		 done;
	int		 total;
	int		 counts[RESULT_COUNT];
	int		 dry_run;
};

/* events.c */
const char *result_name(enum result);
int	 events_subscribe(void (*)(const struct event *, void *), void *);
void	 events_unsubscribe(int);
void	 events_set_redact(const char **, size_t);
char	*events_redact(const char *);
void	 events_emit(const struct event *);
/* The machine and step of the calling thread (the engine's worker). */
void	 events_set_context(const char *, const char *);
void	 events_context(const char **, const char **);
void	 events_output(int, const char *);
void	 events_command(const char *);
void	 events_note(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 events_change(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
int	 events_plain_subscribe(FILE *, int);
int	 events_json_subscribe(int);
void	 events_reset(void);

#endif
