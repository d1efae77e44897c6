/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The apt transaction of a machine (apt.h): dpkg finished when a run was
 * killed, the lists updated once per machine in a run, and the packages
 * of every step still to run there installed with the first step's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "apt.h"
#include "apt_sources.h"
#include "step.h"
#include "step_probe.h"
#include "transport.h"

/*
 * Run "$@" once no other package manager runs.  A run killed half-way
 * (kill -9, a dropped session) can leave its apt-get going on the machine;
 * apt's DPkg::Lock::Timeout covers the dpkg lock but not the lists lock of
 * "apt-get update", so wait here, bounded, instead of failing.
 */
static const char apt_wait_script[] =
    /*
     * Only this machine's own: an LXC host sees its containers' processes
     * in /proc, and their package managers hold other files' locks.
     */
    "self=$(readlink /proc/self/ns/pid)\n"
    "mine() { [ \"$(readlink \"${1%/comm}/ns/pid\")\" = \"$self\" ]; }\n"
    "busy() {\n"
    "  for c in /proc/[0-9]*/comm; do\n"
    "    read -r n < \"$c\" 2>/dev/null || continue\n"
    "    case $n in\n"
    "    apt|apt-get|dpkg) mine \"$c\" && return 0;;\n"
    /* unattended-upgrade-shutdown idles forever under the same name */
    "    unattended-upgr)\n"
    "      case $(tr '\\000' ' ' < \"${c%/comm}/cmdline\" 2>/dev/null) in\n"
    "      *shutdown*) ;;\n"
    "      *) mine \"$c\" && return 0;;\n"
    "      esac;;\n"
    "    esac\n"
    "  done\n"
    "  return 1\n"
    "}\n"
    "i=0\n"
    "while busy; do\n"
    "  i=$((i + 1))\n"
    "  if [ $i -gt 600 ]; then\n"
    "    echo 'another apt-get or dpkg has run for 10 minutes' >&2\n"
    "    exit 1\n"
    "  fi\n"
    "  sleep 1\n"
    "done\n"
    "exec \"$@\"\n";

/* argv once no other apt or dpkg runs on the machine; its exit status. */
int
step_apt_run(struct step_ctx *ctx, char *const *argv)
{
	return step_probe_runv(ctx, NULL, apt_wait_script, argv);
}

/*
 * dpkg --configure -a only when dpkg has something to finish: what dpkg
 * itself reads to say it was interrupted (its journal of updates), or a
 * package left half-way in its status file (unpacked, half-configured,
 * triggers pending).  A clean database costs a glob and a grep, not a
 * run of dpkg over the whole database.
 */
static const char dpkg_finish_script[] =
    "set -- /var/lib/dpkg/updates/*\n"
    "if [ -e \"$1\" ] || grep -Eq '^Status: [a-z]+ [a-z]+ "
    "(half-installed|unpacked|half-configured|triggers-awaited|"
    "triggers-pending)$' /var/lib/dpkg/status; then\n"
    "  exec env DEBIAN_FRONTEND=noninteractive dpkg --configure -a\n"
    "fi\n";

static int
dpkg_finish(struct step_ctx *ctx)
{
	if (step_apt_run(ctx, (char *[]){ "sh", "-c",
	    (char *)dpkg_finish_script, "sh", NULL }) != 0) {
		step_fail(ctx, "dpkg --configure -a failed: see the log, then "
		    "run again");
		return -1;
	}
	return 0;
}

static int
apt_update(struct step_ctx *ctx)
{
	if (step_apt_run(ctx, (char *[]){ "apt-get", "-q", "-o",
	    "DPkg::Lock::Timeout=300", "update", NULL }) != 0) {
		/* Name the line that fails, when one does. */
		if (step_apt_sources_check(ctx, 1) == 0)
			step_fail(ctx, "apt-get update failed: check the "
			    "machine's sources and its access to the archive");
		return -1;
	}
	return 0;
}

