/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The JSON reporter: one JSON line per event on --events-fd (and the
 * run's journal), and the reverse, a line read back into an event for
 * 'attach'.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "events.h"

static int	json_fds[EVENTS_MAX_SUBS];
static int	json_nfds;

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

/* Forget the descriptors; events_reset() calls it with the bus locked. */
void
events_json_reset(void)
{
	json_nfds = 0;
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
