/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The wizard's questionnaire: the screens in order, their fields and
 * choices, the adapters for answers that are not one profile member,
 * and the rules across the fields of a screen.  The walk through them
 * is wizard.c; the frontends render them.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core.h"
#include "feature.h"
#include "profile.h"
#include "tui.h"

#define MAX_MACHINES	TUI_MAX_MACHINES
#define MAX_INSTANCES	8

#define P(m)		.base = BASE_PROFILE, .off = offsetof(struct profile, m)
#define M(m)		.base = BASE_MACHINE, .off = offsetof(struct machine, m)
#define I(m)		.base = BASE_INSTANCE, .off = offsetof(struct instance, m)
#define CUSTOM(g, s)	.base = BASE_CUSTOM, .get = (g), .set = (s)
#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])
#define CHOICES(a)	.choices = (a), .nchoices = NITEMS(a)

static int
any_clustered(const struct wizard *w)
{
	size_t	i;

	for (i = 0; i < w->p.ninstances; i++) {
		if (w->p.instances[i].nodes > 1)
			return 1;
	}
	return 0;
}

/* Counts of repeated screens, and screens asked only for some answers. */
static size_t
count_machines_screen(const struct wizard *w)
{
	return w->p.isolation == ISOLATION_MACHINES;
}

static size_t
count_machines(const struct wizard *w)
{
	return w->p.isolation == ISOLATION_MACHINES ? w->p.nmachines : 0;
}

static size_t
count_instances(const struct wizard *w)
{
	return w->p.ninstances;
}

static size_t
count_letsencrypt(const struct wizard *w)
{
	return w->p.tls.mode == TLS_LETSENCRYPT;
}

static size_t
count_provided(const struct wizard *w)
{
	return w->p.tls.mode == TLS_PROVIDED;
}

static size_t
count_tls_none(const struct wizard *w)
{
	return w->p.tls.mode == TLS_NONE;
}

static const char *
set_count(struct wizard *w, const char *s, size_t lo, size_t hi,
    void (*resize)(struct profile *, size_t))
{
	const char	*errstr;
	long long	 n;

	n = strtonum_checked(s, lo, hi, &errstr);
	if (errstr != NULL) {
		snprintf(w->err, sizeof w->err, "give a number from %zu to %zu",
		    lo, hi);
		return w->err;
	}
	resize(&w->p, n);
	return NULL;
}

static char *
get_nmachines(struct wizard *w, size_t idx)
{
	char	*s;

	(void)idx;
	xasprintf(&s, "%zu", w->p.nmachines < 2 ? 3 : w->p.nmachines);
	return s;
}

static const char *
set_nmachines(struct wizard *w, size_t idx, const char *s)
{
	(void)idx;
	return set_count(w, s, 2, MAX_MACHINES, wizard_resize_machines);
}

static char *
get_ninstances(struct wizard *w, size_t idx)
{
	char	*s;

	(void)idx;
	xasprintf(&s, "%zu", w->p.ninstances == 0 ? 1 : w->p.ninstances);
	return s;
}

static const char *
set_ninstances(struct wizard *w, size_t idx, const char *s)
{
	(void)idx;
	return set_count(w, s, 1, MAX_INSTANCES, wizard_resize_instances);
}

static char *
get_roles(struct wizard *w, size_t idx)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	unsigned	 roles = w->p.machines[idx].roles;
	int		 r;

	strbuf_add(&sb, "", 0);
	for (r = 0; r < ROLE_COUNT; r++) {
		if (!(roles & ROLE_BIT(r)))
			continue;
		if (sb.len > 0)
			strbuf_add(&sb, ",", 1);
		strbuf_add(&sb, role_name(r), strlen(role_name(r)));
	}
	return sb.buf;
}

static const char *
set_roles(struct wizard *w, size_t idx, const char *s)
{
	char		*copy, *word, *rest;
	unsigned	 roles = 0;
	int		 r;

	copy = rest = xstrdup(s);
	while ((word = strsep(&rest, ", ")) != NULL) {
		if (*word == '\0')
			continue;
		if ((r = role_from_name(word)) == -1) {
			snprintf(w->err, sizeof w->err, "unknown role '%.32s': "
			    "proxy app database replica redis monitor backup",
			    word);
			free(copy);
			return w->err;
		}
		roles |= ROLE_BIT(r);
	}
	free(copy);
	if (roles == 0)
		return "give at least one role, e.g. app";
	w->p.machines[idx].roles = roles;
	return NULL;
}

