/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Probe output is "key=value" lines; a step compares what it wants with
 * what the probe saw, so a converged re-run costs one round trip.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"
#include "step.h"
#include "step_probe.h"

/* Whether the probe output has exactly this line. */
int
step_probe_has(const char *probe, const char *line)
{
	size_t		 len = strlen(line);
	const char	*p = probe;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == probe || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* The sha256 of a text as sha256sum prints it, to compare file sums. */
void
step_sha256_hex(const char *s, char out[65])
{
	unsigned char	md[32];
	unsigned int	len = sizeof md;
	int		i;

	EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * apt-get update, then install the NULL-terminated packages without
 * questions; a dpkg run that was killed is finished first, so a re-run
 * after a dropped link repairs the machine.  0, or -1 after step_fail.
 */
int
step_apt_install(struct step_ctx *ctx, const char *const *pkgs)
{
	char	*argv[48];
	int	 k = 0, i;

	if (step_run(ctx, (char *[]){ "env", "DEBIAN_FRONTEND=noninteractive",
	    "dpkg", "--configure", "-a", NULL }, NULL, 0) != 0) {
		step_fail(ctx, "dpkg --configure -a failed: see the log, then "
		    "run again");
		return -1;
	}
	if (step_run(ctx, (char *[]){ "apt-get", "-q", "-o",
	    "DPkg::Lock::Timeout=300", "update", NULL }, NULL, 0) != 0) {
		step_fail(ctx, "apt-get update failed: check the machine's "
		    "sources and its access to the archive");
		return -1;
	}
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
	for (i = 0; pkgs[i] != NULL && k < 47; i++)
		argv[k++] = (char *)pkgs[i];
	argv[k] = NULL;
	if (step_run(ctx, argv, NULL, 0) != 0) {
		step_fail(ctx, "installing %s failed: see the log, then run "
		    "again", pkgs[0]);
		return -1;
	}
	return 0;
}
