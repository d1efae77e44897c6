/*
 * Unit tests of the secrets file's hygiene (audit L2, L6): env: values
 * leave the environment, files of secrets that another user owns, that
 * others can write or that sit in a folder others can write are refused,
 * as are symbolic links and FIFOs (at once, without waiting), and core
 * dumps are off.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
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

#include "core.h"
#include "profile.h"
#include "secrets.h"

struct fixture {
	char	*dir;		/* a private folder */
	char	*spath;		/* DIR/s.yaml */
	char	*fpath;		/* DIR/key.txt */
};

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof *f);

	xasprintf(&f->dir, "%s/d2s-secrets-XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	xasprintf(&f->spath, "%s/s.yaml", f->dir);
	xasprintf(&f->fpath, "%s/key.txt", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	unlink(f->spath);
	unlink(f->fpath);
	rmdir(f->dir);
	free(f->spath);
	free(f->fpath);
	free(f->dir);
	free(f);
	return 0;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Load path; on refusal, the first message must hold want. */
static int
load(const char *path, const char *want)
{
	struct secrets	s;
	struct diag	d;
	int		rc;

	diag_init(&d);
	secrets_init(&s);
	rc = secrets_load(&s, path, &d);
	if (want != NULL) {
		assert_int_equal(rc, -1);
		assert_true(d.n > 0);
		if (strstr(d.msgs[0], want) == NULL)
			fail_msg("'%s' does not say '%s'", d.msgs[0], want);
	}
	secrets_free(&s);
	diag_free(&d);
	return rc;
}

/* A child started after the load (runuser, psql, apt) sees no env: value. */
static void
test_env_taken(void **state)
{
	struct fixture	*f = *state;
	struct secrets	 s;
	struct diag	 d;
	char		*env;
	int		 i;

	put(f->spath, "a: env:D2S_UNIT_TAKEN\n", 0600);
	setenv("D2S_UNIT_TAKEN", "hunter2-from-env", 1);
	env = getenv("D2S_UNIT_TAKEN");
	diag_init(&d);
	for (i = 0; i < 2; i++) {	/* a second load still finds it */
		secrets_init(&s);
		assert_int_equal(secrets_load(&s, f->spath, &d), 0);
		assert_string_equal(secrets_get(&s, "a"), "hunter2-from-env");
		secrets_free(&s);
		assert_null(getenv("D2S_UNIT_TAKEN"));
	}
	/* The environment's own bytes were wiped, not only unlinked. */
	assert_null(strstr(env, "hunter2"));
	diag_free(&d);
}

static void
test_modes(void **state)
{
	struct fixture	*f = *state;

	put(f->spath, "a: b\n", 0600);
	assert_int_equal(load(f->spath, NULL), 0);
	/* Writable by the group: whoever can write it sets the passwords. */
	put(f->spath, "a: b\n", 0620);
	load(f->spath, "can be read or written by group or others (mode 620)");
	put(f->spath, "a: b\n", 0600);
	/* A folder others can write: they could put their own file there. */
	assert_int_equal(chmod(f->dir, 0777), 0);
	load(f->spath, "which group or others can write (mode 777)");
	assert_int_equal(chmod(f->dir, 0770), 0);
	load(f->spath, "which group or others can write (mode 770)");
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(load(f->spath, NULL), 0);
}

static void
test_owner(void **state)
{
	struct fixture	*f = *state;

	if (geteuid() != 0)
		skip();		/* only root can give a file away */
	put(f->spath, "a: b\n", 0600);
	assert_int_equal(chown(f->spath, 65534, 65534), 0);
	load(f->spath, "belongs to uid 65534, not to you (uid 0)");
	/* A file: reference is held to the same rules. */
	put(f->fpath, "from-a-file\n", 0600);
	assert_int_equal(chown(f->fpath, 65534, 65534), 0);
	put(f->spath, "a: file:key.txt\n", 0600);
	load(f->spath, "belongs to uid 65534");
}

static void
test_not_a_file(void **state)
{
	struct fixture	*f = *state;

	/* A symbolic link: whoever can change it chooses the file. */
	put(f->fpath, "a: b\n", 0600);
	unlink(f->spath);
	assert_int_equal(symlink("key.txt", f->spath), 0);
	load(f->spath, "is a symbolic link");
	/* A FIFO is refused at once (the test would hang otherwise). */
	unlink(f->spath);
	assert_int_equal(mkfifo(f->spath, 0600), 0);
	load(f->spath, "is not a regular file");
	put(f->spath, "a: file:key.txt\n", 0600);
	unlink(f->fpath);
	assert_int_equal(mkfifo(f->fpath, 0600), 0);
	load(f->spath, "is not a regular file");
}

/* secrets generate refuses to write into a folder others can write. */
static void
test_generate_folder(void **state)
{
	struct fixture	*f = *state;
	struct profile	 p;
	struct diag	 d;
	char		*path;
	int		 added;

	xasprintf(&path, "%s/profiles/examples/single-server.yaml",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".");
	diag_init(&d);
	assert_int_equal(profile_load_file(&p, path, &d), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(secrets_generate(&p, f->spath, &added, &d), -1);
	assert_non_null(strstr(d.msgs[0], "which group or others can write"));
	assert_int_equal(access(f->spath, F_OK), -1);
	assert_int_equal(chmod(f->dir, 0700), 0);
	profile_free(&p);
	diag_free(&d);
	free(path);
}

static void
test_no_core_dumps(void **state)
{
	struct rlimit	rl;

	(void)state;
	assert_int_equal(secrets_no_core_dumps(), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env_taken, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generate_folder, setup,
		    teardown),
		cmocka_unit_test(test_no_core_dumps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
