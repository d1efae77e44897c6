/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * wizard: the command around the questionnaire.  It reads the options,
 * picks a frontend, starts from a profile or from defaults, runs the
 * wizard (tui/wizard.c) and acts on what it returns: tell the next
 * commands, or generate the secrets and apply, the same calls the
 * secrets and apply commands make.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "commands.h"
#include "feature.h"
#include "profile.h"
#include "tui.h"

static const char saas_advice[] =
    "DHIS2 as a service: nothing to install here.\n"
    "A provider runs DHIS2 for you; you pay a fee instead of system\n"
    "administrator salaries, and the provider handles most security.\n"
    "Ask a provider for: where the data is stored and under which law,\n"
    "tested restores, an upgrade and patching schedule, uptime and support\n"
    "terms, and how you get all your data back when the contract ends.\n"
    "No profile was saved.\n";

static int
wizard_usage(void)
{
	fprintf(stderr, "usage: dhis2-setup wizard [--from PROFILE] "
	    "[--frontend newt|text] [--output PATH] [--ascii]\n"
	    "       [--workshop]\n");
	return EXIT_USAGE;
}

/* "--opt VALUE" or "--opt=VALUE"; advances *i past a separate value. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t	len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++(*i)];
}

static int
interactive_terminal(void)
{
	const char	*term = getenv("TERM");

	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
	    term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

static int
pick_frontend(struct wizard *w, const char *name)
{
	if (name == NULL) {
		if (interactive_terminal())
			name = "newt";
		else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			name = "text";	/* TERM=dumb, a serial console */
		else {
			fprintf(stderr, "dhis2-setup: the wizard needs a "
			    "terminal and there is none: run it in a terminal, "
			    "use --frontend text to answer on standard input, "
			    "or write a profile (docs/profile.md) and run "
			    "'dhis2-setup validate PROFILE'\n");
			return EXIT_USAGE;
		}
	}
	if (strcmp(name, "text") == 0)
		w->fe = &text_frontend;
	else if (strcmp(name, "newt") == 0) {
		if (!interactive_terminal()) {
			fprintf(stderr, "dhis2-setup: --frontend newt needs a "
			    "terminal (and TERM other than dumb); use "
			    "--frontend text\n");
			return EXIT_USAGE;
		}
		w->fe = &newt_frontend;
	} else {
		fprintf(stderr, "dhis2-setup: unknown frontend '%s': newt or "
		    "text\n", name);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void
wizard_defaults(struct wizard *w)
{
	profile_init(&w->p);
	w->p.backups.schedule = xstrdup("0 2 * * *");
	w->p.timezone = xstrdup("UTC");
	wizard_resize_instances(&w->p, 1);
}

/* --workshop: a class practises on a local LXC playground. */
static void
workshop_defaults(struct wizard *w)
{
	struct profile	*p = &w->p;

	p->hosting = HOSTING_BASEMENT;
	p->isolation = ISOLATION_LXC;
	p->tls.mode = TLS_SELF_SIGNED;
	p->fqdn = xstrdup("dhis2.workshop.test");
	p->monitoring = MONITORING_NONE;
	p->backups.enabled = 0;
	p->instances[0].heap_mb = 1024;
}

/*
 * "Save and apply": the secrets the profile needs (generated where
 * missing, 0600), then apply with its defaults, as if typed.
 */
static int
save_and_apply(const char *path)
{
	struct apply_opts	ao;
	int			rc;

	printf("Profile saved to %s.\n", path);
	fflush(stdout);
	if ((rc = generate_secrets(path)) != EXIT_OK)
		return rc;
	printf("Applying: dhis2-setup apply %s\n", path);
	fflush(stdout);
	apply_opts_init(&ao, path);
	return apply_run(&ao);
}

static void
print_next(const struct wizard *w)
{
	printf("Profile saved to %s.\n\nNext:\n"
	    "  dhis2-setup secrets generate %s   # passwords, mode 0600\n"
	    "  dhis2-setup plan %s               # what will change\n"
	    "  dhis2-setup apply %s\n", w->output, w->output, w->output,
	    w->output);
	if (w->p.alerting.telegram || w->p.alerting.slack)
		printf("Add alerting.telegram_token or "
		    "alerting.slack_webhook to the secrets file.\n");
	if (w->p.encryption.device != NULL)
		printf("apply will ERASE %s to encrypt it.\n",
		    w->p.encryption.device);
}

/* What the wizard's answer means on the command line: an exit code. */
static int
wizard_done(struct wizard *w, enum wizard_result wr)
{
	switch (wr) {
	case WIZARD_APPLY:
		return save_and_apply(w->output);
	case WIZARD_SAVED:
		print_next(w);
		return EXIT_OK;
	case WIZARD_SAAS:
		fputs(saas_advice, stdout);
		return EXIT_OK;
	case WIZARD_QUIT:
		printf("Wizard left; nothing was saved.\n");
		return EXIT_OK;
	case WIZARD_NO_FRONTEND:
		return EXIT_USAGE;	/* the frontend said why */
	case WIZARD_FAILED:
		break;
	}
	fprintf(stderr, "dhis2-setup: the wizard could not go on; nothing "
	    "was saved\n");
	return EXIT_USAGE;
}

int
cmd_wizard(int argc, char **argv)
{
	struct wizard	 w;
	const char	*from = NULL, *frontend = NULL, *output = NULL, *v;
	int		 i, rc, ascii = 0, workshop = 0;

	for (i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--from")) != NULL)
			from = v;
		else if ((v = opt_value(argc, argv, &i, "--frontend")) != NULL)
			frontend = v;
		else if ((v = opt_value(argc, argv, &i, "--output")) != NULL)
			output = v;
		else if (strcmp(argv[i], "--ascii") == 0)
			ascii = 1;
		else if (strcmp(argv[i], "--workshop") == 0)
			workshop = 1;
		else
			return wizard_usage();
	}
	memset(&w, 0, sizeof w);
	w.ascii = ascii;
	if ((rc = pick_frontend(&w, frontend)) != EXIT_OK)
		return rc;
	if (from != NULL) {
		if (load_profile_checked(from, &w.p, NULL, 0) != EXIT_OK) {
			profile_free(&w.p);
			return EXIT_USAGE;
		}
		if (w.p.encryption.device != NULL)
			w.enc_confirm = xstrdup(w.p.encryption.device);
		w.tls_none_ok = w.p.tls.mode == TLS_NONE;
	} else {
		wizard_defaults(&w);
		if (workshop)
			workshop_defaults(&w);
	}
	/* What no step builds is not offered, so it is not kept either. */
	if (profile_drop_unbuilt(&w.p) > 0 && from != NULL)
		fprintf(stderr, "dhis2-setup: %s asks for what this version "
		    "does not install yet (see 'dhis2-setup plan %s'); the "
		    "wizard leaves it off\n", from, from);
	w.workshop = workshop;
	w.output = xstrdup(output != NULL ? output : "dhis2.yaml");
	free(w.p.path);
	w.p.path = xstrdup(w.output);
	rc = wizard_done(&w, wizard_run(&w));
	wizard_free(&w);
	return rc;
}
