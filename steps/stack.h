/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The stack's shared names, one home: the ports its services listen on,
 * the PostgreSQL roles the steps make, and the secrets' names.  A renamed
 * port, role or secret is one edit.
 *
 * Layers: what the engine needs too lives below and is named here.  The
 * ports the topology's rules name (PORT_POSTGRES, PORT_REDIS, the
 * exporters') are engine/topology.h's; the secret names are profiles/
 * secrets.h's (profile_required_secrets() lists them).  Instance ports
 * (8080 + 10 * instance + node) are profiles/profile.c's instance_port().
 */
#ifndef STACK_H
#define STACK_H

#include "secrets.h"	/* SECRET_*: the secrets' names */
#include "topology.h"	/* PORT_*: the ports the firewall rules name */

/*
 * A port as a string literal: PORT_STR(PORT_REDIS) is "6379" (so the
 * PORT_ macros stay plain numbers, no parentheses).
 */
#define PORT_STR(p)		PORT_STR_(p)
#define PORT_STR_(p)		#p

/*
 * Tomcat's HTTP port: the distribution's own tomcatN service takes it, and
 * so does our first instance's first node (profiles/profile.c's
 * instance_port(), which cannot include this file).
 */
#define PORT_TOMCAT		8080
/* On loopback only: no rule names them. */
#define PORT_PROMETHEUS		9090
#define PORT_ALERTMANAGER	9093

/* PostgreSQL roles the steps make, beside one per instance. */
/* The role replicas stream as: REPLICATION, nothing else. */
#define PG_REPLICATION_ROLE	"dhis2_replicator"
/*
 * The role prometheus-postgres-exporter logs in as.  Member of pg_monitor
 * only: it reads the statistics views, no table.  Its password is the
 * secret SECRET_MONITORING.  Instance names are refused when they take
 * this name (the exporters step checks).
 */
#define MONITORING_PG_ROLE	"dhis2_monitor"

#endif
