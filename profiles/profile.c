/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The profile model: defaults, names of the enumerations, equality.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "profile.h"

static const char *hosting_names[] = {
	"basement", "datacentre", "colocation", "cloud", "saas"
};
static const char *isolation_names[] = { "single-host", "lxc", "machines" };
static const char *proxy_names[] = { "nginx", "apache2" };
static const char *tls_names[] = {
	"letsencrypt", "provided", "self-signed", "none"
};
static const char *monitoring_names[] = { "none", "prometheus", "munin" };
static const char *role_names[ROLE_COUNT] = {
	"proxy", "app", "database", "replica", "redis", "monitor", "backup"
};

const char *hosting_name(enum hosting h) { return hosting_names[h]; }
const char *isolation_name(enum isolation i) { return isolation_names[i]; }
const char *proxy_name(enum proxy_kind p) { return proxy_names[p]; }
const char *tls_mode_name(enum tls_mode m) { return tls_names[m]; }
const char *monitoring_name(enum monitoring_kind m)
{
	return monitoring_names[m];
}
const char *role_name(enum role r) { return role_names[r]; }

int
role_from_name(const char *s)
{
	int	i;

	for (i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(s, role_names[i]) == 0)
			return i;
	}
	return -1;
}

/*
 * Defaults are what an experienced administrator would pick for a small
 * national instance: one server, nginx, Let's Encrypt, PostgreSQL 15
 * (Debian 12's), Prometheus, nightly backups kept two weeks.
 */
void
profile_init(struct profile *p)
{
	memset(p, 0, sizeof *p);
	p->version = PROFILE_VERSION;
	p->hosting = HOSTING_CLOUD;
	p->isolation = ISOLATION_SINGLE_HOST;
	p->proxy = PROXY_NGINX;
	p->tls.mode = TLS_LETSENCRYPT;
	p->database.version = 15;
	p->database.tuning.auto_tune = 1;
	p->monitoring = MONITORING_PROMETHEUS;
	p->backups.enabled = 1;
	p->backups.retention_days = 14;
}

/* Free what a machine holds and zero it, ready to be filled again. */
void
machine_clear(struct machine *m)
{
	free(m->name);
	free(m->address);
	free(m->ssh_user);
	free(m->ssh_key);
	memset(m, 0, sizeof *m);
}

void
instance_clear(struct instance *in)
{
	free(in->name);
	free(in->version);
	free(in->war_url);
	free(in->war_sha256);
	free(in->war_file);
	free(in->base_path);
	free(in->database);
	memset(in, 0, sizeof *in);
}

