/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The table of optional features and whether a step builds each: the one
 * place to change when a step arrives.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "feature.h"

struct feature_info {
	const char	*name;		/* the profile key, as the operator reads it */
	int		 built;
	const char	*instead;	/* what works today */
	const char	*title;		/* what it is, in a sentence */
};

static const struct feature_info features[FEATURE_COUNT] = {
	[FEATURE_REDIS] = { "clustering: redis", 1,
	    "set clustering: { redis: false } and one Tomcat node per instance",
	    "Redis for several Tomcat nodes per instance" },
	[FEATURE_REPLICAS] = { "database: replicas", 1,
	    "set database: { replicas: 0 }",
	    "PostgreSQL read replicas" },
	[FEATURE_PROMETHEUS] = { "monitoring: prometheus", 1,
	    "set monitoring: none",
	    "Prometheus monitoring" },
	[FEATURE_MUNIN] = { "monitoring: munin", 0,
	    "set monitoring: none",
	    "Munin monitoring" },
	[FEATURE_ALERTING] = { "alerting", 1,
	    "remove the alerting email, telegram and slack settings",
	    "alerting by mail, Telegram or Slack" },
	[FEATURE_ENCRYPTION] = { "encryption", 0,
	    "remove encryption.device and encryption.swap (encrypt the disk "
	    "yourself, before the install)",
	    "disk encryption with LUKS" },
	[FEATURE_BACKUPS] = { "backups", 1,
	    "set backups: { enabled: false } and back up with pg_dump "
	    "yourself",
	    "nightly database backups" },
	[FEATURE_BACKUPS_S3] = { "backups: an s3:// target", 0,
	    "use a user@host:/path target",
	    "backups to S3" },
};

int
feature_built(enum feature f)
{
	return features[f].built;
}

const char *
feature_name(enum feature f)
{
	return features[f].name;
}

const char *
feature_instead(enum feature f)
{
	return features[f].instead;
}

const char *
feature_title(enum feature f)
{
	return features[f].title;
}

/* Whether the profile asks for f, and where. */
static int
asked(const struct profile *p, enum feature f, struct pos *where)
{
	const struct alerting	*a = &p->alerting;

	switch (f) {
	case FEATURE_REDIS:
		*where = p->pos_redis;
		return p->redis;
	case FEATURE_REPLICAS:
		*where = p->database.pos;
		return p->database.replicas > 0;
	case FEATURE_PROMETHEUS:
		*where = p->pos_monitoring;
		return p->monitoring == MONITORING_PROMETHEUS;
	case FEATURE_MUNIN:
		*where = p->pos_monitoring;
		return p->monitoring == MONITORING_MUNIN;
	case FEATURE_ALERTING:
		*where = a->pos;
		return a->email != NULL || a->telegram || a->slack;
	case FEATURE_ENCRYPTION:
		*where = p->encryption.pos;
		return p->encryption.device != NULL || p->encryption.swap;
	case FEATURE_BACKUPS:
		*where = p->backups.pos;
		return p->backups.enabled;
	case FEATURE_BACKUPS_S3:
		*where = p->backups.pos;
		return p->backups.enabled && p->backups.target != NULL &&
		    strncmp(p->backups.target, "s3://", 5) == 0;
	case FEATURE_COUNT:
		break;
	}
	return 0;
}

size_t
profile_unbuilt(const struct profile *p, struct diag *unbuilt)
{
	struct pos	 where;
	size_t		 n = 0;
	int		 f;

	for (f = 0; f < FEATURE_COUNT; f++) {
		where = (struct pos){ 0, 0 };
		if (features[f].built || !asked(p, f, &where))
			continue;
		/* Backups themselves missing says enough about the target. */
		if (f == FEATURE_BACKUPS_S3 && !features[FEATURE_BACKUPS].built)
			continue;
		if (unbuilt != NULL)
			diag_add(unbuilt, p->path ? p->path : "profile", where,
			    "%s is not built yet%s: no step installs it; for "
			    "now %s", features[f].name, where.line == 0 ?
			    " (on by default)" : "", features[f].instead);
		n++;
	}
	return n;
}

size_t
profile_print_unbuilt(const struct profile *p, FILE *f)
{
	struct diag	d;
	size_t		n;

	diag_init(&d);
	n = profile_unbuilt(p, &d);
	diag_print(&d, f);
	diag_free(&d);
	return n;
}

size_t
profile_drop_unbuilt(struct profile *p)
{
	size_t	n = profile_unbuilt(p, NULL), i;

	if (!features[FEATURE_REDIS].built) {
		p->redis = 0;
		for (i = 0; i < p->ninstances; i++)
			p->instances[i].nodes = 1;
	}
	if (!features[FEATURE_REPLICAS].built)
		p->database.replicas = 0;
	if ((p->monitoring == MONITORING_PROMETHEUS &&
	    !features[FEATURE_PROMETHEUS].built) ||
	    (p->monitoring == MONITORING_MUNIN && !features[FEATURE_MUNIN].built))
		p->monitoring = MONITORING_NONE;
	if (!features[FEATURE_ALERTING].built) {
		free(p->alerting.email);
		free(p->alerting.smarthost);
		free(p->alerting.telegram_chat);
		p->alerting.email = p->alerting.smarthost = NULL;
		p->alerting.telegram_chat = NULL;
		p->alerting.telegram = p->alerting.slack = 0;
	}
	if (!features[FEATURE_ENCRYPTION].built) {
		free(p->encryption.device);
		p->encryption.device = NULL;
		p->encryption.swap = 0;
	}
	if (!features[FEATURE_BACKUPS].built)
		p->backups.enabled = 0;
	if (!features[FEATURE_BACKUPS_S3].built && p->backups.target != NULL &&
	    strncmp(p->backups.target, "s3://", 5) == 0) {
		free(p->backups.target);
		p->backups.target = NULL;
	}
	return n;
}
