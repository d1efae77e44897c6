/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * DHIS2 release knowledge: version order, the Java and Tomcat a version
 * runs on, the stable.json metadata (parsed, loaded from a file or over
 * HTTP through war_fetch.c) and a version resolved to one WAR with its
 * sha256.  The download itself is in war_fetch.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "core.h"
#include "releases.h"
#include "war_fetch.h"

#define JSON_MAX_DEPTH	16

void
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

int
releases_load(struct dhis2_releases *r, const struct rel_source *src,
    char *errbuf, size_t errlen)
{
	char	*url, *buf;
	size_t	 len;
	int	 rc;

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
	if (strncmp(url, "http://", 7) == 0 && (src == NULL ||
	    !src->allow_http)) {
		rel_err(errbuf, errlen, "%s: plain http is refused for the "
		    "releases metadata, which carries the WARs' sha256: use "
		    "https", url);
		free(url);
		return REL_EINVAL;
	}
	rc = rel_http_get(url, src != NULL ? src->connect_timeout : 0,
	    src != NULL ? src->stall_timeout : 0, RELEASES_MAX_BYTES, &buf,
	    &len, errbuf, errlen);
	if (rc == REL_OK) {
		rc = releases_parse(r, buf != NULL ? buf : "", len, errbuf,
		    errlen);
	}
	free(buf);
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

