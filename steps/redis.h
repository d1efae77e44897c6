/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Redis from the application's side, for the verify step.
 */
#ifndef REDIS_H
#define REDIS_H

struct step_ctx;

/* steps/redis.c: AUTH+PING with the values of dhis.conf's text (at path). */
int	 redis_reachable(struct step_ctx *, const char *, const char *);

#endif
