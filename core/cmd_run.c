/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * plan, apply, status: placeholder until the engine lands.  They say so
 * honestly and exit EXIT_NOT_BUILT.
 */
#include "config.h"

#include <stdio.h>

#include "core.h"
#include "commands.h"

static int
not_built(const char *what)
{
	fprintf(stderr, "dhis2-setup: '%s' is not built yet (the engine is "
	    "the next piece of work); 'validate' checks a profile today\n",
	    what);
	return EXIT_NOT_BUILT;
}

int
cmd_plan(int argc, char **argv)
{
	return not_built("plan");
}

int
cmd_apply(int argc, char **argv)
{
	return not_built("apply");
}

int
cmd_status(int argc, char **argv)
{
	return not_built("status");
}
