/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The topology and the plan it makes: nodes and addresses for each
 * isolation level, the allowed pairs, and the needs across machines.
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
#include "profile.h"
#include "step.h"
#include "topology.h"
#include "topo_fixture.h"

static const char lxc_profile[] = FX_LXC_PROFILE;

static const char machines_profile[] =
    FX_HEAD("machines", "192.0.2.0/24") FX_WEB_APP
    "  - name: db\n    address: 192.0.2.12\n    roles: [database]\n"
    FX_HMIS "database:\n  version: 15\nmonitoring: none\n";

/* Clustered: two app machines, Redis on a machine of its own. */
static const char redis_profile[] =
    FX_HEAD("machines", "192.0.2.0/24") FX_WEB_APP
    "  - name: app2\n    address: 192.0.2.13\n    roles: [app]\n"
    "  - name: db\n    address: 192.0.2.12\n    roles: [database]\n"
    "  - name: cache\n    address: 192.0.2.14\n    roles: [redis]\n"
    FX_HMIS "    nodes: 2\ndatabase:\n  version: 15\n"
    "clustering:\n  redis: true\nmonitoring: none\n";

/* Is there a rule from (kind, from) to node `to` covering port? */
static int
allowed(const struct topology *t, enum topo_from kind, size_t from,
    size_t to, int port)
{
	size_t	i;

	for (i = 0; i < t->nrules; i++) {
		const struct topo_rule *r = &t->rules[i];

		if (r->to == to && r->from_kind == kind &&
		    (kind != FROM_NODE || r->from == from) &&
		    port >= r->port_lo && port <= r->port_hi)
			return 1;
	}
	return 0;
}

