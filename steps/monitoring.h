/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the monitoring steps share with the postgres step: the role the
 * PostgreSQL exporter logs in as (pg_hba.conf names it).
 */
#ifndef MONITORING_H
#define MONITORING_H

/*
 * Member of pg_monitor only: it reads the statistics views, no table.
 * Its password is the secrets file's monitoring.password.  Instance names
 * are refused when they take this name (the exporters step checks).
 */
#define MONITORING_PG_ROLE	"dhis2_monitor"

#endif
