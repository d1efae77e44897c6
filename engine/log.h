/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The transcript: one file per run under /var/log/dhis2-setup (or
 * $DHIS2_SETUP_LOGDIR), mode 0600, with every command, its output and every
 * step result.  It is a subscriber of the event stream, so it sees only
 * redacted text.
 */
#ifndef LOG_H
#define LOG_H

#define LOG_DIR_DEFAULT	"/var/log/dhis2-setup"

/* log.c */
const char *log_dir(void);
int	 log_open(const char *, char **, char **);
void	 log_close(void);
/* The errno of the first transcript write that failed, or 0. */
int	 log_failed(void);
void	 log_printf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
