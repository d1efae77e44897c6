/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The lock on the targets (lock.h): taken with one script per machine,
 * given back with another.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "lock.h"
#include "log.h"
#include "planner.h"
#include "transport.h"

/*
 * Arguments: PATH take TOKEN CONN STALE BOOT, the lock's lines on stdin;
 * or PATH release TOKEN.  take exits 0 when the lock is this run's, 4 with
 * the holder's lines on stdout when another run holds it.  A lock whose
 * token is STALE, or whose connection's process is gone on this machine
 * (when it is from another control machine than BOOT: from this one the
 * caller knows better), is removed first.  The fields of /proc/PID/stat
 * after "(comm) ": 2 is the parent, 20 the start time.
 */
static const char lock_script[] =
    "set -u\n"
    "L=$1 mode=$2 tok=$3\n"
    "st() { sed 's/^.*) //' \"/proc/$1/stat\" 2>/dev/null | "
    "cut -d' ' -f\"$2\"; }\n"
    "get() { sed -n \"s/^$1 //p\" \"$L\" 2>/dev/null | head -n 1; }\n"
    /* fd 9 on the lock, or 1 when it is gone; stderr kept */
    "exec 3>&2\n"
    "open9() { command exec 2>/dev/null 9<\"$L\"; r=$?; exec 2>&3; "
    "return $r; }\n"
    "if [ \"$mode\" = release ]; then\n"
    "  open9 || exit 0\n"
    "  flock -w 30 9 && [ \"$(get token)\" = \"$tok\" ] && rm -f \"$L\"\n"
    "  exit 0\n"
    "fi\n"
    "conn=$4 stale=$5 boot=$6\n"
    "case $conn in\n"
    "walk) p=$$ conn=-\n"
    "  while [ \"${p:-0}\" -gt 1 ] 2>/dev/null; do\n"
    "    case $(cat \"/proc/$p/comm\" 2>/dev/null) in\n"
    "    sshd*) conn=\"$p $(st \"$p\" 20)\"; break ;;\n"
    "    esac\n"
    "    p=$(st \"$p\" 2)\n"
    "  done ;;\n"
    "-) ;;\n"
    "*) conn=\"$conn $(st \"$conn\" 20)\" ;;\n"
    "esac\n"
    "mkdir -p \"${L%/*}\" || exit 1\n"
    "tmp=$L.$tok\n"
    "{ cat; echo \"conn $conn\"; echo \"token $tok\"; } > \"$tmp\" || exit 1\n"
    "i=0\n"
    "while ! ln \"$tmp\" \"$L\" 2>/dev/null; do\n"
    "  i=$((i + 1))\n"
    "  if [ $i -gt 5 ]; then\n"
    "    rm -f \"$tmp\"; echo \"cannot take $L\" >&2; exit 1\n"
    "  fi\n"
    "  open9 || continue\n"
    "  flock -w 30 9 || { rm -f \"$tmp\"; echo \"$L: flock\" >&2; exit 1; }\n"
    "  t=$(get token)\n"
    "  if [ \"$t\" = \"$tok\" ]; then rm -f \"$tmp\"; exit 0; fi\n"
    "  set -- $(get conn)\n"
    "  if [ -n \"$t\" ] && { [ \"$t\" = \"$stale\" ] || "
    "{ [ \"$(get boot)\" != \"$boot\" ] && [ $# -eq 2 ] && "
    "[ \"$(st \"$1\" 20)\" != \"$2\" ]; }; }; then\n"
    "    echo \"the lock of $(get holder) (pid $(get pid), since "
    "$(get started)), whose run is gone, was removed\" >&2\n"
    "    rm -f \"$L\"; exec 9<&-; continue\n"
    "  fi\n"
    "  cat \"$L\"; rm -f \"$tmp\"; exit 4\n"
    "done\n"
    "rm -f \"$tmp\"\n";

/* A line of the lock's text, from KEY to the end of the line. */
static char *
holder_get(const char *holder, const char *key)
{
	const char	*p = holder;
	size_t		 klen = strlen(key), n;
	char		*v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			p += klen + 1;
			n = strcspn(p, "\n");
			v = xmalloc(n + 1);
			memcpy(v, p, n);
			v[n] = '\0';
			return v;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}

