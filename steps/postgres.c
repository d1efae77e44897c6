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
 * itself (src/scram.c) and compares the stored one without changing it,
 * so a converged run neither sets a password nor reloads anything.
 *
 * PostgreSQL is reloaded when a setting changed and restarted only when
 * PostgreSQL itself says a changed setting needs it (pending_restart).
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
#include "monitoring.h"
#include "profile.h"
#include "scram.h"
#include "secrets.h"
#include "step.h"
#include "topology.h"
#include "step_probe.h"
#include "transport.h"
#include "tuning.h"

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
static const char probe_script[] =
    "v=$1 conf=$2 hba=$3\n"
    "shift 3\n"
    "for f in \"$conf\" \"$hba\"; do\n"
    "  if [ -f \"$f\" ]; then echo \"sum=$(sha256sum < \"$f\" | cut -d' ' -f1) $f\"\n"
    "  else echo \"sum=none $f\"; fi\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' "
    "\"postgresql-$v\" \"postgresql-$v-postgis-3\" 2>/dev/null\n"
    "command -v pg_lsclusters >/dev/null || exit 0\n"
    "c=$(pg_lsclusters -h 2>/dev/null)\n"
    "echo \"$c\" | awk -v v=\"$v\" "
    "'$1 == v && $2 == \"main\" { print \"cluster=\" $4 }'\n"
    "echo \"$c\" | grep -q \"^$v *main .*online\" || exit 0\n"
    /* psql itself, not Debian's Perl wrapper, at the cluster's port */
    "port=$(echo \"$c\" | awk -v v=\"$v\" '$1 == v && $2 == \"main\" "
    "{ print $3 }')\n"
    "psql=/usr/lib/postgresql/$v/bin/psql\n"
    "[ -x \"$psql\" ] || psql=psql\n"
    "cd /\n"
    "q() { runuser -u postgres -- \"$psql\" -XAtq -p \"$port\" "
    "-v ON_ERROR_STOP=1 \"$@\"; }\n"
    "echo \"SELECT 'role=' || rolname || ' ' || coalesce(rolpassword, '') "
    "FROM pg_authid WHERE rolname !~ '^pg_'; SELECT 'db=' || datname || "
    "' ' || pg_get_userbyid(datdba) FROM pg_database; SELECT "
    "'pending_restart=' || count(*) FROM pg_settings WHERE pending_restart;\" "
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

struct pg_state {
	char		*conf_path;
	char		*hba_path;
	char		*conf;		/* wanted contents */
	char		*hba;
	char		 pkg_server[32];
	char		 pkg_postgis[48];
	int		 server_missing;
	int		 postgis_missing;
	int		 conf_differs;
	int		 hba_differs;
	int		 cluster_missing;
	int		 cluster_down;
	int		 pending_restart;
	struct pg_instance *in;
	size_t		 nin;
};

static int
single_host(const struct profile *p)
{
	return p->isolation == ISOLATION_SINGLE_HOST;
}

/*
 * Does PostgreSQL share this machine's RAM with Tomcat?  On one server,
 * when this machine also plays app, and in LXC containers, which all see
 * (and share) the host's memory.
 */
static int
shares_ram(struct step_ctx *ctx)
{
	return single_host(ctx->profile) ||
	    ctx->profile->isolation == ISOLATION_LXC ||
	    (ctx->roles & ROLE_BIT(ROLE_APP));
}

/* Does any client reach this database over a network? */
static int
clients_cross_network(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	size_t			 i;

	for (i = 0; i < t->nnodes; i++) {
		if ((t->nodes[i].roles & (ROLE_BIT(ROLE_APP) |
		    ROLE_BIT(ROLE_REPLICA))) &&
		    topo_crosses_network(t, i, ctx->node))
			return 1;
	}
	return 0;
}

/* RAM PostgreSQL gets on this machine: all of it, or its share. */
static long long
database_ram_mb(struct step_ctx *ctx)
{
	const struct facts	*f = step_facts(ctx);
	long long		 db, app;

	memory_split(f->mem_mb > 0 ? f->mem_mb : 4096, shares_ram(ctx),
	    ctx->profile->ninstances, &db, &app);
	return db;
}

