/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * postgres: PostgreSQL with PostGIS for DHIS2.  The version the profile
 * pins, from the distribution; DHIS2 tuning derived from the RAM the
 * database gets (docs/tuning.md) in a conf.d file; a pg_hba.conf with one
 * line per application host and nothing else; per instance a role with a
 * SCRAM password and a database with postgis, btree_gin and pg_trgm.
 *
 * Role passwords never travel in clear: the step builds the SCRAM verifier
 * itself (lib/scram.c) and compares the stored one without changing it,
 * so a converged run neither sets a password nor reloads anything.
 *
 * PostgreSQL is reloaded when a setting changed and restarted only when
 * PostgreSQL itself says a changed setting needs it (pending_restart).
 *
 * With read replicas (database.replicas) the primary also gets what they
 * stream from: a role with REPLICATION only (PG_REPLICATION_ROLE), a
 * "replication" pg_hba line per replica, a physical replication slot per
 * replica, and WAL settings whose values are PostgreSQL's defaults (so an
 * existing primary needs no restart) plus max_slot_wal_keep_size, which
 * bounds the WAL a dead replica's slot holds back.  The replicas
 * themselves are replica.c's (docs/replicas.md).  The two files both
 * write, the conf.d fragment and pg_hba.conf, are postgres_conf.c's.
 *
 * PGDG: operators who need a PostgreSQL release their distribution does
 * not ship can add apt.postgresql.org before the run; the same package
 * names (postgresql-N, postgresql-N-postgis-3) then come from there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "postgres.h"
#include "profile.h"
#include "scram.h"
#include "secrets.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define PG_EXTENSIONS	"btree_gin,pg_trgm,postgis"	/* sorted, as probed */

/*
 * Reads everything the step compares in one round trip: package states,
 * the sums of the two files it owns, whether the cluster runs, roles with
 * their verifiers (captured, never logged), databases with their owners
 * and each instance database's extensions.  Arguments: VERSION CONF HBA
 * then the databases.  One pg_lsclusters, and psql once plus once per
 * database, the binary rather than /usr/bin/psql (a Perl wrapper): a
 * converged re-run spent most of its time here.
 */
static const char probe_script[] = STEP_FILES_SH
    "v=$1 conf=$2 hba=$3\n"
    "shift 3\n"
    "step_sums \"$conf\" \"$hba\"\n"
    /* a tuning file put before the package made the cluster: root's */
    "stat -c 'owner=%U %n' \"/etc/postgresql/$v\" \"${conf%/*}\" \"$conf\" "
    "2>/dev/null\n"
    PG_CLUSTER_SH
    "q() { runuser -u postgres -- \"$psql\" -XAtq -p \"$port\" "
    "-v ON_ERROR_STOP=1 \"$@\"; }\n"
    "echo \"SELECT 'role=' || rolname || ' ' || coalesce(rolpassword, '') "
    "FROM pg_authid WHERE rolname !~ '^pg_'; SELECT 'db=' || datname || "
    "' ' || pg_get_userbyid(datdba) FROM pg_database; SELECT "
    "'pending_restart=' || count(*) FROM pg_settings WHERE pending_restart; "
    "SELECT 'repl=' || rolname FROM pg_authid WHERE rolreplication AND "
    "rolcanlogin AND NOT rolsuper; SELECT 'slot=' || slot_name || ' ' || "
    "coalesce(wal_status, 'unreserved') FROM pg_replication_slots WHERE "
    "slot_type = 'physical';\" "
    "| q -d postgres\n"
    /* a database that is not there refuses the connection: no ext= */
    "for db in \"$@\"; do\n"
    "  echo \"SELECT 'ext=' || :'d' || ' ' || string_agg(extname, ',' "
    "ORDER BY extname) FROM pg_extension WHERE extname IN ('postgis', "
    "'btree_gin', 'pg_trgm');\" | q -v d=\"$db\" -d \"$db\" 2>/dev/null\n"
    "done\n"
    "exit 0\n";

struct pg_instance {
	const char	*role;
	const char	*db;
	const char	*password;
	int		 role_missing;
	int		 password_differs;
	int		 db_missing;
	int		 extensions_missing;
};

