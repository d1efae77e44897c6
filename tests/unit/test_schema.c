/*
 * Unit tests of the profile schema: docs/profile.md documents every key
 * of the table, and every key its example sets is one the table knows;
 * the look-ups the wizard uses find what the loader checks.
 */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "profile.h"
#include "schema.h"

#define MAX_DEPTH	8

/* The example in docs/profile.md: its keys by path, and its comments. */
struct doc {
	char	**paths;	/* "tls.mode", "instances.heap" */
	size_t	  npaths;
	char	 *comments;	/* the commented lines, one after another */
	int	  unknown;	/* keys set that the schema does not know */
};

static const char *
srcdir(void)
{
	const char	*s = getenv("top_srcdir");

	return s != NULL ? s : ".";
}

/* "k: v" or "- k: v" at indent; the key's column and the key, or -1. */
static int
line_key(const char *line, char *key, size_t len)
{
	int	col = 0;
	size_t	n = 0;

	while (line[col] == ' ')
		col++;
	if (line[col] == '-' && line[col + 1] == ' ')
		col += 2;
	while (islower((unsigned char)line[col + n]) || line[col + n] == '_')
		n++;
	if (n == 0 || n >= len || line[col + n] != ':')
		return -1;
	memcpy(key, line + col, n);
	key[n] = '\0';
	return col;
}

/* A key line below a stack of parents: its path, checked against us. */
static void
doc_key(struct doc *d, char stack[][64], int *cols, int *depth, int col,
    const char *key)
{
	char	section[256] = "", *path;
	size_t	n = 0;
	int	i;

	while (*depth > 0 && cols[*depth - 1] >= col)
		(*depth)--;
	for (i = 0; i < *depth && n < sizeof section; i++)
		n += snprintf(section + n, sizeof section - n, "%s%s",
		    i ? "." : "", stack[i]);
	if (schema_find(section, key) == NULL) {
		print_error("docs/profile.md sets %s%s%s, which the schema "
		    "does not know\n", section, *section ? "." : "", key);
		d->unknown++;
	}
	xasprintf(&path, "%s%s%s", section, *section ? "." : "", key);
	d->paths = xreallocarray(d->paths, d->npaths + 1, sizeof *d->paths);
	d->paths[d->npaths++] = path;
	if (*depth < MAX_DEPTH) {
		snprintf(stack[*depth], sizeof stack[*depth], "%s", key);
		cols[(*depth)++] = col;
	}
}

static void
doc_read(struct doc *d)
{
	char		 stack[MAX_DEPTH][64], key[64], *path, *buf, *line, *next;
	const char	*s;
	int		 cols[MAX_DEPTH], depth = 0, in = 0, col;
	size_t		 len;

	memset(d, 0, sizeof *d);
	d->comments = xstrdup("");
	xasprintf(&path, "%s/docs/profile.md", srcdir());
	assert_int_equal(read_file_limited(path, 1 << 20, &buf, &len), 0);
	free(path);
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "```", 3) == 0) {
			if (in)
				break;		/* the first example only */
			in = strcmp(line, "```yaml") == 0;
			continue;
		}
		if (!in)
			continue;
		for (s = line; *s == ' '; s++)
			;
		if (*s == '#') {
			xasprintf(&path, "%s%s\n", d->comments, s);
			free(d->comments);
			d->comments = path;
		} else if ((col = line_key(line, key, sizeof key)) != -1)
			doc_key(d, stack, cols, &depth, col, key);
	}
	free(buf);
	assert_true(d->npaths > 20);
}

static void
doc_free(struct doc *d)
{
	size_t	i;

	for (i = 0; i < d->npaths; i++)
		free(d->paths[i]);
	free(d->paths);
	free(d->comments);
}

