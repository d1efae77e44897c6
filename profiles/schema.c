/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The profile schema: every key of a profile, one row each (schema.h).
 * The rows of a section are in the order a profile is saved, which is
 * also the order "did you mean" prefers among equally near keys.  The
 * hints are the operator's messages: "... is not <hint>".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "schema.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])
#define CHOICES(a)	.choices = (a), .nchoices = (int)NITEMS(a)
#define SECTION(r)	.rows = (r), .nrows = NITEMS(r)

/* Enumerations are stored through an int: they must be one. */
_Static_assert(sizeof (enum hosting) == sizeof (int), "enum size");
_Static_assert(sizeof (enum isolation) == sizeof (int), "enum size");
_Static_assert(sizeof (enum proxy_kind) == sizeof (int), "enum size");
_Static_assert(sizeof (enum tls_mode) == sizeof (int), "enum size");
_Static_assert(sizeof (enum monitoring_kind) == sizeof (int), "enum size");
_Static_assert(sizeof (enum war_source) == sizeof (int), "enum size");

static const char *const hosting_names[] = {
	[HOSTING_BASEMENT] = "basement",
	[HOSTING_DATACENTRE] = "datacentre",
	[HOSTING_COLOCATION] = "colocation",
	[HOSTING_CLOUD] = "cloud",
	[HOSTING_SAAS] = "saas",
};
static const char *const isolation_names[] = {
	[ISOLATION_SINGLE_HOST] = "single-host",
	[ISOLATION_LXC] = "lxc",
	[ISOLATION_MACHINES] = "machines",
};
static const char *const proxy_names[] = {
	[PROXY_NGINX] = "nginx",
	[PROXY_APACHE2] = "apache2",
};
static const char *const tls_names[] = {
	[TLS_LETSENCRYPT] = "letsencrypt",
	[TLS_PROVIDED] = "provided",
	[TLS_SELF_SIGNED] = "self-signed",
	[TLS_NONE] = "none",
};
static const char *const monitoring_names[] = {
	[MONITORING_NONE] = "none",
	[MONITORING_PROMETHEUS] = "prometheus",
	[MONITORING_MUNIN] = "munin",
};
static const char *const role_names[ROLE_COUNT] = {
	[ROLE_PROXY] = "proxy",
	[ROLE_APP] = "app",
	[ROLE_DATABASE] = "database",
	[ROLE_REPLICA] = "replica",
	[ROLE_REDIS] = "redis",
	[ROLE_MONITOR] = "monitor",
	[ROLE_BACKUP] = "backup",
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

int
valid_telegram_chat(const char *v)
{
	const char	*s = v + (v[0] == '-');

	return *s != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) <= 20;
}

/* An instance's base path defaults to /NAME. */
static void
instance_finish(void *base)
{
	struct instance	*in = base;

	if (in->base_path == NULL && in->name != NULL)
		xasprintf(&in->base_path, "/%s", in->name);
}

/*
 * The rows' .asks: what a value asks for.  A true BOOL, an INT above 0, a
 * STRING that is set, a MAP that is there: the row's features.
 */
static unsigned
asks_set(const struct schema_row *row, const void *base)
{
	const char	*v = (const char *)base + row->off;
	int		 on;

	switch (row->type) {
	case SCHEMA_STRING:
		on = *(char *const *)v != NULL;
		break;
	case SCHEMA_BOOL:
	case SCHEMA_INT:
		on = *(const int *)v > 0;
		break;
	case SCHEMA_MAP:
		on = row->present_off != 0 &&
		    *(const int *)((const char *)base + row->present_off);
		break;
	default:
		on = 0;
		break;
	}
	return on ? row->needs : 0;
}

/* monitoring: the chosen kind's feature. */
static unsigned
asks_monitoring(const struct schema_row *row, const void *base)
{
	switch (*(const int *)((const char *)base + row->off)) {
	case MONITORING_PROMETHEUS:
		return FEATURE_BIT(FEATURE_PROMETHEUS);
	case MONITORING_MUNIN:
		return FEATURE_BIT(FEATURE_MUNIN);
	default:
		return 0;
	}
}

