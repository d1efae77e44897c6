/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * lxc: the containers on the LXC host (the step and the host are in
 * lxc.c).  One container per node of the topology, made with lxc-create
 * from our own configuration fragment (fixed address on the host's
 * bridge, start at boot, the database's data directory bound from the
 * host), with no DHCP on eth0, the host's resolvers, sshd masked (they
 * are entered with lxc-attach) and apt sources of our own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt_sources.h"
#include "core.h"
#include "lxc.h"
#include "profile.h"
#include "step.h"
#include "step_probe.h"
#include "topology.h"
#include "transport.h"

#define LXC_BOOT_WAIT	"180"	/* seconds for systemd in the containers */
#define LXC_CREATE_WAIT	"1800"	/* a first debootstrap on a slow link */
#define LXC_PG_DIR	"var/lib/postgresql"	/* in the container */

/* The container's network is LXC's: no DHCP client may touch eth0. */
static const char lxc_interfaces[] =
    "# dhis2-setup: eth0's address is set by LXC (the container's config).\n"
    "auto lo\n"
    "iface lo inet loopback\n"
    "\n"
    "iface eth0 inet manual\n";

/* $1 a container: its root folder. */
static const char rootfs_script[] =
    LXC_SH_COMMON
    "[ -f \"$P/$1/config\" ] || exit 1\n"
    "rootfs \"$P/$1\"\n";

/*
 * A container's files, read where it is safe: $1 its root folder ("" in
 * the container itself, through lxc-attach), $2 1 when read from the host
 * (strict: the container is stopped, and a symbolic link on the way
 * anywhere, not only the last component, says "link": it could lead out
 * of the container's tree into the host's), $3 its apt sources file.
 * Only regular files are read (a FIFO would hang the probe).
 */
const char lxc_ct_files_script[] =
    "r=$1 strict=$2 src=$3\n"
    "walk() {\n"
    "  p=$r rest=$1\n"
    "  while [ -n \"$rest\" ]; do\n"
    "    case $rest in */*) c=${rest%%/*} rest=${rest#*/};;"
    " *) c=$rest rest=;; esac\n"
    "    p=$p/$c\n"
    "    if [ -L \"$p\" ] && { [ \"$strict\" = 1 ] || [ -z \"$rest\" ]; }; "
    "then return 1; fi\n"
    "  done\n"
    "}\n"
    "sumof() {\n"
    "  walk \"$1\" || { echo link; return; }\n"
    "  [ -f \"$p\" ] || { echo none; return; }\n"
    "  s=$(sha256sum 2>/dev/null < \"$p\") && echo \"${s%% *}\"\n"
    "}\n"
    "echo \"if=$(sumof etc/network/interfaces)\"\n"
    "echo \"resolv=$(sumof etc/resolv.conf)\"\n"
    "echo \"apt=$(sumof \"${src#/}\")\"\n"
    /* a template's one-line sources beside ours: apt would read both */
    "walk etc/apt/sources.list && [ -f \"$p\" ] && "
    "grep -Eqs '^[[:space:]]*deb' \"$p\" && echo aptlist\n"
    "s=etc/systemd/system ssh=off\n"
    "for d in $s/ssh.service $s/sshd.service "
    "$s/multi-user.target.wants/ssh.service "
    "$s/sockets.target.wants/ssh.socket; do\n"
    "  walk \"$d\" || [ \"$strict\" != 1 ] || [ \"$p\" = \"$r/$d\" ] || "
    "ssh=link\n"
    "done\n"
    "if [ $ssh = off ] && { [ \"$(readlink \"$r/$s/ssh.service\")\" != "
    "/dev/null ] ||\n"
    "    [ -L \"$r/$s/multi-user.target.wants/ssh.service\" ] ||\n"
    "    [ -L \"$r/$s/sshd.service\" ]; }; then ssh=on; fi\n"
    "echo \"ssh=$ssh\"\n";

/* $1 "" in the container (lxc-attach): mask sshd there. */
static const char ssh_off_script[] =
    "s=$1/etc/systemd/system\n"
    "mkdir -p \"$s\" &&\n"
    "rm -f \"$s/multi-user.target.wants/ssh.service\" \"$s/sshd.service\" "
    "\"$s/sockets.target.wants/ssh.socket\" &&\n"
    "ln -sfn /dev/null \"$s/ssh.service\"\n";

