/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Journal, lock and status of a profile's runs.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "core.h"
#include "events.h"
#include "journal.h"

const char *
state_dir(void)
{
	const char	*d = getenv("DHIS2_SETUP_STATEDIR");

	return d != NULL && *d != '\0' ? d : STATE_DIR_DEFAULT;
}

/* The profile's file name without .yaml, safe as a folder name. */
char *
journal_name(const char *profile_path)
{
	const char	*b = strrchr(profile_path, '/');
	char		*n, *p;
	size_t		 len;

	b = b != NULL ? b + 1 : profile_path;
	n = xstrdup(*b != '\0' ? b : "profile");
	len = strlen(n);
	if (len > 5 && strcmp(n + len - 5, ".yaml") == 0)
		n[len - 5] = '\0';
	else if (len > 4 && strcmp(n + len - 4, ".yml") == 0)
		n[len - 4] = '\0';
	for (p = n; *p != '\0'; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_' &&
		    *p != '.')
			*p = '_';
	}
	if (n[0] == '.')
		n[0] = '_';
	return n;
}

static void
now_iso(char *buf, size_t len)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A record that could not be written (a full disk): said once. */
static void
journal_error(struct journal *j, const char *what, int err)
{
	if (j->write_errno != 0)
		return;
	j->write_errno = err != 0 ? err : EIO;
	fprintf(stderr, "dhis2-setup: cannot write the run's %s in %s: %s\n",
	    what, j->dir, strerror(j->write_errno));
}

static void
journal_write_status(struct journal *j, const char *state)
{
	char	*path, *s;

	xasprintf(&s, "state %s\npid %ld\nprofile %s\nstarted %s\n"
	    "progress %d/%d\ncurrent %s\ncounts ok=%d changed=%d skipped=%d "
	    "failed=%d\n", state, (long)getpid(), j->profile, j->started,
	    j->done, j->total, j->current != NULL ? j->current : "-",
	    j->counts[RESULT_OK], j->counts[RESULT_CHANGED],
	    j->counts[RESULT_SKIPPED], j->counts[RESULT_FAILED]);
	path = path_join(j->dir, "status");
	if (write_file_atomic(path, s, strlen(s), 0600) == -1)
		journal_error(j, "status", errno);
	free(path);
	free(s);
}

static void
journal_append(struct journal *j, const char *line)
{
	char	*path, ts[32];
	FILE	*f;
	int	 fd, bad;

	path = path_join(j->dir, "journal");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd == -1 || (f = fdopen(fd, "a")) == NULL) {
		journal_error(j, "journal", errno);
		if (fd != -1)
			close(fd);
		return;
	}
	now_iso(ts, sizeof ts);
	errno = 0;
	bad = fprintf(f, "%s %ld %s\n", ts, (long)getpid(), line) < 0;
	if (fclose(f) == EOF || bad)
		journal_error(j, "journal", errno);
}

static void
journal_event(const struct event *ev, void *arg)
{
	struct journal	*j = arg;
	char		*line;

	switch (ev->type) {
	case EV_RUN_START:
		j->total = ev->total;
		journal_write_status(j, "running");
		break;
	case EV_STEP_START:
		free(j->current);
		xasprintf(&j->current, "%s %s", ev->machine, ev->step);
		journal_write_status(j, "running");
		break;
	case EV_STEP_RESULT:
		if ((unsigned)ev->result < RESULT_COUNT)
			j->counts[ev->result]++;
		j->done++;
		xasprintf(&line, "%s %s %s", ev->machine, ev->step,
		    result_name(ev->result));
		journal_append(j, line);
		free(line);
		journal_write_status(j, "running");
		break;
	default:
		break;
	}
}

static char *
read_status(const char *dir)
{
	char	*path, *buf = NULL;
	size_t	 len;

	path = path_join(dir, "status");
	if (read_file_limited(path, 64 * 1024, &buf, &len) == -1)
		buf = NULL;
	free(path);
	return buf;
}

/*
 * The profile's real path: symbolic links and ./.. resolved, so that
 * ./site.yaml and /etc/dhis2/site.yaml are one profile.  A profile that
 * is gone (status of a deleted file) is its folder's real path and its
 * name; a folder that is gone too, the path made absolute.
 */
