/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Loads a profile from YAML into struct profile.  Every key is checked
 * against the schema (an unknown one gets a "did you mean"), every value
 * for its type, range and format, and every message carries file:line:col.
 * Cross-field rules are in profile_check.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"
#include "yamltree.h"

struct loader {
	const char	*file;
	struct diag	*diag;
	struct profile	*p;
};

/* Keys that name a secret: they belong in the secrets file. */
static const char *secret_words[] = {
	"password", "passwd", "secret", "token", "webhook", "apikey", "api_key",
	NULL
};

static struct pos
pos_of(const struct ynode *n)
{
	struct pos	p = { n->line, n->col };

	return p;
}

#define ERR(l, n, ...)	diag_add((l)->diag, (l)->file, pos_of(n), __VA_ARGS__)

static const char *
type_name(const struct ynode *n)
{
	switch (n->type) {
	case YNODE_MAP:
		return "a mapping";
	case YNODE_SEQ:
		return "a list";
	default:
		return "a value";
	}
}

static int
expect_type(struct loader *l, const struct ynode *n, enum ynode_type t,
    const char *what)
{
	static const char *want[] = { "a value", "a mapping (key: value)",
	    "a list (- item)" };

	if (n->type == t)
		return 0;
	ERR(l, n, "%s must be %s, not %s", what, want[t], type_name(n));
	return -1;
}

