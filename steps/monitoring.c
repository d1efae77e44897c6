/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * monitoring: Prometheus from Debian's archive, two steps.
 *
 *  exporters   every machine and container: prometheus-node-exporter; on
 *              the database node also prometheus-postgres-exporter, which
 *              logs in as MONITORING_PG_ROLE (a pg_monitor member, nothing
 *              else) with the secrets file's monitoring.password.
 *  prometheus  the monitor node (the server itself on single-host, the
 *              monitor container with lxc, the monitor machine): a scrape
 *              configuration made from the topology, checked by promtool
 *              before it is loaded; then every target must be up.
 *
 * Two steps, in one file because they share where an exporter listens
 * and where the monitor reaches it: prometheus waits for the exporters
 * and firewalls of every machine (after_anywhere), which one step on
 * every machine could not do without waiting for itself.
 *
 * Where things listen.  An exporter on the monitor's own machine listens
 * on loopback.  In LXC it listens on the address the monitor reaches it
 * at (the container's, or the host's bridge address), which is ours and
 * always there.  On separate machines it listens on every address: the
 * profile's address may be a NAT'd one the machine does not hold, and the
 * firewall (loaded before this step) admits only the monitor to 9100 and
 * 9187.  Prometheus itself listens on 127.0.0.1:9090 only: the operator
 * reaches its UI through an SSH tunnel (docs/monitoring.md).
 *
 * Secrets.  The role's password reaches PostgreSQL only as a SCRAM
 * verifier built here; the exporter reads it from a 0600 file owned by
 * its user (DATA_SOURCE_PASS_FILE), so it is in no environment file, no
 * argv and no log.
 *
 * DHIS2's own /api/metrics is not scraped: it needs a DHIS2 user, which
 * only DHIS2's administrator can make, and the tool does not hold (and
 * must never write down) admin credentials.  See docs/monitoring.md.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "alerting.h"
#include "core.h"
#include "monitoring.h"
#include "profile.h"
#include "scram.h"
#include "secrets.h"
#include "step.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define NODE_PKG	"prometheus-node-exporter"
#define PG_PKG		"prometheus-postgres-exporter"
#define PROM_PKG	"prometheus"
#define NODE_DEFAULT	"/etc/default/prometheus-node-exporter"
#define PG_DEFAULT	"/etc/default/prometheus-postgres-exporter"
#define PG_PASS_DIR	"/etc/dhis2-setup/monitoring"
#define PG_PASS_FILE	PG_PASS_DIR "/postgres-exporter.pass"
#define PROM_DEFAULT	"/etc/default/prometheus"
#define PROM_CONFIG	"/etc/prometheus/prometheus.yml"
#define PORT_PROMETHEUS	9090
#define SCRAPE_S	15
#define TARGETS_WAIT_S	90	/* a first scrape comes within an interval */
#define EXPORTER_WAIT_S	30

#define HEAD \
    "# Written by dhis2-setup from the profile: changes here are replaced " \
    "on the\n# next apply.  See docs/monitoring.md.\n"

/* ------------------------------------------------------------------ */
/* Where things are                                                   */

static int
prometheus_on(const struct step_ctx *ctx)
{
	return ctx->profile->monitoring == MONITORING_PROMETHEUS;
}

static size_t
monitor_node(const struct topology *t)
{
	return topo_role_node(t, ROLE_MONITOR);
}

/* The address the monitor reaches node n at. */
static const char *
scrape_address(const struct topology *t, size_t mon, size_t n)
{
	if (n == mon || mon == TOPO_NONE)
		return "127.0.0.1";
	/* A container reaches its host at the host's bridge address. */
	if (t->nodes[n].lxc_host && t->nodes[mon].kind == TOPO_CONTAINER &&
	    t->nodes[mon].host == n && t->gateway != NULL)
		return t->gateway;
	return t->nodes[n].address;
}

/* "A:PORT", with brackets around an IPv6 address. */
static char *
host_port(const char *a, int port)
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
	size_t	mon = monitor_node(t);
	char	*out;

	if (n == mon || mon == TOPO_NONE)
		return host_port("127.0.0.1", port);
	if (t->isolation == ISOLATION_LXC)
		return host_port(scrape_address(t, mon, n), port);
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
 * One round trip.  Arguments: DB NODE_DEFAULT PG_DEFAULT PASS_FILE ROLE.
 * The role's verifier is captured, never logged.
 */