/* A replica's slot on the primary. */
struct pg_slot {
	char		 name[64];
	const char	*replica;	/* its node's name */
	int		 missing;
	int		 lost;		/* invalidated: it held too much WAL */
};

struct pg_state {
	struct pg_common pc;		/* packages, conf.d file, pg_hba.conf */
	int		 cluster_missing;
	int		 cluster_down;
	int		 pending_restart;
	int		 owner_differs;	/* conf.d and its parents */
	struct pg_instance *in;
	size_t		 nin;
	/* With replicas: the replication role and the slots. */
	const char	*repl_password;
	int		 repl_role_missing;
	int		 repl_password_differs;
	int		 repl_attr_missing;
	struct pg_slot	*slots;
	size_t		 nslots;
	char		*stale_slots;	/* ours, for no replica: "a b " */
};

/* RAM PostgreSQL gets on this machine: all of it, or its share. */
long long
pg_database_ram_mb(struct step_ctx *ctx)
{
	return ctx->size->db_mb;
}

/*
 * What the postgres and replica steps both own, as wanted: the packages
 * of the profile's major, and the conf.d file and pg_hba.conf
 * (PG_FILE_CONF, PG_FILE_HBA) rendered for this node.  -1 after
 * step_fail (pc to be freed).
 */
int
pg_common_wanted(struct step_ctx *ctx, struct pg_common *pc)
{
	char	*conf, *hba, *path, *err = NULL;

	memset(pc, 0, sizeof *pc);
	snprintf(pc->ver, sizeof pc->ver, "%d",
	    ctx->profile->database.version);
	snprintf(pc->pkg_server, sizeof pc->pkg_server, "postgresql-%s",
	    pc->ver);
	snprintf(pc->pkg_postgis, sizeof pc->pkg_postgis,
	    "postgresql-%s-postgis-3", pc->ver);
	step_packages_add(&pc->pkgs, pc->pkg_server);
	step_packages_add(&pc->pkgs, pc->pkg_postgis);
	snprintf(pc->unit, sizeof pc->unit, "postgresql@%s-main", pc->ver);
	if ((conf = pg_conf_text(ctx->profile, ctx->topo, ctx->node,
	    pg_database_ram_mb(ctx), &err)) == NULL)
		goto fail;
	if ((hba = pg_hba_text(ctx->profile, ctx->topo, ctx->node,
	    &err)) == NULL) {
		free(conf);
		goto fail;
	}
	xasprintf(&path, "/etc/postgresql/%s/main/conf.d/90-dhis2.conf",
	    pc->ver);
	step_files_add(&pc->files, path, conf, 0644, "postgres", "postgres");
	free(path);
	xasprintf(&path, "/etc/postgresql/%s/main/pg_hba.conf", pc->ver);
	step_files_add(&pc->files, path, hba, 0640, "postgres", "postgres");
	free(path);
	return 0;
fail:
	step_fail(ctx, "%s", err);
	free(err);
	return -1;
}

/*
 * Run a step's probe script with VERSION, the files' paths and then
 * more (NULL-ended, or NULL), and read the packages by their dpkg state
 * and the files by their sums.  The output in *out, for the rest (the
 * caller frees it).  0, or -1 after step_fail.
 */
int
pg_common_probe(struct step_ctx *ctx, struct pg_common *pc,
    const char *script, char *const *more, char **out)
{
	struct step_args	 a = { NULL, 0 };
	int			 rc;

	step_args_add(&a, pc->ver);
	step_files_probe_args(&pc->files, &a);
	for (; more != NULL && *more != NULL; more++)
		step_args_add(&a, *more);
	rc = step_probe_runv(ctx, out, script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		return step_err(ctx, "cannot read PostgreSQL's state on %s",
		    ctx->machine);
	}
	step_packages_parse(&pc->pkgs, *out);
	step_files_parse(&pc->files, *out);
	pc->intent = step_intent_parse(*out, pc->unit);
	return 0;
}

/* Reported (check) or counted (verify): packages, then the files. */
int
pg_common_pending(struct step_ctx *ctx, const struct pg_common *pc,
    int report)
{
	int	n = 0;

	n += step_packages_pending(ctx, &pc->pkgs, report);
	n += step_files_pending(ctx, &pc->files, report);
	n += step_pending(ctx, report, pc->intent != 0, "reload PostgreSQL %s: "
	    "an earlier run changed its files and stopped before that",
	    pc->ver);
	return n;
}

