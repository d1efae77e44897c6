/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * lxc: on the host of isolation lxc, everything the containers stand on:
 * lxc and nftables installed, a private bridge with the host's address,
 * IPv4 forwarding, NAT in its own nftables table (the containers reach the
 * package archive through the host; HTTP and HTTPS for the host go to the
 * proxy container, and only those), and one container per node of the
 * topology at its fixed address, starting at boot, with no sshd (they are
 * entered with lxc-attach), apt sources of our own (lxc.mirror) and the
 * database's data directory on the host path the operator chose.
 *
 * Runtime state (bridge, forwarding, NAT) is applied directly with ip,
 * sysctl and nft; a systemd oneshot unit re-creates it at boot before
 * lxc.service autostarts the containers.  Filtering is the firewall
 * step's (table inet dhis2_setup); this step keeps to table ip
 * dhis2_setup_nat.  Containers no longer in the profile are left alone
 * and named: destroying data is the operator's call.
 *
 * The whole state is read with one probe script, so a converged re-run
 * costs one round trip.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt_sources.h"
#include "core.h"
#include "profile.h"
#include "step.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define LXC_DIR		"/etc/dhis2-setup/lxc"	/* our container fragments */
#define LXC_NAT		LXC_DIR "/nat.nft"
#define LXC_NAT_TABLE	"dhis2_setup_nat"
/* What nft listed right after loading: a later listing that differs
 * means the table was changed or flushed behind our back. */
#define LXC_NAT_LISTED	"/run/dhis2-setup-lxc-nat.listed"
#define LXC_UNIT_NAME	"dhis2-setup-lxc-net.service"
#define LXC_UNIT	"/etc/systemd/system/" LXC_UNIT_NAME
#define LXC_SYSCTL	"/etc/sysctl.d/90-dhis2-setup-lxc.conf"
#define LXC_WANTS	"/etc/systemd/system/multi-user.target.wants/"
#define LXC_BOOT_WAIT	"180"	/* seconds for systemd in the containers */
#define LXC_CREATE_WAIT	"1800"	/* a first debootstrap on a slow link */
#define LXC_PG_DIR	"var/lib/postgresql"	/* in the container */

#define MAX_CTS		64

enum lxc_file { F_SYSCTL, F_NAT, F_UNIT, NFILES };

enum ct_state { CT_MISSING, CT_EXISTS, CT_PARTIAL, CT_FOREIGN };

struct lxc_ct {
	const struct topo_node	*n;
	char			*path;		/* LXC_DIR/NAME.conf */
	char			*frag;		/* its wanted content */
	char			*rootfs;
	enum ct_state		 state;
	int			 running;
	int			 frag_differs;
	int			 if_differs;
	int			 resolv_differs;
	int			 ssh_on;
	int			 apt_differs;	/* its sources not ours */
};

struct lxc_state {
	char		*probe;
	const char	*missing[8];		/* packages */
	int		 nmissing;
	int		 apparmor;
	char		*content[NFILES];
	int		 file_differs[NFILES];
	int		 br_missing, braddr_differs, br_down;
	int		 fwd_off, nat_stale, unit_off, lxc_off;
	int		 data_missing;
	char		*datafs;
	char		*resolv_src;
	char		*apt;			/* the containers' sources */
	const char	*apt_path;		/* and their file */
	struct lxc_ct	 cts[MAX_CTS];
	size_t		 ncts;
	char		*strays;		/* "a, b" or NULL */
};

static const char *const lxc_files[NFILES] = {
	LXC_SYSCTL, LXC_NAT, LXC_UNIT
};

/* Queried every time; which are wanted depends on the host. */
static const char *const lxc_packages[] = {
	"lxc", "lxc-templates", "debootstrap", "rsync", "nftables",
	"iproute2", "apparmor", "debian-archive-keyring", NULL
};

/* The container's network is LXC's: no DHCP client may touch eth0. */
static const char lxc_interfaces[] =
    "# dhis2-setup: eth0's address is set by LXC (the container's config).\n"
    "auto lo\n"
    "iface lo inet loopback\n"
    "\n"
    "iface eth0 inet manual\n";

/* $P the LXC path; rootfs DIR prints a container's root folder. */
#define LXC_SH_COMMON \
    "P=$(lxc-config lxc.lxcpath 2>/dev/null)\n" \
    "[ -n \"$P\" ] || P=/var/lib/lxc\n" \
    "rootfs() {\n" \
    "  r=$(sed -n 's/^lxc\\.rootfs\\.path[[:space:]]*=[[:space:]]*//p' " \
    "\"$1/config\" | tail -n 1)\n" \
    "  r=${r#dir:}\n" \
    "  [ -n \"$r\" ] || r=$1/rootfs\n" \
    "  printf '%s\\n' \"$r\"\n" \
    "}\n" \
    "sum() { s=$(sha256sum 2>/dev/null < \"$1\") && echo \"${s%% *}\"; }\n"

/*
 * $1 bridge, $2 our fragments' folder, $3 the data path or "", $4 the
 * NAT listing, $5 the containers' apt sources file, $6 n, then n files to
 * sum, then m and m containers, then the packages.
 */