/* backups.target: S3 for an s3:// target of backups that are on. */
static unsigned
asks_backup_target(const struct schema_row *row, const void *base)
{
	const struct backups	*b = base;

	(void)row;
	return b->enabled && b->target != NULL &&
	    strncmp(b->target, "s3://", 5) == 0 ?
	    FEATURE_BIT(FEATURE_BACKUPS_S3) : 0;
}

#define NAME_HINT	\
	"a name (lower case letters, digits, - and _, at most 24)"
#define URL_HINT	"an http(s) URL"
#define PATH_HINT	"an absolute path"

#define T(m)	offsetof(struct tls, m)
static const struct schema_row tls_rows[] = {
	{ .key = "mode", .type = SCHEMA_CHOICE, .off = T(mode),
	  CHOICES(tls_names), .def = TLS_LETSENCRYPT,
	  .doc = "letsencrypt | provided | self-signed | none" },
	{ .key = "email", .type = SCHEMA_STRING, .off = T(email),
	  .valid = valid_email,
	  .hint = "an e-mail address like you@example.org",
	  .doc = "letsencrypt: expiry warnings go here" },
	{ .key = "cert", .type = SCHEMA_STRING, .off = T(cert),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "provided: the certificate (full chain)" },
	{ .key = "key", .type = SCHEMA_STRING, .off = T(key),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "provided: its private key" },
	{ .key = "chain", .type = SCHEMA_STRING, .off = T(chain),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "provided: the CA's chain, when it gives one" },
	{ .key = "acme_server", .type = SCHEMA_STRING, .off = T(acme_server),
	  .valid = valid_url, .hint = URL_HINT,
	  .doc = "letsencrypt: another ACME CA's directory URL" },
};
#undef T

static const struct schema_section tls_section = {
	.name = "tls", .where = "tls", .prefix = "tls.", SECTION(tls_rows),
	.pos_off = offsetof(struct tls, pos),
};

#define X(m)	offsetof(struct lxc_opts, m)
static const struct schema_row lxc_rows[] = {
	{ .key = "bridge", .type = SCHEMA_STRING, .off = X(bridge),
	  .valid = valid_name,
	  .hint = "a bridge name (lower case, at most 15 characters)",
	  .max_len = 15, .too_long = "is longer than the 15 characters "
	  "Linux allows for an interface name",
	  .doc = "a private bridge the tool creates" },
	{ .key = "subnet", .type = SCHEMA_STRING, .off = X(subnet),
	  .valid = valid_cidr, .hint = "an IPv4 network like 10.77.0.0/24",
	  .doc = "containers get static addresses in it" },
	{ .key = "release", .type = SCHEMA_STRING, .off = X(release),
	  .valid = valid_name, .hint = "a release name like bookworm",
	  .doc = "container distribution release" },
	{ .key = "prefix", .type = SCHEMA_STRING, .off = X(prefix),
	  .valid = valid_name, .hint = "a short name like dhis",
	  .max_len = 20, .too_long = "is longer than 20 characters; "
	  "container names must stay short",
	  .doc = "container names: PREFIX-proxy..." },
	{ .key = "mirror", .type = SCHEMA_STRING, .off = X(mirror),
	  .valid = valid_url,
	  .hint = "an http(s) URL like http://deb.debian.org/debian",
	  .doc = "the containers' package archive" },
	{ .key = "security_mirror", .type = SCHEMA_STRING,
	  .off = X(security_mirror), .valid = valid_url,
	  .hint = "an http(s) URL like http://security.debian.org/"
	  "debian-security",
	  .doc = "the containers' security updates" },
};
#undef X

static const struct schema_section lxc_section = {
	.name = "lxc", .where = "lxc", .prefix = "lxc.", SECTION(lxc_rows),
};