/*
 * Before the files are written: the reload they need, persisted on the
 * machine (step_intent_set), so that a run killed before it leaves it
 * owed: a pg_hba.conf written but not loaded would keep the old access
 * rules.  Whether a reload is owed (this run's files or an earlier
 * run's), or -1 after step_fail.
 */
int
pg_intend(struct step_ctx *ctx, struct pg_common *pc)
{
	if (step_files_count(&pc->files) > 0 && pc->intent == 0) {
		if (step_intent_set(ctx, pc->unit, STEP_RELOAD) == -1)
			return -1;
		pc->intent = STEP_RELOAD;
	}
	return pc->intent != 0;
}

/* The cluster read its files (reloaded or started): the intent goes. */
int
pg_intent_done(struct step_ctx *ctx, const struct pg_common *pc)
{
	if (pc->intent == 0)
		return 0;
	return step_intent_clear(ctx, (char *[]){ (char *)pc->unit, NULL });
}

/* Whether the server's package is missing (the probe). */
int
pg_server_missing(const struct pg_common *pc)
{
	return step_package_missing(&pc->pkgs, pc->pkg_server);
}

/* Free and wipe what pc owns; zero it. */
void
pg_common_free(struct pg_common *pc)
{
	step_packages_free(&pc->pkgs);
	step_files_free(&pc->files);
	memset(pc, 0, sizeof *pc);
}

static void
pg_state_free(struct pg_state *st)
{
	pg_common_free(&st->pc);
	free(st->in);
	free(st->slots);
	free(st->stale_slots);
	memset(st, 0, sizeof *st);
}

/* The verifier stored for role in the probe's output; NULL if none. */
static char *
stored_verifier(const char *probe, const char *role)
{
	char	*key, *out;

	xasprintf(&key, "role=%s ", role);
	out = step_probe_value(probe, key);
	free(key);
	return out;
}

static void
probe_instances(struct step_ctx *ctx, struct pg_state *st, const char *probe)
{
	const struct profile	*p = ctx->profile;
	char			*line, *stored;
	size_t			 i;

	st->in = xcalloc(p->ninstances, sizeof *st->in);
	st->nin = p->ninstances;
	for (i = 0; i < st->nin; i++) {
		struct pg_instance *pi = &st->in[i];

		pi->role = p->instances[i].name;
		pi->db = instance_db_name(&p->instances[i]);
		xasprintf(&line, "%s." SECRET_DB_PASSWORD, pi->role);
		pi->password = secrets_get(ctx->secrets, line);
		free(line);
		stored = stored_verifier(probe, pi->role);
		pi->role_missing = stored == NULL;
		pi->password_differs = stored == NULL || pi->password == NULL ||
		    scram_matches(stored, pi->password) != 1;
		free(stored);
		xasprintf(&line, "db=%s %s", pi->db, pi->role);
		pi->db_missing = !step_probe_has(probe, line);
		free(line);
		xasprintf(&line, "ext=%s %s", pi->db, PG_EXTENSIONS);
		pi->extensions_missing = !step_probe_has(probe, line);
		free(line);
	}
}