static char *
get_heap(struct wizard *w, size_t idx)
{
	long long	 mb = w->p.instances[idx].heap_mb;
	char		*s;

	if (mb == 0)
		return xstrdup("auto");
	if (mb % 1024 == 0)
		xasprintf(&s, "%lldGB", mb / 1024);
	else
		xasprintf(&s, "%lldMB", mb);
	return s;
}

static const char *
set_heap(struct wizard *w, size_t idx, const char *s)
{
	long long	 mb;

	if (*s == '\0' || strcasecmp(s, "auto") == 0) {
		w->p.instances[idx].heap_mb = 0;
		return NULL;
	}
	if (parse_size_mb(s, &mb) == -1)
		return "auto, or a size like 4GB or 3072MB";
	if (mb < 1024)
		return "DHIS2 needs at least 1GB of heap";
	w->p.instances[idx].heap_mb = mb;
	return NULL;
}

/* Versions from: a URL, or a local stable.json (absolute path). */
static char *
get_releases(struct wizard *w, size_t idx)
{
	(void)idx;
	if (w->p.releases.file != NULL)
		return xstrdup(w->p.releases.file);
	return xstrdup(w->p.releases.url != NULL ? w->p.releases.url : "");
}

static const char *
set_releases(struct wizard *w, size_t idx, const char *s)
{
	(void)idx;
	if (*s != '\0' && strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0 && !valid_abs_path(s))
		return "a URL, or the absolute path of a stable.json";
	if (*s != '\0' && s[0] != '/' && !valid_url(s))
		return "a URL like https://host/stable.json";
	free(w->p.releases.url);
	free(w->p.releases.file);
	w->p.releases.url = w->p.releases.file = NULL;
	if (*s == '/')
		w->p.releases.file = xstrdup(s);
	else if (*s != '\0')
		w->p.releases.url = xstrdup(s);
	return NULL;
}

static char *
get_war_file(struct wizard *w, size_t idx)
{
	const struct instance	*in = &w->p.instances[idx];

	return xstrdup(in->war_source == WAR_FILE && in->war_file != NULL ?
	    in->war_file : "");
}

static const char *
set_war_file(struct wizard *w, size_t idx, const char *s)
{
	struct instance	*in = &w->p.instances[idx];

	if (*s == '\0') {
		if (in->war_source == WAR_FILE) {
			in->war_source = WAR_RELEASE;
			free(in->war_file);
			in->war_file = NULL;
		}
		return NULL;
	}
	if (!valid_abs_path(s))
		return "an absolute path to a .war";
	if (access(s, R_OK) == -1)
		return "no such file here";
	free(in->war_file);
	in->war_file = xstrdup(s);
	in->war_source = WAR_FILE;
	return NULL;
}

static char *
get_confirm(struct wizard *w, size_t idx)
{
	(void)idx;
	return xstrdup(w->enc_confirm != NULL ? w->enc_confirm : "");
}

static const char *
set_confirm(struct wizard *w, size_t idx, const char *s)
{
	(void)idx;
	free(w->enc_confirm);
	w->enc_confirm = *s != '\0' ? xstrdup(s) : NULL;
	return NULL;
}

static char *
get_lab_ok(struct wizard *w, size_t idx)
{
	(void)idx;
	return xstrdup(w->tls_none_ok ? "yes" : "no");
}

static const char *
set_lab_ok(struct wizard *w, size_t idx, const char *s)
{
	(void)idx;
	w->tls_none_ok = strcmp(s, "yes") == 0;
	return NULL;
}

/* Rules across the fields of one screen, shown beside the field named. */
static int
field_index(const struct screen *s, const char *key)
{
	size_t	i;

	for (i = 0; i < s->nfields; i++) {
		if (strcmp(s->fields[i].key, key) == 0)
			return (int)i;
	}
	return 0;
}

static const struct screen *screen_by_id(const char *);

