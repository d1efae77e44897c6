/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * war: the DHIS2 WAR of each instance, resolved from the releases metadata
 * (or the profile's URL or local file), downloaded with resume, refused
 * unless its sha256 matches, migrated javax -> jakarta where Tomcat 10
 * needs it, deployed with the previous WAR kept as .prev for rollback,
 * and the instance's Tomcats (re)started.
 *
 * Where it is fetched: on this machine (libcurl, with a progress bar) when
 * the target is this machine; on the target itself (curl, then sha256sum)
 * otherwise, so that a slow link to the operator never carries the WAR.
 * A war.file of this machine is copied to a remote target (once: a cached
 * copy with the right sum is kept) and its sum checked there again.
 * Either way nothing unchecked is deployed.
 *
 * Each deployed WAR has a marker CONTEXT.war.sha256 with the sha256 of the
 * WAR it came from (a migrated WAR's own sum differs), which is what check
 * compares: a converged run downloads nothing.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "profile.h"
#include "releases.h"
#include "war_fetch.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "tomcat.h"
#include "transport.h"

#define WAR_CACHE	"/var/cache/dhis2-setup"

struct war_want {
	const struct instance	*in;
	char			*url;		/* NULL for a local file */
	char			*file;
	char			 sha256[65];	/* of the source WAR */
	char			*version;
	char			 cache[160];
	int			 pinned;	/* the sum is the profile's */
	int			 differs;
	int			 migrate;
};

/* The k-th instance this machine runs (each its own with isolation lxc). */
static const struct instance *
nth_here(struct step_ctx *ctx, size_t k)
{
	size_t	i;

	for (i = 0; i < ctx->profile->ninstances; i++) {
		if (tomcat_runs_here(ctx, i) && k-- == 0)
			return &ctx->profile->instances[i];
	}
	return NULL;
}

/* Resolve every instance's WAR; -1 after step_fail. */
static int
war_resolve(struct step_ctx *ctx, struct war_want *w, size_t n)
{
	const struct profile	*p = ctx->profile;
	struct dhis2_releases	 rel;
	struct dhis2_release	 r;
	struct rel_source	 src = { .url = p->releases.url,
				    .mirror = p->releases.mirror,
				    .file = p->releases.file };
	char			 err[REL_ERRBUF_SIZE], warn[512];
	int			 loaded = 0, rc = 0;
	size_t			 i;

	for (i = 0; i < n && rc == 0; i++) {
		const struct instance *in = nth_here(ctx, i);

		w[i].in = in;
		if (in->war_source == WAR_URL) {
			w[i].url = xstrdup(in->war_url);
			w[i].pinned = 1;
			snprintf(w[i].sha256, sizeof w[i].sha256, "%s",
			    in->war_sha256);
			w[i].version = xstrdup(in->version);
		} else if (in->war_source == WAR_FILE) {
			w[i].file = xstrdup(in->war_file);
			w[i].version = xstrdup(in->version);
			if (sha256_file(in->war_file, w[i].sha256,
			    sizeof w[i].sha256, err, sizeof err) != REL_OK) {
				step_fail(ctx, "%s", err);
				rc = -1;
			}
		} else {
			if (!loaded && releases_load(&rel, &src, err,
			    sizeof err) != REL_OK) {
				step_fail(ctx, "DHIS2 releases: %s", err);
				return -1;
			}
			loaded = 1;
			if (releases_resolve(&rel, in->version, p->releases.mirror,
			    &r, err, sizeof err) != REL_OK) {
				rc = -1;
				step_fail(ctx, "instance %s: %s", in->name, err);
				break;
			}
			w[i].url = xstrdup(r.url);
			snprintf(w[i].sha256, sizeof w[i].sha256, "%s",
			    r.sha256 ? r.sha256 : "");
			w[i].version = xstrdup(r.version);
			if (release_warning_text(&r, warn, sizeof warn) > 0)
				step_note(ctx, "DHIS2 %s: %s", r.version, warn);
			release_free(&r);
		}
		snprintf(w[i].cache, sizeof w[i].cache, WAR_CACHE
		    "/dhis2-%s-%.12s.war", w[i].version, w[i].sha256);
	}
	if (loaded)
		releases_free(&rel);
	return rc;
}

static void
war_want_free(struct war_want *w, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(w[i].url);
		free(w[i].file);
		free(w[i].version);
	}
	free(w);
}

/* Arguments: pairs of MARKER SHA256; prints "same MARKER" when equal. */
static const char probe_script[] =
    "while [ $# -ge 2 ]; do\n"
    "  [ \"$(cat \"$1\" 2>/dev/null)\" = \"$2\" ] && echo \"same $1\"\n"
    "  shift 2; done\n";

/* The WARs wanted and whether each is deployed; -1 after step_fail. */
static int
war_probe(struct step_ctx *ctx, struct war_want **wp, size_t *np)
{
	struct war_want		*w;
	struct tomcat_choice	 c;
	struct tomcat_paths	 tp;
	struct step_args	 a = { NULL, 0 };
	char			*probe, *why = NULL;
	char			 markers[PROFILE_MAX_ITEMS][200];
	size_t			 i, n = tomcat_instances_here(ctx);
	int			 rc;

	w = xcalloc(n > 0 ? n : 1, sizeof *w);
	*wp = w;
	*np = n;
	if (war_resolve(ctx, w, n) == -1)
		return -1;
	for (i = 0; i < n && i < PROFILE_MAX_ITEMS; i++) {
		if (tomcat_choose(step_facts(ctx), w[i].version, &c, &why) ==
		    -1) {
			step_fail(ctx, "%s", why);
			free(why);
			step_args_free(&a);
			return -1;
		}
		w[i].migrate = c.migrate;
		tomcat_paths(w[i].in, 0, &tp);
		snprintf(markers[i], sizeof markers[i], "%s.sha256", tp.war);
		step_args_add(&a, markers[i]);
		step_args_add(&a, w[i].sha256);
	}
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		step_fail(ctx, "cannot read the deployed WARs on %s",
		    ctx->machine);
		return -1;
	}
	for (i = 0; i < n; i++) {
		w[i].differs = !step_probe_hasf(probe, "same %s", markers[i]);
	}
	free(probe);
	return 0;
}

