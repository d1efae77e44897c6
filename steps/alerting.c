/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * alerting: Debian's prometheus-alertmanager on the monitor node, after
 * the prometheus step, and the alert rules Prometheus evaluates.
 *
 * Mail is send-only through the profile's smarthost, by Alertmanager's
 * own SMTP client (STARTTLS required): no local MTA is installed, so the
 * machine never accepts mail.  Telegram and Slack are Alertmanager's own
 * integrations.  One receiver, "operators", carries every channel chosen;
 * "test" carries the same channels for the test message (its own route:
 * no wait, no "resolved" follow-up), so a test goes the way real alerts
 * go, with the same relay, token and webhook.
 *
 * Secrets.  Alertmanager 0.25 (Debian 12) reads the SMTP password
 * (smtp_auth_password_file) and the Slack webhook (api_url_file) from
 * files: they live in ALERT_DIR, 0640 root:prometheus, never in the YAML.
 * It has no bot_token_file for Telegram (0.26 added it): the bot token
 * must be in alertmanager.yml itself, so that file is 0640
 * root:prometheus too, always, and is never shown as a diff.
 *
 * Where it listens: 127.0.0.1:9093 only, and its cluster (gossip) port,
 * open on every address by default, is off: one Alertmanager, nothing to
 * gossip with.  The operator reaches its UI through an SSH tunnel, like
 * Prometheus's (docs/alerting.md).
 *
 * A configuration is checked by `amtool check-config` before Alertmanager
 * is told, and the rules by `promtool check rules` before Prometheus is;
 * a refused one is put back.  Each is reloaded only when it changed, or
 * when the running daemon last loaded its file before the file was
 * written (a run killed between the two); Alertmanager is restarted only
 * for a new package or new arguments.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting.h"
#include "core.h"
#include "profile.h"
#include "secrets.h"
#include "stack.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "template.h"
#include "topology.h"

#define AM_PKG		ALERTMANAGER_UNIT
#define AM_DEFAULT	"/etc/default/prometheus-alertmanager"
#define AM_CONFIG	"/etc/prometheus/alertmanager.yml"
#define ALERT_DIR	"/etc/dhis2-setup/alerting"
#define SMTP_PASS_FILE	ALERT_DIR "/smtp.pass"
#define SLACK_URL_FILE	ALERT_DIR "/slack.url"
#define PROM_UNIT	"prometheus"
#define PROM_URL	"http://127.0.0.1:" PORT_STR(PORT_PROMETHEUS)
#define AM_URL		ALERTMANAGER_URL
#define VERIFY_WAIT_S	30
#define RULES_TEMPLATE	"dhis2-setup.rules.yml"
#define RULES_MAX_BYTES	(64 * 1024)
#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

#define HEAD \
    "# Written by dhis2-setup from the profile: changes here are replaced " \
    "on the\n# next apply.  See docs/alerting.md.\n"

/* ------------------------------------------------------------------ */
/* What is generated                                                  */

int
alerting_on(const struct profile *p)
{
	const struct alerting	*a = &p->alerting;

	return p->monitoring == MONITORING_PROMETHEUS &&
	    (a->email != NULL || a->telegram || a->slack);
}

/*
 * The alert rules, assets/templates/dhis2-setup.rules.yml, as they are:
 * Prometheus's own {{ }} templates are in it, so it is not rendered.
 */
char *
alerting_rules_text(char **err)
{
	char	*path, *text;
	size_t	 len;

	xasprintf(&path, "%s/templates/%s", assets_dir(), RULES_TEMPLATE);
	if (read_file_limited(path, RULES_MAX_BYTES, &text, &len) == -1) {
		xasprintf(err, "%s: cannot read the alert rules", path);
		text = NULL;
	}
	free(path);
	return text;
}

/*
 * smarthost without a port: 25, as the wizard's test does.  From: the
 * operators' own address, which their relay accepts mail from; the
 * login, when the relay asks for one, is that address too.
 */
