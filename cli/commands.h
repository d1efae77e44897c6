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
 * secrets generate: the secrets file of a valid profile, every missing
 * secret added (mode 0600).  Returns EXIT_OK or EXIT_USAGE.
 */
int	 generate_secrets(const char *profile_path);
/*
 * Load a profile, run the cross-field checks and, when require_secrets,
 * resolve every secret the profile needs.  Prints diagnostics to stderr.
 * Returns EXIT_OK or EXIT_USAGE.
 */
int	 load_profile_checked(const char *path, struct profile *p,
	    struct secrets *s, int require_secrets);

/* What apply does; cmd_apply fills it from its options. */
struct apply_opts {
	const char	*profile;
	const char	*only;		/* --only step,step; NULL: every step */
	int		 jobs;		/* --jobs; 0: the engine's default */
	int		 events_fd;	/* --events-fd; -1: none */
	int		 accept_new;	/* --accept-new-host-keys */
	int		 dry_run;
	int		 dashboard;	/* -1 on a terminal, 0 never, 1 asked */
};

/* cmd_run.c (engine) */
int	 cmd_plan(int, char **);
int	 cmd_apply(int, char **);
int	 cmd_status(int, char **);
int	 cmd_attach(int, char **);
/* apply's defaults, as "dhis2-setup apply PROFILE" has them. */
void	 apply_opts_init(struct apply_opts *, const char *profile);
/* check, apply and verify; returns the exit code. */
int	 apply_run(const struct apply_opts *);

/* cmd_wizard.c */
int	 cmd_wizard(int, char **);

#endif
