/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * proxy: nginx or apache2 in front of every instance's Tomcats: HTTP
 * redirected to HTTPS, TLS 1.2/1.3, a catch-all for unknown names, the
 * buffers, timeouts, body size and rate limits DHIS2 needs, a location
 * per instance, sticky upstreams for clustered instances.
 *
 * The configuration is tested by the server itself (nginx -t,
 * apache2ctl configtest) before a reload; a refused configuration is
 * put back to the previous one, so the site that worked stays live.
 * The certificate files are the tls step's (/etc/dhis2-setup/tls).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "proxy.h"
#include "step.h"
#include "topology.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "template.h"
#include "tomcat.h"
#include "transport.h"

#define BODY_SIZE_MB	100	/* data imports: peers use 20M-100M */
#define TIMEOUT_S	600	/* analytics requests are slow */

struct proxy_state {
	const char		*pkg;
	struct step_items	 items;		/* site, snippet (nginx) */
	int			 enabled;	/* site linked or a2ensite'd */
	int			 default_on;	/* the distribution's site */
	int			 mods_missing;	/* apache2 modules */
};

/*
 * host:port of Tomcat node `node` of instance i on app machine `host`
 * (a topology node), as the proxy reaches it.
 */
static char *
backend_address(struct step_ctx *ctx, size_t i, int node, size_t host)
{
	char	*out;

	xasprintf(&out, "%s:%d", topo_reach(ctx->topo, ctx->node, host),
	    instance_port(ctx->profile, i, node));
	return out;
}

/* The app machines that run instance i, and the first of them. */
static size_t
instance_hosts(struct step_ctx *ctx, size_t i, size_t *first)
{
	size_t	m, n = 0;

	*first = ctx->node;
	for (m = ctx->topo->nnodes; m-- > 0;) {
		if (topo_runs_instance(ctx->topo, m, i)) {
			*first = m;
			n++;
		}
	}
	return n;
}

static void
common_vars(const struct profile *p, struct tvars *v)
{
	int	tls = p->tls.mode != TLS_NONE;

	tvars_set(v, "fqdn", p->fqdn);
	tvars_set(v, "tls", tls ? "1" : "");
	tvars_set(v, "tls_cert", PROXY_TLS_DIR "/fullchain.pem");
	tvars_set(v, "tls_key", PROXY_TLS_DIR "/privkey.pem");
	tvars_set(v, "hsts_conf", PROXY_HSTS_CONF);
	tvars_set(v, "acme_webroot", p->tls.mode == TLS_LETSENCRYPT ?
	    PROXY_ACME_WEBROOT : "");
	tvars_setf(v, "body_size", "%dM", BODY_SIZE_MB);
	tvars_setf(v, "body_size_bytes", "%d", BODY_SIZE_MB * 1024 * 1024);
	tvars_setf(v, "timeout", "%d", TIMEOUT_S);
}

/* Instances with more than one backend get a sticky upstream. */
static int
needs_upstream(struct step_ctx *ctx, size_t i)
{
	size_t	first;

	return ctx->profile->instances[i].nodes *
	    instance_hosts(ctx, i, &first) > 1;
}

static char *
first_backend(struct step_ctx *ctx, size_t i)
{
	size_t	first;

	instance_hosts(ctx, i, &first);
	return backend_address(ctx, i, 0, first);
}

/*
 * Every Tomcat of instance i, one line each, for an nginx upstream or an
 * apache2 balancer (whose route is Tomcat's jvmRoute); no final newline.
 */
static char *
backend_members(struct step_ctx *ctx, size_t i, int apache)
{
	const struct instance	*in = &ctx->profile->instances[i];
	struct strbuf		 sb = { NULL, 0, 0 };
	char			*b, *line;
	size_t			 a;
	int			 node;

	for (a = 0; a < ctx->topo->nnodes; a++) {
		if (!topo_runs_instance(ctx->topo, a, i))
			continue;
		for (node = 0; node < in->nodes; node++) {
			b = backend_address(ctx, i, node, a);
			if (apache)
				xasprintf(&line, "\t\tBalancerMember http://%s "
				    "route=%s%d\n", b, in->name, node + 1);
			else
				xasprintf(&line, "\tserver %s;\n", b);
			strbuf_add(&sb, line, strlen(line));
			free(line);
			free(b);
		}
	}
	sb.buf[sb.len - 1] = '\0';
	return sb.buf;
}