static const char probe_script[] =
    LXC_SH_COMMON
    "br=$1 dir=$2 data=$3 listed=$4 src=$5 n=$6\n"
    "shift 6\n"
    "while [ \"$n\" -gt 0 ]; do\n"
    "  if [ -f \"$1\" ]; then echo \"sum=$(sum \"$1\") $1\"\n"
    "  else echo \"sum=none $1\"; fi\n"
    "  shift; n=$((n - 1))\n"
    "done\n"
    "aa=$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)\n"
    "if [ \"$aa\" = Y ]; then echo aa=1; else echo aa=0; fi\n"
    "if l=$(ip -o link show dev \"$br\" 2>/dev/null); then\n"
    "  echo br=1\n"
    "  case $l in *\"<UP,\"*|*\",UP,\"*|*\",UP>\"*|*\"<UP>\"*) echo brup=1;;\n"
    "  esac\n"
    "  for a in $(ip -o -4 addr show dev \"$br\" | "
    "awk '{print $4}'); do echo \"braddr=$a\"; done\n"
    "fi\n"
    "echo \"fwd=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)\"\n"
    "if l=$(nft list table ip " LXC_NAT_TABLE " 2>/dev/null); then\n"
    "  s=$(printf '%s\\n' \"$l\" | sha256sum); echo \"natlist=${s%% *}\"\n"
    "else echo natlist=none; fi\n"
    "if [ -f \"$listed\" ]; then echo \"natlisted=$(sum \"$listed\")\"; fi\n"
    "[ -L " LXC_WANTS LXC_UNIT_NAME " ] && echo unit_on=1\n"
    "[ -L " LXC_WANTS "lxc.service ] && echo lxc_on=1\n"
    "if [ -n \"$data\" ]; then\n"
    "  [ -d \"$data\" ] && echo data=1\n"
    "  d=$data\n"
    "  while [ ! -e \"$d\" ]; do d=$(dirname \"$d\"); done\n"
    "  echo \"datafs=$(df -P \"$d\" 2>/dev/null | awk 'NR == 2 {print $1}')\"\n"
    "fi\n"
    /* A loopback resolver (systemd-resolved's stub) is not the
     * containers' loopback: give them the upstream servers. */
    "rs=/etc/resolv.conf\n"
    "if grep -Eq '^[[:space:]]*nameserver[[:space:]]+(127\\.|::1)' "
    "/etc/resolv.conf 2>/dev/null &&\n"
    "    [ -f /run/systemd/resolve/resolv.conf ]; then\n"
    "  rs=/run/systemd/resolve/resolv.conf\n"
    "fi\n"
    "echo \"resolvsrc=$rs\"\n"
    "echo \"resolvsum=$(sum \"$rs\")\"\n"
    "n=$1; shift\n"
    "while [ \"$n\" -gt 0 ]; do\n"
    "  c=$1; shift; n=$((n - 1))\n"
    "  d=$P/$c\n"
    "  if [ -e \"$d/partial\" ]; then echo \"ct=$c partial\"; continue; fi\n"
    "  if [ ! -f \"$d/config\" ]; then echo \"ct=$c missing\"; continue; fi\n"
    "  if ! grep -qxF \"lxc.include = $dir/$c.conf\" \"$d/config\"; then\n"
    "    echo \"ct=$c foreign\"; continue\n"
    "  fi\n"
    "  echo \"ct=$c exists\"\n"
    "  r=$(rootfs \"$d\")\n"
    "  echo \"root=$c $r\"\n"
    "  echo \"if=$c $(sum \"$r/etc/network/interfaces\")\"\n"
    /* never follow a link out of the container's tree */
    "  if [ -L \"$r/etc/resolv.conf\" ]; then echo \"resolv=$c link\"\n"
    "  else echo \"resolv=$c $(sum \"$r/etc/resolv.conf\")\"; fi\n"
    "  if [ -L \"$r$src\" ]; then echo \"apt=$c link\"\n"
    "  else echo \"apt=$c $(sum \"$r$src\")\"; fi\n"
    /* a template's one-line sources beside ours: apt would read both */
    "  if [ ! -L \"$r/etc/apt/sources.list\" ] && grep -Eqs "
    "'^[[:space:]]*deb' \"$r/etc/apt/sources.list\"; then\n"
    "    echo \"aptlist=$c\"\n"
    "  fi\n"
    "  s=$r/etc/systemd/system\n"
    "  if [ \"$(readlink \"$s/ssh.service\")\" = /dev/null ] &&\n"
    "      [ ! -L \"$s/multi-user.target.wants/ssh.service\" ] &&\n"
    "      [ ! -L \"$s/sshd.service\" ]; then echo \"ssh=$c off\"\n"
    "  else echo \"ssh=$c on\"; fi\n"
    /* lxc-info asks only this container (lxc-ls would wait on
     * every container's lock on the host) */
    "  [ \"$(lxc-info -n \"$c\" -sH 2>/dev/null)\" = RUNNING ] && "
    "echo \"up=$c\"\n"
    "done\n"
    "for f in \"$P\"/*/config; do\n"
    "  [ -f \"$f\" ] && grep -qF \"lxc.include = $dir/\" \"$f\" &&\n"
    "      { f=${f%/config}; echo \"ours=${f##*/}\"; }\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' \"$@\" "
    "2>/dev/null\n"
    "exit 0\n";

/* $1 a container: its root folder. */
static const char rootfs_script[] =
    LXC_SH_COMMON
    "[ -f \"$P/$1/config\" ] || exit 1\n"
    "rootfs \"$P/$1\"\n";

/* $1 a root folder: mask sshd there (works whether it runs or not). */
static const char ssh_off_script[] =
    "s=$1/etc/systemd/system\n"
    "mkdir -p \"$s\" &&\n"
    "rm -f \"$s/multi-user.target.wants/ssh.service\" \"$s/sshd.service\" "
    "\"$s/sockets.target.wants/ssh.socket\" &&\n"
    "ln -sfn /dev/null \"$s/ssh.service\"\n";

/*
 * In the container (lxc-attach: its own root, so a link it planted leads
 * nowhere on the host): $1 the sources file, its content on stdin.  The
 * template's sources.list is kept as .prev and emptied, or apt would read
 * its lines beside ours.
 */
static const char apt_write_script[] =
    "f=$1\n"
    "mkdir -p \"${f%/*}\" && cat > \"$f.d2s-new\" && chmod 0644 \"$f.d2s-new\" "
    "&& mv -f \"$f.d2s-new\" \"$f\" || exit 1\n"
    "l=/etc/apt/sources.list\n"
    "if grep -Eqs '^[[:space:]]*deb' \"$l\"; then\n"
    "  cp -p \"$l\" \"$l.prev\" &&\n"
    "  printf '# dhis2-setup: the sources are in %s\\n' \"$f\" > \"$l.d2s-new\" "
    "&&\n"
    "  mv -f \"$l.d2s-new\" \"$l\" || exit 1\n"
    "fi\n";

