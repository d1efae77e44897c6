/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Configuration templates (assets/templates/): "{{name}}" is replaced by
 * a variable, "{{#name}}...{{/name}}" kept only when name is set and not
 * "" or "0", "{{^name}}...{{/name}}" only when it is not.  Repeated parts
 * (one location per instance) are rendered from a sub-template and passed
 * in as one variable.  An unknown variable is an error, never an empty
 * string: a template typo must not silently produce a broken config.
 *
 * "{{name|FILTER}}" escapes the value for the format it lands in:
 *   yaml        a single-quoted YAML scalar, quotes included
 *   properties  a Java properties value (dhis.conf): \, leading blanks,
 *               controls and non-ASCII escaped
 *   xml         XML text or a double-quoted attribute's value
 * "{{name}}" inserts it as it is.  No value, filtered or not, brings a
 * control character other than a tab or newline; yaml and xml refuse
 * any (an error naming the variable, never showing its value).
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

struct tvars {
	char	**names;
	char	**values;
	size_t	  n;
};

void	 tvars_init(struct tvars *);
void	 tvars_free(struct tvars *);
void	 tvars_wipe_free(struct tvars *);
void	 tvars_set(struct tvars *, const char *, const char *);
void	 tvars_setf(struct tvars *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
const char *tvars_get(const struct tvars *, const char *);

/* Render text; NULL with *errp set ("line N: ...") on an error. */
char	*template_render(const char *, const struct tvars *, char **);
/* One value through a filter ("yaml"...); NULL with *errp set. */
char	*template_escape(const char *filter, const char *value, char **errp);
/* Find assets/templates/NAME (installed or in the source tree) and render. */
char	*template_render_file(const char *, const struct tvars *, char **);
/* The assets directory: $DHIS2_SETUP_ASSETS, the source tree, or pkgdatadir. */
const char *assets_dir(void);

#endif