/*
 * Renders template NAME with the variables V, frees V, and adds the
 * result to SB: 0, or -1 with *err set.
 */
static int
render_onto(struct strbuf *sb, const char *name, struct tvars *v,
    char **err)
{
	char	*s;

	s = template_render_file(name, v, err);
	tvars_free(v);
	if (s == NULL)
		return -1;
	strbuf_add(sb, s, strlen(s));
	free(s);
	return 0;
}

/* The variables every proxy's location of an instance has. */
static void
location_vars(struct tvars *lv, const struct instance *in)
{
	tvars_init(lv);
	tvars_set(lv, "name", in->name);
	tvars_set(lv, "base_path", strcmp(in->base_path, "/") == 0 ?
	    "" : in->base_path);
}

static char *
render_nginx_site(struct step_ctx *ctx, char **err)
{
	const struct profile	*p = ctx->profile;
	struct tvars	 v, lv;
	struct strbuf	 locs = { NULL, 0, 0 }, ups = { NULL, 0, 0 };
	char		*out = NULL, *s, *b;
	size_t		 i;

	tvars_init(&v);
	common_vars(p, &v);
	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];
		char *up = NULL;

		location_vars(&lv, in);
		tvars_set(&lv, "redirect_bare", strcmp(in->base_path, "/") ?
		    "1" : "");
		tvars_set(&lv, "snippet", "/etc/nginx/snippets/dhis2-proxy.conf");
		if (needs_upstream(ctx, i)) {
			xasprintf(&up, "dhis2_%s", in->name);
			tvars_set(&lv, "upstream", up);
			b = backend_members(ctx, i, 0);
			tvars_set(&lv, "servers", b);
			free(b);
			if ((s = template_render_file("nginx-upstream.conf", &lv,
			    err)) == NULL) {
				tvars_free(&lv);
				free(up);
				goto out;
			}
			strbuf_add(&ups, s, strlen(s));
			free(s);
			tvars_set(&lv, "backend", up);
			free(up);
		} else {
			b = first_backend(ctx, i);
			tvars_set(&lv, "backend", b);
			free(b);
		}
		if (render_onto(&locs, "nginx-location.conf", &lv, err) == -1)
			goto out;
	}
	tvars_set(&v, "upstreams", ups.buf ? ups.buf : "");
	tvars_set(&v, "locations", locs.buf ? locs.buf : "");
	out = template_render_file("nginx-site.conf", &v, err);
out:
	tvars_free(&v);
	free(locs.buf);
	free(ups.buf);
	return out;
}

static char *
render_apache_site(struct step_ctx *ctx, char **err)
{
	const struct profile	*p = ctx->profile;
	struct tvars	 v, lv;
	struct strbuf	 locs = { NULL, 0, 0 };
	char		*out = NULL, *b;
	size_t		 i;

	tvars_init(&v);
	common_vars(p, &v);
	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];

		location_vars(&lv, in);
		tvars_setf(&lv, "timeout", "%d", TIMEOUT_S);
		b = needs_upstream(ctx, i) ? backend_members(ctx, i, 1) : NULL;
		tvars_set(&lv, "balancer", b ? b : "");
		free(b);
		b = first_backend(ctx, i);
		tvars_set(&lv, "backend", b);
		free(b);
		if (render_onto(&locs, "apache2-location.conf", &lv, err) == -1)
			goto out;
	}
	tvars_set(&v, "locations", locs.buf ? locs.buf : "");
	out = template_render_file("apache2-site.conf", &v, err);
out:
	tvars_free(&v);
	free(locs.buf);
	return out;
}

