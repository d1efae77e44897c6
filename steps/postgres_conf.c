/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The two files PostgreSQL reads that the postgres and replica steps
 * write, rendered from the profile and the topology alone (no machine is
 * asked), so that unit tests can read them: the conf.d fragment with
 * DHIS2's tuning, where PostgreSQL listens and its part in replication
 * (assets/templates/postgresql-dhis2.conf), and a least-access
 * pg_hba.conf (assets/templates/pg_hba.conf, its lines built here, one
 * per connection).  Also the name of a replica's slot, which both sides
 * use.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "exporters.h"
#include "postgres.h"
#include "profile.h"
#include "template.h"
#include "topology.h"
#include "tuning.h"

/*
 * Who connects to PostgreSQL on node: the app nodes, and on the primary
 * also its replicas.  A replica has no replicas of its own (no cascading).
 */
static unsigned
client_roles(const struct topology *t, size_t node)
{
	if (t->nodes[node].roles & ROLE_BIT(ROLE_DATABASE))
		return ROLE_BIT(ROLE_APP) | ROLE_BIT(ROLE_REPLICA);
	return ROLE_BIT(ROLE_APP);
}

/* Does any client reach this database over a network? */
static int
clients_cross_network(const struct topology *t, size_t node)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if ((t->nodes[i].roles & client_roles(t, node)) &&
		    topo_crosses_network(t, i, node))
			return 1;
	}
	return 0;
}

/* Are all its clients on this machine? */
static int
local_clients_only(const struct topology *t, size_t node)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if (i != node && (t->nodes[i].roles & client_roles(t, node)))
			return 0;
	}
	return 1;
}

static size_t
replica_count(const struct topology *t)
{
	size_t	i, n = 0;

	for (i = 0; i < t->nnodes; i++)
		n += (t->nodes[i].roles & ROLE_BIT(ROLE_REPLICA)) != 0;
	return n;
}

/*
 * The conf.d file of node, which gets ram_mb MB: DHIS2's tuning, where it
 * listens, TLS, and its part in replication, from the template
 * postgresql-dhis2.conf.  NULL with *errp set when it cannot be
 * rendered.
 */
char *
pg_conf_text(const struct profile *p, const struct topology *t, size_t node,
    long long ram_mb, char **errp)
{
	struct pg_settings	 s;
	struct tvars		 v;
	char			*out;
	size_t			 nrep = replica_count(t), primary;

	pg_settings_derive(ram_mb, p->database.tuning.auto_tune ? NULL :
	    &p->database.tuning, &s);
	tvars_init(&v);
	tvars_setf(&v, "max_connections", "%d", s.max_connections);
	tvars_setf(&v, "shared_buffers_mb", "%lld", s.shared_buffers_mb);
	tvars_setf(&v, "work_mem_mb", "%lld", s.work_mem_mb);
	tvars_setf(&v, "maintenance_work_mem_mb", "%lld",
	    s.maintenance_work_mem_mb);
	tvars_setf(&v, "effective_cache_size_mb", "%lld",
	    s.effective_cache_size_mb);
	tvars_setf(&v, "ram_mb", "%lld", ram_mb);
	/*
	 * On one server only Tomcat on the same host connects; elsewhere
	 * PostgreSQL listens on the network, with TLS where its clients
	 * cross one, and the firewall and pg_hba.conf narrow it down to the
	 * application hosts (and the primary's to its replicas).
	 */
	tvars_set(&v, "listen", local_clients_only(t, node) ? "localhost" :
	    "*");
	tvars_set(&v, "ssl", clients_cross_network(t, node) ? "1" : "");
	/*
	 * The primary's side of streaming replication: wal_level,
	 * max_wal_senders and max_replication_slots are PostgreSQL's
	 * defaults, written so that a replica's own settings (which must be
	 * at least the primary's) and an operator's edit elsewhere cannot
	 * silently differ; 10 senders cover five replicas plus the two
	 * connections each pg_basebackup holds while it copies.  All three
	 * need a restart to change, the defaults do not.
	 *
	 * A read replica: hot standby for DHIS2's read queries.  Replay
	 * waits up to PG_STANDBY_DELAY for a conflicting query before
	 * cancelling it; hot_standby_feedback stays off so that long reads
	 * there never hold back VACUUM (and bloat) on the primary, through
	 * its slot, while the replica is down.  Where it streams from is
	 * pg_basebackup -R's (postgresql.auto.conf in the data directory),
	 * the password in a passfile, in no setting.
	 */
	tvars_set(&v, "replica", (t->nodes[node].roles &
	    ROLE_BIT(ROLE_REPLICA)) ? "1" : "");
	primary = topo_role_node(t, ROLE_DATABASE);
	tvars_set(&v, "primary_name", primary != TOPO_NONE ?
	    t->nodes[primary].name : "the primary");
	tvars_set(&v, "primary", !(t->nodes[node].roles &
	    ROLE_BIT(ROLE_REPLICA)) && nrep > 0 ? "1" : "");
	tvars_setf(&v, "replicas", "%zu", nrep);
	tvars_set(&v, "plural", nrep == 1 ? "" : "s");
	tvars_set(&v, "slot_keep", PG_SLOT_KEEP);
	tvars_set(&v, "standby_delay", PG_STANDBY_DELAY);
	out = template_render_file("postgresql-dhis2.conf", &v, errp);
	tvars_free(&v);
	return out;
}

