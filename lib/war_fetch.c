/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The HTTP side of DHIS2 releases and the WAR on disk: stable.json into
 * memory, a WAR downloaded with resume, its sha256, installed with the
 * running one kept as DEST.prev for rollback, and the progress shown
 * meanwhile.  The peers fetch "latest" with no checksum (dhis2-facts.md);
 * here every WAR is checked against the sha256 of the metadata (or the
 * profile) before it replaces the running one.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "core.h"
#include "lazylib.h"
#include "releases.h"
#include "war_fetch.h"

#define REL_RESTART	100	/* internal: resuming refused, start again */

/*
 * libcurl is loaded, and initialised once, on first use (lazylib.c): a
 * machine without it gets the package to install as the error.
 */
static int
rel_curl_init(char *errbuf, size_t errlen)
{
	char	*err;

	if (lazylib_load(LAZY_CURL, &err) == -1) {
		rel_err(errbuf, errlen, "%s", err);
		free(err);
		return REL_ENET;
	}
	return REL_OK;
}

static int
url_ok(const char *url)
{
	return strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0;
}

#define STR(x)	#x
#define XSTR(x)	STR(x)

const char war_fetch_script[] =
    "set -e\n"
    "url=$1 sum=$2 dest=$3 proto=$4 stall=$5\n"
    "mkdir -p \"$(dirname \"$dest\")\"\n"
    "if [ -f \"$dest\" ] && echo \"$sum  $dest\" | sha256sum -c --status; "
    "then exit 0; fi\n"
    "get() { curl -fsSL --proto \"$proto\" --proto-redir \"$proto\" "
    "--retry 3 --connect-timeout " XSTR(REL_CONNECT_TIMEOUT) " "
    "--speed-limit 1024 --speed-time \"$stall\" \"$@\"; }\n"
    "rc=0\n"
    "get -C - -o \"$dest.part\" -- \"$url\" || rc=$?\n"
    /* 22: a part of another WAR (416) or an error; 33, 36: no resume */
    "case $rc in 22|33|36) rm -f \"$dest.part\"; rc=0\n"
    "  get -o \"$dest.part\" -- \"$url\" || rc=$? ;; esac\n"
    "if [ $rc -ne 0 ]; then\n"
    "  echo \"$url: curl failed (exit $rc)\" >&2; exit $rc\n"
    "fi\n"
    "if ! echo \"$sum  $dest.part\" | sha256sum -c --status; then\n"
    "  echo \"sha256 mismatch: $url is not the WAR with sha256 $sum; "
    "deleted\" >&2\n"
    "  rm -f \"$dest.part\"; exit 3\n"
    "fi\n"
    "mv -f \"$dest.part\" \"$dest\"\n";

const char *
war_fetch_proto(int allow_http)
{
	return allow_http ? "=http,https" : "=https";
}

/* https, or plain http when the caller allowed it; else a message. */
static int
url_allowed(const char *url, int allow_http, char *errbuf, size_t errlen)
{
	if (url == NULL || !url_ok(url)) {
		rel_err(errbuf, errlen, "%s: not an http or https URL",
		    url != NULL ? url : "(none)");
		return 0;
	}
	if (!allow_http && strncmp(url, "http://", 7) == 0) {
		rel_err(errbuf, errlen, "%s: plain http is refused: anyone on "
		    "the path could change the WAR; use https, or pin its "
		    "sha256 in the profile (war.url with war.sha256)", url);
		return 0;
	}
	return 1;
}

/* ---- fetching into memory ------------------------------------------ */

struct membuf {
	char		*buf;
	size_t		 len;
	size_t		 max;
	int		 toobig;
};

static size_t
membuf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct membuf	*mb = arg;
	size_t		 n = size * nmemb;

	if (n > mb->max - mb->len) {
		mb->toobig = 1;
		return 0;
	}
	mb->buf = xreallocarray(mb->buf, mb->len + n + 1, 1);
	memcpy(mb->buf + mb->len, data, n);
	mb->len += n;
	mb->buf[mb->len] = '\0';
	return n;
}

