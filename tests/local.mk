# tests/: unit tests (cmocka, TAP) and data-driven profile cases.
TESTS += tests/profiles/cases.sh tests/cli.sh tests/commit-msg.sh
EXTRA_DIST += tests/cli.sh tests/commit-msg.sh .ci/hooks/commit-msg
# The cases are copied from the source tree only: a build tree's
# tests/profiles holds the cases' .log and .trs, which must not ship.
dist-hook-profile-cases:
	$(MKDIR_P) $(distdir)/tests
	cp -pR $(srcdir)/tests/profiles $(distdir)/tests/
	chmod -R u+w $(distdir)/tests/profiles
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_check tests/unit/test_profile \
	tests/unit/test_tuning
TESTS += tests/unit/test_check tests/unit/test_profile tests/unit/test_tuning
tests_unit_test_check_SOURCES = tests/unit/test_check.c
tests_unit_test_check_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
tests_unit_test_profile_SOURCES = tests/unit/test_profile.c
tests_unit_test_profile_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tuning_SOURCES = tests/unit/test_tuning.c
tests_unit_test_tuning_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_template
TESTS += tests/unit/test_template
tests_unit_test_template_SOURCES = tests/unit/test_template.c
tests_unit_test_template_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_scram
TESTS += tests/unit/test_scram
tests_unit_test_scram_SOURCES = tests/unit/test_scram.c
tests_unit_test_scram_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_tlscheck
TESTS += tests/unit/test_tlscheck
tests_unit_test_tlscheck_SOURCES = tests/unit/test_tlscheck.c
tests_unit_test_tlscheck_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_cron
TESTS += tests/unit/test_cron
tests_unit_test_cron_SOURCES = tests/unit/test_cron.c
tests_unit_test_cron_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
# apt sources: the containers' deb822 file, the failing line named.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_apt_sources
TESTS += tests/unit/test_apt_sources tests/unit/apt-sources-probe.sh
tests_unit_test_apt_sources_SOURCES = tests/unit/test_apt_sources.c
tests_unit_test_apt_sources_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
EXTRA_DIST += tests/unit/apt-sources-probe.sh