static const char *
check_instance(struct wizard *w, size_t idx, int *field)
{
	const struct instance	*in = &w->p.instances[idx];
	const struct screen	*s = screen_by_id("instance");
	size_t			 i;

	for (i = 0; i < w->p.ninstances; i++) {
		const struct instance *o = &w->p.instances[i];

		if (i == idx)
			continue;
		if (strcmp(o->name, in->name) == 0) {
			*field = field_index(s, "name");
			return "another instance has this name";
		}
		if (strcmp(o->base_path, in->base_path) == 0) {
			*field = field_index(s, "base_path");
			return "another instance uses this base path";
		}
	}
	if (w->p.ninstances > 1 && strcmp(in->base_path, "/") == 0) {
		*field = field_index(s, "base_path");
		return "with several instances, give each its own /name";
	}
	if (in->war_source == WAR_RELEASE) {
		*field = field_index(s, "version");
		return check_version_listed(w, in->version);
	}
	return NULL;
}

static const char *
check_machine(struct wizard *w, size_t idx, int *field)
{
	const struct machine	*m = &w->p.machines[idx];
	const struct screen	*s = screen_by_id("machine");
	size_t			 i;

	if (m->address == NULL) {
		*field = field_index(s, "address");
		return "give the address the machine is reached at";
	}
	for (i = 0; i < idx; i++) {
		if (strcmp(w->p.machines[i].name, m->name) == 0) {
			*field = field_index(s, "name");
			return "another machine has this name";
		}
	}
	if ((m->roles & ROLE_BIT(ROLE_DATABASE)) &&
	    (m->roles & ROLE_BIT(ROLE_REPLICA))) {
		*field = field_index(s, "roles");
		return "a machine cannot be the database and its replica";
	}
	return NULL;
}

static const char *
check_database(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	if (w->p.database.replicas > 0 &&
	    w->p.isolation == ISOLATION_SINGLE_HOST) {
		*field = field_index(screen_by_id("database"), "replicas");
		return "replicas need isolation lxc or machines";
	}
	return NULL;
}

static void
enter_clustering(struct wizard *w, size_t idx)
{
	(void)idx;
	if (any_clustered(w))
		w->p.redis = 1;
}

static const char *
check_clustering(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	*field = 0;
	if (any_clustered(w) && !w->p.redis)
		return "an instance has several nodes: they need Redis";
	return NULL;
}

static const char *
check_tls_none(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	*field = 0;
	if (!w->tls_none_ok)
		return "tick it, or go Back and choose a certificate";
	return NULL;
}

static const char *
check_encryption(struct wizard *w, size_t idx, int *field)
{
	const char	*dev = w->p.encryption.device, *err;

	(void)idx;
	*field = field_index(screen_by_id("encryption"), "confirm");
	if (dev == NULL) {
		free(w->enc_confirm);
		w->enc_confirm = NULL;
		return NULL;
	}
	if ((err = check_disk(w, dev)) != NULL) {
		*field = field_index(screen_by_id("encryption"), "device");
		return err;
	}
	if (w->enc_confirm == NULL || strcmp(w->enc_confirm, dev) != 0)
		return "type the device name again to confirm";
	return NULL;
}

static const char *
check_backups(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	if (w->p.backups.enabled && w->p.backups.schedule == NULL) {
		*field = field_index(screen_by_id("backups"), "schedule");
		return "give a schedule, e.g. 0 2 * * *";
	}
	return NULL;
}

static const char *
check_letsencrypt(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	*field = 0;
	if (w->p.tls.email == NULL)
		return "Let's Encrypt needs an address for expiry notices";
	if (w->p.fqdn != NULL && !fqdn_is_public(w->p.fqdn))
		return "the name is not public: go Back, choose self-signed";
	return NULL;
}

static const char *
check_provided(struct wizard *w, size_t idx, int *field)
{
	(void)idx;
	*field = w->p.tls.cert == NULL ? 0 : 1;
	if (w->p.tls.cert == NULL || w->p.tls.key == NULL)
		return "give the certificate and its key";
	return NULL;
}

static const struct choice hosting_choices[] = {
	{ .value = "basement",
	  .label = "Own server room  high setup   broad: DC+net+admin "
	    "all yours, physical too" },
	{ .value = "datacentre",
	  .label = "Govt data centre 0 to high    sysadmin            "
	    "shared with the centre" },
	{ .value = "colocation",
	  .label = "Co-location/VPS  medium       sysadmin+network    "
	    "shared with the host" },
	{ .value = "cloud",
	  .label = "Cloud (IaaS)     lowest       sysadmin+budget     "
	    "shared with provider" },
	{ .value = "saas",
	  .label = "DHIS2 as service highest fee  budget management   "
	    "mostly the provider's" },
};

