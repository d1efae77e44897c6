/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * DHIS2 release metadata and the WAR download.  The peers fetch "latest"
 * with no checksum (dhis2-facts.md); here every WAR is checked against
 * the sha256 of the metadata (or the profile) before it replaces the
 * running one, and the running one is kept as DEST.prev for rollback.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "core.h"
#include "lazylib.h"
#include "releases.h"

#define SHA256_HEX_LEN	64
#define JSON_MAX_DEPTH	16
#define REL_RESTART	100	/* internal: resuming refused, start again */

static void rel_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
rel_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

const char *
rel_strerror(int code)
{
	switch (code) {
	case REL_OK:
		return "success";
	case REL_EINVAL:
		return "invalid argument";
	case REL_ENET:
		return "network error";
	case REL_EHTTP:
		return "HTTP error";
	case REL_EPARSE:
		return "unexpected releases metadata";
	case REL_ENOTFOUND:
		return "version not found";
	case REL_ETOOBIG:
		return "too large";
	case REL_EIO:
		return "file error";
	case REL_ECHECKSUM:
		return "sha256 mismatch";
	case REL_EABORTED:
		return "aborted";
	}
	return "unknown error";
}

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

/* ---- versions ---------------------------------------------------- */

/*
 * Split "2.41.3.1" into numbers; returns how many, 0 when it is not a
 * dotted version.  Leading "v" is not accepted: stable.json has none.
 */
static int
version_split(const char *s, long *parts, int max)
{
	char	*end;
	int	 n = 0;

	if (s == NULL)
		return 0;
	for (;;) {
		if (!isdigit((unsigned char)*s) || n == max)
			return 0;
		errno = 0;
		parts[n++] = strtol(s, &end, 10);
		if (errno != 0 || parts[n - 1] > 1000000)
			return 0;
		s = end;
		if (*s == '\0')
			return n;
		if (*s++ != '.')
			return 0;
	}
}

/* Numeric order: "2.41.10" after "2.41.9"; a shorter prefix sorts first. */
int
dhis2_version_cmp(const char *a, const char *b)
{
	long	pa[6], pb[6];
	int	na, nb, i;

	na = version_split(a, pa, 6);
	nb = version_split(b, pb, 6);
	for (i = 0; i < na && i < nb; i++) {
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

/*
 * The table of dhis2-facts.md.  2.40 gets Java 17: the docs recommend it
 * there, and Debian 12 and Ubuntu 24.04 no longer ship Java 11 as
 * default.  Versions after 2.43 are assumed to stay on the 2.43 line
 * until the table says otherwise.
 */
int
dhis2_runtime(const char *version, struct dhis2_runtime *rt)
{
	long	p[6];
	int	n;

	memset(rt, 0, sizeof(*rt));
	n = version_split(version, p, 6);
	if (n < 2 || p[0] != 2 || p[1] < 35)
		return REL_EINVAL;
	if (p[1] >= 42) {
		rt->java = rt->java_min = 17;
		rt->tomcat = 10;
		rt->javax = 0;
	} else if (p[1] >= 40) {
		rt->java = 17;
		rt->java_min = p[1] == 41 ? 17 : 11;
		rt->tomcat = 9;
		rt->javax = 1;
	} else if (p[1] >= 38) {
		rt->java = rt->java_min = 11;
		rt->tomcat = 9;
		rt->javax = 1;
	} else {
		rt->java = 11;
		rt->java_min = 8;
		rt->tomcat = 9;
		rt->javax = 1;
	}
	return REL_OK;
}

/*
 * needs_jakarta_migration is 1 when the WAR is a javax one: deployed on
 * Tomcat 10 (the only Tomcat of Debian 12) it must go through
 * tomcat-jakartaee-migration first.
 */
int
dhis2_runtime_for_version(const char *version, int *java, int *tomcat_major,
    int *needs_jakarta_migration)
{
	struct dhis2_runtime	rt;
	int			rc;

	if ((rc = dhis2_runtime(version, &rt)) != REL_OK)
		return rc;
	if (java != NULL)
		*java = rt.java;
	if (tomcat_major != NULL)
		*tomcat_major = rt.tomcat;
	if (needs_jakarta_migration != NULL)
		*needs_jakarta_migration = rt.javax;
	return REL_OK;
}

/* ---- mirror ------------------------------------------------------ */

static const char *
url_path(const char *url)
{
	const char	*p;

	if ((p = strstr(url, "://")) == NULL)
		return NULL;
	p += 3;
	p += strcspn(p, "/?#");
	return p;
}

/*
 * A mirror replaces scheme://host[:port] of a URL and keeps its path, so
 * "https://releases.dhis2.org/41/x.war" with mirror
 * "http://10.0.0.5/dhis2" becomes "http://10.0.0.5/dhis2/41/x.war".  A
 * mirror is a copy of the whole tree, stable.json included.
 */
char *
rel_mirror_url(const char *url, const char *mirror)
{
	const char	*path;
	char		*out;
	size_t		 mlen;

	if (mirror == NULL || *mirror == '\0')
		return xstrdup(url);
	if ((path = url_path(url)) == NULL)
		return xstrdup(url);
	mlen = strlen(mirror);
	while (mlen > 0 && mirror[mlen - 1] == '/')
		mlen--;
	xasprintf(&out, "%.*s%s", (int)mlen, mirror, path);
	return out;
}

static int
url_ok(const char *url)
{
	return strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0;
}

/* ---- stable.json --------------------------------------------------- */

static char *
jget_str(json_object *o, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static long long
jget_ll(json_object *o, const char *key)
{
	json_object	*v;
	const char	*s;
	char		*end;
	long long	 n;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	/* Some entries carry numbers as strings; a unit suffix is unknown. */
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0)
		return 0;
	return n;
}

/*
 * fileSize: bytes as a number, or the release script's "444.12 MB"
 * (MB meaning MiB there).  Unknown forms give 0: the size only informs.
 */
static long long
jget_size(json_object *o, const char *key)
{
	json_object	*v;
	const char	*s;
	char		*end;
	double		 d;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return jget_ll(o, key);
	s = json_object_get_string(v);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || d < 0 || d > 1e6)
		return 0;
	while (*end == ' ')
		end++;
	if (*end == '\0')
		return (long long)d;
	if (strcasecmp(end, "KB") == 0)
		return (long long)(d * 1024);
	if (strcasecmp(end, "MB") == 0)
		return (long long)(d * 1024 * 1024);
	if (strcasecmp(end, "GB") == 0)
		return (long long)(d * 1024 * 1024 * 1024);
	return 0;
}

static int
jget_bool(json_object *o, const char *key, int def)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return def;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return def;
}

