/*
 * Unit tests of the engine's machinery: argv quoting, line splitting,
 * redaction in events and logs, JSON events, the local transport, facts,
 * the planner, the journal lock, the engine's dependency handling and
 * the package lists updated once per machine.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <pwd.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core.h"
#include "engine.h"
#include "events.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "planner.h"
#include "profile.h"
#include "step.h"
#include "step_probe.h"
#include "transport.h"

static char tmpdir[] = "/tmp/d2s-unit.XXXXXX";

static void
test_quote_argv(void **state)
{
	char	*q;

	q = transport_quote_argv((char *[]){ "printf", "%s", "it's",
	    "$(id)", "", NULL });
	assert_string_equal(q, "'printf' '%s' 'it'\\''s' '$(id)' ''");
	free(q);
	q = transport_argv_string((char *[]){ "apt-get", "install", "a b",
	    NULL });
	assert_string_equal(q, "apt-get install 'a b'");
	free(q);
}

struct lines {
	char	*v[16];
	int	 n;
};

static void
collect_line(void *arg, int stream, const char *line)
{
	struct lines	*l = arg;

	if (l->n < 16)
		l->v[l->n++] = xstrdup(line);
}

static void
test_sink_lines(void **state)
{
	struct lines		 l = { .n = 0 };
	struct transport_output	 o = { collect_line, &l, NULL, NULL };
	struct transport_sink	 s;
	int			 i;

	sink_init(&s, &o);
	sink_feed(&s, 1, "ab", 2);
	sink_feed(&s, 1, "c\nde", 4);
	sink_feed(&s, 1, "\r\n\n", 3);
	sink_feed(&s, 2, "err", 3);
	sink_feed(&s, 1, "f", 1);
	sink_finish(&s);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0], "abc");
	assert_string_equal(l.v[1], "de");
	assert_string_equal(l.v[2], "");
	assert_string_equal(l.v[3], "f");
	assert_string_equal(l.v[4], "err");
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
}

static void
test_redact(void **state)
{
	const char	*vals[] = { "s3cretPassw0rd", "ab", "other-secret" };
	char		*r;

	events_set_redact(vals, 3);
	r = events_redact("pw=s3cretPassw0rd and s3cretPassw0rd, ab, "
	    "other-secret.");
	/* Values shorter than 3 are not redacted: they would shred text. */
	assert_string_equal(r, "pw=******** and ********, ab, ********.");
	free(r);
	events_reset();
}

static void
test_json_events(void **state)
{
	const char		*vals[] = { "hunter2hunter2" };
	struct event		 ev = { .type = EV_OUTPUT };
	struct json_object	*o, *v;
	char			 buf[4096];
	ssize_t			 n;
	int			 p[2];

	assert_int_equal(pipe(p), 0);
	events_set_redact(vals, 1);
	assert_true(events_json_subscribe(p[1]) >= 0);
	ev.machine = "db";
	ev.step = "base";
	ev.stream = 2;
	ev.text = "password is hunter2hunter2";
	events_emit(&ev);
	events_reset();
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strchr(buf, '\n'));
	assert_null(strstr(buf, "hunter2"));
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "event", &v));
	assert_string_equal(json_object_get_string(v), "output");
	assert_true(json_object_object_get_ex(o, "text", &v));
	assert_string_equal(json_object_get_string(v), "password is ********");
	assert_true(json_object_object_get_ex(o, "stream", &v));
	assert_int_equal(json_object_get_int(v), 2);
	json_object_put(o);
}

static void
test_log_redacted_0600(void **state)
{
	const char	*vals[] = { "TopSecretValue123" };
	struct event	 ev = { .type = EV_COMMAND };
	struct stat	 st;
	char		*path, *err = NULL, *buf;
	size_t		 len;

	setenv("DHIS2_SETUP_LOGDIR", tmpdir, 1);
	events_set_redact(vals, 1);
	assert_int_equal(log_open("unit", &path, &err), 0);
	ev.machine = "m";
	ev.step = "s";
	ev.text = "psql --password TopSecretValue123";
	events_emit(&ev);
	log_close();
	events_reset();
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(read_file_limited(path, 65536, &buf, &len), 0);
	assert_null(strstr(buf, "TopSecretValue123"));
	assert_non_null(strstr(buf, "psql --password ********"));
	free(buf);
	unlink(path);
	free(path);
}

