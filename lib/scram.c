/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * SCRAM-SHA-256 verifiers with libcrypto:
 *   SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations)
 *   StoredKey = SHA256(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey = HMAC(SaltedPassword, "Server Key")
 *   "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64)
 * Passwords are used as bytes: SASLprep changes nothing for the ASCII
 * passwords secrets generate makes.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core.h"
#include "scram.h"

#define SALT_LEN	16
#define KEY_LEN		32	/* SHA-256 */

static void
keys(const char *password, const unsigned char *salt, int salt_len,
    int iterations, unsigned char stored[KEY_LEN], unsigned char server[KEY_LEN])
{
	unsigned char	salted[KEY_LEN], client[KEY_LEN];
	unsigned int	len;

	if (PKCS5_PBKDF2_HMAC(password, strlen(password), salt, salt_len,
	    iterations, EVP_sha256(), KEY_LEN, salted) != 1)
		fatalx("PBKDF2 failed");
	len = KEY_LEN;
	HMAC(EVP_sha256(), salted, KEY_LEN, (const unsigned char *)"Client Key",
	    10, client, &len);
	SHA256(client, KEY_LEN, stored);
	len = KEY_LEN;
	HMAC(EVP_sha256(), salted, KEY_LEN, (const unsigned char *)"Server Key",
	    10, server, &len);
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(client, sizeof client);
}

static char *
b64(const unsigned char *data, int len)
{
	char	*out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, len);
	return out;
}

/* Decodes base64 into out (at most max bytes); the length or -1. */
static int
unb64(const char *s, size_t slen, unsigned char *out, int max)
{
	unsigned char	buf[128];
	int		n, pad = 0;

	if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > sizeof buf)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, slen);
	if (n < 0)
		return -1;
	if (s[slen - 1] == '=')
		pad++;
	if (s[slen - 2] == '=')
		pad++;
	n -= pad;
	if (n > max)
		return -1;
	memcpy(out, buf, n);
	return n;
}

char *
scram_verifier(const char *password)
{
	unsigned char	 salt[SALT_LEN], stored[KEY_LEN], server[KEY_LEN];
	char		*s_salt, *s_stored, *s_server, *out;

	if (getrandom(salt, sizeof salt, 0) != sizeof salt)
		fatalx("getrandom failed: %s", strerror(errno));
	keys(password, salt, SALT_LEN, SCRAM_ITERATIONS, stored, server);
	s_salt = b64(salt, SALT_LEN);
	s_stored = b64(stored, KEY_LEN);
	s_server = b64(server, KEY_LEN);
	xasprintf(&out, "SCRAM-SHA-256$%d:%s$%s:%s", SCRAM_ITERATIONS, s_salt,
	    s_stored, s_server);
	free(s_salt);
	free(s_stored);
	free(s_server);
	return out;
}

int
scram_matches(const char *stored, const char *password)
{
	unsigned char	 salt[64], want_stored[KEY_LEN], want_server[KEY_LEN];
	unsigned char	 got_stored[KEY_LEN], got_server[KEY_LEN];
	const char	*p, *colon, *dollar, *colon2;
	const char	*errstr;
	char		 num[16];
	long long	 iterations;
	int		 salt_len;

	if (strncmp(stored, "SCRAM-SHA-256$", 14) != 0)
		return -1;
	p = stored + 14;
	if ((colon = strchr(p, ':')) == NULL || colon - p >= (long)sizeof num)
		return -1;
	memcpy(num, p, colon - p);
	num[colon - p] = '\0';
	iterations = strtonum_checked(num, 1, 10000000, &errstr);
	if (errstr != NULL)
		return -1;
	if ((dollar = strchr(colon + 1, '$')) == NULL ||
	    (colon2 = strchr(dollar + 1, ':')) == NULL)
		return -1;
	salt_len = unb64(colon + 1, dollar - colon - 1, salt, sizeof salt);
	if (salt_len <= 0 ||
	    unb64(dollar + 1, colon2 - dollar - 1, want_stored, KEY_LEN) !=
	    KEY_LEN ||
	    unb64(colon2 + 1, strlen(colon2 + 1), want_server, KEY_LEN) !=
	    KEY_LEN)
		return -1;
	keys(password, salt, salt_len, (int)iterations, got_stored, got_server);
	return CRYPTO_memcmp(got_stored, want_stored, KEY_LEN) == 0 &&
	    CRYPTO_memcmp(got_server, want_server, KEY_LEN) == 0;
}
