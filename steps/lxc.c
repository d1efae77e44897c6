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
 *
 * This file is the host and the step; lxc_container.c is the containers
 * (their configuration, creation, start and what is written into them).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt_sources.h"
#include "core.h"
#include "lxc.h"
#include "profile.h"
#include "step.h"
#include "step_item.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define LXC_NAT		LXC_DIR "/nat.nft"
#define LXC_NAT_TABLE	"dhis2_setup_nat"
/* What nft listed right after loading: a later listing that differs
 * means the table was changed or flushed behind our back. */
#define LXC_NAT_LISTED	"/run/dhis2-setup-lxc-nat.listed"
#define LXC_UNIT_NAME	"dhis2-setup-lxc-net.service"
#define LXC_UNIT	"/etc/systemd/system/" LXC_UNIT_NAME
#define LXC_SYSCTL	"/etc/sysctl.d/90-dhis2-setup-lxc.conf"
#define LXC_WANTS	"/etc/systemd/system/multi-user.target.wants/"

static const char *const lxc_files[NFILES] = {
	[F_SYSCTL] = LXC_SYSCTL,
	[F_NAT] = LXC_NAT,
	[F_UNIT] = LXC_UNIT,
};

/* Queried every time; which are wanted depends on the host. */
static const char *const lxc_packages[] = {
	"lxc", "lxc-templates", "debootstrap", "rsync", "nftables",
	"iproute2", "apparmor", "debian-archive-keyring", NULL
};

/*
 * $1 bridge, $2 our fragments' folder, $3 the data path or "", $4 the
 * NAT listing, $5 the containers' apt sources file, $6 the script that
 * reads a container's files (lxc_ct_files_script), $7 n, then n files to
 * sum, then m and m containers, then the packages.
 */
static const char probe_script[] =
    LXC_SH_COMMON
    STEP_FILES_SH
    "br=$1 dir=$2 data=$3 listed=$4 src=$5 files=$6 n=$7\n"
    "shift 7\n"
    "while [ \"$n\" -gt 0 ]; do\n"
    "  step_sums \"$1\"; shift; n=$((n - 1))\n"
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
    /* the subordinate ids: root's range, and where the others end */
    "for f in subuid subgid; do\n"
    "  [ -f /etc/$f ] && awk -F: -v k=$f "
    "'NF == 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ "
    "{ print k \"=\" $1 \" \" $2 \" \" $3 }' /etc/$f\n"
    "done\n"
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
    "  grep -qs '^lxc\\.idmap' \"$dir/$c.conf\" || echo \"priv=$c\"\n"
    "  r=$(rootfs \"$d\")\n"
    "  echo \"root=$c $r\"\n"
    /* lxc-info asks only this container (lxc-ls would wait on
     * every container's lock on the host) */
    "  s=$(lxc-info -n \"$c\" -sH 2>/dev/null)\n"
    "  [ \"$s\" = RUNNING ] && echo \"up=$c\"\n"
    /* Its files: read in the running container (its own root), or
     * from the host in a stopped one, never through a link. */
    "  if [ \"$s\" = RUNNING ]; then\n"
    "    timeout 60 lxc-attach -n \"$c\" --clear-env --set-var "
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin -- sh -c \"$files\" sh '' 0 "
    "\"$src\"\n"
    "  else sh -c \"$files\" sh \"$r\" 1 \"$src\"; fi 2>/dev/null |\n"
    "  while IFS= read -r l; do\n"
    "    case $l in\n"
    "    if=*|resolv=*|apt=*|ssh=*) echo \"${l%%=*}=$c ${l#*=}\";;\n"
    "    aptlist) echo \"aptlist=$c\";;\n"
    "    esac\n"
    "  done\n"
    "done\n"
    "for f in \"$P\"/*/config; do\n"
    "  [ -f \"$f\" ] && grep -qF \"lxc.include = $dir/\" \"$f\" &&\n"
    "      { f=${f%/config}; echo \"ours=${f##*/}\"; }\n"
    "done\n"
    "dpkg-query -W -f='pkg=${Package} ${db:Status-Abbrev}\\n' \"$@\" "
    "2>/dev/null\n"
    "exit 0\n";