static int
looks_secret(const char *key)
{
	size_t	i;

	for (i = 0; secret_words[i] != NULL; i++) {
		if (strstr(key, secret_words[i]) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Refuse keys the schema does not know, suggesting the nearest known one.
 * Returns the number of unknown keys.
 */
static int
check_keys(struct loader *l, const struct ynode *map, const char *const *known,
    const char *where)
{
	size_t		 i, k;
	unsigned	 d, best;
	const char	*near;
	int		 bad = 0, found;

	for (i = 0; i < map->n; i++) {
		const char *key = map->keys[i]->value;

		found = 0;
		best = 3;	/* farther than this is no suggestion */
		near = NULL;
		for (k = 0; known[k] != NULL; k++) {
			if (strcmp(key, known[k]) == 0) {
				found = 1;
				break;
			}
			d = edit_distance(key, known[k]);
			if (d < best) {
				best = d;
				near = known[k];
			}
		}
		if (found)
			continue;
		bad++;
		if (looks_secret(key))
			ERR(l, map->keys[i], "'%s' looks like a secret: secrets "
			    "never go in the profile; put it in the secrets file "
			    "(see docs/profile.md)", key);
		else if (near != NULL)
			ERR(l, map->keys[i], "unknown key '%s' in %s; did you "
			    "mean '%s'?", key, where, near);
		else
			ERR(l, map->keys[i], "unknown key '%s' in %s", key,
			    where);
	}
	return bad;
}

static int
get_string(struct loader *l, const struct ynode *n, const char *what,
    int (*valid)(const char *), const char *format, char **dst)
{
	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	if (n->value[0] == '\0') {
		ERR(l, n, "%s is empty", what);
		return -1;
	}
	if (valid != NULL && !valid(n->value)) {
		ERR(l, n, "%s '%s' is not %s", what, n->value, format);
		return -1;
	}
	free(*dst);
	*dst = xstrdup(n->value);
	return 0;
}

static int
get_int(struct loader *l, const struct ynode *n, const char *what,
    long long min, long long max, int *dst)
{
	const char	*errstr;
	long long	 v;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	v = strtonum_checked(n->value, min, max, &errstr);
	if (errstr != NULL || n->quoted) {
		ERR(l, n, "%s '%s' %s: give a number from %lld to %lld", what,
		    n->value, errstr != NULL ? errstr : "is quoted text", min,
		    max);
		return -1;
	}
	*dst = (int)v;
	return 0;
}

static int
get_bool(struct loader *l, const struct ynode *n, const char *what, int *dst)
{
	static const char *yes[] = { "true", "yes", "on", NULL };
	static const char *no[] = { "false", "no", "off", NULL };
	size_t	i;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	for (i = 0; yes[i] != NULL; i++) {
		if (strcmp(n->value, yes[i]) == 0) {
			*dst = 1;
			return 0;
		}
		if (strcmp(n->value, no[i]) == 0) {
			*dst = 0;
			return 0;
		}
	}
	ERR(l, n, "%s '%s' must be true or false", what, n->value);
	return -1;
}

/* One of names[0..count-1]; the message lists them all. */
static int
get_enum(struct loader *l, const struct ynode *n, const char *what,
    const char *(*name)(int), int count, int *dst)
{
	char	*choices = NULL, *tmp;
	int	 i;

	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	for (i = 0; i < count; i++) {
		if (strcmp(n->value, name(i)) == 0) {
			*dst = i;
			return 0;
		}
	}
	for (i = 0; i < count; i++) {
		xasprintf(&tmp, "%s%s%s", choices ? choices : "",
		    i == 0 ? "" : (i == count - 1 ? " or " : ", "), name(i));
		free(choices);
		choices = tmp;
	}
	ERR(l, n, "%s '%s' is not known: choose %s", what, n->value, choices);
	free(choices);
	return -1;
}

static int
get_size(struct loader *l, const struct ynode *n, const char *what,
    long long *dst)
{
	if (expect_type(l, n, YNODE_SCALAR, what) == -1)
		return -1;
	if (parse_size_mb(n->value, dst) == -1) {
		ERR(l, n, "%s '%s' is not a size: write it like 512MB or 4GB",
		    what, n->value);
		return -1;
	}
	return 0;
}

/* Adapters so that get_enum can list each enumeration's names. */
static const char *hosting_i(int i) { return hosting_name(i); }
static const char *isolation_i(int i) { return isolation_name(i); }
static const char *proxy_i(int i) { return proxy_name(i); }
static const char *tls_i(int i) { return tls_mode_name(i); }
static const char *monitoring_i(int i) { return monitoring_name(i); }
static const char *role_i(int i) { return role_name(i); }

/* --- sections --- */

static int
load_tls(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "mode", "email", "cert", "key",
	    "chain", "acme_server", NULL };
	struct tls	*t = &l->p->tls;
	struct ynode	*v;
	int		 bad = 0, mode;

	if (expect_type(l, n, YNODE_MAP, "tls") == -1)
		return -1;
	t->pos = pos_of(n);
	bad += check_keys(l, n, keys, "tls");
	if ((v = ytree_get(n, "mode")) != NULL) {
		if (get_enum(l, v, "tls.mode", tls_i, TLS_NONE + 1, &mode) == 0)
			t->mode = mode;
		else
			bad++;
	}
	if ((v = ytree_get(n, "email")) != NULL)
		bad += get_string(l, v, "tls.email", valid_email,
		    "an e-mail address", &t->email) != 0;
	if ((v = ytree_get(n, "cert")) != NULL)
		bad += get_string(l, v, "tls.cert", valid_abs_path,
		    "an absolute path", &t->cert) != 0;
	if ((v = ytree_get(n, "key")) != NULL)
		bad += get_string(l, v, "tls.key", valid_abs_path,
		    "an absolute path", &t->key) != 0;
	if ((v = ytree_get(n, "chain")) != NULL)
		bad += get_string(l, v, "tls.chain", valid_abs_path,
		    "an absolute path", &t->chain) != 0;
	if ((v = ytree_get(n, "acme_server")) != NULL)
		bad += get_string(l, v, "tls.acme_server", valid_url,
		    "an http(s) URL", &t->acme_server) != 0;
	return bad ? -1 : 0;
}

static int
load_lxc(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "bridge", "subnet", "release",
	    "prefix", "mirror", "security_mirror", NULL };
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "lxc") == -1)
		return -1;
	bad += check_keys(l, n, keys, "lxc");
	if ((v = ytree_get(n, "bridge")) != NULL)
		bad += get_string(l, v, "lxc.bridge", valid_name,
		    "a bridge name (lower case, at most 15 characters)",
		    &l->p->lxc.bridge) != 0;
	if (l->p->lxc.bridge != NULL && strlen(l->p->lxc.bridge) > 15) {
		ERR(l, v, "lxc.bridge '%s' is longer than the 15 characters "
		    "Linux allows for an interface name", l->p->lxc.bridge);
		bad++;
	}
	if ((v = ytree_get(n, "subnet")) != NULL)
		bad += get_string(l, v, "lxc.subnet", valid_cidr,
		    "an IPv4 network like 10.77.0.0/24", &l->p->lxc.subnet) != 0;
	if ((v = ytree_get(n, "release")) != NULL)
		bad += get_string(l, v, "lxc.release", valid_name,
		    "a release name like bookworm", &l->p->lxc.release) != 0;
	if ((v = ytree_get(n, "prefix")) != NULL)
		bad += get_string(l, v, "lxc.prefix", valid_name,
		    "a short name like dhis", &l->p->lxc.prefix) != 0;
	if (l->p->lxc.prefix != NULL && strlen(l->p->lxc.prefix) > 20) {
		ERR(l, v, "lxc.prefix '%s' is longer than 20 characters; "
		    "container names must stay short", l->p->lxc.prefix);
		bad++;
	}
	if ((v = ytree_get(n, "mirror")) != NULL)
		bad += get_string(l, v, "lxc.mirror", valid_url,
		    "an http(s) URL like http://deb.debian.org/debian",
		    &l->p->lxc.mirror) != 0;
	if ((v = ytree_get(n, "security_mirror")) != NULL)
		bad += get_string(l, v, "lxc.security_mirror", valid_url,
		    "an http(s) URL like http://security.debian.org/"
		    "debian-security", &l->p->lxc.security_mirror) != 0;
	return bad ? -1 : 0;
}

