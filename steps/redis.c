/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * redis: Redis for clustered DHIS2 (sessions, the leader lock and cache
 * invalidation across an instance's Tomcat nodes), on the redis node: the
 * redis machine, the redis container, or the one server.
 *
 * Debian's redis-server has no conf.d, and editing its redis.conf (a
 * conffile) would make every later package upgrade stop at a conffile
 * question, which unattended-upgrades answers by not upgrading at all.
 * So the package's file stays untouched: ours, /etc/redis/dhis2-setup.conf,
 * includes it first and then sets what DHIS2 needs (Redis keeps the last
 * value of a directive), and a systemd drop-in starts redis-server with
 * ours.  Ours holds the users (SHA-256 of their passwords only): mode 0640,
 * root:redis, so the server can read it and nobody else; it is never shown
 * as a diff.
 *
 * DHIS2 sends a password and no user name (dhis.conf has no
 * redis.username), so it is Redis's "default" user: that user gets the
 * data commands and nothing @dangerous (FLUSHALL, CONFIG, DEBUG, SHUTDOWN,
 * MONITOR, REPLICAOF...), KEYS excepted (DHIS2 clears a cache region with
 * it).  An "admin" user with its own password (redis.admin_password, which
 * no app machine gets) is this tool's and the operator's.
 *
 * One probe reads the package, both files' sums, the unit's state and,
 * with the passwords on stdin (redis-cli takes them from REDISCLI_AUTH,
 * never from argv), the live server: PING with DHIS2's password, PING
 * without it (NOAUTH), and as admin PING, whether the default user may
 * FLUSHALL (ACL DRYRUN) and CONFIG GET of every setting we make.  So a server still
 * running an older configuration (a run killed between the write and the
 * restart) is seen and restarted; a converged one is not touched.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "core.h"
#include "profile.h"
#include "redis.h"
#include "secrets.h"
#include "stack.h"
#include "step.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define REDIS_CONF	"/etc/redis/dhis2-setup.conf"
#define REDIS_PKG_CONF	"/etc/redis/redis.conf"
#define REDIS_DROPIN_DIR "/etc/systemd/system/redis-server.service.d"
#define REDIS_DROPIN	REDIS_DROPIN_DIR "/dhis2-setup.conf"
#define REDIS_UNIT	"redis-server"
/*
 * DHIS2's cache invalidation listens for keyspace events: E keyevent
 * notifications, g generic commands (DEL, EXPIRE, RENAME), x expired keys.
 */
#define REDIS_EVENTS	"Egx"
/*
 * A session and cache store: when full, the least recently used key goes
 * (the session idle longest), rather than every write failing with OOM.
 * Every key DHIS2 writes has a time to live anyway.
 */
#define REDIS_POLICY	"allkeys-lru"
/* This tool's and the operator's user: redis-cli --user admin. */
#define REDIS_ADMIN	"admin"
/*
 * DHIS2's user, Redis's "default": every key and channel, every command
 * but the @dangerous ones, KEYS excepted (DHIS2's RedisCache clears and
 * lists a region with it).
 */
#define REDIS_DHIS2_ACL	"~* &* +@all -@dangerous +keys"

/* The settings asked back from the live server, as CONFIG GET names them. */
static const char *const live_keys[] = { "bind", "protected-mode", "port",
	"notify-keyspace-events", "maxmemory", "maxmemory-policy", NULL };

/* The files: ours (holds the password), then the unit's drop-in. */
#define CONF	0
#define DROPIN	1

struct redis_state {
	struct step_files files;
	char	 bind[160];
	long long maxmemory_mb;
	int	 pkg_missing;
	int	 files_differ;
	int	 enabled;
	int	 active;
	int	 auth_ok;		/* PING with the password: PONG */
	int	 admin_ok;		/* PING as admin: PONG */
	int	 acl_open;		/* the default user may FLUSHALL */
	int	 noauth_refused;	/* PING without: NOAUTH */
	int	 live_differs;		/* a CONFIG GET value not ours */
	char	 live_what[64];		/* the first one, for messages */
	int	 bind_all;		/* the address is not this machine's */
};

