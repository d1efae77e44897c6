/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The wizard's walk through its questionnaire (wizard_screens.c): the
 * screens as this build offers them, reading and storing a field's
 * value, Next and Back, the review and the save.  Nothing here draws:
 * the frontends (newt_frontend.c, text_frontend.c) render the screens so
 * that both ask exactly the same things.  What the walk ended with goes
 * back to the command line (cli/cmd_wizard.c).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "feature.h"
#include "profile.h"
#include "schema.h"
#include "tui.h"

#define MAX_HISTORY	256
#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/*
 * New machines get a name and roles in the order of the hosting guide's
 * reference layout, so that a new user only types the addresses.
 */
static void
machine_defaults(struct machine *m, size_t i)
{
	static const struct {
		const char	*name;
		unsigned	 roles;
	} guess[] = {
		{ .name = "proxy", .roles = ROLE_BIT(ROLE_PROXY) },
		{ .name = "app", .roles = ROLE_BIT(ROLE_APP) },
		{ .name = "db",
		  .roles = ROLE_BIT(ROLE_DATABASE) | ROLE_BIT(ROLE_BACKUP) },
		{ .name = "monitor", .roles = ROLE_BIT(ROLE_MONITOR) },
		{ .name = "replica", .roles = ROLE_BIT(ROLE_REPLICA) },
		{ .name = "redis", .roles = ROLE_BIT(ROLE_REDIS) },
	};

	memset(m, 0, sizeof *m);
	if (i < NITEMS(guess)) {
		m->name = xstrdup(guess[i].name);
		m->roles = guess[i].roles;
	} else {
		xasprintf(&m->name, "host%zu", i + 1);
		m->roles = ROLE_BIT(ROLE_APP);
	}
	m->ssh_user = xstrdup("root");
	m->ssh_port = 22;
}

static void
instance_defaults(struct instance *in, size_t i)
{
	memset(in, 0, sizeof *in);
	schema_defaults(schema_section("instances"), in);
	if (i == 0) {
		in->name = xstrdup("dhis");
		in->base_path = xstrdup("/");
	} else {
		xasprintf(&in->name, "dhis%zu", i + 1);
		xasprintf(&in->base_path, "/dhis%zu", i + 1);
	}
	in->version = xstrdup("2.41");
}

void
wizard_resize_machines(struct profile *p, size_t n)
{
	size_t	i;

	for (i = n; i < p->nmachines; i++)
		machine_clear(&p->machines[i]);
	if (n > p->nmachines) {
		p->machines = xreallocarray(p->machines, n, sizeof *p->machines);
		for (i = p->nmachines; i < n; i++)
			machine_defaults(&p->machines[i], i);
	}
	p->nmachines = n;
}

void
wizard_resize_instances(struct profile *p, size_t n)
{
	size_t	i;

	for (i = n; i < p->ninstances; i++)
		instance_clear(&p->instances[i]);
	if (n > p->ninstances) {
		p->instances = xreallocarray(p->instances, n,
		    sizeof *p->instances);
		for (i = p->ninstances; i < n; i++)
			instance_defaults(&p->instances[i], i);
	}
	p->ninstances = n;
}

/* The profile key a field names; a name no row has is a bug. */
static const struct schema_row *
field_row(const struct field *f)
{
	const struct schema_row	*row;

	if (f->schema == NULL)
		return NULL;
	if ((row = schema_find_path(f->schema)) == NULL)
		fatalx("wizard field %s: no profile key %s", f->key, f->schema);
	return row;
}

/*
 * The screens as this build offers them: fields and choices whose
 * feature no step builds yet are left out, and the intro says what is
 * coming.  Made once; field indexes in messages refer to these.
 */
static struct screen	*offered;

static int
is_offered(int needs)
{
	return needs == 0 || feature_built(needs - 1);
}

/* A field's feature: its own, else its profile key's (schema .needs). */
static int
field_needs(const struct field *f)
{
	const struct schema_row	*row = field_row(f);
	int			 feature;

	if (f->needs != 0 || row == NULL)
		return f->needs;
	feature = schema_feature(row);
	return feature < 0 ? 0 : NEEDS(feature);
}

static void
note_coming(unsigned *coming, int needs)
{
	if (!is_offered(needs))
		*coming |= 1u << (needs - 1);
}

static const struct choice *
offered_choices(const struct field *f, size_t *n, unsigned *coming)
{
	struct choice	*cs = xreallocarray(NULL, f->nchoices, sizeof *cs);
	size_t		 i;

	*n = 0;
	for (i = 0; i < f->nchoices; i++) {
		note_coming(coming, f->choices[i].needs);
		if (is_offered(f->choices[i].needs))
			cs[(*n)++] = f->choices[i];
	}
	return cs;
}