static int
load_releases(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "url", "mirror", "file", NULL };
	struct releases_opts *r = &l->p->releases;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "releases") == -1)
		return -1;
	bad += check_keys(l, n, keys, "releases");
	if ((v = ytree_get(n, "url")) != NULL)
		bad += get_string(l, v, "releases.url", valid_url,
		    "an http(s) URL", &r->url) != 0;
	if ((v = ytree_get(n, "mirror")) != NULL)
		bad += get_string(l, v, "releases.mirror", valid_url,
		    "an http(s) URL", &r->mirror) != 0;
	if ((v = ytree_get(n, "file")) != NULL)
		bad += get_string(l, v, "releases.file", valid_abs_path,
		    "an absolute path", &r->file) != 0;
	return bad ? -1 : 0;
}

static int
load_roles(struct loader *l, const struct ynode *n, struct machine *m)
{
	size_t	i;
	int	r, bad = 0;

	if (expect_type(l, n, YNODE_SEQ, "roles") == -1)
		return -1;
	m->roles_pos = pos_of(n);
	if (n->n == 0) {
		ERR(l, n, "machine '%s' has no roles", m->name ? m->name : "?");
		return -1;
	}
	for (i = 0; i < n->n; i++) {
		if (get_enum(l, n->items[i], "role", role_i, ROLE_COUNT,
		    &r) == -1) {
			bad++;
			continue;
		}
		if (m->roles & ROLE_BIT(r)) {
			ERR(l, n->items[i], "role '%s' is listed twice",
			    role_name(r));
			bad++;
		}
		m->roles |= ROLE_BIT(r);
	}
	return bad ? -1 : 0;
}

static int
load_ssh(struct loader *l, const struct ynode *n, struct machine *m)
{
	static const char *const keys[] = { "user", "port", "key", NULL };
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "ssh") == -1)
		return -1;
	bad += check_keys(l, n, keys, "ssh");
	if ((v = ytree_get(n, "user")) != NULL)
		bad += get_string(l, v, "ssh.user", valid_user,
		    "a user name", &m->ssh_user) != 0;
	if ((v = ytree_get(n, "port")) != NULL)
		bad += get_int(l, v, "ssh.port", 1, 65535, &m->ssh_port) != 0;
	if ((v = ytree_get(n, "key")) != NULL)
		bad += get_string(l, v, "ssh.key", valid_path_text,
		    "a path", &m->ssh_key) != 0;
	return bad ? -1 : 0;
}

