/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The event stream and its two built-in readers: plain lines for a
 * terminal or a pipe, JSON lines for --events-fd.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "events.h"

#define EVENTS_MAX_SUBS	16
#define PLAIN_TAIL	8	/* output lines shown with a failure */
#define PLAIN_MACHINES	64

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
static int		 json_fds[EVENTS_MAX_SUBS];
static int		 json_nfds;

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
	json_nfds = 0;
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

/*
 * Plain reporter.  Writes stop quietly when the terminal went away (the
 * operator's SSH session dropped): the run goes on and the log has it all.
 */
struct plain {
	FILE	*f;
	int	 verbose;
	int	 dead;
	struct {
		char	*machine;
		char	*lines[PLAIN_TAIL];
		int	 next;
	} tail[PLAIN_MACHINES];
};
static struct plain plain;

static int
plain_slot(const char *machine)
{
	int	i;

	if (machine == NULL)
		return -1;
	for (i = 0; i < PLAIN_MACHINES; i++) {
		if (plain.tail[i].machine == NULL) {
			plain.tail[i].machine = xstrdup(machine);
			return i;
		}
		if (strcmp(plain.tail[i].machine, machine) == 0)
			return i;
	}
	return -1;
}

static void
plain_tail_clear(int slot)
{
	int	i;

	for (i = 0; i < PLAIN_TAIL; i++) {
		free(plain.tail[slot].lines[i]);
		plain.tail[slot].lines[i] = NULL;
	}
	plain.tail[slot].next = 0;
}

static void
plain_print_tail(int slot)
{
	int	 i, k;
	char	*l;

	for (i = 0; i < PLAIN_TAIL; i++) {
		k = (plain.tail[slot].next + i) % PLAIN_TAIL;
		if ((l = plain.tail[slot].lines[k]) != NULL)
			fprintf(plain.f, "      | %s\n", l);
	}
}

static void
plain_event(const struct event *ev, void *arg)
{
	const char	*m = ev->machine != NULL ? ev->machine : "-";
	int		 slot = plain_slot(ev->machine);

	if (plain.dead)
		return;
	switch (ev->type) {
	case EV_RUN_START:
		fprintf(plain.f, "%s %s: %d step%s\n",
		    ev->dry_run ? "checking" : "applying", ev->text,
		    ev->total, ev->total == 1 ? "" : "s");
		break;
	case EV_MACHINE:
		if (plain.verbose)
			fprintf(plain.f, "[%s] %s\n", m, ev->text);
		break;
	case EV_STEP_START:
		if (slot != -1)
			plain_tail_clear(slot);
		if (plain.verbose)
			fprintf(plain.f, "[%s] %s ...\n", m, ev->step);
		break;
	case EV_STEP_RESULT:
		fprintf(plain.f, "[%s] %-12s %s%s%s\n", m, ev->step,
		    ev->dry_run && ev->result == RESULT_CHANGED ?
		    "would change" : result_name(ev->result),
		    ev->text != NULL && *ev->text != '\0' ? ": " : "",
		    ev->text != NULL ? ev->text : "");
		if (ev->result == RESULT_FAILED && slot != -1)
			plain_print_tail(slot);
		break;
	case EV_CHANGE:
		fprintf(plain.f, "[%s] %-12s   + %s\n", m,
		    ev->step != NULL ? ev->step : "", ev->text);
		break;
	case EV_NOTE:
		if (ev->machine == NULL)
			fprintf(plain.f, "note: %s\n", ev->text);
		else
			fprintf(plain.f, "[%s] %-12s   ! %s\n", m,
			    ev->step != NULL ? ev->step : "", ev->text);
		break;
	case EV_COMMAND:
		if (plain.verbose > 1)
			fprintf(plain.f, "[%s]   $ %s\n", m, ev->text);
		break;
	case EV_OUTPUT:
		if (slot != -1) {
			int k = plain.tail[slot].next;

			free(plain.tail[slot].lines[k]);
			plain.tail[slot].lines[k] = xstrdup(ev->text);
			plain.tail[slot].next = (k + 1) % PLAIN_TAIL;
		}
		if (plain.verbose > 1)
			fprintf(plain.f, "[%s]   %s\n", m, ev->text);
		break;
	case EV_PROGRESS:
	case EV_PLAN:
		break;
	case EV_RUN_END:
		fprintf(plain.f, "%s\n", ev->text);
		break;
	}
	if (fflush(plain.f) == EOF || ferror(plain.f))
		plain.dead = 1;
}

