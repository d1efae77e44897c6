/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The table of optional features and whether a step builds each: the one
 * place to change when a step arrives.  Which keys ask for a feature, and
 * which only serve it, is the schema's (schema.c: .needs and .asks).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "feature.h"
#include "schema.h"

struct feature_info {
	const char	*name;		/* the profile key, as the operator reads it */
	int		 built;
	const char	*instead;	/* what works today */
	const char	*title;		/* what it is, in a sentence */
};

static const struct feature_info features[FEATURE_COUNT] = {
	[FEATURE_REDIS] = { "clustering: redis", 1,
	    "set clustering: { redis: false } and one Tomcat node per instance",
	    "Redis for several Tomcat nodes per instance" },
	[FEATURE_REPLICAS] = { "database: replicas", 1,
	    "set database: { replicas: 0 }",
	    "PostgreSQL read replicas" },
	[FEATURE_PROMETHEUS] = { "monitoring: prometheus", 1,
	    "set monitoring: none",
	    "Prometheus monitoring" },
	[FEATURE_MUNIN] = { "monitoring: munin", 0,
	    "set monitoring: none",
	    "Munin monitoring" },
	[FEATURE_ALERTING] = { "alerting", 1,
	    "remove the alerting email, telegram and slack settings",
	    "alerting by mail, Telegram or Slack" },
	[FEATURE_ENCRYPTION] = { "encryption", 0,
	    "remove encryption.device and encryption.swap (encrypt the disk "
	    "yourself, before the install)",
	    "disk encryption with LUKS" },
	[FEATURE_BACKUPS] = { "backups", 1,
	    "set backups: { enabled: false } and back up with pg_dump "
	    "yourself",
	    "nightly database backups" },
	[FEATURE_BACKUPS_S3] = { "backups: an s3:// target", 0,
	    "use a user@host:/path target",
	    "backups to S3" },
};

int
feature_built(enum feature f)
{
	return features[f].built;
}

const char *
feature_name(enum feature f)
{
	return features[f].name;
}

const char *
feature_instead(enum feature f)
{
	return features[f].instead;
}

const char *
feature_title(enum feature f)
{
	return features[f].title;
}

/* Where a row's key stood: its own pos, else its mapping's. */
static struct pos
row_pos(const struct schema_section *sec, const struct schema_row *row,
    const void *base)
{
	size_t	off = row->pos_off != 0 ? row->pos_off : sec->pos_off;

	if (off == 0)
		return (struct pos){ 0, 0 };
	return *(const struct pos *)((const char *)base + off);
}

/*
 * The features the keys of sec ask for (schema.h's .asks), into *asked,
 * and where the first key that asks for each stood.
 */
static void
asked_in(const struct schema_section *sec, const void *base,
    unsigned *asked, struct pos *where)
{
	const struct schema_row	*row;
	const char		*items;
	unsigned		 got;
	size_t			 i, k, n;
	int			 f;

	for (i = 0; i < sec->nrows; i++) {
		row = &sec->rows[i];
		if (row->asks != NULL &&
		    (got = row->asks(row, base) & ~*asked) != 0) {
			for (f = 0; f < FEATURE_COUNT; f++) {
				if (got & FEATURE_BIT(f))
					where[f] = row_pos(sec, row, base);
			}
			*asked |= got;
		}
		if (row->type == SCHEMA_MAP)
			asked_in(row->sub, (const char *)base + row->off,
			    asked, where);
		else if (row->type == SCHEMA_LIST) {
			items = *(char *const *)((const char *)base + row->off);
			n = *(const size_t *)((const char *)base +
			    row->count_off);
			for (k = 0; k < n; k++)
				asked_in(row->sub, items + k * row->sub->size,
				    asked, where);
		}
	}
}

size_t
profile_unbuilt(const struct profile *p, struct diag *unbuilt)
{
	struct pos	 where[FEATURE_COUNT];
	unsigned	 asked = 0;
	size_t		 n = 0;
	int		 f;

	asked_in(schema_root(), p, &asked, where);
	for (f = 0; f < FEATURE_COUNT; f++) {
		if (features[f].built || !(asked & FEATURE_BIT(f)))
			continue;
		/* Backups themselves missing says enough about the target. */
		if (f == FEATURE_BACKUPS_S3 && !features[FEATURE_BACKUPS].built)
			continue;
		if (unbuilt != NULL)
			diag_add(unbuilt, p->path ? p->path : "profile",
			    where[f], "%s is not built yet%s: no step installs "
			    "it; for now %s", features[f].name,
			    where[f].line == 0 ?
			    " (on by default)" : "", features[f].instead);
		n++;
	}
	return n;
}

size_t
profile_print_unbuilt(const struct profile *p, FILE *f)
{
	struct diag	d;
	size_t		n;

	diag_init(&d);
	n = profile_unbuilt(p, &d);
	diag_print(&d, f);
	diag_free(&d);
	return n;
}

/* A key set back to its default, what it held freed. */
static void
reset_row(const struct schema_row *row, void *base)
{
	void	*v = schema_field(row, base);

	switch (row->type) {
	case SCHEMA_STRING:
		free(*(char **)v);
		*(char **)v = NULL;
		break;
	case SCHEMA_INT:
	case SCHEMA_BOOL:
	case SCHEMA_CHOICE:
		*(int *)v = row->def;
		break;
	default:
		break;
	}
}

/* A key that asks for a feature set so that it asks for none of off. */
static void
turn_off(const struct schema_row *row, void *base, unsigned off)
{
	size_t	i;
	int	c;

	switch (row->type) {
	case SCHEMA_STRING:
		reset_row(row, base);
		break;
	case SCHEMA_INT:
	case SCHEMA_BOOL:
		*(int *)schema_field(row, base) = 0;
		break;
	case SCHEMA_CHOICE:
		/* The first choice that asks for none of them. */
		for (c = 0; c < row->nchoices; c++) {
			*(int *)schema_field(row, base) = c;
			if ((row->asks(row, base) & off) == 0)
				break;
		}
		break;
	case SCHEMA_MAP:
		*(int *)((char *)base + row->present_off) = 0;
		for (i = 0; i < row->sub->nrows; i++)
			reset_row(&row->sub->rows[i],
			    schema_field(row, base));
		break;
	default:
		break;
	}
}

/*
 * In sec, the keys that ask for a feature of off turned off, and those
 * that only serve one set back to their defaults.
 */
static void
drop_in(const struct schema_section *sec, void *base, unsigned off)
{
	const struct schema_row	*row;
	char			*items;
	size_t			 i, k, n;

	for (i = 0; i < sec->nrows; i++) {
		row = &sec->rows[i];
		if (row->type == SCHEMA_LIST) {
			items = *(char **)schema_field(row, base);
			n = *(size_t *)((char *)base + row->count_off);
			for (k = 0; k < n; k++)
				drop_in(row->sub, items + k * row->sub->size,
				    off);
			continue;
		}
		if (row->asks != NULL && (row->asks(row, base) & off))
			turn_off(row, base, off);
		else if (row->asks == NULL && (row->needs & off))
			reset_row(row, base);
		if (row->type == SCHEMA_MAP)
			drop_in(row->sub, schema_field(row, base), off);
	}
}

size_t
profile_drop_unbuilt(struct profile *p)
{
	size_t		n = profile_unbuilt(p, NULL);
	unsigned	off = 0;
	int		f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		if (!features[f].built)
			off |= FEATURE_BIT(f);
	}
	drop_in(schema_root(), p, off);
	return n;
}