char *
alerting_config_text(const struct profile *p, const char *token,
    int smtp_auth, const char *api, char **why)
{
	const struct alerting	*a = &p->alerting;
	struct tvars		 v;
	char			*out;

	*why = NULL;
	tvars_init(&v);
	tvars_set(&v, "alert_dir", ALERT_DIR);
	tvars_set(&v, "smtp", a->email != NULL && a->smarthost != NULL ?
	    "1" : "");
	tvars_setf(&v, "smarthost", "%s%s", a->smarthost != NULL ?
	    a->smarthost : "", a->smarthost != NULL &&
	    strchr(a->smarthost, ':') == NULL ? ":25" : "");
	tvars_set(&v, "email", a->email);
	tvars_set(&v, "hello", p->fqdn != NULL ? p->fqdn : "localhost");
	tvars_set(&v, "smtp_auth", smtp_auth ? "1" : "");
	tvars_set(&v, "smtp_pass_file", SMTP_PASS_FILE);
	tvars_set(&v, "test_name", ALERT_TEST_NAME);
	tvars_set(&v, "telegram", a->telegram ? "1" : "");
	tvars_set(&v, "chat_id", a->telegram_chat);
	tvars_set(&v, "slack", a->slack ? "1" : "");
	tvars_set(&v, "slack_url_file", SLACK_URL_FILE);
	/* The template quotes them; named here, the secret, not the key. */
	tvars_set(&v, "bot_token", a->telegram ? token : NULL);
	tvars_set(&v, "api_url", a->telegram ? api : NULL);
	if (!valid_safe_text(tvars_get(&v, "bot_token")) ||
	    !valid_safe_text(tvars_get(&v, "api_url"))) {
		*why = xstrdup("secret '" SECRET_TELEGRAM "' holds a "
		    "control character (a newline?)");
		out = NULL;
	} else
		out = template_render_file("alertmanager.yml", &v, why);
	tvars_wipe_free(&v);	/* they held the token */
	return out;
}

/* ------------------------------------------------------------------ */
/* The step                                                           */

/*
 * One round trip: STEP_ITEMS_SH's package, unit and files (the secret
 * files among them by their sums), when each file was last written,
 * and the two daemons' last loads.  Arguments: Alertmanager's and
 * Prometheus's URLs, then step_items's; after those, the secret files
 * the profile no longer wants (summed too: are they there?).
 */
static const char probe_script[] =
    STEP_ITEMS_SH
    "am=$1 prom=$2\n"
    "shift 2\n"
    "step_items \"$@\"\n"
    "shift 2\n"
    "for f in \"$@\"; do\n"
    "  [ -f \"$f\" ] && echo \"mtime=$f $(stat -c %Y \"$f\")\"\n"
    "done\n"
    "if systemctl is-active --quiet " AM_PKG "; then\n"
    "  curl -sf --max-time 5 \"$am/-/ready\" >/dev/null && echo ready=1\n"
    "  curl -s --max-time 5 \"$am/metrics\" | sed -n "
    "'s/^alertmanager_config_last_reload_success_timestamp_seconds /"
    "amloaded=/p'\n"
    "fi\n"
    "systemctl is-active --quiet " PROM_UNIT " || exit 0\n"
    "curl -s --max-time 5 \"$prom/metrics\" | sed -n "
    "'s/^prometheus_config_last_reload_success_timestamp_seconds /"
    "promloaded=/p'\n"
    "exit 0\n";

/* The files, in this order; then the secret files the profile wants. */
#define DEFAULT_FILE	0
#define CONFIG_FILE	1
#define RULES_FILE	2

/* A secret file: where, from which secret. */
struct am_secret {
	const char	*path;
	const char	*name;
	const char	*value;		/* NULL: the profile does not use it */
	int		 unwanted;	/* not used, but there: removed */
};

struct am_state {
	struct step_items items;
	struct am_secret secrets[2];
	int		 not_ready;
	int		 am_stale;	/* running with an older config */
	int		 prom_stale;	/* Prometheus with older rules */
};

static void
am_state_free(struct am_state *st)
{
	step_items_free(&st->items);
	memset(st, 0, sizeof *st);
}

static char *
am_default_text(void)
{
	char	*out;

	xasprintf(&out, HEAD "# The UI and API on this machine only; no "
	    "cluster (gossip) port.\nARGS=\"--web.listen-address=127.0.0.1:%d "
	    "--cluster.listen-address=\"\n", PORT_ALERTMANAGER);
	return out;
}

/* A number the probe printed after key ("key=VALUE"); 0 when absent. */
static double
probe_number(const char *probe, const char *key)
{
	char	*v = step_probe_value(probe, key);
	double	 d = v != NULL ? strtod(v, NULL) : 0;

	free(v);
	return d;
}

/* When the probe says file was last written ("mtime=FILE N"); or 0. */
static double
probe_mtime(const char *probe, const char *file)
{
	char	*v = step_probe_valuef(probe, "mtime=%s ", file);
	double	 d = v != NULL ? strtod(v, NULL) : 0;

	free(v);
	return d;
}

/*
 * The items: the package, the unit (its defaults restart it; the
 * configuration and the secret files, which it reads at each reload,
 * reload it), the three files and the secret files the profile uses.
 */