static void
test_local_transport(void **state)
{
	struct transport	*t = transport_local_new("local");
	struct passwd		*pw = getpwuid(getuid());
	struct group		*gr = getgrgid(getgid());
	char			*out, *err = NULL, *path, *prev;
	size_t			 len;
	struct stat		 st;

	assert_int_equal(transport_capture(t, (char *[]){ "sh", "-c",
	    "printf '%s' \"$1\"; exit 3", "sh", "a'b c", NULL }, &out, &err),
	    3);
	assert_string_equal(out, "a'b c");
	free(out);
	path = path_join(tmpdir, "f.conf");
	xasprintf(&prev, "%s.prev", path);
	assert_int_equal(transport_put(t, path, "one\n", 4, 0640,
	    pw->pw_name, gr->gr_name, &err), 0);
	assert_int_equal(transport_put(t, path, "two\n", 4, 0600,
	    pw->pw_name, gr->gr_name, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(transport_get(t, path, &out, &len, &err), 0);
	assert_string_equal(out, "two\n");
	free(out);
	assert_int_equal(transport_get(t, prev, &out, &len, &err), 0);
	assert_string_equal(out, "one\n");
	free(out);
	assert_int_equal(transport_get(t, "/nonexistent/x", &out, &len,
	    &err), 1);
	/* The same through the run-based fallback the LXC transport uses. */
	assert_int_equal(transport_get_via_run(t, path, &out, &len, &err), 0);
	assert_string_equal(out, "two\n");
	free(out);
	assert_int_equal(transport_get_via_run(t, "/nonexistent/x", &out,
	    &len, &err), 1);
	unlink(path);
	unlink(prev);
	free(path);
	free(prev);
	transport_free(t);
}

static void
test_facts_parse(void **state)
{
	struct facts	f;

	memset(&f, 0, sizeof f);
	facts_parse(&f, "os_id=ubuntu\nos_version=24.04\nmem_kb=8388608\n"
	    "cpus=4\ndisk_free_kb=bogus\nsystemd=1\nvirt=\nnew_key=x\n");
	assert_string_equal(f.os_id, "ubuntu");
	assert_string_equal(f.os_version, "24.04");
	assert_int_equal(f.mem_mb, 8192);
	assert_int_equal(f.cpus, 4);
	assert_int_equal(f.disk_free_mb, 0);
	assert_int_equal(f.systemd, 1);
	assert_string_equal(f.virt, "none");
	facts_free(&f);
}

static const char machines_profile[] =
    "version: 1\nhosting: datacentre\nisolation: machines\n"
    "fqdn: dhis.example.org\nadmin_network: 192.0.2.0/24\n"
    "timezone: UTC\nproxy: nginx\ntls:\n  mode: self-signed\n"
    "machines:\n"
    "  - name: web\n    address: 192.0.2.10\n    roles: [proxy]\n"
    "  - name: db\n    address: 192.0.2.11\n    roles: [database, app]\n"
    "instances:\n  - name: hmis\n    version: \"2.41\"\n"
    "    base_path: /hmis\ndatabase:\n  version: 15\nmonitoring: none\n";

static void
test_planner(void **state)
{
	struct profile	 p;
	struct diag	 d;
	struct plan	 pl;
	char		*err = NULL;
	size_t		 i, base = 0;

	diag_init(&d);
	assert_int_equal(profile_load_buffer(&p, "m.yaml", machines_profile,
	    strlen(machines_profile), &d), 0);
	diag_free(&d);
	assert_int_equal(plan_build(&pl, &p, &err), 0);
	assert_int_equal(pl.nmachines, 2);
	assert_int_equal(pl.machines[0].kind, PLAN_SSH);
	assert_string_equal(pl.machines[1].name, "db");
	assert_int_equal(pl.machines[1].roles,
	    ROLE_BIT(ROLE_DATABASE) | ROLE_BIT(ROLE_APP));
	for (i = 0; i < pl.nsteps; i++) {
		if (strcmp(pl.steps[i].step->name, "base") != 0)
			continue;
		base++;
		/* base needs preflight on the same machine only */
		assert_int_equal(pl.steps[i].ndeps, 1);
		assert_string_equal(pl.steps[pl.steps[i].deps[0]].step->name,
		    "preflight");
		assert_int_equal(pl.steps[pl.steps[i].deps[0]].machine,
		    pl.steps[i].machine);
	}
	assert_int_equal(base, 2);
	plan_free(&pl);
	profile_free(&p);
}

static void
test_journal_lock(void **state)
{
	struct journal	 a, b;
	char		*err = NULL, *d1, *d2, *cwd, *sub, *link;

	setenv("DHIS2_SETUP_STATEDIR", tmpdir, 1);
	/* Two site.yaml in two folders: two profiles, two locks (M4). */
	assert_int_equal(journal_open(&a, "/x/site.yaml", &err), 0);
	assert_int_equal(journal_open(&b, "/y/site.yaml", &err), 0);
	journal_close(&b);
	/* One file by two names (relative, a link): one profile, locked. */
	xasprintf(&sub, "%s/real", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	xasprintf(&link, "%s/link", tmpdir);
	assert_int_equal(symlink(sub, link), 0);
	cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(sub), 0);
	assert_int_equal(write_file_atomic("m.yaml", "x", 1, 0600), 0);
	assert_int_equal(journal_open(&b, "m.yaml", &err), 0);
	journal_close(&a);
	assert_int_equal(journal_open(&a, "/work/../nonexistent/m.yaml",
	    &err), 0);
	journal_close(&a);
	xasprintf(&d1, "%s/m.yaml", link);
	assert_int_equal(journal_open(&a, d1, &err), EXIT_LOCKED);
	assert_non_null(err);
	free(err);
	err = NULL;
	journal_close(&a);
	d2 = journal_dir(d1);
	free(d1);
	d1 = journal_dir("./m.yaml");
	assert_string_equal(d1, d2);
	assert_non_null(strstr(d1, "/m-"));
	free(d1);
	free(d2);
	journal_finish(&b, "done");
	journal_close(&b);
	assert_int_equal(journal_open(&b, "m.yaml", &err), 0);
	assert_null(b.previous);	/* the last run finished */
	journal_close(&b);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	free(sub);
	free(link);
	events_reset();
}

/* A lock file of lines, as another run would have left it. */
static void
plant_lock(const char *path, const char *boot, long pid, const char *conn,
    const char *token)
{
	char	*s;

	xasprintf(&s, "holder op@elsewhere\npid %ld\npid-start 1\n"
	    "host elsewhere\nboot %s\nstarted 2026-01-01T00:00:00Z\n"
	    "profile /p/site.yaml\nconn %s\ntoken %s\n", pid, boot, conn,
	    token);
	assert_int_equal(write_file_atomic(path, s, strlen(s), 0644), 0);
	free(s);
}

static void
note_event(const struct event *ev, void *arg)
{
	char	**last = arg;

	if (ev->type == EV_NOTE) {
		free(*last);
		*last = xstrdup(ev->text);
	}
}

/* Field 22 of /proc/self/stat, the start time, read another way. */
static char *
my_start(void)
{
	char	*buf, *p, *out;
	size_t	 len;
	int	 i;

	assert_int_equal(read_file_limited("/proc/self/stat", 4096, &buf,
	    &len), 0);
	p = strrchr(buf, ')') + 2;	/* field 3 */
	for (i = 3; i < 22; i++)
		p = strchr(p, ' ') + 1;
	out = xstrndup(p, strcspn(p, " "));
	free(buf);
	return out;
}

/* A state folder of a release before M4 (STATEDIR/NAME) is taken over. */
static void
test_journal_legacy(void **state)
{
	struct journal	 j;
	char		*err = NULL, *old, *status, *out = NULL, *dir;
	size_t		 len = 0;
	struct stat	 st;
	FILE		*f;

	(void)state;
	setenv("DHIS2_SETUP_STATEDIR", tmpdir, 1);
	xasprintf(&old, "%s/legacy", tmpdir);
	assert_int_equal(mkdir(old, 0700), 0);
	status = path_join(old, "status");
	assert_int_equal(write_file_atomic(status, "done 2026-11-30\n", 16,
	    0600), 0);
	/* status reads the old folder before the first new run. */
	assert_non_null(f = open_memstream(&out, &len));
	assert_int_equal(journal_status("/srv/legacy.yaml", f), EXIT_OK);
	fclose(f);
	assert_null(strstr(out, "never applied"));
	free(out);
	/* The first run moves it under the new key. */
	assert_int_equal(journal_open(&j, "/srv/legacy.yaml", &err), 0);
	assert_int_equal(lstat(old, &st), -1);
	dir = journal_dir("/srv/legacy.yaml");
	free(status);
	status = path_join(dir, "status");
	assert_int_equal(lstat(status, &st), 0);
	journal_close(&j);
	free(status);
	free(dir);
	free(old);
	events_reset();
}

static void
test_target_lock(void **state)
{
	struct transport	*t = transport_local_new("server");
	struct target_locks	 a, b;
	char			*path, *holder = NULL, *text, *boot = NULL;
	char			*start, *note = NULL, me[32], dead[64];
	int			 sub;
	size_t			 len;
	pid_t			 gone;

	xasprintf(&path, "%s/run-lock/dhis2-setup.lock", tmpdir);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.token = xstrdup("aaaa");
	a.text = target_lock_text("/srv/a/site.yaml");
	b.token = xstrdup("bbbb");
	b.text = target_lock_text("/srv/b/site.yaml");
	snprintf(me, sizeof me, "%ld", (long)getpid());
	assert_int_equal(target_lock_take_one(t, path, &a, me, NULL, &holder),
	    0);
	assert_null(holder);
	start = my_start();
	xasprintf(&text, "\npid-start %s\n", start);
	assert_non_null(strstr(a.text, text));
	free(text);
	xasprintf(&text, "\nconn %s %s\n", me, start);
	assert_int_equal(read_file_limited(path, 4096, &holder, &len), 0);
	assert_non_null(strstr(holder, text));
	free(holder);
	free(text);
	free(start);
	/* Held: the holder named; not stale, its run (this one) lives. */
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    1);
	assert_non_null(strstr(holder, "profile /srv/a/site.yaml"));
	assert_non_null(strstr(holder, "token aaaa"));
	assert_false(target_lock_stale_here(holder));
	text = target_lock_describe(holder);
	assert_non_null(strstr(text, "since "));
	assert_non_null(strstr(text, "profile /srv/a/site.yaml"));
	free(text);
	free(holder);
	/* Two machines of a plan on one server: the run's own lock. */
	assert_int_equal(target_lock_take_one(t, path, &a, me, NULL, &holder),
	    0);
	/* Only its holder gives it back. */
	target_lock_release_one(t, path, "bbbb");
	assert_int_equal(access(path, F_OK), 0);
	target_lock_release_one(t, path, "aaaa");
	assert_int_equal(access(path, F_OK), -1);

	/* A run of this control machine that is gone: stale, taken over. */
	assert_int_equal(read_file_limited("/proc/sys/kernel/random/boot_id",
	    4096, &boot, &len), 0);
	boot[strcspn(boot, "\n")] = '\0';
	if ((gone = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	plant_lock(path, boot, (long)gone, "-", "cccc");
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    1);
	assert_true(target_lock_stale_here(holder));
	free(holder);
	assert_int_equal(target_lock_take_one(t, path, &b, me, "cccc",
	    &holder), 0);
	target_lock_release_one(t, path, "bbbb");
	/* Its PID alive but its number taken by another process. */
	plant_lock(path, boot, (long)getpid(), "-", "cccc");
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    1);
	assert_true(target_lock_stale_here(holder));	/* pid-start 1 */
	free(holder);
	unlink(path);

	/* Another control machine: its connection's process decides. */
	snprintf(dead, sizeof dead, "%ld 12345", (long)gone);
	plant_lock(path, "another-boot", 1, dead, "dddd");
	sub = events_subscribe(note_event, &note);
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    0);
	events_unsubscribe(sub);
	assert_non_null(note);
	assert_non_null(strstr(note, "op@elsewhere"));
	assert_non_null(strstr(note, "whose run is gone, was removed"));
	free(note);
	target_lock_release_one(t, path, "bbbb");
	snprintf(dead, sizeof dead, "%ld 1", (long)getpid());
	plant_lock(path, "another-boot", 1, dead, "dddd");
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    0);	/* a PID used again: its start time differs */
	target_lock_release_one(t, path, "bbbb");
	plant_lock(path, "another-boot", 1, "-", "dddd");
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    1);	/* no proof either way: held */
	assert_false(target_lock_stale_here(holder));
	free(holder);
	/* A target's control characters never reach the terminal. */
	plant_lock(path, "another-boot", 1, "-", "dd\033]0;x\007");
	assert_int_equal(target_lock_take_one(t, path, &b, me, NULL, &holder),
	    1);
	text = target_lock_describe(holder);
	assert_null(strchr(text, '\033'));
	free(text);
	free(holder);
	unlink(path);

	free(boot);
	free(path);
	free(a.token);
	free(a.text);
	free(b.token);
	free(b.text);
	transport_free(t);
	events_reset();
}