static const struct choice isolation_choices[] = {
	{ .value = "single-host",
	  .label = "Single host: all on one server (small, simple)" },
	{ .value = "lxc",
	  .label = "LXC containers on one server (recommended)" },
	{ .value = "machines",
	  .label = "Separate machines or VMs over SSH (largest)" },
};

static const struct choice tls_choices[] = {
	{ .value = "letsencrypt",
	  .label = "Let's Encrypt (public name, free, renewed)" },
	{ .value = "provided",
	  .label = "A certificate I have (cert, key, chain files)" },
	{ .value = "self-signed",
	  .label = "Self-signed (lab or intranet with its own CA)" },
	{ .value = "none",
	  .label = "None: plain HTTP (lab only, never production)" },
};

static const struct choice proxy_choices[] = {
	{ .value = "nginx", .label = "nginx (recommended)" },
	{ .value = "apache2", .label = "Apache 2" },
};

static const struct choice monitoring_choices[] = {
	{ .value = "prometheus", .label = "Prometheus (recommended)",
	  .needs = NEEDS(FEATURE_PROMETHEUS) },
	{ .value = "munin", .label = "Munin (simple, older)",
	  .needs = NEEDS(FEATURE_MUNIN) },
	{ .value = "none", .label = "None (not for production)" },
};

static const struct field f_hosting[] = {
	{ .key = "hosting", .label = "Model", .kind = FIELD_CHOICE,
	  P(hosting), CHOICES(hosting_choices) },
};

static const struct field f_isolation[] = {
	{ .key = "isolation", .label = "Isolation", .kind = FIELD_CHOICE,
	  P(isolation), CHOICES(isolation_choices) },
};

static const struct field f_machines[] = {
	{ .key = "count", .label = "Machines", .kind = FIELD_TEXT,
	  CUSTOM(get_nmachines, set_nmachines) },
};

static const struct field f_machine[] = {
	{ .key = "name", .label = "Name", .kind = FIELD_TEXT, M(name),
	  .schema = "machines.name" },
	{ .key = "address", .label = "Address", .kind = FIELD_TEXT,
	  M(address), .optional = 1, .schema = "machines.address" },
	{ .key = "ssh_user", .label = "SSH user", .kind = FIELD_TEXT,
	  M(ssh_user), .schema = "machines.ssh.user" },
	{ .key = "ssh_port", .label = "SSH port", .kind = FIELD_INT,
	  M(ssh_port), .schema = "machines.ssh.port" },
	{ .key = "ssh_key", .label = "SSH key file", .kind = FIELD_TEXT,
	  M(ssh_key), .optional = 1, .schema = "machines.ssh.key" },
	{ .key = "roles", .label = "Roles", .kind = FIELD_TEXT,
	  CUSTOM(get_roles, set_roles) },
};

static const struct field f_site[] = {
	{ .key = "fqdn", .label = "Server name", .kind = FIELD_TEXT,
	  P(fqdn), .schema = "fqdn" },
	{ .key = "admin_network", .label = "Admin network",
	  .kind = FIELD_TEXT, P(admin_network), .optional = 1,
	  .schema = "admin_network" },
	{ .key = "timezone", .label = "Time zone", .kind = FIELD_TEXT,
	  P(timezone), .optional = 1, .schema = "timezone" },
};

static const struct field f_tls[] = {
	{ .key = "tls", .label = "Certificate", .kind = FIELD_CHOICE,
	  P(tls.mode), CHOICES(tls_choices) },
};

static const struct field f_letsencrypt[] = {
	{ .key = "email", .label = "Email", .kind = FIELD_TEXT,
	  P(tls.email), .optional = 1, .schema = "tls.email" },
};

static const struct field f_provided[] = {
	{ .key = "cert", .label = "Certificate", .kind = FIELD_TEXT,
	  P(tls.cert), .optional = 1, .schema = "tls.cert" },
	{ .key = "key", .label = "Private key", .kind = FIELD_TEXT,
	  P(tls.key), .optional = 1, .schema = "tls.key" },
	{ .key = "chain", .label = "Chain", .kind = FIELD_TEXT,
	  P(tls.chain), .optional = 1, .schema = "tls.chain" },
};

