/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * tls: the certificate the proxy serves, always at
 * /etc/dhis2-setup/tls/{fullchain,privkey}.pem so that the proxy's
 * configuration never changes with the certificate's kind:
 *  - self-signed: made on the proxy itself (the key never travels),
 *    renewed when it is within 30 days of expiry or no longer covers the
 *    fqdn;
 *  - provided: the operator's files, checked here before anything is
 *    copied (key matches, dates, names: lib/tlscheck.c);
 *  - letsencrypt: links to certbot's live files once the certbot step has
 *    them; until then a self-signed stand-in so that the proxy can start
 *    and answer the ACME challenge.
 *
 * HSTS is earned by trust, not by the profile: /etc/dhis2-setup/tls/
 * hsts.conf (which the proxy's site includes) sends the header only while
 * the machine's own CA store (/etc/ssl/certs, what certbot and every
 * client on it use) verifies the served certificate for the fqdn: a public
 * CA's, or a private CA's whose root the operator installed there.  A
 * self-signed certificate never earns it.  When the certificate or that
 * file changes, a running proxy is reloaded here, so that a renewed
 * self-signed or replaced provided certificate is served at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core.h"
#include "profile.h"
#include "proxy.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "tlscheck.h"
#include "transport.h"

#define RENEW_BEFORE_S	(30 * 86400)
#define SELF_DAYS	"825"	/* what browsers accept for a leaf */

#define CA_STORE	"/etc/ssl/certs/ca-certificates.crt"

/*
 * Arguments: DIR FQDN.  Says whether the files are there, links or not,
 * the served certificate (its leaf, whose dates and names are read here
 * rather than by two more openssl processes there), whether the
 * machine's CA store trusts it for FQDN, where the letsencrypt live files
 * are, and the sums of the two files and of hsts.conf.
 */
static const char probe_script[] =
    "d=$1 fqdn=$2\n"
    "for f in fullchain privkey hsts; do\n"
    "  p=\"$d/$f.pem\"\n"
    "  [ $f = hsts ] && p=\"$d/hsts.conf\"\n"
    "  if [ -L \"$p\" ]; then echo \"link=$(readlink \"$p\") $f\"; fi\n"
    "  if [ -f \"$p\" ]; then echo \"sum=$(sha256sum < \"$p\" | cut -d' ' -f1) $f\"; fi\n"
    "done\n"
    "c=\"$d/fullchain.pem\"\n"
    "if [ -f \"$c\" ]; then\n"
    /* the leaf's DER in base64 on one line: dates and names read here */
    "  awk '/-END CERTIFICATE-/ { exit } f { printf \"%s\", $0 } "
    "/-BEGIN CERTIFICATE-/ { f = 1; printf \"leaf=\" } END { print \"\" }' "
    "\"$c\"\n"
    /* -untrusted: the chain's intermediates; never a trust anchor */
    "  openssl verify -CAfile " CA_STORE " -untrusted \"$c\" -purpose "
    "sslserver -verify_hostname \"$fqdn\" \"$c\" >/dev/null 2>&1 && "
    "echo trusted=1\n"
    "fi\n"
    "[ -f \"/etc/letsencrypt/live/$fqdn/fullchain.pem\" ] && echo live=1\n"
    "exit 0\n";

/*
 * Arguments: DIR FQDN.  A new self-signed certificate, written beside
 * and renamed into place so that the proxy never reads half a pair.
 */
static const char selfsign_script[] =
    "set -e\n"
    "d=$1 fqdn=$2\n"
    "install -d -m 0755 \"$d\"\n"
    "umask 077\n"
    "openssl req -x509 -newkey rsa:2048 -nodes -days " SELF_DAYS " "
    "-subj \"/CN=$fqdn\" -addext \"subjectAltName=DNS:$fqdn\" "
    "-keyout \"$d/privkey.pem.new\" -out \"$d/fullchain.pem.new\" "
    "2>/dev/null\n"
    "chmod 0644 \"$d/fullchain.pem.new\"\n"
    "mv -f \"$d/privkey.pem.new\" \"$d/privkey.pem\"\n"
    "mv -f \"$d/fullchain.pem.new\" \"$d/fullchain.pem\"\n";

struct tls_state {
	int	 present;
	int	 linked_live;	/* both are links to certbot's live files */
	int	 fresh;
	int	 covers;
	int	 trusted;	/* by the machine's CA store, for the fqdn */
	int	 live;
	char	*fullchain;	/* provided: wanted contents */
	char	*privkey;
	int	 provided_differs;
	char	*hsts;		/* wanted hsts.conf for the current cert */
	int	 hsts_differs;
};