/* Fake steps to drive the engine without touching a machine. */
static enum result fake_fail(struct step_ctx *c) { return step_fail(c, "no"); }
static enum result fake_ok(struct step_ctx *c) { return RESULT_OK; }
static enum result fake_change(struct step_ctx *c)
{
	step_would(c, "thing");
	return RESULT_CHANGED;
}
static const struct step s_fail = { .name = "f", .summary = "fails",
    .check = fake_fail, .apply = fake_fail };
static const struct step s_ok = { .name = "o", .summary = "ok",
    .check = fake_ok, .apply = fake_ok };
static const struct step s_chg = { .name = "c", .summary = "changes",
    .check = fake_change, .apply = fake_change };

static void
test_engine_deps(void **state)
{
	struct plan		 pl;
	struct plan_machine	 m[2];
	struct plan_step	 s[5];
	size_t			 d1[] = { 0 }, d2[] = { 1 };
	struct engine_opts	 o = { 2, 0 };
	struct engine_summary	 sum;
	struct profile		 p;
	int			 i;

	memset(&p, 0, sizeof p);
	memset(m, 0, sizeof m);
	memset(s, 0, sizeof s);
	for (i = 0; i < 2; i++) {
		m[i].name = i ? "b" : "a";
		m[i].t = transport_local_new(m[i].name);
		m[i].facts.probed = 1;	/* no probe needed */
	}
	/* a: f fails -> o skipped -> c skipped; b: o, c run. */
	s[0] = (struct plan_step){ .step = &s_fail, .machine = 0 };
	s[1] = (struct plan_step){ .step = &s_ok, .machine = 0,
	    .deps = d1, .ndeps = 1 };
	s[2] = (struct plan_step){ .step = &s_chg, .machine = 0,
	    .deps = d2, .ndeps = 1 };
	s[3] = (struct plan_step){ .step = &s_ok, .machine = 1 };
	s[4] = (struct plan_step){ .step = &s_chg, .machine = 1 };
	pl.machines = m;
	pl.nmachines = 2;
	pl.steps = s;
	pl.nsteps = 5;
	engine_run(&pl, &p, NULL, &o, &sum);
	assert_int_equal(s[0].result, RESULT_FAILED);
	assert_int_equal(s[1].result, RESULT_SKIPPED);
	assert_int_equal(s[2].result, RESULT_SKIPPED);
	assert_int_equal(s[3].result, RESULT_OK);
	assert_int_equal(s[4].result, RESULT_CHANGED);
	assert_int_equal(sum.counts[RESULT_FAILED], 1);
	assert_int_equal(sum.counts[RESULT_SKIPPED], 2);
	assert_int_equal(engine_exit_code(&sum), EXIT_STEP_FAILED);
	for (i = 0; i < 5; i++)
		free(s[i].msg);
	for (i = 0; i < 2; i++)
		transport_free(m[i].t);
	events_reset();
}