/* $1 where: load our NAT table, then keep what nft lists of it. */
static const char nat_load_script[] =
    "nft -f \"$1\" || exit 1\n"
    "l=$(nft list table ip " LXC_NAT_TABLE ") || exit 1\n"
    "printf '%s\\n' \"$l\" > \"$2\"\n";

/* The containers named: wait, bounded, for systemd in each to be up. */
static const char boot_wait_script[] =
    "end=$(( $(date +%s) + " LXC_BOOT_WAIT " ))\n"
    "for c; do\n"
    "  while :; do\n"
    "    s=$(lxc-attach -n \"$c\" -- systemctl is-system-running "
    "2>/dev/null)\n"
    "    case $s in running|degraded) break;; esac\n"
    "    if [ \"$(date +%s)\" -ge \"$end\" ]; then\n"
    "      echo \"systemd in container $c is '${s:-not answering}' after "
    LXC_BOOT_WAIT " s\" >&2\n"
    "      exit 1\n"
    "    fi\n"
    "    sleep 0.5\n"
    "  done\n"
    "done\n";

/* The containers named: how each one runs, for verify. */
static const char verify_script[] =
    "for c; do\n"
    "  echo \"sys=$c $(lxc-attach -n \"$c\" -- systemctl is-system-running "
    "2>/dev/null)\"\n"
    "  a=$(lxc-attach -n \"$c\" -- ip -4 -o addr show dev eth0 2>/dev/null |"
    " awk '{print $4}' | head -n 1)\n"
    "  echo \"addr=$c $a\"\n"
    "  echo \"sshd=$c $(lxc-attach -n \"$c\" -- systemctl is-active "
    "ssh.service 2>/dev/null)\"\n"
    "done\n";

static int
probe_count(const char *probe, const char *prefix)
{
	const char	*p = probe;
	size_t		 len = strlen(prefix);
	int		 n = 0;

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, prefix, len) == 0)
			n++;
	}
	return n;
}

/* The probe's word for one container: "KEY=NAME VALUE" -> VALUE. */
static char *
probe_ct(const char *probe, const char *key, const char *name)
{
	char	*prefix, *v;

	xasprintf(&prefix, "%s=%s ", key, name);
	v = step_probe_value(probe, prefix);
	free(prefix);
	return v;
}

static int
parse_v4(const char *s, uint32_t *out)
{
	char		 buf[INET_ADDRSTRLEN];
	struct in_addr	 a;
	size_t		 len = strcspn(s, "/");

	if (len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static void
format_v4(uint32_t v, char out[INET_ADDRSTRLEN])
{
	struct in_addr	a;

	a.s_addr = htonl(v);
	if (inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN) == NULL)
		out[0] = '\0';
}

static uint32_t
prefix_mask(int len)
{
	return len <= 0 ? 0 : (uint32_t)(0xffffffffUL << (32 - len));
}

/* An fstab field: blanks and backslashes as octal escapes. */
static char *
fstab_escape(const char *s)
{
	char	*out = xcalloc(strlen(s) * 4 + 1, 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\\') {
			snprintf(o, 5, "\\%03o", (unsigned char)*s);
			o += 4;
		} else
			*o++ = *s;
	}
	return out;
}

static const char *
data_path(struct step_ctx *ctx)
{
	return ctx->profile->database.data_path;
}

/*
 * The archive the containers come from: the profile's, else the older
 * DHIS2_SETUP_LXC_MIRROR, else NULL (the distribution's own).
 */
static const char *
lxc_mirror(struct step_ctx *ctx)
{
	const char	*m = ctx->profile->lxc.mirror;

	if (m == NULL || *m == '\0')
		m = getenv("DHIS2_SETUP_LXC_MIRROR");
	return m != NULL && *m != '\0' ? m : NULL;
}

/* The containers' apt sources, and in *path the file they go in. */
static char *
lxc_apt_sources(struct step_ctx *ctx, const char **path)
{
	return apt_sources_content(ctx->topo->release, lxc_mirror(ctx),
	    ctx->profile->lxc.security_mirror, path);
}

static char *
nat_content(const struct topology *t, const char *proxy)
{
	char		 net[INET_ADDRSTRLEN], *s;
	uint32_t	 gw = 0;

	parse_v4(t->gateway, &gw);
	format_v4(gw & prefix_mask(t->prefix_len), net);
	xasprintf(&s,
	    "#!/usr/sbin/nft -f\n"
	    "# dhis2-setup: NAT for the LXC containers on %s (%s/%d).  The\n"
	    "# containers reach out through the host; HTTP and HTTPS for the\n"
	    "# host go to the proxy container, nothing else.  Only this table\n"
	    "# is replaced; filtering is the firewall's (inet dhis2_setup).\n"
	    "table ip " LXC_NAT_TABLE "\n"
	    "delete table ip " LXC_NAT_TABLE "\n"
	    "table ip " LXC_NAT_TABLE " {\n"
	    "\tchain prerouting {\n"
	    "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	    "\t\tiifname != \"%s\" fib daddr type local tcp dport { %d, %d } "
	    "dnat to %s\n"
	    "\t}\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\tip saddr %s/%d ip daddr != %s/%d oifname != \"%s\" "
	    "masquerade\n"
	    "\t}\n"
	    "}\n",
	    t->bridge, net, t->prefix_len, t->bridge, PORT_HTTP, PORT_HTTPS,
	    proxy, net, t->prefix_len, net, t->prefix_len, t->bridge);
	return s;
}

