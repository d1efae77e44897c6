/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * From a profile to step instances on machines.
 *
 * The machines are the topology's nodes (topology.c), in its order: this
 * machine or one over SSH for single-host, every listed machine for
 * machines, the host and its containers for lxc (a container is reached
 * with lxc-attach through its host's transport).  Each machine gets the
 * steps its roles call for, in registry order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "core.h"
#include "events.h"
#include "planner.h"
#include "profile.h"
#include "step.h"
#include "topology.h"
#include "transport.h"

static struct plan_machine *
plan_add_machine(struct plan *pl, const struct topo_node *n)
{
	struct plan_machine	*pm;

	pl->machines = xreallocarray(pl->machines, pl->nmachines + 1,
	    sizeof *pl->machines);
	pm = &pl->machines[pl->nmachines++];
	memset(pm, 0, sizeof *pm);
	pm->name = xstrdup(n->name);
	pm->m = n->m;
	pm->roles = n->roles;
	switch (n->kind) {
	case TOPO_LOCAL:
		pm->kind = PLAN_LOCAL;
		break;
	case TOPO_SSH:
		pm->kind = PLAN_SSH;
		break;
	case TOPO_CONTAINER:
		pm->kind = PLAN_LXC;
		pm->lxc_name = xstrdup(n->name);
		pm->parent = n->host;
		break;
	}
	return pm;
}

static int
plan_find(const struct plan *pl, size_t machine, const char *step,
    size_t *idx)
{
	size_t	i;

	for (i = 0; i < pl->nsteps; i++) {
		if (pl->steps[i].machine == machine &&
		    strcmp(pl->steps[i].step->name, step) == 0) {
			*idx = i;
			return 0;
		}
	}
	return -1;
}

static void
plan_add_dep(struct plan_step *ps, size_t dep)
{
	size_t	i;

	for (i = 0; i < ps->ndeps; i++) {
		if (ps->deps[i] == dep)
			return;
	}
	ps->deps = xreallocarray(ps->deps, ps->ndeps + 1, sizeof *ps->deps);
	ps->deps[ps->ndeps++] = dep;
}

static int
step_wanted(const struct step *s, const struct topo_node *n,
    const struct profile *p)
{
	if ((s->flags & STEP_LXC_HOST) && !n->lxc_host)
		return 0;
	if (s->planned != NULL && !s->planned(p))
		return 0;
	return s->roles == 0 || (s->roles & n->roles) != 0;
}

static void
plan_add_steps(struct plan *pl, size_t mi, const struct profile *p)
{
	const struct step	*s;
	struct plan_step	*ps;
	size_t			 i, k, dep;

	for (i = 0; i < steps_count; i++) {
		s = steps_all[i];
		if (!step_wanted(s, &pl->topo.nodes[mi], p))
			continue;
		pl->steps = xreallocarray(pl->steps, pl->nsteps + 1,
		    sizeof *pl->steps);
		ps = &pl->steps[pl->nsteps];
		memset(ps, 0, sizeof *ps);
		ps->step = s;
		ps->machine = mi;
		for (k = 0; s->after != NULL && s->after[k] != NULL; k++) {
			if (plan_find(pl, mi, s->after[k], &dep) == 0)
				plan_add_dep(ps, dep);
		}
		pl->nsteps++;
	}
}

/*
 * Needs across machines: a container's steps wait for its host's lxc
 * step (which makes the container); a step's after_anywhere names steps
 * that must be done on every machine that has them (war needs the
 * databases made); a STEP_LAST step (verify) waits for everything else.
 */
static void
plan_add_cross_deps(struct plan *pl)
{
	struct plan_step	*ps;
	const struct step	*s;
	size_t			 i, k, j, dep;

	for (i = 0; i < pl->nsteps; i++) {
		ps = &pl->steps[i];
		s = ps->step;
		if (pl->machines[ps->machine].kind == PLAN_LXC &&
		    plan_find(pl, pl->machines[ps->machine].parent, "lxc",
		    &dep) == 0)
			plan_add_dep(ps, dep);
		for (k = 0; s->after_anywhere != NULL &&
		    s->after_anywhere[k] != NULL; k++) {
			for (j = 0; j < pl->nsteps; j++) {
				if (strcmp(pl->steps[j].step->name,
				    s->after_anywhere[k]) == 0 && j != i)
					plan_add_dep(ps, j);
			}
		}
		if (!(s->flags & STEP_LAST))
			continue;
		for (j = 0; j < pl->nsteps; j++) {
			if (j != i && !(pl->steps[j].step->flags & STEP_LAST))
				plan_add_dep(ps, j);
		}
	}
}

int
plan_build(struct plan *pl, const struct profile *p, char **err)
{
	size_t	i;

	memset(pl, 0, sizeof *pl);
	if (topology_build(&pl->topo, p, err) == -1)
		return -1;
	for (i = 0; i < pl->topo.nnodes; i++)
		plan_add_machine(pl, &pl->topo.nodes[i]);
	for (i = 0; i < pl->nmachines; i++)
		plan_add_steps(pl, i, p);
	plan_add_cross_deps(pl);
	return 0;
}

static int
name_listed(const char *list, const char *name)
{
	size_t		 len = strlen(name);
	const char	*p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/*
 * Keep only the steps named in a comma-separated list (--only), with the
 * needs between kept steps; an unknown name is an error naming them all.
 */
int
plan_only(struct plan *pl, const char *list, char **err)
{
	size_t	*map, i, k, n = 0, d;
	char	*p, *copy, *name, *known = NULL, *tmp;

	copy = xstrdup(list);
	for (p = copy; (name = strsep(&p, ",")) != NULL;) {
		if (step_find(name) != NULL)
			continue;
		for (i = 0; i < steps_count; i++) {
			xasprintf(&tmp, "%s%s%s", known ? known : "",
			    i ? ", " : "", steps_all[i]->name);
			free(known);
			known = tmp;
		}
		xasprintf(err, "--only: no step '%s' (steps: %s)", name, known);
		free(known);
		free(copy);
		return -1;
	}
	free(copy);
	map = xcalloc(pl->nsteps, sizeof *map);
	for (i = 0; i < pl->nsteps; i++) {
		if (!name_listed(list, pl->steps[i].step->name)) {
			map[i] = (size_t)-1;
			free(pl->steps[i].deps);
			continue;
		}
		map[i] = n;
		pl->steps[n++] = pl->steps[i];
	}
	for (i = 0; i < n; i++) {
		struct plan_step *ps = &pl->steps[i];

		for (k = 0, d = 0; d < ps->ndeps; d++) {
			if (map[ps->deps[d]] != (size_t)-1)
				ps->deps[k++] = map[ps->deps[d]];
		}
		ps->ndeps = k;
	}
	pl->nsteps = n;
	free(map);
	return 0;
}

void
plan_free(struct plan *pl)
{
	size_t	i, k;

	for (i = 0; i < pl->nmachines; i++) {
		transport_free(pl->machines[i].t);
		facts_free(&pl->machines[i].facts);
		free(pl->machines[i].name);
		free(pl->machines[i].lxc_name);
		free(pl->machines[i].error);
	}
	for (i = 0; i < pl->nsteps; i++) {
		free(pl->steps[i].deps);
		free(pl->steps[i].msg);
		for (k = 0; k < pl->steps[i].nitems; k++)
			free(pl->steps[i].items[k]);
		free(pl->steps[i].items);
		for (k = 0; k < pl->steps[i].nnotes; k++)
			free(pl->steps[i].notes[k]);
		free(pl->steps[i].notes);
	}
	free(pl->machines);
	free(pl->steps);
	topology_free(&pl->topo);
	memset(pl, 0, sizeof *pl);
}

/* Make (not open) the transport of every machine (connect.c). */
int
plan_connect(struct plan *pl, const struct profile *p, int accept_new)
{
	struct plan_machine	*pm;
	char			*kh;
	size_t			 i;

	kh = engine_known_hosts(p);
	for (i = 0; i < pl->nmachines; i++) {
		pm = &pl->machines[i];
		pm->t = engine_node_transport(&pl->topo.nodes[i], kh,
		    accept_new, pm->kind == PLAN_LXC ?
		    pl->machines[pm->parent].t : NULL);
	}
	free(kh);
	return 0;
}

static void
collect_event(const struct event *ev, void *arg)
{
	struct plan		*pl = arg;
	struct plan_step	*ps;
	size_t			 i;

	if ((ev->type != EV_CHANGE && ev->type != EV_NOTE) ||
	    ev->machine == NULL || ev->step == NULL)
		return;
	for (i = 0; i < pl->nsteps; i++) {
		ps = &pl->steps[i];
		if (strcmp(pl->machines[ps->machine].name, ev->machine) != 0 ||
		    strcmp(ps->step->name, ev->step) != 0)
			continue;
		if (ev->type == EV_NOTE) {
			ps->notes = xreallocarray(ps->notes, ps->nnotes + 1,
			    sizeof *ps->notes);
			ps->notes[ps->nnotes++] = xstrdup(ev->text);
			return;
		}
		ps->items = xreallocarray(ps->items, ps->nitems + 1,
		    sizeof *ps->items);
		ps->items[ps->nitems++] = xstrdup(ev->text);
		return;
	}
}

/* Keep what each step would change, for plan --json. */
int
plan_collect_changes(struct plan *pl)
{
	return events_subscribe(collect_event, pl);
}
