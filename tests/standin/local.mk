# tests/standin/local.mk: fragment of Makefile.am
