/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A deliberately small template language: substitution and conditional
 * sections, nothing that loops or calls.  Values are inserted as they
 * are: every value comes from a profile field that was validated for its
 * format (names, paths, host names) or is computed by the tool.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "template.h"

#define TEMPLATE_MAX_BYTES	(256 * 1024)
#define TEMPLATE_MAX_DEPTH	8

void
tvars_init(struct tvars *v)
{
	memset(v, 0, sizeof *v);
}

void
tvars_free(struct tvars *v)
{
	size_t	i;

	for (i = 0; i < v->n; i++) {
		free(v->names[i]);
		free(v->values[i]);
	}
	free(v->names);
	free(v->values);
	tvars_init(v);
}

/* tvars_free() for variables that held secrets: the values wiped first. */
void
tvars_wipe_free(struct tvars *v)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		secure_wipe(v->values[i], strlen(v->values[i]));
	tvars_free(v);
}

void
tvars_set(struct tvars *v, const char *name, const char *value)
{
	size_t	i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->names[i], name) == 0) {
			free(v->values[i]);
			v->values[i] = xstrdup(value ? value : "");
			return;
		}
	}
	v->names = xreallocarray(v->names, v->n + 1, sizeof *v->names);
	v->values = xreallocarray(v->values, v->n + 1, sizeof *v->values);
	v->names[v->n] = xstrdup(name);
	v->values[v->n] = xstrdup(value ? value : "");
	v->n++;
}

void
tvars_setf(struct tvars *v, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory formatting a template variable");
	va_end(ap);
	tvars_set(v, name, s);
	free(s);
}

const char *
tvars_get(const struct tvars *v, const char *name)
{
	size_t	i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->names[i], name) == 0)
			return v->values[i];
	}
	return NULL;
}

struct render {
	const struct tvars	*vars;
	const char		*start;
	struct strbuf		 out;
	char			*err;
};

static void
put(struct render *r, const char *s, size_t n)
{
	strbuf_add(&r->out, s, n);
}

static int
line_of(const struct render *r, const char *p)
{
	int	line = 1;

	for (const char *q = r->start; q < p; q++)
		line += *q == '\n';
	return line;
}

static void __attribute__((format(printf, 3, 4)))
fail(struct render *r, const char *at, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (r->err != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatalx("out of memory formatting a template error");
	va_end(ap);
	xasprintf(&r->err, "line %d: %s", line_of(r, at), msg);
	free(msg);
}

static int
truthy(const char *v)
{
	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/*
 * A section tag alone on its line takes its newline along, so that
 * sections do not leave blank lines; one inside a line leaves it be.
 */
static int
alone_on_line(const struct render *r, const char *open, const char *after)
{
	return *after == '\n' && (open == r->start || open[-1] == '\n');
}

/*
 * Render [p, end) into r (or skip it when !emit).  Returns a pointer past
 * what was consumed; *closed says whether that ended with the "{{/name}}"
 * of the section we are in.
 */
static const char *
render_span(struct render *r, const char *p, const char *end, int emit,
    const char *closing, int depth, int *closed)
{
	const char	*open, *close, *after;
	char		 name[64];
	size_t		 len;
	int		 kind, on, sub_closed;

	while (p < end && r->err == NULL) {
		if ((open = strstr(p, "{{")) == NULL || open >= end)
			open = end;
		if (emit)
			put(r, p, open - p);
		if (open == end)
			return end;
		if ((close = strstr(open + 2, "}}")) == NULL || close >= end) {
			fail(r, open, "'{{' without '}}'");
			return end;
		}
		after = close + 2;
		kind = strchr("#^/", open[2]) != NULL ? open[2] : 0;
		len = close - open - 2 - (kind != 0);
		if (len == 0 || len >= sizeof name) {
			fail(r, open, "empty or overlong {{...}}");
			return end;
		}
		memcpy(name, open + 2 + (kind != 0), len);
		name[len] = '\0';
		if (kind == '/') {
			if (closing == NULL || strcmp(closing, name) != 0)
				fail(r, open, "'{{/%s}}' closes nothing", name);
			if (alone_on_line(r, open, after))
				after++;
			*closed = 1;
			return after;
		}
		/* Strict even inside an off section: a typo is a typo. */
		if (tvars_get(r->vars, name) == NULL) {
			fail(r, open, "unknown variable '%s'", name);
			return end;
		}
		if (kind == 0) {
			if (emit)
				put(r, tvars_get(r->vars, name),
				    strlen(tvars_get(r->vars, name)));
			p = after;
			continue;
		}
		if (depth >= TEMPLATE_MAX_DEPTH) {
			fail(r, open, "sections nested deeper than %d",
			    TEMPLATE_MAX_DEPTH);
			return end;
		}
		on = truthy(tvars_get(r->vars, name));
		if (kind == '^')
			on = !on;
		if (alone_on_line(r, open, after))
			after++;
		sub_closed = 0;
		p = render_span(r, after, end, emit && on, name, depth + 1,
		    &sub_closed);
		if (!sub_closed && r->err == NULL) {
			fail(r, open, "'{{%s}}' is never closed", name);
			return end;
		}
	}
	return p;
}

char *
template_render(const char *text, const struct tvars *vars, char **errp)
{
	struct render	r;
	int		closed = 0;

	memset(&r, 0, sizeof r);
	r.vars = vars;
	r.start = text;
	put(&r, "", 0);
	render_span(&r, text, text + strlen(text), 1, NULL, 0, &closed);
	if (r.err != NULL) {
		*errp = r.err;
		free(r.out.buf);
		return NULL;
	}
	*errp = NULL;
	return r.out.buf;
}

const char *
assets_dir(void)
{
	static const char	*dir;
	struct stat		 st;
	const char		*env;

	if (dir != NULL)
		return dir;
	if ((env = getenv("DHIS2_SETUP_ASSETS")) != NULL && *env != '\0')
		return dir = env;
	/* Run from the build tree: the source tree's assets are current. */
	if (stat(SRCDIR_ASSETS "/templates", &st) == 0 && S_ISDIR(st.st_mode))
		return dir = SRCDIR_ASSETS;
	return dir = PKGDATADIR "/assets";
}

char *
template_render_file(const char *name, const struct tvars *vars, char **errp)
{
	char	*path, *text, *out, *err;
	size_t	 len;

	xasprintf(&path, "%s/templates/%s", assets_dir(), name);
	if (read_file_limited(path, TEMPLATE_MAX_BYTES, &text, &len) == -1) {
		xasprintf(errp, "%s: cannot read the template", path);
		free(path);
		return NULL;
	}
	if ((out = template_render(text, vars, &err)) == NULL) {
		xasprintf(errp, "%s: %s", path, err);
		free(err);
	}
	free(text);
	free(path);
	return out;
}