/*
 * A fake machine: run answers the preflight probe with canned output,
 * so preflight's decisions can be tested without a machine.
 */
static const char *fake_probe_out;

static int
fake_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct transport_sink	s;

	sink_init(&s, out);
	sink_feed(&s, 1, fake_probe_out, strlen(fake_probe_out));
	sink_finish(&s);
	return 0;
}

static const struct transport_ops fake_ops = { .name = "fake",
    .run = fake_run };

static enum result
preflight_on(const char *facts, const char *probe, unsigned roles,
    char **msg)
{
	extern const struct step step_preflight;
	struct transport	 t = { .ops = &fake_ops, .name = "m",
	    .opened = 1 };
	struct facts		 f;
	struct profile		 p;
	struct step_ctx		 ctx;
	enum result		 r;

	memset(&p, 0, sizeof p);
	p.fqdn = "dhis.example.org";
	p.tls.mode = TLS_SELF_SIGNED;
	memset(&f, 0, sizeof f);
	facts_parse(&f, facts);
	fake_probe_out = probe;
	memset(&ctx, 0, sizeof ctx);
	ctx.profile = &p;
	ctx.t = &t;
	ctx.facts = &f;
	ctx.machine = "m";
	ctx.roles = roles;
	r = step_preflight.check(&ctx);
	*msg = ctx.msg;
	facts_free(&f);
	return r;
}

