/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The HTTP side of DHIS2 releases and the WAR on disk: stable.json into
 * memory for releases_load, the WAR download (resumed, checked against its
 * sha256, installed with the previous WAR kept for rollback), an
 * operator's own WAR file installed the same way, and download progress.
 *
 * Return codes and error buffers are those of releases.h.  Nothing here
 * exits or prints, except the plain progress printer which the caller
 * chooses to install.
 */
#ifndef WAR_FETCH_H
#define WAR_FETCH_H

#include <stddef.h>
#include <stdio.h>

#include "releases.h"

#define WAR_MAX_BYTES		(2LL * 1024 * 1024 * 1024) /* WARs are ~300 MB */

/*
 * progress gets (arg, bytes so far including a resumed part, total or 0
 * when unknown) and returns non-zero to abort.
 */
typedef int (*rel_progress_cb)(void *, long long, long long);

struct war_fetch {
	const char	*url;
	const char	*file;		/* war_fetch_here: this file, not url */
	const char	*sha256;	/* required: nothing is installed unchecked */
	const char	*dest;		/* DEST; DEST.part while downloading */
	long long	 max_bytes;	/* 0: WAR_MAX_BYTES */
	long		 connect_timeout; /* 0: REL_CONNECT_TIMEOUT */
	long		 stall_timeout;	/* 0: REL_STALL_TIMEOUT */
	rel_progress_cb	 progress;	/* may be NULL */
	void		*progress_arg;
	/*
	 * Plain http may carry the WAR: only when its sha256 is the
	 * profile's own (war.url with war.sha256), not from metadata that
	 * came the same way.
	 */
	int		 allow_http;
};

/* What war_download/war_install_file did, for the step's report. */
#define WAR_UNCHANGED	0	/* DEST already had this sha256 */
#define WAR_INSTALLED	1	/* DEST is new; the old one is DEST.prev */

int	 rel_http_get(const char *url, long connect_timeout,
	    long stall_timeout, size_t max, char **buf, size_t *len,
	    char *errbuf, size_t errlen);
int	 war_download(const struct war_fetch *wf, int *result, char *errbuf,
	    size_t errlen);
int	 war_install_file(const char *src, const char *dest,
	    const char *sha256, int *result, char *errbuf, size_t errlen);
/* wf->file copied, else wf->url downloaded, into wf->dest; checked. */
int	 war_fetch_here(const struct war_fetch *wf, int *result,
	    char *errbuf, size_t errlen);

/*
 * The same on a target, with its curl and sha256sum: sh -c
 * war_fetch_script NAME URL SHA256 DEST PROTO STALL.  curl gets --proto
 * and --proto-redir PROTO (war_fetch_proto), the URL after "--", a
 * connect timeout of REL_CONNECT_TIMEOUT and gives up under 1 KB/s for
 * STALL seconds (a trickling mirror); a resume the server refuses starts
 * again once.  A part that fails the sum is deleted (exit 3).
 */
extern const char war_fetch_script[];
/* "=https", or "=http,https" when the sum is the profile's own. */
const char	*war_fetch_proto(int allow_http);
int	 war_rollback(const char *dest, char *errbuf, size_t errlen);
int	 sha256_file(const char *path, char *hex, size_t hexlen,
	    char *errbuf, size_t errlen);

/* A text bar "[=====>    ]  45%  12.3/27.0 MiB" for a terminal. */
void	 progress_bar_text(char *buf, size_t len, long long now,
	    long long total, int width);

/* A progress callback for logs and non-TTY output: a line per 10%. */
struct progress_plain {
	FILE		*fp;
	const char	*label;
	int		 last;		/* set to -1 before the download */
};
int	 progress_plain(void *, long long, long long);

#endif
