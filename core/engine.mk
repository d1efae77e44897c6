# core/engine.mk: the engine, its transports, events, log and journal.
libdhis2setup_a_SOURCES += core/transport.h core/transport.c \
	core/transport_local.c core/transport_ssh.c core/transport_lxc.c \
	core/facts.c core/events.h core/events.c core/log.h core/log.c \
	core/journal.h core/journal.c core/planner.h core/planner.c \
	core/engine.h core/engine.c
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_engine
TESTS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
