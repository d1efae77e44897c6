/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The profile schema: one table row per profile key, on the model of
 * tmux's options-table.c.  A row says where the key lives in struct
 * profile (offsetof), its type, how a value is checked (validator, range,
 * choices) and what the operator is told when it is wrong (hint), its
 * default, the feature that needs it and a line of documentation.
 *
 * The rows drive the loader (known keys, "did you mean", type, range and
 * format checks), the saver (key order and form), profile_init,
 * profile_free and profile_equal; tests check docs/profile.md against
 * them.  Rules across keys stay as code in profile_check.c.
 *
 * A section is a YAML mapping: the top level (""), a nested mapping
 * ("tls", "database.tuning") or the record of a list ("machines",
 * "instances").  Each row's offset is into its section's struct: struct
 * profile for "", struct tls for "tls", struct machine for "machines" and
 * also for "machines.ssh", whose keys live in the machine itself.
 *
 * Adding a key: add the field to profile.h, one row to the section's table
 * in schema.c, a line to docs/profile.md; then use it.  A key of a feature
 * that is not built yet names it in .needs (and in .asks when setting it
 * asks for the feature): plan, apply and the wizard then say so.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stddef.h>

#include "profile.h"
#include "feature.h"

enum schema_type {
	SCHEMA_STRING,		/* char *; .valid, .hint, .max_len */
	SCHEMA_INT,		/* int, from .min to .max */
	SCHEMA_BOOL,		/* int 0/1: true, yes, on / false, no, off */
	SCHEMA_CHOICE,		/* an enum (int): index into .choices */
	SCHEMA_SIZE,		/* long long megabytes, written 512MB or 4GB */
	SCHEMA_FLAGS,		/* unsigned bit set of .choices: [a, b] */
	SCHEMA_MAP,		/* a nested mapping: the rows of .sub */
	SCHEMA_LIST,		/* a list of records, each a mapping of .sub */
};

/* Row flags. */
#define SCHEMA_EARLY	0x01	/* loaded before the section's other keys */
#define SCHEMA_AUTO	0x02	/* "auto" is a value: SIZE 0; MAP .auto_off */
#define SCHEMA_OMIT_DEF	0x04	/* not saved while at its default */
#define SCHEMA_OMIT_EMPTY 0x08	/* MAP: not saved while none of it is set */
#define SCHEMA_EMPTY_OK	0x10	/* STRING: "" is left to .valid */

struct schema_section;
struct loader;
struct ynode;

struct schema_row {
	const char		*key;
	enum schema_type	 type;
	size_t			 off;	/* into the section's struct */
	/* The key in messages; NULL: the section's prefix and the key. */
	const char		*label;

	/* STRING: the check and what a valid value is, for messages. */
	int			(*valid)(const char *);
	const char		*hint;
	size_t			 max_len;	/* 0: .valid decides */
	const char		*too_long;	/* "is longer than ..." */

	/* INT: the range; SIZE: .min is the smallest, .min_hint says so. */
	long long		 min;
	long long		 max;
	const char		*min_hint;

	/* CHOICE and FLAGS: the names; FLAGS: an item in messages. */
	const char *const	*choices;
	int			 nchoices;
	const char		*item;

	/* INT, BOOL, CHOICE, MAP with SCHEMA_AUTO: the value when absent. */
	int			 def;

	/* MAP and LIST: the rows of the mapping or of each record. */
	const struct schema_section *sub;
	size_t			 count_off;	/* LIST: the size_t count */
	/* MAP: an int that is 1 while the mapping is there (0: none). */
	size_t			 present_off;
	/* MAP with SCHEMA_AUTO: the int, in .sub's struct, "auto" sets. */
	size_t			 auto_off;

	/* Where the key stood, a struct pos in the section (0: not kept). */
	size_t			 pos_off;
	/* Missing it is an error: "a machine needs a name". */
	const char		*required;
	/*
	 * Loads the key itself, with the keys beside it (n is the section's
	 * mapping): rules that tie keys together.  0 or -1.
	 */
	int			(*load)(struct loader *l, const struct ynode *n,
				    const struct schema_row *row, void *base);

	unsigned		 flags;
	unsigned		 needs;		/* FEATURE_BIT()s that use it */
	/*
	 * Which of .needs the value in base asks for (FEATURE_BIT()s, 0:
	 * none).  NULL: the key only serves features other keys ask for,
	 * and goes back to its default while they are not built.  The
	 * feature code (feature.c) reads the rows, no list of its own.
	 */
	unsigned		(*asks)(const struct schema_row *row,
				    const void *base);
	const char		*doc;		/* one line of documentation */
};

#define FEATURE_BIT(f)	(1u << (f))

struct schema_section {
	const char		*name;	/* "", "tls", "machines.ssh" */
	const char		*where;	/* in messages: "tls", "a machine" */
	const char		*prefix; /* before a key in messages: "tls." */
	const char		*noun;	/* records: "machine 'db' needs ..." */
	const struct schema_row	*rows;	/* in the order keys are saved */
	size_t			 nrows;
	size_t			 size;	/* LIST records: sizeof the struct */
	size_t			 pos_off; /* its mapping's pos (0: none) */
	/* After the rows: defaults that derive from other keys. */
	void			(*finish)(void *base);
};

/* The top level of a profile; every other section hangs from it. */
const struct schema_section *schema_root(void);
/* A section by its path ("", "tls", "machines.ssh"); NULL if none. */
const struct schema_section *schema_section(const char *path);
/* A key of a section: schema_find("tls", "acme_server"); NULL if none. */
const struct schema_row *schema_find(const char *section, const char *key);
/* The same by the dotted path: "tls.acme_server", "instances.heap". */
const struct schema_row *schema_find_path(const char *path);

/* Where a row's value lives in base, its section's struct. */
void		*schema_field(const struct schema_row *, void *base);
/* The key as messages name it ("tls.email", "instance name") into buf. */
const char	*schema_label(const struct schema_section *sec,
		    const struct schema_row *row, char *buf, size_t len);
/*
 * Whether text is a valid value for a STRING, INT, BOOL, CHOICE or SIZE
 * row, as the loader would judge it; the row's hint says what is wanted.
 */
int		 schema_text_ok(const struct schema_row *, const char *text);
/* What a valid value is ("an absolute path"), or NULL. */
const char	*schema_hint(const struct schema_row *);
/* The feature that needs the key, or -1 when every profile may set it. */
int		 schema_feature(const struct schema_row *);

/*
 * Calls fn for every row, depth first in the saved order, with the dotted
 * path of its section; stops and returns fn's value when it is not 0.
 */
int		 schema_walk(int (*fn)(const struct schema_section *,
		    const struct schema_row *, void *), void *arg);

/* Set the rows' defaults in base, a section's struct (no allocation). */
void		 schema_defaults(const struct schema_section *, void *base);
/* A Telegram chat id: a number, negative for groups. */
int		 valid_telegram_chat(const char *);

/* profile_load.c: the keys with rules of their own (the rows' .load). */
int		 load_version(struct loader *l, const struct ynode *n,
		    const struct schema_row *row, void *base);
int		 load_war(struct loader *l, const struct ynode *n,
		    const struct schema_row *row, void *base);

#endif