static char *
sha_lower(char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (p - s != SHA256_HEX_LEN || strspn(s, "0123456789abcdef") !=
	    SHA256_HEX_LEN) {
		/* A malformed checksum is as good as none: refuse later. */
		free(s);
		return NULL;
	}
	return s;
}

static void
patch_free(struct dhis2_patch *p)
{
	free(p->name);
	free(p->url);
	free(p->sha256);
	free(p->warn_severity);
	free(p->warn_summary);
	free(p->warn_recommendation);
}

static int
parse_patch(json_object *o, struct dhis2_patch *p)
{
	json_object	*w;

	memset(p, 0, sizeof(*p));
	if (!json_object_is_type(o, json_type_object))
		return -1;
	p->name = jget_str(o, "name");
	p->url = jget_str(o, "url");
	if (p->name == NULL || p->url == NULL || version_split(p->name,
	    (long[6]){ 0 }, 6) < 3)
		return -1;
	p->sha256 = sha_lower(jget_str(o, "sha256"));
	/*
	 * DHIS2's release script names a hotfix like its patch ("2.41.3" for
	 * 41.3.1), sets "hotfix" to a boolean and the number in
	 * "hotfixVersion".  Older entries may have neither.
	 */
	if ((p->hotfix = (int)jget_ll(o, "hotfixVersion")) <= 0)
		p->hotfix = jget_bool(o, "hotfix", 0);
	p->file_size = jget_size(o, "fileSize");
	if (json_object_object_get_ex(o, "warning", &w) &&
	    json_object_is_type(w, json_type_object)) {
		p->warn_severity = jget_str(w, "severity");
		p->warn_summary = jget_str(w, "summary");
		p->warn_recommendation = jget_str(w, "recommendation");
		if (p->warn_severity == NULL)
			p->warn_severity = xstrdup("WARNING");
	}
	return 0;
}

