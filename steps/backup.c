/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * backup: the profile's backups on the database node.  A fixed script
 * (/usr/local/sbin/dhis2-backup) run by a systemd timer built from
 * backups.schedule (lib/cron.c), as the postgres user:
 *
 *  - per instance, pg_dump -Fc of its database into
 *    /var/backups/dhis2/INSTANCE/INSTANCE-YYYYmmddTHHMMSS.dump (folders
 *    0700), written under a hidden temporary name and renamed only once
 *    pg_dump succeeded and pg_restore --list reads it back: a failed dump
 *    never replaces or counts as a good one, and the service fails so
 *    systemctl --failed and monitoring see it;
 *  - dumps older than retention_days are removed, never the newest one;
 *  - with backups.encrypt_to, each dump goes through age to that public
 *    key as it is made (INSTANCE-STAMP.dump.age): the clear dump never
 *    rests on the disk and the private key is never here;
 *  - with a user@host:/path target, the dumps are copied there with
 *    rsync over SSH, with a key of its own made on the database node
 *    (the private half never leaves it, never printed; the public half
 *    is shown for the operator to authorise on the target, for rrsync
 *    -wo -no-del only), to a host whose key the profile pins
 *    (backups.target_host_key; never one learnt on first use).  The copy
 *    is never pruned from here and the target lets this key neither read
 *    nor delete: a server whose dumps were destroyed cannot destroy the
 *    copies.  A target that runs other commands for the key is refused.
 *
 * The database is only read: no table (the audit table included) is
 * truncated or changed, whatever its size.  Settings (folder, retention,
 * target, instances) are one file the script reads, not shell it runs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "cron.h"
#include "profile.h"
#include "step.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define BACKUP_SCRIPT	"/usr/local/sbin/dhis2-backup"
#define BACKUP_CONF	"/etc/dhis2-setup/backup.conf"
#define BACKUP_UNIT	"dhis2-backup"
#define BACKUP_SERVICE	"/etc/systemd/system/" BACKUP_UNIT ".service"
#define BACKUP_TIMER	"/etc/systemd/system/" BACKUP_UNIT ".timer"
#define BACKUP_DIR	"/var/backups/dhis2"
#define BACKUP_KEYDIR	"/var/lib/dhis2-backup"
#define BACKUP_KEY	BACKUP_KEYDIR "/id_ed25519"
/* Written from backups.target_host_key: the only key the copy trusts. */
#define BACKUP_KNOWN_HOSTS "/etc/dhis2-setup/backup_known_hosts"
#define BACKUP_USER	"postgres"
/* KiB a dump leaves free besides its own size: PostgreSQL's room. */
#define BACKUP_RESERVE_KB	"262144"
/* Nightly at two when the profile names no schedule (docs/backups.md). */
#define BACKUP_DEFAULT_SCHEDULE "0 2 * * *"

/*
 * How the copy reaches the target: with the key made here and the host
 * key the profile pins, never one learnt on first use; nothing written
 * on this side (the service cannot).
 */
#define BACKUP_SSH_OPTS "-o BatchMode=yes -o IdentitiesOnly=yes " \
	"-o StrictHostKeyChecking=yes -o UpdateHostKeys=no " \
	"-o GlobalKnownHostsFile=/dev/null -o UserKnownHostsFile=" \
	BACKUP_KNOWN_HOSTS

