/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The secrets file: loading (with its mode checked), env:/file:
 * references, what a profile needs, and generation from getrandom().
 * Values are wiped before they are freed.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "core.h"
#include "profile.h"
#include "secrets.h"
#include "yamltree.h"

#define SECRETS_MAX_BYTES	(64 * 1024)
#define SECRET_MAX_LEN		4096

void
secrets_init(struct secrets *s)
{
	memset(s, 0, sizeof *s);
}

static void
wipe_string(char *v)
{
	if (v != NULL) {
		secure_wipe(v, strlen(v));
		free(v);
	}
}

void
secrets_free(struct secrets *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		wipe_string(s->v[i].value);
	}
	free(s->v);
	free(s->vals);
	free(s->path);
	secrets_init(s);
}

const char *
secrets_get(const struct secrets *s, const char *name)
{
	size_t	i;

	for (i = 0; s != NULL && i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0)
			return s->v[i].value;
	}
	return NULL;
}

static void
secrets_set(struct secrets *s, const char *name, char *value, int line,
    int col)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0) {
			wipe_string(s->v[i].value);
			s->v[i].value = value;
			return;
		}
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n].name = xstrdup(name);
	s->v[s->n].value = value;
	s->v[s->n].line = line;
	s->v[s->n].col = col;
	s->n++;
}

/* The folder of a file of secrets: others must not be able to write it. */
static int
check_folder(const char *path, char **why)
{
	struct stat	 dst;
	char		*dir = path_dirname(path);
	int		 rc = -1;

	if (stat(dir, &dst) == -1)
		xasprintf(why, "%s: %s", dir, strerror(errno));
	else if (dst.st_mode & (S_IWGRP | S_IWOTH))
		xasprintf(why, "%s is in %s, which group or others can write "
		    "(mode %03o): keep secrets in a folder only you can write "
		    "(chmod go-w %s)", path, dir, (unsigned)(dst.st_mode & 0777),
		    dir);
	else
		rc = 0;
	free(dir);
	return rc;
}

/*
 * Open a file of secrets (the secrets file or a file: reference) once,
 * without following a symbolic link nor waiting on a FIFO, and check
 * what was opened: a regular file, owned by the user running us (or
 * root), that no group or other can read or write, in a folder that no
 * group or other can write (or they could put their own file in its
 * place).  Whoever owns or can write it chooses every password.  The
 * descriptor, or -1 with *why set; -1 with errno ENOENT and no *why when
 * it does not exist.
 */
