/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * alerting: Alertmanager on the monitor node and Prometheus's alert
 * rules.  What alert_test.c sends its test message through.  See
 * docs/alerting.md.
 */
#ifndef ALERTING_H
#define ALERTING_H

#include "stack.h"	/* PORT_ALERTMANAGER */

struct profile;

/* Debian's package and unit; where it answers, on the monitor itself. */
#define ALERTMANAGER_UNIT	"prometheus-alertmanager"
#define ALERTMANAGER_URL	"http://127.0.0.1:" PORT_STR(PORT_ALERTMANAGER)
#define ALERT_RULES_FILE	"/etc/prometheus/dhis2-setup.rules.yml"
/*
 * What prometheus.yml's rule_files names: a glob, because promtool
 * refuses a prometheus.yml naming a file that is not there yet, and the
 * prometheus step writes its file before this step writes the rules.
 * The glob matches our file and nothing else (not its .prev).
 */
#define ALERT_RULES_GLOB	"/etc/prometheus/dhis2-setup*.rules.yml"
/* The test message's alertname: its own route, receiver and group. */
#define ALERT_TEST_NAME		"DHIS2SetupTest"

/* Does the profile alert (a receiver set, and Prometheus to raise alerts)? */
int	 alerting_on(const struct profile *);

/*
 * /etc/prometheus/alertmanager.yml, from assets/templates/
 * alertmanager.yml.  token: the Telegram bot token (it goes into the
 * file: Alertmanager 0.25 has no bot_token_file), smtp_auth: the SMTP
 * password is in its file, api: a Bot API server other than Telegram's
 * (NULL: Telegram's).  NULL with *why (the caller frees it) when the
 * token cannot be written into YAML or the template is broken.  The
 * caller wipes and frees it.
 */
char	*alerting_config_text(const struct profile *p, const char *token,
	    int smtp_auth, const char *api, char **why);

/*
 * The alert rules file (ALERT_RULES_FILE), read from assets/templates/;
 * NULL with *err when it cannot be read.  The caller frees it.
 */
char	*alerting_rules_text(char **err);

#endif