static const char backup_script[] =
    "#!/bin/sh\n"
    "# dhis2-backup: written by dhis2-setup; replaced on the next apply.\n"
    "# Per instance, pg_dump -Fc of its database into DIR/INSTANCE/, "
    "under a\n"
    "# temporary name renamed only once the dump is whole; then "
    "retention\n"
    "# (never the newest dump) and the copy to the target.  Exits 1 when\n"
    "# anything failed.  Settings: " BACKUP_CONF ".\n"
    "set -u\n"
    "umask 077\n"
    "conf=${DHIS2_BACKUP_CONF:-" BACKUP_CONF "}\n"
    "dir= retention= target= key= known_hosts= encrypt_to= instances=\n"
    "[ -r \"$conf\" ] || { echo \"dhis2-backup: cannot read $conf\" >&2; "
    "exit 1; }\n"
    "while IFS='=' read -r k v; do\n"
    "  case $k in\n"
    "  dir) dir=$v;;\n"
    "  retention_days) retention=$v;;\n"
    "  target) target=$v;;\n"
    "  key) key=$v;;\n"
    "  known_hosts) known_hosts=$v;;\n"
    "  encrypt_to) encrypt_to=$v;;\n"
    "  instance) instances=\"$instances $v\";;\n"
    "  esac\n"
    "done < \"$conf\"\n"
    "case $retention in ''|*[!0-9]*) echo \"dhis2-backup: retention_days "
    "in $conf is not a number\" >&2; exit 1;; esac\n"
    "[ -d \"$dir\" ] || { echo \"dhis2-backup: no folder $dir\" >&2; "
    "exit 1; }\n"
    "# DB FILE: pg_dump -Fc of DB into FILE, read back by pg_restore "
    "--list.\n"
    "# With encrypt_to the dump goes through age on its way to FILE: the\n"
    "# clear dump is read back from a pipe and never rests on the disk.\n"
    "dump() {\n"
    "  if [ -z \"$encrypt_to\" ]; then\n"
    "    pg_dump -Fc -d \"$1\" -f \"$2\" && pg_restore --list \"$2\" "
    ">/dev/null\n"
    "    return\n"
    "  fi\n"
    "  mkfifo -m 600 \"$2.fifo\" || return 1\n"
    "  ( pg_restore --list >/dev/null; r=$?; cat >/dev/null; exit $r ) "
    "< \"$2.fifo\" &\n"
    "  lpid=$!\n"
    "  # pg_dump's status on fd 3 (sh has no pipefail), age's as $?.\n"
    "  drc=$( { { pg_dump -Fc -d \"$1\"; echo $? >&3; } | tee \"$2.fifo\" "
    "|\n"
    "    age -r \"$encrypt_to\" -o \"$2\"; } 3>&1 >&2 )\n"
    "  arc=$?\n"
    "  wait $lpid; lrc=$?\n"
    "  rm -f \"$2.fifo\"\n"
    "  [ \"$drc\" = 0 ] && [ $arc -eq 0 ] && [ $lrc -eq 0 ]\n"
    "}\n"
    "ext=dump\n"
    "[ -n \"$encrypt_to\" ] && ext=dump.age\n"
    "failed=0\n"
    "stamp=$(date +%Y%m%dT%H%M%S)\n"
    "for e in $instances; do\n"
    "  name=${e%%:*} db=${e#*:}\n"
    "  d=$dir/$name\n"
    "  if ! mkdir -p -m 700 \"$d\"; then failed=1; continue; fi\n"
    "  # A killed run's leftovers are never dumps.\n"
    "  rm -f \"$d\"/.*.partial \"$d\"/.*.partial.fifo\n"
    "  tmp=$d/.$name-$stamp.$ext.partial f=$d/$name-$stamp.$ext\n"
    "  # Room for a dump like the last one (a fifth more) and a reserve,\n"
    "  # or the dumps could fill PGDATA's filesystem and stop PostgreSQL.\n"
    "  last=$(ls \"$d\" | grep \"^$name-[0-9]\\{8\\}T[0-9]\\{6\\}\\.dump\" "
    "| sort | tail -n 1)\n"
    "  need=0\n"
    "  [ -n \"$last\" ] && need=$(($(stat -c %s \"$d/$last\") / 1024))\n"
    "  need=$((need + need / 5 + " BACKUP_RESERVE_KB "))\n"
    "  room=$(df -Pk \"$d\" | awk 'NR == 2 { print $4 }')\n"
    "  if [ -n \"$room\" ] && [ \"$room\" -lt \"$need\" ]; then\n"
    "    echo \"dhis2-backup: the dump of $db SKIPPED: $room KiB free in $d, "
    "about $need KiB needed (the last dump, a fifth more and "
    BACKUP_RESERVE_KB " KiB left for PostgreSQL): free some space or lower "
    "retention_days\" >&2\n"
    "    failed=1\n"
    "  elif dump \"$db\" \"$tmp\" && sync \"$tmp\" && mv \"$tmp\" \"$f\"; "
    "then\n"
    "    echo \"dhis2-backup: $db -> $f ($(stat -c %s \"$f\") bytes)\"\n"
    "  else\n"
    "    rm -f \"$tmp\"\n"
    "    echo \"dhis2-backup: the dump of $db FAILED: no new dump in $d\" "
    ">&2\n"
    "    failed=1\n"
    "  fi\n"
    "  # Retention: older than retention_days, but never the newest dump.\n"
    "  newest=$(ls \"$d\" | grep \"^$name-[0-9]\\{8\\}T[0-9]\\{6\\}"
    "\\.dump\\(\\.age\\)\\{0,1\\}\\$\" | sort | tail -n 1)\n"
    "  [ -n \"$newest\" ] && find \"$d\" -maxdepth 1 -type f \\( -name "
    "\"$name-*.dump\" \\\n"
    "    -o -name \"$name-*.dump.age\" \\) ! -name \"$newest\" "
    "-mtime +$((retention - 1)) \\\n"
    "    -print -delete | sed 's/^/dhis2-backup: removed (retention): /'\n"
    "done\n"
    "# The copy goes to the root of the folder the target's forced command\n"
    "# (rrsync -wo) keeps this key in; a target that runs any other "
    "command\n"
    "# for the key could let this server delete the copies: refused.\n"
    "# (\"exit 0\", not \"true\": newer rrsync lets \"true\" through.)\n"
    "if [ -n \"$target\" ]; then\n"
    "  host=${target%%:*}\n"
    "  ssh=\"ssh -i $key -o ConnectTimeout=30 " BACKUP_SSH_OPTS "\"\n"
    "  err=$($ssh \"$host\" \"exit 0\" </dev/null 2>&1); rc=$?\n"
    "  if [ $rc -eq 255 ]; then\n"
    "    echo \"$err\" >&2\n"
    "    echo \"dhis2-backup: the copy to $target FAILED: no SSH to $host "
    "with the host key the profile pins (backups.target_host_key): the "
    "dumps are only on this machine\" >&2\n"
    "    failed=1\n"
    "  elif [ $rc -eq 0 ]; then\n"
    "    echo \"dhis2-backup: the copy to $target REFUSED: $host runs any "
    "command for this key, so this machine could delete the copies; give "
    "the key the forced command restrict,command=\\\"/usr/bin/rrsync -wo "
    "-no-del ${target#*:}\\\" there\" >&2\n"
    "    failed=1\n"
    "  elif rsync -rt --chmod=D700,F600 --include='*/' --include='*.dump' "
    "--include='*.dump.age' \\\n"
    "      --exclude='*' -e \"$ssh\" \"$dir/\" \"$host:/\"; then\n"
    "    echo \"dhis2-backup: copied to $target\"\n"
    "  else\n"
    "    echo \"dhis2-backup: the copy to $target FAILED: the dumps are "
    "only on this machine\" >&2\n"
    "    failed=1\n"
    "  fi\n"
    "fi\n"
    "exit $failed\n";

