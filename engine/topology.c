/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * From a profile to nodes and the connections allowed between them.
 *
 * single-host  one node: this machine, or machines[0] over SSH.
 * machines     one node per listed machine, roles as listed.
 * lxc          the host (this machine or machines[0]) and, on a private
 *              bridge, a container per role: proxy, one per instance,
 *              postgres, replicas, redis, monitor, at fixed host parts of
 *              the subnet so that firewall rules and configurations can
 *              name them before the containers exist.
 *
 * The rules are the hosting guide's "minimum access to one another": the
 * proxy takes 80/443 from anywhere, an app node its Tomcat ports from the
 * proxy, PostgreSQL 5432 from app nodes and replicas, Redis from app
 * nodes, exporters from the monitor, SSH from the admin network.  Nothing
 * else; in particular no container reaches another by SSH and the proxy
 * never reaches the database.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "topology.h"

#define LXC_DEFAULT_BRIDGE	"dhisbr0"
#define LXC_DEFAULT_SUBNET	"10.77.0.0/24"
#define LXC_DEFAULT_RELEASE	"bookworm"

static size_t
add_node(struct topology *t, const char *name, enum topo_kind kind,
    unsigned roles)
{
	struct topo_node	*n;

	t->nodes = xreallocarray(t->nodes, t->nnodes + 1, sizeof *t->nodes);
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof *n);
	n->name = xstrdup(name);
	n->kind = kind;
	n->roles = roles;
	n->host = TOPO_NONE;
	n->instance = TOPO_NONE;
	return t->nnodes++;
}

static void
add_rule(struct topology *t, size_t to, enum topo_from kind, size_t from,
    int lo, int hi, const char *service)
{
	struct topo_rule	*r;
	size_t			 i;

	/* One node playing both ends needs no rule: it stays on loopback. */
	if (kind == FROM_NODE && from == to)
		return;
	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		if (r->to == to && r->from_kind == kind && r->from == from &&
		    r->port_lo == lo && r->port_hi == hi)
			return;
	}
	t->rules = xreallocarray(t->rules, t->nrules + 1, sizeof *t->rules);
	r = &t->rules[t->nrules++];
	r->to = to;
	r->from_kind = kind;
	r->from = from;
	r->port_lo = lo;
	r->port_hi = hi;
	r->service = service;
}

static unsigned
all_roles(const struct profile *p)
{
	unsigned	r;

	r = ROLE_BIT(ROLE_PROXY) | ROLE_BIT(ROLE_APP) |
	    ROLE_BIT(ROLE_DATABASE);
	if (p->redis)
		r |= ROLE_BIT(ROLE_REDIS);
	if (p->monitoring != MONITORING_NONE)
		r |= ROLE_BIT(ROLE_MONITOR);
	if (p->backups.enabled)
		r |= ROLE_BIT(ROLE_BACKUP);
	if (p->database.replicas > 0)
		r |= ROLE_BIT(ROLE_REPLICA);
	return r;
}

/* The server itself: this machine, or the first listed over SSH. */
static size_t
add_server(struct topology *t, const struct profile *p, unsigned roles)
{
	size_t	n;

	if (p->nmachines > 0) {
		n = add_node(t, p->machines[0].name, TOPO_SSH, roles);
		t->nodes[n].m = &p->machines[0];
		t->nodes[n].address = xstrdup(p->machines[0].address);
	} else {
		n = add_node(t, "local", TOPO_LOCAL, roles);
		t->nodes[n].address = xstrdup("127.0.0.1");
	}
	return n;
}

/* The subnet's address with host part hostpart, or -1. */
static int
subnet_host(const struct topology *t, unsigned hostpart, char **out)
{
	char		 net[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN];
	const char	*slash = strchr(t->subnet, '/');
	struct in_addr	 a;
	unsigned long	 base, mask;

	if (slash == NULL || (size_t)(slash - t->subnet) >= sizeof net)
		return -1;
	memcpy(net, t->subnet, slash - t->subnet);
	net[slash - t->subnet] = '\0';
	if (inet_pton(AF_INET, net, &a) != 1)
		return -1;
	mask = t->prefix_len == 0 ? 0 :
	    (0xffffffffUL << (32 - t->prefix_len)) & 0xffffffffUL;
	if (hostpart > (~mask & 0xffffffffUL) - 1)
		return -1;
	base = ntohl(a.s_addr) & mask;
	a.s_addr = htonl((uint32_t)(base + hostpart));
	if (inet_ntop(AF_INET, &a, buf, sizeof buf) == NULL)
		return -1;
	*out = xstrdup(buf);
	return 0;
}

static size_t
add_container(struct topology *t, const struct profile *p, size_t host,
    const char *role_name, unsigned roles, unsigned hostpart)
{
	char	*name;
	size_t	 n;

	if (p->lxc.prefix != NULL)
		xasprintf(&name, "%s-%s", p->lxc.prefix, role_name);
	else
		name = xstrdup(role_name);
	n = add_node(t, name, TOPO_CONTAINER, roles);
	free(name);
	t->nodes[n].host = host;
	if (subnet_host(t, hostpart, &t->nodes[n].address) == -1)
		t->nodes[n].address = NULL;	/* checked by the caller */
	return n;
}

