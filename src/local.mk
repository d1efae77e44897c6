# src/: helpers, secrets, the command line.
libdhis2setup_a_SOURCES += src/core.h src/util.c src/check.c \
	src/secrets.h src/secrets.c src/commands.c src/commands.h src/cmd_run.c \
	src/tuning.h src/tuning.c src/template.h src/template.c \
	src/scram.h src/scram.c src/tlscheck.h src/tlscheck.c
# cron schedules as systemd OnCalendar= (backups.schedule).
libdhis2setup_a_SOURCES += src/cron.h src/cron.c
