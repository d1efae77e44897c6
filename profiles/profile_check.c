/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Rules across fields: what makes a profile coherent as a whole.  Each
 * rule is one small function so that the list reads as the documentation
 * (docs/profile.md, "Rules") does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "cron.h"
#include "profile.h"

struct checker {
	const struct profile	*p;
	const char		*file;
	struct diag		*err;
	struct diag		*warn;
};

static struct pos
pos_or_top(struct pos p)
{
	if (p.line == 0) {
		p.line = 1;
		p.col = 1;
	}
	return p;
}

#define ERR(c, pos, ...) \
	diag_add((c)->err, (c)->file, pos_or_top(pos), __VA_ARGS__)
#define WARN(c, pos, ...) do {						\
	if ((c)->warn != NULL)						\
		diag_add((c)->warn, (c)->file, pos_or_top(pos),		\
		    "warning: " __VA_ARGS__);				\
} while (0)

/*
 * Let's Encrypt must reach the name over the internet: names under the
 * special-use and private top-level domains can never get a certificate.
 */
int
fqdn_is_public(const char *fqdn)
{
	static const char *private_tlds[] = { ".local", ".lan", ".internal",
	    ".test", ".example", ".invalid", ".localhost", ".home", ".corp",
	    ".localdomain", NULL };
	size_t	i, len = strlen(fqdn), tl;

	for (i = 0; private_tlds[i] != NULL; i++) {
		tl = strlen(private_tlds[i]);
		if (len >= tl && strcasecmp(fqdn + len - tl,
		    private_tlds[i]) == 0)
			return 0;
	}
	return 1;
}

static void
check_fqdn_and_instances(struct checker *c)
{
	const struct profile	*p = c->p;
	struct pos		 top = { 1, 1 };

	if (p->hosting == HOSTING_SAAS)
		return;		/* nothing is installed: advice only */
	if (p->fqdn == NULL)
		ERR(c, top, "the profile needs fqdn: the name users reach "
		    "DHIS2 at, like dhis.example.org");
	if (p->ninstances == 0)
		ERR(c, top, "the profile needs at least one DHIS2 instance "
		    "under instances:");
}

static void
check_tls(struct checker *c)
{
	const struct profile	*p = c->p;
	const struct tls	*t = &p->tls;

	if (p->hosting == HOSTING_SAAS)
		return;
	switch (t->mode) {
	case TLS_LETSENCRYPT:
		if (t->email == NULL)
			ERR(c, t->pos, "tls mode letsencrypt needs tls.email "
			    "(Let's Encrypt writes there before a certificate "
			    "expires)");
		if (p->fqdn != NULL && !fqdn_is_public(p->fqdn))
			ERR(c, p->pos_fqdn, "tls mode letsencrypt needs a "
			    "public name; '%s' can never get a certificate: "
			    "use self-signed or provided", p->fqdn);
		break;
	case TLS_PROVIDED:
		if (t->cert == NULL || t->key == NULL)
			ERR(c, t->pos, "tls mode provided needs tls.cert and "
			    "tls.key (and tls.chain when the CA gives one)");
		break;
	case TLS_SELF_SIGNED:
		WARN(c, t->pos, "a self-signed certificate makes browsers warn "
		    "users; fine for a lab or an intranet with its own CA");
		break;
	case TLS_NONE:
		WARN(c, t->pos, "tls mode none sends passwords in clear text: "
		    "lab use only, never production");
		break;
	}
	if (t->mode != TLS_LETSENCRYPT && t->acme_server != NULL)
		ERR(c, t->pos, "tls.acme_server is only used with mode "
		    "letsencrypt");
	if (t->mode != TLS_PROVIDED && (t->cert || t->key || t->chain))
		ERR(c, t->pos, "tls.cert, tls.key and tls.chain are only used "
		    "with mode provided");
}