/* $1 where: load our NAT table, then keep what nft lists of it. */
static const char nat_load_script[] =
    "nft -f \"$1\" || exit 1\n"
    "l=$(nft list table ip " LXC_NAT_TABLE ") || exit 1\n"
    "printf '%s\\n' \"$l\" > \"$2\"\n";

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

int
lxc_parse_v4(const char *s, uint32_t *out)
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

void
lxc_format_v4(uint32_t v, char out[INET_ADDRSTRLEN])
{
	struct in_addr	a;

	a.s_addr = htonl(v);
	if (inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN) == NULL)
		out[0] = '\0';
}

uint32_t
lxc_prefix_mask(int len)
{
	return len <= 0 ? 0 : (uint32_t)(0xffffffffUL << (32 - len));
}

const char *
lxc_data_path(struct step_ctx *ctx)
{
	return ctx->profile->database.data_path;
}

static char *
nat_content(const struct topology *t, const char *proxy)
{
	char		 net[INET_ADDRSTRLEN], *s;
	uint32_t	 gw = 0;

	lxc_parse_v4(t->gateway, &gw);
	lxc_format_v4(gw & lxc_prefix_mask(t->prefix_len), net);
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

void
lxc_state_free(struct lxc_state *st)
{
	size_t	i;

	free(st->probe);
	step_files_free(&st->files);
	step_files_free(&st->frags);
	free(st->datafs);
	free(st->resolv_src);
	free(st->apt);
	free(st->strays);
	for (i = 0; i < st->ncts; i++)
		free(st->cts[i].rootfs);
	memset(st, 0, sizeof *st);
}

/*
 * Root's subordinate range in the probe's "KEY=NAME START COUNT" lines
 * (/etc/subuid or /etc/subgid): 0 with *start at its first range of
 * LXC_IDS or more; else 1 (to be reserved) with *start past every range
 * in the file, on a multiple of LXC_IDS, where useradd will not hand it
 * to a new user.
 */
static int
subid_range(const char *probe, const char *key, unsigned long *start)
{
	const char	*p = probe;
	char		 name[64];
	unsigned long	 s, n, end = LXC_IDS_MIN;
	size_t		 len = strlen(key);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		if (strncmp(p, key, len) != 0 ||
		    sscanf(p + len, "%63s %lu %lu", name, &s, &n) != 3)
			continue;
		if ((strcmp(name, "root") == 0 || strcmp(name, "0") == 0) &&
		    n >= LXC_IDS) {
			*start = s;
			return 0;
		}
		if (s + n > end)
			end = s + n;
	}
	*start = (end + LXC_IDS - 1) / LXC_IDS * LXC_IDS;
	return 1;
}

