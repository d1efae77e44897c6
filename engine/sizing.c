/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * One node's sizing: the single place that says who shares a node's RAM
 * with whom.  postgres.c, replica.c, tomcat.c and the wizard read it.
 */
#include "config.h"

#include <string.h>

#include "profile.h"
#include "sizing.h"
#include "topology.h"
#include "tuning.h"

/*
 * Tomcats that split the application's share: of the instances this node
 * runs, or of every instance (all: LXC containers share the host's RAM).
 */
static size_t
tomcats(const struct profile *p, const struct topo_node *n, int all)
{
	size_t	i, k = 0;

	for (i = 0; i < p->ninstances; i++) {
		if (all || topo_node_runs_instance(n, i))
			k += p->instances[i].nodes;
	}
	return k;
}

static size_t
instances_here(const struct profile *p, const struct topo_node *n)
{
	size_t	i, k = 0;

	for (i = 0; i < p->ninstances; i++)
		k += topo_node_runs_instance(n, i);
	return k;
}

/*
 * Containers see (and share) the whole host's RAM, so with isolation lxc
 * every split is the one server's.  Elsewhere PostgreSQL shares the RAM
 * where the node also plays app (one server always does), and Tomcat
 * where the node also plays database.  The two differ only on a machine
 * that plays app and replica: PostgreSQL takes its share there, Tomcat
 * counts the whole RAM, as before this file.
 */
void
sizing_node(struct sizing *s, const struct profile *p,
    const struct topo_node *n, long long ram_mb)
{
	int		lxc = p->isolation == ISOLATION_LXC;
	long long	unused;

	memset(s, 0, sizeof *s);
	s->ram_mb = ram_mb > 0 ? ram_mb : SIZING_DEFAULT_RAM_MB;
	s->db_shares = p->isolation == ISOLATION_SINGLE_HOST || lxc ||
	    (n->roles & ROLE_BIT(ROLE_APP)) != 0;
	s->app_shares = lxc || (n->roles & ROLE_BIT(ROLE_DATABASE)) != 0;
	memory_split(s->ram_mb, s->db_shares, p->ninstances, &s->db_mb,
	    &unused);
	memory_split(s->ram_mb, s->app_shares,
	    lxc ? p->ninstances : instances_here(p, n), &unused, &s->app_mb);
	s->ntomcats = tomcats(p, n, lxc);
	s->heap_mb = tomcat_heap_mb(s->app_mb, s->ntomcats);
}
