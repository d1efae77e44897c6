/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * certbot: a Let's Encrypt certificate for the fqdn, through the webroot
 * the proxy already serves on port 80 (so renewals never stop the proxy),
 * renewed by the certbot package's timer, with a deploy hook that reloads
 * the proxy on this machine -- the one that serves the certificate.
 * verify runs `certbot renew --dry-run`, the proof that renewal works.
 * tls.acme_server points certbot at another ACME CA (pebble in tests, a
 * private CA): this machine must trust that CA's TLS certificate through
 * its system store, which apply checks first with certbot's own HTTP
 * library.  When the lineage renews from another CA than the profile
 * names (say, from a staging CA to the real one), the certificate is
 * requested again at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "proxy.h"
#include "step.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "transport.h"

#define HOOK_PATH	"/etc/letsencrypt/renewal-hooks/deploy/dhis2-setup"
/* certbot's own default, as its renewal files name it */
#define LE_DIRECTORY	"https://acme-v02.api.letsencrypt.org/directory"

/*
 * Arguments: FQDN, then step_items': the package, the renewal timer, the
 * hook.  Then the live files, the link the proxy reads, the CA the
 * lineage renews from and whether the hook may run (certbot skips a hook
 * that is not executable).
 */
static const char probe_script[] =
    STEP_ITEMS_SH
    "fqdn=$1\n"
    "shift\n"
    "step_items \"$@\"\n"
    "[ -f \"/etc/letsencrypt/live/$fqdn/fullchain.pem\" ] && echo live=1\n"
    "[ \"$(readlink " PROXY_TLS_DIR "/fullchain.pem)\" = "
    "\"/etc/letsencrypt/live/$fqdn/fullchain.pem\" ] && echo linked=1\n"
    "r=\"/etc/letsencrypt/renewal/$fqdn.conf\"\n"
    "[ -f \"$r\" ] && sed -n 's/^server *= *\\(.*[^ ]\\) *$/server=\\1/p' "
    "\"$r\"\n"
    "[ -x " HOOK_PATH " ] && echo hook_x=1\n"
    "exit 0\n";

/*
 * Arguments: DIRECTORY-URL.  Whether this machine reaches the ACME CA and
 * trusts its certificate the way certbot does: with python3-requests and
 * the system's CA store (Debian's certifi is /etc/ssl/certs).
 */
static const char acme_reach_script[] =
    "python3 - \"$1\" <<'EOF'\n"
    "import sys, requests\n"
    "try:\n"
    "    requests.get(sys.argv[1], timeout=30).raise_for_status()\n"
    "except requests.exceptions.SSLError as e:\n"
    "    print('untrusted: %s' % e, file=sys.stderr); sys.exit(2)\n"
    "except Exception as e:\n"
    "    print('unreachable: %s' % e, file=sys.stderr); sys.exit(3)\n"
    "EOF\n";

struct cb_state {
	int	 live;
	int	 linked;
	int	 other_ca;	/* the lineage renews from another CA */
	int	 hook_noexec;	/* certbot skips a hook it cannot run */
	struct step_items items;	/* certbot, the hook, its timer */
};

static const char *
acme_directory(const struct profile *p)
{
	return p->tls.acme_server != NULL ? p->tls.acme_server : LE_DIRECTORY;
}

static char *
hook_text(const struct profile *p)
{
	char	*s;

	xasprintf(&s, "#!/bin/sh\n# dhis2-setup: the renewed certificate is "
	    "live once the proxy reloads.\nexec systemctl reload %s\n",
	    proxy_name(p->proxy));
	return s;
}

