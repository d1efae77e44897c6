# core/war.mk: fragment of Makefile.am
