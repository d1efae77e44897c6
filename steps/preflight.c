/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * preflight: is this machine fit to run what the profile puts on it?
 * Read-only; every failure says what to do.  The thresholds can be
 * lowered for a test bed with DHIS2_SETUP_MIN_RAM_MB and
 * DHIS2_SETUP_MIN_DISK_MB (read on the machine running dhis2-setup); the
 * message says when they were.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "stack.h"
#include "step.h"
#include "step_probe.h"
#include "transport.h"

#define MIN_RAM_MB		4096	/* hosting guide: 4 GB minimum */
#define RECOMMENDED_RAM_MB	8192	/* 8 GB+ for production */
#define MIN_DISK_MB		10240	/* WAR, logs, a small database */

/* Who may already listen on a port we will use: ourselves on a re-run. */
struct port_need {
	int		 port;
	enum role	 role;
	const char	*owners;	/* process names, space separated */
};
static const struct port_need port_needs[] = {
	{ .port = PORT_HTTP, .role = ROLE_PROXY, .owners = "nginx apache2" },
	{ .port = PORT_HTTPS, .role = ROLE_PROXY, .owners = "nginx apache2" },
	{ .port = PORT_TOMCAT, .role = ROLE_APP, .owners = "java" },
	{ .port = PORT_POSTGRES, .role = ROLE_DATABASE, .owners = "postgres" },
	{ .port = PORT_REDIS, .role = ROLE_REDIS, .owners = "redis-server" },
	{ .port = PORT_PROMETHEUS, .role = ROLE_MONITOR,
	  .owners = "prometheus" },
};

/* $1: the fqdn; $2: 1 to ask about NTP (not in a container). */
static const char probe_script[] =
    "if getent ahosts \"$1\" >/dev/null 2>&1; then echo resolve=1; "
    "else echo resolve=0; fi\n"
    "if [ \"$2\" = 1 ] && [ -d /run/systemd/system ] && "
    "command -v timedatectl >/dev/null; "
    "then echo \"ntp=$(timedatectl show -p NTPSynchronized --value "
    "2>/dev/null)\"; else echo ntp=unknown; fi\n"
    "if command -v ss >/dev/null; then ss -Htlnp 2>/dev/null | "
    "while read -r _ _ _ l _ p; do echo \"listen=$l $p\"; done; "
    "else echo listen=none; fi\n";

static int
in_container(const struct facts *f)
{
	return strcmp(f->virt, "lxc") == 0 ||
	    strcmp(f->virt, "lxc-libvirt") == 0 ||
	    strcmp(f->virt, "systemd-nspawn") == 0 ||
	    strcmp(f->virt, "docker") == 0 || strcmp(f->virt, "podman") == 0;
}

static long long
threshold(const char *env, long long def, int *overridden)
{
	const char	*v = getenv(env), *errstr;
	long long	 n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtonum_checked(v, 0, 1LL << 40, &errstr);
	if (errstr != NULL)
		return def;
	*overridden = 1;
	return n;
}

static int
os_supported(const struct facts *f)
{
	if (strcmp(f->os_id, "debian") == 0)
		return strcmp(f->os_version, "12") == 0;
	if (strcmp(f->os_id, "ubuntu") == 0)
		return strcmp(f->os_version, "22.04") == 0 ||
		    strcmp(f->os_version, "24.04") == 0;
	return 0;
}