static void
cb_state_free(struct cb_state *st)
{
	step_items_free(&st->items);
	memset(st, 0, sizeof *st);
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
cb_probe(struct step_ctx *ctx, struct cb_state *st)
{
	struct step_args	 a = { NULL, 0 };
	char			*probe;
	int			 rc;

	memset(st, 0, sizeof *st);
	step_packages_add(&st->items.pkgs, "certbot");
	step_files_add(&st->items.files, HOOK_PATH, hook_text(ctx->profile),
	    0755, NULL, NULL);
	step_services_add(&st->items.units, "certbot.timer", "certbot", 0,
	    0)->flags |= STEP_UNIT_NOW;
	st->items.units.v[0].summary = "enable and start certbot.timer "
	    "(renewals)";
	step_args_add(&a, ctx->profile->fqdn);
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		step_fail(ctx, "cannot read certbot's state on %s",
		    ctx->machine);
		return -1;
	}
	step_items_parse(&st->items, probe);
	st->live = step_probe_has(probe, "live=1");
	st->linked = step_probe_has(probe, "linked=1");
	st->other_ca = st->live && !step_probe_hasf(probe, "server=%s",
	    acme_directory(ctx->profile));
	st->hook_noexec = !step_probe_has(probe, "hook_x=1");
	free(probe);
	return 0;
}

/* One list: reported (check) or counted (verify). */
static int
cb_pending(struct step_ctx *ctx, const struct cb_state *st, int report)
{
	const char	*ca;
	int		 n = 0;

	ca = ctx->profile->tls.acme_server ? ctx->profile->tls.acme_server :
	    "Let's Encrypt";
	n += step_packages_pending(ctx, &st->items.pkgs, report);
	n += step_pending(ctx, report, !st->live, "request a certificate for "
	    "%s from %s (webroot %s)", ctx->profile->fqdn, ca,
	    PROXY_ACME_WEBROOT);
	n += step_pending(ctx, report, st->live && st->other_ca, "replace the "
	    "certificate for %s: it renews from another CA than %s",
	    ctx->profile->fqdn, ca);
	n += step_pending(ctx, report, !st->linked,
	    "serve the Let's Encrypt certificate");
	n += step_services_pending(ctx, &st->items, report);
	/* Not a diff: the hook is one line that names the proxy. */
	n += step_pending(ctx, report, st->items.files.v[0].differs ||
	    st->hook_noexec, "write %s (reload %s after each renewal)",
	    HOOK_PATH, proxy_name(ctx->profile->proxy));
	return n;
}

static enum result
cb_check(struct step_ctx *ctx)
{
	struct cb_state	 st;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1) {
		cb_state_free(&st);
		return RESULT_FAILED;
	}
	cb_pending(ctx, &st, 1);
	cb_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* Before asking: can certbot talk to the CA from here?  0 or -1. */
static int
cb_reach(struct step_ctx *ctx)
{
	const char	*dir = acme_directory(ctx->profile);
	int		 rc;

	rc = step_probe_run(ctx, NULL, acme_reach_script, dir, NULL);
	if (rc == 2)
		return step_err(ctx, "%s does not trust the certificate of "
		    "%s: put the root certificate of that CA in "
		    "/usr/local/share/ca-certificates/ (a .crt file) and run "
		    "update-ca-certificates there; certbot uses that store",
		    ctx->machine, dir);
	if (rc != 0)
		return step_err(ctx, "%s cannot reach the ACME directory %s: "
		    "see the log", ctx->machine, dir);
	return 0;
}

static int
cb_request(struct step_ctx *ctx, int replace)
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
	/* the lineage's name is the fqdn, never fqdn-0001 */
	argv[k++] = "--cert-name";
	argv[k++] = p->fqdn;
	argv[k++] = "-d";
	argv[k++] = p->fqdn;
	argv[k++] = "-m";
	argv[k++] = p->tls.email;
	argv[k++] = "--agree-tos";
	argv[k++] = "--no-eff-email";
	argv[k++] = "--non-interactive";
	/* another CA: its certificate now, not when the old one expires */
	argv[k++] = replace ? "--force-renewal" : "--keep-until-expiring";
	argv[k++] = "--server";
	argv[k++] = (char *)acme_directory(p);
	argv[k] = NULL;
	return step_run(ctx, argv, NULL, 0);
}