/* Are all its clients on this machine? */
static int
local_clients_only(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	size_t			 i;

	for (i = 0; i < t->nnodes; i++) {
		if (i != ctx->node && (t->nodes[i].roles &
		    (ROLE_BIT(ROLE_APP) | ROLE_BIT(ROLE_REPLICA))))
			return 0;
	}
	return 1;
}

static char *
wanted_conf(struct step_ctx *ctx)
{
	struct pg_settings	 s;
	char			*tuning, *out;
	long long		 ram = database_ram_mb(ctx);

	pg_settings_derive(ram, ctx->profile->database.tuning.auto_tune ?
	    NULL : &ctx->profile->database.tuning, &s);
	tuning = pg_settings_conf(&s);
	/*
	 * On one server only Tomcat on the same host connects; elsewhere
	 * PostgreSQL listens on the network, with TLS where its clients
	 * cross one, and the firewall and pg_hba.conf narrow it down to the
	 * application hosts.
	 */
	xasprintf(&out, "%s# Derived from %lld MB of RAM for the database.\n"
	    "listen_addresses = '%s'\n%s", tuning, ram,
	    local_clients_only(ctx) ? "localhost" : "*",
	    clients_cross_network(ctx) ? "ssl = on\n" : "");
	free(tuning);
	return out;
}

/* An address as pg_hba.conf wants it: a CIDR for IPs, else the name. */
static char *
hba_address(const char *addr)
{
	char	*out;

	if (valid_ipv4(addr))
		xasprintf(&out, "%s/32", addr);
	else if (strchr(addr, ':') != NULL)
		xasprintf(&out, "%s/128", addr);
	else
		out = xstrdup(addr);
	return out;
}

static void
hba_line(struct strbuf *sb, const char *type, const char *db,
    const char *role, const char *addr)
{
	char	*line, *a = hba_address(addr);

	xasprintf(&line, "%-8s%-16s%-16s%-40sscram-sha-256\n", type, db, role,
	    a);
	strbuf_add(sb, line, strlen(line));
	free(line);
	free(a);
}

/*
 * Least access: the postgres superuser over the local socket (peer),
 * each instance's role to its own database from each application host,
 * and with monitoring the exporter's role from this machine only.
 */
static char *
wanted_hba(struct step_ctx *ctx)
{
	static const char head[] =
	    "# Written by dhis2-setup: changes here are replaced on the next "
	    "apply.\n# TYPE  DATABASE        USER            ADDRESS"
	    "                                 METHOD\n"
	    "local   all             postgres                "
	    "                                peer\n";
	const struct profile	*p = ctx->profile;
	const struct topology	*t = ctx->topo;
	struct strbuf		 sb = { NULL, 0, 0 };
	size_t			 i, m;

	strbuf_add(&sb, head, sizeof head - 1);
	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];

		for (m = 0; m < t->nnodes; m++) {
			if (!topo_runs_instance(t, m, i))
				continue;
			if (m == ctx->node) {
				hba_line(&sb, "host", instance_db_name(in),
				    in->name, "127.0.0.1");
				hba_line(&sb, "host", instance_db_name(in),
				    in->name, "::1");
				continue;
			}
			/* Only TLS where the connection crosses a network. */
			hba_line(&sb, topo_crosses_network(t, m, ctx->node) ?
			    "hostssl" : "host", instance_db_name(in), in->name,
			    t->nodes[m].address);
		}
	}
	/* The PostgreSQL exporter runs here and reads statistics only. */
	if (p->monitoring == MONITORING_PROMETHEUS) {
		hba_line(&sb, "host", "postgres", MONITORING_PG_ROLE,
		    "127.0.0.1");
		hba_line(&sb, "host", "postgres", MONITORING_PG_ROLE, "::1");
	}
	return sb.buf;
}

static void
pg_state_free(struct pg_state *st)
{
	free(st->conf_path);
	free(st->hba_path);
	free(st->conf);
	free(st->hba);
	free(st->in);
	memset(st, 0, sizeof *st);
}

