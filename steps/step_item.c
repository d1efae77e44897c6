/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Declared step items (step_item.h): the files a step owns, read by its
 * probe, reported by check, written by apply and counted by verify.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"

/*
 * Add a file: path, owner and group are copied, content is taken (the
 * set frees and wipes it).  The new file, for its flags.
 */
struct step_file *
step_files_add(struct step_files *fs, const char *path, char *content,
    mode_t mode, const char *owner, const char *group)
{
	struct step_file	*f;

	fs->v = xreallocarray(fs->v, fs->n + 1, sizeof *fs->v);
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->content = content;
	f->mode = mode;
	f->owner = owner != NULL ? xstrdup(owner) : NULL;
	f->group = group != NULL ? xstrdup(group) : NULL;
	return f;
}

/* Free and wipe every file's content (any may hold secrets); zero fs. */
void
step_files_free(struct step_files *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].content != NULL) {
			secure_wipe(fs->v[i].content,
			    strlen(fs->v[i].content));
			free(fs->v[i].content);
		}
		free(fs->v[i].path);
		free(fs->v[i].summary);
		free(fs->v[i].owner);
		free(fs->v[i].group);
	}
	free(fs->v);
	memset(fs, 0, sizeof *fs);
}

/* The paths, in order, for the probe's step_sums (and step_stats). */
void
step_files_probe_args(const struct step_files *fs, struct step_args *a)
{
	size_t	i;

	for (i = 0; i < fs->n; i++)
		step_args_add(a, fs->v[i].path);
}

/*
 * Whether each file holds its content, by the probe's "sum=" lines, and
 * for those with meta, its mode and owner by the "stat=" lines.
 */
void
step_files_parse(struct step_files *fs, const char *probe)
{
	struct step_file	*f;
	size_t			 i;

	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		f->differs = step_probe_sum_differs(probe, f->path, f->content);
		if (!f->meta)
			continue;
		f->meta_differs = !step_probe_hasf(probe, "stat=%o %s %s %s",
		    (unsigned)f->mode, f->owner != NULL ? f->owner : "root",
		    f->group != NULL ? f->group : "root", f->path);
	}
}

/*
 * Check's "would" line for a file: its diff, or its summary when it has
 * one (a file of secrets is never diffed); when only its mode or owner
 * differs, what they become.  1 when it would change.
 */
int
step_file_report(struct step_ctx *ctx, const struct step_file *f)
{
	if (f->differs && f->summary != NULL)
		step_would(ctx, "%s", f->summary);
	else if (f->differs && f->secret)
		step_would(ctx, "write %s (mode %04o; holds secrets)", f->path,
		    (unsigned)f->mode);
	else if (f->differs)
		step_file_differs(ctx, f->path, f->content, strlen(f->content),
		    f->mode, 1);
	else if (f->meta_differs)
		step_would(ctx, "set %s to mode %04o, owner %s:%s", f->path,
		    (unsigned)f->mode, f->owner != NULL ? f->owner : "root",
		    f->group != NULL ? f->group : "root");
	return f->differs || f->meta_differs;
}

/* The same for every file, in order; how many would change. */
int
step_files_report(struct step_ctx *ctx, const struct step_files *fs)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < fs->n; i++)
		n += step_file_report(ctx, &fs->v[i]);
	return n;
}

/* Verify's count: the files that check would report. */
int
step_files_count(const struct step_files *fs)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < fs->n; i++)
		n += fs->v[i].differs || fs->v[i].meta_differs;
	return n;
}

/* Reported (check) or counted (verify): one list for both. */
int
step_files_pending(struct step_ctx *ctx, const struct step_files *fs,
    int report)
{
	return report ? step_files_report(ctx, fs) : step_files_count(fs);
}

/* Write one file as declared.  0, or -1 after step_fail. */
int
step_file_apply(struct step_ctx *ctx, const struct step_file *f)
{
	return step_put(ctx, f->path, f->content, strlen(f->content),
	    f->mode, f->owner, f->group);
}

