# tests/e2e/: end-to-end tests against real targets: the local machine, an
# sshd on a loopback port and LXC containers on a bridge the tests create.
# They need root and lxc; without them they print "1..0 # SKIP".
# `make check-e2e` runs them (not part of `make check`: they take minutes).
check_PROGRAMS += tests/e2e/transport-tool
tests_e2e_transport_tool_SOURCES = tests/e2e/transport-tool.c
tests_e2e_transport_tool_LDADD = libdhis2setup.a $(D2S_LIBS)

E2E_TESTS = tests/e2e/stack.sh tests/e2e/letsencrypt.sh tests/e2e/transport-local.sh \
	tests/e2e/transport-ssh.sh \
	tests/e2e/containers.sh tests/e2e/dashboard.sh
# isolation: machines, firewalls and TLS to the database (issue 5).
E2E_TESTS += tests/e2e/isolation-machines.sh
# isolation: lxc, the test machine as the server in a network namespace.
E2E_TESTS += tests/e2e/isolation-lxc.sh
# H1: links planted in a container never lead the lxc step into the host.
E2E_TESTS += tests/e2e/lxc-links.sh
# Redis for a clustered instance (nodes: 2) on one server.
E2E_TESTS += tests/e2e/redis.sh
# monitoring: prometheus on one server: exporters, targets up, the role's password.
E2E_TESTS += tests/e2e/monitoring.sh
# monitoring: prometheus across machines: the monitor scrapes the db machine through its firewall.
E2E_TESTS += tests/e2e/monitoring-machines.sh
# Backups: dumps, restore, retention, a failed dump, the off-host copy.
E2E_TESTS += tests/e2e/backups.sh
# A PostgreSQL read replica on its own machine: streaming, TLS, rebuilt when promoted.
E2E_TESTS += tests/e2e/replicas.sh
# alerting: Alertmanager with mail, Telegram and Slack to sinks in the container.
E2E_TESTS += tests/e2e/alerting.sh
# A source line apt-get update fails on is named, and nothing changes.
E2E_TESTS += tests/e2e/apt-sources.sh
# The lock on the targets: two profiles for one server, a stale lock.
E2E_TESTS += tests/e2e/lock.sh
# Audit L3 and testssl.sh against nginx and apache2; Redis's users.
E2E_TESTS += tests/e2e/hardening.sh
EXTRA_DIST += tests/e2e/lib.sh tests/lib/deb822.sh $(E2E_TESTS)

check-e2e: dhis2-setup tests/e2e/transport-tool
	@$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(E2E_TESTS)" \
	    check_PROGRAMS=tests/e2e/transport-tool
.PHONY: check-e2e