static void
am_declare(struct am_state *st, char *defaults, char *config, char *rules,
    int telegram)
{
	struct step_file	*f;
	unsigned		 reload = 1U << CONFIG_FILE;
	size_t			 i;

	step_packages_add(&st->items.pkgs, AM_PKG);
	step_files_add(&st->items.files, AM_DEFAULT, defaults, 0644, "root",
	    "root");
	f = step_files_add(&st->items.files, AM_CONFIG, config, 0640, "root",
	    "prometheus");
	/* With a token in it, no diff (events are redacted, but still). */
	if (telegram) {
		f->secret = 1;
		f->summary = xstrdup("write " AM_CONFIG " (mode 0640 "
		    "root:prometheus; holds the Telegram bot token), checked "
		    "by amtool");
	}
	step_files_add(&st->items.files, ALERT_RULES_FILE, rules, 0644, "root",
	    "root");
	for (i = 0; i < NITEMS(st->secrets); i++) {
		if (st->secrets[i].value == NULL)
			continue;
		reload |= 1U << st->items.files.n;
		f = step_files_add(&st->items.files, st->secrets[i].path,
		    xstrdup(st->secrets[i].value), 0640, "root", "prometheus");
		f->secret = 1;
		xasprintf(&f->summary, "write %s (mode 0640 root:prometheus) "
		    "from the secrets file's %s", f->path,
		    st->secrets[i].name);
	}
	step_services_add(&st->items.units, AM_PKG, AM_PKG,
	    1U << DEFAULT_FILE, reload);
}

/*
 * What the probe says beyond the items: whether Alertmanager answers,
 * and whether either daemon last loaded its file before it was written
 * (a run killed between the two).  A secret file removed, or a config
 * loaded before it was written, takes a reload.
 */
static void
am_classify(struct am_state *st, const char *probe)
{
	struct step_service	*am = &st->items.units.v[0];
	size_t			 i;

	st->not_ready = !am->down && !step_probe_has(probe, "ready=1");
	st->am_stale = !am->down &&
	    !st->items.files.v[CONFIG_FILE].differs &&
	    probe_mtime(probe, AM_CONFIG) > probe_number(probe, "amloaded=");
	st->prom_stale = step_probe_has_key(probe, "promloaded=") &&
	    !st->items.files.v[RULES_FILE].differs &&
	    probe_mtime(probe, ALERT_RULES_FILE) > probe_number(probe,
	    "promloaded=");
	for (i = 0; i < NITEMS(st->secrets); i++) {
		if (st->secrets[i].unwanted)
			am->stale = STEP_RELOAD;
	}
	if (st->am_stale)
		am->stale = STEP_RELOAD;
}

static int
am_probe(struct step_ctx *ctx, struct am_state *st)
{
	const struct alerting	*a = &ctx->profile->alerting;
	struct step_args	 args = { NULL, 0 };
	const char		*token = NULL;
	char			*probe, *config, *rules, *why;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	st->secrets[0] = (struct am_secret){ .path = SMTP_PASS_FILE,
	    .name = SECRET_SMTP };
	st->secrets[1] = (struct am_secret){ .path = SLACK_URL_FILE,
	    .name = SECRET_SLACK };
	if (a->telegram && (token = secrets_get(ctx->secrets,
	    SECRET_TELEGRAM)) == NULL)
		return step_fail(ctx, "secret '" SECRET_TELEGRAM "' is "
		    "missing: add the bot's token to the secrets file"), -1;
	if (a->slack && (st->secrets[1].value = secrets_get(ctx->secrets,
	    SECRET_SLACK)) == NULL)
		return step_fail(ctx, "secret '" SECRET_SLACK "' is "
		    "missing: add the webhook URL to the secrets file"), -1;
	if (a->email != NULL && a->smarthost != NULL)
		st->secrets[0].value = secrets_get(ctx->secrets, SECRET_SMTP);
	/* A test bed's own Bot API server (docs/alerting.md). */
	config = alerting_config_text(ctx->profile, token,
	    st->secrets[0].value != NULL, getenv("DHIS2_SETUP_TELEGRAM_API"),
	    &why);
	if (config == NULL || (rules = alerting_rules_text(&why)) == NULL) {
		if (config != NULL) {
			secure_wipe(config, strlen(config));
			free(config);
		}
		step_fail(ctx, "%s", why);
		free(why);
		return -1;
	}
	am_declare(st, am_default_text(), config, rules, a->telegram);
	step_args_add(&args, AM_URL);
	step_args_add(&args, PROM_URL);
	step_items_args(&st->items, &args);
	for (i = 0; i < NITEMS(st->secrets); i++) {
		if (st->secrets[i].value == NULL)
			step_args_add(&args, st->secrets[i].path);
	}
	rc = step_probe_runv(ctx, &probe, probe_script, args.v);
	step_args_free(&args);
	if (rc != 0) {
		free(probe);
		return step_fail(ctx, "cannot read Alertmanager's state on %s",
		    ctx->machine), -1;
	}
	step_items_parse(&st->items, probe);
	for (i = 0; i < NITEMS(st->secrets); i++)
		st->secrets[i].unwanted = st->secrets[i].value == NULL &&
		    !step_probe_hasf(probe, "sum=none %s",
		    st->secrets[i].path);
	am_classify(st, probe);
	free(probe);
	return 0;
}
/*
 * What is not as wanted: reported (check) or counted (verify).  A stale
 * daemon only in check: a reload is a signal, taken a moment later, and
 * verify waits for its effect itself.
 */