#define R(m)	offsetof(struct releases_opts, m)
static const struct schema_row releases_rows[] = {
	{ .key = "url", .type = SCHEMA_STRING, .off = R(url),
	  .valid = valid_url, .hint = URL_HINT, .pos_off = R(url_pos),
	  .doc = "the releases metadata (stable.json); default "
	  "releases.dhis2.org" },
	{ .key = "mirror", .type = SCHEMA_STRING, .off = R(mirror),
	  .valid = valid_url, .hint = URL_HINT, .pos_off = R(mirror_pos),
	  .doc = "WARs and metadata from a mirror" },
	{ .key = "file", .type = SCHEMA_STRING, .off = R(file),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "offline: a local copy of the metadata" },
};
#undef R

static const struct schema_section releases_section = {
	.name = "releases", .where = "releases", .prefix = "releases.",
	SECTION(releases_rows),
};

#define M(m)	offsetof(struct machine, m)
static const struct schema_row ssh_rows[] = {
	{ .key = "user", .type = SCHEMA_STRING, .off = M(ssh_user),
	  .valid = valid_user, .hint = "a user name like root",
	  .doc = "default: the current user" },
	{ .key = "port", .type = SCHEMA_INT, .off = M(ssh_port),
	  .min = 1, .max = 65535, .def = 22, .flags = SCHEMA_OMIT_DEF,
	  .doc = "default 22" },
	{ .key = "key", .type = SCHEMA_STRING, .off = M(ssh_key),
	  .valid = valid_path_text, .hint = "a path to a private key",
	  .doc = "a private key; default: the SSH agent" },
};

static const struct schema_section ssh_section = {
	.name = "machines.ssh", .where = "ssh", .prefix = "ssh.",
	SECTION(ssh_rows),
};

static const struct schema_row machine_rows[] = {
	{ .key = "name", .type = SCHEMA_STRING, .off = M(name),
	  .label = "machine name", .valid = valid_name, .hint = NAME_HINT,
	  .required = "needs a name",
	  .doc = "lower case, digits, - and _, at most 24" },
	{ .key = "address", .type = SCHEMA_STRING, .off = M(address),
	  .valid = valid_address, .hint = "an IP address or host name",
	  .required = "needs an address",
	  .doc = "IPv4, IPv6 or host name" },
	{ .key = "roles", .type = SCHEMA_FLAGS, .off = M(roles),
	  CHOICES(role_names), .item = "role", .pos_off = M(roles_pos),
	  .required = "needs roles (proxy, app, database, replica, redis, "
	  "monitor, backup)",
	  .doc = "what the machine runs" },
	{ .key = "ssh", .type = SCHEMA_MAP, .off = 0, .sub = &ssh_section,
	  .flags = SCHEMA_OMIT_EMPTY,
	  .doc = "how to reach it" },
};
#undef M

static const struct schema_section machine_section = {
	.name = "machines", .where = "a machine", .prefix = "",
	.noun = "machine", SECTION(machine_rows),
	.size = sizeof (struct machine),
	.pos_off = offsetof(struct machine, pos),
};

#define I(m)	offsetof(struct instance, m)
static const struct schema_row war_rows[] = {
	{ .key = "url", .type = SCHEMA_STRING, .off = I(war_url),
	  .valid = valid_url, .hint = URL_HINT,
	  .doc = "a WAR to download; needs sha256" },
	{ .key = "sha256", .type = SCHEMA_STRING, .off = I(war_sha256),
	  .valid = valid_sha256_hex, .hint = "64 hexadecimal digits",
	  .doc = "the WAR's checksum: nothing is installed unchecked" },
	{ .key = "file", .type = SCHEMA_STRING, .off = I(war_file),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "offline: a local WAR" },
};

static const struct schema_section war_section = {
	.name = "instances.war", .where = "war", .prefix = "war.",
	SECTION(war_rows),
};

