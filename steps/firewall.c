/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * firewall: default deny inbound on every machine and container, and on
 * the LXC host default deny forwarding, letting through exactly the
 * topology's allowed pairs (topology.c): the hosting guide's "minimum
 * access to one another".
 *
 * nftables rather than ufw, because:
 *  - one ruleset per node is one file loaded atomically with `nft -f`
 *    (checked first with `nft -c -f`): the machine goes from the old rules
 *    to the new ones in one kernel transaction, never through a half-made
 *    state, and a re-run compares one file;
 *  - our rules live in tables of our own (inet dhis2_setup, and on the
 *    LXC host bridge dhis2_setup_br) that we delete and recreate without
 *    touching anyone else's (Docker's, the LXC step's NAT table); ufw owns
 *    the whole iptables filter table and `ufw reset` / `ufw enable` rewrite
 *    it;
 *  - traffic between containers is bridged, not routed, so it is filtered
 *    in the bridge family, which ufw cannot express; and ufw's forward
 *    filtering ("route" rules) is a thin layer over a default FORWARD
 *    policy that is easy to get wrong;
 *  - it is Debian's default firewall framework (iptables is a front-end to
 *    it since Debian 10), so nothing else is installed but the nft tool.
 *
 * The file /etc/dhis2-setup/firewall.nft is loaded at run time with nft -f
 * and at boot by dhis2-setup-firewall.service (where systemd runs).  Its
 * tables carry a comment with the sum of the file, which the probe reads
 * back from the kernel: a converged re-run is one probe round trip.
 *
 * Before loading on a machine reached over SSH (or run from an SSH
 * session), the SSH client's address and port from $SSH_CONNECTION must be
 * let through by the new rules; otherwise the step fails and changes
 * nothing (the lock-out guard).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "firewall.h"
#include "profile.h"
#include "step.h"
#include "apt.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define FIREWALL_UNIT_PATH	"/etc/systemd/system/" FIREWALL_UNIT
#define FIREWALL_NEW		FIREWALL_FILE ".new"
#define FIREWALL_MODE		0640
#define TAG_PLACEHOLDER		"@DHIS2_SETUP_TAG@"

/*
 * After nftables.service: Debian's /etc/nftables.conf starts with "flush
 * ruleset", so where an operator enabled it, ours must load after it.
 */
static const char firewall_unit[] =
    "# dhis2-setup: load the firewall before the network comes up.\n"
    "[Unit]\n"
    "Description=dhis2-setup firewall (nftables tables " FIREWALL_TABLE
    ")\n"
    "Documentation=man:dhis2-setup(8)\n"
    "DefaultDependencies=no\n"
    "Wants=network-pre.target\n"
    "Before=network-pre.target shutdown.target\n"
    "After=nftables.service\n"
    "Conflicts=shutdown.target\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    "RemainAfterExit=yes\n"
    "ExecStart=/usr/sbin/nft -f " FIREWALL_FILE "\n"
    "\n"
    "[Install]\n"
    "WantedBy=sysinit.target\n";

/* ------------------------------------------------------------------ */
/* Rendering                                                          */

static void
add(struct strbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	strbuf_add(b, s, strlen(s));
	free(s);
}

/* 4 or 6 for an IP address (with an optional /prefix), 0 otherwise. */
static int
ip_family(const char *s)
{
	char			 buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr		 a6;
	struct in_addr		 a4;
	char			*slash;

	if (s == NULL || strlen(s) >= sizeof buf)
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, &a6) == 1)
		return 6;
	return 0;
}

/* Names and services go into nft comments: keep them plain. */
static void
add_comment(struct strbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *p;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	for (p = s; *p != '\0'; p++) {
		if (strchr("\"\\\n\r\t", *p) != NULL)
			*p = '_';
	}
	add(b, " comment \"%s\"", s);
	free(s);
}

static void
add_ports(struct strbuf *b, const struct topo_rule *r)
{
	char	ports[16];

	add(b, "%s", topo_rule_ports(r, ports, sizeof ports));
}

