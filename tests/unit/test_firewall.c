/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The firewall's rulesets as rendered from a topology: what each node
 * lets in, the LXC host's forwarding and bridge tables, the sum in the
 * tables' comment, the lock-out guard's address test; and, where nft is
 * at hand, every rendered file checked by `nft -c -f` in a throwaway
 * network namespace (unshare -n), never in this machine's own.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "firewall.h"
#include "profile.h"
#include "topology.h"
#include "topo_fixture.h"

static const char lxc_profile[] = FX_LXC_PROFILE;

/* The database at an IPv6 address, SSH on port 2222. */
static const char machines_profile[] =
    FX_HEAD("machines", "198.51.100.0/24") FX_WEB_APP
    "  - name: db\n    address: 2001:db8::12\n    roles: [database]\n"
    "    ssh:\n      port: 2222\n"
    FX_HMIS "database:\n  version: 15\nmonitoring: none\n";

/* Does text have a line that, without its leading tabs, starts so? */
static int
has_line(const char *text, const char *start)
{
	const char	*p = text;
	size_t		 len = strlen(start);

	while (*p != '\0') {
		while (*p == '\t')
			p++;
		if (strncmp(p, start, len) == 0)
			return 1;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return 0;
}

/* Is the line after `first` (found as a line start) `second`? */
static int
line_follows(const char *text, const char *first, const char *second)
{
	const char	*p = strstr(text, first);

	if (p == NULL || (p = strchr(p, '\n')) == NULL)
		return 0;
	return strncmp(p + 1, second, strlen(second)) == 0;
}

/* How to run nft in a network namespace of its own, or NULL. */
static const char *
netns_prefix(void)
{
	if (system("command -v nft >/dev/null 2>&1") != 0)
		return NULL;
	if (system("unshare -rn nft list ruleset >/dev/null 2>&1") == 0)
		return "unshare -rn";
	if (getuid() == 0 &&
	    system("unshare -n nft list ruleset >/dev/null 2>&1") == 0)
		return "unshare -n";
	return NULL;
}

/*
 * `nft -c -f` on the text in a throwaway network namespace: 1 valid,
 * 0 refused, -1 cannot check here (no nft, no namespaces).
 */
static int
nft_check(const char *text)
{
	static const char	*prefix;
	static int		 probed;
	char			 path[] = "/tmp/d2s-fw-test.XXXXXX", *cmd;
	FILE			*f;
	int			 fd, rc;

	if (!probed) {
		prefix = netns_prefix();
		probed = 1;
	}
	if (prefix == NULL)
		return -1;
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	xasprintf(&cmd, "%s nft -c -f %s", prefix, path);
	rc = system(cmd);
	free(cmd);
	if (rc != 0)
		print_message("# nft -c refused:\n%s\n", text);
	unlink(path);
	return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

static void
assert_nft_accepts(const char *text)
{
	int	rc = nft_check(text);

	if (rc == -1) {
		print_message("# nft -c not possible here: not checked\n");
		return;
	}
	assert_int_equal(rc, 1);
}

static void
test_machines(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *web, *app, *db, *tag = NULL;
	size_t		 nweb, napp, ndb;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	nweb = node_named(&t, "web");
	napp = node_named(&t, "app");
	ndb = node_named(&t, "db");
	web = firewall_render(&t, nweb, &err, &tag);
	app = firewall_render(&t, napp, &err, NULL);
	db = firewall_render(&t, ndb, &err, NULL);
	assert_non_null(web);
	assert_non_null(app);
	assert_non_null(db);

	/* only our table, replaced; never the whole ruleset */
	assert_null(strstr(web, "flush ruleset"));
	assert_true(line_follows(web, "table inet dhis2_setup\n",
	    "delete table inet dhis2_setup\n"));
	assert_null(strstr(web, "table bridge"));
	assert_null(strstr(web, "hook forward"));
	assert_true(has_line(web, "type filter hook input priority filter; "
	    "policy drop;"));
	assert_true(has_line(web, "iif \"lo\" accept"));
	assert_true(has_line(web, "ct state established,related accept"));
	assert_true(has_line(web, "icmp type echo-request limit rate"));

	/* the proxy: the web from anywhere, SSH from admin, nothing else */
	assert_true(has_line(web, "tcp dport 80 accept"));
	assert_true(has_line(web, "tcp dport 443 accept"));
	assert_true(has_line(web, "ip saddr 198.51.100.0/24 tcp dport 22 "
	    "accept"));
	assert_null(strstr(web, "8080"));
	assert_null(strstr(web, "5432"));

	/* the app: Tomcat from the proxy only */
	assert_true(has_line(app, "ip saddr 192.0.2.10 tcp dport 8080 "
	    "accept"));
	assert_false(has_line(app, "tcp dport 80 accept"));
	assert_null(strstr(app, "5432"));

	/* the database: from the app only, SSH on its own port */
	assert_true(has_line(db, "ip saddr 192.0.2.11 tcp dport 5432 "
	    "accept"));
	assert_true(has_line(db, "ip saddr 198.51.100.0/24 tcp dport 2222 "
	    "accept"));
	assert_false(has_line(db, "ip saddr 198.51.100.0/24 tcp dport 22 "));
	assert_null(strstr(db, "192.0.2.10"));	/* never the proxy */

	/* an IPv6 node as a source */
	assert_non_null(tag);
	assert_int_equal(strlen(tag), 16);
	assert_non_null(strstr(web, tag));

	assert_nft_accepts(web);
	assert_nft_accepts(app);
	assert_nft_accepts(db);
	free(web);
	free(app);
	free(db);
	free(tag);
	topology_free(&t);
	profile_free(&p);
}

static void
test_ipv6_source(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *text;
	size_t		 nweb;

	(void)state;
	/* the database at an IPv6 address, as a source for its replica */
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	nweb = node_named(&t, "web");
	/* make the db node a source of a rule to web, as a monitor would */
	t.rules = xreallocarray(t.rules, t.nrules + 1, sizeof *t.rules);
	t.rules[t.nrules].to = nweb;
	t.rules[t.nrules].from_kind = FROM_NODE;
	t.rules[t.nrules].from = node_named(&t, "db");
	t.rules[t.nrules].port_lo = 9100;
	t.rules[t.nrules].port_hi = 9100;
	t.rules[t.nrules].service = "node-exporter";
	t.nrules++;
	text = firewall_render(&t, nweb, &err, NULL);
	assert_non_null(text);
	assert_true(has_line(text, "ip6 saddr 2001:db8::12 tcp dport 9100 "
	    "accept"));
	assert_nft_accepts(text);
	free(text);
	topology_free(&t);
	profile_free(&p);
}

static void
test_name_not_address(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *text;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	free(t.nodes[node_named(&t, "web")].address);
	t.nodes[node_named(&t, "web")].address = xstrdup("web.example.org");
	text = firewall_render(&t, node_named(&t, "app"), &err, NULL);
	assert_null(text);
	assert_non_null(err);
	assert_non_null(strstr(err, "web.example.org"));
	assert_non_null(strstr(err, "not an IP address"));
	free(err);
	topology_free(&t);
	profile_free(&p);
}

static void
test_lxc(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *host, *db, *proxy, *hmis;

	(void)state;
	load(&p, lxc_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	host = firewall_render(&t, node_named(&t, "local"), &err, NULL);
	db = firewall_render(&t, node_named(&t, "t-postgres"), &err, NULL);
	proxy = firewall_render(&t, node_named(&t, "t-proxy"), &err, NULL);
	hmis = firewall_render(&t, node_named(&t, "t-hmis"), &err, NULL);
	assert_non_null(host);
	assert_non_null(db);
	assert_non_null(proxy);
	assert_non_null(hmis);

	/* the host: SSH from admin; forwarding denied but for ... */
	assert_true(has_line(host, "ip saddr 192.0.2.0/24 tcp dport 22 "
	    "accept"));
	assert_true(has_line(host, "type filter hook forward priority filter; "
	    "policy drop;"));
	/* ... the public ports DNAT'ed to the proxy container, */
	assert_true(has_line(host, "ip daddr 10.88.0.10 tcp dport 443 "
	    "ct status dnat accept"));
	assert_true(has_line(host, "ip daddr 10.88.0.10 tcp dport 80 "
	    "ct status dnat accept"));
	/* ... the containers' own way out, */
	assert_true(has_line(host, "iifname \"br-test\" oifname != "
	    "\"br-test\" ip saddr 10.88.0.0/24 accept"));
	/* ... and bridged traffic, which the bridge table decides */
	assert_true(has_line(host, "iifname \"br-test\" oifname \"br-test\" "
	    "ip saddr 10.88.0.0/24 ip daddr 10.88.0.0/24 accept"));
	/* the monitor scrapes the host's exporter */
	assert_true(has_line(host, "ip saddr 10.88.0.40 tcp dport 9100 "
	    "accept"));
	/* never the LXC NAT table, never the whole ruleset */
	assert_null(strstr(host, "dhis2_setup_nat"));
	assert_null(strstr(host, "type nat"));
	assert_null(strstr(host, "flush"));

	/* the bridge table: its own, replaced, the pairs, then drop */
	assert_true(line_follows(host, "table bridge dhis2_setup_br\n",
	    "delete table bridge dhis2_setup_br\n"));
	assert_true(has_line(host, "type filter hook forward priority filter; "
	    "policy accept;"));
	assert_true(has_line(host, "ip saddr 10.88.0.0/24 ip daddr "
	    "10.88.0.0/24 jump containers"));
	assert_true(has_line(host, "ip saddr 10.88.0.10 ip daddr 10.88.0.100 "
	    "tcp dport 8080 accept"));
	assert_true(has_line(host, "ip saddr 10.88.0.100 ip daddr 10.88.0.10 "
	    "tcp sport 8080 tcp flags & (syn | ack) != syn accept"));
	assert_true(has_line(host, "ip saddr 10.88.0.10 ip daddr 10.88.0.101 "
	    "tcp dport 8090 accept"));
	assert_true(has_line(host, "ip saddr 10.88.0.100 ip daddr 10.88.0.20 "
	    "tcp dport 5432 accept"));
	assert_true(has_line(host, "ip saddr 10.88.0.101 ip daddr 10.88.0.20 "
	    "tcp dport 5432 accept"));
	assert_true(has_line(host, "ip daddr 10.88.0.10 tcp dport 443 "
	    "accept"));
	assert_false(has_line(host, "ip saddr 10.88.0.10 ip daddr 10.88.0.20"));
	assert_false(has_line(host, "ip saddr 10.88.0.100 ip daddr "
	    "10.88.0.101"));
	assert_true(line_follows(host, "\t\tdrop\n", "\t}\n}\n"));

	/* containers: no SSH at all; the database from the instances */
	assert_null(strstr(db, "dport 22 "));
	assert_null(strstr(db, "hook forward"));
	assert_true(has_line(db, "ip saddr 10.88.0.100 tcp dport 5432 "
	    "accept"));
	assert_true(has_line(db, "ip saddr 10.88.0.101 tcp dport 5432 "
	    "accept"));
	assert_true(has_line(db, "ip saddr 10.88.0.40 tcp dport 9187 "
	    "accept"));
	assert_null(strstr(db, "10.88.0.10 "));
	assert_true(has_line(proxy, "tcp dport 443 accept"));
	assert_true(has_line(hmis, "ip saddr 10.88.0.10 tcp dport 8080 "
	    "accept"));
	assert_null(strstr(hmis, "8090"));

	assert_nft_accepts(host);
	assert_nft_accepts(db);
	assert_nft_accepts(proxy);
	assert_nft_accepts(hmis);
	free(host);
	free(db);
	free(proxy);
	free(hmis);
	topology_free(&t);
	profile_free(&p);
}

/* The tables' comment is the file's sum: the same topology, the same tag. */
static void
test_tag(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL, *a, *b, *c, *ta, *tb, *tc, *want;
	size_t		 n;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	n = node_named(&t, "db");
	a = firewall_render(&t, n, &err, &ta);
	b = firewall_render(&t, n, &err, &tb);
	assert_string_equal(a, b);
	assert_string_equal(ta, tb);
	xasprintf(&want, "comment \"dhis2-setup %s\"", ta);
	assert_non_null(strstr(a, want));
	free(want);
	t.admin_network = "203.0.113.0/24";
	c = firewall_render(&t, n, &err, &tc);
	assert_string_not_equal(ta, tc);
	free(a);
	free(b);
	free(c);
	free(ta);
	free(tb);
	free(tc);
	topology_free(&t);
	profile_free(&p);
}

static void
test_addr_in(void **state)
{
	(void)state;
	assert_int_equal(firewall_addr_in("192.0.2.7", "192.0.2.0/24"), 1);
	assert_int_equal(firewall_addr_in("192.0.3.7", "192.0.2.0/24"), 0);
	assert_int_equal(firewall_addr_in("192.0.2.1", "192.0.2.1/32"), 1);
	assert_int_equal(firewall_addr_in("192.0.2.2", "192.0.2.1/32"), 0);
	assert_int_equal(firewall_addr_in("10.1.2.3", "0.0.0.0/0"), 1);
	assert_int_equal(firewall_addr_in("10.1.2.3", "10.0.0.0/9"), 1);
	assert_int_equal(firewall_addr_in("10.200.2.3", "10.0.0.0/9"), 0);
	/* host bits in the network are ignored, as nft does */
	assert_int_equal(firewall_addr_in("192.0.2.9", "192.0.2.5/24"), 1);
	assert_int_equal(firewall_addr_in("2001:db8::5", "2001:db8::/32"), 1);
	assert_int_equal(firewall_addr_in("2001:db9::5", "2001:db8::/32"), 0);
	assert_int_equal(firewall_addr_in("fe80::1%eth0", "fe80::/10"), 1);
	/* a v4-mapped client (sshd on a dual-stack socket) */
	assert_int_equal(firewall_addr_in("::ffff:192.0.2.7", "192.0.2.0/24"),
	    1);
	assert_int_equal(firewall_addr_in("192.0.2.7", "2001:db8::/32"), 0);
	assert_int_equal(firewall_addr_in("192.0.2.7", "192.0.2.1"), 0);
	assert_int_equal(firewall_addr_in("nonsense", "192.0.2.0/24"), -1);
	assert_int_equal(firewall_addr_in("192.0.2.7", "192.0.2.0/33"), -1);
}

/* The lock-out guard's question: would this SSH session survive? */
static void
test_client_allowed(void **state)
{
	struct profile	 p;
	struct topology	 t;
	char		*err = NULL;
	size_t		 web, db;

	(void)state;
	load(&p, machines_profile);
	assert_int_equal(topology_build(&t, &p, &err), 0);
	web = node_named(&t, "web");
	db = node_named(&t, "db");
	assert_true(firewall_client_allowed(&t, web, "198.51.100.9", 22));
	assert_false(firewall_client_allowed(&t, web, "203.0.113.9", 22));
	/* the SSH session came in on a port the rules do not open */
	assert_false(firewall_client_allowed(&t, db, "198.51.100.9", 22));
	assert_true(firewall_client_allowed(&t, db, "198.51.100.9", 2222));
	/* no admin_network: SSH from anywhere */
	t.admin_network = NULL;
	assert_true(firewall_client_allowed(&t, web, "203.0.113.9", 22));
	topology_free(&t);
	profile_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machines),
		cmocka_unit_test(test_ipv6_source),
		cmocka_unit_test(test_name_not_address),
		cmocka_unit_test(test_lxc),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_addr_in),
		cmocka_unit_test(test_client_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
