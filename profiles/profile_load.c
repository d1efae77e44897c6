/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Loads a profile from YAML into struct profile.  Every key is checked
 * against the schema (schema.c; an unknown one gets a "did you mean"),
 * every value for its type, range and format, and every message carries
 * file:line:col.  Cross-field rules are in profile_check.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "schema.h"
#include "yamltree.h"

struct loader {
	const char	*file;
	struct diag	*diag;
	struct profile	*p;
};

/* Keys that name a secret: they belong in the secrets file. */
static const char *secret_words[] = {
	"password", "passwd", "secret", "token", "webhook", "apikey", "api_key",
	NULL
};

static struct pos
pos_of(const struct ynode *n)
{
	struct pos	p = { n->line, n->col };

	return p;
}

#define ERR(l, n, ...)	diag_add((l)->diag, (l)->file, pos_of(n), __VA_ARGS__)

static const char *
type_name(const struct ynode *n)
{
	switch (n->type) {
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SEQ:
		return "a list";
	default:
		return "a value";
	}
}

static int
expect_type(struct loader *l, const struct ynode *n, enum ynode_type t,
    const char *what)
{
	static const char *want[] = { "a value", "a mapping (key: value)",
	    "a list (- item)" };

	if (n->type == t)
		return 0;
	ERR(l, n, "%s must be %s, not %s", what, want[t], type_name(n));
	return -1;
}

