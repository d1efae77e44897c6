/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * What the wizard finds out for the operator while asking: the SSH
 * connection test with the host key to confirm, the DHIS2 versions from
 * stable.json, the PostgreSQL tuning from the database machine's RAM, the
 * disks that could be encrypted, a test alert, and the plan on the review.
 * Each uses the engine's own code (transports, facts, releases, tuning,
 * planner), so that what the wizard shows is what apply will do.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_test.h"
#include "core.h"
#include "planner.h"
#include "profile.h"
#include "releases.h"
#include "secrets.h"
#include "step.h"
#include "transport.h"
#include "sizing.h"
#include "topology.h"
#include "tui.h"
#include "tuning.h"

#define LOOKUP_CONNECT_TIMEOUT	5	/* seconds: the operator is waiting */
#define EXAMPLE_RAM_MB		8192	/* a database server, shown unprobed */

/*
 * The profile's known_hosts file, as the planner finds it: relative to
 * the profile's folder.  A wizard that tests a machine gives the profile
 * one ("known_hosts" beside it) so that the keys confirmed here are the
 * ones apply trusts.
 */
char *
wizard_known_hosts(struct wizard *w)
{
	if (w->p.known_hosts == NULL)
		w->p.known_hosts = xstrdup("known_hosts");
	return path_beside(w->output, w->p.known_hosts);
}

struct key_ask {
	struct wizard	*w;
	const char	*kh;
};

static int
confirm_key(void *arg, const char *host, int port, const char *fp)
{
	struct key_ask	*ka = arg;
	char		*text;
	int		 yes;

	xasprintf(&text, "%s port %d is not in %s yet. It offers the host "
	    "key\n\n  %s\n\nCompare it with the machine's own, on its "
	    "console:\n  ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\n"
	    "Same key? Yes records it; No stops here.", host, port, ka->kh,
	    fp);
	yes = ka->w->fe->ask(ka->w, "Confirm the host key", text);
	free(text);
	return yes;
}

static const char lsblk_script[] =
    "command -v lsblk >/dev/null 2>&1 || exit 0\n"
    "lsblk -J -o NAME,PATH,SIZE,TYPE,MOUNTPOINT 2>/dev/null || true\n";

static char *
probe_disks(struct transport *t)
{
	char	*argv[] = { "sh", "-c", (char *)lsblk_script, NULL };
	char	*out = NULL, *err = NULL;

	if (transport_capture(t, argv, &out, &err) != 0) {
		free(out);
		out = NULL;
	}
	free(err);
	return out;
}

/* Machines screen: reach the machine as apply will, show what it is. */
void
act_test_machine(struct wizard *w, size_t idx)
{
	struct machine		*m = &w->p.machines[idx];
	struct ssh_target	 st;
	struct transport	*t;
	struct key_ask		 ka;
	struct facts		 f;
	char			*kh, *key, *err = NULL, *text;

	if (m->address == NULL) {
		w->fe->message(w, "Connection test", "Give the address first.");
		return;
	}
	kh = wizard_known_hosts(w);
	key = path_expand_home(m->ssh_key);
	ka.w = w;
	ka.kh = kh;
	memset(&st, 0, sizeof st);
	st.host = m->address;
	st.port = m->ssh_port > 0 ? m->ssh_port : 22;
	st.user = m->ssh_user != NULL ? m->ssh_user : "root";
	st.key = key;
	st.known_hosts = kh;
	st.confirm = confirm_key;
	st.confirm_arg = &ka;
	t = transport_ssh_new(m->name, &st);
	memset(&f, 0, sizeof f);
	if (transport_open(t, &err) != 0 || facts_probe(&f, t, &err) != 0) {
		xasprintf(&text, "%s@%s port %d: not reached.\n\n%s", st.user,
		    m->address, st.port, err != NULL ? err : "(no reason given)");
		w->fe->message(w, "Connection test failed", text);
	} else {
		facts_free(&w->facts[idx]);
		w->facts[idx] = f;
		free(w->disks[idx]);
		w->disks[idx] = probe_disks(t);
		xasprintf(&text, "Connected to %s@%s port %d.\n\n"
		    "  host name  %s\n  system     %s\n  memory     %lld MB\n"
		    "  CPUs       %d\n  free on /  %lld MB\n\n"
		    "Its host key is in %s; apply trusts that file.", st.user,
		    m->address, st.port, w->facts[idx].hostname,
		    w->facts[idx].os_pretty, w->facts[idx].mem_mb,
		    w->facts[idx].cpus, w->facts[idx].disk_free_mb, kh);
		w->fe->message(w, "Connection test: OK", text);
	}
	free(text);
	free(err);
	transport_free(t);
	free(key);
	free(kh);
}

