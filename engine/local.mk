# engine/: the engine.  Transports, machine facts, events, log, journal,
# the planner and the topology with its sizing; it runs steps through
# the contract in steps/step.h.
libdhis2setup_a_SOURCES += engine/transport.h engine/transport.c \
	engine/transport_local.c engine/transport_ssh.c engine/transport_lxc.c \
	engine/facts.h engine/facts.c engine/events.h engine/events.c \
	engine/log.h engine/log.c engine/journal.h engine/journal.c \
	engine/lock.h engine/lock.c \
	engine/planner.h engine/planner.c engine/topology.h engine/topology.c \
	engine/tuning.h engine/tuning.c engine/sizing.h engine/sizing.c \
	engine/engine.h engine/engine.c
# The event stream's two built-in readers: plain lines, JSON lines; and
# the plan as JSON for plan --json.
libdhis2setup_a_SOURCES += engine/report_plain.c engine/report_json.c \
	engine/report_plan_json.c
# A node's transport: for the planner, and for one node without a plan.
libdhis2setup_a_SOURCES += engine/connect.h engine/connect.c
