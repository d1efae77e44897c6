/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Memory sizing for DHIS2: PostgreSQL settings and Tomcat heaps, derived
 * from the RAM each component actually gets (its container's or host's
 * share).  The formula and its comparison with the DHIS2 documentation's
 * 8 GB example are in docs/tuning.md.
 */
#ifndef TUNING_H
#define TUNING_H

#include <stddef.h>

struct db_tuning;
struct profile;

/*
 * What the PostgreSQL conf.d file gets (assets/templates/
 * postgresql-dhis2.conf, rendered by steps/postgres_conf.c).  Sizes in MB.
 */
struct pg_settings {
	long long	shared_buffers_mb;
	long long	work_mem_mb;
	long long	maintenance_work_mem_mb;
	long long	effective_cache_size_mb;
	int		max_connections;
};

/*
 * How a server's RAM is shared when components sit together: the
 * database's and the application's share in MB.  ram_mb is the machine's
 * total; single_host says proxy, Tomcat and PostgreSQL share it.
 */
void	memory_split(long long ram_mb, int single_host, size_t ninstances,
	    long long *db_mb, long long *app_mb);

/* Derive settings from the database's RAM; explicit values win. */
void	pg_settings_derive(long long db_ram_mb, const struct db_tuning *,
	    struct pg_settings *);

/* Heap for one Tomcat node of one of n instances sharing app_mb. */
long long tomcat_heap_mb(long long app_mb, size_t n_tomcats);

#endif
