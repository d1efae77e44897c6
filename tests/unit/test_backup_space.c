/*
 * The backup script's free-space guard (audit L6): the real script of
 * steps/backup.c, run here with stand-ins for df and pg_dump, makes no
 * dump when the folder's filesystem has less room than the last dump
 * and a reserve, so the backups cannot fill PGDATA's filesystem.
 */
#include "config.h"

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The script is the step's own text, a static of the step. */
#include "../../steps/backup.c"

static char	*dir;

static void
put(const char *name, const char *text, mode_t mode)
{
	char	*p = path_join(dir, name);

	assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
	free(p);
}

/* Run the script with df saying free_kb; 1 when pg_dump was called. */
static int
run(long free_kb, int *rc, char **out)
{
	char	*df, *cmd, *mark;
	size_t	 len;
	int	 called;

	xasprintf(&df, "#!/bin/sh\necho 'Filesystem 1024-blocks Used "
	    "Available Capacity Mounted on'\necho \"/dev/x 99999999 0 %ld "
	    "1%% /\"\n", free_kb);
	put("bin/df", df, 0755);
	free(df);
	xasprintf(&mark, "%s/pg_dump.called", dir);
	unlink(mark);
	xasprintf(&cmd, "cd %s && DHIS2_BACKUP_CONF=%s/backup.conf "
	    "PATH=%s/bin:$PATH sh ./dhis2-backup > out 2>&1", dir, dir, dir);
	*rc = system(cmd);
	free(cmd);
	called = access(mark, F_OK) == 0;
	free(mark);
	xasprintf(&cmd, "%s/out", dir);
	assert_int_equal(read_file_limited(cmd, 65536, out, &len), 0);
	free(cmd);
	return called;
}

static void
test_free_space(void **state)
{
	char	*conf, *mark, *out;
	int	 rc;

	(void)state;
	xasprintf(&dir, "%s/d2s-backup-XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	put("dhis2-backup", backup_script, 0700);
	xasprintf(&conf, "dir=%s/dumps\nretention_days=7\ninstance=hmis:hmis\n",
	    dir);
	put("backup.conf", conf, 0600);
	free(conf);
	xasprintf(&mark, "%s/pg_dump.called", dir);
	xasprintf(&conf, "%s/bin", dir);
	assert_int_equal(mkdir(conf, 0700), 0);
	free(conf);
	xasprintf(&conf, "#!/bin/sh\ntouch %s\nexit 1\n", mark);
	put("bin/pg_dump", conf, 0755);
	free(conf);
	free(mark);
	xasprintf(&conf, "%s/dumps", dir);
	assert_int_equal(mkdir(conf, 0700), 0);
	free(conf);
	/* A last dump of 4 MiB. */
	xasprintf(&conf, "%s/dumps/hmis", dir);
	assert_int_equal(mkdir(conf, 0700), 0);
	free(conf);
	conf = xcalloc(1, 4 << 20);
	memset(conf, 'x', (4 << 20) - 1);
	put("dumps/hmis/hmis-20260101T020000.dump", conf, 0600);
	free(conf);

	/* 100 MiB free: less than the reserve. */
	assert_false(run(100 * 1024, &rc, &out));
	assert_int_not_equal(rc, 0);
	if (strstr(out, "dhis2-backup: the dump of hmis SKIPPED") == NULL)
		fail_msg("%s", out);
	free(out);
	/* 10 GiB free: the dump is made (the stand-in fails it). */
	assert_true(run(10L * 1024 * 1024, &rc, &out));
	free(out);
	xasprintf(&conf, "rm -rf %s", dir);
	assert_int_equal(system(conf), 0);
	free(conf);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
