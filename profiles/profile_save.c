/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Writes a profile back as YAML, in one fixed order and block style, so
 * that a saved profile diffs cleanly against the last one.  libyaml's
 * emitter does the quoting: a value is never pasted into YAML by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "core.h"
#include "profile.h"

struct saver {
	yaml_emitter_t	 em;
	struct strbuf	 out;
	int		 failed;
};

/* libyaml's output callback; also used by secrets.c. */
int
yaml_strbuf_writer(void *data, unsigned char *bytes, size_t size)
{
	strbuf_add(data, bytes, size);
	return 1;
}

static void
emit(struct saver *s, yaml_event_t *ev)
{
	if (s->failed)
		return;
	if (!yaml_emitter_emit(&s->em, ev))
		s->failed = 1;
}

static void
scalar(struct saver *s, const char *v)
{
	yaml_event_t	ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v,
	    strlen(v), 1, 1, YAML_ANY_SCALAR_STYLE);
	emit(s, &ev);
}

static void
map_start(struct saver *s)
{
	yaml_event_t	ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE);
	emit(s, &ev);
}

static void
map_end(struct saver *s)
{
	yaml_event_t	ev;

	yaml_mapping_end_event_initialize(&ev);
	emit(s, &ev);
}

static void
seq_start(struct saver *s, int flow)
{
	yaml_event_t	ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	emit(s, &ev);
}

static void
seq_end(struct saver *s)
{
	yaml_event_t	ev;

	yaml_sequence_end_event_initialize(&ev);
	emit(s, &ev);
}

/* key: value, skipped when the value is unset. */
static void
kv(struct saver *s, const char *key, const char *value)
{
	if (value == NULL)
		return;
	scalar(s, key);
	scalar(s, value);
}

static void
kv_int(struct saver *s, const char *key, long long v)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%lld", v);
	kv(s, key, buf);
}

static void
kv_bool(struct saver *s, const char *key, int v)
{
	kv(s, key, v ? "true" : "false");
}

/* Sizes in the largest whole unit, as an operator would write them. */
static void
kv_size(struct saver *s, const char *key, long long mb)
{
	char	buf[32];

	if (mb == 0)
		return;
	if (mb % (1024 * 1024) == 0)
		snprintf(buf, sizeof buf, "%lldTB", mb / (1024 * 1024));
	else if (mb % 1024 == 0)
		snprintf(buf, sizeof buf, "%lldGB", mb / 1024);
	else
		snprintf(buf, sizeof buf, "%lldMB", mb);
	kv(s, key, buf);
}

static void
save_tls(struct saver *s, const struct tls *t)
{
	scalar(s, "tls");
	map_start(s);
	kv(s, "mode", tls_mode_name(t->mode));
	kv(s, "email", t->email);
	kv(s, "cert", t->cert);
	kv(s, "key", t->key);
	kv(s, "chain", t->chain);
	kv(s, "acme_server", t->acme_server);
	map_end(s);
}

static void
save_lxc(struct saver *s, const struct lxc_opts *x)
{
	if (x->bridge == NULL && x->subnet == NULL && x->release == NULL &&
	    x->prefix == NULL && x->mirror == NULL &&
	    x->security_mirror == NULL)
		return;
	scalar(s, "lxc");
	map_start(s);
	kv(s, "bridge", x->bridge);
	kv(s, "subnet", x->subnet);
	kv(s, "release", x->release);
	kv(s, "prefix", x->prefix);
	kv(s, "mirror", x->mirror);
	kv(s, "security_mirror", x->security_mirror);
	map_end(s);
}

static void
save_releases(struct saver *s, const struct releases_opts *r)
{
	if (r->url == NULL && r->mirror == NULL && r->file == NULL)
		return;
	scalar(s, "releases");
	map_start(s);
	kv(s, "url", r->url);
	kv(s, "mirror", r->mirror);
	kv(s, "file", r->file);
	map_end(s);
}

static void
save_machine(struct saver *s, const struct machine *m)
{
	int	r;

	map_start(s);
	kv(s, "name", m->name);
	kv(s, "address", m->address);
	scalar(s, "roles");
	seq_start(s, 1);
	for (r = 0; r < ROLE_COUNT; r++) {
		if (m->roles & ROLE_BIT(r))
			scalar(s, role_name(r));
	}
	seq_end(s);
	if (m->ssh_user != NULL || m->ssh_port != 22 || m->ssh_key != NULL) {
		scalar(s, "ssh");
		map_start(s);
		kv(s, "user", m->ssh_user);
		if (m->ssh_port != 22)
			kv_int(s, "port", m->ssh_port);
		kv(s, "key", m->ssh_key);
		map_end(s);
	}
	map_end(s);
}

static void
save_instance(struct saver *s, const struct instance *in)
{
	map_start(s);
	kv(s, "name", in->name);
	kv(s, "version", in->version);
	if (in->war_source != WAR_RELEASE) {
		scalar(s, "war");
		map_start(s);
		kv(s, "url", in->war_url);
		kv(s, "sha256", in->war_sha256);
		kv(s, "file", in->war_file);
		map_end(s);
	}
	kv(s, "base_path", in->base_path);
	kv_int(s, "nodes", in->nodes);
	if (in->heap_mb == 0)
		kv(s, "heap", "auto");
	else
		kv_size(s, "heap", in->heap_mb);
	kv(s, "database", in->database);
	map_end(s);
}

