/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * exporters: on every machine and container, Debian's
 * prometheus-node-exporter; on the database node also
 * prometheus-postgres-exporter, which logs in as MONITORING_PG_ROLE (a
 * pg_monitor member, nothing else) with the secrets file's
 * monitoring.password.  The prometheus step (prometheus.c) scrapes them
 * where exporters_scrape_address() says.
 *
 * Where things listen.  An exporter on the monitor's own machine listens
 * on loopback.  In LXC it listens on the address the monitor reaches it
 * at (the container's, or the host's bridge address), which is ours and
 * always there.  On separate machines it listens on every address: the
 * profile's address may be a NAT'd one the machine does not hold, and the
 * firewall (loaded before this step) admits only the monitor to 9100 and
 * 9187.
 *
 * Secrets.  The role's password reaches PostgreSQL only as a SCRAM
 * verifier built here; the exporter reads it from a 0600 file owned by
 * its user (DATA_SOURCE_PASS_FILE), so it is in no environment file, no
 * argv and no log.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "exporters.h"
#include "profile.h"
#include "scram.h"
#include "secrets.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"

#define NODE_PKG	"prometheus-node-exporter"
#define PG_PKG		"prometheus-postgres-exporter"
#define NODE_DEFAULT	"/etc/default/prometheus-node-exporter"
#define PG_DEFAULT	"/etc/default/prometheus-postgres-exporter"
#define PG_PASS_DIR	"/etc/dhis2-setup/monitoring"
#define PG_PASS_FILE	PG_PASS_DIR "/postgres-exporter.pass"
#define EXPORTER_WAIT_S	30

#define HEAD \
    "# Written by dhis2-setup from the profile: changes here are replaced " \
    "on the\n# next apply.  See docs/monitoring.md.\n"

/* ------------------------------------------------------------------ */
/* Where things are                                                   */

const char *
exporters_scrape_address(const struct topology *t, size_t mon, size_t n)
{
	if (n == mon || mon == TOPO_NONE)
		return "127.0.0.1";
	/* A container reaches its host at the host's bridge address. */
	if (t->nodes[n].lxc_host && t->nodes[mon].kind == TOPO_CONTAINER &&
	    t->nodes[mon].host == n && t->gateway != NULL)
		return t->gateway;
	return t->nodes[n].address;
}

char *
exporters_host_port(const char *a, int port)
{
	char	*out;

	if (strchr(a, ':') != NULL)
		xasprintf(&out, "[%s]:%d", a, port);
	else
		xasprintf(&out, "%s:%d", a, port);
	return out;
}

/* Where an exporter on node n listens (see the comment at the top). */
static char *
listen_address(const struct topology *t, size_t n, int port)
{
	size_t	mon = topo_role_node(t, ROLE_MONITOR);
	char	*out;

	if (n == mon || mon == TOPO_NONE)
		return exporters_host_port("127.0.0.1", port);
	if (t->isolation == ISOLATION_LXC)
		return exporters_host_port(exporters_scrape_address(t, mon, n),
		    port);
	xasprintf(&out, ":%d", port);
	return out;
}

/* Where this machine itself asks its exporter (verify). */
static char *
local_url(const struct topology *t, size_t n, int port, const char *path)
{
	char	*l = listen_address(t, n, port), *out;

	xasprintf(&out, "http://%s%s%s", l[0] == ':' ? "127.0.0.1" : "", l,
	    path);
	free(l);
	return out;
}

/* ------------------------------------------------------------------ */
/* exporters                                                          */

/*
 * One round trip.  Arguments: DB ROLE, then the files' paths.  The
 * role's verifier is captured, never logged.
 */
static const char exporters_probe[] =
    STEP_ITEMS_SH
    "db=$1 role=$2\n"
    "shift 2\n"
    "step_items \"$@\"\n"
    "[ \"$db\" = 1 ] || exit 0\n"
    "command -v psql >/dev/null || exit 0\n"
    "echo \"SELECT 'role=' || coalesce(rolpassword, '') FROM pg_authid "
    "WHERE rolname = :'r'; SELECT 'member=' || pg_has_role(:'r', "
    "'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = :'r';\" | "
    "runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -v r=\"$role\" "
    "-d postgres 2>/dev/null && echo psql=ok\n"
    "exit 0\n";