/*
 * On the host, into a STOPPED container's root folder, never through a
 * symbolic link: nothing in the container runs to swap one in, each
 * folder on the way is refused when it is a link (exit 3), and the
 * writes are relative to the folder reached (cd -P), so a path is never
 * resolved again.  $1 the container, $2 its root folder, $3 what:
 *   put DIR FILE MODE   FILE in DIR from stdin (the old one as .prev)
 *   sshoff              sshd masked (ssh.service -> /dev/null)
 */
static const char root_write_script[] =
    "ct=$1 r=$2 op=$3\n"
    "shift 3\n"
    "s=$(lxc-info -n \"$ct\" -sH 2>/dev/null)\n"
    "[ \"$s\" = STOPPED ] || { echo \"container $ct is ${s:-not there}, "
    "not stopped\" >&2; exit 1; }\n"
    "R=$(cd -P -- \"$r\" && pwd -P) && cd -- \"$R\" || exit 1\n"
    "into() {\n"
    "  for c in $(printf '%s\\n' \"$1\" | tr / ' '); do\n"
    "    if [ -L \"$c\" ]; then\n"
    "      echo \"$(pwd -P)/$c in the root folder of $ct is a symbolic link: "
    "refused\" >&2; exit 3\n"
    "    fi\n"
    "    [ -d \"$c\" ] || mkdir -m 0755 -- \"$c\" || exit 1\n"
    "    cd -P -- \"$c\" || exit 1\n"
    "  done\n"
    "}\n"
    "case $op in\n"
    "put)\n"
    "  into \"$1\"; f=$2\n"
    "  t=$(umask 077; mktemp ./.d2s-put.XXXXXXXX) || exit 1\n"
    "  trap 'rm -f -- \"$t\"' EXIT\n"
    "  cat > \"$t\" && chmod -- \"$3\" \"$t\" || exit 1\n"
    "  if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then\n"
    "    rm -f -- \"$f.prev\"\n"
    "    ln -- \"$f\" \"$f.prev\" 2>/dev/null || cp -p -- \"$f\" \"$f.prev\"\n"
    "  fi\n"
    "  mv -f -- \"$t\" \"$f\" || exit 1\n"
    "  trap - EXIT;;\n"
    "sshoff)\n"
    "  into etc/systemd/system\n"
    "  for d in multi-user.target.wants sockets.target.wants; do\n"
    "    [ -L \"$d\" ] && { echo \"$(pwd -P)/$d in the root folder of $ct "
    "is a symbolic link: refused\" >&2; exit 3; }\n"
    "  done\n"
    "  rm -f multi-user.target.wants/ssh.service sshd.service "
    "sockets.target.wants/ssh.socket &&\n"
    "  ln -sfn /dev/null ssh.service;;\n"
    "*) exit 2;;\n"
    "esac\n";

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
    /* whose uid root in it is, read from the host */
    "  p=$(lxc-info -n \"$c\" -pH 2>/dev/null)\n"
    "  echo \"map=$c $(awk 'NR == 1 {print $1, $2}' /proc/$p/uid_map "
    "2>/dev/null)\"\n"
    "done\n";