static const char backup_service[] =
    "# Written by dhis2-setup: changes here are replaced on the next "
    "apply.\n"
    "[Unit]\n"
    "Description=DHIS2 database backups (pg_dump of every instance)\n"
    "After=postgresql.service network-online.target\n"
    "Wants=network-online.target\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    "User=" BACKUP_USER "\n"
    "Group=" BACKUP_USER "\n"
    "UMask=0077\n"
    "ExecStart=" BACKUP_SCRIPT "\n"
    "Nice=10\n"
    "IOSchedulingClass=best-effort\n"
    "IOSchedulingPriority=7\n"
    "# It reads the database and writes only the dumps.\n"
    "NoNewPrivileges=true\n"
    "PrivateTmp=true\n"
    "ProtectSystem=strict\n"
    "ProtectHome=true\n"
    "ReadWritePaths=" BACKUP_DIR "\n";

/* The files, in the order the probe lists them. */
#define F_SCRIPT	0
#define F_CONF		1
#define F_SERVICE	2
#define F_TIMER		3
#define F_KNOWN		4

struct bk_state {
	struct step_files files;
	char	*pub;		/* the public key, when there is one */
	char	*last_failed;	/* when the last run failed, if it did */
	int	 dir_differs;
	int	 keydir_differs;
	int	 key_missing;
	int	 not_enabled;
	int	 not_active;
	int	 rsync_missing;
	int	 ssh_missing;
	int	 age_missing;
	int	 target;	/* an rsync target */
};

/*
 * One round trip: the sums of the four files, the folders' and the key's
 * mode and owner (the private key is never read), the public key, the
 * timer's state and the packages the copy needs.
 */
