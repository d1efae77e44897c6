/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * tomcat: Java and Tomcat chosen by the DHIS2 version, and per instance
 * (and per node) its own service user, CATALINA_BASE, hardened server.xml,
 * DHIS2_HOME with dhis.conf (0600, owned by the service user) and systemd
 * unit with the heap sized from RAM.  The WAR itself is the war step's.
 *
 * Tomcat 9 is used where the distribution has it and the WAR is a javax
 * one (DHIS2 2.41 and older on Ubuntu 22.04); elsewhere Tomcat 10, and the
 * war step migrates javax WARs with tomcat-jakartaee-migration.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "releases.h"
#include "secrets.h"
#include "stack.h"
#include "step.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "template.h"
#include "tomcat.h"
#include "topology.h"
#include "transport.h"

#define DHIS2_ROOT	"/opt/dhis2"

/* Which Tomcat and Java this machine gets for a DHIS2 version. */
int
tomcat_choose(const struct facts *f, const char *version,
    struct tomcat_choice *c, char **why)
{
	struct dhis2_runtime	rt;
	int			jammy;

	memset(c, 0, sizeof *c);
	if (dhis2_runtime(version, &rt) != REL_OK) {
		xasprintf(why, "no runtime is known for DHIS2 %s", version);
		return -1;
	}
	jammy = f->os_id != NULL && strcmp(f->os_id, "ubuntu") == 0 &&
	    f->os_version != NULL && strcmp(f->os_version, "22.04") == 0;
	c->tomcat = rt.tomcat == 9 && jammy ? 9 : 10;
	c->migrate = rt.javax && c->tomcat == 10;
	/* Debian 12 and Ubuntu 24.04 ship Java 17 (and 21), not 11. */
	c->java = rt.java;
	if (!jammy && c->java < 17) {
		if (rt.java_min > 17 || dhis2_version_cmp(version, "2.38") < 0) {
			xasprintf(why, "DHIS2 %s needs Java %d, which %s %s does "
			    "not ship: use Ubuntu 22.04, or DHIS2 2.38 or later",
			    version, rt.java, f->os_id ? f->os_id : "this OS",
			    f->os_version ? f->os_version : "");
			return -1;
		}
		c->java = 17;
	}
	snprintf(c->java_pkg, sizeof c->java_pkg, "openjdk-%d-jre-headless",
	    c->java);
	snprintf(c->tomcat_pkg, sizeof c->tomcat_pkg, "tomcat%d", c->tomcat);
	snprintf(c->catalina_home, sizeof c->catalina_home,
	    "/usr/share/tomcat%d", c->tomcat);
	snprintf(c->java_home, sizeof c->java_home,
	    "/usr/lib/jvm/java-%d-openjdk-amd64", c->java);
	return 0;
}

void
tomcat_paths(const struct instance *in, int node, struct tomcat_paths *tp)
{
	memset(tp, 0, sizeof *tp);
	if (node == 0)
		snprintf(tp->unit_name, sizeof tp->unit_name, "dhis2-%s",
		    in->name);
	else
		snprintf(tp->unit_name, sizeof tp->unit_name, "dhis2-%s-%d",
		    in->name, node + 1);
	snprintf(tp->user, sizeof tp->user, "dhis2-%s", in->name);
	if (node == 0)
		snprintf(tp->base, sizeof tp->base, DHIS2_ROOT "/%s/tomcat",
		    in->name);
	else
		snprintf(tp->base, sizeof tp->base, DHIS2_ROOT "/%s/tomcat-%d",
		    in->name, node + 1);
	snprintf(tp->home, sizeof tp->home, DHIS2_ROOT "/%s/home", in->name);
	snprintf(tp->unit, sizeof tp->unit, "/etc/systemd/system/%s.service",
	    tp->unit_name);
	snprintf(tp->war, sizeof tp->war, "%s/webapps/%s.war", tp->base,
	    strcmp(in->base_path, "/") == 0 ? "ROOT" : in->base_path + 1);
}

/* Does this machine run instance i?  (With isolation lxc, each its own.) */
int
tomcat_runs_here(struct step_ctx *ctx, size_t i)
{
	return topo_runs_instance(ctx->topo, ctx->node, i);
}

/* Instances on this machine (the memory split, the WARs to deploy). */
size_t
tomcat_instances_here(struct step_ctx *ctx)
{
	size_t	i, n = 0;

	for (i = 0; i < ctx->profile->ninstances; i++)
		n += tomcat_runs_here(ctx, i);
	return n;
}