static int
parse_major(json_object *o, struct dhis2_major *m, char *errbuf,
    size_t errlen)
{
	json_object	*arr;
	size_t		 i, n;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(o, json_type_object) ||
	    (m->name = jget_str(o, "name")) == NULL ||
	    version_split(m->name, (long[6]){ 0 }, 6) != 2) {
		rel_err(errbuf, errlen, "releases metadata: a version "
		    "without a valid \"name\"");
		return REL_EPARSE;
	}
	m->latest_url = jget_str(o, "latestStableUrl");
	m->sha256 = sha_lower(jget_str(o, "sha256"));
	m->jdk = (int)jget_ll(o, "jdk");
	m->supported = jget_bool(o, "supported", 0);
	if (!json_object_object_get_ex(o, "patchVersions", &arr))
		return REL_OK;
	if (!json_object_is_type(arr, json_type_array)) {
		rel_err(errbuf, errlen, "releases metadata: %s: "
		    "\"patchVersions\" is not a list", m->name);
		return REL_EPARSE;
	}
	n = json_object_array_length(arr);
	m->patches = xcalloc(n ? n : 1, sizeof(*m->patches));
	for (i = 0; i < n; i++) {
		if (parse_patch(json_object_array_get_idx(arr, i),
		    &m->patches[m->npatches]) == -1) {
			patch_free(&m->patches[m->npatches]);
			rel_err(errbuf, errlen, "releases metadata: %s: patch "
			    "%zu has no valid \"name\" or \"url\"", m->name, i);
			return REL_EPARSE;
		}
		m->npatches++;
	}
	return REL_OK;
}

void
releases_free(struct dhis2_releases *r)
{
	size_t	i, j;

	for (i = 0; i < r->nmajors; i++) {
		for (j = 0; j < r->majors[i].npatches; j++)
			patch_free(&r->majors[i].patches[j]);
		free(r->majors[i].patches);
		free(r->majors[i].name);
		free(r->majors[i].latest_url);
		free(r->majors[i].sha256);
	}
	free(r->majors);
	memset(r, 0, sizeof(*r));
}

