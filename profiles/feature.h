/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What a profile can ask for, and whether a step builds it yet.  The
 * profile describes the whole production layout the hosting guide asks
 * for; the steps arrive one by one.  Until a feature's step exists the
 * tool says so (plan, apply, the wizard) instead of accepting the key
 * and installing nothing.
 */
#ifndef FEATURE_H
#define FEATURE_H

#include <stdio.h>

#include "profile.h"

enum feature {
	FEATURE_REDIS,
	FEATURE_REPLICAS,
	FEATURE_PROMETHEUS,
	FEATURE_MUNIN,
	FEATURE_ALERTING,
	FEATURE_ENCRYPTION,
	FEATURE_BACKUPS,
	FEATURE_BACKUPS_S3,
	FEATURE_COUNT
};

/* 1 when a step builds it. */
int		 feature_built(enum feature);
/* "monitoring: munin", for messages. */
const char	*feature_name(enum feature);
/* What to set instead while it is not built, for messages. */
const char	*feature_instead(enum feature);
/* "Munin monitoring", for the wizard's "coming" lines. */
const char	*feature_title(enum feature);

/*
 * Add one "file:line:col: ... is not built yet" message to unbuilt for
 * each feature the profile asks for that no step builds; their number.
 * unbuilt may be NULL to count them only.
 */
size_t		 profile_unbuilt(const struct profile *, struct diag *);
/* The same, printed to f (validate, plan, apply); their number. */
size_t		 profile_print_unbuilt(const struct profile *, FILE *);
/*
 * Turn off what the profile asks for that no step builds (the wizard
 * offers only what works); the number of features turned off.
 */
size_t		 profile_drop_unbuilt(struct profile *);

#endif