/* --- versions ------------------------------------------------------- */

static void
releases_reset(struct wizard *w)
{
	if (w->rel_state == 1)
		releases_free(&w->rel);
	memset(&w->rel, 0, sizeof w->rel);
	w->rel_state = 0;
	free(w->rel_from);
	w->rel_from = NULL;
	w->rel_err[0] = '\0';
}

static const char *
releases_where(struct wizard *w)
{
	if (w->p.releases.file != NULL)
		return w->p.releases.file;
	return w->p.releases.url != NULL ? w->p.releases.url :
	    RELEASES_URL_DEFAULT;
}

/* Load the versions from where the profile says, once per source. */
static int
releases_lookup(struct wizard *w)
{
	struct rel_source	 src;
	const char		*where = releases_where(w);

	if (w->rel_state != 0 && w->rel_from != NULL &&
	    strcmp(w->rel_from, where) == 0)
		return w->rel_state;
	releases_reset(w);
	memset(&src, 0, sizeof src);
	src.url = w->p.releases.url;
	src.mirror = w->p.releases.mirror;
	src.file = w->p.releases.file;
	src.connect_timeout = LOOKUP_CONNECT_TIMEOUT;
	src.stall_timeout = LOOKUP_CONNECT_TIMEOUT;
	w->rel_from = xstrdup(where);
	if (releases_load(&w->rel, &src, w->rel_err, sizeof w->rel_err) ==
	    REL_OK)
		w->rel_state = 1;
	else {
		memset(&w->rel, 0, sizeof w->rel);
		w->rel_state = -1;
	}
	return w->rel_state;
}

/* "2.42 (2.42.1)  2.41 (2.41.3) ..." */
static char *
versions_line(struct wizard *w)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	char		*one;
	size_t		 i;

	strbuf_add(&sb, "", 0);
	for (i = 0; i < w->rel.nmajors; i++) {
		const struct dhis2_major *mj = &w->rel.majors[i];
		const char	*latest = NULL;
		size_t		 k;

		for (k = 0; k < mj->npatches; k++) {
			if (latest == NULL || dhis2_version_cmp(
			    mj->patches[k].name, latest) > 0)
				latest = mj->patches[k].name;
		}
		xasprintf(&one, "%s%s (%s)", i ? "  " : "", mj->name,
		    latest != NULL ? latest : "-");
		strbuf_add(&sb, one, strlen(one));
		free(one);
	}
	return sb.buf;
}

char *
info_instance(struct wizard *w, size_t idx)
{
	char	*line, *out;

	(void)idx;
	/* A local file costs nothing: read it; the network only on asking. */
	if (w->p.releases.file != NULL)
		releases_lookup(w);
	else if (w->rel_state != 0 && (w->rel_from == NULL ||
	    strcmp(w->rel_from, releases_where(w)) != 0))
		releases_reset(w);
	if (w->rel_state == 1) {
		line = versions_line(w);
		xasprintf(&out, "Versions in %s: %s", w->rel_from, line);
		free(line);
		return out;
	}
	if (w->rel_state == -1) {
		xasprintf(&out, "No version list (%s): type the version.",
		    w->rel_err);
		return out;
	}
	return xstrdup("Versions: press Versions to look them up, or type "
	    "one. A WAR file on this machine replaces the download.");
}

void
act_versions(struct wizard *w, size_t idx)
{
	char	*line, *text;

	(void)idx;
	if (w->rel_state == -1)
		releases_reset(w);	/* asked again: try again */
	if (releases_lookup(w) != 1) {
		xasprintf(&text, "The versions could not be looked up from "
		    "%s:\n%s\n\nType the version (like 2.41 or 2.41.3), or give "
		    "a WAR file.", w->rel_from, w->rel_err);
		w->fe->message(w, "Versions", text);
		free(text);
		return;
	}
	line = versions_line(w);
	xasprintf(&text, "From %s (major, latest patch):\n\n%s\n\nA major "
	    "like 2.41 takes its latest patch; 2.41.3 pins one.", w->rel_from,
	    line);
	w->fe->message(w, "Versions", text);
	free(line);
	free(text);
}

/* With a version list at hand, a version must be in it. */
const char *
check_version_listed(struct wizard *w, const char *v)
{
	struct dhis2_release	 r;
	char			 err[REL_ERRBUF_SIZE];

	if (w->rel_state != 1)
		return NULL;
	memset(&r, 0, sizeof r);
	if (releases_resolve(&w->rel, v, NULL, &r, err, sizeof err) ==
	    REL_OK) {
		release_free(&r);
		return NULL;
	}
	snprintf(w->err, sizeof w->err, "not in the list: %.200s", err);
	return w->err;
}

