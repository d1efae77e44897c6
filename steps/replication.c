/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * replication: proves the read replicas from the primary's side once
 * every replica step is done (replica.c): pg_stat_replication shows each
 * replica's slot streaming, and how far behind its replay is.  Planned
 * only with database.replicas; it changes nothing, it waits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "postgres.h"
#include "profile.h"
#include "step.h"
#include "step_probe.h"
#include "topology.h"

#define SENDERS_WAIT_S	120	/* every replica streaming, seen from the primary */

/*
 * On the primary, its own view: each replica's slot held by a WAL sender
 * in state streaming, and how many bytes behind its replay is (as
 * postgres, one psql).  Argument: VERSION.
 */
static const char senders_script[] =
    "psql=/usr/lib/postgresql/$1/bin/psql\n"
    "[ -x \"$psql\" ] || psql=psql\n"
    "cd /\n"
    "echo \"SELECT 'sender=' || s.slot_name || ' ' || coalesce(r.state, "
    "'none') || ' ' || coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), "
    "r.replay_lsn)::bigint, -1) FROM pg_replication_slots s LEFT JOIN "
    "pg_stat_replication r ON r.pid = s.active_pid;\" | runuser -u "
    "postgres -- \"$psql\" -XAtq -d postgres\n";

/*
 * The replicas not streaming, as "name (state) "; "" when all are, with
 * their lag in lag; NULL when the primary cannot be asked.
 */
static char *
senders_missing(struct step_ctx *ctx, char *lag, size_t laglen)
{
	const struct topology	*t = ctx->topo;
	struct strbuf		 sb = { NULL, 0, 0 };
	char			*out = NULL, ver[8], slot[64], key[80];
	char			*part, *found;
	const char		*val;
	size_t			 m, len;

	snprintf(ver, sizeof ver, "%d", ctx->profile->database.version);
	if (step_probe_run(ctx, &out, senders_script, ver, NULL) != 0) {
		free(out);
		return NULL;
	}
	lag[0] = '\0';
	for (m = 0; m < t->nnodes; m++) {
		if (!(t->nodes[m].roles & ROLE_BIT(ROLE_REPLICA)))
			continue;
		pg_slot_name(t, m, slot, sizeof slot);
		snprintf(key, sizeof key, "sender=%s ", slot);
		/* "sender=SLOT STATE BYTES-BEHIND" */
		found = step_probe_value(out, key);
		val = found != NULL ? found : "no slot";
		len = strlen(val);
		if (len > 10 && strncmp(val, "streaming ", 10) == 0)
			snprintf(lag + strlen(lag), laglen - strlen(lag),
			    "%s%s %.*s bytes behind", lag[0] ? ", " : "",
			    t->nodes[m].name, (int)(len - 10), val + 10);
		else {
			xasprintf(&part, "%s (%s) ", t->nodes[m].name, val);
			strbuf_add(&sb, part, strlen(part));
			free(part);
		}
		free(found);
	}
	free(out);
	strbuf_add(&sb, "", 1);
	return sb.buf;
}

static enum result
senders_check(struct step_ctx *ctx)
{
	char	*missing, lag[512];

	if ((missing = senders_missing(ctx, lag, sizeof lag)) == NULL)
		return step_fail(ctx, "cannot read pg_stat_replication on %s",
		    ctx->machine);
	if (*missing != '\0')
		step_would(ctx, "wait for every replica to stream (not yet: "
		    "%s)", missing);
	else
		step_msg(ctx, "streaming: %s", lag);
	free(missing);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static enum result
senders_apply(struct step_ctx *ctx)
{
	char	*missing = NULL, lag[512];
	time_t	 until = time(NULL) + SENDERS_WAIT_S;

	for (;;) {
		free(missing);
		if ((missing = senders_missing(ctx, lag, sizeof lag)) == NULL)
			return step_fail(ctx, "cannot read pg_stat_replication "
			    "on %s", ctx->machine);
		if (*missing == '\0' || time(NULL) >= until)
			break;
		sleep(2);
	}
	if (*missing != '\0') {
		step_fail(ctx, "after %d s these replicas do not stream from "
		    "%s: %s", SENDERS_WAIT_S, ctx->machine, missing);
		free(missing);
		return RESULT_FAILED;
	}
	free(missing);
	step_msg(ctx, "streaming: %s", lag);
	return RESULT_CHANGED;
}

static int
replicas_asked(const struct profile *p)
{
	return p->database.replicas > 0;
}

static const char *const senders_after[] = { "postgres", NULL };
static const char *const senders_after_anywhere[] = { "replica", NULL };

const struct step step_replication = {
	.name = "replication",
	.roles = ROLE_BIT(ROLE_DATABASE),
	.summary = "Prove from the primary that every read replica streams "
	    "(pg_stat_replication) and how far behind it is",
	.after = senders_after,
	.after_anywhere = senders_after_anywhere,
	.planned = replicas_asked,
	.check = senders_check,
	.apply = senders_apply,
	.verify = NULL,
};
