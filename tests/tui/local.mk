# tests/tui/local.mk: fragment of Makefile.am
