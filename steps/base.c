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

#include <openssl/evp.h>

#include "apt_sources.h"
#include "core.h"
#include "profile.h"
#include "step.h"
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
    APT_SOURCES_CHECK_SH
    "u=$1 n=$2\n"
    "shift 2\n"
    /* owner and mode of the files (package names do not exist in /) */
    "cd / && stat -c 'stat=%a %U %G %n' -- \"$@\" 2>/dev/null\n"
    "while [ \"$n\" -gt 0 ]; do\n"
    "  if [ -f \"$1\" ]; then\n"
    "    echo \"sum=$(sha256sum < \"$1\" | cut -d' ' -f1) $1\"\n"
    "  else echo \"sum=none $1\"; fi\n"
    "  shift; n=$((n - 1))\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' \"$@\" "
    "2>/dev/null\n"
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


struct base_state {
	char	*missing[16];		/* packages not installed */
	int	 nmissing;
	int	 file_differs[NBASE_FILES];	/* content */
	int	 meta_differs[NBASE_FILES];	/* mode or owner */
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
	int	i;

	for (i = 0; i < st->nmissing; i++)
		free(st->missing[i]);
	free(st->sources_bad);
	st->sources_bad = NULL;
}

static int
base_probe(struct step_ctx *ctx, struct base_state *st)
{
	char		*argv[64], *probe, *line, nfiles[8];
	const char	*tz = base_timezone(ctx);
	size_t		 i, k = 0;
	int		 rc;

	memset(st, 0, sizeof *st);
	snprintf(nfiles, sizeof nfiles, "%zu", NBASE_FILES);
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)probe_script;
	argv[k++] = "sh";
	argv[k++] = BASE_USER;
	argv[k++] = nfiles;
	for (i = 0; i < NBASE_FILES; i++)
		argv[k++] = (char *)base_files[i].path;
	for (i = 0; base_packages[i] != NULL; i++)
		argv[k++] = (char *)base_packages[i];
	argv[k] = NULL;
	if ((rc = step_capture(ctx, argv, &probe)) != 0) {
		free(probe);
		return -1;
	}
	for (i = 0; base_packages[i] != NULL; i++) {
		if (step_probe_pkg_missing(probe, base_packages[i]) &&
		    st->nmissing < 16)
			st->missing[st->nmissing++] =
			    xstrdup(base_packages[i]);
	}
	for (i = 0; i < NBASE_FILES; i++) {
		st->file_differs[i] = step_probe_sum_differs(probe,
		    base_files[i].path, base_files[i].content);
		xasprintf(&line, "stat=644 root root %s", base_files[i].path);
		st->meta_differs[i] = !step_probe_has(probe, line);
		free(line);
	}
	if (tz != NULL) {
		xasprintf(&line, "tz=%s", tz);
		st->tz_differs = !step_probe_has(probe, line);
		free(line);
		xasprintf(&line, "localtime=/usr/share/zoneinfo/%s", tz);
		st->tz_differs |= !step_probe_has(probe, line);
		free(line);
	}
	st->user_missing = !step_probe_has(probe, "user=1");
	st->dpkg_broken = !step_probe_has(probe, "audit=");
	st->sources_bad = apt_sources_problems(probe);
	free(probe);
	return 0;
}

/* Whether a source line fails (then the step has failed, st is freed). */
static int
base_sources_failed(struct step_ctx *ctx, struct base_state *st)
{
	if (st->sources_bad == NULL)
		return 0;
	step_fail(ctx, "%s", st->sources_bad);
	base_state_free(st);
	return 1;
}