static const struct schema_row instance_rows[] = {
	{ .key = "name", .type = SCHEMA_STRING, .off = I(name),
	  .label = "instance name", .valid = valid_name, .hint = NAME_HINT,
	  .required = "needs a name",
	  .doc = "names its Tomcat, database and base path" },
	{ .key = "version", .type = SCHEMA_STRING, .off = I(version),
	  .valid = valid_dhis2_version,
	  .hint = "a DHIS2 version like 2.41 or 2.41.3 (2.35 or later)",
	  .doc = "2.41 = the latest 2.41 patch; decides Java and Tomcat" },
	{ .key = "war", .type = SCHEMA_MAP, .off = 0, .sub = &war_section,
	  .present_off = I(war_source), .load = load_war,
	  .doc = "instead of the release from the releases metadata" },
	{ .key = "base_path", .type = SCHEMA_STRING, .off = I(base_path),
	  .valid = valid_base_path, .hint = "/ or /name",
	  .doc = "default /NAME; / only for a lone instance" },
	{ .key = "nodes", .type = SCHEMA_INT, .off = I(nodes),
	  .min = 1, .max = 16, .def = 1, .needs = FEATURE_BIT(FEATURE_REDIS),
	  .doc = "Tomcat nodes; more than 1 needs clustering.redis" },
	{ .key = "heap", .type = SCHEMA_SIZE, .off = I(heap_mb),
	  .flags = SCHEMA_AUTO, .min = 1024,
	  .min_hint = "is too small for DHIS2: give at least 1GB or auto",
	  .doc = "auto derives it from RAM, or a size: 4GB" },
	{ .key = "max_threads", .type = SCHEMA_INT, .off = I(max_threads),
	  .min = 10, .max = 2000, .def = 300, .flags = SCHEMA_OMIT_DEF,
	  .doc = "Tomcat's request threads (maxThreads), 10 to 2000" },
	{ .key = "database", .type = SCHEMA_STRING, .off = I(database),
	  .valid = valid_name, .hint = "a database name",
	  .doc = "default: the instance name" },
};
#undef I

static const struct schema_section instance_section = {
	.name = "instances", .where = "an instance", .prefix = "",
	.noun = "instance", SECTION(instance_rows),
	.size = sizeof (struct instance),
	.pos_off = offsetof(struct instance, pos),
	.finish = instance_finish,
};

#define U(m)	offsetof(struct db_tuning, m)
static const struct schema_row tuning_rows[] = {
	{ .key = "shared_buffers", .type = SCHEMA_SIZE,
	  .off = U(shared_buffers_mb), .doc = "PostgreSQL shared_buffers" },
	{ .key = "work_mem", .type = SCHEMA_SIZE, .off = U(work_mem_mb),
	  .doc = "PostgreSQL work_mem" },
	{ .key = "maintenance_work_mem", .type = SCHEMA_SIZE,
	  .off = U(maintenance_work_mem_mb),
	  .doc = "PostgreSQL maintenance_work_mem" },
	{ .key = "effective_cache_size", .type = SCHEMA_SIZE,
	  .off = U(effective_cache_size_mb),
	  .doc = "PostgreSQL effective_cache_size" },
	{ .key = "max_connections", .type = SCHEMA_INT,
	  .off = U(max_connections), .min = 20, .max = 10000,
	  .flags = SCHEMA_OMIT_DEF, .doc = "PostgreSQL max_connections" },
};
#undef U

static const struct schema_section tuning_section = {
	.name = "database.tuning", .where = "database.tuning", .prefix = "",
	SECTION(tuning_rows),
};

#define D(m)	offsetof(struct database, m)
static const struct schema_row database_rows[] = {
	/* 12 is the oldest PostGIS-packaged release still supported. */
	{ .key = "version", .type = SCHEMA_INT, .off = D(version),
	  .min = 12, .max = 17, .def = 15,
	  .doc = "PostgreSQL major, 12 to 17" },
	{ .key = "tuning", .type = SCHEMA_MAP, .off = D(tuning),
	  .sub = &tuning_section, .flags = SCHEMA_AUTO,
	  .auto_off = offsetof(struct db_tuning, auto_tune), .def = 1,
	  .doc = "auto: derived from the RAM PostgreSQL gets" },
	{ .key = "replicas", .type = SCHEMA_INT, .off = D(replicas),
	  .min = 0, .max = 5, .needs = FEATURE_BIT(FEATURE_REPLICAS),
	  .asks = asks_set,
	  .doc = "read replicas, 0 to 5 (not with single-host)" },
	{ .key = "data_path", .type = SCHEMA_STRING, .off = D(data_path),
	  .valid = valid_abs_path, .hint = PATH_HINT,
	  .doc = "host path of the data directory" },
};
#undef D

