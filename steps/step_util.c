/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Helpers every step uses: results with messages, "would change" reports,
 * running commands and comparing files on the machine.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"
#include "step.h"
#include "step_probe.h"
#include "template.h"
#include "transport.h"

#define DIFF_MAX_LINES	20	/* a plan shows the start of a long diff */

const struct facts *
step_facts(struct step_ctx *ctx)
{
	return ctx->facts;
}

static char *
vfmt(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	return s;
}

void
step_msg(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	free(ctx->msg);
	va_start(ap, fmt);
	ctx->msg = vfmt(fmt, ap);
	va_end(ap);
}

enum result
step_fail(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	free(ctx->msg);
	va_start(ap, fmt);
	ctx->msg = vfmt(fmt, ap);
	va_end(ap);
	return RESULT_FAILED;
}

/* step_fail() for a helper of the int dialect: the message, then -1. */
int
step_err(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	free(ctx->msg);
	va_start(ap, fmt);
	ctx->msg = vfmt(fmt, ap);
	va_end(ap);
	return -1;
}

void
step_would(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	ctx->changes++;
	events_change("%s", s);
	free(s);
}

void
step_note(struct step_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	ctx->notes++;
	events_note("%s", s);
	free(s);
}

/* The exit status; -1 when it could not run (the reason is logged). */
int
step_run(struct step_ctx *ctx, char *const *argv, const void *in,
    size_t inlen)
{
	char	*err = NULL;
	int	 rc;

	rc = transport_run(ctx->t, argv, in, inlen, NULL, &err);
	free(err);
	return rc < 0 ? -1 : rc;
}

int
step_capture(struct step_ctx *ctx, char *const *argv, char **out)
{
	char	*err = NULL;
	int	 rc;

	rc = transport_capture(ctx->t, argv, out, &err);
	free(err);
	return rc < 0 ? -1 : rc;
}

