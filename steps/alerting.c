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
 * One round trip.  Arguments: the five files, then Alertmanager's and
 * Prometheus's URLs.  Secrets are compared by their sums only.
 */
static const char probe_script[] =
    "am=$6 prom=$7\n"
    "for f in \"$1\" \"$2\" \"$3\" \"$4\" \"$5\"; do\n"
    "  if [ -f \"$f\" ]; then echo \"sum=$(sha256sum < \"$f\" | "
    "cut -d' ' -f1) $f\"; echo \"mtime=$(stat -c %Y \"$f\") $f\"\n"
    "  else echo \"sum=none $f\"; fi\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' " AM_PKG
    " 2>/dev/null\n"
    "systemctl is-enabled --quiet " AM_PKG " 2>/dev/null && echo enabled=1\n"
    "if systemctl is-active --quiet " AM_PKG "; then\n"
    "  echo active=1\n"
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

struct am_state {
	char	*defaults;
	char	*config;		/* holds the Telegram token */
	char	*rules;
	const char *smtp_pass;		/* NULL: none (the secrets' own) */
	const char *slack_url;
	int	 missing;
	int	 default_differs;
	int	 config_differs;
	int	 rules_differ;
	int	 smtp_differs;
	int	 slack_differs;
	int	 disabled;
	int	 down;
	int	 not_ready;
	int	 am_stale;		/* running with an older config */
	int	 prom_stale;		/* Prometheus with older rules */
	int	 prom_down;
};

static void
am_state_free(struct am_state *st)
{
	if (st->config != NULL) {
		secure_wipe(st->config, strlen(st->config));
		free(st->config);
	}
	free(st->defaults);
	free(st->rules);
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

/* When the probe says file was last written ("mtime=N FILE"). */
static double
probe_mtime(const char *probe, const char *file)
{
	const char	*p;
	size_t		 flen = strlen(file);
	char		*end;
	double		 v;

	for (p = probe; (p = strstr(p, "mtime=")) != NULL; p++) {
		if (p != probe && p[-1] != '\n')
			continue;
		v = strtod(p + 6, &end);
		if (*end == ' ' && strncmp(end + 1, file, flen) == 0 &&
		    (end[1 + flen] == '\n' || end[1 + flen] == '\0'))
			return v;
	}
	return 0;
}

/* The wanted file holds NULL: is there one? */
static int
file_unwanted(const char *probe, const char *file)
{
	char	*line;
	int	 r;

	xasprintf(&line, "sum=none %s", file);
	r = !step_probe_has(probe, line);
	free(line);
	return r;
}

static int
secret_differs(const char *probe, const char *file, const char *want)
{
	return want != NULL ? step_probe_sum_differs(probe, file, want) :
	    file_unwanted(probe, file);
}

static int
am_probe(struct step_ctx *ctx, struct am_state *st)
{
	const struct alerting	*a = &ctx->profile->alerting;
	const char		*token = NULL;
	char			*probe, *why;
	double			 loaded;

	memset(st, 0, sizeof *st);
	if (a->telegram && (token = secrets_get(ctx->secrets,
	    SECRET_TELEGRAM)) == NULL)
		return step_fail(ctx, "secret '" SECRET_TELEGRAM "' is "
		    "missing: add the bot's token to the secrets file"), -1;
	if (a->slack && (st->slack_url = secrets_get(ctx->secrets,
	    SECRET_SLACK)) == NULL)
		return step_fail(ctx, "secret '" SECRET_SLACK "' is "
		    "missing: add the webhook URL to the secrets file"), -1;
	if (a->email != NULL && a->smarthost != NULL)
		st->smtp_pass = secrets_get(ctx->secrets, SECRET_SMTP);
	/* A test bed's own Bot API server (docs/alerting.md). */
	st->config = alerting_config_text(ctx->profile, token,
	    st->smtp_pass != NULL, getenv("DHIS2_SETUP_TELEGRAM_API"), &why);
	if (st->config == NULL || (st->rules = alerting_rules_text(&why)) ==
	    NULL) {
		step_fail(ctx, "%s", why);
		free(why);
		return -1;
	}
	st->defaults = am_default_text();
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)probe_script,
	    "sh", AM_DEFAULT, AM_CONFIG, ALERT_RULES_FILE, SMTP_PASS_FILE,
	    SLACK_URL_FILE, AM_URL, PROM_URL, NULL }, &probe) != 0) {
		free(probe);
		return step_fail(ctx, "cannot read Alertmanager's state on %s",
		    ctx->machine), -1;
	}
	st->missing = !step_probe_has(probe, "pkg=" AM_PKG " ii ");
	st->default_differs = step_probe_sum_differs(probe, AM_DEFAULT,
	    st->defaults);
	st->config_differs = step_probe_sum_differs(probe, AM_CONFIG,
	    st->config);
	st->rules_differ = step_probe_sum_differs(probe, ALERT_RULES_FILE,
	    st->rules);
	st->smtp_differs = secret_differs(probe, SMTP_PASS_FILE,
	    st->smtp_pass);
	st->slack_differs = secret_differs(probe, SLACK_URL_FILE,
	    st->slack_url);
	st->disabled = !step_probe_has(probe, "enabled=1");
	st->down = !step_probe_has(probe, "active=1");
	st->not_ready = !st->down && !step_probe_has(probe, "ready=1");
	loaded = probe_number(probe, "amloaded=");
	st->am_stale = !st->down && !st->config_differs &&
	    probe_mtime(probe, AM_CONFIG) > loaded;
	st->prom_down = strstr(probe, "promloaded=") == NULL;
	loaded = probe_number(probe, "promloaded=");
	st->prom_stale = !st->prom_down && !st->rules_differ &&
	    probe_mtime(probe, ALERT_RULES_FILE) > loaded;
	free(probe);
	return 0;
}

