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

/* Render one "{{v|FILTER}}" with v = value; the text, or NULL and *err. */
static char *
one(const char *tmpl, const char *value, char **err)
{
	struct tvars	 v;
	char		*out;

	tvars_init(&v);
	tvars_set(&v, "v", value);
	out = template_render(tmpl, &v, err);
	tvars_free(&v);
	return out;
}

static void
expect_render(const char *tmpl, const char *value, const char *want)
{
	char	*out, *err;

	if ((out = one(tmpl, value, &err)) == NULL)
		fail_msg("%s: %s", tmpl, err);
	assert_string_equal(out, want);
	free(out);
}

/* A refusal names the variable and the format, never the value. */
static void
expect_refused(const char *tmpl, const char *value, const char *want)
{
	char	*out, *err;

	out = one(tmpl, value, &err);
	assert_null(out);
	assert_string_equal(err, want);
	assert_null(strstr(err, "SECRET"));
	free(err);
}

/* L1: a quote in an e-mail address broke alertmanager.yml. */
static void
test_filter_yaml(void **state)
{
	(void)state;
	expect_render("to: {{v|yaml}}\n", "ops'}]#,x@example.org",
	    "to: 'ops''}]#,x@example.org'\n");
	expect_render("{{v|yaml}}", "", "''");
	expect_render("{{v|yaml}}", "caf\xc3\xa9: #x", "'caf\xc3\xa9: #x'");
	expect_refused("a\nb: {{v|yaml}}", "SECRET\nx: y",
	    "line 2: 'v' holds a control character: it cannot be written as "
	    "a YAML quoted scalar");
	expect_refused("{{v|yaml}}", "SECRET\xc2\x9b", "line 1: 'v' holds a "
	    "control character: it cannot be written as a YAML quoted scalar");
}

/*
 * L1: dhis.conf is read by java.util.Properties: a backslash was taken
 * as an escape (the password DHIS2 sent was not the role's), a newline
 * started a key of its own, leading blanks were dropped.
 */
static void
test_filter_properties(void **state)
{
	(void)state;
	expect_render("p = {{v|properties}}\n", "a\\b\\u0041",
	    "p = a\\\\b\\\\u0041\n");
	expect_render("p = {{v|properties}}\n", "x\nserver.base.url = evil",
	    "p = x\\nserver.base.url = evil\n");
	expect_render("{{v|properties}}", "  a b ", "\\ \\ a b ");
	expect_render("{{v|properties}}", "#!=:\t\r\f\x1b",
	    "#!=:\\t\\r\\f\\u001B");
	/* Past ASCII: UTF-16 escapes, a pair above U+FFFF. */
	expect_render("{{v|properties}}", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91",
	    "\\u00E9\\u20AC\\uD83D\\uDD11");
	/* Not UTF-8: the byte as ISO 8859-1. */
	expect_render("{{v|properties}}", "\xe9x", "\\u00E9x");
}

static void
test_filter_xml_and_errors(void **state)
{
	struct tvars	 v;
	char		*out, *err;

	(void)state;
	expect_render("<a b=\"{{v|xml}}\"/>", "<&\"'>",
	    "<a b=\"&lt;&amp;&quot;&apos;&gt;\"/>");
	expect_refused("{{v|xml}}", "SECRET\x01", "line 1: 'v' holds a "
	    "control character: it cannot be written as XML text");
	/* As it is: lines and tabs (rendered parts), no other control. */
	expect_render("{{v}}", "a\n\tb'\\", "a\n\tb'\\");
	expect_refused("x {{v}}", "SECRET\r", "line 1: 'v' holds a control "
	    "character: it cannot be written as text");
	expect_refused("x {{v}}", "SECRET\x1b[2J", "line 1: 'v' holds a "
	    "control character: it cannot be written as text");
	expect_refused("{{v|shell}}", "x", "line 1: unknown filter 'shell'");
	expect_refused("{{#v|yaml}}x{{/v}}", "x",
	    "line 1: '{{#v|yaml}}': a section takes no filter");
	/* Unknown variables are still refused, filter or not. */
	tvars_init(&v);
	assert_null(template_render("{{nope|yaml}}", &v, &err));
	assert_string_equal(err, "line 1: unknown variable 'nope'");
	free(err);
	tvars_free(&v);
	/* One value alone, as tomcat's replica lines take it. */
	out = template_escape("properties", "a\\b", &err);
	assert_string_equal(out, "a\\\\b");
	free(out);
	assert_null(template_escape("yaml", "a\nb", &err));
	assert_non_null(err);
	free(err);
	assert_null(template_escape("nope", "a", &err));
	free(err);
}

