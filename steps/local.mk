# steps/: one file per step module, collected in registry.c.
libdhis2setup_a_SOURCES += steps/step.h steps/step_util.c steps/registry.c \
	steps/preflight.c steps/base.c