static void
tls_state_free(struct tls_state *st)
{
	if (st->privkey != NULL) {
		secure_wipe(st->privkey, strlen(st->privkey));
		free(st->privkey);
	}
	free(st->fullchain);
	free(st->hsts);
	memset(st, 0, sizeof *st);
}

/*
 * What hsts.conf holds: the header in the proxy's own syntax, or only a
 * comment saying why not.  Two years, no includeSubDomains and no preload:
 * other names under the domain are not ours to bind.
 */
char *
tls_hsts_text(int nginx, int trusted)
{
	char	*s;

	if (!trusted)
		s = xstrdup("# dhis2-setup: no HSTS: this machine's CA store "
		    "does not trust the certificate\n# (self-signed, or a "
		    "private CA whose root is not in /etc/ssl/certs).\n");
	else if (nginx)
		s = xstrdup("# dhis2-setup: HSTS, because this machine's CA "
		    "store trusts the certificate.\nadd_header "
		    "Strict-Transport-Security \"max-age=63072000\" always;\n");
	else
		s = xstrdup("# dhis2-setup: HSTS, because this machine's CA "
		    "store trusts the certificate.\nHeader always set "
		    "Strict-Transport-Security \"max-age=63072000\"\n");
	return s;
}

/* The operator's files, checked, as the two files the proxy reads. */
static int
provided_contents(struct step_ctx *ctx, struct tls_state *st)
{
	const struct tls	*t = &ctx->profile->tls;
	struct tls_report	 rep;
	char			 err[512], *cert, *chain = NULL;
	size_t			 len;

	if (tls_check_files(t->cert, t->key, t->chain, ctx->profile->fqdn,
	    NULL, &rep, err, sizeof err) == -1) {
		step_fail(ctx, "%s", err);
		return -1;
	}
	if (rep.days_left < 30)
		step_note(ctx, "%s expires in %ld days: renew it", t->cert,
		    rep.days_left);
	if (read_file_limited(t->cert, 1 << 20, &cert, &len) == -1 ||
	    (t->chain != NULL && read_file_limited(t->chain, 1 << 20, &chain,
	    &len) == -1) ||
	    read_file_limited(t->key, 1 << 20, &st->privkey, &len) == -1) {
		step_fail(ctx, "cannot read the certificate files");
		return -1;
	}
	xasprintf(&st->fullchain, "%s%s%s", cert,
	    cert[0] && cert[strlen(cert) - 1] != '\n' ? "\n" : "",
	    chain ? chain : "");
	free(cert);
	free(chain);
	return 0;
}

/* Whether the probe saw a regular file for NAME: its "sum=HEX NAME". */
static int
has_sum(const char *probe, const char *name)
{
	const char	*l, *sp, *nl;
	size_t		 len = strlen(name);

	for (l = probe; *l != '\0'; l = nl + 1) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l) - 1;
		if (strncmp(l, "sum=", 4) == 0 && (sp = strchr(l, ' ')) !=
		    NULL && sp < nl && (size_t)(nl - sp - 1) == len &&
		    strncmp(sp + 1, name, len) == 0)
			return 1;
		if (nl[1] == '\0')
			break;
	}
	return 0;
}

/*
 * The probe's leaf= line (a DER certificate in base64): whether it
 * outlives RENEW_BEFORE_S (openssl x509 -checkend) and covers fqdn
 * (-checkhost: the DNS names, else the common name).
 */