static char *
unit_content(const struct topology *t)
{
	char	*s;

	xasprintf(&s,
	    "# dhis2-setup: the LXC containers' bridge and NAT, made before\n"
	    "# lxc.service starts the containers at boot.\n"
	    "[Unit]\n"
	    "Description=dhis2-setup: bridge %s and NAT for LXC containers\n"
	    "Before=lxc.service\n"
	    "After=systemd-sysctl.service\n"
	    "\n"
	    "[Service]\n"
	    "Type=oneshot\n"
	    "RemainAfterExit=yes\n"
	    "ExecStart=-/sbin/ip link add %s type bridge\n"
	    "ExecStart=/sbin/ip addr replace %s/%d dev %s\n"
	    "ExecStart=/sbin/ip link set %s up\n"
	    "ExecStart=/sbin/sysctl -q -w net.ipv4.ip_forward=1\n"
	    "ExecStart=/usr/sbin/nft -f " LXC_NAT "\n"
	    "ExecStart=/bin/sh -c 'nft list table ip " LXC_NAT_TABLE
	    " > " LXC_NAT_LISTED "'\n"
	    "\n"
	    "[Install]\n"
	    "WantedBy=multi-user.target\n",
	    t->bridge, t->bridge, t->gateway, t->prefix_len, t->bridge,
	    t->bridge);
	return s;
}

/* A container's own configuration, included from LXC's. */
static char *
fragment_content(struct step_ctx *ctx, const struct topo_node *n, int aa)
{
	const struct topology	*t = ctx->topo;
	char			 bcast[INET_ADDRSTRLEN], *s, *esc;
	char			*mount = NULL;
	uint32_t		 a = 0;

	parse_v4(n->address, &a);
	format_v4(a | ~prefix_mask(t->prefix_len), bcast);
	if ((n->roles & ROLE_BIT(ROLE_DATABASE)) && data_path(ctx) != NULL) {
		esc = fstab_escape(data_path(ctx));
		xasprintf(&mount, "# the data directory on the host (the "
		    "encrypted disk)\n"
		    "lxc.mount.entry = %s " LXC_PG_DIR " none bind,create=dir "
		    "0 0\n", esc);
		free(esc);
	}
	xasprintf(&s,
	    "# dhis2-setup: container %s.  Made and kept by dhis2-setup from\n"
	    "# the profile: change the profile, not this file.\n"
	    "lxc.net.0.type = veth\n"
	    "lxc.net.0.link = %s\n"
	    "lxc.net.0.flags = up\n"
	    "lxc.net.0.name = eth0\n"
	    "lxc.net.0.hwaddr = 00:16:3e:%02x:%02x:%02x\n"
	    "lxc.net.0.ipv4.address = %s/%d %s\n"
	    "lxc.net.0.ipv4.gateway = %s\n"
	    "lxc.start.auto = 1\n"
	    "%s"
	    "%s",
	    n->name, t->bridge, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
	    n->address, t->prefix_len, bcast, t->gateway,
	    aa ? "lxc.apparmor.profile = generated\n" :
	    "# the host runs no AppArmor\nlxc.apparmor.profile = unconfined\n",
	    mount != NULL ? mount : "");
	free(mount);
	return s;
}

static const struct topo_node *
proxy_node(const struct topology *t)
{
	size_t	i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].kind == TOPO_CONTAINER &&
		    (t->nodes[i].roles & ROLE_BIT(ROLE_PROXY)))
			return &t->nodes[i];
	}
	return NULL;
}

static void
lxc_state_free(struct lxc_state *st)
{
	size_t	i;

	free(st->probe);
	for (i = 0; i < NFILES; i++)
		free(st->content[i]);
	free(st->datafs);
	free(st->resolv_src);
	free(st->apt);
	free(st->strays);
	for (i = 0; i < st->ncts; i++) {
		free(st->cts[i].path);
		free(st->cts[i].frag);
		free(st->cts[i].rootfs);
	}
	memset(st, 0, sizeof *st);
}

static int
lxc_containers(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	size_t			 i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].kind != TOPO_CONTAINER ||
		    t->nodes[i].host != ctx->node)
			continue;
		if (st->ncts == MAX_CTS)
			return -1;
		st->cts[st->ncts].n = &t->nodes[i];
		xasprintf(&st->cts[st->ncts].path, LXC_DIR "/%s.conf",
		    t->nodes[i].name);
		st->ncts++;
	}
	return 0;
}

static int
is_ours(const struct lxc_state *st, const char *name)
{
	size_t	i;

	for (i = 0; i < st->ncts; i++) {
		if (strcmp(st->cts[i].n->name, name) == 0)
			return 1;
	}
	return 0;
}

static void
parse_strays(struct lxc_state *st)
{
	const char	*p = st->probe, *nl;
	char		*name, *tmp;

	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, "ours=", 5) != 0)
			continue;
		xasprintf(&name, "%.*s", (int)((nl != NULL ? nl :
		    p + strlen(p)) - p - 5), p + 5);
		if (!is_ours(st, name)) {
			xasprintf(&tmp, "%s%s%s", st->strays ? st->strays : "",
			    st->strays ? ", " : "", name);
			free(st->strays);
			st->strays = tmp;
		}
		free(name);
	}
}

static void
parse_container(struct lxc_state *st, struct lxc_ct *c, const char *ifsum,
    const char *resolvsum, const char *aptsum)
{
	const char	*probe = st->probe;
	const char	*name = c->n->name;
	char		*v, *line;

	c->state = CT_MISSING;
	if ((v = probe_ct(probe, "ct", name)) != NULL) {
		if (strcmp(v, "exists") == 0)
			c->state = CT_EXISTS;
		else if (strcmp(v, "partial") == 0)
			c->state = CT_PARTIAL;
		else if (strcmp(v, "foreign") == 0)
			c->state = CT_FOREIGN;
		free(v);
	}
	c->frag_differs = step_probe_sum_differs(probe, c->path, c->frag);
	if (c->state != CT_EXISTS) {
		c->if_differs = c->resolv_differs = c->ssh_on = 1;
		c->apt_differs = 1;
		return;
	}
	c->rootfs = probe_ct(probe, "root", name);
	v = probe_ct(probe, "if", name);
	c->if_differs = v == NULL || strcmp(v, ifsum) != 0;
	free(v);
	v = probe_ct(probe, "resolv", name);
	c->resolv_differs = v == NULL || resolvsum == NULL ||
	    strcmp(v, resolvsum) != 0;
	free(v);
	v = probe_ct(probe, "ssh", name);
	c->ssh_on = v == NULL || strcmp(v, "off") != 0;
	free(v);
	v = probe_ct(probe, "apt", name);
	xasprintf(&line, "aptlist=%s", name);
	c->apt_differs = v == NULL || strcmp(v, aptsum) != 0 ||
	    step_probe_has(probe, line);
	free(line);
	free(v);
	xasprintf(&line, "up=%s", name);
	c->running = step_probe_has(probe, line);
	free(line);
}

