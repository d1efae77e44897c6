/*
 * Unit tests of the format checks and small helpers (lib/check.c,
 * lib/util.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

static void
test_hostnames(void **state)
{
	assert_true(valid_fqdn("dhis.example.org"));
	assert_true(valid_fqdn("a-b.c9.example.org"));
	assert_false(valid_fqdn("localhost"));
	assert_false(valid_fqdn("10.0.0.1"));
	assert_false(valid_fqdn("-bad.example.org"));
	assert_false(valid_fqdn("bad-.example.org"));
	assert_false(valid_fqdn("under_score.example.org"));
	assert_false(valid_fqdn("double..dot.org"));
	assert_false(valid_fqdn(""));
	assert_true(valid_hostname("db1"));
}

static void
test_addresses(void **state)
{
	assert_true(valid_address("192.0.2.1"));
	assert_true(valid_address("2001:db8::1"));
	assert_true(valid_address("db.example.org"));
	assert_false(valid_address("300.1.2.3"));
	assert_false(valid_address("1.2.3"));
	assert_true(valid_cidr("10.0.0.0/8"));
	assert_true(valid_cidr("2001:db8::/32"));
	assert_false(valid_cidr("10.0.0.0/33"));
	assert_false(valid_cidr("10.0.0.0"));
	assert_false(valid_cidr("/24"));
}

static void
test_names_and_paths(void **state)
{
	assert_true(valid_name("hmis"));
	assert_true(valid_name("tracker_2"));
	assert_false(valid_name("Hmis"));
	assert_false(valid_name("2hmis"));
	assert_false(valid_name("hmis-"));
	assert_false(valid_name("a-name-that-is-much-too-long-for-unix"));
	assert_true(valid_base_path("/"));
	assert_true(valid_base_path("/hmis"));
	assert_false(valid_base_path("hmis"));
	assert_false(valid_base_path("/a/b"));
	assert_true(valid_abs_path("/etc/ssl/x.pem"));
	assert_false(valid_abs_path("etc/x"));
	assert_false(valid_abs_path("/etc/../x"));
	assert_false(valid_abs_path("/etc/.."));
}

static void
test_versions(void **state)
{
	assert_true(valid_dhis2_version("2.41"));
	assert_true(valid_dhis2_version("2.41.3"));
	assert_true(valid_dhis2_version("2.41.3.1"));
	assert_true(valid_dhis2_version("2.35"));
	assert_false(valid_dhis2_version("2.34.9"));
	assert_false(valid_dhis2_version("3.0"));
	assert_false(valid_dhis2_version("2"));
	assert_false(valid_dhis2_version("2.41."));
	assert_false(valid_dhis2_version("v2.41"));
	assert_false(valid_dhis2_version("2.41.3.1.5"));
}

static void
test_misc_formats(void **state)
{
	char	sha[65];

	memset(sha, 'a', 64);
	sha[64] = '\0';
	assert_true(valid_sha256_hex(sha));
	sha[10] = 'g';
	assert_false(valid_sha256_hex(sha));
	assert_false(valid_sha256_hex("abc"));
	assert_true(valid_email("ops@example.org"));
	assert_false(valid_email("ops@localhost"));
	assert_false(valid_email("o ps@example.org"));
	assert_false(valid_email("@example.org"));
	assert_true(valid_url("https://releases.dhis2.org/v1/versions/stable.json"));
	assert_false(valid_url("ftp://x.org/"));
	assert_false(valid_url("https://"));
	assert_true(valid_timezone("Africa/Kampala"));
	assert_true(valid_timezone("UTC"));
	assert_false(valid_timezone("Kampala"));
	assert_false(valid_timezone("../etc/passwd"));
}

/*
 * L1: text an operator types that ends up in generated files.  Each of
 * these validated before, and went into a file as it was.
 */
