/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Diagnostics in the compilers' form, "file:line:col: message", so that
 * editors jump to them and tests can compare them.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"
#include "profile.h"

void
diag_init(struct diag *d)
{
	d->msgs = NULL;
	d->n = d->cap = 0;
}

void
diag_free(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	diag_init(d);
}

void
diag_add(struct diag *d, const char *file, struct pos p, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *line;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory formatting a diagnostic");
	va_end(ap);
	if (p.line > 0)
		xasprintf(&line, "%s:%d:%d: %s", file, p.line, p.col, msg);
	else
		xasprintf(&line, "%s: %s", file, msg);
	free(msg);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->msgs = xreallocarray(d->msgs, d->cap, sizeof *d->msgs);
	}
	d->msgs[d->n++] = line;
}

void
diag_print(const struct diag *d, FILE *f)
{
	size_t	 i;
	char	*s;

	/* Messages quote profile values: no control character gets out. */
	for (i = 0; i < d->n; i++) {
		s = str_printable(d->msgs[i]);
		fprintf(f, "%s\n", s);
		free(s);
	}
}
