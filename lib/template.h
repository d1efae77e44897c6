/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Configuration templates (assets/templates/): "{{name}}" is replaced by
 * a variable, "{{#name}}...{{/name}}" kept only when name is set and not
 * "" or "0", "{{^name}}...{{/name}}" only when it is not.  Repeated parts
 * (one location per instance) are rendered from a sub-template and passed
 * in as one variable.  An unknown variable is an error, never an empty
 * string: a template typo must not silently produce a broken config.
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
/* Find assets/templates/NAME (installed or in the source tree) and render. */
char	*template_render_file(const char *, const struct tvars *, char **);
/* The assets directory: $DHIS2_SETUP_ASSETS, the source tree, or pkgdatadir. */
const char *assets_dir(void);

#endif
