/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * alert-test: one test message on every channel the profile chose, by
 * either of two paths.
 *
 *  through Alertmanager  on the monitor node, as `dhis2-setup alert-test`
 *                        does: the message goes the way real alerts go
 *                        (the alerting step's "test" receiver: the same
 *                        relay, token and webhook), and Alertmanager's own
 *                        counters say, per channel, whether it was
 *                        delivered.
 *  direct                from this machine with libcurl, each channel
 *                        straight to its service: the wizard's fallback
 *                        before apply has installed Alertmanager, or when
 *                        its machine cannot be reached.
 *
 * Not a step: the monitor is reached through the engine
 * (engine_connect_node), with no plan.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_test.h"
#include "alerting.h"
#include "connect.h"
#include "core.h"
#include "feature.h"
#include "lazylib.h"
#include "profile.h"
#include "secrets.h"
#include "stack.h"
#include "step_probe.h"
#include "transport.h"

#define AM_PKG		ALERTMANAGER_UNIT
#define AM_URL		ALERTMANAGER_URL
#define TEST_WAIT_S	45	/* the test route fails a channel within 10 s */
#define CONNECT_TIMEOUT	5	/* seconds: the operator is waiting */
#define SEND_TIMEOUT	15	/* seconds for a whole test message */

static void
add(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Through Alertmanager                                               */

/*
 * On the monitor, one round trip.  Arguments: Alertmanager's URL, the
 * test's id, the seconds to wait, the integrations.  Alertmanager's own
 * counters, per integration, before and after: a request that did not
 * fail is a delivery (the relay or the service said yes);
 * notifications_failed_total is a channel that gave up.
 */
static const char test_script[] =
    "am=$1 id=$2 wait=$3 host=$4\n"
    "shift 4\n"
    "m() { curl -sf --max-time 5 \"$am/metrics\" | grep -E "
    "'^alertmanager_notification(s|_requests)(_failed)?_total\\{'; }\n"
    "before=$(m) || { echo status=down; exit 0; }\n"
    "ends=$(date -u -d '+3 min' +%Y-%m-%dT%H:%M:%SZ)\n"
    "body='[{\"labels\":{\"alertname\":\"" ALERT_TEST_NAME "\",\"test_id\":"
    "\"'$id'\",\"severity\":\"info\",\"node\":\"'$host'\"},\"annotations\":"
    "{\"summary\":\"dhis2-setup test alert from '$host'\",\"description\":"
    "\"A test: alerts about this DHIS2 server will come this way.\"},"
    "\"endsAt\":\"'$ends'\"}]'\n"
    "curl -sf --max-time 5 -H 'Content-Type: application/json' -d \"$body\" "
    "\"$am/api/v2/alerts\" >/dev/null || { echo status=refused; exit 0; }\n"
    "echo status=posted\n"
    "judge() {\n"
    "  { printf '%s\\n' \"$before\" | sed 's/^/B /'\n"
    "    printf '%s\\n' \"$now\" | sed 's/^/N /'; } | awk -v want=\"$*\" '\n"
    "  { v[$1 \" \" $2] = $3 }\n"
    "  function d(name, i) { k = name \"{integration=\\\"\" i \"\\\"}\"\n"
    "    return v[\"N \" k] - v[\"B \" k] }\n"
    "  END { n = split(want, w, \" \"); done = 1\n"
    "    for (j = 1; j <= n; j++) { i = w[j]\n"
    "      tries = d(\"alertmanager_notification_requests_total\", i)\n"
    "      ok = tries - d(\"alertmanager_notification_requests_failed_total\","
    " i)\n"
    "      gaveup = d(\"alertmanager_notifications_failed_total\", i)\n"
    "      st = ok > 0 ? \"delivered\" : gaveup > 0 ? \"failed\" : "
    "\"pending\"\n"
    "      if (st == \"pending\") done = 0\n"
    "      print \"result=\" i \" \" st \" \" tries }\n"
    "    exit !done }'\n"
    "}\n"
    "i=0\n"
    "while :; do\n"
    "  sleep 1\n"
    "  i=$((i + 1))\n"
    "  now=$(m) || { echo status=gone; exit 0; }\n"
    "  if judge \"$@\" > /dev/null || [ $i -ge \"$wait\" ]; then\n"
    "    judge \"$@\"\n"
    "    exit 0\n"
    "  fi\n"
    "done\n";

struct channel {
	const char	*integration;	/* Alertmanager's name */
	char		*label;		/* what the operator reads */
};

static size_t
channels(const struct profile *p, struct channel ch[3])
{
	const struct alerting	*a = &p->alerting;
	size_t			 n = 0;

	if (a->email != NULL) {
		ch[n].integration = "email";
		xasprintf(&ch[n++].label, "email to %s through %s", a->email,
		    a->smarthost != NULL ? a->smarthost : "(no relay)");
	}
	if (a->telegram) {
		ch[n].integration = "telegram";
		xasprintf(&ch[n++].label, "Telegram chat %s",
		    a->telegram_chat);
	}
	if (a->slack) {
		ch[n].integration = "slack";
		ch[n++].label = xstrdup("Slack webhook");
	}
	return n;
}

/* The script's "result=INTEGRATION STATE TRIES" lines to the report. */
static int
judge(const char *out, struct channel *ch, size_t n, struct strbuf *sb)
{
	char		*key, *line, state[16];
	const char	*p;
	size_t		 i;
	int		 tries, bad = 0;

	for (i = 0; i < n; i++) {
		xasprintf(&key, "result=%s ", ch[i].integration);
		p = strstr(out, key);
		snprintf(state, sizeof state, "pending");
		tries = 0;
		if (p != NULL)
			sscanf(p + strlen(key), "%15s %d", state, &tries);
		free(key);
		if (strcmp(state, "delivered") == 0)
			xasprintf(&line, "%s: delivered\n", ch[i].label);
		else if (strcmp(state, "failed") == 0)
			xasprintf(&line, "%s: FAILED after %d attempt%s "
			    "(journalctl -u " AM_PKG " on the monitor says "
			    "why)\n", ch[i].label, tries, tries == 1 ? "" : "s");
		else
			xasprintf(&line, "%s: NOT DELIVERED within %d s (%d "
			    "attempt%s; journalctl -u " AM_PKG " on the "
			    "monitor)\n", ch[i].label, TEST_WAIT_S, tries,
			    tries == 1 ? "" : "s");
		bad += strncmp(line + strlen(ch[i].label), ": delivered",
		    11) != 0;
		strbuf_add(sb, line, strlen(line));
		free(line);
	}
	return bad;
}

static int
run_test(struct transport *t, const char *machine, struct channel *ch,
    size_t n, struct strbuf *sb, int *absent)
{
	char	*argv[12], *out = NULL, *err = NULL, id[32], wait[16], *line;
	size_t	 k = 0, i;
	int	 rc;

	snprintf(id, sizeof id, "%ld-%ld", (long)time(NULL), (long)getpid());
	snprintf(wait, sizeof wait, "%d", TEST_WAIT_S);
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)test_script;
	argv[k++] = "sh";
	argv[k++] = AM_URL;
	argv[k++] = id;
	argv[k++] = wait;
	argv[k++] = (char *)machine;
	for (i = 0; i < n; i++)
		argv[k++] = (char *)ch[i].integration;
	argv[k] = NULL;
	if (transport_capture(t, argv, &out, &err) != 0 || out == NULL) {
		xasprintf(&line, "cannot run the test on %s: %s\n", machine,
		    err != NULL ? err : "no answer");
		strbuf_add(sb, line, strlen(line));
		free(line);
		free(out);
		free(err);
		return EXIT_UNREACHABLE;
	}
	free(err);
	if (!step_probe_has(out, "status=posted")) {
		*absent = step_probe_has(out, "status=down");
		xasprintf(&line, "Alertmanager on %s %s: run dhis2-setup apply "
		    "first (see journalctl -u " AM_PKG ")\n", machine, *absent ?
		    "does not answer on 127.0.0.1:"
		    PORT_STR(PORT_ALERTMANAGER) : "refused the test "
		    "alert");
		strbuf_add(sb, line, strlen(line));
		free(line);
		free(out);
		return EXIT_STEP_FAILED;
	}
	rc = judge(out, ch, n, sb) > 0 ? EXIT_STEP_FAILED : EXIT_OK;
	free(out);
	return rc;
}