static int
load_machine(struct loader *l, const struct ynode *n, struct machine *m)
{
	static const char *const keys[] = { "name", "address", "roles", "ssh",
	    NULL };
	struct ynode	*v;
	int		 bad = 0;

	m->ssh_port = 22;
	m->pos = pos_of(n);
	if (expect_type(l, n, YNODE_MAP, "a machine") == -1)
		return -1;
	bad += check_keys(l, n, keys, "a machine");
	if ((v = ytree_get(n, "name")) == NULL) {
		ERR(l, n, "a machine needs a name");
		bad++;
	} else
		bad += get_string(l, v, "machine name", valid_name,
		    "a name (lower case letters, digits, - and _, at most 24)",
		    &m->name) != 0;
	if ((v = ytree_get(n, "address")) == NULL) {
		ERR(l, n, "machine '%s' needs an address", m->name ?
		    m->name : "?");
		bad++;
	} else
		bad += get_string(l, v, "address", valid_address,
		    "an IP address or host name", &m->address) != 0;
	if ((v = ytree_get(n, "roles")) == NULL) {
		ERR(l, n, "machine '%s' needs roles (proxy, app, database, "
		    "replica, redis, monitor, backup)", m->name ? m->name : "?");
		bad++;
	} else
		bad += load_roles(l, v, m) != 0;
	if ((v = ytree_get(n, "ssh")) != NULL)
		bad += load_ssh(l, v, m) != 0;
	return bad ? -1 : 0;
}

static int
load_list(struct loader *l, const struct ynode *n, const char *what)
{
	if (expect_type(l, n, YNODE_SEQ, what) == -1)
		return -1;
	if (n->n > PROFILE_MAX_ITEMS) {
		ERR(l, n, "%s lists %zu entries; at most %d are supported",
		    what, n->n, PROFILE_MAX_ITEMS);
		return -1;
	}
	return 0;
}

static int
load_machines(struct loader *l, const struct ynode *n)
{
	size_t	i;
	int	bad = 0;

	if (load_list(l, n, "machines") == -1)
		return -1;
	l->p->machines = xcalloc(n->n, sizeof *l->p->machines);
	l->p->nmachines = n->n;
	for (i = 0; i < n->n; i++)
		bad += load_machine(l, n->items[i], &l->p->machines[i]) != 0;
	return bad ? -1 : 0;
}

static int
load_war(struct loader *l, const struct ynode *n, struct instance *in)
{
	static const char *const keys[] = { "url", "sha256", "file", NULL };
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "war") == -1)
		return -1;
	bad += check_keys(l, n, keys, "war");
	if ((v = ytree_get(n, "url")) != NULL) {
		bad += get_string(l, v, "war.url", valid_url, "an http(s) URL",
		    &in->war_url) != 0;
		in->war_source = WAR_URL;
		if (ytree_get(n, "sha256") == NULL) {
			ERR(l, n, "war.url needs war.sha256: a WAR is never "
			    "installed unchecked");
			bad++;
		}
	}
	if ((v = ytree_get(n, "sha256")) != NULL)
		bad += get_string(l, v, "war.sha256", valid_sha256_hex,
		    "64 hexadecimal digits", &in->war_sha256) != 0;
	if ((v = ytree_get(n, "file")) != NULL) {
		if (in->war_url != NULL) {
			ERR(l, v, "give war.url or war.file, not both");
			bad++;
		}
		bad += get_string(l, v, "war.file", valid_abs_path,
		    "an absolute path", &in->war_file) != 0;
		in->war_source = WAR_FILE;
	}
	if (ytree_get(n, "url") == NULL && ytree_get(n, "file") == NULL) {
		ERR(l, n, "war needs url (with sha256) or file");
		bad++;
	}
	return bad ? -1 : 0;
}