static int
build_lxc(struct topology *t, const struct profile *p, char **err)
{
	const char	*slash;
	size_t		 host, i, n;
	char		 name[48];

	t->bridge = xstrdup(p->lxc.bridge ? p->lxc.bridge : LXC_DEFAULT_BRIDGE);
	t->subnet = xstrdup(p->lxc.subnet ? p->lxc.subnet : LXC_DEFAULT_SUBNET);
	t->release = xstrdup(p->lxc.release ? p->lxc.release :
	    LXC_DEFAULT_RELEASE);
	slash = strchr(t->subnet, '/');
	t->prefix_len = slash != NULL ? atoi(slash + 1) : 0;
	if (t->prefix_len < 8 || t->prefix_len > 24) {
		xasprintf(err, "lxc.subnet %s: the containers need a /24 or "
		    "larger network", t->subnet);
		return -1;
	}
	host = add_server(t, p, 0);
	t->nodes[host].lxc_host = 1;
	if (subnet_host(t, 1, &t->gateway) == -1) {
		xasprintf(err, "lxc.subnet %s: no room for the host", t->subnet);
		return -1;
	}
	add_container(t, p, host, "proxy", ROLE_BIT(ROLE_PROXY),
	    TOPO_LXC_PROXY);
	for (i = 0; i < p->ninstances; i++) {
		n = add_container(t, p, host, p->instances[i].name,
		    ROLE_BIT(ROLE_APP), TOPO_LXC_APP + (unsigned)i);
		t->nodes[n].instance = i;
	}
	add_container(t, p, host, "postgres", ROLE_BIT(ROLE_DATABASE) |
	    (p->backups.enabled ? ROLE_BIT(ROLE_BACKUP) : 0),
	    TOPO_LXC_DATABASE);
	for (i = 0; i < (size_t)p->database.replicas; i++) {
		snprintf(name, sizeof name, "postgres-replica%zu", i + 1);
		add_container(t, p, host, name, ROLE_BIT(ROLE_REPLICA),
		    TOPO_LXC_REPLICA + (unsigned)i);
	}
	if (p->redis)
		add_container(t, p, host, "redis", ROLE_BIT(ROLE_REDIS),
		    TOPO_LXC_REDIS);
	if (p->monitoring != MONITORING_NONE)
		add_container(t, p, host, "monitor", ROLE_BIT(ROLE_MONITOR),
		    TOPO_LXC_MONITOR);
	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].address == NULL) {
			xasprintf(err, "lxc.subnet %s has no room for "
			    "container %s", t->subnet, t->nodes[i].name);
			return -1;
		}
	}
	return 0;
}

static void
add_rules_to_role(struct topology *t, enum role to_role, enum role from_role,
    int lo, int hi, const char *service)
{
	size_t	i, k;

	for (i = 0; i < t->nnodes; i++) {
		if (!(t->nodes[i].roles & ROLE_BIT(to_role)))
			continue;
		for (k = 0; k < t->nnodes; k++) {
			if (t->nodes[k].roles & ROLE_BIT(from_role))
				add_rule(t, i, FROM_NODE, k, lo, hi, service);
		}
	}
}

/* Tomcat's ports on an app node: every node of the instances it runs. */
static void
add_tomcat_rules(struct topology *t, const struct profile *p)
{
	size_t	i, k, in;

	for (i = 0; i < t->nnodes; i++) {
		if (!(t->nodes[i].roles & ROLE_BIT(ROLE_APP)))
			continue;
		for (in = 0; in < p->ninstances; in++) {
			if (!topo_runs_instance(t, i, in))
				continue;
			for (k = 0; k < t->nnodes; k++) {
				if (t->nodes[k].roles & ROLE_BIT(ROLE_PROXY))
					add_rule(t, i, FROM_NODE, k,
					    instance_port(p, in, 0),
					    instance_port(p, in,
					    p->instances[in].nodes > 0 ?
					    p->instances[in].nodes - 1 : 0),
					    "tomcat");
			}
		}
	}
}

