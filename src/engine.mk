# src/engine.mk: the engine, its transports, events, log and journal.
libdhis2setup_a_SOURCES += src/transport.h src/transport.c \
	src/transport_local.c src/transport_ssh.c src/transport_lxc.c \
	src/facts.c src/events.h src/events.c src/log.h src/log.c \
	src/journal.h src/journal.c src/planner.h src/planner.c \
	src/topology.h src/topology.c \
	src/engine.h src/engine.c
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_engine
TESTS += tests/unit/test_engine
tests_unit_test_engine_SOURCES = tests/unit/test_engine.c
tests_unit_test_engine_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_topology
TESTS += tests/unit/test_topology
tests_unit_test_topology_SOURCES = tests/unit/test_topology.c \
	tests/unit/topo_fixture.h
tests_unit_test_topology_LDADD = libdhis2setup.a $(D2S_LIBS) $(CMOCKA_LIBS)
endif