/* The instance's heap, or its share of this node's (engine/sizing.c). */
static long long
heap_mb(struct step_ctx *ctx, const struct instance *in)
{
	return in->heap_mb > 0 ? in->heap_mb : ctx->size->heap_mb;
}

/* Is the database on another machine (or container)? */
static int
database_elsewhere(struct step_ctx *ctx)
{
	size_t	n = topo_role_node(ctx->topo, ROLE_DATABASE);

	return n != TOPO_NONE && n != ctx->node;
}

/* Where a role's node is, seen from this machine; loopback by name. */
static const char *
role_host(struct step_ctx *ctx, enum role r)
{
	size_t	n = topo_role_node(ctx->topo, r);

	if (n == TOPO_NONE || n == ctx->node)
		return "localhost";
	return ctx->topo->nodes[n].address;
}

/*
 * dhis.conf's read1..read5.connection.* for the app node, one per read
 * replica: the instance's own role and password (escaped as the
 * template's {{db_password|properties}} is), which the physical copy
 * carries; TLS required where the link crosses a network, as for the
 * primary.
 */
void
tomcat_replica_lines(const struct topology *t, size_t node,
    const struct instance *in, const char *password, struct strbuf *sb)
{
	char			*line, *err;
	char			*pw = template_escape("properties", password, &err);
	size_t			 m;
	int			 k = 0;

	for (m = 0; m < t->nnodes && k < 5; m++) {
		if (!(t->nodes[m].roles & ROLE_BIT(ROLE_REPLICA)))
			continue;
		k++;
		xasprintf(&line, "read%d.connection.url = jdbc:postgresql://%s:"
		    PORT_STR(PORT_POSTGRES) "/%s%s\n"
		    "read%d.connection.username = %s\n"
		    "read%d.connection.password = %s\n", k,
		    topo_reach(t, node, m), instance_db_name(in),
		    topo_crosses_network(t, node, m) ? "?sslmode=require" :
		    "", k, in->name, k, pw);
		strbuf_add(sb, line, strlen(line));
		secure_wipe(line, strlen(line));
		free(line);
	}
	secure_wipe(pw, strlen(pw));	/* "properties" refuses nothing */
	free(pw);
}

static const char *
secret(struct step_ctx *ctx, const char *inst, const char *what)
{
	char		*name;
	const char	*v;

	if (inst != NULL)
		xasprintf(&name, "%s.%s", inst, what);
	else
		name = xstrdup(what);
	v = secrets_get(ctx->secrets, name);
	free(name);
	return v;
}

/* dhis.conf; NULL with a failed ctx when a secret is missing. */
static char *
render_dhis_conf(struct step_ctx *ctx, const struct instance *in,
    const struct tomcat_paths *tp)
{
	const struct profile	*p = ctx->profile;
	struct tvars		 v;
	struct strbuf		 rep = { NULL, 0, 0 };
	const char		*dbpw, *enc, *redispw;
	char			*url;

	dbpw = secret(ctx, in->name, SECRET_DB_PASSWORD);
	enc = secret(ctx, in->name, SECRET_ENCRYPTION);
	redispw = p->redis ? secret(ctx, NULL, SECRET_REDIS) : "";
	if (dbpw == NULL || enc == NULL || redispw == NULL) {
		step_fail(ctx, "secrets for %s are missing: run dhis2-setup "
		    "secrets generate", in->name);
		return NULL;
	}
	tvars_init(&v);
	tvars_set(&v, "name", in->name);
	tvars_set(&v, "user", tp->user);
	tvars_set(&v, "db_host", role_host(ctx, ROLE_DATABASE));
	tvars_set(&v, "db_port", PORT_STR(PORT_POSTGRES));
	tvars_set(&v, "db_name", instance_db_name(in));
	tvars_set(&v, "db_ssl", topo_crosses_network(ctx->topo, ctx->node,
	    topo_role_node(ctx->topo, ROLE_DATABASE)) ? "1" : "");
	tvars_set(&v, "db_user", in->name);
	tvars_set(&v, "db_password", dbpw);
	tvars_set(&v, "pool_hikari", dhis2_version_cmp(in->version, "2.38") >=
	    0 ? "1" : "");
	url = instance_base_url(p, in);
	tvars_set(&v, "base_url", url);
	free(url);
	tvars_set(&v, "https", p->tls.mode == TLS_NONE ? "" : "1");
	tvars_set(&v, "encryption_password", enc);
	tvars_set(&v, "monitoring", p->monitoring == MONITORING_PROMETHEUS ?
	    "1" : "");
	tvars_set(&v, "redis", p->redis ? "1" : "");
	tvars_set(&v, "redis_host", role_host(ctx, ROLE_REDIS));
	tvars_set(&v, "redis_port", PORT_STR(PORT_REDIS));
	tvars_set(&v, "redis_password", redispw);
	tomcat_replica_lines(ctx->topo, ctx->node, in, dbpw, &rep);
	tvars_set(&v, "replicas", rep.buf != NULL ? rep.buf : "");
	if (rep.buf != NULL)
		secure_wipe(rep.buf, rep.len);
	free(rep.buf);
	return step_render(ctx, "dhis.conf", &v, 1);
}

