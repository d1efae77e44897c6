/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The engine runs a plan: up to --jobs machines at once, each machine's
 * steps one after the other (one session per machine), a step whose
 * dependency failed is skipped, everything else still runs.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "events.h"

struct plan;
struct profile;
struct secrets;

struct engine_opts {
	int	jobs;		/* machines at once; 0: 4 */
	int	dry_run;	/* check only: plan, --dry-run */
};

struct engine_summary {
	int	counts[RESULT_COUNT];
	int	unreachable;	/* machines not reached or not trusted */
	int	changes;	/* things changed (or that would change) */
};

/* engine.c */
void	 engine_run(struct plan *, const struct profile *,
	    const struct secrets *, const struct engine_opts *,
	    struct engine_summary *);
int	 engine_exit_code(const struct engine_summary *);
char	*engine_summary_text(const struct engine_summary *, int);

#endif