/* The files: the node exporter's; on the database node also these two. */
#define NODE_FILE	0
#define PG_FILE		1
#define PASS_FILE	2	/* the password: secret, never diffed */

struct exp_state {
	struct step_items items;
	int		 db;		/* the database node: the pg exporter */
	const char	*password;
	int		 psql_failed;	/* PostgreSQL did not answer */
	int		 role_missing;
	int		 role_password;	/* differs */
	int		 role_member;	/* not in pg_monitor */
};

static void
exp_state_free(struct exp_state *st)
{
	step_items_free(&st->items);
	memset(st, 0, sizeof *st);
}

static char *
node_default_text(struct step_ctx *ctx)
{
	char	*l = listen_address(ctx->topo, ctx->node, PORT_NODE_EXPORTER);
	char	*out;

	xasprintf(&out, HEAD "# Debian's prometheus-node-exporter; only the "
	    "monitor may reach it.\nARGS=\"--web.listen-address=%s\"\n", l);
	free(l);
	return out;
}

/*
 * No secret here: the password is in PG_PASS_FILE.  DATA_SOURCE_NAME is
 * left unset so that the exporter builds its DSN from the parts.
 */
static char *
pg_default_text(struct step_ctx *ctx)
{
	char	*l = listen_address(ctx->topo, ctx->node, PORT_PG_EXPORTER);
	char	*out;

	xasprintf(&out, HEAD "# Debian's prometheus-postgres-exporter, as "
	    "role " MONITORING_PG_ROLE " (pg_monitor only);\n# its password is "
	    "in " PG_PASS_FILE " (0600).\n"
	    "DATA_SOURCE_URI='127.0.0.1:%d/postgres?sslmode=disable'\n"
	    "DATA_SOURCE_USER='" MONITORING_PG_ROLE "'\n"
	    "DATA_SOURCE_PASS_FILE='" PG_PASS_FILE "'\n"
	    "ARGS=\"--web.listen-address=%s\"\n", PORT_POSTGRES, l);
	free(l);
	return out;
}

/*
 * This machine's exporters: their packages, the files they read as they
 * should be, and their units, each restarted when its files change.
 */
static void
exp_wanted(struct step_ctx *ctx, struct exp_state *st)
{
	struct step_items	*it = &st->items;
	struct step_file	*f;

	step_packages_add(&it->pkgs, NODE_PKG);
	step_files_add(&it->files, NODE_DEFAULT, node_default_text(ctx), 0644,
	    "root", "root");
	step_services_add(&it->units, NODE_PKG, NODE_PKG, 1U << NODE_FILE, 0);
	if (!st->db)
		return;
	step_packages_add(&it->pkgs, PG_PKG);
	/* Debian's postinst makes the user and owns this file 0640. */
	step_files_add(&it->files, PG_DEFAULT, pg_default_text(ctx), 0640,
	    "prometheus", "prometheus");
	/* The sum of the password, never the password, is compared. */
	f = step_files_add(&it->files, PG_PASS_FILE, xstrdup(st->password !=
	    NULL ? st->password : ""), 0600, "prometheus", "prometheus");
	f->secret = 1;
	f->summary = xstrdup("write " PG_PASS_FILE " (mode 0600, owner "
	    "prometheus) from the secrets file");
	step_services_add(&it->units, PG_PKG, PG_PKG, 1U << PG_FILE |
	    1U << PASS_FILE, 0);
}

static int
exp_probe(struct step_ctx *ctx, struct exp_state *st)
{
	struct step_args	 a = { NULL, 0 };
	char			*probe, *stored;
	int			 rc;

	memset(st, 0, sizeof *st);
	st->db = (ctx->roles & ROLE_BIT(ROLE_DATABASE)) != 0;
	st->password = secrets_get(ctx->secrets, SECRET_MONITORING);
	exp_wanted(ctx, st);
	step_args_add(&a, st->db ? "1" : "0");
	step_args_add(&a, MONITORING_PG_ROLE);
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, exporters_probe, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		exp_state_free(st);
		return -1;
	}
	step_items_parse(&st->items, probe);
	if (st->db) {
		if (st->password == NULL)
			st->items.files.v[PASS_FILE].differs = 1;
		st->psql_failed = !step_probe_has(probe, "psql=ok");
		stored = step_probe_value(probe, "role=");
		st->role_missing = stored == NULL;
		st->role_password = stored == NULL || st->password == NULL ||
		    scram_matches(stored, st->password) != 1;
		if (stored != NULL)
			secure_wipe(stored, strlen(stored));
		free(stored);
		st->role_member = !step_probe_has(probe, "member=true");
	}
	secure_wipe(probe, strlen(probe));	/* it held a verifier */
	free(probe);
	return 0;
}