static char *
render_server_xml(struct step_ctx *ctx, size_t i, int node,
    const struct instance *in)
{
	const struct profile	*p = ctx->profile;
	struct tvars		 v;

	tvars_init(&v);
	tvars_set(&v, "name", in->name);
	/* Where the proxy is on this machine, only it talks to Tomcat. */
	tvars_set(&v, "listen", topo_role_node(ctx->topo, ROLE_PROXY) ==
	    ctx->node ? "127.0.0.1" : "0.0.0.0");
	tvars_setf(&v, "port", "%d", instance_port(p, i, node));
	tvars_setf(&v, "max_threads", "%d", in->max_threads);
	tvars_set(&v, "https", p->tls.mode == TLS_NONE ? "" : "1");
	tvars_set(&v, "fqdn", p->fqdn ? p->fqdn : "localhost");
	if (in->nodes > 1)
		tvars_setf(&v, "route", "%s%d", in->name, node + 1);
	else
		tvars_set(&v, "route", "");
	return step_render(ctx, "server.xml", &v, 0);
}

static char *
render_unit(struct step_ctx *ctx, const struct instance *in,
    const struct tomcat_choice *c, const struct tomcat_paths *tp)
{
	struct tvars	 v;

	tvars_init(&v);
	tvars_set(&v, "name", in->name);
	tvars_setf(&v, "tomcat_major", "%d", c->tomcat);
	tvars_setf(&v, "java", "%d", c->java);
	tvars_set(&v, "local_db", (ctx->roles & ROLE_BIT(ROLE_DATABASE)) ?
	    "1" : "");
	tvars_set(&v, "user", tp->user);
	tvars_set(&v, "catalina_home", c->catalina_home);
	tvars_set(&v, "catalina_base", tp->base);
	tvars_set(&v, "dhis2_home", tp->home);
	tvars_set(&v, "java_home", c->java_home);
	tvars_setf(&v, "heap_mb", "%lld", heap_mb(ctx, in));
	return step_render(ctx, "tomcat.service", &v, 0);
}

struct tc_node {
	struct tomcat_paths	 tp;
	const char		*instance;
	int			 dirs_missing;
	int			 war_present;
};

/*
 * The files' tags are instance names: whose Tomcats a change restarts.
 * The units are the nodes', in their order.
 */
struct tc_state {
	struct tomcat_choice	 c;
	int			 packaged_on;	/* tomcatN's own unit enabled */
	struct step_items	 items;
	struct tc_node		*nodes;
	size_t			 nnodes;
	char			**users_missing;
	size_t			 nusers_missing;
};

static void
tc_state_free(struct tc_state *st)
{
	size_t	i;

	step_items_free(&st->items);
	free(st->nodes);
	for (i = 0; i < st->nusers_missing; i++)
		free(st->users_missing[i]);
	free(st->users_missing);
	memset(st, 0, sizeof *st);
}

/*
 * One Java and Tomcat per machine: the newest instance decides.  -1 with
 * the reason in *why (the caller frees it).
 */
static int
tc_choose(struct step_ctx *ctx, struct tomcat_choice *c, char **why)
{
	const struct profile	*p = ctx->profile;
	struct tomcat_choice	 c1;
	size_t			 i;
	int			 chosen = 0;

	memset(c, 0, sizeof *c);
	for (i = 0; i < p->ninstances; i++) {
		if (!tomcat_runs_here(ctx, i))
			continue;
		if (tomcat_choose(step_facts(ctx), p->instances[i].version, &c1,
		    why) == -1)
			return -1;
		if (chosen++ == 0 || c1.tomcat > c->tomcat ||
		    c1.java > c->java)
			*c = c1;
		c->migrate |= c1.migrate && c->tomcat == 10;
	}
	return 0;
}

