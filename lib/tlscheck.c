/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Certificate checks with libcrypto: what an operator's typo or a stale
 * certificate would otherwise turn into a proxy that does not start, or
 * one that browsers refuse.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core.h"
#include "tlscheck.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static X509 *
read_cert(const char *path)
{
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* Every further certificate in the files: the chain to the CA. */
static STACK_OF(X509) *
read_chain(const char *cert, const char *chain)
{
	STACK_OF(X509)	*st = sk_X509_new_null();
	const char	*paths[2] = { cert, chain };
	FILE		*f;
	X509		*x;
	int		 i, skip;

	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL || (f = fopen(paths[i], "r")) == NULL)
			continue;
		skip = i == 0;	/* the leaf itself */
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			if (skip) {
				X509_free(x);
				skip = 0;
				continue;
			}
			sk_X509_push(st, x);
		}
		fclose(f);
	}
	ERR_clear_error();
	return st;
}

static int
chain_trusted(X509 *leaf, STACK_OF(X509) *chain, const char *cafile,
    const char *fqdn)
{
	X509_STORE	*store = X509_STORE_new();
	X509_STORE_CTX	*ctx = X509_STORE_CTX_new();
	int		 ok = 0;

	if (store == NULL || ctx == NULL)
		goto out;
	if (cafile != NULL)
		X509_STORE_load_file(store, cafile);
	else
		X509_STORE_set_default_paths(store);
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1)
		goto out;
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), fqdn, 0);
	ok = X509_verify_cert(ctx) == 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

int
tls_check_files(const char *cert, const char *key, const char *chain,
    const char *fqdn, const char *cafile, struct tls_report *rep, char *err,
    size_t errlen)
{
	X509		*x = NULL;
	EVP_PKEY	*pk = NULL;
	STACK_OF(X509)	*st = NULL;
	FILE		*f;
	int		 days = 0, secs = 0, rc = -1;

	memset(rep, 0, sizeof *rep);
	if ((x = read_cert(cert)) == NULL) {
		fail(err, errlen, "%s: not a PEM certificate (or unreadable)",
		    cert);
		goto out;
	}
	if ((f = fopen(key, "r")) == NULL ||
	    (pk = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		if (f != NULL)
			fclose(f);
		fail(err, errlen, "%s: not a PEM private key, unreadable, or "
		    "protected by a passphrase", key);
		goto out;
	}
	fclose(f);
	X509_NAME_oneline(X509_get_subject_name(x), rep->subject,
	    sizeof rep->subject);
	if (X509_check_private_key(x, pk) != 1) {
		fail(err, errlen, "%s does not belong to the certificate %s "
		    "(%s)", key, cert, rep->subject);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		fail(err, errlen, "%s is not valid yet", cert);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		fail(err, errlen, "%s has expired", cert);
		goto out;
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1)
		rep->days_left = days;
	if (X509_check_host(x, fqdn, 0, 0, NULL) != 1) {
		fail(err, errlen, "%s (%s) does not cover %s", cert,
		    rep->subject, fqdn);
		goto out;
	}
	st = read_chain(cert, chain);
	rep->trusted = chain_trusted(x, st, cafile, fqdn);
	rc = 0;
out:
	sk_X509_pop_free(st, X509_free);
	EVP_PKEY_free(pk);
	X509_free(x);
	ERR_clear_error();
	return rc;
}