int
step_pkgs_has(const struct step_pkgs *sp, const char *name)
{
	size_t	i;

	for (i = 0; i < sp->n; i++) {
		if (strcmp(sp->v[i], name) == 0)
			return 1;
	}
	return 0;
}

void
step_pkgs_add(struct step_pkgs *sp, const char *name)
{
	if (step_pkgs_has(sp, name))
		return;
	sp->v = xreallocarray(sp->v, sp->n + 1, sizeof *sp->v);
	sp->v[sp->n++] = xstrdup(name);
}

void
step_pkgs_free(struct step_pkgs *sp)
{
	size_t	i;

	for (i = 0; i < sp->n; i++)
		free(sp->v[i]);
	free(sp->v);
	sp->v = NULL;
	sp->n = 0;
}

/* sp without the packages in drop. */
static void
pkgs_drop(struct step_pkgs *sp, const struct step_pkgs *drop)
{
	size_t	i, k = 0;

	for (i = 0; i < sp->n; i++) {
		if (step_pkgs_has(drop, sp->v[i]))
			free(sp->v[i]);
		else
			sp->v[k++] = sp->v[i];
	}
	sp->n = k;
}

/*
 * Of the packages in sp, keep those dpkg does not have installed (one
 * dpkg-query): one already there is never named to apt-get, which would
 * upgrade it (and restart its service) where no plan said so.  -1 when
 * the query could not run.
 */
static int
pkgs_keep_missing(struct step_ctx *ctx, struct step_pkgs *sp)
{
	struct step_pkgs	 have = { NULL, 0 };
	char			**argv, *out = NULL;
	size_t			 i, k = 0;
	int			 rc;

	argv = xcalloc(sp->n + 4, sizeof *argv);
	argv[k++] = "dpkg-query";
	argv[k++] = "-W";
	argv[k++] = "--showformat=pkg=${Package} ${db:Status-Abbrev}\\n";
	for (i = 0; i < sp->n; i++)
		argv[k++] = sp->v[i];
	argv[k] = NULL;
	/* 1 when one is unknown to dpkg: the others are listed all the same */
	rc = step_capture(ctx, argv, &out);
	free(argv);
	if (rc < 0) {
		free(out);
		return -1;
	}
	for (i = 0; i < sp->n; i++) {
		if (out != NULL && !step_probe_pkg_missing(out, sp->v[i]))
			step_pkgs_add(&have, sp->v[i]);
	}
	free(out);
	pkgs_drop(sp, &have);
	step_pkgs_free(&have);
	return 0;
}