static void
add_rules(struct topology *t, const struct profile *p)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].roles & ROLE_BIT(ROLE_PROXY)) {
			add_rule(t, i, FROM_ANY, 0, PORT_HTTP, PORT_HTTP,
			    "http");
			if (p->tls.mode != TLS_NONE)
				add_rule(t, i, FROM_ANY, 0, PORT_HTTPS,
				    PORT_HTTPS, "https");
		}
		/* Containers are entered with lxc-attach: no SSH at all. */
		if (t->nodes[i].kind != TOPO_CONTAINER)
			add_rule(t, i, FROM_ADMIN, 0,
			    t->nodes[i].m && t->nodes[i].m->ssh_port > 0 ?
			    t->nodes[i].m->ssh_port : PORT_SSH,
			    t->nodes[i].m && t->nodes[i].m->ssh_port > 0 ?
			    t->nodes[i].m->ssh_port : PORT_SSH, "ssh");
	}
	add_tomcat_rules(t, p);
	add_rules_to_role(t, ROLE_DATABASE, ROLE_APP, PORT_POSTGRES,
	    PORT_POSTGRES, "postgresql");
	add_rules_to_role(t, ROLE_DATABASE, ROLE_REPLICA, PORT_POSTGRES,
	    PORT_POSTGRES, "replication");
	add_rules_to_role(t, ROLE_REPLICA, ROLE_APP, PORT_POSTGRES,
	    PORT_POSTGRES, "postgresql");
	add_rules_to_role(t, ROLE_REDIS, ROLE_APP, PORT_REDIS, PORT_REDIS,
	    "redis");
	if (p->monitoring == MONITORING_NONE)
		return;
	for (i = 0; i < t->nnodes; i++) {
		size_t	k;

		for (k = 0; k < t->nnodes; k++) {
			if (!(t->nodes[k].roles & ROLE_BIT(ROLE_MONITOR)))
				continue;
			add_rule(t, i, FROM_NODE, k, PORT_NODE_EXPORTER,
			    PORT_NODE_EXPORTER, "node-exporter");
			if (t->nodes[i].roles & ROLE_BIT(ROLE_DATABASE))
				add_rule(t, i, FROM_NODE, k, PORT_PG_EXPORTER,
				    PORT_PG_EXPORTER, "postgres-exporter");
		}
	}
}

int
topology_build(struct topology *t, const struct profile *p, char **err)
{
	size_t	i, n;

	memset(t, 0, sizeof *t);
	t->isolation = p->isolation;
	t->admin_network = p->admin_network;
	switch (p->isolation) {
	case ISOLATION_SINGLE_HOST:
		add_server(t, p, all_roles(p));
		break;
	case ISOLATION_LXC:
		if (build_lxc(t, p, err) == -1) {
			topology_free(t);
			return -1;
		}
		break;
	case ISOLATION_MACHINES:
		for (i = 0; i < p->nmachines; i++) {
			n = add_node(t, p->machines[i].name, TOPO_SSH,
			    p->machines[i].roles);
			t->nodes[n].m = &p->machines[i];
			t->nodes[n].address = xstrdup(p->machines[i].address);
		}
		break;
	}
	if (t->nnodes == 0) {
		xasprintf(err, "the profile names no machine to run on");
		topology_free(t);
		return -1;
	}
	add_rules(t, p);
	return 0;
}

void
topology_free(struct topology *t)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].address);
	}
	free(t->nodes);
	free(t->rules);
	free(t->bridge);
	free(t->subnet);
	free(t->gateway);
	free(t->release);
	memset(t, 0, sizeof *t);
}

size_t
topo_role_node(const struct topology *t, enum role r)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].roles & ROLE_BIT(r))
			return i;
	}
	return TOPO_NONE;
}

int
topo_node_runs_instance(const struct topo_node *n, size_t in)
{
	if (!(n->roles & ROLE_BIT(ROLE_APP)))
		return 0;
	return n->instance == TOPO_NONE || n->instance == in;
}

int
topo_runs_instance(const struct topology *t, size_t node, size_t in)
{
	return topo_node_runs_instance(&t->nodes[node], in);
}

const char *
topo_reach(const struct topology *t, size_t from, size_t to)
{
	if (from == to || to == TOPO_NONE)
		return "127.0.0.1";
	return t->nodes[to].address;
}

/*
 * Containers on one host talk over its bridge, which never leaves the
 * machine; separate machines talk over a network someone else may see.
 */
int
topo_crosses_network(const struct topology *t, size_t a, size_t b)
{
	if (a == b || a == TOPO_NONE || b == TOPO_NONE)
		return 0;
	return t->isolation == ISOLATION_MACHINES;
}

const char *
topo_rule_source(const struct topology *t, const struct topo_rule *r)
{
	switch (r->from_kind) {
	case FROM_ANY:
		return "anywhere";
	case FROM_ADMIN:
		return t->admin_network != NULL ? t->admin_network :
		    "anywhere (no admin_network)";
	case FROM_NODE:
		return t->nodes[r->from].name;
	}
	return "?";
}

const char *
topo_rule_ports(const struct topo_rule *r, char *buf, size_t len)
{
	if (r->port_lo == r->port_hi)
		snprintf(buf, len, "%d", r->port_lo);
	else
		snprintf(buf, len, "%d-%d", r->port_lo, r->port_hi);
	return buf;
}

void
topology_print_matrix(const struct topology *t, FILE *f)
{
	const struct topo_rule	*r;
	char			 ports[16];
	size_t			 i;

	fprintf(f, "Allowed connections (everything else is refused):\n");
	fprintf(f, "  %-28s %-16s %-12s %s\n", "from", "to", "port",
	    "service");
	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		fprintf(f, "  %-28s %-16s %-12s %s\n", topo_rule_source(t, r),
		    t->nodes[r->to].name, topo_rule_ports(r, ports,
		    sizeof ports), r->service);
	}
}
