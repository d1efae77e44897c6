/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * replica: a PostgreSQL read replica of the primary (the database node),
 * streaming through its own physical replication slot.  The same
 * PostgreSQL major and PostGIS as the primary; the cluster is a physical
 * copy made by pg_basebackup -R -S SLOT over TLS where the link crosses a
 * network; conf.d tuning from the replica's own RAM, hot standby; a
 * pg_hba.conf that lets the application hosts read (the DHIS2 roles and
 * their passwords come with the copy).
 *
 * The replication password is in a passfile (0600, postgres), named by
 * PGPASSFILE for pg_basebackup, which -R then records as passfile= in
 * primary_conninfo: it is on no command line and in no setting, and the
 * WAL receiver reads the same file when it reconnects.
 *
 * Idempotent: a replica streaming from this primary through its slot is
 * left alone (its files compared by sum, reloaded on a change).  One
 * that is not a standby of this primary -- a fresh cluster, a former
 * primary, a copy whose slot was lost -- is rebuilt: its data directory
 * is emptied and copied anew.  plan says so as a destructive action on
 * that replica; nothing is ever removed on the primary.  A standby that
 * is only reconnecting gets a minute to stream before it is judged.
 *
 * The replication step (replication.c) proves it from the primary's
 * side once every replica is done.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "postgres.h"
#include "profile.h"
#include "secrets.h"
#include "stack.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define PASSFILE	"/var/lib/postgresql/.dhis2-replication.pass"
#define STREAM_WAIT_S	60	/* a standby reconnecting after a restart */

/* Backslash before ':' and '\', as libpq reads a password file field. */
static void
passfile_field(struct strbuf *sb, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == ':' || *v == '\\')
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, v, 1);
	}
}

/*
 * The passfile's one line: the primary's address, 5432, the pseudo
 * database "replication" that physical replication connects to, the
 * role and the password.  Caller wipes and frees.
 */
char *
replica_passfile(const char *host, const char *password)
{
	static const char	mid[] = ":" PORT_STR(PORT_POSTGRES)
				    ":replication:" PG_REPLICATION_ROLE ":";
	struct strbuf		sb = { NULL, 0, 0 };

	passfile_field(&sb, host);
	strbuf_add(&sb, mid, strlen(mid));
	passfile_field(&sb, password);
	strbuf_add(&sb, "\n", 2);	/* and the NUL */
	return sb.buf;
}

/*
 * Where replica node streams from, as pg_basebackup's -d takes it (and
 * -R records it): no password.  TLS required where the link crosses a
 * network, as for the application hosts; application_name names the
 * replica in the primary's pg_stat_replication.
 */
char *
replica_conninfo(const struct topology *t, size_t node, const char *passfile)
{
	size_t	 primary = topo_role_node(t, ROLE_DATABASE);
	char	*out;

	xasprintf(&out, "host=%s port=" PORT_STR(PORT_POSTGRES)
	    " user=" PG_REPLICATION_ROLE " sslmode=%s application_name=%s "
	    "passfile=%s",
	    topo_reach(t, node, primary), topo_crosses_network(t, node,
	    primary) ? "require" : "prefer", t->nodes[node].name, passfile);
	return out;
}

/*
 * One round trip: sums of the three files, packages, the cluster's state
 * and data directory, and when it runs whether it is in recovery and
 * what its WAL receiver does.  Arguments: VERSION CONF HBA PASSFILE.
 */
static const char probe_script[] = STEP_FILES_SH
    "v=$1\n"
    "shift\n"
    "step_sums \"$@\"\n"
    PG_CLUSTER_SH
    "echo \"SELECT 'recovery=' || pg_is_in_recovery(); SELECT 'receiver=' || "
    "status || ' ' || coalesce(sender_host, '-') || ' ' || "
    "coalesce(slot_name, '-') FROM pg_stat_wal_receiver; SELECT "
    "'pending_restart=' || count(*) FROM pg_settings WHERE "
    "pending_restart;\" | runuser -u postgres -- \"$psql\" -XAtq -p "
    "\"$port\" -d postgres 2>/dev/null\n"
    "exit 0\n";

