/*
 * Unit tests of the profile: load -> save -> load gives an equal profile
 * for every example and good case, saving is stable and gives the bytes
 * in tests/profiles/saved, secrets are generated, refused when readable,
 * and never land in the profile.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "feature.h"
#include "profile.h"
#include "secrets.h"

static const char *
srcdir(void)
{
	const char	*s = getenv("top_srcdir");

	return s != NULL ? s : ".";
}

static int
load_ok(struct profile *p, const char *path)
{
	struct diag	d;
	int		rc;

	diag_init(&d);
	rc = profile_load_file(p, path, &d);
	if (rc == 0)
		rc = profile_check(p, &d, NULL);
	if (rc != 0)
		diag_print(&d, stderr);
	diag_free(&d);
	return rc;
}

static void
round_trip(const char *path)
{
	struct profile	 a, b;
	struct diag	 d;
	char		*yaml, *again;
	size_t		 len;

	assert_int_equal(load_ok(&a, path), 0);
	yaml = profile_save_buffer(&a, &len);
	assert_non_null(yaml);
	diag_init(&d);
	if (profile_load_buffer(&b, path, yaml, len, &d) != 0) {
		diag_print(&d, stderr);
		fprintf(stderr, "%s\n", yaml);
		fail_msg("saved form of %s does not load", path);
	}
	diag_free(&d);
	if (!profile_equal(&a, &b))
		fail_msg("%s changed through save and load:\n%s", path, yaml);
	/* Saving the reloaded profile gives the same bytes: clean diffs. */
	again = profile_save_buffer(&b, NULL);
	assert_string_equal(yaml, again);
	free(yaml);
	free(again);
	profile_free(&a);
	profile_free(&b);
}

/*
 * Calls fn on every .yaml file in dir; returns how many there were.
 */