static int
lxc_probe(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	const struct topo_node	*proxy = proxy_node(t);
	struct step_args	 a = { NULL, 0 };
	char			 nfiles[16], ncts[16];
	char			*v, *want;
	size_t			 i;
	int			 rc;

	memset(st, 0, sizeof *st);
	if (lxc_containers(ctx, st) == -1 || proxy == NULL)
		return -1;
	step_files_add(&st->files, lxc_files[F_SYSCTL], xstrdup("# dhis2-setup: "
	    "the LXC host routes its containers' traffic.\n"
	    "net.ipv4.ip_forward = 1\n"), 0644, NULL, NULL);
	step_files_add(&st->files, lxc_files[F_NAT],
	    nat_content(t, proxy->address), 0644, NULL, NULL);
	step_files_add(&st->files, lxc_files[F_UNIT], unit_content(t), 0644,
	    NULL, NULL);
	st->apt = lxc_apt_sources(ctx, &st->apt_path);
	snprintf(nfiles, sizeof nfiles, "%zu", st->files.n + st->frags.n);
	snprintf(ncts, sizeof ncts, "%zu", st->ncts);
	step_args_add(&a, t->bridge);
	step_args_add(&a, LXC_DIR);
	step_args_add(&a, lxc_data_path(ctx) != NULL ? lxc_data_path(ctx) : "");
	step_args_add(&a, LXC_NAT_LISTED);
	step_args_add(&a, st->apt_path);
	step_args_add(&a, lxc_ct_files_script);
	step_args_add(&a, nfiles);
	step_files_probe_args(&st->files, &a);
	step_files_probe_args(&st->frags, &a);
	step_args_add(&a, ncts);
	for (i = 0; i < st->ncts; i++)
		step_args_add(&a, st->cts[i].n->name);
	for (i = 0; lxc_packages[i] != NULL; i++)
		step_args_add(&a, lxc_packages[i]);
	rc = step_probe_runv(ctx, &st->probe, probe_script, a.v);
	step_args_free(&a);
	if (rc != 0)
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
	step_files_parse(&st->files, st->probe);

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
	if (lxc_data_path(ctx) != NULL) {
		st->data_missing = !step_probe_has(st->probe, "data=1");
		st->datafs = step_probe_value(st->probe, "datafs=");
	}
	st->resolv_src = step_probe_value(st->probe, "resolvsrc=");
	st->subuid_missing = subid_range(st->probe, "subuid=", &st->subuid);
	st->subgid_missing = subid_range(st->probe, "subgid=", &st->subgid);
	lxc_probe_containers(ctx, st);
	return 0;
}

static void
lxc_notes(struct step_ctx *ctx, const struct lxc_state *st)
{
	if (lxc_data_path(ctx) != NULL)
		step_note(ctx, "the database's data directory is %s on the "
		    "host (%s): it should be on the separate, encrypted disk",
		    lxc_data_path(ctx), st->datafs != NULL &&
		    *st->datafs != '\0' ? st->datafs : "not made yet");
	if (st->strays != NULL)
		step_note(ctx, "container%s %s no longer in the profile: left "
		    "as they are (lxc-destroy -n NAME removes one with its "
		    "data)",
		    strchr(st->strays, ',') ? "s" : "", st->strays);
}

/*
 * What is not as wanted, host then containers: reported as "would" lines
 * (check) or counted (verify), from this one list.
 */
static int
lxc_pending(struct step_ctx *ctx, const struct lxc_state *st, int report)
{
	const struct topology	*t = ctx->topo;
	const struct step_file	*unit = &st->files.v[F_UNIT];
	const struct step_file	*nat = &st->files.v[F_NAT];
	int			 i, n = 0, systemd = step_facts(ctx)->systemd;

	for (i = 0; i < st->nmissing; i++)
		n += step_pending(ctx, report, 1, "install package %s",
		    st->missing[i]);
	n += step_files_pending(ctx, &st->files, report);
	n += step_pending(ctx, report, systemd && (st->unit_off ||
	    unit->differs), "enable %s (the bridge and NAT at boot)",
	    LXC_UNIT_NAME);
	n += step_pending(ctx, report, systemd && st->lxc_off,
	    "enable lxc.service (containers start at boot)");
	n += step_pending(ctx, report, st->br_missing,
	    "create the bridge %s", t->bridge);
	n += step_pending(ctx, report, st->braddr_differs,
	    "give the bridge %s the address %s/%d", t->bridge, t->gateway,
	    t->prefix_len);
	n += step_pending(ctx, report, st->br_down && !st->br_missing,
	    "bring the bridge %s up", t->bridge);
	n += step_pending(ctx, report, st->fwd_off,
	    "turn IPv4 forwarding on");
	n += step_pending(ctx, report, st->nat_stale && !nat->differs,
	    "load the NAT table %s (%s)", LXC_NAT_TABLE, LXC_NAT);
	n += step_pending(ctx, report, st->data_missing,
	    "create the data directory %s", lxc_data_path(ctx));
	n += step_pending(ctx, report, st->subuid_missing,
	    "reserve host uids %lu-%lu for the containers (root:%lu:%d in "
	    "/etc/subuid)", st->subuid, st->subuid + LXC_IDS - 1, st->subuid,
	    LXC_IDS);
	n += step_pending(ctx, report, st->subgid_missing,
	    "reserve host gids %lu-%lu for the containers (root:%lu:%d in "
	    "/etc/subgid)", st->subgid, st->subgid + LXC_IDS - 1, st->subgid,
	    LXC_IDS);
	n += lxc_containers_pending(ctx, st, report);
	return n;
}

