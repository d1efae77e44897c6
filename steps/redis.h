/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Redis from the application's side, for the verify step.
 */
#ifndef REDIS_H
#define REDIS_H

struct step_ctx;
struct instance;

/* steps/redis.c */
int	 redis_reachable(struct step_ctx *, const struct instance *);

#endif
