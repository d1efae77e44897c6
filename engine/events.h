/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * One event stream for a run: step started and finished, progress, output
 * lines, commands, notes.  Subscribers read it: the plain-line reporter
 * (no terminal), JSON lines on --events-fd, the transcript log and later
 * the ncurses dashboard (tui/dashboard.c).  Every text is redacted
 * before any subscriber sees it, so no subscriber can leak a secret.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdio.h>

#define EVENTS_MAX_SUBS	16	/* subscribers at once */

enum result {
	RESULT_OK = 0,		/* already as wanted; nothing done */
	RESULT_CHANGED,		/* made so (or, in a check: would change) */
	RESULT_SKIPPED,		/* not run: not needed, or a dependency failed */
	RESULT_FAILED,
};
#define RESULT_COUNT	4

enum event_type {
	EV_RUN_START,		/* text: profile; total: step instances;
				   log: the transcript */
	EV_MACHINE,		/* a machine was reached (text: its facts) */
	EV_STEP_START,
	EV_STEP_RESULT,		/* result, text: message */
	EV_CHANGE,		/* text: one thing a check would change */
	EV_PROGRESS,		/* done of total */
	EV_COMMAND,		/* text: the argv, quoted for reading only */
	EV_OUTPUT,		/* stream, text: one line */
	EV_NOTE,		/* text: a warning the operator should read */
	EV_RUN_END,		/* counts[], text: summary */
	EV_PLAN,		/* a step instance the run will take, sent
				   before run-start in plan order */
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
	const char	*log;		/* run-start: the transcript's path */
	long long	 time;		/* run-start/end read back from JSON:
					   seconds since the epoch; 0 else */
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
void	 events_reset(void);

/* report_plain.c */
int	 events_plain_subscribe(FILE *, int);

/* report_json.c */
int	 events_json_subscribe(int);
void	 events_json_reset(void);
/*
 * One JSON line back into an event.  The strings in it belong to *hold,
 * freed with events_json_free().  0, or -1 for a line that is not one.
 */
int	 events_json_parse(const char *, struct event *, void **);
void	 events_json_free(void *);

#endif