static void
test_preflight(void **state)
{
	const char	*good = "os_id=debian\nos_version=12\n"
	    "mem_kb=16777216\ncpus=4\ndisk_free_kb=104857600\nvirt=lxc\n";
	const char	*small = "os_id=ubuntu\nos_version=24.04\n"
	    "mem_kb=2097152\ncpus=1\ndisk_free_kb=104857600\nvirt=kvm\n";
	const char	*old = "os_id=debian\nos_version=11\n"
	    "mem_kb=16777216\ncpus=4\ndisk_free_kb=104857600\nvirt=none\n";
	const char	*nginx80 = "resolve=1\nntp=yes\nlisten=0.0.0.0:80 "
	    "users:((\"nginx\",pid=9,fd=6))\n";
	const char	*apache80 = "resolve=1\nntp=yes\nlisten=0.0.0.0:80 "
	    "users:((\"apache2\",pid=9,fd=6))\nlisten=[::]:5432 "
	    "users:((\"postgres\",pid=7,fd=3))\n";
	const char	*java5432 = "resolve=1\nntp=yes\nlisten=0.0.0.0:5432 "
	    "users:((\"java\",pid=9,fd=6))\n";
	unsigned	 proxy = ROLE_BIT(ROLE_PROXY), db = ROLE_BIT(ROLE_DATABASE);
	char		*msg;

	unsetenv("DHIS2_SETUP_MIN_RAM_MB");
	assert_int_equal(preflight_on(good, nginx80, proxy, &msg), RESULT_OK);
	free(msg);
	/* Our own proxy or database on a re-run is fine; java is not. */
	assert_int_equal(preflight_on(good, apache80, proxy | db, &msg),
	    RESULT_OK);
	free(msg);
	assert_int_equal(preflight_on(good, java5432, db, &msg),
	    RESULT_FAILED);
	free(msg);
	assert_int_equal(preflight_on(good, java5432, proxy, &msg),
	    RESULT_OK);
	free(msg);
	assert_int_equal(preflight_on(old, nginx80, proxy, &msg),
	    RESULT_FAILED);
	assert_non_null(strstr(msg, "1 problem"));
	free(msg);
	/* 2 GB: refused, unless the test bed lowers the threshold. */
	assert_int_equal(preflight_on(small, nginx80, proxy, &msg),
	    RESULT_FAILED);
	free(msg);
	setenv("DHIS2_SETUP_MIN_RAM_MB", "1024", 1);
	assert_int_equal(preflight_on(small, nginx80, proxy, &msg),
	    RESULT_OK);
	free(msg);
	unsetenv("DHIS2_SETUP_MIN_RAM_MB");
}