static const struct schema_section database_section = {
	.name = "database", .where = "database", .prefix = "database.",
	SECTION(database_rows), .pos_off = offsetof(struct database, pos),
};

static const struct schema_row clustering_rows[] = {
	{ .key = "redis", .type = SCHEMA_BOOL,
	  .off = offsetof(struct profile, redis),
	  .pos_off = offsetof(struct profile, pos_redis),
	  .flags = SCHEMA_OMIT_DEF, .needs = FEATURE_BIT(FEATURE_REDIS),
	  .asks = asks_set,
	  .doc = "Redis for sessions and caches across nodes" },
};

static const struct schema_section clustering_section = {
	.name = "clustering", .where = "clustering", .prefix = "clustering.",
	SECTION(clustering_rows),
};

#define A(m)	offsetof(struct alerting, m)
static const struct schema_row telegram_rows[] = {
	{ .key = "chat_id", .type = SCHEMA_STRING, .off = A(telegram_chat),
	  .valid = valid_telegram_chat,
	  .hint = "a Telegram chat id (a number, negative for groups)",
	  .flags = SCHEMA_EMPTY_OK, .needs = FEATURE_BIT(FEATURE_ALERTING),
	  .required = "needs chat_id (the bot token goes in the secrets "
	  "file as alerting.telegram_token)",
	  .doc = "the chat alerts go to; the bot token is a secret" },
};

static const struct schema_section telegram_section = {
	.name = "alerting.telegram", .where = "alerting.telegram",
	.prefix = "", SECTION(telegram_rows),
};

static const struct schema_row alerting_rows[] = {
	{ .key = "email", .type = SCHEMA_STRING, .off = A(email),
	  .valid = valid_email,
	  .hint = "an e-mail address like ops@example.org",
	  .needs = FEATURE_BIT(FEATURE_ALERTING), .asks = asks_set,
	  .doc = "where alerts are mailed; needs smarthost" },
	{ .key = "smarthost", .type = SCHEMA_STRING, .off = A(smarthost),
	  .valid = valid_smarthost, .hint = "a relay host[:port]",
	  .needs = FEATURE_BIT(FEATURE_ALERTING),
	  .doc = "the relay mail goes through; its password is a secret" },
	{ .key = "telegram", .type = SCHEMA_MAP, .off = 0,
	  .sub = &telegram_section, .present_off = A(telegram),
	  .needs = FEATURE_BIT(FEATURE_ALERTING), .asks = asks_set,
	  .doc = "alerts to a Telegram chat" },
	{ .key = "slack", .type = SCHEMA_BOOL, .off = A(slack),
	  .flags = SCHEMA_OMIT_DEF, .needs = FEATURE_BIT(FEATURE_ALERTING),
	  .asks = asks_set,
	  .doc = "alerts to Slack; the webhook URL is a secret" },
};
#undef A

static const struct schema_section alerting_section = {
	.name = "alerting", .where = "alerting", .prefix = "alerting.",
	SECTION(alerting_rows), .pos_off = offsetof(struct alerting, pos),
};

#define E(m)	offsetof(struct encryption, m)
static const struct schema_row encryption_rows[] = {
	{ .key = "device", .type = SCHEMA_STRING, .off = E(device),
	  .valid = valid_device, .hint = "a block device path like /dev/sdb",
	  .needs = FEATURE_BIT(FEATURE_ENCRYPTION), .asks = asks_set,
	  .doc = "ERASED and encrypted with LUKS for the data" },
	{ .key = "swap", .type = SCHEMA_BOOL, .off = E(swap),
	  .needs = FEATURE_BIT(FEATURE_ENCRYPTION), .asks = asks_set,
	  .doc = "swap encrypted with a random key at boot" },
};
#undef E

static const struct schema_section encryption_section = {
	.name = "encryption", .where = "encryption", .prefix = "encryption.",
	SECTION(encryption_rows), .pos_off = offsetof(struct encryption, pos),
};

