/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the proxy and tls steps share: where the certificate lives on the
 * proxy and whether HSTS is earned.
 */
#ifndef PROXY_H
#define PROXY_H

struct profile;

/* The proxy's configuration names only these; tls fills them. */
#define PROXY_TLS_DIR		"/etc/dhis2-setup/tls"
#define PROXY_ACME_WEBROOT	"/var/www/dhis2-acme"

struct step_ctx;

/* steps/proxy.c */
int	 proxy_hsts(const struct profile *);

/* steps/tls.c: point the proxy at certbot's live files. */
int	 tls_use_live(struct step_ctx *);

#endif