static int
each_yaml(const char *dir, void (*fn)(const char *path, const char *name))
{
	DIR		*d;
	struct dirent	*e;
	char		*path;
	size_t		 len;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		fn(path, e->d_name);
		free(path);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Runs fn on every profile of the shipped examples (at least 4) and of
 * tests/profiles/good (at least 3).
 */
static void
each_good_profile(void (*fn)(const char *path, const char *name))
{
	char	*dir;

	xasprintf(&dir, "%s/profiles/examples", srcdir());
	assert_true(each_yaml(dir, fn) >= 4);
	free(dir);
	xasprintf(&dir, "%s/tests/profiles/good", srcdir());
	assert_true(each_yaml(dir, fn) >= 3);
	free(dir);
}

static void
round_trip_file(const char *path, const char *name)
{
	(void)name;
	round_trip(path);
}

static void
test_round_trip_examples(void **state)
{
	each_good_profile(round_trip_file);
}

/*
 * Saving gives, byte for byte, what tests/profiles/saved holds: the form
 * saved before the schema drove the saver.  A change there is a change
 * every operator sees in the diff of their next save.
 */
static void
saved_matches(const char *path, const char *name)
{
	struct profile	 p;
	char		*want_path, *yaml, *want;
	size_t		 len, want_len;

	xasprintf(&want_path, "%s/tests/profiles/saved/%s", srcdir(), name);
	assert_int_equal(load_ok(&p, path), 0);
	assert_non_null(yaml = profile_save_buffer(&p, &len));
	if (read_file_limited(want_path, PROFILE_MAX_BYTES, &want,
	    &want_len) == -1)
		fail_msg("%s: no saved form to compare with", want_path);
	if (len != want_len || memcmp(yaml, want, len) != 0)
		fail_msg("%s saves differently from %s:\n%s", path,
		    want_path, yaml);
	free(want);
	free(yaml);
	profile_free(&p);
	free(want_path);
}

static void
test_saved_bytes(void **state)
{
	each_good_profile(saved_matches);
}

static void
test_loaded_values(void **state)
{
	struct profile	 p;
	char		*path;
	const struct machine *m;

	xasprintf(&path, "%s/profiles/examples/clustered-replica.yaml",
	    srcdir());
	assert_int_equal(load_ok(&p, path), 0);
	assert_int_equal(p.isolation, ISOLATION_MACHINES);
	assert_int_equal(p.ninstances, 1);
	assert_int_equal(p.instances[0].nodes, 2);
	assert_int_equal(p.instances[0].heap_mb, 16 * 1024);
	assert_string_equal(p.instances[0].base_path, "/");
	assert_int_equal(p.database.version, 16);
	assert_false(p.database.tuning.auto_tune);
	assert_int_equal(p.database.tuning.shared_buffers_mb, 8192);
	assert_int_equal(p.database.tuning.max_connections, 300);
	assert_int_equal(p.database.replicas, 1);
	assert_true(p.redis);
	assert_true(p.alerting.telegram);
	assert_string_equal(p.alerting.telegram_chat, "-1009876543210");
	m = profile_machine_for_role(&p, ROLE_REPLICA);
	assert_non_null(m);
	assert_string_equal(m->name, "db2");
	m = profile_machine_for_role(&p, ROLE_REDIS);
	assert_string_equal(m->name, "app1");
	assert_int_equal(m->ssh_port, 22);
	profile_free(&p);
	free(path);
}

static void
test_defaults(void **state)
{
	static const char y[] = "version: 1\nfqdn: d.example.org\n"
	    "tls: {email: a@example.org}\ninstances:\n - name: hmis\n"
	    "   version: '2.41'\n";
	struct profile	p;
	struct diag	d;

	diag_init(&d);
	assert_int_equal(profile_load_buffer(&p, "t.yaml", y, sizeof y - 1,
	    &d), 0);
	assert_int_equal(profile_check(&p, &d, NULL), 0);
	assert_int_equal(p.proxy, PROXY_NGINX);
	assert_int_equal(p.tls.mode, TLS_LETSENCRYPT);
	assert_int_equal(p.isolation, ISOLATION_SINGLE_HOST);
	assert_string_equal(p.instances[0].base_path, "/hmis");
	assert_int_equal(p.instances[0].nodes, 1);
	assert_int_equal(p.instances[0].heap_mb, 0);
	assert_int_equal(p.instances[0].max_threads, 300);
	assert_string_equal(instance_db_name(&p.instances[0]), "hmis");
	assert_true(p.database.tuning.auto_tune);
	assert_int_equal(p.backups.retention_days, 14);
	profile_free(&p);
	diag_free(&d);
}

/*
 * What a profile asks for that no step builds is found from the schema's
 * rows (.needs, .asks), said with the key's place, and dropped for the
 * wizard while what is built stays.
 */
static void
test_unbuilt(void **state)
{
	static const char y[] = "version: 1\nfqdn: d.example.org\n"
	    "instances:\n - name: hmis\n   version: '2.41'\n   nodes: 2\n"
	    "clustering: {redis: true}\nmonitoring: munin\n"
	    "alerting: {email: ops@example.org, smarthost: smtp.example.org}\n"
	    "encryption: {device: /dev/sdb, swap: true}\n"
	    "backups: {schedule: '@daily', target: 's3://b/p'}\n";
	static const char off[] = "version: 1\nmonitoring: none\n"
	    "backups: {enabled: false, target: 's3://b/p'}\n";
	struct profile	p;
	struct diag	d;
	size_t		want;

	want = !feature_built(FEATURE_MUNIN) +
	    !feature_built(FEATURE_ENCRYPTION) +
	    !feature_built(FEATURE_BACKUPS_S3);
	diag_init(&d);
	assert_int_equal(profile_load_buffer(&p, "t.yaml", y, sizeof y - 1,
	    &d), 0);
	assert_int_equal(profile_unbuilt(&p, &d), want);
	assert_int_equal(d.n, want);
	if (!feature_built(FEATURE_MUNIN))
		assert_non_null(strstr(d.msgs[0],
		    "t.yaml:8:13: monitoring: munin is not built yet"));
	assert_int_equal(profile_drop_unbuilt(&p), want);
	assert_int_equal(profile_unbuilt(&p, NULL), 0);
	assert_int_equal(p.monitoring, feature_built(FEATURE_MUNIN) ?
	    MONITORING_MUNIN : MONITORING_NONE);
	assert_int_equal(p.encryption.device == NULL,
	    !feature_built(FEATURE_ENCRYPTION));
	assert_int_equal(p.encryption.swap, feature_built(FEATURE_ENCRYPTION));
	assert_int_equal(p.backups.target == NULL,
	    !feature_built(FEATURE_BACKUPS_S3));
	/* Built: kept as they were. */
	assert_true(p.redis);
	assert_int_equal(p.instances[0].nodes, 2);
	assert_string_equal(p.alerting.email, "ops@example.org");
	assert_string_equal(p.alerting.smarthost, "smtp.example.org");
	assert_true(p.backups.enabled);
	assert_string_equal(p.backups.schedule, "@daily");
	profile_free(&p);
	diag_free(&d);

	/* An s3:// target of backups that are off asks for nothing. */
	diag_init(&d);
	assert_int_equal(profile_load_buffer(&p, "t.yaml", off,
	    sizeof off - 1, &d), 0);
	assert_int_equal(profile_unbuilt(&p, NULL), 0);
	profile_free(&p);
	diag_free(&d);
}

/* Every message of a bad profile, not only the first, has a position. */
static void
test_all_errors_reported(void **state)
{
	static const char y[] = "version: 1\nfqdn: bad_name\nproxy: caddy\n"
	    "instances:\n - name: hmis\n   version: '2.41'\n   nodes: 0\n";
	struct profile	p;
	struct diag	d;

	diag_init(&d);
	assert_int_equal(profile_load_buffer(&p, "t.yaml", y, sizeof y - 1,
	    &d), -1);
	assert_int_equal(d.n, 3);
	assert_non_null(strstr(d.msgs[0], "t.yaml:3:8: proxy"));
	assert_non_null(strstr(d.msgs[1], "t.yaml:2:7: fqdn"));
	assert_non_null(strstr(d.msgs[2], "t.yaml:7:11: nodes"));
	profile_free(&p);
	diag_free(&d);
}

static char *
tmpdir_new(void)
{
	char	*dir;

	xasprintf(&dir, "%s/d2s-test-XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rm_rf(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	char		*path;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		unlink(path);
		free(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static void
test_secrets_generate(void **state)
{
	struct profile	 p;
	struct secrets	 s;
	struct diag	 d;
	struct stat	 st;
	char		*dir, *ppath, *spath, *src, *yaml, *first;
	int		 added;
	size_t		 i, len;

	dir = tmpdir_new();
	xasprintf(&src, "%s/profiles/examples/lxc-reference.yaml", srcdir());
	assert_int_equal(load_ok(&p, src), 0);
	xasprintf(&ppath, "%s/site.yaml", dir);
	free(p.path);
	p.path = xstrdup(ppath);
	spath = profile_secrets_path(&p);
	assert_non_null(strstr(spath, "/site.secrets.yaml"));

	diag_init(&d);
	assert_int_equal(secrets_generate(&p, spath, &added, &d), 0);
	/* 2 instances x 2, monitoring; telegram token is the operator's. */
	assert_int_equal(added, 5);
	assert_int_equal(stat(spath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	secrets_init(&s);
	assert_int_equal(secrets_load(&s, spath, &d), 0);
	first = xstrdup(secrets_get(&s, "hmis.encryption_password"));
	assert_true(strlen(first) >= SECRET_MIN_ENCRYPTION);
	assert_string_not_equal(first, secrets_get(&s, "tracker.db_password"));
	/* The telegram token is reported missing, nothing else. */
	assert_int_equal(secrets_check(&p, &s, &d), -1);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "alerting.telegram_token"));
	/* No secret ever lands in the saved profile. */
	yaml = profile_save_buffer(&p, &len);
	for (i = 0; i < s.n; i++)
		assert_null(strstr(yaml, s.v[i].value));
	free(yaml);
	secrets_free(&s);

	/* A second run keeps what is there. */
	assert_int_equal(secrets_generate(&p, spath, &added, &d), 0);
	assert_int_equal(added, 0);
	secrets_init(&s);
	assert_int_equal(secrets_load(&s, spath, &d), 0);
	assert_string_equal(first, secrets_get(&s, "hmis.encryption_password"));
	secrets_free(&s);

	/* A file others can read is refused, and generate will not touch it. */
	assert_int_equal(chmod(spath, 0640), 0);
	diag_free(&d);
	secrets_init(&s);
	assert_int_equal(secrets_load(&s, spath, &d), -1);
	assert_non_null(strstr(d.msgs[0], "can be read or written by group or others"));
	secrets_free(&s);
	assert_int_equal(secrets_generate(&p, spath, &added, &d), -1);

	free(first);
	diag_free(&d);
	profile_free(&p);
	free(src);
	free(ppath);
	free(spath);
	rm_rf(dir);
	free(dir);
}

static void
test_secret_references(void **state)
{
	struct secrets	 s;
	struct diag	 d;
	const char	**vals;
	char		*dir, *spath, *fpath, *body;

	dir = tmpdir_new();
	xasprintf(&spath, "%s/s.yaml", dir);
	xasprintf(&fpath, "%s/key.txt", dir);
	assert_int_equal(write_file_atomic(fpath, "from-a-file\n", 12, 0600), 0);
	xasprintf(&body, "a: env:D2S_UNIT_SECRET\nb: file:key.txt\n"
	    "c: \"literal: with colon\"\n");
	assert_int_equal(write_file_atomic(spath, body, strlen(body), 0600), 0);
	setenv("D2S_UNIT_SECRET", "from-the-environment", 1);
	diag_init(&d);
	secrets_init(&s);
	assert_int_equal(secrets_load(&s, spath, &d), 0);
	assert_string_equal(secrets_get(&s, "a"), "from-the-environment");
	assert_string_equal(secrets_get(&s, "b"), "from-a-file");
	assert_string_equal(secrets_get(&s, "c"), "literal: with colon");
	assert_int_equal(secrets_values(&s, &vals), 3);
	assert_string_equal(vals[1], "from-a-file");
	secrets_free(&s);
	/* A readable referenced file is refused like the secrets file. */
	assert_int_equal(chmod(fpath, 0644), 0);
	secrets_init(&s);
	assert_int_equal(secrets_load(&s, spath, &d), -1);
	assert_non_null(strstr(d.msgs[0], "secret 'b'"));
	secrets_free(&s);
	unsetenv("D2S_UNIT_SECRET");
	diag_free(&d);
	free(body);
	free(spath);
	free(fpath);
	rm_rf(dir);
	free(dir);
}

static void
test_random(void **state)
{
	char	*a = secret_random(40), *b = secret_random(40);
	size_t	 i;

	assert_int_equal(strlen(a), 40);
	assert_string_not_equal(a, b);
	for (i = 0; i < 40; i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789", a[i]) != NULL);
	free(a);
	free(b);
}

static void
test_save_file_keeps_previous(void **state)
{
	struct profile	 p;
	char		*dir, *path, *prev, *src, *err;
	struct stat	 st;

	dir = tmpdir_new();
	xasprintf(&src, "%s/profiles/examples/single-server.yaml", srcdir());
	assert_int_equal(load_ok(&p, src), 0);
	xasprintf(&path, "%s/p.yaml", dir);
	xasprintf(&prev, "%s/p.yaml.prev", dir);
	assert_int_equal(profile_save_file(&p, path, &err), 0);
	assert_int_equal(stat(prev, &st), -1);
	p.instances[0].nodes = 1;
	assert_int_equal(profile_save_file(&p, path, &err), 0);
	assert_int_equal(stat(prev, &st), 0);
	profile_free(&p);
	assert_int_equal(load_ok(&p, path), 0);
	profile_free(&p);
	free(src);
	free(path);
	free(prev);
	rm_rf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_examples),
		cmocka_unit_test(test_saved_bytes),
		cmocka_unit_test(test_loaded_values),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_unbuilt),
		cmocka_unit_test(test_secrets_generate),
		cmocka_unit_test(test_secret_references),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_save_file_keeps_previous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
