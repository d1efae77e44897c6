/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The event stream: subscribers, redaction of every text before any
 * subscriber sees it, and the calling thread's machine and step.  The two
 * built-in readers are report_plain.c (plain lines for a terminal or a
 * pipe) and report_json.c (JSON lines for --events-fd, and back).
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"

struct sub {
	void	(*fn)(const struct event *, void *);
	void	 *arg;
};

static pthread_mutex_t	 events_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sub	 subs[EVENTS_MAX_SUBS];
static const char	**redact_vals;
static size_t		 redact_n;
static __thread const char *ctx_machine;
static __thread const char *ctx_step;

const char *
result_name(enum result r)
{
	static const char *names[] = { "ok", "changed", "skipped", "failed" };

	if ((unsigned)r >= RESULT_COUNT)
		return "?";
	return names[r];
}

int
events_subscribe(void (*fn)(const struct event *, void *), void *arg)
{
	int	i;

	pthread_mutex_lock(&events_lock);
	for (i = 0; i < EVENTS_MAX_SUBS; i++) {
		if (subs[i].fn == NULL) {
			subs[i].fn = fn;
			subs[i].arg = arg;
			break;
		}
	}
	pthread_mutex_unlock(&events_lock);
	return i == EVENTS_MAX_SUBS ? -1 : i;
}

void
events_unsubscribe(int id)
{
	if (id < 0 || id >= EVENTS_MAX_SUBS)
		return;
	pthread_mutex_lock(&events_lock);
	subs[id].fn = NULL;
	subs[id].arg = NULL;
	pthread_mutex_unlock(&events_lock);
}

void
events_reset(void)
{
	pthread_mutex_lock(&events_lock);
	memset(subs, 0, sizeof subs);
	events_json_reset();
	redact_vals = NULL;
	redact_n = 0;
	pthread_mutex_unlock(&events_lock);
}

/* The array stays owned by the caller (secrets_values()). */
void
events_set_redact(const char **vals, size_t n)
{
	pthread_mutex_lock(&events_lock);
	redact_vals = vals;
	redact_n = n;
	pthread_mutex_unlock(&events_lock);
}

/*
 * Replace every secret value with ********.  Longest first would matter
 * only for secrets containing each other; generated ones do not, and a
 * value left half-redacted still hides the rest, so one pass each.
 */
char *
events_redact(const char *s)
{
	char		*out, *hit, *n;
	size_t		 i, vl, pre;

	if (s == NULL)
		return NULL;
	out = xstrdup(s);
	for (i = 0; i < redact_n; i++) {
		if (redact_vals[i] == NULL || (vl = strlen(redact_vals[i])) < 3)
			continue;
		while ((hit = strstr(out, redact_vals[i])) != NULL) {
			pre = hit - out;
			xasprintf(&n, "%.*s********%s", (int)pre, out,
			    hit + vl);
			free(out);
			out = n;
		}
	}
	return out;
}

void
events_emit(const struct event *ev)
{
	struct event	 copy = *ev;
	char		*text;
	int		 i;

	pthread_mutex_lock(&events_lock);
	text = events_redact(ev->text);
	copy.text = text;
	for (i = 0; i < EVENTS_MAX_SUBS; i++) {
		if (subs[i].fn != NULL)
			subs[i].fn(&copy, subs[i].arg);
	}
	pthread_mutex_unlock(&events_lock);
	free(text);
}

void
events_set_context(const char *machine, const char *step)
{
	ctx_machine = machine;
	ctx_step = step;
}

void
events_context(const char **machine, const char **step)
{
	*machine = ctx_machine;
	*step = ctx_step;
}

void
events_output(int stream, const char *line)
{
	struct event	ev = { .type = EV_OUTPUT };

	ev.machine = ctx_machine;
	ev.step = ctx_step;
	ev.stream = stream;
	ev.text = line;
	events_emit(&ev);
}

void
events_command(const char *cmd)
{
	struct event	ev = { .type = EV_COMMAND };

	ev.machine = ctx_machine;
	ev.step = ctx_step;
	ev.text = cmd;
	events_emit(&ev);
}

static void
events_vtext(enum event_type type, const char *fmt, va_list ap)
{
	struct event	 ev = { .type = type };
	char		*s;

	if (vasprintf(&s, fmt, ap) == -1)
		return;
	ev.machine = ctx_machine;
	ev.step = ctx_step;
	ev.text = s;
	events_emit(&ev);
	free(s);
}

void
events_note(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	events_vtext(EV_NOTE, fmt, ap);
	va_end(ap);
}

void
events_change(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	events_vtext(EV_CHANGE, fmt, ap);
	va_end(ap);
}