#define B(m)	offsetof(struct backups, m)
static const struct schema_row backups_rows[] = {
	{ .key = "enabled", .type = SCHEMA_BOOL, .off = B(enabled), .def = 1,
	  .needs = FEATURE_BIT(FEATURE_BACKUPS), .asks = asks_set,
	  .doc = "nightly database backups" },
	{ .key = "schedule", .type = SCHEMA_STRING, .off = B(schedule),
	  .valid = valid_cron,
	  .hint = "a cron schedule like \"0 2 * * *\" or @daily",
	  .needs = FEATURE_BIT(FEATURE_BACKUPS),
	  .doc = "cron, or @daily / @weekly / @hourly" },
	{ .key = "retention_days", .type = SCHEMA_INT,
	  .off = B(retention_days), .min = 1, .max = 3650, .def = 14,
	  .needs = FEATURE_BIT(FEATURE_BACKUPS),
	  .doc = "how long backups are kept" },
	{ .key = "target", .type = SCHEMA_STRING, .off = B(target),
	  .valid = valid_backup_target,
	  .hint = "user@host:/path or s3://bucket/prefix",
	  .needs = FEATURE_BIT(FEATURE_BACKUPS) |
	  FEATURE_BIT(FEATURE_BACKUPS_S3), .asks = asks_backup_target,
	  .pos_off = B(pos_target),
	  .doc = "off-host copies: user@host:/path or s3://bucket/prefix" },
	{ .key = "target_host_key", .type = SCHEMA_STRING,
	  .off = B(target_host_key), .valid = valid_ssh_host_key,
	  .hint = "the target's SSH host key as ssh-keyscan prints it, like "
	  "\"ssh-ed25519 AAAA...\"",
	  .needs = FEATURE_BIT(FEATURE_BACKUPS),
	  .doc = "the target's SSH host key, checked on every copy" },
	/* Checked in profile_check.c, which never repeats a secret key. */
	{ .key = "encrypt_to", .type = SCHEMA_STRING, .off = B(encrypt_to),
	  .pos_off = B(pos_encrypt_to),
	  .needs = FEATURE_BIT(FEATURE_BACKUPS),
	  .doc = "dumps encrypted with age to this public key" },
};
#undef B

static const struct schema_section backups_section = {
	.name = "backups", .where = "backups", .prefix = "backups.",
	SECTION(backups_rows), .pos_off = offsetof(struct backups, pos),
};

