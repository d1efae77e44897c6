# src/war.mk: fragment of Makefile.am
# DHIS2 release metadata and the WAR download (src/releases.c), tested
# against a local HTTP server that honours Range (tests/releases/server.py).
libdhis2setup_a_SOURCES += src/releases.h src/releases.c
EXTRA_DIST += tests/releases
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_releases
TESTS += tests/unit/test_releases
tests_unit_test_releases_SOURCES = tests/unit/test_releases.c
tests_unit_test_releases_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
