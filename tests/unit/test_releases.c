/*
 * Tests of lib/releases.c and lib/war_fetch.c: stable.json parsed and
 * resolved, the Java and Tomcat table, and the WAR download against a
 * local HTTP server (tests/releases/server.py on 127.0.0.1) that honours
 * Range: a fresh download, a resumed one, a server that ignores Range, a
 * checksum mismatch refused, an unreachable port, a size limit, rollback;
 * plain http only when the sum is pinned, and the target's fetch script:
 * its curl arguments (a stand-in curl) and a trickling mirror given up.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "releases.h"
#include "war_fetch.h"

#define WAR_SIZE	(3 * 1024 * 1024 + 123)
#define WAR_SHA		"cba43ae58a8ec68e5029ceb255b44d4e344c3ea1c04962c75da63f60988baa0f"
#define ZERO_SHA	"0000000000000000000000000000000000000000000000000000000000000000"
#define RELEASES_URL	"https://releases.dhis2.org/v1/versions/stable.json"

static char	 tmpdir[] = "/tmp/d2s-releases-XXXXXX";
static char	*srcdir;		/* tests/releases in the source tree */
static char	*mirror;		/* http://127.0.0.1:PORT */
static char	*serverlog;
static pid_t	 server_pid = -1;
static int	 test_seq;

static unsigned char
war_byte(size_t i)
{
	return (unsigned char)((i * 7 + (i >> 12)) & 0xff);
}

static void
write_bytes(const char *path, size_t n, unsigned char (*gen)(size_t))
{
	FILE	*f;
	size_t	 i;

	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < n; i++)
		fputc(gen(i), f);
	assert_int_equal(fclose(f), 0);
}

static unsigned char
junk_byte(size_t i)
{
	return (unsigned char)((i * 13 + 5) & 0xff);
}

static void
write_text(const char *path, const char *text)
{
	FILE	*f;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *
tpath(const char *fmt, ...)
{
	va_list	 ap;
	char	*rel, *p;

	va_start(ap, fmt);
	assert_true(vasprintf(&rel, fmt, ap) != -1);
	va_end(ap);
	xasprintf(&p, "%s/%s", tmpdir, rel);
	free(rel);
	return p;
}

static int
run(const char *cmd)
{
	int	st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The sha256 as coreutils sees it: the test must not trust our own code. */
static void
sha256sum(const char *path, char *hex)
{
	char	*cmd;
	FILE	*p;

	xasprintf(&cmd, "sha256sum '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", hex), 1);
	pclose(p);
	free(cmd);
}

static long long
file_size(const char *path)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return -1;
	return st.st_size;
}

static int
setup_server(void **state)
{
	char		*cmd, *portfile, *p, buf[32];
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	const char	*top;
	FILE		*f;
	int		 i, port = 0;

	top = getenv("top_srcdir");
	xasprintf(&srcdir, "%s/tests/releases", top != NULL ? top : ".");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	xasprintf(&cmd, "mkdir -p %s/www/41 %s/www/42 %s/www/40 %s/www/39 "
	    "%s/www/v1/versions && cp %s/stable.json %s/www/v1/versions/",
	    tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, srcdir, tmpdir);
	if (run(cmd) != 0)
		return -1;
	free(cmd);
	p = tpath("www/41/dhis2-stable-41.3.0.war");
	write_bytes(p, WAR_SIZE, war_byte);
	free(p);
	/* Every other WAR of the fixture is a copy of the same bytes. */
	xasprintf(&cmd, "cd %s/www && for f in 41/dhis2-stable-41.0.0.war "
	    "41/dhis2-stable-41.1.0.war 41/dhis2-stable-41.2.0.war "
	    "41/dhis2-stable-41.3.1.war "
	    "42/dhis2-stable-42.1.0.war 39/dhis2-stable-39.6.0.war; do "
	    "cp 41/dhis2-stable-41.3.0.war $f || exit 1; done", tmpdir);
	if (run(cmd) != 0)
		return -1;
	free(cmd);

	portfile = tpath("port");
	serverlog = tpath("server.log");
	p = tpath("www");
	if ((server_pid = fork()) == -1)
		return -1;
	if (server_pid == 0) {
		char	*script;

		xasprintf(&script, "%s/server.py", srcdir);
		execlp("python3", "python3", script, "--root", p,
		    "--port-file", portfile, "--log", serverlog, (char *)NULL);
		_exit(127);
	}
	free(p);
	/* Bounded: 10 s for python to start. */
	for (i = 0; i < 200 && port == 0; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL)
				port = atoi(buf);
			fclose(f);
		}
		if (port == 0)
			nanosleep(&ts, NULL);
	}
	free(portfile);
	if (port == 0) {
		fprintf(stderr, "# the test HTTP server did not start\n");
		return -1;
	}
	xasprintf(&mirror, "http://127.0.0.1:%d", port);
	return 0;
}

