/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * dhis2-setup: plan, install and verify a DHIS2 server from a profile.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "commands.h"
#include "secrets.h"

struct global_opts global_opts;

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "wizard", cmd_wizard,
	  "wizard [--from PROFILE] [--frontend newt|text] [--output PATH]" },
	{ "validate", cmd_validate, "validate PROFILE" },
	{ "features", cmd_features, "features" },
	{ "plan", cmd_plan, "plan [--json] [--explain] [--accept-new-host-keys]\n"
	  "                    [--only STEPS] PROFILE" },
	{ "apply", cmd_apply,
	  "apply [--jobs N] [--events-fd N] [--accept-new-host-keys]\n"
	  "                    [--dry-run] [--only STEPS] [--[no-]dashboard] "
	  "PROFILE" },
	{ "status", cmd_status, "status PROFILE" },
	{ "attach", cmd_attach, "attach [--no-dashboard] PROFILE" },
	{ "secrets", cmd_secrets, "secrets generate PROFILE" },
	{ "alert-test", cmd_alert_test,
	  "alert-test [--accept-new-host-keys] PROFILE" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: dhis2-setup [-qv] COMMAND [ARGS]\n\n"
	    "Plan, install and verify a production DHIS2 server from a "
	    "profile.\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  dhis2-setup %s\n", commands[i].usage);
	fprintf(f, "\n"
	    "With no command on a terminal, the wizard starts.\n\n"
	    "exit codes:\n"
	    "  0   success: every step ok or changed, or the profile is valid\n"
	    "  1   a step failed (the others that did not depend on it ran)\n"
	    "  2   bad input: usage, profile or secrets (nothing was changed)\n"
	    "  3   a machine could not be reached or its host key not trusted\n"
	    "  4   another run of this profile is under way\n"
	    "  5   the feature asked for is not built yet\n"
	    "  70  internal error, or the run could not be recorded\n\n"
	    "See dhis2-setup(8) and docs/profile.md.\n");
}

int
main(int argc, char **argv)
{
	size_t	i;
	int	argi;

	/* Secrets will be in memory: no core file shows them. */
	if (secrets_no_core_dumps() == -1)
		fprintf(stderr, "dhis2-setup: warning: cannot turn core dumps "
		    "off\n");
	for (argi = 1; argi < argc && argv[argi][0] == '-'; argi++) {
		const char *a = argv[argi];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("dhis2-setup %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			global_opts.quiet = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			global_opts.verbose++;
		else {
			fprintf(stderr, "dhis2-setup: unknown option %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argi == argc) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return cmd_wizard(1, (char *[]){ "wizard", NULL });
		fprintf(stderr, "dhis2-setup: no command and no terminal for the "
		    "wizard: give a command, e.g. dhis2-setup apply PROFILE\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[argi], commands[i].name) == 0)
			return commands[i].fn(argc - argi, argv + argi);
	}
	fprintf(stderr, "dhis2-setup: unknown command '%s'\n", argv[argi]);
	usage(stderr);
	return EXIT_USAGE;
}