enum standby {
	SB_STREAMING,		/* from this primary, through its slot */
	SB_RECONNECTING,	/* in recovery, not streaming from it now */
	SB_DOWN,		/* a cluster that does not run */
	SB_NONE,		/* no cluster, or one that is not a standby */
};

struct rep_state {
	/* Packages, conf.d file, pg_hba.conf and the passfile (secret). */
	struct pg_common pc;
	char		 slot[64];
	char		 datadir[256];
	char		*conninfo;
	const char	*primary;	/* its address from here */
	int		 cluster_missing;
	int		 pending_restart;
	enum standby	 standby;
	char		 receiver[96];	/* what the WAL receiver said */
};

static void
rep_state_free(struct rep_state *st)
{
	pg_common_free(&st->pc);	/* wipes the passfile's text */
	free(st->conninfo);
	memset(st, 0, sizeof *st);
}

/* The probe's value after prefix, into buf ("" when absent). */
static void
probe_value(const char *probe, const char *prefix, char *buf, size_t len)
{
	char	*v = step_probe_value(probe, prefix);

	snprintf(buf, len, "%s", v != NULL ? v : "");
	free(v);
}

/* What the files should hold; -1 after step_fail. */
static int
rep_wanted(struct step_ctx *ctx, struct rep_state *st)
{
	const struct topology	*t = ctx->topo;
	struct step_file	*f;
	const char		*pw;
	size_t			 primary = topo_role_node(t, ROLE_DATABASE);

	memset(st, 0, sizeof *st);
	if (primary == TOPO_NONE)
		return step_err(ctx, "no database machine to replicate");
	if ((pw = secrets_get(ctx->secrets, SECRET_REPLICATION)) == NULL)
		return step_err(ctx, "secret '" SECRET_REPLICATION "' is "
		    "missing: run dhis2-setup secrets generate");
	pg_slot_name(t, ctx->node, st->slot, sizeof st->slot);
	st->primary = topo_reach(t, ctx->node, primary);
	if (pg_common_wanted(ctx, &st->pc) == -1)
		return -1;
	/* Its content is secret: no diff. */
	f = step_files_add(&st->pc.files, PASSFILE, replica_passfile(
	    st->primary, pw), 0600, "postgres", "postgres");
	f->secret = 1;
	f->summary = xstrdup("write " PASSFILE " (mode 0600, postgres) with "
	    "the replication password from the secrets file");
	st->conninfo = replica_conninfo(t, ctx->node, PASSFILE);
	return 0;
}

static int
rep_probe(struct step_ctx *ctx, struct rep_state *st)
{
	char	*probe = NULL, cluster[64], recovery[16], want[160];

	if (pg_common_probe(ctx, &st->pc, probe_script, NULL, &probe) == -1)
		return -1;
	probe_value(probe, "cluster=", cluster, sizeof cluster);
	probe_value(probe, "datadir=", st->datadir, sizeof st->datadir);
	/* No cluster yet: where pg_createcluster puts it. */
	if (st->datadir[0] == '\0')
		snprintf(st->datadir, sizeof st->datadir,
		    "/var/lib/postgresql/%s/main", st->pc.ver);
	probe_value(probe, "recovery=", recovery, sizeof recovery);
	probe_value(probe, "receiver=", st->receiver, sizeof st->receiver);
	st->cluster_missing = cluster[0] == '\0';
	st->pending_restart = step_probe_has_key(probe, "pending_restart=") &&
	    !step_probe_has(probe, "pending_restart=0");
	snprintf(want, sizeof want, "streaming %s %s", st->primary, st->slot);
	if (st->cluster_missing)
		st->standby = SB_NONE;
	else if (strncmp(cluster, "online", 6) != 0)
		st->standby = SB_DOWN;
	else if (strcmp(recovery, "true") != 0)
		st->standby = SB_NONE;
	else if (strcmp(st->receiver, want) == 0)
		st->standby = SB_STREAMING;
	else
		st->standby = SB_RECONNECTING;
	free(probe);
	return 0;
}

