/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What every transport shares: opening lazily, telling the event stream
 * about each command and its output, splitting output in lines, and put/get
 * built on run for transports with no file channel of their own (LXC).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "events.h"
#include "transport.h"

#define SINK_MAX_LINE	8192	/* longer lines are cut, not buffered */

void
sink_init(struct transport_sink *s, struct transport_output *out)
{
	memset(s, 0, sizeof *s);
	s->out = out;
	if (out->capture != NULL) {
		*out->capture = NULL;
		*out->capture_len = 0;
	}
}

static void
sink_capture(struct transport_sink *s, const char *data, size_t len)
{
	struct transport_output	*o = s->out;

	if (s->captured + len > TRANSPORT_MAX_GET) {
		s->overflow = 1;
		return;
	}
	*o->capture = xreallocarray(*o->capture, 1, s->captured + len + 1);
	memcpy(*o->capture + s->captured, data, len);
	s->captured += len;
	(*o->capture)[s->captured] = '\0';
	*o->capture_len = s->captured;
}

static void
sink_line(struct transport_sink *s, int stream, const char *line,
    size_t len)
{
	char	*l;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	l = xstrndup(line, len);
	if (s->out->line != NULL)
		s->out->line(s->out->arg, stream, l);
	free(l);
}

void
sink_feed(struct transport_sink *s, int stream, const char *data,
    size_t len)
{
	const char	*nl;
	size_t		 n;

	if (stream != 1 && stream != 2)
		stream = 2;
	if (stream == 1 && s->out->capture != NULL) {
		sink_capture(s, data, len);
		return;
	}
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (s->partlen[stream] + n > SINK_MAX_LINE)
			n = SINK_MAX_LINE - s->partlen[stream];
		s->part[stream] = xreallocarray(s->part[stream], 1,
		    s->partlen[stream] + n + 1);
		memcpy(s->part[stream] + s->partlen[stream], data, n);
		s->partlen[stream] += n;
		if (nl != NULL || s->partlen[stream] == SINK_MAX_LINE) {
			sink_line(s, stream, s->part[stream],
			    s->partlen[stream]);
			s->partlen[stream] = 0;
			if (nl != NULL && (size_t)(nl - data) == n)
				n++;
		}
		data += n;
		len -= n;
	}
}

void
sink_finish(struct transport_sink *s)
{
	int	i;

	for (i = 1; i <= 2; i++) {
		if (s->partlen[i] > 0)
			sink_line(s, i, s->part[i], s->partlen[i]);
		free(s->part[i]);
		s->part[i] = NULL;
		s->partlen[i] = 0;
	}
}

/*
 * Quote an argv for a POSIX shell, each word in single quotes with every
 * ' written as '\''.  Used only where a protocol takes one string (SSH
 * exec); the words themselves are never interpreted.
 */
char *
transport_quote_argv(char *const *argv)
{
	size_t		 len = 1, i;
	const char	*p;
	char		*out, *o;

	for (i = 0; argv[i] != NULL; i++) {
		len += 3;
		for (p = argv[i]; *p != '\0'; p++)
			len += *p == '\'' ? 4 : 1;
	}
	o = out = xmalloc(len);
	for (i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '\'';
		for (p = argv[i]; *p != '\0'; p++) {
			if (*p == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else
				*o++ = *p;
		}
		*o++ = '\'';
	}
	*o = '\0';
	return out;
}

/* For reading in logs only: words with spaces or quotes are quoted. */
char *
transport_argv_string(char *const *argv)
{
	char	*out = xstrdup(""), *n, *q;
	size_t	 i;

	for (i = 0; argv[i] != NULL; i++) {
		if (argv[i][0] == '\0' ||
		    strpbrk(argv[i], " \t\n'\"\\$`;&|<>*?") != NULL) {
			q = transport_quote_argv((char *const []){ argv[i],
			    NULL });
			xasprintf(&n, "%s%s%s", out, i ? " " : "", q);
			free(q);
		} else
			xasprintf(&n, "%s%s%s", out, i ? " " : "", argv[i]);
		free(out);
		out = n;
	}
	return out;
}

int
transport_open(struct transport *t, char **err)
{
	if (t->opened)
		return 0;
	if (t->ops->open != NULL && t->ops->open(t, err) != 0)
		return TRANSPORT_ERR_UNREACHABLE;
	t->opened = 1;
	return 0;
}

static void
default_line(void *arg, int stream, const char *line)
{
	events_output(stream, line);
}

int
transport_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct transport_output	 o = { default_line, NULL, NULL, NULL };
	char			*cmd;
	int			 rc;

	*err = NULL;
	if ((rc = transport_open(t, err)) != 0)
		return rc;
	if (out != NULL) {
		o.capture = out->capture;
		o.capture_len = out->capture_len;
		if (out->line != NULL) {
			o.line = out->line;
			o.arg = out->arg;
		}
	}
	cmd = transport_argv_string(argv);
	events_command(cmd);
	free(cmd);
	rc = t->ops->run(t, argv, in, inlen, &o, err);
	if (rc == -1 || rc == TRANSPORT_ERR_UNREACHABLE)
		events_output(2, *err != NULL ? *err : "cannot run");
	return rc;
}

