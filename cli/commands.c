/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * validate and secrets: the commands that read a profile and touch no
 * machine.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_test.h"
#include "core.h"
#include "events.h"
#include "feature.h"
#include "commands.h"
#include "lazylib.h"
#include "profile.h"
#include "secrets.h"

/*
 * The secrets step of loading.  When the profile names its secrets file,
 * or when the caller needs secrets (apply), the file must exist and hold
 * every secret; otherwise a missing default file is only a note.
 */
static int
load_secrets_checked(struct profile *p, struct secrets *s, int require,
    struct diag *err)
{
	struct secrets	 local;
	char		*path = profile_secrets_path(p);
	struct pos	 at = p->pos_secrets;
	int		 rc = 0, must = require || p->secrets_file != NULL;

	if (s == NULL) {
		secrets_init(&local);
		s = &local;
	}
	if (secrets_load(s, path, err) == -1) {
		if (errno != ENOENT)
			rc = -1;
		else if (must) {
			diag_add(err, p->path, at, "secrets file %s does not "
			    "exist: run dhis2-setup secrets generate %s", path,
			    p->path);
			rc = -1;
		} else if (!global_opts.quiet)
			fprintf(stderr, "%s: note: no secrets file yet (%s); "
			    "'dhis2-setup secrets generate' creates it\n",
			    p->path, path);
	} else if (secrets_check(p, s, err) == -1)
		rc = -1;
	if (s == &local)
		secrets_free(&local);
	free(path);
	return rc;
}

int
load_profile_checked(const char *path, struct profile *p, struct secrets *s,
    int require_secrets)
{
	struct diag	 err, warn;
	int		 rc = EXIT_OK;

	diag_init(&err);
	diag_init(&warn);
	if (profile_load_file(p, path, &err) == -1 ||
	    profile_check(p, &err, &warn) == -1 ||
	    load_secrets_checked(p, s, require_secrets, &err) == -1)
		rc = EXIT_USAGE;
	diag_print(&err, stderr);
	if (!global_opts.quiet)
		diag_print(&warn, stderr);
	diag_free(&err);
	diag_free(&warn);
	return rc;
}

/* What this version installs, and what a profile may ask for that is coming. */
int
cmd_features(int argc, char **argv)
{
	int	f;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: dhis2-setup features\n");
		return EXIT_USAGE;
	}
	for (f = 0; f < FEATURE_COUNT; f++)
		printf("%-7s %-26s %s\n", feature_built(f) ? "built" : "coming",
		    feature_name(f), feature_title(f));
	return EXIT_OK;
}

int
cmd_validate(int argc, char **argv)
{
	struct profile	 p;
	int		 rc, i, bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: dhis2-setup validate PROFILE...\n");
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		rc = load_profile_checked(argv[i], &p, NULL, 0);
		if (rc == EXIT_OK && !global_opts.quiet) {
			printf("%s: valid (%s, %s, %zu instance%s)\n", argv[i],
			    hosting_name(p.hosting), isolation_name(p.isolation),
			    p.ninstances, p.ninstances == 1 ? "" : "s");
			/* Valid is not installable: what apply refuses. */
			profile_print_unbuilt(&p, stderr);
		}
		profile_free(&p);
		bad += rc != EXIT_OK;
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

int
generate_secrets(const char *profile_path)
{
	struct profile	 p;
	struct diag	 err;
	char		*path;
	int		 added, rc;

	/* The profile must be valid; its secrets need not exist yet. */
	diag_init(&err);
	if (profile_load_file(&p, profile_path, &err) == -1 ||
	    profile_check(&p, &err, NULL) == -1) {
		diag_print(&err, stderr);
		diag_free(&err);
		profile_free(&p);
		return EXIT_USAGE;
	}
	path = profile_secrets_path(&p);
	rc = secrets_generate(&p, path, &added, &err);
	diag_print(&err, stderr);
	if (rc == 0 && !global_opts.quiet) {
		printf("%s: %d secret%s generated, file mode 0600\n", path,
		    added, added == 1 ? "" : "s");
		if (added > 0)
			printf("Back this file up somewhere safe and offline: "
			    "encryption_password can never be changed without "
			    "losing the data DHIS2 encrypted with it.\n");
	}
	free(path);
	diag_free(&err);
	profile_free(&p);
	return rc == 0 ? EXIT_OK : EXIT_USAGE;
}

int
cmd_secrets(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "generate") != 0) {
		fprintf(stderr, "usage: dhis2-setup secrets generate PROFILE\n");
		return EXIT_USAGE;
	}
	return generate_secrets(argv[2]);
}

/*
 * alert-test [--accept-new-host-keys] PROFILE: one test alert through the
 * running Alertmanager on the monitor, the same code the wizard's "Send
 * test" uses; a line per receiver says whether it was delivered.
 */
int
cmd_alert_test(int argc, char **argv)
{
	struct profile	 p;
	struct secrets	 s;
	const char	**vals;
	char		*report;
	size_t		 nvals;
	int		 rc, accept_new = 0, absent, argi = 1;

	if (argc == 3 && strcmp(argv[1], "--accept-new-host-keys") == 0) {
		accept_new = 1;
		argi = 2;
	}
	if (argi != argc - 1) {
		fprintf(stderr, "usage: dhis2-setup alert-test "
		    "[--accept-new-host-keys] PROFILE\n");
		return EXIT_USAGE;
	}
	if (!feature_built(FEATURE_ALERTING)) {
		fprintf(stderr, "dhis2-setup: %s is not built yet\n",
		    feature_title(FEATURE_ALERTING));
		return EXIT_NOT_BUILT;
	}
	lazylib_require(LAZY_SSH);
	secrets_init(&s);
	if ((rc = load_profile_checked(argv[argi], &p, &s, 1)) != EXIT_OK)
		goto out;
	/* Nothing the machine prints reaches a log unredacted. */
	nvals = secrets_values(&s, &vals);
	events_set_redact(vals, nvals);
	rc = alert_test(&p, accept_new, &report, &absent);
	fputs(report, rc == EXIT_OK ? stdout : stderr);
	free(report);
	events_reset();
out:
	profile_free(&p);
	secrets_free(&s);
	return rc;
}