/* "ip saddr A " for a rule's source; "" for anywhere; -1 when not an IP. */
static int
add_source(struct strbuf *b, const struct topology *t,
    const struct topo_rule *r, char **err)
{
	const char	*a;
	int		 fam;

	switch (r->from_kind) {
	case FROM_ANY:
		return 0;
	case FROM_ADMIN:
		if ((a = t->admin_network) == NULL)
			return 0;
		break;
	case FROM_NODE:
		a = t->nodes[r->from].address;
		break;
	default:
		return 0;
	}
	if ((fam = ip_family(a)) == 0) {
		xasprintf(err, "%s's address %s is not an IP address: firewall "
		    "rules need one (name the machine by its address in the "
		    "profile)", r->from_kind == FROM_NODE ?
		    t->nodes[r->from].name : "admin_network", a ? a : "(none)");
		return -1;
	}
	add(b, "%s saddr %s ", fam == 6 ? "ip6" : "ip", a);
	return 0;
}

static int
is_container_of(const struct topology *t, size_t n, size_t host)
{
	return n != TOPO_NONE && t->nodes[n].kind == TOPO_CONTAINER &&
	    t->nodes[n].host == host;
}

static int
render_input(struct strbuf *b, const struct topology *t, size_t node,
    char **err)
{
	const struct topo_rule	*r;
	size_t			 i;

	add(b, "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy drop;\n"
	    "\t\tiif \"lo\" accept\n"
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n"
	    "\t\ticmp type echo-request limit rate 5/second burst 10 packets "
	    "accept\n"
	    "\t\ticmp type { destination-unreachable, time-exceeded, "
	    "parameter-problem } accept\n"
	    "\t\ticmpv6 type echo-request limit rate 5/second burst 10 "
	    "packets accept\n"
	    /* without neighbour discovery IPv6 stops working at all */
	    "\t\ticmpv6 type { destination-unreachable, packet-too-big, "
	    "time-exceeded, parameter-problem, nd-router-advert, "
	    "nd-neighbor-solicit, nd-neighbor-advert } accept\n");
	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		if (r->to != node)
			continue;
		add(b, "\t\t");
		if (add_source(b, t, r, err) == -1)
			return -1;
		add(b, "tcp dport ");
		add_ports(b, r);
		add(b, " accept");
		add_comment(b, "%s from %s", r->service,
		    topo_rule_source(t, r));
		add(b, "\n");
	}
	add(b, "\t}\n");
	return 0;
}

/*
 * The LXC host routes between its bridge and the world: only replies,
 * the DNAT'ed public ports to their container, and the containers' own
 * connections out (the package archive) pass.  Bridged traffic between
 * two containers is the bridge table's to decide; where br_netfilter is
 * loaded it also passes this hook, and a drop here would be final
 * whatever the bridge table said, so it is let through here.
 */
static void
render_forward(struct strbuf *b, const struct topology *t, size_t node)
{
	const struct topo_rule	*r;
	size_t			 i;

	add(b, "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tct state invalid drop\n"
	    "\t\tiifname \"%s\" oifname \"%s\" ip saddr %s ip daddr %s "
	    "accept", t->bridge, t->bridge, t->subnet, t->subnet);
	add_comment(b, "between containers: table bridge %s decides",
	    FIREWALL_BRIDGE_TABLE);
	add(b, "\n");
	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		if (r->from_kind != FROM_ANY || !is_container_of(t, r->to, node))
			continue;
		add(b, "\t\tip daddr %s tcp dport ", t->nodes[r->to].address);
		add_ports(b, r);
		add(b, " ct status dnat accept");
		add_comment(b, "%s from anywhere to %s", r->service,
		    t->nodes[r->to].name);
		add(b, "\n");
	}
	add(b, "\t\tiifname \"%s\" oifname != \"%s\" ip saddr %s accept",
	    t->bridge, t->bridge, t->subnet);
	add_comment(b, "containers out, to the package archive");
	add(b, "\n\t}\n");
}