/* The probe's word for one container: "KEY=NAME VALUE" -> VALUE. */
static char *
probe_ct(const char *probe, const char *key, const char *name)
{
	return step_probe_valuef(probe, "%s=%s ", key, name);
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
char *
lxc_apt_sources(struct step_ctx *ctx, const char **path)
{
	return apt_sources_content(ctx->topo->release, lxc_mirror(ctx),
	    ctx->profile->lxc.security_mirror, path);
}

/*
 * A container's own configuration, included from LXC's; st NULL: as it
 * is made (LXC's templates refuse an id map), privileged.  Otherwise
 * unprivileged, as LXC recommends: root in it is root's subordinate range
 * on the host, and its root folder and the data directory are idmapped
 * mounts (Linux 5.12, LXC 5.0), so the files keep their owners on disk
 * and a privileged container becomes unprivileged by a restart.
 */
static char *
fragment_content(struct step_ctx *ctx, const struct topo_node *n, int aa,
    const struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	char			 bcast[INET_ADDRSTRLEN], *s, *esc;
	char			*mount = NULL, *idmap = NULL;
	uint32_t		 a = 0;

	lxc_parse_v4(n->address, &a);
	lxc_format_v4(a | ~lxc_prefix_mask(t->prefix_len), bcast);
	if ((n->roles & ROLE_BIT(ROLE_DATABASE)) &&
	    lxc_data_path(ctx) != NULL) {
		esc = fstab_escape(lxc_data_path(ctx));
		xasprintf(&mount, "# the data directory on the host (the "
		    "encrypted disk)\n"
		    "lxc.mount.entry = %s " LXC_PG_DIR " none bind,create=dir%s "
		    "0 0\n", esc, st != NULL ? ",idmap=container" : "");
		free(esc);
	}
	if (st != NULL)
		xasprintf(&idmap, "# unprivileged: root in it is uid %lu and gid "
		    "%lu on the host (root's\n"
		    "# ranges in /etc/subuid and /etc/subgid); the files keep "
		    "their owners\n"
		    "# on disk, mapped at mount\n"
		    "lxc.idmap = u 0 %lu %d\n"
		    "lxc.idmap = g 0 %lu %d\n"
		    "lxc.rootfs.options = idmap=container\n",
		    st->subuid, st->subgid, st->subuid, LXC_IDS, st->subgid,
		    LXC_IDS);
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
	    "%s"
	    "%s",
	    n->name, t->bridge, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
	    n->address, t->prefix_len, bcast, t->gateway,
	    aa ? "lxc.apparmor.profile = generated\n" :
	    "# the host runs no AppArmor\nlxc.apparmor.profile = unconfined\n",
	    idmap != NULL ? idmap : "", mount != NULL ? mount : "");
	free(idmap);
	free(mount);
	return s;
}

int
lxc_containers(struct step_ctx *ctx, struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	char			*path;
	size_t			 i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].kind != TOPO_CONTAINER ||
		    t->nodes[i].host != ctx->node)
			continue;
		if (st->ncts == MAX_CTS)
			return -1;
		st->cts[st->ncts].n = &t->nodes[i];
		xasprintf(&path, LXC_DIR "/%s.conf", t->nodes[i].name);
		/* its content once the probe has said what the host has */
		step_files_add(&st->frags, path, NULL, 0644, NULL, NULL);
		free(path);
		st->ncts++;
	}
	/* the set is whole: pointers into it hold from here */
	for (i = 0; i < st->ncts; i++)
		st->cts[i].frag = &st->frags.v[i];
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
	if (c->state != CT_EXISTS) {
		c->if_differs = c->resolv_differs = c->ssh_on = 1;
		c->apt_differs = 1;
		return;
	}
	c->privileged = step_probe_hasf(probe, "priv=%s", name);
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
	c->running = step_probe_hasf(probe, "up=%s", name);
}

/*
 * The containers' part of the probe (lxc.c's lxc_probe): each one's
 * state, the files in it against what is wanted, and containers of ours
 * no longer in the profile.
 */
void
lxc_probe_containers(struct step_ctx *ctx, struct lxc_state *st)
{
	char	 ifsum[65], aptsum[65], *resolvsum;
	size_t	 i;

	resolvsum = step_probe_value(st->probe, "resolvsum=");
	step_sha256_hex(lxc_interfaces, ifsum);
	step_sha256_hex(st->apt, aptsum);
	for (i = 0; i < st->ncts; i++) {
		st->cts[i].frag->content = fragment_content(ctx,
		    st->cts[i].n, st->apparmor, st);
		parse_container(st, &st->cts[i], ifsum, resolvsum, aptsum);
	}
	free(resolvsum);
	step_files_parse(&st->frags, st->probe);
	parse_strays(st);
}

/*
 * What is not as wanted in each container: a "would" line each (check),
 * or counted (verify), from this one list.
 */