static int
am_pending(struct step_ctx *ctx, const struct am_state *st, int report)
{
	size_t	i;
	int	n;

	n = step_items_pending(ctx, &st->items, report);
	for (i = 0; i < NITEMS(st->secrets); i++)
		n += step_pending(ctx, report, st->secrets[i].unwanted,
		    "remove %s: the profile no longer uses it",
		    st->secrets[i].path);
	if (report) {
		n += step_pending(ctx, report, st->am_stale &&
		    !st->items.units.v[0].disabled, "reload " AM_PKG ": it "
		    "runs an older " AM_CONFIG);
		n += step_pending(ctx, report, st->prom_stale, "reload "
		    PROM_UNIT ": it runs older rules");
	}
	return n;
}

static enum result
am_check(struct step_ctx *ctx)
{
	struct am_state		 st;

	if (!alerting_on(ctx->profile)) {
		step_msg(ctx, ctx->profile->monitoring == MONITORING_PROMETHEUS ?
		    "no alerting receiver set" : "monitoring is not prometheus");
		return RESULT_SKIPPED;
	}
	if (am_probe(ctx, &st) == -1) {
		am_state_free(&st);
		return RESULT_FAILED;
	}
	am_pending(ctx, &st, 1);
	if (ctx->changes == 0 && st.not_ready) {
		am_state_free(&st);
		return step_fail(ctx, AM_PKG " runs but does not answer on "
		    "127.0.0.1:%d: see journalctl -u " AM_PKG,
		    PORT_ALERTMANAGER);
	}
	am_state_free(&st);
	if (ctx->changes > 0)
		return RESULT_CHANGED;
	step_msg(ctx, "Alertmanager on 127.0.0.1:%d", PORT_ALERTMANAGER);
	return RESULT_OK;
}

/* The secret files: those not used removed, those that differ written. */
static int
put_secrets(struct step_ctx *ctx, const struct am_state *st)
{
	const struct step_file	*f;
	size_t			 i;
	int			 made = 0;

	for (i = 0; i < NITEMS(st->secrets); i++) {
		if (st->secrets[i].unwanted && step_run(ctx, (char *[]){ "rm",
		    "-f", (char *)st->secrets[i].path, NULL }, NULL, 0) != 0)
			return -1;
	}
	for (i = RULES_FILE + 1; i < st->items.files.n; i++) {
		f = &st->items.files.v[i];
		if (!f->differs)
			continue;
		/* Their folder: the prometheus group may enter, nobody else. */
		if (!made && step_run(ctx, (char *[]){ "install", "-d", "-m",
		    "0750", "-o", "root", "-g", "prometheus", ALERT_DIR,
		    NULL }, NULL, 0) != 0) {
			step_fail(ctx, "cannot make " ALERT_DIR);
			return -1;
		}
		made = 1;
		if (step_file_apply(ctx, f) == -1)
			return -1;
	}
	return 0;
}

