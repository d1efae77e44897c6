/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Writes a profile back as YAML, in the schema's order and block style, so
 * that a saved profile diffs cleanly against the last one.  A key at its
 * default is written unless its row says to omit it.  libyaml's
 * emitter does the quoting: a value is never pasted into YAML by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "core.h"
#include "profile.h"
#include "schema.h"

struct saver {
	yaml_emitter_t	 em;
	struct strbuf	 out;
	int		 failed;
};

/* libyaml's output callback; also used by secrets.c. */
int
yaml_strbuf_writer(void *data, unsigned char *bytes, size_t size)
{
	strbuf_add(data, bytes, size);
	return 1;
}

static void
emit(struct saver *s, yaml_event_t *ev)
{
	if (s->failed)
		return;
	if (!yaml_emitter_emit(&s->em, ev))
		s->failed = 1;
}

static void
scalar(struct saver *s, const char *v)
{
	yaml_event_t	ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v,
	    strlen(v), 1, 1, YAML_ANY_SCALAR_STYLE);
	emit(s, &ev);
}

static void
map_start(struct saver *s)
{
	yaml_event_t	ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE);
	emit(s, &ev);
}

static void
map_end(struct saver *s)
{
	yaml_event_t	ev;

	yaml_mapping_end_event_initialize(&ev);
	emit(s, &ev);
}

static void
seq_start(struct saver *s, int flow)
{
	yaml_event_t	ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	emit(s, &ev);
}

static void
seq_end(struct saver *s)
{
	yaml_event_t	ev;

	yaml_sequence_end_event_initialize(&ev);
	emit(s, &ev);
}

/* key: value, skipped when the value is unset. */
static void
kv(struct saver *s, const char *key, const char *value)
{
	if (value == NULL)
		return;
	scalar(s, key);
	scalar(s, value);
}

static void
kv_int(struct saver *s, const char *key, long long v)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	kv(s, key, buf);
}

static void
kv_bool(struct saver *s, const char *key, int v)
{
	kv(s, key, v ? "true" : "false");
}

/* Sizes in the largest whole unit, as an operator would write them. */
static void
kv_size(struct saver *s, const char *key, long long mb)
{
	char	buf[32];

	if (mb == 0)
		return;
	if (mb % (1024 * 1024) == 0)
		snprintf(buf, sizeof buf, "%lldTB", mb / (1024 * 1024));
	else if (mb % 1024 == 0)
		snprintf(buf, sizeof buf, "%lldGB", mb / 1024);
	else
		snprintf(buf, sizeof buf, "%lldMB", mb);
	kv(s, key, buf);
}

static int	section_set(const struct schema_section *, const void *);

static const void *
at(const void *base, size_t off)
{
	return (const char *)base + off;
}

/* Whether a row holds more than its default: what an empty section lacks. */
static int
row_set(const struct schema_row *row, const void *base)
{
	const void	*f = at(base, row->off);

	switch (row->type) {
	case SCHEMA_STRING:
		return *(char *const *)f != NULL;
	case SCHEMA_INT:
	case SCHEMA_BOOL:
	case SCHEMA_CHOICE:
		return *(const int *)f != row->def;
	case SCHEMA_SIZE:
		return *(const long long *)f != 0;
	case SCHEMA_FLAGS:
		return *(const unsigned *)f != 0;
	case SCHEMA_MAP:
		if (row->present_off != 0)
			return *(const int *)at(base, row->present_off) != 0;
		return section_set(row->sub, f);
	case SCHEMA_LIST:
		return *(const size_t *)at(base, row->count_off) != 0;
	}
	return 0;
}

static int
section_set(const struct schema_section *sec, const void *base)
{
	size_t	i;

	for (i = 0; i < sec->nrows; i++) {
		if (row_set(&sec->rows[i], base))
			return 1;
	}
	return 0;
}

static void	save_section(struct saver *, const struct schema_section *,
		    const void *);

static void
save_flags(struct saver *s, const struct schema_row *row, unsigned bits)
{
	int	i;

	scalar(s, row->key);
	seq_start(s, 1);
	for (i = 0; i < row->nchoices; i++) {
		if (bits & (1u << i))
			scalar(s, row->choices[i]);
	}
	seq_end(s);
}

static void
save_map(struct saver *s, const struct schema_row *row, const void *base)
{
	const void	*sub = at(base, row->off);

	if (row->present_off != 0 &&
	    *(const int *)at(base, row->present_off) == 0)
		return;
	if ((row->flags & SCHEMA_AUTO) &&
	    *(const int *)at(sub, row->auto_off)) {
		kv(s, row->key, "auto");
		return;
	}
	if ((row->flags & SCHEMA_OMIT_EMPTY) && !section_set(row->sub, sub))
		return;
	scalar(s, row->key);
	map_start(s);
	save_section(s, row->sub, sub);
	map_end(s);
}