static void
test_generated_text(void **state)
{
	(void)state;
	/* No control characters: C0, DEL, C1 as UTF-8; other UTF-8 is fine. */
	assert_true(valid_safe_text("caf\xc3\xa9 \xe2\x82\xac"));
	assert_false(valid_safe_text("a\nb"));
	assert_false(valid_safe_text("a\x7f"));
	assert_false(valid_safe_text("a\xc2\x9b[2J"));
	assert_string_equal(text_control_char("ab\tc"), "\tc");
	assert_null(text_control_char(""));
	assert_false(valid_path_text("key\x7f"));
	assert_false(valid_abs_path("/a\xc2\x85" "b"));
	/* backup.conf: the user part took newlines (the audit's PoC). */
	assert_true(valid_backup_target("backup@vault.example.org:/srv/b"));
	assert_true(valid_backup_target("dhis2backup@10.0.0.5:/srv/b"));
	assert_true(valid_backup_target("vault.example.org:/srv/b"));
	assert_false(valid_backup_target("x\ninstance=../../../../tmp/pwn\n"
	    "retention_days=0\nknown_hosts=/dev/null\n"
	    "#@backup.example.org:/srv/backups"));
	assert_false(valid_backup_target("a b@vault.example.org:/srv/b"));
	assert_false(valid_backup_target("x=y@vault.example.org:/srv/b"));
	/* s3://: it checked nothing past the first character. */
	assert_true(valid_backup_target("s3://moh-dhis-backups/prod"));
	assert_true(valid_backup_target("s3://country.backups/a/b_c-1.d"));
	assert_true(valid_backup_target("s3://bkt"));
	assert_false(valid_backup_target("s3://b/\n$(id)\r\x1b[2J"));
	assert_false(valid_backup_target("s3://b/$(id)"));
	assert_false(valid_backup_target("s3://Bucket/x"));
	assert_false(valid_backup_target("s3://-bkt/x"));
	assert_false(valid_backup_target("s3://bkt/x y"));
	/* E-mail: a quote broke alertmanager.yml (the audit's PoC). */
	assert_true(valid_email("ops+alerts@example.org"));
	assert_true(valid_email("first.last_1%x-y@example.org"));
	assert_false(valid_email("ops'}]#,x@example.org"));
	assert_false(valid_email("o$(id)@example.org"));
	assert_false(valid_email("o`id`@example.org"));
	assert_false(valid_email("\"o\"@example.org"));
	assert_false(valid_email(".ops@example.org"));
	assert_false(valid_email("ops.@example.org"));
	assert_false(valid_email("o..ps@example.org"));
	assert_false(valid_email("o\nps@example.org"));
	/* URLs: nothing RFC 3986 has no place for. */
	assert_true(valid_url("https://x.org/a?b=c&d=%20#f"));
	assert_false(valid_url("https://x.org/\"a"));
	assert_false(valid_url("https://x.org/`id`"));
	assert_false(valid_url("https://x.org/a\\b"));
	assert_false(valid_url("https://x.org/{a}"));
	assert_false(valid_url("https://x.org/a\x7f"));
	assert_false(valid_url("https://x.org/caf\xc3\xa9"));
}

static void
test_cron(void **state)
{
	assert_true(valid_cron("0 2 * * *"));
	assert_true(valid_cron("*/15 1-5 1,15 * 0-6"));
	assert_true(valid_cron("@daily"));
	assert_false(valid_cron("61 2 * * *"));
	assert_false(valid_cron("0 24 * * *"));
	assert_false(valid_cron("0 2 * *"));
	assert_false(valid_cron("0 2 * * * *"));
	assert_false(valid_cron("0 2 0 * *"));
	assert_false(valid_cron("a 2 * * *"));
	assert_false(valid_cron("1- * * * *"));
}

static void
test_sizes_and_numbers(void **state)
{
	long long	 mb;
	const char	*err;

	assert_int_equal(parse_size_mb("512MB", &mb), 0);
	assert_int_equal(mb, 512);
	assert_int_equal(parse_size_mb("4GB", &mb), 0);
	assert_int_equal(mb, 4096);
	assert_int_equal(parse_size_mb("2g", &mb), 0);
	assert_int_equal(mb, 2048);
	assert_int_equal(parse_size_mb("1T", &mb), 0);
	assert_int_equal(mb, 1024 * 1024);
	assert_int_equal(parse_size_mb("lots", &mb), -1);
	assert_int_equal(parse_size_mb("4 GB", &mb), -1);
	assert_int_equal(parse_size_mb("99999999999GB", &mb), -1);
	assert_int_equal(strtonum_checked("42", 1, 100, &err), 42);
	assert_null(err);
	strtonum_checked("420", 1, 100, &err);
	assert_string_equal(err, "is too large");
	strtonum_checked("4x", 1, 100, &err);
	assert_string_equal(err, "is not a whole number");
	strtonum_checked("99999999999999999999", 1, 100, &err);
	assert_non_null(err);
}

static void
test_edit_distance(void **state)
{
	assert_int_equal(edit_distance("proxy", "proxy"), 0);
	assert_int_equal(edit_distance("proxi", "proxy"), 1);
	assert_int_equal(edit_distance("fqnd", "fqdn"), 2);
	assert_int_equal(edit_distance("", "abc"), 3);
}

static void
test_paths(void **state)
{
	char	*s;

	s = path_dirname("/a/b/c.yaml");
	assert_string_equal(s, "/a/b");
	free(s);
	s = path_dirname("c.yaml");
	assert_string_equal(s, ".");
	free(s);
	s = path_dirname("/c.yaml");
	assert_string_equal(s, "/");
	free(s);
	s = path_join("/a", "b");
	assert_string_equal(s, "/a/b");
	free(s);
	s = path_join("/a", "/b");
	assert_string_equal(s, "/b");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_names_and_paths),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_misc_formats),
		cmocka_unit_test(test_generated_text),
		cmocka_unit_test(test_cron),
		cmocka_unit_test(test_sizes_and_numbers),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