static int
load_heap(struct loader *l, const struct ynode *n, struct instance *in)
{
	if (n->type == YNODE_SCALAR && strcmp(n->value, "auto") == 0) {
		in->heap_mb = 0;
		return 0;
	}
	if (get_size(l, n, "heap", &in->heap_mb) == -1)
		return -1;
	if (in->heap_mb < 1024) {
		ERR(l, n, "heap %s is too small for DHIS2: give at least 1GB "
		    "or auto", n->value);
		return -1;
	}
	return 0;
}

static int
load_instance(struct loader *l, const struct ynode *n, struct instance *in)
{
	static const char *const keys[] = { "name", "version", "war",
	    "base_path", "nodes", "heap", "database", NULL };
	struct ynode	*v;
	int		 bad = 0;

	in->nodes = 1;
	in->pos = pos_of(n);
	if (expect_type(l, n, YNODE_MAP, "an instance") == -1)
		return -1;
	bad += check_keys(l, n, keys, "an instance");
	if ((v = ytree_get(n, "name")) == NULL) {
		ERR(l, n, "an instance needs a name");
		bad++;
	} else
		bad += get_string(l, v, "instance name", valid_name,
		    "a name (lower case letters, digits, - and _, at most 24)",
		    &in->name) != 0;
	if ((v = ytree_get(n, "version")) != NULL)
		bad += get_string(l, v, "version", valid_dhis2_version,
		    "a DHIS2 version like 2.41 or 2.41.3 (2.35 or later)",
		    &in->version) != 0;
	if ((v = ytree_get(n, "war")) != NULL)
		bad += load_war(l, v, in) != 0;
	if (ytree_get(n, "version") == NULL) {
		ERR(l, n, "instance '%s' needs a version (it decides Java and "
		    "Tomcat, even with a war)", in->name ? in->name : "?");
		bad++;
	}
	if ((v = ytree_get(n, "base_path")) != NULL)
		bad += get_string(l, v, "base_path", valid_base_path,
		    "/ or /name", &in->base_path) != 0;
	else if (in->name != NULL)
		xasprintf(&in->base_path, "/%s", in->name);
	if ((v = ytree_get(n, "nodes")) != NULL)
		bad += get_int(l, v, "nodes", 1, 16, &in->nodes) != 0;
	if ((v = ytree_get(n, "heap")) != NULL)
		bad += load_heap(l, v, in) != 0;
	if ((v = ytree_get(n, "database")) != NULL)
		bad += get_string(l, v, "database", valid_name,
		    "a database name", &in->database) != 0;
	return bad ? -1 : 0;
}

static int
load_instances(struct loader *l, const struct ynode *n)
{
	size_t	i;
	int	bad = 0;

	if (load_list(l, n, "instances") == -1)
		return -1;
	l->p->instances = xcalloc(n->n, sizeof *l->p->instances);
	l->p->ninstances = n->n;
	for (i = 0; i < n->n; i++)
		bad += load_instance(l, n->items[i], &l->p->instances[i]) != 0;
	return bad ? -1 : 0;
}

static int
load_tuning(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "shared_buffers", "work_mem",
	    "maintenance_work_mem", "effective_cache_size", "max_connections",
	    NULL };
	struct db_tuning *t = &l->p->database.tuning;
	struct ynode	*v;
	int		 bad = 0;

	if (n->type == YNODE_SCALAR && strcmp(n->value, "auto") == 0) {
		t->auto_tune = 1;
		return 0;
	}
	if (n->type != YNODE_MAP) {
		ERR(l, n, "database.tuning must be auto or a mapping of "
		    "settings");
		return -1;
	}
	t->auto_tune = 0;
	bad += check_keys(l, n, keys, "database.tuning");
	if ((v = ytree_get(n, "shared_buffers")) != NULL)
		bad += get_size(l, v, "shared_buffers",
		    &t->shared_buffers_mb) != 0;
	if ((v = ytree_get(n, "work_mem")) != NULL)
		bad += get_size(l, v, "work_mem", &t->work_mem_mb) != 0;
	if ((v = ytree_get(n, "maintenance_work_mem")) != NULL)
		bad += get_size(l, v, "maintenance_work_mem",
		    &t->maintenance_work_mem_mb) != 0;
	if ((v = ytree_get(n, "effective_cache_size")) != NULL)
		bad += get_size(l, v, "effective_cache_size",
		    &t->effective_cache_size_mb) != 0;
	if ((v = ytree_get(n, "max_connections")) != NULL)
		bad += get_int(l, v, "max_connections", 20, 10000,
		    &t->max_connections) != 0;
	return bad ? -1 : 0;
}

