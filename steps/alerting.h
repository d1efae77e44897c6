/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * alerting: Alertmanager on the monitor node and Prometheus's alert
 * rules.  What alert_test.c sends its test message through.  See
 * docs/alerting.md.
 */
#ifndef ALERTING_H
#define ALERTING_H

struct profile;

#define PORT_ALERTMANAGER	9093
/* Debian's package and unit; where it answers, on the monitor itself. */
#define ALERTMANAGER_UNIT	"prometheus-alertmanager"
#define ALERTMANAGER_URL	"http://127.0.0.1:9093"
#define ALERT_RULES_FILE	"/etc/prometheus/dhis2-setup.rules.yml"
/* The test message's alertname: its own route, receiver and group. */
#define ALERT_TEST_NAME		"DHIS2SetupTest"

/* Does the profile alert (a receiver set, and Prometheus to raise alerts)? */
int	 alerting_on(const struct profile *);

/*
 * What prometheus.yml adds for alerting: rule_files and alerting.
 * alertmanagers; "" when alerting is off.  The caller frees it.
 */
char	*alerting_prometheus_text(const struct profile *);

/*
 * /etc/prometheus/alertmanager.yml.  token: the Telegram bot token (it
 * goes into the file: Alertmanager 0.25 has no bot_token_file), smtp_auth:
 * the SMTP password is in its file, telegram_api: a Bot API server other
 * than Telegram's (NULL: Telegram's).  NULL with *why when the token
 * cannot be written into YAML.  The caller wipes and frees it.
 */
char	*alerting_config_text(const struct profile *, const char *, int,
	    const char *, const char **);

/* The alert rules file (ALERT_RULES_FILE). */
const char *alerting_rules_text(void);

#endif
