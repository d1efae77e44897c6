/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * prometheus: the scrape configuration it writes, for its tests.
 */
#ifndef PROMETHEUS_H
#define PROMETHEUS_H

#include <stddef.h>

struct profile;
struct topology;

/*
 * /etc/prometheus/prometheus.yml for the monitor at node mon, from
 * assets/templates/prometheus*.yml.  NULL with *err on a template error.
 * The caller frees it.
 */
char	*prometheus_config_text(const struct topology *t, size_t mon,
	    const struct profile *p, char **err);

#endif
