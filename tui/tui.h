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

#include "profile.h"

#define TUI_MIN_COLS	80
#define TUI_MIN_ROWS	24

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

struct choice {
	const char	*value;		/* the profile's name for it */
	const char	*label;		/* what the operator reads */
};

struct field {
	const char		*key;	/* stable name: text prompts, tests */
	const char		*label;
	enum field_kind		 kind;
	enum field_base		 base;
	size_t			 off;
	int			 optional;
	int			 min;
	int			 max;
	int			(*valid)(const char *);
	const char		*invalid;	/* why valid() said no */
	const struct choice	*choices;
	size_t			 nchoices;
	/* For BASE_CUSTOM: the value as text, and storing typed text. */
	char			*(*get)(struct wizard *, size_t);
	const char		*(*set)(struct wizard *, size_t, const char *);
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
};

enum fe_result {
	FE_NEXT,
	FE_BACK,
	FE_QUIT,
	FE_ERROR,		/* the frontend cannot go on (no terminal...) */
};

struct frontend {
	const char	*name;
	/* 0, or an exit code when the frontend cannot start. */
	int		(*start)(struct wizard *);
	void		(*stop)(struct wizard *);
	enum fe_result	(*screen)(struct wizard *, const struct screen *,
			    size_t);
	/* The review: FE_NEXT saves, FE_BACK goes back. */
	enum fe_result	(*review)(struct wizard *, const char *, int);
	void		(*message)(struct wizard *, const char *,
			    const char *);
};

struct wizard {
	struct profile		 p;
	const struct frontend	*fe;
	void			*fe_data;
	char			*output;
	char			*enc_confirm;	/* typed device name */
	int			 tls_none_ok;	/* "lab only" acknowledged */
	int			 ascii;		/* --ascii: boxes in plain ASCII */
	char			 err[256];	/* message of the last set */
};

/* wizard.c */
extern const struct screen	 screens[];
extern const size_t		 nscreens;
char		*field_get(struct wizard *, const struct field *, size_t);
const char	*field_set(struct wizard *, const struct field *, size_t,
		    const char *);
const char	*screen_title(struct wizard *, const struct screen *, size_t,
		    char *, size_t);
const char	*screen_check(struct wizard *, const struct screen *, size_t,
		    int *);
void		 screen_enter(struct wizard *, const struct screen *, size_t);
int		 wizard_run(struct wizard *);

/* help.c */
char		*help_load(const char *);

/* newt_frontend.c */
extern const struct frontend	 newt_frontend;
int		 tui_terminal_size(int, int *, int *);
const char	*tui_ascii_reason(int);

/* text_frontend.c */
extern const struct frontend	 text_frontend;

#endif
