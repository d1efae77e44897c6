/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The plain-text frontend: the wizard's questions as line prompts on
 * stdin/stdout, for TERM=dumb, serial consoles, pipes and screen readers.
 * "?" shows the screen's help, "<" goes back a screen, "!q" quits, an
 * empty line keeps the value in brackets, "-" clears an optional one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "tui.h"

#define WRAP	76

enum answer {
	ANSWER_OK,
	ANSWER_BACK,
	ANSWER_QUIT,
	ANSWER_EOF,
};

static int
text_start(struct wizard *w)
{
	(void)w;
	/* Prompts must reach a pipe before we block on the answer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("dhis2-setup wizard (plain text).  At any prompt: ? help, "
	    "< back, !q quit;\nEnter keeps the value in [brackets], - clears "
	    "an optional one.\n");
	return 0;
}

static void
text_stop(struct wizard *w)
{
	(void)w;
	fflush(stdout);
}

/* Print text wrapped at WRAP columns, keeping its own line breaks. */
static void
print_wrapped(const char *text, const char *indent)
{
	const char	*p = text, *brk, *q;
	size_t		 width = WRAP - strlen(indent), n;

	while (*p != '\0') {
		n = strcspn(p, "\n");
		while (n > width) {
			brk = NULL;
			for (q = p; q < p + width; q++) {
				if (*q == ' ')
					brk = q;
			}
			if (brk == NULL)
				brk = p + width;
			printf("%s%.*s\n", indent, (int)(brk - p), p);
			p = brk + (*brk == ' ');
			n = strcspn(p, "\n");
		}
		printf("%s%.*s\n", indent, (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* One line without its end; NULL at the end of the input. */
static char *
read_line(void)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((n = getline(&line, &cap, stdin)) == -1) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	return line;
}

static void
show_help(const struct screen *s)
{
	char	*text;

	if ((text = help_load(s->id)) == NULL) {
		printf("  (no help text found for %s)\n", s->id);
		return;
	}
	printf("---- help: %s ----\n", s->title);
	fputs(text, stdout);
	if (*text != '\0' && text[strlen(text) - 1] != '\n')
		putchar('\n');
	printf("----\n");
	free(text);
}

static void
prompt(const struct field *f, const char *cur)
{
	size_t	i;

	switch (f->kind) {
	case FIELD_CHOICE:
		printf("%s:\n", f->label);
		for (i = 0; i < f->nchoices; i++)
			printf("  %zu) %-12s %s\n", i + 1, f->choices[i].value,
			    f->choices[i].label);
		printf("Choose 1-%zu [%s]: ", f->nchoices, cur);
		break;
	case FIELD_BOOL:
		printf("%s (yes/no) [%s]: ", f->label, cur);
		break;
	case FIELD_TEXT:
	case FIELD_INT:
		printf("%s [%s]: ", f->label, cur);
		break;
	}
	fflush(stdout);
}

/* Turn a typed choice number into the choice's name. */
static char *
choice_answer(const struct field *f, const char *line)
{
	const char	*errstr;
	long long	 n;

	n = strtonum_checked(line, 1, f->nchoices, &errstr);
	if (errstr == NULL)
		return xstrdup(f->choices[n - 1].value);
	return xstrdup(line);
}

static enum answer
ask_field(struct wizard *w, const struct screen *s, size_t idx, size_t fi)
{
	const struct field	*f = &s->fields[fi];
	const char		*err;
	char			*cur, *line, *v;
	enum answer		 a;

	for (;;) {
		cur = field_get(w, f, idx);
		prompt(f, cur);
		if ((line = read_line()) == NULL) {
			free(cur);
			putchar('\n');
			return ANSWER_EOF;
		}
		if (strcmp(line, "?") == 0) {
			show_help(s);
			free(line);
			free(cur);
			continue;
		}
		if (strcmp(line, "<") == 0 || strcmp(line, "!q") == 0) {
			a = line[0] == '<' ? ANSWER_BACK : ANSWER_QUIT;
			free(cur);
			free(line);
			return a;
		}
		if (*line == '\0')
			v = xstrdup(cur);
		else if (strcmp(line, "-") == 0 && f->kind == FIELD_TEXT)
			v = xstrdup("");
		else if (f->kind == FIELD_CHOICE)
			v = choice_answer(f, line);
		else
			v = xstrdup(line);
		free(line);
		free(cur);
		err = field_set(w, f, idx, v);
		free(v);
		if (err == NULL)
			return ANSWER_OK;
		printf("  ! %s: %s\n", f->label, err);
	}
}

static enum fe_result
answer_result(enum answer a)
{
	switch (a) {
	case ANSWER_OK:
		return FE_NEXT;
	case ANSWER_BACK:
		return FE_BACK;
	case ANSWER_QUIT:
		return FE_QUIT;
	case ANSWER_EOF:
		break;
	}
	fprintf(stderr, "dhis2-setup: the input ended before the wizard "
	    "finished\n");
	return FE_ERROR;
}

/* yes, no (the default), or "<" / "!q"; ANSWER_OK with *yes set. */
static enum answer
yes_no(const char *question, int *yes)
{
	char	*line;

	for (;;) {
		printf("%s (yes/no) [no]: ", question);
		fflush(stdout);
		if ((line = read_line()) == NULL) {
			putchar('\n');
			return ANSWER_EOF;
		}
		if (strcmp(line, "<") == 0 || strcmp(line, "!q") == 0) {
			enum answer a = line[0] == '<' ? ANSWER_BACK :
			    ANSWER_QUIT;

			free(line);
			return a;
		}
		*yes = strcmp(line, "yes") == 0 || strcmp(line, "y") == 0;
		if (*yes || *line == '\0' || strcmp(line, "no") == 0 ||
		    strcmp(line, "n") == 0) {
			free(line);
			return ANSWER_OK;
		}
		free(line);
	}
}

/* The screen's button, as a question: run it when the answer is yes. */
static enum answer
offer_action(struct wizard *w, const struct screen *s, size_t idx)
{
	enum answer	a;
	char		q[80];
	int		yes;

	snprintf(q, sizeof q, "%s now?", s->action_label);
	if ((a = yes_no(q, &yes)) == ANSWER_OK && yes)
		s->action(w, idx);
	return a;
}

static enum fe_result
text_screen(struct wizard *w, const struct screen *s, size_t idx)
{
	char		 title[80], *info;
	const char	*err;
	enum answer	 a;
	size_t		 i;
	int		 fi;

	printf("\n== %s ==\n", screen_title(w, s, idx, title, sizeof title));
	print_wrapped(s->intro, "");
	if (s->info != NULL && (info = s->info(w, idx)) != NULL) {
		print_wrapped(info, "");
		free(info);
	}
	if (s->action != NULL && s->action_first &&
	    (a = offer_action(w, s, idx)) != ANSWER_OK)
		return answer_result(a);
	for (i = 0; i < s->nfields; i++) {
		if ((a = ask_field(w, s, idx, i)) != ANSWER_OK)
			return answer_result(a);
	}
	/* A rule across fields: ask again the field it names. */
	while ((err = screen_check(w, s, idx, &fi)) != NULL) {
		printf("  ! %s: %s\n", s->fields[fi].label, err);
		if ((a = ask_field(w, s, idx, fi)) != ANSWER_OK)
			return answer_result(a);
	}
	if (s->action != NULL && !s->action_first &&
	    (a = offer_action(w, s, idx)) != ANSWER_OK)
		return answer_result(a);
	return FE_NEXT;
}

static enum fe_result
text_review(struct wizard *w, const char *text, int nerr)
{
	char	*line;
	int	 save;

	(void)w;
	printf("\n== Review ==\n");
	print_wrapped(text, "");
	for (;;) {
		printf("%s [yes = save,%s < = back, !q = quit]: ", nerr ?
		    "The profile has errors; save anyway?" : "Save?",
		    nerr ? "" : " apply = save and apply,");
		fflush(stdout);
		if ((line = read_line()) == NULL)
			return answer_result(ANSWER_EOF);
		if (strcmp(line, "<") == 0) {
			free(line);
			return FE_BACK;
		}
		if (strcmp(line, "!q") == 0) {
			free(line);
			return FE_QUIT;
		}
		if (strcmp(line, "?") == 0) {
			free(line);
			line = help_load("review");
			if (line != NULL)
				fputs(line, stdout);
			free(line);
			continue;
		}
		save = strcmp(line, "yes") == 0 || strcmp(line, "y") == 0;
		if (!nerr && strcmp(line, "apply") == 0) {
			free(line);
			return FE_APPLY;
		}
		free(line);
		if (save)
			return FE_NEXT;
	}
}

static void
text_message(struct wizard *w, const char *title, const char *text)
{
	(void)w;
	printf("\n== %s ==\n", title);
	print_wrapped(text, "");
}

static int
text_ask(struct wizard *w, const char *title, const char *text)
{
	int	yes = 0;

	(void)w;
	printf("\n== %s ==\n", title);
	print_wrapped(text, "");
	if (yes_no("Answer", &yes) != ANSWER_OK)
		return 0;
	return yes;
}

const struct frontend text_frontend = {
	.name = "text",
	.start = text_start,
	.stop = text_stop,
	.screen = text_screen,
	.review = text_review,
	.message = text_message,
	.ask = text_ask,
};
