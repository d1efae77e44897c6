/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Small helpers every module uses: checked allocation, checked numbers,
 * bounded file reads, atomic writes.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

void
strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		if (sb->cap == 0)
			sb->cap = 1024;
		while (sb->len + n + 1 > sb->cap)
			sb->cap *= 2;
		sb->buf = xreallocarray(sb->buf, sb->cap, 1);
	}
	if (n > 0)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void *
xmalloc(size_t n)
{
	void	*p;

	if (n == 0)
		n = 1;
	if ((p = malloc(n)) == NULL)
		fatalx("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("allocation of %zu x %zu bytes overflows", nmemb, size);
	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = realloc(old, nmemb * size)) == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatalx("out of memory copying a string");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatalx("out of memory copying a string");
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 n;

	if ((n = vasprintf(ret, fmt, ap)) < 0)
		fatalx("out of memory formatting a string");
	return n;
}

/*
 * Out of memory is the one condition helpers do not return: nothing sane
 * can be done after it, and a half-written profile is worse than none.
 */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	fputs("dhis2-setup: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(EXIT_INTERNAL);
}

/* strtonum(3) from OpenBSD, with the error string always set. */
long long
strtonum_checked(const char *s, long long min, long long max,
    const char **errstr)
{
	long long	 v;
	char		*end;

	*errstr = NULL;
	if (s == NULL || *s == '\0') {
		*errstr = "is empty";
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		*errstr = "is not a whole number";
		return 0;
	}
	if (errno == ERANGE || v < min) {
		*errstr = "is too small";
		return 0;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "is too large";
		return 0;
	}
	return v;
}

/*
 * "512MB", "4GB", "2G", "300M", "1024" (MB): what operators write in
 * PostgreSQL and Java settings.  Returns 0 and the size in megabytes.
 */
int
parse_size_mb(const char *s, long long *mb)
{
	char		 num[32];
	const char	*unit, *errstr;
	size_t		 len;
	long long	 v, mult;

	for (len = 0; s[len] >= '0' && s[len] <= '9'; len++)
		;
	if (len == 0 || len >= sizeof num)
		return -1;
	memcpy(num, s, len);
	num[len] = '\0';
	unit = s + len;
	if (*unit == '\0' || strcasecmp(unit, "M") == 0 ||
	    strcasecmp(unit, "MB") == 0)
		mult = 1;
	else if (strcasecmp(unit, "G") == 0 || strcasecmp(unit, "GB") == 0)
		mult = 1024;
	else if (strcasecmp(unit, "T") == 0 || strcasecmp(unit, "TB") == 0)
		mult = 1024 * 1024;
	else
		return -1;
	v = strtonum_checked(num, 1, 64LL * 1024 * 1024, &errstr);
	if (errstr != NULL || v > 64LL * 1024 * 1024 / mult)
		return -1;
	*mb = v * mult;
	return 0;
}