static enum result
cb_apply(struct step_ctx *ctx)
{
	struct cb_state	 st;
	const char	*proxy = proxy_name(ctx->profile->proxy);
	enum result	 r = RESULT_CHANGED;
	int		 issued = 0;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1)
		goto failed;
	if (step_packages_install(ctx, &st.items.pkgs) != 0)
		goto failed;
	if (step_services_apply(ctx, &st.items) != 0) {
		step_fail(ctx, "cannot enable certbot.timer: certificates "
		    "would not renew");
		goto failed;
	}
	if ((st.items.files.v[0].differs || st.hook_noexec) && (step_run(ctx,
	    (char *[]){ "install", "-d", "-m", "0755",
	    "/etc/letsencrypt/renewal-hooks/deploy", NULL }, NULL, 0) != 0 ||
	    step_file_apply(ctx, &st.items.files.v[0]) == -1)) {
		step_fail(ctx, "cannot write %s", HOOK_PATH);
		goto failed;
	}
	if (!st.live || st.other_ca) {
		if (cb_reach(ctx) != 0)
			goto failed;
		if (cb_request(ctx, st.live) != 0) {
			step_fail(ctx, "the CA did not issue a certificate for "
			    "%s: does the name resolve to this proxy, and is "
			    "port 80 open to the internet? (the certificate "
			    "served until now stays)", ctx->profile->fqdn);
			goto failed;
		}
		issued = 1;
	}
	/*
	 * A new certificate: link it, decide HSTS for it, serve it; the
	 * reload owed first, so that a run killed before it leaves it to the
	 * proxy step (M3).
	 */
	if ((issued || !st.linked) && (step_intent_set(ctx, proxy,
	    STEP_RELOAD) == -1 || tls_use_live(ctx) != 0 ||
	    step_run(ctx, (char *[]){ "systemctl", "reload", (char *)proxy,
	    NULL }, NULL, 0) != 0 || step_intent_clear(ctx, (char *[]){
	    (char *)proxy, NULL }) == -1)) {
		step_fail(ctx, "cannot switch %s to the new certificate",
		    proxy);
		goto failed;
	}
	cb_state_free(&st);
	return r;
failed:
	cb_state_free(&st);
	return RESULT_FAILED;
}

/* A renewal that works today is the only proof it will work in 60 days. */
static enum result
cb_verify(struct step_ctx *ctx)
{
	struct cb_state	 st;
	char		*argv[12];
	int		 bad, timer_off, k = 0;

	if (ctx->profile->tls.mode != TLS_LETSENCRYPT)
		return RESULT_SKIPPED;
	if (cb_probe(ctx, &st) == -1) {
		cb_state_free(&st);
		return RESULT_FAILED;
	}
	bad = cb_pending(ctx, &st, 0);
	timer_off = step_services_pending(ctx, &st.items, 0);
	cb_state_free(&st);
	if (bad > timer_off)
		return step_fail(ctx, "the Let's Encrypt certificate is not in "
		    "place");
	if (timer_off)
		return step_fail(ctx, "certbot.timer is not enabled and "
		    "running: nothing would renew the certificate");
	/*
	 * Without a terminal certbot renew first sleeps up to 8 minutes.  A
	 * dry run goes to Let's Encrypt's staging CA unless --server names
	 * another: the lineage's own server is not used for it.
	 */
	argv[k++] = "certbot";
	argv[k++] = "renew";
	argv[k++] = "--dry-run";
	argv[k++] = "--non-interactive";
	argv[k++] = "--no-random-sleep-on-renew";
	argv[k++] = "--cert-name";
	argv[k++] = ctx->profile->fqdn;
	if (ctx->profile->tls.acme_server != NULL) {
		argv[k++] = "--server";
		argv[k++] = ctx->profile->tls.acme_server;
	}
	argv[k] = NULL;
	if (step_run(ctx, argv, NULL, 0) != 0)
		return step_fail(ctx, "certbot renew --dry-run failed: the "
		    "certificate will not renew; see the log");
	return RESULT_CHANGED;
}

static const char *const cb_after[] = { "proxy", NULL };

/* certbot where Let's Encrypt issues, for one apt transaction. */
static void
cb_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	if (ctx->profile->tls.mode == TLS_LETSENCRYPT)
		step_pkgs_add(sp, "certbot");
}

const struct step step_certbot = {
	.name = "certbot",
	.roles = ROLE_BIT(ROLE_PROXY),
	.summary = "Let's Encrypt through the proxy's webroot, renewal timer "
	    "and reload hook, proven by certbot renew --dry-run",
	.after = cb_after,
	.check = cb_check,
	.apply = cb_apply,
	.verify = cb_verify,
	.packages = cb_packages,
};