/* Options every transfer shares: only HTTP(S), bounded waits. */
static void
rel_curl_common(CURL *c, const char *url, long connect_timeout,
    long stall_timeout, char *cerr)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/*
	 * No downgrade: stable.json carries the checksums, so an https
	 * source must not be redirected to plain http, nor be it.
	 */
	if (strncmp(url, "https://", 8) == 0) {
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	} else
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_timeout > 0 ?
	    connect_timeout : (long)REL_CONNECT_TIMEOUT);
	/* A WAR takes minutes on a slow link: limit stalls, not the total. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_timeout > 0 ?
	    stall_timeout : (long)REL_STALL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cerr[0] = '\0';
}

static int
curl_code_to_rel(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return REL_OK;
	case CURLE_HTTP_RETURNED_ERROR:
		return REL_EHTTP;
	case CURLE_FILESIZE_EXCEEDED:
		return REL_ETOOBIG;
	case CURLE_ABORTED_BY_CALLBACK:
		return REL_EABORTED;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return REL_EINVAL;
	case CURLE_WRITE_ERROR:
		return REL_EIO;
	default:
		return REL_ENET;
	}
}

/*
 * GET URL into memory, at most MAX bytes.  On REL_OK *buf (NUL-terminated,
 * NULL when the body was empty) and *len are the caller's to free.
 */
int
rel_http_get(const char *url, long connect_timeout, long stall_timeout,
    size_t max, char **buf, size_t *len, char *errbuf, size_t errlen)
{
	char		 cerr[CURL_ERROR_SIZE];
	struct membuf	 mb;
	CURL		*c;
	CURLcode	 cc;
	long		 status = 0;
	int		 rc;

	*buf = NULL;
	*len = 0;
	if (!url_ok(url)) {
		rel_err(errbuf, errlen, "%s: not an http or https URL", url);
		return REL_EINVAL;
	}
	if ((rc = rel_curl_init(errbuf, errlen)) != REL_OK)
		return rc;
	memset(&mb, 0, sizeof(mb));
	mb.max = max;
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	rel_curl_common(c, url, connect_timeout, stall_timeout, cerr);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)mb.max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &mb);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc == CURLE_OK) {
		*buf = mb.buf;
		*len = mb.len;
		return REL_OK;
	}
	free(mb.buf);
	if (mb.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		rel_err(errbuf, errlen, "%s: larger than %zu bytes", url,
		    mb.max);
		return REL_ETOOBIG;
	}
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		rel_err(errbuf, errlen, "%s: the server answered HTTP %ld",
		    url, status);
	else
		rel_err(errbuf, errlen, "%s: %s", url, cerr[0] != '\0' ? cerr :
		    curl_easy_strerror(cc));
	return curl_code_to_rel(cc);
}

/* ---- sha256 ---------------------------------------------------------- */

int
sha256_file(const char *path, char *hex, size_t hexlen, char *errbuf,
    size_t errlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*ctx;
	ssize_t		 n;
	int		 fd, ok = 1;

	if (hexlen < SHA256_HEX_LEN + 1)
		return REL_EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rel_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		return REL_EIO;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("EVP_MD_CTX_new: out of memory");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ok = 0;
	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rel_err(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			EVP_MD_CTX_free(ctx);
			close(fd);
			return REL_EIO;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			ok = 0;
	}
	close(fd);
	if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		ok = 0;
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen * 2 != SHA256_HEX_LEN) {
		rel_err(errbuf, errlen, "%s: sha256 failed in libcrypto", path);
		return REL_EIO;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	return REL_OK;
}

static int
valid_sha(const char *s)
{
	return s != NULL && strlen(s) == SHA256_HEX_LEN &&
	    strspn(s, "0123456789abcdefABCDEF") == SHA256_HEX_LEN;
}

/* ---- installing -------------------------------------------------- */

/* DEST already holds this WAR: a converged re-run changes nothing. */
static int
dest_has(const char *dest, const char *sha)
{
	char	hex[SHA256_HEX_LEN + 1];

	if (access(dest, F_OK) == -1)
		return 0;
	if (sha256_file(dest, hex, sizeof(hex), NULL, 0) != REL_OK)
		return 0;
	return strcasecmp(hex, sha) == 0;
}

/*
 * Check PART and move it to DEST, DEST to DEST.prev.  On a mismatch the
 * part is deleted: resuming onto bad bytes would never converge.
 */