int
releases_parse(struct dhis2_releases *r, const char *buf, size_t len,
    char *errbuf, size_t errlen)
{
	struct json_tokener	*tok;
	json_object		*root, *arr;
	size_t			 i, n, end;
	int			 rc = REL_OK;

	memset(r, 0, sizeof(*r));
	if (len > (size_t)RELEASES_MAX_BYTES) {
		rel_err(errbuf, errlen, "releases metadata larger than %lld "
		    "bytes", RELEASES_MAX_BYTES);
		return REL_ETOOBIG;
	}
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		fatalx("json_tokener_new_ex: out of memory");
	root = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (root != NULL && end < len && isspace((unsigned char)buf[end]))
		end++;
	if (root == NULL || end != len) {
		rel_err(errbuf, errlen, "releases metadata is not JSON: %s "
		    "at byte %zu", json_tokener_error_desc(
		    json_tokener_get_error(tok)), end);
		json_object_put(root);
		json_tokener_free(tok);
		return REL_EPARSE;
	}
	json_tokener_free(tok);
	if (!json_object_object_get_ex(root, "versions", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		rel_err(errbuf, errlen, "releases metadata has no "
		    "\"versions\" list");
		json_object_put(root);
		return REL_EPARSE;
	}
	n = json_object_array_length(arr);
	r->majors = xcalloc(n ? n : 1, sizeof(*r->majors));
	for (i = 0; i < n && rc == REL_OK; i++) {
		rc = parse_major(json_object_array_get_idx(arr, i),
		    &r->majors[i], errbuf, errlen);
		r->nmajors++;
	}
	json_object_put(root);
	if (rc != REL_OK)
		releases_free(r);
	return rc;
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
	 * source must not be redirected to plain http.
	 */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
	    strncmp(url, "https://", 8) == 0 ? "https" : "http,https");
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

static int
fetch_memory(const char *url, long connect_timeout, long stall_timeout,
    struct membuf *mb, char *errbuf, size_t errlen)
{
	char		 cerr[CURL_ERROR_SIZE];
	CURL		*c;
	CURLcode	 cc;
	long		 status = 0;
	int		 rc;

	if ((rc = rel_curl_init(errbuf, errlen)) != REL_OK)
		return rc;
	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	rel_curl_common(c, url, connect_timeout, stall_timeout, cerr);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)mb->max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mb);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc == CURLE_OK)
		return REL_OK;
	if (mb->toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		rel_err(errbuf, errlen, "%s: larger than %zu bytes", url,
		    mb->max);
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

int
releases_load(struct dhis2_releases *r, const struct rel_source *src,
    char *errbuf, size_t errlen)
{
	struct membuf	 mb;
	char		*url, *buf;
	size_t		 len;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (src != NULL && src->file != NULL) {
		if (read_file_limited(src->file, RELEASES_MAX_BYTES, &buf,
		    &len) == -1) {
			rel_err(errbuf, errlen, "%s: %s", src->file,
			    strerror(errno));
			return errno == EFBIG ? REL_ETOOBIG : REL_EIO;
		}
		rc = releases_parse(r, buf, len, errbuf, errlen);
		free(buf);
		return rc;
	}
	url = rel_mirror_url(src != NULL && src->url != NULL ? src->url :
	    RELEASES_URL_DEFAULT, src != NULL ? src->mirror : NULL);
	if (!url_ok(url)) {
		rel_err(errbuf, errlen, "%s: not an http or https URL", url);
		free(url);
		return REL_EINVAL;
	}
	memset(&mb, 0, sizeof(mb));
	mb.max = RELEASES_MAX_BYTES;
	rc = fetch_memory(url, src != NULL ? src->connect_timeout : 0,
	    src != NULL ? src->stall_timeout : 0, &mb, errbuf, errlen);
	if (rc == REL_OK) {
		rc = releases_parse(r, mb.buf != NULL ? mb.buf : "", mb.len,
		    errbuf, errlen);
	}
	free(mb.buf);
	free(url);
	return rc;
}

/* ---- resolving ------------------------------------------------------- */

static const struct dhis2_major *
find_major(const struct dhis2_releases *r, const char *want)
{
	size_t	i;

	for (i = 0; i < r->nmajors; i++) {
		if (dhis2_version_cmp(r->majors[i].name, want) == 0)
			return &r->majors[i];
	}
	return NULL;
}

/* Newer first: by name, then by hotfix number. */
static int
patch_newer(const struct dhis2_patch *a, const struct dhis2_patch *b)
{
	int	c;

	if (b == NULL)
		return 1;
	if ((c = dhis2_version_cmp(a->name, b->name)) != 0)
		return c > 0;
	return a->hotfix > b->hotfix;
}

/*
 * "2.41": the patch latestStableUrl names, else the newest.  "2.41.3":
 * the newest hotfix named "2.41.3" (the release script names hotfixes
 * after their patch), else the newest "2.41.3.N" (hotfixes under their
 * own names).  "2.41.3.1": that name, or "2.41.3" with hotfix 1.
 */
static const struct dhis2_patch *
find_patch(const struct dhis2_major *m, const char *want, int parts)
{
	const struct dhis2_patch	*best = NULL, *p;
	size_t				 i, wl = strlen(want);
	char				 base[64];
	const char			*dot;
	long				 hf = -1;

	if (parts == 4 && (dot = strrchr(want, '.')) != NULL &&
	    (size_t)(dot - want) < sizeof(base)) {
		snprintf(base, sizeof(base), "%.*s", (int)(dot - want), want);
		hf = strtol(dot + 1, NULL, 10);
	}
	for (i = 0; i < m->npatches; i++) {
		p = &m->patches[i];
		if (parts == 2 && m->latest_url != NULL &&
		    strcmp(p->url, m->latest_url) == 0)
			return p;
		if (parts == 4 && (strcmp(p->name, want) == 0 ||
		    (strcmp(p->name, base) == 0 && p->hotfix == hf)))
			return p;
		if (parts == 3 && strcmp(p->name, want) == 0 &&
		    patch_newer(p, best))
			best = p;
	}
	if (best != NULL || parts == 4)
		return best;
	for (i = 0; i < m->npatches; i++) {
		p = &m->patches[i];
		if (parts == 3 && (strncmp(p->name, want, wl) != 0 ||
		    p->name[wl] != '.'))
			continue;
		if (patch_newer(p, best))
			best = p;
	}
	return best;
}

static char *
xstrdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
release_free(struct dhis2_release *rel)
{
	free(rel->version);
	free(rel->major);
	free(rel->url);
	free(rel->sha256);
	free(rel->warn_severity);
	free(rel->warn_summary);
	free(rel->warn_recommendation);
	memset(rel, 0, sizeof(*rel));
}

int
releases_resolve(const struct dhis2_releases *r, const char *version,
    const char *mirror, struct dhis2_release *rel, char *errbuf,
    size_t errlen)
{
	const struct dhis2_major	*m;
	const struct dhis2_patch	*p;
	struct dhis2_runtime		 rt;
	long				 v[6];
	char				 major[32];
	int				 parts;

	memset(rel, 0, sizeof(*rel));
	parts = version_split(version, v, 6);
	if (parts < 2 || parts > 4 || v[0] != 2) {
		rel_err(errbuf, errlen, "\"%s\" is not a DHIS2 version "
		    "(2.MAJOR or 2.MAJOR.PATCH)", version != NULL ? version :
		    "");
		return REL_EINVAL;
	}
	snprintf(major, sizeof(major), "%ld.%ld", v[0], v[1]);
	if ((m = find_major(r, major)) == NULL) {
		rel_err(errbuf, errlen, "DHIS2 %s is not in the releases "
		    "metadata", major);
		return REL_ENOTFOUND;
	}
	if ((p = find_patch(m, version, parts)) == NULL) {
		rel_err(errbuf, errlen, "DHIS2 %s is not in the releases "
		    "metadata (%s has %zu patch versions)", version, m->name,
		    m->npatches);
		return REL_ENOTFOUND;
	}
	/* "2.41.3.1" for 41.3.1: resolving it again gives the same WAR. */
	if (p->hotfix > 0 && version_split(p->name, v, 6) == 3)
		xasprintf(&rel->version, "%s.%d", p->name, p->hotfix);
	else
		rel->version = xstrdup(p->name);
	rel->major = xstrdup(m->name);
	rel->url = rel_mirror_url(p->url, mirror);
	/* latestStableUrl carries its checksum on the major entry. */
	if (p->sha256 != NULL)
		rel->sha256 = xstrdup(p->sha256);
	else if (m->sha256 != NULL && m->latest_url != NULL &&
	    strcmp(m->latest_url, p->url) == 0)
		rel->sha256 = xstrdup(m->sha256);
	rel->file_size = p->file_size;
	rel->hotfix = p->hotfix;
	rel->supported = m->supported;
	rel->jdk = m->jdk;
	if (rel->jdk == 0 && dhis2_runtime(p->name, &rt) == REL_OK)
		rel->jdk = rt.java;
	rel->warn_severity = xstrdup_or_null(p->warn_severity);
	rel->warn_summary = xstrdup_or_null(p->warn_summary);
	rel->warn_recommendation = xstrdup_or_null(p->warn_recommendation);
	if (rel->sha256 == NULL) {
		rel_err(errbuf, errlen, "DHIS2 %s has no sha256 in the "
		    "releases metadata: give the WAR's sha256 in the profile "
		    "(war_url and war_sha256)", rel->version);
		release_free(rel);
		return REL_EPARSE;
	}
	return REL_OK;
}

/*
 * What an operator must read before installing: the release's own
 * warning and an unsupported major.  Returns how many things were said.
 */
int
release_warning_text(const struct dhis2_release *rel, char *buf, size_t len)
{
	size_t	off = 0;
	int	n = 0, w;

	if (len > 0)
		buf[0] = '\0';
	if (!rel->supported) {
		w = snprintf(buf, len, "DHIS2 %s is no longer supported: it "
		    "gets no security fixes; plan an upgrade.", rel->major);
		off = w > 0 ? (size_t)w : 0;
		n++;
	}
	if (rel->warn_severity != NULL || rel->warn_summary != NULL) {
		snprintf(buf + (off < len ? off : len), off < len ? len - off :
		    0, "%s%s %s: %s%s%s", n > 0 ? " " : "",
		    rel->warn_severity != NULL ? rel->warn_severity : "WARNING",
		    rel->version, rel->warn_summary != NULL ?
		    rel->warn_summary : "(no summary)",
		    rel->warn_recommendation != NULL ? " " : "",
		    rel->warn_recommendation != NULL ?
		    rel->warn_recommendation : "");
		n++;
	}
	return n;
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
	if (wf->url == NULL || !url_ok(wf->url)) {
		rel_err(errbuf, errlen, "%s: not an http or https URL",
		    wf->url != NULL ? wf->url : "(none)");
		return REL_EINVAL;
	}
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
