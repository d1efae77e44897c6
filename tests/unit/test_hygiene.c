/*
 * Unit tests of what reaches the operator's terminal and the record of a
 * run (audit L2, L5, L6): control characters from a machine are escaped
 * by the plain reporter and in the transcript; a transcript or journal
 * that cannot be written (RLIMIT_FSIZE stands in for a full disk) is
 * noticed; a plan's diff masks what looks like a secret.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "engine.h"
#include "events.h"
#include "journal.h"
#include "log.h"
#include "planner.h"
#include "step.h"
#include "transport.h"

/* A window title, a bell and a C1 CSI (U+009B) a hostile target prints. */
#define HOSTILE	"done\x1b]0;pwned\x07 \xc2\x9b" "31m \x1b[2J\r"

static void
test_printable(void **state)
{
	char	*s;

	(void)state;
	s = str_printable(HOSTILE);
	assert_string_equal(s, "done\\x1b]0;pwned\\x07 \\xc2\\x9b31m "
	    "\\x1b[2J\\x0d");
	free(s);
	/* Tabs and UTF-8 text stay as they are; a lone byte does not. */
	s = str_printable("S\xc3\xa3o Tom\xc3\xa9\tok \xff");
	assert_string_equal(s, "S\xc3\xa3o Tom\xc3\xa9\tok \\xff");
	free(s);
}

static void
emit(enum event_type type, enum result result, const char *text)
{
	struct event	ev = { .type = type, .machine = "db",
	    .step = "postgres", .result = result, .text = text };

	events_emit(&ev);
}

/* The failure's output tail and the message, as the plain reporter shows. */
static void
test_plain_reporter(void **state)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);
	int	 id;

	(void)state;
	assert_non_null(f);
	id = events_plain_subscribe(f, 0);
	emit(EV_STEP_START, RESULT_OK, NULL);
	emit(EV_OUTPUT, RESULT_OK, HOSTILE);
	emit(EV_STEP_RESULT, RESULT_FAILED, HOSTILE);
	events_unsubscribe(id);
	fclose(f);
	assert_null(memchr(buf, 0x1b, len));
	assert_null(memchr(buf, 0x07, len));
	assert_null(strstr(buf, "\xc2\x9b"));
	assert_non_null(strstr(buf, "      | done\\x1b]0;pwned\\x07"));
	assert_non_null(strstr(buf, "failed: done\\x1b]0;pwned"));
	free(buf);
}

