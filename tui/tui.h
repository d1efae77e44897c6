/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The interactive frontends.  The wizard is a table of screens, each a
 * list of fields with their validation; a frontend (newt or plain text)
 * only renders a screen and hands the typed text back, so both ask the
 * same questions and check them the same way.
 */
#ifndef TUI_H
#define TUI_H

#include <stddef.h>

#include "facts.h"
#include "profile.h"
#include "releases.h"
#include "transport.h"

#define TUI_MIN_COLS	80
#define TUI_MIN_ROWS	24
#define TUI_MAX_MACHINES 16

struct wizard;

enum field_kind {
	FIELD_TEXT,		/* a string; empty is "not set" when optional */
	FIELD_INT,		/* an int between min and max */
	FIELD_BOOL,		/* yes or no */
	FIELD_CHOICE,		/* one of choices[] */
};

/* Which object of the wizard a field's offset is relative to. */
enum field_base {
	BASE_PROFILE,
	BASE_MACHINE,		/* the screen's machine */
	BASE_INSTANCE,		/* the screen's instance */
	BASE_CUSTOM,		/* get and set do it all */
};

/*
 * A field or choice that a step may not build yet names its feature in
 * needs as NEEDS(FEATURE_...); 0 is "always offered".  A field with a
 * profile key (.schema) takes its key's feature from the schema instead.
 * The wizard shows only what this build installs (screen_offered()).
 */
#define NEEDS(f)	((f) + 1)

struct choice {
	const char	*value;		/* the profile's name for it */
	const char	*label;		/* what the operator reads */
	int		 needs;
};

struct field {
	const char		*key;	/* stable name: text prompts, tests */
	const char		*label;
	enum field_kind		 kind;
	enum field_base		 base;
	size_t			 off;
	int			 optional;
	/*
	 * The profile key behind it ("tls.email", "machines.ssh.port"): the
	 * loader's validator and hint (TEXT) and range (INT) from
	 * profiles/schema.c, so that the two judge a value alike and say so
	 * alike.  A field without one, or whose check differs, gives its own
	 * .valid, .invalid, .min and .max.
	 */
	const char		*schema;
	int			 min;
	int			 max;
	int			(*valid)(const char *);
	const char		*invalid;	/* why not, with .valid */
	const struct choice	*choices;
	size_t			 nchoices;
	/* For BASE_CUSTOM: the value as text, and storing typed text. */
	char			*(*get)(struct wizard *, size_t);
	const char		*(*set)(struct wizard *, size_t, const char *);
	int			 needs;
};

struct screen {
	const char		*id;	/* help file assets/help/ID.txt */
	const char		*title;
	const char		*intro;
	const struct field	*fields;
	size_t			 nfields;
	/* How many times the screen is asked: 0 skips it; NULL is 1. */
	size_t			(*count)(const struct wizard *);
	/* Before showing: values forced by earlier answers. */
	void			(*enter)(struct wizard *, size_t);
	/* After the fields are stored: rules across fields. */
	const char		*(*check)(struct wizard *, size_t, int *);
	/* Text under the intro, worked out when shown (facts, versions). */
	char			*(*info)(struct wizard *, size_t);
	/*
	 * A button beside Back and Next: a test or a look-up that talks to
	 * the operator through the frontend's message and ask.  The fields
	 * are stored (and must be valid) before it runs.
	 */
	const char		*action_label;
	void			(*action)(struct wizard *, size_t);
	int			 action_first;	/* text: offered before the fields */
};

enum fe_result {
	FE_NEXT,
	FE_BACK,
	FE_QUIT,
	FE_ERROR,		/* the frontend cannot go on (no terminal...) */
	FE_APPLY,		/* the review: save, then apply */
};

struct frontend {
	const char	*name;
	/* 0, or -1 when it cannot start (it says why on stderr). */
	int		(*start)(struct wizard *);
	void		(*stop)(struct wizard *);
	enum fe_result	(*screen)(struct wizard *, const struct screen *,
			    size_t);
	/* The review: FE_NEXT saves, FE_APPLY saves and applies. */
	enum fe_result	(*review)(struct wizard *, const char *, int);
	void		(*message)(struct wizard *, const char *,
			    const char *);
	/* A yes/no question; 1 is yes. */
	int		(*ask)(struct wizard *, const char *, const char *);
};