/* One round trip.  Arguments: KIND, then step_items'. */
static const char probe_script[] =
    STEP_ITEMS_SH
    "kind=$1\n"
    "shift\n"
    "step_items \"$@\"\n"
    "if [ \"$kind\" = nginx ]; then\n"
    "  [ -L /etc/nginx/sites-enabled/dhis2 ] && echo enabled=1\n"
    "  [ -e /etc/nginx/sites-enabled/default ] && echo default=1\n"
    "else\n"
    "  [ -L /etc/apache2/sites-enabled/dhis2.conf ] && echo enabled=1\n"
    "  [ -e /etc/apache2/sites-enabled/000-default.conf ] && echo default=1\n"
    "  for m in ssl proxy proxy_http headers rewrite proxy_balancer "
    "lbmethod_byrequests slotmem_shm; do\n"
    "    [ -e /etc/apache2/mods-enabled/$m.load ] || echo mod_missing=$m\n"
    "  done\n"
    "fi\n"
    "exit 0\n";

static const char *
proxy_package(const struct profile *p)
{
	return p->proxy == PROXY_NGINX ? "nginx" : "apache2";
}

static void
proxy_state_free(struct proxy_state *st)
{
	step_items_free(&st->items);
	memset(st, 0, sizeof *st);
}

/* The site, and nginx's snippet; -1 after step_fail. */
static int
proxy_wanted(struct step_ctx *ctx, struct proxy_state *st, int nginx)
{
	struct step_items	*it = &st->items;
	struct tvars		 v;
	char			*err = NULL, *c;

	step_packages_add(&it->pkgs, st->pkg);
	/* Any change is tested, then reloaded (restarted when down). */
	step_services_add(&it->units, st->pkg, st->pkg, 0,
	    ~0U)->flags |= STEP_UNIT_APART;
	c = nginx ? render_nginx_site(ctx, &err) : render_apache_site(ctx,
	    &err);
	if (c == NULL)
		goto failed;
	step_files_add(&it->files, nginx ? "/etc/nginx/sites-available/dhis2" :
	    "/etc/apache2/sites-available/dhis2.conf", c, 0644, NULL, NULL);
	if (!nginx)
		return 0;
	tvars_init(&v);
	c = template_render_file("nginx-proxy-snippet.conf", &v, &err);
	tvars_free(&v);
	if (c == NULL)
		goto failed;
	step_files_add(&it->files, "/etc/nginx/snippets/dhis2-proxy.conf", c,
	    0644, NULL, NULL);
	return 0;
failed:
	step_fail(ctx, "%s", err);
	free(err);
	return -1;
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
proxy_probe(struct step_ctx *ctx, struct proxy_state *st)
{
	struct step_args	 a = { NULL, 0 };
	int			 nginx = ctx->profile->proxy == PROXY_NGINX;
	char			*probe;
	int			 rc;

	memset(st, 0, sizeof *st);
	st->pkg = proxy_package(ctx->profile);
	if (proxy_wanted(ctx, st, nginx) == -1)
		return -1;
	step_args_add(&a, nginx ? "nginx" : "apache2");
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		step_fail(ctx, "cannot read the proxy's state on %s",
		    ctx->machine);
		return -1;
	}
	step_items_parse(&st->items, probe);
	st->enabled = step_probe_has(probe, "enabled=1");
	st->default_on = step_probe_has(probe, "default=1");
	st->mods_missing = !nginx && step_probe_has_key(probe, "mod_missing=");
	free(probe);
	return 0;
}

/* One list: reported (check) or counted (verify). */
static int
proxy_pending(struct step_ctx *ctx, const struct proxy_state *st,
    int report)
{
	int	n = 0;

	n += step_packages_pending(ctx, &st->items.pkgs, report);
	n += step_pending(ctx, report, st->mods_missing, "enable the apache2 "
	    "modules ssl, proxy, proxy_http, headers, rewrite, "
	    "proxy_balancer");
	n += step_files_pending(ctx, &st->items.files, report);
	n += step_pending(ctx, report, !st->enabled, "enable the DHIS2 site");
	n += step_pending(ctx, report, st->default_on,
	    "disable the distribution's default site");
	n += step_services_pending(ctx, &st->items, report);
	return n;
}