static void
save_database(struct saver *s, const struct database *d)
{
	const struct db_tuning *t = &d->tuning;

	scalar(s, "database");
	map_start(s);
	kv_int(s, "version", d->version);
	if (t->auto_tune)
		kv(s, "tuning", "auto");
	else {
		scalar(s, "tuning");
		map_start(s);
		kv_size(s, "shared_buffers", t->shared_buffers_mb);
		kv_size(s, "work_mem", t->work_mem_mb);
		kv_size(s, "maintenance_work_mem", t->maintenance_work_mem_mb);
		kv_size(s, "effective_cache_size", t->effective_cache_size_mb);
		if (t->max_connections != 0)
			kv_int(s, "max_connections", t->max_connections);
		map_end(s);
	}
	kv_int(s, "replicas", d->replicas);
	kv(s, "data_path", d->data_path);
	map_end(s);
}

static void
save_alerting(struct saver *s, const struct alerting *a)
{
	if (a->email == NULL && a->smarthost == NULL && !a->telegram &&
	    !a->slack)
		return;
	scalar(s, "alerting");
	map_start(s);
	kv(s, "email", a->email);
	kv(s, "smarthost", a->smarthost);
	if (a->telegram) {
		scalar(s, "telegram");
		map_start(s);
		kv(s, "chat_id", a->telegram_chat);
		map_end(s);
	}
	if (a->slack)
		kv_bool(s, "slack", 1);
	map_end(s);
}

static void
save_encryption(struct saver *s, const struct encryption *e)
{
	if (e->device == NULL && !e->swap)
		return;
	scalar(s, "encryption");
	map_start(s);
	kv(s, "device", e->device);
	kv_bool(s, "swap", e->swap);
	map_end(s);
}

static void
save_backups(struct saver *s, const struct backups *b)
{
	scalar(s, "backups");
	map_start(s);
	kv_bool(s, "enabled", b->enabled);
	kv(s, "schedule", b->schedule);
	kv_int(s, "retention_days", b->retention_days);
	kv(s, "target", b->target);
	map_end(s);
}

static void
save_profile(struct saver *s, const struct profile *p)
{
	size_t	i;

	map_start(s);
	kv_int(s, "version", p->version);
	kv(s, "hosting", hosting_name(p->hosting));
	kv(s, "isolation", isolation_name(p->isolation));
	kv(s, "fqdn", p->fqdn);
	kv(s, "admin_network", p->admin_network);
	kv(s, "timezone", p->timezone);
	kv(s, "secrets", p->secrets_file);
	kv(s, "known_hosts", p->known_hosts);
	kv(s, "proxy", proxy_name(p->proxy));
	save_tls(s, &p->tls);
	save_lxc(s, &p->lxc);
	save_releases(s, &p->releases);
	if (p->nmachines > 0) {
		scalar(s, "machines");
		seq_start(s, 0);
		for (i = 0; i < p->nmachines; i++)
			save_machine(s, &p->machines[i]);
		seq_end(s);
	}
	if (p->ninstances > 0) {
		scalar(s, "instances");
		seq_start(s, 0);
		for (i = 0; i < p->ninstances; i++)
			save_instance(s, &p->instances[i]);
		seq_end(s);
	}
	save_database(s, &p->database);
	if (p->redis) {
		scalar(s, "clustering");
		map_start(s);
		kv_bool(s, "redis", 1);
		map_end(s);
	}
	kv(s, "monitoring", monitoring_name(p->monitoring));
	save_alerting(s, &p->alerting);
	save_encryption(s, &p->encryption);
	save_backups(s, &p->backups);
	map_end(s);
}

/* The profile as YAML text (NUL-terminated); NULL if libyaml failed. */
char *
profile_save_buffer(const struct profile *p, size_t *lenp)
{
	struct saver	 s;
	yaml_event_t	 ev;

	memset(&s, 0, sizeof s);
	if (!yaml_emitter_initialize(&s.em))
		fatalx("out of memory initialising the YAML emitter");
	yaml_emitter_set_output(&s.em, yaml_strbuf_writer, &s.out);
	yaml_emitter_set_unicode(&s.em, 1);
	yaml_emitter_set_width(&s.em, 78);
	yaml_emitter_set_indent(&s.em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&s, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&s, &ev);
	save_profile(&s, p);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&s, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&s, &ev);
	yaml_emitter_delete(&s.em);
	if (s.failed) {
		free(s.out.buf);
		return NULL;
	}
	if (lenp != NULL)
		*lenp = s.out.len;
	return s.out.buf;
}

/*
 * Save atomically, keeping the previous profile as PATH.prev so that an
 * operator can see what the last save changed.  *errp gets a message.
 */
int
profile_save_file(const struct profile *p, const char *path, char **errp)
{
	static const char header[] = "# dhis2-setup profile: see "
	    "docs/profile.md. Secrets are not here: they are in the secrets "
	    "file.\n";
	char	*yaml, *all, *prev;
	size_t	 len;
	int	 rc;

	*errp = NULL;
	if ((yaml = profile_save_buffer(p, &len)) == NULL) {
		xasprintf(errp, "%s: cannot write the profile as YAML", path);
		return -1;
	}
	xasprintf(&all, "%s%s", header, yaml);
	free(yaml);
	xasprintf(&prev, "%s.prev", path);
	/* A hard link keeps the old file while the new one replaces it. */
	(void)unlink(prev);
	if (access(path, F_OK) == 0 && link(path, prev) == -1) {
		xasprintf(errp, "%s: cannot keep the previous version: %s",
		    path, strerror(errno));
		free(prev);
		free(all);
		return -1;
	}
	free(prev);
	rc = write_file_atomic(path, all, strlen(all), 0644);
	if (rc == -1)
		xasprintf(errp, "%s: %s", path, strerror(errno));
	free(all);
	return rc;
}