/* Levenshtein distance, for "did you mean" on mistyped keys. */
unsigned
edit_distance(const char *a, const char *b)
{
	size_t		 la = strlen(a), lb = strlen(b), i, j;
	unsigned	*row, prev, tmp, best;

	if (la > 64 || lb > 64)
		return 64;
	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/*
 * Read a whole regular file of at most max bytes.  Returns 0, -1 with
 * errno set (EFBIG when it is larger than max, EINVAL when it is not a
 * regular file).  O_NONBLOCK so that a FIFO or a device in the place of
 * a file is refused at once instead of waiting for a writer.
 */
int
read_file_limited(const char *path, size_t max, char **buf, size_t *len)
{
	int	fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	rc = read_fd_limited(fd, max, buf, len);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* read_file_limited() on an open file, which it leaves open. */
int
read_fd_limited(int fd, size_t max, char **buf, size_t *len)
{
	struct stat	 st;
	char		*p;
	size_t		 got = 0;
	ssize_t		 n;
	int		 saved;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	p = xmalloc(max + 1);
	for (;;) {
		n = read(fd, p + got, max + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			free(p);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		got += n;
		if (got > max) {	/* it grew while we read */
			free(p);
			errno = EFBIG;
			return -1;
		}
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	return 0;
}

/*
 * Write a file so that a reader sees the old or the new contents, never
 * half: a temporary file beside it, fsync, rename.
 */
int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char		*tmp;
	const char	*p = data;
	ssize_t		 n;
	int		 fd, saved;

	xasprintf(&tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1)
		goto fail;
	if (fchmod(fd, mode) == -1)
		goto fail_unlink;
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail_unlink;
		p += n;
		len -= n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail_unlink;
	free(tmp);
	return 0;
fail_unlink:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

/* mkdir -p with mode 0700 for every folder it makes: logs, state. */
int
mkdir_private(const char *dir)
{
	char	*parent;
	int	 rc;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	parent = path_dirname(dir);
	rc = strcmp(parent, dir) != 0 ? mkdir_private(parent) : -1;
	free(parent);
	if (rc == -1)
		return -1;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

char *
path_dirname(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, slash - path);
}

/* dir + "/" + name, or name itself when it is absolute. */
char *
path_join(const char *dir, const char *name)
{
	char	*p;

	if (name[0] == '/' || dir == NULL || *dir == '\0')
		return xstrdup(name);
	xasprintf(&p, "%s/%s", dir, name);
	return p;
}

/* "~/x" as $HOME/x; anything else as it is.  NULL stays NULL. */
char *
path_expand_home(const char *path)
{
	const char	*home = getenv("HOME");
	char		*out;

	if (path == NULL)
		return NULL;
	if (strncmp(path, "~/", 2) == 0 && home != NULL) {
		xasprintf(&out, "%s/%s", home, path + 2);
		return out;
	}
	return xstrdup(path);
}

/*
 * A file a profile names (known_hosts, secrets): absolute or ~/ as it is,
 * otherwise relative to the folder of the file `beside` (the profile);
 * as given when there is no such file.
 */
char *
path_beside(const char *beside, const char *name)
{
	char	*dir, *out;

	if (name[0] == '/' || name[0] == '~' || beside == NULL)
		return path_expand_home(name);
	dir = path_dirname(beside);
	out = path_join(dir, name);
	free(dir);
	return out;
}

/* Wipe a secret so that the compiler cannot drop the stores. */
void
secure_wipe(void *p, size_t n)
{
	if (p == NULL)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
#endif
}

/* The length of the UTF-8 sequence at u (n bytes left), 0 if not one. */
static size_t
utf8_seq(const unsigned char *u, size_t n)
{
	size_t	len, i;

	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		len = 2;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		len = 3;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	}
	if ((u[0] == 0xe0 && u[1] < 0xa0) ||	/* overlong */
	    (u[0] == 0xed && u[1] >= 0xa0) ||	/* a surrogate */
	    (u[0] == 0xf0 && u[1] < 0x90) ||	/* overlong */
	    (u[0] == 0xf4 && u[1] >= 0x90))	/* past U+10FFFF */
		return 0;
	return len;
}

/*
 * s with every terminal control character made visible as \xHH: the C0
 * controls but tab, DEL, the C1 controls (U+0080 to U+009F) and bytes
 * that are not UTF-8.  Text from a machine or a profile then cannot move
 * the cursor, retitle the window or make the terminal answer back.  A
 * fresh string; NULL gives "".
 */
char *
str_printable(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n, i = 0, k;
	char			*o, *p;

	n = s != NULL ? strlen(s) : 0;
	o = p = xmalloc(4 * n + 1);
	while (i < n) {
		if (u[i] == '\t' || (u[i] >= 0x20 && u[i] < 0x7f)) {
			*p++ = (char)u[i++];
			continue;
		}
		k = utf8_seq(u + i, n - i);
		if (k > 0 && !(u[i] == 0xc2 && u[i + 1] < 0xa0)) {
			memcpy(p, u + i, k);
			p += k;
			i += k;
			continue;
		}
		p += snprintf(p, 5, "\\x%02x", u[i++]);
	}
	*p = '\0';
	return o;
}
