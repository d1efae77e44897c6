/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Reaching a machine of the profile's topology as apply does: the
 * transport for one node (the planner makes one per plan machine), and
 * engine_connect_node() for a caller that needs one node by its role and
 * no plan (the alert test reaches the monitor).
 */
#ifndef CONNECT_H
#define CONNECT_H

#include "profile.h"

struct topo_node;
struct transport;

/* One node, reached and open; its host's transport too for a container. */
struct engine_node {
	char			*name;	/* the plan machine's name */
	struct transport	*t;
	struct transport	*host;	/* a container's host, else NULL */
};

/* known_hosts: relative to the profile's folder; NULL when none is set. */
char	*engine_known_hosts(const struct profile *);

/*
 * The transport to node n, not opened.  A container (TOPO_CONTAINER)
 * is reached through host, its host's transport, which must outlive it.
 */
struct transport *engine_node_transport(const struct topo_node *n,
	    const char *known_hosts, int accept_new, struct transport *host);

/*
 * Open the first node that plays role.  accept_new: accept a new SSH
 * host key (as plan's --accept-new-host-keys).  Returns 0; -1 with *err
 * when the profile has no such node; -2 with *err when the node cannot
 * be reached (en->name says which).  engine_node_close() in every case.
 */
int	 engine_connect_node(const struct profile *p, enum role role,
	    int accept_new, struct engine_node *en, char **err);
void	 engine_node_close(struct engine_node *);

#endif
