/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Checks of an operator's certificate before it goes live: the key
 * matches, the dates are valid, the names cover the fqdn, and whether a
 * public CA vouches for it (HSTS is sent only then).
 */
#ifndef TLSCHECK_H
#define TLSCHECK_H

#include <stddef.h>

struct tls_report {
	int	 trusted;	/* chains to the system's CA store */
	long	 days_left;	/* until notAfter */
	char	 subject[256];
};

/*
 * 0 when cert (PEM, may hold the chain too), key and optional chain make
 * a usable certificate for fqdn; -1 with a message in err otherwise.
 * cafile overrides the system store (tests).
 */
int	 tls_check_files(const char *, const char *, const char *,
	    const char *, const char *, struct tls_report *, char *, size_t);

#endif
