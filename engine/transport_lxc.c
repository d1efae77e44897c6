/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The LXC transport: every command is "lxc-attach -n NAME -- argv" run
 * through the transport of the container's host, so a container on a
 * remote server is reached over that server's SSH session.  Files go
 * through run too (transport_put_via_run()), with the bytes on stdin.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "transport.h"

struct lxc_data {
	char			*container;
	struct transport	*host;
};

static int
lxc_open(struct transport *t, char **err)
{
	struct lxc_data	*d = t->data;

	return transport_open(d->host, err);
}

/*
 * --clear-env: the container gets a clean environment, not the host's
 * (which may hold the operator's variables); PATH is set for Debian.
 */
static int
lxc_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct lxc_data	 *d = t->data;
	char		**av;
	size_t		  n, i, k = 0;
	int		  rc;

	for (n = 0; argv[n] != NULL; n++)
		;
	av = xcalloc(n + 10, sizeof *av);
	av[k++] = "lxc-attach";
	av[k++] = "-n";
	av[k++] = d->container;
	av[k++] = "--clear-env";
	av[k++] = "--set-var";
	av[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin";
	av[k++] = "--";
	for (i = 0; i < n; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	rc = d->host->ops->run(d->host, av, in, inlen, out, err);
	free(av);
	return rc;
}

static int
lxc_put(struct transport *t, const char *path, const void *buf, size_t len,
    mode_t mode, const char *owner, const char *group, char **err)
{
	return transport_put_via_run(t, path, buf, len, mode, owner, group,
	    err);
}

static int
lxc_get(struct transport *t, const char *path, char **buf, size_t *len,
    char **err)
{
	return transport_get_via_run(t, path, buf, len, err);
}

static void
lxc_close(struct transport *t)
{
	struct lxc_data	*d = t->data;

	if (d == NULL)
		return;
	free(d->container);
	free(d);
	t->data = NULL;
}

static const struct transport_ops lxc_ops = {
	.name = "lxc",
	.open = lxc_open,
	.run = lxc_run,
	.put = lxc_put,
	.get = lxc_get,
	.close = lxc_close,
};

/* The host transport stays owned by the caller and must outlive this. */
struct transport *
transport_lxc_new(const char *name, const char *container,
    struct transport *host)
{
	struct transport	*t = xcalloc(1, sizeof *t);
	struct lxc_data		*d = xcalloc(1, sizeof *d);

	d->container = xstrdup(container);
	d->host = host;
	t->ops = &lxc_ops;
	t->name = xstrdup(name);
	t->data = d;
	return t;
}