static enum result
proxy_check(struct step_ctx *ctx)
{
	struct proxy_state	st;

	if (proxy_probe(ctx, &st) == -1) {
		proxy_state_free(&st);
		return RESULT_FAILED;
	}
	proxy_pending(ctx, &st, 1);
	proxy_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* The server's own judgement of its whole configuration. */
static int
proxy_config_ok(struct step_ctx *ctx, int nginx)
{
	if (nginx)
		return step_run(ctx, (char *[]){ "nginx", "-t", "-q", NULL },
		    NULL, 0) == 0;
	return step_run(ctx, (char *[]){ "apache2ctl", "configtest", NULL },
	    NULL, 0) == 0;
}

static int
proxy_enable(struct step_ctx *ctx, struct proxy_state *st, int nginx)
{
	int	rc = 0;

	if (nginx) {
		if (!st->enabled)
			rc |= step_run(ctx, (char *[]){ "ln", "-sfn",
			    "/etc/nginx/sites-available/dhis2",
			    "/etc/nginx/sites-enabled/dhis2", NULL }, NULL, 0);
		if (st->default_on)
			rc |= step_run(ctx, (char *[]){ "rm", "-f",
			    "/etc/nginx/sites-enabled/default", NULL }, NULL, 0);
		return rc;
	}
	if (st->mods_missing)
		rc |= step_run(ctx, (char *[]){ "a2enmod", "-q", "ssl", "proxy",
		    "proxy_http", "headers", "rewrite", "proxy_balancer",
		    "lbmethod_byrequests", "slotmem_shm", NULL }, NULL, 0);
	if (!st->enabled)
		rc |= step_run(ctx, (char *[]){ "a2ensite", "-q", "dhis2",
		    NULL }, NULL, 0);
	if (st->default_on)
		rc |= step_run(ctx, (char *[]){ "a2dissite", "-q",
		    "000-default", NULL }, NULL, 0);
	return rc;
}

static enum result
proxy_apply(struct step_ctx *ctx)
{
	struct proxy_state	 st;
	int			 nginx = ctx->profile->proxy == PROXY_NGINX;

	if (proxy_probe(ctx, &st) == -1)
		goto failed;
	if (st.items.pkgs.v[0].missing) {
		if (step_packages_install(ctx, &st.items.pkgs) != 0)
			goto failed;
		/* The package brings its default site: look again. */
		proxy_state_free(&st);
		if (proxy_probe(ctx, &st) == -1)
			goto failed;
	}
	/*
	 * Every apply reloads (restarts it when down): the intent first, so
	 * that a run killed before the reload leaves it owed.  The package
	 * enables it already; enable again only when it is not (for a unit
	 * with an init script too, systemctl enable runs update-rc.d).
	 */
	st.items.units.v[0].stale = STEP_RELOAD;
	if (step_services_intend(ctx, &st.items) == -1 ||
	    step_files_apply(ctx, &st.items.files) == -1)
		goto failed;
	if (proxy_enable(ctx, &st, nginx) != 0) {
		step_fail(ctx, "cannot enable the DHIS2 site");
		goto failed;
	}
	if (!proxy_config_ok(ctx, nginx)) {
		step_files_roll_back(ctx, &st.items.files);
		step_fail(ctx, "%s refused the new configuration (see the log); "
		    "the previous one was put back and stays live", st.pkg);
		goto failed;
	}
	if (step_services_apply(ctx, &st.items) == -1)
		goto failed;
	proxy_state_free(&st);
	return RESULT_CHANGED;
failed:
	proxy_state_free(&st);
	return RESULT_FAILED;
}

static enum result
proxy_verify(struct step_ctx *ctx)
{
	struct proxy_state	st;
	int			bad;

	if (proxy_probe(ctx, &st) == -1) {
		proxy_state_free(&st);
		return RESULT_FAILED;
	}
	bad = proxy_pending(ctx, &st, 0);
	proxy_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "proxy: %d thing%s still not as wanted",
		    bad, bad == 1 ? "" : "s");
	return RESULT_CHANGED;
}

/* The one package of the proxy, for one apt transaction per machine. */
static void
proxy_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	step_pkgs_add(sp, proxy_package(ctx->profile));
}

static const char *const proxy_after[] = { "tls", NULL };

const struct step step_proxy = {
	.name = "proxy",
	.roles = ROLE_BIT(ROLE_PROXY),
	.summary = "nginx or apache2: HTTPS, a location per instance, "
	    "buffers, timeouts, rate limits, catch-all; tested before reload",
	.after = proxy_after,
	.check = proxy_check,
	.apply = proxy_apply,
	.verify = proxy_verify,
	.packages = proxy_packages,
};