/* Java, Tomcat and what goes with them. */
static void
tc_declare_packages(struct step_ctx *ctx, const struct tomcat_choice *c,
    struct step_packages *ps)
{
	step_packages_add(ps, c->java_pkg);
	step_packages_add(ps, c->tomcat_pkg);
	if (c->migrate)
		step_packages_add(ps, "tomcat-jakartaee-migration")->why =
		    "javax WAR on Tomcat 10";
	if (database_elsewhere(ctx))
		step_packages_add(ps, "postgresql-client")->why =
		    "verify reaches the database from here with libpq";
}

/* Build every file the machine should have; -1 after step_fail. */
static int
tc_wanted(struct step_ctx *ctx, struct tc_state *st)
{
	const struct profile	*p = ctx->profile;
	struct step_items	*it = &st->items;
	struct tomcat_paths	 tp;
	struct step_file	*f;
	struct step_service	*u;
	char			*why = NULL, *c, path[256];
	size_t			 i;
	int			 node;

	if (tc_choose(ctx, &st->c, &why) == -1) {
		step_fail(ctx, "%s", why);
		free(why);
		return -1;
	}
	tc_declare_packages(ctx, &st->c, &it->pkgs);
	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];

		if (!tomcat_runs_here(ctx, i))
			continue;
		for (node = 0; node < in->nodes; node++) {
			tomcat_paths(in, node, &tp);
			st->nodes = xreallocarray(st->nodes, st->nnodes + 1,
			    sizeof *st->nodes);
			memset(&st->nodes[st->nnodes], 0, sizeof *st->nodes);
			st->nodes[st->nnodes].instance = in->name;
			st->nodes[st->nnodes++].tp = tp;
			/*
			 * The war step starts it; a running Tomcat reads its
			 * instance's files only when it starts.
			 */
			u = step_services_add(&it->units, tp.unit_name, NULL,
			    0, 0);
			u->flags = STEP_UNIT_NOSTART;
			u->tag = in->name;
			if ((c = render_server_xml(ctx, i, node, in)) == NULL)
				return -1;
			snprintf(path, sizeof path, "%s/conf/server.xml",
			    tp.base);
			step_files_add(&it->files, path, c, 0640, "root",
			    tp.user)->tag = in->name;
			if ((c = render_unit(ctx, in, &st->c, &tp)) == NULL)
				return -1;
			step_files_add(&it->files, tp.unit, c, 0644, "root",
			    "root")->tag = in->name;
		}
		if ((c = render_dhis_conf(ctx, in, &tp)) == NULL)
			return -1;
		snprintf(path, sizeof path, "%s/dhis.conf", tp.home);
		f = step_files_add(&it->files, path, c, 0600, tp.user, tp.user);
		f->tag = in->name;
		f->secret = 1;
	}
	return 0;
}

/*
 * One round trip: the packaged unit, users, directories and WARs, then
 * step_items' packages, units and file sums.  Arguments: the packaged
 * unit, the users, "--", unit name, base, war for each node, "--", then
 * step_items'.
 */
static const char probe_script[] =
    STEP_ITEMS_SH
    /* the package's own tomcatN unit, enabled as the package leaves it
     * (a file test, not one more systemctl in every converged run) */
    "[ -e \"/etc/systemd/system/multi-user.target.wants/$1.service\" ] && "
    "echo packaged=on\n"
    "shift\n"
    "while [ \"$1\" != -- ]; do\n"
    "  getent passwd \"$1\" >/dev/null && echo \"user=$1\"; shift; done; shift\n"
    "while [ \"$1\" != -- ]; do\n"
    "  ok=1; for d in conf webapps logs temp work; do\n"
    "    [ -d \"$2/$d\" ] || ok=0; done\n"
    "  [ -L \"$2/conf/web.xml\" ] || ok=0\n"
    "  echo \"dirs=$ok $1\"\n"
    "  [ -f \"$3\" ] && echo \"war=1 $1\"\n"
    "  shift 3; done; shift\n"
    "step_items \"$@\"\n";

/* Each node's probe lines: directories and its WAR. */
static void
tc_probe_nodes(struct tc_state *st, const char *probe)
{
	struct tc_node	*nd;
	const char	*u;
	size_t		 i;

	for (i = 0; i < st->nnodes; i++) {
		nd = &st->nodes[i];
		u = nd->tp.unit_name;
		nd->dirs_missing = !step_probe_hasf(probe, "dirs=1 %s", u);
		nd->war_present = step_probe_hasf(probe, "war=1 %s", u);
	}
}