/* Does any app node other than this one use this Redis? */
static int
remote_clients(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	size_t			 i;

	for (i = 0; i < t->nnodes; i++) {
		if (i != ctx->node && (t->nodes[i].roles & ROLE_BIT(ROLE_APP)))
			return 1;
	}
	return 0;
}

/* Is addr one of the machine's own (facts: hostname -I)? */
static int
own_address(struct step_ctx *ctx, const char *addr)
{
	const char	*a = step_facts(ctx)->addresses, *p;
	size_t		 len = strlen(addr);

	if (a == NULL || len == 0)
		return 0;
	for (p = a; (p = strstr(p, addr)) != NULL; p += len) {
		if ((p == a || p[-1] == ' ') && (p[len] == ' ' ||
		    p[len] == '\0' || p[len] == '\n'))
			return 1;
	}
	return 0;
}

/*
 * Loopback only when every client is on this machine; else loopback (for
 * our own checks) and the address the app nodes reach it at.  An address
 * the machine does not have (a host name, a provider's NAT address)
 * cannot be bound: then every address, with the firewall letting only
 * the app nodes reach 6379 and the password required.  protected-mode
 * stays on either way.
 */
static void
wanted_bind(struct step_ctx *ctx, struct redis_state *st)
{
	const char	*addr = ctx->topo->nodes[ctx->node].address;

	if (!remote_clients(ctx))
		snprintf(st->bind, sizeof st->bind, "127.0.0.1");
	else if (addr != NULL && (valid_ipv4(addr) || strchr(addr, ':')) &&
	    own_address(ctx, addr) && strcmp(addr, "127.0.0.1") != 0)
		snprintf(st->bind, sizeof st->bind, "127.0.0.1 %s", addr);
	else {
		snprintf(st->bind, sizeof st->bind, "0.0.0.0");
		st->bind_all = 1;
	}
}

/*
 * RAM for Redis: a bounded share where it sits with other components
 * (one server, LXC containers which all share the host's RAM, a machine
 * with other roles): 1/16, 128 MB to 1 GB, out of the OS's reserve; on a
 * machine of its own half of it, up to 4 GB (the other half for the OS
 * and the copy-on-write of a background save).
 */
static long long
maxmemory_mb(struct step_ctx *ctx)
{
	long long	mem = step_facts(ctx)->mem_mb > 0 ?
			    step_facts(ctx)->mem_mb : 4096, mb;
	int		shared = ctx->profile->isolation != ISOLATION_MACHINES ||
			    (ctx->roles & ~ROLE_BIT(ROLE_REDIS) &
			    ~ROLE_BIT(ROLE_BACKUP)) != 0;

	if (shared)
		mb = mem / 16 < 128 ? 128 : (mem / 16 > 1024 ? 1024 : mem / 16);
	else
		mb = mem / 2 < 128 ? 128 : (mem / 2 > 4096 ? 4096 : mem / 2);
	return mb - mb % 64;
}

/*
 * A password as an ACL rule: "#" and its SHA-256 in hex, so that the file
 * holds no password.  -1 for a control character (the probe reads the
 * passwords as lines).
 */
static int
password_rule(const char *pw, char out[2 + 2 * SHA256_DIGEST_LENGTH])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	const char	*p;
	size_t		 i;

	for (p = pw; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p))
			return -1;
	}
	SHA256((const unsigned char *)pw, strlen(pw), md);
	out[0] = '#';
	for (i = 0; i < sizeof md; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	secure_wipe(md, sizeof md);
	return 0;
}