/* The verifier stored for role in the probe's output; NULL if none. */
static char *
stored_verifier(const char *probe, const char *role)
{
	char		*key, *out = NULL;
	const char	*p, *end;
	size_t		 klen;

	xasprintf(&key, "role=%s ", role);
	klen = strlen(key);
	for (p = probe; (p = strstr(p, key)) != NULL; p += klen) {
		if (p != probe && p[-1] != '\n')
			continue;
		end = strchr(p + klen, '\n');
		out = xstrndup(p + klen, end != NULL ? (size_t)(end - p - klen) :
		    strlen(p + klen));
		break;
	}
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
		xasprintf(&line, "%s.db_password", pi->role);
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

static int
pg_probe(struct step_ctx *ctx, struct pg_state *st)
{
	const struct profile	*p = ctx->profile;
	char			*argv[16 + PROFILE_MAX_ITEMS], *probe, *line;
	char			 ver[8];
	size_t			 i, k = 0;

	memset(st, 0, sizeof *st);
	snprintf(ver, sizeof ver, "%d", p->database.version);
	xasprintf(&st->conf_path, "/etc/postgresql/%s/main/conf.d/"
	    "90-dhis2.conf", ver);
	xasprintf(&st->hba_path, "/etc/postgresql/%s/main/pg_hba.conf", ver);
	snprintf(st->pkg_server, sizeof st->pkg_server, "postgresql-%s", ver);
	snprintf(st->pkg_postgis, sizeof st->pkg_postgis,
	    "postgresql-%s-postgis-3", ver);
	st->conf = wanted_conf(ctx);
	st->hba = wanted_hba(ctx);

	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)probe_script;
	argv[k++] = "sh";
	argv[k++] = ver;
	argv[k++] = st->conf_path;
	argv[k++] = st->hba_path;
	for (i = 0; i < p->ninstances && i < PROFILE_MAX_ITEMS; i++)
		argv[k++] = (char *)instance_db_name(&p->instances[i]);
	argv[k] = NULL;
	if (step_capture(ctx, argv, &probe) != 0) {
		free(probe);
		return -1;
	}
	xasprintf(&line, "pkg=%s ii ", st->pkg_server);
	st->server_missing = !step_probe_has(probe, line);
	free(line);
	xasprintf(&line, "pkg=%s ii ", st->pkg_postgis);
	st->postgis_missing = !step_probe_has(probe, line);
	free(line);
	st->conf_differs = step_probe_sum_differs(probe, st->conf_path,
	    st->conf);
	st->hba_differs = step_probe_sum_differs(probe, st->hba_path, st->hba);
	st->cluster_missing = strstr(probe, "cluster=") == NULL;
	st->cluster_down = !step_probe_has(probe, "cluster=online");
	st->pending_restart = strstr(probe, "pending_restart=0") == NULL &&
	    strstr(probe, "pending_restart=") != NULL;
	probe_instances(ctx, st, probe);
	secure_wipe(probe, strlen(probe));	/* it held verifiers */
	free(probe);
	return 0;
}

static int
pg_secrets_present(struct step_ctx *ctx, struct pg_state *st)
{
	size_t	i;

	for (i = 0; i < st->nin; i++) {
		if (st->in[i].password == NULL) {
			step_fail(ctx, "secret '%s.db_password' is missing: run "
			    "dhis2-setup secrets generate", st->in[i].role);
			return 0;
		}
	}
	return 1;
}