/* How the walk ended: the command line (cli/cmd_wizard.c) acts on it. */
enum wizard_result {
	WIZARD_SAVED,		/* the profile is at output */
	WIZARD_APPLY,		/* saved, and the operator asked to apply it */
	WIZARD_SAAS,		/* hosted as a service: nothing to install */
	WIZARD_QUIT,		/* left; nothing saved */
	WIZARD_FAILED,		/* the frontend could not go on */
	WIZARD_NO_FRONTEND,	/* the frontend could not start; it said why */
};

struct wizard {
	struct profile		 p;
	const struct frontend	*fe;
	void			*fe_data;
	char			*output;
	char			*enc_confirm;	/* typed device name */
	int			 tls_none_ok;	/* "lab only" acknowledged */
	int			 ascii;		/* --ascii: boxes in plain ASCII */
	int			 workshop;	/* --workshop: lab defaults */
	char			 err[256];	/* message of the last set */
	/* What the actions found out (actions.c). */
	struct facts		 facts[TUI_MAX_MACHINES]; /* per machine */
	char			*disks[TUI_MAX_MACHINES]; /* lsblk JSON */
	struct facts		 local;		/* this machine */
	char			*local_disks;
	int			 local_probed;
	struct dhis2_releases	 rel;
	int			 rel_state;	/* 0 not tried, 1 loaded, -1 failed */
	char			*rel_from;	/* where rel came from */
	char			 rel_err[REL_ERRBUF_SIZE];
};

/* wizard_screens.c: the questionnaire */
extern const struct screen	 screens[];
extern const size_t		 nscreens;
/* The profile's name for a choice field's value v; NULL past the last. */
const char	*choice_enum_name(const struct field *, int v);
/* Before the review: drop the answers later choices made moot. */
void		 wizard_normalise(struct wizard *);

/* wizard.c: the walk */
char		*field_get(struct wizard *, const struct field *, size_t);
/* Store typed text; NULL, or why it was refused. */
const char	*field_set(struct wizard *w, const struct field *f,
		    size_t idx, const char *text);
/* "Machine 2 of 3" into buf. */
const char	*screen_title(struct wizard *w, const struct screen *s,
		    size_t idx, char *buf, size_t len);
/* The screen's rule across fields: NULL, or why not and *field. */
const char	*screen_check(struct wizard *w, const struct screen *s,
		    size_t idx, int *field);
void		 screen_enter(struct wizard *, const struct screen *, size_t);
const struct screen *screen_offered(size_t);
/* n machines or instances; new ones get the reference layout's defaults. */
void		 wizard_resize_machines(struct profile *, size_t);
void		 wizard_resize_instances(struct profile *, size_t);
enum wizard_result wizard_run(struct wizard *);
/* Frees what the wizard holds, the profile and output included. */
void		 wizard_free(struct wizard *);

/* actions.c */
void		 act_test_machine(struct wizard *, size_t);
char		*info_instance(struct wizard *, size_t);
void		 act_versions(struct wizard *, size_t);
const char	*check_version_listed(struct wizard *, const char *);
char		*info_database(struct wizard *, size_t);
void		 act_test_alert(struct wizard *, size_t);
char		*info_encryption(struct wizard *, size_t);
const char	*check_disk(struct wizard *, const char *);
char		*plan_text(struct wizard *);
char		*wizard_known_hosts(struct wizard *);
void		 wizard_actions_free(struct wizard *);

/* help.c */
char		*help_load(const char *);

/* newt_frontend.c */
extern const struct frontend	 newt_frontend;
int		 tui_terminal_size(int, int *, int *);
const char	*tui_ascii_reason(int);

/* text_frontend.c */
extern const struct frontend	 text_frontend;

#endif
