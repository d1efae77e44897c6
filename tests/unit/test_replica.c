/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Read replicas as rendered from a topology: the primary's and the
 * replica's pg_hba.conf and conf.d file, slot names, the passfile line
 * and the connection string pg_basebackup gets, dhis.conf's readN keys,
 * the allowed pairs, and the primary-side proof planned only with
 * replicas.
 *
 * The conf.d file and pg_hba.conf also byte for byte: each golden case
 * renders both files of one node and compares them with
 * tests/unit/postgres-conf/CASE.conf and CASE.hba, what the C renderers
 * wrote before the files became templates.  A change to either is a
 * change an operator sees.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "planner.h"
#include "postgres.h"
#include "profile.h"
#include "step.h"
#include "tomcat.h"
#include "topology.h"
#include "topo_fixture.h"

#define HEAD \
    "version: 1\nhosting: datacentre\nfqdn: dhis.example.org\n" \
    "timezone: UTC\nproxy: nginx\ntls:\n  mode: self-signed\n" \
    "instances:\n  - name: hmis\n    version: \"2.41\"\n" \
    "    base_path: /hmis\nmonitoring: prometheus\n"

static const char machines_profile[] = HEAD
    "isolation: machines\nmachines:\n"
    "  - name: web\n    address: 192.0.2.10\n    roles: [proxy, monitor]\n"
    "  - name: app\n    address: 192.0.2.11\n    roles: [app]\n"
    "  - name: db\n    address: 192.0.2.12\n    roles: [database]\n"
    "  - name: read-1\n    address: 192.0.2.13\n    roles: [replica]\n"
    "  - name: read-2\n    address: 192.0.2.14\n    roles: [replica]\n"
    "database:\n  version: 15\n  replicas: 2\n";

static const char lxc_profile[] = HEAD
    "isolation: lxc\nlxc:\n  subnet: 10.88.0.0/24\n"
    "database:\n  version: 15\n  replicas: 1\n";

static const char no_replica_profile[] = HEAD
    "isolation: machines\nmachines:\n"
    "  - name: web\n    address: 192.0.2.10\n    roles: [proxy, monitor]\n"
    "  - name: app\n    address: 192.0.2.11\n    roles: [app]\n"
    "  - name: db\n    address: 192.0.2.12\n    roles: [database]\n"
    "database:\n  version: 15\n";

#define TWO_INSTANCES \
    "version: 1\nhosting: datacentre\nfqdn: dhis.example.org\n" \
    "timezone: UTC\nproxy: nginx\ntls:\n  mode: self-signed\n" \
    "instances:\n  - name: hmis\n    version: \"2.41\"\n" \
    "    base_path: /hmis\n  - name: tracker\n    version: \"2.40\"\n" \
    "    base_path: /tracker\n    database: tracker_db\n" \
    "monitoring: none\n"

/* Everything on one server, tuning set by hand. */
static const char single_profile[] = TWO_INSTANCES
    "isolation: single-host\n"
    "database:\n  version: 16\n  tuning:\n    shared_buffers: 3GB\n"
    "    work_mem: 24MB\n    maintenance_work_mem: 1GB\n"
    "    effective_cache_size: 8GB\n    max_connections: 150\n";

/*
 * No replicas: an app on the database machine too, one app by IPv6
 * address, one by name, no exporter.
 */
static const char mixed_profile[] = TWO_INSTANCES
    "isolation: machines\nmachines:\n"
    "  - name: web\n    address: 192.0.2.10\n    roles: [proxy]\n"
    "  - name: app\n    address: 2001:db8::11\n    roles: [app]\n"
    "  - name: app2\n    address: app2.example.org\n    roles: [app]\n"
    "  - name: db\n    address: 192.0.2.12\n    roles: [database, app]\n"
    "database:\n  version: 15\n";

struct golden_case {
	const char	*name;		/* the golden files' */
	const char	*profile;
	const char	*node;		/* NULL: the database node */
	long long	 ram_mb;
};

