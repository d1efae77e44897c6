/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * plan --json: the plan as one JSON document, with each machine's steps,
 * what a check found they would change, the allowed pairs of the
 * firewalls and what the profile asks for that no step builds yet.
 */
#include "config.h"

#include <stdio.h>

#include <json-c/json.h>

#include "core.h"
#include "events.h"
#include "feature.h"
#include "planner.h"
#include "profile.h"
#include "step.h"
#include "topology.h"

static const char *
transport_kind_name(enum plan_transport k)
{
	switch (k) {
	case PLAN_LOCAL:
		return "local";
	case PLAN_SSH:
		return "ssh";
	case PLAN_LXC:
		return "lxc";
	}
	return "?";
}

/* The allowed pairs (what the firewalls let through), for plan --json. */
static struct json_object *
firewall_json(const struct topology *t)
{
	struct json_object	*a, *r;
	const struct topo_rule	*tr;
	char			 ports[16];
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < t->nrules; i++) {
		tr = &t->rules[i];
		topo_rule_ports(tr, ports, sizeof ports);
		r = json_object_new_object();
		json_object_object_add(r, "from",
		    json_object_new_string(topo_rule_source(t, tr)));
		json_object_object_add(r, "to",
		    json_object_new_string(t->nodes[tr->to].name));
		json_object_object_add(r, "ports", json_object_new_string(ports));
		json_object_object_add(r, "service",
		    json_object_new_string(tr->service));
		json_object_array_add(a, r);
	}
	return a;
}

/* What the profile asks for that no step builds yet, as messages. */
static struct json_object *
unbuilt_json(const struct profile *p)
{
	struct json_object	*a = json_object_new_array();
	struct diag		 d;
	size_t			 i;

	diag_init(&d);
	profile_unbuilt(p, &d);
	for (i = 0; i < d.n; i++)
		json_object_array_add(a, json_object_new_string(d.msgs[i]));
	diag_free(&d);
	return a;
}

void
plan_print_json(const struct plan *pl, const struct profile *p, FILE *f,
    int checked)
{
	struct json_object	*o, *ms, *m, *ss, *s, *a;
	const struct plan_step	*ps;
	size_t			 i, k, d;
	int			 r;

	o = json_object_new_object();
	json_object_object_add(o, "profile",
	    json_object_new_string(p->path != NULL ? p->path : ""));
	ms = json_object_new_array();
	for (i = 0; i < pl->nmachines; i++) {
		m = json_object_new_object();
		json_object_object_add(m, "name",
		    json_object_new_string(pl->machines[i].name));
		json_object_object_add(m, "transport", json_object_new_string(
		    transport_kind_name(pl->machines[i].kind)));
		a = json_object_new_array();
		for (r = 0; r < ROLE_COUNT; r++) {
			if (pl->machines[i].roles & ROLE_BIT(r))
				json_object_array_add(a,
				    json_object_new_string(role_name(r)));
		}
		json_object_object_add(m, "roles", a);
		if (pl->machines[i].error != NULL)
			json_object_object_add(m, "error",
			    json_object_new_string(pl->machines[i].error));
		ss = json_object_new_array();
		for (k = 0; k < pl->nsteps; k++) {
			ps = &pl->steps[k];
			if (ps->machine != i)
				continue;
			s = json_object_new_object();
			json_object_object_add(s, "step",
			    json_object_new_string(ps->step->name));
			json_object_object_add(s, "summary",
			    json_object_new_string(ps->step->summary));
			a = json_object_new_array();
			for (d = 0; d < ps->ndeps; d++)
				json_object_array_add(a, json_object_new_string(
				    pl->steps[ps->deps[d]].step->name));
			json_object_object_add(s, "after", a);
			if (checked) {
				json_object_object_add(s, "result",
				    json_object_new_string(ps->result ==
				    RESULT_CHANGED ? "would-change" :
				    result_name(ps->result)));
				if (ps->msg != NULL)
					json_object_object_add(s, "message",
					    json_object_new_string(ps->msg));
				a = json_object_new_array();
				for (d = 0; d < ps->nitems; d++)
					json_object_array_add(a,
					    json_object_new_string(
					    ps->items[d]));
				json_object_object_add(s, "changes", a);
				a = json_object_new_array();
				for (d = 0; d < ps->nnotes; d++)
					json_object_array_add(a,
					    json_object_new_string(
					    ps->notes[d]));
				json_object_object_add(s, "notes", a);
			}
			json_object_array_add(ss, s);
		}
		json_object_object_add(m, "steps", ss);
		json_object_array_add(ms, m);
	}
	json_object_object_add(o, "machines", ms);
	json_object_object_add(o, "firewall", firewall_json(&pl->topo));
	json_object_object_add(o, "unbuilt", unbuilt_json(p));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
