/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The profile model: defaults, free and equality, walking the schema.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "schema.h"

/*
 * Defaults are what an experienced administrator would pick for a small
 * national instance: one server, nginx, Let's Encrypt, PostgreSQL 15
 * (Debian 12's), Prometheus, nightly backups kept two weeks.  They are the
 * schema's (schema.c).
 */
void
profile_init(struct profile *p)
{
	memset(p, 0, sizeof *p);
	schema_defaults(schema_root(), p);
}

/* Free the strings, lists and records of a section's struct. */
static void
section_free(const struct schema_section *sec, void *base)
{
	const struct schema_row	*row;
	char			*items;
	size_t			 i, k, n;

	for (i = 0; i < sec->nrows; i++) {
		row = &sec->rows[i];
		switch (row->type) {
		case SCHEMA_STRING:
			free(*(char **)schema_field(row, base));
			break;
		case SCHEMA_MAP:
			section_free(row->sub, schema_field(row, base));
			break;
		case SCHEMA_LIST:
			items = *(char **)schema_field(row, base);
			n = *(size_t *)((char *)base + row->count_off);
			for (k = 0; k < n; k++)
				section_free(row->sub,
				    items + k * row->sub->size);
			free(items);
			break;
		default:
			break;
		}
	}
}

/* Free what a machine holds and zero it, ready to be filled again. */
void
machine_clear(struct machine *m)
{
	section_free(schema_section("machines"), m);
	memset(m, 0, sizeof *m);
}

void
instance_clear(struct instance *in)
{
	section_free(schema_section("instances"), in);
	memset(in, 0, sizeof *in);
}

void
profile_free(struct profile *p)
{
	section_free(schema_root(), p);
	free(p->path);
	memset(p, 0, sizeof *p);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
int_at(const void *base, size_t off)
{
	return *(const int *)((const char *)base + off);
}

/* Equal in every key of the section. */
static int
section_equal(const struct schema_section *sec, const void *a, const void *b)
{
	const struct schema_row	*row;
	const char		*ia, *ib;
	size_t			 i, k, n;

	for (i = 0; i < sec->nrows; i++) {
		row = &sec->rows[i];
		ia = (const char *)a + row->off;
		ib = (const char *)b + row->off;
		switch (row->type) {
		case SCHEMA_STRING:
			if (!str_eq(*(char *const *)ia, *(char *const *)ib))
				return 0;
			break;
		case SCHEMA_INT:
		case SCHEMA_BOOL:
		case SCHEMA_CHOICE:
			if (*(const int *)ia != *(const int *)ib)
				return 0;
			break;
		case SCHEMA_SIZE:
			if (*(const long long *)ia != *(const long long *)ib)
				return 0;
			break;
		case SCHEMA_FLAGS:
			if (*(const unsigned *)ia != *(const unsigned *)ib)
				return 0;
			break;
		case SCHEMA_MAP:
			if ((row->present_off != 0 &&
			    int_at(a, row->present_off) !=
			    int_at(b, row->present_off)) ||
			    ((row->flags & SCHEMA_AUTO) &&
			    int_at(ia, row->auto_off) !=
			    int_at(ib, row->auto_off)) ||
			    !section_equal(row->sub, ia, ib))
				return 0;
			break;
		case SCHEMA_LIST:
			n = *(const size_t *)((const char *)a + row->count_off);
			if (n != *(const size_t *)((const char *)b +
			    row->count_off))
				return 0;
			ia = *(char *const *)ia;
			ib = *(char *const *)ib;
			for (k = 0; k < n; k++, ia += row->sub->size,
			    ib += row->sub->size) {
				if (!section_equal(row->sub, ia, ib))
					return 0;
			}
			break;
		}
	}
	return 1;
}

/* Equal in every choice; where a profile was loaded from does not count. */
int
profile_equal(const struct profile *a, const struct profile *b)
{
	return section_equal(schema_root(), a, b);
}

/* The machine that plays a role; NULL when none is listed. */
const struct machine *
profile_machine_for_role(const struct profile *p, enum role r)
{
	size_t	i;

	for (i = 0; i < p->nmachines; i++) {
		if (p->machines[i].roles & ROLE_BIT(r))
			return &p->machines[i];
	}
	return NULL;
}

const char *
instance_db_name(const struct instance *in)
{
	return in->database != NULL ? in->database : in->name;
}

/*
 * Tomcat's HTTP port for node (0-based) of the i-th instance: 8080 for
 * the first, then steps of 10, so that nodes of one instance sit together
 * and a firewall rule can name a short range.
 */
int
instance_port(const struct profile *p, size_t i, int node)
{
	(void)p;
	return 8080 + 10 * (int)i + node;
}

/* server.base.url: absolute, without a trailing slash (DHIS2 warns). */
char *
instance_base_url(const struct profile *p, const struct instance *in)
{
	char	*url;

	xasprintf(&url, "%s://%s%s", p->tls.mode == TLS_NONE ? "http" :
	    "https", p->fqdn ? p->fqdn : "localhost",
	    strcmp(in->base_path, "/") == 0 ? "" : in->base_path);
	return url;
}