static int
verify_and_install(const char *part, const char *dest, const char *sha,
    const char *what, char *errbuf, size_t errlen)
{
	char	 hex[SHA256_HEX_LEN + 1], *prev;
	int	 rc;

	if ((rc = sha256_file(part, hex, sizeof(hex), errbuf, errlen)) !=
	    REL_OK)
		return rc;
	if (sha != NULL && strcasecmp(hex, sha) != 0) {
		unlink(part);
		rel_err(errbuf, errlen, "%s: sha256 mismatch: expected %s, got "
		    "%s; the file was deleted and nothing was installed", what,
		    sha, hex);
		return REL_ECHECKSUM;
	}
	xasprintf(&prev, "%s.prev", dest);
	if (access(dest, F_OK) == 0 && rename(dest, prev) == -1) {
		rel_err(errbuf, errlen, "%s -> %s: %s", dest, prev,
		    strerror(errno));
		free(prev);
		return REL_EIO;
	}
	if (rename(part, dest) == -1) {
		rel_err(errbuf, errlen, "%s -> %s: %s", part, dest,
		    strerror(errno));
		/* Put the running WAR back where the service expects it. */
		if (access(prev, F_OK) == 0)
			(void)rename(prev, dest);
		free(prev);
		return REL_EIO;
	}
	free(prev);
	return REL_OK;
}

/* DEST.prev back to DEST; the WAR it replaces becomes DEST.prev. */
int
war_rollback(const char *dest, char *errbuf, size_t errlen)
{
	char	*prev, *tmp;
	int	 rc = REL_OK;

	xasprintf(&prev, "%s.prev", dest);
	xasprintf(&tmp, "%s.rollback", dest);
	if (access(prev, F_OK) == -1) {
		rel_err(errbuf, errlen, "%s: no previous WAR to roll back to",
		    prev);
		rc = REL_EIO;
	} else if ((access(dest, F_OK) == 0 && rename(dest, tmp) == -1) ||
	    rename(prev, dest) == -1 ||
	    (access(tmp, F_OK) == 0 && rename(tmp, prev) == -1)) {
		rel_err(errbuf, errlen, "rolling back %s: %s", dest,
		    strerror(errno));
		rc = REL_EIO;
	}
	free(prev);
	free(tmp);
	return rc;
}

/* ---- the download -------------------------------------------------- */

struct dl {
	const struct war_fetch	*wf;
	CURL			*curl;
	int			 fd;
	long long		 offset;	/* bytes already in the part */
	long long		 written;	/* bytes this transfer */
	long long		 max;
	int			 toobig;
	int			 ioerr;
};

static size_t
dl_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct dl	*d = arg;
	size_t		 n = size * nmemb, done = 0;
	ssize_t		 w;

	if ((long long)n > d->max - d->offset - d->written) {
		d->toobig = 1;
		return 0;
	}
	while (done < n) {
		w = write(d->fd, data + done, n - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			d->ioerr = errno;
			return 0;
		}
		done += (size_t)w;
	}
	d->written += (long long)n;
	return n;
}

static int
dl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct dl	*d = arg;
	long long	 total = 0;

	if (d->wf->progress == NULL)
		return 0;
	if (dltotal > 0)
		total = d->offset + (long long)dltotal;
	return d->wf->progress(d->wf->progress_arg, d->offset + (long long)dlnow,
	    total) != 0;
}