/* The WARs to deploy: reported (check) or counted (verify). */
static int
war_pending(struct step_ctx *ctx, const struct war_want *w, size_t n,
    int report)
{
	size_t	i;
	int	bad = 0;

	for (i = 0; i < n; i++) {
		bad += step_pending(ctx, report, w[i].differs, "deploy DHIS2 %s "
		    "for %s from %s (sha256 %.16s...)%s", w[i].version,
		    w[i].in->name, w[i].url ? w[i].url : w[i].file,
		    w[i].sha256, w[i].migrate ?
		    ", migrated to jakarta for Tomcat 10" : "");
		step_pending(ctx, report, w[i].differs, "restart the Tomcat "
		    "service(s) of %s", w[i].in->name);
	}
	return bad;
}

static enum result
war_check(struct step_ctx *ctx)
{
	struct war_want	*w;
	size_t		 n;

	if (war_probe(ctx, &w, &n) == -1) {
		war_want_free(w, n);
		return RESULT_FAILED;
	}
	war_pending(ctx, w, n, 1);
	war_want_free(w, n);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static int
is_local(struct step_ctx *ctx)
{
	return strcmp(ctx->t->ops->name, "local") == 0;
}

/* Fetch into the cache of this machine with libcurl; 0 or -1. */
static int
fetch_here(struct step_ctx *ctx, struct war_want *w)
{
	struct progress_plain	 pp = { stderr, w->version, -1 };
	struct war_fetch	 wf;
	char			 err[REL_ERRBUF_SIZE];
	int			 result;

	if (step_run(ctx, (char *[]){ "install", "-d", "-m", "0755",
	    WAR_CACHE, NULL }, NULL, 0) != 0)
		return step_err(ctx, "cannot create %s", WAR_CACHE);
	memset(&wf, 0, sizeof wf);
	wf.url = w->url;
	wf.file = w->file;
	wf.sha256 = w->sha256;
	wf.dest = w->cache;
	wf.allow_http = w->pinned;
	wf.progress = progress_plain;
	wf.progress_arg = &pp;
	if (war_fetch_here(&wf, &result, err, sizeof err) != REL_OK)
		return step_err(ctx, "%s", err);
	return 0;
}

/* Arguments: CACHE SHA256.  Whether the target holds the checked WAR. */
static const char cached_script[] =
    "[ -f \"$1\" ] && echo \"$2  $1\" | sha256sum -c --status\n";

/* war.file to a remote target's cache: read, checked, put, checked. */
static int
upload_there(struct step_ctx *ctx, struct war_want *w)
{
	struct stat	 sb;
	char		*bytes = NULL, hex[65];
	size_t		 len;
	int		 rc;

	if (step_probe_run(ctx, NULL, cached_script, w->cache, w->sha256,
	    NULL) == 0)
		return 0;
	if (stat(w->file, &sb) == -1 || read_file_limited(w->file,
	    (size_t)sb.st_size, &bytes, &len) == -1)
		return step_err(ctx, "cannot read %s", w->file);
	/* the file may have changed since its sum was taken */
	step_sha256_hex_bytes(bytes, len, hex);
	if (strcmp(hex, w->sha256) != 0) {
		free(bytes);
		return step_err(ctx, "%s changed while it was read: run "
		    "again", w->file);
	}
	rc = step_run(ctx, (char *[]){ "install", "-d", "-m", "0755",
	    WAR_CACHE, NULL }, NULL, 0) != 0 || step_run(ctx, (char *[]){
	    "rm", "-f", w->cache, NULL }, NULL, 0) != 0 ||
	    step_put(ctx, w->cache, bytes, len, 0644, NULL, NULL) == -1;
	free(bytes);
	if (rc != 0)
		return step_err(ctx, "cannot copy %s to %s", w->file,
		    ctx->machine);
	if (step_probe_run(ctx, NULL, cached_script, w->cache, w->sha256,
	    NULL) != 0) {
		step_run(ctx, (char *[]){ "rm", "-f", w->cache, NULL }, NULL, 0);
		return step_err(ctx, "%s arrived on %s with another sha256; "
		    "deleted", w->file, ctx->machine);
	}
	return 0;
}

static int
fetch_there(struct step_ctx *ctx, struct war_want *w)
{
	char	stall[16];

	if (w->file != NULL)
		return upload_there(ctx, w);
	/* On the target: its curl (lib/war_fetch.c), https but for a pin. */
	snprintf(stall, sizeof stall, "%d", REL_STALL_TIMEOUT);
	if (step_probe_run(ctx, NULL, war_fetch_script, w->url, w->sha256,
	    w->cache, war_fetch_proto(w->pinned), stall, NULL) != 0)
		return step_err(ctx, "cannot fetch a checked WAR from %s on "
		    "%s: see the log", w->url, ctx->machine);
	return 0;
}

/*
 * Deploy CACHE as WAR (migrated when asked), keep the previous as
 * WAR.prev, restart the units, then write the marker: a run killed
 * before the restart (autoDeploy is off: Tomcat keeps the old WAR) finds
 * the marker old and deploys and restarts again.  Arguments: CACHE WAR
 * SHA256 MIGRATE UNIT...
 */
static const char deploy_script[] =
    "set -e\n"
    "src=$1 war=$2 sum=$3 migrate=$4\n"
    "shift 4\n"
    "if [ \"$migrate\" = 1 ]; then\n"
    "  javax2jakarta \"$src\" \"$war.new\" >/dev/null\n"
    "else cp \"$src\" \"$war.new\"; fi\n"
    "chmod 0644 \"$war.new\"\n"
    "[ -f \"$war\" ] && mv -f \"$war\" \"$war.prev\"\n"
    "mv -f \"$war.new\" \"$war\"\n"
    "for u in \"$@\"; do systemctl restart \"$u\"; done\n"
    "echo \"$sum\" > \"$war.sha256.new\" && mv -f \"$war.sha256.new\" "
    "\"$war.sha256\"\n";

static int
deploy(struct step_ctx *ctx, struct war_want *w)
{
	struct tomcat_paths	 tp;
	int			 node;

	/* Every node has its own CATALINA_BASE: deploy to each. */
	for (node = 0; node < w->in->nodes && node < 16; node++) {
		tomcat_paths(w->in, node, &tp);
		if (step_probe_run(ctx, NULL, deploy_script, w->cache, tp.war,
		    w->sha256, w->migrate ? "1" : "0", tp.unit_name,
		    NULL) != 0)
			return step_err(ctx, "deploying %s on %s failed; the "
			    "previous WAR is %s.prev", w->version, tp.unit_name,
			    tp.war);
	}
	return 0;
}

static enum result
war_apply(struct step_ctx *ctx)
{
	struct war_want	*w;
	size_t		 n, i;
	enum result	 r = RESULT_CHANGED;

	if (war_probe(ctx, &w, &n) == -1) {
		war_want_free(w, n);
		return RESULT_FAILED;
	}
	for (i = 0; i < n && r != RESULT_FAILED; i++) {
		if (!w[i].differs)
			continue;
		if ((is_local(ctx) ? fetch_here(ctx, &w[i]) :
		    fetch_there(ctx, &w[i])) == -1 || deploy(ctx, &w[i]) == -1)
			r = RESULT_FAILED;
	}
	war_want_free(w, n);
	return r;
}

/* Every instance's Tomcat runs the WAR check wanted. */
static enum result
war_verify(struct step_ctx *ctx)
{
	struct war_want		*w;
	struct tomcat_paths	 tp;
	size_t			 n, i;
	int			 bad, node;

	if (war_probe(ctx, &w, &n) == -1) {
		war_want_free(w, n);
		return RESULT_FAILED;
	}
	bad = war_pending(ctx, w, n, 0);
	for (i = 0; i < n; i++) {
		for (node = 0; node < w[i].in->nodes; node++) {
			tomcat_paths(w[i].in, node, &tp);
			if (step_run(ctx, (char *[]){ "systemctl", "is-active",
			    "--quiet", tp.unit_name, NULL }, NULL, 0) != 0) {
				step_note(ctx, "%s is not running: see "
				    "journalctl -u %s", tp.unit_name,
				    tp.unit_name);
				bad++;
			}
		}
	}
	war_want_free(w, n);
	if (bad > 0)
		return step_fail(ctx, "DHIS2: %d WAR%s or service%s not as "
		    "wanted", bad, bad == 1 ? "" : "s", bad == 1 ? "" : "s");
	return RESULT_CHANGED;
}

static const char *const war_after[] = { "tomcat", NULL };
static const char *const war_after_anywhere[] = { "postgres", "redis",
	"replica", NULL };

const struct step step_war = {
	.name = "war",
	.roles = ROLE_BIT(ROLE_APP),
	.summary = "The DHIS2 WAR: resolved, downloaded with resume, sha256 "
	    "checked, deployed with the previous kept for rollback",
	.after = war_after,
	/*
	 * DHIS2 starts against its database, Redis and the read replicas
	 * dhis.conf names: made first.
	 */
	.after_anywhere = war_after_anywhere,
	.check = war_check,
	.apply = war_apply,
	.verify = war_verify,
};