static int
open_private(const char *path, char **why)
{
	struct stat	 st;
	int		 fd, saved;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		saved = errno;
		if (saved == ELOOP)
			xasprintf(why, "%s is a symbolic link: name the file "
			    "itself", path);
		else if (saved != ENOENT)
			xasprintf(why, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1)
		xasprintf(why, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		xasprintf(why, "%s is not a regular file", path);
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		xasprintf(why, "%s belongs to uid %u, not to you (uid %u) nor "
		    "root: whoever owns it chooses the passwords; run chown "
		    "%u %s", path, (unsigned)st.st_uid, (unsigned)geteuid(),
		    (unsigned)geteuid(), path);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		xasprintf(why, "%s can be read or written by group or others "
		    "(mode %03o): run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 0777), path);
	if (*why == NULL)
		(void)check_folder(path, why);
	if (*why != NULL) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Read a whole file that open_private() accepts; -1 with *why set. */
static int
read_private(const char *path, size_t max, char **buf, size_t *len,
    char **why)
{
	int	fd, saved;

	if ((fd = open_private(path, why)) == -1)
		return -1;
	if (read_fd_limited(fd, max, buf, len) == -1) {
		saved = errno;
		xasprintf(why, "%s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * env: values are taken out of the environment when they are read, so
 * that no child (runuser -u postgres, apt, ...) inherits them and no
 * /proc/PID/environ shows them: the variable is unset and the bytes of
 * its value wiped.  A later load in this process finds them here.
 */
static struct {
	char	*name;
	char	*value;
} *env_taken;
static size_t	 nenv_taken;

static const char *
env_take(const char *name)
{
	char	*v;
	size_t	 i;

	for (i = 0; i < nenv_taken; i++) {
		if (strcmp(env_taken[i].name, name) == 0)
			return env_taken[i].value;
	}
	if ((v = getenv(name)) == NULL || *v == '\0')
		return NULL;
	env_taken = xreallocarray(env_taken, nenv_taken + 1,
	    sizeof *env_taken);
	env_taken[nenv_taken].name = xstrdup(name);
	env_taken[nenv_taken].value = xstrdup(v);
	secure_wipe(v, strlen(v));	/* the initial environment's copy */
	unsetenv(name);
	return env_taken[nenv_taken++].value;
}

/* Resolve "env:NAME", "file:PATH" or a literal into a fresh string. */
static char *
resolve_value(const char *v, const char *dir, char **why)
{
	char		*path, *buf;
	const char	*env;
	size_t		 len;

	if (strncmp(v, "env:", 4) == 0) {
		if ((env = env_take(v + 4)) == NULL) {
			xasprintf(why, "environment variable %s is not set",
			    v + 4);
			return NULL;
		}
		return xstrdup(env);
	}
	if (strncmp(v, "file:", 5) != 0)
		return xstrdup(v);
	path = path_join(dir, v + 5);
	if (read_private(path, SECRET_MAX_LEN, &buf, &len, why) == -1) {
		if (*why == NULL)
			xasprintf(why, "%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	free(path);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

static int
load_entries(struct secrets *s, const char *path, const struct ynode *root,
    struct diag *diag)
{
	char		*dir = path_dirname(path), *value, *why;
	struct pos	 at;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < root->n; i++) {
		const struct ynode *k = root->keys[i], *v = root->items[i];

		at.line = v->line;
		at.col = v->col;
		if (v->type != YNODE_SCALAR || v->value[0] == '\0') {
			diag_add(diag, path, at, "secret '%s' must be a "
			    "non-empty value", k->value);
			bad++;
			continue;
		}
		why = NULL;
		if ((value = resolve_value(v->value, dir, &why)) == NULL) {
			diag_add(diag, path, at, "secret '%s': %s", k->value,
			    why);
			free(why);
			bad++;
			continue;
		}
		/* dhis.conf escapes them, but no password holds one. */
		if (text_control_char(value) != NULL) {
			diag_add(diag, path, at, "secret '%s' holds a control "
			    "character (a newline?): no secret takes one",
			    k->value);
			wipe_string(value);
			bad++;
			continue;
		}
		secrets_set(s, k->value, value, v->line, v->col);
	}
	free(dir);
	return bad ? -1 : 0;
}

int
secrets_load(struct secrets *s, const char *path, struct diag *diag)
{
	struct ynode	*root;
	struct pos	 top = { 0, 0 };
	char		*buf, *why = NULL;
	size_t		 len;
	int		 rc;

	s->path = xstrdup(path);
	if (read_private(path, SECRETS_MAX_BYTES, &buf, &len, &why) == -1) {
		if (why == NULL)
			return -1;	/* ENOENT is the caller's to judge */
		rc = errno;
		diag_add(diag, path, top, "refusing the secrets file: %s", why);
		free(why);
		errno = rc == EPERM ? EPERM : EINVAL;
		return -1;
	}
	root = ytree_parse(path, buf, len, diag);
	secure_wipe(buf, len);
	free(buf);
	if (root == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (root->type != YNODE_MAP) {
		top.line = root->line;
		top.col = root->col;
		diag_add(diag, path, top, "the secrets file must be a mapping "
		    "of name: value");
		rc = -1;
	} else
		rc = load_entries(s, path, root, diag);
	/* The tree held secret values too. */
	for (size_t i = 0; i < root->n; i++) {
		if (root->items[i]->value != NULL)
			secure_wipe(root->items[i]->value,
			    strlen(root->items[i]->value));
	}
	ytree_free(root);
	if (rc == -1)
		errno = EINVAL;
	return rc;
}

int
secrets_no_core_dumps(void)
{
	struct rlimit	rl = { .rlim_cur = 0, .rlim_max = 0 };
	int		rc = 0;

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		rc = -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		rc = -1;
	return rc;
}

/* Appends "prefix.suffix", or "suffix" alone when prefix is NULL. */
static void
add_name(char ***names, size_t *n, const char *prefix, const char *suffix)
{
	*names = xreallocarray(*names, *n + 1, sizeof **names);
	if (prefix != NULL)
		xasprintf(&(*names)[*n], "%s.%s", prefix, suffix);
	else
		(*names)[*n] = xstrdup(suffix);
	(*n)++;
}

size_t
profile_required_secrets(const struct profile *p, char ***out)
{
	char	**names = NULL;
	size_t	  n = 0, i;

	if (p->hosting == HOSTING_SAAS) {
		*out = NULL;
		return 0;
	}
	for (i = 0; i < p->ninstances; i++) {
		add_name(&names, &n, p->instances[i].name,
		    SECRET_DB_PASSWORD);
		add_name(&names, &n, p->instances[i].name, SECRET_ENCRYPTION);
	}
	if (p->redis) {
		add_name(&names, &n, NULL, SECRET_REDIS);
		add_name(&names, &n, NULL, SECRET_REDIS_ADMIN);
	}
	if (p->database.replicas > 0)
		add_name(&names, &n, NULL, SECRET_REPLICATION);
	if (p->monitoring == MONITORING_PROMETHEUS)
		add_name(&names, &n, NULL, SECRET_MONITORING);
	if (p->alerting.telegram)
		add_name(&names, &n, NULL, SECRET_TELEGRAM);
	if (p->alerting.slack)
		add_name(&names, &n, NULL, SECRET_SLACK);
	*out = names;
	return n;
}

static void
free_names(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

char *
profile_secrets_path(const struct profile *p)
{
	char		*dir, *path, *base;
	const char	*slash, *dot;

	dir = path_dirname(p->path != NULL ? p->path : "profile.yaml");
	if (p->secrets_file != NULL) {
		path = path_join(dir, p->secrets_file);
		free(dir);
		return path;
	}
	slash = p->path != NULL ? strrchr(p->path, '/') : NULL;
	base = xstrdup(slash ? slash + 1 : (p->path ? p->path :
	    "profile.yaml"));
	if ((dot = strrchr(base, '.')) != NULL &&
	    (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0))
		base[dot - base] = '\0';
	xasprintf(&path, "%s/%s.secrets.yaml", dir, base);
	free(base);
	free(dir);
	return path;
}

static int
is_generatable(const char *name)
{
	/* Tokens and webhooks come from Telegram and Slack, not from us. */
	return strcmp(name, SECRET_TELEGRAM) != 0 &&
	    strcmp(name, SECRET_SLACK) != 0;
}

int
secrets_check(const struct profile *p, const struct secrets *s,
    struct diag *diag)
{
	struct pos	 top = { 0, 0 };
	char		**names;
	const char	*v;
	size_t		 n, i;
	int		 bad = 0;

	n = profile_required_secrets(p, &names);
	for (i = 0; i < n; i++) {
		if ((v = secrets_get(s, names[i])) == NULL) {
			diag_add(diag, s->path, top, "secret '%s' is missing: "
			    "%s", names[i], is_generatable(names[i]) ?
			    "run dhis2-setup secrets generate PROFILE" :
			    "add it to the secrets file (it comes from the "
			    "service's own settings)");
			bad++;
		} else if (strstr(names[i], SECRET_ENCRYPTION) != NULL &&
		    strlen(v) < SECRET_MIN_ENCRYPTION) {
			diag_add(diag, s->path, top, "secret '%s' is %zu "
			    "characters; DHIS2 needs at least %d", names[i],
			    strlen(v), SECRET_MIN_ENCRYPTION);
			bad++;
		}
	}
	free_names(names, n);
	return bad ? -1 : 0;
}

/* Unbiased characters from [A-Za-z0-9]: rejection sampling of bytes. */
char *
secret_random(size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char	 pool[64];
	char		*out = xmalloc(len + 1);
	size_t		 have = 0, i;
	ssize_t		 n;

	while (have < len) {
		n = getrandom(pool, sizeof pool, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatalx("getrandom failed: %s", strerror(errno));
		for (i = 0; i < (size_t)n && have < len; i++) {
			if (pool[i] < 248)	/* 248 = 4 * 62 */
				out[have++] = alphabet[pool[i] % 62];
		}
	}
	out[len] = '\0';
	secure_wipe(pool, sizeof pool);
	return out;
}

/*
 * Write name: value lines through libyaml so that quoting is right.  The
 * references (env:, file:) the operator wrote are kept as written: only
 * the lines we generate are new.
 */
static int
write_secrets(const char *path, char **names, char **values, size_t n)
{
	yaml_emitter_t	 em;
	yaml_event_t	 ev;
	struct strbuf	 out;
	size_t		 i;
	int		 ok = 1, rc;

	/* Room for any sane file up front, so that no realloc leaves a
	 * copy of a secret behind in freed memory. */
	out.cap = SECRETS_MAX_BYTES;
	out.len = 0;
	out.buf = xmalloc(out.cap);

	if (!yaml_emitter_initialize(&em))
		fatalx("out of memory initialising the YAML emitter");
	yaml_emitter_set_output(&em, yaml_strbuf_writer, &out);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok &= yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok &= yaml_emitter_emit(&em, &ev);
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE);
	ok &= yaml_emitter_emit(&em, &ev);
	for (i = 0; i < n && ok; i++) {
		yaml_scalar_event_initialize(&ev, NULL, NULL,
		    (yaml_char_t *)names[i], strlen(names[i]), 1, 1,
		    YAML_ANY_SCALAR_STYLE);
		ok &= yaml_emitter_emit(&em, &ev);
		yaml_scalar_event_initialize(&ev, NULL, NULL,
		    (yaml_char_t *)values[i], strlen(values[i]), 1, 1,
		    YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		ok &= yaml_emitter_emit(&em, &ev);
	}
	yaml_mapping_end_event_initialize(&ev);
	ok &= yaml_emitter_emit(&em, &ev);
	yaml_document_end_event_initialize(&ev, 1);
	ok &= yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok &= yaml_emitter_emit(&em, &ev);
	yaml_emitter_delete(&em);
	rc = ok ? write_file_atomic(path, out.buf, out.len, 0600) : -1;
	secure_wipe(out.buf, out.cap);
	free(out.buf);
	return rc;
}

/* The raw values as written in the file, references unresolved. */
static int
load_raw(const char *path, char ***names, char ***values, size_t *n,
    struct diag *diag)
{
	struct ynode	*root;
	char		*buf, *why = NULL;
	size_t		 len, i;
	struct pos	 top = { 0, 0 };

	*names = *values = NULL;
	*n = 0;
	if (read_private(path, SECRETS_MAX_BYTES, &buf, &len, &why) == -1) {
		/* None yet: the new one's folder must be private. */
		if (why == NULL && check_folder(path, &why) == 0)
			return 0;
		diag_add(diag, path, top, "refusing the secrets file: %s",
		    why);
		free(why);
		return -1;
	}
	root = ytree_parse(path, buf, len, diag);
	secure_wipe(buf, len);
	free(buf);
	if (root == NULL)
		return -1;
	if (root->type != YNODE_MAP) {
		diag_add(diag, path, top, "the secrets file must be a mapping "
		    "of name: value");
		ytree_free(root);
		return -1;
	}
	*names = xcalloc(root->n + 1, sizeof **names);
	*values = xcalloc(root->n + 1, sizeof **values);
	for (i = 0; i < root->n; i++) {
		if (root->items[i]->type != YNODE_SCALAR)
			continue;
		(*names)[*n] = xstrdup(root->keys[i]->value);
		(*values)[*n] = xstrdup(root->items[i]->value);
		secure_wipe(root->items[i]->value,
		    strlen(root->items[i]->value));
		(*n)++;
	}
	ytree_free(root);
	return 0;
}

int
secrets_generate(const struct profile *p, const char *path, int *added,
    struct diag *diag)
{
	struct secrets	 check;
	char		**names, **rnames, **rvalues;
	size_t		 n, rn, i, j;
	struct pos	 top = { 0, 0 };
	int		 rc = -1, found;

	*added = 0;
	if (load_raw(path, &rnames, &rvalues, &rn, diag) == -1)
		return -1;
	n = profile_required_secrets(p, &names);
	for (i = 0; i < n; i++) {
		for (found = 0, j = 0; j < rn && !found; j++)
			found = strcmp(rnames[j], names[i]) == 0;
		if (found || !is_generatable(names[i]))
			continue;
		rnames = xreallocarray(rnames, rn + 1, sizeof *rnames);
		rvalues = xreallocarray(rvalues, rn + 1, sizeof *rvalues);
		rnames[rn] = xstrdup(names[i]);
		rvalues[rn] = secret_random(SECRET_GENERATED_LEN);
		rn++;
		(*added)++;
	}
	if (*added == 0 && access(path, F_OK) == 0)
		rc = 0;
	else if (write_secrets(path, rnames, rvalues, rn) == -1)
		diag_add(diag, path, top, "cannot write: %s", strerror(errno));
	else
		rc = 0;
	for (i = 0; i < rn; i++) {
		free(rnames[i]);
		wipe_string(rvalues[i]);
	}
	free(rnames);
	free(rvalues);
	free_names(names, n);
	if (rc == 0) {
		/* Prove the written file loads back. */
		secrets_init(&check);
		if (secrets_load(&check, path, diag) == -1 && errno != ENOENT)
			rc = -1;
		secrets_free(&check);
	}
	return rc;
}

size_t
secrets_values(const struct secrets *s, const char ***out)
{
	struct secrets	*w = (struct secrets *)s;	/* a cache only */
	size_t		 i;

	w->vals = xreallocarray(w->vals, s->n + 1, sizeof *w->vals);
	for (i = 0; i < s->n; i++)
		w->vals[i] = s->v[i].value;
	w->vals[s->n] = NULL;
	*out = w->vals;
	return s->n;
}