int
lxc_containers_pending(struct step_ctx *ctx, const struct lxc_state *st,
    int report)
{
	const struct topology	*t = ctx->topo;
	const struct lxc_ct	*c;
	const char		*name;
	size_t			 i;
	int			 n = 0, made;

	for (i = 0; i < st->ncts; i++) {
		c = &st->cts[i];
		name = c->n->name;
		made = c->state == CT_EXISTS;
		n += step_pending(ctx, report, c->state == CT_PARTIAL,
		    "remove the half-made container %s (an interrupted "
		    "lxc-create) and make it again", name);
		n += step_pending(ctx, report, !made, "create container %s "
		    "(%s %s) at %s and start it", name,
		    apt_release_is_ubuntu(t->release) ? "ubuntu" : "debian",
		    t->release, c->n->address);
		n += step_pending(ctx, report, !made, "%s: write its apt "
		    "sources %s (%s and its security updates)", name,
		    st->apt_path, t->release);
		if (!made)
			continue;
		n += report ? step_file_report(ctx, c->frag) :
		    c->frag->differs || c->frag->meta_differs;
		n += step_pending(ctx, report, c->if_differs, "%s: set "
		    "/etc/network/interfaces (no DHCP on eth0)", name);
		n += step_pending(ctx, report, c->resolv_differs, "%s: copy "
		    "the host's resolvers (%s) to /etc/resolv.conf", name,
		    st->resolv_src);
		n += step_pending(ctx, report, c->ssh_on, "%s: disable sshd "
		    "(containers are entered with lxc-attach)", name);
		n += step_pending(ctx, report, c->apt_differs, "%s: write its "
		    "apt sources %s (%s and its security updates)", name,
		    st->apt_path, t->release);
		n += step_pending(ctx, report, !c->running, "start container "
		    "%s", name);
		n += step_pending(ctx, report, c->privileged, "%s: make it "
		    "unprivileged (root in it becomes uid %lu on the host; "
		    "its files keep their owners on disk, mapped at mount)%s",
		    name, st->subuid, c->running ? ": a restart" : "");
		n += step_pending(ctx, report, c->running && c->frag->differs,
		    "restart container %s for its new configuration", name);
	}
	return n;
}

static enum result
lxc_create(struct step_ctx *ctx, const struct lxc_state *st,
    struct lxc_ct *c)
{
	const struct topology	*t = ctx->topo;
	const char		*mirror = lxc_mirror(ctx);
	char			*create, *inc, *mirror_opt, *out = NULL;
	int			 ubuntu = apt_release_is_ubuntu(t->release), rc;
	size_t			 len;

