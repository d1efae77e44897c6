/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Every step module, in the order the planner lays them out on a machine.
 */
#include "config.h"

#include <string.h>

#include "step.h"

extern const struct step step_preflight;
extern const struct step step_base;
extern const struct step step_lxc;
extern const struct step step_postgres;
extern const struct step step_replica;
extern const struct step step_replication;
extern const struct step step_backup;
extern const struct step step_redis;
extern const struct step step_tomcat;
extern const struct step step_war;
extern const struct step step_tls;
extern const struct step step_proxy;
extern const struct step step_certbot;
extern const struct step step_firewall;
extern const struct step step_exporters;
extern const struct step step_prometheus;
extern const struct step step_alerting;
extern const struct step step_verify;

const struct step *const steps_all[] = {
	&step_preflight,
	&step_base,
	&step_lxc,
	&step_postgres,
	&step_replica,
	&step_replication,
	&step_backup,
	&step_redis,
	&step_tomcat,
	&step_war,
	&step_tls,
	&step_proxy,
	&step_certbot,
	&step_firewall,
	&step_exporters,
	&step_prometheus,
	&step_alerting,
	&step_verify,
};
const size_t steps_count = sizeof steps_all / sizeof steps_all[0];

const struct step *
step_find(const char *name)
{
	size_t	i;

	for (i = 0; i < steps_count; i++) {
		if (strcmp(steps_all[i]->name, name) == 0)
			return steps_all[i];
	}
	return NULL;
}
