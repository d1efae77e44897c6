/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Declared step items (step_item.h): the files a step owns, read by its
 * probe, reported by check, written by apply and counted by verify.
 */
#include "config.h"

#include <stdarg.h>
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
