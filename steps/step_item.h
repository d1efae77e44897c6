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
 *
 * Packages and services are declared the same way, the three lists in
 * one struct step_items: the packages the step needs (dpkg's state read
 * by the probe, "install package" in check, installed with apt.h), and
 * the units it runs (started, enabled, and restarted or reloaded when
 * one of the files that trigger them was written, or when an earlier
 * run was killed between the write and the restart).
 */
#ifndef STEP_ITEM_H
#define STEP_ITEM_H

#include <stddef.h>
#include <sys/types.h>

struct step_args;
struct step_ctx;
struct step_pkgs;

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

/* One package a step needs installed. */
struct step_package {
	char		*name;
	const char	*why;		/* NULL, or check's reason for it */
	int		 missing;	/* the probe: not installed */
};

struct step_packages {
	struct step_package	*v;
	size_t			 n;
};

/* One systemd unit a step runs. */
#define STEP_UNIT_APART		0x1	/* "start" and "enable" apart */
#define STEP_UNIT_NOW		0x2	/* enable --now: timers */
#define STEP_UNIT_NOSTART	0x4	/* a later step starts it */

struct step_service {
	char		*unit;
	char		*pkg;		/* NULL, or what brings (starts) it */
	unsigned	 flags;		/* STEP_UNIT_* */
	unsigned	 restart_on;	/* bit i: the step's file i */
	unsigned	 reload_on;	/* the same, reloaded when it runs */
	const char	*tag;		/* NULL, or files of this tag restart */
	const char	*summary;	/* NULL, or check's line to start it */
	int		 stale;		/* the step's own: STEP_RESTART, ... */
	int		 down;		/* the probe: not active */
	int		 disabled;	/* not enabled at boot */
	int		 pending;	/* an earlier run's intent, not done */
	int		 intent;	/* this run's, persisted */
};

struct step_services {
	struct step_service	*v;
	size_t			 n;
};

/* What a step declares: its packages, files and units. */
struct step_items {
	struct step_packages	 pkgs;
	struct step_files	 files;
	struct step_services	 units;
	char			*pkg_words;	/* the probe's arguments */
	char			*unit_words;
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

/*
 * A restart or reload a run owes: written on the machine before the files
 * that need it, removed once it is done, so that a run killed in between
 * (kill -9, a dropped link, a reboot) leaves it for the next run to find
 * instead of a machine whose files are right and whose service runs the
 * old ones.  One file per unit (or cluster), holding "restart" or
 * "reload".  "step_intent NAME..." prints "intent=ACTION NAME" per name
 * that has one.
 */
#define STEP_INTENT_DIR	"/var/lib/dhis2-setup/pending"
#define STEP_INTENT_SH \
    "step_intent() {\n" \
    "  for step_i in \"$@\"; do\n" \
    "    [ -f \"" STEP_INTENT_DIR "/$step_i\" ] && echo \"intent=$(cat " \
    "\"" STEP_INTENT_DIR "/$step_i\") $step_i\"\n" \
    "  done\n" \
    "  return 0\n" \
    "}\n"

/*
 * STEP_FILES_SH and "step_items PACKAGES UNITS FILE...": PACKAGES and
 * UNITS are each one argument, names apart by spaces (step_items_args
 * builds them: names of [A-Za-z0-9@.+_-] only), FILE... for step_sums.
 * It prints "pkg=NAME STATE" per package dpkg knows, and per unit
 * "unit=ActiveState=STATE UNIT", "unit=UnitFileState=STATE UNIT" and
 * its intent (STEP_INTENT_SH) when one is left.
 */
#define STEP_ITEMS_SH \
    STEP_FILES_SH \
    STEP_INTENT_SH \
    "step_items() {\n" \
    "  [ -z \"$1\" ] || dpkg-query -W " \
    "-f='pkg=${Package} ${db:Status-Abbrev}\\n' $1 2>/dev/null\n" \
    "  for step_u in $2; do\n" \
    "    systemctl show -p ActiveState -p UnitFileState \"$step_u\" " \
    "2>/dev/null | while IFS= read -r step_l; do\n" \
    "      echo \"unit=$step_l $step_u\"\n" \
    "    done\n" \
    "  done\n" \
    "  step_intent $2\n" \
    "  shift 2\n" \
    "  step_sums \"$@\"\n" \
    "}\n"

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

struct step_package *step_packages_add(struct step_packages *,
	    const char *);
void	 step_packages_free(struct step_packages *);
void	 step_packages_parse(struct step_packages *, const char *probe);
int	 step_package_missing(const struct step_packages *, const char *);
int	 step_packages_pending(struct step_ctx *,
	    const struct step_packages *, int report);
int	 step_packages_install(struct step_ctx *,
	    const struct step_packages *);
void	 step_packages_names(const struct step_packages *,
	    struct step_pkgs *);
struct step_service *step_services_add(struct step_services *ss,
	    const char *unit, const char *pkg, unsigned restart_on,
	    unsigned reload_on);
void	 step_services_free(struct step_services *);
void	 step_items_free(struct step_items *);
void	 step_items_args(struct step_items *, struct step_args *);
void	 step_items_parse(struct step_items *, const char *probe);
int	 step_services_pending(struct step_ctx *, const struct step_items *,
	    int report);
int	 step_items_pending(struct step_ctx *, const struct step_items *,
	    int report);
#define STEP_RESTART	1
#define STEP_RELOAD	2
int	 step_service_action(const struct step_items *,
	    const struct step_service *);
int	 step_services_intend(struct step_ctx *, struct step_items *);
int	 step_services_apply(struct step_ctx *, const struct step_items *);
int	 step_intent_parse(const char *probe, const char *name);
int	 step_intent_set(struct step_ctx *, const char *name, int action);
int	 step_intent_clear(struct step_ctx *, char *const *names);

#endif