static const struct field f_tls_none[] = {
	{ .key = "lab_only", .label = "Lab only", .kind = FIELD_BOOL,
	  CUSTOM(get_lab_ok, set_lab_ok) },
};

static const struct field f_proxy[] = {
	{ .key = "proxy", .label = "Proxy", .kind = FIELD_CHOICE,
	  P(proxy), CHOICES(proxy_choices) },
};

static const struct field f_instances[] = {
	{ .key = "count", .label = "Instances", .kind = FIELD_TEXT,
	  CUSTOM(get_ninstances, set_ninstances) },
	{ .key = "releases", .label = "Versions from", .kind = FIELD_TEXT,
	  CUSTOM(get_releases, set_releases), .optional = 1 },
};

static const struct field f_instance[] = {
	{ .key = "name", .label = "Name", .kind = FIELD_TEXT, I(name),
	  .schema = "instances.name" },
	{ .key = "version", .label = "DHIS2 version", .kind = FIELD_TEXT,
	  I(version), .schema = "instances.version" },
	{ .key = "war_file", .label = "or WAR file", .kind = FIELD_TEXT,
	  CUSTOM(get_war_file, set_war_file), .optional = 1 },
	{ .key = "base_path", .label = "Base path", .kind = FIELD_TEXT,
	  I(base_path), .schema = "instances.base_path" },
	{ .key = "nodes", .label = "Tomcat nodes", .kind = FIELD_INT,
	  I(nodes), .schema = "instances.nodes" },
	{ .key = "heap", .label = "Java heap", .kind = FIELD_TEXT,
	  CUSTOM(get_heap, set_heap) },
};

static const struct field f_database[] = {
	{ .key = "version", .label = "PostgreSQL", .kind = FIELD_INT,
	  P(database.version), .schema = "database.version" },
	{ .key = "auto_tune", .label = "Tune from RAM", .kind = FIELD_BOOL,
	  P(database.tuning.auto_tune) },
	{ .key = "replicas", .label = "Read replicas", .kind = FIELD_INT,
	  P(database.replicas), .schema = "database.replicas" },
};

static const struct field f_clustering[] = {
	{ .key = "redis", .label = "Redis", .kind = FIELD_BOOL, P(redis),
	  .needs = NEEDS(FEATURE_REDIS) },
};

static const struct field f_monitoring[] = {
	{ .key = "monitoring", .label = "Monitoring", .kind = FIELD_CHOICE,
	  P(monitoring), CHOICES(monitoring_choices) },
};

static const struct field f_alerting[] = {
	{ .key = "email", .label = "Alert email", .kind = FIELD_TEXT,
	  P(alerting.email), .optional = 1, .schema = "alerting.email" },
	{ .key = "smarthost", .label = "Mail relay", .kind = FIELD_TEXT,
	  P(alerting.smarthost), .optional = 1,
	  .schema = "alerting.smarthost" },
	{ .key = "telegram", .label = "Telegram", .kind = FIELD_BOOL,
	  P(alerting.telegram), .needs = NEEDS(FEATURE_ALERTING) },
	{ .key = "telegram_chat", .label = "Telegram chat",
	  .kind = FIELD_TEXT, P(alerting.telegram_chat), .optional = 1,
	  .schema = "alerting.telegram.chat_id",
	  .needs = NEEDS(FEATURE_ALERTING) },
	{ .key = "slack", .label = "Slack", .kind = FIELD_BOOL,
	  P(alerting.slack), .needs = NEEDS(FEATURE_ALERTING) },
};

static const struct field f_encryption[] = {
	{ .key = "device", .label = "Data disk", .kind = FIELD_TEXT,
	  P(encryption.device), .optional = 1, .schema = "encryption.device" },
	{ .key = "confirm", .label = "Type it again", .kind = FIELD_TEXT,
	  CUSTOM(get_confirm, set_confirm), .optional = 1,
	  .needs = NEEDS(FEATURE_ENCRYPTION) },
	{ .key = "swap", .label = "Encrypt swap", .kind = FIELD_BOOL,
	  P(encryption.swap), .needs = NEEDS(FEATURE_ENCRYPTION) },
};

/* The profile takes s3:// too; the wizard offers it once it is built. */
static int
valid_offered_backup_target(const char *s)
{
	if (strncmp(s, "s3://", 5) == 0 && !feature_built(FEATURE_BACKUPS_S3))
		return 0;
	return valid_backup_target(s);
}

