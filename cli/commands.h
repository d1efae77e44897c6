/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The subcommands.  Each takes the arguments after its name (argv[0] is the
 * command name) and returns an exit code from core.h; only main() exits.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

struct profile;
struct secrets;
struct diag;

/* Options every command understands, set before the command name. */
struct global_opts {
	int	 quiet;
	int	 verbose;
};
extern struct global_opts global_opts;

/* commands.c */
int	 cmd_validate(int, char **);
int	 cmd_features(int, char **);
int	 cmd_secrets(int, char **);
int	 cmd_alert_test(int, char **);
/*
 * Load a profile, run the cross-field checks and, when require_secrets,
 * resolve every secret the profile needs.  Prints diagnostics to stderr.
 * Returns EXIT_OK or EXIT_USAGE.
 */
int	 load_profile_checked(const char *, struct profile *, struct secrets *,
	    int require_secrets);

/* cmd_run.c (engine) */
int	 cmd_plan(int, char **);
int	 cmd_apply(int, char **);
int	 cmd_status(int, char **);
int	 cmd_attach(int, char **);

/* tui/wizard.c */
int	 cmd_wizard(int, char **);

#endif