static void
save_list(struct saver *s, const struct schema_row *row, const void *base)
{
	const char	*items = *(char *const *)at(base, row->off);
	size_t		 i, n = *(const size_t *)at(base, row->count_off);

	if (n == 0)
		return;
	scalar(s, row->key);
	seq_start(s, 0);
	for (i = 0; i < n; i++) {
		map_start(s);
		save_section(s, row->sub, items + i * row->sub->size);
		map_end(s);
	}
	seq_end(s);
}

static void
save_row(struct saver *s, const struct schema_row *row, const void *base)
{
	const void	*f = at(base, row->off);
	int		 v;

	if ((row->flags & SCHEMA_OMIT_DEF) && !row_set(row, base))
		return;
	switch (row->type) {
	case SCHEMA_STRING:
		kv(s, row->key, *(char *const *)f);
		break;
	case SCHEMA_INT:
		kv_int(s, row->key, *(const int *)f);
		break;
	case SCHEMA_BOOL:
		kv_bool(s, row->key, *(const int *)f);
		break;
	case SCHEMA_CHOICE:
		v = *(const int *)f;
		kv(s, row->key, row->choices[v]);
		break;
	case SCHEMA_SIZE:
		if ((row->flags & SCHEMA_AUTO) && *(const long long *)f == 0)
			kv(s, row->key, "auto");
		else
			kv_size(s, row->key, *(const long long *)f);
		break;
	case SCHEMA_FLAGS:
		save_flags(s, row, *(const unsigned *)f);
		break;
	case SCHEMA_MAP:
		save_map(s, row, base);
		break;
	case SCHEMA_LIST:
		save_list(s, row, base);
		break;
	}
}

/* A section's keys, in the schema's order. */
static void
save_section(struct saver *s, const struct schema_section *sec,
    const void *base)
{
	size_t	i;

	for (i = 0; i < sec->nrows; i++)
		save_row(s, &sec->rows[i], base);
}

/* The profile as YAML text (NUL-terminated); NULL if libyaml failed. */
char *
profile_save_buffer(const struct profile *p, size_t *lenp)
{
	struct saver	 s;
	yaml_event_t	 ev;

	memset(&s, 0, sizeof s);
	if (!yaml_emitter_initialize(&s.em))
		fatalx("out of memory initialising the YAML emitter");
	yaml_emitter_set_output(&s.em, yaml_strbuf_writer, &s.out);
	yaml_emitter_set_unicode(&s.em, 1);
	yaml_emitter_set_width(&s.em, 78);
	yaml_emitter_set_indent(&s.em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&s, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&s, &ev);
	map_start(&s);
	save_section(&s, schema_root(), p);
	map_end(&s);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&s, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&s, &ev);
	yaml_emitter_delete(&s.em);
	if (s.failed) {
		free(s.out.buf);
		return NULL;
	}
	if (lenp != NULL)
		*lenp = s.out.len;
	return s.out.buf;
}

/*
 * Save atomically, keeping the previous profile as PATH.prev so that an
 * operator can see what the last save changed.  *errp gets a message.
 */
int
profile_save_file(const struct profile *p, const char *path, char **errp)
{
	static const char header[] = "# dhis2-setup profile: see "
	    "docs/profile.md. Secrets are not here: they are in the secrets "
	    "file.\n";
	char	*yaml, *all, *prev;
	size_t	 len;
	int	 rc;

	*errp = NULL;
	if ((yaml = profile_save_buffer(p, &len)) == NULL) {
		xasprintf(errp, "%s: cannot write the profile as YAML", path);
		return -1;
	}
	xasprintf(&all, "%s%s", header, yaml);
	free(yaml);
	xasprintf(&prev, "%s.prev", path);
	/* A hard link keeps the old file while the new one replaces it. */
	(void)unlink(prev);
	if (access(path, F_OK) == 0 && link(path, prev) == -1) {
		xasprintf(errp, "%s: cannot keep the previous version: %s",
		    path, strerror(errno));
		free(prev);
		free(all);
		return -1;
	}
	free(prev);
	rc = write_file_atomic(path, all, strlen(all), 0644);
	if (rc == -1)
		xasprintf(errp, "%s: %s", path, strerror(errno));
	free(all);
	return rc;
}