static int
lxc_probe(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	const struct topo_node	*proxy = proxy_node(t);
	const char		*argv[24 + 2 * MAX_CTS];
	char			 nfiles[16], ncts[16], ifsum[65], aptsum[65];
	char			*v, *want;
	char			*resolvsum;
	size_t			 i, k = 0;

	memset(st, 0, sizeof *st);
	if (lxc_containers(ctx, st) == -1 || proxy == NULL)
		return -1;
	st->content[F_SYSCTL] = xstrdup("# dhis2-setup: the LXC host routes "
	    "its containers' traffic.\nnet.ipv4.ip_forward = 1\n");
	st->content[F_NAT] = nat_content(t, proxy->address);
	st->content[F_UNIT] = unit_content(t);
	st->apt = lxc_apt_sources(ctx, &st->apt_path);
	snprintf(nfiles, sizeof nfiles, "%zu", NFILES + st->ncts);
	snprintf(ncts, sizeof ncts, "%zu", st->ncts);
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = probe_script;
	argv[k++] = "sh";
	argv[k++] = t->bridge;
	argv[k++] = LXC_DIR;
	argv[k++] = data_path(ctx) != NULL ? data_path(ctx) : "";
	argv[k++] = LXC_NAT_LISTED;
	argv[k++] = st->apt_path;
	argv[k++] = nfiles;
	for (i = 0; i < NFILES; i++)
		argv[k++] = lxc_files[i];
	for (i = 0; i < st->ncts; i++)
		argv[k++] = st->cts[i].path;
	argv[k++] = ncts;
	for (i = 0; i < st->ncts; i++)
		argv[k++] = st->cts[i].n->name;
	for (i = 0; lxc_packages[i] != NULL; i++)
		argv[k++] = lxc_packages[i];
	argv[k] = NULL;
	if (step_capture(ctx, (char **)argv, &st->probe) != 0)
		return -1;

	st->apparmor = step_probe_has(st->probe, "aa=1");
	for (i = 0; lxc_packages[i] != NULL; i++) {
		if (strcmp(lxc_packages[i], "apparmor") == 0 && !st->apparmor)
			continue;
		if (strcmp(lxc_packages[i], "debian-archive-keyring") == 0 &&
		    (apt_release_is_ubuntu(t->release) ||
		    step_facts(ctx)->os_id == NULL ||
		    strcmp(step_facts(ctx)->os_id, "debian") == 0))
			continue;
		if (step_probe_pkg_missing(st->probe, lxc_packages[i]) &&
		    st->nmissing < 8)
			st->missing[st->nmissing++] = lxc_packages[i];
	}
	for (i = 0; i < NFILES; i++)
		st->file_differs[i] = step_probe_sum_differs(st->probe,
		    lxc_files[i], st->content[i]);

	st->br_missing = !step_probe_has(st->probe, "br=1");
	st->br_down = !step_probe_has(st->probe, "brup=1");
	/* exactly the one address: another is a changed subnet's */
	xasprintf(&want, "braddr=%s/%d", t->gateway, t->prefix_len);
	st->braddr_differs = !step_probe_has(st->probe, want) ||
	    probe_count(st->probe, "braddr=") != 1;
	free(want);
	st->fwd_off = !step_probe_has(st->probe, "fwd=1");
	v = step_probe_value(st->probe, "natlist=");
	want = step_probe_value(st->probe, "natlisted=");
	st->nat_stale = v == NULL || strcmp(v, "none") == 0 || want == NULL ||
	    strcmp(v, want) != 0;
	free(v);
	free(want);
	st->unit_off = !step_probe_has(st->probe, "unit_on=1");
	st->lxc_off = !step_probe_has(st->probe, "lxc_on=1");
	if (data_path(ctx) != NULL) {
		st->data_missing = !step_probe_has(st->probe, "data=1");
		st->datafs = step_probe_value(st->probe, "datafs=");
	}
	st->resolv_src = step_probe_value(st->probe, "resolvsrc=");
	resolvsum = step_probe_value(st->probe, "resolvsum=");
	step_sha256_hex(lxc_interfaces, ifsum);
	step_sha256_hex(st->apt, aptsum);
	for (i = 0; i < st->ncts; i++) {
		st->cts[i].frag = fragment_content(ctx, st->cts[i].n,
		    st->apparmor);
		parse_container(st, &st->cts[i], ifsum, resolvsum, aptsum);
	}
	free(resolvsum);
	parse_strays(st);
	return 0;
}

static void
lxc_notes(struct step_ctx *ctx, const struct lxc_state *st)
{
	if (data_path(ctx) != NULL)
		step_note(ctx, "the database's data directory is %s on the "
		    "host (%s): it should be on the separate, encrypted disk",
		    data_path(ctx), st->datafs != NULL && *st->datafs != '\0' ?
		    st->datafs : "not made yet");
	if (st->strays != NULL)
		step_note(ctx, "container%s %s no longer in the profile: left "
		    "as they are (lxc-destroy -n NAME removes one with its "
		    "data)",
		    strchr(st->strays, ',') ? "s" : "", st->strays);
}

