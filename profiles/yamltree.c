/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Builds a struct ynode tree from libyaml's event stream.  The event API
 * (rather than yaml_parser_load) lets us refuse aliases before they are
 * expanded and bound the depth while parsing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core.h"
#include "profile.h"
#include "yamltree.h"

struct builder {
	yaml_parser_t	 parser;
	const char	*buf;
	size_t		 len;
	const char	*file;
	struct diag	*diag;
	int		 depth;
};

static struct ynode *
ynode_new(enum ynode_type type, const yaml_mark_t *mark)
{
	struct ynode	*n = xcalloc(1, sizeof *n);

	n->type = type;
	n->line = mark->line + 1;
	n->col = mark->column + 1;
	return n;
}

static void
ynode_append(struct ynode *parent, struct ynode *key, struct ynode *item)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->items = xreallocarray(parent->items, parent->cap,
		    sizeof *parent->items);
		if (parent->type == YNODE_MAP)
			parent->keys = xreallocarray(parent->keys, parent->cap,
			    sizeof *parent->keys);
	}
	if (parent->type == YNODE_MAP)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = item;
}

void
ytree_free(struct ynode *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		if (n->keys != NULL)
			ytree_free(n->keys[i]);
		ytree_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->value);
	free(n);
}

struct ynode *
ytree_get(const struct ynode *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	}
	return NULL;
}

/* Line and column (1-based, in bytes) of a byte offset. */
static void
offset_position(const char *buf, size_t len, size_t off, struct pos *p)
{
	size_t	i;

	p->line = 1;
	p->col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			p->line++;
			p->col = 1;
		} else
			p->col++;
	}
}

static void
parser_error(struct builder *b)
{
	struct pos	 p;
	const char	*what = b->parser.problem ? b->parser.problem :
			    "cannot read the YAML";

	p.line = b->parser.problem_mark.line + 1;
	p.col = b->parser.problem_mark.column + 1;
	if (b->parser.error == YAML_READER_ERROR) {
		/* The reader reports a byte offset: turn it into a position. */
		offset_position(b->buf, b->len, b->parser.problem_offset, &p);
		diag_add(b->diag, b->file, p, "not a text file: %s (byte %zu)",
		    what, b->parser.problem_offset);
		return;
	}
	if (b->parser.context != NULL)
		diag_add(b->diag, b->file, p, "YAML syntax error: %s %s",
		    what, b->parser.context);
	else
		diag_add(b->diag, b->file, p, "YAML syntax error: %s", what);
}

static struct ynode *build_node(struct builder *, yaml_event_t *);

/* Next event; 0 on success, -1 after reporting the parser's error. */
static int
next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		parser_error(b);
		return -1;
	}
	return 0;
}

static struct ynode *
build_collection(struct builder *b, yaml_event_t *start)
{
	struct ynode	*n, *key = NULL, *item;
	yaml_event_t	 ev;
	yaml_event_type_t end;
	struct pos	 p;

	if (start->type == YAML_MAPPING_START_EVENT) {
		n = ynode_new(YNODE_MAP, &start->start_mark);
		end = YAML_MAPPING_END_EVENT;
	} else {
		n = ynode_new(YNODE_SEQ, &start->start_mark);
		end = YAML_SEQUENCE_END_EVENT;
	}
	if (++b->depth > PROFILE_MAX_DEPTH) {
		p.line = n->line;
		p.col = n->col;
		diag_add(b->diag, b->file, p, "nesting deeper than %d levels",
		    PROFILE_MAX_DEPTH);
		goto fail;
	}
	for (;;) {
		if (next_event(b, &ev) == -1)
			goto fail;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (n->n >= PROFILE_MAX_ITEMS * 4) {
			p.line = ev.start_mark.line + 1;
			p.col = ev.start_mark.column + 1;
			diag_add(b->diag, b->file, p, "more than %d entries",
			    PROFILE_MAX_ITEMS * 4);
			yaml_event_delete(&ev);
			goto fail;
		}
		item = build_node(b, &ev);
		yaml_event_delete(&ev);
		if (item == NULL)
			goto fail;
		if (n->type == YNODE_SEQ) {
			ynode_append(n, NULL, item);
			continue;
		}
		if (key == NULL) {
			if (item->type != YNODE_SCALAR) {
				p.line = item->line;
				p.col = item->col;
				diag_add(b->diag, b->file, p,
				    "a key must be a plain word");
				ytree_free(item);
				goto fail;
			}
			if (ytree_get(n, item->value) != NULL) {
				p.line = item->line;
				p.col = item->col;
				diag_add(b->diag, b->file, p,
				    "'%s' is given twice", item->value);
				ytree_free(item);
				goto fail;
			}
			key = item;
			continue;
		}
		ynode_append(n, key, item);
		key = NULL;
	}
	b->depth--;
	return n;
fail:
	ytree_free(key);
	ytree_free(n);
	return NULL;
}

static struct ynode *
build_node(struct builder *b, yaml_event_t *ev)
{
	struct ynode	*n;
	struct pos	 p;

	p.line = ev->start_mark.line + 1;
	p.col = ev->start_mark.column + 1;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			goto anchor;
		n = ynode_new(YNODE_SCALAR, &ev->start_mark);
		n->value = xstrndup((const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		if (strlen(n->value) != ev->data.scalar.length) {
			diag_add(b->diag, b->file, p,
			    "a value holds a NUL character");
			ytree_free(n);
			return NULL;
		}
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor != NULL)
			goto anchor;
		return build_collection(b, ev);
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor != NULL)
			goto anchor;
		return build_collection(b, ev);
	case YAML_ALIAS_EVENT:
		diag_add(b->diag, b->file, p,
		    "aliases (*name) are not allowed in a profile: write the "
		    "value out");
		return NULL;
	default:
		diag_add(b->diag, b->file, p, "unexpected YAML structure");
		return NULL;
	}
anchor:
	diag_add(b->diag, b->file, p,
	    "anchors (&name) are not allowed in a profile: write the value out");
	return NULL;
}

/*
 * Exactly one document.  An empty input yields NULL with a diagnostic:
 * an empty profile is a mistake, not a default.
 */
struct ynode *
ytree_parse(const char *file, const char *buf, size_t len, struct diag *diag)
{
	struct builder	 b;
	yaml_event_t	 ev;
	struct ynode	*root = NULL;
	struct pos	 p = { 0, 0 };
	int		 state = 0;	/* 0 stream, 1 doc, 2 root, 3 doc end */

	memset(&b, 0, sizeof b);
	b.file = file;
	b.diag = diag;
	b.buf = buf;
	b.len = len;
	if (!yaml_parser_initialize(&b.parser))
		fatalx("out of memory initialising the YAML parser");
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf,
	    len);
	for (;;) {
		if (next_event(&b, &ev) == -1)
			goto fail;
		p.line = ev.start_mark.line + 1;
		p.col = ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (state != 0) {
				diag_add(diag, file, p, "only one YAML "
				    "document is allowed in a file");
				yaml_event_delete(&ev);
				goto fail;
			}
			state = 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			state = 3;
			break;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			yaml_parser_delete(&b.parser);
			if (root == NULL) {
				p.line = p.col = 1;
				diag_add(diag, file, p, "the file is empty");
			}
			return root;
		default:
			root = build_node(&b, &ev);
			if (root == NULL) {
				yaml_event_delete(&ev);
				goto fail;
			}
			state = 2;
			break;
		}
		yaml_event_delete(&ev);
	}
fail:
	yaml_parser_delete(&b.parser);
	ytree_free(root);
	return NULL;
}
