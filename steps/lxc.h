/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The lxc step's own header: the state its probe reads, shared by the
 * host's side (lxc.c, which holds the step) and the containers' side
 * (lxc_container.c).  Nothing outside the step includes it.
 */
#ifndef LXC_H
#define LXC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "step_item.h"

struct step_ctx;
struct topo_node;

#define LXC_DIR		"/etc/dhis2-setup/lxc"	/* our container fragments */

#define MAX_CTS		64
#define LXC_IDS		65536	/* uids and gids mapped into a container */
#define LXC_IDS_MIN	100000	/* where login.defs starts subordinate ids */

enum lxc_file { F_SYSCTL, F_NAT, F_UNIT, NFILES };

enum ct_state { CT_MISSING, CT_EXISTS, CT_PARTIAL, CT_FOREIGN };

struct lxc_ct {
	const struct topo_node	*n;
	struct step_file	*frag;		/* LXC_DIR/NAME.conf, in frags */
	char			*rootfs;
	enum ct_state		 state;
	int			 running;
	int			 if_differs;
	int			 resolv_differs;
	int			 ssh_on;
	int			 apt_differs;	/* its sources not ours */
	int			 privileged;	/* its fragment maps no ids */
};

struct lxc_state {
	char		*probe;
	const char	*missing[8];		/* packages */
	int		 nmissing;
	int		 apparmor;
	struct step_files files;		/* the host's: enum lxc_file */
	struct step_files frags;		/* one per container, as cts */
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
	/* root's subordinate ids: where the containers' ids start */
	unsigned long	 subuid, subgid;
	int		 subuid_missing, subgid_missing;
};

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

/* lxc.c */
int		 lxc_parse_v4(const char *, uint32_t *);
void		 lxc_format_v4(uint32_t, char [INET_ADDRSTRLEN]);
uint32_t	 lxc_prefix_mask(int);
const char	*lxc_data_path(struct step_ctx *);
int		 lxc_cmd_ok(struct step_ctx *, char *const *);

/* lxc_container.c */
extern const char lxc_ct_files_script[];
char		*lxc_apt_sources(struct step_ctx *, const char **);
int		 lxc_containers(struct step_ctx *, struct lxc_state *);
void		 lxc_probe_containers(struct step_ctx *, struct lxc_state *);
int		 lxc_containers_pending(struct step_ctx *,
		    const struct lxc_state *, int report);
enum result	 lxc_apply_containers(struct step_ctx *, struct lxc_state *);
enum result	 lxc_verify_containers(struct step_ctx *,
		    const struct lxc_state *);

#endif