static enum result
lxc_check(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	struct lxc_state	 st;
	struct lxc_ct		*c;
	size_t			 i;
	int			 n, systemd = step_facts(ctx)->systemd;

	memset(&st, 0, sizeof st);
	if (t == NULL || lxc_probe(ctx, &st) == -1) {
		lxc_state_free(&st);
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	for (i = 0; i < st.ncts; i++) {
		if (st.cts[i].state == CT_FOREIGN) {
			step_fail(ctx, "a container named %s exists on %s and "
			    "was not made by dhis2-setup: set lxc.prefix in "
			    "the profile, or remove that container",
			    st.cts[i].n->name, ctx->machine);
			lxc_state_free(&st);
			return RESULT_FAILED;
		}
	}
	for (n = 0; n < st.nmissing; n++)
		step_would(ctx, "install package %s", st.missing[n]);
	for (i = 0; i < NFILES; i++) {
		if (st.file_differs[i])
			step_file_differs(ctx, lxc_files[i], st.content[i],
			    strlen(st.content[i]), 0644, 1);
	}
	if (systemd && (st.unit_off || st.file_differs[F_UNIT]))
		step_would(ctx, "enable %s (the bridge and NAT at boot)",
		    LXC_UNIT_NAME);
	if (systemd && st.lxc_off)
		step_would(ctx, "enable lxc.service (containers start at "
		    "boot)");
	if (st.br_missing)
		step_would(ctx, "create the bridge %s", t->bridge);
	if (st.braddr_differs)
		step_would(ctx, "give the bridge %s the address %s/%d",
		    t->bridge, t->gateway, t->prefix_len);
	if (st.br_down && !st.br_missing)
		step_would(ctx, "bring the bridge %s up", t->bridge);
	if (st.fwd_off)
		step_would(ctx, "turn IPv4 forwarding on");
	if (st.nat_stale && !st.file_differs[F_NAT])
		step_would(ctx, "load the NAT table %s (%s)", LXC_NAT_TABLE,
		    LXC_NAT);
	if (st.data_missing)
		step_would(ctx, "create the data directory %s", data_path(ctx));
	for (i = 0; i < st.ncts; i++) {
		c = &st.cts[i];
		if (c->state == CT_PARTIAL)
			step_would(ctx, "remove the half-made container %s "
			    "(an interrupted lxc-create) and make it again",
			    c->n->name);
		if (c->state != CT_EXISTS) {
			step_would(ctx, "create container %s (%s %s) at %s "
			    "and start it", c->n->name,
			    apt_release_is_ubuntu(t->release) ? "ubuntu" :
			    "debian", t->release, c->n->address);
			step_would(ctx, "%s: write its apt sources %s (%s and "
			    "its security updates)", c->n->name, st.apt_path,
			    t->release);
			continue;
		}
		if (c->frag_differs)
			step_file_differs(ctx, c->path, c->frag,
			    strlen(c->frag), 0644, 1);
		if (c->if_differs)
			step_would(ctx, "%s: set /etc/network/interfaces (no "
			    "DHCP on eth0)", c->n->name);
		if (c->resolv_differs)
			step_would(ctx, "%s: copy the host's resolvers (%s) to "
			    "/etc/resolv.conf", c->n->name, st.resolv_src);
		if (c->ssh_on)
			step_would(ctx, "%s: disable sshd (containers are "
			    "entered with lxc-attach)", c->n->name);
		if (c->apt_differs)
			step_would(ctx, "%s: write its apt sources %s (%s "
			    "and its security updates)", c->n->name,
			    st.apt_path, t->release);
		if (!c->running)
			step_would(ctx, "start container %s", c->n->name);
		else if (c->frag_differs)
			step_would(ctx, "restart container %s for its new "
			    "configuration", c->n->name);
	}
	lxc_notes(ctx, &st);
	if (ctx->changes == 0)
		step_msg(ctx, "%zu container%s running on %s", st.ncts,
		    st.ncts == 1 ? "" : "s", t->bridge);
	lxc_state_free(&st);
	return ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
}

static int
run_ok(struct step_ctx *ctx, char *const *argv)
{
	return step_run(ctx, argv, NULL, 0) == 0;
}

static enum result
lxc_apply_host(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	char			*cidr;
	size_t			 i;
	int			 systemd = step_facts(ctx)->systemd, ok = 1;

	if (st->nmissing > 0) {
		const char	*pkgs[9];
		int		 n;

		for (n = 0; n < st->nmissing; n++)
			pkgs[n] = st->missing[n];
		pkgs[n] = NULL;
		if (step_apt_install(ctx, pkgs) != 0)
			return RESULT_FAILED;
	}
	if (!run_ok(ctx, (char *[]){ "mkdir", "-p", "-m", "0755", LXC_DIR,
	    NULL }))
		return step_fail(ctx, "cannot create %s", LXC_DIR);
	for (i = 0; i < NFILES; i++) {
		if (st->file_differs[i] && step_put(ctx, lxc_files[i],
		    st->content[i], strlen(st->content[i]), 0644, NULL,
		    NULL) == -1)
			return RESULT_FAILED;
	}
	/* Where systemd runs it makes all this again at boot. */
	if (systemd && (st->unit_off || st->file_differs[F_UNIT])) {
		if (!run_ok(ctx, (char *[]){ "systemctl", "daemon-reload",
		    NULL }) || !run_ok(ctx, (char *[]){ "systemctl", "enable",
		    LXC_UNIT_NAME, NULL }))
			return step_fail(ctx, "cannot enable %s",
			    LXC_UNIT_NAME);
	}
	if (systemd && st->lxc_off && !run_ok(ctx, (char *[]){ "systemctl",
	    "enable", "lxc.service", NULL }))
		return step_fail(ctx, "cannot enable lxc.service");

	/* And now, whether or not systemd runs. */
	if (st->br_missing && !run_ok(ctx, (char *[]){ "ip", "link", "add",
	    t->bridge, "type", "bridge", NULL }))
		return step_fail(ctx, "cannot create the bridge %s", t->bridge);
	if (st->braddr_differs) {
		xasprintf(&cidr, "%s/%d", t->gateway, t->prefix_len);
		ok = run_ok(ctx, (char *[]){ "ip", "-4", "addr", "flush",
		    "dev", t->bridge, NULL }) && run_ok(ctx, (char *[]){ "ip",
		    "addr", "add", cidr, "dev", t->bridge, NULL });
		free(cidr);
		if (!ok)
			return step_fail(ctx, "cannot set the address of %s",
			    t->bridge);
	}
	if ((st->br_down || st->br_missing) && !run_ok(ctx, (char *[]){ "ip",
	    "link", "set", t->bridge, "up", NULL }))
		return step_fail(ctx, "cannot bring %s up", t->bridge);
	if (st->fwd_off && !run_ok(ctx, (char *[]){ "sysctl", "-q", "-w",
	    "net.ipv4.ip_forward=1", NULL }))
		return step_fail(ctx, "cannot turn IPv4 forwarding on");
	if ((st->nat_stale || st->file_differs[F_NAT]) &&
	    !run_ok(ctx, (char *[]){ "sh", "-c", (char *)nat_load_script,
	    "sh", LXC_NAT, LXC_NAT_LISTED, NULL }))
		return step_fail(ctx, "nft refused %s: see the log", LXC_NAT);
	if (st->data_missing) {
		char	*path = (char *)data_path(ctx);

		if (!run_ok(ctx, (char *[]){ "mkdir", "-p", path, NULL }) ||
		    !run_ok(ctx, (char *[]){ "chmod", "0700", path, NULL }))
			return step_fail(ctx, "cannot create %s",
			    data_path(ctx));
	}
	return RESULT_CHANGED;
}

static enum result
lxc_create(struct step_ctx *ctx, struct lxc_ct *c)
{
	const struct topology	*t = ctx->topo;
	const char		*mirror = lxc_mirror(ctx);
	char			*create, *inc, *mirror_opt, *out = NULL;
	int			 ubuntu = apt_release_is_ubuntu(t->release), rc;
	size_t			 len;

	if (c->state == CT_PARTIAL && !run_ok(ctx, (char *[]){ "lxc-destroy",
	    "-f", "-n", (char *)c->n->name, NULL }))
		return step_fail(ctx, "cannot remove the half-made container "
		    "%s", c->n->name);
	if (mirror == NULL)
		mirror = apt_release_mirror(t->release);
	/* LXC keeps the include line as it is, so the fragment stays ours. */
	xasprintf(&create, LXC_DIR "/%s.create", c->n->name);
	xasprintf(&inc, "lxc.include = %s\n", c->path);
	if (step_put(ctx, create, inc, strlen(inc), 0644, NULL, NULL) == -1) {
		free(inc);
		free(create);
		return RESULT_FAILED;
	}
	free(inc);
	xasprintf(&mirror_opt, "--mirror=%s", mirror);
	rc = step_run(ctx, (char *[]){ "timeout", LXC_CREATE_WAIT,
	    "lxc-create", "-n", (char *)c->n->name, "-f", create, "-t",
	    ubuntu ? "ubuntu" : "debian", "--", "-r", t->release, mirror_opt,
	    NULL }, NULL, 0);
	free(mirror_opt);
	run_ok(ctx, (char *[]){ "rm", "-f", create, NULL });
	free(create);
	if (rc != 0)
		return step_fail(ctx, "lxc-create of %s failed (%d): see the "
		    "log; the host must reach %s", c->n->name, rc, mirror);
	if (step_capture(ctx, (char *[]){ "sh", "-c", (char *)rootfs_script,
	    "sh", (char *)c->n->name, NULL }, &out) != 0 || out == NULL ||
	    (len = strcspn(out, "\n")) == 0) {
		free(out);
		return step_fail(ctx, "container %s made, but where is its "
		    "root?", c->n->name);
	}
	out[len] = '\0';
	free(c->rootfs);
	c->rootfs = out;
	c->state = CT_EXISTS;
	c->if_differs = c->resolv_differs = c->ssh_on = c->apt_differs = 1;
	return RESULT_CHANGED;
}

static int
put_root(struct step_ctx *ctx, const struct lxc_ct *c, const char *rel,
    const char *content, size_t len)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "%s%s", c->rootfs, rel);
	rc = step_put(ctx, path, content, len, 0644, NULL, NULL);
	free(path);
	return rc;
}