/*
 * Between containers, in the bridge family.  The bridge hook sees every
 * bridge of the host, so the base chain's policy stays accept and only
 * our subnet's IPv4 traffic is sent to a chain that ends in drop (the
 * bridge's name, meta ibrname, and bridge conntrack are kernel modules
 * not every kernel has).  Without conntrack a reply is matched by its
 * source port and by not being a bare SYN: it cannot open a connection.
 * ARP is not IPv4 and passes.  IPv6 between containers meets their own
 * input chains, which accept only the pairs' IPv4 sources.
 */
static void
render_bridge(struct strbuf *b, const struct topology *t, size_t node)
{
	const struct topo_rule	*r;
	size_t			 i;
	int			 from_c;

	add(b, "table bridge %s\n", FIREWALL_BRIDGE_TABLE);
	add(b, "delete table bridge %s\n", FIREWALL_BRIDGE_TABLE);
	add(b, "table bridge %s {\n"
	    "\tcomment \"dhis2-setup " TAG_PLACEHOLDER "\"\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tip saddr %s ip daddr %s jump containers",
	    FIREWALL_BRIDGE_TABLE, t->subnet, t->subnet);
	add_comment(b, "our bridge %s", t->bridge);
	add(b, "\n\t}\n\tchain containers {\n");
	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		if (!is_container_of(t, r->to, node))
			continue;
		from_c = r->from_kind == FROM_NODE &&
		    is_container_of(t, r->from, node);
		if (!from_c && r->from_kind != FROM_ANY)
			continue;
		add(b, "\t\t");
		if (from_c)
			add(b, "ip saddr %s ", t->nodes[r->from].address);
		add(b, "ip daddr %s tcp dport ", t->nodes[r->to].address);
		add_ports(b, r);
		add(b, " accept");
		add_comment(b, "%s from %s", r->service,
		    topo_rule_source(t, r));
		add(b, "\n\t\tip saddr %s ", t->nodes[r->to].address);
		if (from_c)
			add(b, "ip daddr %s ", t->nodes[r->from].address);
		add(b, "tcp sport ");
		add_ports(b, r);
		add(b, " tcp flags & (syn | ack) != syn accept");
		add_comment(b, "%s replies", r->service);
		add(b, "\n");
	}
	add(b, "\t\tdrop\n\t}\n}\n");
}

static char *
replace_tag(const char *text, const char *tag)
{
	struct strbuf	 b = { 0 };
	const char	*p = text, *q;
	size_t		 plen = strlen(TAG_PLACEHOLDER);

	while ((q = strstr(p, TAG_PLACEHOLDER)) != NULL) {
		strbuf_add(&b, p, q - p);
		strbuf_add(&b, tag, strlen(tag));
		p = q + plen;
	}
	strbuf_add(&b, p, strlen(p));
	return b.buf;
}

char *
firewall_render(const struct topology *t, size_t node, char **err,
    char **tagp)
{
	const struct topo_node	*n = &t->nodes[node];
	struct strbuf		 b = { 0 };
	char			 hex[65], *out;
	int			 lxc_host = n->lxc_host && t->bridge != NULL &&
				    t->subnet != NULL;

	add(&b, "#!/usr/sbin/nft -f\n"
	    "# dhis2-setup: the firewall of %s, from the profile.  Generated:\n"
	    "# change the profile, not this file.  Loading it replaces only\n"
	    "# dhis2-setup's own tables; every other table stays.\n",
	    n->name);
	if (lxc_host)
		render_bridge(&b, t, node);
	add(&b, "table inet %s\n", FIREWALL_TABLE);
	add(&b, "delete table inet %s\n", FIREWALL_TABLE);
	add(&b, "table inet %s {\n"
	    "\tcomment \"dhis2-setup " TAG_PLACEHOLDER "\"\n", FIREWALL_TABLE);
	if (render_input(&b, t, node, err) == -1) {
		free(b.buf);
		return NULL;
	}
	if (lxc_host)
		render_forward(&b, t, node);
	add(&b, "}\n");
	step_sha256_hex(b.buf, hex);
	hex[16] = '\0';
	out = replace_tag(b.buf, hex);
	free(b.buf);
	if (tagp != NULL)
		*tagp = xstrdup(hex);
	return out;
}

