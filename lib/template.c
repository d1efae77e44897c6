/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * A deliberately small template language: substitution and conditional
 * sections, nothing that loops or calls.  A value goes in as it is
 * ("{{name}}": names, paths and host names the profile's checks passed,
 * numbers and text the tool computed, sub-templates already rendered),
 * or escaped for the format it lands in ("{{name|yaml}}"): the template
 * says which, in one place per format, here.  Secrets, e-mail addresses
 * and anything else an operator typed that the format gives a meaning
 * to go through a filter.  Neither way lets a control character other
 * than a tab or a newline through, and a filter refuses what its format
 * cannot hold rather than write something else.
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

/* ------------------------------------------------------------------ */
/* Escaping, per format                                               */

/* One code point of UTF-8 at p into *cp; its length, 0 when invalid. */
static size_t
utf8_decode(const unsigned char *p, unsigned long *cp)
{
	size_t		n, i;
	unsigned long	min;

	if (*p < 0x80)
		return *cp = *p, 1;
	if ((*p & 0xe0) == 0xc0)
		n = 2, *cp = *p & 0x1f, min = 0x80;
	else if ((*p & 0xf0) == 0xe0)
		n = 3, *cp = *p & 0x0f, min = 0x800;
	else if ((*p & 0xf8) == 0xf0)
		n = 4, *cp = *p & 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* Does s hold a control character (check.c's), other than allowed's? */
static int
has_control(const char *s, const char *allowed)
{
	const char	*c;

	for (c = s; (c = text_control_char(c)) != NULL; c++) {
		if (strchr(allowed, *c) == NULL)
			return 1;
	}
	return 0;
}

static void
add_str(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

/*
 * YAML: a single-quoted scalar, "'" doubled.  A control character has no
 * way into one (a newline folds), so it is refused.
 */
static int
esc_yaml(struct strbuf *sb, const char *s)
{
	const unsigned char	*p;

	if (has_control(s, ""))
		return -1;
	add_str(sb, "'");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		strbuf_add(sb, p, 1);
		if (*p == '\'')
			strbuf_add(sb, "'", 1);
	}
	add_str(sb, "'");
	return 0;
}

/*
 * A value of a Java properties file (dhis.conf), as java.util.Properties
 * reads it back: "\\" and leading blanks escaped, controls as \n, \t or
 * \uXXXX, and everything past ASCII as \uXXXX (UTF-16), which reads the
 * same whether the file is read as ISO 8859-1 or as UTF-8.  "=", ":",
 * "#" and "!" mean nothing after the key.  Never refused.
 */
static int
esc_properties(struct strbuf *sb, const char *s)
{
	const unsigned char	*p;
	unsigned long		 cp;
	char			 u[16];
	size_t			 n;
	int			 lead = 1;

	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = 1;
		if (*p == ' ' && lead) {
			add_str(sb, "\\ ");
			continue;
		}
		lead = 0;
		switch (*p) {
		case '\\':	add_str(sb, "\\\\");	continue;
		case '\n':	add_str(sb, "\\n");	continue;
		case '\r':	add_str(sb, "\\r");	continue;
		case '\t':	add_str(sb, "\\t");	continue;
		case '\f':	add_str(sb, "\\f");	continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			strbuf_add(sb, p, 1);
			continue;
		}
		/* Not UTF-8: the byte as the ISO 8859-1 character it is. */
		if ((n = utf8_decode(p, &cp)) == 0)
			n = 1, cp = *p;
		if (cp > 0xffff) {
			cp -= 0x10000;
			snprintf(u, sizeof u, "\\u%04lX\\u%04lX",
			    0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else
			snprintf(u, sizeof u, "\\u%04lX", cp);
		add_str(sb, u);
	}
	return 0;
}

/* XML: an attribute's or element's text.  XML 1.0 has no controls. */
static int
esc_xml(struct strbuf *sb, const char *s)
{
	const unsigned char	*p;

	if (has_control(s, ""))
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':	add_str(sb, "&amp;");	break;
		case '<':	add_str(sb, "&lt;");	break;
		case '>':	add_str(sb, "&gt;");	break;
		case '"':	add_str(sb, "&quot;");	break;
		case '\'':	add_str(sb, "&apos;");	break;
		default:	strbuf_add(sb, p, 1);
		}
	}
	return 0;
}

/* "{{name}}": as it is, but for controls (a rendered part has lines). */
static int
esc_none(struct strbuf *sb, const char *s)
{
	if (has_control(s, "\n\t"))
		return -1;
	add_str(sb, s);
	return 0;
}

struct filter {
	const char	*name;		/* NULL: "{{name}}" */
	const char	*format;	/* for messages */
	int		(*write)(struct strbuf *, const char *);
};

static const struct filter filters[] = {
	{ .name = NULL, .format = "text", .write = esc_none },
	{ .name = "yaml", .format = "a YAML quoted scalar", .write = esc_yaml },
	{ .name = "properties", .format = "a Java properties value",
	  .write = esc_properties },
	{ .name = "xml", .format = "XML text", .write = esc_xml },
};

static const struct filter *
filter_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		if (name == NULL ? filters[i].name == NULL :
		    filters[i].name != NULL && strcmp(filters[i].name, name) == 0)
			return &filters[i];
	}
	return NULL;
}

/* Append value escaped by filter to sb; -1 (sb as it was) if it cannot. */
static int
filter_apply(const struct filter *f, struct strbuf *sb, const char *value)
{
	size_t	len = sb->len;

	if (f->write(sb, value) == 0)
		return 0;
	secure_wipe(sb->buf + len, sb->len - len);
	sb->len = len;
	if (sb->buf != NULL)
		sb->buf[len] = '\0';
	return -1;
}

char *
template_escape(const char *filter, const char *value, char **errp)
{
	const struct filter	*f;
	struct strbuf		 sb = { NULL, 0, 0 };

	*errp = NULL;
	if ((f = filter_find(filter)) == NULL) {
		xasprintf(errp, "unknown filter '%s'", filter);
		return NULL;
	}
	strbuf_add(&sb, "", 0);
	if (filter_apply(f, &sb, value) == -1) {
		free(sb.buf);
		xasprintf(errp, "a control character cannot be written as %s",
		    f->format);
		return NULL;
	}
	return sb.buf;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                          */

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
	const struct filter	*f;
	const char	*open, *close, *after;
	char		 name[64], *bar;
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
		if ((bar = strchr(name, '|')) != NULL)
			*bar++ = '\0';
		if (bar != NULL && kind != 0) {
			fail(r, open, "'{{%c%s|%s}}': a section takes no filter",
			    kind, name, bar);
			return end;
		}
		if ((f = filter_find(bar)) == NULL) {
			fail(r, open, "unknown filter '%s'", bar);
			return end;
		}
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
			/* Never the value itself: it may be a secret. */
			if (emit && filter_apply(f, &r->out,
			    tvars_get(r->vars, name)) == -1)
				fail(r, open, "'%s' holds a control character: "
				    "it cannot be written as %s", name,
				    f->format);
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
		secure_wipe(r.out.buf, r.out.len);
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