/* An address as pg_hba.conf wants it: a CIDR for IPs, else the name. */
static char *
hba_address(const char *addr)
{
	char	*out;

	if (valid_ipv4(addr))
		xasprintf(&out, "%s/32", addr);
	else if (strchr(addr, ':') != NULL)
		xasprintf(&out, "%s/128", addr);
	else
		out = xstrdup(addr);
	return out;
}

static void
hba_line(struct strbuf *sb, const char *type, const char *db,
    const char *role, const char *addr)
{
	char	*line, *a = hba_address(addr);

	/* Columns as the head's, but a long name still gets its blank. */
	xasprintf(&line, "%-7s %-15s %-15s %-39s scram-sha-256\n", type, db,
	    role, a);
	strbuf_add(sb, line, strlen(line));
	free(line);
	free(a);
}

/*
 * The slot a replica streams through, named after its node: "dhis2_"
 * and the name with what a slot name may not hold ([a-z0-9_] only) as _.
 */
void
pg_slot_name(const struct topology *t, size_t replica, char *buf,
    size_t len)
{
	char	*p;

	snprintf(buf, len, PG_SLOT_PREFIX "%s", t->nodes[replica].name);
	for (p = buf; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
}

/*
 * Least access: the postgres superuser over the local socket (peer),
 * each instance's role to its own database from each application host,
 * on the primary the replication role from each replica (TLS where it
 * crosses a network, as for the app hosts), and with monitoring the
 * exporter's role from the primary itself only.  A replica gets the same
 * lines for the application hosts, its only clients: the roles they log
 * in as come with the physical copy, passwords included.
 */
char *
pg_hba_text(const struct profile *p, const struct topology *t, size_t node,
    char **errp)
{
	struct strbuf		 sb = { NULL, 0, 0 };
	struct tvars		 v;
	char			*out;
	size_t			 i, m;
	int			 primary = (t->nodes[node].roles &
				    ROLE_BIT(ROLE_DATABASE)) != 0;

	strbuf_add(&sb, "", 0);
	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];

		for (m = 0; m < t->nnodes; m++) {
			if (!topo_runs_instance(t, m, i))
				continue;
			if (m == node) {
				hba_line(&sb, "host", instance_db_name(in),
				    in->name, "127.0.0.1");
				hba_line(&sb, "host", instance_db_name(in),
				    in->name, "::1");
				continue;
			}
			/* Only TLS where the connection crosses a network. */
			hba_line(&sb, topo_crosses_network(t, m, node) ?
			    "hostssl" : "host", instance_db_name(in), in->name,
			    t->nodes[m].address);
		}
	}
	for (m = 0; primary && m < t->nnodes; m++) {
		if (t->nodes[m].roles & ROLE_BIT(ROLE_REPLICA))
			hba_line(&sb, topo_crosses_network(t, m, node) ?
			    "hostssl" : "host", "replication",
			    PG_REPLICATION_ROLE, t->nodes[m].address);
	}
	/* The PostgreSQL exporter runs here and reads statistics only. */
	if (primary && p->monitoring == MONITORING_PROMETHEUS) {
		hba_line(&sb, "host", "postgres", MONITORING_PG_ROLE,
		    "127.0.0.1");
		hba_line(&sb, "host", "postgres", MONITORING_PG_ROLE, "::1");
	}
	/* One line a connection, below the template's head. */
	if (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
		sb.buf[--sb.len] = '\0';
	tvars_init(&v);
	tvars_set(&v, "lines", sb.buf);
	out = template_render_file("pg_hba.conf", &v, errp);
	tvars_free(&v);
	free(sb.buf);
	return out;
}
