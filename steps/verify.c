/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * verify: proves the installation works from where it is used.
 *  - each instance's /api/system/info through the proxy, over HTTPS, with
 *    the fqdn pinned to the proxy's address (libcurl's RESOLVE), so the
 *    check does not depend on DNS being ready;
 *  - the database with dhis.conf's own credentials (libpq), from this
 *    machine when it is the application host, and each read replica
 *    dhis.conf names (readN.connection.*) the same way: reached, and in
 *    recovery (a hot standby, not a second primary);
 *  - Redis with dhis.conf's host and password (AUTH, PING), likewise;
 *  - the TLS versions offered: 1.2 and 1.3 accepted, 1.1 refused.
 * DHIS2 takes minutes to start: the API is polled, with a bound.
 * It changes nothing, so check reports what verify would prove and apply
 * does the proving.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "core.h"
#include "profile.h"
#include "redis.h"
#include "stack.h"
#include "step.h"
#include "step_probe.h"
#include "tomcat.h"
#include "topology.h"
#include "transport.h"

#define START_WAIT_S	900	/* DHIS2's first start migrates the schema */

struct body {
	char	buf[4096];
	size_t	len;
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n, room = sizeof b->buf - 1 - b->len;

	memcpy(b->buf + b->len, data, len < room ? len : room);
	b->len += len < room ? len : room;
	b->buf[b->len] = '\0';
	return len;
}

/*
 * The proxy's address as this program reaches it: a machine at its
 * address; a container on this machine at its bridge address; a
 * container on a remote host through the host's forwarded 80/443.
 */
static const char *
proxy_address(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	const struct topo_node	*n;
	size_t			 i = topo_role_node(t, ROLE_PROXY);

	if (i == TOPO_NONE)
		return "127.0.0.1";
	n = &t->nodes[i];
	if (n->kind == TOPO_CONTAINER && t->nodes[n->host].kind != TOPO_LOCAL)
		return t->nodes[n->host].address;
	return n->address;
}

/*
 * GET url with fqdn pinned to the proxy.  tls_max: 0 for the default,
 * else the highest version to offer (to prove an old one is refused).
 * Returns the HTTP status, 0 when no connection or handshake.
 */
static long
https_get(struct step_ctx *ctx, const char *url, long tls_version,
    struct body *b, char *err)
{
	const struct profile	*p = ctx->profile;
	struct curl_slist	*resolve = NULL;
	CURL			*c;
	char			*entry;
	long			 status = 0;
	int			 port = p->tls.mode == TLS_NONE ? 80 : 443;