/*
 * What is not as wanted, in one list: check reports it (report), verify
 * counts it.  How many.
 */
static int
exp_pending(struct step_ctx *ctx, const struct exp_state *st, int report)
{
	int	n = 0;

	n += step_packages_pending(ctx, &st->items.pkgs, report);
	n += step_files_pending(ctx, &st->items.files, report);
	if (st->db) {
		n += step_pending(ctx, report, st->role_missing, "SQL: create "
		    "role " MONITORING_PG_ROLE " (login, SCRAM password, "
		    "member of pg_monitor)");
		n += step_pending(ctx, report, !st->role_missing &&
		    st->role_password, "SQL: set the password of role "
		    MONITORING_PG_ROLE " from the secrets file");
		n += step_pending(ctx, report, !st->role_missing &&
		    st->role_member, "SQL: grant pg_monitor to "
		    MONITORING_PG_ROLE);
	}
	n += step_services_pending(ctx, &st->items, report);
	return n;
}

/* An instance's role named like ours would be taken over: refuse. */
static int
role_name_free(struct step_ctx *ctx)
{
	size_t	i;

	for (i = 0; i < ctx->profile->ninstances; i++) {
		if (strcmp(ctx->profile->instances[i].name,
		    MONITORING_PG_ROLE) == 0) {
			step_fail(ctx, "instance %s has the name of the "
			    "monitoring role in PostgreSQL: rename the "
			    "instance", MONITORING_PG_ROLE);
			return 0;
		}
	}
	return 1;
}

static enum result
exp_check(struct step_ctx *ctx)
{
	struct exp_state	st;
	enum result		r;

	if (ctx->profile->monitoring != MONITORING_PROMETHEUS) {
		step_msg(ctx, "monitoring is not prometheus");
		return RESULT_SKIPPED;
	}
	if ((ctx->roles & ROLE_BIT(ROLE_DATABASE)) && !role_name_free(ctx))
		return RESULT_FAILED;
	if (exp_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the exporters' state on %s",
		    ctx->machine);
	if (st.db && st.password == NULL) {
		exp_state_free(&st);
		return step_fail(ctx, "secret '" SECRET_MONITORING "' is "
		    "missing: run dhis2-setup secrets generate");
	}
	r = exp_pending(ctx, &st, 1) > 0 ? RESULT_CHANGED : RESULT_OK;
	exp_state_free(&st);
	return r;
}

static enum result
exp_apply_role(struct step_ctx *ctx, struct exp_state *st)
{
	char	*sql, *verifier;
	int	 rc;

	if (!st->role_missing && !st->role_password && !st->role_member)
		return RESULT_OK;
	/*
	 * The verifier, not the password (lib/scram.c).  The role may log
	 * in and read the statistics pg_monitor grants; nothing else.
	 */
	verifier = scram_verifier(st->password);
	xasprintf(&sql, "SELECT 'CREATE ROLE " MONITORING_PG_ROLE " LOGIN' "
	    "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
	    MONITORING_PG_ROLE "')\n\\gexec\n"
	    "SELECT format('ALTER ROLE " MONITORING_PG_ROLE " LOGIN NOSUPERUSER "
	    "NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %%L', "
	    "'%s')\n\\gexec\n"
	    "GRANT pg_monitor TO " MONITORING_PG_ROLE ";\n", verifier);
	rc = step_run(ctx, (char *[]){ "runuser", "-u", "postgres", "--",
	    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
	    NULL }, sql, strlen(sql));
	secure_wipe(sql, strlen(sql));
	free(sql);
	free(verifier);
	if (rc != 0)
		return step_fail(ctx, "cannot create or update role "
		    MONITORING_PG_ROLE ": is PostgreSQL running? see the log");
	return RESULT_CHANGED;
}

