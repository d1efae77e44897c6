/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The journal: per profile, under /var/lib/dhis2-setup/NAME-KEY (or
 * $DHIS2_SETUP_STATEDIR/NAME-KEY; KEY from the profile's real path).  A
 * lock file says a run is under way (a second one gets EXIT_LOCKED; the
 * kernel drops the lock of a killed run); lock.h locks the targets too;
 * a status file says where it is, and a journal file keeps every step
 * result of every run.  Resuming needs no replay: steps are idempotent and
 * check first, so a re-run does only what is missing; the journal tells
 * the operator where the last run stopped.  An events file holds the
 * current run's events as JSON lines (0600, redacted like every event) for
 * 'dhis2-setup attach' to follow.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include "events.h"

#define STATE_DIR_DEFAULT	"/var/lib/dhis2-setup"

struct journal {
	char	*dir;
	int	 lockfd;
	int	 sub;
	int	 done;
	int	 total;
	char	*current;	/* "machine step" */
	char	*started;
	char	*profile;
	char	*previous;	/* status of an interrupted run, or NULL */
	int	 counts[RESULT_COUNT];
	int	 evfd;		/* the events file */
	int	 evsub;
	int	 write_errno;	/* the first record not written, or 0 */
};

/* journal.c */
const char *state_dir(void);
char	*journal_name(const char *);
/* 0, EXIT_LOCKED when another run holds it, -1 with *err. */
int	 journal_open(struct journal *, const char *, char **);
void	 journal_finish(struct journal *, const char *);
void	 journal_close(struct journal *);
/* Print where the profile's last or current run is; an exit code. */
int	 journal_status(const char *, FILE *);
/*
 * The profile's real path, and its state folder STATEDIR/NAME-KEY (KEY:
 * 12 hex digits of the sha256 of the real path); whether a run of it
 * holds the lock.
 */
char	*journal_realpath(const char *);
char	*journal_dir(const char *);
int	 journal_running(const char *);

#endif