static int
wanted(struct step_ctx *ctx, struct redis_state *st, const char *pw,
    const char *admin_pw)
{
	struct step_file *f;
	char		*text;
	char		 dhis2[2 + 2 * SHA256_DIGEST_LENGTH];
	char		 admin[2 + 2 * SHA256_DIGEST_LENGTH];

	if (password_rule(pw, dhis2) == -1)
		return step_err(ctx, "secret '" SECRET_REDIS "' holds a control "
		    "character (a newline?): Redis cannot take it");
	if (password_rule(admin_pw, admin) == -1)
		return step_err(ctx, "secret '" SECRET_REDIS_ADMIN "' holds a "
		    "control character (a newline?): Redis cannot take it");
	wanted_bind(ctx, st);
	st->maxmemory_mb = maxmemory_mb(ctx);
	xasprintf(&text, "# Written by dhis2-setup: changes here are replaced "
	    "on the next apply.\n# Mode 0640 root:redis: it holds the users.  "
	    "The package's redis.conf is\n# read first and left as it is; what "
	    "follows wins.\ninclude " REDIS_PKG_CONF "\n\n"
	    "bind %s\nprotected-mode yes\nport " PORT_STR(PORT_REDIS)
	    "\n\n# DHIS2's cache "
	    "invalidation needs keyspace events.\nnotify-keyspace-events "
	    REDIS_EVENTS "\n\n# Sessions and caches: bounded, least recently "
	    "used first.\nmaxmemory %lldmb\nmaxmemory-policy " REDIS_POLICY
	    "\n\n# DHIS2 sends a password and no user name: the default user, "
	    "with the data\n# commands and nothing @dangerous but KEYS (its "
	    "cache clear).  Passwords\n# as SHA-256 only.\n"
	    "user default on %s " REDIS_DHIS2_ACL "\n"
	    "# dhis2-setup's checks and the operator: redis-cli --user "
	    REDIS_ADMIN ".\nuser " REDIS_ADMIN " on %s ~* &* +@all\n",
	    st->bind, st->maxmemory_mb, dhis2, admin);
	f = step_files_add(&st->files, REDIS_CONF, text, 0640, "root",
	    "redis");
	f->secret = 1;
	xasprintf(&f->summary, "write %s (mode 0640 root:redis; holds the "
	    "users): bind %s, notify-keyspace-events %s, maxmemory "
	    "%lldmb %s, DHIS2's user without @dangerous", REDIS_CONF, st->bind,
	    REDIS_EVENTS, st->maxmemory_mb, REDIS_POLICY);
	step_files_add(&st->files, REDIS_DROPIN, xstrdup("# Written by "
	    "dhis2-setup: Redis starts with " REDIS_CONF ",\n# which includes "
	    "the package's " REDIS_PKG_CONF " (left untouched).\n[Service]\n"
	    "ExecStart=\nExecStart=/usr/bin/redis-server " REDIS_CONF
	    " --supervised systemd --daemonize no\n"), 0644, "root", "root");
	return 0;
}

/*
 * Arguments: CONF DROPIN UNIT then the CONFIG GET names; DHIS2's password
 * then the admin's on stdin, into shell variables; only redis-cli gets
 * them, in REDISCLI_AUTH (which only root and the process itself can
 * read); nothing prints them.
 */
