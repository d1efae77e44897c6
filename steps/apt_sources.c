/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * apt sources.  A container gets the sources we write, not those a
 * template wrote: LXC's debian template asks debian-distro-info (only a
 * Recommends) for the release number and, without it, writes the
 * security suite "bookworm/updates", which has not existed since Debian
 * 11, so apt-get update fails in every container.  And on any machine,
 * when apt-get update fails, the operator is told which source line and
 * why, rather than "check the sources".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "step.h"
#include "step_probe.h"
#include "apt_sources.h"

/* Where each distribution keeps its archive and its security updates. */
static const struct apt_distro {
	const char	*name;
	const char	*file;		/* in /etc/apt/sources.list.d */
	const char	*mirror;
	const char	*security;
	const char	*components;
	const char	*keyring;
} apt_distros[] = {
	{ "debian", "/etc/apt/sources.list.d/debian.sources",
	  "http://deb.debian.org/debian",
	  "http://security.debian.org/debian-security", "main",
	  "/usr/share/keyrings/debian-archive-keyring.gpg" },
	/* the exporters and Alertmanager are in universe */
	{ "ubuntu", "/etc/apt/sources.list.d/ubuntu.sources",
	  "http://archive.ubuntu.com/ubuntu",
	  "http://security.ubuntu.com/ubuntu", "main universe",
	  "/usr/share/keyrings/ubuntu-archive-keyring.gpg" },
};

/*
 * Releases the containers may run.  A Debian name not listed here is
 * taken as a newer Debian: "-security" is the suite's form since 11.
 */
static const struct apt_release {
	const char	*name;
	int		 ubuntu;
	const char	*security;	/* the security suite, from the name */
} apt_releases[] = {
	{ "buster",	0, "%s/updates" },
	{ "bullseye",	0, "%s-security" },
	{ "bookworm",	0, "%s-security" },
	{ "trixie",	0, "%s-security" },
	{ "forky",	0, "%s-security" },
	{ "bionic",	1, "%s-security" },
	{ "focal",	1, "%s-security" },
	{ "jammy",	1, "%s-security" },
	{ "lunar",	1, "%s-security" },
	{ "mantic",	1, "%s-security" },
	{ "noble",	1, "%s-security" },
	{ "oracular",	1, "%s-security" },
	{ "plucky",	1, "%s-security" },
};

static const struct apt_release *
release_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof apt_releases / sizeof apt_releases[0]; i++) {
		if (strcmp(apt_releases[i].name, name) == 0)
			return &apt_releases[i];
	}
	return NULL;
}

int
apt_release_is_ubuntu(const char *release)
{
	const struct apt_release	*r = release_find(release);

	return r != NULL && r->ubuntu;
}

/* The distribution's own archive for release. */
const char *
apt_release_mirror(const char *release)
{
	return apt_distros[apt_release_is_ubuntu(release)].mirror;
}

/*
 * The deb822 sources of a container of release: the archive from mirror
 * and the security updates from security (NULL: the distribution's own).
 * *path is the file they belong in.
 */
char *
apt_sources_content(const char *release, const char *mirror,
    const char *security, const char **path)
{
	const struct apt_release	*r = release_find(release);
	const struct apt_distro		*d = &apt_distros[r != NULL &&
					    r->ubuntu];
	char				 suite[64], *s;

	/* The format is one of the table's, each with one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(suite, sizeof suite, r != NULL ? r->security : "%s-security",
	    release);
#pragma GCC diagnostic pop
	if (mirror == NULL || *mirror == '\0')
		mirror = apt_release_mirror(release);
	if (security == NULL || *security == '\0')
		security = d->security;
	*path = d->file;
	xasprintf(&s,
	    "# dhis2-setup: this container's package sources, from the\n"
	    "# profile (lxc.mirror, lxc.security_mirror): change the profile,\n"
	    "# not this file.\n"
	    "Types: deb\n"
	    "URIs: %s\n"
	    "Suites: %s %s-updates\n"
	    "Components: %s\n"
	    "Signed-By: %s\n"
	    "\n"
	    "Types: deb\n"
	    "URIs: %s\n"
	    "Suites: %s\n"
	    "Components: %s\n"
	    "Signed-By: %s\n",
	    mirror, release, release, d->components, d->keyring,
	    security, suite, d->components, d->keyring);
	return s;
}

/* One aptbad= line, "FILE:LINE\tTEXT\tWHY", as a sentence. */
static char *
problem_line(const char *line, size_t len)
{
	const char	*tab1, *tab2;
	char		*out;
	const char	*hint = "";

	tab1 = memchr(line, '\t', len);
	if (tab1 == NULL)
		return NULL;
	/* WHY is after the last tab: TEXT may hold tabs of its own */
	for (tab2 = line + len - 1; tab2 > tab1 && *tab2 != '\t'; tab2--)
		;
	if (tab2 == tab1)
		return NULL;
	/* The suite LXC's debian template writes without distro-info. */
	if (memmem(tab1, (size_t)(tab2 - tab1), "/updates", 8) != NULL)
		hint = " (since Debian 11 the security suite is named "
		    "CODENAME-security, e.g. bookworm-security)";
	xasprintf(&out, "apt source %.*s (%.*s) fails: %.*s%s",
	    (int)(tab1 - line), line, (int)(tab2 - tab1 - 1), tab1 + 1,
	    (int)(line + len - tab2 - 1), tab2 + 1, hint);
	return out;
}

/*
 * What the probe's aptbad= lines say, as one message that names each
 * failing source line and what to do; NULL when there is none.
 */
char *
apt_sources_problems(const char *probe)
{
	const char	*p, *nl;
	char		*msg = NULL, *one, *tmp;
	size_t		 len;
	int		 n = 0;

	for (p = probe; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len <= 7 || strncmp(p, "aptbad=", 7) != 0)
			continue;
		if ((one = problem_line(p + 7, len - 7)) == NULL)
			continue;
		xasprintf(&tmp, "%s%s%s", msg != NULL ? msg : "",
		    msg != NULL ? "; " : "", one);
		free(one);
		free(msg);
		msg = tmp;
		n++;
	}
	if (msg == NULL)
		return NULL;
	xasprintf(&tmp, "%s: correct or remove %s, then run again", msg,
	    n == 1 ? "that line" : "those lines");
	free(msg);
	return tmp;
}

/*
 * Ask the archive about the machine's sources (all: every one; else
 * only those apt has no Release of).  0 when all answer, -1 after
 * step_fail naming the lines that do not.
 */
int
step_apt_sources_check(struct step_ctx *ctx, int all)
{
	char	*out = NULL, *msg;

	if (step_probe_run(ctx, &out, APT_SOURCES_CHECK_SH
	    "apt_sources_check \"$1\"\n", all ? "all" : "unfetched",
	    NULL) != 0) {
		free(out);
		return 0;	/* no worse than not asking */
	}
	msg = apt_sources_problems(out);
	free(out);
	if (msg == NULL)
		return 0;
	step_fail(ctx, "%s", msg);
	free(msg);
	return -1;
}
