/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Helpers for steps that read a machine's state with one probe script:
 * the script run with its arguments, and its "key=value" lines read,
 * each anchored to the start of a line (files as sha256 sums, packages as
 * dpkg states).  The files themselves are step_item.h's; installing
 * packages is apt.h's.
 */
#ifndef STEP_PROBE_H
#define STEP_PROBE_H

#include <stddef.h>

#include "apt.h"	/* the steps that still take it from here */

struct step_ctx;

/* An argument list built up; the strings are the caller's. */
struct step_args {
	char	**v;		/* NULL-ended */
	size_t	  n;
};

/* steps/step_probe.c */
int	 step_probe_has(const char *probe, const char *line);
int	 step_probe_has_key(const char *probe, const char *prefix);
char	*step_probe_value(const char *probe, const char *prefix);
int	 step_probe_hasf(const char *probe, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
char	*step_probe_valuef(const char *probe, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 step_probe_pkg_missing(const char *probe, const char *pkg);
void	 step_sha256_hex(const char *, char [65]);
void	 step_sha256_hex_bytes(const void *, size_t, char [65]);
int	 step_probe_sum_differs(const char *probe, const char *name,
	    const char *content);
void	 step_args_add(struct step_args *, const char *);
void	 step_args_free(struct step_args *);
int	 step_probe_run(struct step_ctx *ctx, char **out, const char *script,
	    ...) __attribute__((sentinel));
int	 step_probe_runv(struct step_ctx *ctx, char **out, const char *script,
	    char *const *args);
int	 step_probe_runv_in(struct step_ctx *ctx, const void *in,
	    size_t inlen, char **out, const char *script, char *const *args);

#endif