/*
 * A fake machine's package manager: each command step_apt_install runs
 * (after the wait for other package managers, argv[4] on) is recorded as
 * "dpkg;", "update;" or "install;"; installs fail while apt_fails > 0.
 * Its dpkg-query (not waited for) is "query;" and answers apt_have; the
 * packages of the last install are in apt_last.
 */
static char	 apt_log[256];
static char	 apt_last[256];
static int	 apt_fails;
static const char *apt_have = "";

static int
apt_run(struct transport *t, char *const *argv, const void *in,
    size_t inlen, struct transport_output *out, char **err)
{
	struct transport_sink	 s;
	const char		*what = "other;";
	size_t			 i, n;

	if (strcmp(argv[0], "dpkg-query") == 0) {
		i = strlen(apt_log);
		snprintf(apt_log + i, sizeof apt_log - i, "query;");
		sink_init(&s, out);
		sink_feed(&s, 1, apt_have, strlen(apt_have));
		sink_finish(&s);
		return 1;	/* as dpkg-query does when one is unknown */
	}
	for (i = 4; argv[i] != NULL; i++) {
		if (strcmp(argv[i], "update") == 0)
			what = "update;";
		else if (strcmp(argv[i], "install") == 0) {
			what = "install;";
			apt_last[0] = '\0';
			while (argv[++i] != NULL) {
				n = strlen(apt_last);
				snprintf(apt_last + n, sizeof apt_last - n,
				    "%s%s", n > 0 ? " " : "", argv[i]);
			}
			break;
		}
	}
	if (strcmp(argv[4], "sh") == 0)
		what = "dpkg;";
	i = strlen(apt_log);
	snprintf(apt_log + i, sizeof apt_log - i, "%s", what);
	if (strcmp(what, "install;") == 0 && apt_fails > 0) {
		apt_fails--;
		return 100;
	}
	return 0;
}