/* Write every file that differs (content, mode or owner); 0 or -1. */
int
step_files_apply(struct step_ctx *ctx, const struct step_files *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++) {
		if ((fs->v[i].differs || fs->v[i].meta_differs) &&
		    step_file_apply(ctx, &fs->v[i]) == -1)
			return -1;
	}
	return 0;
}

/* Put back what step_files_apply replaced (step_roll_back). */
void
step_files_roll_back(struct step_ctx *ctx, const struct step_files *fs)
{
	size_t	i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].differs || fs->v[i].meta_differs)
			step_roll_back(ctx, fs->v[i].path);
	}
}

/*
 * One entry of a step's pending list: cond, reported as a "would" line
 * when report (check), counted either way (verify).  1 when pending.
 */
int
step_pending(struct step_ctx *ctx, int report, int cond, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*s;

	if (!cond)
		return 0;
	if (report) {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) == -1)
			fatalx("out of memory");
		va_end(ap);
		step_would(ctx, "%s", s);
		free(s);
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Packages                                                           */

/* Add a package (each once); the new one, or the one already there. */
struct step_package *
step_packages_add(struct step_packages *ps, const char *name)
{
	struct step_package	*p;
	size_t			 i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i].name, name) == 0)
			return &ps->v[i];
	}
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof *ps->v);
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	return p;
}

void
step_packages_free(struct step_packages *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i].name);
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* Which are missing, by the probe's dpkg-query lines ("pkg=NAME ii "). */
void
step_packages_parse(struct step_packages *ps, const char *probe)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		ps->v[i].missing = step_probe_pkg_missing(probe,
		    ps->v[i].name);
}

/* Whether the probe found name (one of ps) not installed. */
int
step_package_missing(const struct step_packages *ps, const char *name)
{
	size_t	i;

	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->v[i].name, name) == 0)
			return ps->v[i].missing;
	}
	return 0;
}

/* "install package NAME" per missing one: reported or counted. */
int
step_packages_pending(struct step_ctx *ctx, const struct step_packages *ps,
    int report)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < ps->n; i++)
		n += step_pending(ctx, report, ps->v[i].missing,
		    "install package %s%s%s%s", ps->v[i].name,
		    ps->v[i].why != NULL ? " (" : "", ps->v[i].why != NULL ?
		    ps->v[i].why : "", ps->v[i].why != NULL ? ")" : "");
	return n;
}

/* The missing ones installed in one transaction (apt.h); 0 or -1. */
int
step_packages_install(struct step_ctx *ctx, const struct step_packages *ps)
{
	const char	**v;
	size_t		  i, n = 0;
	int		  rc = 0;

	v = xcalloc(ps->n + 1, sizeof *v);
	for (i = 0; i < ps->n; i++) {
		if (ps->v[i].missing)
			v[n++] = ps->v[i].name;
	}
	v[n] = NULL;
	if (n > 0)
		rc = step_apt_install(ctx, v);
	free(v);
	return rc;
}

/* The names, for a step's packages hook (one apt transaction). */
void
step_packages_names(const struct step_packages *ps, struct step_pkgs *sp)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		step_pkgs_add(sp, ps->v[i].name);
}

/* ------------------------------------------------------------------ */
/* Services                                                           */

/*
 * Add a unit, brought by package pkg (NULL: none of the step's), to be
 * restarted when one of the files in restart_on (bit i: the step's file
 * i) is written, reloaded when one in reload_on is and it runs.  The new
 * unit, for its flags (STEP_UNIT_*).
 */
struct step_service *
step_services_add(struct step_services *ss, const char *unit,
    const char *pkg, unsigned restart_on, unsigned reload_on)
{
	struct step_service	*s;

	ss->v = xreallocarray(ss->v, ss->n + 1, sizeof *ss->v);
	s = &ss->v[ss->n++];
	memset(s, 0, sizeof *s);
	s->unit = xstrdup(unit);
	s->pkg = pkg != NULL ? xstrdup(pkg) : NULL;
	s->restart_on = restart_on;
	s->reload_on = reload_on;
	return s;
}
void
step_services_free(struct step_services *ss)
{
	size_t	i;

	for (i = 0; i < ss->n; i++) {
		free(ss->v[i].unit);
		free(ss->v[i].pkg);
	}
	free(ss->v);
	memset(ss, 0, sizeof *ss);
}

