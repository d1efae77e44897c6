/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The profile: every choice the operator makes, as one plain C structure.
 * Its keys are declared once, in the schema (schema.c); it is loaded from
 * YAML (profile_load.c), checked (profile_check.c), saved back
 * (profile_save.c).  Secrets never live here: they are in a secrets
 * file or env:/file: references (secrets.c).
 */
#ifndef PROFILE_H
#define PROFILE_H

#include <stddef.h>
#include <stdio.h>

#define PROFILE_VERSION		1
#define PROFILE_MAX_BYTES	(1024 * 1024)	/* a profile is small; refuse more */
#define PROFILE_MAX_DEPTH	16		/* deeper nesting is an attack */
#define PROFILE_MAX_ITEMS	256		/* machines, instances, roles... */

enum hosting {
	HOSTING_BASEMENT,	/* own server room */
	HOSTING_DATACENTRE,	/* government data centre */
	HOSTING_COLOCATION,	/* co-location or virtual hosting */
	HOSTING_CLOUD,		/* commercial IaaS */
	HOSTING_SAAS,		/* DHIS2 as a service: advice only */
};

enum isolation {
	ISOLATION_SINGLE_HOST,
	ISOLATION_LXC,
	ISOLATION_MACHINES,
};

enum proxy_kind {
	PROXY_NGINX,
	PROXY_APACHE2,
};

enum tls_mode {
	TLS_LETSENCRYPT,
	TLS_PROVIDED,
	TLS_SELF_SIGNED,
	TLS_NONE,
};

enum monitoring_kind {
	MONITORING_NONE,
	MONITORING_PROMETHEUS,
	MONITORING_MUNIN,
};

enum war_source {
	WAR_RELEASE,		/* resolved from the releases metadata */
	WAR_URL,		/* a URL with its sha256 */
	WAR_FILE,		/* a local file (offline) */
};

/* Roles a machine or container plays. */
enum role {
	ROLE_PROXY = 0,
	ROLE_APP,
	ROLE_DATABASE,
	ROLE_REPLICA,
	ROLE_REDIS,
	ROLE_MONITOR,
	ROLE_BACKUP,
	ROLE_COUNT
};
#define ROLE_BIT(r)	(1u << (r))

/* Where a key came from, so checks can point at it. 0 when unknown. */
struct pos {
	int	line;
	int	col;
};

struct machine {
	char		*name;
	char		*address;
	char		*ssh_user;
	int		 ssh_port;
	char		*ssh_key;	/* path to a private key, or NULL: agent */
	unsigned	 roles;		/* ROLE_BIT()s */
	struct pos	 pos;
	struct pos	 roles_pos;
};

struct instance {
	char		*name;
	char		*version;	/* "2.41.3" or "2.41" (latest patch) */
	enum war_source	 war_source;
	char		*war_url;
	char		*war_sha256;
	char		*war_file;
	char		*base_path;	/* "/hmis" or "/" */
	int		 nodes;		/* Tomcat nodes */
	long long	 heap_mb;	/* 0: derived from RAM */
	int		 max_threads;	/* Tomcat's request threads */
	char		*database;	/* database name; default: the name */
	struct pos	 pos;
};

/* Explicit PostgreSQL tuning; a zero field is derived from RAM. */
struct db_tuning {
	int		 auto_tune;
	long long	 shared_buffers_mb;
	long long	 work_mem_mb;
	long long	 maintenance_work_mem_mb;
	long long	 effective_cache_size_mb;
	int		 max_connections;
};

struct database {
	int		 version;	/* PostgreSQL major */
	struct db_tuning tuning;
	int		 replicas;
	char		*data_path;	/* host path of the data directory */
	struct pos	 pos;
};

struct tls {
	enum tls_mode	 mode;
	char		*email;
	char		*cert;
	char		*key;
	char		*chain;
	char		*acme_server;	/* ACME directory URL; default Let's Encrypt */
	struct pos	 pos;
};

struct lxc_opts {
	char		*bridge;
	char		*subnet;	/* CIDR, e.g. 10.77.0.0/24 */
	char		*release;	/* container distribution release */
	char		*prefix;	/* container names: PREFIX-proxy... */
	char		*mirror;	/* the containers' package archive */
	char		*security_mirror; /* and their security updates */
};

