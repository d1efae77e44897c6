#!/bin/sh
# The apt sources probe (steps/apt_sources.h, APT_SOURCES_CHECK_SH) against
# a loopback archive: which lines of one-line and deb822 sources it reads,
# which it asks the archive about, and how it names the ones that fail.
# The machine's own /etc/apt and apt lists are never touched: the probe
# runs in a mount namespace of its own, with the test's folders bound over
# them.  TAP.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
prog="$top_builddir/tests/unit/test_apt_sources"
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else
	echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (a mount namespace)"
[ -x /usr/lib/apt/apt-helper ] || skip_all "no apt-helper"
command -v python3 >/dev/null 2>&1 || skip_all "no python3"
unshare -m true 2>/dev/null || skip_all "cannot make a mount namespace"
w=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$w"' EXIT
trap 'exit 130' INT TERM
"$prog" --script > "$w/probe.sh" || { echo "Bail out! no script"; exit 1; }

# The archive: suite "good" and a flat repository, nothing else.
mkdir -p "$w/www/debian/dists/good" "$w/www/flat" "$w/etc/sources.list.d" \
    "$w/lists/partial"
echo release > "$w/www/debian/dists/good/InRelease"
echo release > "$w/www/flat/Release"	# an old flat repo: no InRelease
port=$((30000 + $$ % 20000))
(cd "$w/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) \
    > "$w/http.log" 2>&1 &
pid=$!
i=0
until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "Bail out! no HTTP server"; exit 1; }
	sleep 0.1
done
A=http://127.0.0.1:$port

cat > "$w/etc/sources.list" <<EOS
# the archive
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $A/debian good main
deb $A/debian good/updates main
# deb $A/debian commented main
deb-src $A/debian good main  # a comment after the line
deb $A/flat ./
EOS
cat > "$w/etc/sources.list.d/x.sources" <<EOS
Types: deb
URIs: $A/debian
Suites: good
Components: main

Types: deb
Enabled: no
URIs: $A/debian
Suites: disabled
Components: main

# a comment before the stanza
types: deb deb-src
URIs: $A/debian
Suites: good
  nosuch
Components: main
EOS
echo "deb $A/debian ignored main" > "$w/etc/sources.list.d/y.list.disabled"

probe() {	# MODE: the probe's output, with the test's sources and lists
	unshare -m sh -c 'mount --bind "$1/etc" /etc/apt &&
	    mount --bind "$1/lists" /var/lib/apt/lists || exit 125
	    . "$1/probe.sh"; apt_sources_check "$2"' sh "$w" "$1" 2>"$w/err"
}

out=$(probe unfetched); rc=$?
ok $rc "the probe runs (exit $rc)"
bad=$(echo "$out" | grep -c '^aptbad=')
ok $([ "$bad" -eq 2 ]; echo $?) "two lines fail, no more ($bad): $(echo "$out" | tr '\n' '|')"
echo "$out" | grep -q "^aptbad=/etc/apt/sources.list:3	deb $A/debian good/updates main	404 "
ok $? "the one-line source is named by file:line, with its text and why"
echo "$out" | grep -q "^aptbad=/etc/apt/sources.list.d/x.sources:15	URIs: $A/debian / Suites: nosuch	404"
ok $? "the deb822 stanza is named by its Suites line, its suite continued on the next line"
echo "$out" | grep -q 'disabled\|ignored\|commented'
ok $([ $? -ne 0 ]; echo $?) "disabled stanzas, commented lines and other files are not read"
echo "$out" | grep -q '/flat'
ok $([ $? -ne 0 ]; echo $?) "a flat repository with only a Release file is good"

# What apt has fetched is not asked about again: with the archive gone,
# only the lines with no lists fail.
: > "$w/lists/127.0.0.1:${port}_debian_dists_good_InRelease"
: > "$w/lists/127.0.0.1:${port}_flat_._Release"
kill $pid; wait $pid 2>/dev/null; pid=
out=$(probe unfetched)
bad=$(echo "$out" | grep -c '^aptbad=')
ok $([ "$bad" -eq 2 ]; echo $?) "unfetched: sources in apt's lists are not asked about ($bad failing)"
echo "$out" | grep -q "sources.list:3	.*	.*refused\|sources.list:3	.*	.*cannot"
ok $? "and a refused connection says so: $(echo "$out" | head -n 1 | cut -f3)"
out=$(probe all)
bad=$(echo "$out" | grep -c '^aptbad=')
ok $([ "$bad" -eq 7 ]; echo $?) "all: every enabled source is asked about ($bad failing of 7)"
[ -z "$(ls -A "$w/lists" | grep -v partial | grep -v InRelease | grep -v _Release)" ]
ok $? "the probe wrote nothing into apt's lists"
echo "1..$n"
[ "$failed" -eq 0 ]
