# tests/: unit tests (cmocka, TAP) and data-driven profile cases.
TESTS += tests/profiles/cases.sh tests/cli.sh tests/commit-msg.sh
EXTRA_DIST += tests/cli.sh tests/commit-msg.sh .ci/hooks/commit-msg
# The cases are copied from the source tree only: a build tree's
# tests/profiles holds the cases' .log and .trs, which must not ship.
dist-hook-profile-cases:
	$(MKDIR_P) $(distdir)/tests
	cp -pR $(srcdir)/tests/profiles $(distdir)/tests/
	chmod -R u+w $(distdir)/tests/profiles
# Unit tests: tests/unit/NAME.c each, a cmocka program that prints TAP,
# linked with the library (LDADD below).  One name per line: a new test
# is one line here, its source the default tests/unit/NAME.c.
UNIT_TESTS = \
	tests/unit/test_check \
	tests/unit/test_profile \
	tests/unit/test_schema \
	tests/unit/test_tuning \
	tests/unit/test_template \
	tests/unit/test_scram \
	tests/unit/test_tlscheck \
	tests/unit/test_cron \
	tests/unit/test_apt_sources \
	tests/unit/test_step_item \
	tests/unit/test_lazylib \
	tests/unit/test_releases \
	tests/unit/test_engine \
	tests/unit/test_topology \
	tests/unit/test_firewall \
	tests/unit/test_alerting \
	tests/unit/test_replica \
	tests/unit/test_secrets \
	tests/unit/test_hygiene \
	tests/unit/test_backup_space
if HAVE_CMOCKA
check_PROGRAMS += $(UNIT_TESTS)
# apt sources: the containers' deb822 file, the failing line named.
TESTS += $(UNIT_TESTS) tests/unit/apt-sources-probe.sh
endif
# Programs with no _LDADD of their own: the unit tests.
LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/unit/apt-sources-probe.sh tests/unit/topo_fixture.h