static void
would_secret(struct step_ctx *ctx, const char *file, const char *what,
    const char *want)
{
	if (want != NULL)
		step_would(ctx, "write %s (mode 0640 root:prometheus) from the "
		    "secrets file's %s", file, what);
	else
		step_would(ctx, "remove %s: the profile no longer uses it",
		    file);
}

static enum result
am_check(struct step_ctx *ctx)
{
	const struct alerting	*a = &ctx->profile->alerting;
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
	if (st.missing)
		step_would(ctx, "install package " AM_PKG);
	if (st.smtp_differs)
		would_secret(ctx, SMTP_PASS_FILE, SECRET_SMTP,
		    st.smtp_pass);
	if (st.slack_differs)
		would_secret(ctx, SLACK_URL_FILE, SECRET_SLACK,
		    st.slack_url);
	if (st.default_differs)
		step_file_differs(ctx, AM_DEFAULT, st.defaults,
		    strlen(st.defaults), 0644, 1);
	/* With a token in it, no diff (events are redacted, but still). */
	if (st.config_differs && a->telegram)
		step_would(ctx, "write " AM_CONFIG " (mode 0640 root:prometheus;"
		    " holds the Telegram bot token), checked by amtool");
	else if (st.config_differs)
		step_file_differs(ctx, AM_CONFIG, st.config, strlen(st.config),
		    0640, 1);
	if (st.rules_differ)
		step_file_differs(ctx, ALERT_RULES_FILE, st.rules,
		    strlen(st.rules), 0644, 1);
	if (!st.missing && (st.down || st.disabled))
		step_would(ctx, "start and enable " AM_PKG);
	else if (st.am_stale)
		step_would(ctx, "reload " AM_PKG ": it runs an older "
		    AM_CONFIG);
	if (st.prom_stale)
		step_would(ctx, "reload " PROM_UNIT ": it runs older rules");
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

static int
put_secret(struct step_ctx *ctx, const char *file, const char *value)
{
	if (value == NULL)
		return step_run(ctx, (char *[]){ "rm", "-f", (char *)file,
		    NULL }, NULL, 0) == 0 ? 0 : -1;
	/* Its folder: the prometheus group may enter, nobody else. */
	if (step_run(ctx, (char *[]){ "install", "-d", "-m", "0750", "-o",
	    "root", "-g", "prometheus", ALERT_DIR, NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot make " ALERT_DIR);
		return -1;
	}
	return step_put(ctx, file, value, strlen(value), 0640, "root",
	    "prometheus");
}

static int
systemctl(struct step_ctx *ctx, const char *verb, const char *unit)
{
	return step_run(ctx, (char *[]){ "systemctl", (char *)verb,
	    (char *)unit, NULL }, NULL, 0);
}

static enum result
am_apply(struct step_ctx *ctx)
{
	static const char *const pkgs[] = { AM_PKG, NULL };
	struct am_state		 st;
	int			 restart;

	if (am_probe(ctx, &st) == -1)
		goto failed;
	/* The firewall, loaded before, keeps the package's defaults in. */
	if (st.missing && step_apt_install(ctx, pkgs) != 0)
		goto failed;
	if ((st.smtp_differs && put_secret(ctx, SMTP_PASS_FILE,
	    st.smtp_pass) == -1) || (st.slack_differs && put_secret(ctx,
	    SLACK_URL_FILE, st.slack_url) == -1))
		goto failed;
	if (st.default_differs && step_put(ctx, AM_DEFAULT, st.defaults,
	    strlen(st.defaults), 0644, "root", "root") == -1)
		goto failed;
	if (st.config_differs && step_put_checked(ctx, AM_CONFIG, st.config, 0640,
	    "prometheus", (char *[]){ "amtool", "check-config", AM_CONFIG,
	    NULL }, "amtool") == -1)
		goto failed;
	if (st.rules_differ && step_put_checked(ctx, ALERT_RULES_FILE, st.rules,
	    0644, "root", (char *[]){ "promtool", "check", "rules",
	    ALERT_RULES_FILE, NULL }, "promtool") == -1)
		goto failed;
	restart = st.missing || st.default_differs || st.down;
	if (restart && systemctl(ctx, "restart", AM_PKG) != 0) {
		step_fail(ctx, AM_PKG " does not start: see journalctl -u "
		    AM_PKG);
		goto failed;
	}
	if (!restart && (st.config_differs || st.smtp_differs ||
	    st.slack_differs || st.am_stale) &&
	    systemctl(ctx, "reload", AM_PKG) != 0) {
		step_fail(ctx, AM_PKG " did not reload: see journalctl -u "
		    AM_PKG);
		goto failed;
	}
	if ((st.missing || st.disabled) && step_run(ctx, (char *[]){
	    "systemctl", "enable", "--quiet", AM_PKG, NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot enable " AM_PKG);
		goto failed;
	}
	if ((st.rules_differ || st.prom_stale) &&
	    systemctl(ctx, "reload", PROM_UNIT) != 0) {
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
	bad = st.missing + st.default_differs + st.config_differs +
	    st.rules_differ + st.smtp_differs + st.slack_differs + st.down;
	am_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "alerting: %d thing%s still not as wanted "
		    "after apply: see the log", bad, bad == 1 ? "" : "s");
	snprintf(wait, sizeof wait, "%d", VERIFY_WAIT_S);
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)verify_script,
	    "sh", AM_URL, PROM_URL, wait, NULL }, &out) != 0) {
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