static const char probe_script[] =
    STEP_FILES_SH
    "step_sums \"$1\" \"$2\" \"$3\" \"$4\" \"$5\"\n"
    "stat -c 'dir=%a %U %G' -- \"$6\" 2>/dev/null\n"
    "stat -c 'keydir=%a %U %G' -- \"$7\" 2>/dev/null\n"
    "stat -c 'key=%a %U' -- \"$7/id_ed25519\" 2>/dev/null\n"
    "[ -f \"$7/id_ed25519.pub\" ] && echo \"pub=$(head -n 1 "
    "\"$7/id_ed25519.pub\")\"\n"
    "echo \"enabled=$(systemctl is-enabled " BACKUP_UNIT ".timer "
    "2>/dev/null)\"\n"
    "echo \"active=$(systemctl is-active " BACKUP_UNIT ".timer "
    "2>/dev/null)\"\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' rsync "
    "openssh-client age 2>/dev/null\n"
    "echo \"last=$(systemctl show -P Result " BACKUP_UNIT ".service "
    "2>/dev/null) $(systemctl show -P ExecMainExitTimestamp " BACKUP_UNIT
    ".service 2>/dev/null)\"\n"
    "exit 0\n";

static const char *
bk_schedule(const struct profile *p)
{
	return p->backups.schedule != NULL ? p->backups.schedule :
	    BACKUP_DEFAULT_SCHEDULE;
}

static int
bk_rsync_target(const struct profile *p)
{
	return p->backups.target != NULL &&
	    strncmp(p->backups.target, "s3://", 5) != 0;
}

static char *
wanted_conf(const struct profile *p)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	char		*line;
	size_t		 i;

	xasprintf(&line, "# Written by dhis2-setup from the profile's backups "
	    "section: changes here are\n# replaced on the next apply.  Read "
	    "by " BACKUP_SCRIPT ".\ndir=" BACKUP_DIR "\nretention_days=%d\n"
	    "target=%s\nkey=" BACKUP_KEY "\nknown_hosts=" BACKUP_KNOWN_HOSTS
	    "\nencrypt_to=%s\n", p->backups.retention_days,
	    bk_rsync_target(p) ? p->backups.target : "",
	    p->backups.encrypt_to != NULL ? p->backups.encrypt_to : "");
	strbuf_add(&sb, line, strlen(line));
	free(line);
	for (i = 0; i < p->ninstances; i++) {
		xasprintf(&line, "instance=%s:%s\n", p->instances[i].name,
		    instance_db_name(&p->instances[i]));
		strbuf_add(&sb, line, strlen(line));
		free(line);
	}
	return sb.buf;
}

/*
 * The target's host key, pinned by the profile, as the one line of the
 * known_hosts file the copy reads (the host as the target names it).
 */
static char *
wanted_known_hosts(const struct profile *p)
{
	const char	*t = p->backups.target, *at, *type, *blob;
	size_t		 tl, bl, hl;
	char		*s;

	if (!bk_rsync_target(p) || p->backups.target_host_key == NULL ||
	    !ssh_host_key_parse(p->backups.target_host_key, &type, &tl, &blob,
	    &bl))
		return xstrdup("# Written by dhis2-setup: no backups.target, "
		    "no host key.\n");
	hl = strcspn(t, ":");
	if ((at = memchr(t, '@', hl)) != NULL) {
		hl -= at + 1 - t;
		t = at + 1;
	}
	xasprintf(&s, "# Written by dhis2-setup from backups.target_host_key: "
	    "changes here are\n# replaced on the next apply.\n%.*s %.*s "
	    "%.*s\n", (int)hl, t, (int)tl, type, (int)bl, blob);
	return s;
}

/* The timer; NULL with *err when the schedule cannot be one. */
static char *
wanted_timer(const struct profile *p, const char **err)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	char		*cal[CRON_MAX_CALENDARS], *line;
	int		 n, i;

	if ((n = cron_to_oncalendar(bk_schedule(p), cal, err)) == -1)
		return NULL;
	xasprintf(&line, "# Written by dhis2-setup from backups.schedule "
	    "\"%s\": changes here are\n# replaced on the next apply.\n"
	    "[Unit]\nDescription=DHIS2 database backups on the profile's "
	    "schedule\n\n[Timer]\n", bk_schedule(p));
	strbuf_add(&sb, line, strlen(line));
	free(line);
	for (i = 0; i < n; i++) {
		xasprintf(&line, "OnCalendar=%s\n", cal[i]);
		strbuf_add(&sb, line, strlen(line));
		free(line);
		free(cal[i]);
	}
	/* A run missed while the machine was off happens at boot. */
	line = "Persistent=true\nAccuracySec=1min\n\n[Install]\n"
	    "WantedBy=timers.target\n";
	strbuf_add(&sb, line, strlen(line));
	return sb.buf;
}

static void
bk_state_free(struct bk_state *st)
{
	step_files_free(&st->files);
	free(st->pub);
	free(st->last_failed);
	memset(st, 0, sizeof *st);
}

