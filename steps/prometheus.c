/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * prometheus: Debian's prometheus on the monitor node (the server itself
 * on single-host, the monitor container with lxc, the monitor machine): a
 * scrape configuration made from the topology, checked by promtool before
 * it is loaded; then every target must be up.  It waits for the exporters
 * and firewalls of every machine (after_anywhere), and scrapes each
 * exporter where exporters_scrape_address() (exporters.c) says.
 * Prometheus itself listens on 127.0.0.1:9090 only: the operator reaches
 * its UI through an SSH tunnel (docs/monitoring.md).
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
#include "exporters.h"
#include "prometheus.h"
#include "profile.h"
#include "stack.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "template.h"
#include "topology.h"

#define PROM_PKG	"prometheus"
#define PROM_DEFAULT	"/etc/default/prometheus"
#define PROM_CONFIG	"/etc/prometheus/prometheus.yml"
#define SCRAPE_S	15
#define TARGETS_WAIT_S	90	/* a first scrape comes within an interval */

#define HEAD \
    "# Written by dhis2-setup from the profile: changes here are replaced " \
    "on the\n# next apply.  See docs/monitoring.md.\n"

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
	t->instance = exporters_host_port(addr, port);
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

/* Every target, in the configuration's order; mon: the monitor's node. */
static void
targets_build(const struct topology *t, size_t mon, struct targets *ts)
{
	size_t	i;

	memset(ts, 0, sizeof *ts);
	targets_add(ts, "prometheus", t->nodes[mon].name, "127.0.0.1",
	    PORT_PROMETHEUS);
	for (i = 0; i < t->nnodes; i++)
		targets_add(ts, "node", t->nodes[i].name,
		    exporters_scrape_address(t, mon, i), PORT_NODE_EXPORTER);
	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].roles & ROLE_BIT(ROLE_DATABASE))
			targets_add(ts, "postgres", t->nodes[i].name,
			    exporters_scrape_address(t, mon, i),
			    PORT_PG_EXPORTER);
	}
}

/*
 * Render a part and add it to sb as lines: the parts are joined by
 * newlines, and the template that takes them puts them on a line of
 * their own.  -1 with *err on a template error.
 */
static int
add_part(struct strbuf *sb, const char *name, const struct tvars *v,
    char **err)
{
	char	*s;
	size_t	 len;

	if ((s = template_render_file(name, v, err)) == NULL)
		return -1;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (sb->len > 0)
		strbuf_add(sb, "\n", 1);
	strbuf_add(sb, s, len);
	free(s);
	return 0;
}

/* One job_name with its targets from ts->v[*i] on. */
static int
add_job(struct strbuf *jobs, const struct targets *ts, size_t *i,
    char **err)
{
	struct strbuf	 targets = { NULL, 0, 0 };
	struct tvars	 v;
	const char	*job = ts->v[*i].job;
	int		 rc = 0;

	tvars_init(&v);
	strbuf_add(&targets, "", 0);
	for (; *i < ts->n && strcmp(ts->v[*i].job, job) == 0 && rc == 0;
	    (*i)++) {
		tvars_set(&v, "instance", ts->v[*i].instance);
		tvars_set(&v, "node", ts->v[*i].node);
		rc = add_part(&targets, "prometheus-target.yml", &v, err);
	}
	tvars_set(&v, "job", job);
	tvars_set(&v, "targets", targets.buf);
	if (rc == 0)
		rc = add_part(jobs, "prometheus-job.yml", &v, err);
	tvars_free(&v);
	free(targets.buf);
	return rc;
}

/* prometheus.yml from the targets; the alerting part when it alerts. */
static char *
prom_config_text(const struct targets *ts, const struct profile *p,
    char **err)
{
	struct strbuf	 jobs = { NULL, 0, 0 };
	struct tvars	 v;
	char		*out = NULL;
	size_t		 i = 0;

	strbuf_add(&jobs, "", 0);
	while (i < ts->n) {
		if (add_job(&jobs, ts, &i, err) == -1)
			goto out;
	}
	tvars_init(&v);
	tvars_setf(&v, "scrape_s", "%d", SCRAPE_S);
	tvars_set(&v, "jobs", jobs.buf);
	/* Alert rules and where alerts go (steps/alerting.c). */
	tvars_set(&v, "alerting", alerting_on(p) ? "1" : "");
	tvars_set(&v, "rule_files", ALERT_RULES_GLOB);
	tvars_setf(&v, "alertmanager_port", "%d", PORT_ALERTMANAGER);
	out = template_render_file("prometheus.yml", &v, err);
	tvars_free(&v);
out:
	free(jobs.buf);
	return out;
}

