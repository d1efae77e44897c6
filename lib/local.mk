# lib/: the foundation.  Helpers (allocation, strings, checks), cron
# schedules, templates, SCRAM, TLS checks, lazily loaded libraries and
# DHIS2 release metadata with the WAR download.  Nothing here knows the
# profile, the engine or a step.
libdhis2setup_a_SOURCES += lib/core.h lib/util.c lib/check.c \
	lib/template.h lib/template.c lib/scram.h lib/scram.c \
	lib/tlscheck.h lib/tlscheck.c
# cron schedules as systemd OnCalendar= (backups.schedule).
libdhis2setup_a_SOURCES += lib/cron.h lib/cron.c

# libcurl, libpq and libssh loaded on first use (lib/lazylib.h): the
# definitions of their functions (their test: tests/local.mk).
libdhis2setup_a_SOURCES += lib/lazylib.h lib/lazylib.c \
	lib/lazy_curl.h lib/lazy_pq.h lib/lazy_ssh.h

# DHIS2 release metadata (lib/releases.c) and the WAR download
# (lib/war_fetch.c), tested against a local HTTP server that honours
# Range (tests/releases/server.py).
libdhis2setup_a_SOURCES += lib/releases.h lib/releases.c \
	lib/war_fetch.h lib/war_fetch.c
EXTRA_DIST += tests/releases
