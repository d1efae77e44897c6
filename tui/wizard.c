/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The wizard: the questions, in order, with their checks, and the walk
 * through them (Next, Back, the review, the save).  Nothing here draws:
 * the frontends (newt_frontend.c, text_frontend.c) render these tables so
 * that both ask exactly the same things.
 */
#include "config.h"

#include <limits.h>
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
#define MAX_HISTORY	256

#define P(m)		.base = BASE_PROFILE, .off = offsetof(struct profile, m)
#define M(m)		.base = BASE_MACHINE, .off = offsetof(struct machine, m)
#define I(m)		.base = BASE_INSTANCE, .off = offsetof(struct instance, m)
#define CUSTOM(g, s)	.base = BASE_CUSTOM, .get = (g), .set = (s)
#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])
#define CHOICES(a)	.choices = (a), .nchoices = NITEMS(a)

static int
valid_chat(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len < 64 &&
	    strspn(s, "-@_0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == len;
}

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

/*
 * New machines get a name and roles in the order of the hosting guide's
 * reference layout, so that a new user only types the addresses.
 */
static void
machine_defaults(struct machine *m, size_t i)
{
	static const struct {
		const char	*name;
		unsigned	 roles;
	} guess[] = {
		{ "proxy", ROLE_BIT(ROLE_PROXY) },
		{ "app", ROLE_BIT(ROLE_APP) },
		{ "db", ROLE_BIT(ROLE_DATABASE) | ROLE_BIT(ROLE_BACKUP) },
		{ "monitor", ROLE_BIT(ROLE_MONITOR) },
		{ "replica", ROLE_BIT(ROLE_REPLICA) },
		{ "redis", ROLE_BIT(ROLE_REDIS) },
	};

	memset(m, 0, sizeof *m);
	if (i < NITEMS(guess)) {
		m->name = xstrdup(guess[i].name);
		m->roles = guess[i].roles;
	} else {
		xasprintf(&m->name, "host%zu", i + 1);
		m->roles = ROLE_BIT(ROLE_APP);
	}
	m->ssh_user = xstrdup("root");
	m->ssh_port = 22;
}

static void
instance_defaults(struct instance *in, size_t i)
{
	memset(in, 0, sizeof *in);
	if (i == 0) {
		in->name = xstrdup("dhis");
		in->base_path = xstrdup("/");
	} else {
		xasprintf(&in->name, "dhis%zu", i + 1);
		xasprintf(&in->base_path, "/dhis%zu", i + 1);
	}
	in->version = xstrdup("2.41");
	in->nodes = 1;
}

static void
resize_machines(struct profile *p, size_t n)
{
	size_t	i;

	for (i = n; i < p->nmachines; i++)
		machine_clear(&p->machines[i]);
	if (n > p->nmachines) {
		p->machines = xreallocarray(p->machines, n, sizeof *p->machines);
		for (i = p->nmachines; i < n; i++)
			machine_defaults(&p->machines[i], i);
	}
	p->nmachines = n;
}

void
wizard_resize_instances(struct profile *p, size_t n)
{
	size_t	i;

	for (i = n; i < p->ninstances; i++)
		instance_clear(&p->instances[i]);
	if (n > p->ninstances) {
		p->instances = xreallocarray(p->instances, n,
		    sizeof *p->instances);
		for (i = p->ninstances; i < n; i++)
			instance_defaults(&p->instances[i], i);
	}
	p->ninstances = n;
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
	return set_count(w, s, 2, MAX_MACHINES, resize_machines);
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
static const char *choice_enum_name(const struct field *, int);

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
	{ "basement",   "Own server room  high setup   broad: DC+net+admin "
	    "all yours, physical too", 0 },
	{ "datacentre", "Govt data centre 0 to high    sysadmin            "
	    "shared with the centre", 0 },
	{ "colocation", "Co-location/VPS  medium       sysadmin+network    "
	    "shared with the host", 0 },
	{ "cloud",      "Cloud (IaaS)     lowest       sysadmin+budget     "
	    "shared with provider", 0 },
	{ "saas",       "DHIS2 as service highest fee  budget management   "
	    "mostly the provider's", 0 },
};

static const struct choice isolation_choices[] = {
	{ "single-host", "Single host: all on one server (small, simple)", 0 },
	{ "lxc", "LXC containers on one server (recommended)", 0 },
	{ "machines", "Separate machines or VMs over SSH (largest)", 0 },
};

static const struct choice tls_choices[] = {
	{ "letsencrypt", "Let's Encrypt (public name, free, renewed)", 0 },
	{ "provided", "A certificate I have (cert, key, chain files)", 0 },
	{ "self-signed", "Self-signed (lab or intranet with its own CA)", 0 },
	{ "none", "None: plain HTTP (lab only, never production)", 0 },
};

static const struct choice proxy_choices[] = {
	{ "nginx", "nginx (recommended)", 0 },
	{ "apache2", "Apache 2", 0 },
};

static const struct choice monitoring_choices[] = {
	{ "prometheus", "Prometheus (recommended)",
	    NEEDS(FEATURE_PROMETHEUS) },
	{ "munin", "Munin (simple, older)", NEEDS(FEATURE_MUNIN) },
	{ "none", "None (not for production)", 0 },
};

static const struct field f_hosting[] = {
	{ "hosting", "Model", FIELD_CHOICE, P(hosting), CHOICES(hosting_choices) },
};

static const struct field f_isolation[] = {
	{ "isolation", "Isolation", FIELD_CHOICE, P(isolation),
	    CHOICES(isolation_choices) },
};

static const struct field f_machines[] = {
	{ "count", "Machines", FIELD_TEXT, CUSTOM(get_nmachines,
	    set_nmachines) },
};

static const struct field f_machine[] = {
	{ "name", "Name", FIELD_TEXT, M(name), .valid = valid_name,
	    .invalid = "lowercase letters, digits, -" },
	{ "address", "Address", FIELD_TEXT, M(address), .optional = 1,
	    .valid = valid_address, .invalid = "an IP address or host name" },
	{ "ssh_user", "SSH user", FIELD_TEXT, M(ssh_user), .valid = valid_user,
	    .invalid = "a user name, e.g. root" },
	{ "ssh_port", "SSH port", FIELD_INT, M(ssh_port), .min = 1,
	    .max = 65535 },
	{ "ssh_key", "SSH key file", FIELD_TEXT, M(ssh_key), .optional = 1,
	    .valid = valid_path_text, .invalid = "a path to a private key" },
	{ "roles", "Roles", FIELD_TEXT, CUSTOM(get_roles, set_roles) },
};

static const struct field f_site[] = {
	{ "fqdn", "Server name", FIELD_TEXT, P(fqdn), .valid = valid_fqdn,
	    .invalid = "a full name like dhis.example.org" },
	{ "admin_network", "Admin network", FIELD_TEXT, P(admin_network),
	    .optional = 1, .valid = valid_cidr,
	    .invalid = "a network like 192.0.2.0/24" },
	{ "timezone", "Time zone", FIELD_TEXT, P(timezone), .optional = 1,
	    .valid = valid_timezone, .invalid = "like Africa/Kampala or UTC" },
};

static const struct field f_tls[] = {
	{ "tls", "Certificate", FIELD_CHOICE, P(tls.mode),
	    CHOICES(tls_choices) },
};

static const struct field f_letsencrypt[] = {
	{ "email", "Email", FIELD_TEXT, P(tls.email), .optional = 1,
	    .valid = valid_email, .invalid = "an address like you@example.org" },
};

static const struct field f_provided[] = {
	{ "cert", "Certificate", FIELD_TEXT, P(tls.cert), .optional = 1,
	    .valid = valid_abs_path, .invalid = "an absolute path" },
	{ "key", "Private key", FIELD_TEXT, P(tls.key), .optional = 1,
	    .valid = valid_abs_path, .invalid = "an absolute path" },
	{ "chain", "Chain", FIELD_TEXT, P(tls.chain), .optional = 1,
	    .valid = valid_abs_path, .invalid = "an absolute path" },
};

static const struct field f_tls_none[] = {
	{ "lab_only", "Lab only", FIELD_BOOL, CUSTOM(get_lab_ok, set_lab_ok) },
};

static const struct field f_proxy[] = {
	{ "proxy", "Proxy", FIELD_CHOICE, P(proxy), CHOICES(proxy_choices) },
};

static const struct field f_instances[] = {
	{ "count", "Instances", FIELD_TEXT, CUSTOM(get_ninstances,
	    set_ninstances) },
	{ "releases", "Versions from", FIELD_TEXT, CUSTOM(get_releases,
	    set_releases), .optional = 1 },
};

static const struct field f_instance[] = {
	{ "name", "Name", FIELD_TEXT, I(name), .valid = valid_name,
	    .invalid = "lowercase letters, digits, -" },
	{ "version", "DHIS2 version", FIELD_TEXT, I(version),
	    .valid = valid_dhis2_version, .invalid = "like 2.41 or 2.41.3" },
	{ "war_file", "or WAR file", FIELD_TEXT, CUSTOM(get_war_file,
	    set_war_file), .optional = 1 },
	{ "base_path", "Base path", FIELD_TEXT, I(base_path),
	    .valid = valid_base_path, .invalid = "/ or /name" },
	{ "nodes", "Tomcat nodes", FIELD_INT, I(nodes), .min = 1, .max = 16,
	    .needs = NEEDS(FEATURE_REDIS) },
	{ "heap", "Java heap", FIELD_TEXT, CUSTOM(get_heap, set_heap) },
};

static const struct field f_database[] = {
	{ "version", "PostgreSQL", FIELD_INT, P(database.version), .min = 12,
	    .max = 17 },
	{ "auto_tune", "Tune from RAM", FIELD_BOOL, P(database.tuning.auto_tune) },
	{ "replicas", "Read replicas", FIELD_INT, P(database.replicas),
	    .min = 0, .max = 5, .needs = NEEDS(FEATURE_REPLICAS) },
};

static const struct field f_clustering[] = {
	{ "redis", "Redis", FIELD_BOOL, P(redis),
	    .needs = NEEDS(FEATURE_REDIS) },
};

static const struct field f_monitoring[] = {
	{ "monitoring", "Monitoring", FIELD_CHOICE, P(monitoring),
	    CHOICES(monitoring_choices) },
};

static const struct field f_alerting[] = {
	{ "email", "Alert email", FIELD_TEXT, P(alerting.email), .optional = 1,
	    .valid = valid_email, .invalid = "an address like ops@example.org",
	    .needs = NEEDS(FEATURE_ALERTING) },
	{ "smarthost", "Mail relay", FIELD_TEXT, P(alerting.smarthost),
	    .optional = 1, .valid = valid_smarthost,
	    .invalid = "a relay host[:port]",
	    .needs = NEEDS(FEATURE_ALERTING) },
	{ "telegram", "Telegram", FIELD_BOOL, P(alerting.telegram),
	    .needs = NEEDS(FEATURE_ALERTING) },
	{ "telegram_chat", "Telegram chat", FIELD_TEXT,
	    P(alerting.telegram_chat), .optional = 1, .valid = valid_chat,
	    .invalid = "a chat id like -1001234 or @channel",
	    .needs = NEEDS(FEATURE_ALERTING) },
	{ "slack", "Slack", FIELD_BOOL, P(alerting.slack),
	    .needs = NEEDS(FEATURE_ALERTING) },
};

static const struct field f_encryption[] = {
	{ "device", "Data disk", FIELD_TEXT, P(encryption.device),
	    .optional = 1, .valid = valid_device,
	    .invalid = "a device like /dev/sdb",
	    .needs = NEEDS(FEATURE_ENCRYPTION) },
	{ "confirm", "Type it again", FIELD_TEXT, CUSTOM(get_confirm,
	    set_confirm), .optional = 1,
	    .needs = NEEDS(FEATURE_ENCRYPTION) },
	{ "swap", "Encrypt swap", FIELD_BOOL, P(encryption.swap),
	    .needs = NEEDS(FEATURE_ENCRYPTION) },
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
	{ "enabled", "Backups", FIELD_BOOL, P(backups.enabled),
	    .needs = NEEDS(FEATURE_BACKUPS) },
	{ "schedule", "Schedule (cron)", FIELD_TEXT, P(backups.schedule),
	    .optional = 1, .valid = valid_cron,
	    .invalid = "five cron fields or @daily",
	    .needs = NEEDS(FEATURE_BACKUPS) },
	{ "retention_days", "Keep (days)", FIELD_INT, P(backups.retention_days),
	    .min = 1, .max = 3650,
	    .needs = NEEDS(FEATURE_BACKUPS) },
	{ "target", "Off-host copy", FIELD_TEXT, P(backups.target),
	    .optional = 1, .valid = valid_offered_backup_target,
	    .invalid = "user@host:/path (S3 is coming)",
	    .needs = NEEDS(FEATURE_BACKUPS) },
};

#define FIELDS(a)	(a), NITEMS(a)

const struct screen screens[] = {
	{ "hosting", "Hosting model",
	  "Where will DHIS2 run? Each model trades cost, skills and security."
	  "\n                 Cost         Skills              Security",
	  FIELDS(f_hosting), NULL, NULL, NULL,
	  .info = NULL },
	{ "isolation", "Isolation",
	  "Proxy, Tomcat and PostgreSQL should not share one system: a break-"
	  "in or a runaway process then stays where it starts, and each part "
	  "gets its own resources.",
	  FIELDS(f_isolation), NULL, NULL, NULL,
	  .info = NULL },
	{ "machines", "Machines",
	  "How many machines (VMs or servers, reached over SSH)? You need at "
	  "least a proxy, an app and a database machine; a monitor machine "
	  "when monitoring is on.",
	  FIELDS(f_machines), count_machines_screen, NULL, NULL,
	  .info = NULL },
	{ "machine", "Machine",
	  "Roles: proxy app database replica redis monitor backup, separated "
	  "by commas. The key file may be empty to use your SSH agent.",
	  FIELDS(f_machine), count_machines, NULL, check_machine,
	  .action_label = "Test connection", .action = act_test_machine },
	{ "site", "Server name",
	  "The name users type in their browser, the network administrators "
	  "connect from (SSH is closed to others), and the time zone.",
	  FIELDS(f_site), NULL, NULL, NULL,
	  .info = NULL },
	{ "tls", "TLS certificate",
	  "Users log in with passwords: the proxy should serve HTTPS with a "
	  "certificate browsers trust.",
	  FIELDS(f_tls), NULL, NULL, NULL,
	  .info = NULL },
	{ "letsencrypt", "Let's Encrypt",
	  "Let's Encrypt writes to this address before a certificate expires "
	  "if renewal fails. The server name must be public and reachable on "
	  "port 80.",
	  FIELDS(f_letsencrypt), count_letsencrypt, NULL, check_letsencrypt,
	  .info = NULL },
	{ "provided", "Your certificate",
	  "Files on the proxy machine, in PEM format. The key stays there "
	  "(mode 0600); the chain is the CA's intermediate certificates.",
	  FIELDS(f_provided), count_provided, NULL, check_provided,
	  .info = NULL },
	{ "tls-none", "No TLS: lab only",
	  "WARNING: without TLS every password and every health record "
	  "crosses the network in clear text. Use this only in a lab or a "
	  "class, never for real data.",
	  FIELDS(f_tls_none), count_tls_none, NULL, check_tls_none,
	  .info = NULL },
	{ "proxy", "Web proxy",
	  "The proxy ends TLS and passes requests to Tomcat. Both work; pick "
	  "the one your team knows.",
	  FIELDS(f_proxy), NULL, NULL, NULL,
	  .info = NULL },
	{ "instances", "DHIS2 instances",
	  "How many DHIS2 instances on this server (for example hmis and a "
	  "training copy)? Each gets its own Tomcat and database. Versions "
	  "come from releases.dhis2.org unless you give another stable.json "
	  "(a URL or a file here).",
	  FIELDS(f_instances), NULL, NULL, NULL,
	  .info = NULL },
	{ "instance", "DHIS2 instance",
	  "The version decides Java and Tomcat: 2.41 means its latest patch, "
	  "2.41.3 pins one. Heap auto sizes Java from the RAM.",
	  FIELDS(f_instance), count_instances, NULL, check_instance,
	  .info = info_instance, .action_label = "Versions",
	  .action = act_versions, .action_first = 1 },
	{ "database", "Database",
	  "PostgreSQL with PostGIS. Tuning from RAM sets shared_buffers, "
	  "work_mem and the rest from the memory the database gets.",
	  FIELDS(f_database), NULL, NULL, check_database,
	  .info = info_database },
	{ "clustering", "Clustering",
	  "Several Tomcat nodes of one instance share sessions and caches "
	  "through Redis. It is forced on when an instance has several nodes.",
	  FIELDS(f_clustering), NULL, enter_clustering, check_clustering,
	  .info = NULL },
	{ "monitoring", "Monitoring",
	  "Production needs monitoring: it shows memory, disk and database "
	  "load before users notice.",
	  FIELDS(f_monitoring), NULL, NULL, NULL,
	  .info = NULL },
	{ "alerting", "Alerting",
	  "Who is told when a disk fills or a service stops? Tokens and "
	  "webhooks go in the secrets file, never here.",
	  FIELDS(f_alerting), NULL, NULL, NULL,
	  .action_label = "Send test", .action = act_test_alert },
	{ "encryption", "Disk encryption",
	  "Encrypt the database disk with LUKS (leave empty for none). "
	  "WARNING: ALL DATA ON THAT DEVICE WILL BE ERASED.",
	  FIELDS(f_encryption), NULL, NULL, check_encryption,
	  .info = info_encryption },
	{ "backups", "Backups",
	  "Nightly database dumps, kept for some days, copied off the "
	  "server: a backup that dies with the server is no backup.",
	  FIELDS(f_backups), NULL, NULL, check_backups,
	  .info = NULL },
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
 * The screens as this build offers them: fields and choices whose
 * feature no step builds yet are left out, and the intro says what is
 * coming.  Made once; field indexes in messages refer to these.
 */
static struct screen	*offered;

static int
is_offered(int needs)
{
	return needs == 0 || feature_built(needs - 1);
}

static void
note_coming(unsigned *coming, int needs)
{
	if (!is_offered(needs))
		*coming |= 1u << (needs - 1);
}

static const struct choice *
offered_choices(const struct field *f, size_t *n, unsigned *coming)
{
	struct choice	*cs = xreallocarray(NULL, f->nchoices, sizeof *cs);
	size_t		 i;

	*n = 0;
	for (i = 0; i < f->nchoices; i++) {
		note_coming(coming, f->choices[i].needs);
		if (is_offered(f->choices[i].needs))
			cs[(*n)++] = f->choices[i];
	}
	return cs;
}

static char *
coming_intro(const char *intro, unsigned coming)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	const char	*sep = "\n\nComing, not built yet: ";
	int		 f;

	strbuf_add(&sb, intro, strlen(intro));
	for (f = 0; f < FEATURE_COUNT; f++) {
		if (!(coming & (1u << f)))
			continue;
		strbuf_add(&sb, sep, strlen(sep));
		strbuf_add(&sb, feature_title(f), strlen(feature_title(f)));
		sep = ", ";
	}
	strbuf_add(&sb, ". This version does not install it.",
	    strlen(". This version does not install it."));
	return sb.buf;
}

static void
offer_screen(struct screen *o, const struct screen *s)
{
	struct field	*fs = xreallocarray(NULL, s->nfields + 1, sizeof *fs);
	unsigned	 coming = 0;
	size_t		 i, k = 0;

	*o = *s;
	for (i = 0; i < s->nfields; i++) {
		note_coming(&coming, s->fields[i].needs);
		if (!is_offered(s->fields[i].needs))
			continue;
		fs[k] = s->fields[i];
		if (fs[k].kind == FIELD_CHOICE)
			fs[k].choices = offered_choices(&s->fields[i],
			    &fs[k].nchoices, &coming);
		k++;
	}
	o->fields = fs;
	o->nfields = k;
	if (k == 0 && s->nfields > 0) {
		/* Nothing to ask: no test to run, no facts to check. */
		o->info = NULL;
		o->check = NULL;
		o->action = NULL;
		o->action_label = NULL;
	}
	if (coming != 0)
		o->intro = coming_intro(s->intro, coming);
}

const struct screen *
screen_offered(size_t i)
{
	size_t	k;

	if (offered == NULL) {
		offered = xreallocarray(NULL, nscreens, sizeof *offered);
		for (k = 0; k < nscreens; k++)
			offer_screen(&offered[k], &screens[k]);
	}
	return &offered[i];
}

static void
screens_offered_free(void)
{
	size_t	i, k;

	if (offered == NULL)
		return;
	for (i = 0; i < nscreens; i++) {
		for (k = 0; k < offered[i].nfields; k++) {
			if (offered[i].fields[k].kind == FIELD_CHOICE)
				free((void *)offered[i].fields[k].choices);
		}
		free((void *)offered[i].fields);
		if (offered[i].intro != screens[i].intro)
			free((char *)offered[i].intro);
	}
	free(offered);
	offered = NULL;
}

static void *
field_base(struct wizard *w, const struct field *f, size_t idx)
{
	switch (f->base) {
	case BASE_PROFILE:
		return &w->p;
	case BASE_MACHINE:
		return &w->p.machines[idx];
	case BASE_INSTANCE:
		return &w->p.instances[idx];
	case BASE_CUSTOM:
		break;
	}
	return NULL;
}

/* The current value as the operator would type it. */
char *
field_get(struct wizard *w, const struct field *f, size_t idx)
{
	char	*base, *s;
	int	 v;

	if (f->base == BASE_CUSTOM)
		return f->get(w, idx);
	base = field_base(w, f, idx);
	switch (f->kind) {
	case FIELD_TEXT:
		s = *(char **)(base + f->off);
		return xstrdup(s != NULL ? s : "");
	case FIELD_INT:
		xasprintf(&s, "%d", *(int *)(base + f->off));
		return s;
	case FIELD_BOOL:
		return xstrdup(*(int *)(base + f->off) ? "yes" : "no");
	case FIELD_CHOICE:
		v = *(int *)(base + f->off);
		s = (char *)choice_enum_name(f, v);
		return xstrdup(s != NULL ? s : f->choices[0].value);
	}
	return xstrdup("");
}

/*
 * The choice tables list the values in the order that reads best; the
 * enumeration behind a choice is found by its name, not its position.
 */
static const char *
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

static const char *
set_choice(struct wizard *w, const struct field *f, int *dst, const char *s)
{
	const char	*name;
	int		 v;

	for (v = 0; (name = choice_enum_name(f, v)) != NULL; v++) {
		if (strcmp(name, s) == 0) {
			*dst = v;
			return NULL;
		}
	}
	snprintf(w->err, sizeof w->err, "choose one of the list");
	return w->err;
}

/* Store typed text; NULL, or why it was refused. */
const char *
field_set(struct wizard *w, const struct field *f, size_t idx, const char *s)
{
	char		*base, **sp;
	const char	*errstr;
	long long	 n;

	if (f->base == BASE_CUSTOM)
		return f->set(w, idx, s);
	base = field_base(w, f, idx);
	switch (f->kind) {
	case FIELD_TEXT:
		sp = (char **)(base + f->off);
		if (*s == '\0') {
			if (!f->optional)
				return "this cannot be empty";
			free(*sp);
			*sp = NULL;
			return NULL;
		}
		if (f->valid != NULL && !f->valid(s))
			return f->invalid;
		free(*sp);
		*sp = xstrdup(s);
		return NULL;
	case FIELD_INT:
		n = strtonum_checked(s, f->min, f->max, &errstr);
		if (errstr != NULL) {
			snprintf(w->err, sizeof w->err, "a number from %d to %d",
			    f->min, f->max);
			return w->err;
		}
		*(int *)(base + f->off) = (int)n;
		return NULL;
	case FIELD_BOOL:
		if (strcmp(s, "yes") == 0 || strcmp(s, "y") == 0)
			*(int *)(base + f->off) = 1;
		else if (strcmp(s, "no") == 0 || strcmp(s, "n") == 0)
			*(int *)(base + f->off) = 0;
		else
			return "yes or no";
		return NULL;
	case FIELD_CHOICE:
		return set_choice(w, f, (int *)(base + f->off), s);
	}
	return NULL;
}

const char *
screen_title(struct wizard *w, const struct screen *s, size_t idx, char *buf,
    size_t len)
{
	size_t	n = s->count != NULL ? s->count(w) : 1;

	if (n > 1)
		snprintf(buf, len, "%s %zu of %zu", s->title, idx + 1, n);
	else
		snprintf(buf, len, "%s", s->title);
	return buf;
}

void
screen_enter(struct wizard *w, const struct screen *s, size_t idx)
{
	if (s->enter != NULL)
		s->enter(w, idx);
}

const char *
screen_check(struct wizard *w, const struct screen *s, size_t idx,
    int *field)
{
	*field = 0;
	if (s->check == NULL)
		return NULL;
	return s->check(w, idx, field);
}

static size_t
screen_count(const struct wizard *w, size_t s)
{
	return screens[s].count != NULL ? screens[s].count(w) : 1;
}

/* The step after (s, idx); s == nscreens is the review. */
static void
next_step(const struct wizard *w, size_t *s, size_t *idx)
{
	if (*s < nscreens && *idx + 1 < screen_count(w, *s)) {
		(*idx)++;
		return;
	}
	*idx = 0;
	for ((*s)++; *s < nscreens; (*s)++) {
		if (screen_count(w, *s) > 0)
			return;
	}
}

/*
 * Drop answers that the later choices made moot, so that the profile
 * says only what will be used (the checker refuses leftovers, e.g. a
 * certificate path with Let's Encrypt).
 */
static void
normalise(struct wizard *w)
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
		resize_machines(p, 1);
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

static void
add_diag(struct strbuf *sb, const struct diag *d, const char *path)
{
	size_t	i, plen = strlen(path);
	char	*m;

	for (i = 0; i < d->n; i++) {
		m = d->msgs[i];
		/* "file:line:col: " points into a file not written yet. */
		if (strncmp(m, path, plen) == 0 && m[plen] == ':') {
			m += plen + 1;
			m += strspn(m, "0123456789:");
			m += strspn(m, " ");
		}
		strbuf_add(sb, "  ! ", 4);
		strbuf_add(sb, m, strlen(m));
		strbuf_add(sb, "\n", 1);
	}
}

/* The review: the checker's messages first, then the profile itself. */
static char *
review_text(struct wizard *w, int *nerr)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	struct diag	 err, warn;
	char		*yaml, *line, *plan;
	const char	*head;
	size_t		 len;

	diag_init(&err);
	diag_init(&warn);
	profile_check(&w->p, &err, &warn);
	*nerr = (int)err.n;
	xasprintf(&line, "%s, %s, %zu instance%s at %s; saved to %s\n",
	    hosting_name(w->p.hosting), isolation_name(w->p.isolation),
	    w->p.ninstances, w->p.ninstances == 1 ? "" : "s",
	    w->p.fqdn != NULL ? w->p.fqdn : "?", w->output);
	strbuf_add(&sb, line, strlen(line));
	free(line);
	if (err.n > 0) {
		strbuf_add(&sb, "Errors (go Back to fix):\n", 25);
		add_diag(&sb, &err, w->p.path);
	}
	if (warn.n > 0) {
		strbuf_add(&sb, "Warnings:\n", 10);
		add_diag(&sb, &warn, w->p.path);
	}
	if (err.n == 0 && warn.n == 0)
		strbuf_add(&sb, "The checks found nothing to say.\n", 33);
	if (err.n == 0) {
		head = "The plan, step by step on each machine ('dhis2-setup "
		    "plan' checks each against the machine):\n";
		strbuf_add(&sb, head, strlen(head));
		plan = plan_text(w);
		strbuf_add(&sb, plan, strlen(plan));
		free(plan);
	}
	strbuf_add(&sb, "\nThe profile:\n", strlen("\nThe profile:\n"));
	if ((yaml = profile_save_buffer(&w->p, &len)) != NULL) {
		strbuf_add(&sb, yaml, len);
		free(yaml);
	}
	diag_free(&err);
	diag_free(&warn);
	return sb.buf;
}