void
step_items_free(struct step_items *it)
{
	step_packages_free(&it->pkgs);
	step_files_free(&it->files);
	step_services_free(&it->units);
	free(it->pkg_words);
	free(it->unit_words);
	memset(it, 0, sizeof *it);
}

/* A name the probe may split on blanks: no blank, no glob, no quote. */
static void
check_word(const char *name)
{
	if (*name == '\0' || name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789@.+_-")] != '\0')
		fatalx("%s: not a package or unit name", name);
}

static char *
words(const void *v, size_t n, size_t size, size_t off)
{
	const char	*name;
	char		*out = xstrdup(""), *s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(&name, (const char *)v + i * size + off, sizeof name);
		check_word(name);
		xasprintf(&s, "%s%s%s", out, i > 0 ? " " : "", name);
		free(out);
		out = s;
	}
	return out;
}

/* step_items' arguments: PACKAGES UNITS FILE... (STEP_ITEMS_SH). */
void
step_items_args(struct step_items *it, struct step_args *a)
{
	free(it->pkg_words);
	free(it->unit_words);
	it->pkg_words = words(it->pkgs.v, it->pkgs.n, sizeof *it->pkgs.v,
	    offsetof(struct step_package, name));
	it->unit_words = words(it->units.v, it->units.n,
	    sizeof *it->units.v, offsetof(struct step_service, unit));
	step_args_add(a, it->pkg_words);
	step_args_add(a, it->unit_words);
	step_files_probe_args(&it->files, a);
}

/* What systemctl is-enabled takes for enabled. */
static int
unit_enabled(const char *probe, const char *unit)
{
	static const char *const on[] = { "enabled", "enabled-runtime",
		"static", "generated", "alias", NULL };
	size_t	i;

	for (i = 0; on[i] != NULL; i++) {
		if (step_probe_hasf(probe, "unit=UnitFileState=%s %s", on[i],
		    unit))
			return 1;
	}
	return 0;
}

/* The probe's lines of step_items, into the three lists. */
void
step_items_parse(struct step_items *it, const char *probe)
{
	struct step_service	*s;
	size_t			 i;

	step_packages_parse(&it->pkgs, probe);
	step_files_parse(&it->files, probe);
	for (i = 0; i < it->units.n; i++) {
		s = &it->units.v[i];
		s->down = !step_probe_hasf(probe, "unit=ActiveState=active %s",
		    s->unit);
		s->disabled = !unit_enabled(probe, s->unit);
		s->pending = step_intent_parse(probe, s->unit);
	}
}

/*
 * Whether a file of mask (bit i: file i), or one of tag (not NULL),
 * differs (content or meta).
 */
static int
triggered(const struct step_items *it, unsigned mask, const char *tag)
{
	const struct step_file	*f;
	size_t			 i;

	for (i = 0; i < it->files.n; i++) {
		f = &it->files.v[i];
		if (!f->differs && !f->meta_differs)
			continue;
		if (i < 8 * sizeof mask && (mask & (1U << i)))
			return 1;
		if (tag != NULL && f->tag != NULL && strcmp(tag, f->tag) == 0)
			return 1;
	}
	return 0;
}

/* Its package is missing: apt installs and starts it. */
static int
unit_pkg_missing(const struct step_items *it, const struct step_service *s)
{
	return s->pkg != NULL && step_package_missing(&it->pkgs, s->pkg);
}

/*
 * What apply does to s (the files as probed): STEP_RESTART, STEP_RELOAD
 * or 0.
 */
int
step_service_action(const struct step_items *it,
    const struct step_service *s)
{
	if ((s->flags & STEP_UNIT_NOSTART) && s->down)
		return 0;
	if (s->stale == STEP_RESTART || s->pending == STEP_RESTART ||
	    s->down || unit_pkg_missing(it, s) ||
	    triggered(it, s->restart_on, s->tag))
		return STEP_RESTART;
	if (s->stale == STEP_RELOAD || s->pending == STEP_RELOAD ||
	    triggered(it, s->reload_on, NULL))
		return STEP_RELOAD;
	return 0;
}

