/*
 * Unit tests of declared step items (steps/step_item.c) and probe reading
 * (steps/step_probe.c): lines read anchored to their start, files read
 * back from what STEP_FILES_SH prints on this machine, and one pending
 * list that check reports and verify counts alike.
 */
#include "config.h"

#include <sys/stat.h>

#include <grp.h>
#include <pwd.h>
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
#include "step.h"
#include "step_item.h"
#include "step_probe.h"

static void
test_anchored(void **state)
{
	const char	*probe = "xleaf=no\nsum=none /a\nleaf=AB\nkey=\n"
			    "pkg=nginx ii \nmod_missing=ssl";
	char		*v;

	(void)state;
	v = step_probe_value(probe, "leaf=");
	assert_string_equal(v, "AB");
	free(v);
	assert_null(step_probe_value(probe, "eaf="));
	v = step_probe_value(probe, "mod_missing=");
	assert_string_equal(v, "ssl");
	free(v);
	assert_true(step_probe_has(probe, "key="));
	assert_false(step_probe_has(probe, "leaf=no"));
	assert_true(step_probe_has_key(probe, "mod_missing="));
	assert_false(step_probe_has_key(probe, "none"));
	assert_false(step_probe_pkg_missing(probe, "nginx"));
	assert_true(step_probe_pkg_missing(probe, "apache2"));
}

/* The shell side run here: sums and stats of a file and a missing one. */
/* What a shell command prints, all of it. */
static char *
command_output(const char *cmd)
{
	FILE	*p;
	char	 buf[4096], *out = NULL;
	size_t	 n, len = 0;

	if ((p = popen(cmd, "r")) == NULL)
		fail_msg("popen failed");
	while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
		out = xreallocarray(out, len + n + 1, 1);
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	pclose(p);
	return out != NULL ? out : xstrdup("");
}

static char *
run_files_sh(const char *path, const char *missing)
{
	char	 script[] = "/tmp/test_step_item.sh.XXXXXX";
	char	*cmd, *out;
	FILE	*p;
	int	 fd;

	if ((fd = mkstemp(script)) == -1 || (p = fdopen(fd, "w")) == NULL)
		fail_msg("cannot make %s", script);
	/* A script's own variables survive the functions (f, as firewall's). */
	fputs("f=$1\n" STEP_FILES_SH "step_sums \"$1\" \"$2\"\n"
	    "step_stats \"$f\"\n", p);
	fclose(p);
	xasprintf(&cmd, "sh %s %s %s", script, path, missing);
	out = command_output(cmd);
	unlink(script);
	free(cmd);
	return out;
}

static void
test_files_parse(void **state)
{
	struct step_files	 fs = { NULL, 0 };
	struct step_file	*f;
	struct passwd		*pw = getpwuid(getuid());
	struct group		*gr = getgrgid(getgid());
	char			 path[] = "/tmp/test_step_item.XXXXXX";
	char			*probe;
	int			 fd;

	(void)state;
	if ((fd = mkstemp(path)) == -1 || write(fd, "hello\n", 6) != 6 ||
	    fchmod(fd, 0640) == -1)
		fail_msg("cannot make %s", path);
	close(fd);
	probe = run_files_sh(path, "/nonexistent/test_step_item");
	f = step_files_add(&fs, path, xstrdup("hello\n"), 0640,
	    pw->pw_name, gr->gr_name);
	f->meta = 1;
	f = step_files_add(&fs, path, xstrdup("other\n"), 0600,
	    pw->pw_name, gr->gr_name);
	f->meta = 1;
	step_files_add(&fs, "/nonexistent/test_step_item", xstrdup("x"), 0644,
	    NULL, NULL);
	step_files_parse(&fs, probe);
	assert_false(fs.v[0].differs);
	assert_false(fs.v[0].meta_differs);
	assert_true(fs.v[1].differs);
	assert_true(fs.v[1].meta_differs);	/* 0600 wanted */
	assert_true(fs.v[2].differs);
	assert_false(fs.v[2].meta_differs);	/* not asked */
	assert_int_equal(step_files_count(&fs), 2);
	step_files_free(&fs);
	assert_null(fs.v);
	assert_int_equal(fs.n, 0);
	free(probe);
	unlink(path);
}