static enum result
am_apply(struct step_ctx *ctx)
{
	struct am_state		 st;
	const struct step_file	*def, *conf, *rules;

	if (am_probe(ctx, &st) == -1)
		goto failed;
	def = &st.items.files.v[DEFAULT_FILE];
	conf = &st.items.files.v[CONFIG_FILE];
	rules = &st.items.files.v[RULES_FILE];
	/* The firewall, loaded before, keeps the package's defaults in. */
	if (step_packages_install(ctx, &st.items.pkgs) != 0 ||
	    step_services_intend(ctx, &st.items) == -1 ||
	    put_secrets(ctx, &st) == -1)
		goto failed;
	if (def->differs && step_file_apply(ctx, def) == -1)
		goto failed;
	if (conf->differs && step_put_checked(ctx, AM_CONFIG, conf->content,
	    conf->mode, conf->group, (char *[]){ "amtool", "check-config",
	    AM_CONFIG, NULL }, "amtool") == -1)
		goto failed;
	if (rules->differs && step_put_checked(ctx, ALERT_RULES_FILE,
	    rules->content, rules->mode, rules->group, (char *[]){ "promtool",
	    "check", "rules", ALERT_RULES_FILE, NULL }, "promtool") == -1)
		goto failed;
	/* Restarted for new flags or a new package, else reloaded. */
	if (step_services_apply(ctx, &st.items) == -1)
		goto failed;
	if ((rules->differs || st.prom_stale) && step_run(ctx, (char *[]){
	    "systemctl", "reload", PROM_UNIT, NULL }, NULL, 0) != 0) {
		step_fail(ctx, PROM_UNIT " did not reload the rules: see "
		    "journalctl -u " PROM_UNIT);
		goto failed;
	}
	am_state_free(&st);
	return RESULT_CHANGED;
failed:
	am_state_free(&st);
	return RESULT_FAILED;
}

/*
 * Bounded: Alertmanager ready, Prometheus listing it as an active
 * alertmanager, and Prometheus's rules holding our group (so the reload
 * took the rules file).
 */
static const char verify_script[] =
    "am=$1 prom=$2 wait=$3 i=0\n"
    "while :; do\n"
    "  r=$(curl -sf --max-time 3 \"$am/-/ready\" >/dev/null && echo ready)\n"
    "  a=$(curl -s --max-time 3 \"$prom/api/v1/alertmanagers\")\n"
    "  g=$(curl -s --max-time 3 \"$prom/api/v1/rules?type=alert\")\n"
    "  case $a in *'\"activeAlertmanagers\":[{\"url\":\"" AM_URL
    "/api/v2/alerts\"}]'*) a=seen;; esac\n"
    "  case $g in *'\"name\":\"dhis2-setup\"'*) g=loaded;; esac\n"
    "  [ \"$r$a$g\" = readyseenloaded ] && exit 0\n"
    "  i=$((i + 1))\n"
    "  if [ $i -ge \"$wait\" ]; then\n"
    "    [ \"$r\" = ready ] || echo 'Alertmanager does not answer on "
    "127.0.0.1:" PORT_STR(PORT_ALERTMANAGER) "'\n"
    "    [ \"$a\" = seen ] || echo 'Prometheus does not list it as an "
    "alertmanager'\n"
    "    [ \"$g\" = loaded ] || echo 'Prometheus has not loaded the "
    "dhis2-setup rules'\n"
    "    exit 1\n"
    "  fi\n"
    "  sleep 1\n"
    "done\n";

static enum result
am_verify(struct step_ctx *ctx)
{
	struct am_state	 st;
	char		*out = NULL, wait[16], *nl;
	int		 bad;

	if (am_probe(ctx, &st) == -1) {
		am_state_free(&st);
		return RESULT_FAILED;
	}
	bad = am_pending(ctx, &st, 0);
	am_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "alerting: %d thing%s still not as wanted "
		    "after apply: see the log", bad, bad == 1 ? "" : "s");
	snprintf(wait, sizeof wait, "%d", VERIFY_WAIT_S);
	if (step_probe_run(ctx, &out, verify_script, AM_URL, PROM_URL, wait,
	    NULL) != 0) {
		for (nl = out; nl != NULL && (nl = strchr(nl, '\n')) != NULL;)
			*nl = nl[1] != '\0' ? ';' : '\0';
		step_fail(ctx, "after %d s: %s (see journalctl -u " AM_PKG
		    " and -u " PROM_UNIT ")", VERIFY_WAIT_S, out != NULL &&
		    *out != '\0' ? out : "no answer");
		free(out);
		return RESULT_FAILED;
	}
	free(out);
	step_msg(ctx, "Alertmanager answers on 127.0.0.1:%d and Prometheus "
	    "sends to it", PORT_ALERTMANAGER);
	return RESULT_CHANGED;
}

/* After Prometheus (its rules reload) and the firewall (see am_apply). */
static const char *const am_after[] = { "base", "firewall", "prometheus",
	NULL };

const struct step step_alerting = {
	.name = "alerting",
	.roles = ROLE_BIT(ROLE_MONITOR),
	.summary = "alerting: Alertmanager on 127.0.0.1:"
	    PORT_STR(PORT_ALERTMANAGER) " with the "
	    "profile's mail (through the relay), Telegram and Slack, checked "
	    "by amtool; Prometheus's alert rules, checked by promtool",
	.after = am_after,
	.check = am_check,
	.apply = am_apply,
	.verify = am_verify,
};
