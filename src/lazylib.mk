# src/lazylib.mk: fragment of Makefile.am
# libcurl, libpq and libssh loaded on first use (src/lazylib.h): the
# definitions of their functions, and their test.
libdhis2setup_a_SOURCES += src/lazylib.h src/lazylib.c \
	src/lazy_curl.h src/lazy_pq.h src/lazy_ssh.h
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_lazylib
TESTS += tests/unit/test_lazylib
tests_unit_test_lazylib_SOURCES = tests/unit/test_lazylib.c
tests_unit_test_lazylib_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