static int
teardown_server(void **state)
{
	char	*cmd;

	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (getenv("KEEP_TMP") == NULL) {
		xasprintf(&cmd, "rm -rf '%s'", tmpdir);
		run(cmd);
		free(cmd);
	}
	free(srcdir);
	free(mirror);
	free(serverlog);
	return 0;
}

static void
load_fixture(struct dhis2_releases *r)
{
	struct rel_source	 src;
	char			 err[REL_ERRBUF_SIZE];
	char			*path;

	memset(&src, 0, sizeof(src));
	xasprintf(&path, "%s/stable.json", srcdir);
	src.file = path;
	assert_int_equal(releases_load(r, &src, err, sizeof(err)), REL_OK);
	free(path);
}

/* Resolve spec, which must succeed, into rel; the caller frees it. */
static void
resolve_ok(const struct dhis2_releases *r, const char *spec,
    const char *mirror_base, struct dhis2_release *rel)
{
	char	err[REL_ERRBUF_SIZE];

	if (releases_resolve(r, spec, mirror_base, rel, err,
	    sizeof(err)) != REL_OK)
		fail_msg("%s: %s", spec, err);
}

/* spec, without a mirror, resolves to the release named version. */
static void
assert_resolves_to(const struct dhis2_releases *r, const char *spec,
    const char *version)
{
	struct dhis2_release	rel;

	resolve_ok(r, spec, NULL, &rel);
	assert_string_equal(rel.version, version);
	release_free(&rel);
}

/* Resolving spec fails with code, the error naming what (NULL: unread). */
static void
assert_resolve_fails(const struct dhis2_releases *r, const char *spec,
    int code, const char *what)
{
	struct dhis2_release	rel;
	char			err[REL_ERRBUF_SIZE];

	assert_int_equal(releases_resolve(r, spec, NULL, &rel, err,
	    sizeof(err)), code);
	if (what != NULL)
		assert_non_null(strstr(err, what));
}

/* ---- metadata ------------------------------------------------------ */

