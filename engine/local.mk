# engine/: the engine.  Transports, machine facts, events, log, journal,
# the planner and the topology with its sizing; it runs steps through
# the contract in steps/step.h.
libdhis2setup_a_SOURCES += engine/transport.h engine/transport.c \
	engine/transport_local.c engine/transport_ssh.c engine/transport_lxc.c \
	engine/facts.h engine/facts.c engine/events.h engine/events.c \
	engine/log.h engine/log.c engine/journal.h engine/journal.c \
	engine/planner.h engine/planner.c engine/topology.h engine/topology.c \
	engine/tuning.h engine/tuning.c engine/sizing.h engine/sizing.c \
	engine/engine.h engine/engine.c
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