/*
 * The units not running or not enabled: reported (check) or counted
 * (verify).  One not installed yet is started and enabled by apt, or
 * by apply after it; the restart a changed file brings is the file's
 * line.
 */
int
step_services_pending(struct step_ctx *ctx, const struct step_items *it,
    int report)
{
	const struct step_service	*s;
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < it->units.n; i++) {
		s = &it->units.v[i];
		if (unit_pkg_missing(it, s))
			continue;
		/* Down, it is started (below); a later step starts these. */
		n += step_pending(ctx, report, s->pending != 0 && (!s->down ||
		    (s->flags & STEP_UNIT_NOSTART)), "%s %s: an earlier run "
		    "changed its files and stopped before that", s->down ?
		    "reload systemd's units for" : s->pending == STEP_RELOAD ?
		    "reload" : "restart", s->unit);
		if (s->flags & STEP_UNIT_NOSTART)
			n += step_pending(ctx, report, s->disabled,
			    "enable service %s at boot", s->unit);
		else if (s->summary != NULL)
			n += step_pending(ctx, report, s->down || s->disabled,
			    "%s", s->summary);
		else if (s->flags & STEP_UNIT_APART) {
			n += step_pending(ctx, report, s->down, "start %s",
			    s->unit);
			n += step_pending(ctx, report, s->disabled,
			    "enable %s at boot", s->unit);
		} else
			n += step_pending(ctx, report, s->down || s->disabled,
			    "start and enable %s", s->unit);
	}
	return n;
}

/* Packages, files, units: reported (check) or counted (verify). */
int
step_items_pending(struct step_ctx *ctx, const struct step_items *it,
    int report)
{
	int	n = 0;

	n += step_packages_pending(ctx, &it->pkgs, report);
	n += step_files_pending(ctx, &it->files, report);
	n += step_services_pending(ctx, it, report);
	return n;
}

/*
 * Whether a file under /etc/systemd/ (a unit, a drop-in) differs, or an
 * earlier run may have written one and stopped before daemon-reload.
 */
static int
units_changed(const struct step_items *it)
{
	size_t	i;

	for (i = 0; i < it->files.n; i++) {
		if (it->files.v[i].differs && strncmp(it->files.v[i].path,
		    "/etc/systemd/", 13) == 0)
			return 1;
	}
	for (i = 0; i < it->units.n; i++) {
		if (it->units.v[i].pending != 0)
			return 1;
	}
	return 0;
}

static int
systemctl(struct step_ctx *ctx, const char *verb, const char *unit)
{
	return step_run(ctx, (char *[]){ "systemctl", (char *)verb,
	    (char *)unit, NULL }, NULL, 0);
}

static int
unit_enable(struct step_ctx *ctx, const char *unit, int now)
{
	char	*argv[] = { "systemctl", "enable", "--quiet", "--now", NULL,
		    NULL };

	if (now)
		argv[4] = (char *)unit;
	else
		argv[3] = (char *)unit;
	return step_run(ctx, argv, NULL, 0);
}

static int	services_done(struct step_ctx *, const struct step_items *);

/*
 * After the files are written: systemd reloaded when a unit file
 * changed, then each unit a change touched restarted
 * (reloaded, where a change to a reload_on file is all and it runs),
 * each one down started (STEP_UNIT_NOSTART: left to the step that
 * starts it) and each one off at boot enabled (STEP_UNIT_NOW: enable
 * --now, a timer nothing else touched).  0, or -1 after step_fail
 * naming the unit.
 */
