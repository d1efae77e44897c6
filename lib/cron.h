/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A five-field cron schedule (or @hourly, @daily, @weekly) as systemd
 * OnCalendar= expressions, for timers that run what the profile's
 * backups.schedule says.
 */
#ifndef CRON_H
#define CRON_H

#include <stddef.h>

#define CRON_MAX_CALENDARS	2

/*
 * Fill out[] with one or two OnCalendar= expressions (two when cron's
 * "day of month OR day of week" rule applies: both fields restricted);
 * their number, or -1 with *err set (a constant text) when the schedule
 * is not valid or never runs.  The caller frees out[i].
 */
int	 cron_to_oncalendar(const char *, char *[CRON_MAX_CALENDARS],
	    const char **);

#endif