/* The files wanted; -1 after step_fail. */
static int
bk_wanted(struct step_ctx *ctx, struct bk_state *st)
{
	const struct profile	*p = ctx->profile;
	const char		*err;
	char			*timer;

	if ((timer = wanted_timer(p, &err)) == NULL)
		return step_err(ctx, "backups.schedule \"%s\": %s",
		    bk_schedule(p), err);
	step_files_add(&st->files, BACKUP_SCRIPT, xstrdup(backup_script),
	    0755, "root", "root");
	step_files_add(&st->files, BACKUP_CONF, wanted_conf(p), 0644, "root",
	    "root");
	step_files_add(&st->files, BACKUP_SERVICE, xstrdup(backup_service),
	    0644, "root", "root");
	step_files_add(&st->files, BACKUP_TIMER, timer, 0644, "root", "root");
	step_files_add(&st->files, BACKUP_KNOWN_HOSTS, wanted_known_hosts(p),
	    0644, "root", "root");
	return 0;
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
bk_probe(struct step_ctx *ctx, struct bk_state *st)
{
	char	*probe, *s;

	memset(st, 0, sizeof *st);
	st->target = bk_rsync_target(ctx->profile);
	if (bk_wanted(ctx, st) == -1)
		return -1;
	if (step_probe_run(ctx, &probe, probe_script, BACKUP_SCRIPT,
	    BACKUP_CONF, BACKUP_SERVICE, BACKUP_TIMER, BACKUP_KNOWN_HOSTS,
	    BACKUP_DIR, BACKUP_KEYDIR, NULL) != 0) {
		free(probe);
		return step_err(ctx, "cannot read the backups' state on %s",
		    ctx->machine);
	}
	step_files_parse(&st->files, probe);
	st->dir_differs = !step_probe_has(probe, "dir=700 " BACKUP_USER " "
	    BACKUP_USER);
	st->not_enabled = !step_probe_has(probe, "enabled=enabled");
	st->not_active = !step_probe_has(probe, "active=active");
	if (ctx->profile->backups.encrypt_to != NULL)
		st->age_missing = step_probe_pkg_missing(probe, "age");
	if (st->target) {
		st->keydir_differs = !step_probe_has(probe, "keydir=700 "
		    BACKUP_USER " " BACKUP_USER);
		st->key_missing = !step_probe_has(probe, "key=600 "
		    BACKUP_USER);
		st->rsync_missing = step_probe_pkg_missing(probe, "rsync");
		st->ssh_missing = step_probe_pkg_missing(probe,
		    "openssh-client");
		st->pub = step_probe_value(probe, "pub=");
	}
	/* "last=exit-code Mon 2026-11-23 01:30:04 UTC": it ran and failed. */
	if ((s = step_probe_value(probe, "last=")) != NULL && (s[0] == '\0' ||
	    s[0] == ' ' || strncmp(s, "success", 7) == 0)) {
		free(s);
		s = NULL;
	}
	st->last_failed = s;
	free(probe);
	return 0;
}

/*
 * What is not as wanted: reported (check) or counted (verify), from this
 * one list.
 */
static int
bk_pending(struct step_ctx *ctx, const struct bk_state *st, int report)
{
	int	n = 0;

	n += step_pending(ctx, report, st->rsync_missing,
	    "install package rsync");
	n += step_pending(ctx, report, st->ssh_missing,
	    "install package openssh-client");
	n += step_pending(ctx, report, st->age_missing,
	    "install package age");
	n += step_pending(ctx, report, st->dir_differs,
	    "create %s (mode 0700, owner %s)", BACKUP_DIR, BACKUP_USER);
	n += step_pending(ctx, report, st->keydir_differs,
	    "create %s (mode 0700, owner %s)", BACKUP_KEYDIR, BACKUP_USER);
	n += step_pending(ctx, report, st->key_missing, "make the SSH key %s "
	    "for the copy to %s (its public half to be authorised there)",
	    BACKUP_KEY, ctx->profile->backups.target);
	n += step_files_pending(ctx, &st->files, report);
	if (step_pending(ctx, report, st->not_enabled || st->not_active,
	    "enable and start %s.timer (%s)", BACKUP_UNIT,
	    bk_schedule(ctx->profile)))
		n += st->not_enabled + st->not_active;
	/* The timer's file, counted above. */
	else
		step_pending(ctx, report, st->files.v[F_TIMER].differs,
		    "restart %s.timer on the new schedule", BACKUP_UNIT);
	return n;
}

/*
 * Only the database node backs up (the first one, should a profile ever
 * name more); a replica holds the same data.
 */
static int
bk_here(struct step_ctx *ctx)
{
	return topo_role_node(ctx->topo, ROLE_DATABASE) == ctx->node;
}

/*
 * The step's check (apply: its apply) when backups are turned off: stop
 * the timer, keep every dump.
 */
static enum result
backup_off(struct step_ctx *ctx, int apply)
{
	char	*probe = NULL;
	int	 on;

	if (step_probe_run(ctx, &probe, "systemctl is-enabled " BACKUP_UNIT
	    ".timer 2>/dev/null; systemctl is-active " BACKUP_UNIT
	    ".timer 2>/dev/null; exit 0", NULL) != 0) {
		free(probe);
		return step_fail(ctx, "cannot read the backups' timer on %s",
		    ctx->machine);
	}
	on = step_probe_has(probe, "enabled") || step_probe_has(probe,
	    "active");
	free(probe);
	if (!on) {
		step_msg(ctx, "backups are off in the profile");
		return RESULT_SKIPPED;
	}
	if (!apply) {
		step_would(ctx, "stop and disable %s.timer: backups are off in "
		    "the profile (the dumps in %s are kept)", BACKUP_UNIT,
		    BACKUP_DIR);
		return RESULT_CHANGED;
	}
	if (step_run(ctx, (char *[]){ "systemctl", "disable", "--now",
	    "--quiet", BACKUP_UNIT ".timer", NULL }, NULL, 0) != 0)
		return step_fail(ctx, "cannot disable %s.timer", BACKUP_UNIT);
	step_note(ctx, "backups are off: %s.timer disabled; the dumps in %s "
	    "are kept", BACKUP_UNIT, BACKUP_DIR);
	return RESULT_CHANGED;
}

/* What the profile asks can be built here; 0, or -1 after step_fail. */
static int
bk_buildable(struct step_ctx *ctx)
{
	const char	*target = ctx->profile->backups.target;

	if (target != NULL && strncmp(target, "s3://", 5) == 0)
		return step_err(ctx, "backups.target %s: s3:// targets are not "
		    "built yet; use a user@host:/path target (rsync over SSH)",
		    target);
	/* Never a key learnt on first use from a timer (validate says how). */
	if (target != NULL && ctx->profile->backups.target_host_key == NULL)
		return step_err(ctx, "backups.target %s: blocked until the "
		    "profile pins the target's SSH host key in "
		    "backups.target_host_key (see validate and "
		    "docs/backups.md)", target);
	if (!step_facts(ctx)->systemd)
		return step_err(ctx, "backups run from a systemd timer and "
		    "systemd is not running on %s", ctx->machine);
	return 0;
}

static enum result
backup_check(struct step_ctx *ctx)
{
	struct bk_state	 st;
	enum result	 r;

	if (!bk_here(ctx)) {
		step_msg(ctx, "backups run on the database node");
		return RESULT_SKIPPED;
	}
	if (!ctx->profile->backups.enabled)
		return backup_off(ctx, 0);
	if (bk_buildable(ctx) == -1)
		return RESULT_FAILED;
	if (bk_probe(ctx, &st) == -1) {
		bk_state_free(&st);
		return RESULT_FAILED;
	}
	r = bk_pending(ctx, &st, 1) > 0 ? RESULT_CHANGED : RESULT_OK;
	/* Backups that fail unseen are the ones peers lost data to. */
	if (st.last_failed != NULL)
		step_note(ctx, "the last backup failed (%s): see journalctl -u "
		    "%s.service; the newest good dumps are kept in %s",
		    st.last_failed, BACKUP_UNIT, BACKUP_DIR);
	bk_state_free(&st);
	return r;
}

/*
 * The public key, for the operator to authorise on the target: only for
 * rrsync, write-only and no deletes, in the target's folder.
 */
static void
bk_tell_key(struct step_ctx *ctx, const char *pub)
{
	const char	*t = ctx->profile->backups.target;
	const char	*path = t + strcspn(t, ":") + 1;
	char		*host = xstrndup(t, strcspn(t, ":"));

	step_note(ctx, "authorise the backups' key on %s: add this line to "
	    "the authorized_keys of the target's user (see docs/backups.md): "
	    "restrict,command=\"/usr/bin/rrsync -wo -no-del %s\" %s", host,
	    path, pub != NULL ? pub : "(the key in " BACKUP_KEY ".pub)");
	free(host);
}

/*
 * The copy as the service makes it, tried: the target must refuse any
 * command but rrsync (for this key) and take a dry run.  0 when it
 * does; else a note and 1 (the step does not fail for it: the service
 * will, and says so).
 */
static int
bk_try_target(struct step_ctx *ctx, const struct bk_state *st)
{
	const char	*t = ctx->profile->backups.target;
	char		*host = xstrndup(t, strcspn(t, ":")), *dest;
	char		*ssh = "ssh -i " BACKUP_KEY " -o ConnectTimeout=20 "
	    BACKUP_SSH_OPTS;
	int		 rc;

	rc = step_run(ctx, (char *[]){ "runuser", "-u", BACKUP_USER, "--",
	    "sh", "-c", "$1 \"$2\" \"exit 0\" </dev/null", "sh", ssh, host,
	    NULL }, NULL, 0);
	xasprintf(&dest, "%s:/", host);
	if (rc == 0) {
		step_note(ctx, "%s runs any command for the backups' key: "
		    "this machine could delete the copies there, and the "
		    "service refuses to copy", host);
		rc = 1;
	} else if (rc == 255) {
		step_note(ctx, "%s does not take the backups' SSH connection "
		    "with the host key the profile pins (is "
		    "backups.target_host_key the target's, is the key "
		    "authorised?): the dumps stay on %s", host, ctx->machine);
		rc = 1;
	} else if (step_run(ctx, (char *[]){ "runuser", "-u", BACKUP_USER,
	    "--", "rsync", "-rt", "--dry-run", "--include=*/",
	    "--include=*.dump", "--include=*.dump.age", "--exclude=*", "-e",
	    ssh, BACKUP_DIR "/", dest, NULL }, NULL, 0) != 0) {
		step_note(ctx, "%s does not take the backups' copy yet: the "
		    "dumps stay on %s until it does", t, ctx->machine);
		rc = 1;
	} else
		rc = 0;
	if (rc != 0)
		bk_tell_key(ctx, st->pub);
	free(dest);
	free(host);
	return rc;
}

/* The timer on the files written; 0, or -1 after step_fail. */
static int
bk_apply_timer(struct step_ctx *ctx, struct bk_state *st)
{
	int	timer_differs = st->files.v[F_TIMER].differs;

	if ((st->files.v[F_SERVICE].differs || timer_differs) &&
	    step_run(ctx, (char *[]){ "systemctl", "daemon-reload", NULL },
	    NULL, 0) != 0)
		return step_err(ctx, "systemctl daemon-reload failed");
	if ((st->not_enabled || st->not_active) && step_run(ctx, (char *[]){
	    "systemctl", "enable", "--now", "--quiet", BACKUP_UNIT ".timer",
	    NULL }, NULL, 0) != 0)
		return step_err(ctx, "cannot enable %s.timer: see systemctl "
		    "status %s.timer", BACKUP_UNIT, BACKUP_UNIT);
	/* A running timer keeps its old schedule until restarted. */
	if (timer_differs && !st->not_active && step_run(ctx, (char *[]){
	    "systemctl", "restart", BACKUP_UNIT ".timer", NULL }, NULL,
	    0) != 0)
		return step_err(ctx, "cannot restart %s.timer", BACKUP_UNIT);
	return 0;
}

/*
 * The key, made by its owner on the machine: the private half is never
 * read by this tool nor shown.  A half-made key (a killed run) is made
 * again.  0, or -1 after step_fail.
 */
static int
bk_make_key(struct step_ctx *ctx)
{
	char	*comment;
	int	 rc;

	xasprintf(&comment, "dhis2-backup@%s", ctx->machine);
	rc = step_probe_run(ctx, NULL, "rm -f \"$1\" \"$1.pub\" && runuser -u "
	    BACKUP_USER " -- ssh-keygen -q -t ed25519 -N '' -C \"$2\" -f "
	    "\"$1\" && chmod 600 \"$1\"", BACKUP_KEY, comment, NULL);
	free(comment);
	if (rc != 0)
		return step_err(ctx, "cannot make the SSH key %s", BACKUP_KEY);
	return 0;
}

static enum result
backup_apply(struct step_ctx *ctx)
{
	static const char *const pkgs[] = { "rsync", "openssh-client", NULL };
	static const char *const age[] = { "age", NULL };
	struct bk_state	 st;

	if (!bk_here(ctx))
		return RESULT_SKIPPED;
	if (!ctx->profile->backups.enabled)
		return backup_off(ctx, 1);
	if (bk_buildable(ctx) == -1)
		return RESULT_FAILED;
	if (bk_probe(ctx, &st) == -1)
		goto fail;
	if ((st.rsync_missing || st.ssh_missing) &&
	    step_apt_install(ctx, pkgs) == -1)
		goto fail;
	if (st.age_missing && step_apt_install(ctx, age) == -1)
		goto fail;
	if (step_run(ctx, (char *[]){ "mkdir", "-p", "-m", "0755",
	    "/etc/dhis2-setup", "/usr/local/sbin", NULL }, NULL, 0) != 0 ||
	    (st.dir_differs && step_run(ctx, (char *[]){ "install", "-d",
	    "-m", "0700", "-o", BACKUP_USER, "-g", BACKUP_USER, BACKUP_DIR,
	    NULL }, NULL, 0) != 0) ||
	    (st.keydir_differs && step_run(ctx, (char *[]){ "install", "-d",
	    "-m", "0700", "-o", BACKUP_USER, "-g", BACKUP_USER, BACKUP_KEYDIR,
	    NULL }, NULL, 0) != 0)) {
		step_fail(ctx, "cannot create the backups' folders (is "
		    "PostgreSQL installed: does the user %s exist?)",
		    BACKUP_USER);
		goto fail;
	}
	if ((st.key_missing && bk_make_key(ctx) == -1) ||
	    step_files_apply(ctx, &st.files) == -1 ||
	    bk_apply_timer(ctx, &st) == -1)
		goto fail;
	/* A new key is shown by verify, which finds the target refuses it. */
	bk_state_free(&st);
	return RESULT_CHANGED;
fail:
	bk_state_free(&st);
	return RESULT_FAILED;
}

/*
 * Nothing left to do, the timer has a next run, and the target takes the
 * key (a dry run of the copy): when it does not yet, the operator is told
 * what to authorise; the step does not fail for it, the service will.
 */
static enum result
backup_verify(struct step_ctx *ctx)
{
	struct bk_state	 st;
	char		*out = NULL;
	int		 bad;

	if (!bk_here(ctx) || !ctx->profile->backups.enabled)
		return RESULT_CHANGED;
	if (bk_probe(ctx, &st) == -1) {
		bk_state_free(&st);
		return RESULT_FAILED;
	}
	bad = bk_pending(ctx, &st, 0);
	if (bad > 0) {
		bk_state_free(&st);
		return step_fail(ctx, "backups: %d thing%s still not as wanted "
		    "after apply: see the log", bad, bad == 1 ? "" : "s");
	}
	if (step_capture(ctx, (char *[]){ "systemctl", "show", "-P",
	    "NextElapseUSecRealtime", BACKUP_UNIT ".timer", NULL }, &out) != 0 ||
	    out == NULL || out[0] == '\n' || out[0] == '\0') {
		free(out);
		bk_state_free(&st);
		return step_fail(ctx, "%s.timer has no next run: see systemctl "
		    "status %s.timer", BACKUP_UNIT, BACKUP_UNIT);
	}
	out[strcspn(out, "\n")] = '\0';
	step_msg(ctx, "next backup: %s", out);
	free(out);
	if (st.target)
		bk_try_target(ctx, &st);
	bk_state_free(&st);
	return RESULT_CHANGED;
}

static const char *const backup_after[] = { "postgres", NULL };

/*
 * rsync and ssh where backups go to a target, age where they are
 * encrypted, for one apt transaction.
 */
static void
backup_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	if (!bk_here(ctx) || !ctx->profile->backups.enabled)
		return;
	if (ctx->profile->backups.encrypt_to != NULL)
		step_pkgs_add(sp, "age");
	if (!bk_rsync_target(ctx->profile))
		return;
	step_pkgs_add(sp, "rsync");
	step_pkgs_add(sp, "openssh-client");
}

const struct step step_backup = {
	.name = "backup",
	.roles = ROLE_BIT(ROLE_DATABASE),
	.summary = "Backups: pg_dump -Fc of every instance's database from a "
	    "systemd timer on backups.schedule, whole dumps only, retention "
	    "that keeps the newest, age encryption to backups.encrypt_to, "
	    "rsync over SSH to backups.target (pinned host key, rrsync "
	    "write-only)",
	.after = backup_after,
	.check = backup_check,
	.apply = backup_apply,
	.verify = backup_verify,
	.packages = backup_packages,
};
