/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * For the unit tests of the topology and of what is built from it: the
 * profiles they share, load a profile from text (failing the test with
 * its diagnostics), find a node by name.  Include after <cmocka.h>,
 * "profile.h" and "topology.h".
 */
#ifndef TOPO_FIXTURE_H
#define TOPO_FIXTURE_H

/* A profile's head: isolation level, admin network, nginx, self-signed. */
#define FX_HEAD(isolation, admin_network) \
    "version: 1\nhosting: datacentre\nisolation: " isolation "\n" \
    "fqdn: dhis.example.org\nadmin_network: " admin_network "\n" \
    "timezone: UTC\nproxy: nginx\ntls:\n  mode: self-signed\n"

/* The machines web (the proxy) and app; more may follow. */
#define FX_WEB_APP \
    "machines:\n" \
    "  - name: web\n    address: 192.0.2.10\n    roles: [proxy]\n" \
    "  - name: app\n    address: 192.0.2.11\n    roles: [app]\n"

/* The instance hmis at /hmis; more may follow. */
#define FX_HMIS \
    "instances:\n" \
    "  - name: hmis\n    version: \"2.41\"\n    base_path: /hmis\n"

/* Two instances in LXC containers (prefix t) on br-test, monitored. */
#define FX_LXC_PROFILE \
    FX_HEAD("lxc", "192.0.2.0/24") \
    "lxc:\n  bridge: br-test\n  subnet: 10.88.0.0/24\n  prefix: t\n" \
    FX_HMIS \
    "  - name: tracker\n    version: \"2.41\"\n    base_path: /tracker\n" \
    "database:\n  version: 15\nmonitoring: prometheus\n"

static void
load(struct profile *p, const char *text)
{
	struct diag	d;

	diag_init(&d);
	if (profile_load_buffer(p, "t.yaml", text, strlen(text), &d) != 0) {
		diag_print(&d, stderr);
		fail();
	}
	diag_free(&d);
}

static size_t
node_named(const struct topology *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if (strcmp(t->nodes[i].name, name) == 0)
			return i;
	}
	fail_msg("no node %s", name);
	return TOPO_NONE;
}

#endif