int
step_services_apply(struct step_ctx *ctx, const struct step_items *it)
{
	const struct step_service	*s;
	size_t				 i;
	int				 act, rc;

	if (it->units.n > 0 && units_changed(it) &&
	    systemctl(ctx, "daemon-reload", NULL) != 0)
		return step_err(ctx, "systemctl daemon-reload failed");
	for (i = 0; i < it->units.n; i++) {
		s = &it->units.v[i];
		act = step_service_action(it, s);
		rc = 0;
		if ((s->flags & STEP_UNIT_NOW) && act == STEP_RESTART &&
		    s->down && !s->stale && !triggered(it, s->restart_on,
		    s->tag))
			rc = unit_enable(ctx, s->unit, 1);
		else {
			if (act != 0)
				rc = systemctl(ctx, act == STEP_RELOAD ?
				    "reload" : "restart", s->unit);
			if (rc == 0 && s->disabled)
				rc = unit_enable(ctx, s->unit, 0);
		}
		if (rc != 0)
			return step_err(ctx, "%s does not start: see "
			    "journalctl -u %s", s->unit, s->unit);
	}
	return services_done(ctx, it);
}

/* Every unit's intent, this run's or left, done: removed.  0 or -1. */
static int
services_done(struct step_ctx *ctx, const struct step_items *it)
{
	char	**names;
	size_t	  i, n = 0;
	int	  rc;

	names = xcalloc(it->units.n + 1, sizeof *names);
	for (i = 0; i < it->units.n; i++) {
		if (it->units.v[i].pending || it->units.v[i].intent)
			names[n++] = it->units.v[i].unit;
	}
	names[n] = NULL;
	rc = n > 0 ? step_intent_clear(ctx, names) : 0;
	free(names);
	return rc;
}

/*
 * Before a step writes its files: the restart or reload each unit will
 * need for them (or for the step's own reason, stale), persisted on the
 * machine (step_intent_set) so that a run killed before
 * step_services_apply leaves it to the next.  0, or -1 after step_fail:
 * then write nothing.
 */
int
step_services_intend(struct step_ctx *ctx, struct step_items *it)
{
	struct step_service	*s;
	size_t			 i;
	int			 a;

	for (i = 0; i < it->units.n; i++) {
		s = &it->units.v[i];
		if (s->stale == STEP_RESTART || triggered(it, s->restart_on,
		    s->tag))
			a = STEP_RESTART;
		else if (s->stale == STEP_RELOAD || triggered(it,
		    s->reload_on, NULL))
			a = STEP_RELOAD;
		else
			continue;
		if (s->pending == STEP_RESTART)
			a = STEP_RESTART;
		if (step_intent_set(ctx, s->unit, a) == -1)
			return -1;
		s->intent = a;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Intents                                                            */

/* The intent the probe's STEP_INTENT_SH lines leave for name, or 0. */
int
step_intent_parse(const char *probe, const char *name)
{
	if (step_probe_hasf(probe, "intent=restart %s", name))
		return STEP_RESTART;
	if (step_probe_hasf(probe, "intent=reload %s", name))
		return STEP_RELOAD;
	return 0;
}

/*
 * Persist that name owes action (STEP_RESTART, STEP_RELOAD): written and
 * synced before the caller writes what needs it.  0, or -1 after
 * step_fail.
 */
int
step_intent_set(struct step_ctx *ctx, const char *name, int action)
{
	static const char script[] =
	    "umask 077\n"
	    "mkdir -p " STEP_INTENT_DIR " || exit 1\n"
	    "f=" STEP_INTENT_DIR "/$1\n"
	    "echo \"$2\" > \"$f.new\" && mv -f \"$f.new\" \"$f\" || exit 1\n"
	    "sync \"$f\" " STEP_INTENT_DIR " 2>/dev/null || sync\n";

	check_word(name);
	if (step_probe_run(ctx, NULL, script, name, action == STEP_RELOAD ?
	    "reload" : "restart", NULL) != 0)
		return step_err(ctx, "cannot write " STEP_INTENT_DIR "/%s on "
		    "%s", name, ctx->machine);
	return 0;
}

/* The intents of names (NULL-ended), done: removed.  0 or -1. */
int
step_intent_clear(struct step_ctx *ctx, char *const *names)
{
	static const char script[] =
	    "cd " STEP_INTENT_DIR " 2>/dev/null || exit 0\n"
	    "rm -f -- \"$@\"\n";

	if (step_probe_runv(ctx, NULL, script, names) != 0)
		return step_err(ctx, "cannot remove the done restarts from "
		    STEP_INTENT_DIR " on %s", ctx->machine);
	return 0;
}