static int
rep_load(struct step_ctx *ctx, struct rep_state *st)
{
	if (rep_wanted(ctx, st) == -1)
		return -1;
	return rep_probe(ctx, st);
}

static void
would_rebuild(struct step_ctx *ctx, const struct rep_state *st,
    const char *why)
{
	step_would(ctx, "REBUILD this replica (destructive, on %s only: its "
	    "data directory %s is emptied) %s: copy %s with pg_basebackup "
	    "through slot %s, then start it as a hot standby", ctx->machine,
	    st->datadir, why, st->primary, st->slot);
}

static enum result
rep_check(struct step_ctx *ctx)
{
	struct rep_state	st;

	if (rep_load(ctx, &st) == -1) {
		rep_state_free(&st);
		return RESULT_FAILED;
	}
	pg_common_pending(ctx, &st.pc, 1);
	switch (st.standby) {
	case SB_STREAMING:
		if (st.pc.files.v[PG_FILE_CONF].differs ||
		    st.pc.files.v[PG_FILE_HBA].differs)
			step_would(ctx, "reload PostgreSQL %s", st.pc.ver);
		break;
	case SB_RECONNECTING:
		step_would(ctx, "wait up to %d s for it to stream from %s "
		    "(WAL receiver now: %s)", STREAM_WAIT_S, st.primary,
		    st.receiver[0] ? st.receiver : "none");
		would_rebuild(ctx, &st, "if it does not");
		break;
	case SB_DOWN:
		step_would(ctx, "start PostgreSQL %s", st.pc.ver);
		would_rebuild(ctx, &st, "if it is then no standby streaming "
		    "from the primary");
		break;
	case SB_NONE:
		would_rebuild(ctx, &st, pg_server_missing(&st.pc) ?
		    "once installed" : "as it is no standby of the primary");
		break;
	}
	rep_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/*
 * Stop the cluster, empty its data directory (kept: it may be a mount
 * point) and copy the primary into it as postgres, then start it.  The
 * password reaches pg_basebackup through the passfile alone.
 * Arguments: VERSION DATADIR CONNINFO SLOT.
 */
static const char rebuild_script[] =
    "v=$1 data=$2 conninfo=$3 slot=$4\n"
    "case $data in /?*/?*) ;; *) echo \"refusing to empty $data\" >&2; "
    "exit 1;; esac\n"
    "cd / || exit 1\n"
    "pg_ctlcluster \"$v\" main stop -m fast 2>/dev/null\n"
    "install -d -o postgres -g postgres -m 0700 \"$data\" || exit 1\n"
    "find \"$data\" -mindepth 1 -delete || exit 1\n"
    "runuser -u postgres -- \"/usr/lib/postgresql/$v/bin/pg_basebackup\" "
    "-d \"$conninfo\" -D \"$data\" -R -S \"$slot\" -X stream -c fast -w "
    "|| exit 1\n"
    "pg_ctlcluster \"$v\" main start\n";

static int
rebuild(struct step_ctx *ctx, const struct rep_state *st)
{
	step_note(ctx, "rebuilding the replica on %s from %s (its data "
	    "directory %s is replaced)", ctx->machine, st->primary,
	    st->datadir);
	if (step_probe_run(ctx, NULL, rebuild_script, st->pc.ver, st->datadir,
	    st->conninfo, st->slot, NULL) != 0)
		return step_err(ctx, "the copy of %s failed: see the log (is "
		    "the primary's slot %s there, and does its pg_hba.conf let "
		    "%s in?)", st->primary, st->slot, ctx->machine);
	return 0;
}

/* Poll until the replica streams from the primary, up to wait_s. */
static int
wait_streaming(struct step_ctx *ctx, struct rep_state *st, int wait_s)
{
	time_t	until = time(NULL) + wait_s;

	for (;;) {
		if (rep_probe(ctx, st) == -1)
			return -1;
		if (st->standby == SB_STREAMING)
			return 0;
		if (time(NULL) >= until)
			return 1;
		sleep(2);
	}
}

static enum result
rep_apply(struct step_ctx *ctx)
{
	struct rep_state	 st;
	int			 files;

	if (rep_load(ctx, &st) == -1)
		goto failed;
	if (step_packages_pending(ctx, &st.pc.pkgs, 0) > 0 &&
	    (step_packages_install(ctx, &st.pc.pkgs) != 0 ||
	    rep_probe(ctx, &st) == -1))
		goto failed;
	/* The files live in the cluster's folder under /etc: make it first. */
	if (st.cluster_missing && (step_run(ctx, (char *[]){
	    "pg_createcluster", st.pc.ver, "main", NULL }, NULL, 0) != 0 ||
	    rep_probe(ctx, &st) == -1)) {
		step_fail(ctx, "cannot create the PostgreSQL %s cluster",
		    st.pc.ver);
		goto failed;
	}
	if ((files = pg_intend(ctx, &st.pc)) == -1 ||
	    step_files_apply(ctx, &st.pc.files) == -1)
		goto failed;
	if (st.standby == SB_DOWN) {
		step_run(ctx, (char *[]){ "pg_ctlcluster", st.pc.ver, "main",
		    "start", NULL }, NULL, 0);
		if (rep_probe(ctx, &st) == -1)
			goto failed;
		files = 0;	/* read at start */
	}
	if (st.standby == SB_RECONNECTING) {
		if (files && pg_reload(ctx, st.pc.ver) == -1)
			goto failed;
		files = 0;
		if (wait_streaming(ctx, &st, STREAM_WAIT_S) == -1)
			goto failed;
	}
	if (st.standby != SB_STREAMING) {
		if (rebuild(ctx, &st) == -1)
			goto failed;
	} else if (files && pg_reload(ctx, st.pc.ver) == -1)
		goto failed;
	if (pg_intent_done(ctx, &st.pc) == -1)
		goto failed;
	rep_state_free(&st);
	return RESULT_CHANGED;
failed:
	rep_state_free(&st);
	return RESULT_FAILED;
}

/* Files as written, nothing pending, and streaming from the primary. */
static enum result
rep_verify(struct step_ctx *ctx)
{
	struct rep_state	st;
	int			rc;

	if (rep_wanted(ctx, &st) == -1) {
		rep_state_free(&st);
		return RESULT_FAILED;
	}
	rc = wait_streaming(ctx, &st, STREAM_WAIT_S);
	if (rc == 0 && (pg_common_pending(ctx, &st.pc, 0) > 0 ||
	    st.pending_restart))
		rc = step_err(ctx, "the replica's files or packages are not "
		    "as wanted after apply: see the log");
	else if (rc == 1)
		rc = step_err(ctx, "the replica on %s does not stream from %s "
		    "after %d s (WAL receiver: %s): see /var/log/postgresql/"
		    "postgresql-%s-main.log there", ctx->machine, st.primary,
		    STREAM_WAIT_S, st.receiver[0] ? st.receiver : "none",
		    st.pc.ver);
	rep_state_free(&st);
	return rc == 0 ? RESULT_CHANGED : RESULT_FAILED;
}

static const char *const rep_after[] = { "base", NULL };
/* The primary's role, pg_hba line and slot come first. */
static const char *const rep_after_anywhere[] = { "postgres", NULL };

const struct step step_replica = {
	.name = "replica",
	.roles = ROLE_BIT(ROLE_REPLICA),
	.summary = "PostgreSQL read replica: a pg_basebackup copy of the "
	    "primary streaming through its slot, hot standby, tuning from "
	    "RAM, the app hosts let in; rebuilt only when it is no standby "
	    "of the primary",
	.after = rep_after,
	.after_anywhere = rep_after_anywhere,
	.check = rep_check,
	.apply = rep_apply,
	.verify = rep_verify,
};
