#!/bin/sh
# The commit-msg hook ./bootstrap installs (.ci/hooks/commit-msg): which
# messages it takes and which it refuses.  TAP.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
hook="$top_srcdir/.ci/hooks/commit-msg"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT INT TERM
n=0 failed=0
case_() {	# WANT(0|1) DESCRIPTION MESSAGE
	n=$((n + 1))
	printf '%s\n' "$3" > "$w/msg"
	sh "$hook" "$w/msg" 2>/dev/null
	rc=$?
	if [ "$rc" -eq "$1" ]; then echo "ok $n - $2"
	else echo "not ok $n - $2 (exit $rc)"; failed=$((failed + 1)); fi
}
echo "1..9"
case_ 0 "area: summary" "lxc: write the containers' apt sources"
case_ 0 "two areas" "lxc, base: containers get our apt sources"
case_ 0 "a body after a blank line, comments ignored" "e2e: apt-sources.sh

Why and what was measured.
# a comment git strips"
case_ 0 "exactly 72 characters" "docs: $(printf '%066d' 0)"
case_ 1 "73 characters" "docs: $(printf '%067d' 0)"
case_ 1 "no area" "Fix the build"
case_ 1 "no blank line before the body" "tests: a subject
and the body at once"
case_ 0 "git's own merge subjects pass" "Merge branch 'x' into main"
case_ 1 "an empty area" ": nothing"
[ "$failed" -eq 0 ]