static enum result
lxc_apply_container(struct step_ctx *ctx, struct lxc_state *st,
    struct lxc_ct *c, const char *resolv, size_t resolvlen, int *start)
{
	char	*name = (char *)c->n->name;
	int	 restart;

	*start = 0;
	if (c->frag_differs && step_put(ctx, c->path, c->frag,
	    strlen(c->frag), 0644, NULL, NULL) == -1)
		return RESULT_FAILED;
	if (c->state != CT_EXISTS && lxc_create(ctx, c) == RESULT_FAILED)
		return RESULT_FAILED;
	if (c->rootfs == NULL)
		return step_fail(ctx, "no root folder for container %s", name);
	if (c->if_differs && put_root(ctx, c, "/etc/network/interfaces",
	    lxc_interfaces, strlen(lxc_interfaces)) == -1)
		return RESULT_FAILED;
	if (c->resolv_differs) {
		if (resolv == NULL)
			step_note(ctx, "%s: no resolver file on the host (%s) "
			    "to copy", name, st->resolv_src);
		else if (put_root(ctx, c, "/etc/resolv.conf", resolv,
		    resolvlen) == -1)
			return RESULT_FAILED;
	}
	if (c->ssh_on) {
		if (!run_ok(ctx, (char *[]){ "sh", "-c",
		    (char *)ssh_off_script, "sh", c->rootfs, NULL }))
			return step_fail(ctx, "cannot disable sshd in %s",
			    name);
		if (c->running) {
			run_ok(ctx, (char *[]){ "lxc-attach", "-n", name,
			    "--", "systemctl", "daemon-reload", NULL });
			run_ok(ctx, (char *[]){ "lxc-attach", "-n", name,
			    "--", "systemctl", "stop", "ssh.service", NULL });
		}
	}
	restart = c->running && c->frag_differs;
	if (restart && !run_ok(ctx, (char *[]){ "lxc-stop", "-n", name, "-t",
	    "120", NULL }))
		return step_fail(ctx, "cannot stop container %s to give it "
		    "its new configuration", name);
	if (!c->running || restart) {
		if (!run_ok(ctx, (char *[]){ "lxc-start", "-n", name, NULL }))
			return step_fail(ctx, "lxc-start %s failed: see the "
			    "log (lxc-start -n %s -F shows why)", name, name);
		*start = 1;
	}
	return RESULT_CHANGED;
}