/* Run and collect stdout; the exit status, or -1 with *err. */
int
transport_capture(struct transport *t, char *const *argv, char **outbuf,
    char **err)
{
	size_t			 len;
	struct transport_output	 o = { NULL, NULL, outbuf, &len };
	int			 rc;

	*outbuf = NULL;
	rc = transport_run(t, argv, NULL, 0, &o, err);
	if (*outbuf == NULL)
		*outbuf = xstrdup("");
	return rc;
}

int
transport_put(struct transport *t, const char *path, const void *buf,
    size_t len, mode_t mode, const char *owner, const char *group, char **err)
{
	int	rc;

	*err = NULL;
	if ((rc = transport_open(t, err)) != 0)
		return -1;
	events_command(path);
	return t->ops->put(t, path, buf, len, mode, owner, group, err);
}

int
transport_get(struct transport *t, const char *path, char **buf,
    size_t *len, char **err)
{
	*err = NULL;
	*buf = NULL;
	*len = 0;
	if (transport_open(t, err) != 0)
		return -1;
	return t->ops->get(t, path, buf, len, err);
}

void
transport_free(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->ops->close != NULL)
		t->ops->close(t);
	free(t->name);
	free(t);
}

/*
 * put over run: a fixed script, the path and options as its positional
 * parameters and the bytes on stdin.  The temp file is made 0600 before a
 * byte is written, so a secret is never readable by others.
 */
const char transport_put_script[] =
    "set -eu\n"
    "p=$1 mode=$2 owner=$3 group=$4\n"
    "d=$(dirname -- \"$p\")\n"
    "mkdir -p -- \"$d\"\n"
    "t=$(umask 077; mktemp -- \"$d/.d2s-put.XXXXXXXX\")\n"
    "trap 'rm -f -- \"$t\"' EXIT\n"
    "cat > \"$t\"\n"
    "chown -- \"$owner:$group\" \"$t\"\n"
    "chmod -- \"$mode\" \"$t\"\n"
    "if [ -e \"$p\" ]; then\n"
    "  rm -f -- \"$p.prev\"\n"
    "  ln -- \"$p\" \"$p.prev\" 2>/dev/null || cp -p -- \"$p\" \"$p.prev\"\n"
    "fi\n"
    "mv -f -- \"$t\" \"$p\"\n"
    "trap - EXIT\n";

int
transport_put_via_run(struct transport *t, const char *path,
    const void *buf, size_t len, mode_t mode, const char *owner,
    const char *group, char **err)
{
	char	 modes[16];
	char	*argv[] = { "sh", "-c", (char *)transport_put_script, "sh",
	    (char *)path, modes, (char *)(owner != NULL ? owner : "root"),
	    (char *)(group != NULL ? group : "root"), NULL };
	int	 rc;

	snprintf(modes, sizeof modes, "%04o", (unsigned)mode & 07777);
	rc = t->ops->run(t, argv, buf, len,
	    &(struct transport_output){ default_line, NULL, NULL, NULL }, err);
	if (rc == 0)
		return 0;
	if (rc > 0)
		xasprintf(err, "writing %s failed (exit %d)", path, rc);
	return -1;
}

/* get over run: exit 44 says "no such file" apart from other failures. */
int
transport_get_via_run(struct transport *t, const char *path, char **buf,
    size_t *len, char **err)
{
	char			*argv[] = { "sh", "-c",
	    "[ -e \"$1\" ] || exit 44; exec cat -- \"$1\"", "sh", (char *)path,
	    NULL };
	struct transport_output	 o = { default_line, NULL, buf, len };
	int			 rc;

	rc = t->ops->run(t, argv, NULL, 0, &o, err);
	if (rc == 0) {
		if (*buf == NULL)
			*buf = xstrdup("");
		return 0;
	}
	free(*buf);
	*buf = NULL;
	*len = 0;
	if (rc == 44)
		return 1;
	if (rc > 0)
		xasprintf(err, "reading %s failed (exit %d)", path, rc);
	return -1;
}
