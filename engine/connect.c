/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A node's transport, made from the topology: this machine, a machine
 * over SSH (its key, user and port from the profile, host keys checked
 * against the profile's known_hosts), or a container through its host.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "core.h"
#include "topology.h"
#include "transport.h"

char *
engine_known_hosts(const struct profile *p)
{
	if (p->known_hosts == NULL)
		return NULL;
	return path_beside(p->path, p->known_hosts);
}

struct transport *
engine_node_transport(const struct topo_node *n, const char *known_hosts,
    int accept_new, struct transport *host)
{
	struct ssh_target	 st;
	struct transport	*t = NULL;
	char			*key;

	switch (n->kind) {
	case TOPO_LOCAL:
		t = transport_local_new(n->name);
		break;
	case TOPO_SSH:
		memset(&st, 0, sizeof st);
		key = path_expand_home(n->m->ssh_key);
		st.host = n->m->address;
		st.port = n->m->ssh_port > 0 ? n->m->ssh_port : 22;
		st.user = n->m->ssh_user != NULL ? n->m->ssh_user : "root";
		st.key = key;
		st.known_hosts = known_hosts;
		st.accept_new = accept_new;
		t = transport_ssh_new(n->name, &st);
		free(key);
		break;
	case TOPO_CONTAINER:
		t = transport_lxc_new(n->name, n->name, host);
		break;
	}
	return t;
}

int
engine_connect_node(const struct profile *p, enum role role, int accept_new,
    struct engine_node *en, char **err)
{
	struct topology		 topo;
	const struct topo_node	*n;
	char			*kh, *why = NULL;
	size_t			 i;

	memset(en, 0, sizeof *en);
	*err = NULL;
	if (topology_build(&topo, p, err) == -1)
		return -1;
	if ((i = topo_role_node(&topo, role)) == TOPO_NONE) {
		xasprintf(err, "the profile has no %s node", role_name(role));
		topology_free(&topo);
		return -1;
	}
	n = &topo.nodes[i];
	kh = engine_known_hosts(p);
	if (n->kind == TOPO_CONTAINER)
		en->host = engine_node_transport(&topo.nodes[n->host], kh,
		    accept_new, NULL);
	en->t = engine_node_transport(n, kh, accept_new, en->host);
	en->name = xstrdup(n->name);
	free(kh);
	topology_free(&topo);
	/* A container opens its host first (transport_lxc.c). */
	if (transport_open(en->t, &why) != 0) {
		xasprintf(err, "%s", why != NULL ? why : "no answer");
		free(why);
		return -2;
	}
	return 0;
}

void
engine_node_close(struct engine_node *en)
{
	transport_free(en->t);
	transport_free(en->host);
	free(en->name);
	memset(en, 0, sizeof *en);
}
