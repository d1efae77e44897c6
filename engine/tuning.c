/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Memory sizing.  Every number here is explained in docs/tuning.md; keep
 * the two in step.
 */
#include "config.h"

#include <stddef.h>

#include "profile.h"
#include "tuning.h"

#define OS_RESERVE_MB		1024	/* kernel, sshd, proxy, agents */
#define DB_SHARE_SINGLE_HOST	45	/* percent of what is left */
#define MAX_CONNECTIONS		200	/* the DHIS2 docs' and peers' value */

static long long
clamp(long long v, long long lo, long long hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* Rounded down to a multiple of step, so that settings read cleanly. */
static long long
round_down(long long v, long long step)
{
	return v < step ? v : v - v % step;
}

void
memory_split(long long ram_mb, int single_host, size_t ninstances,
    long long *db_mb, long long *app_mb)
{
	long long	usable = ram_mb - OS_RESERVE_MB;
	long long	extra = ninstances > 3 ? 2 :
			    (ninstances > 1 ? (long long)ninstances - 1 : 0);

	if (usable < 1024)
		usable = 1024;
	if (!single_host) {
		*db_mb = usable;
		*app_mb = usable;
		return;
	}
	/*
	 * On one server the database gets a bit under half: DHIS2's heap
	 * wants the rest, and the page cache of the database counts as
	 * "free" memory, which PostgreSQL uses anyway.  More instances
	 * tilt the balance towards Tomcat: the database keeps 35% at least.
	 */
	*db_mb = usable * (DB_SHARE_SINGLE_HOST - 5 * extra) / 100;
	*app_mb = usable - *db_mb;
}

void
pg_settings_derive(long long db_mb, const struct db_tuning *t,
    struct pg_settings *s)
{
	s->max_connections = t != NULL && t->max_connections ?
	    t->max_connections : MAX_CONNECTIONS;
	/* 25% of the database's RAM, as PostgreSQL's docs and the peers. */
	s->shared_buffers_mb = round_down(clamp(db_mb / 4, 128, 32768), 64);
	/* 3 MB per GB: the docs' 24 MB at 8 GB, within 4..64 MB. */
	s->work_mem_mb = clamp(db_mb * 3 / 1024, 4, 64);
	/* 1/8: the docs' 1 GB at 8 GB, within 64 MB..2 GB. */
	s->maintenance_work_mem_mb = round_down(clamp(db_mb / 8, 64, 2048), 64);
	/*
	 * A planner hint, not an allocation: 75% of the database's RAM (the
	 * PostgreSQL wiki's 50-75%).  The peers' rule, 80% of what is left
	 * after every connection's work_mem, assumes all 200 connections
	 * sort at once and gives 1.9 GB at 8 GB, which steers the planner
	 * away from index scans; the docs' 8 GB at 8 GB counts memory the
	 * OS and Tomcat need.  docs/tuning.md compares the three.
	 */
	s->effective_cache_size_mb = round_down(db_mb * 3 / 4, 64);
	if (t == NULL)
		return;
	if (t->shared_buffers_mb)
		s->shared_buffers_mb = t->shared_buffers_mb;
	if (t->work_mem_mb)
		s->work_mem_mb = t->work_mem_mb;
	if (t->maintenance_work_mem_mb)
		s->maintenance_work_mem_mb = t->maintenance_work_mem_mb;
	if (t->effective_cache_size_mb)
		s->effective_cache_size_mb = t->effective_cache_size_mb;
}

/*
 * A JVM wants room outside its heap (metaspace, threads, direct buffers):
 * give the heaps 75% of the application's share, split between the
 * Tomcats, at least 1 GB (DHIS2 will not start in less) and at most
 * 31 GB (above it the JVM loses compressed object pointers).
 */
long long
tomcat_heap_mb(long long app_mb, size_t n_tomcats)
{
	if (n_tomcats == 0)
		n_tomcats = 1;
	return round_down(clamp(app_mb * 3 / 4 / (long long)n_tomcats, 1024,
	    31 * 1024), 256);
}
