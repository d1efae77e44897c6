/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A machine's apt transaction: packages installed without questions,
 * once no other package manager runs, with what the steps still to run
 * on the machine will install (their packages hooks) in the same one.
 */
#ifndef APT_H
#define APT_H

#include <stddef.h>

struct step_ctx;
struct step_pkgs;

/* steps/apt.c */
int	 step_apt_run(struct step_ctx *, char *const *);
int	 step_apt_install(struct step_ctx *, const char *const *);
void	 step_pkgs_add(struct step_pkgs *, const char *);
int	 step_pkgs_has(const struct step_pkgs *, const char *);
void	 step_pkgs_free(struct step_pkgs *);

#endif
