# cli/: the command line.  main() and its command table, the commands,
# the run (apply, plan, verify) they share, and the wizard command.
libdhis2setup_a_SOURCES += cli/commands.c cli/commands.h cli/cmd_run.c \
	cli/cmd_wizard.c