static char *
coming_intro(const char *intro, unsigned coming)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	const char	*sep = "\n\nComing, not built yet: ";
	int		 f;

	strbuf_add(&sb, intro, strlen(intro));
	for (f = 0; f < FEATURE_COUNT; f++) {
		if (!(coming & (1u << f)))
			continue;
		strbuf_add(&sb, sep, strlen(sep));
		strbuf_add(&sb, feature_title(f), strlen(feature_title(f)));
		sep = ", ";
	}
	strbuf_add(&sb, ". This version does not install it.",
	    strlen(". This version does not install it."));
	return sb.buf;
}

static void
offer_screen(struct screen *o, const struct screen *s)
{
	struct field	*fs = xreallocarray(NULL, s->nfields + 1, sizeof *fs);
	unsigned	 coming = 0;
	size_t		 i, k = 0;

	*o = *s;
	for (i = 0; i < s->nfields; i++) {
		/* A wrong key stops here. */
		note_coming(&coming, field_needs(&s->fields[i]));
		if (!is_offered(field_needs(&s->fields[i])))
			continue;
		fs[k] = s->fields[i];
		if (fs[k].kind == FIELD_CHOICE)
			fs[k].choices = offered_choices(&s->fields[i],
			    &fs[k].nchoices, &coming);
		k++;
	}
	o->fields = fs;
	o->nfields = k;
	if (k == 0 && s->nfields > 0) {
		/* Nothing to ask: no test to run, no facts to check. */
		o->info = NULL;
		o->check = NULL;
		o->action = NULL;
		o->action_label = NULL;
	}
	if (coming != 0)
		o->intro = coming_intro(s->intro, coming);
}

const struct screen *
screen_offered(size_t i)
{
	size_t	k;

	if (offered == NULL) {
		offered = xreallocarray(NULL, nscreens, sizeof *offered);
		for (k = 0; k < nscreens; k++)
			offer_screen(&offered[k], &screens[k]);
	}
	return &offered[i];
}

static void
screens_offered_free(void)
{
	size_t	i, k;

	if (offered == NULL)
		return;
	for (i = 0; i < nscreens; i++) {
		for (k = 0; k < offered[i].nfields; k++) {
			if (offered[i].fields[k].kind == FIELD_CHOICE)
				free((void *)offered[i].fields[k].choices);
		}
		free((void *)offered[i].fields);
		if (offered[i].intro != screens[i].intro)
			free((char *)offered[i].intro);
	}
	free(offered);
	offered = NULL;
}

static void *
field_base(struct wizard *w, const struct field *f, size_t idx)
{
	switch (f->base) {
	case BASE_PROFILE:
		return &w->p;
	case BASE_MACHINE:
		return &w->p.machines[idx];
	case BASE_INSTANCE:
		return &w->p.instances[idx];
	case BASE_CUSTOM:
		break;
	}
	return NULL;
}

/* The current value as the operator would type it. */
char *
field_get(struct wizard *w, const struct field *f, size_t idx)
{
	char	*base, *s;
	int	 v;

	if (f->base == BASE_CUSTOM)
		return f->get(w, idx);
	base = field_base(w, f, idx);
	switch (f->kind) {
	case FIELD_TEXT:
		s = *(char **)(base + f->off);
		return xstrdup(s != NULL ? s : "");
	case FIELD_INT:
		xasprintf(&s, "%d", *(int *)(base + f->off));
		return s;
	case FIELD_BOOL:
		return xstrdup(*(int *)(base + f->off) ? "yes" : "no");
	case FIELD_CHOICE:
		v = *(int *)(base + f->off);
		s = (char *)choice_enum_name(f, v);
		return xstrdup(s != NULL ? s : f->choices[0].value);
	}
	return xstrdup("");
}

static const char *
set_choice(struct wizard *w, const struct field *f, int *dst, const char *s)
{
	const char	*name;
	int		 v;

	for (v = 0; (name = choice_enum_name(f, v)) != NULL; v++) {
		if (strcmp(name, s) == 0) {
			*dst = v;
			return NULL;
		}
	}
	snprintf(w->err, sizeof w->err, "choose one of the list");
	return w->err;
}

/*
 * NULL when text is a valid value, else why not: the field's own check
 * and words, or its profile key's validator and hint.
 */
