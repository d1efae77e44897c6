/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Secrets: database passwords, encryption.password, Redis password, tokens.
 * They never live in the profile.  They live in a secrets file (YAML, one
 * flat mapping "name: value", mode 0600, refused when group or others can
 * read or write it, when it is not ours nor root's, or when its folder is
 * writable by others) whose values may also be "env:NAME" (taken out of
 * the environment: no child inherits it) or "file:PATH" (checked alike)
 * references.
 * Their names are below (profile_required_secrets() says which a profile
 * needs); steps reach them through steps/stack.h.
 */
#ifndef SECRETS_H
#define SECRETS_H

#include <stddef.h>

struct profile;
struct diag;

/* An instance's: "INSTANCE." and the suffix. */
#define SECRET_DB_PASSWORD	"db_password"	/* its PostgreSQL role's */
#define SECRET_ENCRYPTION	"encryption_password" /* dhis.conf, >= 24 */
/* The installation's. */
#define SECRET_REDIS		"redis.password"	/* clustering with Redis */
#define SECRET_REDIS_ADMIN	"redis.admin_password"	/* its admin user */
#define SECRET_REPLICATION	"replication.password"	/* read replicas */
#define SECRET_MONITORING	"monitoring.password"	/* the metrics user */
#define SECRET_TELEGRAM		"alerting.telegram_token"
#define SECRET_SLACK		"alerting.slack_webhook"
#define SECRET_SMTP		"alerting.smtp_password" /* a relay's login */

#define SECRET_MIN_ENCRYPTION	24	/* dhis.conf encryption.password */
#define SECRET_GENERATED_LEN	32

struct secret {
	char	*name;
	char	*value;		/* resolved: never an env:/file: reference */
	int	 line;
	int	 col;
};

struct secrets {
	char		*path;
	struct secret	*v;
	size_t		 n;
	const char	**vals;		/* secrets_values() */
};

void	 secrets_init(struct secrets *);
/* Wipes every value before freeing it. */
void	 secrets_free(struct secrets *);
/*
 * No core file, and no ptrace or /proc/PID/mem by other processes of the
 * same user, while secrets are in memory: RLIMIT_CORE 0 (children inherit
 * it) and PR_SET_DUMPABLE 0.  0, or -1 when either could not be set.
 */
int	 secrets_no_core_dumps(void);
/*
 * Load and resolve a secrets file.  Refuses one that group or others can
 * read or write, that belongs to another user, or in a folder others can
 * write (errno EPERM).  A missing file is ENOENT (returns -1, no
 * diagnostic) so that callers can decide whether that is an error.
 */
int	 secrets_load(struct secrets *, const char *, struct diag *);
const char *secrets_get(const struct secrets *, const char *);
/* Names the profile needs, in a stable order; the caller frees them. */
size_t	 profile_required_secrets(const struct profile *, char ***);
/* The secrets file of a profile: its secrets_file, or PROFILE.secrets.yaml. */
char	*profile_secrets_path(const struct profile *);
/* Report a missing or too-weak secret in diag; 0 when all are there. */
int	 secrets_check(const struct profile *, const struct secrets *,
	    struct diag *);
/*
 * Fill in the missing secrets with random ones from getrandom() and write
 * the file back with mode 0600.  *added says how many were generated.
 */
int	 secrets_generate(const struct profile *, const char *, int *,
	    struct diag *);
/* A random password of len characters from [A-Za-z0-9]. */
char	*secret_random(size_t);
/*
 * Every secret value, for redaction: logs and events replace any of them
 * with "********".  The array is owned by the secrets.
 */
size_t	 secrets_values(const struct secrets *, const char ***);

#endif
