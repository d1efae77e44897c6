/*
 * Unit tests of cron to OnCalendar (lib/cron.c).  Every expected text
 * was read back by `systemd-analyze calendar` (systemd 252) and its next
 * elapse compared with cron's meaning; when systemd-analyze is on the
 * machine running the tests, test_systemd_reads_them asks it again.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core.h"
#include "cron.h"

static const struct {
	const char	*cron;
	const char	*one;
	const char	*two;
} cases[] = {
	{ "0 2 * * *",		"*-*-* 02:00:00", NULL },
	{ "@daily",		"*-*-* 00:00:00", NULL },
	{ "@hourly",		"*-*-* *:00:00", NULL },
	{ "@weekly",		"Sun *-*-* 00:00:00", NULL },
	{ "30 1 * * 1-5",	"Mon..Fri *-*-* 01:30:00", NULL },
	{ "0 3 * * 0",		"Sun *-*-* 03:00:00", NULL },
	{ "0 3 * * 7",		"Sun *-*-* 03:00:00", NULL },
	{ "0 3 * * 5-7",	"Fri..Sun *-*-* 03:00:00", NULL },
	{ "0 3 * * 0,6",	"Sat,Sun *-*-* 03:00:00", NULL },
	{ "*/15 * * * *",	"*-*-* *:00/15:00", NULL },
	{ "5/20 * * * *",	"*-*-* *:05/20:00", NULL },
	{ "0 0-12/4 * * *",	"*-*-* 00..12/4:00:00", NULL },
	{ "0 8-17 * * *",	"*-*-* 08..17:00:00", NULL },
	{ "0 1,13 * * *",	"*-*-* 01,13:00:00", NULL },
	{ "0 1,2,3,7 * * *",	"*-*-* 01..03,07:00:00", NULL },
	{ "15 4 1 * *",		"*-*-01 04:15:00", NULL },
	{ "0 4 1 1,7 *",	"*-01,07-01 04:00:00", NULL },
	{ "0 4 */2 * 1",	"Mon *-*-01/2 04:00:00", NULL },
	/* Both days restricted: either one, so two expressions. */
	{ "0 4 1,15 * 1",	"*-*-01,15 04:00:00", "Mon *-*-* 04:00:00" },
	/* Either: the day of month never comes, the weekday does. */
	{ "0 4 31 2 1",		"Mon *-02-* 04:00:00", NULL },
	{ "0   2  *  *   *",	"*-*-* 02:00:00", NULL },
};

static void
test_conversions(void **state)
{
	char		*out[CRON_MAX_CALENDARS];
	const char	*err = NULL;
	size_t		 i;
	int		 n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = cron_to_oncalendar(cases[i].cron, out, &err);
		if (n < 1)
			fail_msg("%s: %s", cases[i].cron, err);
		assert_string_equal(out[0], cases[i].one);
		if (cases[i].two != NULL) {
			assert_int_equal(n, 2);
			assert_string_equal(out[1], cases[i].two);
		} else
			assert_int_equal(n, 1);
		free(out[0]);
		free(out[1]);
	}
}

static void
test_refused(void **state)
{
	static const char *const bad[] = { "", "0 2 * *", "0 2 * * * *",
	    "60 2 * * *", "0 24 * * *", "0 2 0 * *", "0 2 * 13 *",
	    "0 2 * * 8", "0 5-2 * * *", "a b c d e", "0 2 * * MON",
	    "@reboot", "0 2 */0 * *", "0 2 1,,2 * *" };
	char		*out[CRON_MAX_CALENDARS];
	const char	*err;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		if (cron_to_oncalendar(bad[i], out, &err) != -1)
			fail_msg("'%s' was accepted as '%s'", bad[i], out[0]);
		assert_non_null(err);
	}
}

static void
test_never_runs(void **state)
{
	char		*out[CRON_MAX_CALENDARS];
	const char	*err = NULL;

	(void)state;
	assert_int_equal(cron_to_oncalendar("0 2 31 2 *", out, &err), -1);
	assert_non_null(strstr(err, "never runs"));
	assert_int_equal(cron_to_oncalendar("0 2 30,31 2 *", out, &err), -1);
	/* 29 February comes every four years: cron runs it then. */
	assert_int_equal(cron_to_oncalendar("0 2 29 2 *", out, &err), 1);
	free(out[0]);
}

/* systemd itself reads every expression (skipped without it). */
static void
test_systemd_reads_them(void **state)
{
	char		*out[CRON_MAX_CALENDARS], *cmd;
	const char	*err;
	size_t		 i;
	int		 n, k, rc;

	(void)state;
	if (system("systemd-analyze --version >/dev/null 2>&1") != 0)
		skip();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = cron_to_oncalendar(cases[i].cron, out, &err);
		assert_true(n >= 1);
		for (k = 0; k < n; k++) {
			xasprintf(&cmd, "systemd-analyze calendar '%s' "
			    ">/dev/null 2>&1", out[k]);
			rc = system(cmd);
			if (rc != 0)
				fail_msg("systemd refuses '%s' (from '%s')",
				    out[k], cases[i].cron);
			free(cmd);
			free(out[k]);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_never_runs),
		cmocka_unit_test(test_systemd_reads_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