static void
check_instances_unique(struct checker *c)
{
	const struct profile	*p = c->p;
	size_t			 i, j;

	for (i = 0; i < p->ninstances; i++) {
		const struct instance *a = &p->instances[i];

		for (j = 0; j < i; j++) {
			const struct instance *b = &p->instances[j];

			if (a->name && b->name && strcmp(a->name, b->name) == 0)
				ERR(c, a->pos, "instance name '%s' is used "
				    "twice (first at line %d)", a->name,
				    b->pos.line);
			else if (a->base_path && b->base_path &&
			    strcmp(a->base_path, b->base_path) == 0)
				ERR(c, a->pos, "instances '%s' and '%s' both "
				    "use base_path %s", b->name, a->name,
				    a->base_path);
			else if (strcmp(instance_db_name(a),
			    instance_db_name(b)) == 0)
				ERR(c, a->pos, "instances '%s' and '%s' would "
				    "share database '%s'", b->name, a->name,
				    instance_db_name(a));
		}
		/* "/" beside another instance would swallow its path. */
		if (p->ninstances > 1 && a->base_path != NULL &&
		    strcmp(a->base_path, "/") == 0)
			ERR(c, a->pos, "instance '%s' has base_path / but there "
			    "are %zu instances: give each its own /name",
			    a->name, p->ninstances);
	}
}

static void
check_clustering(struct checker *c)
{
	const struct profile	*p = c->p;
	size_t			 i;
	int			 clustered = 0;

	for (i = 0; i < p->ninstances; i++) {
		const struct instance *in = &p->instances[i];

		if (in->nodes > 1) {
			clustered = 1;
			if (!p->redis)
				ERR(c, in->pos, "instance '%s' has %d Tomcat "
				    "nodes: nodes share sessions and caches "
				    "through Redis, so set clustering: "
				    "{ redis: true }", in->name, in->nodes);
			if (p->isolation == ISOLATION_SINGLE_HOST &&
			    in->nodes > 2)
				WARN(c, in->pos, "%d Tomcat nodes on one server "
				    "share its memory; more nodes help only on "
				    "more machines", in->nodes);
		}
	}
	if (p->redis && !clustered)
		WARN(c, p->pos_redis, "Redis is on but every instance has "
		    "one node: it only costs memory until you add nodes");
}

static void
check_replicas(struct checker *c)
{
	const struct profile	*p = c->p;

	if (p->database.replicas > 0 && p->isolation == ISOLATION_SINGLE_HOST)
		ERR(c, p->database.pos, "read replicas on the same server as "
		    "the primary add load and no safety: use isolation lxc "
		    "or machines");
}

/* With isolation machines every role the plan needs must have a machine. */
static void
check_machine_roles(struct checker *c)
{
	const struct profile	*p = c->p;
	struct pos		 at = p->pos_isolation;
	unsigned		 needed = 0, have = 0;
	size_t			 i;
	int			 r, replicas = 0;

	for (i = 0; i < p->nmachines; i++) {
		have |= p->machines[i].roles;
		if (p->machines[i].roles & ROLE_BIT(ROLE_REPLICA))
			replicas++;
	}
	if (p->isolation != ISOLATION_MACHINES) {
		if (p->nmachines > 1)
			ERR(c, at, "isolation %s runs on one server but %zu "
			    "machines are listed: use isolation machines, or "
			    "list only the server", isolation_name(p->isolation),
			    p->nmachines);
		return;
	}
	if (p->hosting == HOSTING_SAAS)
		return;
	needed = ROLE_BIT(ROLE_PROXY) | ROLE_BIT(ROLE_APP) |
	    ROLE_BIT(ROLE_DATABASE);
	if (p->database.replicas > 0)
		needed |= ROLE_BIT(ROLE_REPLICA);
	if (p->redis)
		needed |= ROLE_BIT(ROLE_REDIS);
	if (p->monitoring != MONITORING_NONE)
		needed |= ROLE_BIT(ROLE_MONITOR);
	for (r = 0; r < ROLE_COUNT; r++) {
		if ((needed & ROLE_BIT(r)) && !(have & ROLE_BIT(r)))
			ERR(c, at, "isolation machines needs a machine with "
			    "role '%s'", role_name(r));
	}
	if (p->database.replicas > 0 && replicas > 0 &&
	    replicas != p->database.replicas)
		ERR(c, p->database.pos, "database.replicas is %d but %d "
		    "machines have role 'replica'", p->database.replicas,
		    replicas);
}