static const struct transport_ops apt_ops = { .name = "fake",
    .run = apt_run };

/* A fake machine: its connection and its apt flag, as the engine's. */
struct apt_machine {
	struct transport	t;
	int			updated;
};

static int
apt_on_later(struct apt_machine *m, int fails,
    const struct step *const *later, char **msg)
{
	const char	*pkgs[] = { "nginx", NULL };
	struct step_ctx	 ctx;
	int		 rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.later = later;
	ctx.t = &m->t;
	ctx.apt_updated = &m->updated;
	ctx.machine = m->t.name;
	apt_log[0] = '\0';
	apt_fails = fails;
	rc = step_apt_install(&ctx, pkgs);
	*msg = ctx.msg;
	return rc;
}

static int
apt_on(struct apt_machine *m, int fails, char **msg)
{
	return apt_on_later(m, fails, NULL, msg);
}

/* One apt-get update per machine and run; stale lists retried once. */
static void
test_apt_update_once(void **state)
{
	struct apt_machine	 a = { .t = { .ops = &apt_ops, .name = "a",
	    .opened = 1 } };
	struct apt_machine	 b = { .t = { .ops = &apt_ops, .name = "b",
	    .opened = 1 } };
	char			*msg;

	assert_int_equal(apt_on(&a, 0, &msg), 0);
	assert_string_equal(apt_log, "dpkg;update;install;");
	assert_int_equal(apt_on(&a, 0, &msg), 0);
	assert_string_equal(apt_log, "dpkg;install;");
	/* Another machine has lists of its own. */
	assert_int_equal(apt_on(&b, 0, &msg), 0);
	assert_string_equal(apt_log, "dpkg;update;install;");
	/* Lists of an earlier step that no longer do: update, once more. */
	assert_int_equal(apt_on(&a, 1, &msg), 0);
	assert_string_equal(apt_log, "dpkg;install;update;install;");
	assert_null(msg);
	assert_int_equal(apt_on(&a, 2, &msg), -1);
	assert_string_equal(apt_log, "dpkg;install;update;install;");
	assert_non_null(strstr(msg, "installing nginx failed"));
	free(msg);
	/* Just updated: a failure is a failure, no second try. */
	b.updated = 0;
	assert_int_equal(apt_on(&b, 1, &msg), -1);
	assert_string_equal(apt_log, "dpkg;update;install;");
	free(msg);
}

/* Later steps' packages: one listed already, one a step of its own. */
static void
pkgs_db(struct step_ctx *ctx, struct step_pkgs *sp)
{
	step_pkgs_add(sp, "nginx");
	step_pkgs_add(sp, "pg");
	step_pkgs_add(sp, "pg-gis");
}

static void
pkgs_web(struct step_ctx *ctx, struct step_pkgs *sp)
{
	step_pkgs_add(sp, "tomcat");
}