/* One transfer into PART, resuming from what it holds. */
static int
dl_once(const struct war_fetch *wf, const char *part, long long *got,
    long *status, char *errbuf, size_t errlen)
{
	char		 cerr[CURL_ERROR_SIZE];
	struct stat	 st;
	struct dl	 d;
	CURLcode	 cc;
	int		 rc;

	memset(&d, 0, sizeof(d));
	d.wf = wf;
	d.max = wf->max_bytes > 0 ? wf->max_bytes : WAR_MAX_BYTES;
	if ((d.fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1 || fstat(d.fd, &st) == -1) {
		rel_err(errbuf, errlen, "%s: %s", part, strerror(errno));
		if (d.fd != -1)
			close(d.fd);
		return REL_EIO;
	}
	d.offset = st.st_size;
	if ((d.curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	rel_curl_common(d.curl, wf->url, wf->connect_timeout,
	    wf->stall_timeout, cerr);
	curl_easy_setopt(d.curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(d.curl, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(d.curl, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(d.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(d.curl, CURLOPT_XFERINFOFUNCTION, dl_progress);
	curl_easy_setopt(d.curl, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(d.curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d.max);
	if (d.offset > 0)
		curl_easy_setopt(d.curl, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)d.offset);
	cc = curl_easy_perform(d.curl);
	curl_easy_getinfo(d.curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(d.curl);
	if (fsync(d.fd) == -1 && cc == CURLE_OK)
		d.ioerr = errno;
	if (close(d.fd) == -1 && cc == CURLE_OK)
		d.ioerr = errno;
	*got = d.offset + d.written;
	if (d.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		unlink(part);
		rel_err(errbuf, errlen, "%s: larger than the limit of %lld "
		    "bytes; refused", wf->url, d.max);
		return REL_ETOOBIG;
	}
	if (d.ioerr != 0) {
		rel_err(errbuf, errlen, "%s: %s", part, strerror(d.ioerr));
		return REL_EIO;
	}
	if (cc == CURLE_OK)
		return REL_OK;
	if (cc == CURLE_RANGE_ERROR && d.offset > 0)
		return REL_RESTART;
	rc = curl_code_to_rel(cc);
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		rel_err(errbuf, errlen, "%s: the server answered HTTP %ld",
		    wf->url, *status);
	else if (rc == REL_ENET)
		rel_err(errbuf, errlen, "%s: %s (the part downloaded so far "
		    "is kept in %s; run again to resume)", wf->url,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc), part);
	else
		rel_err(errbuf, errlen, "%s: %s", wf->url, cerr[0] != '\0' ?
		    cerr : curl_easy_strerror(cc));
	return rc;
}

int
war_download(const struct war_fetch *wf, int *result, char *errbuf,
    size_t errlen)
{
	char		*part;
	long long	 got = 0;
	long		 status = 0;
	int		 rc;

	if (result != NULL)
		*result = WAR_UNCHANGED;
	if (!url_allowed(wf->url, wf->allow_http, errbuf, errlen))
		return REL_EINVAL;
	if (!valid_sha(wf->sha256)) {
		rel_err(errbuf, errlen, "%s: no valid sha256 to check it "
		    "against; refusing to install an unchecked WAR", wf->url);
		return REL_EINVAL;
	}
	if (wf->dest == NULL || *wf->dest == '\0')
		return REL_EINVAL;
	if (dest_has(wf->dest, wf->sha256))
		return REL_OK;
	if ((rc = rel_curl_init(errbuf, errlen)) != REL_OK)
		return rc;
	xasprintf(&part, "%s.part", wf->dest);
	rc = dl_once(wf, part, &got, &status, errbuf, errlen);
	if (rc == REL_RESTART) {
		/* The server cannot resume: the part is useless. */
		unlink(part);
		rc = dl_once(wf, part, &got, &status, errbuf, errlen);
	}
	/*
	 * 416: the part is as long as the file or longer, or stale from a
	 * different WAR.  If it checks out, use it; else start again once.
	 */
	if ((rc == REL_EHTTP || rc == REL_OK) && status == 416) {
		rc = verify_and_install(part, wf->dest, wf->sha256, wf->url,
		    errbuf, errlen);
		if (rc == REL_ECHECKSUM) {
			unlink(part);
			rc = dl_once(wf, part, &got, &status, errbuf, errlen);
		} else {
			goto out;
		}
	}
	if (rc == REL_OK)
		rc = verify_and_install(part, wf->dest, wf->sha256, wf->url,
		    errbuf, errlen);
out:
	if (rc == REL_OK && result != NULL)
		*result = WAR_INSTALLED;
	/* Keep a part worth resuming, not an empty one from a 404. */
	if (rc != REL_OK && got == 0)
		unlink(part);
	free(part);
	return rc;
}

int
war_fetch_here(const struct war_fetch *wf, int *result, char *errbuf,
    size_t errlen)
{
	if (wf->file != NULL)
		return war_install_file(wf->file, wf->dest, wf->sha256, result,
		    errbuf, errlen);
	return war_download(wf, result, errbuf, errlen);
}

static int
copy_fd(int in, int out)
{
	char	buf[65536];
	ssize_t	n, w, off;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		for (off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w == -1)
				return -1;
		}
	}
}

/*
 * Offline: an operator's own WAR file.  The sha256 is checked when given
 * (the profile requires it for a URL, not for a file the operator put
 * there); the copy goes through DEST.part like a download.
 */
int
war_install_file(const char *src, const char *dest, const char *sha256,
    int *result, char *errbuf, size_t errlen)
{
	struct stat	 st;
	char		*part, hex[SHA256_HEX_LEN + 1];
	int		 in, out, rc;

	if (result != NULL)
		*result = WAR_UNCHANGED;
	if (sha256 != NULL && !valid_sha(sha256)) {
		rel_err(errbuf, errlen, "\"%s\" is not a sha256", sha256);
		return REL_EINVAL;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(in, &st) == -1) {
		rel_err(errbuf, errlen, "%s: %s", src, strerror(errno));
		if (in != -1)
			close(in);
		return REL_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(in);
		rel_err(errbuf, errlen, "%s: not a regular file", src);
		return REL_EIO;
	}
	if (st.st_size > WAR_MAX_BYTES) {
		close(in);
		rel_err(errbuf, errlen, "%s: larger than %lld bytes", src,
		    WAR_MAX_BYTES);
		return REL_ETOOBIG;
	}
	if (sha256 == NULL) {
		if ((rc = sha256_file(src, hex, sizeof(hex), errbuf,
		    errlen)) != REL_OK) {
			close(in);
			return rc;
		}
		sha256 = hex;
	}
	if (dest_has(dest, sha256)) {
		close(in);
		return REL_OK;
	}
	xasprintf(&part, "%s.part", dest);
	rc = REL_OK;
	if ((out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || copy_fd(in, out) == -1 || fsync(out) == -1) {
		rel_err(errbuf, errlen, "%s -> %s: %s", src, part,
		    strerror(errno));
		rc = REL_EIO;
	}
	close(in);
	if (out != -1 && close(out) == -1 && rc == REL_OK) {
		rel_err(errbuf, errlen, "%s: %s", part, strerror(errno));
		rc = REL_EIO;
	}
	if (rc == REL_OK)
		rc = verify_and_install(part, dest, sha256, src, errbuf,
		    errlen);
	else
		unlink(part);
	if (rc == REL_OK && result != NULL)
		*result = WAR_INSTALLED;
	free(part);
	return rc;
}

/* ---- progress ---------------------------------------------------- */

void
progress_bar_text(char *buf, size_t len, long long now, long long total,
    int width)
{
	char	bar[256];
	int	fill, i, pct;

	if (len == 0)
		return;
	if (total <= 0) {
		snprintf(buf, len, "%.1f MiB", now / 1048576.0);
		return;
	}
	if (width < 3)
		width = 3;
	if (width > (int)sizeof(bar) - 1)
		width = (int)sizeof(bar) - 1;
	if (now > total)
		now = total;
	if (now < 0)
		now = 0;
	pct = (int)(now * 100 / total);
	fill = (int)(now * width / total);
	for (i = 0; i < width; i++) {
		if (i < fill)
			bar[i] = '=';
		else if (i == fill && fill < width)
			bar[i] = '>';
		else
			bar[i] = ' ';
	}
	bar[width] = '\0';
	snprintf(buf, len, "[%s] %3d%%  %.1f/%.1f MiB", bar, pct,
	    now / 1048576.0, total / 1048576.0);
}

int
progress_plain(void *arg, long long now, long long total)
{
	struct progress_plain	*pp = arg;
	int			 step;

	if (total <= 0)
		return 0;
	step = (int)(now * 10 / total);
	if (step > pp->last) {
		pp->last = step;
		fprintf(pp->fp, "%s: %d%% (%.1f of %.1f MiB)\n",
		    pp->label != NULL ? pp->label : "download", step * 10,
		    now / 1048576.0, total / 1048576.0);
		fflush(pp->fp);
	}
	return 0;
}