static const char probe_script[] =
    STEP_FILES_SH
    "conf=$1 dropin=$2 unit=$3\n"
    "shift 3\n"
    "IFS= read -r pw || true\n"
    "IFS= read -r apw || true\n"
    "step_sums \"$conf\" \"$dropin\"\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' redis-server "
    "redis-tools 2>/dev/null\n"
    "echo \"enabled=$(systemctl is-enabled \"$unit\" 2>/dev/null)\"\n"
    "echo \"active=$(systemctl is-active \"$unit\" 2>/dev/null)\"\n"
    "command -v redis-cli >/dev/null || exit 0\n"
    "d() { REDISCLI_AUTH=$pw timeout 10 redis-cli -h 127.0.0.1 "
    "-p " PORT_STR(PORT_REDIS) " \"$@\" 2>/dev/null; }\n"
    "c() { REDISCLI_AUTH=$apw timeout 10 redis-cli --user " REDIS_ADMIN
    " -h 127.0.0.1 -p " PORT_STR(PORT_REDIS) " \"$@\" 2>/dev/null; }\n"
    "echo \"ping=$(d PING | grep -x PONG)\"\n"
    "echo \"admin=$(c PING | grep -x PONG)\"\n"
    "echo \"acl=$(c ACL DRYRUN default FLUSHALL | head -n 1)\"\n"
    /* an error reply is followed by an empty line */
    "echo \"noauth=$(timeout 10 redis-cli -h 127.0.0.1 "
    "-p " PORT_STR(PORT_REDIS) " PING 2>&1 "
    "| grep -o '^NOAUTH' | head -n 1)\"\n"
    "for k in \"$@\"; do echo \"live.$k=$(c CONFIG GET \"$k\" | sed -n 2p)\"; done\n"
    "exit 0\n";

static void
redis_state_free(struct redis_state *st)
{
	step_files_free(&st->files);
	memset(st, 0, sizeof *st);
}

/* The probe's value for "live.KEY=" (empty when absent). */
static char *
live_value(const char *probe, const char *key)
{
	char	*v;

	v = step_probe_valuef(probe, "live.%s=", key);
	return v != NULL ? v : xstrdup("");
}

/* Redis prints the event flags in its own order: compare as sets. */
static int
same_flags(const char *a, const char *b)
{
	const char	*p;

	if (strlen(a) != strlen(b))
		return 0;
	for (p = a; *p != '\0'; p++) {
		if (strchr(b, *p) == NULL)
			return 0;
	}
	return 1;
}

static void
compare_live(struct redis_state *st, const char *probe)
{
	char	 want[6][160], *got;
	size_t	 i;
	int	 same;

	snprintf(want[0], sizeof want[0], "%s", st->bind);
	snprintf(want[1], sizeof want[1], "yes");
	snprintf(want[2], sizeof want[2], "%d", PORT_REDIS);
	snprintf(want[3], sizeof want[3], REDIS_EVENTS);
	snprintf(want[4], sizeof want[4], "%lld",
	    st->maxmemory_mb * 1024 * 1024);
	snprintf(want[5], sizeof want[5], REDIS_POLICY);
	for (i = 0; live_keys[i] != NULL; i++) {
		got = live_value(probe, live_keys[i]);
		same = i == 3 ? same_flags(got, want[i]) :
		    strcmp(got, want[i]) == 0;
		free(got);
		if (!same) {
			st->live_differs = 1;
			snprintf(st->live_what, sizeof st->live_what, "%s",
			    live_keys[i]);
			return;
		}
	}
}

static int
redis_probe(struct step_ctx *ctx, struct redis_state *st)
{
	const char		*pw = secrets_get(ctx->secrets, SECRET_REDIS);
	const char		*apw = secrets_get(ctx->secrets,
				    SECRET_REDIS_ADMIN);
	struct step_args	 a = { NULL, 0 };
	char			*probe, *in;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	if (pw == NULL || apw == NULL)
		return step_err(ctx, "secret '%s' is missing: run dhis2-setup "
		    "secrets generate", pw == NULL ? SECRET_REDIS :
		    SECRET_REDIS_ADMIN);
	if (wanted(ctx, st, pw, apw) == -1)
		return -1;
	step_args_add(&a, REDIS_CONF);
	step_args_add(&a, REDIS_DROPIN);
	step_args_add(&a, REDIS_UNIT);
	for (i = 0; live_keys[i] != NULL; i++)
		step_args_add(&a, live_keys[i]);
	xasprintf(&in, "%s\n%s\n", pw, apw);
	rc = step_probe_runv_in(ctx, in, strlen(in), &probe, probe_script,
	    a.v);
	secure_wipe(in, strlen(in));
	free(in);
	step_args_free(&a);
	if (rc != 0 || *probe == '\0') {
		free(probe);
		return step_err(ctx, "cannot read Redis's state on %s",
		    ctx->machine);
	}
	st->pkg_missing = step_probe_pkg_missing(probe, "redis-server");
	step_files_parse(&st->files, probe);
	st->files_differ = step_files_count(&st->files) > 0;
	st->enabled = step_probe_has(probe, "enabled=enabled");
	st->active = step_probe_has(probe, "active=active");
	st->auth_ok = step_probe_has(probe, "ping=PONG");
	st->admin_ok = step_probe_has(probe, "admin=PONG");
	st->acl_open = step_probe_has(probe, "acl=OK");
	st->noauth_refused = step_probe_has(probe, "noauth=NOAUTH");
	if (st->active)
		compare_live(st, probe);
	free(probe);
	return 0;
}

