/*
 * Unit tests of the template language (lib/template.c), and of the
 * shipped nginx templates: rendered, then checked by `nginx -t` itself
 * when nginx is installed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

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
#include "template.h"
#include "proxy.h"

static void
test_substitution_and_sections(void **state)
{
	struct tvars	 v;
	char		*out, *err;

	tvars_init(&v);
	tvars_set(&v, "fqdn", "dhis.example.org");
	tvars_set(&v, "tls", "1");
	tvars_set(&v, "hsts", "0");
	out = template_render("name {{fqdn}}\n{{#tls}}\nssl on\n{{/tls}}\n"
	    "{{#hsts}}\nhsts\n{{/hsts}}\n{{^hsts}}\nno hsts\n{{/hsts}}\nend\n",
	    &v, &err);
	assert_non_null(out);
	assert_string_equal(out, "name dhis.example.org\nssl on\nno hsts\nend\n");
	free(out);
	out = template_render("a{{#tls}}-{{fqdn}}{{/tls}}b", &v, &err);
	assert_string_equal(out, "a-dhis.example.orgb");
	free(out);
	/* An inline section keeps the line's end (dhis.conf's sslmode). */
	out = template_render("url = x{{#hsts}}?ssl{{/hsts}}\nuser = u\n",
	    &v, &err);
	assert_string_equal(out, "url = x\nuser = u\n");
	free(out);
	out = template_render("a {{#tls}}on{{/tls}}\nb\n", &v, &err);
	assert_string_equal(out, "a on\nb\n");
	free(out);
	tvars_free(&v);
}

static void
test_errors(void **state)
{
	struct tvars	 v;
	char		*err, *out;

	tvars_init(&v);
	tvars_set(&v, "x", "1");
	assert_null(template_render("ok\n{{nope}}\n", &v, &err));
	assert_string_equal(err, "line 2: unknown variable 'nope'");
	free(err);
	assert_null(template_render("{{#x}}never closed", &v, &err));
	assert_non_null(strstr(err, "never closed"));
	free(err);
	assert_null(template_render("{{/x}}", &v, &err));
	assert_non_null(strstr(err, "closes nothing"));
	free(err);
	assert_null(template_render("{{x", &v, &err));
	free(err);
	/* Even inside a section that is off, an unknown name is refused. */
	tvars_set(&v, "off", "");
	out = template_render("{{#off}}\n{{nope}}\n{{/off}}", &v, &err);
	assert_null(out);
	assert_string_equal(err, "line 2: unknown variable 'nope'");
	free(err);
	tvars_free(&v);
}

static int
have(const char *path)
{
	return access(path, X_OK) == 0;
}

static void
run_ok(const char *cmd)
{
	int	st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("command failed: %s", cmd);
}