/* The shipped dhis.conf: every secret through the properties filter. */
static void
write_text(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/*
 * Where Java is at hand: java.util.Properties itself reads back what the
 * filter wrote, as DHIS2 reads dhis.conf (an InputStream: ISO 8859-1).
 */
static const char props_reader[] =
    "import java.io.*; import java.util.*;\n"
    "public class P { public static void main(String[] a) throws Exception {\n"
    " Properties p = new Properties();\n"
    " try (InputStream in = new FileInputStream(a[0])) { p.load(in); }\n"
    " StringBuilder sb = new StringBuilder();\n"
    " for (char c : p.getProperty(\"p\").toCharArray())\n"
    "  sb.append(String.format(\"%04x \", (int)c));\n"
    " System.out.println(sb + \"keys \" + p.size()); } }\n";

static void
test_filter_properties_java(void **state)
{
	char	 dir[] = "/tmp/d2s-props-XXXXXX", *path, *cmd, *out, *err;
	FILE	*f;
	char	 line[512];

	(void)state;
	if (system("command -v java >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	xasprintf(&path, "%s/P.java", dir);
	write_text(path, props_reader);
	free(path);
	out = one("# dhis.conf\np = {{v|properties}}\n",
	    "  a\\b\nx = y\xc3\xa9\xf0\x9f\x94\x91#!:=", &err);
	assert_non_null(out);
	xasprintf(&path, "%s/t.conf", dir);
	write_text(path, out);
	free(out);
	xasprintf(&cmd, "cd %s && java P.java t.conf 2>&1; rm -rf %s", dir, dir);
	assert_non_null(f = popen(cmd, "r"));
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	pclose(f);
	free(cmd);
	free(path);
	/* The value as it was, in UTF-16, and no key of its own. */
	assert_string_equal(line, "0020 0020 0061 005c 0062 000a 0078 0020 "
	    "003d 0020 0079 00e9 d83d dd11 0023 0021 003a 003d keys 1\n");
}

static void
test_dhis_conf_escapes_secrets(void **state)
{
	struct tvars	 v;
	char		*out, *err;

	(void)state;
	tvars_init(&v);
	tvars_set(&v, "name", "hmis");
	tvars_set(&v, "user", "dhis-hmis");
	tvars_set(&v, "db_host", "127.0.0.1");
	tvars_set(&v, "db_port", "5432");
	tvars_set(&v, "db_name", "hmis");
	tvars_set(&v, "db_ssl", "");
	tvars_set(&v, "db_user", "hmis");
	tvars_set(&v, "db_password", "pa\\ss\nx = y");
	tvars_set(&v, "pool_hikari", "1");
	tvars_set(&v, "base_url", "https://dhis.example.org/hmis");
	tvars_set(&v, "https", "1");
	tvars_set(&v, "encryption_password", " \\enc");
	tvars_set(&v, "monitoring", "");
	tvars_set(&v, "redis", "1");
	tvars_set(&v, "redis_host", "127.0.0.1");
	tvars_set(&v, "redis_port", "6379");
	tvars_set(&v, "redis_password", "r\\");
	tvars_set(&v, "replicas", "");
	out = template_render_file("dhis.conf", &v, &err);
	if (out == NULL)
		fail_msg("%s", err);
	assert_non_null(strstr(out, "\nconnection.password = pa\\\\ss\\nx = y\n"));
	assert_non_null(strstr(out, "\nencryption.password = \\ \\\\enc\n"));
	assert_non_null(strstr(out, "\nredis.password = r\\\\\n"));
	assert_null(strstr(out, "\nx = y"));
	free(out);
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
		cmocka_unit_test(test_filter_yaml),
		cmocka_unit_test(test_filter_properties),
		cmocka_unit_test(test_filter_properties_java),
		cmocka_unit_test(test_filter_xml_and_errors),
		cmocka_unit_test(test_dhis_conf_escapes_secrets),
		cmocka_unit_test(test_every_template_renders),
		cmocka_unit_test(test_server_xml_max_threads),
		cmocka_unit_test(test_nginx_templates_pass_nginx_t),
		cmocka_unit_test(test_proxy_hardening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