static enum result
base_check(struct step_ctx *ctx)
{
	struct base_state	 st;
	size_t			 i;
	int			 n;

	if (base_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	if (base_sources_failed(ctx, &st))
		return RESULT_FAILED;
	if (st.dpkg_broken)
		step_would(ctx, "finish an interrupted package installation "
		    "(dpkg --configure -a)");
	for (n = 0; n < st.nmissing; n++)
		step_would(ctx, "install package %s", st.missing[n]);
	for (i = 0; i < NBASE_FILES; i++) {
		if (st.file_differs[i])
			step_file_differs(ctx, base_files[i].path,
			    base_files[i].content,
			    strlen(base_files[i].content), 0644, 1);
		else if (st.meta_differs[i])
			step_would(ctx, "set %s to mode 0644, owner root:root",
			    base_files[i].path);
	}
	if (st.tz_differs)
		step_would(ctx, "set the timezone to %s",
		    base_timezone(ctx));
	if (st.user_missing)
		step_would(ctx, "create the system user %s (home %s)",
		    BASE_USER, BASE_HOME);
	base_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static enum result
base_packages_apply(struct step_ctx *ctx, struct base_state *st)
{
	const char	*pkgs[17];
	int		 i;

	if (st->dpkg_broken && st->nmissing == 0 && step_apt_run(ctx,
	    (char *[]){ "env", "DEBIAN_FRONTEND=noninteractive", "dpkg",
	    "--configure", "-a", NULL }) != 0)
		return step_fail(ctx, "dpkg --configure -a failed: see the "
		    "log, then run again");
	if (st->nmissing == 0)
		return RESULT_CHANGED;
	for (i = 0; i < st->nmissing; i++)
		pkgs[i] = st->missing[i];
	pkgs[i] = NULL;
	return step_apt_install(ctx, pkgs) == 0 ? RESULT_CHANGED :
	    RESULT_FAILED;
}

static enum result
base_apply(struct step_ctx *ctx)
{
	struct base_state	 st;
	const char		*tz = base_timezone(ctx);
	char			*zone, *line;
	enum result		 r;
	size_t			 i;

	if (base_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	/* Before anything changes: nothing here can install or update. */
	if (base_sources_failed(ctx, &st))
		return RESULT_FAILED;
	r = base_packages_apply(ctx, &st);
	base_state_free(&st);
	if (r == RESULT_FAILED)
		return r;
	if (st.user_missing && step_run(ctx, (char *[]){ "useradd",
	    "--system", "--user-group", "--home-dir", BASE_HOME,
	    "--create-home", "--shell", "/usr/sbin/nologin", BASE_USER,
	    NULL }, NULL, 0) != 0)
		return step_fail(ctx, "cannot create the user %s", BASE_USER);
	for (i = 0; i < NBASE_FILES; i++) {
		if (!st.file_differs[i] && !st.meta_differs[i])
			continue;
		if (step_put(ctx, base_files[i].path, base_files[i].content,
		    strlen(base_files[i].content), 0644, NULL, NULL) == -1)
			return RESULT_FAILED;
		/*
		 * A container cannot change most kernel settings: its
		 * host's apply.  Say so rather than fail.
		 */
		if (base_files[i].reload[0] != NULL &&
		    step_run(ctx, (char **)base_files[i].reload, NULL, 0) != 0)
			step_note(ctx, "%s written but not applied (in a "
			    "container the host's kernel settings apply)",
			    base_files[i].path);
	}
	if (st.tz_differs) {
		xasprintf(&zone, "/usr/share/zoneinfo/%s", tz);
		xasprintf(&line, "%s\n", tz);
		if (step_run(ctx, (char *[]){ "test", "-f", zone, NULL },
		    NULL, 0) != 0) {
			free(line);
			r = step_fail(ctx, "no timezone %s on %s", tz,
			    ctx->machine);
			free(zone);
			return r;
		}
		if (step_run(ctx, (char *[]){ "ln", "-sfn", zone,
		    "/etc/localtime", NULL }, NULL, 0) != 0 ||
		    step_put(ctx, "/etc/timezone", line, strlen(line), 0644,
		    NULL, NULL) == -1) {
			free(line);
			free(zone);
			return step_fail(ctx, "cannot set the timezone %s", tz);
		}
		free(line);
		free(zone);
	}
	return RESULT_CHANGED;
}

/* Everything check looks at must now be as wanted. */
static enum result
base_verify(struct step_ctx *ctx)
{
	struct base_state	 st;
	int			 bad;
	size_t			 i;

	if (base_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	bad = st.nmissing + st.tz_differs + st.user_missing + st.dpkg_broken +
	    (st.sources_bad != NULL);
	for (i = 0; i < NBASE_FILES; i++)
		bad += st.file_differs[i] + st.meta_differs[i];
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