static const char *
field_refuses(const struct field *f, const char *s)
{
	const struct schema_row	*row = field_row(f);

	if (f->valid != NULL)
		return f->valid(s) ? NULL : f->invalid;
	if (row == NULL || row->valid == NULL || row->valid(s))
		return NULL;
	return schema_hint(row);
}

static void
field_range(const struct field *f, long long *min, long long *max)
{
	const struct schema_row	*row = field_row(f);

	*min = row != NULL ? row->min : f->min;
	*max = row != NULL ? row->max : f->max;
}

/* Store typed text; NULL, or why it was refused. */
const char *
field_set(struct wizard *w, const struct field *f, size_t idx, const char *s)
{
	char		*base, **sp;
	const char	*errstr, *why;
	long long	 n, min, max;

	if (f->base == BASE_CUSTOM)
		return f->set(w, idx, s);
	base = field_base(w, f, idx);
	switch (f->kind) {
	case FIELD_TEXT:
		sp = (char **)(base + f->off);
		if (*s == '\0') {
			if (!f->optional)
				return "this cannot be empty";
			free(*sp);
			*sp = NULL;
			return NULL;
		}
		if ((why = field_refuses(f, s)) != NULL)
			return why;
		free(*sp);
		*sp = xstrdup(s);
		return NULL;
	case FIELD_INT:
		field_range(f, &min, &max);
		n = strtonum_checked(s, min, max, &errstr);
		if (errstr != NULL) {
			snprintf(w->err, sizeof w->err, "a number from %lld to "
			    "%lld", min, max);
			return w->err;
		}
		*(int *)(base + f->off) = (int)n;
		return NULL;
	case FIELD_BOOL:
		if (strcmp(s, "yes") == 0 || strcmp(s, "y") == 0)
			*(int *)(base + f->off) = 1;
		else if (strcmp(s, "no") == 0 || strcmp(s, "n") == 0)
			*(int *)(base + f->off) = 0;
		else
			return "yes or no";
		return NULL;
	case FIELD_CHOICE:
		return set_choice(w, f, (int *)(base + f->off), s);
	}
	return NULL;
}

const char *
screen_title(struct wizard *w, const struct screen *s, size_t idx, char *buf,
    size_t len)
{
	size_t	n = s->count != NULL ? s->count(w) : 1;

	if (n > 1)
		snprintf(buf, len, "%s %zu of %zu", s->title, idx + 1, n);
	else
		snprintf(buf, len, "%s", s->title);
	return buf;
}

void
screen_enter(struct wizard *w, const struct screen *s, size_t idx)
{
	if (s->enter != NULL)
		s->enter(w, idx);
}

const char *
screen_check(struct wizard *w, const struct screen *s, size_t idx,
    int *field)
{
	*field = 0;
	if (s->check == NULL)
		return NULL;
	return s->check(w, idx, field);
}

static size_t
screen_count(const struct wizard *w, size_t s)
{
	return screens[s].count != NULL ? screens[s].count(w) : 1;
}

/* The step after (s, idx); s == nscreens is the review. */
static void
next_step(const struct wizard *w, size_t *s, size_t *idx)
{
	if (*s < nscreens && *idx + 1 < screen_count(w, *s)) {
		(*idx)++;
		return;
	}
	*idx = 0;
	for ((*s)++; *s < nscreens; (*s)++) {
		if (screen_count(w, *s) > 0)
			return;
	}
}

static void
add_diag(struct strbuf *sb, const struct diag *d, const char *path)
{
	size_t	i, plen = strlen(path);
	char	*m;

	for (i = 0; i < d->n; i++) {
		m = d->msgs[i];
		/* "file:line:col: " points into a file not written yet. */
		if (strncmp(m, path, plen) == 0 && m[plen] == ':') {
			m += plen + 1;
			m += strspn(m, "0123456789:");
			m += strspn(m, " ");
		}
		strbuf_add(sb, "  ! ", 4);
		strbuf_add(sb, m, strlen(m));
		strbuf_add(sb, "\n", 1);
	}
}