	if ((c = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	xasprintf(&entry, "%s:%d:%s", p->fqdn, port, proxy_address(ctx));
	resolve = curl_slist_append(resolve, entry);
	free(entry);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/*
	 * The check is of the server, not of a CA: a self-signed or test
	 * CA's certificate is expected here.  Browsers judge trust.
	 */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (tls_version != 0) {
		curl_easy_setopt(c, CURLOPT_SSLVERSION, tls_version);
		/* Let our side offer old versions so the server must refuse. */
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST,
		    "DEFAULT@SECLEVEL=0");
	}
	err[0] = '\0';
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(resolve);
	curl_easy_cleanup(c);
	return status;
}

static char *
api_url(const struct profile *p, const struct instance *in, const char *path)
{
	char	*base = instance_base_url(p, in), *url;

	xasprintf(&url, "%s%s", base, path);
	free(base);
	return url;
}

/* /api/system/info answers 200 (DHIS2 up, its database reached). */
static int
verify_api(struct step_ctx *ctx, const struct instance *in, int wait_s)
{
	struct body	 b;
	char		 err[CURL_ERROR_SIZE], *url;
	long		 status = 0;
	time_t		 until = time(NULL) + wait_s;

	url = api_url(ctx->profile, in, "/api/system/info");
	do {
		memset(&b, 0, sizeof b);
		status = https_get(ctx, url, 0, &b, err);
		if (status == 200 || status == 401 || wait_s == 0)
			break;
		sleep(5);
	} while (time(NULL) < until);
	if (status != 200 && status != 401) {
		step_fail(ctx, "%s answered %ld%s%s after %d s: see the Tomcat "
		    "log of %s", url, status, err[0] ? ": " : "", err,
		    wait_s, in->name);
		free(url);
		return -1;
	}
	free(url);
	return 0;
}

static int
verify_tls_versions(struct step_ctx *ctx, const struct instance *in)
{
	struct body	 b;
	char		 err[CURL_ERROR_SIZE], *url;
	int		 bad = 0;

	if (ctx->profile->tls.mode == TLS_NONE)
		return 0;
	url = api_url(ctx->profile, in, "/api/ping");
	memset(&b, 0, sizeof b);
	if (https_get(ctx, url, CURL_SSLVERSION_TLSv1_2 |
	    CURL_SSLVERSION_MAX_TLSv1_2, &b, err) == 0)
		bad = step_err(ctx, "TLS 1.2 is refused: %s", err);
	memset(&b, 0, sizeof b);
	if (!bad && https_get(ctx, url, CURL_SSLVERSION_TLSv1_3, &b, err) == 0)
		bad = step_err(ctx, "TLS 1.3 is refused: %s", err);
	memset(&b, 0, sizeof b);
	if (!bad && https_get(ctx, url, CURL_SSLVERSION_TLSv1_1 |
	    CURL_SSLVERSION_MAX_TLSv1_1, &b, err) != 0)
		bad = step_err(ctx, "the proxy accepts TLS 1.1: it must "
		    "offer only 1.2 and 1.3");
	free(url);
	return bad;
}

#define POSTGIS_QUERY \
	"SELECT extname FROM pg_extension WHERE extname = 'postgis'"
#define STANDBY_QUERY	"SELECT pg_is_in_recovery()"
#define READ_REPLICAS_MAX	5	/* read1 .. read5, as DHIS2 reads them */

/* What a connection of dhis.conf is proven with. */
struct db_proof {
	const char	*prefix;	/* "connection", "read1.connection" */
	const char	*query;
	const char	*expect;	/* the answer's start */
	const char	*what;		/* for messages */
};

static int
is_local(struct step_ctx *ctx)
{
	return strcmp(ctx->t->ops->name, "local") == 0;
}

/* A libpq conninfo value, quoted as libpq reads it. */
static void
conninfo_add(struct strbuf *sb, const char *key, const char *value)
{
	const char	*v;

	strbuf_add(sb, key, strlen(key));
	strbuf_add(sb, "='", 2);
	for (v = value; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			strbuf_add(sb, "\\", 1);
		strbuf_add(sb, v, 1);
	}
	strbuf_add(sb, "' ", 2);
}

/*
 * The same check on the application machine itself, with psql (libpq
 * there): the password goes on stdin into PGPASSWORD, never on a
 * command line; the rest of the connection string is an argument.  The
 * newest client's binary, as Debian's /usr/bin/psql would choose, but
 * without that Perl wrapper's start.
 */
static int
database_there(struct step_ctx *ctx, const struct db_proof *pr,
    const char *const *keys, const char *const *vals)
{
	static const char script[] =
	    "IFS= read -r PGPASSWORD; export PGPASSWORD\n"
	    "psql=psql\n"
	    "for p in /usr/lib/postgresql/*/bin/psql; do\n"
	    "  [ -x \"$p\" ] && psql=$p\n"
	    "done\n"
	    "exec \"$psql\" -XAtq -v ON_ERROR_STOP=1 -d \"$1\" -c \"$2\" 2>&1\n";
	struct strbuf	 sb = { NULL, 0, 0 };
	char		*out = NULL, *pw = "", *in;
	size_t		 i;
	int		 rc;

	for (i = 0; keys[i] != NULL; i++) {
		if (strcmp(keys[i], "password") != 0)
			conninfo_add(&sb, keys[i], vals[i]);
		else
			pw = (char *)vals[i];
	}
	strbuf_add(&sb, "", 1);
	xasprintf(&in, "%s\n", pw);
	rc = step_probe_runv_in(ctx, in, strlen(in), &out, script,
	    (char *[]){ sb.buf, (char *)pr->query, NULL });
	secure_wipe(in, strlen(in));
	free(in);
	free(sb.buf);
	if (rc == 0 && out != NULL && strncmp(out, pr->expect,
	    strlen(pr->expect)) == 0) {
		free(out);
		return 0;
	}
	step_fail(ctx, "%s from %s with dhis.conf's %s.*: %s", pr->what,
	    ctx->machine, pr->prefix, out != NULL && *out ? out :
	    "no answer");
	free(out);
	return -1;
}

/* PREFIX.key's value in dhis.conf's text; NULL when absent. */
static char *
conf_key(const char *conf, const char *prefix, const char *key)
{
	char	*name, *v;

	xasprintf(&name, "%s.%s", prefix, key);
	v = step_conf_value(conf, name);
	free(name);
	return v;
}

/*
 * jdbc:postgresql://HOST:PORT/DB[?sslmode=require] with dhis.conf's user
 * and password under the proof's prefix, through libpq: the exact
 * credentials DHIS2 uses; the proof's query must answer as expected.
 */
static int
verify_database(struct step_ctx *ctx, const char *path, const char *conf,
    const struct db_proof *pr)
{
	char			*url, *user, *pw, *host, *port, *db, *q;
	PGconn			*pg;
	int			 rc = -1;

	url = conf_key(conf, pr->prefix, "url");
	user = conf_key(conf, pr->prefix, "username");
	pw = conf_key(conf, pr->prefix, "password");
	if (url == NULL || user == NULL || pw == NULL ||
	    strncmp(url, "jdbc:postgresql://", 18) != 0 ||
	    strchr(url + 18, '/') == NULL) {
		step_fail(ctx, "%s lacks a %s.url, username or password",
		    path, pr->prefix);
		goto out_free;
	}
	host = url + 18;
	db = strchr(host, '/');
	*db++ = '\0';
	if ((q = strchr(db, '?')) != NULL)
		*q = '\0';
	port = strchr(host, ':');
	if (port != NULL)
		*port++ = '\0';
	{
		/* As DHIS2 connects: TLS required when dhis.conf says so. */
		const char *sslmode = q != NULL && strstr(q + 1,
		    "sslmode=require") != NULL ? "require" : "prefer";
		const char *keys[] = { "host", "port", "dbname", "user",
		    "password", "sslmode", "connect_timeout", NULL };
		const char *vals[] = { host,
		    port ? port : PORT_STR(PORT_POSTGRES), db, user, pw,
		    sslmode, "10", NULL };

		if (!is_local(ctx)) {
			rc = database_there(ctx, pr, keys, vals);
			goto out_free;
		}
		pg = PQconnectdbParams(keys, vals, 0);
	}
	if (PQstatus(pg) != CONNECTION_OK)
		step_fail(ctx, "%s %s as %s (%s.*): %s", pr->what, db, user,
		    pr->prefix, PQerrorMessage(pg));
	else {
		PGresult *r = PQexec(pg, pr->query);

		if (PQresultStatus(r) != PGRES_TUPLES_OK ||
		    PQntuples(r) != 1 || strncmp(PQgetvalue(r, 0, 0),
		    pr->expect, strlen(pr->expect)) != 0)
			step_fail(ctx, "%s %s (%s.*) answers %s no %s", pr->what,
			    db, pr->prefix, pr->query, pr->expect);
		else
			rc = 0;
		PQclear(r);
	}
	PQfinish(pg);
out_free:
	if (pw != NULL)
		secure_wipe(pw, strlen(pw));
	free(pw);
	free(user);
	free(url);
	return rc;
}

/*
 * Each read replica dhis.conf names, as DHIS2 reaches it: a hot standby
 * (pg_is_in_recovery() true) answering its readN credentials; as many as
 * the profile has replicas.
 */
static int
verify_read_replicas(struct step_ctx *ctx, const char *path,
    const char *conf)
{
	const struct topology	*t = ctx->topo;
	char			 prefix[32], *url;
	size_t			 m, want = 0;
	int			 k, n = 0;

	for (m = 0; m < t->nnodes; m++)
		want += (t->nodes[m].roles & ROLE_BIT(ROLE_REPLICA)) != 0;
	for (k = 1; k <= READ_REPLICAS_MAX; k++) {
		struct db_proof pr = { prefix, STANDBY_QUERY, "t",
		    "the read replica" };

		snprintf(prefix, sizeof prefix, "read%d.connection", k);
		if ((url = conf_key(conf, prefix, "url")) == NULL)
			continue;
		free(url);
		n++;
		if (verify_database(ctx, path, conf, &pr) == -1)
			return -1;
	}
	if ((size_t)n != want)
		return step_err(ctx, "%s names %d read replica%s, the profile "
		    "%zu", path, n, n == 1 ? "" : "s", want);
	return 0;
}

/*
 * What the application machine proves with dhis.conf's own values: the
 * database, its read replicas, and Redis when clustered.  The file is
 * read once for all.
 */
static int
verify_app_side(struct step_ctx *ctx, const struct instance *in)
{
	static const struct db_proof primary = { "connection", POSTGIS_QUERY,
	    "postgis", "the database" };
	struct tomcat_paths	 tp;
	char			*path, *conf = NULL, *err = NULL;
	size_t			 len = 0;
	int			 rc = -1;

	tomcat_paths(in, 0, &tp);
	xasprintf(&path, "%s/dhis.conf", tp.home);
	if (transport_get(ctx->t, path, &conf, &len, &err) != 0)
		step_fail(ctx, "cannot read %s", path);
	else if (verify_database(ctx, path, conf, &primary) == 0 &&
	    verify_read_replicas(ctx, path, conf) == 0 &&
	    (!ctx->profile->redis || redis_reachable(ctx, path, conf) == 0))
		rc = 0;
	if (conf != NULL)
		secure_wipe(conf, len);
	free(conf);
	free(err);
	free(path);
	return rc;
}

/* Every proof, each API waited for up to wait_s; 0 when all hold. */
static int
prove(struct step_ctx *ctx, int wait_s)
{
	size_t	i;

	for (i = 0; i < ctx->profile->ninstances; i++) {
		const struct instance *in = &ctx->profile->instances[i];

		/* The database and Redis from the application's side. */
		if (tomcat_runs_here(ctx, i) && verify_app_side(ctx, in) == -1)
			return -1;
		if (!(ctx->roles & ROLE_BIT(ROLE_PROXY)))
			continue;
		if (verify_api(ctx, in, wait_s) == -1 ||
		    verify_tls_versions(ctx, in) == -1)
			return -1;
	}
	return 0;
}

/*
 * Read-only, one attempt: a converged server passes and reports ok; one
 * that is not up yet "would be proven" by apply, which waits for it.
 */
static enum result
verify_check(struct step_ctx *ctx)
{
	if (prove(ctx, 0) == 0)
		return RESULT_OK;
	step_would(ctx, "prove every instance answers through the proxy "
	    "(now: %s)", ctx->msg ? ctx->msg : "not yet");
	free(ctx->msg);
	ctx->msg = NULL;
	return RESULT_CHANGED;
}

static enum result
verify_apply(struct step_ctx *ctx)
{
	return prove(ctx, START_WAIT_S) == 0 ? RESULT_CHANGED : RESULT_FAILED;
}

static const char *const verify_after[] = { "proxy", "war", "postgres",
	"certbot", NULL };

/*
 * On the proxy (the API through it, TLS) and on each application machine
 * (the database with its dhis.conf), after every other step everywhere:
 * it proves the whole, firewalls included.
 */
const struct step step_verify = {
	.name = "verify",
	.roles = ROLE_BIT(ROLE_PROXY) | ROLE_BIT(ROLE_APP),
	.flags = STEP_LAST,
	.summary = "Prove it works: each instance's API through the proxy "
	    "over HTTPS, the database and read replicas with dhis.conf's "
	    "credentials, TLS versions",
	.after = verify_after,
	.check = verify_check,
	.apply = verify_apply,
	.verify = NULL,
};