/* The service users, each once (a user's nodes are listed together). */
static int
tc_user_first(const struct tc_state *st, size_t i)
{
	return i == 0 || strcmp(st->nodes[i].tp.user,
	    st->nodes[i - 1].tp.user) != 0;
}

static void
tc_probe_users(struct tc_state *st, const char *probe)
{
	char	*line;
	size_t	 i;

	for (i = 0; i < st->nnodes; i++) {
		if (!tc_user_first(st, i))
			continue;
		xasprintf(&line, "user=%s", st->nodes[i].tp.user);
		if (!step_probe_has(probe, line)) {
			st->users_missing = xreallocarray(st->users_missing,
			    st->nusers_missing + 1, sizeof *st->users_missing);
			st->users_missing[st->nusers_missing++] =
			    xstrdup(st->nodes[i].tp.user);
		}
		free(line);
	}
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
tc_probe(struct step_ctx *ctx, struct tc_state *st)
{
	struct step_args	 a = { NULL, 0 };
	char			*probe;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	if (tc_wanted(ctx, st) == -1)
		return -1;
	step_args_add(&a, st->c.tomcat_pkg);
	for (i = 0; i < st->nnodes; i++) {
		if (tc_user_first(st, i))
			step_args_add(&a, st->nodes[i].tp.user);
	}
	step_args_add(&a, "--");
	for (i = 0; i < st->nnodes; i++) {
		step_args_add(&a, st->nodes[i].tp.unit_name);
		step_args_add(&a, st->nodes[i].tp.base);
		step_args_add(&a, st->nodes[i].tp.war);
	}
	step_args_add(&a, "--");
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		step_fail(ctx, "cannot read Tomcat's state on %s",
		    ctx->machine);
		return -1;
	}
	st->packaged_on = step_probe_has(probe, "packaged=on");
	tc_probe_users(st, probe);
	tc_probe_nodes(st, probe);
	step_items_parse(&st->items, probe);
	free(probe);
	return 0;
}

static int
tomcat_missing(const struct tc_state *st)
{
	return step_package_missing(&st->items.pkgs, st->c.tomcat_pkg);
}

/*
 * What is not as wanted: reported as "would" lines (check) or only
 * counted (verify), from this one list.
 */
static int
tc_pending(struct step_ctx *ctx, const struct tc_state *st, int report)
{
	size_t	i;
	int	n = 0;

	n += step_packages_pending(ctx, &st->items.pkgs, report);
	n += step_pending(ctx, report, st->packaged_on && !tomcat_missing(st),
	    "stop and disable the packaged %s service (it would take port "
	    "%d)", st->c.tomcat_pkg, PORT_TOMCAT);
	for (i = 0; i < st->nusers_missing; i++)
		n += step_pending(ctx, report, 1, "create the service user %s",
		    st->users_missing[i]);
	for (i = 0; i < st->nnodes; i++)
		n += step_pending(ctx, report, st->nodes[i].dirs_missing,
		    "create CATALINA_BASE %s", st->nodes[i].tp.base);
	n += step_services_pending(ctx, &st->items, report);
	n += step_files_pending(ctx, &st->items.files, report);
	return n;
}