int
alert_test(const struct profile *p, int accept_new, char **report,
    int *absent)
{
	struct strbuf		 sb = { NULL, 0, 0 };
	struct channel		 ch[3];
	struct engine_node	 en;
	char			*err = NULL, *line;
	size_t			 n, i;
	int			 rc;

	*absent = 0;
	strbuf_add(&sb, "", 0);
	if ((n = channels(p, ch)) == 0 || !alerting_on(p)) {
		add(&sb, n == 0 ? "no alerting receiver is set: give "
		    "alerting.email (with a smarthost), telegram or slack\n" :
		    "alerting needs monitoring: prometheus\n");
		rc = EXIT_USAGE;
		goto out;
	}
	switch (engine_connect_node(p, ROLE_MONITOR, accept_new, &en, &err)) {
	case 0:
		rc = run_test(en.t, en.name, ch, n, &sb, absent);
		break;
	case -1:
		xasprintf(&line, "%s\n", err);
		add(&sb, line);
		free(line);
		rc = EXIT_USAGE;
		break;
	default:
		xasprintf(&line, "cannot reach %s: %s\n", en.name, err);
		add(&sb, line);
		free(line);
		rc = EXIT_UNREACHABLE;
		break;
	}
	free(err);
	engine_node_close(&en);
out:
	for (i = 0; i < n; i++)
		free(ch[i].label);
	*report = sb.buf;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Direct, from this machine                                          */

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload	*u = arg;
	size_t		 len = size * n;

	if (len > u->left)
		len = u->left;
	memcpy(buf, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

static size_t
discard_cb(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

static void
add_result(struct strbuf *sb, const char *what, CURLcode rc, long code,
    const char *errbuf)
{
	char	*line;

	if (rc == CURLE_OK && (code == 0 || (code >= 200 && code < 300)))
		xasprintf(&line, "%s: sent.\n", what);
	else if (rc == CURLE_OK)
		xasprintf(&line, "%s: refused (HTTP %ld).\n", what, code);
	else
		xasprintf(&line, "%s: not sent: %s.\n", what,
		    *errbuf ? errbuf : curl_easy_strerror(rc));
	strbuf_add(sb, line, strlen(line));
	free(line);
}

static void
send_mail(const struct profile *p, struct strbuf *sb)
{
	const struct alerting	*a = &p->alerting;
	struct curl_slist	*rcpt = NULL;
	struct upload		 u;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*url, *from, *msg, host[256];
	CURL			*c;
	CURLcode		 rc;

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	xasprintf(&from, "dhis2-setup@%s", p->fqdn != NULL ? p->fqdn :
	    host);
	xasprintf(&url, "smtp://%s%s", a->smarthost,
	    strchr(a->smarthost, ':') != NULL ? "" : ":25");
	xasprintf(&msg, "From: <%s>\r\nTo: <%s>\r\nSubject: dhis2-setup test "
	    "alert\r\n\r\nThis is a test message from the dhis2-setup wizard "
	    "on %s.\r\nAlerts about %s will come this way.\r\n", from, a->email,
	    host, p->fqdn != NULL ? p->fqdn : "DHIS2");
	u.p = msg;
	u.left = strlen(msg);
	rcpt = curl_slist_append(rcpt, a->email);
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	free(url);
	xasprintf(&url, "Email to %s through %s", a->email, a->smarthost);
	add_result(sb, url, rc, 0, errbuf);
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(url);
	free(from);
	secure_wipe(msg, strlen(msg));
	free(msg);
}

static void
post(struct strbuf *sb, const char *what, const char *url, const char *ctype,
    const char *body)
{
	struct curl_slist	*hdr = NULL;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*h;
	long			 code = 0;
	CURL			*c;
	CURLcode		 rc;

	xasprintf(&h, "Content-Type: %s", ctype);
	hdr = curl_slist_append(hdr, h);
	free(h);
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	/* The error text may hold the URL, and the URL the token. */
	if (strstr(errbuf, url) != NULL || strstr(errbuf, "bot") != NULL)
		snprintf(errbuf, sizeof errbuf, "%s", curl_easy_strerror(rc));
	add_result(sb, what, rc, code, errbuf);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
}

/* Each channel from here; s: the secrets, NULL when not loaded. */
static void
send_direct(struct strbuf *sb, const struct profile *p,
    const struct secrets *s)
{
	const struct alerting	*a = &p->alerting;
	const char		*tok, *hook;
	char			*path, *url, *body, *line;

	if (a->email != NULL && a->smarthost != NULL)
		send_mail(p, sb);
	else if (a->email != NULL)
		add(sb, "Email: give the mail relay to test it.\n");
	path = profile_secrets_path(p);
	if (a->telegram) {
		tok = s != NULL ? secrets_get(s, SECRET_TELEGRAM) : NULL;
		if (tok == NULL || a->telegram_chat == NULL) {
			xasprintf(&line, "Telegram: needs the chat id and "
			    SECRET_TELEGRAM " in %s.\n", path);
			add(sb, line);
			free(line);
		} else {
			xasprintf(&url, "https://api.telegram.org/bot%s/"
			    "sendMessage", tok);
			xasprintf(&body, "{\"chat_id\": \"%s\", \"text\": "
			    "\"dhis2-setup test alert\"}", a->telegram_chat);
			post(sb, "Telegram", url, "application/json", body);
			secure_wipe(url, strlen(url));
			free(url);
			free(body);
		}
	}
	if (a->slack) {
		hook = s != NULL ? secrets_get(s, SECRET_SLACK) : NULL;
		if (hook == NULL) {
			xasprintf(&line, "Slack: needs " SECRET_SLACK
			    " in %s.\n", path);
			add(sb, line);
			free(line);
		} else
			post(sb, "Slack", hook, "application/json",
			    "{\"text\": \"dhis2-setup test alert\"}");
	}
	if (a->email == NULL && !a->telegram && !a->slack)
		add(sb, "No channel is set: give an email address and a relay, "
		    "or tick Telegram or Slack.\n");
	free(path);
}

/*
 * Through the running Alertmanager, as `dhis2-setup alert-test` does;
 * before apply has installed it (or when its machine cannot be reached)
 * each channel is tried from here instead.
 */
char *
alert_test_or_direct(const struct profile *p, const struct secrets *s)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	char		*line, *text;
	int		 rc, absent;

	/* libcurl is loaded now, the first time: without it, say so. */
	if (lazylib_load(LAZY_CURL, &line) == -1)
		return line;
	strbuf_add(&sb, "", 0);
	if (feature_built(FEATURE_ALERTING)) {
		rc = alert_test(p, 0, &text, &absent);
		if (rc == EXIT_OK || (rc == EXIT_STEP_FAILED && !absent)) {
			free(sb.buf);
			return text;
		}
		xasprintf(&line, "Alertmanager: %sSent from this machine "
		    "instead:\n", text);
		add(&sb, line);
		free(line);
		free(text);
	}
	send_direct(&sb, p, s);
	return sb.buf;
}