static void
test_lxc_nodes(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL;
	size_t		 host, proxy, hmis, tracker, db, mon;

	(void)state;
	load(&p, lxc_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	host = node_named(&t, "local");
	assert_true(t.nodes[host].lxc_host);
	assert_int_equal(t.nodes[host].kind, TOPO_LOCAL);
	proxy = node_named(&t, "t-proxy");
	hmis = node_named(&t, "t-hmis");
	tracker = node_named(&t, "t-tracker");
	db = node_named(&t, "t-postgres");
	mon = node_named(&t, "t-monitor");
	assert_string_equal(t.gateway, "10.88.0.1");
	assert_string_equal(t.bridge, "br-test");
	assert_string_equal(t.nodes[proxy].address, "10.88.0.10");
	assert_string_equal(t.nodes[hmis].address, "10.88.0.100");
	assert_string_equal(t.nodes[tracker].address, "10.88.0.101");
	assert_string_equal(t.nodes[db].address, "10.88.0.20");
	assert_string_equal(t.nodes[mon].address, "10.88.0.40");
	assert_int_equal(t.nodes[hmis].kind, TOPO_CONTAINER);
	assert_int_equal(t.nodes[hmis].host, host);
	/* each instance in its own container */
	assert_true(topo_runs_instance(&t, hmis, 0));
	assert_false(topo_runs_instance(&t, hmis, 1));
	assert_true(topo_runs_instance(&t, tracker, 1));
	assert_false(topo_runs_instance(&t, proxy, 0));

	/* the allowed pairs, and some that must not be */
	assert_true(allowed(&t, FROM_ANY, 0, proxy, 443));
	assert_true(allowed(&t, FROM_NODE, proxy, hmis, 8080));
	assert_false(allowed(&t, FROM_NODE, proxy, hmis, 8090));
	assert_true(allowed(&t, FROM_NODE, proxy, tracker, 8090));
	assert_true(allowed(&t, FROM_NODE, hmis, db, 5432));
	assert_false(allowed(&t, FROM_NODE, proxy, db, 5432));
	assert_false(allowed(&t, FROM_NODE, hmis, tracker, 8090));
	assert_true(allowed(&t, FROM_ADMIN, 0, host, 22));
	assert_false(allowed(&t, FROM_ADMIN, 0, proxy, 22));	/* no SSH */
	assert_true(allowed(&t, FROM_NODE, mon, db, 9187));
	assert_true(allowed(&t, FROM_NODE, mon, hmis, 9100));
	assert_false(allowed(&t, FROM_NODE, hmis, mon, 9100));
	/* on a bridge, not across a network: no TLS needed */
	assert_false(topo_crosses_network(&t, hmis, db));
	topology_free(&t);
	profile_free(&p);
}

static void
test_lxc_subnet_too_small(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *text;

	(void)state;
	text = xstrdup(lxc_profile);
	memcpy(strstr(text, "10.88.0.0/24") + 9, "/25", 3);
	load(&p, text);
	assert_int_equal(topology_build(&t, &p, &err), -1);
	assert_non_null(strstr(err, "/24 or larger"));
	free(err);
	free(text);
	profile_free(&p);
}

static void
test_machines_rules(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL;
	size_t		 web, app, db;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	web = node_named(&t, "web");
	app = node_named(&t, "app");
	db = node_named(&t, "db");
	assert_true(allowed(&t, FROM_NODE, web, app, 8080));
	assert_true(allowed(&t, FROM_NODE, app, db, 5432));
	assert_false(allowed(&t, FROM_NODE, web, db, 5432));
	assert_true(allowed(&t, FROM_ADMIN, 0, db, 22));
	assert_false(allowed(&t, FROM_ANY, 0, app, 443));
	assert_true(topo_crosses_network(&t, app, db));
	assert_string_equal(topo_reach(&t, app, db), "192.0.2.12");
	assert_string_equal(topo_reach(&t, app, app), "127.0.0.1");
	topology_free(&t);
	profile_free(&p);
}

static size_t
step_on(const struct plan *pl, const char *machine, const char *step)
{
	size_t	i;

	for (i = 0; i < pl->nsteps; i++) {
		if (strcmp(pl->machines[pl->steps[i].machine].name,
		    machine) == 0 && strcmp(pl->steps[i].step->name,
		    step) == 0)
			return i;
	}
	return TOPO_NONE;
}

static int
needs(const struct plan *pl, size_t a, size_t b)
{
	size_t	i;

	for (i = 0; i < pl->steps[a].ndeps; i++) {
		if (pl->steps[a].deps[i] == b)
			return 1;
	}
	return 0;
}

static void
test_plan_cross_machine(void **state)
{
	struct profile	 p;
	struct plan	 pl;
	char		*err = NULL;
	size_t		 i, verify, war, pg;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	war = step_on(&pl, "app", "war");
	pg = step_on(&pl, "db", "postgres");
	assert_true(war != TOPO_NONE && pg != TOPO_NONE);
	assert_true(needs(&pl, war, pg));
	assert_int_equal(step_on(&pl, "web", "postgres"), TOPO_NONE);
	assert_int_equal(step_on(&pl, "db", "tomcat"), TOPO_NONE);
	/* verify on the proxy waits for every other step everywhere */
	verify = step_on(&pl, "web", "verify");
	assert_true(verify != TOPO_NONE);
	for (i = 0; i < pl.nsteps; i++) {
		if (!(pl.steps[i].step->flags & STEP_LAST))
			assert_true(needs(&pl, verify, i));
	}
	/* and the app machine proves its database connection */
	assert_true(step_on(&pl, "app", "verify") != TOPO_NONE);
	plan_free(&pl);
	profile_free(&p);
}

static void
test_plan_lxc(void **state)
{
	struct profile	 p;
	struct plan	 pl;
	char		*err = NULL;
	size_t		 i, host = TOPO_NONE;

	(void)state;
	load(&p, lxc_profile);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	assert_int_equal(pl.machines[0].kind, PLAN_LOCAL);
	for (i = 1; i < pl.nmachines; i++) {
		assert_int_equal(pl.machines[i].kind, PLAN_LXC);
		assert_int_equal(pl.machines[i].parent, 0);
		assert_string_equal(pl.machines[i].lxc_name,
		    pl.machines[i].name);
	}
	assert_true(step_on(&pl, "t-hmis", "tomcat") != TOPO_NONE);
	assert_int_equal(step_on(&pl, "t-hmis", "postgres"), TOPO_NONE);
	assert_int_equal(step_on(&pl, "t-proxy", "tomcat"), TOPO_NONE);
	for (i = 0; i < pl.nsteps; i++) {
		if (strcmp(pl.steps[i].step->name, "lxc") == 0) {
			/* only on the host */
			assert_int_equal(pl.steps[i].machine, 0);
			host = i;
		}
	}
	/* every container step waits for the containers to exist */
	assert_true(host != TOPO_NONE);
	for (i = 0; i < pl.nsteps; i++) {
		if (pl.steps[i].machine != 0)
			assert_true(needs(&pl, i, host));
	}
	/* and every machine, containers too, gets a firewall */
	for (i = 0; i < pl.nmachines; i++)
		assert_true(step_on(&pl, pl.machines[i].name, "firewall") !=
		    TOPO_NONE);
	plan_free(&pl);
	profile_free(&p);
}

/*
 * Redis on its machine only; DHIS2 starts (war) after it wherever it
 * is; 6379 from the app machines and nothing else.
 */
static void
test_plan_redis(void **state)
{
	struct profile	 p;
	struct plan	 pl;
	char		*err = NULL;
	size_t		 redis, web, app, app2, cache;
	const char	*const others[] = { "web", "app", "app2", "db", NULL };
	int		 i;

	(void)state;
	if (step_find("redis") == NULL)
		skip();		/* not in steps/registry.c yet */
	load(&p, redis_profile);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	redis = step_on(&pl, "cache", "redis");
	assert_true(redis != TOPO_NONE);
	for (i = 0; others[i] != NULL; i++)
		assert_int_equal(step_on(&pl, others[i], "redis"), TOPO_NONE);
	assert_true(needs(&pl, step_on(&pl, "app", "war"), redis));
	assert_true(needs(&pl, step_on(&pl, "app2", "war"), redis));
	assert_true(needs(&pl, step_on(&pl, "app2", "verify"), redis));
	web = node_named(&pl.topo, "web");
	app = node_named(&pl.topo, "app");
	app2 = node_named(&pl.topo, "app2");
	cache = node_named(&pl.topo, "cache");
	assert_true(allowed(&pl.topo, FROM_NODE, app, cache, 6379));
	assert_true(allowed(&pl.topo, FROM_NODE, app2, cache, 6379));
	assert_false(allowed(&pl.topo, FROM_NODE, web, cache, 6379));
	assert_false(allowed(&pl.topo, FROM_ANY, 0, cache, 6379));
	plan_free(&pl);
	profile_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxc_nodes),
		cmocka_unit_test(test_lxc_subnet_too_small),
		cmocka_unit_test(test_machines_rules),
		cmocka_unit_test(test_plan_cross_machine),
		cmocka_unit_test(test_plan_lxc),
		cmocka_unit_test(test_plan_redis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
