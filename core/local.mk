# core/: helpers, secrets, the command line.
libdhis2setup_a_SOURCES += core/core.h core/util.c core/check.c \
	core/secrets.h core/secrets.c core/commands.c core/commands.h core/cmd_run.c \
	core/tuning.h core/tuning.c core/template.h core/template.c \
	core/scram.h core/scram.c core/tlscheck.h core/tlscheck.c