/* ------------------------------------------------------------------ */
/* The lock-out guard                                                 */

static int
parse_ip(const char *s, unsigned char out[16], int *fam)
{
	char		buf[INET6_ADDRSTRLEN + 1], *pct;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (strlen(s) >= sizeof buf)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	if ((pct = strchr(buf, '%')) != NULL)	/* fe80::1%eth0 */
		*pct = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		*fam = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) != 1)
		return -1;
	*fam = 6;
	if (memcmp(out, mapped, 12) == 0) {	/* ::ffff:192.0.2.1 */
		memmove(out, out + 12, 4);
		*fam = 4;
	}
	return 0;
}

int
firewall_addr_in(const char *addr, const char *cidr)
{
	unsigned char	 a[16], n[16];
	char		 net[INET6_ADDRSTRLEN + 1];
	const char	*slash = strchr(cidr, '/');
	int		 fa, fn, bits, i;

	if (parse_ip(addr, a, &fa) == -1)
		return -1;
	if (slash == NULL) {
		if (strlen(cidr) >= sizeof net)
			return -1;
		memcpy(net, cidr, strlen(cidr) + 1);
	} else {
		if ((size_t)(slash - cidr) >= sizeof net)
			return -1;
		memcpy(net, cidr, slash - cidr);
		net[slash - cidr] = '\0';
	}
	if (parse_ip(net, n, &fn) == -1)
		return -1;
	bits = fn == 4 ? 32 : 128;
	if (slash != NULL) {
		i = atoi(slash + 1);
		if (i < 0 || i > bits)
			return -1;
		bits = i;
	}
	if (fa != fn)
		return 0;
	for (i = 0; i < bits; i++) {
		unsigned char m = 0x80 >> (i % 8);

		if ((a[i / 8] & m) != (n[i / 8] & m))
			return 0;
	}
	return 1;
}