/* Records which of its packages it was called for. */
static int
before_db(struct step_ctx *ctx, const struct step_pkgs *missing)
{
	size_t	i, n;

	for (i = 0; i < missing->n; i++) {
		n = strlen(apt_log);
		snprintf(apt_log + n, sizeof apt_log - n, "before:%s;",
		    missing->v[i]);
	}
	return 0;
}

static int
before_db_fails(struct step_ctx *ctx, const struct step_pkgs *missing)
{
	before_db(ctx, missing);
	return step_fail(ctx, "no room for the tuning"), -1;
}

/*
 * A transaction on a with its lists not updated and fails installs
 * failing, later the steps to come: it succeeds with apt_log and apt_last
 * as given and no message.
 */
static void
apt_later_expect(struct apt_machine *a, int fails,
    const struct step *const *later, const char *log, const char *last)
{
	char	*msg;

	a->updated = 0;
	assert_int_equal(apt_on_later(a, fails, later, &msg), 0);
	assert_string_equal(apt_log, log);
	assert_string_equal(apt_last, last);
	assert_null(msg);
}

/*
 * The first install on a machine brings the missing packages of the
 * steps still to run there, after their before_install; a failed
 * transaction falls back to the step's own packages.
 */
static void
test_apt_one_transaction(void **state)
{
	static const struct step db = { .name = "db", .packages = pkgs_db,
	    .before_install = before_db };
	static const struct step db_bad = { .name = "db",
	    .packages = pkgs_db, .before_install = before_db_fails };
	static const struct step web = { .name = "web",
	    .packages = pkgs_web };
	static const struct step plain = { .name = "plain" };
	const struct step *later[] = { &plain, &db, &web, NULL };
	const struct step *later_bad[] = { &db_bad, &web, NULL };
	struct apt_machine	 a = { .t = { .ops = &apt_ops, .name = "a",
	    .opened = 1 } };
	char			*msg;

	apt_have = "pkg=pg-gis ii \npkg=tomcat un \n";
	assert_int_equal(apt_on_later(&a, 0, later, &msg), 0);
	assert_string_equal(apt_log,
	    "dpkg;update;query;before:pg;install;");
	assert_string_equal(apt_last, "nginx pg tomcat");
	/* Later installs on the machine are the step's own. */
	assert_int_equal(apt_on_later(&a, 0, later, &msg), 0);
	assert_string_equal(apt_log, "dpkg;install;");
	assert_string_equal(apt_last, "nginx");
	/* A failed transaction: dpkg finished, then the step's own alone. */
	apt_later_expect(&a, 1, later,
	    "dpkg;update;query;before:pg;install;dpkg;install;", "nginx");
	/* A hook that fails keeps its step's packages out, not its word. */
	apt_later_expect(&a, 0, later_bad,
	    "dpkg;update;query;before:pg;install;", "nginx tomcat");
	/* Nothing missing: no hook, the step's own. */
	a.updated = 0;
	apt_have = "pkg=pg ii \npkg=pg-gis ii \npkg=tomcat ii \n";
	assert_int_equal(apt_on_later(&a, 0, later, &msg), 0);
	assert_string_equal(apt_log, "dpkg;update;query;install;");
	assert_string_equal(apt_last, "nginx");
	apt_have = "";
}

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	*cmd[] = { "rm", "-rf", tmpdir, NULL };
	struct transport *t = transport_local_new("x");
	char	*err = NULL;

	transport_run(t, cmd, NULL, 0, NULL, &err);
	transport_free(t);
	free(err);
	events_reset();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_argv),
		cmocka_unit_test(test_sink_lines),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_json_events),
		cmocka_unit_test(test_log_redacted_0600),
		cmocka_unit_test(test_local_transport),
		cmocka_unit_test(test_facts_parse),
		cmocka_unit_test(test_planner),
		cmocka_unit_test(test_journal_lock),
		cmocka_unit_test(test_journal_legacy),
		cmocka_unit_test(test_target_lock),
		cmocka_unit_test(test_engine_deps),
		cmocka_unit_test(test_preflight),
		cmocka_unit_test(test_apt_update_once),
		cmocka_unit_test(test_apt_one_transaction),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