static const char exporters_probe[] =
    "db=$1 nd=$2 pd=$3 pf=$4 role=$5\n"
    "sum() { if [ -f \"$1\" ]; then echo \"sum=$(sha256sum < \"$1\" | "
    "cut -d' ' -f1) $1\"; else echo \"sum=none $1\"; fi; }\n"
    "sum \"$nd\"\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' "
    NODE_PKG " " PG_PKG " 2>/dev/null\n"
    "systemctl is-active --quiet " NODE_PKG " && echo active=node\n"
    "systemctl is-enabled --quiet " NODE_PKG " 2>/dev/null && "
    "echo enabled=node\n"
    "[ \"$db\" = 1 ] || exit 0\n"
    "sum \"$pd\"\n"
    "sum \"$pf\"\n"
    "systemctl is-active --quiet " PG_PKG " && echo active=pg\n"
    "systemctl is-enabled --quiet " PG_PKG " 2>/dev/null && "
    "echo enabled=pg\n"
    "command -v psql >/dev/null || exit 0\n"
    "echo \"SELECT 'role=' || coalesce(rolpassword, '') FROM pg_authid "
    "WHERE rolname = :'r'; SELECT 'member=' || pg_has_role(:'r', "
    "'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = :'r';\" | "
    "runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -v r=\"$role\" "
    "-d postgres 2>/dev/null && echo psql=ok\n"
    "exit 0\n";

struct exp_state {
	int		 db;		/* the database node: the pg exporter */
	const char	*password;
	char		*node_default;
	char		*pg_default;
	int		 node_missing;
	int		 pg_missing;
	int		 node_differs;
	int		 pg_differs;
	int		 pass_differs;
	int		 node_down;
	int		 pg_down;
	int		 node_disabled;
	int		 pg_disabled;
	int		 psql_failed;	/* PostgreSQL did not answer */
	int		 role_missing;
	int		 role_password;	/* differs */
	int		 role_member;	/* not in pg_monitor */
};

