/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * PostgreSQL shared by the primary's step (postgres.c) and the read
 * replicas' (replica.c): the files both write (postgres_conf.c),
 * rendered from the topology alone so that unit tests can read them, and
 * the few commands both run.
 */
#ifndef POSTGRES_H
#define POSTGRES_H

#include <stddef.h>

#include "step_item.h"

struct profile;
struct step_ctx;
struct strbuf;
struct topology;

/* The role replicas stream as: REPLICATION, nothing else. */
#define PG_REPLICATION_ROLE	"dhis2_replicator"
/* Our replication slots: "dhis2_" and the replica's node name. */
#define PG_SLOT_PREFIX		"dhis2_"
/*
 * The most WAL a replication slot may hold back on the primary: a replica
 * that is down longer loses its slot (and is rebuilt by the next apply)
 * instead of filling the primary's disk.
 */
#define PG_SLOT_KEEP		"8GB"
#define PG_SLOT_KEEP_MB		8192
/*
 * How long WAL replay on a replica waits for a read query that conflicts
 * with it before cancelling the query: the proxy's read timeout, so a
 * query a user still waits for is not cancelled by replay.
 */
#define PG_STANDBY_DELAY	"300s"

/* The conf.d file and pg_hba.conf: the first two of pg_common's files. */
#define PG_FILE_CONF	0
#define PG_FILE_HBA	1

/*
 * What the postgres and replica steps both own on their machine: the
 * server and PostGIS packages of the profile's major, and the conf.d
 * file and pg_hba.conf (a step may add files of its own after them).
 */
struct pg_common {
	char			 ver[8];
	char			 pkg_server[32];
	char			 pkg_postgis[48];
	int			 server_missing;
	int			 postgis_missing;
	struct step_files	 files;
};

/* steps/postgres_conf.c */
char	*pg_conf_text(const struct profile *p, const struct topology *t,
	    size_t node, long long ram_mb, char **errp);
char	*pg_hba_text(const struct profile *p, const struct topology *t,
	    size_t node, char **errp);
void	 pg_slot_name(const struct topology *t, size_t replica, char *buf,
	    size_t len);

/* steps/postgres.c */
long long pg_database_ram_mb(struct step_ctx *);
int	 pg_common_wanted(struct step_ctx *, struct pg_common *);
void	 pg_common_parse(struct pg_common *, const char *);
int	 pg_common_pending(struct step_ctx *ctx, const struct pg_common *pc,
	    int report);
size_t	 pg_common_pkgs(const struct pg_common *, const char *[3]);
void	 pg_common_free(struct pg_common *);
int	 pg_sql(struct step_ctx *, const char *, const char *);
int	 pg_reload(struct step_ctx *, const char *);

/* steps/replica.c */
char	*replica_passfile(const char *, const char *);
char	*replica_conninfo(const struct topology *, size_t, const char *);

#endif