/* The review: the checker's messages first, then the profile itself. */
static char *
review_text(struct wizard *w, int *nerr)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	struct diag	 err, warn;
	char		*yaml, *line, *plan;
	const char	*head;
	size_t		 len;

	diag_init(&err);
	diag_init(&warn);
	profile_check(&w->p, &err, &warn);
	*nerr = (int)err.n;
	xasprintf(&line, "%s, %s, %zu instance%s at %s; saved to %s\n",
	    hosting_name(w->p.hosting), isolation_name(w->p.isolation),
	    w->p.ninstances, w->p.ninstances == 1 ? "" : "s",
	    w->p.fqdn != NULL ? w->p.fqdn : "?", w->output);
	strbuf_add(&sb, line, strlen(line));
	free(line);
	if (err.n > 0) {
		strbuf_add(&sb, "Errors (go Back to fix):\n", 25);
		add_diag(&sb, &err, w->p.path);
	}
	if (warn.n > 0) {
		strbuf_add(&sb, "Warnings:\n", 10);
		add_diag(&sb, &warn, w->p.path);
	}
	if (err.n == 0 && warn.n == 0)
		strbuf_add(&sb, "The checks found nothing to say.\n", 33);
	if (err.n == 0) {
		head = "The plan, step by step on each machine ('dhis2-setup "
		    "plan' checks each against the machine):\n";
		strbuf_add(&sb, head, strlen(head));
		plan = plan_text(w);
		strbuf_add(&sb, plan, strlen(plan));
		free(plan);
	}
	strbuf_add(&sb, "\nThe profile:\n", strlen("\nThe profile:\n"));
	if ((yaml = profile_save_buffer(&w->p, &len)) != NULL) {
		strbuf_add(&sb, yaml, len);
		free(yaml);
	}
	diag_free(&err);
	diag_free(&warn);
	return sb.buf;
}

/* *stay: not saved, and the review is shown again. */
static enum wizard_result
review_and_save(struct wizard *w, enum fe_result *r, int *stay)
{
	char	*text, *errmsg;
	int	 nerr;

	*stay = 0;
	wizard_normalise(w);
	text = review_text(w, &nerr);
	*r = w->fe->review(w, text, nerr);
	free(text);
	if (*r != FE_NEXT && *r != FE_APPLY)
		return WIZARD_FAILED;
	if (nerr > 0) {
		w->fe->message(w, "Not saved", "The profile has errors: go "
		    "Back and fix the screens they name.");
		*stay = 1;
		return WIZARD_FAILED;
	}
	if (profile_save_file(&w->p, w->output, &errmsg) == -1) {
		w->fe->message(w, "Not saved", errmsg);
		free(errmsg);
		*stay = 1;
		return WIZARD_FAILED;
	}
	return *r == FE_APPLY ? WIZARD_APPLY : WIZARD_SAVED;
}

static enum wizard_result
walk(struct wizard *w)
{
	size_t		 hist_s[MAX_HISTORY], hist_i[MAX_HISTORY], nhist = 0;
	size_t		 s = 0, idx = 0;
	enum fe_result	 r;
	enum wizard_result	 rr;
	int		 stay;

	for (;;) {
		if (s == nscreens) {
			rr = review_and_save(w, &r, &stay);
			if (rr == WIZARD_SAVED || rr == WIZARD_APPLY)
				return rr;
			if (stay)
				continue;
		} else {
			screen_enter(w, screen_offered(s), idx);
			r = w->fe->screen(w, screen_offered(s), idx);
		}
		switch (r) {
		case FE_NEXT:
			if (s == 0 && w->p.hosting == HOSTING_SAAS)
				return WIZARD_SAAS;
			if (nhist < MAX_HISTORY) {
				hist_s[nhist] = s;
				hist_i[nhist++] = idx;
			}
			next_step(w, &s, &idx);
			break;
		case FE_BACK:
			if (nhist > 0) {
				s = hist_s[--nhist];
				idx = hist_i[nhist];
			}
			break;
		case FE_QUIT:
			return WIZARD_QUIT;
		case FE_ERROR:
		case FE_APPLY:
			return WIZARD_FAILED;
		}
	}
}

static const char workshop_note[] =
    "Workshop mode: a practice server on THIS machine, in LXC containers "
    "(proxy, DHIS2, database), with lab defaults:\n"
    "  - self-signed certificate (browsers warn: fine in a class)\n"
    "  - small Java heap (1GB), no monitoring, no backups\n"
    "  - server name dhis2.workshop.test, reached from this machine\n"
    "Every answer can still be changed; F1 explains each screen. Not for "
    "real data.";

enum wizard_result
wizard_run(struct wizard *w)
{
	enum wizard_result	wr;

	if (w->fe->start(w) == -1)
		return WIZARD_NO_FRONTEND;
	if (w->workshop)
		w->fe->message(w, "Workshop mode", workshop_note);
	wr = walk(w);
	w->fe->stop(w);
	return wr;
}

void
wizard_free(struct wizard *w)
{
	screens_offered_free();
	wizard_actions_free(w);
	profile_free(&w->p);
	free(w->output);
	free(w->enc_confirm);
}

