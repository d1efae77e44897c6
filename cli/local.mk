# cli/: the command line.  main() and its command table, the commands,
# and the run (apply, plan, verify) they share.
libdhis2setup_a_SOURCES += cli/commands.c cli/commands.h cli/cmd_run.c
