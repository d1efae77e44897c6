/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * PostgreSQL SCRAM-SHA-256 password verifiers (RFC 5802/7677, as stored in
 * pg_authid.rolpassword).  Building the verifier here means the plain
 * password never reaches the server, its logs or its process list: the
 * step sends "ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'" instead.
 */
#ifndef SCRAM_H
#define SCRAM_H

#define SCRAM_ITERATIONS	4096	/* PostgreSQL's default */

/* A new verifier with a random salt; the caller frees it. */
char	*scram_verifier(const char *password);
/*
 * 1 when the stored verifier was made from password, 0 when not, -1 when
 * stored is not a SCRAM-SHA-256 verifier (md5, empty, malformed).
 */
int	 scram_matches(const char *stored, const char *password);

#endif