static enum result
lxc_apply(struct step_ctx *ctx)
{
	struct lxc_state	 st;
	struct lxc_ct		*c;
	char			*argv[4 + MAX_CTS + 1], *resolv = NULL;
	char			*err = NULL;
	size_t			 i, k, resolvlen = 0;
	int			 start;
	enum result		 r;

	memset(&st, 0, sizeof st);
	if (ctx->topo == NULL || lxc_probe(ctx, &st) == -1) {
		lxc_state_free(&st);
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	for (i = 0; i < st.ncts; i++) {
		if (st.cts[i].state == CT_FOREIGN) {
			step_fail(ctx, "a container named %s exists and was "
			    "not made by dhis2-setup", st.cts[i].n->name);
			lxc_state_free(&st);
			return RESULT_FAILED;
		}
	}
	if ((r = lxc_apply_host(ctx, &st)) == RESULT_FAILED)
		goto out;
	for (i = 0; i < st.ncts && resolv == NULL; i++) {
		if (st.cts[i].resolv_differs && st.resolv_src != NULL &&
		    transport_get(ctx->t, st.resolv_src, &resolv, &resolvlen,
		    &err) != 0) {
			free(err);
			err = NULL;
			resolv = NULL;
			break;
		}
	}
	k = 0;
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)boot_wait_script;
	argv[k++] = "sh";
	for (i = 0; i < st.ncts; i++) {
		c = &st.cts[i];
		r = lxc_apply_container(ctx, &st, c, resolv, resolvlen, &start);
		if (r == RESULT_FAILED)
			goto out;
		if (start)
			argv[k++] = (char *)c->n->name;
	}
	argv[k] = NULL;
	if (k > 4 && step_run(ctx, argv, NULL, 0) != 0) {
		r = step_fail(ctx, "containers started but systemd in them "
		    "did not come up within " LXC_BOOT_WAIT " s: see the log");
		goto out;
	}
	for (i = 0; i < st.ncts; i++) {
		c = &st.cts[i];
		if (c->apt_differs && step_run(ctx, (char *[]){ "lxc-attach",
		    "-n", (char *)c->n->name, "--", "sh", "-c",
		    (char *)apt_write_script, "sh", (char *)st.apt_path, NULL },
		    st.apt, strlen(st.apt)) != 0) {
			r = step_fail(ctx, "cannot write the apt sources of "
			    "%s: see the log", c->n->name);
			goto out;
		}
	}
	r = RESULT_CHANGED;
out:
	free(resolv);
	lxc_state_free(&st);
	return r;
}

/* Everything check looks at is as wanted, and each container is up. */
static enum result
lxc_verify(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	struct lxc_state	 st;
	struct lxc_ct		*c;
	char			*argv[4 + MAX_CTS + 1], *out = NULL, *v, *want;
	size_t			 i, k = 0;
	int			 bad = 0, systemd = step_facts(ctx)->systemd;

	if (lxc_probe(ctx, &st) == -1) {
		lxc_state_free(&st);
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	bad += st.nmissing + st.br_missing + st.braddr_differs + st.br_down +
	    st.fwd_off + st.nat_stale + st.data_missing;
	bad += systemd && (st.unit_off || st.lxc_off);
	for (i = 0; i < NFILES; i++)
		bad += st.file_differs[i];
	argv[k++] = "sh";
	argv[k++] = "-c";
	argv[k++] = (char *)verify_script;
	argv[k++] = "sh";
	for (i = 0; i < st.ncts; i++) {
		c = &st.cts[i];
		bad += c->state != CT_EXISTS || c->frag_differs ||
		    c->if_differs || c->ssh_on || c->apt_differs ||
		    !c->running;
		argv[k++] = (char *)c->n->name;
	}
	argv[k] = NULL;
	if (bad > 0) {
		lxc_state_free(&st);
		return step_fail(ctx, "%d setting%s still not as wanted after "
		    "apply: see the log", bad, bad == 1 ? "" : "s");
	}
	if (step_capture(ctx, argv, &out) != 0 || out == NULL) {
		free(out);
		lxc_state_free(&st);
		return step_fail(ctx, "cannot look into the containers");
	}
	for (i = 0; i < st.ncts && bad == 0; i++) {
		c = &st.cts[i];
		v = probe_ct(out, "sys", c->n->name);
		if (v == NULL || (strcmp(v, "running") != 0 &&
		    strcmp(v, "degraded") != 0)) {
			step_fail(ctx, "systemd in %s is '%s'", c->n->name,
			    v != NULL ? v : "not answering");
			bad++;
		}
		free(v);
		xasprintf(&want, "%s/%d", c->n->address, t->prefix_len);
		v = probe_ct(out, "addr", c->n->name);
		if (bad == 0 && (v == NULL || strcmp(v, want) != 0)) {
			step_fail(ctx, "container %s has address '%s', not %s",
			    c->n->name, v != NULL ? v : "", want);
			bad++;
		}
		free(v);
		free(want);
		v = probe_ct(out, "sshd", c->n->name);
		if (bad == 0 && v != NULL && strcmp(v, "active") == 0) {
			step_fail(ctx, "sshd still runs in %s", c->n->name);
			bad++;
		}
		free(v);
	}
	free(out);
	lxc_state_free(&st);
	return bad > 0 ? RESULT_FAILED : RESULT_CHANGED;
}

static const char *const lxc_after[] = { "base", NULL };

const struct step step_lxc = {
	.name = "lxc",
	.roles = 0,
	.flags = STEP_LXC_HOST,
	.summary = "LXC host: packages, bridge, forwarding, NAT to the "
	    "archive and 80/443 to the proxy, the containers (start at boot, "
	    "no sshd, the database's data on a host path)",
	.after = lxc_after,
	.check = lxc_check,
	.apply = lxc_apply,
	.verify = lxc_verify,
};
