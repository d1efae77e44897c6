/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A small YAML tree with source positions, built from libyaml's events.
 * Aliases are refused (an alias bomb expands a few lines into gigabytes),
 * nesting and size are bounded, and duplicate mapping keys are errors.
 */
#ifndef YAMLTREE_H
#define YAMLTREE_H

#include <stddef.h>

struct diag;

enum ynode_type {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ,
};

struct ynode {
	enum ynode_type	 type;
	char		*value;		/* scalars */
	int		 quoted;	/* a quoted scalar is always a string */
	int		 line;		/* 1-based */
	int		 col;		/* 1-based */
	/* Maps keep keys and values side by side: keys[i] -> items[i]. */
	struct ynode	**keys;
	struct ynode	**items;
	size_t		 n;
	size_t		 cap;
};

/* Parse; NULL with a diagnostic at the offending position. */
struct ynode	*ytree_parse(const char *file, const char *buf, size_t len,
		    struct diag *diag);
void		 ytree_free(struct ynode *);
struct ynode	*ytree_get(const struct ynode *, const char *);

#endif