/* Is name one of the slots the topology's replicas stream through? */
static int
slot_wanted(const struct pg_state *st, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < st->nslots; i++) {
		if (strlen(st->slots[i].name) == len &&
		    strncmp(st->slots[i].name, name, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * The replication role, each replica's slot, and the slots of ours no
 * replica uses any more (a replica taken out of the profile): those hold
 * WAL back on the primary, so they go.  Others' slots are left alone.
 */
static void
probe_replication(struct step_ctx *ctx, struct pg_state *st,
    const char *probe)
{
	const struct topology	*t = ctx->topo;
	struct strbuf		 stale = { NULL, 0, 0 };
	const char		*p, *e, *sp;
	char			*line, *stored;
	size_t			 m, len;

	st->slots = xcalloc(t->nnodes, sizeof *st->slots);
	for (m = 0; m < t->nnodes; m++) {
		struct pg_slot *sl = &st->slots[st->nslots];

		if (!(t->nodes[m].roles & ROLE_BIT(ROLE_REPLICA)))
			continue;
		pg_slot_name(t, m, sl->name, sizeof sl->name);
		sl->replica = t->nodes[m].name;
		xasprintf(&line, "slot=%s ", sl->name);
		sl->missing = !step_probe_has_key(probe, line);
		free(line);
		xasprintf(&line, "slot=%s lost", sl->name);
		sl->lost = step_probe_has(probe, line);
		free(line);
		st->nslots++;
	}
	for (p = probe; (p = strstr(p, "slot=" PG_SLOT_PREFIX)) != NULL;
	    p = e) {
		e = p + 5;
		if (p != probe && p[-1] != '\n')
			continue;
		sp = strchr(e, ' ');
		len = sp != NULL ? (size_t)(sp - e) : strlen(e);
		if (!slot_wanted(st, e, len)) {
			strbuf_add(&stale, e, len);
			strbuf_add(&stale, " ", 1);
		}
	}
	if (stale.buf != NULL) {
		strbuf_add(&stale, "", 1);
		st->stale_slots = stale.buf;
	}
	if (st->nslots == 0)
		return;
	st->repl_password = secrets_get(ctx->secrets, SECRET_REPLICATION);
	stored = stored_verifier(probe, PG_REPLICATION_ROLE);
	st->repl_role_missing = stored == NULL;
	st->repl_password_differs = stored == NULL ||
	    st->repl_password == NULL ||
	    scram_matches(stored, st->repl_password) != 1;
	free(stored);
	st->repl_attr_missing = !step_probe_has(probe,
	    "repl=" PG_REPLICATION_ROLE);
}

/* Does the probe list a path of ours (owner=USER PATH) not postgres'? */
static int
not_postgres_owned(const char *probe)
{
	const char	*p;

	for (p = probe; (p = strstr(p, "owner=")) != NULL; p += 6) {
		if ((p == probe || p[-1] == '\n') &&
		    strncmp(p + 6, "postgres ", 9) != 0)
			return 1;
	}
	return 0;
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
pg_probe(struct step_ctx *ctx, struct pg_state *st)
{
	const struct profile	*p = ctx->profile;
	struct step_args	 dbs = { NULL, 0 };
	char			*probe;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	if (pg_common_wanted(ctx, &st->pc) == -1)
		return -1;
	for (i = 0; i < p->ninstances; i++)
		step_args_add(&dbs, instance_db_name(&p->instances[i]));
	rc = pg_common_probe(ctx, &st->pc, probe_script, dbs.v, &probe);
	step_args_free(&dbs);
	if (rc == -1)
		return -1;
	st->cluster_missing = !step_probe_has_key(probe, "cluster=");
	st->cluster_down = !step_probe_has(probe, "cluster=online");
	st->pending_restart = step_probe_has_key(probe, "pending_restart=") &&
	    !step_probe_has(probe, "pending_restart=0");
	st->owner_differs = not_postgres_owned(probe);
	probe_instances(ctx, st, probe);
	probe_replication(ctx, st, probe);
	secure_wipe(probe, strlen(probe));	/* it held verifiers */
	free(probe);
	return 0;
}

/*
 * Every secret the step needs, and with replicas no instance named as
 * the replication role.  0, or -1 after step_fail.
 */
static int
pg_ready(struct step_ctx *ctx, const struct pg_state *st)
{
	size_t	i;

	for (i = 0; i < st->nin; i++) {
		if (st->in[i].password == NULL)
			return step_err(ctx, "secret '%s." SECRET_DB_PASSWORD
			    "' is "
			    "missing: run dhis2-setup secrets generate",
			    st->in[i].role);
	}
	if (st->nslots == 0)
		return 0;
	if (st->repl_password == NULL)
		return step_err(ctx, "secret '" SECRET_REPLICATION "' is "
		    "missing: run dhis2-setup secrets generate");
	for (i = 0; i < st->nin; i++) {
		if (strcmp(st->in[i].role, PG_REPLICATION_ROLE) == 0)
			return step_err(ctx, "instance %s has the name of the "
			    "replication role: rename the instance",
			    PG_REPLICATION_ROLE);
	}
	return 0;
}

/* The replication role and the slots: reported (check) or counted. */
static int
pg_pending_replication(struct step_ctx *ctx, const struct pg_state *st,
    int report)
{
	size_t	i;
	int	n = 0;

	if (report && st->nslots > 0 && step_facts(ctx)->disk_free_mb > 0 &&
	    step_facts(ctx)->disk_free_mb < 2 * PG_SLOT_KEEP_MB)
		step_note(ctx, "a replica that is down holds back up to "
		    PG_SLOT_KEEP " of WAL on %s, whose / has %lld MB free",
		    ctx->machine, step_facts(ctx)->disk_free_mb);
	n += step_pending(ctx, report, st->nslots > 0 && st->repl_role_missing,
	    "SQL: create role " PG_REPLICATION_ROLE " (login, replication "
	    "only, SCRAM password)");
	n += step_pending(ctx, report, st->nslots > 0 &&
	    !st->repl_role_missing && (st->repl_password_differs ||
	    st->repl_attr_missing), "SQL: set role " PG_REPLICATION_ROLE
	    " to login and replication only, its password from the secrets "
	    "file");
	for (i = 0; i < st->nslots; i++) {
		n += step_pending(ctx, report, st->slots[i].missing,
		    "SQL: create physical replication slot %s for replica %s",
		    st->slots[i].name, st->slots[i].replica);
		n += step_pending(ctx, report, !st->slots[i].missing &&
		    st->slots[i].lost, "SQL: recreate replication slot %s: "
		    "replica %s fell more than " PG_SLOT_KEEP " behind and "
		    "lost it (its step rebuilds it)", st->slots[i].name,
		    st->slots[i].replica);
	}
	/* Reported, not counted: apply leaves a slot still in use. */
	if (report && st->stale_slots != NULL)
		step_would(ctx, "SQL: drop replication slot(s) %sof no replica "
		    "in the profile: they hold WAL back", st->stale_slots);
	return n;
}

/*
 * What is not as wanted: reported as "would" lines (check) or only
 * counted (verify), from this one list.
 */
static int
pg_pending(struct step_ctx *ctx, const struct pg_state *st, int report)
{
	size_t	i;
	int	n = 0;

	n += pg_common_pending(ctx, &st->pc, report);
	n += step_pending(ctx, report, !pg_server_missing(&st->pc) &&
	    st->cluster_down, "start PostgreSQL %s", st->pc.ver);
	n += step_pending(ctx, report, !pg_server_missing(&st->pc) &&
	    st->owner_differs, "give %s and the directories above it to "
	    "postgres", st->pc.files.v[PG_FILE_CONF].path);
	/* Counted, not reported: apply restarts only for its own change. */
	n += !report && st->pending_restart;
	for (i = 0; i < st->nin; i++) {
		const struct pg_instance *pi = &st->in[i];

		n += step_pending(ctx, report, pi->role_missing, "SQL: create "
		    "role %s (login, SCRAM password)", pi->role);
		n += step_pending(ctx, report, !pi->role_missing &&
		    pi->password_differs, "SQL: set the password of role %s "
		    "from the secrets file", pi->role);
		n += step_pending(ctx, report, pi->db_missing, "SQL: create "
		    "database %s owned by %s", pi->db, pi->role);
		n += step_pending(ctx, report, pi->extensions_missing, "SQL: "
		    "create extensions postgis, btree_gin, pg_trgm in %s",
		    pi->db);
	}
	n += pg_pending_replication(ctx, st, report);
	return n;
}

/*
 * Create or update a login role to hold the password's SCRAM verifier
 * (lib/scram.c): PostgreSQL stores it as given, and an error message
 * that quotes the statement shows no password.  attrs: what else the role
 * is ("REPLICATION ..."), or "".  Names were validated as [a-z0-9_-].
 */
static int
pg_set_role(struct step_ctx *ctx, const char *role, const char *password,
    const char *attrs)
{
	char	*sql, *verifier;
	int	 rc;

	verifier = scram_verifier(password);
	xasprintf(&sql, "SELECT format('CREATE ROLE %%I LOGIN', '%s') "
	    "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
	    "'%s')\n\\gexec\nSELECT format('ALTER ROLE %%I LOGIN %s PASSWORD "
	    "%%L', '%s', '%s')\n\\gexec\n", role, role, attrs, role, verifier);
	rc = pg_sql(ctx, "postgres", sql);
	secure_wipe(sql, strlen(sql));
	free(sql);
	free(verifier);
	return rc;
}

/*
 * The role, the slots (lost ones made anew), ours no replica uses gone.
 * 0, or -1 after step_fail.
 */
static int
pg_apply_replication(struct step_ctx *ctx, const struct pg_state *st)
{
	char	*sql;
	size_t	 i;

	if (st->nslots > 0 && (st->repl_role_missing ||
	    st->repl_password_differs || st->repl_attr_missing) &&
	    pg_set_role(ctx, PG_REPLICATION_ROLE, st->repl_password,
	    "REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
	    "NOBYPASSRLS") != 0)
		return step_err(ctx, "cannot create or update role "
		    PG_REPLICATION_ROLE ": see the log");
	for (i = 0; i < st->nslots; i++) {
		const struct pg_slot *sl = &st->slots[i];

		if (!sl->missing && !sl->lost)
			continue;
		/*
		 * Not reserved at once: the replica's pg_basebackup starts
		 * holding WAL through it, so a replica that never comes
		 * holds nothing back.  A lost slot is dropped only when no
		 * walsender uses it.
		 */
		xasprintf(&sql, "SELECT pg_drop_replication_slot(slot_name) "
		    "FROM pg_replication_slots WHERE slot_name = '%s' AND "
		    "wal_status = 'lost' AND NOT active;\n"
		    "SELECT pg_create_physical_replication_slot('%s') WHERE "
		    "NOT EXISTS (SELECT FROM pg_replication_slots WHERE "
		    "slot_name = '%s');\n", sl->name, sl->name, sl->name);
		if (pg_sql(ctx, "postgres", sql) != 0) {
			free(sql);
			return step_err(ctx, "cannot create replication slot "
			    "%s: see the log", sl->name);
		}
		free(sql);
	}
	if (st->stale_slots != NULL) {
		char	*copy = xstrdup(st->stale_slots), *p = copy, *name;

		while ((name = strsep(&p, " ")) != NULL) {
			if (*name == '\0')
				continue;
			xasprintf(&sql, "SELECT pg_drop_replication_slot("
			    "slot_name) FROM pg_replication_slots WHERE "
			    "slot_name = '%s' AND NOT active;\n", name);
			if (pg_sql(ctx, "postgres", sql) != 0)
				step_note(ctx, "could not drop replication "
				    "slot %s: see the log", name);
			free(sql);
		}
		free(copy);
	}
	return 0;
}

static enum result
pg_check(struct step_ctx *ctx)
{
	struct pg_state	 st;

	if (pg_probe(ctx, &st) == -1 || pg_ready(ctx, &st) == -1) {
		pg_state_free(&st);
		return RESULT_FAILED;
	}
	pg_pending(ctx, &st, 1);
	pg_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* psql as the postgres superuser, SQL on stdin (never on argv). */
int
pg_sql(struct step_ctx *ctx, const char *db, const char *sql)
{
	return step_run(ctx, (char *[]){ "runuser", "-u", "postgres", "--",
	    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", (char *)db,
	    NULL }, sql, strlen(sql));
}

/*
 * An instance's role, database and extensions; pkg_postgis: the
 * versioned package the extensions come from.  0, or -1 after step_fail.
 */
static int
pg_apply_instance(struct step_ctx *ctx, struct pg_instance *pi,
    const char *pkg_postgis)
{
	char		*sql;
	int		 rc;

	if ((pi->role_missing || pi->password_differs) &&
	    pg_set_role(ctx, pi->role, pi->password, "") != 0)
		return step_err(ctx, "cannot create or update role %s: see "
		    "the log", pi->role);
	if (pi->db_missing) {
		xasprintf(&sql, "SELECT format('CREATE DATABASE %%I OWNER %%I "
		    "ENCODING ''UTF8'' TEMPLATE template0', '%s', '%s') WHERE "
		    "NOT EXISTS (SELECT FROM pg_database WHERE datname = "
		    "'%s')\n\\gexec\n", pi->db, pi->role, pi->db);
		rc = pg_sql(ctx, "postgres", sql);
		free(sql);
		if (rc != 0)
			return step_err(ctx, "cannot create database %s",
			    pi->db);
	}
	/* Extensions need a superuser: DHIS2's own role cannot add them. */
	if (pi->extensions_missing && pg_sql(ctx, pi->db,
	    "CREATE EXTENSION IF NOT EXISTS postgis;\n"
	    "CREATE EXTENSION IF NOT EXISTS btree_gin;\n"
	    "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n") != 0)
		return step_err(ctx, "cannot create the extensions in %s: is "
		    "%s installed?", pi->db, pkg_postgis);
	return 0;
}

/*
 * The cluster made and started, or reloaded for changed files.  0, or -1
 * after step_fail.
 */
static int
pg_apply_service(struct step_ctx *ctx, struct pg_state *st, int files_changed)
{
	char	*ver = st->pc.ver;

	if (st->cluster_missing && step_run(ctx, (char *[]){ "pg_createcluster",
	    ver, "main", "--start", NULL }, NULL, 0) != 0)
		return step_err(ctx, "cannot create the PostgreSQL %s cluster",
		    ver);
	if (st->cluster_down || st->cluster_missing) {
		if (step_run(ctx, (char *[]){ "pg_ctlcluster", ver, "main",
		    "start", NULL }, NULL, 0) != 0)
			return step_err(ctx, "PostgreSQL %s does not start: see "
			    "/var/log/postgresql/postgresql-%s-main.log", ver,
			    ver);
		return 0;
	}
	if (!files_changed)
		return 0;
	return pg_reload(ctx, ver);
}

/*
 * Reload the cluster of version ver for changed files, and restart it
 * only when PostgreSQL says a changed setting needs it.  0, or -1 after
 * step_fail.
 */
int
pg_reload(struct step_ctx *ctx, const char *ver)
{
	char	*out = NULL;
	int	 pending;

	if (step_run(ctx, (char *[]){ "pg_ctlcluster", (char *)ver, "main",
	    "reload", NULL }, NULL, 0) != 0)
		return step_err(ctx, "PostgreSQL %s refused the new settings: "
		    "see its log", ver);
	/* Only a setting PostgreSQL says needs it makes us restart. */
	if (step_capture(ctx, (char *[]){ "runuser", "-u", "postgres", "--",
	    "psql", "-XAtq", "-d", "postgres", "-c", "SELECT count(*) FROM "
	    "pg_settings WHERE pending_restart", NULL }, &out) != 0) {
		free(out);
		return step_err(ctx, "cannot ask PostgreSQL whether it needs "
		    "a restart");
	}
	pending = atoi(out) > 0;
	free(out);
	if (pending && step_run(ctx, (char *[]){ "pg_ctlcluster", (char *)ver,
	    "main", "restart", NULL }, NULL, 0) != 0)
		return step_err(ctx, "PostgreSQL %s did not restart with the "
		    "new settings: see its log", ver);
	if (pending)
		step_note(ctx, "PostgreSQL restarted: a changed setting "
		    "(shared_buffers or max_connections) needs it");
	return 0;
}

/* The packages, for one apt transaction per machine. */
static void
pg_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	char	name[48];

	snprintf(name, sizeof name, "postgresql-%d",
	    ctx->profile->database.version);
	step_pkgs_add(sp, name);
	snprintf(name, sizeof name, "postgresql-%d-postgis-3",
	    ctx->profile->database.version);
	step_pkgs_add(sp, name);
}

/*
 * Before the server package is installed: the tuning in conf.d, which
 * the cluster the package creates then starts with (pg_createcluster
 * keeps a conf.d it finds), instead of a restart for shared_buffers
 * right after.  root's until the package brings the postgres user; the
 * step gives it over (owner_differs).  0, or -1 after step_fail.
 */
static int
pg_before_install(struct step_ctx *ctx, const struct step_pkgs *missing)
{
	char	*dir, *path, *conf, *err = NULL, server[32];
	int	 rc;

	/* A server already there reloads its new tuning in apply. */
	snprintf(server, sizeof server, "postgresql-%d",
	    ctx->profile->database.version);
	if (!step_pkgs_has(missing, server))
		return 0;
	xasprintf(&dir, "/etc/postgresql/%d/main/conf.d",
	    ctx->profile->database.version);
	xasprintf(&path, "%s/90-dhis2.conf", dir);
	if ((conf = pg_conf_text(ctx->profile, ctx->topo, ctx->node,
	    pg_database_ram_mb(ctx), &err)) == NULL) {
		step_fail(ctx, "%s", err);
		rc = -1;
	} else if (step_run(ctx, (char *[]){ "mkdir", "-p", "-m", "0755", dir,
	    NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot create %s", dir);
		rc = -1;
	} else
		rc = step_put(ctx, path, conf, strlen(conf), 0644, NULL, NULL);
	free(err);
	free(conf);
	free(path);
	free(dir);
	return rc;
}

/* conf.d, its file and the version's directory: postgres', as packaged. */
static int
pg_chown_conf(struct step_ctx *ctx, const struct pg_state *st)
{
	const char	*conf = st->pc.files.v[PG_FILE_CONF].path;
	char		*dir, *vdir;
	int		 rc;

	dir = xstrndup(conf, strrchr(conf, '/') - conf);
	xasprintf(&vdir, "/etc/postgresql/%s", st->pc.ver);
	rc = step_run(ctx, (char *[]){ "chown", "postgres:postgres", vdir,
	    dir, (char *)conf, NULL }, NULL, 0);
	free(vdir);
	free(dir);
	if (rc != 0)
		return step_err(ctx, "cannot give %s to postgres", conf);
	return 0;
}

static enum result
pg_apply(struct step_ctx *ctx)
{
	struct pg_state	 st;
	size_t		 i;
	int		 files;

	if (pg_probe(ctx, &st) == -1 || pg_ready(ctx, &st) == -1)
		goto failed;
	if (step_packages_pending(ctx, &st.pc.pkgs, 0) > 0) {
		if (pg_server_missing(&st.pc) && pg_before_install(ctx,
		    &(struct step_pkgs){ (char *[]){ st.pc.pkg_server }, 1 }) ==
		    -1)
			goto failed;
		if (step_packages_install(ctx, &st.pc.pkgs) != 0)
			goto failed;
		/* Installing created and started the cluster: look again. */
		pg_state_free(&st);
		if (pg_probe(ctx, &st) == -1)
			goto failed;
	}
	if ((files = pg_intend(ctx, &st.pc)) == -1 ||
	    step_files_apply(ctx, &st.pc.files) == -1)
		goto failed;
	if (st.owner_differs && pg_chown_conf(ctx, &st) == -1)
		goto failed;
	if (pg_apply_service(ctx, &st, files) == -1 ||
	    pg_intent_done(ctx, &st.pc) == -1)
		goto failed;
	for (i = 0; i < st.nin; i++) {
		if (pg_apply_instance(ctx, &st.in[i], st.pc.pkg_postgis) == -1)
			goto failed;
	}
	if (pg_apply_replication(ctx, &st) == -1)
		goto failed;
	pg_state_free(&st);
	return RESULT_CHANGED;
failed:
	pg_state_free(&st);
	return RESULT_FAILED;
}

/* After apply, a fresh probe must find nothing left to do. */
static enum result
pg_verify(struct step_ctx *ctx)
{
	struct pg_state	 st;
	int		 bad;

	if (pg_probe(ctx, &st) == -1) {
		pg_state_free(&st);
		return RESULT_FAILED;
	}
	bad = pg_pending(ctx, &st, 0);
	pg_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "PostgreSQL: %d thing%s still not as "
		    "wanted after apply: see the log", bad, bad == 1 ? "" : "s");
	return RESULT_CHANGED;
}

static const char *const pg_after[] = { "base", NULL };

const struct step step_postgres = {
	.name = "postgres",
	.roles = ROLE_BIT(ROLE_DATABASE),
	.summary = "PostgreSQL and PostGIS: tuning from RAM, least-access "
	    "pg_hba, a role and database per instance; with replicas, the "
	    "replication role and a slot per replica",
	.after = pg_after,
	.check = pg_check,
	.apply = pg_apply,
	.verify = pg_verify,
	.packages = pg_packages,
	.before_install = pg_before_install,
};