static void
leaf_check(const char *probe, const char *fqdn, int *fresh, int *covers)
{
	char			*b64;
	unsigned char		*der;
	const unsigned char	*q;
	X509			*x;
	time_t			 until = time(NULL) + RENEW_BEFORE_S;
	size_t			 len;
	int			 n;

	*fresh = *covers = 0;
	if ((b64 = step_probe_value(probe, "leaf=")) == NULL)
		return;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0 || len > (1 << 20)) {
		free(b64);
		return;
	}
	der = xmalloc(len / 4 * 3);
	n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
	/* DecodeBlock counts the padding as bytes; d2i stops at the end. */
	q = der;
	if (n > 0 && (x = d2i_X509(NULL, &q, n)) != NULL) {
		*fresh = X509_cmp_time(X509_get0_notAfter(x), &until) > 0;
		*covers = X509_check_host(x, fqdn, 0, 0, NULL) == 1;
		X509_free(x);
	}
	free(der);
	free(b64);
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
tls_probe(struct step_ctx *ctx, struct tls_state *st)
{
	const struct profile	*p = ctx->profile;
	char			*probe, *live;
	int			 rc;

	memset(st, 0, sizeof *st);
	if (p->tls.mode == TLS_PROVIDED && provided_contents(ctx, st) == -1)
		return -1;
	rc = step_probe_run(ctx, &probe, probe_script, PROXY_TLS_DIR, p->fqdn,
	    NULL);
	if (rc != 0) {
		free(probe);
		step_fail(ctx, "cannot read the certificate's state on %s",
		    ctx->machine);
		return -1;
	}
	/* sum= lines: a dangling link is not a certificate */
	st->present = has_sum(probe, "fullchain") && has_sum(probe, "privkey");
	xasprintf(&live, "/etc/letsencrypt/live/%s", p->fqdn);
	st->linked_live = step_probe_hasf(probe,
	    "link=%s/fullchain.pem fullchain", live) &&
	    step_probe_hasf(probe, "link=%s/privkey.pem privkey", live);
	free(live);
	leaf_check(probe, p->fqdn, &st->fresh, &st->covers);
	st->trusted = step_probe_has(probe, "trusted=1");
	st->hsts = tls_hsts_text(p->proxy == PROXY_NGINX, st->trusted);
	st->hsts_differs = step_probe_sum_differs(probe, "hsts", st->hsts);
	st->live = step_probe_has(probe, "live=1");
	if (st->fullchain != NULL) {
		st->provided_differs = step_probe_sum_differs(probe,
		    "fullchain", st->fullchain) ||
		    step_probe_sum_differs(probe, "privkey", st->privkey);
	}
	free(probe);
	return 0;
}

/* What apply would do; NULL when nothing. */
static const char *
tls_todo(const struct profile *p, const struct tls_state *st)
{
	switch (p->tls.mode) {
	case TLS_NONE:
		return NULL;
	case TLS_PROVIDED:
		return st->provided_differs ? "install the provided certificate "
		    "and key (key mode 0600)" : NULL;
	case TLS_LETSENCRYPT:
		if (st->live)
			return st->linked_live ? NULL : "use the Let's Encrypt "
			    "certificate";
		/* a stand-in until certbot has one */
		/* FALLTHROUGH */
	case TLS_SELF_SIGNED:
		if (st->present && !st->linked_live && st->fresh && st->covers)
			return NULL;
		return p->tls.mode == TLS_SELF_SIGNED ? "make a self-signed "
		    "certificate for the fqdn (825 days)" : "make a self-signed "
		    "stand-in until Let's Encrypt issues the certificate";
	}
	return NULL;
}