static const struct field f_backups[] = {
	{ .key = "enabled", .label = "Backups", .kind = FIELD_BOOL,
	  P(backups.enabled), .needs = NEEDS(FEATURE_BACKUPS) },
	{ .key = "schedule", .label = "Schedule (cron)", .kind = FIELD_TEXT,
	  P(backups.schedule), .optional = 1, .schema = "backups.schedule" },
	{ .key = "retention_days", .label = "Keep (days)", .kind = FIELD_INT,
	  P(backups.retention_days), .schema = "backups.retention_days" },
	{ .key = "target", .label = "Off-host copy", .kind = FIELD_TEXT,
	  P(backups.target), .optional = 1,
	  .valid = valid_offered_backup_target,
	  .invalid = "user@host:/path (S3 is coming)",
	  .needs = NEEDS(FEATURE_BACKUPS) },
};

#define FIELDS(a)	.fields = (a), .nfields = NITEMS(a)

const struct screen screens[] = {
	{ .id = "hosting", .title = "Hosting model",
	  .intro = "Where will DHIS2 run? Each model trades cost, skills and "
	  "security."
	  "\n                 Cost         Skills              Security",
	  FIELDS(f_hosting) },
	{ .id = "isolation", .title = "Isolation",
	  .intro = "Proxy, Tomcat and PostgreSQL should not share one system: "
	  "a break-in or a runaway process then stays where it starts, and "
	  "each part gets its own resources.",
	  FIELDS(f_isolation) },
	{ .id = "machines", .title = "Machines",
	  .intro = "How many machines (VMs or servers, reached over SSH)? You "
	  "need at least a proxy, an app and a database machine; a monitor "
	  "machine when monitoring is on.",
	  FIELDS(f_machines), .count = count_machines_screen },
	{ .id = "machine", .title = "Machine",
	  .intro = "Roles: proxy app database replica redis monitor backup, "
	  "separated by commas. The key file may be empty to use your SSH "
	  "agent.",
	  FIELDS(f_machine), .count = count_machines, .check = check_machine,
	  .action_label = "Test connection", .action = act_test_machine },
	{ .id = "site", .title = "Server name",
	  .intro = "The name users type in their browser, the network "
	  "administrators connect from (SSH is closed to others), and the "
	  "time zone.",
	  FIELDS(f_site) },
	{ .id = "tls", .title = "TLS certificate",
	  .intro = "Users log in with passwords: the proxy should serve HTTPS "
	  "with a certificate browsers trust.",
	  FIELDS(f_tls) },
	{ .id = "letsencrypt", .title = "Let's Encrypt",
	  .intro = "Let's Encrypt writes to this address before a certificate "
	  "expires if renewal fails. The server name must be public and "
	  "reachable on port 80.",
	  FIELDS(f_letsencrypt), .count = count_letsencrypt,
	  .check = check_letsencrypt },
	{ .id = "provided", .title = "Your certificate",
	  .intro = "Files on the proxy machine, in PEM format. The key stays "
	  "there (mode 0600); the chain is the CA's intermediate "
	  "certificates.",
	  FIELDS(f_provided), .count = count_provided,
	  .check = check_provided },
	{ .id = "tls-none", .title = "No TLS: lab only",
	  .intro = "WARNING: without TLS every password and every health "
	  "record crosses the network in clear text. Use this only in a lab "
	  "or a class, never for real data.",
	  FIELDS(f_tls_none), .count = count_tls_none,
	  .check = check_tls_none },
	{ .id = "proxy", .title = "Web proxy",
	  .intro = "The proxy ends TLS and passes requests to Tomcat. Both "
	  "work; pick the one your team knows.",
	  FIELDS(f_proxy) },
	{ .id = "instances", .title = "DHIS2 instances",
	  .intro = "How many DHIS2 instances on this server (for example hmis "
	  "and a training copy)? Each gets its own Tomcat and database. "
	  "Versions come from releases.dhis2.org unless you give another "
	  "stable.json (a URL or a file here).",
	  FIELDS(f_instances) },
	{ .id = "instance", .title = "DHIS2 instance",
	  .intro = "The version decides Java and Tomcat: 2.41 means its latest "
	  "patch, 2.41.3 pins one. Heap auto sizes Java from the RAM.",
	  FIELDS(f_instance), .count = count_instances,
	  .check = check_instance, .info = info_instance,
	  .action_label = "Versions", .action = act_versions,
	  .action_first = 1 },
	{ .id = "database", .title = "Database",
	  .intro = "PostgreSQL with PostGIS. Tuning from RAM sets "
	  "shared_buffers, work_mem and the rest from the memory the "
	  "database gets.",
	  FIELDS(f_database), .check = check_database,
	  .info = info_database },
	{ .id = "clustering", .title = "Clustering",
	  .intro = "Several Tomcat nodes of one instance share sessions and "
	  "caches through Redis. It is forced on when an instance has "
	  "several nodes.",
	  FIELDS(f_clustering), .enter = enter_clustering,
	  .check = check_clustering },
	{ .id = "monitoring", .title = "Monitoring",
	  .intro = "Production needs monitoring: it shows memory, disk and "
	  "database load before users notice.",
	  FIELDS(f_monitoring) },
	{ .id = "alerting", .title = "Alerting",
	  .intro = "Who is told when a disk fills or a service stops? Tokens "
	  "and webhooks go in the secrets file, never here.",
	  FIELDS(f_alerting),
	  .action_label = "Send test", .action = act_test_alert },
	{ .id = "encryption", .title = "Disk encryption",
	  .intro = "Encrypt the database disk with LUKS (leave empty for "
	  "none). WARNING: ALL DATA ON THAT DEVICE WILL BE ERASED.",
	  FIELDS(f_encryption), .check = check_encryption,
	  .info = info_encryption },
	{ .id = "backups", .title = "Backups",
	  .intro = "Nightly database dumps, kept for some days, copied off "
	  "the server: a backup that dies with the server is no backup.",
	  FIELDS(f_backups), .check = check_backups },
};
const size_t nscreens = NITEMS(screens);

