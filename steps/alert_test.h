/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The alert test: one test message on every channel the profile chose,
 * through the running Alertmanager (`dhis2-setup alert-test`) or, for the
 * wizard, from this machine when Alertmanager is not there yet.  See
 * docs/alerting.md.
 */
#ifndef ALERT_TEST_H
#define ALERT_TEST_H

struct profile;
struct secrets;

/*
 * One test alert through the running Alertmanager on the monitor node;
 * *report says, per receiver, whether it was delivered.  Returns an exit
 * code (core.h): 0 every receiver delivered, 1 one failed or did not
 * answer in time, or Alertmanager does not run (then *absent is 1),
 * 2 no receiver, 3 the monitor cannot be reached.  accept_new: accept a
 * new SSH host key (as plan's --accept-new-host-keys).
 */
int	 alert_test(const struct profile *p, int accept_new, char **report,
	    int *absent);

/*
 * The wizard's test: through Alertmanager when it runs there, else each
 * channel straight from this machine with libcurl, with the tokens of s
 * (NULL: no secrets file loaded).  What happened, for the operator; the
 * caller frees it.
 */
char	*alert_test_or_direct(const struct profile *p, const struct secrets *s);

#endif