static int
load_database(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "version", "tuning", "replicas",
	    "data_path", NULL };
	struct database	*d = &l->p->database;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "database") == -1)
		return -1;
	d->pos = pos_of(n);
	bad += check_keys(l, n, keys, "database");
	/* 12 is the oldest PostGIS-packaged release still supported. */
	if ((v = ytree_get(n, "version")) != NULL)
		bad += get_int(l, v, "database.version", 12, 17,
		    &d->version) != 0;
	if ((v = ytree_get(n, "tuning")) != NULL)
		bad += load_tuning(l, v) != 0;
	if ((v = ytree_get(n, "replicas")) != NULL)
		bad += get_int(l, v, "database.replicas", 0, 5,
		    &d->replicas) != 0;
	if ((v = ytree_get(n, "data_path")) != NULL)
		bad += get_string(l, v, "database.data_path", valid_abs_path,
		    "an absolute path", &d->data_path) != 0;
	return bad ? -1 : 0;
}

static int
load_clustering(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "redis", NULL };
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "clustering") == -1)
		return -1;
	bad += check_keys(l, n, keys, "clustering");
	if ((v = ytree_get(n, "redis")) != NULL) {
		bad += get_bool(l, v, "clustering.redis", &l->p->redis) != 0;
		l->p->pos_redis = pos_of(v);
	}
	return bad ? -1 : 0;
}

static int
load_telegram(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "chat_id", NULL };
	struct alerting	*a = &l->p->alerting;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "alerting.telegram") == -1)
		return -1;
	bad += check_keys(l, n, keys, "alerting.telegram");
	if ((v = ytree_get(n, "chat_id")) == NULL) {
		ERR(l, n, "alerting.telegram needs chat_id (the bot token goes "
		    "in the secrets file as alerting.telegram_token)");
		return -1;
	}
	if (expect_type(l, v, YNODE_SCALAR, "chat_id") == -1)
		return -1;
	const char *s = v->value + (v->value[0] == '-');
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 20) {
		ERR(l, v, "chat_id '%s' is not a Telegram chat id (a number, "
		    "negative for groups)", v->value);
		return -1;
	}
	free(a->telegram_chat);
	a->telegram_chat = xstrdup(v->value);
	a->telegram = 1;
	return bad ? -1 : 0;
}

static int
load_alerting(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "email", "smarthost", "telegram",
	    "slack", NULL };
	struct alerting	*a = &l->p->alerting;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "alerting") == -1)
		return -1;
	a->pos = pos_of(n);
	bad += check_keys(l, n, keys, "alerting");
	if ((v = ytree_get(n, "email")) != NULL)
		bad += get_string(l, v, "alerting.email", valid_email,
		    "an e-mail address", &a->email) != 0;
	if ((v = ytree_get(n, "smarthost")) != NULL)
		bad += get_string(l, v, "alerting.smarthost", valid_smarthost,
		    "a relay host[:port]", &a->smarthost) != 0;
	if ((v = ytree_get(n, "telegram")) != NULL)
		bad += load_telegram(l, v) != 0;
	if ((v = ytree_get(n, "slack")) != NULL)
		bad += get_bool(l, v, "alerting.slack", &a->slack) != 0;
	return bad ? -1 : 0;
}