static enum result
tc_check(struct step_ctx *ctx)
{
	struct tc_state	 st;

	if (tc_probe(ctx, &st) == -1) {
		tc_state_free(&st);
		return RESULT_FAILED;
	}
	tc_pending(ctx, &st, 1);
	tc_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static int
tc_packages(struct step_ctx *ctx, struct tc_state *st)
{
	if (step_packages_install(ctx, &st->items.pkgs) != 0)
		return -1;
	/*
	 * The packaged tomcatN service would take port 8080: our instances
	 * have their own units, so the shared one is stopped for good,
	 * whoever installed it (an earlier step's apt transaction, or a run
	 * killed before it got here).
	 */
	if (tomcat_missing(st) || st->packaged_on)
		step_run(ctx, (char *[]){ "systemctl", "disable", "--now",
		    st->c.tomcat_pkg, NULL }, NULL, 0);
	return 0;
}

/* Java, Tomcat and what goes with them, for one apt transaction. */
static void
tc_packages_wanted(struct step_ctx *ctx, struct step_pkgs *sp)
{
	struct tomcat_choice	 c;
	struct step_packages	 ps = { NULL, 0 };
	char			*why = NULL;

	/* A choice that fails fails the step itself, with the reason. */
	if (tc_choose(ctx, &c, &why) == -1 || c.tomcat == 0) {
		free(why);
		return;
	}
	tc_declare_packages(ctx, &c, &ps);
	step_packages_names(&ps, sp);
	step_packages_free(&ps);
}

static int
tc_node_dirs(struct step_ctx *ctx, const struct tc_node *nd,
    const struct tomcat_choice *c)
{
	const struct tomcat_paths *tp = &nd->tp;
	char	 d[5][300], etc[128], *src, *dst;
	int	 i, rc = 0;
	static const char *const links[] = { "web.xml", "logging.properties",
	    "catalina.properties", "context.xml" };

	snprintf(d[0], sizeof d[0], "%s/logs", tp->base);
	snprintf(d[1], sizeof d[1], "%s/temp", tp->base);
	snprintf(d[2], sizeof d[2], "%s/work", tp->base);
	snprintf(d[3], sizeof d[3], "%s/webapps", tp->base);
	snprintf(d[4], sizeof d[4], "%s", tp->home);
	if (step_run(ctx, (char *[]){ "install", "-d", "-o", "root", "-g",
	    (char *)tp->user, "-m", "0750", (char *)tp->base, NULL }, NULL, 0))
		return -1;
	snprintf(etc, sizeof etc, "%s/conf", tp->base);
	if (step_run(ctx, (char *[]){ "install", "-d", "-o", "root", "-g",
	    (char *)tp->user, "-m", "0750", etc, NULL }, NULL, 0) != 0)
		return -1;
	for (i = 0; i < 5; i++) {
		/* webapps stays root's: Tomcat must not write its own code. */
		rc |= step_run(ctx, (char *[]){ "install", "-d", "-o",
		    i == 3 ? "root" : (char *)tp->user, "-g", (char *)tp->user,
		    "-m", "0750", d[i], NULL }, NULL, 0);
	}
	for (i = 0; i < 4; i++) {
		xasprintf(&src, "/etc/tomcat%d/%s", c->tomcat, links[i]);
		xasprintf(&dst, "%s/conf/%s", tp->base, links[i]);
		rc |= step_run(ctx, (char *[]){ "ln", "-sfn", src, dst, NULL },
		    NULL, 0);
		free(src);
		free(dst);
	}
	return rc != 0 ? -1 : 0;
}

static enum result
tc_apply(struct step_ctx *ctx)
{
	struct tc_state	 st;
	size_t		 i;

	if (tc_probe(ctx, &st) == -1)
		goto failed;
	if (tc_packages(ctx, &st) == -1)
		goto failed;
	for (i = 0; i < st.nusers_missing; i++) {
		if (step_run(ctx, (char *[]){ "useradd", "--system",
		    "--user-group", "--home-dir", DHIS2_ROOT, "--no-create-home",
		    "--shell", "/usr/sbin/nologin", st.users_missing[i], NULL },
		    NULL, 0) != 0) {
			step_fail(ctx, "cannot create the user %s",
			    st.users_missing[i]);
			goto failed;
		}
	}
	for (i = 0; i < st.nnodes; i++) {
		if (st.nodes[i].dirs_missing &&
		    tc_node_dirs(ctx, &st.nodes[i], &st.c) == -1) {
			step_fail(ctx, "cannot create %s", st.nodes[i].tp.base);
			goto failed;
		}
	}
	if (step_services_intend(ctx, &st.items) == -1 ||
	    step_files_apply(ctx, &st.items.files) == -1 ||
	    step_services_apply(ctx, &st.items) == -1)
		goto failed;
	tc_state_free(&st);
	return RESULT_CHANGED;
failed:
	tc_state_free(&st);
	return RESULT_FAILED;
}

static enum result
tc_verify(struct step_ctx *ctx)
{
	struct tc_state	 st;
	int		 bad;

	if (tc_probe(ctx, &st) == -1) {
		tc_state_free(&st);
		return RESULT_FAILED;
	}
	bad = tc_pending(ctx, &st, 0);
	tc_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "Tomcat: %d thing%s still not as wanted "
		    "after apply: see the log", bad, bad == 1 ? "" : "s");
	return RESULT_CHANGED;
}

static const char *const tc_after[] = { "base", NULL };

const struct step step_tomcat = {
	.name = "tomcat",
	.roles = ROLE_BIT(ROLE_APP),
	.summary = "Java and Tomcat for the DHIS2 version; per instance a "
	    "service user, CATALINA_BASE, server.xml, dhis.conf and unit",
	.after = tc_after,
	.check = tc_check,
	.apply = tc_apply,
	.verify = tc_verify,
	.packages = tc_packages_wanted,
};