static int
looks_secret(const char *key)
{
	size_t	i;

	for (i = 0; secret_words[i] != NULL; i++) {
		if (strstr(key, secret_words[i]) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Refuse keys the section does not know, suggesting the nearest known one.
 * Returns the number of unknown keys.
 */
static int
check_keys(struct loader *l, const struct ynode *map,
    const struct schema_section *sec)
{
	size_t		 i, k;
	unsigned	 d, best;
	const char	*near, *known;
	int		 bad = 0, found;

	for (i = 0; i < map->n; i++) {
		const char *key = map->keys[i]->value;

		found = 0;
		best = 3;	/* farther than this is no suggestion */
		near = NULL;
		for (k = 0; k < sec->nrows; k++) {
			known = sec->rows[k].key;
			if (strcmp(key, known) == 0) {
				found = 1;
				break;
			}
			d = edit_distance(key, known);
			if (d < best) {
				best = d;
				near = known;
			}
		}
		if (found)
			continue;
		bad++;
		if (looks_secret(key))
			ERR(l, map->keys[i], "'%s' looks like a secret: secrets "
			    "never go in the profile; put it in the secrets file "
			    "(see docs/profile.md)", key);
		else if (near != NULL)
			ERR(l, map->keys[i], "unknown key '%s' in %s; did you "
			    "mean '%s'?", key, sec->where, near);
		else
			ERR(l, map->keys[i], "unknown key '%s' in %s", key,
			    sec->where);
	}
	return bad;
}

static int
get_string(struct loader *l, const struct ynode *n, const char *what,
    int (*valid)(const char *), const char *format, char **dst)
{
	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	if (n->value[0] == '\0') {
		ERR(l, n, "%s is empty", what);
		return -1;
	}
	/* No row takes one (check.c); diag_print shows it as \xHH. */
	if (text_control_char(n->value) != NULL) {
		ERR(l, n, "%s '%s' holds a control character: no profile "
		    "value takes one", what, n->value);
		return -1;
	}
	if (valid != NULL && !valid(n->value)) {
		ERR(l, n, "%s '%s' is not %s", what, n->value, format);
		return -1;
	}
	free(*dst);
	*dst = xstrdup(n->value);
	return 0;
}

static int
get_int(struct loader *l, const struct ynode *n, const char *what,
    long long min, long long max, int *dst)
{
	const char	*errstr;
	long long	 v;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	v = strtonum_checked(n->value, min, max, &errstr);
	if (errstr != NULL || n->quoted) {
		ERR(l, n, "%s '%s' %s: give a number from %lld to %lld", what,
		    n->value, errstr != NULL ? errstr : "is quoted text", min,
		    max);
		return -1;
	}
	*dst = (int)v;
	return 0;
}

static int
get_bool(struct loader *l, const struct ynode *n, const char *what, int *dst)
{
	static const char *yes[] = { "true", "yes", "on", NULL };
	static const char *no[] = { "false", "no", "off", NULL };
	size_t	i;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	for (i = 0; yes[i] != NULL; i++) {
		if (strcmp(n->value, yes[i]) == 0) {
			*dst = 1;
			return 0;
		}
		if (strcmp(n->value, no[i]) == 0) {
			*dst = 0;
			return 0;
		}
	}
	ERR(l, n, "%s '%s' must be true or false", what, n->value);
	return -1;
}

/* One of names[0..count-1]; the message lists them all. */
static int
get_enum(struct loader *l, const struct ynode *n, const char *what,
    const char *const *names, int count, int *dst)
{
	char	*choices = NULL, *tmp;
	int	 i;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	for (i = 0; i < count; i++) {
		if (strcmp(n->value, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	}
	for (i = 0; i < count; i++) {
		xasprintf(&tmp, "%s%s%s", choices ? choices : "",
		    i == 0 ? "" : (i == count - 1 ? " or " : ", "), names[i]);
		free(choices);
		choices = tmp;
	}
	ERR(l, n, "%s '%s' is not known: choose %s", what, n->value, choices);
	free(choices);
	return -1;
}

static int
get_size(struct loader *l, const struct ynode *n, const char *what,
    long long *dst)
{
	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	if (parse_size_mb(n->value, dst) == -1) {
		ERR(l, n, "%s '%s' is not a size: write it like 512MB or 4GB",
		    what, n->value);
		return -1;
	}
	return 0;
}

/* --- rows and sections, as schema.c declares them --- */

static const struct schema_row *
row_of(const struct schema_section *sec, const char *key)
{
	size_t	i;

	for (i = 0; i < sec->nrows; i++) {
		if (strcmp(sec->rows[i].key, key) == 0)
			return &sec->rows[i];
	}
	fatalx("profile schema: %s has no key %s", sec->name, key);
}

static int	load_row(struct loader *l, const struct schema_section *sec,
		    const struct schema_row *row, const struct ynode *n,
		    void *base);

static void *
field(void *base, size_t off)
{
	return (char *)base + off;
}

/* "machine 'db'", or the section's where before its name is known. */
static char *
subject(const struct schema_section *sec, const struct schema_row *row,
    void *base)
{
	const struct schema_row	*first = &sec->rows[0];
	const char		*name = NULL;
	char			*s;

	if (strcmp(first->key, "name") == 0 && first->type == SCHEMA_STRING)
		name = *(char **)field(base, first->off);
	if (sec->noun == NULL || (name == NULL && row == first))
		return xstrdup(sec->where);
	xasprintf(&s, "%s '%s'", sec->noun, name != NULL ? name : "?");
	return s;
}

static int
load_string(struct loader *l, const struct schema_row *row,
    const struct ynode *v, const char *what, char **dst)
{
	if ((row->flags & SCHEMA_EMPTY_OK) && v->type == YNODE_SCALAR &&
	    v->value[0] == '\0') {
		ERR(l, v, "%s '%s' is not %s", what, v->value, row->hint);
		return -1;
	}
	if (get_string(l, v, what, row->valid, row->hint, dst) == -1)
		return -1;
	if (row->max_len != 0 && strlen(*dst) > row->max_len) {
		ERR(l, v, "%s '%s' %s", what, *dst, row->too_long);
		return -1;
	}
	return 0;
}

static int
load_size(struct loader *l, const struct schema_row *row,
    const struct ynode *v, const char *what, long long *dst)
{
	if ((row->flags & SCHEMA_AUTO) && v->type == YNODE_SCALAR &&
	    strcmp(v->value, "auto") == 0) {
		*dst = 0;
		return 0;
	}
	if (get_size(l, v, what, dst) == -1)
		return -1;
	if (*dst < row->min) {
		ERR(l, v, "%s %s %s", what, v->value, row->min_hint);
		return -1;
	}
	return 0;
}

/* A list of names, each once, as bits: roles: [app, database]. */
static int
load_flags(struct loader *l, const struct schema_section *sec,
    const struct schema_row *row, const struct ynode *v, void *base)
{
	unsigned	*bits = field(base, row->off);
	char		*who;
	size_t		 i;
	int		 r, bad = 0;

	if (expect_type(l, v, YNODE_SEQ, row->key) == -1)
		return -1;
	if (v->n == 0) {
		who = subject(sec, row, base);
		ERR(l, v, "%s has no %s", who, row->key);
		free(who);
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		if (get_enum(l, v->items[i], row->item, row->choices,
		    row->nchoices, &r) == -1) {
			bad++;
			continue;
		}
		if (*bits & (1u << r)) {
			ERR(l, v->items[i], "%s '%s' is listed twice",
			    row->item, row->choices[r]);
			bad++;
		}
		*bits |= 1u << r;
	}
	return bad ? -1 : 0;
}

/* The keys of a section's mapping n: unknown ones, then each row. */
static int
load_keys(struct loader *l, const struct schema_section *sec,
    const struct ynode *n, void *base)
{
	size_t	i;
	int	bad = 0;

	bad += check_keys(l, n, sec);
	/* Early rows first, so that their messages come first. */
	for (i = 0; i < sec->nrows; i++) {
		if (sec->rows[i].flags & SCHEMA_EARLY)
			bad += load_row(l, sec, &sec->rows[i], n, base) != 0;
	}
	for (i = 0; i < sec->nrows; i++) {
		if (!(sec->rows[i].flags & SCHEMA_EARLY))
			bad += load_row(l, sec, &sec->rows[i], n, base) != 0;
	}
	if (sec->finish != NULL)
		sec->finish(base);
	return bad ? -1 : 0;
}

static int
load_section(struct loader *l, const struct schema_section *sec,
    const struct ynode *n, void *base)
{
	if (sec->pos_off != 0)
		*(struct pos *)field(base, sec->pos_off) = pos_of(n);
	if (expect_type(l, n, YNODE_MAP, sec->where) == -1)
		return -1;
	return load_keys(l, sec, n, base);
}

static int
load_map(struct loader *l, const struct schema_row *row,
    const struct ynode *v, void *base)
{
	void	*sub = field(base, row->off);

	if (row->flags & SCHEMA_AUTO) {
		if (v->type == YNODE_SCALAR && strcmp(v->value, "auto") == 0) {
			*(int *)field(sub, row->auto_off) = 1;
			return 0;
		}
		if (v->type != YNODE_MAP) {
			ERR(l, v, "%s must be auto or a mapping of settings",
			    row->sub->where);
			return -1;
		}
		*(int *)field(sub, row->auto_off) = 0;
	}
	if (row->present_off != 0)
		*(int *)field(base, row->present_off) = 1;
	return load_section(l, row->sub, v, sub);
}

/* A list of records: each gets its defaults, then its keys. */
static int
load_list(struct loader *l, const struct schema_row *row, const char *what,
    const struct ynode *v, void *base)
{
	const struct schema_section *sec = row->sub;
	char	*items;
	size_t	 i;
	int	 bad = 0;

	if (expect_type(l, v, YNODE_SEQ, what) == -1)
		return -1;
	if (v->n > PROFILE_MAX_ITEMS) {
		ERR(l, v, "%s lists %zu entries; at most %d are supported",
		    what, v->n, PROFILE_MAX_ITEMS);
		return -1;
	}
	items = xcalloc(v->n, sec->size);
	*(void **)field(base, row->off) = items;
	*(size_t *)field(base, row->count_off) = v->n;
	for (i = 0; i < v->n; i++) {
		schema_defaults(sec, items + i * sec->size);
		bad += load_section(l, sec, v->items[i],
		    items + i * sec->size) != 0;
	}
	return bad ? -1 : 0;
}

/* One key of a section: 0, or 1 when it is wrong or missing. */
static int
load_row(struct loader *l, const struct schema_section *sec,
    const struct schema_row *row, const struct ynode *n, void *base)
{
	const struct ynode	*v;
	char			 buf[64], *who;
	const char		*what;
	void			*dst = field(base, row->off);
	int			 rc;

	if (row->load != NULL)
		return row->load(l, n, row, base) != 0;
	if ((v = ytree_get(n, row->key)) == NULL) {
		if (row->required == NULL)
			return 0;
		who = subject(sec, row, base);
		ERR(l, n, "%s %s", who, row->required);
		free(who);
		return 1;
	}
	if (row->pos_off != 0)
		*(struct pos *)field(base, row->pos_off) = pos_of(v);
	what = schema_label(sec, row, buf, sizeof buf);
	switch (row->type) {
	case SCHEMA_STRING:
		rc = load_string(l, row, v, what, dst);
		break;
	case SCHEMA_INT:
		rc = get_int(l, v, what, row->min, row->max, dst);
		break;
	case SCHEMA_BOOL:
		rc = get_bool(l, v, what, dst);
		break;
	case SCHEMA_CHOICE:
		rc = get_enum(l, v, what, row->choices, row->nchoices, dst);
		break;
	case SCHEMA_SIZE:
		rc = load_size(l, row, v, what, dst);
		break;
	case SCHEMA_FLAGS:
		rc = load_flags(l, sec, row, v, base);
		break;
	case SCHEMA_MAP:
		rc = load_map(l, row, v, base);
		break;
	case SCHEMA_LIST:
		rc = load_list(l, row, what, v, base);
		break;
	default:
		fatalx("profile schema: %s has no type", row->key);
	}
	return rc != 0;
}

/* --- keys with rules of their own (the rows' .load) --- */

int
load_version(struct loader *l, const struct ynode *root,
    const struct schema_row *row, void *base)
{
	struct ynode	*v;
	struct pos	 top = { 1, 1 };
	int		*version = field(base, row->off);

	if ((v = ytree_get(root, row->key)) == NULL) {
		diag_add(l->diag, l->file, top, "the profile has no version: "
		    "start it with 'version: %d'", PROFILE_VERSION);
		return -1;
	}
	if (get_int(l, v, row->key, row->min, row->max, version) == -1)
		return -1;
	if (*version != PROFILE_VERSION) {
		ERR(l, v, "profile version %d is not supported by this "
		    "dhis2-setup (it reads version %d)", *version,
		    PROFILE_VERSION);
		return -1;
	}
	return 0;
}

/*
 * war: a URL with its sha256, or a file, instead of the release; and the
 * instance's version, needed even with a war (it decides Java and Tomcat).
 */
int
load_war(struct loader *l, const struct ynode *n,
    const struct schema_row *row, void *base)
{
	const struct schema_section *sec = row->sub;
	struct instance	*in = base;
	struct ynode	*w, *v;
	int		 bad = 0;

	if ((w = ytree_get(n, row->key)) != NULL &&
	    expect_type(l, w, YNODE_MAP, sec->where) == -1)
		bad++;
	else if (w != NULL) {
		bad += check_keys(l, w, sec);
		if (ytree_get(w, "url") != NULL) {
			bad += load_row(l, sec, row_of(sec, "url"), w, in);
			in->war_source = WAR_URL;
			if (ytree_get(w, "sha256") == NULL) {
				ERR(l, w, "war.url needs war.sha256: a WAR is "
				    "never installed unchecked");
				bad++;
			}
		}
		bad += load_row(l, sec, row_of(sec, "sha256"), w, in);
		if ((v = ytree_get(w, "file")) != NULL) {
			if (in->war_url != NULL) {
				ERR(l, v, "give war.url or war.file, not both");
				bad++;
			}
			bad += load_row(l, sec, row_of(sec, "file"), w, in);
			in->war_source = WAR_FILE;
		}
		if (ytree_get(w, "url") == NULL &&
		    ytree_get(w, "file") == NULL) {
			ERR(l, w, "war needs url (with sha256) or file");
			bad++;
		}
	}
	if (ytree_get(n, "version") == NULL) {
		ERR(l, n, "instance '%s' needs a version (it decides Java and "
		    "Tomcat, even with a war)", in->name ? in->name : "?");
		bad++;
	}
	return bad ? -1 : 0;
}

static int
load_root(struct loader *l, const struct ynode *root)
{
	if (expect_type(l, root, YNODE_MAP, "a profile") == -1)
		return -1;
	return load_keys(l, schema_root(), root, l->p);
}

int
profile_load_buffer(struct profile *p, const char *file, const char *buf,
    size_t len, struct diag *diag)
{
	struct loader	 l = { file, diag, p };
	struct ynode	*root;
	struct pos	 top = { 0, 0 };
	int		 rc;

	profile_init(p);
	p->path = xstrdup(file);
	if (len > PROFILE_MAX_BYTES) {
		diag_add(diag, file, top, "the file is %zu bytes; a profile is "
		    "at most %d", len, PROFILE_MAX_BYTES);
		return -1;
	}
	if ((root = ytree_parse(file, buf, len, diag)) == NULL)
		return -1;
	rc = load_root(&l, root);
	ytree_free(root);
	return rc;
}

int
profile_load_file(struct profile *p, const char *path, struct diag *diag)
{
	struct pos	 top = { 0, 0 };
	char		*buf;
	size_t		 len;
	int		 rc;

	if (read_file_limited(path, PROFILE_MAX_BYTES, &buf, &len) == -1) {
		profile_init(p);
		p->path = xstrdup(path);
		if (errno == EFBIG)
			diag_add(diag, path, top, "the file is larger than "
			    "%d bytes: this is not a profile",
			    PROFILE_MAX_BYTES);
		else if (errno == EINVAL)
			diag_add(diag, path, top, "not a regular file");
		else
			diag_add(diag, path, top, "cannot read: %s",
			    strerror(errno));
		return -1;
	}
	rc = profile_load_buffer(p, path, buf, len, diag);
	free(buf);
	return rc;
}