void
profile_free(struct profile *p)
{
	size_t	i;

	for (i = 0; i < p->nmachines; i++)
		machine_clear(&p->machines[i]);
	free(p->machines);
	for (i = 0; i < p->ninstances; i++)
		instance_clear(&p->instances[i]);
	free(p->instances);
	free(p->path);
	free(p->fqdn);
	free(p->admin_network);
	free(p->timezone);
	free(p->secrets_file);
	free(p->known_hosts);
	free(p->tls.email);
	free(p->tls.cert);
	free(p->tls.key);
	free(p->tls.chain);
	free(p->tls.acme_server);
	free(p->lxc.bridge);
	free(p->lxc.subnet);
	free(p->lxc.release);
	free(p->lxc.prefix);
	free(p->lxc.mirror);
	free(p->lxc.security_mirror);
	free(p->releases.url);
	free(p->releases.mirror);
	free(p->releases.file);
	free(p->database.data_path);
	free(p->alerting.email);
	free(p->alerting.smarthost);
	free(p->alerting.telegram_chat);
	free(p->encryption.device);
	free(p->backups.schedule);
	free(p->backups.target);
	memset(p, 0, sizeof *p);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
machine_equal(const struct machine *a, const struct machine *b)
{
	return str_eq(a->name, b->name) && str_eq(a->address, b->address) &&
	    str_eq(a->ssh_user, b->ssh_user) && a->ssh_port == b->ssh_port &&
	    str_eq(a->ssh_key, b->ssh_key) && a->roles == b->roles;
}

static int
instance_equal(const struct instance *a, const struct instance *b)
{
	return str_eq(a->name, b->name) && str_eq(a->version, b->version) &&
	    a->war_source == b->war_source && str_eq(a->war_url, b->war_url) &&
	    str_eq(a->war_sha256, b->war_sha256) &&
	    str_eq(a->war_file, b->war_file) &&
	    str_eq(a->base_path, b->base_path) && a->nodes == b->nodes &&
	    a->heap_mb == b->heap_mb && str_eq(a->database, b->database);
}

/* Equal in every choice; where a profile was loaded from does not count. */
int
profile_equal(const struct profile *a, const struct profile *b)
{
	size_t	i;

	if (a->version != b->version || a->hosting != b->hosting ||
	    a->isolation != b->isolation || a->proxy != b->proxy ||
	    !str_eq(a->fqdn, b->fqdn) ||
	    !str_eq(a->admin_network, b->admin_network) ||
	    !str_eq(a->timezone, b->timezone) ||
	    !str_eq(a->secrets_file, b->secrets_file) ||
	    !str_eq(a->known_hosts, b->known_hosts))
		return 0;
	if (a->tls.mode != b->tls.mode || !str_eq(a->tls.email, b->tls.email) ||
	    !str_eq(a->tls.cert, b->tls.cert) || !str_eq(a->tls.key, b->tls.key) ||
	    !str_eq(a->tls.chain, b->tls.chain) ||
	    !str_eq(a->tls.acme_server, b->tls.acme_server))
		return 0;
	if (!str_eq(a->lxc.bridge, b->lxc.bridge) ||
	    !str_eq(a->lxc.subnet, b->lxc.subnet) ||
	    !str_eq(a->lxc.release, b->lxc.release) ||
	    !str_eq(a->lxc.prefix, b->lxc.prefix) ||
	    !str_eq(a->lxc.mirror, b->lxc.mirror) ||
	    !str_eq(a->lxc.security_mirror, b->lxc.security_mirror))
		return 0;
	if (!str_eq(a->releases.url, b->releases.url) ||
	    !str_eq(a->releases.mirror, b->releases.mirror) ||
	    !str_eq(a->releases.file, b->releases.file))
		return 0;
	if (a->nmachines != b->nmachines || a->ninstances != b->ninstances)
		return 0;
	for (i = 0; i < a->nmachines; i++) {
		if (!machine_equal(&a->machines[i], &b->machines[i]))
			return 0;
	}
	for (i = 0; i < a->ninstances; i++) {
		if (!instance_equal(&a->instances[i], &b->instances[i]))
			return 0;
	}
	if (a->database.version != b->database.version ||
	    memcmp(&a->database.tuning, &b->database.tuning,
	    sizeof a->database.tuning) != 0 ||
	    a->database.replicas != b->database.replicas ||
	    !str_eq(a->database.data_path, b->database.data_path))
		return 0;
	if (a->redis != b->redis || a->monitoring != b->monitoring)
		return 0;
	if (!str_eq(a->alerting.email, b->alerting.email) ||
	    !str_eq(a->alerting.smarthost, b->alerting.smarthost) ||
	    a->alerting.telegram != b->alerting.telegram ||
	    !str_eq(a->alerting.telegram_chat, b->alerting.telegram_chat) ||
	    a->alerting.slack != b->alerting.slack)
		return 0;
	if (!str_eq(a->encryption.device, b->encryption.device) ||
	    a->encryption.swap != b->encryption.swap)
		return 0;
	return a->backups.enabled == b->backups.enabled &&
	    str_eq(a->backups.schedule, b->backups.schedule) &&
	    a->backups.retention_days == b->backups.retention_days &&
	    str_eq(a->backups.target, b->backups.target);
}

/* The machine that plays a role; NULL when none is listed. */
const struct machine *
profile_machine_for_role(const struct profile *p, enum role r)
{
	size_t	i;

	for (i = 0; i < p->nmachines; i++) {
		if (p->machines[i].roles & ROLE_BIT(r))
			return &p->machines[i];
	}
	return NULL;
}

const char *
instance_db_name(const struct instance *in)
{
	return in->database != NULL ? in->database : in->name;
}

/*
 * Tomcat's HTTP port for node (0-based) of the i-th instance: 8080 for
 * the first, then steps of 10, so that nodes of one instance sit together
 * and a firewall rule can name a short range.
 */
int
instance_port(const struct profile *p, size_t i, int node)
{
	(void)p;
	return 8080 + 10 * (int)i + node;
}

/* server.base.url: absolute, without a trailing slash (DHIS2 warns). */
char *
instance_base_url(const struct profile *p, const struct instance *in)
{
	char	*url;

	xasprintf(&url, "%s://%s%s", p->tls.mode == TLS_NONE ? "http" :
	    "https", p->fqdn ? p->fqdn : "localhost",
	    strcmp(in->base_path, "/") == 0 ? "" : in->base_path);
	return url;
}