/* A container of that name that is not ours: refused, not taken over. */
static int
lxc_foreign(struct step_ctx *ctx, const struct lxc_state *st)
{
	size_t	i;

	for (i = 0; i < st->ncts; i++) {
		if (st->cts[i].state == CT_FOREIGN) {
			step_fail(ctx, "a container named %s exists on %s and "
			    "was not made by dhis2-setup: set lxc.prefix in "
			    "the profile, or remove that container",
			    st->cts[i].n->name, ctx->machine);
			return 1;
		}
	}
	return 0;
}

/*
 * Check and apply both start from the host's state, and both stop on a
 * container of that name that is not ours.  -1 after saying why.
 */
static int
lxc_read(struct step_ctx *ctx, struct lxc_state *st)
{
	memset(st, 0, sizeof *st);
	if (ctx->topo == NULL || lxc_probe(ctx, st) == -1) {
		lxc_state_free(st);
		return step_err(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	if (lxc_foreign(ctx, st)) {
		lxc_state_free(st);
		return -1;
	}
	return 0;
}

static enum result
lxc_check(struct step_ctx *ctx)
{
	const struct topology	*t = ctx->topo;
	struct lxc_state	 st;
	enum result		 r;

	if (lxc_read(ctx, &st) == -1)
		return RESULT_FAILED;
	lxc_pending(ctx, &st, 1);
	lxc_notes(ctx, &st);
	if (ctx->changes == 0)
		step_msg(ctx, "%zu container%s running on %s", st.ncts,
		    st.ncts == 1 ? "" : "s", t->bridge);
	r = ctx->changes > 0 ? RESULT_CHANGED : RESULT_OK;
	lxc_state_free(&st);
	return r;
}

int
lxc_cmd_ok(struct step_ctx *ctx, char *const *argv)
{
	return step_run(ctx, argv, NULL, 0) == 0;
}

static enum result
lxc_apply_host(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	char			*cidr;
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
	if (!lxc_cmd_ok(ctx, (char *[]){ "mkdir", "-p", "-m", "0755", LXC_DIR,
	    NULL }))
		return step_fail(ctx, "cannot create %s", LXC_DIR);
	if (step_files_apply(ctx, &st->files) == -1)
		return RESULT_FAILED;
	/* Where systemd runs it makes all this again at boot. */
	if (systemd && (st->unit_off || st->files.v[F_UNIT].differs)) {
		if (!lxc_cmd_ok(ctx, (char *[]){ "systemctl", "daemon-reload",
		    NULL }) || !lxc_cmd_ok(ctx, (char *[]){ "systemctl",
		    "enable", LXC_UNIT_NAME, NULL }))
			return step_fail(ctx, "cannot enable %s",
			    LXC_UNIT_NAME);
	}
	if (systemd && st->lxc_off && !lxc_cmd_ok(ctx, (char *[]){ "systemctl",
	    "enable", "lxc.service", NULL }))
		return step_fail(ctx, "cannot enable lxc.service");

	/* And now, whether or not systemd runs. */
	if (st->br_missing && !lxc_cmd_ok(ctx, (char *[]){ "ip", "link", "add",
	    t->bridge, "type", "bridge", NULL }))
		return step_fail(ctx, "cannot create the bridge %s", t->bridge);
	if (st->braddr_differs) {
		xasprintf(&cidr, "%s/%d", t->gateway, t->prefix_len);
		ok = lxc_cmd_ok(ctx, (char *[]){ "ip", "-4", "addr", "flush",
		    "dev", t->bridge, NULL }) && lxc_cmd_ok(ctx,
		    (char *[]){ "ip", "addr", "add", cidr, "dev", t->bridge,
		    NULL });
		free(cidr);
		if (!ok)
			return step_fail(ctx, "cannot set the address of %s",
			    t->bridge);
	}
	if ((st->br_down || st->br_missing) && !lxc_cmd_ok(ctx,
	    (char *[]){ "ip", "link", "set", t->bridge, "up", NULL }))
		return step_fail(ctx, "cannot bring %s up", t->bridge);
	if (st->fwd_off && !lxc_cmd_ok(ctx, (char *[]){ "sysctl", "-q", "-w",
	    "net.ipv4.ip_forward=1", NULL }))
		return step_fail(ctx, "cannot turn IPv4 forwarding on");
	if ((st->nat_stale || st->files.v[F_NAT].differs) &&
	    !lxc_cmd_ok(ctx, (char *[]){ "sh", "-c", (char *)nat_load_script,
	    "sh", LXC_NAT, LXC_NAT_LISTED, NULL }))
		return step_fail(ctx, "nft refused %s: see the log", LXC_NAT);
	if (st->subuid_missing || st->subgid_missing) {
		struct step_args	 a = { NULL, 0 };
		char			 u[64], g[64];

		snprintf(u, sizeof u, "%lu-%lu", st->subuid,
		    st->subuid + LXC_IDS - 1);
		snprintf(g, sizeof g, "%lu-%lu", st->subgid,
		    st->subgid + LXC_IDS - 1);
		step_args_add(&a, "usermod");
		if (st->subuid_missing) {
			step_args_add(&a, "--add-subuids");
			step_args_add(&a, u);
		}
		if (st->subgid_missing) {
			step_args_add(&a, "--add-subgids");
			step_args_add(&a, g);
		}
		step_args_add(&a, "root");
		ok = lxc_cmd_ok(ctx, a.v);
		step_args_free(&a);
		if (!ok)
			return step_fail(ctx, "cannot reserve the containers' "
			    "ids in /etc/subuid and /etc/subgid");
	}
	if (st->data_missing) {
		char	*path = (char *)lxc_data_path(ctx);

		if (!lxc_cmd_ok(ctx, (char *[]){ "mkdir", "-p", path, NULL }) ||
		    !lxc_cmd_ok(ctx, (char *[]){ "chmod", "0700", path, NULL }))
			return step_fail(ctx, "cannot create %s",
			    lxc_data_path(ctx));
	}
	return RESULT_CHANGED;
}

static enum result
lxc_apply(struct step_ctx *ctx)
{
	struct lxc_state	 st;
	enum result		 r;

	if (lxc_read(ctx, &st) == -1)
		return RESULT_FAILED;
	if ((r = lxc_apply_host(ctx, &st)) != RESULT_FAILED)
		r = lxc_apply_containers(ctx, &st);
	lxc_state_free(&st);
	return r;
}

/* Nothing check would report is left, and each container is up. */
static enum result
lxc_verify(struct step_ctx *ctx)
{
	struct lxc_state	 st;
	int			 bad;
	enum result		 r;

	memset(&st, 0, sizeof st);
	if (ctx->topo == NULL || lxc_probe(ctx, &st) == -1) {
		lxc_state_free(&st);
		return step_fail(ctx, "cannot read the state of %s",
		    ctx->machine);
	}
	if ((bad = lxc_pending(ctx, &st, 0)) > 0) {
		lxc_state_free(&st);
		return step_fail(ctx, "%d setting%s still not as wanted after "
		    "apply: see the log", bad, bad == 1 ? "" : "s");
	}
	r = lxc_verify_containers(ctx, &st);
	lxc_state_free(&st);
	return r;
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