/* --- the database machine ------------------------------------------- */

/*
 * The facts of the machine the database goes on (NULL: not probed), and
 * its node for the sizing: the roles it plays there.
 */
static const struct facts *
db_facts(struct wizard *w, const char **where, struct topo_node *n)
{
	struct transport	*t;
	char			*err = NULL;
	size_t			 i;

	memset(n, 0, sizeof *n);
	n->roles = ROLE_BIT(ROLE_DATABASE);
	n->instance = TOPO_NONE;
	if (w->p.isolation == ISOLATION_MACHINES) {
		for (i = 0; i < w->p.nmachines && i < TUI_MAX_MACHINES; i++) {
			if (!(w->p.machines[i].roles &
			    ROLE_BIT(ROLE_DATABASE)))
				continue;
			*where = w->p.machines[i].name;
			n->roles = w->p.machines[i].roles;
			return w->facts[i].probed ? &w->facts[i] : NULL;
		}
		*where = "the database machine";
		return NULL;
	}
	*where = "this machine";
	if (!w->local_probed) {
		w->local_probed = 1;
		t = transport_local_new("local");
		facts_probe(&w->local, t, &err);
		w->local_disks = probe_disks(t);
		free(err);
		transport_free(t);
	}
	return w->local.probed ? &w->local : NULL;
}

char *
info_database(struct wizard *w, size_t idx)
{
	const struct facts	*f;
	const char		*where;
	struct topo_node	 n;
	struct sizing		 sz;
	struct pg_settings	 s;
	int			 probed;
	char			*out;

	(void)idx;
	f = db_facts(w, &where, &n);
	probed = f != NULL && f->mem_mb > 0;
	/* Unprobed, the screen shows an example server, not the default. */
	sizing_node(&sz, &w->p, &n, probed ? f->mem_mb : EXAMPLE_RAM_MB);
	pg_settings_derive(sz.db_mb, &w->p.database.tuning, &s);
	xasprintf(&out, "%s %lld MB RAM (%s), %lld MB for PostgreSQL:\n"
	    "shared_buffers %lldMB  work_mem %lldMB  maintenance_work_mem "
	    "%lldMB\neffective_cache_size %lldMB  max_connections %d",
	    probed ? "Tuning from" : "Not probed yet (Test on the Machine "
	    "screen); e.g. with", sz.ram_mb, probed ? where : "example",
	    sz.db_mb, s.shared_buffers_mb, s.work_mem_mb,
	    s.maintenance_work_mem_mb, s.effective_cache_size_mb,
	    s.max_connections);
	return out;
}

/* --- disks ------------------------------------------------------------ */

static int
in_use(struct json_object *dev)
{
	struct json_object	*mp, *kids;
	size_t			 i;

	if (json_object_object_get_ex(dev, "mountpoint", &mp) &&
	    json_object_get_type(mp) == json_type_string)
		return 1;
	if (json_object_object_get_ex(dev, "children", &kids) &&
	    json_object_get_type(kids) == json_type_array) {
		for (i = 0; i < json_object_array_length(kids); i++) {
			if (in_use(json_object_array_get_idx(kids, i)))
				return 1;
		}
	}
	return 0;
}

static const char *
jstr(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    json_object_get_type(v) != json_type_string)
		return "";
	return json_object_get_string(v);
}

/*
 * Walk the disks of the database machine: each disk once, with whether
 * it (or a partition of it) is mounted.  Returns the count, -1 when the
 * machine's disks are not known.
 */
static int
each_disk(struct wizard *w, void (*fn)(void *, const char *, const char *,
    int), void *arg)
{
	const char		*json = NULL, *where;
	struct json_object	*root, *devs, *d;
	struct topo_node	 node;
	size_t			 i;
	int			 n = 0;

	if (w->p.isolation == ISOLATION_MACHINES) {
		for (i = 0; i < w->p.nmachines && i < TUI_MAX_MACHINES; i++) {
			if (w->p.machines[i].roles & ROLE_BIT(ROLE_DATABASE)) {
				json = w->disks[i];
				break;
			}
		}
	} else {
		(void)db_facts(w, &where, &node);
		json = w->local_disks;
	}
	if (json == NULL || (root = json_tokener_parse(json)) == NULL)
		return -1;
	if (!json_object_object_get_ex(root, "blockdevices", &devs) ||
	    json_object_get_type(devs) != json_type_array) {
		json_object_put(root);
		return -1;
	}
	for (i = 0; i < json_object_array_length(devs); i++) {
		d = json_object_array_get_idx(devs, i);
		if (strcmp(jstr(d, "type"), "disk") != 0 ||
		    strcmp(jstr(d, "size"), "0B") == 0)
			continue;
		fn(arg, jstr(d, "path"), jstr(d, "size"), in_use(d));
		n++;
	}
	json_object_put(root);
	return n;
}