#define P(m)	offsetof(struct profile, m)
static const struct schema_row profile_rows[] = {
	{ .key = "version", .type = SCHEMA_INT, .off = P(version),
	  .min = 1, .max = 1000, .def = PROFILE_VERSION,
	  .load = load_version, .flags = SCHEMA_EARLY,
	  .doc = "required; this dhis2-setup reads version 1" },
	{ .key = "hosting", .type = SCHEMA_CHOICE, .off = P(hosting),
	  CHOICES(hosting_names), .def = HOSTING_CLOUD,
	  .flags = SCHEMA_EARLY,
	  .doc = "where the server lives: the hosting guide's models" },
	{ .key = "isolation", .type = SCHEMA_CHOICE, .off = P(isolation),
	  CHOICES(isolation_names), .def = ISOLATION_SINGLE_HOST,
	  .pos_off = P(pos_isolation), .flags = SCHEMA_EARLY,
	  .doc = "how components are isolated" },
	{ .key = "fqdn", .type = SCHEMA_STRING, .off = P(fqdn),
	  .valid = valid_fqdn,
	  .hint = "a fully qualified domain name like dhis.example.org",
	  .pos_off = P(pos_fqdn),
	  .doc = "the name users reach DHIS2 at" },
	{ .key = "admin_network", .type = SCHEMA_STRING,
	  .off = P(admin_network), .valid = valid_cidr,
	  .hint = "a network like 192.0.2.0/24",
	  .doc = "SSH is allowed from here only" },
	{ .key = "timezone", .type = SCHEMA_STRING, .off = P(timezone),
	  .valid = valid_timezone,
	  .hint = "a time zone like Africa/Kampala or UTC",
	  .doc = "tz database name, or UTC" },
	{ .key = "secrets", .type = SCHEMA_STRING, .off = P(secrets_file),
	  .valid = valid_path_text, .hint = "a path to the secrets file",
	  .pos_off = P(pos_secrets),
	  .doc = "default PROFILE.secrets.yaml beside it" },
	{ .key = "known_hosts", .type = SCHEMA_STRING, .off = P(known_hosts),
	  .valid = valid_path_text, .hint = "a path",
	  .doc = "SSH host keys (default: the user's)" },
	{ .key = "proxy", .type = SCHEMA_CHOICE, .off = P(proxy),
	  CHOICES(proxy_names), .def = PROXY_NGINX, .flags = SCHEMA_EARLY,
	  .doc = "nginx or apache2" },
	{ .key = "tls", .type = SCHEMA_MAP, .off = P(tls),
	  .sub = &tls_section, .doc = "the certificate" },
	{ .key = "lxc", .type = SCHEMA_MAP, .off = P(lxc),
	  .sub = &lxc_section, .flags = SCHEMA_OMIT_EMPTY,
	  .doc = "only with isolation: lxc" },
	{ .key = "releases", .type = SCHEMA_MAP, .off = P(releases),
	  .sub = &releases_section, .flags = SCHEMA_OMIT_EMPTY,
	  .doc = "where DHIS2 versions are looked up" },
	{ .key = "machines", .type = SCHEMA_LIST, .off = P(machines),
	  .count_off = P(nmachines), .sub = &machine_section,
	  .doc = "isolation machines: every role needs one" },
	{ .key = "instances", .type = SCHEMA_LIST, .off = P(instances),
	  .count_off = P(ninstances), .sub = &instance_section,
	  .doc = "one or more DHIS2 instances" },
	{ .key = "database", .type = SCHEMA_MAP, .off = P(database),
	  .sub = &database_section, .doc = "PostgreSQL" },
	{ .key = "clustering", .type = SCHEMA_MAP, .off = 0,
	  .sub = &clustering_section, .flags = SCHEMA_OMIT_EMPTY,
	  .doc = "several Tomcat nodes per instance" },
	{ .key = "monitoring", .type = SCHEMA_CHOICE, .off = P(monitoring),
	  CHOICES(monitoring_names), .def = MONITORING_PROMETHEUS,
	  .pos_off = P(pos_monitoring), .flags = SCHEMA_EARLY,
	  .needs = FEATURE_BIT(FEATURE_PROMETHEUS) |
	  FEATURE_BIT(FEATURE_MUNIN), .asks = asks_monitoring,
	  .doc = "prometheus | munin | none" },
	{ .key = "alerting", .type = SCHEMA_MAP, .off = P(alerting),
	  .sub = &alerting_section, .flags = SCHEMA_OMIT_EMPTY,
	  .needs = FEATURE_BIT(FEATURE_ALERTING),
	  .doc = "where alerts go" },
	{ .key = "encryption", .type = SCHEMA_MAP, .off = P(encryption),
	  .sub = &encryption_section, .flags = SCHEMA_OMIT_EMPTY,
	  .needs = FEATURE_BIT(FEATURE_ENCRYPTION),
	  .doc = "disk encryption with LUKS" },
	{ .key = "backups", .type = SCHEMA_MAP, .off = P(backups),
	  .sub = &backups_section, .needs = FEATURE_BIT(FEATURE_BACKUPS),
	  .doc = "database backups" },
};
#undef P

static const struct schema_section profile_section = {
	.name = "", .where = "the profile", .prefix = "",
	SECTION(profile_rows),
};

const struct schema_section *
schema_root(void)
{
	return &profile_section;
}

/* The section at path below sec, whose path is "" or ends at a key. */
static const struct schema_section *
find_section(const struct schema_section *sec, const char *path)
{
	const struct schema_section *found;
	size_t	i;

	if (strcmp(sec->name, path) == 0)
		return sec;
	for (i = 0; i < sec->nrows; i++) {
		if (sec->rows[i].sub == NULL)
			continue;
		if ((found = find_section(sec->rows[i].sub, path)) != NULL)
			return found;
	}
	return NULL;
}

