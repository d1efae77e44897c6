/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * base: what every machine gets before any role: base packages, the
 * profile's timezone, unattended security upgrades, a service user for
 * DHIS2's tools, and kernel and limit settings for Tomcat and PostgreSQL.
 *
 * The whole state is read with one probe (files as sha256 sums) so that a
 * converged re-run costs one round trip.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt.h"
#include "apt_sources.h"
#include "core.h"
#include "profile.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "transport.h"

#define BASE_USER	"dhis"		/* owns backups and DHIS2 tools */
#define BASE_HOME	"/opt/dhis2"

static const char *const base_packages[] = {
	"ca-certificates", "curl", "gnupg", "tzdata", "iproute2", "procps",
	"unattended-upgrades", "acl", NULL
};

struct base_file {
	const char	*path;
	const char	*content;
	const char	*reload[4];	/* run after writing; may fail in LXC */
};

/*
 * Debian's and Ubuntu's 50unattended-upgrades already limit themselves to
 * the security archive; this file only switches the daily run on.
 */
static const struct base_file base_files[] = {
	{ "/etc/apt/apt.conf.d/20auto-upgrades",
	  "// dhis2-setup: install security updates every day.\n"
	  "APT::Periodic::Update-Package-Lists \"1\";\n"
	  "APT::Periodic::Unattended-Upgrade \"1\";\n", { NULL } },
	/*
	 * Low swappiness keeps the JVM heap and PostgreSQL's buffers in
	 * RAM; a longer listen queue absorbs bursts of analytics requests.
	 */
	{ "/etc/sysctl.d/90-dhis2.conf",
	  "# dhis2-setup: DHIS2 (Tomcat) and PostgreSQL.\n"
	  "vm.swappiness = 10\n"
	  "net.core.somaxconn = 1024\n",
	  { "sysctl", "-p", "/etc/sysctl.d/90-dhis2.conf", NULL } },
	/* Tomcat and PostgreSQL keep many files and sockets open. */
	{ "/etc/security/limits.d/90-dhis2.conf",
	  "# dhis2-setup: open files for DHIS2's service user.\n"
	  BASE_USER " soft nofile 65536\n"
	  BASE_USER " hard nofile 65536\n", { NULL } },
};
#define NBASE_FILES (sizeof base_files / sizeof base_files[0])

static const char probe_script[] =
    STEP_ITEMS_SH
    APT_SOURCES_CHECK_SH
    "u=$1\n"
    "shift\n"
    "step_items \"$@\"\n"
    "shift 2\n"
    "step_stats \"$@\"\n"
    "echo \"tz=$(cat /etc/timezone 2>/dev/null)\"\n"
    "echo \"localtime=$(readlink /etc/localtime 2>/dev/null)\"\n"
    "if getent passwd \"$u\" >/dev/null; then echo user=1; "
    "else echo user=0; fi\n"
    /* What dpkg itself looks at to say it was interrupted; much
     * cheaper than dpkg --audit, which parses the whole database. */
    "set -- /var/lib/dpkg/updates/*\n"
    "if [ -e \"$1\" ]; then echo audit=interrupted; else echo audit=; fi\n"
    /*
     * A source apt has no lists of is asked about (a download only then):
     * the security updates switched on here need every line to work.
     */
    "apt_sources_check unfetched\n";

/* The files are base_files[]'s, in its order. */
struct base_state {
	struct step_items items;	/* base_packages, base_files */
	int	 tz_differs;
	int	 user_missing;
	int	 dpkg_broken;
	char	*sources_bad;		/* the failing source lines, or NULL */
};

static const char *
base_timezone(struct step_ctx *ctx)
{
	return ctx->profile->timezone;
}

static void
base_state_free(struct base_state *st)
{
	step_items_free(&st->items);
	free(st->sources_bad);
	memset(st, 0, sizeof *st);
}