static void
test_resolve_major_and_patch(void **state)
{
	struct dhis2_releases	 r;
	struct dhis2_release	 rel;
	char			 text[512];

	load_fixture(&r);
	assert_int_equal(r.nmajors, 4);

	/*
	 * latestStableUrl wins over the numerically highest patch; the
	 * hotfix 41.3.1 is named "2.41.3" as DHIS2's release script does.
	 */
	resolve_ok(&r, "2.41", NULL, &rel);
	assert_string_equal(rel.version, "2.41.3.1");
	assert_int_equal(rel.hotfix, 1);
	assert_string_equal(rel.major, "2.41");
	assert_string_equal(rel.url,
	    "https://releases.dhis2.org/41/dhis2-stable-41.3.1.war");
	assert_string_equal(rel.sha256, WAR_SHA);
	assert_int_equal(rel.jdk, 17);
	assert_int_equal(rel.supported, 1);
	assert_int_equal(rel.file_size, WAR_SIZE);
	assert_null(rel.warn_severity);
	assert_int_equal(release_warning_text(&rel, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	release_free(&rel);

	/* A patch means its newest hotfix; four parts pick one exactly. */
	assert_resolves_to(&r, "2.41.3", "2.41.3.1");
	resolve_ok(&r, "2.41.3.0", NULL, &rel);
	assert_string_equal(rel.version, "2.41.3");
	assert_string_equal(rel.url,
	    "https://releases.dhis2.org/41/dhis2-stable-41.3.0.war");
	release_free(&rel);
	resolve_ok(&r, "2.41.3.1", NULL, &rel);
	assert_string_equal(rel.url,
	    "https://releases.dhis2.org/41/dhis2-stable-41.3.1.war");
	release_free(&rel);
	assert_resolve_fails(&r, "2.41.3.2", REL_ENOTFOUND, NULL);
	assert_resolves_to(&r, "2.41.10", "2.41.10");

	/* No latestStableUrl: the highest patch, hotfixes included. */
	resolve_ok(&r, "2.40", NULL, &rel);
	assert_string_equal(rel.version, "2.40.10.1");
	assert_int_equal(rel.hotfix, 1);
	assert_int_equal(rel.jdk, 11);
	release_free(&rel);
	assert_resolves_to(&r, "2.40.10", "2.40.10");
	assert_resolves_to(&r, "2.40.9", "2.40.9");

	/* The patch has no sha256; the major's belongs to latestStableUrl. */
	resolve_ok(&r, "2.42", NULL, &rel);
	assert_string_equal(rel.version, "2.42.1");
	assert_string_equal(rel.sha256, WAR_SHA);
	assert_int_equal(rel.file_size, 3 * 1048576);	/* "3.00 MB" */
	release_free(&rel);

	/* Mirror: host replaced, path kept. */
	resolve_ok(&r, "2.41.3", "http://m.lan/d2/", &rel);
	assert_string_equal(rel.url, "http://m.lan/d2/41/dhis2-stable-41.3.1.war");
	release_free(&rel);
	releases_free(&r);
}

static void
test_warnings_surface(void **state)
{
	struct dhis2_releases	 r;
	struct dhis2_release	 rel;
	char			 text[512];

	load_fixture(&r);
	resolve_ok(&r, "2.41.1", NULL, &rel);
	assert_string_equal(rel.warn_severity, "HIGH");
	assert_string_equal(rel.warn_summary, "Data loss in tracker imports.");
	assert_string_equal(rel.warn_recommendation, "Use 2.41.3 or later.");
	assert_int_equal(release_warning_text(&rel, text, sizeof(text)), 1);
	assert_non_null(strstr(text, "HIGH 2.41.1: Data loss"));
	assert_non_null(strstr(text, "Use 2.41.3 or later."));
	release_free(&rel);

	resolve_ok(&r, "2.39", NULL, &rel);
	assert_string_equal(rel.version, "2.39.6");
	assert_int_equal(rel.supported, 0);
	assert_int_equal(release_warning_text(&rel, text, sizeof(text)), 1);
	assert_non_null(strstr(text, "2.39 is no longer supported"));
	/* A tiny buffer truncates; it never overflows. */
	assert_int_equal(release_warning_text(&rel, text, 8), 1);
	assert_int_equal(strlen(text), 7);
	release_free(&rel);
	releases_free(&r);
}

static void
test_resolve_errors(void **state)
{
	struct dhis2_releases	 r;

	load_fixture(&r);
	assert_resolve_fails(&r, "2.50", REL_ENOTFOUND,
	    "2.50 is not in the releases metadata");
	assert_resolve_fails(&r, "2.41.7", REL_ENOTFOUND, "2.41.7");
	/* "2.41.1" must not match "2.41.10" as a prefix. */
	assert_resolve_fails(&r, "2.40.1", REL_ENOTFOUND, NULL);
	assert_resolve_fails(&r, "latest", REL_EINVAL, NULL);
	assert_resolve_fails(&r, "2", REL_EINVAL, NULL);
	assert_resolve_fails(&r, "3.41", REL_EINVAL, NULL);
	assert_resolve_fails(&r, "2.41.", REL_EINVAL, NULL);
	assert_resolve_fails(&r, NULL, REL_EINVAL, NULL);
	releases_free(&r);
}

static void
test_parse_errors(void **state)
{
	static const char *bad[] = {
		"",
		"not json",
		"[]",
		"{\"versions\": 3}",
		"{\"versions\": [{\"jdk\": 17}]}",
		"{\"versions\": [{\"name\": \"2.41\", \"patchVersions\": {}}]}",
		"{\"versions\": [{\"name\": \"2.41\", \"patchVersions\": "
		    "[{\"name\": \"2.41.1\"}]}]}",
		"{\"versions\": [{\"name\": \"2.41\", \"patchVersions\": "
		    "[{\"name\": \"x\", \"url\": \"https://a/b\"}]}]}",
		"{\"versions\": []} trailing",
		"{\"versions\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]}",
	};
	struct dhis2_releases	 r;
	char			 err[REL_ERRBUF_SIZE];
	const char		*ok;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(releases_parse(&r, bad[i], strlen(bad[i]),
		    err, sizeof(err)), REL_EPARSE);
		assert_true(err[0] != '\0');
		assert_int_equal(r.nmajors, 0);
	}
	/* A malformed sha256 is dropped; resolving then refuses. */
	ok = "{\"versions\": [{\"name\": \"2.41\", \"patchVersions\": "
	    "[{\"name\": \"2.41.1\", \"url\": \"https://a/b.war\", "
	    "\"sha256\": \"abc\"}]}]}\n";
	assert_int_equal(releases_parse(&r, ok, strlen(ok), err, sizeof(err)),
	    REL_OK);
	assert_resolve_fails(&r, "2.41", REL_EPARSE, "no sha256");
	releases_free(&r);
}

static void
test_runtime_table(void **state)
{
	struct dhis2_runtime	rt;
	int			java, tomcat, mig;

	assert_int_equal(dhis2_runtime_for_version("2.41.3", &java, &tomcat,
	    &mig), REL_OK);
	assert_int_equal(java, 17);
	assert_int_equal(tomcat, 9);
	assert_int_equal(mig, 1);
	assert_int_equal(dhis2_runtime_for_version("2.42", &java, &tomcat,
	    &mig), REL_OK);
	assert_int_equal(java, 17);
	assert_int_equal(tomcat, 10);
	assert_int_equal(mig, 0);
	assert_int_equal(dhis2_runtime_for_version("2.43.0.1", &java, &tomcat,
	    &mig), REL_OK);
	assert_int_equal(tomcat, 10);
	assert_int_equal(dhis2_runtime("2.40.2", &rt), REL_OK);
	assert_int_equal(rt.java, 17);
	assert_int_equal(rt.java_min, 11);
	assert_int_equal(rt.tomcat, 9);
	assert_int_equal(dhis2_runtime("2.38.1", &rt), REL_OK);
	assert_int_equal(rt.java, 11);
	assert_int_equal(dhis2_runtime("2.36", &rt), REL_OK);
	assert_int_equal(rt.java, 11);
	assert_int_equal(rt.java_min, 8);
	assert_int_equal(rt.javax, 1);
	assert_int_equal(dhis2_runtime("2.34.0", &rt), REL_EINVAL);
	assert_int_equal(dhis2_runtime("41.3", &rt), REL_EINVAL);
	assert_int_equal(dhis2_runtime("", &rt), REL_EINVAL);

	assert_true(dhis2_version_cmp("2.41.10", "2.41.9") > 0);
	assert_true(dhis2_version_cmp("2.41.3", "2.41.3.1") < 0);
	assert_int_equal(dhis2_version_cmp("2.41", "2.41"), 0);
}

static void
test_mirror_url(void **state)
{
	char	*u;

	u = rel_mirror_url("https://releases.dhis2.org/v1/versions/stable.json",
	    "http://127.0.0.1:8080");
	assert_string_equal(u, "http://127.0.0.1:8080/v1/versions/stable.json");
	free(u);
	u = rel_mirror_url("https://releases.dhis2.org:443/41/a.war",
	    "https://mirror.example.org/dhis2//");
	assert_string_equal(u, "https://mirror.example.org/dhis2/41/a.war");
	free(u);
	u = rel_mirror_url("https://releases.dhis2.org/41/a.war", NULL);
	assert_string_equal(u, "https://releases.dhis2.org/41/a.war");
	free(u);
	u = rel_mirror_url("https://releases.dhis2.org", "http://m");
	assert_string_equal(u, "http://m");
	free(u);
}

static void
test_progress_text(void **state)
{
	struct progress_plain	 pp;
	char			 buf[128], *out = NULL;
	size_t			 outlen = 0;
	FILE			*f;
	long long		 i;

	progress_bar_text(buf, sizeof(buf), 5 * 1048576LL, 10 * 1048576LL, 10);
	assert_string_equal(buf, "[=====>    ]  50%  5.0/10.0 MiB");
	progress_bar_text(buf, sizeof(buf), 10, 10, 4);
	assert_string_equal(buf, "[====] 100%  0.0/0.0 MiB");
	progress_bar_text(buf, sizeof(buf), 3 * 1048576LL, 0, 10);
	assert_string_equal(buf, "3.0 MiB");
	progress_bar_text(buf, 6, 1, 2, 10);
	assert_int_equal(strlen(buf), 5);

	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	pp.fp = f;
	pp.label = "war";
	pp.last = -1;
	for (i = 0; i <= 1000; i += 7)
		progress_plain(&pp, i, 1000);
	progress_plain(&pp, 1000, 1000);
	fclose(f);
	/* 0%, 10%, ... 100%: eleven lines, however often it is called. */
	for (i = 0; out[0] != '\0' && strchr(out, '\n') != NULL; i++)
		memmove(out, strchr(out, '\n') + 1, strlen(strchr(out,
		    '\n') + 1) + 1);
	assert_int_equal(i, 11);
	free(out);
}

/* ---- over HTTP ----------------------------------------------------- */

static void
test_load_over_http_with_mirror(void **state)
{
	struct rel_source	 src;
	struct dhis2_releases	 r;
	struct dhis2_release	 rel;
	char			 err[REL_ERRBUF_SIZE];

	memset(&src, 0, sizeof(src));
	src.url = RELEASES_URL;
	src.mirror = mirror;
	/* Plain http carries the sums: refused unless allowed (M1). */
	assert_int_equal(releases_load(&r, &src, err, sizeof(err)),
	    REL_EINVAL);
	assert_non_null(strstr(err, "plain http is refused"));
	src.allow_http = 1;
	assert_int_equal(releases_load(&r, &src, err, sizeof(err)), REL_OK);
	resolve_ok(&r, "2.41", mirror, &rel);
	assert_string_equal(rel.version, "2.41.3.1");
	assert_true(strncmp(rel.url, mirror, strlen(mirror)) == 0);
	release_free(&rel);
	releases_free(&r);

	/* A wrong path is an HTTP error, named with its code. */
	src.url = "https://releases.dhis2.org/v1/versions/nope.json";
	assert_int_equal(releases_load(&r, &src, err, sizeof(err)),
	    REL_EHTTP);
	assert_non_null(strstr(err, "HTTP 404"));
	src.url = "ftp://releases.dhis2.org/stable.json";
	src.mirror = NULL;
	assert_int_equal(releases_load(&r, &src, err, sizeof(err)),
	    REL_EINVAL);
}

struct prog {
	long long	last;
	long long	total;
	int		calls;
	long long	abort_at;
};

static int
prog_cb(void *arg, long long now, long long total)
{
	struct prog	*p = arg;

	assert_true(now >= 0);
	if (total > 0)
		assert_true(now <= total);
	p->last = now;
	p->total = total;
	p->calls++;
	return p->abort_at > 0 && now >= p->abort_at;
}

static char *
war_url(const char *path)
{
	char	*u;

	xasprintf(&u, "%s/%s", mirror, path);
	return u;
}

static void
fetch_init(struct war_fetch *wf, const char *url, const char *sha,
    const char *dest)
{
	memset(wf, 0, sizeof(*wf));
	wf->url = url;
	wf->sha256 = sha;
	wf->dest = dest;
	wf->connect_timeout = 5;
	wf->stall_timeout = 10;
	wf->allow_http = 1;	/* the test server's; the sum is ours */
}

/* Report wf's progress to p, zeroed. */
static void
fetch_progress(struct war_fetch *wf, struct prog *p)
{
	memset(p, 0, sizeof(*p));
	wf->progress = prog_cb;
	wf->progress_arg = p;
}

/* Download wf, which must succeed; what it did (WAR_INSTALLED...). */
static int
download_ok(struct war_fetch *wf)
{
	char	err[REL_ERRBUF_SIZE];
	int	res;

	if (war_download(wf, &res, err, sizeof(err)) != REL_OK)
		fail_msg("%s: %s", wf->url, err);
	return res;
}

/* A destination that does not exist yet, in a new directory. */
static char *
fresh_dest(void)
{
	char	*dest, *d;

	dest = tpath("dest%d/dhis.war", ++test_seq);
	d = path_dirname(dest);
	assert_int_equal(mkdir(d, 0755), 0);
	free(d);
	return dest;
}

/* path and suffix: the part or the previous WAR beside a destination. */
static char *
suffixed(const char *path, const char *suffix)
{
	char	*s;

	xasprintf(&s, "%s%s", path, suffix);
	return s;
}

/*
 * A fresh destination with a cut download beside it (size bytes of gen in
 * its .part, set in *part), and wf made ready to fetch url into it.
 */
static char *
dest_with_part(struct war_fetch *wf, const char *url, char **part,
    size_t size, unsigned char (*gen)(size_t))
{
	char	*dest;

	dest = fresh_dest();
	*part = suffixed(dest, ".part");
	write_bytes(*part, size, gen);
	fetch_init(wf, url, WAR_SHA, dest);
	return dest;
}

/* The file at path is the test WAR, by coreutils' sha256sum. */
static void
assert_war(const char *path)
{
	char	hex[65];

	sha256sum(path, hex);
	assert_string_equal(hex, WAR_SHA);
}

static void
test_download_fresh_and_converged(void **state)
{
	struct war_fetch	 wf;
	struct prog		 p;
	char			*dest, *url;
	char			*part;

	dest = fresh_dest();
	url = war_url("41/dhis2-stable-41.3.0.war");
	fetch_init(&wf, url, WAR_SHA, dest);
	fetch_progress(&wf, &p);
	assert_int_equal(download_ok(&wf), WAR_INSTALLED);
	assert_war(dest);
	assert_true(p.calls > 0);
	assert_int_equal(p.last, WAR_SIZE);
	assert_int_equal(p.total, WAR_SIZE);
	part = suffixed(dest, ".part");
	assert_int_equal(file_size(part), -1);

	/* Again: nothing fetched, nothing moved. */
	assert_int_equal(download_ok(&wf), WAR_UNCHANGED);
	free(part);
	part = suffixed(dest, ".prev");
	assert_int_equal(file_size(part), -1);
	free(part);
	free(url);
	free(dest);
}

static void
test_download_keeps_previous(void **state)
{
	struct war_fetch	 wf;
	char			 err[REL_ERRBUF_SIZE], *dest, *url;
	char			*prev;

	dest = fresh_dest();
	write_text(dest, "the running WAR\n");
	url = war_url("41/dhis2-stable-41.3.0.war");
	fetch_init(&wf, url, WAR_SHA, dest);
	assert_int_equal(download_ok(&wf), WAR_INSTALLED);
	prev = suffixed(dest, ".prev");
	assert_int_equal(file_size(prev), 16);
	assert_war(dest);

	/* Rollback swaps them back. */
	assert_int_equal(war_rollback(dest, err, sizeof(err)), REL_OK);
	assert_int_equal(file_size(dest), 16);
	assert_int_equal(file_size(prev), WAR_SIZE);
	free(prev);
	free(url);
	free(dest);
}

static int
log_has(const char *needle)
{
	char	*buf;
	size_t	 len;
	int	 found;

	if (read_file_limited(serverlog, 1 << 20, &buf, &len) == -1)
		return 0;
	found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

static void
test_download_resumes(void **state)
{
	struct war_fetch	 wf;
	struct prog		 p;
	char			*dest, *url;
	char			*part;

	url = war_url("41/dhis2-stable-41.0.0.war");
	/* An earlier, cut run. */
	dest = dest_with_part(&wf, url, &part, 1048576, war_byte);
	fetch_progress(&wf, &p);
	download_ok(&wf);
	assert_true(log_has("GET /41/dhis2-stable-41.0.0.war bytes=1048576-"));
	assert_war(dest);
	/* Progress counts the resumed part too. */
	assert_int_equal(p.last, WAR_SIZE);
	assert_int_equal(p.total, WAR_SIZE);
	assert_int_equal(file_size(part), -1);
	free(part);
	free(url);
	free(dest);
}

static void
test_download_server_ignores_range(void **state)
{
	struct war_fetch	 wf;
	char			*dest, *url;
	char			*part;

	url = war_url("norange/41/dhis2-stable-41.1.0.war");
	dest = dest_with_part(&wf, url, &part, 1048576, war_byte);
	download_ok(&wf);
	assert_true(log_has("GET /norange/41/dhis2-stable-41.1.0.war "
	    "bytes=1048576-"));
	assert_war(dest);
	assert_int_equal(file_size(dest), WAR_SIZE);
	free(part);
	free(url);
	free(dest);
}

static void
test_download_part_complete_or_stale(void **state)
{
	struct war_fetch	 wf;
	char			*dest, *url;
	char			*part;

	/* The part is the whole file already: 416, checked, installed. */
	url = war_url("42/dhis2-stable-42.1.0.war");
	dest = dest_with_part(&wf, url, &part, WAR_SIZE, war_byte);
	assert_int_equal(download_ok(&wf), WAR_INSTALLED);
	assert_war(dest);
	free(part);
	free(dest);

	/* A longer part of other bytes: 416, mismatch, fetched afresh. */
	dest = dest_with_part(&wf, url, &part, WAR_SIZE + 1000, junk_byte);
	download_ok(&wf);
	assert_war(dest);
	assert_int_equal(file_size(part), -1);
	free(part);
	free(url);
	free(dest);
}

static void
test_download_mismatch_refused(void **state)
{
	struct dhis2_releases	 r;
	struct dhis2_release	 rel;
	struct war_fetch	 wf;
	char			 err[REL_ERRBUF_SIZE], *dest, *part, *prev;
	int			 res;

	/* 2.41.2's metadata lists a sha256 its WAR does not have. */
	load_fixture(&r);
	resolve_ok(&r, "2.41.2", mirror, &rel);
	dest = fresh_dest();
	write_text(dest, "the running WAR\n");
	fetch_init(&wf, rel.url, rel.sha256, dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)),
	    REL_ECHECKSUM);
	assert_int_equal(res, WAR_UNCHANGED);
	assert_non_null(strstr(err, "sha256 mismatch"));
	assert_non_null(strstr(err, "expected " ZERO_SHA));
	assert_non_null(strstr(err, "got " WAR_SHA));
	/* Nothing moved: the running WAR stays, no part, no .prev. */
	assert_int_equal(file_size(dest), 16);
	part = suffixed(dest, ".part");
	prev = suffixed(dest, ".prev");
	assert_int_equal(file_size(part), -1);
	assert_int_equal(file_size(prev), -1);
	free(part);
	free(prev);
	free(dest);
	release_free(&rel);
	releases_free(&r);
}

