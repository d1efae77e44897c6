# steps/: one file per step module, collected in registry.c.
libdhis2setup_a_SOURCES += steps/step.h steps/stack.h steps/step_util.c \
	steps/registry.c \
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
# isolation lxc: the containers' host (issue 5).
libdhis2setup_a_SOURCES += steps/lxc.h steps/lxc.c steps/lxc_container.c
# Redis for clustered instances.
libdhis2setup_a_SOURCES += steps/redis.h steps/redis.c
# Backups: pg_dump by a systemd timer on backups.schedule (docs/backups.md).
libdhis2setup_a_SOURCES += steps/backup.c
# monitoring: prometheus: exporters everywhere, Prometheus on the monitor.
libdhis2setup_a_SOURCES += steps/exporters.h steps/exporters.c \
	steps/prometheus.h steps/prometheus.c
nobase_dist_pkgdata_DATA += assets/templates/prometheus.yml \
	assets/templates/prometheus-job.yml assets/templates/prometheus-target.yml
# alerting: Alertmanager on the monitor, Prometheus's alert rules; the
# alert test (not a step) through it, or straight from this machine.
libdhis2setup_a_SOURCES += steps/alerting.h steps/alerting.c \
	steps/alert_test.h steps/alert_test.c
nobase_dist_pkgdata_DATA += assets/templates/alertmanager.yml \
	assets/templates/dhis2-setup.rules.yml
# Read replicas: streaming from the primary through a slot each (docs/replicas.md).
libdhis2setup_a_SOURCES += steps/postgres.h steps/postgres_conf.c \
	steps/replica.c steps/replication.c
# The conf.d fragment and pg_hba.conf, byte for byte (test_replica).
EXTRA_DIST += tests/unit/postgres-conf
nobase_dist_pkgdata_DATA += assets/templates/postgresql-dhis2.conf \
	assets/templates/pg_hba.conf