static void
exp_state_free(struct exp_state *st)
{
	free(st->node_default);
	free(st->pg_default);
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

static int
exp_probe(struct step_ctx *ctx, struct exp_state *st)
{
	char		*probe, *stored, *hex;
	char		 sum[65];

	memset(st, 0, sizeof *st);
	st->db = (ctx->roles & ROLE_BIT(ROLE_DATABASE)) != 0;
	st->password = secrets_get(ctx->secrets, "monitoring.password");
	st->node_default = node_default_text(ctx);
	if (st->db)
		st->pg_default = pg_default_text(ctx);
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)exporters_probe,
	    "sh", st->db ? "1" : "0", NODE_DEFAULT, PG_DEFAULT, PG_PASS_FILE,
	    MONITORING_PG_ROLE, NULL }, &probe) != 0) {
		free(probe);
		return -1;
	}
	st->node_missing = step_probe_pkg_missing(probe, NODE_PKG);
	st->node_differs = step_probe_sum_differs(probe, NODE_DEFAULT,
	    st->node_default);
	st->node_down = !step_probe_has(probe, "active=node");
	st->node_disabled = !step_probe_has(probe, "enabled=node");
	if (st->db) {
		st->pg_missing = step_probe_pkg_missing(probe, PG_PKG);
		st->pg_differs = step_probe_sum_differs(probe, PG_DEFAULT,
		    st->pg_default);
		/* The sum of the password, never the password, is compared. */
		step_sha256_hex(st->password != NULL ? st->password : "", sum);
		xasprintf(&hex, "sum=%s " PG_PASS_FILE, sum);
		st->pass_differs = st->password == NULL ||
		    !step_probe_has(probe, hex);
		free(hex);
		st->pg_down = !step_probe_has(probe, "active=pg");
		st->pg_disabled = !step_probe_has(probe, "enabled=pg");
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

	if (!prometheus_on(ctx)) {
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
		return step_fail(ctx, "secret 'monitoring.password' is "
		    "missing: run dhis2-setup secrets generate");
	}
	if (st.node_missing)
		step_would(ctx, "install package " NODE_PKG);
	if (st.node_differs)
		step_file_differs(ctx, NODE_DEFAULT, st.node_default,
		    strlen(st.node_default), 0644, 1);
	if (!st.node_missing && (st.node_down || st.node_disabled))
		step_would(ctx, "start and enable " NODE_PKG);
	if (st.db) {
		if (st.pg_missing)
			step_would(ctx, "install package " PG_PKG);
		if (st.pg_differs)
			step_file_differs(ctx, PG_DEFAULT, st.pg_default,
			    strlen(st.pg_default), 0640, 1);
		/* Its content is secret: no diff. */
		if (st.pass_differs)
			step_would(ctx, "write " PG_PASS_FILE " (mode 0600, "
			    "owner prometheus) from the secrets file");
		if (st.role_missing)
			step_would(ctx, "SQL: create role " MONITORING_PG_ROLE
			    " (login, SCRAM password, member of pg_monitor)");
		else if (st.role_password)
			step_would(ctx, "SQL: set the password of role "
			    MONITORING_PG_ROLE " from the secrets file");
		if (!st.role_missing && st.role_member)
			step_would(ctx, "SQL: grant pg_monitor to "
			    MONITORING_PG_ROLE);
		if (!st.pg_missing && (st.pg_down || st.pg_disabled))
			step_would(ctx, "start and enable " PG_PKG);
	}
	exp_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
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

static int
restart_enable(struct step_ctx *ctx, const char *unit)
{
	return step_run(ctx, (char *[]){ "systemctl", "restart", (char *)unit,
	    NULL }, NULL, 0) == 0 && step_run(ctx, (char *[]){ "systemctl",
	    "enable", "--quiet", (char *)unit, NULL }, NULL, 0) == 0 ? 0 : -1;
}

static enum result
exp_apply(struct step_ctx *ctx)
{
	struct exp_state	 st;
	const char		*pkgs[3];
	size_t			 n = 0;
	int			 node_changed, pg_changed;

	if (exp_probe(ctx, &st) == -1)
		return step_fail(ctx, "cannot read the exporters' state on %s",
		    ctx->machine);
	if (st.node_missing)
		pkgs[n++] = NODE_PKG;
	if (st.db && st.pg_missing)
		pkgs[n++] = PG_PKG;
	pkgs[n] = NULL;
	if (n > 0 && step_apt_install(ctx, pkgs) != 0)
		goto failed;
	node_changed = st.node_missing || st.node_differs;
	if (st.node_differs && step_put(ctx, NODE_DEFAULT, st.node_default,
	    strlen(st.node_default), 0644, "root", "root") == -1)
		goto failed;
	if ((node_changed || st.node_down || st.node_disabled) &&
	    restart_enable(ctx, NODE_PKG) == -1) {
		step_fail(ctx, NODE_PKG " does not start: see journalctl -u "
		    NODE_PKG);
		goto failed;
	}
	if (!st.db)
		goto done;
	/* Debian's postinst makes the user and owns this file 0640. */
	if (st.pg_differs && step_put(ctx, PG_DEFAULT, st.pg_default,
	    strlen(st.pg_default), 0640, "prometheus", "prometheus") == -1)
		goto failed;
	/* Its folder: the prometheus group may enter, nobody else. */
	if (st.pass_differs && step_run(ctx, (char *[]){ "install", "-d",
	    "-m", "0750", "-o", "root", "-g", "prometheus", PG_PASS_DIR,
	    NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot make " PG_PASS_DIR);
		goto failed;
	}
	if (st.pass_differs && step_put(ctx, PG_PASS_FILE, st.password,
	    strlen(st.password), 0600, "prometheus", "prometheus") == -1)
		goto failed;
	if (exp_apply_role(ctx, &st) == RESULT_FAILED)
		goto failed;
	pg_changed = st.pg_missing || st.pg_differs || st.pass_differs ||
	    st.role_missing || st.role_password || st.role_member;
	if ((pg_changed || st.pg_down || st.pg_disabled) &&
	    restart_enable(ctx, PG_PKG) == -1) {
		step_fail(ctx, PG_PKG " does not start: see journalctl -u "
		    PG_PKG);
		goto failed;
	}
done:
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
	bad = st.node_missing + st.node_differs + st.node_down;
	if (st.db)
		bad += st.pg_missing + st.pg_differs + st.pass_differs +
		    st.pg_down + st.role_missing + st.role_password +
		    st.role_member;
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

/* ------------------------------------------------------------------ */
/* prometheus                                                         */

struct target {
	const char	*job;
	char		*node;		/* the topology's name */
	char		*instance;	/* address:port, Prometheus's label */
};

struct targets {
	struct target	*v;
	size_t		 n;
};

static void
targets_add(struct targets *ts, const char *job, const char *node,
    const char *addr, int port)
{
	struct target	*t;

	ts->v = xreallocarray(ts->v, ts->n + 1, sizeof *ts->v);
	t = &ts->v[ts->n++];
	t->job = job;
	t->node = xstrdup(node);
	t->instance = host_port(addr, port);
}

static void
targets_free(struct targets *ts)
{
	size_t	i;

	for (i = 0; i < ts->n; i++) {
		free(ts->v[i].node);
		free(ts->v[i].instance);
	}
	free(ts->v);
	memset(ts, 0, sizeof *ts);
}

/* Every target, in the configuration's order. */
static void
targets_build(struct step_ctx *ctx, struct targets *ts)
{
	const struct topology	*t = ctx->topo;
	size_t			 i;

	memset(ts, 0, sizeof *ts);
	targets_add(ts, "prometheus", t->nodes[ctx->node].name, "127.0.0.1",
	    PORT_PROMETHEUS);
	for (i = 0; i < t->nnodes; i++)
		targets_add(ts, "node", t->nodes[i].name,
		    scrape_address(t, ctx->node, i), PORT_NODE_EXPORTER);
	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].roles & ROLE_BIT(ROLE_DATABASE))
			targets_add(ts, "postgres", t->nodes[i].name,
			    scrape_address(t, ctx->node, i), PORT_PG_EXPORTER);
	}
}

static char *
prom_config_text(const struct targets *ts, const struct profile *p)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	const char	*job = NULL;
	char		*s;
	size_t		 i;

	xasprintf(&s, HEAD
	    "# DHIS2's /api/metrics is not scraped: it needs a DHIS2 user "
	    "(docs/monitoring.md).\n"
	    "global:\n"
	    "  scrape_interval: %ds\n"
	    "  evaluation_interval: %ds\n"
	    "scrape_configs:\n", SCRAPE_S, SCRAPE_S);
	strbuf_add(&sb, s, strlen(s));
	free(s);
	for (i = 0; i < ts->n; i++) {
		if (job == NULL || strcmp(job, ts->v[i].job) != 0) {
			job = ts->v[i].job;
			xasprintf(&s, "  - job_name: '%s'\n    static_configs:\n",
			    job);
			strbuf_add(&sb, s, strlen(s));
			free(s);
		}
		xasprintf(&s, "      - targets: ['%s']\n        labels:\n"
		    "          node: '%s'\n", ts->v[i].instance, ts->v[i].node);
		strbuf_add(&sb, s, strlen(s));
		free(s);
	}
	/* Alert rules and where alerts go (steps/alerting.c). */
	s = alerting_prometheus_text(p);
	strbuf_add(&sb, s, strlen(s));
	free(s);
	return sb.buf;
}