/* Whether the timezone is the profile's, both ways a system keeps it. */
static int
base_tz_differs(const char *probe, const char *tz)
{
	int	 differs;

	if (tz == NULL)
		return 0;
	differs = !step_probe_hasf(probe, "tz=%s", tz);
	differs |= !step_probe_hasf(probe, "localtime=/usr/share/zoneinfo/%s",
	    tz);
	return differs;
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
base_probe(struct step_ctx *ctx, struct base_state *st)
{
	struct step_args	 a = { NULL, 0 };
	char			*probe;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	for (i = 0; base_packages[i] != NULL; i++)
		step_packages_add(&st->items.pkgs, base_packages[i]);
	for (i = 0; i < NBASE_FILES; i++)
		step_files_add(&st->items.files, base_files[i].path,
		    xstrdup(base_files[i].content), 0644, NULL, NULL)->meta = 1;
	step_args_add(&a, BASE_USER);
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		return step_err(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	step_items_parse(&st->items, probe);
	st->tz_differs = base_tz_differs(probe, base_timezone(ctx));
	st->user_missing = !step_probe_has(probe, "user=1");
	st->dpkg_broken = !step_probe_has(probe, "audit=");
	st->sources_bad = apt_sources_problems(probe);
	free(probe);
	return 0;
}

/*
 * What is not as wanted: reported (check) or counted (verify), from this
 * one list.  A failing source line is not in it: it fails the step.
 */
static int
base_pending(struct step_ctx *ctx, const struct base_state *st,
    int report)
{
	int	n = 0;

	n += step_pending(ctx, report, st->dpkg_broken, "finish an "
	    "interrupted package installation (dpkg --configure -a)");
	n += step_items_pending(ctx, &st->items, report);
	n += step_pending(ctx, report, st->tz_differs,
	    "set the timezone to %s", base_timezone(ctx));
	n += step_pending(ctx, report, st->user_missing,
	    "create the system user %s (home %s)", BASE_USER, BASE_HOME);
	return n;
}

/* Whether a source line fails; then the step has failed. */
static int
base_sources_failed(struct step_ctx *ctx, const struct base_state *st)
{
	if (st->sources_bad == NULL)
		return 0;
	step_fail(ctx, "%s", st->sources_bad);
	return 1;
}

static enum result
base_check(struct step_ctx *ctx)
{
	struct base_state	 st;
	enum result		 r = RESULT_FAILED;

	if (base_probe(ctx, &st) == 0 && !base_sources_failed(ctx, &st)) {
		base_pending(ctx, &st, 1);
		r = ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
	}
	base_state_free(&st);
	return r;
}

/* dpkg finished, then the missing packages; 0, or -1 after step_fail. */
static int
base_packages_apply(struct step_ctx *ctx, const struct base_state *st)
{
	int	missing = step_packages_pending(ctx, &st->items.pkgs, 0);

	if (st->dpkg_broken && missing == 0 && step_apt_run(ctx,
	    (char *[]){ "env", "DEBIAN_FRONTEND=noninteractive", "dpkg",
	    "--configure", "-a", NULL }) != 0)
		return step_err(ctx, "dpkg --configure -a failed: see the "
		    "log, then run again");
	return step_packages_install(ctx, &st->items.pkgs);
}

/* Each file that differs, and the settings it holds; 0 or -1. */
static int
base_files_apply(struct step_ctx *ctx, const struct base_state *st)
{
	const struct step_file	*f;
	size_t			 i;

	for (i = 0; i < st->items.files.n; i++) {
		f = &st->items.files.v[i];
		if (!f->differs && !f->meta_differs)
			continue;
		if (step_file_apply(ctx, f) == -1)
			return -1;
		/*
		 * A container cannot change most kernel settings: its
		 * host's apply.  Say so rather than fail.
		 */
		if (base_files[i].reload[0] != NULL &&
		    step_run(ctx, (char **)base_files[i].reload, NULL, 0) != 0)
			step_note(ctx, "%s written but not applied (in a "
			    "container the host's kernel settings apply)",
			    f->path);
	}
	return 0;
}

/* The profile's timezone; 0, or -1 after step_fail. */
static int
base_tz_apply(struct step_ctx *ctx)
{
	const char	*tz = base_timezone(ctx);
	char		*zone, *line;
	int		 rc = 0;

	xasprintf(&zone, "/usr/share/zoneinfo/%s", tz);
	xasprintf(&line, "%s\n", tz);
	if (step_run(ctx, (char *[]){ "test", "-f", zone, NULL }, NULL,
	    0) != 0)
		rc = step_err(ctx, "no timezone %s on %s", tz, ctx->machine);
	else if (step_run(ctx, (char *[]){ "ln", "-sfn", zone,
	    "/etc/localtime", NULL }, NULL, 0) != 0 ||
	    step_put(ctx, "/etc/timezone", line, strlen(line), 0644, NULL,
	    NULL) == -1)
		rc = step_err(ctx, "cannot set the timezone %s", tz);
	free(line);
	free(zone);
	return rc;
}

static enum result
base_apply(struct step_ctx *ctx)
{
	struct base_state	 st;
	int			 rc = -1;

	/* Sources first, before anything changes: nothing here can install. */
	if (base_probe(ctx, &st) == -1 || base_sources_failed(ctx, &st))
		goto out;
	if (base_packages_apply(ctx, &st) == -1)
		goto out;
	if (st.user_missing && step_run(ctx, (char *[]){ "useradd",
	    "--system", "--user-group", "--home-dir", BASE_HOME,
	    "--create-home", "--shell", "/usr/sbin/nologin", BASE_USER,
	    NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot create the user %s", BASE_USER);
		goto out;
	}
	if (base_files_apply(ctx, &st) == -1 ||
	    (st.tz_differs && base_tz_apply(ctx) == -1))
		goto out;
	rc = 0;
out:
	base_state_free(&st);
	return rc == 0 ? RESULT_CHANGED : RESULT_FAILED;
}

/* Everything check looks at must now be as wanted. */
static enum result
base_verify(struct step_ctx *ctx)
{
	struct base_state	 st;
	int			 bad;

	if (base_probe(ctx, &st) == -1) {
		base_state_free(&st);
		return RESULT_FAILED;
	}
	bad = base_pending(ctx, &st, 0) + (st.sources_bad != NULL);
	base_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "%d setting%s still not as wanted after "
		    "apply: see the log", bad, bad == 1 ? "" : "s");
	return RESULT_CHANGED;
}

static const char *const base_after[] = { "preflight", NULL };

const struct step step_base = {
	.name = "base",
	.roles = 0,
	.summary = "Base packages, timezone, security upgrades, service user, "
	    "sysctl and limits",
	.after = base_after,
	.check = base_check,
	.apply = base_apply,
	.verify = base_verify,
};