/* Where DHIS2 releases are looked up (the stable.json metadata). */
struct releases_opts {
	char		*url;		/* NULL: releases.dhis2.org */
	char		*mirror;	/* a mirror of the WARs and metadata */
	char		*file;		/* offline: a local stable.json */
	struct pos	 url_pos;
	struct pos	 mirror_pos;
};

struct alerting {
	char		*email;		/* where alerts go; NULL: no mail */
	char		*smarthost;	/* relay host[:port] for send-only mail */
	int		 telegram;	/* token and chat id are secrets */
	char		*telegram_chat;
	int		 slack;		/* webhook URL is a secret */
	struct pos	 pos;
};

struct encryption {
	char		*device;	/* data disk to encrypt with LUKS */
	int		 swap;		/* encrypt swap with a random key */
	struct pos	 pos;
};

struct backups {
	int		 enabled;
	char		*schedule;	/* five-field cron expression */
	int		 retention_days;
	char		*target;	/* off-host: user@host:/path, s3://bucket/path */
	char		*target_host_key; /* the target's SSH host key, pinned */
	char		*encrypt_to;	/* an age recipient the dumps are for */
	struct pos	 pos;
	struct pos	 pos_target;
	struct pos	 pos_encrypt_to;
};

struct profile {
	char		*path;		/* where it was loaded from */
	int		 version;
	enum hosting	 hosting;
	enum isolation	 isolation;
	char		*fqdn;
	char		*admin_network;	/* CIDR that may reach SSH */
	char		*timezone;
	char		*secrets_file;	/* relative to the profile's folder */
	char		*known_hosts;	/* NULL: the user's */
	enum proxy_kind	 proxy;
	struct tls	 tls;
	struct lxc_opts	 lxc;
	struct releases_opts releases;

	struct machine	*machines;
	size_t		 nmachines;
	struct instance	*instances;
	size_t		 ninstances;

	struct database	 database;
	int		 redis;		/* clustering with Redis */
	enum monitoring_kind monitoring;
	struct alerting	 alerting;
	struct encryption encryption;
	struct backups	 backups;

	/* Where some keys stood, for cross-field messages. */
	struct pos	 pos_fqdn;
	struct pos	 pos_isolation;
	struct pos	 pos_redis;
	struct pos	 pos_monitoring;
	struct pos	 pos_secrets;
};

/* A list of diagnostics, each "file:line:col: message". */
struct diag {
	char		**msgs;
	size_t		  n;
	size_t		  cap;
};

void	 diag_init(struct diag *);
void	 diag_free(struct diag *);
void	 diag_add(struct diag *d, const char *file, struct pos p,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 diag_print(const struct diag *, FILE *);

/* profile.c: by the schema (schema.h) */
void		 profile_init(struct profile *);
void		 profile_free(struct profile *);
void		 machine_clear(struct machine *);
void		 instance_clear(struct instance *);
int		 profile_equal(const struct profile *, const struct profile *);

/* schema.c: the names of the enumerations, as a profile spells them */
const char	*hosting_name(enum hosting);
const char	*isolation_name(enum isolation);
const char	*proxy_name(enum proxy_kind);
const char	*tls_mode_name(enum tls_mode);
const char	*monitoring_name(enum monitoring_kind);
const char	*role_name(enum role);
int		 role_from_name(const char *);

/* profile.c */
const struct machine *profile_machine_for_role(const struct profile *,
		    enum role);
const char	*instance_db_name(const struct instance *);
int		 instance_port(const struct profile *, size_t, int);
char		*instance_base_url(const struct profile *, const struct instance *);

/* profile_load.c: 0 on success, -1 with diagnostics. */
int	 profile_load_file(struct profile *, const char *, struct diag *);
int	 profile_load_buffer(struct profile *p, const char *file,
	    const char *buf, size_t len, struct diag *diag);

/*
 * profile_check.c: cross-field rules; 0 when the profile is coherent.
 * Warnings (a lab-only choice, no off-host backup) go to the second list
 * and do not make a profile invalid; it may be NULL.
 */
int	 profile_check(const struct profile *, struct diag *, struct diag *);
int	 fqdn_is_public(const char *);

/* profile_save.c */
int	 yaml_strbuf_writer(void *, unsigned char *, size_t);
int	 profile_save_file(const struct profile *, const char *, char **);
char	*profile_save_buffer(const struct profile *, size_t *);

#endif
