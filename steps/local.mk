# steps/: one file per step module, collected in registry.c.
libdhis2setup_a_SOURCES += steps/step.h steps/step_util.c steps/registry.c \
	steps/step_item.h steps/step_item.c steps/apt.h steps/apt.c \
	steps/preflight.c steps/base.c
# apt sources: the containers' own, and the line apt-get update fails on.
libdhis2setup_a_SOURCES += steps/apt_sources.h steps/apt_sources.c
# The DHIS2 stack (issue 4).
libdhis2setup_a_SOURCES += steps/step_probe.h steps/step_probe.c \
	steps/postgres.c steps/tomcat.h steps/tomcat.c steps/war.c \
	steps/proxy.h steps/proxy.c steps/tls.c steps/certbot.c steps/verify.c
# Least-access firewalls (issue 5).
libdhis2setup_a_SOURCES += steps/firewall.h steps/firewall.c
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_firewall
TESTS += tests/unit/test_firewall
tests_unit_test_firewall_SOURCES = tests/unit/test_firewall.c \
	tests/unit/topo_fixture.h
tests_unit_test_firewall_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
# isolation lxc: the containers' host (issue 5).
libdhis2setup_a_SOURCES += steps/lxc.c
# Redis for clustered instances.
libdhis2setup_a_SOURCES += steps/redis.h steps/redis.c
# Backups: pg_dump by a systemd timer on backups.schedule (docs/backups.md).
libdhis2setup_a_SOURCES += steps/backup.c
# monitoring: prometheus: exporters everywhere, Prometheus on the monitor.
libdhis2setup_a_SOURCES += steps/monitoring.h steps/monitoring.c
# alerting: Alertmanager on the monitor, Prometheus's alert rules.
libdhis2setup_a_SOURCES += steps/alerting.h steps/alerting.c
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_alerting
TESTS += tests/unit/test_alerting
tests_unit_test_alerting_SOURCES = tests/unit/test_alerting.c
tests_unit_test_alerting_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
# Read replicas: streaming from the primary through a slot each (docs/replicas.md).
libdhis2setup_a_SOURCES += steps/postgres.h steps/postgres_conf.c \
	steps/replica.c steps/replication.c
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_replica
TESTS += tests/unit/test_replica
tests_unit_test_replica_SOURCES = tests/unit/test_replica.c \
	tests/unit/topo_fixture.h
tests_unit_test_replica_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
# The conf.d fragment and pg_hba.conf, byte for byte (test_replica).
EXTRA_DIST += tests/unit/postgres-conf