const struct schema_section *
schema_section(const char *path)
{
	return find_section(&profile_section, path);
}

const struct schema_row *
schema_find(const char *section, const char *key)
{
	const struct schema_section *sec;
	size_t	i;

	if ((sec = schema_section(section)) == NULL)
		return NULL;
	for (i = 0; i < sec->nrows; i++) {
		if (strcmp(sec->rows[i].key, key) == 0)
			return &sec->rows[i];
	}
	return NULL;
}

const struct schema_row *
schema_find_path(const char *path)
{
	const struct schema_row *row;
	const char	*dot = strrchr(path, '.');
	char		*section;

	if (dot == NULL)
		return schema_find("", path);
	section = xstrndup(path, dot - path);
	row = schema_find(section, dot + 1);
	free(section);
	return row;
}

void *
schema_field(const struct schema_row *row, void *base)
{
	return (char *)base + row->off;
}

const char *
schema_label(const struct schema_section *sec, const struct schema_row *row,
    char *buf, size_t len)
{
	if (row->label != NULL)
		return row->label;
	snprintf(buf, len, "%s%s", sec->prefix, row->key);
	return buf;
}

const char *
schema_hint(const struct schema_row *row)
{
	return row->hint;
}

int
schema_feature(const struct schema_row *row)
{
	int	f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		if (row->needs & FEATURE_BIT(f))
			return f;
	}
	return -1;
}

/* What the loader takes for true and false. */
static const char *const bool_words[] = {
	"true", "false", "yes", "no", "on", "off", NULL
};

int
schema_text_ok(const struct schema_row *row, const char *text)
{
	const char	*errstr;
	long long	 v;
	int		 i;

	switch (row->type) {
	case SCHEMA_STRING:
		if (*text == '\0' && !(row->flags & SCHEMA_EMPTY_OK))
			return 0;
		if (row->max_len != 0 && strlen(text) > row->max_len)
			return 0;
		return row->valid == NULL || row->valid(text);
	case SCHEMA_INT:
		strtonum_checked(text, row->min, row->max, &errstr);
		return errstr == NULL;
	case SCHEMA_BOOL:
		for (i = 0; bool_words[i] != NULL; i++) {
			if (strcmp(text, bool_words[i]) == 0)
				return 1;
		}
		return 0;
	case SCHEMA_CHOICE:
		for (i = 0; i < row->nchoices; i++) {
			if (strcmp(text, row->choices[i]) == 0)
				return 1;
		}
		return 0;
	case SCHEMA_SIZE:
		if ((row->flags & SCHEMA_AUTO) && strcmp(text, "auto") == 0)
			return 1;
		return parse_size_mb(text, &v) == 0 && v >= row->min;
	default:
		return 0;
	}
}

static int
walk(const struct schema_section *sec, int (*fn)(const struct schema_section *,
    const struct schema_row *, void *), void *arg)
{
	size_t	i;
	int	rc;

	for (i = 0; i < sec->nrows; i++) {
		if ((rc = fn(sec, &sec->rows[i], arg)) != 0)
			return rc;
		if (sec->rows[i].sub != NULL &&
		    (rc = walk(sec->rows[i].sub, fn, arg)) != 0)
			return rc;
	}
	return 0;
}

int
schema_walk(int (*fn)(const struct schema_section *,
    const struct schema_row *, void *), void *arg)
{
	return walk(&profile_section, fn, arg);
}

void
schema_defaults(const struct schema_section *sec, void *base)
{
	const struct schema_row	*row;
	size_t			 i;

	for (i = 0; i < sec->nrows; i++) {
		row = &sec->rows[i];
		switch (row->type) {
		case SCHEMA_INT:
		case SCHEMA_BOOL:
		case SCHEMA_CHOICE:
			*(int *)schema_field(row, base) = row->def;
			break;
		case SCHEMA_MAP:
			if (row->flags & SCHEMA_AUTO)
				*(int *)((char *)schema_field(row, base) +
				    row->auto_off) = row->def;
			schema_defaults(row->sub, schema_field(row, base));
			break;
		default:
			break;
		}
	}
}