static enum result
exp_apply(struct step_ctx *ctx)
{
	struct exp_state	 st;
	const struct step_file	*pass;

	if (exp_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the exporters' state on %s",
		    ctx->machine);
	if (step_packages_install(ctx, &st.items.pkgs) != 0)
		goto failed;
	/* The password's folder: the prometheus group may enter, no other. */
	pass = st.db ? &st.items.files.v[PASS_FILE] : NULL;
	if (pass != NULL && pass->differs && step_run(ctx, (char *[]){
	    "install", "-d", "-m", "0750", "-o", "root", "-g", "prometheus",
	    PG_PASS_DIR, NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot make " PG_PASS_DIR);
		goto failed;
	}
	if (step_services_intend(ctx, &st.items) == -1 ||
	    step_files_apply(ctx, &st.items.files) == -1)
		goto failed;
	if (st.db && exp_apply_role(ctx, &st) == RESULT_FAILED)
		goto failed;
	/* A role changed: the exporter logs in again. */
	if (st.db && (st.role_missing || st.role_password || st.role_member))
		st.items.units.v[1].stale = STEP_RESTART;
	if (step_services_apply(ctx, &st.items) == -1)
		goto failed;
	exp_state_free(&st);
	return RESULT_CHANGED;
failed:
	exp_state_free(&st);
	return RESULT_FAILED;
}

/* Polls URL on the machine until a line starts with what; bounded. */
static const char poll_script[] =
    "i=0\n"
    "until curl -sf --max-time 3 \"$1\" 2>/dev/null | grep -q \"^$2\"; do\n"
    "  i=$((i + 1))\n"
    "  [ $i -ge \"$3\" ] && exit 1\n"
    "  sleep 1\n"
    "done\n";

static int
poll_metric(struct step_ctx *ctx, const char *url, const char *what)
{
	char	wait[16];

	snprintf(wait, sizeof wait, "%d", EXPORTER_WAIT_S);
	return step_run(ctx, (char *[]){ "sh", "-c", (char *)poll_script,
	    "sh", (char *)url, (char *)what, wait, NULL }, NULL, 0);
}

/* Converged, and the exporters answer: pg_up 1 proves the role. */
static enum result
exp_verify(struct step_ctx *ctx)
{
	struct exp_state	 st;
	char			*url;
	int			 bad, rc;

	if (exp_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the exporters' state on %s",
		    ctx->machine);
	bad = exp_pending(ctx, &st, 0);
	exp_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "exporters: %d thing%s still not as "
		    "wanted after apply: see the log", bad, bad == 1 ? "" : "s");
	url = local_url(ctx->topo, ctx->node, PORT_NODE_EXPORTER, "/metrics");
	rc = poll_metric(ctx, url, "node_exporter_build_info");
	free(url);
	if (rc != 0)
		return step_fail(ctx, NODE_PKG " does not answer on port %d: "
		    "see journalctl -u " NODE_PKG, PORT_NODE_EXPORTER);
	if (!(ctx->roles & ROLE_BIT(ROLE_DATABASE)))
		return RESULT_CHANGED;
	url = local_url(ctx->topo, ctx->node, PORT_PG_EXPORTER, "/metrics");
	rc = poll_metric(ctx, url, "pg_up 1");
	free(url);
	if (rc != 0)
		return step_fail(ctx, PG_PKG " does not reach PostgreSQL (pg_up "
		    "is not 1): see journalctl -u " PG_PKG " and pg_hba.conf's "
		    "line for " MONITORING_PG_ROLE);
	return RESULT_CHANGED;
}

/*
 * After the firewall: an exporter is never up before only the monitor may
 * reach it; after postgres, which writes the role's pg_hba line; on an
 * LXC host after lxc, which makes the bridge address it listens on.
 */
static const char *const exp_after[] = { "base", "lxc", "firewall",
	"postgres", NULL };

const struct step step_exporters = {
	.name = "exporters",
	.roles = 0,
	.summary = "monitoring: prometheus: node exporter on every machine, "
	    "the PostgreSQL exporter as a pg_monitor role on the database",
	.after = exp_after,
	.check = exp_check,
	.apply = exp_apply,
	.verify = exp_verify,
};