static int
has_line(const char *text, const char *line, size_t len)
{
	const char	*p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if ((size_t)((nl != NULL ? nl : p + strlen(p)) - p) == len &&
		    strncmp(p, line, len) == 0)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/*
 * How much of a line a diff may show: a line that names a password, a
 * token or a key shows up to its separator ('=', ':' or the first blank
 * after the name), a URL's user:password@ loses the password.  A file the
 * tool did not mark secret may still hold secrets it does not know of
 * (an exporter's DATA_SOURCE_NAME, an SMTP password someone added).
 */
static const char *const diff_secret_words[] = {
	"password", "passwd", "passphrase", "secret", "token", "api_key",
	"apikey", "private_key", "data_source", "requirepass", "masterauth",
	"credential", "webhook", "auth_pass", NULL
};

static char *
diff_line(const char *p, size_t len)
{
	char		*l = xstrndup(p, len), *low = xstrndup(p, len), *c, *at;
	size_t		 i, cut = len;

	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	for (i = 0; diff_secret_words[i] != NULL && cut == len; i++) {
		if ((c = strstr(low, diff_secret_words[i])) == NULL)
			continue;
		c += strcspn(c, "=: \t");
		cut = c - low + (*c != '\0');
	}
	/* scheme://user:password@host */
	if (cut == len && (c = strstr(l, "://")) != NULL &&
	    (at = strchr(c + 3, '@')) != NULL &&
	    (c = memchr(c + 3, ':', at - c - 3)) != NULL &&
	    strcspn(c, " \t/") > (size_t)(at - c))
		cut = c + 1 - l;
	if (cut < len) {
		l[cut] = '\0';
		xasprintf(&c, "%s********", l);
		free(l);
		l = c;
	}
	free(low);
	return l;
}

static void
diff_side(char **out, int *n, int max, const char *from, const char *other,
    char sign)
{
	const char	*p = from, *nl;
	size_t		 len;
	char		*s, *l;

	while (*p != '\0' && *n < max) {
		nl = strchr(p, '\n');
		len = (nl != NULL ? nl : p + strlen(p)) - p;
		if (!has_line(other, p, len)) {
			l = diff_line(p, len);
			xasprintf(&s, "%s%c%s\n", *out, sign, l);
			free(l);
			free(*out);
			*out = s;
			(*n)++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * A short diff for a plan: lines only in the old file (-) then lines only
 * in the new one (+).  Not a minimal edit script, but it shows what a
 * config change is about, which is what an operator reads a plan for.
 */
char *
step_diff(const char *old, const char *new, int max)
{
	char	*out = xstrdup("");
	int	 n = 0;

	if ((strstr(old, "PRIVATE KEY-----") != NULL ||
	    strstr(new, "PRIVATE KEY-----") != NULL)) {
		free(out);
		return xstrdup(" (a private key: not shown)\n");
	}
	diff_side(&out, &n, max, old, new, '-');
	diff_side(&out, &n, max, new, old, '+');
	return out;
}

/*
 * 0 when path holds exactly content; 1 when it differs or is missing, and
 * then, when report, each difference is reported with step_would(); -1
 * when it cannot be read.  Owner and mode are set whenever the file is
 * written (step_put); comparing them too would cost a round trip per file.
 */
int
step_file_differs(struct step_ctx *ctx, const char *path,
    const char *content, size_t len, mode_t mode, int report)
{
	char	*buf, *err, *d, *line, *next;
	size_t	 blen;
	int	 rc;

	rc = transport_get(ctx->t, path, &buf, &blen, &err);
	if (rc == -1) {
		step_note(ctx, "cannot read %s: %s", path, err);
		free(err);
		return -1;
	}
	if (rc == 1) {
		if (report)
			step_would(ctx, "create %s (mode %04o)", path,
			    (unsigned)mode);
		return 1;
	}
	if (blen == len && memcmp(buf, content, len) == 0) {
		free(buf);
		return 0;
	}
	if (report) {
		step_would(ctx, "change %s:", path);
		d = step_diff(buf, content, DIFF_MAX_LINES);
		for (line = d; line != NULL && *line != '\0'; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			events_change("    %s", line);
		}
		free(d);
	}
	free(buf);
	return 1;
}

int
step_put(struct step_ctx *ctx, const char *path, const char *content,
    size_t len, mode_t mode, const char *owner, const char *group)
{
	char	*err = NULL;

	if (transport_put(ctx->t, path, content, len, mode, owner, group,
	    &err) == -1) {
		step_fail(ctx, "%s", err != NULL ? err : "write failed");
		free(err);
		return -1;
	}
	if ((mode & 0007) == 0) {
		ctx->private_puts = xreallocarray(ctx->private_puts,
		    ctx->nprivate_puts + 1, sizeof *ctx->private_puts);
		ctx->private_puts[ctx->nprivate_puts++] = xstrdup(path);
	}
	return 0;
}

/*
 * Put back the FILE.prev that step_put() kept of a file it replaced, or
 * remove FILE when there was none: the configuration that worked stays.
 */
void
step_roll_back(struct step_ctx *ctx, const char *file)
{
	static const char script[] =
	    "if [ -f \"$1.prev\" ]; then mv -f \"$1.prev\" \"$1\"; "
	    "else rm -f \"$1\"; fi\n";

	step_probe_run(ctx, NULL, script, file, NULL);
}

/*
 * step_put() a configuration file, owned by root, then have its program
 * check it (check: an argv naming the file); put the previous one back
 * when tool refuses it.  -1 after step_fail.
 */
int
step_put_checked(struct step_ctx *ctx, const char *file, const char *text,
    mode_t mode, const char *group, char *const *check, const char *tool)
{
	if (step_put(ctx, file, text, strlen(text), mode, "root", group) == -1)
		return -1;
	if (step_run(ctx, check, NULL, 0) != 0) {
		step_roll_back(ctx, file);
		step_fail(ctx, "%s refused the new %s (see the log); the "
		    "previous one was put back", tool, file);
		return -1;
	}
	return 0;
}

/*
 * The value of KEY in the text of a Java properties file such as
 * dhis.conf ("key = value", blanks around '=' allowed); NULL when absent.
 */
char *
step_conf_value(const char *conf, const char *key)
{
	const char	*p = conf, *eol, *v;
	size_t		 klen = strlen(key);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		eol = strchr(p, '\n');
		if (strncmp(p, key, klen) == 0) {
			v = p + klen;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				return xstrndup(v, eol ? (size_t)(eol - v) :
				    strlen(v));
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/*
 * Template NAME (assets/templates/) rendered with V, which is freed, and
 * wiped first when SECRET (its values held secrets).  NULL after
 * step_fail() when the template is missing or wrong.
 */
char *
step_render(struct step_ctx *ctx, const char *name, struct tvars *v,
    int secret)
{
	char	*out, *err = NULL;

	out = template_render_file(name, v, &err);
	if (secret)
		tvars_wipe_free(v);
	else
		tvars_free(v);
	if (out == NULL) {
		step_fail(ctx, "%s", err);
		free(err);
	}
	return out;
}

/* Restart UNIT, then enable it for boot: 0, or -1 when either fails. */
int
step_restart_enable(struct step_ctx *ctx, const char *unit)
{
	if (step_run(ctx, (char *[]){ "systemctl", "restart", (char *)unit,
	    NULL }, NULL, 0) != 0)
		return -1;
	return step_run(ctx, (char *[]){ "systemctl", "enable", "--quiet",
	    (char *)unit, NULL }, NULL, 0) == 0 ? 0 : -1;
}
