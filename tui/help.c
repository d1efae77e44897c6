/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * F1 help: one text file per screen, assets/help/ID.txt.  Installed they
 * are under $(pkgdatadir) (nobase keeps the assets/ prefix); run from a
 * build tree they are read from the source tree.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "tui.h"

#define HELP_MAX	(64 * 1024)

/* Returns the text (caller frees), or NULL when no file was found. */
char *
help_load(const char *id)
{
	const char	*dirs[4];
	const char	*env;
	char		*path, *buf;
	size_t		 i, n = 0, len;

	/* Ids are our own constants; refuse anything that could walk. */
	if (!valid_name(id) && strspn(id, "abcdefghijklmnopqrstuvwxyz-") !=
	    strlen(id))
		return NULL;
	if ((env = getenv("DHIS2_SETUP_HELP_DIR")) != NULL && *env != '\0')
		dirs[n++] = env;
	dirs[n++] = PKGDATADIR "/assets/help";
	dirs[n++] = PKGDATADIR "/help";
	dirs[n++] = SRCDIR_ASSETS "/help";
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s.txt", dirs[i], id);
		if (read_file_limited(path, HELP_MAX, &buf, &len) == 0) {
			free(path);
			return buf;
		}
		free(path);
	}
	return NULL;
}
