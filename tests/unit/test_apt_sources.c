/*
 * Unit tests of apt sources (steps/apt_sources.c): the deb822 file a
 * container is given, and the message that names a failing source line.
 * The probe's shell function itself is tested against a loopback archive
 * by tests/unit/apt-sources-probe.sh, which asks this program for its
 * text ("--script": the one copy of it is the header's macro).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "apt_sources.h"

static void
assert_has(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("'%s' not in:\n%s", part, s);
}

static void
test_debian_default(void **state)
{
	const char	*path = NULL;
	char		*s;

	(void)state;
	s = apt_sources_content("bookworm", NULL, NULL, &path);
	assert_string_equal(path, "/etc/apt/sources.list.d/debian.sources");
	assert_has(s, "URIs: http://deb.debian.org/debian\n"
	    "Suites: bookworm bookworm-updates\nComponents: main\n"
	    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
	assert_has(s, "URIs: http://security.debian.org/debian-security\n"
	    "Suites: bookworm-security\n");
	/* the suite LXC's template writes without distro-info */
	assert_null(strstr(s, "/updates"));
	free(s);
	/* a Debian the table does not know yet: the modern form */
	s = apt_sources_content("duke", NULL, NULL, &path);
	assert_has(s, "Suites: duke-security\n");
	free(s);
	/* before Debian 11 the security suite was CODENAME/updates */
	s = apt_sources_content("buster", NULL, NULL, &path);
	assert_has(s, "Suites: buster/updates\n");
	free(s);
}

static void
test_mirrors(void **state)
{
	const char	*path = NULL;
	char		*s;

	(void)state;
	s = apt_sources_content("bookworm", "http://mirror.example.org/debian",
	    "http://mirror.example.org/debian-security", &path);
	assert_has(s, "URIs: http://mirror.example.org/debian\n"
	    "Suites: bookworm bookworm-updates\n");
	assert_has(s, "URIs: http://mirror.example.org/debian-security\n"
	    "Suites: bookworm-security\n");
	assert_null(strstr(s, "deb.debian.org"));
	free(s);
	/* an empty mirror is no mirror */
	s = apt_sources_content("bookworm", "", "", &path);
	assert_has(s, "URIs: http://deb.debian.org/debian\n");
	free(s);
}

static void
test_ubuntu(void **state)
{
	const char	*path = NULL;
	char		*s;

	(void)state;
	assert_true(apt_release_is_ubuntu("noble"));
	assert_true(apt_release_is_ubuntu("jammy"));
	assert_false(apt_release_is_ubuntu("bookworm"));
	assert_false(apt_release_is_ubuntu("nosuch"));
	s = apt_sources_content("noble", NULL, NULL, &path);
	assert_string_equal(path, "/etc/apt/sources.list.d/ubuntu.sources");
	assert_has(s, "URIs: http://archive.ubuntu.com/ubuntu\n"
	    "Suites: noble noble-updates\nComponents: main universe\n"
	    "Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n");
	assert_has(s, "URIs: http://security.ubuntu.com/ubuntu\n"
	    "Suites: noble-security\n");
	free(s);
}

static void
test_problems(void **state)
{
	char	*m;

	(void)state;
	assert_null(apt_sources_problems("sum=none /x\naudit=\n"));
	assert_null(apt_sources_problems(""));
	/* a line without its fields is not a problem we can name */
	assert_null(apt_sources_problems("aptbad=/etc/apt/sources.list:3\n"));
	m = apt_sources_problems("pkg=curl ii \n"
	    "aptbad=/etc/apt/sources.list:3\tdeb http://security.debian.org/"
	    "debian-security bookworm/updates main\t404  Not Found\n"
	    "audit=\n");
	assert_non_null(m);
	assert_string_equal(m, "apt source /etc/apt/sources.list:3 (deb "
	    "http://security.debian.org/debian-security bookworm/updates "
	    "main) fails: 404  Not Found (since Debian 11 the security suite "
	    "is named CODENAME-security, e.g. bookworm-security): correct or "
	    "remove that line, then run again");
	free(m);
	/* two lines, one with a tab in its text: WHY is after the last */
	m = apt_sources_problems(
	    "aptbad=/etc/apt/sources.list.d/a.list:1\tdeb\thttp://x/debian "
	    "sid main\tCould not resolve 'x'\n"
	    "aptbad=/etc/apt/sources.list.d/b.sources:4\tURIs: http://y/d / "
	    "Suites: nosuch\t404  Not Found");
	assert_non_null(m);
	assert_string_equal(m, "apt source /etc/apt/sources.list.d/a.list:1 "
	    "(deb\thttp://x/debian sid main) fails: Could not resolve 'x'; "
	    "apt source /etc/apt/sources.list.d/b.sources:4 (URIs: http://y/d"
	    " / Suites: nosuch) fails: 404  Not Found: correct or remove "
	    "those lines, then run again");
	free(m);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_default),
		cmocka_unit_test(test_mirrors),
		cmocka_unit_test(test_ubuntu),
		cmocka_unit_test(test_problems),
	};

	if (argc == 2 && strcmp(argv[1], "--script") == 0) {
		fputs(APT_SOURCES_CHECK_SH, stdout);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