static void
add_disk_line(void *arg, const char *path, const char *size, int used)
{
	struct strbuf	*sb = arg;
	char		*line;

	xasprintf(&line, "%s%s %s%s", sb->len ? ", " : "", path, size,
	    used ? " (in use)" : "");
	strbuf_add(sb, line, strlen(line));
	free(line);
}

char *
info_encryption(struct wizard *w, size_t idx)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	const char	*where = "this machine";
	char		*out;
	int		 n;

	(void)idx;
	strbuf_add(&sb, "", 0);
	n = each_disk(w, add_disk_line, &sb);
	if (w->p.isolation == ISOLATION_MACHINES)
		where = "the database machine";
	if (n == -1)
		xasprintf(&out, "The disks of %s are not known (Test it on the "
		    "Machine screen): the device is checked when apply runs.",
		    where);
	else if (n == 0)
		xasprintf(&out, "%s has no disk to encrypt.", where);
	else
		xasprintf(&out, "Disks of %s: %s", where, sb.buf);
	free(sb.buf);
	return out;
}

struct disk_find {
	const char	*dev;
	int		 found;
	int		 used;
};

static void
find_disk(void *arg, const char *path, const char *size, int used)
{
	struct disk_find	*df = arg;

	(void)size;
	if (strcmp(path, df->dev) == 0) {
		df->found = 1;
		df->used = used;
	}
}

/* With the disks known, the device must be one of them and unused. */
const char *
check_disk(struct wizard *w, const char *dev)
{
	struct disk_find	df = { dev, 0, 0 };

	if (each_disk(w, find_disk, &df) == -1)
		return NULL;
	if (!df.found)
		return "not a disk of that machine";
	if (df.used)
		return "in use (mounted): pick another";
	return NULL;
}

/* --- a test alert ------------------------------------------------------ */

/* Alerting screen: one test message on every channel chosen (alert_test.c). */
void
act_test_alert(struct wizard *w, size_t idx)
{
	struct secrets	 s;
	struct diag	 d;
	char		*path, *text;
	int		 loaded;

	(void)idx;
	free(w->p.path);
	w->p.path = xstrdup(w->output);
	secrets_init(&s);
	diag_init(&d);
	path = profile_secrets_path(&w->p);
	loaded = secrets_load(&s, path, &d) == 0;
	text = alert_test_or_direct(&w->p, loaded ? &s : NULL);
	w->fe->message(w, "Test alert", text);
	free(text);
	free(path);
	diag_free(&d);
	secrets_free(&s);
}

/* --- the review's plan ------------------------------------------------- */

/*
 * What will change on which machine: the steps the planner lays out for
 * each machine.  Machines are not reached here (they may not exist yet);
 * 'dhis2-setup plan' checks each step against the machine.
 */
char *
plan_text(struct wizard *w)
{
	struct strbuf	 sb = { NULL, 0, 0 };
	struct plan	 pl;
	char		*err = NULL, *line;
	size_t		 i, k;

	strbuf_add(&sb, "", 0);
	free(w->p.path);
	w->p.path = xstrdup(w->output);
	if (plan_build(&pl, &w->p, &err) == -1) {
		xasprintf(&line, "No plan: %s\n", err);
		strbuf_add(&sb, line, strlen(line));
		free(line);
		free(err);
		return sb.buf;
	}
	for (i = 0; i < pl.nmachines; i++) {
		xasprintf(&line, "  %s (%s):", pl.machines[i].name,
		    pl.machines[i].kind == PLAN_LOCAL ? "this machine" :
		    pl.machines[i].kind == PLAN_SSH ? "over SSH" :
		    "LXC container");
		strbuf_add(&sb, line, strlen(line));
		free(line);
		for (k = 0; k < pl.nsteps; k++) {
			if (pl.steps[k].machine != i)
				continue;
			strbuf_add(&sb, " ", 1);
			strbuf_add(&sb, pl.steps[k].step->name,
			    strlen(pl.steps[k].step->name));
		}
		strbuf_add(&sb, "\n", 1);
	}
	plan_free(&pl);
	return sb.buf;
}

void
wizard_actions_free(struct wizard *w)
{
	size_t	i;

	for (i = 0; i < TUI_MAX_MACHINES; i++) {
		facts_free(&w->facts[i]);
		free(w->disks[i]);
		w->disks[i] = NULL;
	}
	facts_free(&w->local);
	free(w->local_disks);
	w->local_disks = NULL;
	releases_reset(w);
}