static int
word_in(const char *words, const char *w)
{
	size_t		 len = strlen(w);
	const char	*p = words;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == words || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* "0.0.0.0:80 users:(("nginx",pid=1,fd=6))" -> port 80, owner nginx. */
static int
port_owner_ok(const char *probe, int port, const char *owners, char **who)
{
	const char	*l, *p, *nl, *colon, *q;
	char		 pat[16];
	size_t		 len;
	int		 busy = 0;

	*who = NULL;
	snprintf(pat, sizeof pat, ":%d ", port);
	for (l = probe; l != NULL && *l != '\0'; l = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(l, '\n');
		if (strncmp(l, "listen=", 7) != 0)
			continue;
		p = l + 7;
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		colon = strstr(p, pat);
		if (colon == NULL || colon > p + len)
			continue;
		busy = 1;
		free(*who);
		*who = xstrdup("an unknown process");
		if ((q = strstr(colon, "((\"")) != NULL && q < p + len) {
			const char *e = strchr(q + 3, '"');

			if (e != NULL && e < p + len) {
				free(*who);
				*who = xstrndup(q + 3, e - (q + 3));
			}
		}
		if (word_in(owners, *who)) {
			free(*who);
			*who = NULL;
			busy = 0;
		} else
			break;
	}
	return !busy;
}

static int
check_ports(struct step_ctx *ctx, const char *probe)
{
	size_t	 i;
	char	*who;
	int	 bad = 0;

	if (step_probe_has(probe, "listen=none")) {
		step_note(ctx, "cannot check ports: 'ss' (iproute2) is "
		    "missing");
		return 0;
	}
	for (i = 0; i < sizeof port_needs / sizeof port_needs[0]; i++) {
		if ((ctx->roles & ROLE_BIT(port_needs[i].role)) == 0)
			continue;
		if (!port_owner_ok(probe, port_needs[i].port,
		    port_needs[i].owners, &who)) {
			step_note(ctx, "port %d is taken by %s; the %s role "
			    "needs it: stop or move that service",
			    port_needs[i].port, who,
			    role_name(port_needs[i].role));
			free(who);
			bad++;
		}
	}
	return bad;
}

static enum result
preflight_check(struct step_ctx *ctx)
{
	const struct facts	*f = step_facts(ctx);
	const char		*fqdn = ctx->profile->fqdn;
	char			*probe = NULL;
	long long		 min_ram, min_disk;
	int			 ovr_ram = 0, ovr_disk = 0, bad = 0;

	min_ram = threshold("DHIS2_SETUP_MIN_RAM_MB", MIN_RAM_MB, &ovr_ram);
	min_disk = threshold("DHIS2_SETUP_MIN_DISK_MB", MIN_DISK_MB,
	    &ovr_disk);
	if (!os_supported(f)) {
		step_note(ctx, "%s %s is not supported: install Debian 12 or "
		    "Ubuntu 22.04/24.04", f->os_id, f->os_version);
		bad++;
	}
	if (f->mem_mb < min_ram) {
		step_note(ctx, "%lld MB of RAM, %lld MB needed%s: add memory",
		    f->mem_mb, min_ram, ovr_ram ?
		    " (lowered by DHIS2_SETUP_MIN_RAM_MB)" : "");
		bad++;
	} else if (f->mem_mb < RECOMMENDED_RAM_MB)
		step_note(ctx, "%lld MB of RAM: enough to start, 8 GB or more "
		    "is recommended for production", f->mem_mb);
	if (f->disk_free_mb < min_disk) {
		step_note(ctx, "%lld MB free on /, %lld MB needed%s: free or "
		    "add disk space", f->disk_free_mb, min_disk, ovr_disk ?
		    " (lowered by DHIS2_SETUP_MIN_DISK_MB)" : "");
		bad++;
	}
	if (step_probe_run(ctx, &probe, probe_script, fqdn != NULL ? fqdn :
	    "localhost", in_container(f) ? "0" : "1", NULL) != 0) {
		free(probe);
		return step_fail(ctx, "cannot run the preflight probe on %s",
		    ctx->machine);
	}
	if (!step_probe_has(probe, "resolve=1")) {
		if (ctx->profile->tls.mode == TLS_LETSENCRYPT) {
			step_note(ctx, "%s does not resolve from this machine; "
			    "Let's Encrypt needs it in public DNS pointing "
			    "here", fqdn);
			bad++;
		} else
			step_note(ctx, "%s does not resolve from this machine "
			    "yet; users will need a DNS name for it", fqdn);
	}
	/* A container has its host's clock: nothing to check there. */
	if (!step_probe_has(probe, "ntp=yes") && !in_container(f))
		step_note(ctx, "the clock is not synchronised (NTP); TLS and "
		    "DHIS2 sync need the right time: enable systemd-timesyncd "
		    "or chrony");
	bad += check_ports(ctx, probe);
	free(probe);
	if (bad > 0)
		return step_fail(ctx, "%d problem%s (see the notes above)",
		    bad, bad == 1 ? "" : "s");
	step_msg(ctx, "%s, %lld MB RAM, %d CPU%s, %lld MB free",
	    f->os_pretty != NULL ? f->os_pretty : f->os_id, f->mem_mb,
	    f->cpus, f->cpus == 1 ? "" : "s", f->disk_free_mb);
	return RESULT_OK;
}

/* Nothing to make so: check never says CHANGED. */
static enum result
preflight_apply(struct step_ctx *ctx)
{
	return preflight_check(ctx);
}

const struct step step_preflight = {
	.name = "preflight",
	.roles = 0,
	.summary = "Check the OS, RAM, disk, name resolution, clock and ports",
	.check = preflight_check,
	.apply = preflight_apply,
	.verify = NULL,
};
