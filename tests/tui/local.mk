# tests/tui/local.mk: fragment of Makefile.am.  The screen tests drive the
# wizard in a private tmux server at 80x24; they skip without tmux.
TESTS += tests/tui/wizard-newt.sh tests/tui/wizard-text.sh \
	tests/tui/wizard-terminal.sh tests/tui/wizard-actions.sh
TESTS += tests/tui/dashboard.sh
EXTRA_DIST += tests/tui/dashboard.sh
EXTRA_DIST += tests/tui/lib.sh tests/tui/lsan.supp tests/tui/golden \
	tests/tui/wizard-newt.sh tests/tui/wizard-text.sh \
	tests/tui/wizard-terminal.sh tests/tui/wizard-actions.sh