int
events_plain_subscribe(FILE *f, int verbose)
{
	plain.f = f;
	plain.verbose = verbose;
	plain.dead = 0;
	return events_subscribe(plain_event, &plain);
}

static const char *
event_type_name(enum event_type t)
{
	static const char *names[] = { "run-start", "machine", "step-start",
	    "step-result", "change", "progress", "command", "output", "note",
	    "run-end", "plan" };

	if ((unsigned)t >= sizeof names / sizeof names[0])
		return "?";
	return names[t];
}

static void
json_add_str(struct json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void
json_event(const struct event *ev, void *arg)
{
	int			*fd = arg;
	struct json_object	*o, *c;
	const char		*s;
	size_t			 len, off;
	ssize_t			 n;
	int			 i;

	if (*fd == -1)
		return;
	o = json_object_new_object();
	json_add_str(o, "event", event_type_name(ev->type));
	json_add_str(o, "machine", ev->machine);
	json_add_str(o, "step", ev->step);
	if (ev->type == EV_STEP_RESULT)
		json_add_str(o, "result", result_name(ev->result));
	json_add_str(o, "text", ev->text);
	if (ev->type == EV_OUTPUT)
		json_object_object_add(o, "stream",
		    json_object_new_int(ev->stream));
	if (ev->type == EV_PROGRESS || ev->type == EV_RUN_START) {
		json_object_object_add(o, "done", json_object_new_int(ev->done));
		json_object_object_add(o, "total",
		    json_object_new_int(ev->total));
	}
	if (ev->type == EV_RUN_END) {
		c = json_object_new_object();
		for (i = 0; i < RESULT_COUNT; i++)
			json_object_object_add(c, result_name(i),
			    json_object_new_int(ev->counts[i]));
		json_object_object_add(o, "counts", c);
	}
	if (ev->dry_run)
		json_object_object_add(o, "dry_run",
		    json_object_new_boolean(1));
	json_add_str(o, "log", ev->log);
	if (ev->type == EV_RUN_START || ev->type == EV_RUN_END)
		json_object_object_add(o, "time", json_object_new_int64(
		    ev->time != 0 ? ev->time : (long long)time(NULL)));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	for (off = 0; off < len + 1; off += n) {
		n = off < len ? write(*fd, s + off, len - off) :
		    write(*fd, "\n", 1);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			*fd = -1;	/* the reader went away: stop writing */
			break;
		}
	}
	json_object_put(o);
}

int
events_json_subscribe(int fd)
{
	if (json_nfds == EVENTS_MAX_SUBS)
		return -1;
	json_fds[json_nfds] = fd;
	return events_subscribe(json_event, &json_fds[json_nfds++]);
}

static const char *
json_str(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long
json_num(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	return json_object_get_int64(v);
}

/* The reverse of json_event(), for 'attach' reading a run's events. */
int
events_json_parse(const char *line, struct event *ev, void **hold)
{
	struct json_object	*o, *c;
	const char		*name, *r;
	int			 i;

	memset(ev, 0, sizeof *ev);
	*hold = NULL;
	if ((o = json_tokener_parse(line)) == NULL)
		return -1;
	if (!json_object_is_type(o, json_type_object) ||
	    (name = json_str(o, "event")) == NULL)
		goto bad;
	for (i = 0; i <= EV_PLAN; i++) {
		if (strcmp(name, event_type_name(i)) == 0)
			break;
	}
	if (i > EV_PLAN)
		goto bad;
	ev->type = i;
	ev->machine = json_str(o, "machine");
	ev->step = json_str(o, "step");
	ev->text = json_str(o, "text");
	ev->log = json_str(o, "log");
	if ((r = json_str(o, "result")) != NULL) {
		for (i = 0; i < RESULT_COUNT; i++) {
			if (strcmp(r, result_name(i)) == 0)
				ev->result = i;
		}
	}
	ev->stream = (int)json_num(o, "stream");
	ev->done = (int)json_num(o, "done");
	ev->total = (int)json_num(o, "total");
	ev->time = json_num(o, "time");
	ev->dry_run = (int)json_num(o, "dry_run");
	if (json_object_object_get_ex(o, "counts", &c)) {
		for (i = 0; i < RESULT_COUNT; i++)
			ev->counts[i] = (int)json_num(c, result_name(i));
	}
	*hold = o;
	return 0;
bad:
	json_object_put(o);
	return -1;
}

void
events_json_free(void *hold)
{
	if (hold != NULL)
		json_object_put(hold);
}