char *
journal_realpath(const char *profile_path)
{
	char	*r, *dir, *slash, *out, cwd[4096];

	if ((r = realpath(profile_path, NULL)) != NULL)
		return r;
	dir = xstrdup(profile_path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		r = realpath(*dir != '\0' ? dir : "/", NULL);
	} else
		r = realpath(".", NULL);
	free(dir);
	if (r != NULL) {
		xasprintf(&out, "%s/%s", strcmp(r, "/") == 0 ? "" : r,
		    slash != NULL ? strrchr(profile_path, '/') + 1 :
		    profile_path);
		free(r);
		return out;
	}
	if (profile_path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(profile_path);
	xasprintf(&out, "%s/%s", cwd, profile_path);
	return out;
}

/*
 * The profile's state folder, STATEDIR/NAME-KEY: its file name for people
 * and the first 12 hex digits of the sha256 of its real path, so that
 * two site.yaml in two folders never share a journal or a lock.
 */
char *
journal_dir(const char *profile_path)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*name, *real, *dir;

	name = journal_name(profile_path);
	real = journal_realpath(profile_path);
	SHA256((const unsigned char *)real, strlen(real), md);
	xasprintf(&dir, "%s/%s-%02x%02x%02x%02x%02x%02x", state_dir(), name,
	    md[0], md[1], md[2], md[3], md[4], md[5]);
	free(real);
	free(name);
	return dir;
}

/*
 * Releases before the M4 fix kept a profile's state in STATEDIR/NAME.
 * The first run under the new key takes that folder over, so that
 * status and the interrupted-run notice survive an upgrade of the tool.
 * Only a real folder is taken (never a link), and only when the new one
 * does not exist yet; two profiles of one name shared it before anyway.
 */
static char *
journal_legacy_dir(const char *profile_path)
{
	char		*name, *dir;
	struct stat	 st;

	name = journal_name(profile_path);
	dir = path_join(state_dir(), name);
	free(name);
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void
journal_adopt_legacy(const char *dir, const char *profile_path)
{
	char		*legacy;
	struct stat	 st;

	if (lstat(dir, &st) == 0 || errno != ENOENT)
		return;
	if ((legacy = journal_legacy_dir(profile_path)) == NULL)
		return;
	(void)rename(legacy, dir);	/* if it fails, a fresh folder */
	free(legacy);
}

/* The lock is held: a run of the profile is under way. */
int
journal_running(const char *dir)
{
	char	*lock;
	int	 fd, running = 0;

	lock = path_join(dir, "lock");
	if ((fd = open(lock, O_RDWR | O_CLOEXEC)) != -1) {
		if (flock(fd, LOCK_EX | LOCK_NB) == -1 &&
		    errno == EWOULDBLOCK)
			running = 1;
		close(fd);
	}
	free(lock);
	return running;
}

/*
 * This run's events as JSON lines for 'attach': truncated at each run
 * (the lock is ours), 0600 even when an older file had another mode.
 */
static void
journal_events_open(struct journal *j)
{
	char	*path;

	path = path_join(j->dir, "events");
	j->evfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	free(path);
	if (j->evfd == -1)
		return;
	if (fchmod(j->evfd, 0600) == -1 ||
	    (j->evsub = events_json_subscribe(j->evfd)) == -1) {
		close(j->evfd);
		j->evfd = -1;
	}
}

static void
journal_events_close(struct journal *j)
{
	if (j->evsub != -1)
		events_unsubscribe(j->evsub);
	j->evsub = -1;
	if (j->evfd != -1)
		close(j->evfd);
	j->evfd = -1;
}

int
journal_open(struct journal *j, const char *profile_path, char **err)
{
	char	*lock, ts[32];

	memset(j, 0, sizeof *j);
	j->lockfd = -1;
	j->sub = -1;
	j->evfd = -1;
	j->evsub = -1;
	j->dir = journal_dir(profile_path);
	journal_adopt_legacy(j->dir, profile_path);
	if (mkdir_private(j->dir) == -1) {
		xasprintf(err, "cannot create %s: %s", j->dir,
		    strerror(errno));
		return -1;
	}
	lock = path_join(j->dir, "lock");
	j->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (j->lockfd == -1) {
		xasprintf(err, "cannot open the lock in %s: %s", j->dir,
		    strerror(errno));
		return -1;
	}
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) == -1) {
		xasprintf(err, "another run of this profile is under way "
		    "(see 'dhis2-setup status %s')", profile_path);
		close(j->lockfd);
		j->lockfd = -1;
		return EXIT_LOCKED;
	}
	j->previous = read_status(j->dir);
	if (j->previous != NULL &&
	    strncmp(j->previous, "state running\n", 14) != 0) {
		free(j->previous);
		j->previous = NULL;
	}
	now_iso(ts, sizeof ts);
	j->started = xstrdup(ts);
	j->profile = xstrdup(profile_path);
	xasprintf(&lock, "start %s", profile_path);
	journal_append(j, lock);
	free(lock);
	j->sub = events_subscribe(journal_event, j);
	journal_events_open(j);
	return 0;
}

