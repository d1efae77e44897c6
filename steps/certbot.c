/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * certbot: a Let's Encrypt certificate for the fqdn, through the webroot
 * the proxy already serves on port 80 (so renewals never stop the proxy),
 * renewed by the certbot package's timer, with a deploy hook that reloads
 * the proxy on this machine -- the one that serves the certificate.
 * verify runs `certbot renew --dry-run`, the proof that renewal works.
 * tls.acme_server points certbot at another ACME CA (pebble in tests).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "proxy.h"
#include "step.h"
#include "step_probe.h"
#include "transport.h"

#define HOOK_PATH	"/etc/letsencrypt/renewal-hooks/deploy/dhis2-setup"

static const char probe_script[] =
    "fqdn=$1 hook=$2\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' certbot "
    "2>/dev/null\n"
    "[ -f \"/etc/letsencrypt/live/$fqdn/fullchain.pem\" ] && echo live=1\n"
    "[ \"$(readlink " PROXY_TLS_DIR "/fullchain.pem)\" = "
    "\"/etc/letsencrypt/live/$fqdn/fullchain.pem\" ] && echo linked=1\n"
    "[ -f \"$hook\" ] && echo \"hook=$(sha256sum < \"$hook\" | cut -d' ' -f1)\"\n"
    "exit 0\n";

struct cb_state {
	int	 pkg_missing;
	int	 live;
	int	 linked;
	int	 hook_differs;
	char	*hook;
};

static char *
hook_text(const struct profile *p)
{
	char	*s;

	xasprintf(&s, "#!/bin/sh\n# dhis2-setup: the renewed certificate is "
	    "live once the proxy reloads.\nexec systemctl reload %s\n",
	    proxy_name(p->proxy));
	return s;
}

static int
cb_probe(struct step_ctx *ctx, struct cb_state *st)
{
	char	*probe, *line, hex[65];

	memset(st, 0, sizeof *st);
	st->hook = hook_text(ctx->profile);
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)probe_script,
	    "sh", ctx->profile->fqdn, HOOK_PATH, NULL }, &probe) != 0) {
		free(probe);
		step_fail(ctx, "cannot read certbot's state on %s",
		    ctx->machine);
		return -1;
	}
	st->pkg_missing = !step_probe_has(probe, "pkg=certbot ii ");
	st->live = step_probe_has(probe, "live=1");
	st->linked = step_probe_has(probe, "linked=1");
	step_sha256_hex(st->hook, hex);
	xasprintf(&line, "hook=%s", hex);
	st->hook_differs = !step_probe_has(probe, line);
	free(line);
	free(probe);
	return 0;
}

static enum result
cb_check(struct step_ctx *ctx)
{
	struct cb_state	st;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1) {
		free(st.hook);
		return RESULT_FAILED;
	}
	if (st.pkg_missing)
		step_would(ctx, "install package certbot");
	if (!st.live)
		step_would(ctx, "request a certificate for %s from %s (webroot "
		    "%s)", ctx->profile->fqdn, ctx->profile->tls.acme_server ?
		    ctx->profile->tls.acme_server : "Let's Encrypt",
		    PROXY_ACME_WEBROOT);
	if (!st.linked)
		step_would(ctx, "serve the Let's Encrypt certificate");
	if (st.hook_differs)
		step_would(ctx, "write %s (reload %s after each renewal)",
		    HOOK_PATH, proxy_name(ctx->profile->proxy));
	free(st.hook);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static int
cb_request(struct step_ctx *ctx)
{
	const struct profile	*p = ctx->profile;
	char			*argv[24];
	int			 k = 0;

	if (step_run(ctx, (char *[]){ "install", "-d", "-m", "0755",
	    PROXY_ACME_WEBROOT, NULL }, NULL, 0) != 0)
		return -1;
	argv[k++] = "certbot";
	argv[k++] = "certonly";
	argv[k++] = "--webroot";
	argv[k++] = "-w";
	argv[k++] = PROXY_ACME_WEBROOT;
	argv[k++] = "-d";
	argv[k++] = p->fqdn;
	argv[k++] = "-m";
	argv[k++] = p->tls.email;
	argv[k++] = "--agree-tos";
	argv[k++] = "--no-eff-email";
	argv[k++] = "--non-interactive";
	argv[k++] = "--keep-until-expiring";
	if (p->tls.acme_server != NULL) {
		argv[k++] = "--server";
		argv[k++] = p->tls.acme_server;
	}
	argv[k] = NULL;
	return step_run(ctx, argv, NULL, 0);
}

static enum result
cb_apply(struct step_ctx *ctx)
{
	struct cb_state	 st;
	const char	*pkgs[] = { "certbot", NULL };
	enum result	 r = RESULT_CHANGED;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1) {
		free(st.hook);
		return RESULT_FAILED;
	}
	if (st.pkg_missing && step_apt_install(ctx, pkgs) != 0)
		r = RESULT_FAILED;
	else if (!st.live && cb_request(ctx) != 0)
		r = step_fail(ctx, "the CA did not issue a certificate for %s: "
		    "does the name resolve to this proxy, and is port 80 open "
		    "to the internet? (the stand-in certificate stays)",
		    ctx->profile->fqdn);
	else if (st.hook_differs && (step_run(ctx, (char *[]){ "install", "-d",
	    "-m", "0755", "/etc/letsencrypt/renewal-hooks/deploy", NULL }, NULL,
	    0) != 0 || step_put(ctx, HOOK_PATH, st.hook, strlen(st.hook), 0755,
	    NULL, NULL) == -1))
		r = step_fail(ctx, "cannot write %s", HOOK_PATH);
	else if (!st.linked && (tls_use_live(ctx) != 0 ||
	    step_run(ctx, (char *[]){ "systemctl", "reload",
	    (char *)proxy_name(ctx->profile->proxy), NULL }, NULL, 0) != 0))
		r = step_fail(ctx, "cannot switch the proxy to the new "
		    "certificate");
	free(st.hook);
	return r;
}

/* A renewal that works today is the only proof it will work in 60 days. */
static enum result
cb_verify(struct step_ctx *ctx)
{
	struct cb_state	st;
	int		bad;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1) {
		free(st.hook);
		return RESULT_FAILED;
	}
	bad = st.pkg_missing + !st.live + !st.linked + st.hook_differs;
	free(st.hook);
	if (bad)
		return step_fail(ctx, "the Let's Encrypt certificate is not in "
		    "place");
	if (step_run(ctx, (char *[]){ "certbot", "renew", "--dry-run",
	    "--non-interactive", "--cert-name", ctx->profile->fqdn, NULL },
	    NULL, 0) != 0)
		return step_fail(ctx, "certbot renew --dry-run failed: the "
		    "certificate will not renew; see the log");
	return RESULT_CHANGED;
}

static const char *const cb_after[] = { "proxy", NULL };

const struct step step_certbot = {
	.name = "certbot",
	.roles = ROLE_BIT(ROLE_PROXY),
	.summary = "Let's Encrypt through the proxy's webroot, renewal timer "
	    "and reload hook, proven by certbot renew --dry-run",
	.after = cb_after,
	.check = cb_check,
	.apply = cb_apply,
	.verify = cb_verify,
};
