/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the exporters step shares: with the postgres step, the role the
 * PostgreSQL exporter logs in as (pg_hba.conf names it); with the
 * prometheus step, where the monitor reaches a machine's exporters.
 */
#ifndef EXPORTERS_H
#define EXPORTERS_H

#include <stddef.h>

#include "stack.h"	/* MONITORING_PG_ROLE */

struct topology;

/* The address the monitor (node mon) reaches node n's exporters at. */
const char *exporters_scrape_address(const struct topology *t, size_t mon,
	    size_t n);
/* "A:PORT", with brackets around an IPv6 address.  The caller frees it. */
char	*exporters_host_port(const char *, int);

#endif
