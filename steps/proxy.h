/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the proxy and tls steps share: where the certificate lives on the
 * proxy, and the file that sends HSTS when the certificate earns it.
 */
#ifndef PROXY_H
#define PROXY_H

struct profile;

/* The proxy's configuration names only these; tls fills them. */
#define PROXY_TLS_DIR		"/etc/dhis2-setup/tls"
#define PROXY_ACME_WEBROOT	"/var/www/dhis2-acme"
/* The site includes it; tls writes the header there, or only a comment. */
#define PROXY_HSTS_CONF		PROXY_TLS_DIR "/hsts.conf"

struct step_ctx;

/* steps/tls.c: point the proxy at certbot's live files; hsts.conf. */
int	 tls_use_live(struct step_ctx *);
char	*tls_hsts_text(int, int);

#endif