/* "key:" in a comment, as a word: "# file: /srv/...", "{ work_mem: 1GB". */
static int
in_comment(const char *comments, const char *key)
{
	const char	*p;
	size_t		 len = strlen(key);

	for (p = comments; (p = strstr(p, key)) != NULL; p++) {
		if (p[len] == ':' && (p == comments ||
		    !(isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			return 1;
	}
	return 0;
}

static int
documented(const struct schema_section *sec, const struct schema_row *row,
    void *arg)
{
	struct doc	*d = arg;
	char		*path;
	size_t		 i;
	int		 found = 0;

	xasprintf(&path, "%s%s%s", sec->name, *sec->name ? "." : "", row->key);
	for (i = 0; i < d->npaths && !found; i++)
		found = strcmp(d->paths[i], path) == 0;
	if (!found && !in_comment(d->comments, row->key)) {
		print_error("%s is in the schema but not in docs/profile.md's "
		    "example\n", path);
		d->unknown++;
	}
	free(path);
	return 0;
}

/* Every key of the table is in the example, set or in a comment. */
static void
test_docs_document_every_key(void **state)
{
	struct doc	d;

	doc_read(&d);
	assert_int_equal(d.unknown, 0);
	schema_walk(documented, &d);
	assert_int_equal(d.unknown, 0);
	doc_free(&d);
}

/* Every row is whole: a type's fields are there, a hint with a check. */
static int
row_whole(const struct schema_section *sec, const struct schema_row *row,
    void *arg)
{
	int	*bad = arg;

	if (row->doc == NULL || (row->valid != NULL && row->hint == NULL) ||
	    ((row->type == SCHEMA_MAP || row->type == SCHEMA_LIST) &&
	    row->sub == NULL) ||
	    ((row->type == SCHEMA_CHOICE || row->type == SCHEMA_FLAGS) &&
	    row->nchoices == 0) ||
	    (row->type == SCHEMA_INT && row->min > row->max) ||
	    (row->type == SCHEMA_LIST && row->sub->size == 0)) {
		print_error("schema row %s.%s is not whole\n", sec->name,
		    row->key);
		(*bad)++;
	}
	return 0;
}

static void
test_rows_whole(void **state)
{
	int	bad = 0;

	schema_walk(row_whole, &bad);
	assert_int_equal(bad, 0);
}

/* The look-ups the wizard uses, and their judgement of typed text. */
static void
test_lookup(void **state)
{
	const struct schema_row	*r;
	char			 buf[64];

	assert_non_null(r = schema_find("tls", "acme_server"));
	assert_ptr_equal(r, schema_find_path("tls.acme_server"));
	assert_string_equal(schema_hint(r), "an http(s) URL");
	assert_true(schema_text_ok(r, "https://acme.example.org/directory"));
	assert_false(schema_text_ok(r, "ftp://x"));
	assert_string_equal(schema_label(schema_section("tls"), r, buf,
	    sizeof buf), "tls.acme_server");
	assert_non_null(r = schema_find_path("instances.heap"));
	assert_true(schema_text_ok(r, "auto"));
	assert_true(schema_text_ok(r, "4GB"));
	assert_false(schema_text_ok(r, "512MB"));
	assert_non_null(r = schema_find_path("database.version"));
	assert_false(schema_text_ok(r, "11"));
	assert_true(schema_text_ok(r, "16"));
	assert_non_null(r = schema_find_path("machines.ssh.port"));
	assert_int_equal(r->def, 22);
	assert_non_null(r = schema_find_path("lxc.bridge"));
	assert_false(schema_text_ok(r, "a-bridge-of-16ch"));
	assert_non_null(r = schema_find_path("alerting.telegram.chat_id"));
	assert_true(schema_text_ok(r, "-1001234567890"));
	assert_false(schema_text_ok(r, "@channel"));
	assert_non_null(r = schema_find_path("monitoring"));
	assert_true(schema_text_ok(r, "munin"));
	assert_int_equal(schema_feature(r), FEATURE_PROMETHEUS);
	assert_int_equal(schema_feature(schema_find_path("fqdn")), -1);
	assert_null(schema_find_path("tls.nonsense"));
	assert_null(schema_find("nonsense", "mode"));
	assert_non_null(schema_section("database.tuning"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_document_every_key),
		cmocka_unit_test(test_rows_whole),
		cmocka_unit_test(test_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