/* A loopback port nobody listens on: bound, then closed. */
static int
dead_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s, port;

	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(s);
	return port;
}

static void
test_download_unreachable_and_missing(void **state)
{
	struct rel_source	 src;
	struct dhis2_releases	 r;
	struct war_fetch	 wf;
	char			 err[REL_ERRBUF_SIZE], *dest, *url, *m;
	int			 res;

	dest = fresh_dest();
	xasprintf(&url, "http://127.0.0.1:%d/41/x.war", dead_port());
	fetch_init(&wf, url, WAR_SHA, dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_ENET);
	assert_non_null(strstr(err, url));
	assert_int_equal(file_size(dest), -1);

	xasprintf(&m, "http://127.0.0.1:%d", dead_port());
	memset(&src, 0, sizeof(src));
	src.mirror = m;
	src.connect_timeout = 5;
	src.allow_http = 1;
	assert_int_equal(releases_load(&r, &src, err, sizeof(err)), REL_ENET);
	assert_non_null(strstr(err, m));
	free(m);
	free(url);

	url = war_url("41/no-such.war");
	fetch_init(&wf, url, WAR_SHA, dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_EHTTP);
	assert_non_null(strstr(err, "HTTP 404"));
	assert_int_equal(file_size(dest), -1);
	m = suffixed(dest, ".part");
	assert_int_equal(file_size(m), -1);	/* no empty leftover */
	free(m);
	free(url);
	free(dest);
}