	if (c->state == CT_PARTIAL && !lxc_cmd_ok(ctx,
	    (char *[]){ "lxc-destroy", "-f", "-n", (char *)c->n->name, NULL }))
		return step_fail(ctx, "cannot remove the half-made container "
		    "%s", c->n->name);
	if (mirror == NULL)
		mirror = apt_release_mirror(t->release);
	/* Made privileged (the templates refuse an id map), then mapped. */
	inc = fragment_content(ctx, c->n, st->apparmor, NULL);
	rc = step_put(ctx, c->frag->path, inc, strlen(inc), 0644, NULL, NULL);
	free(inc);
	if (rc == -1)
		return RESULT_FAILED;
	/* LXC keeps the include line as it is, so the fragment stays ours. */
	xasprintf(&create, LXC_DIR "/%s.create", c->n->name);
	xasprintf(&inc, "lxc.include = %s\n", c->frag->path);
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
	lxc_cmd_ok(ctx, (char *[]){ "rm", "-f", create, NULL });
	free(create);
	if (rc != 0)
		return step_fail(ctx, "lxc-create of %s failed (%d): see the "
		    "log; the host must reach %s", c->n->name, rc, mirror);
	if (step_probe_run(ctx, &out, rootfs_script, c->n->name, NULL) != 0 ||
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

/*
 * Write DIR/FILE (relative to the container's root) without ever
 * following a link the container planted: in a running container through
 * the LXC transport (lxc-attach: its own root and mount namespace), in a
 * stopped one from the host with root_write_script.  0, or -1 after
 * step_fail.
 */
static int
ct_put(struct step_ctx *ctx, const struct lxc_ct *c, const char *dir,
    const char *file, const char *content, size_t len)
{
	struct transport	*lt;
	char			*path, *err = NULL;
	int			 rc;

	if (c->running) {
		lt = transport_lxc_new(ctx->machine, c->n->name, ctx->t);
		xasprintf(&path, "/%s/%s", dir, file);
		rc = transport_put(lt, path, content, len, 0644, NULL, NULL,
		    &err);
		transport_free(lt);
		if (rc != 0)
			step_fail(ctx, "%s: cannot write %s: %s", c->n->name,
			    path, err != NULL ? err : "see the log");
		free(path);
		free(err);
		return rc != 0 ? -1 : 0;
	}
	rc = step_probe_runv_in(ctx, content, len, NULL, root_write_script,
	    (char *[]){ (char *)c->n->name, c->rootfs, "put", (char *)dir,
	    (char *)file, "0644", NULL });
	if (rc == 3)
		step_fail(ctx, "%s: a folder on the way to /%s/%s in its root "
		    "is a symbolic link: refused (it could lead into the "
		    "host; see the log, and look at the container before "
		    "starting it)", c->n->name, dir, file);
	else if (rc != 0)
		step_fail(ctx, "%s: cannot write /%s/%s: see the log",
		    c->n->name, dir, file);
	return rc == 0 ? 0 : -1;
}

/* sshd masked in the container, the same two ways as ct_put(). */
static int
ct_ssh_off(struct step_ctx *ctx, const struct lxc_ct *c)
{
	struct transport	*lt;
	char			*err = NULL;
	int			 rc;

	if (!c->running) {
		rc = step_probe_run(ctx, NULL, root_write_script, c->n->name,
		    c->rootfs, "sshoff", NULL);
		if (rc == 3)
			step_fail(ctx, "%s: a folder on the way to "
			    "/etc/systemd/system in its root is a symbolic "
			    "link: refused (it could lead into the host; see "
			    "the log)", c->n->name);
		else if (rc != 0)
			step_fail(ctx, "cannot disable sshd in %s",
			    c->n->name);
		return rc == 0 ? 0 : -1;
	}
	lt = transport_lxc_new(ctx->machine, c->n->name, ctx->t);
	rc = transport_run(lt, (char *[]){ "sh", "-c", (char *)ssh_off_script,
	    "sh", "", NULL }, NULL, 0, NULL, &err);
	free(err);
	if (rc == 0) {
		err = NULL;
		transport_run(lt, (char *[]){ "systemctl", "daemon-reload",
		    NULL }, NULL, 0, NULL, &err);
		free(err);
		err = NULL;
		transport_run(lt, (char *[]){ "systemctl", "stop",
		    "ssh.service", NULL }, NULL, 0, NULL, &err);
		free(err);
	}
	transport_free(lt);
	if (rc != 0)
		step_fail(ctx, "cannot disable sshd in %s", c->n->name);
	return rc == 0 ? 0 : -1;
}

static enum result
lxc_apply_container(struct step_ctx *ctx, struct lxc_state *st,
    struct lxc_ct *c, const char *resolv, size_t resolvlen, int *start)
{
	char	*name = (char *)c->n->name;
	int	 restart;

	*start = 0;
	if (c->state != CT_EXISTS) {
		if (lxc_create(ctx, st, c) == RESULT_FAILED)
			return RESULT_FAILED;
		c->frag->differs = 1;
	}
	if (c->frag->differs && step_file_apply(ctx, c->frag) == -1)
		return RESULT_FAILED;
	if (c->rootfs == NULL)
		return step_fail(ctx, "no root folder for container %s", name);
	if (c->if_differs && ct_put(ctx, c, "etc/network", "interfaces",
	    lxc_interfaces, strlen(lxc_interfaces)) == -1)
		return RESULT_FAILED;
	if (c->resolv_differs) {
		if (resolv == NULL)
			step_note(ctx, "%s: no resolver file on the host (%s) "
			    "to copy", name, st->resolv_src);
		else if (ct_put(ctx, c, "etc", "resolv.conf", resolv,
		    resolvlen) == -1)
			return RESULT_FAILED;
	}
	if (c->ssh_on && ct_ssh_off(ctx, c) == -1)
		return RESULT_FAILED;
	restart = c->running && c->frag->differs;
	if (restart && !lxc_cmd_ok(ctx, (char *[]){ "lxc-stop", "-n", name,
	    "-t", "120", NULL }))
		return step_fail(ctx, "cannot stop container %s to give it "
		    "its new configuration", name);
	if (!c->running || restart) {
		if (lxc_cmd_ok(ctx, (char *[]){ "lxc-start", "-n", name,
		    NULL })) {
			*start = 1;
			return RESULT_CHANGED;
		}
		if (c->state == CT_EXISTS && c->privileged) {
			/* as it was, and running, rather than down */
			step_roll_back(ctx, c->frag->path);
			if (lxc_cmd_ok(ctx, (char *[]){ "lxc-start", "-n",
			    name, NULL }))
				*start = 1;
			return step_fail(ctx, "%s did not start unprivileged "
			    "(idmapped mounts need Linux 5.12 or later, LXC "
			    "5.0 and a file system that has them): its "
			    "configuration was put back%s; see the log", name,
			    *start ? " and it runs as before" : "");
		}
		return step_fail(ctx, "lxc-start %s failed: see the log "
		    "(lxc-start -n %s -F shows why)", name, name);
	}
	return RESULT_CHANGED;
}

/*
 * After the host: each container made, configured and started, systemd
 * in the started ones waited for, then their apt sources written.
 */
enum result
lxc_apply_containers(struct step_ctx *ctx, struct lxc_state *st)
{
	struct step_args	 started = { NULL, 0 };
	struct lxc_ct		*c;
	char			*resolv = NULL, *err = NULL;
	size_t			 i, resolvlen = 0;
	int			 start;
	enum result		 r;

	for (i = 0; i < st->ncts && resolv == NULL; i++) {
		if (st->cts[i].resolv_differs && st->resolv_src != NULL &&
		    transport_get(ctx->t, st->resolv_src, &resolv, &resolvlen,
		    &err) != 0) {
			free(err);
			err = NULL;
			resolv = NULL;
			break;
		}
	}
	for (i = 0; i < st->ncts; i++) {
		c = &st->cts[i];
		r = lxc_apply_container(ctx, st, c, resolv, resolvlen, &start);
		if (r == RESULT_FAILED)
			goto out;
		if (start)
			step_args_add(&started, c->n->name);
	}
	if (started.n > 0 &&
	    step_probe_runv(ctx, NULL, boot_wait_script, started.v) != 0) {
		r = step_fail(ctx, "containers started but systemd in them "
		    "did not come up within " LXC_BOOT_WAIT " s: see the log");
		goto out;
	}
	for (i = 0; i < st->ncts; i++) {
		c = &st->cts[i];
		if (c->apt_differs && step_run(ctx, (char *[]){ "lxc-attach",
		    "-n", (char *)c->n->name, "--", "sh", "-c",
		    (char *)apt_write_script, "sh", (char *)st->apt_path,
		    NULL }, st->apt, strlen(st->apt)) != 0) {
			r = step_fail(ctx, "cannot write the apt sources of "
			    "%s: see the log", c->n->name);
			goto out;
		}
	}
	r = RESULT_CHANGED;
out:
	step_args_free(&started);
	free(resolv);
	return r;
}

/* How each container runs, once check finds nothing left to do. */
enum result
lxc_verify_containers(struct step_ctx *ctx, const struct lxc_state *st)
{
	const struct topology	*t = ctx->topo;
	const struct lxc_ct	*c;
	struct step_args	 names = { NULL, 0 };
	char			*out = NULL, *v, *want;
	size_t			 i;
	int			 bad = 0, rc;

	for (i = 0; i < st->ncts; i++)
		step_args_add(&names, st->cts[i].n->name);
	rc = step_probe_runv(ctx, &out, verify_script, names.v);
	step_args_free(&names);
	if (rc != 0) {
		free(out);
		return step_fail(ctx, "cannot look into the containers");
	}
	for (i = 0; i < st->ncts && bad == 0; i++) {
		c = &st->cts[i];
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
		xasprintf(&want, "0 %lu", st->subuid);
		v = probe_ct(out, "map", c->n->name);
		if (bad == 0 && (v == NULL || strcmp(v, want) != 0)) {
			step_fail(ctx, "container %s is not unprivileged: root "
			    "in it is '%s' on the host, not uid %lu", c->n->name,
			    v != NULL ? v : "", st->subuid);
			bad++;
		}
		free(v);
		free(want);
	}
	free(out);
	return bad > 0 ? RESULT_FAILED : RESULT_CHANGED;
}
