/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The transcript of a run.  Lines are written unbuffered-by-line so that a
 * run killed at any point leaves everything up to that point on disk.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "events.h"
#include "log.h"

static FILE	*log_file;
static char	*log_path;
static int	 log_sub = -1;
static int	 log_errno;	/* the first write that failed */

const char *
log_dir(void)
{
	const char	*d = getenv("DHIS2_SETUP_LOGDIR");

	return d != NULL && *d != '\0' ? d : LOG_DIR_DEFAULT;
}

static void
log_stamp(char *buf, size_t len)
{
	struct timespec	ts;
	struct tm	tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(ts.tv_nsec / 1000000) % 1000);
}

/*
 * A line that could not be written (a full disk): said once on stderr,
 * and log_failed() makes the run's exit code say it too.
 */
static void
log_error(int err)
{
	if (log_errno != 0)
		return;
	log_errno = err != 0 ? err : EIO;
	fprintf(stderr, "dhis2-setup: cannot write the transcript %s: %s; "
	    "the run goes on, but it is not recorded\n",
	    log_path != NULL ? log_path : "", strerror(log_errno));
}

static void
log_check(void)
{
	if (fflush(log_file) == EOF || ferror(log_file)) {
		log_error(errno);
		clearerr(log_file);
	}
}

/*
 * Called with the events lock held: text is already redacted.  Control
 * characters from a machine's output or a profile are escaped (\xHH), so
 * that reading the transcript with cat or tail cannot work the terminal.
 */
static void
log_event(const struct event *ev, void *arg)
{
	char		 ts[48], *t;
	const char	*m = ev->machine != NULL ? ev->machine : "-";
	const char	*st = ev->step != NULL ? ev->step : "-";

	if (log_file == NULL || ev->type == EV_PLAN)	/* results say it */
		return;
	log_stamp(ts, sizeof ts);
	t = str_printable(ev->text);
	errno = 0;
	switch (ev->type) {
	case EV_RUN_START:
		fprintf(log_file, "%s run %s%s, %d steps\n", ts, t,
		    ev->dry_run ? " (check only)" : "", ev->total);
		break;
	case EV_MACHINE:
		fprintf(log_file, "%s %s reached: %s\n", ts, m, t);
		break;
	case EV_STEP_START:
		fprintf(log_file, "%s %s %s: start\n", ts, m, st);
		break;
	case EV_STEP_RESULT:
		fprintf(log_file, "%s %s %s: %s%s%s\n", ts, m, st,
		    result_name(ev->result), *t != '\0' ? ": " : "", t);
		break;
	case EV_CHANGE:
		fprintf(log_file, "%s %s %s: + %s\n", ts, m, st, t);
		break;
	case EV_PROGRESS:
		fprintf(log_file, "%s progress %d/%d\n", ts, ev->done,
		    ev->total);
		break;
	case EV_COMMAND:
		fprintf(log_file, "%s %s %s: $ %s\n", ts, m, st, t);
		break;
	case EV_OUTPUT:
		fprintf(log_file, "%s %s %s: %s %s\n", ts, m, st,
		    ev->stream == 2 ? "!" : "|", t);
		break;
	case EV_NOTE:
		fprintf(log_file, "%s %s %s: note: %s\n", ts, m, st, t);
		break;
	case EV_RUN_END:
		fprintf(log_file, "%s end: %s\n", ts, t);
		break;
	case EV_PLAN:
		break;
	}
	free(t);
	log_check();
}

int
log_failed(void)
{
	return log_errno;
}

/*
 * Open a new transcript for the profile named name; *path is where it is.
 * The file is created 0600 and O_EXCL so that no one can have planted it.
 */
int
log_open(const char *name, char **path, char **err)
{
	char		 stamp[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 fd;

	*path = NULL;
	if (mkdir_private(log_dir()) == -1) {
		xasprintf(err, "cannot create %s: %s", log_dir(),
		    strerror(errno));
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	xasprintf(path, "%s/%s-%s-%ld.log", log_dir(), name, stamp,
	    (long)getpid());
	fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || (log_file = fdopen(fd, "w")) == NULL) {
		xasprintf(err, "cannot create %s: %s", *path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(*path);
		*path = NULL;
		return -1;
	}
	log_path = xstrdup(*path);
	log_errno = 0;
	log_sub = events_subscribe(log_event, NULL);
	return 0;
}

void
log_close(void)
{
	events_unsubscribe(log_sub);
	log_sub = -1;
	if (log_file != NULL && fclose(log_file) == EOF)
		log_error(errno);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
}

/* A free-form line, redacted like events. */
void
log_printf(const char *fmt, ...)
{
	struct event	 ev = { .type = EV_NOTE };
	va_list		 ap;
	char		*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	events_context(&ev.machine, &ev.step);
	ev.text = s;
	events_emit(&ev);
	free(s);
}
