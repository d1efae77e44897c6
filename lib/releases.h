/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * DHIS2 releases: the stable.json metadata (fetched, mirrored or read
 * from a local file), a version resolved to one WAR with its sha256, the
 * Java and Tomcat a version needs, and the WAR download itself (resumed,
 * checked, installed with the previous WAR kept for rollback).
 *
 * Every function returns a REL_* code and, on an error, writes a message
 * an operator can act on into the caller's buffer (curl's CURLOPT_ERRORBUFFER
 * pattern).  Nothing here exits or prints, except the plain progress
 * printer which the caller chooses to install.
 */
#ifndef RELEASES_H
#define RELEASES_H

#include <stddef.h>
#include <stdio.h>

#define RELEASES_URL_DEFAULT \
	"https://releases.dhis2.org/v1/versions/stable.json"
#define RELEASES_MAX_BYTES	(8LL * 1024 * 1024)	/* today about 100 KB */
#define WAR_MAX_BYTES		(2LL * 1024 * 1024 * 1024) /* WARs are ~300 MB */
#define REL_ERRBUF_SIZE		512
#define REL_CONNECT_TIMEOUT	20	/* seconds to connect */
#define REL_STALL_TIMEOUT	60	/* seconds under 1 KB/s before giving up */

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

/* Where stable.json comes from. */
struct rel_source {
	const char	*url;		/* NULL: RELEASES_URL_DEFAULT */
	const char	*mirror;	/* NULL or "http[s]://host[:port][/prefix]" */
	const char	*file;		/* offline: a local stable.json; wins */
	long		 connect_timeout; /* 0: REL_CONNECT_TIMEOUT */
	long		 stall_timeout;	/* 0: REL_STALL_TIMEOUT */
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

/* releases.c: metadata */
int	 releases_parse(struct dhis2_releases *, const char *, size_t,
	    char *, size_t);
int	 releases_load(struct dhis2_releases *, const struct rel_source *,
	    char *, size_t);
void	 releases_free(struct dhis2_releases *);
int	 releases_resolve(const struct dhis2_releases *, const char *,
	    const char *, struct dhis2_release *, char *, size_t);
void	 release_free(struct dhis2_release *);
int	 release_warning_text(const struct dhis2_release *, char *, size_t);
char	*rel_mirror_url(const char *, const char *);
int	 dhis2_version_cmp(const char *, const char *);
int	 dhis2_runtime(const char *, struct dhis2_runtime *);
int	 dhis2_runtime_for_version(const char *, int *, int *, int *);

/*
 * releases.c: download.  progress gets (arg, bytes so far including a
 * resumed part, total or 0 when unknown) and returns non-zero to abort.
 */
typedef int (*rel_progress_cb)(void *, long long, long long);

struct war_fetch {
	const char	*url;
	const char	*sha256;	/* required: nothing is installed unchecked */
	const char	*dest;		/* DEST; DEST.part while downloading */
	long long	 max_bytes;	/* 0: WAR_MAX_BYTES */
	long		 connect_timeout; /* 0: REL_CONNECT_TIMEOUT */
	long		 stall_timeout;	/* 0: REL_STALL_TIMEOUT */
	rel_progress_cb	 progress;	/* may be NULL */
	void		*progress_arg;
};

/* What war_download/war_install_file did, for the step's report. */
#define WAR_UNCHANGED	0	/* DEST already had this sha256 */
#define WAR_INSTALLED	1	/* DEST is new; the old one is DEST.prev */

int	 war_download(const struct war_fetch *, int *, char *, size_t);
int	 war_install_file(const char *, const char *, const char *, int *,
	    char *, size_t);
int	 war_rollback(const char *, char *, size_t);
int	 sha256_file(const char *, char *, size_t, char *, size_t);

/* A text bar "[=====>    ]  45%  12.3/27.0 MiB" for a terminal. */
void	 progress_bar_text(char *, size_t, long long, long long, int);

/* A progress callback for logs and non-TTY output: a line per 10%. */
struct progress_plain {
	FILE		*fp;
	const char	*label;
	int		 last;		/* set to -1 before the download */
};
int	 progress_plain(void *, long long, long long);

#endif