static char *
prom_default_text(void)
{
	char	*out;

	xasprintf(&out, HEAD "# The UI and API on this machine only: reach "
	    "them through an SSH tunnel.\nARGS=\"--web.listen-address="
	    "127.0.0.1:%d\"\n", PORT_PROMETHEUS);
	return out;
}

/* One round trip, with the targets' health when Prometheus runs. */
static const char prom_probe_script[] =
    "for f in \"$1\" \"$2\"; do\n"
    "  if [ -f \"$f\" ]; then echo \"sum=$(sha256sum < \"$f\" | "
    "cut -d' ' -f1) $f\"\n"
    "  else echo \"sum=none $f\"; fi\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' " PROM_PKG
    " 2>/dev/null\n"
    "systemctl is-enabled --quiet " PROM_PKG " 2>/dev/null && "
    "echo enabled=1\n"
    "systemctl is-active --quiet " PROM_PKG " || exit 0\n"
    "echo active=1\n"
    "printf 'targets='\n"
    "curl -s --max-time 5 \"$3\" | tr -d '\\n'\n"
    "echo\n";

struct prom_state {
	char		*defaults;
	char		*config;
	struct targets	 want;
	int		 missing;
	int		 default_differs;
	int		 config_differs;
	int		 down;
	int		 disabled;
	char		*targets;	/* the API's JSON, or NULL */
};

static void
prom_state_free(struct prom_state *st)
{
	free(st->defaults);
	free(st->config);
	free(st->targets);
	targets_free(&st->want);
	memset(st, 0, sizeof *st);
}

static int
prom_probe_run(struct step_ctx *ctx, struct prom_state *st)
{
	char	*probe, url[64];

	free(st->targets);
	st->targets = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/targets?"
	    "state=active", PORT_PROMETHEUS);
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)prom_probe_script,
	    "sh", PROM_DEFAULT, PROM_CONFIG, url, NULL }, &probe) != 0) {
		free(probe);
		return -1;
	}
	st->missing = step_probe_pkg_missing(probe, PROM_PKG);
	st->default_differs = step_probe_sum_differs(probe, PROM_DEFAULT,
	    st->defaults);
	st->config_differs = step_probe_sum_differs(probe, PROM_CONFIG,
	    st->config);
	st->down = !step_probe_has(probe, "active=1");
	st->disabled = !step_probe_has(probe, "enabled=1");
	st->targets = step_probe_value(probe, "targets=");
	free(probe);
	return 0;
}

