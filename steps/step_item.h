/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Declared step items.  A step lists the files it owns, each with what it
 * should hold, and the helpers do the four-way mirror every step used to
 * write out: the probe's arguments, its reading (sums; mode and owner
 * where the probe stats them), check's "would" lines with their diffs,
 * apply's writes and verify's count.  A flag that is not a file is
 * declared once too, in one pending list a step writes with
 * step_pending(): check reports it and verify counts the same list, so
 * verify cannot forget what check reported.
 */
#ifndef STEP_ITEM_H
#define STEP_ITEM_H

#include <stddef.h>
#include <sys/types.h>

struct step_args;
struct step_ctx;

/* One file a step owns. */
struct step_file {
	char		*path;
	char		*content;	/* NUL-terminated; wiped on free */
	mode_t		 mode;
	char		*owner;		/* NULL: root */
	char		*group;		/* NULL: root */
	const char	*tag;		/* the step's own (whose service) */
	char		*summary;	/* NULL, or check's line, not a diff */
	int		 secret;	/* never shown as a diff */
	int		 meta;		/* the probe stats it: mode, owner */
	int		 differs;	/* content, by the probe's sum */
	int		 meta_differs;	/* mode or owner */
};

struct step_files {
	struct step_file	*v;
	size_t			 n;
};

/*
 * Shell for a probe script: "step_sums FILE..." prints "sum=SHA256 FILE"
 * (or "sum=none FILE") per file, and "step_stats FILE..." prints
 * "stat=MODE OWNER GROUP FILE" for those there.  Shell functions share
 * the script's variables: theirs are named step_*, a script's never.
 */
#define STEP_FILES_SH \
    "step_sums() {\n" \
    "  for step_f in \"$@\"; do\n" \
    "    if [ -f \"$step_f\" ]; then\n" \
    "      echo \"sum=$(sha256sum < \"$step_f\" | cut -d' ' -f1) $step_f\"\n" \
    "    else echo \"sum=none $step_f\"; fi\n" \
    "  done\n" \
    "}\n" \
    "step_stats() { (cd / && stat -c 'stat=%a %U %G %n' -- \"$@\" " \
    "2>/dev/null); }\n"

/* steps/step_item.c */
struct step_file *step_files_add(struct step_files *, const char *path,
	    char *content, mode_t mode, const char *owner, const char *group);
void	 step_files_free(struct step_files *);
void	 step_files_probe_args(const struct step_files *, struct step_args *);
void	 step_files_parse(struct step_files *, const char *probe);
int	 step_file_report(struct step_ctx *, const struct step_file *);
int	 step_files_report(struct step_ctx *, const struct step_files *);
int	 step_files_count(const struct step_files *);
int	 step_files_pending(struct step_ctx *, const struct step_files *,
	    int report);
int	 step_file_apply(struct step_ctx *, const struct step_file *);
int	 step_files_apply(struct step_ctx *, const struct step_files *);
void	 step_files_roll_back(struct step_ctx *, const struct step_files *);
int	 step_pending(struct step_ctx *ctx, int report, int cond,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