static void
test_download_refusals(void **state)
{
	struct war_fetch	 wf;
	struct prog		 p;
	char			 err[REL_ERRBUF_SIZE], *dest, *url, *part;
	int			 res;

	dest = fresh_dest();
	part = suffixed(dest, ".part");
	url = war_url("41/dhis2-stable-41.3.0.war");

	/* No checksum, no install. */
	fetch_init(&wf, url, NULL, dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_EINVAL);
	assert_non_null(strstr(err, "unchecked"));
	fetch_init(&wf, url, "abc", dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_EINVAL);
	fetch_init(&wf, "file:///etc/passwd", WAR_SHA, dest);
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_EINVAL);
	/* Plain http with a sum that is not the profile's own (M1). */
	fetch_init(&wf, url, WAR_SHA, dest);
	wf.allow_http = 0;
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)), REL_EINVAL);
	assert_non_null(strstr(err, "plain http is refused"));
	assert_int_equal(file_size(part), -1);

	/* Over the size limit: stopped and deleted. */
	fetch_init(&wf, url, WAR_SHA, dest);
	wf.max_bytes = 1048576;
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)),
	    REL_ETOOBIG);
	assert_non_null(strstr(err, "larger than the limit"));
	assert_int_equal(file_size(part), -1);
	assert_int_equal(file_size(dest), -1);

	/* The caller's progress callback can stop it; the part stays. */
	fetch_init(&wf, url, WAR_SHA, dest);
	fetch_progress(&wf, &p);
	p.abort_at = 1;
	assert_int_equal(war_download(&wf, &res, err, sizeof(err)),
	    REL_EABORTED);
	assert_int_equal(file_size(dest), -1);
	free(part);
	free(url);
	free(dest);
}

