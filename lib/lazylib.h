/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * libcurl, libpq and libssh are not linked: lazylib.c defines the
 * functions of theirs that the tree calls (listed in lazy_curl.h,
 * lazy_pq.h, lazy_ssh.h) and loads the library with dlopen at the first
 * call.  Linked, the three and what they pull in (OpenSSL's set-up,
 * GnuTLS, Kerberos, LDAP) cost every start about 9 MB of memory and
 * their constructors' time, and the wizard needs them only for a
 * connection test, the versions lookup and a test alert.
 *
 * A caller that can report an error its own way asks lazylib_load()
 * first; otherwise a library that cannot be loaded makes the first call
 * print which Debian package to install and exit with EXIT_INTERNAL.
 */
#ifndef LAZYLIB_H
#define LAZYLIB_H

enum lazylib {
	LAZY_CURL,
	LAZY_PQ,
	LAZY_SSH,
	LAZY_NLIBS
};

struct lazylib_info {
	const char	*soname;	/* what dlopen loads: libssh.so.4 */
	const char	*package;	/* the Debian package that has it */
};

/* The libraries' sonames (from configure) and packages; tests may swap a
 * soname before the first load to see a library missing. */
extern struct lazylib_info lazylib_info[LAZY_NLIBS];

/*
 * Load the library once (thread-safe) and resolve its listed functions;
 * libcurl's global set-up is done there too.  0 when loaded; -1 with a
 * message naming the package in *err (to free) when it cannot be.
 */
int	 lazylib_load(enum lazylib, char **);
/* The same, but print the message and exit(EXIT_INTERNAL) on failure. */
void	 lazylib_require(enum lazylib);

#endif
