# tui/: frontends.
libdhis2setup_a_SOURCES += tui/wizard.c
