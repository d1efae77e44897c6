/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The firewall step's pure parts, for its unit test: the ruleset of one
 * node rendered from the topology, and the lock-out guard's address test.
 */
#ifndef FIREWALL_H
#define FIREWALL_H

#include <stddef.h>

struct topology;

#define FIREWALL_FILE	"/etc/dhis2-setup/firewall.nft"
#define FIREWALL_UNIT	"dhis2-setup-firewall.service"
#define FIREWALL_TABLE	"dhis2_setup"		/* family inet */
#define FIREWALL_BRIDGE_TABLE "dhis2_setup_br"	/* family bridge */

/*
 * The nft file of node: it replaces only our tables.  NULL with *err set
 * when an address the rules name is not an IP address.  *tag (may be
 * NULL) gets the sum the file's tables carry as their comment, which the
 * probe reads back from the loaded tables.
 */
char	*firewall_render(const struct topology *, size_t, char **, char **);
/* Does the address lie within the CIDR (IPv4 or IPv6)?  -1: unparsable. */
int	 firewall_addr_in(const char *, const char *);
/* Would node's rules let a client address reach this port? */
int	 firewall_client_allowed(const struct topology *, size_t,
	    const char *, int);

#endif
