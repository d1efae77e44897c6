/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The lock on the targets.  The journal's lock (journal.h) keeps two runs
 * of one profile apart on one control machine; this one keeps apart any
 * two runs that change one server: two profiles, two operators, two
 * control machines.  apply takes it on every machine it reaches directly
 * (this machine, over SSH) before the first step, and gives it back at
 * the end; containers are reached through their host, whose lock covers
 * them.
 *
 * The lock is a file, TARGET_LOCK_PATH on the target: /run/lock is a
 * tmpfs, so a reboot (which ends every run on the machine) clears it.  It
 * is made with its content complete by link(2) of a temporary file, which
 * fails when the lock exists: atomic on every Linux filesystem, and no
 * process has to live on the target for the run's length (an flock held
 * by a command over SSH would need a channel open all along).  It says who
 * holds it:
 *
 *	holder USER@HOST      the operator and the control machine
 *	pid PID               the run's process there
 *	pid-start TICKS       and its start time (/proc/PID/stat), against
 *	                      a PID used again
 *	host HOST
 *	boot BOOT-ID          the control machine's boot
 *	started ISO-8601
 *	profile PATH          the profile's real path
 *	conn PID TICKS        the process on the target that lives as long as
 *	                      the holder's connection: the sshd of its session
 *	                      over SSH, the run itself on this machine; "-"
 *	token HEX             this run's, to give back only its own lock
 *
 * A stale lock (its run killed, its machine rebooted or cut off) is
 * recovered: from the same control machine when its PID is gone (or its
 * boot is over); from anywhere when its connection's process is gone on
 * the target.  A lock with neither proof is held: the message names the
 * holder and the file to remove when no such run is under way.  Removing
 * a lock (stale or at the end) happens under flock(1) of the lock file
 * and only when its token is the one judged, so that two runs recovering
 * one stale lock never remove each other's new one.
 */
#ifndef LOCK_H
#define LOCK_H

#include <stddef.h>

#define TARGET_LOCK_PATH	"/run/lock/dhis2-setup.lock"

struct plan;
struct transport;

struct target_locks {
	char		*token;
	char		*text;		/* the lock's lines but conn, token */
	const char	*path;		/* TARGET_LOCK_PATH but in tests */
	struct plan	*pl;
	unsigned char	*held;		/* per plan machine */
};

/* lock.c */
/*
 * Take the lock on every machine of the plan reached directly, in plan
 * order.  EXIT_OK; EXIT_LOCKED with *err naming the machine and the
 * holder (the locks taken are given back); EXIT_INTERNAL with *err when
 * a reachable machine cannot be locked.  A machine that cannot be reached
 * is left to the engine, which says so.
 */
int	 target_locks_take(struct target_locks *tl, struct plan *pl,
	    const char *profile_real, char **err);
void	 target_locks_release(struct target_locks *);

/*
 * One machine: 0 taken (or already this run's), 1 held with *holder
 * (its lines, for target_lock_describe), -1 with *holder the error.
 * CONN: "walk" (over SSH: the session's sshd), a PID on the target (this
 * machine: the run itself) or "-".  STALE: the token of a lock judged
 * stale here, or NULL.
 */
int	 target_lock_take_one(struct transport *t, const char *path,
	    const struct target_locks *tl, const char *conn, const char *stale,
	    char **holder);
void	 target_lock_release_one(struct transport *t, const char *path,
	    const char *token);
/* The holder's lines as one line for a message; the control characters
 * of a target's file are shown as '?'. */
char	*target_lock_describe(const char *holder);
/* Whether the holder's run is on this control machine and gone. */
int	 target_lock_stale_here(const char *holder);
/* This run's lines of a lock, for PROFILE_REAL. */
char	*target_lock_text(const char *profile_real);

#endif
