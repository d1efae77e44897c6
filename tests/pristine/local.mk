# tests/pristine/local.mk: fragment of Makefile.am.
# `make check-pristine` (root; lxc and debootstrap, installed when
# missing): the README's `./bootstrap run --help` and `./bootstrap test` in
# a fresh Debian 12 container made by debootstrap, holding `git archive
# HEAD` of the source tree, nested containers allowed for the e2e tests.
# Prints the inner "N passed, N failed, N skipped" last and fails unless
# it has no failure; logs in pristine-logs/.  Some 26 minutes on 2 CPUs.
# Not part of `make check`: it is the whole of `make check` and more.
EXTRA_DIST += tests/pristine/check-pristine.sh
check-pristine:
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    $(SHELL) $(top_srcdir)/tests/pristine/check-pristine.sh
.PHONY: check-pristine
clean-local: clean-local-pristine
clean-local-pristine:
	rm -rf pristine-logs
.PHONY: clean-local-pristine