static char *
tmpdir(void)
{
	char	*d;

	xasprintf(&d, "%s/d2s-hygiene-XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(d));
	return d;
}

static void
rm_dir(const char *dir, const char *const *names)
{
	char	*p;

	for (; *names != NULL; names++) {
		p = path_join(dir, *names);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

/* Files may grow by no more than what they hold now: a full disk. */
static void
disk_full(int full)
{
	struct rlimit	rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = full ? 0 : rl.rlim_max;
	signal(SIGXFSZ, full ? SIG_IGN : SIG_DFL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void
test_transcript(void **state)
{
	char		*dir = tmpdir(), *path, *err = NULL, *text;
	const char	*names[] = { NULL, NULL };
	size_t		 len;

	(void)state;
	setenv("DHIS2_SETUP_LOGDIR", dir, 1);
	assert_int_equal(log_open("t", &path, &err), 0);
	emit(EV_OUTPUT, RESULT_OK, HOSTILE);
	assert_int_equal(log_failed(), 0);
	/* Escaped in the file too: cat or tail of it is safe. */
	assert_int_equal(read_file_limited(path, 65536, &text, &len), 0);
	assert_null(memchr(text, 0x1b, len));
	assert_non_null(strstr(text, "db postgres: | done\\x1b]0;pwned"));
	free(text);
	/* A full disk is noticed, not ignored. */
	disk_full(1);
	emit(EV_NOTE, RESULT_OK, "this line cannot be written");
	disk_full(0);
	assert_int_not_equal(log_failed(), 0);
	log_close();
	names[0] = strrchr(path, '/') + 1;
	rm_dir(dir, names);
	unsetenv("DHIS2_SETUP_LOGDIR");
	free(path);
	free(dir);
}

static void
test_journal_full(void **state)
{
	struct journal	 j;
	char		*dir = tmpdir(), *err = NULL, *jdir;
	const char	*names[] = { "lock", "journal", "status", "events",
	    NULL };

	(void)state;
	setenv("DHIS2_SETUP_STATEDIR", dir, 1);
	assert_int_equal(journal_open(&j, "/x/site.yaml", &err), 0);
	assert_int_equal(j.write_errno, 0);
	disk_full(1);
	journal_finish(&j, "1 ok");
	disk_full(0);
	assert_int_not_equal(j.write_errno, 0);
	jdir = xstrdup(j.dir);
	journal_close(&j);
	rm_dir(jdir, names);
	rmdir(dir);
	unsetenv("DHIS2_SETUP_STATEDIR");
	free(jdir);
	free(dir);
}

/* A file not marked secret may hold secrets all the same. */
static void
test_diff_masks(void **state)
{
	char	*d;

	(void)state;
	d = step_diff("DATA_SOURCE_NAME=postgresql://u:hunter2@db/x\n"
	    "  smtp_auth_password: 'hunter3'\n"
	    "requirepass hunter4\n"
	    "url = https://bob:hunter5@example.org/x\n"
	    "proxy_pass http://127.0.0.1:8080/;\n", "", 20);
	assert_null(strstr(d, "hunter"));
	assert_non_null(strstr(d, "-DATA_SOURCE_NAME=********\n"));
	assert_non_null(strstr(d, "-  smtp_auth_password:********\n"));
	assert_non_null(strstr(d, "-requirepass ********\n"));
	assert_non_null(strstr(d, "-url = https://bob:********\n"));
	/* What is not a secret is shown as it is. */
	assert_non_null(strstr(d, "-proxy_pass http://127.0.0.1:8080/;\n"));
	free(d);
	d = step_diff("-----BEGIN PRIVATE KEY-----\nMIIE\n", "x\n", 20);
	assert_null(strstr(d, "MIIE"));
	free(d);
}

/* The files the fake step rewrites: one others cannot read, one public. */
static char	*prev_dir;

static enum result
would_put(struct step_ctx *ctx)
{
	step_would(ctx, "rewrite both");
	return RESULT_CHANGED;
}

static enum result
put_two(struct step_ctx *ctx)
{
	char	*p;

	p = path_join(prev_dir, "secret.conf");
	step_put(ctx, p, "password = new\n", 15, 0640, NULL, NULL);
	free(p);
	p = path_join(prev_dir, "public.conf");
	step_put(ctx, p, "new\n", 4, 0644, NULL, NULL);
	free(p);
	return RESULT_CHANGED;
}

/*
 * After a step, no .prev keeps the old content of a file others cannot
 * read (a rotated secret); a public file's .prev stays for the operator.
 */
static void
test_prev_of_secrets(void **state)
{
	static const struct step s_put = { .name = "put",
	    .summary = "puts", .check = would_put, .apply = put_two };
	const char		*names[] = { "secret.conf", "public.conf",
	    "public.conf.prev", "secret.conf.prev", NULL };
	struct plan		 pl;
	struct plan_machine	 m;
	struct plan_step	 s;
	struct engine_opts	 o = { 1, 0 };
	struct engine_summary	 sum;
	struct profile		 p;
	char			*path;

	(void)state;
	prev_dir = tmpdir();
	path = path_join(prev_dir, "secret.conf");
	assert_int_equal(write_file_atomic(path, "password = old\n", 15,
	    0640), 0);
	free(path);
	path = path_join(prev_dir, "public.conf");
	assert_int_equal(write_file_atomic(path, "old\n", 4, 0644), 0);
	free(path);
	memset(&pl, 0, sizeof pl);
	memset(&p, 0, sizeof p);
	memset(&m, 0, sizeof m);
	m.name = "a";
	m.t = transport_local_new("a");
	m.facts.probed = 1;
	s = (struct plan_step){ .step = &s_put, .machine = 0 };
	pl.machines = &m;
	pl.nmachines = 1;
	pl.steps = &s;
	pl.nsteps = 1;
	engine_run(&pl, &p, NULL, &o, &sum);
	assert_int_equal(s.result, RESULT_CHANGED);
	path = path_join(prev_dir, "secret.conf.prev");
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	path = path_join(prev_dir, "public.conf.prev");
	assert_int_equal(access(path, F_OK), 0);
	free(path);
	free(s.msg);
	transport_free(m.t);
	events_reset();
	rm_dir(prev_dir, names);
	free(prev_dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_plain_reporter),
		cmocka_unit_test(test_transcript),
		cmocka_unit_test(test_journal_full),
		cmocka_unit_test(test_diff_masks),
		cmocka_unit_test(test_prev_of_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
