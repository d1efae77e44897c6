# tests/e2e/local.mk: fragment of Makefile.am