static int
prom_probe(struct step_ctx *ctx, struct prom_state *st)
{
	memset(st, 0, sizeof *st);
	targets_build(ctx, &st->want);
	st->config = prom_config_text(&st->want, ctx->profile);
	st->defaults = prom_default_text();
	return prom_probe_run(ctx, st);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/*
 * How many wanted targets are not up in the API's answer; each one named
 * in *why (with Prometheus's lastError).  -1 when there is no answer.
 */
static int
targets_down(const struct prom_state *st, char **why)
{
	struct json_object	*root, *data, *active, *t, *labels;
	struct strbuf		 sb = { NULL, 0, 0 };
	const char		*job, *inst, *health, *err;
	char			*s;
	size_t			 i, k, n;
	int			 down = 0, found;

	*why = NULL;
	if (st->targets == NULL || (root = json_tokener_parse(st->targets)) ==
	    NULL)
		return -1;
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "activeTargets", &active) ||
	    !json_object_is_type(active, json_type_array)) {
		json_object_put(root);
		return -1;
	}
	n = json_object_array_length(active);
	for (i = 0; i < st->want.n; i++) {
		found = 0;
		for (k = 0; k < n && !found; k++) {
			t = json_object_array_get_idx(active, k);
			if (!json_object_object_get_ex(t, "labels", &labels))
				continue;
			job = jstr(labels, "job");
			inst = jstr(labels, "instance");
			if (job == NULL || inst == NULL ||
			    strcmp(job, st->want.v[i].job) != 0 ||
			    strcmp(inst, st->want.v[i].instance) != 0)
				continue;
			found = 1;
			health = jstr(t, "health");
			if (health != NULL && strcmp(health, "up") == 0)
				continue;
			err = jstr(t, "lastError");
			xasprintf(&s, "%s%s on %s (%s): %s", sb.len ? "; " : "",
			    st->want.v[i].job, st->want.v[i].node,
			    st->want.v[i].instance, err != NULL && *err ?
			    err : health != NULL ? health : "?");
			strbuf_add(&sb, s, strlen(s));
			free(s);
			down++;
		}
		if (!found) {
			xasprintf(&s, "%s%s on %s (%s): not scraped yet",
			    sb.len ? "; " : "", st->want.v[i].job,
			    st->want.v[i].node, st->want.v[i].instance);
			strbuf_add(&sb, s, strlen(s));
			free(s);
			down++;
		}
	}
	json_object_put(root);
	*why = sb.buf;
	return down;
}

/*
 * Ask until every target is up or max_s seconds have passed; st is probed
 * again between the asks.  Returns targets_down()'s count, the seconds
 * waited in *waited and what is down in *why (the caller frees it).
 */
static int
targets_wait_up(struct step_ctx *ctx, struct prom_state *st, int max_s,
    int *waited, char **why)
{
	int	down;

	for (*waited = 0;; *waited += 3) {
		if ((down = targets_down(st, why)) == 0 || *waited >= max_s)
			return down;
		free(*why);
		*why = NULL;
		sleep(3);
		if (prom_probe_run(ctx, st) == -1)
			return -1;
	}
}

static enum result
targets_fail(struct step_ctx *ctx, int down, int waited, char *why)
{
	if (down < 0)
		step_fail(ctx, "Prometheus's API does not answer on "
		    "127.0.0.1:9090: see journalctl -u " PROM_PKG);
	else if (waited > 0)
		step_fail(ctx, "Prometheus after %d s: %s", waited, why);
	else
		step_fail(ctx, "Prometheus: %s", why);
	free(why);
	return RESULT_FAILED;
}