/* What check reports is what verify counts. */
static int
pending(struct step_ctx *ctx, const struct step_files *fs, int report)
{
	int	n = 0;

	n += step_pending(ctx, report, 1, "install package %s", "x");
	n += step_pending(ctx, report, 0, "never %s", "said");
	n += step_files_pending(ctx, fs, report);
	return n;
}

static void
test_pending(void **state)
{
	struct step_ctx		 ctx;
	struct step_files	 fs = { NULL, 0 };
	struct step_file	*f;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	f = step_files_add(&fs, "/etc/secret.conf", xstrdup("pw=1\n"), 0600,
	    "root", "root");
	f->secret = 1;
	f->differs = 1;
	f = step_files_add(&fs, "/etc/plain.conf", xstrdup("a\n"), 0644,
	    NULL, NULL);
	f->meta_differs = 1;
	f = step_files_add(&fs, "/etc/same.conf", xstrdup("b\n"), 0644, NULL,
	    NULL);
	assert_int_equal(pending(&ctx, &fs, 0), 3);
	assert_int_equal(ctx.changes, 0);
	/* Reported: no diff of the secret, so no transport is asked. */
	assert_int_equal(pending(&ctx, &fs, 1), 3);
	assert_int_equal(ctx.changes, 3);
	step_files_free(&fs);
}

/*
 * STEP_ITEMS_SH run here with dpkg-query and systemctl stubbed on PATH:
 * nginx installed, running, enabled; redis-server not installed.
 */
static char *
run_items_sh(const char *file)
{
	char	 dir[] = "/tmp/test_step_item.d.XXXXXX";
	char	*cmd, *out;
	FILE	*p;

	if (mkdtemp(dir) == NULL)
		fail_msg("cannot make %s", dir);
	xasprintf(&cmd, "cd %s && printf '%%s\\n' '#!/bin/sh' "
	    "'for a; do case $a in nginx) echo \"pkg=nginx ii \";; esac; "
	    "done' > dpkg-query && printf '%%s\\n' '#!/bin/sh' "
	    "'[ \"$6\" = nginx ] || exit 1' 'echo ActiveState=active' "
	    "'echo UnitFileState=enabled' > systemctl && "
	    "chmod +x dpkg-query systemctl", dir);
	if (system(cmd) != 0)
		fail_msg("cannot make the stubs");
	free(cmd);
	xasprintf(&cmd, "%s/probe", dir);
	if ((p = fopen(cmd, "w")) == NULL)
		fail_msg("cannot write the probe");
	fputs(STEP_ITEMS_SH "step_items \"$@\"\n", p);
	fclose(p);
	free(cmd);
	xasprintf(&cmd, "PATH=%s:$PATH sh %s/probe 'nginx redis-server' "
	    "'nginx redis-server' %s; rm -rf %s", dir, dir, file, dir);
	out = command_output(cmd);
	free(cmd);
	return out;
}