/* Would the new rules let client:port reach node? */
int
firewall_client_allowed(const struct topology *t, size_t node, const char *client,
    int port)
{
	const struct topo_rule	*r;
	const char		*src;
	size_t			 i;

	for (i = 0; i < t->nrules; i++) {
		r = &t->rules[i];
		if (r->to != node || port < r->port_lo || port > r->port_hi)
			continue;
		switch (r->from_kind) {
		case FROM_ANY:
			return 1;
		case FROM_ADMIN:
			if ((src = t->admin_network) == NULL ||
			    firewall_addr_in(client, src) == 1)
				return 1;
			break;
		case FROM_NODE:
			src = t->nodes[r->from].address;
			if (src != NULL && firewall_addr_in(client, src) == 1)
				return 1;
			break;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The step                                                           */

/* Arguments: SYSTEMD BRIDGE, then step_items' (the ruleset first). */
static const char probe_script[] =
    STEP_ITEMS_SH
    "sd=$1 br=$2\n"
    "shift 2\n"
    "step_items \"$@\"\n"
    "step_stats \"$3\"\n"
    "if command -v nft >/dev/null 2>&1; then\n"
    "  nft list table inet " FIREWALL_TABLE " 2>/dev/null |\n"
    "    sed -n 's/^[[:space:]]*comment \"dhis2-setup \\(.*\\)\"$/"
    "loaded=\\1/p'\n"
    /* the bridge table only where it is wanted: one nft less */
    "  [ \"$br\" = 1 ] && nft list table bridge " FIREWALL_BRIDGE_TABLE
    " 2>/dev/null |\n"
    "    sed -n 's/^[[:space:]]*comment \"dhis2-setup \\(.*\\)\"$/"
    "loaded_br=\\1/p'\n"
    "fi\n"
    "if [ \"$sd\" = 1 ]; then\n"
    "  echo \"enabled=$(systemctl is-enabled " FIREWALL_UNIT
    " 2>/dev/null)\"\n"
    "fi\n"
    "echo \"ssh=${SSH_CONNECTION:-}\"\n";

/* The files: the ruleset, and where systemd runs the unit. */
#define F_RULES	0
#define F_UNIT	1

struct fw_state {
	struct step_items items;	/* nftables; F_RULES, F_UNIT */
	char	*tag;
	int	 bridge;	/* the file has the bridge table */
	int	 not_loaded;
	int	 not_enabled;
	char	*ssh;		/* $SSH_CONNECTION, or NULL */
};

static void
fw_state_free(struct fw_state *st)
{
	step_items_free(&st->items);
	free(st->tag);
	free(st->ssh);
	memset(st, 0, sizeof *st);
}

/* The state wanted and found; -1 after step_fail (st to be freed). */
static int
fw_probe(struct step_ctx *ctx, struct fw_state *st)
{
	const struct facts	*f = step_facts(ctx);
	struct step_args	 a = { NULL, 0 };
	char			*probe, *err = NULL, *want;
	int			 rc;

	memset(st, 0, sizeof *st);
	if ((want = firewall_render(ctx->topo, ctx->node, &err,
	    &st->tag)) == NULL) {
		step_fail(ctx, "%s", err);
		free(err);
		return -1;
	}
	step_packages_add(&st->items.pkgs, "nftables");
	step_files_add(&st->items.files, FIREWALL_FILE, want, FIREWALL_MODE,
	    NULL, NULL)->meta = 1;
	if (f->systemd)
		step_files_add(&st->items.files, FIREWALL_UNIT_PATH,
		    xstrdup(firewall_unit), 0644, NULL, NULL);
	st->bridge = ctx->topo->nodes[ctx->node].lxc_host &&
	    ctx->topo->bridge != NULL;
	step_args_add(&a, f->systemd ? "1" : "0");
	step_args_add(&a, st->bridge ? "1" : "0");
	step_items_args(&st->items, &a);
	rc = step_probe_runv(ctx, &probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0) {
		free(probe);
		return step_err(ctx, "cannot read the firewall state of %s",
		    ctx->machine);
	}
	step_items_parse(&st->items, probe);
	st->not_loaded = !step_probe_hasf(probe, "loaded=%s", st->tag);
	if (st->bridge)
		st->not_loaded |= !step_probe_hasf(probe, "loaded_br=%s",
		    st->tag);
	if (f->systemd)
		st->not_enabled = !step_probe_has(probe, "enabled=enabled");
	if ((st->ssh = step_probe_value(probe, "ssh=")) != NULL &&
	    *st->ssh == '\0') {
		free(st->ssh);
		st->ssh = NULL;
	}
	free(probe);
	return 0;
}

static const struct step_file *
fw_rules(const struct fw_state *st)
{
	return &st->items.files.v[F_RULES];
}

static const struct step_file *
fw_unit(const struct fw_state *st)
{
	static const struct step_file none;

	return st->items.files.n > F_UNIT ? &st->items.files.v[F_UNIT] :
	    &none;
}

/*
 * The lock-out guard.  $SSH_CONNECTION is "client port server port": the
 * session this run comes in by (over the SSH transport), or the one the
 * operator runs the tool from (local transport).  Containers are entered
 * with lxc-attach, which clears the environment: nothing to guard.
 */
static int
fw_guard(struct step_ctx *ctx, const struct fw_state *st)
{
	const struct topology	*t = ctx->topo;
	char			 client[64];
	int			 sport;

	if (st->ssh == NULL || t->nodes[ctx->node].kind == TOPO_CONTAINER)
		return 0;
	if (sscanf(st->ssh, "%63s %*d %*s %d", client, &sport) != 2) {
		step_fail(ctx, "cannot read the SSH connection (\"%s\") on %s "
		    "to check that the firewall keeps it open; nothing changed",
		    st->ssh, ctx->machine);
		return -1;
	}
	if (firewall_client_allowed(t, ctx->node, client, sport))
		return 0;
	step_fail(ctx, "refusing to load the firewall on %s: this run comes "
	    "in over SSH from %s to port %d, which the new rules do not allow "
	    "(SSH is allowed from admin_network %s); it would lock you out.  "
	    "Add %s to admin_network in the profile or run from inside it.  "
	    "Nothing changed", ctx->machine, client, sport,
	    t->admin_network != NULL ? t->admin_network : "anywhere", client);
	return -1;
}

/*
 * What is not as wanted: reported (check) or counted (verify), from this
 * one list.
 */
static int
fw_pending(struct step_ctx *ctx, const struct fw_state *st, int report)
{
	int	n = 0;

	n += step_packages_pending(ctx, &st->items.pkgs, report);
	n += report ? step_file_report(ctx, fw_rules(st)) :
	    fw_rules(st)->differs || fw_rules(st)->meta_differs;
	n += step_pending(ctx, report, st->not_loaded, "load the ruleset "
	    "(nft -f): replace table inet %s%s, leaving every other table",
	    FIREWALL_TABLE, st->bridge ? " and table bridge "
	    FIREWALL_BRIDGE_TABLE : "");
	n += report ? step_file_report(ctx, fw_unit(st)) :
	    fw_unit(st)->differs;
	n += step_pending(ctx, report, st->not_enabled,
	    "enable %s (the firewall at boot)", FIREWALL_UNIT);
	return n;
}

/*
 * A test bed that plays the LXC host on the machine running the tests
 * must not load a default-deny ruleset into that machine's own network
 * (it may be controlled over it, and other tests forward through it).
 */
static int
fw_local_exempt(struct step_ctx *ctx)
{
	const char	*v = getenv("DHIS2_SETUP_SKIP_LOCAL_FIREWALL");

	return ctx->topo->nodes[ctx->node].kind == TOPO_LOCAL && v != NULL &&
	    *v != '\0' && strcmp(v, "0") != 0;
}

static int
fw_local_skipped(struct step_ctx *ctx)
{
	if (!fw_local_exempt(ctx))
		return 0;
	step_msg(ctx, "DHIS2_SETUP_SKIP_LOCAL_FIREWALL is set: this machine's "
	    "firewall is left as it is (a test bed)");
	return 1;
}

static enum result
firewall_check(struct step_ctx *ctx)
{
	struct fw_state	 st;
	enum result	 r;

	if (fw_local_skipped(ctx))
		return RESULT_SKIPPED;
	if (fw_probe(ctx, &st) == -1) {
		fw_state_free(&st);
		return RESULT_FAILED;
	}
	if ((fw_rules(&st)->differs || st.not_loaded) &&
	    fw_guard(ctx, &st) == -1) {
		fw_state_free(&st);
		return RESULT_FAILED;
	}
	r = fw_pending(ctx, &st, 1) > 0 ? RESULT_CHANGED : RESULT_OK;
	if (!step_facts(ctx)->systemd && r == RESULT_OK)
		step_msg(ctx, "no systemd: loaded now; load %s at boot "
		    "yourself", FIREWALL_FILE);
	fw_state_free(&st);
	return r;
}

/*
 * The lines nft says why with, as "nft MODE -f FILE 2>&1" prints them;
 * the caller frees.
 */
static char *
fw_nft(struct step_ctx *ctx, const char *script, int *rc)
{
	char	*out;

	*rc = step_probe_run(ctx, &out, script, FIREWALL_NEW, NULL);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/*
 * Check the new file with nft -c, load it, then make it the file.  0, or
 * -1 after step_fail.
 */
static int
fw_load(struct step_ctx *ctx, const struct fw_state *st)
{
	const struct step_file	*f = fw_rules(st);
	char			*out;
	int			 rc;

	if (step_run(ctx, (char *[]){ "mkdir", "-p", "-m", "0755",
	    "/etc/dhis2-setup", NULL }, NULL, 0) != 0)
		return step_err(ctx, "cannot create /etc/dhis2-setup");
	if (step_put(ctx, FIREWALL_NEW, f->content, strlen(f->content),
	    FIREWALL_MODE, NULL, NULL) == -1)
		return -1;
	out = fw_nft(ctx, "nft -c -f \"$1\" 2>&1", &rc);
	if (rc != 0) {
		step_fail(ctx, "nft refuses the new ruleset, nothing loaded "
		    "(%s; see %s)", *out ? out : "no message", FIREWALL_NEW);
		free(out);
		return -1;
	}
	free(out);
	out = fw_nft(ctx, "nft -f \"$1\" 2>&1", &rc);
	if (rc != 0) {
		step_fail(ctx, "loading the ruleset failed; the previous one "
		    "stays (%s)", *out ? out : "no message");
		free(out);
		return -1;
	}
	free(out);
	if (step_file_apply(ctx, f) == -1)
		return -1;
	step_run(ctx, (char *[]){ "rm", "-f", FIREWALL_NEW, NULL }, NULL, 0);
	return 0;
}

static enum result
firewall_apply(struct step_ctx *ctx)
{
	struct fw_state	 st;
	enum result	 r = RESULT_CHANGED;

	if (fw_local_skipped(ctx))
		return RESULT_SKIPPED;
	if (fw_probe(ctx, &st) == -1)
		goto out_fail;
	if ((fw_rules(&st)->differs || st.not_loaded) &&
	    fw_guard(ctx, &st) == -1)
		goto out_fail;
	if (step_packages_install(ctx, &st.items.pkgs) == -1)
		goto out_fail;
	if (fw_rules(&st)->differs || st.not_loaded) {
		if (fw_load(ctx, &st) == -1)
			goto out_fail;
	} else if (fw_rules(&st)->meta_differs &&
	    step_file_apply(ctx, fw_rules(&st)) == -1)
		goto out_fail;
	if (fw_unit(&st)->differs) {
		if (step_file_apply(ctx, fw_unit(&st)) == -1)
			goto out_fail;
		step_run(ctx, (char *[]){ "systemctl", "daemon-reload", NULL },
		    NULL, 0);
	}
	if ((fw_unit(&st)->differs || st.not_enabled) && step_run(ctx,
	    (char *[]){
	    "systemctl", "enable", "--quiet", FIREWALL_UNIT, NULL }, NULL,
	    0) != 0) {
		r = step_fail(ctx, "cannot enable %s: the firewall is loaded "
		    "but will not come back at boot", FIREWALL_UNIT);
		goto out;
	}
	if (!step_facts(ctx)->systemd)
		step_note(ctx, "no systemd on %s: the firewall is loaded now; "
		    "load %s with nft -f at boot yourself", ctx->machine,
		    FIREWALL_FILE);
out:
	fw_state_free(&st);
	return r;
out_fail:
	fw_state_free(&st);
	return RESULT_FAILED;
}

static enum result
firewall_verify(struct step_ctx *ctx)
{
	struct fw_state	 st;
	int		 bad;

	if (fw_probe(ctx, &st) == -1) {
		fw_state_free(&st);
		return RESULT_FAILED;
	}
	bad = fw_pending(ctx, &st, 0);
	fw_state_free(&st);
	if (bad > 0)
		return step_fail(ctx, "the firewall is still not as wanted "
		    "after apply: see the log");
	return RESULT_CHANGED;
}

/* nftables, for one apt transaction per machine. */
static void
firewall_packages(struct step_ctx *ctx, struct step_pkgs *sp)
{
	if (!fw_local_exempt(ctx))
		step_pkgs_add(sp, "nftables");
}

static const char *const firewall_after[] = { "base", NULL };

const struct step step_firewall = {
	.name = "firewall",
	.roles = 0,
	.summary = "nftables: default deny, only the allowed pairs (and on "
	    "an LXC host, forwarding between its containers)",
	.after = firewall_after,
	.check = firewall_check,
	.apply = firewall_apply,
	.verify = firewall_verify,
	.packages = firewall_packages,
};
