/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Facts about a machine, probed with one read-only script so that a
 * converged re-run costs one round trip here, not ten.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"
#include "facts.h"
#include "transport.h"

/*
 * Builtins where they do (read, set, .), so that a probe forks three
 * programs, not twelve: on a converged re-run these probes are most of
 * the time spent.
 */
static const char facts_script[] =
    "if [ -r /etc/os-release ]; then . /etc/os-release; fi\n"
    "echo \"os_id=${ID:-}\"\n"
    "echo \"os_version=${VERSION_ID:-}\"\n"
    "echo \"os_pretty=${PRETTY_NAME:-}\"\n"
    "while read -r k v _; do\n"
    "  if [ \"$k\" = MemTotal: ]; then echo \"mem_kb=$v\"; break; fi\n"
    "done < /proc/meminfo\n"
    "echo \"cpus=$(nproc 2>/dev/null || echo 1)\"\n"
    "set -- $(df -Pk / 2>/dev/null)\n"
    "echo \"disk_free_kb=${11:-0}\"\n"
    "if [ -d /run/systemd/system ]; then echo systemd=1; "
    "else echo systemd=0; fi\n"
    "if [ -r /run/systemd/container ]; then "
    "read -r v < /run/systemd/container; echo \"virt=$v\"; "
    "else echo \"virt=$(systemd-detect-virt 2>/dev/null || true)\"; fi\n"
    "read -r h < /proc/sys/kernel/hostname; echo \"hostname=$h\"\n"
    "echo \"addresses=$(hostname -I 2>/dev/null || true)\"\n";

void
facts_free(struct facts *f)
{
	free(f->os_id);
	free(f->os_version);
	free(f->os_pretty);
	free(f->virt);
	free(f->hostname);
	free(f->addresses);
	memset(f, 0, sizeof *f);
}

static void
facts_set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

static long long
facts_num(const char *v)
{
	const char	*errstr;
	long long	 n;

	n = strtonum_checked(v, 0, 1LL << 50, &errstr);
	return errstr != NULL ? 0 : n;
}

/* Parse key=value lines; unknown keys are ignored (newer probes). */
int
facts_parse(struct facts *f, const char *text)
{
	char	*copy = xstrdup(text), *line, *next, *v;

	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((v = strchr(line, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "os_id") == 0)
			facts_set(&f->os_id, v);
		else if (strcmp(line, "os_version") == 0)
			facts_set(&f->os_version, v);
		else if (strcmp(line, "os_pretty") == 0)
			facts_set(&f->os_pretty, v);
		else if (strcmp(line, "mem_kb") == 0)
			f->mem_mb = facts_num(v) / 1024;
		else if (strcmp(line, "cpus") == 0)
			f->cpus = (int)facts_num(v);
		else if (strcmp(line, "disk_free_kb") == 0)
			f->disk_free_mb = facts_num(v) / 1024;
		else if (strcmp(line, "systemd") == 0)
			f->systemd = strcmp(v, "1") == 0;
		else if (strcmp(line, "virt") == 0)
			facts_set(&f->virt, v);
		else if (strcmp(line, "hostname") == 0)
			facts_set(&f->hostname, v);
		else if (strcmp(line, "addresses") == 0)
			facts_set(&f->addresses, v);
	}
	free(copy);
	if (f->os_id == NULL)
		f->os_id = xstrdup("");
	if (f->os_version == NULL)
		f->os_version = xstrdup("");
	if (f->virt == NULL || *f->virt == '\0')
		facts_set(&f->virt, "none");
	f->probed = 1;
	return 0;
}

/* Probe f through t, once: 0, or -1 / TRANSPORT_ERR_UNREACHABLE. */
int
facts_probe(struct facts *f, struct transport *t, char **err)
{
	char	*argv[] = { "sh", "-c", (char *)facts_script, NULL };
	char	*out;
	int	 rc;

	if (f->probed)
		return 0;
	rc = transport_capture(t, argv, &out, err);
	if (rc != 0) {
		if (rc > 0)
			xasprintf(err, "probing facts failed (exit %d)", rc);
		free(out);
		return rc == TRANSPORT_ERR_UNREACHABLE ? rc : -1;
	}
	facts_parse(f, out);
	free(out);
	return 0;
}