static enum result
prom_check(struct step_ctx *ctx)
{
	struct prom_state	 st;
	char			*why = NULL;
	int			 down, waited;

	if (ctx->profile->monitoring == MONITORING_MUNIN)
		return step_fail(ctx, "monitoring: munin is not built yet: "
		    "set monitoring: prometheus or none");
	if (!prometheus_on(ctx)) {
		step_msg(ctx, "monitoring is not prometheus");
		return RESULT_SKIPPED;
	}
	if (prom_probe(ctx, &st) == -1) {
		prom_state_free(&st);
		return step_fail(ctx, "cannot read Prometheus's state on %s",
		    ctx->machine);
	}
	if (st.missing)
		step_would(ctx, "install package " PROM_PKG);
	if (st.default_differs)
		step_file_differs(ctx, PROM_DEFAULT, st.defaults,
		    strlen(st.defaults), 0644, 1);
	if (st.config_differs)
		step_file_differs(ctx, PROM_CONFIG, st.config,
		    strlen(st.config), 0644, 1);
	if (!st.missing && (st.down || st.disabled))
		step_would(ctx, "start and enable " PROM_PKG);
	if (ctx->changes > 0) {
		prom_state_free(&st);
		return RESULT_CHANGED;
	}
	/*
	 * Converged: then every target must be up, or monitoring lies.  A
	 * plan reports what Prometheus says now; a run waits a scrape or
	 * more, because the exporters step may have restarted an exporter
	 * moments ago and Prometheus still holds the scrape that failed.
	 */
	down = targets_wait_up(ctx, &st, ctx->dry_run ? 0 : TARGETS_WAIT_S,
	    &waited, &why);
	prom_state_free(&st);
	if (down != 0)
		return targets_fail(ctx, down, waited, why);
	step_msg(ctx, "every target up");
	return RESULT_OK;
}

static enum result
prom_apply(struct step_ctx *ctx)
{
	struct prom_state	 st;
	const char		*pkgs[] = { PROM_PKG, NULL };
	int			 restart;

	if (prom_probe(ctx, &st) == -1) {
		step_fail(ctx, "cannot read Prometheus's state on %s",
		    ctx->machine);
		goto failed;
	}
	if (st.missing && step_apt_install(ctx, pkgs) != 0)
		goto failed;
	restart = st.missing || st.default_differs || st.down;
	if (st.default_differs && step_put(ctx, PROM_DEFAULT, st.defaults,
	    strlen(st.defaults), 0644, "root", "root") == -1)
		goto failed;
	if (st.config_differs && step_put_checked(ctx, PROM_CONFIG, st.config,
	    0644, "root", (char *[]){ "promtool", "check", "config",
	    PROM_CONFIG, NULL }, "promtool") == -1)
		goto failed;
	if (restart || st.disabled) {
		if (restart_enable(ctx, PROM_PKG) == -1) {
			step_fail(ctx, PROM_PKG " does not start: see "
			    "journalctl -u " PROM_PKG);
			goto failed;
		}
	} else if (st.config_differs && step_run(ctx, (char *[]){ "systemctl",
	    "reload", PROM_PKG, NULL }, NULL, 0) != 0) {
		step_fail(ctx, PROM_PKG " did not reload: see journalctl -u "
		    PROM_PKG);
		goto failed;
	}
	prom_state_free(&st);
	return RESULT_CHANGED;
failed:
	prom_state_free(&st);
	return RESULT_FAILED;
}

/* Every target up, asked until a scrape interval or more has passed. */
static enum result
prom_verify(struct step_ctx *ctx)
{
	struct prom_state	 st;
	char			*why = NULL;
	int			 down = -1, waited;

	if (prom_probe(ctx, &st) == -1) {
		prom_state_free(&st);
		return step_fail(ctx, "cannot read Prometheus's state on %s",
		    ctx->machine);
	}
	if (st.missing || st.default_differs || st.config_differs || st.down) {
		prom_state_free(&st);
		return step_fail(ctx, "Prometheus is still not as wanted after "
		    "apply: see the log");
	}
	down = targets_wait_up(ctx, &st, TARGETS_WAIT_S, &waited, &why);
	prom_state_free(&st);
	if (down != 0)
		return targets_fail(ctx, down, waited, why);
	free(why);
	step_msg(ctx, "every target up");
	return RESULT_CHANGED;
}

static const char *const prom_after[] = { "base", "firewall", NULL };
/* Every exporter installed and every firewall letting the monitor in. */
static const char *const prom_after_anywhere[] = { "exporters", "firewall",
	NULL };

const struct step step_prometheus = {
	.name = "prometheus",
	.roles = ROLE_BIT(ROLE_MONITOR),
	.summary = "monitoring: Prometheus on 127.0.0.1:9090 scraping every "
	    "exporter the topology names, checked by promtool; every target "
	    "up",
	.after = prom_after,
	.after_anywhere = prom_after_anywhere,
	.check = prom_check,
	.apply = prom_apply,
	.verify = prom_verify,
};
