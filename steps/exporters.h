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

struct topology;

/*
 * Member of pg_monitor only: it reads the statistics views, no table.
 * Its password is the secrets file's monitoring.password.  Instance names
 * are refused when they take this name (the exporters step checks).
 */
#define MONITORING_PG_ROLE	"dhis2_monitor"

/* The address the monitor (node mon) reaches node n's exporters at. */
const char *exporters_scrape_address(const struct topology *t, size_t mon,
	    size_t n);
/* "A:PORT", with brackets around an IPv6 address.  The caller frees it. */
char	*exporters_host_port(const char *, int);

#endif