static int
pkg_listed(const char *const *pkgs, const char *name)
{
	for (; *pkgs != NULL; pkgs++) {
		if (strcmp(*pkgs, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * What the steps still to run on this machine will install that is not
 * installed yet, pkgs (this step's own) aside, into *more, after each
 * such step's before_install; a step whose hook fails keeps its packages
 * to its own install.  How many.
 */
static size_t
later_packages(struct step_ctx *ctx, const char *const *pkgs,
    struct step_pkgs *more)
{
	const struct step *const *s;
	struct step_pkgs	*each, missing;
	char			*msg;
	size_t			 n, k, i;

	memset(more, 0, sizeof *more);
	for (n = 0; ctx->later != NULL && ctx->later[n] != NULL; n++)
		;
	each = xcalloc(n + 1, sizeof *each);
	for (k = 0, s = ctx->later; k < n; k++, s++) {
		if ((*s)->packages == NULL)
			continue;
		(*s)->packages(ctx, &each[k]);
		for (i = 0; i < each[k].n; i++) {
			if (!pkg_listed(pkgs, each[k].v[i]))
				step_pkgs_add(more, each[k].v[i]);
		}
	}
	if (more->n > 0 && pkgs_keep_missing(ctx, more) == -1)
		step_pkgs_free(more);
	for (k = 0, s = ctx->later; k < n && more->n > 0; k++, s++) {
		if ((*s)->before_install == NULL)
			continue;
		memset(&missing, 0, sizeof missing);
		for (i = 0; i < each[k].n; i++) {
			if (step_pkgs_has(more, each[k].v[i]))
				step_pkgs_add(&missing, each[k].v[i]);
		}
		/* A hook that fails says why in our context: keep ours. */
		msg = ctx->msg;
		ctx->msg = NULL;
		if (missing.n > 0 && (*s)->before_install(ctx, &missing) == -1)
			pkgs_drop(more, &each[k]);
		free(ctx->msg);
		ctx->msg = msg;
		step_pkgs_free(&missing);
	}
	for (k = 0; k < n; k++)
		step_pkgs_free(&each[k]);
	free(each);
	if (more->n == 0)
		step_pkgs_free(more);
	return more->n;
}

/* apt-get install of pkgs and more without questions; its exit status. */
static int
apt_get_install(struct step_ctx *ctx, const char *const *pkgs,
    const struct step_pkgs *more)
{
	char	**argv;
	size_t	  n, k = 0, i;
	int	  rc;

	for (n = 0; pkgs[n] != NULL; n++)
		;
	argv = xcalloc(n + (more != NULL ? more->n : 0) + 12, sizeof *argv);
	argv[k++] = "env";
	argv[k++] = "DEBIAN_FRONTEND=noninteractive";
	argv[k++] = "apt-get";
	argv[k++] = "-q";
	argv[k++] = "-y";
	argv[k++] = "--no-install-recommends";
	argv[k++] = "-o";
	argv[k++] = "DPkg::Lock::Timeout=300";
	argv[k++] = "-o";
	argv[k++] = "Dpkg::Options::=--force-confold";
	argv[k++] = "install";
	for (i = 0; i < n; i++)
		argv[k++] = (char *)pkgs[i];
	for (i = 0; more != NULL && i < more->n; i++)
		argv[k++] = more->v[i];
	argv[k] = NULL;
	rc = step_apt_run(ctx, argv);
	free(argv);
	return rc;
}

/*
 * Install the NULL-terminated packages without questions; a dpkg run
 * that was killed is finished first, so a re-run after a dropped link
 * repairs the machine.  The package lists are updated by the first
 * install on a machine in a run, not by every step's: the later ones use
 * them, and should one fail with them (lists gone stale, a package
 * missing) they are updated and the install tried once more.
 *
 * That first install also brings what the steps still to run on the
 * machine will install (their packages hooks), in the one transaction:
 * each further one cost seconds of reading lists, resolving and
 * triggers.  Should it fail, this step's packages are installed alone,
 * and each later step installs its own as before.  0, or -1 after
 * step_fail.
 */
int
step_apt_install(struct step_ctx *ctx, const char *const *pkgs)
{
	struct step_pkgs	 more;
	int			 updated = 0, rc;

	if (dpkg_finish(ctx) == -1)
		return -1;
	if (!__atomic_exchange_n(ctx->apt_updated, 1, __ATOMIC_ACQ_REL)) {
		if (apt_update(ctx) == -1) {
			__atomic_store_n(ctx->apt_updated, 0,
			    __ATOMIC_RELEASE);
			return -1;
		}
		updated = 1;
		if (later_packages(ctx, pkgs, &more) > 0) {
			rc = apt_get_install(ctx, pkgs, &more);
			step_pkgs_free(&more);
			if (rc == 0)
				return 0;
			if (dpkg_finish(ctx) == -1)
				return -1;
		}
	}
	if (apt_get_install(ctx, pkgs, NULL) == 0)
		return 0;
	if (!updated) {
		if (apt_update(ctx) == -1)
			return -1;
		if (apt_get_install(ctx, pkgs, NULL) == 0)
			return 0;
	}
	step_fail(ctx, "installing %s failed: see the log, then run again",
	    pkgs[0]);
	return -1;
}
