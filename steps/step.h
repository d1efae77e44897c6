/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The step contract.  A step module is one file with one const struct
 * step, collected in registry.c (as tmux collects cmd_entry tables).
 *
 *  check   read-only.  Returns RESULT_OK when the machine is already as
 *          wanted, RESULT_CHANGED when something would change (each thing
 *          reported with step_would(): packages, files with their diff,
 *          services, commands), RESULT_SKIPPED when it does not apply, or
 *          RESULT_FAILED with a message the operator can act on.  plan and
 *          --dry-run are check on every step.
 *  apply   makes it so; idempotent, so a run killed half-way is repaired
 *          by running again.  Called only after check said CHANGED.
 *  verify  proves it works after apply; NULL when check already does.
 *
 * Steps never build a shell string from operator input: argv only, and
 * fixed scripts take input as positional parameters.  Secrets go on stdin
 * or into 0600 files, never on argv.
 *
 * Two rules every step file keeps:
 *  - One error style.  check, apply and verify return enum result.  Any
 *    other helper that can fail returns int, 0 or -1, and sets the
 *    message before it returns -1 (step_fail(), or step_err(), which
 *    returns the -1), where the cause is known.  No helper returns enum
 *    result.
 *  - A step's state (struct X_state) is filled by its probe and released
 *    by X_state_free(), which frees and wipes all the state owns and
 *    zeroes the struct, so it is safe to call twice.  Nothing reads a
 *    state after freeing it.
 * The files a step owns and the things check reports are declared with
 * step_item.h; probes are run and read with step_probe.h; packages are
 * installed with apt.h.
 */
#ifndef STEP_H
#define STEP_H

#include <stddef.h>
#include <sys/types.h>

#include "events.h"
#include "facts.h"
#include "sizing.h"

struct profile;
struct secrets;
struct transport;
struct topology;
struct step;

struct step_ctx {
	const struct profile	*profile;
	const struct secrets	*secrets;
	struct transport	*t;
	const struct facts	*facts;		/* the machine's (step_facts) */
	const struct sizing	*size;		/* its RAM, who shares it */
	int			*apt_updated;	/* its lists, this run */
	const char		*machine;	/* its name */
	const struct topology	*topo;		/* every node, where it is */
	size_t			 node;		/* this machine's node */
	unsigned		 roles;		/* ROLE_BIT()s it plays */
	int			 dry_run;
	char			*msg;		/* the result's message */
	int			 changes;	/* things (that would be) changed */
	int			 notes;
	const struct step *const *later; /* still to run here; NULL-ended */
	char			**private_puts;	/* step_put() files others
						   cannot read: the engine
						   removes their .prev */
	size_t			 nprivate_puts;
};

/* Package names a step adds to (copies, each once). */
struct step_pkgs {
	char	**v;
	size_t	  n;
};

#define STEP_LXC_HOST	0x1	/* only on the host of LXC containers */
#define STEP_LAST	0x2	/* after every other step everywhere */

struct step {
	const char		 *name;
	unsigned		  roles;	/* ROLE_BIT()s; 0: every machine */
	unsigned		  flags;	/* STEP_* */
	const char		 *summary;
	const char *const	 *after;	/* steps it needs on its machine */
	const char *const	 *after_anywhere; /* ... on every machine */
	/*
	 * NULL, or whether the profile needs the step at all: a step of a
	 * role every profile has (the database) that only some profiles
	 * ask for is then not planned for the others.
	 */
	int			(*planned)(const struct profile *);
	enum result		(*check)(struct step_ctx *);
	enum result		(*apply)(struct step_ctx *);
	enum result		(*verify)(struct step_ctx *);
	/*
	 * Optional, so that a machine's packages come in one apt
	 * transaction: the packages apply installs on this machine, there
	 * or not; read-only, no round trip.  The first install on a machine
	 * in a run also brings the missing ones of every step still to run
	 * there (step_apt_install); each then finds its own installed.
	 */
	void			(*packages)(struct step_ctx *, struct step_pkgs *);
	/*
	 * Optional: put in place, before a transaction installs the ones
	 * of them it names (missing), what they must find when they first
	 * start (PostgreSQL's tuning: no restart after).  0, or -1 to
	 * leave them to the step's own install.
	 */
	int			(*before_install)(struct step_ctx *,
				    const struct step_pkgs *);
};

/* registry.c */
extern const struct step *const steps_all[];
extern const size_t steps_count;
const struct step *step_find(const char *);

/* step_util.c: what every step needs. */
const struct facts *step_facts(struct step_ctx *);
enum result step_fail(struct step_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 step_err(struct step_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 step_msg(struct step_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 step_would(struct step_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 step_note(struct step_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 step_run(struct step_ctx *, char *const *, const void *, size_t);
int	 step_capture(struct step_ctx *, char *const *, char **);
int	 step_file_differs(struct step_ctx *, const char *, const char *,
	    size_t, mode_t, int);
int	 step_put(struct step_ctx *, const char *, const char *, size_t,
	    mode_t, const char *, const char *);
char	*step_diff(const char *, const char *, int);
void	 step_roll_back(struct step_ctx *, const char *);
int	 step_put_checked(struct step_ctx *, const char *, const char *,
	    mode_t, const char *, char *const *, const char *);
/* KEY's value in a Java properties text (dhis.conf); NULL when absent. */
char	*step_conf_value(const char *, const char *);
struct tvars;
char	*step_render(struct step_ctx *ctx, const char *name, struct tvars *v,
	    int secret);
int	 step_restart_enable(struct step_ctx *, const char *unit);

#endif