static void
check_machines_unique(struct checker *c)
{
	const struct profile	*p = c->p;
	size_t			 i, j;

	for (i = 0; i < p->nmachines; i++) {
		const struct machine *a = &p->machines[i];

		for (j = 0; j < i; j++) {
			const struct machine *b = &p->machines[j];

			if (a->name && b->name && strcmp(a->name, b->name) == 0)
				ERR(c, a->pos, "machine name '%s' is used twice",
				    a->name);
			else if (a->address && b->address &&
			    strcmp(a->address, b->address) == 0 &&
			    a->ssh_port == b->ssh_port)
				ERR(c, a->pos, "machines '%s' and '%s' have the "
				    "same address %s", b->name, a->name,
				    a->address);
		}
		if ((a->roles & ROLE_BIT(ROLE_DATABASE)) &&
		    (a->roles & ROLE_BIT(ROLE_REPLICA)))
			ERR(c, a->roles_pos, "machine '%s' cannot be both the "
			    "database and its replica", a->name);
	}
}

/*
 * isolation lxc: each instance gets a container named after it, beside
 * proxy, postgres, redis and monitor, at .100 + its index on a subnet
 * that must hold them all.
 */
static void
check_lxc_layout(struct checker *c)
{
	static const char *const taken[] = { "proxy", "postgres", "redis",
	    "monitor", NULL };
	const struct profile	*p = c->p;
	const char		*slash;
	size_t			 i, k;

	slash = p->lxc.subnet != NULL ? strchr(p->lxc.subnet, '/') : NULL;
	if (slash != NULL && atoi(slash + 1) > 24)
		ERR(c, p->pos_isolation, "lxc.subnet %s is too small: the "
		    "containers need a /24 or larger", p->lxc.subnet);
	for (i = 0; i < p->ninstances; i++) {
		const char *name = p->instances[i].name;
		int	    clash = strncmp(name, "postgres-replica", 16) == 0;

		for (k = 0; taken[k] != NULL; k++)
			clash |= strcmp(name, taken[k]) == 0;
		if (clash)
			ERR(c, p->instances[i].pos, "instance name '%s' is "
			    "the name of another container with isolation "
			    "lxc; choose another", name);
	}
}

static void
check_isolation_options(struct checker *c)
{
	const struct profile	*p = c->p;

	if (p->isolation != ISOLATION_LXC && (p->lxc.bridge || p->lxc.subnet ||
	    p->lxc.release || p->lxc.prefix || p->lxc.mirror ||
	    p->lxc.security_mirror))
		ERR(c, p->pos_isolation, "the lxc section is only used with "
		    "isolation lxc");
	/* Every layout: the firewall lets SSH in from admin_network only. */
	if (p->hosting != HOSTING_SAAS && p->admin_network == NULL)
		WARN(c, p->pos_isolation, "no admin_network: SSH (port 22) "
		    "will be open to the whole internet on %s; set "
		    "admin_network to the network you administer from (e.g. "
		    "198.51.100.0/24)", p->isolation == ISOLATION_MACHINES ?
		    "every machine" : "the server");
	if (p->isolation == ISOLATION_LXC)
		check_lxc_layout(c);
}

/*
 * The schedule becomes systemd timer lines (lib/cron.c): one that never
 * comes would be a backup that never runs.
 */
static void
check_backup_schedule(struct checker *c)
{
	const struct profile	*p = c->p;
	char			*cal[CRON_MAX_CALENDARS];
	const char		*why;
	int			 n, i;

	if (!p->backups.enabled || p->backups.schedule == NULL)
		return;
	if ((n = cron_to_oncalendar(p->backups.schedule, cal, &why)) == -1) {
		ERR(c, p->backups.pos, "backups.schedule \"%s\": %s",
		    p->backups.schedule, why);
		return;
	}
	for (i = 0; i < n; i++)
		free(cal[i]);
}

/*
 * The copy trusts only the host key the profile pins (docs/backups.md):
 * without one, the backup step refuses to set the copy up.  A warning,
 * not an error, so that a profile written before the key existed still
 * applies everything else.
 */