static int
load_encryption(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "device", "swap", NULL };
	struct encryption *e = &l->p->encryption;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "encryption") == -1)
		return -1;
	e->pos = pos_of(n);
	bad += check_keys(l, n, keys, "encryption");
	if ((v = ytree_get(n, "device")) != NULL)
		bad += get_string(l, v, "encryption.device", valid_device,
		    "a block device path like /dev/sdb", &e->device) != 0;
	if ((v = ytree_get(n, "swap")) != NULL)
		bad += get_bool(l, v, "encryption.swap", &e->swap) != 0;
	return bad ? -1 : 0;
}

static int
load_backups(struct loader *l, const struct ynode *n)
{
	static const char *const keys[] = { "enabled", "schedule",
	    "retention_days", "target", NULL };
	struct backups	*b = &l->p->backups;
	struct ynode	*v;
	int		 bad = 0;

	if (expect_type(l, n, YNODE_MAP, "backups") == -1)
		return -1;
	b->pos = pos_of(n);
	bad += check_keys(l, n, keys, "backups");
	if ((v = ytree_get(n, "enabled")) != NULL)
		bad += get_bool(l, v, "backups.enabled", &b->enabled) != 0;
	if ((v = ytree_get(n, "schedule")) != NULL)
		bad += get_string(l, v, "backups.schedule", valid_cron,
		    "a cron schedule like \"0 2 * * *\" or @daily",
		    &b->schedule) != 0;
	if ((v = ytree_get(n, "retention_days")) != NULL)
		bad += get_int(l, v, "backups.retention_days", 1, 3650,
		    &b->retention_days) != 0;
	if ((v = ytree_get(n, "target")) != NULL)
		bad += get_string(l, v, "backups.target", valid_backup_target,
		    "user@host:/path or s3://bucket/prefix", &b->target) != 0;
	return bad ? -1 : 0;
}

static int
load_enum_key(struct loader *l, const struct ynode *root, const char *key,
    const char *(*name)(int), int count, int *dst)
{
	struct ynode	*v;

	if ((v = ytree_get(root, key)) == NULL)
		return 0;
	return get_enum(l, v, key, name, count, dst) != 0;
}

static int
load_version(struct loader *l, const struct ynode *root)
{
	struct ynode	*v;
	struct pos	 top = { 1, 1 };

	if ((v = ytree_get(root, "version")) == NULL) {
		diag_add(l->diag, l->file, top, "the profile has no version: "
		    "start it with 'version: %d'", PROFILE_VERSION);
		return -1;
	}
	if (get_int(l, v, "version", 1, 1000, &l->p->version) == -1)
		return -1;
	if (l->p->version != PROFILE_VERSION) {
		ERR(l, v, "profile version %d is not supported by this "
		    "dhis2-setup (it reads version %d)", l->p->version,
		    PROFILE_VERSION);
		return -1;
	}
	return 0;
}