/* Running, but not with the settings and password of our files. */
static int
stale(const struct redis_state *st)
{
	return st->active && (!st->auth_ok || !st->noauth_refused ||
	    !st->admin_ok || st->acl_open || st->live_differs);
}

/* Is an instance served from several machines (whose files/ differ)? */
static int
instance_on_machines(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	size_t			 i, m, n;

	for (i = 0; i < ctx->profile->ninstances; i++) {
		for (m = 0, n = 0; m < t->nnodes; m++)
			n += topo_runs_instance(t, m, i);
		if (n > 1)
			return 1;
	}
	return 0;
}

static void
redis_notes(struct step_ctx *ctx, const struct redis_state *st)
{
	if (st->bind_all)
		step_note(ctx, "Redis listens on every address: %s is not one "
		    "of %s's own; the firewall lets only the app nodes reach "
		    PORT_STR(PORT_REDIS) ", and the password is required",
		    ctx->topo->nodes[ctx->node].address, ctx->machine);
	/*
	 * Tomcats of one instance on one machine share its DHIS2_HOME, so
	 * files/ too; across machines nothing shares it yet.
	 */
	if (instance_on_machines(ctx))
		step_note(ctx, "NOT BUILT: DHIS2's files/ store (uploads, "
		    "icons, data store files) is not shared between app "
		    "machines: mount one NFS export at every app machine's "
		    "DHIS2_HOME/files before users upload anything (see "
		    "docs/clustering.md)");
}

