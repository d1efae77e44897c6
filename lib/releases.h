/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * DHIS2 releases: the stable.json metadata (fetched, mirrored or read
 * from a local file), a version resolved to one WAR with its sha256, and
 * the Java and Tomcat a version needs.  The WAR download itself (resumed,
 * checked, installed with the previous WAR kept for rollback) is in
 * war_fetch.h.
 *
 * Every function returns a REL_* code and, on an error, writes a message
 * an operator can act on into the caller's buffer (curl's CURLOPT_ERRORBUFFER
 * pattern).  Nothing here exits or prints.
 */
#ifndef RELEASES_H
#define RELEASES_H

#include <stddef.h>

#define RELEASES_URL_DEFAULT \
	"https://releases.dhis2.org/v1/versions/stable.json"
#define RELEASES_MAX_BYTES	(8LL * 1024 * 1024)	/* today about 100 KB */
#define REL_ERRBUF_SIZE		512
#define REL_CONNECT_TIMEOUT	20	/* seconds to connect */
#define REL_STALL_TIMEOUT	60	/* seconds under 1 KB/s before giving up */
#define SHA256_HEX_LEN		64

/* Return codes. */
#define REL_OK		 0
#define REL_EINVAL	 1	/* bad argument: version, URL, sha256 */
#define REL_ENET	 2	/* could not connect, timed out, TLS failed */
#define REL_EHTTP	 3	/* the server answered with an error */
#define REL_EPARSE	 4	/* stable.json is not what we expect */
#define REL_ENOTFOUND	 5	/* no such version in the metadata */
#define REL_ETOOBIG	 6	/* larger than the limit */
#define REL_EIO		 7	/* a local file could not be read or written */
#define REL_ECHECKSUM	 8	/* sha256 mismatch: the download was deleted */
#define REL_EABORTED	 9	/* the progress callback asked to stop */

const char	*rel_strerror(int);
/* Write the message for an operator into errbuf (releases and war_fetch). */
void		 rel_err(char *errbuf, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Where stable.json comes from. */
struct rel_source {
	const char	*url;		/* NULL: RELEASES_URL_DEFAULT */
	const char	*mirror;	/* NULL or "http[s]://host[:port][/prefix]" */
	const char	*file;		/* offline: a local stable.json; wins */
	long		 connect_timeout; /* 0: REL_CONNECT_TIMEOUT */
	long		 stall_timeout;	/* 0: REL_STALL_TIMEOUT */
	/*
	 * Plain http: the metadata carries the WARs' sha256, so only when
	 * the profile pins every WAR's (profile_check refuses it else).
	 */
	int		 allow_http;
};

struct dhis2_patch {
	char		*name;		/* "2.41.3", also for hotfix 41.3.1 */
	char		*url;
	char		*sha256;	/* lower-case hex, or NULL if absent */
	int		 hotfix;	/* hotfixVersion; 0 for the patch itself */
	long long	 file_size;	/* bytes; 0 when unknown */
	char		*warn_severity;	/* NULL when there is no warning */
	char		*warn_summary;
	char		*warn_recommendation;
};

struct dhis2_major {
	char		*name;		/* "2.41" */
	char		*latest_url;	/* latestStableUrl, may be NULL */
	char		*sha256;
	int		 jdk;		/* 0 when absent */
	int		 supported;
	struct dhis2_patch *patches;
	size_t		 npatches;
};

struct dhis2_releases {
	struct dhis2_major *majors;
	size_t		 nmajors;
};

/* One version resolved to one WAR; strings owned, free with release_free. */
struct dhis2_release {
	char		*version;	/* "2.41.3", "2.41.3.1" for a hotfix */
	char		*major;		/* "2.41" */
	char		*url;		/* mirror applied */
	char		*sha256;
	long long	 file_size;
	int		 hotfix;
	int		 jdk;		/* from the metadata, else the table */
	int		 supported;	/* the major's "supported" flag */
	char		*warn_severity;	/* NULL: no warning */
	char		*warn_summary;
	char		*warn_recommendation;
};

/* The Java and Tomcat a DHIS2 version runs on (dhis2-facts.md). */
struct dhis2_runtime {
	int		 java;		/* Java major to install */
	int		 java_min;	/* the oldest Java it starts on */
	int		 tomcat;	/* Tomcat major it is built for: 9 or 10 */
	int		 javax;		/* javax.servlet: needs the migration
					   tool to run on Tomcat 10 */
};

/* releases.c */
int	 releases_parse(struct dhis2_releases *r, const char *buf,
	    size_t len, char *errbuf, size_t errlen);
int	 releases_load(struct dhis2_releases *r,
	    const struct rel_source *src, char *errbuf, size_t errlen);
void	 releases_free(struct dhis2_releases *);
int	 releases_resolve(const struct dhis2_releases *r,
	    const char *version, const char *mirror, struct dhis2_release *rel,
	    char *errbuf, size_t errlen);
void	 release_free(struct dhis2_release *);
int	 release_warning_text(const struct dhis2_release *, char *, size_t);
char	*rel_mirror_url(const char *, const char *);
int	 dhis2_version_cmp(const char *, const char *);
int	 dhis2_runtime(const char *, struct dhis2_runtime *);
int	 dhis2_runtime_for_version(const char *version, int *java,
	    int *tomcat_major, int *needs_jakarta_migration);

#endif