static int
load_root(struct loader *l, const struct ynode *root)
{
	static const char *const keys[] = { "version", "hosting", "isolation",
	    "fqdn", "admin_network", "timezone", "secrets", "known_hosts",
	    "proxy", "tls", "lxc", "releases", "machines", "instances", "database",
	    "clustering", "monitoring", "alerting", "encryption", "backups",
	    NULL };
	struct profile	*p = l->p;
	struct ynode	*v;
	int		 bad = 0, e;

	if (expect_type(l, root, YNODE_MAP, "a profile") == -1)
		return -1;
	bad += check_keys(l, root, keys, "the profile");
	bad += load_version(l, root) != 0;
	e = p->hosting;
	bad += load_enum_key(l, root, "hosting", hosting_i, HOSTING_SAAS + 1, &e);
	p->hosting = e;
	e = p->isolation;
	bad += load_enum_key(l, root, "isolation", isolation_i,
	    ISOLATION_MACHINES + 1, &e);
	p->isolation = e;
	if ((v = ytree_get(root, "isolation")) != NULL)
		p->pos_isolation = pos_of(v);
	e = p->proxy;
	bad += load_enum_key(l, root, "proxy", proxy_i, PROXY_APACHE2 + 1, &e);
	p->proxy = e;
	e = p->monitoring;
	bad += load_enum_key(l, root, "monitoring", monitoring_i,
	    MONITORING_MUNIN + 1, &e);
	p->monitoring = e;
	if ((v = ytree_get(root, "monitoring")) != NULL)
		p->pos_monitoring = pos_of(v);
	if ((v = ytree_get(root, "fqdn")) != NULL) {
		p->pos_fqdn = pos_of(v);
		bad += get_string(l, v, "fqdn", valid_fqdn,
		    "a fully qualified domain name like dhis.example.org",
		    &p->fqdn) != 0;
	}
	if ((v = ytree_get(root, "admin_network")) != NULL)
		bad += get_string(l, v, "admin_network", valid_cidr,
		    "a network like 192.0.2.0/24", &p->admin_network) != 0;
	if ((v = ytree_get(root, "timezone")) != NULL)
		bad += get_string(l, v, "timezone", valid_timezone,
		    "a time zone like Africa/Kampala or UTC", &p->timezone) != 0;
	if ((v = ytree_get(root, "secrets")) != NULL) {
		p->pos_secrets = pos_of(v);
		bad += get_string(l, v, "secrets", valid_path_text,
		    "a path to the secrets file", &p->secrets_file) != 0;
	}
	if ((v = ytree_get(root, "known_hosts")) != NULL)
		bad += get_string(l, v, "known_hosts", valid_path_text,
		    "a path", &p->known_hosts) != 0;
	if ((v = ytree_get(root, "tls")) != NULL)
		bad += load_tls(l, v) != 0;
	if ((v = ytree_get(root, "lxc")) != NULL)
		bad += load_lxc(l, v) != 0;
	if ((v = ytree_get(root, "releases")) != NULL)
		bad += load_releases(l, v) != 0;
	if ((v = ytree_get(root, "machines")) != NULL)
		bad += load_machines(l, v) != 0;
	if ((v = ytree_get(root, "instances")) != NULL)
		bad += load_instances(l, v) != 0;
	if ((v = ytree_get(root, "database")) != NULL)
		bad += load_database(l, v) != 0;
	if ((v = ytree_get(root, "clustering")) != NULL)
		bad += load_clustering(l, v) != 0;
	if ((v = ytree_get(root, "alerting")) != NULL)
		bad += load_alerting(l, v) != 0;
	if ((v = ytree_get(root, "encryption")) != NULL)
		bad += load_encryption(l, v) != 0;
	if ((v = ytree_get(root, "backups")) != NULL)
		bad += load_backups(l, v) != 0;
	return bad ? -1 : 0;
}

int
profile_load_buffer(struct profile *p, const char *file, const char *buf,
    size_t len, struct diag *diag)
{
	struct loader	 l = { file, diag, p };
	struct ynode	*root;
	struct pos	 top = { 0, 0 };
	int		 rc;

	profile_init(p);
	p->path = xstrdup(file);
	if (len > PROFILE_MAX_BYTES) {
		diag_add(diag, file, top, "the file is %zu bytes; a profile is "
		    "at most %d", len, PROFILE_MAX_BYTES);
		return -1;
	}
	if ((root = ytree_parse(file, buf, len, diag)) == NULL)
		return -1;
	rc = load_root(&l, root);
	ytree_free(root);
	return rc;
}

int
profile_load_file(struct profile *p, const char *path, struct diag *diag)
{
	struct pos	 top = { 0, 0 };
	char		*buf;
	size_t		 len;
	int		 rc;

	if (read_file_limited(path, PROFILE_MAX_BYTES, &buf, &len) == -1) {
		profile_init(p);
		p->path = xstrdup(path);
		if (errno == EFBIG)
			diag_add(diag, path, top, "the file is larger than "
			    "%d bytes: this is not a profile",
			    PROFILE_MAX_BYTES);
		else
			diag_add(diag, path, top, "cannot read: %s",
			    strerror(errno));
		return -1;
	}
	rc = profile_load_buffer(p, path, buf, len, diag);
	free(buf);
	return rc;
}
