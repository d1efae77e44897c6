/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * One sizing per node: who shares the node's RAM, PostgreSQL's share,
 * the Tomcats' share and each Tomcat's heap.  The engine computes it once
 * per machine, from the topology and the RAM the machine's facts report,
 * and steps read it (ctx->size); the wizard's database screen computes
 * the same for the machine the database goes on.  The formulas are
 * tuning.c's (docs/tuning.md).
 */
#ifndef SIZING_H
#define SIZING_H

#include <stddef.h>

struct profile;
struct topo_node;

/* RAM assumed when a machine reports none. */
#define SIZING_DEFAULT_RAM_MB	4096

struct sizing {
	long long	ram_mb;		/* what it was computed from */
	int		db_shares;	/* PostgreSQL shares it with Tomcat */
	int		app_shares;	/* Tomcat shares it with PostgreSQL */
	long long	db_mb;		/* PostgreSQL's share */
	long long	app_mb;		/* the Tomcats' share */
	size_t		ntomcats;	/* Tomcats that split app_mb */
	long long	heap_mb;	/* each one's heap when it says auto */
};

/* sizing.c: ram_mb 0 or less is SIZING_DEFAULT_RAM_MB. */
void	 sizing_node(struct sizing *, const struct profile *,
	    const struct topo_node *, long long);

#endif