void
journal_finish(struct journal *j, const char *summary)
{
	char	*line;

	if (j->lockfd == -1)
		return;
	events_unsubscribe(j->sub);
	j->sub = -1;
	journal_events_close(j);
	free(j->current);
	j->current = NULL;
	journal_write_status(j, "finished");
	xasprintf(&line, "end %s", summary);
	journal_append(j, line);
	free(line);
}

void
journal_close(struct journal *j)
{
	if (j->sub != -1)
		events_unsubscribe(j->sub);
	journal_events_close(j);
	if (j->lockfd != -1)
		close(j->lockfd);
	free(j->dir);
	free(j->current);
	free(j->started);
	free(j->profile);
	free(j->previous);
	memset(j, 0, sizeof *j);
	j->lockfd = -1;
	j->sub = -1;
	j->evfd = -1;
	j->evsub = -1;
}

/* The step results of the last run: the journal after its last "start". */
static void
print_last_run(const char *dir, FILE *out)
{
	char	*path, buf[65536], *p, *last = NULL;
	size_t	 n;
	FILE	*f;

	path = path_join(dir, "journal");
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return;
	/* Only the tail: a journal grows with every run. */
	if (fseek(f, -(long)(sizeof buf - 1), SEEK_END) == -1)
		rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, " start ")) != NULL; p++)
		last = p;
	if (last == NULL)
		return;
	while (last > buf && last[-1] != '\n')
		last--;
	fprintf(out, "last run:\n");
	for (p = last; *p != '\0'; ) {
		char *nl = strchr(p, '\n');

		fprintf(out, "  %.*s\n", (int)(nl != NULL ? nl - p :
		    (long)strlen(p)), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
journal_status(const char *profile_path, FILE *f)
{
	char	*dir, *st, *legacy;
	int	 running;

	dir = journal_dir(profile_path);
	st = read_status(dir);
	if (st == NULL && (legacy = journal_legacy_dir(profile_path)) != NULL) {
		/* Not applied since the tool's upgrade: the old folder. */
		if ((st = read_status(legacy)) != NULL) {
			free(dir);
			dir = legacy;
		} else
			free(legacy);
	}
	if (st == NULL) {
		fprintf(f, "%s: never applied (no state in %s)\n",
		    profile_path, dir);
		free(dir);
		return EXIT_OK;
	}
	running = journal_running(dir);
	if (running)
		fprintf(f, "%s: a run is under way; 'dhis2-setup attach %s' "
		    "follows it\n", profile_path, profile_path);
	else if (strncmp(st, "state running\n", 14) == 0)
		fprintf(f, "%s: the last run was interrupted; run 'dhis2-setup "
		    "apply %s' again to finish it\n", profile_path,
		    profile_path);
	else
		fprintf(f, "%s: the last run finished\n", profile_path);
	fputs(st, f);
	fprintf(f, "journal %s/journal\n", dir);
	print_last_run(dir, f);
	free(st);
	free(dir);
	return EXIT_OK;
}