static void
write_text(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void
nginx_site_vars(struct tvars *v, const char *dir, int tls)
{
	tvars_set(v, "fqdn", "dhis.example.org");
	tvars_set(v, "tls", tls ? "1" : "");
	tvars_setf(v, "tls_cert", "%s/cert.pem", dir);
	tvars_setf(v, "tls_key", "%s/key.pem", dir);
	tvars_setf(v, "hsts_conf", "%s/hsts.conf", dir);
	tvars_setf(v, "acme_webroot", "%s/acme", dir);
	tvars_set(v, "body_size", "100M");
	tvars_set(v, "timeout", "300");
}

/* Render the whole site as the proxy step does and let nginx judge it. */
static void
test_nginx_templates_pass_nginx_t(void **state)
{
	struct tvars	 v, loc, up;
	char		 dir[] = "/tmp/d2s-nginx-XXXXXX";
	char		*site, *l1, *l2, *ups, *err, *path, *cmd, *conf;
	char		*snippet;

	if (!have("/usr/sbin/nginx")) {
		skip();
	}
	assert_non_null(mkdtemp(dir));
	tvars_init(&loc);
	tvars_set(&loc, "name", "hmis");
	tvars_set(&loc, "base_path", "/hmis");
	tvars_set(&loc, "backend", "127.0.0.1:8080");
	tvars_set(&loc, "redirect_bare", "1");
	tvars_setf(&loc, "snippet", "%s/dhis2-proxy.conf", dir);
	assert_non_null(l1 = template_render_file("nginx-location.conf", &loc,
	    &err));
	tvars_set(&loc, "name", "tracker");
	tvars_set(&loc, "base_path", "/tracker");
	tvars_set(&loc, "backend", "dhis2_tracker");
	assert_non_null(l2 = template_render_file("nginx-location.conf", &loc,
	    &err));
	tvars_init(&up);
	tvars_set(&up, "upstream", "dhis2_tracker");
	tvars_set(&up, "servers", "\tserver 127.0.0.1:8081;\n"
	    "\tserver 127.0.0.1:8082;");
	assert_non_null(ups = template_render_file("nginx-upstream.conf", &up,
	    &err));
	tvars_init(&v);
	nginx_site_vars(&v, dir, 1);
	tvars_set(&v, "upstreams", ups);
	tvars_setf(&v, "locations", "%s%s", l1, l2);
	site = template_render_file("nginx-site.conf", &v, &err);
	if (site == NULL)
		fail_msg("%s", err);

	/* A throwaway certificate and a minimal main config around it. */
	xasprintf(&cmd, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
	    "-subj /CN=dhis.example.org -keyout %s/key.pem -out %s/cert.pem "
	    ">/dev/null 2>&1", dir, dir);
	run_ok(cmd);
	free(cmd);
	assert_non_null(snippet = template_render_file(
	    "nginx-proxy-snippet.conf", &v, &err));
	xasprintf(&path, "%s/site.conf", dir);
	write_text(path, site);
	free(path);
	xasprintf(&path, "%s/dhis2-proxy.conf", dir);
	write_text(path, snippet);
	free(path);
	/* hsts.conf as the tls step writes it for a trusted certificate */
	xasprintf(&path, "%s/hsts.conf", dir);
	conf = tls_hsts_text(1, 1);
	write_text(path, conf);
	free(conf);
	free(path);
	xasprintf(&conf, "pid %s/nginx.pid;\nerror_log %s/error.log;\n"
	    "events {}\nhttp {\n access_log off;\n include %s/site.conf;\n}\n",
	    dir, dir, dir);
	xasprintf(&path, "%s/nginx.conf", dir);
	write_text(path, conf);
	xasprintf(&cmd, "/usr/sbin/nginx -t -q -p %s -c %s >%s/t.out 2>&1 || "
	    "{ cat %s/t.out; exit 1; }", dir, path, dir, dir);
	run_ok(cmd);
	free(cmd);
	free(path);
	free(conf);
	xasprintf(&cmd, "rm -rf %s", dir);
	run_ok(cmd);
	free(cmd);
	free(site);
	free(snippet);
	free(l1);
	free(l2);
	free(ups);
	tvars_free(&v);
	tvars_free(&loc);
	tvars_free(&up);
}

static void
test_every_template_renders(void **state)
{
	static const char *names[] = { "dhis.conf", "server.xml",
	    "tomcat.service", "apache2-site.conf", "apache2-location.conf",
	    "nginx-site.conf", NULL };
	static const char *vars[] = { "name", "user", "db_host", "db_port",
	    "db_name", "db_ssl", "db_user", "db_password", "pool_hikari",
	    "base_url", "https", "encryption_password", "monitoring", "redis",
	    "redis_host", "redis_port", "redis_password", "replicas", "listen",
	    "port", "fqdn", "route", "tomcat_major", "java", "local_db",
	    "catalina_home", "catalina_base", "dhis2_home", "java_home",
	    "heap_mb", "tls", "tls_cert", "tls_key", "acme_webroot", "ocsp",
	    "hsts_conf", "body_size_bytes", "timeout", "locations", "balancer",
	    "base_path", "backend", "upstreams", "body_size", "snippet",
	    "max_threads", NULL };
	struct tvars	 v;
	char		*out, *err;
	size_t		 i;

	tvars_init(&v);
	for (i = 0; vars[i] != NULL; i++)
		tvars_set(&v, vars[i], "1");
	for (i = 0; names[i] != NULL; i++) {
		out = template_render_file(names[i], &v, &err);
		if (out == NULL)
			fail_msg("%s", err);
		assert_null(strstr(out, "{{"));
		free(out);
	}
	tvars_free(&v);
}

/* Occurrences of needle in s. */
static int
count_of(const char *s, const char *needle)
{
	int	n = 0;

	for (; (s = strstr(s, needle)) != NULL; s += strlen(needle))
		n++;
	return n;
}

/* A proxy template rendered with every variable set ("ocsp" too). */
static char *
render_all_on(const char *name)
{
	struct tvars	 v;
	char		*out, *err;

	tvars_init(&v);
	tvars_set(&v, "fqdn", "dhis.example.org");
	tvars_set(&v, "tls", "1");
	tvars_set(&v, "ocsp", "1");
	tvars_set(&v, "acme_webroot", "/var/www/acme");
	tvars_set(&v, "name", "hmis");
	tvars_set(&v, "redirect_bare", "1");
	tvars_set(&v, "base_path", "/hmis");
	tvars_set(&v, "backend", "127.0.0.1:8080");
	tvars_set(&v, "snippet", "/etc/nginx/snippets/dhis2-proxy.conf");
	tvars_set(&v, "tls_cert", "/etc/dhis2-setup/tls/fullchain.pem");
	tvars_set(&v, "tls_key", "/etc/dhis2-setup/tls/privkey.pem");
	tvars_set(&v, "hsts_conf", "/etc/dhis2-setup/tls/hsts.conf");
	tvars_set(&v, "upstreams", "");
	tvars_set(&v, "locations", "");
	tvars_set(&v, "body_size", "100M");
	tvars_set(&v, "body_size_bytes", "104857600");
	tvars_set(&v, "timeout", "600");
	out = template_render_file(name, &v, &err);
	if (out == NULL)
		fail_msg("%s: %s", name, err);
	tvars_free(&v);
	return out;
}

/*
 * Audit L3 and testssl.sh: no version on any server block (port 80 too),
 * no OCSP stapling, the server's cipher order, the strongest suite first,
 * X-Forwarded-For from the connection only, /api/auth/login rate-limited.
 */
static void
test_proxy_hardening(void **state)
{
	char	*s;

	s = render_all_on("nginx-site.conf");
	assert_int_equal(count_of(s, "server_tokens off;"),
	    count_of(s, "\nserver {"));
	assert_null(strstr(s, "ssl_stapling"));
	assert_non_null(strstr(s, "\tssl_prefer_server_ciphers on;\n"));
	assert_non_null(strstr(s, "\tssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:"));
	free(s);
	s = render_all_on("nginx-proxy-snippet.conf");
	assert_non_null(strstr(s, "X-Forwarded-For $remote_addr;"));
	assert_null(strstr(s, "proxy_add_x_forwarded_for"));
	free(s);
	s = render_all_on("nginx-location.conf");
	assert_non_null(strstr(s, "location ~ ^/hmis/api/([0-9]+/)?auth/login {\n"
	    "\t\tlimit_req zone=dhis2_login "));
	free(s);
	s = render_all_on("apache2-site.conf");
	assert_null(strstr(s, "SSLUseStapling"));
	assert_non_null(strstr(s, "\nSSLHonorCipherOrder on\n"));
	assert_non_null(strstr(s, "\nSSLCipherSuite ECDHE-ECDSA-AES256-GCM-SHA384:"));
	assert_non_null(strstr(s, "\tRequestHeader unset X-Forwarded-For\n"));
	assert_non_null(strstr(s, "\tHeader unset Server\n"));
	assert_non_null(strstr(s, "\nServerTokens Prod\n"));
	free(s);
}

/* The instance's max_threads is the connector's maxThreads. */
static void
test_server_xml_max_threads(void **state)
{
	static const char *vars[] = { "name", "listen", "port", "https",
	    "fqdn", "route", NULL };
	struct tvars	 v;
	char		*out, *err;
	size_t		 i;

	tvars_init(&v);
	for (i = 0; vars[i] != NULL; i++)
		tvars_set(&v, vars[i], "");
	tvars_set(&v, "max_threads", "150");
	out = template_render_file("server.xml", &v, &err);
	if (out == NULL)
		fail_msg("%s", err);
	assert_non_null(strstr(out, " maxThreads=\"150\""));
	free(out);
	tvars_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_substitution_and_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_template_renders),
		cmocka_unit_test(test_server_xml_max_threads),
		cmocka_unit_test(test_nginx_templates_pass_nginx_t),
		cmocka_unit_test(test_proxy_hardening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
