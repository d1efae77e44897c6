/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * For the unit tests of the topology and of what is built from it: load
 * a profile from text (failing the test with its diagnostics), find a
 * node by name.  Include after <cmocka.h>, "profile.h" and "topology.h".
 */
#ifndef TOPO_FIXTURE_H
#define TOPO_FIXTURE_H

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