/* Control characters (a target's file, a profile's name) shown as '?'. */
static void
printable(char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

static char *
read_line_file(const char *path)
{
	char	*buf = NULL;
	size_t	 len;

	if (read_file_limited(path, 4096, &buf, &len) == -1)
		return NULL;
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The start time of PID (field 22 of /proc/PID/stat), or NULL. */
static char *
pid_start(long pid)
{
	char	 path[64], *buf, *p;
	int	 field;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((buf = read_line_file(path)) == NULL)
		return NULL;
	if ((p = strrchr(buf, ')')) == NULL) {
		free(buf);
		return NULL;
	}
	/* After "(comm)": the state is field 3, the start time 22. */
	for (field = 3, p++; field < 22; field++)
		if ((p = strchr(p + 1, ' ')) == NULL)
			break;
	if (p == NULL || field != 22) {
		free(buf);
		return NULL;
	}
	p++;
	p[strcspn(p, " ")] = '\0';
	p = xstrdup(p);
	free(buf);
	return p;
}

static char *
boot_id(void)
{
	char	*b = read_line_file("/proc/sys/kernel/random/boot_id");

	return b != NULL ? b : xstrdup("-");
}

char *
target_lock_text(const char *profile_real)
{
	struct passwd	*pw = getpwuid(geteuid());
	char		 host[256], ts[32], *start, *boot, *text, *prof;
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	start = pid_start((long)getpid());
	boot = boot_id();
	prof = xstrdup(profile_real);
	printable(prof);
	printable(host);
	xasprintf(&text, "holder %s@%s\npid %ld\npid-start %s\nhost %s\n"
	    "boot %s\nstarted %s\nprofile %s\n", pw != NULL ? pw->pw_name :
	    "?", host, (long)getpid(), start != NULL ? start : "-", host,
	    boot, ts, prof);
	free(start);
	free(boot);
	free(prof);
	return text;
}

int
target_lock_stale_here(const char *holder)
{
	char	*boot, *mine, *pid, *start, *now = NULL;
	long	 n;
	int	 stale = 0;

	boot = holder_get(holder, "boot");
	pid = holder_get(holder, "pid");
	start = holder_get(holder, "pid-start");
	mine = boot_id();
	if (boot != NULL && pid != NULL && strcmp(boot, mine) == 0 &&
	    (n = strtol(pid, NULL, 10)) > 0) {
		/* Gone, or its number taken by a later process. */
		if (kill((pid_t)n, 0) == -1 && errno == ESRCH)
			stale = 1;
		else if (start != NULL && (now = pid_start(n)) != NULL &&
		    strcmp(now, start) != 0)
			stale = 1;
	}
	free(boot);
	free(pid);
	free(start);
	free(mine);
	free(now);
	return stale;
}

char *
target_lock_describe(const char *holder)
{
	char	*who, *pid, *host, *started, *prof, *out;

	who = holder_get(holder, "holder");
	pid = holder_get(holder, "pid");
	host = holder_get(holder, "host");
	started = holder_get(holder, "started");
	prof = holder_get(holder, "profile");
	xasprintf(&out, "%s (pid %s on %s, since %s, profile %s)",
	    who != NULL ? who : "an unknown holder", pid != NULL ? pid : "?",
	    host != NULL ? host : "?", started != NULL ? started : "?",
	    prof != NULL ? prof : "?");
	printable(out);
	free(who);
	free(pid);
	free(host);
	free(started);
	free(prof);
	return out;
}

struct lock_out {
	char	*err;
};

/* The script's stderr: its error, or the stale locks it removed. */
static void
lock_line(void *arg, int stream, const char *line)
{
	struct lock_out	*lo = arg;
	char		*n;

	if (stream != 2)
		return;
	xasprintf(&n, "%s%s%s", lo->err != NULL ? lo->err : "",
	    lo->err != NULL ? "; " : "", line);
	free(lo->err);
	lo->err = n;
}

/*
 * The lock's commands are not the run's steps: run without the command
 * events (nothing is emitted before every lock is taken).
 */
static int
lock_run(struct transport *t, char *const *argv, const char *in,
    char **out, char **err)
{
	struct lock_out		 lo = { NULL };
	size_t			 len = 0;
	struct transport_output	 o = { lock_line, &lo, out, &len };
	int			 rc;

	*err = NULL;
	if (out != NULL)
		*out = NULL;
	else
		o.capture = NULL, o.capture_len = NULL;
	if ((rc = transport_open(t, err)) != 0)
		return rc;
	rc = t->ops->run(t, argv, in, in != NULL ? strlen(in) : 0, &o, err);
	if (*err == NULL)
		*err = lo.err;
	else
		free(lo.err);
	return rc;
}

int
target_lock_take_one(struct transport *t, const char *path,
    const struct target_locks *tl, const char *conn, const char *stale,
    char **holder)
{
	char	*out = NULL, *err = NULL, *boot;
	int	 rc;

	*holder = NULL;
	boot = boot_id();
	rc = lock_run(t, (char *[]){ "sh", "-c", (char *)lock_script,
	    "dhis2-setup-lock", (char *)path, "take", tl->token, (char *)conn,
	    (char *)(stale != NULL ? stale : "-"), boot, NULL }, tl->text, &out,
	    &err);
	free(boot);
	if (rc == 0 && err != NULL)
		log_printf("%s: %s", t->name, err);	/* a stale lock */
	if (rc == 0 || rc == 4) {
		free(err);
		*holder = rc == 4 ? (out != NULL ? out : xstrdup("")) : NULL;
		if (rc == 0)
			free(out);
		return rc == 0 ? 0 : 1;
	}
	free(out);
	if (rc == TRANSPORT_ERR_UNREACHABLE) {
		free(err);
		return TRANSPORT_ERR_UNREACHABLE;
	}
	xasprintf(holder, "cannot take the lock %s: %s", path, err != NULL ?
	    err : "the script failed");
	free(err);
	return -1;
}

void
target_lock_release_one(struct transport *t, const char *path,
    const char *token)
{
	char	*err = NULL;

	if (lock_run(t, (char *[]){ "sh", "-c", (char *)lock_script,
	    "dhis2-setup-lock", (char *)path, "release", (char *)token, NULL },
	    NULL, NULL, &err) != 0)
		log_printf("%s: the lock %s was not given back: %s", t->name,
		    path, err != NULL ? err : "the script failed");
	free(err);
}

static char *
new_token(void)
{
	unsigned char	 b[12];
	char		*s;
	size_t		 i;

	if (getrandom(b, sizeof b, 0) != sizeof b)
		fatalx("getrandom failed: %s", strerror(errno));
	s = xmalloc(sizeof b * 2 + 1);
	for (i = 0; i < sizeof b; i++)
		snprintf(s + i * 2, 3, "%02x", b[i]);
	return s;
}

/* One machine; 0, EXIT_LOCKED or EXIT_INTERNAL with *err. */
static int
take_machine(struct target_locks *tl, size_t i, char **err)
{
	struct plan_machine	*pm = &tl->pl->machines[i];
	char			*holder, *stale = NULL, *who, conn[32];
	int			 rc;

	if (pm->kind == PLAN_LOCAL)
		snprintf(conn, sizeof conn, "%ld", (long)getpid());
	else
		snprintf(conn, sizeof conn, "walk");
	rc = target_lock_take_one(pm->t, tl->path, tl, conn, NULL, &holder);
	if (rc == 1 && target_lock_stale_here(holder)) {
		/* Its run was on this machine and is gone: take it over. */
		stale = holder_get(holder, "token");
		who = target_lock_describe(holder);
		free(holder);
		rc = target_lock_take_one(pm->t, tl->path, tl, conn, stale,
		    &holder);
		if (rc == 0)
			log_printf("%s: the lock of a run that is gone was "
			    "taken over: %s", pm->name, who);
		free(who);
		free(stale);
	}
	if (rc == 0) {
		tl->held[i] = 1;
		return EXIT_OK;
	}
	if (rc == TRANSPORT_ERR_UNREACHABLE)
		return EXIT_OK;		/* the engine will say so */
	if (rc == -1) {
		xasprintf(err, "%s: %s", pm->name, holder);
		free(holder);
		return EXIT_INTERNAL;
	}
	who = target_lock_describe(holder);
	xasprintf(err, "%s is being changed by another run: %s; nothing was "
	    "changed.  If no such run is under way, remove %s on %s", pm->name,
	    who, tl->path, pm->name);
	free(who);
	free(holder);
	return EXIT_LOCKED;
}

int
target_locks_take(struct target_locks *tl, struct plan *pl,
    const char *profile_real, char **err)
{
	size_t	i;
	int	rc = EXIT_OK;

	memset(tl, 0, sizeof *tl);
	tl->pl = pl;
	tl->path = TARGET_LOCK_PATH;
	tl->token = new_token();
	tl->text = target_lock_text(profile_real);
	tl->held = xcalloc(pl->nmachines > 0 ? pl->nmachines : 1, 1);
	*err = NULL;
	for (i = 0; i < pl->nmachines && rc == EXIT_OK; i++) {
		/* A container is changed through its host, locked here. */
		if (pl->machines[i].kind == PLAN_LXC)
			continue;
		rc = take_machine(tl, i, err);
	}
	if (rc != EXIT_OK)
		target_locks_release(tl);
	return rc;
}

void
target_locks_release(struct target_locks *tl)
{
	size_t	i;

	if (tl->pl == NULL)
		return;
	for (i = 0; i < tl->pl->nmachines; i++) {
		if (tl->held[i])
			target_lock_release_one(tl->pl->machines[i].t,
			    tl->path, tl->token);
		tl->held[i] = 0;
	}
	free(tl->held);
	free(tl->token);
	free(tl->text);
	memset(tl, 0, sizeof *tl);
}
