/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The topology: which nodes a profile makes (this machine, machines over
 * SSH, or an LXC host and its containers), the address each is reached at,
 * the roles and instances each plays, and the allowed pairs between them:
 * every connection the installation needs, and so every one a firewall
 * lets through.  The planner makes one plan machine per node, in the same
 * order; steps ask the topology where their peers are.
 */
#ifndef TOPOLOGY_H
#define TOPOLOGY_H

#include <stddef.h>
#include <stdio.h>

#include "profile.h"

#define TOPO_NONE	((size_t)-1)

/* Container host parts in the LXC subnet (the host is .1). */
#define TOPO_LXC_PROXY		10
#define TOPO_LXC_DATABASE	20
#define TOPO_LXC_REPLICA	21	/* .21, .22, ... */
#define TOPO_LXC_REDIS		30
#define TOPO_LXC_MONITOR	40
#define TOPO_LXC_APP		100	/* .100 + instance index */

/* Ports the rules name (steps use them through steps/stack.h). */
#define PORT_SSH		22
#define PORT_HTTP		80
#define PORT_HTTPS		443
#define PORT_POSTGRES		5432
#define PORT_REDIS		6379
#define PORT_NODE_EXPORTER	9100
#define PORT_PG_EXPORTER	9187

enum topo_kind {
	TOPO_LOCAL,		/* this machine */
	TOPO_SSH,		/* a machine over SSH */
	TOPO_CONTAINER,		/* an LXC container on node host */
};

struct topo_node {
	char			*name;		/* plan machine name */
	char			*address;	/* where other nodes reach it */
	enum topo_kind		 kind;
	const struct machine	*m;		/* TOPO_SSH, and an SSH LXC host */
	unsigned		 roles;		/* ROLE_BIT()s */
	int			 lxc_host;	/* it holds the containers */
	size_t			 host;		/* TOPO_CONTAINER: its host */
	size_t			 instance;	/* app: its one instance, or
						   TOPO_NONE for all of them */
};

enum topo_from {
	FROM_NODE,		/* one node of the topology */
	FROM_ANY,		/* anywhere: the public services */
	FROM_ADMIN,		/* the profile's admin_network (anywhere when
				   it names none) */
};

/* "from may open TCP to.address:port_lo..port_hi" */
struct topo_rule {
	size_t			 to;
	enum topo_from		 from_kind;
	size_t			 from;		/* FROM_NODE */
	int			 port_lo;
	int			 port_hi;
	const char		*service;	/* "https", "postgresql", ... */
};

struct topology {
	enum isolation		 isolation;
	struct topo_node	*nodes;
	size_t			 nnodes;
	struct topo_rule	*rules;
	size_t			 nrules;
	/* isolation lxc: the private network and the containers' release */
	char			*bridge;
	char			*subnet;	/* CIDR */
	char			*gateway;	/* the host's address on it */
	int			 prefix_len;
	char			*release;
	const char		*admin_network;	/* NULL: anywhere */
};

int	 topology_build(struct topology *, const struct profile *, char **);
void	 topology_free(struct topology *);

/* The first node that plays a role, or TOPO_NONE. */
size_t	 topo_role_node(const struct topology *, enum role);
/* Does node run instance i (an app node)? */
int	 topo_runs_instance(const struct topology *, size_t, size_t);
int	 topo_node_runs_instance(const struct topo_node *, size_t);
/* How node from reaches node to: loopback when they are one machine. */
const char *topo_reach(const struct topology *, size_t, size_t);
/* Does traffic between two nodes cross a network (so must be encrypted)? */
int	 topo_crosses_network(const struct topology *, size_t, size_t);
/* A rule's source, for people: "anywhere", "admin 192.0.2.0/24", a name. */
const char *topo_rule_source(const struct topology *, const struct topo_rule *);
/* A rule's ports as "5432" or "8080-8081" (nftables reads the same). */
const char *topo_rule_ports(const struct topo_rule *, char *, size_t);
/* The allowed-pairs matrix, for plan. */
void	 topology_print_matrix(const struct topology *, FILE *);

#endif
