# core/engine.mk: fragment of Makefile.am
