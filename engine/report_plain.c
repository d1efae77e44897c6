/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The plain reporter: the event stream as lines for a terminal or a pipe,
 * with the last output lines of a step that failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"

#define PLAIN_TAIL	8	/* output lines shown with a failure */
#define PLAIN_MACHINES	64

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

/*
 * Texts come from the machines (command output, shown with a failure
 * without -v) and from the profile: control characters in them are made
 * visible (str_printable) before they reach the operator's terminal.
 */
static void
plain_event(const struct event *ev, void *arg)
{
	const char	*m = ev->machine != NULL ? ev->machine : "-";
	const char	*st = ev->step != NULL ? ev->step : "";
	char		*t;
	int		 slot = plain_slot(ev->machine);

	if (plain.dead)
		return;
	t = str_printable(ev->text);
	switch (ev->type) {
	case EV_RUN_START:
		fprintf(plain.f, "%s %s: %d step%s\n",
		    ev->dry_run ? "checking" : "applying", t,
		    ev->total, ev->total == 1 ? "" : "s");
		break;
	case EV_MACHINE:
		if (plain.verbose)
			fprintf(plain.f, "[%s] %s\n", m, t);
		break;
	case EV_STEP_START:
		if (slot != -1)
			plain_tail_clear(slot);
		if (plain.verbose)
			fprintf(plain.f, "[%s] %s ...\n", m, st);
		break;
	case EV_STEP_RESULT:
		fprintf(plain.f, "[%s] %-12s %s%s%s\n", m, st,
		    ev->dry_run && ev->result == RESULT_CHANGED ?
		    "would change" : result_name(ev->result),
		    *t != '\0' ? ": " : "", t);
		if (ev->result == RESULT_FAILED && slot != -1)
			plain_print_tail(slot);
		break;
	case EV_CHANGE:
		fprintf(plain.f, "[%s] %-12s   + %s\n", m, st, t);
		break;
	case EV_NOTE:
		if (ev->machine == NULL)
			fprintf(plain.f, "note: %s\n", t);
		else
			fprintf(plain.f, "[%s] %-12s   ! %s\n", m, st, t);
		break;
	case EV_COMMAND:
		if (plain.verbose > 1)
			fprintf(plain.f, "[%s]   $ %s\n", m, t);
		break;
	case EV_OUTPUT:
		if (slot != -1) {
			int k = plain.tail[slot].next;

			free(plain.tail[slot].lines[k]);
			plain.tail[slot].lines[k] = xstrdup(t);
			plain.tail[slot].next = (k + 1) % PLAIN_TAIL;
		}
		if (plain.verbose > 1)
			fprintf(plain.f, "[%s]   %s\n", m, t);
		break;
	case EV_PROGRESS:
	case EV_PLAN:
		break;
	case EV_RUN_END:
		fprintf(plain.f, "%s\n", t);
		break;
	}
	free(t);
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
