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

#include "stack.h"	/* PG_REPLICATION_ROLE */
#include "step_item.h"

struct profile;
struct step_ctx;
struct strbuf;
struct topology;

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

/*
 * Shell both steps' probes go on with, after "v=VERSION": a reload an
 * earlier run owes the cluster (STEP_INTENT_SH), the states of the server
 * and PostGIS packages, the main cluster's status and data
 * directory ("cluster=", "datadir="); unless the cluster runs the script
 * ends there, else $port is the cluster's and $psql psql itself, not
 * Debian's Perl wrapper.
 */
#define PG_CLUSTER_SH \
    STEP_INTENT_SH \
    "step_intent \"postgresql@$v-main\"\n" \
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' " \
    "\"postgresql-$v\" \"postgresql-$v-postgis-3\" 2>/dev/null\n" \
    "command -v pg_lsclusters >/dev/null || exit 0\n" \
    "c=$(pg_lsclusters -h 2>/dev/null)\n" \
    "echo \"$c\" | awk -v v=\"$v\" '$1 == v && $2 == \"main\" " \
    "{ print \"cluster=\" $4; print \"datadir=\" $6 }'\n" \
    "echo \"$c\" | grep -q \"^$v *main .*online\" || exit 0\n" \
    "port=$(echo \"$c\" | awk -v v=\"$v\" '$1 == v && $2 == \"main\" " \
    "{ print $3 }')\n" \
    "psql=/usr/lib/postgresql/$v/bin/psql\n" \
    "[ -x \"$psql\" ] || psql=psql\n" \
    "cd /\n"

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
	struct step_packages	 pkgs;		/* the two, as probed */
	struct step_files	 files;
	char			 unit[32];	/* postgresql@VER-main */
	int			 intent;	/* a reload owed (pg_intend) */
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
int	 pg_common_probe(struct step_ctx *ctx, struct pg_common *pc,
	    const char *script, char *const *more, char **out);
int	 pg_common_pending(struct step_ctx *ctx, const struct pg_common *pc,
	    int report);
int	 pg_server_missing(const struct pg_common *);
int	 pg_intend(struct step_ctx *, struct pg_common *);
int	 pg_intent_done(struct step_ctx *, const struct pg_common *);
void	 pg_common_free(struct pg_common *);
int	 pg_sql(struct step_ctx *, const char *, const char *);
int	 pg_reload(struct step_ctx *, const char *);

/* steps/replica.c */
char	*replica_passfile(const char *, const char *);
char	*replica_conninfo(const struct topology *, size_t, const char *);

#endif
