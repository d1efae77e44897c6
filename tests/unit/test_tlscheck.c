/*
 * Unit tests of certificate checks (lib/tlscheck.c) with certificates
 * the test makes with openssl: a CA, a leaf it signs, a stranger's key,
 * an expired certificate and one for another name.
 */
#include "config.h"

#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core.h"
#include "tlscheck.h"

static char	dir[] = "/tmp/d2s-tls-XXXXXX";

static void
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		abort();
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("failed: %s", cmd);
	free(cmd);
}

/* openssl(1) 3.0 cannot back-date: an expired certificate made here. */
static void
make_expired(void)
{
	EVP_PKEY	*pk = EVP_RSA_gen(2048);
	X509		*x = X509_new();
	X509_NAME	*name;
	FILE		*f;
	char		 path[128];

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -10 * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), -86400);
	X509_set_pubkey(x, pk);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"dhis.example.org", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_sign(x, pk, EVP_sha256());
	snprintf(path, sizeof path, "%s/old.pem", dir);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof path, "%s/old.key", dir);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(pk);
}

static int
setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	sh("cd %s && exec >/dev/null 2>&1 && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=TestCA "
	    "-keyout ca.key -out ca.pem && "
	    "openssl req -newkey rsa:2048 -nodes -subj /CN=dhis.example.org "
	    "-keyout leaf.key -out leaf.csr && "
	    "printf 'subjectAltName=DNS:dhis.example.org\\n' > ext && "
	    "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 10 -extfile ext -out leaf.pem && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -days 5 "
	    "-subj /CN=other.example.org -addext "
	    "subjectAltName=DNS:other.example.org -keyout other.key "
	    "-out other.pem", dir);
	make_expired();
	return 0;
}

static int
teardown(void **state)
{
	sh("rm -rf %s", dir);
	return 0;
}

static int
check(const char *cert, const char *key, const char *chain, const char *fqdn,
    int use_ca, struct tls_report *rep, char *err)
{
	char	c[128], k[128], ch[128], ca[128];

	snprintf(c, sizeof c, "%s/%s", dir, cert);
	snprintf(k, sizeof k, "%s/%s", dir, key);
	snprintf(ch, sizeof ch, "%s/%s", dir, chain ? chain : "");
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	return tls_check_files(c, k, chain ? ch : NULL, fqdn,
	    use_ca ? ca : "/nonexistent", rep, err, 256);
}

static void
test_good_and_trusted(void **state)
{
	struct tls_report	rep;
	char			err[256];

	assert_int_equal(check("leaf.pem", "leaf.key", NULL,
	    "dhis.example.org", 1, &rep, err), 0);
	assert_true(rep.trusted);
	assert_true(rep.days_left >= 9 && rep.days_left <= 10);
	/* The same certificate with no CA that knows it: valid, untrusted. */
	assert_int_equal(check("leaf.pem", "leaf.key", NULL,
	    "dhis.example.org", 0, &rep, err), 0);
	assert_false(rep.trusted);
}

static void
test_key_mismatch(void **state)
{
	struct tls_report	rep;
	char			err[256];

	assert_int_equal(check("leaf.pem", "other.key", NULL,
	    "dhis.example.org", 1, &rep, err), -1);
	assert_non_null(strstr(err, "does not belong to the certificate"));
}

static void
test_wrong_name(void **state)
{
	struct tls_report	rep;
	char			err[256];

	assert_int_equal(check("other.pem", "other.key", NULL,
	    "dhis.example.org", 1, &rep, err), -1);
	assert_non_null(strstr(err, "does not cover dhis.example.org"));
}

static void
test_expired(void **state)
{
	struct tls_report	rep;
	char			err[256];

	assert_int_equal(check("old.pem", "old.key", NULL,
	    "dhis.example.org", 1, &rep, err), -1);
	assert_non_null(strstr(err, "has expired"));
}

static void
test_not_pem(void **state)
{
	struct tls_report	rep;
	char			err[256];

	assert_int_equal(check("ext", "leaf.key", NULL, "dhis.example.org", 1,
	    &rep, err), -1);
	assert_non_null(strstr(err, "not a PEM certificate"));
	assert_int_equal(check("leaf.pem", "ext", NULL, "dhis.example.org", 1,
	    &rep, err), -1);
	assert_non_null(strstr(err, "not a PEM private key"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_trusted),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_wrong_name),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_not_pem),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