static enum result
tls_check(struct step_ctx *ctx)
{
	struct tls_state	 st;
	const char		*todo;

	if (ctx->profile->tls.mode == TLS_NONE)
		return RESULT_SKIPPED;
	if (tls_probe(ctx, &st) == -1) {
		tls_state_free(&st);
		return RESULT_FAILED;
	}
	if ((todo = tls_todo(ctx->profile, &st)) != NULL)
		step_would(ctx, "%s in %s", todo, PROXY_TLS_DIR);
	else if (st.hsts_differs)
		step_would(ctx, "%s HSTS (%s): this machine's CA store %s the "
		    "certificate", st.trusted ? "send" : "stop sending",
		    PROXY_HSTS_CONF, st.trusted ? "trusts" : "does not trust");
	tls_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* Arguments: UNIT.  Reload it when it runs; nothing when it does not. */
static const char reload_script[] =
    "if systemctl is-active --quiet \"$1\"; then exec systemctl reload "
    "\"$1\"; fi\n";

static int
reload_proxy(struct step_ctx *ctx)
{
	return step_probe_run(ctx, NULL, reload_script,
	    proxy_name(ctx->profile->proxy), NULL);
}

/*
 * hsts.conf as the certificate in place now earns it: a fresh look at
 * the files, because the caller may just have changed them.  1 when it
 * was written, 0 when it was right, -1 after step_fail.
 */
static int
hsts_sync(struct step_ctx *ctx)
{
	struct tls_state	st;
	int			rc = 0;

	if (tls_probe(ctx, &st) == -1)
		rc = -1;
	else if (st.hsts_differs) {
		if (step_put(ctx, PROXY_HSTS_CONF, st.hsts, strlen(st.hsts),
		    0644, NULL, NULL) == -1) {
			step_fail(ctx, "cannot write %s", PROXY_HSTS_CONF);
			rc = -1;
		} else
			rc = 1;
	}
	tls_state_free(&st);
	return rc;
}

static int
link_live(struct step_ctx *ctx)
{
	char	*src, *dst;
	int	 rc = 0, i;
	static const char *const names[] = { "fullchain.pem", "privkey.pem" };

	for (i = 0; i < 2; i++) {
		xasprintf(&src, "/etc/letsencrypt/live/%s/%s",
		    ctx->profile->fqdn, names[i]);
		xasprintf(&dst, PROXY_TLS_DIR "/%s", names[i]);
		rc |= step_run(ctx, (char *[]){ "ln", "-sfn", src, dst, NULL },
		    NULL, 0);
		free(src);
		free(dst);
	}
	return rc;
}

/*
 * Used by the certbot step too, once a certificate is issued: link
 * certbot's live files and decide HSTS for them.  The caller reloads.
 */
int
tls_use_live(struct step_ctx *ctx)
{
	if (step_run(ctx, (char *[]){ "install", "-d", "-m", "0755",
	    PROXY_TLS_DIR, NULL }, NULL, 0) != 0 || link_live(ctx) != 0)
		return -1;
	return hsts_sync(ctx) == -1 ? -1 : 0;
}

static enum result
tls_apply(struct step_ctx *ctx)
{
	const struct profile	*p = ctx->profile;
	struct tls_state	 st;
	int			 cert = 1, failed = 0, hsts = 0;

	if (p->tls.mode == TLS_NONE)
		return RESULT_SKIPPED;
	if (tls_probe(ctx, &st) == -1) {
		tls_state_free(&st);
		return RESULT_FAILED;
	}
	/*
	 * The reload the new files need, owed before they are written: a
	 * run killed before it leaves it to the proxy step (M3).
	 */
	if (step_intent_set(ctx, proxy_name(p->proxy), STEP_RELOAD) == -1) {
		tls_state_free(&st);
		return RESULT_FAILED;
	}
	if (tls_todo(p, &st) == NULL)
		cert = 0;
	else if (p->tls.mode == TLS_PROVIDED) {
		if (step_run(ctx, (char *[]){ "install", "-d", "-m", "0755",
		    PROXY_TLS_DIR, NULL }, NULL, 0) != 0 ||
		    step_put(ctx, PROXY_TLS_DIR "/privkey.pem", st.privkey,
		    strlen(st.privkey), 0600, NULL, NULL) == -1 ||
		    step_put(ctx, PROXY_TLS_DIR "/fullchain.pem", st.fullchain,
		    strlen(st.fullchain), 0644, NULL, NULL) == -1)
			failed = step_err(ctx, "cannot install the "
			    "certificate");
	} else if (p->tls.mode == TLS_LETSENCRYPT && st.live) {
		if (tls_use_live(ctx) != 0)
			failed = step_err(ctx, "cannot link the Let's "
			    "Encrypt certificate");
	} else if (step_probe_run(ctx, NULL, selfsign_script, PROXY_TLS_DIR,
	    p->fqdn, NULL) != 0)
		failed = step_err(ctx, "openssl could not make a "
		    "certificate for %s", p->fqdn);
	tls_state_free(&st);
	if (failed || (hsts = hsts_sync(ctx)) == -1)
		return RESULT_FAILED;
	/* The proxy step reloads only for its own files. */
	if ((cert || hsts) && reload_proxy(ctx) != 0)
		return step_fail(ctx, "%s did not reload with the new "
		    "certificate: see journalctl -u %s",
		    proxy_name(p->proxy), proxy_name(p->proxy));
	if (step_intent_clear(ctx, (char *[]){ (char *)proxy_name(p->proxy),
	    NULL }) == -1)
		return RESULT_FAILED;
	return cert || hsts ? RESULT_CHANGED : RESULT_OK;
}

static enum result
tls_verify(struct step_ctx *ctx)
{
	struct tls_state	st;
	int			bad;

	if (ctx->profile->tls.mode == TLS_NONE)
		return RESULT_SKIPPED;
	if (tls_probe(ctx, &st) == -1) {
		tls_state_free(&st);
		return RESULT_FAILED;
	}
	bad = tls_todo(ctx->profile, &st) != NULL || !st.present ||
	    st.hsts_differs;
	tls_state_free(&st);
	if (bad)
		return step_fail(ctx, "the certificate in %s is still not as "
		    "wanted", PROXY_TLS_DIR);
	return RESULT_CHANGED;
}

static const char *const tls_after[] = { "base", NULL };

const struct step step_tls = {
	.name = "tls",
	.roles = ROLE_BIT(ROLE_PROXY),
	.summary = "The proxy's certificate: self-signed, provided (checked) "
	    "or Let's Encrypt's",
	.after = tls_after,
	.check = tls_check,
	.apply = tls_apply,
	.verify = tls_verify,
};
