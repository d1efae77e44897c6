# tests/tui/lib.sh: TAP helpers and a private tmux server at 80x24.
# Sourced by the tests/tui/*.sh scripts.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
bin="$top_builddir/dhis2-setup"
golden="$top_srcdir/tests/tui/golden"
# newt and slang keep their screen buffers until exit: not our leaks.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/tui/lsan.supp:print_suppressions=0"
export LSAN_OPTIONS

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
# built NAME: this build installs the feature NAME ("dhis2-setup features");
# screens of features still coming ask nothing and say so.
built() { "$bin" features | grep -q "^built  *$1 "; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
check() {	# check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d"; return 1; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/d2s-tui.XXXXXX")
sock="$tmp/tmux.sock"
T() { tmux -S "$sock" "$@"; }
cleanup() {
	T kill-server 2>/dev/null
	[ -n "${KEEP:-}" ] && { echo "kept $tmp" >&2; return; }
	rm -rf "$tmp"
}
# The plan comes last: "1..N" after the tests.
trap 'echo "1..$n"; cleanup' EXIT

need_tmux() {
	if ! command -v tmux >/dev/null 2>&1; then
		echo "1..0 # SKIP tmux is not installed"
		exit 0
	fi
}

# start COLSxROWS ENV-ASSIGNMENTS... -- ARGS...: run the binary in tmux,
# in a UTF-8 locale (slang's line drawing depends on it) unless overridden.
start() {
	size=$1
	shift
	envs=""
	while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	shift
	rm -f "$tmp/rc"
	T kill-server 2>/dev/null
	# A fresh socket: the old server may still be going away.
	starts=$((${starts:-0} + 1))
	sock="$tmp/tmux.$starts.sock"
	T -f /dev/null new-session -d -s w -x "${size%x*}" -y "${size#*x}" \
	    "cd '$tmp' && env TERM=xterm LANG=C.UTF-8 LC_ALL=C.UTF-8 $envs '$bin' $*; echo \$? > '$tmp/rc'; sleep 600"
}
screen() { T capture-pane -p -t w; }
keys() { T send-keys -t w "$@"; sleep 0.15; }
type_text() { T send-keys -t w -l -- "$1"; sleep 0.1; }
# Empty the focused entry: go to its end and erase.
clear_entry() {
	T send-keys -t w End
	i=0
	while [ $i -lt 40 ]; do T send-keys -t w BSpace; i=$((i + 1)); done
	sleep 0.1
}
# wait_for TEXT: until the screen shows TEXT (5 s).
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		if screen | grep -qF -- "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# timed out waiting for: $1" >&2
	screen | sed 's/^/# /' >&2
	return 1
}
wait_rc() {
	i=0
	while [ $i -lt 50 ] && [ ! -s "$tmp/rc" ]; do sleep 0.1; i=$((i + 1)); done
	cat "$tmp/rc" 2>/dev/null
}
# golden NAME [SED]: compare the screen (trailing blanks stripped, SED
# applied: what others' code decides, e.g. the planner's steps) with
# tests/tui/golden/NAME.txt; UPDATE_GOLDEN=1 rewrites it.
golden() {
	screen | sed -e 's/[[:space:]]*$//' -e "s|$tmp|TMP|g" -e "${2:-}" \
	    > "$tmp/$1.txt"
	if [ -n "$UPDATE_GOLDEN" ]; then
		cp "$tmp/$1.txt" "$golden/$1.txt"
	fi
	if diff -u "$golden/$1.txt" "$tmp/$1.txt" >&2; then
		ok "screen $1 matches its golden copy"
	else
		not_ok "screen $1 matches its golden copy"
	fi
}