/* Packages and units: read by one probe, reported and counted alike. */
static void
test_items(void **state)
{
	struct step_ctx		 ctx;
	struct step_items	 it;
	struct step_args	 a = { NULL, 0 };
	struct step_service	*ng, *rd;
	char			*probe;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	memset(&it, 0, sizeof it);
	step_packages_add(&it.pkgs, "nginx");
	step_packages_add(&it.pkgs, "redis-server");
	step_packages_add(&it.pkgs, "nginx");		/* once */
	/* A secret: reported without a diff, so no transport is asked. */
	step_files_add(&it.files, "/nonexistent/site", xstrdup("x\n"), 0644,
	    NULL, NULL)->secret = 1;
	ng = step_services_add(&it.units, "nginx", "nginx", 0, 1U << 0);
	rd = step_services_add(&it.units, "redis-server", "redis-server",
	    1U << 0, 0);
	step_items_args(&it, &a);
	assert_string_equal(a.v[0], "nginx redis-server");
	assert_string_equal(a.v[1], "nginx redis-server");
	assert_string_equal(a.v[2], "/nonexistent/site");
	step_args_free(&a);
	probe = run_items_sh("/nonexistent/site");
	step_items_parse(&it, probe);
	free(probe);
	ng = &it.units.v[0];
	rd = &it.units.v[1];
	assert_false(it.pkgs.v[0].missing);
	assert_true(it.pkgs.v[1].missing);
	assert_true(it.files.v[0].differs);
	assert_false(ng->down);
	assert_false(ng->disabled);
	assert_true(rd->down);
	/* The site changed: nginx reloads; redis comes with its package. */
	assert_int_equal(step_service_action(&it, ng), STEP_RELOAD);
	assert_int_equal(step_service_action(&it, rd), STEP_RESTART);
	/* redis-server's package, the site; no unit line: apt starts it. */
	assert_int_equal(step_items_pending(&ctx, &it, 0), 2);
	assert_int_equal(step_items_pending(&ctx, &it, 1), 2);
	assert_int_equal(ctx.changes, 2);
	/* Installed but down: check says so, verify counts it. */
	it.pkgs.v[1].missing = 0;
	it.files.v[0].differs = 0;
	assert_int_equal(step_service_action(&it, ng), 0);
	assert_int_equal(step_items_pending(&ctx, &it, 0), 1);
	ng->stale = STEP_RELOAD;
	assert_int_equal(step_service_action(&it, ng), STEP_RELOAD);
	ng->down = 1;
	assert_int_equal(step_service_action(&it, ng), STEP_RESTART);
	step_items_free(&it);
}

/*
 * A run killed between writing a unit's files and its restart (M3): the
 * files are as wanted, so only the intent it left says the restart is
 * still owed; check reports it, verify counts it, apply does it.
 */
static void
test_intent(void **state)
{
	struct step_ctx		 ctx;
	struct step_items	 it;
	struct step_service	*ng, *pe;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	memset(&it, 0, sizeof it);
	step_files_add(&it.files, "/etc/nginx/sites-available/dhis2",
	    xstrdup("x\n"), 0644, NULL, NULL);
	step_services_add(&it.units, "nginx", NULL, 0, 1U << 0);
	step_services_add(&it.units, "prometheus-node-exporter", NULL,
	    1U << 0, 0);
	step_items_parse(&it, "sum=73cb3858a687a8494ca3323053016282f3dad39d42cf"
	    "62ca4e79dda2aac7d9ac /etc/nginx/sites-available/dhis2\n"
	    "unit=ActiveState=active nginx\nunit=UnitFileState=enabled nginx\n"
	    "unit=ActiveState=active prometheus-node-exporter\n"
	    "unit=UnitFileState=enabled prometheus-node-exporter\n"
	    "intent=reload nginx\nintent=restart prometheus-node-exporter\n");
	ng = &it.units.v[0];
	pe = &it.units.v[1];
	assert_false(it.files.v[0].differs);
	assert_int_equal(ng->pending, STEP_RELOAD);
	assert_int_equal(pe->pending, STEP_RESTART);
	assert_int_equal(step_service_action(&it, ng), STEP_RELOAD);
	assert_int_equal(step_service_action(&it, pe), STEP_RESTART);
	assert_int_equal(step_items_pending(&ctx, &it, 0), 2);
	assert_int_equal(step_items_pending(&ctx, &it, 1), 2);
	assert_int_equal(ctx.changes, 2);
	assert_int_equal(step_intent_parse("intent=reload nginx2\n", "nginx"),
	    0);
	step_items_free(&it);
	assert_null(it.units.v);
}

static void
test_args(void **state)
{
	struct step_args	a = { NULL, 0 };

	(void)state;
	step_args_add(&a, "one");
	step_args_add(&a, "two");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[1], "two");
	assert_null(a.v[2]);
	step_args_free(&a);
	assert_null(a.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchored),
		cmocka_unit_test(test_files_parse),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_intent),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
