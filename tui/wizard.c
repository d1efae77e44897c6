/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The wizard: placeholder until the interactive frontends land.
 */
#include "config.h"

#include <stdio.h>

#include "core.h"
#include "commands.h"

int
cmd_wizard(int argc, char **argv)
{
	fprintf(stderr, "dhis2-setup: the wizard is not built yet; write a "
	    "profile (see profiles/examples/ and docs/profile.md) and run "
	    "'dhis2-setup validate PROFILE'\n");
	return EXIT_NOT_BUILT;
}
