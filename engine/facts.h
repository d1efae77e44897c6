/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Facts about a machine (facts.c): what it runs, its RAM, CPUs and disk.
 * They belong to the machine, not to the connection: the engine keeps
 * them in its per-machine record (planner.h) and steps read them through
 * their context.  The probe runs through a transport it is given.
 */
#ifndef FACTS_H
#define FACTS_H

struct transport;

/* Facts probed on a machine, read-only once probed. */
struct facts {
	int		 probed;
	char		*os_id;		/* "debian", "ubuntu" */
	char		*os_version;	/* "12", "24.04" */
	char		*os_pretty;
	long long	 mem_mb;
	int		 cpus;
	long long	 disk_free_mb;	/* on / */
	int		 systemd;	/* systemd runs as PID 1 */
	char		*virt;		/* systemd-detect-virt, "none" */
	char		*hostname;
	char		*addresses;	/* space separated */
};

/* facts.c */
int	 facts_probe(struct facts *, struct transport *, char **);
void	 facts_free(struct facts *);
int	 facts_parse(struct facts *, const char *);

#endif