static const struct screen *
screen_by_id(const char *id)
{
	size_t	i;

	for (i = 0; i < nscreens; i++) {
		if (strcmp(screens[i].id, id) == 0)
			return screen_offered(i);
	}
	fatalx("no screen %s", id);
}

/*
 * The choice tables list the values in the order that reads best; the
 * enumeration behind a choice is found by its name, not its position.
 */
const char *
choice_enum_name(const struct field *f, int v)
{
	if (strcmp(f->key, "hosting") == 0 && v >= 0 && v <= HOSTING_SAAS)
		return hosting_name(v);
	if (strcmp(f->key, "isolation") == 0 && v >= 0 &&
	    v <= ISOLATION_MACHINES)
		return isolation_name(v);
	if (strcmp(f->key, "tls") == 0 && v >= 0 && v <= TLS_NONE)
		return tls_mode_name(v);
	if (strcmp(f->key, "proxy") == 0 && v >= 0 && v <= PROXY_APACHE2)
		return proxy_name(v);
	if (strcmp(f->key, "monitoring") == 0 && v >= 0 &&
	    v <= MONITORING_MUNIN)
		return monitoring_name(v);
	return NULL;
}

/*
 * Drop answers that the later choices made moot, so that the profile
 * says only what will be used (the checker refuses leftovers, e.g. a
 * certificate path with Let's Encrypt).
 */
void
wizard_normalise(struct wizard *w)
{
	struct profile	*p = &w->p;

	if (p->tls.mode != TLS_LETSENCRYPT) {
		free(p->tls.email);
		p->tls.email = NULL;
		free(p->tls.acme_server);
		p->tls.acme_server = NULL;
	}
	if (p->tls.mode != TLS_PROVIDED) {
		free(p->tls.cert);
		free(p->tls.key);
		free(p->tls.chain);
		p->tls.cert = p->tls.key = p->tls.chain = NULL;
	}
	if (p->isolation != ISOLATION_MACHINES && p->nmachines > 1)
		wizard_resize_machines(p, 1);
	if (p->isolation != ISOLATION_LXC) {
		free(p->lxc.bridge);
		free(p->lxc.subnet);
		free(p->lxc.release);
		memset(&p->lxc, 0, sizeof p->lxc);
	}
	if (!p->alerting.telegram) {
		free(p->alerting.telegram_chat);
		p->alerting.telegram_chat = NULL;
	}
	if (any_clustered(w))
		p->redis = 1;
}