char *
prometheus_config_text(const struct topology *t, size_t mon,
    const struct profile *p, char **err)
{
	struct targets	 ts;
	char		*out;

	targets_build(t, mon, &ts);
	out = prom_config_text(&ts, p, err);
	targets_free(&ts);
	return out;
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

/*
 * One round trip, with the targets' health when Prometheus runs.
 * Arguments: the targets' URL, then the files' paths.
 */
static const char prom_probe_script[] =
    STEP_ITEMS_SH
    "url=$1\n"
    "shift\n"
    "step_items \"$@\"\n"
    "systemctl is-active --quiet " PROM_PKG " || exit 0\n"
    "printf 'targets='\n"
    "curl -s --max-time 5 \"$url\" | tr -d '\\n'\n"
    "echo\n";

/* The files: the unit's defaults, then the scrape configuration. */
#define DEFAULT_FILE	0
#define CONFIG_FILE	1

struct prom_state {
	struct step_items items;
	struct targets	 want;
	char		*targets;	/* the API's JSON, or NULL */
};

static void
prom_state_free(struct prom_state *st)
{
	step_items_free(&st->items);
	free(st->targets);
	targets_free(&st->want);
	memset(st, 0, sizeof *st);
}

static int
prom_probe_run(struct step_ctx *ctx, struct prom_state *st)
{
	struct step_args	 a = { NULL, 0 };
	char			*probe, url[64];
	int			 rc;

	free(st->targets);
	st->targets = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/targets?"
	    "state=active", PORT_PROMETHEUS);
	step_args_add(&a, url);
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, prom_probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		return -1;
	}
	step_items_parse(&st->items, probe);
	st->targets = step_probe_value(probe, "targets=");
	free(probe);
	return 0;
}

/* -1 with the step failed, saying why. */
static int
prom_probe(struct step_ctx *ctx, struct prom_state *st)
{
	char	*err, *config;

	memset(st, 0, sizeof *st);
	targets_build(ctx->topo, ctx->node, &st->want);
	if ((config = prom_config_text(&st->want, ctx->profile,
	    &err)) == NULL) {
		step_fail(ctx, "%s", err);
		free(err);
		return -1;
	}
	step_packages_add(&st->items.pkgs, PROM_PKG);
	step_files_add(&st->items.files, PROM_DEFAULT, prom_default_text(),
	    0644, "root", "root");
	step_files_add(&st->items.files, PROM_CONFIG, config, 0644, "root",
	    "root");
	/* Its defaults (flags) take a restart, its configuration a reload. */
	step_services_add(&st->items.units, PROM_PKG, PROM_PKG,
	    1U << DEFAULT_FILE, 1U << CONFIG_FILE);
	if (prom_probe_run(ctx, st) == -1)
		return step_fail(ctx, "cannot read Prometheus's state on %s",
		    ctx->machine), -1;
	return 0;
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
		    "127.0.0.1:" PORT_STR(PORT_PROMETHEUS) ": see journalctl "
		    "-u " PROM_PKG);
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
	if (ctx->profile->monitoring != MONITORING_PROMETHEUS) {
		step_msg(ctx, "monitoring is not prometheus");
		return RESULT_SKIPPED;
	}
	if (prom_probe(ctx, &st) == -1) {
		prom_state_free(&st);
		return RESULT_FAILED;
	}
	if (step_items_pending(ctx, &st.items, 1) > 0) {
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
	const struct step_file	*def, *conf;

	if (prom_probe(ctx, &st) == -1)
		goto failed;
	if (step_packages_install(ctx, &st.items.pkgs) != 0)
		goto failed;
	def = &st.items.files.v[DEFAULT_FILE];
	conf = &st.items.files.v[CONFIG_FILE];
	if (step_services_intend(ctx, &st.items) == -1)
		goto failed;
	if (def->differs && step_file_apply(ctx, def) == -1)
		goto failed;
	if (conf->differs && step_put_checked(ctx, conf->path, conf->content,
	    conf->mode, conf->group, (char *[]){ "promtool", "check",
	    "config", PROM_CONFIG, NULL }, "promtool") == -1)
		goto failed;
	if (step_services_apply(ctx, &st.items) == -1)
		goto failed;
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
		return RESULT_FAILED;
	}
	if (step_items_pending(ctx, &st.items, 0) > 0) {
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
	.summary = "monitoring: Prometheus on 127.0.0.1:"
	    PORT_STR(PORT_PROMETHEUS) " scraping every "
	    "exporter the topology names, checked by promtool; every target "
	    "up",
	.after = prom_after,
	.after_anywhere = prom_after_anywhere,
	.check = prom_check,
	.apply = prom_apply,
	.verify = prom_verify,
};
