/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The planner: profile (and, once machines are reached, their facts) to a
 * DAG of step instances, one per step and machine the step applies to.
 * The engine (engine.c) runs it.
 */
#ifndef PLANNER_H
#define PLANNER_H

#include <stddef.h>

#include "events.h"
#include "facts.h"
#include "sizing.h"
#include "topology.h"

struct profile;
struct machine;
struct step;
struct transport;

enum plan_transport {
	PLAN_LOCAL,
	PLAN_SSH,
	PLAN_LXC,
};

/*
 * The engine's record of a machine: the connection (t) and what is known
 * of the machine itself, which outlives no run and is no transport's.
 */
struct plan_machine {
	char			*name;
	enum plan_transport	 kind;
	const struct machine	*m;		/* NULL: this machine */
	unsigned		 roles;
	char			*lxc_name;	/* PLAN_LXC */
	size_t			 parent;	/* PLAN_LXC: its host */
	struct transport	*t;
	int			 unreachable;
	char			*error;
	struct facts		 facts;		/* read when first reached */
	struct sizing		 size;		/* from the facts and topology */
	/*
	 * The machine's package lists were updated in this run (steps/
	 * step_probe.c): later installs skip apt-get update.  Set with an
	 * atomic exchange; the engine runs one step at a time per machine.
	 */
	int			 apt_updated;
};

enum plan_state {
	PS_PENDING,
	PS_RUNNING,
	PS_DONE,
};

struct plan_step {
	const struct step	*step;
	size_t			 machine;
	size_t			*deps;
	size_t			 ndeps;
	enum plan_state		 state;
	enum result		 result;
	char			*msg;
	int			 changes;
	char			**items;	/* what it (would have) changed */
	size_t			 nitems;
	char			**notes;	/* warnings and why it failed */
	size_t			 nnotes;
	int			 dep_failed;	/* skipped for a failed need */
};

struct plan {
	struct topology		 topo;		/* machine i is node i */
	struct plan_machine	*machines;
	size_t			 nmachines;
	struct plan_step	*steps;
	size_t			 nsteps;
};

/* planner.c */
int	 plan_build(struct plan *, const struct profile *, char **);
void	 plan_free(struct plan *);
int	 plan_only(struct plan *, const char *, char **);
int	 plan_connect(struct plan *, const struct profile *, int);
int	 plan_collect_changes(struct plan *);

/* report_plan_json.c */
void	 plan_print_json(const struct plan *pl, const struct profile *p,
	    FILE *f, int checked);

#endif
