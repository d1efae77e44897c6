/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * libFuzzer target for the secrets parser: any bytes, written as a 0600
 * secrets file in a private folder, either load (every value resolved:
 * literals, env: and file: references) or give diagnostics, and never
 * crash, leak or loop.  A file: reference may name the one file the
 * folder holds besides; an env: reference the one variable set here.
 * Built and run by `make fuzz`.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "profile.h"
#include "secrets.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*dir, *path, *key;

static void
cleanup(void)
{
	unlink(path);
	unlink(key);
	rmdir(dir);
}

/* Without write_file_atomic()'s fsync: thousands of runs a second. */
static void
put(const char *p, const void *data, size_t size)
{
	int	fd;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		fatalx("cannot write %s", p);
	close(fd);
}

static void
setup(void)
{

	xasprintf(&dir, "%s/d2s-fuzz-XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		fatalx("mkdtemp %s failed", dir);
	xasprintf(&path, "%s/fuzz.secrets.yaml", dir);
	xasprintf(&key, "%s/key.txt", dir);
	put(key, "from-a-file\n", 12);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secrets	 s;
	struct diag	 d;
	const char	**vals;
	size_t		 n, i;

	if (dir == NULL)
		setup();
	/* Taken out of the environment by each load that names it. */
	setenv("D2S_FUZZ", "from-the-environment", 1);
	put(path, data, size);
	diag_init(&d);
	secrets_init(&s);
	if (secrets_load(&s, path, &d) == 0) {
		n = secrets_values(&s, &vals);
		for (i = 0; i < n; i++) {
			if (vals[i] == NULL || secrets_get(&s,
			    s.v[i].name) == NULL)
				abort();	/* a loaded name has a value */
		}
	} else if (d.n == 0)
		abort();		/* a refusal says why */
	secrets_free(&s);
	diag_free(&d);
	return 0;
}