static void
check_backup_target(struct checker *c)
{
	const struct backups	*b = &c->p->backups;
	char			*host;

	/* A pasted AGE-SECRET-KEY-1... is not repeated into any log. */
	if (b->encrypt_to != NULL && !valid_age_recipient(b->encrypt_to))
		ERR(c, b->pos_encrypt_to, "backups.encrypt_to is not an age "
		    "public key (age1 and 58 letters and digits, as age-keygen "
		    "-y prints it); the secret key never goes in a profile");
	if (!b->enabled || b->target == NULL || b->target_host_key != NULL ||
	    strncmp(b->target, "s3://", 5) == 0)
		return;
	host = xstrndup(b->target, strcspn(b->target, ":"));
	if (strchr(host, '@') != NULL)
		memmove(host, strchr(host, '@') + 1, strlen(strchr(host,
		    '@') + 1) + 1);
	WARN(c, b->pos_target, "backups.target has no target_host_key: no "
	    "copy until the profile pins %s's SSH host key (\"ssh-keyscan -t "
	    "ed25519 %s\", its fingerprint checked on %s: docs/backups.md)",
	    host, host, host);
	free(host);
}

static void
check_operations(struct checker *c)
{
	const struct profile	*p = c->p;
	const struct alerting	*a = &p->alerting;
	int			 alerts = a->email != NULL || a->telegram ||
				    a->slack;

	if (p->hosting == HOSTING_SAAS)
		return;
	if (p->backups.enabled && p->backups.target == NULL)
		WARN(c, p->backups.pos, "backups stay on the server: a backup "
		    "that dies with the server is no backup; set "
		    "backups.target");
	if (!p->backups.enabled)
		WARN(c, p->backups.pos, "backups are off");
	check_backup_target(c);
	if (p->monitoring != MONITORING_NONE && !alerts)
		WARN(c, a->pos, "monitoring without alerting: nobody "
		    "is told when the disk fills up");
	/* Prometheus raises the alerts Alertmanager sends (steps/alerting.c). */
	if (alerts && p->monitoring == MONITORING_NONE)
		WARN(c, a->pos, "alerting without monitoring: nothing raises an "
		    "alert, so none is sent; set monitoring: prometheus");
	if (a->smarthost != NULL && a->email == NULL)
		ERR(c, a->pos, "alerting.smarthost is set but "
		    "alerting.email is not: where should mail go?");
	/* Send-only: no mail server is installed to deliver it ourselves. */
	if (a->email != NULL && a->smarthost == NULL)
		ERR(c, a->pos, "alerting.email needs alerting.smarthost, the "
		    "relay that sends the mail (host or host:port): no mail "
		    "server is installed");
}

/*
 * The WARs' sha256 come from the releases metadata unless the profile pins
 * each: over plain http anyone on the path could serve a trojaned WAR with
 * a matching sum (audit M1).
 */
static void
check_releases(struct checker *c)
{
	const struct releases_opts	*r = &c->p->releases;
	size_t				 i;

	for (i = 0; i < c->p->ninstances; i++) {
		if (c->p->instances[i].war_sha256 == NULL)
			break;
	}
	if (i == c->p->ninstances && i > 0)
		return;		/* every WAR pinned: no sum comes from there */
	if (r->url != NULL && strncmp(r->url, "http://", 7) == 0)
		ERR(c, r->url_pos, "releases.url is plain http: anyone on the "
		    "path could serve a WAR and a sha256 to match; use https, "
		    "or pin every instance's war.sha256");
	if (r->mirror != NULL && strncmp(r->mirror, "http://", 7) == 0)
		ERR(c, r->mirror_pos, "releases.mirror is plain http: anyone on "
		    "the path could serve a WAR and a sha256 to match; use "
		    "https, or pin every instance's war.sha256");
}

int
profile_check(const struct profile *p, struct diag *err, struct diag *warn)
{
	struct checker	 c = { p, p->path ? p->path : "profile", err, warn };
	size_t		 before = err->n;

	check_fqdn_and_instances(&c);
	check_tls(&c);
	check_instances_unique(&c);
	check_clustering(&c);
	check_replicas(&c);
	check_machine_roles(&c);
	check_machines_unique(&c);
	check_isolation_options(&c);
	check_operations(&c);
	check_backup_schedule(&c);
	check_releases(&c);
	return err->n == before ? 0 : -1;
}