static enum result
pg_check(struct step_ctx *ctx)
{
	struct pg_state	 st;
	size_t		 i;

	if (pg_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read PostgreSQL's state on %s",
		    ctx->machine);
	if (!pg_secrets_present(ctx, &st)) {
		pg_state_free(&st);
		return RESULT_FAILED;
	}
	if (st.server_missing)
		step_would(ctx, "install package %s", st.pkg_server);
	if (st.postgis_missing)
		step_would(ctx, "install package %s", st.pkg_postgis);
	if (st.conf_differs)
		step_file_differs(ctx, st.conf_path, st.conf, strlen(st.conf),
		    0644, 1);
	if (st.hba_differs)
		step_file_differs(ctx, st.hba_path, st.hba, strlen(st.hba),
		    0640, 1);
	if (!st.server_missing && st.cluster_down)
		step_would(ctx, "start PostgreSQL %d", ctx->profile->database.version);
	for (i = 0; i < st.nin; i++) {
		struct pg_instance *pi = &st.in[i];

		if (pi->role_missing)
			step_would(ctx, "SQL: create role %s (login, SCRAM "
			    "password)", pi->role);
		else if (pi->password_differs)
			step_would(ctx, "SQL: set the password of role %s from "
			    "the secrets file", pi->role);
		if (pi->db_missing)
			step_would(ctx, "SQL: create database %s owned by %s",
			    pi->db, pi->role);
		if (pi->extensions_missing)
			step_would(ctx, "SQL: create extensions postgis, "
			    "btree_gin, pg_trgm in %s", pi->db);
	}
	pg_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* psql as the postgres superuser, SQL on stdin (never on argv). */
static int
pg_sql(struct step_ctx *ctx, const char *db, const char *sql)
{
	return step_run(ctx, (char *[]){ "runuser", "-u", "postgres", "--",
	    "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", (char *)db,
	    NULL }, sql, strlen(sql));
}

static enum result
pg_apply_instance(struct step_ctx *ctx, struct pg_instance *pi)
{
	char		*sql, *verifier;
	int		 rc;

	if (pi->role_missing || pi->password_differs) {
		/*
		 * The verifier, not the password: PostgreSQL stores it as
		 * given, and an error message that quotes the statement
		 * shows no password.  Names were validated as [a-z0-9_-].
		 */
		verifier = scram_verifier(pi->password);
		xasprintf(&sql, "SELECT format('CREATE ROLE %%I LOGIN', '%s') "
		    "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
		    "'%s')\n\\gexec\nSELECT format('ALTER ROLE %%I PASSWORD "
		    "%%L', '%s', '%s')\n\\gexec\n", pi->role, pi->role,
		    pi->role, verifier);
		rc = pg_sql(ctx, "postgres", sql);
		secure_wipe(sql, strlen(sql));
		free(sql);
		free(verifier);
		if (rc != 0)
			return step_fail(ctx, "cannot create or update role %s: "
			    "see the log", pi->role);
	}
	if (pi->db_missing) {
		xasprintf(&sql, "SELECT format('CREATE DATABASE %%I OWNER %%I "
		    "ENCODING ''UTF8'' TEMPLATE template0', '%s', '%s') WHERE "
		    "NOT EXISTS (SELECT FROM pg_database WHERE datname = "
		    "'%s')\n\\gexec\n", pi->db, pi->role, pi->db);
		rc = pg_sql(ctx, "postgres", sql);
		free(sql);
		if (rc != 0)
			return step_fail(ctx, "cannot create database %s",
			    pi->db);
	}
	/* Extensions need a superuser: DHIS2's own role cannot add them. */
	if (pi->extensions_missing && pg_sql(ctx, pi->db,
	    "CREATE EXTENSION IF NOT EXISTS postgis;\n"
	    "CREATE EXTENSION IF NOT EXISTS btree_gin;\n"
	    "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n") != 0)
		return step_fail(ctx, "cannot create the extensions in %s: is "
		    "%s-postgis-3 installed?", pi->db, "postgresql");
	return RESULT_CHANGED;
}

static enum result
pg_apply_service(struct step_ctx *ctx, struct pg_state *st, int files_changed)
{
	char	ver[8], *out = NULL;
	int	pending;

	snprintf(ver, sizeof ver, "%d", ctx->profile->database.version);
	if (st->cluster_missing && step_run(ctx, (char *[]){ "pg_createcluster",
	    ver, "main", "--start", NULL }, NULL, 0) != 0)
		return step_fail(ctx, "cannot create the PostgreSQL %s cluster",
		    ver);
	if (st->cluster_down || st->cluster_missing) {
		if (step_run(ctx, (char *[]){ "pg_ctlcluster", ver, "main",
		    "start", NULL }, NULL, 0) != 0)
			return step_fail(ctx, "PostgreSQL %s does not start: see "
			    "/var/log/postgresql/postgresql-%s-main.log", ver,
			    ver);
		return RESULT_CHANGED;
	}
	if (!files_changed)
		return RESULT_OK;
	if (step_run(ctx, (char *[]){ "pg_ctlcluster", ver, "main", "reload",
	    NULL }, NULL, 0) != 0)
		return step_fail(ctx, "PostgreSQL %s refused the new settings: "
		    "see its log", ver);
	/* Only a setting PostgreSQL says needs it makes us restart. */
	if (step_capture(ctx, (char *[]){ "runuser", "-u", "postgres", "--",
	    "psql", "-XAtq", "-d", "postgres", "-c", "SELECT count(*) FROM "
	    "pg_settings WHERE pending_restart", NULL }, &out) != 0) {
		free(out);
		return step_fail(ctx, "cannot ask PostgreSQL whether it needs "
		    "a restart");
	}
	pending = atoi(out) > 0;
	free(out);
	if (pending && step_run(ctx, (char *[]){ "pg_ctlcluster", ver, "main",
	    "restart", NULL }, NULL, 0) != 0)
		return step_fail(ctx, "PostgreSQL %s did not restart with the "
		    "new settings: see its log", ver);
	if (pending)
		step_note(ctx, "PostgreSQL restarted: a changed setting "
		    "(shared_buffers or max_connections) needs it");
	return RESULT_CHANGED;
}

static enum result
pg_apply(struct step_ctx *ctx)
{
	struct pg_state	 st;
	const char	*pkgs[3];
	size_t		 i, n = 0;

	if (pg_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read PostgreSQL's state on %s",
		    ctx->machine);
	if (!pg_secrets_present(ctx, &st))
		goto out_failed;
	if (st.server_missing)
		pkgs[n++] = st.pkg_server;
	if (st.postgis_missing)
		pkgs[n++] = st.pkg_postgis;
	pkgs[n] = NULL;
	if (n > 0) {
		if (step_apt_install(ctx, pkgs) != 0)
			goto out_failed;
		/* Installing created and started the cluster: look again. */
		pg_state_free(&st);
		if (pg_probe(ctx, &st) == -1)
			return step_fail(ctx, "cannot read PostgreSQL's state");
	}
	if (st.conf_differs && step_put(ctx, st.conf_path, st.conf,
	    strlen(st.conf), 0644, "postgres", "postgres") == -1)
		goto out_failed;
	if (st.hba_differs && step_put(ctx, st.hba_path, st.hba,
	    strlen(st.hba), 0640, "postgres", "postgres") == -1)
		goto out_failed;
	if (pg_apply_service(ctx, &st, st.conf_differs || st.hba_differs) ==
	    RESULT_FAILED)
		goto out_failed;
	for (i = 0; i < st.nin; i++) {
		if (pg_apply_instance(ctx, &st.in[i]) == RESULT_FAILED)
			goto out_failed;
	}
	pg_state_free(&st);
	return RESULT_CHANGED;
out_failed:
	pg_state_free(&st);
	return RESULT_FAILED;
}

/* After apply, a fresh probe must find nothing left to do. */
static enum result
pg_verify(struct step_ctx *ctx)
{
	struct pg_state	 st;
	size_t		 i;
	int		 bad;

	if (pg_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read PostgreSQL's state on %s",
		    ctx->machine);
	bad = st.server_missing + st.postgis_missing + st.conf_differs +
	    st.hba_differs + st.cluster_down + st.pending_restart;
	for (i = 0; i < st.nin; i++)
		bad += st.in[i].role_missing + st.in[i].password_differs +
		    st.in[i].db_missing + st.in[i].extensions_missing;
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
	    "pg_hba, a role and database per instance",
	.after = pg_after,
	.check = pg_check,
	.apply = pg_apply,
	.verify = pg_verify,
};