static void
test_install_local_file(void **state)
{
	char	 err[REL_ERRBUF_SIZE], *dest, *src, *prev;
	int	 res;

	dest = fresh_dest();
	src = tpath("www/41/dhis2-stable-41.3.0.war");
	assert_int_equal(war_install_file(src, dest, WAR_SHA, &res, err,
	    sizeof(err)), REL_OK);
	assert_int_equal(res, WAR_INSTALLED);
	assert_war(dest);
	assert_int_equal(war_install_file(src, dest, NULL, &res, err,
	    sizeof(err)), REL_OK);
	assert_int_equal(res, WAR_UNCHANGED);
	assert_int_equal(war_install_file(src, dest, ZERO_SHA, &res, err,
	    sizeof(err)), REL_ECHECKSUM);
	assert_non_null(strstr(err, "expected " ZERO_SHA ", got " WAR_SHA));
	assert_war(dest);
	assert_int_equal(war_install_file("/nonexistent.war", dest, NULL, &res,
	    err, sizeof(err)), REL_EIO);
	assert_non_null(strstr(err, "/nonexistent.war"));
	assert_int_equal(war_install_file("/tmp", dest, NULL, &res,
	    err, sizeof(err)), REL_EIO);
	prev = suffixed(dest, ".prev");
	assert_int_equal(file_size(prev), -1);
	assert_int_equal(war_rollback(dest, err, sizeof(err)), REL_EIO);
	assert_non_null(strstr(err, "no previous WAR"));
	free(prev);
	free(src);
	free(dest);
}