static const struct golden_case golden_cases[] = {
	{ .name = "machines-primary", .profile = machines_profile,
	  .node = "db", .ram_mb = 8192 },
	{ .name = "machines-replica", .profile = machines_profile,
	  .node = "read-1", .ram_mb = 4096 },
	{ .name = "lxc-primary", .profile = lxc_profile, .node = "postgres",
	  .ram_mb = 6144 },
	{ .name = "lxc-replica", .profile = lxc_profile,
	  .node = "postgres-replica1", .ram_mb = 2048 },
	{ .name = "single-host", .profile = single_profile, .node = NULL,
	  .ram_mb = 16384 },
	{ .name = "mixed", .profile = mixed_profile, .node = "db",
	  .ram_mb = 3000 },
};

/* Does text have this exact line? */
static int
has_line(const char *text, const char *line)
{
	const char	*p = text;
	size_t		 len = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* An hba line as postgres.c lays it out, from its fields. */
static int
has_hba(const char *hba, const char *type, const char *db, const char *user,
    const char *addr)
{
	char	line[160];

	snprintf(line, sizeof line, "%-7s %-15s %-15s %-39s scram-sha-256",
	    type, db, user, addr);
	return has_line(hba, line);
}

static void
build(struct profile *p, struct topology *t, const char *text)
{
	char	*err = NULL;

	load(p, text);
	if (topology_build(t, p, &err) != 0)
		fail_msg("%s", err);
}

/* The two renderers, failing the test on a template error. */
static char *
conf_text(const struct profile *p, const struct topology *t, size_t node,
    long long ram_mb)
{
	char	*err = NULL, *s;

	if ((s = pg_conf_text(p, t, node, ram_mb, &err)) == NULL)
		fail_msg("%s", err);
	return s;
}

static char *
hba_text(const struct profile *p, const struct topology *t, size_t node)
{
	char	*err = NULL, *s;

	if ((s = pg_hba_text(p, t, node, &err)) == NULL)
		fail_msg("%s", err);
	return s;
}

/* Is got what tests/unit/postgres-conf/NAME.EXT holds, to the byte? */
static void
compare_golden(const char *name, const char *ext, const char *got)
{
	const char	*top = getenv("top_srcdir");
	char		*path, *want;
	size_t		 len;

	xasprintf(&path, "%s/tests/unit/postgres-conf/%s.%s",
	    top != NULL ? top : ".", name, ext);
	if (read_file_limited(path, 65536, &want, &len) == -1)
		fail_msg("cannot read %s", path);
	if (strcmp(got, want) != 0)
		fail_msg("%s differs; rendered:\n%s", path, got);
	free(want);
	free(path);
}

static void
test_golden(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*s;
	size_t		 i, node;

	(void)state;
	for (i = 0; i < sizeof golden_cases / sizeof golden_cases[0]; i++) {
		const struct golden_case *c = &golden_cases[i];

		build(&p, &t, c->profile);
		node = c->node != NULL ? node_named(&t, c->node) :
		    topo_role_node(&t, ROLE_DATABASE);
		s = conf_text(&p, &t, node, c->ram_mb);
		compare_golden(c->name, "conf", s);
		free(s);
		s = hba_text(&p, &t, node);
		compare_golden(c->name, "hba", s);
		free(s);
		topology_free(&t);
		profile_free(&p);
	}
}

static void
test_primary_hba(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*hba;

	(void)state;
	build(&p, &t, machines_profile);
	hba = hba_text(&p, &t, node_named(&t, "db"));
	assert_true(has_hba(hba, "hostssl", "hmis", "hmis", "192.0.2.11/32"));
	assert_true(has_hba(hba, "hostssl", "replication",
	    PG_REPLICATION_ROLE, "192.0.2.13/32"));
	assert_true(has_hba(hba, "hostssl", "replication",
	    PG_REPLICATION_ROLE, "192.0.2.14/32"));
	/* Replicas replicate; they do not log in to DHIS2's database. */
	assert_false(has_hba(hba, "hostssl", "hmis", "hmis", "192.0.2.13/32"));
	assert_non_null(strstr(hba, "dhis2_monitor"));
	assert_null(strstr(hba, "host    replication"));
	/* The role's name is 16 long: still a blank before the address. */
	assert_non_null(strstr(hba, "hostssl replication     "
	    PG_REPLICATION_ROLE " 192.0.2.13/32 "));
	free(hba);
	topology_free(&t);
	profile_free(&p);
}

static void
test_replica_hba(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*hba;

	(void)state;
	build(&p, &t, machines_profile);
	hba = hba_text(&p, &t, node_named(&t, "read-1"));
	assert_true(has_hba(hba, "hostssl", "hmis", "hmis", "192.0.2.11/32"));
	/* No cascading, no exporter (it runs on the primary only). */
	assert_null(strstr(hba, "replication"));
	assert_null(strstr(hba, "dhis2_monitor"));
	assert_true(has_line(hba, "local   all             postgres        "
	    "                                        peer"));
	free(hba);
	topology_free(&t);
	profile_free(&p);
}

static void
test_conf(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*conf;

	(void)state;
	build(&p, &t, machines_profile);
	conf = conf_text(&p, &t, node_named(&t, "db"), 8192);
	assert_true(has_line(conf, "ssl = on"));
	assert_true(has_line(conf, "listen_addresses = '*'"));
	assert_true(has_line(conf, "max_slot_wal_keep_size = " PG_SLOT_KEEP));
	assert_true(has_line(conf, "max_wal_senders = 10"));
	assert_true(has_line(conf, "wal_level = replica"));
	assert_null(strstr(conf, "hot_standby"));
	free(conf);
	conf = conf_text(&p, &t, node_named(&t, "read-2"), 4096);
	assert_true(has_line(conf, "hot_standby = on"));
	assert_true(has_line(conf, "hot_standby_feedback = off"));
	assert_true(has_line(conf, "max_standby_streaming_delay = "
	    PG_STANDBY_DELAY));
	assert_true(has_line(conf, "ssl = on"));
	assert_true(has_line(conf, "listen_addresses = '*'"));
	/* The replica's own RAM: 1 GB of shared buffers from 4 GB. */
	assert_true(has_line(conf, "shared_buffers = 1024MB"));
	/* At least the primary's, as a hot standby requires. */
	assert_true(has_line(conf, "max_connections = 200"));
	assert_true(has_line(conf, "max_locks_per_transaction = 128"));
	assert_null(strstr(conf, "max_slot_wal_keep_size"));
	free(conf);
	topology_free(&t);
	profile_free(&p);

	/* Without replicas the primary's file is as before. */
	build(&p, &t, no_replica_profile);
	conf = conf_text(&p, &t, node_named(&t, "db"), 8192);
	assert_null(strstr(conf, "max_slot_wal_keep_size"));
	assert_null(strstr(conf, "wal_level"));
	free(conf);
	conf = hba_text(&p, &t, node_named(&t, "db"));
	assert_null(strstr(conf, "replication"));
	free(conf);
	topology_free(&t);
	profile_free(&p);
}

static void
test_slot_and_conninfo(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		 slot[64], *s;

	(void)state;
	build(&p, &t, machines_profile);
	pg_slot_name(&t, node_named(&t, "read-1"), slot, sizeof slot);
	assert_string_equal(slot, "dhis2_read_1");
	s = replica_conninfo(&t, node_named(&t, "read-1"), "/x/pass");
	assert_string_equal(s, "host=192.0.2.12 port=5432 user="
	    PG_REPLICATION_ROLE " sslmode=require application_name=read-1 "
	    "passfile=/x/pass");
	assert_null(strstr(s, "password="));
	free(s);
	topology_free(&t);
	profile_free(&p);

	/* On one host's bridge: no TLS asked, the postgres container. */
	build(&p, &t, lxc_profile);
	pg_slot_name(&t, node_named(&t, "postgres-replica1"), slot,
	    sizeof slot);
	assert_string_equal(slot, "dhis2_postgres_replica1");
	s = replica_conninfo(&t, node_named(&t, "postgres-replica1"), "/p");
	assert_non_null(strstr(s, "host=10.88.0.20 "));
	assert_non_null(strstr(s, " sslmode=prefer "));
	free(s);
	s = hba_text(&p, &t, node_named(&t, "postgres"));
	assert_true(has_hba(s, "host", "replication", PG_REPLICATION_ROLE,
	    "10.88.0.21/32"));
	free(s);
	topology_free(&t);
	profile_free(&p);
}

static void
test_passfile(void **state)
{
	char	*s;

	(void)state;
	s = replica_passfile("192.0.2.12", "pw");
	assert_string_equal(s, "192.0.2.12:5432:replication:"
	    PG_REPLICATION_ROLE ":pw\n");
	free(s);
	/* libpq's escapes: a backslash before ':' and '\'. */
	s = replica_passfile("2001:db8::1", "a:b\\c");
	assert_string_equal(s, "2001\\:db8\\:\\:1:5432:replication:"
	    PG_REPLICATION_ROLE ":a\\:b\\\\c\n");
	free(s);
}

/* dhis.conf's replica lines for the app node, with this password. */
static char *
replica_lines(const struct profile *p, const struct topology *t,
    const char *password)
{
	struct strbuf	 sb = { NULL, 0, 0 };

	tomcat_replica_lines(t, node_named(t, "app"), &p->instances[0],
	    password, &sb);
	strbuf_add(&sb, "", 1);
	return sb.buf;
}

static void
test_dhis_conf_keys(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*s;

	(void)state;
	build(&p, &t, machines_profile);
	s = replica_lines(&p, &t, "secret");
	assert_true(has_line(s, "read1.connection.url = "
	    "jdbc:postgresql://192.0.2.13:5432/hmis?sslmode=require"));
	assert_true(has_line(s, "read1.connection.username = hmis"));
	assert_true(has_line(s, "read1.connection.password = secret"));
	assert_true(has_line(s, "read2.connection.url = "
	    "jdbc:postgresql://192.0.2.14:5432/hmis?sslmode=require"));
	assert_null(strstr(s, "read3"));
	free(s);
	/* L1: as java.util.Properties reads it back, not a line of its own. */
	s = replica_lines(&p, &t, "a\\b\nx = y");
	assert_true(has_line(s, "read1.connection.password = a\\\\b\\nx = y"));
	assert_false(has_line(s, "x = y"));
	free(s);
	topology_free(&t);
	profile_free(&p);
}

/* "FROM TO PORT" among the topology's rules from one node? */
static int
allowed(const struct topology *t, const char *from, const char *to, int port)
{
	size_t	i;

	for (i = 0; i < t->nrules; i++) {
		const struct topo_rule *r = &t->rules[i];

		if (r->from_kind == FROM_NODE &&
		    strcmp(t->nodes[r->from].name, from) == 0 &&
		    strcmp(t->nodes[r->to].name, to) == 0 &&
		    r->port_lo <= port && port <= r->port_hi)
			return 1;
	}
	return 0;
}

static void
test_allowed_pairs(void **state)
{
	struct profile	 p;
	struct topology	 t;

	(void)state;
	build(&p, &t, machines_profile);
	assert_true(allowed(&t, "app", "db", 5432));
	assert_true(allowed(&t, "read-1", "db", 5432));
	assert_true(allowed(&t, "app", "read-1", 5432));
	assert_true(allowed(&t, "app", "read-2", 5432));
	assert_false(allowed(&t, "web", "read-1", 5432));
	assert_false(allowed(&t, "db", "read-1", 5432));
	assert_false(allowed(&t, "read-2", "read-1", 5432));
	assert_false(allowed(&t, "web", "db", 5432));
	topology_free(&t);
	profile_free(&p);
}

static int
planned_on(const struct plan *pl, const char *step, const char *machine)
{
	size_t	i;

	for (i = 0; i < pl->nsteps; i++) {
		if (strcmp(pl->steps[i].step->name, step) == 0 &&
		    strcmp(pl->topo.nodes[pl->steps[i].machine].name,
		    machine) == 0)
			return 1;
	}
	return 0;
}

static void
test_plan(void **state)
{
	struct profile	 p;
	struct plan	 pl;
	char		*err = NULL;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	assert_true(planned_on(&pl, "replica", "read-1"));
	assert_true(planned_on(&pl, "replica", "read-2"));
	assert_false(planned_on(&pl, "replica", "db"));
	assert_true(planned_on(&pl, "replication", "db"));
	assert_false(planned_on(&pl, "postgres", "read-1"));
	plan_free(&pl);
	profile_free(&p);

	load(&p, no_replica_profile);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	assert_true(planned_on(&pl, "postgres", "db"));
	assert_false(planned_on(&pl, "replication", "db"));
	plan_free(&pl);
	profile_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary_hba),
		cmocka_unit_test(test_replica_hba),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_slot_and_conninfo),
		cmocka_unit_test(test_passfile),
		cmocka_unit_test(test_dhis_conf_keys),
		cmocka_unit_test(test_allowed_pairs),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
