/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Checks of the formats operators type: host names, addresses, paths,
 * versions.  Each answers 1 for valid, 0 otherwise, and never allocates.
 */
#include "config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * Where text an operator typed has a control character: C0, DEL, or C1
 * as UTF-8 (U+0080..U+009F).  No value of a profile or a secrets file
 * holds one on purpose; in generated text a newline starts a line of
 * its own, and a terminal takes the rest as commands.  NULL: none.
 */
const char *
text_control_char(const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 &&
		    p[1] <= 0x9f))
			return (const char *)p;
	}
	return NULL;
}

/* Text with no control character (text_control_char). */
int
valid_safe_text(const char *s)
{
	return text_control_char(s) == NULL;
}

/* One DNS label: letters, digits, hyphens inside, at most 63. */
static int
valid_label(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	}
	return 1;
}

int
valid_hostname(const char *s)
{
	const char	*dot;
	size_t		 total = strlen(s);

	if (total == 0 || total > 253)
		return 0;
	for (;;) {
		dot = strchr(s, '.');
		if (!valid_label(s, dot ? (size_t)(dot - s) : strlen(s)))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* A fully qualified name: a host name with at least one dot, not all digits. */
int
valid_fqdn(const char *s)
{
	const char	*last;

	if (!valid_hostname(s) || strchr(s, '.') == NULL)
		return 0;
	last = strrchr(s, '.') + 1;
	for (; *last != '\0'; last++) {
		if (isalpha((unsigned char)*last))
			return 1;
	}
	return 0;	/* 10.0.0.1 is an address, not a name */
}

int
valid_ipv4(const char *s)
{
	struct in_addr	 a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* Where a machine is reached: an IPv4 or IPv6 address or a host name. */
int
valid_address(const char *s)
{
	struct in6_addr	 a6;

	if (valid_ipv4(s) || inet_pton(AF_INET6, s, &a6) == 1)
		return 1;
	/* Digits and dots that are not an address are a mistyped one. */
	if (strspn(s, "0123456789.") == strlen(s))
		return 0;
	return valid_hostname(s);
}

int
valid_cidr(const char *s)
{
	char		 addr[64];
	const char	*slash, *errstr;
	size_t		 len;
	long long	 bits;
	struct in6_addr	 a6;
	int		 v6;

	if ((slash = strchr(s, '/')) == NULL)
		return 0;
	len = slash - s;
	if (len == 0 || len >= sizeof addr)
		return 0;
	memcpy(addr, s, len);
	addr[len] = '\0';
	v6 = strchr(addr, ':') != NULL;
	if (v6 ? inet_pton(AF_INET6, addr, &a6) != 1 : !valid_ipv4(addr))
		return 0;
	bits = strtonum_checked(slash + 1, 0, v6 ? 128 : 32, &errstr);
	return errstr == NULL && bits >= 0;
}

/*
 * Deliberately conservative: local@domain with a dotted domain, the
 * local part of letters, digits and . _ % + - (at most 64, no dot at
 * either end or two together).  Quotes, $, braces and the like, which
 * RFC 5322 allows and no operator's address needs, mean something in
 * the YAML, shell and headers an address ends up in.
 */
int
valid_email(const char *s)
{
	const char	*at = strchr(s, '@'), *p;
	size_t		 len;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	len = at - s;
	if (len > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-") != len)
		return 0;
	if (s[0] == '.' || at[-1] == '.')
		return 0;
	for (p = s; p + 1 < at; p++) {
		if (p[0] == '.' && p[1] == '.')
			return 0;
	}
	return valid_fqdn(at + 1);
}

/* An absolute path with no empty, "." or ".." component and no controls. */
int
valid_abs_path(const char *s)
{
	const char	*p;

	if (s[0] != '/' || strlen(s) > 4096 || !valid_safe_text(s))
		return 0;
	if (strstr(s, "//") != NULL || strstr(s, "/./") != NULL ||
	    strstr(s, "/../") != NULL)
		return 0;
	p = strrchr(s, '/');
	if (strcmp(p, "/.") == 0 || strcmp(p, "/..") == 0)
		return 0;
	return 1;
}

/*
 * Names of machines, instances, databases: they become Unix user names,
 * container names, database names and URL paths, so keep them to what
 * all of those accept.
 */
int
valid_name(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > 24 || !islower((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++) {
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	}
	return s[len - 1] != '-';
}

/* "/" or "/name": where an instance lives under the fqdn. */
int
valid_base_path(const char *s)
{
	if (strcmp(s, "/") == 0)
		return 1;
	return s[0] == '/' && valid_name(s + 1);
}

/* 2.MINOR or 2.MINOR.PATCH[.HOTFIX], as DHIS2 names its releases. */
int
valid_dhis2_version(const char *s)
{
	const char	*p = s;
	int		 parts = 0;

	for (;;) {
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		parts++;
		if (*p == '\0')
			break;
		if (*p++ != '.')
			return 0;
	}
	if (parts < 2 || parts > 4 || strncmp(s, "2.", 2) != 0)
		return 0;
	return atoi(s + 2) >= 35;	/* older releases are out of support */
}

int
valid_sha256_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[64] == '\0';
}

int
valid_url(const char *s)
{
	const char	*host;
	size_t		 i;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/')
		return 0;
	/* What RFC 3986 has no place for, and nothing past ASCII. */
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    strchr("\"<>\\^`{|}", s[i]) != NULL)
			return 0;
	}
	return 1;
}

/* Reads a number in lo..hi at *p; advances *p.  0 when there is none. */
static int
cron_number(const char **p, const char *end, int lo, int hi)
{
	int	n = 0, digits = 0;

	while (*p < end && isdigit((unsigned char)**p) && digits < 4) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits > 0 && n >= lo && n <= hi;
}

/*
 * One cron field: a list of items, each "*", "N" or "N-M", optionally
 * followed by "/STEP", every number within lo..hi.
 */
static int
valid_cron_field(const char *f, size_t len, int lo, int hi)
{
	const char	*p = f, *end = f + len;

	for (;;) {
		if (p < end && *p == '*')
			p++;
		else {
			if (!cron_number(&p, end, lo, hi))
				return 0;
			if (p < end && *p == '-') {
				p++;
				if (!cron_number(&p, end, lo, hi))
					return 0;
			}
		}
		if (p < end && *p == '/') {
			p++;
			if (!cron_number(&p, end, 1, hi))
				return 0;
		}
		if (p == end)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

/* A five-field cron expression, or one of @daily, @weekly, @hourly. */
int
valid_cron(const char *s)
{
	static const int lo[5] = { 0, 0, 1, 1, 0 };
	static const int hi[5] = { 59, 23, 31, 12, 7 };
	const char	*p = s, *end;
	int		 field = 0;

	if (strcmp(s, "@daily") == 0 || strcmp(s, "@weekly") == 0 ||
	    strcmp(s, "@hourly") == 0)
		return 1;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		if (field >= 5 || !valid_cron_field(p, end - p, lo[field],
		    hi[field]))
			return 0;
		field++;
		p = end;
	}
	return field == 5;
}

/* Area/City as in the tz database, or UTC. */
int
valid_timezone(const char *s)
{
	size_t	i, len = strlen(s);

	if (strcmp(s, "UTC") == 0 || strcmp(s, "Etc/UTC") == 0)
		return 1;
	if (len == 0 || len > 64 || strchr(s, '/') == NULL || s[0] == '/' ||
	    s[len - 1] == '/' || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr("/_-+", s[i]) == NULL)
			return 0;
	}
	return 1;
}

/* A path as typed (relative or absolute): no control characters. */
int
valid_path_text(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len < 4096 && valid_safe_text(s);
}


/* A block device: /dev/... */
int
valid_device(const char *s)
{
	return strncmp(s, "/dev/", 5) == 0 && valid_abs_path(s);
}

/*
 * s3://BUCKET[/PREFIX]: a bucket as S3 names them (at most 63 of lower
 * case letters, digits, dots and hyphens, a letter or digit at each end), a
 * prefix of letters, digits and . _ - / (S3's safe characters, less
 * the ones a shell or a config line reads).
 */
static int
valid_s3(const char *s)
{
	const char	*slash = strchr(s, '/');
	size_t		 blen = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (blen == 0 || blen > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[blen - 1]) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") != blen)
		return 0;
	return slash == NULL || strspn(slash, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") == strlen(slash);
}

/*
 * [user@]host:/path (rsync over SSH) or s3://bucket[/prefix].  The user
 * is a login (valid_user): it is written into backup.conf as it is.
 */
int
valid_backup_target(const char *s)
{
	const char	*at, *colon;
	char		*part;
	int		 ok;

	if (strncmp(s, "s3://", 5) == 0)
		return valid_s3(s + 5);
	if ((colon = strchr(s, ':')) == NULL || colon[1] != '/')
		return 0;
	at = strchr(s, '@');
	if (at == NULL || at > colon)
		at = s - 1;
	else {
		part = xstrndup(s, at - s);
		ok = valid_user(part);
		free(part);
		if (!ok)
			return 0;
	}
	part = xstrndup(at + 1, colon - at - 1);
	ok = valid_address(part) && valid_abs_path(colon + 1);
	free(part);
	return ok;
}


/* A mail relay: host or host:port. */
int
valid_smarthost(const char *s)
{
	const char	*colon = strrchr(s, ':'), *errstr;
	char		*host;
	int		 ok;

	if (colon == NULL)
		return valid_address(s);
	strtonum_checked(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		return 0;
	host = xstrndup(s, colon - s);
	ok = valid_address(host);
	free(host);
	return ok;
}


/* A login: a valid name, or root. */
int
valid_user(const char *s)
{
	return valid_name(s) || strcmp(s, "root") == 0;
}

/* The key types an SSH server's host key comes in (ssh-keyscan's). */
static const char *const host_key_types[] = { "ssh-ed25519",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "ssh-rsa", NULL };

static int
host_key_type(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; host_key_types[i] != NULL; i++) {
		if (strlen(host_key_types[i]) == len &&
		    strncmp(s, host_key_types[i], len) == 0)
			return 1;
	}
	return 0;
}

/*
 * The base64 blob of a key of TYPE: base64 characters that begin with
 * the encoding of the blob's own header (a length and TYPE), so that a
 * key pasted with the wrong type is caught here and not by a failed copy.
 */
static int
host_key_blob(const char *type, size_t tlen, const char *b, size_t blen)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789+/";
	unsigned char	 hdr[4 + 32];
	char		 enc[sizeof hdr / 3 * 4 + 1];
	size_t		 i, n = 4 + tlen;

	if (blen < 60 || blen > 4096 || n > sizeof hdr)
		return 0;
	for (i = 0; i < blen; i++) {
		if (strchr(b64, b[i]) == NULL && !(b[i] == '=' &&
		    i + 2 >= blen))
			return 0;
	}
	hdr[0] = hdr[1] = hdr[2] = 0;
	hdr[3] = (unsigned char)tlen;
	memcpy(hdr + 4, type, tlen);
	for (i = 0; i + 3 <= n; i += 3) {
		enc[i / 3 * 4] = b64[hdr[i] >> 2];
		enc[i / 3 * 4 + 1] = b64[(hdr[i] & 3) << 4 | hdr[i + 1] >> 4];
		enc[i / 3 * 4 + 2] = b64[(hdr[i + 1] & 15) << 2 |
		    hdr[i + 2] >> 6];
		enc[i / 3 * 4 + 3] = b64[hdr[i + 2] & 63];
	}
	return strncmp(b, enc, i / 3 * 4) == 0;
}

/*
 * An SSH host key as ssh-keyscan prints it ("HOST TYPE BASE64") or as a
 * .pub file holds it ("TYPE BASE64 [COMMENT]"): *type and *blob point
 * into s.  1 when it is one, 0 otherwise.
 */
int
ssh_host_key_parse(const char *s, const char **type, size_t *tlen,
    const char **blob, size_t *blen)
{
	const char	*f = s, *sp;
	size_t		 i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	}
	if ((sp = strchr(f, ' ')) == NULL)
		return 0;
	if (!host_key_type(f, sp - f)) {
		/* A host field first, then the key and nothing else. */
		f = sp + 1;
		if ((sp = strchr(f, ' ')) == NULL || !host_key_type(f, sp - f) ||
		    strchr(sp + 1, ' ') != NULL)
			return 0;
	}
	*type = f;
	*tlen = sp - f;
	*blob = sp + 1;
	*blen = strcspn(sp + 1, " ");
	return host_key_blob(*type, *tlen, *blob, *blen);
}

/* An SSH host key: "TYPE BASE64", with a host before or a comment after. */
int
valid_ssh_host_key(const char *s)
{
	const char	*t, *b;
	size_t		 tl, bl;

	return ssh_host_key_parse(s, &t, &tl, &b, &bl);
}

/* An age recipient: age1 and 58 bech32 characters (age-keygen -y). */
int
valid_age_recipient(const char *s)
{
	size_t	i;

	if (strncmp(s, "age1", 4) != 0 || strlen(s) != 62)
		return 0;
	for (i = 4; s[i] != '\0'; i++) {
		if (strchr("qpzry9x8gf2tvdw0s3jn54khce6mua7l", s[i]) == NULL)
			return 0;
	}
	return 1;
}