/* war.file on this machine: copied into the cache, checked (war.c). */
static void
test_fetch_here_file(void **state)
{
	struct war_fetch	 wf;
	char			 err[REL_ERRBUF_SIZE], *dest, *src;
	int			 res;

	dest = fresh_dest();
	src = tpath("www/41/dhis2-stable-41.3.0.war");
	memset(&wf, 0, sizeof(wf));
	wf.file = src;
	wf.url = "https://unused.example.org/x.war";
	wf.sha256 = WAR_SHA;
	wf.dest = dest;
	if (war_fetch_here(&wf, &res, err, sizeof(err)) != REL_OK)
		fail_msg("%s", err);
	assert_int_equal(res, WAR_INSTALLED);
	assert_war(dest);
	wf.sha256 = ZERO_SHA;
	assert_int_equal(war_fetch_here(&wf, &res, err, sizeof(err)),
	    REL_ECHECKSUM);
	free(src);
	free(dest);
}

/*
 * The target's fetch script with PATH starting at bin (a stand-in curl
 * there, or none): its exit status, -1 when it outlived limit seconds
 * (then killed); *secs how long it took.
 */
static int
run_fetch_script(const char *bin, const char *url, const char *proto,
    const char *stall, const char *dest, int limit, int *secs)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	time_t		 t0 = time(NULL);
	pid_t		 pid, w;
	char		*path;
	int		 st, i;

	if ((pid = fork()) == 0) {
		setpgid(0, 0);		/* its curl is killed with it */
		xasprintf(&path, "%s:%s", bin, getenv("PATH"));
		setenv("PATH", path, 1);
		execl("/bin/sh", "sh", "-c", war_fetch_script, "war-fetch", url,
		    WAR_SHA, dest, proto, stall, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	for (i = 0; i < limit * 10; i++) {
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		nanosleep(&ts, NULL);
	}
	*secs = (int)(time(NULL) - t0);
	if (i == limit * 10) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The curl the target runs: https only but for a pin, "--", timeouts. */
static void
test_fetch_script_args(void **state)
{
	char	*bin, *curl, *args, *dest, *got, *want;
	size_t	 len;
	int	 secs;

	bin = tpath("fakebin");
	assert_int_equal(mkdir(bin, 0755), 0);
	curl = tpath("fakebin/curl");
	args = tpath("curl.args");
	xasprintf(&got, "#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s\nexit 7\n",
	    args);
	write_text(curl, got);
	free(got);
	assert_int_equal(chmod(curl, 0755), 0);
	dest = fresh_dest();
	assert_int_equal(run_fetch_script(bin, "-K/etc/passwd",
	    war_fetch_proto(0), "60", dest, 30, &secs), 7);
	assert_int_equal(read_file_limited(args, 4096, &got, &len), 0);
	xasprintf(&want, "-fsSL\n--proto\n=https\n--proto-redir\n=https\n"
	    "--retry\n3\n--connect-timeout\n20\n--speed-limit\n1024\n"
	    "--speed-time\n60\n-C\n-\n-o\n%s.part\n--\n-K/etc/passwd\n",
	    dest);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* A pinned sum lets plain http carry the bytes. */
	assert_string_equal(war_fetch_proto(1), "=http,https");
	assert_int_equal(run_fetch_script(bin, "http://m/x.war",
	    war_fetch_proto(1), "60", dest, 30, &secs), 7);
	assert_int_equal(read_file_limited(args, 4096, &got, &len), 0);
	assert_non_null(strstr(got, "--proto\n=http,https\n"));
	free(got);
	free(dest);
	free(args);
	free(curl);
	free(bin);
}

/*
 * A mirror that sends a byte every 2 s: the real curl gives up after the
 * stall time (1 s here, with its retries) instead of hanging (L6).
 */
static void
test_fetch_script_trickle(void **state)
{
	char	*url, *dest;
	int	 rc, secs;

	url = war_url("trickle/41/dhis2-stable-41.3.0.war");
	dest = fresh_dest();
	rc = run_fetch_script("/nonexistent", url, war_fetch_proto(1), "1",
	    dest, 90, &secs);
	if (rc == -1)
		fail_msg("the fetch still ran after 90 s on a trickling mirror");
	assert_int_equal(rc, 28);	/* curl: operation too slow */
	assert_true(secs < 60);
	assert_int_equal(file_size(dest), -1);
	free(dest);
	free(url);
}

static void
test_sha256_file(void **state)
{
	char	 err[REL_ERRBUF_SIZE], hex[65], *p;

	p = tpath("www/41/dhis2-stable-41.3.0.war");
	assert_int_equal(sha256_file(p, hex, sizeof(hex), err, sizeof(err)),
	    REL_OK);
	assert_string_equal(hex, WAR_SHA);
	free(p);
	p = tpath("empty");
	write_text(p, "");
	assert_int_equal(sha256_file(p, hex, sizeof(hex), err, sizeof(err)),
	    REL_OK);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	free(p);
	assert_int_equal(sha256_file("/nonexistent", hex, sizeof(hex), err,
	    sizeof(err)), REL_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_major_and_patch),
		cmocka_unit_test(test_warnings_surface),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_runtime_table),
		cmocka_unit_test(test_mirror_url),
		cmocka_unit_test(test_progress_text),
		cmocka_unit_test(test_sha256_file),
		cmocka_unit_test(test_load_over_http_with_mirror),
		cmocka_unit_test(test_download_fresh_and_converged),
		cmocka_unit_test(test_download_keeps_previous),
		cmocka_unit_test(test_download_resumes),
		cmocka_unit_test(test_download_server_ignores_range),
		cmocka_unit_test(test_download_part_complete_or_stale),
		cmocka_unit_test(test_download_mismatch_refused),
		cmocka_unit_test(test_download_unreachable_and_missing),
		cmocka_unit_test(test_download_refusals),
		cmocka_unit_test(test_install_local_file),
		cmocka_unit_test(test_fetch_here_file),
		cmocka_unit_test(test_fetch_script_args),
		cmocka_unit_test(test_fetch_script_trickle),
	};

	return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
