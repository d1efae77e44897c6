/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Probe output is "key=value" lines; a step compares what it wants with
 * what the probe saw, so a converged re-run costs one round trip.  A
 * probe is a fixed script run as sh -c SCRIPT sh ARGS...: operator input
 * reaches it as positional parameters, never in the script's text.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core.h"
#include "step.h"
#include "step_probe.h"
#include "transport.h"

/* Whether the probe output has exactly this line (a whole line). */
int
step_probe_has(const char *probe, const char *line)
{
	size_t		 len = strlen(line);
	const char	*p = probe;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == probe || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* The first probe line that starts with prefix, or NULL. */
static const char *
probe_line(const char *probe, const char *prefix)
{
	size_t		 len = strlen(prefix);
	const char	*p = probe, *nl;

	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, prefix, len) == 0)
			return p;
	}
	return NULL;
}

/*
 * The rest of the first probe line that starts with prefix (at the start
 * of a line), or NULL.
 */
char *
step_probe_value(const char *probe, const char *prefix)
{
	const char	*p, *v;

	if ((p = probe_line(probe, prefix)) == NULL)
		return NULL;
	v = p + strlen(prefix);
	return xstrndup(v, strcspn(v, "\n"));
}

/*
 * The same two with the line or prefix formatted as printf does, for
 * the lines probes print per item ("pkg=NAME ii ", "up=CONTAINER").
 */
int
step_probe_hasf(const char *probe, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	int	 r;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	r = step_probe_has(probe, line);
	free(line);
	return r;
}

char *
step_probe_valuef(const char *probe, const char *fmt, ...)
{
	va_list	 ap;
	char	*prefix, *v;

	va_start(ap, fmt);
	xvasprintf(&prefix, fmt, ap);
	va_end(ap);
	v = step_probe_value(probe, prefix);
	free(prefix);
	return v;
}

/* Whether a probe line starts with prefix ("key=": any value). */
int
step_probe_has_key(const char *probe, const char *prefix)
{
	return probe_line(probe, prefix) != NULL;
}

/*
 * Whether pkg is not installed, by the probe's dpkg-query line for it
 * ("pkg=NAME ii ": the format every probe asks dpkg-query for).
 */
int
step_probe_pkg_missing(const char *probe, const char *pkg)
{
	int	 missing;

	missing = !step_probe_hasf(probe, "pkg=%s ii ", pkg);
	return missing;
}

/* The sha256 of bytes as sha256sum prints it, to compare file sums. */
void
step_sha256_hex_bytes(const void *p, size_t n, char out[65])
{
	unsigned char	md[32];
	unsigned int	len = sizeof md;
	int		i;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The same for a text. */
void
step_sha256_hex(const char *s, char out[65])
{
	step_sha256_hex_bytes(s, strlen(s), out);
}

/*
 * Whether the probe's "sum=SHA256 NAME" line for NAME (a path, or a label
 * the probe script chose) says the file does not hold content.
 */
int
step_probe_sum_differs(const char *probe, const char *name,
    const char *content)
{
	char	hex[65];
	int	 differs;

	step_sha256_hex(content, hex);
	differs = !step_probe_hasf(probe, "sum=%s %s", hex, name);
	return differs;
}


void
step_args_add(struct step_args *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

void
step_args_free(struct step_args *a)
{
	free(a->v);
	memset(a, 0, sizeof *a);
}

/*
 * Run "sh -c script sh args...", with in on its stdin; its output into
 * *out when out is not NULL (the caller frees it; "" when there was
 * none).  The exit status, or -1 when it could not run.
 */
int
step_probe_runv_in(struct step_ctx *ctx, const void *in, size_t inlen,
    char **out, const char *script, char *const *args)
{
	struct transport_output	 o;
	char			**argv, *err = NULL;
	size_t			 n = 0, k = 0, len = 0;
	int			 rc;

	while (args != NULL && args[n] != NULL)
		n++;
	argv = xcalloc(n + 5, sizeof *argv);
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)script;
	argv[k++] = "sh";
	while (args != NULL && *args != NULL)
		argv[k++] = *args++;
	argv[k] = NULL;
	memset(&o, 0, sizeof o);
	if (out != NULL) {
		*out = NULL;
		o.capture = out;
		o.capture_len = &len;
	}
	rc = transport_run(ctx->t, argv, in, inlen, out != NULL ? &o : NULL,
	    &err);
	free(err);
	free(argv);
	if (out != NULL && *out == NULL)
		*out = xstrdup("");
	return rc < 0 ? -1 : rc;
}

int
step_probe_runv(struct step_ctx *ctx, char **out, const char *script,
    char *const *args)
{
	return step_probe_runv_in(ctx, NULL, 0, out, script, args);
}

/* The same with the arguments listed, NULL-ended. */
int
step_probe_run(struct step_ctx *ctx, char **out, const char *script, ...)
{
	struct step_args	 a = { NULL, 0 };
	va_list			 ap;
	const char		*s;
	int			 rc;

	va_start(ap, script);
	while ((s = va_arg(ap, const char *)) != NULL)
		step_args_add(&a, s);
	va_end(ap);
	rc = step_probe_runv(ctx, out, script, a.v);
	step_args_free(&a);
	return rc;
}
