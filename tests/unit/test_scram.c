/*
 * Unit tests of SCRAM-SHA-256 verifiers (lib/scram.c) against one that
 * PostgreSQL 15 itself stored for a known password.
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
#include "scram.h"

/* CREATE ROLE t PASSWORD 'correct horse battery staple' on PostgreSQL 15. */
static const char from_postgres[] = "SCRAM-SHA-256$4096:+OTHTNrmcmySIKXUr5eHsQ==$"
    "gJYHCiz7RIwrbBUAvABClDY+gqHb2SScMdTJrXL2lRg=:"
    "rqUo0JLjD6vIhcZiMN96NIakAGuwNAzXArab67TdTEI=";

static void
test_matches_postgres(void **state)
{
	assert_int_equal(scram_matches(from_postgres,
	    "correct horse battery staple"), 1);
	assert_int_equal(scram_matches(from_postgres,
	    "correct horse battery stapl"), 0);
	assert_int_equal(scram_matches(from_postgres, ""), 0);
}

static void
test_round_trip(void **state)
{
	char	*v = scram_verifier("s3cret-Password"), *w;

	assert_non_null(strstr(v, "SCRAM-SHA-256$4096:"));
	assert_int_equal(scram_matches(v, "s3cret-Password"), 1);
	assert_int_equal(scram_matches(v, "s3cret-password"), 0);
	/* A fresh salt each time: the same password, another verifier. */
	w = scram_verifier("s3cret-Password");
	assert_string_not_equal(v, w);
	free(v);
	free(w);
}

static void
test_malformed(void **state)
{
	assert_int_equal(scram_matches("md5abcdef", "x"), -1);
	assert_int_equal(scram_matches("", "x"), -1);
	assert_int_equal(scram_matches("SCRAM-SHA-256$", "x"), -1);
	assert_int_equal(scram_matches("SCRAM-SHA-256$4096:abc$def:ghi", "x"),
	    -1);
	assert_int_equal(scram_matches("SCRAM-SHA-256$x:+OTHTNrmcmySIKXUr5eHsQ=="
	    "$gJYHCiz7RIwrbBUAvABClDY+gqHb2SScMdTJrXL2lRg=:"
	    "rqUo0JLjD6vIhcZiMN96NIakAGuwNAzXArab67TdTEI=", "x"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_postgres),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