/* *stay: not saved, and the review is shown again. */
static enum wizard_result
review_and_save(struct wizard *w, enum fe_result *r, int *stay)
{
	char	*text, *errmsg;
	int	 nerr;

	*stay = 0;
	normalise(w);
	text = review_text(w, &nerr);
	*r = w->fe->review(w, text, nerr);
	free(text);
	if (*r != FE_NEXT && *r != FE_APPLY)
		return WIZARD_FAILED;
	if (nerr > 0) {
		w->fe->message(w, "Not saved", "The profile has errors: go "
		    "Back and fix the screens they name.");
		*stay = 1;
		return WIZARD_FAILED;
	}
	if (profile_save_file(&w->p, w->output, &errmsg) == -1) {
		w->fe->message(w, "Not saved", errmsg);
		free(errmsg);
		*stay = 1;
		return WIZARD_FAILED;
	}
	return *r == FE_APPLY ? WIZARD_APPLY : WIZARD_SAVED;
}

static enum wizard_result
walk(struct wizard *w)
{
	size_t		 hist_s[MAX_HISTORY], hist_i[MAX_HISTORY], nhist = 0;
	size_t		 s = 0, idx = 0;
	enum fe_result	 r;
	enum wizard_result	 rr;
	int		 stay;

	for (;;) {
		if (s == nscreens) {
			rr = review_and_save(w, &r, &stay);
			if (rr == WIZARD_SAVED || rr == WIZARD_APPLY)
				return rr;
			if (stay)
				continue;
		} else {
			screen_enter(w, screen_offered(s), idx);
			r = w->fe->screen(w, screen_offered(s), idx);
		}
		switch (r) {
		case FE_NEXT:
			if (s == 0 && w->p.hosting == HOSTING_SAAS)
				return WIZARD_SAAS;
			if (nhist < MAX_HISTORY) {
				hist_s[nhist] = s;
				hist_i[nhist++] = idx;
			}
			next_step(w, &s, &idx);
			break;
		case FE_BACK:
			if (nhist > 0) {
				s = hist_s[--nhist];
				idx = hist_i[nhist];
			}
			break;
		case FE_QUIT:
			return WIZARD_QUIT;
		case FE_ERROR:
		case FE_APPLY:
			return WIZARD_FAILED;
		}
	}
}

static const char workshop_note[] =
    "Workshop mode: a practice server on THIS machine, in LXC containers "
    "(proxy, DHIS2, database), with lab defaults:\n"
    "  - self-signed certificate (browsers warn: fine in a class)\n"
    "  - small Java heap (1GB), no monitoring, no backups\n"
    "  - server name dhis2.workshop.test, reached from this machine\n"
    "Every answer can still be changed; F1 explains each screen. Not for "
    "real data.";

enum wizard_result
wizard_run(struct wizard *w)
{
	enum wizard_result	wr;

	if (w->fe->start(w) == -1)
		return WIZARD_NO_FRONTEND;
	if (w->workshop)
		w->fe->message(w, "Workshop mode", workshop_note);
	wr = walk(w);
	w->fe->stop(w);
	return wr;
}

void
wizard_free(struct wizard *w)
{
	screens_offered_free();
	wizard_actions_free(w);
	profile_free(&w->p);
	free(w->output);
	free(w->enc_confirm);
}
