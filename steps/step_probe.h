/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Helpers for steps that read a machine's state with one probe script
 * (files as sha256 sums, packages as dpkg states) and install packages.
 */
#ifndef STEP_PROBE_H
#define STEP_PROBE_H

#include <stddef.h>

struct step_ctx;
struct step_pkgs;

/* steps/step_probe.c */
int	 step_probe_has(const char *, const char *);
char	*step_probe_value(const char *, const char *);
int	 step_probe_pkg_missing(const char *, const char *);
void	 step_sha256_hex(const char *, char [65]);
void	 step_sha256_hex_bytes(const void *, size_t, char [65]);
int	 step_probe_sum_differs(const char *, const char *, const char *);
int	 step_apt_run(struct step_ctx *, char *const *);
int	 step_apt_install(struct step_ctx *, const char *const *);
void	 step_pkgs_add(struct step_pkgs *, const char *);
int	 step_pkgs_has(const struct step_pkgs *, const char *);
void	 step_pkgs_free(struct step_pkgs *);

#endif