static enum result
redis_check(struct step_ctx *ctx)
{
	struct redis_state	st;

	if (redis_probe(ctx, &st) == -1) {
		redis_state_free(&st);
		return RESULT_FAILED;
	}
	redis_notes(ctx, &st);
	if (st.pkg_missing)
		step_would(ctx, "install package redis-server");
	step_files_report(ctx, &st.files);
	if (!st.pkg_missing && !st.enabled)
		step_would(ctx, "enable %s at boot", REDIS_UNIT);
	if (!st.pkg_missing && !st.active)
		step_would(ctx, "start %s", REDIS_UNIT);
	else if (st.files_differ)
		step_would(ctx, "restart %s with the new settings", REDIS_UNIT);
	else if (stale(&st))
		step_would(ctx, "restart %s: the running server is not on "
		    "our settings (%s)", REDIS_UNIT, !st.noauth_refused ?
		    "it answers without the password" : !st.auth_ok ?
		    "the password is refused" : !st.admin_ok ?
		    "no admin user" : st.acl_open ?
		    "DHIS2's user may FLUSHALL" : st.live_what);
	redis_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

/* Put back the .prev of each file written (none: remove it), restart. */
static void
redis_roll_back(struct step_ctx *ctx, int conf, int dropin)
{
	static const char script[] =
	    "for f in \"$@\"; do\n"
	    "  if [ -f \"$f.prev\" ]; then mv -f \"$f.prev\" \"$f\"; "
	    "else rm -f \"$f\"; fi\n"
	    "done\n"
	    "systemctl daemon-reload\n"
	    "systemctl restart redis-server\n";
	struct step_args	 a = { NULL, 0 };

	if (conf)
		step_args_add(&a, REDIS_CONF);
	if (dropin)
		step_args_add(&a, REDIS_DROPIN);
	step_probe_runv(ctx, NULL, script, a.v);
	step_args_free(&a);
}

static enum result
redis_apply(struct step_ctx *ctx)
{
	struct redis_state	 st;
	static const char *const pkgs[] = { "redis-server", NULL };
	const struct step_file	*conf, *dropin;
	int			 restart;

	if (redis_probe(ctx, &st) == -1)
		goto failed;
	if (st.pkg_missing) {
		if (step_apt_install(ctx, pkgs) != 0)
			goto failed;
		/* The package started its own server: look again. */
		redis_state_free(&st);
		if (redis_probe(ctx, &st) == -1)
			goto failed;
	}
	conf = &st.files.v[CONF];
	dropin = &st.files.v[DROPIN];
	if (dropin->differs && (step_run(ctx, (char *[]){ "install", "-d",
	    "-m", "0755", REDIS_DROPIN_DIR, NULL }, NULL, 0) != 0 ||
	    step_file_apply(ctx, dropin) == -1))
		goto failed;
	if (conf->differs && step_file_apply(ctx, conf) == -1)
		goto failed;
	if (dropin->differs && step_run(ctx, (char *[]){ "systemctl",
	    "daemon-reload", NULL }, NULL, 0) != 0) {
		step_fail(ctx, "systemctl daemon-reload failed");
		goto failed;
	}
	if (!st.enabled && step_run(ctx, (char *[]){ "systemctl", "enable",
	    "--quiet", REDIS_UNIT, NULL }, NULL, 0) != 0) {
		step_fail(ctx, "cannot enable %s", REDIS_UNIT);
		goto failed;
	}
	/* Restart only for a change: a converged server keeps its clients. */
	restart = !st.active || st.files_differ || stale(&st);
	if (restart && step_run(ctx, (char *[]){ "systemctl", "restart",
	    REDIS_UNIT, NULL }, NULL, 0) != 0) {
		redis_roll_back(ctx, conf->differs, dropin->differs);
		step_fail(ctx, "Redis did not start with the new settings (see "
		    "journalctl -u %s and /var/log/redis); the previous ones "
		    "were put back", REDIS_UNIT);
		goto failed;
	}
	redis_state_free(&st);
	return RESULT_CHANGED;
failed:
	redis_state_free(&st);
	return RESULT_FAILED;
}

/*
 * A fresh probe must find nothing to do: the server running, enabled,
 * answering PING with the password (a real AUTH) and NOAUTH without,
 * with our keyspace events, bind and memory bound.  The app nodes' own
 * AUTH and PING, with dhis.conf's values, is the verify step's.
 */
static enum result
redis_verify(struct step_ctx *ctx)
{
	struct redis_state	st;
	const char		*why = NULL;

	if (redis_probe(ctx, &st) == -1) {
		redis_state_free(&st);
		return RESULT_FAILED;
	}
	if (st.pkg_missing)
		why = "redis-server is not installed";
	else if (st.files_differ)
		why = "its files are not as written";
	else if (!st.active)
		why = "it does not run";
	else if (!st.enabled)
		why = "it does not start at boot";
	else if (!st.auth_ok)
		why = "PING with the password gets no PONG";
	else if (!st.noauth_refused)
		why = "it answers without the password";
	else if (!st.admin_ok)
		why = "PING as " REDIS_ADMIN " gets no PONG";
	else if (st.acl_open)
		why = "DHIS2's user may FLUSHALL";
	else if (st.live_differs)
		why = st.live_what;
	if (why != NULL) {
		step_fail(ctx, "Redis on %s is not as wanted after apply: %s%s",
		    ctx->machine, why, st.live_differs && why == st.live_what ?
		    " differs in the running server" : "");
		redis_state_free(&st);
		return RESULT_FAILED;
	}
	redis_state_free(&st);
	return RESULT_CHANGED;
}

/*
 * Redis as DHIS2 reaches it: redis.host, port and password from the text
 * of dhis.conf (verify reads it; path is for messages), from the
 * application machine, a real AUTH then PING in RESP (bash's /dev/tcp: no
 * client to install).  The password goes on stdin into a shell variable
 * and out through printf, a builtin: no argv holds it.
 */
int
redis_reachable(struct step_ctx *ctx, const char *path, const char *conf)
{
	static const char script[] =
	    "IFS= read -r pw\n"
	    "LC_ALL=C\n"
	    "exec 3<>\"/dev/tcp/$1/$2\" || { echo \"no connection to $1:$2\"; "
	    "exit 1; }\n"
	    "printf '*2\\r\\n$4\\r\\nAUTH\\r\\n$%d\\r\\n%s\\r\\n*1\\r\\n$4\\r\\n"
	    "PING\\r\\n' \"${#pw}\" \"$pw\" >&3\n"
	    "IFS= read -r -t 10 a <&3; IFS= read -r -t 10 b <&3\n"
	    "a=${a%$'\\r'} b=${b%$'\\r'}\n"
	    "[ \"$a\" = +OK ] && [ \"$b\" = +PONG ] && { echo PONG; exit 0; }\n"
	    "echo \"AUTH: ${a:-no answer}; PING: ${b:-no answer}\"\n"
	    "exit 1\n";
	struct transport_output	 o;
	char			*err = NULL, *host, *port, *pw, *input;
	char			*out = NULL;
	size_t			 outlen = 0;
	int			 rc = -1;

	host = step_conf_value(conf, "redis.host");
	port = step_conf_value(conf, "redis.port");
	pw = step_conf_value(conf, "redis.password");
	if (host == NULL || pw == NULL) {
		step_fail(ctx, "%s lacks redis.host or redis.password", path);
		goto out;
	}
	{
		char	*argv[] = { "timeout", "20", "bash", "-c",
			    (char *)script, "bash", host,
			    port ? port : PORT_STR(PORT_REDIS),
			    NULL };

		xasprintf(&input, "%s\n", pw);
		memset(&o, 0, sizeof o);
		o.capture = &out;
		o.capture_len = &outlen;
		rc = transport_run(ctx->t, argv, input, strlen(input), &o,
		    &err);
		secure_wipe(input, strlen(input));
		free(input);
	}
	if (rc == 0 && out != NULL && strncmp(out, "PONG", 4) == 0)
		rc = 0;
	else {
		step_fail(ctx, "Redis at %s:%s from %s with dhis.conf's "
		    "password: %s", host, port ? port : PORT_STR(PORT_REDIS),
		    ctx->machine,
		    out != NULL && *out ? out : "no answer");
		rc = -1;
	}
out:
	if (pw != NULL)
		secure_wipe(pw, strlen(pw));
	free(pw);
	free(port);
	free(host);
	free(out);
	free(err);
	return rc;
}

static const char *const redis_after[] = { "base", NULL };

/* The server, for one apt transaction per machine. */
static void
redis_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	step_pkgs_add(sp, "redis-server");
}

const struct step step_redis = {
	.name = "redis",
	.roles = ROLE_BIT(ROLE_REDIS),
	.summary = "Redis for clustered instances: password, DHIS2's user "
	    "without @dangerous commands, keyspace events for cache "
	    "invalidation, bounded LRU memory, bound to the app nodes' side "
	    "only; restarted only on a change",
	.after = redis_after,
	.check = redis_check,
	.apply = redis_apply,
	.verify = redis_verify,
	.packages = redis_packages,
};
